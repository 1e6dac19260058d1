//! Reverse DNS of an address: its PTR names, whether one resolves back to it (forward-confirmed
//! reverse DNS, FCrDNS), several PTRs, no PTR (with the answer's kind), generic-looking names
//! and the address's scope (loopback, private, ...).
//!
//! Receivers check the sending address this way (Postfix `reject_unknown_client_hostname`,
//! Exim `verify = reverse_host_lookup`, Gmail's and Microsoft's requirements for senders), so
//! this is a check of a *sending* address.
//!
//! A caveat for tests: hickory-resolver answers PTR queries for 127.x and `::1` itself with
//! `localhost` (RFC 6761), without asking the server.

use crate::dmarc::org::psl_organizational_domain;
use crate::dns::{join_all, reverse_name, AnswerKind, RecordType, Resolver};
use crate::evidence::{dns_evidence, join_names};
use serde::Serialize;
use smtp_doctor_model::Evidence;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The most PTR names whose addresses are looked up (RFC 7208 5.5 stops at 10 as well).
pub const MAX_NAMES: usize = 10;
/// The most addresses kept per PTR name.
pub const MAX_ADDRESSES: usize = 16;

/// What the reverse DNS check found for one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RdnsReport {
    /// The address checked (an IPv4-mapped IPv6 address as IPv4).
    pub ip: IpAddr,
    /// The name asked: `d.c.b.a.in-addr.arpa` or the `ip6.arpa` nibble name.
    pub reverse_name: String,
    /// The kind of the PTR answer.
    pub answer: AnswerKind,
    /// What kind of address it is.
    pub scope: Scope,
    /// The PTR names (at most [`MAX_NAMES`]) with their forward answers.
    pub names: Vec<PtrName>,
    /// PTR names beyond [`MAX_NAMES`], not looked up.
    pub skipped: usize,
    /// Forward-confirmed: some PTR name's A (or AAAA) answer holds the address.
    pub confirmed: bool,
    /// What is wrong, in the order found.
    pub problems: Vec<RdnsProblem>,
}

/// One PTR name and its forward answer (A for an IPv4 address, AAAA for IPv6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PtrName {
    /// The name, lower case, without the final dot.
    pub name: String,
    /// The kind of the forward answer.
    pub answer: AnswerKind,
    /// Its addresses, at most [`MAX_ADDRESSES`].
    pub addresses: Vec<IpAddr>,
    /// The address checked is among them.
    pub confirmed: bool,
    /// Why the name looks generic, when it does.
    pub generic: Option<Generic>,
}

/// Why a PTR name looks like an ISP's generic name for a dynamic or residential address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Generic {
    /// The name holds the address's numbers (octets in either order, or its hex form).
    pub holds_address: bool,
    /// The generic words found in the host part (`dynamic`, `dsl`, `pool`, ...).
    pub words: Vec<String>,
}

/// What kind of address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Scope {
    /// A global address.
    Public,
    /// 127.0.0.0/8 or `::1`.
    Loopback,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16) or an IPv6 unique local address (fc00::/7).
    Private,
    /// 169.254/16 or fe80::/10.
    LinkLocal,
    /// Carrier-grade NAT, 100.64.0.0/10 (RFC 6598).
    SharedNat,
    /// The documentation ranges (RFC 5737, RFC 3849).
    Documentation,
    /// `0.0.0.0` or `::`.
    Unspecified,
    /// Multicast, broadcast and other reserved ranges.
    Reserved,
}

impl Scope {
    /// The scope of `ip`.
    pub fn of(ip: IpAddr) -> Scope {
        match ip {
            IpAddr::V4(v4) => v4_scope(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4_scope(v4),
                None => v6_scope(v6),
            },
        }
    }

    /// True for addresses that the internet never sees as a sender: loopback, private,
    /// link-local, shared (CGNAT), unspecified, reserved.
    pub fn is_internal(self) -> bool {
        !matches!(self, Scope::Public | Scope::Documentation)
    }
}

