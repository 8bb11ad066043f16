//! The finite-difference gradient checker: central differences
//! `∂L/∂θ ≈ (L(θ + h) − L(θ − h)) / 2h` on every parameter element (and optionally every
//! input element), in f64, through any [`Engine`]'s forward pass, with kink detection.
//!
//! The step is relative to the value's size, `h = ε^{1/3}·max(1, |θ|)` (≈ 6e-6 for
//! `|θ| ≤ 1`), which balances the `O(h²)` truncation error of the central difference against
//! the `O(ε/h)` rounding error of the loss. The step actually used is `(θ + h) − (θ − h)` as
//! represented, so no rounding of `θ ± h` leaks into the quotient.
//!
//! **Kinks.** ReLU and leaky-ReLU have no derivative where their input is 0. When the two
//! perturbed forward passes put some ReLU-type activation's input on opposite sides of 0, the
//! difference quotient averages two slopes and measures nothing; such elements are reported
//! as skipped with the reason (layer, unit, example), never compared. The input is the one
//! the activation reads ([`ForwardTrace::activation_input`]): `z` itself, or `n = Norm(z)` on
//! a normalized layer, whose sign has nothing to do with `z`'s (a LayerNorm over one unit
//! gives `n = β` whatever `z` is, so only a step in `β` crosses its kink).

use crate::batch::Batch;
use crate::dtype::DType;
use crate::engine::{Engine, ForwardTrace, Gradients, Network};
use crate::error::Result;
use crate::spec::NetSpec;
use crate::tensor::Tensor;
use crate::tolerance::{Comparison, Tolerance};

/// How the checker differentiates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FdConfig {
    /// Relative step: `h = rel_step·max(1, |θ|)`.
    pub rel_step: f64,
    /// Also differentiate with respect to every input element.
    pub inputs: bool,
    /// Richardson extrapolation `(4·D(h/2) − D(h))/3` of the central difference `D`: its
    /// truncation error is `O(h⁴)` instead of `O(h²)`, for losses that bend on a scale much
    /// smaller than 1 (a norm over values whose spread is near `√ε`), at twice the passes.
    pub richardson: bool,
}

impl Default for FdConfig {
    fn default() -> Self {
        FdConfig {
            rel_step: f64::EPSILON.cbrt(),
            inputs: false,
            richardson: false,
        }
    }
}

/// Why one element was not compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Kink {
    /// Flat index of the element in its tensor.
    pub element: usize,
    /// 0-based layer whose ReLU-type activation input crossed 0.
    pub layer: usize,
    /// Example row and unit of that input.
    pub example: usize,
    pub unit: usize,
    /// Whether the input is a norm's output `n` (else the pre-activation `z`).
    pub normalized: bool,
}

impl Kink {
    /// `fc3 pre-activation z[0, 3] crosses 0 within the step`, or `norm3 output n[0, 3] …`.
    pub fn reason(&self) -> String {
        let (what, name) = match self.normalized {
            true => ("norm", "output n"),
            false => ("fc", "pre-activation z"),
        };
        format!(
            "{what}{} {name}[{}, {}] crosses 0 within the step (ReLU kink)",
            self.layer + 1,
            self.example,
            self.unit
        )
    }
}

/// Finite-difference derivatives of one tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct FdTensor {
    pub name: String,
    pub values: Tensor,
    /// Elements whose difference quotient straddles a kink.
    pub kinks: Vec<Kink>,
}

impl FdTensor {
    /// `mask[i]` is true for elements to skip.
    pub fn skip_mask(&self) -> Vec<bool> {
        let mut m = vec![false; self.values.len()];
        for k in &self.kinks {
            m[k.element] = true;
        }
        m
    }

    /// Compares analytic values with these finite differences, skipping kinks.
    pub fn compare(&self, got: &Tensor, tol: Tolerance) -> Comparison {
        Comparison::new(&self.name, got, &self.values, tol, Some(&self.skip_mask()))
    }

