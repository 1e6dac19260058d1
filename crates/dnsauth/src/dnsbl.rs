//! DNS blocklists (RFC 5782): whether an address (IPv4 or IPv6) or a domain is listed in each
//! of a set of zones, with the return codes and the TXT reason kept.
//!
//! An A answer inside 127.0.0.0/8 is a listing, except the error answers: Spamhaus's
//! 127.255.255.252 (typing error in the zone name), 127.255.255.254 (query through a public or
//! open resolver) and 127.255.255.255 (excessive number of queries), any other 127.255.255.x,
//! and 127.0.0.1, which RFC 5782 2.1 rules out as a listing and URIBL answers to refused
//! resolvers. Those are reported as "the blocklist refused the query", never as a listing. An
//! answer outside 127.0.0.0/8 means a broken or wildcard zone. The RFC 5782 section 5 self-test
//! (the test entry is listed, 127.0.0.1 is not) shows whether a zone answers honestly.
//!
//! [`DEFAULT_ZONES`] names well-known public lists; tests use only the lab's zones.

use crate::dns::{
    is_valid_name, join_all, normalize, reverse_name, AnswerKind, RecordType, Resolver,
};
use crate::evidence::dns_evidence;
use serde::Serialize;
use smtp_doctor_model::Evidence;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Well-known public IP blocklists, for callers that name none. Their operators limit free use
/// and refuse queries from public resolvers (Spamhaus answers 127.255.255.254).
pub const DEFAULT_ZONES: &[&str] = &[
    "zen.spamhaus.org",
    "bl.spamcop.net",
    "b.barracudacentral.org",
    "psbl.surriel.com",
    "bl.mailspike.net",
];

/// Well-known public domain blocklists.
pub const DEFAULT_DOMAIN_ZONES: &[&str] = &["dbl.spamhaus.org", "multi.uribl.com"];

/// The most TXT bytes kept as a listing's reason.
pub const MAX_REASON_BYTES: usize = 512;

/// How to check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Also run the RFC 5782 section 5 self-test on every zone.
    pub self_test: bool,
}

/// The answer of one zone about one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsblResult {
    /// The zone, lower case, without the final dot.
    pub zone: String,
    /// The address or domain asked about.
    pub subject: String,
    /// The name asked (`10.2.0.192.zone`, the IPv6 nibble name, or `domain.zone`).
    pub query: String,
    /// The kind of the A answer.
    pub answer: AnswerKind,
    /// What the answer means.
    pub status: DnsblStatus,
    /// The return codes (the A records), in the order received.
    pub codes: Vec<Ipv4Addr>,
    /// What each code means where the list's codes are known (Spamhaus) or the code is an
    /// error code; empty otherwise.
    pub meanings: Vec<String>,
    /// The TXT reason (character-strings joined, records joined by ` / `, at most
    /// [`MAX_REASON_BYTES`]); asked only when the A answer had records.
    pub reason: Option<String>,
    /// The RFC 5782 self-test of the zone, when asked for.
    pub self_test: Option<SelfTest>,
}

/// What a blocklist's answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DnsblStatus {
    /// NXDOMAIN or NODATA: not listed.
    NotListed,
    /// An answer in 127.0.0.0/8 that is not an error code.
    Listed,
    /// An error code (127.255.255.x, 127.0.0.1): the list refused the query; not a listing.
    QueryRefused,
    /// An answer outside 127.0.0.0/8: a broken or wildcard zone; not a listing.
    Broken,
    /// The query failed (SERVFAIL, REFUSED, timeout, ...): no verdict.
    LookupFailed,
}

impl DnsblStatus {
    /// The status in a few words.
    pub fn as_str(self) -> &'static str {
        match self {
            DnsblStatus::NotListed => "not listed",
            DnsblStatus::Listed => "listed",
            DnsblStatus::QueryRefused => "query refused",
            DnsblStatus::Broken => "broken answer",
            DnsblStatus::LookupFailed => "lookup failed",
        }
    }
}

