//! Vendor heuristics for bounces without a usable DSN part, as data: which phrases name an MTA or
//! provider's format, which make a message a bounce, and where the copy of the original message
//! starts. The code that uses the tables is the same for every vendor: no per-format code.

use crate::text;
use crate::Parts;
use daachorse::DoubleArrayAhoCorasick;
use smtp_doctor_model::Stage;
use std::sync::LazyLock;

/// A multi-pattern automaton whose match values are table indexes.
type Automaton = DoubleArrayAhoCorasick<usize>;

/// (format name, marker phrases): the first format one of whose markers appears (lower case) in
/// the headers, subject or body names the report's format. Specific names come before the MTAs
/// they run on.
const FORMATS: &[(&str, &[&str])] = &[
    ("amazonses", &["amazonses.com", "x-ses-outgoing"]),
    ("amazonworkmail", &["amazon workmail", "awsapps.com"]),
    (
        "office365",
        &[
            "outlook.com",
            "protection.outlook.com",
            "office365",
            "x-ms-exchange-crosstenant",
        ],
    ),
    ("outlook", &["hotmail.com", "live.com", "msn.com"]),
    (
        "gmail",
        &[
            "google tried to deliver",
            "mail.gmail.com",
            "googlemail.com",
            "gsmtp",
            "delivery to the following recipient failed",
        ],
    ),
    ("googlegroups", &["google groups", "googlegroups.com"]),
    ("yahoo", &["yahoo.com", "yahoo! mail", "yahoo japan"]),
    ("aol", &["aol.com"]),
    ("mailru", &["mail.ru", "corp.mail.ru"]),
    ("gmx", &["gmx.net", "gmx.de", "gmx.com", "web.de"]),
    ("zoho", &["zoho.com", "zoho mail"]),
    ("kddi", &["kddi", "ezweb.ne.jp", "au.com"]),
    ("docomo", &["docomo.ne.jp"]),
    ("softbank", &["softbank.ne.jp", "vodafone.ne.jp"]),
    ("biglobe", &["biglobe.ne.jp"]),
    ("einsundeins", &["1und1", "1&1", "kundenserver.de"]),
    ("verizon", &["verizon"]),
    ("mimecast", &["mimecast"]),
    ("trendmicro", &["trend micro", "interscan"]),
    ("mcafee", &["mcafee"]),
    ("mxlogic", &["mxlogic"]),
    ("mailfoundry", &["mailfoundry"]),
    ("mailmarshal", &["mailmarshal"]),
    ("activehunter", &["activehunter"]),
    ("mfilter", &["mfilter"]),
    ("fml", &["fml "]),
    ("imailserver", &["imail", "ipswitch"]),
    ("apachejames", &["apache james", "james "]),
    ("domino", &["lotus domino", "domino", "lotus notes"]),
    ("notes", &["notes"]),
    (
        "exchange",
        &[
            "microsoft exchange",
            "x-ms-exchange",
            "exchange server",
            "delivery has failed to these recipients",
            "microsoftexchange",
        ],
    ),
    (
        "messagingserver",
        &[
            "sun java system messaging server",
            "oracle communications messaging",
            "iplanet messaging",
        ],
    ),
    ("dragonfly", &["dragonfly mail agent"]),
    ("opensmtpd", &["opensmtpd", "this is the mailer-daemon at"]),
    ("qmail", &["qmail-send", "qmail"]),
    (
        "exim",
        &[
            "this message was created automatically by mail delivery software",
            "x-failed-recipients",
            "exim",
        ],
    ),
    ("postfix", &["postfix", "this is the mail system at host"]),
    ("courier", &["courier mail server", "courier"]),
    (
        "sendmail",
        &[
            "sendmail",
            "----- transcript of session follows -----",
            "the original message was received at",
        ],
    ),
];

/// Subject phrases (lower case) of bounces.
const BOUNCE_SUBJECTS: &[&str] = &[
    "undeliver",
    "undelivered",
    "delivery status notification",
    "delivery failure",
    "delivery failed",
    "delivery notification",
    "failure notice",
    "failed delivery",
    "returned mail",
    "return mail",
    "mail delivery failed",
    "mail delivery system",
    "mail system error",
    "non-delivery",
    "nondeliverable",
    "non remis",
    "not delivered",
    "could not be delivered",
    "delivery problem",
    "delivery error",
    "message delivery",
    "mail failure",
    "permanent error",
    "rejected",
    "unzustellbar",
    "nicht zustellbar",
    "onbestelbaar",
    "no se puede entregar",
    "error sending",
    "delivery report",
    "bounce",
    "warning: could not send",
    "mail could not be delivered",
    "message you sent",
    "unable to deliver",
    "notification",
    "returned to sender",
    "returning to sender",
    "エラー通知",
    "配信できません",
    "送信できません",
    // A mailing-list manager refusing a post (fml): with its header (LIST_SERVER_HEADERS) only.
    "are not member",
    "not member article",
    "loop alert",
    "loop back warning",
];

