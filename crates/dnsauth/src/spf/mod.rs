//! SPF (RFC 7208): the record parser ([`record`]) and `check_host()` with a full trace: the
//! tree of include/redirect with the DNS lookups each costs, the 10-lookup and 2-void-lookup
//! limits, which mechanism matched, warnings, and the problems that made the result.
//!
//! ```
//! use smtp_doctor_dnsauth::dns::{Rdata, Zone};
//! use smtp_doctor_dnsauth::spf::{check, Client, Options, SpfResult};
//!
//! let mut zone = Zone::new();
//! zone.add("example.com", Rdata::Txt(vec![b"v=spf1 include:_spf.example.com -all".to_vec()]))
//!     .add("_spf.example.com", Rdata::Txt(vec![b"v=spf1 ip4:192.0.2.0/24".to_vec()]));
//! let client = Client {
//!     ip: "192.0.2.7".parse().ok(),
//!     sender: "alice@example.com".to_string(),
//!     helo: "mail.example.com".to_string(),
//! };
//! let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! let e = rt.block_on(check(&zone, &client, &Options::default()));
//! assert_eq!(e.result, SpfResult::Pass);
//! assert_eq!(e.lookups, 1);
//! assert_eq!(e.matched[1].term, "ip4:192.0.2.0/24");
//! assert_eq!(e.trace.children[0].domain, "_spf.example.com");
//! ```

pub mod record;

mod eval;

pub use eval::{check, lint, Client, Options};
pub use record::{parse, Record, SyntaxError, SyntaxErrorKind};

use crate::dns::{Answer, RecordType};

/// The result of an SPF check (RFC 7208 2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpfResult {
    /// The client is authorised.
    Pass,
    /// The client is not authorised.
    Fail,
    /// Probably not authorised.
    SoftFail,
    /// The domain makes no statement.
    Neutral,
    /// No SPF record, or no valid domain to check.
    None,
    /// A transient DNS error.
    TempError,
    /// The record cannot be interpreted.
    PermError,
}

impl SpfResult {
    /// The RFC's lower-case name: `pass`, `fail`, `softfail`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::Neutral => "neutral",
            SpfResult::None => "none",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }
}

/// Why a check ended in `none`, `temperror` or `permerror`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The domain to check is not a valid domain name (RFC 7208 4.3).
    InvalidDomain {
        /// The domain as given.
        domain: String,
    },
    /// The domain has no SPF record.
    NoRecord {
        /// The domain.
        domain: String,
    },
    /// The domain has more than one SPF record (RFC 7208 4.5).
    MultipleRecords {
        /// The domain.
        domain: String,
        /// How many.
        count: usize,
    },
    /// The record has syntax errors.
    Syntax {
        /// The domain whose record it is.
        domain: String,
        /// Every error, with its position.
        errors: Vec<SyntaxError>,
    },
    /// More than the allowed DNS-querying terms were evaluated (RFC 7208 4.6.4).
    TooManyLookups {
        /// The domain whose term went over.
        domain: String,
        /// The limit.
        limit: u32,
    },
    /// More than the allowed lookups came back NXDOMAIN or empty (RFC 7208 4.6.4).
    TooManyVoidLookups {
        /// The domain whose term went over.
        domain: String,
        /// The limit.
        limit: u32,
    },
    /// An `mx` mechanism named more than 10 exchangers (RFC 7208 4.6.4).
    TooManyMx {
        /// The domain queried.
        domain: String,
        /// How many exchangers.
        count: usize,
    },
    /// An include or redirect leads back to a domain already being evaluated.
    Loop {
        /// The domain met again.
        domain: String,
    },
    /// An `include` or `redirect` target has no SPF record.
    TargetWithoutRecord {
        /// The target domain.
        domain: String,
    },
    /// A DNS query failed (SERVFAIL, timeout, ...): `temperror`.
    Dns {
        /// The name queried.
        name: String,
        /// The type queried.
        rtype: RecordType,
        /// The answer's kind.
        answer: Answer,
    },
}

