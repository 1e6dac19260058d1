//! A local HTTPS server for MTA-STS policy tests (127.0.0.1, a free port, a certificate from
//! the probe tests' CA), shared by the dnsauth fetch tests and the CLI's `dns` and `mta` tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../probe/tests/common/mod.rs"]
pub mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tls::{acceptor, serve, Identity, Pki};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A server answering every request with `response` after `delay`, over TLS as `id`.
pub async fn https(id: &Identity, response: Vec<u8>, delay: Duration) -> SocketAddr {
    let tls = acceptor(id);
    serve(move |tcp| {
        let (tls, response) = (tls.clone(), response.clone());
        async move {
            let Ok(mut s) = tls.accept(tcp).await else {
                return;
            };
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 8192 {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            tokio::time::sleep(delay).await;
            let _ = s.write_all(&response).await;
            let _ = s.shutdown().await;
        }
    })
    .await
}

/// An HTTP/1.1 response with `status`, `headers` (each ending in CRLF), a `Content-Length` and
/// `body`.
pub fn response(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// A policy for lab.test that covers its three mail hosts.
pub const GOOD_POLICY: &str =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.lab.test\r\nmx: *.lab.test\r\nmax_age: 86400\r\n";

/// An HTTPS server for mta-sts.lab.test on 127.0.0.1 and the CA file that trusts it.
pub struct PolicyServer {
    _rt: tokio::runtime::Runtime,
    /// The port it listens on (127.0.0.1).
    pub port: String,
    /// The file of the CA that signed its certificate.
    pub ca: PathBuf,
}

impl PolicyServer {
    /// Serves `policy` as text/plain; `name` names the CA file.
    pub fn new(policy: &str, name: &str) -> PolicyServer {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let pki = Pki::new();
        let id = pki.leaf(&["mta-sts.lab.test"], false);
        let reply = response("200 OK", "Content-Type: text/plain\r\n", policy.as_bytes());
        let addr = rt.block_on(https(&id, reply, Duration::ZERO));
        static SERIAL: AtomicUsize = AtomicUsize::new(0);
        let ca = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "dns-{name}-ca-{}-{}.pem",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&ca, &pki.ca_pem).expect("CA file");
        PolicyServer {
            _rt: rt,
            port: addr.port().to_string(),
            ca,
        }
    }

    /// `--mta-sts-port PORT --ca FILE`.
    pub fn args(&self) -> [&str; 4] {
        [
            "--mta-sts-port",
            &self.port,
            "--ca",
            self.ca.to_str().expect("UTF-8 path"),
        ]
    }
}

impl Drop for PolicyServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca);
    }
}
