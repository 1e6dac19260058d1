//! Alerts on state change: a check that starts failing, recovers, whose certificate crosses
//! its threshold (either way), or whose sending IP a blocklist zone starts (or stops) listing
//! alerts once; a state that stays bad is alerted again every `remind` when set. Alerts go to every channel: a JSON POST (hyper, over rustls for
//! `https://`) or a mail through an SMTP relay (lettre).

use crate::config::{AlertChannel, CheckSpec};
use crate::schedule::Monitor;
use crate::store::{RunRecord, RunStatus, DNSBL_LISTED, DNSBL_NOT_LISTED};
use http_body_util::Full;
use hyper::body::Bytes;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Serialize;
use smtp_doctor_probe::TlsPolicy;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::broadcast::error::RecvError;

/// Longest one delivery (connection, TLS, request, reply) may take.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(20);
/// The alert document's schema.
pub const ALERT_SCHEMA: &str = "smtp-doctor/alert/v1";

/// What an alert says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertKind {
    /// The check was passing and now fails.
    Failing,
    /// The check was failing and now passes.
    Recovered,
    /// The certificate's days left fell below the threshold.
    CertExpiring,
    /// The certificate's days left are at or above the threshold again.
    CertRenewed,
    /// A blocklist zone that did not list the sending IP lists it now.
    Listed,
    /// A blocklist zone that listed the sending IP does not any more.
    Delisted,
    /// The check is still failing (or its certificate still expiring) after `remind`.
    Reminder,
}

impl AlertKind {
    /// Its name in the document.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Failing => "failing",
            AlertKind::Recovered => "recovered",
            AlertKind::CertExpiring => "cert-expiring",
            AlertKind::CertRenewed => "cert-renewed",
            AlertKind::Listed => "listed",
            AlertKind::Delisted => "delisted",
            AlertKind::Reminder => "reminder",
        }
    }
}

/// The alertable state of a check.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlertState {
    /// Its last run failed or timed out (a degraded run is not failing).
    pub failing: bool,
    /// Its certificate has fewer days left than its threshold.
    pub cert_low: bool,
    /// The blocklist zones that list its sending IP (`dns` checks).
    pub listed: BTreeSet<String>,
}

impl AlertState {
    /// The state after `run`; what the run could not tell (no certificate seen, a blocklist
    /// that gave no verdict or was not asked) is kept from `before`.
    pub fn after(before: &AlertState, spec: &CheckSpec, run: &RunRecord) -> AlertState {
        let mut listed = before.listed.clone();
        for (zone, status) in &run.dnsbl {
            match status.as_str() {
                DNSBL_LISTED => {
                    listed.insert(zone.clone());
                }
                DNSBL_NOT_LISTED => {
                    listed.remove(zone);
                }
                _ => {}
            }
        }
        let cert_low = match (spec.thresholds.cert_days, run.cert_days_left) {
            (Some(min), Some(left)) => left < i64::from(min),
            (None, _) => false,
            (Some(_), None) => before.cert_low,
        };
        AlertState {
            // Degraded (a latency or certificate threshold) is not failing: the certificate
            // has its own alerts.
            failing: matches!(run.status, RunStatus::Failed | RunStatus::TimedOut),
            cert_low,
            listed,
        }
    }

    fn is_bad(&self) -> bool {
        self.failing || self.cert_low || !self.listed.is_empty()
    }
}

#[derive(Debug, Clone, Default)]
struct Tracked {
    state: AlertState,
    /// When the last alert of this check was raised (the run's start, ms since the epoch).
    last_alert_ms: Option<i64>,
}

/// Each check's alertable state, and what a new run changes of it.
#[derive(Debug, Default)]
pub struct Tracker {
    remind: Option<Duration>,
    checks: HashMap<String, Tracked>,
}

impl Tracker {
    /// A tracker reminding of bad states every `remind` (never when `None`).
    pub fn new(remind: Option<Duration>) -> Tracker {
        Tracker {
            remind,
            checks: HashMap::new(),
        }
    }

    /// Takes a run as the check's known state without alerting (the store's last run).
    pub fn seed(&mut self, spec: &CheckSpec, run: &RunRecord) {
        let t = self.checks.entry(spec.name.clone()).or_default();
        t.state = AlertState::after(&t.state, spec, run);
    }

