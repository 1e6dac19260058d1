//! The SMTP reply reader (RFC 5321 section 4.2).
//!
//! This parser is written here rather than taken from smtp-proto or an MTA on purpose: an MTA's
//! parser rightly accepts a bare LF, a continuation line whose code differs from the first line,
//! or conflicting enhanced codes without a word. A doctor must notice them, so every deviation this
//! reader tolerates is recorded as an [`Anomaly`] on the [`Reply`], and every read is bounded by
//! [`Limits`].

use crate::enhanced::parse_enhanced;
use smtp_doctor_model::{EnhancedCode, ReplyCode};
use std::fmt;

/// How many of a reply's first bytes an error keeps, so a caller can tell what answered.
const HEAD_BYTES: usize = 64;

/// Size limits for one reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest line kept, in bytes without the line ending; longer lines are truncated.
    pub max_line: usize,
    /// Largest reply, in bytes with line endings; a larger one is an error.
    pub max_reply: usize,
    /// Most lines kept per reply; further lines are read but dropped.
    pub max_lines: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 4096,
            max_reply: 64 * 1024,
            max_lines: 1000,
        }
    }
}

/// One complete SMTP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The reply code of the first line.
    pub code: ReplyCode,
    /// The first enhanced status code found at the start of a line's text, if any.
    pub enhanced: Option<EnhancedCode>,
    /// The text of each line after "NNN-" or "NNN ", decoded lossily, enhanced code included.
    pub lines: Vec<String>,
    /// Bytes the reply took on the wire, line endings included.
    pub raw_len: usize,
    /// What the reader tolerated, in the order it was seen.
    pub anomalies: Vec<Anomaly>,
}

impl Reply {
    /// The lines joined with newlines.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// True when the reply deviates from RFC 5321 in any way the reader noticed.
    pub fn has_anomalies(&self) -> bool {
        !self.anomalies.is_empty()
    }
}

/// Something a reply did that RFC 5321 does not allow, tolerated and recorded.
///
/// `line` fields are 0-based line numbers within the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Anomaly {
    /// The line ended with LF alone instead of CRLF.
    BareLf {
        /// The line.
        line: usize,
    },
    /// A CR not followed by LF inside the line; it is kept in the text.
    BareCr {
        /// The line.
        line: usize,
    },
    /// A line's reply code differs from the first line's.
    CodeMismatch {
        /// The line.
        line: usize,
        /// The first line's code.
        expected: ReplyCode,
        /// This line's code.
        found: ReplyCode,
    },
    /// A line's enhanced code differs from the reply's first enhanced code.
    EnhancedConflict {
        /// The line.
        line: usize,
        /// The reply's first enhanced code.
        first: EnhancedCode,
        /// This line's enhanced code.
        found: EnhancedCode,
    },
    /// The enhanced code's class (2, 4, 5) disagrees with the reply code's first digit.
    EnhancedClassMismatch {
        /// The reply code.
        code: ReplyCode,
        /// The enhanced code.
        enhanced: EnhancedCode,
    },
    /// The line was longer than the limit; the text holds its first `limit` bytes.
    LineTooLong {
        /// The line.
        line: usize,
        /// Its full length in bytes, without the line ending.
        length: usize,
        /// The limit it exceeded.
        limit: usize,
    },
    /// The line holds NUL bytes.
    NulByte {
        /// The line.
        line: usize,
    },
    /// The line holds bytes above 127.
    EightBit {
        /// The line.
        line: usize,
        /// True when those bytes are valid UTF-8 (as SMTPUTF8 servers may send).
        valid_utf8: bool,
    },
    /// No space between the code and the text, as in "250OK"; read as a last line.
    MissingSpace {
        /// The line.
        line: usize,
    },
    /// The reply had more lines than the limit; lines after it were dropped.
    TooManyLines {
        /// Lines in the reply.
        lines: usize,
        /// The limit.
        limit: usize,
    },
    /// Lines without a reply code came before the greeting (see
    /// [`ReplyReader::expect_greeting`]); they were skipped.
    BytesBeforeGreeting {
        /// Bytes skipped, line endings included.
        bytes: usize,
        /// Lines skipped.
        lines: usize,
        /// Up to 64 of those bytes, as received.
        first_bytes: Vec<u8>,
    },
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anomaly::BareLf { line } => write!(f, "line {} ends with a bare LF", line + 1),
            Anomaly::BareCr { line } => write!(f, "line {} holds a bare CR", line + 1),
            Anomaly::CodeMismatch {
                line,
                expected,
                found,
            } => write!(
                f,
                "line {} has code {found}, the first line has {expected}",
                line + 1
            ),
            Anomaly::EnhancedConflict { line, first, found } => write!(
                f,
                "line {} has enhanced code {found}, an earlier line has {first}",
                line + 1
            ),
            Anomaly::EnhancedClassMismatch { code, enhanced } => {
                write!(
                    f,
                    "enhanced code {enhanced} disagrees with reply code {code}"
                )
            }
            Anomaly::LineTooLong {
                line,
                length,
                limit,
            } => write!(
                f,
                "line {} is {length} bytes long, cut to {limit}",
                line + 1
            ),
            Anomaly::NulByte { line } => write!(f, "line {} holds NUL bytes", line + 1),
            Anomaly::EightBit { line, valid_utf8 } => write!(
                f,
                "line {} holds 8-bit bytes ({})",
                line + 1,
                if *valid_utf8 {
                    "valid UTF-8"
                } else {
                    "not UTF-8"
                }
            ),
            Anomaly::MissingSpace { line } => {
                write!(f, "line {} has no space after the code", line + 1)
            }
            Anomaly::TooManyLines { lines, limit } => {
                write!(f, "reply has {lines} lines, only {limit} kept")
            }
            Anomaly::BytesBeforeGreeting {
                bytes,
                lines,
                first_bytes,
            } => write!(
                f,
                "{bytes} bytes in {lines} line{} without a reply code came before the greeting: {}",
                if *lines == 1 { "" } else { "s" },
                show(first_bytes)
            ),
        }
    }
}

