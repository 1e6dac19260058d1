//! The SMTP command writer, with a redacted form for transcripts.

use crate::secret::Secret;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use smtp_doctor_model::Stage;
use std::fmt;

/// What a redacted secret looks like in a transcript.
const REDACTED: &str = "<redacted>";

/// One SMTP command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `EHLO name`.
    Ehlo(String),
    /// `HELO name`.
    Helo(String),
    /// `STARTTLS`.
    StartTls,
    /// `AUTH mechanism [initial-response]`; the initial response is already base64.
    ///
    /// The transcript shows the initial response only for LOGIN, where it is the user name.
    Auth {
        /// The SASL mechanism, e.g. `PLAIN`.
        mechanism: String,
        /// The base64 initial response (RFC 4954), if sent with the command.
        initial: Option<Secret>,
    },
    /// A base64 SASL response line sent after a 334; never shown in transcripts.
    AuthResponse(Secret),
    /// AUTH LOGIN's user name, sent base64-encoded after the first 334; shown in transcripts.
    AuthLoginUser(String),
    /// `MAIL FROM:<addr> params`; an empty address is the null sender `<>`.
    MailFrom {
        /// The address, without angle brackets.
        addr: String,
        /// ESMTP parameters such as `SIZE=1000` or `BODY=8BITMIME`.
        params: Vec<String>,
    },
    /// `RCPT TO:<addr> params`.
    RcptTo {
        /// The address, without angle brackets.
        addr: String,
        /// ESMTP parameters such as `NOTIFY=NEVER`.
        params: Vec<String>,
    },
    /// `DATA`.
    Data,
    /// `RSET`.
    Rset,
    /// `QUIT`.
    Quit,
    /// `NOOP`.
    Noop,
}

/// Why a command could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// An argument holds CR, LF or NUL, which would end the line or inject another command.
    #[error("{field} holds byte {byte:#04x}, which cannot be sent inside a command")]
    ForbiddenByte {
        /// Which argument.
        field: &'static str,
        /// The byte.
        byte: u8,
    },
    /// The AUTH mechanism is empty or holds a space.
    #[error("{0:?} is not a SASL mechanism name")]
    BadMechanism(String),
}

impl Command {
    /// `AUTH PLAIN` with the initial response for `user` and `password` (RFC 4616).
    pub fn auth_plain(user: &str, password: &Secret) -> Command {
        let mut raw = Vec::with_capacity(user.len() + password.expose().len() + 2);
        raw.push(0);
        raw.extend_from_slice(user.as_bytes());
        raw.push(0);
        raw.extend_from_slice(password.expose().as_bytes());
        Command::Auth {
            mechanism: "PLAIN".to_string(),
            initial: Some(Secret::new(BASE64.encode(raw))),
        }
    }

    /// `AUTH LOGIN` without an initial response; follow with `AuthLoginUser` and
    /// [`Command::auth_login_password`].
    pub fn auth_login() -> Command {
        Command::Auth {
            mechanism: "LOGIN".to_string(),
            initial: None,
        }
    }

    /// AUTH LOGIN's password response, base64-encoded.
    pub fn auth_login_password(password: &Secret) -> Command {
        Command::AuthResponse(Secret::new(BASE64.encode(password.expose())))
    }

    /// The line to send, CRLF included.
    pub fn to_bytes(&self) -> Result<Vec<u8>, CommandError> {
        self.check()?;
        let mut line = self.line(false).into_bytes();
        line.extend_from_slice(b"\r\n");
        Ok(line)
    }

    /// The line as a transcript should show it (no CRLF), with secrets replaced by `<redacted>`.
    pub fn redacted(&self) -> String {
        self.line(true)
    }

    /// The stage of the conversation this command belongs to, if it has one.
    pub fn stage(&self) -> Option<Stage> {
        Some(match self {
            Command::Ehlo(_) | Command::Helo(_) => Stage::Ehlo,
            Command::StartTls => Stage::StartTls,
            Command::Auth { .. } | Command::AuthResponse(_) | Command::AuthLoginUser(_) => {
                Stage::Auth
            }
            Command::MailFrom { .. } => Stage::Mail,
            Command::RcptTo { .. } => Stage::Rcpt,
            Command::Data => Stage::Data,
            Command::Quit => Stage::Quit,
            Command::Rset | Command::Noop => return None,
        })
    }

