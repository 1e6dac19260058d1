//! What a live probe of a mail server saw: the report of `smtp-doctor check`, before
//! classification.
//!
//! Everything here is data: a failure keeps its stage, its deadline, its errno, the certificate's
//! dates and names. The one classifier (in `smtp-doctor-kb`) reads [`crate::Evidence`] drawn from
//! these records; nothing here decides a category.

use crate::{EnhancedCode, ReplyCode, Stage};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};

/// Everything one probe saw: how the target resolved and one record per address tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeReport {
    /// The target as given, e.g. `example.org`, `mx.example.org:587` or `user@example.org`.
    pub target: String,
    /// How the target's name became addresses.
    pub resolution: Resolution,
    /// One record per address tried, in the order tried.
    pub attempts: Vec<Attempt>,
}

/// How the target's name became addresses: MX hosts, their addresses and DNS errors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// The resolver used: `system`, the `IP:PORT` given, or `none` for an IP target.
    pub server: String,
    /// The mail hosts in preference order; for a host or IP target, that one host.
    pub mx: Vec<MxHost>,
    /// True when the domain publishes a null MX (RFC 7505, `MX 0 .`): it takes no mail.
    pub null_mx: bool,
    /// Every DNS query that failed.
    pub errors: Vec<DnsError>,
    /// When resolution started, in milliseconds from the start of the probe.
    pub start_ms: u64,
    /// How long resolution took, in milliseconds.
    pub duration_ms: u64,
}

/// One mail host and its addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxHost {
    /// The host name (or the IP address as text for an IP target).
    pub name: String,
    /// The MX preference; `None` when the host did not come from an MX record.
    pub preference: Option<u16>,
    /// Where the host came from.
    pub origin: HostOrigin,
    /// Its addresses, in the order they will be tried.
    pub addresses: Vec<IpAddr>,
}

/// Where a mail host came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HostOrigin {
    /// An MX record of the domain.
    Mx,
    /// The domain has no MX, so the domain itself is the mail host (RFC 5321 5.1).
    ImplicitMx,
    /// The target named the host (or IP) directly.
    Target,
}

/// One DNS query that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsError {
    /// The name queried.
    pub name: String,
    /// The record type queried: `MX`, `A`, `AAAA`, `PTR`.
    pub rtype: String,
    /// What kind of failure.
    pub kind: DnsErrorKind,
    /// The resolver's own words.
    pub detail: String,
}

/// What kind of DNS failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DnsErrorKind {
    /// The name does not exist.
    Nxdomain,
    /// The name exists but has no record of this type.
    Nodata,
    /// The server failed to answer (SERVFAIL).
    Servfail,
    /// The server refused to answer (REFUSED).
    Refused,
    /// No answer before the deadline.
    Timeout,
    /// Anything else (malformed answer, no connection, other response codes).
    Other,
}

impl DnsErrorKind {
    /// The usual upper-case name: `NXDOMAIN`, `NODATA`, `SERVFAIL`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            DnsErrorKind::Nxdomain => "NXDOMAIN",
            DnsErrorKind::Nodata => "NODATA",
            DnsErrorKind::Servfail => "SERVFAIL",
            DnsErrorKind::Refused => "REFUSED",
            DnsErrorKind::Timeout => "timeout",
            DnsErrorKind::Other => "error",
        }
    }
}

/// How TLS was (to be) used on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TlsMode {
    /// Plain text throughout.
    None,
    /// Plain text, upgraded with STARTTLS.
    #[serde(rename = "starttls")]
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
}

