//! Sendmail: the lines `sendmail`, `sm-mta` and `sm-msp-queue` write through syslog, turned
//! into [`Event`]s.
//!
//! A line about a message starts with its queue ID (`t5NHS1qY012345: `: eight characters of
//! time and sequence, then the pid, at least five digits) and goes on with `key=value, ` fields:
//! `from=` (the message arrived: size, `nrcpts=`, `msgid=`, `relay=` the client), `to=` (one
//! delivery attempt for one or more recipients: `delay=` and `xdelay=` as `[D+]HH:MM:SS`,
//! `mailer=`, `relay=`, `dsn=`, and last `stat=`: `Sent (...)`, `Deferred: reason`, or the
//! reason of a permanent failure such as `User unknown`), `ruleset=check_rcpt, ..., reject=550
//! ...` (a refusal by an access rule). A non-delivery report is linked by `QID: NEWQID: DSN:
//! reason` (older versions: `return to sender: reason`), logged right after the delivery lines.
//! Only with `LogLevel` 10 and up does Sendmail log a message's removal (`done; delay=...,
//! ntries=N`), so the analyzer closes a message when every one of its `nrcpts=` recipients has
//! a final status.

use crate::event::{Delivery, Event, Origin, Reject, Status};
use crate::postfix::codes_at;
use crate::syslog::Prefix;
use crate::LineParser;

/// The Sendmail line parser.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sendmail;

impl LineParser for Sendmail {
    fn name(&self) -> &'static str {
        "sendmail"
    }

    fn accepts(&self, program: &str) -> bool {
        // `sm-mta`, `sm-msp-queue`, and the process titles some systems log under
        // (`sm-acceptingconnections`); `sendmail` on Red Hat and macOS.
        program == "sendmail" || program.starts_with("sm-")
    }

    fn parse<'a>(&self, line: &Prefix<'a>) -> Event<'a> {
        parse_message(line.message)
    }

    fn logs_removal(&self) -> bool {
        false
    }
}

/// True for a Sendmail queue ID: 12 to 20 ASCII letters and digits, a letter among the first
/// eight (the time and sequence part), ending in at least five digits (the pid).
pub fn is_sendmail_queue_id(s: &str) -> bool {
    let b = s.as_bytes();
    (12..=20).contains(&b.len())
        && b.iter().all(u8::is_ascii_alphanumeric)
        && b[..8].iter().any(u8::is_ascii_alphabetic)
        && b[b.len() - 5..].iter().all(u8::is_ascii_digit)
}

/// The queue ID at the start of a message (`QID: rest`), and the rest.
fn split_queue_id(msg: &str) -> Option<(&str, &str)> {
    let colon = msg.as_bytes().iter().take(21).position(|&c| c == b':')?;
    let id = &msg[..colon];
    let rest = msg[colon + 1..].strip_prefix(' ')?;
    is_sendmail_queue_id(id).then_some((id, rest))
}

fn parse_message(msg: &str) -> Event<'_> {
    let msg = msg.strip_prefix("NOQUEUE: ").unwrap_or(msg);
    match split_queue_id(msg) {
        Some((qid, rest)) => queue_line(qid, rest),
        None => other_line(None, msg),
    }
}

/// A line that starts with a queue ID.
fn queue_line<'a>(qid: &'a str, rest: &'a str) -> Event<'a> {
    if rest.starts_with("to=") {
        return delivery(qid, rest);
    }
    if rest.starts_with("from=") {
        return arrival(qid, rest);
    }
    // `done; delay=1+02:03:04, ntries=3`: the queue files were removed (LogLevel 10 and up,
    // after at least one delivery attempt).
    if rest.starts_with("done; ") {
        return Event::Removed { queue_id: qid };
    }
    // `QID: NEWQID: DSN: reason`: the non-delivery report NEWQID was queued about QID.
    if let Some((new_id, kind)) = split_queue_id(rest) {
        let kind = kind.split(": ").next().unwrap_or(kind);
        return Event::Notification {
            queue_id: qid,
            notification_id: new_id,
            kind,
        };
    }
    match other_line(Some(qid), rest) {
        Event::Unknown => Event::MessageNote {
            queue_id: qid,
            text: rest,
        },
        e => e,
    }
}

