//! `dns` reports for a person: one section per check (SPF with its include/redirect tree and
//! lookup counts, DMARC, DKIM, MTA-STS with its policy, TLS-RPT, DANE) with a ✔/✖ status line, then each finding as
//! `explain` shows it, then the verdict. The findings and the verdict come from the CLI (the one
//! classifier made them); nothing here classifies or decides.

use crate::check::{one_line, Verdict};
use crate::terminal::{mark, write_finding, Palette};
use smtp_doctor_dnsauth::dane::{DaneResult, DnssecState};
use smtp_doctor_dnsauth::dnsbl::DnsblStatus;
use smtp_doctor_dnsauth::mtasts::fetch::FetchReport;
use smtp_doctor_dnsauth::mx::Host;
use smtp_doctor_dnsauth::rdns::RdnsReport;
use smtp_doctor_dnsauth::report::{DaneSection, DomainReport, QueryInfo, SpfNode, TxtSection};
use smtp_doctor_model::Finding;
use std::io::{self, Write};

/// One finding of a `dns` run and the evidence it was drawn from.
#[derive(Debug, Clone)]
pub struct DnsFinding {
    /// The evidence text the classifier read.
    pub observed: String,
    /// The classifier's finding.
    pub finding: Finding,
}

/// A domain's report, its findings and the verdict: what every `dns` renderer reads.
#[derive(Debug, Clone)]
pub struct DnsCheck {
    /// What the checks saw.
    pub report: DomainReport,
    /// The findings, in the order of the report's sections.
    pub findings: Vec<DnsFinding>,
    /// The verdict.
    pub verdict: Verdict,
}

impl DnsCheck {
    /// The deciding finding, when the verdict is a problem.
    pub fn deciding(&self) -> Option<&DnsFinding> {
        match self.verdict {
            Verdict::Healthy => None,
            Verdict::Problem { finding } => self.findings.get(finding),
        }
    }
}

/// How a section came out.
enum Status {
    /// Present and without problems.
    Ok,
    /// Not published, which is not a problem by itself.
    Absent,
    /// It has problems.
    Problems(usize),
}

fn status_line(w: &mut impl Write, name: &str, s: Status, p: &Palette) -> io::Result<()> {
    let (sign, style, text) = match s {
        Status::Ok => ("✔", p.ok, "ok".to_string()),
        Status::Absent => ("–", p.dim, "not published".to_string()),
        Status::Problems(n) => (
            "✖",
            p.permanent,
            format!("{n} problem{}", if n == 1 { "" } else { "s" }),
        ),
    };
    writeln!(
        w,
        "{} {} {}",
        p.paint(style, sign),
        p.paint(p.label, format!("{name:<8}")),
        p.paint(style, text)
    )
}

fn status(issues: usize, present: bool) -> Status {
    match (issues, present) {
        (0, true) => Status::Ok,
        (0, false) => Status::Absent,
        (n, _) => Status::Problems(n),
    }
}

fn notes(w: &mut impl Write, notes: &[String], p: &Palette) -> io::Result<()> {
    for n in notes {
        writeln!(w, "    {} {n}", p.paint(p.dim, "note:"))?;
    }
    Ok(())
}

/// Writes one section per check (MX, SPF, DMARC, DKIM, MTA-STS, TLS-RPT, DANE, the sending
/// IP), each with its status line and notes; `dns` and `check DOMAIN` both show them.
pub fn write_sections(w: &mut impl Write, r: &DomainReport, p: &Palette) -> io::Result<()> {
    write_mx(w, r, p)?;
    write_spf(w, r, p)?;
    write_dmarc(w, r, p)?;
    write_dkim(w, r, p)?;
    write_txt(w, "MTA-STS", &r.mta_sts, p)?;
    if let Some(f) = &r.mta_sts_policy {
        write_sts_policy(w, f, p)?;
    }
    write_txt(w, "TLS-RPT", &r.tls_rpt, p)?;
    write_dane(w, &r.dane, p)?;
    write_ip(w, r, p)
}

