//! `monitor.toml`: the checks, their schedule and thresholds, the store and the alert channels.
//!
//! ```toml
//! interval = "5m"          # defaults for every check
//! jitter = "10s"
//! timeout = "60s"
//! concurrency = 16         # checks running at once
//! store = "monitor.db"     # beside this file unless absolute (default: <file stem>.db)
//! retention = "30d"        # runs older than this are deleted
//! remind = "4h"            # a state still failing is alerted again this often (default: never)
//!
//! [[check]]
//! name = "mx1"
//! check = "mx1.example.org:25"
//! tls = "starttls"         # auto, starttls, implicit, none
//! from = "probe@example.org"
//! to = ["postmaster@example.org"]
//! quit-after = "rcpt"
//! timeouts = { connect = "5s", banner = "10s", command = "10s", total = "30s" }
//! interval = "1m"
//! thresholds = { latency = { banner = "2s", ehlo = "1s" }, cert-days = 14 }
//! labels = { site = "paris" }
//!
//! [[check]]
//! name = "submission"
//! check = "smtp.example.org:587"
//! tls = "starttls"
//! auth = "PLAIN"           # PLAIN, LOGIN, CRAM-MD5, XOAUTH2 (the secret is the token)
//! auth-user = "probe@example.org"
//! auth-password-env = "SUBMISSION_PASSWORD"   # or auth-password-file = "probe.secret" (its first line)
//!
//! [[check]]
//! name = "domain"
//! dns = "example.org"      # the DNS checks of `smtp-doctor dns example.org`
//! dns-server = "192.0.2.53:53"   # default: the system's resolvers
//! ip = "192.0.2.25"        # a sending IP: SPF for it, and the blocklists below about it
//! dnsbl = ["zen.spamhaus.org", "bl.spamcop.net"]
//! selectors = ["s1", "s2"] # DKIM selectors (default: common ones)
//! query-timeout = "5s"     # each DNS query (default 5s)
//! mta-sts-port = 443       # ca = "FILE" trusts other roots for the MTA-STS policy fetch
//! interval = "15m"
//!
//! [[alert]]
//! name = "ops"
//! webhook = "https://hooks.example.org/smtp"
//!
//! [[alert]]
//! name = "mail"
//! email = { relay = "relay.example.org:25", from = "monitor@example.org", to = ["ops@example.org"], tls = "starttls" }
//! ```
//!
//! The file is walked with toml_edit's spans rather than deserialised with serde: serde stops at
//! the first mistake, and `--check-config` reports every one, each with its line and column.
//!
//! A password is never written in the file (`auth-password` is refused): it is read from the
//! environment variable or the file named, once, when the configuration is loaded, and held in
//! a [`Secret`] from then on.

use smtp_doctor_dnsauth::dns::DnsOptions;
use smtp_doctor_dnsauth::report::CheckOptions;
use smtp_doctor_model::Stage;
use smtp_doctor_probe::{Auth, AuthMechanism, ProbeOptions, Target, Timeouts, TlsPolicy};
use smtp_doctor_wire::Secret;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml_edit::{ImDocument, Item, TableLike};

/// Largest configuration file read.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// Largest CA file a check may name.
const MAX_CA_FILE: u64 = 4 * 1024 * 1024;
/// Largest password or token file read.
pub const MAX_SECRET_FILE: u64 = 64 * 1024;
/// Default deadline of each DNS query of a `dns` check (`smtp-doctor dns`'s `--timeout`).
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Default interval between two runs of a check.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(300);
/// Default per-check timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default number of checks running at once.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// Default retention of stored runs (30 days).
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 86_400);

/// The whole monitor configuration, validated.
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    /// The file it was read from.
    pub path: PathBuf,
    /// The SQLite history file.
    pub store: PathBuf,
    /// How long runs are kept.
    pub retention: Duration,
    /// How often a state that stays failing is alerted again (never when unset).
    pub remind: Option<Duration>,
    /// How many checks run at once.
    pub concurrency: usize,
    /// The checks, in file order.
    pub checks: Vec<CheckSpec>,
    /// The alert channels.
    pub alerts: Vec<AlertChannel>,
}

/// One scheduled check.
#[derive(Debug, Clone)]
pub struct CheckSpec {
    /// Its unique name (the `check` label of its metrics).
    pub name: String,
    /// What it probes.
    pub kind: CheckKind,
    /// Time between two runs.
    pub interval: Duration,
    /// Each run starts up to this much later than due, at random.
    pub jitter: Duration,
    /// A run still going after this is stopped and recorded as timed out.
    pub timeout: Duration,
    /// When a successful run still alerts.
    pub thresholds: Thresholds,
    /// Extra labels of its metrics.
    pub labels: BTreeMap<String, String>,
}

/// What a check probes.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CheckKind {
    /// A live `check` of a mail server.
    Smtp {
        /// The target as written.
        target: String,
        /// The target, parsed.
        parsed: Target,
        /// The probe's options.
        options: Box<ProbeOptions>,
    },
    /// The DNS checks of a mail domain, as `smtp-doctor dns` runs them.
    Dns {
        /// The domain.
        domain: String,
        /// The resolver: its server (the system's when unset) and each query's deadline.
        resolver: DnsOptions,
        /// The checks' options (sending IP, DKIM selectors, blocklists, MTA-STS fetch).
        options: Box<CheckOptions>,
    },
}

/// A check's thresholds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thresholds {
    /// Longest acceptable duration per stage.
    pub latency: BTreeMap<Stage, Duration>,
    /// Fewest acceptable days before the certificate expires.
    pub cert_days: Option<u32>,
}

