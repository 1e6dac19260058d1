//! The monitor's web page, written server-side: every check's status, a latency chart per
//! stage over time (inline SVG), the last transcript (or, for a `dns` check, the blocklists'
//! answers) and findings, the history of state changes. Its style and one small script are embedded (`include_str!`): no external asset.

use crate::config::CheckKind;
use crate::schedule::CheckState;
use crate::store::{RunRecord, DNSBL_LISTED};
use std::fmt::Write;

/// The page's style sheet.
const CSS: &str = include_str!("../assets/monitor.css");
/// The page's script (local times, reload).
const JS: &str = include_str!("../assets/monitor.js");
/// Chart size, in pixels.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
const MARGIN: f64 = 36.0;
/// One colour per stage, in order of first appearance.
const COLOURS: &[&str] = &[
    "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#c62828", "#00838f", "#5d4037", "#455a64",
];
/// Transcript lines shown.
const MAX_TRANSCRIPT_LINES: usize = 200;

/// One check on the page: its state and its recent runs, newest first.
pub struct CheckView<'a> {
    /// Its state.
    pub state: &'a CheckState,
    /// Its recent runs, newest first.
    pub runs: &'a [RunRecord],
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn time(ms: i64) -> String {
    let t = jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default();
    format!("<time datetime=\"{t}\">{t}</time>", t = escape(&t))
}

fn badge(status: Option<&str>) -> String {
    let s = status.unwrap_or("none");
    format!(
        "<span class=\"status status-{s}\" data-status=\"{s}\">{}</span>",
        if status.is_some() { s } else { "not run yet" }
    )
}

/// The whole page.
pub fn dashboard(checks: &[CheckView<'_>]) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>smtp-doctor monitor</title><style>{CSS}</style></head><body>\
         <h1>smtp-doctor monitor</h1><table class=\"summary\"><tr><th>check</th><th>status</th>\
         <th>last run</th><th>reason</th></tr>"
    );
    for c in checks {
        let last = c.state.last.as_deref();
        let _ = write!(
            h,
            "<tr data-check=\"{name}\"><td><a href=\"#check-{name}\">{name}</a></td><td>{}</td>\
             <td>{}</td><td>{}</td></tr>",
            badge(last.map(|r| r.status.as_str())),
            last.map_or_else(String::new, |r| time(r.started_ms)),
            escape(last.and_then(|r| r.reason.as_deref()).unwrap_or("")),
            name = escape(&c.state.spec.name),
        );
    }
    h.push_str("</table>");
    for c in checks {
        section(&mut h, c);
    }
    let _ = writeln!(h, "<script>{JS}</script></body></html>");
    h
}

fn section(h: &mut String, c: &CheckView<'_>) {
    let name = escape(&c.state.spec.name);
    let last = c.state.last.as_deref();
    let _ = write!(
        h,
        "<section class=\"check\" id=\"check-{name}\" data-check=\"{name}\"><h2>{name} {}</h2>",
        badge(last.map(|r| r.status.as_str()))
    );
    if let Some(r) = last {
        let _ = write!(
            h,
            "<p>last run {} in {} ms; category {}{}</p>",
            time(r.started_ms),
            r.duration_ms,
            escape(r.category.as_deref().unwrap_or("-")),
            r.reason
                .as_deref()
                .map_or_else(String::new, |why| format!("; {}", escape(why)))
        );
    }
    let dns = matches!(c.state.spec.kind, CheckKind::Dns { .. });
    if !dns {
        h.push_str("<h3>Latency per stage</h3>");
        h.push_str(&latency_svg(c.runs));
    }
    h.push_str("<h3>State changes</h3><ul class=\"changes\">");
    let changes = state_changes(c.runs);
    if changes.is_empty() {
        h.push_str("<li>none in the runs shown</li>");
    }
    for (at, from, to) in changes.iter().rev() {
        let _ = write!(
            h,
            "<li>{}: {} → {}</li>",
            time(*at),
            badge(Some(from)),
            badge(Some(to))
        );
    }
    h.push_str("</ul>");
    if let Some(r) = last {
        report_parts(h, &r.report);
        if dns {
            blocklists(h, r);
        }
    }
    h.push_str("</section>");
}

