//! The SPF evaluator's trace, problems and warnings over an in-memory zone: which term matched
//! (through includes), the lookups each record costs, the limits, loops, several records and
//! syntax errors with their positions.

use smtp_doctor_dnsauth::dns::{Answer, Rdata, RecordType, Zone};
use smtp_doctor_dnsauth::spf::{
    check, Client, Evaluation, Options, Outcome, Problem, SpfResult, SyntaxErrorKind, Via, Warning,
};

fn txt(z: &mut Zone, name: &str, text: &str) {
    z.add(name, Rdata::Txt(vec![text.as_bytes().to_vec()]));
}

async fn eval(z: &Zone, ip: Option<&str>, domain: &str) -> Evaluation {
    let client = Client {
        ip: ip.map(|i| i.parse().expect("test IP")),
        sender: format!("someone@{domain}"),
        helo: "mail.example.net".to_string(),
    };
    check(z, &client, &Options::default()).await
}

#[tokio::test]
async fn include_tree_with_costs_and_the_matching_term() {
    let mut z = Zone::new();
    txt(
        &mut z,
        "example.com",
        "v=spf1 mx include:_spf.example.net -all",
    );
    txt(
        &mut z,
        "_spf.example.net",
        "v=spf1 a:out.example.net ip4:198.51.100.0/24 ~all",
    );
    z.add(
        "out.example.net",
        Rdata::A("203.0.113.5".parse().expect("ip")),
    );
    z.touch("example.com");
    let e = eval(&z, Some("198.51.100.7"), "example.com").await;
    assert_eq!(e.result, SpfResult::Pass);
    assert_eq!(e.lookups, 3, "mx, include, a");
    assert_eq!(e.void_lookups, 1, "example.com has no MX");
    let terms: Vec<(&str, &str)> = e
        .matched
        .iter()
        .map(|m| (m.domain.as_str(), m.term.as_str()))
        .collect();
    assert_eq!(
        terms,
        [
            ("example.com", "include:_spf.example.net"),
            ("_spf.example.net", "ip4:198.51.100.0/24")
        ]
    );
    assert_eq!(e.matched[1].position, 25);
    let t = &e.trace;
    assert_eq!(t.own_lookups(), 2);
    assert_eq!(t.total_lookups(), 3);
    assert_eq!(t.children.len(), 1);
    assert_eq!(t.children[0].via, Via::Include);
    assert_eq!(t.children[0].own_lookups(), 1);
    assert_eq!(t.children[0].result, SpfResult::Pass);
    assert_eq!(t.steps[0].outcome, Outcome::NoMatch);
    assert_eq!(t.steps[0].queries[0].rtype, RecordType::Mx);
    assert_eq!(t.steps[0].queries[0].answer, Answer::NoData);
    // Another address falls through to the include's ~all (no match) and then -all.
    let e = eval(&z, Some("192.0.2.1"), "example.com").await;
    assert_eq!(e.result, SpfResult::Fail);
    assert_eq!(e.matched[0].term, "-all");
}

#[tokio::test]
async fn limits_loops_and_several_records() {
    let mut z = Zone::new();
    let many: Vec<String> = (1..=11)
        .map(|i| format!("include:i{i}.example.com"))
        .collect();
    txt(
        &mut z,
        "many.example.com",
        &format!("v=spf1 {} -all", many.join(" ")),
    );
    for i in 1..=11 {
        txt(&mut z, &format!("i{i}.example.com"), "v=spf1 -all");
    }
    let e = eval(&z, Some("192.0.2.1"), "many.example.com").await;
    assert_eq!(e.result, SpfResult::PermError);
    assert!(
        matches!(e.problem, Some(Problem::TooManyLookups { limit: 10, .. })),
        "{:?}",
        e.problem
    );
    assert_eq!(e.trace.children.len(), 10);

    txt(
        &mut z,
        "loop.example.com",
        "v=spf1 include:loop.example.com -all",
    );
    let e = eval(&z, Some("192.0.2.1"), "loop.example.com").await;
    assert_eq!(e.result, SpfResult::PermError);
    assert_eq!(
        e.problem,
        Some(Problem::Loop {
            domain: "loop.example.com".into()
        })
    );

    txt(&mut z, "two.example.com", "v=spf1 -all");
    txt(&mut z, "two.example.com", "v=spf1 +all");
    let e = eval(&z, Some("192.0.2.1"), "two.example.com").await;
    assert_eq!(e.result, SpfResult::PermError);
    assert_eq!(
        e.problem,
        Some(Problem::MultipleRecords {
            domain: "two.example.com".into(),
            count: 2
        })
    );

    txt(
        &mut z,
        "void.example.com",
        "v=spf1 a:v1.example.com a:v2.example.com a:v3.example.com -all",
    );
    let e = eval(&z, Some("192.0.2.1"), "void.example.com").await;
    assert_eq!(e.result, SpfResult::PermError);
    assert!(matches!(
        e.problem,
        Some(Problem::TooManyVoidLookups { limit: 2, .. })
    ));
    assert_eq!(e.void_lookups, 3);

    txt(
        &mut z,
        "syntax.example.com",
        "v=spf1 ip4:192.0.2.0/33 foo:bar -all",
    );
    let e = eval(&z, Some("192.0.2.1"), "syntax.example.com").await;
    assert_eq!(e.result, SpfResult::PermError);
    let Some(Problem::Syntax { errors, .. }) = &e.problem else {
        panic!("{:?}", e.problem);
    };
    let found: Vec<(usize, SyntaxErrorKind)> =
        errors.iter().map(|e| (e.position, e.kind)).collect();
    assert_eq!(
        found,
        [
            (20, SyntaxErrorKind::BadCidr),
            (24, SyntaxErrorKind::UnknownMechanism)
        ]
    );

    z.fail("slow.example.com", Answer::Timeout);
    let e = eval(&z, Some("192.0.2.1"), "slow.example.com").await;
    assert_eq!(e.result, SpfResult::TempError);
    assert!(matches!(
        e.problem,
        Some(Problem::Dns {
            answer: Answer::Timeout,
            ..
        })
    ));

    txt(&mut z, "none.example.com", "just some text");
    let e = eval(&z, Some("192.0.2.1"), "none.example.com").await;
    assert_eq!(e.result, SpfResult::None);
    assert_eq!(
        e.problem,
        Some(Problem::NoRecord {
            domain: "none.example.com".into()
        })
    );
}

