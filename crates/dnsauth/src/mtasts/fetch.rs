//! The MTA-STS policy fetch (RFC 8461 section 3.3): `https://mta-sts.<domain>/.well-known/
//! mta-sts.txt`, the host's address asked through the checks' own [`Resolver`] (never the
//! system's), TLS through rustls (ring) with the WebPKI roots or a given CA, no redirects, at
//! most [`MAX_RESPONSE_BYTES`] read, each step bounded in time; then the policy parsed, and
//! the domain's MX hosts matched against its `mx` patterns.
//!
//! HTTP is written here rather than through an HTTP client: it is one `GET` per check, sent as
//! HTTP/1.0 with `Connection: close`, so the server must answer without chunked encoding
//! (RFC 9112 section 6.1) and the body ends at its `Content-Length` or at the close; the
//! response is read whole into a bounded buffer and [`parse_response`] reads it (and is fuzzed).

use super::{parse_policy, StsMode, StsPolicy, MAX_POLICY_BYTES};
use crate::dns::{join_all, normalize, AnswerKind, RecordType, Resolver};
use crate::evidence::{dns_evidence, join_names};
use serde::Serialize;
use smtp_doctor_model::probe::CertProblemKind;
use smtp_doctor_model::{Evidence, Stage};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The most bytes of a response's status line and headers read.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;
/// The most bytes of a whole response read: the head and a policy of [`MAX_POLICY_BYTES`].
pub const MAX_RESPONSE_BYTES: usize = MAX_HEAD_BYTES + MAX_POLICY_BYTES;

/// How the policy is fetched.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The HTTPS port (443; tests serve on a free loopback port).
    pub https_port: u16,
    /// PEM CA certificates to trust instead of the WebPKI roots (`--ca`).
    pub ca_pem: Option<Vec<u8>>,
    /// How long the TCP connection may take.
    pub connect_timeout: Duration,
    /// How long the TLS handshake may take.
    pub tls_timeout: Duration,
    /// How long the whole fetch may take, the address lookup included.
    pub total_timeout: Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            https_port: 443,
            ca_pem: None,
            connect_timeout: Duration::from_secs(10),
            tls_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
        }
    }
}

/// What the fetch found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FetchReport {
    /// The policy domain, lower case.
    pub domain: String,
    /// The policy host: `mta-sts.<domain>`.
    pub host: String,
    /// The URL fetched.
    pub url: String,
    /// The address connected to.
    pub address: Option<IpAddr>,
    /// The HTTP status code.
    pub status: Option<u16>,
    /// The `Content-Type` header's value.
    pub content_type: Option<String>,
    /// The policy, when it was fetched and parsed.
    pub policy: Option<StsPolicy>,
    /// What is wrong, in the order found.
    pub problems: Vec<FetchProblem>,
}

/// What is wrong with the policy fetch or the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FetchProblem {
    /// The policy host has no address (both answers void or failed).
    NoAddress {
        /// The A answer.
        a: AnswerKind,
        /// The AAAA answer.
        aaaa: AnswerKind,
    },
    /// No TCP connection to any address.
    ConnectFailed {
        /// The address tried.
        address: IpAddr,
        /// The port.
        port: u16,
        /// The operating system's error, or `timeout`.
        error: String,
    },
    /// The TLS handshake failed on the certificate.
    Certificate {
        /// The kind of problem (expired, name mismatch, untrusted issuer, ...).
        problem: CertProblemKind,
        /// rustls' words.
        reason: String,
    },
    /// The TLS handshake failed otherwise (or took too long).
    TlsFailed {
        /// rustls' words, or `timeout`.
        reason: String,
    },
    /// The whole fetch took longer than [`FetchOptions::total_timeout`].
    Timeout {
        /// The limit, in milliseconds.
        limit_ms: u64,
    },
    /// The answer is not an HTTP response.
    BadResponse {
        /// What is wrong.
        reason: String,
    },
    /// A redirect: RFC 8461 section 3.3 forbids following it.
    Redirect {
        /// The status code.
        status: u16,
        /// The `Location` header.
        location: Option<String>,
    },
    /// A status other than 200.
    Status {
        /// The status code.
        status: u16,
    },
    /// A `Content-Type` other than `text/plain` (RFC 8461 section 3.3).
    ContentType {
        /// The value, empty when the header is missing.
        found: String,
    },
    /// A response over [`MAX_RESPONSE_BYTES`].
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The policy does not parse.
    BadPolicy {
        /// The parser's words.
        error: String,
    },
    /// MX hosts that match none of the policy's `mx` patterns.
    MxNotCovered {
        /// The policy's mode.
        mode: StsMode,
        /// The hosts.
        hosts: Vec<String>,
        /// The patterns.
        patterns: Vec<String>,
    },
}

