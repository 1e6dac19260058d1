//! `smtp-doctor logs`: reads mail logs (Postfix, Exim), follows every message through its retries and
//! prints the summary (default), the failures (`--failures`) or one message's history
//! (`--trace ID`), each failure classified by the shared classifier. `--since`/`--until` keep a
//! time window (see `smtp_doctor_logs::time` for how year-less and zone-less stamps are read),
//! `--follow` keeps reading appended lines as `tail -F` does, and a progress bar is drawn on a
//! terminal's stderr for large inputs.
//!
//! The JSON view (`smtp-doctor/logs/v1`) is written here with serde_json, but for the
//! `--failures` records: they carry the finding, written by render's JSON writer as every
//! subcommand's is (`schema/finding.v1.json`).

use crate::{EXIT_ERROR, EXIT_OK, EXIT_PROBLEMS};
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use smtp_doctor_logs::read::{self, Follow};
use smtp_doctor_logs::time::{self, Clock, Window};
use smtp_doctor_logs::{
    Analyzer, Counts, Failure, Options, Record, Summary, Trace, MAX_LINE, MAX_OPEN,
};
use smtp_doctor_render::json::{FindingView, JsonObject};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The `schema` value of every `logs --json` object.
const LOGS_SCHEMA: &str = "smtp-doctor/logs/v1";
/// Rows shown per summary table.
const TOP: usize = 15;
/// How often followed files are looked at when nothing was appended.
const POLL: Duration = Duration::from_millis(200);

/// Arguments of `logs`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Inputs: log files in time order (.gz rotated files too), `-` for stdin.\n\
Times (--since, --until): 2026-03-01, \"2026-03-01 10:00[:00]\" (in --tz), RFC 3339 with its \
offset (2026-03-01T10:00:00+02:00), now, or relative: -2h, 1d, 30m (ago). --since is inclusive, \
--until exclusive. BSD syslog stamps have no year: a file's first one takes the year of the \
file's modification time (the year before if it would lie over a day later), and the year \
steps on from December to January; --year sets the first one's year.\n\
Exit status: 0 no failure found, 1 failures found, 2 usage error or an unreadable input."
)]
pub(crate) struct Args {
    /// Log files to read, oldest first; `-` (or nothing, with input piped) reads stdin.
    files: Vec<PathBuf>,
    /// Print one record per failed delivery attempt, expiry or refusal, with its finding.
    #[arg(long, conflicts_with = "trace")]
    failures: bool,
    /// Print the history of the message with this queue ID, Message-ID or recipient address.
    #[arg(long, value_name = "ID")]
    trace: Option<String>,
    /// Print JSON (schema smtp-doctor/logs/v1): one object for the summary, JSON Lines otherwise.
    #[arg(long)]
    json: bool,
    /// Also list the lines no parser understood.
    #[arg(long)]
    unknown: bool,
    /// Only lines at or after this time (see below for the forms).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only lines before this time.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// The year of each file's first BSD syslog stamp (`Mar  1 00:00:05`), instead of the one
    /// inferred from the file's modification time.
    #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(i16).range(1..=9999))]
    year: Option<i16>,
    /// The zone of stamps written without one (BSD syslog, Exim): an IANA name (Europe/Paris)
    /// or an offset (+02:00); default the local zone (TZ).
    #[arg(long, value_name = "ZONE")]
    tz: Option<String>,
    /// After the files, keep reading what is appended to them, as `tail -F` (surviving
    /// rotation and truncation); SIGINT or SIGTERM ends it, with the summary.
    #[arg(long, short = 'f')]
    follow: bool,
    /// Most messages kept open at once: past it the least recently seen are closed as
    /// incomplete (and counted), so memory stays bounded.
    #[arg(long, value_name = "N", default_value_t = MAX_OPEN)]
    max_open: usize,
    /// Smallest total size of the input files (bytes) for the progress bar on a terminal.
    #[arg(long, hide = true, default_value_t = 64 << 20)]
    progress_min: u64,
}

/// Where records go: stdout, as text or JSON Lines, the first write error kept.
struct Sink<W: Write> {
    out: W,
    json: bool,
    traced: usize,
    error: Option<io::Error>,
}

impl<W: Write> Sink<W> {
    fn put(&mut self, r: &Record) {
        if self.error.is_none() {
            if let Err(e) = write_record(&mut self.out, r, self.json, &mut self.traced) {
                self.error = Some(e);
            }
        }
    }

    /// The first write error, if any.
    fn check(&mut self) -> io::Result<()> {
        self.error.take().map_or(Ok(()), Err)
    }
}