#[tokio::test]
async fn warnings_and_the_walk_without_a_client() {
    let mut z = Zone::new();
    let long = (0..30)
        .map(|i| format!("ip4:192.0.2.{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    txt(
        &mut z,
        "open.example.com",
        &format!("v=spf1 {long} ptr include:n.example.com +all"),
    );
    txt(
        &mut z,
        "n.example.com",
        "v=spf1 a mx exists:%{i}.e.example.com a:x.example.com ?all",
    );
    z.add(
        "n.example.com",
        Rdata::A("192.0.2.200".parse().expect("ip")),
    );
    z.add(
        "x.example.com",
        Rdata::A("192.0.2.201".parse().expect("ip")),
    );
    let e = eval(&z, None, "open.example.com").await;
    assert_eq!(
        e.result,
        SpfResult::Pass,
        "only +all matches without a client"
    );
    assert_eq!(e.lookups, 6, "ptr, include, a, mx, exists, a");
    let w = &e.warnings;
    assert!(
        w.contains(&Warning::PlusAll {
            domain: "open.example.com".into()
        }),
        "{w:?}"
    );
    assert!(w.contains(&Warning::NeutralAll {
        domain: "n.example.com".into()
    }));
    assert!(w.contains(&Warning::PtrUsed {
        domain: "open.example.com".into()
    }));
    assert!(w
        .iter()
        .any(|w| matches!(w, Warning::LongRecord { len, .. } if *len > 450)));
    assert!(!w
        .iter()
        .any(|w| matches!(w, Warning::LookupsNearLimit { .. })));
    // Four lookups and no void one, included twice: 2 + 8.
    txt(
        &mut z,
        "m.example.com",
        "v=spf1 a a:x.example.com a a:x.example.com -all",
    );
    z.add(
        "m.example.com",
        Rdata::A("192.0.2.202".parse().expect("ip")),
    );
    txt(
        &mut z,
        "near.example.com",
        "v=spf1 include:m.example.com include:m.example.com -all",
    );
    let e = eval(&z, None, "near.example.com").await;
    assert_eq!(e.lookups, 10);
    assert!(e.warnings.contains(&Warning::LookupsNearLimit {
        count: 10,
        limit: 10
    }));
}

/// A zone that counts the queries it answers.
struct Counting(Zone, std::sync::atomic::AtomicUsize);

impl smtp_doctor_dnsauth::dns::Resolver for Counting {
    fn lookup(
        &self,
        name: &str,
        rtype: RecordType,
    ) -> impl std::future::Future<Output = smtp_doctor_dnsauth::dns::Lookup> + Send {
        self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::future::ready(self.0.answer(name, rtype))
    }
}

#[tokio::test]
async fn the_time_limit_and_the_ptr_names_asked_once() {
    let mut z = Zone::new();
    txt(&mut z, "example.com", "v=spf1 ptr -all exp=why.example.com");
    let many_p = "%{p} ".repeat(50);
    txt(
        &mut z,
        "why.example.com",
        &format!("{many_p}is not allowed"),
    );
    z.add(
        "1.2.0.192.in-addr.arpa",
        Rdata::Ptr("host.example.org".into()),
    );
    z.add(
        "host.example.org",
        Rdata::A("192.0.2.1".parse().expect("ip")),
    );
    let counting = Counting(z.clone(), Default::default());
    let client = Client {
        ip: Some("192.0.2.1".parse().expect("ip")),
        sender: "a@example.com".into(),
        helo: "mail.example.net".into(),
    };
    let e = check(&counting, &client, &Options::default()).await;
    assert_eq!(e.result, SpfResult::Fail);
    assert!(e
        .explanation
        .as_deref()
        .is_some_and(|x| x.starts_with("host.example.org host")));
    // TXT, PTR, A of the PTR name, the exp TXT: %{p} reuses what ptr found.
    assert_eq!(counting.1.load(std::sync::atomic::Ordering::Relaxed), 4);
    assert!(!e
        .warnings
        .iter()
        .any(|w| matches!(w, Warning::ExplanationUnavailable { .. })));
    txt(
        &mut z,
        "noexp.example.com",
        "v=spf1 -all exp=nothing.example.com",
    );
    let e = eval(&z, Some("192.0.2.1"), "noexp.example.com").await;
    assert_eq!((e.result, e.explanation.clone()), (SpfResult::Fail, None));
    assert_eq!(
        e.warnings,
        [Warning::ExplanationUnavailable {
            domain: "noexp.example.com".into()
        }]
    );
    let past = Options {
        time_limit: std::time::Duration::ZERO,
        ..Options::default()
    };
    let e = check(&z, &client, &past).await;
    assert_eq!(e.result, SpfResult::TempError);
    assert!(matches!(
        e.problem,
        Some(Problem::Dns {
            answer: Answer::Timeout,
            ..
        })
    ));
}
