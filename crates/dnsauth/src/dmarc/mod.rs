//! DMARC policy records (RFC 9989, which obsoletes RFC 7489): the typed record, the errors that
//! make it unusable, the warnings about what it tolerated, and where RFC 7489 readers see it
//! differently. [`org`] finds the organisational domain both ways.

pub mod org;

use crate::taglist::{self, TagListError, MAX_RECORD_BYTES};
use crate::uri::{parse_report_uri, ReportUri, UriProblem};
use std::fmt;
use thiserror::Error;

/// A DMARC policy: what a receiver should do with mail that fails DMARC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// `none`: monitor only.
    None,
    /// `quarantine`: treat as suspicious.
    Quarantine,
    /// `reject`: refuse the mail.
    Reject,
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::Quarantine => "quarantine",
            Self::Reject => "reject",
        })
    }
}

/// Identifier alignment mode (`adkim=`, `aspf=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alignment {
    /// `r`: the organisational domains must match.
    Relaxed,
    /// `s`: the domains must be identical.
    Strict,
}

impl fmt::Display for Alignment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Relaxed => "r",
            Self::Strict => "s",
        })
    }
}

/// The `psd=` flag (RFC 9989): whether the domain is a public suffix domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PsdFlag {
    /// `y`: a public suffix domain; the organisational domain is one label below.
    Yes,
    /// `n`: this domain is an organisational domain.
    No,
    /// `u` (the default): not said.
    Unknown,
}

impl fmt::Display for PsdFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Yes => "y",
            Self::No => "n",
            Self::Unknown => "u",
        })
    }
}

/// One failure-reporting option of `fo=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureOption {
    /// `0`: report when all mechanisms fail.
    AllFail,
    /// `1`: report when any mechanism fails.
    AnyFail,
    /// `d`: report DKIM failures.
    Dkim,
    /// `s`: report SPF failures.
    Spf,
}

impl fmt::Display for FailureOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AllFail => "0",
            Self::AnyFail => "1",
            Self::Dkim => "d",
            Self::Spf => "s",
        })
    }
}

/// Which report list a URI is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportList {
    /// `rua=`: aggregate reports.
    Aggregate,
    /// `ruf=`: failure reports.
    Failure,
}

impl fmt::Display for ReportList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Aggregate => "rua",
            Self::Failure => "ruf",
        })
    }
}

/// A tag the record parser knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmarcTag {
    /// `v=`
    V,
    /// `p=`
    P,
    /// `sp=`
    Sp,
    /// `np=`
    Np,
    /// `pct=` (RFC 7489 only)
    Pct,
    /// `rua=`
    Rua,
    /// `ruf=`
    Ruf,
    /// `adkim=`
    Adkim,
    /// `aspf=`
    Aspf,
    /// `fo=`
    Fo,
    /// `rf=` (RFC 7489 only)
    Rf,
    /// `ri=` (RFC 7489 only)
    Ri,
    /// `t=` (RFC 9989)
    T,
    /// `psd=` (RFC 9989)
    Psd,
}

impl DmarcTag {
    /// The tag for a name (case-insensitive), if it is one of DMARC's.
    pub fn from_name(name: &str) -> Option<Self> {
        const ALL: [(&str, DmarcTag); 14] = [
            ("v", DmarcTag::V),
            ("p", DmarcTag::P),
            ("sp", DmarcTag::Sp),
            ("np", DmarcTag::Np),
            ("pct", DmarcTag::Pct),
            ("rua", DmarcTag::Rua),
            ("ruf", DmarcTag::Ruf),
            ("adkim", DmarcTag::Adkim),
            ("aspf", DmarcTag::Aspf),
            ("fo", DmarcTag::Fo),
            ("rf", DmarcTag::Rf),
            ("ri", DmarcTag::Ri),
            ("t", DmarcTag::T),
            ("psd", DmarcTag::Psd),
        ];
        ALL.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, t)| t)
    }

    /// The tag's name as the RFC writes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::V => "v",
            Self::P => "p",
            Self::Sp => "sp",
            Self::Np => "np",
            Self::Pct => "pct",
            Self::Rua => "rua",
            Self::Ruf => "ruf",
            Self::Adkim => "adkim",
            Self::Aspf => "aspf",
            Self::Fo => "fo",
            Self::Rf => "rf",
            Self::Ri => "ri",
            Self::T => "t",
            Self::Psd => "psd",
        }
    }
}

