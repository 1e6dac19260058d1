//! The Postfix files of `../shared/corpus/logs`: whole syslog files parse without a panic and
//! with few unknown lines, and the postfix-grok-patterns vectors' expected fields are asserted.
//!
//! Without `../shared` the tests print `SKIPPED` and pass, except under `CI=true`.

use smtp_doctor_logs::{parse_prefix, Analyzer, Event, LineParser, Options, Postfix};
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/logs");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {} is missing",
        dir.display()
    );
    eprintln!("SKIPPED: {} not found", dir.display());
    None
}

/// The `results:` block of a grok test vector: `key: value` pairs, values unquoted.
fn results(yaml: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in yaml.lines() {
        if line.starts_with("results:") {
            inside = true;
            continue;
        }
        if !inside || !line.starts_with(' ') {
            continue;
        }
        if let Some((k, v)) = line.trim().split_once(": ") {
            out.push((k.to_string(), unquote(v.trim())));
        } else if let Some(k) = line.trim().strip_suffix(':') {
            out.push((k.to_string(), String::new()));
        }
    }
    out
}

fn unquote(v: &str) -> String {
    if let Some(inner) = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        return inner.replace("\\\"", "\"").replace("\\\\", "\\");
    }
    if let Some(inner) = v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return inner.replace("''", "'");
    }
    v.to_string()
}

/// The fields of an event under the grok pattern names this crate models.
fn fields(e: &Event<'_>) -> Vec<(&'static str, String)> {
    let mut f = Vec::new();
    match e {
        Event::Delivery(d) => {
            f.push(("postfix_queueid", d.queue_id.to_string()));
            f.push(("postfix_status", d.status_text.to_string()));
            for k in [
                "postfix_smtp_response",
                "postfix_local_response",
                "postfix_pipe_response",
                "postfix_error_response",
            ] {
                f.push((k, d.reply.to_string()));
            }
        }
        Event::Received { queue_id, .. }
        | Event::Queued { queue_id, .. }
        | Event::MessageNote { queue_id, .. } => f.push(("postfix_queueid", queue_id.to_string())),
        Event::MessageId {
            queue_id,
            message_id,
        } => {
            f.push(("postfix_queueid", queue_id.to_string()));
            f.push(("postfix_message-id", message_id.to_string()));
        }
        Event::Removed { queue_id } => {
            f.push(("postfix_queueid", queue_id.to_string()));
            f.push(("postfix_message", "removed".into()));
        }
        Event::Expired { queue_id, from, .. } => {
            f.push(("postfix_queueid", queue_id.to_string()));
            f.push(("postfix_from", from.to_string()));
            f.push(("postfix_status", "expired".into()));
        }
        Event::Notification {
            queue_id,
            notification_id,
            ..
        } => {
            f.push(("postfix_queueid", queue_id.to_string()));
            f.push(("postfix_bounce_queueid", notification_id.to_string()));
        }
        Event::Reject(r) => {
            f.push((
                "postfix_queueid",
                r.queue_id.unwrap_or("NOQUEUE").to_string(),
            ));
            f.push(("postfix_action", r.action.to_string()));
            f.push(("postfix_smtp_stage", r.stage.to_string()));
            if let Some(c) = r.reply_code {
                f.push(("postfix_status_code", c.to_string()));
            }
            if let Some(c) = r.enhanced_code {
                f.push(("postfix_status_code_enhanced", c.to_string()));
            }
            let ip = r.client.split('[').nth(1).and_then(|s| s.split(']').next());
            if let Some(ip) = ip {
                f.push(("postfix_client_ip", ip.to_string()));
            }
            if !r.client.starts_with('[') {
                f.push((
                    "postfix_client_hostname",
                    r.client.split('[').next().unwrap_or("").to_string(),
                ));
            }
        }
        _ => {}
    }
    f
}

