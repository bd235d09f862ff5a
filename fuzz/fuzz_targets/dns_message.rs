#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = licpath::wire::dns::parse_dns_message(data);
});
