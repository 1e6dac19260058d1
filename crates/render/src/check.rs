//! `check` reports for a person (annotated transcript, TLS, banner, EHLO, timing, findings,
//! verdict) and for Nagios (one status line with per-stage perfdata).
//!
//! The input is a [`CheckReport`]: the probe's report with the findings the classifier drew from
//! it and the verdict the CLI chose. Nothing here classifies or decides; it formats.

use crate::dns::{write_sections, DnsCheck};
use crate::terminal::{mark, write_finding, Palette};
use anstyle::Style;
use smtp_doctor_model::probe::{
    Attempt, Direction, EhloSummary, Outcome, ProbeReport, PtrSource, StageRecord, TlsInfo, TlsMode,
};
use smtp_doctor_model::{Category, Class, Finding, Stage};
use std::io::{self, Write};

/// One finding of a check and where its evidence came from.
#[derive(Debug, Clone)]
pub struct CheckFinding {
    /// The attempt (index into [`ProbeReport::attempts`]) the evidence came from; `None` for
    /// the resolution.
    pub attempt: Option<usize>,
    /// The evidence text the classifier read.
    pub observed: String,
    /// The classifier's finding.
    pub finding: Finding,
    /// True for an observation that does not stop mail to this server (the banner's name
    /// against the PTR): reported, never the verdict.
    pub informational: bool,
    /// True for a finding of the DNS checks of the domain (`check DOMAIN`), not of the probe.
    pub dns: bool,
}

/// The outcome of a check as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No finding is a failure.
    Healthy,
    /// At least one failure; `finding` indexes the deciding one in [`CheckReport::findings`].
    Problem {
        /// The deciding finding.
        finding: usize,
    },
}

/// A probe's report, its findings and the verdict: what every `check` renderer reads.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// What the probe saw.
    pub report: ProbeReport,
    /// The findings, resolution first, then each attempt's in stage order, then the DNS checks'.
    pub findings: Vec<CheckFinding>,
    /// The verdict.
    pub verdict: Verdict,
    /// The DNS checks of the mail domain, when the target was a domain or an address and they
    /// ran; their findings are also in [`CheckReport::findings`], marked [`CheckFinding::dns`].
    pub dns: Option<DnsCheck>,
}

impl CheckReport {
    /// The deciding finding, when the verdict is a problem.
    pub fn deciding(&self) -> Option<&CheckFinding> {
        match self.verdict {
            Verdict::Healthy => None,
            Verdict::Problem { finding } => self.findings.get(finding),
        }
    }
}

/// The lower-case name of a TLS mode, as `--tls` spells it.
pub fn tls_mode_name(mode: TlsMode) -> &'static str {
    match mode {
        TlsMode::StartTls => "starttls",
        TlsMode::Implicit => "implicit",
        _ => "none",
    }
}

/// How an attempt ended, in words.
pub fn outcome_text(o: &Outcome) -> String {
    match o {
        Outcome::Completed => "completed".to_string(),
        Outcome::StoppedAfter { stage } => format!("stopped after {stage} as asked"),
        Outcome::Rejected { stage, code } => format!("refused at {stage} with {code}"),
        Outcome::Failed { stage } => format!("failed at {stage}"),
        _ => "ended".to_string(),
    }
}

/// Writes the whole report for a person to read.
pub fn write_check(w: &mut impl Write, c: &CheckReport, p: &Palette) -> io::Result<()> {
    let r = &c.report;
    writeln!(w, "{} {}", p.paint(p.label, "smtp-doctor check"), r.target)?;
    write_resolution(w, r, p)?;
    for (i, a) in r.attempts.iter().enumerate() {
        writeln!(w)?;
        write_attempt(w, i, a, p)?;
    }
    if let Some(d) = &c.dns {
        writeln!(w)?;
        writeln!(
            w,
            "{} {}",
            p.paint(p.label, "DNS checks of"),
            d.report.domain
        )?;
        write_sections(w, &d.report, p)?;
    }
    writeln!(w)?;
    if c.findings.is_empty() {
        writeln!(w, "{} none", p.paint(p.label, "Findings:"))?;
    } else {
        writeln!(w, "{}", p.paint(p.label, "Findings:"))?;
        for (i, f) in c.findings.iter().enumerate() {
            let from = match f.attempt.and_then(|n| r.attempts.get(n)) {
                _ if f.dns => "DNS checks".to_string(),
                Some(a) => format!("attempt {} ({})", f.attempt.unwrap_or(0) + 1, a.addr),
                None => "resolution".to_string(),
            };
            let note = if f.informational {
                " (informational: not counted in the verdict)"
            } else {
                ""
            };
            writeln!(
                w,
                "  {}. {}",
                i + 1,
                p.paint(
                    p.dim,
                    format!("{from}: {}{note}", one_line(&f.observed, 200))
                )
            )?;
            write_finding(w, &f.finding, p, "    ")?;
        }
    }
    writeln!(w)?;
    write_verdict(w, c, p)
}

