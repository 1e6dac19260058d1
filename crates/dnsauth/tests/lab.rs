//! The DNS layer and the SPF evaluator against the real lab Knot server (`../shared/lab`,
//! `start-dns.sh`: authoritative for `lab.test` on 127.0.0.1:5353) through hickory: the answer
//! kinds (records, CNAME, NODATA, NXDOMAIN, REFUSED) and the typed result of every SPF case of
//! the lab zone. Also a timeout, from a UDP socket of the test's own that never answers. The
//! same checks run on the lab's zone files read into the in-memory [`Zone`], so the two can be
//! compared, and they run where Knot cannot.
//!
//! Under `CI=true` (`.ci/run` starts Knot first) a server that does not answer is a failure.
//! Outside CI the test starts it when run as root, and otherwise prints a `SKIPPED` notice.

use smtp_doctor_dnsauth::dns::{
    Answer, DnsOptions, HickoryDns, Mx, Rdata, RecordType, Resolver, Zone,
};
use smtp_doctor_dnsauth::spf::{
    check, Client, Evaluation, Options, Problem, SpfResult, SyntaxErrorKind,
};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

const KNOT: &str = "127.0.0.1:5353";

use smtp_doctor_testkit::in_ci as ci;

fn knot_answers() -> bool {
    let addr: SocketAddr = KNOT.parse().expect("address");
    TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
}

/// `Ok(())` when Knot answers, after starting it (as root, outside CI) if it did not.
fn start_knot() -> Result<(), String> {
    if knot_answers() {
        return Ok(());
    }
    if ci() {
        return Err(format!(
            "under CI=true the lab Knot must be running (.ci/run starts it with \
             ../shared/lab/start-dns.sh), but nothing answers on {KNOT}"
        ));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/lab/start-dns.sh");
    if !script.exists() {
        return Err(format!(
            "Knot is not running and {} is missing",
            script.display()
        ));
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        return Err(format!(
            "Knot is not running on {KNOT}; starting it needs root: sudo {}",
            script.display()
        ));
    }
    let status = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    match (status.success(), knot_answers()) {
        (true, true) => Ok(()),
        _ => Err(format!(
            "{} ran ({status}) but {KNOT} does not answer",
            script.display()
        )),
    }
}

/// `true` when Knot answers; else panics under CI, or prints a notice and returns `false`.
fn need_knot(test: &str) -> bool {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    match READY.get_or_init(start_knot) {
        Ok(()) => true,
        Err(why) if ci() => panic!("{test}: {why}"),
        Err(why) => {
            eprintln!("SKIPPED {test}: {why}");
            false
        }
    }
}

fn knot() -> HickoryDns {
    HickoryDns::new(&DnsOptions {
        server: Some(KNOT.parse().expect("address")),
        timeout: Duration::from_secs(3),
        ..DnsOptions::default()
    })
    .expect("resolver")
}

/// The answer kinds every server of the lab zone gives (Knot, or the zone file in memory).
async fn answer_kinds<R: Resolver>(dns: &R) {
    let mut mx: Vec<Mx> = dns
        .lookup("lab.test", RecordType::Mx)
        .await
        .mx()
        .cloned()
        .collect();
    mx.sort_by_key(|m| m.preference);
    let names: Vec<&str> = mx.iter().map(|m| m.exchange.as_str()).collect();
    assert_eq!(names, ["mx.lab.test", "mx2.lab.test", "mx3.lab.test"]);
    let null = dns.lookup("nullmx.lab.test", RecordType::Mx).await;
    assert_eq!(
        null.mx().map(|m| m.exchange.as_str()).collect::<Vec<_>>(),
        [""]
    );
    assert_eq!(
        dns.lookup("nomx.lab.test", RecordType::Mx).await.answer,
        Answer::NoData
    );
    assert_eq!(
        dns.lookup("nxhost.lab.test", RecordType::A).await.answer,
        Answer::NxDomain
    );
    let alias = dns.lookup("alias.lab.test", RecordType::A).await;
    assert_eq!(alias.cnames, ["mx.lab.test"]);
    assert_eq!(
        alias.answer,
        Answer::Records(vec![Rdata::A([127, 0, 0, 1].into())])
    );
    let cname = dns.lookup("alias.lab.test", RecordType::Cname).await;
    assert_eq!(
        cname.answer,
        Answer::Records(vec![Rdata::Cname("mx.lab.test".into())])
    );
    let two = dns.lookup("13.2.0.192.in-addr.arpa", RecordType::Ptr).await;
    let mut ptr: Vec<&str> = two.ptr().collect();
    ptr.sort_unstable();
    assert_eq!(ptr, ["a.lab.test", "b.lab.test"]);
    let txt = dns.lookup("spf-two.lab.test", RecordType::Txt).await;
    assert_eq!(txt.txt().count(), 2);
    let refuse = dns.lookup("any.dnsbl-refuse.lab.test", RecordType::A).await;
    assert_eq!(
        refuse.answer,
        Answer::Records(vec![Rdata::A([127, 255, 255, 254].into())])
    );
    assert_eq!(
        dns.lookup("dnsbl.lab.test", RecordType::A).await.answer,
        Answer::NoData
    );
}

#[tokio::test]
async fn answer_kinds_from_knot() {
    if !need_knot("answer_kinds_from_knot") {
        return;
    }
    let dns = knot();
    answer_kinds(&dns).await;
    // Knot serves only its own zones: anything else is REFUSED (`.test` is reserved).
    assert_eq!(
        dns.lookup("nothing.test", RecordType::A).await.answer,
        Answer::Refused
    );
}

/// The lab zone files read into memory, or `None` (a notice; a failure under CI) without them.
fn lab_zone_files() -> Option<Zone> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/lab/dns");
    let mut zone = String::new();
    for file in ["lab.test.zone", "2.0.192.in-addr.arpa.zone"] {
        match std::fs::read_to_string(dir.join(file)) {
            // start-dns.sh puts the lab key's TLSA digest in place of the template's mark.
            Ok(text) => zone.push_str(&text.replace("@TLSA_311@", &lab_tlsa_311())),
            Err(e) if ci() => panic!("{} under CI=true: {e}", dir.join(file).display()),
            Err(e) => {
                eprintln!(
                    "SKIPPED: lab zone {} not readable: {e}",
                    dir.join(file).display()
                );
                return None;
            }
        }
        zone.push('\n');
    }
    Some(Zone::from_zone_file(&zone, "").expect("the lab zone files read"))
}

