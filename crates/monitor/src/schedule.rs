//! The scheduler: every check in its own task on its own interval (with jitter), at most
//! `concurrency` runs at once (a semaphore), each run bounded by its check's timeout, so a
//! hanging target holds one permit for at most its timeout and never delays another check's
//! schedule. The schedule resumes from the store's last run times after a restart.

use crate::config::{CheckSpec, MonitorConfig};
use crate::run::run_once;
use crate::store::{now_ms, RunRecord, Store, StoreError};
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// How often old runs are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// What the monitor knows of one check now.
#[derive(Debug, Clone)]
pub struct CheckState {
    /// The check.
    pub spec: Arc<CheckSpec>,
    /// Its last run (from the store after a restart).
    pub last: Option<Arc<RunRecord>>,
    /// Runs done by this process.
    pub runs: u64,
}

/// The monitor: its checks, their store and their current state.
pub struct Monitor {
    checks: Vec<Arc<CheckSpec>>,
    concurrency: usize,
    retention: Duration,
    store: Arc<dyn Store>,
    state: Mutex<BTreeMap<String, CheckState>>,
    events: broadcast::Sender<Arc<RunRecord>>,
}

impl Monitor {
    /// A monitor of `config`'s checks over `store`, each check's state read back from it.
    pub fn new(config: &MonitorConfig, store: Arc<dyn Store>) -> Result<Monitor, StoreError> {
        let checks: Vec<Arc<CheckSpec>> = config.checks.iter().cloned().map(Arc::new).collect();
        let mut state = BTreeMap::new();
        for spec in &checks {
            let last = store.runs(&spec.name, 1)?.into_iter().next().map(Arc::new);
            state.insert(
                spec.name.clone(),
                CheckState {
                    spec: Arc::clone(spec),
                    last,
                    runs: 0,
                },
            );
        }
        Ok(Monitor {
            checks,
            concurrency: config.concurrency.max(1),
            retention: config.retention,
            store,
            state: Mutex::new(state),
            events: broadcast::channel(1024).0,
        })
    }

    /// Every check's state, in name order.
    pub fn snapshot(&self) -> Vec<CheckState> {
        self.lock().values().cloned().collect()
    }

    /// The check of that name.
    pub fn check(&self, name: &str) -> Option<Arc<CheckSpec>> {
        self.checks.iter().find(|c| c.name == name).cloned()
    }

    /// A check's last `limit` stored runs, newest first (a blocking read: off the reactor).
    pub fn history(&self, check: &str, limit: usize) -> Result<Vec<RunRecord>, StoreError> {
        self.store.runs(check, limit)
    }