impl fmt::Display for DmarcTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The unit of a report URI's `!size` limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeUnit {
    /// No unit: bytes.
    Bytes,
    /// `k`
    Kilo,
    /// `m`
    Mega,
    /// `g`
    Giga,
    /// `t`
    Tera,
}

/// A report URI's `!size` suffix (RFC 7489; RFC 9989 reporters ignore it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeLimit {
    /// The number written.
    pub amount: u64,
    /// Its unit.
    pub unit: SizeUnit,
}

impl fmt::Display for SizeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            SizeUnit::Bytes => "",
            SizeUnit::Kilo => "k",
            SizeUnit::Mega => "m",
            SizeUnit::Giga => "g",
            SizeUnit::Tera => "t",
        };
        write!(f, "{}{unit}", self.amount)
    }
}

/// A `rua=`/`ruf=` destination and its optional size limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcUri {
    /// The URI without its `!size` suffix.
    pub uri: ReportUri,
    /// The `!size` suffix, if written.
    pub size_limit: Option<SizeLimit>,
}

/// A parsed DMARC record, tags as written and the RFC 9989 defaults through its methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcRecord {
    /// `p=`, if written (RFC 9989 reads a missing one as `none`).
    pub policy: Option<Policy>,
    /// `sp=`, if written.
    pub subdomain_policy: Option<Policy>,
    /// `np=`, if written.
    pub nonexistent_policy: Option<Policy>,
    /// `adkim=` (invalid values fall back to relaxed, as RFC 9989 says).
    pub adkim: Alignment,
    /// `aspf=` (invalid values fall back to relaxed).
    pub aspf: Alignment,
    /// `fo=`, in the order written (default `0`).
    pub failure_options: Vec<FailureOption>,
    /// `rua=` destinations.
    pub rua: Vec<DmarcUri>,
    /// `ruf=` destinations.
    pub ruf: Vec<DmarcUri>,
    /// `psd=`.
    pub psd: PsdFlag,
    /// `t=y`: testing mode (RFC 9989's replacement of `pct=`).
    pub testing: bool,
    /// `pct=` as written (RFC 7489 only), when it is a number.
    pub pct: Option<u64>,
}

impl DmarcRecord {
    /// The policy in force: `p=`, or `none` when missing.
    pub fn effective_policy(&self) -> Policy {
        self.policy.unwrap_or(Policy::None)
    }

    /// The subdomain policy: `sp=`, else the policy.
    pub fn effective_subdomain_policy(&self) -> Policy {
        self.subdomain_policy
            .unwrap_or_else(|| self.effective_policy())
    }

    /// The policy for non-existent subdomains: `np=`, else the subdomain policy.
    pub fn effective_nonexistent_policy(&self) -> Policy {
        self.nonexistent_policy
            .unwrap_or_else(|| self.effective_subdomain_policy())
    }

    /// The `fo=` options joined as written (`0`, `1:d:s`).
    pub fn failure_options_text(&self) -> String {
        let parts: Vec<String> = self
            .failure_options
            .iter()
            .map(ToString::to_string)
            .collect();
        parts.join(":")
    }
}

/// How RFC 7489 readers see a tag that RFC 9989 removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rfc7489View {
    /// The value is valid under RFC 7489.
    Valid,
    /// RFC 7489 readers reject the record for this value.
    Invalid,
}

