//! The smtp-doctor fault lab: in-process fake SMTP servers on loopback.
//!
//! Each [`Scenario`] is one small server bound to `127.0.0.1` (or `::1`: [`LabOptions::address`])
//! port 0 (or fixed ports: [`LabOptions::base_port`]), showing one fault that a real server cannot
//! easily be made to show: silence, a close at once, an HTTP or SSH service, the
//! wrong TLS mode, a 421 greeting, a tarpit, greylisting, refused recipients, AUTH required,
//! broken STARTTLS, bad certificates, a multi-line banner, garbage and bare-LF replies. Each
//! scenario names the diagnosis a correct probe reaches ([`Scenario::expect`], a TAXONOMY
//! category) and how the client should connect ([`ClientTls`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), smtp_doctor_lab::LabError> {
//! let lab = smtp_doctor_lab::Lab::start().await?;
//! for s in lab.scenarios() {
//!     println!("{:<18} {:<22} {:?} expect {}", s.name, s.addr, s.tls, s.expect);
//! }
//! let _trust_this = lab.ca_pem();
//! lab.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The healthy family (everything that speaks SMTP) is one state machine (module `smtp`),
//! parametrised per scenario by a `Dialogue`; the other services are a few lines each (`faults`). Every
//! server is bounded: at most [`LabOptions::max_connections`] connections per scenario (further
//! ones are closed at once), a lifetime cap per connection, a timeout and a byte cap on every read.
//!
//! Must be started inside a tokio runtime (any flavour). Dropping the [`Lab`] aborts every server
//! task; [`Lab::shutdown`] also waits until every listener is closed.
#![forbid(unsafe_code)]
// Nothing that came off the wire may panic.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod certs;
mod faults;
mod scenarios;
mod server;
mod smtp;

use smtp_doctor_model::Category;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// The host name every lab server calls itself; the good certificate is valid for it, for
/// `localhost`, `127.0.0.1` and `::1`. `.invalid` never resolves (RFC 2606), so nothing leaves the host.
pub const LAB_HOSTNAME: &str = "mx.lab.invalid";
/// The name the wrong-name certificate is issued for instead.
pub const WRONG_NAME: &str = "wrong-name.lab.invalid";
/// The AUTH user name the lab accepts (the same as the real-MTA lab's).
pub const LAB_USER: &str = "lab";
/// The AUTH password the lab accepts.
pub const LAB_PASSWORD: &str = "labpass";
/// The largest message the lab accepts, advertised as `SIZE`.
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;
/// How many printable bytes the `garbage` scenario sends before it closes.
pub const GARBAGE_BYTES: usize = 10 * 1024 * 1024;
/// How many printable bytes the `flood` scenario sends before it closes.
pub const FLOOD_BYTES: usize = 100 * 1024 * 1024;
/// How many continuation lines the `ehlo-flood` scenario's EHLO reply has.
pub const EHLO_FLOOD_LINES: usize = 100_000;

/// How the client should connect to a scenario, i.e. what the port claims to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientTls {
    /// Plain SMTP, no TLS (what port 25 without STARTTLS looks like).
    Plain,
    /// Plain SMTP, then STARTTLS (ports 25 and 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
}

impl ClientTls {
    /// The name used by `--tls` (`none`, `starttls`, `implicit`).
    pub fn as_str(self) -> &'static str {
        match self {
            ClientTls::Plain => "none",
            ClientTls::StartTls => "starttls",
            ClientTls::Implicit => "implicit",
        }
    }
}

impl std::fmt::Display for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One running lab server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// Stable name, e.g. `greylist`; see [`Lab::names`].
    pub name: &'static str,
    /// One line saying what the server does.
    pub description: &'static str,
    /// Where it listens (127.0.0.1, a port chosen by the system).
    pub addr: SocketAddr,
    /// How the client should connect.
    pub tls: ClientTls,
    /// The diagnosis a correct probe reaches, as a TAXONOMY category.
    pub expect: Category,
    /// Other diagnoses that are also right (issue 4: a tarpit is `bannerfailure` or
    /// `connectiontimeout`, depending on the probe's banner timeout); usually empty.
    pub also: &'static [Category],
}

impl Scenario {
    /// True when `category` is a right diagnosis for this scenario.
    pub fn accepts(&self, category: Category) -> bool {
        self.expect == category || self.also.contains(&category)
    }
}

/// Limits and pacing of the lab's servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabOptions {
    /// Start only these scenarios (by name); `None` starts all.
    pub only: Option<Vec<String>>,
    /// Most concurrent connections per scenario; further ones are closed right after accept.
    pub max_connections: usize,
    /// Longest a connection may live on the server side, whatever the client does.
    pub connection_lifetime: Duration,
    /// Longest the server waits for a command line, a DATA line or a TLS handshake.
    pub command_timeout: Duration,
    /// Delay between the tarpit banner's bytes.
    pub tarpit_interval: Duration,
    /// Delay between the `drip` scenario's greeting lines.
    pub drip_interval: Duration,
    /// The loopback address every server listens on (`127.0.0.1`, or `::1` for IPv6).
    pub address: IpAddr,
    /// The port of the first started scenario, the next ones on the ports after it; `None`:
    /// ports chosen by the system.
    pub base_port: Option<u16>,
}

