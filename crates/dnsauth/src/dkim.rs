//! DKIM public-key records (`<selector>._domainkey.<domain>`, RFC 6376 section 3.6.1, RFC 8463
//! for ed25519, RFC 8301 for key sizes and sha1): the typed key, what makes it unusable, and the
//! problems a verifier would see.

use crate::taglist::{self, TagListError, MAX_RECORD_BYTES};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine as _;
use std::fmt;
use thiserror::Error;
use x509_parser::prelude::FromDer as _;
use x509_parser::public_key::{PublicKey, RSAPublicKey};
use x509_parser::x509::SubjectPublicKeyInfo;

/// RSA keys under this many bits MUST NOT be treated as valid (RFC 8301 section 3.2).
pub const RSA_MIN_BITS: usize = 1024;
/// Signers SHOULD use RSA keys of at least this many bits (RFC 8301 section 3.2).
pub const RSA_RECOMMENDED_BITS: usize = 2048;

/// The key type of `k=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// `rsa` (the default).
    Rsa,
    /// `ed25519` (RFC 8463).
    Ed25519,
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Rsa => "rsa",
            Self::Ed25519 => "ed25519",
        })
    }
}

/// How an RSA key is encoded in `p=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsaEncoding {
    /// DER SubjectPublicKeyInfo, as RFC 6376 says.
    Spki,
    /// A bare PKCS#1 RSAPublicKey, common in the wild and accepted by most verifiers.
    Pkcs1,
}

/// The public key of `p=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKeyData {
    /// Empty `p=`: the key was revoked.
    Revoked,
    /// An RSA key.
    Rsa {
        /// The modulus size in bits.
        bits: usize,
        /// How it was encoded.
        encoding: RsaEncoding,
    },
    /// A raw 32-byte ed25519 key.
    Ed25519,
}

/// A hash algorithm of `h=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashAlgorithm {
    /// `sha1` (forbidden for signing and verifying by RFC 8301).
    Sha1,
    /// `sha256`.
    Sha256,
    /// Something else, as written.
    Other(String),
}

/// A parsed DKIM key record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimKey {
    /// `v=DKIM1` was written.
    pub version_present: bool,
    /// `k=` (default rsa).
    pub key_type: KeyType,
    /// `p=`.
    pub key: PublicKeyData,
    /// `h=`, if written (absent means every algorithm).
    pub hashes: Option<Vec<HashAlgorithm>>,
    /// `s=` service types, if written (absent means `*`).
    pub services: Option<Vec<String>>,
    /// `t=y`: the domain is testing DKIM.
    pub testing: bool,
    /// `t=s`: the signature's `i=` domain must equal `d=`.
    pub strict_identity: bool,
}

impl DkimKey {
    /// The key size in bits: the RSA modulus, or 256 for ed25519; `None` when revoked.
    pub fn bits(&self) -> Option<usize> {
        match self.key {
            PublicKeyData::Revoked => None,
            PublicKeyData::Rsa { bits, .. } => Some(bits),
            PublicKeyData::Ed25519 => Some(256),
        }
    }
}