/// Why a DMARC record cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DmarcError {
    /// The record is longer than any TXT record can be.
    #[error("the record is {len} bytes, more than a TXT record can hold")]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// An SPF record was found where the DMARC record should be.
    #[error("an SPF record stands where the DMARC record should be (the _dmarc name probably does not exist and a wildcard or redirect answered)")]
    SpfRecord,
    /// The record does not start with `v=DMARC1`.
    #[error("the record does not start with v=DMARC1")]
    MissingVersion,
    /// The tag list does not parse.
    #[error("syntax error: {0}")]
    Syntax(TagListError),
    /// A tag appears twice.
    #[error("the {name} tag appears more than once")]
    DuplicateTag {
        /// The tag's name, lower-cased.
        name: String,
    },
    /// A tag has a value it may not have.
    #[error("{tag}={value} is not a valid value ({expected})")]
    InvalidValue {
        /// The tag.
        tag: DmarcTag,
        /// The value written.
        value: String,
        /// What the value may be.
        expected: &'static str,
    },
    /// A report URI is not usable.
    #[error("the {list} URI {uri} is not a valid DMARC report URI: {problem}")]
    InvalidUri {
        /// The list it is in.
        list: ReportList,
        /// The URI as written.
        uri: String,
        /// What is wrong with it.
        problem: UriProblem,
    },
}

/// Something a DMARC record tolerated or should change.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DmarcWarning {
    /// No `p=`.
    #[error("no p= tag: RFC 9989 reads it as p=none, RFC 7489 receivers ignore the whole record")]
    MissingPolicy,
    /// `p=` is not the second tag.
    #[error("p= is not the second tag: RFC 9989 allows any order, RFC 7489 and some older receivers require p right after v")]
    PolicyNotSecond,
    /// `p=none`.
    #[error("p=none: DMARC is not enforced, failing mail is delivered as usual")]
    PolicyNone,
    /// `sp=none` under a stricter `p=`.
    #[error("sp=none: DMARC is not enforced on mail from subdomains")]
    SubdomainPolicyNone,
    /// No `rua=`.
    #[error("no rua= tag: nobody receives aggregate reports, so failures go unseen")]
    NoAggregateReports,
    /// More than two `rua=` destinations.
    #[error("{count} rua= destinations: some reporters send to two at most")]
    ManyAggregateUris {
        /// How many there are.
        count: usize,
    },
    /// `pct=`, `rf=` or `ri=`, which RFC 9989 removed.
    #[error("{tag}={value} was removed by RFC 9989 and is ignored there; {}", match .rfc7489 {
        Rfc7489View::Valid => "RFC 7489 receivers still read it",
        Rfc7489View::Invalid => "invalid under RFC 7489, tolerated by RFC 9989 receivers",
    })]
    RemovedTag {
        /// The tag.
        tag: DmarcTag,
        /// The value written.
        value: String,
        /// Whether RFC 7489 readers accept the value.
        rfc7489: Rfc7489View,
    },
    /// `pct=` under 100: RFC 7489 receivers apply the policy to part of the failing mail only.
    #[error("pct={pct}: RFC 7489 receivers apply the policy to only {pct}% of failing mail (RFC 9989 ignores pct; use t=y for testing)")]
    PartialPercentage {
        /// The percentage.
        pct: u64,
    },
    /// An invalid `adkim=`/`aspf=` value, replaced by `r`.
    #[error("{tag}={value} is not r or s: RFC 9989 receivers use r instead, RFC 7489 receivers reject the record")]
    InvalidAlignment {
        /// `adkim` or `aspf`.
        tag: DmarcTag,
        /// The value written.
        value: String,
    },
    /// `fo=` with both `0` and `1`, replaced by `0`.
    #[error("fo={value} has both 0 and 1, which exclude each other; fo=0 is used")]
    ConflictingFailureOptions {
        /// The value written.
        value: String,
    },
    /// A tag DMARC does not define (ignored).
    #[error("unknown tag {name}= is ignored")]
    UnknownTag {
        /// The name written.
        name: String,
    },
    /// A report URI other than `mailto:`, which receivers need not support.
    #[error("the {list} URI {uri} uses {scheme}:, valid but most receivers only send to mailto:")]
    NonMailtoUri {
        /// The list it is in.
        list: ReportList,
        /// The URI.
        uri: String,
        /// Its scheme.
        scheme: String,
    },
    /// A `!size` limit, which RFC 9989 reporters ignore.
    #[error("the {list} URI {uri} has a size limit !{limit}: RFC 9989 reporters ignore it, older ones may send incomplete reports")]
    SizeLimit {
        /// The list it is in.
        list: ReportList,
        /// The URI without the limit.
        uri: String,
        /// The limit.
        limit: SizeLimit,
    },
    /// Reports go to another organisation, which must publish an authorisation record.
    #[error("the {list} destination {host} is outside {domain}: it receives reports only if {authorization_name} has a TXT record v=DMARC1")]
    ExternalDestination {
        /// The list it is in.
        list: ReportList,
        /// The policy domain.
        domain: String,
        /// The destination host.
        host: String,
        /// The name of the authorisation record (RFC 7489 section 7.1).
        authorization_name: String,
    },
    /// A parked domain (no mail) should reject everything.
    #[error("{domain} sends no mail: p= should be reject (it is {policy})")]
    ParkedPolicyNotReject {
        /// The domain.
        domain: String,
        /// The policy in force.
        policy: Policy,
    },
    /// A parked domain's subdomains should reject everything too.
    #[error("{domain} sends no mail: sp= should be reject (it is {policy})")]
    ParkedSubdomainPolicyNotReject {
        /// The domain.
        domain: String,
        /// The subdomain policy in force.
        policy: Policy,
    },
}

