//! The DNS lookup layer: a [`Resolver`] trait asking TXT, A, AAAA, MX, PTR, CNAME and TLSA, whose
//! answers keep their kind ([`Answer`]: records, NXDOMAIN, NODATA, SERVFAIL, REFUSED, timeout,
//! truncated) as data; [`HickoryDns`] asks a real server through hickory-resolver, [`Zone`] is
//! an in-memory zone for tests.

use serde::Serialize;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The record types the checks ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
pub enum RecordType {
    /// IPv4 address.
    A,
    /// IPv6 address.
    Aaaa,
    /// Mail exchanger.
    Mx,
    /// Text.
    Txt,
    /// Reverse pointer.
    Ptr,
    /// Alias.
    Cname,
    /// TLS certificate association (DANE, RFC 6698).
    Tlsa,
}

impl RecordType {
    /// The usual upper-case name: `A`, `AAAA`, `MX`, `TXT`, `PTR`, `CNAME`, `TLSA`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Mx => "MX",
            RecordType::Txt => "TXT",
            RecordType::Ptr => "PTR",
            RecordType::Cname => "CNAME",
            RecordType::Tlsa => "TLSA",
        }
    }
}

/// One mail exchanger of an MX answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mx {
    /// The preference (lower is tried first).
    pub preference: u16,
    /// The exchanger's name, lower case, without the final dot; empty for the null MX (`.`).
    pub exchange: String,
}

/// A TLSA record (RFC 6698 section 2.1): its three numbers, as published (any value from 0 to
/// 255; [`crate::dane`] says which are defined), and the certificate association data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlsa {
    /// The certificate usage (0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE).
    pub usage: u8,
    /// The selector (0 the whole certificate, 1 its SubjectPublicKeyInfo).
    pub selector: u8,
    /// The matching type (0 the data itself, 1 SHA-256, 2 SHA-512).
    pub matching: u8,
    /// The certificate association data.
    pub data: Vec<u8>,
}

/// One record of an answer, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rdata {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// A mail exchanger.
    Mx(Mx),
    /// A TXT record: its character-strings, as bytes, in order.
    Txt(Vec<Vec<u8>>),
    /// A PTR target, lower case, without the final dot.
    Ptr(String),
    /// A CNAME target, lower case, without the final dot.
    Cname(String),
    /// A TLSA record.
    Tlsa(Tlsa),
}

impl Rdata {
    /// The type of this record.
    pub fn record_type(&self) -> RecordType {
        match self {
            Rdata::A(_) => RecordType::A,
            Rdata::Aaaa(_) => RecordType::Aaaa,
            Rdata::Mx(_) => RecordType::Mx,
            Rdata::Txt(_) => RecordType::Txt,
            Rdata::Ptr(_) => RecordType::Ptr,
            Rdata::Cname(_) => RecordType::Cname,
            Rdata::Tlsa(_) => RecordType::Tlsa,
        }
    }
}

/// What a query got: records, or the kind of answer that carried none.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// Records of the asked type (never empty).
    Records(Vec<Rdata>),
    /// The name does not exist (NXDOMAIN).
    NxDomain,
    /// The name exists but has no record of this type (NOERROR, empty answer).
    NoData,
    /// The server failed (SERVFAIL).
    ServFail,
    /// The server refused to answer (REFUSED).
    Refused,
    /// No answer before the deadline.
    Timeout,
    /// The answer was truncated and could not be had whole.
    Truncated,
    /// The name is not a valid DNS name (a label over 63 bytes, an empty label, over 253 bytes).
    BadName,
    /// Any other failure: no connection, a malformed answer, another response code.
    Failed,
}

impl Answer {
    /// True for NXDOMAIN and NODATA: the DNS answered, and had nothing (a "void" lookup).
    pub fn is_void(&self) -> bool {
        self.kind().is_void()
    }

    /// True when the DNS did not answer properly (SERVFAIL, REFUSED, timeout, truncated, other).
    pub fn is_error(&self) -> bool {
        self.kind().is_error()
    }

    /// The records, empty for every other kind of answer.
    pub fn records(&self) -> &[Rdata] {
        match self {
            Answer::Records(r) => r,
            _ => &[],
        }
    }

    /// The kind of this answer, without its records.
    pub fn kind(&self) -> AnswerKind {
        match self {
            Answer::Records(_) => AnswerKind::Records,
            Answer::NxDomain => AnswerKind::Nxdomain,
            Answer::NoData => AnswerKind::Nodata,
            Answer::ServFail => AnswerKind::Servfail,
            Answer::Refused => AnswerKind::Refused,
            Answer::Timeout => AnswerKind::Timeout,
            Answer::Truncated => AnswerKind::Truncated,
            Answer::BadName => AnswerKind::BadName,
            Answer::Failed => AnswerKind::Failed,
        }
    }
}

