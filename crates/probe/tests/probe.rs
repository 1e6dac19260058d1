//! The probe against small scripted servers on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use common::{acceptor, self_signed, serve, Esmtp, Peer, Pki, TEST_LIMIT};
use smtp_doctor_model::probe::{
    AnomalyKind, Attempt, CertProblemKind, Direction, LimitKind, Outcome, ProbeError, ProbeReport,
    TlsMode,
};
use smtp_doctor_model::{ReplyCode, Stage};
use smtp_doctor_probe::{
    evidence, probe, Auth, AuthMechanism, ProbeOptions, Target, Timeouts, TlsPolicy,
};
use smtp_doctor_wire::Secret;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

fn target(addr: SocketAddr) -> Target {
    Target::parse(&addr.to_string()).unwrap()
}

fn fast() -> Timeouts {
    Timeouts {
        resolve: Duration::from_secs(2),
        connect: Duration::from_secs(2),
        banner: Duration::from_secs(5),
        command: Duration::from_secs(5),
        total: Duration::from_secs(15),
    }
}

fn opts() -> ProbeOptions {
    ProbeOptions {
        timeouts: fast(),
        ..ProbeOptions::default()
    }
}

/// [`opts`] with one deadline changed.
fn with_timeouts(change: impl FnOnce(&mut Timeouts)) -> ProbeOptions {
    let mut o = opts();
    change(&mut o.timeouts);
    o
}

async fn run(addr: SocketAddr, opts: &ProbeOptions) -> ProbeReport {
    tokio::time::timeout(TEST_LIMIT, probe(&target(addr), opts))
        .await
        .expect("the probe finished within the test limit")
}

fn only(report: &ProbeReport) -> &Attempt {
    assert_eq!(report.attempts.len(), 1, "{report:#?}");
    &report.attempts[0]
}

fn stages(a: &Attempt) -> Vec<Stage> {
    a.stages.iter().map(|s| s.stage).collect()
}

fn error_at(a: &Attempt, stage: Stage) -> &ProbeError {
    a.stages
        .iter()
        .find(|s| s.stage == stage)
        .and_then(|s| s.error.as_ref())
        .unwrap_or_else(|| panic!("no error at {stage}: {a:#?}"))
}

fn evidence_texts(a: &Attempt) -> Vec<String> {
    evidence(a).into_iter().map(|e| e.text).collect()
}

/// Probes `addr`, asserts that the attempt failed at `stage` with one piece of evidence, and
/// returns its text.
async fn failure_evidence(addr: SocketAddr, opts: &ProbeOptions, stage: Stage) -> String {
    let a = run(addr, opts).await.attempts.remove(0);
    assert_eq!(a.outcome, Outcome::Failed { stage }, "{a:#?}");
    let mut texts = evidence_texts(&a);
    assert_eq!(texts.len(), 1, "{texts:?}");
    texts.remove(0)
}

fn code(n: u16) -> ReplyCode {
    ReplyCode::new(n).unwrap()
}

