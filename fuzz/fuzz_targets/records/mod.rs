//! What the DNS record targets share: the input as text, and remapped into the record's own
//! alphabet of tokens so the fuzzer reaches deep states without guessing the syntax.

/// The input as text (invalid UTF-8 replaced), then each byte as one of `tokens`.
pub fn texts(data: &[u8], tokens: &[&str]) -> [String; 2] {
    let mut remapped = String::with_capacity(data.len() * 4);
    for &b in data {
        remapped.push_str(tokens[usize::from(b) % tokens.len()]);
    }
    [String::from_utf8_lossy(data).into_owned(), remapped]
}
