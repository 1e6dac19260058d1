//! Small text helpers: addresses, line endings, HTML to text.

use std::borrow::Cow;

/// Converts bare CR line endings to LF (CRLF and LF are left alone), so MIME parsing sees lines.
pub(crate) fn normalise_line_endings(bytes: &[u8]) -> Cow<'_, [u8]> {
    if bare_crs(bytes).next().is_none() {
        return Cow::Borrowed(bytes);
    }
    let mut out = bytes.to_vec();
    normalise_in_place(&mut out);
    Cow::Owned(out)
}

/// [`normalise_line_endings`] in place: a CR at the end of `bytes` counts as bare.
pub(crate) fn normalise_in_place(bytes: &mut [u8]) {
    let bare: Vec<usize> = bare_crs(bytes).collect();
    for i in bare {
        bytes[i] = b'\n';
    }
}

/// The positions of the CRs of `bytes` that no LF follows.
fn bare_crs(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'\r', bytes).filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
}

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '.' || c == '_'
}

/// One address found in text, with its byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// The address as written.
    pub(crate) address: String,
    /// Start byte in the text.
    pub(crate) start: usize,
    /// End byte in the text.
    pub(crate) end: usize,
}

/// Every address-looking `local@domain.tld` in `text`, in order. Bounded to `max` results.
pub(crate) fn find_addresses(text: &str, max: usize) -> Vec<Found> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    for at in memchr::memchr_iter(b'@', bytes) {
        if out.len() >= max {
            break;
        }
        let mut start = at;
        for (i, c) in text[..at].char_indices().rev() {
            if is_local_char(c) {
                start = i;
            } else {
                break;
            }
        }
        let mut end = at + 1;
        for (i, c) in text[at + 1..].char_indices() {
            if is_domain_char(c) {
                end = at + 1 + i + c.len_utf8();
            } else {
                break;
            }
        }
        let local = text[start..at].trim_matches('.');
        let domain = text[at + 1..end].trim_end_matches(['.', '-', '_']);
        if local.is_empty() || local.len() > 128 || !domain.contains('.') || domain.len() > 253 {
            continue;
        }
        let tld = domain.rsplit('.').next().unwrap_or("");
        if tld.len() < 2 || !tld.chars().all(|c| c.is_alphabetic()) {
            continue;
        }
        let local_start =
            start + (text[start..at].len() - text[start..at].trim_start_matches('.').len());
        let end = at + 1 + domain.len();
        // Skip message ids and URLs' user parts: `<id@host>` right after "Message-ID" is caught
        // by callers; here only obvious non-addresses go.
        if out.last().is_some_and(|f: &Found| f.end > local_start) {
            continue;
        }
        out.push(Found {
            address: format!("{local}@{domain}"),
            start: local_start,
            end,
        });
    }
    out
}

/// `s.trim()`, answered without the Unicode-aware walk when, once ASCII white space is cut, what
/// is left starts and ends with a visible ASCII character (as most lines and values do).
pub(crate) fn trim(s: &str) -> &str {
    let t = s.trim_ascii();
    match (t.as_bytes().first(), t.as_bytes().last()) {
        (Some(f), Some(l)) if !(f.is_ascii_graphic() && l.is_ascii_graphic()) => t.trim(),
        _ => t,
    }
}

