//! The Prometheus text exposition (format 0.0.4) of the checks' last runs, written by hand: a
//! few gauges, no client library needed. Every metric name is a documented constant.

use crate::schedule::CheckState;
use crate::store::{RunRecord, RunStatus, DNSBL_LISTED};
use std::fmt::Write;

/// 1 when the check's last run was ok (no failure, thresholds kept), else 0.
pub const CHECK_SUCCESS: &str = "smtp_doctor_check_success";
/// 1 for the status of the check's last run (`ok`, `failed`, `degraded`, `timed_out`), 0 for the others.
pub const CHECK_STATUS: &str = "smtp_doctor_check_status";
/// How long the check's last run took, in seconds.
pub const CHECK_DURATION: &str = "smtp_doctor_check_duration_seconds";
/// How long each stage of the check's last run took (its first attempt), in seconds.
pub const CHECK_STAGE_DURATION: &str = "smtp_doctor_check_stage_duration_seconds";
/// The last reply code the server sent in the check's last run.
pub const CHECK_LAST_REPLY_CODE: &str = "smtp_doctor_check_last_reply_code";
/// Whole days before the leaf certificate seen in the check's last run expires.
pub const CHECK_CERT_DAYS_LEFT: &str = "smtp_doctor_check_certificate_days_left";
/// Findings of the check's last run, by category (informational ones included).
pub const CHECK_FINDINGS: &str = "smtp_doctor_check_findings";
/// `dns` checks: 1 when the blocklist `zone` lists the sending IP in the check's last run, else
/// 0 (not listed, or no verdict: the list refused the query, answered nonsense or failed).
pub const CHECK_DNSBL_LISTED: &str = "smtp_doctor_dnsbl_listed";
/// When the check's last run started, in seconds since the Unix epoch.
pub const CHECK_LAST_RUN: &str = "smtp_doctor_check_last_run_timestamp_seconds";
/// Runs of the check done by this process.
pub const CHECK_RUNS: &str = "smtp_doctor_check_runs_total";
/// `/probe`: 1 when the probe was ok, else 0 (as blackbox_exporter's).
pub const PROBE_SUCCESS: &str = "probe_success";
/// `/probe`: how long the probe took, in seconds (as blackbox_exporter's).
pub const PROBE_DURATION: &str = "probe_duration_seconds";
/// `/probe`: how long each stage took, in seconds.
pub const PROBE_STAGE_DURATION: &str = "smtp_doctor_probe_stage_duration_seconds";
/// `/probe`: the last reply code the server sent.
pub const PROBE_LAST_REPLY_CODE: &str = "smtp_doctor_probe_last_reply_code";
/// `/probe`: whole days before the leaf certificate expires.
pub const PROBE_CERT_DAYS_LEFT: &str = "smtp_doctor_probe_certificate_days_left";
/// `/probe`: findings by category.
pub const PROBE_FINDINGS: &str = "smtp_doctor_probe_findings";
/// `/probe` of a `dns` module: 1 when the blocklist `zone` lists the sending IP, else 0.
pub const PROBE_DNSBL_LISTED: &str = "smtp_doctor_probe_dnsbl_listed";

/// The statuses, in the order `CHECK_STATUS` lists them.
const STATUSES: [RunStatus; 4] = [
    RunStatus::Ok,
    RunStatus::Failed,
    RunStatus::Degraded,
    RunStatus::TimedOut,
];

/// The names of one family of per-run metrics.
struct Names {
    success: &'static str,
    duration: &'static str,
    stage: &'static str,
    reply: &'static str,
    days: &'static str,
    findings: &'static str,
    listed: &'static str,
}

const CHECK_NAMES: Names = Names {
    success: CHECK_SUCCESS,
    duration: CHECK_DURATION,
    stage: CHECK_STAGE_DURATION,
    reply: CHECK_LAST_REPLY_CODE,
    days: CHECK_CERT_DAYS_LEFT,
    findings: CHECK_FINDINGS,
    listed: CHECK_DNSBL_LISTED,
};