/// Writes the whole report for a person to read.
pub fn write_dns(w: &mut impl Write, c: &DnsCheck, p: &Palette) -> io::Result<()> {
    let r = &c.report;
    writeln!(w, "{} {}", p.paint(p.label, "smtp-doctor dns"), r.domain)?;
    writeln!(w)?;
    write_sections(w, r, p)?;
    writeln!(w)?;
    if c.findings.is_empty() {
        writeln!(w, "{} none", p.paint(p.label, "Findings:"))?;
    } else {
        writeln!(w, "{}", p.paint(p.label, "Findings:"))?;
        for (i, f) in c.findings.iter().enumerate() {
            writeln!(
                w,
                "  {}. {}",
                i + 1,
                p.paint(p.dim, one_line(&f.observed, 300))
            )?;
            write_finding(w, &f.finding, p, "    ")?;
        }
    }
    writeln!(w)?;
    match c.deciding() {
        None => writeln!(
            w,
            "{} {}: no problem found in the DNS records of {}",
            p.paint(p.label, "Verdict:"),
            p.paint(p.ok, "HEALTHY"),
            r.domain
        ),
        Some(f) => {
            let (word, style) = mark(&f.finding, p);
            let n = c.findings.iter().filter(|f| f.finding.is_failure()).count();
            writeln!(
                w,
                "{} {} {}: {} ({n} problem{} found)",
                p.paint(p.label, "Verdict:"),
                p.paint(style, word),
                p.paint(style, f.finding.category),
                f.finding.summary,
                if n == 1 { "" } else { "s" }
            )?;
            if let Some(step) = f.finding.fix.first() {
                writeln!(w, "  {} {step}", p.paint(p.label, "First fix:"))?;
            }
            Ok(())
        }
    }
}

fn write_spf(w: &mut impl Write, r: &DomainReport, p: &Palette) -> io::Result<()> {
    let s = &r.spf;
    status_line(w, "SPF", status(s.issues.len(), !s.records.is_empty()), p)?;
    for rec in &s.records {
        writeln!(w, "    record: {}", p.paint(p.code, rec))?;
    }
    if s.records.is_empty() {
        if let Some(q) = &s.query {
            writeln!(
                w,
                "    no v=spf1 record at {} (TXT: {})",
                q.name,
                q.answer.as_str()
            )?;
        }
        notes(w, &s.notes, p)?;
        return Ok(());
    }
    writeln!(
        w,
        "    lookups {} of {}, void lookups {} of {}, result without a sending IP: {}",
        s.lookups, s.lookup_limit, s.void_lookups, s.void_lookup_limit, s.result
    )?;
    if s.records.len() == 1 {
        writeln!(w, "    tree:")?;
        write_spf_node(w, &s.tree, 3, p)?;
    }
    if let Some(ip) = &s.ip_check {
        let matched = ip
            .matched
            .last()
            .map(|m| format!(", matched {} ({}, byte {})", m.term, m.domain, m.position))
            .unwrap_or_default();
        writeln!(
            w,
            "    sending IP {}: {}{matched}",
            ip.ip,
            p.paint(p.label, ip.result)
        )?;
    }
    notes(w, &s.notes, p)
}

/// Deepest SPF tree level printed (the evaluator's own limits stop far earlier).
const MAX_TREE_DEPTH: usize = 24;

fn write_spf_node(w: &mut impl Write, n: &SpfNode, depth: usize, p: &Palette) -> io::Result<()> {
    let pad = "  ".repeat(depth);
    let lookups = |k: u32| format!("{k} lookup{}", if k == 1 { "" } else { "s" });
    // An include or redirect costs its parent one lookup; a node counts what its record adds.
    let cost = match n.via {
        "top" => format!("{} in all", lookups(n.total_lookups)),
        _ => format!("+{} inside", lookups(n.total_lookups)),
    };
    let via = match n.via {
        "top" => String::new(),
        v => format!("{v} "),
    };
    let answer = match (&n.record, n.answer) {
        (None, Some(a)) => format!(" (TXT: {})", a.as_str()),
        _ => String::new(),
    };
    // An include matches only on pass; fail, softfail and neutral inside it are no match.
    let meaning = match (n.via, n.result) {
        ("include", "pass") => ": match",
        ("include", "fail" | "softfail" | "neutral") => ": no match",
        _ => "",
    };
    writeln!(
        w,
        "{pad}{via}{} [{cost}] {}{meaning}{answer}",
        p.paint(p.label, &n.domain),
        n.result
    )?;
    if depth < MAX_TREE_DEPTH {
        for c in &n.children {
            write_spf_node(w, c, depth + 1, p)?;
        }
    }
    Ok(())
}

