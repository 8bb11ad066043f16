//! Analytic gradients of the candle engine against central finite differences of its own f64
//! loss, over every activation, both losses (mse with a plain and with a softmax output,
//! cross-entropy), residual on and off, batch sizes 1 and 5, and a non-square 3→4→4→2
//! network: parameter gradients, input gradients and the per-layer deltas `δ_l = ∂L/∂z_l`.
//!
//! The deltas are checked three ways: `Σ_b δ_l[b] = ∂L/∂b_l`, `δ_lᵀ h_{l−1} = ∂L/∂W_l`, and
//! per example, `δ_l[b] = (1/B) ∂L_b/∂b_l` where `L_b` is the loss of a batch holding example
//! `b` alone (finite differences). ReLU kinks are skipped by `FdTensor::compare`.

use bplab_candle::CandleEngine;
use bplab_core::gradcheck::{finite_differences, FdConfig};
use bplab_core::testing::{exact_tol, fd, Draw};
use bplab_core::tolerance::Comparison;
use bplab_core::{
    Activation, Batch, DType, Engine, GradRequest, Init, Loss, NetSpec, Network, Tensor, Tolerance,
};

/// f64 gradients through `gelu_erf` are off by up to ~1.7e-7·|upstream gradient|: candle's
/// backward uses `0.398942` for `1/√(2π)` (relative error 7.0e-7, `candle-core-0.11.1/src/backprop.rs:630`). The
/// measured worst excess over `FD_F64` is reported by `gelu_f64_misses_fd_f64`; this looser
/// bound (rtol 1e-5, atol 1e-7) is what the gelu f64 checks use instead.
const GELU_F64: Tolerance = Tolerance::new(1e-7, 1e-5);

/// candle's inputs: Xavier-normal weights, `U(−0.5, 0.5)` biases, `U(−2, 2)` inputs and
/// uniform targets ([`Draw::Uniform`]), on which the gelu figures below were measured.
fn network(spec: &NetSpec, seed: u64) -> Network {
    Draw::Uniform.network(spec, Init::XavierNormal, seed)
}

fn batch(spec: &NetSpec, b: usize, seed: u64) -> Batch {
    Draw::Uniform.batch(spec, b, seed)
}

/// `(hidden activation, output activation, loss)` of every case: each non-softmax activation
/// in the hidden layers with mse through the same activation, mse through softmax, and
/// cross-entropy.
fn cases() -> Vec<(Activation, Activation, Loss)> {
    let hidden = Activation::ALL
        .into_iter()
        .filter(|&a| a != Activation::Softmax);
    hidden
        .flat_map(|a| {
            [
                (a, a, Loss::Mse),
                (a, Activation::Softmax, Loss::Mse),
                (a, Activation::Softmax, Loss::CrossEntropy),
            ]
        })
        .collect()
}

/// Σ over the rows of `t` `(B, n)`: `(n)`.
fn col_sums(t: &Tensor) -> Tensor {
    let n = t.shape[1];
    let mut out = Tensor::zeros(&[n]);
    for (i, v) in t.data.iter().enumerate() {
        out.data[i % n] += v;
    }
    out
}

/// `dᵀ h` for `d` `(B, o)` and `h` `(B, i)`: `(o, i)`.
fn outer_sum(d: &Tensor, h: &Tensor) -> Tensor {
    let (b, o, i) = (d.shape[0], d.shape[1], h.shape[1]);
    let mut out = Tensor::zeros(&[o, i]);
    for r in 0..b {
        for p in 0..o {
            for q in 0..i {
                out.data[p * i + q] += d.data[r * o + p] * h.data[r * i + q];
            }
        }
    }
    out
}