/// What each blocklist zone said of the sending IP in a `dns` check's run.
fn blocklists(h: &mut String, r: &RunRecord) {
    h.push_str("<h3>Blocklists</h3><ul class=\"dnsbl\">");
    if r.dnsbl.is_empty() {
        h.push_str("<li>none asked</li>");
    }
    for (zone, status) in &r.dnsbl {
        let _ = write!(
            h,
            "<li data-zone=\"{z}\" data-listed=\"{}\">{z}: {}</li>",
            status == DNSBL_LISTED,
            escape(&status.replace('_', " ")),
            z = escape(zone)
        );
    }
    h.push_str("</ul>");
}

/// The findings and, for a `check --json` document, the first attempt's transcript of a stored
/// report.
fn report_parts(h: &mut String, report: &str) {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(report) else {
        return;
    };
    h.push_str("<h3>Findings</h3><ul class=\"findings\">");
    let findings = doc["findings"].as_array().map_or(&[][..], Vec::as_slice);
    if findings.is_empty() {
        h.push_str("<li>none</li>");
    }
    for f in findings {
        let _ = write!(
            h,
            "<li><b>{}</b>{}: {} <small>({})</small></li>",
            escape(f["category"].as_str().unwrap_or("?")),
            if f["informational"].as_bool() == Some(true) {
                " (informational)"
            } else {
                ""
            },
            escape(f["summary"].as_str().unwrap_or("")),
            escape(f["observed"].as_str().unwrap_or("")),
        );
    }
    h.push_str("</ul>");
    let Some(attempts) = doc["attempts"].as_array() else {
        return;
    };
    h.push_str("<h3>Last transcript</h3><pre class=\"transcript\">");
    let lines = attempts
        .first()
        .and_then(|a| a["transcript"].as_array())
        .map_or(&[][..], Vec::as_slice);
    for l in lines.iter().take(MAX_TRANSCRIPT_LINES) {
        let (class, arrow) = match l["dir"].as_str() {
            Some("sent") => ("sent", "C:"),
            Some("received") => ("received", "S:"),
            _ => ("note", "  "),
        };
        let _ = writeln!(
            h,
            "<span class=\"{class}\">{arrow} {}</span>",
            escape(l["text"].as_str().unwrap_or(""))
        );
    }
    h.push_str("</pre>");
}

/// Each change of status in runs given newest first: (when, from, to), oldest first.
pub fn state_changes(runs: &[RunRecord]) -> Vec<(i64, &'static str, &'static str)> {
    let mut out = Vec::new();
    let mut previous: Option<&RunRecord> = None;
    for r in runs.iter().rev() {
        if let Some(p) = previous {
            if p.status != r.status {
                out.push((r.started_ms, p.status.as_str(), r.status.as_str()));
            }
        }
        previous = Some(r);
    }
    out
}

