//! How to probe: port, TLS policy, envelope, credentials, deadlines and bounds.

use smtp_doctor_model::Stage;
use smtp_doctor_wire::Secret;
use std::net::SocketAddr;
use std::time::Duration;

/// How to use TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsPolicy {
    /// Implicit TLS on port 465, STARTTLS elsewhere when the server advertises it.
    #[default]
    Auto,
    /// STARTTLS; a server that does not advertise it is a failure.
    StartTls,
    /// TLS from the first byte.
    Implicit,
    /// Plain text only.
    None,
}

/// Which address families to connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IpVersion {
    /// IPv4 and IPv6, IPv4 first.
    #[default]
    Any,
    /// IPv4 only (`-4`).
    V4,
    /// IPv6 only (`-6`).
    V6,
}

/// A SASL mechanism the probe can speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthMechanism {
    /// PLAIN (RFC 4616).
    Plain,
    /// LOGIN (draft-murchison-sasl-login).
    Login,
    /// CRAM-MD5 (RFC 2195).
    CramMd5,
    /// XOAUTH2 (Google and Microsoft): the secret is the OAuth 2 access token.
    XOAuth2,
}

impl AuthMechanism {
    /// The mechanism's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMechanism::Plain => "PLAIN",
            AuthMechanism::Login => "LOGIN",
            AuthMechanism::CramMd5 => "CRAM-MD5",
            AuthMechanism::XOAuth2 => "XOAUTH2",
        }
    }
}

/// Credentials for AUTH.
#[derive(Debug, Clone)]
pub struct Auth {
    /// The mechanism.
    pub mechanism: AuthMechanism,
    /// The user name.
    pub user: String,
    /// The password, or the access token for XOAUTH2; never written to the report.
    pub secret: Secret,
}

/// Deadlines per stage and in total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// DNS resolution, all queries together.
    pub resolve: Duration,
    /// The TCP connection.
    pub connect: Duration,
    /// The greeting.
    pub banner: Duration,
    /// Each command's reply, and the TLS handshake.
    pub command: Duration,
    /// The whole probe, every attempt included; always set.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            resolve: Duration::from_secs(10),
            connect: Duration::from_secs(10),
            banner: Duration::from_secs(30),
            command: Duration::from_secs(30),
            total: Duration::from_secs(120),
        }
    }
}

/// Size bounds on everything read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Longest line kept, in bytes.
    pub line: usize,
    /// Largest reply, in bytes.
    pub reply: usize,
    /// Largest transcript per attempt, in bytes of text.
    pub transcript: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            line: 4 * 1024,
            reply: 64 * 1024,
            transcript: 1024 * 1024,
        }
    }
}

/// How to probe.
#[derive(Debug, Clone, Default)]
pub struct ProbeOptions {
    /// The port when the target names none; `None`: 465 for implicit TLS, else 25.
    pub port: Option<u16>,
    /// How to use TLS.
    pub tls: TlsPolicy,
    /// Fail when the session cannot be encrypted.
    pub require_tls: bool,
    /// Stop (with QUIT) after this stage.
    pub quit_after: Option<Stage>,
    /// The EHLO name; `None`: `smtp-doctor.invalid`.
    pub ehlo: Option<String>,
    /// MAIL FROM; `None` with recipients: the null sender `<>`.
    pub from: Option<String>,
    /// RCPT TO, each in turn; a `user@domain` target adds itself when this is empty.
    pub to: Vec<String>,
    /// Deadlines.
    pub timeouts: Timeouts,
    /// Read bounds.
    pub bounds: Bounds,
    /// PEM certificates to trust instead of the system's.
    pub ca_pem: Option<Vec<u8>>,
    /// The name to send in SNI and check the certificate against, instead of the host name.
    pub sni: Option<String>,
    /// Go on after a certificate problem, reporting it.
    pub insecure: bool,
    /// Credentials for AUTH.
    pub auth: Option<Auth>,
    /// Send a generated test message with DATA (otherwise RSET after RCPT).
    pub data: bool,
    /// The DNS server to ask instead of the system's resolver configuration.
    pub dns_server: Option<SocketAddr>,
    /// Which address families to use.
    pub ip_version: IpVersion,
    /// Try every address of every host, not only the first of each.
    pub all_ips: bool,
}

impl ProbeOptions {
    /// The EHLO name to send.
    pub fn ehlo_name(&self) -> &str {
        self.ehlo.as_deref().unwrap_or("smtp-doctor.invalid")
    }
}
