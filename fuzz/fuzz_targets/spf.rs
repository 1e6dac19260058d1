//! The SPF record parser and `check_host()`: the input as a record (raw, and remapped into
//! SPF's alphabet behind `v=spf1 `), checked for the parser's invariants, then evaluated over an
//! in-memory zone where it is the record of a domain that other records include and redirect to.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor_dnsauth::dns::{Rdata, Zone};
use smtp_doctor_dnsauth::spf::{check, parse, Client, Options};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Tokens the remapped input is made of: SPF's mechanisms, modifiers, macros and punctuation.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    " ", "a", "mx", "ptr", "all", "include:", "exists:", "ip4:", "ip6:", "redirect=", "exp=",
    "+", "-", "~", "?", ":", "/", "//", ".", "example.com", "x.example.com", "%{", "}", "%%",
    "%_", "%-", "d", "i", "l", "o", "s", "h", "p", "v", "c", "r", "t", "1", "2", "0", "24", "33",
    "128", "192.0.2.1", "2001:db8::", "::", "=", "_", ",", "moo", "%", "D", "I", "\t", "\u{80}",
];

fn remap(data: &[u8]) -> Vec<u8> {
    let mut out = b"v=spf1 ".to_vec();
    for &b in data {
        out.extend_from_slice(TOKENS[usize::from(b) % TOKENS.len()].as_bytes());
    }
    out
}

fn invariants(text: &[u8]) {
    let r = parse(text);
    for e in &r.errors {
        assert!(e.position <= text.len(), "{e:?} beyond {}", text.len());
    }
    for t in &r.terms {
        assert!(
            t.span.start < t.span.end && t.span.end <= text.len(),
            "{t:?}"
        );
    }
}

/// Runs a future that never waits (the in-memory zone answers at once) to completion.
fn run<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn evaluate(record: &[u8]) {
    let mut z = Zone::new();
    z.add("example.com", Rdata::Txt(vec![record.to_vec()]))
        .add("example.com", Rdata::A([192, 0, 2, 1].into()))
        .add(
            "x.example.com",
            Rdata::Txt(vec![b"v=spf1 include:example.com ?all".to_vec()]),
        )
        .add(
            "y.example.com",
            Rdata::Txt(vec![b"v=spf1 redirect=example.com".to_vec()]),
        )
        .add("1.2.0.192.in-addr.arpa", Rdata::Ptr("example.com".into()));
    for (ip, domain) in [
        ("192.0.2.1", "example.com"),
        ("2001:db8::1", "y.example.com"),
    ] {
        let client = Client {
            ip: ip.parse().ok(),
            sender: format!("a.b@{domain}"),
            helo: "x.example.com".to_string(),
        };
        let _ = run(check(&z, &client, &Options::default()));
    }
    let walk = Client {
        ip: None,
        sender: "x.example.com".to_string(),
        helo: String::new(),
    };
    let _ = run(check(&z, &walk, &Options::default()));
}

fuzz_target!(|data: &[u8]| {
    invariants(data);
    let mapped = remap(data);
    invariants(&mapped);
    evaluate(data);
    evaluate(&mapped);
});