/// A line per stage of its duration over time, runs given newest first.
pub fn latency_svg(runs: &[RunRecord]) -> String {
    let mut stages: Vec<&str> = Vec::new();
    for r in runs.iter().rev() {
        for s in &r.stages {
            if !stages.contains(&s.stage.as_str()) {
                stages.push(&s.stage);
            }
        }
    }
    let (t0, t1) = runs.iter().fold((i64::MAX, i64::MIN), |(lo, hi), r| {
        (lo.min(r.started_ms), hi.max(r.started_ms))
    });
    let max_ms = runs
        .iter()
        .flat_map(|r| r.stages.iter().map(|s| s.duration_ms))
        .max()
        .unwrap_or(0)
        .max(1);
    let mut svg = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" \
         height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-label=\"latency per stage\">"
    );
    let (x0, y0, x1, y1) = (MARGIN, HEIGHT - MARGIN / 2.0, WIDTH - 90.0, MARGIN / 2.0);
    let _ = write!(
        svg,
        "<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" stroke=\"#999\"/>\
         <line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x0}\" y2=\"{y1}\" stroke=\"#999\"/>\
         <text class=\"axis\" x=\"2\" y=\"{}\">{max_ms} ms</text>\
         <text class=\"axis\" x=\"2\" y=\"{y0}\">0</text>",
        y1 + 4.0
    );
    if !runs.is_empty() {
        let hms = |ms: i64| {
            jiff::Timestamp::from_millisecond(ms)
                .map(|t| t.strftime("%H:%M:%S UTC").to_string())
                .unwrap_or_default()
        };
        let _ = write!(
            svg,
            "<text class=\"axis\" x=\"{x0}\" y=\"{}\">{}</text>\
             <text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            y0 + 12.0,
            hms(t0),
            x1,
            y0 + 12.0,
            hms(t1)
        );
    }
    if stages.is_empty() {
        let _ = write!(
            svg,
            "<text class=\"axis\" x=\"{}\" y=\"{}\">no stage timings yet</text>",
            x0 + 10.0,
            HEIGHT / 2.0
        );
    }
    let span = t1.saturating_sub(t0).max(1) as f64;
    for (i, stage) in stages.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let points: Vec<String> = runs
            .iter()
            .rev()
            .filter_map(|r| {
                let d = r.stages.iter().find(|s| s.stage == *stage)?.duration_ms;
                let x = if t1 > t0 {
                    x0 + r.started_ms.saturating_sub(t0) as f64 / span * (x1 - x0)
                } else {
                    (x0 + x1) / 2.0
                };
                let y = y0 - d as f64 / max_ms as f64 * (y0 - y1);
                Some(format!("{x:.1},{y:.1}"))
            })
            .collect();
        let _ = write!(
            svg,
            "<polyline class=\"stage\" data-stage=\"{s}\" fill=\"none\" stroke=\"{colour}\" \
             stroke-width=\"1.5\" points=\"{}\"/>",
            points.join(" "),
            s = escape(stage)
        );
        if let Some(p) = points.last() {
            let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = write!(
                svg,
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"2\" fill=\"{colour}\"/>"
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" fill=\"{colour}\">{}</text>",
            x1 + 8.0,
            y1 + 10.0 + 12.0 * i as f64,
            escape(stage)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{RunStatus, StageTiming};
    use std::collections::BTreeMap;

    fn run(at: i64, status: RunStatus, banner_ms: u64) -> RunRecord {
        RunRecord {
            check: "mx".into(),
            started_ms: at,
            duration_ms: 1,
            status,
            category: None,
            reason: None,
            reply_code: None,
            cert_days_left: None,
            stages: vec![
                StageTiming {
                    stage: "banner".into(),
                    duration_ms: banner_ms,
                },
                StageTiming {
                    stage: "ehlo".into(),
                    duration_ms: 1,
                },
            ],
            findings: BTreeMap::new(),
            dnsbl: BTreeMap::new(),
            report: String::new(),
        }
    }

    #[test]
    fn changes_are_listed_oldest_first() {
        // Newest first, as the store gives them.
        let runs = [
            run(4, RunStatus::Ok, 1),
            run(3, RunStatus::Failed, 1),
            run(2, RunStatus::Failed, 1),
            run(1, RunStatus::Ok, 1),
        ];
        assert_eq!(
            state_changes(&runs),
            [(2, "ok", "failed"), (4, "failed", "ok")]
        );
    }

    #[test]
    fn the_chart_has_a_line_per_stage_scaled_to_the_slowest() {
        let runs = [run(2000, RunStatus::Ok, 100), run(1000, RunStatus::Ok, 50)];
        let svg = latency_svg(&runs);
        assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
        assert!(svg.contains("data-stage=\"banner\""));
        assert!(svg.contains(">100 ms<"));
        // The banner's newest point is at the top of the chart, the older at half height.
        let y_top = MARGIN / 2.0;
        assert!(svg.contains(&format!(",{y_top:.1}\"")), "{svg}");
        assert!(latency_svg(&[]).contains("no stage timings yet"));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
