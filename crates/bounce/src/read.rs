//! Finding messages in the input: a file (one message, or an mbox of several), a directory
//! walked recursively (Maildirs included), `.gz` files, and standard input. Every read is
//! bounded: a file or stream is read up to [`MAX_INPUT`] bytes and each message is cut at
//! [`crate::MAX_MESSAGE`] by [`crate::parse`].

use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The most bytes read from one file or stream (after decompression).
pub const MAX_INPUT: u64 = 1024 * 1024 * 1024;
/// The deepest directory level walked.
const MAX_DEPTH: usize = 32;

/// An input that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// A file or directory could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The path, as given or found in a walk.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A `.gz` file did not decompress.
    #[error("{path}: not a valid gzip file: {source}")]
    Gzip {
        /// The path.
        path: PathBuf,
        /// What the decoder said.
        source: std::io::Error,
    },
    /// The input was longer than [`MAX_INPUT`]; its start was read.
    #[error("{path}: longer than {MAX_INPUT} bytes; only its start was read")]
    TooLarge {
        /// The path.
        path: PathBuf,
    },
}

/// One message found in the input.
///
/// The messages read in one block share its bytes: splitting an mbox copies nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// The file it came from (`-` for standard input).
    pub origin: Arc<Path>,
    /// Its position in that file: 0 for a file of one message, 0, 1, ... in an mbox.
    pub index: usize,
    /// The block of the input it was read in (decompressed, line endings normalised).
    file: Arc<Vec<u8>>,
    /// Where the message is in `file` (the mbox `From ` line left out).
    range: Range<usize>,
}

impl RawMessage {
    /// Its bytes, as read (the mbox `From ` line removed).
    pub fn bytes(&self) -> &[u8] {
        &self.file[self.range.clone()]
    }

    /// The message decoded: [`crate::parse`] of its bytes, whose line endings reading has
    /// already normalised (so they are not looked through again).
    pub fn report(&self) -> Option<crate::Report> {
        crate::parse_normalised(self.bytes())
    }
}

/// Every file under `path` (or `path` itself when it is a file), sorted, recursively. Dot files,
/// and the `tmp` folder of a Maildir (deliveries in progress), are skipped.
pub fn files(path: &Path) -> (Vec<PathBuf>, Vec<ReadError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    walk(path, 0, &mut out, &mut errors);
    (out, errors)
}

fn walk(path: &Path, depth: usize, out: &mut Vec<PathBuf>, errors: &mut Vec<ReadError>) {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(source) => {
            errors.push(ReadError::Io {
                path: path.to_path_buf(),
                source,
            });
            return;
        }
    };
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return;
    }
    if depth >= MAX_DEPTH {
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(e) => e,
        Err(source) => {
            errors.push(ReadError::Io {
                path: path.to_path_buf(),
                source,
            });
            return;
        }
    };
    // Sorted by name: the children of one directory differ only in their last component, so
    // this is the order of their paths, without comparing paths component by component.
    let mut children: Vec<(std::ffi::OsString, PathBuf)> = entries
        .filter_map(|e| e.ok().map(|e| (e.file_name(), e.path())))
        .collect();
    children.sort_unstable_by(|a, b| a.0.as_encoded_bytes().cmp(b.0.as_encoded_bytes()));
    let is_maildir = ["cur", "new"].iter().all(|d| path.join(d).is_dir());
    for (name, child) in children {
        let name = name.to_str().unwrap_or("");
        if name.starts_with('.') || (is_maildir && name == "tmp") {
            continue;
        }
        walk(&child, depth + 1, out, errors);
    }
}

/// Reads one file (decompressing `.gz`) and splits it into messages: [`open`], collected.
pub fn read_file(path: &Path) -> Result<Vec<RawMessage>, ReadError> {
    open(path)?.collect()
}

/// Reads a stream (decompressing gzip data, recognised by its magic bytes) and splits it into
/// messages; `origin` names it in the results: [`Messages::new`], collected.
pub fn read_from(reader: impl Read, origin: &Path) -> Result<Vec<RawMessage>, ReadError> {
    Messages::new(reader, origin).collect()
}

/// Opens one file to be read a message at a time.
pub fn open(path: &Path) -> Result<Messages<'static>, ReadError> {
    let file = std::fs::File::open(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Messages::new(file, path))
}

/// Bytes read from the input at a time: the first messages come out once this much is read, not
/// after the whole input, and a long mbox is held a block at a time (a message longer than a
/// block is read whole). A block stays held while any of its messages is in flight; with 1 MiB
/// blocks, the benchmark's reading faulted in some 6.4 MiB of fresh pages (1,640 of its 3,740
/// page faults), against some 4 MiB with 128 KiB blocks.
const BLOCK: usize = 1 << 17;