#[test]
fn grok_pattern_vectors() {
    let Some(dir) = corpus() else { return };
    let dir = dir.join("postfix-grok-patterns/test");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("grok vectors list")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let (mut vectors, mut asserted, mut unknown) = (0, 0, Vec::new());
    let mut bad = Vec::new();
    for file in &files {
        let yaml = std::fs::read_to_string(file).expect("vector reads");
        let Some(data) = yaml.lines().find_map(|l| l.strip_prefix("data: ")) else {
            continue;
        };
        let message = unquote(data.trim());
        // POSTFIX_SMTPD -> postfix/smtpd; the pattern names the program.
        let program = yaml
            .lines()
            .find_map(|l| l.split("%{POSTFIX_").nth(1))
            .and_then(|p| p.split('}').next())
            .map(|p| format!("postfix/{}", p.to_ascii_lowercase().replace('_', "-")))
            .unwrap_or_else(|| "postfix/smtpd".into());
        let line = format!("Oct 26 18:13:50 host {program}[123]: {message}");
        let prefix = parse_prefix(&line).expect("prefix parses");
        vectors += 1;
        let event = if Postfix.accepts(prefix.program) {
            Postfix.parse(&prefix)
        } else {
            Event::Unknown
        };
        if matches!(event, Event::Unknown) {
            unknown.push(format!("{}: {message}", file.display()));
        }
        let ours = fields(&event);
        for (key, want) in results(&yaml) {
            // A key we model, for this kind of line, must have the corpus's value.
            let mine: Vec<&String> = ours
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| v)
                .collect();
            if mine.is_empty() {
                continue;
            }
            asserted += 1;
            if !mine.iter().any(|v| **v == want) {
                bad.push(format!(
                    "{}: {key}: corpus {want:?}, ours {mine:?}",
                    file.display()
                ));
            }
        }
    }
    eprintln!(
        "grok vectors: {vectors}, fields asserted: {asserted}, not understood: {}",
        unknown.len()
    );
    assert!(vectors >= 150, "only {vectors} vectors");
    assert!(asserted >= 150, "only {asserted} fields asserted");
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(
        unknown.len() <= vectors / 4,
        "too many vectors not understood:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn postfix_syslog_files() {
    let Some(dir) = corpus() else { return };
    let files = [
        "postfix-exporter/postfix_exporter_test.log",
        "pflogsumm-go/sample.log",
        "pflogsumm-go/rfc3339.log",
        "postfix-docs/readme-examples.log",
        "fail2ban/postfix",
        "wazuh/postfix.log",
        "crowdsec-hub/postfix-logs.log",
        "crowdsec-hub/postfix-relay.log",
        "crowdsec-hub/postfix-spam.log",
    ];
    let mut total = 0;
    for f in files {
        let path = dir.join(f);
        let Ok(text) = std::fs::read_to_string(&path) else {
            panic!("{} reads", path.display());
        };
        let lines: String = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| format!("{l}\n"))
            .collect();
        let mut a = Analyzer::new(Options {
            failures: true,
            unknown: true,
        });
        let mut unknown = Vec::new();
        a.read(&mut lines.as_bytes(), &mut |r| {
            if let smtp_doctor_logs::Record::Unknown { text, .. } = r {
                unknown.push(text);
            }
        })
        .expect("reads");
        let (s, _) = a.finish();
        total += s.lines;
        eprintln!(
            "{f}: {} lines, {} deliveries, {} rejects, {} unknown, {} unparsed",
            s.lines,
            s.sent.lines + s.deferred.lines + s.bounced.lines,
            s.rejects.total,
            s.unknown_lines,
            s.unparsed_lines
        );
        for u in unknown.iter().take(5) {
            eprintln!("  unknown: {u}");
        }
        assert!(s.lines > 0, "{f}: empty");
        assert!(
            s.unknown_lines + s.unparsed_lines == 0,
            "{f}: lines not understood: {unknown:#?}"
        );
    }
    assert!(total >= 150, "only {total} lines");
}
