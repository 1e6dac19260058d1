//! `smtp-doctor bounce`: decodes bounce files (DSNs, vendor NDRs), auto-replies and feedback
//! reports, one result per recipient, each bounce classified by the shared classifier.
//!
//! The JSON view (`smtp-doctor/bounce/v1`, `schema/bounce.v1.json`) is written here with
//! render's JSON writer: the records are the bounce crate's, and render does not depend on it.

use crate::{parallel, EXIT_ERROR, EXIT_OK, EXIT_PROBLEMS};
use anyhow::{bail, Result};
use smtp_doctor_bounce::read::RawMessage;
use smtp_doctor_bounce::{read, Kind, Recipient, Report};
use smtp_doctor_render::json::{push_string, FindingView, JsonObject};
use std::collections::BTreeMap;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Arguments of `bounce`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Inputs: files (one message, or an mbox), directories (recursive, Maildirs too), .gz files, `-` for stdin.\n\
Exit status: 0 no delivery failure found, 1 failures found, 2 usage error or an unreadable input (the others are still processed)."
)]
pub(crate) struct Args {
    /// Files or directories to read; `-` (or nothing, with input piped) reads stdin.
    files: Vec<PathBuf>,
    /// Print JSON Lines, one object per recipient (schema smtp-doctor/bounce/v1).
    #[arg(long, conflicts_with = "summary")]
    json: bool,
    /// Print counts by category, recipient domain, reply code and enhanced code.
    #[arg(long)]
    summary: bool,
    /// Threads that decode messages (output keeps the input's order) [default: one per CPU].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
}

/// One decoded recipient with where it came from.
struct Row<'a> {
    origin: &'a Path,
    index: usize,
    report: &'a Report,
    recipient: &'a Recipient,
}

/// Runs `bounce` and returns the exit code.
pub(crate) fn run(args: &Args, _colour: bool) -> Result<u8> {
    let mut inputs: Vec<PathBuf> = args.files.clone();
    if inputs.is_empty() {
        if io::stdin().is_terminal() {
            bail!(
                "nothing to read: give bounce files or directories, or `-` for stdin (see --help)"
            );
        }
        inputs.push(PathBuf::from("-"));
    }
    // The knowledge base and the decoders' tables are built beside the reading of the input.
    std::thread::spawn(smtp_doctor_bounce::warm_up);
    let mut decoded: Vec<(Arc<Path>, usize, Report)> = Vec::new();
    let jobs = args.jobs.map_or_else(parallel::default_jobs, usize::from);
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut json_failures = 0usize;
    // Every message of every input, read on this thread as the workers ask for more and handed
    // out in chunks: one pool of workers for the whole run (not one per file of a Maildir), and
    // one hand-over per chunk rather than per message.
    let mut chunks = Chunks::new(&inputs);
    if args.json {
        // The lines are written by the workers; only the copy to stdout is serial.
        parallel::ordered_map(
            jobs,
            &mut chunks,
            |chunk| {
                // Room for a line of the usual length (about 1.5 KB) a message.
                let mut lines = Vec::with_capacity(chunk.len() * 2048);
                let failed: usize = chunk.iter().map(|m| json_lines(m, &mut lines)).sum();
                Ok((lines, failed))
            },
            |(lines, failed): (Vec<u8>, usize)| {
                json_failures += failed;
                Ok(out.write_all(&lines)?)
            },
        )?;
    } else {
        parallel::ordered_map(
            jobs,
            &mut chunks,
            |chunk| {
                Ok(chunk
                    .into_iter()
                    .filter_map(|m| m.report().map(|r| (m.origin.clone(), m.index, r)))
                    .collect::<Vec<_>>())
            },
            |r| {
                decoded.extend(r);
                Ok(())
            },
        )?;
    }
    let (messages, unreadable) = (chunks.messages, chunks.unreadable);
    let rows: Vec<Row<'_>> = decoded
        .iter()
        .flat_map(|(origin, index, report)| {
            report.recipients.iter().map(move |recipient| Row {
                origin,
                index: *index,
                report,
                recipient,
            })
        })
        .collect();
    // The JSON lines were written as the messages were decoded.
    if args.summary {
        write_summary(&mut out, &rows, messages, decoded.len())?;
    } else if !args.json {
        write_table(&mut out, &rows)?;
    }
    out.flush()?;
    let failures = json_failures
        + rows
            .iter()
            .filter(|r| is_failure(r.recipient, r.report))
            .count();
    Ok(if unreadable > 0 {
        EXIT_ERROR
    } else if failures > 0 {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    })
}

