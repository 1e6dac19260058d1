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
/// The messages of one file share its bytes: splitting an mbox copies nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// The file it came from (`-` for standard input).
    pub origin: Arc<Path>,
    /// Its position in that file: 0 for a file of one message, 0, 1, ... in an mbox.
    pub index: usize,
    /// The whole file, as read (decompressed, line endings normalised).
    file: Arc<Vec<u8>>,
    /// Where the message is in `file` (the mbox `From ` line left out).
    range: Range<usize>,
}

impl RawMessage {
    /// Its bytes, as read (the mbox `From ` line removed).
    pub fn bytes(&self) -> &[u8] {
        &self.file[self.range.clone()]
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

/// Reads one file (decompressing `.gz`) and splits it into messages.
pub fn read_file(path: &Path) -> Result<Vec<RawMessage>, ReadError> {
    let io_error = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    // The size, when the system knows it, so that the buffer is allocated once.
    let size = file.metadata().map_or(0, |m| m.len().min(MAX_INPUT + 1));
    read_sized(file, path, usize::try_from(size).unwrap_or(0))
}

/// Reads a stream (decompressing gzip data, recognised by its magic bytes) and splits it into
/// messages; `origin` names it in the results.
pub fn read_from(reader: impl Read, origin: &Path) -> Result<Vec<RawMessage>, ReadError> {
    read_sized(reader, origin, 0)
}

/// [`read_from`], with room for `size` bytes made at once.
fn read_sized(reader: impl Read, origin: &Path, size: usize) -> Result<Vec<RawMessage>, ReadError> {
    let mut bytes = Vec::with_capacity(size.saturating_add(1));
    let mut limited = reader.take(MAX_INPUT + 1);
    limited
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io {
            path: origin.to_path_buf(),
            source,
        })?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .take(MAX_INPUT + 1)
            .read_to_end(&mut out)
            .map_err(|source| ReadError::Gzip {
                path: origin.to_path_buf(),
                source,
            })?;
        bytes = out;
    }
    if bytes.len() as u64 > MAX_INPUT {
        return Err(ReadError::TooLarge {
            path: origin.to_path_buf(),
        });
    }
    // Bare-CR files (old Mac) have no LF for the mbox splitter to see.
    let normal = match crate::text::normalise_line_endings(&bytes) {
        std::borrow::Cow::Owned(normal) => Some(normal),
        std::borrow::Cow::Borrowed(_) => None,
    };
    let file = Arc::new(normal.unwrap_or(bytes));
    let origin: Arc<Path> = origin.into();
    Ok(message_ranges(&file)
        .into_iter()
        .enumerate()
        .map(|(index, range)| RawMessage {
            origin: Arc::clone(&origin),
            index,
            file: Arc::clone(&file),
            range,
        })
        .collect())
}

/// Splits an mbox into its messages at `From ` lines that start the input or follow a blank
/// line, or that follow a MIME closing boundary (`--b--`) and are shaped like a separator (`From
/// sender Thu Jul  2 12:05:05 2020`): some writers append a message without the blank line. An
/// unquoted `From ` line inside a message's text (a bounce's copy of the original) does not split
/// it. mboxrd and mboxo alike; `>From ` quoting is left as it is. Input that does not start with
/// `From ` is one message. Empty messages are dropped.
pub fn split_mbox(bytes: &[u8]) -> Vec<&[u8]> {
    message_ranges(bytes)
        .into_iter()
        .map(|r| &bytes[r])
        .collect()
}

/// Where [`split_mbox`]'s messages are in `bytes`.
fn message_ranges(bytes: &[u8]) -> Vec<Range<usize>> {
    if !bytes.starts_with(b"From ") {
        return if bytes.is_empty() {
            Vec::new()
        } else {
            std::iter::once(0..bytes.len()).collect()
        };
    }
    let mut starts = vec![0];
    // Only the line breaks before a `From ` line are looked at, found with one memmem pass.
    for nl in memchr::memmem::find_iter(bytes, b"\nFrom ") {
        let prev = &bytes[..nl];
        let prev = prev.strip_suffix(b"\r").unwrap_or(prev);
        if prev.ends_with(b"\n")
            || prev.is_empty()
            || (ends_with_closing_boundary(prev) && is_separator(&bytes[nl + 1..]))
        {
            starts.push(nl + 1);
        }
    }
    let mut out = Vec::with_capacity(starts.len());
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(bytes.len());
        // Drop the `From ` separator line.
        let body = match memchr::memchr(b'\n', &bytes[s..e]) {
            Some(nl) => s + nl + 1..e,
            None => e..e,
        };
        if bytes[body.clone()].iter().any(|b| !b.is_ascii_whitespace()) {
            out.push(body);
        }
    }
    out
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
    let end = memchr::memchr(b'\n', line).unwrap_or(line.len()).min(200);
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
