//! The messages of the project's source documents must come out with these labels.

use smtp_doctor_kb::explain;

/// (message, category, class)
const TABLE: &[(&str, &str, &str)] = &[
    ("Unable to read SMTP banner, connection lost", "bannerfailure", "transient"),
    ("Connection refused, 111 Can't open SMTP stream", "connectionrefused", "transient"),
    ("SMTP ERROR: Failed to connect to server: Connection timed out (110)", "connectiontimeout", "transient"),
    ("SMTP ERROR: Failed to connect to server: Connection refused (111)", "connectionrefused", "transient"),
    ("421 Too many concurrent SMTP connections from this IP address; please try again later", "toomanyconn", "transient"),
    ("451 4.7.1 Greylisting in action, please come back in 00:02:00", "greylisted", "transient"),
    ("550 5.7.1 Client host blocked using zen.spamhaus.org", "blocked", "permanent"),
    ("SMTP Error 552 5.2.3 Data size exceeds maximum permitted", "mesgtoobig", "permanent"),
    ("SMTP Error 450 5.2.3 Msg Size greater than allowed by Remote Host", "mesgtoobig", "permanent"),
    ("503 This mail server requires authentication", "securityerror", "permanent"),
    ("504 Need to authenticate first", "securityerror", "permanent"),
    ("535 5.7.8 Authentication credentials invalid", "securityerror", "permanent"),
    ("550 No such user here", "userunknown", "permanent"),
    ("552 sorry, mailbox user@somecompany.com is over quota temporarily (#5.1.1)", "mailboxfull", "permanent"),
    ("SMTP Error 550 5.1.2 Host unknown - host cannot be found", "hostunknown", "permanent"),
    ("451 Domain of sender address does not resolve", "rejected", "transient"),
    ("554 5.7.1 <user@example.org>: Relay access denied", "norelaying", "permanent"),
    ("SSL certificate expired", "tlsfailure", "permanent"),
    ("221 Goodbye", "delivered", "unknown"),
    ("250 Requested mail action okay, completed", "delivered", "unknown"),
    ("SMTP connect() failed.", "undefined", "unknown"),
];

#[test]
fn source_document_messages_come_out_right() {
    let mut wrong = Vec::new();
    for (msg, category, class) in TABLE {
        let (_, f) = explain(msg);
        if f.category.as_str() != *category || f.class.as_str() != *class {
            wrong.push(format!(
                "{msg:?}: got {}/{} via {:?}, want {category}/{class}",
                f.category, f.class, f.matched
            ));
        }
    }
    assert!(wrong.is_empty(), "{} of {} wrong:\n{}", wrong.len(), TABLE.len(), wrong.join("\n"));
}