/// An alert channel.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AlertChannel {
    /// A JSON POST to a URL.
    Webhook {
        /// The channel's name.
        name: String,
        /// The URL.
        url: String,
    },
    /// Mail through an SMTP relay.
    Email {
        /// The channel's name.
        name: String,
        /// The relay, `host:port`.
        relay: String,
        /// The sender address.
        from: String,
        /// The recipients.
        to: Vec<String>,
        /// TLS with the relay (`starttls` unless set; `auto` is STARTTLS when offered).
        tls: TlsPolicy,
    },
}

impl AlertChannel {
    /// The channel's name.
    pub fn name(&self) -> &str {
        match self {
            AlertChannel::Webhook { name, .. } | AlertChannel::Email { name, .. } => name,
        }
    }
}

/// One mistake in the file, at its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_CONFIG_BYTES`] or not UTF-8.
    #[error("{path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Mistakes in the file, every one found.
    #[error("{path}: {} mistake(s)", problems.len())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every mistake, in file order.
        problems: Vec<Problem>,
    },
}

/// Reads at most `max` bytes of a file; a longer file is an error.
pub fn read_bounded(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let f = std::fs::File::open(path)?;
    let mut buf = Vec::new();
    f.take(max + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {max} bytes"),
        ));
    }
    Ok(buf)
}

/// The password or token in the first line of a file (at most [`MAX_SECRET_FILE`] bytes).
pub fn read_secret(path: &Path) -> std::io::Result<Secret> {
    let bytes = read_bounded(path, MAX_SECRET_FILE)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8"))?;
    Ok(Secret::new(
        text.lines().next().unwrap_or_default().to_string(),
    ))
}

impl MonitorConfig {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<MonitorConfig, ConfigError> {
        let bytes = read_bounded(path, MAX_CONFIG_BYTES).map_err(|e| {
            if e.kind() == std::io::ErrorKind::InvalidData {
                ConfigError::Unreadable {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                }
            } else {
                ConfigError::Read {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })?;
        let text = String::from_utf8(bytes).map_err(|_| ConfigError::Unreadable {
            path: path.to_path_buf(),
            reason: "not UTF-8".into(),
        })?;
        MonitorConfig::parse(&text, path).map_err(|problems| ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        })
    }

    /// Validates the text of a file read from `path` (relative paths in it are taken beside it);
    /// every mistake found, in file order, when it is not usable.
    pub fn parse(text: &str, path: &Path) -> Result<MonitorConfig, Vec<Problem>> {
        let mut w = Walker {
            src: text,
            dir: path.parent().unwrap_or(Path::new("")).to_path_buf(),
            problems: Vec::new(),
        };
        let doc = match ImDocument::parse(text) {
            Ok(doc) => doc,
            Err(e) => {
                w.err(e.span().unwrap_or(0..0), e.message().trim().to_string());
                return Err(w.problems);
            }
        };
        let root = doc.as_table();
        w.keys(
            root,
            &[
                "interval",
                "jitter",
                "timeout",
                "concurrency",
                "store",
                "retention",
                "remind",
                "check",
                "alert",
            ],
            "the top level",
        );
        let defaults = Schedule {
            interval: w
                .opt(root, "interval", Walker::duration)
                .unwrap_or(DEFAULT_INTERVAL),
            jitter: w
                .opt(root, "jitter", Walker::duration)
                .unwrap_or(Duration::ZERO),
            timeout: w.opt(root, "timeout", Walker::duration),
        };
        let concurrency = w
            .opt(root, "concurrency", |w, i| w.int(i, 1, 4096))
            .map_or(DEFAULT_CONCURRENCY, |n| n as usize);
        let store = w.opt(root, "store", Walker::string).map_or_else(
            || {
                let stem = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("monitor");
                w.dir.join(format!("{stem}.db"))
            },
            |s| w.dir.join(s),
        );
        let retention = w
            .opt(root, "retention", Walker::duration)
            .unwrap_or(DEFAULT_RETENTION);
        let remind = w.opt(root, "remind", Walker::duration);
        let mut checks = Vec::new();
        let mut names = BTreeSet::new();
        for (table, span) in w.tables(root, "check") {
            // Names are compared even when a check is wrong otherwise, so that every mistake shows.
            let name = table.get("name").and_then(Item::as_str).map(str::to_string);
            let dup = name.is_some_and(|n| {
                !names.insert(n.clone()) && {
                    w.err(span.clone(), format!("a second check named {n:?}"));
                    true
                }
            });
            if let Some(c) = w.check(table, span, &defaults) {
                if !dup {
                    checks.push(c);
                }
            }
        }
        if root.get("check").is_none() {
            w.err(0..0, "no [[check]]: nothing to monitor".into());
        }
        let mut alerts = Vec::new();
        let mut alert_names = BTreeSet::new();
        for (table, span) in w.tables(root, "alert") {
            if let Some(a) = w.alert(table, span.clone()) {
                let name = a.name().to_string();
                if !alert_names.insert(name.clone()) {
                    w.err(span, format!("a second alert channel named {name:?}"));
                } else {
                    alerts.push(a);
                }
            }
        }
        if !w.problems.is_empty() {
            w.problems.sort_by_key(|p| (p.line, p.column));
            return Err(w.problems);
        }
        Ok(MonitorConfig {
            path: path.to_path_buf(),
            store,
            retention,
            remind,
            concurrency,
            checks,
            alerts,
        })
    }
}

/// The schedule defaults of the top level.
struct Schedule {
    interval: Duration,
    jitter: Duration,
    timeout: Option<Duration>,
}

/// Walks the document, collecting every problem with its place.
struct Walker<'a> {
    src: &'a str,
    dir: PathBuf,
    problems: Vec<Problem>,
}

/// Where an item is, or the start of the file when toml_edit kept no span.
fn span_of(item: &Item) -> Range<usize> {
    item.span().unwrap_or(0..0)
}

