//! Postfix: the daemons' messages (`smtpd`, `postscreen`, `cleanup`, `qmgr`, `smtp`, `lmtp`,
//! `local`, `virtual`, `pipe`, `error`, `bounce`, `pickup`, ...) turned into [`Event`]s.
//!
//! The program is `syslog_name/daemon` (`postfix/smtp`), with the service name of master.cf
//! between them when it is not the daemon's own (`postfix/submission/smtpd`); any syslog name
//! is accepted (`postfix-out/smtp`) when the last part is a Postfix daemon. Queue IDs are short
//! (upper-case hex, `3D770111AF50`) or long (`enable_long_queue_ids`, `4Sx7Jd3Bzqz9rxL`).

use crate::event::{Delivery, Event, Origin, Reject, Status};
use crate::syslog::Prefix;
use crate::LineParser;
use smtp_doctor_model::{EnhancedCode, ReplyCode};

/// The Postfix line parser.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postfix;

/// Postfix daemons, as the last part of a program name.
const DAEMONS: &[&str] = &[
    "smtpd",
    "smtp",
    "lmtp",
    "qmgr",
    "cleanup",
    "pickup",
    "local",
    "virtual",
    "pipe",
    "error",
    "retry",
    "discard",
    "bounce",
    "defer",
    "trace",
    "postscreen",
    "dnsblog",
    "tlsproxy",
    "tlsmgr",
    "anvil",
    "scache",
    "master",
    "postfix-script",
    "postsuper",
    "postqueue",
    "postdrop",
    "sendmail",
    "verify",
    "trivial-rewrite",
    "flush",
    "showq",
    "proxymap",
    "postmap",
    "postlog",
    "oqmgr",
    "qmqpd",
    "spawn",
    "policy-spf",
];

impl LineParser for Postfix {
    fn name(&self) -> &'static str {
        "postfix"
    }

    fn accepts(&self, program: &str) -> bool {
        match last_slash(program) {
            Some((_, daemon)) => DAEMONS.contains(&daemon),
            None => program.starts_with("postfix"),
        }
    }

    fn parse<'a>(&self, line: &Prefix<'a>) -> Event<'a> {
        let (service, daemon) = service_and_daemon(line.program);
        parse_message(service, daemon, line.message)
    }
}

/// The service name and the daemon of a program: `postfix/submission/smtpd` gives
/// (`submission`, `smtpd`); `postfix/smtp` gives (`smtp`, `smtp`).
pub(crate) fn service_and_daemon(program: &str) -> (&str, &str) {
    let Some((head, daemon)) = last_slash(program) else {
        return (program, program);
    };
    match last_slash(head) {
        Some((_, service)) => (service, daemon),
        None => (daemon, daemon),
    }
}

/// `s` split at its last `/`. A byte search: `rsplit_once('/')` through std's char searcher cost
/// more than the rest of a line's parsing on these short names.
fn last_slash(s: &str) -> Option<(&str, &str)> {
    let i = memchr::memrchr(b'/', s.as_bytes())?;
    // `/` is ASCII, so both sides are on character boundaries.
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// True for a Postfix queue ID: short (5 to 20 upper-case hex digits; other upper-case letters
/// are accepted beside at least one digit, as pflogsumm does) or long (12 to 24 letters and
/// digits with the `z` that separates its time and inode parts).
pub fn is_queue_id(s: &str) -> bool {
    let b = s.as_bytes();
    let short = (5..=20).contains(&b.len())
        && b.iter().all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'Z'))
        && b.iter().any(u8::is_ascii_digit);
    short
        || ((12..=24).contains(&b.len())
            && b.iter().all(u8::is_ascii_alphanumeric)
            && b.contains(&b'z'))
}

/// The queue ID at the start of a message (`QID: rest`), and the rest.
fn split_queue_id(msg: &str) -> Option<(&str, &str)> {
    let b = msg.as_bytes();
    let colon = b.iter().take(26).position(|&c| c == b':')?;
    let id = &msg[..colon];
    let rest = msg[colon + 1..].strip_prefix(' ')?;
    is_queue_id(id).then_some((id, rest))
}