/// Everything one connection to one address saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// The host name the address belongs to.
    pub host: String,
    /// The mail domain the host was found for (the target domain's MX, or the domain itself
    /// when it has none); `None` for a host or IP target.
    pub mail_domain: Option<String>,
    /// The address and port connected to.
    pub addr: SocketAddr,
    /// The TLS mode planned for this connection.
    pub tls_mode: TlsMode,
    /// When the attempt started, in milliseconds from the start of the probe.
    pub start_ms: u64,
    /// How long the attempt took, in milliseconds.
    pub duration_ms: u64,
    /// One record per stage exchange, in order (several for RCPT and AUTH).
    pub stages: Vec<StageRecord>,
    /// Every line sent and received, with offsets from the start of the attempt.
    pub transcript: Vec<TranscriptLine>,
    /// True when the transcript reached its size limit and later lines were not recorded.
    pub transcript_truncated: bool,
    /// The TLS session, when a handshake was attempted.
    pub tls: Option<TlsInfo>,
    /// The greeting, when one arrived.
    pub banner: Option<BannerInfo>,
    /// The capabilities of the last EHLO reply (after STARTTLS when there was one).
    pub ehlo: Option<EhloSummary>,
    /// Anomalies of the attempt as a whole (a tripped transcript bound, AUTH before TLS, ...).
    pub anomalies: Vec<ProtocolAnomaly>,
    /// How the attempt ended.
    pub outcome: Outcome,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Every planned stage succeeded.
    Completed,
    /// Stopped on request after this stage (`--quit-after`).
    StoppedAfter {
        /// The last stage run.
        stage: Stage,
    },
    /// The server refused at this stage with a 4xx or 5xx reply.
    Rejected {
        /// The stage.
        stage: Stage,
        /// The reply code.
        code: ReplyCode,
    },
    /// The probe could not go on: a timeout, a closed connection, a TLS failure, ...
    Failed {
        /// The stage.
        stage: Stage,
    },
}

/// One exchange of one stage: the command, the reply and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRecord {
    /// The stage.
    pub stage: Stage,
    /// When it started, in milliseconds from the start of the attempt.
    pub start_ms: u64,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// The command as sent, secrets redacted; `None` for connect, banner and TLS.
    pub command: Option<String>,
    /// The server's reply, when one was read.
    pub reply: Option<ReplyRecord>,
    /// What the reply reader tolerated in the reply.
    pub anomalies: Vec<ProtocolAnomaly>,
    /// Why the stage failed, when it did.
    pub error: Option<ProbeError>,
}

/// A server reply as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyRecord {
    /// The reply code.
    pub code: ReplyCode,
    /// The first enhanced status code, when the server sent one.
    pub enhanced_code: Option<EnhancedCode>,
    /// The text of each line after the code.
    pub lines: Vec<String>,
}

impl ReplyRecord {
    /// The lines joined with newlines.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
}

/// Something a server did that the RFCs do not allow, or a bound that tripped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolAnomaly {
    /// What kind.
    pub kind: AnomalyKind,
    /// A sentence saying what was seen, e.g. "line 2 ends with a bare LF".
    pub detail: String,
}

/// The kinds of protocol anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AnomalyKind {
    /// A line ended with LF alone.
    BareLf,
    /// A CR not followed by LF.
    BareCr,
    /// A continuation line's code differs from the first line's.
    CodeMismatch,
    /// Enhanced codes that disagree with each other.
    EnhancedConflict,
    /// An enhanced code whose class disagrees with the reply code.
    EnhancedClassMismatch,
    /// A line longer than the line limit (cut).
    LineTooLong,
    /// NUL bytes in a line.
    NulByte,
    /// 8-bit bytes in a line.
    EightBit,
    /// No space or hyphen after the code.
    MissingSpace,
    /// More reply lines than the limit.
    TooManyLines,
    /// An EHLO reply the capability parser had to tolerate.
    Ehlo,
    /// AUTH advertised on a connection without TLS.
    AuthBeforeTls,
    /// Bytes sent after the STARTTLS reply and before the handshake (possible injection).
    BytesAfterStartTls,
    /// Lines without a reply code sent before the 220 greeting.
    BytesBeforeBanner,
    /// An EHLO keyword of X's (`XXXXXXXA`) where STARTTLS would stand: a middlebox (Cisco
    /// ESMTP inspection) masked it.
    StartTlsMasked,
    /// The transcript reached its size limit.
    TranscriptTruncated,
    /// Anything else.
    Other,
}

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLine {
    /// Milliseconds from the start of the attempt.
    pub at_ms: u64,
    /// Who wrote it.
    pub dir: Direction,
    /// The line without its ending, secrets redacted, control bytes escaped.
    pub text: String,
}

