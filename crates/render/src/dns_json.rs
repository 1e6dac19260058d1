//! `dns --json`: one object, schema `smtp-doctor/dns/v1` (`schema/dns.v1.json`).
//!
//! The findings are written by [`FindingView::write_fields`], the same as `explain`'s and
//! `check`'s; the report's sections go through serde_json.

use crate::check_json::{serde_field, write_verdict};
use crate::dns::DnsCheck;
use crate::json::{FindingView, JsonObject};

/// The `schema` value of `dns --json` objects.
pub const DNS_SCHEMA: &str = "smtp-doctor/dns/v1";

/// Appends the report as one JSON object and a line end to `out`.
pub fn write_dns(out: &mut Vec<u8>, c: &DnsCheck) {
    let r = &c.report;
    let mut o = JsonObject::new(out);
    o.string("schema", DNS_SCHEMA);
    o.string("domain", &r.domain);
    serde_field(&mut o, "ip", &r.ip);
    serde_field(&mut o, "mx", &r.mx);
    serde_field(&mut o, "mx_rdns", &r.mx_rdns);
    serde_field(&mut o, "spf", &r.spf);
    serde_field(&mut o, "dmarc", &r.dmarc);
    serde_field(&mut o, "dkim", &r.dkim);
    serde_field(&mut o, "mta_sts", &r.mta_sts);
    serde_field(&mut o, "mta_sts_policy", &r.mta_sts_policy);
    serde_field(&mut o, "tls_rpt", &r.tls_rpt);
    serde_field(&mut o, "dane", &r.dane);
    serde_field(&mut o, "ip_rdns", &r.ip_rdns);
    serde_field(&mut o, "dnsbl", &r.dnsbl);
    o.array("findings", &c.findings, |list, f| {
        let mut fo = JsonObject::new(list);
        fo.string("observed", &f.observed);
        FindingView::from(&f.finding).write_fields(&mut fo);
        fo.end();
    });
    let deciding = match c.verdict {
        crate::check::Verdict::Problem { finding } => {
            c.findings.get(finding).map(|f| (finding, &f.finding))
        }
        crate::check::Verdict::Healthy => None,
    };
    write_verdict(&mut o, deciding);
    o.end();
    out.push(b'\n');
}