/// Lines about a connection (with or without a queue ID): refusals, authentication failures,
/// and the lines recognised as carrying nothing counted.
fn other_line<'a>(qid: Option<&'a str>, msg: &'a str) -> Event<'a> {
    if let Some(r) = rule_reject(qid, msg) {
        return Event::Reject(r);
    }
    if let Some(r) = milter_reject(qid, msg) {
        return Event::Reject(r);
    }
    if let Some(r) = command_reject(qid, msg) {
        return Event::Reject(r);
    }
    if msg.starts_with("AUTH failure") {
        // The last `relay=` is the client (a `user=` value may hold a forged one).
        let client = rfield(msg, "relay=").unwrap_or("");
        return Event::AuthFailure { client };
    }
    if is_known_noise(msg) {
        Event::Noise
    } else {
        Event::Unknown
    }
}

/// `ruleset=check_rcpt, arg1=<a>, relay=host [ip], reject=550 5.7.1 <a>... Relaying denied`.
fn rule_reject<'a>(qid: Option<&'a str>, msg: &'a str) -> Option<Reject<'a>> {
    let ruleset = msg.strip_prefix("ruleset=")?;
    let ruleset = ruleset.split(", ").next().unwrap_or(ruleset);
    let reply = last_field(msg, "reject=")?;
    let stage = match ruleset {
        "check_rcpt" => "RCPT",
        "check_mail" => "MAIL",
        "check_relay" => "CONNECT",
        "check_data" | "check_eoh" | "check_eom" => "DATA",
        "check_etrn" => "ETRN",
        "check_expn" => "EXPN",
        "check_vrfy" => "VRFY",
        other => other,
    };
    let arg1 = field(msg, "arg1=").map(unbracket);
    let (reply_code, enhanced_code) = codes_at(reply).unwrap_or((None, None));
    Some(Reject {
        queue_id: qid,
        action: "reject",
        stage,
        client: field(msg, "relay=").unwrap_or(""),
        reply,
        reply_code,
        enhanced_code,
        from: arg1.filter(|_| stage == "MAIL"),
        to: arg1.filter(|_| stage == "RCPT"),
        helo: None,
        session: None,
    })
}

/// A milter's refusal: `Milter: data, reject=554 5.7.1 ...`, `Milter: to=<a>, reject=550 ...`
/// (also `from=`, `connect`, `helo`).
fn milter_reject<'a>(qid: Option<&'a str>, msg: &'a str) -> Option<Reject<'a>> {
    let rest = msg.strip_prefix("Milter: ")?;
    let reply = last_field(rest, "reject=")?;
    let first = rest.split([',', '=']).next().unwrap_or("");
    let stage = match first {
        "to" => "RCPT",
        "from" => "MAIL",
        "connect" => "CONNECT",
        "helo" => "HELO",
        _ => "DATA",
    };
    let (reply_code, enhanced_code) = codes_at(reply).unwrap_or((None, None));
    Some(Reject {
        queue_id: qid,
        action: "milter-reject",
        stage,
        client: "",
        reply,
        reply_code,
        enhanced_code,
        from: field(rest, "from=").map(unbracket),
        to: field(rest, "to=").map(unbracket),
        helo: None,
        session: None,
    })
}

/// A refused command or session: `client: EXPN root [rejected]` (also `VRFY`), and
/// `rejecting commands from client due to pre-greeting traffic after N seconds`.
fn command_reject<'a>(qid: Option<&'a str>, msg: &'a str) -> Option<Reject<'a>> {
    let (client, stage, reply) = if let Some(rest) = msg.strip_prefix("rejecting commands from ") {
        let client = rest.split(" due to ").next().unwrap_or(rest).trim();
        (client, "CONNECT", msg)
    } else {
        let body = msg.strip_suffix(" [rejected]")?;
        let (client, command) = body.rsplit_once(": ")?;
        let verb = command.split(' ').next().unwrap_or("");
        if !verb.eq_ignore_ascii_case("EXPN") && !verb.eq_ignore_ascii_case("VRFY") {
            return None;
        }
        let stage = if verb.eq_ignore_ascii_case("EXPN") {
            "EXPN"
        } else {
            "VRFY"
        };
        (client, stage, command)
    };
    Some(Reject {
        queue_id: qid,
        action: "reject",
        stage,
        client,
        reply,
        reply_code: None,
        enhanced_code: None,
        from: None,
        to: None,
        helo: None,
        session: None,
    })
}