/// Header fields that a mailing-list manager writes into its own notices (fml's X-MLServer): a
/// notice with one that refuses a post (subject or body phrase) is a bounce, as one from a mail
/// system would be. List traffic carries them too, hence the phrase.
const LIST_SERVER_HEADERS: &[&str] = &["X-MLServer", "X-ML-Server"];

/// Body phrases (lower case) that only bounces say.
const BOUNCE_PHRASES: &[&str] = &[
    "could not be delivered",
    "couldn't be delivered",
    "wasn't able to deliver",
    "was not able to deliver",
    "unable to deliver",
    "delivery has failed",
    "delivery to the following recipient",
    "the following address(es) failed",
    "permanent fatal errors",
    "undeliverable",
    "could not deliver",
    "failed to deliver",
    "delivery failed",
    "message was not delivered",
    "was undeliverable",
    "not be delivered",
    "error delivering your mail",
    "returned to the sender",
    "delivery status notification",
    "your message did not reach",
    "your message to",
    "mail delivery failed",
    "message could not be sent",
    "the following recipient",
    "following addresses",
    "following address",
    "the error that the other server returned",
    "message delivery to",
    "did not reach the following recipient",
    "has not been delivered",
    "has not yet been delivered",
    "created automatically by mail delivery software",
    "cannot be delivered",
    "bounced",
    "transcript of session follows",
    "failed addresses follow",
    "error message below",
    "送信できませんでした",
    "配信できませんでした",
];

/// Line starts (lower case) where the copy of the original message begins, after the quote
/// marks, spaces, bars and dashes that lines start with are taken off.
const ORIGINAL_MARKERS: &[&str] = &[
    "below this line is a copy",
    "this is a copy of the message",
    "this is a copy of your message",
    "message headers follow",
    "original message ---",
    "original message-----",
    "original message follows",
    "original message header",
    "the header of the original message",
    "unsent message follows",
    "failed message header",
    "original message:",
    "message header follows",
    "the original message was:",
    "returned message --------",
    "returned message follows",
    "message text follows",
    "content-type: message/rfc822",
    "forwarded message ----------",
    "return-path:",
    "received: from",
    "x-original-to:",
    "original mail as follows",
];

/// Phrases (lower case) that introduce the list of failed recipients: addresses named before the
/// first of them (Exchange's summary of the message, "Your message to ...") are set aside.
const RECIPIENT_LIST_MARKERS: &[&str] = &[
    "following recipient",
    "following address",
    "following e-mail address",
    "following email address",
];

/// Local parts and names that mail systems send bounces from (lower case).
const BOUNCE_SENDERS: &[&str] = &[
    "mailer-daemon",
    "postmaster",
    "post_master",
    "mail delivery",
    "mail-daemon",
    "mailerdaemon",
    "bounce",
    "bounces",
    "mdaemon",
    "nobody",
];

/// Phrases (lower case) that name the SMTP command a reply answered, and the stage they mean.
/// The last one in a text is the command the error answered (a transcript ends with it).
const STAGE_MARKERS: &[(&str, Stage)] = &[
    (">>> data", Stage::Data),
    ("in reply to end of data", Stage::Data),
    ("in reply to data", Stage::Data),
    ("after end of data", Stage::Data),
    ("after data", Stage::Data),
    ("during data", Stage::Data),
    ("did not like our final data", Stage::Data),
    ("did not like our data", Stage::Data),
    ("sending message body", Stage::Data),
    ("sending end of data", Stage::Data),
    (">>> rcpt to", Stage::Rcpt),
    ("in reply to rcpt to", Stage::Rcpt),
    ("did not like our rcpt to", Stage::Rcpt),
    ("after rcpt to", Stage::Rcpt),
    ("rcpt to response", Stage::Rcpt),
    (">>> mail from", Stage::Mail),
    ("in reply to mail from", Stage::Mail),
    ("after mail from", Stage::Mail),
    ("did not like our mail from", Stage::Mail),
    // The server's greeting: Postfix's "host X refused to talk to me", Exim's "after initial
    // connection".
    ("refused to talk to me", Stage::Banner),
    ("after initial connection", Stage::Banner),
    ("in reply to initial greeting", Stage::Banner),
];

/// SMTP command words as MTAs print them in transcripts and replies (upper case, whole words:
/// `RCPT TO`, `end of DATA`), and the stage each means.
const COMMAND_WORDS: &[(&str, Stage)] = &[
    ("RCPT", Stage::Rcpt),
    ("RCPT_TO", Stage::Rcpt),
    ("DATA", Stage::Data),
    ("MAIL FROM", Stage::Mail),
    ("MAIL From", Stage::Mail),
    ("EHLO", Stage::Ehlo),
    ("HELO", Stage::Ehlo),
    ("STARTTLS", Stage::StartTls),
];

/// The SMTP stage the text says the error answered: the last stage marker (a phrase in any
/// case, or an upper-case command word) in it, since a transcript ends with the failing command.
pub(crate) fn stage_in(text: &str) -> Option<Stage> {
    // One pass of one automaton over the lower-case text finds the phrases and the command words
    // (a word then counts only where the text has it as written).
    let (automaton, _) = STAGE_AUTOMATON.as_ref()?;
    let lower = text.to_ascii_lowercase();
    let hits = automaton
        .find_overlapping_iter(&lower)
        .map(|m| (m.start(), m.end(), m.value()));
    last_stage(text.as_bytes(), hits)
}

