//! The `tag=value; tag=value` lists of DNS TXT records: the lenient DKIM/DMARC form (RFC 6376
//! section 3.2, whitespace around `=` allowed) and the strict MTA-STS/TLS-RPT form (RFC 8461
//! section 3.1, RFC 8460 section 3: a literal version, no whitespace around `=`).

use thiserror::Error;

/// The most bytes a record parser reads: the largest TXT RDATA DNS can carry.
pub const MAX_RECORD_BYTES: usize = 65_535;

/// One `name=value` pair of a tag list, with the byte offset where its field starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag<'a> {
    /// The tag name as written (callers compare it case-insensitively where the RFC says so).
    pub name: &'a str,
    /// The value with surrounding whitespace removed (inner whitespace kept).
    pub value: &'a str,
    /// Byte offset of the field in the record text.
    pub offset: usize,
}

/// Why a tag list does not parse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TagListError {
    /// A field has no `=`.
    #[error("the field at byte {offset} is not tag=value")]
    NoEquals {
        /// Byte offset of the field.
        offset: usize,
    },
    /// Two `;` with nothing between them (or a record that starts with `;`).
    #[error("an empty field at byte {offset}")]
    EmptyField {
        /// Byte offset of the empty field.
        offset: usize,
    },
    /// A tag name that is empty or has characters other than letters, digits, `_` and `-`.
    #[error("the tag name {name:?} at byte {offset} is not a valid name")]
    BadName {
        /// The name as written.
        name: String,
        /// Byte offset of the field.
        offset: usize,
    },
}

/// Whitespace a lenient tag list allows around its parts (RFC 6376 FWS: WSP and folded lines).
fn is_fws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// True for a tag name of letters, digits, `_` and `-` starting with a letter or digit
/// (RFC 6376 allows `ALPHA *(ALPHA / DIGIT / "_")`; `-` is common in the wild and harmless).
fn is_tag_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Splits a lenient tag list (DKIM key records, DMARC records): fields separated by `;`, a
/// trailing `;` allowed, whitespace around names, `=` and values ignored. Duplicates are kept
/// (the caller decides what a duplicate means).
pub fn parse_lenient(text: &str) -> Result<Vec<Tag<'_>>, TagListError> {
    let mut tags = Vec::new();
    let mut start = 0;
    let fields: Vec<&str> = text.split(';').collect();
    let last = fields.len().saturating_sub(1);
    for (i, field) in fields.iter().enumerate() {
        let offset = start + (field.len() - field.trim_start_matches(is_fws).len());
        start += field.len() + 1;
        if field.trim_matches(is_fws).is_empty() {
            if i == last && i > 0 {
                break;
            }
            return Err(TagListError::EmptyField { offset });
        }
        let Some((name, value)) = field.split_once('=') else {
            return Err(TagListError::NoEquals { offset });
        };
        let name = name.trim_matches(is_fws);
        if !is_tag_name(name) {
            return Err(TagListError::BadName {
                name: name.to_string(),
                offset,
            });
        }
        tags.push(Tag {
            name,
            value: value.trim_matches(is_fws),
            offset,
        });
    }
    Ok(tags)
}

/// A strict record (MTA-STS, TLS-RPT): its fields after the version, and what it tolerated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrictRecord<'a> {
    /// The fields after the version, in order.
    pub fields: Vec<Tag<'a>>,
    /// Whitespace stood between the version and the first `;`, which the ABNF allows but the
    /// "starts with `v=...;`" discard rule of RFC 8460/8461 section 3.1 does not.
    pub space_before_semicolon: bool,
}

/// Why a strict record does not parse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StrictError {
    /// The record does not start with the exact version tag.
    #[error("the record does not start with {expected}")]
    MissingVersion {
        /// The version tag expected, such as `v=STSv1`.
        expected: &'static str,
    },
    /// The version is not followed by `;`.
    #[error("no ';' after the version")]
    NoDelimiter,
    /// A field is not `name=value` without whitespace around `=` and with a valid name.
    #[error("the field at byte {offset} is not name=value (no spaces around '=')")]
    BadField {
        /// Byte offset of the field.
        offset: usize,
    },
}

