//! TLS: the client configuration, a verifier that records its verdict, and the chain as data.

use crate::clock::rfc3339;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use smtp_doctor_dnsauth::dane;
use smtp_doctor_model::probe::{CertInfo, CertProblem, CertProblemKind};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// What the verifier saw during one handshake.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// The chain presented, leaf first.
    pub(crate) chain: Vec<CertificateDer<'static>>,
    /// The verdict; `None` when the verifier was never called.
    pub(crate) verdict: Option<Result<(), rustls::Error>>,
}

/// A verifier that asks webpki, records the verdict and the chain, and with `insecure` accepts
/// a certificate webpki refused (signatures are still checked).
#[derive(Debug)]
pub(crate) struct RecordingVerifier {
    inner: Result<Arc<WebPkiServerVerifier>, String>,
    provider: Arc<CryptoProvider>,
    insecure: bool,
    seen: Arc<Mutex<Seen>>,
}

impl RecordingVerifier {
    pub(crate) fn seen(&self) -> MutexGuard<'_, Seen> {
        lock(&self.seen)
    }
}

fn lock(m: &Mutex<Seen>) -> MutexGuard<'_, Seen> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = match &self.inner {
            Ok(v) => v
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(|_| ()),
            Err(why) => Err(rustls::Error::General(why.clone())),
        };
        {
            let mut seen = lock(&self.seen);
            seen.chain = std::iter::once(end_entity.clone().into_owned())
                .chain(intermediates.iter().map(|c| c.clone().into_owned()))
                .collect();
            seen.verdict = Some(verdict.clone());
        }
        match verdict {
            Ok(()) => Ok(ServerCertVerified::assertion()),
            Err(_) if self.insecure => Ok(ServerCertVerified::assertion()),
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The client configuration for one handshake, with its recording verifier.
pub(crate) fn client_config(
    ca_pem: Option<&[u8]>,
    insecure: bool,
) -> (Arc<ClientConfig>, Arc<RecordingVerifier>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    match ca_pem {
        Some(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem).flatten() {
                // A certificate webpki cannot use as an anchor is skipped; with none left the
                // verifier reports that no trust anchors were loaded.
                let _ = roots.add(cert);
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    let inner = if roots.is_empty() {
        Err("no trusted CA certificates could be loaded".to_string())
    } else {
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| e.to_string())
    };
    let verifier = Arc::new(RecordingVerifier {
        inner,
        provider: provider.clone(),
        insecure,
        seen: Arc::default(),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|b| {
            b.dangerous()
                .with_custom_certificate_verifier(verifier.clone())
                .with_no_client_auth()
        });
    let config = match config {
        Ok(c) => c,
        // The ring provider supports the default versions; this arm is never taken, but a
        // panic is not an option either.
        Err(_) => ClientConfig::builder()
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth(),
    };
    (Arc::new(config), verifier)
}

/// The chain as data.
pub(crate) fn chain_info(chain: &[CertificateDer<'_>]) -> Vec<CertInfo> {
    chain.iter().map(|c| cert_info(c.as_ref())).collect()
}

fn cert_info(der: &[u8]) -> CertInfo {
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return CertInfo {
            subject: "(certificate could not be parsed)".to_string(),
            der: der.to_vec(),
            ..CertInfo::default()
        };
    };
    let subject = cert.subject().to_string();
    let issuer = cert.issuer().to_string();
    CertInfo {
        self_signed: subject == issuer,
        subject,
        issuer,
        serial: cert.raw_serial_as_string(),
        not_before: rfc3339(cert.validity().not_before.timestamp()),
        not_after: rfc3339(cert.validity().not_after.timestamp()),
        san: names(&cert, false),
        spki_sha256: dane::spki_sha256(der)
            .map(|d| dane::hex(&d))
            .unwrap_or_default(),
        der: der.to_vec(),
    }
}

/// The SAN DNS names and IPs; with `cn_fallback`, the subject CNs when there is no SAN.
fn names(cert: &X509Certificate<'_>, cn_fallback: bool) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => out.push((*d).to_string()),
                GeneralName::IPAddress(ip) => match ip.len() {
                    4 => {
                        let mut a = [0u8; 4];
                        a.copy_from_slice(ip);
                        out.push(std::net::Ipv4Addr::from(a).to_string());
                    }
                    16 => {
                        let mut a = [0u8; 16];
                        a.copy_from_slice(ip);
                        out.push(std::net::Ipv6Addr::from(a).to_string());
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
    if out.is_empty() && cn_fallback {
        out.extend(
            cert.subject()
                .iter_common_name()
                .filter_map(|cn| cn.as_str().ok().map(str::to_string)),
        );
    }
    out
}

/// The verifier's refusal as data, with the leaf's dates and names.
pub(crate) fn cert_problem(
    err: &rustls::Error,
    chain: &[CertificateDer<'_>],
    expected: &str,
) -> CertProblem {
    let leaf = chain
        .first()
        .and_then(|c| X509Certificate::from_der(c.as_ref()).ok().map(|(_, c)| c));
    let mut p = CertProblem {
        kind: CertProblemKind::Other,
        reason: err.to_string(),
        not_after: leaf
            .as_ref()
            .map(|c| rfc3339(c.validity().not_after.timestamp())),
        not_before: leaf
            .as_ref()
            .map(|c| rfc3339(c.validity().not_before.timestamp())),
        expected_name: Some(expected.to_string()),
        presented_names: leaf.as_ref().map(|c| names(c, true)).unwrap_or_default(),
    };
    let self_signed = chain.len() == 1
        && leaf
            .as_ref()
            .is_some_and(|c| c.subject().as_raw() == c.issuer().as_raw());
    p.kind = match err {
        rustls::Error::InvalidCertificate(ce) => {
            smtp_doctor_dnsauth::mtasts::fetch::cert_problem_kind(ce, self_signed)
        }
        rustls::Error::General(_) => CertProblemKind::NoTrustAnchors,
        _ => CertProblemKind::Other,
    };
    p
}

/// A stream that keeps the first bytes read from it, so a failed handshake can show what the
/// server sent instead of TLS.
#[derive(Debug)]
pub(crate) struct Recording<S> {
    inner: S,
    pub(crate) head: Vec<u8>,
}

/// How many bytes [`Recording`] keeps.
const HEAD: usize = 64;

impl<S> Recording<S> {
    pub(crate) fn new(inner: S) -> Self {
        Recording {
            inner,
            head: Vec::new(),
        }
    }

    /// The wrapped stream.
    pub(crate) fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Recording<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            let room = HEAD.saturating_sub(self.head.len());
            if room > 0 {
                let new = buf.filled().get(before..).unwrap_or_default();
                let take = new.len().min(room);
                let bytes = new.get(..take).unwrap_or_default().to_vec();
                self.head.extend_from_slice(&bytes);
            }
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recording<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    // rustls hands its queued records over as one vectored write: without this the default
    // would send them one syscall (one TCP segment) each, e.g. ChangeCipherSpec apart from
    // Finished, and a server then answers the next command a delayed ACK (~40 ms) late.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