/// The stage of the last stage marker among `hits` (start, end, index of a [`STAGE_AUTOMATON`]
/// pattern) found in the lower case of `b`, in any order.
fn last_stage(b: &[u8], hits: impl Iterator<Item = (usize, usize, usize)>) -> Option<Stage> {
    let (_, patterns) = STAGE_AUTOMATON.as_ref()?;
    let mut last: Option<(usize, usize)> = None;
    for (start, end, at) in hits {
        let pattern = &patterns[at];
        let words = pattern.words.iter().filter(|&&w| {
            b.get(start..end) == Some(COMMAND_WORDS[w].0.as_bytes()) && stands_alone(b, start, end)
        });
        let found = pattern
            .phrase
            .into_iter()
            .chain(words.map(|w| STAGE_MARKERS.len() + w));
        // The last one; at the same offset, the one listed last (phrases before words).
        for i in found {
            last = last.max(Some((start, i)));
        }
    }
    let (_, i) = last?;
    STAGE_MARKERS
        .iter()
        .chain(COMMAND_WORDS)
        .nth(i)
        .map(|(_, stage)| *stage)
}

/// One pattern of [`STAGE_AUTOMATON`] (lower case): the [`STAGE_MARKERS`] phrase it is, if any,
/// and the [`COMMAND_WORDS`] that it is the lower case of.
struct StagePattern {
    /// The pattern.
    name: String,
    phrase: Option<usize>,
    words: Vec<usize>,
}

/// The automaton of [`STAGE_MARKERS`] and [`COMMAND_WORDS`] in lower case, each match's value
/// its index in the pattern table beside it.
static STAGE_AUTOMATON: LazyLock<Option<(Automaton, Vec<StagePattern>)>> = LazyLock::new(|| {
    let mut patterns: Vec<StagePattern> = Vec::new();
    let mut slot = |name: String| match patterns.iter().position(|p| p.name == name) {
        Some(i) => i,
        None => {
            patterns.push(StagePattern {
                name,
                phrase: None,
                words: Vec::new(),
            });
            patterns.len() - 1
        }
    };
    let mut entries = Vec::new();
    for (i, (m, _)) in STAGE_MARKERS.iter().enumerate() {
        entries.push((slot(m.to_ascii_lowercase()), Some(i), None));
    }
    for (i, (w, _)) in COMMAND_WORDS.iter().enumerate() {
        entries.push((slot(w.to_ascii_lowercase()), None, Some(i)));
    }
    for (at, phrase, word) in entries {
        let p = &mut patterns[at];
        p.phrase = p.phrase.or(phrase);
        p.words.extend(word);
    }
    let names = patterns
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i));
    // No prefilter: this automaton reads only diagnostics, short texts, where skipping to the
    // candidates saves less than building the filter's table at start-up costs.
    let automaton = daachorse::DoubleArrayAhoCorasickBuilder::new()
        .use_prefilter(false)
        .build_with_values(names)
        .ok()?;
    Some((automaton, patterns))
});

/// Builds the automata and tables of this module ([`crate::warm_up`]).
pub(crate) fn warm_up() {
    LazyLock::force(&STAGE_AUTOMATON);
    LazyLock::force(&MESSAGE_AUTOMATON);
    LazyLock::force(&MARKER_FIRST_BYTES);
}

/// True when the command word at `start..end` of `b` stands alone: no letter, digit, `@`, `.`,
/// `-` or `_` on either side, so `DATABASE@` and `mail.DATA.example` do not count.
fn stands_alone(b: &[u8], start: usize, end: usize) -> bool {
    let joins = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'@' | b'.' | b'-' | b'_');
    let before = start.checked_sub(1).map(|j| b[j]);
    let after = b.get(end).copied();
    // A full stop ends a sentence unless a name goes on after it.
    let after_joins =
        after.is_some_and(|c| joins(c) && (c != b'.' || b.get(end + 1).is_some_and(|&n| joins(n))));
    !before.is_some_and(joins) && !after_joins
}

/// What one pass over a message's header fields and error section found: its format, whether
/// the error section has a bounce phrase, and where it names SMTP stages.
pub(crate) struct Scan {
    /// The format whose markers appear in the message, or `unknown`: the first of [`FORMATS`]
    /// with a marker (in any case) in a header field of [`Parts::headers`], or in the error
    /// section.
    pub(crate) format: &'static str,
    /// One of [`BOUNCE_PHRASES`] appears (in any case) in the error section.
    bounce_phrase: bool,
    /// The stage markers in the error section: (start, end, [`STAGE_AUTOMATON`] pattern).
    stages: Vec<(usize, usize, usize)>,
    /// The lower case of the header fields and the error section, which starts at `at`.
    hay: String,
    at: usize,
}

