//! RFC 3834 automatic replies: vacation and out-of-office messages, reported as auto-replies,
//! never as bounces. The signals are data: header fields and subject phrases.

use crate::Parts;

/// (header, value prefixes in lower case; empty = any value) that mark an automatic reply.
const HEADERS: &[(&str, &[&str])] = &[
    ("Auto-Submitted", &["auto-replied", "auto-notified"]),
    ("X-Autoreply", &[]),
    ("X-Autorespond", &[]),
    ("X-Autoresponder", &[]),
    ("X-Auto-Reply", &[]),
    ("Precedence", &["auto_reply", "auto-reply"]),
    ("X-Precedence", &["auto_reply", "auto-reply"]),
    ("X-Mailer", &["vacation"]),
];

/// Subject phrases (lower case) of automatic replies.
const SUBJECTS: &[&str] = &[
    "out of office",
    "out of the office",
    "out-of-office",
    "automatic reply",
    "auto reply",
    "auto-reply",
    "autoreply",
    "auto response",
    "auto-response",
    "autoresponse",
    "automatische antwort",
    "abwesenheit",
    "réponse automatique",
    "reponse automatique",
    "respuesta automática",
    "risposta automatica",
    "resposta automática",
    "on vacation",
    "vacation",
    "away from",
    "自動応答",
    "自動返信",
    "不在",
];

/// True when the headers or the subject mark the message as an automatic reply.
pub(crate) fn is_auto_reply(p: &Parts) -> bool {
    let by_header = HEADERS.iter().any(|(name, prefixes)| {
        p.header(name).is_some_and(|v| {
            let v = v.trim().to_ascii_lowercase();
            if prefixes.is_empty() {
                !v.is_empty() && v != "no" && v != "0" && v != "false"
            } else {
                prefixes.iter().any(|x| v.starts_with(x))
            }
        })
    });
    let subject = p.subject.to_lowercase();
    by_header || SUBJECTS.iter().any(|s| subject.contains(s))
}
