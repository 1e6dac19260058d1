//! The free-text extractor: finds, in pasted text, the reply code and enhanced status code that a
//! server actually sent, skipping ports, line numbers, errno values in parentheses, IP addresses
//! and "expected response code 250".
//!
//! Written by hand: no crate finds SMTP replies inside arbitrary prose (client error wrappers,
//! MTA log lines, DSN fields), and a byte scanner keeps `explain --file` fast.

use smtp_doctor_model::{EnhancedCode, Evidence, ReplyCode, Source, Span};

/// The most text the extractor and classifier look at; the rest of a longer message is ignored.
pub const MAX_TEXT: usize = 64 * 1024;

/// Words that, right before a number, show it is a server reply ("said: 550", "got code 535").
fn is_wrapper_word(lower: &[u8]) -> bool {
    matches!(
        lower,
        b"said"
            | b"says"
            | b"code"
            | b"got"
            | b"error"
            | b"err"
            | b"response"
            | b"reply"
            | b"replied"
            | b"returned"
            | b"answered"
            | b"responded"
            | b"smtp"
            | b"status"
            | b"failed"
            | b"failure"
            | b"with"
            | b"was"
            | b"server"
            | b"host"
            | b"message"
            | b"reason"
            | b"diagnostic"
            | b"rejected"
            | b"deferred"
            | b"bounced"
            | b"text"
            | b"responsecode"
    )
}

/// Words that, right before a number, show it is not a reply code ("port 587", "line 250").
fn is_not_code_before(lower: &[u8]) -> bool {
    matches!(
        lower,
        b"port"
            | b"ports"
            | b"line"
            | b"lines"
            | b"than"
            | b"of"
            | b"size"
            | b"limit"
            | b"max"
            | b"maximum"
            | b"bytes"
            | b"in"
            | b"within"
            | b"for"
            | b"after"
            | b"about"
            | b"over"
            | b"under"
            | b"to"
            | b"errno"
            | b"version"
            | b"pid"
            | b"id"
            | b"no"
            | b"number"
            | b"top"
            | b"last"
            | b"first"
            | b"only"
            | b"exceeds"
            | b"exceeded"
            | b"at"
            | b"by"
    )
}

/// Words that, right after a number, show it is a quantity, not a reply code.
fn is_not_code_after(lower: &[u8]) -> bool {
    matches!(
        lower,
        b"bytes"
            | b"byte"
            | b"kb"
            | b"mb"
            | b"gb"
            | b"k"
            | b"seconds"
            | b"second"
            | b"secs"
            | b"sec"
            | b"s"
            | b"ms"
            | b"minutes"
            | b"minute"
            | b"mins"
            | b"min"
            | b"hours"
            | b"hour"
            | b"days"
            | b"day"
            | b"lines"
            | b"recipients"
            | b"messages"
            | b"connections"
            | b"times"
            | b"characters"
            | b"chars"
            | b"octets"
            | b"percent"
            | b"users"
    )
}