impl Scan {
    /// The lower case of `context`, which starts the error section that the scan read (ASCII
    /// lower-casing keeps every byte where it is).
    pub(crate) fn lower(&self, context: &str) -> &str {
        self.hay
            .get(self.at..self.at + context.len())
            .unwrap_or_default()
    }

    /// [`stage_in`] of `context`, which starts the error section that the scan read.
    pub(crate) fn stage_in(&self, context: &str) -> Option<Stage> {
        let len = context.len();
        last_stage(
            context.as_bytes(),
            self.stages
                .iter()
                .copied()
                .filter(|&(_, end, _)| end <= len),
        )
    }
}

/// Scans the message: the header fields of [`Parts::headers`] and the error section,
/// lower-cased, read once by one automaton of every format marker, bounce phrase and stage marker
/// (three passes, each over a lower-case copy of its own, cost twice as much).
pub(crate) fn scan(p: &Parts) -> Scan {
    let section = error_section(p);
    let mut hay = String::with_capacity(4096 + section.len());
    for (n, v) in &p.headers {
        hay.push_str(n);
        hay.push(':');
        hay.push_str(v);
        hay.push('\n');
    }
    let at = hay.len();
    hay.push_str(section);
    hay.make_ascii_lowercase();
    let (mut bounce_phrase, mut stages) = (false, Vec::new());
    let mut first: Option<usize> = None;
    let mut found = |kind: &MarkerKind, start: usize, end: usize| {
        if let Some(f) = kind.format {
            first = Some(first.map_or(f, |x| x.min(f)));
        }
        if start >= at {
            bounce_phrase |= kind.bounce;
            if let Some(stage) = kind.stage {
                stages.push((start - at, end - at, stage));
            }
        }
    };
    if let Some(markers) = MESSAGE_AUTOMATON.as_ref() {
        for (name, kind) in &markers.short {
            for start in memchr::memmem::find_iter(hay.as_bytes(), name.as_bytes()) {
                found(kind, start, start + name.len());
            }
        }
        for m in markers.automaton.find_overlapping_iter(&hay) {
            found(&markers.kinds[m.value()], m.start(), m.end());
        }
    }
    Scan {
        format: first
            .and_then(|i| FORMATS.get(i))
            .map_or("unknown", |(name, _)| name),
        bounce_phrase,
        stages,
        hay,
        at,
    }
}

/// What a pattern of [`MESSAGE_AUTOMATON`] is.
#[derive(Default)]
struct MarkerKind {
    /// The first of [`FORMATS`] it is a marker of.
    format: Option<usize>,
    /// It is one of [`BOUNCE_PHRASES`].
    bounce: bool,
    /// The [`STAGE_AUTOMATON`] pattern it is.
    stage: Option<usize>,
}