/// The kind of an [`Answer`], as the reports keep it (serialised in snake case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AnswerKind {
    /// Records of the asked type.
    Records,
    /// NXDOMAIN.
    Nxdomain,
    /// NODATA (NOERROR, empty answer).
    Nodata,
    /// SERVFAIL.
    Servfail,
    /// REFUSED.
    Refused,
    /// No answer before the deadline.
    Timeout,
    /// A truncated answer that could not be had whole.
    Truncated,
    /// Not a valid DNS name.
    BadName,
    /// Any other failure.
    Failed,
}

impl AnswerKind {
    /// The usual name in a sentence: `records`, `NXDOMAIN`, `NODATA`, `SERVFAIL`, `REFUSED`,
    /// `timeout`, `truncated`, `invalid name`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerKind::Records => "records",
            AnswerKind::Nxdomain => "NXDOMAIN",
            AnswerKind::Nodata => "NODATA",
            AnswerKind::Servfail => "SERVFAIL",
            AnswerKind::Refused => "REFUSED",
            AnswerKind::Timeout => "timeout",
            AnswerKind::Truncated => "truncated",
            AnswerKind::BadName => "invalid name",
            AnswerKind::Failed => "error",
        }
    }

    /// True for NXDOMAIN and NODATA.
    pub fn is_void(self) -> bool {
        matches!(self, AnswerKind::Nxdomain | AnswerKind::Nodata)
    }

    /// True when the DNS did not answer properly (SERVFAIL, REFUSED, timeout, truncated, other).
    pub fn is_error(self) -> bool {
        !matches!(
            self,
            AnswerKind::Records | AnswerKind::Nxdomain | AnswerKind::Nodata | AnswerKind::BadName
        )
    }
}

impl std::fmt::Display for AnswerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one query: the answer and the aliases followed to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The CNAME targets followed from the asked name, in order (empty when there was none).
    pub cnames: Vec<String>,
    /// The answer at the end of the chain.
    pub answer: Answer,
}

impl Lookup {
    /// An answer reached without any alias.
    pub fn direct(answer: Answer) -> Self {
        Lookup {
            cnames: Vec::new(),
            answer,
        }
    }

    /// The IPv4 and IPv6 addresses of the answer.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.answer.records().iter().filter_map(|r| match r {
            Rdata::A(a) => Some(IpAddr::V4(*a)),
            Rdata::Aaaa(a) => Some(IpAddr::V6(*a)),
            _ => None,
        })
    }

    /// The TXT records of the answer, each as its character-strings.
    pub fn txt(&self) -> impl Iterator<Item = &[Vec<u8>]> + '_ {
        self.answer.records().iter().filter_map(|r| match r {
            Rdata::Txt(t) => Some(t.as_slice()),
            _ => None,
        })
    }

    /// The MX records of the answer.
    pub fn mx(&self) -> impl Iterator<Item = &Mx> + '_ {
        self.answer.records().iter().filter_map(|r| match r {
            Rdata::Mx(m) => Some(m),
            _ => None,
        })
    }

    /// The TLSA records of the answer.
    pub fn tlsa(&self) -> impl Iterator<Item = &Tlsa> + '_ {
        self.answer.records().iter().filter_map(|r| match r {
            Rdata::Tlsa(t) => Some(t),
            _ => None,
        })
    }

    /// The PTR targets of the answer.
    pub fn ptr(&self) -> impl Iterator<Item = &str> + '_ {
        self.answer.records().iter().filter_map(|r| match r {
            Rdata::Ptr(p) => Some(p.as_str()),
            _ => None,
        })
    }
}

/// The DNSSEC state of an RRset (RFC 4035 section 4.3), as a validating resolver found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DnssecState {
    /// Secure: signed, and the signatures chain up to a trust anchor.
    Secure,
    /// Insecure: proven to lie in an unsigned zone (a delegation without DS). Senders treat
    /// TLSA records as absent (RFC 7672 section 2.2), so DANE is not in force.
    Insecure,
    /// Bogus: signed, but the signatures do not verify (expired, altered, no matching key);
    /// validating resolvers answer SERVFAIL.
    Bogus,
    /// Not validated: the resolver does not validate (no `--dnssec` or `--trust-anchor`), or
    /// it could not tell (indeterminate, no answer).
    NotValidated,
}

impl DnssecState {
    /// The state in a sentence: `secure`, `insecure`, `bogus`, `not validated`.
    pub fn as_str(self) -> &'static str {
        match self {
            DnssecState::Secure => "secure",
            DnssecState::Insecure => "insecure",
            DnssecState::Bogus => "bogus",
            DnssecState::NotValidated => "not validated",
        }
    }

    /// The state of an RRset whose records carry `proofs`: bogus if one is, secure if all
    /// are, insecure if one is (and none bogus), else not validated.
    fn of_proofs(proofs: impl Iterator<Item = hickory_proto::dnssec::Proof>) -> Self {
        use hickory_proto::dnssec::Proof;
        let proofs: Vec<Proof> = proofs.collect();
        if proofs.iter().any(|p| matches!(p, Proof::Bogus)) {
            DnssecState::Bogus
        } else if proofs.is_empty() || proofs.iter().any(|p| matches!(p, Proof::Indeterminate)) {
            DnssecState::NotValidated
        } else if proofs.iter().all(|p| matches!(p, Proof::Secure)) {
            DnssecState::Secure
        } else {
            DnssecState::Insecure
        }
    }
}

