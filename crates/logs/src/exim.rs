//! Exim: the main log (`mainlog`) and the reject log (`rejectlog`), written to Exim's own files
//! (`2026-03-01 00:00:05 10HmaX-000000005vi-0000 <= ...`, no syslog prefix) or through syslog
//! (`exim[123]: ...`, with or without Exim's own timestamp after the tag).
//!
//! A line about a message starts with its ID: the old 16-character form (`10HmaX-0005vi-00`) or
//! the 23-character form of Exim 4.97 and later (`10HmaX-000000005vi-0000`), then a flag: `<=`
//! arrival, `=>` delivery, `->` another address of the same delivery, `*>` delivery suppressed
//! (`-N`), `==` deferral, `**` failure, or a word (`Completed`, `Frozen`, ...). Refusals
//! (`H=... rejected RCPT <x>: why`) and authentication failures carry no ID. The reject log
//! repeats a refused message's envelope and headers on lines without a timestamp; they are
//! recognised as continuations of the refusal.

use crate::event::{Delivery, Event, Origin, Reject, Status};
use crate::syslog::{Prefix, TimestampStyle};
use crate::LineParser;
use smtp_doctor_model::{EnhancedCode, ReplyCode};

/// The Exim line parser.
#[derive(Debug, Clone, Copy, Default)]
pub struct Exim;

impl LineParser for Exim {
    fn name(&self) -> &'static str {
        "exim"
    }

    fn accepts(&self, program: &str) -> bool {
        program == "exim" || program.starts_with("exim4") || program.starts_with("exim-")
    }

    fn parse<'a>(&self, line: &Prefix<'a>) -> Event<'a> {
        // Through syslog, Exim may still write its own timestamp (and pid) after the tag.
        let msg = match own_timestamp(line.message) {
            Some((_, rest)) => strip_pid(rest).1,
            None => line.message,
        };
        parse_message(msg)
    }

    fn own_prefix<'a>(&self, line: &'a str) -> Option<Prefix<'a>> {
        let (timestamp, rest) = own_timestamp(line)?;
        let (pid, message) = strip_pid(rest);
        Some(Prefix {
            timestamp,
            style: TimestampStyle::DateTime,
            host: "",
            program: "exim",
            pid,
            message,
        })
    }

    fn continuation(&self, line: &str) -> bool {
        // The reject log's dump of a refused message: its envelope, then its headers, each
        // with a one-letter flag (or a space) and a space, folded lines indented.
        let b = line.as_bytes();
        line.starts_with("Envelope-from: ")
            || line.starts_with("Envelope-to: ")
            || line.starts_with("Recipients: ")
            || matches!(b.first(), Some(b' ' | b'\t'))
            || (b.len() > 3
                && (b[0].is_ascii_uppercase() || b[0] == b'*')
                && b[1] == b' '
                && is_header_start(&line[2..]))
    }
}

/// `Name: ` at the start of `s`: a header field name (RFC 5322 ftext) and a colon.
fn is_header_start(s: &str) -> bool {
    let Some(colon) = s.find(':') else {
        return false;
    };
    colon > 0
        && s[..colon]
            .bytes()
            .all(|c| c.is_ascii_graphic() && c != b':')
}

/// Exim's own timestamp at the start of `s`: `yyyy-mm-dd hh:mm:ss`, optionally `.fff`
/// (`log_selector = +millisec`) and ` +hhmm` (`log_timezone`), then a space; and what follows.
fn own_timestamp(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let ok = digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b' '
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !ok {
        return None;
    }
    let mut end = 19;
    if b.get(end) == Some(&b'.') && b.len() > end + 4 && digits(end + 1..end + 4) {
        end += 4;
    }
    if b.len() > end + 6
        && b[end] == b' '
        && matches!(b[end + 1], b'+' | b'-')
        && digits(end + 2..end + 6)
        && b.get(end + 6).is_none_or(|&c| c == b' ')
    {
        end += 6;
    }
    match b.get(end) {
        Some(b' ') => Some((&s[..end], &s[end + 1..])),
        None => Some((&s[..end], "")),
        _ => None,
    }
}

