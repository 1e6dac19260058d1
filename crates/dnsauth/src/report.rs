//! The report of `smtp-doctor dns DOMAIN`: every check of a mail domain (MX and the mail
//! hosts' reverse DNS, SPF, DMARC, DKIM, MTA-STS with its policy fetch, TLS-RPT, DANE; a sending
//! IP's reverse DNS and blocklists) run over one [`Resolver`] (lookups that do not depend on each other at once),
//! kept as data ([`DomainReport`], serialisable for `--json`), and its problems as evidence for
//! the shared classifier ([`DomainReport::evidence`]). Nothing here decides a category.

use crate::dane::{self, DaneProblem, DaneReport, DaneResult, DnssecState};
use crate::dkim::{self, Severity};
use crate::dmarc::{self, org};
pub use crate::dns::AnswerKind;
use crate::dns::{join_all, normalize, Answer, Lookup, RecordType, Resolver};
use crate::evidence::dns_evidence;
use crate::mtasts::fetch::{self, FetchOptions, FetchReport};
use crate::spf::{self, Outcome, SpfResult, Trace, Via};
use crate::{dnsbl, mtasts, mx, rdns, tlsrpt};
use serde::Serialize;
use smtp_doctor_model::Evidence;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

/// The DKIM selectors tried when none is given.
pub const COMMON_SELECTORS: &[&str] = &[
    "default",
    "google",
    "selector1",
    "selector2",
    "k1",
    "s1",
    "s2",
    "dkim",
    "mail",
];

/// What to check beside the domain's own records.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// A sending IP to evaluate SPF for (`--ip`).
    pub ip: Option<IpAddr>,
    /// DKIM selectors to look up (`--selector`); empty: [`COMMON_SELECTORS`].
    pub selectors: Vec<String>,
    /// How long the SPF evaluation may take in all (`None`: RFC 7208's 20 seconds).
    pub spf_time_limit: Option<Duration>,
    /// DNS blocklist zones to ask about [`CheckOptions::ip`] (`--dnsbl`).
    pub dnsbl_zones: Vec<String>,
    /// How the MTA-STS policy is fetched when the domain publishes a valid `_mta-sts` record.
    pub mta_sts_fetch: FetchOptions,
}

/// The most mail-host addresses whose reverse DNS is checked.
pub const MAX_RDNS_ADDRESSES: usize = 32;

/// One query and the kind of its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueryInfo {
    /// The name asked.
    pub name: String,
    /// The type asked (`TXT`, `A`, ...).
    pub rtype: &'static str,
    /// The kind of answer.
    pub answer: AnswerKind,
    /// CNAMEs followed.
    pub cnames: Vec<String>,
}

impl QueryInfo {
    fn new(name: &str, rtype: RecordType, l: &Lookup) -> Self {
        QueryInfo {
            name: normalize(name),
            rtype: rtype.as_str(),
            answer: l.answer.kind(),
            cnames: l.cnames.clone(),
        }
    }
}

/// The whole report on one domain.
#[derive(Debug, Clone, Serialize)]
pub struct DomainReport {
    /// The domain checked, lower case, without the final dot.
    pub domain: String,
    /// The sending IP SPF was evaluated for, if given.
    pub ip: Option<IpAddr>,
    /// The mail hosts: the MX set (or the null MX, or the implicit MX) with their addresses.
    pub mx: mx::MxReport,
    /// The reverse DNS of every mail-host address (at most [`MAX_RDNS_ADDRESSES`]).
    pub mx_rdns: Vec<rdns::RdnsReport>,
    /// SPF.
    pub spf: SpfSection,
    /// DMARC.
    pub dmarc: DmarcSection,
    /// DKIM keys.
    pub dkim: DkimSection,
    /// The `_mta-sts` TXT record.
    pub mta_sts: TxtSection,
    /// The MTA-STS policy fetched from `mta-sts.<domain>` and matched against the MX set, when
    /// the `_mta-sts` record is valid (else `None`: senders would not fetch it either).
    pub mta_sts_policy: Option<FetchReport>,
    /// The `_smtp._tls` TLS-RPT record.
    pub tls_rpt: TxtSection,
    /// The TLSA records of every mail host.
    pub dane: DaneSection,
    /// The reverse DNS of the sending IP (`--ip`).
    pub ip_rdns: Option<rdns::RdnsReport>,
    /// What each `--dnsbl` zone says about the sending IP.
    pub dnsbl: Vec<dnsbl::DnsblResult>,
}

/// A syntax error of an SPF record, with its position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyntaxErrorInfo {
    /// Byte offset in the record.
    pub position: usize,
    /// What is wrong.
    pub error: String,
}

/// One record of the SPF include/redirect tree.
#[derive(Debug, Clone, Serialize)]
pub struct SpfNode {
    /// The domain.
    pub domain: String,
    /// How it was reached: `top`, `include` or `redirect`.
    pub via: &'static str,
    /// The kind of answer to its TXT query (`None` when not asked).
    pub answer: Option<AnswerKind>,
    /// The SPF record, when there was exactly one.
    pub record: Option<String>,
    /// Lookups its own terms cost.
    pub lookups: u32,
    /// Lookups of it and everything below.
    pub total_lookups: u32,
    /// Its result.
    pub result: &'static str,
    /// The terms evaluated: term, position, lookups, outcome.
    pub terms: Vec<SpfTerm>,
    /// The records it included or redirected to.
    pub children: Vec<SpfNode>,
}

/// One evaluated term of a record.
#[derive(Debug, Clone, Serialize)]
pub struct SpfTerm {
    /// The term as written.
    pub term: String,
    /// Its byte position.
    pub position: usize,
    /// Lookups it cost.
    pub lookups: u32,
    /// `match`, `no_match` or `error`.
    pub outcome: &'static str,
}

/// A problem that makes SPF fail or not apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SpfIssue {
    /// No SPF record at the domain.
    NoRecord {
        /// The answer to the TXT query.
        answer: AnswerKind,
    },
    /// More than one SPF record.
    MultipleRecords {
        /// How many.
        count: usize,
    },
    /// Syntax errors in a record.
    Syntax {
        /// The domain whose record it is.
        domain: String,
        /// The record.
        record: Option<String>,
        /// The errors with their positions.
        errors: Vec<SyntaxErrorInfo>,
    },
    /// Over the DNS-lookup limit.
    TooManyLookups {
        /// Lookups counted.
        count: u32,
        /// The limit.
        limit: u32,
    },
    /// Over the void-lookup limit.
    TooManyVoidLookups {
        /// Void lookups counted.
        count: u32,
        /// The limit.
        limit: u32,
    },
    /// An `mx` term with more than ten exchangers.
    TooManyMx {
        /// The domain queried.
        domain: String,
        /// How many exchangers.
        count: usize,
    },
    /// An include or redirect loop.
    Loop {
        /// The domain met again.
        domain: String,
    },
    /// An include or redirect target without an SPF record.
    TargetWithoutRecord {
        /// The target.
        domain: String,
    },
    /// A DNS failure during the evaluation (temperror).
    Dns {
        /// The name queried.
        name: String,
        /// The type.
        rtype: &'static str,
        /// The answer's kind.
        answer: AnswerKind,
    },
    /// The domain is not a valid domain to check.
    InvalidDomain,
    /// `+all`: anyone may send as the domain.
    PlusAll {
        /// The domain whose record has it.
        domain: String,
    },
    /// The `--ip` check failed (fail or softfail).
    IpNotAuthorised {
        /// The IP.
        ip: IpAddr,
        /// The result.
        result: &'static str,
        /// The term that decided, if any.
        term: Option<String>,
    },
}

