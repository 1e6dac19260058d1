//! A probe's records as [`Evidence`] for the one classifier; nothing here decides a category.
//!
//! Server replies go through as sent, with their codes and stage. Failures without a reply
//! (timeouts, refused connections, TLS and certificate problems) become the wording that the
//! shared knowledge base knows from other tools ("Connection refused (111)", "certificate
//! verify failed: self-signed certificate"), followed by the probe's own facts.

use smtp_doctor_model::probe::{
    AnomalyKind, Attempt, CertProblem, CertProblemKind, DnsErrorKind, LimitKind, ProbeError,
    PtrSource, Resolution,
};
use smtp_doctor_model::{Evidence, Source, Stage};

/// The evidence of one attempt, in stage order: every 4xx/5xx reply, every failure, a
/// certificate problem passed over with `insecure`, and every read bound that tripped.
///
/// A healthy attempt gives none. QUIT's own reply and errors are left out: they say nothing
/// about whether mail goes through.
pub fn evidence(attempt: &Attempt) -> Vec<Evidence> {
    let mut out = Vec::new();
    let mut cert_reported = false;
    let mut starttls_failed = false;
    for rec in &attempt.stages {
        if rec.stage == Stage::Quit {
            continue;
        }
        if let Some(reply) = &rec.reply {
            if !reply.code.is_positive() {
                let mut text = reply.code.to_string();
                for line in &reply.lines {
                    text.push(' ');
                    text.push_str(line);
                }
                if rec.stage == Stage::Rcpt {
                    if let Some(context) = rcpt_context(attempt, rec.command.as_deref()) {
                        text.push_str(&context);
                    }
                }
                out.push(Evidence {
                    reply_code: Some(reply.code),
                    enhanced_code: reply.enhanced_code,
                    stage: Some(rec.stage),
                    ..Evidence::text(Source::Probe, text)
                });
            }
        }
        for a in &rec.anomalies {
            match a.kind {
                AnomalyKind::LineTooLong => out.push(probe_text(
                    rec.stage,
                    format!("reply {} (line bound tripped)", a.detail),
                )),
                // Without the bytes themselves: the server's junk must not steer the classifier.
                AnomalyKind::BytesBeforeBanner => out.push(probe_text(
                    rec.stage,
                    format!(
                        "protocol anomaly, bytes before the SMTP greeting: {}",
                        a.detail.split(": ").next().unwrap_or_default()
                    ),
                )),
                _ => {}
            }
        }
        if let Some(err) = &rec.error {
            cert_reported |= matches!(err, ProbeError::CertInvalid { .. });
            let mut text = error_text(rec.stage, err);
            if matches!(err, ProbeError::StartTlsNotOffered) {
                starttls_failed = true;
                if let Some(m) = attempt
                    .anomalies
                    .iter()
                    .find(|a| a.kind == AnomalyKind::StartTlsMasked)
                {
                    text = format!("{text}; {}", m.detail);
                }
            }
            out.push(probe_text(rec.stage, text));
        }
    }
    if let Some(problem) = attempt.tls.as_ref().and_then(|t| t.verify_error.as_ref()) {
        if !cert_reported {
            out.push(probe_text(Stage::Tls, cert_text(problem)));
        }
    }
    for a in &attempt.anomalies {
        // Once STARTTLS was required, the refusal to go on already carries this.
        if a.kind == AnomalyKind::StartTlsMasked && !starttls_failed {
            out.push(probe_text(
                Stage::Ehlo,
                format!(
                    "STARTTLS not offered, so the session stays unencrypted: {}",
                    a.detail
                ),
            ));
        }
        if a.kind == AnomalyKind::TranscriptTruncated {
            out.push(probe_text(
                attempt.stages.last().map_or(Stage::Connect, |r| r.stage),
                format!("{} (transcript bound tripped)", a.detail),
            ));
        }
    }
    out
}

