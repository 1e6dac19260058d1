//! Amazon SES notifications sent by e-mail (through SNS): a JSON object in the body, bare or
//! as the `Message` string of an SNS envelope, whose `notificationType` is `Bounce`, `Complaint`
//! or `Delivery`. The JSON is parsed with serde_json; the fields read are SES's documented ones.

use crate::{classify_into, dsn, parse_status, Kind, Original, Parts, Recipient, Report};
use serde_json::Value;

/// The object that starts at the first `{` of `text`, if it parses (text after it is ignored).
fn first_object(text: &str) -> Option<Value> {
    let start = text.find('{')?;
    serde_json::Deserializer::from_str(&text[start..])
        .into_iter::<Value>()
        .next()?
        .ok()
        .filter(Value::is_object)
}

/// The SES notification in the body: the object itself, or the one an SNS envelope carries.
/// A line longer than the relay allowed comes broken with `!`, a line break and a space (as
/// sendmail breaks them); JSON has no `!` outside strings and no line break inside one, so
/// those three characters are taken out when the text does not parse as it is.
fn notification(body: &str) -> Option<Value> {
    let v = first_object(body).or_else(|| first_object(&body.replace("!\n ", "")))?;
    if v.get("notificationType").is_some() {
        return Some(v);
    }
    let inner = v.get("Message")?.as_str()?;
    first_object(inner).filter(|n| n.get("notificationType").is_some())
}

/// The string at `key` of `v`, if any and not empty.
fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)?.as_str().filter(|s| !s.is_empty())
}

