#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = licpath::wire::x509::parse_certificate(data) {
        let _ = licpath::wire::x509::name_matches(&c, "smartreceiver.cisco.com");
    }
});
