//! The history of runs behind one trait: SQLite ([`SqliteStore`]) and PostgreSQL
//! ([`PgStore`]); the trait names no backend's type.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunStatus {
    /// No failure, every threshold kept.
    Ok,
    /// The verdict is a problem.
    Failed,
    /// The diagnosis is healthy but a threshold was crossed (latency, certificate days).
    Degraded,
    /// The run outlived the check's timeout and was stopped.
    TimedOut,
}

impl RunStatus {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Failed => "failed",
            RunStatus::Degraded => "degraded",
            RunStatus::TimedOut => "timed_out",
        }
    }

    /// The status of a stored name.
    pub fn parse(s: &str) -> Option<RunStatus> {
        [
            RunStatus::Ok,
            RunStatus::Failed,
            RunStatus::Degraded,
            RunStatus::TimedOut,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    /// True for the statuses that count as a failure (exit 1, `success 0`).
    pub fn is_failure(self) -> bool {
        !matches!(self, RunStatus::Ok)
    }
}

/// One stage's duration in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageTiming {
    /// The stage's name (`banner`, `ehlo`, ...).
    pub stage: String,
    /// How long it took, in milliseconds (the first attempt's).
    pub duration_ms: u64,
}

/// One run of one check, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The check's name.
    pub check: String,
    /// When the run started, in milliseconds since the Unix epoch.
    pub started_ms: i64,
    /// How long it took.
    pub duration_ms: u64,
    /// How it ended.
    pub status: RunStatus,
    /// The deciding finding's category (`delivered` when healthy; none when timed out).
    pub category: Option<String>,
    /// What made it fail or degrade, in a few words.
    pub reason: Option<String>,
    /// The last reply code the server sent.
    pub reply_code: Option<u16>,
    /// Whole days before the leaf certificate expires (negative: expired).
    pub cert_days_left: Option<i64>,
    /// Each stage's duration.
    pub stages: Vec<StageTiming>,
    /// How many findings of each category (informational ones included).
    pub findings: BTreeMap<String, u32>,
    /// What each DNS blocklist zone said of the sending IP (`dns` checks): its status as
    /// `dns --json` names it ([`DNSBL_LISTED`], [`DNSBL_NOT_LISTED`], `query_refused`,
    /// `broken`, `lookup_failed`).
    #[serde(default)]
    pub dnsbl: BTreeMap<String, String>,
    /// The whole report, as `check --json` (`smtp-doctor/check/v1`) or `dns --json`
    /// (`smtp-doctor/dns/v1`) writes it; empty when timed out.
    pub report: String,
}

/// The [`RunRecord::dnsbl`] status of a listing.
pub const DNSBL_LISTED: &str = "listed";
/// The [`RunRecord::dnsbl`] status of an address a zone does not list.
pub const DNSBL_NOT_LISTED: &str = "not_listed";

impl RunRecord {
    /// The blocklist zones that list the sending IP.
    pub fn listed_zones(&self) -> impl Iterator<Item = &str> {
        self.dnsbl
            .iter()
            .filter(|(_, status)| *status == DNSBL_LISTED)
            .map(|(zone, _)| zone.as_str())
    }
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database said no.
    #[error("history store: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored row could not be read back.
    #[error("history store: a stored run is unreadable: {0}")]
    Corrupt(String),
    /// The database's schema is newer than this program knows.
    #[error("history store: schema version {found} is newer than this program's {known}")]
    TooNew {
        /// The version found.
        found: i64,
        /// The newest version known.
        known: i64,
    },
}

/// A history of runs.
pub trait Store: Send + Sync {
    /// Stores one run, all of it or nothing (one transaction).
    fn record(&self, run: &RunRecord) -> Result<(), StoreError>;
    /// The start of the last run of every check that has one.
    fn last_started(&self) -> Result<BTreeMap<String, i64>, StoreError>;
    /// The newest runs of a check, newest first, at most `limit`.
    fn runs(&self, check: &str, limit: usize) -> Result<Vec<RunRecord>, StoreError>;
    /// Deletes the runs that started before `before_ms`; how many.
    fn prune(&self, before_ms: i64) -> Result<u64, StoreError>;
}