/// Finds the server's reply in `text` and returns it as evidence for the classifier.
pub fn extract(text: &str) -> Evidence {
    let text = cut(text, MAX_TEXT);
    let mut ev = Evidence::text(Source::Text, text);
    if let Some((reply, enhanced)) = bare_codes(text) {
        ev.reply_code = reply;
        ev.enhanced_code = enhanced;
        ev.bare_code = true;
        ev.span = Some(Span {
            start: 0,
            end: text.len(),
        });
        return ev;
    }
    let bytes = text.as_bytes();
    // The first reply, the first failure reply (the walk stops there) and the last reply.
    let (mut first, mut failure, mut last) = (None, None, None);
    reply_candidates(bytes, |c| {
        first.get_or_insert(c);
        last = Some(c);
        if c.code.is_positive() {
            return true;
        }
        failure = Some(c);
        false
    });
    // Success replies followed by more text are a transcript that ended in something else (a
    // PHPMailer debug log: 220, 250, then "SMTP Error: Could not connect"): the text decides.
    let only_context = failure.is_none()
        && last.is_some_and(|c: Candidate| has_words(&bytes[line_end(bytes, c.start)..]));
    let chosen = failure.or(first.filter(|_| !only_context));
    if let Some(c) = chosen {
        ev.reply_code = Some(c.code);
        ev.span = Some(Span {
            start: c.start,
            end: line_end(bytes, c.start),
        });
        ev.enhanced_code = enhanced_after(bytes, c.start + 3);
    }
    if ev.enhanced_code.is_none() {
        let want = ev
            .reply_code
            .map(|r| r.class_digit())
            .filter(|d| matches!(d, 2 | 4 | 5));
        // The first code (success codes left out when they are only context) and the first of
        // the reply's class (the walk stops there).
        let (mut first, mut wanted) = (None, None);
        enhanced_candidates(bytes, |(e, start)| {
            if only_context && e.class == 2 {
                return true;
            }
            first.get_or_insert((e, start));
            if want.is_none_or(|d| d == e.class) {
                wanted = Some(e);
                return false;
            }
            true
        });
        ev.enhanced_code = wanted.or(first.map(|(e, _)| e));
        if ev.span.is_none() {
            if let Some((_, start)) = first {
                ev.span = Some(Span {
                    start: line_start(bytes, start),
                    end: line_end(bytes, start),
                });
            }
        }
    }
    ev
}

/// True when `b` has a word of two letters or more.
fn has_words(b: &[u8]) -> bool {
    b.windows(2)
        .any(|w| w[0].is_ascii_alphabetic() && w[1].is_ascii_alphabetic())
}

/// `text` cut to at most `max` bytes, on a character boundary.
pub fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A reply code found in text, with where it stands.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    code: ReplyCode,
    start: usize,
}

/// Hands `each` the reply codes that have enough context to be a server's reply, in text order,
/// until it returns false.
fn reply_candidates(b: &[u8], mut each: impl FnMut(Candidate) -> bool) {
    let mut i = 0;
    // Walk runs of digits: only a run of exactly three, not glued to a word or a dot, can be a code.
    while let Some(start) = next_digit(b, i) {
        let run = b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
        i = start + run;
        if run != 3
            || !(b'2'..=b'5').contains(&b[start])
            || (start > 0 && (b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'.'))
        {
            continue;
        }
        if reply_score(b, start).is_some_and(|score| score >= 2) {
            let n = u16::from(b[start] - b'0') * 100
                + u16::from(b[start + 1] - b'0') * 10
                + u16::from(b[start + 2] - b'0');
            // 400 is HTTP's Bad Request (API errors of SES, SendGrid ...), never an SMTP reply.
            if let Some(code) = ReplyCode::new(n).filter(|_| n != 400) {
                if !each(Candidate { code, start }) {
                    return;
                }
            }
        }
    }
}

/// The position of the first ASCII digit at or after `from`. Skips 16-byte chunks without a
/// digit whole (a fold with no early exit, which compiles to vector compares): most of a
/// message is letters.
fn next_digit(b: &[u8], from: usize) -> Option<usize> {
    const CHUNK: usize = 16;
    let mut i = from;
    while let Some(chunk) = b.get(i..i + CHUNK) {
        if chunk
            .iter()
            .fold(0u8, |acc, c| acc | u8::from(c.is_ascii_digit()))
            != 0
        {
            break;
        }
        i += CHUNK;
    }
    b.get(i..)?
        .iter()
        .position(u8::is_ascii_digit)
        .map(|p| i + p)
}