#[tokio::test]
async fn healthy_starttls_dialogue_is_verified_and_recorded() {
    let pki = Pki::new();
    let server = Esmtp {
        tls: Some(acceptor(&pki.leaf(&["mx.test"], false))),
        ..Esmtp::new()
    };
    let log = server.log.clone();
    let addr = server.start().await;
    let opts = ProbeOptions {
        ca_pem: Some(pki.ca_pem.clone().into_bytes()),
        sni: Some("mx.test".into()),
        from: Some("probe@client.test".into()),
        to: vec!["user@mx.test".into()],
        data: true,
        ..opts()
    };
    let report = run(addr, &opts).await;
    let a = only(&report);
    assert_eq!(a.outcome, Outcome::Completed, "{a:#?}");
    assert_eq!(
        stages(a),
        [
            Stage::Connect,
            Stage::Banner,
            Stage::Ehlo,
            Stage::StartTls,
            Stage::Tls,
            Stage::Ehlo,
            Stage::Mail,
            Stage::Rcpt,
            Stage::Data,
            Stage::EndOfData,
            Stage::Quit
        ]
    );
    assert!(a.stages.iter().all(|s| s.error.is_none()));
    assert_eq!(a.tls_mode, TlsMode::StartTls);
    let tls = a.tls.as_ref().unwrap();
    assert_eq!(tls.version.as_deref(), Some("TLSv1.3"));
    assert!(
        tls.cipher.as_deref().unwrap().starts_with("TLS13_"),
        "{tls:?}"
    );
    assert_eq!(tls.sni.as_deref(), Some("mx.test"));
    assert!(tls.verified, "{tls:?}");
    assert_eq!(tls.verify_error, None);
    assert_eq!(tls.chain.len(), 1);
    assert_eq!(tls.chain[0].san, ["mx.test"]);
    assert!(tls.chain[0].issuer.contains("smtp-doctor test CA"));
    assert!(tls.chain[0].subject.contains("mx.test"));
    assert!(!tls.chain[0].self_signed);
    assert!(tls.chain[0].not_after.ends_with('Z'));
    let banner = a.banner.as_ref().unwrap();
    assert_eq!(banner.hostname.as_deref(), Some("mx.test"));
    assert_eq!(banner.software.as_deref(), Some("Postfix"));
    assert_eq!(banner.matches_ehlo, Some(true));
    assert_eq!(banner.ehlo_name.as_deref(), Some("mx.test"));
    // Loopback: named by RFC 6761, not looked up, not compared.
    let ptr = banner.ptr.as_ref().unwrap();
    assert_eq!(ptr.source, smtp_doctor_model::probe::PtrSource::SpecialUse);
    assert_eq!(ptr.names, ["localhost"]);
    assert_eq!(banner.matches_ptr, None);
    assert!(smtp_doctor_probe::observations(a).is_empty());
    let ehlo = a.ehlo.as_ref().unwrap();
    assert!(ehlo.over_tls && ehlo.pipelining && ehlo.eight_bit_mime);
    assert_eq!(ehlo.size, Some(10_240_000));
    assert!(!ehlo.starttls, "STARTTLS is not advertised after TLS");
    assert_eq!(ehlo.auth, ["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"]);
    assert!(!ehlo.auth_before_tls);
    assert!(a.anomalies.is_empty(), "{:?}", a.anomalies);
    // The transcript has every line with offsets, and TLS notes.
    let t = &a.transcript;
    assert!(t
        .iter()
        .any(|l| l.dir == Direction::Received && l.text.starts_with("220 mx.test ESMTP")));
    assert!(t
        .iter()
        .any(|l| l.dir == Direction::Sent && l.text == "STARTTLS"));
    assert!(t
        .iter()
        .any(|l| l.dir == Direction::Note && l.text.contains("TLS established: TLSv1.3")));
    assert!(t.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    // The server got the message.
    let received = log.lock().unwrap().clone();
    assert!(
        received
            .iter()
            .any(|l| l == "Subject: smtp-doctor test message"),
        "{received:?}"
    );
    assert!(received.iter().any(|l| l == "RCPT TO:<user@mx.test>"));
    assert!(evidence(a).is_empty());
    // The report is JSON.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["attempts"][0]["tls_mode"], "starttls");
    assert_eq!(json["attempts"][0]["stages"][1]["reply"]["code"], 220);
}

#[tokio::test]
async fn implicit_tls_is_used_when_asked() {
    let pki = Pki::new();
    let addr = Esmtp {
        tls: Some(acceptor(&pki.leaf(&["mx.test"], false))),
        implicit: true,
        ..Esmtp::new()
    }
    .start()
    .await;
    let opts = ProbeOptions {
        tls: TlsPolicy::Implicit,
        ca_pem: Some(pki.ca_pem.clone().into_bytes()),
        sni: Some("mx.test".into()),
        ..opts()
    };
    let report = run(addr, &opts).await;
    let a = only(&report);
    assert_eq!(a.outcome, Outcome::Completed, "{a:#?}");
    assert_eq!(a.tls_mode, TlsMode::Implicit);
    assert_eq!(
        stages(a),
        [
            Stage::Connect,
            Stage::Tls,
            Stage::Banner,
            Stage::Ehlo,
            Stage::Quit
        ]
    );
    assert!(a.tls.as_ref().unwrap().verified);
    assert!(a.ehlo.as_ref().unwrap().over_tls);
}

#[tokio::test]
async fn refused_connection_keeps_its_errno() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let report = run(addr, &opts()).await;
    let a = only(&report);
    assert_eq!(
        a.outcome,
        Outcome::Failed {
            stage: Stage::Connect
        }
    );
    assert_eq!(
        error_at(a, Stage::Connect),
        &ProbeError::Refused { errno: Some(111) }
    );
    assert_eq!(evidence_texts(a), ["Connection refused (111)"]);
    assert_eq!(evidence(a)[0].stage, Some(Stage::Connect));
}

