//! OpenSMTPD: the lines `smtpd` writes, through syslog (`smtpd[123]: ...`) or to stderr in the
//! foreground (`smtpd -d`, no prefix and no timestamp at all), turned into [`Event`]s.
//!
//! Since 6.4 every line starts with the 16-hex-digit ID of its session and a subsystem, then
//! `key=value` fields (values with spaces quoted): `smtp connected address=... host=...`,
//! `smtp message msgid=... size=... nrcpt=... proto=...` (a message was accepted), `smtp
//! envelope evpid=... from=<...> to=<...>` (one of its recipients), `smtp failed-command
//! command="RCPT TO:<...>" result="550 ..."` (a refusal), `smtp authentication user=...
//! result=permfail`, `mta delivery evpid=... from=<...> to=<...> rcpt=<...> source="..."
//! relay="..." delay=1m3s result="Ok|TempFail|PermFail|Loop" stat="..."` (a relay attempt) and
//! `mda delivery ... user=... delay=... result=Ok stat=Delivered` (a local one). A message is
//! followed by its 8-hex-digit msgid: the first half of each of its envelopes' evpid.
//!
//! Before 6.4 the lines were prose: `smtp-in: Accepted message MSGID on session SID: from=<...>,
//! to=<...>, size=N, ndest=N, proto=ESMTP`, `smtp-in: Failed command on session SID: "CMD" =>
//! 550 ...`, and `delivery: Ok for EVPID: from=<...>, to=<...>, ..., stat=Delivered` (`relay:`
//! for remote ones). OpenSMTPD writes no line when a message leaves the queue, nor one that
//! links a bounce to the message it reports on: the analyzer closes a message when each of its
//! `nrcpt=` envelopes has a final result (`Ok`, `PermFail`; not `TempFail`). Refusals name only
//! their session: the analyzer remembers each session's client from `smtp connected`.

use crate::event::{Delivery, Event, Origin, Reject, Status};
use crate::postfix::codes_at;
use crate::syslog::{Prefix, TimestampStyle};
use crate::LineParser;
use smtp_doctor_model::{EnhancedCode, ReplyCode};

/// The OpenSMTPD line parser.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenSmtpd;

impl LineParser for OpenSmtpd {
    fn name(&self) -> &'static str {
        "opensmtpd"
    }

    fn accepts(&self, program: &str) -> bool {
        program == "smtpd" || program == "opensmtpd"
    }

    fn parse<'a>(&self, line: &Prefix<'a>) -> Event<'a> {
        parse_message(line.message)
    }

    fn logs_removal(&self) -> bool {
        false
    }

    fn links_reports(&self) -> bool {
        false
    }

    fn own_prefix<'a>(&self, line: &'a str) -> Option<Prefix<'a>> {
        // `smtpd -d` writes its lines bare: a session ID and a subsystem, or a level word.
        let session_line = line.split_once(' ').is_some_and(|(id, rest)| {
            is_hex_id(id, 16)
                && ["smtp ", "mta ", "mda "]
                    .iter()
                    .any(|s| rest.starts_with(s))
        });
        let level_line = line == "Exiting"
            || line.starts_with("info: OpenSMTPD ")
            || line.starts_with("warn: ")
            || line.starts_with("debug: ");
        (session_line || level_line).then_some(Prefix {
            timestamp: "",
            style: TimestampStyle::None,
            host: "",
            program: "smtpd",
            pid: None,
            message: line,
        })
    }
}

/// True for `len` lower-case hex digits (OpenSMTPD's IDs are printed `%016x` and `%08x`).
fn is_hex_id(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// The message ID of an envelope ID (its high 32 bits, printed first), or an 8-digit msgid.
fn msgid_of(id: &str) -> Option<&str> {
    if is_hex_id(id, 16) {
        Some(&id[..8])
    } else {
        is_hex_id(id, 8).then_some(id)
    }
}

fn parse_message(msg: &str) -> Event<'_> {
    if let Some((id, rest)) = msg.split_once(' ') {
        if is_hex_id(id, 16) {
            return session_line(id, rest);
        }
    }
    if let Some(rest) = msg.strip_prefix("smtp-in: ") {
        return old_smtp_in(rest);
    }
    for (prefix, relay) in [("delivery: ", "local"), ("relay: ", "")] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            return old_delivery(rest, relay);
        }
    }
    if msg == "Exiting" {
        return Event::Noise;
    }
    if [
        "info: ",
        "warn: ",
        "debug: ",
        "smtp-out: ",
        "mta-",
        "queue: ",
        "bounce: ",
    ]
    .iter()
    .any(|p| msg.starts_with(p))
    {
        return Event::Noise;
    }
    Event::Unknown
}

