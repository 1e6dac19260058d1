//! `smtp-doctor explain`: one message (arguments or stdin) or one per line (`--file`).

use crate::input::{read_all_bounded, read_line_bounded};
use crate::{EXIT_OK, EXIT_PROBLEMS};
use anyhow::{bail, Context, Result};
use smtp_doctor_kb::{diagnose, MAX_TEXT};
use smtp_doctor_model::Diagnosis;
use smtp_doctor_render::{json, terminal, Palette};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::PathBuf;

/// Arguments of `explain`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 every message reports success (2xx/3xx), 1 a failure was diagnosed, 2 usage or input error."
)]
pub(crate) struct Args {
    /// The message: words are joined with spaces; `-` reads the whole of stdin as one message.
    text: Vec<String>,
    /// Read messages from FILE, one per non-empty line (`-` for stdin).
    #[arg(long, short = 'f', value_name = "FILE", conflicts_with = "text")]
    file: Option<PathBuf>,
    /// Print JSON (one object per message, JSON Lines) instead of text.
    #[arg(long)]
    json: bool,
}

/// Where the messages come from.
enum Source {
    /// One message given on the command line.
    Arg(String),
    /// One message: all of stdin.
    Stdin,
    /// One message per line of a file or stdin.
    Lines(Box<dyn BufRead>),
}

/// Runs `explain` and returns the exit code.
pub(crate) fn run(args: &Args, colour: bool) -> Result<u8> {
    let source = match (&args.file, args.text.as_slice()) {
        (Some(p), _) if p.as_os_str() == "-" => Source::Lines(Box::new(io::stdin().lock())),
        (Some(p), _) => {
            let f = File::open(p).with_context(|| format!("cannot read {}", p.display()))?;
            Source::Lines(Box::new(BufReader::with_capacity(1 << 16, f)))
        }
        (None, [one]) if one == "-" => Source::Stdin,
        (None, []) if !io::stdin().is_terminal() => Source::Stdin,
        (None, []) => {
            bail!("nothing to explain: give a message, `-` for stdin, or --file FILE (see --help)")
        }
        (None, words) => Source::Arg(words.join(" ")),
    };
    let out = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let mut sink = Sink {
        json: args.json,
        palette: Palette::new(colour),
        count: 0,
        failures: 0,
        json_buf: Vec::new(),
    };
    match source {
        Source::Arg(text) => sink.one(&mut out, text.as_bytes(), text.len())?,
        Source::Stdin => {
            let (bytes, total) =
                read_all_bounded(io::stdin().lock(), MAX_TEXT).context("reading stdin")?;
            sink.one(&mut out, &bytes, total)?;
        }
        Source::Lines(mut r) => {
            let mut buf = Vec::new();
            while let Some(total) =
                read_line_bounded(&mut r, MAX_TEXT, &mut buf).context("reading messages")?
            {
                if buf.iter().any(|b| !b.is_ascii_whitespace()) {
                    sink.one(&mut out, &buf, total)?;
                }
            }
        }
    }
    sink.finish(&mut out)?;
    if sink.count == 0 {
        bail!("empty input: there was no message to explain");
    }
    Ok(if sink.failures > 0 {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    })
}

/// Diagnoses messages and writes them out, counting failures.
struct Sink {
    json: bool,
    palette: Palette,
    count: usize,
    failures: usize,
    /// JSON Lines not yet written out: records are appended here and written in large blocks.
    json_buf: Vec<u8>,
}

impl Sink {
    fn one(&mut self, out: &mut impl Write, bytes: &[u8], total: usize) -> Result<()> {
        let d = diagnose(bytes, total);
        if d.input.is_empty() {
            bail!("empty input: there was no message to explain");
        }
        self.count += 1;
        if d.finding.is_failure() {
            self.failures += 1;
        }
        self.write(out, &d)?;
        Ok(())
    }

    fn write(&mut self, out: &mut impl Write, d: &Diagnosis) -> io::Result<()> {
        if self.json {
            json::write_explain(&mut self.json_buf, d);
            if self.json_buf.len() >= 1 << 16 {
                out.write_all(&self.json_buf)?;
                self.json_buf.clear();
            }
            return Ok(());
        }
        if self.count > 1 {
            writeln!(out)?;
        }
        let shown: String = d
            .input
            .chars()
            .take(160)
            .collect::<String>()
            .replace(['\n', '\r'], " ");
        let more = if shown.len() < d.input.len() {
            " …"
        } else {
            ""
        };
        writeln!(out, "» {shown}{more}")?;
        terminal::write_explain(out, d, &self.palette)
    }

    /// Writes out what is still buffered and flushes.
    fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(&self.json_buf)?;
        self.json_buf.clear();
        out.flush()
    }
}
