//! The extensions an EHLO reply advertises (RFC 5321 section 4.1.1.1 and the extension RFCs).

use crate::reply::Reply;
use smtp_doctor_model::ReplyCode;
use std::fmt;

/// What the server advertised in its EHLO reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EhloCapabilities {
    /// The first word of the first line: the name the server gives itself.
    pub domain: String,
    /// The whole first line (the greeting).
    pub greeting: String,
    /// Every extension line after the first, in order, keyword as sent.
    pub extensions: Vec<Capability>,
    /// SIZE (RFC 1870), when advertised.
    pub size: Option<SizeLimit>,
    /// PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// 8BITMIME (RFC 6152).
    pub eight_bit_mime: bool,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// CHUNKING (RFC 3030).
    pub chunking: bool,
    /// BINARYMIME (RFC 3030).
    pub binary_mime: bool,
    /// DSN (RFC 3461).
    pub dsn: bool,
    /// STARTTLS (RFC 3207).
    pub starttls: bool,
    /// ENHANCEDSTATUSCODES (RFC 2034).
    pub enhanced_status_codes: bool,
    /// REQUIRETLS (RFC 8689).
    pub requiretls: bool,
    /// ETRN (RFC 1985).
    pub etrn: bool,
    /// AUTH mechanisms (RFC 4954), upper-cased, without duplicates, in the order first seen;
    /// the old `AUTH=` form included.
    pub auth: Vec<String>,
    /// True when the server also used the pre-standard `AUTH=MECH ...` form.
    pub auth_legacy_form: bool,
    /// DELIVERBY (RFC 2852), with the minimum by-time in seconds when given.
    pub deliver_by: Option<Option<u64>>,
    /// MT-PRIORITY (RFC 6710), with the priority profile name when given.
    pub mt_priority: Option<Option<String>>,
    /// LIMITS (RFC 9422), when advertised.
    pub limits: Option<ServerLimits>,
    /// What the parser tolerated.
    pub anomalies: Vec<EhloAnomaly>,
}

/// One extension line: its keyword as sent and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capability {
    /// The keyword exactly as the server sent it.
    pub keyword: String,
    /// The words after the keyword.
    pub params: Vec<String>,
}

/// The SIZE extension's declared maximum message size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeLimit {
    /// SIZE without a usable value: the server did not say.
    Unstated,
    /// SIZE with a value in bytes; 0 means no fixed maximum (RFC 1870).
    Bytes(u64),
}

impl SizeLimit {
    /// The maximum message size in bytes, or `None` when there is no fixed maximum.
    pub fn max_bytes(self) -> Option<u64> {
        match self {
            SizeLimit::Bytes(n) if n > 0 => Some(n),
            _ => None,
        }
    }
}

/// The LIMITS extension's parameters (RFC 9422).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerLimits {
    /// RCPTMAX: most recipients per transaction.
    pub rcpt_max: Option<u64>,
    /// RCPTDOMAINMAX: most recipient domains per transaction.
    pub rcpt_domain_max: Option<u64>,
    /// MAILMAX: most transactions per session.
    pub mail_max: Option<u64>,
    /// Other `NAME=value` parameters, as sent.
    pub other: Vec<(String, String)>,
}

/// Something an EHLO reply did that the extension RFCs do not allow, tolerated and recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EhloAnomaly {
    /// A keyword was advertised more than once.
    DuplicateKeyword {
        /// The keyword, upper-cased.
        keyword: String,
    },
    /// SIZE had a value that is not a decimal number.
    MalformedSize {
        /// The value as sent.
        value: String,
    },
    /// A keyword had lower-case letters (allowed by RFC 5321, but unusual and worth showing).
    LowerCaseKeyword {
        /// The keyword as sent.
        keyword: String,
    },
    /// A LIMITS parameter was not `NAME=number`.
    MalformedLimit {
        /// The parameter as sent.
        param: String,
    },
    /// An extension line was empty.
    EmptyLine {
        /// The 0-based line number.
        line: usize,
    },
    /// The first line had no domain.
    MissingDomain,
}

