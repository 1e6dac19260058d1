//! `smtp-doctor completions SHELL` and `smtp-doctor man`: shell completions and manual pages,
//! generated from the clap definitions so that they never drift from the binary.

use crate::{Cli, EXIT_OK};
use anyhow::{Context, Result};
use clap::CommandFactory;
use std::io::Write;
use std::path::PathBuf;

/// `smtp-doctor completions` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// `smtp-doctor man` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct ManArgs {
    /// Write one page per command (smtp-doctor.1, smtp-doctor-check.1, ...) into this directory
    /// instead of printing smtp-doctor(1).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Prints the completion script for the shell.
pub(crate) fn completions(args: &CompletionsArgs) -> Result<u8> {
    // Rendered into memory first: clap_complete panics on a failed write, and a closed pipe
    // must end quietly.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "smtp-doctor", &mut script);
    if args.shell == clap_complete::Shell::Bash {
        script = bash_states_fixed(&script);
    }
    std::io::stdout().lock().write_all(&script)?;
    Ok(EXIT_OK)
}

/// Prints smtp-doctor(1), or writes every command's page into `--dir`.
pub(crate) fn man(args: &ManArgs) -> Result<u8> {
    match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(Cli::command(), dir)
                .with_context(|| format!("cannot write the pages into {}", dir.display()))?;
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut page)?;
            std::io::stdout().lock().write_all(&page)?;
        }
    }
    Ok(EXIT_OK)
}

/// The bash script with its case labels spelt as its dispatch loop spells the states.
///
/// clap_complete 4.6 escapes the hyphen of a bin name differently in the two places
/// (`smtp__doctor__subcmd__logs` in the loop, `smtp__subcmd__doctor__subcmd__logs` in the
/// labels), so nothing after a subcommand ever completed (clap-rs/clap#6421, fixed upstream
/// after 4.6.12). Harmless once the fix is released: the wrong spelling is then absent.
fn bash_states_fixed(script: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(script)
        .replace("smtp__subcmd__doctor", "smtp__doctor")
        .into_bytes()
}
