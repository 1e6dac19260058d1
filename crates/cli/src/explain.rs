//! `smtp-doctor explain`: one message (arguments or stdin) or one per line (`--file`).

use crate::input::{read_all_bounded, read_line_bounded};
use crate::{parallel, EXIT_OK, EXIT_PROBLEMS};
use anyhow::{bail, Context, Result};
use smtp_doctor_kb::{diagnose, diagnose_text, MAX_TEXT};
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
    /// Threads that diagnose `--file` lines (output keeps the input's order) [default: one per CPU].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
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
    let records = Records {
        json: args.json,
        palette: Palette::new(colour),
    };
    let mut totals = Part::default();
    let mut emit = |part: Part| -> Result<()> {
        // Text records start with the blank line that separates them: not the first one.
        let skip = usize::from(!records.json && totals.count == 0 && !part.out.is_empty());
        out.write_all(&part.out[skip..])?;
        totals.count += part.count;
        totals.failures += part.failures;
        Ok(())
    };
    match source {
        Source::Arg(text) => emit(records.part(&[(Message::Text(&text), text.len())])?)?,
        Source::Stdin => {
            let (bytes, total) =
                read_all_bounded(io::stdin().lock(), MAX_TEXT).context("reading stdin")?;
            emit(records.part(&[(Message::Bytes(&bytes), total)])?)?;
        }
        Source::Lines(mut r) => {
            let chunks = std::iter::from_fn(|| Chunk::read(&mut r).transpose());
            let jobs = args.jobs.map_or_else(parallel::default_jobs, usize::from);
            parallel::ordered_map(jobs, chunks, |c| records.part(&c.lines()), &mut emit)?;
        }
    }
    out.flush()?;
    if totals.count == 0 {
        bail!("empty input: there was no message to explain");
    }
    Ok(if totals.failures > 0 {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    })
}

/// Lines per [`Chunk`]: enough work (a millisecond or so) that handing it to a thread costs little,
/// and little enough output that its buffer is allocated once, not grown.
const CHUNK_LINES: usize = 256;
/// Output bytes reserved per line of a chunk: a JSON record is about 1 KiB.
const RECORD_BYTES: usize = 1536;
/// Bytes per [`Chunk`], so that long lines do not make a chunk large.
const CHUNK_BYTES: usize = 1 << 20;
/// Input bytes reserved per [`Chunk`]: 256 bytes a line, more than most messages have, so that
/// the buffer seldom grows (grown from empty, its copies cost about 120 instructions a line).
const CHUNK_RESERVE: usize = CHUNK_LINES * 256;

/// Non-blank input lines read together and diagnosed by one worker.
#[derive(Default)]
struct Chunk {
    data: Vec<u8>,
    /// Each line's end in `data` and its full length in the input (lines are cut to [`MAX_TEXT`]).
    ends: Vec<(usize, usize)>,
}

impl Chunk {
    /// Reads the next chunk, or `None` at the end of input.
    fn read(r: &mut impl BufRead) -> Result<Option<Chunk>> {
        let mut chunk = Chunk {
            data: Vec::with_capacity(CHUNK_RESERVE),
            ends: Vec::with_capacity(CHUNK_LINES),
        };
        let mut line = Vec::new();
        while chunk.ends.len() < CHUNK_LINES && chunk.data.len() < CHUNK_BYTES {
            let Some(total) =
                read_line_bounded(r, MAX_TEXT, &mut line).context("reading messages")?
            else {
                break;
            };
            if line.iter().any(|b| !b.is_ascii_whitespace()) {
                chunk.data.extend_from_slice(&line);
                chunk.ends.push((chunk.data.len(), total));
            }
        }
        Ok((!chunk.ends.is_empty()).then_some(chunk))
    }

    /// The lines with their full lengths. The chunk's UTF-8 is checked once, as a whole: a
    /// line that starts and ends on a character boundary of valid text is text itself.
    fn lines(&self) -> Vec<(Message<'_>, usize)> {
        let text = std::str::from_utf8(&self.data).ok();
        let mut start = 0;
        self.ends
            .iter()
            .map(|&(end, total)| {
                let line = match text.and_then(|t| t.get(start..end)) {
                    Some(t) => Message::Text(t),
                    None => Message::Bytes(&self.data[start..end]),
                };
                start = end;
                (line, total)
            })
            .collect()
    }
}

/// One message as read: text known to be UTF-8, or bytes still to be decoded.
#[derive(Clone, Copy)]
enum Message<'a> {
    /// Checked to be UTF-8.
    Text(&'a str),
    /// Not checked yet.
    Bytes(&'a [u8]),
}

/// The output of a run of messages, with the counts the exit code is made of.
#[derive(Default)]
struct Part {
    out: Vec<u8>,
    count: usize,
    failures: usize,
}

/// How each message's record is written.
struct Records {
    json: bool,
    palette: Palette,
}

impl Records {
    /// Diagnoses messages (with their full lengths) and writes their records.
    fn part(&self, messages: &[(Message<'_>, usize)]) -> Result<Part> {
        let mut part = Part {
            out: Vec::with_capacity(messages.len() * RECORD_BYTES),
            ..Part::default()
        };
        for &(message, total) in messages {
            let d = match message {
                Message::Text(text) => diagnose_text(text, total),
                Message::Bytes(bytes) => diagnose(bytes, total),
            };
            if d.input.is_empty() {
                bail!("empty input: there was no message to explain");
            }
            part.count += 1;
            part.failures += usize::from(d.finding.is_failure());
            self.write(&mut part.out, &d)?;
        }
        Ok(part)
    }

    /// Appends one record: a JSON line, or a blank line and the text report.
    fn write(&self, out: &mut Vec<u8>, d: &Diagnosis) -> io::Result<()> {
        if self.json {
            json::write_explain(out, d);
            return Ok(());
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
        writeln!(out, "\n» {shown}{more}")?;
        terminal::write_explain(out, d, &self.palette)
    }
}