/// Writes the verdict line: healthy, or the deciding finding's category, summary and first fix.
pub fn write_verdict(w: &mut impl Write, c: &CheckReport, p: &Palette) -> io::Result<()> {
    match c.deciding() {
        None => writeln!(
            w,
            "{} {}: no problem found ({} attempt{})",
            p.paint(p.label, "Verdict:"),
            p.paint(p.ok, "HEALTHY"),
            c.report.attempts.len(),
            if c.report.attempts.len() == 1 {
                ""
            } else {
                "s"
            }
        ),
        Some(f) => {
            let (word, style) = mark(&f.finding, p);
            writeln!(
                w,
                "{} {} {}: {}",
                p.paint(p.label, "Verdict:"),
                p.paint(style, word),
                p.paint(style, f.finding.category),
                f.finding.summary
            )?;
            if let Some(step) = f.finding.fix.first() {
                writeln!(w, "  {} {step}", p.paint(p.label, "First fix:"))?;
            }
            Ok(())
        }
    }
}

fn write_resolution(w: &mut impl Write, r: &ProbeReport, p: &Palette) -> io::Result<()> {
    let res = &r.resolution;
    if res.server == "none" {
        writeln!(
            w,
            "{} none needed (an IP address)",
            p.paint(p.label, "Resolution:")
        )?;
    } else {
        writeln!(
            w,
            "{} via {} in {} ms",
            p.paint(p.label, "Resolution:"),
            res.server,
            res.duration_ms
        )?;
    }
    if res.null_mx {
        writeln!(w, "  null MX: the domain takes no mail (RFC 7505)")?;
    }
    for h in &res.mx {
        let pref = h.preference.map(|n| format!("MX {n} ")).unwrap_or_default();
        let addrs: Vec<String> = h.addresses.iter().map(|a| a.to_string()).collect();
        writeln!(
            w,
            "  {pref}{} -> {}",
            h.name,
            if addrs.is_empty() {
                "no address".to_string()
            } else {
                addrs.join(", ")
            }
        )?;
    }
    for e in &res.errors {
        writeln!(
            w,
            "  {} {} {}: {} {}",
            p.paint(p.transient, "DNS error"),
            e.name,
            e.rtype,
            e.kind.as_str(),
            e.detail
        )?;
    }
    Ok(())
}