/// What the probe knows around a refused RCPT that the reply may not say: the client did not
/// authenticate, and the recipient's domain is neither the mail domain the host was found for
/// nor a domain the server names itself in (its host name, banner or EHLO name). Together they
/// make a vague refusal ("Invalid recipient", a bare 5.1.1) most likely a relaying refusal.
fn rcpt_context(attempt: &Attempt, command: Option<&str>) -> Option<String> {
    let authenticated = attempt.stages.iter().any(|s| {
        s.stage == Stage::Auth && s.reply.as_ref().is_some_and(|r| r.code.class_digit() == 2)
    });
    if authenticated {
        return None;
    }
    let addr = command?
        .get("RCPT TO:".len()..)?
        .trim_start_matches('<')
        .split('>')
        .next()?;
    let domain = addr
        .rsplit_once('@')?
        .1
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if domain.is_empty() || domain.starts_with('[') {
        return None;
    }
    let own = |name: &str| {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        name == domain || name.ends_with(&format!(".{domain}"))
    };
    let names = [
        attempt.mail_domain.as_deref(),
        Some(attempt.host.as_str()),
        attempt.banner.as_ref().and_then(|b| b.hostname.as_deref()),
        attempt.banner.as_ref().and_then(|b| b.ehlo_name.as_deref()),
        attempt.ehlo.as_ref().map(|e| e.domain.as_str()),
    ];
    if names.into_iter().flatten().any(own) {
        return None;
    }
    Some(format!(
        " (probe context: unauthenticated client; the recipient domain {domain} is not among the names of this server)"
    ))
}

/// Observations of one attempt that are worth a finding but do not stop mail to this server:
/// the banner's name against the PTR of the address connected to. The CLI classifies them
/// like any evidence and keeps them out of the verdict.
///
/// Only DNS answers count: a loopback address (named `localhost` by RFC 6761, not looked up)
/// and a failed lookup (timeout, SERVFAIL) give none.
pub fn observations(attempt: &Attempt) -> Vec<Evidence> {
    let Some(banner) = &attempt.banner else {
        return Vec::new();
    };
    let (Some(name), Some(ptr)) = (&banner.hostname, &banner.ptr) else {
        return Vec::new();
    };
    if ptr.source != PtrSource::Dns {
        return Vec::new();
    }
    let ip = attempt.addr.ip();
    let text = if banner.matches_ptr == Some(false) {
        format!(
            "probe observation: the banner names {name}, the PTR names of {ip} are {} (banner and PTR disagree)",
            ptr.names.join(", ")
        )
    } else if ptr.names.is_empty()
        && ptr
            .error
            .as_ref()
            .is_some_and(|e| matches!(e.kind, DnsErrorKind::Nxdomain | DnsErrorKind::Nodata))
    {
        let kind = ptr.error.as_ref().map_or("", |e| e.kind.as_str());
        format!(
            "probe observation: the address {ip} has no name in reverse DNS (PTR query: {kind}); the banner names {name}"
        )
    } else {
        return Vec::new();
    };
    vec![probe_text(Stage::Banner, text)]
}

/// The evidence of the resolve stage: every DNS failure that left a host without addresses,
/// and a null MX.
pub fn resolution_evidence(res: &Resolution) -> Vec<Evidence> {
    let mut out = Vec::new();
    if res.null_mx {
        out.push(probe_text(
            Stage::Resolve,
            "the domain publishes a null MX (RFC 7505): it accepts no mail".to_string(),
        ));
    }
    for e in &res.errors {
        let text = match e.kind {
            DnsErrorKind::Nxdomain => format!(
                "Host or domain name not found. Name service error for name={} type={}: Host not found (NXDOMAIN)",
                e.name, e.rtype
            ),
            DnsErrorKind::Nodata => {
                format!("no {} record for {} (NODATA): host not found", e.rtype, e.name)
            }
            DnsErrorKind::Servfail => format!(
                "temporary DNS failure looking up {} {}: the DNS server answered SERVFAIL",
                e.name, e.rtype
            ),
            DnsErrorKind::Refused => format!(
                "DNS lookup failed for {} {}: the DNS server REFUSED the query",
                e.name, e.rtype
            ),
            DnsErrorKind::Timeout => format!(
                "temporary DNS failure looking up {} {}: no answer before the resolve deadline (DNS timeout)",
                e.name, e.rtype
            ),
            _ => format!(
                "Name service error for name={} type={}: {}",
                e.name, e.rtype, e.detail
            ),
        };
        out.push(probe_text(Stage::Resolve, text));
    }
    if res.mx.iter().all(|h| h.addresses.is_empty()) && out.is_empty() && !res.mx.is_empty() {
        out.push(probe_text(
            Stage::Resolve,
            "host not found: the mail hosts have no address".to_string(),
        ));
    }
    out
}

