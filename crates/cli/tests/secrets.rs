//! Secrets never reach an output: `check` with AUTH credentials (PLAIN, LOGIN and an XOAUTH2
//! token; from the environment and from a file) against the built-in lab, in every output
//! format, with every exchanged line traced on stderr (`-vv`). Neither the password, the
//! token, nor any base64 form the SASL exchange builds from them may appear.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

mod common;
use common::{spawn_limited, LabProcess};

const USER: &str = smtp_doctor_lab::LAB_USER;
const PASSWORD: &str = smtp_doctor_lab::LAB_PASSWORD;
/// An OAuth bearer token, as XOAUTH2 sends it.
const TOKEN: &str = "ya29.a0AfH6SMBx-secret-token-for-the-test";

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
            for leak in forms(secret) {
                assert!(
                    !stdout.contains(&leak),
                    "{what}: stdout holds {leak:?}:\n{stdout}"
                );
                assert!(
                    !stderr.contains(&leak),
                    "{what}: stderr holds {leak:?}:\n{stderr}"
                );
            }
            runs += 1;
        }
    }
    assert_eq!(runs, 12);
    let _ = std::fs::remove_dir_all(&dir);
    let (status, stderr) = lab.stop();
    assert!(status.success(), "{stderr}");
}