#[tokio::test]
async fn silent_server_times_out_naming_the_banner() {
    let addr = serve(|s| async move { Peer::new(s).hold().await }).await;
    let opts = with_timeouts(|t| t.banner = Duration::from_millis(300));
    let report = run(addr, &opts).await;
    let a = only(&report);
    assert_eq!(
        a.outcome,
        Outcome::Failed {
            stage: Stage::Banner
        }
    );
    assert_eq!(
        error_at(a, Stage::Banner),
        &ProbeError::Timeout {
            stage: Stage::Banner,
            limit_ms: 300,
            total: false,
            partial: None
        }
    );
    let texts = evidence_texts(a);
    assert_eq!(texts.len(), 1);
    assert!(texts[0].contains("no banner within 300 ms"), "{texts:?}");
}

#[tokio::test]
async fn a_banner_timeout_shows_what_arrived() {
    // A greeting dripping in too slowly; a line without a reply code, then silence.
    let cases: [(&[&'static str], &str); 2] = [
        (&["2", "2", "0", " ", "s"], "220 s"),
        (&["please wait\r\n"], "please wait\\x0d\\x0a"),
    ];
    for (chunks, shown) in cases {
        let addr = serve(move |s| async move {
            let mut p = Peer::new(s);
            for c in chunks {
                p.send(c).await;
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            p.hold().await;
        })
        .await;
        let opts = with_timeouts(|t| t.banner = Duration::from_millis(400));
        let a = run(addr, &opts).await.attempts.remove(0);
        let ProbeError::Timeout { partial, .. } = error_at(&a, Stage::Banner) else {
            panic!("{a:#?}")
        };
        assert_eq!(partial.as_deref(), Some(shown));
        let text = &evidence_texts(&a)[0];
        assert!(text.contains("no banner within 400 ms"), "{text}");
        assert!(text.contains(&format!("received only {shown:?}")), "{text}");
    }
}

#[tokio::test]
async fn bytes_before_the_banner_are_their_own_anomaly() {
    let addr = Esmtp {
        banner: "Welcome!\r\n\r\n220 mx.test ESMTP\r\n".into(),
        ..Esmtp::new()
    }
    .start()
    .await;
    let opts = ProbeOptions {
        tls: TlsPolicy::None,
        ..opts()
    };
    let a = run(addr, &opts).await.attempts.remove(0);
    assert_eq!(a.outcome, Outcome::Completed, "{a:#?}");
    let banner = a.stages.iter().find(|s| s.stage == Stage::Banner).unwrap();
    assert_eq!(banner.reply.as_ref().map(|r| r.code), Some(code(220)));
    assert_eq!(banner.anomalies.len(), 1, "{banner:#?}");
    assert_eq!(banner.anomalies[0].kind, AnomalyKind::BytesBeforeBanner);
    assert!(banner.anomalies[0]
        .detail
        .starts_with("12 bytes in 2 lines without a reply code came before the greeting"));
    assert_eq!(
        a.banner.as_ref().and_then(|b| b.hostname.as_deref()),
        Some("mx.test")
    );
    let texts = evidence_texts(&a);
    assert_eq!(
        texts,
        ["protocol anomaly, bytes before the SMTP greeting: 12 bytes in 2 lines without a reply code came before the greeting"]
    );
    // The junk is in the transcript as received.
    assert!(a.transcript.iter().any(|l| l.text == "Welcome!"));
}

#[tokio::test]
async fn starttls_that_never_gets_an_answer_names_a_middlebox() {
    let addr = serve(|s| async move {
        let mut p = Peer::new(s);
        p.send("220 mx.example.test ESMTP\r\n").await;
        while let Some(line) = p.line().await {
            if line.starts_with("EHLO") {
                p.send("250-mx.example.test\r\n250 STARTTLS\r\n").await;
            } else {
                // STARTTLS, swallowed as by a firewall that drops the packet.
                p.hold().await;
            }
        }
    })
    .await;
    let opts = with_timeouts(|t| t.command = Duration::from_millis(300));
    let text = failure_evidence(addr, &opts, Stage::StartTls).await;
    assert!(
        text.starts_with("timed out waiting for the reply to STARTTLS: no reply within 300 ms")
            && text
                .ends_with("something on the path may be dropping STARTTLS (STARTTLS stripping)"),
        "{text}"
    );
}

#[tokio::test]
async fn starttls_masked_by_a_firewall_is_named() {
    // What a Cisco ASA with ESMTP inspection makes of "250-STARTTLS".
    let addr = Esmtp {
        extensions: vec!["XXXXXXXA".into(), "8BITMIME".into()],
        ..Esmtp::new()
    }
    .start()
    .await;
    // Auto: the probe goes on in plain text, and says why.
    let a = run(addr, &opts()).await.attempts.remove(0);
    assert_eq!(a.outcome, Outcome::Completed, "{a:#?}");
    assert!(
        a.anomalies
            .iter()
            .any(|x| x.kind == AnomalyKind::StartTlsMasked),
        "{:?}",
        a.anomalies
    );
    assert_eq!(
        evidence_texts(&a),
        ["STARTTLS not offered, so the session stays unencrypted: the EHLO reply has XXXXXXXA where STARTTLS would stand: a middlebox (such as Cisco ESMTP inspection) masked STARTTLS"]
    );
    // STARTTLS required: one piece of evidence, the refusal, naming the mask.
    let opts = ProbeOptions {
        tls: TlsPolicy::StartTls,
        ..opts()
    };
    let text = failure_evidence(addr, &opts, Stage::StartTls).await;
    assert!(
        text.starts_with("TLS required but the server does not offer STARTTLS")
            && text.contains("XXXXXXXA where STARTTLS would stand"),
        "{text}"
    );
}

#[tokio::test]
async fn close_before_greeting() {
    let addr = serve(|s| async move { drop(s) }).await;
    let report = run(addr, &opts()).await;
    let a = only(&report);
    assert_eq!(
        a.outcome,
        Outcome::Failed {
            stage: Stage::Banner
        }
    );
    assert!(matches!(
        error_at(a, Stage::Banner),
        ProbeError::Closed { received: 0, .. } | ProbeError::Reset { .. }
    ));
    let texts = evidence_texts(a);
    assert!(
        texts[0].contains("before the greeting") || texts[0].contains("before greeting"),
        "{texts:?}"
    );
}

#[tokio::test]
async fn ssh_server_is_named() {
    let addr = serve(|s| async move {
        let mut p = Peer::new(s);
        p.send("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n").await;
        p.hold().await;
    })
    .await;
    let report = run(addr, &opts()).await;
    let a = only(&report);
    let ProbeError::NotSmtp {
        service,
        first_bytes,
    } = error_at(a, Stage::Banner)
    else {
        panic!("{a:#?}")
    };
    assert_eq!(service.as_deref(), Some("an SSH server"));
    assert!(first_bytes.starts_with("SSH-2.0-OpenSSH"));
    let texts = evidence_texts(a);
    assert!(
        texts[0].contains("an SSH server answered instead of SMTP"),
        "{texts:?}"
    );
    assert!(a.transcript.iter().any(|l| l.text.starts_with("SSH-2.0")));
}

#[tokio::test]
async fn greeting_421_is_a_rejection_with_its_codes() {
    let addr = serve(|s| async move {
        let mut p = Peer::new(s);
        p.send("421 4.3.2 mx.test Service not available, closing transmission channel\r\n")
            .await;
    })
    .await;
    let report = run(addr, &opts()).await;
    let a = only(&report);
    assert_eq!(
        a.outcome,
        Outcome::Rejected {
            stage: Stage::Banner,
            code: code(421)
        }
    );
    assert_eq!(
        stages(a),
        [Stage::Connect, Stage::Banner],
        "no QUIT after 421"
    );
    let ev = evidence(a);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].reply_code, Some(code(421)));
    assert_eq!(
        ev[0].enhanced_code.map(|e| e.to_string()).as_deref(),
        Some("4.3.2")
    );
    assert_eq!(ev[0].stage, Some(Stage::Banner));
    assert!(ev[0]
        .text
        .starts_with("421 4.3.2 mx.test Service not available"));
}

/// Asserts that neither the secret, nor its base64, nor any SASL blob that holds it appears in
/// the report's JSON or Debug output.
fn assert_no_secret(report: &ProbeReport, user: &str, secret: &str) {
    let json = serde_json::to_string(report).unwrap();
    let debug = format!("{report:?}");
    let forbidden = [
        secret.to_string(),
        BASE64.encode(secret),
        BASE64.encode(format!("\0{user}\0{secret}")),
        BASE64.encode(format!("user={user}\x01auth=Bearer {secret}\x01\x01")),
    ];
    for f in &forbidden {
        assert!(!json.contains(f.as_str()), "{f:?} in JSON: {json}");
        assert!(!debug.contains(f.as_str()), "{f:?} in Debug");
    }
}

async fn auth_probe(mechanism: AuthMechanism, password: &str, tls: bool) -> (ProbeReport, Esmtp) {
    let pki = Pki::new();
    let server = Esmtp {
        tls: tls.then(|| acceptor(&pki.leaf(&["mx.test"], false))),
        ..Esmtp::new()
    };
    let addr = server.clone().start().await;
    let opts = ProbeOptions {
        ca_pem: Some(pki.ca_pem.clone().into_bytes()),
        sni: Some("mx.test".into()),
        tls: if tls {
            TlsPolicy::StartTls
        } else {
            TlsPolicy::None
        },
        auth: Some(Auth {
            mechanism,
            user: "lab".into(),
            secret: Secret::new(password.to_string()),
        }),
        ..opts()
    };
    (run(addr, &opts).await, server)
}

#[tokio::test]
async fn auth_plain_over_starttls_is_redacted() {
    let (report, server) = auth_probe(AuthMechanism::Plain, "labpass", true).await;
    let a = only(&report);
    assert_eq!(a.outcome, Outcome::Completed, "{a:#?}");
    let auth = a.stages.iter().find(|s| s.stage == Stage::Auth).unwrap();
    assert_eq!(auth.command.as_deref(), Some("AUTH PLAIN <redacted>"));
    assert_eq!(auth.reply.as_ref().unwrap().code, code(235));
    assert!(server
        .received()
        .iter()
        .any(|l| l.starts_with("AUTH PLAIN AGxhYgBsYWJwYXNz")));
    assert_no_secret(&report, "lab", "labpass");
}

#[tokio::test]
async fn auth_login_exchange_is_redacted() {
    let (report, server) = auth_probe(AuthMechanism::Login, "labpass", false).await;
    let a = only(&report);
    assert_eq!(a.outcome, Outcome::Completed, "{a:#?}");
    let cmds: Vec<_> = a
        .stages
        .iter()
        .filter(|s| s.stage == Stage::Auth)
        .map(|s| s.command.clone().unwrap())
        .collect();
    assert_eq!(cmds, ["AUTH LOGIN", "bGFi", "<redacted>"]);
    // The server did get the password.
    assert!(server.received().contains(&BASE64.encode("labpass")));
    assert!(a.ehlo.as_ref().unwrap().auth_before_tls);
    assert!(a
        .anomalies
        .iter()
        .any(|x| x.kind == AnomalyKind::AuthBeforeTls));
    assert_no_secret(&report, "lab", "labpass");
}

#[tokio::test]
async fn wrong_password_is_a_535_rejection() {
    let (report, _) = auth_probe(AuthMechanism::Login, "not-the-password", false).await;
    let a = only(&report);
    assert_eq!(
        a.outcome,
        Outcome::Rejected {
            stage: Stage::Auth,
            code: code(535)
        }
    );
    let ev = evidence(a);
    assert_eq!(ev[0].reply_code, Some(code(535)));
    assert_eq!(ev[0].stage, Some(Stage::Auth));
    assert_no_secret(&report, "lab", "not-the-password");
}

#[tokio::test]
async fn cram_md5_and_xoauth2_authenticate_without_showing_secrets() {
    let (report, _) = auth_probe(AuthMechanism::CramMd5, "labpass", true).await;
    assert_eq!(only(&report).outcome, Outcome::Completed, "{report:#?}");
    assert_no_secret(&report, "lab", "labpass");
    let (report, _) = auth_probe(AuthMechanism::XOAuth2, "labpass", true).await;
    assert_eq!(only(&report).outcome, Outcome::Completed, "{report:#?}");
    assert_no_secret(&report, "lab", "labpass");
    let (report, _) = auth_probe(AuthMechanism::XOAuth2, "ya29.wrong-token", true).await;
    assert!(matches!(
        only(&report).outcome,
        Outcome::Rejected {
            stage: Stage::Auth,
            ..
        }
    ));
    assert_no_secret(&report, "lab", "ya29.wrong-token");
}

#[tokio::test]
async fn rcpt_550_is_reported_with_codes_and_the_others_go_on() {
    let addr = Esmtp {
        refuse: vec![(
            "nobody@mx.test".into(),
            "550 5.1.1 <nobody@mx.test>: Recipient address rejected: User unknown in local recipient table".into(),
        )],
        ..Esmtp::new()
    }
    .start()
    .await;
    let opts = ProbeOptions {
        tls: TlsPolicy::None,
        to: vec!["nobody@mx.test".into(), "user@mx.test".into()],
        ..opts()
    };
    let report = run(addr, &opts).await;
    let a = only(&report);
    assert_eq!(
        a.outcome,
        Outcome::Rejected {
            stage: Stage::Rcpt,
            code: code(550)
        }
    );
    let rcpts: Vec<_> = a
        .stages
        .iter()
        .filter(|s| s.stage == Stage::Rcpt)
        .map(|s| s.reply.as_ref().unwrap().code.get())
        .collect();
    assert_eq!(rcpts, [550, 250]);
    assert_eq!(a.stages.last().unwrap().stage, Stage::Quit);
    let ev = evidence(a);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0].stage, Some(Stage::Rcpt));
    assert_eq!(
        ev[0].enhanced_code.map(|e| e.to_string()).as_deref(),
        Some("5.1.1")
    );
    assert!(ev[0].text.contains("User unknown"));
}

