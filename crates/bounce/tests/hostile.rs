//! Hostile input (issue 5, point 7): truncated MIME, a message over the size limit, deeply nested
//! message/rfc822 parts, broken charsets and transfer encodings, a multipart boundary that never
//! closes, more parts than a message may have, many multiparts whose boundaries never come. Each
//! must decode without a panic, within the limits, with a note where input was cut.
//! The inputs are generated here; no test asserts wall time.

use smtp_doctor_bounce::{parse, Note, MAX_MESSAGE, MAX_PARTS};

const HEAD: &str = "From: MAILER-DAEMON@mx.example.org\nTo: sender@example.com\n\
Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n";

fn dsn_part(boundary: &str) -> String {
    format!(
        "--{boundary}\nContent-Type: message/delivery-status\n\n\
Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; nobody@example.net\n\
Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n"
    )
}

fn report(boundary: &str) -> String {
    format!(
        "{HEAD}Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\n\n\
--{boundary}\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n{}",
        dsn_part(boundary)
    )
}

#[test]
fn truncated_mime_decodes_what_is_there() {
    let full = format!("{}--B--\n", report("B"));
    // Cut at every 7th byte: never a panic, and once the DSN fields are in, a result.
    for cut in (0..full.len()).step_by(7) {
        let _ = parse(&full.as_bytes()[..cut]);
    }
    let at = full.find("Diagnostic-Code").unwrap_or(full.len());
    let r = parse(&full.as_bytes()[..at]);
    assert!(r.is_some_and(|r| r.recipients[0].recipient.as_deref() == Some("nobody@example.net")));
}

#[test]
fn a_boundary_that_never_closes() {
    let r = parse(report("NEVER-CLOSED").as_bytes());
    let r = r.map(|r| r.recipients).unwrap_or_default();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].reason, "userunknown");
}

#[test]
fn a_message_over_the_limit_is_cut_with_a_note() {
    let mut big = report("B").into_bytes();
    big.extend_from_slice(b"--B\nContent-Type: text/plain\n\n");
    let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz012\n";
    while big.len() <= MAX_MESSAGE + 4096 {
        big.extend_from_slice(line);
    }
    let len = big.len();
    let r = parse(&big);
    let Some(r) = r else {
        panic!("a DSN with a huge trailing part gave no report");
    };
    assert!(r.notes.iter().any(|n| matches!(
        n,
        Note::Truncated { original_bytes, kept_bytes }
            if *original_bytes == len && *kept_bytes == MAX_MESSAGE
    )));
    assert!(r
        .notes
        .iter()
        .any(|n| n.to_string().contains("cut to its first")));
    assert_eq!(r.recipients.len(), 1);
}

#[test]
fn deeply_nested_messages() {
    // 100 message/rfc822 parts, each inside the one before, with the DSN at the top.
    let mut inner =
        String::from("From: a@example.com\nTo: b@example.net\nSubject: innermost\n\nhi\n");
    for depth in 0..100 {
        inner = format!(
            "From: a{depth}@example.com\nMIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"N{depth}\"\n\n--N{depth}\n\
Content-Type: message/rfc822\n\n{inner}\n--N{depth}--\n"
        );
    }
    let msg = format!(
        "{}--B\nContent-Type: message/rfc822\n\n{inner}\n--B--\n",
        report("B")
    );
    let r = parse(msg.as_bytes())
        .map(|r| r.recipients)
        .unwrap_or_default();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].recipient.as_deref(), Some("nobody@example.net"));
    // The same nesting without any DSN: no panic, nothing reported as a bounce.
    let plain = format!(
        "From: a@example.com\nTo: b@example.net\nSubject: lunch\n{}",
        &inner[inner.find("MIME-Version").unwrap_or(0)..]
    );
    assert!(parse(plain.as_bytes()).is_none_or(|r| r.recipients.len() <= 1));
}

