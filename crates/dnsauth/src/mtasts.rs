//! MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy file served at
//! `https://mta-sts.<domain>/.well-known/mta-sts.txt`, and whether an MX host matches the
//! policy's `mx` patterns; [`fetch`] gets the policy over HTTPS.

pub mod fetch;

use crate::taglist::{self, StrictError, MAX_RECORD_BYTES};
use crate::uri::is_hostname;
use std::fmt;
use thiserror::Error;

/// The largest `max_age` a policy may have (RFC 8461 section 3.2: about one year).
pub const MAX_AGE_LIMIT: u64 = 31_557_600;
/// The most bytes of a policy file this parser reads (RFC 8461 sets no limit; real policies are
/// a few hundred bytes, and senders such as Postfix's resolver cap them at 64 KiB).
pub const MAX_POLICY_BYTES: usize = 64 * 1024;

/// A parsed `_mta-sts` TXT record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsRecord {
    /// The policy id (1 to 32 letters or digits); a new id tells senders to fetch again.
    pub id: String,
}

/// Why an `_mta-sts` record is unusable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StsRecordError {
    /// Longer than any TXT record can be.
    #[error("the record is {len} bytes, more than a TXT record can hold")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// An SPF record at `_mta-sts`.
    #[error("an SPF record stands where the MTA-STS record should be (the _mta-sts name probably does not exist and a wildcard answered)")]
    SpfRecord,
    /// The record's syntax is wrong (it must start with the literal `v=STSv1`).
    #[error("syntax error: {0}")]
    Syntax(StrictError),
    /// No `id=`.
    #[error("the record has no id= tag")]
    MissingId,
    /// An `id=` that is not 1 to 32 letters or digits.
    #[error("id={value} is not 1 to 32 letters or digits (RFC 8461 section 3.1)")]
    InvalidId {
        /// The value written.
        value: String,
    },
}

/// Something an `_mta-sts` record tolerated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StsRecordWarning {
    /// A tag other than `v` and `id` (ignored).
    #[error("unknown tag {name}= is ignored")]
    UnknownTag {
        /// The name written.
        name: String,
    },
    /// A second `id=` (the first is used).
    #[error("id= appears more than once; the first is used")]
    DuplicateId,
    /// Whitespace before the first `;`.
    #[error("whitespace before the first ';': senders that apply the literal \"v=STSv1;\" rule of RFC 8461 section 3.1 discard the record")]
    SpaceBeforeSemicolon,
}

/// A record that parsed, and its warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedStsRecord {
    /// The record.
    pub record: StsRecord,
    /// What it tolerated.
    pub warnings: Vec<StsRecordWarning>,
}

fn is_sts_id(id: &str) -> bool {
    (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Parses an `_mta-sts` TXT record (character-strings joined).
pub fn parse_record(text: &str) -> Result<ParsedStsRecord, StsRecordError> {
    if text.len() > MAX_RECORD_BYTES {
        return Err(StsRecordError::TooLong { len: text.len() });
    }
    if taglist::is_spf(text) {
        return Err(StsRecordError::SpfRecord);
    }
    let parsed = taglist::parse_strict(text, "v=STSv1").map_err(StsRecordError::Syntax)?;
    let mut warnings = Vec::new();
    if parsed.space_before_semicolon {
        warnings.push(StsRecordWarning::SpaceBeforeSemicolon);
    }
    let mut id: Option<&str> = None;
    for field in &parsed.fields {
        if field.name == "id" {
            if id.is_some() {
                warnings.push(StsRecordWarning::DuplicateId);
            } else {
                id = Some(field.value);
            }
        } else {
            warnings.push(StsRecordWarning::UnknownTag {
                name: field.name.to_string(),
            });
        }
    }
    let id = id.ok_or(StsRecordError::MissingId)?;
    if !is_sts_id(id) {
        return Err(StsRecordError::InvalidId {
            value: id.to_string(),
        });
    }
    Ok(ParsedStsRecord {
        record: StsRecord { id: id.to_string() },
        warnings,
    })
}

/// A policy's `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StsMode {
    /// `enforce`: senders must not deliver over a connection that fails the policy.
    Enforce,
    /// `testing`: senders deliver anyway and report failures.
    Testing,
    /// `none`: the domain withdraws its policy.
    None,
}

impl fmt::Display for StsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Enforce => "enforce",
            Self::Testing => "testing",
            Self::None => "none",
        })
    }
}

/// A required policy key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKey {
    /// `version`
    Version,
    /// `mode`
    Mode,
    /// `max_age`
    MaxAge,
}

impl fmt::Display for PolicyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Version => "version",
            Self::Mode => "mode",
            Self::MaxAge => "max_age",
        })
    }
}

/// A parsed MTA-STS policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StsPolicy {
    /// `mode`.
    pub mode: StsMode,
    /// `max_age` in seconds.
    pub max_age: u64,
    /// The `mx` patterns, in order (host names or `*.` + host name).
    pub mx: Vec<String>,
}

