//! Non-delivery reports, decoded per recipient.
//!
//! [`parse`] takes one message's bytes and returns a [`Report`] when it is a bounce (an RFC 3464
//! delivery status notification or a vendor's own non-delivery format), an RFC 3834 auto-reply or
//! an RFC 5965 feedback report, and `None` for anything else. Each [`Recipient`] carries the
//! fields of the report (status, reply code, diagnostic text, MTAs, date) and, for bounces, the
//! finding of the shared classifier (`smtp_doctor_kb::builtin().classify`) on its diagnostic
//! text: this crate never classifies by itself. [`read`] finds the messages in files,
//! directories, Maildirs, mboxes, `.gz` files and standard input.
//!
//! MIME is walked by [`mime`] with mail-parser's stream and field parsers; the RFC 3464 field
//! parser ([`dsn`]'s groups), the auto-reply test and the vendor heuristics (tables of marker
//! phrases in `vendor.rs`) are written here.
#![forbid(unsafe_code)]

mod autoreply;
mod dsn;
mod mime;
pub mod read;
mod reason;
mod ses;
mod text;
mod vendor;

pub use reason::{is_hard_bounce, sisimai_reason, REASON_MAP};

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{GetHeader, HeaderName, HeaderValue};
use smtp_doctor_model::{EnhancedCode, Evidence, Finding, ReplyCode, Source, Stage};
use std::borrow::Cow;

/// The most bytes of one message that are parsed; the rest is cut with a [`Note::Truncated`].
pub const MAX_MESSAGE: usize = 50 * 1024 * 1024;
/// The most recipients reported for one message.
pub const MAX_RECIPIENTS: usize = 10_000;

/// The most MIME parts of one message that are read; the rest is left out with a
/// [`Note::TooManyParts`].
pub const MAX_PARTS: usize = 10_000;
/// The most bytes of one recipient's diagnostic text given to the classifier.
const MAX_DIAGNOSTIC: usize = 8 * 1024;

/// What kind of report a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A non-delivery or delay report (or a delivery success DSN).
    Bounce,
    /// An RFC 3834 automatic reply (vacation, out of office): not a bounce.
    AutoReply,
    /// An RFC 5965 ARF feedback report (complaint, opt-out, authentication failure).
    Feedback,
}

impl Kind {
    /// The name used in reports and JSON: `bounce`, `auto-reply`, `feedback`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Bounce => "bounce",
            Kind::AutoReply => "auto-reply",
            Kind::Feedback => "feedback",
        }
    }
}

/// Something done to the input, or noticed in it, that the reader should know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Note {
    /// The message was longer than [`MAX_MESSAGE`]; only its start was parsed.
    Truncated {
        /// Bytes in the message.
        original_bytes: usize,
        /// Bytes parsed.
        kept_bytes: usize,
    },
    /// A MIME part could not be decoded (bad transfer encoding or charset); its raw text was used.
    EncodingProblem,
    /// More recipients than [`MAX_RECIPIENTS`]; the rest were dropped.
    TooManyRecipients,
    /// More MIME parts than [`MAX_PARTS`]; the rest of the message was left out.
    TooManyParts,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::Truncated {
                original_bytes,
                kept_bytes,
            } => write!(
                f,
                "message of {original_bytes} bytes cut to its first {kept_bytes} bytes"
            ),
            Note::EncodingProblem => f.write_str("a MIME part could not be decoded; raw text used"),
            Note::TooManyRecipients => {
                write!(f, "more than {MAX_RECIPIENTS} recipients; the rest dropped")
            }
            Note::TooManyParts => {
                write!(f, "more than {MAX_PARTS} MIME parts; the rest left out")
            }
        }
    }
}

/// The message that bounced, as far as the report shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Original {
    /// Its envelope or header sender.
    pub sender: Option<String>,
    /// Its Message-ID, without angle brackets.
    pub message_id: Option<String>,
    /// Its subject.
    pub subject: Option<String>,
}

/// One decoded message: a bounce, an auto-reply or a feedback report, with one entry per recipient.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// What kind of report it is.
    pub kind: Kind,
    /// The MTA, provider or standard whose format was recognised (`rfc3464`, `qmail`, `exim`, ...).
    pub format: &'static str,
    /// The bounced message.
    pub original: Original,
    /// One entry per recipient, in the report's order.
    pub recipients: Vec<Recipient>,
    /// What was done to the input.
    pub notes: Vec<Note>,
}

/// What the report says about one recipient.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    /// The recipient address (Final-Recipient, or the address the vendor text names).
    pub recipient: Option<String>,
    /// The Original-Recipient, when given.
    pub original_recipient: Option<String>,
    /// The DSN Action (`failed`, `delayed`, `delivered`, `relayed`, `expanded`), when given.
    pub action: Option<String>,
    /// The RFC 3463 status code the report carries; `None` when it carries none (never invented).
    pub status: Option<EnhancedCode>,
    /// The SMTP reply code the remote server sent, when the report shows one.
    pub reply_code: Option<ReplyCode>,
    /// The diagnostic text (Diagnostic-Code, or the vendor text about this recipient).
    pub diagnostic: String,
    /// The SMTP command the error answered, when the report says (a transcript's last command,
    /// "in reply to RCPT TO command"); `None` when it does not.
    pub command: Option<Stage>,
    /// The Remote-MTA, when given.
    pub remote_mta: Option<String>,
    /// The Reporting-MTA, when given.
    pub reporting_mta: Option<String>,
    /// The Last-Attempt-Date (or Arrival-Date / feedback Arrival-Date), as written.
    pub last_attempt: Option<String>,
    /// The ARF Feedback-Type of a feedback report (`abuse`, `opt-out`, `auth-failure`, ...).
    pub feedback_type: Option<String>,
    /// The shared classifier's finding for a bounce; `None` for auto-replies and feedback.
    pub finding: Option<Finding>,
    /// The sisimai reason name ([`sisimai_reason`]): `userunknown`, `vacation`, `feedback`, ...
    pub reason: &'static str,
    /// True when the address itself is bad (unknown user or domain, moved, not accepting mail).
    pub hard_bounce: bool,
}

/// How deep a bounce attached to a bounce is decoded ([`decode`]).
const MAX_NESTED: usize = 2;

/// Decodes one message. `None` when it is not a bounce, an auto-reply or a feedback report.
/// Never panics; input longer than [`MAX_MESSAGE`] is cut with a note.
pub fn parse(bytes: &[u8]) -> Option<Report> {
    parse_at(bytes, 0)
}

/// Builds what decoding builds on first use (the knowledge base, the MIME parser's settings, the
/// marker automata), so that a caller can have it done on a thread of its own while it reads its
/// input, rather than by the first [`parse`].
///
/// The knowledge base, the longest to build and the last one decoding needs, is built on a
/// second thread beside the rest, so that decoding can start on the first messages before it.
pub fn warm_up() {
    std::thread::scope(|s| {
        s.spawn(smtp_doctor_kb::builtin);
        vendor::warm_up();
    });
}

/// [`parse`] of a message found `depth` reports deep.
fn parse_at(bytes: &[u8], depth: usize) -> Option<Report> {
    parse_lines(bytes, depth, false)
}

/// [`parse`] of a message whose bare CRs are already LFs ([`read::RawMessage::report`]).
fn parse_normalised(bytes: &[u8]) -> Option<Report> {
    parse_lines(bytes, 0, true)
}

/// [`parse_at`]; the bare CRs of the bytes kept are made LFs unless they are `normalised`
/// already.
fn parse_lines(bytes: &[u8], depth: usize, normalised: bool) -> Option<Report> {
    let mut notes = Vec::new();
    let kept = &bytes[..bytes.len().min(MAX_MESSAGE)];
    if kept.len() < bytes.len() {
        notes.push(Note::Truncated {
            original_bytes: bytes.len(),
            kept_bytes: kept.len(),
        });
    }
    if kept.len() < 3 {
        return None;
    }
    let data = if normalised {
        Cow::Borrowed(kept)
    } else {
        text::normalise_line_endings(kept)
    };
    let mime = mime::parse(&data[..])?;
    if mime.cut {
        notes.push(Note::TooManyParts);
    }
    let msg = Parts::collect(&mime, &mut notes);
    let mut report = decode(&msg, depth)?;
    if report.recipients.len() > MAX_RECIPIENTS {
        report.recipients.truncate(MAX_RECIPIENTS);
        notes.push(Note::TooManyRecipients);
    }
    report.notes = notes;
    Some(report)
}

/// The parts of a message that decoding looks at, borrowing from the parsed message.
#[derive(Debug, Default)]
struct Parts<'a> {
    /// Top-level header fields but `Received` and [`OPAQUE_HEADERS`] (name, value on one line),
    /// in order.
    headers: Vec<(&'a str, Cow<'a, str>)>,
    /// Decoded subject.
    subject: String,
    /// The From address.
    from: Option<String>,
    /// The To addresses.
    to: Vec<String>,
    /// The human-readable text (text/plain parts, else text/html as text).
    body: String,
    /// Bodies of message/delivery-status parts.
    delivery_status: Vec<String>,
    /// Body of a message/feedback-report part.
    feedback: Option<String>,
    /// The original message, from a message/rfc822 part or text/rfc822-headers.
    original: Original,
    /// The original message's To addresses.
    original_to: Vec<String>,
    /// The original was found in a MIME part (so the body holds no copy of it).
    original_in_part: bool,
    /// The raw bytes of an attached message that is itself a report (multipart/report).
    attached_report: Option<Vec<u8>>,
    /// Where the copy of the original message starts in the body, if it holds one: the error
    /// section (`vendor::error_section`) ends there.
    original_at: Option<usize>,
}