fn write_dmarc(w: &mut impl Write, r: &DomainReport, p: &Palette) -> io::Result<()> {
    let s = &r.dmarc;
    status_line(w, "DMARC", status(s.issues.len(), s.record.is_some()), p)?;
    write_records(w, &s.records, &s.query, p)?;
    if let (Some(domain), Some(policy)) = (&s.policy_domain, &s.policy) {
        writeln!(
            w,
            "    policy {} (subdomains {}), from _dmarc.{domain}",
            p.paint(p.label, policy),
            s.subdomain_policy.as_deref().unwrap_or(policy)
        )?;
    }
    writeln!(
        w,
        "    organisational domain: {} by the public suffix list (RFC 7489), {} by the tree walk (RFC 9989){}",
        s.org_domain_psl.as_deref().unwrap_or("none"),
        s.org_domain_tree_walk,
        if s.org_domains_differ { ": they differ" } else { "" }
    )?;
    for (list, uris) in [("rua", &s.rua), ("ruf", &s.ruf)] {
        if !uris.is_empty() {
            writeln!(w, "    {list}: {}", uris.join(", "))?;
        }
    }
    notes(w, &s.notes, p)
}

fn write_dkim(w: &mut impl Write, r: &DomainReport, p: &Palette) -> io::Result<()> {
    let s = &r.dkim;
    let found: Vec<_> = s.selectors.iter().filter(|k| k.record.is_some()).collect();
    status_line(w, "DKIM", status(s.issues.len(), !found.is_empty()), p)?;
    for k in &found {
        let key = match (&k.key_type, k.bits) {
            (Some(t), Some(b)) => format!("{t} {b} bits"),
            (Some(t), None) => t.clone(),
            _ => "no key".to_string(),
        };
        writeln!(
            w,
            "    selector {}: {key}, {}",
            p.paint(p.label, &k.selector),
            if k.usable { "usable" } else { "unusable" }
        )?;
        for problem in &k.problems {
            writeln!(w, "      {problem}")?;
        }
    }
    let missing: Vec<String> = s
        .selectors
        .iter()
        .filter(|k| k.record.is_none())
        .map(|k| format!("{} ({})", k.selector, k.query.answer.as_str()))
        .collect();
    if !missing.is_empty() {
        writeln!(w, "    no key at: {}", p.paint(p.dim, missing.join(", ")))?;
    }
    writeln!(
        w,
        "    {}: {}",
        s.domainkey.name,
        s.domainkey.answer.as_str()
    )?;
    notes(w, &s.notes, p)
}

/// The TXT records found at a name, or the answer when there were none.
fn write_records(
    w: &mut impl Write,
    records: &[String],
    query: &QueryInfo,
    p: &Palette,
) -> io::Result<()> {
    for rec in records {
        writeln!(w, "    record: {}", p.paint(p.code, rec))?;
    }
    if records.is_empty() {
        writeln!(
            w,
            "    no record at {} (TXT: {})",
            query.name,
            query.answer.as_str()
        )?;
    }
    Ok(())
}

fn write_txt(w: &mut impl Write, name: &str, s: &TxtSection, p: &Palette) -> io::Result<()> {
    status_line(w, name, status(s.issues.len(), s.valid), p)?;
    write_records(w, &s.records, &s.query, p)?;
    notes(w, &s.notes, p)
}

fn write_sts_policy(w: &mut impl Write, f: &FetchReport, p: &Palette) -> io::Result<()> {
    status_line(
        w,
        "MTA-STS policy",
        status(f.problems.len(), f.policy.is_some()),
        p,
    )?;
    let from = match (f.address, f.status) {
        (Some(a), Some(s)) => format!(" ({a}: HTTP {s})"),
        (Some(a), None) => format!(" ({a}: no HTTP response)"),
        _ => String::new(),
    };
    writeln!(w, "    {}{from}", p.paint(p.code, &f.url))?;
    if let Some(policy) = &f.policy {
        writeln!(
            w,
            "    mode {}, max_age {}, mx: {}",
            policy.mode,
            policy.max_age,
            policy.mx.join(", ")
        )?;
    }
    Ok(())
}