/// How much the context of the three digits at `start` says they are a reply; `None` when the
/// context says they are not (a port, an errno, a quantity, an expected code).
fn reply_score(b: &[u8], start: usize) -> Option<i32> {
    let end = start + 3;
    let after = b.get(end).copied();
    match after {
        None
        | Some(b' ' | b'\t' | b'\r' | b'\n' | b'-' | b'"' | b'\'' | b')' | b',' | b']' | b';') => {}
        Some(b'.') if b.get(end + 1).is_none_or(|c| c.is_ascii_whitespace()) => {}
        Some(b':') if b.get(end + 1).is_none_or(|c| *c == b' ') => {}
        _ => return None,
    }
    // The submission ports, never reply codes: JavaMail's "port: smtp.example.com, 587".
    if matches!(&b[start..end], b"465" | b"587") && enhanced_after(b, end).is_none() {
        return None;
    }
    let before = start.checked_sub(1).map(|i| b[i]);
    match before {
        Some(b':') if start >= 2 && b[start - 2].is_ascii_alphanumeric() => return None,
        // "(110)" is an errno, but Roundcube prints a failure reply so: "SMTP Error (451):",
        // "Error SMTP (451):", "received from server (535)" (its "SMTP Error (250)" is the last
        // reply, not the error).
        Some(b'(')
            if after == Some(b')')
                && !(matches!(b[start], b'4' | b'5')
                    && matches!(
                        lower(
                            prev_word(&b[line_start(b, start)..start - 1]),
                            &mut [0u8; 16]
                        ),
                        b"server" | b"error" | b"smtp"
                    )) =>
        {
            return None
        }
        Some(b'/' | b'+' | b'=' | b'#' | b'$' | b'%' | b'@' | b'_' | b'*') => return None,
        // The fraction of a number: the milliseconds of Python's "15:22:19,436" log stamps.
        Some(b',') if start >= 2 && b[start - 2].is_ascii_digit() => return None,
        _ => {}
    }
    let line_begin = line_start(b, start);
    let head = &b[line_begin..start];
    let mut window = [0u8; 40];
    let from = start.saturating_sub(window.len());
    let window = &mut window[..start - from];
    window.copy_from_slice(&b[from..start]);
    window.make_ascii_lowercase();
    // "expected response code 250", "expecting 220": the code the client wanted, not the reply.
    if memchr::memmem::find(window, b"expect").is_some() {
        return None;
    }
    // RFC 3464 diagnostic types other than smtp: "X-Unix; 255" is a program's exit status.
    let typed = window.trim_ascii_end();
    if typed.ends_with(b"unix;") || typed.ends_with(b"x-local;") {
        return None;
    }
    let (mut prev_buf, mut next_buf) = ([0u8; 16], [0u8; 16]);
    let prev = lower(prev_word(head), &mut prev_buf);
    let next_raw = next_word(&b[end..]);
    let next = lower(next_raw, &mut next_buf);
    if is_not_code_before(prev) || is_not_code_after(next) {
        return None;
    }
    let mut score = 0;
    let trimmed = trim_ascii(head);
    if trimmed.is_empty()
        || trimmed
            .iter()
            .all(|c| matches!(c, b'<' | b'>' | b'-' | b'|' | b'*'))
    {
        score += 4;
    }
    if let Some(p) = trimmed.last() {
        if matches!(
            p,
            b':' | b';' | b'"' | b'\'' | b'(' | b'[' | b'<' | b'>' | b'|' | b',' | b'{'
        ) {
            score += 2;
        }
    }
    if is_wrapper_word(prev) {
        score += 2;
    }
    if enhanced_after(b, end).is_some() {
        score += 3;
    } else if next_raw.first().is_some_and(u8::is_ascii_alphabetic) {
        score += 1;
    } else if b.get(end) == Some(&b'-') && matches!(b.get(end + 1), Some(b'\'' | b'"')) {
        // The server's text quoted right after the code: Amazon SES's `550-'Unknown user'`.
        score += 2;
    }
    Some(score)
}

