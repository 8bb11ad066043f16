//! PyTorch's column, read from `tests/fixtures/semantics/pytorch.json` (compiled in), which
//! `tools/reference/semantics.py` recorded with the same `x`, `w` and losses as the other
//! probes: the error texts PyTorch raised and the gradients it returned.

use super::cell::{worst_ulps, Cell, X};
use bplab_core::{Error, Result};
use serde_json::Value;

const FIXTURE: &str = include_str!("../../../../tests/fixtures/semantics/pytorch.json");

fn field<'a>(doc: &'a Value, path: &[&str]) -> Result<&'a Value> {
    path.iter()
        .try_fold(doc, |v, k| v.get(k))
        .ok_or_else(|| Error::Parse(format!("semantics fixture: no {}", path.join("."))))
}

fn floats(doc: &Value, path: &[&str]) -> Result<Vec<f64>> {
    field(doc, path)?
        .as_array()
        .and_then(|a| a.iter().map(Value::as_f64).collect())
        .ok_or_else(|| {
            Error::Parse(format!(
                "semantics fixture: {} is not numbers",
                path.join(".")
            ))
        })
}

fn text(doc: &Value, path: &[&str]) -> Result<String> {
    Ok(field(doc, path)?.as_str().unwrap_or_default().to_string())
}

fn flag(doc: &Value, path: &[&str]) -> Result<bool> {
    Ok(field(doc, path)?.as_bool().unwrap_or(false))
}

fn add(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

/// The PyTorch version recorded and its cells, in [`Scenario::ALL`](super::Scenario::ALL)
/// order.
pub(super) fn cells() -> Result<(String, Vec<Cell>)> {
    let doc: Value = serde_json::from_str(FIXTURE)
        .map_err(|e| Error::Parse(format!("semantics fixture: {e}")))?;
    let version = text(&doc, &["torch_version"])?;

    let once = floats(&doc, &["backward_twice", "grad_once"])?;
    let twice = floats(&doc, &["backward_twice", "grad_twice_retained"])?;
    let err = text(&doc, &["backward_twice", "second_error"])?;
    let backward_twice = Cell::new(
        "error (\"backward through the graph a second time\"); with retain_graph: 2× (accumulates)",
        err.starts_with("Trying to backward through the graph a second time")
            && twice == add(&once, &once),
    );

    let g1 = floats(&doc, &["two_losses", "grad_first"])?;
    let g2 = floats(&doc, &["two_losses", "grad_second_alone"])?;
    let both = floats(&doc, &["two_losses", "grad_after_both"])?;
    let two = Cell::new(
        "accumulated in .grad: g₁ + g₂",
        worst_ulps(&both, &add(&g1, &g2)) <= 1.0,
    );

    let full = floats(&doc, &["micro_batch", "full"])?;
    let acc = floats(&doc, &["micro_batch", "accumulated"])?;
    let ulps = worst_ulps(&acc, &full);
    let micro = Cell::new(
        format!("within {ulps:.2} ulp (B = 4, 2 micro-batches, backward accumulates)"),
        ulps <= 4.0,
    );

    let zero = Cell::new(
        "optimizer.zero_grad() (sets .grad to None); forgotten: the next step adds",
        flag(&doc, &["zero_grad", "grad_is_none_after_zero_grad"])?,
    );

    let err = text(&doc, &["in_place", "error"])?;
    let in_place = Cell::new(
        "error: version counter (\"modified by an inplace operation\")",
        err.contains("modified by an inplace operation"),
    );

    let detach = Cell::new(
        "x.detach(): x exactly",
        floats(&doc, &["detach", "grad"])? == X.to_vec(),
    );

    let err = text(&doc, &["retain_graph", "second_error"])?;
    let retain = Cell::new(
        "error unless the first backward has retain_graph=True",
        err.starts_with("Trying to backward through the graph a second time"),
    );

    let gg = floats(&doc, &["double_backward", "grad_of_grad_sum"])?;
    let six: Vec<f64> = X.iter().map(|v| 6.0 * v).collect();
    let double = Cell::new("create_graph=True: 6x (right)", gg == six);

    let kept = floats(&doc, &["non_leaf", "retained_grad"])?;
    let none = flag(&doc, &["non_leaf", "grad_is_none_without_retain_grad"])?;
    let non_leaf = Cell::new(
        "None (a warning); z.retain_grad() keeps 2z",
        none && kept == six,
    );
    Ok((
        version,
        vec![
            backward_twice,
            two,
            micro,
            zero,
            in_place,
            detach,
            retain,
            double,
            non_leaf,
        ],
    ))
}
