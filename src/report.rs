//! `bplab report` (also what `bplab` does with no arguments): the assignment network checked
//! on every engine, `bench --quick`, then every experiment in its quick setting, gathered into one
//! self-contained `report/index.html` (inline SVG, no scripts, no network access) and
//! `report/summary.md`, with the experiments' CSV/JSON/SVG files under `report/data/NAME/`.
//!
//! The report is a list of [`Section`]s, each built by one function of [`SECTIONS`]; adding
//! a section is one line in that list.

use crate::check::{self, CheckConfig};
use crate::experiment::{self, Outcome};
use crate::netargs::NetArgs;
use crate::progress::Progress;
use bplab_core::{DType, Error, Result};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One part of the report.
#[derive(Debug, Clone)]
pub struct Section {
    pub title: String,
    /// For `summary.md`.
    pub markdown: String,
    /// For `index.html` (a fragment: no `<html>`/`<body>`; SVG inline).
    pub html: String,
    /// Whether everything the section checks passed.
    pub passed: bool,
}

/// What a section function gets: where to write its data files and which engines to run.
#[derive(Debug, Clone)]
pub struct Context {
    /// The report directory (`report/`).
    pub dir: PathBuf,
    /// `--engine` (default `all`).
    pub engine: String,
}

/// A function that builds one section.
pub type SectionFn = fn(&Context) -> Result<Section>;

/// Every section, in order. A new section is one more line here.
pub const SECTIONS: &[(&str, SectionFn)] = &[
    ("check", check_section),
    ("bench", crate::bench::report_section::report_section),
    ("experiment init", init_section),
    ("experiment residual", residual_section),
    ("experiment clip", clip_section),
    ("experiment train", train_section),
    ("lab modes", crate::lab::modes_report::report_section),
    (
        "lab checkpoint",
        crate::lab::checkpoint_report::report_section,
    ),
    ("lab precision", crate::lab::precision_out::report_section),
    ("lab overhead", crate::lab::overhead_out::report_section),
];

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `check --engine all` on the assignment network.
pub fn check_section(ctx: &Context) -> Result<Section> {
    let engines = crate::engines::select(&ctx.engine)?;
    let resolved = NetArgs::default().resolve()?;
    let report = check::run(&engines, &resolved, &CheckConfig::new(DType::F64))?;
    let text = check::to_table(&resolved, &report);
    let verdict = if report.passed() {
        "every engine's gradients agree with finite differences and with the manual engine"
    } else {
        "a gradient check FAILED"
    };
    Ok(Section {
        title: "Gradient check: the assignment network on every engine".into(),
        markdown: format!("{verdict}.\n\n```\n{text}```\n"),
        html: format!("<p>{verdict}.</p>\n<pre>{}</pre>\n", escape(&text)),
        passed: report.passed(),
    })
}

/// An experiment's outcome as a section: the table, the findings and every key plot.
pub fn outcome_section(o: &Outcome, max_plots: usize) -> Section {
    let mut html = format!(
        "<p>{}</p>\n<pre>{}</pre>\n",
        escape(&o.title),
        escape(&o.text)
    );
    let mut md = format!("{}\n\n{}\n", o.title, o.markdown);
    for p in o.plots.iter().take(max_plots) {
        let _ = writeln!(
            html,
            "<figure>{}<figcaption>{}</figcaption></figure>",
            p.svg.trim_end(),
            escape(&p.caption)
        );
        let _ = writeln!(md, "- plot `data/{}/{}.svg`: {}", o.name, p.name, p.caption);
    }
    Section {
        title: format!("Experiment {}", o.name),
        markdown: md,
        html,
        passed: o.engines_agree,
    }
}

fn data_dir(ctx: &Context, name: &str) -> PathBuf {
    ctx.dir.join("data").join(name)
}