impl<'a> Parts<'a> {
    fn collect(mime: &'a mime::Mime<'_>, notes: &mut Vec<Note>) -> Parts<'a> {
        let root = &mime.parts[0].headers;
        let mut p = Parts {
            subject: header_text(root, HeaderName::Subject)
                .unwrap_or("")
                .to_string(),
            from: first_address(root),
            to: addresses(root, HeaderName::To),
            ..Parts::default()
        };
        // `Received` fields say nothing of the failure and are the longest folded ones: they are
        // left out rather than joined, told by the name the header parser recognised (no
        // compare of each name) and before their bytes are checked as UTF-8. The fields of
        // [`OPAQUE_HEADERS`] are left out too, by a compare of the name.
        let raw = mime.raw;
        for h in root {
            if h.name == HeaderName::Received || is_opaque(h.name.as_str()) {
                continue;
            }
            let value = raw.get(h.offset_start as usize..h.offset_end as usize);
            if let Some(value) = value.and_then(|v| std::str::from_utf8(v).ok()) {
                p.headers.push((h.name.as_str(), unfold(value)));
            }
        }
        // HTML parts are decoded only when no text part holds the report.
        let mut html: Vec<&mime::Part<'_>> = Vec::new();
        let mut plain_parts = 0;
        for part in &mime.parts {
            if part.encoding_problem && !notes.contains(&Note::EncodingProblem) {
                notes.push(Note::EncodingProblem);
            }
            let (ctype, subtype) = part
                .content_type()
                .map(|c| {
                    (
                        text::ascii_lower(c.ctype()),
                        text::ascii_lower(c.subtype().unwrap_or("")),
                    )
                })
                .unwrap_or_default();
            match (ctype.as_ref(), subtype.as_ref()) {
                ("message", "delivery-status" | "global-delivery-status") => {
                    let ds = part_text(part, raw, notes);
                    p.delivery_status
                        .push(text::decode_iso2022jp(&ds).into_owned());
                    continue;
                }
                ("message", "feedback-report") => {
                    p.feedback = Some(part_text(part, raw, notes).into_owned());
                    continue;
                }
                ("text" | "message", "rfc822-headers" | "rfc822-header" | "headers") => {
                    if p.original == Original::default() {
                        p.set_original_from_text(&part_text(part, raw, notes));
                        p.original_in_part = true;
                    }
                    continue;
                }
                _ => {}
            }
            match &part.body {
                mime::Body::Message(m) => {
                    let is_report = mime::content_type(&m.headers).is_some_and(|c| {
                        c.ctype().eq_ignore_ascii_case("multipart")
                            && c.subtype()
                                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
                    });
                    if is_report && p.attached_report.is_none() {
                        p.attached_report = Some(m.raw.to_vec());
                    }
                    if p.original == Original::default() {
                        p.original = Original {
                            sender: first_address(&m.headers)
                                .or_else(|| return_address(&m.headers)),
                            message_id: header_text(&m.headers, HeaderName::MessageId)
                                .map(str::to_string),
                            subject: header_text(&m.headers, HeaderName::Subject)
                                .map(str::to_string),
                        };
                        p.original_to = addresses(&m.headers, HeaderName::To);
                        p.original_in_part = true;
                    }
                }
                mime::Body::Text if ctype == "message" => {
                    // An attached message without header fields: its text is the original's.
                    if p.original == Original::default() {
                        p.set_original_from_text(&part_text(part, raw, notes));
                        p.original_in_part = true;
                    }
                }
                mime::Body::Text => {
                    // A multipart whose boundary is missing or never used is text (as mail-parser
                    // reads it): its body is the report (some MTAs write one without parts).
                    if ctype.is_empty() || ctype == "text" || ctype == "multipart" {
                        if !p.body.is_empty() {
                            p.body.push('\n');
                        }
                        p.body.push_str(&part_text(part, raw, notes));
                        plain_parts += 1;
                    }
                }
                mime::Body::Html => html.push(part),
                mime::Body::Binary if ctype == "multipart" => {
                    if !p.body.is_empty() {
                        p.body.push('\n');
                    }
                    p.body.push_str(&part_text(part, raw, notes));
                    plain_parts += 1;
                }
                mime::Body::Binary | mime::Body::Multipart => {}
            }
        }
        if plain_parts == 0 || p.body.trim().is_empty() {
            let html: Vec<Cow<'_, str>> = html.iter().map(|h| part_text(h, raw, notes)).collect();
            p.body = text::html_to_text(&html.join("\n"));
        }
        p.original_at = vendor::original_start(&p.body);
        p
    }

    fn set_original_from_text(&mut self, text: &str) {
        let group = dsn::first_group(text).unwrap_or_default();
        self.original = Original {
            sender: group
                .get("From")
                .and_then(text::clean_address)
                .or_else(|| group.get("Return-Path").and_then(text::clean_address)),
            message_id: group.get("Message-ID").map(strip_brackets),
            subject: group.get("Subject").map(str::to_string),
        };
        self.original_to = to_addresses(&group);
    }

    /// The value of the top-level header `name`, if present.
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

/// Header fields that decoding skips, as `Received`: signatures, hashes and encoded blobs (DKIM
/// and ARC signatures, providers' per-message diagnostics), the date and the other trace fields.
/// None says what failed, and a name in one is a signer's, a hop's or the receiving side's
/// checks', not the report's format; in a bounce from a large provider they are a third of the
/// header bytes.
const OPAQUE_HEADERS: &[&str] = &[
    "Date",
    "X-Received",
    "Received-SPF",
    "Authentication-Results",
    "ARC-Authentication-Results",
    "DKIM-Signature",
    "X-Google-DKIM-Signature",
    "ARC-Seal",
    "ARC-Message-Signature",
    "X-Gm-Message-State",
    "X-Microsoft-Exchange-Diagnostics",
    "X-Microsoft-Exchange-Diagnostics-untrusted",
    "X-Microsoft-Antispam-Message-Info",
    "X-Microsoft-Antispam-Message-Info-Original",
    "X-YMailISG",
];

/// True when `name` is one of [`OPAQUE_HEADERS`].
fn is_opaque(name: &str) -> bool {
    OPAQUE_HEADERS
        .iter()
        .any(|o| o.len() == name.len() && o.eq_ignore_ascii_case(name))
}

/// A header field's value on one line: its lines trimmed and joined by single spaces.
fn unfold(value: &str) -> Cow<'_, str> {
    let one = value.trim_end_matches(['\r', '\n']);
    if memchr::memchr2(b'\n', b'\r', one.as_bytes()).is_none() {
        // One line (most fields): nothing to join, nothing to copy.
        return Cow::Borrowed(text::trim(one));
    }
    Cow::Owned(
        dsn::lines(value)
            .map(text::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

fn strip_brackets(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

/// The text of `part` of the message whose bytes are `raw`: its bytes decoded from its transfer
/// encoding ([`mime::Encoding::decode`]) and then, for a text part, from its charset (as
/// mail-parser would). Base64 that does not decode is kept as it is, with a note.
fn part_text<'a>(part: &mime::Part<'_>, raw: &'a [u8], notes: &mut Vec<Note>) -> Cow<'a, str> {
    let body = match &part.body {
        mime::Body::Multipart => return Cow::Borrowed(""),
        mime::Body::Message(m) => return Cow::Owned(utf8_lossy(&m.raw).into_owned()),
        _ => raw
            .get(part.offset_body..part.offset_end)
            .unwrap_or_default(),
    };
    let decoded = part.encoding().and_then(|encoding| {
        let decoded = encoding.decode(body);
        if decoded.is_none() && !notes.contains(&Note::EncodingProblem) {
            notes.push(Note::EncodingProblem);
        }
        decoded
    });
    let charset = || {
        part.content_type()
            .and_then(|c| c.attribute("charset"))
            .and_then(|c| charset_decoder(c.as_bytes()))
    };
    match decoded {
        Some(bytes) => Cow::Owned(match charset() {
            Some(decode) => decode(&bytes),
            None => String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        }),
        None => {
            match charset().filter(|_| matches!(part.body, mime::Body::Text | mime::Body::Html)) {
                Some(decode) => Cow::Owned(decode(body)),
                None => utf8_lossy(body),
            }
        }
    }
}

/// The value of the last `name` field among `headers`, when mail-parser read it as text (an
/// unstructured field or a message ID).
fn header_text<'a>(
    headers: &'a Vec<mail_parser::Header<'_>>,
    name: HeaderName<'_>,
) -> Option<&'a str> {
    headers.header_value(&name).and_then(HeaderValue::as_text)
}

/// The addresses of the last `name` field among `headers`, cleaned.
fn addresses(headers: &Vec<mail_parser::Header<'_>>, name: HeaderName<'_>) -> Vec<String> {
    headers
        .header_value(&name)
        .and_then(HeaderValue::as_address)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.address.as_deref().and_then(text::clean_address))
                .collect()
        })
        .unwrap_or_default()
}

