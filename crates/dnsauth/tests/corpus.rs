//! The record vectors of `../shared/corpus/{dmarc,dkim,mta-sts,tlsrpt}` against the parsers:
//! checkdmarc 6.0.4's conclusions for DMARC, MTA-STS and TLS-RPT records (outcome, error kind,
//! tags, warnings; the DNS-dependent "failed to retrieve MX" warnings are not facts about the
//! record and are skipped, as the corpus README says), the Public Suffix List project's
//! `test_psl.txt` against our public-suffix view, and `key-records.tsv` for DKIM keys. Every
//! vector must pass; each file must have at least its known number of cases. Without the corpus
//! the test skips with a notice; under `CI=true` it fails. Mismatches go to
//! `target/corpus-failures/records.tsv`, the figures to `records-figures.txt`.

use serde_json::Value;
use smtp_doctor_dnsauth::dkim::{self, DkimProblem};
use smtp_doctor_dnsauth::dmarc::{self, org, DmarcError, DmarcTag, DmarcUri, DmarcWarning};
use smtp_doctor_dnsauth::mtasts::{
    self, StsPolicyError, StsPolicyWarning, StsRecordError, StsRecordWarning,
};
use smtp_doctor_dnsauth::taglist::StrictError;
use smtp_doctor_dnsauth::tlsrpt::{self, TlsRptError, TlsRptWarning};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

fn corpus_dir() -> Option<PathBuf> {
    smtp_doctor_testkit::shared("corpus", &["dmarc/checkdmarc-vectors.jsonl"])
}

/// Mismatches and figures of every test in this file, written out as each test ends.
static REPORT: Mutex<(String, String)> = Mutex::new((String::new(), String::new()));