/// `from=<a>, size=N, class=0, nrcpts=N, msgid=<id>, proto=ESMTP, daemon=MTA, relay=host [ip]`.
/// With `nrcpts=0` no recipient was accepted and nothing was queued: a note, not an arrival.
fn arrival<'a>(qid: &'a str, rest: &'a str) -> Event<'a> {
    let nrcpts: Option<u32> = field(rest, "nrcpts=").and_then(|v| v.parse().ok());
    if nrcpts == Some(0) {
        return Event::MessageNote {
            queue_id: qid,
            text: rest,
        };
    }
    let from = field(rest, "from=").map_or("", unbracket);
    let client = field(rest, "relay=").unwrap_or("");
    let daemon = field(rest, "daemon=").unwrap_or("");
    let origin = if field(rest, "proto=").is_none() {
        // Local submission (`sendmail -t`, then sm-msp-queue): no protocol.
        Origin::Pickup
    } else if daemon.contains("MSA") || daemon.contains("MSP") || field(rest, "auth=").is_some() {
        Origin::Submission
    } else {
        Origin::Smtpd
    };
    Event::Arrival {
        queue_id: qid,
        origin,
        client,
        from,
        size: field(rest, "size=").and_then(|v| v.parse().ok()),
        message_id: field(rest, "msgid=").map(unbracket),
        notification_for: None,
        nrcpt: nrcpts,
    }
}

/// `to=<a>,<b>, [ctladdr=..., ]delay=..., xdelay=..., mailer=..., pri=..., relay=..., dsn=...,
/// stat=...`.
fn delivery<'a>(qid: &'a str, rest: &'a str) -> Event<'a> {
    let Some(list) = field(rest, "to=") else {
        return Event::Unknown;
    };
    let Some(stat) = last_field(rest, "stat=") else {
        return Event::Unknown;
    };
    let (first, more) = match list.split_once(',') {
        Some((a, b)) => (a, Some(b)),
        None => (list, None),
    };
    let dsn = field(rest, "dsn=");
    let (word, reply) = split_stat(stat);
    if word.starts_with("Cannot send message") {
        // The queue lifetime ran out (`Timeout.queuereturn`): returned to the sender.
        return Event::Expired {
            queue_id: qid,
            from: "",
            text: stat,
        };
    }
    let status = match (dsn.and_then(|d| d.bytes().next()), word) {
        (_, "Sent") => Status::Sent,
        (_, "Deferred") => Status::Deferred,
        (_, "queued" | "Queued") => Status::Other,
        (Some(b'2'), _) => Status::Sent,
        (Some(b'4'), _) => Status::Deferred,
        _ => Status::Bounced,
    };
    let relay = field(rest, "relay=")
        .or_else(|| field(rest, "mailer="))
        .unwrap_or("none");
    let (reply_code, enhanced_code) = codes_at(reply).unwrap_or((None, None));
    Event::Delivery(Delivery {
        queue_id: qid,
        to: unbracket(first),
        more_to: more,
        orig_to: None,
        relay,
        delay: field(rest, "delay=").and_then(parse_delay),
        delays: None,
        dsn,
        status,
        // The outcome in the words Postfix and Exim use; another as written.
        status_text: match status {
            Status::Other => word,
            s => s.as_str(),
        },
        reply,
        reply_code,
        enhanced_code,
    })
}

/// `stat=` split into its outcome word and the reply: `Sent (ok ...)` gives (`Sent`, `ok ...`),
/// `Deferred: 451 4.3.5 busy` gives (`Deferred`, `451 4.3.5 busy`), `User unknown` is both.
fn split_stat(stat: &str) -> (&str, &str) {
    for word in ["Sent", "Deferred", "queued", "Queued"] {
        let Some(tail) = stat.strip_prefix(word) else {
            continue;
        };
        if matches!(tail.bytes().next(), None | Some(b' ' | b':' | b'(')) {
            let tail = tail.trim_start_matches(':').trim();
            let tail = tail
                .strip_prefix('(')
                .map_or(tail, |t| t.strip_suffix(')').unwrap_or(t));
            return (word, tail);
        }
    }
    (stat, stat)
}

