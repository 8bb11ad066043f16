//! One test body, every engine. Each function in `suite` takes a `&dyn Engine`; the
//! `engine_tests!` macro instantiates the whole suite once per engine (as candle's
//! `test_device!` does per device), so a new engine gets every test by adding one line.
//!
//! Reference values: PyTorch cases from `tools/reference/generate.py` (in `tests/fixtures/`),
//! central finite differences, the lesson's printed numbers, and for a framework the manual
//! engine computing with that framework's documented conventions
//! (`bplab_harness::deviations::emulating`) — never the engine under test itself. Every
//! comparison is at the exact tolerance of its dtype (or the finite differences').

use crate::common::{assert_all_pass, batch, fd_comparisons, fixtures, network};
use bplab_core::{
    Activation, Batch, Comparison, DType, Engine, GradRequest, Gradients, Init, Loss, Network,
    Tolerance,
};
use bplab_harness::deviations::{conventions, emulating};
use bplab_manual::conventions::{Conventions, GeluBackward, Layers};

/// PyTorch (f64) vs an engine in f64.
const TORCH_F64: Tolerance = Tolerance::new(1e-12, 1e-9);
/// PyTorch (f64) vs an engine in f32.
const TORCH_F32: Tolerance = Tolerance::new(1e-5, 1e-4);

/// Topologies every engine is checked on: every activation, both losses, residual and
/// plain, a non-square layer, a width-1 layer.
fn topologies() -> Vec<(Vec<usize>, Vec<Activation>, Loss, bool)> {
    use Activation::*;
    vec![
        (
            vec![4, 5, 3, 2],
            vec![Relu, Tanh, Softmax],
            Loss::CrossEntropy,
            false,
        ),
        (
            vec![3, 6, 2],
            vec![LeakyRelu, Softmax],
            Loss::CrossEntropy,
            false,
        ),
        (vec![3, 7, 2], vec![Sigmoid, Identity], Loss::Mse, false),
        (vec![5, 4, 4, 3], vec![Gelu, Tanh, Sigmoid], Loss::Mse, true),
        (
            vec![4, 4, 4, 4, 2],
            vec![Relu, Gelu, Tanh, Softmax],
            Loss::CrossEntropy,
            true,
        ),
        (vec![2, 1, 3], vec![Tanh, Softmax], Loss::Mse, false),
        (vec![6, 3], vec![Identity], Loss::Mse, false),
        (vec![3, 5, 2], vec![Gelu, LeakyRelu], Loss::Mse, false),
    ]
}

fn cases() -> Vec<(Network, Batch)> {
    let mut v = Vec::new();
    for (i, (w, a, l, r)) in topologies().into_iter().enumerate() {
        for b in [1, 5] {
            let net = network(&w, &a, l, r, Init::XavierNormal, 100 + i as u64);
            let data = batch(net.spec(), b, 200 + i as u64);
            v.push((net, data));
        }
    }
    v
}

fn compare_grads(what: &str, got: &Gradients, want: &Gradients, tol: Tolerance) -> Vec<Comparison> {
    let mut v = vec![Comparison::scalar(
        &format!("{what} loss"),
        got.loss,
        want.loss,
        tol,
    )];
    for (name, w) in want.params.iter() {
        let g = got
            .params
            .get(name)
            .unwrap_or_else(|| panic!("{what}: no gradient for {name}"));
        v.push(Comparison::new(&format!("{what} {name}"), g, w, tol, None));
    }
    if let (Some(g), Some(w)) = (&got.input, &want.input) {
        v.push(Comparison::new(&format!("{what} input"), g, w, tol, None));
    }
    if let (Some(g), Some(w)) = (&got.deltas, &want.deltas) {
        for (l, (g, w)) in g.iter().zip(w).enumerate() {
            v.push(Comparison::new(
                &format!("{what} delta{}", l + 1),
                g,
                w,
                tol,
                None,
            ));
        }
    }
    v
}

pub(crate) mod suite {
    use super::*;

    /// The lesson's worked example: its four printed numbers, and full precision against the
    /// hand derivation's values (asserted in `tests/it/lesson.rs`) — or, for an engine whose
    /// conventions touch the network (burn-ndarray's f32 sigmoid), against the manual engine
    /// computing with them.
    pub fn seed_example(e: &dyn Engine) {
        let p = bplab_core::presets::Preset::SeedExample;
        let net = Network::new(p.spec(), p.fixed_params().unwrap()).unwrap();
        let g = e
            .grads(&net, &p.batch(), DType::F64, GradRequest::default())
            .unwrap();
        let y_hat = e.forward(&net, &p.batch(), DType::F64).unwrap().h[1].data[0];
        let (w1, w2) = (g.params.weight(0).sum(), g.params.weight(1).sum());
        assert_eq!(
            format!("{y_hat:.4} {:.4} {w2:.4} {w1:.4}", g.loss),
            "0.6572 0.0124 0.0639 0.0197"
        );
        let mut want = [
            0.6572326668298718,
            0.012361055759216734,
            0.06391172004096878,
            0.01966387816927124,
        ];
        if !conventions(e.name()).names_for(net.spec()).is_empty() {
            let m = emulating(e.name());
            let mg = m
                .grads(&net, &p.batch(), DType::F64, GradRequest::default())
                .unwrap();
            let my = m.forward(&net, &p.batch(), DType::F64).unwrap().h[1].data[0];
            let (mw1, mw2) = (mg.params.weight(0).sum(), mg.params.weight(1).sum());
            assert_ne!(my, want[0], "{}: the convention shows", e.name());
            want = [my, mg.loss, mw2, mw1];
        }
        for (name, got, want) in [
            ("y_hat", y_hat, want[0]),
            ("loss", g.loss, want[1]),
            ("sum dW2", w2, want[2]),
            ("sum dW1", w1, want[3]),
        ] {
            let c = Comparison::scalar(name, got, want, Tolerance::EXACT_F64);
            assert!(c.passed(), "{}: {c}", e.name());
        }
    }

