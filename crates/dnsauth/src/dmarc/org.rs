//! The organisational domain, both ways: RFC 7489's public-suffix view (the Public Suffix List
//! compiled into the `psl` crate) and RFC 9989's DNS tree walk, driven by a lookup closure so the
//! DNS layer (or a test's in-memory zone) answers the queries.

use super::{is_dmarc, parse, DmarcError, ParsedDmarc, PsdFlag};

/// The most labels the tree walk keeps after its first query (RFC 9989 section 4.10: a longer
/// name jumps to its last seven labels, so a walk makes at most eight queries).
pub const TREE_WALK_MAX_LABELS: usize = 7;

/// The registrable domain of `name` by the Public Suffix List (RFC 7489's organisational
/// domain): `None` for a public suffix itself, an empty label or a leading dot. Case is folded;
/// one trailing root dot is accepted.
pub fn psl_organizational_domain(name: &str) -> Option<String> {
    let name = name.strip_suffix('.').unwrap_or(name).to_lowercase();
    if name.is_empty() || name.split('.').any(str::is_empty) {
        return None;
    }
    let domain = psl::domain(name.as_bytes())?;
    let labels = domain.as_bytes().split(|&b| b == b'.').count();
    let parts: Vec<&str> = name.split('.').collect();
    parts
        .len()
        .checked_sub(labels)
        .map(|skip| parts[skip..].join("."))
}

/// The names a tree walk from `domain` asks about, in order (without the `_dmarc.` prefix): the
/// domain, then (for eight labels or more) its last seven labels, then one label fewer each
/// time down to the top-level domain.
pub fn tree_walk_names(domain: &str) -> Vec<String> {
    let domain = domain
        .strip_suffix('.')
        .unwrap_or(domain)
        .to_ascii_lowercase();
    let labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
    let n = labels.len();
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    out.push(labels.join("."));
    let mut keep = if n > TREE_WALK_MAX_LABELS {
        TREE_WALK_MAX_LABELS
    } else {
        n - 1
    };
    while keep >= 1 {
        out.push(labels[n - keep..].join("."));
        keep -= 1;
    }
    out
}

/// What one `_dmarc.<name>` query found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkAnswer<E> {
    /// No TXT record starting with `v=DMARC1`.
    NoRecord,
    /// More than one DMARC record, which counts as none (RFC 9989 section 4.10).
    Multiple(usize),
    /// One DMARC record that parsed.
    Record(Box<ParsedDmarc>),
    /// One DMARC record that does not parse (counts as none).
    Invalid(DmarcError),
    /// The lookup failed (its error kept as the DNS layer gave it).
    Failed(E),
}

/// One step of a tree walk: the name asked about and the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkStep<E> {
    /// The domain whose `_dmarc` name was queried.
    pub name: String,
    /// What was found there.
    pub answer: WalkAnswer<E>,
}

impl<E> WalkStep<E> {
    fn record(&self) -> Option<&ParsedDmarc> {
        match &self.answer {
            WalkAnswer::Record(r) => Some(r),
            _ => None,
        }
    }
}

/// Why the tree walk chose its organisational domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgBasis {
    /// A record with `psd=n` was found there.
    PsdNo,
    /// A record with `psd=y` was found one label above.
    BelowPublicSuffix,
    /// The record nearest the root (no `psd=` flag decided).
    HighestRecord,
    /// No DMARC record anywhere on the walk: the domain is its own organisational domain.
    NoRecord,
}

/// The RFC 9989 organisational domain and the walk that found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeWalk<E> {
    /// The organisational domain.
    pub organizational_domain: String,
    /// Why it was chosen.
    pub basis: OrgBasis,
    /// Every query made, in order.
    pub steps: Vec<WalkStep<E>>,
}

fn ask<E, F>(name: &str, lookup: &mut F) -> WalkStep<E>
where
    F: FnMut(&str) -> Result<Vec<String>, E>,
{
    let answer = match lookup(&format!("_dmarc.{name}")) {
        Err(e) => WalkAnswer::Failed(e),
        Ok(records) => {
            let dmarc: Vec<&String> = records.iter().filter(|r| is_dmarc(r)).collect();
            match dmarc.as_slice() {
                [] => WalkAnswer::NoRecord,
                [one] => match parse(one) {
                    Ok(p) => WalkAnswer::Record(Box::new(p)),
                    Err(e) => WalkAnswer::Invalid(e),
                },
                many => WalkAnswer::Multiple(many.len()),
            }
        }
    };
    WalkStep {
        name: name.to_string(),
        answer,
    }
}

/// What RFC 9989 policy discovery found: the queries made, the last one the record's when found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDiscovery<E> {
    /// Every query made, in order.
    pub steps: Vec<WalkStep<E>>,
    /// True when the last step found the policy record.
    pub found: bool,
}

impl<E> PolicyDiscovery<E> {
    /// The policy domain and its record, when one was found.
    pub fn policy(&self) -> Option<(&str, &ParsedDmarc)> {
        let last = self.steps.last().filter(|_| self.found)?;
        last.record().map(|r| (last.name.as_str(), r))
    }
}

/// RFC 9989 policy discovery: the first name on the walk with exactly one valid DMARC record.
/// `lookup` gets the full query name (`_dmarc.example.com`) and returns that name's TXT
/// records, character-strings joined.
pub fn discover_policy<E, F>(domain: &str, mut lookup: F) -> PolicyDiscovery<E>
where
    F: FnMut(&str) -> Result<Vec<String>, E>,
{
    let mut steps = Vec::new();
    for name in tree_walk_names(domain) {
        let step = ask(&name, &mut lookup);
        let found = step.record().is_some();
        steps.push(step);
        if found {
            return PolicyDiscovery { steps, found };
        }
    }
    PolicyDiscovery {
        steps,
        found: false,
    }
}