impl fmt::Display for EhloAnomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EhloAnomaly::DuplicateKeyword { keyword } => {
                write!(f, "extension {keyword} advertised more than once")
            }
            EhloAnomaly::MalformedSize { value } => {
                write!(f, "SIZE value {value:?} is not a number")
            }
            EhloAnomaly::LowerCaseKeyword { keyword } => {
                write!(f, "extension keyword {keyword:?} is not upper-case")
            }
            EhloAnomaly::MalformedLimit { param } => {
                write!(f, "LIMITS parameter {param:?} is not NAME=number")
            }
            EhloAnomaly::EmptyLine { line } => write!(f, "EHLO line {} is empty", line + 1),
            EhloAnomaly::MissingDomain => f.write_str("EHLO reply names no domain"),
        }
    }
}

/// Why a reply could not be read as EHLO capabilities.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EhloError {
    /// The server did not accept EHLO.
    #[error("EHLO was refused with {code}")]
    Rejected {
        /// The reply code.
        code: ReplyCode,
    },
}

/// Keywords this parser understands; anything else is kept in [`EhloCapabilities::unknown`].
const KNOWN: &[&str] = &[
    "SIZE",
    "PIPELINING",
    "8BITMIME",
    "SMTPUTF8",
    "CHUNKING",
    "BINARYMIME",
    "DSN",
    "STARTTLS",
    "ENHANCEDSTATUSCODES",
    "REQUIRETLS",
    "ETRN",
    "AUTH",
    "DELIVERBY",
    "MT-PRIORITY",
    "LIMITS",
];

impl EhloCapabilities {
    /// Reads the capabilities from a 2xx EHLO reply.
    pub fn parse(reply: &Reply) -> Result<Self, EhloError> {
        if reply.code.class_digit() != 2 {
            return Err(EhloError::Rejected { code: reply.code });
        }
        let mut caps = EhloCapabilities::default();
        let mut lines = reply.lines.iter().enumerate();
        if let Some((_, first)) = lines.next() {
            caps.greeting = first.clone();
            caps.domain = first
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
        }
        if caps.domain.is_empty() {
            caps.anomalies.push(EhloAnomaly::MissingDomain);
        }
        let mut seen: Vec<String> = Vec::new();
        for (index, line) in lines {
            let mut words = line.split_ascii_whitespace();
            let Some(keyword) = words.next() else {
                caps.anomalies.push(EhloAnomaly::EmptyLine { line: index });
                continue;
            };
            let mut params: Vec<String> = words.map(str::to_string).collect();
            caps.extensions.push(Capability {
                keyword: keyword.to_string(),
                params: params.clone(),
            });
            if keyword.bytes().any(|b| b.is_ascii_lowercase()) {
                caps.anomalies.push(EhloAnomaly::LowerCaseKeyword {
                    keyword: keyword.to_string(),
                });
            }
            let mut upper = keyword.to_ascii_uppercase();
            // "AUTH=LOGIN PLAIN" is the pre-RFC 2554 form; servers send it beside "AUTH", so it is
            // its own keyword for duplicate checks.
            if let Some(first_mech) = upper.strip_prefix("AUTH=") {
                if !first_mech.is_empty() {
                    params.insert(0, first_mech.to_string());
                }
                upper = "AUTH=".to_string();
            }
            if seen.contains(&upper) {
                caps.anomalies.push(EhloAnomaly::DuplicateKeyword {
                    keyword: upper.clone(),
                });
            } else {
                seen.push(upper.clone());
            }
            caps.apply(&upper, &params);
        }
        Ok(caps)
    }