fn v4_scope(ip: Ipv4Addr) -> Scope {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Scope::Loopback
    } else if ip.is_private() {
        Scope::Private
    } else if ip.is_link_local() {
        Scope::LinkLocal
    } else if a == 100 && (64..128).contains(&b) {
        Scope::SharedNat
    } else if ip.is_documentation() {
        Scope::Documentation
    } else if ip.is_unspecified() {
        Scope::Unspecified
    } else if ip.is_multicast() || ip.is_broadcast() || a >= 240 || a == 0 {
        Scope::Reserved
    } else {
        Scope::Public
    }
}

fn v6_scope(ip: Ipv6Addr) -> Scope {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Scope::Loopback
    } else if ip.is_unspecified() {
        Scope::Unspecified
    } else if first & 0xfe00 == 0xfc00 {
        Scope::Private
    } else if first & 0xffc0 == 0xfe80 {
        Scope::LinkLocal
    } else if first == 0x2001 && ip.segments()[1] == 0x0db8 {
        Scope::Documentation
    } else if ip.is_multicast() || first & 0xe000 != 0x2000 {
        Scope::Reserved
    } else {
        Scope::Public
    }
}

/// What is wrong with an address's reverse DNS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RdnsProblem {
    /// No PTR record: the answer was NXDOMAIN or NODATA.
    NoPtr {
        /// Its kind.
        answer: AnswerKind,
    },
    /// The PTR query failed (SERVFAIL, REFUSED, timeout, ...): a DNS failure, not an answer.
    LookupFailed {
        /// Its kind.
        answer: AnswerKind,
    },
    /// No PTR name resolves back to the address (the forward answers all came back).
    NotConfirmed {
        /// The PTR names.
        names: Vec<String>,
    },
    /// No PTR name resolves back, and a forward query failed, so confirmation is unknown.
    ForwardLookupFailed {
        /// The name whose query failed.
        name: String,
        /// The kind of its answer.
        answer: AnswerKind,
    },
    /// More than one PTR name (RFC 1912 2.1 advises one).
    SeveralNames {
        /// The names.
        names: Vec<String>,
    },
    /// A PTR name that looks generic (see [`generic`]).
    GenericName {
        /// The name.
        name: String,
        /// Why.
        generic: Generic,
    },
}

/// Checks the reverse DNS of `ip`: its PTR names and their forward confirmation.
pub async fn check<R: Resolver>(dns: &R, ip: IpAddr) -> RdnsReport {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let reverse = reverse_name(ip);
    let lookup = dns.lookup(&reverse, RecordType::Ptr).await;
    let mut names: Vec<String> = lookup.ptr().map(str::to_string).collect();
    names.sort();
    names.dedup();
    let mut report = RdnsReport {
        ip,
        reverse_name: reverse,
        answer: lookup.answer.kind(),
        scope: Scope::of(ip),
        names: Vec::new(),
        skipped: names.len().saturating_sub(MAX_NAMES),
        confirmed: false,
        problems: Vec::new(),
    };
    if names.is_empty() {
        report.problems.push(if report.answer.is_error() {
            RdnsProblem::LookupFailed {
                answer: report.answer,
            }
        } else {
            RdnsProblem::NoPtr {
                answer: report.answer,
            }
        });
        return report;
    }
    let forward_type = if ip.is_ipv4() {
        RecordType::A
    } else {
        RecordType::Aaaa
    };
    let asked = &names[..names.len().min(MAX_NAMES)];
    let lookups = join_all(asked.iter().map(|n| dns.lookup(n, forward_type)).collect()).await;
    for (name, l) in asked.iter().zip(lookups) {
        let addresses: Vec<IpAddr> = l.addresses().take(MAX_ADDRESSES).collect();
        let confirmed = l.addresses().any(|a| a == ip);
        report.names.push(PtrName {
            name: name.clone(),
            answer: l.answer.kind(),
            addresses,
            confirmed,
            generic: generic(name, ip),
        });
    }
    report.confirmed = report.names.iter().any(|n| n.confirmed);
    if !report.confirmed {
        report
            .problems
            .push(match report.names.iter().find(|n| n.answer.is_error()) {
                Some(n) => RdnsProblem::ForwardLookupFailed {
                    name: n.name.clone(),
                    answer: n.answer,
                },
                None => RdnsProblem::NotConfirmed {
                    names: report.names.iter().map(|n| n.name.clone()).collect(),
                },
            });
    }
    if names.len() > 1 {
        report.problems.push(RdnsProblem::SeveralNames { names });
    }
    for n in &report.names {
        if let Some(generic) = &n.generic {
            report.problems.push(RdnsProblem::GenericName {
                name: n.name.clone(),
                generic: generic.clone(),
            });
        }
    }
    report
}

