//! `smtp-doctor logs` end to end: the real binary on a log written here, on a generated log
//! (`../shared/tools/gen-postfix-log.py`) and on the corpus files; every JSON object it prints
//! is validated against `schema/logs.v1.json`; exit codes, `--trace` by queue ID, Message-ID and
//! recipient, `--unknown`, `.gz` input and stdin.
//!
//! Without `../shared` the tests that need it print `SKIPPED` and pass, except under `CI=true`.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

/// A day of one small server: a delivery, a deferral then a bounce with its NDR, a refusal, an
/// expiry, a line of another program, a line without a prefix and a Postfix line nobody wrote.
const LOG: &str = include_str!("../../logs/tests/data/one-day.log");

/// Only successes: nothing for `logs` to report.
const CLEAN: &str = "\
Mar  1 00:00:01 mx1 postfix/smtpd[10]: 1111122222: client=a.example[192.0.2.7]
Mar  1 00:00:01 mx1 postfix/qmgr[12]: 1111122222: from=<a@a.example>, size=100, nrcpt=1 (queue active)
Mar  1 00:00:02 mx1 postfix/lmtp[15]: 1111122222: to=<u@example.com>, relay=mail[private/dovecot-lmtp], delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Saved)
Mar  1 00:00:02 mx1 postfix/qmgr[12]: 1111122222: removed
";

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    common::run_stdin(args, stdin)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("smtp-doctor-logs-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write(dir: &Path, name: &str, data: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, data).expect("write");
    path.to_str().expect("utf-8 path").to_string()
}

fn shared() -> Option<PathBuf> {
    smtp_doctor_testkit::shared("", &["corpus/logs", "tools/gen-postfix-log.py"])
}

fn validator() -> jsonschema::Validator {
    common::schema_validator(include_str!("../../../schema/logs.v1.json"))
}

/// Every stdout line parsed as JSON and validated against the schema.
fn json_lines(o: &Output, v: &jsonschema::Validator) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let obj: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            let errors: Vec<String> = v.iter_errors(&obj).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{obj}: {errors:?}");
            obj
        })
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The `count` of `key` in a `[{key, count}]` table.
fn count(table: &Value, key: &str) -> Option<u64> {
    table
        .as_array()?
        .iter()
        .find(|r| r["key"] == key)
        .and_then(|r| r["count"].as_u64())
}

fn of_type<'a>(objs: &'a [Value], t: &str) -> Vec<&'a Value> {
    objs.iter().filter(|o| o["type"] == t).collect()
}

#[test]
fn summary_json_matches_the_schema() {
    let v = validator();
    let dir = temp_dir("summary");
    let log = write(&dir, "mail.log", LOG.as_bytes());
    let out = run(&["logs", "--json", &log], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let objs = json_lines(&out, &v);
    assert_eq!(objs.len(), 1, "one summary object");
    let s = &objs[0];
    assert_eq!(s["type"], "summary");
    assert_eq!(s["lines"], 17);
    assert_eq!(s["unknown_lines"], 1);
    assert_eq!(s["unparsed_lines"], 1);
    assert_eq!(s["other_program_lines"], 1);
    assert_eq!(s["sent"]["lines"], 2);
    assert_eq!(s["deferred"]["lines"], 1);
    assert_eq!(s["bounced"]["lines"], 1);
    assert_eq!(count(&s["bounced"]["by_reply_code"], "550"), Some(1));
    assert_eq!(count(&s["deferred"]["by_reply_code"], "none"), Some(1));
    assert_eq!(s["expired"]["messages"], 1);
    assert_eq!(s["rejects"]["total"], 1);
    assert_eq!(count(&s["rejects"]["by_category"], "blocked"), Some(1));
    assert_eq!(count(&s["failures"]["by_category"], "userunknown"), Some(1));
    assert_eq!(
        count(&s["failures"]["by_category"], "connectiontimeout"),
        Some(1)
    );
    assert_eq!(s["first_timestamp"], "Mar  1 00:00:01");
    // The schema rejects what it should.
    for (field, bad) in [
        ("schema", Value::from("smtp-doctor/logs/v2")),
        ("lines", Value::from(-1)),
        ("received", Value::from(3)),
    ] {
        let mut wrong = s.clone();
        wrong[field] = bad;
        assert!(!v.is_valid(&wrong), "{field}");
    }
    let mut extra = s.clone();
    extra["surprise"] = Value::from(1);
    assert!(!v.is_valid(&extra));
    // The text summary says the same.
    let out = run(&["logs", &log], None);
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "17 lines, Mar  1 00:00:01 to Mar  1 01:00:07",
        "failures by category:",
        "userunknown",
        "rejects by category:",
        "blocked",
        "rejected clients:",
        "192.0.2.99",
    ] {
        assert!(text.contains(want), "{want:?} missing in\n{text}");
    }
}

