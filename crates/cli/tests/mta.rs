//! `smtp-doctor check` against the real lab servers of `../shared/lab`: Postfix, Exim and
//! OpenSMTPD on 127.0.0.1 (`start-mtas.sh`), Knot for `lab.test` on 127.0.0.1:5353
//! (`start-dns.sh`), and kernel-level connection faults in a network namespace
//! (`netns-firewall.sh`). Also `smtp-doctor logs` over the logs those servers wrote for mail
//! a test sent through them (the real-MTA log test).
//!
//! Under `CI=true` (`.ci/run` starts the servers first) a server that does not answer is a
//! failure. Outside CI the first test that needs them starts them when run as root, and
//! otherwise every test prints a `SKIPPED` notice naming what is missing.

mod common;
#[path = "../../dnsauth/tests/policy_server/mod.rs"]
mod policy_server;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use common::{
    ci, is_root, listening, run_script, shared_lab, spawn_limited, strings, LabProcess, BIN,
    RUN_LIMIT, START_LIMIT,
};
use policy_server::{PolicyServer, GOOD_POLICY};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
/// The lab's AUTH password, handed to the binary through this variable only.
const PW_VAR: &str = "SMTP_DOCTOR_LAB_PW";
const PASSWORD: &str = "labpass";
const USER: &str = "lab";
/// A recipient every lab MTA accepts.
const LOCAL_RCPT: &str = "someone@lab.test";
/// A recipient in a domain none of them serves (`.invalid`: never a real domain).
const FOREIGN_RCPT: &str = "nobody@elsewhere.invalid";

/// One lab MTA.
struct Mta {
    name: &'static str,
    /// STARTTLS port.
    port: u16,
    /// Implicit-TLS port.
    tls_port: u16,
    /// Its hostname (banner and EHLO).
    host: &'static str,
    /// The `software` the banner analysis should name.
    software: &'static str,
}

const POSTFIX: Mta = Mta {
    name: "Postfix",
    port: 2525,
    tls_port: 2465,
    host: "mx.lab.test",
    software: "Postfix",
};
const EXIM: Mta = Mta {
    name: "Exim",
    port: 2526,
    tls_port: 2466,
    host: "mx2.lab.test",
    software: "Exim",
};
const OPENSMTPD: Mta = Mta {
    name: "OpenSMTPD",
    port: 2527,
    tls_port: 2467,
    host: "mx3.lab.test",
    software: "OpenSMTPD",
};
const MTAS: [&Mta; 3] = [&POSTFIX, &EXIM, &OPENSMTPD];
const DNS: &str = "127.0.0.1:5353";

/// `$SMTP_LAB_DIR`, where the lab keeps its CA, logs and mailboxes.
fn lab_dir() -> PathBuf {
    std::env::var_os("SMTP_LAB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/smtp-doctor-lab"))
}

fn ca() -> String {
    lab_dir().join("tls/ca.pem").to_string_lossy().into_owned()
}

/// Every TCP port the lab serves on 127.0.0.1.
fn lab_ports() -> Vec<u16> {
    let mut ports: Vec<u16> = MTAS.iter().flat_map(|m| [m.port, m.tls_port]).collect();
    ports.push(5353);
    ports
}

fn missing_ports() -> Vec<u16> {
    lab_ports().into_iter().filter(|p| !listening(*p)).collect()
}

/// Whether the lab servers answer: `Ok(())`, or why not. Under CI a missing server is a
/// panic; outside CI, as root, the lab scripts are run once to start them.
fn lab() -> Result<(), String> {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    READY
        .get_or_init(|| {
            let missing = missing_ports();
            if missing.is_empty() {
                return Ok(());
            }
            if ci() {
                return Err(format!(
                    "under CI=true the lab servers must be running (.ci/run starts them with \
                     ../shared/lab/start-mtas.sh and start-dns.sh), but nothing answers on \
                     127.0.0.1 ports {missing:?}"
                ));
            }
            let dir = shared_lab();
            if !dir.join("start-mtas.sh").exists() {
                return Err(format!(
                    "the lab servers are not running (ports {missing:?}) and {} is missing",
                    dir.display()
                ));
            }
            if !is_root() {
                return Err(format!(
                    "the lab servers are not running (ports {missing:?}); starting them needs \
                     root: sudo {0}/start-mtas.sh && sudo {0}/start-dns.sh",
                    dir.display()
                ));
            }
            eprintln!("mta tests: starting the lab servers with {}", dir.display());
            run_script(&dir.join("start-mtas.sh"), &[], START_LIMIT)?;
            run_script(&dir.join("start-dns.sh"), &[], START_LIMIT)?;
            match missing_ports() {
                m if m.is_empty() => Ok(()),
                m => Err(format!("the lab scripts ran but ports {m:?} do not answer")),
            }
        })
        .clone()
}

/// `true` when the lab answers; else panics under CI, or prints a visible notice and returns
/// `false` so that the test ends.
fn need_lab(test: &str) -> bool {
    match lab() {
        Ok(()) => true,
        Err(why) if ci() => panic!("{test}: {why}"),
        Err(why) => {
            eprintln!("SKIPPED {test}: {why}");
            false
        }
    }
}

