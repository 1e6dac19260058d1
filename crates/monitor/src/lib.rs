//! smtp-doctor's monitor: the check pipelines that `check`, `dns` and `monitor` share (probe
//! report or DNS checks → evidence → THE classifier → verdict), and the monitor's schedule,
//! history, metrics and alerts.

#![forbid(unsafe_code)]

pub mod alert;
pub mod config;
pub mod metrics;
pub mod page;
pub mod run;
pub mod schedule;
pub mod serve;
pub mod store;

use smtp_doctor_dnsauth::mtasts::fetch::FetchOptions;
use smtp_doctor_dnsauth::report::{CheckOptions, DomainReport};
use smtp_doctor_model::probe::ProbeReport;
use smtp_doctor_model::{Evidence, Source, Stage};
use smtp_doctor_probe::{evidence, observations, resolution_evidence};
use smtp_doctor_render::check::{CheckFinding, CheckReport, Verdict};
use smtp_doctor_render::dns::{DnsCheck, DnsFinding};
use std::time::Duration;

/// The longest SPF evaluation allowed (RFC 7208 4.6.4 asks for at least 20 seconds).
pub const SPF_TIME_LIMIT: Duration = Duration::from_secs(20);

/// Classifies every piece of evidence of a report with THE classifier and picks the verdict.
pub fn diagnose(report: ProbeReport) -> CheckReport {
    // (attempt, informational, evidence)
    let mut sources: Vec<(Option<usize>, bool, Evidence)> = resolution_evidence(&report.resolution)
        .into_iter()
        .map(|ev| (None, false, ev))
        .collect();
    for (i, a) in report.attempts.iter().enumerate() {
        sources.extend(evidence(a).into_iter().map(|ev| (Some(i), false, ev)));
        sources.extend(observations(a).into_iter().map(|ev| (Some(i), true, ev)));
    }
    if report.attempts.is_empty() && sources.is_empty() {
        // Every address was filtered out (-4/-6): the probe's own wording for it.
        sources.push((
            None,
            false,
            Evidence {
                stage: Some(Stage::Connect),
                ..Evidence::text(Source::Probe, "host not found: no address to connect to")
            },
        ));
    }
    // The knowledge base takes ~30 ms to load: only when there is evidence to classify (a
    // healthy probe has none).
    let findings: Vec<CheckFinding> = if sources.is_empty() {
        Vec::new()
    } else {
        let kb = smtp_doctor_kb::builtin();
        sources
            .into_iter()
            .map(|(attempt, informational, ev)| CheckFinding {
                attempt,
                finding: kb.classify(&ev),
                observed: ev.text,
                informational,
                dns: false,
            })
            .collect()
    };
    // Evidence comes in stage order, resolution first: the first failure is the deciding one.
    // Informational findings (the banner's name against the PTR) never decide.
    let verdict = match findings
        .iter()
        .position(|f| f.finding.is_failure() && !f.informational)
    {
        Some(finding) => Verdict::Problem { finding },
        None => Verdict::Healthy,
    };
    CheckReport {
        report,
        findings,
        verdict,
        dns: None,
    }
}

/// The name `text` writes, lower case and without its final dot, when it is a valid DNS name
/// with at least one dot (a mail domain, a blocklist zone).
pub fn mail_domain(text: &str) -> Option<String> {
    let name = text.trim().trim_end_matches('.').to_ascii_lowercase();
    (smtp_doctor_dnsauth::dns::is_valid_name(&name) && name.contains('.')).then_some(name)
}

/// Classifies every piece of evidence of a domain's DNS checks with THE classifier and picks
/// the verdict: healthy when no finding is a failure, else the first failure.
pub fn diagnose_dns(report: DomainReport) -> DnsCheck {
    let evidence = report.evidence();
    let findings: Vec<DnsFinding> = if evidence.is_empty() {
        Vec::new()
    } else {
        let kb = smtp_doctor_kb::builtin();
        evidence
            .into_iter()
            .map(|ev| DnsFinding {
                finding: kb.classify(&ev),
                observed: ev.text,
            })
            .collect()
    };
    let verdict = match findings.iter().position(|f| f.finding.is_failure()) {
        Some(finding) => Verdict::Problem { finding },
        None => Verdict::Healthy,
    };
    DnsCheck {
        report,
        findings,
        verdict,
    }
}

/// The options of the DNS checks with no sending IP, the common DKIM selectors and no
/// blocklist: `timeout` per query, the MTA-STS policy fetched from `mta_sts_port` and trusted
/// through `ca_pem` (the WebPKI roots when `None`).
pub fn dns_options(timeout: Duration, ca_pem: Option<Vec<u8>>, mta_sts_port: u16) -> CheckOptions {
    CheckOptions {
        ip: None,
        selectors: Vec::new(),
        spf_time_limit: Some(SPF_TIME_LIMIT),
        dnsbl_zones: Vec::new(),
        mta_sts_fetch: FetchOptions {
            https_port: mta_sts_port,
            ca_pem,
            connect_timeout: timeout,
            tls_timeout: timeout,
            total_timeout: timeout.saturating_mul(3),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smtp_doctor_model::probe::{Attempt, PtrInfo, PtrSource, Resolution};
    use smtp_doctor_model::Category;

    /// A completed attempt to 192.0.2.10 whose banner names `mx.example.org`, with this PTR.
    fn attempt(ptr_names: &[&str], matches_ptr: Option<bool>) -> Attempt {
        let mut a: Attempt = serde_json::from_value(serde_json::json!({
            "host": "192.0.2.10", "mail_domain": null, "addr": "192.0.2.10:25", "tls_mode": "none",
            "start_ms": 0, "duration_ms": 5, "stages": [], "transcript": [],
            "transcript_truncated": false, "tls": null,
            "banner": {"hostname": "mx.example.org", "software": null, "version": null,
                       "esmtp": true, "lines": ["mx.example.org ESMTP"], "matches_ehlo": true,
                       "ehlo_name": "mx.example.org", "ptr": null, "matches_ptr": null},
            "ehlo": null, "anomalies": [], "outcome": {"status": "completed"}
        }))
        .expect("an attempt");
        if let Some(b) = &mut a.banner {
            b.ptr = Some(PtrInfo {
                source: PtrSource::Dns,
                names: ptr_names.iter().map(|n| n.to_string()).collect(),
                error: None,
            });
            b.matches_ptr = matches_ptr;
        }
        a
    }

    fn report(a: Attempt) -> ProbeReport {
        ProbeReport {
            target: "192.0.2.10".into(),
            resolution: Resolution::default(),
            attempts: vec![a],
        }
    }

    #[test]
    fn a_banner_ptr_mismatch_is_an_informational_finding_not_the_verdict() {
        let c = diagnose(report(attempt(&["other.example.net"], Some(false))));
        assert_eq!(c.findings.len(), 1);
        let f = &c.findings[0];
        assert!(f.informational);
        assert_eq!(f.attempt, Some(0));
        assert_eq!(f.finding.category, Category::RequirePtr);
        assert!(f.finding.confidence < 0.5, "{}", f.finding.confidence);
        assert_eq!(c.verdict, Verdict::Healthy);
        // The same names: nothing to report.
        let c = diagnose(report(attempt(&["mx.example.org"], Some(true))));
        assert!(c.findings.is_empty());
        assert_eq!(c.verdict, Verdict::Healthy);
    }
}
