//! The worked example computed by the manual engine, in the lesson's order: the forward
//! values, each backward step as local gradient × upstream gradient (the δ from the engine's
//! own backward, [`Gradients::deltas`]), the SGD step with `lr = 0.1` and the new loss; then
//! every element of every gradient beside each other selected engine's and central finite
//! differences, compared by the project's one rule `|a−b| ≤ atol + rtol·|b|`.
//!
//! The lesson's loss is `½(ŷ − y)²`; the engine's `mse` is `½·mean over the batch of
//! Σ(ŷ − y)²`, which is the same number for one example with one output, so every value here
//! is the lesson's.

use crate::config::LR;
use bplab_core::gradcheck::{finite_differences, FdConfig};
use bplab_core::presets::Preset;
use bplab_core::{
    Activation, Batch, Comparison, DType, Engine, Error, GradRequest, Gradients, Network, Result,
    Tolerance,
};
use bplab_harness::{agreement, engines};
use bplab_manual::ManualEngine;

/// One forward and backward pass of a `2 → n → 1` network with one example.
#[derive(Debug, Clone)]
pub struct Pass {
    pub x: Vec<f64>,
    pub y: f64,
    /// The hidden activation (`sigmoid` in the lesson, `relu` in practice task 4).
    pub hidden: Activation,
    /// `z₁ = W₁x + b₁`, `(n)`.
    pub z1: Vec<f64>,
    /// `h = σ(z₁)`, `(n)`.
    pub h: Vec<f64>,
    pub z2: f64,
    /// `ŷ = σ(z₂)`.
    pub y_hat: f64,
    /// `L = ½(ŷ − y)²`.
    pub loss: f64,
    /// `∂L/∂ŷ = ŷ − y`.
    pub dl_dyhat: f64,
    /// `∂ŷ/∂z₂ = σ'(z₂) = ŷ(1 − ŷ)`.
    pub dyhat_dz2: f64,
    /// `δ₂ = ∂L/∂z₂`, from the engine.
    pub delta2: f64,
    /// `∂L/∂W₂ = δ₂ hᵀ`, `(1, n)`.
    pub dw2: Vec<f64>,
    pub db2: f64,
    /// `∂L/∂h = W₂ᵀ δ₂`, `(n)`.
    pub dl_dh: Vec<f64>,
    /// `∂h/∂z₁ = σ'(z₁)`, `(n)`.
    pub dh_dz1: Vec<f64>,
    /// `δ₁ = ∂L/∂h ⊙ σ'(z₁)`, from the engine, `(n)`.
    pub delta1: Vec<f64>,
    /// `∂L/∂W₁ = δ₁ xᵀ`, `(n, 2)` row-major.
    pub dw1: Vec<f64>,
    pub db1: Vec<f64>,
    /// The engine's gradients, for the comparisons.
    pub grads: Gradients,
}

impl Pass {
    /// The lesson's `dL/dW2 sum`.
    pub fn sum_dw2(&self) -> f64 {
        self.grads.params.weight(1).sum()
    }
    /// The lesson's `dL/dW1 sum`.
    pub fn sum_dw1(&self) -> f64 {
        self.grads.params.weight(0).sum()
    }
}

/// The lesson's network (`seed-example`) with `hidden` as the hidden activation.
pub fn seed_network(hidden: Activation) -> Result<Network> {
    let (widths, mut acts, loss) = Preset::SeedExample.parts();
    acts[0] = hidden;
    let spec = bplab_core::NetSpec::new(widths, acts, loss, false)?;
    let params = Preset::SeedExample
        .fixed_params()
        .ok_or_else(|| Error::Parse("seed-example has no fixed weights".into()))?;
    Network::new(spec, params)
}

/// One example as a batch.
pub fn batch(x: &[f64], y: f64) -> Result<Batch> {
    Batch::from_rows(vec![x.to_vec()], vec![vec![y]])
}

/// Forward and backward on the manual engine in f64.
pub fn pass(net: &Network, x: &[f64], y: f64) -> Result<Pass> {
    let e = ManualEngine::new();
    let b = batch(x, y)?;
    let trace = e.forward(net, &b, DType::F64)?;
    let grads = e.grads(net, &b, DType::F64, GradRequest::default())?;
    let deltas = grads
        .deltas
        .clone()
        .ok_or_else(|| Error::Parse("the manual engine exposes no δ".into()))?;
    let hidden = net.spec().activations()[0];
    let (z1, h) = (trace.z[0].data.clone(), trace.h[0].data.clone());
    let (z2, y_hat) = (trace.z[1].data[0], trace.h[1].data[0]);
    let w2 = &net.params().weight(1).data;
    let delta2 = deltas[1].data[0];
    let dh_dz1 = z1
        .iter()
        .zip(&h)
        .map(|(&z, &a)| match hidden {
            Activation::Relu => f64::from(u8::from(z > 0.0)),
            _ => a * (1.0 - a),
        })
        .collect();
    Ok(Pass {
        x: x.to_vec(),
        y,
        hidden,
        dl_dyhat: y_hat - y,
        dyhat_dz2: y_hat * (1.0 - y_hat),
        delta2,
        dw2: grads.params.weight(1).data.clone(),
        db2: grads.params.bias(1).data[0],
        dl_dh: w2.iter().map(|w| w * delta2).collect(),
        dh_dz1,
        delta1: deltas[0].data.clone(),
        dw1: grads.params.weight(0).data.clone(),
        db1: grads.params.bias(0).data.clone(),
        z1,
        h,
        z2,
        y_hat,
        loss: trace.loss,
        grads,
    })
}

