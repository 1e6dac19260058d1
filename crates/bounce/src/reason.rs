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
//! - a policy refusal by a rule the recipient set (a `*.recipient-filter` entry: "Refused due
//!   to recipient preferences", "You have been blocked by the recipient") is `filtered`;
//! - a receiver fault that a `*.mailer*` entry names (procmail, a pipe, a delivery agent) is
//!   `mailererror`;
//! - a host-unknown finding under a 4.x.x code is `networkerror`, else a missing MX `notaccept`;
//! - a bare 450 with no cause is `onhold`, and so is a finding that names no cause (`undefined`)
//!   when the recipient has a diagnostic of its own that says more than the address: sisimai's
//!   `onhold` is "a diagnostic, but not enough to decide", its `undefined` "no diagnostic";
//! - a refusal of the greeting with a reply code (Postfix's "refused to talk to me: 421 ...") is
//!   the server turning the client away: `blocked`; without a reply (silence, a closed
//!   connection) it stays `networkerror`;
//! - a delay report (Action `delayed`) or an expiry (status X.4.7) whose cause is a refused or
//!   silent connection is `expired`, and a connection timeout in a bounce means the sender's
//!   queue gave up: `expired`;
//! - a receiver fault reported by a local delivery program (Diagnostic-Code type `X-Unix`) is
//!   `mailererror` ([`delivery_program`]).

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
/// the error answered (`None` when it does not say), its DSN Action and the recipient's own
/// diagnostic text (`None` when the report has none for it: no Diagnostic-Code, or a text that
/// never names the recipient).
pub fn sisimai_reason(
    finding: &Finding,
    status: Option<EnhancedCode>,
    command: Option<Stage>,
    action: Option<&str>,
    diagnostic: Option<&str>,
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
        // A rule the recipient set ("Refused due to recipient preferences", a blocked sender):
        // sisimai's `filtered`.
        Category::PolicyViolation if decided_by(finding, ".recipient-filter") => "filtered",
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
        // No cause found, but the recipient has a diagnostic that says something: sisimai's
        // `onhold` ("not enough to decide"); with nothing to read it stays `undefined`.
        Category::Undefined | Category::OnHold => {
            if diagnostic.is_some_and(says_more_than_addresses) {
                "onhold"
            } else {
                base
            }
        }
        // A delay or expiry report whose cause is a refused or silent connection, or only a
        // network status code, is a delivery still waiting or given up: sisimai's `expired`. A
        // network fault the text names (no route to host, unreachable) stays `networkerror`.
        Category::ConnectionRefused | Category::BannerFailure | Category::NetworkError
            if (action.is_some_and(|a| a.eq_ignore_ascii_case("delayed"))
                || status.is_some_and(|s| s.subject == 4 && s.detail == 7))
                && (finding.category != Category::NetworkError || by_code(finding)) =>
        {
            "expired"
        }
        // The server answered the connection with a refusal (421, 554) instead of its
        // greeting: it turned this client away.
        Category::BannerFailure if finding.reply_code.is_some_and(|c| !c.is_positive()) => {
            "blocked"
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

/// True when `text` holds at least three letters outside its e-mail addresses: a diagnostic,
/// not only the recipient's address (`* bob@example.org`).
pub(crate) fn says_more_than_addresses(text: &str) -> bool {
    text.split_whitespace()
        .filter(|w| !w.contains('@'))
        .flat_map(str::chars)
        .filter(|c| c.is_alphabetic())
        .nth(2)
        .is_some()
}

/// The reason when the failure was reported by a local delivery program (a DSN
/// `Diagnostic-Code: X-Unix; ...`: procmail, a pipe, maildrop): a receiver fault or an
/// undecided one there is the program's (`mailererror`); any other reason stays.
pub(crate) fn delivery_program(reason: &'static str) -> &'static str {
    match reason {
        "systemerror" | "undefined" | "onhold" => "mailererror",
        other => other,
    }
}

/// True when the deciding entry is a directory lookup's wording (`*.directory`, Microsoft's
/// directory-based edge block `*.access-denied-edge`), a gateway's own recipient check
/// (`*.recipient-check`: Trend Micro InterScan, an MMS gateway) or a provider's own
/// (`provider.*`): they say the mailbox does not exist, whatever the stage.
fn names_missing_mailbox(finding: &Finding) -> bool {
    decided_by(finding, ".directory")
        || decided_by(finding, ".access-denied-edge")
        || decided_by(finding, ".recipient-check")
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
        assert_eq!(sisimai_reason(&unknown, None, None, None, None), "filtered");
        assert_eq!(
            sisimai_reason(&unknown, code("5.0.0"), Some(Stage::Rcpt), None, None),
            "userunknown"
        );
        assert_eq!(
            sisimai_reason(&unknown, code("5.1.1"), Some(Stage::Data), None, None),
            "userunknown"
        );
        assert_eq!(
            sisimai_reason(&unknown, code("5.1.6"), None, None, None),
            "hasmoved"
        );
        let nx = finding(
            "DNS Error: lookup of example.org responded with code NXDOMAIN Domain name not found",
        );
        assert_eq!(nx.category, Category::HostUnknown);
        assert_eq!(
            sisimai_reason(&nx, code("4.0.0"), None, None, None),
            "networkerror"
        );
        assert_eq!(
            sisimai_reason(&nx, code("5.1.2"), None, None, None),
            "hostunknown"
        );
        let later = finding(
            "DNS Error: DNS type 'mx' lookup of example.org responded with code NOERROR, had no relevant answers",
        );
        assert_eq!(
            sisimai_reason(&later, code("4.0.0"), None, None, None),
            "networkerror"
        );
        let no_mx = finding("Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)");
        assert_eq!(
            sisimai_reason(&no_mx, code("5.4.4"), None, None, None),
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
            assert_eq!(sisimai_reason(&f, None, None, None, None), "userunknown", "{text}");
        }
        // au's refusal by the recipient's filter leaves the address out.
        let filter = finding("550 : User unknown");
        assert_eq!(
            sisimai_reason(&filter, code("5.1.351"), None, None, None),
            "filtered"
        );
        let unknown = finding("553 5.1.0 Unknown user");
        assert_eq!(
            sisimai_reason(&unknown, code("5.1.0"), Some(Stage::Mail), None, None),
            "rejected"
        );
        let bare = finding("550 Rejected");
        assert_eq!(
            sisimai_reason(&bare, None, Some(Stage::Ehlo), None, None),
            "blocked"
        );
        let denied = finding("550 5.7.1 Access denied");
        assert_eq!(
            sisimai_reason(&denied, code("5.7.1"), Some(Stage::Mail), None, None),
            "rejected"
        );
        assert_ne!(
            sisimai_reason(&denied, code("5.7.1"), Some(Stage::Rcpt), None, None),
            "rejected"
        );
        let temp = finding("450 4.0.0 Temporary failure");
        assert_eq!(
            sisimai_reason(&temp, code("4.0.0"), None, None, None),
            "onhold"
        );
        let grey = finding("451 4.7.1 Greylisted, please try again later");
        assert_eq!(
            sisimai_reason(&grey, code("4.7.1"), None, None, None),
            "blocked"
        );
    }

    #[test]
    fn undecided_greeting_expiry_filter_and_mailer_rules() {
        let code = |s: &str| s.parse::<EnhancedCode>().ok();
        // No cause: `onhold` with a diagnostic of the recipient's own, `undefined` without.
        let vague = finding("542 bob@example.com Rejected");
        assert_eq!(vague.category, Category::Undefined);
        let text = "542 bob@example.com Rejected";
        assert_eq!(
            sisimai_reason(&vague, code("5.0.0"), None, None, Some(text)),
            "onhold"
        );
        assert_eq!(
            sisimai_reason(&vague, code("5.0.0"), None, None, None),
            "undefined"
        );
        assert_eq!(
            sisimai_reason(&vague, None, None, None, Some("  * bob@example.org")),
            "undefined"
        );
        // The server refused the greeting with a code: the client was turned away.
        let refused = finding(
            "host mx.example.org[192.0.2.10] refused to talk to me: 421 Service not available, closing transmission channel",
        );
        assert_eq!(refused.category, Category::BannerFailure);
        assert_eq!(
            sisimai_reason(&refused, code("4.0.0"), Some(Stage::Banner), None, None),
            "blocked"
        );
        // A refused connection in an expiry (X.4.7) report: the queue gave up.
        let conn = finding("Deferred: Connection refused by mx.example.org.");
        assert_eq!(conn.category, Category::ConnectionRefused);
        assert_eq!(
            sisimai_reason(&conn, code("4.4.7"), None, None, None),
            "expired"
        );
        assert_eq!(
            sisimai_reason(&conn, code("4.0.0"), None, None, None),
            "networkerror"
        );
        // A rule the recipient set is sisimai's `filtered`; an organisation's is not.
        let own = finding("550 5.1.1 RCP-P2 Refused due to recipient preferences");
        assert_eq!(
            sisimai_reason(&own, code("5.1.1"), None, None, None),
            "filtered"
        );
        let org = finding("550 5.7.1 This group only accepts mail from internal senders");
        assert_eq!(
            sisimai_reason(&org, code("5.7.1"), None, None, None),
            "policyviolation"
        );
        // A local delivery program's failure.
        assert_eq!(delivery_program("systemerror"), "mailererror");
        assert_eq!(delivery_program("onhold"), "mailererror");
        assert_eq!(delivery_program("mailboxfull"), "mailboxfull");
    }
}
