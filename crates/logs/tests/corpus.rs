//! The files of `../shared/corpus/logs`: whole syslog files (Postfix, Exim, Sendmail, OpenSMTPD)
//! parse without a panic and with few unknown lines, and the fields the corpus states are
//! asserted (postfix-grok-patterns vectors, fail2ban's annotations, known lines).
//!
//! Without `../shared` the tests print `SKIPPED` and pass, except under `CI=true`.

use smtp_doctor_logs::{parse_prefix, Analyzer, Event, Exim, LineParser, Options, Postfix, Status};
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    smtp_doctor_testkit::shared("corpus/logs", &[])
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

/// Every file of one Exim test-suite folder through one analyzer each: no panic, and the lines
/// not understood counted and listed (the first few) per kind.
fn exim_folder(dir: &Path) -> (u64, u64, u64, smtp_doctor_logs::Summary, Vec<String>) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("folder lists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let (mut lines, mut unknown, mut unparsed) = (0, 0, 0);
    let mut samples = Vec::new();
    let mut all = smtp_doctor_logs::Summary::default();
    for f in &files {
        let bytes = std::fs::read(f).expect("file reads");
        let mut a = Analyzer::new(Options {
            failures: true,
            unknown: true,
        });
        a.read(&mut bytes.as_slice(), &mut |r| {
            if let smtp_doctor_logs::Record::Unknown { text, .. } = r {
                if samples.len() < 40 {
                    samples.push(text);
                }
            }
        })
        .expect("reads");
        let (s, _) = a.finish();
        lines += s.lines;
        unknown += s.unknown_lines;
        unparsed += s.unparsed_lines;
        all.sent.lines += s.sent.lines;
        all.deferred.lines += s.deferred.lines;
        all.bounced.lines += s.bounced.lines;
        all.removed += s.removed;
        all.rejects.total += s.rejects.total;
        all.notifications += s.notifications;
        all.auth_failures += s.auth_failures;
        all.messages += s.messages;
        *all.received.entry("any".into()).or_default() += s.received.values().sum::<u64>();
    }
    (lines, unknown, unparsed, all, samples)
}

#[test]
fn exim_testsuite_mainlog_and_rejectlog() {
    let Some(dir) = corpus() else { return };
    let dir = dir.join("exim-testsuite");
    let (lines, unknown, unparsed, s, samples) = exim_folder(&dir.join("log"));
    eprintln!(
        "exim mainlog: {lines} lines, {} received, {} sent, {} deferred, {} bounced, {} completed, \
         {} rejects, {} bounce messages, {} auth failures; {unknown} unknown ({:.1}%), {unparsed} \
         unparsed ({:.1}%)",
        s.received["any"],
        s.sent.lines,
        s.deferred.lines,
        s.bounced.lines,
        s.removed,
        s.rejects.total,
        s.notifications,
        s.auth_failures,
        100.0 * unknown as f64 / lines as f64,
        100.0 * unparsed as f64 / lines as f64,
    );
    for u in samples.iter().take(15) {
        eprintln!("  not understood: {u}");
    }
    assert!(lines >= 17_000, "only {lines} lines");
    // The corpus README's counts of the flags, as a floor (a few lines are munged or cut).
    // Each flag's lines, as a regex over the files counts them (`<=` 3251 of which 324 are
    // bounces, `=>` 2370 + `->` 709, `==` 688, `**` 601, `Completed` 2499 + `removed by` 40).
    assert_eq!(s.received["any"] + s.notifications, 3251);
    assert_eq!(s.notifications, 324);
    assert_eq!(s.sent.lines, 2370 + 709);
    assert_eq!(s.deferred.lines, 688);
    assert_eq!(s.bounced.lines, 601);
    assert_eq!(s.removed, 2499 + 40);
    assert!(s.rejects.total >= 400, "{}", s.rejects.total);
    // The harness's own debugging lines (ACL `logwrite`s of TLS, DKIM and event variables) are
    // configuration-specific text: counted as unknown, and bounded.
    assert!(unknown * 100 <= lines * 15, "{unknown} of {lines} unknown");
    assert!(
        unparsed * 100 <= lines * 8,
        "{unparsed} of {lines} unparsed"
    );

    let (lines, unknown, unparsed, s, samples) = exim_folder(&dir.join("rejectlog"));
    eprintln!(
        "exim rejectlog: {lines} lines, {} rejects; {unknown} unknown, {unparsed} unparsed",
        s.rejects.total
    );
    for u in samples.iter().take(10) {
        eprintln!("  not understood: {u}");
    }
    assert!(lines >= 2_000, "only {lines} lines");
    assert!(s.rejects.total >= 250, "{}", s.rejects.total);
    assert!(unknown * 100 <= lines * 10, "{unknown} of {lines} unknown");
    assert!(
        unparsed * 100 <= lines * 5,
        "{unparsed} of {lines} unparsed"
    );
}

