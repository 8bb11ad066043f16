//! The JSON requests of the served page (`POST /api/trace`, `POST /api/step`), parsed and
//! validated into a [`Resolved`] network and batch before anything is allocated from their
//! sizes: at most [`MAX_LAYERS`] Linear layers, [`MAX_PARAMS`] parameters, [`MAX_ROWS`]
//! examples and [`MAX_ACTIVATIONS`] activation values per pass; every violation is an
//! [`Error`] whose one-line message the server returns with status 400.
//!
//! ```text
//! {"layers": [2, 3, 1], "activations": ["sigmoid", "sigmoid"], "loss": "mse",
//!  "residual": false, "init": "xavier-normal", "seed": 42,
//!  "params": {"fc1.weight": {"shape": [3, 2], "data": [...]}, ...}   (optional)
//!  "input": [[1, 2]], "target": [[0.5]], "engine": "manual", "dtype": "f64"}
//! ```

use bplab_core::{
    json, Activation, Batch, DType, Error, Init, Loss, NetSpec, Network, ParamSet, Result,
};
use bplab_harness::netargs::Resolved;
use serde::Deserialize;
use serde_json::{Map, Value};

/// Most Linear layers a request may describe.
pub const MAX_LAYERS: usize = 64;
/// Most parameters a request's network may have.
pub const MAX_PARAMS: usize = 1_000_000;
/// Most examples in a request's batch.
pub const MAX_ROWS: usize = 256;
/// Most values of `z` (summed over layers and examples) one pass may hold.
pub const MAX_ACTIVATIONS: usize = 1_000_000;

/// A network, its weights (explicit or from an init scheme) and one batch.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetRequest {
    pub layers: Vec<usize>,
    pub activations: Vec<String>,
    #[serde(default)]
    pub loss: Option<String>,
    #[serde(default)]
    pub residual: bool,
    #[serde(default)]
    pub init: Option<String>,
    #[serde(default)]
    pub seed: Option<u64>,
    /// Explicit weights in PyTorch naming; they replace `init`/`seed`.
    #[serde(default)]
    pub params: Option<Map<String, Value>>,
    pub input: Vec<Vec<f64>>,
    pub target: Vec<Vec<f64>>,
    #[serde(default = "default_engine")]
    pub engine: String,
    #[serde(default = "default_dtype")]
    pub dtype: String,
    /// The hidden layers' norm: `none` (default), `layer` or `batch` (as `--norm`).
    #[serde(default)]
    pub norm: Option<String>,
}

fn default_engine() -> String {
    "manual".into()
}

fn default_dtype() -> String {
    "f64".into()
}

/// A request field's value through the library's parser: a name error speaks of the JSON
/// field (`"dtype": unknown dtype 'f16' …`), not of the command-line flag.
pub fn field<T>(name: &str, parsed: Result<T>) -> Result<T> {
    parsed.map_err(|e| match e {
        Error::Parse(m) => Error::Parse(format!(
            "\"{name}\": {}",
            bplab_harness::flags::without_flag(&m)
        )),
        other => other,
    })
}

/// Parses a request body (`what` names the endpoint in errors).
pub fn parse<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| Error::Parse(format!("{what}: malformed JSON ({e})")))
}

impl NetRequest {
    /// The dtype asked for.
    pub fn dtype(&self) -> Result<DType> {
        field("dtype", self.dtype.parse())
    }

    /// Checks the limits on sizes (before anything is allocated from them).
    pub fn check_limits(&self) -> Result<()> {
        let n_layers = self.layers.len().saturating_sub(1);
        if n_layers > MAX_LAYERS {
            return Err(Error::Spec(format!(
                "{n_layers} Linear layers is more than the limit of {MAX_LAYERS}"
            )));
        }
        let n_params = self.layers.windows(2).try_fold(0usize, |acc, w| {
            w[0].checked_mul(w[1])?.checked_add(w[1])?.checked_add(acc)
        });
        match n_params {
            Some(n) if n <= MAX_PARAMS => {}
            Some(n) => {
                return Err(Error::Spec(format!(
                    "the network has {n} parameters, more than the limit of {MAX_PARAMS}"
                )))
            }
            None => {
                return Err(Error::Spec(format!(
                    "the network has more parameters than the limit of {MAX_PARAMS}"
                )))
            }
        }
        if self.input.len() > MAX_ROWS {
            return Err(Error::Batch(format!(
                "{} examples is more than the limit of {MAX_ROWS}",
                self.input.len()
            )));
        }
        let width_sum: usize = self.layers.iter().skip(1).sum();
        if width_sum.saturating_mul(self.input.len()) > MAX_ACTIVATIONS {
            return Err(Error::Batch(format!(
                "{} examples × {width_sum} units is more than the limit of {MAX_ACTIVATIONS} activations",
                self.input.len()
            )));
        }
        Ok(())
    }

