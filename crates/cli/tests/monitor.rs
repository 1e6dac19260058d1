//! `smtp-doctor monitor` (issue 8): the configuration check, `--once` against the lab and the
//! metrics server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{run_env, LabProcess, BIN};

/// A fresh directory under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("smtp-doctor-monitor-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write");
        path.to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

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
fn check_config_accepts_a_good_file_and_warns_of_dns_checks() {
    let dir = TempDir::new("good");
    let file = dir.write(
        "monitor.toml",
        "[[check]]\nname = \"mx\"\ncheck = \"127.0.0.1:2525\"\ninterval = \"1m\"\n\
         [[check]]\nname = \"zone\"\ndns = \"example.org\"\n",
    );
    let out = run_env(&["monitor", "--config", &file, "--check-config"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(":7:7: warning: dns checks are not yet supported"),
        "{err}"
    );
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

/// `GET path` on `addr`, the body of a 200 answer.
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut reply = String::new();
    s.take(4 * 1024 * 1024)
        .read_to_string(&mut reply)
        .expect("read");
    let status = reply
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = reply
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// The value of the sample `name{labels}` (labels exactly as written), if any.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
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
    let mut child = Command::new(BIN)
        .args(["monitor", "--config", &file, "--listen", "127.0.0.1:0"])
        .env("SMTP_DOCTOR_CONFIG", "")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("monitor starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the address line");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|a| a.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_string();
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
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(
            !ci,
            "CI=true but SMTP_DOCTOR_TEST_POSTGRES is not set (scripts/start-postgres.sh)"
        );
        eprintln!("SKIP: SMTP_DOCTOR_TEST_POSTGRES is not set (scripts/start-postgres.sh)");
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