/// The first address of the last From field among `headers`, cleaned.
fn first_address(headers: &Vec<mail_parser::Header<'_>>) -> Option<String> {
    headers
        .header_value(&HeaderName::From)
        .and_then(HeaderValue::as_address)
        .and_then(|a| a.first())
        .and_then(|a| a.address.as_deref())
        .and_then(text::clean_address)
}

/// The Return-Path address among `headers` (the last of a list), else the From address, cleaned
/// (mail-parser's `Message::return_address`).
fn return_address(headers: &Vec<mail_parser::Header<'_>>) -> Option<String> {
    match headers.header_value(&HeaderName::ReturnPath) {
        Some(HeaderValue::Text(text)) => text::clean_address(text),
        Some(HeaderValue::TextList(list)) => list.last().and_then(|t| text::clean_address(t)),
        _ => first_address(headers),
    }
}

/// `bytes` as text, invalid UTF-8 replaced: checked by the fast validator first, since the lossy
/// decoder walks every byte even when there is nothing to replace.
fn utf8_lossy(bytes: &[u8]) -> Cow<'_, str> {
    std::str::from_utf8(bytes).map_or_else(|_| String::from_utf8_lossy(bytes), Cow::Borrowed)
}

/// Decides what the message is and builds its report. A bounce without a DSN of its own that
/// carries another report (attached, copied into its text by a relay passing on the bounce it
/// got, or quoted with `> ` by someone forwarding it) is that report, decoded up to
/// [`MAX_NESTED`] deep.
fn decode(p: &Parts, depth: usize) -> Option<Report> {
    if let Some(r) = decode_feedback(p).or_else(|| ses::decode(p)) {
        return Some(r);
    }
    let scan = vendor::scan(p);
    if let Some(r) = decode_dsn(p, &scan) {
        return Some(r);
    }
    // The carried report decides by itself whether it is a bounce: a forward's own text rarely
    // says so.
    if depth < MAX_NESTED {
        let copied = || {
            vendor::original_copy(&p.body, p.original_at)
                .filter(|c| vendor::is_report_header(c))
                .map(str::as_bytes)
        };
        let quoted;
        let inner = match p.attached_report.as_deref().or_else(copied) {
            Some(b) => Some(b),
            None => {
                quoted = vendor::quoted_message(&p.body);
                quoted.as_deref().map(str::as_bytes)
            }
        };
        if let Some(r) = inner
            .and_then(|b| parse_at(b, depth + 1))
            .filter(|r| r.kind == Kind::Bounce)
        {
            return Some(r);
        }
    }
    let looks_like_bounce = vendor::looks_like_bounce(p, &scan);
    if looks_like_bounce {
        if let Some(r) = decode_vendor(p, &scan) {
            return Some(r);
        }
    }
    if autoreply::is_auto_reply(p) {
        if let Some(r) = gone_mailbox_reply(p) {
            return Some(r);
        }
        return Some(Report {
            kind: Kind::AutoReply,
            format: "rfc3834",
            original: p.original.clone(),
            recipients: vec![Recipient {
                recipient: p.from.clone(),
                reason: "vacation",
                diagnostic: p.subject.clone(),
                ..Recipient::empty()
            }],
            notes: Vec::new(),
        });
    }
    None
}

/// An automatic reply whose text says the mailbox it answers for is gone (closed, disabled, no
/// such user): the address takes no more mail, which is a bounce of the address that replied,
/// not a vacation notice. `None` for any other auto-reply.
fn gone_mailbox_reply(p: &Parts) -> Option<Report> {
    let text = vendor::error_section(p).trim();
    let mut r = Recipient {
        recipient: p.from.clone(),
        ..Recipient::empty()
    };
    classify_into(&mut r, text, true, None, None);
    let gone = r.finding.as_ref().is_some_and(|f| {
        matches!(
            f.category,
            smtp_doctor_model::Category::UserUnknown | smtp_doctor_model::Category::Suspend
        )
    });
    if !gone || r.recipient.is_none() {
        return None;
    }
    r.diagnostic = smtp_doctor_kb::cut(text, MAX_DIAGNOSTIC).to_string();
    Some(Report {
        kind: Kind::Bounce,
        format: "rfc3834",
        original: p.original.clone(),
        recipients: vec![r],
        notes: Vec::new(),
    })
}

impl Recipient {
    fn empty() -> Recipient {
        Recipient {
            recipient: None,
            original_recipient: None,
            action: None,
            status: None,
            reply_code: None,
            diagnostic: String::new(),
            command: None,
            remote_mta: None,
            reporting_mta: None,
            last_attempt: None,
            feedback_type: None,
            finding: None,
            reason: "undefined",
            hard_bounce: false,
        }
    }
}

/// Subjects (lower case) of complaint reports that carry the original message but no RFC 5965
/// part (Microsoft's JMRP), and the feedback type they mean.
const FEEDBACK_SUBJECTS: &[(&str, &str)] = &[("complaint about message from", "abuse")];

/// Header fields (name, value in lower case) of unsubscribe requests that a mail client sends on
/// its user's behalf, and the feedback type they mean: the user who opts out is the sender.
const FEEDBACK_HEADERS: &[(&str, &str, &str)] = &[("X-Apple-Unsubscribe", "true", "opt-out")];

