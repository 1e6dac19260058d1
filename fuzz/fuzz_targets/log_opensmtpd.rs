//! The OpenSMTPD line parser: the input as a line's message after a syslog prefix and as a
//! bare line of `smtpd -d`, parsed by itself and through an analyzer that traces and reports
//! failures (so every event it yields is followed into the tables).
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor_logs::{parse_prefix, Analyzer, LineParser, OpenSmtpd, Options};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let line = format!("Mar  1 00:00:01 mx smtpd[123]: {text}");
    if let Some(p) = parse_prefix(&line) {
        let _ = OpenSmtpd.parse(&p);
    }
    if let Some(p) = OpenSmtpd.own_prefix(&text) {
        let _ = OpenSmtpd.parse(&p);
    }
    let mut a = Analyzer::new(Options {
        failures: true,
        unknown: true,
    });
    a.trace("9269c8a6");
    for l in text.lines() {
        a.push_line(l.as_bytes(), l.len());
        let l = format!("Mar  1 00:00:01 mx smtpd[1]: {l}");
        a.push_line(l.as_bytes(), l.len());
    }
    let _ = a.finish();
});
