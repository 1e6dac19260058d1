//! Sans-IO SMTP for smtp-doctor.
//!
//! Bytes in, results out: nothing here opens a socket or waits on a clock, so every parser can be
//! unit-tested and fuzzed over byte slices. The pieces:
//!
//! - [`ReplyReader`]: an incremental, bounded reply reader (RFC 5321 section 4.2) that tolerates
//!   what real servers send but records each thing it tolerated as an [`Anomaly`];
//! - [`classify_non_smtp`]: names the service when something other than an SMTP server answered;
//! - [`EhloCapabilities`]: the extensions an EHLO reply advertises;
//! - [`parse_enhanced`]: the RFC 3463 enhanced status code at the start of a reply line;
//! - [`Command`]: the command writer, with [`Command::redacted`] for transcripts and [`Secret`]
//!   for anything that must never be shown.
//!
//! ```
//! use smtp_doctor_wire::{Progress, ReplyReader};
//!
//! let mut reader = ReplyReader::new();
//! assert!(matches!(reader.push(b"250-mx.example.org\r\n"), Ok(Progress::NeedMore)));
//! let Ok(Progress::Complete(reply)) = reader.push(b"250 2.0.0 OK\r\n") else { panic!() };
//! assert_eq!(reply.code.get(), 250);
//! assert_eq!(reply.lines, ["mx.example.org", "2.0.0 OK"]);
//! assert!(reply.anomalies.is_empty());
//! ```
#![forbid(unsafe_code)]
// Nothing that came off the wire may panic: no unwrap, no expect, no indexing.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod command;
mod ehlo;
mod enhanced;
mod nonsmtp;
mod reply;
mod secret;

pub use command::{Command, CommandError};
pub use ehlo::{Capability, EhloAnomaly, EhloCapabilities, EhloError, ServerLimits, SizeLimit};
pub use enhanced::{parse_enhanced, split_enhanced};
pub use nonsmtp::classify_non_smtp;
pub use reply::{parse_reply, Anomaly, Limits, Progress, Reply, ReplyError, ReplyReader};
pub use secret::Secret;
