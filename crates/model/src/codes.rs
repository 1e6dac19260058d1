//! SMTP reply codes (RFC 5321) and enhanced status codes (RFC 3463).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A string that is not a well-formed code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a valid code")]
pub struct ParseCodeError(pub String);

/// A three-digit reply code, such as 550.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// A reply code from its number, if it has three digits and a first digit of 1 to 5.
    pub fn new(code: u16) -> Option<Self> {
        (100..600).contains(&code).then_some(ReplyCode(code))
    }

    /// The number, e.g. 550.
    pub fn get(self) -> u16 {
        self.0
    }

    /// The first digit: 2 success, 3 intermediate, 4 transient, 5 permanent.
    pub fn class_digit(self) -> u8 {
        // The constructor guarantees 100..600, so this fits in a u8.
        (self.0 / 100) as u8
    }

    /// True for 2xx and 3xx replies.
    pub fn is_positive(self) -> bool {
        matches!(self.class_digit(), 2 | 3)
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for ReplyCode {
    type Err = ParseCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| s.parse::<u16>().ok().and_then(ReplyCode::new))
            .flatten()
            .ok_or_else(|| ParseCodeError(s.to_string()))
    }
}

impl Serialize for ReplyCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u16(self.0)
    }
}

impl<'de> Deserialize<'de> for ReplyCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u16::deserialize(d)?;
        ReplyCode::new(n).ok_or_else(|| serde::de::Error::custom("reply code out of range"))
    }
}

/// An RFC 3463 enhanced status code `class.subject.detail`, such as 5.1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnhancedCode {
    /// 2 success, 4 persistent transient failure, 5 permanent failure.
    pub class: u8,
    /// The subject sub-code (0 to 999).
    pub subject: u16,
    /// The detail sub-code (0 to 999).
    pub detail: u16,
}

impl EnhancedCode {
    /// A code from its three parts, if the class is 2, 4 or 5 and the parts have at most 3 digits.
    pub fn new(class: u8, subject: u16, detail: u16) -> Option<Self> {
        (matches!(class, 2 | 4 | 5) && subject < 1000 && detail < 1000).then_some(EnhancedCode {
            class,
            subject,
            detail,
        })
    }

    /// True when the subject is 9, which RFC 3463 does not define (sisimai's pseudo-codes).
    pub fn is_pseudo(self) -> bool {
        self.subject == 9
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl FromStr for EnhancedCode {
    type Err = ParseCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EnhancedCode::parse_bytes(s.as_bytes()).ok_or_else(|| ParseCodeError(s.to_string()))
    }
}

impl EnhancedCode {
    /// Parses exactly `class.subject.detail` (1, 1-3 and 1-3 digits), as [`FromStr`] does.
    pub fn parse_bytes(b: &[u8]) -> Option<Self> {
        // Byte by byte rather than `split('.')` and `str::parse`: classifying strips a code
        // from most messages, and this is several times cheaper.
        let (&class, rest) = b.split_first()?;
        let rest = rest.strip_prefix(b".")?;
        let (subject, rest) = sub_code(rest)?;
        let (detail, rest) = sub_code(rest.strip_prefix(b".")?)?;
        if !rest.is_empty() || !class.is_ascii_digit() {
            return None;
        }
        EnhancedCode::new(class - b'0', subject, detail)
    }
}

/// A sub-code of 1 to 3 digits at the start of `b`, and what follows it.
fn sub_code(b: &[u8]) -> Option<(u16, &[u8])> {
    let digits = b.iter().take(4).take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let n = b[..digits]
        .iter()
        .fold(0u16, |n, &c| n * 10 + u16::from(c - b'0'));
    Some((n, &b[digits..]))
}

impl Serialize for EnhancedCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EnhancedCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enhanced_codes_parse_strictly() {
        assert_eq!(
            "5.1.1".parse(),
            Ok(EnhancedCode {
                class: 5,
                subject: 1,
                detail: 1
            })
        );
        assert_eq!("4.7.650".parse::<EnhancedCode>().map(|c| c.detail), Ok(650));
        for bad in [
            "3.1.1", "5.1", "5.1.1.1", "5..1", "5.1.1000", "x.1.1", "55.1.1", "", "5.1.1.",
            "5.1.1 ", "5.0001.1", "5.1.-1", "5.1.1x",
        ] {
            assert!(bad.parse::<EnhancedCode>().is_err(), "{bad}");
            assert_eq!(EnhancedCode::parse_bytes(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(
            EnhancedCode::parse_bytes(b"2.0.0"),
            EnhancedCode::new(2, 0, 0)
        );
    }

    #[test]
    fn reply_codes_parse_strictly() {
        assert_eq!("550".parse::<ReplyCode>().map(ReplyCode::get), Ok(550));
        for bad in ["55", "5500", "650", "abc", "099"] {
            assert!(bad.parse::<ReplyCode>().is_err(), "{bad}");
        }
        assert!(ReplyCode::new(250).is_some_and(ReplyCode::is_positive));
    }
}