fn parse_message<'a>(service: &'a str, daemon: &str, msg: &'a str) -> Event<'a> {
    if let Some((qid, rest)) = split_queue_id(msg) {
        return queue_line(service, daemon, qid, rest);
    }
    if let Some(rest) = msg.strip_prefix("NOQUEUE: ") {
        return match reject(None, rest) {
            Some(r) => Event::Reject(r),
            None => Event::Noise,
        };
    }
    if let Some(rest) = msg.strip_prefix("warning: ") {
        if let Some(client) = sasl_failure(rest) {
            return Event::AuthFailure { client };
        }
        return Event::Noise;
    }
    if let Some(rest) = msg.strip_prefix("connect to ") {
        if let Some((server, reason)) = rest.split_once(": ") {
            if matches!(daemon, "smtp" | "lmtp") {
                return Event::ConnectFailure { server, reason };
            }
        }
    }
    if is_known_noise(daemon, msg) {
        Event::Noise
    } else {
        Event::Unknown
    }
}

/// A line that starts with a queue ID.
fn queue_line<'a>(service: &'a str, daemon: &str, qid: &'a str, rest: &'a str) -> Event<'a> {
    if rest.starts_with("to=") {
        if let Some(d) = delivery(qid, rest) {
            return Event::Delivery(d);
        }
        return Event::Unknown;
    }
    if let Some(client) = rest.strip_prefix("client=") {
        let client = client.split(", ").next().unwrap_or(client);
        let origin = if service == "smtpd" {
            Origin::Smtpd
        } else {
            Origin::Submission
        };
        return Event::Received {
            queue_id: qid,
            origin,
            client,
        };
    }
    if daemon == "pickup" && rest.starts_with("uid=") {
        let client = field(rest, "from=").map_or("", angle_value);
        return Event::Received {
            queue_id: qid,
            origin: Origin::Pickup,
            client,
        };
    }
    if let Some(id) = rest.strip_prefix("message-id=") {
        let id = id.trim();
        let id = id.strip_prefix('<').unwrap_or(id);
        let id = id.strip_suffix('>').unwrap_or(id);
        return Event::MessageId {
            queue_id: qid,
            message_id: id,
        };
    }
    if rest == "removed" {
        return Event::Removed { queue_id: qid };
    }
    if let Some(after_from) = rest.strip_prefix("from=") {
        let from = angle_value(after_from);
        if rest.contains("status=expired") || rest.contains("status=force-expired") {
            return Event::Expired {
                queue_id: qid,
                from,
                text: rest,
            };
        }
        let size = field(rest, "size=").and_then(|v| v.parse().ok());
        let nrcpt = field(rest, "nrcpt=").and_then(|v| {
            let end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
            v[..end].parse().ok()
        });
        return Event::Queued {
            queue_id: qid,
            from,
            size,
            nrcpt,
        };
    }
    if let Some((kind, id)) = rest.rsplit_once(" notification: ") {
        if is_queue_id(id.trim()) {
            return Event::Notification {
                queue_id: qid,
                notification_id: id.trim(),
                kind,
            };
        }
    }
    for action in [
        "reject: ",
        "milter-reject: ",
        "discard: ",
        "hold: ",
        "reject_warning: ",
    ] {
        if rest.starts_with(action) {
            if let Some(r) = reject(Some(qid), rest) {
                return Event::Reject(r);
            }
        }
    }
    Event::MessageNote {
        queue_id: qid,
        text: rest,
    }
}