/// The messages of one file or stream, in order, read a block at a time: gzip data (recognised
/// by its magic bytes) is decompressed, bare-CR line endings become LF, and an mbox is split as
/// [`split_mbox`] splits it. An error ends the messages: a read error after the messages before
/// the block it hit, [`ReadError::TooLarge`] after the messages of the first [`MAX_INPUT`] bytes.
pub struct Messages<'a> {
    /// The input as read (as given, or decompressed), limited to [`MAX_INPUT`] and a byte; `None`
    /// before its first bytes are read. A reader of std's (a file, stdin) stays the reader read
    /// from, unwrapped: `read_to_end` fills a buffer without zeroing it first only through the
    /// reader's own `read_buf`, which a wrapper of ours cannot have on stable Rust.
    input: Option<std::io::Take<Box<dyn Read + 'a>>>,
    /// The input is gzip data (for the error a read failure is reported as).
    gzip: bool,
    /// The input before its first bytes are read.
    unread: Option<Box<dyn Read + 'a>>,
    origin: Arc<Path>,
    /// Bytes read and not yet split off; the next message starts at 0.
    buf: Vec<u8>,
    /// How much of `buf` has its line endings normalised (a CR at its end waits for the next
    /// byte, which may be its LF).
    normalised: usize,
    /// Whether the input is an mbox; `None` until its first five bytes are read.
    mbox: Option<bool>,
    split: Split,
    /// Messages split off and not yet handed out.
    ready: std::vec::IntoIter<RawMessage>,
    /// The error to report once `ready` is empty.
    error: Option<ReadError>,
    /// The next message's index in the input.
    index: usize,
    /// The input has been read to its end (or to an error).
    done: bool,
    /// Bytes read at a time: [`BLOCK`] (tests make it small).
    block: usize,
    /// The last blocks handed out, up to [`KEPT_BLOCKS`]: one whose messages are all dropped is
    /// read into again, rather than a new buffer whose every page the kernel must fault in.
    spent: std::collections::VecDeque<Arc<Vec<u8>>>,
}

/// How many handed-out blocks [`Messages`] keeps for reuse.
const KEPT_BLOCKS: usize = 16;

impl<'a> Messages<'a> {
    /// Reads `reader`, named `origin` in the messages.
    pub fn new(reader: impl Read + 'a, origin: &Path) -> Self {
        Messages {
            input: None,
            gzip: false,
            unread: Some(Box::new(reader)),
            origin: origin.into(),
            buf: Vec::new(),
            normalised: 0,
            mbox: None,
            split: Split::default(),
            ready: Vec::new().into_iter(),
            spent: std::collections::VecDeque::new(),
            error: None,
            index: 0,
            done: false,
            block: BLOCK,
        }
    }