/// The RFC 5782 section 5 self-test of a zone: its test entry (127.0.0.2, `::ffff:7f00:2` or
/// the name `test`) must be listed, 127.0.0.1 (`::ffff:7f00:1`, `invalid`) must not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelfTest {
    /// The test entry asked.
    pub listed_subject: String,
    /// What the zone said about it.
    pub listed: DnsblStatus,
    /// The entry that must not be listed.
    pub clean_subject: String,
    /// What the zone said about it.
    pub clean: DnsblStatus,
}

impl SelfTest {
    /// The zone answered both test queries as RFC 5782 requires.
    pub fn passed(&self) -> bool {
        self.listed == DnsblStatus::Listed && self.clean == DnsblStatus::NotListed
    }
}

/// What is asked: an address or a domain.
#[derive(Debug, Clone, Copy)]
enum Subject<'a> {
    Ip(IpAddr),
    Domain(&'a str),
}

impl Subject<'_> {
    fn text(self) -> String {
        match self {
            Subject::Ip(ip) => ip.to_string(),
            Subject::Domain(d) => normalize(d),
        }
    }

    /// The name to ask under `zone` (RFC 5782 2.1, 2.4, 3).
    fn query(self, zone: &str) -> String {
        match self {
            Subject::Ip(ip) => {
                let rev = reverse_name(ip);
                let stem = rev
                    .strip_suffix(".in-addr.arpa")
                    .or_else(|| rev.strip_suffix(".ip6.arpa"))
                    .unwrap_or(&rev);
                format!("{stem}.{zone}")
            }
            Subject::Domain(d) => format!("{}.{zone}", normalize(d)),
        }
    }

    /// The RFC 5782 section 5 test entries for a list of this kind: listed, not listed.
    fn test_entries(self) -> (Subject<'static>, Subject<'static>) {
        match self {
            Subject::Ip(IpAddr::V4(_)) => (
                Subject::Ip(Ipv4Addr::new(127, 0, 0, 2).into()),
                Subject::Ip(Ipv4Addr::new(127, 0, 0, 1).into()),
            ),
            Subject::Ip(IpAddr::V6(_)) => (
                Subject::Ip(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0x7f00, 2).into()),
                Subject::Ip(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1).into()),
            ),
            Subject::Domain(_) => (Subject::Domain("test"), Subject::Domain("invalid")),
        }
    }
}

/// Asks every zone in `zones` about `ip` (an IPv4-mapped IPv6 address is asked as IPv4).
pub async fn check<R: Resolver, S: AsRef<str>>(
    dns: &R,
    ip: IpAddr,
    zones: &[S],
) -> Vec<DnsblResult> {
    check_with(dns, ip, zones, &Options::default()).await
}

/// [`check`] with options (the self-test).
pub async fn check_with<R: Resolver, S: AsRef<str>>(
    dns: &R,
    ip: IpAddr,
    zones: &[S],
    options: &Options,
) -> Vec<DnsblResult> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    check_all(dns, Subject::Ip(ip), zones, options).await
}

/// Asks every domain blocklist in `zones` about `domain` (`domain.zone`, RFC 5782 3).
pub async fn check_domain<R: Resolver, S: AsRef<str>>(
    dns: &R,
    domain: &str,
    zones: &[S],
    options: &Options,
) -> Vec<DnsblResult> {
    check_all(dns, Subject::Domain(domain), zones, options).await
}

async fn check_all<R: Resolver, S: AsRef<str>>(
    dns: &R,
    subject: Subject<'_>,
    zones: &[S],
    options: &Options,
) -> Vec<DnsblResult> {
    let zones: Vec<String> = zones.iter().map(|z| normalize(z.as_ref())).collect();
    join_all(
        zones
            .iter()
            .map(|zone| ask_zone(dns, subject, zone, options))
            .collect(),
    )
    .await
}

/// One zone's answer about `subject`, with its self-test when asked for.
async fn ask_zone<R: Resolver>(
    dns: &R,
    subject: Subject<'_>,
    zone: &str,
    options: &Options,
) -> DnsblResult {
    if !options.self_test {
        return ask(dns, subject, zone).await;
    }
    let (listed, clean) = subject.test_entries();
    let (mut result, l, c) = tokio::join!(
        ask(dns, subject, zone),
        ask(dns, listed, zone),
        ask(dns, clean, zone)
    );
    result.self_test = Some(SelfTest {
        listed_subject: l.subject,
        listed: l.status,
        clean_subject: c.subject,
        clean: c.status,
    });
    result
}