/// An HTTP response read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers: names lower case, values trimmed, in order.
    pub headers: Vec<(String, String)>,
    /// The body (cut at `Content-Length` when there is one).
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why bytes are not an HTTP response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// No blank line ends the head within [`MAX_HEAD_BYTES`].
    #[error("the response head does not end within {MAX_HEAD_BYTES} bytes")]
    NoHeadEnd,
    /// The status line is not `HTTP/1.x NNN reason`.
    #[error("the status line is not HTTP/1.x and a three-digit status")]
    BadStatusLine,
    /// A header line without a colon, or not text.
    #[error("a header line is not name: value")]
    BadHeader,
    /// A `Content-Length` that is not a number, or more than the body holds.
    #[error("the Content-Length is not a number or exceeds the body")]
    BadLength,
    /// Chunked transfer coding, which an HTTP/1.0 request must not get.
    #[error("the server used chunked transfer coding in answer to an HTTP/1.0 request")]
    Chunked,
}

/// Reads a whole HTTP/1.x response (head and body) from `bytes`.
pub fn parse_response(bytes: &[u8]) -> Result<Response, HttpError> {
    let head_end = bytes
        .windows(4)
        .take(MAX_HEAD_BYTES)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            bytes
                .windows(2)
                .take(MAX_HEAD_BYTES)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        });
    let (end, body_start) = head_end.ok_or(HttpError::NoHeadEnd)?;
    let head = std::str::from_utf8(&bytes[..end]).map_err(|_| HttpError::BadHeader)?;
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let status_line = lines.next().ok_or(HttpError::BadStatusLine)?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.")
        || code.len() != 3
        || !code.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(HttpError::BadStatusLine);
    }
    let status: u16 = code.parse().map_err(|_| HttpError::BadStatusLine)?;
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(HttpError::BadHeader)?;
        if name.is_empty() || name.contains([' ', '\t']) {
            return Err(HttpError::BadHeader);
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    if response
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        return Err(HttpError::Chunked);
    }
    let body = &bytes[body_start..];
    let body = match response.header("content-length") {
        Some(len) => {
            let len: usize = len.parse().map_err(|_| HttpError::BadLength)?;
            body.get(..len).ok_or(HttpError::BadLength)?
        }
        None => body,
    };
    response.body = body.to_vec();
    Ok(response)
}

/// The kind of a certificate refusal by rustls' verifier.
pub fn cert_problem_kind(err: &rustls::CertificateError, self_signed: bool) -> CertProblemKind {
    use rustls::CertificateError as E;
    match err {
        E::Expired | E::ExpiredContext { .. } => CertProblemKind::Expired,
        E::NotValidYet | E::NotValidYetContext { .. } => CertProblemKind::NotYetValid,
        E::NotValidForName | E::NotValidForNameContext { .. } => CertProblemKind::NameMismatch,
        E::UnknownIssuer if self_signed => CertProblemKind::SelfSigned,
        E::UnknownIssuer => CertProblemKind::UnknownIssuer,
        E::BadSignature => CertProblemKind::BadSignature,
        E::Revoked => CertProblemKind::Revoked,
        E::InvalidPurpose | E::InvalidPurposeContext { .. } => CertProblemKind::InvalidPurpose,
        _ => CertProblemKind::Other,
    }
}