/// `[pid] ` at the start of `s` (`log_selector = +pid`): the pid and what follows.
fn strip_pid(s: &str) -> (Option<u32>, &str) {
    if let Some(inner) = s.strip_prefix('[') {
        if let Some(close) = inner.find("] ") {
            if let Ok(pid) = inner[..close].parse() {
                return (Some(pid), &inner[close + 2..]);
            }
        }
    }
    (None, s)
}

/// True for an Exim message ID: `XXXXXX-XXXXXX-XX` (16 characters, before 4.97) or
/// `XXXXXX-XXXXXXXXXXX-XXXX` (23 characters), base-62 digits.
pub fn is_message_id(s: &str) -> bool {
    let b = s.as_bytes();
    let (a, m, z) = match b.len() {
        16 => (6, 6, 2),
        23 => (6, 11, 4),
        _ => return false,
    };
    b[a] == b'-'
        && b[a + 1 + m] == b'-'
        && b[..a].iter().all(u8::is_ascii_alphanumeric)
        && b[a + 1..a + 1 + m].iter().all(u8::is_ascii_alphanumeric)
        && b[a + 2 + m..a + 2 + m + z]
            .iter()
            .all(u8::is_ascii_alphanumeric)
}

fn parse_message(msg: &str) -> Event<'_> {
    if let Some((id, rest)) = msg.split_once(' ') {
        if is_message_id(id) {
            return message_line(id, rest);
        }
    } else if is_message_id(msg) {
        return Event::Unknown;
    }
    if let Some(r) = reject(None, msg) {
        return Event::Reject(r);
    }
    if let Some(client) = auth_failure(msg) {
        return Event::AuthFailure { client };
    }
    if is_known_noise(msg) {
        Event::Noise
    } else {
        Event::Unknown
    }
}

/// A line that starts with a message ID.
fn message_line<'a>(id: &'a str, rest: &'a str) -> Event<'a> {
    let (flag, tail) = rest.split_once(' ').unwrap_or((rest, ""));
    match flag {
        "<=" => arrival(id, tail),
        "=>" | "->" => delivery(id, tail, Status::Sent, "sent"),
        "*>" => delivery(id, tail, Status::Other, "suppressed"),
        "==" => delivery(id, tail, Status::Deferred, "deferred"),
        "**" => delivery(id, tail, Status::Bounced, "bounced"),
        "Completed" => Event::Removed { queue_id: id },
        _ if rest.starts_with("removed by ") => Event::Removed { queue_id: id },
        _ => match reject(Some(id), rest) {
            Some(r) => Event::Reject(r),
            None => Event::MessageNote {
                queue_id: id,
                text: rest,
            },
        },
    }
}

/// `<= sender H=host [ip] U=user P=protocol S=size id=message-id R=parent-id ...`.
fn arrival<'a>(id: &'a str, tail: &'a str) -> Event<'a> {
    let (sender, fields) = tail.split_once(' ').unwrap_or((tail, ""));
    let from = if sender == "<>" { "" } else { sender };
    let protocol = field(fields, "P=").unwrap_or("");
    let client = host_field(fields)
        .or_else(|| field(fields, "U="))
        .unwrap_or("");
    let origin =
        if protocol.starts_with("local") || (protocol.is_empty() && host_field(fields).is_none()) {
            Origin::Pickup
        } else if field(fields, "A=").is_some() || protocol.ends_with('a') {
            Origin::Submission
        } else {
            Origin::Smtpd
        };
    let parent = field(fields, "R=").filter(|r| is_message_id(r) && from.is_empty());
    Event::Arrival {
        queue_id: id,
        origin,
        client,
        from,
        size: field(fields, "S=").and_then(|s| s.parse().ok()),
        message_id: field(fields, "id="),
        notification_for: parent,
        nrcpt: None,
    }
}

