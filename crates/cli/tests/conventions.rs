//! The conventions of a Unix tool: shell completions and manual pages generated from the clap
//! definitions, and a closed output pipe ending the run quietly with exit 0.

use std::io::Read;
use std::process::{Command, Stdio};

mod common;
use common::{run_stdin, BIN};

/// Every subcommand a user can type.
const COMMANDS: [&str; 10] = [
    "explain",
    "check",
    "dns",
    "bounce",
    "logs",
    "monitor",
    "lab",
    "demo",
    "completions",
    "man",
];

fn stdout_of(args: &[&str]) -> String {
    let out = run_stdin(args, None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn completions_name_every_command_in_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout_of(&["completions", shell]);
        for c in COMMANDS {
            assert!(script.contains(c), "{shell}: {c} missing");
        }
    }
    let out = run_stdin(&["completions", "tcsh"], None);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn bash_completes_subcommands_and_options() {
    let dir = std::env::temp_dir().join(format!("smtp-doctor-completions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let script = dir.join("smtp-doctor.bash");
    std::fs::write(&script, stdout_of(&["completions", "bash"])).expect("script written");
    // Source the script as bash-completion would, then ask the completion function what
    // follows `smtp-doctor ` and `smtp-doctor logs --si`.
    let probe = r#"
        source "$1"
        f=$(complete -p smtp-doctor | sed -E 's/.*-F ([^ ]+).*/\1/')
        ask() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMPREPLY=();
                "$f" smtp-doctor "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}";
                echo "${COMPREPLY[*]}"; }
        ask smtp-doctor ''
        ask smtp-doctor logs --si
    "#;
    let out = Command::new("bash")
        .args(["-c", probe, "probe"])
        .arg(&script)
        .output()
        .expect("bash runs");
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let top: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
    for c in COMMANDS {
        assert!(
            top.contains(&c),
            "{c} not offered: {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(lines.next(), Some("--since"), "{text}");
}

#[test]
fn man_pages_describe_every_command() {
    let page = stdout_of(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH smtp-doctor 1"),
        "{page}"
    );
    assert!(page.contains(".TH smtp-doctor 1"), "{page}");
    for c in COMMANDS {
        assert!(page.contains(c), "smtp-doctor(1) does not name {c}");
    }
    let dir = std::env::temp_dir().join(format!("smtp-doctor-man-{}", std::process::id()));
    let d = dir.to_str().expect("utf-8 temp dir");
    stdout_of(&["man", "--dir", d]);
    for c in COMMANDS {
        let file = dir.join(format!("smtp-doctor-{c}.1"));
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
        assert!(text.contains(&format!(".TH smtp-doctor-{c} 1")), "{file:?}");
    }
    let logs = std::fs::read_to_string(dir.join("smtp-doctor-logs.1")).expect("logs page");
    assert!(
        logs.contains(r"\-\-since"),
        "the logs page lists its options"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_closed_output_pipe_ends_the_run_with_exit_0() {
    // Far more output than a pipe holds: the reader takes a few bytes and closes its end.
    let input = "550 5.1.1 User unknown\n".repeat(50_000);
    let file = std::env::temp_dir().join(format!("smtp-doctor-pipe-{}.txt", std::process::id()));
    std::fs::write(&file, input).expect("input written");
    let mut child = Command::new(BIN)
        .args(["explain", "--file"])
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut head = [0u8; 16];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut head)
        .expect("some output");
    let out = child.wait_with_output().expect("the binary ends");
    let _ = std::fs::remove_file(&file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("error"),
        "{stderr}"
    );
}

/// `explain 550` with a configuration file and extra environment; its output and exit code.
fn explain_with(
    config: Option<&str>,
    env: &[(&str, &str)],
    args: &[&str],
) -> (Option<i32>, String, String) {
    let dir = std::env::temp_dir().join(format!(
        "smtp-doctor-config-{}-{}",
        std::process::id(),
        CONFIGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("config.toml");
    let mut all_env: Vec<(&str, &str)> = env.to_vec();
    let path = file.to_str().expect("utf-8").to_string();
    if let Some(text) = config {
        std::fs::write(&file, text).expect("config written");
        all_env.push(("SMTP_DOCTOR_CONFIG", &path));
    } else {
        all_env.push(("SMTP_DOCTOR_CONFIG", ""));
    }
    let mut argv = vec!["explain"];
    argv.extend_from_slice(args);
    argv.push("550 5.1.1 User unknown");
    let out = common::run_env(&argv, &all_env);
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

static CONFIGS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[test]
fn the_command_line_beats_the_environment_which_beats_the_config_file() {
    let is_json = |out: &str| out.trim_start().starts_with('{');
    let (_, plain, _) = explain_with(None, &[], &[]);
    assert!(!is_json(&plain), "{plain}");
    // The file's default...
    let (code, out, err) = explain_with(Some("[explain]\njson = true\n"), &[], &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(is_json(&out), "{out}");
    // ...overridden by the environment...
    let env = [("SMTP_DOCTOR_EXPLAIN_JSON", "false")];
    let (_, out, _) = explain_with(Some("[explain]\njson = true\n"), &env, &[]);
    assert!(!is_json(&out), "{out}");
    // ...overridden by the command line.
    let (_, out, _) = explain_with(Some("[explain]\njson = false\n"), &env, &["--json"]);
    assert!(is_json(&out), "{out}");
    // A global option at the top of the file.
    let (_, out, _) = explain_with(Some("color = \"always\"\n"), &[], &[]);
    assert!(out.contains('\u{1b}'), "colour from the file: {out:?}");
    let (_, out, _) = explain_with(
        Some("color = \"always\"\n"),
        &[("SMTP_DOCTOR_COLOR", "never")],
        &[],
    );
    assert!(!out.contains('\u{1b}'), "{out:?}");
}

#[test]
fn config_file_mistakes_are_named_with_their_line() {
    let text = "colour = \"never\"\n[explain]\njsn = true\n[chek]\nx = 1\n[logs]\nfollow = 3\n";
    let (code, out, err) = explain_with(Some(text), &[], &[]);
    assert_eq!(code, Some(2), "{out}");
    for (line, what) in [
        (1, "colour: no such option"),
        (3, "[explain] jsn: no such option"),
        (4, "no subcommand is called [chek]"),
        (7, "[logs] follow: a switch: true or false"),
    ] {
        assert!(
            err.contains(&format!("config.toml:{line}: {what}")),
            "{what}: {err}"
        );
    }
    let (code, _, err) = explain_with(Some("[explain\n"), &[], &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("config.toml:1:"), "{err}");
    // A value the option refuses: the option's own error, and the file named beside it.
    let (code, _, err) = explain_with(Some("[check]\ntimeout-banner = \"soon\"\n"), &[], &[]);
    assert_eq!(code, Some(1), "explain does not read [check]: {err}");
    let dir = std::env::temp_dir().join(format!("smtp-doctor-config-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("c.toml");
    std::fs::write(&file, "[check]\ntimeout-banner = \"soon\"\n").expect("write");
    let out = common::run_env(
        &["check", "127.0.0.1:9"],
        &[("SMTP_DOCTOR_CONFIG", file.to_str().expect("utf-8"))],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--timeout-banner") && err.contains("c.toml"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_config_file_is_found_under_xdg_config_home() {
    let dir = std::env::temp_dir().join(format!("smtp-doctor-xdg-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("smtp-doctor")).expect("dir");
    std::fs::write(
        dir.join("smtp-doctor/config.toml"),
        "[explain]\njson = true\n",
    )
    .expect("write");
    let xdg = dir.to_str().expect("utf-8");
    let out = Command::new(BIN)
        .args(["explain", "550"])
        .env_remove("SMTP_DOCTOR_CONFIG")
        .env("XDG_CONFIG_HOME", xdg)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(String::from_utf8_lossy(&out.stdout)
        .trim_start()
        .starts_with('{'));
}
