//! EHLO capabilities: the input as a whole reply, and each of its lines as a capability line
//! of a well-formed 250 reply.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor_wire::{parse_reply, EhloCapabilities};

fuzz_target!(|data: &[u8]| {
    if let Ok(reply) = parse_reply(data) {
        let _ = EhloCapabilities::parse(&reply);
    }
    let text = String::from_utf8_lossy(data);
    let mut wire = b"250-mx.example.org Hello\r\n".to_vec();
    for line in text.lines().take(200) {
        wire.extend_from_slice(b"250-");
        wire.extend_from_slice(line.as_bytes());
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"250 OK\r\n");
    if let Ok(reply) = parse_reply(&wire) {
        if let Ok(caps) = EhloCapabilities::parse(&reply) {
            let _ = (caps.has("STARTTLS"), caps.has("AUTH"), caps.has("SIZE"));
        }
    }
});