#[tokio::test]
async fn a_reply_without_end_trips_the_reply_bound() {
    let addr = serve(|s| async move {
        let mut p = Peer::new(s);
        p.send("220 ").await;
        p.send(&"a".repeat(100 * 1024)).await;
        p.hold().await;
    })
    .await;
    let report = run(addr, &opts()).await;
    let a = only(&report);
    assert_eq!(
        error_at(a, Stage::Banner),
        &ProbeError::ReadLimit {
            what: LimitKind::Reply,
            limit: 64 * 1024
        }
    );
    // The transcript keeps the first 4 KiB of the line and says it was cut.
    let line = a
        .transcript
        .iter()
        .find(|l| l.dir == Direction::Received)
        .unwrap();
    assert!(line.text.len() < 4200, "{}", line.text.len());
    assert!(line.text.contains("cut to 4096"), "{}", &line.text[4000..]);
    let texts = evidence_texts(a);
    assert!(texts[0].contains("reply bound tripped"), "{texts:?}");
}

#[tokio::test]
async fn the_transcript_bound_is_reported() {
    let addr = Esmtp {
        extensions: (0..50).map(|i| format!("X-EXTENSION-NUMBER-{i}")).collect(),
        ..Esmtp::new()
    }
    .start()
    .await;
    let mut opts = ProbeOptions {
        tls: TlsPolicy::None,
        ..opts()
    };
    opts.bounds.transcript = 600;
    let report = run(addr, &opts).await;
    let a = only(&report);
    assert_eq!(a.outcome, Outcome::Completed);
    assert!(a.transcript_truncated);
    let total: usize = a.transcript.iter().map(|l| l.text.len()).sum();
    assert!(total < 800, "{total}");
    assert!(a
        .anomalies
        .iter()
        .any(|x| x.kind == AnomalyKind::TranscriptTruncated));
    assert!(evidence_texts(a)
        .iter()
        .any(|t| t.contains("transcript bound tripped")));
}