/// The time window of `--since`/`--until`, with `--tz` and `--year`; `None` without bounds.
fn window(args: &Args) -> Result<Option<Window>> {
    let tz = args.tz.as_deref().map(time::parse_zone).transpose()?;
    if args.since.is_none() && args.until.is_none() {
        return Ok(None);
    }
    // The local zone only when needed: finding it reads the zone database.
    let tz = tz.unwrap_or_else(jiff::tz::TimeZone::system);
    let now = jiff::Timestamp::now();
    let bound = |s: &Option<String>| {
        s.as_deref()
            .map(|s| time::parse_time(s, &tz, now))
            .transpose()
    };
    let (since, until) = (bound(&args.since)?, bound(&args.until)?);
    if let (Some(a), Some(b)) = (since, until) {
        if a >= b {
            bail!("--since must be before --until");
        }
    }
    Ok(Some(Window::new(
        since,
        until,
        Clock {
            tz,
            year: args.year,
        },
    )))
}

/// A file's modification time (`None` for stdin or when unknown).
fn modified(path: &Path) -> Option<std::time::SystemTime> {
    if path.as_os_str() == "-" {
        return None;
    }
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The progress bar: on a terminal's stderr, for files of `--progress-min` bytes or more,
/// never while following.
fn progress_bar(args: &Args, inputs: &[PathBuf]) -> Option<ProgressBar> {
    if args.follow || !io::stderr().is_terminal() {
        return None;
    }
    let total: u64 = inputs
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    if total < args.progress_min {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec}, {eta} left",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

/// A flag set by SIGINT or SIGTERM; a second signal ends the process at once.
fn stop_flag() -> Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(sig, EXIT_ERROR.into(), Arc::clone(&flag))
            .context("installing the signal handler")?;
        signal_hook::flag::register(sig, Arc::clone(&flag))
            .context("installing the signal handler")?;
    }
    Ok(flag)
}

/// Runs `logs` and returns the exit code.
pub(crate) fn run(args: &Args, _colour: bool) -> Result<u8> {
    let mut inputs = args.files.clone();
    if inputs.is_empty() {
        if io::stdin().is_terminal() {
            bail!("nothing to read: give log files, or `-` for stdin (see --help)");
        }
        inputs.push(PathBuf::from("-"));
    }
    let mut analyzer = Analyzer::new(Options {
        failures: args.failures,
        unknown: args.unknown,
    });
    analyzer.set_max_open(args.max_open);
    if let Some(w) = window(args)? {
        analyzer.set_window(w);
    }
    if let Some(id) = &args.trace {
        analyzer.trace(id);
    }
    // Followed: the plain files (standard input is read to its end; rotated .gz files do not
    // grow). The signal handler goes in first, so that a signal during the first read still
    // ends with the summary.
    let follow = |p: &PathBuf| args.follow && p.as_os_str() != "-" && !read::is_gzip(p);
    let stop = match inputs.iter().any(follow) {
        true => Some(stop_flag()?),
        false => None,
    };
    let bar = progress_bar(args, &inputs);
    let mut sink = Sink {
        out: BufWriter::with_capacity(1 << 16, io::stdout().lock()),
        json: args.json,
        traced: 0,
        error: None,
    };
    let mut unreadable = 0usize;
    let mut followed: Vec<(Follow, Option<String>)> = Vec::new();
    for path in &inputs {
        analyzer.start_input(modified(path));
        if follow(path) {
            if !path.exists() {
                eprintln!(
                    "smtp-doctor: {}: not there yet, waiting for it",
                    path.display()
                );
            }
            let mut f = Follow::new(path, MAX_LINE);
            let mut last_error = None;
            poll(&mut f, &mut last_error, &mut analyzer, &mut sink);
            followed.push((f, last_error));
            sink.check()?;
            continue;
        }
        let wrap = |r: Box<dyn io::Read>| -> Box<dyn io::Read> {
            match &bar {
                Some(b) => Box::new(b.wrap_read(r)),
                None => r,
            }
        };
        let mut input = match read::open_wrapped(path, wrap) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("smtp-doctor: error: {e}");
                unreadable += 1;
                continue;
            }
        };
        if let Err(e) = analyzer.read(&mut input, &mut |r| sink.put(&r)) {
            eprintln!("smtp-doctor: error: {}: {e}", path.display());
            unreadable += 1;
        }
        sink.check()?;
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if let Some(stop) = &stop {
        let names: Vec<String> = followed
            .iter()
            .map(|(f, _)| f.path().display().to_string())
            .collect();
        eprintln!(
            "smtp-doctor: following {} (SIGINT or SIGTERM ends, with the summary)",
            names.join(", ")
        );
        loop {
            // Read once more after the signal: what was written before it is counted.
            let stopping = stop.load(Ordering::SeqCst);
            let mut read = 0;
            for (f, last_error) in &mut followed {
                read += poll(f, last_error, &mut analyzer, &mut sink);
            }
            sink.out.flush()?;
            sink.check()?;
            if stopping {
                break;
            }
            if read == 0 {
                std::thread::sleep(POLL);
            }
        }
        for (f, _) in &mut followed {
            f.finish(&mut |line, len| {
                analyzer.push_line(line, len);
                for r in analyzer.records() {
                    sink.put(&r);
                }
            });
        }
    }
    if unreadable == inputs.len() {
        return Ok(EXIT_ERROR);
    }
    let (summary, rest) = analyzer.finish();
    let Sink {
        mut out,
        mut traced,
        error,
        ..
    } = sink;
    if let Some(e) = error {
        return Err(e.into());
    }
    for r in &rest {
        write_record(&mut out, r, args.json, &mut traced)?;
    }
    if args.trace.is_some() {
        if traced == 0 {
            eprintln!("smtp-doctor: no message matches the trace");
        }
    } else if !args.failures {
        if args.json {
            serde_json::to_writer(&mut out, &summary_json(&summary))?;
            out.write_all(b"\n")?;
        } else {
            write_summary(&mut out, &summary)?;
        }
    }
    out.flush()?;
    let failures = summary.failures.total + summary.rejects.total;
    Ok(if unreadable > 0 {
        EXIT_ERROR
    } else if failures > 0 {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    })
}

