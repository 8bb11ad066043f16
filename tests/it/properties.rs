//! Property tests on random networks — depth 1–8, widths 1–16, every activation (silu
//! included), both losses, residual or not, no norm, LayerNorm or BatchNorm (batches of ≥ 2
//! for BatchNorm), weights `N(0, s²/w)` for a scale `s` in 0.1–2 and the widest layer `w`,
//! batch 1–8:
//! - the manual engine's backward agrees with central finite differences (f64), ReLU kinks
//!   (at `z`, or at `n = Norm(z)` on a normalized layer) excepted, Richardson-extrapolated
//!   under a norm ([`fd_config`]);
//! - every other engine agrees with the manual engine computing with that engine's documented
//!   conventions (`bplab_harness::deviations::emulating`) at the exact tolerance of the dtype —
//!   or, where a ReLU-type activation input sits so close to (but not at) 0 that the two
//!   computations can fall on different sides of the kink, with finite differences. Both
//!   dtypes draw every norm. In f32 an element may also differ by the rounding bound
//!   propagated through the network (`agreement::gradients_within_f32_rounding`, from
//!   `ManualEngine::f32_rounding_bounds`): a norm whose `σ²` is far below `ε` multiplies the
//!   backward by `rstd ≈ 316` per layer, and two f32 computations of the same gradient
//!   (different summation orders, neither wrong) then differ by more than `1e-5 + 1e-4·|b|`
//!   (e.g. `∂L/∂b` before a BatchNorm, exactly 0, is f32 noise of the size of its terms);
//! - the manual engine in f32 agrees with itself in f64 at the f32 exact tolerance or within
//!   its propagated rounding bound.
//!
//! A failing network is printed as the `bplab check` command line that reproduces it (the
//! weights are `--init normal:STD --seed N`, biases zero, `γ = 1`, `β = 0`, the batch
//! inline).

use crate::common::{assert_all_pass, batch, fd_comparisons};
use bplab_core::gradcheck::{finite_differences, FdConfig};
use bplab_core::norm::beta_name;
use bplab_core::rng::Rng;
use bplab_core::testing::{assert_passed, Draw};
use bplab_core::{
    Activation, Batch, Comparison, DType, Engine, GradRequest, Init, Loss, NetSpec, Network, Norm,
    Tolerance,
};
use bplab_harness::agreement::{exact, gradients, gradients_within_f32_rounding};
use bplab_harness::deviations::emulating;
use bplab_manual::{Fault, ManualEngine};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

const HIDDEN: [Activation; 7] = [
    Activation::Identity,
    Activation::Relu,
    Activation::LeakyRelu,
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::Gelu,
    Activation::Silu,
];

const INITS: [Init; 5] = [
    Init::XavierNormal,
    Init::HeNormal,
    Init::LecunNormal,
    Init::Orthogonal,
    Init::XavierUniform,
];

/// The norms the finite-difference property draws from: half its networks without one, a
/// quarter with each (a norm's Richardson-extrapolated differences cost twice the passes).
const FD_NORMS: [Norm; 4] = [Norm::None, Norm::None, Norm::Layer, Norm::Batch];

/// How the finite-difference property differentiates a network with `norm`: a norm's
/// `n̂ = (z − μ)/√(σ² + ε)` over values whose spread is near `√ε` (two features, or a batch of
/// two, whose difference is small) bends on the scale `s = √(σ² + ε)` ≥ `√ε` ≈ 3.2e-3, where
/// the central difference's truncation error (`(h/s)²/6` relative, up to 6e-7 at the step
/// `h` ≈ 6e-6, compounded over the layers) reaches the tolerance's 1e-6. Richardson
/// extrapolation makes it `O((h/s)⁴)` ≈ 1e-11 at the same step, whose rounding error
/// (`ε_mach·|L|/h`, amplified by `rstd` ≤ 316) stays below the tolerance; a smaller step
/// would trade one for the other.
fn fd_config(norm: Norm) -> FdConfig {
    FdConfig {
        inputs: true,
        richardson: norm != Norm::None,
        ..FdConfig::default()
    }
}

#[derive(Debug, Clone)]
struct Case {
    widths: Vec<usize>,
    acts: Vec<Activation>,
    loss: Loss,
    residual: bool,
    norm: Norm,
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
                (0usize..=HIDDEN.len(), 0usize..FD_NORMS.len()),
            )
        })
        .prop_map(
            |(widths, act_idx, ce, residual, init, batch, seed, (out, norm))| {
                let mut acts: Vec<Activation> = act_idx.iter().map(|&i| HIDDEN[i]).collect();
                let last = acts.len() - 1;
                // Output: softmax for cross-entropy; any activation (softmax included) for mse.
                let loss = if ce { Loss::CrossEntropy } else { Loss::Mse };
                acts[last] = if ce || out == HIDDEN.len() {
                    Activation::Softmax
                } else {
                    HIDDEN[out]
                };
                let norm = FD_NORMS[norm];
                Case {
                    widths,
                    acts,
                    loss,
                    residual,
                    norm,
                    init: INITS[init],
                    // BatchNorm's statistics need two examples.
                    batch: if norm == Norm::Batch {
                        batch.max(2)
                    } else {
                        batch
                    },
                    seed,
                }
            },
        )
}

