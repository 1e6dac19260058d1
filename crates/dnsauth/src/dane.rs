//! DANE for SMTP (RFC 6698, RFC 7671, RFC 7672): the TLSA records at `_25._tcp.<mx>`, what is
//! wrong with them (an undefined usage, selector or matching type, data of the wrong length,
//! PKIX usages that SMTP ignores, no second record for a key rollover), whether their answer
//! was DNSSEC-validated (TLSA is only usable then, RFC 7672 2.2), and whether a certificate chain
//! (as DER, leaf first) matches them.
//!
//! ```
//! use smtp_doctor_dnsauth::dane::{parse_tlsa, record_problems, TlsaProblem};
//!
//! let t = parse_tlsa("3 1 1 00ff").unwrap();
//! assert_eq!(record_problems(&t), [TlsaProblem::BadLength { matching: 1, expected: 32, found: 2 }]);
//! ```

pub use crate::dns::DnssecState;
use crate::dns::{normalize, AnswerKind, RecordType, Resolver, Tlsa};
use crate::evidence::{dns_evidence, join_names};
use serde::Serialize;
use smtp_doctor_model::{Evidence, Stage};
use thiserror::Error;

/// The most TLSA records of one answer that are kept and matched.
pub const MAX_RECORDS: usize = 16;
/// The longest association data accepted in a record's text (a full certificate, matching
/// type 0, can be a few KiB; 64 KiB is the most an RRset can hold).
pub const MAX_DATA_BYTES: usize = 65_535;
/// The most certificates of a chain that are matched.
pub const MAX_CHAIN: usize = 16;

/// A TLSA record's text could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TlsaSyntaxError {
    /// Fewer than three numbers and data.
    #[error("a TLSA record needs a usage, a selector, a matching type and data")]
    Missing,
    /// A usage, selector or matching type that is not a number from 0 to 255.
    #[error("the usage, selector and matching type must be numbers from 0 to 255")]
    BadNumber,
    /// Data that is not hexadecimal digits in pairs.
    #[error("the certificate association data is not hexadecimal (an even number of digits)")]
    BadHex,
    /// Data over [`MAX_DATA_BYTES`].
    #[error("the certificate association data is longer than a DNS record can hold")]
    TooLong,
}

/// Reads a TLSA record in presentation format, `3 1 1 <hex>` (RFC 6698 section 2.2): three
/// numbers, then the data as hexadecimal that may be split by white space. Any number from 0
/// to 255 is accepted; [`record_problems`] says which are undefined.
pub fn parse_tlsa(text: &str) -> Result<Tlsa, TlsaSyntaxError> {
    let mut fields = text.split_ascii_whitespace();
    let mut number = || -> Result<u8, TlsaSyntaxError> {
        let f = fields.next().ok_or(TlsaSyntaxError::Missing)?;
        if !f.bytes().all(|b| b.is_ascii_digit()) || f.len() > 3 {
            return Err(TlsaSyntaxError::BadNumber);
        }
        f.parse().map_err(|_| TlsaSyntaxError::BadNumber)
    };
    let usage = number()?;
    let selector = number()?;
    let matching = number()?;
    let mut data = Vec::new();
    let mut any = false;
    for chunk in fields {
        any = true;
        if chunk.len() % 2 != 0 {
            return Err(TlsaSyntaxError::BadHex);
        }
        if data.len() + chunk.len() / 2 > MAX_DATA_BYTES {
            return Err(TlsaSyntaxError::TooLong);
        }
        for pair in chunk.as_bytes().chunks(2) {
            let digit = |b: u8| char::from(b).to_digit(16).ok_or(TlsaSyntaxError::BadHex);
            let hi = digit(pair[0])?;
            let lo = digit(pair[1])?;
            data.push(u8::try_from(hi * 16 + lo).map_err(|_| TlsaSyntaxError::BadHex)?);
        }
    }
    if !any {
        return Err(TlsaSyntaxError::Missing);
    }
    Ok(Tlsa {
        usage,
        selector,
        matching,
        data,
    })
}

/// The record in presentation format: `3 1 1 <lower-case hex>`.
pub fn tlsa_text(t: &Tlsa) -> String {
    format!("{} {} {} {}", t.usage, t.selector, t.matching, hex(&t.data))
}

