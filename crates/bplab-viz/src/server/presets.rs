//! The served page's one-click presets, as complete `POST /api/trace` requests: the lesson's
//! worked example (`seed-example`, with its exact weights), the `assignment` network, a deep
//! sigmoid network whose first layers' gradients vanish, a naive-init (`normal:1`) network
//! whose gradients explode, a residual network, and the deep sigmoid network again with
//! residual connections and LayerNorm, whose first layer's gradient no longer vanishes.

use bplab_core::presets::Preset;
use bplab_core::{json, Activation};
use serde_json::{json, Map, Value};

/// `{"name", "title", "request"}` for every preset, in the page's order.
pub fn all() -> Value {
    Value::Array(vec![
        from_contract(
            Preset::SeedExample,
            "The lesson's worked example: 2-3-1 sigmoid, mse",
        ),
        from_contract(
            Preset::Assignment,
            "The assignment network: 4-5-3-2 relu, tanh, softmax",
        ),
        entry(
            "deep-sigmoid",
            "A deep sigmoid net: the first layers' gradients vanish",
            json!({
                "layers": widths(4, 16, 14, 1),
                "activations": repeat("sigmoid", 15),
                "loss": "mse", "residual": false, "init": "xavier-normal", "seed": 7,
                "input": [[0.5, -1.0, 1.5, 2.0]], "target": [[1.0]],
            }),
        ),
        entry(
            "naive-init",
            "Naive init normal:1 on a deep ReLU net: gradients explode",
            json!({
                "layers": widths(8, 64, 6, 4),
                "activations": with_output(repeat("relu", 6), "identity"),
                "loss": "mse", "residual": false, "init": "normal:1", "seed": 1,
                "input": [[1.0, -0.5, 0.3, 0.8, -1.2, 0.1, 0.6, -0.9]],
                "target": [[0.0, 1.0, 0.0, -1.0]],
            }),
        ),
        entry(
            "residual",
            "A residual tanh net: h = h_prev + tanh(W h_prev + b)",
            json!({
                "layers": widths(4, 16, 6, 2),
                "activations": with_output(repeat("tanh", 6), "softmax"),
                "loss": "cross-entropy", "residual": true, "init": "xavier-normal", "seed": 3,
                "input": [[0.5, -1.2, 0.8, 2.0]], "target": [[0.0, 1.0]],
            }),
        ),
        entry(
            "deep-sigmoid-layernorm",
            "The deep sigmoid net with residual connections and LayerNorm: the gradient reaches fc1",
            json!({
                "layers": widths(4, 16, 14, 1),
                "activations": repeat("sigmoid", 15),
                "loss": "mse", "residual": true, "norm": "layer", "init": "xavier-normal",
                "seed": 7, "input": [[0.5, -1.0, 1.5, 2.0]], "target": [[1.0]],
            }),
        ),
    ])
}

/// `[n_in, hidden × n_hidden, n_out]`.
fn widths(n_in: usize, hidden: usize, n_hidden: usize, n_out: usize) -> Vec<usize> {
    let mut w = vec![n_in];
    w.extend(std::iter::repeat_n(hidden, n_hidden));
    w.push(n_out);
    w
}

fn repeat(a: &str, n: usize) -> Vec<String> {
    vec![a.to_string(); n]
}

fn with_output(mut v: Vec<String>, last: &str) -> Vec<String> {
    v.push(last.to_string());
    v
}

fn entry(name: &str, title: &str, request: Value) -> Value {
    json!({"name": name, "title": title, "request": request})
}

/// A preset of the command-line contract with its example and (if any) fixed weights.
fn from_contract(p: Preset, title: &str) -> Value {
    let (w, acts, loss) = p.parts();
    let batch = p.batch();
    let rows = |t: &bplab_core::Tensor| -> Vec<Vec<f64>> {
        t.data.chunks(t.shape[1]).map(<[f64]>::to_vec).collect()
    };
    let (init, seed) = p.default_init();
    let mut req = json!({
        "layers": w,
        "activations": acts.iter().map(|a: &Activation| a.name()).collect::<Vec<_>>(),
        "loss": loss.name(), "residual": false, "init": init.to_string(), "seed": seed,
        "input": rows(&batch.x), "target": rows(&batch.y),
    });
    if let Some(params) = p.fixed_params() {
        let mut m = Map::new();
        for (name, t) in params.iter() {
            m.insert(name.to_string(), json::tensor(t));
        }
        req["params"] = Value::Object(m);
    }
    entry(p.name(), title, req)
}
