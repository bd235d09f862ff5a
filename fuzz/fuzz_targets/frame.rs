//! One frame of any link type: first byte picks the link type.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&lt, frame)) = data.split_first() {
        let linktype = [0u32, 1, 12, 101, 108, 113, 228, 229, 276][usize::from(lt) % 9];
        let _ = licpath::wire::link::decode_frame(linktype, frame);
    }
});
