//! Ground truth: logs written by `../shared/tools/gen-postfix-log.py` with their exact truth
//! files; the summary must equal the truth and traced messages their truth histories.
//!
//! Without `../shared` the tests print `SKIPPED` and pass, except under `CI=true`, where they
//! fail. The 150,000-line case runs in release builds only (`cargo test --release`, as CI does).

use serde_json::Value;
use smtp_doctor_logs::{Analyzer, Counts, Options, Record, StatusTally, Summary, Trace};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn shared() -> Option<PathBuf> {
    smtp_doctor_testkit::shared("", &["tools/gen-postfix-log.py"])
}

/// Generates a log with `args` and returns (log path, truth).
fn generate(shared: &Path, name: &str, args: &[&str]) -> (PathBuf, Value) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("truth");
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let log = dir.join(format!("{name}.log"));
    let truth = dir.join(format!("{name}.truth.json"));
    let status = Command::new("python3")
        .arg(shared.join("tools/gen-postfix-log.py"))
        .args(args)
        .arg("--out")
        .arg(&log)
        .arg("--truth")
        .arg(&truth)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "gen-postfix-log.py {args:?} failed");
    let text = std::fs::read_to_string(&truth).expect("truth file");
    (log, serde_json::from_str(&text).expect("truth parses"))
}

fn counts(v: &Value) -> Counts {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(u64::MAX)))
                .collect()
        })
        .unwrap_or_default()
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(u64::MAX)
}

/// Every value of the truth the summary must reproduce, as (name, expected, found).
fn compare(truth: &Value, s: &Summary) -> Vec<String> {
    let mut bad = Vec::new();
    let mut check = |name: &str, want: String, got: String| {
        if want != got {
            bad.push(format!("{name}: truth {want}, found {got}"));
        }
    };
    let p = &truth["pflogsumm"];
    let received: u64 = s.received.values().sum();
    check(
        "pflogsumm.received",
        n(&p["received"]).to_string(),
        received.to_string(),
    );
    check(
        "pflogsumm.delivered",
        n(&p["delivered"]).to_string(),
        s.sent.lines.to_string(),
    );
    check(
        "pflogsumm.deferred",
        n(&p["deferred"]).to_string(),
        s.deferred.messages.to_string(),
    );
    check(
        "pflogsumm.deferrals",
        n(&p["deferrals"]).to_string(),
        s.deferred.lines.to_string(),
    );
    check(
        "pflogsumm.bounced",
        n(&p["bounced"]).to_string(),
        s.bounced.lines.to_string(),
    );
    check(
        "pflogsumm.rejected",
        n(&p["rejected"]).to_string(),
        s.rejects.total.to_string(),
    );
    check("lines", n(&truth["lines"]).to_string(), s.lines.to_string());
    check(
        "first_timestamp",
        truth["first_timestamp"].as_str().unwrap_or("").to_string(),
        s.first_timestamp.clone().unwrap_or_default(),
    );
    check(
        "last_timestamp",
        truth["last_timestamp"].as_str().unwrap_or("").to_string(),
        s.last_timestamp.clone().unwrap_or_default(),
    );
    check(
        "lines_by_program",
        format!("{:?}", counts(&truth["lines_by_program"])),
        format!("{:?}", s.lines_by_program),
    );
    let want_received: Counts = counts(&truth["received"])
        .into_iter()
        .filter(|(_, v)| *v > 0)
        .collect();
    check(
        "received",
        format!("{want_received:?}"),
        format!("{:?}", s.received),
    );
    for (name, tally) in [
        ("sent", &s.sent),
        ("deferred", &s.deferred),
        ("bounced", &s.bounced),
    ] {
        let t = &truth["status"][name];
        let got: &StatusTally = tally;
        check(
            &format!("status.{name}.total"),
            n(&t["total"]).to_string(),
            got.lines.to_string(),
        );
        for key in ["by_domain", "by_dsn", "by_reply_code", "by_program"] {
            let found = match key {
                "by_domain" => &got.by_domain,
                "by_dsn" => &got.by_dsn,
                "by_reply_code" => &got.by_reply_code,
                _ => &got.by_program,
            };
            check(
                &format!("status.{name}.{key}"),
                format!("{:?}", counts(&t[key])),
                format!("{found:?}"),
            );
        }
    }
    check(
        "status.deferred.messages",
        n(&truth["status"]["deferred"]["messages"]).to_string(),
        s.deferred.messages.to_string(),
    );
    let r = &truth["rejects"];
    check(
        "rejects.total",
        n(&r["total"]).to_string(),
        s.rejects.total.to_string(),
    );
    check(
        "rejects.by_program",
        format!("{:?}", counts(&r["by_program"])),
        format!("{:?}", s.rejects.by_program),
    );
    check(
        "rejects.by_code",
        format!("{:?}", counts(&r["by_code"])),
        format!("{:?}", s.rejects.by_code),
    );
    check(
        "rejects.by_dsn",
        format!("{:?}", counts(&r["by_dsn"])),
        format!("{:?}", s.rejects.by_dsn),
    );
    check(
        "ndr_created",
        n(&truth["ndr_created"]).to_string(),
        s.notifications.to_string(),
    );
    check(
        "removed",
        n(&truth["removed"]).to_string(),
        s.removed.to_string(),
    );
    check(
        "expired_messages",
        n(&truth["expired_messages"]).to_string(),
        s.expired.messages.to_string(),
    );
    check(
        "sasl_auth_failures",
        n(&truth["sasl_auth_failures"]).to_string(),
        s.auth_failures.to_string(),
    );
    check(
        "standalone_connect_failures",
        n(&truth["standalone_connect_failures"]).to_string(),
        s.connect_failures.to_string(),
    );
    let f = &truth["recipients_final"];
    check(
        "recipients_final.delivered",
        n(&f["delivered"]).to_string(),
        s.recipients.delivered.to_string(),
    );
    check(
        "recipients_final.bounced",
        n(&f["bounced"]).to_string(),
        s.recipients.bounced.to_string(),
    );
    check(
        "recipients_final.expired",
        n(&f["expired"]).to_string(),
        s.recipients.expired.to_string(),
    );
    check(
        "unknown lines",
        "0".into(),
        (s.unknown_lines + s.unparsed_lines + s.other_program_lines).to_string(),
    );
    bad
}