/// The `--ip` evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct SpfIpCheck {
    /// The IP.
    pub ip: IpAddr,
    /// The result (`pass`, `fail`, ...).
    pub result: &'static str,
    /// The term that decided at each level, outermost first (`domain`, `term`, `position`).
    pub matched: Vec<MatchedTerm>,
    /// The `exp=` explanation of a fail.
    pub explanation: Option<String>,
}

/// The term that decided a result.
#[derive(Debug, Clone, Serialize)]
pub struct MatchedTerm {
    /// The domain whose record holds it.
    pub domain: String,
    /// The term.
    pub term: String,
    /// Its byte position.
    pub position: usize,
}

/// SPF of the domain.
#[derive(Debug, Clone, Serialize)]
pub struct SpfSection {
    /// The TXT query at the domain.
    pub query: Option<QueryInfo>,
    /// Every `v=spf1` record found there.
    pub records: Vec<String>,
    /// The result of walking the whole tree with no IP (every term's cost counted).
    pub result: &'static str,
    /// The include/redirect tree.
    pub tree: SpfNode,
    /// Lookups counted against the limit.
    pub lookups: u32,
    /// The lookup limit (10).
    pub lookup_limit: u32,
    /// Void lookups counted.
    pub void_lookups: u32,
    /// The void-lookup limit (2).
    pub void_lookup_limit: u32,
    /// The `--ip` evaluation.
    pub ip_check: Option<SpfIpCheck>,
    /// Problems (each is evidence).
    pub issues: Vec<SpfIssue>,
    /// Things worth knowing that are not problems.
    pub notes: Vec<String>,
}

/// A DMARC problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DmarcIssue {
    /// No DMARC record at the domain nor at its organisational domain.
    NoRecord {
        /// The answer at `_dmarc.<domain>`.
        answer: AnswerKind,
    },
    /// The domain's record does not parse.
    Invalid {
        /// The record.
        record: String,
        /// Why.
        error: String,
    },
    /// More than one DMARC record.
    MultipleRecords {
        /// How many.
        count: usize,
    },
    /// The `_dmarc` query failed.
    Dns {
        /// The name.
        name: String,
        /// The answer's kind.
        answer: AnswerKind,
    },
    /// A report destination outside the domain without its authorisation record.
    UnauthorisedDestination {
        /// `rua` or `ruf`.
        list: String,
        /// The destination host.
        host: String,
        /// The authorisation name queried.
        authorization_name: String,
        /// The answer there.
        answer: AnswerKind,
    },
    /// The policy quarantines or rejects, and the domain has neither SPF nor DKIM.
    EnforcedWithoutAuthentication {
        /// The policy in force.
        policy: String,
        /// The domain whose record sets it.
        policy_domain: String,
    },
}

/// DMARC of the domain.
#[derive(Debug, Clone, Serialize)]
pub struct DmarcSection {
    /// The `_dmarc.<domain>` query.
    pub query: QueryInfo,
    /// The domain's own DMARC record(s).
    pub records: Vec<String>,
    /// The domain whose record applies (the domain or, RFC 9989 discovery, a parent).
    pub policy_domain: Option<String>,
    /// The record that applies.
    pub record: Option<String>,
    /// `p=` in force.
    pub policy: Option<String>,
    /// `sp=` in force.
    pub subdomain_policy: Option<String>,
    /// The RFC 7489 (public suffix list) organisational domain.
    pub org_domain_psl: Option<String>,
    /// The RFC 9989 (DNS tree walk) organisational domain.
    pub org_domain_tree_walk: String,
    /// True when the two differ.
    pub org_domains_differ: bool,
    /// The `rua=` destinations.
    pub rua: Vec<String>,
    /// The `ruf=` destinations.
    pub ruf: Vec<String>,
    /// Problems (each is evidence).
    pub issues: Vec<DmarcIssue>,
    /// Warnings and notes.
    pub notes: Vec<String>,
}

/// One DKIM selector looked up.
#[derive(Debug, Clone, Serialize)]
pub struct DkimSelector {
    /// The selector.
    pub selector: String,
    /// The query (`<selector>._domainkey.<domain>` TXT).
    pub query: QueryInfo,
    /// The key record, when found.
    pub record: Option<String>,
    /// `rsa` or `ed25519`.
    pub key_type: Option<String>,
    /// The key size in bits (RSA).
    pub bits: Option<usize>,
    /// True when verifiers can use the key.
    pub usable: bool,
    /// Why the record does not parse, or the key's problems.
    pub problems: Vec<String>,
}

/// A DKIM problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DkimIssue {
    /// `_domainkey.<domain>` is NXDOMAIN (RFC 8020): the domain has no DKIM keys at all.
    NoDkim,
    /// A selector given with `--selector` has no key.
    SelectorMissing {
        /// The selector.
        selector: String,
        /// The answer.
        answer: AnswerKind,
    },
    /// A key that verifiers cannot use.
    UnusableKey {
        /// The selector.
        selector: String,
        /// Why.
        problem: String,
    },
    /// A selector's query failed.
    Dns {
        /// The name.
        name: String,
        /// The answer's kind.
        answer: AnswerKind,
    },
}

/// DKIM of the domain.
#[derive(Debug, Clone, Serialize)]
pub struct DkimSection {
    /// True when the selectors were given (`--selector`), false for the common ones.
    pub selectors_given: bool,
    /// The `_domainkey.<domain>` query (RFC 8020: NXDOMAIN means nothing below exists).
    pub domainkey: QueryInfo,
    /// Every selector looked up.
    pub selectors: Vec<DkimSelector>,
    /// Problems (each is evidence).
    pub issues: Vec<DkimIssue>,
    /// Notes.
    pub notes: Vec<String>,
}

/// A problem of an MTA-STS or TLS-RPT record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TxtIssue {
    /// The record does not parse.
    Invalid {
        /// The record.
        record: String,
        /// Why.
        error: String,
    },
    /// More than one record.
    MultipleRecords {
        /// How many.
        count: usize,
    },
    /// The query failed.
    Dns {
        /// The answer's kind.
        answer: AnswerKind,
    },
}

/// A versioned TXT record (`_mta-sts`, `_smtp._tls`).
#[derive(Debug, Clone, Serialize)]
pub struct TxtSection {
    /// The query.
    pub query: QueryInfo,
    /// The records starting with the version tag.
    pub records: Vec<String>,
    /// True when exactly one record is there and it parses.
    pub valid: bool,
    /// Problems (each is evidence).
    pub issues: Vec<TxtIssue>,
    /// Warnings.
    pub notes: Vec<String>,
}