/// One zone's answer about one subject.
async fn ask<R: Resolver>(dns: &R, subject: Subject<'_>, zone: &str) -> DnsblResult {
    let query = subject.query(zone);
    let mut result = DnsblResult {
        zone: zone.to_string(),
        subject: subject.text(),
        answer: AnswerKind::BadName,
        status: DnsblStatus::LookupFailed,
        codes: Vec::new(),
        meanings: Vec::new(),
        reason: None,
        self_test: None,
        query,
    };
    if !is_valid_name(&result.query) {
        return result;
    }
    let (a, txt) = tokio::join!(
        dns.lookup(&result.query, RecordType::A),
        dns.lookup(&result.query, RecordType::Txt)
    );
    result.answer = a.answer.kind();
    result.codes = a
        .addresses()
        .filter_map(|ip| match ip {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        })
        .collect();
    result.status = status(result.answer, &result.codes);
    result.meanings = result
        .codes
        .iter()
        .filter_map(|c| meaning(zone, *c))
        .map(str::to_string)
        .collect();
    if result.answer == AnswerKind::Records {
        let records: Vec<String> = txt
            .txt()
            .map(|strings| {
                let bytes: Vec<u8> = strings.concat();
                String::from_utf8_lossy(&bytes)
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect()
            })
            .collect();
        if !records.is_empty() {
            let mut reason = records.join(" / ");
            if reason.len() > MAX_REASON_BYTES {
                let mut end = MAX_REASON_BYTES;
                while !reason.is_char_boundary(end) {
                    end -= 1;
                }
                reason.truncate(end);
            }
            result.reason = Some(reason);
        }
    }
    result
}

/// What an A answer means (RFC 5782 2.1, 2.3; Spamhaus's error codes).
fn status(answer: AnswerKind, codes: &[Ipv4Addr]) -> DnsblStatus {
    if answer.is_void() {
        DnsblStatus::NotListed
    } else if codes.is_empty() {
        DnsblStatus::LookupFailed
    } else if codes.iter().any(|c| c.octets()[0] != 127) {
        DnsblStatus::Broken
    } else if codes.iter().any(|c| is_error_code(*c)) {
        DnsblStatus::QueryRefused
    } else {
        DnsblStatus::Listed
    }
}

/// An answer that refuses the query instead of listing: 127.255.255.x and 127.0.0.1.
fn is_error_code(code: Ipv4Addr) -> bool {
    let [_, b, c, d] = code.octets();
    (b, c) == (255, 255) || (b, c, d) == (0, 0, 1)
}

/// The documented meaning of a return code: the error codes everywhere, the listing codes of
/// Spamhaus's zones.
fn meaning(zone: &str, code: Ipv4Addr) -> Option<&'static str> {
    let [_, b, c, d] = code.octets();
    match (b, c, d) {
        (255, 255, 252) => return Some("error: typing error in the DNSBL name"),
        (255, 255, 254) => return Some("error: query through a public or open resolver"),
        (255, 255, 255) => return Some("error: excessive number of queries"),
        (255, 255, _) => return Some("error code"),
        (0, 0, 1) => return Some("error: 127.0.0.1 is never a listing (RFC 5782 section 2.1)"),
        _ => {}
    }
    let spamhaus = zone.ends_with("spamhaus.org") || zone.ends_with("spamhaus.net");
    if !spamhaus {
        return None;
    }
    Some(match (b, c, d) {
        (0, 0, 2) => "Spamhaus SBL: a spam source or spam operation",
        (0, 0, 3) => "Spamhaus SBL CSS: snowshoe spam or a compromised host",
        (0, 0, 4..=7) => "Spamhaus XBL: a host infected or exploited (botnet, proxy)",
        (0, 0, 9) => "Spamhaus DROP: a hijacked or criminal network",
        (0, 0, 10) => "Spamhaus PBL: the ISP says this address should not send mail directly",
        (0, 0, 11) => "Spamhaus PBL: an end-user address that should not send mail directly",
        (0, 1, 2) => "Spamhaus DBL: a spam domain",
        (0, 1, 4) => "Spamhaus DBL: a phishing domain",
        (0, 1, 5) => "Spamhaus DBL: a malware domain",
        (0, 1, 6) => "Spamhaus DBL: a botnet command-and-control domain",
        (0, 1, 102..=106) => "Spamhaus DBL: an abused legitimate domain",
        _ => return None,
    })
}

