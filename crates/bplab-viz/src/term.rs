//! The terminal rendering of a [`Trace`]: the forward table (`z`, `h` per layer and unit, then
//! `ŷ` and the loss), each normalized layer's `μ`, `σ²`, `n̂`, `∂L/∂γ`, `∂L/∂β`, the backward
//! table (`δ`, `∂L/∂b`, the row of `∂L/∂W`, and each `∂L/∂W`'s sum as the lesson prints it),
//! the gradient-flow strip (`‖∂L/∂W‖` per layer, `‖∂L/∂b‖`, `‖∂L/∂γ‖`, `‖∂L/∂β‖` under it;
//! 24-bit colour on a log10 scale, or plain text), and the agreement of every other engine
//! with the reference.
//! Tables show at most [`MAX_UNITS`] units, [`MAX_EXAMPLES`] examples and [`MAX_INPUTS`]
//! weight columns; `--format json` has every value.

use crate::trace::flow::{self, Status, SCALE_HI, SCALE_LO};
use crate::trace::Trace;
use bplab_core::Tensor;
use bplab_harness::agreement::Verdict;
use bplab_output::table::{sci, Table};

/// Units per layer shown in the tables.
pub const MAX_UNITS: usize = 16;
/// Examples (columns of `z`, `h`, `δ`) shown in the tables.
pub const MAX_EXAMPLES: usize = 4;
/// Columns of `∂L/∂W` shown per row.
pub const MAX_INPUTS: usize = 8;
/// Width of the gradient-flow bar in characters.
const BAR: usize = 28;

/// `--color auto|always|never`: 24-bit colour for the flow strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset.
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour: `Auto` colours a terminal unless `NO_COLOR` is set (and non-empty).
    pub fn enabled(self) -> bool {
        use std::io::IsTerminal;
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        }
    }
}

/// A table cell: 10 significant digits, scientific outside `[1e-4, 1e6)`.
pub fn num(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 || !v.is_finite() {
        format!("{v}")
    } else if (1e-4..1e6).contains(&a) {
        let digits = (9 - a.log10().floor() as i32).max(0) as usize;
        format!("{v:.digits$}")
    } else {
        format!("{v:.9e}")
    }
}

fn cell(t: &Tensor, row: usize, col: usize) -> String {
    let cols = t.shape.last().copied().unwrap_or(1);
    num(t.data[row * cols + col])
}

/// The whole terminal view.
pub fn render(trace: &Trace, colour: bool) -> String {
    let r = &trace.resolved;
    let reference = trace.reference();
    let mut out = format!(
        "network {} · weights {} · batch of {} · {}\n",
        r.network.spec().summary(),
        r.weights_from,
        r.batch.len(),
        reference.dtype
    );
    let others: Vec<&str> = trace.engines[1..]
        .iter()
        .map(|e| e.engine.as_str())
        .collect();
    out.push_str(&format!("values from {}", reference.engine));
    if !others.is_empty() {
        out.push_str(&format!(" (compared with {})", others.join(", ")));
    }
    out.push('\n');
    out.push_str(&forward(trace));
    out.push_str(&norms(trace));
    out.push_str(&backward(trace));
    out.push_str(&strip(trace, colour));
    if !others.is_empty() {
        out.push_str(&agreement(trace));
    }
    out
}

/// The normalized layers: `μ`, `σ²`, `n̂` of the first examples, `∂L/∂γ`, `∂L/∂β` per unit
/// (the first [`MAX_UNITS`] values of each).
fn norms(trace: &Trace) -> String {
    let e = trace.reference();
    let spec = trace.resolved.network.spec();
    let mut s = String::new();
    for l in 0..spec.n_layers() {
        let Some(v) = crate::trace::norm::norm_view(spec, e, l) else {
            continue;
        };
        let list = |t: &Tensor| {
            let mut v: Vec<String> = t.data.iter().take(MAX_UNITS).map(|&x| num(x)).collect();
            if t.data.len() > MAX_UNITS {
                v.push(format!("… {} more", t.data.len() - MAX_UNITS));
            }
            v.join(" ")
        };
        let over = match v.kind {
            bplab_core::Norm::Batch => "per unit, over the batch",
            _ => "per example, over the units",
        };
        s.push_str(&format!(
            "\nNORM fc{} ({} norm, {over})  n = γ ⊙ (z − μ)/√(σ² + ε) + β\nμ   {}\nσ²  {}\n",
            l + 1,
            v.kind,
            list(&v.mean),
            list(&v.var)
        ));
        let n = v.n_hat.shape[1];
        for b in 0..examples(v.n_hat.shape[0]) {
            let row = Tensor::new(vec![n], v.n_hat.data[b * n..(b + 1) * n].to_vec());
            if let Ok(row) = row {
                s.push_str(&format!("n̂[ex {b}]  {}\n", list(&row)));
            }
        }
        s.push_str(&format!(
            "∂L/∂γ  {}\n∂L/∂β  {}\n",
            list(&v.grad_gamma),
            list(&v.grad_beta)
        ));
    }
    s
}

