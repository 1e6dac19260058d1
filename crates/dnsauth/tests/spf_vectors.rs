//! Our SPF parser and record warnings beside the peer tool checkdmarc, on its syntax vectors
//! (`../shared/corpus/spf/checkdmarc-syntax-vectors.jsonl`): where checkdmarc finds a syntax
//! error we must too, and its warnings about terms after `all` and unknown modifiers must have
//! ours. Where RFC 7208's grammar is stricter than checkdmarc (it lets a domain-spec that does
//! not end in a top label through with a warning), we may call an error what it calls "ok";
//! those are listed, and bounded. `missed` also counts a warning we give where it has none. Without the corpus the test skips with a notice; under
//! `CI=true` it fails.

use serde_json::Value;
use smtp_doctor_dnsauth::spf::{lint, parse, Warning};

/// The vectors file has 26 records.
const MIN_VECTORS: usize = 26;
/// Records checkdmarc accepts that RFC 7208's grammar rejects, at most.
const MAX_STRICTER: usize = 1;

#[test]
fn checkdmarc_syntax_vectors() {
    const VECTORS: &str = "checkdmarc-syntax-vectors.jsonl";
    let Some(dir) = smtp_doctor_testkit::shared("corpus/spf", &[VECTORS]) else {
        return;
    };
    let path = dir.join(VECTORS);
    let text = std::fs::read_to_string(&path).expect("the SPF vectors read");
    let mut ran = 0;
    let mut missed = Vec::new();
    let mut stricter = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).expect("a JSON line");
        if v["check"] != "spf_record" {
            continue;
        }
        ran += 1;
        let input = v["input"].as_str().unwrap_or_default();
        let domain = v["domain"].as_str().unwrap_or("example.com");
        let rec = parse(input.as_bytes());
        let ours_error = !rec.errors.is_empty();
        let theirs_error = v["outcome"] == "error";
        match (theirs_error, ours_error) {
            (true, false) => missed.push(format!("{input}: no syntax error found")),
            (false, true) => stricter.push(format!("{input}: {:?}", rec.errors)),
            _ => {}
        }
        let warnings: Vec<String> = v["warnings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|w| w.as_str())
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default();
        let ours = lint(&rec, domain);
        // Both ways: the warning where checkdmarc has it, and not where it has not.
        let after_all = warnings
            .iter()
            .any(|w| w.contains("after the all mechanism") || w.contains("multiple all"));
        let ours_after = ours
            .iter()
            .any(|w| matches!(w, Warning::IgnoredAfterAll { .. }));
        if after_all != ours_after {
            missed.push(format!(
                "{input}: IgnoredAfterAll {ours_after}, checkdmarc {after_all}"
            ));
        }
        let unknown = warnings.iter().any(|w| w.contains("unknown modifier"));
        let ours_unknown = ours
            .iter()
            .any(|w| matches!(w, Warning::UnknownModifier { .. }));
        if unknown != ours_unknown {
            missed.push(format!(
                "{input}: UnknownModifier {ours_unknown}, checkdmarc {unknown}"
            ));
        }
    }
    eprintln!(
        "checkdmarc vectors: {ran} records, {} missed, {} stricter: {stricter:#?}",
        missed.len(),
        stricter.len()
    );
    assert!(ran >= MIN_VECTORS, "only {ran} vectors");
    assert!(missed.is_empty(), "{missed:#?}");
    assert!(stricter.len() <= MAX_STRICTER, "{stricter:#?}");
}