/// Why bytes could not be read as an SMTP reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// The first line does not start with a three-digit reply code: something else answered.
    #[error("not an SMTP reply{}: {}", looks_like(first_bytes), show(first_bytes))]
    NotSmtp {
        /// Up to 64 bytes of what was received, as received.
        first_bytes: Vec<u8>,
    },
    /// A later line of the reply does not start with a three-digit reply code.
    #[error("line {} of the reply has no reply code: {}", line + 1, show(first_bytes))]
    MalformedLine {
        /// The 0-based line number.
        line: usize,
        /// Up to 64 bytes of that line.
        first_bytes: Vec<u8>,
    },
    /// The reply grew past the size limit before its last line.
    #[error("reply larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The input ended in the middle of a reply.
    #[error(
        "input ended inside a reply after {received} bytes: {}",
        show(first_bytes)
    )]
    Incomplete {
        /// Bytes of the reply received.
        received: usize,
        /// Up to 64 of them.
        first_bytes: Vec<u8>,
    },
}

impl ReplyError {
    /// The service that seems to have answered instead of an SMTP server, when recognisable.
    pub fn looks_like(&self) -> Option<&'static str> {
        match self {
            ReplyError::NotSmtp { first_bytes } | ReplyError::Incomplete { first_bytes, .. } => {
                crate::classify_non_smtp(first_bytes)
            }
            _ => None,
        }
    }
}

fn looks_like(bytes: &[u8]) -> String {
    crate::classify_non_smtp(bytes)
        .map(|s| format!(" (looks like {s})"))
        .unwrap_or_default()
}

/// Bytes shown escaped, so binary junk stays on one line.
fn show(bytes: &[u8]) -> String {
    format!("\"{}\"", bytes.escape_ascii())
}

/// What one call to the reader produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The reply is not complete yet; feed more bytes.
    NeedMore,
    /// A complete reply.
    Complete(Reply),
}

/// An incremental, bounded SMTP reply reader.
///
/// Feed it bytes as they arrive with [`push`](Self::push) (which keeps bytes after a complete
/// reply for the next call) or [`parse`](Self::parse) (which advances the caller's slice). It keeps
/// at most one line (up to [`Limits::max_line`]) and the lines of one reply, never the raw stream.
/// Errors are sticky: once one is returned, every later call returns it until
/// [`reset`](Self::reset).
#[derive(Debug, Clone, Default)]
pub struct ReplyReader {
    limits: Limits,
    /// Bytes given to `push` and not yet parsed.
    pending: Vec<u8>,
    /// The current line, without its ending, truncated to the line limit.
    line: Vec<u8>,
    /// The current line's full length.
    line_len: usize,
    /// A CR was the last byte seen; the next decides whether it ends the line.
    saw_cr: bool,
    line_nul: bool,
    line_8bit: bool,
    line_bare_cr: bool,
    /// The first bytes of the reply, as received.
    head: Vec<u8>,
    code: Option<ReplyCode>,
    enhanced: Option<EnhancedCode>,
    lines: Vec<String>,
    /// Lines seen, kept or not.
    line_count: usize,
    raw_len: usize,
    anomalies: Vec<Anomaly>,
    failed: Option<ReplyError>,
    /// Bytes of lines without a code still tolerated before the first reply (greeting mode).
    junk_allowance: usize,
    /// Bytes of such lines skipped so far, line endings included.
    junk_bytes: usize,
    /// Lines of them skipped so far.
    junk_lines: usize,
    /// The first bytes of them, as received.
    junk_head: Vec<u8>,
}

impl ReplyReader {
    /// A reader with the default limits.
    pub fn new() -> Self {
        ReplyReader::default()
    }

    /// A reader with the given limits (a line limit below 4 bytes is raised to 4).
    pub fn with_limits(limits: Limits) -> Self {
        let limits = Limits {
            max_line: limits.max_line.max(4),
            ..limits
        };
        ReplyReader {
            limits,
            ..ReplyReader::default()
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Says the next reply is the server's greeting: up to `max_junk` bytes of whole lines
    /// without a reply code may come before it. They are skipped and reported on the greeting
    /// as [`Anomaly::BytesBeforeGreeting`], instead of making the reply [`ReplyError::NotSmtp`].
    ///
    /// A skipped line that shows another service (HTTP, SSH, ...; see
    /// [`classify_non_smtp`](crate::classify_non_smtp)), more than `max_junk` bytes of such
    /// lines, or the end of input after them still give [`ReplyError::NotSmtp`], with the first
    /// bytes received. Only the next reply is read this way.
    pub fn expect_greeting(&mut self, max_junk: usize) {
        self.junk_allowance = max_junk;
    }

    /// The first bytes of the lines skipped before the greeting so far (empty when none).
    pub fn skipped(&self) -> &[u8] {
        &self.junk_head
    }

    /// Adds `bytes` and reads at most one reply; bytes after it wait for the next call.
    ///
    /// After a `Complete`, call `push(&[])` until `NeedMore` to drain pipelined replies.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Progress, ReplyError> {
        let mut pending = std::mem::take(&mut self.pending);
        pending.extend_from_slice(bytes);
        let mut input = pending.as_slice();
        let result = self.parse(&mut input);
        let consumed = pending.len() - input.len();
        pending.drain(..consumed);
        self.pending = pending;
        result
    }

    /// Reads from `input` until one reply is complete or `input` is empty, advancing `input`
    /// past the bytes used.
    pub fn parse(&mut self, input: &mut &[u8]) -> Result<Progress, ReplyError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        while let Some((&byte, rest)) = input.split_first() {
            *input = rest;
            match self.byte(byte) {
                Ok(None) => {}
                Ok(Some(reply)) => return Ok(Progress::Complete(reply)),
                Err(err) => {
                    self.failed = Some(err.clone());
                    return Err(err);
                }
            }
        }
        Ok(Progress::NeedMore)
    }

