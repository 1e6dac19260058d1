//! `check_host()` (RFC 7208 sections 4 to 7) over any [`Resolver`], recording the trace.

use super::record::{
    self, Directive, MacroLetter, MacroPart, MacroString, Mechanism, Modifier, Qualifier, Record,
    Term, TermKind,
};
use super::{Evaluation, Matched, Outcome, Problem, Query, SpfResult, Step, Trace, Via, Warning};
use crate::dns::{is_valid_name, normalize, reverse_name, Answer, Lookup, RecordType, Resolver};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// The client being checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The connecting IP; `None` walks the whole record tree with nothing matching but `all`,
    /// to count what every term costs.
    pub ip: Option<IpAddr>,
    /// The MAIL FROM address; empty for the null sender (the HELO name is checked then).
    pub sender: String,
    /// The HELO/EHLO name.
    pub helo: String,
}

/// Limits and the values of the explanation-only macros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// DNS-querying terms allowed (RFC 7208: 10).
    pub max_lookups: u32,
    /// Void lookups allowed (RFC 7208: 2).
    pub max_void_lookups: u32,
    /// Exchangers an `mx` may name, and PTR names a `ptr` looks at (RFC 7208: 10).
    pub max_names: usize,
    /// The receiving host's domain, `%{r}` (RFC 7208: "unknown" when not known).
    pub receiver: String,
    /// Seconds since the epoch, `%{t}`.
    pub timestamp: u64,
    /// How long the whole check may take; queries after it are not sent and count as timeouts,
    /// so the result is `temperror` (RFC 7208 4.6.4: at least 20 seconds).
    pub time_limit: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_lookups: 10,
            max_void_lookups: 2,
            max_names: 10,
            receiver: "unknown".to_string(),
            timestamp: 0,
            time_limit: Duration::from_secs(20),
        }
    }
}

/// Records longer than this get [`Warning::LongRecord`] (RFC 7208 3.4).
const LONG_RECORD: usize = 450;
/// Lookups from which [`Warning::LookupsNearLimit`] is given.
const NEAR_LIMIT: u32 = 8;

/// Runs `check_host()` for `client` and returns the result with its trace.
pub async fn check<R: Resolver>(dns: &R, client: &Client, options: &Options) -> Evaluation {
    let (local, domain) = identity(client);
    let ip = client.ip.map(|ip| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    });
    let mut e = Eval {
        dns,
        options,
        ip,
        local,
        sender_domain: domain.clone(),
        helo: client.helo.clone(),
        lookups: 0,
        void: 0,
        chain: Vec::new(),
        warnings: Vec::new(),
        ptr_names: None,
        end: Instant::now().checked_add(options.time_limit),
    };
    let host = if is_checkable(&domain) {
        e.check_host(normalize(&domain), Via::Top).await
    } else {
        HostResult::new(
            Trace::new(domain.clone(), Via::Top),
            SpfResult::None,
            Some(Problem::InvalidDomain { domain }),
        )
    };
    if e.lookups >= NEAR_LIMIT.min(options.max_lookups) && e.lookups <= options.max_lookups {
        e.warnings.push(Warning::LookupsNearLimit {
            count: e.lookups,
            limit: options.max_lookups,
        });
    }
    Evaluation {
        result: host.result,
        explanation: host.explanation,
        matched: host.matched,
        problem: host.problem,
        lookups: e.lookups,
        void_lookups: e.void,
        trace: host.trace,
        warnings: e.warnings,
    }
}

/// The local part and domain to check: MAIL FROM, or `postmaster@HELO` for the null sender.
fn identity(client: &Client) -> (String, String) {
    let (local, domain) = if client.sender.is_empty() {
        ("", client.helo.as_str())
    } else {
        match client.sender.rsplit_once('@') {
            Some((l, d)) => (l, d),
            None => ("", client.sender.as_str()),
        }
    };
    let local = if local.is_empty() {
        "postmaster"
    } else {
        local
    };
    (local.to_string(), domain.to_string())
}

/// RFC 7208 4.3: a multi-label domain name with labels of 1 to 63 bytes, not a literal.
fn is_checkable(domain: &str) -> bool {
    let d = domain.strip_suffix('.').unwrap_or(domain);
    !d.starts_with('[') && d.contains('.') && is_valid_name(d)
}

/// A check stopped early with an error result.
struct Stop(SpfResult, Problem);