/// A delay as Sendmail writes it, `HH:MM:SS` or `D+HH:MM:SS`, in seconds.
fn parse_delay(v: &str) -> Option<f64> {
    let (days, hms) = match v.split_once('+') {
        Some((d, rest)) => (d.parse::<u32>().ok()?, rest),
        None => (0, v),
    };
    let mut parts = hms.split(':');
    let mut total = u64::from(days) * 86_400;
    for unit in [3600u64, 60, 1] {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        total += p.parse::<u64>().ok()? * unit;
    }
    parts.next().is_none().then_some(total as f64)
}

/// The value of `key` in a `key=value, key=value` list: the text up to the next `, `.
fn field<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let at = key_at(s, key, false)?;
    let v = &s[at + key.len()..];
    Some(v.find(", ").map_or(v, |e| &v[..e]))
}

/// The value of `key` when it is the last field (`stat=`, `reject=`): the rest of the line.
fn last_field<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    key_at(s, key, false).map(|at| &s[at + key.len()..])
}

/// [`field`], for the last `key` of the line.
fn rfield<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let at = key_at(s, key, true)?;
    let v = &s[at + key.len()..];
    Some(v.find(", ").map_or(v, |e| &v[..e]))
}

/// Where `key` starts a field: at the start of `s` or after `, `; the first or the last one.
fn key_at(s: &str, key: &str, last: bool) -> Option<usize> {
    let b = s.as_bytes();
    let ok = |i: usize| i == 0 || (i >= 2 && &b[i - 2..i] == b", ");
    if last {
        memchr::memmem::rfind_iter(b, key.as_bytes()).find(|&i| ok(i))
    } else {
        memchr::memmem::find_iter(b, key.as_bytes()).find(|&i| ok(i))
    }
}

/// An address without its angle brackets.
fn unbracket(v: &str) -> &str {
    let v = v.trim();
    let v = v.strip_prefix('<').unwrap_or(v);
    v.strip_suffix('>').unwrap_or(v)
}

