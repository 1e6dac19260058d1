//! The mail hosts of a domain: its MX set sorted by preference, the null MX (RFC 7505), the
//! implicit MX when there is none (RFC 5321 5.1), the A and AAAA answers of every exchanger
//! with their kinds, and what is wrong with them: a dangling MX, an alias or an IP literal as
//! the MX target, a failed MX query (a DNS failure, never "no MX").
//!
//! ```
//! use smtp_doctor_dnsauth::dns::{Mx, Rdata, Zone};
//! use smtp_doctor_dnsauth::mx::{check, MxProblem};
//!
//! let mut zone = Zone::new();
//! zone.add("example.com", Rdata::Mx(Mx { preference: 10, exchange: "mx.example.com".into() }));
//! let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! let report = rt.block_on(check(&zone, "example.com"));
//! assert!(matches!(&report.problems[0], MxProblem::Dangling { host, .. } if host == "mx.example.com"));
//! assert!(report.evidence()[0].text.starts_with("dns check: the MX host mx.example.com"));
//! ```

use crate::dns::{join_all, normalize, Answer, AnswerKind, Lookup, RecordType, Resolver};
use crate::evidence::{dns_evidence, join_names};
use serde::Serialize;
use smtp_doctor_model::{Evidence, Stage};
use std::net::IpAddr;

/// The most exchangers looked up; the rest are counted in [`MxReport::skipped`] (RFC 7208
/// 4.6.4 allows an `mx` mechanism 10 as well).
pub const MAX_EXCHANGERS: usize = 10;
/// The most addresses kept per exchanger and address family.
pub const MAX_ADDRESSES: usize = 16;

/// What the MX check found for one domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MxReport {
    /// The domain checked, lower case, without the final dot.
    pub domain: String,
    /// The kind of the MX query's answer.
    pub answer: AnswerKind,
    /// The domain publishes a null MX (`MX 0 .`, RFC 7505).
    pub null_mx: bool,
    /// The exchangers other than the null MX, by preference (lowest first), then name; at most
    /// [`MAX_EXCHANGERS`].
    pub exchangers: Vec<Exchanger>,
    /// Exchangers beyond [`MAX_EXCHANGERS`], not looked up.
    pub skipped: usize,
    /// With no MX record: the domain itself as its implicit MX (RFC 5321 5.1).
    pub implicit: Option<Host>,
    /// What is wrong, in the order found.
    pub problems: Vec<MxProblem>,
}

/// One exchanger of the MX set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exchanger {
    /// The preference (lower is tried first).
    pub preference: u16,
    /// The host and its addresses.
    pub host: Host,
}

/// A mail host and its address answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Host {
    /// The host name, lower case, without the final dot.
    pub name: String,
    /// The address the name spells when it is an IP literal (`127.0.0.1.`); it is then not
    /// looked up.
    pub ip_literal: Option<IpAddr>,
    /// The A answer (`None` when not asked).
    pub a: Option<Addresses>,
    /// The AAAA answer (`None` when not asked).
    pub aaaa: Option<Addresses>,
}

impl Host {
    /// Every address found, IPv4 first.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.a
            .iter()
            .chain(self.aaaa.iter())
            .flat_map(|a| a.addresses.iter().copied())
    }

    /// The aliases followed from the name, from the A answer or else the AAAA one.
    pub fn cnames(&self) -> &[String] {
        [&self.a, &self.aaaa]
            .into_iter()
            .flatten()
            .map(|a| a.cnames.as_slice())
            .find(|c| !c.is_empty())
            .unwrap_or(&[])
    }

    fn kinds(&self) -> (AnswerKind, AnswerKind) {
        let kind = |a: &Option<Addresses>| a.as_ref().map_or(AnswerKind::Nodata, |a| a.answer);
        (kind(&self.a), kind(&self.aaaa))
    }
}

/// One address query of a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Addresses {
    /// The kind of the answer.
    pub answer: AnswerKind,
    /// The addresses, at most [`MAX_ADDRESSES`].
    pub addresses: Vec<IpAddr>,
    /// How many the answer held.
    pub total: usize,
    /// The CNAME targets followed, in order.
    pub cnames: Vec<String>,
}