/// `=> addr [<orig>] fields [C="reply"]`, `== addr [<orig>] fields defer (errno): reason`,
/// `** addr [<orig>] fields: reason`.
fn delivery<'a>(id: &'a str, tail: &'a str, status: Status, status_text: &'a str) -> Event<'a> {
    let Some((address, mut rest)) = split_token(tail) else {
        return Event::Unknown;
    };
    // A failure found before routing has no fields: `** addr: Unrouteable address`.
    let bare = address.strip_suffix(':').filter(|_| status != Status::Sent);
    let address = bare.unwrap_or(address);
    let mut orig = None;
    if let Some(r) = rest.strip_prefix('<') {
        if let Some(close) = r.find('>') {
            orig = Some(&r[..close]);
            rest = r[close + 1..].trim_start();
        }
    }
    // The final address is the one routed; a local part alone (a local user) is shown with the
    // address it came from in angle brackets, which is the one reported.
    let (to, orig_to) = match orig {
        Some(o) if !address.contains('@') => (o, None),
        Some(o) if o == address => (address, None),
        Some(o) => (address, Some(o)),
        None => (address, None),
    };
    let (fields, reply) = match status {
        _ if bare.is_some() => ("", rest),
        Status::Deferred => match rest.find("defer (") {
            Some(i) => {
                let after = &rest[i + 7..];
                let reason = after
                    .find(')')
                    .map_or(after, |c| &after[c + 1..])
                    .trim_start_matches(':')
                    .trim_start();
                (&rest[..i], reason)
            }
            None => (rest, ""),
        },
        Status::Bounced => match rest.find(": ") {
            Some(i) => (&rest[..i], &rest[i + 2..]),
            None => (rest, ""),
        },
        _ => (rest, quoted_field(rest, "C=").unwrap_or("")),
    };
    let relay = host_field(fields)
        .or_else(|| field(fields, "T="))
        .unwrap_or("none");
    let (reply_code, enhanced_code) = remote_reply_codes(reply);
    Event::Delivery(Delivery {
        queue_id: id,
        to,
        more_to: None,
        orig_to,
        relay,
        delay: None,
        delays: None,
        dsn: None,
        status,
        status_text,
        reply,
        reply_code,
        enhanced_code,
    })
}

/// The reply code (and enhanced code) a remote server sent, in an Exim reason: at its start
/// (`250 OK id=...` in `C=`), or after `SMTP error from remote mail server after CMD: ` (and
/// `host H [ip]: `). Exim's own reasons (`Connection refused`, `Unrouteable address`) carry none.
pub(crate) fn remote_reply_codes(reply: &str) -> (Option<ReplyCode>, Option<EnhancedCode>) {
    if let Some(c) = crate::postfix::codes_at(reply) {
        return c;
    }
    let Some(i) = reply.find("SMTP error from remote mail") else {
        return (None, None);
    };
    let mut s = &reply[i..];
    while let Some(j) = s.find(": ") {
        s = &s[j + 2..];
        if let Some(c) = crate::postfix::codes_at(s) {
            return c;
        }
    }
    (None, None)
}