impl StsPolicy {
    /// True when `mx_host` matches one of the policy's `mx` patterns.
    pub fn matches(&self, mx_host: &str) -> bool {
        self.mx.iter().any(|p| mx_matches(mx_host, p))
    }
}

/// Why a policy file is unusable. `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StsPolicyError {
    /// Bigger than [`MAX_POLICY_BYTES`].
    #[error("the policy is {len} bytes, more than the {MAX_POLICY_BYTES} read")]
    TooLarge {
        /// Its length.
        len: usize,
    },
    /// A CR that does not end a line (lines end in LF or CRLF).
    #[error("line {line}: a CR that does not end the line (lines end in LF or CRLF)")]
    BareCr {
        /// The line.
        line: usize,
    },
    /// A line that is not `key: value`.
    #[error("line {line}: not a key: value pair")]
    NotKeyValue {
        /// The line.
        line: usize,
    },
    /// Whitespace before the key or between it and the colon.
    #[error("line {line}: whitespace before a key or between the key and ':' is not allowed (RFC 8461 section 3.2)")]
    SpaceInKey {
        /// The line.
        line: usize,
    },
    /// `version` is not `STSv1`.
    #[error("line {line}: version {value} is not STSv1")]
    InvalidVersion {
        /// The line.
        line: usize,
        /// The value written.
        value: String,
    },
    /// `mode` is not enforce, testing or none.
    #[error("line {line}: mode {value} is not enforce, testing or none")]
    InvalidMode {
        /// The line.
        line: usize,
        /// The value written.
        value: String,
    },
    /// `max_age` is not 1 to 10 digits up to [`MAX_AGE_LIMIT`].
    #[error("line {line}: max_age {value} is not a whole number of seconds from 0 to 31557600")]
    InvalidMaxAge {
        /// The line.
        line: usize,
        /// The value written.
        value: String,
    },
    /// An `mx` value that is not a host name or `*.` + host name.
    #[error("line {line}: mx {value} is not a host name or *. followed by one")]
    InvalidMx {
        /// The line.
        line: usize,
        /// The value written.
        value: String,
    },
    /// A required key is missing.
    #[error("the policy has no {key} key")]
    MissingKey {
        /// The key.
        key: PolicyKey,
    },
    /// `enforce` or `testing` without any `mx`.
    #[error("mode {mode} needs at least one mx pattern")]
    MissingMx {
        /// The mode.
        mode: StsMode,
    },
}

/// Something a policy file tolerated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StsPolicyWarning {
    /// A key other than version, mode, max_age and mx (ignored).
    #[error("line {line}: unknown key {key} is ignored")]
    UnknownKey {
        /// The line.
        line: usize,
        /// The key.
        key: String,
    },
    /// A second version, mode or max_age (the first is used).
    #[error("line {line}: a second {key} key; the first is used")]
    DuplicateKey {
        /// The line.
        line: usize,
        /// The key.
        key: PolicyKey,
    },
    /// An empty line (not in the RFC's grammar; most senders skip it).
    #[error("line {line}: an empty line")]
    EmptyLine {
        /// The line.
        line: usize,
    },
    /// A `max_age` under a day: senders refetch constantly and a short outage drops the policy.
    #[error("max_age {max_age} is under a day; RFC 8461 suggests weeks or more")]
    ShortMaxAge {
        /// The value.
        max_age: u64,
    },
}

/// A policy that parsed, and its warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedStsPolicy {
    /// The policy.
    pub policy: StsPolicy,
    /// What it tolerated.
    pub warnings: Vec<StsPolicyWarning>,
}

/// True for an `mx` pattern: a host name, or `*.` and a host name.
pub fn is_mx_pattern(pattern: &str) -> bool {
    is_hostname(pattern.strip_prefix("*.").unwrap_or(pattern))
}

/// True when `mx_host` (no root dot) matches `pattern`: equal ignoring case, or for `*.rest`,
/// one whole left-most label followed by `.rest` (RFC 8461 section 4.1).
pub fn mx_matches(mx_host: &str, pattern: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(rest) => mx_host.split_once('.').is_some_and(|(label, tail)| {
            !label.is_empty() && !label.contains('*') && tail.eq_ignore_ascii_case(rest)
        }),
        None => mx_host.eq_ignore_ascii_case(pattern),
    }
}

