//! The scheduler against the built-in lab: a hanging target never delays the others, runs are
//! stored, and a restart resumes the schedule from the store.

use smtp_doctor_lab::Lab;
use smtp_doctor_monitor::config::MonitorConfig;
use smtp_doctor_monitor::schedule::Monitor;
use smtp_doctor_monitor::store::{RunRecord, RunStatus, SqliteStore, Store};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Longest the test waits for any one event.
const EVENT_LIMIT: Duration = Duration::from_secs(60);

/// A directory under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config(dir: &TempDir, lab: &Lab) -> MonitorConfig {
    std::fs::write(dir.0.join("ca.pem"), lab.ca_pem()).expect("ca");
    let addr = |name: &str| lab.scenario(name).expect("scenario").addr;
    let text = format!(
        r#"
concurrency = 2
[[check]]
name = "healthy"
check = "{healthy}"
tls = "starttls"
ca = "ca.pem"
from = "monitor@example.org"
to = "someone@lab.invalid"
interval = "2s"
timeout = "2s"

[[check]]
name = "expiring"
check = "{healthy}"
tls = "starttls"
ca = "ca.pem"
interval = "1h"
thresholds = {{ cert-days = 3650 }}

[[check]]
name = "silent"
check = "{silent}"
tls = "none"
interval = "1h"
timeout = "6s"

[[check]]
name = "421"
check = "{g421}"
tls = "none"
interval = "1h"
timeout = "4s"
"#,
        healthy = addr("healthy"),
        silent = addr("silent"),
        g421 = addr("greeting-421"),
    );
    let path = dir.0.join("monitor.toml");
    MonitorConfig::parse(&text, &path).expect("valid config")
}

async fn next(rx: &mut tokio::sync::broadcast::Receiver<Arc<RunRecord>>) -> Arc<RunRecord> {
    tokio::time::timeout(EVENT_LIMIT, rx.recv())
        .await
        .expect("a run within the limit")
        .expect("the monitor runs")
}

/// Runs the monitor's schedule in a task until the sender is used.
fn start(
    monitor: &Arc<Monitor>,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let m = Arc::clone(monitor);
    let task = tokio::spawn(async move {
        m.run(async {
            let _ = stopped.await;
        })
        .await
    });
    (stop, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_target_never_delays_the_others_and_a_restart_resumes() {
    let lab = Lab::start_only(&["healthy", "silent", "greeting-421"])
        .await
        .expect("lab");
    let dir =
        TempDir(std::env::temp_dir().join(format!("smtp-doctor-sched-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).expect("dir");
    let cfg = config(&dir, &lab);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&cfg.store).expect("store"));
    let monitor = Arc::new(Monitor::new(&cfg, Arc::clone(&store)).expect("monitor"));
    let mut rx = monitor.subscribe();
    let (stop, task) = start(&monitor);
    // Until the silent server's run ends (at its timeout), the healthy check keeps its
    // schedule on the other permit.
    let mut healthy_before_silent = 0;
    let mut seen_421 = None;
    let mut expiring = None;
    let silent = loop {
        let run = next(&mut rx).await;
        match run.check.as_str() {
            "healthy" => {
                assert_eq!(run.status, RunStatus::Ok, "{run:?}");
                assert_eq!(run.category.as_deref(), Some("delivered"));
                assert!(run.stages.iter().any(|s| s.stage == "ehlo"), "{run:?}");
                assert!(run.cert_days_left.is_some_and(|d| d > 0), "{run:?}");
                healthy_before_silent += 1;
            }
            "421" => seen_421 = Some(run),
            "expiring" => expiring = Some(run),
            _ => break run,
        }
    };
    assert!(
        healthy_before_silent >= 2,
        "{healthy_before_silent} healthy runs"
    );
    assert!(silent.status.is_failure(), "{silent:?}");
    let g421 = seen_421.expect("the 421 check ran before the silent one ended");
    assert_eq!(g421.status, RunStatus::Failed);
    assert_eq!(g421.reply_code, Some(421));
    // A healthy server whose certificate is within the threshold: degraded, with the reason.
    let expiring = expiring.expect("the expiring check ran");
    assert_eq!(expiring.status, RunStatus::Degraded, "{expiring:?}");
    assert_eq!(expiring.category.as_deref(), Some("delivered"));
    assert!(
        expiring
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("below the threshold of 3650")),
        "{expiring:?}"
    );
    let _ = stop.send(());
    task.await.expect("the monitor stops");
    let stored = store.runs("healthy", 100).expect("runs");
    assert!(stored.len() >= healthy_before_silent);
    assert!(
        stored[0].report.contains("\"schema\""),
        "{}",
        stored[0].report
    );

    // A restart: the state comes back from the store, and the hourly checks are not run
    // again at once, while the healthy one goes on.
    let monitor = Arc::new(Monitor::new(&cfg, Arc::clone(&store)).expect("monitor"));
    let snapshot = monitor.snapshot();
    assert!(snapshot.iter().all(|s| s.last.is_some()), "{snapshot:?}");
    let mut rx = monitor.subscribe();
    let (stop, task) = start(&monitor);
    for _ in 0..3 {
        let run = next(&mut rx).await;
        assert_eq!(run.check, "healthy", "{run:?} ran again after the restart");
    }
    let _ = stop.send(());
    task.await.expect("the monitor stops");
    lab.shutdown().await;
}