    /// The command verb, e.g. `"MAIL"`; empty for SASL response lines.
    pub fn verb(&self) -> &'static str {
        match self {
            Command::Ehlo(_) => "EHLO",
            Command::Helo(_) => "HELO",
            Command::StartTls => "STARTTLS",
            Command::Auth { .. } => "AUTH",
            Command::AuthResponse(_) | Command::AuthLoginUser(_) => "",
            Command::MailFrom { .. } => "MAIL",
            Command::RcptTo { .. } => "RCPT",
            Command::Data => "DATA",
            Command::Rset => "RSET",
            Command::Quit => "QUIT",
            Command::Noop => "NOOP",
        }
    }

    /// Rejects arguments that would break the line.
    fn check(&self) -> Result<(), CommandError> {
        let plain = |field: &'static str, value: &str| -> Result<(), CommandError> {
            match value.bytes().find(|b| matches!(b, b'\r' | b'\n' | 0)) {
                Some(byte) => Err(CommandError::ForbiddenByte { field, byte }),
                None => Ok(()),
            }
        };
        match self {
            Command::Ehlo(name) | Command::Helo(name) => plain("domain", name),
            Command::Auth { mechanism, initial } => {
                if mechanism.is_empty() || mechanism.bytes().any(|b| b == b' ') {
                    return Err(CommandError::BadMechanism(mechanism.clone()));
                }
                plain("mechanism", mechanism)?;
                initial
                    .as_ref()
                    .map_or(Ok(()), |s| plain("initial response", s.expose()))
            }
            Command::AuthResponse(s) => plain("response", s.expose()),
            Command::AuthLoginUser(user) => plain("user name", user),
            Command::MailFrom { addr, params } | Command::RcptTo { addr, params } => {
                plain("address", addr)?;
                params.iter().try_for_each(|p| plain("parameter", p))
            }
            Command::StartTls | Command::Data | Command::Rset | Command::Quit | Command::Noop => {
                Ok(())
            }
        }
    }

    /// The line without CRLF, secrets shown or redacted.
    fn line(&self, redact: bool) -> String {
        let secret = |s: &Secret| -> String {
            if redact {
                REDACTED.to_string()
            } else {
                s.expose().to_string()
            }
        };
        let with_params = |head: String, params: &[String]| -> String {
            params.iter().fold(head, |mut line, p| {
                line.push(' ');
                line.push_str(p);
                line
            })
        };
        match self {
            Command::Ehlo(name) => format!("EHLO {name}"),
            Command::Helo(name) => format!("HELO {name}"),
            Command::Auth { mechanism, initial } => match initial {
                None => format!("AUTH {mechanism}"),
                // LOGIN's initial response is the user name; every other mechanism's may hold
                // a password or token, so only LOGIN's is shown.
                Some(s) if mechanism.eq_ignore_ascii_case("LOGIN") => {
                    format!("AUTH {mechanism} {}", s.expose())
                }
                Some(s) => format!("AUTH {mechanism} {}", secret(s)),
            },
            Command::AuthResponse(s) => secret(s),
            Command::AuthLoginUser(user) => BASE64.encode(user),
            Command::MailFrom { addr, params } => {
                with_params(format!("MAIL FROM:<{addr}>"), params)
            }
            Command::RcptTo { addr, params } => with_params(format!("RCPT TO:<{addr}>"), params),
            Command::StartTls | Command::Data | Command::Rset | Command::Quit | Command::Noop => {
                self.verb().to_string()
            }
        }
    }
}