/// Every marker of [`FORMATS`], phrase of [`BOUNCE_PHRASES`] and pattern of [`STAGE_AUTOMATON`],
/// and what each is.
struct MessageMarkers {
    /// The patterns of [`SHORT_PATTERN`] bytes or more, each match's value its index in `kinds`.
    automaton: Automaton,
    kinds: Vec<MarkerKind>,
    /// The shorter ones, looked for one by one: the automaton's prefilter tests a window as long
    /// as its shortest pattern, and a longer window lets it skip far more of a text.
    short: Vec<(&'static str, MarkerKind)>,
}

/// The length under which a pattern is kept out of [`MessageMarkers::automaton`].
const SHORT_PATTERN: usize = 4;

/// The patterns [`scan`] looks for.
static MESSAGE_AUTOMATON: LazyLock<Option<MessageMarkers>> = LazyLock::new(|| {
    /// One table's claim on a pattern.
    enum Tag {
        Format(usize),
        Bounce,
        Stage(usize),
    }
    let (_, stage_patterns) = STAGE_AUTOMATON.as_ref()?;
    let tagged = FORMATS
        .iter()
        .enumerate()
        .flat_map(|(i, (_, markers))| markers.iter().map(move |m| (*m, Tag::Format(i))))
        .chain(BOUNCE_PHRASES.iter().map(|p| (*p, Tag::Bounce)))
        .chain(
            stage_patterns
                .iter()
                .enumerate()
                .map(|(j, p)| (p.name.as_str(), Tag::Stage(j))),
        );
    let mut names: Vec<&'static str> = Vec::new();
    let mut kinds: Vec<MarkerKind> = Vec::new();
    let mut slots = std::collections::HashMap::new();
    for (name, tag) in tagged {
        let at = *slots.entry(name).or_insert_with(|| {
            names.push(name);
            kinds.push(MarkerKind::default());
            kinds.len() - 1
        });
        let kind = &mut kinds[at];
        match tag {
            Tag::Format(i) => {
                kind.format.get_or_insert(i);
            }
            Tag::Bounce => kind.bounce = true,
            Tag::Stage(j) => kind.stage = Some(j),
        }
    }
    let mut short = Vec::new();
    let mut long = Vec::new();
    for (name, kind) in names.into_iter().zip(kinds) {
        if name.len() < SHORT_PATTERN {
            short.push((name, kind));
        } else {
            long.push((name, kind));
        }
    }
    // Each pattern once already (`slots`), so nothing to drop before building.
    let automaton =
        Automaton::with_values(long.iter().enumerate().map(|(i, (n, _))| (*n, i))).ok()?;
    Some(MessageMarkers {
        automaton,
        kinds: long.into_iter().map(|(_, k)| k).collect(),
        short,
    })
});

/// True when the sender, the subject or the body says this is a bounce.
pub(crate) fn looks_like_bounce(p: &Parts, scan: &Scan) -> bool {
    let from = p.header("From").unwrap_or("").to_ascii_lowercase();
    let sender = BOUNCE_SENDERS.iter().any(|s| from.contains(s))
        || p.header("Return-Path").is_some_and(|r| r.trim() == "<>")
        || p.header("X-Failed-Recipients").is_some()
        || LIST_SERVER_HEADERS.iter().any(|h| p.header(h).is_some());
    let subject = p.subject.to_ascii_lowercase();
    let subject_says = BOUNCE_SUBJECTS.iter().any(|s| subject.contains(s));
    (sender && subject_says) || ((sender || subject_says) && scan.bounce_phrase)
}

/// The body up to the copy of the original message: where the error is described.
pub(crate) fn error_section<'p>(p: &'p Parts<'_>) -> &'p str {
    p.original_at
        .and_then(|i| p.body.get(..i))
        .unwrap_or(&p.body)
}

/// The bytes that an [`ORIGINAL_MARKERS`] entry starts with: other lines are not compared.
static MARKER_FIRST_BYTES: LazyLock<[bool; 256]> = LazyLock::new(|| {
    let mut t = [false; 256];
    for m in ORIGINAL_MARKERS {
        if let Some(&c) = m.as_bytes().first() {
            t[usize::from(c)] = true;
        }
    }
    t
});

/// Byte offset of the line where the copy of the original message begins, if any. A header
/// line (`Return-Path:`, `Received:`) counts only after some text.
pub(crate) fn original_start(body: &str) -> Option<usize> {
    // Compared in place, in any case: no lower-case copy of each line.
    let starts = |t: &str, m: &str| {
        t.as_bytes()
            .get(..m.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(m.as_bytes()))
    };
    let b = body.as_bytes();
    let ends = memchr::memchr_iter(b'\n', b).map(|i| i + 1);
    let mut offset = 0;
    for end in ends.chain((b.last() != Some(&b'\n')).then_some(b.len())) {
        let (at, line) = (offset, &body[offset..end]);
        offset = end;
        // Most lines are rejected on their first byte, found without trimming them.
        if first_byte_trimmed(line.as_bytes())
            .is_some_and(|c| !MARKER_FIRST_BYTES[usize::from(c.to_ascii_lowercase())])
        {
            continue;
        }
        // Quote marks and the rules drawn around a marker (`|----- Message text follows: ---|`).
        let t = line.trim().trim_start_matches(['>', ' ', '|', '-']);
        let first = t.as_bytes().first().map(u8::to_ascii_lowercase);
        if first.is_some_and(|c| MARKER_FIRST_BYTES[usize::from(c)])
            && ORIGINAL_MARKERS.iter().any(|m| starts(t, m))
        {
            let header_like = starts(t, "return-path:")
                || starts(t, "received: from")
                || starts(t, "x-original-to:");
            if !header_like || at > 80 {
                return Some(at);
            }
        }
    }
    None
}

/// The first byte of `line` after [`original_start`]'s trimming (white space, then quote marks,
/// spaces and rules), a line break when nothing is left; `None` when the white space at its
/// start is not all ASCII, which only the exact trimming decides.
fn first_byte_trimmed(line: &[u8]) -> Option<u8> {
    let ws = line
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .unwrap_or(line.len());
    if line.get(ws).is_some_and(|b| !b.is_ascii()) {
        return None;
    }
    let rest = &line[ws..];
    let marks = rest
        .iter()
        .position(|b| !matches!(b, b'>' | b' ' | b'|' | b'-'))
        .unwrap_or(rest.len());
    Some(rest.get(marks).copied().unwrap_or(b'\n'))
}

/// True when the header block at the start of `text` has a `Content-Type: multipart/report`
/// (a report copied into a report's text).
pub(crate) fn is_report_header(text: &str) -> bool {
    let head = text::before_blank_line(text);
    // The field parse only for a block that names the type somewhere.
    if text::find_ignore_case(head, "multipart/report").is_none() {
        return false;
    }
    crate::dsn::first_group(head).is_some_and(|g| {
        g.get("Content-Type")
            .is_some_and(|c| c.to_ascii_lowercase().starts_with("multipart/report"))
    })
}

/// The first message quoted in `body` (a forwarded bounce: lines starting with `>`), one quote
/// level taken off; `None` when no quoted run starts with a header block naming `From` and
/// `Subject`.
pub(crate) fn quoted_message(body: &str) -> Option<String> {
    // The first quoted line, found with one search rather than line by line.
    let start = if body.starts_with('>') {
        0
    } else {
        memchr::memmem::find(body.as_bytes(), b"\n>")? + 1
    };
    let mut out = String::new();
    for line in body[start..].split_inclusive('\n') {
        match line.strip_prefix('>') {
            Some(rest) => out.push_str(rest.strip_prefix(' ').unwrap_or(rest)),
            None => break,
        }
    }
    let group = crate::dsn::first_group(text::before_blank_line(&out))?;
    (group.get("From").is_some() && group.get("Subject").is_some()).then_some(out)
}

/// The copy of the original message in the body (from the marker line on), if any; `start` is
/// where [`original_start`] found it (computed once per message, in `Parts::original_at`).
pub(crate) fn original_copy(body: &str, start: Option<usize>) -> Option<&str> {
    let rest = body.get(start?..)?;
    // Skip the marker line itself unless it is already a header.
    let first_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
    let first = rest[..first_end].trim().to_ascii_lowercase();
    if first.starts_with("return-path:") || first.starts_with("received:") {
        Some(rest)
    } else {
        Some(rest[first_end..].trim_start_matches(['\r', '\n']))
    }
}

/// The recipients the error section names: `X-Failed-Recipients` when present, else every
/// address in the section that is not the bounce's own sender, a mail system, a message id, a
/// sender named on its line or a "please contact" address. When that leaves none: the original message's recipients (from its
/// MIME part or its copy in the body; a mail system's address only when the section names it
/// too), then the addresses set aside as the bounce's addressee, the original sender (a
/// message sent to oneself bounces to its recipient), an alias source ("generated from") or an
/// address named before the list of failed recipients ([`RECIPIENT_LIST_MARKERS`]).
pub(crate) fn recipients(p: &Parts, section: &str, lower_section: &str) -> Vec<String> {
    let lower_section = &*lower_case(section, lower_section);
    if let Some(x) = p.header("X-Failed-Recipients") {
        let mut v: Vec<String> = x.split(',').filter_map(text::clean_address).collect();
        dedupe(&mut v);
        if !v.is_empty() {
            return v;
        }
    }
    let lower_of = |a: &Option<String>| a.as_deref().map(str::to_ascii_lowercase);
    let from = lower_of(&p.from);
    let mut weak: Vec<String> = p.to.iter().map(|a| a.to_ascii_lowercase()).collect();
    weak.extend(lower_of(&p.original.sender));
    let mut v = Vec::new();
    let mut set_aside = Vec::new();
    let mut contacts = Vec::new();
    let list_start = RECIPIENT_LIST_MARKERS
        .iter()
        .filter_map(|m| lower_section.find(m))
        .min()
        .unwrap_or(0);
    for f in text::find_addresses(section, 2 * crate::MAX_RECIPIENTS) {
        let lower = f.address.to_ascii_lowercase();
        if from.as_deref() == Some(lower.as_str()) || text::is_system_address(&lower) {
            continue;
        }
        let line_start = section[..f.start].rfind('\n').map_or(0, |i| i + 1);
        let before = &lower_section[line_start..f.start];
        // Ids (the value of a Message-ID label, not an address a sentence about one names)
        // and senders named on the same line are not recipients.
        let label = before
            .trim_end()
            .trim_end_matches('<')
            .trim_end()
            .trim_end_matches(':')
            .trim_end();
        if label.ends_with("message-id")
            || label.ends_with("message id")
            || before.contains("from:")
            || before.contains("sender")
            || before.contains("mail from")
            || before.ends_with("://")
        {
            continue;
        }
        // A help desk named in the boilerplate is no recipient wherever else it is named.
        if before.contains("please contact") {
            contacts.push(lower);
            continue;
        }
        // Exim's "(generated from <alias>)": the address the failed one was expanded from.
        if weak.contains(&lower) || before.contains("generated from") || f.start < list_start {
            set_aside.push(f.address);
        } else {
            v.push(f.address);
        }
    }
    v.retain(|a| !contacts.contains(&a.to_ascii_lowercase()));
    dedupe(&mut v);
    if v.is_empty() {
        v = crate::original_recipients(p)
            .into_iter()
            .filter(|a| {
                !text::is_system_address(a) || lower_section.contains(&a.to_ascii_lowercase())
            })
            .collect();
        dedupe(&mut v);
    }
    if v.is_empty() {
        dedupe(&mut set_aside);
        v = set_aside;
    }
    v
}

fn dedupe(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|a| seen.insert(a.to_ascii_lowercase()));
}

