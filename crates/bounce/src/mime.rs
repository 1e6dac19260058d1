//! A message's MIME structure, as decoding reads it.
//!
//! The walk is mail-parser's (`MessageParser::parse`, followed step by step: the same header
//! field parsers, the same boundary rules, the same recovery from a boundary that never comes,
//! the same test for an attached message that is no message),
//! written out here because decoding reads a small part of what that parse builds, and the rest
//! was most of its time:
//! - a part's body is kept as the range of its bytes, and decoded only when decoding reads it
//!   ([`crate::part_text`]): mail-parser converts every text part to UTF-8 as it parses, the HTML
//!   alternatives and the attached original's parts included;
//! - an attached message (message/rfc822) is read for its header fields only, its end found by
//!   its parent's boundary (which, by RFC 2046, 5.1.1, appears nowhere inside it); mail-parser
//!   parses every part of it, and when its own multipart never closes, takes in the rest of the
//!   input, the parent's later parts included;
//! - the header fields decoding never reads as values are stepped over a line at a time, by
//!   memchr, and the fields it reads are told by their name, not looked up in a hash map;
//! - boundaries are found by memmem, where mail-parser looks at every byte in turn.

use crate::text;
use mail_parser::decoders::base64::base64_decode;
use mail_parser::parsers::MessageStream;
use mail_parser::{ContentType, GetHeader, Header, HeaderName, HeaderValue};
use memchr::memmem::Finder;
use std::borrow::Cow;

/// A message's parts in the order their starts are met: the root part (which holds the
/// message's header fields) first.
#[derive(Debug)]
pub(crate) struct Mime<'x> {
    /// The message's bytes.
    pub raw: &'x [u8],
    /// The parts, the root first; a multipart is followed by its parts.
    pub parts: Vec<Part<'x>>,
    /// The walk stopped at [`crate::MAX_PARTS`] parts.
    pub cut: bool,
}

/// One MIME part.
#[derive(Debug)]
pub(crate) struct Part<'x> {
    /// Its header fields, in order; only the ones decoding reads have a parsed value.
    pub headers: Vec<Header<'x>>,
    /// Where its body starts in the message.
    pub offset_body: usize,
    /// Where its body ends.
    pub offset_end: usize,
    /// What its body is.
    pub body: Body<'x>,
    /// Its body or structure was broken (a boundary that never came, an attached message
    /// without header fields).
    pub encoding_problem: bool,
}

/// What a part's body is, as mail-parser would class it.
#[derive(Debug)]
pub(crate) enum Body<'x> {
    /// A multipart, whose parts follow it.
    Multipart,
    /// Text (text/*, an untyped part, or a multipart whose boundary never comes).
    Text,
    /// A text/html part.
    Html,
    /// Anything else: not text.
    Binary,
    /// An attached message.
    Message(Nested<'x>),
}

/// An attached message: its bytes (decoded from its transfer encoding) and its header fields.
#[derive(Debug)]
pub(crate) struct Nested<'x> {
    /// Its bytes.
    pub raw: Cow<'x, [u8]>,
    /// Its header fields.
    pub headers: Vec<Header<'x>>,
}

/// A transfer encoding the walk leaves for decoding to undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Base64,
    QuotedPrintable,
}

impl Encoding {
    /// `bytes` with this encoding undone: base64 by mail-parser's decoder (`None` when it does
    /// not decode), quoted-printable leniently by [`text::decode_quoted_printable`].
    pub(crate) fn decode(self, bytes: &[u8]) -> Option<Vec<u8>> {
        match self {
            Encoding::Base64 => base64_decode(bytes),
            Encoding::QuotedPrintable => Some(text::decode_quoted_printable(bytes)),
        }
    }
}

impl Part<'_> {
    /// Its Content-Type.
    pub(crate) fn content_type(&self) -> Option<&ContentType<'_>> {
        content_type(&self.headers)
    }

    /// Its Content-Transfer-Encoding when that is base64 or quoted-printable.
    pub(crate) fn encoding(&self) -> Option<Encoding> {
        encoding(&self.headers)
    }
}

/// The Content-Type among `headers` (the last one, as mail-parser reads it).
pub(crate) fn content_type<'a>(headers: &'a Vec<Header<'_>>) -> Option<&'a ContentType<'a>> {
    headers
        .header_value(&HeaderName::ContentType)
        .and_then(HeaderValue::as_content_type)
}