/// The first line of corpus file `file` that contains `needle`, parsed by the Exim parser.
fn exim_line(dir: &Path, file: &str, needle: &str) -> String {
    let text = std::fs::read_to_string(dir.join(file)).expect("file reads");
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{file}: no line with {needle:?}"))
        .to_string()
}

#[test]
fn exim_real_lines_fields() {
    let Some(dir) = corpus() else { return };
    let dir = dir.join("exim-testsuite/log");
    let parse = |line: &str| -> Event<'static> {
        let line: &'static str = Box::leak(line.to_string().into_boxed_str());
        let p = Exim
            .own_prefix(line)
            .unwrap_or_else(|| panic!("prefix: {line}"));
        assert_eq!(p.timestamp, "1999-03-02 09:44:33");
        Exim.parse(&p)
    };
    // The old 16-character ID, a deferral whose reason holds colons and quotes.
    let Event::Delivery(d) = parse(&exim_line(&dir, "9001", "10HmaX-0005vi-00 == ")) else {
        panic!("9001 ==")
    };
    assert_eq!(
        (d.queue_id, d.to, d.status),
        ("10HmaX-0005vi-00", "userx@myhost.test.ex", Status::Deferred)
    );
    assert!(
        d.reply.starts_with("failed to expand \"${lookup ldap"),
        "{}",
        d.reply
    );
    assert_eq!(d.reply_code, None);
    // A failure with the remote reply after `after RCPT TO:<...>: `, an `I=` field and ` : `.
    let Event::Delivery(d) = parse(&exim_line(
        &dir,
        "0179",
        "10HmaZ-000000005vi-0000 ** userz@",
    )) else {
        panic!("0179 **")
    };
    assert_eq!(
        (d.to, d.status, d.relay),
        (
            "userz@domain.com",
            Status::Bounced,
            "127.0.0.1 [127.0.0.1]:PORT_S"
        )
    );
    assert_eq!(d.reply_code.map(|c| c.get()), Some(550));
    assert!(d.reply.ends_with("550 Recipient refused"), "{}", d.reply);
    // A delivery with the original address in angle brackets and the server's `C=` reply.
    let Event::Delivery(d) = parse(&exim_line(
        &dir,
        "0015",
        "10HmaY-000000005vi-0000 => userx@test.ex <Userx-S@Test.Ex>",
    )) else {
        panic!("0015 =>")
    };
    assert_eq!(
        (d.to, d.orig_to, d.reply),
        ("userx@test.ex", Some("Userx-S@Test.Ex"), "250 OK")
    );
    assert_eq!(d.reply_code.map(|c| c.get()), Some(250));
    // A bounce message, linked to the message it reports on.
    let e = parse(&exim_line(&dir, "0021", "10HmbD-000000005vi-0000 <= <> R="));
    assert!(
        matches!(
            e,
            Event::Arrival {
                queue_id: "10HmbD-000000005vi-0000",
                from: "",
                notification_for: Some("10HmaY-000000005vi-0000"),
                ..
            }
        ),
        "{e:?}"
    );
    // A refusal at RCPT.
    let Event::Reject(r) = parse(&exim_line(
        &dir,
        "0014",
        "rejected RCPT <userx@test.ex>: Sender verify failed",
    )) else {
        panic!("0014 rejected")
    };
    assert_eq!(
        (r.stage, r.client, r.from, r.to, r.reply),
        (
            "RCPT",
            "(test) [10.0.0.2]",
            Some("jules@box3.plc.example"),
            Some("userx@test.ex"),
            "Sender verify failed"
        )
    );
    // Frozen, and Completed.
    let e = parse(&exim_line(&dir, "0130", "10HmaX-000000005vi-0000 Frozen"));
    assert!(
        matches!(e, Event::MessageNote { text: "Frozen", .. }),
        "{e:?}"
    );
    let e = parse(&exim_line(
        &dir,
        "0015",
        "10HmaY-000000005vi-0000 Completed",
    ));
    assert!(
        matches!(
            e,
            Event::Removed {
                queue_id: "10HmaY-000000005vi-0000"
            }
        ),
        "{e:?}"
    );
}

