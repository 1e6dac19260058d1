//! Our categories in sisimai's reason vocabulary, for comparison with sisimai and its corpus.
//!
//! The mapping is a table ([`REASON_MAP`]) plus rules that use what a bounce says beyond the
//! category, as sisimai does: a user-unknown rejection after DATA without an X.1.x status (the stage comes from the diagnostic or, when it names none, from the report's transcript or prose) is `filtered` (a recipient-side
//! filter, not a missing mailbox), a moved address (X.1.6) is `hasmoved`, and a delay report
//! (Action `delayed`) whose cause is a network failure is `expired`, and a receiver fault that
//! the knowledge base's `*.mailer*` entries name (procmail, a pipe, a delivery agent) is
//! `mailererror`. A connection timeout in a bounce means the sender's queue gave up: `expired`. docs/bounce.md lists it too.

use smtp_doctor_model::{Category, EnhancedCode, Finding, ReplyCode, Stage};

/// Each category and the sisimai reason it reports as.
pub const REASON_MAP: &[(Category, &str)] = &[
    (Category::Delivered, "delivered"),
    (Category::TlsFailure, "failedstarttls"),
    (Category::SecurityError, "securityerror"),
    (Category::AuthFailure, "authfailure"),
    (Category::RequirePtr, "requireptr"),
    (Category::Blocked, "blocked"),
    (Category::BadReputation, "badreputation"),
    (Category::NoRelaying, "norelaying"),
    (Category::Greylisted, "blocked"),
    (Category::Speeding, "ratelimited"),
    (Category::TooManyConn, "ratelimited"),
    (Category::UserUnknown, "userunknown"),
    (Category::Suspend, "suspend"),
    (Category::MailboxFull, "mailboxfull"),
    (Category::HostUnknown, "hostunknown"),
    (Category::NotAccept, "notaccept"),
    (Category::Rejected, "rejected"),
    (Category::MesgTooBig, "emailtoolarge"),
    (Category::SpamDetected, "spamdetected"),
    (Category::VirusDetected, "virusdetected"),
    (Category::PolicyViolation, "policyviolation"),
    (Category::ContentError, "contenterror"),
    (Category::NotCompliantRfc, "notcompliantrfc"),
    (Category::SyntaxError, "syntaxerror"),
    (Category::ConnectionRefused, "networkerror"),
    (Category::ConnectionTimeout, "expired"),
    (Category::BannerFailure, "networkerror"),
    (Category::NetworkError, "networkerror"),
    (Category::Expired, "expired"),
    (Category::SystemError, "systemerror"),
    (Category::SystemFull, "systemfull"),
    (Category::Undefined, "undefined"),
    (Category::OnHold, "onhold"),
];

/// The sisimai reason for a bounce's finding, its status code, the SMTP command the report says
/// the error answered (`None` when it does not say) and its DSN Action.
pub fn sisimai_reason(
    finding: &Finding,
    status: Option<EnhancedCode>,
    command: Option<Stage>,
    action: Option<&str>,
) -> &'static str {
    let base = REASON_MAP
        .iter()
        .find(|(c, _)| *c == finding.category)
        .map_or("undefined", |(_, r)| r);
    match finding.category {
        Category::UserUnknown if status.is_some_and(|s| s.subject == 1 && s.detail == 6) => {
            "hasmoved"
        }
        // A missing mailbox is reported with an addressing status (X.1.x) or at a command
        // before the message; a "no such user" without either came from a filter that read the
        // message, or from a report that does not say: sisimai's `filtered` in both cases.
        Category::UserUnknown
            if status.is_none_or(|s| s.subject != 1)
                && !matches!(
                    command,
                    Some(Stage::Rcpt | Stage::Mail | Stage::Ehlo | Stage::Banner | Stage::Connect)
                ) =>
        {
            "filtered"
        }
        Category::SystemError if decided_by(finding, ".mailer") => "mailererror",
        // A domain without mail exchangers is one that takes no mail (sisimai's `notaccept`);
        // a lookup that failed only for now (a 4.x.x report) says nothing about the domain.
        Category::HostUnknown if decided_by(finding, ".no-mx") => "notaccept",
        Category::HostUnknown
            if status.is_some_and(|s| s.class == 4)
                || finding.reply_code.is_some_and(|c| c.class_digit() == 4) =>
        {
            "networkerror"
        }
        Category::ConnectionRefused | Category::BannerFailure | Category::NetworkError
            if action.is_some_and(|a| a.eq_ignore_ascii_case("delayed")) =>
        {
            "expired"
        }
        _ => base,
    }
}

/// True when the knowledge-base entry that decided the finding has `part` in its id.
fn decided_by(finding: &Finding, part: &str) -> bool {
    finding.matched.first().is_some_and(|m| m.contains(part))
}

/// True when the address itself is bad: the reason is `userunknown`, `hostunknown` or
/// `hasmoved`, or `notaccept` with a permanent code (sisimai 5's hard bounce).
pub fn is_hard_bounce(
    reason: &str,
    status: Option<EnhancedCode>,
    reply: Option<ReplyCode>,
) -> bool {
    match reason {
        "userunknown" | "hostunknown" | "hasmoved" => true,
        "notaccept" => {
            status.map(|s| s.class) != Some(4) && reply.map(ReplyCode::class_digit) != Some(4)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_has_a_reason() {
        for c in Category::ALL {
            assert!(REASON_MAP.iter().any(|(x, _)| x == c), "{c}");
        }
        assert!(is_hard_bounce("userunknown", None, None));
        assert!(!is_hard_bounce("notaccept", None, ReplyCode::new(421)));
        assert!(!is_hard_bounce("spamdetected", None, ReplyCode::new(550)));
    }

    fn finding(text: &str) -> Finding {
        smtp_doctor_kb::builtin().classify(&smtp_doctor_kb::extract(text))
    }

    #[test]
    fn filtered_hostunknown_and_notaccept_rules() {
        let code = |s: &str| s.parse::<EnhancedCode>().ok();
        let unknown = finding("550 User unknown");
        assert_eq!(unknown.category, Category::UserUnknown);
        // No addressing status: filtered unless the report says it answered RCPT TO.
        assert_eq!(sisimai_reason(&unknown, None, None, None), "filtered");
        assert_eq!(
            sisimai_reason(&unknown, code("5.0.0"), Some(Stage::Rcpt), None),
            "userunknown"
        );
        assert_eq!(
            sisimai_reason(&unknown, code("5.1.1"), Some(Stage::Data), None),
            "userunknown"
        );
        assert_eq!(
            sisimai_reason(&unknown, code("5.1.6"), None, None),
            "hasmoved"
        );
        let nx = finding(
            "DNS Error: lookup of example.org responded with code NXDOMAIN Domain name not found",
        );
        assert_eq!(nx.category, Category::HostUnknown);
        assert_eq!(
            sisimai_reason(&nx, code("4.0.0"), None, None),
            "networkerror"
        );
        assert_eq!(
            sisimai_reason(&nx, code("5.1.2"), None, None),
            "hostunknown"
        );
        let no_mx = finding("Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)");
        assert_eq!(
            sisimai_reason(&no_mx, code("5.4.4"), None, None),
            "notaccept"
        );
    }
}