pub fn init_section(ctx: &Context) -> Result<Section> {
    let cfg = experiment::init::InitConfig::quick();
    let o = experiment::init::run(&cfg, &ctx.engine, &data_dir(ctx, "init"))?;
    Ok(outcome_section(&o, 5))
}

pub fn residual_section(ctx: &Context) -> Result<Section> {
    let cfg = experiment::residual::ResidualConfig::quick();
    let o = experiment::residual::run(&cfg, &ctx.engine, &data_dir(ctx, "residual"))?;
    Ok(outcome_section(&o, 4))
}

pub fn clip_section(ctx: &Context) -> Result<Section> {
    let cfg = experiment::clip::ClipConfig::quick();
    let o = experiment::clip::run(&cfg, &ctx.engine, &data_dir(ctx, "clip"))?;
    Ok(outcome_section(&o, 2))
}

pub fn train_section(ctx: &Context) -> Result<Section> {
    let cfg = experiment::train::TrainConfig::quick();
    let o = experiment::train::run(&cfg, &ctx.engine, &data_dir(ctx, "train"))?;
    Ok(outcome_section(&o, 2))
}

/// The whole page.
pub fn html(sections: &[Section], seconds: f64) -> String {
    let mut body = String::new();
    let mut toc = String::new();
    for (i, s) in sections.iter().enumerate() {
        let mark = if s.passed { "" } else { " (did not pass)" };
        let _ = writeln!(
            toc,
            "<li><a href=\"#s{i}\">{}</a>{mark}</li>",
            escape(&s.title)
        );
        let _ = writeln!(
            body,
            "<section id=\"s{i}\"><h2>{}</h2>\n{}</section>",
            escape(&s.title),
            s.html
        );
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>backprop-lab report</title>\n<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}pre{{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:12px}}figure{{display:inline-block;margin:.5em}}figcaption{{font-size:13px;color:#444;max-width:640px}}</style></head>\n<body><h1>backprop-lab report</h1>\n<p>Generated by <code>bplab report</code> in {seconds:.0} s. Every number below was computed on this machine; the experiments ran in their quick setting.</p>\n<ul>{toc}</ul>\n{body}</body></html>\n"
    )
}

/// The Markdown summary.
pub fn markdown(sections: &[Section]) -> String {
    let mut out = String::from("# backprop-lab report\n\n");
    for s in sections {
        let _ = write!(out, "## {}\n\n{}\n", s.title, s.markdown);
    }
    out
}

/// Builds every section, writes `index.html` and `summary.md` under `dir`; returns the text
/// the terminal shows at the end and whether every section passed.
pub fn run(dir: &Path, engine: &str) -> Result<(String, bool)> {
    let start = Instant::now();
    let ctx = Context {
        dir: dir.to_path_buf(),
        engine: engine.to_string(),
    };
    let mut bar = Progress::new("report", SECTIONS.len());
    let mut sections = Vec::new();
    for (name, f) in SECTIONS {
        sections.push(f(&ctx)?);
        bar.tick(name);
    }
    bar.finish();
    let err = |p: &Path| {
        let path = p.display().to_string();
        move |e: std::io::Error| Error::File {
            path,
            reason: e.to_string(),
        }
    };
    std::fs::create_dir_all(dir).map_err(err(dir))?;
    let index = dir.join("index.html");
    let summary = dir.join("summary.md");
    std::fs::write(&index, html(&sections, start.elapsed().as_secs_f64())).map_err(err(&index))?;
    std::fs::write(&summary, markdown(&sections)).map_err(err(&summary))?;
    let passed = sections.iter().all(|s| s.passed);
    let mut text = String::new();
    for s in &sections {
        let _ = writeln!(
            text,
            "{:<60} {}",
            s.title,
            if s.passed { "ok" } else { "DID NOT PASS" }
        );
    }
    let _ = writeln!(
        text,
        "\nreport: {} (summary: {}), {:.0} s",
        index.display(),
        summary.display(),
        start.elapsed().as_secs_f64()
    );
    Ok((text, passed))
}
