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

/// The sisimai reason for a bounce's finding, its status code and its DSN Action.
pub fn sisimai_reason(
    finding: &Finding,
    status: Option<EnhancedCode>,
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
        Category::UserUnknown
            if matches!(finding.stage, Some(Stage::Data | Stage::EndOfData))
                && status.is_none_or(|s| s.subject != 1) =>
        {
            "filtered"
        }
        Category::SystemError
            if finding
                .matched
                .first()
                .is_some_and(|m| m.contains(".mailer")) =>
        {
            "mailererror"
        }
        Category::ConnectionRefused | Category::BannerFailure | Category::NetworkError
            if action.is_some_and(|a| a.eq_ignore_ascii_case("delayed")) =>
        {
            "expired"
        }
        _ => base,
    }
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
}