fn write_attempt(w: &mut impl Write, i: usize, a: &Attempt, p: &Palette) -> io::Result<()> {
    writeln!(
        w,
        "{} {} (host {}, TLS {}): {} in {} ms",
        p.paint(p.label, format!("Attempt {}:", i + 1)),
        a.addr,
        a.host,
        tls_mode_name(a.tls_mode),
        outcome_text(&a.outcome),
        a.duration_ms
    )?;
    writeln!(w, "  {}", p.paint(p.label, "Transcript"))?;
    for line in &a.transcript {
        let (arrow, style) = match line.dir {
            Direction::Sent => ("→", p.code),
            Direction::Received => ("←", Style::new()),
            Direction::Note => (" ", p.dim),
        };
        let text = if line.dir == Direction::Note {
            format!("* {}", line.text)
        } else {
            line.text.clone()
        };
        writeln!(
            w,
            "  {:>7} {} {}",
            p.paint(p.dim, format!("{} ms", line.at_ms)),
            arrow,
            p.paint(style, text)
        )?;
    }
    if a.transcript_truncated {
        writeln!(
            w,
            "  {}",
            p.paint(p.transient, "(transcript cut at its size limit)")
        )?;
    }
    if let Some(tls) = &a.tls {
        write_tls(w, tls, p)?;
    }
    if let Some(b) = &a.banner {
        let mut parts = Vec::new();
        parts.push(format!(
            "name {}",
            b.hostname.as_deref().unwrap_or("(none given)")
        ));
        match (&b.software, &b.version) {
            (Some(s), Some(v)) => parts.push(format!("software {s} {v}")),
            (Some(s), None) => parts.push(format!("software {s}")),
            _ => parts.push("software not named".to_string()),
        }
        parts.push(if b.esmtp { "ESMTP" } else { "no ESMTP word" }.to_string());
        if b.lines.len() > 1 {
            parts.push(format!("{} lines", b.lines.len()));
        }
        match (&b.ehlo_name, b.matches_ehlo) {
            (Some(_), Some(true)) => parts.push("same name as the EHLO reply".to_string()),
            (Some(e), _) => parts.push(format!("EHLO reply names {e}")),
            (None, _) => {}
        }
        if let Some(ptr) = &b.ptr {
            let names = ptr.names.join(", ");
            parts.push(match (ptr.source, b.matches_ptr, &ptr.error) {
                (PtrSource::SpecialUse, _, _) => {
                    format!("PTR {names} (loopback: RFC 6761 special-use name, not looked up)")
                }
                (_, Some(true), _) => format!("PTR {names} (the same name)"),
                (_, Some(false), _) => format!("PTR {names} (another name)"),
                (_, None, Some(e)) => format!("no PTR ({}: {})", e.kind.as_str(), e.name),
                (_, None, None) => format!("PTR {names}"),
            });
        }
        writeln!(w, "  {} {}", p.paint(p.label, "Banner:"), parts.join("; "))?;
    }
    if let Some(e) = &a.ehlo {
        writeln!(w, "  {} {}", p.paint(p.label, "EHLO:"), ehlo_text(e))?;
    }
    let anomalies: Vec<String> = a
        .stages
        .iter()
        .flat_map(|s| {
            s.anomalies
                .iter()
                .map(move |x| format!("{}: {}", s.stage, x.detail))
        })
        .chain(a.anomalies.iter().map(|x| x.detail.clone()))
        .chain(
            a.ehlo
                .iter()
                .flat_map(|e| e.anomalies.iter().map(|x| format!("ehlo: {x}"))),
        )
        .collect();
    if !anomalies.is_empty() {
        writeln!(w, "  {}", p.paint(p.label, "Anomalies:"))?;
        for x in anomalies {
            writeln!(w, "    - {}", p.paint(p.transient, x))?;
        }
    }
    write_timing(w, &a.stages, p)
}

fn write_tls(w: &mut impl Write, t: &TlsInfo, p: &Palette) -> io::Result<()> {
    writeln!(
        w,
        "  {} {}{}, SNI {}, checked against {}",
        p.paint(p.label, "TLS:"),
        t.version.as_deref().unwrap_or("no session"),
        t.cipher
            .as_deref()
            .map(|c| format!(" {c}"))
            .unwrap_or_default(),
        t.sni.as_deref().unwrap_or("none"),
        t.verify_name
    )?;
    for (i, c) in t.chain.iter().enumerate() {
        writeln!(
            w,
            "    certificate {}: subject {}{}",
            i + 1,
            c.subject,
            if c.self_signed { " (self-signed)" } else { "" }
        )?;
        writeln!(w, "      issuer {}", c.issuer)?;
        writeln!(w, "      valid {} to {}", c.not_before, c.not_after)?;
        if !c.san.is_empty() {
            writeln!(w, "      names {}", c.san.join(", "))?;
        }
    }
    match &t.verify_error {
        None if t.verified => writeln!(w, "    {}", p.paint(p.ok, "verified"))?,
        None => writeln!(w, "    not verified")?,
        Some(e) => writeln!(
            w,
            "    {} {}",
            p.paint(p.permanent, "verification failed:"),
            e.reason
        )?,
    }
    Ok(())
}