impl DnsblResult {
    /// The evidence of this answer: one for a listing, a refused query, a broken answer, a
    /// failed query or a failed self-test; none for "not listed".
    pub fn evidence(&self) -> Vec<Evidence> {
        let mut out = Vec::new();
        if let Some(sentence) = self.sentence() {
            out.push(dns_evidence(None, &sentence));
        }
        if let Some(t) = &self.self_test {
            // A refusing zone fails its self-test too; the refusal already says why.
            if !t.passed() && self.status != DnsblStatus::QueryRefused {
                out.push(dns_evidence(
                    None,
                    &format!(
                        "the blocklist zone {} failed the RFC 5782 self-test (test entry {}: {}, must be listed; {}: {}, must not be): its answers cannot be trusted, the list may be retired or not answer this resolver",
                        self.zone,
                        t.listed_subject,
                        t.listed.as_str(),
                        t.clean_subject,
                        t.clean.as_str()
                    ),
                ));
            }
        }
        out
    }

    fn codes_text(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for (i, c) in self.codes.iter().enumerate() {
            let m = self
                .meanings
                .get(i)
                .filter(|_| self.meanings.len() == self.codes.len());
            parts.push(match m {
                Some(m) => format!("{c} ({m})"),
                None => c.to_string(),
            });
        }
        parts.join(", ")
    }

    fn sentence(&self) -> Option<String> {
        let (zone, subject, query) = (&self.zone, &self.subject, &self.query);
        let codes = self.codes_text();
        Some(match self.status {
            DnsblStatus::NotListed => return None,
            DnsblStatus::Listed => {
                let reason = self
                    .reason
                    .as_ref()
                    .map(|r| format!("; the list says \"{r}\""))
                    .unwrap_or_default();
                format!(
                    "{subject} is listed in the DNS blocklist {zone} ({query} A {codes}){reason}: receivers that use this list refuse or junk mail from it"
                )
            }
            DnsblStatus::QueryRefused => format!(
                "the blocklist {zone} refused the query for {subject}: it answered {codes}, an error code and not a listing; ask through a resolver of your own rather than a public one, or with the operator's access key"
            ),
            DnsblStatus::Broken => format!(
                "the blocklist zone {zone} answered {codes} for {subject}, outside 127.0.0.0/8 (RFC 5782 section 2.3): the zone is broken or answers every name (a wildcard), so the answer is not a listing"
            ),
            DnsblStatus::LookupFailed => format!(
                "the blocklist query {query} for {subject} failed ({}): a DNS failure, so the list {zone} gave no verdict",
                self.answer
            ),
        })
    }
}

