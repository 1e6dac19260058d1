//! A local HTTPS server for `mta-sts.lab.test` (dnsauth's policy test server, a certificate from
//! a test CA), for the tests that run the DNS checks of the lab's `lab.test`.
// Each test file uses only some of these.
#![allow(dead_code)]

#[path = "../../../dnsauth/tests/policy_server/mod.rs"]
mod policy_server;

use policy_server::tls::Pki;
use policy_server::{https, response};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A policy for lab.test that covers its three mail hosts.
pub(crate) const GOOD_POLICY: &str =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.lab.test\r\nmx: *.lab.test\r\nmax_age: 86400\r\n";

/// An HTTPS server for mta-sts.lab.test on 127.0.0.1 and the CA file that trusts it.
pub(crate) struct PolicyServer {
    _rt: tokio::runtime::Runtime,
    pub(crate) port: String,
    pub(crate) ca: PathBuf,
}

impl PolicyServer {
    /// Serves `policy` as text/plain; `name` names the CA file.
    pub(crate) fn new(policy: &str, name: &str) -> PolicyServer {
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
    pub(crate) fn args(&self) -> [&str; 4] {
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
