//! PyTorch reference cases written by `tools/reference/generate.py` into `tests/fixtures/`:
//! each has the network description, `params.safetensors` (F64), `batch.json`, and torch's
//! loss, gradients (parameters and input) and forward values (`z`, `h`) in `case.json`. They
//! are read by the loader `bplab check --reference` uses (`bplab_harness::reference`).

use bplab_core::{Batch, Network, ParamSet, Tensor};
use bplab_harness::reference::Reference;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One reference case.
pub struct Fixture {
    pub name: String,
    pub dir: PathBuf,
    pub network: Network,
    pub batch: Batch,
    pub loss: f64,
    pub grads: Vec<(String, Tensor)>,
    pub input_grad: Tensor,
    pub z: Vec<Tensor>,
    pub h: Vec<Tensor>,
}

/// The fixtures directory.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every case listed in `index.json`, loaded and validated.
pub fn all() -> Vec<Fixture> {
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("index.json")).unwrap()).unwrap();
    let cases: Vec<Fixture> = index
        .as_array()
        .unwrap()
        .iter()
        .map(|c| load(c["name"].as_str().unwrap()))
        .collect();
    assert!(cases.len() >= 24, "only {} fixtures", cases.len());
    cases
}

/// Loads `tests/fixtures/<name>/`.
pub fn load(name: &str) -> Fixture {
    let d = dir().join(name);
    let r = Reference::load(&d).unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    let missing = |what: &str| -> ! { panic!("fixture {name}: case.json has no {what}") };
    Fixture {
        name: name.to_string(),
        grads: r
            .grads
            .iter()
            .map(|(k, t)| (k.to_string(), t.clone()))
            .collect(),
        input_grad: r.input_grad.unwrap_or_else(|| missing("input_grad")),
        z: r.z.unwrap_or_else(|| missing("z")),
        h: r.h.unwrap_or_else(|| missing("h")),
        loss: r.loss,
        dir: d,
        network: r.network,
        batch: r.batch,
    }
}

impl Fixture {
    /// The manual engine computing with `engine`'s documented conventions
    /// (`bplab_harness::deviations::emulating`) on this case — gradients with `∂L/∂x`, and the
    /// forward pass — when those conventions touch the case's network; `None` otherwise, and
    /// the reference is PyTorch's. (The manual engine itself is always held to PyTorch.)
    pub fn emulated(
        &self,
        engine: &str,
        dtype: bplab_core::DType,
    ) -> Option<(bplab_core::Gradients, bplab_core::ForwardTrace)> {
        use bplab_core::{Engine, GradRequest};
        let conv = bplab_harness::deviations::conventions(engine);
        if conv.names_for(self.network.spec()).is_empty() {
            return None;
        }
        let e = bplab_harness::deviations::emulating(engine);
        let req = GradRequest { input_grad: true };
        let g = e.grads(&self.network, &self.batch, dtype, req).unwrap();
        let t = e.forward(&self.network, &self.batch, dtype).unwrap();
        Some((g, t))
    }

    /// The loss `engine` must produce on this case: PyTorch's, or [`Fixture::emulated`]'s.
    pub fn expected_loss(&self, engine: &str, dtype: bplab_core::DType) -> f64 {
        self.emulated(engine, dtype)
            .map_or(self.loss, |(g, _)| g.loss)
    }

    /// The gradients `engine` must produce on this case: PyTorch's, or [`Fixture::emulated`]'s
    /// when the engine's conventions touch the network (the flag says which).
    pub fn expected_grads(
        &self,
        engine: &str,
        dtype: bplab_core::DType,
    ) -> (bplab_core::ParamSet, bool) {
        match self.emulated(engine, dtype) {
            Some((g, _)) => (g.params, true),
            None => (ParamSet::from_entries(self.grads.clone()), false),
        }
    }
}
