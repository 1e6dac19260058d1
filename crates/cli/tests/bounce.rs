//! `smtp-doctor bounce` end to end: the real binary on messages it writes itself, its JSON
//! contract (validated against `schema/bounce.v1.json`), `--summary`, stdin, mbox and exit codes.

use std::process::Output;

mod common;

const DSN: &str = "From: MAILER-DAEMON@mx.example.org\nTo: sender@example.jp\n\
Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n\
--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n\
--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n\
Final-Recipient: rfc822; nobody@example.com\nAction: failed\nStatus: 5.1.1\n\
Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.com>: User unknown\n\n\
Final-Recipient: rfc822; full@example.net\nAction: failed\nStatus: 5.2.2\n\
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\n\n\
--B\nContent-Type: text/rfc822-headers\n\nFrom: sender@example.jp\nSubject: hi\nMessage-ID: <m1@example.jp>\n\n--B--\n";

const OOO: &str = "From: boss@example.com\nTo: sender@example.jp\nSubject: Out of Office\n\
Auto-Submitted: auto-replied\n\nAway until Monday.\n";

const DELIVERED: &str = "From: MAILER-DAEMON@mx.example.org\nTo: sender@example.jp\n\
Subject: Successful Mail Delivery Report\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n\
--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n\
Final-Recipient: rfc822; ok@example.com\nAction: delivered\nStatus: 2.0.0\n\
Diagnostic-Code: smtp; 250 2.0.0 Ok: queued\n\n--B--\n";

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    common::run_stdin(args, stdin)
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("smtp-doctor-bounce-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[test]
fn json_lines_match_the_committed_schema() {
    let dir = temp_dir().join("schema");
    std::fs::create_dir_all(dir.join("sub")).expect("dirs");
    std::fs::write(dir.join("dsn.eml"), DSN).expect("write");
    std::fs::write(dir.join("sub/ooo.eml"), OOO.replace('\n', "\r\n")).expect("write");
    std::fs::write(
        dir.join("sub/plain.eml"),
        "From: a@b.example\nSubject: hi\n\nhello\n",
    )
    .expect("write");
    std::fs::write(dir.join("empty"), "").expect("write");
    let out = run(
        &["bounce", "--json", dir.to_str().expect("utf-8 path")],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let objs = json_lines(&out);
    assert_eq!(objs.len(), 3, "two bounce recipients and one auto-reply");
    let validator = common::schema_validator(include_str!("../../../schema/bounce.v1.json"));
    for v in &objs {
        let errors: Vec<String> = validator.iter_errors(v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{v}: {errors:?}");
    }
    assert_eq!(objs[0]["recipient"], "nobody@example.com");
    assert_eq!(objs[0]["status"], "5.1.1");
    assert_eq!(objs[0]["reply_code"], 550);
    assert_eq!(objs[0]["reason"], "userunknown");
    assert_eq!(objs[0]["hard_bounce"], true);
    assert_eq!(objs[0]["finding"]["category"], "userunknown");
    assert_eq!(objs[0]["original_message_id"], "m1@example.jp");
    assert_eq!(objs[1]["reason"], "mailboxfull");
    assert_eq!(objs[2]["kind"], "auto-reply");
    assert!(objs[2]["finding"].is_null());
    let mut bad = objs[0].clone();
    bad["status"] = serde_json::Value::from("5.9.213x");
    assert!(!validator.is_valid(&bad));
}

#[test]
fn exit_codes_and_stdin() {
    let dir = temp_dir();
    let ok = dir.join("delivered.eml");
    std::fs::write(&ok, DELIVERED).expect("write");
    let out = run(&["bounce", ok.to_str().expect("path")], None);
    assert_eq!(out.status.code(), Some(0), "a success DSN is no failure");
    // An mbox of two messages on stdin: one failure.
    let mbox = format!(
        "From x Mon Jan  1 00:00:00 2024\n{DELIVERED}\nFrom y Mon Jan  1 00:00:00 2024\n{DSN}"
    );
    let out = run(&["bounce", "--json", "-"], Some(mbox.as_bytes()));
    assert_eq!(out.status.code(), Some(1));
    let objs = json_lines(&out);
    assert_eq!(objs.len(), 3);
    assert_eq!(objs[2]["message_index"], 1);
    // An unreadable input is exit 2, and the readable ones are still reported.
    let out = run(
        &["bounce", "/nonexistent/x.eml", ok.to_str().expect("path")],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok@example.com"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.eml"));
    // Nothing to read on a terminal-less empty call with no stdin: usage error.
    let out = run(&["bounce", "--json", "--summary", "x"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn summary_counts_by_category_domain_and_codes() {
    let out = run(&["bounce", "--summary", "-"], Some(DSN.as_bytes()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("1 messages, 1 reports, 2 recipients, 2 failures, 1 hard bounces"),
        "{text}"
    );
    for want in [
        "by category:",
        "userunknown",
        "by recipient domain:",
        "example.net",
        "by reply code:",
        "552",
        "by enhanced code:",
        "5.2.2",
    ] {
        assert!(text.contains(want), "{want} missing in\n{text}");
    }
}

#[test]
fn corpus_output_matches_the_schema() {
    let Some(corpus) = smtp_doctor_testkit::shared("corpus/bounces/maildir", &[]) else {
        return;
    };
    let out = run(&["bounce", "--json", corpus.to_str().expect("path")], None);
    let objs = json_lines(&out);
    assert!(objs.len() > 700, "only {} results", objs.len());
    let validator = common::schema_validator(include_str!("../../../schema/bounce.v1.json"));
    for v in &objs {
        let errors: Vec<String> = validator.iter_errors(v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{v}: {errors:?}");
    }
}
