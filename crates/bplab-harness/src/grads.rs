//! `bplab grads`: the loss and every parameter gradient from each selected engine, as a
//! table for people or as the contract's JSON document.

use crate::netargs::Resolved;
use bplab_core::{json, DType, Engine, GradRequest, Gradients, Result, Tensor};
use serde_json::{json, Map, Value};

/// One engine's answer: its gradients and the network output `ŷ`.
pub struct EngineGrads {
    pub engine: String,
    pub dtype: DType,
    pub grads: Gradients,
    /// `ŷ`, shape `(B, n_out)`.
    pub output: Tensor,
}

/// Runs every engine once.
pub fn run(engines: &[Box<dyn Engine>], r: &Resolved, dtype: DType) -> Result<Vec<EngineGrads>> {
    engines
        .iter()
        .map(|e| {
            let grads = e.grads(&r.network, &r.batch, dtype, GradRequest::default())?;
            let trace = e.forward(&r.network, &r.batch, dtype)?;
            let output = trace.h.last().cloned().expect("at least one layer");
            Ok(EngineGrads {
                engine: e.name().to_string(),
                dtype,
                grads,
                output,
            })
        })
        .collect()
}

/// The contract's JSON document: `{"results": [{"engine", "dtype", "loss", "grads"}]}`, each
/// result also carrying `output` (`ŷ`) and `sums` (the sum of each gradient tensor).
pub fn to_json(results: &[EngineGrads]) -> Value {
    let results: Vec<Value> = results
        .iter()
        .map(|r| {
            let mut grads = Map::new();
            let mut sums = Map::new();
            for (name, t) in r.grads.params.iter() {
                grads.insert(name.to_string(), json::tensor(t));
                sums.insert(name.to_string(), json::number(t.sum()));
            }
            json!({
                "engine": r.engine,
                "dtype": r.dtype.name(),
                "loss": json::number(r.grads.loss),
                "grads": grads,
                "output": json::tensor(&r.output),
                "sums": sums,
            })
        })
        .collect();
    json!({ "results": results })
}

/// A table per engine: loss, `ŷ`, then every gradient tensor row by row with its sum.
pub fn to_table(r: &Resolved, results: &[EngineGrads]) -> String {
    let mut out = format!(
        "network {} · weights {} · batch of {}\n",
        r.network.spec().summary(),
        r.weights_from,
        r.batch.len()
    );
    for res in results {
        out.push_str(&format!("\n== {} ({}) ==\n", res.engine, res.dtype));
        out.push_str(&format!("loss = {}\n", res.grads.loss));
        out.push_str(&tensor_block("y_hat", &res.output));
        for (name, t) in res.grads.params.iter() {
            out.push_str(&tensor_block(&format!("dL/d{name}"), t));
        }
    }
    out
}

/// `name [shape]  sum = …` then one line per row, full precision.
fn tensor_block(name: &str, t: &Tensor) -> String {
    let mut s = format!("{name} {:?}  sum = {}\n", t.shape, t.sum());
    let cols = t.shape.last().copied().unwrap_or(1).max(1);
    for row in t.data.chunks(cols) {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:>24}")).collect();
        s.push_str(&format!("  {}\n", cells.join(" ")));
    }
    s
}