/// Why a DKIM key record is unusable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DkimError {
    /// Longer than any TXT record can be.
    #[error("the record is {len} bytes, more than a TXT record can hold")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// An SPF record at the selector name (a copy-paste mistake, or a wildcard answering).
    #[error("an SPF record stands where the DKIM key should be")]
    SpfRecord,
    /// The tag list does not parse.
    #[error("syntax error: {0}")]
    Syntax(TagListError),
    /// A tag appears twice (RFC 6376 section 3.2).
    #[error("the {name} tag appears more than once")]
    DuplicateTag {
        /// The tag.
        name: String,
    },
    /// `v=` is present but not the first tag.
    #[error("v= must be the first tag when present")]
    VersionNotFirst,
    /// `v=` is not `DKIM1`.
    #[error("v={value} is not DKIM1")]
    WrongVersion {
        /// The value written.
        value: String,
    },
    /// No `p=` tag.
    #[error("no p= tag: the record has no key")]
    MissingKey,
    /// A `k=` other than rsa or ed25519.
    #[error("k={value} is not a key type verifiers know (rsa, ed25519)")]
    UnknownKeyType {
        /// The value written.
        value: String,
    },
    /// `p=` is not base64.
    #[error("p= is not valid base64")]
    BadBase64,
    /// `p=` does not hold an RSA key in DER (SubjectPublicKeyInfo or PKCS#1).
    #[error("p= does not hold an RSA public key")]
    BadRsaKey,
    /// An ed25519 key wrapped in SubjectPublicKeyInfo (RFC 8463 wants the raw 32 bytes; some
    /// key generators publish the DER form, which verifiers reject).
    #[error(
        "p= holds an ed25519 key inside SubjectPublicKeyInfo; RFC 8463 wants the raw 32-byte key"
    )]
    Ed25519Spki,
    /// An ed25519 key that is not 32 bytes.
    #[error("p= holds {len} bytes, an ed25519 key is 32")]
    BadEd25519Length {
        /// The decoded length.
        len: usize,
    },
}

/// How bad a [`DkimProblem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing.
    Note,
    /// Works today, should change.
    Warning,
    /// Verifiers will not accept signatures with this key.
    Invalid,
}

/// Something about a parsed key a verifier or an operator should know.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DkimProblem {
    /// Empty `p=`: the key was revoked, signatures with it fail.
    #[error("the key is revoked (empty p=)")]
    Revoked,
    /// An RSA key under 1024 bits.
    #[error(
        "the RSA key has {bits} bits: verifiers must not accept keys under 1024 bits (RFC 8301)"
    )]
    KeyTooSmall {
        /// The key size.
        bits: usize,
    },
    /// An RSA key under 2048 bits.
    #[error("the RSA key has {bits} bits: 2048 is recommended (RFC 8301)")]
    KeyBelowRecommended {
        /// The key size.
        bits: usize,
    },
    /// `h=sha1` only: RFC 8301 forbids rsa-sha1, so no signature can use the key.
    #[error("h= allows only sha1, which RFC 8301 forbids: no valid signature can use this key")]
    Sha1Only,
    /// `h=` names neither sha256 nor sha1: no signature algorithm verifiers know can use the key.
    #[error("h= names no hash algorithm verifiers know (sha256): no signature can use this key")]
    NoKnownHash,
    /// `s=` excludes email.
    #[error("s= does not include email or *: the key must not verify mail signatures")]
    NotForEmail,
    /// `t=y`.
    #[error("t=y: the domain is testing DKIM, verifiers treat its signatures as unsigned mail")]
    Testing,
    /// An RSA key as bare PKCS#1 instead of SubjectPublicKeyInfo.
    #[error("p= is a bare PKCS#1 RSA key, not SubjectPublicKeyInfo: most verifiers accept it, RFC 6376 does not")]
    Pkcs1Key,
    /// Base64 without its `=` padding.
    #[error(
        "p= lacks its base64 '=' padding: lenient verifiers accept it, strict ones reject the key"
    )]
    UnpaddedBase64,
}

impl DkimProblem {
    /// How bad it is.
    pub fn severity(&self) -> Severity {
        match self {
            Self::Revoked
            | Self::KeyTooSmall { .. }
            | Self::Sha1Only
            | Self::NoKnownHash
            | Self::NotForEmail => Severity::Invalid,
            Self::KeyBelowRecommended { .. } | Self::Testing | Self::UnpaddedBase64 => {
                Severity::Warning
            }
            Self::Pkcs1Key => Severity::Note,
        }
    }
}

/// A key record that parsed, and its problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDkimKey {
    /// The key.
    pub key: DkimKey,
    /// What a verifier or operator should know, in the order found.
    pub problems: Vec<DkimProblem>,
}

