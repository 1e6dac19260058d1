//! Renderers: turn smtp-doctor's model into terminal text or versioned JSON. They format; they
//! never classify or compute a diagnosis.
#![forbid(unsafe_code)]

pub mod check;
pub mod check_json;
pub mod dns;
pub mod dns_json;
pub mod json;
pub mod terminal;

pub use terminal::Palette;