/// A 6.4+ line after its session ID: `smtp ...`, `mta ...` or `mda ...`.
fn session_line<'a>(session: &'a str, rest: &'a str) -> Event<'a> {
    let (subsystem, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let (what, fields) = rest.split_once(' ').unwrap_or((rest, ""));
    match (subsystem, what) {
        ("smtp", "message") => {
            let Some(queue_id) = value(fields, "msgid").and_then(msgid_of) else {
                return Event::Unknown;
            };
            Event::Arrival {
                queue_id,
                origin: Origin::Smtpd,
                client: "",
                from: "",
                size: value(fields, "size").and_then(|v| v.parse().ok()),
                message_id: None,
                notification_for: None,
                nrcpt: value(fields, "nrcpt").and_then(|v| v.parse().ok()),
            }
        }
        ("smtp", "connected") => Event::Connected {
            session,
            address: value(fields, "address").unwrap_or(""),
            host: value(fields, "host").unwrap_or(""),
        },
        ("smtp", "disconnected") => Event::Disconnected { session },
        ("smtp", "envelope") => match value(fields, "evpid").and_then(msgid_of) {
            Some(queue_id) => Event::Queued {
                queue_id,
                from: value(fields, "from").map_or("", unbracket),
                size: None,
                nrcpt: None,
            },
            None => Event::Unknown,
        },
        ("smtp", "failed-command") => {
            let command = value(fields, "command").unwrap_or("");
            let reply = value(fields, "result").unwrap_or("");
            failed_command(session, command, reply)
        }
        ("smtp", "authentication") => match value(fields, "result") {
            Some("ok") => Event::Noise,
            _ => Event::AuthFailure { client: "" },
        },
        ("mta" | "mda", "delivery") => delivery(fields, subsystem == "mda"),
        ("mta", "error") => Event::ConnectFailure {
            server: "",
            reason: value(fields, "reason").unwrap_or(fields),
        },
        ("smtp" | "mta" | "mda", _) => Event::Noise,
        _ => Event::Unknown,
    }
}

/// A refused command: `RCPT TO:<a>`, `MAIL FROM:<a>`, `DATA`, `AUTH ...`, or `""` (a filter
/// refused the connection). AUTH refusals are counted by the `smtp authentication` line.
fn failed_command<'a>(session: &'a str, command: &'a str, reply: &'a str) -> Event<'a> {
    let verb = command.split([' ', ':']).next().unwrap_or("");
    let upper = |v: &str| v.to_ascii_uppercase();
    let stage = match upper(verb).as_str() {
        "AUTH" => return Event::Noise,
        "RCPT" => "RCPT",
        "MAIL" => "MAIL",
        "DATA" => "DATA",
        "HELO" | "EHLO" => "HELO",
        "STARTTLS" => "STARTTLS",
        "" => "CONNECT",
        _ => "other",
    };
    let address = command
        .split_once('<')
        .and_then(|(_, r)| r.split_once('>'))
        .map(|(a, _)| a);
    let (reply_code, enhanced_code) = reply_codes(reply);
    Event::Reject(Reject {
        queue_id: None,
        action: "reject",
        stage,
        client: "",
        reply,
        reply_code,
        enhanced_code,
        from: address.filter(|_| stage == "MAIL"),
        to: address.filter(|_| stage == "RCPT"),
        helo: None,
        session: Some(session),
    })
}

/// `evpid=... from=<a> to=<b> rcpt=<c> [source="..." relay="..."|user=...] delay=... result=...
/// stat=...`.
fn delivery(fields: &str, local: bool) -> Event<'_> {
    let Some(queue_id) = value(fields, "evpid").and_then(msgid_of) else {
        return Event::Unknown;
    };
    let Some(to) = value(fields, "to").map(unbracket) else {
        return Event::Unknown;
    };
    let rcpt = value(fields, "rcpt").map(unbracket);
    let result = value(fields, "result").unwrap_or("");
    // `stat=` is the last field: quoted by mta, bare (spaces and all) by mda.
    let stat = match fields.find(" stat=") {
        Some(i) => {
            let v = &fields[i + 6..];
            v.strip_prefix('"')
                .map_or(v, |q| q.strip_suffix('"').unwrap_or(q))
        }
        None => "",
    };
    let relay = if local {
        "local"
    } else {
        value(fields, "relay").unwrap_or("none")
    };
    new_delivery(
        queue_id,
        to,
        rcpt,
        relay,
        value(fields, "delay").and_then(parse_duration),
        result,
        stat,
    )
}

