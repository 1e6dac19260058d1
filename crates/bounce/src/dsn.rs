//! The RFC 3464 field-block parser: `message/delivery-status` bodies (and RFC 5965
//! `message/feedback-report` bodies, which use the same field syntax).
//!
//! Written by hand: the body is a sequence of header-like field groups separated by blank lines,
//! the first one per message, the others per recipient, with folded continuation lines. Real
//! reports forget blank lines, repeat groups, put fields in the wrong group and fold anywhere, so
//! the parser is tolerant: a group with a recipient field is a recipient group, a second
//! `Final-Recipient` in one group starts a new recipient, and every other group's fields count as
//! per-message fields.

use crate::text;
use std::borrow::Cow;

/// Most fields kept from one report (the rest are ignored).
const MAX_FIELDS: usize = 4096;
/// Most bytes kept of one field's value.
const MAX_VALUE: usize = 16 * 1024;

/// One `Name: value` field, unfolded, name as written: borrowed from the parsed text, the value
/// copied only when continuation lines are joined to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field<'a> {
    /// The field name as written ("Final-Recipient").
    pub(crate) name: &'a str,
    /// The unfolded value, continuation lines joined by one space.
    pub(crate) value: Cow<'a, str>,
}

/// A group of fields (per-message or per-recipient).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Group<'a> {
    /// The fields, in order.
    pub(crate) fields: Vec<Field<'a>>,
}

impl Group<'_> {
    /// The first value of the field `name` (ASCII case-insensitive), trimmed, if not empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.trim())
            .filter(|v| !v.is_empty())
    }

    fn has_recipient(&self) -> bool {
        self.get("Final-Recipient").is_some() || self.get("Original-Recipient").is_some()
    }
}

/// A parsed delivery-status body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DeliveryStatus<'a> {
    /// The per-message fields (Reporting-MTA, Arrival-Date, ...), from every non-recipient group.
    pub(crate) message: Group<'a>,
    /// One group per recipient.
    pub(crate) recipients: Vec<Group<'a>>,
}

/// True when `name` is a field name token (RFC 5322 ftext, no spaces), short enough to be one.
fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b':' && b != b'<' && b != b'>')
}

/// Splits `text` into lines on LF, CRLF or bare CR (a CR that ends the text ends its last line).
pub(crate) fn lines(text: &str) -> Lines<'_> {
    Lines { rest: Some(text) }
}

/// The lines of a text ([`lines`]), found with one `memchr2` per line.
pub(crate) struct Lines<'a> {
    /// The text after the lines given so far; `None` once the last line is given.
    rest: Option<&'a str>,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        let b = rest.as_bytes();
        let Some(i) = memchr::memchr2(b'\n', b'\r', b) else {
            self.rest = None;
            return Some(rest);
        };
        let crlf = b[i] == b'\r' && b.get(i + 1) == Some(&b'\n');
        self.rest = if b[i] == b'\r' && i + 1 == b.len() {
            None
        } else {
            Some(&rest[i + if crlf { 2 } else { 1 }..])
        };
        Some(&rest[..i])
    }
}

/// Parses field groups from `text`. Lines that are neither a field nor a continuation are
/// skipped, so fields embedded in prose are found too.
pub(crate) fn parse_groups(text: &str) -> Vec<Group<'_>> {
    groups_up_to(text, usize::MAX)
}

/// The first field group of `text` (see [`parse_groups`]), read no further than its end: a
/// message's header block.
pub(crate) fn first_group(text: &str) -> Option<Group<'_>> {
    groups_up_to(text, 1).pop()
}

/// The first `max` field groups of `text`, parsed as [`parse_groups`] does.
fn groups_up_to(text: &str, max: usize) -> Vec<Group<'_>> {
    let mut groups = vec![Group::default()];
    let mut count = 0;
    let mut last_was_field = false;
    for line in lines(text) {
        if text::trim(line).is_empty() {
            if groups.last().is_some_and(|g| !g.fields.is_empty()) {
                if groups.len() >= max {
                    break;
                }
                groups.push(Group::default());
            }
            last_was_field = false;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if last_was_field {
                if let Some(f) = groups.last_mut().and_then(|g| g.fields.last_mut()) {
                    if f.value.len() < MAX_VALUE {
                        let v = f.value.to_mut();
                        v.push(' ');
                        push_bounded(v, text::trim(line));
                    }
                }
            }
            continue;
        }
        let Some((name, value)) =
            memchr::memchr(b':', line.as_bytes()).map(|i| (&line[..i], &line[i + 1..]))
        else {
            last_was_field = false;
            continue;
        };
        // White space before the colon is RFC 5322's obsolete syntax (`Diagnostic-Code : smtp;`).
        let name = name.trim_end_matches([' ', '\t']);
        if !is_field_name(name) || count >= MAX_FIELDS {
            last_was_field = false;
            continue;
        }
        count += 1;
        let Some(group) = groups.last_mut() else {
            continue;
        };
        group.fields.push(Field {
            name,
            value: Cow::Borrowed(smtp_doctor_kb::cut(text::trim(value), MAX_VALUE)),
        });
        last_was_field = true;
    }
    groups.retain(|g| !g.fields.is_empty());
    groups
}

fn push_bounded(s: &mut String, add: &str) {
    s.push_str(smtp_doctor_kb::cut(add, MAX_VALUE.saturating_sub(s.len())));
}

