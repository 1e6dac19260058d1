//! Dev-set score: the classifier over the diagnostic texts of the bounce corpus
//! (`../shared/corpus/bounces/maildir/bsd`), compared with `expected.tsv`.
//!
//! A development aid, not the bounce parser: it takes each recipient's `Diagnostic-Code` field
//! (or, for bounces without one, the human-readable part before the returned message) and runs
//! `explain` on it. Reasons map to our categories as documented in `docs/DEVSET.md`.
//! Run: `cargo test --release -p smtp-doctor-kb --test devset -- --nocapture`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// sisimai reason → the categories that count as a match.
const MAPPING: &[(&str, &[&str])] = &[
    ("emailtoolarge", &["mesgtoobig"]),
    ("ratelimited", &["speeding", "toomanyconn"]),
    ("failedstarttls", &["tlsfailure"]),
    ("hasmoved", &["userunknown"]),
    ("mailererror", &["systemerror"]),
    (
        "networkerror",
        &[
            "networkerror",
            "connectionrefused",
            "connectiontimeout",
            "bannerfailure",
        ],
    ),
    ("filtered", &["userunknown", "rejected", "policyviolation"]),
    ("onhold", &["onhold", "undefined"]),
];

/// Reasons that are not bounces, or that no text can show: left out of the score.
const NOT_SCORED: &[&str] = &["feedback", "vacation", "suppressed", ""];

fn corpus() -> Option<PathBuf> {
    smtp_doctor_testkit::shared("corpus/bounces", &["expected.tsv"])
}

/// The `Diagnostic-Code` values of a message, unfolded, in order.
fn diagnostic_codes(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(rest) = line
            .get(..16)
            .filter(|h| h.eq_ignore_ascii_case("diagnostic-code:"))
            .map(|_| &line[16..])
        else {
            continue;
        };
        let mut value = rest.trim().to_string();
        while let Some(next) = lines.peek().filter(|l| l.starts_with([' ', '\t'])) {
            value.push(' ');
            value.push_str(next.trim());
            lines.next();
        }
        let value = value
            .split_once(';')
            .map_or(value.as_str(), |(_, v)| v)
            .trim()
            .to_string();
        out.push(value);
    }
    out
}

/// The readable part of a bounce without DSN fields: the body up to the returned message.
fn readable_part(text: &str) -> String {
    let body = text.split_once("\n\n").map_or(text, |(_, b)| b);
    let mut out = String::new();
    for line in body.lines() {
        let l = line.trim();
        let lower = l.to_ascii_lowercase();
        if lower.starts_with("content-type: message/rfc822")
            || lower.starts_with("content-type: text/rfc822-headers")
            || lower.contains("original message")
            || lower.starts_with("received:")
        {
            break;
        }
        if l.is_empty() || l.starts_with("--") || lower.starts_with("content-") {
            continue;
        }
        out.push_str(l);
        out.push('\n');
        if out.len() > 4096 {
            break;
        }
    }
    out
}

#[test]
fn devset_score() {
    let Some(root) = corpus() else { return };
    let expected = std::fs::read_to_string(root.join("expected.tsv")).expect("expected.tsv reads");
    let (mut scored, mut right, mut skipped) = (0usize, 0usize, 0usize);
    let mut by_reason: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = String::new();
    for row in expected.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        if f.len() < 5 || !f[0].starts_with("maildir/bsd/") {
            continue;
        }
        let (file, index, reason) = (f[0], f[1].parse::<usize>().unwrap_or(0), f[4]);
        if NOT_SCORED.contains(&reason) || index == 0 {
            skipped += 1;
            continue;
        }
        let bytes = std::fs::read(root.join(file)).expect("corpus file reads");
        let text = String::from_utf8_lossy(&bytes);
        let codes = diagnostic_codes(&text);
        let message = codes
            .get(index - 1)
            .or(codes.last())
            .cloned()
            .unwrap_or_else(|| readable_part(&text));
        let (_, finding) = smtp_doctor_kb::explain(&message);
        let got = finding.category.as_str();
        let ok = MAPPING
            .iter()
            .find(|(r, _)| *r == reason)
            .map_or(got == reason, |(_, cats)| cats.contains(&got));
        scored += 1;
        let e = by_reason.entry(reason.to_string()).or_default();
        e.0 += 1;
        if ok {
            right += 1;
            e.1 += 1;
        } else {
            let shown: String = message
                .chars()
                .take(300)
                .collect::<String>()
                .replace(['\n', '\t'], " ");
            failures.push_str(&format!(
                "{file}\t{index}\t{reason}\t{got}\t{:?}\t{shown}\n",
                finding.matched.first()
            ));
        }
    }
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/corpus-failures");
    if std::fs::create_dir_all(&out).is_ok() {
        let _ = std::fs::write(out.join("devset.tsv"), &failures);
    }
    let pct = |a: usize, b: usize| {
        if b == 0 {
            0.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    println!("dev-set (maildir/bsd diagnostic texts): {right}/{scored} = {:.1}% reason accuracy ({skipped} rows not scored: feedback, vacation, not bounces)", pct(right, scored));
    for (reason, (n, ok)) in &by_reason {
        println!("  {reason:<16} {ok:>4}/{n:<4} {:>5.1}%", pct(*ok, *n));
    }
    println!("mismatches: target/corpus-failures/devset.tsv");
    assert!(
        scored >= 600,
        "only {scored} rows scored: the corpus walk is broken"
    );
    assert!(
        pct(right, scored) >= 50.0,
        "dev-set accuracy fell below 50%"
    );
}
