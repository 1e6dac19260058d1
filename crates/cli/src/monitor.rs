//! `smtp-doctor monitor --config FILE`: scheduled checks with a history and metrics.

use crate::{EXIT_ERROR, EXIT_OK};
use anyhow::Result;
use smtp_doctor_monitor::config::{ConfigError, MonitorConfig};
use std::path::PathBuf;

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
    anyhow::bail!("only --check-config is built so far")
}

/// The configuration, or `None` after every mistake in it was printed.
fn load(args: &Args) -> Option<MonitorConfig> {
    match MonitorConfig::load(&args.config) {
        Ok(config) => {
            for w in &config.warnings {
                eprintln!(
                    "{}:{}:{}: warning: {}",
                    config.path.display(),
                    w.line,
                    w.column,
                    w.message
                );
            }
            Some(config)
        }
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
