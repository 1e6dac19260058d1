//! What the log-line targets share: one parser driven every way a log line reaches it.

use smtp_doctor_logs::time::{Clock, Window};
use smtp_doctor_logs::{parse_prefix, Analyzer, LineParser, Options, Prefix, TimestampStyle};

/// Feeds `data` to `parser`: as a whole line, as the message of each of `programs`, and, split
/// into lines with `head` (a prefix of the format) put in front, through an analyzer that
/// places every line in a time window.
pub fn lines(
    parser: &dyn LineParser,
    data: &[u8],
    programs: &[&str],
    head: &str,
    style: TimestampStyle,
) {
    let text = String::from_utf8_lossy(data);
    let mut window = Window::new(
        Some(0),
        Some(2_000_000_000),
        Clock {
            tz: jiff::tz::TimeZone::UTC,
            year: None,
        },
    );
    if let Some(p) = parse_prefix(&text).or_else(|| parser.own_prefix(&text)) {
        let _ = window.place(p.timestamp, p.style);
        let _ = parser.accepts(p.program);
        let _ = parser.parse(&p);
    }
    let _ = window.place(&text, style);
    let _ = parser.continuation(&text);
    for &program in programs {
        let p = Prefix {
            timestamp: "Mar  1 00:00:01",
            style: TimestampStyle::Bsd,
            host: "mx1",
            program,
            pid: Some(1),
            message: &text,
        };
        let _ = parser.parse(&p);
    }
    let mut a = Analyzer::new(Options {
        failures: true,
        unknown: true,
    });
    a.trace("x@example.com");
    a.set_max_open(8);
    a.set_window(window);
    a.start_input(None);
    for line in data.split(|&b| b == b'\n') {
        let mut full = head.as_bytes().to_vec();
        full.extend_from_slice(line);
        a.push_line(&full, full.len());
        a.push_line(line, line.len());
    }
    let _ = a.finish();
}