    /// Reads one more block into `buf`; true when the input has ended.
    fn read_block(&mut self) -> Result<bool, ReadError> {
        let io_error = |source| ReadError::Io {
            path: self.origin.to_path_buf(),
            source,
        };
        if let Some(mut reader) = self.unread.take() {
            let mut head = Vec::with_capacity(2);
            reader
                .by_ref()
                .take(2)
                .read_to_end(&mut head)
                .map_err(io_error)?;
            self.gzip = head == [0x1f, 0x8b];
            let input: Box<dyn Read + 'a> = if self.gzip {
                let whole = std::io::Cursor::new(head).chain(reader);
                Box::new(flate2::read::MultiGzDecoder::new(whole))
            } else {
                // The bytes read to look are the input's first: they start the buffer.
                self.buf.extend_from_slice(&head);
                reader
            };
            let limit = MAX_INPUT + 1 - self.buf.len() as u64;
            self.input = Some(input.take(limit));
        }
        let Some(input) = self.input.as_mut() else {
            return Ok(true);
        };
        self.buf.reserve(self.block);
        let read = input
            .by_ref()
            .take(self.block as u64)
            .read_to_end(&mut self.buf);
        let path = self.origin.to_path_buf();
        let n = read.map_err(|source| {
            if self.gzip {
                ReadError::Gzip { path, source }
            } else {
                ReadError::Io { path, source }
            }
        })?;
        if input.limit() == 0 {
            // The byte read past MAX_INPUT, the last of `buf`, is dropped.
            self.buf.pop();
            self.error = Some(ReadError::TooLarge {
                path: self.origin.to_path_buf(),
            });
            return Ok(true);
        }
        // `take` reads until it has a block or the input ends.
        Ok(n < self.block)
    }

    /// Turns the bare CRs of `buf` past `normalised` into LFs.
    fn normalise(&mut self, ended: bool) {
        // A CR at the end waits for the next block, which may start with its LF.
        let end = match self.buf.last() {
            Some(b'\r') if !ended => self.buf.len() - 1,
            _ => self.buf.len(),
        };
        crate::text::normalise_in_place(&mut self.buf[self.normalised..end]);
        self.normalised = end;
    }

    /// Moves the complete messages at the start of `buf` to `ready`.
    fn split_off(&mut self, ended: bool) {
        let mbox = match self.mbox {
            Some(mbox) => mbox,
            None if self.buf.len() < 5 && !ended => return,
            None => *self.mbox.insert(self.buf.starts_with(b"From ")),
        };
        if !mbox {
            // One message, which ends with the input.
            if ended && !self.buf.is_empty() {
                let block = std::mem::take(&mut self.buf);
                let len = block.len();
                self.emit(block, std::iter::once(0..len));
            }
            return;
        }
        self.split.scan(&self.buf[..self.normalised], ended);
        let end = if ended {
            self.buf.len()
        } else {
            match self.split.starts.pop() {
                Some(last) => last,
                None => return,
            }
        };
        let mut block = std::mem::take(&mut self.buf);
        // The unfinished message at the end goes on in a buffer with room for the next block.
        self.buf = self.buffer(block.len() - end + self.block);
        self.buf.extend_from_slice(&block[end..]);
        block.truncate(end);
        let bodies: Vec<Range<usize>> = bodies(&block, &self.split.starts).collect();
        self.split.starts.clear();
        self.emit(block, bodies);
        self.normalised -= end;
        self.split.from = self.split.from.saturating_sub(end);
    }

    /// An empty buffer with room for `capacity` bytes: a spent block with that room whose
    /// messages are all dropped, else a new one with an eighth of a block to spare (so that it
    /// has the room again when it is spent: growing one would copy all it held).
    fn buffer(&mut self, capacity: usize) -> Vec<u8> {
        // Only the workers hold the other references, and they only drop them: a count of one
        // stays one.
        let spent = self
            .spent
            .iter()
            .position(|b| b.capacity() >= capacity && Arc::strong_count(b) == 1);
        match spent
            .and_then(|i| self.spent.remove(i))
            .and_then(|b| Arc::try_unwrap(b).ok())
        {
            Some(mut buf) => {
                buf.clear();
                buf
            }
            None => Vec::with_capacity(capacity + self.block / 8),
        }
    }

    /// Queues the messages at `ranges` of `block`.
    fn emit(&mut self, block: Vec<u8>, ranges: impl IntoIterator<Item = Range<usize>>) {
        let block = Arc::new(block);
        if self.spent.len() == KEPT_BLOCKS {
            self.spent.pop_front();
        }
        self.spent.push_back(Arc::clone(&block));
        let first = self.index;
        let msgs: Vec<RawMessage> = ranges
            .into_iter()
            .enumerate()
            .map(|(k, range)| RawMessage {
                origin: Arc::clone(&self.origin),
                index: first + k,
                file: Arc::clone(&block),
                range,
            })
            .collect();
        self.index += msgs.len();
        self.ready = msgs.into_iter();
    }
}

impl Iterator for Messages<'_> {
    type Item = Result<RawMessage, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(m) = self.ready.next() {
                return Some(Ok(m));
            }
            if let Some(e) = self.error.take() {
                self.done = true;
                return Some(Err(e));
            }
            if self.done {
                return None;
            }
            match self.read_block() {
                Ok(ended) => {
                    self.normalise(ended);
                    self.split_off(ended);
                    self.done = ended;
                }
                Err(e) => {
                    self.buf = Vec::new();
                    self.error = Some(e);
                }
            }
        }
    }
}

/// Splits an mbox into its messages at `From ` lines that start the input or follow a blank
/// line, or that follow a MIME closing boundary (`--b--`) and are shaped like a separator (`From
/// sender Thu Jul  2 12:05:05 2020`): some writers append a message without the blank line. An
/// unquoted `From ` line inside a message's text (a bounce's copy of the original) does not split
/// it. mboxrd and mboxo alike; `>From ` quoting is left as it is. Input that does not start with
/// `From ` is one message. Empty messages are dropped.
pub fn split_mbox(bytes: &[u8]) -> Vec<&[u8]> {
    if !bytes.starts_with(b"From ") {
        return if bytes.is_empty() {
            Vec::new()
        } else {
            vec![bytes]
        };
    }
    let mut split = Split::default();
    split.scan(bytes, true);
    bodies(bytes, &split.starts).map(|r| &bytes[r]).collect()
}