    /// Says no more bytes will come (end of stream or timeout).
    ///
    /// Returns a complete reply still waiting from an earlier [`push`](Self::push) (call again
    /// until `Ok(None)`), `Ok(None)` when nothing is left, or an error when the input ended inside
    /// a reply. Data with no line ending that does not start like a reply gives `NotSmtp`, so a
    /// TLS alert or a binary handshake is recognised once the peer closes or the deadline passes.
    pub fn finish(&mut self) -> Result<Option<Reply>, ReplyError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if !self.pending.is_empty() {
            if let Progress::Complete(reply) = self.push(&[])? {
                return Ok(Some(reply));
            }
        }
        if self.raw_len == 0 && self.junk_bytes == 0 {
            return Ok(None);
        }
        let err = if self.line_count == 0 && (self.raw_len == 0 || !code_prefix_ok(&self.line)) {
            ReplyError::NotSmtp {
                first_bytes: self.first_bytes(),
            }
        } else {
            ReplyError::Incomplete {
                received: self.raw_len,
                first_bytes: self.head.clone(),
            }
        };
        self.failed = Some(err.clone());
        Err(err)
    }

    /// The bytes of the line being read, for showing what a server sent before it went quiet.
    pub fn partial_line(&self) -> &[u8] {
        &self.line
    }

    /// True when bytes of a reply not yet complete have been read or are waiting.
    pub fn is_mid_reply(&self) -> bool {
        self.raw_len > 0 || !self.pending.is_empty()
    }

    /// Forgets all state, including a sticky error, keeping the limits.
    pub fn reset(&mut self) {
        *self = ReplyReader::with_limits(self.limits);
    }

    /// Takes one byte; returns a reply when it completed one.
    fn byte(&mut self, byte: u8) -> Result<Option<Reply>, ReplyError> {
        self.raw_len += 1;
        if self.raw_len > self.limits.max_reply {
            return Err(ReplyError::TooLarge {
                limit: self.limits.max_reply,
            });
        }
        if self.head.len() < HEAD_BYTES {
            self.head.push(byte);
        }
        if self.saw_cr {
            self.saw_cr = false;
            if byte == b'\n' {
                return self.end_line(false);
            }
            self.line_bare_cr = true;
            self.add(b'\r');
        }
        match byte {
            b'\r' => self.saw_cr = true,
            b'\n' => return self.end_line(true),
            _ => self.add(byte),
        }
        // Junk with no line ending: give up once there is enough of it to show (in greeting
        // mode, once it is more than the greeting may be preceded by).
        if self.line_count == 0
            && self.line_len >= HEAD_BYTES.max(self.junk_room())
            && !code_prefix_ok(&self.line)
        {
            return Err(ReplyError::NotSmtp {
                first_bytes: self.first_bytes(),
            });
        }
        Ok(None)
    }

    /// Bytes of lines without a code that may still come before the greeting.
    fn junk_room(&self) -> usize {
        self.junk_allowance.saturating_sub(self.junk_bytes)
    }

    /// The first bytes received for the reply being read (complete lines of an unfinished
    /// multi-line reply included), lines skipped before a greeting first; at most 128 bytes.
    pub fn first_bytes(&self) -> Vec<u8> {
        if self.junk_head.is_empty() {
            self.head.clone()
        } else {
            let mut b = self.junk_head.clone();
            let room = HEAD_BYTES.saturating_sub(b.len());
            b.extend(self.head.iter().take(room));
            b
        }
    }

    /// Skips a line without a code before the greeting, when greeting mode allows it; `false`
    /// when it does not (not in greeting mode, too much junk, or the line shows a service).
    fn skip_junk_line(&mut self) -> bool {
        // Every byte of the reply so far belongs to this line: earlier junk was moved out.
        let bytes = self.raw_len;
        if self.junk_allowance == 0
            || bytes > self.junk_room()
            || crate::classify_non_smtp(&self.head).is_some()
            || crate::classify_non_smtp(&self.first_bytes()).is_some()
        {
            return false;
        }
        self.junk_head = self.first_bytes();
        self.junk_bytes += bytes;
        self.junk_lines += 1;
        self.raw_len = 0;
        self.head.clear();
        self.line_len = 0;
        self.line_nul = false;
        self.line_8bit = false;
        self.line_bare_cr = false;
        true
    }

    /// Adds a byte of line content.
    fn add(&mut self, byte: u8) {
        self.line_len += 1;
        if self.line.len() < self.limits.max_line {
            self.line.push(byte);
        }
        match byte {
            0 => self.line_nul = true,
            0x80.. => self.line_8bit = true,
            _ => {}
        }
    }

    /// Handles the end of a line; returns the reply if it was the last line.
    fn end_line(&mut self, bare_lf: bool) -> Result<Option<Reply>, ReplyError> {
        let index = self.line_count;
        let line = std::mem::take(&mut self.line);
        let Some(code) = line_code(&line) else {
            if index == 0 && self.skip_junk_line() {
                return Ok(None);
            }
            let first_bytes = if index == 0 && crate::classify_non_smtp(&self.head).is_some() {
                // A service's own line after skipped junk: show that line, which names it.
                self.head.clone()
            } else if index == 0 {
                self.first_bytes()
            } else {
                line.iter().take(HEAD_BYTES).copied().collect()
            };
            return Err(if index == 0 {
                ReplyError::NotSmtp { first_bytes }
            } else {
                ReplyError::MalformedLine {
                    line: index,
                    first_bytes,
                }
            });
        };
        let (last, text_bytes) = match line.get(3..) {
            None | Some([]) => (true, &[][..]),
            Some([b' ', rest @ ..]) => (true, rest),
            Some([b'-', rest @ ..]) => (false, rest),
            Some(rest) => {
                self.anomalies.push(Anomaly::MissingSpace { line: index });
                (true, rest)
            }
        };
        if bare_lf {
            self.anomalies.push(Anomaly::BareLf { line: index });
        }
        if self.line_bare_cr {
            self.anomalies.push(Anomaly::BareCr { line: index });
        }
        if self.line_nul {
            self.anomalies.push(Anomaly::NulByte { line: index });
        }
        if self.line_8bit {
            let valid_utf8 = match std::str::from_utf8(&line) {
                Ok(_) => true,
                // A cut line may end inside a character; that part is not the server's fault.
                Err(e) => self.line_len > line.len() && e.error_len().is_none(),
            };
            self.anomalies.push(Anomaly::EightBit {
                line: index,
                valid_utf8,
            });
        }
        if self.line_len > line.len() {
            self.anomalies.push(Anomaly::LineTooLong {
                line: index,
                length: self.line_len,
                limit: self.limits.max_line,
            });
        }
        match self.code {
            None => self.code = Some(code),
            Some(expected) if expected != code => self.anomalies.push(Anomaly::CodeMismatch {
                line: index,
                expected,
                found: code,
            }),
            Some(_) => {}
        }
        let text = String::from_utf8_lossy(text_bytes).into_owned();
        if let Some(found) = parse_enhanced(&text) {
            match self.enhanced {
                None => {
                    self.enhanced = Some(found);
                    let reply_class = self.code.map_or(0, ReplyCode::class_digit);
                    if matches!(reply_class, 2 | 4 | 5) && found.class != reply_class {
                        if let Some(code) = self.code {
                            self.anomalies.push(Anomaly::EnhancedClassMismatch {
                                code,
                                enhanced: found,
                            });
                        }
                    }
                }
                Some(first) if first != found => {
                    self.anomalies.push(Anomaly::EnhancedConflict {
                        line: index,
                        first,
                        found,
                    });
                }
                Some(_) => {}
            }
        }
        if self.lines.len() < self.limits.max_lines {
            self.lines.push(text);
        }
        self.line_count += 1;
        self.line_len = 0;
        self.line_nul = false;
        self.line_8bit = false;
        self.line_bare_cr = false;
        if !last {
            return Ok(None);
        }
        if self.line_count > self.limits.max_lines {
            self.anomalies.push(Anomaly::TooManyLines {
                lines: self.line_count,
                limit: self.limits.max_lines,
            });
        }
        let mut anomalies = std::mem::take(&mut self.anomalies);
        if self.junk_lines > 0 {
            anomalies.insert(
                0,
                Anomaly::BytesBeforeGreeting {
                    bytes: self.junk_bytes,
                    lines: self.junk_lines,
                    first_bytes: std::mem::take(&mut self.junk_head),
                },
            );
        }
        self.junk_allowance = 0;
        self.junk_bytes = 0;
        self.junk_lines = 0;
        self.junk_head.clear();
        let reply = Reply {
            code: self.code.unwrap_or(code),
            enhanced: self.enhanced.take(),
            lines: std::mem::take(&mut self.lines),
            raw_len: self.raw_len,
            anomalies,
        };
        self.code = None;
        self.line_count = 0;
        self.raw_len = 0;
        self.head.clear();
        Ok(Some(reply))
    }
}

