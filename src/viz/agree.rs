//! Cross-engine agreement per traced tensor: every engine against the reference (the first
//! selected), element-wise `|a−b| ≤ atol + rtol·|b|` with the same tolerances as `bplab check`
//! (exact-computation tolerance of the dtype, widened only by the measured pins of
//! [`crate::precision`]). An engine that does not expose a tensor (burn keeps no `δ`) is
//! recorded as such, never filled in.

use crate::precision::tolerance_for;
use crate::viz::trace::EngineTrace;
use bplab_core::{Comparison, DType, NetSpec, Tensor, Tolerance};

/// One engine's verdict on one tensor.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Compared element-wise with the reference.
    Compared(Comparison),
    /// The engine does not expose this tensor.
    NotExposed(String),
}

/// One traced tensor (`z1`, `δ2`, `fc1.weight`…) and every non-reference engine's verdict.
#[derive(Debug, Clone)]
pub struct Agreement {
    /// `loss`, `z{l}`, `h{l}`, `delta{l}`, `grad fc{l}.weight`, `grad fc{l}.bias`.
    pub tensor: String,
    /// `(engine, verdict)` for each engine after the reference.
    pub verdicts: Vec<(String, Verdict)>,
}

impl Agreement {
    /// True when every engine that exposes the tensor agrees with the reference.
    pub fn agreed(&self) -> bool {
        self.verdicts.iter().all(|(_, v)| match v {
            Verdict::Compared(c) => c.passed(),
            Verdict::NotExposed(_) => true,
        })
    }
}

/// Names of the traced tensors in display order, with a getter for each.
type Getter = Box<dyn Fn(&EngineTrace) -> Option<Tensor>>;

fn tensors(n_layers: usize) -> Vec<(String, Getter)> {
    let mut v: Vec<(String, Getter)> = vec![(
        "loss".into(),
        Box::new(|t: &EngineTrace| Some(scalar(t.forward.loss))),
    )];
    for l in 0..n_layers {
        let k = l + 1;
        v.push((
            format!("z{k}"),
            Box::new(move |t: &EngineTrace| Some(t.forward.z[l].clone())),
        ));
        v.push((
            format!("h{k}"),
            Box::new(move |t: &EngineTrace| Some(t.forward.h[l].clone())),
        ));
    }
    for l in (0..n_layers).rev() {
        let k = l + 1;
        v.push((
            format!("delta{k}"),
            Box::new(move |t: &EngineTrace| t.delta(l).cloned()),
        ));
        v.push((
            format!("grad fc{k}.weight"),
            Box::new(move |t: &EngineTrace| Some(t.grad_weight(l).clone())),
        ));
        v.push((
            format!("grad fc{k}.bias"),
            Box::new(move |t: &EngineTrace| Some(t.grad_bias(l).clone())),
        ));
    }
    v
}

fn scalar(v: f64) -> Tensor {
    Tensor {
        shape: vec![],
        data: vec![v],
    }
}

/// Every traced tensor of every engine after the first against the first.
pub fn compare(traces: &[EngineTrace], spec: &NetSpec, dtype: DType) -> Vec<Agreement> {
    let base = match dtype {
        DType::F64 => Tolerance::EXACT_F64,
        DType::F32 => Tolerance::EXACT_F32,
    };
    let Some((reference, others)) = traces.split_first() else {
        return Vec::new();
    };
    tensors(spec.n_layers())
        .into_iter()
        .map(|(name, get)| {
            let want = get(reference);
            let verdicts = others
                .iter()
                .map(|t| {
                    let tol = tolerance_for(&t.engine, spec, dtype, base);
                    let v = match (get(t), &want) {
                        (Some(got), Some(want)) => {
                            Verdict::Compared(Comparison::new(&name, &got, want, tol, None))
                        }
                        (None, _) => Verdict::NotExposed(format!("{} exposes no δ", t.engine)),
                        (Some(_), None) => Verdict::NotExposed(format!(
                            "reference {} exposes no δ",
                            reference.engine
                        )),
                    };
                    (t.engine.clone(), v)
                })
                .collect();
            Agreement {
                tensor: name,
                verdicts,
            }
        })
        .collect()
}