impl Addresses {
    fn from_lookup(lookup: &Lookup) -> Self {
        let all: Vec<IpAddr> = lookup.addresses().collect();
        Addresses {
            answer: lookup.answer.kind(),
            total: all.len(),
            addresses: all.into_iter().take(MAX_ADDRESSES).collect(),
            cnames: lookup.cnames.clone(),
        }
    }
}

/// What is wrong with a domain's mail hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MxProblem {
    /// The MX query itself failed (SERVFAIL, REFUSED, timeout, ...): a DNS failure, not "no
    /// MX"; senders defer and retry (RFC 5321 5.1).
    LookupFailed {
        /// The kind of the answer.
        answer: AnswerKind,
    },
    /// A null MX: the domain accepts no mail (RFC 7505 3).
    NullMx,
    /// A null MX beside other MX records, which RFC 7505 3 forbids.
    NullMxWithOthers {
        /// How many other records there are.
        others: usize,
    },
    /// No MX record; mail goes to the domain's own addresses (RFC 5321 5.1).
    ImplicitMx {
        /// The kind of the MX answer (NODATA or NXDOMAIN).
        mx: AnswerKind,
        /// The domain's addresses.
        addresses: Vec<IpAddr>,
    },
    /// No MX record and no address: no mail host (RFC 5321 5.1).
    NoMailHost {
        /// The kind of the MX answer.
        mx: AnswerKind,
        /// The kind of the A answer.
        a: AnswerKind,
        /// The kind of the AAAA answer.
        aaaa: AnswerKind,
    },
    /// An exchanger whose A and AAAA answers are both NXDOMAIN or NODATA.
    Dangling {
        /// The exchanger.
        host: String,
        /// The kind of the A answer.
        a: AnswerKind,
        /// The kind of the AAAA answer.
        aaaa: AnswerKind,
    },
    /// A host without addresses whose address queries failed (SERVFAIL, timeout, ...).
    AddressLookupFailed {
        /// The host (an exchanger, or the domain itself as its implicit MX).
        host: String,
        /// The kind of the A answer.
        a: AnswerKind,
        /// The kind of the AAAA answer.
        aaaa: AnswerKind,
    },
    /// An exchanger that is an alias (RFC 2181 10.3, RFC 5321 5.1: the MX must name a host
    /// with its own address records).
    CnameTarget {
        /// The exchanger.
        host: String,
        /// The aliases followed, the last one the canonical name.
        chain: Vec<String>,
    },
    /// The domain is not a valid DNS name (an empty label, a label over 63 bytes, over 253
    /// bytes): nothing was asked.
    InvalidDomain,
    /// An MX record holding an IP address as its name (`MX 10 127.0.0.1.`; RFC 5321 5.1 wants
    /// a host name).
    IpLiteral {
        /// The name as written.
        host: String,
    },
}

