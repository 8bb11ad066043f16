//! The lesson's outputs: the walkthrough as text ([`crate::text`]) or JSON ([`to_json`]),
//! the command's [`run`] (stdout and exit status: 0, or 1 when a comparison failed), and
//! [`LessonSection`], the walkthrough as the report's first section.

use crate::config::LessonArgs;
use crate::measure::{Column, Pass};
use crate::walkthrough::Lesson;
use bplab_core::json::number;
use bplab_core::Result;
use bplab_output::report::{Context, ReportSection, Section};
use bplab_output::table::Format;
use serde_json::{json, Value};

fn numbers(xs: &[f64]) -> Value {
    Value::Array(xs.iter().map(|&x| number(x)).collect())
}

/// One pass: forward values, backward steps and the lesson's sums.
pub fn pass_json(p: &Pass) -> Value {
    json!({
        "x": numbers(&p.x),
        "y": number(p.y),
        "hidden_activation": p.hidden.name(),
        "forward": {
            "z1": numbers(&p.z1),
            "h": numbers(&p.h),
            "z2": number(p.z2),
            "y_hat": number(p.y_hat),
            "loss": number(p.loss),
        },
        "backward": {
            "dL_dyhat": number(p.dl_dyhat),
            "dyhat_dz2": number(p.dyhat_dz2),
            "delta2": number(p.delta2),
            "dL_dW2": numbers(&p.dw2),
            "dL_db2": number(p.db2),
            "dL_dh": numbers(&p.dl_dh),
            "dh_dz1": numbers(&p.dh_dz1),
            "delta1": numbers(&p.delta1),
            "dL_dW1": numbers(&p.dw1),
            "dL_db1": numbers(&p.db1),
        },
        "sum_dW2": number(p.sum_dw2()),
        "sum_dW1": number(p.sum_dw1()),
    })
}

fn column_json(c: &Column) -> Value {
    let t = c.tolerance();
    json!({
        "name": c.name,
        "max_abs": number(c.max_abs()),
        "atol": number(t.atol),
        "rtol": number(t.rtol),
        "passed": c.passed(),
    })
}

/// The whole walkthrough as one JSON document.
pub fn to_json(l: &Lesson) -> Value {
    let p = &l.practice;
    let params = p.task2_net.params();
    json!({
        "preset": "seed-example",
        "loss_convention": "L = 0.5 (y_hat - y)^2 (the engine's mse: 0.5 * batch mean of the sum over outputs; equal here)",
        "worked_example": pass_json(&l.worked),
        "update": {
            "lr": number(l.update.lr),
            "params": l.update.params.iter().map(|(n, v)| (n.clone(), numbers(v))).collect::<serde_json::Map<_, _>>(),
            "new_loss": number(l.update.new_loss),
        },
        "cross_check": l.columns.iter().map(column_json).collect::<Vec<_>>(),
        "practice": {
            "task1": { "pass": pass_json(&p.task1), "finite_differences": column_json(&p.task1_fd) },
            "task2": {
                "command": crate::practice::task2_command(),
                "fc1.weight": numbers(&params.weight(0).data),
                "fc2.weight": numbers(&params.weight(1).data),
                "pass": pass_json(&p.task2),
                "finite_differences": column_json(&p.task2_fd),
            },
            "task3": l.columns.last().map(column_json),
            "task4": {
                "pass": pass_json(&p.task4),
                "zero_gradient_units": p.task4_dead,
                "zeros_exactly_where_z1_nonpositive": p.task4_exact_zero,
            },
        },
        "passed": l.passed(),
    })
}

/// `bplab lesson`: stdout and the exit status.
pub fn run(a: LessonArgs) -> Result<(String, u8)> {
    let lesson = Lesson::run(a.engine.as_str())?;
    let code = if lesson.passed() { 0 } else { 1 };
    let mut out = match a.format {
        Format::Json => format!("{}\n", to_json(&lesson)),
        Format::Table => crate::text::render_in(&lesson, a.lang),
    };
    if let Some(path) = &a.params_out {
        let net = &lesson.practice.task2_net;
        net.params().save(path, bplab_core::DType::F64)?;
        if a.format == Format::Table {
            out.push_str(&format!(
                "wrote practice task 2's weights to {} (np: safetensors.numpy.load_file)\n",
                path.display()
            ));
        }
    }
    Ok((out, code))
}

/// The report's section: the walkthrough on the report's engines.
pub struct LessonSection;

impl ReportSection for LessonSection {
    fn name(&self) -> &'static str {
        "lesson"
    }

    fn build(&self, ctx: &Context) -> Result<Section> {
        let lesson = Lesson::run(&ctx.engine)?;
        let text = crate::text::render(&lesson);
        let path = ctx.data_dir("lesson").join("lesson.json");
        std::fs::create_dir_all(ctx.data_dir("lesson"))
            .and_then(|_| std::fs::write(&path, format!("{:#}\n", to_json(&lesson))))
            .map_err(|e| bplab_core::Error::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        let is_fd = |c: &&crate::measure::Column| c.name == "finite differences";
        let worst = |cols: &mut dyn Iterator<Item = &crate::measure::Column>| {
            cols.map(|c| c.max_abs()).fold(0.0, f64::max)
        };
        let (engines, fd): (Vec<_>, Vec<_>) = lesson.columns.iter().partition(|c| !is_fd(c));
        let (bad, good): (Vec<_>, Vec<_>) = engines.iter().partition(|c| !c.passed());
        let agree = format!(
            "{} other engines agree with the worked example to {:.0e}, finite differences to {:.0e}",
            good.len(),
            worst(&mut good.iter().copied()),
            worst(&mut fd.iter().copied())
        );
        let bad_names: Vec<&str> = bad.iter().map(|c| c.name.as_str()).collect();
        let headline = format!(
            "loss {:.6} → {:.6} after one SGD step; {}{agree}",
            lesson.worked.loss,
            lesson.update.new_loss,
            if bad.is_empty() {
                String::new()
            } else {
                format!(
                    "{} over tolerance by up to {:.2e}; ",
                    bad_names.join(", "),
                    worst(&mut bad.iter().copied())
                )
            },
        );
        Ok(Section {
            title: "The lesson's worked example".into(),
            markdown: format!("`bplab lesson`\n\n```text\n{text}```\n"),
            html: format!(
                "<p class=\"lead\">The lesson's seed network (sigmoid hidden layer, x = (1, 2), y = 0.5), forward and backward step by step, \
                 then one SGD step, cross-checked on every engine (<code>bplab lesson</code>).</p>\n{}",
                bplab_output::report::details(
                    "the walkthrough",
                    &text,
                    &["data/lesson/lesson.json".into()]
                )
            ),
            verdict: bplab_output::report::Verdict::from_passed(lesson.passed()),
            headline,
        })
    }
}