/// Records a file's result, writes the report files, and fails on any mismatch or too few cases.
fn finish(file: &str, passed: usize, total: usize, min: usize, mismatches: Vec<String>) {
    let mut report = REPORT.lock().unwrap_or_else(|e| e.into_inner());
    let _ = writeln!(report.1, "{file:<36} {passed:>3}/{total:<3}");
    for m in &mismatches {
        let _ = writeln!(report.0, "{file}\t{m}");
    }
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/corpus-failures");
    if std::fs::create_dir_all(&out).is_ok() {
        let _ = std::fs::write(out.join("records.tsv"), &report.0);
        let _ = std::fs::write(out.join("records-figures.txt"), &report.1);
    }
    println!("{file}: {passed}/{total}");
    assert!(
        total >= min,
        "{file}: {total} cases, expected at least {min}"
    );
    assert!(
        mismatches.is_empty(),
        "{file}: {} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("vector file reads")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

/// Text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &text[text.find(start)? + start.len()..];
    rest.find(end).map(|i| &rest[..i])
}

/// Runs one vector file: `judge` gives, for a row, what we concluded and what was expected, as
/// comparable keys.
fn run(file: &str, min: usize, rows: &[Value], judge: impl Fn(&Value) -> (String, String)) {
    let mut passed = 0;
    let mut mismatches = Vec::new();
    for row in rows {
        let (got, want) = judge(row);
        if got == want {
            passed += 1;
        } else {
            mismatches.push(format!("{}\texpected {want}\tgot {got}", row["input"]));
        }
    }
    finish(file, passed, rows.len(), min, mismatches);
}

/// A sorted, `|`-joined set of keys (`None` keys, which the other side has no counterpart for,
/// left out).
fn keys(items: impl IntoIterator<Item = Option<String>>) -> String {
    let mut v: Vec<String> = items.into_iter().flatten().collect();
    v.sort();
    v.join("|")
}

fn dmarc_error_key(e: &DmarcError) -> String {
    match e {
        DmarcError::SpfRecord => "spf".into(),
        DmarcError::MissingVersion => "missing-version".into(),
        DmarcError::Syntax(_) => "syntax".into(),
        DmarcError::DuplicateTag { name } => format!("duplicate:{name}"),
        DmarcError::InvalidValue { tag, .. } => format!("value:{tag}"),
        DmarcError::InvalidUri { .. } => "uri".into(),
        other => format!("other:{other}"),
    }
}

fn checkdmarc_dmarc_error_key(class: &str, message: &str) -> String {
    match class {
        "SPFRecordFoundWhereDMARCRecordShouldBe" => "spf".into(),
        "DMARCSyntaxError" if message.contains("Expected version_tag") => "missing-version".into(),
        "DMARCSyntaxError" => "syntax".into(),
        "InvalidDMARCTag" => format!(
            "duplicate:{}",
            between(message, "Duplicate ", " tags").unwrap_or_default()
        ),
        "InvalidDMARCTagValue" => format!(
            "value:{}",
            between(message, "Tag ", " must")
                .or_else(|| between(message, "the DMARC ", " tag"))
                .unwrap_or_default()
        ),
        "InvalidDMARCReportURI" => "uri".into(),
        other => format!("unmapped:{other}"),
    }
}

fn dmarc_warning_key(w: &DmarcWarning) -> Option<String> {
    Some(match w {
        DmarcWarning::MissingPolicy => "missing-p".into(),
        DmarcWarning::PolicyNotSecond => "p-not-second".into(),
        DmarcWarning::PolicyNone => "p-none".into(),
        DmarcWarning::SubdomainPolicyNone => "sp-none".into(),
        DmarcWarning::NoAggregateReports => "no-rua".into(),
        DmarcWarning::ManyAggregateUris { .. } => "many-rua".into(),
        DmarcWarning::RemovedTag { tag, .. } => format!("removed:{tag}"),
        DmarcWarning::InvalidAlignment { tag, .. } => format!("alignment:{tag}"),
        DmarcWarning::ConflictingFailureOptions { .. } => "fo-conflict".into(),
        DmarcWarning::UnknownTag { name } => format!("unknown:{name}"),
        DmarcWarning::NonMailtoUri { list, scheme, .. } => format!("non-mailto:{list}:{scheme}"),
        DmarcWarning::SizeLimit { list, .. } => format!("size-limit:{list}"),
        DmarcWarning::ExternalDestination {
            authorization_name, ..
        } => format!("external:{authorization_name}"),
        DmarcWarning::ParkedPolicyNotReject { .. } => "parked-p".into(),
        DmarcWarning::ParkedSubdomainPolicyNotReject { .. } => "parked-sp".into(),
        // No checkdmarc counterpart (it reports pct only as removed).
        _ => return None,
    })
}

/// checkdmarc's warnings that are recognised by how they start, and our key for each.
const CHECKDMARC_PREFIXES: &[(&str, &str)] = &[
    ("A p tag value of none", "p-none"),
    ("An sp tag value of none", "sp-none"),
    ("rua tag (destination", "no-rua"),
    ("A missing p tag", "missing-p"),
    ("The p tag does not immediately follow", "p-not-second"),
    (
        "Some DMARC reporters might not send to more than two",
        "many-rua",
    ),
    ("Policy (p=) should be reject for parked", "parked-p"),
    (
        "Subdomain policy (sp=) should be reject for parked",
        "parked-sp",
    ),
];

fn checkdmarc_dmarc_warning_key(text: &str) -> Option<String> {
    if let Some((_, key)) = CHECKDMARC_PREFIXES
        .iter()
        .find(|(p, _)| text.starts_with(p))
    {
        return Some((*key).to_string());
    }
    if text.starts_with("Failed to retrieve MX records") {
        // DNS-dependent (the run's resolver answered NXDOMAIN to everything): not about the record.
        return None;
    }
    Some(
        if let Some(tag) = between(text, "Support for the ", " tag was removed") {
            format!("removed:{tag}")
        } else if let Some(tag) = between(text, " is not a valid ", " tag value") {
            format!("alignment:{tag}")
        } else if let (Some(list), Some(scheme)) = (
            between(text, "The ", " URI "),
            between(text, " uses the ", " scheme"),
        ) {
            format!("non-mailto:{list}:{scheme}")
        } else if let Some(name) = between(text, "Unknown DMARC tag '", "'") {
            format!("unknown:{name}")
        } else if text.starts_with("fo=") && text.contains("mutually exclusive") {
            "fo-conflict".into()
        } else if let Some(list) = between(text, "The size limit (`!size`) on ", " URI") {
            format!("size-limit:{list}")
        } else if text.contains("does not indicate that it accepts DMARC reports") {
            format!(
                "external:{}",
                between(text, "Authorization record not found: ", " IN TXT").unwrap_or_default()
            )
        } else {
            format!("unmapped:{text}")
        },
    )
}

fn uri_list(uris: &[DmarcUri]) -> Value {
    uris.iter()
        .map(|u| {
            serde_json::json!({
                "scheme": u.uri.scheme,
                "address": u.uri.mailbox.clone().unwrap_or_else(|| u.uri.uri.clone()),
                "size_limit": u.size_limit.map(|l| l.to_string()),
            })
        })
        .collect()
}

fn dmarc_tags(record: &dmarc::DmarcRecord) -> String {
    let mut v = serde_json::json!({
        "v": "DMARC1",
        "p": record.effective_policy().to_string(),
        "sp": record.effective_subdomain_policy().to_string(),
        "np": record.effective_nonexistent_policy().to_string(),
        "adkim": record.adkim.to_string(),
        "aspf": record.aspf.to_string(),
        "fo": record.failure_options_text(),
        "psd": record.psd.to_string(),
        "t": if record.testing { "y" } else { "n" },
    });
    if !record.rua.is_empty() {
        v["rua"] = uri_list(&record.rua);
    }
    if !record.ruf.is_empty() {
        v["ruf"] = uri_list(&record.ruf);
    }
    v.to_string()
}

#[test]
fn dmarc_records_match_checkdmarc() {
    let Some(dir) = corpus_dir() else { return };
    let rows = jsonl(&dir.join("dmarc/checkdmarc-vectors.jsonl"));
    run("dmarc/checkdmarc-vectors.jsonl", 62, &rows, |row| {
        let domain = s(row, "domain");
        let got = match dmarc::parse(s(row, "input")) {
            Err(e) => format!("error {}", dmarc_error_key(&e)),
            Ok(p) => {
                let mut w = p.warnings.clone();
                w.extend(dmarc::external_destinations(&p.record, domain));
                if s(row, "check") == "dmarc_record_parked" {
                    w.extend(dmarc::parked_domain_warnings(&p.record, domain));
                }
                format!(
                    "ok {} [{}]",
                    dmarc_tags(&p.record),
                    keys(w.iter().map(dmarc_warning_key))
                )
            }
        };
        let want = if s(row, "outcome") == "ok" {
            let warnings = row["warnings"].as_array().cloned().unwrap_or_default();
            // serde_json's map is sorted, so key order does not matter.
            format!(
                "ok {} [{}]",
                row["tags"],
                keys(
                    warnings
                        .iter()
                        .map(|w| checkdmarc_dmarc_warning_key(w.as_str().unwrap_or_default()))
                )
            )
        } else {
            format!(
                "error {}",
                checkdmarc_dmarc_error_key(s(row, "error_class"), s(row, "error"))
            )
        };
        (got, want)
    });
}

/// `checkPublicSuffix('input', 'expected');` lines (commented-out ones skipped); `null` as None.
fn psl_cases(text: &str) -> Vec<(Option<String>, Option<String>)> {
    let arg = |a: &str| {
        let a = a.trim();
        (a != "null").then(|| a.trim_matches('\'').to_string())
    };
    text.lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("checkPublicSuffix(")?
                .strip_suffix(");")
        })
        .filter_map(|args| args.split_once(','))
        .map(|(a, b)| (arg(a), arg(b)))
        .collect()
}

