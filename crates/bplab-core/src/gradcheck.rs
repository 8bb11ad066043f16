//! The finite-difference gradient checker: central differences
//! `∂L/∂θ ≈ (L(θ + h) − L(θ − h)) / 2h` on every parameter element (and optionally every
//! input element), in f64, through any [`Engine`]'s forward pass, with kink detection.
//!
//! The step is relative to the value's size, `h = ε^{1/3}·max(1, |θ|)` (≈ 6e-6 for
//! `|θ| ≤ 1`), which balances the `O(h²)` truncation error of the central difference against
//! the `O(ε/h)` rounding error of the loss. The step actually used is `(θ + h) − (θ − h)` as
//! represented, so no rounding of `θ ± h` leaks into the quotient.
//!
//! **Kinks.** ReLU and leaky-ReLU have no derivative at `z = 0`. When the two perturbed
//! forward passes put some ReLU pre-activation on opposite sides of 0, the difference quotient
//! averages two slopes and measures nothing; such elements are reported as skipped with the
//! reason (layer, unit, example), never compared.

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
}

impl Default for FdConfig {
    fn default() -> Self {
        FdConfig {
            rel_step: f64::EPSILON.cbrt(),
            inputs: false,
        }
    }
}

/// Why one element was not compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Kink {
    /// Flat index of the element in its tensor.
    pub element: usize,
    /// 0-based layer whose ReLU-type pre-activation crossed 0.
    pub layer: usize,
    /// Example row and unit of that pre-activation.
    pub example: usize,
    pub unit: usize,
}

impl Kink {
    /// `z[layer 2][example 0, unit 3] crosses 0 within the step`.
    pub fn reason(&self) -> String {
        format!(
            "fc{} pre-activation z[{}, {}] crosses 0 within the step (ReLU kink)",
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
            let (d, kink) = central(tensor.data[i], cfg.rel_step, net.spec(), probe)?;
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
            let (d, kink) = central(batch.x.data[i], cfg.rel_step, net.spec(), probe)?;
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

/// One central difference around `theta`, with the kink it straddles (if any).
fn central(
    theta: f64,
    rel_step: f64,
    spec: &NetSpec,
    probe: impl Fn(f64) -> Result<ForwardTrace>,
) -> Result<(f64, Option<Kink>)> {
    let h = rel_step * theta.abs().max(1.0);
    let (tp, tm) = (theta + h, theta - h);
    let plus = probe(tp)?;
    let minus = probe(tm)?;
    let d = (plus.loss - minus.loss) / (tp - tm);
    Ok((d, first_kink(spec, &plus, &minus)))
}

/// The first ReLU-type pre-activation whose sign differs between two forward passes.
fn first_kink(spec: &NetSpec, a: &ForwardTrace, b: &ForwardTrace) -> Option<Kink> {
    for (l, act) in spec.activations().iter().enumerate() {
        if !act.has_kink() {
            continue;
        }
        let width = spec.layer_dims(l).1;
        let (za, zb) = (&a.z[l].data, &b.z[l].data);
        if let Some(i) = (0..za.len()).find(|&i| (za[i] > 0.0) != (zb[i] > 0.0)) {
            return Some(Kink {
                element: 0,
                layer: l,
                example: i / width,
                unit: i % width,
            });
        }
    }
    None
}
