//! The `_smtp._tls` TLS-RPT record parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor_dnsauth::tlsrpt;

mod records;

#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "v=TLSRPTv1", ";", " ", "\t", "=", ",", "rua=", "mailto:", "tls@example.com", "https://",
    "r.example.com", "/v1", "http://", ":8443", "@", "[2001:db8::1]", "x=y", "v=spf1",
];

fuzz_target!(|data: &[u8]| {
    for text in records::texts(data, TOKENS) {
        let _ = tlsrpt::parse(&text);
    }
});