/// The migrations, in order: version i+1 is `MIGRATIONS[i]` on SQLite and
/// `PG_MIGRATIONS[i]` on PostgreSQL (the same schema in each dialect). Never edit one that
/// shipped.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        check_name TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        status TEXT NOT NULL,
        category TEXT,
        reason TEXT,
        reply_code INTEGER,
        cert_days_left INTEGER,
        stages TEXT NOT NULL,
        findings TEXT NOT NULL,
        report TEXT NOT NULL
    );
    CREATE INDEX runs_by_check ON runs (check_name, started_ms);
    CREATE INDEX runs_by_start ON runs (started_ms);",
    // 2: the blocklist answers of `dns` checks.
    "ALTER TABLE runs ADD COLUMN dnsbl TEXT NOT NULL DEFAULT '{}';",
];

/// [`MIGRATIONS`] in PostgreSQL's dialect, version for version.
const PG_MIGRATIONS: &[&str] = &[
    "CREATE TABLE runs (
        id BIGSERIAL PRIMARY KEY,
        check_name TEXT NOT NULL,
        started_ms BIGINT NOT NULL,
        duration_ms BIGINT NOT NULL,
        status TEXT NOT NULL,
        category TEXT,
        reason TEXT,
        reply_code INTEGER,
        cert_days_left BIGINT,
        stages TEXT NOT NULL,
        findings TEXT NOT NULL,
        report TEXT NOT NULL
    );
    CREATE INDEX runs_by_check ON runs (check_name, started_ms);
    CREATE INDEX runs_by_start ON runs (started_ms);",
    "ALTER TABLE runs ADD COLUMN dnsbl TEXT NOT NULL DEFAULT '{}';",
];

const _: () = assert!(MIGRATIONS.len() == PG_MIGRATIONS.len());

/// One stored row, as the columns of `runs` read back.
struct StoredRow {
    check: String,
    started_ms: i64,
    duration_ms: i64,
    status: String,
    category: Option<String>,
    reason: Option<String>,
    reply_code: Option<i64>,
    cert_days_left: Option<i64>,
    stages: String,
    findings: String,
    dnsbl: String,
    report: String,
}

/// The columns [`StoredRow`] reads, in its order.
const RUN_COLUMNS: &str = "check_name, started_ms, duration_ms, status, category, reason, \
                           reply_code, cert_days_left, stages, findings, dnsbl, report";

impl StoredRow {
    fn into_record(self) -> Result<RunRecord, StoreError> {
        let check = self.check;
        let corrupt = |what: &str| StoreError::Corrupt(format!("{what} of a run of {check}"));
        Ok(RunRecord {
            status: RunStatus::parse(&self.status).ok_or_else(|| corrupt("the status"))?,
            stages: serde_json::from_str(&self.stages).map_err(|_| corrupt("the stages"))?,
            findings: serde_json::from_str(&self.findings).map_err(|_| corrupt("the findings"))?,
            dnsbl: serde_json::from_str(&self.dnsbl).map_err(|_| corrupt("the blocklists"))?,
            reply_code: match self.reply_code {
                Some(c) => Some(u16::try_from(c).map_err(|_| corrupt("the reply code"))?),
                None => None,
            },
            started_ms: self.started_ms,
            duration_ms: u64::try_from(self.duration_ms).unwrap_or(0),
            category: self.category,
            reason: self.reason,
            cert_days_left: self.cert_days_left,
            report: self.report,
            check,
        })
    }
}

/// The SQLite store: one file, WAL, every run in its own transaction.
pub struct SqliteStore {
    conn: Mutex<rusqlite::Connection>,
}

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(Box::new(e))
}

impl SqliteStore {
    /// Opens (creating it if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = rusqlite::Connection::open(path).map_err(backend)?;
        SqliteStore::setup(conn)
    }

    /// A store in memory (tests).
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        SqliteStore::setup(rusqlite::Connection::open_in_memory().map_err(backend)?)
    }

    fn setup(mut conn: rusqlite::Connection) -> Result<SqliteStore, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(backend)?;
        // WAL: readers never block the writer. FULL: a commit is on disk before `record`
        // returns, so a run reported stored survives a kill, and a power cut too.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(backend)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                applied_ms INTEGER NOT NULL
            )",
        )
        .map_err(backend)?;
        let current: i64 = conn
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |r| r.get(0),
            )
            .map_err(backend)?;
        let known = MIGRATIONS.len() as i64;
        if current > known {
            return Err(StoreError::TooNew {
                found: current,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let tx = conn.transaction().map_err(backend)?;
            tx.execute_batch(sql).map_err(backend)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, ?2)",
                rusqlite::params![i as i64 + 1, now_ms()],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)?;
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, rusqlite::Connection> {
        // A panic while holding the lock leaves the connection usable: SQLite rolls back.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The schema version in force.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn()
            .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
                r.get(0)
            })
            .map_err(backend)
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