/// All comparisons of one case and dtype (empty `Vec` never: at least the parameters).
fn check(net: &Network, batch: &Batch, dtype: DType, fd_tol: Tolerance) -> Vec<Comparison> {
    let e = CandleEngine::new();
    let spec = net.spec();
    let fd = fd(&e, net, batch);
    let g = e
        .grads(net, batch, dtype, GradRequest { input_grad: true })
        .unwrap();
    let mut out = fd.compare(&g, fd_tol);
    assert!(g.input.is_some());
    let deltas = g.deltas.as_ref().expect("candle exposes deltas");
    assert_eq!(deltas.len(), spec.n_layers());
    // Consistency of the deltas with the parameter gradients, in the engine's precision.
    let exact = exact_tol(dtype);
    let trace = e.forward(net, batch, dtype).unwrap();
    for (l, d) in deltas.iter().enumerate() {
        assert_eq!(d.shape, [batch.len(), spec.layer_dims(l).1]);
        let db = g.params.bias(l);
        out.push(Comparison::new(
            &format!("Σδ{l} vs db"),
            &col_sums(d),
            db,
            exact,
            None,
        ));
        let h_prev = if l == 0 { &batch.x } else { &trace.h[l - 1] };
        let h_prev = match dtype {
            DType::F64 => h_prev.clone(),
            DType::F32 => h_prev.rounded_to_f32(),
        };
        let dw = g.params.weight(l);
        out.push(Comparison::new(
            &format!("δ{l}ᵀh vs dW"),
            &outer_sum(d, &h_prev),
            dw,
            exact,
            None,
        ));
    }
    // Per example: δ_l[b] = (1/B) ∂L_b/∂b_l, by finite differences on the one-row batch.
    let bsz = batch.len();
    for r in 0..bsz {
        let row = |t: &Tensor| {
            let n = t.shape[1];
            Tensor::new(vec![1, n], t.data[r * n..(r + 1) * n].to_vec()).unwrap()
        };
        let one = Batch {
            x: row(&batch.x),
            y: row(&batch.y),
        };
        let fd1 = finite_differences(&e, net, &one, &FdConfig::default()).unwrap();
        for (l, d) in deltas.iter().enumerate() {
            let fd_b = &fd1.params[2 * l + 1];
            let mut want = fd_b.clone();
            for v in &mut want.values.data {
                *v /= bsz as f64;
            }
            want.name = format!("δ{l}[{r}]");
            let n = d.shape[1];
            let got = Tensor::new(vec![n], d.data[r * n..(r + 1) * n].to_vec()).unwrap();
            out.push(want.compare(&got, fd_tol));
        }
    }
    out
}

fn run_all(dtype: DType) {
    let mut failures = Vec::new();
    let mut n = 0;
    for (seed, (hidden, output, loss)) in cases().into_iter().enumerate() {
        for residual in [false, true] {
            let spec = NetSpec::new(
                vec![3, 4, 4, 2],
                vec![hidden, hidden, output],
                loss,
                residual,
            )
            .unwrap();
            assert_eq!(
                spec.is_residual(1),
                residual,
                "layer 2 is the square hidden one"
            );
            for b in [1, 5] {
                let net = network(&spec, 100 + seed as u64);
                let batch = batch(&spec, b, 7 + seed as u64 + b as u64);
                let tol = match (dtype, hidden == Activation::Gelu) {
                    (DType::F32, _) => Tolerance::FD_F32,
                    (DType::F64, false) => Tolerance::FD_F64,
                    (DType::F64, true) => GELU_F64,
                };
                for c in check(&net, &batch, dtype, tol) {
                    n += 1;
                    if !c.passed() {
                        failures.push(format!("{} B={b} {dtype}: {c}", spec.summary()));
                    }
                }
            }
        }
    }
    assert!(n > 0);
    eprintln!(
        "{dtype}: {n} tensor comparisons over {} networks × 2 residual × 2 batch sizes",
        cases().len()
    );
    assert!(
        failures.is_empty(),
        "{} of {n} comparisons failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_case_agrees_with_finite_differences_f64() {
    run_all(DType::F64);
}

#[test]
fn every_case_agrees_with_finite_differences_f32() {
    run_all(DType::F32);
}

/// Pins the gelu finding: in f64, candle's gelu gradients miss `FD_F64` (their error is of
/// the order of candle's truncated `1/√(2π)` constant), while every other activation meets it.
#[test]
fn gelu_f64_misses_fd_f64() {
    let spec = NetSpec::new(
        vec![3, 4, 4, 2],
        vec![Activation::Gelu, Activation::Gelu, Activation::Identity],
        Loss::Mse,
        false,
    )
    .unwrap();
    let net = network(&spec, 5);
    let batch = batch(&spec, 5, 5);
    let all = check(&net, &batch, DType::F64, Tolerance::FD_F64);
    let failed: Vec<&Comparison> = all.iter().filter(|c| !c.passed()).collect();
    let worst = failed.iter().map(|c| c.max_abs).fold(0.0, f64::max);
    eprintln!(
        "gelu f64 vs FD_F64: {} of {} tensors fail, worst |a−b| = {worst:e}",
        failed.len(),
        all.len()
    );
    for c in &failed {
        eprintln!("  {c}");
    }
    assert!(
        !failed.is_empty(),
        "gelu f64 now meets FD_F64: candle's gelu_erf backward changed"
    );
    assert!(worst > 1e-8 && worst < 1e-6, "worst {worst:e}");
}