#[test]
fn public_suffix_view_passes_the_psl_test_vectors() {
    let Some(dir) = corpus_dir() else { return };
    let text = std::fs::read_to_string(dir.join("dmarc/test_psl.txt")).expect("test_psl.txt reads");
    let cases: Vec<Value> = psl_cases(&text)
        .into_iter()
        .map(|(input, want)| serde_json::json!({"input": input, "want": want}))
        .collect();
    run("dmarc/test_psl.txt", 78, &cases, |case| {
        let got = case["input"]
            .as_str()
            .and_then(org::psl_organizational_domain);
        (format!("{got:?}"), format!("{:?}", case["want"].as_str()))
    });
}

fn sts_record_error_key(e: &StsRecordError) -> String {
    match e {
        StsRecordError::SpfRecord => "spf".into(),
        StsRecordError::Syntax(StrictError::MissingVersion { .. }) => "missing-version".into(),
        StsRecordError::Syntax(_) => "syntax".into(),
        StsRecordError::MissingId => "missing-id".into(),
        StsRecordError::InvalidId { .. } => "invalid-id".into(),
        other => format!("other:{other}"),
    }
}

fn sts_policy_error_key(e: &StsPolicyError) -> String {
    match e {
        StsPolicyError::NotKeyValue { line } => format!("{line}:not-key-value"),
        StsPolicyError::SpaceInKey { line } => format!("{line}:space-in-key"),
        StsPolicyError::InvalidVersion { line, .. } => format!("{line}:version"),
        StsPolicyError::InvalidMode { line, .. } => format!("{line}:mode"),
        StsPolicyError::InvalidMaxAge { line, .. } => format!("{line}:max_age"),
        StsPolicyError::InvalidMx { line, .. } => format!("{line}:mx"),
        StsPolicyError::MissingKey { key } => format!("missing:{key}"),
        StsPolicyError::MissingMx { .. } => "missing-mx".into(),
        other => format!("other:{other}"),
    }
}