impl Default for LabOptions {
    fn default() -> Self {
        LabOptions {
            only: None,
            max_connections: 16,
            connection_lifetime: Duration::from_secs(120),
            command_timeout: Duration::from_secs(60),
            tarpit_interval: Duration::from_secs(1),
            drip_interval: Duration::from_secs(1),
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: None,
        }
    }
}

/// Why the lab could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    /// A scenario name that the lab does not have.
    #[error("no lab scenario is called {0:?} (known: {known})", known = Lab::names().join(", "))]
    UnknownScenario(String),
    /// Binding a loopback listener failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address and port.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The address asked for is not a loopback address: the lab serves nothing beyond the host.
    #[error("{0} is not a loopback address: the lab listens on loopback only")]
    NotLoopback(IpAddr),
    /// The ports from `base_port` on run past 65535.
    #[error("not enough ports from {0} for every scenario")]
    PortRange(u16),
    /// Generating a lab certificate failed.
    #[error("cannot generate the lab certificates: {0}")]
    Certificate(#[from] rcgen::Error),
    /// Building a TLS configuration failed.
    #[error("cannot build the lab TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
}

/// The running lab: every started scenario's server, and the CA that signed their certificates.
///
/// Dropping it aborts every server; [`Lab::shutdown`] waits for that.
#[derive(Debug)]
pub struct Lab {
    scenarios: Vec<Scenario>,
    ca_pem: String,
    ca_der: Vec<u8>,
    tasks: JoinSet<()>,
}

impl Lab {
    /// Starts every scenario with the default [`LabOptions`].
    pub async fn start() -> Result<Lab, LabError> {
        Lab::start_with(LabOptions::default()).await
    }

    /// Starts only the named scenarios (default options otherwise).
    pub async fn start_only(names: &[&str]) -> Result<Lab, LabError> {
        Lab::start_with(LabOptions {
            only: Some(names.iter().map(|n| n.to_string()).collect()),
            ..LabOptions::default()
        })
        .await
    }

    /// Starts the scenarios `options.only` names (all when `None`), in [`Lab::names`] order.
    pub async fn start_with(options: LabOptions) -> Result<Lab, LabError> {
        let specs = scenarios::all();
        if let Some(only) = &options.only {
            if let Some(unknown) = only.iter().find(|n| !specs.iter().any(|s| s.name == *n)) {
                return Err(LabError::UnknownScenario(unknown.clone()));
            }
        }
        if !options.address.is_loopback() {
            return Err(LabError::NotLoopback(options.address));
        }
        let certs = certs::Certs::generate()?;
        let ca_pem = certs.ca_pem.clone();
        let ca_der = certs.ca_der.clone();
        let ctx = Arc::new(server::Ctx::new(options.clone(), certs));
        let mut scenarios = Vec::new();
        let mut listeners = Vec::new();
        for spec in specs {
            if let Some(only) = &options.only {
                if !only.iter().any(|n| n == spec.name) {
                    continue;
                }
            }
            let port = match options.base_port {
                Some(base) => u16::try_from(listeners.len())
                    .ok()
                    .and_then(|n| base.checked_add(n))
                    .ok_or(LabError::PortRange(base))?,
                None => 0,
            };
            let want = SocketAddr::new(options.address, port);
            let bind_error = |source| LabError::Bind { addr: want, source };
            let listener = TcpListener::bind(want).await.map_err(bind_error)?;
            let addr = listener.local_addr().map_err(bind_error)?;
            scenarios.push(Scenario {
                name: spec.name,
                description: spec.description,
                addr,
                tls: spec.tls,
                expect: spec.expect,
                also: spec.also,
            });
            listeners.push((listener, spec));
        }
        let mut tasks = JoinSet::new();
        for (listener, spec) in listeners {
            tasks.spawn(server::serve(listener, Arc::new(spec), Arc::clone(&ctx)));
        }
        Ok(Lab {
            scenarios,
            ca_pem,
            ca_der,
            tasks,
        })
    }

    /// Every scenario name, in the order the lab starts and lists them.
    pub fn names() -> Vec<&'static str> {
        scenarios::all().iter().map(|s| s.name).collect()
    }

    /// The running scenarios, in [`Lab::names`] order.
    pub fn scenarios(&self) -> &[Scenario] {
        &self.scenarios
    }

    /// The running scenario called `name`, if it was started.
    pub fn scenario(&self, name: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.name == name)
    }

    /// The lab CA certificate (PEM) that signed the good, expired and wrong-name certificates.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The lab CA certificate (DER).
    pub fn ca_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// Stops every server and connection, and returns once every listener is closed.
    pub async fn shutdown(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}
