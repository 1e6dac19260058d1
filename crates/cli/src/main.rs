//! `smtp-doctor`: finds out why mail does not go through, and says what to do about it.
//!
//! A thin shell: parse the command line, call the library crates, render, map to an exit code.

mod bounce;
mod check;
mod config;
mod demo;
mod dns;
mod docs;
mod explain;
mod input;
mod lab;
mod logs;
mod monitor;
mod parallel;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::process::ExitCode;

/// mimalloc rather than the system allocator: a diagnosis makes a handful of small allocations,
/// and glibc's malloc and free were a tenth of `explain --file`'s time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code: nothing wrong (every message reports success).
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code: at least one problem was diagnosed.
pub(crate) const EXIT_PROBLEMS: u8 = 1;
/// Exit code: usage or input error; the tool could not do its job.
pub(crate) const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "smtp-doctor",
    version,
    about = "Finds out why mail does not go through, and says what to do about it."
)]
struct Cli {
    /// When to colour the output (NO_COLOR is honoured under auto).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,
    /// More diagnostics on stderr: -v what each step did, -vv every line exchanged (secrets redacted).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Explain a reply code, an enhanced status code or an error message.
    Explain(explain::Args),
    /// Probe a mail server live: every stage timed, the transcript, TLS, and a diagnosis.
    Check(Box<check::Args>),
    /// Check a mail domain's DNS: SPF (include tree, lookup limits, --ip), DMARC, DKIM, MTA-STS, TLS-RPT.
    Dns(dns::Args),
    /// Decode bounce files (DSNs, vendor NDRs), auto-replies and feedback reports, per recipient.
    Bounce(bounce::Args),
    /// Summarise mail logs (Postfix, Exim, Sendmail, OpenSMTPD): totals, failures by cause, domain, code and relay; traces.
    Logs(logs::Args),
    /// Run checks on a schedule from monitor.toml, with a history and Prometheus metrics.
    Monitor(monitor::Args),
    /// Serve the built-in fault lab on 127.0.0.1 until Ctrl-C or end of input.
    Lab(lab::Args),
    /// Start the built-in fault lab and diagnose every scenario with `check`; needs no set-up.
    Demo,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(docs::CompletionsArgs),
    /// Print the manual page, or write one page per command into a directory.
    Man(docs::ManArgs),
}

fn main() -> ExitCode {
    let (cmd, config_file) = match config::apply(Cli::command()) {
        Ok(applied) => applied,
        Err(e) => {
            eprintln!("smtp-doctor: error: {e:#}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let parsed = cmd
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            let shown = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
            let _ = e.print();
            if let (false, Some(file)) = (shown, config_file) {
                eprintln!("note: option defaults were read from {}", file.display());
            }
            return ExitCode::from(if shown { EXIT_OK } else { EXIT_ERROR });
        }
    };
    let colour = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stdout().is_terminal() && no_color_unset(),
    };
    init_logging(&cli);
    let result = match cli.command {
        Command::Explain(args) => explain::run(&args, colour),
        Command::Check(args) => check::run(&args, colour),
        Command::Dns(args) => dns::run(&args, colour),
        Command::Bounce(args) => bounce::run(&args, colour),
        Command::Logs(args) => logs::run(&args, colour),
        Command::Monitor(args) => monitor::run(&args),
        Command::Lab(args) => lab::run(&args),
        Command::Demo => demo::run(colour),
        Command::Completions(args) => docs::completions(&args),
        Command::Man(args) => docs::man(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("smtp-doctor: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// True when the error chain is a closed pipe (`smtp-doctor ... | head`): not a failure.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Diagnostics to stderr through tracing: warnings by default, `-q` errors only, `-v` info and
/// debug, `-vv` trace. Coloured under the same rule as the output, judged for stderr.
fn init_logging(cli: &Cli) {
    use tracing_subscriber::filter::LevelFilter;
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => LevelFilter::ERROR,
        (false, 0) => LevelFilter::WARN,
        (false, 1) => LevelFilter::DEBUG,
        (false, _) => LevelFilter::TRACE,
    };
    let ansi = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stderr().is_terminal() && no_color_unset(),
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .init();
}

/// True when NO_COLOR is unset or empty (<https://no-color.org>).
fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