#[tokio::test]
async fn the_total_deadline_stops_a_stalled_dialogue() {
    let addr = serve(|s| async move {
        let mut p = Peer::new(s);
        p.send("220 mx.test ESMTP\r\n").await;
        p.hold().await;
    })
    .await;
    let opts = with_timeouts(|t| t.total = Duration::from_millis(500));
    let report = run(addr, &opts).await;
    let a = only(&report);
    assert_eq!(a.outcome, Outcome::Failed { stage: Stage::Ehlo });
    assert_eq!(
        error_at(a, Stage::Ehlo),
        &ProbeError::Timeout {
            stage: Stage::Ehlo,
            limit_ms: 500,
            total: true,
            partial: None
        }
    );
    assert!(evidence_texts(a)[0].contains("total deadline of 500 ms"));
}

async fn cert_probe(id: common::Identity, pki: &Pki, insecure: bool) -> ProbeReport {
    let addr = Esmtp {
        tls: Some(acceptor(&id)),
        ..Esmtp::new()
    }
    .start()
    .await;
    let opts = ProbeOptions {
        ca_pem: Some(pki.ca_pem.clone().into_bytes()),
        sni: Some("mx.test".into()),
        insecure,
        ..opts()
    };
    run(addr, &opts).await
}

#[tokio::test]
async fn certificate_problems_keep_their_facts() {
    let pki = Pki::new();
    // Expired.
    let report = cert_probe(pki.leaf(&["mx.test"], true), &pki, false).await;
    let a = only(&report);
    assert_eq!(a.outcome, Outcome::Failed { stage: Stage::Tls });
    let ProbeError::CertInvalid { problem } = error_at(a, Stage::Tls) else {
        panic!("{a:#?}")
    };
    assert_eq!(problem.kind, CertProblemKind::Expired);
    assert_eq!(problem.not_after.as_deref(), Some("2021-01-01T00:00:00Z"));
    assert!(evidence_texts(a)[0].contains("certificate has expired (not after 2021-01-01"));
    assert_eq!(a.tls.as_ref().unwrap().chain.len(), 1);
    // Wrong name.
    let report = cert_probe(
        pki.leaf(&["other.test", "www.other.test"], false),
        &pki,
        false,
    )
    .await;
    let a = only(&report);
    let ProbeError::CertInvalid { problem } = error_at(a, Stage::Tls) else {
        panic!("{a:#?}")
    };
    assert_eq!(problem.kind, CertProblemKind::NameMismatch);
    assert_eq!(problem.expected_name.as_deref(), Some("mx.test"));
    assert_eq!(problem.presented_names, ["other.test", "www.other.test"]);
    assert!(evidence_texts(a)[0].contains("hostname mismatch"));
    // Self-signed.
    let report = cert_probe(self_signed(&["mx.test"]), &pki, false).await;
    let a = only(&report);
    let ProbeError::CertInvalid { problem } = error_at(a, Stage::Tls) else {
        panic!("{a:#?}")
    };
    assert_eq!(problem.kind, CertProblemKind::SelfSigned);
    assert!(a.tls.as_ref().unwrap().chain[0].self_signed);
    assert!(evidence_texts(a)[0].contains("self-signed certificate"));
}

