//! The DNS lookup layer: a [`Resolver`] trait asking TXT, A, AAAA, MX, PTR and CNAME, whose
//! answers keep their kind ([`Answer`]: records, NXDOMAIN, NODATA, SERVFAIL, REFUSED, timeout,
//! truncated) as data; [`HickoryDns`] asks a real server through hickory-resolver, [`Zone`] is
//! an in-memory zone for tests.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// The record types the checks ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
}

impl RecordType {
    /// The usual upper-case name: `A`, `AAAA`, `MX`, `TXT`, `PTR`, `CNAME`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Mx => "MX",
            RecordType::Txt => "TXT",
            RecordType::Ptr => "PTR",
            RecordType::Cname => "CNAME",
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
        matches!(self, Answer::NxDomain | Answer::NoData)
    }

    /// True when the DNS did not answer properly (SERVFAIL, REFUSED, timeout, truncated, other).
    pub fn is_error(&self) -> bool {
        !matches!(
            self,
            Answer::Records(_) | Answer::NxDomain | Answer::NoData | Answer::BadName
        )
    }

    /// The records, empty for every other kind of answer.
    pub fn records(&self) -> &[Rdata] {
        match self {
            Answer::Records(r) => r,
            _ => &[],
        }
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

    /// The PTR targets of the answer.
    pub fn ptr(&self) -> impl Iterator<Item = &str> + '_ {
        self.answer.records().iter().filter_map(|r| match r {
            Rdata::Ptr(p) => Some(p.as_str()),
            _ => None,
        })
    }
}

/// Asks the DNS. Names are given without the final dot; case does not matter.
pub trait Resolver: Send + Sync {
    /// Looks up the records of `rtype` at `name`.
    fn lookup(&self, name: &str, rtype: RecordType) -> impl Future<Output = Lookup> + Send;
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

/// The longest CNAME chain followed before giving up.
const MAX_CNAME_CHAIN: usize = 8;

/// An in-memory zone: records by name, and names whose queries fail in a given way.
#[derive(Debug, Clone, Default)]
pub struct Zone {
    names: HashMap<String, Node>,
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
            let Some(node) = self.names.get(&current) else {
                return Lookup {
                    cnames,
                    answer: Answer::NxDomain,
                };
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

impl Resolver for Zone {
    fn lookup(&self, name: &str, rtype: RecordType) -> impl Future<Output = Lookup> + Send {
        std::future::ready(self.answer(name, rtype))
    }
}

/// How [`HickoryDns`] reaches its server.
#[derive(Debug, Clone)]
pub struct DnsOptions {
    /// The server to ask (`--dns-server`); `None` uses the system's resolvers.
    pub server: Option<SocketAddr>,
    /// How long one query may take, retries included.
    pub timeout: Duration,
}

impl Default for DnsOptions {
    fn default() -> Self {
        DnsOptions {
            server: None,
            timeout: Duration::from_secs(5),
        }
    }
}

/// A [`Resolver`] over hickory-resolver: the given server over UDP then TCP, never
/// `/etc/hosts`, no cache, each query bounded in time.
#[derive(Clone)]
pub struct HickoryDns {
    resolver: hickory_resolver::TokioResolver,
    timeout: Duration,
}

/// The resolver could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the DNS resolver: {0}")]
pub struct SetupError(#[from] hickory_resolver::ResolveError);

impl HickoryDns {
    /// A resolver as `options` say.
    pub fn new(options: &DnsOptions) -> Result<Self, SetupError> {
        use hickory_resolver::config::{
            NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
        };
        use hickory_resolver::name_server::TokioConnectionProvider;
        use hickory_resolver::proto::xfer::Protocol;
        use hickory_resolver::TokioResolver;
        let mut builder = match options.server {
            Some(addr) => {
                let mut config = ResolverConfig::new();
                config.add_name_server(NameServerConfig::new(addr, Protocol::Udp));
                config.add_name_server(NameServerConfig::new(addr, Protocol::Tcp));
                TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
            }
            None => TokioResolver::builder_tokio()?,
        };
        let o: &mut ResolverOpts = builder.options_mut();
        o.timeout = (options.timeout / 2).max(Duration::from_millis(50));
        o.attempts = 2;
        o.cache_size = 0;
        o.ndots = 0;
        o.use_hosts_file = ResolveHosts::Never;
        o.preserve_intermediates = true;
        Ok(HickoryDns {
            resolver: builder.build(),
            timeout: options.timeout,
        })
    }

    async fn ask(&self, name: &str, rtype: RecordType) -> Lookup {
        use hickory_resolver::proto::rr::{Name, RData, RecordType as HType};
        let name = normalize(name);
        if !is_valid_name(&name) {
            return Lookup::direct(Answer::BadName);
        }
        let Ok(fqdn) = Name::from_ascii(format!("{name}.")) else {
            return Lookup::direct(Answer::BadName);
        };
        let htype = match rtype {
            RecordType::A => HType::A,
            RecordType::Aaaa => HType::AAAA,
            RecordType::Mx => HType::MX,
            RecordType::Txt => HType::TXT,
            RecordType::Ptr => HType::PTR,
            RecordType::Cname => HType::CNAME,
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