const PROBE_NAMES: Names = Names {
    success: PROBE_SUCCESS,
    duration: PROBE_DURATION,
    stage: PROBE_STAGE_DURATION,
    reply: PROBE_LAST_REPLY_CODE,
    days: PROBE_CERT_DAYS_LEFT,
    findings: PROBE_FINDINGS,
    listed: PROBE_DNSBL_LISTED,
};

/// The metrics of every check, from their last runs (checks that never ran have only
/// [`CHECK_RUNS`]).
pub fn exposition(checks: &[CheckState]) -> String {
    let mut out = String::new();
    let labelled: Vec<(String, &CheckState)> = checks
        .iter()
        .map(|c| {
            let mut labels = vec![("check", c.spec.name.as_str())];
            labels.extend(c.spec.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            (label_set(&labels), c)
        })
        .collect();
    let runs: Vec<(&str, &RunRecord)> = labelled
        .iter()
        .filter_map(|(l, c)| Some((l.as_str(), c.last.as_deref()?)))
        .collect();
    write_family(&mut out, &CHECK_NAMES, &runs);
    header(
        &mut out,
        CHECK_STATUS,
        "gauge",
        "1 for the status of the check's last run",
    );
    for (labels, run) in &runs {
        for s in STATUSES {
            let l = join(labels, &label_set(&[("status", s.as_str())]));
            sample(&mut out, CHECK_STATUS, &l, u8::from(run.status == s));
        }
    }
    header(
        &mut out,
        CHECK_LAST_RUN,
        "gauge",
        "When the check's last run started, in seconds since the epoch",
    );
    for (labels, run) in &runs {
        sample(
            &mut out,
            CHECK_LAST_RUN,
            labels,
            run.started_ms as f64 / 1000.0,
        );
    }
    header(
        &mut out,
        CHECK_RUNS,
        "counter",
        "Runs of the check done by this process",
    );
    for (labels, c) in &labelled {
        sample(&mut out, CHECK_RUNS, labels, c.runs);
    }
    out
}

/// The blackbox-style exposition of one `/probe` run.
pub fn probe_exposition(run: &RunRecord) -> String {
    let mut out = String::new();
    write_family(&mut out, &PROBE_NAMES, &[("", run)]);
    out
}

fn write_family(out: &mut String, n: &Names, runs: &[(&str, &RunRecord)]) {
    header(
        out,
        n.success,
        "gauge",
        "1 when the last run was ok, else 0",
    );
    for (labels, run) in runs {
        sample(out, n.success, labels, u8::from(!run.status.is_failure()));
    }
    header(
        out,
        n.duration,
        "gauge",
        "How long the last run took, in seconds",
    );
    for (labels, run) in runs {
        sample(out, n.duration, labels, run.duration_ms as f64 / 1000.0);
    }
    header(
        out,
        n.stage,
        "gauge",
        "How long each stage of the last run took, in seconds",
    );
    for (labels, run) in runs {
        // A stage that ran twice (EHLO again after STARTTLS) is one series, its times summed:
        // a scrape must not hold two samples of one series.
        let mut stages: Vec<(&str, u64)> = Vec::new();
        for s in &run.stages {
            match stages.iter_mut().find(|(name, _)| *name == s.stage) {
                Some((_, ms)) => *ms += s.duration_ms,
                None => stages.push((&s.stage, s.duration_ms)),
            }
        }
        for (stage, ms) in stages {
            let l = join(labels, &label_set(&[("stage", stage)]));
            sample(out, n.stage, &l, ms as f64 / 1000.0);
        }
    }
    let optional =
        |out: &mut String, name: &str, help: &str, value: fn(&RunRecord) -> Option<i64>| {
            header(out, name, "gauge", help);
            for (labels, run) in runs {
                if let Some(v) = value(run) {
                    sample(out, name, labels, v);
                }
            }
        };
    optional(out, n.reply, "The last reply code the server sent", |r| {
        r.reply_code.map(i64::from)
    });
    optional(
        out,
        n.days,
        "Whole days before the leaf certificate expires",
        |r| r.cert_days_left,
    );
    header(
        out,
        n.findings,
        "gauge",
        "Findings of the last run, by category",
    );
    for (labels, run) in runs {
        for (category, count) in &run.findings {
            let l = join(labels, &label_set(&[("category", category.as_str())]));
            sample(out, n.findings, &l, count);
        }
    }
    header(
        out,
        n.listed,
        "gauge",
        "1 when the blocklist zone lists the sending IP, else 0",
    );
    for (labels, run) in runs {
        for (zone, status) in &run.dnsbl {
            let l = join(labels, &label_set(&[("zone", zone.as_str())]));
            sample(out, n.listed, &l, u8::from(status == DNSBL_LISTED));
        }
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}.\n# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &str, value: impl std::fmt::Display) {
    if labels.is_empty() {
        let _ = writeln!(out, "{name} {value}");
    } else {
        let _ = writeln!(out, "{name}{{{labels}}} {value}");
    }
}

/// `k="v",k2="v2"`, values escaped as the text format asks.
fn label_set(labels: &[(&str, &str)]) -> String {
    let mut s = String::new();
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(k);
        s.push_str("=\"");
        for c in v.chars() {
            match c {
                '\\' => s.push_str("\\\\"),
                '"' => s.push_str("\\\""),
                '\n' => s.push_str("\\n"),
                c => s.push(c),
            }
        }
        s.push('"');
    }
    s
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a},{b}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StageTiming;
    use std::collections::BTreeMap;

    fn run() -> RunRecord {
        RunRecord {
            check: "mx".into(),
            started_ms: 1_500,
            duration_ms: 250,
            status: RunStatus::Failed,
            category: Some("greylisted".into()),
            reason: None,
            reply_code: Some(450),
            cert_days_left: Some(12),
            stages: [("banner", 20), ("ehlo", 5), ("starttls", 1), ("ehlo", 7)]
                .into_iter()
                .map(|(stage, duration_ms)| StageTiming {
                    stage: stage.into(),
                    duration_ms,
                })
                .collect(),
            findings: BTreeMap::from([("greylisted".to_string(), 2)]),
            dnsbl: BTreeMap::from([
                ("bl.example".to_string(), DNSBL_LISTED.to_string()),
                ("refuse.example".to_string(), "query_refused".to_string()),
            ]),
            report: String::new(),
        }
    }

    #[test]
    fn a_probe_run_is_a_valid_exposition() {
        let text = probe_exposition(&run());
        assert!(text.contains("\nprobe_success 0\n"), "{text}");
        assert!(text.contains("\nprobe_duration_seconds 0.25\n"), "{text}");
        assert!(text.contains("smtp_doctor_probe_stage_duration_seconds{stage=\"banner\"} 0.02\n"));
        assert!(text.contains("smtp_doctor_probe_last_reply_code 450\n"));
        // EHLO before and after STARTTLS: one series.
        assert!(text.contains("smtp_doctor_probe_stage_duration_seconds{stage=\"ehlo\"} 0.012\n"));
        assert_eq!(text.matches("stage=\"ehlo\"").count(), 1, "{text}");
        assert!(text.contains("smtp_doctor_probe_findings{category=\"greylisted\"} 2\n"));
        assert!(text.contains("smtp_doctor_probe_dnsbl_listed{zone=\"bl.example\"} 1\n"));
        assert!(text.contains("smtp_doctor_probe_dnsbl_listed{zone=\"refuse.example\"} 0\n"));
        // Every line is a comment or `name{labels} value`.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').expect("a value");
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            label_set(&[("check", "a\"b\\c\nd"), ("site", "x")]),
            "check=\"a\\\"b\\\\c\\nd\",site=\"x\""
        );
    }
}