impl Walker<'_> {
    fn problem(&self, span: Range<usize>, message: String) -> Problem {
        let at = span.start.min(self.src.len());
        let before = self.src.get(..at).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Problem {
            line,
            column,
            message,
        }
    }

    fn err(&mut self, span: Range<usize>, message: String) {
        let p = self.problem(span, message);
        self.problems.push(p);
    }

    /// Reports every key of `table` that is not in `allowed`.
    fn keys(&mut self, table: &dyn TableLike, allowed: &[&str], context: &str) {
        for (key, _) in table.iter() {
            if !allowed.contains(&key) {
                let span = table
                    .get_key_value(key)
                    .and_then(|(k, _)| k.span())
                    .unwrap_or(0..0);
                self.err(
                    span,
                    format!(
                        "unknown key {key:?} in {context} (known: {})",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    /// The value of an optional key, read by `read`; a problem is recorded when it is wrong.
    fn opt<T>(
        &mut self,
        table: &dyn TableLike,
        key: &str,
        read: impl FnOnce(&mut Self, &Item) -> Option<T>,
    ) -> Option<T> {
        let item = table.get(key)?;
        read(self, item)
    }

    /// The tables of an array of tables (`[[check]]`) or of an array of inline tables.
    fn tables<'d>(
        &mut self,
        root: &'d dyn TableLike,
        key: &str,
    ) -> Vec<(&'d dyn TableLike, Range<usize>)> {
        let Some(item) = root.get(key) else {
            return Vec::new();
        };
        if let Some(aot) = item.as_array_of_tables() {
            return aot
                .iter()
                .map(|t| (t as &dyn TableLike, t.span().unwrap_or(0..0)))
                .collect();
        }
        if let Some(array) = item.as_array() {
            let mut out = Vec::new();
            for v in array.iter() {
                match v.as_inline_table() {
                    Some(t) => out.push((t as &dyn TableLike, v.span().unwrap_or(0..0))),
                    None => self.err(
                        v.span().unwrap_or(0..0),
                        format!("each {key} is a table, not {}", v.type_name()),
                    ),
                }
            }
            return out;
        }
        self.err(
            span_of(item),
            format!("{key} is an array of tables ([[{key}]])"),
        );
        Vec::new()
    }

    fn string(&mut self, item: &Item) -> Option<String> {
        match item.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.err(
                    span_of(item),
                    format!("expected a string, found {}", item.type_name()),
                );
                None
            }
        }
    }

    fn nonempty(&mut self, item: &Item) -> Option<String> {
        let s = self.string(item)?;
        if s.trim().is_empty() {
            self.err(span_of(item), "must not be empty".into());
            return None;
        }
        Some(s)
    }

    fn bool(&mut self, item: &Item) -> Option<bool> {
        let b = item.as_bool();
        if b.is_none() {
            self.err(
                span_of(item),
                format!("expected true or false, found {}", item.type_name()),
            );
        }
        b
    }

    fn int(&mut self, item: &Item, min: i64, max: i64) -> Option<i64> {
        match item.as_integer() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(n) => {
                self.err(
                    span_of(item),
                    format!("{n} is out of range ({min} to {max})"),
                );
                None
            }
            None => {
                self.err(
                    span_of(item),
                    format!("expected an integer, found {}", item.type_name()),
                );
                None
            }
        }
    }

    /// A duration: a number of seconds, or a string such as "90s", "5m", "1h", "30d", "500ms".
    fn duration(&mut self, item: &Item) -> Option<Duration> {
        let parsed = if let Some(n) = item.as_integer() {
            u64::try_from(n).ok().map(Duration::from_secs)
        } else if let Some(f) = item.as_float() {
            (f.is_finite() && (0.0..1e9).contains(&f)).then(|| Duration::from_secs_f64(f))
        } else if let Some(s) = item.as_str() {
            parse_duration(s)
        } else {
            None
        };
        if parsed.is_none() {
            self.err(
                span_of(item),
                "expected a duration: seconds, or a string such as \"30s\", \"5m\", \"1h\", \"7d\""
                    .into(),
            );
        }
        parsed
    }

    /// One string or an array of strings.
    fn strings(&mut self, item: &Item) -> Option<Vec<String>> {
        if let Some(s) = item.as_str() {
            return Some(vec![s.to_string()]);
        }
        let Some(array) = item.as_array() else {
            self.err(
                span_of(item),
                format!(
                    "expected a string or an array of strings, found {}",
                    item.type_name()
                ),
            );
            return None;
        };
        let mut out = Vec::new();
        for v in array.iter() {
            match v.as_str() {
                Some(s) => out.push(s.to_string()),
                None => self.err(
                    v.span().unwrap_or(0..0),
                    format!("expected a string, found {}", v.type_name()),
                ),
            }
        }
        Some(out)
    }

    fn table<'d>(&mut self, item: &'d Item, what: &str) -> Option<&'d dyn TableLike> {
        let t = item.as_table_like();
        if t.is_none() {
            self.err(
                span_of(item),
                format!("{what} is a table, not {}", item.type_name()),
            );
        }
        t
    }

    fn address(&mut self, item: &Item) -> Option<String> {
        let s = self.string(item)?;
        let ok = match s.rsplit_once('@') {
            Some((local, domain)) => !local.is_empty() && !domain.is_empty(),
            None => false,
        };
        if !ok || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            self.err(span_of(item), format!("{s:?} is not a mail address"));
            return None;
        }
        Some(s)
    }

    /// Which of two exclusive keys `t` has (0 or 1) and its item; a problem when both or neither.
    fn one_of<'d>(
        &mut self,
        t: &'d dyn TableLike,
        keys: [&str; 2],
        span: Range<usize>,
        what: &str,
    ) -> Option<(usize, &'d Item)> {
        let [a, b] = keys;
        match (t.get(a), t.get(b)) {
            (Some(i), None) => Some((0, i)),
            (None, Some(i)) => Some((1, i)),
            (Some(_), Some(i)) => {
                self.err(span_of(i), format!("{what} has `{a}` or `{b}`, not both"));
                None
            }
            (None, None) => {
                self.err(span, format!("{what} has neither `{a}` nor `{b}`"));
                None
            }
        }
    }

    fn check(
        &mut self,
        t: &dyn TableLike,
        span: Range<usize>,
        defaults: &Schedule,
    ) -> Option<CheckSpec> {
        /// The keys every check takes (beside [`SMTP_ONLY`] and [`DNS_ONLY`]).
        const COMMON: &[&str] = &[
            "name",
            "check",
            "dns",
            "ca",
            "auth-password",
            "dns-server",
            "interval",
            "jitter",
            "timeout",
            "thresholds",
            "labels",
        ];
        let before = self.problems.len();
        self.keys(t, &[COMMON, SMTP_ONLY, DNS_ONLY].concat(), "a [[check]]");
        let name = self.opt(t, "name", Walker::nonempty);
        if t.get("name").is_none() {
            self.err(span.clone(), "this check has no name".into());
        }
        let interval = self
            .opt(t, "interval", Walker::duration)
            .unwrap_or(defaults.interval);
        let jitter = self
            .opt(t, "jitter", Walker::duration)
            .unwrap_or(defaults.jitter);
        let timeout = self
            .opt(t, "timeout", Walker::duration)
            .or(defaults.timeout)
            .unwrap_or(DEFAULT_TIMEOUT.min(interval));
        if interval < Duration::from_secs(1) {
            self.err(
                t.get("interval").map_or(span.clone(), span_of),
                "the interval must be at least 1s".into(),
            );
        }
        if jitter >= interval {
            self.err(
                t.get("jitter").map_or(span.clone(), span_of),
                "the jitter must be shorter than the interval".into(),
            );
        }
        if timeout.is_zero() || timeout > interval {
            self.err(
                t.get("timeout").map_or(span.clone(), span_of),
                format!(
                    "the timeout must be above 0 and at most the interval ({}s)",
                    interval.as_secs_f64()
                ),
            );
        }
        let thresholds = self
            .opt(t, "thresholds", Walker::thresholds)
            .unwrap_or_default();
        let labels = self.opt(t, "labels", Walker::labels).unwrap_or_default();
        let kind = match self.one_of(t, ["check", "dns"], span.clone(), "a check") {
            Some((0, target)) => {
                self.foreign(t, DNS_ONLY, "a `dns` check", "a `check`");
                self.smtp(t, target, timeout)
            }
            Some((_, domain)) => {
                self.foreign(t, SMTP_ONLY, "a `check`", "a `dns` check");
                self.dns(t, domain, timeout)
            }
            None => None,
        };
        if self.problems.len() > before {
            return None;
        }
        Some(CheckSpec {
            name: name?,
            kind: kind?,
            interval,
            jitter,
            timeout,
            thresholds,
            labels,
        })
    }

    /// Reports each key of `keys` that `t` has as belonging to `owner`, not to `kind`.
    fn foreign(&mut self, t: &dyn TableLike, keys: &[&str], owner: &str, kind: &str) {
        for key in keys {
            if let Some(i) = t.get(key) {
                self.err(span_of(i), format!("{key} belongs to {owner}, not {kind}"));
            }
        }
    }

    /// The domain and the options of a `dns` check.
    fn dns(&mut self, t: &dyn TableLike, domain: &Item, timeout: Duration) -> Option<CheckKind> {
        let text = self.nonempty(domain)?;
        let name = crate::mail_domain(&text);
        if name.is_none() {
            self.err(span_of(domain), format!("{text:?} is not a domain name"));
        }
        let query = self
            .opt(t, "query-timeout", Walker::duration)
            .unwrap_or(DEFAULT_QUERY_TIMEOUT.min(timeout));
        if query.is_zero() || query > timeout {
            self.err(
                t.get("query-timeout").map_or(0..0, span_of),
                "query-timeout must be above 0 and at most the check's timeout".into(),
            );
        }
        let port = self
            .opt(t, "mta-sts-port", |w, i| w.int(i, 1, 65_535))
            .and_then(|n| u16::try_from(n).ok())
            .unwrap_or(443);
        let mut options = crate::dns_options(query, self.ca(t), port);
        options.ip = t.get("ip").and_then(|i| {
            let ip = i.as_str().and_then(|s| s.parse::<IpAddr>().ok());
            if ip.is_none() {
                self.err(span_of(i), "ip is an IPv4 or IPv6 address".into());
            }
            ip
        });
        options.selectors = self
            .opt(t, "selectors", Walker::strings)
            .unwrap_or_default();
        if let Some(zones) = t.get("dnsbl") {
            for zone in self.strings(zones).unwrap_or_default() {
                match crate::mail_domain(&zone) {
                    Some(z) => options.dnsbl_zones.push(z),
                    None => self.err(span_of(zones), format!("{zone:?} is not a zone name")),
                }
            }
            if t.get("ip").is_none() {
                self.err(
                    span_of(zones),
                    "dnsbl needs ip: the blocklists are asked about the sending IP".into(),
                );
            }
        }
        Some(CheckKind::Dns {
            domain: name?,
            resolver: DnsOptions {
                server: self.opt(t, "dns-server", Walker::socket),
                timeout: query,
                dnssec: None,
            },
            options: Box::new(options),
        })
    }

    /// `dns-server = "IP:PORT"`.
    fn socket(&mut self, item: &Item) -> Option<SocketAddr> {
        let a = item.as_str().and_then(|s| s.parse::<SocketAddr>().ok());
        if a.is_none() {
            self.err(
                span_of(item),
                "dns-server is IP:PORT (\"127.0.0.1:53\", \"[::1]:53\")".into(),
            );
        }
        a
    }

    /// The PEM certificates of the file `ca` names (beside the configuration unless absolute).
    fn ca(&mut self, t: &dyn TableLike) -> Option<Vec<u8>> {
        let ca = t.get("ca")?;
        let name = self.nonempty(ca)?;
        let file = self.dir.join(name);
        match read_bounded(&file, MAX_CA_FILE) {
            Ok(pem) if pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") => Some(pem),
            Ok(_) => {
                self.err(
                    span_of(ca),
                    format!("{} holds no PEM certificate", file.display()),
                );
                None
            }
            Err(e) => {
                self.err(
                    span_of(ca),
                    format!("cannot read the CA file {}: {e}", file.display()),
                );
                None
            }
        }
    }

    /// `auth`, `auth-user` and the password's source: the credentials of a `check`.
    fn auth(&mut self, t: &dyn TableLike) -> Option<Auth> {
        if let Some(i) = t.get("auth-password") {
            self.err(
                span_of(i),
                "a password is never written in the configuration: name its source with \
                 auth-password-env = \"VAR\" or auth-password-file = \"FILE\""
                    .into(),
            );
        }
        let Some(mech) = t.get("auth") else {
            for key in ["auth-user", "auth-password-env", "auth-password-file"] {
                if let Some(i) = t.get(key) {
                    self.err(span_of(i), format!("{key} needs auth = \"MECHANISM\""));
                }
            }
            return None;
        };
        let mechanism = match mech.as_str().map(str::to_ascii_uppercase).as_deref() {
            Some("PLAIN") => Some(AuthMechanism::Plain),
            Some("LOGIN") => Some(AuthMechanism::Login),
            Some("CRAM-MD5") => Some(AuthMechanism::CramMd5),
            Some("XOAUTH2") => Some(AuthMechanism::XOAuth2),
            _ => {
                self.err(
                    span_of(mech),
                    "auth is one of \"PLAIN\", \"LOGIN\", \"CRAM-MD5\", \"XOAUTH2\"".into(),
                );
                None
            }
        };
        let user = self.opt(t, "auth-user", Walker::nonempty);
        if t.get("auth-user").is_none() {
            self.err(span_of(mech), "auth needs auth-user".into());
        }
        let source = self.one_of(
            t,
            ["auth-password-env", "auth-password-file"],
            span_of(mech),
            "an AUTH check",
        );
        let secret = match source {
            Some((0, var)) => {
                let name = self.nonempty(var)?;
                match std::env::var(&name) {
                    Ok(value) => Some(Secret::new(value)),
                    Err(_) => {
                        self.err(
                            span_of(var),
                            format!("the environment variable {name} is not set (or not UTF-8)"),
                        );
                        None
                    }
                }
            }
            Some((_, file)) => {
                let name = self.nonempty(file)?;
                let path = self.dir.join(name);
                match read_secret(&path) {
                    Ok(secret) => Some(secret),
                    Err(e) => {
                        self.err(
                            span_of(file),
                            format!("cannot read the password file {}: {e}", path.display()),
                        );
                        None
                    }
                }
            }
            None => None,
        };
        Some(Auth {
            mechanism: mechanism?,
            user: user?,
            secret: secret?,
        })
    }

    /// The target and the probe options of a `check`.
    fn smtp(&mut self, t: &dyn TableLike, target: &Item, timeout: Duration) -> Option<CheckKind> {
        let text = self.nonempty(target);
        let parsed = text.as_deref().and_then(|s| match Target::parse(s) {
            Ok(p) => Some(p),
            Err(e) => {
                self.err(span_of(target), format!("bad target: {e}"));
                None
            }
        });
        let mut o = ProbeOptions {
            port: self
                .opt(t, "port", |w, i| w.int(i, 1, 65_535))
                .and_then(|n| u16::try_from(n).ok()),
            require_tls: self.opt(t, "require-tls", Walker::bool).unwrap_or(false),
            insecure: self.opt(t, "insecure", Walker::bool).unwrap_or(false),
            ehlo: self.opt(t, "ehlo", Walker::nonempty),
            sni: self.opt(t, "sni", Walker::nonempty),
            from: self.opt(t, "from", |w, i| {
                // The null sender is written "".
                if i.as_str() == Some("") {
                    Some(String::new())
                } else {
                    w.address(i)
                }
            }),
            ..ProbeOptions::default()
        };
        if let Some(tls) = t.get("tls").and_then(|i| self.tls_policy(i)) {
            o.tls = tls;
        }
        if let Some(to) = t.get("to") {
            let list = self.strings(to).unwrap_or_default();
            for addr in list {
                let ok = addr
                    .rsplit_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty());
                if ok {
                    o.to.push(addr);
                } else {
                    self.err(span_of(to), format!("{addr:?} is not a mail address"));
                }
            }
        }
        if let Some(stage) = t.get("quit-after") {
            match stage.as_str().map(str::parse::<Stage>) {
                Some(Ok(s)) => o.quit_after = Some(s),
                _ => self.err(
                    span_of(stage),
                    "quit-after is a stage: connect, banner, ehlo, starttls, tls, auth, mail, rcpt"
                        .into(),
                ),
            }
        }
        o.dns_server = self.opt(t, "dns-server", Walker::socket);
        o.ca_pem = self.ca(t);
        o.auth = self.auth(t);
        // The probe's own total deadline stays within the check's timeout.
        o.timeouts = Timeouts {
            total: timeout,
            ..Timeouts::default()
        };
        if let Some(item) = t.get("timeouts") {
            if let Some(tt) = self.table(item, "timeouts") {
                self.keys(
                    tt,
                    &["resolve", "connect", "banner", "command", "total"],
                    "timeouts",
                );
                let slots: [(&str, &mut Duration); 5] = [
                    ("resolve", &mut o.timeouts.resolve),
                    ("connect", &mut o.timeouts.connect),
                    ("banner", &mut o.timeouts.banner),
                    ("command", &mut o.timeouts.command),
                    ("total", &mut o.timeouts.total),
                ];
                for (key, slot) in slots {
                    if let Some(d) = self.opt(tt, key, Walker::duration) {
                        if d.is_zero() {
                            self.err(
                                tt.get(key).map_or(0..0, span_of),
                                format!("timeouts.{key} must be above 0"),
                            );
                        }
                        *slot = d;
                    }
                }
                if o.timeouts.total > timeout {
                    self.err(
                        tt.get("total").map_or(0..0, span_of),
                        "timeouts.total is longer than the check's timeout".into(),
                    );
                }
            }
        }
        Some(CheckKind::Smtp {
            target: text?,
            parsed: parsed?,
            options: Box::new(o),
        })
    }

    fn thresholds(&mut self, item: &Item) -> Option<Thresholds> {
        let t = self.table(item, "thresholds")?;
        self.keys(t, &["latency", "cert-days"], "thresholds");
        let mut out = Thresholds {
            cert_days: self
                .opt(t, "cert-days", |w, i| w.int(i, 0, 3650))
                .and_then(|n| u32::try_from(n).ok()),
            ..Thresholds::default()
        };
        if let Some(latency) = t.get("latency") {
            if let Some(lt) = self.table(latency, "thresholds.latency") {
                for (key, value) in lt.iter() {
                    match key.parse::<Stage>() {
                        Ok(stage) => {
                            if let Some(d) = self.duration(value) {
                                out.latency.insert(stage, d);
                            }
                        }
                        Err(_) => {
                            let span = lt
                                .get_key_value(key)
                                .and_then(|(k, _)| k.span())
                                .unwrap_or(0..0);
                            self.err(span, format!("{key:?} is not a stage (connect, banner, ehlo, starttls, tls, auth, mail, rcpt, data, quit)"));
                        }
                    }
                }
            }
        }
        Some(out)
    }

    fn labels(&mut self, item: &Item) -> Option<BTreeMap<String, String>> {
        let t = self.table(item, "labels")?;
        let mut out = BTreeMap::new();
        for (key, value) in t.iter() {
            let key_span = t
                .get_key_value(key)
                .and_then(|(k, _)| k.span())
                .unwrap_or(0..0);
            if !is_label_name(key) || RESERVED_LABELS.contains(&key) {
                self.err(
                    key_span,
                    format!(
                        "{key:?} cannot be a label name ([a-zA-Z_][a-zA-Z0-9_]*, not {})",
                        RESERVED_LABELS.join(", ")
                    ),
                );
                continue;
            }
            if let Some(v) = self.string(value) {
                out.insert(key.to_string(), v);
            }
        }
        Some(out)
    }

    /// `tls = "auto" | "starttls" | "implicit" | "none"`.
    fn tls_policy(&mut self, item: &Item) -> Option<TlsPolicy> {
        let policy = match item.as_str() {
            Some("auto") => TlsPolicy::Auto,
            Some("starttls") => TlsPolicy::StartTls,
            Some("implicit") => TlsPolicy::Implicit,
            Some("none") => TlsPolicy::None,
            _ => {
                self.err(
                    span_of(item),
                    "tls is one of \"auto\", \"starttls\", \"implicit\", \"none\"".into(),
                );
                return None;
            }
        };
        Some(policy)
    }

    fn alert(&mut self, t: &dyn TableLike, span: Range<usize>) -> Option<AlertChannel> {
        let before = self.problems.len();
        self.keys(t, &["name", "webhook", "email"], "an [[alert]]");
        let name = self.opt(t, "name", Walker::nonempty);
        if t.get("name").is_none() {
            self.err(span.clone(), "this alert channel has no name".into());
        }
        let channel = match self.one_of(t, ["webhook", "email"], span, "an alert channel") {
            Some((0, url)) => {
                let u = self.string(url)?;
                let rest = u
                    .strip_prefix("https://")
                    .or_else(|| u.strip_prefix("http://"));
                let host_ok = rest.is_some_and(|r| {
                    let host = r.split(['/', '?', '#']).next().unwrap_or("");
                    !host.is_empty() && !host.chars().any(|c| c.is_whitespace())
                });
                if !host_ok {
                    self.err(
                        span_of(url),
                        format!("{u:?} is not an http:// or https:// URL with a host"),
                    );
                    return None;
                }
                Some(AlertChannel::Webhook {
                    name: name.clone()?,
                    url: u,
                })
            }
            Some((_, email)) => {
                let e = self.table(email, "email")?;
                self.keys(e, &["relay", "from", "to", "tls"], "email");
                let tls = match e.get("tls") {
                    Some(i) => self.tls_policy(i),
                    None => Some(TlsPolicy::StartTls),
                };
                let relay = self.opt(e, "relay", Walker::nonempty);
                if let Some(r) = &relay {
                    let port_ok = r.rsplit_once(':').is_some_and(|(h, p)| {
                        !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0)
                    });
                    if !port_ok {
                        self.err(
                            e.get("relay").map_or(0..0, span_of),
                            format!("{r:?} is not host:port"),
                        );
                    }
                }
                let from = self.opt(e, "from", Walker::address);
                let to = self.opt(e, "to", Walker::strings).unwrap_or_default();
                for (key, missing) in [
                    ("relay", relay.is_none()),
                    ("from", from.is_none()),
                    ("to", to.is_empty()),
                ] {
                    if missing && e.get(key).is_none() {
                        self.err(span_of(email), format!("email needs {key}"));
                    }
                }
                Some(AlertChannel::Email {
                    name: name.clone()?,
                    relay: relay?,
                    from: from?,
                    to,
                    tls: tls?,
                })
            }
            None => None,
        };
        if self.problems.len() > before {
            return None;
        }
        channel
    }
}