/// Checks the MX set of `domain` and the addresses of its exchangers.
pub async fn check<R: Resolver>(dns: &R, domain: &str) -> MxReport {
    let domain = normalize(domain);
    let lookup = dns.lookup(&domain, RecordType::Mx).await;
    let mut report = MxReport {
        domain: domain.clone(),
        answer: lookup.answer.kind(),
        null_mx: false,
        exchangers: Vec::new(),
        skipped: 0,
        implicit: None,
        problems: Vec::new(),
    };
    if lookup.answer == Answer::BadName {
        report.problems.push(MxProblem::InvalidDomain);
        return report;
    }
    if lookup.answer.is_error() {
        report.problems.push(MxProblem::LookupFailed {
            answer: report.answer,
        });
        return report;
    }
    let mut records: Vec<(u16, String)> = lookup
        .mx()
        .map(|m| (m.preference, normalize(&m.exchange)))
        .collect();
    records.sort();
    let before = records.len();
    records.retain(|(_, name)| !name.is_empty());
    report.null_mx = records.len() < before;
    if report.null_mx {
        report.problems.push(if records.is_empty() {
            MxProblem::NullMx
        } else {
            MxProblem::NullMxWithOthers {
                others: records.len(),
            }
        });
    }
    if before == 0 {
        let host = host(dns, &domain).await;
        let (a, aaaa) = host.kinds();
        let addresses: Vec<IpAddr> = host.addresses().collect();
        report.problems.push(if !addresses.is_empty() {
            MxProblem::ImplicitMx {
                mx: report.answer,
                addresses,
            }
        } else if a.is_error() || aaaa.is_error() {
            MxProblem::AddressLookupFailed {
                host: domain.clone(),
                a,
                aaaa,
            }
        } else {
            MxProblem::NoMailHost {
                mx: report.answer,
                a,
                aaaa,
            }
        });
        report.implicit = Some(host);
        return report;
    }
    report.skipped = records.len().saturating_sub(MAX_EXCHANGERS);
    records.truncate(MAX_EXCHANGERS);
    let hosts = join_all(records.iter().map(|(_, name)| host(dns, name)).collect()).await;
    for ((preference, name), host) in records.into_iter().zip(hosts) {
        if host.ip_literal.is_some() {
            report
                .problems
                .push(MxProblem::IpLiteral { host: name.clone() });
        } else if !host.cnames().is_empty() {
            report.problems.push(MxProblem::CnameTarget {
                host: name.clone(),
                chain: host.cnames().to_vec(),
            });
        }
        let (a, aaaa) = host.kinds();
        if host.ip_literal.is_none() && host.addresses().next().is_none() {
            report.problems.push(if a.is_error() || aaaa.is_error() {
                MxProblem::AddressLookupFailed {
                    host: name.clone(),
                    a,
                    aaaa,
                }
            } else {
                MxProblem::Dangling {
                    host: name.clone(),
                    a,
                    aaaa,
                }
            });
        }
        report.exchangers.push(Exchanger { preference, host });
    }
    report
}

/// The A and AAAA answers of `name`, asked together; an IP literal is not asked.
async fn host<R: Resolver>(dns: &R, name: &str) -> Host {
    let literal = name
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    if literal.is_some() {
        return Host {
            name: name.to_string(),
            ip_literal: literal,
            a: None,
            aaaa: None,
        };
    }
    let (a, aaaa) = tokio::join!(
        dns.lookup(name, RecordType::A),
        dns.lookup(name, RecordType::Aaaa)
    );
    Host {
        name: name.to_string(),
        ip_literal: None,
        a: Some(Addresses::from_lookup(&a)),
        aaaa: Some(Addresses::from_lookup(&aaaa)),
    }
}

impl MxReport {
    /// The addresses of the mail hosts (the exchangers in MX order, or the implicit MX), each
    /// once: what a sender would connect to, and whose reverse DNS matters.
    pub fn addresses(&self) -> Vec<IpAddr> {
        let mut out: Vec<IpAddr> = Vec::new();
        let hosts = self
            .exchangers
            .iter()
            .map(|e| &e.host)
            .chain(self.implicit.iter());
        for ip in hosts.flat_map(Host::addresses) {
            if !out.contains(&ip) {
                out.push(ip);
            }
        }
        out
    }

    /// One piece of evidence per problem, for the classifier.
    pub fn evidence(&self) -> Vec<Evidence> {
        self.problems
            .iter()
            .map(|p| dns_evidence(Some(Stage::Resolve), &self.sentence(p)))
            .collect()
    }