/// The transfer encoding among `headers`, read as a token with the Content-Type syntax.
fn encoding(headers: &[Header<'_>]) -> Option<Encoding> {
    headers.iter().find_map(|h| match (&h.name, &h.value) {
        (HeaderName::ContentTransferEncoding, HeaderValue::ContentType(token)) => {
            let token = token.ctype();
            if token.eq_ignore_ascii_case("base64") {
                Some(Encoding::Base64)
            } else if token.eq_ignore_ascii_case("quoted-printable") {
                Some(Encoding::QuotedPrintable)
            } else {
                None
            }
        }
        _ => None,
    })
}

/// The kinds of part mail-parser tells apart by Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Multipart { digest: bool },
    Text,
    Html,
    Binary,
    Message,
}

/// The kind of a part of type `ctype`, in a multipart/digest (where untyped parts are messages)
/// or not.
fn kind(ctype: Option<&ContentType<'_>>, in_digest: bool) -> Kind {
    match ctype {
        Some(c) => match c.ctype() {
            "multipart" => Kind::Multipart {
                digest: c.subtype() == Some("digest"),
            },
            "text" if c.subtype() == Some("html") => Kind::Html,
            "text" => Kind::Text,
            "message" if matches!(c.subtype(), Some("rfc822" | "global")) => Kind::Message,
            _ => Kind::Binary,
        },
        None if in_digest => Kind::Message,
        None => Kind::Text,
    }
}

/// A multipart whose end has not been met.
struct Open {
    /// Its index in [`Mime::parts`].
    part: usize,
    /// Finds `--` and its boundary.
    delimiter: Finder<'static>,
    /// It is a multipart/digest.
    digest: bool,
}

/// The structure of the message `raw`; `None` when it has no header field.
pub(crate) fn parse(raw: &[u8]) -> Option<Mime<'_>> {
    let mut stream = MessageStream::new(raw);
    let mut parts: Vec<Part<'_>> = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut unfinished = Vec::new();
    let mut cut = false;
    'parts: loop {
        if parts.len() >= crate::MAX_PARTS {
            cut = true;
            break;
        }
        let mut headers = Vec::new();
        if !read_headers(&mut stream, &mut headers) {
            unfinished = headers;
            break;
        }
        let offset_body = stream.offset();
        let ctype = content_type(&headers);
        let mut kind = kind(ctype, open.last().is_some_and(|o| o.digest));
        if let Kind::Multipart { digest } = kind {
            match ctype.and_then(|c| c.attribute("boundary")) {
                Some(boundary) => {
                    let delimiter =
                        Finder::new(&[b"--", boundary.as_bytes()].concat()).into_owned();
                    let parent = open.last().map(|o| &o.delimiter);
                    if seek_first(&mut stream, &delimiter, parent).is_some() {
                        parts.push(Part {
                            headers,
                            offset_body,
                            offset_end: offset_body,
                            body: Body::Multipart,
                            encoding_problem: false,
                        });
                        open.push(Open {
                            part: parts.len() - 1,
                            delimiter,
                            digest,
                        });
                        stream.skip_crlf();
                        continue;
                    }
                    // A boundary that never comes: the rest is text.
                    kind = Kind::Text;
                }
                None => kind = Kind::Binary,
            }
        }
        let end = match open.last() {
            Some(o) => part_end(&mut stream, &o.delimiter),
            None => {
                stream.seek_end();
                Some(raw.len())
            }
        };
        let offset_end = end.unwrap_or(raw.len());
        let (body, encoding_problem) = match (kind, end) {
            // An attached message is read even when its multipart never closes.
            (Kind::Message, _) => nested(raw, offset_body, offset_end, encoding(&headers)),
            (_, None) => (Body::Text, true),
            (Kind::Html, _) => (Body::Html, false),
            (Kind::Text, _) => (Body::Text, false),
            (Kind::Binary | Kind::Multipart { .. }, _) => (Body::Binary, false),
        };
        parts.push(Part {
            headers,
            offset_body,
            offset_end,
            body,
            encoding_problem,
        });
        if end.is_none() {
            // The rest is this part's: the multiparts still open end where it does.
            stream.seek_end();
            break;
        }
        if open.is_empty() {
            break;
        }
        // After a boundary: the next part's header fields, or the end of one or more multiparts.
        while stream.is_multipart_end() {
            let closed = open.pop().map_or(0, |o| o.part);
            let next = open.last().and_then(|o| seek(&mut stream, &o.delimiter));
            parts[closed].offset_end = next.unwrap_or(stream.offset());
            if next.is_none() {
                break 'parts;
            }
        }
    }
    for o in open {
        parts[o.part].offset_end = stream.offset();
    }
    match parts.first_mut() {
        Some(root) => root.offset_end = raw.len(),
        // Header fields without a body.
        None if !unfinished.is_empty() => parts.push(Part {
            headers: unfinished,
            offset_body: raw.len(),
            offset_end: raw.len(),
            body: Body::Text,
            encoding_problem: true,
        }),
        None => return None,
    }
    Some(Mime { raw, parts, cut })
}

