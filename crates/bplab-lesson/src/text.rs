//! The walkthrough as text, in the lesson's order: network, forward, backward as local
//! gradient × upstream gradient, the lesson's printed sums, the SGD step, the cross-check of
//! every element, and the practice tasks with their commands.

use crate::config::Lang;
use crate::measure::{Column, Pass};
use crate::practice::{task2_command, TASK1_X, TASK1_Y};
use crate::walkthrough::Lesson;
use bplab_core::presets::{SEED_EXAMPLE_W1, SEED_EXAMPLE_W2};
use bplab_output::table::{sci, Table};
use std::fmt::Write;

/// A number as the walkthrough prints it.
fn n(v: f64) -> String {
    format!("{v:.6}")
}

fn v(xs: &[f64]) -> String {
    let cells: Vec<String> = xs.iter().map(|&x| n(x)).collect();
    format!("[{}]", cells.join(", "))
}

/// A row-major `(rows, cols)` matrix.
fn m(xs: &[f64], cols: usize) -> String {
    let rows: Vec<String> = xs.chunks(cols).map(v).collect();
    format!("[{}]", rows.join(", "))
}

fn act(p: &Pass) -> (&'static str, &'static str) {
    match p.hidden {
        bplab_core::Activation::Relu => ("relu", "1[z₁ > 0]"),
        _ => ("σ", "h(1 − h)"),
    }
}

/// `  lhs = formula … = value`, the formulas in one column.
fn line(out: &mut String, lhs: &str, formula: &str, value: String) {
    let _ = writeln!(out, "  {lhs:<6} = {formula:<17} = {value}");
}

/// Forward and backward of one pass, step by step.
pub fn steps(out: &mut String, p: &Pass, lang: Lang) {
    let (f, df) = act(p);
    let _ = writeln!(out, "{}", lang.pick("Forward", "Forward pass"));
    line(out, "z₁", "W₁x + b₁", v(&p.z1));
    line(out, "h", &format!("{f}(z₁)"), v(&p.h));
    line(out, "z₂", "W₂h + b₂", n(p.z2));
    line(out, "ŷ", "σ(z₂)", n(p.y_hat));
    line(out, "L", "½(ŷ − y)²", n(p.loss));
    let _ = writeln!(
        out,
        "{}",
        lang.pick(
            "Backward (each step: local gradient × upstream gradient)",
            "Backward (chain rule step-by-step: প্রতিটি ধাপে local gradient × upstream gradient)"
        )
    );
    line(out, "∂L/∂ŷ", "ŷ − y", n(p.dl_dyhat));
    line(out, "∂ŷ/∂z₂", "σ'(z₂) = ŷ(1 − ŷ)", n(p.dyhat_dz2));
    let product = format!("{} × {} = {}", n(p.dyhat_dz2), n(p.dl_dyhat), n(p.delta2));
    line(out, "δ₂", "∂ŷ/∂z₂ × ∂L/∂ŷ", product);
    line(out, "∂L/∂W₂", "δ₂ hᵀ", m(&p.dw2, p.dw2.len()));
    line(out, "∂L/∂b₂", "δ₂", n(p.db2));
    line(out, "∂L/∂h", "W₂ᵀ δ₂", v(&p.dl_dh));
    line(out, "∂h/∂z₁", &format!("{f}'(z₁) = {df}"), v(&p.dh_dz1));
    line(out, "δ₁", "∂h/∂z₁ ⊙ ∂L/∂h", v(&p.delta1));
    line(out, "∂L/∂W₁", "δ₁ xᵀ", m(&p.dw1, 2));
    line(out, "∂L/∂b₁", "δ₁", v(&p.db1));
    let _ = writeln!(
        out,
        "  sum dL/dW2 = {}   sum dL/dW1 = {}",
        n(p.sum_dw2()),
        n(p.sum_dw1())
    );
}