impl fmt::Display for Command {
    /// The redacted line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(c: &Command) -> String {
        String::from_utf8(c.to_bytes().unwrap()).unwrap()
    }

    fn pw() -> Secret {
        Secret::new("hunter2".to_string())
    }

    #[test]
    fn simple_commands() {
        assert_eq!(
            bytes(&Command::Ehlo("client.example.org".into())),
            "EHLO client.example.org\r\n"
        );
        assert_eq!(bytes(&Command::Helo("client".into())), "HELO client\r\n");
        assert_eq!(bytes(&Command::StartTls), "STARTTLS\r\n");
        assert_eq!(bytes(&Command::Data), "DATA\r\n");
        assert_eq!(bytes(&Command::Rset), "RSET\r\n");
        assert_eq!(bytes(&Command::Quit), "QUIT\r\n");
        assert_eq!(bytes(&Command::Noop), "NOOP\r\n");
        assert_eq!(Command::Quit.stage(), Some(Stage::Quit));
        assert_eq!(Command::Noop.stage(), None);
    }

    #[test]
    fn envelope_commands() {
        let mail = Command::MailFrom {
            addr: "a@example.org".into(),
            params: vec!["SIZE=1000".into(), "BODY=8BITMIME".into()],
        };
        assert_eq!(
            bytes(&mail),
            "MAIL FROM:<a@example.org> SIZE=1000 BODY=8BITMIME\r\n"
        );
        assert_eq!(
            mail.redacted(),
            "MAIL FROM:<a@example.org> SIZE=1000 BODY=8BITMIME"
        );
        let null = Command::MailFrom {
            addr: String::new(),
            params: vec![],
        };
        assert_eq!(bytes(&null), "MAIL FROM:<>\r\n");
        let rcpt = Command::RcptTo {
            addr: "b@example.net".into(),
            params: vec!["NOTIFY=NEVER".into()],
        };
        assert_eq!(bytes(&rcpt), "RCPT TO:<b@example.net> NOTIFY=NEVER\r\n");
        assert_eq!(rcpt.stage(), Some(Stage::Rcpt));
        assert_eq!(rcpt.verb(), "RCPT");
    }

    #[test]
    fn auth_plain_is_redacted() {
        let c = Command::auth_plain("user", &pw());
        // base64("\0user\0hunter2")
        assert_eq!(bytes(&c), "AUTH PLAIN AHVzZXIAaHVudGVyMg==\r\n");
        assert_eq!(c.redacted(), "AUTH PLAIN <redacted>");
        assert_eq!(c.to_string(), "AUTH PLAIN <redacted>");
        let debug = format!("{c:?}");
        assert!(!debug.contains("AHVzZXIAaHVudGVyMg"), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn auth_login_shows_the_user_never_the_password() {
        assert_eq!(bytes(&Command::auth_login()), "AUTH LOGIN\r\n");
        let user = Command::AuthLoginUser("user".into());
        assert_eq!(bytes(&user), "dXNlcg==\r\n");
        assert_eq!(user.redacted(), "dXNlcg==");
        let pass = Command::auth_login_password(&pw());
        assert_eq!(bytes(&pass), "aHVudGVyMg==\r\n");
        assert_eq!(pass.redacted(), "<redacted>");
        assert_eq!(pass.stage(), Some(Stage::Auth));
        let initial = Command::Auth {
            mechanism: "LOGIN".into(),
            initial: Some(Secret::new("dXNlcg==".into())),
        };
        assert_eq!(initial.redacted(), "AUTH LOGIN dXNlcg==");
        let xoauth = Command::Auth {
            mechanism: "XOAUTH2".into(),
            initial: Some(Secret::new("dXNlcj1...".into())),
        };
        assert_eq!(xoauth.redacted(), "AUTH XOAUTH2 <redacted>");
        let raw = Command::AuthResponse(Secret::new("c2VjcmV0".into()));
        assert_eq!(raw.redacted(), "<redacted>");
        assert_eq!(format!("{raw:?}"), "AuthResponse(<redacted>)");
    }

    #[test]
    fn line_breaks_cannot_be_injected() {
        let evil = Command::RcptTo {
            addr: "a@example.org>\r\nRCPT TO:<b@example.org".into(),
            params: vec![],
        };
        assert_eq!(
            evil.to_bytes(),
            Err(CommandError::ForbiddenByte {
                field: "address",
                byte: b'\r'
            })
        );
        assert!(Command::Ehlo("a\nb".into()).to_bytes().is_err());
        assert!(Command::MailFrom {
            addr: "a@b".into(),
            params: vec!["X=\0".into()]
        }
        .to_bytes()
        .is_err());
        assert!(Command::AuthResponse(Secret::new("x\r\n".into()))
            .to_bytes()
            .is_err());
        assert_eq!(
            Command::Auth {
                mechanism: "PLAIN X".into(),
                initial: None
            }
            .to_bytes(),
            Err(CommandError::BadMechanism("PLAIN X".into()))
        );
        let err = CommandError::ForbiddenByte {
            field: "address",
            byte: b'\n',
        };
        assert_eq!(
            err.to_string(),
            "address holds byte 0x0a, which cannot be sent inside a command"
        );
    }
}
