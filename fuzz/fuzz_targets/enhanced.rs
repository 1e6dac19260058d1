//! Reply and enhanced status codes (RFC 3463): every parser of them, on the input as text and
//! as bytes, and on every suffix of its first line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor_model::{EnhancedCode, ReplyCode};
use smtp_doctor_wire::split_enhanced;

fuzz_target!(|data: &[u8]| {
    let _ = EnhancedCode::parse_bytes(data);
    let text = String::from_utf8_lossy(data);
    let line = text.lines().next().unwrap_or_default();
    for (i, _) in line.char_indices().take(64) {
        let rest = &line[i..];
        if let Some((code, after)) = split_enhanced(rest) {
            assert!(rest.len() >= after.len());
            assert_eq!(code.to_string().parse::<EnhancedCode>().ok(), Some(code));
        }
        let _ = rest.parse::<EnhancedCode>();
        let _ = rest.parse::<ReplyCode>();
    }
});
