//! A reference directory in the fixture format of `tools/reference/generate.py`: `case.json`
//! (the network, the loss value, every parameter gradient, optionally `∂L/∂x`, `z` and `h`),
//! `params.safetensors` and `batch.json`. [`Reference::load`] reads and validates one whole —
//! file sizes checked before anything is read, every shape checked against the network before a
//! tensor is built, every value finite — and names the file and the problem on one line. The
//! PyTorch fixtures of the tests and `bplab check --reference DIR` both load through it.

use crate::netargs::Resolved;
use bplab_core::{json, Batch, Error, Gradients, NetSpec, Network, ParamSet, Result, Tensor};
use serde_json::{Map, Value};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest `case.json` or `batch.json` read (the generator keeps `case.json` under 50 KB).
pub const MAX_JSON_BYTES: u64 = 64 << 20;

/// Room for the header of `params.safetensors` beyond 8 bytes per parameter.
const SAFETENSORS_HEADER_BYTES: u64 = 1 << 20;

/// The keys `case.json` may hold.
const KEYS: [&str; 13] = [
    "name",
    "description",
    "layers",
    "activations",
    "loss",
    "residual",
    "norm",
    "loss_value",
    "grads",
    "input_grad",
    "z",
    "h",
    "torch_version",
];

/// One reference case: what was computed, on which network, weights and batch.
#[derive(Debug, Clone)]
pub struct Reference {
    /// The directory it was read from.
    pub dir: PathBuf,
    /// `case.json`'s `name`, else the directory's name.
    pub name: String,
    /// `case.json`'s `torch_version`, when given.
    pub torch_version: Option<String>,
    pub network: Network,
    pub batch: Batch,
    /// The reference's loss value.
    pub loss: f64,
    /// `∂L/∂θ` for every parameter, in the network's order.
    pub grads: ParamSet,
    /// `∂L/∂x`, shape `(B, n_in)`, when given.
    pub input_grad: Option<Tensor>,
    /// Pre-activations per layer, shape `(B, w_l)`, when given.
    pub z: Option<Vec<Tensor>>,
    /// Activations per layer, shape `(B, w_l)`, when given.
    pub h: Option<Vec<Tensor>>,
}

impl Reference {
    /// Reads and validates the reference directory `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let case_path = dir.join("case.json");
        let fail = |reason: String| Error::File {
            path: case_path.display().to_string(),
            reason,
        };
        let text = read_limited(&case_path, MAX_JSON_BYTES)?;
        let case: Value =
            serde_json::from_str(&text).map_err(|e| fail(format!("malformed JSON ({e})")))?;
        let case = case
            .as_object()
            .ok_or_else(|| fail("expected a JSON object".into()))?;
        if let Some(k) = case.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(fail(format!(
                "unknown key '{k}' (expected: {})",
                KEYS.join(", ")
            )));
        }
        let spec = spec(case).map_err(|e| fail(e.to_string()))?;

        let params_path = dir.join("params.safetensors");
        let limit = spec.n_params() as u64 * 8 + SAFETENSORS_HEADER_BYTES;
        let bytes = read_bytes_limited(&params_path, limit)?;
        let params = ParamSet::from_safetensors_bytes(&bytes, &params_path.display().to_string())?;
        let network = Network::new(spec, params).map_err(|e| in_file(&params_path, e))?;

        let batch_path = dir.join("batch.json");
        let batch = Batch::from_json(
            &read_limited(&batch_path, MAX_JSON_BYTES)?,
            &batch_path.display().to_string(),
        )
        .and_then(|b| b.validate(network.spec()).map(|()| b))
        .map_err(|e| in_file(&batch_path, e))?;

        let spec = network.spec();
        let (b, n_in) = (batch.len(), spec.n_in());
        let loss = match case.get("loss_value").map(json::parse_number) {
            Some(Some(v)) if v.is_finite() => v,
            Some(Some(v)) => return Err(fail(format!("loss_value is {v} (must be finite)"))),
            _ => return Err(fail("loss_value: expected a number".into())),
        };
        let grads = match case.get("grads") {
            Some(Value::Object(g)) => grads(g, spec).map_err(fail)?,
            _ => return Err(fail("grads: expected an object of tensors".into())),
        };
        let input_grad = match case.get("input_grad") {
            None => None,
            Some(v) => Some(tensor(v, "input_grad", &[b, n_in]).map_err(fail)?),
        };
        let layers = |key: &str| -> std::result::Result<Option<Vec<Tensor>>, String> {
            let Some(v) = case.get(key) else {
                return Ok(None);
            };
            let list = v
                .as_array()
                .filter(|l| l.len() == spec.n_layers())
                .ok_or_else(|| format!("{key}: expected a list of {} tensors", spec.n_layers()))?;
            let tensors = list.iter().enumerate().map(|(l, t)| {
                let (_, w) = spec.layer_dims(l);
                tensor(t, &format!("{key}[{l}]"), &[b, w])
            });
            tensors
                .collect::<std::result::Result<Vec<_>, _>>()
                .map(Some)
        };
        let (z, h) = (layers("z").map_err(fail)?, layers("h").map_err(fail)?);
        let text_field = |key: &str| case.get(key).and_then(Value::as_str).map(str::to_string);
        Ok(Reference {
            name: text_field("name").unwrap_or_else(|| {
                dir.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| dir.display().to_string())
            }),
            torch_version: text_field("torch_version"),
            dir: dir.to_path_buf(),
            network,
            batch,
            loss,
            grads,
            input_grad,
            z,
            h,
        })
    }

    /// The network and batch to run the engines on.
    pub fn resolved(&self) -> Resolved {
        Resolved {
            network: self.network.clone(),
            batch: self.batch.clone(),
            weights_from: format!("reference {}", self.dir.display()),
        }
    }

    /// The reference's loss, parameter gradients and (when given) `∂L/∂x`.
    pub fn gradients(&self) -> Gradients {
        Gradients {
            loss: self.loss,
            params: self.grads.clone(),
            input: self.input_grad.clone(),
            deltas: None,
        }
    }
}