impl DmarcWarning {
    /// True when RFC 7489 receivers reject the record for this (RFC 9989 ones tolerate it).
    pub fn invalid_under_rfc7489(&self) -> bool {
        matches!(
            self,
            Self::MissingPolicy
                | Self::InvalidAlignment { .. }
                | Self::RemovedTag {
                    rfc7489: Rfc7489View::Invalid,
                    ..
                }
        )
    }
}

/// A record that parsed, and its warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDmarc {
    /// The record.
    pub record: DmarcRecord,
    /// What it tolerated or should change, in the order found.
    pub warnings: Vec<DmarcWarning>,
}

/// True when a TXT record is a DMARC record for discovery purposes (starts with `v=DMARC1`).
pub fn is_dmarc(text: &str) -> bool {
    first_tag_is_version(text.trim_start())
}

fn first_tag_is_version(text: &str) -> bool {
    let first = text.split(';').next().unwrap_or_default();
    first.split_once('=').is_some_and(|(name, value)| {
        name.trim().eq_ignore_ascii_case("v") && value.trim() == "DMARC1"
    })
}

fn policy_value(tag: DmarcTag, value: &str) -> Result<Policy, DmarcError> {
    match value.to_ascii_lowercase().as_str() {
        "none" => Ok(Policy::None),
        "quarantine" => Ok(Policy::Quarantine),
        "reject" => Ok(Policy::Reject),
        _ => Err(invalid(tag, value, "none, quarantine or reject")),
    }
}

fn invalid(tag: DmarcTag, value: &str, expected: &'static str) -> DmarcError {
    DmarcError::InvalidValue {
        tag,
        value: value.to_string(),
        expected,
    }
}

fn parse_size(text: &str) -> Option<SizeLimit> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = match text[digits.len()..].to_ascii_lowercase().as_str() {
        "" => SizeUnit::Bytes,
        "k" => SizeUnit::Kilo,
        "m" => SizeUnit::Mega,
        "g" => SizeUnit::Giga,
        "t" => SizeUnit::Tera,
        _ => return None,
    };
    let amount = digits
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| digits.parse().ok())??;
    Some(SizeLimit { amount, unit })
}

fn parse_uris(list: ReportList, value: &str) -> Result<Vec<DmarcUri>, DmarcError> {
    value
        .split(',')
        .map(str::trim)
        .map(|text| {
            let bad = |problem| DmarcError::InvalidUri {
                list,
                uri: text.to_string(),
                problem,
            };
            let (uri, size_limit) = match text.rsplit_once('!') {
                Some((uri, size)) => (
                    uri,
                    Some(parse_size(size).ok_or(bad(UriProblem::BadSizeLimit))?),
                ),
                None => (text, None),
            };
            let uri = parse_report_uri(uri).map_err(bad)?;
            Ok(DmarcUri { uri, size_limit })
        })
        .collect()
}

