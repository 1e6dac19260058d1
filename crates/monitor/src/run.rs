//! One run of one check: the probe (or the DNS checks) under the check's timeout,
//! [`crate::diagnose`] (or [`crate::diagnose_dns`]), the thresholds, and the record stored.

use crate::config::{CheckKind, CheckSpec, Thresholds};
use crate::store::{now_ms, RunRecord, RunStatus, StageTiming};
use crate::{diagnose, diagnose_dns};
use smtp_doctor_dnsauth::dns::HickoryDns;
use smtp_doctor_dnsauth::report::{check_domain, DomainReport};
use smtp_doctor_model::probe::ProbeReport;
use smtp_doctor_model::Category;
use smtp_doctor_render::check::{diagnosed_category, CheckReport, Verdict};
use smtp_doctor_render::dns::DnsCheck;
use smtp_doctor_render::{check_json, dns_json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long past its own total deadline a probe may run before the check's timeout stops it
/// (the probe ends itself at its deadline; this only guards against a stage that does not).
const GRACE: Duration = Duration::from_secs(2);
/// Longest reason kept.
const MAX_REASON: usize = 300;

/// What a check's run saw, before the diagnosis.
enum Seen {
    Probe(ProbeReport),
    Dns(Box<DomainReport>),
}

/// Runs a check once.
pub async fn run_once(spec: &CheckSpec) -> RunRecord {
    let started_ms = now_ms();
    let clock = Instant::now();
    let late = || {
        format!(
            "no result within the check's timeout of {}s",
            spec.timeout.as_secs_f64()
        )
    };
    let seen = match &spec.kind {
        CheckKind::Smtp {
            parsed, options, ..
        } => tokio::time::timeout(
            spec.timeout + GRACE,
            smtp_doctor_probe::probe(parsed, options),
        )
        .await
        .map(Seen::Probe)
        .map_err(|_| (RunStatus::TimedOut, late())),
        CheckKind::Dns {
            domain,
            resolver,
            options,
        } => match HickoryDns::new(resolver) {
            // The DNS checks have no deadline of their own, only each query's.
            Ok(dns) => tokio::time::timeout(spec.timeout, check_domain(&dns, domain, options))
                .await
                .map(|r| Seen::Dns(Box::new(r)))
                .map_err(|_| (RunStatus::TimedOut, late())),
            Err(e) => Err((
                RunStatus::Failed,
                format!("cannot set up the DNS resolver: {e}"),
            )),
        },
    };
    let duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    let seen = match seen {
        Ok(seen) => seen,
        Err((status, why)) => {
            return unfinished(spec, started_ms, duration_ms, status, why.as_str())
        }
    };
    // The classifier is CPU work (and loads the knowledge base once): off the reactor.
    let (name, thresholds) = (spec.name.clone(), spec.thresholds.clone());
    let checked = tokio::task::spawn_blocking(move || match seen {
        Seen::Probe(report) => record(
            &name,
            started_ms,
            duration_ms,
            &diagnose(report),
            &thresholds,
        ),
        Seen::Dns(report) => dns_record(&name, started_ms, duration_ms, &diagnose_dns(*report)),
    })
    .await;
    checked.unwrap_or_else(|_| {
        unfinished(
            spec,
            started_ms,
            duration_ms,
            RunStatus::TimedOut,
            "the diagnosis failed",
        )
    })
}

/// The record of a run that ended without a report.
fn unfinished(
    spec: &CheckSpec,
    started_ms: i64,
    duration_ms: u64,
    status: RunStatus,
    why: &str,
) -> RunRecord {
    RunRecord {
        check: spec.name.clone(),
        started_ms,
        duration_ms,
        status,
        category: None,
        reason: Some(why.to_string()),
        reply_code: None,
        cert_days_left: None,
        stages: Vec::new(),
        findings: BTreeMap::new(),
        dnsbl: BTreeMap::new(),
        report: String::new(),
    }
}

/// How many findings of each category.
fn count(categories: impl Iterator<Item = Category>) -> BTreeMap<String, u32> {
    let mut findings = BTreeMap::new();
    for c in categories {
        *findings.entry(c.as_str().to_string()).or_insert(0u32) += 1;
    }
    findings
}

/// The record of a `dns` check's diagnosed run: failed on a failure finding (a listing
/// among them), with each blocklist zone's answer and the `dns --json` document.
pub fn dns_record(check: &str, started_ms: i64, duration_ms: u64, checked: &DnsCheck) -> RunRecord {
    let deciding = checked.deciding();
    let mut report = Vec::new();
    dns_json::write_dns(&mut report, checked);
    RunRecord {
        check: check.to_string(),
        started_ms,
        duration_ms,
        status: match checked.verdict {
            Verdict::Healthy => RunStatus::Ok,
            Verdict::Problem { .. } => RunStatus::Failed,
        },
        category: Some(
            deciding
                .map_or(Category::Delivered, |f| f.finding.category)
                .as_str()
                .to_string(),
        ),
        reason: deciding
            .map(|f| truncate(format!("{}: {}", f.finding.summary, f.observed), MAX_REASON)),
        reply_code: None,
        cert_days_left: None,
        stages: Vec::new(),
        findings: count(checked.findings.iter().map(|f| f.finding.category)),
        dnsbl: checked
            .report
            .dnsbl
            .iter()
            .map(|d| (d.zone.clone(), dnsbl_status(d.status)))
            .collect(),
        report: String::from_utf8_lossy(&report).into_owned(),
    }
}

/// A blocklist answer's status as `dns --json` names it.
fn dnsbl_status(s: smtp_doctor_dnsauth::dnsbl::DnsblStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| s.as_str().to_string())
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
    let findings = count(checked.findings.iter().map(|f| f.finding.category));
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
        dnsbl: BTreeMap::new(),
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