/// The network description: `layers`, `activations`, `loss`, `residual` (default false),
/// `norm` (default none).
fn spec(case: &Map<String, Value>) -> Result<NetSpec> {
    let bad = |what: &str| Error::Parse(what.to_string());
    let widths = case
        .get("layers")
        .and_then(Value::as_array)
        .and_then(|l| {
            l.iter()
                .map(|w| w.as_u64().and_then(|w| usize::try_from(w).ok()))
                .collect::<Option<Vec<usize>>>()
        })
        .ok_or_else(|| bad("layers: expected a list of widths, e.g. [4, 5, 3, 2]"))?;
    let activations = case
        .get("activations")
        .and_then(Value::as_array)
        .and_then(|l| l.iter().map(Value::as_str).collect::<Option<Vec<&str>>>())
        .ok_or_else(|| bad("activations: expected a list of names, e.g. [\"relu\", \"softmax\"]"))?
        .into_iter()
        .map(str::parse)
        .collect::<Result<Vec<_>>>()?;
    let loss = case
        .get("loss")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("loss: expected \"cross-entropy\" or \"mse\""))?
        .parse()?;
    let residual = match case.get("residual") {
        None => false,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| bad("residual: expected true or false"))?,
    };
    let norm = match case.get("norm") {
        None => bplab_core::Norm::None,
        Some(v) => v
            .as_str()
            .ok_or_else(|| bad("norm: expected \"none\", \"layer\" or \"batch\""))?
            .parse()?,
    };
    NetSpec::new(widths, activations, loss, residual)?.with_norm(norm)
}

/// Every parameter's gradient: exactly the network's names, with its shapes.
fn grads(g: &Map<String, Value>, spec: &NetSpec) -> std::result::Result<ParamSet, String> {
    let shapes = spec.param_shapes();
    if let Some(k) = g.keys().find(|k| !shapes.iter().any(|(n, _)| n == *k)) {
        return Err(format!(
            "grads: unknown tensor '{k}' (the network's are {})",
            shapes
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut entries = Vec::with_capacity(shapes.len());
    for (name, shape) in &shapes {
        let v = g
            .get(name)
            .ok_or_else(|| format!("grads: missing tensor '{name}' (shape {shape:?})"))?;
        entries.push((name.clone(), tensor(v, &format!("grads.{name}"), shape)?));
    }
    Ok(ParamSet::from_entries(entries))
}

/// A `{"shape": [...], "data": [...]}` tensor that must have shape `want` and finite values.
fn tensor(v: &Value, what: &str, want: &[usize]) -> std::result::Result<Tensor, String> {
    let shape = v
        .get("shape")
        .and_then(Value::as_array)
        .and_then(|s| s.iter().map(Value::as_u64).collect::<Option<Vec<u64>>>())
        .ok_or_else(|| format!("{what}: expected {{\"shape\": [...], \"data\": [...]}}"))?;
    if shape.len() != want.len() || shape.iter().zip(want).any(|(&a, &b)| a != b as u64) {
        return Err(format!(
            "{what}: shape {shape:?} does not match the network's {want:?}"
        ));
    }
    let data = v
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{what}: expected a \"data\" list of numbers"))?;
    let n: usize = want.iter().product();
    if data.len() != n {
        return Err(format!(
            "{what}: {} values for shape {want:?} (needs {n})",
            data.len()
        ));
    }
    let mut values = Vec::with_capacity(n);
    for (i, x) in data.iter().enumerate() {
        match json::parse_number(x) {
            Some(x) if x.is_finite() => values.push(x),
            Some(x) => return Err(format!("{what}: element {i} is {x} (must be finite)")),
            None => return Err(format!("{what}: element {i} is not a number")),
        }
    }
    Tensor::new(want.to_vec(), values).map_err(|e| format!("{what}: {e}"))
}

/// `e`, as one line naming `path` (errors that already name it are kept).
fn in_file(path: &Path, e: Error) -> Error {
    let path = path.display().to_string();
    match e {
        Error::File { .. } => e,
        e if e.to_string().contains(&path) => e,
        e => Error::File {
            path,
            reason: e.to_string(),
        },
    }
}

/// The bytes of `path`, refusing a file larger than `limit` before reading it.
fn read_bytes_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| Error::file(path, "cannot read", &e))?;
    let len = file
        .metadata()
        .map_err(|e| Error::file(path, "cannot read", &e))?
        .len();
    if len > limit {
        return Err(Error::File {
            path: path.display().to_string(),
            reason: format!("{len} bytes is more than the limit of {limit} bytes"),
        });
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::file(path, "cannot read", &e))?;
    if bytes.len() as u64 > limit {
        return Err(Error::File {
            path: path.display().to_string(),
            reason: format!("more than the limit of {limit} bytes"),
        });
    }
    Ok(bytes)
}

/// The text of `path`, as [`read_bytes_limited`]; it must be UTF-8.
fn read_limited(path: &Path, limit: u64) -> Result<String> {
    String::from_utf8(read_bytes_limited(path, limit)?).map_err(|_| Error::File {
        path: path.display().to_string(),
        reason: "not UTF-8 text".into(),
    })
}