fn parse_failure_options(
    value: &str,
    warnings: &mut Vec<DmarcWarning>,
) -> Result<Vec<FailureOption>, DmarcError> {
    let mut options = Vec::new();
    for part in value.split(':').map(str::trim) {
        options.push(match part.to_ascii_lowercase().as_str() {
            "0" => FailureOption::AllFail,
            "1" => FailureOption::AnyFail,
            "d" => FailureOption::Dkim,
            "s" => FailureOption::Spf,
            _ => return Err(invalid(DmarcTag::Fo, value, "0, 1, d or s, joined by ':'")),
        });
    }
    if options.contains(&FailureOption::AllFail) && options.contains(&FailureOption::AnyFail) {
        warnings.push(DmarcWarning::ConflictingFailureOptions {
            value: value.to_string(),
        });
        return Ok(vec![FailureOption::AllFail]);
    }
    Ok(options)
}

fn removed_tag(tag: DmarcTag, value: &str, warnings: &mut Vec<DmarcWarning>) -> Option<u64> {
    let number: Option<u64> = value
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| value.parse().ok())
        .flatten();
    let valid = match tag {
        DmarcTag::Pct => number.is_some_and(|n| n <= 100),
        DmarcTag::Ri => number.is_some_and(|n| n <= u64::from(u32::MAX)),
        _ => value
            .split(':')
            .all(|f| f.trim().eq_ignore_ascii_case("afrf")),
    };
    warnings.push(DmarcWarning::RemovedTag {
        tag,
        value: value.to_string(),
        rfc7489: if valid {
            Rfc7489View::Valid
        } else {
            Rfc7489View::Invalid
        },
    });
    if tag == DmarcTag::Pct && valid {
        if let Some(pct) = number.filter(|&n| n < 100) {
            warnings.push(DmarcWarning::PartialPercentage { pct });
        }
    }
    number.filter(|_| tag == DmarcTag::Pct)
}

/// Parses a DMARC TXT record (its character-strings joined): the record and its warnings, or why
/// it cannot be used. Checks that need the policy domain are in [`external_destinations`] and
/// [`parked_domain_warnings`].
pub fn parse(text: &str) -> Result<ParsedDmarc, DmarcError> {
    if text.len() > MAX_RECORD_BYTES {
        return Err(DmarcError::TooLong { len: text.len() });
    }
    if taglist::is_spf(text) {
        return Err(DmarcError::SpfRecord);
    }
    if !is_dmarc(text) {
        return Err(DmarcError::MissingVersion);
    }
    let tags = taglist::parse_lenient(text).map_err(DmarcError::Syntax)?;
    let mut record = DmarcRecord {
        policy: None,
        subdomain_policy: None,
        nonexistent_policy: None,
        adkim: Alignment::Relaxed,
        aspf: Alignment::Relaxed,
        failure_options: vec![FailureOption::AllFail],
        rua: Vec::new(),
        ruf: Vec::new(),
        psd: PsdFlag::Unknown,
        testing: false,
        pct: None,
    };
    let mut warnings = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (index, tag) in tags.iter().enumerate().skip(1) {
        let lower = tag.name.to_ascii_lowercase();
        if lower == "v" || !seen.insert(lower.clone()) {
            return Err(DmarcError::DuplicateTag { name: lower });
        }
        let Some(known) = DmarcTag::from_name(tag.name) else {
            warnings.push(DmarcWarning::UnknownTag {
                name: tag.name.to_string(),
            });
            continue;
        };
        let value = tag.value;
        match known {
            DmarcTag::V => {}
            DmarcTag::P => {
                record.policy = Some(policy_value(known, value)?);
                if index != 1 {
                    warnings.push(DmarcWarning::PolicyNotSecond);
                }
            }
            DmarcTag::Sp => record.subdomain_policy = Some(policy_value(known, value)?),
            DmarcTag::Np => record.nonexistent_policy = Some(policy_value(known, value)?),
            DmarcTag::Adkim | DmarcTag::Aspf => {
                let mode = match value.to_ascii_lowercase().as_str() {
                    "r" => Alignment::Relaxed,
                    "s" => Alignment::Strict,
                    _ => {
                        warnings.push(DmarcWarning::InvalidAlignment {
                            tag: known,
                            value: value.to_string(),
                        });
                        Alignment::Relaxed
                    }
                };
                if known == DmarcTag::Adkim {
                    record.adkim = mode;
                } else {
                    record.aspf = mode;
                }
            }
            DmarcTag::Fo => record.failure_options = parse_failure_options(value, &mut warnings)?,
            DmarcTag::Rua => record.rua = parse_uris(ReportList::Aggregate, value)?,
            DmarcTag::Ruf => record.ruf = parse_uris(ReportList::Failure, value)?,
            DmarcTag::Psd => {
                record.psd = match value.to_ascii_lowercase().as_str() {
                    "y" => PsdFlag::Yes,
                    "n" => PsdFlag::No,
                    "u" => PsdFlag::Unknown,
                    _ => return Err(invalid(known, value, "y, n or u")),
                }
            }
            DmarcTag::T => {
                record.testing = match value.to_ascii_lowercase().as_str() {
                    "y" => true,
                    "n" => false,
                    _ => return Err(invalid(known, value, "y or n")),
                }
            }
            DmarcTag::Pct | DmarcTag::Rf | DmarcTag::Ri => {
                let pct = removed_tag(known, value, &mut warnings);
                if known == DmarcTag::Pct {
                    record.pct = pct;
                }
            }
        }
    }
    if record.policy.is_none() {
        warnings.push(DmarcWarning::MissingPolicy);
    }
    if record.effective_policy() == Policy::None {
        warnings.push(DmarcWarning::PolicyNone);
    } else if record.subdomain_policy == Some(Policy::None) {
        warnings.push(DmarcWarning::SubdomainPolicyNone);
    }
    if record.rua.is_empty() {
        warnings.push(DmarcWarning::NoAggregateReports);
    } else if record.rua.len() > 2 {
        warnings.push(DmarcWarning::ManyAggregateUris {
            count: record.rua.len(),
        });
    }
    for (list, uris) in [
        (ReportList::Aggregate, &record.rua),
        (ReportList::Failure, &record.ruf),
    ] {
        for u in uris {
            if u.uri.scheme != "mailto" {
                warnings.push(DmarcWarning::NonMailtoUri {
                    list,
                    uri: u.uri.uri.clone(),
                    scheme: u.uri.scheme.clone(),
                });
            }
            if let Some(limit) = u.size_limit {
                warnings.push(DmarcWarning::SizeLimit {
                    list,
                    uri: u.uri.uri.clone(),
                    limit,
                });
            }
        }
    }
    Ok(ParsedDmarc { record, warnings })
}

