//! The streaming analyzer: follows each message by queue ID, counts, classifies failures.

use crate::event::{Delivery, Event, Origin, Reject, Status};
use crate::exim::Exim;
use crate::opensmtpd::OpenSmtpd;
use crate::postfix::Postfix;
use crate::sendmail::Sendmail;
use crate::syslog::parse_prefix;
use crate::time::{Placement, Window};
use crate::{LineParser, MAX_LINE};
use smtp_doctor_model::{EnhancedCode, Finding, ReplyCode, Source};
use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};

/// Hash maps keyed by queue IDs, addresses and reply texts, one or more lookups a line: ahash,
/// as std's SipHash was a tenth of a run; its keys are still seeded at random.
type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;
/// Hash sets, hashed as [`HashMap`].
type HashSet<K> = std::collections::HashSet<K, ahash::RandomState>;

/// Distinct failure texts whose findings are kept ([`Analyzer::classify`]); the cache starts
/// afresh when full.
const CLASSIFIED: usize = 4096;
use std::io::{self, BufRead};

/// A table of counts by key, as in the summary (sorted by key; renderers sort by count).
pub type Counts = BTreeMap<String, u64>;

/// The most recipients of one message whose outcomes are followed one by one.
const MAX_TRACKED_RECIPIENTS: usize = 10_000;
/// The most events kept in one message's trace.
const MAX_TRACE_EVENTS: usize = 10_000;
/// The most bytes of a failure's text given to the classifier.
const MAX_CLASSIFIED: usize = 8 * 1024;
/// The most messages kept open by default ([`Analyzer::set_max_open`]): an open message takes
/// about 500 bytes (300,000 of them, never finished, were 150 MB of RSS), so about 250 MB.
pub const MAX_OPEN: usize = 500_000;
/// For formats that log no removal: how many lines a message whose recipients are all final,
/// one of them bounced or expired, stays open for the line that links its non-delivery report
/// (Sendmail's `QID: NEWQID: DSN: ...`, logged right after the delivery lines).
const LINGER_LINES: u64 = 1000;
/// The most client sessions remembered at once (OpenSMTPD's refusals name only the session);
/// the map starts afresh when full (sessions whose disconnection the log lost).
const MAX_SESSIONS: usize = 4096;

/// What the analyzer produces besides the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Emit a [`Record::Failure`] for every failed attempt.
    pub failures: bool,
    /// Emit a [`Record::Unknown`] for every line no parser understood.
    pub unknown: bool,
}

/// One output of the analyzer, in input order (traces when their message closes).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Record {
    /// A failed delivery attempt, expiry or refusal, with its finding.
    Failure(Box<Failure>),
    /// The history of a traced message.
    Trace(Box<Trace>),
    /// A line no parser understood.
    Unknown {
        /// Its 1-based line number in the input.
        line_number: u64,
        /// The line (lossily decoded, bounded).
        text: String,
    },
}

/// What kind of failure a [`Failure`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// A delivery attempt failed for now (`status=deferred`).
    Deferred,
    /// A delivery failed for good (`status=bounced`).
    Bounced,
    /// The message stayed queued too long and was returned (`status=expired`).
    Expired,
    /// This server refused a client's message or recipient (`reject:` and its kin).
    Rejected,
}

impl FailureKind {
    /// The name used in reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Deferred => "deferred",
            FailureKind::Bounced => "bounced",
            FailureKind::Expired => "expired",
            FailureKind::Rejected => "rejected",
        }
    }
}

/// One failed attempt, expiry or refusal, with the shared classifier's finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// What kind of failure.
    pub kind: FailureKind,
    /// The line's timestamp as written; `None` for a line without one (`smtpd -d`).
    pub timestamp: Option<String>,
    /// The line's 1-based number in the input.
    pub line_number: u64,
    /// The program that logged it (`postfix/smtp`).
    pub program: String,
    /// The message's queue ID, when it had one.
    pub queue_id: Option<String>,
    /// The message's Message-ID, when seen.
    pub message_id: Option<String>,
    /// The envelope sender, when seen.
    pub from: Option<String>,
    /// The recipient, when the line names one.
    pub to: Option<String>,
    /// The relay (`mx.example.org[192.0.2.1]:25`, `none`), for delivery failures.
    pub relay: Option<String>,
    /// The client refused, for rejects.
    pub client: Option<String>,
    /// The MTA's status code (`dsn=`), as written.
    pub dsn: Option<String>,
    /// The remote server's reply code, when one replied.
    pub reply_code: Option<ReplyCode>,
    /// The enhanced code that came with that reply.
    pub enhanced_code: Option<EnhancedCode>,
    /// The raw reply or reason, as logged.
    pub reply: String,
    /// The shared classifier's finding on `reply`.
    pub finding: Finding,
}

/// One line of a traced message's history.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceEvent {
    /// The timestamp as written; `None` for a line without one (`smtpd -d`).
    pub timestamp: Option<String>,
    /// The program that logged it.
    pub program: String,
    /// What happened: `received`, `message-id`, `queued`, `delivery`, `expired`, `notification`,
    /// `removed`, `reject`, `note`.
    pub kind: &'static str,
    /// The recipient of a delivery.
    pub to: Option<String>,
    /// The outcome of a delivery (`sent`, `deferred`, `bounced`, ...).
    pub status: Option<String>,
    /// The delivery's `dsn=`.
    pub dsn: Option<String>,
    /// The remote reply code of a delivery.
    pub reply_code: Option<ReplyCode>,
    /// The reply of a delivery, else the line's text after the queue ID.
    pub text: String,
}

/// The history of one message, as `--trace` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The queue ID.
    pub queue_id: String,
    /// The Message-ID, when seen.
    pub message_id: Option<String>,
    /// The envelope sender, when seen.
    pub from: Option<String>,
    /// How it came in, when seen.
    pub origin: Option<Origin>,
    /// Every recipient seen, in order.
    pub recipients: Vec<String>,
    /// Its lines, in order.
    pub events: Vec<TraceEvent>,
    /// The queue ID of the notification (non-delivery report) it caused.
    pub notification_id: Option<String>,
    /// For a notification: the queue ID of the message it reports on.
    pub notification_for: Option<String>,
    /// False when the log ended before the message left the queue.
    pub complete: bool,
}

/// Counts of one delivery outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusTally {
    /// Lines with this status.
    pub lines: u64,
    /// Distinct messages with at least one such line.
    pub messages: u64,
    /// Distinct (message, recipient) pairs with at least one such line.
    pub recipients: u64,
    /// Lines by recipient domain (lower-cased).
    pub by_domain: Counts,
    /// Lines by `dsn=`.
    pub by_dsn: Counts,
    /// Lines by remote reply code (`none` when no server replied).
    pub by_reply_code: Counts,
    /// Lines by program.
    pub by_program: Counts,
    /// Lines by relay host (the name before `[`).
    pub by_relay: Counts,
}

/// Expired messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpiredTally {
    /// `status=expired` lines (messages returned to sender).
    pub messages: u64,
    /// Their recipients still undelivered (see [`Summary`] for how they are counted).
    pub recipients: u64,
}

/// Refusals by this server (`NOQUEUE: reject:` and the like).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RejectTally {
    /// Refusal lines.
    pub total: u64,
    /// By program.
    pub by_program: Counts,
    /// By reply code.
    pub by_code: Counts,
    /// By enhanced code.
    pub by_dsn: Counts,
    /// By the classifier's category.
    pub by_category: Counts,
    /// By stage (`RCPT`, `DATA`, ...).
    pub by_stage: Counts,
    /// By client IP address (refusals whose line names no client are not in it).
    pub by_client: Counts,
}

/// Failed deliveries (deferrals, bounces, expiries) by cause and place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailureTally {
    /// Failures counted.
    pub total: u64,
    /// By the classifier's category.
    pub by_category: Counts,
    /// By recipient domain.
    pub by_domain: Counts,
    /// By remote reply code (`none` when no server replied).
    pub by_reply_code: Counts,
    /// By enhanced code (`dsn=`).
    pub by_enhanced_code: Counts,
    /// By relay host.
    pub by_relay: Counts,
}

/// Final outcomes of recipients, each (message, recipient) counted once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecipientTally {
    /// Delivered.
    pub delivered: u64,
    /// Bounced.
    pub bounced: u64,
    /// Still undelivered when their message expired.
    pub expired: u64,
}