/// The evidence of every result, in order.
pub fn evidence(results: &[DnsblResult]) -> Vec<Evidence> {
    results.iter().flat_map(DnsblResult::evidence).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{block_on, Answer, Rdata, Zone};

    const ZONE: &str = "dnsbl.example.net";

    fn lab() -> Zone {
        let mut z = Zone::new();
        z.add(
            "2.0.0.127.dnsbl.example.net",
            Rdata::A([127, 0, 0, 2].into()),
        )
        .add(
            "2.0.0.127.dnsbl.example.net",
            Rdata::Txt(vec![b"test entry".to_vec()]),
        )
        .add(
            "10.2.0.192.dnsbl.example.net",
            Rdata::A([127, 0, 0, 4].into()),
        )
        .add(
            "10.2.0.192.dnsbl.example.net",
            Rdata::Txt(vec![
                b"192.0.2.10 is listed: ".to_vec(),
                b"see the lookup page".to_vec(),
            ]),
        )
        .add(
            "*.refuse.example.net",
            Rdata::A([127, 255, 255, 254].into()),
        )
        .add("*.wild.example.net", Rdata::A([192, 0, 2, 80].into()))
        .add("*.uri.example.net", Rdata::A([127, 0, 0, 1].into()))
        .add(
            "spam.example.com.dbl.example.net",
            Rdata::A([127, 0, 1, 2].into()),
        )
        .add("test.dbl.example.net", Rdata::A([127, 0, 1, 2].into()))
        .fail("slow.example.net", Answer::Timeout)
        .fail("*.slow.example.net", Answer::Timeout);
        z.touch(ZONE).touch("dbl.example.net");
        z
    }

    fn run(zone: &Zone, ip: &str, zones: &[&str], self_test: bool) -> Vec<DnsblResult> {
        block_on(check_with(
            zone,
            ip.parse().expect("ip"),
            zones,
            &Options { self_test },
        ))
    }

    #[test]
    fn listed_with_codes_and_reason() {
        let r = run(&lab(), "192.0.2.10", &[ZONE], false);
        assert_eq!(r.len(), 1);
        let r = &r[0];
        assert_eq!(r.query, "10.2.0.192.dnsbl.example.net");
        assert_eq!(r.status, DnsblStatus::Listed);
        assert_eq!(r.codes, [Ipv4Addr::new(127, 0, 0, 4)]);
        assert_eq!(
            r.reason.as_deref(),
            Some("192.0.2.10 is listed: see the lookup page")
        );
        assert_eq!(
            r.evidence()[0].text,
            "dns check: 192.0.2.10 is listed in the DNS blocklist dnsbl.example.net (10.2.0.192.dnsbl.example.net A 127.0.0.4); the list says \"192.0.2.10 is listed: see the lookup page\": receivers that use this list refuse or junk mail from it"
        );
    }

    #[test]
    fn not_listed_gives_no_evidence() {
        let r = run(&lab(), "192.0.2.11", &[ZONE], false);
        assert_eq!(
            (r[0].status, r[0].answer),
            (DnsblStatus::NotListed, AnswerKind::Nxdomain)
        );
        assert_eq!(r[0].reason, None);
        assert!(evidence(&r).is_empty());
    }

    #[test]
    fn error_codes_are_refusals_not_listings() {
        let r = run(
            &lab(),
            "192.0.2.10",
            &["refuse.example.net", "uri.example.net"],
            false,
        );
        assert_eq!(r[0].status, DnsblStatus::QueryRefused);
        assert_eq!(
            r[0].meanings,
            ["error: query through a public or open resolver"]
        );
        assert_eq!(
            r[0].evidence()[0].text,
            "dns check: the blocklist refuse.example.net refused the query for 192.0.2.10: it answered 127.255.255.254 (error: query through a public or open resolver), an error code and not a listing; ask through a resolver of your own rather than a public one, or with the operator's access key"
        );
        assert_eq!(r[1].status, DnsblStatus::QueryRefused);
        for (code, meaning) in [(252, "typing error"), (255, "excessive number of queries")] {
            let c = Ipv4Addr::new(127, 255, 255, code);
            assert_eq!(status(AnswerKind::Records, &[c]), DnsblStatus::QueryRefused);
            assert!(meaning_of(c).contains(meaning));
        }
    }

    fn meaning_of(c: Ipv4Addr) -> &'static str {
        meaning("zen.spamhaus.org", c).unwrap_or_default()
    }

    #[test]
    fn answers_outside_loopback_are_a_broken_zone() {
        let r = run(&lab(), "192.0.2.10", &["wild.example.net"], false);
        assert_eq!(r[0].status, DnsblStatus::Broken);
        assert!(r[0].evidence()[0]
            .text
            .contains("answered 192.0.2.80 for 192.0.2.10, outside 127.0.0.0/8"));
    }

    #[test]
    fn failures_give_no_verdict() {
        let r = run(&lab(), "192.0.2.10", &["slow.example.net"], false);
        assert_eq!(
            (r[0].status, r[0].answer),
            (DnsblStatus::LookupFailed, AnswerKind::Timeout)
        );
        assert!(r[0].evidence()[0].text.contains(
            "failed (timeout): a DNS failure, so the list slow.example.net gave no verdict"
        ));
        let mut z = lab();
        z.fail("*.broken.example.net", Answer::ServFail);
        let r = run(&z, "192.0.2.10", &["broken.example.net"], false);
        assert_eq!(r[0].answer, AnswerKind::Servfail);
        assert_eq!(r[0].status, DnsblStatus::LookupFailed);
    }

    #[test]
    fn ipv6_and_mapped_names() {
        let r = run(&lab(), "2001:db8::1", &[ZONE], false);
        assert_eq!(
            r[0].query,
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.dnsbl.example.net"
        );
        let r = run(&lab(), "::ffff:192.0.2.10", &[ZONE], false);
        assert_eq!(
            (r[0].subject.as_str(), r[0].status),
            ("192.0.2.10", DnsblStatus::Listed)
        );
        // An IPv6 list's self-test asks ::ffff:7f00:2 and ::ffff:7f00:1 (RFC 5782 5).
        let mut z = lab();
        let test = Subject::Ip("::ffff:7f00:2".parse().expect("v6")).query("v6.example.net");
        z.add(&test, Rdata::A([127, 0, 0, 2].into()));
        let r = run(&z, "2001:db8::1", &["v6.example.net"], true);
        let t = r[0].self_test.as_ref().expect("self-test");
        assert!(t.passed(), "{t:?}");
        assert_eq!(t.listed_subject, "::ffff:127.0.0.2");
        assert!(
            test.starts_with("2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0."),
            "{test}"
        );
    }

    #[test]
    fn self_test() {
        let r = run(
            &lab(),
            "192.0.2.11",
            &[
                ZONE,
                "refuse.example.net",
                "wild.example.net",
                "gone.example.org",
            ],
            true,
        );
        let t = r[0].self_test.as_ref().expect("self-test");
        assert!(t.passed(), "{t:?}");
        assert_eq!(
            (t.listed_subject.as_str(), t.clean_subject.as_str()),
            ("127.0.0.2", "127.0.0.1")
        );
        assert!(r[0].evidence().is_empty());
        // Refusing zones fail, but the refusal is the evidence.
        assert!(!r[1].self_test.as_ref().is_some_and(SelfTest::passed));
        assert_eq!(r[1].evidence().len(), 1);
        // A wildcard answering outside 127/8, and a zone that lists nothing at all.
        assert_eq!(r[2].evidence().len(), 2);
        let gone = r[3].evidence();
        assert_eq!(gone.len(), 1);
        assert_eq!(
            gone[0].text,
            "dns check: the blocklist zone gone.example.org failed the RFC 5782 self-test (test entry 127.0.0.2: not listed, must be listed; 127.0.0.1: not listed, must not be): its answers cannot be trusted, the list may be retired or not answer this resolver"
        );
    }

    #[test]
    fn domain_lists() {
        let z = lab();
        let opts = Options { self_test: true };
        let r = block_on(check_domain(
            &z,
            "Spam.Example.com.",
            &["dbl.example.net"],
            &opts,
        ));
        assert_eq!(r[0].query, "spam.example.com.dbl.example.net");
        assert_eq!(r[0].status, DnsblStatus::Listed);
        assert!(r[0].self_test.as_ref().is_some_and(SelfTest::passed));
        let r = block_on(check_domain(
            &z,
            "ham.example.com",
            &["dbl.example.net"],
            &opts,
        ));
        assert_eq!(r[0].status, DnsblStatus::NotListed);
        assert_eq!(
            meaning("dbl.spamhaus.org", Ipv4Addr::new(127, 0, 1, 2)),
            Some("Spamhaus DBL: a spam domain")
        );
        let long = "a".repeat(250);
        let r = block_on(check_domain(&z, &long, &["dbl.example.net"], &opts));
        assert_eq!(
            (r[0].answer, r[0].status),
            (AnswerKind::BadName, DnsblStatus::LookupFailed)
        );
    }

    #[test]
    fn results_serialise() {
        let r = run(&lab(), "192.0.2.10", &[ZONE], true);
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(json[0]["status"], "listed");
        assert_eq!(json[0]["codes"][0], "127.0.0.4");
        assert_eq!(json[0]["self_test"]["clean"], "not_listed");
    }
}