/// Appends one message's `--json` lines to `lines` and returns how many of its recipients are
/// failures (nothing for a message that is not a report).
fn json_lines(m: &RawMessage, lines: &mut Vec<u8>) -> usize {
    let Some(report) = m.report() else {
        return 0;
    };
    for recipient in &report.recipients {
        write_json_row(
            lines,
            &Row {
                origin: &m.origin,
                index: m.index,
                report: &report,
                recipient,
            },
        );
    }
    report
        .recipients
        .iter()
        .filter(|r| is_failure(r, &report))
        .count()
}

/// Messages per work item: some milliseconds of work, so that handing a chunk to a worker and
/// its result back (a wake-up of each thread) costs little beside it: with 16, the wake-ups took
/// some 4% of the benchmark's CPU time.
const CHUNK_MESSAGES: usize = 64;

/// Bytes of messages after which a chunk is closed before [`CHUNK_MESSAGES`]: large messages
/// make chunks of fewer, so that the messages in flight stay a few MiB.
const CHUNK_BYTES: usize = 1 << 20;

/// The messages of the inputs in order, in chunks of up to [`CHUNK_MESSAGES`] (or
/// [`CHUNK_BYTES`]), read a block at a time as they are asked for. An unreadable input is reported on stderr and counted when the
/// reading reaches it; the others are still read.
struct Chunks<'a> {
    /// The inputs not yet walked.
    inputs: std::slice::Iter<'a, PathBuf>,
    /// The files of the current input not yet read.
    files: std::vec::IntoIter<PathBuf>,
    /// The messages of the current file not yet read.
    msgs: Option<read::Messages<'static>>,
    /// Messages read so far.
    messages: usize,
    /// Inputs (files, directories, stdin) that could not be read.
    unreadable: usize,
}

impl<'a> Chunks<'a> {
    fn new(inputs: &'a [PathBuf]) -> Self {
        Chunks {
            inputs: inputs.iter(),
            files: Vec::new().into_iter(),
            msgs: None,
            messages: 0,
            unreadable: 0,
        }
    }

    fn error(&mut self, e: &read::ReadError) {
        eprintln!("smtp-doctor: error: {e}");
        self.unreadable += 1;
    }
}

impl Iterator for Chunks<'_> {
    type Item = Result<Vec<RawMessage>>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut chunk = Vec::with_capacity(CHUNK_MESSAGES);
        let mut bytes = 0;
        while chunk.len() < CHUNK_MESSAGES && bytes < CHUNK_BYTES {
            if let Some(msgs) = self.msgs.as_mut() {
                match msgs.next() {
                    Some(Ok(m)) => {
                        self.messages += 1;
                        bytes += m.bytes().len();
                        chunk.push(m);
                    }
                    Some(Err(e)) => self.error(&e),
                    None => self.msgs = None,
                }
            } else if let Some(file) = self.files.next() {
                let msgs = if file.as_os_str() == "-" {
                    Ok(read::Messages::new(io::stdin(), &file))
                } else {
                    read::open(&file)
                };
                match msgs {
                    Ok(msgs) => self.msgs = Some(msgs),
                    Err(e) => self.error(&e),
                }
            } else if let Some(input) = self.inputs.next() {
                let (files, errors) = if input.as_os_str() == "-" {
                    (vec![input.clone()], Vec::new())
                } else {
                    read::files(input)
                };
                for e in &errors {
                    self.error(e);
                }
                self.files = files.into_iter();
            } else {
                break;
            }
        }
        (!chunk.is_empty()).then_some(Ok(chunk))
    }
}

fn is_failure(r: &Recipient, report: &Report) -> bool {
    report.kind == Kind::Bounce && r.finding.as_ref().is_some_and(|f| f.is_failure())
}

fn domain(r: &Recipient) -> Option<String> {
    r.recipient
        .as_deref()
        .and_then(|a| a.rsplit_once('@'))
        .map(|(_, d)| d.to_ascii_lowercase())
}

/// The label a recipient is counted under: its category for bounces, else the report kind.
fn label(row: &Row<'_>) -> String {
    match (&row.report.kind, &row.recipient.finding) {
        (Kind::Bounce, Some(f)) => f.category.to_string(),
        (kind, _) => kind.as_str().to_string(),
    }
}

