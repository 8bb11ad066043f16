//! Which traced tensors the visualizer compares across engines (`loss`, every `z`, `h`, `δ`
//! and parameter gradient, `γ` and `β` of normalized layers included, in display order), each judged by the harness's one rule
//! ([`bplab_harness::agreement::tensor`]) against the first selected engine.

use super::EngineTrace;
use bplab_core::norm::{beta_name, gamma_name};
use bplab_core::{DType, NetSpec, Tensor};
use bplab_harness::agreement;
pub use bplab_harness::agreement::Verdict;

/// One traced tensor (`z1`, `δ2`, `fc1.weight`…) and every non-reference engine's verdict.
#[derive(Debug, Clone)]
pub struct TensorVerdicts {
    /// `loss`, `z{l}`, `h{l}`, `delta{l}`, `grad fc{l}.weight`, `grad fc{l}.bias`,
    /// `grad norm{l}.weight`, `grad norm{l}.bias`.
    pub tensor: String,
    /// `(engine, verdict)` for each engine after the reference.
    pub verdicts: Vec<(String, Verdict)>,
}

impl TensorVerdicts {
    /// True when every engine that exposes the tensor agrees with the reference.
    pub fn agreed(&self) -> bool {
        self.verdicts.iter().all(|(_, v)| v.passed())
    }
}

/// Names of the traced tensors in display order, with a getter for each.
type Getter = Box<dyn Fn(&EngineTrace) -> Option<Tensor>>;

fn tensors(spec: &NetSpec) -> Vec<(String, Getter)> {
    let n_layers = spec.n_layers();
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
        if spec.is_normalized(l) {
            for name in [gamma_name(l), beta_name(l)] {
                v.push((
                    format!("grad {name}"),
                    Box::new(move |t: &EngineTrace| t.grads.params.get(&name).cloned()),
                ));
            }
        }
    }
    v
}

fn scalar(v: f64) -> Tensor {
    Tensor {
        shape: vec![],
        data: vec![v],
    }
}

/// Every traced tensor of every engine after the first against the first, by
/// [`agreement::tensor`]. `emulated[i]`, when given, replaces the reference for engine `i + 1`:
/// the manual engine computing with that engine's documented conventions
/// ([`bplab_harness::deviations::emulating`]), so a framework's arithmetic is explained by
/// agreement at the exact tolerance and anything else shows as a disagreement.
pub fn compare(
    traces: &[EngineTrace],
    emulated: &[Option<EngineTrace>],
    spec: &NetSpec,
    dtype: DType,
) -> Vec<TensorVerdicts> {
    let Some((reference, others)) = traces.split_first() else {
        return Vec::new();
    };
    tensors(spec)
        .into_iter()
        .map(|(name, get)| {
            let verdicts = others
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let reference = emulated
                        .get(i)
                        .and_then(Option::as_ref)
                        .unwrap_or(reference);
                    let want = get(reference);
                    let got = get(t);
                    let v = agreement::tensor(
                        (&t.engine, got.as_ref()),
                        (&reference.engine, want.as_ref()),
                        &name,
                        spec,
                        dtype,
                    );
                    (t.engine.clone(), v)
                })
                .collect();
            TensorVerdicts {
                tensor: name,
                verdicts,
            }
        })
        .collect()
}
