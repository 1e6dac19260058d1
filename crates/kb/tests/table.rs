//! Fixed messages must come out with fixed labels: the project's source documents' messages, and
//! real messages as users paste them (library issue trackers, provider documentation, MTA logs).

use smtp_doctor_kb::explain;

/// (message, category, class) rows of the source documents, shared with the CLI's tests.
const SOURCE: &str = include_str!("source-messages.tsv");

/// (message, category, class) rows of real, anonymised messages.
const REALWORLD: &str = include_str!("realworld.tsv");

/// Checks every row of a `message<TAB>category<TAB>class` table, which must have `min_rows`.
fn check_table(name: &str, table: &str, min_rows: usize) {
    let rows: Vec<Vec<&str>> = table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
        .collect();
    assert!(
        rows.len() >= min_rows,
        "{name} lost rows: {} < {min_rows}",
        rows.len()
    );
    let mut wrong = Vec::new();
    for row in &rows {
        let [msg, category, class] = row[..] else {
            panic!("{name}: bad row {row:?}")
        };
        let (_, f) = explain(msg);
        if f.category.as_str() != category || f.class.as_str() != class {
            wrong.push(format!(
                "{msg:?}: got {}/{} via {:?}, want {category}/{class}",
                f.category, f.class, f.matched
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{name}: {} of {} wrong:\n{}",
        wrong.len(),
        rows.len(),
        wrong.join("\n")
    );
}

#[test]
fn source_document_messages_come_out_right() {
    check_table("source-messages.tsv", SOURCE, 21);
}

#[test]
fn real_world_messages_come_out_right() {
    check_table("realworld.tsv", REALWORLD, 375);
}
