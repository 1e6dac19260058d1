//! Every knowledge-base entry is exercised: each example must match it and come out with its
//! category, each counterexample must not match it, and an entry without both fails.

use smtp_doctor_kb::{builtin, explain, Kb, DATA_FILES};

#[test]
fn data_files_load() {
    if let Err(e) = Kb::load(DATA_FILES) {
        panic!("knowledge base does not load: {e}");
    }
}

#[test]
fn every_entry_has_examples_that_hold() {
    let kb = builtin();
    let mut problems = Vec::new();
    for e in kb.entries() {
        if e.examples.is_empty() || e.counterexamples.is_empty() {
            problems.push(format!(
                "{}: needs at least one example and one counterexample",
                e.id
            ));
        }
        for ex in &e.examples {
            let (_, f) = explain(ex);
            if !f.matched.iter().any(|m| **m == *e.id) {
                problems.push(format!(
                    "{}: example does not match: {ex:?} (got {:?})",
                    e.id, f.matched
                ));
            } else if f.category != e.category {
                problems.push(format!(
                    "{}: example {ex:?} comes out as {} (decided by {}), not {}",
                    e.id, f.category, f.matched[0], e.category
                ));
            }
        }
        for ex in &e.counterexamples {
            let (_, f) = explain(ex);
            if f.matched.iter().any(|m| **m == *e.id) {
                problems.push(format!("{}: counterexample matches: {ex:?}", e.id));
            }
        }
    }
    assert!(
        kb.entries().len() >= 3,
        "the knowledge base is nearly empty"
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
