//! The one shape of the DNS checks' evidence: a plain sentence naming the facts, after the
//! [`PREFIX`] that the knowledge base's DNS entries anchor on (so that they never catch the text
//! of a bounce or a server reply, and bounce wordings never catch these).

use smtp_doctor_model::{Evidence, Source, Stage};

/// What every DNS check's evidence text starts with.
pub const PREFIX: &str = "dns check: ";

/// Evidence from the DNS checks: [`PREFIX`] and `sentence`, at `stage` when it has one.
pub(crate) fn dns_evidence(stage: Option<Stage>, sentence: &str) -> Evidence {
    Evidence {
        stage,
        ..Evidence::text(Source::Dns, format!("{PREFIX}{sentence}"))
    }
}

/// A list of names for a sentence: `a, b and c`.
pub(crate) fn join_names<S: AsRef<str>>(names: &[S]) -> String {
    match names {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", init.join(", "), last.as_ref())
        }
    }
}