/// `to=<a>, orig_to=<b>, relay=..., delay=..., delays=..., dsn=..., status=word (reply)`.
fn delivery<'a>(qid: &'a str, rest: &'a str) -> Option<Delivery<'a>> {
    let mut d = Delivery {
        queue_id: qid,
        to: "",
        more_to: None,
        orig_to: None,
        relay: "",
        delay: None,
        delays: None,
        dsn: None,
        status: Status::Other,
        status_text: "",
        reply: "",
        reply_code: None,
        enhanced_code: None,
    };
    let mut s = rest;
    loop {
        let eq = s.find('=')?;
        let key = &s[..eq];
        s = &s[eq + 1..];
        if key == "status" {
            let end = s.find(' ').unwrap_or(s.len());
            d.status_text = &s[..end];
            d.status = match d.status_text {
                "sent" => Status::Sent,
                "deferred" => Status::Deferred,
                "bounced" => Status::Bounced,
                _ => Status::Other,
            };
            let tail = s[end..].trim_start();
            let tail = tail
                .strip_prefix('(')
                .map_or(tail, |t| t.strip_suffix(')').unwrap_or(t));
            d.reply = tail;
            break;
        }
        let value;
        if let Some(v) = s.strip_prefix('<') {
            let close = v.find('>')?;
            value = &v[..close];
            s = &v[close + 1..];
            s = s.strip_prefix(',').unwrap_or(s);
        } else {
            let end = s.find(", ").unwrap_or(s.len());
            value = &s[..end];
            s = s[end..].strip_prefix(',').unwrap_or(&s[end..]);
        }
        s = s.strip_prefix(' ').unwrap_or(s);
        match key {
            "to" => d.to = value,
            "orig_to" => d.orig_to = Some(value),
            "relay" => d.relay = value,
            "delay" => d.delay = value.parse().ok(),
            "delays" => d.delays = Some(value),
            "dsn" => d.dsn = Some(value),
            _ => {}
        }
        if s.is_empty() {
            return None;
        }
    }
    (d.reply_code, d.enhanced_code) = remote_reply_codes(d.reply);
    Some(d)
}

/// The reply code and enhanced code a remote server sent, found in a delivery's reason: at its
/// start (`250 2.0.0 Ok`), or after `said: ` or `refused to talk to me: `. Postfix's own reasons
/// (`connect to ...: Connection timed out`, `delivered to mailbox`) carry none.
pub fn remote_reply_codes(reply: &str) -> (Option<ReplyCode>, Option<EnhancedCode>) {
    if let Some(c) = codes_at(reply) {
        return c;
    }
    for marker in [" said: ", " refused to talk to me: "] {
        if let Some(i) = memchr::memmem::find(reply.as_bytes(), marker.as_bytes()) {
            if let Some(c) = codes_at(&reply[i + marker.len()..]) {
                return c;
            }
        }
    }
    (None, None)
}

/// A reply code at the very start of `s` (followed by a space, `-` or the end), and the
/// enhanced code right after it.
pub(crate) fn codes_at(s: &str) -> Option<(Option<ReplyCode>, Option<EnhancedCode>)> {
    let b = s.as_bytes();
    if b.len() < 3 || !b[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    if b.len() > 3 && !matches!(b[3], b' ' | b'-') {
        return None;
    }
    let code: ReplyCode = s[..3].parse().ok()?;
    let after = s.get(4..).unwrap_or("");
    let token = after.split([' ', ';', ',']).next().unwrap_or("");
    let enhanced = token.parse::<EnhancedCode>().ok();
    Some((Some(code), enhanced))
}

/// `reject: RCPT from client: reply; from=<..> to=<..> proto=.. helo=<..>` (also
/// postscreen's comma-separated variant and `milter-reject:`, `discard:`, `hold:`).
fn reject<'a>(qid: Option<&'a str>, rest: &'a str) -> Option<Reject<'a>> {
    let (action, rest) = rest.split_once(": ")?;
    if !matches!(
        action,
        "reject" | "milter-reject" | "discard" | "hold" | "reject_warning" | "filter" | "redirect"
    ) {
        return None;
    }
    let (stage, client_and_reply) = match rest.split_once(" from ") {
        Some((stage, cr))
            if !stage.contains(' ')
                || stage.starts_with("header ")
                || stage.starts_with("body ") =>
        {
            (stage, cr)
        }
        _ => (rest.split(' ').next().unwrap_or(""), ""),
    };
    let stage = stage.split(' ').next().unwrap_or(stage);
    let (client, reply_and_fields) = client_and_reply.split_once(": ")?;
    let (reply, fields) = match memchr::memmem::rfind(reply_and_fields.as_bytes(), b"; from=<") {
        Some(i) => (&reply_and_fields[..i], &reply_and_fields[i + 2..]),
        None => (reply_and_fields, ""),
    };
    let (reply_code, enhanced_code) = codes_at(reply).unwrap_or((None, None));
    Some(Reject {
        queue_id: qid,
        action,
        stage,
        client,
        reply,
        reply_code,
        enhanced_code,
        from: field(fields, "from=").map(angle_value),
        to: field(fields, "to=").map(angle_value),
        helo: field(fields, "helo=").map(angle_value),
        session: None,
    })
}

/// `client: SASL LOGIN authentication failed: ...` gives the client.
fn sasl_failure(rest: &str) -> Option<&str> {
    let (client, what) = rest.split_once(": ")?;
    (what.starts_with("SASL ") && what.contains("authentication failed")).then_some(client)
}

/// The value after `key` (`from=`, `size=`) in a list of fields separated by `, ` or ` `.
fn field<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&b[from..], key.as_bytes()) {
        let at = from + i;
        if at == 0 || matches!(b[at - 1], b' ' | b',') {
            let v = &s[at + key.len()..];
            if v.starts_with('<') {
                let end = v.find('>').map_or(v.len(), |e| e + 1);
                return Some(&v[..end]);
            }
            let end = v.find([',', ' ']).unwrap_or(v.len());
            return Some(&v[..end]);
        }
        from = at + key.len();
    }
    None
}