    /// Every PyTorch reference case: loss, every gradient, ∂L/∂x, and every layer's z and h.
    ///
    /// The manual engine, and every engine whose conventions do not touch a case's network,
    /// is held to PyTorch. An engine whose documented conventions touch the network
    /// (`bplab_harness::deviations::conventions`) is held to the manual engine computing with
    /// them, and an engine with conventions must visibly differ from PyTorch on some case.
    pub fn pytorch_fixtures(e: &dyn Engine, dtype: DType) {
        let tol = match dtype {
            DType::F64 => TORCH_F64,
            DType::F32 => TORCH_F32,
        };
        let req = GradRequest { input_grad: true };
        let mut failures = Vec::new();
        let mut divergent = 0;
        for f in fixtures::all() {
            let g = e.grads(&f.network, &f.batch, dtype, req).unwrap();
            let t = e.forward(&f.network, &f.batch, dtype).unwrap();
            let torch = (f.loss, &f.input_grad, &f.z, &f.h);
            let emulated = f.emulated(e.name(), dtype);
            let (want_params, _) = f.expected_grads(e.name(), dtype);
            let (loss, input, z, h) = match &emulated {
                Some((mg, mt)) => (mg.loss, mg.input.as_ref().unwrap(), &mt.z, &mt.h),
                None => torch,
            };
            if emulated.is_some() {
                // The engine's conventions visibly change this case.
                let vs_torch = f.grads.iter().any(|(name, w)| {
                    !Comparison::new(name, g.params.get(name).unwrap(), w, tol, None).passed()
                });
                divergent += usize::from(vs_torch);
            }
            let mut comps = vec![Comparison::scalar("loss", g.loss, loss, tol)];
            for (name, w) in want_params.iter() {
                comps.push(Comparison::new(
                    name,
                    g.params.get(name).unwrap(),
                    w,
                    tol,
                    None,
                ));
            }
            comps.push(Comparison::new(
                "input",
                g.input.as_ref().unwrap(),
                input,
                tol,
                None,
            ));
            for l in 0..z.len() {
                comps.push(Comparison::new(
                    &format!("z{}", l + 1),
                    &t.z[l],
                    &z[l],
                    tol,
                    None,
                ));
                comps.push(Comparison::new(
                    &format!("h{}", l + 1),
                    &t.h[l],
                    &h[l],
                    tol,
                    None,
                ));
            }
            failures.extend(
                comps
                    .iter()
                    .filter(|c| !c.passed())
                    .map(|c| format!("{} {dtype} {}: {c}", e.name(), f.name)),
            );
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        // The custom-op engines' conventions touch only normalized layers; the property test
        // (`properties.rs`) exercises them.
        let own = conventions(e.name());
        if own != Conventions::EXACT && own.layers == Layers::Every {
            assert!(
                divergent > 0,
                "{}: no fixture exercised its conventions",
                e.name()
            );
        }
    }

    /// Whether `engine`'s gradients on `net` are not its forward's derivative by design (a
    /// GELU backward that is not the exact forward's derivative).
    fn derivative_deviates(engine: &str, net: &Network) -> bool {
        conventions(engine).gelu_backward != GeluBackward::Exact
            && net.spec().activations().contains(&Activation::Gelu)
    }

    /// Analytic gradients (parameters and input) against finite differences of the engine's
    /// own f64 forward, kinks skipped. Where the engine's GELU backward is by design not its
    /// forward's derivative (finite differences may or may not see it: candle's is off by
    /// 1.7e-7 at most), the engine must instead equal the manual engine computing with that
    /// backward, at the exact tolerance.
    pub fn finite_differences(e: &dyn Engine, dtype: DType) {
        let tol = match dtype {
            DType::F64 => Tolerance::FD_F64,
            DType::F32 => Tolerance::FD_F32,
        };
        for (net, data) in cases() {
            let what = format!(
                "{} {dtype} {} batch {}",
                e.name(),
                net.spec().summary(),
                data.len()
            );
            if derivative_deviates(e.name(), &net) {
                let req = GradRequest { input_grad: true };
                let got = e.grads(&net, &data, dtype, req).unwrap();
                let want = emulating(e.name()).grads(&net, &data, dtype, req).unwrap();
                let exact = bplab_harness::agreement::exact(dtype);
                assert_all_pass(&what, &compare_grads(&what, &got, &want, exact));
            } else {
                assert_all_pass(&what, &fd_comparisons(e, &net, &data, dtype, tol));
            }
        }
    }

    /// Loss, every gradient, ∂L/∂x and (where exposed) every δ equal the manual engine's
    /// computing with the engine's conventions (a framework; not the manual engine itself).
    pub fn agrees_with_manual(e: &dyn Engine, dtype: DType) {
        let tol = bplab_harness::agreement::exact(dtype);
        let req = GradRequest { input_grad: true };
        for (net, data) in cases() {
            let got = e.grads(&net, &data, dtype, req).unwrap();
            let want = emulating(e.name()).grads(&net, &data, dtype, req).unwrap();
            let what = format!("{} {dtype} {}", e.name(), net.spec().summary());
            let failed: Vec<String> = compare_grads(&what, &got, &want, tol)
                .iter()
                .filter(|c| !c.passed())
                .map(|c| c.to_string())
                .collect();
            assert!(failed.is_empty(), "{}", failed.join("\n"));
        }
    }

    /// f32, f64, f32 again in one process: each call computes in the dtype it was asked for
    /// (f32 results are exactly representable in f32; f64 ones match the f64 reference: the
    /// manual engine under the engine's conventions for a framework, finite differences for
    /// the manual engine itself).
    pub fn dtypes_interleave(e: &dyn Engine) {
        let (net, data) = cases().swap_remove(1);
        let req = GradRequest::default();
        for dtype in [DType::F32, DType::F64, DType::F32, DType::F64] {
            let g = e.grads(&net, &data, dtype, req).unwrap();
            let values: Vec<f64> = g.params.iter().flat_map(|(_, t)| t.data.clone()).collect();
            let f32_exact = values.iter().all(|&v| (v as f32) as f64 == v);
            match dtype {
                DType::F32 => assert!(f32_exact, "{}: f32 gradients are not f32 values", e.name()),
                DType::F64 => {
                    assert!(
                        !f32_exact,
                        "{}: f64 gradients look like f32 values",
                        e.name()
                    );
                    let comps = if e.name() == "manual" {
                        bplab_core::testing::fd(e, &net, &data).compare(&g, Tolerance::FD_F64)
                    } else {
                        let want = emulating(e.name())
                            .grads(&net, &data, DType::F64, req)
                            .unwrap();
                        compare_grads("f64", &g, &want, Tolerance::EXACT_F64)
                    };
                    assert_all_pass(e.name(), &comps);
                }
            }
        }
    }
}

/// Instantiates every test of `suite` for each `module => engine` line.
macro_rules! engine_tests {
    ($($module:ident => $engine:expr;)*) => {$(
        mod $module {
            use super::*;
            fn engine() -> Box<dyn Engine> {
                $engine
            }
            #[test]
            fn seed_example() { suite::seed_example(engine().as_ref()) }
            #[test]
            fn pytorch_fixtures_f64() { suite::pytorch_fixtures(engine().as_ref(), DType::F64) }
            #[test]
            fn pytorch_fixtures_f32() { suite::pytorch_fixtures(engine().as_ref(), DType::F32) }
            #[test]
            fn finite_differences_f64() { suite::finite_differences(engine().as_ref(), DType::F64) }
            #[test]
            fn finite_differences_f32() { suite::finite_differences(engine().as_ref(), DType::F32) }
            #[test]
            fn dtypes_interleave() { suite::dtypes_interleave(engine().as_ref()) }
        }
    )*};
}

/// The frameworks' agreement with the manual engine under their conventions (the manual
/// engine's own reference is finite differences and PyTorch, above).
macro_rules! framework_tests {
    ($($module:ident => $engine:expr;)*) => {$(
        mod $module {
            use super::*;
            #[test]
            fn agrees_with_manual_f64() { suite::agrees_with_manual(engine($engine).as_ref(), DType::F64) }
            #[test]
            fn agrees_with_manual_f32() { suite::agrees_with_manual(engine($engine).as_ref(), DType::F32) }
        }
    )*};
}

fn engine(name: &str) -> Box<dyn Engine> {
    bplab_harness::engines::engine(name).unwrap()
}

mod frameworks {
    use super::*;
    framework_tests! {
        burn_ndarray => "burn-ndarray";
        burn_flex => "burn-flex";
        candle => "candle";
        burn_custom => "burn-custom";
        candle_custom => "candle-custom";
    }
}

engine_tests! {
    manual => bplab_harness::engines::engine("manual").unwrap();
    burn_ndarray => bplab_harness::engines::engine("burn-ndarray").unwrap();
    burn_flex => bplab_harness::engines::engine("burn-flex").unwrap();
    candle => bplab_harness::engines::engine("candle").unwrap();
    burn_custom => bplab_harness::engines::engine("burn-custom").unwrap();
    candle_custom => bplab_harness::engines::engine("candle-custom").unwrap();
}