/// Asks the DNS. Names are given without the final dot; case does not matter.
pub trait Resolver: Send + Sync {
    /// Looks up the records of `rtype` at `name`.
    fn lookup(&self, name: &str, rtype: RecordType) -> impl Future<Output = Lookup> + Send;

    /// The DNSSEC state of the RRset of `rtype` at `name`; [`DnssecState::NotValidated`] from a
    /// resolver that does not validate (the default).
    fn dnssec(&self, name: &str, rtype: RecordType) -> impl Future<Output = DnssecState> + Send {
        let _ = (name, rtype);
        std::future::ready(DnssecState::NotValidated)
    }
}

/// A name as the zone and the checks compare it: lower case, without the final dot.
pub fn normalize(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// The `in-addr.arpa` / `ip6.arpa` name of an address, without the final dot.
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa")
        }
        IpAddr::V6(v6) => {
            let mut out = String::with_capacity(73);
            for byte in v6.octets().iter().rev() {
                for nibble in [byte & 0xf, byte >> 4] {
                    out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
                    out.push('.');
                }
            }
            out.push_str("ip6.arpa");
            out
        }
    }
}

/// True when `name` (without the final dot) can be asked: 1 to 253 bytes, labels of 1 to 63.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 253 && name.split('.').all(|l| !l.is_empty() && l.len() <= 63)
}

/// Runs `futures` together on the current task (queries to different names wait for the
/// network at the same time) and returns their outputs in order. For the few queries of one
/// check: every wake-up polls each unfinished future once.
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    use std::task::Poll;
    let mut futures: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if out.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *out = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// The longest CNAME chain followed before giving up.
const MAX_CNAME_CHAIN: usize = 8;

/// An in-memory zone: records by name, and names whose queries fail in a given way.
#[derive(Debug, Clone, Default)]
pub struct Zone {
    names: HashMap<String, Node>,
    /// The DNSSEC state [`Resolver::dnssec`] gives for an RRset (not validated when absent).
    dnssec: HashMap<(String, RecordType), DnssecState>,
}

#[derive(Debug, Clone, Default)]
struct Node {
    records: Vec<Rdata>,
    /// How queries fail for the types this name holds no record of.
    failure: Option<Answer>,
}

impl Zone {
    /// An empty zone: every name is NXDOMAIN.
    pub fn new() -> Self {
        Zone::default()
    }

    /// Adds a record at `name`.
    pub fn add(&mut self, name: &str, rdata: Rdata) -> &mut Self {
        self.names
            .entry(normalize(name))
            .or_default()
            .records
            .push(rdata);
        self
    }

    /// Makes `name` exist with no record (so its queries get NODATA).
    pub fn touch(&mut self, name: &str) -> &mut Self {
        self.names.entry(normalize(name)).or_default();
        self
    }

    /// Makes every query at `name` for a type it holds no record of answer `failure`
    /// (for example [`Answer::Timeout`] or [`Answer::ServFail`]).
    pub fn fail(&mut self, name: &str, failure: Answer) -> &mut Self {
        self.names.entry(normalize(name)).or_default().failure = Some(failure);
        self
    }

    /// Makes [`Resolver::dnssec`] answer `state` for the RRset of `rtype` at `name`.
    pub fn set_dnssec(&mut self, name: &str, rtype: RecordType, state: DnssecState) -> &mut Self {
        self.dnssec.insert((normalize(name), rtype), state);
        self
    }

    /// Whether the zone holds any record (or failure) at `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.names.contains_key(&normalize(name))
    }

    /// The records of `rtype` at `name`, following CNAMEs as a recursive resolver would.
    pub fn answer(&self, name: &str, rtype: RecordType) -> Lookup {
        let mut current = normalize(name);
        if !is_valid_name(&current) {
            return Lookup::direct(Answer::BadName);
        }
        let mut cnames = Vec::new();
        loop {
            let node = match self.find(&current) {
                Found::Node(node) => node,
                Found::EmptyNonTerminal => {
                    return Lookup {
                        cnames,
                        answer: Answer::NoData,
                    }
                }
                Found::Nothing => {
                    return Lookup {
                        cnames,
                        answer: Answer::NxDomain,
                    }
                }
            };
            let found: Vec<Rdata> = node
                .records
                .iter()
                .filter(|r| r.record_type() == rtype)
                .cloned()
                .collect();
            if !found.is_empty() {
                return Lookup {
                    cnames,
                    answer: Answer::Records(found),
                };
            }
            let alias = node.records.iter().find_map(|r| match r {
                Rdata::Cname(t) => Some(t.clone()),
                _ => None,
            });
            match alias {
                Some(target) if cnames.len() < MAX_CNAME_CHAIN && !cnames.contains(&target) => {
                    cnames.push(target.clone());
                    current = target;
                }
                Some(_) => {
                    return Lookup {
                        cnames,
                        answer: Answer::ServFail,
                    }
                }
                None => {
                    return Lookup {
                        cnames,
                        answer: node.failure.clone().unwrap_or(Answer::NoData),
                    }
                }
            }
        }
    }
}