/// `bytes` as lower-case hexadecimal, as TLSA data is written.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The SHA-256 of a DER certificate's SubjectPublicKeyInfo (the data of a `3 1 1` record);
/// `None` when it is not readable X.509.
pub fn spki_sha256(der: &[u8]) -> Option<Vec<u8>> {
    spki(der).map(|s| {
        ring::digest::digest(&ring::digest::SHA256, &s)
            .as_ref()
            .to_vec()
    })
}

/// What is wrong with one TLSA record by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TlsaProblem {
    /// A certificate usage other than 0 to 3 (RFC 6698 section 7.2): the record is unusable.
    UnknownUsage {
        /// The usage written.
        usage: u8,
    },
    /// PKIX-TA (0) or PKIX-EE (1): SMTP clients treat such records as unusable (RFC 7672
    /// section 3.1.3), since MX certificates are not checked against public CAs.
    PkixUsage {
        /// The usage written.
        usage: u8,
    },
    /// A selector other than 0 or 1 (RFC 6698 section 7.3).
    UnknownSelector {
        /// The selector written.
        selector: u8,
    },
    /// A matching type other than 0, 1 or 2 (RFC 6698 section 7.4).
    UnknownMatching {
        /// The matching type written.
        matching: u8,
    },
    /// Data whose length does not fit the matching type (32 bytes for SHA-256, 64 for
    /// SHA-512, some DER for the full value).
    BadLength {
        /// The matching type.
        matching: u8,
        /// The length the matching type requires (0: any, but not empty).
        expected: usize,
        /// The length written.
        found: usize,
    },
}

/// What is wrong with `t` by itself (empty: it is usable for SMTP).
pub fn record_problems(t: &Tlsa) -> Vec<TlsaProblem> {
    let mut out = Vec::new();
    match t.usage {
        0 | 1 => out.push(TlsaProblem::PkixUsage { usage: t.usage }),
        2 | 3 => {}
        usage => out.push(TlsaProblem::UnknownUsage { usage }),
    }
    if t.selector > 1 {
        out.push(TlsaProblem::UnknownSelector {
            selector: t.selector,
        });
    }
    let expected = match t.matching {
        0 => Some(0),
        1 => Some(32),
        2 => Some(64),
        matching => {
            out.push(TlsaProblem::UnknownMatching { matching });
            None
        }
    };
    match expected {
        Some(0) if t.data.is_empty() => out.push(TlsaProblem::BadLength {
            matching: 0,
            expected: 0,
            found: 0,
        }),
        Some(n) if n != 0 && t.data.len() != n => out.push(TlsaProblem::BadLength {
            matching: t.matching,
            expected: n,
            found: t.data.len(),
        }),
        _ => {}
    }
    out
}

/// The outcome of matching a certificate chain against TLSA records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DaneResult {
    /// A usable record matches a certificate of the chain.
    Matched {
        /// The record that matched, in presentation format.
        record: String,
        /// The certificate it matched: 0 for the server's own (leaf), 1 for its issuer, ...
        certificate: usize,
    },
    /// Usable records, and none matches the chain.
    NoMatch {
        /// How many usable records there are.
        usable: usize,
    },
    /// No record is usable for SMTP (PKIX usages, undefined numbers, wrong lengths).
    NoUsableRecord,
    /// The server presented no certificate.
    NoCertificate,
    /// A certificate of the chain could not be read as X.509 (DER), so its public key is
    /// unknown.
    BadCertificate {
        /// Its place in the chain (0 the leaf).
        certificate: usize,
    },
}

