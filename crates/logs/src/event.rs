//! What a line says, independent of the MTA that wrote it: every [`crate::LineParser`] turns a
//! line into one [`Event`], and the [`crate::Analyzer`] follows messages through them.

use smtp_doctor_model::{EnhancedCode, ReplyCode};

/// The outcome a delivery line reports for one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Status {
    /// Delivered (`status=sent`).
    Sent,
    /// Failed for now; the MTA retries (`status=deferred`).
    Deferred,
    /// Failed for good; a non-delivery report goes back (`status=bounced`).
    Bounced,
    /// Anything else (`undeliverable`, `deliverable` address probes, ...): counted, not a delivery.
    Other,
}

impl Status {
    /// The three delivery outcomes, in report order.
    pub const DELIVERY: [Status; 3] = [Status::Sent, Status::Deferred, Status::Bounced];

    /// The name used in reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::Deferred => "deferred",
            Status::Bounced => "bounced",
            Status::Other => "other",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Status::Sent => 0,
            Status::Deferred => 1,
            Status::Bounced => 2,
            Status::Other => 3,
        }
    }
}

/// How a message entered the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// From an SMTP client on the public port (`postfix/smtpd`).
    Smtpd,
    /// From an SMTP client on another service, such as submission (`postfix/submission/smtpd`).
    Submission,
    /// From a local program (`pickup`, `sendmail` command).
    Pickup,
}

impl Origin {
    /// The name used in reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Smtpd => "smtpd",
            Origin::Submission => "submission",
            Origin::Pickup => "pickup",
        }
    }
}

/// One recipient's delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery<'a> {
    /// The queue ID of the message.
    pub queue_id: &'a str,
    /// The recipient address, without angle brackets.
    pub to: &'a str,
    /// Further recipients of the same line with the same outcome, as written: Sendmail logs
    /// one line for several (`to=<a>,<b>`), comma-separated, angle brackets optional.
    pub more_to: Option<&'a str>,
    /// The original recipient before rewriting, when logged.
    pub orig_to: Option<&'a str>,
    /// The relay as written (`mx.example.org[192.0.2.1]:25`, `none`, `local`).
    pub relay: &'a str,
    /// The total delay in seconds.
    pub delay: Option<f64>,
    /// The delay breakdown as written (`a/b/c/d`).
    pub delays: Option<&'a str>,
    /// The RFC 3463 status the MTA assigned, as written.
    pub dsn: Option<&'a str>,
    /// The outcome.
    pub status: Status,
    /// The outcome word as written (`sent`, `deferred`, `undeliverable`, ...).
    pub status_text: &'a str,
    /// The text in parentheses after the status: the remote reply or the MTA's own reason.
    pub reply: &'a str,
    /// The reply code the remote server sent, found in `reply`; `None` when no server replied.
    pub reply_code: Option<ReplyCode>,
    /// The enhanced code right after that reply code, when present.
    pub enhanced_code: Option<EnhancedCode>,
}

/// A message or recipient refused before it was queued (`NOQUEUE: reject:`), or a queued message
/// refused by a content check (`QID: reject: header ...`).
#[derive(Debug, Clone, PartialEq)]
pub struct Reject<'a> {
    /// The queue ID, when the message had one.
    pub queue_id: Option<&'a str>,
    /// The action (`reject`, `milter-reject`, `discard`, ...).
    pub action: &'a str,
    /// The stage or check (`RCPT`, `DATA`, `CONNECT`, `header`, ...).
    pub stage: &'a str,
    /// The client as written (`host[ip]` or `[ip]:port`).
    pub client: &'a str,
    /// The reply sent to the client.
    pub reply: &'a str,
    /// Its reply code.
    pub reply_code: Option<ReplyCode>,
    /// Its enhanced code.
    pub enhanced_code: Option<EnhancedCode>,
    /// The envelope sender, when logged.
    pub from: Option<&'a str>,
    /// The envelope recipient, when logged.
    pub to: Option<&'a str>,
    /// The HELO name, when logged.
    pub helo: Option<&'a str>,
    /// The ID of the client's session, for a format whose refusals name only that
    /// (OpenSMTPD): the analyzer fills `client` in from the session's [`Event::Connected`].
    pub session: Option<&'a str>,
}