impl Zone {
    /// The node answering for `name`: its own, an empty non-terminal (a name that exists only
    /// because names below it do), or the wildcard of its closest encloser (RFC 4592).
    fn find(&self, name: &str) -> Found<'_> {
        if let Some(node) = self.names.get(name) {
            return Found::Node(node);
        }
        let exists = |n: &str| {
            self.names.contains_key(n)
                || self.names.keys().any(|k| {
                    k.len() > n.len() && k.ends_with(n) && k[..k.len() - n.len()].ends_with('.')
                })
        };
        if exists(name) {
            return Found::EmptyNonTerminal;
        }
        let mut rest = name;
        while let Some((_, parent)) = rest.split_once('.') {
            if exists(parent) {
                return self
                    .names
                    .get(&format!("*.{parent}"))
                    .map_or(Found::Nothing, Found::Node);
            }
            rest = parent;
        }
        Found::Nothing
    }

    /// Reads a zone file (RFC 1035 master format: `$ORIGIN`, `$TTL`, `@`, relative names, an
    /// omitted owner, TTL and class, quoted strings, parentheses, `;` comments). A, AAAA, MX,
    /// TXT, PTR, CNAME and TLSA records are kept; other types are skipped.
    pub fn from_zone_file(text: &str, origin: &str) -> Result<Zone, ZoneError> {
        let mut zone = Zone::new();
        let mut origin = normalize(origin);
        let mut owner: Option<String> = None;
        let mut lines = text.lines().enumerate();
        while let Some((index, line)) = lines.next() {
            let line_no = index + 1;
            let err = |kind| ZoneError {
                line: line_no,
                kind,
            };
            let mut tokens = Vec::new();
            let mut depth = tokenize(line, 0, &mut tokens).map_err(err)?;
            while depth > 0 {
                let Some((_, more)) = lines.next() else {
                    return Err(err(ZoneErrorKind::UnclosedParenthesis));
                };
                depth = tokenize(more, depth, &mut tokens).map_err(err)?;
            }
            if tokens.is_empty() {
                continue;
            }
            let first = &tokens[0];
            if !first.quoted && first.text.eq_ignore_ascii_case("$ORIGIN") {
                let o = tokens.get(1).ok_or(err(ZoneErrorKind::MissingData))?;
                origin = absolute(&o.text, &origin);
                continue;
            }
            if !first.quoted && first.text.starts_with('$') {
                continue;
            }
            let mut rest = &tokens[..];
            if !line.starts_with([' ', '\t']) {
                owner = Some(absolute(&rest[0].text, &origin));
                rest = &rest[1..];
            }
            let owner = owner.clone().ok_or(err(ZoneErrorKind::MissingOwner))?;
            while let Some(t) = rest.first() {
                let ttl = t.text.bytes().all(|b| b.is_ascii_digit());
                let class = ["IN", "CH", "HS"]
                    .iter()
                    .any(|c| t.text.eq_ignore_ascii_case(c));
                if !(ttl || class) {
                    break;
                }
                rest = &rest[1..];
            }
            let (rtype, data) = rest.split_first().ok_or(err(ZoneErrorKind::MissingData))?;
            let arg = |i: usize| {
                data.get(i)
                    .map(|t| t.text.as_str())
                    .ok_or(err(ZoneErrorKind::MissingData))
            };
            let rdata = match rtype.text.to_ascii_uppercase().as_str() {
                "A" => Rdata::A(
                    arg(0)?
                        .parse()
                        .map_err(|_| err(ZoneErrorKind::BadAddress))?,
                ),
                "AAAA" => Rdata::Aaaa(
                    arg(0)?
                        .parse()
                        .map_err(|_| err(ZoneErrorKind::BadAddress))?,
                ),
                "MX" => Rdata::Mx(Mx {
                    preference: arg(0)?.parse().map_err(|_| err(ZoneErrorKind::BadNumber))?,
                    exchange: absolute(arg(1)?, &origin),
                }),
                "TXT" if !data.is_empty() => {
                    Rdata::Txt(data.iter().map(|t| t.bytes.clone()).collect())
                }
                "TXT" => return Err(err(ZoneErrorKind::MissingData)),
                "PTR" => Rdata::Ptr(absolute(arg(0)?, &origin)),
                "CNAME" => Rdata::Cname(absolute(arg(0)?, &origin)),
                "TLSA" => {
                    let text: Vec<&str> = data.iter().map(|t| t.text.as_str()).collect();
                    Rdata::Tlsa(
                        crate::dane::parse_tlsa(&text.join(" "))
                            .map_err(|_| err(ZoneErrorKind::BadTlsa))?,
                    )
                }
                _ => {
                    zone.touch(&owner);
                    continue;
                }
            };
            zone.add(&owner, rdata);
        }
        Ok(zone)
    }
}