/// An attached message whose bytes are `raw[start..end]`, in `encoding`, as mail-parser reads
/// it: its header fields, or text with an encoding problem when it has none that end (unencoded,
/// they are read on past `end`, as mail-parser does) or its base64 does not decode; with its
/// transfer encoding undone, it is no message (binary, with an encoding problem) only when it
/// has no header field at all.
fn nested(raw: &[u8], start: usize, end: usize, encoding: Option<Encoding>) -> (Body<'_>, bool) {
    let decoded = match encoding {
        None => {
            let mut headers = Vec::new();
            if !read_headers(&mut MessageStream::new(&raw[start..]), &mut headers) {
                return (Body::Text, true);
            }
            let raw = Cow::Borrowed(&raw[start..end]);
            return (Body::Message(Nested { raw, headers }), false);
        }
        Some(encoding) => match encoding.decode(&raw[start..end]) {
            Some(decoded) => decoded,
            None => return (Body::Text, true),
        },
    };
    let mut headers = Vec::new();
    if !read_headers(&mut MessageStream::new(&decoded), &mut headers) && headers.is_empty() {
        return (Body::Binary, true);
    }
    let headers = headers.into_iter().map(Header::into_owned).collect();
    let raw = Cow::Owned(decoded);
    (Body::Message(Nested { raw, headers }), false)
}

/// Reads one part's header fields into `out`, up to and including the empty line after them;
/// false when the input ends first (mail-parser's `MessageStream::parse_headers`, with the value
/// parsers decoding uses).
fn read_headers<'x>(stream: &mut MessageStream<'x>, out: &mut Vec<Header<'x>>) -> bool {
    loop {
        loop {
            match stream.peek() {
                Some(b'\n') => {
                    stream.next();
                    return true;
                }
                None => return false,
                Some(ch) if !ch.is_ascii_whitespace() => break,
                _ => {
                    stream.next();
                }
            }
        }
        let offset_field = stream.offset();
        if let Some(name) = stream.parse_header_name() {
            let offset_start = stream.offset();
            let value = match name {
                // Content-Transfer-Encoding as a token (the walk leaves encodings to decoding).
                HeaderName::ContentType | HeaderName::ContentTransferEncoding => {
                    stream.parse_content_type()
                }
                HeaderName::Subject => stream.parse_unstructured(),
                HeaderName::From | HeaderName::To => stream.parse_address(),
                HeaderName::MessageId | HeaderName::ReturnPath => stream.parse_id(),
                _ => {
                    skip_field(stream);
                    HeaderValue::Empty
                }
            };
            out.push(Header {
                name,
                value,
                offset_field: offset_field as u32,
                offset_start: offset_start as u32,
                offset_end: stream.offset() as u32,
            });
        } else if stream.is_eof() {
            return false;
        }
    }
}

/// Steps over a header field's value: to the end of its last line (mail-parser's
/// `MessageStream::parse_and_ignore`, a line at a time).
fn skip_field(stream: &mut MessageStream<'_>) {
    let rest = stream.bytes(stream.offset()..stream.len());
    let mut at = 0;
    loop {
        match memchr::memchr(b'\n', &rest[at..]) {
            None => {
                at = rest.len();
                break;
            }
            Some(nl) => {
                at += nl + 1;
                if !matches!(rest.get(at), Some(b' ' | b'\t')) {
                    break;
                }
                at += 1;
            }
        }
    }
    if at > 0 {
        stream.skip_bytes(at);
    }
}