/// Words that alone make a name generic (ISPs' names for dynamic and residential lines).
pub const STRONG_WORDS: &[&str] = &[
    "dynamic",
    "dyn",
    "dhcp",
    "dsl",
    "adsl",
    "vdsl",
    "xdsl",
    "cable",
    "ppp",
    "pppoe",
    "dialup",
    "broadband",
    "residential",
    "customer",
];

/// Words that make a name generic only beside at least two numbers (`host-12-34`,
/// `static-203-0-113-9`): alone they also name real servers (`host2`, `pool.example.com`).
pub const WEAK_WORDS: &[&str] = &[
    "client", "static", "host", "ip", "pool", "cust", "user", "dial", "dip", "cpe", "nat",
];

/// Why `name` looks like a generic ISP name for `ip`, or `None`.
///
/// The heuristic looks only at the host part, the labels left of the registrable domain (by
/// the Public Suffix List), so the provider's own domain never counts. The name is generic
/// when
/// - the host part holds the address's numbers: three or four of its octets as consecutive
///   numbers in either order (`203-0-113-9`, `9.113.0.203`, `0-113-9`), the twelve
///   zero-padded digits (`203000113009`) or the eight hex digits (`cb007109`); for IPv6 the
///   last four groups in order, or the 16 or 32 hex digits of the interface or address;
/// - or it holds a word of [`STRONG_WORDS`] (`dynamic`, `dsl`, `cable`, ...);
/// - or a word of [`WEAK_WORDS`] (`static`, `host`, `ip`, `pool`, ...) and two numbers.
///
/// Words are the runs of letters between dots, dashes, underscores and digits.
pub fn generic(name: &str, ip: IpAddr) -> Option<Generic> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let host = match psl_organizational_domain(&name) {
        Some(org) if org.len() < name.len() => name[..name.len() - org.len() - 1].to_string(),
        _ => return None,
    };
    let tokens = tokens(&host);
    let numbers: Vec<&str> = tokens
        .iter()
        .copied()
        .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let holds_address = holds_address(&host, &tokens, ip);
    let words: Vec<String> = tokens
        .iter()
        .filter(|t| STRONG_WORDS.contains(t) || (numbers.len() >= 2 && WEAK_WORDS.contains(t)))
        .map(|t| (*t).to_string())
        .collect();
    (holds_address || !words.is_empty()).then_some(Generic {
        holds_address,
        words,
    })
}

/// The host part cut at dots, dashes, underscores and every change between letters and digits.
fn tokens(host: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for part in host.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut start = 0;
        let b = part.as_bytes();
        for i in 1..=b.len() {
            if i == b.len() || b[i].is_ascii_digit() != b[i - 1].is_ascii_digit() {
                if start < i {
                    out.push(&part[start..i]);
                }
                start = i;
            }
        }
    }
    out
}

