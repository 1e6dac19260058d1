//! Reading log input: files (gzip-compressed ones recognised by their magic bytes) and
//! standard input, line by line, each line bounded to [`crate::MAX_LINE`] bytes; and files
//! followed as they grow ([`Follow`], `tail -F`).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Buffer size of the readers: large reads keep the line splitter fed.
const BUFFER: usize = 256 * 1024;

/// An input that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The path as given (`-` for standard input).
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
}

/// Opens `path` (`-` is standard input) for reading lines, decompressing gzip data.
pub fn open(path: &Path) -> Result<Box<dyn BufRead>, ReadError> {
    open_wrapped(path, |r| r)
}

/// True when the file at `path` starts as gzip data does.
pub fn is_gzip(path: &Path) -> bool {
    let mut head = [0u8; 2];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == [0x1f, 0x8b])
}

/// As [`open`], with the raw (still compressed) bytes read through `wrap` (a progress meter
/// counting them).
pub fn open_wrapped(
    path: &Path,
    wrap: impl FnOnce(Box<dyn Read>) -> Box<dyn Read>,
) -> Result<Box<dyn BufRead>, ReadError> {
    let err = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let raw: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path).map_err(err)?)
    };
    let raw = wrap(raw);
    let mut buffered = BufReader::with_capacity(BUFFER, raw);
    let head = buffered.fill_buf().map_err(err)?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let gz = flate2::bufread::MultiGzDecoder::new(buffered);
        return Ok(Box::new(BufReader::with_capacity(BUFFER, gz)));
    }
    Ok(Box::new(buffered))
}

/// Reads one line into `buf`, keeping at most `max` bytes of it (the rest is read and dropped).
/// Returns the line's full length without its line ending, or `None` at end of input.
pub fn read_line_bounded(
    r: &mut (impl BufRead + ?Sized),
    max: usize,
    buf: &mut Vec<u8>,
) -> io::Result<Option<usize>> {
    buf.clear();
    let mut total = 0;
    let mut any = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (part, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (&chunk[..i], Some(i + 1)),
            None => (chunk, None),
        };
        let room = max.saturating_sub(buf.len());
        buf.extend_from_slice(&part[..part.len().min(room)]);
        total += part.len();
        let used = done.unwrap_or(chunk.len());
        r.consume(used);
        if done.is_some() {
            break;
        }
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
        total -= 1;
    }
    Ok(any.then_some(total))
}

/// A file followed as `tail -F` follows it: read from its start, then whatever is appended.
/// When the name comes to point at another file (rotation: renamed and created anew) the old
/// one is read to its end and the new one from its start; when the file shrinks (truncated) it
/// is read again from its start. Only whole lines are given out while following; the last
/// unfinished one waits for its line ending (or for [`Follow::finish`]).
#[derive(Debug)]
pub struct Follow {
    path: PathBuf,
    file: Option<File>,
    /// Device and inode of the open file.
    id: (u64, u64),
    /// Bytes read from the open file.
    pos: u64,
    chunk: Vec<u8>,
    /// The unfinished last line (its first `max` bytes) and its full length.
    pending: Vec<u8>,
    pending_len: usize,
    max: usize,
}

impl Follow {
    /// Follows `path`, keeping at most `max` bytes of a line; the file need not exist yet.
    pub fn new(path: &Path, max: usize) -> Self {
        let mut f = Follow {
            path: path.to_path_buf(),
            file: None,
            id: (0, 0),
            pos: 0,
            chunk: vec![0; BUFFER],
            pending: Vec::new(),
            pending_len: 0,
            max,
        };
        let _ = f.reopen();
        f
    }

