//! Reading log input: files (gzip-compressed ones recognised by their magic bytes) and
//! standard input, line by line, each line bounded to [`crate::MAX_LINE`] bytes.

use std::io::{self, BufRead, BufReader, Read};
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
    let err = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let raw: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(std::fs::File::open(path).map_err(err)?)
    };
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
        let _ = std::fs::remove_dir_all(&dir);
        assert!(open(Path::new("/nonexistent/smtp-doctor")).is_err());
    }
}
