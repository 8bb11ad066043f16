//! The batch JSON reader (`--batch FILE.json`) on arbitrary text, then its validation
//! against a softmax/cross-entropy network and an mse one: an error or a batch, no panic.
#![no_main]

use bplab_core::{Activation, Batch, Loss, NetSpec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(b) = Batch::from_json(text, "fuzz") {
        let n_in = b.x.shape[1].max(1);
        let n_out = b.y.shape[1].max(1);
        for (act, loss) in [
            (Activation::Softmax, Loss::CrossEntropy),
            (Activation::Sigmoid, Loss::Mse),
        ] {
            if let Ok(spec) = NetSpec::new(vec![n_in, n_out], vec![act], loss, false) {
                let _ = b.validate(&spec);
            }
        }
    }
});