/// Everything counted over the input.
///
/// Expired recipients: the recipients of an expired message not yet delivered or bounced. When
/// the queue manager's `nrcpt=` is known it is used as the number of recipients; a message seen
/// only at its expiry (it entered the queue before the log starts) counts one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Lines read.
    pub lines: u64,
    /// Bytes read (line endings included).
    pub bytes: u64,
    /// Lines without a syslog prefix.
    pub unparsed_lines: u64,
    /// Lines of a known MTA that its parser did not understand.
    pub unknown_lines: u64,
    /// Lines of programs no parser reads (counted by program in `lines_by_program`).
    pub other_program_lines: u64,
    /// Lines longer than [`MAX_LINE`], cut.
    pub truncated_lines: u64,
    /// Lines that were not valid UTF-8, decoded with replacement characters.
    pub lossy_lines: u64,
    /// The first timestamp, as written.
    pub first_timestamp: Option<String>,
    /// The last timestamp, as written.
    pub last_timestamp: Option<String>,
    /// Lines by program (`postfix/smtp`).
    pub lines_by_program: Counts,
    /// Distinct messages seen (a reused queue ID counts again).
    pub messages: u64,
    /// Messages still in the queue when the input ended.
    pub open_at_end: u64,
    /// Messages closed as incomplete before the input ended, the least recently seen ones,
    /// because more were open than the cap ([`Analyzer::set_max_open`]).
    pub flushed_open: u64,
    /// Lines outside the time window ([`Analyzer::set_window`]), skipped; lines without a
    /// timestamp go with the line before them.
    pub outside_window: u64,
    /// Lines skipped because their timestamp names no real time (`Feb 30`), with a window set.
    pub undated_lines: u64,
    /// Queue IDs seen again for a new message while the old one was still open.
    pub queue_id_reuses: u64,
    /// Messages received, by origin (`smtpd`, `submission`, `pickup`).
    pub received: Counts,
    /// `status=sent` lines.
    pub sent: StatusTally,
    /// `status=deferred` lines.
    pub deferred: StatusTally,
    /// `status=bounced` lines.
    pub bounced: StatusTally,
    /// Delivery lines with another status (address verification probes).
    pub other_status: u64,
    /// Expiries.
    pub expired: ExpiredTally,
    /// Messages removed from the queue.
    pub removed: u64,
    /// Notifications (non-delivery reports and the like) created.
    pub notifications: u64,
    /// Failed client authentications (SASL).
    pub auth_failures: u64,
    /// Failed connections to remote servers logged on their own lines.
    pub connect_failures: u64,
    /// Refusals by this server.
    pub rejects: RejectTally,
    /// Failed deliveries by cause and place.
    pub failures: FailureTally,
    /// Final outcomes of recipients.
    pub recipients: RecipientTally,
}

/// Outcome flags of one recipient of an open message.
const SEEN_SENT: u8 = 1;
const SEEN_DEFERRED: u8 = 2;
const SEEN_BOUNCED: u8 = 4;
const SEEN_EXPIRED: u8 = 8;
/// The outcomes after which a recipient is not retried.
const FINAL: u8 = SEEN_SENT | SEEN_BOUNCED | SEEN_EXPIRED;

/// A message still in the queue.
#[derive(Debug, Default)]
struct Message {
    queue_id: Box<str>,
    message_id: Option<Box<str>>,
    from: Option<Box<str>>,
    origin: Option<Origin>,
    nrcpt: Option<u32>,
    recipients: Vec<(Box<str>, u8)>,
    /// Expired recipients beyond the ones seen by address.
    unseen_expired: u64,
    /// Anything beyond queueing lines was seen (a reused ID is then a new message).
    active: bool,
    notification_id: Option<Box<str>>,
    notification_for: Option<Box<str>>,
    events: Vec<TraceEvent>,
    traced: bool,
    /// The number of the last line about it (the least recently seen are flushed first).
    seen: u64,
    /// For formats that log no removal: the line from which the message, its recipients all
    /// final, waits for its non-delivery report's link ([`LINGER_LINES`]).
    lingering: Option<u64>,
}

impl Message {
    /// True when every recipient has a final status and all `nrcpt` were seen (a Sendmail DSN,
    /// whose recipient count is not logged, needs one).
    fn all_final(&self) -> bool {
        let done = self
            .recipients
            .iter()
            .filter(|(_, f)| f & FINAL != 0)
            .count() as u64;
        done == self.recipients.len() as u64
            && match self.nrcpt {
                Some(n) => done + self.unseen_expired >= u64::from(n),
                None => self.notification_for.is_some() && done > 0,
            }
    }

    /// True when a recipient bounced or expired: a non-delivery report may be linked next.
    fn failed_any(&self) -> bool {
        self.unseen_expired > 0
            || self
                .recipients
                .iter()
                .any(|(_, f)| f & (SEEN_BOUNCED | SEEN_EXPIRED) != 0 && f & SEEN_SENT == 0)
    }
}

/// Internal tallies keyed by borrowed-then-owned strings (cheap lookups per line).
#[derive(Debug, Default)]
struct Tally(HashMap<Box<str>, u64>);

impl Tally {
    fn add(&mut self, key: &str) {
        if let Some(n) = self.0.get_mut(key) {
            *n += 1;
        } else {
            self.0.insert(key.into(), 1);
        }
    }
    fn done(&self) -> Counts {
        self.0.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }
}

#[derive(Debug, Default)]
struct StatusTallies {
    lines: u64,
    messages: u64,
    recipients: u64,
    by_domain: Tally,
    by_dsn: Tally,
    by_reply_code: Tally,
    by_program: Tally,
    by_relay: Tally,
}

impl StatusTallies {
    fn done(&self) -> StatusTally {
        StatusTally {
            lines: self.lines,
            messages: self.messages,
            recipients: self.recipients,
            by_domain: self.by_domain.done(),
            by_dsn: self.by_dsn.done(),
            by_reply_code: self.by_reply_code.done(),
            by_program: self.by_program.done(),
            by_relay: self.by_relay.done(),
        }
    }
}

#[derive(Debug, Default)]
struct Tallies {
    lines_by_program: Tally,
    received: Tally,
    status: [StatusTallies; 3],
    rejects_by_program: Tally,
    rejects_by_code: Tally,
    rejects_by_dsn: Tally,
    rejects_by_category: Tally,
    rejects_by_stage: Tally,
    rejects_by_client: Tally,
    fail_by_category: Tally,
    fail_by_domain: Tally,
    fail_by_reply_code: Tally,
    fail_by_enhanced: Tally,
    fail_by_relay: Tally,
}

/// The streaming analyzer. Feed it lines ([`Analyzer::push_line`] or [`Analyzer::read`]), take
/// the [`Record`]s it produces as it goes, and call [`Analyzer::finish`] for the [`Summary`].
#[derive(Debug)]
pub struct Analyzer {
    parsers: Vec<Box<dyn LineParser>>,
    /// Each parser's [`LineParser::logs_removal`] and [`LineParser::links_reports`], asked once.
    removal: Vec<(bool, bool)>,
    options: Options,
    trace: Option<HashSet<String>>,
    traced_ids: HashSet<Box<str>>,
    open: HashMap<Box<str>, Message>,
    /// Findings of failure texts seen before: retries repeat the same reply again and again.
    classified: HashMap<Box<str>, Finding>,
    /// The parser of the last line with a prefix, for continuation lines.
    last_parser: Option<usize>,
    summary: Summary,
    tallies: Tallies,
    out: VecDeque<Record>,
    /// The most messages kept open.
    max_open: usize,
    /// The time window, when one is set.
    window: Option<Window>,
    /// The last line with a timestamp was outside the window: lines without one are skipped.
    outside: bool,
    /// Messages waiting for their report's link: (line, queue ID), oldest first.
    lingering: VecDeque<(u64, Box<str>)>,
    /// The client (`host[address]`) of each open session, by session ID (OpenSMTPD).
    sessions: HashMap<Box<str>, Box<str>>,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new(Options::default())
    }
}

impl Analyzer {
    /// An analyzer for every format this crate reads (Postfix, Exim, Sendmail, OpenSMTPD).
    pub fn new(options: Options) -> Self {
        Analyzer::with_parsers(
            vec![
                Box::new(Postfix),
                Box::new(Exim),
                Box::new(Sendmail),
                Box::new(OpenSmtpd),
            ],
            options,
        )
    }

    /// An analyzer that tries `parsers` in order on each line's program.
    pub fn with_parsers(parsers: Vec<Box<dyn LineParser>>, options: Options) -> Self {
        Analyzer {
            removal: parsers
                .iter()
                .map(|p| (p.logs_removal(), p.links_reports()))
                .collect(),
            parsers,
            options,
            trace: None,
            traced_ids: HashSet::default(),
            open: HashMap::default(),
            classified: HashMap::default(),
            last_parser: None,
            summary: Summary::default(),
            tallies: Tallies::default(),
            out: VecDeque::new(),
            max_open: MAX_OPEN,
            window: None,
            outside: false,
            lingering: VecDeque::new(),
            sessions: HashMap::default(),
        }
    }

    /// Keeps at most `max` messages open (at least one; default [`MAX_OPEN`]): past it the
    /// least recently seen tenth are closed as incomplete and counted in
    /// [`Summary::flushed_open`], so a log of messages that never finish cannot fill memory.
    pub fn set_max_open(&mut self, max: usize) {
        self.max_open = max.max(1);
    }

    /// Analyses only the lines inside `window` (the others are counted and skipped).
    pub fn set_window(&mut self, window: Window) {
        self.window = Some(window);
    }

    /// Starts a new input whose last line was written at `modified` (its file's modification
    /// time; `None` for standard input): with a window set, the year of BSD stamps is inferred
    /// afresh (see [`crate::time`]).
    pub fn start_input(&mut self, modified: Option<std::time::SystemTime>) {
        if let Some(w) = &mut self.window {
            w.start_input(modified.and_then(|t| jiff::Timestamp::try_from(t).ok()));
        }
        self.outside = false;
    }

    /// Traces the messages `needle` names (call again for more): a queue ID, a Message-ID (with
    /// or without angle brackets) or a recipient address. The notifications they cause are
    /// traced too. While a trace is asked for, open messages keep their lines, so memory grows
    /// with the queue.
    pub fn trace(&mut self, needle: &str) {
        let n = needle.trim();
        let n = n.strip_prefix('<').unwrap_or(n);
        let n = n.strip_suffix('>').unwrap_or(n);
        let set = self.trace.get_or_insert_with(HashSet::default);
        set.insert(n.to_string());
        set.insert(n.to_ascii_lowercase());
    }