/// The EHLO capabilities in one line.
pub fn ehlo_text(e: &EhloSummary) -> String {
    let mut caps = Vec::new();
    if e.helo_fallback {
        caps.push("HELO only (EHLO refused)".to_string());
    }
    if e.size_advertised {
        caps.push(match e.size {
            Some(0) | None => "SIZE".to_string(),
            Some(n) => format!("SIZE {n}"),
        });
    }
    for (on, name) in [
        (e.pipelining, "PIPELINING"),
        (e.eight_bit_mime, "8BITMIME"),
        (e.smtputf8, "SMTPUTF8"),
        (e.chunking, "CHUNKING"),
        (e.dsn, "DSN"),
        (e.starttls, "STARTTLS"),
        (e.enhanced_status_codes, "ENHANCEDSTATUSCODES"),
        (e.requiretls, "REQUIRETLS"),
    ] {
        if on {
            caps.push(name.to_string());
        }
    }
    if !e.auth.is_empty() {
        caps.push(format!(
            "AUTH {}{}",
            e.auth.join(" "),
            if e.auth_before_tls {
                " (offered without TLS)"
            } else {
                ""
            }
        ));
    }
    format!(
        "{}{}: {}",
        e.domain,
        if e.over_tls { " over TLS" } else { "" },
        if caps.is_empty() {
            "no extensions".to_string()
        } else {
            caps.join(", ")
        }
    )
}

fn write_timing(w: &mut impl Write, stages: &[StageRecord], p: &Palette) -> io::Result<()> {
    writeln!(w, "  {}", p.paint(p.label, "Timing"))?;
    writeln!(
        w,
        "  {}",
        p.paint(
            p.label,
            format!("  {:<12} {:>8} {:>9}  result", "stage", "start", "duration")
        )
    )?;
    for s in stages {
        let result = match (&s.error, &s.reply) {
            (Some(e), _) => p.paint(p.permanent, e.to_string()),
            (None, Some(r)) => {
                let first = r.lines.first().map(String::as_str).unwrap_or("");
                let style = if r.code.is_positive() {
                    Style::new()
                } else {
                    p.transient
                };
                p.paint(style, format!("{} {}", r.code, one_line(first, 60)))
            }
            (None, None) => "ok".to_string(),
        };
        writeln!(
            w,
            "    {:<12} {:>5} ms {:>6} ms  {result}",
            s.stage.as_str(),
            s.start_ms,
            s.duration_ms
        )?;
    }
    Ok(())
}

/// At most `max` characters of `s` on one line, with `…` when cut.
pub fn one_line(s: &str, max: usize) -> String {
    let flat = s.replace(['\n', '\r'], " ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max).collect();
    cut.push('…');
    cut
}

/// A Nagios plugin status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NagiosStatus {
    /// 0.
    Ok,
    /// 1.
    Warning,
    /// 2.
    Critical,
    /// 3.
    Unknown,
}

impl NagiosStatus {
    /// The plugin exit code.
    pub fn code(self) -> u8 {
        match self {
            NagiosStatus::Ok => 0,
            NagiosStatus::Warning => 1,
            NagiosStatus::Critical => 2,
            NagiosStatus::Unknown => 3,
        }
    }

    /// The status word.
    pub fn as_str(self) -> &'static str {
        match self {
            NagiosStatus::Ok => "OK",
            NagiosStatus::Warning => "WARNING",
            NagiosStatus::Critical => "CRITICAL",
            NagiosStatus::Unknown => "UNKNOWN",
        }
    }
}

/// The Nagios status of a report: OK when healthy; WARNING when the deciding finding is
/// transient and the server was talking (after the banner); CRITICAL otherwise.
pub fn nagios_status(c: &CheckReport) -> NagiosStatus {
    match c.deciding() {
        None => NagiosStatus::Ok,
        Some(f) => {
            let talking = f
                .finding
                .stage
                .is_some_and(|s| !matches!(s, Stage::Resolve | Stage::Connect | Stage::Banner));
            if f.finding.class == Class::Transient && talking {
                NagiosStatus::Warning
            } else {
                NagiosStatus::Critical
            }
        }
    }
}