/// Where the messages of the mbox entries of `bytes` are: the entries run from 0, and from each
/// of `starts`, to the next start or the end of `bytes` ([`message_body`] of each).
fn bodies<'b>(bytes: &'b [u8], starts: &'b [usize]) -> impl Iterator<Item = Range<usize>> + 'b {
    let ends = starts.iter().copied().chain(std::iter::once(bytes.len()));
    std::iter::once(0)
        .chain(starts.iter().copied())
        .zip(ends)
        .filter_map(|(s, e)| message_body(bytes, s..e))
}

/// The message of the mbox entry at `entry` (from its `From ` line to the next): the entry
/// without that line; `None` when nothing but white space is left.
fn message_body(bytes: &[u8], entry: Range<usize>) -> Option<Range<usize>> {
    let (s, e) = (entry.start, entry.end);
    let body = match memchr::memchr(b'\n', &bytes[s..e]) {
        Some(nl) => s + nl + 1..e,
        None => e..e,
    };
    bytes[body.clone()]
        .iter()
        .any(|b| !b.is_ascii_whitespace())
        .then_some(body)
}

/// The search for an mbox's message starts, resumable as more of the input arrives.
#[derive(Debug, Default)]
struct Split {
    /// The starts found (of `From ` lines), after the one at 0.
    starts: Vec<usize>,
    /// Where the search goes on.
    from: usize,
}

/// The longest separator line looked at ([`is_separator`]).
const SEPARATOR_LINE: usize = 200;

impl Split {
    /// Finds the message starts in `bytes` past `from` ([`split_mbox`]'s rule). Unless `complete`
    /// (the input ends with `bytes`), a `From ` line whose end has not been read yet is left for
    /// the next call, which gets `bytes` with more after it.
    fn scan(&mut self, bytes: &[u8], complete: bool) {
        let base = self.from;
        // Only the line breaks before a `From ` line are looked at, found with one memmem pass.
        for nl in memchr::memmem::find_iter(&bytes[base..], b"\nFrom ").map(|i| base + i) {
            let line = &bytes[nl + 1..];
            let line = &line[..line.len().min(SEPARATOR_LINE)];
            if !complete && line.len() < SEPARATOR_LINE && memchr::memchr(b'\n', line).is_none() {
                self.from = nl;
                return;
            }
            let prev = &bytes[..nl];
            let prev = prev.strip_suffix(b"\r").unwrap_or(prev);
            if prev.ends_with(b"\n")
                || prev.is_empty()
                || (ends_with_closing_boundary(prev) && is_separator(line))
            {
                self.starts.push(nl + 1);
            }
        }
        // A `\nFrom ` cut by the end of `bytes` starts in its last five bytes.
        self.from = if complete {
            bytes.len()
        } else {
            bytes.len().saturating_sub(5).max(base)
        };
    }
}

/// True when the last line of `before` (no line break at its end) closes a MIME multipart:
/// `--boundary--`.
fn ends_with_closing_boundary(before: &[u8]) -> bool {
    let start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    let line = before[start..].trim_ascii_end();
    line.len() > 4 && line.starts_with(b"--") && line.ends_with(b"--")
}

