//! The MTA-STS policy fetch against a local HTTPS server (127.0.0.1, a free port) whose
//! certificate for `mta-sts.lab.test` comes from a test CA; the name is resolved through an
//! in-memory zone, and once through the lab Knot server.

mod policy_server;

use policy_server::tls::{self_signed, Identity, Pki};
use policy_server::{https, response};
use smtp_doctor_dnsauth::dns::{DnsOptions, HickoryDns, Mx, Rdata, RecordType, Resolver, Zone};
use smtp_doctor_dnsauth::mtasts::fetch::{fetch, FetchOptions, FetchProblem, FetchReport};
use smtp_doctor_dnsauth::mtasts::StsMode;
use smtp_doctor_model::probe::CertProblemKind;
use std::net::SocketAddr;
use std::time::Duration;

const POLICY: &str =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.lab.test\r\nmx: *.lab.test\r\nmax_age: 86400\r\n";

fn lab_zone() -> Zone {
    let mut z = Zone::new();
    z.add("mta-sts.lab.test", Rdata::A([127, 0, 0, 1].into()));
    z
}

fn options(pki: &Pki, port: u16) -> FetchOptions {
    FetchOptions {
        https_port: port,
        ca_pem: Some(pki.ca_pem.clone().into_bytes()),
        total_timeout: Duration::from_secs(10),
        ..FetchOptions::default()
    }
}

/// Serves `reply` as a good certificate would and fetches it.
async fn fetch_reply(reply: Vec<u8>) -> FetchReport {
    let pki = Pki::new();
    let addr = https(
        &pki.leaf(&["mta-sts.lab.test"], false),
        reply,
        Duration::ZERO,
    )
    .await;
    fetch(&lab_zone(), "lab.test", &options(&pki, addr.port())).await
}

fn text_plain() -> &'static str {
    "Content-Type: text/plain; charset=utf-8\r\n"
}

#[tokio::test]
async fn good_policy_and_the_mx_set() {
    let mut r = fetch_reply(response("200 OK", text_plain(), POLICY.as_bytes())).await;
    assert_eq!(r.problems, []);
    assert_eq!(r.status, Some(200));
    let policy = r.policy.clone().expect("policy");
    assert_eq!(policy.mode, StsMode::Enforce);
    let mut zone = lab_zone();
    for (p, host) in [(10, "mx.lab.test"), (20, "mx2.lab.test")] {
        zone.add(
            "lab.test",
            Rdata::Mx(Mx {
                preference: p,
                exchange: host.into(),
            }),
        );
        zone.add(host, Rdata::A([127, 0, 0, 1].into()));
    }
    let mx = smtp_doctor_dnsauth::mx::check(&zone, "lab.test").await;
    r.check_mx(&mx);
    assert_eq!(r.problems, []);

    zone.add(
        "lab.test",
        Rdata::Mx(Mx {
            preference: 30,
            exchange: "mail.example.net".into(),
        }),
    );
    zone.add("mail.example.net", Rdata::A([192, 0, 2, 9].into()));
    let mx = smtp_doctor_dnsauth::mx::check(&zone, "lab.test").await;
    r.check_mx(&mx);
    assert_eq!(
        r.problems,
        [FetchProblem::MxNotCovered {
            mode: StsMode::Enforce,
            hosts: vec!["mail.example.net".into()],
            patterns: vec!["mx.lab.test".into(), "*.lab.test".into()],
        }]
    );
    let text = &r.evidence()[0].text;
    assert!(text.starts_with("dns check: the MX host mail.example.net of lab.test matches none of the MTA-STS policy's mx patterns"), "{text}");
}

#[tokio::test]
async fn wrong_content_type() {
    let r = fetch_reply(response(
        "200 OK",
        "Content-Type: text/html\r\n",
        POLICY.as_bytes(),
    ))
    .await;
    assert_eq!(
        r.problems,
        [FetchProblem::ContentType {
            found: "text/html".into()
        }]
    );
    assert_eq!(r.policy, None);
}

#[tokio::test]
async fn redirect_is_not_followed() {
    let r = fetch_reply(response(
        "301 Moved Permanently",
        "Location: https://www.example.com/mta-sts.txt\r\n",
        b"",
    ))
    .await;
    assert_eq!(
        r.problems,
        [FetchProblem::Redirect {
            status: 301,
            location: Some("https://www.example.com/mta-sts.txt".into())
        }]
    );
}

#[tokio::test]
async fn not_found() {
    let r = fetch_reply(response("404 Not Found", text_plain(), b"no")).await;
    assert_eq!(r.problems, [FetchProblem::Status { status: 404 }]);
}