fn new_delivery<'a>(
    queue_id: &'a str,
    to: &'a str,
    rcpt: Option<&'a str>,
    relay: &'a str,
    delay: Option<f64>,
    result: &'a str,
    stat: &'a str,
) -> Event<'a> {
    let status = match result {
        "Ok" => Status::Sent,
        "TempFail" => Status::Deferred,
        "PermFail" | "Loop" => Status::Bounced,
        _ => Status::Other,
    };
    let (reply_code, enhanced_code) = reply_codes(stat);
    Event::Delivery(Delivery {
        queue_id,
        to,
        more_to: None,
        orig_to: rcpt.filter(|r| *r != "-" && !r.is_empty() && *r != to),
        relay,
        delay,
        delays: None,
        dsn: enhanced_text(stat),
        status,
        // The outcome in the words Postfix and Exim use; another as written.
        status_text: match status {
            Status::Other => result,
            s => s.as_str(),
        },
        reply: stat,
        reply_code,
        enhanced_code,
    })
}

/// The reply code and enhanced code at the start of a reply; OpenSMTPD also writes the
/// enhanced code right after the basic one with a colon (`421 4.3.0: Temporary Error`).
fn reply_codes(reply: &str) -> (Option<ReplyCode>, Option<EnhancedCode>) {
    let (code, enhanced) = codes_at(reply).unwrap_or((None, None));
    (
        code,
        enhanced.or_else(|| enhanced_text(reply)?.parse().ok()),
    )
}

/// The enhanced code's text right after a reply code (`250 2.0.0 Ok` gives `2.0.0`).
fn enhanced_text(reply: &str) -> Option<&str> {
    let after = reply.get(4..)?;
    codes_at(reply)?;
    let token = after.split([' ', ':', ';', ',']).next()?;
    token.parse::<EnhancedCode>().ok().map(|_| token)
}

/// A duration as OpenSMTPD writes it (`0s`, `1m3s`, `2h5m`, `1d2h3m4s`), in seconds.
fn parse_duration(v: &str) -> Option<f64> {
    let mut total = 0u64;
    let mut n: Option<u64> = None;
    for c in v.bytes() {
        match c {
            b'0'..=b'9' => {
                n = Some(
                    n.unwrap_or(0)
                        .checked_mul(10)?
                        .checked_add(u64::from(c - b'0'))?,
                );
            }
            b'd' | b'h' | b'm' | b's' => {
                let unit = match c {
                    b'd' => 86_400,
                    b'h' => 3600,
                    b'm' => 60,
                    _ => 1,
                };
                total = total.checked_add(n.take()?.checked_mul(unit)?)?;
            }
            _ => return None,
        }
    }
    (n.is_none() && !v.is_empty()).then_some(total as f64)
}

/// The value of `key=` in space-separated fields: `"quoted"` (no escapes in OpenSMTPD's
/// output), `<bracketed>`, or up to the next space.
fn value<'a>(fields: &'a str, key: &str) -> Option<&'a str> {
    let b = fields.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&b[from..], key.as_bytes()).map(|i| i + from) {
        let end = i + key.len();
        if (i == 0 || b[i - 1] == b' ') && b.get(end) == Some(&b'=') {
            let v = &fields[end + 1..];
            if let Some(q) = v.strip_prefix('"') {
                return Some(
                    q.find("\" ")
                        .map_or(q.strip_suffix('"').unwrap_or(q), |e| &q[..e]),
                );
            }
            if v.starts_with('<') {
                return Some(v.find('>').map_or(v, |e| &v[..=e]));
            }
            return Some(v.find(' ').map_or(v, |e| &v[..e]));
        }
        from = end;
    }
    None
}

/// An address without its angle brackets.
fn unbracket(v: &str) -> &str {
    let v = v.strip_prefix('<').unwrap_or(v);
    v.strip_suffix('>').unwrap_or(v)
}

