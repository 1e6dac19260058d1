//! The smtp-doctor knowledge base and THE classifier.
//!
//! Knowledge lives in TOML data files under `data/`, compiled in. [`Kb::classify`] is the only
//! function in smtp-doctor that turns [`Evidence`] into a [`Finding`]; [`extract`] finds the
//! server's reply in free text for `explain`.
#![forbid(unsafe_code)]

mod classify;
mod entry;
mod extract;

pub use classify::{Kb, KbError};
pub use entry::{default_party, DataFile, Entry, Provider, Strength};
pub use extract::{cut, extract, MAX_TEXT};

use smtp_doctor_model::{Diagnosis, Evidence, Finding, InputNote};
use std::sync::OnceLock;

/// The compiled-in data files, as (name, TOML text), in load order.
pub const DATA_FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/data_files.rs"));

/// The same data files as a [`Kb`] compiled at build time (`build.rs`: parsed, checked, phrase
/// automaton built) and encoded with postcard: start-up only decodes it.
const COMPILED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/kb.postcard"));

/// The built-in knowledge base, loaded on first use.
///
/// # Panics
/// If the compiled-in data does not decode, which the build script and the crate's tests rule out.
pub fn builtin() -> &'static Kb {
    static KB: OnceLock<Kb> = OnceLock::new();
    KB.get_or_init(|| {
        postcard::from_bytes(COMPILED)
            .unwrap_or_else(|e| panic!("built-in knowledge base does not decode: {e}"))
    })
}

/// Extracts the server's reply from `text` and classifies it with the built-in knowledge base.
pub fn explain(text: &str) -> (Evidence, Finding) {
    let ev = extract(text);
    let finding = builtin().classify(&ev);
    (ev, finding)
}

/// Diagnoses one message given as raw bytes: cuts it to [`MAX_TEXT`], decodes it lossily, and
/// notes both. `original_len` is the message's full length when the caller read only its start.
pub fn diagnose(bytes: &[u8], original_len: usize) -> Diagnosis {
    let kept = &bytes[..bytes.len().min(MAX_TEXT)];
    let mut notes = truncation(kept.len(), original_len.max(bytes.len()));
    // `from_utf8` first: checking valid input is much faster than the lossy decoder's walk.
    match std::str::from_utf8(kept) {
        Ok(text) => diagnosis(text, notes),
        Err(_) => {
            notes.push(InputNote::LossyUtf8);
            diagnosis(&String::from_utf8_lossy(kept), notes)
        }
    }
}

/// As [`diagnose`], for a message its caller has already checked to be UTF-8 (a batch reader
/// checks all its lines at once: one long check costs a fraction of one a line).
pub fn diagnose_text(text: &str, original_len: usize) -> Diagnosis {
    if text.len() > MAX_TEXT {
        // Cut inside a character, it decodes lossily: the byte path does all of that.
        return diagnose(text.as_bytes(), original_len);
    }
    diagnosis(text, truncation(text.len(), original_len.max(text.len())))
}

/// The note that a message of `original_bytes` was cut to `kept_bytes`, when it was.
fn truncation(kept_bytes: usize, original_bytes: usize) -> Vec<InputNote> {
    if original_bytes > kept_bytes {
        vec![InputNote::Truncated {
            original_bytes,
            kept_bytes,
        }]
    } else {
        Vec::new()
    }
}

/// Diagnoses the decoded text of a message, with the notes on how it was read.
fn diagnosis(text: &str, notes: Vec<InputNote>) -> Diagnosis {
    let (ev, finding) = explain(text.trim());
    Diagnosis {
        input: ev.text,
        notes,
        bare_code: ev.bare_code,
        finding,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The knowledge base compiled by the build script is exactly the one the data files make
    /// at run time.
    #[test]
    fn built_in_data_is_the_data_files_compiled() {
        let loaded = Kb::load(DATA_FILES).unwrap_or_else(|e| panic!("{e}"));
        let bytes = postcard::to_allocvec(&loaded).unwrap_or_else(|e| panic!("{e}"));
        assert!(bytes == COMPILED, "the built-in knowledge base is stale");
        assert_eq!(builtin().entries().len(), loaded.entries().len());
    }

    /// Text already checked to be UTF-8 is diagnosed as its bytes are: cut, notes and all.
    #[test]
    fn text_and_bytes_diagnose_alike() {
        let long = format!("550 5.1.1 user unknown {}", "é".repeat(MAX_TEXT));
        for (text, original_len) in [
            ("550 5.1.1 <a@example.org>: User unknown", 0),
            ("  421 try again later  ", 5000),
            (long.as_str(), long.len()),
            ("", 0),
        ] {
            let d = diagnose_text(text, original_len);
            assert_eq!(d, diagnose(text.as_bytes(), original_len), "{text:.40}");
        }
        let cut = diagnose_text(&long, long.len());
        assert!(cut.notes.contains(&InputNote::LossyUtf8), "{:?}", cut.notes);
        assert_eq!(diagnose_text("x", 5000).notes.len(), 1);
    }
}