fn examples(b: usize) -> usize {
    b.min(MAX_EXAMPLES)
}

fn forward(trace: &Trace) -> String {
    let e = trace.reference();
    let spec = trace.resolved.network.spec();
    let nb = examples(trace.resolved.batch.len());
    let mut header = vec!["layer".to_string(), "act".into(), "unit".into()];
    for b in 0..nb {
        header.push(format!("z[ex {b}]"));
        header.push(format!("h[ex {b}]"));
    }
    let hdr: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = Table::new(&hdr);
    for l in 0..spec.n_layers() {
        let (_, n_out) = spec.layer_dims(l);
        let act = format!(
            "{}{}",
            spec.activations()[l],
            if spec.is_residual(l) { " +res" } else { "" }
        );
        for u in 0..n_out.min(MAX_UNITS) {
            let mut row = vec![format!("fc{}", l + 1), act.clone(), u.to_string()];
            for b in 0..nb {
                row.push(cell(&e.forward.z[l], b, u));
                row.push(cell(&e.forward.h[l], b, u));
            }
            t.row(row);
        }
        if n_out > MAX_UNITS {
            t.row(vec![
                String::new(),
                String::new(),
                format!("… {} more", n_out - MAX_UNITS),
            ]);
        }
    }
    let rule = if spec.norm() == bplab_core::Norm::None {
        "h = act(z)"
    } else {
        "h = act(γ ⊙ n̂ + β) on hidden layers (NORM below), act(z) on the output"
    };
    let mut s = format!("\nFORWARD  z = W h_prev + b, {rule}\n{}", t.render());
    let y = e.output();
    for b in 0..trace.resolved.batch.len().min(MAX_EXAMPLES) {
        let cols = y.shape[1];
        let row: Vec<String> = y.data[b * cols..(b + 1) * cols]
            .iter()
            .map(|v| format!("{v}"))
            .collect();
        s.push_str(&format!("ŷ[ex {b}] = [{}]\n", row.join(", ")));
    }
    s.push_str(&format!("loss = {}\n", e.forward.loss));
    s
}

fn backward(trace: &Trace) -> String {
    let e = trace.reference();
    let spec = trace.resolved.network.spec();
    let nb = examples(trace.resolved.batch.len());
    let max_in = (0..spec.n_layers())
        .map(|l| spec.layer_dims(l).0)
        .max()
        .unwrap_or(1);
    let mut header = vec!["layer".to_string(), "unit".into()];
    for b in 0..nb {
        header.push(format!("δ[ex {b}]"));
    }
    header.push("∂L/∂b".into());
    for i in 0..max_in.min(MAX_INPUTS) {
        header.push(format!("∂L/∂W[u,{i}]"));
    }
    let hdr: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = Table::new(&hdr);
    let mut sums = Vec::new();
    for l in (0..spec.n_layers()).rev() {
        let (n_in, n_out) = spec.layer_dims(l);
        let gw = e.grad_weight(l);
        for u in 0..n_out.min(MAX_UNITS) {
            let mut row = vec![format!("fc{}", l + 1), u.to_string()];
            for b in 0..nb {
                row.push(match e.delta(l) {
                    Some(d) => cell(d, b, u),
                    None => format!("({} exposes no δ)", e.engine),
                });
            }
            row.push(num(e.grad_bias(l).data[u]));
            row.extend((0..n_in.min(MAX_INPUTS)).map(|i| num(gw.data[u * n_in + i])));
            if n_in > MAX_INPUTS {
                row.push(format!("… {} more", n_in - MAX_INPUTS));
            }
            t.row(row);
        }
        if n_out > MAX_UNITS {
            t.row(vec![String::new(), format!("… {} more", n_out - MAX_UNITS)]);
        }
        sums.push(format!("sum ∂L/∂W{} = {}", l + 1, gw.sum()));
    }
    format!(
        "\nBACKWARD  δ = ∂L/∂z, ∂L/∂W = δᵀ h_prev, ∂L/∂b = Σ_batch δ\n{}{}\n",
        t.render(),
        sums.join("   ")
    )
}