/// The outcome of one domain's record.
struct HostResult {
    result: SpfResult,
    explanation: Option<String>,
    problem: Option<Problem>,
    matched: Vec<Matched>,
    trace: Trace,
}

impl HostResult {
    fn new(mut trace: Trace, result: SpfResult, problem: Option<Problem>) -> Self {
        trace.result = result;
        HostResult {
            result,
            explanation: None,
            problem,
            matched: Vec::new(),
            trace,
        }
    }
}

impl Trace {
    fn new(domain: String, via: Via) -> Self {
        Trace {
            domain,
            via,
            query: None,
            record: None,
            len: 0,
            steps: Vec::new(),
            children: Vec::new(),
            result: SpfResult::None,
        }
    }
}

impl Step {
    fn new(rec: &Record, term: &Term, lookups: u32, outcome: Outcome) -> Self {
        Step {
            term: rec
                .text
                .get(term.span.clone())
                .unwrap_or_default()
                .to_string(),
            position: term.span.start,
            lookups,
            queries: Vec::new(),
            outcome,
        }
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

struct Eval<'a, R> {
    dns: &'a R,
    options: &'a Options,
    ip: Option<IpAddr>,
    local: String,
    sender_domain: String,
    helo: String,
    lookups: u32,
    void: u32,
    /// The domains being evaluated, outermost first (loop detection).
    chain: Vec<String>,
    warnings: Vec<Warning>,
    /// The client's validated PTR names, once asked (`ptr` and `%{p}` share them).
    ptr_names: Option<Vec<String>>,
    /// When the time limit is reached (`None`: too far to represent).
    end: Option<Instant>,
}

impl<R: Resolver> Eval<'_, R> {
    async fn query(&self, name: &str, rtype: RecordType) -> (Lookup, Query) {
        let l = if self.end.is_some_and(|end| Instant::now() >= end) {
            Lookup::direct(Answer::Timeout)
        } else {
            self.dns.lookup(name, rtype).await
        };
        let q = Query {
            name: name.to_string(),
            rtype,
            cnames: l.cnames.clone(),
            answer: l.answer.clone(),
        };
        (l, q)
    }