/// `name vs reference: max |a−b| = … ≤ atol + rtol·|b| (atol …, rtol …): ok`.
fn verdict(c: &Column, reference: &str) -> String {
    let t = c.tolerance();
    format!(
        "{} vs {reference}: max |a−b| = {}, rule |a−b| ≤ atol + rtol·|b| (atol {}, rtol {}): {}",
        c.name,
        sci(c.max_abs()),
        sci(t.atol),
        sci(t.rtol),
        if c.passed() { "ok" } else { "FAILED" }
    ) + &if c.conventions.is_empty() {
        String::new()
    } else {
        format!(
            " (the manual engine computing with {}, see docs/frameworks.md)",
            c.conventions.join(", ")
        )
    }
}

/// Every element of every gradient: manual, then each column.
pub fn side_by_side(out: &mut String, manual: &Pass, cols: &[Column]) {
    let mut header = vec!["tensor", "manual"];
    header.extend(cols.iter().map(|c| c.name.as_str()));
    let mut t = Table::new(&header);
    let mut row = vec!["loss".to_string(), format!("{:.12}", manual.grads.loss)];
    row.extend(cols.iter().map(|c| format!("{:.12}", c.grads.loss)));
    t.row(row);
    for (name, g) in manual.grads.params.iter() {
        for (i, &a) in g.data.iter().enumerate() {
            let idx: Vec<String> = g.index_of(i).iter().map(usize::to_string).collect();
            let mut row = vec![format!("{name}[{}]", idx.join(",")), format!("{a:.12}")];
            row.extend(cols.iter().map(|c| {
                c.grads
                    .params
                    .get(name)
                    .and_then(|t| t.data.get(i))
                    .map_or("-".into(), |b| format!("{b:.12}"))
            }));
            t.row(row);
        }
    }
    out.push_str(&t.render());
    for c in cols {
        let reference = if c.name == "finite differences" {
            "manual (analytic)"
        } else {
            "manual"
        };
        let _ = writeln!(out, "  {}", verdict(c, reference));
    }
}

/// The whole walkthrough, in English.
pub fn render(l: &Lesson) -> String {
    render_in(l, Lang::En)
}

/// The whole walkthrough with its prose in `lang`.
pub fn render_in(l: &Lesson, lang: Lang) -> String {
    let w = &l.worked;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} (preset seed-example): 2 → 3 → 1, sigmoid, sigmoid",
        lang.pick(
            "The lesson's worked example",
            "একটি Simple Example — Step-by-Step"
        )
    );
    let _ = writeln!(out, "x = {}, y = {}, b₁ = 0, b₂ = 0", v(&w.x), w.y);
    let _ = writeln!(out, "W₁ = {}", m(&SEED_EXAMPLE_W1, 2));
    let _ = writeln!(out, "W₂ = {}", m(&SEED_EXAMPLE_W2, 3));
    let _ = writeln!(out, "{}", lang.pick(
        "Loss: the lesson's L = ½(ŷ − y)²; the engine's mse is ½·mean over the batch of Σ(ŷ − y)², the same number for one example with one output.",
        "Loss: lesson-এর L = ½(ŷ − y)² (MSE loss); engine-এর mse = batch-এর উপর Σ(ŷ − y)²-এর ½·mean — একটি example ও একটি output-এ একই সংখ্যা।"));
    let _ = writeln!(
        out,
        "{}\n",
        lang.pick(
            "Every number below is computed by the manual engine in f64.",
            "নিচের প্রতিটি সংখ্যা manual engine f64-এ compute করেছে।"
        )
    );
    steps(&mut out, w, lang);
    let _ = writeln!(
        out,
        "\n{}",
        lang.pick("As the lesson prints them", "Lesson যেভাবে print করে")
    );
    let _ = writeln!(out, "  y_hat = {:.4}, loss = {:.4}", w.y_hat, w.loss);
    let _ = writeln!(out, "  dL/dW2 sum = {:.4}", w.sum_dw2());
    let _ = writeln!(out, "  dL/dW1 sum = {:.4}", w.sum_dw1());
    let u = &l.update;
    let _ = writeln!(
        out,
        "\n{}, lr = {}: θ ← θ − lr·∂L/∂θ",
        lang.pick("SGD step", "Update weights (SGD)"),
        u.lr
    );
    for (name, vals) in &u.params {
        let _ = writeln!(out, "  {name:<10} = {}", v(vals));
    }
    let _ = writeln!(
        out,
        "  new loss   = {} ({} {})",
        n(u.new_loss),
        lang.pick("was", "আগে"),
        n(w.loss)
    );
    let _ = writeln!(out, "\n{}", lang.pick(
        "Cross-check: every element, manual beside every selected engine (f64) and central finite differences",
        "Gradient checking: প্রতিটি element, manual-এর পাশে প্রতিটি selected engine (f64) ও central finite differences"));
    side_by_side(&mut out, w, &l.columns);
    practice(&mut out, l, lang);
    let _ = writeln!(
        out,
        "\n{}",
        if l.passed() {
            lang.pick("all checks passed", "সব check pass করেছে")
        } else {
            lang.pick("a check FAILED", "একটি check FAILED")
        }
    );
    out
}

