//! `smtp-doctor check`, `lab` and `demo` end to end: the real binary against the built-in lab
//! (started by the test process, on 127.0.0.1 only).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use smtp_doctor_lab::{Lab, Scenario};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_smtp-doctor");
/// Longest any one run of the binary may take.
const RUN_LIMIT: Duration = Duration::from_secs(60);

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

/// Runs the binary with `args` and extra environment, killed if it outlives [`RUN_LIMIT`].
fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the binary starts");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            panic!("{args:?} ran longer than {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
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
    let schema_text = include_str!("../../../schema/check.v1.json");
    let schema: serde_json::Value = serde_json::from_str(schema_text).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
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
    let stages: Vec<&str> = a["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
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
    let mut child = Command::new(BIN)
        .args(["lab", "--only", "healthy", "--only", "greylist"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lab starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.starts_with("Try:")) {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(l) => lines.push(l),
            Err(_) => {
                let _ = child.kill();
                panic!("the lab printed {lines:?} and then nothing");
            }
        }
    }
    let field = |prefix: &str, n: usize| {
        lines
            .iter()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(n))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no {prefix:?} line in {lines:?}"))
    };
    let ca = field("CA certificate:", 2);
    let healthy = field("healthy ", 1);
    assert!(field("greylist ", 3).starts_with("greylisted"));
    assert_eq!(lines.iter().filter(|l| l.starts_with("127.")).count(), 0);
    let pem = std::fs::read_to_string(&ca).expect("the CA file is there");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let out = run(&["check", &healthy, "--tls", "starttls", "--ca", &ca]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    drop(child.stdin.take());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the lab did not stop at end of input");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    let mut err = String::new();
    let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
    assert!(err.is_empty(), "{err}");
    assert!(
        !std::path::Path::new(&ca).exists(),
        "the CA file is removed"
    );
    let _ = std::io::stdout().flush();
}