/// The client configuration: the given CAs, or the WebPKI roots.
fn client_config(ca_pem: Option<&[u8]>) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    match ca_pem {
        Some(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem).flatten() {
                let _ = roots.add(cert);
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    if roots.is_empty() {
        return Err("no trusted CA certificates could be loaded".to_string());
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
        .map_err(|e| e.to_string())
}

/// Fetches and parses the MTA-STS policy of `domain`.
pub async fn fetch<R: Resolver>(dns: &R, domain: &str, opts: &FetchOptions) -> FetchReport {
    let domain = normalize(domain);
    let host = format!("mta-sts.{domain}");
    let mut report = FetchReport {
        url: format!("https://{host}/.well-known/mta-sts.txt"),
        domain,
        host,
        address: None,
        status: None,
        content_type: None,
        policy: None,
        problems: Vec::new(),
    };
    let limit_ms = u64::try_from(opts.total_timeout.as_millis()).unwrap_or(u64::MAX);
    if tokio::time::timeout(opts.total_timeout, run(dns, opts, &mut report))
        .await
        .is_err()
    {
        report.problems.push(FetchProblem::Timeout { limit_ms });
    }
    report
}

async fn run<R: Resolver>(dns: &R, opts: &FetchOptions, report: &mut FetchReport) {
    let lookups = join_all(vec![
        dns.lookup(&report.host, RecordType::A),
        dns.lookup(&report.host, RecordType::Aaaa),
    ])
    .await;
    let addresses: Vec<IpAddr> = lookups.iter().flat_map(|l| l.addresses()).collect();
    if addresses.is_empty() {
        let kind = |i: usize| {
            lookups
                .get(i)
                .map_or(AnswerKind::Failed, |l| l.answer.kind())
        };
        report.problems.push(FetchProblem::NoAddress {
            a: kind(0),
            aaaa: kind(1),
        });
        return;
    }
    let mut stream = None;
    for &ip in addresses.iter().take(4) {
        report.address = Some(ip);
        let addr = SocketAddr::new(ip, opts.https_port);
        match tokio::time::timeout(opts.connect_timeout, tokio::net::TcpStream::connect(addr)).await
        {
            Ok(Ok(s)) => {
                stream = Some(s);
                break;
            }
            Ok(Err(e)) => {
                report.problems.push(FetchProblem::ConnectFailed {
                    address: ip,
                    port: opts.https_port,
                    error: e.to_string(),
                });
            }
            Err(_) => report.problems.push(FetchProblem::ConnectFailed {
                address: ip,
                port: opts.https_port,
                error: "timeout".to_string(),
            }),
        }
    }
    let Some(tcp) = stream else { return };
    // A later address that connected makes the earlier failures moot.
    report
        .problems
        .retain(|p| !matches!(p, FetchProblem::ConnectFailed { .. }));
    let config = match client_config(opts.ca_pem.as_deref()) {
        Ok(c) => c,
        Err(reason) => {
            report.problems.push(FetchProblem::TlsFailed { reason });
            return;
        }
    };
    let Ok(name) = rustls::pki_types::ServerName::try_from(report.host.clone()) else {
        report.problems.push(FetchProblem::TlsFailed {
            reason: format!("{} is not a valid server name", report.host),
        });
        return;
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let mut tls = match tokio::time::timeout(opts.tls_timeout, connector.connect(name, tcp)).await {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            let rustls_err = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
            report.problems.push(match rustls_err {
                Some(rustls::Error::InvalidCertificate(ce)) => FetchProblem::Certificate {
                    problem: cert_problem_kind(ce, false),
                    reason: ce.to_string(),
                },
                _ => FetchProblem::TlsFailed {
                    reason: e.to_string(),
                },
            });
            return;
        }
        Err(_) => {
            report.problems.push(FetchProblem::TlsFailed {
                reason: "timeout".to_string(),
            });
            return;
        }
    };
    let request = format!(
        "GET /.well-known/mta-sts.txt HTTP/1.0\r\nHost: {}\r\nUser-Agent: smtp-doctor\r\nAccept: text/plain\r\nConnection: close\r\n\r\n",
        report.host
    );
    if let Err(e) = tls.write_all(request.as_bytes()).await {
        report.problems.push(FetchProblem::BadResponse {
            reason: e.to_string(),
        });
        return;
    }
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_RESPONSE_BYTES + 1).unwrap_or(u64::MAX);
    // A server that closes without close_notify still sent its whole (Content-Length) body.
    if let Err(e) = (&mut tls).take(limit).read_to_end(&mut bytes).await {
        if bytes.is_empty() || e.kind() != std::io::ErrorKind::UnexpectedEof {
            report.problems.push(FetchProblem::BadResponse {
                reason: e.to_string(),
            });
            return;
        }
    }
    if bytes.len() > MAX_RESPONSE_BYTES {
        report.problems.push(FetchProblem::TooLarge {
            limit: MAX_RESPONSE_BYTES,
        });
        return;
    }
    let response = match parse_response(&bytes) {
        Ok(r) => r,
        Err(e) => {
            report.problems.push(FetchProblem::BadResponse {
                reason: e.to_string(),
            });
            return;
        }
    };
    report.status = Some(response.status);
    report.content_type = response.header("content-type").map(str::to_string);
    if (300..400).contains(&response.status) {
        report.problems.push(FetchProblem::Redirect {
            status: response.status,
            location: response.header("location").map(str::to_string),
        });
        return;
    }
    if response.status != 200 {
        report.problems.push(FetchProblem::Status {
            status: response.status,
        });
        return;
    }
    let media = report
        .content_type
        .as_deref()
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    if media.as_deref() != Some("text/plain") {
        report.problems.push(FetchProblem::ContentType {
            found: report.content_type.clone().unwrap_or_default(),
        });
        return;
    }
    match std::str::from_utf8(&response.body)
        .map_err(|_| "the policy is not UTF-8 text".to_string())
        .and_then(|t| parse_policy(t).map_err(|e| e.to_string()))
    {
        Ok(parsed) => report.policy = Some(parsed.policy),
        Err(error) => report.problems.push(FetchProblem::BadPolicy { error }),
    }
}

impl FetchReport {
    /// Matches the MX hosts (`mx::check`'s exchangers) against the policy's `mx` patterns and
    /// adds [`FetchProblem::MxNotCovered`] for those that match none (in `enforce` mode senders
    /// refuse to deliver to them; in `testing` mode they report it). Without a policy, or with
    /// mode `none`, it does nothing.
    pub fn check_mx(&mut self, mx: &crate::mx::MxReport) {
        let Some(policy) = &self.policy else { return };
        if policy.mode == StsMode::None {
            return;
        }
        let hosts: Vec<String> = mx
            .exchangers
            .iter()
            .map(|e| e.host.name.clone())
            .filter(|h| !policy.matches(h))
            .collect();
        if !hosts.is_empty() {
            self.problems.push(FetchProblem::MxNotCovered {
                mode: policy.mode,
                hosts,
                patterns: policy.mx.clone(),
            });
        }
    }

    /// One piece of evidence per problem, for the classifier.
    pub fn evidence(&self) -> Vec<Evidence> {
        self.problems
            .iter()
            .map(|p| dns_evidence(Some(Stage::Tls), &self.sentence(p)))
            .collect()
    }

    /// The plain sentence that states `problem` with its facts.
    fn sentence(&self, problem: &FetchProblem) -> String {
        let (d, u) = (&self.domain, &self.url);
        let senders = "senders that know the domain's MTA-STS record cannot get its policy";
        match problem {
            FetchProblem::NoAddress { a, aaaa } => format!(
                "the MTA-STS policy host {} has no address (A: {a}, AAAA: {aaaa}): {senders}",
                self.host
            ),
            FetchProblem::ConnectFailed {
                address,
                port,
                error,
            } => format!(
                "the MTA-STS policy fetch could not connect to {address} port {port} of {} ({error}): {senders}",
                self.host
            ),
            FetchProblem::Certificate { problem, reason } => format!(
                "the MTA-STS policy server {} presents a certificate that does not verify ({}: {reason}): RFC 8461 section 3.3 requires a valid certificate for the policy host, so {senders}",
                self.host,
                cert_words(*problem)
            ),
            FetchProblem::TlsFailed { reason } => format!(
                "the TLS handshake with the MTA-STS policy server {} failed ({reason}): {senders}",
                self.host
            ),
            FetchProblem::Timeout { limit_ms } => format!(
                "the MTA-STS policy fetch of {u} did not finish within {limit_ms} ms: {senders}"
            ),
            FetchProblem::BadResponse { reason } => format!(
                "the MTA-STS policy server for {d} did not give an HTTP response ({reason}): {senders}"
            ),
            FetchProblem::Redirect { status, location } => format!(
                "the MTA-STS policy fetch of {u} got a redirect (HTTP {status}{}): RFC 8461 section 3.3 forbids following redirects, so {senders}",
                location.as_deref().map(|l| format!(" to {l}")).unwrap_or_default()
            ),
            FetchProblem::Status { status } => format!(
                "the MTA-STS policy fetch of {u} got HTTP {status} instead of 200 OK: {senders}"
            ),
            FetchProblem::ContentType { found } => format!(
                "the MTA-STS policy at {u} is served as {}, not text/plain (RFC 8461 section 3.3): {senders}",
                if found.is_empty() { "no Content-Type" } else { found }
            ),
            FetchProblem::TooLarge { limit } => format!(
                "the MTA-STS policy response from {u} is over {limit} bytes: {senders}"
            ),
            FetchProblem::BadPolicy { error } => format!(
                "the MTA-STS policy at {u} does not parse ({error}): {senders}"
            ),
            FetchProblem::MxNotCovered {
                mode,
                hosts,
                patterns,
            } => format!(
                "the MX host{} {} of {d} match{} none of the MTA-STS policy's mx patterns ({}), mode {mode}: {}",
                if hosts.len() == 1 { "" } else { "s" },
                join_names(hosts),
                if hosts.len() == 1 { "es" } else { "" },
                join_names(patterns),
                if *mode == StsMode::Enforce {
                    "senders that apply the policy refuse to deliver to them (RFC 8461 section 4.1)"
                } else {
                    "senders report the failure and deliver anyway (RFC 8461 section 5)"
                }
            ),
        }
    }
}

/// The kind of certificate problem in a sentence.
fn cert_words(kind: CertProblemKind) -> &'static str {
    match kind {
        CertProblemKind::Expired => "expired",
        CertProblemKind::NotYetValid => "not yet valid",
        CertProblemKind::NameMismatch => "issued for another name",
        CertProblemKind::SelfSigned => "self-signed",
        CertProblemKind::UnknownIssuer => "issued by an untrusted CA",
        CertProblemKind::BadSignature => "bad signature",
        CertProblemKind::Revoked => "revoked",
        CertProblemKind::InvalidPurpose => "not for server authentication",
        _ => "rejected",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_responses() {
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nokTRAILING",
        )
        .expect("response");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("text/plain"));
        assert_eq!(r.body, b"ok");
        let r = parse_response(b"HTTP/1.0 404 Not Found\n\nbody to close").expect("bare LF");
        assert_eq!((r.status, r.body.as_slice()), (404, &b"body to close"[..]));
        assert_eq!(
            parse_response(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
            ),
            Err(HttpError::Chunked)
        );
        assert_eq!(
            parse_response(b"SSH-2.0-OpenSSH\r\n\r\n"),
            Err(HttpError::BadStatusLine)
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 20 OK\r\n\r\n"),
            Err(HttpError::BadStatusLine)
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\nbroken\r\n\r\n"),
            Err(HttpError::BadHeader)
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort"),
            Err(HttpError::BadLength)
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\n"),
            Err(HttpError::NoHeadEnd)
        );
    }
}
