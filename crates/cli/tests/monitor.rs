//! `smtp-doctor monitor` (issue 8): the configuration check, `--once` against the lab and the
//! metrics server.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
#[path = "../../dnsauth/tests/policy_server/mod.rs"]
mod policy_server;
use common::{get, listen, need_lab_dns, run_env, sample, webhook, LabProcess, TempDir, LAB_DNS};
use policy_server::{PolicyServer, GOOD_POLICY};

#[test]
fn check_config_reports_every_mistake_with_its_line_and_column() {
    let dir = TempDir::new("bad");
    let file = dir.write(
        "monitor.toml",
        "interval = \"soon\"\n[[check]]\nname = \"a\"\ncheck = \"mx.example.org\"\ntls = \"sometimes\"\n\
         [[check]]\ncheck = \"mx.example.net\"\n[[alert]]\nname = \"x\"\nwebhook = \"ftp://example.org\"\n",
    );
    let out = run_env(&["monitor", "--config", &file, "--check-config"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for place in [
        ":1:12: error:",
        ":5:7: error:",
        ":6:1: error:",
        ":10:11: error:",
    ] {
        assert!(err.contains(place), "{place} missing in {err}");
    }
    assert!(err.contains("4 mistake(s)"), "{err}");
}

#[test]
fn check_config_accepts_a_good_file_with_a_dns_check() {
    let dir = TempDir::new("good");
    let file = dir.write(
        "monitor.toml",
        "[[check]]\nname = \"mx\"\ncheck = \"127.0.0.1:2525\"\ninterval = \"1m\"\n\
         [[check]]\nname = \"zone\"\ndns = \"example.org\"\n",
    );
    let out = run_env(&["monitor", "--config", &file, "--check-config"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2 check(s)"), "{text}");
    assert!(text.contains("monitor.db"), "{text}");
}

/// A configuration of lab checks: each (name, scenario, tls) as one `[[check]]`.
fn lab_config(dir: &TempDir, lab: &LabProcess, checks: &[(&str, &str, &str)]) -> String {
    let ca = std::fs::read_to_string(lab.ca()).expect("the lab's CA");
    dir.write("ca.pem", &ca);
    let mut text = String::from("concurrency = 4\n");
    for (name, scenario, tls) in checks {
        text.push_str(&format!(
            "[[check]]\nname = \"{name}\"\ncheck = \"{}\"\ntls = \"{tls}\"\nca = \"ca.pem\"\n\
             from = \"monitor@example.org\"\nto = \"someone@lab.invalid\"\ninterval = \"2s\"\n\
             timeout = \"2s\"\nlabels = {{ site = \"lab\" }}\n",
            lab.addr(scenario)
        ));
    }
    dir.write("monitor.toml", &text)
}

#[test]
fn once_runs_every_check_and_exits_with_the_worst_status() {
    let lab = LabProcess::start(&[], &["--only", "healthy", "--only", "greylist"]);
    let dir = TempDir::new("once");
    let file = lab_config(&dir, &lab, &[("good", "healthy", "starttls")]);
    let out = run_env(&["monitor", "--config", &file, "--once"], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("ok        good"), "{text}");
    assert!(text.contains("1 check(s) run, 1 ok, 0 failing"), "{text}");
    // The run is in the history beside the file.
    assert!(dir.0.join("monitor.db").exists());

    let file = lab_config(
        &dir,
        &lab,
        &[
            ("good", "healthy", "starttls"),
            ("grey", "greylist", "starttls"),
        ],
    );
    let out = run_env(&["monitor", "--config", &file, "--once"], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("failed    grey"), "{text}");
    assert!(text.contains("greylisted"), "{text}");
    assert!(text.contains("2 check(s) run, 1 ok, 1 failing"), "{text}");
}

#[test]
fn metrics_and_probe_are_served_for_lab_targets() {
    let lab = LabProcess::start(&[], &["--only", "healthy", "--only", "greeting-421"]);
    let dir = TempDir::new("serve");
    let file = lab_config(
        &dir,
        &lab,
        &[
            ("good", "healthy", "starttls"),
            ("busy", "greeting-421", "none"),
        ],
    );
    let (mut child, addr) = listen(&["--config", &file], &[], Stdio::null());
    // Scrape until both checks have run twice (bounded).
    let start = Instant::now();
    let good = "{check=\"good\",site=\"lab\"}";
    let busy = "{check=\"busy\",site=\"lab\"}";
    let text = loop {
        let (status, text) = get(&addr, "/metrics");
        assert_eq!(status, 200);
        let runs = |labels: &str| sample(&text, &format!("smtp_doctor_check_runs_total{labels}"));
        if runs(good) >= Some(2.0) && runs(busy) >= Some(2.0) {
            break text;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{text}");
        std::thread::sleep(Duration::from_millis(200));
    };
    // Blackbox style: a target and a module (the options of a check), one probe, unstored.
    let probe =
        |target: &str, module: &str| get(&addr, &format!("/probe?target={target}&module={module}"));
    let (status, healthy) = probe(&lab.addr("healthy"), "good");
    let (_, refused) = probe(&lab.addr("greeting-421"), "busy");
    let (unknown, _) = probe(&lab.addr("healthy"), "nosuch");
    let (bad, _) = probe("a%20b", "good");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200);
    assert_eq!(sample(&healthy, "probe_success"), Some(1.0), "{healthy}");
    assert!(
        sample(&healthy, "probe_duration_seconds").is_some(),
        "{healthy}"
    );
    assert_eq!(sample(&refused, "probe_success"), Some(0.0), "{refused}");
    assert_eq!(
        sample(&refused, "smtp_doctor_probe_last_reply_code"),
        Some(421.0)
    );
    assert_eq!((unknown, bad), (400, 400));
    assert_eq!(
        sample(&text, &format!("smtp_doctor_check_success{good}")),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, &format!("smtp_doctor_check_success{busy}")),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, &format!("smtp_doctor_check_last_reply_code{busy}")),
        Some(421.0)
    );
    assert_eq!(
        sample(&text, &format!("smtp_doctor_check_last_reply_code{good}")),
        Some(221.0)
    );
    assert!(sample(
        &text,
        &format!("smtp_doctor_check_certificate_days_left{good}")
    )
    .is_some_and(|d| d > 0.0));
    assert!(sample(
        &text,
        "smtp_doctor_check_stage_duration_seconds{check=\"good\",site=\"lab\",stage=\"ehlo\"}"
    )
    .is_some());
    assert!(
        sample(
            &text,
            "smtp_doctor_check_status{check=\"busy\",site=\"lab\",status=\"failed\"}"
        ) == Some(1.0)
    );
    assert!(
        text.contains("smtp_doctor_check_findings{check=\"busy\",site=\"lab\",category="),
        "{text}"
    );
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        assert!(
            l.rsplit_once(' ')
                .is_some_and(|(_, v)| v.parse::<f64>().is_ok()),
            "{l}"
        );
    }
}

/// The `[[check]]`s of the DNS checks of the lab's Knot server: the healthy `lab.test` (its
/// MTA-STS policy served by `policy`), the broken `nomx.lab.test`, and `lab.test` with the
/// sending IP 192.0.2.10 against the listing and the refusing blocklist zones.
fn dns_config(dir: &TempDir, policy: &PolicyServer, hook: &str) -> String {
    let common = format!(
        "dns-server = \"{LAB_DNS}\"\nmta-sts-port = {}\nca = \"{}\"\ninterval = \"2s\"\n\
         timeout = \"2s\"\nlabels = {{ site = \"lab\" }}\n",
        policy.port,
        policy.ca.display()
    );
    dir.write(
        "monitor.toml",
        &format!(
            "[[check]]\nname = \"domain\"\ndns = \"lab.test\"\n{common}\
             [[check]]\nname = \"nomx\"\ndns = \"nomx.lab.test\"\n{common}\
             [[check]]\nname = \"listed\"\ndns = \"lab.test\"\nip = \"192.0.2.10\"\n\
             dnsbl = [\"dnsbl.lab.test\", \"dnsbl-refuse.lab.test\"]\n{common}\
             [[alert]]\nname = \"hook\"\nwebhook = \"{hook}\"\n"
        ),
    )
}

#[test]
fn dns_checks_run_into_the_store_metrics_api_page_and_alerts() {
    if !need_lab_dns("dns_checks_run_into_the_store_metrics_api_page_and_alerts") {
        return;
    }
    let policy = PolicyServer::new(GOOD_POLICY, "monitor");
    let (hook, bodies) = webhook();
    let dir = TempDir::new("dns");
    let file = dns_config(&dir, &policy, &hook);
    // --once: each status in the summary and the history.
    let once_db = dir.0.join("once.db").to_string_lossy().into_owned();
    let out = run_env(
        &["monitor", "--config", &file, "--once", "--store", &once_db],
        &[],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("ok        domain"), "{text}");
    assert!(text.contains("failed    nomx"), "{text}");
    assert!(text.contains("hostunknown"), "{text}");
    assert!(text.contains("failed    listed"), "{text}");
    assert!(text.contains("3 check(s) run, 1 ok, 2 failing"), "{text}");

    // --listen, a fresh history: metrics, the JSON API, the page, /probe and the alerts.
    let (mut child, addr) = listen(&["--config", &file], &[], Stdio::null());
    let start = Instant::now();
    let series = |check: &str| format!("{{check=\"{check}\",site=\"lab\"}}");
    let text = loop {
        let (status, text) = get(&addr, "/metrics");
        assert_eq!(status, 200);
        let runs = |c: &str| sample(&text, &format!("smtp_doctor_check_runs_total{}", series(c)));
        if ["domain", "nomx"].iter().all(|c| runs(c) >= Some(1.0)) && runs("listed") >= Some(3.0) {
            break text;
        }
        assert!(start.elapsed() < Duration::from_secs(90), "{text}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let (_, api) = get(&addr, "/api/checks");
    let (_, report) = get(&addr, "/api/checks/listed");
    let (_, page) = get(&addr, "/");
    let (_, probed) = get(&addr, "/probe?target=lab.test&module=listed");
    let (_, clean) = get(&addr, "/probe?target=lab.test&module=domain");
    let (bad, _) = get(&addr, "/probe?target=nodot&module=domain");
    let _ = child.kill();
    let _ = child.wait();
    let success = |c: &str| sample(&text, &format!("smtp_doctor_check_success{}", series(c)));
    assert_eq!(success("domain"), Some(1.0), "{text}");
    assert_eq!(success("nomx"), Some(0.0), "{text}");
    assert_eq!(success("listed"), Some(0.0), "{text}");
    let listed = |zone: &str| {
        sample(
            &text,
            &format!("smtp_doctor_dnsbl_listed{{check=\"listed\",site=\"lab\",zone=\"{zone}\"}}"),
        )
    };
    assert_eq!(listed("dnsbl.lab.test"), Some(1.0), "{text}");
    // The refusing zone's error code is not a listing.
    assert_eq!(listed("dnsbl-refuse.lab.test"), Some(0.0), "{text}");
    assert!(
        !text.contains("smtp_doctor_dnsbl_listed{check=\"domain\""),
        "{text}"
    );
    assert!(
        sample(
            &text,
            "smtp_doctor_check_findings{check=\"nomx\",site=\"lab\",category=\"hostunknown\"}"
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    // The JSON API: the kind, the blocklists, and the `dns --json` document.
    let api: serde_json::Value = serde_json::from_str(&api).expect("JSON");
    let entry = api
        .as_array()
        .and_then(|a| a.iter().find(|c| c["name"] == "listed"))
        .expect("the listed check");
    assert_eq!(entry["kind"], "dns", "{entry:#}");
    assert_eq!(entry["target"], "lab.test", "{entry:#}");
    assert_eq!(
        entry["last"]["dnsbl"]["dnsbl.lab.test"], "listed",
        "{entry:#}"
    );
    assert_eq!(
        entry["last"]["dnsbl"]["dnsbl-refuse.lab.test"], "query_refused",
        "{entry:#}"
    );
    let report: serde_json::Value = serde_json::from_str(&report).expect("JSON");
    assert_eq!(report["schema"], "smtp-doctor/dns/v1", "{report:#}");
    assert_eq!(report["dnsbl"][0]["status"], "listed", "{report:#}");
    assert_eq!(report["verdict"]["status"], "problem", "{report:#}");
    // The page shows each blocklist's answer.
    assert!(
        page.contains("data-zone=\"dnsbl.lab.test\" data-listed=\"true\""),
        "{page}"
    );
    assert!(
        page.contains("data-zone=\"dnsbl-refuse.lab.test\" data-listed=\"false\""),
        "{page}"
    );
    // /probe with a dns module checks the target domain with that check's options.
    assert_eq!(sample(&probed, "probe_success"), Some(0.0), "{probed}");
    assert_eq!(
        sample(
            &probed,
            "smtp_doctor_probe_dnsbl_listed{zone=\"dnsbl.lab.test\"}"
        ),
        Some(1.0),
        "{probed}"
    );
    assert_eq!(sample(&clean, "probe_success"), Some(1.0), "{clean}");
    assert_eq!(bad, 400);
    // Alerts: "listed" failing and newly listed, once each over its three runs; "nomx"
    // failing; nothing for the healthy domain.
    let mut events = Vec::new();
    while let Ok(body) = bodies.recv_timeout(Duration::from_secs(2)) {
        let v: serde_json::Value = serde_json::from_str(&body).expect("a JSON alert");
        events.push(v);
    }
    let count = |check: &str, event: &str| {
        events
            .iter()
            .filter(|v| v["check"] == check && v["event"] == event)
            .count()
    };
    assert_eq!(count("listed", "listed"), 1, "{events:#?}");
    assert_eq!(count("listed", "failing"), 1, "{events:#?}");
    assert_eq!(count("nomx", "failing"), 1, "{events:#?}");
    assert!(events.iter().all(|v| v["check"] != "domain"), "{events:#?}");
    let listing = events
        .iter()
        .find(|v| v["event"] == "listed")
        .expect("a listing alert");
    assert_eq!(
        listing["dnsbl_listed"],
        serde_json::json!(["dnsbl.lab.test"])
    );
    assert!(
        listing["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("listed is newly listed by a blocklist")),
        "{listing:#}"
    );
}

/// `psql` on a URL, one query; its unaligned output.
fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-Atc", sql])
        .stdin(Stdio::null())
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn once_stores_its_runs_in_postgres_with_store_url() {
    let Ok(admin) = std::env::var("SMTP_DOCTOR_TEST_POSTGRES") else {
        smtp_doctor_testkit::skip(
            "SMTP_DOCTOR_TEST_POSTGRES is not set (scripts/start-postgres.sh)",
        );
        return;
    };
    let db = format!("smtp_doctor_cli_{}", std::process::id());
    psql(
        &admin,
        &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
    );
    psql(&admin, &format!("CREATE DATABASE {db}"));
    let (server, _) = admin.rsplit_once('/').expect("a URL with a database");
    let url = format!("{server}/{db}");
    let lab = LabProcess::start(&[], &["--only", "healthy"]);
    let dir = TempDir::new("pg");
    let file = lab_config(&dir, &lab, &[("good", "healthy", "starttls")]);
    for _ in 0..2 {
        let out = run_env(
            &["monitor", "--config", &file, "--once", "--store", &url],
            &[],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Both runs are in PostgreSQL, none in a SQLite file beside the configuration.
    let rows = psql(
        &url,
        "SELECT count(*), min(status), min(check_name) FROM runs",
    );
    psql(
        &admin,
        &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
    );
    assert_eq!(rows, "2|ok|good");
    assert!(!dir.0.join("monitor.db").exists());
}
