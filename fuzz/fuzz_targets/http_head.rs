#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = licpath::wire::http::parse_request_head(data);
    let _ = licpath::wire::http::parse_response_head(data);
});
