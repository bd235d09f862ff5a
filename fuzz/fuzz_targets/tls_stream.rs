//! The TLS decoder fed arbitrary bytes in arbitrary chunks and directions.
#![no_main]
use libfuzzer_sys::fuzz_target;
use licpath::model::Direction;

fuzz_target!(|data: &[u8]| {
    let mut d = licpath::wire::tls::TlsDecoder::new();
    let mut out = Vec::new();
    let mut rest = data;
    while let Some((&ctl, tail)) = rest.split_first() {
        let n = usize::from(ctl & 0x7f).min(tail.len());
        let dir = if ctl & 0x80 == 0 { Direction::ToServer } else { Direction::ToClient };
        d.feed(dir, &tail[..n], &mut out);
        rest = &tail[n..];
    }
});