/// Cleans one address value: strips a display name, brackets, quotes and trailing punctuation.
pub(crate) fn clean_address(value: &str) -> Option<String> {
    let v = trim(value);
    let v = match (v.rfind('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => &v[a + 1..b],
        _ => v,
    };
    let v =
        trim(v).trim_matches(|c: char| c == '<' || c == '>' || c == '"' || c == '\'' || c == ',');
    let v = trim(v.trim_end_matches(['.', ':', ';']));
    let v = v.strip_prefix("mailto:").unwrap_or(v);
    // White space inside: byte by byte for ASCII (U+000B too, which is white space to `char`).
    let spaced = if v.is_ascii() {
        v.bytes().any(|b| b.is_ascii_whitespace() || b == 0x0b)
    } else {
        v.contains(char::is_whitespace)
    };
    if v.is_empty() || v.len() > 320 || !v.contains('@') || spaced {
        return None;
    }
    Some(v.to_string())
}

/// True for addresses of mail systems rather than people (mailer-daemon, postmaster, ...).
pub(crate) fn is_system_address(addr: &str) -> bool {
    let local = addr.split('@').next().unwrap_or("").to_ascii_lowercase();
    matches!(
        local.as_str(),
        "mailer-daemon" | "postmaster" | "mail-daemon" | "mailerdaemon" | "noreply" | "no-reply"
    ) || local.starts_with("mailer-daemon")
        || local.starts_with("postmaster")
}

/// Turns HTML into plain text: drops tags, scripts and styles, turns block ends into line
/// breaks and decodes the common entities.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt..];
        let Some(gt) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = after[1..gt].trim();
        rest = &after[gt + 1..];
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        // Tag names are compared in any case, without a lower-case copy of each.
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if (is("script") || is("style")) && !tag.starts_with('/') {
            rest = find_ignore_case(rest, &format!("</{name}")).map_or("", |i| &rest[i..]);
            continue;
        }
        if [
            "br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table", "hr",
        ]
        .iter()
        .any(|n| is(n))
        {
            out.push('\n');
        } else if is("td") || is("th") {
            out.push(' ');
        }
    }
    out.push_str(rest);
    decode_entities(out)
}

/// `text` up to its first blank line (`\n\n`), or all of it.
pub(crate) fn before_blank_line(text: &str) -> &str {
    memchr::memmem::find(text.as_bytes(), b"\n\n").map_or(text, |i| &text[..i])
}

/// `s` in ASCII lower case, copied only when it has an upper-case letter.
pub(crate) fn ascii_lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// The first byte offset in `text` where `needle` stands, in any ASCII case; `None` also when
/// `needle` is all letters. The search starts from the places of its first byte that is not a
/// letter (one `memchr` pass), so no lower-case copy of `text` is made.
pub(crate) fn find_ignore_case(text: &str, needle: &str) -> Option<usize> {
    let (b, n) = (text.as_bytes(), needle.as_bytes());
    let k = n.iter().position(|c| !c.is_ascii_alphabetic())?;
    memchr::memchr_iter(n[k], b)
        .filter_map(|i| i.checked_sub(k))
        .find(|&s| {
            b.get(s..s + n.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(n))
        })
}

/// Quoted-printable (RFC 2045, 6.7) decoded leniently, as mail-parser decodes the parts it
/// decodes itself: soft line breaks (`=` at the end of a line) joined, `=XX` octets decoded, blanks
/// at the end of a line dropped, malformed escapes and 8-bit bytes kept as they are.
///
/// Written here because the crates' slice decoders do not read bounces as they come: mail-parser's
/// gives up on a malformed escape and quoted_printable's drops 8-bit bytes and writes CRLF.
pub(crate) fn decode_quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    // Blanks before this length of `out` were written as escapes or ended a joined line: kept.
    let mut kept = 0;
    let mut rest = input;
    while let Some(i) = memchr::memchr2(b'=', b'\n', rest) {
        out.extend_from_slice(&rest[..i]);
        let after = &rest[i + 1..];
        if rest[i] == b'\n' {
            while out.len() > kept && matches!(out.last(), Some(b' ' | b'\t')) {
                out.pop();
            }
            out.push(b'\n');
            kept = out.len();
            rest = after;
            continue;
        }
        let blanks = after
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t' | b'\r'))
            .count();
        let hex = |c: Option<&u8>| c.and_then(|c| (*c as char).to_digit(16));
        if after.get(blanks) == Some(&b'\n') {
            rest = &after[blanks + 1..];
        } else if let (Some(high), Some(low)) = (hex(after.first()), hex(after.get(1))) {
            // Both digits are below 16, so the octet fits.
            out.push((high * 16 + low) as u8);
            rest = &after[2..];
        } else {
            out.push(b'=');
            rest = after;
        }
        kept = out.len();
    }
    out.extend_from_slice(rest);
    out
}

/// The HTML entities [`html_to_text`] decodes, and their text.
const ENTITIES: &[(&str, &str)] = &[
    ("&nbsp;", " "),
    ("&lt;", "<"),
    ("&gt;", ">"),
    ("&quot;", "\""),
    ("&#39;", "'"),
    ("&amp;", "&"),
];

