//! What to probe: a host, a host and port, an IP address, a mail domain or a mail address.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

/// What to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// An IP address, probed directly.
    Ip {
        /// The address.
        addr: IpAddr,
        /// The port, when the target named one.
        port: Option<u16>,
    },
    /// A host name given with a port (`host:port`): its A/AAAA records, no MX lookup.
    Host {
        /// The host name, without a trailing dot.
        name: String,
        /// The port.
        port: Option<u16>,
    },
    /// A mail domain: every MX host in preference order, or the domain itself when it has no MX.
    Domain {
        /// The domain, without a trailing dot.
        name: String,
    },
    /// `user@domain`: the domain's MX hosts, with the address as the recipient.
    Address {
        /// The part before the `@`.
        local: String,
        /// The domain.
        domain: String,
    },
}

/// Why a target could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The target was empty.
    #[error("empty target")]
    Empty,
    /// The port is not a number from 1 to 65535.
    #[error("{0:?} is not a port number (1-65535)")]
    BadPort(String),
    /// Brackets around something that is not an IPv6 address.
    #[error("{0:?} is not an IPv6 address")]
    BadIpv6(String),
    /// A name with characters a host name cannot hold.
    #[error("{0:?} is not a host name")]
    BadName(String),
    /// A mail address without a local part or a domain.
    #[error("{0:?} is not a mail address")]
    BadAddress(String),
}

impl Target {
    /// Reads `host`, `host:port`, `[v6]:port`, `[v6]`, an IPv4 or IPv6 address,
    /// `ipv4:port`, `user@domain` or `domain`.
    ///
    /// A bare name is read as a mail domain (MX lookup, then the name itself when there is no
    /// MX, which also covers a plain host name); a name with a port is read as a host.
    pub fn parse(input: &str) -> Result<Target, TargetError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(TargetError::Empty);
        }
        if let Some((local, domain)) = s.rsplit_once('@') {
            let domain = domain.trim_end_matches('.');
            if local.is_empty() || domain.is_empty() {
                return Err(TargetError::BadAddress(s.to_string()));
            }
            check_name(domain)?;
            if local.bytes().any(|b| b.is_ascii_control() || b == b' ') {
                return Err(TargetError::BadAddress(s.to_string()));
            }
            return Ok(Target::Address {
                local: local.to_string(),
                domain: domain.to_ascii_lowercase(),
            });
        }
        if let Some(rest) = s.strip_prefix('[') {
            let (inside, after) = rest
                .split_once(']')
                .ok_or_else(|| TargetError::BadIpv6(s.to_string()))?;
            let addr: Ipv6Addr = inside
                .parse()
                .map_err(|_| TargetError::BadIpv6(inside.to_string()))?;
            let port = match after {
                "" => None,
                p => Some(parse_port(
                    p.strip_prefix(':')
                        .ok_or_else(|| TargetError::BadPort(p.to_string()))?,
                )?),
            };
            return Ok(Target::Ip {
                addr: IpAddr::V6(addr),
                port,
            });
        }
        if let Ok(addr) = s.parse::<IpAddr>() {
            return Ok(Target::Ip { addr, port: None });
        }
        match s.rsplit_once(':') {
            Some((host, port)) => {
                let port = Some(parse_port(port)?);
                if let Ok(addr) = host.parse::<IpAddr>() {
                    return Ok(Target::Ip { addr, port });
                }
                let name = host.trim_end_matches('.');
                check_name(name)?;
                Ok(Target::Host {
                    name: name.to_ascii_lowercase(),
                    port,
                })
            }
            None => {
                let name = s.trim_end_matches('.');
                check_name(name)?;
                Ok(Target::Domain {
                    name: name.to_ascii_lowercase(),
                })
            }
        }
    }

    /// The port the target named, if any.
    pub fn port(&self) -> Option<u16> {
        match self {
            Target::Ip { port, .. } | Target::Host { port, .. } => *port,
            Target::Domain { .. } | Target::Address { .. } => None,
        }
    }

    /// The recipient the target implies (`user@domain`), if any.
    pub fn recipient(&self) -> Option<String> {
        match self {
            Target::Address { local, domain } => Some(format!("{local}@{domain}")),
            _ => None,
        }
    }
}

