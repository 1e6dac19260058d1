//! The messages of the project's source documents must come out with these labels.

use smtp_doctor_kb::explain;

/// (message, category, class) rows, shared with the CLI's tests.
const TABLE: &str = include_str!("source-messages.tsv");

#[test]
fn source_document_messages_come_out_right() {
    let rows: Vec<Vec<&str>> = TABLE
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
        .collect();
    assert!(rows.len() >= 21, "the table lost rows");
    let mut wrong = Vec::new();
    for row in &rows {
        let [msg, category, class] = row[..] else {
            panic!("bad row {row:?}")
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
        "{} of {} wrong:\n{}",
        wrong.len(),
        rows.len(),
        wrong.join("\n")
    );
}