#[tokio::test]
async fn oversize_body() {
    let body = vec![b'x'; 200 * 1024];
    let r = fetch_reply(response("200 OK", text_plain(), &body)).await;
    assert!(
        matches!(r.problems.as_slice(), [FetchProblem::TooLarge { .. }]),
        "{:?}",
        r.problems
    );
}

#[tokio::test]
async fn slow_server_hits_the_deadline() {
    let pki = Pki::new();
    let reply = response("200 OK", text_plain(), POLICY.as_bytes());
    let addr = https(
        &pki.leaf(&["mta-sts.lab.test"], false),
        reply,
        Duration::from_secs(30),
    )
    .await;
    let opts = FetchOptions {
        total_timeout: Duration::from_millis(300),
        ..options(&pki, addr.port())
    };
    let r = fetch(&lab_zone(), "lab.test", &opts).await;
    assert_eq!(r.problems, [FetchProblem::Timeout { limit_ms: 300 }]);
}

async fn cert_problem(id: &Identity, pki: &Pki) -> Vec<FetchProblem> {
    let reply = response("200 OK", text_plain(), POLICY.as_bytes());
    let addr = https(id, reply, Duration::ZERO).await;
    fetch(&lab_zone(), "lab.test", &options(pki, addr.port()))
        .await
        .problems
}

#[tokio::test]
async fn certificate_problems_are_typed() {
    let pki = Pki::new();
    let kinds = |p: Vec<FetchProblem>| -> Vec<CertProblemKind> {
        p.into_iter()
            .filter_map(|p| match p {
                FetchProblem::Certificate { problem, .. } => Some(problem),
                _ => None,
            })
            .collect()
    };
    let other = pki.leaf(&["www.example.com"], false);
    assert_eq!(
        kinds(cert_problem(&other, &pki).await),
        [CertProblemKind::NameMismatch]
    );
    let untrusted = self_signed(&["mta-sts.lab.test"]);
    assert_eq!(
        kinds(cert_problem(&untrusted, &pki).await),
        [CertProblemKind::UnknownIssuer]
    );
    let expired = pki.leaf(&["mta-sts.lab.test"], true);
    assert_eq!(
        kinds(cert_problem(&expired, &pki).await),
        [CertProblemKind::Expired]
    );
}

#[tokio::test]
async fn no_address_for_the_policy_host() {
    let r = fetch(&Zone::new(), "example.org", &FetchOptions::default()).await;
    assert!(matches!(
        r.problems.as_slice(),
        [FetchProblem::NoAddress { .. }]
    ));
    assert_eq!(r.url, "https://mta-sts.example.org/.well-known/mta-sts.txt");
}

/// Through the lab Knot server (127.0.0.1:5353): `mta-sts.lab.test A 127.0.0.1` and the
/// `_mta-sts` TXT record. Skipped (a notice) when Knot does not answer, except under CI.
#[tokio::test]
async fn policy_host_resolved_through_knot() {
    let knot: SocketAddr = "127.0.0.1:5353".parse().expect("address");
    let up = std::net::TcpStream::connect_timeout(&knot, Duration::from_secs(2)).is_ok();
    if !up {
        smtp_doctor_testkit::skip(&format!(
            "the lab Knot does not answer on {knot} (policy_host_resolved_through_knot)"
        ));
        return;
    }
    let dns = HickoryDns::new(&DnsOptions {
        server: Some(knot),
        timeout: Duration::from_secs(3),
        ..DnsOptions::default()
    })
    .expect("resolver");
    let txt = dns.lookup("_mta-sts.lab.test", RecordType::Txt).await;
    let record: Vec<u8> = txt.txt().flat_map(|t| t.concat()).collect();
    assert!(smtp_doctor_dnsauth::mtasts::parse_record(&String::from_utf8_lossy(&record)).is_ok());
    let pki = Pki::new();
    let reply = response("200 OK", text_plain(), POLICY.as_bytes());
    let addr = https(
        &pki.leaf(&["mta-sts.lab.test"], false),
        reply,
        Duration::ZERO,
    )
    .await;
    let r = fetch(&dns, "lab.test", &options(&pki, addr.port())).await;
    assert_eq!(r.problems, []);
    assert_eq!(r.address, Some([127, 0, 0, 1].into()));
    assert!(r.policy.is_some());
}

#[tokio::test]
async fn nothing_listening() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = free.local_addr().expect("address").port();
    drop(free);
    let pki = Pki::new();
    let r = fetch(&lab_zone(), "lab.test", &options(&pki, port)).await;
    assert!(
        matches!(r.problems.as_slice(), [FetchProblem::ConnectFailed { port: p, .. }] if *p == port),
        "{:?}",
        r.problems
    );
    assert!(r.evidence()[0]
        .text
        .contains(&format!("port {port} of mta-sts.lab.test")));
}
