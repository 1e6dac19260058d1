//! The MTA-STS policy-file parser, and `mx` matching of every line of the input against the
//! policy that parsed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor_dnsauth::mtasts;

mod records;

#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "version: STSv1", "mode: ", "enforce", "testing", "none", "max_age: ", "86400", "31557601",
    "mx: ", "*.", "mail.example.com", "example.net", "\r\n", "\n", "\r", " ", ":", "x_ext: ",
    "\u{b}", "-", ".",
];

fuzz_target!(|data: &[u8]| {
    for text in records::texts(data, TOKENS) {
        if let Ok(p) = mtasts::parse_policy(&text) {
            for line in text.lines() {
                let _ = p.policy.matches(line);
            }
        }
        for line in text.lines() {
            let _ = mtasts::is_mx_pattern(line);
            let _ = mtasts::mx_matches(line, "*.example.com");
        }
    }
});