/// Reads what was appended to a followed file into the analyzer; an error is told once (until
/// it changes). Returns the bytes read.
fn poll<W: Write>(
    f: &mut Follow,
    last_error: &mut Option<String>,
    analyzer: &mut Analyzer,
    sink: &mut Sink<W>,
) -> u64 {
    let read = f.poll(&mut |line, len| {
        analyzer.push_line(line, len);
        for r in analyzer.records() {
            sink.put(&r);
        }
    });
    match read {
        Ok(n) => {
            *last_error = None;
            n
        }
        Err(e) => {
            let msg = e.to_string();
            if last_error.as_deref() != Some(&msg) {
                eprintln!("smtp-doctor: error: {}: {msg}", f.path().display());
                *last_error = Some(msg);
            }
            0
        }
    }
}

fn write_record(
    out: &mut impl Write,
    r: &Record,
    json: bool,
    traced: &mut usize,
) -> io::Result<()> {
    match r {
        Record::Failure(f) if json => {
            let mut line = Vec::with_capacity(1024);
            write_failure_json(&mut line, f);
            line.push(b'\n');
            out.write_all(&line)
        }
        Record::Failure(f) => writeln!(
            out,
            "{} {:<8} {:<12} {:<32} {:<16} {:<9} {} {}",
            f.timestamp.as_deref().unwrap_or("-"),
            f.kind.as_str(),
            f.queue_id.as_deref().unwrap_or("NOQUEUE"),
            f.to.as_deref().unwrap_or("-"),
            f.finding.category,
            f.finding.class,
            f.reply_code.map_or_else(|| "-".into(), |c| c.to_string()),
            one_line(&f.reply, 140),
        ),
        Record::Trace(t) => {
            *traced += 1;
            if json {
                serde_json::to_writer(&mut *out, &trace_json(t))?;
                out.write_all(b"\n")
            } else {
                write_trace(out, t)
            }
        }
        Record::Unknown { line_number, text } if json => {
            serde_json::to_writer(
                &mut *out,
                &json!({"schema": LOGS_SCHEMA, "type": "unknown", "line": line_number, "text": text}),
            )?;
            out.write_all(b"\n")
        }
        Record::Unknown { line_number, text } => {
            writeln!(out, "unknown line {line_number}: {}", one_line(text, 200))
        }
        _ => Ok(()),
    }
}

