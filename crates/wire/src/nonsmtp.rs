//! Recognising a service that is not SMTP from the first bytes it sent.

/// Names the service that sent `first_bytes` when it is a common non-SMTP one, e.g.
/// `"an HTTP server"`; `None` for SMTP or anything unrecognised.
///
/// FTP also greets with 220, so a 220 banner counts as FTP when it names FTP and not SMTP.
pub fn classify_non_smtp(first_bytes: &[u8]) -> Option<&'static str> {
    let b = first_bytes;
    // Binary protocols first: they are recognised by fixed bytes, not text.
    match b {
        [0x16, 0x03, ..] => return Some("a TLS server (handshake)"),
        [0x15, 0x03, ..] => return Some("a TLS server (alert)"),
        // MySQL: 3-byte length, sequence 0, then protocol 10 and a version, or an error packet.
        [_, _, _, 0x00, 0x0a, v, ..] if v.is_ascii_digit() => return Some("a MySQL server"),
        [_, _, _, 0x00, 0xff, ..] => return Some("a MySQL server (error packet)"),
        // Telnet option negotiation: IAC WILL/WONT/DO/DONT.
        [0xff, 0xfb..=0xfe, ..] => return Some("a Telnet server"),
        [b'E', ..] if contains(b, b"SFATAL") => return Some("a PostgreSQL server"),
        _ => {}
    }
    let prefixes: &[(&[u8], &str)] = &[
        (b"HTTP/", "an HTTP server"),
        (b"<!DOCTYPE", "an HTTP server (HTML page)"),
        (b"<html", "an HTTP server (HTML page)"),
        (b"SSH-", "an SSH server"),
        (b"+OK", "a POP3 server"),
        (b"* OK", "an IMAP server"),
        (b"* PREAUTH", "an IMAP server"),
        (b"* BYE", "an IMAP server"),
        (b"RFB 0", "a VNC server (RFB)"),
        (b"SIP/2.0", "a SIP server"),
        (b"RTSP/", "an RTSP server"),
        (b"AMQP", "an AMQP server"),
        (b"-NOAUTH", "a Redis server"),
        (b"-DENIED", "a Redis server"),
        (b"-ERR unknown command", "a Redis server"),
        (b"-ERR", "a POP3 server"),
    ];
    if let Some((_, name)) = prefixes.iter().find(|(p, _)| starts_with_ci(b, p)) {
        return Some(name);
    }
    let text_after_code = b.get(4..).unwrap_or_default();
    if (b.starts_with(b"220 ") || b.starts_with(b"220-"))
        && !contains_ci(text_after_code, b"SMTP")
        && (contains(text_after_code, b"FTP") || contains(text_after_code, b"FileZilla"))
    {
        return Some("an FTP server");
    }
    if (b.starts_with(b"200 ") || b.starts_with(b"201 "))
        && (contains(b, b"NNTP") || contains(b, b"InterNetNews"))
    {
        return Some("an NNTP server");
    }
    None
}

fn starts_with_ci(haystack: &[u8], prefix: &[u8]) -> bool {
    haystack
        .get(..prefix.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn contains_ci(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_common_services() {
        let cases: &[(&[u8], &str)] = &[
            (b"HTTP/1.1 400 Bad Request\r\n", "an HTTP server"),
            (b"HTTP/1.0 501 Not Implemented\r\n", "an HTTP server"),
            (b"<!DOCTYPE html>", "an HTTP server (HTML page)"),
            (
                b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n",
                "an SSH server",
            ),
            (b"+OK Dovecot ready.\r\n", "a POP3 server"),
            (b"-ERR [SYS/PERM] not allowed\r\n", "a POP3 server"),
            (
                b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS] Dovecot ready.\r\n",
                "an IMAP server",
            ),
            (
                &[0x16, 0x03, 0x03, 0x00, 0x7a, 0x02],
                "a TLS server (handshake)",
            ),
            (
                &[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x50],
                "a TLS server (alert)",
            ),
            (b"220 (vsFTPd 3.0.5)\r\n", "an FTP server"),
            (
                b"220 ProFTPD Server (Debian) [::ffff:192.0.2.1]\r\n",
                "an FTP server",
            ),
            (b"220 Microsoft FTP Service\r\n", "an FTP server"),
            (b"220-FileZilla Server 1.8.0\r\n", "an FTP server"),
            (
                b"220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n",
                "an FTP server",
            ),
            (b"J\x00\x00\x00\x0a8.0.36\x00", "a MySQL server"),
            (b"E\x00\x00\x00\x0a5.7.44-log\x00", "a MySQL server"),
            (
                b"\x45\x00\x00\x00\xffj\x04Host is not allowed",
                "a MySQL server (error packet)",
            ),
            (b"RFB 003.008\n", "a VNC server (RFB)"),
            (b"\xff\xfd\x18\xff\xfd\x20", "a Telnet server"),
            (
                b"-ERR unknown command 'EHLO', with args beginning with: ",
                "a Redis server",
            ),
            (
                b"200 news.example.org InterNetNews NNRP server INN 2.7 ready\r\n",
                "an NNTP server",
            ),
            (b"AMQP\x00\x00\x09\x01", "an AMQP server"),
        ];
        for (bytes, want) in cases {
            assert_eq!(
                classify_non_smtp(bytes),
                Some(*want),
                "{}",
                bytes.escape_ascii()
            );
        }
    }

    #[test]
    fn smtp_and_unknown_are_none() {
        for bytes in [
            &b"220 mx.example.org ESMTP Postfix (Debian/GNU)\r\n"[..],
            b"220-mx.example.org ESMTP Exim 4.97 ready\r\n",
            b"220 ftp.example.org ESMTP ready\r\n",
            b"220 mx.google.com ESMTP a1-20020a.0 - gsmtp\r\n",
            b"554 No SMTP service here\r\n",
            b"",
            b"x",
            b"\x00\x00",
        ] {
            assert_eq!(classify_non_smtp(bytes), None, "{}", bytes.escape_ascii());
        }
    }
}
