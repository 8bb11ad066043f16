//! The `f64` truth `lab precision` measures half-precision gradients against: the loss and
//! every parameter gradient of a network, computed here from the formulas with compensated
//! arithmetic, sharing no kernel with the engines under test (the manual engine included,
//! whose `f16`/`bf16` instantiation is one of the two engines measured: a truth from its own
//! `f64` kernels would hide any error the two share).
//!
//! Why this and not a stored fixture: the lab's networks follow its flags (`--depth`,
//! `--width`, `--std`, `--seed`), and the dynamic scaler needs the truth at every step's
//! parameters, which come from half-precision updates no generator can know in advance; a
//! fixture holds fixed points only. Every sum here — each matrix-product entry, each bias and
//! batch sum, softmax's denominator — is Ogita–Rump–Oishi's `Dot2`/`Sum2` (an error-free
//! `TwoSum` and an `fma` product error carried beside the running sum), so each is as accurate
//! as if computed in twice the working precision and then rounded; the elementwise functions
//! are Rust's `f64` ones (`exp`, `ln`, `tanh`, and `libm::erf` for GELU), within an ulp or two.
//! The truth is thus a few ulps of `f64` (~1e-16 relative) from the exact gradient, twelve
//! orders of magnitude below what is measured (`f16` rounds at 2⁻¹¹ ≈ 4.9e-4, `bf16` at
//! 2⁻⁸ ≈ 3.9e-3), and it is checked against PyTorch's float64 on every fixture of
//! `tests/fixtures/` without a norm layer at the exact tolerance `1e-12 + 1e-9·|b|`
//! (`tests/it/lab_precision.rs`).
//!
//! Semantics are the project's (`tools/reference/README.md`): `z_l = h_{l−1} W_lᵀ + b_l`,
//! `h_l = act_l(z_l)` (plus `h_{l−1}` on a residual layer), cross-entropy from
//! `log_softmax(z_L)`, mse `(1/B) Σ ½ (ŷ − y)²`; `relu'(0) = 0`, `leaky_relu'(0) = 0.01`
//! (PyTorch's conventions). Norm layers are refused (the lab has none).

use bplab_core::spec::{bias_name, weight_name};
use bplab_core::{Activation, Batch, Error, Loss, Network, ParamSet, Result, Tensor};

/// Leaky ReLU's slope below 0 (PyTorch's `negative_slope` default), written here, not read
/// from an engine.
const LEAKY_SLOPE: f64 = 0.01;

/// `a + b` and its rounding error, exactly (Knuth's TwoSum).
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `Σ aᵢ·bᵢ` as accurate as in twice the precision (Ogita–Rump–Oishi `Dot2`): each product's
/// error from an `fma`, each addition's from [`two_sum`], all carried beside the sum.
fn dot2(pairs: impl Iterator<Item = (f64, f64)>) -> f64 {
    let (mut s, mut c) = (0.0, 0.0);
    for (a, b) in pairs {
        let p = a * b;
        let e = a.mul_add(b, -p);
        let (t, z) = two_sum(s, p);
        s = t;
        c += z + e;
    }
    s + c
}

/// `Σ aᵢ` with [`two_sum`]'s errors carried (`Sum2`).
fn sum2(values: impl Iterator<Item = f64>) -> f64 {
    dot2(values.map(|v| (v, 1.0)))
}

/// `act(z)` for the elementwise activations.
fn act(a: Activation, z: f64) -> f64 {
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    match a {
        Activation::Identity | Activation::Softmax => z,
        Activation::Relu => z.max(0.0),
        Activation::LeakyRelu => {
            if z > 0.0 {
                z
            } else {
                LEAKY_SLOPE * z
            }
        }
        Activation::Sigmoid => sigmoid(z),
        Activation::Tanh => z.tanh(),
        Activation::Gelu => 0.5 * z * (1.0 + libm::erf(z / std::f64::consts::SQRT_2)),
        Activation::Silu => z * sigmoid(z),
    }
}