/// Moves past the next `--boundary` and returns where the last line break before it starts (or
/// the start of the search): mail-parser's `MessageStream::seek_next_part_offset`. `None`, the
/// stream unmoved, when there is none.
fn seek(stream: &mut MessageStream<'_>, delimiter: &Finder<'_>) -> Option<usize> {
    let start = stream.offset();
    let rest = stream.bytes(start..stream.len());
    let at = delimiter.find(rest)?;
    let line_break = memchr::memrchr(b'\n', &rest[..at]).map_or(start, |nl| {
        if nl > 0 && rest[nl - 1] == b'\r' {
            start + nl - 1
        } else {
            start + nl
        }
    });
    stream.skip_bytes(at + delimiter.needle().len());
    Some(line_break)
}

/// [`seek`] for the first `delimiter` of a multipart that is a part of the multipart whose
/// delimiter is `parent`: one that comes only after the parent's next delimiter is not this
/// multipart's (by RFC 2046, 5.1.1, the multipart lies inside its part). The two are looked for
/// in windows that double, so that a boundary that never comes costs the length of its part,
/// not of the rest of the input: a message of many such parts would take quadratic time (4.9
/// MB of them took 8 s with an unbounded search, and mail-parser's `seek_next_part` is as slow).
fn seek_first(
    stream: &mut MessageStream<'_>,
    delimiter: &Finder<'_>,
    parent: Option<&Finder<'_>>,
) -> Option<usize> {
    let Some(parent) = parent else {
        return seek(stream, delimiter);
    };
    let rest = stream.bytes(stream.offset()..stream.len());
    // A match found in a prefix is the first match: an earlier one would be in the prefix too.
    let starts_within = |finder: &Finder<'_>, window: usize| {
        let reach = window.saturating_add(finder.needle().len()).min(rest.len());
        finder.find(&rest[..reach]).is_some()
    };
    let mut window = 4096;
    loop {
        if starts_within(delimiter, window) {
            return seek(stream, delimiter);
        }
        if window >= rest.len() || starts_within(parent, window) {
            return None;
        }
        window = window.saturating_mul(2);
    }
}

