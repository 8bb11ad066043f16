//! The report's building blocks: the [`ReportSection`] trait every study implements, the
//! [`Section`] it returns with its summary line ([`Verdict`] and headline), the
//! [`OutcomeSection`] that turns a study's [`Outcome`] into a section, and the page and
//! summary that gather the sections ([`html`], [`markdown`], [`write`], in [`page`]). Which
//! sections exist, and in what order, is decided by the `bplab` binary alone; nothing below
//! it imports the report.

pub mod page;

pub use page::{details, figure, html, markdown, summary_text, write, Placed};

use crate::Outcome;
use bplab_core::Result;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// How a section came out: its line in the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Everything it checks agreed.
    Ok,
    /// Something differs, for a documented, reproduced reason.
    Explained,
    /// Something differs without an explanation.
    Mismatch,
    /// The section could not run (nothing to measure with the selected engines).
    NotRun,
}

impl Verdict {
    /// `ok`, `differs, explained`, `MISMATCH`, `not run`.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Explained => "differs, explained",
            Verdict::Mismatch => "MISMATCH",
            Verdict::NotRun => "not run",
        }
    }

    /// A CSS class / attribute value: `ok`, `explained`, `mismatch`, `not-run`.
    pub fn class(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Explained => "explained",
            Verdict::Mismatch => "mismatch",
            Verdict::NotRun => "not-run",
        }
    }

    /// `Ok` or `Mismatch`.
    pub fn from_passed(passed: bool) -> Self {
        if passed {
            Verdict::Ok
        } else {
            Verdict::Mismatch
        }
    }

    /// Whether the report counts the section as passed (`ok` or explained).
    pub fn passed(self) -> bool {
        matches!(self, Verdict::Ok | Verdict::Explained)
    }
}

/// One part of the report, built.
#[derive(Debug, Clone)]
pub struct Section {
    pub title: String,
    /// For `summary.md`.
    pub markdown: String,
    /// For `index.html` (a fragment: no `<html>`/`<body>`; SVG inline).
    pub html: String,
    /// The section's line in the summary: its verdict…
    pub verdict: Verdict,
    /// …and the one number that matters, as a short sentence ("6 engines agree to 1e-15").
    pub headline: String,
}

impl Section {
    /// Whether everything the section checks passed (or differs for a documented reason).
    pub fn passed(&self) -> bool {
        self.verdict.passed()
    }
}

/// What a section gets: where to write its data files and which engines to run.
#[derive(Debug, Clone)]
pub struct Context {
    /// The report directory (`report/`).
    pub dir: PathBuf,
    /// `--engine` (default `all`).
    pub engine: String,
    /// `--baseline`: another framework's timings (PyTorch, `tools/bench/torch_bench.py`)
    /// shown beside the benchmark's engines; `None` for none.
    pub baseline: Option<PathBuf>,
}

impl Context {
    /// Where section `name` writes its CSV/JSON/SVG files: `report/data/NAME/`.
    pub fn data_dir(&self, name: &str) -> PathBuf {
        self.dir.join("data").join(name)
    }
}

/// A part of the report: implemented by each study (the check, the benchmark, every
/// experiment and every lab) and listed, in order, by the binary.
pub trait ReportSection: Sync {
    /// Short name for the progress bar (`experiment init`).
    fn name(&self) -> &'static str;
    /// Runs the study in its quick setting and renders it.
    fn build(&self, ctx: &Context) -> Result<Section>;
}

/// A section that is one study's [`Outcome`] in its quick setting: `run` writes the study's
/// files under `report/data/DATA/` and returns the outcome, shown as its table, findings and
/// first `max_plots` plots, titled `title` (default "Experiment NAME").
pub struct OutcomeSection {
    /// For the progress bar (`experiment init`, `lab modes`).
    pub name: &'static str,
    pub title: Option<&'static str>,
    /// The folder under `report/data/`.
    pub data: &'static str,
    pub max_plots: usize,
    /// Runs the study in its quick setting on the report's engines, writing into the folder.
    pub run: fn(&Context, &Path) -> Result<Outcome>,
}

