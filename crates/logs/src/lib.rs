//! Mail-server logs, followed message by message, every failure classified.
//!
//! An [`Analyzer`] reads log lines one at a time (files of any size: memory holds only the
//! messages still open), splits each into its syslog [`Prefix`], hands the message part to the
//! [`LineParser`] of the MTA that wrote it ([`Postfix`], [`Exim`], [`Sendmail`], [`OpenSmtpd`]),
//! and follows every message by its queue ID through reception, queueing, delivery attempts,
//! retries, expiry, the non-delivery report it caused and its removal. The result is a [`Summary`] (totals and
//! the tables of `smtp-doctor logs`) and, when asked for, [`Record`]s: one [`Failure`] per
//! failed attempt and the [`Trace`] of chosen messages.
//!
//! Each failure's text is classified by the shared classifier (`smtp_doctor_kb::builtin()`),
//! as the bounce crate does: this crate never makes a finding by itself.
#![forbid(unsafe_code)]

mod analyze;
mod event;
mod exim;
mod opensmtpd;
mod postfix;
pub mod read;
mod sendmail;
mod syslog;
pub mod time;

pub use analyze::{
    Analyzer, Counts, ExpiredTally, Failure, FailureKind, FailureTally, Options, RecipientTally,
    Record, RejectTally, StatusTally, Summary, Trace, TraceEvent, MAX_OPEN,
};
pub use event::{Delivery, Event, Origin, Reject, Status};
pub use exim::{is_message_id, Exim};
pub use opensmtpd::OpenSmtpd;
pub use postfix::{is_queue_id, remote_reply_codes, Postfix};
pub use sendmail::{is_sendmail_queue_id, Sendmail};
pub use syslog::{parse_prefix, Prefix, TimestampStyle};

/// The most bytes of one line that are kept; the rest is read, counted and dropped.
pub const MAX_LINE: usize = 64 * 1024;

/// One MTA's log format: recognises its programs and turns their messages into [`Event`]s.
///
/// The Exim, Sendmail and OpenSMTPD parsers implement the same trait and are tried in turn; the
/// analyzer does not know which MTA wrote a line.
pub trait LineParser: std::fmt::Debug + Send + Sync {
    /// The format's short name (`postfix`).
    fn name(&self) -> &'static str;
    /// True when lines of this syslog program (`postfix/smtp`) are this format's.
    fn accepts(&self, program: &str) -> bool;
    /// What the line says. Never panics; a line it does not understand is [`Event::Unknown`].
    fn parse<'a>(&self, line: &Prefix<'a>) -> Event<'a>;
    /// False for a format that logs no line when a message leaves the queue (Sendmail,
    /// OpenSMTPD): the analyzer then closes a message once each of its recipients has a final
    /// status (delivered, bounced or expired).
    fn logs_removal(&self) -> bool {
        true
    }
    /// False for a format that logs no line linking a non-delivery report to the message it
    /// reports on (OpenSMTPD's bounces are new messages like any other): a message of a format
    /// without removal lines then closes at its last final status, without waiting for a link.
    fn links_reports(&self) -> bool {
        true
    }
    /// For a format also written to its own files without a syslog prefix (Exim's mainlog):
    /// the line's prefix, with this format's program name. Tried when the syslog prefix fails
    /// or names a program no parser accepts.
    fn own_prefix<'a>(&self, line: &'a str) -> Option<Prefix<'a>> {
        let _ = line;
        None
    }
    /// True when `line`, which has no prefix, continues the line of this format before it
    /// (Exim's reject log dumps a refused message's headers on lines of their own).
    fn continuation(&self, line: &str) -> bool {
        let _ = line;
        false
    }
}