    fn check_host(&mut self, domain: String, via: Via) -> BoxFuture<'_, HostResult> {
        Box::pin(async move {
            let mut trace = Trace::new(domain.clone(), via);
            if self.chain.contains(&domain) {
                return HostResult::new(
                    trace,
                    SpfResult::PermError,
                    Some(Problem::Loop { domain }),
                );
            }
            let (l, q) = self.query(&domain, RecordType::Txt).await;
            trace.query = Some(q);
            if l.answer.is_error() {
                let problem = Problem::Dns {
                    name: domain,
                    rtype: RecordType::Txt,
                    answer: l.answer,
                };
                return HostResult::new(trace, SpfResult::TempError, Some(problem));
            }
            let spf: Vec<Vec<u8>> = l
                .txt()
                .map(<[Vec<u8>]>::concat)
                .filter(|t| record::is_spf1(t))
                .collect();
            match spf.len() {
                0 => {
                    let problem = Problem::NoRecord { domain };
                    return HostResult::new(trace, SpfResult::None, Some(problem));
                }
                1 => {}
                count => {
                    let problem = Problem::MultipleRecords { domain, count };
                    return HostResult::new(trace, SpfResult::PermError, Some(problem));
                }
            }
            let rec = record::parse(&spf[0]);
            trace.record = Some(rec.text.clone());
            trace.len = rec.len;
            if !rec.errors.is_empty() {
                let problem = Problem::Syntax {
                    domain,
                    errors: rec.errors,
                };
                return HostResult::new(trace, SpfResult::PermError, Some(problem));
            }
            self.note_warnings(&rec, &domain);
            self.chain.push(domain.clone());
            let mut out = self.run(&rec, &domain, &mut trace).await;
            self.chain.pop();
            trace.result = out.result;
            out.trace = trace;
            out
        })
    }

    fn note_warnings(&mut self, rec: &Record, domain: &str) {
        let top = self.chain.is_empty();
        self.warnings.extend(
            lint(rec, domain)
                .into_iter()
                .filter(|w| top || !matches!(w, Warning::NoAll { .. })),
        );
    }

    /// Evaluates the terms of `rec` (the record of `domain`) in order, then `redirect=`.
    async fn run(&mut self, rec: &Record, domain: &str, trace: &mut Trace) -> HostResult {
        let empty = || Trace::new(String::new(), Via::Top);
        for term in &rec.terms {
            let TermKind::Directive(d) = &term.kind else {
                continue;
            };
            let mut step = Step::new(rec, term, 0, Outcome::NoMatch);
            let matched = match self.mechanism(&d.mechanism, domain, &mut step, trace).await {
                Ok(m) => m,
                Err(Stop(result, problem)) => {
                    step.outcome = Outcome::Error;
                    trace.steps.push(step);
                    return HostResult::new(empty(), result, Some(problem));
                }
            };
            if !matched.0 {
                trace.steps.push(step);
                continue;
            }
            step.outcome = Outcome::Match;
            let result = match d.qualifier {
                Qualifier::Pass => SpfResult::Pass,
                Qualifier::Fail => SpfResult::Fail,
                Qualifier::SoftFail => SpfResult::SoftFail,
                Qualifier::Neutral => SpfResult::Neutral,
            };
            let mut out = HostResult::new(empty(), result, None);
            out.matched.push(Matched {
                domain: domain.to_string(),
                term: step.term.clone(),
                position: step.position,
            });
            out.matched.extend(matched.1);
            trace.steps.push(step);
            let has_exp = rec
                .terms
                .iter()
                .any(|t| matches!(t.kind, TermKind::Modifier(Modifier::Exp(_))));
            if result == SpfResult::Fail && has_exp {
                out.explanation = self.explanation(rec, domain).await;
                if out.explanation.is_none() {
                    self.warnings.push(Warning::ExplanationUnavailable {
                        domain: domain.to_string(),
                    });
                }
            }
            return out;
        }
        let redirect = rec.terms.iter().find_map(|t| match &t.kind {
            TermKind::Modifier(Modifier::Redirect(m)) => Some((t, m)),
            _ => None,
        });
        let Some((term, target)) = redirect else {
            return HostResult::new(empty(), SpfResult::Neutral, None);
        };
        let mut step = Step::new(rec, term, 1, Outcome::Match);
        if let Err(Stop(result, problem)) = self.count_lookup(domain) {
            step.outcome = Outcome::Error;
            trace.steps.push(step);
            return HostResult::new(empty(), result, Some(problem));
        }
        let target = self.target(target, domain).await;
        let child = self.child(&target, Via::Redirect).await;
        trace.steps.push(step);
        let mut out = HostResult::new(empty(), child.result, child.problem);
        out.explanation = child.explanation;
        out.matched = child.matched;
        trace.children.push(child.trace);
        if out.result == SpfResult::None {
            out.result = SpfResult::PermError;
            out.problem = Some(Problem::TargetWithoutRecord { domain: target });
        }
        out
    }

    /// Counts a DNS-querying term against the limit (RFC 7208 4.6.4).
    fn count_lookup(&mut self, domain: &str) -> Result<(), Stop> {
        self.lookups += 1;
        let limit = self.options.max_lookups;
        over(self.lookups, limit, || Problem::TooManyLookups {
            domain: domain.to_string(),
            limit,
        })
    }

    /// Counts a void lookup against its limit (RFC 7208 4.6.4).
    fn count_void(&mut self, domain: &str) -> Result<(), Stop> {
        self.void += 1;
        let limit = self.options.max_void_lookups;
        over(self.void, limit, || Problem::TooManyVoidLookups {
            domain: domain.to_string(),
            limit,
        })
    }

    /// Asks `name` and records the query in `step`. A DNS failure stops the check with
    /// `temperror` (RFC 7208 5); with `void_for`, an empty answer counts as a void lookup.
    async fn ask(
        &mut self,
        name: &str,
        rtype: RecordType,
        step: &mut Step,
        void_for: Option<&str>,
    ) -> Result<Lookup, Stop> {
        let (l, q) = self.query(name, rtype).await;
        let stop = l.answer.is_error().then(|| Self::dns_stop(&q));
        step.queries.push(q);
        if let Some(stop) = stop {
            return Err(stop);
        }
        if let Some(domain) = void_for.filter(|_| l.answer.is_void()) {
            self.count_void(domain)?;
        }
        Ok(l)
    }

    /// The evaluation of an include or redirect target (`none` for an invalid name).
    async fn child(&mut self, target: &str, via: Via) -> HostResult {
        if is_valid_name(target) {
            return self.check_host(target.to_string(), via).await;
        }
        let problem = Problem::InvalidDomain {
            domain: target.to_string(),
        };
        HostResult::new(
            Trace::new(target.to_string(), via),
            SpfResult::None,
            Some(problem),
        )
    }

    /// A DNS failure ends the check with `temperror` (RFC 7208 5).
    fn dns_stop(q: &Query) -> Stop {
        Stop(
            SpfResult::TempError,
            Problem::Dns {
                name: q.name.clone(),
                rtype: q.rtype,
                answer: q.answer.clone(),
            },
        )
    }

    /// Whether `mechanism` matches; for an `include`, also the matched terms inside it.
    async fn mechanism(
        &mut self,
        mechanism: &Mechanism,
        domain: &str,
        step: &mut Step,
        trace: &mut Trace,
    ) -> Result<(bool, Vec<Matched>), Stop> {
        if mechanism.costs_lookup() {
            step.lookups = 1;
            self.count_lookup(domain)?;
        }
        let ip = self.ip;
        let in_net =
            |addr: IpAddr, v4: u8, v6: u8| ip.is_some_and(|ip| in_network(ip, addr, v4, v6));
        let matched = match mechanism {
            Mechanism::All => true,
            Mechanism::Ip4 { addr, prefix } => in_net(IpAddr::V4(*addr), *prefix, 0),
            Mechanism::Ip6 { addr, prefix } => in_net(IpAddr::V6(*addr), 0, *prefix),
            Mechanism::A {
                domain: spec,
                v4,
                v6,
            } => {
                let target = self.target_or(spec.as_ref(), domain).await;
                let l = self
                    .ask(&target, self.address_type(), step, Some(domain))
                    .await?;
                let found = l.addresses().any(|a| in_net(a, *v4, *v6));
                found
            }
            Mechanism::Mx {
                domain: spec,
                v4,
                v6,
            } => {
                let target = self.target_or(spec.as_ref(), domain).await;
                let l = self
                    .ask(&target, RecordType::Mx, step, Some(domain))
                    .await?;
                let hosts: Vec<String> = l
                    .mx()
                    .filter(|m| !m.exchange.is_empty())
                    .map(|m| m.exchange.clone())
                    .collect();
                if hosts.len() > self.options.max_names {
                    return Err(Stop(
                        SpfResult::PermError,
                        Problem::TooManyMx {
                            domain: target,
                            count: hosts.len(),
                        },
                    ));
                }
                let mut found = false;
                for host in hosts {
                    let l = self.ask(&host, self.address_type(), step, None).await?;
                    if l.addresses().any(|a| in_net(a, *v4, *v6)) {
                        found = true;
                        break;
                    }
                }
                found
            }
            Mechanism::Ptr(spec) => {
                let target = self.target_or(spec.as_ref(), domain).await;
                let names = self.validated_names(&mut step.queries).await;
                names
                    .iter()
                    .any(|n| n == &target || n.ends_with(&format!(".{target}")))
            }
            Mechanism::Exists(spec) => {
                let target = self.target(spec, domain).await;
                let l = self.ask(&target, RecordType::A, step, Some(domain)).await?;
                self.ip.is_some() && l.addresses().next().is_some()
            }
            Mechanism::Include(spec) => {
                let target = self.target(spec, domain).await;
                let child = self.child(&target, Via::Include).await;
                let result = child.result;
                trace.children.push(child.trace);
                match result {
                    SpfResult::Pass => return Ok((true, child.matched)),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => false,
                    SpfResult::TempError => {
                        return Err(Stop(
                            SpfResult::TempError,
                            child
                                .problem
                                .unwrap_or(Problem::NoRecord { domain: target }),
                        ))
                    }
                    SpfResult::None => {
                        return Err(Stop(
                            SpfResult::PermError,
                            Problem::TargetWithoutRecord { domain: target },
                        ))
                    }
                    SpfResult::PermError => {
                        return Err(Stop(
                            SpfResult::PermError,
                            child
                                .problem
                                .unwrap_or(Problem::NoRecord { domain: target }),
                        ))
                    }
                }
            }
        };
        Ok((matched, Vec::new()))
    }

    /// A for an IPv4 client, AAAA for IPv6 (A when walking without a client).
    fn address_type(&self) -> RecordType {
        match self.ip {
            Some(IpAddr::V6(_)) => RecordType::Aaaa,
            _ => RecordType::A,
        }
    }

    /// The names of the client's PTR records that resolve back to it (RFC 7208 5.5).
    async fn validated_names(&mut self, queries: &mut Vec<Query>) -> Vec<String> {
        if let Some(names) = &self.ptr_names {
            return names.clone();
        }
        let Some(ip) = self.ip else {
            return Vec::new();
        };
        let (l, q) = self.query(&reverse_name(ip), RecordType::Ptr).await;
        queries.push(q);
        let names: Vec<String> = l
            .ptr()
            .take(self.options.max_names)
            .map(str::to_string)
            .collect();
        let mut out = Vec::new();
        for name in names {
            let (l, q) = self.query(&name, self.address_type()).await;
            queries.push(q);
            if l.addresses().any(|a| a == ip) {
                out.push(name);
            }
        }
        self.ptr_names = Some(out.clone());
        out
    }

    /// The target of a mechanism: its domain-spec expanded, or the current domain.
    async fn target_or(&mut self, spec: Option<&MacroString>, domain: &str) -> String {
        match spec {
            Some(m) => self.target(m, domain).await,
            None => domain.to_string(),
        }
    }

    /// A domain-spec expanded, trimmed to 253 bytes from the left (RFC 7208 7.3).
    async fn target(&mut self, spec: &MacroString, domain: &str) -> String {
        let mut t = self.expand(spec, domain).await;
        if t.ends_with('.') {
            t.pop();
        }
        while t.len() > 253 {
            match t.find('.') {
                Some(p) => {
                    t.drain(..=p);
                }
                None => break,
            }
        }
        t.to_ascii_lowercase()
    }

    /// The `exp=` text for a `fail` (RFC 7208 6.2); `None` when anything goes wrong.
    async fn explanation(&mut self, rec: &Record, domain: &str) -> Option<String> {
        let spec = rec.terms.iter().find_map(|t| match &t.kind {
            TermKind::Modifier(Modifier::Exp(m)) => Some(m),
            _ => None,
        })?;
        let target = self.target(spec, domain).await;
        if !is_valid_name(&target) {
            return None;
        }
        let (l, _) = self.query(&target, RecordType::Txt).await;
        let mut txt = l.txt();
        let (Some(one), None) = (txt.next(), txt.next()) else {
            return None;
        };
        let text = one.concat();
        let text = std::str::from_utf8(&text).ok()?;
        let m = record::macro_string(text, 0, true).ok()?;
        Some(self.expand(&m, domain).await)
    }

    /// Expands a macro string for the current domain (RFC 7208 7.3).
    async fn expand(&mut self, m: &MacroString, domain: &str) -> String {
        let mut out = String::new();
        for part in &m.parts {
            let mac = match part {
                MacroPart::Literal(s) => {
                    out.push_str(s);
                    continue;
                }
                MacroPart::Macro(mac) => mac,
            };
            let value = match mac.letter {
                MacroLetter::Sender => format!("{}@{}", self.local, self.sender_domain),
                MacroLetter::Local => self.local.clone(),
                MacroLetter::SenderDomain => self.sender_domain.clone(),
                MacroLetter::Domain => domain.to_string(),
                MacroLetter::Helo => self.helo.clone(),
                MacroLetter::Ip => match self.ip {
                    Some(IpAddr::V6(v6)) => {
                        let r = reverse_name(IpAddr::V6(v6));
                        let nibbles: Vec<&str> = r.split('.').take(32).collect();
                        nibbles.into_iter().rev().collect::<Vec<_>>().join(".")
                    }
                    Some(v4) => v4.to_string(),
                    None => "0.0.0.0".to_string(),
                },
                MacroLetter::ClientIp => self
                    .ip
                    .map_or_else(|| "0.0.0.0".to_string(), |ip| ip.to_string()),
                MacroLetter::Version => match self.ip {
                    Some(IpAddr::V6(_)) => "ip6".to_string(),
                    _ => "in-addr".to_string(),
                },
                MacroLetter::Ptr => self.ptr_macro(domain).await,
                MacroLetter::Receiver => self.options.receiver.clone(),
                MacroLetter::Timestamp => self.options.timestamp.to_string(),
            };
            let delimiters = if mac.delimiters.is_empty() {
                "."
            } else {
                mac.delimiters.as_str()
            };
            let mut parts: Vec<&str> = value.split(|c| delimiters.contains(c)).collect();
            if mac.reverse {
                parts.reverse();
            }
            if let Some(keep) = mac.keep {
                let keep = usize::try_from(keep).unwrap_or(usize::MAX);
                if parts.len() > keep {
                    parts.drain(..parts.len() - keep);
                }
            }
            let joined = parts.join(".");
            if mac.escape {
                url_escape(&joined, &mut out);
            } else {
                out.push_str(&joined);
            }
        }
        out
    }

    /// `%{p}`: a validated name of the client, preferring `domain` or a subdomain of it.
    async fn ptr_macro(&mut self, domain: &str) -> String {
        let mut queries = Vec::new();
        let names = self.validated_names(&mut queries).await;
        let suffix = format!(".{domain}");
        names
            .iter()
            .find(|n| *n == domain)
            .or_else(|| names.iter().find(|n| n.ends_with(&suffix)))
            .or_else(|| names.first())
            .cloned()
            .unwrap_or_else(|| "unknown".to_string())
    }
}