/// Writes the one Nagios status line: `SMTP STATUS - text | perfdata`, perfdata per stage of
/// every attempt (`banner=12ms;;;`, later attempts prefixed `a2_`, repeated stages numbered).
pub fn write_nagios(w: &mut impl Write, c: &CheckReport) -> io::Result<()> {
    let status = nagios_status(c);
    let text = match c.deciding() {
        None => {
            let first = c.report.attempts.first();
            let greeting = first
                .and_then(|a| a.banner.as_ref())
                .and_then(|b| b.lines.first())
                .map(|l| format!(": {}", one_line(l, 80)))
                .unwrap_or_default();
            let tls = first
                .and_then(|a| a.tls.as_ref())
                .and_then(|t| t.version.as_deref())
                .map(|v| format!(", {v}"))
                .unwrap_or_default();
            format!("{} healthy{tls}{greeting}", c.report.target)
        }
        Some(f) => format!(
            "{} {}: {}",
            c.report.target,
            f.finding.category,
            one_line(&f.finding.summary, 120)
        ),
    };
    let mut perf = Vec::new();
    for (i, a) in c.report.attempts.iter().enumerate() {
        let prefix = if i == 0 {
            String::new()
        } else {
            format!("a{}_", i + 1)
        };
        let mut seen: Vec<(Stage, usize)> = Vec::new();
        for s in &a.stages {
            let n = match seen.iter_mut().find(|(st, _)| *st == s.stage) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.push((s.stage, 1));
                    1
                }
            };
            let name = s.stage.as_str().replace('-', "_");
            let label = if n == 1 {
                format!("{prefix}{name}")
            } else {
                format!("{prefix}{name}{n}")
            };
            perf.push(format!("{label}={}ms;;;", s.duration_ms));
        }
        perf.push(format!("{prefix}time={}ms;;;", a.duration_ms));
    }
    let text = text.replace('|', "/");
    if perf.is_empty() {
        writeln!(w, "SMTP {} - {text}", status.as_str())
    } else {
        writeln!(w, "SMTP {} - {text} | {}", status.as_str(), perf.join(" "))
    }
}

/// The facts that show a diagnosis in a line: the deciding evidence and the measured time of
/// the stage it came from, or for a healthy attempt its TLS and last reply.
pub fn key_evidence(c: &CheckReport) -> String {
    match c.deciding() {
        Some(f) => {
            let stage = f.finding.stage;
            let measured = f
                .attempt
                .and_then(|n| c.report.attempts.get(n))
                .and_then(|a| a.stages.iter().rev().find(|s| Some(s.stage) == stage))
                .map(|s| format!(" [{} took {} ms]", s.stage, s.duration_ms))
                .unwrap_or_default();
            format!("{}{measured}", one_line(&f.observed, 160))
        }
        None => {
            let Some(a) = c.report.attempts.first() else {
                return "no attempt".to_string();
            };
            let tls = match &a.tls {
                Some(t) if t.verified => format!(
                    "{} verified for {}",
                    t.version.as_deref().unwrap_or("TLS"),
                    t.verify_name
                ),
                Some(t) => t.version.as_deref().unwrap_or("TLS failed").to_string(),
                None => "no TLS".to_string(),
            };
            let anomalies = a.stages.iter().map(|s| s.anomalies.len()).sum::<usize>();
            let extra = if anomalies > 0 {
                format!(", {anomalies} protocol anomalies noted")
            } else {
                String::new()
            };
            format!(
                "{}; {tls}; {} stages in {} ms{extra}",
                outcome_text(&a.outcome),
                a.stages.len(),
                a.duration_ms
            )
        }
    }
}

/// The category a report comes to: the deciding finding's, or `delivered` when healthy.
pub fn diagnosed_category(c: &CheckReport) -> Category {
    c.deciding()
        .map_or(Category::Delivered, |f| f.finding.category)
}

/// Writes one scenario of `demo`: whether the diagnosis is the expected one, the scenario, what
/// was expected and found, the summary and the key evidence.
#[allow(clippy::too_many_arguments)]
pub fn write_demo_entry(
    w: &mut impl Write,
    name: &str,
    description: &str,
    tls: &str,
    expected: &[Category],
    ok: bool,
    c: &CheckReport,
    p: &Palette,
) -> io::Result<()> {
    let (word, style) = if ok {
        ("PASS", p.ok)
    } else {
        ("MISS", p.permanent)
    };
    let found = diagnosed_category(c);
    let expected: Vec<&str> = expected.iter().map(|c| c.as_str()).collect();
    writeln!(
        w,
        "{} {}  {}",
        p.paint(style, word),
        p.paint(p.label, name),
        p.paint(p.dim, format!("({description}; client --tls {tls})"))
    )?;
    let summary = c
        .deciding()
        .map(|f| one_line(&f.finding.summary, 140))
        .unwrap_or_else(|| "no problem found".to_string());
    writeln!(
        w,
        "     expected {}, found {}: {summary}",
        expected.join(" or "),
        p.paint(style, found)
    )?;
    writeln!(w, "     evidence: {}", p.paint(p.dim, key_evidence(c)))?;
    writeln!(w)
}
