//! The SPF record parser (RFC 7208 section 12): terms with their byte positions, macro strings
//! parsed into parts, and every syntax error with its position (a doctor wants all of them, not
//! just the first one that makes the record a `permerror`).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

/// The longest record text the parser looks at; longer input is cut there and reported.
pub const MAX_RECORD_LEN: usize = 16 * 1024;

/// A parsed SPF record: its terms in order and the syntax errors found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The record's text (lossy UTF-8 if it held other bytes).
    pub text: String,
    /// Its length in bytes.
    pub len: usize,
    /// The terms after the version, in order.
    pub terms: Vec<Term>,
    /// Every syntax error; any makes the record a `permerror` (RFC 7208 4.6).
    pub errors: Vec<SyntaxError>,
}

/// One term of a record and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Byte range of the term in the record.
    pub span: Range<usize>,
    /// What it is.
    pub kind: TermKind,
}

/// A directive or a modifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermKind {
    /// A mechanism with its qualifier.
    Directive(Directive),
    /// A `name=value` modifier.
    Modifier(Modifier),
}

/// A qualifier and a mechanism.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The result when the mechanism matches.
    pub qualifier: Qualifier,
    /// The mechanism.
    pub mechanism: Mechanism,
}

/// The qualifier of a directive (`+` when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    /// `+`: pass.
    Pass,
    /// `-`: fail.
    Fail,
    /// `~`: softfail.
    SoftFail,
    /// `?`: neutral.
    Neutral,
}

/// A mechanism (RFC 7208 section 5).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mechanism {
    /// `all`.
    All,
    /// `include:domain`.
    Include(MacroString),
    /// `a[:domain][/v4][//v6]`.
    A {
        /// The target, the current domain when absent.
        domain: Option<MacroString>,
        /// IPv4 prefix length (32 when absent).
        v4: u8,
        /// IPv6 prefix length (128 when absent).
        v6: u8,
    },
    /// `mx[:domain][/v4][//v6]`.
    Mx {
        /// The target, the current domain when absent.
        domain: Option<MacroString>,
        /// IPv4 prefix length (32 when absent).
        v4: u8,
        /// IPv6 prefix length (128 when absent).
        v6: u8,
    },
    /// `ptr[:domain]` (RFC 7208 says do not use it).
    Ptr(Option<MacroString>),
    /// `ip4:network[/len]`.
    Ip4 {
        /// The network address.
        addr: Ipv4Addr,
        /// The prefix length.
        prefix: u8,
    },
    /// `ip6:network[/len]`.
    Ip6 {
        /// The network address.
        addr: Ipv6Addr,
        /// The prefix length.
        prefix: u8,
    },
    /// `exists:domain`.
    Exists(MacroString),
}

impl Mechanism {
    /// Whether evaluating it costs one of the 10 DNS lookups (RFC 7208 4.6.4).
    pub fn costs_lookup(&self) -> bool {
        matches!(
            self,
            Mechanism::Include(_)
                | Mechanism::A { .. }
                | Mechanism::Mx { .. }
                | Mechanism::Ptr(_)
                | Mechanism::Exists(_)
        )
    }
}

/// A modifier (RFC 7208 section 6).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Modifier {
    /// `redirect=domain`.
    Redirect(MacroString),
    /// `exp=domain`.
    Exp(MacroString),
    /// Any other `name=value`, which evaluation ignores.
    Unknown {
        /// The name as written.
        name: String,
        /// The value.
        value: MacroString,
    },
}

/// A macro string: literal text and macros (RFC 7208 section 7).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MacroString {
    /// The parts in order.
    pub parts: Vec<MacroPart>,
}

/// One part of a macro string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MacroPart {
    /// Literal text (`%%`, `%_` and `%-` already turned into `%`, space and `%20`).
    Literal(String),
    /// `%{...}`.
    Macro(Macro),
}