/// Reads exactly one reply from a complete buffer; bytes after it are ignored (see `raw_len`).
pub fn parse_reply(bytes: &[u8]) -> Result<Reply, ReplyError> {
    parse_reply_with(bytes, Limits::default())
}

fn parse_reply_with(bytes: &[u8], limits: Limits) -> Result<Reply, ReplyError> {
    let mut reader = ReplyReader::with_limits(limits);
    let mut input = bytes;
    match reader.parse(&mut input)? {
        Progress::Complete(reply) => Ok(reply),
        Progress::NeedMore => {
            reader.finish()?;
            Err(ReplyError::Incomplete {
                received: 0,
                first_bytes: Vec::new(),
            })
        }
    }
}

/// The reply code at the start of a line: three digits forming a valid code.
fn line_code(line: &[u8]) -> Option<ReplyCode> {
    match line {
        [a, b, c, ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            let n = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
            ReplyCode::new(n)
        }
        _ => None,
    }
}

/// True while the bytes so far could still begin a reply line ("2", "25", "250...").
fn code_prefix_ok(line: &[u8]) -> bool {
    match line {
        [] => true,
        [a] => matches!(a, b'1'..=b'5'),
        [a, b] => matches!(a, b'1'..=b'5') && b.is_ascii_digit(),
        _ => line_code(line).is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(bytes: &[u8]) -> Reply {
        match parse_reply(bytes) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    fn code(n: u16) -> ReplyCode {
        ReplyCode::new(n).unwrap()
    }

    fn enh(s: &str) -> EnhancedCode {
        s.parse().unwrap()
    }

    const MULTI: &[u8] = b"250-mx.example.org Hello [192.0.2.1]\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 2.0.0 HELP\r\n";

    #[test]
    fn single_line_reply() {
        let r = reply(b"220 mx.example.org ESMTP Postfix\r\n");
        assert_eq!(r.code, code(220));
        assert_eq!(r.lines, ["mx.example.org ESMTP Postfix"]);
        assert_eq!(r.raw_len, 34);
        assert_eq!(r.enhanced, None);
        assert!(!r.has_anomalies());
    }

    #[test]
    fn multi_line_reply_with_enhanced_code() {
        let r = reply(MULTI);
        assert_eq!(r.code, code(250));
        assert_eq!(r.lines.len(), 5);
        assert_eq!(r.lines[0], "mx.example.org Hello [192.0.2.1]");
        assert_eq!(r.lines[4], "2.0.0 HELP");
        assert_eq!(r.enhanced, Some(enh("2.0.0")));
        assert!(!r.has_anomalies());
        let r = reply(b"550-5.1.1 The email account that you tried to reach does not exist.\r\n550 5.1.1 https://support.google.com/mail/?p=NoSuchUser\r\n");
        assert_eq!(r.enhanced, Some(enh("5.1.1")));
        assert_eq!(r.text().lines().count(), 2);
        assert!(!r.has_anomalies(), "{:?}", r.anomalies);
    }

    #[test]
    fn every_split_point_gives_the_same_reply() {
        let whole = reply(MULTI);
        for split in 0..=MULTI.len() {
            let (a, b) = MULTI.split_at(split);
            let mut reader = ReplyReader::new();
            let first = reader.push(a).unwrap();
            let got = match first {
                Progress::Complete(r) => {
                    assert_eq!(split, MULTI.len());
                    r
                }
                Progress::NeedMore => match reader.push(b).unwrap() {
                    Progress::Complete(r) => r,
                    Progress::NeedMore => panic!("incomplete after split {split}"),
                },
            };
            assert_eq!(got, whole, "split at {split}");
        }
    }

    #[test]
    fn byte_by_byte_and_three_way_splits() {
        let whole = reply(MULTI);
        let mut reader = ReplyReader::new();
        let mut got = None;
        for (i, b) in MULTI.iter().enumerate() {
            match reader.push(std::slice::from_ref(b)).unwrap() {
                Progress::Complete(r) => {
                    assert_eq!(i, MULTI.len() - 1);
                    got = Some(r);
                }
                Progress::NeedMore => assert!(i < MULTI.len() - 1),
            }
        }
        assert_eq!(got.as_ref(), Some(&whole));
        for i in 0..MULTI.len() {
            for j in i..MULTI.len() {
                let mut reader = ReplyReader::new();
                let mut input = &MULTI[..i];
                assert_eq!(reader.parse(&mut input).unwrap(), Progress::NeedMore);
                let mut input = &MULTI[i..j];
                assert_eq!(reader.parse(&mut input).unwrap(), Progress::NeedMore);
                let mut input = &MULTI[j..];
                assert_eq!(
                    reader.parse(&mut input).unwrap(),
                    Progress::Complete(whole.clone())
                );
            }
        }
    }

    #[test]
    fn crlf_split_between_cr_and_lf() {
        let mut reader = ReplyReader::new();
        assert_eq!(reader.push(b"221 bye\r").unwrap(), Progress::NeedMore);
        let Progress::Complete(r) = reader.push(b"\n").unwrap() else {
            panic!()
        };
        assert_eq!(r.lines, ["bye"]);
        assert!(!r.has_anomalies());
    }

    #[test]
    fn pipelined_replies_come_out_one_at_a_time() {
        let mut reader = ReplyReader::new();
        let Progress::Complete(a) = reader
            .push(b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go")
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(a.enhanced, Some(enh("2.1.0")));
        assert_eq!(a.raw_len, 14);
        let Progress::Complete(b) = reader.push(&[]).unwrap() else {
            panic!()
        };
        assert_eq!(b.enhanced, Some(enh("2.1.5")));
        assert!(reader.is_mid_reply());
        assert_eq!(reader.push(&[]).unwrap(), Progress::NeedMore);
        assert_eq!(reader.partial_line(), b"354 go");
        let Progress::Complete(c) = reader.push(b" ahead\r\n").unwrap() else {
            panic!()
        };
        assert_eq!(c.code, code(354));
        assert_eq!(c.lines, ["go ahead"]);
        assert!(!reader.is_mid_reply());
        assert_eq!(reader.finish(), Ok(None));
        // At end of input, replies still waiting come out of finish.
        let mut reader = ReplyReader::new();
        assert!(matches!(
            reader.push(b"250 a\r\n251 b\r\n"),
            Ok(Progress::Complete(_))
        ));
        assert!(matches!(reader.finish(), Ok(Some(r)) if r.code == code(251)));
        assert_eq!(reader.finish(), Ok(None));
    }

    #[test]
    fn parse_advances_the_callers_slice() {
        let mut reader = ReplyReader::new();
        let data = b"250 a\r\n251 b\r\n";
        let mut input = &data[..];
        assert!(matches!(
            reader.parse(&mut input),
            Ok(Progress::Complete(_))
        ));
        assert_eq!(input, b"251 b\r\n");
        assert!(matches!(
            reader.parse(&mut input),
            Ok(Progress::Complete(r)) if r.code == code(251)
        ));
        assert!(input.is_empty());
    }

    #[test]
    fn bare_lf_is_tolerated_and_reported() {
        let crlf = reply(b"250-a\r\n250 b\r\n");
        let lf = reply(b"250-a\n250 b\n");
        assert_eq!(lf.lines, crlf.lines);
        assert_eq!(
            lf.anomalies,
            [Anomaly::BareLf { line: 0 }, Anomaly::BareLf { line: 1 }]
        );
        let mixed = reply(b"250-a\r\n250 b\n");
        assert_eq!(mixed.anomalies, [Anomaly::BareLf { line: 1 }]);
    }

    #[test]
    fn bare_cr_is_kept_and_reported() {
        let r = reply(b"250 a\rb\r\r\n");
        assert_eq!(r.lines, ["a\rb\r"]);
        assert_eq!(r.anomalies, [Anomaly::BareCr { line: 0 }]);
    }

    #[test]
    fn continuation_with_another_code() {
        let r = reply(b"250-first\r\n251-second\r\n250 third\r\n");
        assert_eq!(r.code, code(250));
        assert_eq!(
            r.anomalies,
            [Anomaly::CodeMismatch {
                line: 1,
                expected: code(250),
                found: code(251)
            }]
        );
        // The line's own separator decides where the reply ends, whatever its code.
        let r = reply(b"450-4.7.1 try later\r\n550 5.7.1 denied\r\n");
        assert_eq!(r.code, code(450));
        assert_eq!(r.lines.len(), 2);
        assert!(r.anomalies.contains(&Anomaly::CodeMismatch {
            line: 1,
            expected: code(450),
            found: code(550)
        }));
        assert!(r.anomalies.contains(&Anomaly::EnhancedConflict {
            line: 1,
            first: enh("4.7.1"),
            found: enh("5.7.1")
        }));
    }

    #[test]
    fn conflicting_enhanced_codes() {
        let r = reply(b"550-5.1.1 unknown\r\n550-no code here\r\n550 5.7.1 denied\r\n");
        assert_eq!(r.enhanced, Some(enh("5.1.1")));
        assert_eq!(
            r.anomalies,
            [Anomaly::EnhancedConflict {
                line: 2,
                first: enh("5.1.1"),
                found: enh("5.7.1")
            }]
        );
    }

    #[test]
    fn enhanced_class_disagrees_with_reply_class() {
        let r = reply(b"250 5.0.0 HELP\r\n");
        assert_eq!(
            r.anomalies,
            [Anomaly::EnhancedClassMismatch {
                code: code(250),
                enhanced: enh("5.0.0")
            }]
        );
        let r = reply(b"550 4.7.1 greylisted\r\n");
        assert_eq!(r.anomalies.len(), 1);
        // 3xx replies have no enhanced class of their own.
        assert!(!reply(b"354 2.0.0 go ahead\r\n").has_anomalies());
    }

    #[test]
    fn over_long_line_is_cut_and_reading_goes_on() {
        let limits = Limits {
            max_line: 10,
            ..Limits::default()
        };
        let r = parse_reply_with(b"250-0123456789abcdef\r\n250 ok\r\n", limits).unwrap();
        assert_eq!(r.lines, ["012345", "ok"]);
        assert_eq!(
            r.anomalies,
            [Anomaly::LineTooLong {
                line: 0,
                length: 20,
                limit: 10
            }]
        );
        let long = [b"250 ".as_slice(), &[b'x'; 5000], b"\r\n"].concat();
        let r = reply(&long);
        assert_eq!(r.lines[0].len(), 4092);
        assert!(matches!(
            r.anomalies[..],
            [Anomaly::LineTooLong {
                length: 5004,
                limit: 4096,
                ..
            }]
        ));
    }

    #[test]
    fn nul_and_eight_bit_bytes() {
        let r = reply(b"250 a\0b\r\n");
        assert_eq!(r.lines, ["a\0b"]);
        assert_eq!(r.anomalies, [Anomaly::NulByte { line: 0 }]);
        let r = reply("250-héllo\r\n250 ok\r\n".as_bytes());
        assert_eq!(r.lines[0], "héllo");
        assert_eq!(
            r.anomalies,
            [Anomaly::EightBit {
                line: 0,
                valid_utf8: true
            }]
        );
        let r = reply(b"250 caf\xe9\r\n");
        assert_eq!(r.lines, ["caf\u{fffd}"]);
        assert_eq!(
            r.anomalies,
            [Anomaly::EightBit {
                line: 0,
                valid_utf8: false
            }]
        );
    }

    #[test]
    fn missing_space_after_code() {
        let r = reply(b"250OK\r\n");
        assert_eq!(r.lines, ["OK"]);
        assert_eq!(r.anomalies, [Anomaly::MissingSpace { line: 0 }]);
        let r = reply(b"250\r\n");
        assert_eq!(r.lines, [""]);
        assert!(!r.has_anomalies());
    }

    #[test]
    fn reply_too_large_is_an_error() {
        let limits = Limits {
            max_reply: 32,
            ..Limits::default()
        };
        let many = b"250-abcdefgh\r\n".repeat(10);
        assert_eq!(
            parse_reply_with(&many, limits),
            Err(ReplyError::TooLarge { limit: 32 })
        );
        // Exactly at the limit is fine.
        let ok = b"250-0123456789\r\n250 0123456789\r\n";
        assert_eq!(ok.len(), 32);
        assert!(parse_reply_with(ok, limits).is_ok());
        // A line with no end at all trips the default limit.
        let mut reader = ReplyReader::new();
        let endless = [b"250 ".as_slice(), &[b'x'; 70_000]].concat();
        assert_eq!(
            reader.push(&endless),
            Err(ReplyError::TooLarge { limit: 65536 })
        );
        // Errors are sticky until reset.
        assert_eq!(
            reader.push(b"250 ok\r\n"),
            Err(ReplyError::TooLarge { limit: 65536 })
        );
        reader.reset();
        assert!(matches!(
            reader.push(b"250 ok\r\n"),
            Ok(Progress::Complete(_))
        ));
    }

    #[test]
    fn too_many_lines_are_dropped_and_reported() {
        let limits = Limits {
            max_lines: 3,
            ..Limits::default()
        };
        let r = parse_reply_with(b"250-a\r\n250-b\r\n250-c\r\n250-d\r\n250 e\r\n", limits).unwrap();
        assert_eq!(r.lines, ["a", "b", "c"]);
        assert_eq!(r.anomalies, [Anomaly::TooManyLines { lines: 5, limit: 3 }]);
        let exact = parse_reply_with(b"250-a\r\n250-b\r\n250 c\r\n", limits).unwrap();
        assert!(!exact.has_anomalies());
    }

    #[test]
    fn non_smtp_first_lines_are_errors() {
        let http = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
        let err = parse_reply(http).unwrap_err();
        assert_eq!(
            err,
            ReplyError::NotSmtp {
                first_bytes: b"HTTP/1.1 400 Bad Request\r\n".to_vec()
            }
        );
        assert_eq!(err.looks_like(), Some("an HTTP server"));
        assert!(
            err.to_string().contains("looks like an HTTP server"),
            "{err}"
        );
        for bad in [
            &b"25\r\n"[..],
            b"\r\n",
            b"2x0 hi\r\n",
            b"650 out of range\r\n",
            b"099 low\r\n",
            b"SSH-2.0-OpenSSH_9.6\r\n",
        ] {
            assert!(
                matches!(parse_reply(bad), Err(ReplyError::NotSmtp { .. })),
                "{bad:?}"
            );
        }
    }

    /// Reads one greeting in greeting mode, `chunk` bytes at a time, then `finish`.
    fn greeting(input: &[u8], max_junk: usize, chunk: usize) -> Result<Reply, ReplyError> {
        let mut reader = ReplyReader::new();
        reader.expect_greeting(max_junk);
        for part in input.chunks(chunk.max(1)) {
            if let Progress::Complete(r) = reader.push(part)? {
                return Ok(r);
            }
        }
        reader.finish()?.ok_or(ReplyError::Incomplete {
            received: 0,
            first_bytes: Vec::new(),
        })
    }

    #[test]
    fn bytes_before_the_greeting_are_skipped_and_reported() {
        let input = b"\x00junk\r\nmore junk\n220 mx.example.org ESMTP\r\n";
        for chunk in 1..input.len() {
            let r = greeting(input, 4096, chunk).unwrap();
            assert_eq!(r.code, code(220));
            assert_eq!(r.lines, ["mx.example.org ESMTP"]);
            assert_eq!(
                r.anomalies,
                [Anomaly::BytesBeforeGreeting {
                    bytes: 17,
                    lines: 2,
                    first_bytes: b"\x00junk\r\nmore junk\n".to_vec(),
                }],
                "chunk {chunk}"
            );
        }
        let shown = greeting(input, 4096, 64).unwrap().anomalies[0].to_string();
        assert_eq!(
            shown,
            "17 bytes in 2 lines without a reply code came before the greeting: \"\\x00junk\\r\\nmore junk\\n\""
        );
        // Only the greeting: a later reply with junk in front is not SMTP.
        let mut reader = ReplyReader::new();
        reader.expect_greeting(4096);
        assert!(matches!(
            reader.push(b"junk\r\n220 hi\r\n"),
            Ok(Progress::Complete(_))
        ));
        assert!(matches!(
            reader.push(b"junk\r\n250 ok\r\n"),
            Err(ReplyError::NotSmtp { .. })
        ));
        // Without greeting mode, the first line decides as before.
        assert!(matches!(
            parse_reply(b"junk\r\n220 hi\r\n"),
            Err(ReplyError::NotSmtp { .. })
        ));
    }

    #[test]
    fn junk_before_the_greeting_is_bounded_and_services_are_still_named() {
        // More junk than allowed, in lines or in one line without an end.
        let many = b"0123456789\r\n".repeat(10);
        let Err(ReplyError::NotSmtp { first_bytes }) = greeting(&many, 50, 7) else {
            panic!()
        };
        // Four lines fit in 50 bytes; the fifth does not, and every byte so far is shown.
        assert_eq!(first_bytes, many[..60].to_vec());
        let endless = [b'x'; 10_000];
        assert!(matches!(
            greeting(&endless, 4096, 1000),
            Err(ReplyError::NotSmtp { .. })
        ));
        // A line that shows another service ends reading at once: no waiting for a greeting.
        for (input, service) in [
            (&b"SSH-2.0-OpenSSH_9.6\r\n"[..], "an SSH server"),
            (b"HTTP/1.1 400 Bad Request\r\n", "an HTTP server"),
            (b"hello\r\n+OK POP3 ready\r\n", "a POP3 server"),
        ] {
            let mut reader = ReplyReader::new();
            reader.expect_greeting(4096);
            let err = reader.push(input).unwrap_err();
            assert_eq!(err.looks_like(), Some(service), "{input:?}");
        }
        // Junk and then the end of input: not SMTP, showing the junk.
        let mut reader = ReplyReader::new();
        reader.expect_greeting(4096);
        assert_eq!(reader.push(b"junk\r\n"), Ok(Progress::NeedMore));
        assert_eq!(reader.skipped(), b"junk\r\n");
        assert_eq!(
            reader.finish(),
            Err(ReplyError::NotSmtp {
                first_bytes: b"junk\r\n".to_vec()
            })
        );
    }

    #[test]
    fn not_smtp_keeps_at_most_64_bytes() {
        let junk = [b'<'; 200];
        let mut reader = ReplyReader::new();
        // No line end needed: 64 bytes of junk are enough to decide.
        let Err(ReplyError::NotSmtp { first_bytes }) = reader.push(&junk) else {
            panic!()
        };
        assert_eq!(first_bytes.len(), 64);
        // Also when the line limit is shorter than that.
        let mut reader = ReplyReader::with_limits(Limits {
            max_line: 8,
            ..Limits::default()
        });
        let Err(ReplyError::NotSmtp { first_bytes }) = reader.push(&junk) else {
            panic!()
        };
        assert_eq!(first_bytes, [b'<'; 64]);
    }

    #[test]
    fn binary_junk_is_named_at_finish() {
        let alert = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46];
        let mut reader = ReplyReader::new();
        assert_eq!(reader.push(&alert), Ok(Progress::NeedMore));
        let err = reader.finish().unwrap_err();
        assert_eq!(
            err,
            ReplyError::NotSmtp {
                first_bytes: alert.to_vec()
            }
        );
        assert_eq!(err.looks_like(), Some("a TLS server (alert)"));
        let mut reader = ReplyReader::new();
        assert_eq!(reader.push(b"220 mx.exa"), Ok(Progress::NeedMore));
        assert!(matches!(
            reader.finish(),
            Err(ReplyError::Incomplete { received: 10, .. })
        ));
        assert!(matches!(
            parse_reply(b"250-a\r\n"),
            Err(ReplyError::Incomplete { received: 7, .. })
        ));
    }

    #[test]
    fn malformed_continuation_line() {
        let err = parse_reply(b"250-a\r\nxyz\r\n").unwrap_err();
        assert_eq!(
            err,
            ReplyError::MalformedLine {
                line: 1,
                first_bytes: b"xyz".to_vec()
            }
        );
        assert_eq!(
            err.to_string(),
            "line 2 of the reply has no reply code: \"xyz\""
        );
    }

    #[test]
    fn anomalies_display() {
        let a = Anomaly::CodeMismatch {
            line: 1,
            expected: code(250),
            found: code(251),
        };
        assert_eq!(a.to_string(), "line 2 has code 251, the first line has 250");
        assert_eq!(
            Anomaly::BareLf { line: 0 }.to_string(),
            "line 1 ends with a bare LF"
        );
    }

    /// A tiny deterministic generator, so the test needs no extra crates.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Every result the reader gives for `input` fed in the given chunk sizes, then `finish`.
    fn run(input: &[u8], chunks: &mut dyn FnMut() -> usize, limits: Limits) -> Vec<String> {
        let mut reader = ReplyReader::with_limits(limits);
        let mut out = Vec::new();
        let mut rest = input;
        loop {
            let take = chunks().min(rest.len());
            let (chunk, tail) = rest.split_at(take);
            rest = tail;
            let mut chunk = chunk;
            loop {
                let before = chunk.len();
                let result = reader.parse(&mut chunk);
                assert!(reader.partial_line().len() <= limits.max_line.max(4));
                match result {
                    Ok(Progress::NeedMore) => break,
                    Ok(Progress::Complete(r)) => {
                        assert!(r.raw_len <= limits.max_reply);
                        assert!(r.lines.len() <= limits.max_lines);
                        out.push(format!("{r:?}"));
                    }
                    Err(e) => {
                        out.push(format!("{e:?}"));
                        return out;
                    }
                }
                if chunk.is_empty() || chunk.len() == before {
                    break;
                }
            }
            if rest.is_empty() {
                break;
            }
        }
        out.push(format!("{:?}", reader.finish()));
        out
    }

    #[test]
    fn random_input_never_panics_and_splits_do_not_matter() {
        // Inputs drawn from the protocol's own alphabet, so they reach deep into the parser.
        const ALPHABET: &[u8] = b"012345 -\r\n\r\nx.\x00\xc3\xa9\xff";
        let limits = Limits {
            max_line: 16,
            max_reply: 200,
            max_lines: 4,
        };
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let (mut replies, mut errors) = (0, 0);
        for _ in 0..3000 {
            let len = rng.below(120);
            let mut input = Vec::with_capacity(len);
            for _ in 0..len {
                // Mostly well-formed lines, with random bytes mixed in.
                if rng.below(4) == 0 {
                    input.extend_from_slice(if rng.below(2) == 0 { b"250-" } else { b"250 " });
                } else {
                    input.push(ALPHABET[rng.below(ALPHABET.len())]);
                }
            }
            let whole = run(&input, &mut || usize::MAX, limits);
            let mut chunk_rng = XorShift(rng.next() | 1);
            let split = run(&input, &mut || 1 + chunk_rng.below(7), limits);
            assert_eq!(whole, split, "input {}", input.escape_ascii());
            replies += whole.iter().filter(|r| r.starts_with("Reply")).count();
            errors += usize::from(
                whole
                    .iter()
                    .any(|r| !r.starts_with("Reply") && r != "Ok(None)"),
            );
        }
        // The test cannot pass on inputs that never reach a complete reply or an error.
        assert!(
            replies > 300 && errors > 300,
            "{replies} replies, {errors} errors"
        );
    }

    #[test]
    fn tiny_line_limit_still_reads_codes() {
        let mut reader = ReplyReader::with_limits(Limits {
            max_line: 0,
            max_reply: 100,
            max_lines: 0,
        });
        assert_eq!(reader.limits().max_line, 4);
        let Ok(Progress::Complete(r)) = reader.push(b"250-abc\r\n250 de\r\n") else {
            panic!()
        };
        assert_eq!(r.code, code(250));
        assert!(r.lines.is_empty());
        assert!(r
            .anomalies
            .contains(&Anomaly::TooManyLines { lines: 2, limit: 0 }));
    }
}