    /// The path followed.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn reopen(&mut self) -> io::Result<()> {
        let file = File::open(&self.path)?;
        let meta = file.metadata()?;
        self.id = (meta.dev(), meta.ino());
        self.file = Some(file);
        self.pos = 0;
        Ok(())
    }

    /// Reads what was written since the last call, giving each whole line (without its line
    /// ending, at most `max` bytes) and its full length to `line`. Returns the bytes read.
    pub fn poll(&mut self, line: &mut dyn FnMut(&[u8], usize)) -> io::Result<u64> {
        let mut total = self.drain(line)?;
        let now = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            // Renamed away and not yet created again: keep the old file.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(total),
            Err(e) => return Err(e),
        };
        if self.file.is_none() || (now.dev(), now.ino()) != self.id {
            // Rotated: what the writer added to the old file before it let go, then the new.
            total += self.drain(line)?;
            self.end_line(line);
            self.reopen()?;
            total += self.drain(line)?;
        } else if now.len() < self.pos {
            // Truncated: read again from the start.
            self.end_line(line);
            if let Some(f) = &mut self.file {
                f.seek(SeekFrom::Start(0))?;
            }
            self.pos = 0;
            total += self.drain(line)?;
        }
        Ok(total)
    }

    /// Gives out the unfinished last line, if any (at the end of following).
    pub fn finish(&mut self, line: &mut dyn FnMut(&[u8], usize)) {
        self.end_line(line);
    }

    fn end_line(&mut self, line: &mut dyn FnMut(&[u8], usize)) {
        if self.pending_len > 0 || !self.pending.is_empty() {
            line(&self.pending, self.pending_len);
            self.pending.clear();
            self.pending_len = 0;
        }
    }

    /// Reads the open file to its current end.
    fn drain(&mut self, line: &mut dyn FnMut(&[u8], usize)) -> io::Result<u64> {
        let Some(file) = &mut self.file else {
            return Ok(0);
        };
        let mut total = 0u64;
        loop {
            let n = match file.read(&mut self.chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            total += n as u64;
            self.pos += n as u64;
            let mut data = &self.chunk[..n];
            while let Some(i) = memchr::memchr(b'\n', data) {
                let part = &data[..i];
                data = &data[i + 1..];
                if self.pending.is_empty() && self.pending_len == 0 {
                    let part = part.strip_suffix(b"\r").unwrap_or(part);
                    line(&part[..part.len().min(self.max)], part.len());
                } else {
                    let room = self.max.saturating_sub(self.pending.len());
                    self.pending
                        .extend_from_slice(&part[..part.len().min(room)]);
                    self.pending_len += part.len();
                    if self.pending.last() == Some(&b'\r') {
                        self.pending.pop();
                        self.pending_len -= 1;
                    }
                    line(&self.pending, self.pending_len);
                    self.pending.clear();
                    self.pending_len = 0;
                }
            }
            let room = self.max.saturating_sub(self.pending.len());
            self.pending
                .extend_from_slice(&data[..data.len().min(room)]);
            self.pending_len += data.len();
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bounded_and_counted() {
        let data = format!("short\r\n{}\nlast", "x".repeat(100));
        let mut r = BufReader::with_capacity(7, data.as_bytes());
        let mut buf = Vec::new();
        let mut next = |buf: &mut Vec<u8>| read_line_bounded(&mut r, 10, buf).ok().flatten();
        assert_eq!(next(&mut buf), Some(5));
        assert_eq!(buf, b"short");
        assert_eq!(next(&mut buf), Some(100));
        assert_eq!(buf.len(), 10);
        assert_eq!(next(&mut buf), Some(4));
        assert_eq!(next(&mut buf), None);
    }

    #[test]
    fn gzip_is_recognised() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("smtp-doctor-logs-gz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("mail.log.1.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = enc.write_all(b"one\ntwo\n");
        let bytes = enc.finish().unwrap_or_default();
        let _ = std::fs::write(&path, bytes);
        let mut text = String::new();
        let read = open(&path).and_then(|mut r| {
            r.read_to_string(&mut text).map_err(|source| ReadError::Io {
                path: path.clone(),
                source,
            })
        });
        assert!(read.is_ok(), "{read:?}");
        assert_eq!(text, "one\ntwo\n");
        assert!(is_gzip(&path));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(open(Path::new("/nonexistent/smtp-doctor")).is_err());
        assert!(!is_gzip(Path::new("/nonexistent/smtp-doctor")));
    }

    #[test]
    fn follow_survives_rotation_and_truncation() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("smtp-doctor-follow-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("mail.log");
        let _ = std::fs::remove_file(&path);
        let mut f = Follow::new(&path, 8);
        let mut got: Vec<(String, usize)> = Vec::new();
        let poll = |f: &mut Follow| {
            let mut lines = Vec::new();
            let r = f.poll(&mut |l, n| lines.push((String::from_utf8_lossy(l).into_owned(), n)));
            assert!(r.is_ok(), "{r:?}");
            lines
        };
        assert!(poll(&mut f).is_empty(), "no file yet");
        let append = |data: &[u8]| {
            let w = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .and_then(|mut w| w.write_all(data));
            assert!(w.is_ok(), "{w:?}");
        };
        append(b"one\r\ntw");
        got.extend(poll(&mut f));
        assert_eq!(got, [("one".to_string(), 3)], "the unfinished line waits");
        append(b"o and more than eight\n");
        got.extend(poll(&mut f));
        assert_eq!(got[1], ("two and ".to_string(), 23));
        // Rotation: the old file gets a last line, is renamed, and a new one starts.
        append(b"last\n");
        assert!(std::fs::rename(&path, dir.join("mail.log.1")).is_ok());
        append(b"new\n");
        got.extend(poll(&mut f));
        assert_eq!(got[2..], [("last".to_string(), 4), ("new".to_string(), 3)]);
        // Truncation: read again from the start.
        assert!(std::fs::write(&path, b"").is_ok());
        append(b"x\n");
        got.extend(poll(&mut f));
        assert_eq!(got[4..], [("x".to_string(), 1)]);
        append(b"tail");
        got.extend(poll(&mut f));
        f.finish(&mut |l, n| got.push((String::from_utf8_lossy(l).into_owned(), n)));
        assert_eq!(got[5..], [("tail".to_string(), 4)]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