/// Who wrote a transcript line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The probe sent it.
    Sent,
    /// The server sent it.
    Received,
    /// A note by the probe (TLS established, certificate, timeout).
    Note,
}

/// What the TLS handshake negotiated and what the certificate check found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsInfo {
    /// The protocol version, e.g. `TLSv1.3`; `None` when the handshake failed.
    pub version: Option<String>,
    /// The cipher suite, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: Option<String>,
    /// The server name sent in SNI; `None` for an IP address.
    pub sni: Option<String>,
    /// The name the certificate was checked against.
    pub verify_name: String,
    /// The certificates the server presented, leaf first.
    pub chain: Vec<CertInfo>,
    /// True when the chain verified against the trust anchors for `verify_name`.
    pub verified: bool,
    /// Why verification failed.
    pub verify_error: Option<CertProblem>,
}

/// One certificate of the chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertInfo {
    /// The subject distinguished name.
    pub subject: String,
    /// The issuer distinguished name.
    pub issuer: String,
    /// The serial number, in hex.
    pub serial: String,
    /// Start of validity, RFC 3339 UTC.
    pub not_before: String,
    /// End of validity, RFC 3339 UTC.
    pub not_after: String,
    /// The DNS names and IP addresses of the subject alternative names.
    pub san: Vec<String>,
    /// True when subject and issuer are the same.
    pub self_signed: bool,
    /// The SHA-256 of its SubjectPublicKeyInfo, lower-case hex: the data of a `3 1 1` TLSA
    /// record for it (empty when the certificate could not be parsed).
    #[serde(default)]
    pub spki_sha256: String,
    /// The certificate as presented (DER), for matching TLSA records; not serialised.
    #[serde(skip)]
    pub der: Vec<u8>,
}

/// Why a certificate did not verify, with the facts that show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertProblem {
    /// What kind of problem.
    pub kind: CertProblemKind,
    /// The verifier's own words.
    pub reason: String,
    /// The leaf certificate's end of validity, RFC 3339 UTC.
    pub not_after: Option<String>,
    /// The leaf certificate's start of validity, RFC 3339 UTC.
    pub not_before: Option<String>,
    /// The name the certificate had to match.
    pub expected_name: Option<String>,
    /// The names the certificate presents (SAN, or the subject CN when there is no SAN).
    pub presented_names: Vec<String>,
}

/// The kinds of certificate problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CertProblemKind {
    /// Past its not-after date.
    Expired,
    /// Before its not-before date.
    NotYetValid,
    /// Not made out for the name connected to.
    NameMismatch,
    /// Self-signed and not a trust anchor.
    SelfSigned,
    /// Issued by an authority that is not trusted (or an intermediate is missing).
    UnknownIssuer,
    /// A signature does not verify.
    BadSignature,
    /// Revoked.
    Revoked,
    /// Not valid for TLS server authentication.
    InvalidPurpose,
    /// No trust anchors could be loaded.
    NoTrustAnchors,
    /// Anything else.
    Other,
}