#[tokio::test]
async fn answer_kinds_from_the_zone_files() {
    if let Some(zone) = lab_zone_files() {
        answer_kinds(&zone).await;
    }
}

#[tokio::test]
async fn spf_cases_from_the_zone_files() {
    if let Some(zone) = lab_zone_files() {
        spf_cases(&zone).await;
    }
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout() {
    let silent = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let dns = HickoryDns::new(&DnsOptions {
        server: Some(silent.local_addr().expect("addr")),
        timeout: Duration::from_millis(400),
        ..DnsOptions::default()
    })
    .expect("resolver");
    let l = dns.lookup("lab.test", RecordType::Txt).await;
    assert_eq!(l.answer, Answer::Timeout);
    let e = check(&dns, &client("192.0.2.1", "lab.test"), &Options::default()).await;
    assert_eq!(e.result, SpfResult::TempError);
}

fn client(ip: &str, domain: &str) -> Client {
    Client {
        ip: Some(ip.parse().expect("ip")),
        sender: format!("someone@{domain}"),
        helo: "client.lab.test".to_string(),
    }
}

#[tokio::test]
async fn spf_cases_from_knot() {
    if need_knot("spf_cases_from_knot") {
        spf_cases(&knot()).await;
    }
}

async fn spf<R: Resolver>(dns: &R, ip: &str, domain: &str) -> Evaluation {
    check(dns, &client(ip, domain), &Options::default()).await
}

/// The typed SPF result of every SPF case of the lab zone.
async fn spf_cases<R: Resolver>(dns: &R) {
    let e = spf(dns, "127.0.0.1", "lab.test").await;
    assert_eq!(e.result, SpfResult::Pass, "{e:?}");
    assert_eq!(e.matched[0].term, "ip4:127.0.0.0/8");
    assert_eq!((e.problem.clone(), e.warnings.clone()), (None, vec![]));
    let e = spf(dns, "192.0.2.10", "lab.test").await;
    assert_eq!(e.result, SpfResult::Pass);
    assert_eq!(e.matched[0].term, "ip4:192.0.2.10");
    let e = spf(dns, "203.0.113.9", "lab.test").await;
    assert_eq!(e.result, SpfResult::Fail);
    assert_eq!(e.lookups, 1, "mx");
    assert_eq!(
        e.trace.steps[3].queries.len(),
        4,
        "the MX, then A of each exchanger"
    );

    let e = spf(dns, "::1", "lab.test").await;
    assert_eq!(e.result, SpfResult::Pass);
    assert_eq!(e.matched[0].term, "ip6:::1");
    let e = spf(dns, "2001:db8::25", "lab.test").await;
    assert_eq!(e.result, SpfResult::Fail);
    let mx_step = &e.trace.steps[3];
    assert_eq!(mx_step.queries[1].rtype, RecordType::Aaaa, "{mx_step:?}");
    // Without a client: every term is walked, and the healthy record costs one lookup.
    let walk = Client {
        ip: None,
        ..client("192.0.2.1", "lab.test")
    };
    let e = check(dns, &walk, &Options::default()).await;
    assert_eq!(
        (e.result, e.lookups, e.void_lookups),
        (SpfResult::Fail, 1, 0)
    );
    let record = "v=spf1 ip4:127.0.0.0/8 ip6:::1 ip4:192.0.2.10 mx -all";
    assert_eq!(e.trace.record.as_deref(), Some(record));
    assert_eq!(e.trace.len, record.len());
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);

    let e = spf(dns, "192.0.2.1", "spf-many.lab.test").await;
    assert_eq!(e.result, SpfResult::PermError);
    assert!(
        matches!(e.problem, Some(Problem::TooManyLookups { limit: 10, .. })),
        "{e:?}"
    );

    let e = spf(dns, "192.0.2.1", "spf-loop.lab.test").await;
    assert_eq!(e.result, SpfResult::PermError);
    assert_eq!(
        e.problem,
        Some(Problem::Loop {
            domain: "spf-loop.lab.test".into()
        })
    );

    let e = spf(dns, "192.0.2.1", "spf-two.lab.test").await;
    assert_eq!(e.result, SpfResult::PermError);
    assert_eq!(
        e.problem,
        Some(Problem::MultipleRecords {
            domain: "spf-two.lab.test".into(),
            count: 2
        })
    );

    let e = spf(dns, "192.0.2.1", "spf-void.lab.test").await;
    assert_eq!(e.result, SpfResult::PermError);
    assert!(
        matches!(
            e.problem,
            Some(Problem::TooManyVoidLookups { limit: 2, .. })
        ),
        "{e:?}"
    );

    let e = spf(dns, "192.0.2.1", "spf-syntax.lab.test").await;
    assert_eq!(e.result, SpfResult::PermError);
    let Some(Problem::Syntax { errors, .. }) = &e.problem else {
        panic!("{e:?}");
    };
    let kinds: Vec<SyntaxErrorKind> = errors.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [SyntaxErrorKind::BadCidr, SyntaxErrorKind::UnknownMechanism]
    );

    let e = spf(dns, "192.0.2.1", "spf-softfail.lab.test").await;
    assert_eq!(e.result, SpfResult::SoftFail);
    assert_eq!(e.matched[0].term, "~all");

    let e = spf(dns, "192.0.2.1", "spf-none.lab.test").await;
    assert_eq!(e.result, SpfResult::None);
    assert_eq!(
        e.problem,
        Some(Problem::NoRecord {
            domain: "spf-none.lab.test".into()
        })
    );

    let e = spf(dns, "192.0.2.1", "nxhost.lab.test").await;
    assert_eq!(e.result, SpfResult::None);
    assert_eq!(e.trace.query.map(|q| q.answer), Some(Answer::NxDomain));
}