/// `permerror` with `problem` once `count` is over `limit`.
fn over(count: u32, limit: u32, problem: impl FnOnce() -> Problem) -> Result<(), Stop> {
    if count > limit {
        return Err(Stop(SpfResult::PermError, problem()));
    }
    Ok(())
}

/// The warnings a record gives by itself, whatever the client: `+all`, `?all`, `ptr`, terms
/// after `all` that are never evaluated, unknown modifiers, its length, and no `all` nor
/// `redirect` (normal in an included record, so evaluation keeps that one for the top only).
pub fn lint(rec: &Record, domain: &str) -> Vec<Warning> {
    let d = || domain.to_string();
    let mut out = Vec::new();
    if rec.len > LONG_RECORD {
        out.push(Warning::LongRecord {
            domain: d(),
            len: rec.len,
        });
    }
    let mut all = false;
    let mut ends = false;
    for t in &rec.terms {
        let after_all = all;
        match &t.kind {
            TermKind::Directive(Directive {
                qualifier,
                mechanism: Mechanism::All,
            }) => {
                all = true;
                ends = true;
                match qualifier {
                    Qualifier::Pass => out.push(Warning::PlusAll { domain: d() }),
                    Qualifier::Neutral => out.push(Warning::NeutralAll { domain: d() }),
                    Qualifier::Fail | Qualifier::SoftFail => {}
                }
            }
            TermKind::Directive(Directive {
                mechanism: Mechanism::Ptr(_),
                ..
            }) => out.push(Warning::PtrUsed { domain: d() }),
            TermKind::Modifier(Modifier::Redirect(_)) => ends = true,
            TermKind::Modifier(Modifier::Unknown { name, .. })
                if !REPORTING_MODIFIERS
                    .iter()
                    .any(|r| name.eq_ignore_ascii_case(r)) =>
            {
                out.push(Warning::UnknownModifier {
                    domain: d(),
                    name: name.clone(),
                });
            }
            _ => {}
        }
        let ignored = matches!(
            t.kind,
            TermKind::Directive(_) | TermKind::Modifier(Modifier::Redirect(_))
        );
        if after_all
            && ignored
            && !out
                .iter()
                .any(|w| matches!(w, Warning::IgnoredAfterAll { .. }))
        {
            out.push(Warning::IgnoredAfterAll {
                domain: d(),
                position: t.span.start,
            });
        }
    }
    if !ends {
        out.push(Warning::NoAll { domain: d() });
    }
    out
}

/// The RFC 6652 reporting modifiers, which are known even though evaluation ignores them.
const REPORTING_MODIFIERS: [&str; 3] = ["ra", "rp", "rr"];

/// Percent-encodes every byte outside RFC 3986's unreserved set.
fn url_escape(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// Whether `ip` is within `net`/`v4` (IPv4) or `net`/`v6` (IPv6); families never mix.
fn in_network(ip: IpAddr, net: IpAddr, v4: u8, v6: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(v4.min(32)))
                .unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(v6.min(128)))
                .unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(in_network(ip("192.0.2.77"), ip("192.0.2.0"), 24, 0));
        assert!(!in_network(ip("192.0.3.1"), ip("192.0.2.0"), 24, 0));
        assert!(in_network(ip("203.0.113.9"), ip("0.0.0.0"), 0, 0));
        assert!(in_network(ip("2001:db8::1"), ip("2001:db8::"), 0, 32));
        assert!(!in_network(ip("2001:db9::1"), ip("2001:db8::"), 0, 32));
        assert!(!in_network(ip("192.0.2.1"), ip("::"), 0, 0));
    }
}