    /// [`FdTensor::compare`], each element also allowed `allowance` (a bound derived from the
    /// computation: [`Comparison::with_allowance`]).
    pub fn compare_with_allowance(
        &self,
        got: &Tensor,
        tol: Tolerance,
        allowance: (&Tensor, &'static str),
    ) -> Comparison {
        let skip = self.skip_mask();
        Comparison::with_allowance(&self.name, got, &self.values, tol, Some(&skip), allowance)
    }
}

/// Finite-difference gradients of every parameter (and the input, when asked).
#[derive(Debug, Clone, PartialEq)]
pub struct FdGradients {
    /// The loss at the unperturbed point.
    pub loss: f64,
    pub params: Vec<FdTensor>,
    pub input: Option<FdTensor>,
}

impl FdGradients {
    /// Every tensor: parameters in order, then `input` if present.
    pub fn tensors(&self) -> impl Iterator<Item = &FdTensor> {
        self.params.iter().chain(self.input.as_ref())
    }

    /// [`FdGradients::compare`], each element also allowed its element of `allowance` (the
    /// same tensors as the gradients: a bound derived from the computation, e.g. an f32
    /// engine's propagated rounding bound), described by `what`.
    pub fn compare_with_allowance(
        &self,
        grads: &Gradients,
        tol: Tolerance,
        allowance: &Gradients,
        what: &'static str,
    ) -> Vec<Comparison> {
        let empty = Tensor::zeros(&[0]);
        let mut out: Vec<Comparison> = self
            .params
            .iter()
            .map(|fd| {
                let a = allowance.params.get(&fd.name).unwrap_or(&empty);
                match grads.params.get(&fd.name) {
                    Some(g) => fd.compare_with_allowance(g, tol, (a, what)),
                    None => Comparison::new(&fd.name, &empty, &fd.values, tol, None),
                }
            })
            .collect();
        if let (Some(fd), Some(g)) = (&self.input, &grads.input) {
            let a = allowance.input.as_ref().unwrap_or(&empty);
            out.push(fd.compare_with_allowance(g, tol, (a, what)));
        }
        out
    }