fn checkdmarc_sts_error_key(class: &str, message: &str) -> String {
    let line = between(message, "Line ", ":").unwrap_or_default();
    match class {
        "SPFRecordFoundWhereMTASTSRecordShouldBe" => "spf".into(),
        "MTASTSRecordSyntaxError" if message.contains("Expected version_tag") => {
            "missing-version".into()
        }
        "MTASTSRecordSyntaxError" if message.contains("missing the required id") => {
            "missing-id".into()
        }
        "MTASTSRecordSyntaxError" => "syntax".into(),
        "InvalidSTSTagValue" => "invalid-id".into(),
        "MTASTSPolicySyntaxError" => {
            if let Some(key) = between(message, "Missing required key: ", ".") {
                format!("missing:{key}")
            } else if message.contains("requires at least one mx") {
                "missing-mx".into()
            } else if message.contains("Not a key: value pair") {
                format!("{line}:not-key-value")
            } else if message.contains("Whitespace is not allowed before a field name") {
                format!("{line}:space-in-key")
            } else if message.contains("max_age must be") {
                format!("{line}:max_age")
            } else if let Some(key) = between(message, ": Invalid ", ":") {
                format!("{line}:{}", key.split(' ').next().unwrap_or_default())
            } else {
                format!("unmapped:{message}")
            }
        }
        other => format!("unmapped:{other}"),
    }
}

fn checkdmarc_sts_warning_key(text: &str) -> String {
    if let Some(tag) = between(text, "Unknown MTA-STS tag ", " was ignored") {
        format!("unknown:{tag}")
    } else if text.contains("duplicate id tags") {
        "duplicate-id".into()
    } else if text.contains("whitespace before the semicolon") {
        "space-before-semicolon".into()
    } else if let Some(key) = between(text, "Unknown key ", " was ignored") {
        format!(
            "{}:unknown:{key}",
            between(text, "Line ", ":").unwrap_or_default()
        )
    } else if let Some(key) = between(text, "Duplicate ", " key") {
        format!(
            "{}:duplicate:{key}",
            between(text, "Line ", ":").unwrap_or_default()
        )
    } else {
        format!("unmapped:{text}")
    }
}

fn warnings_of(row: &Value, map: impl Fn(&str) -> String) -> String {
    let w = row["warnings"].as_array().cloned().unwrap_or_default();
    keys(w.iter().map(|w| Some(map(w.as_str().unwrap_or_default()))))
}