/// `lower`, the lower case of `section` ([`Scan::lower`]) as a caller passed it, or one made here
/// if it is not that (its length differs): offsets in one must be offsets in the other.
fn lower_case<'a>(section: &str, lower: &'a str) -> std::borrow::Cow<'a, str> {
    if lower.len() == section.len() {
        std::borrow::Cow::Borrowed(lower)
    } else {
        std::borrow::Cow::Owned(section.to_ascii_lowercase())
    }
}

/// The most places of one address (or text) in a section that [`block_for`] looks at.
pub(crate) const MAX_MENTIONS: usize = 8;

/// The text about `addr` in `section`: its line and the following lines up to a blank line or
/// another recipient, extended by the next paragraphs while it says little. When the address is
/// named more than once (a summary, then "Diagnostic information for administrators"), the
/// first block that holds a reply code wins, else the first block.
pub(crate) fn block_for<'a>(
    section: &'a str,
    lower: &str,
    addr: &str,
    others: &[String],
) -> Option<&'a str> {
    let lower = &*lower_case(section, lower);
    let needle = addr.to_ascii_lowercase();
    let other_lines: Vec<String> = others
        .iter()
        .filter(|o| !o.eq_ignore_ascii_case(addr))
        .map(|o| o.to_ascii_lowercase())
        .collect();
    let mut first = None;
    let mut from = 0;
    for _ in 0..MAX_MENTIONS {
        let Some(at) = lower[from..].find(&needle).map(|i| from + i) else {
            break;
        };
        let block = block_at(section, lower, at, &other_lines);
        if smtp_doctor_kb::extract(block).reply_code.is_some() {
            return Some(block);
        }
        first.get_or_insert(block);
        from = at + needle.len();
    }
    first
}

