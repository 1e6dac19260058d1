//! The Sendmail line parser: the input as a line's message after a syslog prefix, parsed by
//! itself and through an analyzer that traces and reports failures (so every event it yields
//! is followed into the tables).
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor_logs::{parse_prefix, Analyzer, LineParser, Options, Sendmail};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let line = format!("Mar  1 00:00:01 mx sm-mta[123]: {text}");
    if let Some(p) = parse_prefix(&line) {
        let _ = Sendmail.parse(&p);
    }
    let mut a = Analyzer::new(Options {
        failures: true,
        unknown: true,
    });
    a.trace("t5NHS1qY012345");
    for l in text.lines() {
        let l = format!("Mar  1 00:00:01 mx sendmail[1]: {l}");
        a.push_line(l.as_bytes(), l.len());
    }
    let _ = a.finish();
});