    /// Each stored run, as it is stored.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<RunRecord>> {
        self.events.subscribe()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, CheckState>> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stores a run and makes it the check's last.
    async fn finish(&self, run: RunRecord) -> Result<Arc<RunRecord>, StoreError> {
        let run = Arc::new(run);
        let store = Arc::clone(&self.store);
        let stored = Arc::clone(&run);
        tokio::task::spawn_blocking(move || store.record(&stored))
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))??;
        if let Some(s) = self.lock().get_mut(&run.check) {
            s.last = Some(Arc::clone(&run));
            s.runs += 1;
        }
        tracing::info!(
            "check {}: {} ({}) in {} ms",
            run.check,
            run.status.as_str(),
            run.category.as_deref().unwrap_or("-"),
            run.duration_ms
        );
        let _ = self.events.send(Arc::clone(&run));
        Ok(run)
    }

    /// Runs every check once (at most `concurrency` at a time), stores each run,
    /// and returns them in the configuration's order.
    pub async fn run_all_once(self: &Arc<Self>) -> Result<Vec<Arc<RunRecord>>, StoreError> {
        let gate = Arc::new(Semaphore::new(self.concurrency));
        let mut set = JoinSet::new();
        for (i, spec) in self.checks.iter().enumerate() {
            let (me, spec, gate) = (Arc::clone(self), Arc::clone(spec), Arc::clone(&gate));
            set.spawn(async move {
                let _permit = gate.acquire_owned().await;
                let run = run_once(&spec).await;
                me.finish(run).await.map(|r| (i, r))
            });
        }
        let mut out = Vec::new();
        while let Some(done) = set.join_next().await {
            out.push(done.map_err(|e| StoreError::Backend(Box::new(e)))??);
        }
        out.sort_by_key(|(i, _)| *i);
        Ok(out.into_iter().map(|(_, r)| r).collect())
    }

    /// Runs the schedule until `shutdown` completes (or forever).
    pub async fn run(self: &Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        let gate = Arc::new(Semaphore::new(self.concurrency));
        let last = match self.store.last_started() {
            Ok(last) => last,
            Err(e) => {
                tracing::warn!("cannot read the last run times, starting afresh: {e}");
                BTreeMap::new()
            }
        };
        let mut set = JoinSet::new();
        for spec in &self.checks {
            let first = first_delay(spec.interval, last.get(&spec.name).copied(), now_ms());
            let (me, spec, gate) = (Arc::clone(self), Arc::clone(spec), Arc::clone(&gate));
            set.spawn(async move { me.check_loop(spec, first, gate).await });
        }
        let me = Arc::clone(self);
        set.spawn(async move { me.prune_loop().await });
        tokio::select! {
            () = shutdown => {}
            _ = async { while set.join_next().await.is_some() {} } => {}
        }
        // Dropping the set aborts every task; a run being stored finishes in its blocking
        // thread, in its own transaction.
    }

    async fn check_loop(&self, spec: Arc<CheckSpec>, first: Duration, gate: Arc<Semaphore>) {
        let mut due = Instant::now() + first;
        loop {
            tokio::time::sleep_until(due + random_below(spec.jitter)).await;
            let Ok(permit) = Arc::clone(&gate).acquire_owned().await else {
                return;
            };
            let run = run_once(&spec).await;
            drop(permit);
            if let Err(e) = self.finish(run).await {
                tracing::warn!("check {}: the run was not stored: {e}", spec.name);
            }
            // The next slot on the grid; slots missed while this run was long are skipped.
            due += spec.interval;
            let now = Instant::now();
            while due < now {
                due += spec.interval;
            }
        }
    }

    async fn prune_loop(&self) {
        loop {
            let retention = i64::try_from(self.retention.as_millis()).unwrap_or(i64::MAX);
            let store = Arc::clone(&self.store);
            let before = now_ms().saturating_sub(retention);
            match tokio::task::spawn_blocking(move || store.prune(before)).await {
                Ok(Ok(n)) if n > 0 => tracing::info!("pruned {n} runs past the retention"),
                Ok(Err(e)) => tracing::warn!("pruning failed: {e}"),
                _ => {}
            }
            tokio::time::sleep(PRUNE_EVERY).await;
        }
    }
}

/// How long to wait before a check's first run: what is left of its interval since its last
/// stored run, nothing when it has none or is overdue.
pub fn first_delay(interval: Duration, last_started_ms: Option<i64>, now_ms: i64) -> Duration {
    let Some(last) = last_started_ms else {
        return Duration::ZERO;
    };
    let elapsed = Duration::from_millis(u64::try_from(now_ms.saturating_sub(last)).unwrap_or(0));
    interval.saturating_sub(elapsed)
}

/// A uniformly drawn duration below `max` (zero for zero), from the process's random hash keys.
fn random_below(max: Duration) -> Duration {
    let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(nanos);
    Duration::from_nanos(h.finish() % nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_run_resumes_the_interval() {
        let min = Duration::from_secs(60);
        assert_eq!(first_delay(min, None, 1_000_000), Duration::ZERO);
        assert_eq!(
            first_delay(min, Some(1_000_000 - 20_000), 1_000_000),
            Duration::from_secs(40)
        );
        assert_eq!(first_delay(min, Some(0), 1_000_000), Duration::ZERO);
        // A clock that went back: a whole interval at most.
        assert_eq!(first_delay(min, Some(2_000_000), 1_000_000), min);
    }

    #[test]
    fn jitter_stays_below_its_bound_and_varies() {
        let max = Duration::from_millis(500);
        let draws: Vec<Duration> = (0..50).map(|_| random_below(max)).collect();
        assert!(draws.iter().all(|d| *d < max));
        assert!(draws.iter().any(|d| *d != draws[0]));
        assert_eq!(random_below(Duration::ZERO), Duration::ZERO);
    }
}
