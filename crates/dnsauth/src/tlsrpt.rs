//! SMTP TLS Reporting records (`_smtp._tls.<domain>`, RFC 8460 section 3): where senders send
//! reports about TLS failures delivering to the domain.

use crate::taglist::{self, StrictError, MAX_RECORD_BYTES};
use crate::uri::{parse_report_uri, ReportUri, UriProblem};
use thiserror::Error;

/// A parsed TLS-RPT record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsRptRecord {
    /// The `rua=` destinations in order (`mailto:` or `https:`), from every `rua=` tag.
    pub rua: Vec<ReportUri>,
}

/// Why a TLS-RPT record is unusable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TlsRptError {
    /// Longer than any TXT record can be.
    #[error("the record is {len} bytes, more than a TXT record can hold")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// An SPF record at `_smtp._tls`.
    #[error("an SPF record stands where the TLS-RPT record should be (the _smtp._tls name probably does not exist and a wildcard answered)")]
    SpfRecord,
    /// The record's syntax is wrong (it must start with the literal `v=TLSRPTv1`).
    #[error("syntax error: {0}")]
    Syntax(StrictError),
    /// No `rua=`.
    #[error("the record has no rua= tag")]
    MissingRua,
    /// A `rua=` URI that is not a valid `mailto:` or `https:` URI.
    #[error("rua URI {uri} is not a valid mailto: or https: URI: {problem}")]
    InvalidUri {
        /// The URI as written.
        uri: String,
        /// What is wrong with it.
        problem: TlsRptUriProblem,
    },
}

/// What is wrong with a TLS-RPT `rua=` URI.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TlsRptUriProblem {
    /// It does not parse as a URI.
    #[error("{0}")]
    Uri(UriProblem),
    /// A scheme other than `mailto:` and `https:` (`http:` included).
    #[error("the scheme {scheme}: is not mailto: or https:")]
    Scheme {
        /// The scheme.
        scheme: String,
    },
}

/// Something a TLS-RPT record tolerated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TlsRptWarning {
    /// A tag other than `v` and `rua` (ignored).
    #[error("unknown tag {name}= is ignored")]
    UnknownTag {
        /// The name written.
        name: String,
    },
    /// More than one `rua=` tag (RFC 8460 says nothing; the lists are joined here, other
    /// senders may use only the first).
    #[error("rua= appears more than once; some senders use only the first")]
    DuplicateRua,
    /// Whitespace before the first `;`.
    #[error("whitespace before the first ';': senders that apply the literal \"v=TLSRPTv1;\" rule of RFC 8460 section 3.1 discard the record")]
    SpaceBeforeSemicolon,
}

/// A record that parsed, and its warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedTlsRpt {
    /// The record.
    pub record: TlsRptRecord,
    /// What it tolerated.
    pub warnings: Vec<TlsRptWarning>,
}

fn parse_uri(text: &str) -> Result<ReportUri, TlsRptError> {
    let bad = |problem| TlsRptError::InvalidUri {
        uri: text.to_string(),
        problem,
    };
    let uri = parse_report_uri(text).map_err(|p| bad(TlsRptUriProblem::Uri(p)))?;
    match uri.scheme.as_str() {
        "mailto" | "https" => Ok(uri),
        other => Err(bad(TlsRptUriProblem::Scheme {
            scheme: other.to_string(),
        })),
    }
}

/// Parses a `_smtp._tls` TXT record (character-strings joined).
pub fn parse(text: &str) -> Result<ParsedTlsRpt, TlsRptError> {
    if text.len() > MAX_RECORD_BYTES {
        return Err(TlsRptError::TooLong { len: text.len() });
    }
    if taglist::is_spf(text) {
        return Err(TlsRptError::SpfRecord);
    }
    let parsed = taglist::parse_strict(text, "v=TLSRPTv1").map_err(TlsRptError::Syntax)?;
    let mut warnings = Vec::new();
    if parsed.space_before_semicolon {
        warnings.push(TlsRptWarning::SpaceBeforeSemicolon);
    }
    let mut rua = Vec::new();
    let mut rua_tags = 0;
    for field in &parsed.fields {
        if field.name == "rua" {
            rua_tags += 1;
            if rua_tags == 2 {
                warnings.push(TlsRptWarning::DuplicateRua);
            }
            for uri in field.value.split(',').map(|u| u.trim_matches([' ', '\t'])) {
                rua.push(parse_uri(uri)?);
            }
        } else {
            warnings.push(TlsRptWarning::UnknownTag {
                name: field.name.to_string(),
            });
        }
    }
    if rua.is_empty() {
        return Err(TlsRptError::MissingRua);
    }
    Ok(ParsedTlsRpt {
        record: TlsRptRecord { rua },
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_duplicates_are_joined_with_a_warning() {
        let p = parse("v=TLSRPTv1; rua=mailto:a@example.com, https://r.example.com/v1; rua=mailto:b@example.com");
        let Ok(p) = p else { panic!("parses: {p:?}") };
        assert_eq!(p.record.rua.len(), 3);
        assert_eq!(p.warnings, [TlsRptWarning::DuplicateRua]);
    }

    #[test]
    fn http_and_bare_addresses_are_refused() {
        assert!(matches!(
            parse("v=TLSRPTv1; rua=http://r.example.com"),
            Err(TlsRptError::InvalidUri {
                problem: TlsRptUriProblem::Scheme { .. },
                ..
            })
        ));
        assert!(matches!(
            parse("v=TLSRPTv1; rua=tls@example.com"),
            Err(TlsRptError::InvalidUri { .. })
        ));
        assert_eq!(
            parse("v=TLSRPTv1; x=y").map(|_| ()),
            Err(TlsRptError::MissingRua)
        );
    }
}