    /// Checks the limits, then builds the network and batch.
    pub fn resolve(&self) -> Result<Resolved> {
        self.check_limits()?;
        let activations: Vec<Activation> = self
            .activations
            .iter()
            .map(|a| field("activations", a.parse()))
            .collect::<Result<_>>()?;
        let loss = match &self.loss {
            Some(l) => field("loss", l.parse())?,
            None if activations.last() == Some(&Activation::Softmax) => Loss::CrossEntropy,
            None => Loss::Mse,
        };
        let norm: bplab_core::Norm = field("norm", self.norm.as_deref().unwrap_or("none").parse())?;
        let spec =
            NetSpec::new(self.layers.clone(), activations, loss, self.residual)?.with_norm(norm)?;
        let init: Init = field(
            "init",
            self.init.as_deref().unwrap_or("xavier-normal").parse(),
        )?;
        let seed = self.seed.unwrap_or(42);
        let (params, weights_from) = match &self.params {
            Some(map) => {
                if map.len() > 2 * MAX_LAYERS {
                    return Err(Error::Params(format!(
                        "{} parameter tensors is more than the network's {}",
                        map.len(),
                        2 * spec.n_layers()
                    )));
                }
                let entries = map
                    .iter()
                    .map(|(name, v)| {
                        json::parse_tensor(v)
                            .map(|t| (name.clone(), t))
                            .ok_or_else(|| {
                                Error::Params(format!(
                                    "params: '{name}' is not a {{\"shape\", \"data\"}} tensor of numbers"
                                ))
                            })
                    })
                    .collect::<Result<Vec<_>>>()?;
                (
                    ParamSet::from_entries(entries),
                    "request params".to_string(),
                )
            }
            None => (init.params(&spec, seed), format!("{init} seed {seed}")),
        };
        let network = Network::new(spec, params)?;
        let batch = Batch::from_rows(self.input.clone(), self.target.clone())?;
        batch.validate(network.spec())?;
        Ok(Resolved {
            network,
            batch,
            weights_from,
        })
    }
}

/// Most SGD steps one `POST /api/step` runs.
pub const MAX_STEPS: usize = 1000;
/// Most `steps × parameters` one `POST /api/step` computes.
pub const MAX_STEP_WORK: usize = 50_000_000;

/// `POST /api/step`: a network request plus `"lr"` (finite, > 0) and `"steps"`
/// (`1..=MAX_STEPS`, default 1).
#[derive(Debug, Clone)]
pub struct StepRequest {
    pub net: NetRequest,
    pub lr: f64,
    pub steps: usize,
}

impl StepRequest {
    /// Parses and checks the SGD settings (the network is checked by [`NetRequest::resolve`]).
    pub fn parse(body: &[u8]) -> Result<Self> {
        let mut v: Map<String, Value> = parse(body, "/api/step")?;
        let lr = match v.remove("lr") {
            Some(x) => x
                .as_f64()
                .filter(|x| x.is_finite() && *x > 0.0)
                .ok_or_else(|| {
                    Error::Parse("/api/step: \"lr\" must be a finite number > 0".into())
                })?,
            None => return Err(Error::Parse("/api/step: \"lr\" is required".into())),
        };
        let steps = match v.remove("steps") {
            Some(x) => x
                .as_u64()
                .filter(|&n| (1..=MAX_STEPS as u64).contains(&n))
                .ok_or_else(|| {
                    Error::Parse(format!(
                        "/api/step: \"steps\" must be a whole number from 1 to {MAX_STEPS}"
                    ))
                })? as usize,
            None => 1,
        };
        let net: NetRequest = serde_json::from_value(Value::Object(v))
            .map_err(|e| Error::Parse(format!("/api/step: malformed JSON ({e})")))?;
        Ok(StepRequest { net, lr, steps })
    }
}
