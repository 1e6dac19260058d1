//! Host names and the report URIs of DMARC (`rua=`/`ruf=`) and TLS-RPT (`rua=`) records.

use thiserror::Error;

/// A report destination: `mailto:` with its mailbox, `https:` with its host, or another scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportUri {
    /// The scheme, lower-cased (`mailto`, `https`, `ftp`, ...).
    pub scheme: String,
    /// The URI as written.
    pub uri: String,
    /// The host mail or requests go to: the mailbox's domain for `mailto:`, the authority's
    /// host for `http:`/`https:`, lower-cased; `None` for other schemes.
    pub host: Option<String>,
    /// The mailbox (`local@domain`) of a `mailto:` URI.
    pub mailbox: Option<String>,
}

/// Why a report URI is not usable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UriProblem {
    /// Nothing was written.
    #[error("the URI is empty")]
    Empty,
    /// No `scheme:` in front (a bare address such as `reports@example.com`).
    #[error("the URI has no scheme (it should begin with mailto:)")]
    NoScheme,
    /// Whitespace inside the URI.
    #[error("the URI contains whitespace")]
    Whitespace,
    /// A `mailto:` whose address is not `local@domain` with a valid domain.
    #[error("the mailto: URI has no valid local@domain address")]
    BadMailbox,
    /// An `http:`/`https:` URI without a valid `//host`.
    #[error("the URI has no valid //host")]
    BadHost,
    /// A DMARC `!size` suffix that is not digits and an optional `k`, `m`, `g` or `t`.
    #[error("the !size suffix is not a number with an optional k, m, g or t")]
    BadSizeLimit,
}

/// True for a host name of LDH labels (1 to 63 bytes each, no leading or trailing `-`),
/// 253 bytes at most, with no root dot.
pub fn is_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// True for an RFC 3986 scheme: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// True for a bracketed IP literal (`[2001:db8::1]`) or a dotted IPv4 address.
fn is_ip_literal(host: &str) -> bool {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .map_or_else(
            || host.parse::<std::net::Ipv4Addr>().is_ok(),
            |h| h.parse::<std::net::Ipv6Addr>().is_ok(),
        )
}

/// Parses one report URI (already split from its list and trimmed).
pub fn parse_report_uri(text: &str) -> Result<ReportUri, UriProblem> {
    if text.is_empty() {
        return Err(UriProblem::Empty);
    }
    if text.chars().any(char::is_whitespace) {
        return Err(UriProblem::Whitespace);
    }
    let Some((scheme, rest)) = text.split_once(':').filter(|(s, _)| is_scheme(s)) else {
        return Err(UriProblem::NoScheme);
    };
    let scheme = scheme.to_ascii_lowercase();
    let (host, mailbox) = match scheme.as_str() {
        "mailto" => {
            let address = rest.split('?').next().unwrap_or_default();
            let Some((local, domain)) = address.rsplit_once('@') else {
                return Err(UriProblem::BadMailbox);
            };
            if local.is_empty() || local.contains('/') || !is_hostname(domain) {
                return Err(UriProblem::BadMailbox);
            }
            (Some(domain.to_ascii_lowercase()), Some(address.to_string()))
        }
        "http" | "https" => {
            let authority = rest
                .strip_prefix("//")
                .map(|r| r.split(['/', '?', '#']).next().unwrap_or_default())
                .ok_or(UriProblem::BadHost)?;
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let host = match host.rsplit_once(':') {
                Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
                _ => host,
            };
            if !is_hostname(host) && !is_ip_literal(host) {
                return Err(UriProblem::BadHost);
            }
            (Some(host.to_ascii_lowercase()), None)
        }
        _ if rest.is_empty() => return Err(UriProblem::Empty),
        _ => (None, None),
    };
    Ok(ReportUri {
        scheme,
        uri: text.to_string(),
        host,
        mailbox,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_ldh_labels() {
        assert!(is_hostname("mail.example.com"));
        assert!(is_hostname("a-1.example"));
        for bad in [
            "",
            "..--",
            "-a.example",
            "a..b",
            "mail.example.com.",
            "not a host!",
        ] {
            assert!(!is_hostname(bad), "{bad}");
        }
        assert!(!is_hostname(&format!("{}.example", "a".repeat(64))));
    }

    #[test]
    fn report_uris_keep_scheme_host_and_mailbox() {
        let u = parse_report_uri("mailto:Dmarc@Example.COM");
        assert_eq!(
            u.as_ref().map(|u| u.host.as_deref()),
            Ok(Some("example.com"))
        );
        assert_eq!(
            u.map(|u| u.mailbox),
            Ok(Some("Dmarc@Example.COM".to_string()))
        );
        let h = parse_report_uri("https://r.example.com:8443/v1?x=1");
        assert_eq!(h.map(|u| u.host), Ok(Some("r.example.com".to_string())));
        assert_eq!(
            parse_report_uri("ftp://abuse.example").map(|u| u.scheme),
            Ok("ftp".to_string())
        );
    }

    #[test]
    fn bad_report_uris_say_why() {
        assert_eq!(parse_report_uri("a@example.com"), Err(UriProblem::NoScheme));
        assert_eq!(
            parse_report_uri("mailto://abuse.com"),
            Err(UriProblem::BadMailbox)
        );
        assert_eq!(parse_report_uri("https:/x"), Err(UriProblem::BadHost));
        assert_eq!(
            parse_report_uri("mailto:a @b.example"),
            Err(UriProblem::Whitespace)
        );
        assert_eq!(
            parse_report_uri("not_a_valid_uri"),
            Err(UriProblem::NoScheme)
        );
    }
}
