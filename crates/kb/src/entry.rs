//! Knowledge-base entries as they are written in the data files under `data/`.

use serde::{Deserialize, Serialize};
use smtp_doctor_model::{Category, Class, Party, Stage};

/// How much an entry's match says, from a bare reply code up to a specific phrase.
///
/// When several entries match one text, the strongest wins; among equals the taxonomy's decision
/// order of categories decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    /// The generic meaning of a basic reply code.
    Basic,
    /// A vague phrase, or a vague enhanced code such as X.7.1.
    Weak,
    /// The meaning of a specific enhanced status code.
    Medium,
    /// A specific phrase or a provider's documented code.
    Strong,
}

/// One knowledge-base entry: what to look for, and what it means.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Unique, stable id, e.g. `reply.550` or `provider.gmail.5.7.26`.
    pub id: String,
    /// The category a match means.
    pub category: Category,
    /// Who must act; the category's usual party when absent.
    pub party: Option<Party>,
    /// Class when no reply code decides it; the category's default when absent.
    pub class: Option<Class>,
    /// Class that holds even against the reply code (a final queue expiry under a 4xx).
    pub force_class: Option<Class>,
    /// Stage when the text does not name one.
    pub stage: Option<Stage>,
    /// How specific a match is; by kind when absent.
    pub strength: Option<Strength>,
    /// How sure a match makes us, 0 to 1; by strength when absent.
    pub confidence: Option<f32>,
    /// A generic reply-code entry, `550` or a class such as `5xx`: matches that reply code.
    pub reply: Option<String>,
    /// A generic enhanced-code entry, `X.S.D` (any class) or `5.S.D`: matches that code.
    pub enhanced: Option<String>,
    /// Phrases of which at least one must appear (case-insensitive; `*` is a short gap).
    #[serde(default)]
    pub any: Vec<String>,
    /// Phrases that must all appear as well.
    #[serde(default)]
    pub all: Vec<String>,
    /// Phrases that must not appear.
    #[serde(default)]
    pub none: Vec<String>,
    /// Reply codes the server's code must match (`5xx`, `55x`, `550`), when given.
    #[serde(default)]
    pub codes: Vec<String>,
    /// Enhanced codes the server's code must match (`X.7.26`, `5.7.x`), when given.
    #[serde(default)]
    pub enhanced_codes: Vec<String>,
    /// Provider whose context (markers in the text) the entry requires.
    pub provider: Option<String>,
    /// Also applies under a success reply (a 2xx that reports a discarded virus).
    #[serde(default)]
    pub on_success: bool,
    /// One line saying what happened.
    pub summary: String,
    /// A short explanation of the cause.
    pub explanation: String,
    /// Ordered steps that fix it.
    #[serde(default)]
    pub fix: Vec<String>,
    /// RFC sections and provider pages.
    #[serde(default)]
    pub references: Vec<String>,
    /// Messages this entry must match, and whose category must come out as the entry's.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Messages this entry must not match.
    #[serde(default)]
    pub counterexamples: Vec<String>,
}

impl Entry {
    /// The entry's strength, explicit or by kind.
    pub fn strength(&self) -> Strength {
        self.strength.unwrap_or(if self.reply.is_some() {
            Strength::Basic
        } else if self.enhanced.is_some() {
            Strength::Medium
        } else {
            Strength::Strong
        })
    }

    /// The entry's confidence, explicit or by strength.
    pub fn confidence(&self) -> f32 {
        self.confidence.unwrap_or(match self.strength() {
            Strength::Strong => 0.85,
            Strength::Medium => 0.7,
            Strength::Weak => 0.55,
            Strength::Basic => 0.4,
        })
    }

    /// Who must act, explicit or the category's usual party.
    pub fn party(&self) -> Party {
        self.party.unwrap_or_else(|| default_party(self.category))
    }
}

/// A provider whose documented codes differ from IANA's, recognised by markers in the text.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Id used by entries' `provider` field, e.g. `gmail`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Phrases (host names, signatures) that show a reply came from this provider.
    pub markers: Vec<String>,
}

/// One data file: providers and entries.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFile {
    /// Providers declared in this file.
    #[serde(default)]
    pub provider: Vec<Provider>,
    /// Entries declared in this file.
    #[serde(default)]
    pub entry: Vec<Entry>,
}

/// The party that usually must act for a category.
pub fn default_party(category: Category) -> Party {
    use Category::*;
    match category {
        Delivered | OnHold => Party::None,
        UserUnknown | HostUnknown | Greylisted | Speeding | TooManyConn | Expired => Party::Sender,
        TlsFailure | SecurityError | AuthFailure | RequirePtr | NoRelaying | Rejected
        | SyntaxError | Undefined => Party::SenderConfig,
        Suspend | MailboxFull | NotAccept | SystemError | SystemFull => Party::Recipient,
        Blocked | BadReputation => Party::Reputation,
        MesgTooBig | SpamDetected | VirusDetected | PolicyViolation | ContentError
        | NotCompliantRfc => Party::Content,
        ConnectionRefused | ConnectionTimeout | BannerFailure | NetworkError => Party::Network,
    }
}