/// A refusal: `[H=host [ip]] [U=user] [F=<sender>] [temporarily ]rejected WHAT[ <rcpt>][: why]`.
fn reject<'a>(queue_id: Option<&'a str>, msg: &'a str) -> Option<Reject<'a>> {
    let at = find_rejected(msg)?;
    let fields = &msg[..at];
    let mut tail = &msg[at..];
    let mut action = "reject";
    if let Some(t) = tail.strip_prefix("temporarily ") {
        action = "temporarily rejected";
        tail = t;
    }
    let tail = tail.strip_prefix("rejected")?;
    let tail = tail.strip_prefix(' ').unwrap_or(tail);
    let (what, reason) = match tail.find(": ") {
        Some(i) => (&tail[..i], &tail[i + 2..]),
        None => (tail, tail),
    };
    let stage = what
        .strip_prefix("after ")
        .unwrap_or(what)
        .split(' ')
        .next()
        .unwrap_or("");
    let stage = match stage {
        "by" => "non-SMTP",
        "" => "unknown",
        s => s,
    };
    let to = (stage == "RCPT")
        .then(|| what.split_once('<'))
        .flatten()
        .and_then(|(_, r)| r.split_once('>'))
        .map(|(a, _)| a);
    let reason = reason.trim_matches('"');
    let (reply_code, enhanced_code) = crate::postfix::codes_at(reason).unwrap_or((None, None));
    Some(Reject {
        queue_id,
        action,
        stage,
        client: host_field(fields)
            .or_else(|| field(fields, "U="))
            .unwrap_or(""),
        reply: reason,
        reply_code,
        enhanced_code,
        from: field(fields, "F=").map(|f| f.trim_start_matches('<').trim_end_matches('>')),
        to,
        helo: None,
        session: None,
    })
}

/// Where `rejected` (or `temporarily rejected`) starts, when it follows the line's fields.
fn find_rejected(msg: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = msg[from..].find("rejected ").map(|i| i + from) {
        let before = &msg[..i];
        let start = before.strip_suffix("temporarily ").map_or(i, |b| b.len());
        // Only field tokens (K=V, a host's [ip] or (helo)) may come before it.
        if before.is_empty()
            || before.trim_end().split(' ').all(|t| {
                t.is_empty()
                    || t == "temporarily"
                    || t.contains('=')
                    || t.starts_with('[')
                    || t.starts_with('(')
                    || t.ends_with(')')
            })
        {
            return Some(start);
        }
        from = i + 9;
    }
    None
}

/// `NAME authenticator failed for HOST [ip]: 535 ...` gives the client.
fn auth_failure(msg: &str) -> Option<&str> {
    let i = msg.find(" authenticator failed for ")?;
    let rest = &msg[i + 26..];
    let end = rest.find(": ").unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The value of a `K=V` field (token-bounded; `<...>` and `"..."` kept whole), in `fields`.
fn field<'a>(fields: &'a str, key: &str) -> Option<&'a str> {
    let b = fields.as_bytes();
    let mut from = 0;
    while let Some(i) = fields[from..].find(key).map(|i| i + from) {
        if i == 0 || b[i - 1] == b' ' {
            let v = &fields[i + key.len()..];
            let end = if let Some(q) = v.strip_prefix('"') {
                q.find('"').map_or(v.len(), |e| e + 2)
            } else if v.starts_with('<') {
                v.find('>').map_or(v.len(), |e| e + 1)
            } else {
                v.find(' ').unwrap_or(v.len())
            };
            return Some(&v[..end]);
        }
        from = i + key.len();
    }
    None
}

/// A `K="..."` field's text without its quotes.
fn quoted_field<'a>(fields: &'a str, key: &str) -> Option<&'a str> {
    let v = field(fields, key)?;
    Some(
        v.strip_prefix('"')
            .map_or(v, |v| v.strip_suffix('"').unwrap_or(v)),
    )
}

/// The `H=` field: `host [ip]:port`, `host (helo) [ip]`, `(helo) [ip]` or `[ip]`, as written.
fn host_field(fields: &str) -> Option<&str> {
    let b = fields.as_bytes();
    let mut from = 0;
    let start = loop {
        let i = fields[from..].find("H=").map(|i| i + from)?;
        if i == 0 || b[i - 1] == b' ' {
            break i + 2;
        }
        from = i + 2;
    };
    let v = &fields[start..];
    let mut end = 0;
    // Up to three tokens: name, (helo), [ip][:port]; stop at the first that is none of those.
    for n in 0..3 {
        let rest = &v[end..];
        let tok_start = if n == 0 { 0 } else { 1 };
        if n > 0 && !rest.starts_with(' ') {
            break;
        }
        let tok = &rest[tok_start..];
        let first = tok.as_bytes().first().copied();
        let tok_len = if first == Some(b'(') {
            tok.find(')').map_or(tok.len(), |e| e + 1)
        } else {
            tok.find(' ').unwrap_or(tok.len())
        };
        if n > 0 && !matches!(first, Some(b'(' | b'[')) {
            break;
        }
        end += tok_start + tok_len;
        if first == Some(b'[') {
            break;
        }
    }
    let host = v[..end].trim_end_matches(':');
    (!host.is_empty()).then_some(host)
}