/// One `%{letter digits r delimiters}` macro.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Macro {
    /// Which value.
    pub letter: MacroLetter,
    /// Upper-case letter: URL-escape the value.
    pub escape: bool,
    /// Keep this many right-hand parts (`None`: all).
    pub keep: Option<u32>,
    /// Reverse the parts first.
    pub reverse: bool,
    /// The delimiters to split on (`.` when empty).
    pub delimiters: String,
}

/// The macro letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacroLetter {
    /// `s`: the sender.
    Sender,
    /// `l`: its local part.
    Local,
    /// `o`: its domain.
    SenderDomain,
    /// `d`: the domain being checked.
    Domain,
    /// `i`: the client IP, dotted (nibbles for IPv6).
    Ip,
    /// `p`: the validated name of the client IP.
    Ptr,
    /// `v`: `in-addr` or `ip6`.
    Version,
    /// `h`: the HELO name.
    Helo,
    /// `c`: the client IP, readable (explanations only).
    ClientIp,
    /// `r`: the receiving domain (explanations only).
    Receiver,
    /// `t`: the current time (explanations only).
    Timestamp,
}

impl MacroLetter {
    /// Whether the letter may only appear in explanation text (`c`, `r`, `t`).
    pub fn explanation_only(self) -> bool {
        matches!(
            self,
            MacroLetter::ClientIp | MacroLetter::Receiver | MacroLetter::Timestamp
        )
    }
}

/// A syntax error and where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {position}")]
pub struct SyntaxError {
    /// Byte offset in the record.
    pub position: usize,
    /// What is wrong.
    pub kind: SyntaxErrorKind,
}

/// What kind of syntax error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyntaxErrorKind {
    /// The record does not start with `v=spf1`.
    #[error("not an SPF version 1 record")]
    Version,
    /// A byte outside printable 7-bit ASCII.
    #[error("a byte outside printable ASCII")]
    NonAscii,
    /// A term that is neither a known mechanism nor a `name=value` modifier.
    #[error("unknown mechanism")]
    UnknownMechanism,
    /// A mechanism given an argument it does not take (`all:x`).
    #[error("unexpected argument")]
    UnexpectedArgument,
    /// A mechanism or modifier whose domain is missing or empty.
    #[error("missing domain")]
    MissingDomain,
    /// A domain that does not end in a valid top label or a macro.
    #[error("invalid domain end")]
    BadDomainEnd,
    /// A `%` that starts no valid macro.
    #[error("invalid macro")]
    BadMacro,
    /// `%{c}`, `%{r}` or `%{t}` outside an explanation.
    #[error("macro allowed only in explanations")]
    ExplanationOnlyMacro,
    /// A prefix length that is malformed or too large.
    #[error("invalid prefix length")]
    BadCidr,
    /// An `ip4:` network that is not a dotted quad.
    #[error("invalid IPv4 network")]
    BadIp4,
    /// An `ip6:` network that is not an IPv6 address.
    #[error("invalid IPv6 network")]
    BadIp6,
    /// A modifier name with characters RFC 7208 does not allow.
    #[error("invalid modifier name")]
    BadModifierName,
    /// A second `redirect=` or `exp=`.
    #[error("duplicate modifier")]
    DuplicateModifier,
    /// The record is longer than the parser reads.
    #[error("record too long")]
    TooLong,
}

/// Whether TXT text is an SPF version 1 record: `v=spf1` (any case) then a space or the end.
pub fn is_spf1(text: &[u8]) -> bool {
    text.len() >= 6
        && text[..6].eq_ignore_ascii_case(b"v=spf1")
        && (text.len() == 6 || text[6] == b' ')
}