/// Matches `chain_der` (DER certificates, the server's own first, as presented) against
/// `records`: DANE-EE (3) against the leaf only, DANE-TA (2) against the certificates after it
/// (RFC 7672 section 3.1); selector 0 is the whole certificate, 1 its SubjectPublicKeyInfo;
/// matching 0 the bytes, 1 SHA-256, 2 SHA-512. Records with problems ([`record_problems`])
/// are skipped. A DANE-TA match says that the trust anchor is in the chain; it does not verify
/// the signatures from it down to the leaf, nor the leaf's name (which DANE-TA requires).
pub fn matches(records: &[Tlsa], chain_der: &[Vec<u8>]) -> DaneResult {
    let usable: Vec<&Tlsa> = records
        .iter()
        .take(MAX_RECORDS)
        .filter(|t| record_problems(t).is_empty())
        .collect();
    if usable.is_empty() {
        return DaneResult::NoUsableRecord;
    }
    if chain_der.is_empty() {
        return DaneResult::NoCertificate;
    }
    let chain = &chain_der[..chain_der.len().min(MAX_CHAIN)];
    let mut spkis: Vec<Option<Vec<u8>>> = vec![None; chain.len()];
    for t in &usable {
        let positions = if t.usage == 3 { 0..1 } else { 1..chain.len() };
        for i in positions {
            let selected: &[u8] = if t.selector == 0 {
                &chain[i]
            } else {
                if spkis[i].is_none() {
                    match spki(&chain[i]) {
                        Some(s) => spkis[i] = Some(s),
                        None => return DaneResult::BadCertificate { certificate: i },
                    }
                }
                spkis[i].as_deref().unwrap_or_default()
            };
            if digest_matches(t.matching, selected, &t.data) {
                return DaneResult::Matched {
                    record: tlsa_text(t),
                    certificate: i,
                };
            }
        }
    }
    DaneResult::NoMatch {
        usable: usable.len(),
    }
}

/// The DER of a certificate's SubjectPublicKeyInfo.
fn spki(der: &[u8]) -> Option<Vec<u8>> {
    use x509_parser::prelude::FromDer as _;
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der).ok()?;
    Some(cert.tbs_certificate.subject_pki.raw.to_vec())
}

/// Whether `selected` hashed by matching type `matching` is `data`.
fn digest_matches(matching: u8, selected: &[u8], data: &[u8]) -> bool {
    use ring::digest::{digest, SHA256, SHA512};
    match matching {
        0 => selected == data,
        1 => digest(&SHA256, selected).as_ref() == data,
        2 => digest(&SHA512, selected).as_ref() == data,
        _ => false,
    }
}

/// One TLSA record as the report keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsaEntry {
    /// The record in presentation format.
    pub text: String,
    /// What is wrong with it by itself.
    pub problems: Vec<TlsaProblem>,
}

/// What the DANE check found for one mail host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DaneReport {
    /// The mail host, lower case, without the final dot.
    pub host: String,
    /// The TCP port (25 for SMTP between servers).
    pub port: u16,
    /// The name asked: `_<port>._tcp.<host>`.
    pub name: String,
    /// The kind of the TLSA answer.
    pub answer: AnswerKind,
    /// Whether the answer was DNSSEC-validated.
    pub dnssec: DnssecState,
    /// The records (at most [`MAX_RECORDS`]).
    pub records: Vec<TlsaEntry>,
    /// The match against the certificate chain the server presented, once given
    /// ([`DaneReport::match_chain`]).
    pub chain: Option<DaneResult>,
    /// What is wrong, in the order found.
    pub problems: Vec<DaneProblem>,
    #[serde(skip)]
    tlsa: Vec<Tlsa>,
}

/// What is wrong with a mail host's DANE set-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DaneProblem {
    /// The TLSA query failed (SERVFAIL, timeout, ...): DANE senders defer mail to the host
    /// (RFC 7672 section 2.2.1).
    LookupFailed {
        /// The kind of the answer.
        answer: AnswerKind,
    },
    /// TLSA records that are not DNSSEC-secure (insecure, or not validated): senders ignore
    /// them.
    NotValidated {
        /// How many records.
        records: usize,
    },
    /// TLSA records whose DNSSEC validation failed (bogus): validating senders get SERVFAIL
    /// and defer mail to the host (RFC 7672 section 2.2).
    Bogus {
        /// How many records.
        records: usize,
    },
    /// A record with a problem of its own.
    BadRecord {
        /// The record in presentation format.
        record: String,
        /// What is wrong.
        problem: TlsaProblem,
    },
    /// Records, none usable for SMTP: DANE senders still require TLS but cannot authenticate
    /// the server (RFC 7672 section 2.2).
    NoUsableRecord,
    /// A single usable record: a key or certificate change breaks delivery until the DNS
    /// catches up (RFC 7671 section 8.1 advises a second record during a rollover).
    NoRolloverRecord {
        /// The record.
        record: String,
    },
    /// The certificate chain the server presented matches no usable record: DANE senders
    /// refuse to deliver to it.
    NoMatch {
        /// How many usable records there are.
        usable: usize,
    },
    /// A certificate of the presented chain could not be read.
    BadCertificate {
        /// Its place in the chain (0 the leaf).
        certificate: usize,
    },
}

