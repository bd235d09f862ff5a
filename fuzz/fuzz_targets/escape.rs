#![no_main]
//! The terminal sanitiser (`licpath::escape`): no control character survives, escaping is
//! idempotent, and decoding bytes for the model then escaping shows the same as escaping
//! the bytes directly.
use libfuzzer_sys::fuzz_target;
use licpath::escape::{esc, escape, text_of_bytes};

fuzz_target!(|data: &[u8]| {
    let shown = esc(data).to_string();
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    assert_eq!(escape(&shown), shown.as_str(), "idempotent");
    assert_eq!(esc(text_of_bytes(data).as_ref()).to_string(), shown);
});