/// The enhanced code that directly follows a reply code ("550 5.1.1", "550-5.1.1", "550 #5.1.1",
/// "550-'5.7.1 ...'" where the server's text is quoted).
fn enhanced_after(b: &[u8], mut i: usize) -> Option<EnhancedCode> {
    if !matches!(b.get(i), Some(b' ' | b'-' | b'\t')) {
        return None;
    }
    i += 1;
    while matches!(b.get(i), Some(b' ' | b'#' | b'(' | b'[' | b'\'' | b'"')) {
        i += 1;
    }
    enhanced_at(b, i).map(|(e, _)| e)
}

/// Hands `each` every standalone enhanced code in text with its byte offset, in text order, until
/// it returns false.
fn enhanced_candidates(b: &[u8], mut each: impl FnMut((EnhancedCode, usize)) -> bool) {
    let mut next = 0;
    // Every code has a dot right after its class digit: look only around dots.
    for dot in memchr::memchr_iter(b'.', b) {
        let Some(i) = dot.checked_sub(1) else {
            continue;
        };
        if i < next
            || !matches!(b[i], b'2' | b'4' | b'5')
            || (i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.'))
        {
            continue;
        }
        if let Some((code, end)) = enhanced_at(b, i) {
            let prev = prev_word(&b[line_start(b, i)..i]);
            if !prev.eq_ignore_ascii_case(b"version")
                && !prev.eq_ignore_ascii_case(b"v")
                && !each((code, i))
            {
                return;
            }
            next = end;
        }
    }
}

/// An enhanced code starting exactly at `i`, and where it ends; not part of an IP or version.
fn enhanced_at(b: &[u8], i: usize) -> Option<(EnhancedCode, usize)> {
    let class = *b.get(i)?;
    if !matches!(class, b'2' | b'4' | b'5') || b.get(i + 1) != Some(&b'.') {
        return None;
    }
    let (subject, j) = number(b, i + 2)?;
    if b.get(j) != Some(&b'.') {
        return None;
    }
    let (detail, k) = number(b, j + 1)?;
    let tail_ok = match b.get(k) {
        None => true,
        Some(b'.') => !b.get(k + 1).is_some_and(u8::is_ascii_digit),
        Some(c) => !c.is_ascii_alphanumeric(),
    };
    if !tail_ok {
        return None;
    }
    EnhancedCode::new(class - b'0', subject, detail).map(|e| (e, k))
}

/// A number of 1 to 3 digits at `i`, and the index after it.
fn number(b: &[u8], i: usize) -> Option<(u16, usize)> {
    let mut j = i;
    let mut n: u16 = 0;
    while j < b.len() && b[j].is_ascii_digit() && j - i < 3 {
        n = n * 10 + u16::from(b[j] - b'0');
        j += 1;
    }
    (j > i && !b.get(j).is_some_and(u8::is_ascii_digit)).then_some((n, j))
}

/// Codes when the whole input is nothing but a reply code and/or an enhanced code.
fn bare_codes(text: &str) -> Option<(Option<ReplyCode>, Option<EnhancedCode>)> {
    // "550 5.7.1" with some white space is the longest bare input.
    if text.len() > 32 {
        return None;
    }
    let mut parts = text
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|p| !p.is_empty());
    let first = parts.next()?;
    let second = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let enhanced = |s: &str| -> Option<EnhancedCode> {
        let s = s.strip_prefix(['X', 'x']).map(|rest| format!("5{rest}"));
        s.and_then(|s| s.parse().ok())
    };
    let parse_enh = |s: &str| s.parse::<EnhancedCode>().ok().or_else(|| enhanced(s));
    match second {
        None => match first.parse::<ReplyCode>() {
            Ok(r) => Some((Some(r), None)),
            Err(_) => parse_enh(first).map(|e| (None, Some(e))),
        },
        Some(s) => {
            let r = first.parse::<ReplyCode>().ok()?;
            Some((Some(r), Some(parse_enh(s)?)))
        }
    }
}