#[test]
fn broken_charsets_and_encodings() {
    let msg = format!(
        "{HEAD}Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n\
--B\nContent-Type: text/plain; charset=\"x-no-such-charset\"\nContent-Transfer-Encoding: base64\n\n\
!!!! not base64 at all ####\n\
--B\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n\
bad =ZZ escape and a cut one =\n=E3=81\n\
--B\nContent-Type: text/plain; charset=iso-2022-jp\n\n\x1b$B%f!<%6\n{}--B--\n",
        dsn_part("B")
    );
    let mut bytes = msg.into_bytes();
    // Invalid UTF-8 in a header and in the body.
    bytes.splice(0..0, b"X-Junk: \xff\xfe\xc3\n".iter().copied());
    bytes.extend_from_slice(b"\xc3\x28\xa0\xa1\n");
    let r = parse(&bytes).map(|r| r.recipients).unwrap_or_default();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].status.map(|s| s.to_string()).as_deref(), Some("5.1.1"));
    // Encoded words that do not decode in the subject of a vendor bounce.
    let q = "From: MAILER-DAEMON@mx.example.org\nTo: a@example.com\n\
Subject: =?x-bogus?B?!!!?= =?utf-8?Q?=ZZ?= failure notice\n\n\
I'm afraid I wasn't able to deliver your message to the following addresses.\n\n\
<nobody@example.net>:\n550 5.1.1 no mailbox here by that name\n";
    let r = parse(q.as_bytes())
        .map(|r| r.recipients)
        .unwrap_or_default();
    assert_eq!(
        r.first().and_then(|x| x.recipient.as_deref()),
        Some("nobody@example.net")
    );
}

#[test]
fn binary_garbage_gives_nothing_or_a_report_without_panic() {
    // A deterministic byte soup (xorshift) with header-like and boundary-like lines mixed in.
    let mut x: u32 = 0x9e37_79b9;
    let mut buf = Vec::with_capacity(1 << 16);
    for i in 0..(1 << 16) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf.push((x & 0xff) as u8);
        if i % 997 == 0 {
            buf.extend_from_slice(
                b"\n--B\nContent-Type: message/delivery-status\n\nStatus: 5.1.1\n",
            );
        }
    }
    let _ = parse(&buf);
    let _ = parse(&buf[..1000]);
}

#[test]
fn more_parts_than_the_limit_are_left_out_with_a_note() {
    let mut msg = report("B");
    for i in 0..MAX_PARTS + 100 {
        msg.push_str(&format!("--B\nContent-Type: text/plain\n\npart {i}\n"));
    }
    msg.push_str("--B--\n");
    let Some(r) = parse(msg.as_bytes()) else {
        panic!("a DSN followed by many parts gave no report");
    };
    assert!(r.notes.contains(&Note::TooManyParts), "{:?}", r.notes);
    assert_eq!(r.recipients.len(), 1);
    assert_eq!(r.recipients[0].reason, "userunknown");
    // Under the limit, no note.
    let few = format!(
        "{}--B\nContent-Type: text/plain\n\nlast\n--B--\n",
        report("B")
    );
    assert!(parse(few.as_bytes()).is_some_and(|r| !r.notes.contains(&Note::TooManyParts)));
}

#[test]
fn many_multiparts_whose_boundaries_never_come() {
    // Each of these parts is a multipart whose boundary is nowhere: looking for it to the end of
    // the input each time would read the 20 MB after them ten thousand times over (200 GB; some
    // 7 s here against a tenth of one, and quadratic in the input); it is looked for only as far
    // as the part's own end.
    let mut msg = String::new();
    for i in 0..MAX_PARTS - 10 {
        msg.push_str(&format!(
            "--B\nContent-Type: multipart/mixed; boundary=\"absent{i}\"\n\nx\n"
        ));
    }
    msg.push_str(&dsn_part("B"));
    msg.push_str("--B\nContent-Type: text/plain\n\n");
    let line = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz012\n";
    while msg.len() < 20 << 20 {
        msg.push_str(line);
    }
    msg.push_str("--B--\n");
    let msg = report("B").replacen(&dsn_part("B"), &msg, 1);
    let r = parse(msg.as_bytes())
        .map(|r| r.recipients)
        .unwrap_or_default();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].recipient.as_deref(), Some("nobody@example.net"));
}
