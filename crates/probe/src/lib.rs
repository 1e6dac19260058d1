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

mod banner;
mod clock;
mod evidence;
mod options;
mod resolve;
mod session;
mod target;
mod tls;

pub use evidence::{evidence, observations, resolution_evidence};
pub use options::{Auth, AuthMechanism, Bounds, IpVersion, ProbeOptions, Timeouts, TlsPolicy};
pub use target::{Target, TargetError};

use smtp_doctor_model::probe::{Attempt, HostOrigin, ProbeReport, PtrInfo, TlsMode};
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
    tracing::debug!(
        target = %target,
        hosts = resolution.mx.len(),
        ms = resolution.duration_ms,
        "resolved"
    );

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
        let mail_domain = match (host.origin, target) {
            (
                HostOrigin::Mx | HostOrigin::ImplicitMx,
                Target::Domain { name } | Target::Address { domain: name, .. },
            ) => Some(name.clone()),
            _ => None,
        };
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
            // The PTR lookup runs beside the conversation, under the resolve deadline.
            let ptr_deadline = (Instant::now() + opts.timeouts.resolve).min(deadline);
            let (attempt, ptr) = tokio::join!(
                session.run(&rcpts),
                resolve::reverse(*ip, opts, ptr_deadline)
            );
            let mut attempt = with_ptr(attempt, ptr);
            attempt.mail_domain = mail_domain.clone();
            tracing::debug!(
                addr = %addr,
                outcome = ?attempt.outcome,
                ms = attempt.duration_ms,
                "attempt ended"
            );
            attempts.push(attempt);
        }
    }
    ProbeReport {
        target: target.to_string(),
        resolution,
        attempts,
    }
}

/// The reverse DNS of `ip` as [`probe`] looks it up for each address it connects to: through
/// [`ProbeOptions::dns_server`] (or the system's resolver), within [`Timeouts::resolve`]. A
/// loopback address is not looked up (RFC 6761 calls it `localhost`).
pub async fn reverse_lookup(ip: IpAddr, opts: &ProbeOptions) -> PtrInfo {
    resolve::reverse(ip, opts, Instant::now() + opts.timeouts.resolve).await
}

/// Puts the PTR names beside the banner's name and compares them.
fn with_ptr(mut attempt: Attempt, ptr: PtrInfo) -> Attempt {
    if let Some(banner) = &mut attempt.banner {
        banner.matches_ptr = match (&banner.hostname, ptr.source) {
            (Some(name), smtp_doctor_model::probe::PtrSource::Dns) if !ptr.names.is_empty() => {
                let name = name.trim_end_matches('.');
                Some(ptr.names.iter().any(|n| n.eq_ignore_ascii_case(name)))
            }
            _ => None,
        };
        banner.ptr = Some(ptr);
    }
    attempt
}

fn family_ok(ip: IpAddr, version: IpVersion) -> bool {
    match version {
        IpVersion::Any => true,
        IpVersion::V4 => ip.is_ipv4(),
        IpVersion::V6 => ip.is_ipv6(),
    }
}
