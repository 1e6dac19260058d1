//! The syslog prefix of a mail-log line: timestamp, host, program and pid.
//!
//! Two timestamp styles are read: BSD (`Mar  1 00:00:05`, RFC 3164, no year or zone) and
//! RFC 3339 (`2026-03-01T00:00:05.123456+00:00`, rsyslog's high-precision format). An optional
//! `<PRI>` in front is skipped.

/// The parts of one syslog line, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix<'a> {
    /// The timestamp exactly as written.
    pub timestamp: &'a str,
    /// Which of the two styles the timestamp is in.
    pub style: TimestampStyle,
    /// The host name that logged the line.
    pub host: &'a str,
    /// The program (syslog tag) without its pid, e.g. `postfix/submission/smtpd`.
    pub program: &'a str,
    /// The pid in brackets after the program, when present.
    pub pid: Option<u32>,
    /// The rest of the line after `program[pid]: `.
    pub message: &'a str,
}

/// How a line's timestamp is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimestampStyle {
    /// `Mmm dd hh:mm:ss` (RFC 3164): no year, no zone.
    Bsd,
    /// `yyyy-mm-ddThh:mm:ss[.frac](Z|+hh:mm)` (RFC 3339).
    Rfc3339,
    /// `yyyy-mm-dd hh:mm:ss[.fff][ +hhmm]`: Exim's own log files (local time unless
    /// `log_timezone` adds the offset).
    DateTime,
    /// No timestamp at all (OpenSMTPD's foreground log, `smtpd -d`): the line has no time, and
    /// [`Prefix::timestamp`] is empty.
    None,
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Splits a line into its syslog prefix and message; `None` when it has no recognisable prefix.
pub fn parse_prefix(line: &str) -> Option<Prefix<'_>> {
    let mut s = line;
    if s.starts_with('<') {
        let end = s.as_bytes().iter().take(6).position(|&b| b == b'>')?;
        s = &s[end + 1..];
    }
    let (timestamp, style, rest) = timestamp(s)?;
    let rest = rest.strip_prefix(' ')?;
    let rest = skip_facility(rest);
    let sp = memchr::memchr(b' ', rest.as_bytes())?;
    let host = &rest[..sp];
    let rest = &rest[sp + 1..];
    // The tag ends at '[' (pid follows) or at ':'.
    let b = rest.as_bytes();
    let end = b
        .iter()
        .position(|&c| c == b'[' || c == b':' || c == b' ')?;
    let program = &rest[..end];
    if program.is_empty() || host.is_empty() {
        return None;
    }
    let (pid, after) = if b[end] == b'[' {
        let close = memchr::memchr(b']', &b[end..])? + end;
        (rest[end + 1..close].parse().ok(), &rest[close + 1..])
    } else {
        (None, &rest[end..])
    };
    let message = after.strip_prefix(':')?;
    let message = message.strip_prefix(' ').unwrap_or(message);
    Some(Prefix {
        timestamp,
        style,
        host,
        program,
        pid,
        message,
    })
}

/// `<facility.level> ` after the timestamp (BSD syslogd `-v -v`: `<mail.notice> host ...`)
/// skipped.
fn skip_facility(s: &str) -> &str {
    let Some(inner) = s.strip_prefix('<') else {
        return s;
    };
    match inner.find("> ") {
        Some(end) if end < 24 && inner[..end].contains('.') => &inner[end + 2..],
        _ => s,
    }
}

/// The timestamp at the start of `s`, its style and what follows it.
fn timestamp(s: &str) -> Option<(&str, TimestampStyle, &str)> {
    let b = s.as_bytes();
    if b.len() >= 15 && MONTHS.iter().any(|m| b[..3] == m[..]) && b[3] == b' ' {
        // "Mar  1 00:00:05" or "Mar 1 00:00:05" (one space: seen in the wild).
        let mut i = 4;
        if b[i] == b' ' {
            i += 1;
        }
        let day_start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - day_start < 2 {
            i += 1;
        }
        if i == day_start || b.get(i) != Some(&b' ') {
            return None;
        }
        i += 1;
        let t = b.get(i..i + 8)?;
        let time_ok = t[2] == b':'
            && t[5] == b':'
            && [0, 1, 3, 4, 6, 7].iter().all(|&k| t[k].is_ascii_digit());
        if !time_ok {
            return None;
        }
        let end = i + 8;
        return Some((&s[..end], TimestampStyle::Bsd, &s[end..]));
    }
    if b.len() >= 20
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[13] == b':'
    {
        let end = memchr::memchr(b' ', &b[11..]).map_or(b.len(), |p| p + 11);
        return Some((&s[..end], TimestampStyle::Rfc3339, &s[end..]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bsd_prefix() {
        let p = parse_prefix("Mar  1 00:00:05 mx1 postfix/submission/smtpd[9887]: connect from x")
            .unwrap_or_else(|| panic!("parses"));
        assert_eq!(p.timestamp, "Mar  1 00:00:05");
        assert_eq!(p.style, TimestampStyle::Bsd);
        assert_eq!(p.host, "mx1");
        assert_eq!(p.program, "postfix/submission/smtpd");
        assert_eq!(p.pid, Some(9887));
        assert_eq!(p.message, "connect from x");
        let one = parse_prefix("Mar 7 10:00:00 h postfix/smtpd[1]: x");
        assert_eq!(one.map(|p| p.timestamp), Some("Mar 7 10:00:00"));
    }

    #[test]
    fn rfc3339_prefix_and_no_pid() {
        let p = parse_prefix("2026-03-01T00:00:05.123456+00:00 mx1 postfix/qmgr[2]: ABC: removed")
            .unwrap_or_else(|| panic!("parses"));
        assert_eq!(p.timestamp, "2026-03-01T00:00:05.123456+00:00");
        assert_eq!(p.style, TimestampStyle::Rfc3339);
        assert_eq!(p.message, "ABC: removed");
        let p = parse_prefix("<22>Mar 10 01:02:03 host sm-mta: hello").map(|p| (p.program, p.pid));
        assert_eq!(p, Some(("sm-mta", None)));
        let p = parse_prefix("Jun 17 14:37:39 <mail.info> robin sm-mta[2794]: x")
            .map(|p| (p.host, p.program, p.message));
        assert_eq!(p, Some(("robin", "sm-mta", "x")));
    }

    #[test]
    fn garbage_is_not_a_prefix() {
        for bad in [
            "",
            "Mar",
            "Mar  1 00:00:05",
            "Mar  1 0x:00:05 h p: m",
            "hello world",
            "2026-03-01",
            "<<<<<<<<",
            "Mar  1 00:00:05 host",
            "Mar  1 00:00:05 host prog[12",
        ] {
            assert!(parse_prefix(bad).is_none(), "{bad:?}");
        }
    }
}
