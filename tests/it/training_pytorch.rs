//! Every engine's trainer against PyTorch's: `STEPS` SGD steps per clipping rule from the
//! same starting point must land on the parameters `torch.optim.SGD` reached after
//! `torch.nn.utils.clip_grad_value_` / `clip_grad_norm_` (and the per-tensor rule written out
//! from its definition), at the exact f64 tolerance `1e-12 + 1e-9·|b|`, with the same loss
//! and gradient norm at every step. The reference is independent of every engine here,
//! the manual one included: it comes from PyTorch, through the checked-in generator
//! `tools/reference/training.py` (fixtures in `tests/fixtures/training/<case>/`: the usual
//! `case.json`, `params.safetensors`, `batch.json`, and `training.json`).
//!
//! The networks use no op with a documented framework deviation
//! (`bplab_harness::deviations::conventions`: no GELU, sigmoid or SiLU), so every engine is
//! held to PyTorch itself; what is tested is the training step and its clipping.

use bplab_core::train::{Clip, Sgd};
use bplab_core::{Comparison, DType, Engine, ParamSet, Tensor, Tolerance};
use bplab_harness::reference::Reference;
use serde_json::Value;
use std::path::PathBuf;

/// The training cases `tools/reference/training.py` writes.
const CASES: [&str; 3] = [
    "tanh-relu-softmax",
    "residual-leaky-tanh-mse",
    "deep-relu-identity-softmax",
];

/// One rule's run in PyTorch.
struct TorchRun {
    clip: Clip,
    losses: Vec<f64>,
    grad_norms: Vec<f64>,
    params: ParamSet,
}

/// One case: the starting point and PyTorch's runs.
struct TrainingCase {
    name: String,
    reference: Reference,
    steps: usize,
    lr: f64,
    runs: Vec<TorchRun>,
}

fn tensor(v: &Value) -> Tensor {
    let shape = v["shape"].as_array().unwrap().iter();
    let data = v["data"].as_array().unwrap().iter();
    Tensor::new(
        shape.map(|d| d.as_u64().unwrap() as usize).collect(),
        data.map(|d| d.as_f64().unwrap()).collect(),
    )
    .unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_f64().unwrap())
        .collect()
}

fn load(name: &str) -> TrainingCase {
    let dir: PathBuf = crate::common::fixtures::dir().join("training").join(name);
    let reference = Reference::load(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
    let text = std::fs::read_to_string(dir.join("training.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let runs = doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| TorchRun {
            clip: r["clip"].as_str().unwrap().parse().unwrap(),
            losses: floats(&r["losses"]),
            grad_norms: floats(&r["grad_norms"]),
            params: ParamSet::from_entries(
                r["params"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, t)| (k.clone(), tensor(t)))
                    .collect(),
            ),
        })
        .collect();
    TrainingCase {
        name: name.to_string(),
        reference,
        steps: doc["steps"].as_u64().unwrap() as usize,
        lr: doc["lr"].as_f64().unwrap(),
        runs,
    }
}

#[test]
fn the_fixtures_cover_every_rule_and_the_rules_end_apart() {
    for name in CASES {
        let c = load(name);
        let rules: Vec<Clip> = c.runs.iter().map(|r| r.clip).collect();
        assert!(
            matches!(
                rules[..],
                [
                    Clip::None,
                    Clip::Value(_),
                    Clip::GlobalNorm(_),
                    Clip::PerTensorNorm(_)
                ]
            ),
            "{name}: {rules:?}"
        );
        assert!(c.steps >= 10 && c.runs.iter().all(|r| r.losses.len() == c.steps));
        // A per-tensor rule computed with the global norm (or any rule swapped for another)
        // would end elsewhere: no two runs agree at the tolerance the engines are held to.
        for (i, a) in c.runs.iter().enumerate() {
            for b in &c.runs[..i] {
                let apart = a
                    .params
                    .iter()
                    .zip(b.params.iter())
                    .any(|((n, x), (_, y))| {
                        !Comparison::new(n, x, y, Tolerance::EXACT_F64, None).passed()
                    });
                assert!(apart, "{name}: {} and {} end together", a.clip, b.clip);
            }
        }
    }
}

/// `engine`'s trainer, `steps` steps per rule from each case's start, against PyTorch:
/// parameters after the last step, every step's loss and gradient norm. Reference values:
/// `tools/reference/training.py` (`tests/fixtures/training/*/training.json`).
fn matches_pytorch(engine: &dyn Engine) {
    let tol = Tolerance::EXACT_F64;
    let mut failed = Vec::new();
    for name in CASES {
        let c = load(name);
        let net = &c.reference.network;
        for run in &c.runs {
            let what = format!("{} {} {}", engine.name(), c.name, run.clip);
            let mut t = engine
                .trainer(net, &c.reference.batch, DType::F64)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let sgd = Sgd {
                lr: c.lr,
                clip: run.clip,
            };
            for i in 0..c.steps {
                let s = t.step(&sgd).unwrap_or_else(|e| panic!("{what}: {e}"));
                for (n, got, want) in [
                    ("loss", s.loss, run.losses[i]),
                    ("grad_norm", s.grad_norm, run.grad_norms[i]),
                ] {
                    let cmp = Comparison::scalar(n, got, want, tol);
                    if !cmp.passed() {
                        failed.push(format!("{what}: step {i}: {cmp}"));
                    }
                }
            }
            let got = t.params().unwrap_or_else(|e| panic!("{what}: {e}"));
            for (n, want) in run.params.iter() {
                let g = got.get(n).unwrap_or_else(|| panic!("{what}: no {n}"));
                let cmp = Comparison::new(n, g, want, tol, None);
                if !cmp.passed() {
                    failed.push(format!("{what}: after {} steps: {cmp}", c.steps));
                }
            }
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// One test per engine, the same body.
macro_rules! pytorch_trainer_tests {
    ($($module:ident => $engine:expr;)*) => {$(
        #[test]
        fn $module() {
            matches_pytorch(bplab_harness::engines::engine($engine).unwrap().as_ref());
        }
    )*};
}

pytorch_trainer_tests! {
    manual_matches_pytorch => "manual";
    burn_ndarray_matches_pytorch => "burn-ndarray";
    burn_flex_matches_pytorch => "burn-flex";
    candle_matches_pytorch => "candle";
    burn_custom_matches_pytorch => "burn-custom";
    candle_custom_matches_pytorch => "candle-custom";
}