/// The gradient-flow strip: one bar per layer whose length and colour follow
/// `log10 ‖∂L/∂W_l‖` on the fixed scale, with the vanishing/exploding label, and under it one
/// bar per other parameter of the layer (`b`, and `γ`, `β` of a normalized layer).
pub fn strip(trace: &Trace, colour: bool) -> String {
    let mut s = format!(
        "\nGRADIENT FLOW  ‖∂L/∂W_l‖ (and ‖∂L/∂b‖, ‖∂L/∂γ‖, ‖∂L/∂β‖ under it) on a log10 scale 1e{} … 1e{}; vanishing < {:e} of the largest ‖∂L/∂W‖, exploding > {:e}\n",
        SCALE_LO,
        SCALE_HI,
        flow::VANISHING_RATIO,
        flow::EXPLODING_NORM
    );
    let bar = |t: f64, rgb: (u8, u8, u8)| {
        let filled = (t * BAR as f64).round() as usize;
        if colour {
            let (r, g, b) = rgb;
            format!(
                "\x1b[48;2;{r};{g};{b}m{}\x1b[0m{}",
                " ".repeat(filled),
                "·".repeat(BAR - filled)
            )
        } else {
            format!("{}{}", "#".repeat(filled), ".".repeat(BAR - filled))
        }
    };
    for f in &trace.flow {
        let delta = f
            .mean_abs_delta
            .map(|d| format!("mean|δ| {}", sci(d)))
            .unwrap_or_else(|| "mean|δ| (no δ)".into());
        let label = match f.status {
            Status::Ok => String::new(),
            other => format!("  << {}", other.name().to_uppercase()),
        };
        s.push_str(&format!(
            "{:<5} |{}| ‖∂L/∂W‖ {:<9} {delta}{label}\n",
            f.name,
            bar(f.t, f.rgb),
            sci(f.grad_norm)
        ));
        for p in f.params.iter().filter(|p| p.symbol != "W") {
            s.push_str(&format!(
                "{:>5} |{}| ‖∂L/∂{}‖ {:<9} {}\n",
                p.symbol,
                bar(p.t, p.rgb),
                p.symbol,
                sci(p.grad_norm),
                p.name
            ));
        }
    }
    if colour {
        let legend: String = (0..BAR)
            .map(|i| {
                let (r, g, b) = flow::colour(i as f64 / (BAR - 1) as f64);
                format!("\x1b[48;2;{r};{g};{b}m \x1b[0m")
            })
            .collect();
        s.push_str(&format!("scale  {legend}  1e{SCALE_LO} → 1e{SCALE_HI}\n"));
    }
    s
}

fn agreement(trace: &Trace) -> String {
    let mut header = vec!["tensor".to_string()];
    header.extend(trace.engines[1..].iter().map(|e| e.engine.clone()));
    let hdr: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = Table::new(&hdr);
    let mut tols: Vec<(String, String)> = Vec::new();
    for a in &trace.agreement {
        let mut row = vec![a.tensor.clone()];
        for (engine, v) in &a.verdicts {
            row.push(match v {
                Verdict::Compared(c) => {
                    if !tols.iter().any(|(e, _)| e == engine) {
                        tols.push((engine.clone(), c.tolerance.to_string()));
                    }
                    let mark = if c.passed() { "✓" } else { "✗" };
                    format!("{mark} max|Δ| {}", sci(c.max_abs))
                }
                Verdict::NotExposed(why) => format!("— {why}"),
            });
        }
        t.row(row);
    }
    let all = trace.agreement.iter().all(|a| a.agreed());
    let tols: Vec<String> = tols.iter().map(|(e, t)| format!("  {e}: {t}\n")).collect();
    format!(
        "\nAGREEMENT with {} ({}; ✓ = every element within the engine's tolerance)\n{}{}",
        trace.reference().engine,
        if all { "all agree" } else { "DISAGREEMENT" },
        t.render(),
        tols.concat()
    )
}
