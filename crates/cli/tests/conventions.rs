//! The conventions of a Unix tool: shell completions and manual pages generated from the clap
//! definitions, and a closed output pipe ending the run quietly with exit 0.

use std::io::Read;
use std::process::{Command, Stdio};

mod common;
use common::{run_stdin, BIN};

/// Every subcommand a user can type.
const COMMANDS: [&str; 8] = [
    "explain",
    "check",
    "bounce",
    "logs",
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