/// Appends one recipient as a `smtp-doctor/bounce/v1` JSON line to `out`, with render's
/// [`JsonObject`]: the knowledge-base texts (explanation, fix steps, matched entries, summary) are
/// escaped once and copied from its cache afterwards. The fields are in name order, as the
/// schema's earlier `serde_json::Value` maps wrote them; the finding is render's
/// [`FindingView`], the object every subcommand writes (`schema/finding.v1.json`).
fn write_json_row(out: &mut Vec<u8>, row: &Row<'_>) {
    let r = row.recipient;
    let report = row.report;
    let o = &report.original;
    let mut obj = JsonObject::new(out);
    obj.opt_string("action", r.action.as_deref());
    obj.string("diagnostic", &r.diagnostic);
    obj.opt_string("feedback_type", r.feedback_type.as_deref());
    obj.string("file", &row.origin.to_string_lossy());
    match &r.finding {
        Some(f) => FindingView::from(f).write_object(obj.key("finding")),
        None => obj.key("finding").extend_from_slice(b"null"),
    }
    obj.string("format", report.format);
    obj.boolean("hard_bounce", r.hard_bounce);
    obj.string("kind", report.kind.as_str());
    obj.opt_string("last_attempt", r.last_attempt.as_deref());
    obj.integer("message_index", row.index);
    obj.array("notes", &report.notes, |out, n| {
        push_string(out, &n.to_string())
    });
    obj.opt_string("original_message_id", o.message_id.as_deref());
    obj.opt_string("original_recipient", r.original_recipient.as_deref());
    obj.opt_string("original_sender", o.sender.as_deref());
    obj.opt_string("original_subject", o.subject.as_deref());
    obj.string("reason", r.reason);
    obj.opt_string("recipient", r.recipient.as_deref());
    obj.opt_string("recipient_domain", domain(r).as_deref());
    obj.opt_string("remote_mta", r.remote_mta.as_deref());
    obj.opt_integer("reply_code", r.reply_code.map(|c| c.get()));
    obj.opt_string("reporting_mta", r.reporting_mta.as_deref());
    obj.string("schema", "smtp-doctor/bounce/v1");
    obj.opt_string("status", r.status.map(|s| s.to_string()).as_deref());
    obj.end();
    out.push(b'\n');
}

fn cell(s: &str, width: usize) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= width {
        one_line
    } else {
        let mut t: String = one_line.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn write_table(out: &mut impl Write, rows: &[Row<'_>]) -> io::Result<()> {
    writeln!(
        out,
        "{:<28} {:<32} {:<8} {:<5} {:<15} {:<16} {:<9} summary",
        "file", "recipient", "status", "reply", "reason", "category", "class"
    )?;
    for row in rows {
        let r = row.recipient;
        let name = row.origin.file_name().map_or_else(
            || row.origin.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let file = if row.index > 0 {
            format!("{name}#{}", row.index)
        } else {
            name
        };
        let (category, class, summary) = match &r.finding {
            Some(f) => (
                f.category.to_string(),
                f.class.to_string(),
                f.summary.to_string(),
            ),
            None => (
                row.report.kind.as_str().to_string(),
                String::from("-"),
                r.feedback_type
                    .as_deref()
                    .map_or_else(|| cell(&r.diagnostic, 60), |t| format!("feedback type {t}")),
            ),
        };
        writeln!(
            out,
            "{:<28} {:<32} {:<8} {:<5} {:<15} {:<16} {:<9} {}",
            cell(&file, 28),
            cell(r.recipient.as_deref().unwrap_or("-"), 32),
            r.status.map_or_else(|| "-".to_string(), |s| s.to_string()),
            r.reply_code
                .map_or_else(|| "-".to_string(), |c| c.to_string()),
            r.reason,
            category,
            class,
            cell(&summary, 80),
        )?;
    }
    Ok(())
}

fn write_summary(
    out: &mut impl Write,
    rows: &[Row<'_>],
    messages: usize,
    reports: usize,
) -> io::Result<()> {
    let failures = rows
        .iter()
        .filter(|r| is_failure(r.recipient, r.report))
        .count();
    let hard = rows.iter().filter(|r| r.recipient.hard_bounce).count();
    writeln!(
        out,
        "{messages} messages, {reports} reports, {} recipients, {failures} failures, {hard} hard bounces",
        rows.len()
    )?;
    let mut section = |title: &str, key: &dyn Fn(&Row<'_>) -> String| -> io::Result<()> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for row in rows {
            *counts.entry(key(row)).or_default() += 1;
        }
        let mut counts: Vec<(String, usize)> = counts.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        writeln!(out, "\nby {title}:")?;
        for (k, n) in counts.iter().take(25) {
            writeln!(out, "  {n:>6}  {k}")?;
        }
        if counts.len() > 25 {
            writeln!(out, "  ... {} more", counts.len() - 25)?;
        }
        Ok(())
    };
    section("category", &label)?;
    section("recipient domain", &|r| {
        domain(r.recipient).unwrap_or_else(|| "(none)".into())
    })?;
    section("reply code", &|r| {
        r.recipient
            .reply_code
            .map_or_else(|| "(none)".into(), |c| c.to_string())
    })?;
    section("enhanced code", &|r| {
        r.recipient
            .status
            .map_or_else(|| "(none)".into(), |c| c.to_string())
    })?;
    Ok(())
}