/// The greeting and what it says about the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BannerInfo {
    /// The name the server gives itself (first word of the greeting).
    pub hostname: Option<String>,
    /// The MTA software it names, e.g. `Postfix`, `Exim`, `Microsoft Exchange`.
    pub software: Option<String>,
    /// The software version, when the banner shows one.
    pub version: Option<String>,
    /// True when the greeting says ESMTP.
    pub esmtp: bool,
    /// Every line of the greeting.
    pub lines: Vec<String>,
    /// True when the EHLO reply names the same host as the banner; `None` before EHLO.
    pub matches_ehlo: Option<bool>,
    /// The name the first EHLO (or HELO) reply gives (first word of its first line).
    pub ehlo_name: Option<String>,
    /// The reverse DNS of the address connected to; `None` when not looked up.
    pub ptr: Option<PtrInfo>,
    /// True when one PTR name is the banner's name; `None` when there is nothing to compare
    /// (no banner name, no PTR from DNS, or a special-use address).
    pub matches_ptr: Option<bool>,
}

/// The reverse DNS (PTR) of an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PtrInfo {
    /// Where the names come from.
    pub source: PtrSource,
    /// The PTR names, lower case, without the final dot; empty when there are none.
    pub names: Vec<String>,
    /// Why the lookup failed (NXDOMAIN: the address has no PTR).
    pub error: Option<DnsError>,
}

/// Where PTR names come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PtrSource {
    /// A PTR query answered by the DNS.
    Dns,
    /// Not looked up: a loopback address, whose name is `localhost` by RFC 6761 (resolvers
    /// such as hickory answer it themselves without asking any server).
    SpecialUse,
}

/// The extensions an EHLO reply advertised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EhloSummary {
    /// True when the server refused EHLO and HELO was used.
    pub helo_fallback: bool,
    /// True when this reply came over TLS.
    pub over_tls: bool,
    /// The name the server gives itself in the reply.
    pub domain: String,
    /// SIZE was advertised.
    pub size_advertised: bool,
    /// The SIZE limit in bytes, when one was stated (0: no fixed limit).
    pub size: Option<u64>,
    /// PIPELINING.
    pub pipelining: bool,
    /// 8BITMIME.
    pub eight_bit_mime: bool,
    /// SMTPUTF8.
    pub smtputf8: bool,
    /// CHUNKING.
    pub chunking: bool,
    /// DSN.
    pub dsn: bool,
    /// STARTTLS.
    pub starttls: bool,
    /// ENHANCEDSTATUSCODES.
    pub enhanced_status_codes: bool,
    /// REQUIRETLS.
    pub requiretls: bool,
    /// AUTH mechanisms, upper-cased.
    pub auth: Vec<String>,
    /// True when AUTH was advertised on a connection without TLS.
    pub auth_before_tls: bool,
    /// Every extension keyword, as sent.
    pub keywords: Vec<String>,
    /// What the capability parser tolerated.
    pub anomalies: Vec<String>,
}