/// The truth's history of one sample beside ours: (ts, to, status, dsn, reply code, text).
fn history_of_truth(sample: &Value) -> Vec<String> {
    sample["events"]
        .as_array()
        .map(|evs| {
            evs.iter()
                .map(|e| {
                    format!(
                        "{} {} {} {} {} {}",
                        e["ts"].as_str().unwrap_or(""),
                        e["to"].as_str().unwrap_or("-"),
                        e["status"].as_str().unwrap_or(""),
                        e["dsn"].as_str().unwrap_or("-"),
                        e["reply_code"].as_str().unwrap_or("-"),
                        e["text"].as_str().unwrap_or("-"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn history_of_trace(t: &Trace) -> Vec<String> {
    t.events
        .iter()
        .filter(|e| matches!(e.kind, "delivery" | "expired"))
        .map(|e| {
            let (to, status, dsn, code, text) = if e.kind == "expired" {
                (
                    "-".to_string(),
                    "expired".to_string(),
                    "-".to_string(),
                    "-".to_string(),
                    "-",
                )
            } else {
                (
                    e.to.clone().unwrap_or_default(),
                    e.status.clone().unwrap_or_default(),
                    e.dsn.clone().unwrap_or_else(|| "-".into()),
                    e.reply_code.map_or_else(|| "-".into(), |c| c.to_string()),
                    e.text.as_str(),
                )
            };
            format!(
                "{} {to} {status} {dsn} {code} {text}",
                e.timestamp.as_deref().unwrap_or("")
            )
        })
        .collect()
}

fn check_case(name: &str, args: &[&str]) {
    let Some(shared) = shared() else { return };
    let (log, truth) = generate(&shared, name, args);
    let samples = truth["trace_samples"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut a = Analyzer::new(Options::default());
    for id in samples.keys() {
        a.trace(id);
    }
    let mut input = smtp_doctor_logs::read::open(&log).expect("log opens");
    let mut traces: BTreeMap<String, Trace> = BTreeMap::new();
    let mut keep = |r: Record| {
        if let Record::Trace(t) = r {
            traces.insert(t.queue_id.clone(), *t);
        }
    };
    a.read(&mut input, &mut keep).expect("log reads");
    let (summary, rest) = a.finish();
    rest.into_iter().for_each(&mut keep);
    assert!(
        compare(&truth, &Summary::default()).len() > 20,
        "the comparison must notice an empty summary"
    );
    let mut bad = compare(&truth, &summary);
    assert!(
        samples.len() >= 5,
        "{name}: only {} trace samples",
        samples.len()
    );
    for (id, sample) in &samples {
        let Some(t) = traces.get(id) else {
            bad.push(format!("trace {id}: not produced"));
            continue;
        };
        let want = history_of_truth(sample);
        let got = history_of_trace(t);
        if want != got {
            bad.push(format!("trace {id}:\n  truth {want:#?}\n  found {got:#?}"));
        }
        if sample["from"].as_str() != t.from.as_deref() {
            bad.push(format!(
                "trace {id}: from {:?} vs {:?}",
                sample["from"], t.from
            ));
        }
        let want_rcpts: Vec<&str> = sample["recipients"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for r in &t.recipients {
            if !want_rcpts.contains(&r.as_str()) {
                bad.push(format!("trace {id}: recipient {r} not in the truth"));
            }
        }
    }
    if !bad.is_empty() {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("truth-failures");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("{name}.txt")), bad.join("\n"));
    }
    assert!(
        bad.is_empty(),
        "{name}: {} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
    eprintln!(
        "{name}: {} lines, summary equals the truth, {} traces match",
        summary.lines,
        samples.len()
    );
}

#[test]
fn bsd_short_ids() {
    check_case("bsd", &["--lines", "20000", "--seed", "3"]);
}

#[test]
fn rfc3339_long_ids() {
    check_case(
        "rfc3339",
        &[
            "--lines",
            "20000",
            "--seed",
            "5",
            "--timestamp",
            "rfc3339",
            "--long-queue-ids",
        ],
    );
}

#[test]
fn several_days_with_expiries() {
    check_case(
        "days",
        &[
            "--lines",
            "30000",
            "--seed",
            "7",
            "--hours",
            "200",
            "--queue-lifetime",
            "86400",
        ],
    );
}

#[test]
fn large_log_release_only() {
    if cfg!(debug_assertions) {
        eprintln!(
            "SKIPPED: the 150,000-line truth case runs in release builds (cargo test --release)"
        );
        return;
    }
    check_case(
        "large",
        &[
            "--lines",
            "150000",
            "--seed",
            "11",
            "--hours",
            "120",
            "--queue-lifetime",
            "172800",
            "--long-queue-ids",
            "--trace-samples",
            "40",
        ],
    );
}