impl Store for SqliteStore {
    fn record(&self, run: &RunRecord) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        tx.execute(
            "INSERT INTO runs (check_name, started_ms, duration_ms, status, category, reason,
                 reply_code, cert_days_left, stages, findings, dnsbl, report)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            rusqlite::params![
                run.check,
                run.started_ms,
                i64::try_from(run.duration_ms).unwrap_or(i64::MAX),
                run.status.as_str(),
                run.category,
                run.reason,
                run.reply_code,
                run.cert_days_left,
                to_json(&run.stages),
                to_json(&run.findings),
                to_json(&run.dnsbl),
                run.report,
            ],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)
    }

    fn last_started(&self) -> Result<BTreeMap<String, i64>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT check_name, MAX(started_ms) FROM runs GROUP BY check_name")
            .map_err(backend)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn runs(&self, check: &str, limit: usize) -> Result<Vec<RunRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE check_name = ?1
                 ORDER BY started_ms DESC, id DESC LIMIT ?2"
            ))
            .map_err(backend)?;
        let rows = stmt
            .query_map(
                rusqlite::params![check, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| {
                    Ok(StoredRow {
                        check: r.get(0)?,
                        started_ms: r.get(1)?,
                        duration_ms: r.get(2)?,
                        status: r.get(3)?,
                        category: r.get(4)?,
                        reason: r.get(5)?,
                        reply_code: r.get(6)?,
                        cert_days_left: r.get(7)?,
                        stages: r.get(8)?,
                        findings: r.get(9)?,
                        dnsbl: r.get(10)?,
                        report: r.get(11)?,
                    })
                },
            )
            .map_err(backend)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.map_err(backend)?.into_record()?);
        }
        Ok(out)
    }

    fn prune(&self, before_ms: i64) -> Result<u64, StoreError> {
        let n = self
            .conn()
            .execute("DELETE FROM runs WHERE started_ms < ?1", [before_ms])
            .map_err(backend)?;
        Ok(n as u64)
    }
}

/// The PostgreSQL store (`--store postgres://...`), so that several monitors share one
/// history: the same schema and migrations (applied under an advisory lock, so that two
/// instances starting together do not both apply one), every run in its own transaction.
pub struct PgStore {
    client: Mutex<postgres::Client>,
}

fn pg(e: postgres::Error) -> StoreError {
    StoreError::Backend(Box::new(e))
}