/// Moves past the next `--boundary` and returns where the body before it ends: before the line
/// break in front of the delimiter, or at the delimiter when it is not at a line's start
/// (mail-parser's `MessageStream::mime_part`). `None`, the stream unmoved, when there is none.
fn part_end(stream: &mut MessageStream<'_>, delimiter: &Finder<'_>) -> Option<usize> {
    let start = stream.offset();
    let rest = stream.bytes(start..stream.len());
    let at = delimiter.find(rest)?;
    let end = match at.checked_sub(1).map(|i| rest[i]) {
        None => start,
        Some(b'\n') if at >= 2 && rest[at - 2] == b'\r' => start + at - 2,
        Some(b'\n') => start + at - 1,
        Some(_) => start + at,
    };
    stream.skip_bytes(at + delimiter.needle().len());
    Some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts of `raw`: their body kinds, encoding problems and bodies as text.
    fn walk(raw: &[u8]) -> Vec<(&'static str, bool, String)> {
        let parts = walk_parts(raw).expect("a message with header fields");
        parts
            .into_iter()
            .map(|(kind, problem, body, end)| {
                (
                    kind,
                    problem,
                    String::from_utf8_lossy(&raw[body..end]).into_owned(),
                )
            })
            .collect()
    }

    /// The Subject of the attached message that is the `at`th part of `raw`.
    fn attached_subject(raw: &[u8], at: usize) -> Option<String> {
        let mime = parse(raw)?;
        match &mime.parts.get(at)?.body {
            Body::Message(m) => m
                .headers
                .header_value(&HeaderName::Subject)
                .and_then(HeaderValue::as_text)
                .map(str::to_string),
            _ => None,
        }
    }

    const HEAD: &str =
        "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n";

    #[test]
    fn parts_and_their_bodies() {
        let raw = format!(
            "{HEAD}preamble\r\n--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n\
--B\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--B\r\n\
Content-Type: image/png\r\n\r\nPNG\r\n--B--\r\nepilogue\r\n"
        );
        let parts = walk(raw.as_bytes());
        let kinds: Vec<_> = parts.iter().map(|p| (p.0, p.1)).collect();
        assert_eq!(
            kinds,
            [
                ("multipart", false),
                ("text", false),
                ("html", false),
                ("binary", false)
            ]
        );
        assert_eq!(parts[1].2, "hello");
        assert_eq!(parts[2].2, "<p>hi</p>");
        assert_eq!(parts[3].2, "PNG");
    }

    #[test]
    fn nested_multiparts_close_in_turn() {
        let raw = format!(
            "{HEAD}--B\r\nContent-Type: multipart/alternative; boundary=\"C\"\r\n\r\n\
--C\r\nContent-Type: text/plain\r\n\r\ninner\r\n--C--\r\n\
--B\r\nContent-Type: text/plain\r\n\r\nouter\r\n--B--\r\n"
        );
        let parts = walk(raw.as_bytes());
        let bodies: Vec<_> = parts.iter().map(|p| (p.0, p.2.as_str())).collect();
        assert_eq!(bodies[2], ("text", "inner"));
        assert_eq!(bodies[3], ("text", "outer"));
        assert!(parts.iter().all(|p| !p.1));
    }

    #[test]
    fn a_boundary_that_never_comes_makes_the_multipart_text() {
        let raw = format!("{HEAD}no parts here\r\n");
        assert_eq!(
            walk(raw.as_bytes()),
            [("text", false, raw[HEAD.len()..].into())]
        );
    }

    #[test]
    fn a_multipart_that_never_closes_keeps_its_last_part() {
        let raw = format!("{HEAD}--B\r\nContent-Type: text/plain\r\n\r\ncut here");
        let parts = walk(raw.as_bytes());
        assert_eq!(parts[1], ("text", true, "cut here".into()));
    }

    #[test]
    fn attached_messages_are_read_for_their_header_fields() {
        let raw = format!(
            "{HEAD}--B\r\nContent-Type: message/rfc822\r\n\r\nSubject: the original\r\n\r\nbody\r\n\
--B\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n\
U3ViamVjdDogZW5jb2RlZAoKYm9keQo=\r\n--B--\r\n"
        );
        assert_eq!(
            attached_subject(raw.as_bytes(), 1).as_deref(),
            Some("the original")
        );
        assert_eq!(
            attached_subject(raw.as_bytes(), 2).as_deref(),
            Some("encoded")
        );
    }

    #[test]
    fn an_attached_message_without_header_fields_is_text_with_a_problem() {
        let raw = format!("{HEAD}--B\r\nContent-Type: message/rfc822\r\n\r\n");
        assert_eq!(walk(raw.as_bytes())[1], ("text", true, String::new()));
        let bad = format!(
            "{HEAD}--B\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n\
!!! not base64\r\n--B--\r\n"
        );
        assert_eq!(walk(bad.as_bytes())[1].0, "text");
        assert!(walk(bad.as_bytes())[1].1);
    }

    #[test]
    fn header_fields_without_a_body() {
        let parts = walk(b"Subject: only this\r\n");
        assert_eq!(parts, [("text", true, String::new())]);
        assert!(parse(b"").is_none());
    }

    /// mail-parser's `parse`, told (as the walk does) to leave transfer encodings undone and to
    /// parse only the header fields decoding reads: the walk must find the same parts.
    fn mail_parser_parts(raw: &[u8]) -> Option<Vec<(&'static str, bool, usize, usize)>> {
        use mail_parser::{MessageParser, PartType};
        let parser = MessageParser::new()
            .header_content_type(HeaderName::ContentTransferEncoding)
            .header_content_type(HeaderName::ContentType)
            .header_text(HeaderName::Subject)
            .header_address(HeaderName::From)
            .header_address(HeaderName::To)
            .header_id(HeaderName::MessageId)
            .header_id(HeaderName::ReturnPath)
            .default_header_ignore();
        let message = parser.parse(raw)?;
        let parts = message.parts.iter().map(|p| {
            let kind = match &p.body {
                PartType::Multipart(_) => "multipart",
                PartType::Text(_) => "text",
                PartType::Html(_) => "html",
                PartType::Binary(_) | PartType::InlineBinary(_) => "binary",
                PartType::Message(_) => "message",
            };
            let (body, end) = (p.offset_body as usize, p.offset_end as usize);
            (kind, p.is_encoding_problem, body, end)
        });
        Some(parts.collect())
    }

    /// The walk's parts of `raw`, as [`mail_parser_parts`] gives them.
    fn walk_parts(raw: &[u8]) -> Option<Vec<(&'static str, bool, usize, usize)>> {
        let mime = parse(raw)?;
        let parts = mime.parts.iter().map(|p| {
            let kind = match &p.body {
                Body::Multipart => "multipart",
                Body::Text => "text",
                Body::Html => "html",
                Body::Binary => "binary",
                Body::Message(_) => "message",
            };
            (kind, p.encoding_problem, p.offset_body, p.offset_end)
        });
        Some(parts.collect())
    }

    /// True when `raw` has an attached message with a transfer encoding, which mail-parser (told
    /// to leave encodings undone) reads as header fields and the walk decodes first.
    fn has_encoded_message(raw: &[u8]) -> bool {
        parse(raw).is_some_and(|m| {
            m.parts
                .iter()
                .any(|p| matches!(p.body, Body::Message(_)) && p.encoding().is_some())
        })
    }

    /// Every file of the bounce corpus, whole, cut at fifteen points, and with its closing
    /// delimiters made plain ones (multiparts that never close): the walk finds the parts
    /// mail-parser finds, with the same kinds, offsets and encoding problems.
    #[test]
    fn the_walk_finds_mail_parsers_parts() {
        let Some(dir) = smtp_doctor_testkit::shared("corpus/bounces", &["maildir/bsd"]) else {
            return;
        };
        let mut files = Vec::new();
        let mut dirs = vec![dir];
        while let Some(d) = dirs.pop() {
            for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        files.sort();
        let (mut compared, mut took, mut differ) = (0, 0, Vec::new());
        for file in &files {
            let Ok(whole) = std::fs::read(file) else {
                continue;
            };
            // Each closing delimiter (`--boundary--`) made a plain one (`--boundary`).
            let unclosed: Vec<u8> = whole
                .split_inclusive(|&b| b == b'\n')
                .flat_map(|line| {
                    let text = line.trim_ascii_end();
                    let closes = text.len() > 4 && text.starts_with(b"--") && text.ends_with(b"--");
                    let (head, tail) = line.split_at(text.len());
                    let head = if closes {
                        &head[..head.len() - 2]
                    } else {
                        head
                    };
                    head.iter().chain(tail).copied()
                })
                .collect();
            let cuts = (1..16).map(|k| &whole[..whole.len() * k / 16]);
            for raw in std::iter::once(&whole[..])
                .chain(cuts)
                .chain([&unclosed[..]])
            {
                if has_encoded_message(raw) {
                    continue;
                }
                compared += 1;
                let (ours, theirs) = (walk_parts(raw), mail_parser_parts(raw));
                // An attached message ends at its parent's next boundary, or with the input when
                // there is none; mail-parser ends it where the walk of its own parts stopped
                // (the input's end when its own multipart never closes), so its end is not
                // compared.
                let unend = |parts: Option<Vec<(&'static str, bool, usize, usize)>>| {
                    parts.map(|v| {
                        let v = v.into_iter();
                        v.map(|(k, e, b, end)| (k, e, b, if k == "message" { 0 } else { end }))
                            .collect::<Vec<_>>()
                    })
                };
                let (ours, theirs) = (unend(ours), unend(theirs));
                // An attached message whose own multipart never closes takes the rest of the
                // input in mail-parser, its parent's boundaries included; the walk ends it at
                // its parent's next boundary (which, by RFC 2046, 5.1.1, cannot be inside it)
                // and goes on with the parts after it.
                let took_the_rest = match (&ours, &theirs) {
                    (Some(o), Some(t)) => {
                        t.len() < o.len()
                            && o[..t.len()] == t[..]
                            && t.last().is_some_and(|p| p.0 == "message")
                    }
                    _ => false,
                };
                took += usize::from(took_the_rest);
                if ours != theirs && !took_the_rest {
                    differ.push(format!(
                        "{} ({} bytes): walk {ours:?}, mail-parser {theirs:?}",
                        file.display(),
                        raw.len()
                    ));
                }
            }
        }
        println!("{compared} inputs compared, {took} with an attached message that took the rest");
        assert!(compared > 10_000, "only {compared} inputs compared");
        assert!(
            differ.is_empty(),
            "{} of {compared} differ:\n{}",
            differ.len(),
            differ[..differ.len().min(10)].join("\n")
        );
    }
}