/// `act'(z)` from its formula in `z` (softmax is handled row-wise, not here).
fn act_grad(a: Activation, z: f64) -> f64 {
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    match a {
        Activation::Identity | Activation::Softmax => 1.0,
        Activation::Relu => f64::from(u8::from(z > 0.0)),
        // At 0 the slope, as PyTorch: leaky_relu'(0) = negative_slope.
        Activation::LeakyRelu => {
            if z > 0.0 {
                1.0
            } else {
                LEAKY_SLOPE
            }
        }
        Activation::Sigmoid => sigmoid(z) * (1.0 - sigmoid(z)),
        Activation::Tanh => 1.0 - z.tanh() * z.tanh(),
        // Φ(z) + z·φ(z), φ(z) = exp(−z²/2)/√(2π).
        Activation::Gelu => {
            let phi = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
            0.5 * (1.0 + libm::erf(z / std::f64::consts::SQRT_2)) + z * phi
        }
        Activation::Silu => {
            let s = sigmoid(z);
            s * (1.0 + z * (1.0 - s))
        }
    }
}

/// `log_softmax` of one row: `z − max − ln Σ exp(z − max)`.
fn log_softmax(z: &[f64]) -> Vec<f64> {
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lse = sum2(z.iter().map(|v| (v - m).exp())).ln();
    z.iter().map(|v| v - m - lse).collect()
}