/// The lines of a corpus file without fail2ban's `#` annotations and blank lines.
fn log_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// One analyzer over `lines`: the summary and the failure records.
fn analyze(lines: &[String]) -> (smtp_doctor_logs::Summary, Vec<smtp_doctor_logs::Failure>) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let mut a = Analyzer::new(Options {
        failures: true,
        unknown: false,
    });
    let mut failures = Vec::new();
    a.read(&mut text.as_bytes(), &mut |r| {
        if let smtp_doctor_logs::Record::Failure(f) = r {
            failures.push(*f);
        }
    })
    .expect("reads");
    let (s, _) = a.finish();
    (s, failures)
}

/// A whole syslog line's event by the parser of its program.
fn parse_line<'a>(parser: &dyn LineParser, line: &'a str) -> Event<'a> {
    let p = parse_prefix(line).unwrap_or_else(|| panic!("prefix: {line}"));
    assert!(parser.accepts(p.program), "{}: {line}", p.program);
    parser.parse(&p)
}

#[test]
fn sendmail_fluent_plugin_data() {
    let Some(dir) = corpus() else { return };
    let lines = log_lines(&dir.join("sendmail/fluent-plugin-sendmail-data.log"));
    let (s, failures) = analyze(&lines);
    assert_eq!((s.lines, s.unknown_lines, s.unparsed_lines), (10, 0, 0));
    // One arrival (nrcpts=7); seven recipients on five `to=` lines, two of them deferred first.
    assert_eq!(s.received.get("smtpd"), Some(&1));
    assert_eq!((s.sent.lines, s.deferred.lines, s.bounced.lines), (6, 2, 0));
    assert_eq!(s.sent.by_domain.get("example2.com"), Some(&2));
    assert_eq!(s.sent.by_relay.get("93.184.216.34"), Some(&5));
    assert_eq!(s.sent.by_relay.get("local"), Some(&1));
    // Sendmail's fully-qualified `relay=mx.example.org. [ip]` is grouped without its dot.
    let (one, _) = analyze(&[
        "Apr  2 00:15:25 mta sm-mta[1]: u31FFPtp032300: to=<a@example.org>, delay=00:00:01, mailer=esmtp, pri=1, relay=mx.example.org. [192.0.2.25], dsn=5.1.1, stat=User unknown".to_string(),
    ]);
    assert_eq!(one.bounced.by_relay.get("mx.example.org"), Some(&1));
    assert_eq!(one.failures.by_category.get("userunknown"), Some(&1));
    assert_eq!(s.deferred.by_dsn.get("4.3.5"), Some(&2));
    assert_eq!(s.deferred.by_reply_code.get("451"), Some(&2));
    // deferred1 was delivered on its retry, deferred2 never: six recipients delivered.
    assert_eq!(s.recipients.delivered, 6);
    assert_eq!(failures.len(), 2);
    let f = &failures[1];
    assert_eq!(f.queue_id.as_deref(), Some("u31FFPtp032300"));
    assert_eq!(f.to.as_deref(), Some("deferred2@example.com"));
    assert_eq!(
        f.message_id.as_deref(),
        Some("201604011515.u31FFIAj012911@gmail.com")
    );
    assert_eq!(f.from.as_deref(), Some("grandeur09@gmail.com"));
    assert_eq!(f.reply, "451 4.3.5 Server configuration problem");
    assert_eq!(
        f.enhanced_code.map(|c| c.to_string()).as_deref(),
        Some("4.3.5")
    );

    let sm = smtp_doctor_logs::Sendmail;
    let line = lines
        .iter()
        .find(|l| l.contains("deferred2@"))
        .expect("deferred2 line");
    let Event::Delivery(d) = parse_line(&sm, line) else {
        panic!("{line}")
    };
    // delay=1+00:00:15
    assert_eq!(
        (d.delay, d.dsn, d.status),
        (Some(86_415.0), Some("4.3.5"), Status::Deferred)
    );
    assert_eq!(d.relay, "[93.184.216.34] [93.184.216.34]");
    let line = lines
        .iter()
        .find(|l| l.contains("ctladdr="))
        .expect("local line");
    let Event::Delivery(d) = parse_line(&sm, line) else {
        panic!("{line}")
    };
    assert_eq!(
        (d.to, d.relay, d.status, d.status_text),
        ("root@localhost.localdomain", "local", Status::Sent, "sent")
    );
    let line = lines
        .iter()
        .find(|l| l.contains("<sent1@"))
        .expect("sent1 line");
    let Event::Delivery(d) = parse_line(&sm, line) else {
        panic!("{line}")
    };
    assert_eq!(
        (d.to, d.more_to, d.reply),
        (
            "sent1@example.com",
            Some("<sent2@example.com>"),
            "ok:  Message 40279894 accepted"
        )
    );
}

