//! One run of one check: the probe under the check's timeout, [`crate::diagnose`], the
//! thresholds, and the record stored.

use crate::config::{CheckKind, CheckSpec, Thresholds};
use crate::diagnose;
use crate::store::{now_ms, RunRecord, RunStatus, StageTiming};
use smtp_doctor_render::check::{diagnosed_category, CheckReport, Verdict};
use smtp_doctor_render::check_json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long past its own total deadline a probe may run before the check's timeout stops it
/// (the probe ends itself at its deadline; this only guards against a stage that does not).
const GRACE: Duration = Duration::from_secs(2);
/// Longest reason kept.
const MAX_REASON: usize = 300;

/// Runs a check once; `None` for a kind that is not supported yet (`dns`).
pub async fn run_once(spec: &CheckSpec) -> Option<RunRecord> {
    let CheckKind::Smtp {
        parsed, options, ..
    } = &spec.kind
    else {
        return None;
    };
    let started_ms = now_ms();
    let clock = Instant::now();
    let probed = tokio::time::timeout(
        spec.timeout + GRACE,
        smtp_doctor_probe::probe(parsed, options),
    )
    .await;
    let duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    Some(match probed {
        Ok(report) => {
            // The classifier is CPU work (and loads the knowledge base once): off the reactor.
            let checked = tokio::task::spawn_blocking(move || diagnose(report)).await;
            match checked {
                Ok(checked) => record(
                    &spec.name,
                    started_ms,
                    duration_ms,
                    &checked,
                    &spec.thresholds,
                ),
                Err(_) => timed_out(spec, started_ms, duration_ms, "the diagnosis failed"),
            }
        }
        Err(_) => timed_out(
            spec,
            started_ms,
            duration_ms,
            &format!(
                "no result within the check's timeout of {}s",
                spec.timeout.as_secs_f64()
            ),
        ),
    })
}

fn timed_out(spec: &CheckSpec, started_ms: i64, duration_ms: u64, why: &str) -> RunRecord {
    RunRecord {
        check: spec.name.clone(),
        started_ms,
        duration_ms,
        status: RunStatus::TimedOut,
        category: None,
        reason: Some(why.to_string()),
        reply_code: None,
        cert_days_left: None,
        stages: Vec::new(),
        findings: BTreeMap::new(),
        report: String::new(),
    }
}

/// The record of a diagnosed run, its thresholds applied.
pub fn record(
    check: &str,
    started_ms: i64,
    duration_ms: u64,
    checked: &CheckReport,
    thresholds: &Thresholds,
) -> RunRecord {
    // The first attempt is the primary one (the first MX, the first address): its stages are
    // the latency history; the last reply is the last one any attempt got.
    let first = checked.report.attempts.first();
    let stages: Vec<StageTiming> = first
        .map(|a| {
            a.stages
                .iter()
                .map(|s| StageTiming {
                    stage: s.stage.as_str().to_string(),
                    duration_ms: s.duration_ms,
                })
                .collect()
        })
        .unwrap_or_default();
    let reply_code = checked
        .report
        .attempts
        .iter()
        .rev()
        .flat_map(|a| a.stages.iter().rev())
        .find_map(|s| s.reply.as_ref().map(|r| r.code.get()));
    let cert_days_left = checked
        .report
        .attempts
        .iter()
        .filter_map(|a| a.tls.as_ref()?.chain.first())
        .find_map(|c| days_left(&c.not_after, started_ms));
    let mut findings = BTreeMap::new();
    for f in &checked.findings {
        *findings
            .entry(f.finding.category.as_str().to_string())
            .or_insert(0u32) += 1;
    }
    let (mut status, mut reason) = match checked.verdict {
        Verdict::Healthy => (RunStatus::Ok, None),
        Verdict::Problem { .. } => (
            RunStatus::Failed,
            checked
                .deciding()
                .map(|f| format!("{}: {}", f.finding.summary, f.observed)),
        ),
    };
    if status == RunStatus::Ok {
        let slow = first.into_iter().flat_map(|a| &a.stages).find_map(|s| {
            let limit = thresholds.latency.get(&s.stage)?;
            (Duration::from_millis(s.duration_ms) > *limit).then(|| {
                format!(
                    "{} took {} ms, above the threshold of {} ms",
                    s.stage,
                    s.duration_ms,
                    limit.as_millis()
                )
            })
        });
        let expiring = match (thresholds.cert_days, cert_days_left) {
            (Some(min), Some(left)) if left < i64::from(min) => Some(format!(
                "the certificate expires in {left} days, below the threshold of {min}"
            )),
            _ => None,
        };
        if let Some(why) = slow.or(expiring) {
            status = RunStatus::Degraded;
            reason = Some(why);
        }
    }
    let mut report = Vec::new();
    check_json::write_check(&mut report, checked);
    RunRecord {
        check: check.to_string(),
        started_ms,
        duration_ms,
        status,
        category: Some(diagnosed_category(checked).as_str().to_string()),
        reason: reason.map(|r| truncate(r, MAX_REASON)),
        reply_code,
        cert_days_left,
        stages,
        findings,
        report: String::from_utf8_lossy(&report).into_owned(),
    }
}

/// Whole days from `now_ms` to an RFC 3339 time (negative once past).
fn days_left(rfc3339: &str, now_ms: i64) -> Option<i64> {
    let t: jiff::Timestamp = rfc3339.parse().ok()?;
    Some((t.as_millisecond() - now_ms).div_euclid(86_400_000))
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_left_counts_whole_days_and_goes_negative() {
        let now = 1_700_000_000_000; // 2023-11-14T22:13:20Z
        assert_eq!(days_left("2023-11-24T22:13:20Z", now), Some(10));
        assert_eq!(days_left("2023-11-24T22:13:19Z", now), Some(9));
        assert_eq!(days_left("2023-11-14T22:13:19Z", now), Some(-1));
        assert_eq!(days_left("not a time", now), None);
    }

    #[test]
    fn reasons_are_cut_on_a_character() {
        let s = truncate("é".repeat(400), 301);
        assert!(s.len() <= 304 && s.ends_with('…'));
    }
}