fn holds_address(host: &str, tokens: &[&str], ip: IpAddr) -> bool {
    let seq = |wanted: &[u32], radix: u32| {
        let values: Vec<Option<u32>> = tokens
            .iter()
            .map(|t| u32::from_str_radix(t, radix).ok())
            .collect();
        values
            .windows(wanted.len())
            .any(|w| w.iter().zip(wanted).all(|(v, x)| *v == Some(*x)))
    };
    let compact: String = host.chars().filter(char::is_ascii_alphanumeric).collect();
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets().map(u32::from);
            let [a, b, c, d] = o;
            let padded = format!("{a:03}{b:03}{c:03}{d:03}");
            let hex = format!("{:08x}", u32::from(v4));
            seq(&[a, b, c, d], 10)
                || seq(&[d, c, b, a], 10)
                || seq(&[b, c, d], 10)
                || seq(&[d, c, b], 10)
                || compact.contains(&padded)
                || compact.contains(&hex)
        }
        IpAddr::V6(v6) => {
            let groups = v6.segments().map(u32::from);
            let hex: String = v6.octets().iter().map(|b| format!("{b:02x}")).collect();
            // A hex token is split at letter/digit changes, so the groups are matched on the
            // name cut at separators only.
            let parts: Vec<Option<u32>> = host
                .split(|c: char| !c.is_ascii_alphanumeric())
                .map(|p| u32::from_str_radix(p, 16).ok())
                .collect();
            let last = &groups[4..];
            parts
                .windows(4)
                .any(|w| w.iter().zip(last).all(|(v, x)| *v == Some(*x)))
                || compact.contains(&hex)
                || (hex[16..] != *"0000000000000001" && compact.contains(&hex[16..]))
        }
    }
}

impl RdnsReport {
    /// One piece of evidence per problem, for the classifier.
    pub fn evidence(&self) -> Vec<Evidence> {
        self.problems
            .iter()
            .map(|p| dns_evidence(None, &self.sentence(p)))
            .collect()
    }