    /// Messages open now (in the queue, as far as the log shows).
    pub fn open_messages(&self) -> usize {
        self.open.len()
    }

    /// Takes the records produced so far.
    pub fn records(&mut self) -> impl Iterator<Item = Record> + '_ {
        self.out.drain(..)
    }

    /// Reads every line of `input`, passing each record to `sink` as it is produced.
    pub fn read(
        &mut self,
        input: &mut (impl BufRead + ?Sized),
        sink: &mut dyn FnMut(Record),
    ) -> io::Result<()> {
        let mut buf = Vec::with_capacity(1024);
        while let Some(len) = crate::read::read_line_bounded(input, MAX_LINE, &mut buf)? {
            self.push_line(&buf, len);
            for r in self.out.drain(..) {
                sink(r);
            }
        }
        Ok(())
    }

    /// Analyses one line (without its line ending); `full_len` is its length before any cut.
    pub fn push_line(&mut self, line: &[u8], full_len: usize) {
        self.summary.lines += 1;
        self.summary.bytes += full_len as u64 + 1;
        let kept = &line[..line.len().min(MAX_LINE)];
        if full_len > kept.len() {
            self.summary.truncated_lines += 1;
        }
        let text = match std::str::from_utf8(kept) {
            Ok(t) => Cow::Borrowed(t),
            Err(_) => {
                self.summary.lossy_lines += 1;
                String::from_utf8_lossy(kept)
            }
        };
        let number = self.summary.lines;
        let syslog = parse_prefix(&text);
        let accepted =
            |p: &crate::Prefix<'_>| self.parsers.iter().position(|x| x.accepts(p.program));
        let found = match syslog {
            Some(p) => match accepted(&p) {
                Some(i) => Some((p, Some(i))),
                None => Some(self.own_prefix(&text).unwrap_or((p, None))),
            },
            None => self.own_prefix(&text),
        };
        let Some((prefix, parser)) = found else {
            if self.outside {
                self.summary.outside_window += 1;
                return;
            }
            let continues = self
                .last_parser
                .is_some_and(|i| self.parsers[i].continuation(&text));
            if !continues && !text.trim().is_empty() {
                self.last_parser = None;
                self.summary.unparsed_lines += 1;
                self.unknown(number, &text);
            }
            return;
        };
        if let Some(w) = &mut self.window {
            let placed = w.place(prefix.timestamp, prefix.style);
            self.outside = placed != Placement::Inside;
            match placed {
                Placement::Inside => {}
                Placement::Outside => {
                    self.summary.outside_window += 1;
                    return;
                }
                Placement::Undated => {
                    self.summary.undated_lines += 1;
                    return;
                }
            }
        }
        // OpenSMTPD's foreground log (`smtpd -d`) has no timestamps at all.
        if self.summary.first_timestamp.is_none() && !prefix.timestamp.is_empty() {
            self.summary.first_timestamp = Some(prefix.timestamp.to_string());
        }
        self.tallies.lines_by_program.add(prefix.program);
        self.last_parser = parser;
        let Some(parser) = parser else {
            self.summary.other_program_lines += 1;
            self.set_last(prefix.timestamp);
            return;
        };
        let event = self.parsers[parser].parse(&prefix);
        let ctx = Ctx {
            timestamp: prefix.timestamp,
            program: prefix.program,
            message: prefix.message,
            line_number: number,
            closes_on_final: !self.removal[parser].0,
            links_reports: self.removal[parser].1,
        };
        self.event(&ctx, event, &text);
        self.set_last(prefix.timestamp);
        if !self.lingering.is_empty() {
            self.end_lingering(number);
        }
    }

    /// Closes the messages that waited [`LINGER_LINES`] for their report's link by line `now`.
    fn end_lingering(&mut self, now: u64) {
        while let Some((since, _)) = self.lingering.front() {
            if since + LINGER_LINES > now {
                break;
            }
            let Some((since, id)) = self.lingering.pop_front() else {
                break;
            };
            // The message may have closed since, or its ID been given to a new one.
            if self
                .open
                .get(&id)
                .is_some_and(|m| m.lingering == Some(since))
            {
                self.close(&id, true);
            }
        }
    }

    /// For formats that log no removal: closes the message once every recipient has a final
    /// status; when one bounced or expired and the format links reports, at the link or after
    /// [`LINGER_LINES`].
    fn close_if_final(&mut self, ctx: &Ctx<'_>, queue_id: &str) {
        let Some(m) = self.open.get_mut(queue_id) else {
            return;
        };
        let line = ctx.line_number;
        if !m.all_final() {
            m.lingering = None;
        } else if ctx.links_reports && m.failed_any() {
            if m.lingering.is_none() {
                m.lingering = Some(line);
                self.lingering.push_back((line, queue_id.into()));
            }
        } else {
            self.close(queue_id, true);
        }
    }

    /// The prefix of a line written without a syslog prefix, by the first parser whose format
    /// has one of its own, and that parser.
    fn own_prefix<'a>(&self, text: &'a str) -> Option<(crate::Prefix<'a>, Option<usize>)> {
        self.parsers
            .iter()
            .enumerate()
            .find_map(|(i, p)| p.own_prefix(text).map(|x| (x, Some(i))))
    }

    fn set_last(&mut self, ts: &str) {
        if ts.is_empty() {
            return;
        }
        match &mut self.summary.last_timestamp {
            Some(s) => {
                s.clear();
                s.push_str(ts);
            }
            None => self.summary.last_timestamp = Some(ts.to_string()),
        }
    }

    fn unknown(&mut self, line_number: u64, text: &str) {
        if self.options.unknown {
            self.out.push_back(Record::Unknown {
                line_number,
                text: text.to_string(),
            });
        }
    }

    /// The open message with this queue ID, opened when new.
    fn message(&mut self, queue_id: &str) -> &mut Message {
        if !self.open.contains_key(queue_id) {
            if self.open.len() >= self.max_open {
                self.flush_oldest();
            }
            self.summary.messages += 1;
            let traced = self.traced_ids.contains(queue_id)
                || self.trace.as_ref().is_some_and(|t| t.contains(queue_id));
            self.open.insert(
                queue_id.into(),
                Message {
                    queue_id: queue_id.into(),
                    traced,
                    ..Message::default()
                },
            );
        }
        // Inserted above when missing.
        let m = self
            .open
            .get_mut(queue_id)
            .unwrap_or_else(|| unreachable!("message was just inserted"));
        m.seen = self.summary.lines;
        m
    }

    /// Closes the least recently seen tenth of the open messages (at least one) as
    /// incomplete: one pass over them for every tenth of the cap, so the cost per message
    /// stays constant.
    fn flush_oldest(&mut self) {
        let n = (self.open.len() / 10).max(1);
        let mut by_age: Vec<(u64, &Box<str>)> =
            self.open.iter().map(|(id, m)| (m.seen, id)).collect();
        by_age.select_nth_unstable_by_key(n - 1, |(seen, _)| *seen);
        let mut oldest: Vec<(u64, Box<str>)> = by_age[..n]
            .iter()
            .map(|(seen, id)| (*seen, (*id).clone()))
            .collect();
        oldest.sort_unstable();
        self.summary.flushed_open += n as u64;
        for (_, id) in oldest {
            self.close(&id, false);
        }
    }

    fn record(&mut self, ctx: &Ctx<'_>, queue_id: &str, kind: &'static str, text: &str) {
        if self.trace.is_none() {
            return;
        }
        let m = self.message(queue_id);
        if m.events.len() < MAX_TRACE_EVENTS {
            m.events.push(TraceEvent {
                timestamp: ctx.time(),
                program: ctx.program.to_string(),
                kind,
                to: None,
                status: None,
                dsn: None,
                reply_code: None,
                text: text.to_string(),
            });
        }
    }

    fn event(&mut self, ctx: &Ctx<'_>, event: Event<'_>, line: &str) {
        match event {
            Event::Received {
                queue_id,
                origin,
                client,
            } => {
                if self
                    .open
                    .get(queue_id)
                    .is_some_and(|m| m.active || m.origin.is_some())
                {
                    // The ID was given to a new message while the old one looked open.
                    self.summary.queue_id_reuses += 1;
                    self.close(queue_id, false);
                }
                self.tallies.received.add(origin.as_str());
                let m = self.message(queue_id);
                m.origin = Some(origin);
                if origin == Origin::Pickup && m.from.is_none() {
                    m.from = Some(client.into());
                }
                self.record(ctx, queue_id, "received", client);
            }
            Event::Arrival {
                queue_id,
                origin,
                client,
                from,
                message_id,
                notification_for,
                nrcpt,
                ..
            } => {
                self.arrival(ctx, queue_id, origin, client, from, notification_for);
                if nrcpt.is_some() {
                    self.message(queue_id).nrcpt = nrcpt;
                }
                if let Some(id) = message_id {
                    self.message(queue_id).message_id = Some(id.into());
                    self.check_trace(queue_id);
                }
            }
            Event::MessageId {
                queue_id,
                message_id,
            } => {
                let m = self.message(queue_id);
                m.message_id = Some(message_id.into());
                self.check_trace(queue_id);
                self.record(ctx, queue_id, "message-id", message_id);
            }
            Event::Queued {
                queue_id,
                from,
                nrcpt,
                ..
            } => {
                let m = self.message(queue_id);
                if m.from.as_deref() != Some(from) {
                    m.from = Some(from.into());
                }
                if nrcpt.is_some() {
                    m.nrcpt = nrcpt;
                }
                self.record(ctx, queue_id, "queued", ctx.queue_text());
            }
            Event::Delivery(d) => {
                self.delivery(ctx, &d);
                // One line for several recipients (Sendmail): each counts as its own delivery.
                for to in d.more_to.into_iter().flat_map(|m| m.split(',')) {
                    let to = to.trim().trim_start_matches('<').trim_end_matches('>');
                    if !to.is_empty() {
                        self.delivery(ctx, &Delivery { to, ..d.clone() });
                    }
                }
                if ctx.closes_on_final {
                    self.close_if_final(ctx, d.queue_id);
                }
            }
            Event::Expired {
                queue_id,
                from,
                text,
            } => {
                self.expired(ctx, queue_id, from, text);
                if ctx.closes_on_final {
                    self.close_if_final(ctx, queue_id);
                }
            }
            Event::Removed { queue_id } => {
                self.summary.removed += 1;
                // Where removal is rarely logged (Sendmail's `done;`), the message may have
                // closed at its last final status: not opened again for the trace.
                if !ctx.closes_on_final || self.open.contains_key(queue_id) {
                    self.record(ctx, queue_id, "removed", "removed");
                    self.close(queue_id, true);
                }
            }
            Event::Notification {
                queue_id,
                notification_id,
                kind,
            } => {
                self.summary.notifications += 1;
                let _ = kind;
                // Where no removal is logged, a closed message is not opened again by its
                // report: it would stay open for good.
                let mut traced = false;
                let mut lingering = false;
                if !ctx.closes_on_final || self.open.contains_key(queue_id) {
                    let m = self.message(queue_id);
                    m.active = true;
                    m.notification_id = Some(notification_id.into());
                    traced = m.traced;
                    lingering = m.lingering.is_some();
                    self.record(ctx, queue_id, "notification", ctx.queue_text());
                }
                let ndr = self.message(notification_id);
                ndr.notification_for = Some(queue_id.into());
                if traced {
                    ndr.traced = true;
                    self.traced_ids.insert(notification_id.into());
                }
                if lingering {
                    self.close(queue_id, true);
                }
            }
            Event::Connected {
                session,
                address,
                host,
            } => {
                if self.sessions.len() >= MAX_SESSIONS {
                    self.sessions.clear();
                }
                let client = format!("{host}[{address}]");
                self.sessions.insert(session.into(), client.into());
            }
            Event::Disconnected { session } => {
                self.sessions.remove(session);
            }
            Event::Reject(r) => self.reject(ctx, &r),
            Event::ConnectFailure { .. } => self.summary.connect_failures += 1,
            Event::MessageNote { queue_id, text } => {
                if self.trace.is_some() {
                    self.record(ctx, queue_id, "note", text);
                }
            }
            Event::AuthFailure { .. } => self.summary.auth_failures += 1,
            Event::Noise => {}
            _ => {
                self.summary.unknown_lines += 1;
                self.unknown(ctx.line_number, line);
            }
        }
    }

    /// An arrival line that says it all (Exim's `<=`): a new message, or a notification about
    /// another one.
    fn arrival(
        &mut self,
        ctx: &Ctx<'_>,
        queue_id: &str,
        origin: Origin,
        client: &str,
        from: &str,
        notification_for: Option<&str>,
    ) {
        if self
            .open
            .get(queue_id)
            .is_some_and(|m| m.lingering.is_some())
        {
            // Its recipients were all final: it had left the queue.
            self.close(queue_id, true);
        } else if self
            .open
            .get(queue_id)
            .is_some_and(|m| m.active || m.origin.is_some() || m.notification_for.is_some())
        {
            self.summary.queue_id_reuses += 1;
            self.close(queue_id, false);
        }
        if let Some(parent) = notification_for {
            self.summary.notifications += 1;
            let p = self.message(parent);
            p.active = true;
            p.notification_id = Some(queue_id.into());
            let traced = p.traced;
            self.record(ctx, parent, "notification", ctx.queue_text());
            let m = self.message(queue_id);
            m.notification_for = Some(parent.into());
            if traced {
                m.traced = true;
                self.traced_ids.insert(queue_id.into());
            }
        } else {
            self.tallies.received.add(origin.as_str());
            self.message(queue_id).origin = Some(origin);
        }
        let m = self.message(queue_id);
        m.from = Some(from.into());
        self.record(
            ctx,
            queue_id,
            "received",
            if client.is_empty() {
                ctx.queue_text()
            } else {
                client
            },
        );
    }

    fn check_trace(&mut self, queue_id: &str) {
        let Some(needles) = self.trace.as_ref() else {
            return;
        };
        if let Some(m) = self.open.get_mut(queue_id) {
            if !m.traced
                && (m
                    .message_id
                    .as_deref()
                    .is_some_and(|id| needles.contains(id))
                    || m.recipients
                        .iter()
                        .any(|(r, _)| needles.contains(&r.to_ascii_lowercase())))
            {
                m.traced = true;
            }
        }
    }

    fn delivery(&mut self, ctx: &Ctx<'_>, d: &Delivery<'_>) {
        let domain = domain_of(d.to);
        let relay_host = relay_host(d.relay);
        let code_key = code_key(d.reply_code);
        if d.status == Status::Other {
            self.summary.other_status += 1;
        } else {
            let t = &mut self.tallies.status[d.status.index()];
            t.lines += 1;
            t.by_domain.add(&domain);
            t.by_dsn.add(d.dsn.unwrap_or("none"));
            t.by_reply_code.add(code_key.as_str());
            t.by_program.add(ctx.program);
            t.by_relay.add(relay_host);
        }
        let flag = match d.status {
            Status::Sent => SEEN_SENT,
            Status::Deferred => SEEN_DEFERRED,
            Status::Bounced => SEEN_BOUNCED,
            Status::Other => 0,
        };
        let tracing = self.trace.is_some();
        let m = self.message(d.queue_id);
        m.active = true;
        if let Some(r) = m.recipients.iter_mut().find(|(r, _)| &**r == d.to) {
            r.1 |= flag;
        } else if m.recipients.len() < MAX_TRACKED_RECIPIENTS {
            m.recipients.push((d.to.into(), flag));
        }
        let message_id = m.message_id.as_deref().map(str::to_string);
        let from = m.from.as_deref().map(str::to_string);
        if tracing && m.events.len() < MAX_TRACE_EVENTS {
            m.events.push(TraceEvent {
                timestamp: ctx.time(),
                program: ctx.program.to_string(),
                kind: "delivery",
                to: Some(d.to.to_string()),
                status: Some(d.status_text.to_string()),
                dsn: d.dsn.map(str::to_string),
                reply_code: d.reply_code,
                text: d.reply.to_string(),
            });
        }
        if tracing {
            self.check_trace(d.queue_id);
        }
        let kind = match d.status {
            Status::Deferred => FailureKind::Deferred,
            Status::Bounced => FailureKind::Bounced,
            _ => return,
        };
        let finding = self.classify(d.reply);
        let f = &mut self.tallies;
        self.summary.failures.total += 1;
        f.fail_by_category.add(finding.category.as_str());
        f.fail_by_domain.add(&domain);
        f.fail_by_reply_code.add(code_key.as_str());
        f.fail_by_enhanced.add(d.dsn.unwrap_or("none"));
        f.fail_by_relay.add(relay_host);
        if self.options.failures {
            self.out.push_back(Record::Failure(Box::new(Failure {
                kind,
                timestamp: ctx.time(),
                line_number: ctx.line_number,
                program: ctx.program.to_string(),
                queue_id: Some(d.queue_id.to_string()),
                message_id,
                from,
                to: Some(d.to.to_string()),
                relay: Some(d.relay.to_string()),
                client: None,
                dsn: d.dsn.map(str::to_string),
                reply_code: d.reply_code,
                enhanced_code: d.enhanced_code,
                reply: d.reply.to_string(),
                finding,
            })));
        }
    }

    fn expired(&mut self, ctx: &Ctx<'_>, queue_id: &str, from: &str, text: &str) {
        self.summary.expired.messages += 1;
        let m = self.message(queue_id);
        m.active = true;
        if m.from.is_none() {
            m.from = Some(from.into());
        }
        let mut pending = 0u64;
        for r in m.recipients.iter_mut() {
            if r.1 & (SEEN_SENT | SEEN_BOUNCED) == 0 {
                r.1 |= SEEN_EXPIRED;
                pending += 1;
            }
        }
        let seen = m.recipients.len() as u64;
        let unseen = match m.nrcpt {
            Some(n) => u64::from(n).saturating_sub(seen),
            None if seen == 0 => 1,
            None => 0,
        };
        m.unseen_expired += unseen;
        let _ = pending;
        let message_id = m.message_id.as_deref().map(str::to_string);
        let to = (m.recipients.len() == 1).then(|| m.recipients[0].0.to_string());
        self.record(ctx, queue_id, "expired", text);
        let finding = self.classify(text);
        let f = &mut self.tallies;
        self.summary.failures.total += 1;
        f.fail_by_category.add(finding.category.as_str());
        f.fail_by_domain
            .add(&to.as_deref().map_or_else(|| "(unknown)".into(), domain_of));
        f.fail_by_reply_code.add("none");
        f.fail_by_enhanced.add("none");
        f.fail_by_relay.add("none");
        if self.options.failures {
            self.out.push_back(Record::Failure(Box::new(Failure {
                kind: FailureKind::Expired,
                timestamp: ctx.time(),
                line_number: ctx.line_number,
                program: ctx.program.to_string(),
                queue_id: Some(queue_id.to_string()),
                message_id,
                from: Some(from.to_string()),
                to,
                relay: None,
                client: None,
                dsn: None,
                reply_code: None,
                enhanced_code: None,
                reply: text.to_string(),
                finding,
            })));
        }
    }

    /// The finding on a failure's text, from [`Analyzer::classified`] when the text was seen
    /// before (the classifier is deterministic, so the finding is the same).
    fn classify(&mut self, text: &str) -> Finding {
        let text = smtp_doctor_kb::cut(text, MAX_CLASSIFIED);
        if let Some(f) = self.classified.get(text) {
            return f.clone();
        }
        if self.classified.len() >= CLASSIFIED {
            self.classified.clear();
        }
        let finding = classify(text);
        self.classified.insert(text.into(), finding.clone());
        finding
    }

    fn reject(&mut self, ctx: &Ctx<'_>, r: &Reject<'_>) {
        let finding = self.classify(r.reply);
        let s = &mut self.summary.rejects;
        s.total += 1;
        let t = &mut self.tallies;
        t.rejects_by_program.add(ctx.program);
        t.rejects_by_code.add(code_key(r.reply_code).as_str());
        match r.enhanced_code {
            Some(c) => t.rejects_by_dsn.add(&c.to_string()),
            None => t.rejects_by_dsn.add("none"),
        }
        t.rejects_by_category.add(finding.category.as_str());
        t.rejects_by_stage.add(r.stage);
        // OpenSMTPD's refusal lines name only their session: its client was seen connecting.
        let client: Cow<'_, str> = match r.session.and_then(|s| self.sessions.get(s)) {
            Some(c) if r.client.is_empty() => Cow::Owned(c.to_string()),
            _ => Cow::Borrowed(r.client),
        };
        if !client.is_empty() {
            t.rejects_by_client.add(client_ip(&client));
        }
        if let Some(q) = r.queue_id {
            self.record(ctx, q, "reject", r.reply);
        }
        if self.options.failures {
            let (message_id, from) = match r.queue_id.and_then(|q| self.open.get(q)) {
                Some(m) => (
                    m.message_id.as_deref().map(str::to_string),
                    m.from.as_deref().map(str::to_string),
                ),
                None => (None, None),
            };
            self.out.push_back(Record::Failure(Box::new(Failure {
                kind: FailureKind::Rejected,
                timestamp: ctx.time(),
                line_number: ctx.line_number,
                program: ctx.program.to_string(),
                queue_id: r.queue_id.map(str::to_string),
                message_id,
                from: r.from.map(str::to_string).or(from),
                to: r.to.map(str::to_string),
                relay: None,
                client: Some(client.to_string()),
                dsn: r.enhanced_code.map(|c| c.to_string()),
                reply_code: r.reply_code,
                enhanced_code: r.enhanced_code,
                reply: r.reply.to_string(),
                finding,
            })));
        }
    }

    /// A message leaves the queue (or the input ends): its per-message counts are made.
    fn close(&mut self, queue_id: &str, complete: bool) {
        let Some(m) = self.open.remove(queue_id) else {
            return;
        };
        self.count_closed(&m);
        if m.traced || self.traced_ids.remove(queue_id) {
            self.emit_trace(m, complete);
        }
    }

    fn count_closed(&mut self, m: &Message) {
        let mut any = [false; 3];
        for (_, flags) in &m.recipients {
            for (i, bit) in [SEEN_SENT, SEEN_DEFERRED, SEEN_BOUNCED].iter().enumerate() {
                if flags & bit != 0 {
                    self.tallies.status[i].recipients += 1;
                    any[i] = true;
                }
            }
            if flags & SEEN_SENT != 0 {
                self.summary.recipients.delivered += 1;
            } else if flags & SEEN_BOUNCED != 0 {
                self.summary.recipients.bounced += 1;
            } else if flags & SEEN_EXPIRED != 0 {
                self.summary.recipients.expired += 1;
            }
        }
        self.summary.recipients.expired += m.unseen_expired;
        self.summary.expired.recipients += m.unseen_expired
            + m.recipients
                .iter()
                .filter(|(_, f)| f & SEEN_EXPIRED != 0 && f & (SEEN_SENT | SEEN_BOUNCED) == 0)
                .count() as u64;
        for (i, hit) in any.iter().enumerate() {
            if *hit {
                self.tallies.status[i].messages += 1;
            }
        }
    }

    fn emit_trace(&mut self, m: Message, complete: bool) {
        self.out.push_back(Record::Trace(Box::new(Trace {
            queue_id: m.queue_id.to_string(),
            message_id: m.message_id.map(|s| s.to_string()),
            from: m.from.map(|s| s.to_string()),
            origin: m.origin,
            recipients: m.recipients.iter().map(|(r, _)| r.to_string()).collect(),
            events: m.events,
            notification_id: m.notification_id.map(|s| s.to_string()),
            notification_for: m.notification_for.map(|s| s.to_string()),
            complete,
        })));
    }

    /// Ends the input: messages still open are counted (and traced ones emitted, marked
    /// incomplete). Returns the summary and the last records.
    pub fn finish(mut self) -> (Summary, Vec<Record>) {
        let mut ids: Vec<(Box<str>, bool)> = self
            .open
            .iter()
            .map(|(id, m)| (id.clone(), m.lingering.is_some()))
            .collect();
        ids.sort();
        self.summary.open_at_end = ids.iter().filter(|(_, done)| !done).count() as u64;
        for (id, done) in ids {
            self.close(&id, done);
        }
        let t = &self.tallies;
        let s = &mut self.summary;
        s.lines_by_program = t.lines_by_program.done();
        s.received = t.received.done();
        s.sent = t.status[0].done();
        s.deferred = t.status[1].done();
        s.bounced = t.status[2].done();
        s.rejects.by_program = t.rejects_by_program.done();
        s.rejects.by_code = t.rejects_by_code.done();
        s.rejects.by_dsn = t.rejects_by_dsn.done();
        s.rejects.by_category = t.rejects_by_category.done();
        s.rejects.by_stage = t.rejects_by_stage.done();
        s.rejects.by_client = t.rejects_by_client.done();
        s.failures.by_category = t.fail_by_category.done();
        s.failures.by_domain = t.fail_by_domain.done();
        s.failures.by_reply_code = t.fail_by_reply_code.done();
        s.failures.by_enhanced_code = t.fail_by_enhanced.done();
        s.failures.by_relay = t.fail_by_relay.done();
        let records = self.out.drain(..).collect();
        (self.summary, records)
    }
}

