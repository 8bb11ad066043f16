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
    /// The gradients `engine` must produce on this case: PyTorch's, except where the case puts
    /// ReLU-type pre-activations at exactly 0 and the engine's derivative there differs from
    /// PyTorch's — then the manual engine's with the engine's convention. The flag says which.
    pub fn expected_grads(
        &self,
        engine: &str,
        dtype: bplab_core::DType,
    ) -> (bplab_core::ParamSet, bool) {
        use bplab_core::{Engine, GradRequest};
        let convention = bplab_harness::deviations::kink_grads(engine);
        let at_kink = self
            .network
            .spec()
            .activations()
            .iter()
            .zip(&self.z)
            .any(|(a, z)| a.has_kink() && z.data.contains(&0.0));
        if at_kink && convention != bplab_core::spec::KinkGrads::PYTORCH {
            let g = bplab_manual::ManualEngine::new()
                .with_kink_grads(convention)
                .grads(&self.network, &self.batch, dtype, GradRequest::default())
                .unwrap();
            (g.params, true)
        } else {
            (ParamSet::from_entries(self.grads.clone()), false)
        }
    }
}