#[tokio::test]
async fn insecure_goes_on_after_a_certificate_problem_and_reports_it() {
    let pki = Pki::new();
    let report = cert_probe(self_signed(&["mx.test"]), &pki, true).await;
    let a = only(&report);
    assert_eq!(a.outcome, Outcome::Completed, "{a:#?}");
    let tls = a.tls.as_ref().unwrap();
    assert!(!tls.verified);
    assert_eq!(
        tls.verify_error.as_ref().map(|p| p.kind),
        Some(CertProblemKind::SelfSigned)
    );
    assert!(a.ehlo.as_ref().unwrap().over_tls);
    let ev = evidence(a);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].stage, Some(Stage::Tls));
    assert!(ev[0].text.contains("self-signed"));
}

#[tokio::test]
async fn implicit_tls_to_a_plain_port_names_the_mismatch() {
    let addr = Esmtp::new().start().await;
    let opts = ProbeOptions {
        tls: TlsPolicy::Implicit,
        ..opts()
    };
    let report = run(addr, &opts).await;
    let a = only(&report);
    assert_eq!(a.outcome, Outcome::Failed { stage: Stage::Tls });
    let ProbeError::TlsHandshake { plaintext, .. } = error_at(a, Stage::Tls) else {
        panic!("{a:#?}")
    };
    assert!(plaintext.as_deref().unwrap().starts_with("220 mx.test"));
    assert!(evidence_texts(a)[0].starts_with("wrong version number"));
}