/// Where a line is, for records.
struct Ctx<'a> {
    timestamp: &'a str,
    program: &'a str,
    /// The line's message, after its prefix.
    message: &'a str,
    line_number: u64,
    /// The line's format logs no removal ([`LineParser::logs_removal`]).
    closes_on_final: bool,
    /// The line's format links reports to their messages ([`LineParser::links_reports`]).
    links_reports: bool,
}

impl Ctx<'_> {
    /// The line's timestamp for a record: `None` when the line has none (`smtpd -d`).
    fn time(&self) -> Option<String> {
        (!self.timestamp.is_empty()).then(|| self.timestamp.to_string())
    }

    /// The text of a line after its queue ID (`QID: text`, or Exim's `ID text`).
    fn queue_text(&self) -> &str {
        match self.message.split_once(": ") {
            Some((id, rest)) if !id.contains(' ') => rest,
            _ => self
                .message
                .split_once(' ')
                .map_or(self.message, |(_, r)| r),
        }
    }
}

/// The shared classifier's finding on a failure's text.
fn classify(text: &str) -> Finding {
    let mut ev = smtp_doctor_kb::extract(text);
    ev.source = Source::Log;
    smtp_doctor_kb::builtin().classify(&ev)
}

/// The recipient domain of an address, lower-cased (the whole address when it has no `@`).
fn domain_of(addr: &str) -> Cow<'_, str> {
    let d = addr.rsplit_once('@').map_or(addr, |(_, d)| d);
    if d.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(d.to_ascii_lowercase())
    } else {
        Cow::Borrowed(d)
    }
}