/// The advisory lock key the migrations are applied under.
const PG_MIGRATION_LOCK: i64 = 0x736d_7470_646f_6331;
/// Longest a connection attempt may take, unless the URL sets `connect_timeout`.
const PG_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`, without TLS) and brings the schema up
    /// to date.
    pub fn connect(url: &str) -> Result<PgStore, StoreError> {
        let mut config: postgres::Config = url.parse().map_err(pg)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(PG_CONNECT_TIMEOUT);
        }
        let client = off_runtime(move || config.connect(postgres::NoTls)).map_err(pg)?;
        let store = PgStore {
            client: Mutex::new(client),
        };
        store.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PG_MIGRATION_LOCK])?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY,
                    applied_ms BIGINT NOT NULL
                )",
            )?;
            let current: i64 = tx
                .query_one(
                    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                    &[],
                )?
                .get(0);
            let known = PG_MIGRATIONS.len() as i64;
            if current > known {
                return Ok(Err(StoreError::TooNew {
                    found: current,
                    known,
                }));
            }
            for (i, sql) in PG_MIGRATIONS.iter().enumerate().skip(current as usize) {
                tx.batch_execute(sql)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)",
                    &[&(i as i64 + 1), &now_ms()],
                )?;
            }
            tx.commit()?;
            Ok(Ok(()))
        })??;
        Ok(store)
    }

    /// The schema version in force.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.with(|c| {
            Ok(
                c.query_one("SELECT MAX(version) FROM schema_migrations", &[])?
                    .get(0),
            )
        })
    }

    /// Runs `f` on the connection, off any async runtime (the sync client runs its own).
    fn with<T: Send>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error> + Send,
    ) -> Result<T, StoreError> {
        let mut client = self
            .client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let client: &mut postgres::Client = &mut client;
        off_runtime(move || f(client)).map_err(pg)
    }
}

/// Runs `f` here, or on a thread of its own when called inside a tokio runtime (where the
/// sync PostgreSQL client, which blocks on a runtime of its own, must not run).
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|s| match s.spawn(f).join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

impl Store for PgStore {
    fn record(&self, run: &RunRecord) -> Result<(), StoreError> {
        let stages = to_json(&run.stages);
        let findings = to_json(&run.findings);
        let dnsbl = to_json(&run.dnsbl);
        let duration = i64::try_from(run.duration_ms).unwrap_or(i64::MAX);
        let code = run.reply_code.map(i32::from);
        self.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "INSERT INTO runs (check_name, started_ms, duration_ms, status, category, reason,
                     reply_code, cert_days_left, stages, findings, dnsbl, report)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                &[
                    &run.check,
                    &run.started_ms,
                    &duration,
                    &run.status.as_str(),
                    &run.category,
                    &run.reason,
                    &code,
                    &run.cert_days_left,
                    &stages,
                    &findings,
                    &dnsbl,
                    &run.report,
                ],
            )?;
            tx.commit()
        })
    }

    fn last_started(&self) -> Result<BTreeMap<String, i64>, StoreError> {
        self.with(|c| {
            let rows = c.query(
                "SELECT check_name, MAX(started_ms) FROM runs GROUP BY check_name",
                &[],
            )?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    fn runs(&self, check: &str, limit: usize) -> Result<Vec<RunRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.with(|c| {
            c.query(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM runs WHERE check_name = $1
                     ORDER BY started_ms DESC, id DESC LIMIT $2"
                ),
                &[&check, &limit],
            )
        })?;
        rows.iter()
            .map(|r| {
                StoredRow {
                    check: r.get(0),
                    started_ms: r.get(1),
                    duration_ms: r.get(2),
                    status: r.get(3),
                    category: r.get(4),
                    reason: r.get(5),
                    reply_code: r.get::<_, Option<i32>>(6).map(i64::from),
                    cert_days_left: r.get(7),
                    stages: r.get(8),
                    findings: r.get(9),
                    dnsbl: r.get(10),
                    report: r.get(11),
                }
                .into_record()
            })
            .collect()
    }

    fn prune(&self, before_ms: i64) -> Result<u64, StoreError> {
        self.with(|c| c.execute("DELETE FROM runs WHERE started_ms < $1", &[&before_ms]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of `check` at `started_ms` whose report is `report_bytes` long.
    pub(crate) fn run(check: &str, started_ms: i64, report_bytes: usize) -> RunRecord {
        RunRecord {
            check: check.into(),
            started_ms,
            duration_ms: 12,
            status: RunStatus::Failed,
            category: Some("greylisted".into()),
            reason: Some("450 4.7.1 try later".into()),
            reply_code: Some(450),
            cert_days_left: Some(-3),
            stages: vec![StageTiming {
                stage: "banner".into(),
                duration_ms: 4,
            }],
            findings: BTreeMap::from([("greylisted".to_string(), 1)]),
            dnsbl: BTreeMap::from([
                ("dnsbl.example".to_string(), DNSBL_LISTED.to_string()),
                ("other.example".to_string(), "not_listed".to_string()),
            ]),
            report: "x".repeat(report_bytes),
        }
    }

    /// A file path under the temporary directory, removed (with its WAL files) on drop.
    struct TempDb(std::path::PathBuf);

    impl TempDb {
        fn new(tag: &str) -> TempDb {
            let p = std::env::temp_dir()
                .join(format!("smtp-doctor-store-{tag}-{}.db", std::process::id()));
            TempDb::clean(&p);
            TempDb(p)
        }

        fn clean(p: &Path) {
            for suffix in ["", "-wal", "-shm"] {
                let mut s = p.as_os_str().to_owned();
                s.push(suffix);
                let _ = std::fs::remove_file(std::path::PathBuf::from(s));
            }
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            TempDb::clean(&self.0);
        }
    }

    /// The environment variable naming the test PostgreSQL server (scripts/start-postgres.sh).
    const PG_VAR: &str = "SMTP_DOCTOR_TEST_POSTGRES";

    /// A database of its own on the test server, dropped on drop.
    struct PgDb {
        admin: String,
        name: String,
        url: String,
    }

    impl PgDb {
        /// `None` (a visible skip) when no server is configured, a failure under CI=true.
        fn new(tag: &str) -> Option<PgDb> {
            let Ok(admin) = std::env::var(PG_VAR) else {
                smtp_doctor_testkit::skip(&format!(
                    "{PG_VAR} is not set (scripts/start-postgres.sh starts a server)"
                ));
                return None;
            };
            let name = format!("smtp_doctor_{tag}_{}", std::process::id());
            let mut c = postgres::Client::connect(&admin, postgres::NoTls).expect("admin");
            // One statement a call: a multi-statement string runs as one transaction block.
            c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .expect("drop database");
            c.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create database");
            let (base, _) = admin.split_once('?').unwrap_or((&admin, ""));
            let (server, _) = base.rsplit_once('/').expect("a URL with a database");
            let url = format!("{server}/{name}");
            Some(PgDb { admin, name, url })
        }
    }

    impl Drop for PgDb {
        fn drop(&mut self) {
            if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
                let _ = c.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ));
            }
        }
    }

    #[test]
    fn runs_round_trip_and_prune() {
        round_trip_and_prune(&SqliteStore::in_memory().expect("store"));
    }

    #[test]
    fn runs_round_trip_and_prune_on_postgres() {
        let Some(db) = PgDb::new("roundtrip") else {
            return;
        };
        round_trip_and_prune(&PgStore::connect(&db.url).expect("store"));
    }

    #[test]
    fn postgres_migrations_run_once_even_from_two_instances_and_a_newer_schema_is_refused() {
        let Some(db) = PgDb::new("migrations") else {
            return;
        };
        // Two monitors starting together: one applies the migrations, the other waits.
        let stores: Vec<PgStore> = std::thread::scope(|sc| {
            let handles: Vec<_> = (0..2)
                .map(|_| sc.spawn(|| PgStore::connect(&db.url).expect("connect")))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        for s in &stores {
            assert_eq!(
                s.schema_version().expect("version"),
                PG_MIGRATIONS.len() as i64
            );
        }
        // Both share one history.
        stores[0].record(&run("a", 1, 1)).expect("record");
        assert_eq!(stores[1].runs("a", 5).expect("runs"), [run("a", 1, 1)]);
        stores[0]
            .with(|c| {
                c.execute(
                    "INSERT INTO schema_migrations VALUES ($1, 0)",
                    &[&(PG_MIGRATIONS.len() as i64 + 1)],
                )
            })
            .expect("bump");
        drop(stores);
        assert!(matches!(
            PgStore::connect(&db.url),
            Err(StoreError::TooNew { .. })
        ));
    }

    #[test]
    fn an_unreachable_postgres_is_an_error_not_a_hang() {
        // A port nothing listens on, on loopback.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let url = format!("postgres://postgres@127.0.0.1:{port}/postgres?connect_timeout=5");
        assert!(matches!(
            PgStore::connect(&url),
            Err(StoreError::Backend(_))
        ));
        assert!(PgStore::connect("not a url").is_err());
    }

    /// The same behaviour on every backend.
    fn round_trip_and_prune(s: &dyn Store) {
        s.record(&run("a", 1_000, 10)).expect("record");
        s.record(&run("a", 2_000, 10)).expect("record");
        s.record(&run("b", 1_500, 10)).expect("record");
        let last = s.last_started().expect("last");
        assert_eq!(last.get("a"), Some(&2_000));
        assert_eq!(last.get("b"), Some(&1_500));
        let runs = s.runs("a", 10).expect("runs");
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0], run("a", 2_000, 10));
        assert_eq!(s.runs("a", 1).expect("runs"), [run("a", 2_000, 10)]);
        // A healthy run (no reply code, no category) reads back as it was.
        let mut ok = run("c", 3_000, 0);
        ok.status = RunStatus::Ok;
        ok.reply_code = None;
        ok.category = None;
        ok.reason = None;
        ok.cert_days_left = None;
        s.record(&ok).expect("record");
        assert_eq!(s.runs("c", 10).expect("runs"), [ok]);
        assert_eq!(s.prune(1_600).expect("prune"), 2);
        assert_eq!(s.runs("a", 10).expect("runs").len(), 1);
        assert!(s.runs("b", 10).expect("runs").is_empty());
    }

    #[test]
    fn a_version_1_history_is_migrated_and_its_runs_kept() {
        let db = TempDb::new("v1");
        {
            let c = rusqlite::Connection::open(&db.0).expect("open");
            c.execute_batch(&format!(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL);
                 INSERT INTO schema_migrations VALUES (1, 0);
                 {}
                 INSERT INTO runs (check_name, started_ms, duration_ms, status, stages, findings, report)
                 VALUES ('old', 5, 1, 'ok', '[]', '{{}}', '');",
                MIGRATIONS[0]
            ))
            .expect("a version 1 store");
        }
        let s = SqliteStore::open(&db.0).expect("migrated");
        assert_eq!(s.schema_version().expect("version"), 2);
        let runs = s.runs("old", 5).expect("runs");
        assert_eq!(runs.len(), 1);
        assert!(runs[0].dnsbl.is_empty());
        assert_eq!(
            run("x", 0, 0).listed_zones().collect::<Vec<_>>(),
            ["dnsbl.example"]
        );
    }

    #[test]
    fn migrations_run_once_and_a_newer_schema_is_refused() {
        let db = TempDb::new("migrations");
        let s = SqliteStore::open(&db.0).expect("open");
        assert_eq!(
            s.schema_version().expect("version"),
            MIGRATIONS.len() as i64
        );
        s.record(&run("a", 1, 1)).expect("record");
        drop(s);
        // Opening again applies nothing and keeps the runs.
        let s = SqliteStore::open(&db.0).expect("reopen");
        assert_eq!(s.runs("a", 5).expect("runs").len(), 1);
        let mode: String = s
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
        s.conn()
            .execute(
                "INSERT INTO schema_migrations VALUES (?1, 0)",
                [MIGRATIONS.len() as i64 + 1],
            )
            .expect("bump");
        drop(s);
        assert!(matches!(
            SqliteStore::open(&db.0),
            Err(StoreError::TooNew { .. })
        ));
    }

    /// The environment variable that makes [`kill_child_writer`] the writer.
    const CHILD_VAR: &str = "SMTP_DOCTOR_STORE_KILL_CHILD";

    /// Not a test of its own: the child process of [`a_committed_run_survives_kill_9`], which
    /// writes large runs as fast as it can and prints the start of each one committed.
    #[test]
    fn kill_child_writer() {
        let Some(path) = std::env::var_os(CHILD_VAR) else {
            return;
        };
        use std::io::Write;
        let s = SqliteStore::open(Path::new(&path)).expect("open");
        let mut out = std::io::stdout();
        for i in 0..100_000 {
            // 256 KiB a run: the kill most likely lands inside a write.
            s.record(&run("big", i, 256 * 1024)).expect("record");
            let _ = writeln!(out, "committed {i}");
            let _ = out.flush();
        }
    }

    #[test]
    fn a_committed_run_survives_kill_9() {
        use std::io::BufRead;
        let db = TempDb::new("kill");
        // Create the schema first, so the child only writes runs.
        drop(SqliteStore::open(&db.0).expect("open"));
        let exe = std::env::current_exe().expect("test binary");
        let mut child = std::process::Command::new(exe)
            .args(["--exact", "store::tests::kill_child_writer", "--nocapture"])
            .env(CHILD_VAR, &db.0)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("child");
        let stdout = child.stdout.take().expect("stdout");
        let mut last = None;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(n) = line.strip_prefix("committed ") {
                last = n.trim().parse::<i64>().ok();
                if last >= Some(20) {
                    break;
                }
            }
        }
        // SIGKILL: no destructor, no rollback; the child is writing the next run.
        child.kill().expect("kill");
        let _ = child.wait();
        let last = last.expect("the child committed runs");
        let s = SqliteStore::open(&db.0).expect("reopen after the kill");
        let ok: String = s
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity");
        assert_eq!(ok, "ok");
        let runs = s.runs("big", 1_000_000).expect("runs");
        // Every run reported committed is there, whole; one more may be (committed, not yet
        // printed), never a part of one.
        let starts: Vec<i64> = runs.iter().rev().map(|r| r.started_ms).collect();
        assert!(
            starts.len() as i64 > last,
            "{} < {}",
            starts.len(),
            last + 1
        );
        assert_eq!(starts[..=last as usize], (0..=last).collect::<Vec<_>>());
        assert!(runs.iter().all(|r| r.report.len() == 256 * 1024));
    }
}