/// The most lines above a recipient's line that [`block_at`] takes in when the lines from the
/// address on say nothing but the address.
const MAX_LINES_ABOVE: usize = 3;

/// The block of [`block_for`] for the mention at byte `at`. When it holds nothing but addresses
/// (Lotus Notes writes the reason on the line above the address), the lines above it in the
/// same paragraph are taken in too.
fn block_at<'a>(section: &'a str, lower: &str, at: usize, other_lines: &[String]) -> &'a str {
    let start = lower[..at].rfind('\n').map_or(0, |i| i + 1);
    let below = block_below(section, lower, start, other_lines);
    if crate::reason::says_more_than_addresses(below) {
        return below;
    }
    let mut top = start;
    for _ in 0..MAX_LINES_ABOVE {
        let Some(prev_end) = top.checked_sub(1) else {
            break;
        };
        let prev_start = section[..prev_end].rfind('\n').map_or(0, |i| i + 1);
        let line = &lower[prev_start..prev_end];
        if text::trim(line).is_empty() || other_lines.iter().any(|o| line.contains(o.as_str())) {
            break;
        }
        top = prev_start;
    }
    &section[top..start + below.len()]
}

/// The lines from byte `start` (a line start) on: up to a blank line once a code has been seen
/// (or after two paragraphs), or up to a line naming another recipient. `lower` is `section` in
/// lower case.
fn block_below<'a>(section: &'a str, lower: &str, start: usize, other_lines: &[String]) -> &'a str {
    let mut end = start;
    let mut paragraphs = 0;
    let mut first = true;
    for line in section[start..].split_inclusive('\n') {
        // ASCII lower-casing keeps every byte where it is: the line's bytes in `lower`.
        let l = &lower[end..end + line.len()];
        if !first && other_lines.iter().any(|o| l.contains(o.as_str())) {
            break;
        }
        first = false;
        if text::trim(line).is_empty() {
            // A paragraph of boilerplate ("There was an error delivering your mail to <a>.")
            // is followed by the server's reply: go on until a code has been seen.
            if has_code(&section[start..end]) || paragraphs >= 2 {
                break;
            }
            paragraphs += 1;
        }
        end += line.len();
    }
    &section[start..end]
}

