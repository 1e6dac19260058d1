//! The MTA-STS fetch's HTTP response reader (`mtasts::fetch::parse_response`), on the input as
//! a whole response and behind a valid status line, checking that the body it returns is a
//! part of the input and cut at its Content-Length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_doctor_dnsauth::mtasts::fetch::parse_response;

fuzz_target!(|data: &[u8]| {
    let mut framed = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n".to_vec();
    framed.extend_from_slice(data);
    for input in [data, framed.as_slice()] {
        if let Ok(r) = parse_response(input) {
            assert!(r.body.len() <= input.len());
            if let Some(len) = r.header("content-length") {
                assert_eq!(len.parse::<usize>().ok(), Some(r.body.len()));
            }
        }
    }
});