/// The DANE check of every mail host (`_25._tcp.<mx>`).
#[derive(Debug, Clone, Serialize)]
pub struct DaneSection {
    /// The DNSSEC state of the domain's MX RRset (each host's TLSA RRset has its own, in
    /// [`DaneReport::dnssec`]); not validated when the resolver does not validate.
    pub dnssec: DnssecState,
    /// The domain, whose MX RRset [`DaneSection::dnssec`] is the state of.
    #[serde(skip)]
    domain: String,
    /// One report per mail host, in MX order.
    pub hosts: Vec<DaneReport>,
    /// Advice that is not a failure ([`is_advisory`]), one sentence each.
    pub notes: Vec<String>,
}

/// True for the DANE problems reported as notes rather than findings: records that are not
/// DNSSEC-secure (without `--dnssec` the resolver does not validate, so every answer is in
/// this state and senders that do validate may well see a signed zone; an insecure zone's
/// records are ignored by senders) and the rollover advice of a single record; neither stops
/// mail today. Bogus records do: validating senders defer.
pub fn is_advisory(p: &DaneProblem) -> bool {
    matches!(
        p,
        DaneProblem::NotValidated { .. } | DaneProblem::NoRolloverRecord { .. }
    )
}

impl DaneSection {
    fn new(domain: &str, dnssec: DnssecState, hosts: Vec<DaneReport>) -> Self {
        let mut notes: Vec<String> = hosts
            .iter()
            .flat_map(|h| h.problems.iter().zip(h.evidence()))
            .filter(|(p, _)| is_advisory(p))
            .map(|(_, e)| {
                e.text
                    .strip_prefix("dns check: ")
                    .unwrap_or(&e.text)
                    .to_string()
            })
            .collect();
        let secure_tlsa = hosts
            .iter()
            .any(|h| h.dnssec == DnssecState::Secure && !h.records.is_empty());
        if secure_tlsa && matches!(dnssec, DnssecState::Insecure | DnssecState::NotValidated) {
            notes.push(format!(
                "the MX records of {domain} are not DNSSEC-secure ({}): DANE senders use the TLSA records of mail hosts only from a secure MX answer (RFC 7672 section 2.2.1)",
                dnssec.as_str()
            ));
        }
        DaneSection {
            dnssec,
            domain: domain.to_string(),
            hosts,
            notes,
        }
    }

    /// The evidence of a bogus MX RRset: validating senders cannot find the mail hosts.
    fn mx_evidence(&self) -> Option<Evidence> {
        (self.dnssec == DnssecState::Bogus).then(|| {
            dns_evidence(
                Some(smtp_doctor_model::Stage::Resolve),
                &format!(
                    "the MX records of {} failed DNSSEC validation (bogus): validating resolvers answer SERVFAIL for them, so senders that validate cannot find the domain's mail hosts and defer its mail (RFC 4035 section 5.5)",
                    self.domain
                ),
            )
        })
    }

    /// The evidence of the problems that are not advisory.
    fn evidence(&self) -> Vec<Evidence> {
        let hosts = self.hosts.iter().flat_map(|h| {
            let problems = h.problems.iter().zip(h.evidence());
            problems.filter(|(p, _)| !is_advisory(p)).map(|(_, e)| e)
        });
        self.mx_evidence().into_iter().chain(hosts).collect()
    }

    /// Matches the certificate chain (DER, leaf first) that a probe of `host` saw against
    /// that host's TLSA records ([`DaneReport::match_chain`]: a mismatch is a problem, a match
    /// a note); the first chain of a host is kept, later ones (other addresses of the host)
    /// are not matched again.
    pub fn match_chain(&mut self, host: &str, chain_der: &[Vec<u8>]) -> Option<&DaneResult> {
        let host = normalize(host);
        let report = self
            .hosts
            .iter_mut()
            .find(|h| h.host == host && h.chain.is_none())?;
        report.match_chain(chain_der);
        self.notes.extend(report.match_note());
        report.chain.as_ref()
    }

    /// How many problems are findings.
    pub fn problems(&self) -> usize {
        let hosts = self
            .hosts
            .iter()
            .flat_map(|h| &h.problems)
            .filter(|p| !is_advisory(p))
            .count();
        hosts + usize::from(self.dnssec == DnssecState::Bogus)
    }
}

/// Runs every check of `domain` over `dns`.
pub async fn check_domain<R: Resolver>(
    dns: &R,
    domain: &str,
    options: &CheckOptions,
) -> DomainReport {
    let domain = normalize(domain);
    let d = domain.as_str();
    let sts_name = format!("_mta-sts.{d}");
    let rpt_name = format!("_smtp._tls.{d}");
    // The sending IP's checks depend on nothing of the domain's.
    let ip_checks = async {
        match options.ip {
            Some(ip) => {
                let (r, b) = tokio::join!(
                    rdns::check(dns, ip),
                    dnsbl::check(dns, ip, &options.dnsbl_zones)
                );
                (Some(r), b)
            }
            None => (None, Vec::new()),
        }
    };
    // The policy fetch waits only for the `_mta-sts` record; senders fetch only for a valid one.
    let mta_sts_checks = async {
        let record = txt_section(dns, &sts_name, "v=STSv1", |t| {
            mtasts::parse_record(t)
                .map(|p| p.warnings.iter().map(ToString::to_string).collect())
                .map_err(|e| e.to_string())
        })
        .await;
        let policy = if record.valid {
            Some(fetch::fetch(dns, d, &options.mta_sts_fetch).await)
        } else {
            None
        };
        (record, policy)
    };
    let (
        spf,
        (dmarc_parts, dkim),
        ((mta_sts, mut mta_sts_policy), tls_rpt),
        (mx, (ip_rdns, dnsbl)),
    ) = tokio::join!(
        spf_section(dns, d, options),
        async { tokio::join!(dmarc_lookups(dns, d), dkim_section(dns, d, options)) },
        async {
            tokio::join!(
                mta_sts_checks,
                txt_section(dns, &rpt_name, "v=TLSRPTv1", |t| {
                    tlsrpt::parse(t)
                        .map(|p| p.warnings.iter().map(ToString::to_string).collect())
                        .map_err(|e| e.to_string())
                }),
            )
        },
        async { tokio::join!(mx::check(dns, d), ip_checks) },
    );
    // Second round: what the first answers named.
    let mut hosts = mx.addresses();
    hosts.truncate(MAX_RDNS_ADDRESSES);
    let (mut dmarc, mx_rdns, dane_hosts, mx_dnssec) = tokio::join!(
        dmarc_section(dns, d, dmarc_parts),
        join_all(hosts.into_iter().map(|ip| rdns::check(dns, ip)).collect()),
        dane::check_mx(dns, &mx),
        async {
            if mx.exchangers.is_empty() {
                DnssecState::NotValidated
            } else {
                dns.dnssec(d, RecordType::Mx).await
            }
        },
    );
    if let Some(policy) = &mut mta_sts_policy {
        policy.check_mx(&mx);
    }
    let authenticated = spf
        .issues
        .iter()
        .all(|i| !matches!(i, SpfIssue::NoRecord { .. }))
        || !dkim.issues.contains(&DkimIssue::NoDkim);
    if let (false, Some(policy), Some(policy_domain)) =
        (authenticated, &dmarc.policy, &dmarc.policy_domain)
    {
        let in_force = if policy_domain == d {
            policy
        } else {
            dmarc.subdomain_policy.as_ref().unwrap_or(policy)
        };
        if in_force != "none" {
            dmarc
                .issues
                .push(DmarcIssue::EnforcedWithoutAuthentication {
                    policy: in_force.clone(),
                    policy_domain: policy_domain.clone(),
                });
        }
    }
    let dane = DaneSection::new(d, mx_dnssec, dane_hosts);
    DomainReport {
        domain,
        ip: options.ip,
        mx,
        mx_rdns,
        spf,
        dmarc,
        dkim,
        mta_sts,
        mta_sts_policy,
        tls_rpt,
        dane,
        ip_rdns,
        dnsbl,
    }
}