#[tokio::test]
async fn broken_starttls_handshake_is_a_tls_failure() {
    let addr = serve(|s| async move {
        let mut p = Peer::new(s);
        p.send("220 mx.test ESMTP\r\n").await;
        let _ = p.line().await;
        p.send("250-mx.test\r\n250 STARTTLS\r\n").await;
        let _ = p.line().await;
        p.send("220 go ahead\r\n").await;
        // Read the ClientHello, then hang up.
        let _ = p.line().await;
    })
    .await;
    let report = run(addr, &opts()).await;
    let a = only(&report);
    assert_eq!(a.outcome, Outcome::Failed { stage: Stage::Tls }, "{a:#?}");
    assert!(matches!(
        error_at(a, Stage::Tls),
        ProbeError::TlsHandshake { .. } | ProbeError::Reset { .. }
    ));
}

#[tokio::test]
async fn starttls_required_but_not_offered() {
    let addr = Esmtp::new().start().await;
    let opts = ProbeOptions {
        require_tls: true,
        ..opts()
    };
    let report = run(addr, &opts).await;
    let a = only(&report);
    assert_eq!(
        a.outcome,
        Outcome::Failed {
            stage: Stage::StartTls
        }
    );
    assert_eq!(
        error_at(a, Stage::StartTls),
        &ProbeError::StartTlsNotOffered
    );
    // Without require_tls, auto goes on in plain text.
    let report = run(addr, &opts_plain_auto()).await;
    assert_eq!(only(&report).outcome, Outcome::Completed);
    assert_eq!(only(&report).tls_mode, TlsMode::None);
}