    /// The plain sentence that states `problem` with its facts.
    fn sentence(&self, problem: &RdnsProblem) -> String {
        let ip = self.ip;
        let rev = &self.reverse_name;
        let fwd = if ip.is_ipv4() { "A" } else { "AAAA" };
        match problem {
            RdnsProblem::NoPtr { answer } => format!(
                "the address {ip} has no PTR record (PTR query for {rev}: {answer}): its reverse DNS is missing, and receivers that require it refuse or defer mail from this address"
            ),
            RdnsProblem::LookupFailed { answer } => format!(
                "the PTR query for {ip} ({rev}) failed ({answer}): a DNS failure, not an answer"
            ),
            RdnsProblem::NotConfirmed { names } => {
                let each: Vec<String> = self
                    .names
                    .iter()
                    .filter(|n| names.contains(&n.name))
                    .map(|n| {
                        let got = if n.addresses.is_empty() {
                            n.answer.to_string()
                        } else {
                            let list: Vec<String> =
                                n.addresses.iter().map(IpAddr::to_string).collect();
                            list.join(", ")
                        };
                        format!("{} {fwd}: {got}", n.name)
                    })
                    .collect();
                format!(
                    "the reverse DNS of the address {ip} is not forward-confirmed (FCrDNS): none of its PTR names resolves back to it ({})",
                    each.join("; ")
                )
            }
            RdnsProblem::ForwardLookupFailed { name, answer } => format!(
                "the {fwd} query for {name}, the PTR name of the address {ip}, failed ({answer}): a DNS failure, so whether that name resolves back to the address is not known"
            ),
            RdnsProblem::SeveralNames { names } => format!(
                "the address {ip} has {} PTR names ({}): receivers use one of them, which may not be the name the host greets with (RFC 1912 section 2.1)",
                names.len(),
                join_names(names)
            ),
            RdnsProblem::GenericName { name, generic } => {
                let mut why = Vec::new();
                if generic.holds_address {
                    why.push("it holds the address's numbers".to_string());
                }
                if !generic.words.is_empty() {
                    why.push(format!("it has the word {}", join_names(&generic.words)));
                }
                format!(
                    "the PTR name {name} of the address {ip} looks generic ({}): receivers take such names for dynamic or residential addresses that should not send mail directly",
                    why.join(", ")
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{block_on, Answer, Rdata, Zone};

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn run(zone: &Zone, addr: &str) -> RdnsReport {
        block_on(check(zone, ip(addr)))
    }

    fn ptr(zone: &mut Zone, addr: &str, name: &str) {
        zone.add(&reverse_name(ip(addr)), Rdata::Ptr(name.to_string()));
    }

    fn texts(r: &RdnsReport) -> Vec<String> {
        r.evidence().into_iter().map(|e| e.text).collect()
    }

    #[test]
    fn forward_confirmed_name_is_clean() {
        let mut z = Zone::new();
        ptr(&mut z, "192.0.2.11", "mail.example.com");
        z.add("mail.example.com", Rdata::A([192, 0, 2, 11].into()));
        let r = run(&z, "192.0.2.11");
        assert!(r.confirmed);
        assert_eq!(r.names[0].name, "mail.example.com");
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.scope, Scope::Documentation);
        // The same through an IPv4-mapped IPv6 address.
        let r = run(&z, "::ffff:192.0.2.11");
        assert_eq!((r.ip, r.confirmed), (ip("192.0.2.11"), true));
    }

    #[test]
    fn no_ptr_keeps_the_answer_kind() {
        let mut z = Zone::new();
        z.touch("2.0.192.in-addr.arpa");
        let r = run(&z, "192.0.2.14");
        assert_eq!(
            r.problems,
            [RdnsProblem::NoPtr {
                answer: AnswerKind::Nxdomain
            }]
        );
        assert_eq!(
            texts(&r),
            ["dns check: the address 192.0.2.14 has no PTR record (PTR query for 14.2.0.192.in-addr.arpa: NXDOMAIN): its reverse DNS is missing, and receivers that require it refuse or defer mail from this address"]
        );
        z.add("15.2.0.192.in-addr.arpa", Rdata::Txt(vec![b"x".to_vec()]));
        assert_eq!(
            run(&z, "192.0.2.15").problems,
            [RdnsProblem::NoPtr {
                answer: AnswerKind::Nodata
            }]
        );
        z.fail("16.2.0.192.in-addr.arpa", Answer::ServFail);
        z.fail("17.2.0.192.in-addr.arpa", Answer::Timeout);
        assert_eq!(
            run(&z, "192.0.2.16").problems,
            [RdnsProblem::LookupFailed {
                answer: AnswerKind::Servfail
            }]
        );
        let r = run(&z, "192.0.2.17");
        assert!(texts(&r)[0].contains("failed (timeout): a DNS failure"));
    }

    #[test]
    fn not_confirmed_and_forward_failure() {
        let mut z = Zone::new();
        ptr(&mut z, "192.0.2.10", "mx.example.org");
        z.add("mx.example.org", Rdata::A([198, 51, 100, 7].into()));
        let r = run(&z, "192.0.2.10");
        assert!(!r.confirmed);
        assert_eq!(
            r.problems,
            [RdnsProblem::NotConfirmed {
                names: vec!["mx.example.org".into()]
            }]
        );
        assert!(texts(&r)[0].contains(
            "is not forward-confirmed (FCrDNS): none of its PTR names resolves back to it (mx.example.org A: 198.51.100.7)"
        ));
        ptr(&mut z, "192.0.2.20", "gone.example.org");
        assert!(texts(&run(&z, "192.0.2.20"))[0].contains("(gone.example.org A: NXDOMAIN)"));
        ptr(&mut z, "192.0.2.21", "slow.example.org");
        z.fail("slow.example.org", Answer::Timeout);
        assert_eq!(
            run(&z, "192.0.2.21").problems,
            [RdnsProblem::ForwardLookupFailed {
                name: "slow.example.org".into(),
                answer: AnswerKind::Timeout
            }]
        );
    }

    #[test]
    fn several_names_one_confirmed() {
        let mut z = Zone::new();
        ptr(&mut z, "192.0.2.13", "b.example.com");
        ptr(&mut z, "192.0.2.13", "a.example.com");
        z.add("a.example.com", Rdata::A([192, 0, 2, 13].into()));
        z.add("b.example.com", Rdata::A([192, 0, 2, 99].into()));
        let r = run(&z, "192.0.2.13");
        assert!(r.confirmed);
        assert_eq!(
            r.problems,
            [RdnsProblem::SeveralNames {
                names: vec!["a.example.com".into(), "b.example.com".into()]
            }]
        );
        assert!(texts(&r)[0].contains("has 2 PTR names (a.example.com and b.example.com)"));
    }

    #[test]
    fn ipv6_is_confirmed_by_aaaa() {
        let mut z = Zone::new();
        ptr(&mut z, "2001:db8::25", "mail.example.net");
        z.add("mail.example.net", Rdata::A([192, 0, 2, 25].into()));
        z.add(
            "mail.example.net",
            Rdata::Aaaa("2001:db8::25".parse().expect("v6")),
        );
        let r = run(&z, "2001:db8::25");
        assert!(r.confirmed, "{r:?}");
        assert_eq!(r.names[0].addresses, [ip("2001:db8::25")]);
        assert!(r.reverse_name.ends_with(".ip6.arpa"));
    }

    #[test]
    fn generic_names() {
        let v4 = ip("203.0.113.9");
        let generic_ones = [
            "203-0-113-9.example.net",
            "ppp-203-0-113-9.dynamic.example.net",
            "9.113.0.203.in.example.net",
            "host9-113-0-203.example.co.uk",
            "c-203-0-113-9.hsd1.ca.example.net",
            "203000113009.example.net",
            "cb007109.example.net",
            "dsl-line.example.org",
            "static-44-12.example.com",
            "customer.example.org",
            "pool-0-113-9.nyc.example.net",
        ];
        for name in generic_ones {
            assert!(generic(name, v4).is_some(), "{name}");
        }
        let real_ones = [
            "mail.example.com",
            "mx1.example.net",
            "host2.example.com",
            "pool.example.org",
            "smtp-out-3.example.com",
            "o1.ptr1234.example.net",
            "example.com",
        ];
        for name in real_ones {
            assert_eq!(generic(name, v4), None, "{name}");
        }
        // The provider's own domain never counts.
        assert_eq!(generic("mail.dynamic-dsl.example", v4), None);
        let g = generic("generic-192-0-2-12.dynamic.lab.test", ip("192.0.2.12"));
        assert_eq!(
            g,
            Some(Generic {
                holds_address: true,
                words: vec!["dynamic".into()]
            })
        );
        let v6 = ip("2001:db8:0:1:21a:2bff:fe3c:4d5e");
        assert!(generic("21a-2bff-fe3c-4d5e.example.net", v6).is_some());
        assert!(generic("x20010db800000001021a2bfffe3c4d5e.example.net", v6).is_some());
        assert_eq!(generic("mail.example.net", v6), None);
    }

    #[test]
    fn generic_name_is_a_problem_with_its_reasons() {
        let mut z = Zone::new();
        ptr(
            &mut z,
            "192.0.2.12",
            "generic-192-0-2-12.dynamic.example.net",
        );
        z.add(
            "generic-192-0-2-12.dynamic.example.net",
            Rdata::A([192, 0, 2, 12].into()),
        );
        let r = run(&z, "192.0.2.12");
        assert!(r.confirmed);
        assert_eq!(
            texts(&r),
            ["dns check: the PTR name generic-192-0-2-12.dynamic.example.net of the address 192.0.2.12 looks generic (it holds the address's numbers, it has the word dynamic): receivers take such names for dynamic or residential addresses that should not send mail directly"]
        );
    }

    #[test]
    fn scopes() {
        for (addr, scope) in [
            ("127.0.0.1", Scope::Loopback),
            ("::1", Scope::Loopback),
            ("10.1.2.3", Scope::Private),
            ("192.168.0.1", Scope::Private),
            ("fd00::1", Scope::Private),
            ("169.254.1.1", Scope::LinkLocal),
            ("fe80::1", Scope::LinkLocal),
            ("100.64.0.1", Scope::SharedNat),
            ("198.51.100.1", Scope::Documentation),
            ("2001:db8::1", Scope::Documentation),
            ("0.0.0.0", Scope::Unspecified),
            ("224.0.0.1", Scope::Reserved),
            ("::ffff:10.0.0.1", Scope::Private),
            ("2a01::1", Scope::Public),
            ("192.0.1.1", Scope::Public),
        ] {
            assert_eq!(Scope::of(ip(addr)), scope, "{addr}");
        }
        assert!(Scope::Loopback.is_internal() && !Scope::Public.is_internal());
    }
}