fn practice(out: &mut String, l: &Lesson, lang: Lang) {
    let p = &l.practice;
    let t1 = &p.task1;
    let task = lang.pick("Practice", "Practice Task");
    let _ = writeln!(out, "\n{task} 1: x = {}, y = {}", v(&TASK1_X), TASK1_Y);
    let _ = writeln!(
        out,
        "  command: bplab grads --preset seed-example --input=-1,1 --target 0.8 --engine manual"
    );
    let _ = writeln!(out, "  ŷ = {}, L = {}", n(t1.y_hat), n(t1.loss));
    let _ = writeln!(
        out,
        "  ∂L/∂W₁ = {}   ∂L/∂W₂ = {}",
        m(&t1.dw1, 2),
        m(&t1.dw2, 3)
    );
    let _ = writeln!(
        out,
        "  sum dL/dW2 = {}   sum dL/dW1 = {}",
        n(t1.sum_dw2()),
        t1.sum_dw1()
    );
    let _ = writeln!(out, "  {}", lang.pick(
        "sum dL/dW1 is exactly 0: row j of δ₁ xᵀ is δ₁ⱼ·[−1, 1], and the inputs sum to zero. The lesson's",
        "sum dL/dW1 ঠিক 0: δ₁ xᵀ-এর row j = δ₁ⱼ·[−1, 1], আর input-এর যোগফল শূন্য। Lesson-এর"));
    let _ = writeln!(
        out,
        "  {}",
        lang.pick(
            "\"compare the sums\" check cannot see W₁ here; compare every element instead:",
            "\"sum তুলনা\" check এখানে W₁ দেখতে পায় না; বরং প্রতিটি element তুলনা করুন:"
        )
    );
    let _ = writeln!(out, "  {}", verdict(&p.task1_fd, "manual (analytic)"));
    let _ = writeln!(
        out,
        "\n{task} 2: {}",
        lang.pick(
            "hidden layer 3 → 5, weights init normal:0.5, seed 42, x = [1, 2], y = 0.5",
            "Hidden layer 3 → 5 করুন; weight init normal:0.5, seed 42, x = [1, 2], y = 0.5"
        )
    );
    let _ = writeln!(out, "  command: {}", task2_command());
    let _ = writeln!(out, "  {}", lang.pick(
        "the weights as safetensors (fc1.weight, fc1.bias, fc2.weight, fc2.bias; f64) for NumPy: bplab lesson --params-out FILE",
        "NumPy-তে reproduce করতে weights safetensors-এ (fc1.weight, fc1.bias, fc2.weight, fc2.bias; f64): bplab lesson --params-out FILE"));
    let params = p.task2_net.params();
    let _ = writeln!(out, "  W₁ = {}", m(&params.weight(0).data, 2));
    let _ = writeln!(out, "  W₂ = {}", m(&params.weight(1).data, 5));
    let _ = writeln!(out, "  b₁ = b₂ = 0");
    steps(out, &p.task2, lang);
    let _ = writeln!(out, "  {}", verdict(&p.task2_fd, "manual (analytic)"));
    let fd = l.columns.last();
    let _ = writeln!(
        out,
        "\n{task} 3: {}",
        lang.pick(
            "the gradient check, central differences vs analytic, every element",
            "Gradient check: numerical derivative (central difference) বনাম analytic, প্রতিটি element"
        )
    );
    let _ = writeln!(
        out,
        "  command: bplab check --preset seed-example --engine manual --inputs"
    );
    let _ = writeln!(
        out,
        "  {}",
        lang.pick(
            "the \"finite differences\" column of the cross-check above:",
            "উপরের cross-check-এর \"finite differences\" column:"
        )
    );
    if let Some(c) = fd {
        for cmp in &c.comparisons {
            let _ = writeln!(
                out,
                "  {:<10} {} elements, max |a−b| = {}: {}",
                cmp.name,
                cmp.checked,
                sci(cmp.max_abs),
                if cmp.passed() { "ok" } else { "FAILED" }
            );
        }
    }
    let t4 = &p.task4;
    let _ = writeln!(
        out,
        "\n{task} 4: {}",
        lang.pick(
            "ReLU in the hidden layer (same weights, x = [1, 2], y = 0.5)",
            "ReLU দিয়ে same network (একই weights, x = [1, 2], y = 0.5)"
        )
    );
    let _ = writeln!(out, "  command: bplab grads --preset seed-example --activations relu,sigmoid --input 1,2 --target 0.5 --engine manual");
    let _ = writeln!(out, "  z₁ = {}", v(&t4.z1));
    let _ = writeln!(
        out,
        "  ∂L/∂W₁ = {}   ∂L/∂b₁ = {}",
        m(&t4.dw1, 2),
        v(&t4.db1)
    );
    let dead: Vec<String> = p
        .task4_dead
        .iter()
        .map(|j| format!("unit {j} (z₁ = {})", n(t4.z1[*j])))
        .collect();
    let _ = writeln!(
        out,
        "  {} {}",
        lang.pick("exactly zero gradient:", "ঠিক শূন্য gradient:"),
        dead.join(", ")
    );
    let _ = writeln!(out, "  {}", lang.pick(
        "why: relu'(z) = 0 for z ≤ 0, so δ₁ⱼ = ∂L/∂hⱼ × 0 = 0 and its row of δ₁ xᵀ and its bias get nothing;",
        "কেন: z ≤ 0 হলে relu'(z) = 0, তাই δ₁ⱼ = ∂L/∂hⱼ × 0 = 0 — δ₁ xᵀ-এর row ও bias কিছুই পায় না;"));
    let _ = writeln!(out, "  {}", lang.pick(
        "the unit's output is 0 whatever its weights, so they do not move (a \"dead\" unit for this input).",
        "weights যাই হোক unit-এর output 0, তাই weights নড়ে না (এই input-এ একটি \"dead\" unit)।"));
    let _ = writeln!(
        out,
        "  {} {}",
        lang.pick(
            "zeros exactly where z₁ ≤ 0:",
            "ঠিক যেখানে z₁ ≤ 0 সেখানেই শূন্য:"
        ),
        match (p.task4_exact_zero, lang) {
            (true, Lang::En) => "yes",
            (false, Lang::En) => "NO",
            (true, Lang::Bn) => "হ্যাঁ",
            (false, Lang::Bn) => "না",
        }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ASCII numbers of a text, in order (formulas' digits included).
    fn numbers(s: &str) -> Vec<String> {
        s.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|t| t.chars().any(|c| c.is_ascii_digit()))
            .map(|t| t.trim_end_matches('.').to_string()) // a sentence's full stop
            .collect()
    }

    #[test]
    fn bengali_changes_the_prose_not_the_numbers() {
        let l = Lesson::run("manual").unwrap();
        let (en, bn) = (render_in(&l, Lang::En), render_in(&l, Lang::Bn));
        assert_eq!(en, render(&l));
        assert_ne!(en, bn);
        assert!(bn.contains("একটি Simple Example — Step-by-Step"), "{bn}");
        assert!(bn.contains("সব check pass করেছে"), "{bn}");
        assert_eq!(en.lines().count(), bn.lines().count());
        assert_eq!(numbers(&en), numbers(&bn));
    }
}
