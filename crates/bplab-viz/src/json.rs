//! The trace as one JSON document (`bplab viz --format json`, `POST /api/trace`):
//!
//! ```text
//! {"network": {"layers", "activations", "loss", "residual", "norm", "n_params", "weights_from"},
//!  "batch": {"x", "y"}, "params": {"fc1.weight": tensor, …},
//!  "results": [{"engine", "dtype", "loss", "output", "grads": {name: tensor},
//!               "layers": [{"name", "activation", "residual", "z", "h", "delta" | null,
//!                           "grad_h" | null, "grad_weight", "grad_bias", "norm" | null:
//!                           {"kind", "mean", "var", "n_hat", "grad_gamma", "grad_beta"}}]}],
//!  "flow": {"scale": {"lo", "hi", "stops"}, "vanishing_ratio", "exploding_norm",
//!           "layers": [{"name", "grad_norm", "mean_abs_delta", "status", "t", "colour",
//!                       "params": [{"name", "symbol", "grad_norm", "t", "colour"}]}]},
//!  "agreement": [{"tensor", "engines": {name: {"agree", "max_abs", "max_rel", "tolerance"}
//!                                            | {"agree": null, "note"}}}]}
//! ```
//! `grads` has the shape of `bplab grads --format json`; tensors are `{"shape", "data"}`
//! row-major with the contract's number rules (`"NaN"`, `"inf"`). `grad_h` is `∂L/∂h_l`
//! derived from the reference engine's `δ`s (first result only). A flow layer's `params` are
//! `W`, `b` and, for a normalized layer, `γ`, `β` (`‖∂L/∂θ‖` on the same scale).

use crate::trace::flow::{self, hex};
use crate::trace::Trace;
use bplab_core::json::{number, tensor};
use bplab_harness::agreement::Verdict;
use serde_json::{json, Map, Value};

/// The whole trace.
pub fn to_json(trace: &Trace) -> Value {
    let r = &trace.resolved;
    let spec = r.network.spec();
    let mut params = Map::new();
    for (name, t) in r.network.params().iter() {
        params.insert(name.to_string(), tensor(t));
    }
    let results: Vec<Value> = trace
        .engines
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut grads = Map::new();
            for (name, t) in e.grads.params.iter() {
                grads.insert(name.to_string(), tensor(t));
            }
            let layers: Vec<Value> = (0..spec.n_layers())
                .map(|l| {
                    let grad_h = if i == 0 {
                        trace.grad_h.as_ref().map(|g| tensor(&g[l]))
                    } else {
                        None
                    };
                    json!({
                        "name": format!("fc{}", l + 1),
                        "activation": spec.activations()[l].name(),
                        "residual": spec.is_residual(l),
                        "z": tensor(&e.forward.z[l]),
                        "h": tensor(&e.forward.h[l]),
                        "delta": e.delta(l).map(tensor),
                        "grad_h": grad_h,
                        "grad_weight": tensor(e.grad_weight(l)),
                        "grad_bias": tensor(e.grad_bias(l)),
                        "norm": crate::trace::norm::norm_view(spec, e, l).map(|v| json!({
                            "kind": v.kind.name(),
                            "mean": tensor(&v.mean),
                            "var": tensor(&v.var),
                            "n_hat": tensor(&v.n_hat),
                            "grad_gamma": tensor(&v.grad_gamma),
                            "grad_beta": tensor(&v.grad_beta),
                        })),
                    })
                })
                .collect();
            json!({
                "engine": e.engine,
                "dtype": e.dtype.name(),
                "loss": number(e.forward.loss),
                "output": tensor(e.output()),
                "grads": grads,
                "layers": layers,
            })
        })
        .collect();
    let flow_layers: Vec<Value> = trace
        .flow
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "grad_norm": number(f.grad_norm),
                "mean_abs_delta": f.mean_abs_delta.map(number),
                "status": f.status.name(),
                "t": f.t,
                "colour": hex(f.rgb),
                "params": f.params.iter().map(|p| json!({
                    "name": p.name,
                    "symbol": p.symbol,
                    "grad_norm": number(p.grad_norm),
                    "t": p.t,
                    "colour": hex(p.rgb),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let agreement: Vec<Value> = trace
        .agreement
        .iter()
        .map(|a| {
            let mut engines = Map::new();
            for (name, v) in &a.verdicts {
                engines.insert(
                    name.clone(),
                    match v {
                        Verdict::Compared(c) => json!({
                            "agree": c.passed(),
                            "max_abs": number(c.max_abs),
                            "max_rel": number(c.max_rel),
                            "tolerance": {"atol": c.tolerance.atol, "rtol": c.tolerance.rtol},
                        }),
                        Verdict::NotExposed(note) => json!({"agree": null, "note": note}),
                    },
                );
            }
            json!({"tensor": a.tensor, "engines": engines})
        })
        .collect();
    json!({
        "network": {
            "layers": spec.widths(),
            "activations": spec.activations().iter().map(|a| a.name()).collect::<Vec<_>>(),
            "loss": spec.loss().name(),
            "residual": spec.residual(),
            "norm": spec.norm().name(),
            "n_params": spec.n_params(),
            "weights_from": r.weights_from,
        },
        "batch": {"x": tensor(&r.batch.x), "y": tensor(&r.batch.y)},
        "params": params,
        "results": results,
        "flow": {
            "scale": {
                "lo": flow::SCALE_LO,
                "hi": flow::SCALE_HI,
                "stops": flow::STOPS.iter().map(|&c| hex(c)).collect::<Vec<_>>(),
            },
            "vanishing_ratio": flow::VANISHING_RATIO,
            "exploding_norm": flow::EXPLODING_NORM,
            "layers": flow_layers,
        },
        "agreement": agreement,
    })
}