/// RFC 5965: a message/feedback-report part, or its fields in the body of a report, or a
/// complaint report known by its subject ([`FEEDBACK_SUBJECTS`]) with the original attached.
fn decode_feedback(p: &Parts) -> Option<Report> {
    let by_subject = || {
        let subject = p.subject.to_ascii_lowercase();
        FEEDBACK_SUBJECTS
            .iter()
            .find(|(s, _)| subject.starts_with(s))
            .map(|(_, t)| *t)
            .filter(|_| p.original_in_part)
    };
    let by_header = || {
        FEEDBACK_HEADERS
            .iter()
            .find(|(name, value, _)| {
                p.header(name)
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
            })
            .map(|(_, _, t)| *t)
    };
    let mut subject_type = None;
    let mut from_sender = false;
    let text = match &p.feedback {
        Some(t) => Cow::Borrowed(t.as_str()),
        None => {
            let report_type = p
                .header("Content-Type")
                .is_some_and(|c| c.to_ascii_lowercase().contains("feedback-report"));
            if !report_type && !p.body.contains("Feedback-Type:") {
                if let Some(t) = by_header() {
                    from_sender = true;
                    subject_type = Some(t);
                } else {
                    subject_type = Some(by_subject()?);
                }
            }
            Cow::Borrowed(p.body.as_str())
        }
    };
    let groups = dsn::parse_groups(&text);
    let all: Vec<&dsn::Field<'_>> = groups.iter().flat_map(|g| g.fields.iter()).collect();
    let get = |name: &str| {
        all.iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let feedback_type = match get("Feedback-Type") {
        Some(t) => t.to_ascii_lowercase(),
        None => subject_type?.to_string(),
    };
    let mut rcpts: Vec<String> = all
        .iter()
        .filter(|f| {
            f.name.eq_ignore_ascii_case("Original-Rcpt-To")
                || f.name.eq_ignore_ascii_case("Removal-Recipient")
        })
        .filter_map(|f| text::clean_address(&f.value))
        .collect();
    dedupe(&mut rcpts);
    if from_sender {
        rcpts.extend(p.from.clone());
    }
    if rcpts.is_empty() {
        rcpts = p.original_to.clone();
    }
    if rcpts.is_empty() {
        rcpts.push(String::new());
    }
    let mut original = p.original.clone();
    if original.sender.is_none() {
        original.sender = get("Original-Mail-From").and_then(|v| text::clean_address(&v));
    }
    let recipients = rcpts
        .into_iter()
        .map(|r| Recipient {
            recipient: (!r.is_empty()).then_some(r),
            feedback_type: Some(feedback_type.clone()),
            reporting_mta: get("Reporting-MTA").map(|v| dsn::typed_value(&v).to_string()),
            last_attempt: get("Arrival-Date").or_else(|| get("Received-Date")),
            diagnostic: get("Authentication-Results").unwrap_or_default(),
            reason: "feedback",
            ..Recipient::empty()
        })
        .collect();
    Some(Report {
        kind: Kind::Feedback,
        format: "arf",
        original,
        recipients,
        notes: Vec::new(),
    })
}

/// RFC 3464: the delivery-status parts (or DSN fields written into the body).
fn decode_dsn(p: &Parts, scan: &vendor::Scan) -> Option<Report> {
    let mut groups = Vec::new();
    let mut message_fields = dsn::Group::default();
    for ds in &p.delivery_status {
        let parsed = dsn::parse_delivery_status(ds);
        message_fields.fields.extend(parsed.message.fields);
        groups.extend(parsed.recipients);
    }
    if groups.is_empty() {
        // Some MTAs write the DSN fields into the text body instead of a part of their own.
        let parsed = dsn::parse_delivery_status(vendor::error_section(p));
        let usable = parsed.recipients.iter().any(|g| {
            g.get("Status").is_some()
                || g.get("Action").is_some()
                || g.get("Diagnostic-Code").is_some()
        });
        if !usable {
            return None;
        }
        message_fields = parsed.message;
        groups = parsed.recipients;
    }
    let section = before_dsn_fields(vendor::error_section(p));
    let context = Context {
        text: section,
        stage: scan.stage_in(section),
    };
    let mut recipients = Vec::new();
    // A recipient field that holds no address (exim's `|/usr/bin/prog` pipes and mailbox file
    // paths): the address the text names in its place.
    let mut named = None;
    for (i, g) in groups.iter().enumerate() {
        let recipient = g
            .get("Final-Recipient")
            .and_then(dsn::address_value)
            .or_else(|| g.get("X-Actual-Recipient").and_then(dsn::address_value))
            .or_else(|| g.get("Original-Recipient").and_then(dsn::address_value))
            .or_else(|| {
                named
                    .get_or_insert_with(|| vendor::recipients(p, section, scan.lower(section)))
                    .get(i)
                    .cloned()
            });
        let original_recipient = g.get("Original-Recipient").and_then(dsn::address_value);
        let code_field = g.get("Diagnostic-Code");
        let mut diagnostic = code_field
            .map(|d| dsn::typed_value(d).to_string())
            .unwrap_or_default();
        if let Some(full) = whole_reply(&diagnostic, section) {
            diagnostic = full;
        }
        let status = g.get("Status").and_then(parse_status);
        if diagnostic_is_empty(&diagnostic) {
            diagnostic = g.get("Status").map(status_comment).unwrap_or_default();
        }
        // The recipient's own diagnostic, not the report's prose about it (sisimai's `onhold`
        // needs one).
        let own_text = !diagnostic_is_empty(&diagnostic);
        if !own_text {
            let block = recipient
                .as_deref()
                .and_then(|r| vendor::block_for(section, scan.lower(section), r, &[]))
                .unwrap_or(section);
            diagnostic = block.trim().to_string();
        }
        let action = g.get("Action").map(|a| a.to_ascii_lowercase());
        let mut r = Recipient {
            recipient,
            original_recipient,
            action,
            remote_mta: g.get("Remote-MTA").map(|v| dsn::typed_value(v).to_string()),
            reporting_mta: g
                .get("Reporting-MTA")
                .or_else(|| message_fields.get("Reporting-MTA"))
                .map(|v| dsn::typed_value(v).to_string()),
            last_attempt: g
                .get("Last-Attempt-Date")
                .or_else(|| message_fields.get("Arrival-Date"))
                .map(str::to_string),
            ..Recipient::empty()
        };
        classify_into(&mut r, &diagnostic, own_text, status, Some(&context));
        // RFC 3464's `X-Unix` type: the error came from a local delivery program.
        if code_field.is_some_and(|d| {
            d.split_once(';')
                .is_some_and(|(kind, _)| kind.trim().eq_ignore_ascii_case("x-unix"))
        }) {
            r.reason = reason::delivery_program(r.reason);
        }
        r.diagnostic = diagnostic;
        recipients.push(r);
    }
    // A DSN that names no recipient at all is unusable as a DSN.
    if recipients.iter().all(|r| r.recipient.is_none()) {
        return None;
    }
    Some(Report {
        kind: Kind::Bounce,
        format: if scan.format == "unknown" {
            "rfc3464"
        } else {
            scan.format
        },
        original: original_of(p),
        recipients,
        notes: Vec::new(),
    })
}

/// Vendor formats without a DSN part: recipients and their text found by the tables in `vendor`.
fn decode_vendor(p: &Parts, scan: &vendor::Scan) -> Option<Report> {
    let section = vendor::error_section(p);
    let lower = scan.lower(section);
    let rcpts = vendor::recipients(p, section, lower);
    if rcpts.is_empty() {
        return None;
    }
    let context = Context {
        text: section,
        stage: scan.stage_in(section),
    };
    let mut recipients = Vec::new();
    for addr in &rcpts {
        // A text that never names the recipient says nothing of its own about it.
        let own = vendor::block_for(section, lower, addr, &rcpts);
        let diagnostic = own.unwrap_or(section).trim().to_string();
        let mut r = Recipient {
            recipient: Some(addr.clone()),
            ..Recipient::empty()
        };
        classify_into(&mut r, &diagnostic, own.is_some(), None, Some(&context));
        r.diagnostic = diagnostic;
        recipients.push(r);
    }
    Some(Report {
        kind: Kind::Bounce,
        format: if scan.format == "unknown" {
            "generic"
        } else {
            scan.format
        },
        original: original_of(p),
        recipients,
        notes: Vec::new(),
    })
}

/// The original message's recipients: its To addresses, from its MIME part or, when the bounce
/// has none, from the copy of its headers in the body.
fn original_recipients(p: &Parts) -> Vec<String> {
    if !p.original_to.is_empty() || p.original_in_part {
        return p.original_to.clone();
    }
    vendor::original_copy(&p.body, p.original_at)
        .and_then(dsn::first_group)
        .map(|g| to_addresses(&g))
        .unwrap_or_default()
}

/// The addresses of a header group's `To` field.
fn to_addresses(group: &dsn::Group<'_>) -> Vec<String> {
    group
        .get("To")
        .map(|t| t.split(',').filter_map(text::clean_address).collect())
        .unwrap_or_default()
}

fn original_of(p: &Parts) -> Original {
    let mut o = p.original.clone();
    if o == Original::default() && !p.original_in_part {
        if let Some(copy) = vendor::original_copy(&p.body, p.original_at) {
            let group = dsn::first_group(copy).unwrap_or_default();
            o = Original {
                sender: group.get("From").and_then(text::clean_address),
                message_id: group.get("Message-ID").map(strip_brackets),
                subject: group.get("Subject").map(str::to_string),
            };
        }
    }
    o
}

/// `section` up to the first line of DSN fields written into it (`Reporting-MTA:`,
/// `Final-Recipient:`, ...): the prose about the failure, where a recipient's own text is looked
/// for when its DSN group has no diagnostic (else the group itself would be found).
fn before_dsn_fields(section: &str) -> &str {
    const STARTS: &[&str] = &[
        "reporting-mta:",
        "final-recipient:",
        "original-recipient:",
        "original-envelope-id:",
    ];
    // The lines, cut at the newlines that one vectorised pass finds (not a search per line).
    let b = section.as_bytes();
    let ends = memchr::memchr_iter(b'\n', b).map(|i| i + 1);
    let mut offset = 0;
    for end in ends.chain((b.last() != Some(&b'\n')).then_some(b.len())) {
        let line = &section[offset..end];
        let l = line.trim_start();
        // Every field name above starts with one of these letters.
        let may_start = l
            .as_bytes()
            .first()
            .is_some_and(|c| matches!(c.to_ascii_lowercase(), b'r' | b'f' | b'o'));
        if may_start
            && STARTS
                .iter()
                .any(|s| l.get(..s.len()).is_some_and(|h| h.eq_ignore_ascii_case(s)))
        {
            let prose = &section[..offset];
            return if diagnostic_is_empty(prose) {
                section
            } else {
                prose
            };
        }
        offset += line.len();
    }
    section
}

/// True when `d` says nothing: fewer than three letters and no enhanced code (`250 2.1.5 Ok`
/// says something; an exit status such as `X-Unix; 255` does not).
fn diagnostic_is_empty(d: &str) -> bool {
    let letters = d.chars().filter(|c| c.is_alphabetic()).take(3).count();
    letters < 3 && smtp_doctor_kb::extract(d).enhanced_code.is_none()
}

/// The most lines of a multi-line reply that [`whole_reply`] joins.
const MAX_REPLY_LINES: usize = 32;

/// The whole of a multi-line SMTP reply whose first line alone is the Diagnostic-Code
/// (`552-5.7.0 This message was blocked because ...`, as sendmail writes it), from the
/// transcript in the report's text (`<<< 552-5.7.0 ...` lines up to the `552 ` one): its lines
/// joined, the code and enhanced code of each continuation line left out. `None` when the
/// diagnostic is not such a first line or the text does not hold the reply.
fn whole_reply(diagnostic: &str, section: &str) -> Option<String> {
    let first = diagnostic.trim();
    let b = first.as_bytes();
    if b.len() < 5 || !b[..3].iter().all(u8::is_ascii_digit) || b[3] != b'-' {
        return None;
    }
    let code = &first[..3];
    // The first place where the line starts a reply (not quoted in prose: "(reason: 552-...").
    section
        .match_indices(first)
        .take(vendor::MAX_MENTIONS)
        .find_map(|(at, _)| reply_from(section, at, code))
        .filter(|out| out.len() > first.len())
}

/// The multi-line reply with code `code` whose first line holds byte `at` of `section`, joined
/// as [`whole_reply`] describes; `None` when that line does not start with the code.
fn reply_from(section: &str, at: usize, code: &str) -> Option<String> {
    let line_start = section[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut out = String::new();
    for line in section[line_start..].lines().take(MAX_REPLY_LINES) {
        let l = line.trim().trim_start_matches("<<<").trim_start();
        let Some(rest) = l.strip_prefix(code) else {
            break;
        };
        let last = rest.starts_with(' ');
        if !last && !rest.starts_with('-') {
            break;
        }
        if out.is_empty() {
            out.push_str(l);
        } else {
            // The continuation's text without its repeated enhanced code.
            let text = rest[1..].trim_start();
            let text = match text.split_once(' ') {
                Some((e, t)) if e.parse::<EnhancedCode>().is_ok() => t,
                _ if text.parse::<EnhancedCode>().is_ok() => "",
                _ => text,
            };
            out.push(' ');
            out.push_str(text.trim());
        }
        if last {
            break;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Comments of a Status field that only restate its class ("5.0.0 (permanent failure)").
const CLASS_COMMENTS: &[&str] = &[
    "permanent failure",
    "persistent transient failure",
    "transient failure",
    "temporary failure",
    "permanent error",
    "temporary error",
    "failed",
    "delayed",
    "success",
    "other or undefined status",
];

/// The text a Status field carries after its code ("4.0.0 (example.net: host name lookup
/// failure)"), when it says more than the class: some MTAs write the cause there and no
/// Diagnostic-Code. Empty when there is none.
fn status_comment(value: &str) -> String {
    let rest = value
        .trim_start()
        .split_once(|c: char| c.is_whitespace() || c == '(')
        .map_or("", |(_, r)| r);
    let comment = rest
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim();
    let lower = comment.to_ascii_lowercase();
    if CLASS_COMMENTS.contains(&lower.as_str()) {
        return String::new();
    }
    comment.to_string()
}

/// A DSN Status value as a real RFC 3463 code: pseudo-codes (subject 9) are dropped.
fn parse_status(value: &str) -> Option<EnhancedCode> {
    let token = value
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .find(|t| !t.is_empty())?;
    token
        .trim_end_matches('.')
        .parse::<EnhancedCode>()
        .ok()
        .filter(|c| !c.is_pseudo())
}

/// The whole error text of a message, given to [`classify_into`] for each of its recipients,
/// with the stage it names ([`vendor::Scan::stage_in`]).
struct Context<'a> {
    text: &'a str,
    stage: Option<Stage>,
}

/// Classifies `diagnostic` with the shared classifier and fills the recipient's codes, finding,
/// reason and hard-bounce flag. `own_text` says whether the diagnostic is the recipient's own
/// (a Diagnostic-Code, its paragraph) rather than the report's prose; `status` is the DSN's
/// Status; `context` the whole error text, used only when the diagnostic alone names no cause.
fn classify_into(
    r: &mut Recipient,
    diagnostic: &str,
    own_text: bool,
    status: Option<EnhancedCode>,
    context: Option<&Context<'_>>,
) {
    let kb = smtp_doctor_kb::builtin();
    let diag = smtp_doctor_kb::cut(diagnostic, MAX_DIAGNOSTIC);
    let mut ev = smtp_doctor_kb::extract(diag);
    ev.source = Source::Bounce;
    // The command the error answered, when the diagnostic does not say: sisimai's `filtered` is
    // a user-unknown rejection after DATA, which only the transcript or the DSN's prose shows.
    ev.stage = vendor::stage_in(diag).or_else(|| context.and_then(|c| c.stage));
    if let Some((reply, enhanced)) = nested_reply(diag) {
        // The remote server's reply quoted inside the reporting MTA's own.
        ev.reply_code = Some(reply);
        ev.enhanced_code = enhanced.or(ev.enhanced_code);
    }
    let extracted = ev.enhanced_code.filter(|c| !c.is_pseudo());
    ev.enhanced_code = choose_status(status, extracted, ev.reply_code);
    let mut finding = kb.classify(&ev);
    let vague = matches!(
        finding.category,
        smtp_doctor_model::Category::Undefined | smtp_doctor_model::Category::OnHold
    );
    if vague {
        if let Some(ctx) = context.map(|c| c.text).filter(|c| c.len() > diag.len()) {
            let mut ev2 = smtp_doctor_kb::extract(smtp_doctor_kb::cut(ctx, MAX_DIAGNOSTIC));
            ev2.source = Source::Bounce;
            ev2.stage = ev.stage;
            ev2.reply_code = ev.reply_code.or(ev2.reply_code);
            ev2.enhanced_code = ev
                .enhanced_code
                .or(ev2.enhanced_code.filter(|c| !c.is_pseudo()));
            let f2 = kb.classify(&ev2);
            if !matches!(
                f2.category,
                smtp_doctor_model::Category::Undefined | smtp_doctor_model::Category::OnHold
            ) {
                ev = ev2;
                finding = f2;
            }
        }
    }
    r.status = ev.enhanced_code;
    r.reply_code = ev.reply_code;
    r.command = ev.stage;
    r.reason = sisimai_reason(
        &finding,
        r.status,
        r.command,
        r.action.as_deref(),
        own_text.then_some(diag),
    );
    r.hard_bounce = is_hard_bounce(r.reason, r.status, r.reply_code);
    r.finding = Some(finding);
}

/// The status to report from the DSN `Status` and the enhanced code in the diagnostic text.
///
/// They disagree when the reporting MTA summarises what the remote server said (`Status: 4.4.7`,
/// "delivery expired", over the server's `450 4.7.1 Access denied`). The status wins unless:
/// the two differ in class and the reply code's class picks the text's; the status is vague
/// (X.0.0, X.Y.0 against a specific text code) or a summary code (4.4.7 expired, 4.7.0,
/// 5.3.x, the X.5.x protocol codes); or it is 5.1.1 against a specific non-protocol text code.
fn choose_status(
    status: Option<EnhancedCode>,
    text: Option<EnhancedCode>,
    reply: Option<ReplyCode>,
) -> Option<EnhancedCode> {
    let (s, t) = match (status, text) {
        (Some(s), Some(t)) => (s, t),
        (s, t) => return s.or(t),
    };
    if s == t {
        return Some(s);
    }
    let reply_class = reply.map(ReplyCode::class_digit);
    if s.class != t.class {
        if reply_class == Some(t.class) {
            return Some(t);
        }
        return Some(s);
    }
    let vague = |c: EnhancedCode| c.subject == 0 || c.detail == 0;
    let text_wins = (s.subject == 0 && s.detail == 0 && !(t.subject == 0 && t.detail == 0))
        || (vague(s) && !vague(t))
        || (s.class == 4 && s.subject == 4 && s.detail == 7)
        || (s.class == 4 && s.subject == 7 && s.detail == 0)
        || (s.class == 5 && s.subject == 3)
        || (s.subject == 5 && matches!(s.detail, 1 | 2 | 4 | 5))
        || (s.class == 5 && s.subject == 1 && s.detail == 1 && !vague(t) && t.subject != 5)
        || (s.class == 5 && s.subject == 1 && s.detail == 3 && t.subject == 7);
    Some(if text_wins && !(t.subject == 0 && t.detail == 0) {
        t
    } else {
        s
    })
}

/// A remote server's reply that the reporting MTA quotes inside its own: sendmail's
/// `554 <a@example.org>... 550 Host unknown` and `<421 4.4.2 Connection timed out>` after an
/// expiry notice. The reply code and the enhanced code right after it.
fn nested_reply(text: &str) -> Option<(ReplyCode, Option<EnhancedCode>)> {
    let b = text.as_bytes();
    // Only a `<` or a `.` can start a marker: the places memchr finds, not every byte.
    for i in memchr::memchr2_iter(b'<', b'.', b) {
        if i + 4 > b.len() {
            break;
        }
        let after_marker = if b[i] == b'<' {
            Some(i + 1)
        } else if b[i..].starts_with(b"... ") {
            Some(i + 4)
        } else {
            None
        };
        if let Some(found) = after_marker.and_then(|j| reply_at(text, j)) {
            return Some(found);
        }
    }
    None
}

/// A 4xx/5xx reply code starting at byte `j` and followed by a space, with the enhanced code
/// that follows it, if any.
fn reply_at(text: &str, j: usize) -> Option<(ReplyCode, Option<EnhancedCode>)> {
    let b = text.as_bytes();
    let digits = b.get(j..j + 3)?;
    if !digits.iter().all(u8::is_ascii_digit)
        || !matches!(digits[0], b'4' | b'5')
        || b.get(j + 3) != Some(&b' ')
    {
        return None;
    }
    let code = ReplyCode::new(std::str::from_utf8(digits).ok()?.parse().ok()?)?;
    let rest = text.get(j + 4..)?;
    let enhanced = rest
        .split_whitespace()
        .next()
        .and_then(|t| {
            t.trim_end_matches([';', ',', '.'])
                .parse::<EnhancedCode>()
                .ok()
        })
        .filter(|e| e.class == digits[0] - b'0');
    Some((code, enhanced))
}

fn dedupe(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|a| seen.insert(a.to_ascii_lowercase()));
}

/// Evidence for the classifier from one recipient, as [`parse`] built it (for callers that
/// classify with their own knowledge base).
pub fn evidence(r: &Recipient) -> Evidence {
    let mut ev = smtp_doctor_kb::extract(smtp_doctor_kb::cut(&r.diagnostic, MAX_DIAGNOSTIC));
    ev.source = Source::Bounce;
    ev.enhanced_code = r.status;
    ev.reply_code = r.reply_code.or(ev.reply_code);
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    const DSN: &str = "From: MAILER-DAEMON@mx.example.org\r\nTo: sender@example.jp\r\n\
Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n\r\n\
--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n\
Final-Recipient: rfc822; nobody@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\
Remote-MTA: dns; mx.example.com\r\nDiagnostic-Code: smtp; 550 5.1.1 <nobody@example.com>:\r\n \
Recipient address rejected: User unknown in local recipient table\r\n\
Last-Attempt-Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n\
--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: sender@example.jp\r\nTo: nobody@example.com\r\n\
Subject: hello\r\nMessage-ID: <abc@example.jp>\r\n\r\nhi\r\n--B--\r\n";

    #[test]
    fn a_dsn_is_decoded_per_recipient() {
        let Some(r) = parse(DSN.as_bytes()) else {
            panic!("no report");
        };
        assert_eq!(r.kind, Kind::Bounce);
        assert_eq!(r.recipients.len(), 1);
        let x = &r.recipients[0];
        assert_eq!(x.recipient.as_deref(), Some("nobody@example.com"));
        assert_eq!(x.status.map(|s| s.to_string()).as_deref(), Some("5.1.1"));
        assert_eq!(x.reply_code.map(ReplyCode::get), Some(550));
        assert_eq!(x.remote_mta.as_deref(), Some("mx.example.com"));
        assert_eq!(x.reporting_mta.as_deref(), Some("mx.example.org"));
        assert_eq!(x.reason, "userunknown");
        assert!(x.hard_bounce);
        assert_eq!(r.original.message_id.as_deref(), Some("abc@example.jp"));
        assert_eq!(r.original.subject.as_deref(), Some("hello"));
        // The same with LF and with bare CR line endings.
        let lf = DSN.replace("\r\n", "\n");
        let cr = DSN.replace("\r\n", "\r");
        assert_eq!(
            parse(lf.as_bytes()).map(|r| r.recipients),
            Some(r.recipients.clone())
        );
        assert_eq!(
            parse(cr.as_bytes()).map(|r| r.recipients),
            Some(r.recipients)
        );
    }

    #[test]
    fn ordinary_mail_and_tiny_input_give_nothing() {
        assert!(parse(b"").is_none());
        assert!(parse(b"x").is_none());
        assert!(parse(b"\r\n").is_none());
        let mail = "From: a@example.jp\nTo: b@example.com\nSubject: lunch?\n\nSee you at noon.\n";
        assert!(parse(mail.as_bytes()).is_none());
    }

    #[test]
    fn auto_replies_and_feedback_are_not_bounces() {
        let ooo = "From: boss@example.com\nTo: a@example.jp\nSubject: Out of Office: lunch?\n\
Auto-Submitted: auto-replied\n\nI am away until Monday.\n";
        let r = parse(ooo.as_bytes());
        assert_eq!(r.as_ref().map(|r| r.kind), Some(Kind::AutoReply));
        assert_eq!(r.map(|r| r.recipients[0].reason), Some("vacation"));
        let arf = "From: fbl@example.net\nTo: abuse@example.jp\nSubject: report\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=feedback-report; boundary=\"B\"\n\n--B\n\
Content-Type: text/plain\n\nA complaint.\n--B\nContent-Type: message/feedback-report\n\n\
Feedback-Type: abuse\nVersion: 1\nOriginal-Rcpt-To: a@example.net\nOriginal-Rcpt-To: b@example.net\n--B--\n";
        let r = parse(arf.as_bytes());
        assert_eq!(r.as_ref().map(|r| r.kind), Some(Kind::Feedback));
        let r = r.map(|r| r.recipients).unwrap_or_default();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].feedback_type.as_deref(), Some("abuse"));
        assert!(r[0].finding.is_none());
    }

    #[test]
    fn a_status_comment_is_the_diagnostic_when_there_is_no_other() {
        let dsn = "From: MAILER-DAEMON@mx.example.org\nTo: a@example.org\nSubject: Returned mail\n\
MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n\
--B\nContent-Type: text/plain\n\nThe following addresses had delivery problems.\n\
--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n\
Final-Recipient: rfc822;x@example.net\nAction: delayed\n\
Status: 4.0.0 (example.net: host name lookup failure)\n\n\
Final-Recipient: rfc822;y@example.com\nAction: failed\nStatus: 5.0.0 (permanent failure)\n--B--\n";
        let r = parse(dsn.as_bytes())
            .map(|r| r.recipients)
            .unwrap_or_default();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].diagnostic, "example.net: host name lookup failure");
        assert_eq!(r[0].reason, "networkerror");
        // A comment that only restates the class is not a cause: the prose is used.
        assert_eq!(
            r[1].diagnostic,
            "The following addresses had delivery problems."
        );
        assert_eq!(status_comment("5.1.1"), "");
        // Only the report's prose, no diagnostic of its own: nothing to decide on.
        assert_eq!(r[1].reason, "undefined");
    }

    #[test]
    fn a_delivery_programs_failure_is_a_mailer_error() {
        let dsn = |code: &str| {
            format!(
                "From: MAILER-DAEMON@mx.example.org\nTo: a@example.org\nSubject: Undelivered Mail\n\
MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n\
--B\nContent-Type: text/plain\n\n<x@example.net>: temporary failure\n\
--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n\
Final-Recipient: rfc822; x@example.net\nAction: failed\nStatus: 4.3.0\n\
Diagnostic-Code: {code}; temporary failure\n--B--\n"
            )
        };
        let reason = |code: &str| {
            parse(dsn(code).as_bytes())
                .and_then(|r| r.recipients.first().map(|x| x.reason))
                .unwrap_or("none")
        };
        assert_eq!(reason("x-unix"), "mailererror");
        assert_eq!(reason("X-Unix"), "mailererror");
        assert_ne!(reason("smtp"), "mailererror");
    }

    #[test]
    fn transfer_encodings_are_undone_where_decoding_reads() {
        // A quoted-printable text in ISO-8859-1, a base64 delivery-status part and a base64
        // attached original (its header fields read once its base64 is undone).
        let b64 = |s: &str| {
            const A: &[u8; 64] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let mut out = String::new();
            for chunk in s.as_bytes().chunks(3) {
                let n = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
                for i in 0..4 {
                    out.push(if i <= chunk.len() {
                        A[(n >> (18 - 6 * i) & 63) as usize] as char
                    } else {
                        '='
                    });
                }
            }
            out
        };
        let status =
            "Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; x@example.net\n\
Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 unknown user\n";
        let original = "From: sender@example.org\nTo: x@example.net\nSubject: hello\n\
Message-ID: <m1@example.org>\n\nHi.\n";
        let dsn = format!(
            "From: MAILER-DAEMON@mx.example.org\nTo: sender@example.org\nSubject: Undelivered Mail\n\
MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n\
--B\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n\
Le message n'a pas =E9t=E9 remis =\n=C3 x@example.net.\n\
--B\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n{}\n\
--B\nContent-Type: message/rfc822\nContent-Transfer-Encoding: {{enc}}\n\n{{orig}}\n--B--\n",
            b64(status)
        );
        for (enc, orig) in [("base64", b64(original)), ("7bit", original.to_string())] {
            let msg = dsn.replace("{enc}", enc).replace("{orig}", &orig);
            let r = parse(msg.as_bytes()).expect("a bounce");
            assert_eq!(
                r.recipients[0].recipient.as_deref(),
                Some("x@example.net"),
                "{enc}"
            );
            assert_eq!(
                r.recipients[0].status.map(|s| s.to_string()).as_deref(),
                Some("5.1.1")
            );
            assert_eq!(r.original.subject.as_deref(), Some("hello"), "{enc}");
            assert_eq!(
                r.original.message_id.as_deref(),
                Some("m1@example.org"),
                "{enc}"
            );
            assert!(r.notes.is_empty(), "{enc}: {:?}", r.notes);
        }
        // Without a DSN part the text is the evidence: decoded from quoted-printable and Latin-1.
        let plain = "From: MAILER-DAEMON@mx.example.org\nTo: sender@example.org\n\
Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n\
Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n\
<x@example.net>: le message n'a pas =E9t=E9 remis: 550 5.1.1 User unk=\nnown\n";
        let r = rows_of(plain, Kind::Bounce);
        assert!(
            r[0].diagnostic
                .contains("n'a pas été remis: 550 5.1.1 User unknown"),
            "{}",
            r[0].diagnostic
        );
    }

    /// What [`parse`] makes of `msg`.
    fn kind_of(msg: &str) -> Option<Kind> {
        parse(msg.as_bytes()).map(|r| r.kind)
    }

    /// The recipients [`parse`] finds in `msg`, after checking it is a report of `kind`.
    fn rows_of(msg: &str, kind: Kind) -> Vec<Recipient> {
        let r = parse(msg.as_bytes());
        assert_eq!(r.as_ref().map(|r| r.kind), Some(kind));
        r.map(|r| r.recipients).unwrap_or_default()
    }

    #[test]
    fn an_auto_reply_saying_the_mailbox_is_gone_is_a_bounce() {
        let gone = "From: info@example.com\nTo: a@example.jp\nSubject: Automatic reply: hello\n\
Auto-Submitted: auto-replied\n\nThis mailbox has been disabled. Please write to desk@example.com.\n";
        let r = rows_of(gone, Kind::Bounce);
        assert_eq!(r[0].recipient.as_deref(), Some("info@example.com"));
        assert_eq!(r[0].reason, "suspend");
        // A vacation notice stays one.
        let away = gone.replace("This mailbox has been disabled.", "I am away until Monday.");
        assert_eq!(kind_of(&away), Some(Kind::AutoReply));
    }

    #[test]
    fn a_multi_line_reply_cut_to_its_first_line_is_completed_from_the_transcript() {
        let section = "    (reason: 552-5.7.0 This message was blocked because its content)\n\
   ----- Transcript of session follows -----\n\
... while talking to mx.example.com.:\n>>> DATA\n\
<<< 552-5.7.0 This message was blocked because its content\n\
<<< 552-5.7.0 presents a security issue.\n\
<<< 552 5.7.0 See https://example.com/help q1 - esmtp\n\
554 5.0.0 Service unavailable\n";
        assert_eq!(
            whole_reply(
                "552-5.7.0 This message was blocked because its content",
                section
            )
            .as_deref(),
            Some(
                "552-5.7.0 This message was blocked because its content presents a security \
issue. See https://example.com/help q1 - esmtp"
            )
        );
        // A one-line reply, or one the text does not hold, is left as it is.
        assert_eq!(whole_reply("554 5.0.0 Service unavailable", section), None);
        assert_eq!(whole_reply("552-5.7.0 something else", section), None);
    }

    #[test]
    fn a_client_unsubscribe_request_is_opt_out_feedback() {
        let unsub = "From: reader@example.net\nTo: opt-out-1@example.org\nSubject: unsubscribe\n\
Auto-Submitted: auto-replied\nX-Apple-Unsubscribe: true\n\nThe mail client sent this to unsubscribe.\n";
        let r = rows_of(unsub, Kind::Feedback);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].recipient.as_deref(), Some("reader@example.net"));
        assert_eq!(r[0].feedback_type.as_deref(), Some("opt-out"));
        // Without the client's field it stays an auto-reply.
        let plain = unsub.replace("X-Apple-Unsubscribe: true\n", "");
        assert_eq!(kind_of(&plain), Some(Kind::AutoReply));
    }

    #[test]
    fn a_list_managers_refusal_of_a_post_is_a_bounce() {
        let notice = "From: list-admin@example.org\nTo: poster@example.net\n\
Subject: You poster@example.net are not member (team ML)\nX-MLServer: fml [fml 4.0]\n\n\
You are not a member of this mailing list <team@example.org>.\n\n\
Original mail as follows:\n\nFrom: poster@example.net\nTo: team@example.org\nSubject: hi\n";
        let r = rows_of(notice, Kind::Bounce);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].recipient.as_deref(), Some("team@example.org"));
        // An address a sentence about a Message-ID names is a recipient; an id is not one.
        let lp = "From: list-admin@example.org\nTo: list-admin@example.org\n\
Subject: Loop Alert: Duplicated Message-ID (team ML)\nX-MLServer: fml [fml 4.0]\n\n\
Duplicated Message-ID in <team@example.org>.\nMessage-ID: <1.2@example.org>\n";
        let r = rows_of(lp, Kind::Bounce);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].recipient.as_deref(), Some("team@example.org"));
        // The same list's ordinary traffic carries the header too and is no bounce.
        let post = "From: a@example.net\nTo: team@example.org\nSubject: meeting\n\
X-MLServer: fml [fml 4.0]\n\nSee you at noon.\n";
        assert_eq!(kind_of(post), None);
    }

    #[test]
    fn a_qmail_bounce_is_decoded_without_a_dsn() {
        let q = "From: MAILER-DAEMON@mx.example.jp\nTo: a@example.jp\nSubject: failure notice\n\n\
Hi. This is the qmail-send program at mx.example.jp.\n\
I'm afraid I wasn't able to deliver your message to the following addresses.\n\
This is a permanent error; I've given up. Sorry it didn't work out.\n\n\
<nobody@example.net>:\n192.0.2.1 does not like recipient.\n\
Remote host said: 550 5.1.1 <nobody@example.net>... User Unknown\nGiving up on 192.0.2.1.\n\n\
--- Below this line is a copy of the message.\n\nFrom: a@example.jp\nTo: nobody@example.net\nSubject: hi\n\nhello\n";
        let r = parse(q.as_bytes());
        assert_eq!(r.as_ref().map(|r| r.format), Some("qmail"));
        let x = r.map(|r| r.recipients).unwrap_or_default();
        assert_eq!(x.len(), 1);
        assert_eq!(x[0].recipient.as_deref(), Some("nobody@example.net"));
        assert_eq!(x[0].reason, "userunknown");
        assert_eq!(x[0].reply_code.map(ReplyCode::get), Some(550));
    }

    #[test]
    fn markers_in_signatures_and_trace_fields_do_not_name_the_format() {
        let bounce = |headers: &str| {
            format!(
                "From: MAILER-DAEMON@mx.example.jp\nTo: a@example.jp\nSubject: failure notice\n\
{headers}\n\nI wasn't able to deliver your message to the following addresses.\n\n\
<nobody@example.net>:\nRemote host said: 550 5.1.1 <nobody@example.net>... User Unknown\n"
            )
        };
        let format = |headers: &str| parse(bounce(headers).as_bytes()).map(|r| r.format);
        let opaque = "DKIM-Signature: v=1; d=example.jp;\n b=qmailEximPostfix0=\n\
X-Received: by postfix.example.jp with SMTP id 1\nDate: Mon, 1 Dec 2026 (Courier time)";
        assert_eq!(format(opaque), Some("generic"));
        assert_eq!(format("X-Mailer: qmail 1.03"), Some("qmail"));
    }

    #[test]
    fn nested_replies_and_status_preference() {
        let n = nested_reply("554 <a@example.org>... 550 Host unknown (Authoritative answer)");
        assert_eq!(n.map(|(r, e)| (r.get(), e)), Some((550, None)));
        let n = nested_reply("554 4.4.7 Message expired.<421 4.4.2 Connection timed out>");
        assert_eq!(
            n.map(|(r, e)| (r.get(), e.map(|e| e.to_string()))),
            Some((421, Some("4.4.2".to_string())))
        );
        assert!(nested_reply("550 5.1.1 <a@example.org>: user unknown").is_none());
        let code = |s: &str| s.parse::<EnhancedCode>().ok();
        let pick = |st: &str, tx: &str, r: u16| {
            choose_status(code(st), code(tx), ReplyCode::new(r)).map(|c| c.to_string())
        };
        // A summary status gives way to the server's own code; a specific one does not.
        assert_eq!(pick("4.4.7", "4.7.1", 450).as_deref(), Some("4.7.1"));
        assert_eq!(pick("5.1.1", "5.7.1", 550).as_deref(), Some("5.7.1"));
        assert_eq!(pick("5.1.1", "5.0.0", 550).as_deref(), Some("5.1.1"));
        assert_eq!(pick("4.5.0", "5.5.0", 550).as_deref(), Some("5.5.0"));
        assert_eq!(pick("5.2.2", "5.1.1", 552).as_deref(), Some("5.2.2"));
    }

    /// The recipients, statuses and reply codes of a message, as strings.
    fn fields(msg: &str) -> Vec<(String, String, String)> {
        parse(msg.as_bytes())
            .map(|r| r.recipients)
            .unwrap_or_default()
            .iter()
            .map(|x| {
                (
                    x.recipient.clone().unwrap_or_default(),
                    x.status.map(|s| s.to_string()).unwrap_or_default(),
                    x.reply_code.map(|c| c.to_string()).unwrap_or_default(),
                )
            })
            .collect()
    }

    fn row(r: &str, s: &str, c: &str) -> (String, String, String) {
        (r.to_string(), s.to_string(), c.to_string())
    }

    #[test]
    fn a_report_without_mime_boundaries_is_read_as_text() {
        // multipart/report with no boundary: the DSN fields and the prose are one text.
        let m = "From: MAILER-DAEMON@mx.example.org\nTo: a@example.net\n\
Subject: Returned mail: Service unavailable\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status;\n\n\
The original message was received at Mon, 1 Jan 2024 00:00:00 +0000\n\n\
554 \"|/usr/bin/procmail #bob\"... Service unavailable\n\n\
Reporting-MTA: dns; mx.example.org\n\n\
Final-Recipient: RFC822; bob@mx.example.org\nAction: failed\nStatus: 5.5.0\n\n\
Return-Path: <a@example.net>\nFrom: a@example.net\nTo: bob@example.org\nSubject: hi\n\nhello\n";
        assert_eq!(fields(m), [row("bob@mx.example.org", "5.5.0", "554")]);
        // A boundary that is declared but never used.
        let m = "From: MAILER-DAEMON@mx.example.org\nTo: a@example.net\n\
Subject: Delivery Notification: Delivery has failed\nMIME-Version: 1.0\n\
Content-Type: multipart/report; boundary=\"never\"; report-type=delivery-status\n\n\
Your message cannot be delivered to the following recipients:\n\n\
Reporting-MTA: dns; mx.example.org\n\nAction: failed\nStatus: 5.0.0\n\
Final-recipient: rfc822;bob@example.org\nDiagnostic-code: smtp; 550 5.7.1 User Unknown\n";
        assert_eq!(fields(m), [row("bob@example.org", "5.7.1", "550")]);
    }

    #[test]
    fn recipients_come_from_the_original_when_the_text_names_none() {
        // sendmail: the address is only in the copy of the message after the marker.
        let m = "From: Mail Delivery Subsystem <MAILER-DAEMON@example.org>\nTo: a@example.net\n\
Subject: Returned mail: Cannot send message for 4 days\n\n\
   ----- Transcript of session follows -----\n\
421 example.com (smtp)... Deferred: Connection timed out during user open with example.com\n\n\
   ----- Unsent message follows -----\nFrom: a@example.net\nTo: b@example.com\nSubject: x\n\nhi\n";
        assert_eq!(fields(m), [row("b@example.com", "", "421")]);
        // A mail system's address is the recipient when the text names it too; a contact
        // address in the boilerplate never is.
        let m = "From: MAILER-DAEMON <>\nTo: a@example.net\nSubject: Mail delivery failed\n\n\
There was an error delivering your mail to <postmaster@example.org>.\n\
For help, please contact <help@example.com>.\n\
DNS lookup failure: host example.org not found\nMessage headers follow.\n\
To: <postmaster@example.org>\nFrom: <a@example.net>\nSubject: x\n";
        assert_eq!(fields(m), [row("postmaster@example.org", "", "")]);
        // A message sent to oneself bounces to its own sender.
        let m = "From: MAILER-DAEMON@example.net\nTo: a@example.net\nSubject: failure notice\n\n\
Hi. This is the qmail-send program at example.net.\n\
I'm afraid I wasn't able to deliver your message to the following addresses.\n\n\
<a@example.net>:\n192.0.2.1 does not like recipient.\n\
Remote host said: 552 Error: disk quota exceeded\nGiving up on 192.0.2.1.\n";
        assert_eq!(fields(m), [row("a@example.net", "", "552")]);
        // Exim's alias source and a help desk named twice are no recipients.
        let m = "From: Mail Delivery System <Mailer-Daemon@example.org>\nTo: a@example.net\n\
Subject: Mail delivery failed: returning message to sender\n\n\
This message was created automatically by mail delivery software.\n\
For further assistance, please contact <help@example.org>\n\n\
A message that you sent could not be delivered to one or more of its\n\
recipients. This is a permanent error. The following address(es) failed:\n\n\
  b@example.com\n    (generated from c@example.net)\n\
    SMTP error from remote mail server after end of data:\n\
    host mx.example.com [192.0.2.1]: 550 5.2.0 Mail rejected\n\n\
Write to <help@example.org> if in doubt.\n";
        assert_eq!(fields(m), [row("b@example.com", "5.2.0", "550")]);
        // Exchange 2003: the summary of the message names its To before the failed recipient.
        let m = "From: postmaster@example.jp\nTo: a@example.net\nSubject: Undeliverable: hi\n\n\
Your message\n\n  To:      b@example.net\n  Subject: hi\n\n\
did not reach the following recipient(s):\n\n\
c@example.jp on Thu, 29 Apr 2010 00:00:00 -0000\n    The recipient name is not recognized\n";
        assert_eq!(fields(m), [row("c@example.jp", "", "")]);
    }

    #[test]
    fn dsn_field_variants() {
        // White space before the colon, and a Final-Recipient that is a pipe, not an address.
        let m = "From: MAILER-DAEMON@mx.example.org\nTo: a@example.net\nSubject: Mail delivery failed\n\
MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n\n\
--B\nContent-Type: text/plain\n\nThis message was created automatically by mail delivery software.\n\n\
  pipe to |/usr/bin/prog bob@example.org\n    generated by bob@example.org\n\n\
--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n\
Action: failed\nFinal-Recipient: rfc822;|/usr/bin/prog bob@example.org\nStatus: 5.0.0\n\n\
Final-Recipient : rfc822; carol@example.org\nAction : failed\nStatus : 5.7.54\n\
Diagnostic-Code : smtp;550 5.7.54 Unable to relay\n--B--\n";
        assert_eq!(
            fields(m),
            [
                row("bob@example.org", "5.0.0", ""),
                row("carol@example.org", "5.7.54", "550")
            ]
        );
        // A diagnostic of codes only says something; an exit status does not.
        assert!(!diagnostic_is_empty("250 2.1.5 Ok"));
        assert!(diagnostic_is_empty("255"));
    }

    #[test]
    fn a_bounce_carrying_a_bounce_is_that_bounce() {
        let inner = "From: MAILER-DAEMON@mx.example.org\nTo: a@example.net\n\
Subject: Returned mail: User unknown\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"I\"\n\n\
--I\nContent-Type: text/plain\n\nThe following addresses had permanent fatal errors\n\n\
--I\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n\
Final-Recipient: RFC822; bob@example.org\nAction: failed\nStatus: 5.1.1\n\
Diagnostic-Code: smtp; 550 5.1.1 User unknown\n\n--I--\n";
        let want = [row("bob@example.org", "5.1.1", "550")];
        // Attached as message/rfc822 ...
        let attached = format!(
            "From: MAILER-DAEMON@relay.example.net\nTo: a@example.net\nSubject: Returned mail\n\
MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"O\"\n\n--O\n\
Content-Type: text/plain\n\nThe original message was received at Mon, 1 Jan 2024\n\n\
----- The following addresses had permanent delivery errors -----\n\n--O\n\
Content-Type: message/rfc822\n\n{inner}\n--O--\n"
        );
        assert_eq!(fields(&attached), want);
        // ... or copied into the text.
        let copied = format!(
            "From: MAILER-DAEMON@relay.example.net\nTo: a@example.net\n\
Subject: Undelivered Mail Returned to Sender\n\n\
I'm sorry to have to inform you that the message returned\nbelow could not be delivered.\n\n\
---------------------------------\nReturn-Path: <>\n{inner}"
        );
        assert_eq!(fields(&copied), want);
        // ... or quoted in a forward.
        let quoted: String = inner.lines().map(|l| format!("> {l}\n")).collect();
        let forward = format!(
            "From: a@example.net\nTo: admin@example.net\n\
Subject: Fwd: Returned mail: User unknown\n\nWhat is this?\n\n\
Begin forwarded message:\n\n{quoted}\nThanks\n"
        );
        assert_eq!(fields(&forward), want);
        // A quoted message that is no report gives nothing.
        let reply = "From: b@example.net\nTo: a@example.net\nSubject: Re: lunch\n\nYes!\n\n\
> From: a@example.net\n> Subject: lunch\n>\n> Noon?\n";
        assert!(parse(reply.as_bytes()).is_none());
    }

    #[test]
    fn exim_delay_warnings_are_bounces_and_jmrp_is_feedback() {
        let m = "From: Mail Delivery System <Mailer-Daemon@example.org>\nTo: a@example.org\n\
Subject: Warning: message 1abc delayed 24 hours\nAuto-Submitted: auto-replied\n\n\
This message was created automatically by mail delivery software.\n\
A message that you sent has not yet been delivered to one or more of its\n\
recipients after more than 24 hours on the queue on example.org.\n\n\
The address to which the message has not yet been delivered is:\n\n  b@example.com\n\
    Delay reason: SMTP error from remote mail server after MAIL FROM:<a@example.org>:\n\
    450 service permits 2 unverifyable sending IPs\n\nNo action is required on your part.\n";
        assert_eq!(fields(m), [row("b@example.com", "", "450")]);
        let jmrp = "From: staff@example.net\nTo: abuse@example.org\n\
Subject: complaint about message from 192.0.2.2\nMIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"J\"\n\n--J\nContent-Type: message/rfc822\n\n\
From: a@example.org\nTo: b@example.com\nSubject: x\n\nhi\n--J--\n";
        let x = rows_of(jmrp, Kind::Feedback);
        assert_eq!(x.len(), 1);
        assert_eq!(x[0].recipient.as_deref(), Some("b@example.com"));
        assert_eq!(x[0].feedback_type.as_deref(), Some("abuse"));
    }

    #[test]
    fn pseudo_status_codes_are_never_reported() {
        assert_eq!(parse_status("5.9.213"), None);
        assert_eq!(
            parse_status("5.1.1 (user unknown)").map(|c| c.detail),
            Some(1)
        );
        assert_eq!(parse_status("garbage"), None);
    }
}