/// The host name of a relay (`mx.example.org[192.0.2.1]:25` gives `mx.example.org`, and so
/// does Sendmail's `mx.example.org. [192.0.2.1]`); the address when no name was logged
/// (Sendmail's `[192.0.2.1] [192.0.2.1]` gives `192.0.2.1`).
fn relay_host(relay: &str) -> &str {
    let host = relay.split('[').next().unwrap_or(relay).trim_end();
    let host = host.strip_suffix('.').unwrap_or(host);
    if !host.is_empty() {
        return host;
    }
    match relay.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((ip, _)) if !ip.is_empty() => ip,
        _ => "none",
    }
}

/// The IP address of a client (`host[192.0.2.1]` or `[192.0.2.1]:port`).
fn client_ip(client: &str) -> &str {
    match (client.find('['), client.rfind(']')) {
        (Some(a), Some(b)) if a < b => &client[a + 1..b],
        _ => client,
    }
}

/// The table key of a reply code: its three digits, or `none`.
struct CodeKey([u8; 4]);

impl CodeKey {
    fn new(code: Option<ReplyCode>) -> Self {
        match code {
            Some(c) => {
                let n = c.get();
                // ReplyCode is always 100..600: three ASCII digits.
                let d = |v: u16| b'0' + (v % 10) as u8;
                CodeKey([d(n / 100), d(n / 10), d(n), 3])
            }
            None => CodeKey(*b"non\0"),
        }
    }
    fn as_str(&self) -> &str {
        if self.0[3] == 3 {
            std::str::from_utf8(&self.0[..3]).unwrap_or("none")
        } else {
            "none"
        }
    }
}