fn probe_text(stage: Stage, text: String) -> Evidence {
    Evidence {
        stage: Some(stage),
        ..Evidence::text(Source::Probe, text)
    }
}

/// Whole seconds when the limit is a whole number of seconds, else milliseconds.
fn duration(ms: u64) -> String {
    if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

fn errno(e: Option<i32>) -> String {
    e.map(|n| format!(" ({n})")).unwrap_or_default()
}

/// What the command of a stage is called in a sentence.
fn waiting_for(stage: Stage) -> &'static str {
    match stage {
        Stage::Ehlo => "the reply to EHLO",
        Stage::StartTls => "the reply to STARTTLS",
        Stage::Auth => "the reply to AUTH",
        Stage::Mail => "the reply to MAIL FROM",
        Stage::Rcpt => "the reply to RCPT TO",
        Stage::Data => "the reply to DATA",
        Stage::EndOfData => "the reply after the message data",
        Stage::Quit => "the reply to QUIT",
        _ => "a reply",
    }
}

fn error_text(stage: Stage, err: &ProbeError) -> String {
    match err {
        ProbeError::Timeout {
            stage: s,
            limit_ms,
            total,
            partial,
        } => {
            let limit = duration(*limit_ms);
            let what = if *total {
                format!("the total deadline of {limit} passed")
            } else {
                format!("the {s} deadline of {limit} passed")
            };
            let partial = partial
                .as_ref()
                .map(|p| format!("; received only {p:?} before that"))
                .unwrap_or_default();
            match s {
                Stage::Connect => format!("Connection timed out: no answer to the connection attempt within {limit} ({what})"),
                Stage::Banner => format!(
                    "timed out waiting for the banner: no banner within {limit} ({what}){partial}"
                ),
                Stage::Tls => format!("TLS handshake timeout: no handshake within {limit} ({what})"),
                // The server answered the commands before it on the same connection.
                Stage::StartTls if !*total => format!(
                    "timed out waiting for the reply to STARTTLS: no reply within {limit} ({what}){partial}, though the server answered every command before it: something on the path may be dropping STARTTLS (STARTTLS stripping)"
                ),
                _ => format!(
                    "timed out waiting for {}: no reply within {limit} ({what}){partial}",
                    waiting_for(*s)
                ),
            }
        }
        ProbeError::Refused { errno: e } => format!("Connection refused{}", errno(*e)),
        ProbeError::Reset { errno: e } => match stage {
            Stage::Banner => format!(
                "Connection reset by peer{} before the greeting: did not receive a greeting",
                errno(*e)
            ),
            _ => format!("Connection reset by peer{} waiting for {}", errno(*e), waiting_for(stage)),
        },
        ProbeError::Unreachable { errno: e, detail } => match e {
            Some(113) => format!("No route to host (113): {detail}"),
            Some(101) => format!("Network is unreachable (101): {detail}"),
            _ => format!("Network is unreachable{}: {detail}", errno(*e)),
        },
        ProbeError::Io { errno: e, detail } => format!("I/O error{}: {detail}", errno(*e)),
        ProbeError::Closed { received, partial } => match stage {
            Stage::Banner if *received == 0 => {
                "connection closed before greeting: the server closed the connection before the greeting".to_string()
            }
            Stage::Banner => format!(
                "invalid SMTP banner: connection closed before greeting was complete, after {received} bytes: {}",
                partial.as_deref().unwrap_or_default()
            ),
            _ => format!(
                "lost connection with the server while waiting for {}: the server closed the connection",
                waiting_for(stage)
            ),
        },
        ProbeError::NotSmtp {
            service,
            first_bytes,
        } => {
            let who = service.as_deref().unwrap_or("something that is not an SMTP server");
            let tls = who.starts_with("a TLS server");
            format!(
                "invalid SMTP banner: {who} answered instead of SMTP{} (first bytes: {first_bytes:?})",
                if tls {
                    " (implicit TLS port spoken to in plain text)"
                } else {
                    ""
                }
            )
        }
        ProbeError::Malformed { line, first_bytes } => match stage {
            Stage::Banner => format!(
                "invalid SMTP banner: line {} has no reply code: {first_bytes:?}",
                line + 1
            ),
            _ => format!(
                "malformed reply from server: line {} of {} has no reply code: {first_bytes:?}",
                line + 1,
                waiting_for(stage)
            ),
        },
        ProbeError::ReadLimit { what, limit } => {
            let tail = match what {
                LimitKind::Reply => "reply bound tripped",
                LimitKind::Line => "line bound tripped",
                LimitKind::Transcript => "transcript bound tripped",
                _ => "read bound tripped",
            };
            match stage {
                Stage::Banner => format!(
                    "invalid SMTP banner: {what} larger than {limit} bytes ({tail})"
                ),
                _ => format!(
                    "{what} larger than {limit} bytes waiting for {} ({tail})",
                    waiting_for(stage)
                ),
            }
        }
        ProbeError::TlsHandshake {
            reason,
            alert,
            plaintext,
        } => match plaintext {
            Some(p) => format!(
                "wrong version number (TLS spoken to a plain-text port): TLS handshake failed, the server answered in plain text: {p:?}"
            ),
            None => format!(
                "TLS handshake failed: {reason}{}",
                alert
                    .as_ref()
                    .map(|a| format!(" (alert {a})"))
                    .unwrap_or_default()
            ),
        },
        ProbeError::CertInvalid { problem } => cert_text(problem),
        ProbeError::StartTlsNotOffered => {
            "TLS required but the server does not offer STARTTLS: cannot start TLS".to_string()
        }
        // Worded as the probe's own finding, not as a client library's error (which would
        // name that library in the diagnosis).
        ProbeError::AuthNotOffered { mechanism, offered } if offered.is_empty() => format!(
            "authentication not supported: the server advertises no AUTH on this connection (wanted {mechanism})"
        ),
        ProbeError::AuthNotOffered { mechanism, offered } => format!(
            "auth mechanism not available: the server offers AUTH {}, not {mechanism}",
            offered.join(" ")
        ),
        ProbeError::AuthWithoutTls => {
            "authentication not attempted: credentials are never sent without TLS".to_string()
        }
        ProbeError::BadChallenge { detail } => format!("authentication failed: {detail}"),
        ProbeError::BadCommand { detail } => format!("command not sent: {detail}"),
        ProbeError::NoAddress => "host not found: no address to connect to".to_string(),
        _ => err.to_string(),
    }
}