    /// The alerts a new run raises: one per change, or a reminder when a bad state lasted
    /// `remind` since its last alert; nothing for a state that did not change.
    pub fn observe(&mut self, spec: &CheckSpec, run: &RunRecord) -> Vec<AlertKind> {
        let t = self.checks.entry(spec.name.clone()).or_default();
        let before = std::mem::take(&mut t.state);
        let now = AlertState::after(&before, spec, run);
        let mut kinds = Vec::new();
        match (before.failing, now.failing) {
            (false, true) => kinds.push(AlertKind::Failing),
            (true, false) => kinds.push(AlertKind::Recovered),
            _ => {}
        }
        match (before.cert_low, now.cert_low) {
            (false, true) => kinds.push(AlertKind::CertExpiring),
            (true, false) => kinds.push(AlertKind::CertRenewed),
            _ => {}
        }
        if now.listed.difference(&before.listed).next().is_some() {
            kinds.push(AlertKind::Listed);
        }
        if before.listed.difference(&now.listed).next().is_some() {
            kinds.push(AlertKind::Delisted);
        }
        if kinds.is_empty() && now.is_bad() {
            let due = match (self.remind, t.last_alert_ms) {
                (Some(every), Some(last)) => {
                    let every = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
                    run.started_ms.saturating_sub(last) >= every
                }
                // Bad since before this process (seeded): the first reminder counts from now.
                (Some(_), None) => {
                    t.last_alert_ms = Some(run.started_ms);
                    false
                }
                (None, _) => false,
            };
            if due {
                kinds.push(AlertKind::Reminder);
            }
        }
        if !kinds.is_empty() {
            t.last_alert_ms = Some(run.started_ms);
        }
        t.state = now;
        kinds
    }
}

/// The document an alert sends (`smtp-doctor/alert/v1`): the webhook's JSON body, and the
/// mail's text.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    /// [`ALERT_SCHEMA`].
    pub schema: &'static str,
    /// What happened.
    pub event: AlertKind,
    /// The check's name.
    pub check: String,
    /// One line for people.
    pub summary: String,
    /// The run's status (`ok`, `failed`, `degraded`, `timed_out`).
    pub status: &'static str,
    /// The deciding category.
    pub category: Option<String>,
    /// What made it fail or degrade.
    pub reason: Option<String>,
    /// The last reply code.
    pub reply_code: Option<u16>,
    /// The certificate's days left.
    pub cert_days_left: Option<i64>,
    /// The certificate threshold.
    pub cert_days_threshold: Option<u32>,
    /// The blocklist zones that list the sending IP in this run (`dns` checks).
    pub dnsbl_listed: Vec<String>,
    /// When the run started (RFC 3339).
    pub started: String,
    /// The check's labels.
    pub labels: BTreeMap<String, String>,
}

impl Alert {
    /// The alert of `kind` for a check's run.
    pub fn new(kind: AlertKind, spec: &CheckSpec, run: &RunRecord) -> Alert {
        let listed: Vec<String> = run.listed_zones().map(str::to_string).collect();
        let what = match kind {
            AlertKind::Failing => "is failing".to_string(),
            AlertKind::Recovered => "has recovered".to_string(),
            AlertKind::CertExpiring | AlertKind::CertRenewed => format!(
                "certificate expires in {} days ({} the threshold of {})",
                run.cert_days_left.unwrap_or_default(),
                if kind == AlertKind::CertExpiring {
                    "below"
                } else {
                    "back at or above"
                },
                spec.thresholds.cert_days.unwrap_or_default()
            ),
            AlertKind::Listed | AlertKind::Delisted => match listed.as_slice() {
                [] => "is listed by no blocklist any more".to_string(),
                zones if kind == AlertKind::Listed => {
                    format!(
                        "is newly listed by a blocklist; listed by {}",
                        zones.join(", ")
                    )
                }
                zones => format!("left a blocklist; still listed by {}", zones.join(", ")),
            },
            AlertKind::Reminder => format!("is still {}", run.status.as_str()),
        };
        let summary = match &run.reason {
            Some(why) if !matches!(kind, AlertKind::Recovered | AlertKind::Delisted) => {
                format!("{} {what}: {why}", spec.name)
            }
            _ => format!("{} {what}", spec.name),
        };
        Alert {
            schema: ALERT_SCHEMA,
            event: kind,
            check: spec.name.clone(),
            summary,
            status: run.status.as_str(),
            category: run.category.clone(),
            reason: run.reason.clone(),
            reply_code: run.reply_code,
            cert_days_left: run.cert_days_left,
            cert_days_threshold: spec.thresholds.cert_days,
            dnsbl_listed: listed,
            started: jiff::Timestamp::from_millisecond(run.started_ms)
                .map(|t| t.to_string())
                .unwrap_or_default(),
            labels: spec.labels.clone(),
        }
    }
}

