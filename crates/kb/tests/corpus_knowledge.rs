//! The code entries cover the reference tables of `../shared/corpus/knowledge`: every basic reply
//! code of `reply-codes.tsv` and every enhanced status code of `enhanced-status-codes.tsv` has
//! exactly one code entry, and pasting the bare code comes out through that entry with the class
//! the table gives.
//!
//! When the tables are absent the test prints a notice and passes, except under `CI=true`.

use smtp_doctor_kb::{builtin, explain, Entry};
use std::path::{Path, PathBuf};

/// Rows in `reply-codes.tsv` and `enhanced-status-codes.tsv`: the test cannot pass on less.
const REPLY_ROWS: usize = 61;
const ENHANCED_ROWS: usize = 81;

fn knowledge() -> Option<PathBuf> {
    smtp_doctor_testkit::shared(
        "corpus/knowledge",
        &["reply-codes.tsv", "enhanced-status-codes.tsv"],
    )
}

/// The data rows of a TSV file (header dropped), split into fields.
fn rows(path: &Path, columns: &[&str]) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).expect("reference table reads");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header row").split('\t').collect();
    assert_eq!(
        &header[..columns.len()],
        columns,
        "{}: unexpected columns",
        path.display()
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// The entries whose code field is exactly `code`.
/// The generic entries for `code`: provider entries that reuse a code with the provider's own
/// meaning are not the code's generic meaning.
fn code_entries<'a>(code: &str, field: fn(&Entry) -> Option<&str>) -> Vec<&'a Entry> {
    builtin()
        .entries()
        .iter()
        .filter(|e| e.provider.is_none() && field(e) == Some(code))
        .collect()
}

#[test]
fn every_reply_code_has_one_entry_that_explains_it() {
    let Some(dir) = knowledge() else { return };
    let table = rows(
        &dir.join("reply-codes.tsv"),
        &["code", "class", "meaning", "typical_enhanced", "seen_at"],
    );
    let mut problems = Vec::new();
    let mut checked = 0;
    for row in &table {
        let (code, class) = (row[0].as_str(), row[1].as_str());
        let found = code_entries(code, |e| e.reply.as_deref());
        let [entry] = found[..] else {
            problems.push(format!(
                "{code}: {} entries with reply = \"{code}\", want exactly 1",
                found.len()
            ));
            continue;
        };
        let (ev, f) = explain(code);
        if !ev.bare_code || ev.reply_code.map(|r| r.get().to_string()).as_deref() != Some(code) {
            problems.push(format!("{code}: not read as a bare reply code"));
        }
        if !f.matched.iter().any(|m| **m == *entry.id) {
            problems.push(format!(
                "{code}: {} not in matched {:?}",
                entry.id, f.matched
            ));
        }
        match class {
            "transient" | "permanent" => {
                if f.class.as_str() != class {
                    problems.push(format!("{code}: class {}, table says {class}", f.class));
                }
                if f.category.as_str() == "delivered" {
                    problems.push(format!("{code}: a failure code comes out delivered"));
                }
            }
            "success" | "intermediate" => {
                if f.class.as_str() != "unknown" || f.category.as_str() != "delivered" {
                    problems.push(format!(
                        "{code}: {class} code comes out {}/{}, want delivered/unknown",
                        f.category, f.class
                    ));
                }
            }
            "unknown" => {}
            other => problems.push(format!("{code}: unknown class column {other:?}")),
        }
        checked += 1;
    }
    for fallback in ["2xx", "3xx", "4xx", "5xx"] {
        let n = code_entries(fallback, |e| e.reply.as_deref()).len();
        if n != 1 {
            problems.push(format!("class fallback {fallback}: {n} entries, want 1"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(checked, REPLY_ROWS, "reply-codes.tsv rows checked");
}

#[test]
fn every_enhanced_code_has_one_entry_that_explains_it() {
    let Some(dir) = knowledge() else { return };
    let table = rows(
        &dir.join("enhanced-status-codes.tsv"),
        &[
            "code",
            "subject",
            "detail",
            "summary",
            "reference",
            "basic_codes",
        ],
    );
    let mut problems = Vec::new();
    let mut checked = 0;
    for row in &table {
        let code = row[0].as_str();
        let found = code_entries(code, |e| e.enhanced.as_deref());
        let [entry] = found[..] else {
            problems.push(format!(
                "{code}: {} entries with enhanced = \"{code}\", want exactly 1",
                found.len()
            ));
            continue;
        };
        // A code the registry lists only with 2xx replies is a success report (X.1.5, X.3.6,
        // X.6.4): check its 2.S.D form. Every other code is checked in both failure classes.
        let basic = row[5].as_str();
        let success_only = basic
            .split(',')
            .map(str::trim)
            .all(|b| b.len() == 3 && b.starts_with('2'));
        let rest = code.strip_prefix("X.").expect("code starts with X.");
        let forms: Vec<(String, &str)> = if success_only {
            vec![(format!("2.{rest}"), "unknown")]
        } else {
            vec![
                (format!("5.{rest}"), "permanent"),
                (format!("4.{rest}"), "transient"),
            ]
        };
        for (form, class) in forms {
            let (ev, f) = explain(&form);
            if !ev.bare_code || ev.enhanced_code.map(|e| e.to_string()) != Some(form.clone()) {
                problems.push(format!("{form}: not read as a bare enhanced code"));
            }
            if !f.matched.iter().any(|m| **m == *entry.id) {
                problems.push(format!(
                    "{form}: {} not in matched {:?}",
                    entry.id, f.matched
                ));
            }
            if f.class.as_str() != class {
                problems.push(format!("{form}: class {}, want {class}", f.class));
            }
            let delivered = f.category.as_str() == "delivered";
            if delivered != success_only {
                problems.push(format!("{form}: comes out {}", f.category));
            }
        }
        checked += 1;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(
        checked, ENHANCED_ROWS,
        "enhanced-status-codes.tsv rows checked"
    );
}

/// The errno numbers 110 and 111 have code entries for the bare number, but in a client's message
/// the phrase decides: the extractor never reads "(111)" as a reply code.
#[test]
fn errno_entries_never_beat_the_connection_phrases() {
    for (text, want) in [
        (
            "SMTP ERROR: Failed to connect to server: Connection refused (111)",
            "core.connection.refused",
        ),
        (
            "SMTP ERROR: Failed to connect to server: Connection timed out (110)",
            "core.connection.timeout",
        ),
        (
            "Connection refused, 111 Can't open SMTP stream",
            "core.connection.refused",
        ),
    ] {
        let (ev, f) = explain(text);
        assert!(ev.reply_code.is_none(), "{text:?}: read a reply code");
        assert_eq!(f.matched.first().map(|m| &**m), Some(want), "{text:?}");
        assert!(
            !f.matched.iter().any(|m| m.starts_with("reply.")),
            "{text:?}: a reply-code entry matched: {:?}",
            f.matched
        );
    }
}

/// Under a success reply no failure entry of the code tables applies, whatever the enhanced code.
#[test]
fn success_replies_stay_delivered() {
    for text in [
        "250 2.1.5 Ok",
        "250 2.6.4 MIME header conversion with loss performed",
        "250 2.3.6 Requested priority was changed",
        "250 2.0.0 Ok: queued as 3D770111AF50",
        "235 2.7.0 Authentication successful",
        "220 2.0.0 Ready to start TLS",
        "250 2.1.0 Sender OK",
    ] {
        let (_, f) = explain(text);
        assert_eq!(
            f.category.as_str(),
            "delivered",
            "{text:?}: {:?}",
            f.matched
        );
        assert_eq!(f.class.as_str(), "unknown", "{text:?}");
    }
}
