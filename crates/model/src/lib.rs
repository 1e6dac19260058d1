//! The findings model shared by every part of smtp-doctor.
//!
//! Every source of evidence (pasted text, a live probe, a bounce, a log line, a DNS check) ends in
//! [`Evidence`]; the one classifier in `smtp-doctor-kb` turns it into [`Finding`]s whose labels are
//! the vocabulary of `TAXONOMY.md`: a [`Category`], a [`Class`] and a [`Party`].
#![forbid(unsafe_code)]

mod codes;
mod labels;
pub mod probe;

pub use codes::{EnhancedCode, ParseCodeError, ReplyCode};
pub use labels::{Category, Class, Party, Stage, UnknownLabel};

use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Shared, immutable text: knowledge-base strings are handed to every finding without copying.
pub type Text = Arc<str>;

/// A byte range `[start, end)` of the input that a finding was drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// First byte of the range.
    pub start: usize,
    /// One past the last byte of the range.
    pub end: usize,
}

/// Where a piece of evidence came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Source {
    /// Text pasted by a person (`explain`).
    Text,
    /// A live probe of a server (`check`).
    Probe,
    /// A non-delivery report (`bounce`).
    Bounce,
    /// A mail-log line (`logs`).
    Log,
    /// A DNS check (`dns`).
    Dns,
}

/// What one source observed, before classification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Where it came from.
    pub source: Source,
    /// The text to classify: a server reply, an error message, a diagnostic line.
    pub text: String,
    /// The reply code the server actually sent, if one was found.
    pub reply_code: Option<ReplyCode>,
    /// The RFC 3463 enhanced status code the server actually sent, if one was found.
    pub enhanced_code: Option<EnhancedCode>,
    /// The SMTP stage the evidence belongs to, when the source knows it.
    pub stage: Option<Stage>,
    /// The part of the original input the reply was found in.
    pub span: Option<Span>,
    /// True when the input was nothing but a code, so only its generic meaning applies.
    pub bare_code: bool,
}

impl Evidence {
    /// Evidence made of plain text from `source`, with no codes or stage known yet.
    pub fn text(source: Source, text: impl Into<String>) -> Self {
        Evidence {
            source,
            text: text.into(),
            reply_code: None,
            enhanced_code: None,
            stage: None,
            span: None,
            bare_code: false,
        }
    }
}

/// One diagnosis: what failed, at which stage, whose side must act, how sure we are, and the fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// What went wrong.
    pub category: Category,
    /// Whether a retry can help.
    pub class: Class,
    /// Who must act.
    pub party: Party,
    /// How sure the classifier is, from 0 to 1.
    pub confidence: f32,
    /// The SMTP stage where it happened, when known.
    pub stage: Option<Stage>,
    /// The server's reply code, when one was sent.
    pub reply_code: Option<ReplyCode>,
    /// The server's enhanced status code, when one was sent.
    pub enhanced_code: Option<EnhancedCode>,
    /// One line saying what happened.
    pub summary: Text,
    /// A short explanation of the cause.
    pub explanation: Text,
    /// Ordered steps that fix it.
    pub fix: Arc<[Text]>,
    /// RFC sections and provider pages that document it.
    pub references: Vec<Text>,
    /// Ids of the knowledge-base entries used, the deciding one first.
    pub matched: Vec<Text>,
    /// The part of the input the finding was drawn from.
    pub evidence: Option<Span>,
}

impl Finding {
    /// True when the finding reports a failure rather than a success reply.
    pub fn is_failure(&self) -> bool {
        self.category != Category::Delivered
    }
}

/// Something the tool did to the input before diagnosing it, reported beside the finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum InputNote {
    /// The input was longer than the limit and only its start was read.
    Truncated {
        /// Bytes in the original input.
        original_bytes: usize,
        /// Bytes that were read.
        kept_bytes: usize,
    },
    /// The input was not valid UTF-8 and was decoded with replacement characters.
    LossyUtf8,
}

impl std::fmt::Display for InputNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputNote::Truncated {
                original_bytes,
                kept_bytes,
            } => write!(
                f,
                "input of {original_bytes} bytes cut to its first {kept_bytes} bytes"
            ),
            InputNote::LossyUtf8 => {
                f.write_str("input is not valid UTF-8; invalid bytes were replaced by U+FFFD")
            }
        }
    }
}

/// One explained message: the input as read, what was done to it, and the finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// The message as classified (after any cut or lossy decoding).
    pub input: String,
    /// What was done to the input before classification.
    pub notes: Vec<InputNote>,
    /// True when the input was nothing but a code, so only its generic meaning applies.
    pub bare_code: bool,
    /// The finding.
    pub finding: Finding,
}