/// The loss of `net` on `batch` and every parameter gradient, in PyTorch naming.
///
/// ```
/// use bplab_core::{Activation, Batch, Loss, NetSpec, Network, ParamSet, Tensor};
/// // One identity layer 1 → 1, w = 2, b = 0, x = 3, y = 1: ŷ = 6, L = ½·5² = 12.5,
/// // ∂L/∂w = (ŷ − y)·x = 15, ∂L/∂b = 5.
/// let spec = NetSpec::new(vec![1, 1], vec![Activation::Identity], Loss::Mse, false)?;
/// let p = ParamSet::from_entries(vec![
///     ("fc1.weight".into(), Tensor::new(vec![1, 1], vec![2.0])?),
///     ("fc1.bias".into(), Tensor::new(vec![1], vec![0.0])?),
/// ]);
/// let net = Network::new(spec, p)?;
/// let batch = Batch { x: Tensor::new(vec![1, 1], vec![3.0])?, y: Tensor::new(vec![1, 1], vec![1.0])? };
/// let (loss, g) = bplab_lab::precision::truth_with_loss(&net, &batch)?;
/// assert_eq!(loss, 12.5);
/// assert_eq!(g.get("fc1.weight").unwrap().data, [15.0]);
/// assert_eq!(g.get("fc1.bias").unwrap().data, [5.0]);
/// # Ok::<(), bplab_core::Error>(())
/// ```
pub fn truth_with_loss(net: &Network, batch: &Batch) -> Result<(f64, ParamSet)> {
    let spec = net.spec();
    if (0..spec.n_layers()).any(|l| spec.is_normalized(l)) {
        return Err(Error::Parse(
            "lab precision: the f64 truth has no norm layers".into(),
        ));
    }
    let (n_layers, bsz) = (spec.n_layers(), batch.len());
    let params = net.params();
    // Forward: z_l and h_l per layer, each (B, n_out), row-major.
    let mut zs: Vec<Vec<f64>> = Vec::with_capacity(n_layers);
    let mut hs: Vec<Vec<f64>> = vec![batch.x.data.clone()];
    for l in 0..n_layers {
        let (n_in, n_out) = spec.layer_dims(l);
        let (w, b) = (&params.weight(l).data, &params.bias(l).data); // (n_out, n_in), (n_out)
        let h = &hs[l]; // (B, n_in)
        let a = spec.activations()[l];
        let mut z = vec![0.0; bsz * n_out]; // (B, n_out)
        for r in 0..bsz {
            for j in 0..n_out {
                let row = h[r * n_in..(r + 1) * n_in].iter().zip(&w[j * n_in..]);
                let terms = row.map(|(&x, &w)| (x, w)).chain([(b[j], 1.0)]);
                z[r * n_out + j] = dot2(terms);
            }
        }
        let mut out: Vec<f64> = if a == Activation::Softmax {
            z.chunks(n_out)
                .flat_map(|row| log_softmax(row).into_iter().map(f64::exp))
                .collect()
        } else {
            z.iter().map(|&v| act(a, v)).collect()
        };
        if spec.is_residual(l) {
            for (o, &prev) in out.iter_mut().zip(h) {
                *o += prev;
            }
        }
        zs.push(z);
        hs.push(out);
    }
    // Loss and the seed ∂L/∂z_L (cross-entropy) or ∂L/∂h_L (mse).
    let n_out = spec.n_out();
    let y = &batch.y.data; // (B, n_out)
    let scale = 1.0 / bsz as f64;
    let (z_last, h_last) = (&zs[n_layers - 1], &hs[n_layers]);
    let (loss, seed_is_delta, seed) = match spec.loss() {
        Loss::CrossEntropy => {
            let mut terms = Vec::with_capacity(bsz * n_out);
            let mut delta = vec![0.0; bsz * n_out];
            for r in 0..bsz {
                let ls = log_softmax(&z_last[r * n_out..(r + 1) * n_out]);
                let yr = &y[r * n_out..(r + 1) * n_out];
                let ysum = sum2(yr.iter().copied());
                for k in 0..n_out {
                    terms.push((-yr[k], ls[k]));
                    // ∂/∂z_k of −Σ_j y_j log softmax_j = softmax_k·Σ_j y_j − y_k.
                    delta[r * n_out + k] = (ls[k].exp() * ysum - yr[k]) * scale;
                }
            }
            (dot2(terms.into_iter()) * scale, true, delta)
        }
        Loss::Mse => {
            let diff: Vec<f64> = h_last.iter().zip(y).map(|(a, b)| a - b).collect();
            let loss = 0.5 * dot2(diff.iter().map(|&d| (d, d))) * scale;
            (loss, false, diff.iter().map(|d| d * scale).collect())
        }
    };
    // Backward: g = ∂L/∂h_l, δ = ∂L/∂z_l, from the output layer down.
    let mut grads: Vec<(String, Tensor)> = Vec::with_capacity(2 * n_layers);
    let mut g = seed;
    for l in (0..n_layers).rev() {
        let (n_in, n_out) = spec.layer_dims(l);
        let a = spec.activations()[l];
        let (z, h_prev) = (&zs[l], &hs[l]);
        let delta: Vec<f64> = if l == n_layers - 1 && seed_is_delta {
            g.clone()
        } else if a == Activation::Softmax {
            // δ = s ⊙ (g − ⟨g, s⟩) per row.
            let s = &hs[l + 1];
            let mut d = vec![0.0; bsz * n_out];
            for r in 0..bsz {
                let (sr, gr) = (
                    &s[r * n_out..(r + 1) * n_out],
                    &g[r * n_out..(r + 1) * n_out],
                );
                let dotp = dot2(sr.iter().copied().zip(gr.iter().copied()));
                for k in 0..n_out {
                    d[r * n_out + k] = sr[k] * (gr[k] - dotp);
                }
            }
            d
        } else {
            g.iter().zip(z).map(|(&g, &z)| g * act_grad(a, z)).collect()
        };
        let w = &params.weight(l).data; // (n_out, n_in)
        let mut dw = vec![0.0; n_out * n_in]; // δᵀ h_prev
        for j in 0..n_out {
            for i in 0..n_in {
                let col = (0..bsz).map(|r| (delta[r * n_out + j], h_prev[r * n_in + i]));
                dw[j * n_in + i] = dot2(col);
            }
        }
        let db: Vec<f64> = (0..n_out)
            .map(|j| sum2((0..bsz).map(|r| delta[r * n_out + j])))
            .collect();
        grads.push((bias_name(l), Tensor::new(vec![n_out], db)?));
        grads.push((weight_name(l), Tensor::new(vec![n_out, n_in], dw)?));
        if l > 0 {
            let mut g_prev = vec![0.0; bsz * n_in]; // δ W, plus g on a residual layer
            for r in 0..bsz {
                for i in 0..n_in {
                    let terms = (0..n_out).map(|j| (delta[r * n_out + j], w[j * n_in + i]));
                    let skip = if spec.is_residual(l) {
                        g[r * n_in + i]
                    } else {
                        0.0
                    };
                    g_prev[r * n_in + i] = dot2(terms.chain([(skip, 1.0)]));
                }
            }
            g = g_prev;
        }
    }
    grads.reverse();
    Ok((loss, ParamSet::from_entries(grads)))
}

/// The `f64` truth's parameter gradients ([`truth_with_loss`]).
pub fn truth(net: &Network, batch: &Batch) -> Result<ParamSet> {
    Ok(truth_with_loss(net, batch)?.1)
}