/// Something legal but worth telling.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// `+all` (or bare `all`): anyone may send as the domain.
    PlusAll {
        /// The domain whose record has it.
        domain: String,
    },
    /// `?all`: the record says nothing about anyone else.
    NeutralAll {
        /// The domain whose record has it.
        domain: String,
    },
    /// `ptr` is used (RFC 7208 5.5: do not use it).
    PtrUsed {
        /// The domain whose record has it.
        domain: String,
    },
    /// The evaluation used `count` of the `limit` lookups.
    LookupsNearLimit {
        /// Lookups used.
        count: u32,
        /// The limit.
        limit: u32,
    },
    /// The record is longer than fits a 512-byte UDP answer comfortably (RFC 7208 3.4: 450).
    LongRecord {
        /// The domain.
        domain: String,
        /// The record's length in bytes.
        len: usize,
    },
    /// Terms after `all` (from `position` on) are never evaluated.
    IgnoredAfterAll {
        /// The domain.
        domain: String,
        /// Byte position of the first ignored term.
        position: usize,
    },
    /// A modifier RFC 7208 and RFC 6652 do not define, which evaluation ignores.
    UnknownModifier {
        /// The domain.
        domain: String,
        /// The modifier's name.
        name: String,
    },
    /// A `fail` whose `exp=` gave no explanation: its name has no single TXT record, the
    /// lookup failed, or the text is not a valid macro string.
    ExplanationUnavailable {
        /// The domain whose record has the `exp=`.
        domain: String,
    },
    /// The domain has no mechanism about other senders (no `all`, no `redirect`).
    NoAll {
        /// The domain.
        domain: String,
    },
}

/// How a record was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The domain checked.
    Top,
    /// An `include:` of the parent.
    Include,
    /// The parent's `redirect=`.
    Redirect,
}

/// One DNS query made during the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The name asked.
    pub name: String,
    /// The type asked.
    pub rtype: RecordType,
    /// The CNAMEs followed.
    pub cnames: Vec<String>,
    /// What came back.
    pub answer: Answer,
}

/// What a term did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It matched: its qualifier is the result.
    Match,
    /// It did not match.
    NoMatch,
    /// It ended the check with an error result.
    Error,
}

/// One term evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The term as written.
    pub term: String,
    /// Its byte position in the record.
    pub position: usize,
    /// Lookups it cost against the limit (0 or 1).
    pub lookups: u32,
    /// The queries it made, in order.
    pub queries: Vec<Query>,
    /// What it did.
    pub outcome: Outcome,
}

/// The evaluation of one domain's record, with the records it included or redirected to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// The domain.
    pub domain: String,
    /// How it was reached.
    pub via: Via,
    /// The TXT query for its record.
    pub query: Option<Query>,
    /// The SPF record's text, when there was exactly one.
    pub record: Option<String>,
    /// The record's length in bytes.
    pub len: usize,
    /// The terms evaluated, in order.
    pub steps: Vec<Step>,
    /// The include and redirect targets evaluated, in order.
    pub children: Vec<Trace>,
    /// The result of this domain's evaluation.
    pub result: SpfResult,
}

impl Trace {
    /// Lookups this record's terms cost, without its children's.
    pub fn own_lookups(&self) -> u32 {
        self.steps.iter().map(|s| s.lookups).sum()
    }

    /// Lookups of this record and everything it included or redirected to.
    pub fn total_lookups(&self) -> u32 {
        self.own_lookups() + self.children.iter().map(Trace::total_lookups).sum::<u32>()
    }
}

/// The term that decided the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// The domain whose record holds it.
    pub domain: String,
    /// The term as written.
    pub term: String,
    /// Its byte position in that record.
    pub position: usize,
}

/// The whole outcome of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The result.
    pub result: SpfResult,
    /// The `exp=` explanation, for a `fail` whose record has one that resolved.
    pub explanation: Option<String>,
    /// The term that decided the result at each level, outermost first: an `include` that
    /// matched, then the mechanism that matched inside it.
    pub matched: Vec<Matched>,
    /// Why the result is `none`, `temperror` or `permerror`.
    pub problem: Option<Problem>,
    /// Lookups counted against the limit.
    pub lookups: u32,
    /// Void lookups counted against their limit.
    pub void_lookups: u32,
    /// The tree of records evaluated.
    pub trace: Trace,
    /// Legal but questionable things seen.
    pub warnings: Vec<Warning>,
}