/// The RFC 9989 organisational domain of `domain` by the DNS tree walk (section 4.10.1), with
/// `lookup` as in [`discover_policy`].
pub fn tree_walk_organizational_domain<E, F>(domain: &str, mut lookup: F) -> TreeWalk<E>
where
    F: FnMut(&str) -> Result<Vec<String>, E>,
{
    let names = tree_walk_names(domain);
    let start = names.first().cloned().unwrap_or_default();
    let start_labels: Vec<&str> = start.split('.').collect();
    let mut steps: Vec<WalkStep<E>> = Vec::new();
    let mut highest: Option<String> = None;
    for (i, name) in names.iter().enumerate() {
        let step = ask(name, &mut lookup);
        let psd = step.record().map(|r| r.record.psd);
        steps.push(step);
        let decided = match psd {
            None => None,
            Some(PsdFlag::No) => Some((name.clone(), OrgBasis::PsdNo)),
            Some(PsdFlag::Yes) if i > 0 => {
                let labels = name.split('.').count() + 1;
                let below = start_labels[start_labels.len().saturating_sub(labels)..].join(".");
                Some((below, OrgBasis::BelowPublicSuffix))
            }
            Some(_) => {
                highest = Some(name.clone());
                None
            }
        };
        if let Some((organizational_domain, basis)) = decided {
            return TreeWalk {
                organizational_domain,
                basis,
                steps,
            };
        }
    }
    let (organizational_domain, basis) = match highest {
        Some(h) => (h, OrgBasis::HighestRecord),
        None => (start, OrgBasis::NoRecord),
    };
    TreeWalk {
        organizational_domain,
        basis,
        steps,
    }
}

/// The organisational domain by both views, and whether they differ (a checker shows both then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgDomainViews<E> {
    /// RFC 7489's public-suffix view (`None` when the name is itself a public suffix).
    pub public_suffix: Option<String>,
    /// RFC 9989's tree walk.
    pub tree_walk: TreeWalk<E>,
}

impl<E> OrgDomainViews<E> {
    /// True when the two views name different organisational domains.
    pub fn differ(&self) -> bool {
        self.public_suffix.as_deref() != Some(self.tree_walk.organizational_domain.as_str())
    }
}

/// Both views of `domain`'s organisational domain, with `lookup` as in [`discover_policy`].
pub fn organizational_domain_views<E, F>(domain: &str, lookup: F) -> OrgDomainViews<E>
where
    F: FnMut(&str) -> Result<Vec<String>, E>,
{
    OrgDomainViews {
        public_suffix: psl_organizational_domain(domain),
        tree_walk: tree_walk_organizational_domain(domain, lookup),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn zone(entries: &[(&str, &str)]) -> impl FnMut(&str) -> Result<Vec<String>, ()> {
        let map: HashMap<String, String> = entries
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        move |name| Ok(map.get(name).cloned().into_iter().collect())
    }

    #[test]
    fn long_names_jump_to_seven_labels() {
        let names = tree_walk_names("a.b.c.d.e.f.g.h.example.com");
        assert_eq!(names.len(), 8);
        assert_eq!(names[1], "d.e.f.g.h.example.com");
        assert_eq!(names.last().map(String::as_str), Some("com"));
        assert_eq!(
            tree_walk_names("mail.example.com"),
            ["mail.example.com", "example.com", "com"]
        );
    }

    #[test]
    fn the_walk_picks_the_highest_record_or_stops_at_psd() {
        let mut z = zone(&[("_dmarc.example.com", "v=DMARC1; p=reject")]);
        let w = tree_walk_organizational_domain("a.mail.example.com", &mut z);
        assert_eq!(w.organizational_domain, "example.com");
        assert_eq!(w.basis, OrgBasis::HighestRecord);
        assert_eq!(w.steps.len(), 4);

        let z = zone(&[
            ("_dmarc.mail.example.com", "v=DMARC1; p=reject; psd=n"),
            ("_dmarc.example.com", "v=DMARC1; p=reject"),
        ]);
        let w = tree_walk_organizational_domain("a.mail.example.com", z);
        assert_eq!(
            (w.organizational_domain.as_str(), w.basis),
            ("mail.example.com", OrgBasis::PsdNo)
        );

        let z = zone(&[("_dmarc.b.example.com", "v=DMARC1; p=none; psd=y")]);
        let v = organizational_domain_views("x.a.b.example.com", z);
        assert_eq!(v.tree_walk.organizational_domain, "a.b.example.com");
        assert_eq!(v.tree_walk.basis, OrgBasis::BelowPublicSuffix);
        assert!(v.differ(), "the PSL sees example.com");

        let w = tree_walk_organizational_domain("x.example.org", zone(&[]));
        assert_eq!(
            (w.organizational_domain.as_str(), w.basis),
            ("x.example.org", OrgBasis::NoRecord)
        );
    }

    #[test]
    fn policy_discovery_stops_at_the_first_single_valid_record() {
        let z = zone(&[
            ("_dmarc.mail.example.com", "v=DMARC1; p=bogus"),
            ("_dmarc.example.com", "v=DMARC1; p=quarantine"),
        ]);
        let d = discover_policy("mail.example.com", z);
        assert_eq!(d.policy().map(|(name, _)| name), Some("example.com"));
        assert_eq!(d.steps.len(), 2);
        assert!(matches!(d.steps[0].answer, WalkAnswer::Invalid(_)));
        let failing = |_: &str| Err::<Vec<String>, &str>("timeout");
        let d = discover_policy("example.com", failing);
        assert!(d.policy().is_none());
        assert!(matches!(d.steps[0].answer, WalkAnswer::Failed("timeout")));
    }
}
