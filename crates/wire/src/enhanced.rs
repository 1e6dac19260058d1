//! RFC 3463 enhanced status codes at the start of a reply line's text.

use smtp_doctor_model::EnhancedCode;

/// The enhanced status code at the very start of `text` ("5.1.1 User unknown"), if there is one.
///
/// The code must be followed by the end of the text, a space or a tab, so "5.1.1.1" and
/// "5.1.1234" are not codes.
pub fn parse_enhanced(text: &str) -> Option<EnhancedCode> {
    split_enhanced(text).map(|(code, _)| code)
}

/// The enhanced status code at the start of `text` and the text after it, spaces trimmed.
pub fn split_enhanced(text: &str) -> Option<(EnhancedCode, &str)> {
    let bytes = text.as_bytes();
    let (class, rest) = number(bytes, 1)?;
    let rest = rest.strip_prefix(b".")?;
    let (subject, rest) = number(rest, 3)?;
    let rest = rest.strip_prefix(b".")?;
    let (detail, rest) = number(rest, 3)?;
    match rest.first() {
        None | Some(b' ' | b'\t') => {}
        Some(_) => return None,
    }
    let class = u8::try_from(class).ok()?;
    let code = EnhancedCode::new(class, subject, detail)?;
    let consumed = bytes.len() - rest.len();
    let after = text.get(consumed..)?.trim_start_matches([' ', '\t']);
    Some((code, after))
}

/// One to `max` ASCII digits at the start of `bytes`, and what follows them.
fn number(bytes: &[u8], max: usize) -> Option<(u16, &[u8])> {
    let len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if len == 0 || len > max {
        return None;
    }
    let (digits, rest) = bytes.split_at_checked(len)?;
    let value = digits
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    Some((value, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> Option<String> {
        parse_enhanced(s).map(|c| c.to_string())
    }

    #[test]
    fn parses_codes_at_the_start() {
        assert_eq!(code("5.1.1 User unknown").as_deref(), Some("5.1.1"));
        assert_eq!(code("4.7.650 try later").as_deref(), Some("4.7.650"));
        assert_eq!(code("2.0.0").as_deref(), Some("2.0.0"));
        assert_eq!(code("5.7.1\tdenied").as_deref(), Some("5.7.1"));
        assert_eq!(code("2.1.5 Ok").as_deref(), Some("2.1.5"));
    }

    #[test]
    fn rejects_what_is_not_a_code() {
        for bad in [
            "",
            "OK",
            " 5.1.1 leading space",
            "5.1.1.1 four parts",
            "5.1.1234",
            "5.1",
            "5..1",
            "3.1.1 wrong class",
            "55.1.1",
            "5.1.1:",
            "5.1.1x",
            "5.1000.1",
        ] {
            assert_eq!(code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn splits_off_the_rest() {
        let (c, rest) = split_enhanced("5.1.1   <x@example.org>: unknown").unwrap();
        assert_eq!(c.to_string(), "5.1.1");
        assert_eq!(rest, "<x@example.org>: unknown");
        assert_eq!(split_enhanced("2.0.0").map(|(_, r)| r), Some(""));
    }
}
