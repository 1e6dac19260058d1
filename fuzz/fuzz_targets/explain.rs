//! `explain`'s extractor and the classifier: any text, bounded by the extractor's own cut.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (evidence, finding) = smtp_doctor_kb::explain(&text);
    assert!((0.0..=1.0).contains(&finding.confidence));
    let _ = evidence;
});
