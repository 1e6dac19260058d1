//! `smtp-doctor logs`: reads mail logs (Postfix, Exim), follows every message through its retries and
//! prints the summary (default), the failures (`--failures`) or one message's history
//! (`--trace ID`), each failure classified by the shared classifier.
//!
//! The JSON view (`smtp-doctor/logs/v1`) is written here with serde_json, as `bounce`'s is.

use crate::{EXIT_ERROR, EXIT_OK, EXIT_PROBLEMS};
use anyhow::{bail, Result};
use serde_json::{json, Value};
use smtp_doctor_logs::{read, Analyzer, Counts, Failure, Options, Record, Summary, Trace};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;

/// Rows shown per summary table.
const TOP: usize = 15;

/// Arguments of `logs`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Inputs: log files in time order (.gz rotated files too), `-` for stdin.\n\
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
    if let Some(id) = &args.trace {
        analyzer.trace(id);
    }
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut unreadable = 0usize;
    let mut traced = 0usize;
    let mut write_err: Option<io::Error> = None;
    for path in &inputs {
        let mut input = match read::open(path) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("smtp-doctor: error: {e}");
                unreadable += 1;
                continue;
            }
        };
        let mut sink = |r: Record| {
            if write_err.is_none() {
                if let Err(e) = write_record(&mut out, &r, args.json, &mut traced) {
                    write_err = Some(e);
                }
            }
        };
        if let Err(e) = analyzer.read(&mut input, &mut sink) {
            eprintln!("smtp-doctor: error: {}: {e}", path.display());
            unreadable += 1;
        }
        if let Some(e) = write_err.take() {
            return Err(e.into());
        }
    }
    if unreadable == inputs.len() {
        return Ok(EXIT_ERROR);
    }
    let (summary, rest) = analyzer.finish();
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

fn write_record(
    out: &mut impl Write,
    r: &Record,
    json: bool,
    traced: &mut usize,
) -> io::Result<()> {
    match r {
        Record::Failure(f) if json => {
            serde_json::to_writer(&mut *out, &failure_json(f))?;
            out.write_all(b"\n")
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
                &json!({"schema": "smtp-doctor/logs/v1", "type": "unknown", "line": line_number, "text": text}),
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
        "schema": "smtp-doctor/logs/v1",
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

fn failure_json(f: &Failure) -> Value {
    let finding = &f.finding;
    json!({
        "schema": "smtp-doctor/logs/v1",
        "type": "failure",
        "kind": f.kind.as_str(),
        "timestamp": f.timestamp,
        "line": f.line_number,
        "program": f.program,
        "queue_id": f.queue_id,
        "message_id": f.message_id,
        "from": f.from,
        "to": f.to,
        "relay": f.relay,
        "client": f.client,
        "dsn": f.dsn,
        "reply_code": f.reply_code.map(|c| c.get()),
        "enhanced_code": f.enhanced_code.map(|c| c.to_string()),
        "reply": f.reply,
        "finding": {
            "category": finding.category.as_str(),
            "class": finding.class.as_str(),
            "party": finding.party.as_str(),
            "confidence": finding.confidence,
            "summary": &*finding.summary,
            "fix": finding.fix.iter().map(|s| &**s).collect::<Vec<&str>>(),
            "matched": finding.matched.iter().map(|s| &**s).collect::<Vec<&str>>(),
        },
    })
}

fn trace_json(t: &Trace) -> Value {
    json!({
        "schema": "smtp-doctor/logs/v1",
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