/// The TLSA name of `host` and `port`: `_25._tcp.mx.example.com`.
pub fn tlsa_name(host: &str, port: u16) -> String {
    format!("_{port}._tcp.{}", normalize(host))
}

/// Looks up the TLSA records of `host` on `port` (25 for MX hosts) and their DNSSEC state
/// ([`Resolver::dnssec`], asked at the same time) and checks them by themselves;
/// [`DaneReport::match_chain`] adds the match against the presented certificates.
pub async fn check<R: Resolver>(dns: &R, host: &str, port: u16) -> DaneReport {
    let name = tlsa_name(host, port);
    let (lookup, dnssec) = tokio::join!(
        dns.lookup(&name, RecordType::Tlsa),
        dns.dnssec(&name, RecordType::Tlsa)
    );
    let tlsa: Vec<Tlsa> = lookup.tlsa().take(MAX_RECORDS).cloned().collect();
    let mut report = DaneReport {
        host: normalize(host),
        port,
        name,
        answer: lookup.answer.kind(),
        dnssec,
        records: Vec::new(),
        chain: None,
        problems: Vec::new(),
        tlsa,
    };
    if lookup.answer.is_error() {
        report.problems.push(DaneProblem::LookupFailed {
            answer: report.answer,
        });
        return report;
    }
    if report.tlsa.is_empty() {
        return report;
    }
    match dnssec {
        DnssecState::Secure => {}
        DnssecState::Bogus => report.problems.push(DaneProblem::Bogus {
            records: report.tlsa.len(),
        }),
        _ => report.problems.push(DaneProblem::NotValidated {
            records: report.tlsa.len(),
        }),
    }
    let mut usable = Vec::new();
    for t in &report.tlsa {
        let text = tlsa_text(t);
        let problems = record_problems(t);
        for &problem in &problems {
            report.problems.push(DaneProblem::BadRecord {
                record: text.clone(),
                problem,
            });
        }
        if problems.is_empty() {
            usable.push(text.clone());
        }
        report.records.push(TlsaEntry { text, problems });
    }
    match usable.as_slice() {
        [] => report.problems.push(DaneProblem::NoUsableRecord),
        [one] => report.problems.push(DaneProblem::NoRolloverRecord {
            record: one.clone(),
        }),
        _ => {}
    }
    report
}

/// [`check`] for every exchanger of an MX report (port 25), asked together, in MX order; the
/// null MX and the implicit MX (the domain's own name) are checked as the report has them.
pub async fn check_mx<R: Resolver>(dns: &R, mx: &crate::mx::MxReport) -> Vec<DaneReport> {
    let hosts: Vec<&str> = mx
        .exchangers
        .iter()
        .map(|e| e.host.name.as_str())
        .chain(mx.implicit.iter().map(|h| h.name.as_str()))
        .collect();
    crate::dns::join_all(hosts.into_iter().map(|h| check(dns, h, 25)).collect()).await
}

impl DaneReport {
    /// The TLSA records as read.
    pub fn tlsa(&self) -> &[Tlsa] {
        &self.tlsa
    }

    /// Matches the chain the server presented (DER, leaf first) against the records, keeps the
    /// result in [`DaneReport::chain`] and adds its problem. Without records it does nothing.
    pub fn match_chain(&mut self, chain_der: &[Vec<u8>]) -> Option<&DaneResult> {
        if self.tlsa.is_empty() {
            return None;
        }
        let result = matches(&self.tlsa, chain_der);
        match &result {
            DaneResult::NoMatch { usable } => {
                self.problems.push(DaneProblem::NoMatch { usable: *usable })
            }
            DaneResult::BadCertificate { certificate } => {
                self.problems.push(DaneProblem::BadCertificate {
                    certificate: *certificate,
                })
            }
            _ => {}
        }
        self.chain = Some(result);
        self.chain.as_ref()
    }