/// Why a stage failed, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProbeError {
    /// The stage's deadline (or the total deadline) passed.
    #[error("{stage} timed out after {limit_ms} ms")]
    Timeout {
        /// The stage.
        stage: Stage,
        /// The deadline that passed, in milliseconds.
        limit_ms: u64,
        /// True when it was the total deadline, not the stage's own.
        total: bool,
        /// Bytes of an unfinished line received before the deadline, escaped.
        partial: Option<String>,
    },
    /// The connection was refused (RST to the SYN).
    #[error("connection refused")]
    Refused {
        /// The OS error number.
        errno: Option<i32>,
    },
    /// The connection was reset.
    #[error("connection reset by peer")]
    Reset {
        /// The OS error number.
        errno: Option<i32>,
    },
    /// No route to the host or network.
    #[error("network unreachable: {detail}")]
    Unreachable {
        /// The OS error number.
        errno: Option<i32>,
        /// The OS's words.
        detail: String,
    },
    /// Another I/O error.
    #[error("I/O error: {detail}")]
    Io {
        /// The OS error number.
        errno: Option<i32>,
        /// The OS's words.
        detail: String,
    },
    /// The server closed the connection.
    #[error("connection closed by the server after {received} bytes of a reply")]
    Closed {
        /// Bytes of an unfinished reply received before the close.
        received: usize,
        /// Those bytes, escaped.
        partial: Option<String>,
    },
    /// Something other than an SMTP server answered.
    #[error("not an SMTP reply{}: {first_bytes:?}", service.as_ref().map(|s| format!(" ({s} answered)")).unwrap_or_default())]
    NotSmtp {
        /// The service recognised, e.g. `an SSH server`.
        service: Option<String>,
        /// The first bytes received, escaped.
        first_bytes: String,
    },
    /// A reply line had no reply code.
    #[error("malformed reply")]
    Malformed {
        /// The 0-based line within the reply.
        line: usize,
        /// The start of the line, escaped.
        first_bytes: String,
    },
    /// A read bound tripped.
    #[error("{what} larger than {limit} bytes")]
    ReadLimit {
        /// Which bound.
        what: LimitKind,
        /// The bound in bytes.
        limit: usize,
    },
    /// The TLS handshake failed for a reason other than the certificate.
    #[error("TLS handshake failed: {reason}")]
    TlsHandshake {
        /// The TLS library's words.
        reason: String,
        /// The TLS alert the server sent, when there was one.
        alert: Option<String>,
        /// The start of a plain-text reply the server sent instead of TLS, escaped.
        plaintext: Option<String>,
    },
    /// The certificate did not verify (and `insecure` was off).
    #[error("certificate verify failed: {}", problem.reason)]
    CertInvalid {
        /// What was wrong.
        problem: CertProblem,
    },
    /// TLS was required (or asked for with STARTTLS) but the server does not offer STARTTLS.
    #[error("STARTTLS not offered")]
    StartTlsNotOffered,
    /// The AUTH mechanism asked for is not offered.
    #[error("AUTH {mechanism} not offered")]
    AuthNotOffered {
        /// The mechanism asked for.
        mechanism: String,
        /// The mechanisms offered.
        offered: Vec<String>,
    },
    /// Credentials would have gone over a connection without TLS to a non-loopback address.
    #[error("refusing to send credentials without TLS")]
    AuthWithoutTls,
    /// The server's SASL challenge could not be read.
    #[error("bad SASL challenge: {detail}")]
    BadChallenge {
        /// What was wrong.
        detail: String,
    },
    /// A command could not be written (CR or LF in an argument).
    #[error("bad command: {detail}")]
    BadCommand {
        /// Why.
        detail: String,
    },
    /// The target had no address to connect to.
    #[error("no address to connect to")]
    NoAddress,
}

/// Which read bound tripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LimitKind {
    /// One line.
    Line,
    /// One reply.
    Reply,
    /// The whole transcript.
    Transcript,
}

impl LimitKind {
    /// The noun used in messages: "line", "reply", "transcript".
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Line => "line",
            LimitKind::Reply => "reply",
            LimitKind::Transcript => "transcript",
        }
    }
}

impl std::fmt::Display for LimitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialise_as_tagged_snake_case() {
        let e = ProbeError::Timeout {
            stage: Stage::Banner,
            limit_ms: 30_000,
            total: false,
            partial: None,
        };
        let json = serde_json::to_string(&e).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"kind":"timeout","stage":"banner","limit_ms":30000,"total":false,"partial":null}"#
        );
        let back: ProbeError = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        let outcome = Outcome::Rejected {
            stage: Stage::Rcpt,
            code: ReplyCode::new(550).unwrap(),
        };
        let json = serde_json::to_string(&outcome).unwrap();
        assert_eq!(json, r#"{"status":"rejected","stage":"rcpt","code":550}"#);
        assert_eq!(
            serde_json::to_string(&DnsErrorKind::Nxdomain).unwrap_or_default(),
            "\"nxdomain\""
        );
        assert_eq!(
            serde_json::to_string(&TlsMode::StartTls).unwrap_or_default(),
            "\"starttls\""
        );
    }
}