/// `smtp-doctor check ARGS`, the password in [`PW_VAR`].
fn check(args: &[&str]) -> Output {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    spawn_limited(BIN, &all, &[(PW_VAR, PASSWORD)])
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `check ARGS --json`, parsed.
fn check_json(args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.push("--json");
    let o = check(&all);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", text(&o)));
    (code(&o), v)
}

fn addr(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

fn attempt(v: &Value) -> &Value {
    let attempts = v["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1, "one attempt: {v:#}");
    &attempts[0]
}

/// The stages of an attempt with this name, in order.
fn stages<'a>(a: &'a Value, name: &str) -> Vec<&'a Value> {
    a["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter(|s| s["name"] == name)
        .collect()
}

/// The reply code of the last stage with this name.
fn reply_code(a: &Value, name: &str) -> u64 {
    let s = stages(a, name);
    let last = s
        .last()
        .unwrap_or_else(|| panic!("no {name} stage: {:#}", a["stages"]));
    last["reply"]["code"]
        .as_u64()
        .unwrap_or_else(|| panic!("{name} has no reply: {last:#}"))
}

fn assert_healthy(v: &Value, what: &str) {
    assert_eq!(v["verdict"]["status"], "healthy", "{what}: {v:#}");
    assert_eq!(v["schema"], "smtp-doctor/check/v1");
}

/// The category of the deciding finding.
fn verdict_category(v: &Value) -> &str {
    v["verdict"]["category"].as_str().unwrap_or("")
}

fn assert_verified(a: &Value, mode: &str, what: &str) {
    assert_eq!(a["tls_mode"], mode, "{what}: {a:#}");
    let tls = &a["tls"];
    assert_eq!(tls["verified"], true, "{what}: {tls:#}");
    assert_eq!(tls["verify_error"], Value::Null, "{what}");
    assert_eq!(tls["version"], "TLSv1.3", "{what}: {tls:#}");
    let chain = tls["chain"].as_array().expect("chain");
    assert_eq!(chain[0]["subject"], "CN=mx.lab.test", "{what}: {tls:#}");
    assert_eq!(chain[0]["issuer"], "CN=smtp-doctor lab CA", "{what}");
    let san: Vec<&str> = chain[0]["san"]
        .as_array()
        .expect("san")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(san.contains(&"127.0.0.1"), "{what}: {san:?}");
}

fn assert_banner(a: &Value, m: &Mta) {
    assert_eq!(
        a["banner"]["hostname"], m.host,
        "{}: {:#}",
        m.name, a["banner"]
    );
    assert_eq!(a["banner"]["software"], m.software, "{}", m.name);
    assert_eq!(a["ehlo"]["domain"], m.host, "{}: {:#}", m.name, a["ehlo"]);
    // The three names: the EHLO reply's agrees; 127.0.0.1's PTR is RFC 6761's, not looked up.
    assert_eq!(a["banner"]["ehlo_name"], m.host, "{}", m.name);
    assert_eq!(a["banner"]["matches_ehlo"], true, "{}", m.name);
    assert_eq!(a["banner"]["ptr"]["source"], "special_use", "{}", m.name);
    assert_eq!(a["banner"]["matches_ptr"], Value::Null, "{}", m.name);
}

/// STARTTLS on the 252x ports and implicit TLS on the 246x ports, verified with the lab CA.
#[test]
fn tls_is_verified_with_the_lab_ca() {
    if !need_lab("tls_is_verified_with_the_lab_ca") {
        return;
    }
    let ca = ca();
    for m in MTAS {
        for (mode, port) in [("starttls", m.port), ("implicit", m.tls_port)] {
            let what = format!("{} {mode}", m.name);
            let (rc, v) = check_json(&[
                &addr(port),
                "--tls",
                mode,
                "--ca",
                &ca,
                "--quit-after",
                "ehlo",
            ]);
            let a = attempt(&v);
            assert_eq!(rc, 0, "{what}: {v:#}");
            assert_healthy(&v, &what);
            assert_verified(a, mode, &what);
            assert_banner(a, m);
            assert_eq!(a["ehlo"]["over_tls"], true, "{what}");
            let names = strings(a, "stages", "name");
            if mode == "implicit" {
                // TLS first, then the banner; no STARTTLS.
                assert_eq!(
                    &names[..3],
                    &["connect", "tls", "banner"],
                    "{what}: {names:?}"
                );
                assert!(!names.contains(&"starttls"), "{what}: {names:?}");
                continue;
            }
            assert_eq!(reply_code(a, "starttls"), 220, "{what}");
            // EHLO twice: before STARTTLS (which it advertises) and over TLS (AUTH only then).
            assert_eq!(stages(a, "ehlo").len(), 2, "{what}: {names:?}");
            assert_eq!(a["ehlo"]["auth_before_tls"], false, "{what}");
            let auth: Vec<&str> = a["ehlo"]["auth"]
                .as_array()
                .expect("auth")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert!(
                auth.contains(&"PLAIN") && auth.contains(&"LOGIN"),
                "{what}: {auth:?}"
            );
        }
    }
}

#[test]
fn starttls_without_the_lab_ca_is_a_certificate_failure() {
    if !need_lab("starttls_without_the_lab_ca_is_a_certificate_failure") {
        return;
    }
    for m in MTAS {
        let (rc, v) = check_json(&[&addr(m.port), "--tls", "starttls", "--quit-after", "tls"]);
        assert_eq!(rc, 1, "{}: {v:#}", m.name);
        assert_eq!(verdict_category(&v), "tlsfailure", "{}: {v:#}", m.name);
        let tls = &attempt(&v)["tls"];
        assert_eq!(tls["verified"], false, "{}: {tls:#}", m.name);
        let reason = tls["verify_error"]["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("UnknownIssuer"), "{}: {tls:#}", m.name);
    }
}

/// Every form the lab password could leak in: itself, and the base64 of itself and of the
/// AUTH PLAIN responses built from it.
fn secret_forms() -> Vec<String> {
    vec![
        PASSWORD.to_string(),
        BASE64.encode(PASSWORD),
        BASE64.encode(format!("\0{USER}\0{PASSWORD}")),
        BASE64.encode(format!("{USER}\0{USER}\0{PASSWORD}")),
        BASE64.encode(format!("\0{USER}@lab.test\0{PASSWORD}")),
    ]
}

fn assert_no_secret(output: &str, what: &str) {
    for s in secret_forms() {
        assert!(
            !output.contains(&s),
            "{what}: the password leaked as {s:?}:\n{output}"
        );
    }
}

#[test]
fn auth_plain_and_login_with_the_password_from_the_environment() {
    if !need_lab("auth_plain_and_login_with_the_password_from_the_environment") {
        return;
    }
    let ca = ca();
    for m in MTAS {
        for mech in ["PLAIN", "LOGIN"] {
            let what = format!("{} AUTH {mech}", m.name);
            let args = [
                addr(m.port),
                "--ca".into(),
                ca.clone(),
                "--auth".into(),
                mech.into(),
                "--auth-user".into(),
                USER.into(),
                "--auth-password-env".into(),
                PW_VAR.into(),
                "--quit-after".into(),
                "auth".into(),
            ];
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let (rc, v) = check_json(&args);
            let a = attempt(&v);
            assert_eq!(rc, 0, "{what}: {v:#}");
            assert_healthy(&v, &what);
            assert_eq!(reply_code(a, "auth"), 235, "{what}: {:#}", a["stages"]);
            // PLAIN sends its response with the command, redacted; LOGIN sends it later.
            let command = stages(a, "auth")[0]["command"].as_str().unwrap_or_default();
            let expected = match mech {
                "PLAIN" => "AUTH PLAIN <redacted>",
                _ => "AUTH LOGIN",
            };
            assert_eq!(command, expected, "{what}");
            // Every output format, stdout and stderr with every exchanged line traced.
            assert_no_secret(&v.to_string(), &what);
            for format in [&["--format", "text"][..], &["--format", "nagios"][..]] {
                let mut all = args.clone();
                all.extend_from_slice(format);
                all.push("-vv");
                let o = check(&all);
                assert_eq!(code(&o), 0, "{what} {format:?}: {}", text(&o));
                assert_no_secret(&text(&o), &what);
                let seen = if format[1] == "text" {
                    "235 "
                } else {
                    "SMTP OK"
                };
                assert!(text(&o).contains(seen), "{what} {format:?}: {}", text(&o));
            }
        }
    }
}

#[test]
fn auth_with_a_wrong_password_is_refused() {
    if !need_lab("auth_with_a_wrong_password_is_refused") {
        return;
    }
    let ca = ca();
    for m in MTAS {
        let o = spawn_limited(
            BIN,
            &[
                "check",
                &addr(m.port),
                "--ca",
                &ca,
                "--auth",
                "PLAIN",
                "--auth-user",
                USER,
                "--auth-password-env",
                PW_VAR,
                "--quit-after",
                "auth",
                "--json",
            ],
            &[(PW_VAR, "not-the-password")],
        );
        let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
        assert_eq!(code(&o), 1, "{}: {v:#}", m.name);
        assert_eq!(reply_code(attempt(&v), "auth"), 535, "{}: {v:#}", m.name);
        assert_eq!(verdict_category(&v), "securityerror", "{}: {v:#}", m.name);
        assert!(!text(&o).contains("not-the-password"), "{}", m.name);
    }
}

#[test]
fn rcpt_to_lab_test_is_accepted() {
    if !need_lab("rcpt_to_lab_test_is_accepted") {
        return;
    }
    let ca = ca();
    for m in MTAS {
        let (rc, v) = check_json(&[
            &addr(m.port),
            "--ca",
            &ca,
            "--to",
            LOCAL_RCPT,
            "--quit-after",
            "rcpt",
        ]);
        let a = attempt(&v);
        assert_eq!(rc, 0, "{}: {v:#}", m.name);
        assert_healthy(&v, m.name);
        assert_eq!(reply_code(a, "mail"), 250, "{}", m.name);
        assert_eq!(reply_code(a, "rcpt"), 250, "{}", m.name);
        assert_eq!(
            stages(a, "rcpt")[0]["command"],
            format!("RCPT TO:<{LOCAL_RCPT}>"),
            "{}",
            m.name
        );
    }
}

/// Refused recipients. Exim refuses local parts that start with `nosuchuser` (userunknown).
/// A foreign domain without AUTH: every server refuses to relay, each in its own words. Exim
/// says "relay not permitted". Postfix counts 127.0.0.0/8 as `mynetworks`, so it would relay,
/// but its transports for other domains are `error:`, and it refuses the address at RCPT with
/// 550 5.1.1 (a bad destination mailbox by its code). OpenSMTPD, whose rules match no
/// unauthenticated relay, answers "550 Invalid recipient", its words for an unknown local user
/// too. The last two are vague by themselves; the probe's context (no AUTH, a recipient domain
/// that is not among the server's names) makes them a relaying refusal.
#[test]
fn refused_recipients_are_named() {
    if !need_lab("refused_recipients_are_named") {
        return;
    }
    let ca = ca();
    let context = "(probe context: unauthenticated client; the recipient domain elsewhere.invalid is not among the names of this server)";
    // server, recipient, category, party, enhanced code, words of the reply, context added
    let cases = [
        (
            &EXIM,
            "nosuchuser-42@lab.test",
            "userunknown",
            "sender",
            None,
            "no such user",
            false,
        ),
        (
            &EXIM,
            FOREIGN_RCPT,
            "norelaying",
            "sender-config",
            None,
            "relay not permitted",
            true,
        ),
        (
            &POSTFIX,
            FOREIGN_RCPT,
            "norelaying",
            "sender-config",
            Some("5.1.1"),
            "Recipient address rejected",
            true,
        ),
        (
            &OPENSMTPD,
            FOREIGN_RCPT,
            "norelaying",
            "sender-config",
            None,
            "Invalid recipient",
            true,
        ),
    ];
    for (m, rcpt, category, party, enhanced, words, with_context) in cases {
        let what = format!("{} RCPT TO:<{rcpt}>", m.name);
        let (rc, v) = check_json(&[
            &addr(m.port),
            "--ca",
            &ca,
            "--to",
            rcpt,
            "--quit-after",
            "rcpt",
        ]);
        let a = attempt(&v);
        assert_eq!(rc, 1, "{what}: {v:#}");
        let rcpt = stages(a, "rcpt")[0];
        assert_eq!(rcpt["reply"]["code"], 550, "{what}: {rcpt:#}");
        assert_eq!(
            rcpt["reply"]["enhanced_code"].as_str(),
            enhanced,
            "{what}: {rcpt:#}"
        );
        assert!(
            rcpt["reply"]["lines"][0]
                .as_str()
                .is_some_and(|l| l.contains(words)),
            "{what}: {rcpt:#}"
        );
        assert_eq!(verdict_category(&v), category, "{what}: {v:#}");
        assert_eq!(v["verdict"]["class"], "permanent", "{what}");
        let f = &v["findings"][v["verdict"]["finding"].as_u64().expect("finding") as usize];
        assert_eq!(f["stage"], "rcpt", "{what}: {f:#}");
        assert_eq!(f["reply_code"], 550, "{what}");
        assert_eq!(f["party"], party, "{what}: {f:#}");
        let observed = f["observed"].as_str().unwrap_or_default();
        assert_eq!(
            observed.contains(context),
            with_context,
            "{what}: {observed}"
        );
    }
}

/// The PTR lookup the probe makes for every address it connects to, through the lab Knot: the
/// 192.0.2.x cases of its reverse zone (nothing connects to them; hickory would answer 127.x
/// itself).
#[test]
fn ptr_names_come_from_the_lab_dns() {
    if !need_lab("ptr_names_come_from_the_lab_dns") {
        return;
    }
    use smtp_doctor_model::probe::{DnsErrorKind, PtrSource};
    let opts = smtp_doctor_probe::ProbeOptions {
        dns_server: Some(DNS.parse().expect("DNS address")),
        timeouts: smtp_doctor_probe::Timeouts {
            resolve: Duration::from_secs(5),
            ..Default::default()
        },
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let lookup = |ip: &str| {
        let ip = ip.parse().expect("an IP");
        rt.block_on(async {
            tokio::time::timeout(RUN_LIMIT, smtp_doctor_probe::reverse_lookup(ip, &opts))
                .await
                .expect("the lookup ends")
        })
    };
    for (ip, names) in [
        ("192.0.2.10", &["mx.lab.test"][..]),
        ("192.0.2.12", &["generic-192-0-2-12.dynamic.lab.test"]),
        ("192.0.2.13", &["a.lab.test", "b.lab.test"]),
    ] {
        let p = lookup(ip);
        assert_eq!(p.source, PtrSource::Dns, "{ip}: {p:?}");
        assert_eq!(p.names, names, "{ip}: {p:?}");
        assert_eq!(p.error, None, "{ip}");
    }
    let p = lookup("192.0.2.14");
    assert!(p.names.is_empty(), "{p:?}");
    let e = p.error.expect("no PTR is an error");
    assert_eq!(
        (e.kind, e.rtype.as_str(), e.name.as_str()),
        (DnsErrorKind::Nxdomain, "PTR", "14.2.0.192.in-addr.arpa")
    );
    // Loopback is never asked for.
    let p = lookup("127.0.0.1");
    assert_eq!(
        (p.source, p.names),
        (PtrSource::SpecialUse, vec!["localhost".to_string()])
    );
}

/// The `Message-ID` of the generated message, from the transcript.
fn message_id(a: &Value) -> String {
    a["transcript"]
        .as_array()
        .expect("transcript")
        .iter()
        .filter(|l| l["dir"] == "sent")
        .find_map(|l| l["text"].as_str()?.strip_prefix("Message-ID: "))
        .map(|id| id.trim_matches(['<', '>']).to_string())
        .unwrap_or_else(|| panic!("no Message-ID sent: {:#}", a["transcript"]))
}

/// The first line of the last reply of a stage.
fn reply_line(a: &Value, name: &str) -> String {
    stages(a, name).last().expect("stage")["reply"]["lines"][0]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Waits (at most 15 s) until `file` holds every one of `needles`; returns its text.
fn wait_for_in(file: &Path, needles: &[&str]) -> String {
    let start = Instant::now();
    loop {
        let body = std::fs::read(file)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        if needles.iter().all(|n| body.contains(n)) {
            return body;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{} does not hold {needles:?}",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn data_is_accepted_and_the_message_reaches_the_server() {
    if !need_lab("data_is_accepted_and_the_message_reaches_the_server") {
        return;
    }
    let ca = ca();
    let lab = lab_dir();
    let postfix_log = lab.join("postfix/log/maillog");
    for m in MTAS {
        let (rc, v) = check_json(&[&addr(m.port), "--ca", &ca, "--to", LOCAL_RCPT, "--data"]);
        let a = attempt(&v);
        assert_eq!(rc, 0, "{}: {v:#}", m.name);
        assert_healthy(&v, m.name);
        assert_eq!(reply_code(a, "data"), 354, "{}", m.name);
        assert_eq!(reply_code(a, "end-of-data"), 250, "{}", m.name);
        assert_eq!(reply_code(a, "quit"), 221, "{}", m.name);
        let id = message_id(a);
        let queued = reply_line(a, "end-of-data");
        match m.name {
            "Postfix" => {
                // "250 2.0.0 Ok: queued as 4F1D99C684": the queue id logs the Message-ID.
                let qid = queued.rsplit(' ').next().expect("queue id");
                wait_for_in(&postfix_log, &[&format!("{qid}: message-id=<{id}>")]);
            }
            "Exim" => {
                // "250 OK id=1xYHoJ-00088s-0P": received under that id, delivered to the mbox.
                let eid = queued.strip_prefix("OK id=").expect("Exim id");
                wait_for_in(
                    &lab.join("exim/log/mainlog"),
                    &[&format!("{eid} <= <>"), &format!("id={id}")],
                );
                wait_for_in(
                    &lab.join("exim/mail/inbox"),
                    &[&format!("Message-ID: <{id}>"), &format!("id {eid}")],
                );
            }
            _ => {
                // "250 2.0.0 9269c8a6 Message accepted for delivery": logged as msgid=, then
                // relayed to the lab Postfix, which logs the Message-ID.
                let msgid = queued.split(' ').nth(1).expect("OpenSMTPD msgid");
                wait_for_in(
                    &lab.join("opensmtpd/smtpd.log"),
                    &[&format!("msgid={msgid} ")],
                );
                wait_for_in(&postfix_log, &[&format!("message-id=<{id}>")]);
            }
        }
    }
}

#[test]
fn an_address_at_lab_test_walks_the_lab_mx_set() {
    if !need_lab("an_address_at_lab_test_walks_the_lab_mx_set") {
        return;
    }
    // The probe alone: the DNS checks of lab.test have a test of their own.
    let (rc, v) = check_json(&[
        LOCAL_RCPT,
        "--dns-server",
        DNS,
        "--port",
        "2525",
        "--ca",
        &ca(),
        "--quit-after",
        "rcpt",
        "--no-dns",
    ]);
    assert_eq!(rc, 0, "{v:#}");
    assert_healthy(&v, "MX walk");
    let res = &v["resolution"];
    assert_eq!(res["server"], DNS, "{res:#}");
    assert_eq!(res["null_mx"], false);
    let mx: Vec<(&str, u64)> = res["mx"]
        .as_array()
        .expect("mx")
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap_or(""),
                h["preference"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        mx,
        [
            ("mx.lab.test", 10),
            ("mx2.lab.test", 20),
            ("mx3.lab.test", 30)
        ],
        "{res:#}"
    );
    assert_eq!(
        res["mx"][0]["addresses"],
        serde_json::json!(["127.0.0.1", "::1"])
    );
    // One attempt per MX host, in preference order, first address of each; every one reaches
    // the lab Postfix on 2525 (DNS cannot carry ports), which accepts the address.
    let attempts = v["attempts"].as_array().expect("attempts");
    let hosts = strings(&v, "attempts", "host");
    assert_eq!(hosts, ["mx.lab.test", "mx2.lab.test", "mx3.lab.test"]);
    for a in attempts {
        assert_eq!(a["addr"], "127.0.0.1:2525", "{a:#}");
        assert_eq!(a["mail_domain"], "lab.test", "{a:#}");
        assert_eq!(a["outcome"]["status"], "stopped_after", "{a:#}");
        assert_eq!(a["outcome"]["stage"], "rcpt", "{a:#}");
        assert_eq!(
            a["tls"]["sni"], a["host"],
            "SNI is the MX name: {:#}",
            a["tls"]
        );
        assert_eq!(a["tls"]["verified"], true, "{:#}", a["tls"]);
        assert_eq!(
            stages(a, "rcpt")[0]["command"],
            format!("RCPT TO:<{LOCAL_RCPT}>")
        );
        assert_eq!(reply_code(a, "rcpt"), 250);
    }
}

/// `check` of a domain or an address at it also runs the DNS checks of the domain (`dns`): a
/// section after the transcripts, their findings (as `dns` classifies them) marked as theirs, and
/// a verdict that a DNS failure makes a problem when the probe is healthy; `--no-dns` skips them.
#[test]
fn check_of_a_domain_adds_its_dns_checks() {
    if !need_lab("check_of_a_domain_adds_its_dns_checks") {
        return;
    }
    let schema = common::schema_validator(include_str!("../../../schema/check.v1.json"));
    let ca = ca();
    // dmarc-bad's MX is mx.lab.test (the lab Postfix answers) and its DMARC record is broken.
    for target in ["lab.test", "someone@dmarc-bad.lab.test"] {
        let domain = target.rsplit('@').next().unwrap_or(target);
        let base = [
            target,
            "--dns-server",
            DNS,
            "--port",
            "2525",
            "--ca",
            &ca,
            "--quit-after",
            "ehlo",
        ];
        let (rc, probe_only) = check_json(&[&base[..], &["--no-dns"]].concat());
        assert_eq!(rc, 0, "{target}: {probe_only:#}");
        assert_healthy(&probe_only, target);
        assert!(probe_only.get("dns").is_none(), "{probe_only:#}");
        assert!(
            schema.is_valid(&probe_only),
            "{target} --no-dns: {probe_only:#}"
        );
        let no_dns_text = text(&check(&[&base[..], &["--no-dns"]].concat()));
        assert!(!no_dns_text.contains("DNS checks"), "{no_dns_text}");

        let (rc, v) = check_json(&base);
        let errors: Vec<String> = schema.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{target}: {errors:?}\n{v:#}");
        let dns_out = spawn_limited(BIN, &["dns", domain, "--dns-server", DNS, "--json"], &[]);
        let dns: Value = serde_json::from_slice(&dns_out.stdout)
            .unwrap_or_else(|e| panic!("dns {domain}: not JSON ({e}): {}", text(&dns_out)));
        assert_eq!(v["dns"]["schema"], "smtp-doctor/dns/v1", "{v:#}");
        assert_eq!(v["dns"]["domain"], domain);
        // The DANE match against the certificate the probe saw (after STARTTLS) is check's
        // own: mx2.lab.test's zero digest matches nothing. `dns` cannot draw it.
        let observed = |list: &Value, dns: Option<bool>| -> Vec<String> {
            list.as_array()
                .expect("findings")
                .iter()
                .filter(|f| dns.is_none_or(|d| f["dns"] == d))
                .map(|f| f["observed"].as_str().unwrap_or("").to_string())
                .filter(|o| !o.contains("presents matches none"))
                .collect()
        };
        // The same findings as `dns` draws, after the probe's, which are not the DNS checks'.
        let dns_findings = observed(&dns["findings"], None);
        assert_eq!(observed(&v["dns"]["findings"], None), dns_findings);
        assert_eq!(observed(&v["findings"], Some(true)), dns_findings);
        assert_eq!(
            observed(&v["findings"], Some(false)),
            observed(&probe_only["findings"], None)
        );
        // The probe is healthy, so the DNS checks decide.
        assert_eq!(v["verdict"]["summary"], dns["verdict"]["summary"], "{v:#}");
        assert_eq!(rc, i32::from(dns["verdict"]["status"] == "problem"));
        if dns["verdict"]["status"] == "problem" {
            let i = v["verdict"]["finding"].as_u64().expect("finding") as usize;
            assert_eq!(v["findings"][i]["dns"], true, "{v:#}");
        }
        if domain != "lab.test" {
            assert!(
                !dns_findings.is_empty(),
                "{domain} has DNS problems: {dns:#}"
            );
        }

        let out = text(&check(&base));
        let section = out
            .find(&format!("DNS checks of {domain}"))
            .unwrap_or_else(|| panic!("no DNS section: {out}"));
        let transcript = out.rfind("Transcript").expect("a transcript");
        let findings = out.find("\nFindings:").expect("findings");
        assert!(transcript < section && section < findings, "{out}");
        for name in ["MX", "SPF", "DMARC", "DKIM", "MTA-STS", "TLS-RPT", "DANE"] {
            assert!(
                out[section..findings].contains(&format!(" {name:<8} ")),
                "no {name} line: {out}"
            );
        }
        for f in &dns_findings {
            let start: String = f.chars().take(60).collect();
            assert!(
                out[findings..].contains(&format!("DNS checks: {start}")),
                "{start:?} not among the findings: {out}"
            );
        }
    }
}

#[test]
fn every_address_of_the_mx_set_finds_postfix_not_on_ipv6() {
    if !need_lab("every_address_of_the_mx_set_finds_postfix_not_on_ipv6") {
        return;
    }
    let (rc, v) = check_json(&[
        LOCAL_RCPT,
        "--dns-server",
        DNS,
        "--port",
        "2525",
        "--ca",
        &ca(),
        "--all-ips",
        "--quit-after",
        "ehlo",
    ]);
    assert_eq!(rc, 1, "{v:#}");
    let addrs = strings(&v, "attempts", "addr");
    // mx.lab.test also has AAAA ::1, where the lab Postfix (inet_protocols = ipv4) does not listen.
    assert_eq!(
        addrs,
        [
            "127.0.0.1:2525",
            "[::1]:2525",
            "127.0.0.1:2525",
            "127.0.0.1:2525"
        ]
    );
    assert_eq!(v["attempts"][1]["outcome"]["stage"], "connect");
    assert_eq!(verdict_category(&v), "connectionrefused", "{v:#}");
    assert_eq!(
        v["findings"][v["verdict"]["finding"].as_u64().expect("f") as usize]["attempt"],
        1
    );
}

#[test]
fn broken_lab_domains_are_named() {
    if !need_lab("broken_lab_domains_are_named") {
        return;
    }
    // deadmx: its MX points at 127.0.0.9, where nothing listens.
    let (rc, v) = check_json(&[
        "someone@deadmx.lab.test",
        "--dns-server",
        DNS,
        "--port",
        "2525",
        "--timeout-connect",
        "3",
    ]);
    assert_eq!(rc, 1, "{v:#}");
    assert_eq!(v["resolution"]["mx"][0]["name"], "dead.lab.test", "{v:#}");
    assert_eq!(v["attempts"][0]["addr"], "127.0.0.9:2525");
    assert_eq!(verdict_category(&v), "connectionrefused", "{v:#}");
    // nullmx: RFC 7505, the domain accepts no mail; nothing is connected to.
    let (rc, v) = check_json(&["someone@nullmx.lab.test", "--dns-server", DNS]);
    assert_eq!(rc, 1, "{v:#}");
    assert_eq!(v["resolution"]["null_mx"], true, "{v:#}");
    assert_eq!(v["attempts"].as_array().map(Vec::len), Some(0), "{v:#}");
    assert_eq!(verdict_category(&v), "notaccept", "{v:#}");
}

/// A network namespace from `netns-firewall.sh up`, removed again on drop.
struct Netns {
    name: String,
}

impl Netns {
    /// A namespace for one test (`tag`), or why there cannot be one: then the test ends, with
    /// a visible notice (a failure under CI).
    fn for_test(test: &str, tag: &str) -> Option<Netns> {
        let script = shared_lab().join("netns-firewall.sh");
        let why = if !script.exists() {
            Some(format!("{} is missing", script.display()))
        } else if !is_root() {
            Some("network namespaces need root".to_string())
        } else {
            None
        };
        if let Some(why) = why {
            assert!(!ci(), "{test}: {why}");
            eprintln!("SKIPPED {test}: {why}");
            return None;
        }
        Some(Netns::up(tag))
    }

    fn up(tag: &str) -> Netns {
        let name = format!("sdmta-{}-{tag}", std::process::id());
        let status = Command::new("bash")
            .arg(shared_lab().join("netns-firewall.sh"))
            .arg("up")
            .env("SMTP_LAB_NETNS", &name)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .expect("netns-firewall.sh runs");
        assert!(status.success(), "netns-firewall.sh up failed");
        Netns { name }
    }

    /// `smtp-doctor check ARGS --json` inside the namespace.
    fn check_json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["netns", "exec", &self.name, BIN, "check"];
        all.extend_from_slice(args);
        all.push("--json");
        let o = spawn_limited("ip", &all, &[]);
        let v = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", text(&o)));
        (code(&o), v)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(shared_lab().join("netns-firewall.sh"))
            .arg("down")
            .env("SMTP_LAB_NETNS", &self.name)
            .stdout(Stdio::null())
            .status();
    }
}

#[test]
fn network_faults_from_the_firewall_namespace() {
    let Some(ns) = Netns::for_test("network_faults_from_the_firewall_namespace", "net") else {
        return;
    };
    // port, category, error kind, errno
    for (port, category, kind, errno) in [
        (2598, "connectionrefused", "refused", Some(111)),
        (2599, "connectiontimeout", "timeout", None),
        (2597, "networkerror", "unreachable", Some(113)),
        (2596, "networkerror", "unreachable", Some(101)),
        (2595, "networkerror", "unreachable", Some(113)),
    ] {
        let (rc, v) = ns.check_json(&[&addr(port), "--timeout-connect", "0.5"]);
        let what = format!("port {port}");
        assert_eq!(rc, 1, "{what}: {v:#}");
        let a = attempt(&v);
        assert_eq!(a["outcome"]["stage"], "connect", "{what}: {a:#}");
        let err = &stages(a, "connect")[0]["error"];
        assert_eq!(err["kind"], kind, "{what}: {err:#}");
        if let Some(n) = errno {
            assert_eq!(err["errno"], n, "{what}: {err:#}");
        } else {
            assert_eq!(err["stage"], "connect", "{what}: {err:#}");
            assert_eq!(err["limit_ms"], 500, "{what}: {err:#}");
        }
        assert_eq!(verdict_category(&v), category, "{what}: {v:#}");
        assert_eq!(v["findings"][0]["stage"], "connect", "{what}");
    }
}

/// Port 2593 of the firewall namespace drops every client packet that holds "STARTTLS": the
/// built-in lab's healthy server runs there (inside the namespace), answers the banner and
/// EHLO, and never sees STARTTLS. The probe names a middlebox dropping STARTTLS.
#[test]
fn a_middlebox_that_drops_starttls_is_a_tls_failure() {
    let Some(ns) = Netns::for_test("a_middlebox_that_drops_starttls_is_a_tls_failure", "tls")
    else {
        return;
    };
    let lab = LabProcess::start(
        &["ip", "netns", "exec", &ns.name],
        &["--only", "healthy", "--port", "2593"],
    );
    assert_eq!(lab.addr("healthy"), "127.0.0.1:2593");
    let ca = lab.ca();
    let (rc, v) = ns.check_json(&[
        "127.0.0.1:2593",
        "--ca",
        &ca,
        "--timeout-command",
        "1",
        "--quit-after",
        "ehlo",
    ]);
    assert_eq!(rc, 1, "{v:#}");
    let a = attempt(&v);
    assert_eq!(reply_code(a, "banner"), 220, "{a:#}");
    assert_eq!(reply_code(a, "ehlo"), 250, "{a:#}");
    assert_eq!(a["ehlo"]["starttls"], true, "advertised: {:#}", a["ehlo"]);
    assert_eq!(a["outcome"]["stage"], "starttls", "{a:#}");
    let err = &stages(a, "starttls")[0]["error"];
    assert_eq!(err["kind"], "timeout", "{err:#}");
    assert_eq!(err["limit_ms"], 1000, "{err:#}");
    assert_eq!(verdict_category(&v), "tlsfailure", "{v:#}");
    let f = &v["findings"][v["verdict"]["finding"].as_u64().expect("finding") as usize];
    assert_eq!(f["stage"], "starttls", "{f:#}");
    assert_eq!(f["party"], "network", "{f:#}");
    assert!(
        f["summary"]
            .as_str()
            .is_some_and(|s| s.contains("middlebox")),
        "{f:#}"
    );
    let (status, _) = lab.stop();
    assert_eq!(status.code(), Some(0));
}

/// A tag no earlier run used, for the addresses of one run of the log test.
fn run_tag() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("logs{}x{nanos:x}", std::process::id())
}

/// `check` sending one test message to `rcpt` (from `from`, the null sender when empty), with
/// AUTH when `auth`: the exit code, the Message-ID sent and the first line of the end-of-data
/// reply (which names the queue ID).
fn send(m: &Mta, from: &str, rcpt: &str, auth: bool) -> (i32, String, String) {
    let ca = ca();
    let port = addr(m.port);
    let mut args = vec![port.as_str(), "--ca", &ca, "--to", rcpt, "--data"];
    if !from.is_empty() {
        args.extend(["--from", from]);
    }
    if auth {
        args.extend([
            "--auth",
            "PLAIN",
            "--auth-user",
            USER,
            "--auth-password-env",
            PW_VAR,
        ]);
    }
    let (rc, v) = check_json(&args);
    let a = attempt(&v);
    assert_eq!(
        reply_code(a, "end-of-data"),
        250,
        "{} {rcpt}: {v:#}",
        m.name
    );
    (rc, message_id(a), reply_line(a, "end-of-data"))
}

/// `check` to `rcpt` up to RCPT, which the server refuses (exit 1, a 550 reply).
fn refuse(m: &Mta, rcpt: &str) {
    let (rc, v) = check_json(&[
        &addr(m.port),
        "--ca",
        &ca(),
        "--to",
        rcpt,
        "--quit-after",
        "rcpt",
    ]);
    assert_eq!(rc, 1, "{} {rcpt}: {v:#}", m.name);
    assert_eq!(reply_code(attempt(&v), "rcpt"), 550, "{} {rcpt}", m.name);
}

/// `smtp-doctor logs ARGS --json FILE`: its exit code and JSON lines.
fn logs_json(args: &[&str], file: &Path) -> (i32, Vec<Value>) {
    let file = file.to_string_lossy();
    let mut all = vec!["logs"];
    all.extend_from_slice(args);
    all.extend(["--json", &file]);
    // Output read while it runs: a long log's records fill a pipe.
    let o = common::run_stdin(&all, None);
    let objs = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{args:?}: {e}: {l}")))
        .collect();
    (code(&o), objs)
}

/// The one failure record for recipient `to` among `failures` (`server` wrote the log), of `kind`.
fn only_failure(failures: &[Value], to: &str, kind: &str, server: &str) -> Value {
    let mine: Vec<&Value> = failures
        .iter()
        .filter(|f| f["type"] == "failure" && f["to"] == to)
        .collect();
    assert_eq!(mine.len(), 1, "{server}: one failure for {to}: {mine:#?}");
    assert_eq!(mine[0]["kind"], kind, "{server}: {:#}", mine[0]);
    mine[0].clone()
}

/// The trace of the message `needle` names (a queue ID or Message-ID) in `file`, and the
/// notification traced with it, if any (traces come out as messages close, in any order).
fn trace(file: &Path, needle: &str) -> (Value, Option<Value>) {
    let (_, objs) = logs_json(&["--trace", needle], file);
    let traces: Vec<Value> = objs.into_iter().filter(|o| o["type"] == "trace").collect();
    let t = traces
        .iter()
        .find(|t| t["queue_id"] == needle || t["message_id"] == needle)
        .unwrap_or_else(|| panic!("{}: no trace of {needle}: {traces:#?}", file.display()))
        .clone();
    let ndr = traces
        .iter()
        .find(|n| n["notification_for"] == t["queue_id"])
        .cloned();
    (t, ndr)
}

/// The deliveries of a trace: (recipient, status, dsn, reply code).
fn trace_deliveries(t: &Value) -> Vec<(String, String, Value, Value)> {
    t["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "delivery")
        .map(|e| {
            (
                e["to"].as_str().unwrap_or_default().to_string(),
                e["status"].as_str().unwrap_or_default().to_string(),
                e["dsn"].clone(),
                e["reply_code"].clone(),
            )
        })
        .collect()
}

/// The real-MTA log test: mail sent through each lab server (one message delivered, one
/// recipient refused at RCPT, one message that fails after it was accepted), then the
/// server's own log read by `smtp-doctor logs --json`. Only what this run sent is asserted
/// (the logs hold every earlier run): its recipients carry a tag of this run, and its messages
/// are found by their Message-ID or queue ID.
#[test]
fn logs_of_the_lab_servers_show_what_was_sent() {
    if !need_lab("logs_of_the_lab_servers_show_what_was_sent") {
        return;
    }
    let t = run_tag();
    let lab = lab_dir();
    let sender = format!("sender-{t}@lab.test");
    let refused_foreign = format!("refused-{t}@elsewhere.invalid");
    let bounce_foreign = format!("bounce-{t}@elsewhere.invalid");

    // Postfix: delivered to a real local user; a foreign domain refused at RCPT (its
    // transports for other domains are `error:`); an unknown local user bounced by local(8),
    // with a non-delivery report back to the sender.
    let log = lab.join("postfix/log/maillog");
    let (_, delivered_id, reply) = send(&POSTFIX, &sender, "postfix@lab.test", false);
    let delivered_qid = reply.rsplit(' ').next().expect("queue id").to_string();
    refuse(&POSTFIX, &refused_foreign);
    let unknown_local = format!("bounce-{t}@lab.test");
    let (_, bounced_id, reply) = send(&POSTFIX, &sender, &unknown_local, false);
    let bounced_qid = reply.rsplit(' ').next().expect("queue id").to_string();
    wait_for_in(
        &log,
        &[
            &format!("{delivered_qid}: removed"),
            &format!("{bounced_qid}: removed"),
            &format!("to=<{refused_foreign}>"),
        ],
    );
    let (rc, failures) = logs_json(&["--failures"], &log);
    assert_eq!(rc, 1, "Postfix: failures were found");
    let refused = only_failure(&failures, &refused_foreign, "rejected", "Postfix");
    assert_eq!(refused["reply_code"], 550);
    assert_eq!(refused["enhanced_code"], "5.1.1");
    assert_eq!(refused["client"], "localhost[127.0.0.1]");
    assert_eq!(refused["from"], "", "the null sender");
    let bounced = only_failure(&failures, &unknown_local, "bounced", "Postfix");
    assert_eq!(bounced["dsn"], "5.1.1");
    assert_eq!(bounced["message_id"], bounced_id.as_str());
    assert_eq!(bounced["queue_id"], bounced_qid.as_str());
    assert_eq!(bounced["from"], sender.as_str());
    assert_eq!(bounced["relay"], "local");
    assert_eq!(bounced["finding"]["category"], "userunknown");
    let (m, _) = trace(&log, &delivered_id);
    assert_eq!(m["queue_id"], delivered_qid.as_str());
    assert_eq!(
        trace_deliveries(&m),
        [(
            "postfix@lab.test".into(),
            "sent".into(),
            Value::from("2.0.0"),
            Value::Null
        )]
    );
    let (m, ndr) = trace(&log, &bounced_id);
    let ndr = ndr.expect("Postfix: the bounce's non-delivery report is traced with it");
    assert_eq!(m["notification_id"], ndr["queue_id"]);
    assert_eq!(ndr["notification_for"], bounced_qid.as_str());

    // Exim: delivered to its mbox; a `nosuchuser` local part refused at RCPT by its ACL (Exim
    // logs the refusal's text, not its code); a foreign domain, relayed for an authenticated
    // client, failing at once (no router for it), with a bounce message back to the sender.
    let log = lab.join("exim/log/mainlog");
    let delivered_rcpt = format!("deliver-{t}@lab.test");
    let (_, delivered_id, reply) = send(&EXIM, "", &delivered_rcpt, false);
    let delivered_eid = reply.strip_prefix("OK id=").expect("Exim id").to_string();
    let refused_local = format!("nosuchuser-{t}@lab.test");
    refuse(&EXIM, &refused_local);
    let (_, bounced_id, reply) = send(&EXIM, &sender, &bounce_foreign, true);
    let bounced_eid = reply.strip_prefix("OK id=").expect("Exim id").to_string();
    wait_for_in(
        &log,
        &[
            &format!("{delivered_eid} Completed"),
            &format!("{bounced_eid} Completed"),
            &format!("rejected RCPT <{refused_local}>"),
        ],
    );
    let (rc, failures) = logs_json(&["--failures"], &log);
    assert_eq!(rc, 1);
    let refused = only_failure(&failures, &refused_local, "rejected", "Exim");
    assert_eq!(refused["reply"], "no such user");
    assert_eq!(refused["reply_code"], Value::Null);
    assert_eq!(refused["client"], "(smtp-doctor.invalid) [127.0.0.1]");
    assert_eq!(refused["finding"]["category"], "userunknown");
    let bounced = only_failure(&failures, &bounce_foreign, "bounced", "Exim");
    assert_eq!(bounced["queue_id"], bounced_eid.as_str());
    assert_eq!(bounced["message_id"], bounced_id.as_str());
    assert_eq!(bounced["from"], sender.as_str());
    assert_eq!(bounced["reply"], "Unrouteable address");
    let (m, _) = trace(&log, &delivered_id);
    assert_eq!(m["queue_id"], delivered_eid.as_str());
    assert_eq!(m["complete"], true);
    let d = trace_deliveries(&m);
    assert_eq!(d.len(), 1, "{m:#}");
    assert_eq!(
        (d[0].0.as_str(), d[0].1.as_str()),
        (delivered_rcpt.as_str(), "sent")
    );
    let (m, ndr) = trace(&log, &bounced_id);
    let ndr = ndr.expect("Exim: the bounce message is traced with the message");
    assert_eq!(m["notification_id"], ndr["queue_id"]);
    assert_eq!(ndr["notification_for"], bounced_eid.as_str());
    assert_eq!(
        trace_deliveries(&ndr)
            .iter()
            .map(|d| (d.0.as_str(), d.1.as_str()))
            .collect::<Vec<_>>(),
        [(sender.as_str(), "sent")],
        "the bounce reached the sender's mbox"
    );

    // OpenSMTPD (its foreground log: no syslog prefix): relayed to the lab Postfix, which
    // accepts; a foreign domain refused at RCPT (no rule relays it unauthenticated); the same,
    // relayed for an authenticated client, refused by the lab Postfix at RCPT: a permanent
    // failure after acceptance.
    let log = lab.join("opensmtpd/smtpd.log");
    let (_, _, reply) = send(&OPENSMTPD, "", "postfix@lab.test", false);
    let delivered_msgid = reply.split(' ').nth(1).expect("msgid").to_string();
    refuse(&OPENSMTPD, &refused_foreign);
    let (_, _, reply) = send(&OPENSMTPD, &sender, &bounce_foreign, true);
    let bounced_msgid = reply.split(' ').nth(1).expect("msgid").to_string();
    wait_for_in(
        &log,
        &[
            &format!("mta delivery evpid={delivered_msgid}"),
            &format!("mta delivery evpid={bounced_msgid}"),
            &format!("command=\"RCPT TO:<{refused_foreign}>"),
        ],
    );
    let (rc, failures) = logs_json(&["--failures"], &log);
    assert_eq!(rc, 1);
    let refused = only_failure(&failures, &refused_foreign, "rejected", "OpenSMTPD");
    assert_eq!(refused["reply_code"], 550);
    assert_eq!(
        refused["reply"],
        format!("550 Invalid recipient: <{refused_foreign}>")
    );
    // The refusal names only its session; the client is the one that session connected from.
    assert_eq!(refused["client"], "localhost[127.0.0.1]");
    assert_eq!(
        refused["timestamp"],
        Value::Null,
        "`smtpd -d` lines have no time"
    );
    let bounced = only_failure(&failures, &bounce_foreign, "bounced", "OpenSMTPD");
    assert_eq!(bounced["queue_id"], bounced_msgid.as_str());
    assert_eq!(bounced["from"], sender.as_str());
    assert_eq!(bounced["reply_code"], 550);
    assert_eq!(bounced["enhanced_code"], "5.1.1");
    assert_eq!(bounced["relay"], "127.0.0.1 (localhost)");
    let (m, _) = trace(&log, &delivered_msgid);
    assert_eq!(
        trace_deliveries(&m),
        [(
            "postfix@lab.test".into(),
            "sent".into(),
            Value::from("2.0.0"),
            Value::from(250)
        )]
    );
    let (m, _) = trace(&log, &bounced_msgid);
    let d = trace_deliveries(&m);
    assert_eq!(d.len(), 1, "{m:#}");
    assert_eq!(
        (d[0].0.as_str(), d[0].1.as_str(), &d[0].3),
        (bounce_foreign.as_str(), "bounced", &Value::from(550))
    );
}

/// The deciding knowledge-base entries of the findings the DNS checks added to a `check`.
fn dns_entries(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["dns"] == true)
        .filter_map(|f| f["matched"][0].as_str())
        .collect()
}

/// The DANE report of `host` in a `check`'s DNS section.
fn dane_host<'a>(v: &'a Value, host: &str) -> &'a Value {
    v["dns"]["dane"]["hosts"]
        .as_array()
        .expect("dane hosts")
        .iter()
        .find(|h| h["host"] == host)
        .unwrap_or_else(|| panic!("no DANE report of {host}: {v:#}"))
}

/// `check lab.test` takes `dns`'s DNS options: with `--mta-sts-port` (the policy served by the
/// test, its CA in the one `--ca` file beside the lab CA) the domain is healthy. Then the TLSA
/// records of every MX are matched against the certificate the probe was shown: mx.lab.test's
/// `3 1 1` is the lab key, which the lab Postfix presents (a match, noted); mx2.lab.test's is
/// zeros (no match, the one failure); mx3.lab.test has none. A built-in lab server, with a key of its
/// own, matches no record.
#[test]
fn check_of_lab_test_matches_dane_against_the_presented_certificate() {
    if !need_lab("check_of_lab_test_matches_dane_against_the_presented_certificate") {
        return;
    }
    let schema = common::schema_validator(include_str!("../../../schema/check.v1.json"));
    let policy = PolicyServer::new(GOOD_POLICY, "check-dane");
    let both = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("check-dane-ca-{}.pem", std::process::id()));
    let mut pem = std::fs::read(ca()).expect("lab CA");
    pem.extend(std::fs::read(&policy.ca).expect("policy CA"));
    std::fs::write(&both, pem).expect("CA file");
    let both = both.to_string_lossy().into_owned();
    let base = [
        "lab.test",
        "--dns-server",
        DNS,
        "--port",
        "2525",
        "--ca",
        &both,
        "--mta-sts-port",
        &policy.port,
    ];
    // Without TLS there is no certificate to match.
    let (rc, v) = check_json(&[&base[..], &["--tls", "none", "--quit-after", "ehlo"]].concat());
    assert_eq!(rc, 0, "{v:#}");
    assert_healthy(&v, "check lab.test --mta-sts-port");
    assert_eq!(
        v["dns"]["mta_sts_policy"]["problems"],
        serde_json::json!([])
    );
    assert_eq!(v["dns"]["mta_sts_policy"]["policy"]["mode"], "enforce");
    assert!(dns_entries(&v).is_empty(), "{v:#}");
    assert_eq!(dane_host(&v, "mx.lab.test")["chain"], Value::Null);

    let (rc, v) = check_json(&[&base[..], &["--quit-after", "tls"]].concat());
    let errors: Vec<String> = schema.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}\n{v:#}");
    let leaf = &v["attempts"][0]["tls"]["chain"][0];
    let digest = leaf["spki_sha256"].as_str().expect("spki_sha256");
    assert_eq!(digest.len(), 64, "{leaf:#}");
    let mx = dane_host(&v, "mx.lab.test");
    assert_eq!(mx["chain"]["kind"], "matched", "{mx:#}");
    assert_eq!(mx["chain"]["record"], format!("3 1 1 {digest}"));
    assert_eq!(mx["chain"]["certificate"], 0);
    assert_eq!(dane_host(&v, "mx2.lab.test")["chain"]["kind"], "no_match");
    assert_eq!(dane_host(&v, "mx3.lab.test")["chain"], Value::Null);
    // The match is a note (the classifier makes no finding that is not a failure from a text
    // without a positive reply code); the mismatch a finding.
    let notes = v["dns"]["dane"]["notes"].as_array().expect("notes");
    let note = format!(
        "the certificate chain mx.lab.test presents matches the TLSA record _25._tcp.mx.lab.test 3 1 1 {digest} (its own certificate)"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.starts_with(&note))),
        "{notes:#?}"
    );
    assert_eq!(dns_entries(&v), ["dns.dane.no-match"]);
    assert_eq!(rc, 1, "{v:#}");
    let deciding = &v["findings"][v["verdict"]["finding"].as_u64().expect("finding") as usize];
    assert_eq!(deciding["matched"][0], "dns.dane.no-match", "{v:#}");
    assert!(
        deciding["observed"]
            .as_str()
            .is_some_and(|o| o.contains("the certificate mx2.lab.test presents matches none")),
        "{deciding:#}"
    );
    let out = text(&check(&[&base[..], &["--quit-after", "tls"]].concat()));
    assert!(
        out.contains(&format!(
            "_25._tcp.mx.lab.test: the certificate mx.lab.test presents matches 3 1 1 {digest}"
        )),
        "{out}"
    );

    // A server with another key: the built-in lab's healthy scenario.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let lab = rt
        .block_on(smtp_doctor_lab::Lab::start())
        .expect("the built-in lab starts");
    let port = lab
        .scenarios()
        .iter()
        .find(|s| s.name == "healthy")
        .map(|s| s.addr.port().to_string())
        .expect("healthy scenario");
    let (_, v) = check_json(&[
        "lab.test",
        "--dns-server",
        DNS,
        "--port",
        &port,
        "--insecure",
        "--mta-sts-port",
        &policy.port,
        "--quit-after",
        "tls",
    ]);
    let mx = dane_host(&v, "mx.lab.test");
    assert_eq!(mx["chain"]["kind"], "no_match", "{mx:#}");
    assert!(dns_entries(&v).contains(&"dns.dane.no-match"), "{v:#}");
    let observed: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["observed"].as_str())
        .collect();
    assert!(
        observed
            .iter()
            .any(|o| o.contains("the certificate mx.lab.test presents matches none")),
        "{observed:#?}"
    );
    let _ = std::fs::remove_file(&both);
}
