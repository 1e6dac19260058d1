//! The monitor's HTTP server (axum): `/metrics` with every check's last run, and a
//! blackbox-style `/probe?target=...&module=...` that probes a target once with the options of
//! the check named by `module`, unstored.

use crate::config::{CheckKind, CheckSpec};
use crate::metrics::{exposition, probe_exposition};
use crate::run::run_once;
use crate::schedule::Monitor;
use axum::extract::{Query, State};
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
    let parsed = match Target::parse(target) {
        Ok(t) => t,
        Err(e) => return text(StatusCode::BAD_REQUEST, format!("bad target: {e}\n")),
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
    let CheckKind::Smtp { options, .. } = &spec.kind else {
        return text(
            StatusCode::BAD_REQUEST,
            format!("module {module:?} is not an smtp check\n"),
        );
    };
    let one = CheckSpec {
        name: module.to_string(),
        kind: CheckKind::Smtp {
            target: target.clone(),
            parsed,
            options: options.clone(),
        },
        ..(*spec).clone()
    };
    let Ok(_permit) = app.probes.acquire().await else {
        return text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n".into());
    };
    match run_once(&one).await {
        Some(run) => text(StatusCode::OK, probe_exposition(&run)),
        None => text(StatusCode::BAD_REQUEST, "nothing to probe\n".into()),
    }
}
