//! Bounded reading of messages from files and stdin.

use std::io::{self, Read};

/// Line reading is the logs crate's: one bounded line reader for every batch input.
pub(crate) use smtp_doctor_logs::read::read_line_bounded;

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
    fn whole_input_is_bounded() {
        let (kept, total) = read_all_bounded(&[7u8; 1000][..], 100).unwrap_or_default();
        assert_eq!((kept.len(), total), (100, 1000));
    }
}
