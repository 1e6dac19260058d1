//! `smtp-doctor monitor --config FILE`: scheduled checks with a history and metrics.

use crate::check::runtime;
use crate::{EXIT_ERROR, EXIT_OK, EXIT_PROBLEMS};
use anyhow::{Context, Result};
use smtp_doctor_monitor::alert;
use smtp_doctor_monitor::config::{ConfigError, MonitorConfig};
use smtp_doctor_monitor::schedule::Monitor;
use smtp_doctor_monitor::serve;
use smtp_doctor_monitor::store::{PgStore, RunRecord, SqliteStore, Store};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments of `monitor`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 every check ok, 1 a check failed (with --once), 2 a configuration or tool error."
)]
pub(crate) struct Args {
    /// The monitor's configuration (monitor.toml).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Validate the configuration, report every mistake with its line and column, and exit.
    #[arg(long)]
    check_config: bool,
    /// Run every check once, print a summary and exit with the worst status.
    #[arg(long, conflicts_with = "listen")]
    once: bool,
    /// Serve /metrics and /probe on this address (IP:PORT; port 0 picks one, printed).
    #[arg(long, value_name = "IP:PORT")]
    listen: Option<SocketAddr>,
    /// The history: a SQLite file, or postgres://USER@HOST:PORT/DB to share one history between
    /// monitors (default: the configuration's `store`, a SQLite file beside it).
    #[arg(long, value_name = "FILE|URL")]
    store: Option<String>,
}

/// Runs `monitor` and returns the exit code.
pub(crate) fn run(args: &Args) -> Result<u8> {
    let Some(config) = load(args) else {
        return Ok(EXIT_ERROR);
    };
    if args.check_config {
        println!(
            "{}: ok, {} check(s), {} alert channel(s), history in {}",
            config.path.display(),
            config.checks.len(),
            config.alerts.len(),
            config.store.display()
        );
        return Ok(EXIT_OK);
    }
    let store: Arc<dyn Store> = match args.store.as_deref() {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Arc::new(PgStore::connect(url).context("cannot open the PostgreSQL history")?)
        }
        given => {
            let path = given.map_or_else(|| config.store.clone(), PathBuf::from);
            Arc::new(
                SqliteStore::open(&path)
                    .with_context(|| format!("cannot open the history {}", path.display()))?,
            )
        }
    };
    let monitor = Arc::new(Monitor::new(&config, store)?);
    let rt = runtime()?;
    if args.once {
        let runs = rt.block_on(monitor.run_all_once())?;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        write_summary(&mut out, &config, &runs)?;
        out.flush()?;
        return Ok(if runs.iter().any(|r| r.status.is_failure()) {
            EXIT_PROBLEMS
        } else {
            EXIT_OK
        });
    }
    rt.block_on(async {
        // Alerts follow the schedule's runs; the task ends with the runtime.
        if !config.alerts.is_empty() {
            tokio::spawn(alert::run_alerts(
                Arc::clone(&monitor),
                config.alerts.clone(),
                config.remind,
            ));
        }
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match args.listen {
            Some(addr) => {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr}"))?;
                let bound = listener.local_addr()?;
                println!("listening on http://{bound}/metrics");
                std::io::stdout().flush()?;
                let (stop, stopped) = tokio::sync::watch::channel(false);
                let mut server_stop = stopped.clone();
                let server =
                    tokio::spawn(serve::serve(listener, Arc::clone(&monitor), async move {
                        let _ = server_stop.wait_for(|s| *s).await;
                    }));
                let mut schedule_stop = stopped;
                monitor
                    .run(async move {
                        tokio::select! {
                            () = shutdown => {}
                            _ = schedule_stop.wait_for(|s| *s) => {}
                        }
                    })
                    .await;
                let _ = stop.send(true);
                server.await?.context("the HTTP server failed")?;
            }
            None => monitor.run(shutdown).await,
        }
        anyhow::Ok(EXIT_OK)
    })
}

/// One line per check: its status, name, time, category and reason.
fn write_summary(
    out: &mut impl Write,
    config: &MonitorConfig,
    runs: &[Arc<RunRecord>],
) -> std::io::Result<()> {
    for spec in &config.checks {
        let run = runs.iter().find(|r| r.check == spec.name);
        match run {
            Some(r) => writeln!(
                out,
                "{:<9} {}  {} ms  {}{}",
                r.status.as_str(),
                spec.name,
                r.duration_ms,
                r.category.as_deref().unwrap_or("-"),
                r.reason
                    .as_deref()
                    .map(|why| format!("  {why}"))
                    .unwrap_or_default()
            )?,
            None => writeln!(out, "{:<9} {}", "not run", spec.name)?,
        }
    }
    let failed = runs.iter().filter(|r| r.status.is_failure()).count();
    writeln!(
        out,
        "{} check(s) run, {} ok, {failed} failing",
        runs.len(),
        runs.len() - failed
    )
}

/// The configuration, or `None` after every mistake in it was printed.
fn load(args: &Args) -> Option<MonitorConfig> {
    match MonitorConfig::load(&args.config) {
        Ok(config) => Some(config),
        Err(ConfigError::Invalid { path, problems }) => {
            for p in &problems {
                eprintln!(
                    "{}:{}:{}: error: {}",
                    path.display(),
                    p.line,
                    p.column,
                    p.message
                );
            }
            eprintln!(
                "smtp-doctor: error: {}: {} mistake(s)",
                path.display(),
                problems.len()
            );
            None
        }
        Err(e) => {
            eprintln!("smtp-doctor: error: {e}");
            None
        }
    }
}