/// Lines Sendmail writes that carry nothing the analysis counts.
fn is_known_noise(msg: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "STARTTLS",
        "starting daemon",
        "alias database",
        "lost input channel from ",
        "timeout waiting for input",
        "collect: ",
        "Milter",
        "milter",
        "SMTP outgoing connect",
        "AUTH=server",
        "AUTH=client",
        "tcpwrappers",
        "SYSERR",
        "Authentication-Warning",
        "clone ",
        "sender notify",
        "postmaster notify",
        "Saved message in ",
        "DSN: ",
        "return to sender",
        "savemail",
        "setsender",
        "discarded",
        "headers too large",
    ];
    const INSIDE: &[&str] = &[
        " did not issue MAIL/EXPN/VRFY/ETRN during connection to ",
        ": possible SMTP attack: ",
        " lost input channel from ",
        ": Connection reset by ",
    ];
    PREFIXES.iter().any(|p| msg.starts_with(p))
        || INSIDE
            .iter()
            .any(|p| memchr::memmem::find(msg.as_bytes(), p.as_bytes()).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_ids() {
        for id in [
            "t5NHS1qY012345",
            "u31FFPtp032300",
            "55HIbcGI002794",
            "xA32R2PQ3529565",
            "e6FFrpW22493",
        ] {
            assert!(is_sendmail_queue_id(id), "{id}");
        }
        for id in ["NOQUEUE", "3D770111AF50", "12345678901234", "ruleset=check"] {
            assert!(!is_sendmail_queue_id(id), "{id}");
        }
        assert!(Sendmail.accepts("sm-mta") && Sendmail.accepts("sm-msp-queue"));
        assert!(Sendmail.accepts("sendmail") && !Sendmail.accepts("postfix/sendmail"));
    }

    #[test]
    fn delays() {
        assert_eq!(parse_delay("00:00:15"), Some(15.0));
        assert_eq!(parse_delay("1+00:00:15"), Some(86_415.0));
        assert_eq!(parse_delay("5+01:02:03"), Some(5.0 * 86_400.0 + 3723.0));
        for bad in ["", "1+", "00:00", "aa:bb:cc", "00:00:00:00", "x+00:00:01"] {
            assert_eq!(parse_delay(bad), None, "{bad}");
        }
    }

    #[test]
    fn arrival_and_deliveries() {
        let e = parse_message("u31FFPtp032300: from=<g@example.com>, size=5938, class=0, nrcpts=7, msgid=<201604011515.u31FFIAj012911@example.com>, proto=ESMTP, daemon=MTA, relay=[192.0.2.27]");
        assert_eq!(
            e,
            Event::Arrival {
                queue_id: "u31FFPtp032300",
                origin: Origin::Smtpd,
                client: "[192.0.2.27]",
                from: "g@example.com",
                size: Some(5938),
                message_id: Some("201604011515.u31FFIAj012911@example.com"),
                notification_for: None,
                nrcpt: Some(7),
            }
        );
        let Event::Delivery(d) = parse_message("u31FFPtp032300: to=<a@example.com>,<b@example.com>, delay=00:00:00, xdelay=00:00:00, mailer=esmtp, pri=245938, relay=mx.example.com. [198.51.100.34], dsn=2.0.0, stat=Sent (ok:  Message 40279894 accepted)") else {
            panic!()
        };
        assert_eq!(
            (d.to, d.more_to, d.status, d.status_text, d.reply),
            (
                "a@example.com",
                Some("<b@example.com>"),
                Status::Sent,
                "sent",
                "ok:  Message 40279894 accepted"
            )
        );
        assert_eq!(
            (d.relay, d.dsn, d.delay),
            ("mx.example.com. [198.51.100.34]", Some("2.0.0"), Some(0.0))
        );
        let Event::Delivery(d) = parse_message("u31FFPtp032300: to=<d@example.com>, delay=1+00:00:15, xdelay=00:00:15, mailer=esmtp, pri=34527, relay=[198.51.100.34] [198.51.100.34], dsn=4.3.5, stat=Deferred: 451 4.3.5 Server configuration problem") else {
            panic!()
        };
        assert_eq!((d.status, d.delay), (Status::Deferred, Some(86_415.0)));
        assert_eq!(d.reply, "451 4.3.5 Server configuration problem");
        assert_eq!(d.reply_code.map(|c| c.get()), Some(451));
        assert_eq!(
            d.enhanced_code.map(|c| c.to_string()).as_deref(),
            Some("4.3.5")
        );
        let Event::Delivery(d) = parse_message("t5NHS1qY012345: to=<bob@example.org>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=120380, relay=mx.example.org. [192.0.2.25], dsn=5.1.1, stat=User unknown") else {
            panic!()
        };
        assert_eq!(
            (d.status, d.status_text, d.reply),
            (Status::Bounced, "bounced", "User unknown")
        );
        let Event::Delivery(d) = parse_message("u31FFPtp032300: to=root@localhost.localdomain, ctladdr=root@localhost.localdomain (0/0), delay=00:00:00, xdelay=00:00:00, mailer=local, pri=245938, dsn=2.0.0, stat=Sent") else {
            panic!()
        };
        assert_eq!(
            (d.to, d.relay, d.status, d.reply),
            ("root@localhost.localdomain", "local", Status::Sent, "")
        );
        assert!(matches!(
            parse_message("t5NHS1qY012345: to=<c@example.net>, delay=5+00:00:03, mailer=esmtp, pri=9000, dsn=4.4.7, stat=Cannot send message for 5 days"),
            Event::Expired { queue_id: "t5NHS1qY012345", .. }
        ));
    }

    #[test]
    fn dsn_link_rejects_and_noise() {
        assert_eq!(
            parse_message("t5NHS1qY012345: t5NHS2qY012346: DSN: User unknown"),
            Event::Notification {
                queue_id: "t5NHS1qY012345",
                notification_id: "t5NHS2qY012346",
                kind: "DSN"
            }
        );
        assert!(matches!(
            parse_message("t5NHS1qY012345: t5NHS2qY012346: return to sender: User unknown"),
            Event::Notification {
                kind: "return to sender",
                ..
            }
        ));
        let Event::Reject(r) = parse_message("s1P819mk027713: ruleset=check_rcpt, arg1=<a@example.ru>, relay=h.example.ru [203.0.113.133], reject=550 5.7.1 <a@example.ru>... Relaying denied. Proper authentication required.") else {
            panic!()
        };
        assert_eq!(
            (r.queue_id, r.stage, r.client, r.to, r.from),
            (
                Some("s1P819mk027713"),
                "RCPT",
                "h.example.ru [203.0.113.133]",
                Some("a@example.ru"),
                None
            )
        );
        assert_eq!(r.reply_code.map(|c| c.get()), Some(550));
        assert!(r.reply.ends_with("Proper authentication required."));
        let Event::Reject(r) = parse_message("ruleset=check_relay, arg1=[192.0.2.123], arg2=192.0.2.123, relay=host.example.com [192.0.2.123] (may be forged), reject=421 4.3.2 Connection rate limit exceeded.") else {
            panic!()
        };
        assert_eq!((r.queue_id, r.stage), (None, "CONNECT"));
        assert_eq!(r.reply_code.map(|c| c.get()), Some(421));
        let Event::Reject(r) =
            parse_message("s1NKIkZa093301: [203.0.113.70]: EXPN root [rejected]")
        else {
            panic!()
        };
        assert_eq!((r.stage, r.client), ("EXPN", "[203.0.113.70]"));
        let Event::Reject(r) = parse_message(
            "t5NHS1qY012345: Milter: to=<b@example.org>, reject=550 5.7.1 Command rejected",
        ) else {
            panic!()
        };
        assert_eq!(
            (r.action, r.stage, r.to, r.reply),
            (
                "milter-reject",
                "RCPT",
                Some("b@example.org"),
                "550 5.7.1 Command rejected"
            )
        );
        let Event::Reject(r) =
            parse_message("t5NHS1qY012345: Milter: data, reject=554 5.7.1 Rejected as spam")
        else {
            panic!()
        };
        assert_eq!(
            (r.stage, r.reply_code.map(|c| c.get())),
            ("DATA", Some(554))
        );
        assert_eq!(
            parse_message("t5NHS1qY012345: Milter: no active filter"),
            Event::Noise
        );
        assert!(matches!(
            parse_message("R1R9r60D044307: rejecting commands from  [198.51.100.253] due to pre-greeting traffic after 0 seconds"),
            Event::Reject(Reject { stage: "CONNECT", client: "[198.51.100.253]", .. })
        ));
        assert_eq!(
            parse_message("06I02CNi016764: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user=criminal, relay=[192.0.2.100], relay=[192.0.2.4] (may be forged)"),
            Event::AuthFailure { client: "[192.0.2.4] (may be forged)" }
        );
        assert_eq!(
            parse_message("v26LtRA0020949: some-host.example.org [192.0.2.194] did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA"),
            Event::Noise
        );
        assert!(matches!(
            parse_message("rA37ZTSC026250: <arhipov@example.com>... No such user here"),
            Event::MessageNote { .. }
        ));
        assert!(matches!(
            parse_message("rA37ZTSC026254: from=<d@example.com>, size=0, class=0, nrcpts=0, bodytype=8BITMIME, proto=ESMTP, daemon=MTA, relay=x [192.0.2.163]"),
            Event::MessageNote { .. }
        ));
        assert_eq!(
            parse_message("u31FFPtp032300: done; delay=00:00:00, ntries=2"),
            Event::Removed {
                queue_id: "u31FFPtp032300"
            }
        );
        assert_eq!(parse_message("something nobody wrote"), Event::Unknown);
    }

    #[test]
    fn every_cut_of_a_known_line_parses() {
        // Truncated lines (a log cut mid-write, a line over the length limit): never a panic.
        for line in [
            "u31FFPtp032300: from=<g@example.com>, size=5938, class=0, nrcpts=7, msgid=<a@b>, proto=ESMTP, daemon=MTA, relay=[192.0.2.27]",
            "u31FFPtp032300: to=<a@example.com>,<b@example.com>, ctladdr=a (0/0), delay=1+00:00:00, xdelay=00:00:00, mailer=esmtp, pri=2, relay=mx. [192.0.2.1], dsn=4.3.5, stat=Deferred: 451 4.3.5 x",
            "s1P819mk027713: ruleset=check_rcpt, arg1=<a@example.ru>, relay=h [203.0.113.133], reject=550 5.7.1 <a@example.ru>... Relaying denied",
            "t5NHS1qY012345: t5NHS2qY012346: DSN: User unknown",
            "t5NHS1qY012345: Milter: to=<b@example.org>, reject=550 5.7.1 x",
            "06I02CNi016764: AUTH failure (LOGIN): x, user=c, relay=[192.0.2.100], relay=[192.0.2.4]",
            "R1R9r60D044307: rejecting commands from  [198.51.100.253] due to pre-greeting traffic",
            "s1NKIkZa093301: [203.0.113.70]: EXPN root [rejected]",
        ] {
            for (i, _) in line.char_indices() {
                let _ = parse_message(&line[..i]);
                let _ = parse_message(&line[i..]);
            }
        }
    }
}