    /// The plain sentence that states `problem` with its facts.
    fn sentence(&self, problem: &MxProblem) -> String {
        let d = &self.domain;
        match problem {
            MxProblem::LookupFailed { answer } => format!(
                "the MX query for {d} failed ({answer}): a DNS failure, not an answer that the domain publishes no MX; senders defer its mail and retry"
            ),
            MxProblem::NullMx => format!(
                "{d} publishes a null MX (MX 0 ., RFC 7505): the domain declares that it accepts no mail"
            ),
            MxProblem::NullMxWithOthers { others } => format!(
                "{d} publishes a null MX beside {others} other MX record{}: RFC 7505 section 3 allows the null MX only as the only MX record, and senders differ in which they follow",
                if *others == 1 { "" } else { "s" }
            ),
            MxProblem::ImplicitMx { mx, addresses } => {
                let list: Vec<String> = addresses.iter().map(IpAddr::to_string).collect();
                format!(
                    "{d} publishes no MX ({mx}); mail goes to the domain's own address {} by the implicit MX rule (RFC 5321 section 5.1)",
                    join_names(&list)
                )
            }
            MxProblem::NoMailHost { mx, a, aaaa } => format!(
                "{d} publishes no MX ({mx}) and has no address (A: {a}, AAAA: {aaaa}): there is no mail host for the domain (RFC 5321 section 5.1)"
            ),
            MxProblem::Dangling { host, a, aaaa } => format!(
                "the MX host {host} of {d} has no address (A: {a}, AAAA: {aaaa}): a dangling MX that no mail can be delivered to"
            ),
            MxProblem::AddressLookupFailed { host, a, aaaa } if host == d => format!(
                "{d} publishes no MX and the address queries for it failed (A: {a}, AAAA: {aaaa}): a DNS failure, not an answer"
            ),
            MxProblem::AddressLookupFailed { host, a, aaaa } => format!(
                "the address queries for the MX host {host} of {d} failed (A: {a}, AAAA: {aaaa}): a DNS failure, not an answer"
            ),
            MxProblem::CnameTarget { host, chain } => format!(
                "the MX host {host} of {d} is an alias (CNAME to {}): RFC 2181 section 10.3 and RFC 5321 section 5.1 require an MX record to name a host with its own address records",
                chain.last().map_or("", String::as_str)
            ),
            MxProblem::InvalidDomain => format!(
                "{d} is not a valid domain name (an empty label, a label over 63 bytes or a name over 253 bytes), so it has no mail host and nothing was looked up"
            ),
            MxProblem::IpLiteral { host } => format!(
                "the MX record of {d} holds the IP address {host} instead of a host name (RFC 5321 section 5.1): senders look it up as a name and find no mail host"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{block_on, Answer, Mx, Rdata, Zone};

    fn mx(zone: &mut Zone, domain: &str, preference: u16, exchange: &str) {
        zone.add(
            domain,
            Rdata::Mx(Mx {
                preference,
                exchange: exchange.to_string(),
            }),
        );
    }

    fn run(zone: &Zone, domain: &str) -> MxReport {
        block_on(check(zone, domain))
    }

    fn texts(report: &MxReport) -> Vec<String> {
        report.evidence().into_iter().map(|e| e.text).collect()
    }

    #[test]
    fn healthy_set_is_sorted_and_clean() {
        let mut z = Zone::new();
        mx(&mut z, "example.com", 20, "mx2.example.com");
        mx(&mut z, "example.com", 10, "MX1.example.com.");
        mx(&mut z, "example.com", 20, "mx1b.example.com");
        for host in ["mx1.example.com", "mx2.example.com", "mx1b.example.com"] {
            z.add(host, Rdata::A([192, 0, 2, 1].into()));
        }
        z.add(
            "mx1.example.com",
            Rdata::Aaaa("2001:db8::1".parse().expect("v6")),
        );
        let r = run(&z, "Example.com.");
        assert_eq!(r.domain, "example.com");
        let order: Vec<(u16, &str)> = r
            .exchangers
            .iter()
            .map(|e| (e.preference, e.host.name.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                (10, "mx1.example.com"),
                (20, "mx1b.example.com"),
                (20, "mx2.example.com")
            ]
        );
        assert_eq!(r.exchangers[0].host.addresses().count(), 2);
        assert_eq!(
            r.exchangers[1].host.aaaa.as_ref().map(|a| a.answer),
            Some(AnswerKind::Nodata)
        );
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert!(r.evidence().is_empty());
    }

    #[test]
    fn null_mx_alone_and_mixed() {
        let mut z = Zone::new();
        mx(&mut z, "example.com", 0, "");
        let r = run(&z, "example.com");
        assert!(r.null_mx);
        assert_eq!(r.problems, [MxProblem::NullMx]);
        assert!(r.exchangers.is_empty());
        assert_eq!(
            texts(&r),
            ["dns check: example.com publishes a null MX (MX 0 ., RFC 7505): the domain declares that it accepts no mail"]
        );
        mx(&mut z, "example.org", 0, ".");
        mx(&mut z, "example.org", 10, "mx.example.org");
        z.add("mx.example.org", Rdata::A([192, 0, 2, 2].into()));
        let r = run(&z, "example.org");
        assert_eq!(r.problems, [MxProblem::NullMxWithOthers { others: 1 }]);
        assert_eq!(r.exchangers.len(), 1);
        assert!(texts(&r)[0].contains("beside 1 other MX record:"));
    }

    #[test]
    fn no_mx_is_implicit_mx_or_no_mail_host() {
        let mut z = Zone::new();
        z.add("example.com", Rdata::A([192, 0, 2, 3].into()));
        z.add(
            "example.com",
            Rdata::Aaaa("2001:db8::3".parse().expect("v6")),
        );
        let r = run(&z, "example.com");
        assert_eq!(
            r.problems,
            [MxProblem::ImplicitMx {
                mx: AnswerKind::Nodata,
                addresses: vec![
                    "192.0.2.3".parse().expect("ip"),
                    "2001:db8::3".parse().expect("ip")
                ],
            }]
        );
        assert_eq!(
            r.implicit.as_ref().map(|h| h.name.as_str()),
            Some("example.com")
        );
        assert!(
            texts(&r)[0].contains("own address 192.0.2.3 and 2001:db8::3 by the implicit MX rule")
        );
        z.touch("example.org");
        let r = run(&z, "example.org");
        assert_eq!(
            r.problems,
            [MxProblem::NoMailHost {
                mx: AnswerKind::Nodata,
                a: AnswerKind::Nodata,
                aaaa: AnswerKind::Nodata
            }]
        );
        let r = run(&z, "nothing.example.net");
        assert_eq!(
            r.problems,
            [MxProblem::NoMailHost {
                mx: AnswerKind::Nxdomain,
                a: AnswerKind::Nxdomain,
                aaaa: AnswerKind::Nxdomain
            }]
        );
        assert_eq!(
            texts(&r),
            ["dns check: nothing.example.net publishes no MX (NXDOMAIN) and has no address (A: NXDOMAIN, AAAA: NXDOMAIN): there is no mail host for the domain (RFC 5321 section 5.1)"]
        );
    }

    #[test]
    fn dangling_alias_and_ip_literal_targets() {
        let mut z = Zone::new();
        mx(&mut z, "example.com", 10, "gone.example.com");
        mx(&mut z, "example.com", 20, "empty.example.com");
        mx(&mut z, "example.com", 30, "alias.example.com");
        mx(&mut z, "example.com", 40, "192.0.2.9");
        z.touch("empty.example.com");
        z.add("alias.example.com", Rdata::Cname("real.example.net".into()));
        z.add("real.example.net", Rdata::A([192, 0, 2, 4].into()));
        let r = run(&z, "example.com");
        assert_eq!(
            r.problems,
            [
                MxProblem::Dangling {
                    host: "gone.example.com".into(),
                    a: AnswerKind::Nxdomain,
                    aaaa: AnswerKind::Nxdomain
                },
                MxProblem::Dangling {
                    host: "empty.example.com".into(),
                    a: AnswerKind::Nodata,
                    aaaa: AnswerKind::Nodata
                },
                MxProblem::CnameTarget {
                    host: "alias.example.com".into(),
                    chain: vec!["real.example.net".into()]
                },
                MxProblem::IpLiteral {
                    host: "192.0.2.9".into()
                },
            ]
        );
        let t = texts(&r);
        assert_eq!(t.len(), 4);
        assert!(t[0].starts_with("dns check: the MX host gone.example.com of example.com has no address (A: NXDOMAIN, AAAA: NXDOMAIN)"));
        assert!(t[2].contains("is an alias (CNAME to real.example.net)"));
        assert!(t[3].contains("holds the IP address 192.0.2.9 instead of a host name"));
        let literal = &r.exchangers[3].host;
        assert_eq!(literal.ip_literal, "192.0.2.9".parse().ok());
        assert!(literal.a.is_none());
    }

    #[test]
    fn failures_are_dns_failures_not_missing_records() {
        let mut z = Zone::new();
        z.fail("example.com", Answer::ServFail);
        let r = run(&z, "example.com");
        assert_eq!(
            r.problems,
            [MxProblem::LookupFailed {
                answer: AnswerKind::Servfail
            }]
        );
        assert!(r.exchangers.is_empty() && r.implicit.is_none());
        assert!(texts(&r)[0].contains(
            "failed (SERVFAIL): a DNS failure, not an answer that the domain publishes no MX"
        ));
        z.fail("example.org", Answer::Timeout);
        assert_eq!(
            run(&z, "example.org").problems,
            [MxProblem::LookupFailed {
                answer: AnswerKind::Timeout
            }]
        );
        mx(&mut z, "example.net", 10, "slow.example.net");
        z.fail("slow.example.net", Answer::Timeout);
        let r = run(&z, "example.net");
        assert_eq!(
            r.problems,
            [MxProblem::AddressLookupFailed {
                host: "slow.example.net".into(),
                a: AnswerKind::Timeout,
                aaaa: AnswerKind::Timeout
            }]
        );
        // No MX, and the domain's own address queries fail: not "no mail host".
        let r = block_on(check(&NoMxThenServfail, "example.com"));
        assert_eq!(
            r.problems,
            [MxProblem::AddressLookupFailed {
                host: "example.com".into(),
                a: AnswerKind::Servfail,
                aaaa: AnswerKind::Servfail
            }]
        );
        assert!(texts(&r)[0].contains("publishes no MX and the address queries for it failed"));
    }

    /// A resolver answering NODATA for MX and SERVFAIL for everything else.
    struct NoMxThenServfail;

    impl Resolver for NoMxThenServfail {
        fn lookup(
            &self,
            _name: &str,
            rtype: RecordType,
        ) -> impl std::future::Future<Output = Lookup> + Send {
            std::future::ready(Lookup::direct(if rtype == RecordType::Mx {
                Answer::NoData
            } else {
                Answer::ServFail
            }))
        }
    }

    #[test]
    fn invalid_domain_and_addresses() {
        let z = Zone::new();
        let r = run(&z, "a..example.com");
        assert_eq!(r.problems, [MxProblem::InvalidDomain]);
        assert!(texts(&r)[0].contains("a..example.com is not a valid domain name"));
        let mut z = Zone::new();
        mx(&mut z, "example.com", 10, "mx1.example.com");
        mx(&mut z, "example.com", 20, "mx2.example.com");
        z.add("mx1.example.com", Rdata::A([192, 0, 2, 1].into()))
            .add("mx2.example.com", Rdata::A([192, 0, 2, 1].into()))
            .add(
                "mx2.example.com",
                Rdata::Aaaa("2001:db8::2".parse().expect("v6")),
            );
        let r = run(&z, "example.com");
        let want: Vec<IpAddr> = vec![
            "192.0.2.1".parse().expect("ip"),
            "2001:db8::2".parse().expect("ip"),
        ];
        assert_eq!(r.addresses(), want);
        z.add("example.org", Rdata::A([192, 0, 2, 7].into()));
        assert_eq!(
            run(&z, "example.org").addresses(),
            ["192.0.2.7".parse::<IpAddr>().expect("ip")]
        );
    }

    #[test]
    fn exchangers_are_bounded() {
        let mut z = Zone::new();
        for i in 0..(MAX_EXCHANGERS as u16 + 3) {
            let host = format!("mx{i}.example.com");
            mx(&mut z, "example.com", i, &host);
            z.add(&host, Rdata::A([192, 0, 2, 5].into()));
        }
        let r = run(&z, "example.com");
        assert_eq!((r.exchangers.len(), r.skipped), (MAX_EXCHANGERS, 3));
        assert!(r.problems.is_empty());
    }

    #[test]
    fn report_serialises() {
        let mut z = Zone::new();
        mx(&mut z, "example.com", 0, "");
        let json = serde_json::to_value(run(&z, "example.com")).expect("json");
        assert_eq!(json["answer"], "records");
        assert_eq!(json["problems"][0]["kind"], "null_mx");
    }
}