/// Parses an SPF record; never fails, the errors are in [`Record::errors`].
pub fn parse(text: &[u8]) -> Record {
    let mut errors = Vec::new();
    let len = text.len();
    let text = if text.len() > MAX_RECORD_LEN {
        errors.push(SyntaxError {
            position: MAX_RECORD_LEN,
            kind: SyntaxErrorKind::TooLong,
        });
        &text[..MAX_RECORD_LEN]
    } else {
        text
    };
    let mut record = Record {
        text: String::from_utf8_lossy(text).into_owned(),
        len,
        terms: Vec::new(),
        errors,
    };
    if !is_spf1(text) {
        record.errors.push(SyntaxError {
            position: 0,
            kind: SyntaxErrorKind::Version,
        });
        return record;
    }
    if let Some(p) = text.iter().position(|&b| !(0x20..0x7f).contains(&b)) {
        record.errors.push(SyntaxError {
            position: p,
            kind: SyntaxErrorKind::NonAscii,
        });
    }
    let mut seen_redirect = false;
    let mut seen_exp = false;
    let mut start = 6;
    while start < text.len() {
        if text[start] == b' ' {
            start += 1;
            continue;
        }
        let end = text[start..]
            .iter()
            .position(|&b| b == b' ')
            .map_or(text.len(), |p| start + p);
        let raw = &text[start..end];
        // A term with bytes outside ASCII was reported once above.
        let Ok(term_text) = std::str::from_utf8(raw) else {
            start = end;
            continue;
        };
        if !raw.iter().all(|b| (0x20..0x7f).contains(b)) {
            start = end;
            continue;
        }
        match parse_term(term_text, start) {
            Ok(kind) => {
                let duplicate = match &kind {
                    TermKind::Modifier(Modifier::Redirect(_)) => {
                        std::mem::replace(&mut seen_redirect, true)
                    }
                    TermKind::Modifier(Modifier::Exp(_)) => std::mem::replace(&mut seen_exp, true),
                    _ => false,
                };
                if duplicate {
                    record.errors.push(SyntaxError {
                        position: start,
                        kind: SyntaxErrorKind::DuplicateModifier,
                    });
                }
                record.terms.push(Term {
                    span: start..end,
                    kind,
                });
            }
            Err(e) => record.errors.push(e),
        }
        start = end;
    }
    record
}

/// Whether a byte may appear in a modifier name after the first letter.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

fn parse_term(t: &str, at: usize) -> Result<TermKind, SyntaxError> {
    let err = |offset: usize, kind| SyntaxError {
        position: at + offset,
        kind,
    };
    let b = t.as_bytes();
    // A modifier: a name, then `=`.
    let name_len = b.iter().take_while(|&&c| is_name_byte(c)).count();
    if b.get(name_len) == Some(&b'=') {
        if !b[0].is_ascii_alphabetic() {
            return Err(err(0, SyntaxErrorKind::BadModifierName));
        }
        let name = &t[..name_len];
        let value = &t[name_len + 1..];
        let vat = at + name_len + 1;
        return Ok(TermKind::Modifier(
            if name.eq_ignore_ascii_case("redirect") {
                Modifier::Redirect(domain_spec(value, vat)?)
            } else if name.eq_ignore_ascii_case("exp") {
                Modifier::Exp(domain_spec(value, vat)?)
            } else {
                Modifier::Unknown {
                    name: name.to_string(),
                    value: macro_string(value, vat, false)?,
                }
            },
        ));
    }
    let (qualifier, q_len) = match b.first() {
        Some(b'+') => (Qualifier::Pass, 1),
        Some(b'-') => (Qualifier::Fail, 1),
        Some(b'~') => (Qualifier::SoftFail, 1),
        Some(b'?') => (Qualifier::Neutral, 1),
        _ => (Qualifier::Pass, 0),
    };
    let rest = &t[q_len..];
    let m_len = rest
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    let name = rest[..m_len].to_ascii_lowercase();
    let arg = &rest[m_len..];
    let aat = at + q_len + m_len;
    let aerr = |kind| err(q_len + m_len, kind);
    let mechanism = match name.as_str() {
        "all" if arg.is_empty() => Mechanism::All,
        "all" => return Err(aerr(SyntaxErrorKind::UnexpectedArgument)),
        "include" | "exists" => {
            let Some(spec) = arg.strip_prefix(':') else {
                return Err(aerr(SyntaxErrorKind::MissingDomain));
            };
            let spec = domain_spec(spec, aat + 1)?;
            if name == "include" {
                Mechanism::Include(spec)
            } else {
                Mechanism::Exists(spec)
            }
        }
        "a" | "mx" => {
            let (spec, v4, v6) = split_dual_cidr(arg, aat)?;
            let domain = match spec {
                "" => None,
                s => match s.strip_prefix(':') {
                    Some(d) => Some(domain_spec(d, aat + 1)?),
                    None => return Err(aerr(SyntaxErrorKind::UnexpectedArgument)),
                },
            };
            if name == "a" {
                Mechanism::A { domain, v4, v6 }
            } else {
                Mechanism::Mx { domain, v4, v6 }
            }
        }
        "ptr" => Mechanism::Ptr(match arg {
            "" => None,
            s => match s.strip_prefix(':') {
                Some(d) => Some(domain_spec(d, aat + 1)?),
                None => return Err(aerr(SyntaxErrorKind::UnexpectedArgument)),
            },
        }),
        "ip4" => {
            let (addr, prefix) = network(arg, aat, 32, SyntaxErrorKind::BadIp4)?;
            Mechanism::Ip4 { addr, prefix }
        }
        "ip6" => {
            let (addr, prefix) = network(arg, aat, 128, SyntaxErrorKind::BadIp6)?;
            Mechanism::Ip6 { addr, prefix }
        }
        _ => return Err(err(0, SyntaxErrorKind::UnknownMechanism)),
    };
    Ok(TermKind::Directive(Directive {
        qualifier,
        mechanism,
    }))
}