#[test]
fn failures_are_json_lines_with_findings() {
    let v = validator();
    let dir = temp_dir("failures");
    let log = write(&dir, "mail.log", LOG.as_bytes());
    let out = run(&["logs", "--failures", "--json", &log], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let objs = json_lines(&out, &v);
    let kinds: Vec<&str> = objs.iter().filter_map(|o| o["kind"].as_str()).collect();
    assert_eq!(kinds, ["deferred", "bounced", "rejected", "expired"]);
    assert!(objs.iter().all(|o| o["type"] == "failure"));
    let bounced = &objs[1];
    assert_eq!(bounced["queue_id"], "1A2B3C4D5E");
    assert_eq!(bounced["message_id"], "m1@example.com");
    assert_eq!(bounced["from"], "a@example.com");
    assert_eq!(bounced["to"], "c@dead.example");
    assert_eq!(bounced["relay"], "mx.dead.example[203.0.113.8]:25");
    assert_eq!(bounced["dsn"], "5.1.1");
    assert_eq!(bounced["reply_code"], 550);
    assert_eq!(bounced["enhanced_code"], "5.1.1");
    assert_eq!(bounced["line"], 6);
    assert_eq!(bounced["finding"]["category"], "userunknown");
    assert_eq!(bounced["finding"]["class"], "permanent");
    let rejected = &objs[2];
    assert!(rejected["queue_id"].is_null());
    assert_eq!(rejected["client"], "unknown[192.0.2.99]");
    assert_eq!(rejected["finding"]["category"], "blocked");
    let mut bad = bounced.clone();
    bad["enhanced_code"] = Value::from("5.1");
    assert!(!v.is_valid(&bad));
    // The text form: one line per failure.
    let out = run(&["logs", "--failures", &log], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.lines().nth(2).is_some_and(|l| l.contains("NOQUEUE")));
}

#[test]
fn trace_by_queue_id_message_id_and_recipient() {
    let v = validator();
    let dir = temp_dir("trace");
    let log = write(&dir, "mail.log", LOG.as_bytes());
    for needle in [
        "1A2B3C4D5E",
        "m1@example.com",
        "<m1@example.com>",
        "c@dead.example",
    ] {
        let out = run(&["logs", "--trace", needle, "--json", &log], None);
        assert_eq!(out.status.code(), Some(1), "{needle}: {}", stderr(&out));
        let objs = json_lines(&out, &v);
        assert_eq!(objs.len(), 2, "{needle}: the message and its NDR");
        let (m, ndr) = (&objs[0], &objs[1]);
        assert_eq!(m["type"], "trace");
        assert_eq!(m["queue_id"], "1A2B3C4D5E");
        assert_eq!(m["message_id"], "m1@example.com");
        assert_eq!(m["origin"], "submission");
        assert_eq!(m["notification_id"], "9F8E7D6C5B");
        assert_eq!(m["complete"], true);
        assert_eq!(
            m["recipients"],
            serde_json::json!(["b@Gmail.com", "c@dead.example"])
        );
        let statuses: Vec<&str> = m["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter(|e| e["kind"] == "delivery")
            .filter_map(|e| e["status"].as_str())
            .collect();
        assert_eq!(statuses, ["sent", "deferred", "bounced"], "{needle}");
        assert_eq!(ndr["queue_id"], "9F8E7D6C5B");
        assert_eq!(ndr["notification_for"], "1A2B3C4D5E");
    }
    let out = run(&["logs", "--trace", "1A2B3C4D5E", &log], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("message 1A2B3C4D5E  message-id m1@example.com"),
        "{text}"
    );
    assert!(text.contains("-> notification 9F8E7D6C5B"), "{text}");
    let out = run(&["logs", "--trace", "nobody@nowhere.example", &log], None);
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("no message matches"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unknown_lines_are_listed() {
    let v = validator();
    let dir = temp_dir("unknown");
    let log = write(&dir, "mail.log", LOG.as_bytes());
    let out = run(&["logs", "--unknown", "--json", &log], None);
    let objs = json_lines(&out, &v);
    let unknown = of_type(&objs, "unknown");
    let lines: Vec<(u64, &str)> = unknown
        .iter()
        .filter_map(|u| Some((u["line"].as_u64()?, u["text"].as_str()?)))
        .collect();
    assert_eq!(
        lines,
        [
            (16, "garbage without a prefix"),
            (
                17,
                "Mar  1 01:00:07 mx1 postfix/smtpd[16]: a line nobody wrote"
            )
        ]
    );
    assert_eq!(of_type(&objs, "summary").len(), 1);
    let out = run(&["logs", "--unknown", &log], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("unknown line 16: garbage without a prefix\nunknown line 17: "),
        "{text}"
    );
    // Invalid UTF-8 is listed lossily, never dropped.
    let out = run(
        &["logs", "--unknown", "--json", "-"],
        Some(b"\xff\xfe not text\n"),
    );
    let objs = json_lines(&out, &v);
    assert_eq!(of_type(&objs, "unknown").len(), 1);
    assert_eq!(of_type(&objs, "summary")[0]["lossy_lines"], 1);
}

#[test]
fn exit_codes() {
    let dir = temp_dir("exit");
    let clean = write(&dir, "clean.log", CLEAN.as_bytes());
    let log = write(&dir, "mail.log", LOG.as_bytes());
    let code = |args: &[&str]| run(args, None).status.code();
    assert_eq!(code(&["logs", &clean]), Some(0), "no failure");
    assert_eq!(code(&["logs", "--json", &clean]), Some(0));
    assert_eq!(code(&["logs", "--failures", &clean]), Some(0));
    assert_eq!(code(&["logs", &log]), Some(1), "failures found");
    assert_eq!(code(&["logs", "--failures", "--json", &log]), Some(1));
    assert_eq!(
        code(&["logs", "/nonexistent/mail.log"]),
        Some(2),
        "unreadable"
    );
    assert_eq!(
        code(&["logs", "--failures", "--trace", "x", &log]),
        Some(2),
        "usage"
    );
    assert_eq!(code(&["logs", "--no-such-flag", &log]), Some(2), "usage");
    // An unreadable input beside readable ones: they are still read, and the exit is 2.
    let out = run(&["logs", "--json", "/nonexistent/mail.log", &clean], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/mail.log"));
    let objs = json_lines(&out, &validator());
    assert_eq!(objs[0]["sent"]["lines"], 1);
}

#[test]
fn gzip_stdin_and_several_files() {
    let v = validator();
    let dir = temp_dir("gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(LOG.as_bytes()).expect("gzip");
    let gz = write(&dir, "mail.log.1.gz", &enc.finish().expect("gzip"));
    let plain = write(&dir, "mail.log", LOG.as_bytes());
    let summary = |o: &Output| json_lines(o, &v).remove(0);
    let from_plain = summary(&run(&["logs", "--json", &plain], None));
    let from_gz = summary(&run(&["logs", "--json", &gz], None));
    assert_eq!(from_gz, from_plain, ".gz reads as the plain file");
    let from_stdin = summary(&run(&["logs", "--json", "-"], Some(LOG.as_bytes())));
    assert_eq!(from_stdin, from_plain, "stdin reads as the file");
    let implicit = summary(&run(&["logs", "--json"], Some(LOG.as_bytes())));
    assert_eq!(implicit, from_plain, "no file and piped input reads stdin");
    // A rotated .gz then the current file: one stream, lines numbered across both.
    let clean = write(&dir, "clean.log", CLEAN.as_bytes());
    let both = run(&["logs", "--failures", "--json", &gz, &clean], None);
    let objs = json_lines(&both, &v);
    assert_eq!(objs.len(), 4);
    let both = summary(&run(&["logs", "--json", &gz, &clean], None));
    assert_eq!(both["lines"], 17 + 4);
    assert_eq!(both["sent"]["lines"], 3);
    assert_eq!(both["last_timestamp"], "Mar  1 00:00:02");
}

#[test]
fn generated_log_matches_its_truth_and_the_schema() {
    let Some(shared) = shared() else { return };
    let v = validator();
    let dir = temp_dir("generated");
    let log = dir.join("mail.log");
    let truth = dir.join("mail.truth.json");
    let gen = Command::new("python3")
        .arg(shared.join("tools/gen-postfix-log.py"))
        .args([
            "--lines",
            "20000",
            "--seed",
            "7",
            "--trace-samples",
            "5",
            "--out",
        ])
        .arg(&log)
        .arg("--truth")
        .arg(&truth)
        .output()
        .expect("python3 runs");
    assert!(
        gen.status.success(),
        "{}",
        String::from_utf8_lossy(&gen.stderr)
    );
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(&truth).expect("truth reads"))
        .expect("truth");
    let log = log.to_str().expect("utf-8 path");
    let out = run(&["logs", "--json", log], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let s = json_lines(&out, &v).remove(0);
    assert_eq!(s["lines"], truth["lines"]);
    for status in ["sent", "deferred", "bounced"] {
        assert_eq!(
            s[status]["lines"], truth["status"][status]["total"],
            "{status}"
        );
        let want = truth["status"][status]["by_reply_code"]
            .as_object()
            .expect("table");
        for (code, n) in want {
            assert_eq!(
                count(&s[status]["by_reply_code"], code),
                n.as_u64(),
                "{status} {code}"
            );
        }
    }
    assert_eq!(s["rejects"]["total"], truth["rejects"]["total"]);
    // Every failure record is valid, and there is one per deferral, bounce, expiry and refusal.
    let out = run(&["logs", "--failures", "--json", log], None);
    let failures = json_lines(&out, &v);
    let n = |k: &str| failures.iter().filter(|f| f["kind"] == k).count() as u64;
    assert_eq!(
        Some(n("deferred")),
        truth["status"]["deferred"]["total"].as_u64()
    );
    assert_eq!(
        Some(n("bounced")),
        truth["status"]["bounced"]["total"].as_u64()
    );
    assert_eq!(Some(n("rejected")), truth["rejects"]["total"].as_u64());
    assert_eq!(Some(n("expired")), truth["expired_messages"].as_u64());
    // Traced samples: their deliveries as the truth has them, by queue ID, then by the
    // Message-ID and by a recipient the first trace gives.
    let samples = truth["trace_samples"].as_object().expect("samples");
    assert!(!samples.is_empty());
    for (qid, sample) in samples {
        let out = run(&["logs", "--trace", qid, "--json", log], None);
        let traces = json_lines(&out, &v);
        let t = traces
            .iter()
            .find(|t| t["queue_id"] == qid.as_str())
            .unwrap_or_else(|| panic!("{qid} traced"));
        let ours: Vec<(String, String)> = t["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter(|e| e["kind"] == "delivery")
            .map(|e| (e["to"].to_string(), e["status"].to_string()))
            .collect();
        let want: Vec<(String, String)> = sample["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| (e["to"].to_string(), e["status"].to_string()))
            .collect();
        assert_eq!(ours, want, "{qid}");
        if let Some(mid) = t["message_id"].as_str() {
            let by_mid = json_lines(&run(&["logs", "--trace", mid, "--json", log], None), &v);
            assert!(
                by_mid.iter().any(|x| x["queue_id"] == qid.as_str()),
                "{qid} by {mid}"
            );
        }
        if let Some(rcpt) = t["recipients"][0].as_str() {
            let by_rcpt = json_lines(&run(&["logs", "--trace", rcpt, "--json", log], None), &v);
            assert!(
                by_rcpt.iter().any(|x| x["queue_id"] == qid.as_str()),
                "{qid} by {rcpt}"
            );
        }
    }
}

#[test]
fn corpus_output_matches_the_schema() {
    let Some(shared) = shared() else { return };
    let v = validator();
    let corpus = shared.join("corpus/logs");
    let files = [
        "postfix-exporter/postfix_exporter_test.log",
        "pflogsumm-go/sample.log",
        "pflogsumm-go/rfc3339.log",
        "postfix-docs/readme-examples.log",
        "fail2ban/postfix",
        "wazuh/postfix.log",
        "crowdsec-hub/postfix-logs.log",
        "crowdsec-hub/postfix-relay.log",
        "crowdsec-hub/postfix-spam.log",
        "crowdsec-hub/postfix-sasl-bf.log",
        "fail2ban/exim",
        "fail2ban/sendmail-reject",
        "wazuh/opensmtpd.log",
    ];
    let (mut objects, mut failures) = (0, 0);
    for f in files {
        let path = corpus.join(f);
        let path = path.to_str().expect("utf-8 path");
        let out = run(&["logs", "--json", "--unknown", path], None);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{f}: {}",
            stderr(&out)
        );
        let objs = json_lines(&out, &v);
        assert_eq!(of_type(&objs, "summary").len(), 1, "{f}");
        objects += objs.len();
        let out = run(&["logs", "--failures", "--json", path], None);
        let objs = json_lines(&out, &v);
        failures += objs.len();
        objects += objs.len();
    }
    eprintln!("corpus: {objects} objects validated, {failures} failure records");
    assert!(failures >= 40, "only {failures} failure records");
}

// --- Input, time and operations: --since/--until/--tz/--year, --follow, the progress bar,
// --max-open, hostile input.

/// The summary object of a run, validated.
fn summary_of(o: &Output) -> Value {
    let mut objs = json_lines(o, &validator());
    assert_eq!(objs.len(), 1, "{}", stderr(o));
    objs.remove(0)
}

/// Sets a file's modification time (the anchor of BSD stamps' year).
fn set_mtime(path: &str, rfc3339: &str) {
    let secs: i64 = jiff::Timestamp::from_str(rfc3339)
        .expect("a timestamp")
        .as_second();
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64);
    let f = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open");
    f.set_modified(t).expect("set mtime");
}

use std::str::FromStr;

/// One delivery a line, at the given BSD stamps (queue IDs from the index).
fn sent_lines(stamps: &[&str]) -> String {
    stamps
        .iter()
        .enumerate()
        .map(|(i, ts)| {
            format!(
                "{ts} mx1 postfix/smtp[13]: {:010X}: to=<u{i}@example.org>, relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 OK)\n",
                0xA000 + i
            )
        })
        .collect()
}

#[test]
fn since_and_until_keep_the_window_in_the_zone_asked() {
    let dir = temp_dir("window");
    let log = write(
        &dir,
        "mail.log",
        sent_lines(&[
            "Mar  1 09:59:59",
            "Mar  1 10:00:00",
            "Mar  1 10:30:00",
            "Mar  1 10:59:59",
            "Mar  1 11:00:00",
        ])
        .as_bytes(),
    );
    set_mtime(&log, "2026-03-02T00:00:00Z");
    let sent = |args: &[&str]| {
        let mut a = vec!["logs", "--json"];
        a.extend_from_slice(args);
        a.push(&log);
        let s = summary_of(&run(&a, None));
        (s["sent"]["lines"].as_u64(), s["outside_window"].as_u64())
    };
    // --since inclusive, --until exclusive, in the zone of the stamps.
    let window = ["--since", "2026-03-01 10:00", "--until", "2026-03-01 11:00"];
    assert_eq!(
        sent(&[&window[..], &["--tz", "UTC"]].concat()),
        (Some(3), Some(2))
    );
    // The same civil bounds read in +01:00 with stamps in +01:00: the same lines.
    assert_eq!(
        sent(&[&window[..], &["--tz", "+01:00"]].concat()),
        (Some(3), Some(2))
    );
    // UTC bounds (RFC 3339) over stamps written in Paris (UTC+1 in March): an hour later.
    let utc = [
        "--since",
        "2026-03-01T09:00:00Z",
        "--until",
        "2026-03-01T10:00:00Z",
    ];
    assert_eq!(
        sent(&[&utc[..], &["--tz", "Europe/Paris"]].concat()),
        (Some(3), Some(2))
    );
    assert_eq!(
        sent(&[&utc[..], &["--tz", "UTC"]].concat()),
        (Some(1), Some(4))
    );
    // A date alone is its midnight; --until alone.
    assert_eq!(
        sent(&["--tz", "UTC", "--since", "2026-03-02"]),
        (Some(0), Some(5))
    );
    assert_eq!(
        sent(&["--tz", "UTC", "--until", "2026-03-02"]),
        (Some(5), Some(0))
    );
    // --year: the same stamps in 2025 are all before the window.
    assert_eq!(
        sent(&["--tz", "UTC", "--year", "2025", "--since", "2026-01-01"]),
        (Some(0), Some(5))
    );
    // Bad bounds and zones are usage errors.
    for bad in [
        &["--since", "yesterday"][..],
        &["--tz", "Mars/Olympus"],
        &["--since", "2026-03-02", "--until", "2026-03-01"],
    ] {
        let mut a = vec!["logs"];
        a.extend_from_slice(bad);
        a.push(&log);
        let out = run(&a, None);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(stderr(&out).contains("error"), "{bad:?}");
    }
}

#[test]
fn bsd_years_roll_over_from_the_file_time() {
    let dir = temp_dir("rollover");
    let log = write(
        &dir,
        "mail.log",
        sent_lines(&[
            "Dec 31 23:59:58",
            "Dec 31 23:59:59",
            "Jan  1 00:00:00",
            "Dec 31 23:59:59", // a late line: still December 2025
            "Jan  1 00:00:01",
        ])
        .as_bytes(),
    );
    // Last written on 1 January 2026: December is 2025's.
    set_mtime(&log, "2026-01-01T00:05:00Z");
    let sent = |since: &str, until: &str| {
        let a = [
            "logs", "--json", "--tz", "UTC", "--since", since, "--until", until, &log,
        ];
        summary_of(&run(&a, None))["sent"]["lines"].as_u64()
    };
    assert_eq!(sent("2025-12-31", "2026-01-01"), Some(3));
    assert_eq!(sent("2026-01-01", "2026-01-02"), Some(2));
    assert_eq!(
        sent("2026-12-01", "2027-01-02"),
        Some(0),
        "never a year ahead"
    );
}

#[test]
fn rfc3339_stamps_carry_their_offsets() {
    let dir = temp_dir("rfc3339");
    let lines = sent_lines(&[
        "2026-03-01T10:59:59+02:00", // 08:59:59Z
        "2026-03-01T11:00:00+02:00", // 09:00:00Z
        "2026-03-01T04:30:00-04:30", // 09:00:00Z
        "2026-03-01T09:59:59.999999Z",
        "2026-03-01T10:00:00.000001+00:00",
    ]);
    let log = write(&dir, "mail.log", lines.as_bytes());
    // --tz has no say over stamps with an offset.
    for tz in ["UTC", "Asia/Tokyo"] {
        let a = [
            "logs",
            "--json",
            "--tz",
            tz,
            "--since",
            "2026-03-01T09:00:00Z",
            "--until",
            "2026-03-01T12:00:00+02:00",
            &log,
        ];
        let s = summary_of(&run(&a, None));
        assert_eq!(s["sent"]["lines"], 3, "{tz}");
        assert_eq!(s["first_timestamp"], "2026-03-01T11:00:00+02:00");
    }
}

/// A running `smtp-doctor logs --follow`, its stdout and stderr lines on channels; killed on
/// drop.
struct Following {
    child: std::process::Child,
    out: std::sync::mpsc::Receiver<String>,
    err: std::sync::mpsc::Receiver<String>,
}

/// How long a followed line may take to show.
const FOLLOW_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

impl Following {
    fn start(args: &[&str]) -> Following {
        use std::io::BufRead;
        use std::process::Stdio;
        let mut child = Command::new(common::BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let lines = |r: Box<dyn std::io::Read + Send>| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for l in std::io::BufReader::new(r).lines().map_while(Result::ok) {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
            });
            rx
        };
        let out = lines(Box::new(child.stdout.take().expect("stdout")));
        let err = lines(Box::new(child.stderr.take().expect("stderr")));
        Following { child, out, err }
    }

    /// Stdout lines up to and including the first that contains `needle`.
    fn until_out(&self, needle: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            match self.out.recv_timeout(FOLLOW_LIMIT) {
                Ok(l) if l.contains(needle) => {
                    seen.push(l);
                    return seen;
                }
                Ok(l) => seen.push(l),
                Err(_) => panic!("no {needle:?} on stdout; got {seen:?}"),
            }
        }
    }

    fn until_err(&self, needle: &str) {
        let mut seen = Vec::new();
        while !seen.iter().any(|l: &String| l.contains(needle)) {
            match self.err.recv_timeout(FOLLOW_LIMIT) {
                Ok(l) => seen.push(l),
                Err(_) => panic!("no {needle:?} on stderr; got {seen:?}"),
            }
        }
    }

    /// Sends SIGTERM and waits (bounded) for the exit: its code and the rest of stdout.
    fn terminate(mut self) -> (Option<i32>, Vec<String>) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            assert!(start.elapsed() < FOLLOW_LIMIT, "no exit after SIGTERM");
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let rest: Vec<String> = self.out.iter().collect();
        (status.code(), rest)
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A bounce of `to` at `ts`, queue ID `qid`.
fn bounce_line(ts: &str, qid: &str, to: &str) -> String {
    format!(
        "{ts} mx1 postfix/smtp[13]: {qid}: to=<{to}>, relay=mx.example.net[192.0.2.2]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.2] said: 550 5.1.1 <{to}>: User unknown (in reply to RCPT TO command))\n"
    )
}

fn append(path: &str, data: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for append");
    f.write_all(data.as_bytes()).expect("append");
}

#[test]
fn follow_prints_failures_as_they_come_across_rotation_and_truncation() {
    let v = validator();
    let dir = temp_dir("follow");
    let log = write(
        &dir,
        "mail.log",
        bounce_line("Mar  1 00:00:01", "AAAA000001", "first@example.net").as_bytes(),
    );
    let p = Following::start(&["logs", "--follow", "--failures", "--json", &log]);
    p.until_out("first@example.net");
    p.until_err("following");
    // Appended, then an unfinished line that waits for its end.
    append(
        &log,
        &bounce_line("Mar  1 00:00:02", "AAAA000002", "second@example.net"),
    );
    p.until_out("second@example.net");
    // Rotation: renamed (a last line into the old file first) and created anew.
    append(
        &log,
        &bounce_line("Mar  1 00:00:03", "AAAA000003", "old@example.net"),
    );
    std::fs::rename(&log, dir.join("mail.log.1")).expect("rename");
    append(
        &log,
        &bounce_line("Mar  1 00:00:04", "AAAA000004", "new@example.net"),
    );
    let seen = p.until_out("new@example.net");
    assert!(
        seen[0].contains("old@example.net"),
        "the old file's last line: {seen:?}"
    );
    // Truncated and written again, shorter than before.
    std::fs::write(&log, "").expect("truncate");
    append(
        &log,
        &bounce_line("Mar  1 00:00:05", "BBBB5", "t@example.net"),
    );
    let seen = p.until_out("t@example.net");
    let (code, rest) = p.terminate();
    assert_eq!(code, Some(1), "failures were found");
    assert!(rest.is_empty(), "--failures prints no summary: {rest:?}");
    for l in &seen {
        let obj: Value = serde_json::from_str(l).expect("JSON");
        assert!(v.is_valid(&obj), "{obj}");
    }
}

#[test]
fn follow_prints_the_summary_on_sigterm() {
    let dir = temp_dir("follow-summary");
    let log = write(&dir, "mail.log", CLEAN.as_bytes());
    let p = Following::start(&["logs", "--follow", "--json", &log]);
    p.until_err("following");
    // Written just before the signal: read before the summary is made.
    std::fs::rename(&log, dir.join("mail.log.1")).expect("rename");
    append(
        &log,
        &bounce_line("Mar  1 00:00:09", "CCCC000001", "x@example.net"),
    );
    let (code, rest) = p.terminate();
    assert_eq!(code, Some(1), "the bounce after rotation was counted");
    assert_eq!(rest.len(), 1, "{rest:?}");
    let s: Value = serde_json::from_str(&rest[0]).expect("JSON");
    assert!(validator().is_valid(&s), "{s}");
    assert_eq!(s["lines"], 4 + 1);
    assert_eq!(
        (s["sent"]["lines"].as_u64(), s["bounced"]["lines"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn no_progress_bar_on_a_pipe() {
    let dir = temp_dir("progress");
    let log = write(&dir, "mail.log", LOG.repeat(200).as_bytes());
    // The bar would be drawn for any size on a terminal; stderr is a pipe here.
    let out = run(&["logs", "--progress-min", "0", &log], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    // On a terminal (util-linux's `script` gives one) the bar is drawn, to stderr.
    let script = Path::new("/usr/bin/script");
    if !script.exists() {
        eprintln!("SKIPPED: the terminal half needs {}", script.display());
        return;
    }
    let cmd = format!("{} logs --progress-min 0 {log} > /dev/null", common::BIN);
    let tty = Command::new(script)
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("script runs");
    let drawn = String::from_utf8_lossy(&tty.stdout);
    assert!(drawn.contains("KiB") || drawn.contains("MiB"), "{drawn:?}");
}

#[test]
fn open_messages_are_capped_and_counted() {
    let mut log = String::new();
    for i in 0..5000u32 {
        log.push_str(&format!(
            "Mar  1 00:00:01 mx1 postfix/smtpd[1]: {i:010X}: client=a.example[192.0.2.1]\n"
        ));
    }
    let out = run(
        &["logs", "--json", "--max-open", "1000", "-"],
        Some(log.as_bytes()),
    );
    let s = summary_of(&out);
    assert_eq!(s["messages"], 5000);
    let (flushed, open) = (s["flushed_open"].as_u64(), s["open_at_end"].as_u64());
    assert!(open.is_some_and(|o| o <= 1000), "{open:?}");
    assert_eq!(flushed.zip(open).map(|(f, o)| f + o), Some(5000));
    let text = String::from_utf8_lossy(
        &run(&["logs", "--max-open", "1000", "-"], Some(log.as_bytes())).stdout,
    )
    .into_owned();
    assert!(text.contains("closed as incomplete"), "{text}");
}

#[test]
fn hostile_input_is_counted_and_skipped() {
    let mut data: Vec<u8> = Vec::new();
    // A 1 MB line (a Postfix line that goes on and on), binary garbage, NUL bytes, a line cut
    // in the middle, lines out of order (delivery before reception, removal before both),
    // and a last line without its line ending.
    data.extend_from_slice(b"Mar  1 00:00:01 mx1 postfix/smtp[13]: ABCDE12345: to=<");
    data.extend(std::iter::repeat_n(b'x', 1 << 20));
    data.push(b'\n');
    let mut seed = 1u32;
    for _ in 0..4096 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        data.push((seed >> 16) as u8);
    }
    data.push(b'\n');
    data.extend_from_slice(b"Mar  1 00:00:02 mx1 postfix/qmgr[12]: \0\0\0: removed\n\0\0\0\n");
    data.extend_from_slice(
        b"Mar  1 00:00:03 mx1 postfix/smtp[13]: 1A2B3C4D5E: to=<b@example.org>, relay=mx.exa\n",
    );
    data.extend_from_slice(b"Mar  1 00:00:09 mx1 postfix/qmgr[12]: 1A2B3C4D5E: removed\n");
    data.extend_from_slice(LOG.as_bytes());
    data.extend_from_slice(b"Mar  1 00:00:01 mx1 postfix/smtpd[10]: 1A2B3C4D5E: client=late[192.0.2.3]\nMar  1 00:00:01 mx1 postfix/smt");
    for args in [
        &["logs", "--json", "-"][..],
        &["logs", "--failures", "--unknown", "--json", "-"],
        &[
            "logs",
            "--trace",
            "1A2B3C4D5E",
            "--since",
            "2026-03-01",
            "--year",
            "2026",
            "-",
        ],
    ] {
        let out = run(args, Some(&data));
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            !stderr(&out).contains("panicked"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let s = summary_of(&run(&["logs", "--json", "-"], Some(&data)));
    assert_eq!(s["truncated_lines"], 1);
    assert!(s["lossy_lines"].as_u64() >= Some(1));
    assert!(s["unparsed_lines"].as_u64() >= Some(3), "{s}");
    // The log's own counts are all there beside the garbage.
    assert_eq!(s["bounced"]["lines"], 1);
    assert_eq!(s["rejects"]["total"], 1);
}