fn write_dane(w: &mut impl Write, d: &DaneSection, p: &Palette) -> io::Result<()> {
    let present = d.hosts.iter().any(|h| !h.records.is_empty());
    status_line(w, "DANE", status(d.problems(), present), p)?;
    for h in &d.hosts {
        if h.records.is_empty() {
            writeln!(
                w,
                "    {}: no TLSA record (TLSA: {})",
                h.name,
                h.answer.as_str()
            )?;
        }
        for rec in &h.records {
            writeln!(w, "    {} TLSA {}", h.name, p.paint(p.code, &rec.text))?;
        }
        match &h.chain {
            Some(DaneResult::Matched { record, .. }) => writeln!(
                w,
                "    {}: the certificate {} presents matches {record}",
                h.name, h.host
            )?,
            Some(DaneResult::NoMatch { .. }) => writeln!(
                w,
                "    {}: the certificate {} presents matches no record",
                h.name, h.host
            )?,
            _ => {}
        }
    }
    let validated = d.dnssec != DnssecState::NotValidated
        || d.hosts
            .iter()
            .any(|h| h.dnssec != DnssecState::NotValidated);
    if present && !validated {
        writeln!(
            w,
            "    DNSSEC: not validated (this resolver does not validate DNSSEC; try --dnssec)"
        )?;
    } else if present {
        let tlsa: Vec<String> = d
            .hosts
            .iter()
            .filter(|h| !h.records.is_empty())
            .map(|h| format!("{} {}", h.name, h.dnssec.as_str()))
            .collect();
        writeln!(
            w,
            "    DNSSEC: MX {}; TLSA {}",
            d.dnssec.as_str(),
            tlsa.join(", ")
        )?;
    }
    notes(w, &d.notes, p)
}

fn host_line(h: &Host) -> String {
    let addrs: Vec<String> = h.addresses().map(|a| a.to_string()).collect();
    let alias = match h.cnames() {
        [] => String::new(),
        c => format!(" (alias of {})", c.join(" -> ")),
    };
    let kinds = [&h.a, &h.aaaa]
        .into_iter()
        .flatten()
        .map(|a| a.answer.as_str())
        .collect::<Vec<_>>()
        .join("/");
    if addrs.is_empty() {
        format!("{}{alias}: no address (A/AAAA: {kinds})", h.name)
    } else {
        format!("{}{alias}: {}", h.name, addrs.join(", "))
    }
}

fn write_mx(w: &mut impl Write, r: &DomainReport, p: &Palette) -> io::Result<()> {
    let m = &r.mx;
    let rdns_problems: usize = r.mx_rdns.iter().map(|x| x.problems.len()).sum();
    let present = m.null_mx || !m.exchangers.is_empty() || m.implicit.is_some();
    status_line(
        w,
        "MX",
        status(m.problems.len() + rdns_problems, present),
        p,
    )?;
    if m.null_mx {
        writeln!(w, "    null MX (RFC 7505): the domain accepts no mail")?;
    }
    for e in &m.exchangers {
        writeln!(w, "    {:>5} {}", e.preference, host_line(&e.host))?;
    }
    if m.skipped > 0 {
        writeln!(w, "    ({} more exchangers not looked up)", m.skipped)?;
    }
    if let Some(h) = &m.implicit {
        writeln!(
            w,
            "    no MX ({}): implicit MX {}",
            m.answer.as_str(),
            host_line(h)
        )?;
    }
    for x in &r.mx_rdns {
        write_rdns(w, x, p)?;
    }
    Ok(())
}

fn write_rdns(w: &mut impl Write, x: &RdnsReport, p: &Palette) -> io::Result<()> {
    let names: Vec<String> = x
        .names
        .iter()
        .map(|n| {
            format!(
                "{}{}",
                n.name,
                if n.confirmed {
                    " (forward-confirmed)"
                } else {
                    ""
                }
            )
        })
        .collect();
    let names = if names.is_empty() {
        format!("no PTR ({})", x.answer.as_str())
    } else {
        names.join(", ")
    };
    let sign = if x.problems.is_empty() {
        p.paint(p.ok, "✔")
    } else {
        p.paint(p.permanent, "✖")
    };
    writeln!(w, "    {sign} rDNS {}: {names}", x.ip)
}

fn write_ip(w: &mut impl Write, r: &DomainReport, p: &Palette) -> io::Result<()> {
    let Some(ip) = r.ip else {
        return Ok(());
    };
    let problems = r.ip_rdns.as_ref().map_or(0, |x| x.problems.len())
        + r.dnsbl
            .iter()
            .filter(|b| b.status != DnsblStatus::NotListed)
            .count();
    status_line(w, "IP", status(problems, true), p)?;
    writeln!(w, "    address {ip}")?;
    if let Some(x) = &r.ip_rdns {
        write_rdns(w, x, p)?;
    }
    for b in &r.dnsbl {
        let detail = match (&b.reason, b.codes.is_empty()) {
            (Some(reason), _) => format!(": {}", one_line(reason, 160)),
            (None, false) => format!(
                ": {}",
                b.codes
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => String::new(),
        };
        let style = match b.status {
            DnsblStatus::NotListed => p.ok,
            _ => p.permanent,
        };
        writeln!(
            w,
            "    {} {}{detail}",
            p.paint(p.label, &b.zone),
            p.paint(style, b.status.as_str())
        )?;
    }
    Ok(())
}