/// The `:network[/len]` of `ip4` or `ip6` (`at`: the position of the colon).
fn network<A: std::str::FromStr>(
    arg: &str,
    at: usize,
    max: u8,
    bad: SyntaxErrorKind,
) -> Result<(A, u8), SyntaxError> {
    let err = |offset: usize, kind| SyntaxError {
        position: at + offset,
        kind,
    };
    let net = arg.strip_prefix(':').ok_or(err(0, bad))?;
    let (addr, len) = net
        .split_once('/')
        .map_or((net, None), |(a, l)| (a, Some(l)));
    let prefix = match len {
        None => max,
        Some(l) => cidr(l, max).ok_or(err(1 + addr.len(), SyntaxErrorKind::BadCidr))?,
    };
    let addr = addr.parse::<A>().map_err(|_| err(1, bad))?;
    Ok((addr, prefix))
}

/// A prefix length: `0`, or digits without a leading zero, at most `max`.
fn cidr(digits: &str, max: u8) -> Option<u8> {
    if digits.is_empty()
        || digits.len() > 3
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    digits.parse::<u8>().ok().filter(|&n| n <= max)
}

/// Splits `[:domain][/v4][//v6]` into the domain part and the two prefix lengths.
fn split_dual_cidr(arg: &str, at: usize) -> Result<(&str, u8, u8), SyntaxError> {
    let bad = |p: usize| SyntaxError {
        position: at + p,
        kind: SyntaxErrorKind::BadCidr,
    };
    let mut rest = arg;
    let mut v6 = 128;
    let mut v4 = 32;
    if let Some(p) = rest.rfind("//") {
        if rest[p + 2..].bytes().all(|b| b.is_ascii_digit()) {
            v6 = cidr(&rest[p + 2..], 128).ok_or(bad(p))?;
            rest = &rest[..p];
        }
    }
    if let Some(p) = rest.rfind('/') {
        if rest[p + 1..].bytes().all(|b| b.is_ascii_digit()) {
            v4 = cidr(&rest[p + 1..], 32).ok_or(bad(p))?;
            rest = &rest[..p];
        }
    }
    Ok((rest, v4, v6))
}