    /// One piece of evidence per problem, for the classifier.
    pub fn evidence(&self) -> Vec<Evidence> {
        self.problems
            .iter()
            .map(|p| dns_evidence(Some(Stage::Tls), &self.sentence(p)))
            .collect()
    }

    /// The note that the chain the server presented matches a usable record, once matched
    /// ([`DaneReport::match_chain`]); `None` before, or when it matched none. A note, not
    /// evidence: the classifier makes no finding that is not a failure from a text without a
    /// positive reply code.
    pub fn match_note(&self) -> Option<String> {
        let Some(DaneResult::Matched {
            record,
            certificate,
        }) = &self.chain
        else {
            return None;
        };
        let which = match certificate {
            0 => "its own certificate".to_string(),
            i => format!("certificate {i} of its chain"),
        };
        Some(format!(
            "the certificate chain {} presents matches the TLSA record {} {record} ({which}): DANE senders can authenticate it (RFC 7672 section 3.1)",
            self.host, self.name
        ))
    }

    /// The plain sentence that states `problem` with its facts.
    fn sentence(&self, problem: &DaneProblem) -> String {
        let (h, n) = (&self.host, &self.name);
        match problem {
            DaneProblem::LookupFailed { answer } => format!(
                "the DANE record query for {n} failed ({answer}): a DNS failure, not an answer; DANE senders defer mail to {h} until the DNS answers (RFC 7672 section 2.2)"
            ),
            DaneProblem::NotValidated { records } => format!(
                "the DANE records at {n} ({records}) are not DNSSEC-validated ({}): senders ignore them and DANE is not in force for {h} (RFC 7672 section 2.2); sign the zone",
                match self.dnssec {
                    DnssecState::Insecure => "insecure: they are in an unsigned zone",
                    _ => "this resolver does not validate",
                }
            ),
            DaneProblem::Bogus { records } => format!(
                "the TLSA records at {n} ({records}) failed DNSSEC validation (bogus): validating resolvers answer SERVFAIL for them, so DANE senders defer mail to {h} (RFC 7672 section 2.2)"
            ),
            DaneProblem::BadRecord { record, problem } => {
                let why = match problem {
                    TlsaProblem::UnknownUsage { usage } => {
                        format!("certificate usage {usage} is not defined (RFC 6698 section 7.2)")
                    }
                    TlsaProblem::PkixUsage { usage } => format!(
                        "certificate usage {usage} (PKIX) is unusable for SMTP, only DANE-TA(2) and DANE-EE(3) are (RFC 7672 section 3.1.3)"
                    ),
                    TlsaProblem::UnknownSelector { selector } => {
                        format!("selector {selector} is not defined (RFC 6698 section 7.3)")
                    }
                    TlsaProblem::UnknownMatching { matching } => {
                        format!("matching type {matching} is not defined (RFC 6698 section 7.4)")
                    }
                    TlsaProblem::BadLength {
                        expected: 0,
                        found,
                        ..
                    } => format!("the association data is {found} bytes, and a full value cannot be empty"),
                    TlsaProblem::BadLength {
                        matching,
                        expected,
                        found,
                    } => format!(
                        "the association data is {found} bytes, and matching type {matching} needs {expected}"
                    ),
                };
                format!("the TLSA record {n} {record} is unusable: {why}")
            }
            DaneProblem::NoUsableRecord => format!(
                "no TLSA record at {n} is usable for SMTP: DANE senders still require TLS to {h} but cannot authenticate it (RFC 7672 section 2.2)"
            ),
            DaneProblem::NoRolloverRecord { record } => format!(
                "{n} has a single usable DANE record ({record}): publish the next key's record beside it before a certificate or key change, or DANE senders refuse {h} until the DNS catches up (RFC 7671 section 8.1)"
            ),
            DaneProblem::NoMatch { usable } => {
                let records: Vec<String> = self
                    .records
                    .iter()
                    .filter(|r| r.problems.is_empty())
                    .map(|r| r.text.clone())
                    .collect();
                format!(
                    "the certificate {h} presents matches none of its {usable} usable TLSA record{} ({}): DANE senders refuse to deliver to it (RFC 7672 section 2.2)",
                    if *usable == 1 { "" } else { "s" },
                    join_names(&records)
                )
            }
            DaneProblem::BadCertificate { certificate } => format!(
                "certificate {certificate} of the chain {h} presents is not readable X.509, so it cannot be matched against the TLSA records at {n}"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{block_on, Answer, Rdata, Zone};

    fn cert(name: &str) -> (Vec<u8>, Vec<u8>, rcgen::KeyPair) {
        let key = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec![name.to_string()]).expect("params");
        let cert = params.self_signed(&key).expect("cert");
        let spki = rcgen::PublicKeyData::subject_public_key_info(&key);
        (cert.der().to_vec(), spki, key)
    }

    fn sha256(b: &[u8]) -> Vec<u8> {
        ring::digest::digest(&ring::digest::SHA256, b)
            .as_ref()
            .to_vec()
    }

    #[test]
    fn parses_presentation_format() {
        let t = parse_tlsa("3 1 1 AB cd\tEF01").expect("parses");
        assert_eq!((t.usage, t.selector, t.matching), (3, 1, 1));
        assert_eq!(t.data, [0xab, 0xcd, 0xef, 0x01]);
        assert_eq!(tlsa_text(&t), "3 1 1 abcdef01");
        assert_eq!(parse_tlsa("3 1"), Err(TlsaSyntaxError::Missing));
        assert_eq!(parse_tlsa("3 1 1"), Err(TlsaSyntaxError::Missing));
        assert_eq!(parse_tlsa("3 1 256 00"), Err(TlsaSyntaxError::BadNumber));
        assert_eq!(parse_tlsa("3 -1 1 00"), Err(TlsaSyntaxError::BadNumber));
        assert_eq!(parse_tlsa("3 1 1 abc"), Err(TlsaSyntaxError::BadHex));
        assert_eq!(parse_tlsa("3 1 1 zz"), Err(TlsaSyntaxError::BadHex));
        assert_eq!(parse_tlsa("3 1 1 é0"), Err(TlsaSyntaxError::BadHex));
    }

    #[test]
    fn record_problems_are_typed() {
        let zeros = |n| vec![0u8; n];
        let t = |u, s, m, d| Tlsa {
            usage: u,
            selector: s,
            matching: m,
            data: d,
        };
        assert!(record_problems(&t(3, 1, 1, zeros(32))).is_empty());
        assert!(record_problems(&t(2, 0, 2, zeros(64))).is_empty());
        assert!(record_problems(&t(3, 0, 0, zeros(300))).is_empty());
        assert_eq!(
            record_problems(&t(1, 1, 1, zeros(32))),
            [TlsaProblem::PkixUsage { usage: 1 }]
        );
        assert_eq!(
            record_problems(&t(4, 2, 3, zeros(1))),
            [
                TlsaProblem::UnknownUsage { usage: 4 },
                TlsaProblem::UnknownSelector { selector: 2 },
                TlsaProblem::UnknownMatching { matching: 3 }
            ]
        );
        assert_eq!(
            record_problems(&t(3, 1, 2, zeros(32))),
            [TlsaProblem::BadLength {
                matching: 2,
                expected: 64,
                found: 32
            }]
        );
        assert_eq!(
            record_problems(&t(3, 1, 0, vec![])),
            [TlsaProblem::BadLength {
                matching: 0,
                expected: 0,
                found: 0
            }]
        );
    }

    #[test]
    fn dane_ee_matches_the_leaf_by_key_and_certificate() {
        let (der, spki, _) = cert("mx.example.com");
        let (other, other_spki, _) = cert("mx.example.com");
        let sha512 = ring::digest::digest(&ring::digest::SHA512, &der)
            .as_ref()
            .to_vec();
        for (selector, matching, data) in [
            (1, 1, sha256(&spki)),
            (0, 1, sha256(&der)),
            (0, 2, sha512),
            (1, 0, spki.clone()),
        ] {
            let t = Tlsa {
                usage: 3,
                selector,
                matching,
                data,
            };
            let result = matches(std::slice::from_ref(&t), std::slice::from_ref(&der));
            assert_eq!(
                result,
                DaneResult::Matched {
                    record: tlsa_text(&t),
                    certificate: 0
                }
            );
            assert_eq!(
                matches(&[t], std::slice::from_ref(&other)),
                DaneResult::NoMatch { usable: 1 }
            );
        }
        // DANE-EE never matches an issuer; DANE-TA never the leaf.
        let ee = Tlsa {
            usage: 3,
            selector: 1,
            matching: 1,
            data: sha256(&other_spki),
        };
        assert_eq!(
            matches(&[ee], &[der.clone(), other.clone()]),
            DaneResult::NoMatch { usable: 1 }
        );
        let ta = Tlsa {
            usage: 2,
            selector: 1,
            matching: 1,
            data: sha256(&other_spki),
        };
        assert!(matches!(
            matches(std::slice::from_ref(&ta), &[der.clone(), other.clone()]),
            DaneResult::Matched { certificate: 1, .. }
        ));
        assert_eq!(
            matches(std::slice::from_ref(&ta), std::slice::from_ref(&other)),
            DaneResult::NoMatch { usable: 1 }
        );
        assert_eq!(matches(&[ta], &[]), DaneResult::NoCertificate);
    }

    #[test]
    fn unusable_records_and_bad_certificates() {
        let pkix = Tlsa {
            usage: 1,
            selector: 1,
            matching: 1,
            data: vec![0; 32],
        };
        assert_eq!(
            matches(&[pkix], &[vec![1, 2, 3]]),
            DaneResult::NoUsableRecord
        );
        let ee = Tlsa {
            usage: 3,
            selector: 1,
            matching: 1,
            data: vec![0; 32],
        };
        assert_eq!(
            matches(&[ee], &[vec![0x30, 0x03, 1, 2, 3]]),
            DaneResult::BadCertificate { certificate: 0 }
        );
    }

    fn zone_with(host: &str, records: &[&str]) -> Zone {
        let mut z = Zone::new();
        for r in records {
            z.add(
                &tlsa_name(host, 25),
                Rdata::Tlsa(parse_tlsa(r).expect("record")),
            );
        }
        z
    }

    #[test]
    fn check_reports_validation_rollover_and_match() {
        let (der, spki, _) = cert("mx.example.com");
        let good = format!("3 1 1 {}", hex(&sha256(&spki)));
        let z = zone_with("MX.example.com.", &[&good]);
        let mut r = block_on(check(&z, "mx.example.com", 25));
        assert_eq!(r.name, "_25._tcp.mx.example.com");
        assert_eq!(r.answer, AnswerKind::Records);
        assert_eq!(
            r.problems,
            [
                DaneProblem::NotValidated { records: 1 },
                DaneProblem::NoRolloverRecord {
                    record: good.clone()
                }
            ]
        );
        assert!(matches!(
            r.match_chain(std::slice::from_ref(&der)),
            Some(DaneResult::Matched { certificate: 0, .. })
        ));
        assert_eq!(r.problems.len(), 2);
        let texts: Vec<String> = r.evidence().into_iter().map(|e| e.text).collect();
        assert!(texts[0].starts_with(
            "dns check: the DANE records at _25._tcp.mx.example.com (1) are not DNSSEC-validated"
        ));

        let wrong = format!("3 1 1 {}", "00".repeat(32));
        let mut z = zone_with("mx.example.com", &[&wrong, "1 1 1 00", &good]);
        z.set_dnssec(
            "_25._tcp.mx.example.com",
            RecordType::Tlsa,
            DnssecState::Secure,
        );
        let mut r = block_on(check(&z, "mx.example.com", 25));
        assert_eq!(r.dnssec, DnssecState::Secure);
        assert_eq!(
            r.problems,
            [
                DaneProblem::BadRecord {
                    record: "1 1 1 00".into(),
                    problem: TlsaProblem::PkixUsage { usage: 1 }
                },
                DaneProblem::BadRecord {
                    record: "1 1 1 00".into(),
                    problem: TlsaProblem::BadLength {
                        matching: 1,
                        expected: 32,
                        found: 1
                    }
                },
            ]
        );
        let (other, _, _) = cert("mx.example.com");
        r.match_chain(&[other]);
        assert_eq!(r.problems.last(), Some(&DaneProblem::NoMatch { usable: 2 }));
        let last = r.evidence().pop().map(|e| e.text).unwrap_or_default();
        assert!(
            last.contains("matches none of its 2 usable TLSA records"),
            "{last}"
        );
    }

    #[test]
    fn dnssec_states_of_the_tlsa_answer() {
        let (_, spki, _) = cert("mx.example.com");
        let good = format!("3 1 1 {}", hex(&sha256(&spki)));
        let name = "_25._tcp.mx.example.com";
        for (state, problem, text) in [
            (
                DnssecState::Insecure,
                DaneProblem::NotValidated { records: 1 },
                "are not DNSSEC-validated (insecure: they are in an unsigned zone)",
            ),
            (
                DnssecState::NotValidated,
                DaneProblem::NotValidated { records: 1 },
                "are not DNSSEC-validated (this resolver does not validate)",
            ),
            (
                DnssecState::Bogus,
                DaneProblem::Bogus { records: 1 },
                "failed DNSSEC validation (bogus)",
            ),
        ] {
            let mut z = zone_with("mx.example.com", &[&good]);
            z.set_dnssec(name, RecordType::Tlsa, state);
            let r = block_on(check(&z, "mx.example.com", 25));
            assert_eq!(r.dnssec, state);
            assert_eq!(r.problems[0], problem, "{state:?}");
            let first = r.evidence().remove(0).text;
            assert!(first.contains(text), "{first}");
        }
    }

    #[test]
    fn check_answer_kinds() {
        let mut z = Zone::new();
        z.fail("_25._tcp.mx.example.com", Answer::ServFail);
        let r = block_on(check(&z, "mx.example.com", 25));
        assert_eq!(
            r.problems,
            [DaneProblem::LookupFailed {
                answer: AnswerKind::Servfail
            }]
        );
        let mut r = block_on(check(&z, "mx.example.org", 25));
        assert_eq!(r.answer, AnswerKind::Nxdomain);
        assert!(r.problems.is_empty());
        assert_eq!(r.match_chain(&[vec![1]]), None);
    }

    #[test]
    fn check_mx_asks_every_exchanger() {
        let mut z = zone_with("mx1.example.com", &[&format!("3 1 1 {}", "00".repeat(32))]);
        for (p, host) in [(10, "mx1.example.com"), (20, "mx2.example.com")] {
            z.add(
                "example.com",
                Rdata::Mx(crate::dns::Mx {
                    preference: p,
                    exchange: host.into(),
                }),
            );
            z.add(host, Rdata::A([192, 0, 2, 1].into()));
        }
        let mx = block_on(crate::mx::check(&z, "example.com"));
        let reports = block_on(check_mx(&z, &mx));
        let names: Vec<(&str, AnswerKind)> = reports
            .iter()
            .map(|r| (r.name.as_str(), r.answer))
            .collect();
        assert_eq!(
            names,
            [
                ("_25._tcp.mx1.example.com", AnswerKind::Records),
                ("_25._tcp.mx2.example.com", AnswerKind::Nxdomain)
            ]
        );
    }

    #[test]
    fn zone_file_reads_tlsa() {
        let z = crate::dns::Zone::from_zone_file(
            "$ORIGIN example.com.\n_25._tcp.mx 300 IN TLSA 3 1 1 ( 00ff\n 00ff )\nbad TLSA 3 1 x 00\n",
            "example.com",
        );
        assert_eq!(
            z.as_ref().err().map(|e| e.kind),
            Some(crate::dns::ZoneErrorKind::BadTlsa)
        );
        let z = crate::dns::Zone::from_zone_file(
            "_25._tcp.mx 300 IN TLSA 3 1 1 ( 00ff\n 00ff )\n",
            "example.com",
        )
        .expect("zone");
        let l = z.answer("_25._tcp.mx.example.com", RecordType::Tlsa);
        assert_eq!(
            l.tlsa().map(tlsa_text).collect::<Vec<_>>(),
            ["3 1 1 00ff00ff"]
        );
    }
}