fn cert_text(p: &CertProblem) -> String {
    match p.kind {
        CertProblemKind::Expired => format!(
            "certificate verify failed: certificate has expired (not after {})",
            p.not_after.as_deref().unwrap_or("?")
        ),
        CertProblemKind::NotYetValid => format!(
            "certificate verify failed: certificate is not yet valid (not before {})",
            p.not_before.as_deref().unwrap_or("?")
        ),
        CertProblemKind::SelfSigned => {
            "certificate verify failed: self-signed certificate".to_string()
        }
        CertProblemKind::UnknownIssuer => {
            "certificate verify failed: unable to get local issuer certificate (unknown CA)"
                .to_string()
        }
        CertProblemKind::NameMismatch => format!(
            "certificate verify failed: hostname mismatch, certificate is valid for {}, not {}",
            if p.presented_names.is_empty() {
                "no name".to_string()
            } else {
                p.presented_names.join(", ")
            },
            p.expected_name.as_deref().unwrap_or("?")
        ),
        _ => format!("certificate verify failed: {}", p.reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smtp_doctor_model::probe::{BannerInfo, DnsError, HostOrigin, MxHost, PtrInfo};

    #[test]
    fn failures_use_wordings_the_knowledge_base_knows() {
        let t = |stage, e: ProbeError| error_text(stage, &e);
        assert_eq!(
            t(
                Stage::Auth,
                ProbeError::AuthNotOffered {
                    mechanism: "PLAIN".into(),
                    offered: vec![]
                }
            ),
            "authentication not supported: the server advertises no AUTH on this connection (wanted PLAIN)"
        );
        assert!(t(
            Stage::Auth,
            ProbeError::AuthNotOffered {
                mechanism: "PLAIN".into(),
                offered: vec!["LOGIN".into()]
            }
        )
        .starts_with("auth mechanism not available"));
        assert!(t(
            Stage::Rcpt,
            ProbeError::Closed {
                received: 0,
                partial: None
            }
        )
        .starts_with("lost connection with the server while waiting for the reply to RCPT TO"));
        assert!(t(Stage::Banner, ProbeError::Reset { errno: Some(104) })
            .starts_with("Connection reset by peer (104) before the greeting"));
        assert_eq!(
            t(Stage::Connect, ProbeError::Timeout { stage: Stage::Connect, limit_ms: 10_000, total: false, partial: None }),
            "Connection timed out: no answer to the connection attempt within 10 s (the connect deadline of 10 s passed)"
        );
        assert!(t(
            Stage::Tls,
            ProbeError::TlsHandshake {
                reason: "x".into(),
                alert: None,
                plaintext: Some("220 mx".into())
            }
        )
        .starts_with("wrong version number (TLS spoken to a plain-text port)"));
    }

    /// An attempt to `ip` whose banner names `name`, with this PTR answer.
    fn attempt_with_ptr(ip: &str, name: &str, ptr: PtrInfo, matches: Option<bool>) -> Attempt {
        Attempt {
            host: ip.to_string(),
            mail_domain: None,
            addr: std::net::SocketAddr::new(ip.parse().unwrap(), 25),
            tls_mode: smtp_doctor_model::probe::TlsMode::None,
            start_ms: 0,
            duration_ms: 1,
            stages: Vec::new(),
            transcript: Vec::new(),
            transcript_truncated: false,
            tls: None,
            banner: Some(BannerInfo {
                hostname: Some(name.to_string()),
                ptr: Some(ptr),
                matches_ptr: matches,
                ..BannerInfo::default()
            }),
            ehlo: None,
            anomalies: Vec::new(),
            outcome: smtp_doctor_model::probe::Outcome::Completed,
        }
    }

    #[test]
    fn the_banner_name_against_the_ptr() {
        let dns = |names: &[&str], error: Option<DnsErrorKind>| PtrInfo {
            source: PtrSource::Dns,
            names: names.iter().map(|n| n.to_string()).collect(),
            error: error.map(|kind| DnsError {
                name: "14.2.0.192.in-addr.arpa".into(),
                rtype: "PTR".into(),
                kind,
                detail: String::new(),
            }),
        };
        let texts =
            |a: &Attempt| -> Vec<String> { observations(a).into_iter().map(|e| e.text).collect() };
        let a = attempt_with_ptr(
            "192.0.2.10",
            "mx.example.org",
            dns(&["other.example.net"], None),
            Some(false),
        );
        assert_eq!(
            texts(&a),
            ["probe observation: the banner names mx.example.org, the PTR names of 192.0.2.10 are other.example.net (banner and PTR disagree)"]
        );
        assert_eq!(observations(&a)[0].stage, Some(Stage::Banner));
        let a = attempt_with_ptr(
            "192.0.2.14",
            "mx.example.org",
            dns(&[], Some(DnsErrorKind::Nxdomain)),
            None,
        );
        assert_eq!(
            texts(&a),
            ["probe observation: the address 192.0.2.14 has no name in reverse DNS (PTR query: NXDOMAIN); the banner names mx.example.org"]
        );
        // Nothing to say: the names agree, the lookup failed for want of an answer, loopback.
        let same = attempt_with_ptr(
            "192.0.2.11",
            "a.example.org",
            dns(&["a.example.org"], None),
            Some(true),
        );
        let timeout = attempt_with_ptr(
            "192.0.2.14",
            "a.example.org",
            dns(&[], Some(DnsErrorKind::Timeout)),
            None,
        );
        let loopback = attempt_with_ptr(
            "127.0.0.1",
            "mx.example.org",
            PtrInfo {
                source: PtrSource::SpecialUse,
                names: vec!["localhost".into()],
                error: None,
            },
            None,
        );
        for a in [same, timeout, loopback] {
            assert!(observations(&a).is_empty(), "{a:?}");
        }
    }

    #[test]
    fn a_refused_rcpt_carries_the_relaying_context() {
        use smtp_doctor_model::probe::{ReplyRecord, StageRecord};
        use smtp_doctor_model::ReplyCode;
        let rec = |stage, command: &str, code| StageRecord {
            stage,
            start_ms: 0,
            duration_ms: 1,
            command: Some(command.to_string()),
            reply: Some(ReplyRecord {
                code: ReplyCode::new(code).unwrap(),
                enhanced_code: None,
                lines: vec!["Invalid recipient".into()],
            }),
            anomalies: Vec::new(),
            error: None,
        };
        let ptr = PtrInfo {
            source: PtrSource::SpecialUse,
            names: vec!["localhost".into()],
            error: None,
        };
        let mut a = attempt_with_ptr("127.0.0.1", "mx.example.org", ptr, None);
        let rcpt = |a: &mut Attempt, to: &str| {
            a.stages = vec![rec(Stage::Rcpt, &format!("RCPT TO:<{to}>"), 550)];
            evidence(a).remove(0).text
        };
        let context = " (probe context: unauthenticated client; the recipient domain example.net is not among the names of this server)";
        assert_eq!(
            rcpt(&mut a, "u@Example.NET"),
            format!("550 Invalid recipient{context}")
        );
        // A domain of the server's names, or the domain the host was found for: no context.
        assert_eq!(rcpt(&mut a, "u@example.org"), "550 Invalid recipient");
        assert_eq!(rcpt(&mut a, "u@mx.example.org"), "550 Invalid recipient");
        a.mail_domain = Some("example.net".into());
        assert_eq!(rcpt(&mut a, "u@example.net"), "550 Invalid recipient");
        a.mail_domain = None;
        // After a successful AUTH the client is trusted: no context either.
        a.stages = vec![
            rec(Stage::Auth, "AUTH PLAIN <redacted>", 235),
            rec(Stage::Rcpt, "RCPT TO:<u@example.net>", 550),
        ];
        assert_eq!(evidence(&a)[0].text, "550 Invalid recipient");
        // An address literal names no domain.
        assert_eq!(rcpt(&mut a, "u@[192.0.2.1]"), "550 Invalid recipient");
    }

    #[test]
    fn resolution_failures_and_hosts_without_addresses() {
        let mut res = Resolution {
            mx: vec![MxHost {
                name: "mx.test".into(),
                preference: Some(10),
                origin: HostOrigin::Mx,
                addresses: vec![],
            }],
            ..Resolution::default()
        };
        assert_eq!(
            resolution_evidence(&res)[0].text,
            "host not found: the mail hosts have no address"
        );
        res.errors.push(DnsError {
            name: "mx.test".into(),
            rtype: "A".into(),
            kind: DnsErrorKind::Servfail,
            detail: String::new(),
        });
        let ev = resolution_evidence(&res);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].stage, Some(Stage::Resolve));
        assert_eq!(
            ev[0].text,
            "temporary DNS failure looking up mx.test A: the DNS server answered SERVFAIL"
        );
    }
}
