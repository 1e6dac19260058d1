//! The RFC 3464 field parser and the decoder around it: the input is used as the body of a
//! `message/delivery-status` part (the DSN field parser's input), and as a whole message.
#![no_main]

use libfuzzer_sys::fuzz_target;

const HEAD: &[u8] = b"From: MAILER-DAEMON@mx.example.org\r\nTo: a@example.com\r\n\
Subject: Undelivered Mail\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"F\"\r\n\r\n\
--F\r\nContent-Type: text/plain\r\n\r\nnot delivered\r\n\
--F\r\nContent-Type: message/delivery-status\r\n\r\n";

fuzz_target!(|data: &[u8]| {
    let mut msg = Vec::with_capacity(HEAD.len() + data.len() + 8);
    msg.extend_from_slice(HEAD);
    msg.extend_from_slice(data);
    msg.extend_from_slice(b"\r\n--F--\r\n");
    let _ = smtp_doctor_bounce::parse(&msg);
    let _ = smtp_doctor_bounce::parse(data);
});