/// What answers for a name in a [`Zone`].
enum Found<'a> {
    Node(&'a Node),
    EmptyNonTerminal,
    Nothing,
}

/// A zone file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("zone file line {line}: {kind}")]
pub struct ZoneError {
    /// The line (from 1) where the record starts.
    pub line: usize,
    /// What is wrong.
    pub kind: ZoneErrorKind,
}

/// What is wrong in a zone file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ZoneErrorKind {
    /// A quoted string does not end on its line.
    #[error("unterminated string")]
    UnterminatedString,
    /// A `(` is never closed.
    #[error("unclosed parenthesis")]
    UnclosedParenthesis,
    /// A record with no owner before it.
    #[error("no owner name")]
    MissingOwner,
    /// A record without its type or data.
    #[error("missing data")]
    MissingData,
    /// An A or AAAA address that does not parse.
    #[error("bad address")]
    BadAddress,
    /// An MX preference that is not a 16-bit number.
    #[error("bad number")]
    BadNumber,
    /// A TLSA record whose text does not parse (three numbers, then hexadecimal data).
    #[error("bad TLSA record")]
    BadTlsa,
}

/// One token of a zone file line: its text, its bytes (escapes decoded), and whether quoted.
struct Token {
    text: String,
    bytes: Vec<u8>,
    quoted: bool,
}

/// Splits one line into tokens (appended to `out`), inside `depth` open parentheses; returns
/// the depth it leaves open (`(` and `)` are not tokens).
fn tokenize(line: &str, mut depth: usize, out: &mut Vec<Token>) -> Result<usize, ZoneErrorKind> {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b';' => break,
            b' ' | b'\t' | b'\r' => i += 1,
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            c => {
                let quoted = c == b'"';
                if quoted {
                    i += 1;
                }
                let mut bytes = Vec::new();
                loop {
                    let Some(&c) = b.get(i) else {
                        if quoted {
                            return Err(ZoneErrorKind::UnterminatedString);
                        }
                        break;
                    };
                    if quoted && c == b'"' {
                        i += 1;
                        break;
                    }
                    if !quoted && matches!(c, b' ' | b'\t' | b'\r' | b';' | b'(' | b')') {
                        break;
                    }
                    if c == b'\\' {
                        let digits = b
                            .get(i + 1..i + 4)
                            .filter(|d| d.iter().all(u8::is_ascii_digit));
                        if let Some(d) = digits {
                            let n = d.iter().fold(0u32, |n, x| n * 10 + u32::from(x - b'0'));
                            bytes.push(u8::try_from(n).unwrap_or(u8::MAX));
                            i += 4;
                        } else {
                            bytes.extend(b.get(i + 1));
                            i += 2;
                        }
                        continue;
                    }
                    bytes.push(c);
                    i += 1;
                }
                out.push(Token {
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                    bytes,
                    quoted,
                });
            }
        }
    }
    Ok(depth)
}

/// A zone file name made absolute: `@` is the origin, a name without a final dot is relative.
fn absolute(name: &str, origin: &str) -> String {
    if name == "@" {
        return origin.to_string();
    }
    match name.strip_suffix('.') {
        Some(abs) => abs.to_ascii_lowercase(),
        None if origin.is_empty() => name.to_ascii_lowercase(),
        None => format!("{}.{origin}", name.to_ascii_lowercase()),
    }
}

impl Resolver for Zone {
    fn lookup(&self, name: &str, rtype: RecordType) -> impl Future<Output = Lookup> + Send {
        std::future::ready(self.answer(name, rtype))
    }

    fn dnssec(&self, name: &str, rtype: RecordType) -> impl Future<Output = DnssecState> + Send {
        let state = self.dnssec.get(&(normalize(name), rtype));
        std::future::ready(state.copied().unwrap_or(DnssecState::NotValidated))
    }
}

/// How [`HickoryDns`] reaches its server.
#[derive(Debug, Clone)]
pub struct DnsOptions {
    /// The server to ask (`--dns-server`); `None` uses the system's resolvers.
    pub server: Option<SocketAddr>,
    /// How long one query may take, retries included.
    pub timeout: Duration,
    /// The trust anchors [`Resolver::dnssec`] validates from; `None` does not validate.
    pub dnssec: Option<TrustAnchors>,
}

impl Default for DnsOptions {
    fn default() -> Self {
        DnsOptions {
            server: None,
            timeout: Duration::from_secs(5),
            dnssec: None,
        }
    }
}

/// The DNSSEC trust anchors validation starts from: the root zone's keys, or the DNSKEY
/// records of a file (a private zone's keys, as `dig DNSKEY` prints them).
#[derive(Clone)]
pub struct TrustAnchors(Arc<hickory_proto::dnssec::TrustAnchors>);

