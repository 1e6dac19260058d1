//! The `--json` contract of every subcommand on real input: `explain` on server replies, `check`
//! against every scenario of the built-in lab, `bounce` on the bounce corpus and `logs` on the
//! log corpus, `dns` against the lab zone. Each object is validated against its subcommand's schema under `schema/`, and each
//! finding in it against `schema/finding.v1.json` alone, closed to other fields: every subcommand
//! writes the same finding object.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

use common::{
    finding_fields, finding_validator, need_lab_dns, run_env, run_stdin, schema_validator,
    LabProcess, LAB_DNS,
};

/// Validates `v` against `validator`, panicking with the errors and `what`.
fn assert_valid(validator: &jsonschema::Validator, v: &Value, what: &str) {
    let errors: Vec<String> = validator.iter_errors(v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{what}: {errors:?}\n{v}");
}

/// Every stdout line of `out`, parsed as JSON.
fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The finding's fields of an object that carries them among its own (explain's record, check's
/// findings), as an object of their own.
fn finding_part(v: &Value) -> Value {
    let fields = finding_fields();
    let map = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"));
    Value::Object(
        map.iter()
            .filter(|(k, _)| fields.iter().any(|f| f == *k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// The shared corpus directory `sub`, or `None` (a failure under `CI=true`) when it is absent.
fn corpus(sub: &str) -> Option<PathBuf> {
    smtp_doctor_testkit::shared(&format!("corpus/{sub}"), &[])
}

/// Every file under `dir` but READMEs, in name order.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if !e.file_name().to_string_lossy().starts_with("README") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_finding_schema_names_every_field_of_the_model() {
    let fields = finding_fields();
    for f in [
        "category",
        "class",
        "party",
        "confidence",
        "stage",
        "reply_code",
        "enhanced_code",
        "summary",
        "explanation",
        "fix",
        "references",
        "matched",
        "evidence",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} missing");
    }
    // No subcommand's schema defines a finding of its own.
    for (name, text) in [
        ("explain", include_str!("../../../schema/explain.v1.json")),
        ("check", include_str!("../../../schema/check.v1.json")),
        ("bounce", include_str!("../../../schema/bounce.v1.json")),
        ("logs", include_str!("../../../schema/logs.v1.json")),
    ] {
        assert!(text.contains("\"finding.v1.json\""), "{name}: no $ref");
        let v: Value = serde_json::from_str(text).expect("schema is JSON");
        assert!(v["$defs"].get("finding").is_none(), "{name}: own finding");
    }
    // The closed finding schema refuses an unknown field and a missing one.
    let finding = finding_validator();
    let out = run_stdin(&["explain", "--json", "550 5.1.1 User unknown"], None);
    let f = finding_part(&json_lines(&out)[0]);
    assert_valid(&finding, &f, "explain's finding");
    let mut extra = f.clone();
    extra["extra"] = Value::from(1);
    assert!(!finding.is_valid(&extra));
    let mut missing = f;
    missing.as_object_mut().map(|m| m.remove("references"));
    assert!(!finding.is_valid(&missing));
}

#[test]
fn explain_json_matches_its_schema_and_the_finding() {
    let schema = schema_validator(include_str!("../../../schema/explain.v1.json"));
    let finding = finding_validator();
    let input = "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table\n\
451 4.7.1 Greylisted, please try again later\n\
554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org\n\
552 5.2.2 Mailbox full\n\
421 4.7.0 Too many connections from 198.51.100.1\n\
530 5.7.0 Must issue a STARTTLS command first\n\
250 2.0.0 Ok: queued as 4F3A21C0\n\
5.7.26\n\
hello world\n";
    let out = run_stdin(
        &["explain", "--json", "--file", "-"],
        Some(input.as_bytes()),
    );
    let objs = json_lines(&out);
    assert_eq!(objs.len(), input.lines().count());
    for v in &objs {
        assert_valid(&schema, v, "explain");
        assert_valid(&finding, &finding_part(v), "explain's finding");
    }
    assert!(objs.iter().any(|v| v["reply_code"] == 550));
}

#[test]
fn check_json_against_every_lab_scenario_matches_its_schema_and_the_finding() {
    let schema = schema_validator(include_str!("../../../schema/check.v1.json"));
    let finding = finding_validator();
    let lab = LabProcess::start(&[], &[]);
    let ca = lab.ca();
    // The listing's rows: name, address, --tls mode, ...
    let scenarios: Vec<(String, String, String)> = lab
        .lines
        .iter()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (name, addr, tls) = (w.next()?, w.next()?, w.next()?);
            addr.parse::<std::net::SocketAddr>().ok()?;
            Some((name.to_string(), addr.to_string(), tls.to_string()))
        })
        .collect();
    assert!(scenarios.len() >= 20, "{:?}", lab.lines);
    let mut findings = 0;
    // A few at a time: each run waits on its server's faults, not on the CPU.
    for batch in scenarios.chunks(6) {
        let outs: Vec<(String, Output)> = std::thread::scope(|s| {
            let runs: Vec<_> = batch
                .iter()
                .map(|(name, addr, tls)| {
                    let ca = &ca;
                    s.spawn(move || {
                        let args = [
                            "check",
                            addr,
                            "--tls",
                            tls,
                            "--ca",
                            ca,
                            "--from",
                            "a@lab.invalid",
                            "--to",
                            "b@lab.invalid",
                            "--timeout-banner",
                            "1.5",
                            "--timeout-command",
                            "3",
                            "--json",
                        ];
                        (name.clone(), run_env(&args, &[]))
                    })
                })
                .collect();
            runs.into_iter()
                .map(|r| r.join().expect("a check run"))
                .collect()
        });
        for (name, out) in outs {
            let objs = json_lines(&out);
            assert_eq!(objs.len(), 1, "{name}: one object");
            let v = &objs[0];
            assert_valid(&schema, v, &name);
            let list = v["findings"].as_array().expect("findings");
            for f in list {
                assert_valid(&finding, &finding_part(f), &format!("{name}'s finding"));
            }
            findings += list.len();
        }
    }
    assert!(findings >= scenarios.len() / 2, "{findings} findings");
    lab.stop();
}

#[test]
fn bounce_json_on_the_corpus_matches_its_schema_and_the_finding() {
    let Some(dir) = corpus("bounces") else {
        return;
    };
    let schema = schema_validator(include_str!("../../../schema/bounce.v1.json"));
    let finding = finding_validator();
    let inputs: Vec<String> = ["maildir", "mailbox"]
        .iter()
        .map(|d| dir.join(d).to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["bounce", "--json"];
    args.extend(inputs.iter().map(String::as_str));
    let objs = json_lines(&run_stdin(&args, None));
    assert!(objs.len() > 700, "only {} records", objs.len());
    let mut findings = 0;
    for v in &objs {
        assert_valid(&schema, v, "bounce");
        if !v["finding"].is_null() {
            // Bounce's finding is the object itself: nothing of its own beside it.
            assert_valid(&finding, &v["finding"], "bounce's finding");
            findings += 1;
        }
    }
    assert!(findings > 600, "only {findings} findings");
}

#[test]
fn logs_json_on_the_corpus_matches_its_schema_and_the_finding() {
    let Some(dir) = corpus("logs") else {
        return;
    };
    let schema = schema_validator(include_str!("../../../schema/logs.v1.json"));
    let finding = finding_validator();
    let files: Vec<String> = files_under(&dir)
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    assert!(files.len() > 10, "{files:?}");
    let mut args = vec!["logs", "--json"];
    args.extend(files.iter().map(String::as_str));
    let summary = json_lines(&run_stdin(&args, None));
    assert_eq!(summary.len(), 1, "one summary object");
    assert_valid(&schema, &summary[0], "logs summary");
    args.insert(1, "--failures");
    let failures = json_lines(&run_stdin(&args, None));
    assert!(failures.len() > 50, "only {} failures", failures.len());
    for v in &failures {
        assert_valid(&schema, v, "logs --failures");
        assert_valid(&finding, &v["finding"], "logs' finding");
    }
    // The same failures the summary counted.
    let counted = summary[0]["failures"]["total"].as_u64().unwrap_or(0)
        + summary[0]["rejects"]["total"].as_u64().unwrap_or(0);
    assert_eq!(failures.len() as u64, counted);
}

#[test]
fn dns_json_against_the_lab_zone_matches_its_schema_and_the_finding() {
    if !need_lab_dns("dns_json_against_the_lab_zone_matches_its_schema_and_the_finding") {
        return;
    }
    let schema = schema_validator(include_str!("../../../schema/dns.v1.json"));
    let finding = finding_validator();
    let mut findings = 0;
    // The healthy domain and broken ones: MX, SPF, DMARC and authentication faults.
    for domain in [
        "lab.test",
        "nullmx.lab.test",
        "danglingmx.lab.test",
        "spf-many.lab.test",
        "spf-syntax.lab.test",
        "dmarc-bad.lab.test",
        "noauth.lab.test",
    ] {
        let out = run_stdin(&["dns", domain, "--dns-server", LAB_DNS, "--json"], None);
        let objs = json_lines(&out);
        assert_eq!(objs.len(), 1, "{domain}: one object");
        assert_valid(&schema, &objs[0], domain);
        for f in objs[0]["findings"].as_array().expect("findings") {
            assert_valid(&finding, &finding_part(f), "dns's finding");
            findings += 1;
        }
    }
    assert!(
        findings >= 6,
        "only {findings} findings over the broken domains"
    );
}
