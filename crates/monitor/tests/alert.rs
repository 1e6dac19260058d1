//! Alerts end to end: a monitor running lab targets posts one JSON alert to a local webhook
//! receiver when a check fails (and none for the healthy one, none again while it stays
//! failing), and an alert mailed through the lab Postfix on 127.0.0.1:2525 is queued there.

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use smtp_doctor_lab::Lab;
use smtp_doctor_monitor::alert::{deliver, run_alerts, Alert, AlertKind, ALERT_SCHEMA};
use smtp_doctor_monitor::config::{AlertChannel, MonitorConfig};
use smtp_doctor_monitor::schedule::Monitor;
use smtp_doctor_monitor::store::{RunRecord, RunStatus, SqliteStore, Store};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Longest the test waits for any one event.
const EVENT_LIMIT: Duration = Duration::from_secs(60);

/// A directory under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("smtp-doctor-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("dir");
        TempDir(d)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A webhook receiver on 127.0.0.1: every body it is posted, in order.
async fn receiver() -> (SocketAddr, mpsc::UnboundedReceiver<Bytes>) {
    let (tx, rx) = mpsc::unbounded_channel::<Bytes>();
    let app = axum::Router::new()
        .route(
            "/hook",
            post(
                |State(tx): State<mpsc::UnboundedSender<Bytes>>, body: Bytes| async move {
                    let _ = tx.send(body);
                    "ok"
                },
            ),
        )
        .with_state(tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_check_posts_one_alert_to_the_webhook() {
    let lab = Lab::start_only(&["healthy", "greeting-421"])
        .await
        .expect("lab");
    let (hook, mut bodies) = receiver().await;
    let dir = TempDir::new("alert");
    let addr = |name: &str| lab.scenario(name).expect("scenario").addr;
    let text = format!(
        r#"
[[check]]
name = "up"
check = "{up}"
tls = "none"
interval = "1s"

[[check]]
name = "down"
check = "{down}"
tls = "none"
interval = "1s"
labels = {{ site = "lab" }}

[[alert]]
name = "hook"
webhook = "http://{hook}/hook"
"#,
        up = addr("healthy"),
        down = addr("greeting-421"),
    );
    let cfg = MonitorConfig::parse(&text, &dir.0.join("monitor.toml")).expect("config");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&cfg.store).expect("store"));
    let monitor = Arc::new(Monitor::new(&cfg, store).expect("monitor"));
    let mut runs = monitor.subscribe();
    let alerts = tokio::spawn(run_alerts(
        Arc::clone(&monitor),
        cfg.alerts.clone(),
        cfg.remind,
    ));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let m = Arc::clone(&monitor);
    let schedule = tokio::spawn(async move {
        m.run(async {
            let _ = stopped.await;
        })
        .await
    });

    let body = tokio::time::timeout(EVENT_LIMIT, bodies.recv())
        .await
        .expect("an alert within the limit")
        .expect("the receiver runs");
    let v: serde_json::Value = serde_json::from_slice(&body).expect("a JSON body");
    assert_eq!(v["schema"], ALERT_SCHEMA, "{v:#}");
    assert_eq!(v["event"], "failing", "{v:#}");
    assert_eq!(v["check"], "down", "{v:#}");
    assert_eq!(v["status"], "failed", "{v:#}");
    assert_eq!(v["reply_code"], 421, "{v:#}");
    assert_eq!(v["labels"]["site"], "lab", "{v:#}");
    assert!(
        v["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("down is failing")),
        "{v:#}"
    );
    // Three more failing runs of "down" and healthy runs of "up": nothing more is posted.
    let (mut down, mut up) = (0, 0);
    while down < 3 || up < 2 {
        let run: Arc<RunRecord> = tokio::time::timeout(EVENT_LIMIT, runs.recv())
            .await
            .expect("a run within the limit")
            .expect("the monitor runs");
        match run.check.as_str() {
            "down" => {
                assert_eq!(run.status, RunStatus::Failed, "{run:?}");
                down += 1;
            }
            _ => {
                assert_eq!(run.status, RunStatus::Ok, "{run:?}");
                up += 1;
            }
        }
    }
    let _ = stop.send(());
    let _ = schedule.await;
    alerts.abort();
    assert!(
        bodies.try_recv().is_err(),
        "a repeated alert for a state that did not change"
    );
    lab.shutdown().await;
}

/// `$SMTP_LAB_DIR`, where the lab keeps its logs.
fn lab_dir() -> PathBuf {
    std::env::var_os("SMTP_LAB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/smtp-doctor-lab"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_mailed_through_the_lab_postfix_is_queued() {
    let relay = SocketAddr::from(([127, 0, 0, 1], 2525));
    if TcpStream::connect_timeout(&relay, Duration::from_secs(2)).is_err() {
        smtp_doctor_testkit::skip(&format!(
            "the lab Postfix is not listening on {relay} (../shared/lab/start-mtas.sh)"
        ));
        return;
    }
    let dir = TempDir::new("alert-mail");
    let text = "[[check]]\nname = \"mx\"\ncheck = \"192.0.2.1:25\"\n\n[[alert]]\nname = \"mail\"\n\
                email = { relay = \"127.0.0.1:2525\", from = \"monitor@lab.test\", \
                to = [\"ops@lab.test\"], tls = \"none\" }\n";
    let cfg = MonitorConfig::parse(text, &dir.0.join("monitor.toml")).expect("config");
    assert!(matches!(&cfg.alerts[0], AlertChannel::Email { .. }));
    let run = RunRecord {
        check: "mx".into(),
        started_ms: 1_700_000_000_000,
        duration_ms: 12,
        status: RunStatus::Failed,
        category: Some("greylisted".into()),
        reason: Some("421 4.7.0 try again later".into()),
        reply_code: Some(421),
        cert_days_left: None,
        stages: Vec::new(),
        findings: Default::default(),
        dnsbl: Default::default(),
        report: String::new(),
    };
    let alert = Alert::new(AlertKind::Failing, &cfg.checks[0], &run);
    let reply = deliver(&cfg.alerts[0], &alert).await.expect("queued");
    assert!(reply.starts_with("250"), "{reply}");
    let id = reply
        .split("queued as ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no queue id in {reply:?}"))
        .to_string();
    // Postfix logs the queue id as the message goes through; the log may lag a little.
    let log = lab_dir().join("postfix/log/maillog");
    let needle = format!("{id}: from=<monitor@lab.test>");
    let mut found = false;
    for _ in 0..100 {
        let text = std::fs::read(&log).unwrap_or_default();
        if String::from_utf8_lossy(&text).contains(&needle) {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(found, "{needle:?} not in {}", log.display());
}
