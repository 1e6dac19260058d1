//! The bounded SMTP reply reader: the input fed in chunks whose sizes come from its first bytes,
//! in greeting mode and not, with the default and with tiny limits; every reply drained.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor_wire::{parse_reply, Limits, Progress, ReplyReader};

fn feed(mut reader: ReplyReader, data: &[u8], step: usize) {
    for chunk in data.chunks(step.max(1)) {
        let mut next = reader.push(chunk);
        while let Ok(Progress::Complete(reply)) = next {
            let _ = (reply.text(), reply.has_anomalies());
            next = reader.push(&[]);
        }
        if next.is_err() {
            break;
        }
    }
    let _ = (reader.first_bytes(), reader.is_mid_reply(), reader.skipped());
}

fuzz_target!(|data: &[u8]| {
    let step = usize::from(data.first().copied().unwrap_or(1) % 17) + 1;
    feed(ReplyReader::new(), data, step);
    let mut greeting = ReplyReader::new();
    greeting.expect_greeting(512);
    feed(greeting, data, 1);
    let tiny = Limits { max_line: 8, max_reply: 64, max_lines: 3 };
    feed(ReplyReader::with_limits(tiny), data, step);
    let _ = parse_reply(data);
});
