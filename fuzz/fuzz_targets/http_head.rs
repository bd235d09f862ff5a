#![no_main]
use libfuzzer_sys::fuzz_target;
use licpath::wire::http::{Head, MAX_HEAD_LEN, parse_request_head, parse_response_head};

fuzz_target!(|data: &[u8]| {
    // A complete head never claims more bytes than it was given, nor past the limit.
    if let Head::Complete { len, .. } = parse_request_head(data) {
        assert!(len <= data.len().min(MAX_HEAD_LEN));
    }
    if let Head::Complete { len, .. } = parse_response_head(data) {
        assert!(len <= data.len().min(MAX_HEAD_LEN));
    }
});