/// A pre-6.4 `smtp-in:` line.
fn old_smtp_in(rest: &str) -> Event<'_> {
    if let Some(r) = rest.strip_prefix("Accepted message ") {
        let (id, fields) = r.split_once(" on session ").unwrap_or((r, ""));
        let Some(queue_id) = msgid_of(id) else {
            return Event::Unknown;
        };
        let fields = fields.split_once(": ").map_or("", |(_, f)| f);
        return Event::Arrival {
            queue_id,
            origin: Origin::Smtpd,
            client: "",
            from: comma_value(fields, "from").map_or("", unbracket),
            size: comma_value(fields, "size").and_then(|v| v.parse().ok()),
            message_id: None,
            notification_for: None,
            nrcpt: comma_value(fields, "ndest").and_then(|v| v.parse().ok()),
        };
    }
    if let Some(r) = rest.strip_prefix("Failed command on session ") {
        // `SID: "CMD" => 550 reply`
        let (session, after) = r.split_once(": ").unwrap_or((r, ""));
        let (command, reply) = after.split_once(" => ").unwrap_or((after, ""));
        return failed_command(session, command.trim_matches('"').trim(), reply);
    }
    // `New session SID from host NAME [ADDRESS]`, `Closing session SID`.
    if let Some(r) = rest.strip_prefix("New session ") {
        if let Some((session, client)) = r.split_once(" from host ") {
            let (host, address) = client.split_once(" [").unwrap_or((client, ""));
            return Event::Connected {
                session,
                address: address.strip_suffix(']').unwrap_or(address),
                host,
            };
        }
    }
    if let Some(session) = rest.strip_prefix("Closing session ") {
        return Event::Disconnected { session };
    }
    Event::Noise
}

/// A pre-6.4 `delivery:` or `relay:` line: `Ok for EVPID: from=<a>, to=<b>, ..., stat=text`.
fn old_delivery<'a>(rest: &'a str, relay: &'a str) -> Event<'a> {
    let Some((result, r)) = rest.split_once(" for ") else {
        return Event::Unknown;
    };
    let Some((id, fields)) = r.split_once(": ") else {
        return Event::Unknown;
    };
    let (Some(queue_id), Some(to)) = (msgid_of(id), comma_value(fields, "to").map(unbracket))
    else {
        return Event::Unknown;
    };
    let stat = fields
        .find("stat=")
        .filter(|&i| i == 0 || fields[..i].ends_with(", "))
        .map_or("", |i| &fields[i + 5..]);
    let relay = comma_value(fields, "relay")
        .filter(|_| relay.is_empty())
        .unwrap_or(if relay.is_empty() { "none" } else { relay });
    new_delivery(
        queue_id,
        to,
        comma_value(fields, "rcpt").map(unbracket),
        relay,
        comma_value(fields, "delay").and_then(parse_duration),
        result,
        stat,
    )
}

