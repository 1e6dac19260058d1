//! A local HTTPS server for MTA-STS policy tests (127.0.0.1, a free port, a certificate from
//! the probe tests' CA), shared by the dnsauth fetch tests and the CLI's `dns` tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../probe/tests/common/mod.rs"]
pub mod tls;

use std::net::SocketAddr;
use std::time::Duration;
use tls::{acceptor, serve, Identity};
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
