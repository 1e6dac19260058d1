//! The live SMTP probe of smtp-doctor (`check`).
//!
//! [`probe`] walks resolve → connect → banner → EHLO (HELO fallback) → STARTTLS or implicit TLS →
//! EHLO → AUTH → MAIL FROM → RCPT TO → DATA or RSET → QUIT against every address of a
//! [`Target`], each stage under its own deadline and all of them under the total deadline, and
//! records everything as a [`ProbeReport`]: the stages
//! with their timings, replies and errors as data, a transcript with secrets redacted, the TLS
//! session and certificate chain, the banner and EHLO capabilities.
//!
//! The probe never classifies: [`evidence`] turns an attempt into
//! [`Evidence`](smtp_doctor_model::Evidence) for the one classifier in `smtp-doctor-kb`.
//!
//! Every read is bounded (line, reply, transcript; see [`Bounds`]) and every wait has a deadline.
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod banner;
mod clock;
mod evidence;
mod options;
mod resolve;
mod session;
mod target;
mod tls;

pub use evidence::{evidence, resolution_evidence};
pub use options::{Auth, AuthMechanism, Bounds, IpVersion, ProbeOptions, Timeouts, TlsPolicy};
pub use target::{Target, TargetError};

use smtp_doctor_model::probe::{ProbeReport, TlsMode};
use std::net::{IpAddr, SocketAddr};
use tokio::time::Instant;

/// Probes `target`: resolves it, then holds one conversation per address (the first address of
/// each mail host, or every address with [`ProbeOptions::all_ips`]), within the total deadline.
pub async fn probe(target: &Target, opts: &ProbeOptions) -> ProbeReport {
    let origin = Instant::now();
    let deadline = origin + opts.timeouts.total;
    let resolve_deadline = (origin + opts.timeouts.resolve).min(deadline);
    let mut resolution = resolve::resolve(target, opts, resolve_deadline).await;
    resolution.start_ms = 0;
    resolution.duration_ms = session::ms(origin.elapsed());

    let port = target
        .port()
        .or(opts.port)
        .unwrap_or(if opts.tls == TlsPolicy::Implicit {
            465
        } else {
            25
        });
    let tls_mode = match opts.tls {
        TlsPolicy::Implicit => TlsMode::Implicit,
        TlsPolicy::Auto if port == 465 => TlsMode::Implicit,
        TlsPolicy::Auto | TlsPolicy::StartTls => TlsMode::StartTls,
        TlsPolicy::None => TlsMode::None,
    };
    let rcpts: Vec<String> = if opts.to.is_empty() {
        target.recipient().into_iter().collect()
    } else {
        opts.to.clone()
    };

    let mut attempts = Vec::new();
    'hosts: for host in &resolution.mx {
        let addresses = host
            .addresses
            .iter()
            .filter(|a| family_ok(**a, opts.ip_version))
            .take(if opts.all_ips { usize::MAX } else { 1 });
        for ip in addresses {
            if Instant::now() >= deadline {
                break 'hosts;
            }
            let addr = SocketAddr::new(*ip, port);
            let session = session::Session::new(opts, &host.name, addr, tls_mode, origin, deadline);
            attempts.push(session.run(&rcpts).await);
        }
    }
    ProbeReport {
        target: target.to_string(),
        resolution,
        attempts,
    }
}

fn family_ok(ip: IpAddr, version: IpVersion) -> bool {
    match version {
        IpVersion::Any => true,
        IpVersion::V4 => ip.is_ipv4(),
        IpVersion::V6 => ip.is_ipv6(),
    }
}