/// A domain-spec: a macro string that ends in `.toplabel[.]` or in a macro.
fn domain_spec(s: &str, at: usize) -> Result<MacroString, SyntaxError> {
    if s.is_empty() {
        return Err(SyntaxError {
            position: at,
            kind: SyntaxErrorKind::MissingDomain,
        });
    }
    let m = macro_string(s, at, false)?;
    let bad_end = SyntaxError {
        position: at + s.len(),
        kind: SyntaxErrorKind::BadDomainEnd,
    };
    // The domain must end in a macro-expand, or in "." toplabel ["."].
    if s.ends_with('}') && matches!(m.parts.last(), Some(MacroPart::Macro(_))) {
        return Ok(m);
    }
    if s.ends_with("%%") || s.ends_with("%_") || s.ends_with("%-") {
        return Ok(m);
    }
    let body = s.strip_suffix('.').unwrap_or(s);
    let Some(dot) = body.rfind('.') else {
        return Err(bad_end);
    };
    if body[..dot].ends_with('%') || !is_toplabel(&body[dot + 1..]) {
        return Err(bad_end);
    }
    Ok(m)
}

/// RFC 7208 `toplabel`: letters, digits and inner hyphens, not all digits.
fn is_toplabel(l: &str) -> bool {
    let b = l.as_bytes();
    !b.is_empty()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && (b.contains(&b'-') || b.iter().any(u8::is_ascii_alphabetic))
}

/// Parses a macro string; `explanation` allows spaces and the `c`, `r`, `t` letters.
pub(crate) fn macro_string(
    s: &str,
    at: usize,
    explanation: bool,
) -> Result<MacroString, SyntaxError> {
    let err = |p: usize, kind| SyntaxError {
        position: at + p,
        kind,
    };
    let b = s.as_bytes();
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c != b'%' {
            let ok = if explanation {
                (0x20..0x7f).contains(&c)
            } else {
                (0x21..0x7f).contains(&c)
            };
            if !ok {
                return Err(err(i, SyntaxErrorKind::NonAscii));
            }
            lit.push(char::from(c));
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'%') => lit.push('%'),
            Some(b'_') => lit.push(' '),
            Some(b'-') => lit.push_str("%20"),
            Some(b'{') => {
                let close = b[i..]
                    .iter()
                    .position(|&x| x == b'}')
                    .ok_or(err(i, SyntaxErrorKind::BadMacro))?;
                let body = &s[i + 2..i + close];
                let m = parse_macro(body).ok_or(err(i, SyntaxErrorKind::BadMacro))?;
                if m.letter.explanation_only() && !explanation {
                    return Err(err(i, SyntaxErrorKind::ExplanationOnlyMacro));
                }
                if !lit.is_empty() {
                    parts.push(MacroPart::Literal(std::mem::take(&mut lit)));
                }
                parts.push(MacroPart::Macro(m));
                i += close + 1;
                continue;
            }
            _ => return Err(err(i, SyntaxErrorKind::BadMacro)),
        }
        i += 2;
    }
    if !lit.is_empty() {
        parts.push(MacroPart::Literal(lit));
    }
    Ok(MacroString { parts })
}

