//! The Exim line parser: the input as whole log lines (syslog or Exim's own prefix, the time
//! placing of `--since`/`--until`, continuation lines of the reject log), as the message of
//! `exim` lines, and through the analyzer with every output asked for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor_logs::{Exim, TimestampStyle};

mod common;

fuzz_target!(|data: &[u8]| {
    common::lines(
        &Exim,
        data,
        &["exim", "exim4"],
        "2026-03-01 00:00:01 ",
        TimestampStyle::DateTime,
    );
});