fn line_start(b: &[u8], i: usize) -> usize {
    memchr::memrchr(b'\n', &b[..i]).map_or(0, |p| p + 1)
}

fn line_end(b: &[u8], i: usize) -> usize {
    memchr::memchr2(b'\n', b'\r', &b[i..]).map_or(b.len(), |p| i + p)
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |p| p + 1);
    &b[s..e]
}

/// The last run of letters before `head`'s end, skipping spaces and one punctuation mark.
fn prev_word(head: &[u8]) -> &[u8] {
    let mut e = head.len();
    while e > 0 && head[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    if e > 0 && matches!(head[e - 1], b':' | b'"' | b'\'' | b'=') {
        e -= 1;
    }
    while e > 0 && head[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    let s = head[..e]
        .iter()
        .rposition(|c| !c.is_ascii_alphabetic())
        .map_or(0, |p| p + 1);
    &head[s..e]
}

/// The first run of letters (or a `%`) after the number, skipping spaces.
fn next_word(tail: &[u8]) -> &[u8] {
    let s = tail.iter().position(|c| *c != b' ').unwrap_or(tail.len());
    if tail.get(s) == Some(&b'%') {
        return b"percent";
    }
    let e = tail[s..]
        .iter()
        .position(|c| !c.is_ascii_alphabetic())
        .map_or(tail.len(), |p| s + p);
    &tail[s..e]
}

/// `word` lower-cased into `buf`; a word longer than the buffer is no word of the lists above,
/// and comes back empty.
fn lower<'a>(word: &[u8], buf: &'a mut [u8; 16]) -> &'a [u8] {
    let Some(out) = buf.get_mut(..word.len()) else {
        return &[];
    };
    out.copy_from_slice(word);
    out.make_ascii_lowercase();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_lines_before_a_client_error_are_context() {
        let ev = extract(
            "SERVER -> CLIENT: 220 mail.example.com ESMTP\nSERVER -> CLIENT: 250 2.0.0 OK\nSMTP Error: Could not connect to SMTP host.",
        );
        assert_eq!(ev.reply_code, None);
        assert_eq!(ev.enhanced_code, None);
        let ok = extract("250 2.0.0 Ok: queued as 3D770111AF50");
        assert_eq!(ok.reply_code.map(ReplyCode::get), Some(250));
        let failed = extract("220 mx.example.com ESMTP\n550 5.1.1 User unknown\nQUIT");
        assert_eq!(failed.reply_code.map(ReplyCode::get), Some(550));
    }

    #[test]
    fn submission_ports_are_not_codes() {
        let ev = extract("Couldn't connect to host, port: smtp.example.com, 587; timeout -1");
        assert_eq!(ev.reply_code, None);
        let ev = extract("Could not connect to smtp.example.com, 465");
        assert_eq!(ev.reply_code, None);
    }

    fn codes(text: &str) -> (Option<u16>, Option<String>) {
        let ev = extract(text);
        (
            ev.reply_code.map(ReplyCode::get),
            ev.enhanced_code.map(|e| e.to_string()),
        )
    }

    #[test]
    fn finds_the_server_reply() {
        assert_eq!(
            codes("550 5.1.1 User unknown"),
            (Some(550), Some("5.1.1".into()))
        );
        assert_eq!(
            codes("host mx.example.com[192.0.2.1] said: 550-5.7.1 blocked (in reply to RCPT TO command)"),
            (Some(550), Some("5.7.1".into()))
        );
        assert_eq!(
            codes("Expected response code 250 but got code \"535\", with message \"535-5.7.8 Username and Password not accepted\""),
            (Some(535), Some("5.7.8".into()))
        );
        assert_eq!(
            codes("SMTP Error 450 5.2.3 Msg Size greater"),
            (Some(450), Some("5.2.3".into()))
        );
        assert_eq!(
            codes("552 sorry, mailbox user@somecompany.com is over quota temporarily (#5.1.1)"),
            (Some(552), Some("5.1.1".into()))
        );
        assert_eq!(
            codes("dsn=4.4.1, status=deferred (connect to x[192.0.2.1]:25: Connection timed out)"),
            (None, Some("4.4.1".into()))
        );
        // The server's text quoted after the code (Amazon SES), and Zoho's "ResponseCode".
        assert_eq!(
            codes("5.1.0 - Unknown address error 550-'5.7.1 <a@example.com>... Access denied'"),
            (Some(550), Some("5.7.1".into()))
        );
        assert_eq!(
            codes("[Status: Error, Address: <a@example.com>, ResponseCode 421, , Host not reachable.]"),
            (Some(421), None)
        );
        assert_eq!(
            codes("5.3.0 - Other mail system problem 550-'Unknown user a@example.com'"),
            (Some(550), Some("5.3.0".into()))
        );
        // Roundcube puts the reply in parentheses after "server" or "SMTP Error".
        assert_eq!(
            codes("PHP message: ERROR: Invalid response code received from server (535)"),
            (Some(535), None)
        );
        assert_eq!(
            codes("SMTP Error (451): Failed to add recipient \"a@example.com\" (Temporary local problem - please try later)."),
            (Some(451), None)
        );
    }

    #[test]
    fn skips_what_is_not_a_reply() {
        assert_eq!(
            codes("SMTP ERROR: Failed to connect to server: Connection timed out (110)"),
            (None, None)
        );
        assert_eq!(
            codes("connect to smtp.example.com:587 failed at line 250"),
            (None, None)
        );
        assert_eq!(
            codes("Connection refused, 111 Can't open SMTP stream"),
            (None, None)
        );
        assert_eq!(
            codes("client 192.0.2.25 sent 4.5.1.2 after 300 seconds"),
            (None, None)
        );
        assert_eq!(
            codes("message size 452 bytes exceeds the limit"),
            (None, None)
        );
        assert_eq!(codes("Postfix version 3.7.11"), (None, None));
        assert_eq!(
            codes("BotoServerError: 400 Bad Request <Code>MessageRejected</Code>"),
            (None, None)
        );
        assert_eq!(codes("Connection failed (255)"), (None, None));
        assert_eq!(
            codes("2021-03-02 15:22:19,436 - app - ERROR - Email notification error: [SSL: WRONG_VERSION_NUMBER] wrong version number"),
            (None, None)
        );
        assert_eq!(codes("X-Unix; 255"), (None, None));
        assert_eq!(codes("x-local; 550 no"), (None, None));
        assert_eq!(
            codes("smtp; 550 5.1.1 no"),
            (Some(550), Some("5.1.1".into()))
        );
    }

    #[test]
    fn prefers_the_failure_among_several_replies() {
        let t = "220 mx.example.com ESMTP\n250-mx.example.com\n250 PIPELINING\n550 5.1.1 <a@b>: Recipient address rejected\n221 Bye";
        assert_eq!(codes(t), (Some(550), Some("5.1.1".into())));
    }

    #[test]
    fn bare_codes_are_flagged() {
        let ev = extract(" 550 ");
        assert!(ev.bare_code);
        assert_eq!(ev.reply_code.map(ReplyCode::get), Some(550));
        let ev = extract("5.7.1");
        assert!(ev.bare_code && ev.enhanced_code.is_some());
        let ev = extract("111");
        assert!(ev.bare_code && ev.reply_code.is_some());
        assert!(!extract("550 user unknown").bare_code);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for t in [
            "",
            "5",
            "55",
            "5.",
            "5.1.",
            "550-",
            "\u{0}550\u{0}",
            "é550é",
            "4.4.4.4.4",
            "999 9.9.9",
        ] {
            let _ = extract(t);
        }
        assert!(extract(&"x".repeat(100_000)).text.len() <= MAX_TEXT);
    }
}