/// The first space-separated token of `s` (a quoted local part kept whole) and what follows.
fn split_token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if s.is_empty() {
        return None;
    }
    let skip = s
        .strip_prefix('"')
        .map_or(0, |q| q.find('"').map_or(0, |e| e + 2));
    let end = s[skip..].find(' ').map_or(s.len(), |e| e + skip);
    Some((&s[..end], s[end..].trim_start()))
}

/// Lines Exim writes that carry nothing the analysis counts.
fn is_known_noise(msg: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "Start queue run",
        "End queue run",
        "exim ",
        "SMTP connection from ",
        "SMTP connection lost",
        "SMTP protocol error",
        "SMTP protocol synchronization error",
        "SMTP command timeout",
        "SMTP data timeout",
        "SMTP syntax error",
        "SMTP call from ",
        "SMTP session ",
        "TLS error on connection ",
        "TLS session: ",
        "TLS client ",
        "no MAIL in SMTP connection",
        "no host name found for IP address ",
        "Connection from ",
        "unexpected disconnection while reading SMTP command",
        "Warning: ",
        "Spool file ",
        "Start ODMR",
        "ETRN ",
        "pid ",
        "daemon ",
        "listening on",
        "dropping to exim gid",
        "failed to expand ",
        "cwd=",
        "DKIM: ",
        "DKIM ",
        "SPF ",
        "ARC ",
        "rcpt for ",
        "Rejected ",
        "SIGHUP received",
        "LOG: ",
        "too many connections",
        "host name alias list",
        "remote host address is the local host",
        "verify failed for ",
        "sender verify ",
        "failed to open ",
        "Delivery ",
        "Attempt to ",
        "Received from ",
    ];
    PREFIXES.iter().any(|p| msg.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(line: &str) -> Event<'_> {
        match Exim.own_prefix(line) {
            Some(p) => Exim.parse(&p),
            None => Event::Unknown,
        }
    }

    #[test]
    fn message_ids_old_and_new() {
        for id in [
            "10HmaX-0005vi-00",
            "10HmaX-000000005vi-0000",
            "1rJ6kB-0003Xa-2n",
        ] {
            assert!(is_message_id(id), "{id}");
        }
        for id in [
            "10HmaX-0005vi-0",
            "10HmaX_0005vi-00",
            "3D770111AF50",
            "10HmaX-000000005vi-000",
        ] {
            assert!(!is_message_id(id), "{id}");
        }
    }

    #[test]
    fn own_prefix_forms() {
        let p = Exim
            .own_prefix("2017-07-30 18:51:05.712 +0100 [1234] 10HmaX-0005vi-00 Completed")
            .unwrap_or_else(|| panic!("parses"));
        assert_eq!(p.timestamp, "2017-07-30 18:51:05.712 +0100");
        assert_eq!(p.pid, Some(1234));
        assert_eq!(p.message, "10HmaX-0005vi-00 Completed");
        assert_eq!(p.program, "exim");
        assert!(Exim
            .own_prefix("Mar  1 00:00:05 mx1 postfix/smtp[1]: x")
            .is_none());
        assert!(Exim
            .own_prefix("2026-03-01T00:00:05+00:00 mx1 postfix/smtp[1]: x")
            .is_none());
    }

    #[test]
    fn arrival_and_bounce_link() {
        let e = ev("1999-03-02 09:44:33 10HmaX-000000005vi-0000 <= CALLER@myhost.test.ex U=CALLER P=local S=sss");
        assert!(
            matches!(
                e,
                Event::Arrival {
                    origin: Origin::Pickup,
                    client: "CALLER",
                    from: "CALLER@myhost.test.ex",
                    ..
                }
            ),
            "{e:?}"
        );
        let e = ev("2026-03-01 10:00:00 1rJ6kB-0003Xa-2n <= a@b.example H=mail.b.example [192.0.2.9]:41000 I=[192.0.2.25]:25 P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no S=2048 id=abc@b.example");
        assert!(
            matches!(
                e,
                Event::Arrival {
                    origin: Origin::Smtpd,
                    client: "mail.b.example [192.0.2.9]:41000",
                    size: Some(2048),
                    message_id: Some("abc@b.example"),
                    notification_for: None,
                    nrcpt: None,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = ev("1999-03-02 09:44:33 10HmaY-000000005vi-0000 <= <> R=10HmaX-000000005vi-0000 U=EXIMUSER P=local S=sss");
        assert!(
            matches!(
                e,
                Event::Arrival {
                    from: "",
                    notification_for: Some("10HmaX-000000005vi-0000"),
                    nrcpt: None,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn deliveries() {
        let Event::Delivery(d) = ev("1999-03-02 09:44:33 10HmaX-000000005vi-0000 => userx <userx@myhost.test.ex> R=localuser T=appendfile") else {
            panic!()
        };
        assert_eq!(
            (d.to, d.relay, d.status),
            ("userx@myhost.test.ex", "appendfile", Status::Sent)
        );
        let Event::Delivery(d) = ev("2026-03-01 10:00:01 1rJ6kB-0003Xa-2n => bob@example.com R=dnslookup T=remote_smtp H=mx1.example.com [198.51.100.26]:25 X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes K C=\"250 2.0.0 OK 1234 - gsmtp\"") else {
            panic!()
        };
        assert_eq!(d.relay, "mx1.example.com [198.51.100.26]:25");
        assert_eq!(d.reply, "250 2.0.0 OK 1234 - gsmtp");
        assert_eq!(d.reply_code.map(|c| c.get()), Some(250));
        let Event::Delivery(d) = ev("1999-03-02 09:44:33 10HmaX-0005vi-00 == userx@test.ex R=r1 T=smtp defer (-44): SMTP error from remote mail server after RCPT TO:<userx@test.ex>: host 127.0.0.1 [127.0.0.1]: 451 Recipient not OK") else {
            panic!()
        };
        assert_eq!(
            (d.to, d.status, d.relay),
            ("userx@test.ex", Status::Deferred, "smtp")
        );
        assert!(d.reply.starts_with("SMTP error from remote"), "{}", d.reply);
        assert_eq!(d.reply_code.map(|c| c.get()), Some(451));
        let Event::Delivery(d) = ev("1999-03-02 09:44:33 10HmaX-000000005vi-0000 ** userx@test.ex R=r1 T=t1 H=127.0.0.1 [127.0.0.1]: SMTP error from remote mail server after RCPT TO:<userx@test.ex>: 550-5.1.1 Not that one") else {
            panic!()
        };
        assert_eq!(
            (d.status, d.relay),
            (Status::Bounced, "127.0.0.1 [127.0.0.1]")
        );
        assert_eq!(d.reply_code.map(|c| c.get()), Some(550));
        assert_eq!(
            d.enhanced_code.map(|c| c.to_string()).as_deref(),
            Some("5.1.1")
        );
        let Event::Delivery(d) = ev("1999-03-02 09:44:33 10HmaX-000000005vi-0000 ** userx@mxt1.test.ex R=others : lowest numbered MX record points to local host") else {
            panic!()
        };
        assert_eq!(d.reply, "lowest numbered MX record points to local host");
        assert_eq!(d.reply_code, None);
        let Event::Delivery(d) = ev("1999-03-02 09:44:33 10HmaZ-000000005vi-0000 == CALLER@myhost.ex defer (-23): domain is held") else {
            panic!()
        };
        assert_eq!((d.reply, d.relay), ("domain is held", "none"));
        let Event::Delivery(d) = ev(
            "2026-12-01 11:36:46 1xYMAA-0003JH-0Z ** bounce@elsewhere.invalid: Unrouteable address",
        ) else {
            panic!()
        };
        assert_eq!(
            (d.to, d.status, d.reply, d.relay),
            (
                "bounce@elsewhere.invalid",
                Status::Bounced,
                "Unrouteable address",
                "none"
            )
        );
        assert!(matches!(
            ev("1999-03-02 09:44:33 10HmaX-000000005vi-0000 *> x@y.example R=r T=t"),
            Event::Delivery(Delivery {
                status: Status::Other,
                ..
            })
        ));
    }

    #[test]
    fn completed_frozen_rejects_and_auth() {
        assert!(matches!(
            ev("1999-03-02 09:44:33 10HmaX-0005vi-00 Completed"),
            Event::Removed {
                queue_id: "10HmaX-0005vi-00"
            }
        ));
        assert!(matches!(
            ev("1999-03-02 09:44:33 10HmaX-000000005vi-0000 Frozen (delivery error message)"),
            Event::MessageNote { .. }
        ));
        let Event::Reject(r) = ev("2022-06-29 15:33:46 H=test.com [203.0.113.4]:53343 F=<info@test.com> rejected RCPT <toto@toto.com>: \"JunkMail rejected - test.com [203.0.113.4]:53343 is in an RBL\"") else {
            panic!()
        };
        assert_eq!(
            (r.stage, r.client, r.from, r.to),
            (
                "RCPT",
                "test.com [203.0.113.4]:53343",
                Some("info@test.com"),
                Some("toto@toto.com")
            )
        );
        assert!(r.reply.starts_with("JunkMail rejected"), "{}", r.reply);
        let Event::Reject(r) = ev(
            "1999-03-02 09:44:33 H=(x.y.z) [198.51.100.10] U=CALLER rejected EHLO or HELO x.y.z",
        ) else {
            panic!()
        };
        assert_eq!((r.stage, r.client), ("EHLO", "(x.y.z) [198.51.100.10]"));
        let Event::Reject(r) = ev("1999-03-02 09:44:33 10HmaY-000000005vi-0000 F=<userx@test1> rejected by non-SMTP ACL: don't like sender userx@test1") else {
            panic!()
        };
        assert_eq!(
            (r.queue_id, r.stage),
            (Some("10HmaY-000000005vi-0000"), "non-SMTP")
        );
        let Event::Reject(r) = ev(
            "1999-03-02 09:44:33 H=[10.0.0.1] F=<a@b> temporarily rejected RCPT <c@d>: greylisted",
        ) else {
            panic!()
        };
        assert_eq!((r.action, r.reply), ("temporarily rejected", "greylisted"));
        assert!(matches!(ev("2017-01-23 03:44:14 dovecot_login authenticator failed for (hydra) [198.51.100.18]:35686: 535 Incorrect authentication data (set_id=user)"), Event::AuthFailure { client: "(hydra) [198.51.100.18]:35686" }));
        assert!(matches!(
            ev("1999-03-02 09:44:33 Start queue run: pid=1234"),
            Event::Noise
        ));
        assert!(Exim.continuation("Envelope-from: <userx@test1>"));
        assert!(
            Exim.continuation("P Received: from CALLER by myhost.test.ex with local (Exim x.yz)")
        );
        assert!(Exim.continuation("\tid 10HmaY-000000005vi-0000"));
        assert!(!Exim.continuation("garbage"));
    }

    #[test]
    fn syslog_wrapped() {
        let p = crate::syslog::parse_prefix(
            "Jun 29 15:33:46 server exim[1234]: 2022-06-29 15:33:46 1rJ6kB-0003Xa-2n Completed",
        )
        .unwrap_or_else(|| panic!("prefix"));
        assert!(Exim.accepts(p.program));
        assert!(matches!(Exim.parse(&p), Event::Removed { .. }));
    }
}