impl ParsedDkimKey {
    /// True when verifiers can use the key for mail (no problem of severity `Invalid`).
    pub fn usable(&self) -> bool {
        self.problems
            .iter()
            .all(|p| p.severity() < Severity::Invalid)
    }
}

/// The DER header of an ed25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE, the id-Ed25519
/// algorithm, and a 33-byte BIT STRING in front of the 32 key bytes.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The bit length of a big-endian unsigned integer.
fn bit_length(bytes: &[u8]) -> usize {
    let trimmed: &[u8] = match bytes.iter().position(|&b| b != 0) {
        Some(i) => &bytes[i..],
        None => &[],
    };
    trimmed.first().map_or(0, |&first| {
        8 * (trimmed.len() - 1) + (8 - first.leading_zeros() as usize)
    })
}

fn rsa_key(der: &[u8]) -> Result<(usize, RsaEncoding), DkimError> {
    if let Ok((_, spki)) = SubjectPublicKeyInfo::from_der(der) {
        return match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => Ok((bit_length(rsa.modulus), RsaEncoding::Spki)),
            _ => Err(DkimError::BadRsaKey),
        };
    }
    match RSAPublicKey::from_der(der) {
        Ok(([], rsa)) => Ok((bit_length(rsa.modulus), RsaEncoding::Pkcs1)),
        _ => Err(DkimError::BadRsaKey),
    }
}

/// Decodes `p=` (folding whitespace removed): the bytes, and whether the padding was missing.
fn decode_key(value: &str) -> Result<(Vec<u8>, bool), DkimError> {
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    if let Ok(bytes) = STANDARD.decode(&compact) {
        return Ok((bytes, false));
    }
    STANDARD_NO_PAD
        .decode(&compact)
        .map(|b| (b, true))
        .map_err(|_| DkimError::BadBase64)
}