    /// Compares an engine's analytic gradients with these, tensor by tensor (the input's
    /// gradient only when both sides have it).
    pub fn compare(&self, grads: &Gradients, tol: Tolerance) -> Vec<Comparison> {
        let mut out: Vec<Comparison> = self
            .params
            .iter()
            .map(|fd| match grads.params.get(&fd.name) {
                Some(g) => fd.compare(g, tol),
                None => Comparison::new(&fd.name, &Tensor::zeros(&[0]), &fd.values, tol, None),
            })
            .collect();
        if let (Some(fd), Some(g)) = (&self.input, &grads.input) {
            out.push(fd.compare(g, tol));
        }
        out
    }
}

/// Central differences of `engine`'s f64 loss with respect to every parameter element (and
/// every input element if `cfg.inputs`).
pub fn finite_differences(
    engine: &dyn Engine,
    net: &Network,
    batch: &Batch,
    cfg: &FdConfig,
) -> Result<FdGradients> {
    let base = engine.forward(net, batch, DType::F64)?;
    let mut params = Vec::new();
    for (name, tensor) in net.params().iter() {
        let mut values = Tensor::zeros(&tensor.shape);
        let mut kinks = Vec::new();
        for i in 0..tensor.len() {
            let probe = |theta: f64| -> Result<ForwardTrace> {
                let mut p = net.params().clone();
                p.get_mut(name).expect("same names").data[i] = theta;
                engine.forward(&net.with_params(p)?, batch, DType::F64)
            };
            let (d, kink) = central(tensor.data[i], cfg, net.spec(), probe)?;
            values.data[i] = d;
            if let Some(mut k) = kink {
                k.element = i;
                kinks.push(k);
            }
        }
        params.push(FdTensor {
            name: name.to_string(),
            values,
            kinks,
        });
    }
    let input = if cfg.inputs {
        let mut values = Tensor::zeros(&batch.x.shape);
        let mut kinks = Vec::new();
        for i in 0..batch.x.len() {
            let probe = |v: f64| -> Result<ForwardTrace> {
                let mut b = batch.clone();
                b.x.data[i] = v;
                engine.forward(net, &b, DType::F64)
            };
            let (d, kink) = central(batch.x.data[i], cfg, net.spec(), probe)?;
            values.data[i] = d;
            if let Some(mut k) = kink {
                k.element = i;
                kinks.push(k);
            }
        }
        Some(FdTensor {
            name: "input".into(),
            values,
            kinks,
        })
    } else {
        None
    };
    Ok(FdGradients {
        loss: base.loss,
        params,
        input,
    })
}

/// One central difference around `theta` (Richardson-extrapolated if `cfg` asks), with the
/// kink it straddles (if any).
fn central(
    theta: f64,
    cfg: &FdConfig,
    spec: &NetSpec,
    probe: impl Fn(f64) -> Result<ForwardTrace>,
) -> Result<(f64, Option<Kink>)> {
    let h = cfg.rel_step * theta.abs().max(1.0);
    let quotient = |h: f64| -> Result<(f64, Option<Kink>)> {
        let (tp, tm) = (theta + h, theta - h);
        let plus = probe(tp)?;
        let minus = probe(tm)?;
        Ok((
            (plus.loss - minus.loss) / (tp - tm),
            first_kink(spec, &plus, &minus),
        ))
    };
    let (d, kink) = quotient(h)?;
    if !cfg.richardson {
        return Ok((d, kink));
    }
    let (d_half, kink_half) = quotient(h / 2.0)?;
    Ok(((4.0 * d_half - d) / 3.0, kink.or(kink_half)))
}

/// The first ReLU-type activation input (`z`, or `n` on a normalized layer) whose sign
/// differs between two forward passes.
fn first_kink(spec: &NetSpec, a: &ForwardTrace, b: &ForwardTrace) -> Option<Kink> {
    for (l, act) in spec.activations().iter().enumerate() {
        if !act.has_kink() {
            continue;
        }
        let width = spec.layer_dims(l).1;
        let (za, zb) = (&a.activation_input(l).data, &b.activation_input(l).data);
        if let Some(i) = (0..za.len()).find(|&i| (za[i] > 0.0) != (zb[i] > 0.0)) {
            return Some(Kink {
                element: 0,
                layer: l,
                example: i / width,
                unit: i % width,
                normalized: spec.is_normalized(l),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    //! The checker against a one-layer ReLU network differentiated by hand here:
    //! `z = x Wᵀ + b`, `ŷ = relu(z)`, `L = (1/B) Σ_b ½ Σ_k (ŷ − y)²`, so
    //! `δ = (ŷ − y)/B ⊙ 1[z > 0]`, `∂L/∂W = δᵀ x`, `∂L/∂b = Σ_b δ`, `∂L/∂x = δ W`.

    use super::*;
    use crate::engine::GradRequest;
    use crate::spec::{bias_name, weight_name};
    use crate::train::Trainer;
    use crate::{Activation, Error, Loss, ParamSet};

    /// The network above, computed in plain f64.
    struct Hand;

    impl Hand {
        fn pass(net: &Network, batch: &Batch) -> (Vec<f64>, Vec<f64>, f64) {
            let (w, b) = (&net.params().weight(0).data, &net.params().bias(0).data);
            let (n_in, n_out, rows) = (2, 2, batch.len());
            let mut z = vec![0.0; rows * n_out];
            for r in 0..rows {
                for k in 0..n_out {
                    z[r * n_out + k] = b[k]
                        + (0..n_in)
                            .map(|i| batch.x.data[r * n_in + i] * w[k * n_in + i])
                            .sum::<f64>();
                }
            }
            let h: Vec<f64> = z.iter().map(|&v| v.max(0.0)).collect();
            let loss = h
                .iter()
                .zip(&batch.y.data)
                .map(|(p, t)| 0.5 * (p - t) * (p - t))
                .sum::<f64>()
                / rows as f64;
            (z, h, loss)
        }
    }

    impl Engine for Hand {
        fn name(&self) -> &str {
            "hand"
        }
        fn forward(&self, net: &Network, batch: &Batch, _: DType) -> Result<ForwardTrace> {
            let (z, h, loss) = Hand::pass(net, batch);
            let shape = vec![batch.len(), 2];
            Ok(ForwardTrace {
                loss,
                z: vec![Tensor::new(shape.clone(), z)?],
                h: vec![Tensor::new(shape, h)?],
                n: vec![None],
            })
        }
        fn grads(
            &self,
            net: &Network,
            batch: &Batch,
            _: DType,
            _: GradRequest,
        ) -> Result<Gradients> {
            let (z, h, loss) = Hand::pass(net, batch);
            let rows = batch.len();
            let delta: Vec<f64> = (0..z.len())
                .map(|i| {
                    if z[i] > 0.0 {
                        (h[i] - batch.y.data[i]) / rows as f64
                    } else {
                        0.0
                    }
                })
                .collect();
            let w = &net.params().weight(0).data;
            let (mut dw, mut db, mut dx) = (vec![0.0; 4], vec![0.0; 2], vec![0.0; rows * 2]);
            for r in 0..rows {
                for k in 0..2 {
                    db[k] += delta[r * 2 + k];
                    for i in 0..2 {
                        dw[k * 2 + i] += delta[r * 2 + k] * batch.x.data[r * 2 + i];
                        dx[r * 2 + i] += delta[r * 2 + k] * w[k * 2 + i];
                    }
                }
            }
            Ok(Gradients {
                loss,
                params: ParamSet::from_entries(vec![
                    (weight_name(0), Tensor::new(vec![2, 2], dw)?),
                    (bias_name(0), Tensor::new(vec![2], db)?),
                ]),
                input: Some(Tensor::new(vec![rows, 2], dx)?),
                deltas: None,
            })
        }
        fn trainer(&self, _: &Network, _: &Batch, _: DType) -> Result<Box<dyn Trainer>> {
            Err(Error::Spec("no trainer".into()))
        }
    }

    fn case(bias0: f64) -> (Network, Batch) {
        let spec = NetSpec::new(vec![2, 2], vec![Activation::Relu], Loss::Mse, false).unwrap();
        let params = ParamSet::from_entries(vec![
            (
                weight_name(0),
                Tensor::new(vec![2, 2], vec![0.5, -1.5, 2.0, 0.25]).unwrap(),
            ),
            (
                bias_name(0),
                Tensor::new(vec![2], vec![bias0, 0.3]).unwrap(),
            ),
        ]);
        let batch = Batch::from_rows(
            vec![vec![1.0, 0.2], vec![-0.4, 0.8], vec![2.0, 1.0]],
            vec![vec![0.1, 0.9], vec![-0.5, 0.2], vec![1.0, 3.0]],
        )
        .unwrap();
        (Network::new(spec, params).unwrap(), batch)
    }

    const CFG: FdConfig = FdConfig {
        rel_step: 6.0554544523933395e-6,
        inputs: true,
        richardson: false,
    };

    #[test]
    fn central_differences_match_the_hand_derivative() {
        let (net, batch) = case(0.1);
        let fd = finite_differences(&Hand, &net, &batch, &CFG).unwrap();
        let g = Hand
            .grads(&net, &batch, DType::F64, GradRequest::default())
            .unwrap();
        assert_eq!(fd.loss, g.loss);
        let comps = fd.compare(&g, Tolerance::FD_F64);
        assert_eq!(comps.len(), 3, "weight, bias and input");
        for c in &comps {
            assert!(c.passed() && c.checked > 0 && c.skipped == 0, "{c}");
        }
        // Not merely close: the differences are the derivative to ~1e-10.
        let dw = &fd.params[0].values.data;
        for (a, b) in dw.iter().zip(&g.params.weight(0).data) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }

    #[test]
    fn a_wrong_gradient_fails() {
        let (net, batch) = case(0.1);
        let fd = finite_differences(&Hand, &net, &batch, &CFG).unwrap();
        let mut g = Hand
            .grads(&net, &batch, DType::F64, GradRequest::default())
            .unwrap();
        g.params.get_mut(&weight_name(0)).unwrap().data[3] *= 1.0 + 1e-5;
        let comps = fd.compare(&g, Tolerance::FD_F64);
        assert!(!comps[0].passed() && comps[0].failed == 1, "{}", comps[0]);
        assert!(comps[1].passed());
        // A missing tensor is a failure, not a pass.
        let empty = Gradients {
            params: ParamSet::from_entries(vec![]),
            ..g
        };
        let missing = fd.compare(&empty, Tolerance::FD_F64);
        assert!(!missing[0].passed() && !missing[1].passed());
    }

    #[test]
    fn a_pre_activation_crossing_zero_is_skipped_with_its_place() {
        // Example 0's z₀ = 0.5·1 − 1.5·0.2 + b₀ = 0.2 + b₀: at b₀ = −0.2 + 1e-7 the bias's
        // step (≈ 6e-6) puts it on both sides of 0.
        let (net, batch) = case(-0.2 + 1e-7);
        let fd = finite_differences(&Hand, &net, &batch, &CFG).unwrap();
        let bias = &fd.params[1];
        assert_eq!(bias.kinks.len(), 1, "{:?}", bias.kinks);
        let k = &bias.kinks[0];
        assert_eq!((k.element, k.layer, k.example, k.unit), (0, 0, 0, 0));
        assert_eq!(bias.skip_mask(), [true, false]);
        assert!(k.reason().contains("z[0, 0]"));
        // The skipped element is not compared, whatever the analytic value.
        let g = Hand
            .grads(&net, &batch, DType::F64, GradRequest::default())
            .unwrap();
        let mut wrong = g.params.bias(0).clone();
        wrong.data[0] = 123.0;
        let c = bias.compare(&wrong, Tolerance::FD_F64);
        assert!(c.passed() && c.skipped == 1 && c.checked == 1, "{c}");
    }

    /// `x → z₁ = w₁x + b₁ → n₁ = LayerNorm(z₁) → relu → z₂ = w₂a₁ + b₂`, mse, over one unit:
    /// a LayerNorm of one unit gives `n₁ = β` whatever `z₁` is (`z₁ − μ = 0`).
    struct OneUnitNorm;

    impl Engine for OneUnitNorm {
        fn name(&self) -> &str {
            "one-unit-norm"
        }
        fn forward(&self, net: &Network, batch: &Batch, _: DType) -> Result<ForwardTrace> {
            let p = net.params();
            let (w1, b1) = (p.weight(0).data[0], p.bias(0).data[0]);
            let (w2, b2) = (p.weight(1).data[0], p.bias(1).data[0]);
            let beta = p.get(&crate::norm::beta_name(0)).expect("β").data[0];
            let rows = batch.len();
            let z1: Vec<f64> = batch.x.data.iter().map(|x| w1 * x + b1).collect();
            let n1 = vec![beta; rows]; // γ·0 + β
            let a1: Vec<f64> = n1.iter().map(|v| v.max(0.0)).collect();
            let z2: Vec<f64> = a1.iter().map(|a| w2 * a + b2).collect();
            let loss = z2
                .iter()
                .zip(&batch.y.data)
                .map(|(p, t)| 0.5 * (p - t) * (p - t))
                .sum::<f64>()
                / rows as f64;
            let t = |v: Vec<f64>| Tensor::new(vec![rows, 1], v);
            Ok(ForwardTrace {
                loss,
                z: vec![t(z1)?, t(z2.clone())?],
                h: vec![t(a1)?, t(z2)?],
                n: vec![Some(t(n1)?), None],
            })
        }
        fn grads(&self, _: &Network, _: &Batch, _: DType, _: GradRequest) -> Result<Gradients> {
            Err(Error::Spec("forward only".into()))
        }
        fn trainer(&self, _: &Network, _: &Batch, _: DType) -> Result<Box<dyn Trainer>> {
            Err(Error::Spec("no trainer".into()))
        }
    }

    #[test]
    fn a_normalized_layers_kink_is_found_at_the_norms_output_not_at_z() {
        let spec = NetSpec::new(
            vec![1, 1, 1],
            vec![Activation::Relu, Activation::Identity],
            Loss::Mse,
            false,
        )
        .and_then(|s| s.with_norm(crate::Norm::Layer))
        .unwrap();
        let mut params = crate::Init::Normal(1.0).params(&spec, 3);
        // z₁ = 2x + 0.5 is far from 0 for every example; n₁ = β = 1e-7 sits at the kink.
        params.get_mut(&weight_name(0)).unwrap().data[0] = 2.0;
        params.get_mut(&bias_name(0)).unwrap().data[0] = 0.5;
        params.get_mut(&weight_name(1)).unwrap().data[0] = 1.5;
        params.get_mut(&crate::norm::beta_name(0)).unwrap().data[0] = 1e-7;
        let net = Network::new(spec, params).unwrap();
        let batch =
            Batch::from_rows(vec![vec![1.0], vec![3.0]], vec![vec![0.3], vec![-1.0]]).unwrap();
        let fd = finite_differences(&OneUnitNorm, &net, &batch, &CFG).unwrap();
        let beta = fd.params.iter().find(|t| t.name == "norm1.bias").unwrap();
        assert_eq!(beta.kinks.len(), 1, "{:?}", beta.kinks);
        let k = &beta.kinks[0];
        assert!(k.normalized && k.layer == 0, "{k:?}");
        assert_eq!(
            k.reason(),
            "norm1 output n[0, 0] crosses 0 within the step (ReLU kink)"
        );
        // The quotient there is neither one-sided slope (0 below the kink, mean((z₂ − y)·w₂)
        // above it): skipping it is what keeps a correct engine from failing.
        let b2 = net.params().bias(1).data[0];
        let above = [0.3, -1.0]
            .iter()
            .map(|y| (1.5 * 1e-7 + b2 - y) * 1.5)
            .sum::<f64>()
            / 2.0;
        let q = beta.values.data[0];
        assert!(
            q.abs() > 1e-3 && (q - above).abs() > 1e-3 * above.abs(),
            "{q} vs {above}"
        );
        // Nothing else moves n₁ across 0: no other element is skipped.
        let others: Vec<&FdTensor> = fd.tensors().filter(|t| t.name != "norm1.bias").collect();
        assert!(others.iter().all(|t| t.kinks.is_empty()));
        assert_eq!(others.len(), 6, "fc1.*, norm1.weight, fc2.* and the input");
    }

    #[test]
    fn the_step_is_relative_to_the_value() {
        // x₀ = 1000: h = rel_step·1000 for that element, and its quotient is still the
        // derivative (a fixed h = 6e-6 would lose it to the rounding of a loss of ~1e6).
        let (net, mut batch) = case(0.1);
        batch.x.data[0] = 1000.0;
        let fd = finite_differences(&Hand, &net, &batch, &CFG).unwrap();
        let g = Hand
            .grads(&net, &batch, DType::F64, GradRequest { input_grad: true })
            .unwrap();
        let (got, want) = (g.input.unwrap().data[0], fd.input.unwrap().values.data[0]);
        assert!((got - want).abs() <= 1e-6 * want.abs(), "{got} vs {want}");
    }

    #[test]
    fn assert_all_pass_rejects_a_tensor_whose_every_element_was_skipped() {
        let t = Tensor::new(vec![2], vec![1.0, 2.0]).unwrap();
        let tol = Tolerance::FD_F64;
        let all = Comparison::new("b", &t, &t, tol, Some(&[true, true]));
        let some = Comparison::new("w", &t, &t, tol, Some(&[true, false]));
        let both = [some.clone(), all];
        let r = std::panic::catch_unwind(|| crate::testing::assert_all_pass("x", &both));
        assert!(r.is_err());
        crate::testing::assert_all_pass("x", &[some]);
    }
}
