//! The DMARC record parser, the checks that need the policy domain, the public-suffix view and
//! the RFC 9989 tree walk (every name answering with the input as its record).
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor_dnsauth::dmarc::{self, org};

mod records;

#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "v=DMARC1", "V = DMARC1", ";", " ", "\t", "=", ",", ":", "!", "p=", "sp=", "np=", "none",
    "quarantine", "reject", "rua=", "ruf=", "mailto:", "d@example.com", "https://r.example.net/",
    "ftp:", "10m", "k", "fo=", "0", "1", "d", "s", "adkim=", "aspf=", "r", "pct=", "100", "rf=",
    "afrf", "ri=", "psd=", "y", "n", "u", "t=", "x-", ".", "@", "v=spf1",
];

fuzz_target!(|data: &[u8]| {
    for text in records::texts(data, TOKENS) {
        if let Ok(p) = dmarc::parse(&text) {
            let _ = dmarc::external_destinations(&p.record, "example.com");
            let _ = dmarc::parked_domain_warnings(&p.record, "example.com");
            let _ = p.warnings.iter().map(ToString::to_string).count();
        }
        let _ = dmarc::is_dmarc(&text);
        let _ = org::psl_organizational_domain(&text);
        let answer = |_: &str| Ok::<_, ()>(vec![text.clone()]);
        let _ = org::organizational_domain_views(&format!("a.b.{text}"), answer);
        let _ = org::discover_policy(&text, answer);
    }
});
