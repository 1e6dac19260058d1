//! The `_mta-sts` TXT record parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor_dnsauth::mtasts;

mod records;

#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "v=STSv1", ";", " ", "\t", "=", "id=", "20240101T010101Z", "abc", "-", "ext", ".", "_",
    "v=spf1",
];

fuzz_target!(|data: &[u8]| {
    for text in records::texts(data, TOKENS) {
        let _ = mtasts::parse_record(&text);
    }
});