/// One SGD step `θ ← θ − lr·∂L/∂θ` and the loss after it.
#[derive(Debug, Clone)]
pub struct Update {
    pub lr: f64,
    /// The new parameters, in the network's order (`fc1.weight`, `fc1.bias`, …).
    pub params: Vec<(String, Vec<f64>)>,
    pub new_loss: f64,
}

/// The lesson's update with [`LR`], then a manual forward pass on the same example.
pub fn update(net: &Network, p: &Pass) -> Result<Update> {
    let mut params = net.params().clone();
    for (name, t) in params.iter_mut() {
        let g = p
            .grads
            .params
            .get(name)
            .ok_or_else(|| Error::Parse(format!("no gradient for {name}")))?;
        for (v, d) in t.data.iter_mut().zip(&g.data) {
            *v -= LR * d;
        }
    }
    let listed = params
        .iter()
        .map(|(n, t)| (n.to_string(), t.data.clone()))
        .collect();
    let next = net.with_params(params)?;
    let trace = ManualEngine::new().forward(&next, &batch(&p.x, p.y)?, DType::F64)?;
    Ok(Update {
        lr: LR,
        params: listed,
        new_loss: trace.loss,
    })
}

/// One engine's gradients against the manual engine's, or central finite differences'.
#[derive(Debug, Clone)]
pub struct Column {
    /// `burn-ndarray`, …, or `finite differences`.
    pub name: String,
    pub grads: Gradients,
    /// Tensor by tensor, under the stated tolerance.
    pub comparisons: Vec<Comparison>,
    /// The engine's documented conventions the reference computed with (empty: the manual
    /// engine's exact formulas).
    pub conventions: Vec<String>,
}

impl Column {
    pub fn passed(&self) -> bool {
        self.comparisons.iter().all(Comparison::passed)
    }
    /// The largest `|a − b|` over every tensor.
    pub fn max_abs(&self) -> f64 {
        self.comparisons
            .iter()
            .map(|c| c.max_abs)
            .fold(0.0, f64::max)
    }
    /// The tolerance (the same for every tensor of one column).
    pub fn tolerance(&self) -> Tolerance {
        self.comparisons
            .first()
            .map_or(Tolerance::EXACT_F64, |c| c.tolerance)
    }
}

/// Every selected engine other than `manual` (in f64, at the exact tolerance, against the
/// manual engine computing with the engine's documented conventions where they apply), then
/// central finite differences of the manual engine's loss (under [`Tolerance::FD_F64`]).
pub fn cross_check(net: &Network, p: &Pass, engine: &str) -> Result<Vec<Column>> {
    let b = batch(&p.x, p.y)?;
    let mut cols = Vec::new();
    for e in engines::select_for(engine, DType::F64)? {
        if e.name() == "manual" {
            continue;
        }
        let g = e.grads(net, &b, DType::F64, GradRequest::default())?;
        let tol = agreement::exact(DType::F64);
        // A framework whose documented arithmetic touches the network (burn-ndarray's f32
        // sigmoid) is held to the manual engine computing with it.
        let conventions = bplab_harness::deviations::conventions(e.name()).names_for(net.spec());
        let comparisons = match agreement::emulated_reference(e.name(), net.spec()) {
            Some(m) => {
                let want = m.grads(net, &b, DType::F64, GradRequest::default())?;
                agreement::gradients(&g, &want, tol)
            }
            None => agreement::gradients(&g, &p.grads, tol),
        };
        cols.push(Column {
            name: e.name().to_string(),
            comparisons,
            grads: g,
            conventions,
        });
    }
    cols.push(fd_column(net, p)?);
    Ok(cols)
}

/// Central finite differences against the manual engine's gradients, every element.
pub fn fd_column(net: &Network, p: &Pass) -> Result<Column> {
    let e = ManualEngine::new();
    let fd = finite_differences(&e, net, &batch(&p.x, p.y)?, &FdConfig::default())?;
    let mut params = p.grads.params.clone();
    for t in &fd.params {
        if let Some(slot) = params.get_mut(&t.name) {
            *slot = t.values.clone();
        }
    }
    Ok(Column {
        name: "finite differences".into(),
        comparisons: fd.compare(&p.grads, Tolerance::FD_F64),
        grads: Gradients {
            loss: fd.loss,
            params,
            input: None,
            deltas: None,
        },
        conventions: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worked_example_has_the_lessons_numbers_and_delta_is_local_times_upstream() {
        let net = seed_network(Activation::Sigmoid).unwrap();
        let p = pass(&net, &[1.0, 2.0], 0.5).unwrap();
        assert_eq!(
            format!(
                "{:.4} {:.4} {:.4} {:.4}",
                p.y_hat,
                p.loss,
                p.sum_dw2(),
                p.sum_dw1()
            ),
            "0.6572 0.0124 0.0639 0.0197"
        );
        let tol = Tolerance::EXACT_F64;
        assert!(tol.allows(p.delta2, p.dl_dyhat * p.dyhat_dz2));
        for j in 0..3 {
            assert!(tol.allows(p.delta1[j], p.dl_dh[j] * p.dh_dz1[j]));
        }
        let u = update(&net, &p).unwrap();
        assert!(u.new_loss < p.loss);
        let cols = cross_check(&net, &p, "manual").unwrap();
        assert_eq!(cols.len(), 1);
        assert!(cols[0].passed());
    }
}