#[tokio::test]
async fn mx_rdns_dnsbl_cases_from_knot() {
    if need_knot("mx_rdns_dnsbl_cases_from_knot") {
        mail_host_cases(&knot()).await;
        // hickory answers 127.x PTR queries itself (RFC 6761): the scope says loopback.
        let r = smtp_doctor_dnsauth::rdns::check(&knot(), [127, 0, 0, 1].into()).await;
        assert_eq!(r.scope, smtp_doctor_dnsauth::rdns::Scope::Loopback);
        assert!(r.scope.is_internal());
        assert_eq!(r.names.first().map(|n| n.name.as_str()), Some("localhost"));
    }
}

#[tokio::test]
async fn mx_rdns_dnsbl_cases_from_the_zone_files() {
    if let Some(zone) = lab_zone_files() {
        mail_host_cases(&zone).await;
    }
}

/// The MX, reverse DNS and blocklist findings of every such case of the lab zone, and a clean
/// `lab.test`.
async fn mail_host_cases<R: Resolver>(dns: &R) {
    use smtp_doctor_dnsauth::dns::AnswerKind;
    use smtp_doctor_dnsauth::dnsbl::{self, DnsblStatus};
    use smtp_doctor_dnsauth::{mx, rdns};
    use std::net::IpAddr;

    let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
    let healthy = mx::check(dns, "lab.test").await;
    assert!(healthy.problems.is_empty(), "{:?}", healthy.problems);
    assert_eq!(healthy.addresses(), [ip("127.0.0.1"), ip("::1")]);
    let hosts: Vec<(u16, &str)> = healthy
        .exchangers
        .iter()
        .map(|e| (e.preference, e.host.name.as_str()))
        .collect();
    assert_eq!(
        hosts,
        [
            (10, "mx.lab.test"),
            (20, "mx2.lab.test"),
            (30, "mx3.lab.test")
        ]
    );
    let mx1 = &healthy.exchangers[0].host;
    assert_eq!(
        mx1.addresses().collect::<Vec<_>>(),
        [ip("127.0.0.1"), ip("::1")]
    );
    let mx2 = &healthy.exchangers[1].host;
    assert_eq!(
        mx2.aaaa.as_ref().map(|a| a.answer),
        Some(AnswerKind::Nodata)
    );
    assert!(healthy.evidence().is_empty());

    let r = mx::check(dns, "nomx.lab.test").await;
    assert_eq!(
        r.problems,
        [mx::MxProblem::ImplicitMx {
            mx: AnswerKind::Nodata,
            addresses: vec![ip("127.0.0.1")]
        }]
    );
    let r = mx::check(dns, "nullmx.lab.test").await;
    assert!(r.null_mx);
    assert_eq!(r.problems, [mx::MxProblem::NullMx]);
    // deadmx's host has an address: nothing listening there is for the probe to find.
    let r = mx::check(dns, "deadmx.lab.test").await;
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(
        r.exchangers[0].host.addresses().collect::<Vec<_>>(),
        [ip("127.0.0.9")]
    );
    let r = mx::check(dns, "danglingmx.lab.test").await;
    assert_eq!(
        r.problems,
        [mx::MxProblem::Dangling {
            host: "nxhost.lab.test".into(),
            a: AnswerKind::Nxdomain,
            aaaa: AnswerKind::Nxdomain
        }]
    );
    let r = mx::check(dns, "cnamemx.lab.test").await;
    assert_eq!(
        r.problems,
        [mx::MxProblem::CnameTarget {
            host: "alias.lab.test".into(),
            chain: vec!["mx.lab.test".into()]
        }]
    );
    let r = mx::check(dns, "ipmx.lab.test").await;
    assert_eq!(
        r.problems,
        [mx::MxProblem::IpLiteral {
            host: "127.0.0.1".into()
        }]
    );
    for (domain, problems) in [
        ("nomx.lab.test", 1),
        ("danglingmx.lab.test", 1),
        ("ipmx.lab.test", 1),
    ] {
        let e = mx::check(dns, domain).await.evidence();
        assert_eq!(e.len(), problems, "{domain}");
        assert!(e[0].text.contains(domain), "{:?}", e[0].text);
    }

    let r = rdns::check(dns, ip("192.0.2.11")).await;
    assert!(r.confirmed && r.problems.is_empty(), "{r:?}");
    assert_eq!(r.names[0].name, "fcrdns-ok.lab.test");
    let r = rdns::check(dns, ip("192.0.2.10")).await;
    assert_eq!(
        r.problems,
        [rdns::RdnsProblem::NotConfirmed {
            names: vec!["mx.lab.test".into()]
        }]
    );
    let r = rdns::check(dns, ip("192.0.2.12")).await;
    assert!(r.confirmed);
    assert!(
        matches!(&r.problems[..], [rdns::RdnsProblem::GenericName { name, generic }]
            if name == "generic-192-0-2-12.dynamic.lab.test" && generic.holds_address),
        "{:?}",
        r.problems
    );
    let r = rdns::check(dns, ip("192.0.2.13")).await;
    assert!(r.confirmed);
    assert_eq!(
        r.problems,
        [rdns::RdnsProblem::SeveralNames {
            names: vec!["a.lab.test".into(), "b.lab.test".into()]
        }]
    );
    assert_eq!(
        r.names.iter().map(|n| n.confirmed).collect::<Vec<_>>(),
        [true, false]
    );
    let r = rdns::check(dns, ip("192.0.2.14")).await;
    assert_eq!(
        r.problems,
        [rdns::RdnsProblem::NoPtr {
            answer: AnswerKind::Nxdomain
        }]
    );
    assert!(r.evidence()[0]
        .text
        .contains("192.0.2.14 has no PTR record"));

    let zones = ["dnsbl.lab.test", "dnsbl-refuse.lab.test"];
    let options = dnsbl::Options { self_test: true };
    let r = dnsbl::check_with(dns, ip("192.0.2.10"), &zones, &options).await;
    assert_eq!(r[0].status, DnsblStatus::Listed);
    assert_eq!(r[0].codes, [std::net::Ipv4Addr::new(127, 0, 0, 4)]);
    assert_eq!(
        r[0].reason.as_deref(),
        Some("192.0.2.10 is listed in dnsbl.lab.test: see https://dnsbl.lab.test/lookup")
    );
    assert!(r[0].self_test.as_ref().is_some_and(dnsbl::SelfTest::passed));
    assert_eq!(r[1].status, DnsblStatus::QueryRefused);
    assert_eq!(r[1].codes, [std::net::Ipv4Addr::new(127, 255, 255, 254)]);
    assert!(!r[1].self_test.as_ref().is_some_and(dnsbl::SelfTest::passed));
    let e = dnsbl::evidence(&r);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[1].text.contains("refused the query for 192.0.2.10"));
    let clean = dnsbl::check(dns, ip("192.0.2.11"), &zones[..1]).await;
    assert_eq!(clean[0].status, DnsblStatus::NotListed);
    assert!(dnsbl::evidence(&clean).is_empty());
}

