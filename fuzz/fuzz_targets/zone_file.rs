//! The zone file reader of the in-memory DNS zone: the input as a zone file, then a few
//! queries against what it read (wildcards, empty non-terminals, CNAME chains).
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor_dnsauth::dns::{RecordType, Zone};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(zone) = Zone::from_zone_file(&text, "example.com") {
        for name in [
            "example.com",
            "a.example.com",
            "x.y.example.com",
            "mx",
            "*.example.com",
        ] {
            for rtype in [
                RecordType::A,
                RecordType::Txt,
                RecordType::Mx,
                RecordType::Cname,
            ] {
                let _ = zone.answer(name, rtype);
            }
        }
    }
});