fn one_line(s: &str, width: usize) -> String {
    let t: String = s.chars().filter(|c| !c.is_control()).collect();
    if t.chars().count() <= width {
        t
    } else {
        let mut cut: String = t.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

fn write_trace(out: &mut impl Write, t: &Trace) -> io::Result<()> {
    writeln!(
        out,
        "message {}  message-id {}  from <{}>{}{}",
        t.queue_id,
        t.message_id.as_deref().unwrap_or("-"),
        t.from.as_deref().unwrap_or(""),
        t.notification_for
            .as_deref()
            .map_or_else(String::new, |q| format!("  (notification about {q})")),
        if t.complete {
            ""
        } else {
            "  (still queued at end of log)"
        },
    )?;
    for e in &t.events {
        match e.kind {
            "delivery" => writeln!(
                out,
                "  {}  {:<22} {} {} dsn={} {}",
                e.timestamp.as_deref().unwrap_or("-"),
                e.program,
                e.status.as_deref().unwrap_or(""),
                e.to.as_deref().unwrap_or(""),
                e.dsn.as_deref().unwrap_or("-"),
                one_line(&e.text, 160)
            )?,
            kind => writeln!(
                out,
                "  {}  {:<22} {kind}: {}",
                e.timestamp.as_deref().unwrap_or("-"),
                e.program,
                one_line(&e.text, 160)
            )?,
        }
    }
    if let Some(n) = &t.notification_id {
        writeln!(out, "  -> notification {n}")?;
    }
    writeln!(out)
}

fn top(c: &Counts) -> Vec<(&String, &u64)> {
    let mut v: Vec<(&String, &u64)> = c.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    v
}

fn write_summary(out: &mut impl Write, s: &Summary) -> io::Result<()> {
    let received: u64 = s.received.values().sum();
    writeln!(
        out,
        "{} lines, {} to {}",
        s.lines,
        s.first_timestamp.as_deref().unwrap_or("-"),
        s.last_timestamp.as_deref().unwrap_or("-")
    )?;
    writeln!(out, "\ntotals:")?;
    writeln!(
        out,
        "  {received:>8}  received ({} messages seen)",
        s.messages
    )?;
    for (name, t) in [
        ("delivered", &s.sent),
        ("deferred", &s.deferred),
        ("bounced", &s.bounced),
    ] {
        writeln!(
            out,
            "  {:>8}  {name} ({} messages, {} recipients)",
            t.lines, t.messages, t.recipients
        )?;
    }
    writeln!(
        out,
        "  {:>8}  expired ({} recipients)",
        s.expired.messages, s.expired.recipients
    )?;
    writeln!(out, "  {:>8}  rejected", s.rejects.total)?;
    writeln!(
        out,
        "  {:>8}  notifications (NDRs) created",
        s.notifications
    )?;
    writeln!(
        out,
        "  {:>8}  SASL authentication failures",
        s.auth_failures
    )?;
    writeln!(out, "  {:>8}  still queued at end of log", s.open_at_end)?;
    if s.flushed_open > 0 {
        writeln!(
            out,
            "  {:>8}  closed as incomplete before the end (more open than --max-open)",
            s.flushed_open
        )?;
    }
    if s.outside_window + s.undated_lines > 0 {
        writeln!(
            out,
            "  {:>8}  lines outside --since/--until, skipped ({} with an impossible date)",
            s.outside_window + s.undated_lines,
            s.undated_lines
        )?;
    }
    writeln!(
        out,
        "  {:>8}  lines not understood ({} without a syslog prefix; --unknown lists them)",
        s.unknown_lines + s.unparsed_lines,
        s.unparsed_lines
    )?;
    let mut table = |title: &str, c: &Counts| -> io::Result<()> {
        if c.is_empty() {
            return Ok(());
        }
        writeln!(out, "\n{title}:")?;
        let rows = top(c);
        for (k, n) in rows.iter().take(TOP) {
            writeln!(out, "  {n:>8}  {k}")?;
        }
        if rows.len() > TOP {
            writeln!(out, "  ... {} more", rows.len() - TOP)?;
        }
        Ok(())
    };
    table("failures by category", &s.failures.by_category)?;
    table("failures by recipient domain", &s.failures.by_domain)?;
    table("failures by reply code", &s.failures.by_reply_code)?;
    table("failures by enhanced code", &s.failures.by_enhanced_code)?;
    table("failures by relay", &s.failures.by_relay)?;
    table("rejects by category", &s.rejects.by_category)?;
    table("rejects by reply code", &s.rejects.by_code)?;
    table("rejected clients", &s.rejects.by_client)?;
    Ok(())
}

fn counts_json(c: &Counts) -> Value {
    Value::Array(
        top(c)
            .into_iter()
            .map(|(k, n)| json!({"key": k, "count": n}))
            .collect(),
    )
}

fn summary_json(s: &Summary) -> Value {
    let status = |t: &smtp_doctor_logs::StatusTally| {
        json!({
            "lines": t.lines, "messages": t.messages, "recipients": t.recipients,
            "by_domain": counts_json(&t.by_domain), "by_dsn": counts_json(&t.by_dsn),
            "by_reply_code": counts_json(&t.by_reply_code), "by_program": counts_json(&t.by_program),
            "by_relay": counts_json(&t.by_relay),
        })
    };
    json!({
        "schema": LOGS_SCHEMA,
        "type": "summary",
        "lines": s.lines,
        "bytes": s.bytes,
        "first_timestamp": s.first_timestamp,
        "last_timestamp": s.last_timestamp,
        "unknown_lines": s.unknown_lines,
        "unparsed_lines": s.unparsed_lines,
        "other_program_lines": s.other_program_lines,
        "truncated_lines": s.truncated_lines,
        "lossy_lines": s.lossy_lines,
        "lines_by_program": counts_json(&s.lines_by_program),
        "messages": s.messages,
        "open_at_end": s.open_at_end,
        "flushed_open": s.flushed_open,
        "outside_window": s.outside_window,
        "undated_lines": s.undated_lines,
        "queue_id_reuses": s.queue_id_reuses,
        "received": counts_json(&s.received),
        "sent": status(&s.sent),
        "deferred": status(&s.deferred),
        "bounced": status(&s.bounced),
        "expired": {"messages": s.expired.messages, "recipients": s.expired.recipients},
        "removed": s.removed,
        "notifications": s.notifications,
        "auth_failures": s.auth_failures,
        "connect_failures": s.connect_failures,
        "rejects": {
            "total": s.rejects.total,
            "by_program": counts_json(&s.rejects.by_program),
            "by_code": counts_json(&s.rejects.by_code),
            "by_dsn": counts_json(&s.rejects.by_dsn),
            "by_category": counts_json(&s.rejects.by_category),
            "by_stage": counts_json(&s.rejects.by_stage),
            "by_client": counts_json(&s.rejects.by_client),
        },
        "failures": {
            "total": s.failures.total,
            "by_category": counts_json(&s.failures.by_category),
            "by_domain": counts_json(&s.failures.by_domain),
            "by_reply_code": counts_json(&s.failures.by_reply_code),
            "by_enhanced_code": counts_json(&s.failures.by_enhanced_code),
            "by_relay": counts_json(&s.failures.by_relay),
        },
        "recipients": {
            "delivered": s.recipients.delivered,
            "bounced": s.recipients.bounced,
            "expired": s.recipients.expired,
        },
    })
}

/// Appends one `--failures` record (without a line end) to `out`, with render's [`JsonObject`];
/// its finding is render's [`FindingView`], the object every subcommand writes.
fn write_failure_json(out: &mut Vec<u8>, f: &Failure) {
    let mut o = JsonObject::new(out);
    o.string("schema", LOGS_SCHEMA);
    o.string("type", "failure");
    o.string("kind", f.kind.as_str());
    o.opt_string("timestamp", f.timestamp.as_deref());
    o.integer("line", f.line_number);
    o.string("program", &f.program);
    o.opt_string("queue_id", f.queue_id.as_deref());
    o.opt_string("message_id", f.message_id.as_deref());
    o.opt_string("from", f.from.as_deref());
    o.opt_string("to", f.to.as_deref());
    o.opt_string("relay", f.relay.as_deref());
    o.opt_string("client", f.client.as_deref());
    o.opt_string("dsn", f.dsn.as_deref());
    o.opt_integer("reply_code", f.reply_code.map(|c| c.get()));
    o.opt_enhanced("enhanced_code", f.enhanced_code);
    o.string("reply", &f.reply);
    FindingView::from(&f.finding).write_object(o.key("finding"));
    o.end();
}

fn trace_json(t: &Trace) -> Value {
    json!({
        "schema": LOGS_SCHEMA,
        "type": "trace",
        "queue_id": t.queue_id,
        "message_id": t.message_id,
        "from": t.from,
        "origin": t.origin.map(|o| o.as_str()),
        "recipients": t.recipients,
        "notification_id": t.notification_id,
        "notification_for": t.notification_for,
        "complete": t.complete,
        "events": t.events.iter().map(|e| json!({
            "timestamp": e.timestamp, "program": e.program, "kind": e.kind, "to": e.to,
            "status": e.status, "dsn": e.dsn, "reply_code": e.reply_code.map(|c| c.get()),
            "text": e.text,
        })).collect::<Vec<Value>>(),
    })
}