/// The DER of the lab servers' certificate (`$SMTP_LAB_DIR/tls/cert.pem`), or `None` (a notice;
/// a failure under CI) without it.
fn lab_cert() -> Option<Vec<u8>> {
    let dir = std::env::var_os("SMTP_LAB_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("/tmp/smtp-doctor-lab"));
    let path = dir.join("tls/cert.pem");
    match std::fs::read(&path) {
        Ok(pem) => {
            let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).expect("the lab certificate");
            Some(pem.contents)
        }
        Err(e) if ci() => panic!("{} under CI=true: {e}", path.display()),
        Err(e) => {
            eprintln!(
                "SKIPPED: lab certificate {} not readable: {e}",
                path.display()
            );
            None
        }
    }
}

/// The hex SHA-256 of the lab certificate's public key (what start-dns.sh publishes as
/// `3 1 1`), or zeros without the certificate.
fn lab_tlsa_311() -> String {
    use x509_parser::prelude::FromDer as _;
    let Some(der) = lab_cert() else {
        return "00".repeat(32);
    };
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(&der).expect("X.509");
    let spki = cert.tbs_certificate.subject_pki.raw;
    ring::digest::digest(&ring::digest::SHA256, spki)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn dane_cases_from_knot() {
    if need_knot("dane_cases_from_knot") {
        dane_cases(&knot()).await;
    }
}

#[tokio::test]
async fn dane_cases_from_the_zone_files() {
    if let Some(zone) = lab_zone_files() {
        dane_cases(&zone).await;
    }
}

/// The lab's TLSA records: `mx` on ports 25 and 2525 match the lab certificate, `mx2`'s digest
/// of zeros does not, `mx3` has none; the zone is unsigned, so none is DNSSEC-validated.
async fn dane_cases<R: Resolver>(dns: &R) {
    use smtp_doctor_dnsauth::dane::{check, DaneProblem, DaneResult};
    use smtp_doctor_dnsauth::dns::AnswerKind;
    let Some(cert) = lab_cert() else { return };
    for port in [25, 2525] {
        let mut r = check(dns, "mx.lab.test", port).await;
        assert_eq!(r.answer, AnswerKind::Records, "port {port}");
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.problems[0], DaneProblem::NotValidated { records: 1 });
        assert!(matches!(
            r.problems[1],
            DaneProblem::NoRolloverRecord { .. }
        ));
        assert!(matches!(
            r.match_chain(std::slice::from_ref(&cert)),
            Some(DaneResult::Matched { certificate: 0, .. })
        ));
        assert_eq!(r.problems.len(), 2);
    }
    let mut r = check(dns, "mx2.lab.test", 25).await;
    r.match_chain(std::slice::from_ref(&cert));
    assert_eq!(r.problems.last(), Some(&DaneProblem::NoMatch { usable: 1 }));
    let r = check(dns, "mx3.lab.test", 25).await;
    assert_eq!(r.answer, AnswerKind::Nxdomain);
    assert!(r.problems.is_empty());
}