/// Why an alert was not delivered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AlertError {
    /// The channel's address is not usable.
    #[error("{0}")]
    Address(String),
    /// Connecting, TLS or the exchange failed.
    #[error("{0}")]
    Transport(String),
    /// The receiver answered, but not with success.
    #[error("refused: {0}")]
    Refused(String),
    /// No answer within [`SEND_TIMEOUT`].
    #[error("no answer within {}s", SEND_TIMEOUT.as_secs())]
    Timeout,
}

/// Sends one alert to one channel; the receiver's answer (HTTP status, SMTP reply) when it took it.
pub async fn deliver(channel: &AlertChannel, alert: &Alert) -> Result<String, AlertError> {
    let sending = async {
        match channel {
            AlertChannel::Webhook { url, .. } => {
                let body =
                    serde_json::to_vec(alert).map_err(|e| AlertError::Transport(e.to_string()))?;
                post_json(url, body).await
            }
            AlertChannel::Email {
                relay,
                from,
                to,
                tls,
                ..
            } => send_mail(relay, from, to, *tls, alert).await,
        }
    };
    tokio::time::timeout(SEND_TIMEOUT, sending)
        .await
        .map_err(|_| AlertError::Timeout)?
}

/// POSTs a JSON body; the status line when it is a success.
async fn post_json(url: &str, body: Vec<u8>) -> Result<String, AlertError> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|e| AlertError::Address(format!("{url:?}: {e}")))?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(AlertError::Address(format!("{url:?} is not http(s)"))),
    };
    let (host, authority) = match (uri.host(), uri.authority()) {
        (Some(h), Some(a)) => (h.trim_start_matches('[').trim_end_matches(']'), a.as_str()),
        _ => return Err(AlertError::Address(format!("{url:?} has no host"))),
    };
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let request = hyper::Request::post(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(
            hyper::header::USER_AGENT,
            concat!("smtp-doctor/", env!("CARGO_PKG_VERSION")),
        )
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| AlertError::Address(e.to_string()))?;
    let tcp = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| AlertError::Transport(format!("cannot connect to {host}:{port}: {e}")))?;
    let status = if https {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| AlertError::Transport(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(host.to_string())
            .map_err(|e| AlertError::Address(format!("{host:?}: {e}")))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| AlertError::Transport(format!("TLS with {host}: {e}")))?;
        exchange(tls, request).await?
    } else {
        exchange(tcp, request).await?
    };
    if status.is_success() {
        Ok(status.to_string())
    } else {
        Err(AlertError::Refused(status.to_string()))
    }
}

/// One HTTP/1.1 request on a connection; the response's status (its body is not read).
async fn exchange<T>(
    io: T,
    request: hyper::Request<Full<Bytes>>,
) -> Result<hyper::StatusCode, AlertError>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let transport = |e: hyper::Error| AlertError::Transport(e.to_string());
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io))
            .await
            .map_err(transport)?;
    let conn = tokio::spawn(conn);
    let response = sender.send_request(request).await.map_err(transport);
    conn.abort();
    Ok(response?.status())
}

/// Mails the alert through the relay; the relay's reply.
async fn send_mail(
    relay: &str,
    from: &str,
    to: &[String],
    tls: TlsPolicy,
    alert: &Alert,
) -> Result<String, AlertError> {
    let address = |a: &str| {
        a.parse::<Mailbox>()
            .map_err(|e| AlertError::Address(format!("{a:?}: {e}")))
    };
    let (host, port) = relay
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
        .ok_or_else(|| AlertError::Address(format!("{relay:?} is not host:port")))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let mut message = lettre::Message::builder()
        .from(address(from)?)
        .subject(format!("[smtp-doctor] {}", alert.summary))
        .header(ContentType::TEXT_PLAIN);
    for rcpt in to {
        message = message.to(address(rcpt)?);
    }
    let text = serde_json::to_string_pretty(alert).unwrap_or_default();
    let message = message
        .body(format!("{}\n\n{text}\n", alert.summary))
        .map_err(|e| AlertError::Address(e.to_string()))?;
    let params =
        || TlsParameters::new(host.to_string()).map_err(|e| AlertError::Transport(e.to_string()));
    let tls = match tls {
        TlsPolicy::None => Tls::None,
        TlsPolicy::Auto => Tls::Opportunistic(params()?),
        TlsPolicy::Implicit => Tls::Wrapper(params()?),
        _ => Tls::Required(params()?),
    };
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .tls(tls)
        .timeout(Some(SEND_TIMEOUT))
        .build();
    let reply = transport.send(message).await.map_err(|e| {
        if e.is_permanent() || e.is_transient() {
            AlertError::Refused(e.to_string())
        } else {
            AlertError::Transport(e.to_string())
        }
    })?;
    let lines: Vec<&str> = reply.message().collect();
    Ok(format!("{} {}", reply.code(), lines.join(" ")))
}

