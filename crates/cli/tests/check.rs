//! `smtp-doctor check`, `lab` and `demo` end to end: the real binary against the built-in lab
//! (started by the test process, on 127.0.0.1 only).

mod common;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use common::{failing_dns, run_env, strings, DnsFault, LabProcess};
use smtp_doctor_lab::{Lab, Scenario};
use std::path::PathBuf;
use std::process::Output;
use std::sync::OnceLock;

/// One lab for every test of this file, kept running by its own runtime.
struct Shared {
    _rt: tokio::runtime::Runtime,
    scenarios: Vec<Scenario>,
    ca: PathBuf,
}

fn lab() -> &'static Shared {
    static LAB: OnceLock<Shared> = OnceLock::new();
    LAB.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let lab = rt.block_on(Lab::start()).expect("the lab starts");
        let dir = std::env::temp_dir().join(format!("smtp-doctor-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, lab.ca_pem()).expect("CA file");
        let scenarios = lab.scenarios().to_vec();
        // The servers live as long as the runtime: the process.
        std::mem::forget(lab);
        Shared {
            _rt: rt,
            scenarios,
            ca,
        }
    })
}

fn addr(name: &str) -> String {
    lab()
        .scenarios
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.addr.to_string())
        .unwrap_or_else(|| panic!("no scenario {name}"))
}

fn ca() -> String {
    lab().ca.to_string_lossy().into_owned()
}

