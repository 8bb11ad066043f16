//! The safetensors loader on arbitrary bytes: the header check and the decoder either
//! return a parameter set or an error; nothing panics, nothing allocates beyond the input.
#![no_main]

use bplab_core::params::header;
use bplab_core::ParamSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() >= 8 {
        let _ = header::parse(&data[8..]);
    }
    if let Ok(p) = ParamSet::from_safetensors_bytes(data, "fuzz") {
        let _ = p.n_values();
    }
});
