//! Hostile servers (issue 9): `check` against the built-in lab's servers that flood, drip,
//! reset, send NUL bytes, a 100,000-line reply, a TLS handshake that stalls half-way and plain
//! text after STARTTLS. Each run ends within its deadline (the stage duration the report
//! gives, the run itself killed past `RUN_LIMIT`), stays within a memory bound (the process's
//! peak RSS, measured by GNU time's wait4), and names what happened.

use serde_json::Value;

mod common;
use common::{spawn_limited, LabProcess, BIN};

/// The largest peak RSS a `check` may reach against any of these servers (a healthy `check`
/// stays near 20 MiB; a client buffering the flood would pass 100 MiB).
const RSS_LIMIT_KIB: u64 = 64 * 1024;
/// The stage deadline the slow servers get.
const DEADLINE_S: &str = "2";
/// How far past its deadline a stage may end (scheduling on a loaded machine).
const SLACK_MS: u64 = 1500;

/// One hostile server and what `check` must make of it.
struct Case {
    /// The lab scenario.
    name: &'static str,
    /// `--tls`.
    tls: &'static str,
    /// Extra options (the deadline of the stage that never ends).
    extra: &'static [&'static str],
    /// The verdict's category.
    category: &'static str,
    /// The stage that fails (none: the check succeeds).
    stage: Option<&'static str>,
    /// What the finding's observation says.
    says: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "flood",
        tls: "none",
        extra: &[],
        category: "bannerfailure",
        stage: Some("banner"),
        says: "not an SMTP server",
    },
    Case {
        name: "drip",
        tls: "none",
        extra: &["--timeout-banner", DEADLINE_S],
        category: "bannerfailure",
        stage: Some("banner"),
        says: "greeting line 1",
    },
    Case {
        name: "reset",
        tls: "none",
        extra: &[],
        category: "bannerfailure",
        stage: Some("banner"),
        says: "reset",
    },
    Case {
        name: "nul-banner",
        tls: "starttls",
        extra: &[],
        category: "delivered",
        stage: None,
        says: "",
    },
    Case {
        name: "ehlo-flood",
        tls: "starttls",
        extra: &[],
        category: "systemerror",
        stage: Some("ehlo"),
        says: "reply larger than 65536 bytes",
    },
    Case {
        name: "tls-stall",
        tls: "starttls",
        extra: &["--timeout-command", DEADLINE_S],
        category: "tlsfailure",
        stage: Some("tls"),
        says: "no handshake within 2 s",
    },
    Case {
        name: "starttls-plain",
        tls: "starttls",
        extra: &[],
        category: "tlsfailure",
        stage: Some("tls"),
        says: "plain text",
    },
];

#[test]
fn check_survives_every_hostile_server() {
    // `healthy` too: the lab prints its ready `Try:` line for it, which ends the listing.
    let mut args = vec!["--only", "healthy"];
    for Case { name, .. } in CASES {
        args.extend(["--only", name]);
    }
    let lab = LabProcess::start(&[], &args);
    let ca = lab.ca();
    let dir = std::env::temp_dir().join(format!("smtp-doctor-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let time = if std::path::Path::new("/usr/bin/time").exists() {
        "/usr/bin/time"
    } else {
        smtp_doctor_testkit::skip(
            "/usr/bin/time (GNU time) is missing: scripts/setup.sh installs it",
        );
        return;
    };
    for Case {
        name,
        tls,
        extra,
        category,
        stage,
        says,
    } in CASES
    {
        let addr = lab.addr(name);
        let rss_file = dir.join(format!("{name}.rss"));
        let rss_path = rss_file.to_str().expect("utf-8 path");
        let mut argv = vec![
            "-f", "%M", "-o", rss_path, BIN, "check", &addr, "--tls", tls, "--ca", &ca, "--json",
        ];
        argv.extend_from_slice(extra);
        let out = spawn_limited(time, &argv, &[]);
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        let want_code = if *category == "delivered" { 0 } else { 1 };
        assert_eq!(out.status.code(), Some(want_code), "{name}: {report:#}");
        assert_eq!(
            report["verdict"]["category"], *category,
            "{name}: {:#}",
            report["verdict"]
        );

        let rss: u64 = std::fs::read_to_string(&rss_file)
            .ok()
            .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
            .unwrap_or_else(|| panic!("{name}: no peak RSS from GNU time"));
        eprintln!("{name}: peak RSS {rss} KiB");
        assert!(rss < RSS_LIMIT_KIB, "{name}: peak RSS {rss} KiB");

        let attempt = &report["attempts"][0];
        let stages = attempt["stages"].as_array().expect("stages");
        match stage {
            Some(stage) => {
                let failed = stages.last().expect("a stage");
                assert_eq!(failed["name"], *stage, "{name}: {failed:#}");
                assert!(!failed["error"].is_null(), "{name}: {failed:#}");
                if let Some(limit) = failed["error"]["limit_ms"].as_u64() {
                    let took = failed["duration_ms"].as_u64().expect("duration");
                    assert!(
                        took <= limit + SLACK_MS,
                        "{name}: {took} ms for a {limit} ms deadline"
                    );
                }
                let observed = report["findings"][0]["observed"]
                    .as_str()
                    .unwrap_or_default();
                assert!(observed.contains(says), "{name}: {observed}");
            }
            None => {
                // NUL bytes are tolerated and reported as an anomaly of the greeting.
                let banner = &stages[1];
                assert_eq!(banner["name"], "banner");
                let anomalies = banner["reply"]["anomalies"].to_string();
                assert!(anomalies.contains("nul"), "{name}: {banner:#}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let (status, stderr) = lab.stop();
    assert!(status.success(), "{stderr}");
}
