//! `check --json`: one object, schema `smtp-doctor/check/v1` (`schema/check.v1.json`).
//!
//! The frame and the findings are written with [`JsonObject`]; every finding object is written by
//! [`FindingView::write_fields`], the same as `explain`'s. The probe's own records (resolution,
//! TLS, banner, EHLO, errors, anomalies, transcript) are small and go through serde_json.

use crate::check::{CheckReport, Verdict};
use crate::json::{FindingView, JsonObject};
use serde::Serialize;
use smtp_doctor_model::probe::{Attempt, StageRecord};
use smtp_doctor_model::Finding;

/// The `schema` value of `check --json` objects.
pub const CHECK_SCHEMA: &str = "smtp-doctor/check/v1";

/// Appends the report as one JSON object and a line end to `out`.
pub fn write_check(out: &mut Vec<u8>, c: &CheckReport) {
    let r = &c.report;
    let mut o = JsonObject::new(out);
    o.string("schema", CHECK_SCHEMA);
    o.string("target", &r.target);
    serde_field(&mut o, "resolution", &r.resolution);
    o.array("attempts", &r.attempts, write_attempt);
    o.array("findings", &c.findings, |list, f| {
        let mut fo = JsonObject::new(list);
        fo.opt_integer("attempt", f.attempt);
        fo.string("observed", &f.observed);
        fo.boolean("informational", f.informational);
        fo.boolean("dns", f.dns);
        FindingView::from(&f.finding).write_fields(&mut fo);
        fo.end();
    });
    let deciding = match (c.verdict, c.deciding()) {
        (Verdict::Problem { finding }, Some(f)) => Some((finding, &f.finding)),
        _ => None,
    };
    write_verdict(&mut o, deciding);
    if let Some(d) = &c.dns {
        let mut dns = Vec::new();
        crate::dns_json::write_dns(&mut dns, d);
        if dns.last() == Some(&b'\n') {
            dns.pop();
        }
        o.key("dns").extend_from_slice(&dns);
    }
    o.end();
    out.push(b'\n');
}

/// The `verdict` object: `healthy`, or the deciding finding's index, category, class, summary
/// and fix (`check/v1` and `dns/v1` share it).
pub(crate) fn write_verdict(o: &mut JsonObject<'_>, deciding: Option<(usize, &Finding)>) {
    let mut v = JsonObject::new(o.key("verdict"));
    match deciding {
        Some((finding, f)) => {
            v.string("status", "problem");
            v.integer("finding", finding);
            v.string("category", f.category.as_str());
            v.string("class", f.class.as_str());
            v.text("summary", &f.summary);
            v.strings("fix", &f.fix);
        }
        _ => {
            v.string("status", "healthy");
            v.key("finding").extend_from_slice(b"null");
            v.string("category", "delivered");
            v.key("class").extend_from_slice(b"null");
            v.key("summary").extend_from_slice(b"null");
            v.strings("fix", &[]);
        }
    }
    v.end();
}

/// A field whose value is a record serialised by serde_json.
pub(crate) fn serde_field(o: &mut JsonObject<'_>, name: &'static str, value: &impl Serialize) {
    let out = o.key(name);
    if serde_json::to_writer(&mut *out, value).is_err() {
        // The model's records are plain data: this cannot fail, but must not leave a hole.
        out.extend_from_slice(b"null");
    }
}

fn write_attempt(out: &mut Vec<u8>, a: &Attempt) {
    let mut o = JsonObject::new(out);
    o.string("host", &a.host);
    o.opt_string("mail_domain", a.mail_domain.as_deref());
    o.string("addr", &a.addr.to_string());
    serde_field(&mut o, "tls_mode", &a.tls_mode);
    o.integer("start_ms", a.start_ms);
    o.integer("duration_ms", a.duration_ms);
    serde_field(&mut o, "outcome", &a.outcome);
    o.array("stages", &a.stages, write_stage);
    serde_field(&mut o, "tls", &a.tls);
    serde_field(&mut o, "banner", &a.banner);
    serde_field(&mut o, "ehlo", &a.ehlo);
    serde_field(&mut o, "anomalies", &a.anomalies);
    serde_field(&mut o, "transcript", &a.transcript);
    o.boolean("transcript_truncated", a.transcript_truncated);
    o.end();
}

fn write_stage(out: &mut Vec<u8>, s: &StageRecord) {
    let mut o = JsonObject::new(out);
    o.string("name", s.stage.as_str());
    o.integer("start_ms", s.start_ms);
    o.integer("duration_ms", s.duration_ms);
    o.opt_string("command", s.command.as_deref());
    let out = o.key("reply");
    match &s.reply {
        Some(r) => {
            let mut ro = JsonObject::new(out);
            ro.integer("code", r.code.get());
            ro.opt_enhanced("enhanced_code", r.enhanced_code);
            serde_field(&mut ro, "lines", &r.lines);
            ro.end();
        }
        None => out.extend_from_slice(b"null"),
    }
    serde_field(&mut o, "anomalies", &s.anomalies);
    serde_field(&mut o, "error", &s.error);
    o.end();
}
