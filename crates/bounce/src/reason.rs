//! Our categories in sisimai's reason vocabulary, for comparison with sisimai and its corpus.
//!
//! The mapping is a table ([`REASON_MAP`]) plus rules that use what a bounce says beyond the
//! category, as sisimai does (docs/bounce.md lists them too):
//! - a user-unknown rejection without an X.1.x status and not at a command before the message
//!   (the stage comes from the diagnostic or, when it names none, from the report's transcript
//!   or prose) is `filtered` (a recipient-side filter, not a missing mailbox), unless a directory
//!   lookup's or a provider's own wording decided it; au's "550 : User unknown" is `filtered`;
//! - a moved address (X.1.6) is `hasmoved`;
//! - "unknown user" at MAIL FROM, and a code-only or vague refusal there, is `rejected` (the
//!   sender); a code-only or user-unknown refusal of the greeting or EHLO is `blocked`;
//! - a receiver fault that a `*.mailer*` entry names (procmail, a pipe, a delivery agent) is
//!   `mailererror`;
//! - a host-unknown finding under a 4.x.x code is `networkerror`, else a missing MX `notaccept`;
//! - a bare 450 with no cause is `onhold`;
//! - a delay report (Action `delayed`) whose cause is a network failure is `expired`, and a
//!   connection timeout in a bounce means the sender's queue gave up: `expired`.

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
    let before_data = matches!(
        command,
        Some(Stage::Rcpt | Stage::Mail | Stage::Ehlo | Stage::Banner | Stage::Connect)
    );
    let greeting = matches!(command, Some(Stage::Ehlo | Stage::Banner | Stage::Connect));
    match finding.category {
        // au (KDDI) answers "550 : User unknown", with no address, when its domain filter
        // refuses the sender, and "550 <address>: User unknown" for a missing mailbox.
        Category::UserUnknown if decided_by(finding, ".domain-filter") => "filtered",
        Category::UserUnknown if status.is_some_and(|s| s.subject == 1 && s.detail == 6) => {
            "hasmoved"
        }
        // "Unknown user" in answer to MAIL FROM is about the sender; a refusal of the
        // greeting or of EHLO that names no cause is a refusal of the client (sisimai's rule).
        Category::UserUnknown if command == Some(Stage::Mail) => "rejected",
        _ if greeting && (finding.category == Category::UserUnknown || by_code(finding)) => {
            "blocked"
        }
        Category::Blocked | Category::Undefined | Category::OnHold
            if command == Some(Stage::Mail)
                && (by_code(finding) || decided_by(finding, ".vague")) =>
        {
            "rejected"
        }
        // A missing mailbox is reported with an addressing status (X.1.x) or at a command
        // before the message; a "no such user" without either came from a filter that read the
        // message, or from a report that does not say: sisimai's `filtered` in both cases.
        // Not when the wording is a directory lookup's or a provider's own (Domino, Exchange,
        // Yahoo's "This user doesn't have a ... account"): those name a missing mailbox.
        Category::UserUnknown
            if status.is_none_or(|s| s.subject != 1)
                && !before_data
                && !names_missing_mailbox(finding) =>
        {
            "filtered"
        }
        Category::SystemError if decided_by(finding, ".mailer") => "mailererror",
        // A lookup that failed only for now (a 4.x.x report) says nothing about the domain; a
        // domain without mail exchangers is one that takes no mail (sisimai's `notaccept`).
        Category::HostUnknown
            if status.is_some_and(|s| s.class == 4)
                || finding.reply_code.is_some_and(|c| c.class_digit() == 4) =>
        {
            "networkerror"
        }
        Category::HostUnknown if decided_by(finding, ".no-mx") => "notaccept",
        // A bare 450 ("Temporary failure") names no cause: not enough to decide.
        Category::Greylisted
            if finding
                .matched
                .first()
                .is_some_and(|m| m.starts_with("reply.")) =>
        {
            "onhold"
        }
        // A delay report whose cause is a refused or silent connection, or only a network
        // status code, is a delivery still waiting: sisimai's `expired`. A network fault the
        // text names (no route to host, unreachable) stays `networkerror`.
        Category::ConnectionRefused | Category::BannerFailure | Category::NetworkError
            if action.is_some_and(|a| a.eq_ignore_ascii_case("delayed"))
                && (finding.category != Category::NetworkError || by_code(finding)) =>
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

/// True when a bare reply or enhanced code decided the finding: no phrase of the text did.
fn by_code(finding: &Finding) -> bool {
    finding
        .matched
        .first()
        .is_some_and(|m| m.starts_with("reply.") || m.starts_with("enhanced."))
}

/// True when the deciding entry is a directory lookup's wording (`*.directory`, Microsoft's
/// directory-based edge block `*.access-denied-edge`) or a provider's own (`provider.*`): they
/// say the mailbox does not exist, whatever the stage.
fn names_missing_mailbox(finding: &Finding) -> bool {
    decided_by(finding, ".directory")
        || decided_by(finding, ".access-denied-edge")
        || finding
            .matched
            .first()
            .is_some_and(|m| m.starts_with("provider."))
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
        let later = finding(
            "DNS Error: DNS type 'mx' lookup of example.org responded with code NOERROR, had no relevant answers",
        );
        assert_eq!(
            sisimai_reason(&later, code("4.0.0"), None, None),
            "networkerror"
        );
        let no_mx = finding("Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)");
        assert_eq!(
            sisimai_reason(&no_mx, code("5.4.4"), None, None),
            "notaccept"
        );
    }

    #[test]
    fn vendor_wording_command_and_bare_code_rules() {
        let code = |s: &str| s.parse::<EnhancedCode>().ok();
        // A directory lookup or a provider's own wording names a missing mailbox at any stage.
        for text in [
            "User bob (bob@example.org) not listed in Domino Directory",
            "554 delivery error: dd This user doesn't have a example.com account (bob@example.com) [0]",
            "550 <bob@ezweb.ne.jp>: User unknown",
        ] {
            let f = finding(text);
            assert_eq!(f.category, Category::UserUnknown, "{text}");
            assert_eq!(sisimai_reason(&f, None, None, None), "userunknown", "{text}");
        }
        // au's refusal by the recipient's filter leaves the address out.
        let filter = finding("550 : User unknown");
        assert_eq!(
            sisimai_reason(&filter, code("5.1.351"), None, None),
            "filtered"
        );
        let unknown = finding("553 5.1.0 Unknown user");
        assert_eq!(
            sisimai_reason(&unknown, code("5.1.0"), Some(Stage::Mail), None),
            "rejected"
        );
        let bare = finding("550 Rejected");
        assert_eq!(
            sisimai_reason(&bare, None, Some(Stage::Ehlo), None),
            "blocked"
        );
        let denied = finding("550 5.7.1 Access denied");
        assert_eq!(
            sisimai_reason(&denied, code("5.7.1"), Some(Stage::Mail), None),
            "rejected"
        );
        assert_ne!(
            sisimai_reason(&denied, code("5.7.1"), Some(Stage::Rcpt), None),
            "rejected"
        );
        let temp = finding("450 4.0.0 Temporary failure");
        assert_eq!(sisimai_reason(&temp, code("4.0.0"), None, None), "onhold");
        let grey = finding("451 4.7.1 Greylisted, please try again later");
        assert_eq!(sisimai_reason(&grey, code("4.7.1"), None, None), "blocked");
    }
}