/// True when `text` holds something shaped like a reply code (`550`) or an enhanced code (`5.1.1`).
fn has_code(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(|t| t.trim_end_matches('.'))
        .any(|t| {
            let b = t.as_bytes();
            let first = b.first().is_some_and(|c| matches!(c, b'2' | b'4' | b'5'));
            first
                && ((b.len() == 3 && t.bytes().all(|c| c.is_ascii_digit()))
                    || t.parse::<smtp_doctor_model::EnhancedCode>().is_ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_byte_shortcut_agrees_with_the_exact_trimming() {
        for line in [
            "",
            "\n",
            "  > | --- Below this line is a copy\n",
            ">> x\n",
            "> \tfoo\n",
            " >  \n",
            "\u{a0}Below this line\n",
            "> \u{3000}x\n",
            "-----Original message-----",
        ] {
            let exact = line.trim().trim_start_matches(['>', ' ', '|', '-']);
            match first_byte_trimmed(line.as_bytes()) {
                Some(b'\n') => assert!(exact.is_empty(), "{line:?}"),
                Some(c) => assert_eq!(exact.as_bytes().first(), Some(&c), "{line:?}"),
                None => assert!(line.trim_start().len() < line.len(), "{line:?}"),
            }
        }
        let body = "Hello\n\n  ----- Original message -----\nFrom: a@example.org\n";
        assert_eq!(original_start(body), Some(7));
        let find = |t: &str| text::find_ignore_case(t, "multipart/report");
        assert_eq!(find("Content-Type: Multipart/Report;"), Some(14));
        assert_eq!(find("Content-Type: multipart/mixed"), None);
        assert_eq!(find("/report"), None);
        assert_eq!(text::find_ignore_case("a</SCRIPT>", "</script"), Some(1));
    }

    #[test]
    fn blocks_stop_at_other_recipients() {
        let s = "intro\n\n<a@example.com>:\n550 user unknown\n<b@example.com>:\n552 full\n\nbye\n";
        let others = vec!["a@example.com".to_string(), "b@example.com".to_string()];
        assert_eq!(
            block_for(s, &s.to_ascii_lowercase(), "a@example.com", &others),
            Some("<a@example.com>:\n550 user unknown\n")
        );
        assert_eq!(
            block_for(s, &s.to_ascii_lowercase(), "b@example.com", &others),
            Some("<b@example.com>:\n552 full\n")
        );
        // A lower case that is not the section's is made again, not sliced.
        assert_eq!(
            block_for(s, "", "b@example.com", &others),
            Some("<b@example.com>:\n552 full\n")
        );
        assert_eq!(
            block_for(s, &s.to_ascii_lowercase(), "c@example.com", &others),
            None
        );
        let d = "Error delivering to <a@example.com>.\n\nmx said:\n550 5.7.25 no PTR\n\nbye\n";
        assert_eq!(
            block_for(d, &d.to_ascii_lowercase(), "a@example.com", &[]),
            Some("Error delivering to <a@example.com>.\n\nmx said:\n550 5.7.25 no PTR\n")
        );
        assert!(has_code("said 550 no") && has_code("(#5.1.1)") && !has_code("port 25, 2024"));
        // A later mention with the server's reply beats a first one of prose.
        let o = "a@example.com\nThe address wasn't found. See DSN 5.1.10.\n\n\
Diagnostic information for administrators:\n\n\
a@example.com\nRemote Server returned '550 5.1.10 RecipientNotFound'\n";
        assert_eq!(
            block_for(o, &o.to_ascii_lowercase(), "a@example.com", &[]),
            Some("a@example.com\nRemote Server returned '550 5.1.10 RecipientNotFound'\n")
        );
        // The reason on the line above a bare address (Lotus Notes) belongs to it; a paragraph
        // above a blank line, or another recipient's line, does not.
        let n =
            "------- Failure Reasons --------\n\nUser not listed in public Name & Address Book\n\
a@example.com\n\n\n";
        assert_eq!(
            block_for(n, &n.to_ascii_lowercase(), "a@example.com", &[]),
            Some("User not listed in public Name & Address Book\na@example.com\n\n\n")
        );
        let x =
            "Delivery to the following recipients failed permanently:\n\n   * a@example.com\n\n";
        assert_eq!(
            block_for(x, &x.to_ascii_lowercase(), "a@example.com", &[]),
            Some("   * a@example.com\n\n")
        );
        let two = "b@example.com\na@example.com\n\n";
        let others = vec!["a@example.com".to_string(), "b@example.com".to_string()];
        assert_eq!(
            block_for(two, &two.to_ascii_lowercase(), "a@example.com", &others),
            Some("a@example.com\n\n")
        );
    }

    #[test]
    fn no_format_marker_is_a_suffix_of_a_later_formats_marker() {
        // Kept so that the format is the same whether every marker found counts or only the
        // longest one ending at each place.
        for (i, (_, short)) in FORMATS.iter().enumerate() {
            for (_, long) in &FORMATS[i + 1..] {
                for s in *short {
                    assert!(!long.iter().any(|l| l.ends_with(s)), "{s}");
                }
            }
        }
    }

    #[test]
    fn the_marker_tables_build() {
        assert!(STAGE_AUTOMATON.is_some() && MESSAGE_AUTOMATON.is_some());
    }

    #[test]
    fn the_command_is_the_last_one_named() {
        assert_eq!(
            stage_in(">>> RCPT To:<a@example.org>\n<<< 550 no"),
            Some(Stage::Rcpt)
        );
        assert_eq!(
            stage_in("550 5.7.1 rejected (in reply to end of DATA command)"),
            Some(Stage::Data)
        );
        assert_eq!(stage_in("550 User unknown [RCPT_TO]"), Some(Stage::Rcpt));
        // Command words inside names and lower-case prose do not count.
        assert_eq!(stage_in("550 no such user DATABASE@example.org"), None);
        assert_eq!(stage_in("we lost your data"), None);
        assert_eq!(stage_in("refused after DATA."), Some(Stage::Data));
        // A refused greeting.
        assert_eq!(
            stage_in("host mx.example.net[192.0.2.1] refused to talk to me: 554 go away"),
            Some(Stage::Banner)
        );
        assert_eq!(
            stage_in("SMTP error from remote mail server after initial connection: 554 no"),
            Some(Stage::Banner)
        );
    }

    #[test]
    fn the_original_copy_is_cut_off() {
        let body = "Sorry.\n\n--- Below this line is a copy of the message.\n\nFrom: x@y.example\n";
        assert_eq!(original_start(body), Some(8));
        assert_eq!(
            original_copy(body, original_start(body)),
            Some("From: x@y.example\n")
        );
        assert_eq!(original_start("Return-Path: <x@y.z>\n"), None);
        let ruled = "|---- Failed addresses follow: ----|\n b@example.com ... unknown host\n\
|---- Message text follows: ----|\nTo: b@example.com\n";
        assert_eq!(original_start(ruled), Some(69));
    }
}