/// `<addr>` without its brackets (or the text up to the first `,` or space without them).
fn angle_value(v: &str) -> &str {
    if let Some(inner) = v.strip_prefix('<') {
        return inner.find('>').map_or(inner, |e| &inner[..e]);
    }
    let end = v.find([',', ' ']).unwrap_or(v.len());
    &v[..end]
}

/// Lines Postfix writes that carry nothing the analysis counts, recognised so that they are not
/// reported as unknown.
fn is_known_noise(daemon: &str, msg: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "connect from ",
        "disconnect from ",
        "lost connection after ",
        "timeout after ",
        "too many errors after ",
        "improper command pipelining after ",
        "Anonymous TLS connection established",
        "Trusted TLS connection established",
        "Untrusted TLS connection established",
        "Verified TLS connection established",
        "SSL_connect error to ",
        "SSL_accept error from ",
        "CONNECT from ",
        "PASS OLD ",
        "PASS NEW ",
        "DISCONNECT ",
        "PREGREET ",
        "HANGUP ",
        "COMMAND PIPELINING ",
        "COMMAND TIME LIMIT ",
        "COMMAND COUNT LIMIT ",
        "COMMAND LENGTH LIMIT ",
        "NON-SMTP COMMAND ",
        "BARE NEWLINE ",
        "DNSBL rank ",
        "WHITELISTED ",
        "ALLOWLISTED ",
        "BLACKLISTED ",
        "DENYLISTED ",
        "WHITELIST VETO ",
        "ALLOWLIST VETO ",
        "addr ",
        "statistics: ",
        "prng_exch ",
        "daemon started",
        "reload ",
        "terminating on signal",
        "stopping the Postfix",
        "starting the Postfix",
        "refreshing the Postfix",
        "the Postfix mail system is",
        "waiting for the Postfix mail system",
        "fatal: ",
        "error: ",
        "panic: ",
        "table ",
        "lost connection with ",
        "host ",
        "Host offered STARTTLS",
        "mapping DSN status",
        "NOQUEUE: ",
        "key=",
        "deleted: ",
        "Deleted: ",
        "Requeued: ",
        "Placed on hold: ",
        "Released from hold: ",
        "cache ",
        "setting up TLS connection",
        "initializing the",
        "server certificate",
        "certificate verification failed",
        "untrusted issuer",
        "TLS library problem",
        "Server certificate not",
        "SMTPS wrappermode",
        "client=",
        "sent non-delivery notification",
        "start interval",
        "Compiled against",
        "Run-time linked against",
        "verified ",
        "too many ",
    ];
    let _ = daemon;
    PREFIXES.iter().any(|p| msg.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(program: &str, msg: &str) -> Event<'static> {
        let program: &'static str = Box::leak(program.to_string().into_boxed_str());
        let msg: &'static str = Box::leak(msg.to_string().into_boxed_str());
        let (service, daemon) = service_and_daemon(program);
        parse_message(service, daemon, msg)
    }

    #[test]
    fn queue_ids_short_and_long() {
        for id in [
            "3D770111AF50",
            "4104E3D",
            "0F5383D",
            "4Sx7Jd3Bzqz9rxL",
            "44JCRG5tYPzCqt2",
        ] {
            assert!(is_queue_id(id), "{id}");
        }
        for id in ["NOQUEUE", "warning", "statistics", "ABC", "connect to x"] {
            assert!(!is_queue_id(id), "{id}");
        }
    }

    #[test]
    fn service_names() {
        assert_eq!(
            service_and_daemon("postfix/submission/smtpd"),
            ("submission", "smtpd")
        );
        assert_eq!(service_and_daemon("postfix/smtp"), ("smtp", "smtp"));
        assert_eq!(service_and_daemon("postfix-out/smtp"), ("smtp", "smtp"));
        assert!(Postfix.accepts("postfix-incoming/smtpd"));
        assert!(Postfix.accepts("postfix/smtps/smtpd"));
        assert!(!Postfix.accepts("dovecot"));
        assert!(!Postfix.accepts("exim"));
    }

    #[test]
    fn status_line() {
        let e = ev("postfix/smtp", "0D9633D: to=<jos@example.com>, orig_to=<bestuur@example.com>, relay=mail1.example.net[198.51.100.111]:25, conn_use=2, delay=11, delays=5.4/0.06/5.1/0.03, dsn=4.2.0, status=deferred (host mail1.example.net[198.51.100.111] said: 450 4.2.0 <x>: Greylisted (in reply to RCPT TO command))");
        let Event::Delivery(d) = e else {
            panic!("{e:?}")
        };
        assert_eq!(d.queue_id, "0D9633D");
        assert_eq!(d.to, "jos@example.com");
        assert_eq!(d.orig_to, Some("bestuur@example.com"));
        assert_eq!(d.relay, "mail1.example.net[198.51.100.111]:25");
        assert_eq!(d.delay, Some(11.0));
        assert_eq!(d.delays, Some("5.4/0.06/5.1/0.03"));
        assert_eq!(d.dsn, Some("4.2.0"));
        assert_eq!(d.status, Status::Deferred);
        assert!(d.reply.starts_with("host mail1") && d.reply.ends_with("command)"));
        assert_eq!(d.reply_code.map(|c| c.get()), Some(450));
        assert_eq!(
            d.enhanced_code.map(|c| c.to_string()).as_deref(),
            Some("4.2.0")
        );
    }

    #[test]
    fn local_bare_address_and_no_code() {
        let e = ev("postfix/local", "892A0205B6: to=ghdsgfhdslfh@localhost, relay=local, delay=0.05, delays=0.02/0/0/0.02, dsn=5.1.1, status=bounced (unknown user: \"ghdsgfhdslfh\")");
        let Event::Delivery(d) = e else {
            panic!("{e:?}")
        };
        assert_eq!(d.to, "ghdsgfhdslfh@localhost");
        assert_eq!(d.status, Status::Bounced);
        assert_eq!(d.reply, "unknown user: \"ghdsgfhdslfh\"");
        assert_eq!(d.reply_code, None);
    }

    #[test]
    fn reply_codes_of_reasons() {
        let code = |s: &str| remote_reply_codes(s).0.map(|c| c.get());
        assert_eq!(code("250 ok dirdel"), Some(250));
        assert_eq!(code("delivered to mailbox"), None);
        assert_eq!(
            code("connect to mx[203.0.113.4]:25: Connection timed out"),
            None
        );
        assert_eq!(
            code("host a[203.0.113.4] refused to talk to me: 421 4.3.2 busy"),
            Some(421)
        );
        assert_eq!(
            code("delivery temporarily suspended: host a[203.0.113.4] said: 450 x"),
            Some(450)
        );
        assert_eq!(code("550-5.1.1 The email account"), Some(550));
        assert_eq!(
            remote_reply_codes("550-5.1.1 The email")
                .1
                .map(|c| c.to_string())
                .as_deref(),
            Some("5.1.1")
        );
    }

    #[test]
    fn rejects_smtpd_and_postscreen() {
        let e = ev("postfix/smtpd", "NOQUEUE: reject: RCPT from unknown[203.0.113.4]: 554 5.7.1 Service unavailable; Client host [203.0.113.4] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.4; from=<a@b.c> to=<d@e.f> proto=ESMTP helo=<User>");
        let Event::Reject(r) = e else { panic!("{e:?}") };
        assert_eq!(
            (r.action, r.stage, r.client),
            ("reject", "RCPT", "unknown[203.0.113.4]")
        );
        assert!(r.reply.ends_with("query/ip/203.0.113.4"), "{}", r.reply);
        assert_eq!(r.reply_code.map(|c| c.get()), Some(554));
        assert_eq!(
            (r.from, r.to, r.helo),
            (Some("a@b.c"), Some("d@e.f"), Some("User"))
        );
        let e = ev("postfix/postscreen", "NOQUEUE: reject: RCPT from [203.0.113.4]:2413: 550 5.5.1 Protocol error; from=<x@y.z>, to=<t@e.com>, proto=SMTP, helo=<h>");
        let Event::Reject(r) = e else { panic!("{e:?}") };
        assert_eq!(
            (r.client, r.reply, r.to),
            (
                "[203.0.113.4]:2413",
                "550 5.5.1 Protocol error",
                Some("t@e.com")
            )
        );
        let e = ev("postfix/cleanup", "1D8CC1CA0A7F: milter-reject: END-OF-MESSAGE from x[203.0.113.4]: 5.7.1 Command rejected; from=<a@b> to=<c@d> proto=ESMTP helo=<x>");
        assert!(
            matches!(
                e,
                Event::Reject(Reject {
                    queue_id: Some("1D8CC1CA0A7F"),
                    ..
                })
            ),
            "{e:?}"
        );
    }

    #[test]
    fn queue_manager_and_friends() {
        assert!(matches!(
            ev(
                "postfix/qmgr",
                "ABC123: from=<a@b>, size=1234, nrcpt=3 (queue active)"
            ),
            Event::Queued {
                from: "a@b",
                size: Some(1234),
                nrcpt: Some(3),
                ..
            }
        ));
        assert!(matches!(
            ev(
                "postfix/qmgr",
                "585BC3F: from=<>, status=expired, returned to sender"
            ),
            Event::Expired { from: "", .. }
        ));
        assert!(matches!(
            ev("postfix/qmgr", "585BC3F: removed"),
            Event::Removed {
                queue_id: "585BC3F"
            }
        ));
        assert!(matches!(
            ev(
                "postfix/bounce",
                "17CCA8044: sender non-delivery notification: ADD2F8052"
            ),
            Event::Notification {
                notification_id: "ADD2F8052",
                ..
            }
        ));
        assert!(matches!(
            ev(
                "postfix/cleanup",
                "0F5383D: message-id=<544D2523.30609@rhsoft.net>"
            ),
            Event::MessageId {
                message_id: "544D2523.30609@rhsoft.net",
                ..
            }
        ));
        assert!(matches!(
            ev(
                "postfix/submission/smtpd",
                "ABCDEF1: client=x[10.0.0.1], sasl_method=PLAIN, sasl_username=u"
            ),
            Event::Received {
                origin: Origin::Submission,
                client: "x[10.0.0.1]",
                ..
            }
        ));
        assert!(matches!(
            ev("postfix/smtpd", "ABCDEF1: client=x[10.0.0.1]"),
            Event::Received {
                origin: Origin::Smtpd,
                ..
            }
        ));
        assert!(matches!(
            ev("postfix/pickup", "D91391A428D: uid=0 from=<root>"),
            Event::Received {
                origin: Origin::Pickup,
                client: "root",
                ..
            }
        ));
        assert!(matches!(
            ev(
                "postfix/smtp",
                "connect to mx.x.com[203.0.113.4]:25: Connection timed out"
            ),
            Event::ConnectFailure {
                reason: "Connection timed out",
                ..
            }
        ));
        assert!(matches!(
            ev(
                "postfix/smtpd",
                "warning: unknown[203.0.113.4]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"
            ),
            Event::AuthFailure {
                client: "unknown[203.0.113.4]"
            }
        ));
        assert!(matches!(
            ev("postfix/smtpd", "something nobody wrote"),
            Event::Unknown
        ));
    }
}