/// The character-strings of each TXT record joined, as text.
fn txt_strings(l: &Lookup) -> Vec<String> {
    l.txt()
        .map(|parts| String::from_utf8_lossy(&parts.concat()).into_owned())
        .collect()
}

// ---- SPF -------------------------------------------------------------------------------------

async fn spf_section<R: Resolver>(dns: &R, domain: &str, options: &CheckOptions) -> SpfSection {
    let mut spf_options = spf::Options::default();
    if let Some(limit) = options.spf_time_limit {
        spf_options.time_limit = limit;
    }
    let client = |ip| spf::Client {
        ip,
        sender: format!("postmaster@{domain}"),
        helo: domain.to_string(),
    };
    let walk_client = client(None);
    let ip_client = options.ip.map(|ip| client(Some(ip)));
    let (walk, with_ip) = tokio::join!(spf::check(dns, &walk_client, &spf_options), async {
        match &ip_client {
            Some(c) => Some(spf::check(dns, c, &spf_options).await),
            None => None,
        }
    });
    let query = walk.trace.query.as_ref().map(|q| QueryInfo {
        name: q.name.clone(),
        rtype: q.rtype.as_str(),
        answer: q.answer.kind(),
        cnames: q.cnames.clone(),
    });
    let records: Vec<String> = walk
        .trace
        .query
        .as_ref()
        .map(|q| {
            q.answer
                .records()
                .iter()
                .filter_map(|r| match r {
                    crate::dns::Rdata::Txt(parts) => {
                        let joined = parts.concat();
                        spf::record::is_spf1(&joined)
                            .then(|| String::from_utf8_lossy(&joined).into_owned())
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let mut issues = Vec::new();
    if let Some(p) = &walk.problem {
        issues.push(spf_issue(p, &walk, query.as_ref()));
    }
    let mut notes = Vec::new();
    for w in &walk.warnings {
        match w {
            spf::Warning::PlusAll { domain } => issues.push(SpfIssue::PlusAll {
                domain: domain.clone(),
            }),
            other => notes.push(spf_warning_text(other)),
        }
    }
    let ip_check = with_ip.map(|e| {
        let ip = options.ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        if matches!(e.result, SpfResult::Fail | SpfResult::SoftFail) {
            issues.push(SpfIssue::IpNotAuthorised {
                ip,
                result: e.result.as_str(),
                term: e.matched.last().map(|m| m.term.clone()),
            });
        }
        SpfIpCheck {
            ip,
            result: e.result.as_str(),
            matched: e
                .matched
                .iter()
                .map(|m| MatchedTerm {
                    domain: m.domain.clone(),
                    term: m.term.clone(),
                    position: m.position,
                })
                .collect(),
            explanation: e.explanation,
        }
    });
    SpfSection {
        query,
        records,
        result: walk.result.as_str(),
        tree: spf_node(&walk.trace),
        lookups: walk.lookups,
        lookup_limit: spf_options.max_lookups,
        void_lookups: walk.void_lookups,
        void_lookup_limit: spf_options.max_void_lookups,
        ip_check,
        issues,
        notes,
    }
}

fn spf_issue(p: &spf::Problem, e: &spf::Evaluation, query: Option<&QueryInfo>) -> SpfIssue {
    use spf::Problem as P;
    match p {
        P::InvalidDomain { .. } => SpfIssue::InvalidDomain,
        P::NoRecord { .. } => SpfIssue::NoRecord {
            answer: query.map_or(AnswerKind::Nodata, |q| q.answer),
        },
        P::MultipleRecords { count, .. } => SpfIssue::MultipleRecords { count: *count },
        P::Syntax { domain, errors } => SpfIssue::Syntax {
            domain: domain.clone(),
            record: find_record(&e.trace, domain),
            errors: errors
                .iter()
                .map(|er| SyntaxErrorInfo {
                    position: er.position,
                    error: er.kind.to_string(),
                })
                .collect(),
        },
        P::TooManyLookups { limit, .. } => SpfIssue::TooManyLookups {
            count: e.lookups.max(limit + 1),
            limit: *limit,
        },
        P::TooManyVoidLookups { limit, .. } => SpfIssue::TooManyVoidLookups {
            count: e.void_lookups.max(limit + 1),
            limit: *limit,
        },
        P::TooManyMx { domain, count } => SpfIssue::TooManyMx {
            domain: domain.clone(),
            count: *count,
        },
        P::Loop { domain } => SpfIssue::Loop {
            domain: domain.clone(),
        },
        P::TargetWithoutRecord { domain } => SpfIssue::TargetWithoutRecord {
            domain: domain.clone(),
        },
        P::Dns {
            name,
            rtype,
            answer,
        } => SpfIssue::Dns {
            name: name.clone(),
            rtype: rtype.as_str(),
            answer: answer.kind(),
        },
    }
}

/// The record text of `domain` in the tree, or its raw TXT text when it did not parse.
fn find_record(t: &Trace, domain: &str) -> Option<String> {
    if t.domain == domain {
        if let Some(r) = &t.record {
            return Some(r.clone());
        }
        return t.query.as_ref().and_then(|q| {
            q.answer.records().iter().find_map(|r| match r {
                crate::dns::Rdata::Txt(parts) => {
                    let joined = parts.concat();
                    spf::record::is_spf1(&joined)
                        .then(|| String::from_utf8_lossy(&joined).into_owned())
                }
                _ => None,
            })
        });
    }
    t.children.iter().find_map(|c| find_record(c, domain))
}

fn spf_node(t: &Trace) -> SpfNode {
    SpfNode {
        domain: t.domain.clone(),
        via: match t.via {
            Via::Top => "top",
            Via::Include => "include",
            Via::Redirect => "redirect",
        },
        answer: t.query.as_ref().map(|q| q.answer.kind()),
        record: t.record.clone(),
        lookups: t.own_lookups(),
        total_lookups: t.total_lookups(),
        result: t.result.as_str(),
        terms: t
            .steps
            .iter()
            .map(|s| SpfTerm {
                term: s.term.clone(),
                position: s.position,
                lookups: s.lookups,
                outcome: match s.outcome {
                    Outcome::Match => "match",
                    Outcome::NoMatch => "no_match",
                    Outcome::Error => "error",
                },
            })
            .collect(),
        children: t.children.iter().map(spf_node).collect(),
    }
}

fn spf_warning_text(w: &spf::Warning) -> String {
    use spf::Warning as W;
    match w {
        W::PlusAll { domain } => format!("{domain}: +all lets anyone send as the domain"),
        W::NeutralAll { domain } => {
            format!("{domain}: ?all says nothing about other senders")
        }
        W::PtrUsed { domain } => {
            format!("{domain}: the ptr mechanism is slow and RFC 7208 5.5 says not to use it")
        }
        W::LookupsNearLimit { count, limit } => {
            format!("{count} of the {limit} DNS lookups allowed are used")
        }
        W::LongRecord { domain, len } => format!(
            "{domain}: the record is {len} bytes, over the 450 that fit a UDP answer comfortably"
        ),
        W::IgnoredAfterAll { domain, position } => {
            format!("{domain}: the terms from byte {position} on come after all and are never evaluated")
        }
        W::UnknownModifier { domain, name } => {
            format!("{domain}: the modifier {name}= is unknown and ignored")
        }
        W::ExplanationUnavailable { domain } => {
            format!("{domain}: the exp= explanation cannot be had")
        }
        W::NoAll { domain } => {
            format!("{domain}: no all and no redirect: other senders get neutral")
        }
    }
}

// ---- DMARC -----------------------------------------------------------------------------------

/// The `_dmarc` TXT lookups of the tree walk, asked at once.
struct DmarcLookups {
    own: Lookup,
    by_name: HashMap<String, Lookup>,
}

async fn dmarc_lookups<R: Resolver>(dns: &R, domain: &str) -> DmarcLookups {
    let names: Vec<String> = org::tree_walk_names(domain)
        .into_iter()
        .map(|n| format!("_dmarc.{n}"))
        .collect();
    let answers = join_all(
        names
            .iter()
            .map(|n| dns.lookup(n, RecordType::Txt))
            .collect(),
    )
    .await;
    let by_name: HashMap<String, Lookup> = names.into_iter().zip(answers).collect();
    let own = by_name
        .get(&format!("_dmarc.{domain}"))
        .cloned()
        .unwrap_or_else(|| Lookup::direct(Answer::BadName));
    DmarcLookups { own, by_name }
}

async fn dmarc_section<R: Resolver>(dns: &R, domain: &str, l: DmarcLookups) -> DmarcSection {
    let lookup = |name: &str| -> Result<Vec<String>, AnswerKind> {
        match l.by_name.get(name) {
            Some(found) if found.answer.is_error() => Err(found.answer.kind()),
            Some(found) => Ok(txt_strings(found)),
            None => Err(AnswerKind::Failed),
        }
    };
    let own_name = format!("_dmarc.{domain}");
    let query = QueryInfo::new(&own_name, RecordType::Txt, &l.own);
    let records: Vec<String> = txt_strings(&l.own)
        .into_iter()
        .filter(|r| dmarc::is_dmarc(r))
        .collect();
    let discovery = org::discover_policy(domain, lookup);
    let views = org::organizational_domain_views(domain, lookup);
    let mut issues = Vec::new();
    let mut notes = Vec::new();
    if query.answer.is_error() {
        issues.push(DmarcIssue::Dns {
            name: own_name.clone(),
            answer: query.answer,
        });
    } else if records.len() > 1 {
        issues.push(DmarcIssue::MultipleRecords {
            count: records.len(),
        });
    } else if let [one] = records.as_slice() {
        if let Err(e) = dmarc::parse(one) {
            issues.push(DmarcIssue::Invalid {
                record: one.clone(),
                error: e.to_string(),
            });
        }
    }
    let found = discovery.policy();
    if records.is_empty() && !query.answer.is_error() {
        match found {
            Some((name, _)) => notes.push(format!(
                "no record of its own: the policy of {name} applies (RFC 9989 discovery)"
            )),
            None => issues.push(DmarcIssue::NoRecord {
                answer: query.answer,
            }),
        }
    }
    let (mut policy_domain, mut record, mut policy, mut subdomain_policy) =
        (None, None, None, None);
    let (mut rua, mut ruf) = (Vec::new(), Vec::new());
    if let Some((name, parsed)) = found {
        let r = &parsed.record;
        policy_domain = Some(name.to_string());
        policy = Some(r.effective_policy().to_string());
        subdomain_policy = Some(r.effective_subdomain_policy().to_string());
        record = l
            .by_name
            .get(&format!("_dmarc.{name}"))
            .and_then(|lk| txt_strings(lk).into_iter().find(|t| dmarc::is_dmarc(t)));
        rua = r.rua.iter().map(|u| u.uri.uri.clone()).collect();
        ruf = r.ruf.iter().map(|u| u.uri.uri.clone()).collect();
        for w in &parsed.warnings {
            notes.push(w.to_string());
        }
        // Report destinations outside the policy domain need their authorisation record.
        let external = dmarc::external_destinations(r, name);
        let asked = join_all(
            external
                .iter()
                .filter_map(|w| match w {
                    dmarc::DmarcWarning::ExternalDestination {
                        list,
                        host,
                        authorization_name,
                        ..
                    } => Some((list.to_string(), host.clone(), authorization_name.clone())),
                    _ => None,
                })
                .map(|(list, host, auth)| async move {
                    let l = dns.lookup(&auth, RecordType::Txt).await;
                    (list, host, auth, l)
                })
                .collect(),
        )
        .await;
        for (list, host, authorization_name, lk) in asked {
            if !dmarc::authorizes(&txt_strings(&lk)) {
                issues.push(DmarcIssue::UnauthorisedDestination {
                    list,
                    host,
                    authorization_name,
                    answer: lk.answer.kind(),
                });
            }
        }
    }
    if views.differ() {
        notes.push(format!(
            "the organisational domain is {} by the public suffix list (RFC 7489) but {} by the DNS tree walk (RFC 9989): receivers of either kind may apply different policies and alignment",
            views.public_suffix.as_deref().unwrap_or("none (a public suffix)"),
            views.tree_walk.organizational_domain
        ));
    }
    for step in &views.tree_walk.steps {
        if let org::WalkAnswer::Failed(kind) = &step.answer {
            if step.name != domain {
                notes.push(format!(
                    "the tree walk's query at _dmarc.{} got {}",
                    step.name,
                    kind.as_str()
                ));
            }
        }
    }
    DmarcSection {
        query,
        records,
        policy_domain,
        record,
        policy,
        subdomain_policy,
        org_domain_psl: views.public_suffix.clone(),
        org_domain_tree_walk: views.tree_walk.organizational_domain.clone(),
        org_domains_differ: views.differ(),
        rua,
        ruf,
        issues,
        notes,
    }
}

// ---- DKIM ------------------------------------------------------------------------------------

async fn dkim_section<R: Resolver>(dns: &R, domain: &str, options: &CheckOptions) -> DkimSection {
    let selectors_given = !options.selectors.is_empty();
    let selectors: Vec<String> = if selectors_given {
        options.selectors.iter().map(|s| normalize(s)).collect()
    } else {
        COMMON_SELECTORS.iter().map(|s| (*s).to_string()).collect()
    };
    let names: Vec<String> = selectors
        .iter()
        .map(|s| format!("{s}._domainkey.{domain}"))
        .collect();
    let node_name = format!("_domainkey.{domain}");
    let (node, answers) = tokio::join!(
        dns.lookup(&node_name, RecordType::Txt),
        join_all(
            names
                .iter()
                .map(|n| dns.lookup(n, RecordType::Txt))
                .collect()
        )
    );
    let domainkey = QueryInfo::new(&node_name, RecordType::Txt, &node);
    let mut issues = Vec::new();
    let mut notes = Vec::new();
    let mut out = Vec::new();
    for ((selector, name), lk) in selectors.into_iter().zip(&names).zip(&answers) {
        let query = QueryInfo::new(name, RecordType::Txt, lk);
        let record = txt_strings(lk).into_iter().next();
        let mut s = DkimSelector {
            selector,
            query,
            record: record.clone(),
            key_type: None,
            bits: None,
            usable: false,
            problems: Vec::new(),
        };
        if s.query.answer.is_error() {
            issues.push(DkimIssue::Dns {
                name: name.clone(),
                answer: s.query.answer,
            });
        }
        if let Some(text) = &record {
            match dkim::parse(text) {
                Ok(p) => {
                    s.key_type = Some(p.key.key_type.to_string());
                    s.bits = p.key.bits();
                    s.usable = p.usable();
                    for problem in &p.problems {
                        s.problems.push(problem.to_string());
                        if problem.severity() == Severity::Invalid {
                            issues.push(DkimIssue::UnusableKey {
                                selector: s.selector.clone(),
                                problem: problem.to_string(),
                            });
                        }
                    }
                }
                Err(e) => {
                    s.problems.push(e.to_string());
                    issues.push(DkimIssue::UnusableKey {
                        selector: s.selector.clone(),
                        problem: e.to_string(),
                    });
                }
            }
        } else if selectors_given && !s.query.answer.is_error() {
            issues.push(DkimIssue::SelectorMissing {
                selector: s.selector.clone(),
                answer: s.query.answer,
            });
        }
        out.push(s);
    }
    let found = out.iter().any(|s| s.record.is_some());
    if !found && domainkey.answer == AnswerKind::Nxdomain {
        // RFC 8020: nothing exists below an NXDOMAIN name, whatever the selector.
        issues.retain(|i| !matches!(i, DkimIssue::SelectorMissing { .. }));
        issues.push(DkimIssue::NoDkim);
    } else if !found && !selectors_given {
        notes.push(format!(
            "none of the common selectors has a key, but {node_name} exists ({}): the domain's selectors have other names (give them with --selector)",
            domainkey.answer.as_str()
        ));
    }
    DkimSection {
        selectors_given,
        domainkey,
        selectors: out,
        issues,
        notes,
    }
}

// ---- MTA-STS, TLS-RPT ------------------------------------------------------------------------

async fn txt_section<R: Resolver>(
    dns: &R,
    name: &str,
    version: &str,
    parse: impl Fn(&str) -> Result<Vec<String>, String>,
) -> TxtSection {
    let lk = dns.lookup(name, RecordType::Txt).await;
    let query = QueryInfo::new(name, RecordType::Txt, &lk);
    let records: Vec<String> = txt_strings(&lk)
        .into_iter()
        .filter(|t| {
            t.trim_start()
                .get(..version.len())
                .is_some_and(|v| v.eq_ignore_ascii_case(version))
        })
        .collect();
    let mut issues = Vec::new();
    let mut notes = Vec::new();
    let mut valid = false;
    if query.answer.is_error() {
        issues.push(TxtIssue::Dns {
            answer: query.answer,
        });
    } else if records.len() > 1 {
        issues.push(TxtIssue::MultipleRecords {
            count: records.len(),
        });
    } else if let [one] = records.as_slice() {
        match parse(one) {
            Ok(warnings) => {
                valid = true;
                notes = warnings;
            }
            Err(error) => issues.push(TxtIssue::Invalid {
                record: one.clone(),
                error,
            }),
        }
    }
    TxtSection {
        query,
        records,
        valid,
        issues,
        notes,
    }
}

// ---- evidence --------------------------------------------------------------------------------

impl DomainReport {
    /// One piece of evidence per problem, in section order (MX and the mail hosts' reverse
    /// DNS, SPF, DMARC, DKIM, MTA-STS, TLS-RPT, the sending IP's reverse DNS and blocklists),
    /// each a plain sentence naming the facts, prefixed `dns check:`.
    pub fn evidence(&self) -> Vec<Evidence> {
        let d = &self.domain;
        let mut evidence = self.mx.evidence();
        evidence.extend(self.mx_rdns.iter().flat_map(rdns::RdnsReport::evidence));
        let mut out: Vec<String> = Vec::new();
        for i in &self.spf.issues {
            out.push(spf_text(d, &self.spf, i));
        }
        for i in &self.dmarc.issues {
            out.push(dmarc_text(d, i));
        }
        for i in &self.dkim.issues {
            out.push(dkim_text(d, i));
        }
        for (what, name, s) in [
            ("MTA-STS", "_mta-sts", &self.mta_sts),
            ("TLS-RPT", "_smtp._tls", &self.tls_rpt),
        ] {
            for i in &s.issues {
                out.push(txt_text(d, what, name, i));
            }
        }
        evidence.extend(out.iter().map(|t| dns_evidence(None, t)));
        evidence.extend(self.mta_sts_policy.iter().flat_map(FetchReport::evidence));
        evidence.extend(self.dane.evidence());
        evidence.extend(self.ip_rdns.iter().flat_map(rdns::RdnsReport::evidence));
        evidence.extend(dnsbl::evidence(&self.dnsbl));
        evidence
    }
}

fn spf_text(d: &str, s: &SpfSection, i: &SpfIssue) -> String {
    match i {
        SpfIssue::NoRecord { answer } => format!(
            "the domain {d} has no SPF record ({}); receivers get SPF none for its mail",
            match answer {
                AnswerKind::Records => "its TXT records hold no v=spf1 record".to_string(),
                a => format!("TXT query: {}", a.as_str()),
            }
        ),
        SpfIssue::MultipleRecords { count } => format!(
            "the domain {d} publishes {count} SPF records ({}); more than one SPF record is a permerror",
            s.records.join(" | ")
        ),
        SpfIssue::Syntax {
            domain,
            record,
            errors,
        } => {
            let list: Vec<String> = errors
                .iter()
                .map(|e| format!("{} at byte {}", e.error, e.position))
                .collect();
            format!(
                "the SPF record of {domain} has a syntax error: {} (record: {}); SPF permerror",
                list.join("; "),
                record.as_deref().unwrap_or("?")
            )
        }
        SpfIssue::TooManyLookups { count, limit } => format!(
            "the SPF record of {d} needs {count} DNS lookups, over the limit of {limit} (RFC 7208 4.6.4); SPF permerror"
        ),
        SpfIssue::TooManyVoidLookups { count, limit } => format!(
            "the SPF record of {d} makes {count} void lookups (NXDOMAIN or no records), over the limit of {limit} (RFC 7208 4.6.4); SPF permerror"
        ),
        SpfIssue::TooManyMx { domain, count } => format!(
            "an mx term of the SPF record of {d} names {domain}, which has {count} exchangers, over the limit of 10; SPF permerror"
        ),
        SpfIssue::Loop { domain } => format!(
            "the SPF record of {d} includes itself: include or redirect loop back to {domain}; SPF permerror"
        ),
        SpfIssue::TargetWithoutRecord { domain } => format!(
            "the SPF record of {d} includes or redirects to {domain}, which has no SPF record; SPF permerror"
        ),
        SpfIssue::Dns {
            name,
            rtype,
            answer,
        } => format!(
            "the SPF record of {d} cannot be evaluated: the DNS query {name} {rtype} got {}; SPF temperror",
            answer.as_str()
        ),
        SpfIssue::InvalidDomain => format!(
            "{d} is not a valid domain name to check SPF for"
        ),
        SpfIssue::PlusAll { domain } => format!(
            "the SPF record of {domain} ends in +all: it authorises every IP address to send as the domain"
        ),
        SpfIssue::IpNotAuthorised { ip, result, term } => format!(
            "the SPF record of {d} does not authorise the sending IP {ip}: SPF {result}{}",
            term.as_ref().map(|t| format!(" (matched {t})")).unwrap_or_default()
        ),
    }
}

fn dmarc_text(d: &str, i: &DmarcIssue) -> String {
    match i {
        DmarcIssue::NoRecord { answer } => format!(
            "the domain {d} has no DMARC record (_dmarc.{d} TXT: {}), nor has its organisational domain",
            answer.as_str()
        ),
        DmarcIssue::Invalid { record, error } => format!(
            "the DMARC record of {d} is invalid: {error} (record: {record}); receivers ignore it"
        ),
        DmarcIssue::MultipleRecords { count } => format!(
            "the domain {d} publishes {count} DMARC records at _dmarc.{d}; receivers ignore them all"
        ),
        DmarcIssue::Dns { name, answer } => format!(
            "the DMARC record of {d} cannot be read: the DNS query {name} TXT got {}",
            answer.as_str()
        ),
        DmarcIssue::UnauthorisedDestination {
            list,
            host,
            authorization_name,
            answer,
        } => format!(
            "the DMARC {list} report destination {host} is outside {d} and has not authorised it: no v=DMARC1 record at {authorization_name} ({}); those DMARC reports are not sent",
            answer.as_str()
        ),
        DmarcIssue::EnforcedWithoutAuthentication {
            policy,
            policy_domain,
        } => format!(
            "the DMARC policy of {policy_domain} is {policy}, and {d} has neither an SPF record nor DKIM keys: its own mail fails DMARC and is refused"
        ),
    }
}

fn dkim_text(d: &str, i: &DkimIssue) -> String {
    match i {
        DkimIssue::NoDkim => format!(
            "the domain {d} has no DKIM keys at all: _domainkey.{d} is NXDOMAIN (RFC 8020), so no selector exists; its mail is not DKIM signed"
        ),
        DkimIssue::SelectorMissing { selector, answer } => format!(
            "the DKIM selector {selector} of {d} has no key record ({selector}._domainkey.{d} TXT: {}); signatures with it fail",
            answer.as_str()
        ),
        DkimIssue::UnusableKey { selector, problem } => format!(
            "the DKIM key record of selector {selector} of {d} is unusable: {problem}"
        ),
        DkimIssue::Dns { name, answer } => format!(
            "the DKIM key record {name} cannot be read: the DNS query got {}",
            answer.as_str()
        ),
    }
}

fn txt_text(d: &str, what: &str, name: &str, i: &TxtIssue) -> String {
    match i {
        TxtIssue::Invalid { record, error } => format!(
            "the {what} record of {d} ({name}.{d}) is invalid: {error} (record: {record}); senders ignore it"
        ),
        TxtIssue::MultipleRecords { count } => format!(
            "the domain {d} publishes {count} {what} records at {name}.{d}; senders ignore them all"
        ),
        TxtIssue::Dns { answer } => format!(
            "the {what} record of {d} cannot be read: the DNS query {name}.{d} TXT got {}",
            answer.as_str()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::Zone;

    fn zone() -> Zone {
        Zone::from_zone_file(
            "$ORIGIN example.com.\n\
@ TXT \"v=spf1 ip4:192.0.2.0/24 include:_spf.example.com -all\"\n\
_spf TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n\
_dmarc TXT \"v=DMARC1; p=reject; rua=mailto:d@example.com,mailto:r@example.net\"\n\
default._domainkey TXT \"v=DKIM1; k=rsa; p=\"\n\
_mta-sts TXT \"v=STSv1; id=\"\n\
_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:t@example.com\"\n\
bare TXT \"v=spf1 ip4:192.0.2.1 ip4:192.0.2.2 ip4:192.0.2.3/33 -all\"\n\
bare MX 10 mx.example.com.\n",
            "",
        )
        .unwrap()
    }

    fn run(domain: &str, options: &CheckOptions) -> DomainReport {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(check_domain(&zone(), domain, options))
    }

    #[test]
    fn every_section_reads_the_records_and_names_their_problems() {
        let r = run(
            "Example.COM.",
            &CheckOptions {
                ip: "198.51.100.7".parse().ok(),
                ..CheckOptions::default()
            },
        );
        assert_eq!(r.domain, "example.com");
        assert_eq!(r.spf.records.len(), 1);
        assert_eq!(r.spf.lookups, 1);
        assert_eq!(r.spf.tree.children[0].domain, "_spf.example.com");
        let ip = r.spf.ip_check.as_ref().unwrap();
        assert_eq!(ip.result, "pass");
        assert_eq!(ip.matched.last().unwrap().term, "ip4:198.51.100.0/24");
        assert!(r.spf.issues.is_empty(), "{:?}", r.spf.issues);
        assert_eq!(r.dmarc.policy.as_deref(), Some("reject"));
        assert!(r.dmarc.issues.iter().any(|i| matches!(
            i,
            DmarcIssue::UnauthorisedDestination { host, .. } if host == "example.net"
        )));
        assert!(r.dkim.issues.iter().any(
            |i| matches!(i, DkimIssue::UnusableKey { selector, .. } if selector == "default")
        ));
        assert!(!r.mta_sts.valid);
        assert!(matches!(r.mta_sts.issues[0], TxtIssue::Invalid { .. }));
        assert!(r.tls_rpt.valid);
        let ev = r.evidence();
        // The zone has no MX and no address for example.com, nor a PTR for the sending IP: the
        // mx module says so first, the rdns module last.
        let mx = r.mx.evidence().len();
        let rdns = r.ip_rdns.as_ref().map_or(0, |x| x.evidence().len());
        assert!(mx > 0 && rdns > 0);
        assert_eq!(ev.len(), mx + 3 + rdns, "{ev:?}");
        assert!(ev.iter().all(
            |e| e.source == smtp_doctor_model::Source::Dns && e.text.starts_with("dns check: ")
        ));
        assert!(ev[mx..mx + 3]
            .iter()
            .all(|e| e.text.contains("example.com")));
    }

    #[test]
    fn dane_problems_are_findings_and_its_advice_notes() {
        let mut z = zone();
        for (host, usage) in [("mx1.example.com", 3u8), ("mx2.example.com", 1)] {
            z.add(
                "bare.example.com",
                crate::dns::Rdata::Mx(crate::dns::Mx {
                    preference: u16::from(usage),
                    exchange: host.into(),
                }),
            );
            z.add(
                &dane::tlsa_name(host, 25),
                crate::dns::Rdata::Tlsa(crate::dns::Tlsa {
                    usage,
                    selector: 1,
                    matching: 1,
                    data: vec![0; 32],
                }),
            );
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let r = rt.block_on(check_domain(
            &z,
            "bare.example.com",
            &CheckOptions::default(),
        ));
        assert_eq!(r.dane.dnssec, DnssecState::NotValidated);
        assert_eq!(r.dane.hosts.len(), 3, "{:?}", r.dane.hosts);
        // mx.example.com (the zone's own MX): no TLSA, nothing. mx1: a usable 3 1 1, not
        // validated and single: two notes, no finding. mx2: PKIX-EE, unusable: two findings (the
        // record, and no usable record) beside its not-validated note.
        assert_eq!(r.dane.notes.len(), 3, "{:?}", r.dane.notes);
        assert!(r.dane.notes.iter().all(|n| !n.starts_with("dns check:")));
        assert_eq!(r.dane.problems(), 2);
        let ev: Vec<String> = r.evidence().into_iter().map(|e| e.text).collect();
        let tlsa: Vec<&String> = ev.iter().filter(|t| t.contains("TLSA")).collect();
        assert_eq!(tlsa.len(), 2, "{ev:?}");
        assert!(tlsa.iter().all(|t| t.contains("_25._tcp.mx2.example.com")));
        assert!(!ev.iter().any(|t| t.contains("DNSSEC-validated")), "{ev:?}");
        // The `_mta-sts` record of example.com does not parse: senders would not fetch, nor do we.
        assert!(r.mta_sts_policy.is_none());
    }

    #[test]
    fn dnssec_states_of_the_mx_and_tlsa_rrsets() {
        let mut z = zone();
        z.add(
            "signed.example.com",
            crate::dns::Rdata::Mx(crate::dns::Mx {
                preference: 10,
                exchange: "mx1.example.com".into(),
            }),
        );
        let tlsa = dane::tlsa_name("mx1.example.com", 25);
        for data in [[1u8; 32], [2; 32]] {
            z.add(
                &tlsa,
                crate::dns::Rdata::Tlsa(crate::dns::Tlsa {
                    usage: 3,
                    selector: 1,
                    matching: 1,
                    data: data.to_vec(),
                }),
            );
        }
        z.set_dnssec(&tlsa, RecordType::Tlsa, DnssecState::Secure);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let check = |z: &crate::dns::Zone| {
            rt.block_on(check_domain(
                z,
                "signed.example.com",
                &CheckOptions::default(),
            ))
        };
        // Secure TLSA records (two: no rollover advice) from an MX answer that is not validated.
        let r = check(&z);
        assert_eq!(r.dane.hosts[0].dnssec, DnssecState::Secure);
        assert!(r.dane.hosts[0].problems.is_empty(), "{:?}", r.dane.hosts);
        assert_eq!(r.dane.problems(), 0);
        assert_eq!(r.dane.notes.len(), 1, "{:?}", r.dane.notes);
        assert!(r.dane.notes[0]
            .contains("MX records of signed.example.com are not DNSSEC-secure (not validated)"));
        z.set_dnssec("signed.example.com", RecordType::Mx, DnssecState::Secure);
        let r = check(&z);
        assert_eq!(r.dane.dnssec, DnssecState::Secure);
        assert!(r.dane.notes.is_empty(), "{:?}", r.dane.notes);
        assert!(!r.evidence().iter().any(|e| e.text.contains("DNSSEC")));
        // A bogus MX RRset and bogus TLSA records are findings.
        z.set_dnssec("signed.example.com", RecordType::Mx, DnssecState::Bogus);
        z.set_dnssec(&tlsa, RecordType::Tlsa, DnssecState::Bogus);
        let r = check(&z);
        assert_eq!(r.dane.problems(), 2);
        let ev: Vec<String> = r.evidence().into_iter().map(|e| e.text).collect();
        let bogus: Vec<&String> = ev.iter().filter(|t| t.contains("(bogus)")).collect();
        assert_eq!(bogus.len(), 2, "{ev:?}");
        assert!(bogus[0].starts_with(
            "dns check: the MX records of signed.example.com failed DNSSEC validation"
        ));
        assert!(bogus[1]
            .starts_with("dns check: the TLSA records at _25._tcp.mx1.example.com (2) failed"));
    }

    #[test]
    fn an_authorised_report_destination_is_no_problem() {
        let mut z = zone();
        z.add(
            "example.com._report._dmarc.example.net",
            crate::dns::Rdata::Txt(vec![b"v=DMARC1".to_vec()]),
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let r = rt.block_on(check_domain(&z, "example.com", &CheckOptions::default()));
        assert!(
            !r.dmarc
                .issues
                .iter()
                .any(|i| matches!(i, DmarcIssue::UnauthorisedDestination { .. })),
            "{:?}",
            r.dmarc.issues
        );
        assert_eq!(r.dmarc.rua.len(), 2);
    }

    #[test]
    fn missing_records_and_the_rfc_8020_trick() {
        let r = run("bare.example.com", &CheckOptions::default());
        // The syntax error keeps its position (the prefix length of the third ip4).
        assert!(r.spf.issues.iter().any(|i| matches!(
            i,
            SpfIssue::Syntax { errors, .. } if errors.iter().any(|e| e.position == 48)
        )));
        // No own DMARC: the parent's applies; _domainkey.bare.example.com is NXDOMAIN.
        assert_eq!(r.dmarc.policy_domain.as_deref(), Some("example.com"));
        assert!(r.dkim.issues.contains(&DkimIssue::NoDkim));
        assert!(r.mta_sts.issues.is_empty() && !r.mta_sts.valid);
        let given = run(
            "example.com",
            &CheckOptions {
                selectors: vec!["s9".into()],
                ..CheckOptions::default()
            },
        );
        assert!(given
            .dkim
            .issues
            .iter()
            .any(|i| matches!(i, DkimIssue::SelectorMissing { selector, .. } if selector == "s9")));
        let none = run("nothing.example.org", &CheckOptions::default());
        assert!(matches!(
            none.spf.issues[0],
            SpfIssue::NoRecord {
                answer: AnswerKind::Nxdomain
            }
        ));
        assert!(matches!(none.dmarc.issues[0], DmarcIssue::NoRecord { .. }));
    }
}