/// True when the line at the start of `line` is an mbox separator in its classic form: `From `,
/// the envelope sender (one word), then a ctime date (`Thu Jul  2 12:05:05 2020`): a weekday, a
/// month and a time. A sentence that starts with "From " does not have that shape.
fn is_separator(line: &[u8]) -> bool {
    const DAYS: &[&[u8]] = &[b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    const MONTHS: &[&[u8]] = &[
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let end = memchr::memchr(b'\n', line)
        .unwrap_or(line.len())
        .min(SEPARATOR_LINE);
    let Some(rest) = line[..end].strip_prefix(b"From ") else {
        return false;
    };
    let mut words = rest
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty());
    let (_sender, day, month, _date, time) = match (
        words.next(),
        words.next(),
        words.next(),
        words.next(),
        words.next(),
    ) {
        (Some(a), Some(b), Some(c), Some(d), Some(e)) => (a, b, c, d, e),
        _ => return false,
    };
    DAYS.contains(&day)
        && MONTHS.contains(&month)
        && time.len() >= 5
        && time.iter().all(|b| b.is_ascii_digit() || *b == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_message_decodes_as_its_bytes_do() {
        let lf = "From: MAILER-DAEMON@example.org\nTo: a@example.org\nSubject: Undelivered Mail Returned to Sender\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nI could not deliver it.\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; nobody@example.net\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <nobody@example.net>: User unknown\n--b--\n";
        let want = crate::parse(lf.as_bytes()).expect("a bounce");
        assert_eq!(want.recipients.len(), 1);
        for input in [
            lf.to_string(),
            lf.replace('\n', "\r\n"),
            lf.replace('\n', "\r"),
        ] {
            let msgs = read_from(input.as_bytes(), Path::new("t")).unwrap();
            assert_eq!(msgs.len(), 1);
            let got = msgs[0].report().expect("a bounce");
            assert_eq!(got, crate::parse(msgs[0].bytes()).unwrap());
            assert_eq!(got.recipients, want.recipients, "{input:?}");
        }
    }

    #[test]
    fn mboxes_split_at_from_lines_after_blank_lines() {
        let mbox = b"From a@b Mon Jan 1\nSubject: 1\n\nhi\nFrom me, hello\n\nFrom c@d Tue\nSubject: 2\n\nx\n";
        let parts = split_mbox(mbox);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].ends_with(b"From me, hello\n\n"));
        assert_eq!(parts[1], b"Subject: 2\n\nx\n");
        assert_eq!(
            split_mbox(b"Subject: x\n\ny"),
            vec![&b"Subject: x\n\ny"[..]]
        );
        assert!(split_mbox(b"").is_empty());
        assert!(split_mbox(b"From x\n").is_empty());
    }

    #[test]
    fn a_separator_without_a_blank_line_before_it_still_splits() {
        let mbox = b"From a@example.org Thu Jul  2 12:05:05 2020\nSubject: 1\n\nhi\n--B--\n\
From b@example.org  Thu Jul  2 12:05:06 2020\nSubject: 2\n\nx\nFrom Monday on, see you.\n";
        let parts = split_mbox(mbox);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], b"Subject: 1\n\nhi\n--B--\n");
        assert_eq!(parts[1], b"Subject: 2\n\nx\nFrom Monday on, see you.\n");
        assert!(!is_separator(b"From me, hello Mon Jan x\n"));
        // A separator-shaped line inside a message's text is part of it.
        let copy = b"From a@example.org Thu Jul  2 12:05:05 2020\nSubject: 1\n\nBounced mail:\n\
From b@example.org Thu Jul  2 12:05:06 2020\nSubject: 2\n";
        assert_eq!(split_mbox(copy).len(), 1);
    }

    /// Reading a block at a time finds the messages [`split_mbox`] finds in the whole input,
    /// wherever the blocks end: in a separator line, between a CR and its LF, in a message
    /// longer than a block; and in blocks read into again once their messages are dropped.
    #[test]
    fn messages_read_by_blocks_are_the_messages_of_the_whole() {
        let mut mbox = Vec::new();
        for k in 0..12 {
            let body = "x".repeat(1 + k * 37);
            mbox.extend_from_slice(
                format!(
                    "From a{k}@example.org Thu Jul  2 12:05:05 2020\r\nSubject: {k}\r\n\r\n{body}\nFrom me, hi\n--B--\n"
                )
                .as_bytes(),
            );
        }
        mbox.extend_from_slice(
            b"From z@example.org Thu Jul  2 12:05:05 2020\rSubject: cr\r\rend\r",
        );
        let expected: Vec<Vec<u8>> = split_mbox(&crate::text::normalise_line_endings(&mbox))
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
        assert_eq!(expected.len(), 13);
        for block in (1..90).chain([200, 1000, 1 << 20]) {
            let mut msgs = Messages::new(&mbox[..], Path::new("m"));
            msgs.block = block;
            // Each message is dropped once copied, so that spent blocks are read into again.
            let (indexes, bodies): (Vec<usize>, Vec<Vec<u8>>) = msgs
                .map(|m| m.unwrap_or_else(|e| panic!("{e}")))
                .map(|m| (m.index, m.bytes().to_vec()))
                .unzip();
            assert_eq!(bodies, expected, "block of {block} bytes");
            assert!(indexes.iter().enumerate().all(|(k, &i)| i == k));
        }
    }

    #[test]
    fn gzip_is_decompressed() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = enc.write_all(b"Subject: x\n\nbody\n");
        let gz = enc.finish().unwrap_or_default();
        let msgs = read_from(&gz[..], Path::new("x.gz")).unwrap_or_default();
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].bytes(), b"Subject: x\n\nbody\n");
        assert!(read_from(&[0x1f, 0x8b, 0][..], Path::new("bad.gz")).is_err());
    }
}
