//! `bplab check --plant FAULT`: whether the planted fault can change any gradient of this
//! network and batch at all, and the lines that say what was planted. A fault is invisible when
//! the manual engine's gradients with and without it are bit-for-bit identical (`bias-summed`
//! with a batch of one, `missing-transpose` where it reads the same values, …); the check then
//! cannot catch it, and says so rather than reporting agreement silently.

use crate::netargs::Resolved;
use bplab_core::{DType, Engine, GradRequest, Result, Tensor};
use bplab_manual::{Fault, ManualEngine};
use serde_json::Value;

/// A fault planted for the check, and whether it changes any gradient.
#[derive(Debug, Clone, Copy)]
pub struct PlantEffect {
    pub fault: Fault,
    /// Some parameter gradient (or `∂L/∂x`, when checked) differs, in some bit, from the
    /// correct backward's.
    pub changes_gradients: bool,
}

impl PlantEffect {
    /// `fault` on `r` in `dtype` (`None` for [`Fault::None`]); `inputs` also compares `∂L/∂x`.
    pub fn new(fault: Fault, r: &Resolved, dtype: DType, inputs: bool) -> Result<Option<Self>> {
        if fault == Fault::None {
            return Ok(None);
        }
        let req = GradRequest { input_grad: inputs };
        let correct = ManualEngine::new().grads(&r.network, &r.batch, dtype, req)?;
        let faulty = ManualEngine::with_fault(fault).grads(&r.network, &r.batch, dtype, req)?;
        let params_differ = correct
            .params
            .iter()
            .any(|(name, t)| faulty.params.get(name).is_none_or(|f| !same_bits(t, f)));
        let input_differs = match (&correct.input, &faulty.input) {
            (Some(c), Some(f)) => !same_bits(c, f),
            _ => false,
        };
        Ok(Some(PlantEffect {
            fault,
            changes_gradients: params_differ || input_differs,
        }))
    }

    /// The lines above the check's table: what was planted where, and, when it changes no
    /// gradient, that the check cannot see it.
    pub fn header(&self, engines: &[&str]) -> String {
        let mut s = format!(
            "planted fault: {} in the hand-written backward of {} (the reference is the correct manual engine)\n",
            self.fault.name(),
            engines.join(", ")
        );
        if !self.changes_gradients {
            s.push_str(&format!(
                "planted fault: {} changes no gradient of this network and batch (the manual engine's gradients with and without it are bit-for-bit identical), so the check cannot see it\n",
                self.fault.name()
            ));
        }
        s
    }

    /// The check's JSON document with `planted` (the fault's name) and `plant_effect`
    /// (`"none"` or `"changes gradients"`).
    pub fn annotate(&self, mut v: Value) -> Value {
        v["planted"] = Value::from(self.fault.name());
        v["plant_effect"] = Value::from(if self.changes_gradients {
            "changes gradients"
        } else {
            "none"
        });
        v
    }
}

/// Same shape and every value bit-for-bit equal.
fn same_bits(a: &Tensor, b: &Tensor) -> bool {
    a.shape == b.shape
        && a.data.len() == b.data.len()
        && a.data
            .iter()
            .zip(&b.data)
            .all(|(x, y)| x.to_bits() == y.to_bits())
}