    /// Records one known keyword's meaning.
    fn apply(&mut self, keyword: &str, params: &[String]) {
        match keyword {
            "SIZE" => {
                self.size = Some(match params.first() {
                    None => SizeLimit::Unstated,
                    Some(v) => match v.parse::<u64>() {
                        Ok(n) if v.bytes().all(|b| b.is_ascii_digit()) => SizeLimit::Bytes(n),
                        _ => {
                            self.anomalies
                                .push(EhloAnomaly::MalformedSize { value: v.clone() });
                            SizeLimit::Unstated
                        }
                    },
                });
            }
            "PIPELINING" => self.pipelining = true,
            "8BITMIME" => self.eight_bit_mime = true,
            "SMTPUTF8" => self.smtputf8 = true,
            "CHUNKING" => self.chunking = true,
            "BINARYMIME" => self.binary_mime = true,
            "DSN" => self.dsn = true,
            "STARTTLS" => self.starttls = true,
            "ENHANCEDSTATUSCODES" => self.enhanced_status_codes = true,
            "REQUIRETLS" => self.requiretls = true,
            "ETRN" => self.etrn = true,
            "AUTH" | "AUTH=" => {
                if keyword == "AUTH=" {
                    self.auth_legacy_form = true;
                }
                for mech in params {
                    let mech = mech.to_ascii_uppercase();
                    if !self.auth.contains(&mech) {
                        self.auth.push(mech);
                    }
                }
            }
            "DELIVERBY" => {
                self.deliver_by = Some(params.first().and_then(|v| v.parse().ok()));
            }
            "MT-PRIORITY" => self.mt_priority = Some(params.first().cloned()),
            "LIMITS" => {
                let mut limits = ServerLimits::default();
                for param in params {
                    let Some((name, value)) = param.split_once('=') else {
                        self.anomalies.push(EhloAnomaly::MalformedLimit {
                            param: param.clone(),
                        });
                        continue;
                    };
                    let number = value.parse::<u64>().ok();
                    let slot = match name.to_ascii_uppercase().as_str() {
                        "RCPTMAX" => Some(&mut limits.rcpt_max),
                        "RCPTDOMAINMAX" => Some(&mut limits.rcpt_domain_max),
                        "MAILMAX" => Some(&mut limits.mail_max),
                        _ => None,
                    };
                    match (slot, number) {
                        (Some(slot), Some(n)) => *slot = Some(n),
                        (Some(_), None) => self.anomalies.push(EhloAnomaly::MalformedLimit {
                            param: param.clone(),
                        }),
                        (None, _) => limits.other.push((name.to_string(), value.to_string())),
                    }
                }
                self.limits = Some(limits);
            }
            _ => {}
        }
    }

    /// True when `keyword` was advertised (case-insensitive; `AUTH=` lines count as `AUTH`).
    pub fn has(&self, keyword: &str) -> bool {
        self.extensions.iter().any(|c| {
            c.keyword.eq_ignore_ascii_case(keyword)
                || (keyword.eq_ignore_ascii_case("AUTH") && is_legacy_auth(&c.keyword))
        })
    }

    /// True when the server offers the AUTH mechanism `mechanism` (case-insensitive).
    pub fn supports_auth(&self, mechanism: &str) -> bool {
        self.auth.iter().any(|m| m.eq_ignore_ascii_case(mechanism))
    }

    /// The extensions this parser has no field for, as sent.
    pub fn unknown(&self) -> impl Iterator<Item = &Capability> {
        self.extensions.iter().filter(|c| {
            !is_legacy_auth(&c.keyword) && !KNOWN.iter().any(|k| c.keyword.eq_ignore_ascii_case(k))
        })
    }
}

