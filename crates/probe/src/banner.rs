//! What a greeting says about the server: its name, its software and version.

use smtp_doctor_model::probe::BannerInfo;

/// Software named in banners: the word to find (case-insensitive), the name reported, and
/// whether the next word (or the text after `/`) is the version.
const SOFTWARE: &[(&str, &str, bool)] = &[
    ("Postfix", "Postfix", false),
    ("Exim", "Exim", true),
    ("Sendmail", "Sendmail", true),
    ("OpenSMTPD", "OpenSMTPD", false),
    ("Microsoft ESMTP MAIL Service", "Microsoft Exchange", false),
    ("Microsoft Exchange", "Microsoft Exchange", false),
    ("Haraka", "Haraka", true),
    ("qmail", "qmail", false),
    ("Courier", "Courier", false),
    ("hMailServer", "hMailServer", false),
    ("MailEnable", "MailEnable", false),
    ("Zimbra", "Zimbra", false),
    ("Stalwart", "Stalwart", true),
    ("Maddy", "Maddy", true),
    ("Mailpit", "Mailpit", true),
    ("MailHog", "MailHog", false),
    ("smtp4dev", "smtp4dev", false),
    ("gsmtp", "Google (gsmtp)", false),
    ("CommuniGate", "CommuniGate Pro", true),
    ("Kerio", "Kerio Connect", true),
    ("IceWarp", "IceWarp", true),
    ("MDaemon", "MDaemon", true),
    ("Axigen", "Axigen", true),
    ("Halon", "Halon", true),
    ("PowerMTA", "PowerMTA", true),
    ("ZMailer", "ZMailer", true),
    ("Cisco", "Cisco", false),
    ("Proofpoint", "Proofpoint", false),
    ("Mimecast", "Mimecast", false),
];

/// Reads the greeting lines (text after the code) of a 2xx banner.
pub(crate) fn analyse(lines: &[String]) -> BannerInfo {
    let first = lines.first().map(String::as_str).unwrap_or_default();
    let hostname = first
        .split_whitespace()
        .next()
        .filter(|w| looks_like_host(w))
        .map(str::to_string);
    let all = lines.join(" ");
    let esmtp = all.to_ascii_uppercase().contains("ESMTP");
    let (software, version) = software(&all);
    BannerInfo {
        hostname,
        software,
        version,
        esmtp,
        lines: lines.to_vec(),
        matches_ehlo: None,
        ehlo_name: None,
        ptr: None,
        matches_ptr: None,
    }
}

fn software(text: &str) -> (Option<String>, Option<String>) {
    let lower = text.to_ascii_lowercase();
    for (needle, name, versioned) in SOFTWARE {
        let Some(at) = find_word(&lower, &needle.to_ascii_lowercase()) else {
            continue;
        };
        let after = text.get(at + needle.len()..).unwrap_or_default();
        let version = if *versioned {
            version_after(after)
        } else if *name == "Microsoft Exchange" {
            // "Microsoft ESMTP MAIL Service, Version: 10.0.17763.1 ready"
            after
                .find("Version:")
                .and_then(|v| after.get(v + "Version:".len()..))
                .and_then(version_after)
        } else {
            // "ESMTP Postfix (3.7.11)" shows the version in parentheses, when at all.
            after
                .trim_start()
                .strip_prefix('(')
                .and_then(|r| r.split(')').next())
                .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
                .map(str::to_string)
        };
        return (Some((*name).to_string()), version);
    }
    (None, None)
}

/// The first place `needle` stands as a word: after the start, a space or `(`, and before the
/// end, a space, `/`, `(`, `)`, `,` or `;` (so `haraka.example` is not Haraka).
fn find_word(haystack: &str, needle: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = haystack.get(from..).and_then(|h| h.find(needle)) {
        let at = from + i;
        let before = haystack[..at].chars().next_back();
        let after = haystack
            .get(at + needle.len()..)
            .and_then(|a| a.chars().next());
        let starts = before.is_none_or(|c| c == ' ' || c == '(' || c == '-');
        let ends = after.is_none_or(|c| matches!(c, ' ' | '/' | '(' | ')' | ',' | ';'));
        if starts && ends {
            return Some(at);
        }
        from = at + needle.len();
    }
    None
}

/// The version right after a product name: `Exim 4.96`, `Haraka/2.8.25`, `Sendmail 8.15.2/8.15.2;`.
fn version_after(after: &str) -> Option<String> {
    let rest = after.strip_prefix('/').unwrap_or(after).trim_start();
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'))
        .collect();
    word.starts_with(|c: char| c.is_ascii_digit())
        .then(|| word.trim_end_matches('.').to_string())
}

fn looks_like_host(w: &str) -> bool {
    let w = w.trim_start_matches('[').trim_end_matches(']');
    w.parse::<std::net::IpAddr>().is_ok()
        || (w.contains('.')
            && w.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')))
        || w.eq_ignore_ascii_case("localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(line: &str) -> BannerInfo {
        analyse(&[line.to_string()])
    }

    #[test]
    fn common_banners() {
        let b = a("mail.example.org ESMTP Postfix (Debian/GNU)");
        assert_eq!(b.hostname.as_deref(), Some("mail.example.org"));
        assert_eq!(b.software.as_deref(), Some("Postfix"));
        assert_eq!(b.version, None);
        assert!(b.esmtp);
        let b = a("mx.example.org ESMTP Exim 4.96 Mon, 01 Jan 2024 10:00:00 +0000");
        assert_eq!(
            (b.software.as_deref(), b.version.as_deref()),
            (Some("Exim"), Some("4.96"))
        );
        let b = a("mx.example.org ESMTP Sendmail 8.15.2/8.15.2; Mon, 1 Jan 2024");
        assert_eq!(b.version.as_deref(), Some("8.15.2"));
        let b = a(
            "EX01.corp.example Microsoft ESMTP MAIL Service, Version: 10.0.17763.1 ready at Mon",
        );
        assert_eq!(
            (b.software.as_deref(), b.version.as_deref()),
            (Some("Microsoft Exchange"), Some("10.0.17763.1"))
        );
        let b = a("mx.google.com ESMTP a1-20020a.123 - gsmtp");
        assert_eq!(b.software.as_deref(), Some("Google (gsmtp)"));
        let b = a("smtp.example.net ESMTP OpenSMTPD");
        assert_eq!(b.software.as_deref(), Some("OpenSMTPD"));
        let b = a("haraka.example ESMTP Haraka/2.8.25 ready");
        assert_eq!(b.version.as_deref(), Some("2.8.25"));
        let b = a("Service ready");
        assert_eq!((b.hostname, b.software, b.esmtp), (None, None, false));
        let b = a("[192.0.2.1] ESMTP");
        assert_eq!(b.hostname.as_deref(), Some("[192.0.2.1]"));
    }
}