fn code_key(code: Option<ReplyCode>) -> CodeKey {
    CodeKey::new(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lines: &str, options: Options, trace: Option<&str>) -> (Summary, Vec<Record>) {
        let mut a = Analyzer::new(options);
        if let Some(t) = trace {
            a.trace(t);
        }
        let mut records = Vec::new();
        let read = a.read(&mut lines.as_bytes(), &mut |r| records.push(r));
        assert!(read.is_ok());
        let (s, rest) = a.finish();
        records.extend(rest);
        (s, records)
    }

    /// The failure records among `records`.
    fn failures_of(records: &[Record]) -> Vec<&Failure> {
        records
            .iter()
            .filter_map(|r| match r {
                Record::Failure(f) => Some(&**f),
                _ => None,
            })
            .collect()
    }

    /// A day of one small server (shared with the CLI tests).
    const LOG: &str = include_str!("../tests/data/one-day.log");

    #[test]
    fn counts_and_tables() {
        let (s, records) = run(LOG, Options::default(), None);
        assert!(records.is_empty());
        assert_eq!(s.lines, 17);
        assert_eq!(
            (s.unparsed_lines, s.unknown_lines, s.other_program_lines),
            (1, 1, 1)
        );
        assert_eq!(s.received.get("submission"), Some(&1));
        assert_eq!((s.sent.lines, s.deferred.lines, s.bounced.lines), (2, 1, 1));
        assert_eq!(s.sent.by_domain.get("gmail.com"), Some(&1));
        assert_eq!(s.deferred.by_reply_code.get("none"), Some(&1));
        assert_eq!(s.bounced.by_reply_code.get("550"), Some(&1));
        assert_eq!((s.deferred.messages, s.deferred.recipients), (1, 1));
        assert_eq!((s.expired.messages, s.expired.recipients), (1, 1));
        assert_eq!(
            s.recipients,
            RecipientTally {
                delivered: 2,
                bounced: 1,
                expired: 1
            }
        );
        assert_eq!((s.removed, s.notifications, s.rejects.total), (2, 1, 1));
        assert_eq!(s.rejects.by_category.get("blocked"), Some(&1));
        assert_eq!(s.failures.by_category.get("connectiontimeout"), Some(&1));
        assert_eq!(s.failures.by_category.get("userunknown"), Some(&1));
        assert_eq!(s.failures.by_category.get("expired"), Some(&1));
        assert_eq!(s.messages, 3);
        assert_eq!(s.open_at_end, 1);
        assert_eq!(s.first_timestamp.as_deref(), Some("Mar  1 00:00:01"));
        assert_eq!(s.last_timestamp.as_deref(), Some("Mar  1 01:00:07"));
    }

    #[test]
    fn failures_and_unknown_records() {
        let opts = Options {
            failures: true,
            unknown: true,
        };
        let (_, records) = run(LOG, opts, None);
        let failures = failures_of(&records);
        assert_eq!(failures.len(), 4);
        assert_eq!(failures[0].kind, FailureKind::Deferred);
        assert_eq!(failures[0].message_id.as_deref(), Some("m1@example.com"));
        assert_eq!(failures[1].finding.category.as_str(), "userunknown");
        assert_eq!(failures[2].kind, FailureKind::Rejected);
        assert_eq!(failures[2].client.as_deref(), Some("unknown[192.0.2.99]"));
        assert_eq!(failures[3].kind, FailureKind::Expired);
        let unknown = records
            .iter()
            .filter(|r| matches!(r, Record::Unknown { .. }))
            .count();
        assert_eq!(unknown, 2);
    }

    #[test]
    fn trace_follows_the_bounce_to_its_notification() {
        for needle in ["1A2B3C4D5E", "<m1@example.com>", "c@dead.example"] {
            let (_, records) = run(LOG, Options::default(), Some(needle));
            let traces: Vec<&Trace> = records
                .iter()
                .filter_map(|r| match r {
                    Record::Trace(t) => Some(&**t),
                    _ => None,
                })
                .collect();
            assert_eq!(traces.len(), 2, "{needle}");
            assert_eq!(traces[0].queue_id, "1A2B3C4D5E");
            assert_eq!(traces[0].notification_id.as_deref(), Some("9F8E7D6C5B"));
            assert_eq!(traces[0].events.len(), 8);
            assert!(traces[0].complete);
            assert_eq!(traces[1].notification_for.as_deref(), Some("1A2B3C4D5E"));
        }
    }

    #[test]
    fn queue_id_reuse_opens_a_new_message() {
        let log = "\
Mar  1 00:00:01 mx1 postfix/smtpd[1]: ABCDE12345: client=a[203.0.113.11]
Mar  1 00:00:02 mx1 postfix/smtp[2]: ABCDE12345: to=<x@y.z>, relay=r[203.0.113.22]:25, delay=1, delays=0/0/0/1, dsn=4.0.0, status=deferred (host r[203.0.113.22] said: 451 try later (in reply to RCPT TO command))
Mar  2 00:00:01 mx1 postfix/smtpd[1]: ABCDE12345: client=b[203.0.113.33]
Mar  2 00:00:02 mx1 postfix/smtp[2]: ABCDE12345: to=<x@y.z>, relay=r[203.0.113.22]:25, delay=1, delays=0/0/0/1, dsn=4.0.0, status=deferred (host r[203.0.113.22] said: 451 try later (in reply to RCPT TO command))
";
        let (s, _) = run(log, Options::default(), None);
        assert_eq!(
            (s.messages, s.queue_id_reuses, s.deferred.messages),
            (2, 1, 2)
        );
    }

    /// Feeds `lines` one by one; returns the summary, the records and the most messages open
    /// at once.
    fn run_counting_open(lines: &[String], options: Options) -> (Summary, Vec<Record>, usize) {
        let mut a = Analyzer::new(options);
        let mut most = 0;
        let mut records = Vec::new();
        for l in lines {
            a.push_line(l.as_bytes(), l.len());
            most = most.max(a.open_messages());
            records.extend(a.records());
        }
        let (s, rest) = a.finish();
        records.extend(rest);
        (s, records, most)
    }

    /// The lines `story` writes for each of `n` messages, in turn; those it writes to its
    /// second vector (retries) come ten messages later.
    fn log_of(
        n: usize,
        mut story: impl FnMut(usize, &mut Vec<String>, &mut Vec<String>),
    ) -> Vec<String> {
        let mut lines = Vec::new();
        let mut retries = Vec::new();
        let mut later: VecDeque<(usize, String)> = VecDeque::new();
        for i in 0..n {
            story(i, &mut lines, &mut retries);
            later.extend(retries.drain(..).map(|l| (i + 10, l)));
            while later.front().is_some_and(|(at, _)| *at <= i) {
                lines.extend(later.pop_front().map(|(_, l)| l));
            }
        }
        lines.extend(later.into_iter().map(|(_, l)| l));
        lines
    }

    /// A Sendmail log of `n` messages, each of them one of five stories: two recipients on
    /// one line, on two lines, one deferred and sent on a later queue run, one bounced with
    /// its DSN, one recipient expired with its DSN. Retries come ten messages later.
    fn sendmail_log(n: usize) -> Vec<String> {
        let p = "Mar  1 00:00:01 mx sm-mta[100]:";
        let d = "delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=1, relay=mx.example.net. [192.0.2.9]";
        log_of(n, |i, lines, retries| {
            let q = format!("t5NH{i:04X}{i:06}");
            let dsn = format!("t5NI{i:04X}{i:06}");
            let nrcpts = if i % 5 == 4 { 1 } else { 2 };
            lines.push(format!("{p} {q}: from=<s{i}@example.com>, size=10, class=0, nrcpts={nrcpts}, msgid=<{i}@example.com>, proto=ESMTP, daemon=MTA, relay=c.example.com [192.0.2.1]"));
            let (a, b) = (format!("a{i}@example.net"), format!("b{i}@example.net"));
            match i % 5 {
                0 => lines.push(format!(
                    "{p} {q}: to=<{a}>,<{b}>, {d}, dsn=2.0.0, stat=Sent (ok)"
                )),
                1 => {
                    lines.push(format!("{p} {q}: to=<{a}>, {d}, dsn=2.0.0, stat=Sent (ok)"));
                    lines.push(format!("{p} {q}: to=<{b}>, {d}, dsn=2.0.0, stat=Sent (ok)"));
                }
                2 => {
                    lines.push(format!("{p} {q}: to=<{a}>,<{b}>, {d}, dsn=4.3.0, stat=Deferred: 451 4.3.0 try later"));
                    retries.push(format!("{p} {q}: to=<{a}>, {d}, dsn=2.0.0, stat=Sent (ok)"));
                    retries.push(format!("{p} {q}: to=<{b}>, {d}, dsn=2.0.0, stat=Sent (ok)"));
                }
                3 => {
                    lines.push(format!("{p} {q}: to=<{a}>, {d}, dsn=2.0.0, stat=Sent (ok)"));
                    lines.push(format!(
                        "{p} {q}: to=<{b}>, {d}, dsn=5.1.1, stat=User unknown"
                    ));
                    lines.push(format!("{p} {q}: {dsn}: DSN: User unknown"));
                    lines.push(format!("{p} {dsn}: to=<s{i}@example.com>, delay=00:00:00, mailer=local, pri=1, dsn=2.0.0, stat=Sent"));
                }
                _ => {
                    lines.push(format!("{p} {q}: to=<{a}>, {d}, dsn=4.4.1, stat=Deferred: Connection timed out with mx.example.net."));
                    retries.push(format!("{p} {q}: to=<{a}>, delay=5+00:00:01, mailer=esmtp, pri=1, dsn=4.4.7, stat=Cannot send message for 5 days"));
                    retries.push(format!(
                        "{p} {q}: {dsn}: DSN: Cannot send message for 5 days"
                    ));
                    retries.push(format!("{p} {dsn}: to=<s{i}@example.com>, delay=00:00:00, mailer=local, pri=1, dsn=2.0.0, stat=Sent"));
                }
            }
        })
    }

    #[test]
    fn sendmail_messages_close_when_every_recipient_is_final() {
        let n = 2000;
        let (s, _, most) = run_counting_open(&sendmail_log(n), Options::default());
        let n = n as u64;
        let dsns = 2 * n / 5;
        assert_eq!(s.open_at_end, 0);
        assert_eq!((s.messages, s.queue_id_reuses), (n + dsns, 0));
        assert!(most < 40, "at most {most} messages open at once");
        assert_eq!(s.notifications, dsns);
        assert_eq!(
            s.recipients,
            RecipientTally {
                delivered: 7 * n / 5 + dsns,
                bounced: n / 5,
                expired: n / 5,
            }
        );
        assert_eq!((s.expired.messages, s.expired.recipients), (n / 5, n / 5));
        assert_eq!(
            (s.deferred.messages, s.deferred.recipients),
            (2 * n / 5, 3 * n / 5)
        );
        assert_eq!(s.sent.messages, 4 * n / 5 + dsns);
    }

    #[test]
    fn a_deferred_recipient_keeps_its_message_open_until_its_final_status() {
        let log = sendmail_log(3);
        let mut a = Analyzer::default();
        // Message 2: its from= line and the deferral of both recipients.
        let deferred = log
            .iter()
            .position(|l| l.contains("t5NH0002000002: to=") && l.contains("Deferred"))
            .expect("a deferral");
        for l in &log[..=deferred] {
            a.push_line(l.as_bytes(), l.len());
        }
        assert_eq!(a.open_messages(), 1, "the deferred message");
        let sent: Vec<&String> = log
            .iter()
            .filter(|l| l.contains("t5NH0002000002: to=") && l.contains("Sent"))
            .collect();
        assert_eq!(sent.len(), 2);
        a.push_line(sent[0].as_bytes(), sent[0].len());
        assert_eq!(a.open_messages(), 1, "one recipient still deferred");
        a.push_line(sent[1].as_bytes(), sent[1].len());
        assert_eq!(a.open_messages(), 0);
        let (s, _) = a.finish();
        // Messages 0 and 1 were delivered to both recipients before.
        assert_eq!((s.open_at_end, s.recipients.delivered), (0, 6));
    }

    #[test]
    fn sendmail_queue_id_reuse_and_reports_without_a_link() {
        let p = "Mar  1 00:00:01 mx sm-mta[100]: t5NHS1qY012345:";
        let from = format!("{p} from=<a@example.com>, size=1, class=0, nrcpts=1, proto=ESMTP, daemon=MTA, relay=[192.0.2.1]");
        let sent = format!("{p} to=<b@example.net>, delay=00:00:01, mailer=esmtp, pri=1, dsn=2.0.0, stat=Sent (ok)");
        let bounced = format!("{p} to=<b@example.net>, delay=00:00:01, mailer=esmtp, pri=1, dsn=5.1.1, stat=User unknown");
        // Closed, then its ID given to a new message; bounced and never linked to a DSN, then
        // reused while it waits for the link: neither is a reuse of an open message.
        let log = [&from, &sent, &from, &bounced, &from, &sent].map(|l| l.to_string());
        let (s, _, _) = run_counting_open(&log, Options::default());
        assert_eq!((s.messages, s.queue_id_reuses, s.open_at_end), (3, 0, 0));
        assert_eq!((s.recipients.delivered, s.recipients.bounced), (2, 1));
        // A bounce without its DSN line closes after LINGER_LINES more lines.
        let mut log = vec![from.clone(), bounced.clone()];
        let noise = "Mar  1 00:00:01 mx sm-mta[100]: STARTTLS=client, relay=x".to_string();
        log.extend(std::iter::repeat_n(noise, LINGER_LINES as usize));
        let mut a = Analyzer::default();
        for (i, l) in log.iter().enumerate() {
            a.push_line(l.as_bytes(), l.len());
            // Open from its from= line (0) through LINGER_LINES lines after its last status.
            let want = usize::from(i as u64 <= LINGER_LINES);
            assert_eq!(a.open_messages(), want, "after line {}", i + 1);
        }
        // A DSN linked after the message closed neither opens it again nor is lost.
        let link = format!("{p} t5NHS2qY012346: DSN: User unknown");
        a.push_line(link.as_bytes(), link.len());
        assert_eq!(a.open_messages(), 1, "the DSN only");
        let (s, _) = a.finish();
        assert_eq!((s.messages, s.notifications, s.open_at_end), (2, 1, 1));
    }

    #[test]
    fn sendmail_done_lines_close_or_are_only_counted() {
        let p = "Mar  1 00:00:01 mx sm-mta[100]: t5NHS1qY012345:";
        let q = "Mar  1 00:00:02 mx sm-mta[100]: t5NHS3qY012347:";
        let log = [
            // Two recipients accepted, one to= line seen (the other lost): done; closes it.
            format!("{p} from=<a@example.com>, size=1, class=0, nrcpts=2, proto=ESMTP, daemon=MTA, relay=[192.0.2.1]"),
            format!("{p} to=<b@example.net>, delay=00:00:01, mailer=esmtp, pri=1, dsn=2.0.0, stat=Sent (ok)"),
            format!("{p} done; delay=00:00:01, ntries=1"),
            // Closed at its last final status already: done; is counted, nothing reopened.
            format!("{q} from=<a@example.com>, size=1, class=0, nrcpts=1, proto=ESMTP, daemon=MTA, relay=[192.0.2.1]"),
            format!("{q} to=<c@example.net>, delay=00:00:01, mailer=esmtp, pri=1, dsn=2.0.0, stat=Sent (ok)"),
            format!("{q} done; delay=00:00:01, ntries=1"),
        ]
        .join("\n");
        for trace in [None, Some("t5NHS3qY012347")] {
            let (s, records) = run(&log, Options::default(), trace);
            assert_eq!(
                (s.messages, s.removed, s.open_at_end),
                (2, 2, 0),
                "{trace:?}"
            );
            let traces = records
                .iter()
                .filter(|r| matches!(r, Record::Trace(t) if t.complete))
                .count();
            assert_eq!(traces, usize::from(trace.is_some()));
        }
    }

    #[test]
    fn an_opensmtpd_tempfail_keeps_its_message_open_until_its_final_result() {
        let log = opensmtpd_log(2);
        let msg = "10000001";
        let tempfail = log
            .iter()
            .position(|l| l.contains(&format!("evpid={msg}00000002")) && l.contains("TempFail"))
            .expect("a TempFail");
        let mut a = Analyzer::default();
        for l in &log[..=tempfail] {
            a.push_line(l.as_bytes(), l.len());
        }
        assert_eq!(a.open_messages(), 1, "message 1 waits for its retry");
        for l in &log[tempfail + 1..] {
            a.push_line(l.as_bytes(), l.len());
        }
        assert_eq!(a.open_messages(), 0);
    }

    /// An OpenSMTPD foreground log (`smtpd -d`, no timestamps) of `n` messages of two
    /// recipients: both delivered; one deferred, then delivered; one refused by the next hop,
    /// with the bounce the server sends itself; and a refused client, all in sessions.
    fn opensmtpd_log(n: usize) -> Vec<String> {
        let mta = "f296e8e87f55994c mta delivery";
        let tail = "source=\"192.0.2.25\" relay=\"198.51.100.7 (mx.example.net)\" delay=1s";
        log_of(n, |i, lines, retries| {
            let (sid, msg) = (
                format!("{:016x}", 0xa000_0000u64 + i as u64),
                format!("{:08x}", 0x1000_0000 + i),
            );
            let (e1, e2) = (format!("{msg}00000001"), format!("{msg}00000002"));
            let (a, b) = (format!("a{i}@example.net"), format!("b{i}@example.net"));
            lines.push(format!(
                "{sid} smtp connected address=192.0.2.{} host=c{i}.example.com",
                i % 200
            ));
            lines.push(format!(
                "{sid} smtp message msgid={msg} size=600 nrcpt=2 proto=ESMTP"
            ));
            lines.push(format!(
                "{sid} smtp envelope evpid={e1} from=<s{i}@example.com> to=<{a}>"
            ));
            lines.push(format!(
                "{sid} smtp envelope evpid={e2} from=<s{i}@example.com> to=<{b}>"
            ));
            lines.push(format!("{sid} smtp disconnected reason=quit"));
            let delivery = |e: &str, to: &str, result: &str, stat: &str| {
                format!("{mta} evpid={e} from=<s{i}@example.com> to=<{to}> rcpt=<-> {tail} result=\"{result}\" stat=\"{stat}\"")
            };
            lines.push(delivery(&e1, &a, "Ok", "250 2.0.0 Ok"));
            match i % 3 {
                0 => lines.push(delivery(&e2, &b, "Ok", "250 2.0.0 Ok")),
                1 => {
                    lines.push(delivery(&e2, &b, "TempFail", "421 4.7.0 Try again later"));
                    retries.push(delivery(&e2, &b, "Ok", "250 2.0.0 Ok"));
                }
                _ => {
                    lines.push(delivery(&e2, &b, "PermFail", "550 5.1.1 No such user"));
                    let (bsid, bmsg) = (
                        format!("{:016x}", 0xb000_0000u64 + i as u64),
                        format!("{:08x}", 0x2000_0000 + i),
                    );
                    lines.push(format!(
                        "{bsid} smtp connected address=local host=mx.example.com"
                    ));
                    lines.push(format!(
                        "{bsid} smtp message msgid={bmsg} size=2043 nrcpt=1 proto=ESMTP"
                    ));
                    lines.push(format!(
                        "{bsid} smtp envelope evpid={bmsg}00000001 from=<> to=<s{i}@example.com>"
                    ));
                    lines.push(format!("{bsid} smtp disconnected reason=quit"));
                    lines.push(format!("f296e8e87f55994d mda delivery evpid={bmsg}00000001 from=<> to=<s{i}@example.com> rcpt=<-> user=s delay=0s result=Ok stat=Delivered"));
                }
            }
        })
    }

    #[test]
    fn opensmtpd_messages_close_when_every_envelope_is_final() {
        let n = 3000;
        let (s, records, most) = run_counting_open(
            &opensmtpd_log(n),
            Options {
                failures: true,
                unknown: true,
            },
        );
        let n = n as u64;
        assert_eq!(s.open_at_end, 0);
        assert_eq!((s.messages, s.queue_id_reuses), (n + n / 3, 0));
        assert!(most < 40, "at most {most} messages open at once");
        assert_eq!(
            s.recipients,
            RecipientTally {
                delivered: 2 * n - n / 3 + n / 3,
                bounced: n / 3,
                expired: 0,
            }
        );
        assert_eq!((s.deferred.messages, s.bounced.messages), (n / 3, n / 3));
        assert_eq!(s.unknown_lines + s.unparsed_lines, 0);
        // Lines without a timestamp: records say so, not an empty time.
        let failures = failures_of(&records);
        assert_eq!(failures.len() as u64, 2 * n / 3);
        assert!(failures.iter().all(|f| f.timestamp.is_none()));
        assert_eq!(
            (s.first_timestamp.as_deref(), s.last_timestamp.as_deref()),
            (None, None)
        );
    }

    #[test]
    fn opensmtpd_refusals_name_the_client_of_their_session() {
        let log = "\
Mar  1 00:00:01 mx smtpd[1]: 6ec5818e3f3334c6 smtp connected address=192.0.2.7 host=c.example.com
Mar  1 00:00:01 mx smtpd[1]: 6ec5818e3f3334c7 smtp connected address=2001:db8::7 host=<unknown>
Mar  1 00:00:02 mx smtpd[1]: 6ec5818e3f3334c6 smtp failed-command command=\"RCPT TO:<x@elsewhere.invalid>\" result=\"550 Invalid recipient: <x@elsewhere.invalid>\"
Mar  1 00:00:02 mx smtpd[1]: 6ec5818e3f3334c7 smtp failed-command command=\"\" result=\"550 no rDNS please fix\"
Mar  1 00:00:03 mx smtpd[1]: 6ec5818e3f3334c6 smtp disconnected reason=quit
Mar  1 00:00:04 mx smtpd[1]: 6ec5818e3f3334c6 smtp failed-command command=\"MAIL FROM:<y@example.org>\" result=\"550 go away\"
Mar  1 00:00:05 mx smtpd[1]: smtp-in: New session 08d856b172f69c5c from host ix.example.com [192.0.2.8]
Mar  1 00:00:05 mx smtpd[1]: smtp-in: Failed command on session 08d856b172f69c5c: \"MAIL FROM:<r@example.com>  \" => 421 4.3.0: Temporary Error
";
        let (s, records) = run(
            log,
            Options {
                failures: true,
                unknown: false,
            },
            None,
        );
        let clients: Vec<Option<&str>> = records
            .iter()
            .filter_map(|r| match r {
                Record::Failure(f) => Some(f.client.as_deref()),
                _ => None,
            })
            .collect();
        assert_eq!(
            clients,
            [
                Some("c.example.com[192.0.2.7]"),
                Some("<unknown>[2001:db8::7]"),
                Some(""),
                Some("ix.example.com[192.0.2.8]")
            ],
            "the disconnected session's client is forgotten"
        );
        let by_client: Vec<(&str, u64)> = s
            .rejects
            .by_client
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            by_client,
            [("192.0.2.7", 1), ("192.0.2.8", 1), ("2001:db8::7", 1)]
        );
        assert_eq!(s.rejects.total, 4);
    }

    #[test]
    fn opensmtpd_sessions_stay_bounded() {
        let mut a = Analyzer::default();
        for i in 0..(3 * MAX_SESSIONS) {
            let l = format!("{i:016x} smtp connected address=192.0.2.1 host=h");
            a.push_line(l.as_bytes(), l.len());
            assert!(a.sessions.len() <= MAX_SESSIONS);
        }
    }

    #[test]
    fn finished_messages_are_dropped_and_the_open_ones_capped() {
        let mut a = Analyzer::default();
        let mut sink = |_: Record| {};
        let done = LOG.lines().take(12).collect::<Vec<_>>().join("\n");
        assert!(a.read(&mut done.as_bytes(), &mut sink).is_ok());
        assert_eq!(a.open_messages(), 0, "both messages left the queue");
        a.set_max_open(100);
        let mut log = String::new();
        for i in 0..1000u32 {
            log.push_str(&format!(
                "Mar  1 00:00:01 mx1 postfix/smtpd[1]: {i:010X}: client=a[192.0.2.1]\n"
            ));
        }
        assert!(a.read(&mut log.as_bytes(), &mut sink).is_ok());
        assert!(a.open_messages() <= 100, "{}", a.open_messages());
        let (s, _) = a.finish();
        assert_eq!(s.messages, 1002);
        assert_eq!(s.flushed_open + s.open_at_end, 1000);
        assert!(s.flushed_open >= 900, "{}", s.flushed_open);
    }

    #[test]
    fn the_window_skips_lines_and_their_continuations() {
        use crate::time::{Clock, Window};
        let at = |s: &str| s.parse::<jiff::Timestamp>().ok().map(|t| t.as_second());
        let clock = Clock {
            tz: jiff::tz::TimeZone::UTC,
            year: Some(2026),
        };
        let mut a = Analyzer::new(Options::default());
        a.set_window(Window::new(
            at("2026-03-01T00:30:00Z"),
            at("2026-03-01T01:00:04Z"),
            clock,
        ));
        a.start_input(None);
        let mut sink = |_: Record| {};
        assert!(a.read(&mut LOG.as_bytes(), &mut sink).is_ok());
        let (s, _) = a.finish();
        // 01:00:02 and 01:00:03 are inside; the first five lines, the reject at 01:00:04 and
        // everything after it (the line without a prefix goes with the one before) are not.
        assert_eq!(s.outside_window, 5 + 5);
        assert_eq!((s.sent.lines, s.bounced.lines, s.deferred.lines), (1, 1, 0));
        assert_eq!(s.rejects.total, 0);
        assert_eq!(s.first_timestamp.as_deref(), Some("Mar  1 01:00:02"));
        assert_eq!(s.last_timestamp.as_deref(), Some("Mar  1 01:00:03"));
    }

    #[test]
    fn hostile_input_never_panics() {
        let mut a = Analyzer::new(Options {
            failures: true,
            unknown: true,
        });
        a.trace("x");
        let huge = vec![b'A'; 1 << 20];
        a.push_line(&huge[..MAX_LINE], huge.len());
        a.push_line(b"\0\0\0\xff\xfe", 5);
        let mut seed = 7u64;
        for _ in 0..20_000 {
            let mut line = b"Mar  1 00:00:01 h postfix/smtp[1]: ABCDE12345: to=<".to_vec();
            for _ in 0..(seed % 40) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let alphabet = b"<>=,;:()[] @.x5/\xc3";
                line.push(alphabet[(seed >> 40) as usize % alphabet.len()]);
            }
            let cut = (seed as usize) % (line.len() + 1);
            a.push_line(&line[..cut], cut);
            a.push_line(&line, line.len());
        }
        let (s, _) = a.finish();
        assert_eq!(s.truncated_lines, 1);
        assert!(s.lossy_lines >= 1);
    }
}
