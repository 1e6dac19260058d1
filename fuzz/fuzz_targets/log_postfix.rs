//! The Postfix line parser: the input as whole log lines (the syslog prefix reader, the time
//! placing of `--since`/`--until`, then the parser), as the message of each daemon's lines, and
//! through the analyzer with every output asked for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor_logs::{Postfix, TimestampStyle};

mod common;

const PROGRAMS: &[&str] = &[
    "postfix/smtp",
    "postfix/submission/smtpd",
    "postfix/qmgr",
    "postfix/cleanup",
    "postfix/bounce",
    "postfix/postscreen",
    "postfix/lmtp",
    "postfix/pickup",
    "postfix/error",
];

fuzz_target!(|data: &[u8]| {
    common::lines(
        &Postfix,
        data,
        PROGRAMS,
        "Mar  1 00:00:01 mx1 postfix/smtp[1]: ",
        TimestampStyle::Bsd,
    );
});