/// The inside of `%{...}`: a letter, digits, an optional `r`, delimiters.
fn parse_macro(body: &str) -> Option<Macro> {
    let b = body.as_bytes();
    let first = *b.first()?;
    let letter = match first.to_ascii_lowercase() {
        b's' => MacroLetter::Sender,
        b'l' => MacroLetter::Local,
        b'o' => MacroLetter::SenderDomain,
        b'd' => MacroLetter::Domain,
        b'i' => MacroLetter::Ip,
        b'p' => MacroLetter::Ptr,
        b'v' => MacroLetter::Version,
        b'h' => MacroLetter::Helo,
        b'c' => MacroLetter::ClientIp,
        b'r' => MacroLetter::Receiver,
        b't' => MacroLetter::Timestamp,
        _ => return None,
    };
    let mut i = 1;
    let digits_end = i + b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let keep = if digits_end > i {
        // Huge numbers keep every part, as a number over the count of parts does.
        let n = body[i..digits_end].parse::<u32>().unwrap_or(u32::MAX);
        if n == 0 {
            return None;
        }
        Some(n)
    } else {
        None
    };
    i = digits_end;
    let reverse = matches!(b.get(i), Some(b'r' | b'R'));
    if reverse {
        i += 1;
    }
    let delimiters = &body[i..];
    if !delimiters
        .bytes()
        .all(|c| matches!(c, b'.' | b'-' | b'+' | b',' | b'/' | b'_' | b'='))
    {
        return None;
    }
    Some(Macro {
        letter,
        escape: first.is_ascii_uppercase(),
        keep,
        reverse,
        delimiters: delimiters.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(r: &Record) -> Vec<(usize, SyntaxErrorKind)> {
        r.errors.iter().map(|e| (e.position, e.kind)).collect()
    }

    #[test]
    fn parses_every_mechanism() {
        let r = parse(b"v=spf1 +a -mx:example.com/24//64 ~ptr ?ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.example.com exists:%{ir}.x.example.com redirect=example.org exp=e.%{d} moo=x -all");
        assert_eq!(r.errors, []);
        assert_eq!(r.terms.len(), 11);
        let TermKind::Directive(d) = &r.terms[1].kind else {
            panic!("{:?}", r.terms[1]);
        };
        assert_eq!(d.qualifier, Qualifier::Fail);
        assert!(matches!(
            d.mechanism,
            Mechanism::Mx {
                v4: 24,
                v6: 64,
                domain: Some(_)
            }
        ));
        assert_eq!(r.terms[1].span, 10..32);
    }

    #[test]
    fn reports_every_error_with_its_position() {
        let r = parse(b"v=spf1 ip4:127.0.0.0/33 foo:bar -all");
        assert_eq!(
            kinds(&r),
            [
                (20, SyntaxErrorKind::BadCidr),
                (24, SyntaxErrorKind::UnknownMechanism)
            ]
        );
        let r = parse(b"v=spf1 a:example.com/024");
        assert_eq!(kinds(&r), [(20, SyntaxErrorKind::BadCidr)]);
        assert_eq!(
            kinds(&parse(b"v=spf1 a:museum")),
            [(15, SyntaxErrorKind::BadDomainEnd)]
        );
        assert_eq!(
            kinds(&parse(b"v=spf1 a:1.2.3.4")),
            [(16, SyntaxErrorKind::BadDomainEnd)]
        );
        assert_eq!(
            kinds(&parse(b"v=spf1 include:")),
            [(15, SyntaxErrorKind::MissingDomain)]
        );
        assert_eq!(
            kinds(&parse(b"v=spf1 exists:%{x}.example.com")),
            [(14, SyntaxErrorKind::BadMacro)]
        );
        assert_eq!(
            kinds(&parse(
                b"v=spf1 redirect=a.example.com redirect=b.example.com"
            )),
            [(30, SyntaxErrorKind::DuplicateModifier)]
        );
        assert_eq!(
            kinds(&parse(b"v=spf1 \x80a -all")),
            [(7, SyntaxErrorKind::NonAscii)]
        );
        assert_eq!(kinds(&parse(b"v=spf10")), [(0, SyntaxErrorKind::Version)]);
    }

    #[test]
    fn macros() {
        let r = parse(b"v=spf1 exists:%{L2r-+}.%%%_%-.%{d}");
        assert_eq!(r.errors, []);
        let TermKind::Directive(Directive {
            mechanism: Mechanism::Exists(m),
            ..
        }) = &r.terms[0].kind
        else {
            panic!();
        };
        assert_eq!(
            m.parts[0],
            MacroPart::Macro(Macro {
                letter: MacroLetter::Local,
                escape: true,
                keep: Some(2),
                reverse: true,
                delimiters: "-+".into()
            })
        );
        assert_eq!(m.parts[1], MacroPart::Literal(".% %20.".into()));
        assert!(parse(b"v=spf1 a:%{c}.example.com").errors.len() == 1);
        assert!(macro_string("from %{c} at %{t}", 0, true).is_ok());
        assert!(parse(b"v=spf1 a:%{d0}.example.com").errors.len() == 1);
    }
}