/// Raises the alerts of every run the monitor stores and sends each to every channel (run it
/// in a task, aborted to stop). The checks' states start from their stored last runs.
pub async fn run_alerts(
    monitor: Arc<Monitor>,
    channels: Vec<AlertChannel>,
    remind: Option<Duration>,
) {
    let mut runs = monitor.subscribe();
    let mut tracker = Tracker::new(remind);
    for state in monitor.snapshot() {
        if let Some(last) = &state.last {
            tracker.seed(&state.spec, last);
        }
    }
    let channels = Arc::new(channels);
    loop {
        let run = match runs.recv().await {
            Ok(run) => run,
            Err(RecvError::Lagged(n)) => {
                tracing::warn!("alerts: {n} runs were not looked at (too many at once)");
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let Some(spec) = monitor.check(&run.check) else {
            continue;
        };
        for kind in tracker.observe(&spec, &run) {
            let alert = Arc::new(Alert::new(kind, &spec, &run));
            tracing::info!("alert: {}", alert.summary);
            for i in 0..channels.len() {
                let (channels, alert) = (Arc::clone(&channels), Arc::clone(&alert));
                tokio::spawn(async move {
                    let channel = &channels[i];
                    let name = channel.name();
                    match deliver(channel, &alert).await {
                        Ok(answer) => tracing::info!("alert to {name}: sent ({answer})"),
                        Err(e) => tracing::warn!("alert to {name}: not sent: {e}"),
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MonitorConfig;
    use std::path::Path;

    fn spec(extra: &str) -> CheckSpec {
        let text = format!("[[check]]\nname = \"mx\"\ncheck = \"192.0.2.1:25\"\n{extra}\n");
        let mut c = MonitorConfig::parse(&text, Path::new("m.toml")).expect("config");
        c.checks.remove(0)
    }

    fn run(at_s: i64, status: RunStatus, cert_days_left: Option<i64>) -> RunRecord {
        RunRecord {
            check: "mx".into(),
            started_ms: at_s * 1000,
            duration_ms: 5,
            status,
            category: Some("greylisted".into()),
            reason: (status != RunStatus::Ok).then(|| "421 try later".into()),
            reply_code: Some(421),
            cert_days_left,
            stages: Vec::new(),
            findings: BTreeMap::new(),
            dnsbl: BTreeMap::new(),
            report: String::new(),
        }
    }

    #[test]
    fn a_change_alerts_once_and_its_return_once() {
        let s = spec("");
        let mut t = Tracker::new(None);
        assert!(t.observe(&s, &run(0, RunStatus::Ok, None)).is_empty());
        assert_eq!(
            t.observe(&s, &run(60, RunStatus::Failed, None)),
            [AlertKind::Failing]
        );
        for i in 2..10 {
            assert!(t
                .observe(&s, &run(60 * i, RunStatus::TimedOut, None))
                .is_empty());
        }
        // Degraded by latency is not failing.
        assert_eq!(
            t.observe(&s, &run(600, RunStatus::Degraded, None)),
            [AlertKind::Recovered]
        );
        assert!(t.observe(&s, &run(660, RunStatus::Ok, None)).is_empty());
    }

    #[test]
    fn a_lasting_failure_is_reminded_every_interval_from_its_last_alert() {
        let s = spec("");
        let mut t = Tracker::new(Some(Duration::from_secs(600)));
        assert_eq!(
            t.observe(&s, &run(0, RunStatus::Failed, None)),
            [AlertKind::Failing]
        );
        let reminders: Vec<i64> = (1..=25)
            .map(|i| i * 60)
            .filter(|at| !t.observe(&s, &run(*at, RunStatus::Failed, None)).is_empty())
            .collect();
        assert_eq!(reminders, [600, 1200]);
        assert_eq!(
            t.observe(&s, &run(1560, RunStatus::Ok, None)),
            [AlertKind::Recovered]
        );
        // Healthy: never reminded.
        assert!(t.observe(&s, &run(99_999, RunStatus::Ok, None)).is_empty());
    }

    #[test]
    fn a_seeded_failure_does_not_alert_again_after_a_restart() {
        let s = spec("");
        let mut t = Tracker::new(None);
        t.seed(&s, &run(0, RunStatus::Failed, None));
        assert!(t.observe(&s, &run(60, RunStatus::Failed, None)).is_empty());
        assert_eq!(
            t.observe(&s, &run(120, RunStatus::Ok, None)),
            [AlertKind::Recovered]
        );
    }

    #[test]
    fn the_certificate_threshold_alerts_when_crossed_either_way() {
        let s = spec("thresholds = { cert-days = 14 }");
        let mut t = Tracker::new(None);
        assert!(t.observe(&s, &run(0, RunStatus::Ok, Some(15))).is_empty());
        assert_eq!(
            t.observe(&s, &run(60, RunStatus::Degraded, Some(13))),
            [AlertKind::CertExpiring]
        );
        // A run that saw no certificate (the server was down) tells nothing of it.
        assert_eq!(
            t.observe(&s, &run(120, RunStatus::Failed, None)),
            [AlertKind::Failing]
        );
        // Back up, still below: only the recovery.
        assert_eq!(
            t.observe(&s, &run(180, RunStatus::Degraded, Some(12))),
            [AlertKind::Recovered]
        );
        assert_eq!(
            t.observe(&s, &run(240, RunStatus::Ok, Some(90))),
            [AlertKind::CertRenewed]
        );
        // Without a threshold the days left never alert.
        let plain = spec("");
        let mut t = Tracker::new(None);
        assert!(t
            .observe(&plain, &run(0, RunStatus::Ok, Some(1)))
            .is_empty());
    }

    #[test]
    fn a_new_listing_alerts_once_and_a_query_without_verdict_changes_nothing() {
        let s = spec("");
        let mut t = Tracker::new(None);
        let with = |at: i64, zones: &[(&str, &str)]| RunRecord {
            dnsbl: zones
                .iter()
                .map(|(z, st)| (z.to_string(), st.to_string()))
                .collect(),
            ..run(at, RunStatus::Ok, None)
        };
        let clean = [("a.example", "not_listed"), ("b.example", "not_listed")];
        assert!(t.observe(&s, &with(0, &clean)).is_empty());
        let listed = [("a.example", DNSBL_LISTED), ("b.example", "query_refused")];
        assert_eq!(t.observe(&s, &with(60, &listed)), [AlertKind::Listed]);
        // Still listed, the other list still refusing, a timed-out run: no repeat.
        assert!(t.observe(&s, &with(120, &listed)).is_empty());
        assert!(t.observe(&s, &with(180, &[])).is_empty());
        // A second zone lists it: a new listing.
        let both = [("a.example", DNSBL_LISTED), ("b.example", DNSBL_LISTED)];
        assert_eq!(t.observe(&s, &with(240, &both)), [AlertKind::Listed]);
        let a = Alert::new(AlertKind::Listed, &s, &with(240, &both));
        assert_eq!(a.dnsbl_listed, ["a.example", "b.example"]);
        assert!(
            a.summary.contains("listed by a.example, b.example"),
            "{}",
            a.summary
        );
        assert_eq!(t.observe(&s, &with(300, &clean)), [AlertKind::Delisted]);
        assert!(t.observe(&s, &with(360, &clean)).is_empty());
        // A refusing list never makes a listing.
        let refused = [("b.example", "query_refused")];
        assert!(t.observe(&s, &with(420, &refused)).is_empty());
    }

    #[test]
    fn the_document_names_the_event_check_and_reason() {
        let s = spec("labels = { site = \"paris\" }");
        let a = Alert::new(AlertKind::Failing, &s, &run(0, RunStatus::Failed, None));
        let v = serde_json::to_value(&a).expect("json");
        assert_eq!(v["schema"], ALERT_SCHEMA);
        assert_eq!(v["event"], "failing");
        assert_eq!(v["check"], "mx");
        assert_eq!(v["status"], "failed");
        assert_eq!(v["reply_code"], 421);
        assert_eq!(v["labels"]["site"], "paris");
        assert_eq!(v["started"], "1970-01-01T00:00:00Z");
        assert_eq!(v["summary"], "mx is failing: 421 try later");
    }
}