proptest! {
    #![proptest_config(Config { cases: 160, rng_seed: RngSeed::Fixed(0xB4C7_9E0B), failure_persistence: None, ..Config::default() })]

    #[test]
    fn manual_backward_matches_finite_differences(c in case()) {
        let spec = NetSpec::new(c.widths.clone(), c.acts.clone(), c.loss, c.residual)
            .and_then(|s| s.with_norm(c.norm))
            .unwrap();
        let net = Draw::Mixed.network(&spec, c.init, c.seed);
        let b = batch(net.spec(), c.batch, c.seed);
        let manual = ManualEngine::new();
        let cfg = fd_config(c.norm);
        let grads = manual.grads(&net, &b, DType::F64, GradRequest { input_grad: true }).unwrap();
        let comps = finite_differences(&manual, &net, &b, &cfg).unwrap().compare(&grads, Tolerance::FD_F64);
        // A LayerNorm over one unit gives n = β = 0 (the init's β) whatever z is: a ReLU-type
        // activation then sits exactly on its kink, and β, the only thing that moves n, has
        // no derivative there to compare. Every other tensor must have compared elements.
        let at_kink: Vec<String> = (0..spec.n_layers())
            .filter(|&l| {
                spec.norm() == Norm::Layer
                    && spec.is_normalized(l)
                    && spec.layer_dims(l).1 == 1
                    && spec.activations()[l].has_kink()
            })
            .map(beta_name)
            .collect();
        let (kink, rest): (Vec<Comparison>, Vec<Comparison>) =
            comps.into_iter().partition(|c| at_kink.contains(&c.name));
        assert_all_pass(&format!("{c:?}"), &rest);
        assert_passed(&format!("{c:?}"), &kink);
    }
}

/// Random networks per engine and dtype in [`every_engine_agrees_with_the_manual_engine_under_its_conventions`].
const NETWORKS: usize = 500;

/// One random network and batch, and the command line that reproduces it.
struct Drawn {
    net: Network,
    batch: Batch,
    command: String,
}

/// Every element-wise activation the contract has (a new one joins the test here).
fn hidden_activations() -> Vec<Activation> {
    Activation::ALL
        .into_iter()
        .filter(|a| *a != Activation::Softmax)
        .collect()
}