/// What one log line says.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A message was received from a client or a local program.
    Received {
        /// Its queue ID.
        queue_id: &'a str,
        /// How it came in.
        origin: Origin,
        /// The client (`host[ip]`) or the local user.
        client: &'a str,
    },
    /// A message arrived, with everything its arrival line says (Exim's `<=`): sender, size,
    /// Message-ID, and for a bounce the message it reports on.
    Arrival {
        /// Its queue ID (Exim message ID).
        queue_id: &'a str,
        /// How it came in.
        origin: Origin,
        /// The client (`host [ip]`) or the local user.
        client: &'a str,
        /// The envelope sender (empty for bounces).
        from: &'a str,
        /// The size in bytes, when logged.
        size: Option<u64>,
        /// The Message-ID without angle brackets, when logged.
        message_id: Option<&'a str>,
        /// For a bounce or other notification: the ID of the message it reports on.
        notification_for: Option<&'a str>,
        /// The number of recipients accepted, when logged (Sendmail's `nrcpts=`).
        nrcpt: Option<u32>,
    },
    /// The message's Message-ID header.
    MessageId {
        /// The queue ID.
        queue_id: &'a str,
        /// The Message-ID without angle brackets.
        message_id: &'a str,
    },
    /// The queue manager took the message up (again) for delivery.
    Queued {
        /// The queue ID.
        queue_id: &'a str,
        /// The envelope sender (empty for bounces).
        from: &'a str,
        /// The size in bytes.
        size: Option<u64>,
        /// The number of recipients.
        nrcpt: Option<u32>,
    },
    /// One recipient's delivery attempt.
    Delivery(Delivery<'a>),
    /// The message stayed queued too long and was returned to its sender.
    Expired {
        /// The queue ID.
        queue_id: &'a str,
        /// The envelope sender.
        from: &'a str,
        /// The line's text after the queue ID.
        text: &'a str,
    },
    /// The message left the queue.
    Removed {
        /// The queue ID.
        queue_id: &'a str,
    },
    /// A notification (non-delivery, delay, success) about the message was queued as a new one.
    Notification {
        /// The queue ID of the message the notification is about.
        queue_id: &'a str,
        /// The queue ID of the notification itself.
        notification_id: &'a str,
        /// Its kind as written (`sender non-delivery notification`, ...).
        kind: &'a str,
    },
    /// A refusal by the receiving side of this server.
    Reject(Reject<'a>),
    /// A connection attempt to a remote server that failed, logged on its own line.
    ConnectFailure {
        /// The server as written (`mx.example.org[192.0.2.1]:25`).
        server: &'a str,
        /// Why (`Connection timed out`).
        reason: &'a str,
    },
    /// Another line about one message (a remote reply, a lost connection, a warning).
    MessageNote {
        /// The queue ID.
        queue_id: &'a str,
        /// The text after the queue ID.
        text: &'a str,
    },
    /// A client connected; its session ID names it on later lines (OpenSMTPD).
    Connected {
        /// The session ID.
        session: &'a str,
        /// The client's address as written (`192.0.2.1`, `local`).
        address: &'a str,
        /// The client's host name as written.
        host: &'a str,
    },
    /// A client's session ended (OpenSMTPD).
    Disconnected {
        /// The session ID.
        session: &'a str,
    },
    /// A client failed to authenticate (SASL).
    AuthFailure {
        /// The client as written.
        client: &'a str,
    },
    /// A line the parser knows and that carries nothing the analysis uses (connects, TLS, stats).
    Noise,
    /// A line of this MTA that the parser does not understand.
    Unknown,
}