/// Label names the monitor sets itself.
const RESERVED_LABELS: &[&str] = &[
    "check", "stage", "category", "target", "module", "status", "zone",
];

/// The keys of a `check` that a `dns` check does not take.
const SMTP_ONLY: &[&str] = &[
    "port",
    "tls",
    "require-tls",
    "from",
    "to",
    "quit-after",
    "ehlo",
    "sni",
    "insecure",
    "timeouts",
    "auth",
    "auth-user",
    "auth-password-env",
    "auth-password-file",
];

/// The keys of a `dns` check that a `check` does not take.
const DNS_ONLY: &[&str] = &["ip", "selectors", "dnsbl", "query-timeout", "mta-sts-port"];

/// A Prometheus label name.
fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with("__")
}

/// "500ms", "30s", "5m", "1h", "7d", or a bare number of seconds.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = number.parse().ok()?;
    let scale = match unit.trim() {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => return None,
    };
    let secs = n * scale;
    (secs.is_finite() && (0.0..1e10).contains(&secs)).then(|| Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The domain, resolver and options of a `dns` check.
    fn dns_parts(kind: &CheckKind) -> (&str, &DnsOptions, &CheckOptions) {
        let CheckKind::Dns {
            domain,
            resolver,
            options,
        } = kind
        else {
            panic!("a dns check");
        };
        (domain, resolver, options)
    }

    fn parse(text: &str) -> Result<MonitorConfig, Vec<Problem>> {
        MonitorConfig::parse(text, Path::new("/etc/smtp-doctor/monitor.toml"))
    }

    #[test]
    fn a_full_file_reads() {
        let c = parse(
            r#"
interval = "2m"
jitter = 5
concurrency = 4
retention = "7d"

[[check]]
name = "mx1"
check = "mx1.example.org:2525"
tls = "starttls"
from = "probe@example.org"
to = ["postmaster@example.org", "abuse@example.org"]
quit-after = "rcpt"
timeouts = { connect = "2s", banner = 3.5 }
dns-server = "127.0.0.1:5353"
thresholds = { latency = { banner = "2s", ehlo = "500ms" }, cert-days = 14 }
labels = { site = "paris" }

[[check]]
name = "zone"
dns = "example.org"
interval = 600

[[alert]]
name = "ops"
webhook = "https://hooks.example.org/smtp"

[[alert]]
name = "mail"
email = { relay = "relay.example.org:587", from = "monitor@example.org", to = "ops@example.org" }
"#,
        )
        .expect("valid");
        assert_eq!(c.store, Path::new("/etc/smtp-doctor/monitor.db"));
        assert_eq!(c.retention, Duration::from_secs(7 * 86_400));
        assert_eq!(c.concurrency, 4);
        assert_eq!(c.checks.len(), 2);
        let mx = &c.checks[0];
        assert_eq!(mx.interval, Duration::from_secs(120));
        assert_eq!(mx.jitter, Duration::from_secs(5));
        assert_eq!(mx.timeout, DEFAULT_TIMEOUT);
        assert_eq!(mx.thresholds.cert_days, Some(14));
        assert_eq!(
            mx.thresholds.latency.get(&Stage::Ehlo),
            Some(&Duration::from_millis(500))
        );
        assert_eq!(mx.labels.get("site").map(String::as_str), Some("paris"));
        let CheckKind::Smtp {
            options, parsed, ..
        } = &mx.kind
        else {
            panic!("an smtp check");
        };
        assert!(matches!(
            parsed,
            Target::Host {
                port: Some(2525),
                ..
            }
        ));
        assert_eq!(options.tls, TlsPolicy::StartTls);
        assert_eq!(options.to.len(), 2);
        assert_eq!(options.quit_after, Some(Stage::Rcpt));
        assert_eq!(options.timeouts.banner, Duration::from_millis(3500));
        assert_eq!(options.timeouts.total, DEFAULT_TIMEOUT);
        let (domain, resolver, options) = dns_parts(&c.checks[1].kind);
        assert_eq!(domain, "example.org");
        assert_eq!(resolver.server, None);
        assert_eq!(resolver.timeout, DEFAULT_QUERY_TIMEOUT);
        assert_eq!(options.mta_sts_fetch.https_port, 443);
        assert!(options.dnsbl_zones.is_empty() && options.ip.is_none());
        assert_eq!(c.checks[1].interval, Duration::from_secs(600));
        assert_eq!(c.alerts.len(), 2);
        assert!(
            matches!(&c.alerts[1], AlertChannel::Email { to, tls: TlsPolicy::StartTls, .. } if to.len() == 1)
        );
        assert_eq!(c.alerts[1].name(), "mail");
        assert_eq!(c.remind, None);
    }

    #[test]
    fn remind_and_the_relay_tls_are_read() {
        let c = parse(
            "remind = \"4h\"\n[[check]]\nname = \"a\"\ncheck = \"mx.example.org\"\n[[alert]]\nname = \"m\"\n\
             email = { relay = \"relay.example.org:25\", from = \"a@example.org\", to = \"b@example.org\", tls = \"none\" }\n",
        )
        .expect("valid");
        assert_eq!(c.remind, Some(Duration::from_secs(4 * 3600)));
        assert!(matches!(
            &c.alerts[0],
            AlertChannel::Email {
                tls: TlsPolicy::None,
                ..
            }
        ));
        let problems = parse(
            "remind = \"never\"\n[[check]]\nname = \"a\"\ncheck = \"mx.example.org\"\n[[alert]]\nname = \"m\"\n\
             email = { relay = \"relay.example.org:25\", from = \"a@example.org\", to = \"b@example.org\", tls = \"maybe\" }\n",
        )
        .expect_err("invalid");
        let at: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(at, [1, 7], "{problems:#?}");
        assert!(
            problems[1].message.contains("tls is one of"),
            "{problems:#?}"
        );
    }

    #[test]
    fn every_mistake_is_reported_with_its_place() {
        let problems = parse(
            r#"interval = "soon"
colour = 1
[[check]]
name = "a"
check = "mx.example.org"
tls = "sometimes"
port = 70000
labels = { "bad-name" = "x", check = "y" }
[[check]]
name = "a"
check = "mx2.example.org"
[[check]]
check = "bad:port:x"
thresholds = { latency = { lunch = "1s" } }
jitter = "10m"
[[alert]]
name = "w"
webhook = "ftp://example.org"
"#,
        )
        .expect_err("invalid");
        let at: Vec<(usize, usize)> = problems.iter().map(|p| (p.line, p.column)).collect();
        let text: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        // interval, colour, tls, port, two labels, second "a", no name, bad target,
        // stage, jitter, ftp.
        assert!(problems.len() >= 12, "{problems:#?}");
        assert!(at.contains(&(1, 12)), "{at:?}");
        assert!(at.contains(&(2, 1)), "{at:?}");
        assert!(at.contains(&(6, 7)), "{at:?}");
        assert!(at.contains(&(7, 8)), "{at:?}");
        assert!(at.contains(&(18, 11)), "{at:?}");
        assert!(text.iter().any(|m| m.contains("second check named")));
        assert!(text.iter().any(|m| m.contains("no name")));
        assert!(text.iter().any(|m| m.contains("\"lunch\" is not a stage")));
        assert!(text.iter().any(|m| m.contains("jitter must be shorter")));
        assert!(text.iter().any(|m| m.contains("bad target")));
        // In file order.
        let mut sorted = at.clone();
        sorted.sort();
        assert_eq!(at, sorted);
    }

    #[test]
    fn a_syntax_error_has_its_place_and_an_empty_file_is_refused() {
        let p = parse("[[check]]\nname = \"a\nx = 1\n").expect_err("syntax");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].line, 2);
        let p = parse("").expect_err("nothing to monitor");
        assert!(p[0].message.contains("no [[check]]"));
    }

    #[test]
    fn a_dns_check_takes_the_options_of_dns_and_refuses_those_of_check() {
        let c = parse(
            "[[check]]\nname = \"d\"\ndns = \"Lab.Test.\"\ndns-server = \"127.0.0.1:5353\"\n\
             ip = \"192.0.2.10\"\ndnsbl = [\"dnsbl.lab.test\", \"dnsbl-refuse.lab.test\"]\n\
             selectors = \"s1\"\nquery-timeout = \"2s\"\nmta-sts-port = 8443\n",
        )
        .expect("valid");
        let (domain, resolver, options) = dns_parts(&c.checks[0].kind);
        assert_eq!(domain, "lab.test");
        assert_eq!(
            resolver.server,
            Some("127.0.0.1:5353".parse().expect("addr"))
        );
        assert_eq!(resolver.timeout, Duration::from_secs(2));
        assert_eq!(options.ip, Some("192.0.2.10".parse().expect("ip")));
        assert_eq!(
            options.dnsbl_zones,
            ["dnsbl.lab.test", "dnsbl-refuse.lab.test"]
        );
        assert_eq!(options.selectors, ["s1"]);
        assert_eq!(options.mta_sts_fetch.https_port, 8443);
        let problems = parse(
            "[[check]]\nname = \"d\"\ndns = \"nodot\"\ntls = \"none\"\ndnsbl = \"x.example\"\n\
             ip = \"not an ip\"\n[[check]]\nname = \"s\"\ncheck = \"mx.example.org\"\nip = \"192.0.2.1\"\n",
        )
        .expect_err("invalid");
        let at: Vec<(usize, usize)> = problems.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(at, [(3, 7), (4, 7), (6, 6), (10, 6)], "{problems:#?}");
        assert!(problems[1].message.contains("belongs to a `check`"));
        assert!(problems[3].message.contains("belongs to a `dns` check"));
    }

    #[test]
    fn auth_takes_its_password_from_the_environment_or_a_file_never_the_file_itself() {
        let dir = std::env::temp_dir().join(format!("smtp-doctor-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("pw"), "s3cret\nsecond line\n").expect("pw");
        let at = |text: &str| MonitorConfig::parse(text, &dir.join("m.toml"));
        let base = "[[check]]\nname = \"a\"\ncheck = \"mx.example.org\"\n";
        let c = at(&format!(
            "{base}auth = \"login\"\nauth-user = \"u\"\nauth-password-file = \"pw\"\n"
        ))
        .expect("valid");
        let CheckKind::Smtp { options, .. } = &c.checks[0].kind else {
            panic!("smtp");
        };
        let auth = options.auth.as_ref().expect("auth");
        assert_eq!(auth.mechanism, AuthMechanism::Login);
        assert_eq!(auth.user, "u");
        assert_eq!(auth.secret.expose(), "s3cret");
        // The secret never shows in the configuration's debug form.
        assert!(!format!("{c:?}").contains("s3cret"));
        let problems = at(&format!(
            "{base}auth = \"PLAIN\"\nauth-user = \"u\"\nauth-password = \"hunter2\"\n\
             auth-password-env = \"SMTP_DOCTOR_TEST_SURELY_UNSET_VARIABLE\"\n"
        ))
        .expect_err("invalid");
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [6, 7], "{problems:#?}");
        assert!(problems[0].message.contains("never written"));
        assert!(problems[1].message.contains("is not set"));
        let problems = at(&format!(
            "{base}auth = \"GSSAPI\"\nauth-password-file = \"missing\"\n[[check]]\nname = \"b\"\n\
             check = \"mx.example.org\"\nauth-user = \"u\"\n"
        ))
        .expect_err("invalid");
        let text: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            text.iter().any(|m| m.contains("auth is one of")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|m| m.contains("auth needs auth-user")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|m| m.contains("cannot read the password file")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|m| m.contains("auth-user needs auth")),
            "{text:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn durations_read() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5m"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_duration("3 weeks"), None);
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration(""), None);
    }
}