/// A fail2ban annotation's string value (`"host": "1.2.3.4"`).
fn fail_json<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let at = json.find(&format!("\"{key}\""))?;
    let rest = json[at + key.len() + 2..]
        .trim_start()
        .strip_prefix(':')?
        .trim_start();
    if let Some(s) = rest.strip_prefix('"') {
        return s.split('"').next();
    }
    rest.split([',', ' ', '}']).next()
}

/// The fail2ban Sendmail files: every line understood, and each line fail2ban expects to match
/// (a client to ban) is a refusal or an authentication failure of that client, or a line this
/// crate reads as a session's noise (`did not issue MAIL`, `possible SMTP attack`); each line it
/// expects not to match is neither. The annotation's time is the line's timestamp.
#[test]
fn sendmail_fail2ban_annotations() {
    let Some(dir) = corpus() else { return };
    let sm = smtp_doctor_logs::Sendmail;
    let (mut rejects, mut auth, mut matched) = (0, 0, 0);
    for file in ["fail2ban/sendmail-reject", "fail2ban/sendmail-auth"] {
        let text = std::fs::read_to_string(dir.join(file)).expect("reads");
        let mut expect: Option<String> = None;
        for line in text.lines() {
            if let Some(json) = line.strip_prefix("# failJSON: ") {
                expect = Some(json.to_string());
                continue;
            }
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let Some(json) = expect.take() else { continue };
            let event = parse_line(&sm, line);
            assert!(!matches!(event, Event::Unknown), "{file}: {line}");
            let client = match &event {
                Event::Reject(r) => Some(r.client),
                Event::AuthFailure { client } => Some(*client),
                _ => None,
            };
            if fail_json(&json, "match") == Some("false") {
                assert!(
                    client.is_none(),
                    "{file}: fail2ban expects no match: {line}"
                );
                continue;
            }
            matched += 1;
            if let Some(time) = fail_json(&json, "time") {
                // "2005-02-25T03:01:10" and "Feb 25 03:01:10": the same day and time.
                let p = parse_prefix(line).expect("prefix");
                let (date, clock) = time.split_once('T').expect("ISO time");
                let day: u32 = date[8..10].parse().expect("day");
                assert!(
                    p.timestamp.ends_with(&format!("{day} {clock}")),
                    "{file}: {} vs {time}",
                    p.timestamp
                );
            }
            let host = fail_json(&json, "host").expect("host");
            match &event {
                Event::Reject(_) => rejects += 1,
                Event::AuthFailure { .. } => auth += 1,
                Event::Noise | Event::MessageNote { .. } => continue,
                e => panic!("{file}: {e:?}: {line}"),
            }
            let client = client.unwrap_or_default();
            let ip = client
                .rsplit_once('[')
                .and_then(|(_, r)| r.split_once(']'))
                .map_or(client, |(ip, _)| ip);
            let ip = ip.strip_prefix("IPv6:").unwrap_or(ip);
            assert!(
                ip.eq_ignore_ascii_case(host),
                "{file}: {client} vs {host}: {line}"
            );
        }
    }
    eprintln!(
        "fail2ban sendmail: {matched} expected matches, {rejects} refusals, {auth} auth failures"
    );
    assert!(matched >= 40, "{matched}");
    assert_eq!((rejects, auth), (27, 7));
}

