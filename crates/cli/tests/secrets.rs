//! Secrets never reach an output: `check` with AUTH credentials (PLAIN, LOGIN and an XOAUTH2
//! token; from the environment and from a file) against the built-in lab, in every output
//! format, with every exchanged line traced on stderr (`-vv`); and `monitor` with the same
//! credentials in its checks, `--once` and `--listen` at trace level: its terminal output, its
//! SQLite history (the file and its WAL), its page, JSON API and metrics, and the webhook
//! alert it posts. Neither the password, the token, nor any base64 form the SASL exchange
//! builds from them may appear.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;
use common::{get, listen, sample, spawn_limited, webhook, LabProcess, TempDir};

const USER: &str = smtp_doctor_lab::LAB_USER;
const PASSWORD: &str = smtp_doctor_lab::LAB_PASSWORD;
/// An OAuth bearer token, as XOAUTH2 sends it.
const TOKEN: &str = "ya29.a0AfH6SMBx-secret-token-for-the-test";

/// Asserts that no form of any of `secrets` is in `text`, which `what` names.
fn assert_clean(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        for leak in forms(secret) {
            assert!(!text.contains(&leak), "{what} holds {leak:?}:\n{text}");
        }
    }
}

/// Every form a secret could leak in.
fn forms(secret: &str) -> Vec<String> {
    vec![
        secret.to_string(),
        BASE64.encode(secret),
        BASE64.encode(format!("\0{USER}\0{secret}")),
        BASE64.encode(format!("user={USER}\x01auth=Bearer {secret}\x01\x01")),
    ]
}

