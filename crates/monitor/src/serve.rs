//! The monitor's HTTP server (axum): `/metrics` with every check's last run, a
//! blackbox-style `/probe?target=...&module=...` that checks a target once with the options of
//! the check named by `module` (a `check` probes the target as a mail server, a `dns` check
//! runs the DNS checks of the target as a domain), unstored; the web page at `/`, and the JSON
//! API: `/api/checks` (every check's last run) and `/api/checks/NAME` (its last report, the
//! `check --json` or `dns --json` document).

use crate::config::{CheckKind, CheckSpec};
use crate::metrics::{exposition, probe_exposition};
use crate::page::{dashboard, CheckView};
use crate::run::run_once;
use crate::schedule::Monitor;
use crate::store::RunRecord;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use smtp_doctor_probe::Target;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The exposition format's content type.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Runs per check the page charts.
const PAGE_RUNS: usize = 288;
/// `/probe` runs at once; further requests wait.
const PROBE_CONCURRENCY: usize = 8;

#[derive(Clone)]
struct App {
    monitor: Arc<Monitor>,
    probes: Arc<Semaphore>,
}

/// The routes, over a monitor.
pub fn router(monitor: Arc<Monitor>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/probe", get(probe))
        .route("/", get(page))
        .route("/api/checks", get(api_checks))
        .route("/api/checks/{name}", get(api_check))
        .with_state(App {
            monitor,
            probes: Arc::new(Semaphore::new(PROBE_CONCURRENCY)),
        })
}

/// Serves the routes on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    monitor: Arc<Monitor>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(monitor))
        .with_graceful_shutdown(shutdown)
        .await
}

fn text(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, TEXT_FORMAT)], body).into_response()
}

async fn metrics(State(app): State<App>) -> Response {
    text(StatusCode::OK, exposition(&app.monitor.snapshot()))
}

async fn probe(State(app): State<App>, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(target) = q.get("target") else {
        return text(StatusCode::BAD_REQUEST, "target= is missing\n".into());
    };
    let module = q.get("module").map_or("", String::as_str);
    let Some(spec) = app.monitor.check(module) else {
        return text(
            StatusCode::BAD_REQUEST,
            format!(
                "unknown module {module:?}: a module is the name of a check in the configuration\n"
            ),
        );
    };
    let kind = match &spec.kind {
        CheckKind::Smtp { options, .. } => match Target::parse(target) {
            Ok(parsed) => CheckKind::Smtp {
                target: target.clone(),
                parsed,
                options: options.clone(),
            },
            Err(e) => return text(StatusCode::BAD_REQUEST, format!("bad target: {e}\n")),
        },
        CheckKind::Dns {
            resolver, options, ..
        } => match crate::mail_domain(target) {
            Some(domain) => CheckKind::Dns {
                domain,
                resolver: resolver.clone(),
                options: options.clone(),
            },
            None => {
                return text(
                    StatusCode::BAD_REQUEST,
                    format!("bad target: {target:?} is not a domain name\n"),
                )
            }
        },
    };
    let one = CheckSpec {
        name: module.to_string(),
        kind,
        ..(*spec).clone()
    };
    let Ok(_permit) = app.probes.acquire().await else {
        return text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n".into());
    };
    text(StatusCode::OK, probe_exposition(&run_once(&one).await))
}

async fn page(State(app): State<App>) -> Response {
    let monitor = Arc::clone(&app.monitor);
    let built = tokio::task::spawn_blocking(move || {
        let states = monitor.snapshot();
        let mut runs: Vec<Vec<RunRecord>> = Vec::with_capacity(states.len());
        for s in &states {
            runs.push(monitor.history(&s.spec.name, PAGE_RUNS)?);
        }
        let views: Vec<CheckView<'_>> = states
            .iter()
            .zip(&runs)
            .map(|(state, runs)| CheckView { state, runs })
            .collect();
        Ok::<_, crate::store::StoreError>(dashboard(&views))
    })
    .await;
    match built {
        Ok(Ok(html)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        Ok(Err(e)) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
    }
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Every check with its last run (without its report: `/api/checks/NAME` has it).
async fn api_checks(State(app): State<App>) -> Response {
    let list: Vec<serde_json::Value> = app
        .monitor
        .snapshot()
        .iter()
        .map(|s| {
            let last = s.last.as_deref().map(|r| {
                serde_json::json!({
                    "started_ms": r.started_ms,
                    "duration_ms": r.duration_ms,
                    "status": r.status.as_str(),
                    "category": r.category,
                    "reason": r.reason,
                    "reply_code": r.reply_code,
                    "cert_days_left": r.cert_days_left,
                    "stages": r.stages,
                    "findings": r.findings,
                    "dnsbl": r.dnsbl,
                })
            });
            let (kind, target) = match &s.spec.kind {
                CheckKind::Smtp { target, .. } => ("check", target),
                CheckKind::Dns { domain, .. } => ("dns", domain),
            };
            serde_json::json!({
                "name": s.spec.name,
                "kind": kind,
                "target": target,
                "labels": s.spec.labels,
                "last": last,
            })
        })
        .collect();
    json(
        StatusCode::OK,
        serde_json::to_string(&list).unwrap_or_else(|_| "[]".into()),
    )
}

/// A check's last report: the document `check --json` (or `dns --json`) writes.
async fn api_check(State(app): State<App>, Path(name): Path<String>) -> Response {
    let Some(state) = app
        .monitor
        .snapshot()
        .into_iter()
        .find(|s| s.spec.name == name)
    else {
        return json(
            StatusCode::NOT_FOUND,
            serde_json::json!({ "error": format!("no check named {name:?}") }).to_string(),
        );
    };
    match state.last.as_deref() {
        Some(r) if !r.report.is_empty() => json(StatusCode::OK, r.report.clone()),
        Some(r) => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({ "error": format!("the last run has no report ({})", r.status.as_str()) })
                .to_string(),
        ),
        None => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({ "error": "not run yet" }).to_string(),
        ),
    }
}