impl FromStr for Target {
    type Err = TargetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Target::parse(s)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Ip {
                addr: IpAddr::V6(a),
                port: Some(p),
            } => write!(f, "[{a}]:{p}"),
            Target::Ip {
                addr,
                port: Some(p),
            } => write!(f, "{addr}:{p}"),
            Target::Ip { addr, port: None } => write!(f, "{addr}"),
            Target::Host {
                name,
                port: Some(p),
            } => write!(f, "{name}:{p}"),
            Target::Host { name, port: None } | Target::Domain { name } => f.write_str(name),
            Target::Address { local, domain } => write!(f, "{local}@{domain}"),
        }
    }
}

fn parse_port(p: &str) -> Result<u16, TargetError> {
    match p.parse::<u16>() {
        Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(TargetError::BadPort(p.to_string())),
    }
}

/// Letters, digits, hyphens, underscores and dots, labels of 1 to 63 bytes, 253 bytes in all.
fn check_name(name: &str) -> Result<(), TargetError> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if ok {
        Ok(())
    } else {
        Err(TargetError::BadName(name.to_string()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn t(s: &str) -> Target {
        Target::parse(s).unwrap()
    }

    #[test]
    fn every_form_parses() {
        assert_eq!(
            t("example.org"),
            Target::Domain {
                name: "example.org".into()
            }
        );
        assert_eq!(
            t("MX.Example.org."),
            Target::Domain {
                name: "mx.example.org".into()
            }
        );
        assert_eq!(
            t("mx.example.org:587"),
            Target::Host {
                name: "mx.example.org".into(),
                port: Some(587)
            }
        );
        assert_eq!(
            t("192.0.2.1"),
            Target::Ip {
                addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
                port: None
            }
        );
        assert_eq!(
            t("127.0.0.1:2525"),
            Target::Ip {
                addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
                port: Some(2525)
            }
        );
        assert_eq!(
            t("::1"),
            Target::Ip {
                addr: IpAddr::V6(Ipv6Addr::LOCALHOST),
                port: None
            }
        );
        assert_eq!(
            t("[::1]:465"),
            Target::Ip {
                addr: IpAddr::V6(Ipv6Addr::LOCALHOST),
                port: Some(465)
            }
        );
        assert_eq!(
            t("[2001:db8::1]"),
            Target::Ip {
                addr: "2001:db8::1".parse().unwrap(),
                port: None
            }
        );
        let a = t("Someone@Lab.Test");
        assert_eq!(
            a,
            Target::Address {
                local: "Someone".into(),
                domain: "lab.test".into()
            }
        );
        assert_eq!(a.recipient().as_deref(), Some("Someone@lab.test"));
        assert_eq!(
            t("localhost"),
            Target::Domain {
                name: "localhost".into()
            }
        );
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "example.org",
            "mx.example.org:587",
            "192.0.2.1",
            "192.0.2.1:25",
            "[::1]:465",
            "::1",
            "user@example.org",
        ] {
            assert_eq!(t(s).to_string(), s);
            assert_eq!(t(&t(s).to_string()), t(s));
        }
    }

    #[test]
    fn bad_targets_are_refused() {
        assert_eq!(Target::parse("  "), Err(TargetError::Empty));
        assert!(matches!(
            Target::parse("mx.example.org:0"),
            Err(TargetError::BadPort(_))
        ));
        assert!(matches!(
            Target::parse("mx.example.org:70000"),
            Err(TargetError::BadPort(_))
        ));
        assert!(matches!(
            Target::parse("mx.example.org:+25"),
            Err(TargetError::BadPort(_))
        ));
        assert!(matches!(
            Target::parse("[192.0.2.1]:25"),
            Err(TargetError::BadIpv6(_))
        ));
        assert!(matches!(
            Target::parse("[::1"),
            Err(TargetError::BadIpv6(_))
        ));
        assert!(matches!(
            Target::parse("[::1]25"),
            Err(TargetError::BadPort(_))
        ));
        assert!(matches!(
            Target::parse("@example.org"),
            Err(TargetError::BadAddress(_))
        ));
        assert!(matches!(
            Target::parse("user@"),
            Err(TargetError::BadAddress(_))
        ));
        assert!(matches!(
            Target::parse("bad name.org"),
            Err(TargetError::BadName(_))
        ));
        assert!(matches!(
            Target::parse("a..b"),
            Err(TargetError::BadName(_))
        ));
        assert!(matches!(
            Target::parse("http://example.org"),
            Err(TargetError::BadPort(_) | TargetError::BadName(_))
        ));
    }
}