#[test]
fn no_output_holds_a_password_or_token() {
    let lab = LabProcess::start(&[], &["--only", "healthy"]);
    let (addr, ca) = (lab.addr("healthy"), lab.ca());
    let dir = std::env::temp_dir().join(format!("smtp-doctor-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let pw_file = dir.join("password");
    std::fs::write(&pw_file, format!("{PASSWORD}\n")).expect("password file");
    let tok_file = dir.join("token");
    std::fs::write(&tok_file, format!("{TOKEN}\n")).expect("token file");
    let (pw_file, tok_file) = (
        pw_file.to_str().expect("utf-8"),
        tok_file.to_str().expect("utf-8"),
    );
    let sources: [(&str, &[&str], &str); 4] = [
        ("PLAIN", &["--auth-password-env", "SD_SECRET"], PASSWORD),
        ("LOGIN", &["--auth-password-file", pw_file], PASSWORD),
        ("PLAIN", &["--auth-password-file", pw_file], PASSWORD),
        ("XOAUTH2", &["--auth-password-file", tok_file], TOKEN),
    ];
    let mut runs = 0;
    for (mech, source, secret) in sources {
        for format in ["text", "json", "nagios"] {
            let mut args = vec![
                "check",
                &addr,
                "--tls",
                "starttls",
                "--ca",
                &ca,
                "--auth",
                mech,
                "--auth-user",
                USER,
                "--format",
                format,
                "-vv",
                "--from",
                "a@lab.invalid",
                "--to",
                "b@lab.invalid",
            ];
            args.extend_from_slice(source);
            let out = spawn_limited(common::BIN, &args, &[("SD_SECRET", secret)]);
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let what = format!("AUTH {mech} {source:?} --format {format}");
            assert!(
                stderr.contains("TRACE"),
                "{what}: no trace on stderr: {stderr}"
            );
            if mech == "XOAUTH2" {
                // The lab does not offer XOAUTH2: the token stays home, and the report says so.
                assert_eq!(
                    out.status.code(),
                    Some(if format == "nagios" { 2 } else { 1 })
                );
                assert!(
                    format == "nagios" || stdout.contains("XOAUTH2"),
                    "{what}: {stdout}"
                );
            } else {
                // The lab accepts the password: the exchange really happened, and was traced.
                assert_eq!(out.status.code(), Some(0), "{what}: {stdout}{stderr}");
                let traced = format!("-> AUTH {mech}");
                assert!(stderr.contains(&traced), "{what}: {stderr}");
            }
            assert_clean(&format!("{what}: stdout"), &stdout, &[secret]);
            assert_clean(&format!("{what}: stderr"), &stderr, &[secret]);
            runs += 1;
        }
    }
    assert_eq!(runs, 12);
    let _ = std::fs::remove_dir_all(&dir);
    let (status, stderr) = lab.stop();
    assert!(status.success(), "{stderr}");
}

#[test]
fn no_monitor_output_holds_a_password_or_token() {
    let lab = LabProcess::start(&[], &["--only", "healthy"]);
    let (addr, ca) = (lab.addr("healthy"), lab.ca());
    let (hook, bodies) = webhook();
    let dir = TempDir::new("secrets");
    dir.write("password", &format!("{PASSWORD}\n"));
    dir.write("token", &format!("{TOKEN}\n"));
    let check = |name: &str, mech: &str, source: &str| {
        format!(
            "[[check]]\nname = \"{name}\"\ncheck = \"{addr}\"\ntls = \"starttls\"\nca = \"{ca}\"\n\
             from = \"a@lab.invalid\"\nto = \"b@lab.invalid\"\nauth = \"{mech}\"\n\
             auth-user = \"{USER}\"\n{source}\ninterval = \"2s\"\ntimeout = \"2s\"\n"
        )
    };
    let file = dir.write(
        "monitor.toml",
        &format!(
            "{}{}{}[[alert]]\nname = \"hook\"\nwebhook = \"{hook}\"\n",
            check("plain", "PLAIN", "auth-password-env = \"SD_SECRET\""),
            check("login", "LOGIN", "auth-password-file = \"password\""),
            // The lab does not offer XOAUTH2: a failing check, whose alert is posted.
            check("token", "XOAUTH2", "auth-password-file = \"token\""),
        ),
    );
    let secrets = [PASSWORD, TOKEN];
    let env = [("SD_SECRET", PASSWORD)];

    // --once, traced: the exchange happened (PLAIN and LOGIN accepted), nothing leaked.
    let once_db = dir.0.join("once.db").to_string_lossy().into_owned();
    let out = spawn_limited(
        common::BIN,
        &[
            "monitor", "--config", &file, "--once", "--store", &once_db, "-vv",
        ],
        &env,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("ok        plain"), "{stdout}");
    assert!(stdout.contains("ok        login"), "{stdout}");
    assert!(stdout.contains("failed    token"), "{stdout}");
    assert!(stderr.contains("TRACE"), "no trace on stderr: {stderr}");
    for traced in ["-> AUTH PLAIN", "-> AUTH LOGIN"] {
        assert!(stderr.contains(traced), "{traced} not traced: {stderr}");
    }
    assert_clean("monitor --once stdout", &stdout, &secrets);
    assert_clean("monitor --once stderr", &stderr, &secrets);

    // --listen, traced to a file: the page, the API, the metrics and the alert.
    let log = dir.0.join("listen.log");
    let (mut child, at) = listen(
        &["--config", &file, "-vv"],
        &env,
        Stdio::from(std::fs::File::create(&log).expect("log file")),
    );
    let start = Instant::now();
    let metrics = loop {
        let (_, text) = get(&at, "/metrics");
        let runs = |c: &str| {
            sample(
                &text,
                &format!("smtp_doctor_check_runs_total{{check=\"{c}\"}}"),
            )
        };
        if ["plain", "login", "token"]
            .iter()
            .all(|c| runs(c) >= Some(2.0))
        {
            break text;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{text}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut served = vec![("/metrics".to_string(), metrics)];
    for path in [
        "/".to_string(),
        "/api/checks".to_string(),
        "/api/checks/plain".to_string(),
        "/api/checks/login".to_string(),
        "/api/checks/token".to_string(),
        format!("/probe?target={addr}&module=plain"),
    ] {
        let (status, body) = get(&at, &path);
        assert_eq!(status, 200, "{path}: {body}");
        served.push((path, body));
    }
    let alert = bodies
        .recv_timeout(Duration::from_secs(30))
        .expect("the failing token check's alert");
    // Killed, not stopped: the WAL keeps what was written.
    let _ = child.kill();
    let _ = child.wait();
    assert!(alert.contains("\"check\":\"token\""), "{alert}");
    assert_clean("the webhook alert", &alert, &secrets);
    for (path, body) in &served {
        assert_clean(&format!("GET {path}"), body, &secrets);
    }
    // The stored transcript shows the AUTH command, redacted, and its success.
    let plain: serde_json::Value = serde_json::from_str(&served[3].1).expect("JSON");
    let transcript = plain["attempts"][0]["transcript"].to_string();
    assert!(transcript.contains("AUTH PLAIN <redacted>"), "{transcript}");
    assert!(transcript.contains("235"), "{transcript}");
    assert!(served[1].1.contains("AUTH LOGIN"), "the page shows no AUTH");
    let log = std::fs::read_to_string(&log).expect("the log");
    assert!(
        log.contains("TRACE") && log.contains("-> AUTH PLAIN"),
        "{log}"
    );
    assert_clean("monitor --listen stderr", &log, &secrets);
    // Every byte of both histories, their WAL files included.
    let mut files = 0;
    for entry in std::fs::read_dir(&dir.0).expect("the directory") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.contains(".db") {
            let bytes = std::fs::read(&path).expect("a history file");
            assert_clean(
                &path.display().to_string(),
                &String::from_utf8_lossy(&bytes),
                &secrets,
            );
            files += 1;
        }
    }
    assert!(files >= 3, "the histories and their WAL file");
    assert!(
        dir.0.join("monitor.db-wal").exists(),
        "no WAL beside the killed monitor's history"
    );
    let (status, stderr) = lab.stop();
    assert!(status.success(), "{stderr}");
}
