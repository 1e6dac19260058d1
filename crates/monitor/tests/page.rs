//! The web page end to end: a monitor running lab targets (one healthy, one failing) serves
//! its page, headless Chromium loads it (scripts run), and the DOM it dumps has each check's
//! status and a latency chart; a screenshot is saved as target/monitor-page.png. The JSON API
//! returns the `check --json` document of each check's last run.

use smtp_doctor_lab::Lab;
use smtp_doctor_monitor::config::MonitorConfig;
use smtp_doctor_monitor::schedule::Monitor;
use smtp_doctor_monitor::serve;
use smtp_doctor_monitor::store::{SqliteStore, Store};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Longest Chromium may take for one page.
const BROWSER_LIMIT: Duration = Duration::from_secs(90);
/// Largest HTTP answer read.
const MAX_ANSWER: u64 = 4 * 1024 * 1024;

/// A directory under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Runs Chromium headless on `url` with `args`; its standard output.
fn browse(browser: &str, profile: &Path, args: &[String], url: &str) -> String {
    let out_path = profile.join("stdout");
    let out = std::fs::File::create(&out_path).expect("stdout file");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=3000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.join("profile").display()
        ))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "chromium {args:?}: {status}");
            break;
        }
        if start.elapsed() > BROWSER_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {args:?} still running after {BROWSER_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    String::from_utf8_lossy(&std::fs::read(&out_path).expect("stdout")).into_owned()
}

/// A GET on the monitor's server: the status code and the body.
async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .expect("request");
    let mut buf = Vec::new();
    tokio::time::timeout(
        Duration::from_secs(30),
        s.take(MAX_ANSWER).read_to_end(&mut buf),
    )
    .await
    .expect("an answer in time")
    .expect("read");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head");
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status");
    (code, body.to_string())
}

/// The part of the DOM from `start` to the next `end`.
fn part<'a>(dom: &'a str, start: &str, end: &str) -> &'a str {
    let at = dom
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in the DOM"));
    let rest = &dom[at..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// A check's row of the summary table.
fn row<'a>(dom: &'a str, name: &str) -> &'a str {
    part(dom, &format!("<tr data-check=\"{name}\""), "</tr>")
}

/// A check's section.
fn section<'a>(dom: &'a str, name: &str) -> &'a str {
    part(dom, &format!("id=\"check-{name}\""), "</section>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_statuses_and_charts_in_chromium() {
    let Some(browser) = chromium() else {
        smtp_doctor_testkit::skip("chromium is not installed (scripts/setup.sh installs it)");
        return;
    };
    let lab = Lab::start_only(&["healthy", "greeting-421"])
        .await
        .expect("lab");
    let dir =
        TempDir(std::env::temp_dir().join(format!("smtp-doctor-page-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).expect("dir");
    let addr = |name: &str| lab.scenario(name).expect("scenario").addr;
    let text = format!(
        "[[check]]\nname = \"up\"\ncheck = \"{}\"\ntls = \"none\"\n\n\
         [[check]]\nname = \"down\"\ncheck = \"{}\"\ntls = \"none\"\n",
        addr("healthy"),
        addr("greeting-421"),
    );
    let cfg = MonitorConfig::parse(&text, &dir.0.join("monitor.toml")).expect("config");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&cfg.store).expect("store"));
    let monitor = Arc::new(Monitor::new(&cfg, store).expect("monitor"));
    // A few runs of each, for the chart's lines.
    for _ in 0..3 {
        monitor.run_all_once().await.expect("runs");
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let server = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(serve::serve(listener, Arc::clone(&monitor), async {
        let _ = stopped.await;
    }));

    // The JSON API: each check's last report is the `check --json` document stored.
    for s in monitor.snapshot() {
        let (code, body) = get(server, &format!("/api/checks/{}", s.spec.name)).await;
        assert_eq!(code, 200, "{body}");
        let doc: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        let stored: serde_json::Value =
            serde_json::from_str(&s.last.as_deref().expect("a run").report).expect("stored");
        assert_eq!(doc, stored);
        assert_eq!(doc["schema"], "smtp-doctor/check/v1");
        let verdict = if s.spec.name == "up" {
            "healthy"
        } else {
            "problem"
        };
        assert_eq!(doc["verdict"]["status"], verdict, "{doc:#}");
    }
    let (code, list) = get(server, "/api/checks").await;
    assert_eq!(code, 200);
    let list: serde_json::Value = serde_json::from_str(&list).expect("JSON");
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list:#}");
    assert_eq!(get(server, "/api/checks/nope").await.0, 404);

    let url = format!("http://{server}/");
    let browser = browser.to_string();
    let profile = dir.0.clone();
    let shot = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("monitor-page.png");
    let shot_arg = format!("--screenshot={}", shot.display());
    let (dom, _) = tokio::task::spawn_blocking(move || {
        let dom = browse(&browser, &profile, &["--dump-dom".to_string()], &url);
        let _ = browse(
            &browser,
            &profile,
            &[shot_arg, "--window-size=1100,1400".to_string()],
            &url,
        );
        (dom, ())
    })
    .await
    .expect("chromium ran");
    let _ = stop.send(());
    let _ = serving.await;
    lab.shutdown().await;

    // The script ran, each check has its status, and each chart has its stage lines.
    assert!(dom.contains("data-scripted=\"1\""), "{dom}");
    assert!(row(&dom, "up").contains("data-status=\"ok\""), "{dom}");
    assert!(
        row(&dom, "down").contains("data-status=\"failed\""),
        "{dom}"
    );
    let up = section(&dom, "up");
    assert!(up.contains("<svg class=\"chart\""), "{up}");
    for stage in ["connect", "banner", "ehlo"] {
        assert!(
            up.contains(&format!("data-stage=\"{stage}\"")),
            "{stage}: {up}"
        );
    }
    assert!(up.contains("class=\"transcript\""), "{up}");
    let down = section(&dom, "down");
    assert!(down.contains("<svg class=\"chart\""), "{down}");
    assert!(down.contains("421"), "{down}");
    assert!(
        std::fs::metadata(&shot).is_ok_and(|m| m.len() > 1000),
        "no screenshot at {}",
        shot.display()
    );
}