/// Parses a DKIM key record (character-strings joined).
pub fn parse(text: &str) -> Result<ParsedDkimKey, DkimError> {
    if text.len() > MAX_RECORD_BYTES {
        return Err(DkimError::TooLong { len: text.len() });
    }
    if taglist::is_spf(text) {
        return Err(DkimError::SpfRecord);
    }
    let tags = taglist::parse_lenient(text).map_err(DkimError::Syntax)?;
    // Tag names are case-sensitive (RFC 6376 section 3.2).
    let mut seen = std::collections::HashSet::new();
    for tag in &tags {
        if !seen.insert(tag.name) {
            return Err(DkimError::DuplicateTag {
                name: tag.name.to_string(),
            });
        }
    }
    let get = |name: &str| tags.iter().find(|t| t.name == name).map(|t| t.value);
    let mut problems = Vec::new();
    let version_present = match tags.iter().position(|t| t.name == "v") {
        None => false,
        Some(0) => {
            let value = get("v").unwrap_or_default();
            if value != "DKIM1" {
                return Err(DkimError::WrongVersion {
                    value: value.to_string(),
                });
            }
            true
        }
        Some(_) => return Err(DkimError::VersionNotFirst),
    };
    let key_type = match get("k").map(str::to_ascii_lowercase).as_deref() {
        None | Some("rsa") => KeyType::Rsa,
        Some("ed25519") => KeyType::Ed25519,
        Some(other) => {
            return Err(DkimError::UnknownKeyType {
                value: other.to_string(),
            })
        }
    };
    let p = get("p").ok_or(DkimError::MissingKey)?;
    let key = if p.is_empty() {
        problems.push(DkimProblem::Revoked);
        PublicKeyData::Revoked
    } else {
        let (bytes, unpadded) = decode_key(p)?;
        if unpadded {
            problems.push(DkimProblem::UnpaddedBase64);
        }
        match key_type {
            KeyType::Ed25519 if bytes.len() == 32 => PublicKeyData::Ed25519,
            KeyType::Ed25519 if bytes.starts_with(&ED25519_SPKI_PREFIX) && bytes.len() == 44 => {
                return Err(DkimError::Ed25519Spki)
            }
            KeyType::Ed25519 => return Err(DkimError::BadEd25519Length { len: bytes.len() }),
            KeyType::Rsa => {
                let (bits, encoding) = rsa_key(&bytes)?;
                if encoding == RsaEncoding::Pkcs1 {
                    problems.push(DkimProblem::Pkcs1Key);
                }
                if bits < RSA_MIN_BITS {
                    problems.push(DkimProblem::KeyTooSmall { bits });
                } else if bits < RSA_RECOMMENDED_BITS {
                    problems.push(DkimProblem::KeyBelowRecommended { bits });
                }
                PublicKeyData::Rsa { bits, encoding }
            }
        }
    };
    let list = |v: &str| -> Vec<String> {
        v.split(':')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let hashes: Option<Vec<HashAlgorithm>> = get("h").map(|h| {
        list(h)
            .into_iter()
            .map(|a| match a.to_ascii_lowercase().as_str() {
                "sha1" => HashAlgorithm::Sha1,
                "sha256" => HashAlgorithm::Sha256,
                _ => HashAlgorithm::Other(a),
            })
            .collect()
    });
    if let Some(h) = hashes
        .as_ref()
        .filter(|h| !h.contains(&HashAlgorithm::Sha256))
    {
        problems.push(if h.contains(&HashAlgorithm::Sha1) {
            DkimProblem::Sha1Only
        } else {
            DkimProblem::NoKnownHash
        });
    }
    let services = get("s").map(list);
    if services.as_ref().is_some_and(|s| {
        !s.iter()
            .any(|s| s == "*" || s.eq_ignore_ascii_case("email"))
    }) {
        problems.push(DkimProblem::NotForEmail);
    }
    let flags = get("t").map(list).unwrap_or_default();
    let testing = flags.iter().any(|f| f.eq_ignore_ascii_case("y"));
    if testing {
        problems.push(DkimProblem::Testing);
    }
    let strict_identity = flags.iter().any(|f| f.eq_ignore_ascii_case("s"));
    Ok(ParsedDkimKey {
        key: DkimKey {
            version_present,
            key_type,
            key,
            hashes,
            services,
            testing,
            strict_identity,
        },
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_lists_without_sha256_make_the_key_unusable() {
        let key = "k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
        let problems = |h: &str| parse(&format!("v=DKIM1; {h}{key}")).map(|p| p.problems);
        assert_eq!(problems("h=sha1; "), Ok(vec![DkimProblem::Sha1Only]));
        assert_eq!(problems("h=sha512; "), Ok(vec![DkimProblem::NoKnownHash]));
        assert_eq!(problems("h=sha1:SHA256; "), Ok(vec![]));
        assert_eq!(problems(""), Ok(vec![]));
    }

    #[test]
    fn bit_length_ignores_leading_zero_bytes_and_bits() {
        assert_eq!(bit_length(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(bit_length(&[0x01, 0xff]), 9);
        assert_eq!(bit_length(&[0, 0]), 0);
    }

    #[test]
    fn revoked_and_typeless_records() {
        let r = parse("v=DKIM1; p=").map(|p| p.problems);
        assert_eq!(r, Ok(vec![DkimProblem::Revoked]));
        assert_eq!(
            parse("k=rsa; v=DKIM1; p=").map(|_| ()),
            Err(DkimError::VersionNotFirst)
        );
        assert_eq!(
            parse("v=DKIM1; k=ed25519; p=AAAA").map(|_| ()),
            Err(DkimError::BadEd25519Length { len: 3 })
        );
        assert_eq!(
            parse("v=DKIM1; p=!!").map(|_| ()),
            Err(DkimError::BadBase64)
        );
        assert_eq!(
            parse("v=DKIM1; k=rsa; p=AAAA").map(|_| ()),
            Err(DkimError::BadRsaKey)
        );
        let spki = "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
        assert_eq!(
            parse(&format!("v=DKIM1; k=ed25519; p={spki}")).map(|_| ()),
            Err(DkimError::Ed25519Spki)
        );
    }
}
