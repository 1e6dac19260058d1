//! The DKIM key-record parser (tag list, base64, DER SubjectPublicKeyInfo or PKCS#1 keys).
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor_dnsauth::dkim;

mod records;

#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "v=DKIM1", ";", " ", "\r\n ", "=", ":", "k=", "rsa", "ed25519", "p=", "h=", "sha1", "sha256",
    "s=", "email", "*", "tlsrpt", "t=", "y", "s", "n=",
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", "MIGJAoGBAL", "AQAB", "IDAQAB",
    "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", "A", "/", "+", "=", "==", "v=spf1",
];

fuzz_target!(|data: &[u8]| {
    for text in records::texts(data, TOKENS) {
        if let Ok(p) = dkim::parse(&text) {
            let _ = (p.usable(), p.key.bits());
            let _ = p.problems.iter().map(ToString::to_string).count();
        }
    }
    // The bytes as a base64 key, so the DER readers see arbitrary input.
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, data);
    let _ = dkim::parse(&format!("v=DKIM1; p={b64}"));
});