/// Parses a delivery-status body into per-message fields and per-recipient groups.
pub(crate) fn parse_delivery_status(text: &str) -> DeliveryStatus<'_> {
    let mut ds = DeliveryStatus::default();
    for group in parse_groups(text) {
        if !group.has_recipient() {
            ds.message.fields.extend(group.fields);
            continue;
        }
        // A group with two recipient fields of the same kind is two recipients whose blank line
        // was lost; fields before the first recipient field belong to the first.
        let mut current = Group::default();
        let mut seen_final = false;
        let mut seen_original = false;
        for f in group.fields {
            let is_final = f.name.eq_ignore_ascii_case("Final-Recipient");
            let is_original = f.name.eq_ignore_ascii_case("Original-Recipient");
            let repeated = (is_final && seen_final) || (is_original && seen_original && !is_final);
            if repeated
                && current.fields.iter().any(|x| {
                    x.name.eq_ignore_ascii_case("Final-Recipient")
                        || x.name.eq_ignore_ascii_case("Action")
                        || x.name.eq_ignore_ascii_case("Status")
                })
            {
                ds.recipients.push(std::mem::take(&mut current));
                seen_final = false;
                seen_original = false;
            }
            seen_final |= is_final;
            seen_original |= is_original;
            current.fields.push(f);
        }
        if !current.fields.is_empty() {
            ds.recipients.push(current);
        }
    }
    ds
}

/// The address of an address-type field value (`rfc822; a@b`), without the type, brackets or
/// quotes; `None` when nothing address-like is left.
pub(crate) fn address_value(value: &str) -> Option<String> {
    let v = match value.split_once(';') {
        Some((kind, rest)) if !kind.contains('@') => rest,
        _ => value,
    };
    crate::text::clean_address(v)
}

/// The text of a typed field value (`smtp; 550 ...`, `dns; mx.example.org`), without the type.
pub(crate) fn typed_value(value: &str) -> &str {
    match value.split_once(';') {
        Some((kind, rest))
            if !kind.is_empty()
                && kind.len() <= 16
                && kind
                    .trim()
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            rest.trim()
        }
        _ => value.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_on_lf_crlf_and_bare_cr() {
        // The definition: split on LF, drop one CR before each LF (or at the end), split on CR.
        fn by_definition(text: &str) -> Vec<&str> {
            text.split('\n')
                .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
                .collect()
        }
        for text in [
            "",
            "a",
            "\n",
            "\r",
            "\r\n",
            "a\r\n",
            "a\r",
            "a\r\r",
            "a\nb\r",
            "a\r\n\r",
            "a\r\rb",
            "\n\n",
            "\r\r\n\n",
            "a\n\rb\r\nc",
            "x\r\n\r\ny\r",
        ] {
            assert_eq!(
                lines(text).collect::<Vec<_>>(),
                by_definition(text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn first_group_is_the_first_of_all_groups() {
        let text = "\r\n\nFrom: a@example.org\nSubject: one\n  two\n\nTo: b@example.org\n\nX: y\n";
        let all = parse_groups(text);
        assert_eq!(all.len(), 3);
        assert_eq!(first_group(text).as_ref(), all.first());
        assert_eq!(
            first_group(text)
                .and_then(|g| g.get("Subject").map(str::to_string))
                .as_deref(),
            Some("one two")
        );
        assert_eq!(first_group("no fields here\n\n"), None);
    }

    #[test]
    fn groups_fold_and_split() {
        let body = "Reporting-MTA: dns; mx.example.org\r\nArrival-Date: Mon, 1 Jan 2024\r\n\r\n\
            Final-Recipient: rfc822; a@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\
            Diagnostic-Code: smtp; 550 5.1.1 <a@example.com>:\r\n    user unknown\r\n\r\n\
            Final-Recipient: rfc822; b@example.com\nAction: delayed\nStatus: 4.4.1\n\
            Final-Recipient: rfc822;c@example.com\nAction: failed\nStatus: 5.2.2\n";
        let ds = parse_delivery_status(body);
        assert_eq!(ds.message.get("reporting-mta"), Some("dns; mx.example.org"));
        assert_eq!(ds.recipients.len(), 3);
        assert_eq!(
            ds.recipients[0].get("Diagnostic-Code"),
            Some("smtp; 550 5.1.1 <a@example.com>: user unknown")
        );
        assert_eq!(ds.recipients[2].get("Status"), Some("5.2.2"));
        assert_eq!(
            address_value("rfc822; <C@Example.com>").as_deref(),
            Some("C@Example.com")
        );
        assert_eq!(typed_value("smtp; 550 no"), "550 no");
        assert_eq!(typed_value("550 no; really"), "550 no; really");
    }

    #[test]
    fn prose_is_skipped_and_bare_cr_splits() {
        let ds = parse_delivery_status(
            "Hello there: you\rFinal-Recipient: rfc822; x@y.z\rStatus: 5.0.0\r",
        );
        assert_eq!(ds.recipients.len(), 1);
        assert_eq!(ds.recipients[0].get("status"), Some("5.0.0"));
        assert!(parse_delivery_status("").recipients.is_empty());
        assert!(parse_delivery_status(":\n \n:::").recipients.is_empty());
    }
}