fn is_legacy_auth(keyword: &str) -> bool {
    keyword
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("AUTH="))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::parse_reply;

    fn caps(bytes: &[u8]) -> EhloCapabilities {
        let reply = parse_reply(bytes).unwrap();
        assert!(reply.anomalies.is_empty(), "{:?}", reply.anomalies);
        EhloCapabilities::parse(&reply).unwrap()
    }

    #[test]
    fn postfix() {
        let c = caps(
            b"250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n\
              250-ETRN\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN LOGIN\r\n\
              250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n",
        );
        assert_eq!(c.domain, "mail.example.org");
        assert_eq!(c.size, Some(SizeLimit::Bytes(10_240_000)));
        assert_eq!(c.size.and_then(SizeLimit::max_bytes), Some(10_240_000));
        assert!(c.pipelining && c.etrn && c.starttls && c.enhanced_status_codes);
        assert!(c.eight_bit_mime && c.dsn && c.smtputf8 && c.chunking);
        assert!(!c.binary_mime && !c.requiretls);
        assert_eq!(c.auth, ["PLAIN", "LOGIN"]);
        assert!(c.auth_legacy_form);
        assert!(c.supports_auth("login"));
        assert!(!c.supports_auth("CRAM-MD5"));
        assert_eq!(
            c.unknown().map(|u| u.keyword.as_str()).collect::<Vec<_>>(),
            ["VRFY"]
        );
        assert!(c.anomalies.is_empty(), "{:?}", c.anomalies);
        assert!(c.has("vrfy") && c.has("AUTH") && !c.has("XCLIENT"));
    }

    #[test]
    fn exim() {
        let c = caps(
            b"250-mx.example.net Hello client.example.com [192.0.2.7]\r\n250-SIZE 52428800\r\n\
              250-LIMITS MAILMAX=1000 RCPTMAX=50000\r\n250-8BITMIME\r\n250-PIPELINING\r\n\
              250-PIPECONNECT\r\n250-AUTH PLAIN LOGIN\r\n250-CHUNKING\r\n250-STARTTLS\r\n\
              250-PRDR\r\n250 HELP\r\n",
        );
        assert_eq!(c.domain, "mx.example.net");
        assert_eq!(
            c.greeting,
            "mx.example.net Hello client.example.com [192.0.2.7]"
        );
        let limits = c.limits.clone().unwrap();
        assert_eq!(limits.mail_max, Some(1000));
        assert_eq!(limits.rcpt_max, Some(50000));
        assert_eq!(limits.rcpt_domain_max, None);
        assert!(!c.auth_legacy_form);
        let unknown: Vec<_> = c.unknown().map(|u| u.keyword.as_str()).collect();
        assert_eq!(unknown, ["PIPECONNECT", "PRDR", "HELP"]);
        assert!(c.anomalies.is_empty());
    }

    #[test]
    fn exchange() {
        let c = caps(
            b"250-EX01.corp.example.com Hello [192.0.2.9]\r\n250-SIZE 37748736\r\n\
              250-PIPELINING\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n\
              250-X-ANONYMOUSTLS\r\n250-AUTH NTLM\r\n250-X-EXPS GSSAPI NTLM\r\n250-8BITMIME\r\n\
              250-BINARYMIME\r\n250-CHUNKING\r\n250-XRDST\r\n250 SMTPUTF8\r\n",
        );
        assert_eq!(c.domain, "EX01.corp.example.com");
        assert_eq!(c.auth, ["NTLM"]);
        assert!(c.binary_mime && c.chunking && c.smtputf8);
        let exps = c.unknown().find(|u| u.keyword == "X-EXPS").unwrap();
        assert_eq!(exps.params, ["GSSAPI", "NTLM"]);
        assert!(c.anomalies.is_empty());
    }

    #[test]
    fn gmail() {
        let c = caps(
            b"250-smtp.example.com at your service, [198.51.100.4]\r\n250-SIZE 35882577\r\n\
              250-8BITMIME\r\n250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n\
              250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n",
        );
        assert_eq!(c.domain, "smtp.example.com");
        assert_eq!(
            c.auth,
            [
                "LOGIN",
                "PLAIN",
                "XOAUTH2",
                "PLAIN-CLIENTTOKEN",
                "OAUTHBEARER",
                "XOAUTH"
            ]
        );
        assert!(
            !c.starttls,
            "already inside TLS on port 465/587 after STARTTLS"
        );
        assert_eq!(c.unknown().count(), 0);
        // Gmail's MX before STARTTLS.
        let c = caps(
            b"250-mx.google.com at your service, [198.51.100.4]\r\n250-SIZE 157286400\r\n\
              250-8BITMIME\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n\
              250-CHUNKING\r\n250 SMTPUTF8\r\n",
        );
        assert!(c.starttls);
        assert!(c.auth.is_empty());
    }

    #[test]
    fn opensmtpd() {
        let c = caps(
            b"250-mail.example.com Hello client.example.org [192.0.2.3], pleased to meet you\r\n\
              250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SIZE 36700160\r\n250-DSN\r\n\
              250-STARTTLS\r\n250 HELP\r\n",
        );
        assert_eq!(c.domain, "mail.example.com");
        assert_eq!(c.size, Some(SizeLimit::Bytes(36_700_160)));
        assert!(c.dsn && c.starttls);
    }

    #[test]
    fn rarer_extensions() {
        let c = caps(
            b"250-mx\r\n250-DELIVERBY 120\r\n250-MT-PRIORITY MIXER\r\n250-REQUIRETLS\r\n\
              250-SIZE\r\n250 LIMITS RCPTDOMAINMAX=10 FOO=bar\r\n",
        );
        assert_eq!(c.deliver_by, Some(Some(120)));
        assert_eq!(c.mt_priority, Some(Some("MIXER".to_string())));
        assert!(c.requiretls);
        assert_eq!(c.size, Some(SizeLimit::Unstated));
        assert_eq!(c.size.and_then(SizeLimit::max_bytes), None);
        let limits = c.limits.unwrap();
        assert_eq!(limits.rcpt_domain_max, Some(10));
        assert_eq!(limits.other, [("FOO".to_string(), "bar".to_string())]);
        let c = caps(b"250-mx\r\n250-DELIVERBY\r\n250-MT-PRIORITY\r\n250 SIZE 0\r\n");
        assert_eq!(c.deliver_by, Some(None));
        assert_eq!(c.mt_priority, Some(None));
        assert_eq!(c.size.and_then(SizeLimit::max_bytes), None);
    }

    #[test]
    fn anomalies_are_reported() {
        let c = caps(
            b"250-mx\r\n250-SIZE 10M\r\n250-Pipelining\r\n250-PIPELINING\r\n250-\r\n\
              250-auth=login plain\r\n250 LIMITS RCPTMAX=lots junk\r\n",
        );
        assert_eq!(
            c.anomalies,
            [
                EhloAnomaly::MalformedSize {
                    value: "10M".to_string()
                },
                EhloAnomaly::LowerCaseKeyword {
                    keyword: "Pipelining".to_string()
                },
                EhloAnomaly::DuplicateKeyword {
                    keyword: "PIPELINING".to_string()
                },
                EhloAnomaly::EmptyLine { line: 4 },
                EhloAnomaly::LowerCaseKeyword {
                    keyword: "auth=login".to_string()
                },
                EhloAnomaly::MalformedLimit {
                    param: "RCPTMAX=lots".to_string()
                },
                EhloAnomaly::MalformedLimit {
                    param: "junk".to_string()
                },
            ]
        );
        assert_eq!(c.size, Some(SizeLimit::Unstated));
        assert_eq!(c.auth, ["LOGIN", "PLAIN"]);
        assert!(c.auth_legacy_form && c.pipelining);
        assert_eq!(
            c.anomalies[0].to_string(),
            "SIZE value \"10M\" is not a number"
        );
    }

    #[test]
    fn auth_is_deduplicated_across_forms() {
        let c = caps(b"250-mx\r\n250-AUTH=LOGIN\r\n250-AUTH login PLAIN Login\r\n250 OK\r\n");
        assert_eq!(c.auth, ["LOGIN", "PLAIN"]);
        assert!(c.anomalies.is_empty());
    }

    #[test]
    fn single_line_and_rejected() {
        let c = caps(b"250 mx.example.org\r\n");
        assert_eq!(c.domain, "mx.example.org");
        assert!(c.extensions.is_empty());
        let c = caps(b"250 \r\n");
        assert_eq!(c.anomalies, [EhloAnomaly::MissingDomain]);
        let reply = parse_reply(b"502 5.5.2 Error: command not recognized\r\n").unwrap();
        let err = EhloCapabilities::parse(&reply).unwrap_err();
        assert_eq!(err.to_string(), "EHLO was refused with 502");
    }
}
