//! The three labels of every finding (category, class, party) and the SMTP stages.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A label name that is not in the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {name:?}")]
pub struct UnknownLabel {
    /// Which vocabulary was searched ("category", "class", ...).
    pub kind: &'static str,
    /// The name that was not found.
    pub name: String,
}

/// Declares a label enum with its lower-case names, in one place.
macro_rules! label_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The name used in reports, JSON and `TAXONOMY.md`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownLabel;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownLabel { kind: $kind, name: s.to_string() }),
                }
            }
        }
    };
}

label_enum! {
    /// What went wrong. Declared in the taxonomy's decision order: when several categories could
    /// apply to one text, the one declared first wins.
    Category, "category" {
        /// No failure: a 2xx/3xx reply.
        Delivered = "delivered",
        /// TLS handshake, certificate, trust or TLS-mode failure.
        TlsFailure = "tlsfailure",
        /// Client AUTH failed, required or not offered.
        SecurityError = "securityerror",
        /// Sender-domain authentication (SPF, DKIM, DMARC, ARC) failed.
        AuthFailure = "authfailure",
        /// Reverse DNS missing or not forward-confirmed.
        RequirePtr = "requireptr",
        /// The sending IP or host is refused by name (blocklists, HELO, allow-lists).
        Blocked = "blocked",
        /// Refused for reputation, complaints or unusual volume.
        BadReputation = "badreputation",
        /// Relaying refused.
        NoRelaying = "norelaying",
        /// Greylisting: come back later.
        Greylisted = "greylisted",
        /// Sending rate or daily quota exceeded.
        Speeding = "speeding",
        /// Too many concurrent connections or recipients.
        TooManyConn = "toomanyconn",
        /// The mailbox does not exist or has moved.
        UserUnknown = "userunknown",
        /// The mailbox exists but is disabled or suspended.
        Suspend = "suspend",
        /// The recipient is over quota.
        MailboxFull = "mailboxfull",
        /// The recipient domain does not resolve or has no mail host.
        HostUnknown = "hostunknown",
        /// The recipient domain declares it takes no mail.
        NotAccept = "notaccept",
        /// The envelope sender or its domain is refused.
        Rejected = "rejected",
        /// Message, header or attachment too large.
        MesgTooBig = "mesgtoobig",
        /// Content judged spam.
        SpamDetected = "spamdetected",
        /// Malware found.
        VirusDetected = "virusdetected",
        /// Content, attachment or organisational policy.
        PolicyViolation = "policyviolation",
        /// Malformed content.
        ContentError = "contenterror",
        /// RFC 5322 violation.
        NotCompliantRfc = "notcompliantrfc",
        /// Dialogue misuse: bad sequence, unknown command, bad parameter.
        SyntaxError = "syntaxerror",
        /// TCP connection refused.
        ConnectionRefused = "connectionrefused",
        /// Connect or read timed out.
        ConnectionTimeout = "connectiontimeout",
        /// Connected, but no valid 220 greeting.
        BannerFailure = "bannerfailure",
        /// DNS failure of the server name, unreachable network, reset, routing loop.
        NetworkError = "networkerror",
        /// The sender's queue gave up, or a delay warning.
        Expired = "expired",
        /// Receiver-side fault.
        SystemError = "systemerror",
        /// Receiver storage full.
        SystemFull = "systemfull",
        /// A wrapper that names no cause.
        Undefined = "undefined",
        /// Not enough evidence to decide yet.
        OnHold = "onhold",
    }
}

label_enum! {
    /// Whether a retry can help.
    Class, "class" {
        /// Retrying the same thing will not work.
        Permanent = "permanent",
        /// A later retry may work.
        Transient = "transient",
        /// No failure, or no way to tell.
        Unknown = "unknown",
    }
}

label_enum! {
    /// Who must act.
    Party, "party" {
        /// The person or program sending.
        Sender = "sender",
        /// The admin of the sending side.
        SenderConfig = "sender-config",
        /// The recipient or the receiving domain's admin.
        Recipient = "recipient",
        /// Whoever writes the message.
        Content = "content",
        /// The sender, through its provider: IP or domain reputation.
        Reputation = "reputation",
        /// Nobody's mail configuration: the network on the way.
        Network = "network",
        /// Nobody: a success reply.
        None = "none",
    }
}

label_enum! {
    /// A step of the SMTP conversation.
    Stage, "stage" {
        /// Resolving the server's name.
        Resolve = "resolve",
        /// Opening the TCP connection.
        Connect = "connect",
        /// Waiting for the 220 greeting.
        Banner = "banner",
        /// EHLO or HELO.
        Ehlo = "ehlo",
        /// The STARTTLS command.
        StartTls = "starttls",
        /// The TLS handshake and certificate checks.
        Tls = "tls",
        /// Client authentication.
        Auth = "auth",
        /// MAIL FROM.
        Mail = "mail",
        /// RCPT TO.
        Rcpt = "rcpt",
        /// The DATA command.
        Data = "data",
        /// The reply after the message body.
        EndOfData = "end-of-data",
        /// QUIT.
        Quit = "quit",
    }
}

impl Category {
    /// The class a finding of this category has when no reply code decides it.
    pub fn default_class(self) -> Class {
        use Category::*;
        match self {
            Delivered | Undefined | OnHold => Class::Unknown,
            ConnectionRefused | ConnectionTimeout | BannerFailure | NetworkError | Greylisted
            | Speeding | TooManyConn | SystemFull => Class::Transient,
            _ => Class::Permanent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>(), Ok(*c));
        }
        for p in Party::ALL {
            assert_eq!(p.as_str().parse::<Party>(), Ok(*p));
        }
        for s in Stage::ALL {
            assert_eq!(s.as_str().parse::<Stage>(), Ok(*s));
        }
        assert!("nosuch".parse::<Class>().is_err());
    }

    #[test]
    fn serde_uses_taxonomy_names() {
        let json = serde_json::to_string(&Party::SenderConfig).unwrap_or_default();
        assert_eq!(json, "\"sender-config\"");
        let json = serde_json::to_string(&Stage::EndOfData).unwrap_or_default();
        assert_eq!(json, "\"end-of-data\"");
    }
}