/// `text` with its [`ENTITIES`] decoded in one pass from left to right (so `&amp;lt;` gives
/// `&lt;`, as decoding `&amp;` last would).
fn decode_entities(text: String) -> String {
    if !text.contains('&') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        match ENTITIES.iter().find(|(e, _)| tail.starts_with(e)) {
            Some((e, t)) => {
                out.push_str(t);
                rest = &tail[e.len()..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text` with its ISO-2022-JP runs decoded, when it holds any (an `ESC $` shift): parts that
/// declare no charset, such as a delivery-status part whose Diagnostic-Code some Japanese MTAs
/// write in ISO-2022-JP, reach us with the escape sequences still in them.
pub(crate) fn decode_iso2022jp(text: &str) -> Cow<'_, str> {
    if !text.contains("\u{1b}$") {
        return Cow::Borrowed(text);
    }
    match mail_parser::decoders::charsets::map::charset_decoder(b"iso-2022-jp") {
        Some(decode) => Cow::Owned(decode(text.as_bytes())),
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_with_white_space_inside_are_refused() {
        for v in [
            "a b@example.org",
            "a\u{b}b@example.org",
            "é b@example.org",
            "é\u{3000}b@x.org",
        ] {
            assert_eq!(clean_address(v), None, "{v:?}");
        }
        assert_eq!(
            clean_address(" \"A\" <a@example.org>. "),
            Some("a@example.org".to_string())
        );
        assert_eq!(
            clean_address("é@example.org"),
            Some("é@example.org".to_string())
        );
    }

    #[test]
    fn trim_is_str_trim() {
        for s in [
            "",
            "   ",
            "a",
            " a b ",
            "\tvalue\r",
            "\u{3000}全角\u{3000}",
            " \u{a0}x\u{a0} ",
            "\u{b}x\u{b}",
            "x\u{2003}",
            "é",
            " é ",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }

    #[test]
    fn quoted_printable_is_decoded_leniently() {
        let decode = |s: &str| decode_quoted_printable(s.as_bytes());
        assert_eq!(
            decode("caf=C3=A9 =\nsoft=20 \nhard  \n"),
            "café soft \nhard\n".as_bytes()
        );
        // Malformed escapes, a lone `=` at the end and 8-bit bytes pass through.
        assert_eq!(decode("a=G1 b=4 c=3Dd é="), "a=G1 b=4 c=d é=".as_bytes());
        // A soft break with blanks after the `=`, lower-case hex.
        assert_eq!(decode("x= \t\ny=e9"), b"xy\xe9");
    }

    #[test]
    fn addresses_are_found_and_cleaned() {
        let found = find_addresses(
            "to <kijitora@example.jp>: 550 no user; postmaster@x.example.org.",
            10,
        );
        let addrs: Vec<&str> = found.iter().map(|f| f.address.as_str()).collect();
        assert_eq!(addrs, ["kijitora@example.jp", "postmaster@x.example.org"]);
        assert!(find_addresses("a@b and x@y.1 and @@", 10).is_empty());
        assert_eq!(
            clean_address("\"Neko\" <neko@example.jp>").as_deref(),
            Some("neko@example.jp")
        );
        assert_eq!(clean_address("  "), None);
        assert!(is_system_address("MAILER-DAEMON@example.jp"));
    }

    #[test]
    fn iso_2022_jp_runs_are_decoded() {
        let raw = "X-Notes; \u{1b}$B%f!<%6!<\u{1b}(B a@example.jp";
        assert_eq!(decode_iso2022jp(raw), "X-Notes; ユーザー a@example.jp");
        assert!(matches!(decode_iso2022jp("plain text"), Cow::Borrowed(_)));
    }

    #[test]
    fn line_endings_and_html() {
        assert_eq!(&*normalise_line_endings(b"a\rb\r\nc"), b"a\nb\r\nc");
        assert!(matches!(
            normalise_line_endings(b"a\r\nb"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            html_to_text("<p>Hi&nbsp;there</p><script>x</script>done<br>"),
            "\nHi there\ndone\n"
        );
        // Tags in any case; entities decoded once (an escaped entity stays one).
        assert_eq!(
            html_to_text("<TD>a &amp;lt; b<STYLE>p {}</Style>&quot;c&quot; &amp;amp; &x</BR>"),
            " a &lt; b\"c\" &amp; &x\n"
        );
    }
}
