//! Bounded reading of messages from files and stdin.

use std::io::{self, BufRead, Read};

/// Reads one line into `buf`, keeping at most `max` bytes of it (the rest is read and dropped).
/// Returns the line's full length without its line ending, or `None` at end of input.
pub(crate) fn read_line_bounded(
    r: &mut impl BufRead,
    max: usize,
    buf: &mut Vec<u8>,
) -> io::Result<Option<usize>> {
    buf.clear();
    let mut total = 0;
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
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

/// Reads all of `r`, keeping at most `max` bytes; returns the kept bytes and the full length.
pub(crate) fn read_all_bounded(r: impl Read, max: usize) -> io::Result<(Vec<u8>, usize)> {
    let mut kept = Vec::new();
    let mut limited = r.take(max as u64);
    limited.read_to_end(&mut kept)?;
    let rest = io::copy(&mut limited.into_inner(), &mut io::sink())?;
    let total = kept.len() + usize::try_from(rest).unwrap_or(usize::MAX);
    Ok((kept, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bounded_and_counted() {
        let data = format!("short\r\n{}\nlast", "x".repeat(100));
        let mut r = io::BufReader::with_capacity(7, data.as_bytes());
        let mut buf = Vec::new();
        assert_eq!(
            read_line_bounded(&mut r, 10, &mut buf).ok().flatten(),
            Some(5)
        );
        assert_eq!(buf, b"short");
        assert_eq!(
            read_line_bounded(&mut r, 10, &mut buf).ok().flatten(),
            Some(100)
        );
        assert_eq!(buf.len(), 10);
        assert_eq!(
            read_line_bounded(&mut r, 10, &mut buf).ok().flatten(),
            Some(4)
        );
        assert_eq!(read_line_bounded(&mut r, 10, &mut buf).ok().flatten(), None);
    }

    #[test]
    fn whole_input_is_bounded() {
        let (kept, total) = read_all_bounded(&[7u8; 1000][..], 100).unwrap_or_default();
        assert_eq!((kept.len(), total), (100, 1000));
    }
}