/// The value of `key=` in `key=value, key=value` fields.
fn comma_value<'a>(fields: &'a str, key: &str) -> Option<&'a str> {
    let b = fields.as_bytes();
    let at = memchr::memmem::find_iter(b, key.as_bytes()).find(|&i| {
        (i == 0 || (i >= 2 && &b[i - 2..i] == b", ")) && b.get(i + key.len()) == Some(&b'=')
    })?;
    let v = &fields[at + key.len() + 1..];
    Some(v.find(", ").map_or(v, |e| &v[..e]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0s"), Some(0.0));
        assert_eq!(parse_duration("1m3s"), Some(63.0));
        assert_eq!(parse_duration("1d2h3m4s"), Some(93_784.0));
        for bad in ["", "5", "s", "1x", "1m3", "99999999999999999999999s"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn message_envelope_and_deliveries() {
        assert_eq!(
            parse_message(
                "6ec58192a17a2021 smtp message msgid=9269c8a6 size=602 nrcpt=1 proto=ESMTP"
            ),
            Event::Arrival {
                queue_id: "9269c8a6",
                origin: Origin::Smtpd,
                client: "",
                from: "",
                size: Some(602),
                message_id: None,
                notification_for: None,
                nrcpt: Some(1),
            }
        );
        assert_eq!(
            parse_message("6ec58192a17a2021 smtp envelope evpid=9269c8a6858063c7 from=<a@example.com> to=<someone@lab.test>"),
            Event::Queued {
                queue_id: "9269c8a6",
                from: "a@example.com",
                size: None,
                nrcpt: None
            }
        );
        let Event::Delivery(d) = parse_message("6ec58195585be95b mta delivery evpid=9269c8a6858063c7 from=<> to=<someone@lab.test> rcpt=<-> source=\"127.0.0.1\" relay=\"127.0.0.1 (localhost)\" delay=0s result=\"Ok\" stat=\"250 2.0.0 Ok: queued as 3E37999C689\"") else {
            panic!()
        };
        assert_eq!(
            (d.queue_id, d.to, d.orig_to, d.relay, d.delay),
            (
                "9269c8a6",
                "someone@lab.test",
                None,
                "127.0.0.1 (localhost)",
                Some(0.0)
            )
        );
        assert_eq!((d.status, d.dsn), (Status::Sent, Some("2.0.0")));
        assert_eq!(d.reply, "250 2.0.0 Ok: queued as 3E37999C689");
        let Event::Delivery(d) = parse_message("c1a89cb774083905 mta delivery evpid=1f2e3d4c5b6a7980 from=<a@example.com> to=<b@example.org> rcpt=<b@example.org> source=\"192.0.2.1\" relay=\"198.51.100.7 (mx.example.org)\" delay=1h2m result=\"TempFail\" stat=\"421 4.7.0 Try again later\"") else {
            panic!()
        };
        assert_eq!(
            (d.status, d.delay, d.reply_code.map(|c| c.get())),
            (Status::Deferred, Some(3720.0), Some(421))
        );
        let Event::Delivery(d) = parse_message("c1a89cb774083905 mda delivery evpid=1f2e3d4c5b6a7980 from=<a@example.com> to=<bob@example.org> rcpt=<root@example.org> user=bob delay=0s result=PermFail stat=Error (user unknown: no such user)") else {
            panic!()
        };
        assert_eq!(
            (d.status, d.relay, d.orig_to, d.reply),
            (
                Status::Bounced,
                "local",
                Some("root@example.org"),
                "Error (user unknown: no such user)"
            )
        );
    }

    #[test]
    fn refusals_auth_and_noise() {
        let Event::Reject(r) = parse_message("6ec5818e3f3334c6 smtp failed-command command=\"RCPT TO:<nobody@elsewhere.invalid>\" result=\"550 Invalid recipient: <nobody@elsewhere.invalid>\"") else {
            panic!()
        };
        assert_eq!(r.session, Some("6ec5818e3f3334c6"));
        assert_eq!(
            (r.stage, r.to, r.reply),
            (
                "RCPT",
                Some("nobody@elsewhere.invalid"),
                "550 Invalid recipient: <nobody@elsewhere.invalid>"
            )
        );
        assert_eq!(r.reply_code.map(|c| c.get()), Some(550));
        let Event::Reject(r) = parse_message(
            "88166f7f21c951f4 smtp failed-command command=\"\" result=\"550 no rDNS please fix\"",
        ) else {
            panic!()
        };
        assert_eq!(r.stage, "CONNECT");
        assert_eq!(
            parse_message("6ec58192a17a2021 smtp failed-command command=\"AUTH PLAIN (...)\" result=\"535 Authentication failed\""),
            Event::Noise
        );
        assert_eq!(
            parse_message("6ec58192a17a2021 smtp authentication user=lab result=permfail"),
            Event::AuthFailure { client: "" }
        );
        assert_eq!(
            parse_message("6ec5818c684cb602 smtp connected address=127.0.0.1 host=localhost"),
            Event::Connected {
                session: "6ec5818c684cb602",
                address: "127.0.0.1",
                host: "localhost"
            }
        );
        assert_eq!(
            parse_message("6ec5818c684cb602 smtp disconnected reason=quit"),
            Event::Disconnected {
                session: "6ec5818c684cb602"
            }
        );
        for noise in [
            "6ec58195585be95b mta cert-check result=\"unverified\" fingerprint=\"SHA256:78\"",
            "6ec58192a17a2021 smtp authentication user=lab result=ok",
            "info: OpenSMTPD 7.4.0-portable starting",
        ] {
            assert_eq!(parse_message(noise), Event::Noise, "{noise}");
        }
        let Some(p) = OpenSmtpd.own_prefix("6ec5818c684cb602 smtp connected address=local") else {
            panic!()
        };
        assert_eq!(
            (p.timestamp, p.style, p.program),
            ("", TimestampStyle::None, "smtpd")
        );
        assert!(OpenSmtpd.own_prefix("2026-03-01 00:00:00 x").is_none());
    }

    #[test]
    fn old_format() {
        let e = parse_message("smtp-in: Accepted message 4296f490 on session 08d856b172f69c5c: from=<root@ix.example.com>, to=<ddp@ix.example.com>, size=1746, ndest=1, proto=ESMTP");
        assert!(matches!(
            e,
            Event::Arrival {
                queue_id: "4296f490",
                from: "root@ix.example.com",
                size: Some(1746),
                nrcpt: Some(1),
                ..
            }
        ));
        let Event::Reject(r) = parse_message("smtp-in: Failed command on session 1f55bdcdf16e28a3: \"MAIL FROM:<root@junction.example.com>  \" => 421 4.3.0: Temporary Error") else {
            panic!()
        };
        assert_eq!(r.session, Some("1f55bdcdf16e28a3"));
        assert_eq!(
            (r.stage, r.from, r.reply),
            (
                "MAIL",
                Some("root@junction.example.com"),
                "421 4.3.0: Temporary Error"
            )
        );
        assert_eq!(
            r.enhanced_code.map(|c| c.to_string()).as_deref(),
            Some("4.3.0")
        );
        let Event::Delivery(d) = parse_message("relay: TempFail for 8c4b1f0e2d3a4b5c: from=<a@example.com>, to=<b@example.org>, rcpt=<->, source=192.0.2.1, relay=mx.example.org [198.51.100.7], delay=2s, stat=Connection refused") else {
            panic!()
        };
        assert_eq!(
            (d.queue_id, d.status, d.relay, d.reply),
            (
                "8c4b1f0e",
                Status::Deferred,
                "mx.example.org [198.51.100.7]",
                "Connection refused"
            )
        );
        let Event::Delivery(d) = parse_message("delivery: Ok for 8c4b1f0e2d3a4b5c: from=<a@example.com>, to=<c@example.com>, user=c, method=mbox, delay=0s, stat=Delivered") else {
            panic!()
        };
        assert_eq!(
            (d.status, d.relay, d.reply),
            (Status::Sent, "local", "Delivered")
        );
        assert_eq!(
            parse_message("smtp-in: New session 08d856b172f69c5c from host ix.example.com [local]"),
            Event::Connected {
                session: "08d856b172f69c5c",
                address: "local",
                host: "ix.example.com"
            }
        );
        assert_eq!(
            parse_message("smtp-in: Closing session 08d856b172f69c5c"),
            Event::Disconnected {
                session: "08d856b172f69c5c"
            }
        );
        assert_eq!(
            parse_message("smtp-in: Started TLS on session 427e749c2e46f809: version=TLSv1.2"),
            Event::Noise
        );
    }

    #[test]
    fn every_cut_of_a_known_line_parses() {
        // Truncated lines (a log cut mid-write, a line over the length limit): never a panic.
        for line in [
            "6ec58192a17a2021 smtp message msgid=9269c8a6 size=602 nrcpt=1 proto=ESMTP",
            "6ec58192a17a2021 smtp envelope evpid=9269c8a6858063c7 from=<a@example.com> to=<b@lab.test>",
            "6ec58195585be95b mta delivery evpid=9269c8a6858063c7 from=<> to=<s@lab.test> rcpt=<-> source=\"127.0.0.1\" relay=\"127.0.0.1 (localhost)\" delay=1d2h3m4s result=\"Ok\" stat=\"250 2.0.0 Ok\"",
            "c1a89cb774083905 mda delivery evpid=1f2e3d4c5b6a7980 from=<a@b> to=<c@d> rcpt=<e@f> user=bob delay=0s result=PermFail stat=Error (x)",
            "6ec5818e3f3334c6 smtp failed-command command=\"RCPT TO:<n@e.invalid> \" result=\"550 Invalid recipient\"",
            "smtp-in: Accepted message 4296f490 on session 08d856b172f69c5c: from=<r@x>, to=<d@x>, size=1746, ndest=1",
            "smtp-in: Failed command on session 1f55bdcdf16e28a3: \"MAIL FROM:<r@j>  \" => 421 4.3.0: Temporary Error",
            "relay: TempFail for 8c4b1f0e2d3a4b5c: from=<a@b>, to=<c@d>, rcpt=<->, relay=mx [198.51.100.7], delay=2s, stat=x",
            "smtp-in: New session 08d856b172f69c5c from host ix.example.com [local]",
            "6ec5818c684cb602 smtp connected address=127.0.0.1 host=localhost",
        ] {
            for (i, _) in line.char_indices() {
                let _ = parse_message(&line[..i]);
                let _ = parse_message(&line[i..]);
            }
        }
    }
}