/// The name whose TXT record `v=DMARC1` lets `dest_host` receive reports about `domain`
/// (RFC 7489 section 7.1, RFC 9989): `<domain>._report._dmarc.<dest_host>`.
pub fn authorization_name(domain: &str, dest_host: &str) -> String {
    format!(
        "{}._report._dmarc.{}",
        domain.trim_end_matches('.').to_ascii_lowercase(),
        dest_host.trim_end_matches('.').to_ascii_lowercase()
    )
}

/// True when the TXT records at an [`authorization_name`] authorise the destination: one of them
/// starts with `v=DMARC1`.
pub fn authorizes<S: AsRef<str>>(records: &[S]) -> bool {
    records.iter().any(|r| is_dmarc(r.as_ref()))
}

/// The `mailto:` destinations outside `domain`'s organisational domain (by the public-suffix
/// view), each naming the authorisation record it needs.
pub fn external_destinations(record: &DmarcRecord, domain: &str) -> Vec<DmarcWarning> {
    let own = org::psl_organizational_domain(domain);
    let mut out = Vec::new();
    for (list, uris) in [
        (ReportList::Aggregate, &record.rua),
        (ReportList::Failure, &record.ruf),
    ] {
        for host in uris.iter().filter_map(|u| {
            (u.uri.scheme == "mailto")
                .then_some(u.uri.host.as_deref())
                .flatten()
        }) {
            if org::psl_organizational_domain(host) != own {
                out.push(DmarcWarning::ExternalDestination {
                    list,
                    domain: domain.to_ascii_lowercase(),
                    host: host.to_string(),
                    authorization_name: authorization_name(domain, host),
                });
            }
        }
    }
    out
}