impl std::fmt::Debug for TrustAnchors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrustAnchors({} keys)", self.len())
    }
}

/// A trust-anchor file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustAnchorError {
    /// A DNSKEY record does not parse.
    #[error("a DNSKEY record does not parse: {0}")]
    Syntax(String),
    /// No DNSKEY record at all (DS records are not accepted: give the zone's DNSKEYs).
    #[error("no DNSKEY record (give the DNSKEY records, as `dig DNSKEY ZONE` prints them)")]
    NoKey,
}

impl TrustAnchors {
    /// The root zone's key-signing keys (2017 and 2024).
    pub fn root() -> Self {
        TrustAnchors(Arc::new(hickory_proto::dnssec::TrustAnchors::default()))
    }

    /// The DNSKEY records of `text` (`NAME TTL IN DNSKEY FLAGS 3 ALGORITHM KEY`, one a line);
    /// other lines (comments, other types, as in `dig` output) are skipped. Every key of a
    /// zone's DNSKEY set is to be given: hickory trusts the set without a DS at the parent
    /// only when each of its keys is an anchor.
    pub fn parse(text: &str) -> Result<Self, TrustAnchorError> {
        let keys: Vec<&str> = text
            .lines()
            .filter(|l| {
                !l.trim_start().starts_with(';')
                    && l.split_whitespace()
                        .any(|t| t.eq_ignore_ascii_case("DNSKEY"))
            })
            .collect();
        if keys.is_empty() {
            return Err(TrustAnchorError::NoKey);
        }
        let anchors: hickory_proto::dnssec::TrustAnchors =
            keys.join("\n")
                .parse()
                .map_err(|e: hickory_proto::serialize::txt::ParseError| {
                    TrustAnchorError::Syntax(e.to_string())
                })?;
        Ok(TrustAnchors(Arc::new(anchors)))
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is no key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A [`Resolver`] over hickory-resolver: the given server over UDP then TCP, never
/// `/etc/hosts`, no cache, each query bounded in time; with trust anchors, a second,
/// validating resolver answers [`Resolver::dnssec`].
#[derive(Clone)]
pub struct HickoryDns {
    resolver: hickory_resolver::TokioResolver,
    validator: Option<hickory_resolver::TokioResolver>,
    timeout: Duration,
}

/// A hickory resolver builder asking `server` (UDP, then TCP) or the system's resolvers, with
/// two attempts, no cache and no search domains; callers set the timeout and the hosts file.
pub fn resolver_builder(
    server: Option<std::net::SocketAddr>,
) -> Result<
    hickory_resolver::ResolverBuilder<hickory_resolver::name_server::TokioConnectionProvider>,
    hickory_resolver::ResolveError,
> {
    use hickory_resolver::config::{NameServerConfig, ResolverConfig};
    use hickory_resolver::name_server::TokioConnectionProvider;
    use hickory_resolver::proto::xfer::Protocol;
    use hickory_resolver::TokioResolver;
    let mut builder = match server {
        Some(addr) => {
            let mut config = ResolverConfig::new();
            config.add_name_server(NameServerConfig::new(addr, Protocol::Udp));
            config.add_name_server(NameServerConfig::new(addr, Protocol::Tcp));
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
        }
        None => TokioResolver::builder_tokio()?,
    };
    let o = builder.options_mut();
    o.attempts = 2;
    o.cache_size = 0;
    o.ndots = 0;
    Ok(builder)
}

/// The resolver could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the DNS resolver: {0}")]
pub struct SetupError(#[from] hickory_resolver::ResolveError);

impl HickoryDns {
    /// A resolver as `options` say.
    pub fn new(options: &DnsOptions) -> Result<Self, SetupError> {
        use hickory_resolver::config::{ResolveHosts, ResolverOpts};
        let build = |anchors: Option<&TrustAnchors>| -> Result<_, SetupError> {
            let mut builder = resolver_builder(options.server)?;
            let o: &mut ResolverOpts = builder.options_mut();
            o.timeout = (options.timeout / 2).max(Duration::from_millis(50));
            o.use_hosts_file = ResolveHosts::Never;
            o.preserve_intermediates = true;
            if let Some(anchors) = anchors {
                o.validate = true;
                builder = builder.with_trust_anchor(Arc::clone(&anchors.0));
            }
            Ok(builder.build())
        };
        Ok(HickoryDns {
            resolver: build(None)?,
            validator: options
                .dnssec
                .as_ref()
                .map(|a| build(Some(a)))
                .transpose()?,
            timeout: options.timeout,
        })
    }

    /// The name and type as hickory asks them; `None` for a name that cannot be asked.
    fn query(
        name: &str,
        rtype: RecordType,
    ) -> Option<(
        hickory_resolver::proto::rr::Name,
        hickory_resolver::proto::rr::RecordType,
    )> {
        use hickory_resolver::proto::rr::{Name, RecordType as HType};
        let name = normalize(name);
        if !is_valid_name(&name) {
            return None;
        }
        let fqdn = Name::from_ascii(format!("{name}.")).ok()?;
        let htype = match rtype {
            RecordType::A => HType::A,
            RecordType::Aaaa => HType::AAAA,
            RecordType::Mx => HType::MX,
            RecordType::Txt => HType::TXT,
            RecordType::Ptr => HType::PTR,
            RecordType::Cname => HType::CNAME,
            RecordType::Tlsa => HType::TLSA,
        };
        Some((fqdn, htype))
    }

    /// The DNSSEC state of the RRset, from the validating resolver.
    async fn validate(&self, name: &str, rtype: RecordType) -> DnssecState {
        use hickory_resolver::proto::ProtoErrorKind;
        let (Some(validator), Some((fqdn, htype))) = (&self.validator, Self::query(name, rtype))
        else {
            return DnssecState::NotValidated;
        };
        match tokio::time::timeout(self.timeout, validator.lookup(fqdn, htype)).await {
            Ok(Ok(l)) => DnssecState::of_proofs(
                l.record_iter()
                    .filter(|r| r.record_type() == htype)
                    .map(|r| r.proof()),
            ),
            Ok(Err(e)) => match e.proto().map(|p| p.kind()) {
                Some(ProtoErrorKind::Nsec { proof, .. }) => {
                    DnssecState::of_proofs(std::iter::once(*proof))
                }
                _ => DnssecState::NotValidated,
            },
            Err(_) => DnssecState::NotValidated,
        }
    }

    async fn ask(&self, name: &str, rtype: RecordType) -> Lookup {
        use hickory_resolver::proto::rr::{Name, RData};
        let Some((fqdn, htype)) = Self::query(name, rtype) else {
            return Lookup::direct(Answer::BadName);
        };
        let lookup =
            match tokio::time::timeout(self.timeout, self.resolver.lookup(fqdn, htype)).await {
                Ok(Ok(l)) => l,
                Ok(Err(e)) => return Lookup::direct(failure(&e)),
                Err(_) => return Lookup::direct(Answer::Timeout),
            };
        let host = |n: &Name| normalize(&n.to_ascii());
        let mut cnames = Vec::new();
        let mut records = Vec::new();
        for r in lookup.record_iter() {
            let data = match r.data() {
                RData::CNAME(c) if rtype != RecordType::Cname => {
                    cnames.push(host(&c.0));
                    continue;
                }
                RData::CNAME(c) => Rdata::Cname(host(&c.0)),
                RData::A(a) => Rdata::A(a.0),
                RData::AAAA(a) => Rdata::Aaaa(a.0),
                RData::MX(m) => Rdata::Mx(Mx {
                    preference: m.preference(),
                    exchange: host(m.exchange()),
                }),
                RData::TXT(t) => Rdata::Txt(t.txt_data().iter().map(|s| s.to_vec()).collect()),
                RData::PTR(p) => Rdata::Ptr(host(&p.0)),
                RData::TLSA(t) => Rdata::Tlsa(Tlsa {
                    usage: t.cert_usage().into(),
                    selector: t.selector().into(),
                    matching: t.matching().into(),
                    data: t.cert_data().to_vec(),
                }),
                _ => continue,
            };
            if data.record_type() == rtype {
                records.push(data);
            }
        }
        let answer = if records.is_empty() {
            Answer::NoData
        } else {
            Answer::Records(records)
        };
        Lookup { cnames, answer }
    }
}

impl Resolver for HickoryDns {
    fn lookup(&self, name: &str, rtype: RecordType) -> impl Future<Output = Lookup> + Send {
        self.ask(name, rtype)
    }

    fn dnssec(&self, name: &str, rtype: RecordType) -> impl Future<Output = DnssecState> + Send {
        self.validate(name, rtype)
    }
}

/// The kind of a hickory failure.
fn failure(e: &hickory_resolver::ResolveError) -> Answer {
    use hickory_resolver::proto::op::ResponseCode;
    use hickory_resolver::proto::ProtoErrorKind;
    match e.proto().map(|p| p.kind()) {
        Some(ProtoErrorKind::NoRecordsFound { response_code, .. }) => match *response_code {
            ResponseCode::NXDomain => Answer::NxDomain,
            ResponseCode::NoError => Answer::NoData,
            ResponseCode::ServFail => Answer::ServFail,
            ResponseCode::Refused => Answer::Refused,
            _ => Answer::Failed,
        },
        Some(ProtoErrorKind::Timeout) => Answer::Timeout,
        _ => Answer::Failed,
    }
}

/// Runs `future` to completion on a current-thread runtime (the checks' unit tests).
#[cfg(test)]
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime")
        .block_on(future)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_answers_kinds() {
        let mut z = Zone::new();
        z.add("a.example.com.", Rdata::A(Ipv4Addr::new(192, 0, 2, 1)))
            .add("Alias.Example.com", Rdata::Cname("a.example.com".into()))
            .fail("slow.example.com", Answer::Timeout);
        let l = z.answer("A.example.com", RecordType::A);
        assert_eq!(
            l.addresses().collect::<Vec<_>>(),
            ["192.0.2.1".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(
            z.answer("a.example.com", RecordType::Txt).answer,
            Answer::NoData
        );
        assert_eq!(
            z.answer("b.example.com", RecordType::A).answer,
            Answer::NxDomain
        );
        assert_eq!(
            z.answer("slow.example.com", RecordType::A).answer,
            Answer::Timeout
        );
        let l = z.answer("alias.example.com", RecordType::A);
        assert_eq!(l.cnames, ["a.example.com"]);
        assert_eq!(l.addresses().count(), 1);
        assert_eq!(
            z.answer("a..example.com", RecordType::A).answer,
            Answer::BadName
        );
    }

    #[test]
    fn cname_loop_is_a_failure() {
        let mut z = Zone::new();
        z.add("x.example.com", Rdata::Cname("y.example.com".into()))
            .add("y.example.com", Rdata::Cname("x.example.com".into()));
        assert_eq!(
            z.answer("x.example.com", RecordType::A).answer,
            Answer::ServFail
        );
    }

    #[test]
    fn zone_file_records_wildcards_and_empty_non_terminals() {
        let text = "$ORIGIN example.com.\n$TTL 300\n\
@ IN SOA ns hostmaster ( 1 3600\n  900 604800 300 ) ; comment\n\
@ 300 IN MX 10 mx\n\
\tMX 0 .\n\
mx A 192.0.2.1 ; the exchanger\n\
mx AAAA 2001:db8::1\n\
txt TXT \"v=spf1 \\\"q\\\" \" \"-all\" x\\059y\n\
alias CNAME mx\n\
1.2.0.192.in-addr.arpa. PTR mx.example.com.\n\
a.b.deep A 192.0.2.2\n\
*.wild A 127.0.0.2\n";
        let z = Zone::from_zone_file(text, "").unwrap();
        let mx = z.answer("example.com", RecordType::Mx);
        let mx: Vec<&str> = mx.mx().map(|m| m.exchange.as_str()).collect();
        assert_eq!(mx, ["mx.example.com", ""]);
        assert_eq!(
            z.answer("mx.example.com", RecordType::Aaaa)
                .addresses()
                .count(),
            1
        );
        let txt = z.answer("txt.example.com", RecordType::Txt);
        let strings: Vec<&[u8]> = txt.txt().flatten().map(Vec::as_slice).collect();
        assert_eq!(strings, [&b"v=spf1 \"q\" "[..], b"-all", b"x;y"]);
        assert_eq!(
            z.answer("alias.example.com", RecordType::A).cnames,
            ["mx.example.com"]
        );
        assert_eq!(
            z.answer("1.2.0.192.in-addr.arpa", RecordType::Ptr)
                .ptr()
                .collect::<Vec<_>>(),
            ["mx.example.com"]
        );
        assert_eq!(
            z.answer("b.deep.example.com", RecordType::A).answer,
            Answer::NoData
        );
        assert_eq!(
            z.answer("c.deep.example.com", RecordType::A).answer,
            Answer::NxDomain
        );
        assert_eq!(
            z.answer("x.wild.example.com", RecordType::A)
                .addresses()
                .count(),
            1
        );
        assert_eq!(
            z.answer("y.x.wild.example.com", RecordType::A)
                .addresses()
                .count(),
            1
        );
        assert_eq!(
            z.answer("wild.example.com", RecordType::A).answer,
            Answer::NoData
        );
        assert_eq!(
            z.answer("x.wild.example.com", RecordType::Txt).answer,
            Answer::NoData
        );
        let bad = Zone::from_zone_file("a A 192.0.2.300\n", "example.com").unwrap_err();
        assert_eq!((bad.line, bad.kind), (1, ZoneErrorKind::BadAddress));
        let bad = Zone::from_zone_file("a TXT \"open\n", "example.com").unwrap_err();
        assert_eq!(bad.kind, ZoneErrorKind::UnterminatedString);
        let bad = Zone::from_zone_file("@ SOA ( 1 2\n", "example.com").unwrap_err();
        assert_eq!(bad.kind, ZoneErrorKind::UnclosedParenthesis);
    }

    #[test]
    fn join_all_keeps_the_order() {
        let slow = |ms: u64, v: u32| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            v
        };
        let out = block_on(join_all(vec![slow(30, 1), slow(1, 2), slow(10, 3)]));
        assert_eq!(out, [1, 2, 3]);
        assert!(block_on(join_all(Vec::<std::future::Ready<u8>>::new())).is_empty());
    }

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name("192.0.2.10".parse().unwrap()),
            "10.2.0.192.in-addr.arpa"
        );
        assert_eq!(
            reverse_name("2001:db8::1".parse().unwrap()),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
    }
}