/// The array at `key` of `v` (empty when missing).
fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Decodes an SES notification; `None` when the body holds none.
pub(crate) fn decode(p: &Parts) -> Option<Report> {
    if !p.body.contains("notificationType") {
        return None;
    }
    let n = notification(&p.body)?;
    let mail = n.get("mail").unwrap_or(&Value::Null);
    let common = mail.get("commonHeaders").unwrap_or(&Value::Null);
    let original = Original {
        sender: text(mail, "source").map(str::to_string),
        message_id: text(mail, "messageId").map(str::to_string),
        subject: text(common, "subject").map(str::to_string),
    };
    let kind = text(&n, "notificationType")?;
    let recipients: Vec<Recipient> = if kind.eq_ignore_ascii_case("Bounce") {
        let b = n.get("bounce")?;
        let mta = text(b, "reportingMTA").map(|m| dsn::typed_value(m).to_string());
        list(b, "bouncedRecipients")
            .iter()
            .map(|x| {
                let diagnostic = text(x, "diagnosticCode")
                    .map_or("", dsn::typed_value)
                    .to_string();
                let mut r = Recipient {
                    recipient: text(x, "emailAddress").map(str::to_string),
                    action: text(x, "action").map(str::to_ascii_lowercase),
                    reporting_mta: mta.clone(),
                    last_attempt: text(b, "timestamp").map(str::to_string),
                    ..Recipient::empty()
                };
                let status = text(x, "status").and_then(parse_status);
                classify_into(&mut r, &diagnostic, true, status, None);
                r.diagnostic = diagnostic;
                r
            })
            .collect()
    } else if kind.eq_ignore_ascii_case("Delivery") {
        let d = n.get("delivery")?;
        let response = text(d, "smtpResponse").unwrap_or("").to_string();
        list(d, "recipients")
            .iter()
            .filter_map(Value::as_str)
            .map(|a| {
                let mut r = Recipient {
                    recipient: Some(a.to_string()),
                    action: Some("delivered".to_string()),
                    reporting_mta: text(d, "reportingMTA").map(str::to_string),
                    last_attempt: text(d, "timestamp").map(str::to_string),
                    ..Recipient::empty()
                };
                classify_into(&mut r, &response, true, None, None);
                r.diagnostic.clone_from(&response);
                r
            })
            .collect()
    } else if kind.eq_ignore_ascii_case("Complaint") {
        let c = n.get("complaint")?;
        let feedback_type = text(c, "complaintFeedbackType").unwrap_or("abuse");
        let recipients = list(c, "complainedRecipients")
            .iter()
            .map(|x| Recipient {
                recipient: text(x, "emailAddress").map(str::to_string),
                feedback_type: Some(feedback_type.to_ascii_lowercase()),
                last_attempt: text(c, "timestamp").map(str::to_string),
                reason: "feedback",
                ..Recipient::empty()
            })
            .collect();
        return Some(Report {
            kind: Kind::Feedback,
            format: "amazonses",
            original,
            recipients,
            notes: Vec::new(),
        });
    } else {
        return None;
    };
    (!recipients.is_empty()).then_some(Report {
        kind: Kind::Bounce,
        format: "amazonses",
        original,
        recipients,
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use crate::{parse, Kind};

    fn message(body: &str) -> String {
        format!(
            "From: Notifications <no-reply@sns.example.com>\nTo: a@example.org\n\
Subject: AWS Notification Message\nContent-Type: text/plain; charset=UTF-8\n\n{body}\n\n--\n\
If you wish to stop receiving notifications, visit https://sns.example.com/unsubscribe\n"
        )
    }

    #[test]
    fn bounces_deliveries_and_complaints() {
        let bounce = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"b@example.com","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}],"reportingMTA":"dsn; mta.example.net"},"mail":{"source":"a@example.org","messageId":"m1","commonHeaders":{"subject":"hi"}}}"#;
        let r = parse(message(bounce).as_bytes());
        assert_eq!(
            r.as_ref().map(|r| (r.kind, r.format)),
            Some((Kind::Bounce, "amazonses"))
        );
        let r = r.map(|r| (r.original, r.recipients)).unwrap_or_default();
        assert_eq!(r.0.sender.as_deref(), Some("a@example.org"));
        assert_eq!(r.1.len(), 1);
        assert_eq!(r.1[0].recipient.as_deref(), Some("b@example.com"));
        assert_eq!(
            r.1[0].status.map(|s| s.to_string()).as_deref(),
            Some("5.1.1")
        );
        assert_eq!(r.1[0].reply_code.map(|c| c.get()), Some(550));
        assert_eq!(r.1[0].reporting_mta.as_deref(), Some("mta.example.net"));
        // The same inside an SNS envelope, as an escaped string.
        let envelope = format!(
            "{{\n  \"Type\" : \"Notification\",\n  \"Message\" : {}\n}}",
            serde_json::Value::String(bounce.to_string())
        );
        let r = parse(message(&envelope).as_bytes()).map(|r| r.recipients);
        assert_eq!(
            r.map(|r| r.len() == 1 && r[0].recipient.as_deref() == Some("b@example.com")),
            Some(true)
        );
        let delivery = r#"{"notificationType":"Delivery","mail":{"source":"a@example.org"},"delivery":{"recipients":["c@example.com"],"smtpResponse":"250 2.6.0 Message received"}}"#;
        let r = parse(message(delivery).as_bytes()).map(|r| r.recipients);
        let r = r.unwrap_or_default();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].status.map(|s| s.to_string()).as_deref(), Some("2.6.0"));
        assert_eq!(r[0].reply_code.map(|c| c.get()), Some(250));
        let complaint = r#"{"notificationType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"d@example.com"}],"complaintFeedbackType":"abuse"},"mail":{}}"#;
        let r = parse(message(complaint).as_bytes());
        assert_eq!(r.as_ref().map(|r| r.kind), Some(Kind::Feedback));
        let r = r.map(|r| r.recipients).unwrap_or_default();
        assert_eq!(r[0].recipient.as_deref(), Some("d@example.com"));
        assert_eq!(r[0].feedback_type.as_deref(), Some("abuse"));
        // Lines broken by a relay are joined again.
        let broken = bounce.replacen("\"status\"", "!\n \"status\"", 1);
        let r = parse(message(&broken).as_bytes()).map(|r| r.recipients);
        assert_eq!(r.map(|r| r.len()), Some(1));
        // Broken JSON is no notification (and no panic).
        assert!(
            parse(message(r#"{"notificationType":"Bounce","bounce":"#).as_bytes())
                .is_none_or(|r| r.format != "amazonses")
        );
    }
}