#[test]
fn sendmail_fail2ban_summary() {
    let Some(dir) = corpus() else { return };
    let (s, failures) = analyze(&log_lines(&dir.join("fail2ban/sendmail-reject")));
    assert_eq!((s.unknown_lines, s.unparsed_lines), (0, 0));
    assert_eq!(s.rejects.by_stage.get("RCPT"), Some(&16));
    assert_eq!(s.rejects.by_stage.get("CONNECT"), Some(&6));
    assert_eq!(s.rejects.by_code.get("421"), Some(&4));
    assert_eq!(s.rejects.by_dsn.get("5.1.8"), Some(&4));
    assert_eq!(s.rejects.by_client.get("189.30.205.74"), Some(&2));
    // The relaying refusals are named so by the shared classifier.
    let relay = failures
        .iter()
        .find(|f| f.to.as_deref() == Some("asservnew@freemailhost.ru"))
        .expect("the first refusal");
    assert_eq!(relay.finding.category.as_str(), "norelaying");
    assert_eq!(relay.queue_id.as_deref(), Some("s1P819mk027713"));
    let unknown = failures
        .iter()
        .find(|f| f.to.as_deref() == Some("non-existing-user@example.com"))
        .expect("the user-unknown refusal");
    assert_eq!(unknown.finding.category.as_str(), "userunknown");
}

#[test]
fn opensmtpd_old_format() {
    let Some(dir) = corpus() else { return };
    let lines = log_lines(&dir.join("wazuh/opensmtpd.log"));
    let (s, failures) = analyze(&lines);
    assert_eq!((s.lines, s.unknown_lines, s.unparsed_lines), (7, 0, 0));
    assert_eq!(s.lines_by_program.get("smtpd"), Some(&7));
    assert_eq!((s.messages, s.received.get("smtpd")), (1, Some(&1)));
    assert_eq!(s.rejects.total, 1);
    let f = &failures[0];
    assert_eq!(f.from.as_deref(), Some("root@junction.example.com"));
    assert_eq!(f.reply, "421 4.3.0: Temporary Error");
    assert_eq!(f.reply_code.map(|c| c.get()), Some(421));
    assert_eq!(
        f.enhanced_code.map(|c| c.to_string()).as_deref(),
        Some("4.3.0")
    );
    let line = lines
        .iter()
        .find(|l| l.contains("Accepted"))
        .expect("accepted");
    let e = parse_line(&smtp_doctor_logs::OpenSmtpd, line);
    assert_eq!(
        e,
        Event::Arrival {
            queue_id: "4296f490",
            origin: smtp_doctor_logs::Origin::Smtpd,
            client: "",
            from: "root@ix.example.com",
            size: Some(1746),
            message_id: None,
            notification_for: None,
            nrcpt: Some(1),
        }
    );
}