fn is_policy_key(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 32
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Parses a policy file body (LF or CRLF lines).
pub fn parse_policy(text: &str) -> Result<ParsedStsPolicy, StsPolicyError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(StsPolicyError::TooLarge { len: text.len() });
    }
    let mut warnings = Vec::new();
    let mut version = false;
    let mut mode: Option<StsMode> = None;
    let mut max_age: Option<u64> = None;
    let mut mx = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    let count = lines.len();
    for (i, raw) in lines.into_iter().enumerate() {
        let line = i + 1;
        let body = raw.strip_suffix('\r').unwrap_or(raw);
        if body.contains('\r') {
            return Err(StsPolicyError::BareCr { line });
        }
        if body.is_empty() {
            if line != count {
                warnings.push(StsPolicyWarning::EmptyLine { line });
            }
            continue;
        }
        let Some((key, value)) = body.split_once(':') else {
            return Err(StsPolicyError::NotKeyValue { line });
        };
        if key.trim_matches([' ', '\t']) != key && is_policy_key(key.trim_matches([' ', '\t'])) {
            return Err(StsPolicyError::SpaceInKey { line });
        }
        if !is_policy_key(key) {
            return Err(StsPolicyError::NotKeyValue { line });
        }
        let value = value.trim_matches([' ', '\t']);
        let required = match key.to_ascii_lowercase().as_str() {
            "version" => PolicyKey::Version,
            "mode" => PolicyKey::Mode,
            "max_age" => PolicyKey::MaxAge,
            "mx" => {
                if !is_mx_pattern(value) {
                    return Err(StsPolicyError::InvalidMx {
                        line,
                        value: value.to_string(),
                    });
                }
                mx.push(value.to_string());
                continue;
            }
            _ => {
                warnings.push(StsPolicyWarning::UnknownKey {
                    line,
                    key: key.to_string(),
                });
                continue;
            }
        };
        let duplicate = match required {
            PolicyKey::Version => version,
            PolicyKey::Mode => mode.is_some(),
            PolicyKey::MaxAge => max_age.is_some(),
        };
        if duplicate {
            warnings.push(StsPolicyWarning::DuplicateKey {
                line,
                key: required,
            });
            continue;
        }
        match required {
            PolicyKey::Version if value == "STSv1" => version = true,
            PolicyKey::Version => {
                return Err(StsPolicyError::InvalidVersion {
                    line,
                    value: value.to_string(),
                })
            }
            PolicyKey::Mode => {
                mode = Some(match value.to_ascii_lowercase().as_str() {
                    "enforce" => StsMode::Enforce,
                    "testing" => StsMode::Testing,
                    "none" => StsMode::None,
                    _ => {
                        return Err(StsPolicyError::InvalidMode {
                            line,
                            value: value.to_string(),
                        })
                    }
                });
            }
            PolicyKey::MaxAge => {
                let age = Some(value)
                    .filter(|v| {
                        (1..=10).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit())
                    })
                    .and_then(|v| v.parse::<u64>().ok())
                    .filter(|&n| n <= MAX_AGE_LIMIT);
                max_age = Some(age.ok_or_else(|| StsPolicyError::InvalidMaxAge {
                    line,
                    value: value.to_string(),
                })?);
            }
        }
    }
    if !version {
        return Err(StsPolicyError::MissingKey {
            key: PolicyKey::Version,
        });
    }
    let mode = mode.ok_or(StsPolicyError::MissingKey {
        key: PolicyKey::Mode,
    })?;
    let max_age = max_age.ok_or(StsPolicyError::MissingKey {
        key: PolicyKey::MaxAge,
    })?;
    if mode != StsMode::None && mx.is_empty() {
        return Err(StsPolicyError::MissingMx { mode });
    }
    if mode != StsMode::None && max_age < 86_400 {
        warnings.push(StsPolicyWarning::ShortMaxAge { max_age });
    }
    Ok(ParsedStsPolicy {
        policy: StsPolicy { mode, max_age, mx },
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_one_whole_label() {
        assert!(mx_matches("mx1.example.com", "*.example.com"));
        assert!(!mx_matches("a.b.example.com", "*.example.com"));
        assert!(!mx_matches("example.com", "*.example.com"));
        assert!(!mx_matches(".example.com", "*.example.com"));
        assert!(mx_matches("MX.Example.com", "mx.example.COM"));
    }

    #[test]
    fn policies_keep_their_order_and_flag_short_max_age() {
        let p = parse_policy(
            "version: STSv1\nmode: testing\nmax_age: 600\nmx: a.example\nmx: *.b.example\n",
        );
        let Ok(p) = p else { panic!("parses: {p:?}") };
        assert_eq!(p.policy.mx, ["a.example", "*.b.example"]);
        assert!(p.policy.matches("x.b.example"));
        assert!(!p.policy.matches("b.example"));
        assert_eq!(p.warnings, [StsPolicyWarning::ShortMaxAge { max_age: 600 }]);
    }

    #[test]
    fn lone_cr_and_oversized_policies_are_errors() {
        assert_eq!(
            parse_policy("version: STSv1\rmode: none\n").map(|_| ()),
            Err(StsPolicyError::BareCr { line: 1 })
        );
        let big = "x".repeat(MAX_POLICY_BYTES + 1);
        assert!(matches!(
            parse_policy(&big),
            Err(StsPolicyError::TooLarge { .. })
        ));
    }
}