fn opts_plain_auto() -> ProbeOptions {
    opts()
}

#[tokio::test]
async fn helo_fallback_and_quit_after() {
    let addr = Esmtp {
        no_ehlo: true,
        banner: "220-mx.test ESMTP Exim 4.96 Mon, 01 Jan 2024\r\n220 second line\r\n".into(),
        ..Esmtp::new()
    }
    .start()
    .await;
    let opts = ProbeOptions {
        quit_after: Some(Stage::Ehlo),
        to: vec!["user@mx.test".into()],
        ..opts()
    };
    let report = run(addr, &opts).await;
    let a = only(&report);
    assert_eq!(a.outcome, Outcome::StoppedAfter { stage: Stage::Ehlo });
    assert_eq!(
        stages(a),
        [
            Stage::Connect,
            Stage::Banner,
            Stage::Ehlo,
            Stage::Ehlo,
            Stage::Quit
        ]
    );
    assert_eq!(
        a.stages[3].command.as_deref(),
        Some("HELO smtp-doctor.invalid")
    );
    assert!(a.ehlo.as_ref().unwrap().helo_fallback);
    let banner = a.banner.as_ref().unwrap();
    assert_eq!(banner.lines.len(), 2);
    assert_eq!(
        (banner.software.as_deref(), banner.version.as_deref()),
        (Some("Exim"), Some("4.96"))
    );
}

#[tokio::test]
async fn bare_lf_replies_are_anomalies() {
    let addr = serve(|s| async move {
        let mut p = Peer::new(s);
        p.send("220 mx.test ESMTP\n").await;
        let _ = p.line().await;
        p.send("250-mx.test\n251 PIPELINING\r\n").await;
        let _ = p.line().await;
        p.send("221 bye\r\n").await;
    })
    .await;
    let report = run(addr, &opts()).await;
    let a = only(&report);
    assert_eq!(a.outcome, Outcome::Completed, "{a:#?}");
    let kinds =
        |i: usize| -> Vec<AnomalyKind> { a.stages[i].anomalies.iter().map(|x| x.kind).collect() };
    assert_eq!(kinds(1), [AnomalyKind::BareLf]);
    assert_eq!(kinds(2), [AnomalyKind::BareLf, AnomalyKind::CodeMismatch]);
}