/// What a parked domain (one that sends no mail) should change: both policies `reject`.
pub fn parked_domain_warnings(record: &DmarcRecord, domain: &str) -> Vec<DmarcWarning> {
    let mut out = Vec::new();
    let policy = record.effective_policy();
    if policy != Policy::Reject {
        out.push(DmarcWarning::ParkedPolicyNotReject {
            domain: domain.to_string(),
            policy,
        });
    }
    let sub = record.effective_subdomain_policy();
    if sub != Policy::Reject {
        out.push(DmarcWarning::ParkedSubdomainPolicyNotReject {
            domain: domain.to_string(),
            policy: sub,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings(text: &str) -> Vec<DmarcWarning> {
        parse(text).map(|p| p.warnings).unwrap_or_default()
    }

    #[test]
    fn defaults_follow_rfc_9989() {
        let p = parse("v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com");
        let r = p.map(|p| p.record);
        assert_eq!(
            r.as_ref().map(DmarcRecord::effective_nonexistent_policy),
            Ok(Policy::Quarantine)
        );
        assert_eq!(
            r.as_ref().map(DmarcRecord::failure_options_text),
            Ok("0".to_string())
        );
    }

    #[test]
    fn pct_under_100_is_a_partial_policy_under_rfc_7489() {
        let w = warnings("v=DMARC1; p=reject; pct=20; rua=mailto:d@example.com");
        assert!(w.contains(&DmarcWarning::PartialPercentage { pct: 20 }));
        assert!(w.contains(&DmarcWarning::RemovedTag {
            tag: DmarcTag::Pct,
            value: "20".into(),
            rfc7489: Rfc7489View::Valid
        }));
        let w = warnings("v=DMARC1; p=reject; pct=500");
        assert!(w.iter().any(|w| matches!(
            w,
            DmarcWarning::RemovedTag {
                rfc7489: Rfc7489View::Invalid,
                ..
            }
        )));
    }

    #[test]
    fn opendmarc_era_errors_are_flagged_as_rfc_7489_only() {
        for record in [
            "v=DMARC1; p=none; pct=500",
            "v=DMARC1; p=none; rf=bob",
            "v=DMARC1; p=none; ri=bob",
            "v=DMARC1; p=none; adkim=bob",
            "v=DMARC1; rua=mailto:d@example.com",
        ] {
            let w = warnings(record);
            assert!(
                w.iter().any(DmarcWarning::invalid_under_rfc7489),
                "{record}: {w:?}"
            );
        }
        let w = warnings("v=DMARC1; p=none; rf=afrf; ri=86400; pct=100");
        assert!(!w.iter().any(DmarcWarning::invalid_under_rfc7489), "{w:?}");
    }

    #[test]
    fn records_are_bounded_at_the_txt_maximum() {
        let mut text = String::from("v=DMARC1; p=reject");
        let mut i = 0;
        while text.len() < MAX_RECORD_BYTES - 16 {
            text.push_str(&format!("; x{i}=y"));
            i += 1;
        }
        let parsed = parse(&text).map(|p| p.warnings.len());
        assert!(parsed.is_ok_and(|n| n >= i), "{i} unknown tags");
        let long = format!("{text}{}", " ".repeat(MAX_RECORD_BYTES));
        assert!(matches!(parse(&long), Err(DmarcError::TooLong { .. })));
    }

    #[test]
    fn bad_size_limits_and_duplicate_versions_are_errors() {
        assert!(matches!(
            parse("v=DMARC1; p=none; rua=mailto:a@example.com!10x"),
            Err(DmarcError::InvalidUri {
                problem: UriProblem::BadSizeLimit,
                ..
            })
        ));
        assert!(matches!(
            parse("v=DMARC1; v=DMARC1; p=none"),
            Err(DmarcError::DuplicateTag { .. })
        ));
    }

    #[test]
    fn external_destinations_name_their_authorisation_record() {
        let Ok(p) =
            parse("v=DMARC1; p=reject; rua=mailto:a@mail.example.com,mailto:r@reports.example.net")
        else {
            panic!("parses");
        };
        let ext = external_destinations(&p.record, "example.com");
        assert_eq!(ext.len(), 1);
        assert!(
            matches!(&ext[0], DmarcWarning::ExternalDestination { authorization_name, .. }
            if authorization_name == "example.com._report._dmarc.reports.example.net")
        );
        assert!(authorizes(&["v=DMARC1"]));
        assert!(!authorizes(&["v=spf1 -all"]));
    }
}