/// True for an extension name of RFC 8460/8461: `(ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")`.
fn is_ext_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 32
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Splits a strict record that must start with `version` (such as `v=STSv1`): then
/// `*WSP ";" *WSP` between fields, each `name=value` with no whitespace around `=`.
pub fn parse_strict<'a>(
    text: &'a str,
    version: &'static str,
) -> Result<StrictRecord<'a>, StrictError> {
    let missing = StrictError::MissingVersion { expected: version };
    let rest = text.strip_prefix(version).ok_or(missing.clone())?;
    let after = rest.trim_start_matches([' ', '\t']);
    if rest.is_empty() {
        return Err(StrictError::NoDelimiter);
    }
    let Some(fields_text) = after.strip_prefix(';') else {
        return Err(if after.len() == rest.len() {
            missing
        } else {
            StrictError::NoDelimiter
        });
    };
    let space_before_semicolon = after.len() != rest.len();
    let mut offset = text.len() - fields_text.len();
    let pieces: Vec<&str> = fields_text.split(';').collect();
    let last = pieces.len().saturating_sub(1);
    let mut fields = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        let lead = piece.len() - piece.trim_start_matches([' ', '\t']).len();
        let field = piece.trim_matches([' ', '\t']);
        let at = offset + lead;
        offset += piece.len() + 1;
        if field.is_empty() {
            if i == last {
                break;
            }
            return Err(StrictError::BadField { offset: at });
        }
        match field.split_once('=') {
            Some((name, value)) if is_ext_name(name) && !value.is_empty() => {
                if value.starts_with([' ', '\t']) {
                    return Err(StrictError::BadField { offset: at });
                }
                fields.push(Tag {
                    name,
                    value,
                    offset: at,
                });
            }
            _ => return Err(StrictError::BadField { offset: at }),
        }
    }
    Ok(StrictRecord {
        fields,
        space_before_semicolon,
    })
}

/// True when a record is an SPF record (`v=spf1` then a space or the end), the usual answer when
/// a `_dmarc`, `_mta-sts`, `_smtp._tls` or selector name is missing and a wildcard or a redirect
/// answered with the domain's own TXT records.
pub fn is_spf(text: &str) -> bool {
    let t = text.trim_start();
    t.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("v=spf1"))
        && t[6..].chars().next().is_none_or(|c| c == ' ' || c == '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_lists_allow_whitespace_and_a_trailing_semicolon() {
        let tags = parse_lenient(" v = DMARC1\t;\tp=reject\t;").unwrap_or_default();
        let pairs: Vec<(&str, &str)> = tags.iter().map(|t| (t.name, t.value)).collect();
        assert_eq!(pairs, [("v", "DMARC1"), ("p", "reject")]);
        assert_eq!(tags[1].offset, 14);
    }

    #[test]
    fn lenient_lists_reject_empty_fields_and_bare_words() {
        assert_eq!(
            parse_lenient("v=DMARC1;;p=reject"),
            Err(TagListError::EmptyField { offset: 9 })
        );
        assert_eq!(
            parse_lenient("v=DMARC1; p"),
            Err(TagListError::NoEquals { offset: 10 })
        );
        assert!(matches!(
            parse_lenient("a b=c"),
            Err(TagListError::BadName { .. })
        ));
        assert_eq!(
            parse_lenient(""),
            Err(TagListError::EmptyField { offset: 0 })
        );
    }

    #[test]
    fn strict_records_need_the_literal_version_and_no_spaces_around_equals() {
        let r = parse_strict("v=STSv1 ; id=abc;", "v=STSv1");
        assert!(r.as_ref().is_ok_and(|r| r.space_before_semicolon));
        assert_eq!(r.map(|r| r.fields.len()), Ok(1));
        assert!(matches!(
            parse_strict("v=STSv1; id =abc", "v=STSv1"),
            Err(StrictError::BadField { offset: 9 })
        ));
        assert!(matches!(
            parse_strict("v=STSv10; id=abc", "v=STSv1"),
            Err(StrictError::MissingVersion { .. })
        ));
        assert_eq!(
            parse_strict("v=STSv1", "v=STSv1"),
            Err(StrictError::NoDelimiter)
        );
        assert!(parse_strict("v=STSv1; id=a;; x=y", "v=STSv1").is_err());
    }

    #[test]
    fn spf_records_are_recognised() {
        assert!(is_spf("v=spf1 -all"));
        assert!(is_spf("V=SPF1"));
        assert!(!is_spf("v=spf10 -all"));
        assert!(!is_spf("v=DMARC1"));
    }
}
