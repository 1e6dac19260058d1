//! The accept loop shared by every scenario, the connection type and the bounded I/O helpers.

use crate::certs::{CertKind, Certs};
use crate::scenarios::{Behaviour, Spec};
use crate::{faults, smtp, LabOptions};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::timeout;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a closing server keeps reading (and dropping) what the client still sends, so the
/// client reads the last reply instead of a reset.
const LINGER: Duration = Duration::from_secs(2);
/// How many bytes a closing server reads and drops at most.
const LINGER_BYTES: usize = 64 * 1024;

/// What every connection of the lab shares.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) options: LabOptions,
    pub(crate) certs: Certs,
    queue_ids: AtomicU64,
}

impl Ctx {
    pub(crate) fn new(options: LabOptions, certs: Certs) -> Ctx {
        Ctx {
            options,
            certs,
            queue_ids: AtomicU64::new(1),
        }
    }

    /// A fresh queue id for an accepted message.
    pub(crate) fn queue_id(&self) -> u64 {
        self.queue_ids.fetch_add(1, Ordering::Relaxed)
    }

    /// The acceptor presenting the `kind` certificate.
    pub(crate) fn acceptor(&self, kind: CertKind) -> TlsAcceptor {
        TlsAcceptor::from(self.certs.config(kind))
    }
}

/// Accepts connections for one scenario until aborted; each connection runs in a task owned by
/// this one, so aborting the listener task ends them all.
pub(crate) async fn serve(listener: TcpListener, spec: Arc<Spec>, ctx: Arc<Ctx>) {
    let mut conns: JoinSet<()> = JoinSet::new();
    loop {
        tokio::select! {
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((tcp, _peer)) => {
                    if conns.len() >= ctx.options.max_connections {
                        // Over the cap: close at once rather than queue.
                        drop(tcp);
                        continue;
                    }
                    let _ = tcp.set_nodelay(true);
                    let lifetime = ctx.options.connection_lifetime;
                    let (spec, ctx) = (Arc::clone(&spec), Arc::clone(&ctx));
                    conns.spawn(async move {
                        // Errors and the lifetime cap both just end the connection.
                        let _ = timeout(lifetime, handle(tcp, &spec, &ctx)).await;
                    });
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
}

/// Runs one connection according to the scenario's behaviour.
async fn handle(tcp: TcpStream, spec: &Spec, ctx: &Ctx) -> io::Result<()> {
    match &spec.behaviour {
        Behaviour::Smtp(dialogue) => smtp::run(Io::Plain(tcp), dialogue, ctx).await,
        Behaviour::ImplicitTls(dialogue) => {
            let accept = ctx.acceptor(CertKind::Good).accept(tcp);
            let tls = timeout(ctx.options.command_timeout, accept)
                .await
                .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
            smtp::run(Io::Tls(Box::new(tls)), dialogue, ctx).await
        }
        Behaviour::Silent => faults::silent(tcp).await,
        Behaviour::Close => {
            drop(tcp);
            Ok(())
        }
        Behaviour::Http => faults::http(Io::Plain(tcp)).await,
        Behaviour::Ssh => faults::ssh(Io::Plain(tcp), ctx).await,
        Behaviour::Garbage(bytes) => faults::garbage(Io::Plain(tcp), *bytes).await,
        Behaviour::Drip => faults::drip(Io::Plain(tcp), ctx).await,
        Behaviour::Reset => faults::reset(tcp).await,
    }
}

/// A connection, before or after TLS.
pub(crate) enum Io {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP (implicit or after STARTTLS).
    Tls(Box<TlsStream<TcpStream>>),
}

impl Io {
    /// Reads some bytes; 0 at end of stream.
    pub(crate) async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Io::Plain(s) => s.read(buf).await,
            Io::Tls(s) => s.read(buf).await,
        }
    }

    /// Writes all of `bytes` and flushes.
    pub(crate) async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Io::Plain(s) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
            Io::Tls(s) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
        }
    }

    /// Ends the connection gracefully: shuts down the sending side (close_notify under TLS),
    /// then reads and drops what the client still sends, bounded by [`LINGER`] and
    /// [`LINGER_BYTES`], so that the client reads the last reply instead of a reset.
    pub(crate) async fn close(mut self) -> io::Result<()> {
        let _ = match &mut self {
            Io::Plain(s) => s.shutdown().await,
            Io::Tls(s) => s.shutdown().await,
        };
        let mut drained = 0;
        let mut buf = [0u8; 4096];
        let drain = async {
            while drained < LINGER_BYTES {
                match self.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => drained += n,
                }
            }
        };
        let _ = timeout(LINGER, drain).await;
        Ok(())
    }
}
