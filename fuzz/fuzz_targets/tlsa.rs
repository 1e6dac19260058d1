//! The TLSA record text parser (`dane::parse_tlsa`), the record checks on what it reads, the
//! presentation form read back to the same record, and the chain matcher with the input as a
//! (most likely unreadable) certificate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor_dnsauth::dane;

mod records;

#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "0", "1", "2", "3", "4", "255", "256", " ", "\t", "00", "ff", "AB", "a", "g", "-",
    "0000000000000000000000000000000000000000000000000000000000000000",
];

fuzz_target!(|data: &[u8]| {
    for text in records::texts(data, TOKENS) {
        if let Ok(t) = dane::parse_tlsa(&text) {
            let _ = dane::record_problems(&t);
            assert_eq!(dane::parse_tlsa(&dane::tlsa_text(&t)).ok().as_ref(), Some(&t));
            let _ = dane::matches(std::slice::from_ref(&t), &[data.to_vec()]);
        }
    }
});
