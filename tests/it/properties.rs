//! Property test: on ≥ 200 random networks — depth 1–8, widths 1–16, every activation, both
//! losses, with and without residual connections, batch 1–8 — the manual engine's backward
//! agrees with central finite differences within the stated tolerance, ReLU kinks excepted.

use crate::common::{assert_all_pass, batch, fd_comparisons, network};
use bplab_core::{Activation, DType, Init, Loss, Tolerance};
use bplab_manual::ManualEngine;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

const HIDDEN: [Activation; 6] = [
    Activation::Identity,
    Activation::Relu,
    Activation::LeakyRelu,
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::Gelu,
];

const INITS: [Init; 5] = [
    Init::XavierNormal,
    Init::HeNormal,
    Init::LecunNormal,
    Init::Orthogonal,
    Init::XavierUniform,
];

#[derive(Debug, Clone)]
struct Case {
    widths: Vec<usize>,
    acts: Vec<Activation>,
    loss: Loss,
    residual: bool,
    init: Init,
    batch: usize,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..=8)
        .prop_flat_map(|depth| {
            (
                proptest::collection::vec(1usize..=16, depth + 1),
                proptest::collection::vec(0usize..HIDDEN.len(), depth),
                any::<bool>(),
                any::<bool>(),
                0usize..INITS.len(),
                1usize..=8,
                any::<u64>(),
                0usize..=HIDDEN.len(),
            )
        })
        .prop_map(|(widths, act_idx, ce, residual, init, batch, seed, out)| {
            let mut acts: Vec<Activation> = act_idx.iter().map(|&i| HIDDEN[i]).collect();
            let last = acts.len() - 1;
            // Output: softmax for cross-entropy; any activation (softmax included) for mse.
            let loss = if ce { Loss::CrossEntropy } else { Loss::Mse };
            acts[last] = if ce || out == HIDDEN.len() {
                Activation::Softmax
            } else {
                HIDDEN[out]
            };
            Case {
                widths,
                acts,
                loss,
                residual,
                init: INITS[init],
                batch,
                seed,
            }
        })
}

proptest! {
    #![proptest_config(Config { cases: 240, rng_seed: RngSeed::Fixed(0xB4C7_9E0B), failure_persistence: None, ..Config::default() })]

    #[test]
    fn manual_backward_matches_finite_differences(c in case()) {
        let net = network(&c.widths, &c.acts, c.loss, c.residual, c.init, c.seed);
        let b = batch(net.spec(), c.batch, c.seed);
        let comps = fd_comparisons(&ManualEngine::new(), &net, &b, DType::F64, Tolerance::FD_F64);
        assert_all_pass(&format!("{c:?}"), &comps);
    }
}
