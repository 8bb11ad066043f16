//! The served page's request JSON (`POST /api/trace`, `POST /api/step`) on arbitrary
//! bytes: parsed, checked against the limits and resolved into a network and batch, or
//! refused with an error; no panic, no allocation from an unchecked size.
#![no_main]

use bplab_viz::server::request::{parse, NetRequest, StepRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = parse::<NetRequest>(data, "/api/trace") {
        let _ = r.dtype();
        let _ = r.resolve();
    }
    if let Ok(s) = StepRequest::parse(data) {
        let _ = s.net.resolve();
    }
});