fn run(args: &[&str]) -> Output {
    run_env(args, &[])
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {} {}",
            stdout(o),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// The acceptance table: scenario, expected category, and a fact the evidence line shows.
const DEMO: &[(&str, &str, &str)] = &[
    ("healthy", "delivered", "verified"),
    ("silent", "bannerfailure", "no banner within 3 s"),
    ("close", "bannerfailure", "closed"),
    ("http", "bannerfailure", "HTTP server"),
    ("ssh", "bannerfailure", "SSH server"),
    ("tls-on-plain", "tlsfailure", "TLS server"),
    ("plain-on-tls", "tlsfailure", "plain text"),
    ("greeting-421", "toomanyconn", "421"),
    ("tarpit", "bannerfailure", "banner took 3"),
    ("greylist", "greylisted", "451"),
    ("user-unknown", "userunknown", "550"),
    ("auth-required", "securityerror", "530"),
    ("starttls-broken", "tlsfailure", "TLS handshake failed"),
    ("cert-expired", "tlsfailure", "expired"),
    ("cert-self-signed", "tlsfailure", "self-signed"),
    ("cert-wrong-name", "tlsfailure", "wrong-name.lab.invalid"),
    ("multiline-banner", "delivered", "verified"),
    ("garbage", "bannerfailure", "not an SMTP server"),
    ("junk-banner", "bannerfailure", "41 bytes in 2 lines"),
    ("bare-lf", "delivered", "anomalies"),
    ("flood", "bannerfailure", "not an SMTP server"),
    ("drip", "bannerfailure", "greeting line 1"),
    ("reset", "bannerfailure", "reset"),
    ("nul-banner", "delivered", "anomalies"),
    ("ehlo-flood", "systemerror", "reply larger than"),
    ("tls-stall", "tlsfailure", "no handshake within"),
    ("starttls-plain", "tlsfailure", "plain text"),
];

#[test]
fn demo_diagnoses_every_lab_scenario() {
    let out = run(&["demo", "--color=never"]);
    let text = stdout(&out);
    assert_eq!(code(&out), 0, "{text}");
    let names = Lab::names();
    assert_eq!(names.len(), DEMO.len(), "every scenario is in the table");
    let lines: Vec<&str> = text.lines().collect();
    for (name, category, fact) in DEMO {
        let at = lines
            .iter()
            .position(|l| l.starts_with(&format!("PASS {name} ")))
            .unwrap_or_else(|| panic!("no PASS line for {name}:\n{text}"));
        let found = lines.get(at + 1).copied().unwrap_or("");
        let tarpit_ok = *name == "tarpit" && found.contains("found connectiontimeout");
        assert!(
            found.contains(&format!("found {category}")) || tarpit_ok,
            "{name}: {found}"
        );
        let evidence = lines.get(at + 2).copied().unwrap_or("");
        assert!(
            evidence.contains("evidence:") && evidence.contains(fact),
            "{name}: {evidence}"
        );
    }
    assert!(
        text.contains(&format!(
            "{n} of {n} scenarios diagnosed as expected",
            n = DEMO.len()
        )),
        "{text}"
    );
}

fn envelope<'a>(name: &'a str, extra: &[&'a str]) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "check".into(),
        addr(name),
        "--ca".into(),
        ca(),
        "--from".into(),
        "a@lab.invalid".into(),
        "--to".into(),
        "b@lab.invalid".into(),
        "--timeout-banner".into(),
        "1.5".into(),
        "--timeout-command".into(),
        "3".into(),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn run_owned(args: &[String], env: &[(&str, &str)]) -> Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    run_env(&refs, env)
}

#[test]
fn json_output_matches_the_committed_schema() {
    let validator = common::schema_validator(include_str!("../../../schema/check.v1.json"));
    let cases: &[(&str, &[&str], &str)] = &[
        ("healthy", &["--data"], "delivered"),
        ("greylist", &[], "greylisted"),
        ("user-unknown", &[], "userunknown"),
        ("cert-expired", &["--insecure"], "tlsfailure"),
        ("cert-wrong-name", &[], "tlsfailure"),
        ("http", &[], "bannerfailure"),
        ("silent", &["--timeout-banner", "0.3"], "bannerfailure"),
        ("tls-on-plain", &["--timeout-banner", "0.3"], "tlsfailure"),
        ("plain-on-tls", &["--tls", "implicit"], "tlsfailure"),
        ("garbage", &[], "bannerfailure"),
        ("bare-lf", &["--quit-after", "ehlo"], "delivered"),
        ("junk-banner", &["--quit-after", "ehlo"], "bannerfailure"),
        ("starttls-broken", &[], "tlsfailure"),
    ];
    for (name, extra, category) in cases {
        let mut args = envelope(name, extra);
        args.push("--json".into());
        let out = run_owned(&args, &[]);
        let v = json(&out);
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}\n{v:#}");
        assert_eq!(v["schema"], "smtp-doctor/check/v1");
        assert_eq!(v["verdict"]["category"], *category, "{name}: {v:#}");
        let healthy = *category == "delivered";
        assert_eq!(code(&out), if healthy { 0 } else { 1 }, "{name}");
        if !healthy {
            let i = v["verdict"]["finding"].as_u64().expect("index") as usize;
            assert_eq!(v["findings"][i]["category"], *category);
            assert!(v["findings"][i]["observed"].as_str().is_some());
        }
    }
    // A refused connection on loopback, with nothing to resolve.
    let out = run(&["check", "127.0.0.1:1", "--json"]);
    let v = json(&out);
    assert!(validator.is_valid(&v), "{v:#}");
    assert_eq!(v["verdict"]["category"], "connectionrefused");
    assert_eq!(v["attempts"][0]["stages"][0]["error"]["kind"], "refused");
    // Stages, TLS and EHLO carry what the contract says.
    let out = run_owned(&envelope("healthy", &["--json"]), &[]);
    let v = json(&out);
    let a = &v["attempts"][0];
    assert_eq!(a["tls"]["verified"], true);
    assert_eq!(a["ehlo"]["over_tls"], true);
    // The three names: banner, EHLO reply, PTR (loopback: RFC 6761's localhost, not looked up).
    let b = &a["banner"];
    assert_eq!(b["hostname"], "mx.lab.invalid", "{b:#}");
    assert_eq!(b["ehlo_name"], "mx.lab.invalid", "{b:#}");
    assert_eq!(b["matches_ehlo"], true);
    assert_eq!(b["ptr"]["source"], "special_use", "{b:#}");
    assert_eq!(b["ptr"]["names"], serde_json::json!(["localhost"]));
    assert_eq!(b["matches_ptr"], serde_json::Value::Null);
    let stages = strings(a, "stages", "name");
    assert_eq!(
        stages,
        ["connect", "banner", "ehlo", "starttls", "tls", "ehlo", "mail", "rcpt", "data", "quit"]
    );
    assert_eq!(a["stages"][7]["reply"]["code"], 250);
    assert_eq!(a["stages"][7]["command"], "RCPT TO:<b@lab.invalid>");
    // The schema rejects what it must.
    let mut bad = v.clone();
    bad["verdict"]["status"] = serde_json::Value::from("fine");
    assert!(!validator.is_valid(&bad));
}

#[test]
fn exit_codes() {
    let healthy = run_owned(&envelope("healthy", &[]), &[]);
    assert_eq!(code(&healthy), 0, "{}", stdout(&healthy));
    let text = stdout(&healthy);
    for part in [
        "Transcript",
        "→ EHLO",
        "← 250",
        "TLS: TLSv1.3",
        "Banner: name mx.lab.invalid;",
        "same name as the EHLO reply; PTR localhost (loopback: RFC 6761 special-use name, not looked up)",
        "Timing",
        "Verdict: HEALTHY",
    ] {
        assert!(text.contains(part), "{part:?} in\n{text}");
    }
    let grey = run_owned(&envelope("greylist", &["--color=never"]), &[]);
    assert_eq!(code(&grey), 1);
    assert!(stdout(&grey).contains("Verdict: TEMPORARY greylisted"));
    assert_eq!(code(&run(&["check", "bad:port:x"])), 2, "bad target");
    assert_eq!(
        code(&run(&["check", "127.0.0.1", "--no-such-flag"])),
        2,
        "bad flag"
    );
    assert_eq!(
        code(&run(&["check", "127.0.0.1", "--timeout-banner", "-1"])),
        2,
        "bad timeout"
    );
    assert_eq!(
        code(&run(&["check", "127.0.0.1", "--ca", "/nonexistent/ca.pem"])),
        2,
        "unreadable CA"
    );
    let unset = run_owned(
        &envelope(
            "healthy",
            &[
                "--auth",
                "PLAIN",
                "--auth-user",
                "lab",
                "--auth-password-env",
                "SMTP_DOCTOR_NO_SUCH_VAR",
            ],
        ),
        &[],
    );
    assert_eq!(code(&unset), 2, "password variable not set");
    let no_source = run_owned(
        &envelope("healthy", &["--auth", "PLAIN", "--auth-user", "lab"]),
        &[],
    );
    assert_eq!(code(&no_source), 2, "no password source and no terminal");
}

#[test]
fn nagios_format() {
    let perf = |line: &str, stage: &str| {
        line.trim_end()
            .split(" | ")
            .nth(1)
            .unwrap_or("")
            .split(' ')
            .any(|p| {
                p.strip_prefix(&format!("{stage}="))
                    .and_then(|v| v.strip_suffix("ms;;;"))
                    .is_some_and(|n| n.parse::<u64>().is_ok())
            })
    };
    let ok = run_owned(&envelope("healthy", &["--format", "nagios"]), &[]);
    let line = stdout(&ok);
    assert_eq!(code(&ok), 0, "{line}");
    assert!(line.starts_with("SMTP OK - "), "{line}");
    assert_eq!(line.lines().count(), 1);
    for stage in ["connect", "banner", "ehlo", "tls", "rcpt", "time"] {
        assert!(perf(&line, stage), "{stage} in {line}");
    }
    let warn = run_owned(&envelope("greylist", &["--format", "nagios"]), &[]);
    assert_eq!(code(&warn), 1);
    assert!(stdout(&warn).starts_with("SMTP WARNING - "));
    let crit = run_owned(&envelope("cert-expired", &["--format", "nagios"]), &[]);
    assert_eq!(code(&crit), 2);
    assert!(stdout(&crit).starts_with("SMTP CRITICAL - "));
    let unknown = run(&["check", "bad:port:x", "--format", "nagios"]);
    assert_eq!(code(&unknown), 3);
    assert!(stdout(&unknown).starts_with("SMTP UNKNOWN - "));
}

#[test]
fn secrets_never_appear_in_any_output() {
    let right = smtp_doctor_lab::LAB_PASSWORD;
    let wrong = "Wr0ng-S3cret-pw";
    let dir = std::env::temp_dir().join(format!("smtp-doctor-secret-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("pw");
    for pw in [right, wrong] {
        std::fs::write(&file, format!("{pw}\n")).expect("password file");
        let forms = [
            pw.to_string(),
            BASE64.encode(pw),
            BASE64.encode(format!("\0lab\0{pw}")),
            BASE64.encode(format!("lab\0lab\0{pw}")),
        ];
        for mech in ["PLAIN", "LOGIN"] {
            for format in [&["--color=never"][..], &["--json"], &["--format", "nagios"]] {
                for source in [
                    &["--auth-password-env", "SMTP_DOCTOR_TEST_PW"][..],
                    &["--auth-password-file", file.to_str().expect("path")],
                ] {
                    let mut extra = vec!["--auth", mech, "--auth-user", "lab"];
                    extra.extend_from_slice(source);
                    extra.extend_from_slice(format);
                    let out =
                        run_owned(&envelope("healthy", &extra), &[("SMTP_DOCTOR_TEST_PW", pw)]);
                    let want = match (pw == right, format == ["--format", "nagios"]) {
                        (true, _) => 0,
                        (false, false) => 1,
                        (false, true) => 2,
                    };
                    assert_eq!(code(&out), want, "{mech} {format:?}: {}", stdout(&out));
                    let mut all = out.stdout.clone();
                    all.extend_from_slice(&out.stderr);
                    let all = String::from_utf8_lossy(&all);
                    for f in &forms {
                        assert!(!all.contains(f.as_str()), "{mech} {format:?} shows {f:?}");
                    }
                    if format == ["--color=never"] {
                        assert!(all.contains(&format!("AUTH {mech}")), "{all}");
                    }
                }
            }
        }
    }
}

#[test]
fn lab_serves_until_end_of_input() {
    let lab = LabProcess::start(&[], &["--only", "healthy", "--only", "greylist"]);
    let ca = lab.ca();
    let healthy = lab.addr("healthy");
    assert!(lab.field("greylist ", 3).starts_with("greylisted"));
    assert_eq!(
        lab.lines.iter().filter(|l| l.starts_with("127.")).count(),
        0
    );
    let pem = std::fs::read_to_string(&ca).expect("the CA file is there");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let out = run(&["check", &healthy, "--tls", "starttls", "--ca", &ca]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let (status, err) = lab.stop();
    assert_eq!(status.code(), Some(0));
    assert!(err.is_empty(), "{err}");
    assert!(
        !std::path::Path::new(&ca).exists(),
        "the CA file is removed"
    );
}

#[test]
fn the_whole_chain_is_listed_and_verified_with_the_root() {
    let out = run_owned(
        &envelope("healthy", &["--quit-after", "ehlo", "--json"]),
        &[],
    );
    let v = json(&out);
    assert_eq!(code(&out), 0, "{v:#}");
    let tls = &v["attempts"][0]["tls"];
    let chain = tls["chain"].as_array().expect("chain");
    assert_eq!(chain.len(), 2, "leaf and intermediate: {tls:#}");
    assert_eq!(chain[0]["issuer"], chain[1]["subject"], "{tls:#}");
    let inter = chain[1]["subject"].as_str().unwrap_or_default();
    assert!(
        inter.contains("CN=smtp-doctor lab intermediate CA"),
        "{tls:#}"
    );
    let root = chain[1]["issuer"].as_str().unwrap_or_default();
    assert!(root.contains("CN=smtp-doctor lab CA"), "{tls:#}");
    assert_eq!(chain[1]["self_signed"], false);
    // --ca holds the root only: the intermediate from the server completes the path.
    let pem = std::fs::read_to_string(ca()).expect("CA file");
    assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 1);
    assert_eq!(tls["verified"], true, "{tls:#}");
    assert_eq!(tls["verify_error"], serde_json::Value::Null);
    // The text report shows every certificate.
    let out = run_owned(&envelope("healthy", &["--quit-after", "ehlo"]), &[]);
    let text = stdout(&out);
    assert!(
        text.contains("certificate 0: subject CN=mx.lab.invalid"),
        "{text}"
    );
    assert!(
        text.contains("certificate 1: subject CN=smtp-doctor lab intermediate CA"),
        "{text}"
    );
}

#[test]
fn a_lab_on_ipv6_loopback_is_probed_as_v6_address_and_port() {
    let lab = LabProcess::start(&[], &["--only", "healthy", "--address", "::1"]);
    let target = lab.addr("healthy");
    assert!(target.starts_with("[::1]:"), "{target}");
    let ca = lab.ca();
    let out = run(&[
        "check",
        &target,
        "--ca",
        &ca,
        "--quit-after",
        "ehlo",
        "--json",
    ]);
    let v = json(&out);
    assert_eq!(code(&out), 0, "{v:#}");
    assert_eq!(v["target"], target);
    assert_eq!(
        v["resolution"]["mx"][0]["addresses"],
        serde_json::json!(["::1"])
    );
    let a = &v["attempts"][0];
    assert_eq!(a["addr"], target);
    assert_eq!(a["tls"]["verify_name"], "::1", "{:#}", a["tls"]);
    assert_eq!(a["tls"]["sni"], serde_json::Value::Null, "no SNI for an IP");
    assert_eq!(a["tls"]["verified"], true, "{:#}", a["tls"]);
    assert_eq!(a["banner"]["ptr"]["source"], "special_use");
    let (status, _) = lab.stop();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn dns_failures_keep_their_kind() {
    for (fault, kind, extra) in [
        (DnsFault::Refused, "refused", &[][..]),
        // Nothing answers: the total deadline (2 s) bounds the resolve stage.
        (DnsFault::Silent, "timeout", &["--timeout-total", "2"][..]),
    ] {
        let server = failing_dns(fault).to_string();
        // Not a .invalid name: hickory answers those itself (RFC 6761), without asking.
        let mut args = vec!["check", "mx.lab.test", "--dns-server", &server, "--json"];
        args.extend_from_slice(extra);
        let out = run(&args);
        let v = json(&out);
        assert_eq!(code(&out), 1, "{fault:?}: {v:#}");
        let res = &v["resolution"];
        assert_eq!(res["server"], server.as_str());
        let errors = res["errors"].as_array().expect("errors");
        assert!(!errors.is_empty(), "{fault:?}: {res:#}");
        for e in errors {
            assert_eq!(e["kind"], kind, "{fault:?}: {e:#}");
            assert_eq!(e["name"], "mx.lab.test", "{e:#}");
        }
        assert_eq!(v["attempts"].as_array().map(Vec::len), Some(0), "{v:#}");
        let f = &v["findings"][0];
        assert_eq!(f["stage"], "resolve", "{f:#}");
        assert_eq!(v["verdict"]["category"], "networkerror", "{fault:?}: {v:#}");
    }
}