#[test]
fn mta_sts_vectors_match_checkdmarc() {
    let Some(dir) = corpus_dir() else { return };
    let rows = jsonl(&dir.join("mta-sts/checkdmarc-vectors.jsonl"));
    run("mta-sts/checkdmarc-vectors.jsonl", 52, &rows, |row| {
        let input = &row["input"];
        let text = input.as_str().unwrap_or_default();
        let ok_or_error = |got: Result<String, String>| match got {
            Ok(g) => format!("ok {g}"),
            Err(e) => format!("error {e}"),
        };
        let got = match s(row, "check") {
            "mta_sts_record" => ok_or_error(
                mtasts::parse_record(text)
                    .map(|p| {
                        let w = p.warnings.iter().map(|w| {
                            Some(match w {
                                StsRecordWarning::UnknownTag { name } => format!("unknown:{name}"),
                                StsRecordWarning::DuplicateId => "duplicate-id".into(),
                                StsRecordWarning::SpaceBeforeSemicolon => {
                                    "space-before-semicolon".into()
                                }
                                other => format!("other:{other}"),
                            })
                        });
                        format!("{} [{}]", p.record.id, keys(w))
                    })
                    .map_err(|e| sts_record_error_key(&e)),
            ),
            "mta_sts_policy" => ok_or_error(
                mtasts::parse_policy(text)
                    .map(|p| {
                        let w = p.warnings.iter().map(|w| match w {
                            StsPolicyWarning::UnknownKey { line, key } => {
                                Some(format!("{line}:unknown:{key}"))
                            }
                            StsPolicyWarning::DuplicateKey { line, key } => {
                                Some(format!("{line}:duplicate:{key}"))
                            }
                            // No checkdmarc counterpart.
                            _ => None,
                        });
                        let pol = &p.policy;
                        format!("{} {} {:?} [{}]", pol.mode, pol.max_age, pol.mx, keys(w))
                    })
                    .map_err(|e| sts_policy_error_key(&e)),
            ),
            _ => {
                let mx = s(input, "mx");
                let patterns: Vec<&str> = input["patterns"]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                format!("ok {}", patterns.iter().any(|p| mtasts::mx_matches(mx, p)))
            }
        };
        let want = if s(row, "outcome") == "ok" {
            match s(row, "check") {
                "mta_sts_record" => format!(
                    "ok {} [{}]",
                    s(&row["tags"], "id"),
                    warnings_of(row, checkdmarc_sts_warning_key)
                ),
                "mta_sts_policy" => {
                    let p = &row["policy"];
                    let mx: Vec<&str> = p["mx"]
                        .as_array()
                        .map(|a| a.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    format!(
                        "ok {} {} {:?} [{}]",
                        s(p, "mode"),
                        p["max_age"],
                        mx,
                        warnings_of(row, checkdmarc_sts_warning_key)
                    )
                }
                _ => format!("ok {}", row["value"]),
            }
        } else {
            format!(
                "error {}",
                checkdmarc_sts_error_key(s(row, "error_class"), s(row, "error"))
            )
        };
        (got, want)
    });
}

/// Every policy reads the same with LF and with CRLF line ends.
#[test]
fn mta_sts_policies_read_the_same_with_lf_and_crlf() {
    let Some(dir) = corpus_dir() else { return };
    let rows = jsonl(&dir.join("mta-sts/checkdmarc-vectors.jsonl"));
    let mut n = 0;
    for row in rows.iter().filter(|r| s(r, "check") == "mta_sts_policy") {
        let lf = s(row, "input").replace("\r\n", "\n");
        let crlf = lf.replace('\n', "\r\n");
        let a = mtasts::parse_policy(&lf).map(|p| p.policy);
        let b = mtasts::parse_policy(&crlf).map(|p| p.policy);
        assert_eq!(a, b, "{lf:?}");
        n += 1;
    }
    assert!(n >= 28, "{n} policies");
}

#[test]
fn tlsrpt_vectors_match_checkdmarc() {
    let Some(dir) = corpus_dir() else { return };
    let rows = jsonl(&dir.join("tlsrpt/checkdmarc-vectors.jsonl"));
    run("tlsrpt/checkdmarc-vectors.jsonl", 13, &rows, |row| {
        let got = match tlsrpt::parse(s(row, "input")) {
            Ok(p) => {
                let uris: Vec<&str> = p.record.rua.iter().map(|u| u.uri.as_str()).collect();
                let w = p.warnings.iter().map(|w| match w {
                    TlsRptWarning::SpaceBeforeSemicolon => Some("space-before-semicolon".into()),
                    TlsRptWarning::UnknownTag { name } => Some(format!("unknown:{name}")),
                    // RFC 8460 says nothing about duplicates; checkdmarc accepts them silently.
                    _ => None,
                });
                format!("ok {uris:?} [{}]", keys(w))
            }
            Err(TlsRptError::SpfRecord) => "error spf".into(),
            Err(TlsRptError::Syntax(StrictError::MissingVersion { .. })) => {
                "error missing-version".into()
            }
            Err(TlsRptError::Syntax(_)) => "error syntax".into(),
            Err(TlsRptError::MissingRua) => "error missing-rua".into(),
            Err(TlsRptError::InvalidUri { uri, .. }) => format!("error uri:{uri}"),
            Err(other) => format!("error other:{other}"),
        };
        let want = if s(row, "outcome") == "ok" {
            let uris: Vec<&str> = row["tags"]["rua"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            format!(
                "ok {uris:?} [{}]",
                warnings_of(row, |w| if w.contains("whitespace before the semicolon") {
                    "space-before-semicolon".into()
                } else {
                    format!("unmapped:{w}")
                })
            )
        } else {
            let message = s(row, "error");
            match s(row, "error_class") {
                "SPFRecordFoundWhereTLSRPTShouldBe" => "error spf".into(),
                _ if message.contains("Expected version_tag") => "error missing-version".into(),
                _ if message.contains("missing the required rua") => "error missing-rua".into(),
                _ if message.ends_with("is not a valid SMTP TLS Reporting URI.") => format!(
                    "error uri:{}",
                    message.trim_end_matches(" is not a valid SMTP TLS Reporting URI.")
                ),
                _ => "error syntax".into(),
            }
        };
        (got, want)
    });
}

/// `key-records.tsv` rows: id, record, expect, key_type, key_bits, rule, source.
#[test]
fn dkim_key_records_get_their_verdict() {
    let Some(dir) = corpus_dir() else { return };
    let text =
        std::fs::read_to_string(dir.join("dkim/key-records.tsv")).expect("key-records.tsv reads");
    let rows: Vec<Value> = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c.len() >= 5).then(|| {
                serde_json::json!({"input": c[0], "record": c[1], "expect": c[2],
                    "key_type": c[3], "key_bits": c[4]})
            })
        })
        .collect();
    run("dkim/key-records.tsv", 34, &rows, |row| {
        let (expect, want_type, want_bits) =
            (s(row, "expect"), s(row, "key_type"), s(row, "key_bits"));
        let got = match dkim::parse(s(row, "record")) {
            Err(_) => "invalid".to_string(),
            Ok(p) => {
                let has = |f: fn(&DkimProblem) -> bool| p.problems.iter().any(f);
                let verdict = if has(|p| matches!(p, DkimProblem::Revoked)) {
                    "revoked"
                } else if has(|p| {
                    matches!(p, DkimProblem::KeyTooSmall { .. } | DkimProblem::Sha1Only)
                }) {
                    "invalid-weak"
                } else if has(|p| matches!(p, DkimProblem::NotForEmail)) {
                    "invalid-for-email"
                } else if has(|p| matches!(p, DkimProblem::UnpaddedBase64)) {
                    "ambiguous"
                } else if has(|p| matches!(p, DkimProblem::KeyBelowRecommended { .. })) {
                    "valid-weak"
                } else {
                    "valid"
                };
                // Key type and size are compared where the vector names them.
                let kind = if want_type.is_empty() {
                    String::new()
                } else {
                    p.key.key_type.to_string()
                };
                let bits = match p.key.bits() {
                    Some(b) if !want_bits.is_empty() => b.to_string(),
                    _ => String::new(),
                };
                format!("{verdict} {kind} {bits}")
            }
        };
        let want = if expect == "invalid" {
            expect.to_string()
        } else {
            format!("{expect} {want_type} {want_bits}")
        };
        (got, want)
    });
}

#[test]
fn dmarc_tags_name_themselves() {
    // Guards the key mapping above: a tag's Display is the name checkdmarc's messages use.
    assert_eq!(
        DmarcTag::from_name("ADKIM").map(|t| t.to_string()),
        Some("adkim".into())
    );
}