/// The `i`-th random network of the stream `seed`: small (widths mostly ≤ 6, depth mostly ≤
/// 4) so 500 per engine and dtype stay fast in debug builds, yet every corner of the ranges
/// appears.
fn draw(seed: u64, i: usize) -> Drawn {
    let mut r = Rng::stream(seed, i as u64);
    let hidden = hidden_activations();
    let depth = if r.below(4) == 0 {
        1 + r.below(8)
    } else {
        1 + r.below(4)
    };
    let widths: Vec<usize> = (0..=depth)
        .map(|_| {
            if r.below(5) == 0 {
                1 + r.below(16)
            } else {
                1 + r.below(6)
            }
        })
        .collect();
    let ce = r.below(2) == 0;
    let mut acts: Vec<Activation> = (0..depth).map(|_| hidden[r.below(hidden.len())]).collect();
    acts[depth - 1] = match (ce, r.below(hidden.len() + 1)) {
        (true, _) => Activation::Softmax,
        (false, k) if k == hidden.len() => Activation::Softmax,
        (false, k) => hidden[k],
    };
    let loss = if ce { Loss::CrossEntropy } else { Loss::Mse };
    let residual = r.below(2) == 0;
    let norm = Norm::ALL[r.below(Norm::ALL.len())];
    let scale = r.uniform_in(0.1, 2.0);
    let widest = *widths.iter().max().unwrap() as f64;
    let std: f64 = format!("{:.4}", scale / widest.sqrt()).parse().unwrap();
    let init_seed = r.next_u64() % 1_000_000;
    // BatchNorm's statistics need two examples (one is an input error, as in PyTorch).
    let b = match norm {
        Norm::Batch => 2 + r.below(7),
        _ => 1 + r.below(8),
    };
    let spec = NetSpec::new(widths.clone(), acts.clone(), loss, residual)
        .and_then(|s| s.with_norm(norm))
        .unwrap();
    let net = Network::new(spec.clone(), Init::Normal(std).params(&spec, init_seed)).unwrap();
    let (n_in, n_out) = (spec.n_in(), spec.n_out());
    let x: Vec<f64> = (0..b * n_in).map(|_| r.normal()).collect();
    let y: Vec<f64> = (0..b)
        .flat_map(|_| match loss {
            Loss::CrossEntropy => {
                let mut k = vec![0.0; n_out];
                k[r.below(n_out)] = 1.0;
                k
            }
            Loss::Mse => (0..n_out).map(|_| r.normal()).collect(),
        })
        .collect();
    let rows = |v: &[f64], n: usize| {
        v.chunks(n)
            .map(|row| {
                row.iter()
                    .map(|x| format!("{x:?}"))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect::<Vec<_>>()
            .join(";")
    };
    let (input, target) = (rows(&x, n_in), rows(&y, n_out));
    let command = format!(
        "bplab check --layers {} --activations {} --loss {}{}{} --init normal:{std} --seed {init_seed} --input '{input}' --target '{target}'",
        widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(","),
        acts.iter().map(|a| a.name()).collect::<Vec<_>>().join(","),
        loss.name(),
        if residual { " --residual" } else { "" },
        match norm {
            Norm::None => String::new(),
            n => format!(" --norm {n}"),
        },
    );
    // The batch the command line gives (inline rows, printed exactly).
    let batch = Batch::from_inline(&input, &target).unwrap();
    Drawn {
        net,
        batch,
        command,
    }
}

/// Whether some ReLU-type activation input (`z`, or `n = Norm(z)` on a normalized layer) of
/// the manual engine's f64 forward is within `margin·max|input|` of 0 but not exactly 0, where
/// an engine's rounding can put it on the other side of the kink (an exact 0 is every
/// engine's 0, and the kink conventions reproduce what each makes of it).
fn near_kink(d: &Drawn, margin: f64) -> bool {
    let t = ManualEngine::new()
        .forward(&d.net, &d.batch, DType::F64)
        .unwrap();
    let acts = d.net.spec().activations().iter().enumerate();
    acts.filter(|(_, a)| a.has_kink()).any(|(l, _)| {
        let input = &t.activation_input(l).data;
        let scale = input.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        input.iter().any(|&v| v != 0.0 && v.abs() <= margin * scale)
    })
}

/// Every comparison of `engine` computing `d` in `dtype` with its reference, failures only.
fn disagreements(engine: &dyn Engine, d: &Drawn, dtype: DType) -> Vec<Comparison> {
    let req = GradRequest { input_grad: true };
    let got = engine.grads(&d.net, &d.batch, dtype, req).unwrap();
    let want = if engine.name() == "manual" {
        ManualEngine::new()
            .grads(&d.net, &d.batch, DType::F64, req)
            .unwrap()
    } else {
        emulating(engine.name())
            .grads(&d.net, &d.batch, dtype, req)
            .unwrap()
    };
    let compared = match dtype {
        DType::F64 => gradients(&got, &want, exact(dtype)),
        DType::F32 => {
            // The bound of the engine's own computation: its kink conventions included (a
            // slope of 1 or 0.01 at an exact 0 scales everything upstream of it).
            let bounds = emulating(engine.name())
                .f32_rounding_bounds(&d.net, &d.batch)
                .unwrap();
            // Two f32 computations, or one against the f64 manual engine.
            let computations = if engine.name() == "manual" { 1 } else { 2 };
            gradients_within_f32_rounding(&got, &want, &bounds, computations)
        }
    };
    let failed: Vec<Comparison> = compared.into_iter().filter(|c| !c.passed()).collect();
    let margin = match dtype {
        DType::F64 => 1e-12,
        DType::F32 => 1e-5,
    };
    if failed.is_empty() || !near_kink(d, margin) {
        return failed;
    }
    // A kink is touched: the two may differ by a whole one-sided slope there; the engine's
    // gradients must then be its forward's, by finite differences (kinks skipped).
    let tol = match dtype {
        DType::F64 => Tolerance::FD_F64,
        DType::F32 => Tolerance::FD_F32,
    };
    fd_comparisons(engine, &d.net, &d.batch, dtype, tol)
        .into_iter()
        .filter(|c| !c.passed())
        .collect()
}

fn every_network(engine: &str, dtype: DType) {
    let e = bplab_harness::engines::engine(engine).unwrap();
    let mut failures = Vec::new();
    for i in 0..NETWORKS {
        let d = draw(0x5EED_0019, i);
        let failed = disagreements(e.as_ref(), &d, dtype);
        if let Some(worst) = failed.first() {
            failures.push(format!(
                "{engine} {dtype} network {i}: {worst}\n  reproduce: {} --engine {engine} --dtype {dtype}",
                d.command
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {NETWORKS} networks disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The same test body for every engine and dtype.
macro_rules! every_engine {
    ($($module:ident => $engine:expr;)*) => {$(
        mod $module {
            use super::*;
            #[test]
            fn f64_networks() { every_network($engine, DType::F64) }
            #[test]
            fn f32_networks() { every_network($engine, DType::F32) }
        }
    )*};
}

mod every_engine_agrees_with_the_manual_engine_under_its_conventions {
    use super::*;
    every_engine! {
        burn_ndarray => "burn-ndarray";
        burn_flex => "burn-flex";
        candle => "candle";
        burn_custom => "burn-custom";
        candle_custom => "candle-custom";
    }

    /// The manual engine in f32 against itself in f64 (in f64 its reference is finite
    /// differences, above).
    #[test]
    fn manual_f32_networks() {
        every_network("manual", DType::F32)
    }
}

/// The rounding allowance hides no planted bug: on every f32 network of the stream with a
/// norm layer, each planted fault of the manual engine that moves a gradient beyond the exact
/// f32 tolerance (seen in f64, faulty against correct) is still caught by the comparison with
/// the propagated rounding bound.
#[test]
fn the_f32_rounding_allowance_still_catches_every_planted_fault() {
    let req = GradRequest { input_grad: true };
    let (mut visible, mut caught) = (0, 0);
    let mut hidden = Vec::new();
    for i in 0..NETWORKS {
        let d = draw(0x5EED_0019, i);
        if d.net.spec().norm() == Norm::None {
            continue;
        }
        let exact64 = ManualEngine::new()
            .grads(&d.net, &d.batch, DType::F64, req)
            .unwrap();
        let bounds = ManualEngine::new()
            .f32_rounding_bounds(&d.net, &d.batch)
            .unwrap();
        for fault in Fault::PLANTED {
            let faulty = ManualEngine::with_fault(fault);
            let moved = gradients(
                &faulty.grads(&d.net, &d.batch, DType::F64, req).unwrap(),
                &exact64,
                exact(DType::F32),
            );
            if moved.iter().all(|c| c.passed()) {
                continue;
            }
            visible += 1;
            let got = faulty.grads(&d.net, &d.batch, DType::F32, req).unwrap();
            if gradients_within_f32_rounding(&got, &exact64, &bounds, 1)
                .iter()
                .any(|c| !c.passed())
            {
                caught += 1;
            } else {
                hidden.push(format!("{fault:?} on network {i}: {}", d.command));
            }
        }
    }
    eprintln!("planted faults visible on f32 norm networks: {visible}, caught with the rounding allowance: {caught}");
    assert!(visible > 100, "too few visible faults to test: {visible}");
    assert!(
        hidden.is_empty(),
        "{} of {visible} hidden:\n{}",
        hidden.len(),
        hidden.join("\n")
    );
}

/// `command`'s words, `'…'` quoting one word (how [`draw`] writes the batch).
fn words(command: &str) -> Vec<String> {
    command
        .split('\'')
        .enumerate()
        .flat_map(|(i, part)| match i % 2 {
            1 => vec![part.to_string()],
            _ => part.split_whitespace().map(str::to_string).collect(),
        })
        .skip(1) // "bplab"
        .collect()
}

/// `bplab check --dtype f32` on normalized networks of the stream whose f32 gradients differ,
/// between engines and from finite differences, by more than the exact tolerance (networks
/// 34, 101 and 488: a LayerNorm over one feature at a leaky ReLU's kink; BatchNorm over 3
/// examples under GELU, sigmoid and tanh; a GELU/SiLU network under norms) exits 0 with the
/// propagated rounding bound in its header, and 1 when a bug is planted in the manual engine.
#[test]
fn check_in_f32_under_a_norm_holds_engines_to_the_propagated_rounding_bound() {
    for i in [34, 101, 488] {
        let mut args = words(&draw(0x5EED_0019, i).command);
        args.extend(["--engine", "all", "--dtype", "f32"].map(String::from));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = crate::common::cli::bplab(&argv);
        assert_eq!(code, 0, "network {i}:\n{out}\n{err}");
        assert!(
            out.contains("or within 2·E (E: each element's f32 rounding bound"),
            "network {i}:\n{out}"
        );
        let mut planted = argv.clone();
        planted.extend(["--plant", "missing-activation-derivative"]);
        let (code, out, err) = crate::common::cli::bplab(&planted);
        assert_eq!(code, 1, "network {i} with a planted fault:\n{out}\n{err}");
        assert!(out.contains("MISMATCH in manual"), "network {i}:\n{out}");
    }
}
