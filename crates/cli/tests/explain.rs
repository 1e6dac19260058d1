//! `smtp-doctor explain` end to end: the real binary, its output, JSON contract and exit codes.

use std::process::{Command, Output};

mod common;
const TABLE: &str = include_str!("../../kb/tests/source-messages.tsv");

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    common::run_stdin(args, stdin)
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

fn rows() -> Vec<(&'static str, &'static str, &'static str)> {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let mut p = l.split('\t');
            (
                p.next().unwrap_or(""),
                p.next().unwrap_or(""),
                p.next().unwrap_or(""),
            )
        })
        .collect()
}

fn temp_file(name: &str, data: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("smtp-doctor-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, data).expect("temp file");
    path
}

#[test]
fn table_rows_in_human_and_json_output() {
    let rows = rows();
    assert!(rows.len() >= 21);
    for (msg, category, class) in rows {
        let human = run(&["explain", "--color=never", msg], None);
        let text = stdout(&human);
        let headline = text.lines().nth(1).unwrap_or("");
        assert!(
            headline.contains(&format!(" {category} "))
                && headline.contains(&format!("class {class}")),
            "{msg:?}: headline {headline:?}"
        );
        let json = run(&["explain", "--json", msg], None);
        let v = &json_lines(&json)[0];
        assert_eq!(
            (v["category"].as_str(), v["class"].as_str()),
            (Some(category), Some(class)),
            "{msg:?}"
        );
        let want = if category == "delivered" { 0 } else { 1 };
        assert_eq!(
            (code(&human), code(&json)),
            (want, want),
            "{msg:?}: exit codes"
        );
    }
}

#[test]
fn exit_codes() {
    assert_eq!(code(&run(&["explain", "250 2.0.0 Ok: queued"], None)), 0);
    assert_eq!(code(&run(&["explain", "550 5.1.1 User unknown"], None)), 1);
    assert_eq!(
        code(&run(&["explain", "-"], Some(b"  \n\n "))),
        2,
        "empty input"
    );
    assert_eq!(
        code(&run(
            &["explain", "--file", "/nonexistent/smtp-doctor"],
            None
        )),
        2,
        "unreadable file"
    );
    assert_eq!(
        code(&run(&["explain", "--no-such-flag", "x"], None)),
        2,
        "usage error"
    );
    assert_eq!(code(&run(&["explain"], None)), 2, "nothing to explain");
    let ok = temp_file("ok.txt", b"250 ok\n\n221 Bye\n");
    assert_eq!(
        code(&run(
            &["explain", "--file", ok.to_str().unwrap_or("")],
            None
        )),
        0
    );
    let mixed = temp_file("mixed.txt", b"250 ok\n550 No such user here\n");
    assert_eq!(
        code(&run(
            &["explain", "--file", mixed.to_str().unwrap_or("")],
            None
        )),
        1
    );
}

#[test]
fn file_mode_is_json_lines_in_input_order() {
    let lines = [
        "250 ok",
        "550 No such user here",
        "5.7.1",
        "421 Too many concurrent SMTP connections",
    ];
    let data = format!(
        "{}\r\n\n{}\n{}\n   \n{}",
        lines[0], lines[1], lines[2], lines[3]
    );
    let out = run(&["explain", "--json", "--file", "-"], Some(data.as_bytes()));
    let objs = json_lines(&out);
    let inputs: Vec<&str> = objs.iter().filter_map(|v| v["input"].as_str()).collect();
    assert_eq!(inputs, lines);
    assert_eq!(objs[2]["bare_code"], true);
}

/// Many lines (several chunks of work) give the same output, in input order, whatever the
/// number of threads; the exit code counts failures across all of them.
#[test]
fn threads_keep_input_order() {
    let messages = [
        "250 2.0.0 Ok: queued",
        "550 5.1.1 <a@example.com>: Recipient address rejected: User unknown",
        "451 4.7.1 Greylisted, please try again later",
        "Connection timed out (110)",
    ];
    let data: String = (0..5000)
        .map(|i| format!("{} #{i}\n", messages[i % messages.len()]))
        .collect();
    for format in [&["--json"][..], &["--color=never"][..]] {
        let mut outputs = Vec::new();
        for jobs in ["1", "3"] {
            let mut args = vec!["explain", "--file", "-", "-j", jobs];
            args.extend_from_slice(format);
            let out = run(&args, Some(data.as_bytes()));
            assert_eq!(code(&out), 1);
            outputs.push(stdout(&out));
        }
        assert_eq!(outputs[0], outputs[1]);
        assert!(!outputs[0].starts_with('\n'));
    }
    let out = run(
        &["explain", "--json", "--file", "-", "-j", "2"],
        Some(data.as_bytes()),
    );
    let objs = json_lines(&out);
    assert_eq!(objs.len(), 5000);
    for (i, o) in objs.iter().enumerate() {
        let want = format!("{} #{i}", messages[i % messages.len()]);
        assert_eq!(o["input"].as_str(), Some(want.as_str()));
    }
}

#[test]
fn stdin_is_one_message() {
    let out = run(
        &["explain", "--json"],
        Some(b"host mx.example.org said:\n550-5.1.1 The email account\n550 5.1.1 does not exist\n"),
    );
    let objs = json_lines(&out);
    assert_eq!(objs.len(), 1);
    assert_eq!(objs[0]["reply_code"], 550);
    assert_eq!(objs[0]["enhanced_code"], "5.1.1");
}

#[test]
fn bad_input_is_noted_never_fatal() {
    let mut big = b"550 5.1.1 user unknown ".to_vec();
    big.resize(200_000, b'x');
    let out = run(&["explain", "--json", "-"], Some(&big));
    assert_eq!(code(&out), 1);
    let v = &json_lines(&out)[0];
    assert_eq!(v["notes"][0]["kind"], "truncated");
    assert_eq!(v["notes"][0]["original_bytes"], 200_000);
    assert!(v["input"].as_str().map_or(0, str::len) <= 64 * 1024);

    let out = run(
        &["explain", "--json", "-"],
        Some(b"550 user \xff\xfe unknown"),
    );
    let v = &json_lines(&out)[0];
    assert_eq!(v["notes"][0]["kind"], "lossy-utf8");
    let human = run(
        &["explain", "--color=never", "-"],
        Some(b"550 user \xff\xfe unknown"),
    );
    assert!(stdout(&human).contains("not valid UTF-8"));
}

#[test]
fn colour_follows_flag_and_no_color() {
    let esc = |o: &Output| o.stdout.contains(&0x1b);
    assert!(esc(&run(
        &["explain", "--color=always", "550 No such user here"],
        None
    )));
    assert!(!esc(&run(
        &["explain", "--color=never", "550 No such user here"],
        None
    )));
    let out = Command::new(common::BIN)
        .args(["explain", "550 No such user here"])
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    assert!(!esc(&out), "NO_COLOR under auto");
}

#[test]
fn json_output_matches_the_committed_schema() {
    let validator = common::schema_validator(include_str!("../../../schema/explain.v1.json"));
    let mut input: Vec<u8> = Vec::new();
    for (msg, _, _) in rows() {
        input.extend_from_slice(msg.as_bytes());
        input.push(b'\n');
    }
    input.extend_from_slice(b"550\n5.7.1\n111\nhello world\n550 bad \xff byte\n");
    input.extend(std::iter::repeat_n(b'y', 70_000));
    input.push(b'\n');
    let out = run(&["explain", "--json", "--file", "-"], Some(&input));
    let objs = json_lines(&out);
    assert!(objs.len() >= 27);
    for v in &objs {
        let errors: Vec<String> = validator.iter_errors(v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{v}: {errors:?}");
    }
    // The schema rejects what it must: a made-up category.
    let mut bad = objs[0].clone();
    bad["category"] = serde_json::Value::from("nosuch");
    assert!(!validator.is_valid(&bad));
}

#[test]
fn demo_runs_without_setup() {
    let out = run(&["demo", "--color=never"], None);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("greylisted"));
}
