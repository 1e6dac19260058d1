//! Resolution through hickory against a tiny in-process UDP DNS server on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Esmtp, TEST_LIMIT};
use hickory_resolver::proto::op::{Message, MessageType, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, MX};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use smtp_doctor_model::probe::{DnsErrorKind, HostOrigin, Outcome, ProbeReport};
use smtp_doctor_probe::{probe, resolution_evidence, ProbeOptions, Target, Timeouts};
use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;
use tokio::net::UdpSocket;

/// The answer for one question of the test zone.
fn answer(name: &str, rtype: RecordType) -> (ResponseCode, Vec<RData>) {
    let mx = |p, n: &str| RData::MX(MX::new(p, Name::from_str(n).unwrap()));
    let a = || RData::A(A(Ipv4Addr::LOCALHOST));
    match (name, rtype) {
        ("lab.test.", RecordType::MX) => (
            ResponseCode::NoError,
            // Out of order on purpose: the probe sorts by preference.
            vec![mx(20, "mx2.lab.test."), mx(10, "mx1.lab.test.")],
        ),
        ("nullmx.test.", RecordType::MX) => (ResponseCode::NoError, vec![mx(0, ".")]),
        ("mx1.lab.test." | "mx2.lab.test." | "host.test.", RecordType::A) => {
            (ResponseCode::NoError, vec![a()])
        }
        ("lab.test." | "mx1.lab.test." | "mx2.lab.test." | "host.test." | "nullmx.test.", _) => {
            (ResponseCode::NoError, vec![])
        }
        ("broken.test.", _) => (ResponseCode::ServFail, vec![]),
        _ => (ResponseCode::NXDomain, vec![]),
    }
}

async fn dns_server() -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while let Ok((n, peer)) = socket.recv_from(&mut buf).await {
            let Ok(query) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut reply = Message::new();
            reply
                .set_id(query.id())
                .set_message_type(MessageType::Response)
                .set_op_code(query.op_code())
                .set_recursion_desired(query.recursion_desired())
                .set_recursion_available(true)
                .set_authoritative(true);
            if let Some(q) = query.queries().first() {
                reply.add_query(q.clone());
                let name = q.name().to_ascii().to_ascii_lowercase();
                let (code, rdatas) = answer(&name, q.query_type());
                reply.set_response_code(code);
                for rd in rdatas {
                    reply.add_answer(Record::from_rdata(q.name().clone(), 60, rd));
                }
            }
            if let Ok(bytes) = reply.to_vec() {
                let _ = socket.send_to(&bytes, peer).await;
            }
        }
    });
    addr
}

async fn run(target: &str, dns: SocketAddr, port: u16) -> ProbeReport {
    let opts = ProbeOptions {
        dns_server: Some(dns),
        port: Some(port),
        timeouts: Timeouts {
            resolve: Duration::from_secs(5),
            connect: Duration::from_secs(2),
            banner: Duration::from_secs(5),
            command: Duration::from_secs(5),
            total: Duration::from_secs(15),
        },
        ..ProbeOptions::default()
    };
    tokio::time::timeout(TEST_LIMIT, probe(&Target::parse(target).unwrap(), &opts))
        .await
        .expect("the probe finished within the test limit")
}

#[tokio::test]
async fn an_address_target_walks_the_mx_set_in_preference_order() {
    let dns = dns_server().await;
    let server = Esmtp::new();
    let smtp = server.clone().start().await;
    let report = run("someone@lab.test", dns, smtp.port()).await;
    let res = &report.resolution;
    assert!(res.errors.is_empty(), "{:?}", res.errors);
    let names: Vec<_> = res
        .mx
        .iter()
        .map(|h| (h.name.as_str(), h.preference))
        .collect();
    assert_eq!(
        names,
        [("mx1.lab.test", Some(10)), ("mx2.lab.test", Some(20))]
    );
    assert!(res.mx.iter().all(|h| h.origin == HostOrigin::Mx));
    assert!(res.mx.iter().all(|h| h.addresses == [Ipv4Addr::LOCALHOST]));
    assert_eq!(report.attempts.len(), 2);
    for a in &report.attempts {
        assert_eq!(a.outcome, Outcome::Completed, "{a:#?}");
    }
    assert_eq!(report.attempts[0].host, "mx1.lab.test");
    let rcpts: Vec<_> = server
        .received()
        .into_iter()
        .filter(|l| l.starts_with("RCPT"))
        .collect();
    assert_eq!(
        rcpts,
        ["RCPT TO:<someone@lab.test>", "RCPT TO:<someone@lab.test>"]
    );
    assert!(resolution_evidence(res).is_empty());
}

#[tokio::test]
async fn dns_failures_are_data() {
    let dns = dns_server().await;
    // Port 9 on loopback is never contacted: these names have no mail host.
    let report = run("missing.test", dns, 9).await;
    assert!(report.attempts.is_empty());
    let e = &report.resolution.errors;
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(
        (e[0].name.as_str(), e[0].rtype.as_str(), e[0].kind),
        ("missing.test", "MX", DnsErrorKind::Nxdomain)
    );
    assert!(resolution_evidence(&report.resolution)[0]
        .text
        .starts_with("Host or domain name not found"));

    let report = run("broken.test", dns, 9).await;
    assert!(report.attempts.is_empty());
    assert_eq!(
        report.resolution.errors[0].kind,
        DnsErrorKind::Servfail,
        "{:?}",
        report.resolution.errors
    );

    let report = run("nullmx.test", dns, 9).await;
    assert!(report.resolution.null_mx);
    assert!(report.attempts.is_empty());
    assert!(resolution_evidence(&report.resolution)[0]
        .text
        .contains("null MX"));
}

#[tokio::test]
async fn a_domain_without_mx_is_its_own_mail_host() {
    let dns = dns_server().await;
    let smtp = Esmtp::new().start().await;
    let report = run("host.test", dns, smtp.port()).await;
    let res = &report.resolution;
    assert_eq!(res.mx.len(), 1);
    assert_eq!(res.mx[0].origin, HostOrigin::ImplicitMx);
    assert_eq!(res.mx[0].addresses, [Ipv4Addr::LOCALHOST]);
    // Neither the missing MX (the origin says it) nor the missing AAAA beside an A is an error.
    assert!(res.errors.is_empty(), "{:?}", res.errors);
    assert!(resolution_evidence(res).is_empty());
    assert_eq!(report.attempts.len(), 1);
    assert_eq!(report.attempts[0].outcome, Outcome::Completed);
}