impl ReportSection for OutcomeSection {
    fn name(&self) -> &'static str {
        self.name
    }

    fn build(&self, ctx: &Context) -> Result<Section> {
        let o = (self.run)(ctx, &ctx.data_dir(self.data))?;
        let mut s = outcome_section(&o, self.max_plots, self.data);
        if let Some(title) = self.title {
            s.title = title.into();
        }
        Ok(s)
    }
}

/// Escapes text for HTML (also inside attribute values).
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The findings of an outcome: the lines of its text that are bullet points (`- …`).
pub fn findings(o: &Outcome) -> Vec<String> {
    o.text
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .map(|l| l.trim().to_string())
        .collect()
}

/// `s` cut after its last `;` before `max` characters (with `…`), or whole if short enough.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max).collect();
    match head.rfind("; ") {
        Some(i) => format!("{}…", &head[..i]),
        None => format!("{}…", head.trim_end()),
    }
}

/// For an outcome without findings: how many engines agree with the manual engine and how
/// closely, from its agreement lines (`  candle: 251 values vs manual, max rel diff 2.54e-5,
/// …`).
pub fn agreement_headline(o: &Outcome) -> Option<String> {
    let mut n = 0;
    let mut values = 0usize;
    let mut worst = 0.0f64;
    for l in o.text.lines().filter(|l| l.starts_with("  ")) {
        let Some((_, rest)) = l.split_once(": ") else {
            continue;
        };
        let Some((count, rest)) = rest.split_once(" values vs manual, max rel diff ") else {
            continue;
        };
        n += 1;
        values += count.trim().parse::<usize>().unwrap_or(0);
        let x = rest.split(',').next().unwrap_or("").trim();
        worst = worst.max(x.parse::<f64>().unwrap_or(f64::NAN));
    }
    (n > 0).then(|| {
        format!(
            "{n} engines vs the manual engine over {values} values: largest relative difference {worst:.2e}"
        )
    })
}

/// An outcome's verdict: a mismatch when its engines disagree, explained when they agree only
/// thanks to a documented reason (a pinned limit, a kink convention), else ok.
pub fn outcome_verdict(o: &Outcome) -> Verdict {
    if !o.engines_agree {
        Verdict::Mismatch
    } else if o.text.contains("outside tolerance, explained") || o.text.contains("(explained)") {
        Verdict::Explained
    } else {
        Verdict::Ok
    }
}

/// A study's outcome as a section: the headline finding, the plots (the first `max_plots`)
/// with their captions (each states what it shows and the finding it supports, with the
/// run's own number), the findings, and the raw table in a collapsed block with links to the
/// data files under `report/data/DATA/`.
pub fn outcome_section(o: &Outcome, max_plots: usize, data: &str) -> Section {
    let found = findings(o);
    let headline = found
        .first()
        .cloned()
        .or_else(|| agreement_headline(o))
        .map_or_else(|| o.title.clone(), |h| shorten(&h, 170));
    let mut html = format!("<p class=\"lead\">{}</p>\n", escape(&o.title));
    if !found.is_empty() {
        html.push_str("<ul class=\"findings\">\n");
        for f in &found {
            let _ = writeln!(html, "<li>{}</li>", escape(f));
        }
        html.push_str("</ul>\n");
    }
    let mut md = format!("{}\n\n{}\n", o.title, o.markdown);
    for p in o.plots.iter().take(max_plots) {
        let _ = writeln!(html, "{}", page::figure(&p.svg, &p.caption));
        let _ = writeln!(md, "- plot `data/{data}/{}.svg`: {}", p.name, p.caption);
    }
    let files = data_links(&o.files, data);
    html.push_str(&page::details("table and agreement", &o.text, &files));
    Section {
        title: format!("Experiment {}", o.name),
        markdown: md,
        html,
        verdict: outcome_verdict(o),
        headline,
    }
}

/// The CSV and JSON files among `files`, as paths relative to the report directory.
pub fn data_links(files: &[PathBuf], data: &str) -> Vec<String> {
    files
        .iter()
        .filter(|f| matches!(f.extension().and_then(|e| e.to_str()), Some("csv" | "json")))
        .filter_map(|f| f.file_name().and_then(|n| n.to_str()))
        .map(|n| format!("data/{data}/{n}"))
        .collect()
}
