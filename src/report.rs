//! `bplab report` (also what `bplab` does with no arguments): the lesson's worked example step
//! by step, the assignment network checked on every engine, `bench --quick`, then every
//! experiment and lab in its quick setting, gathered into one self-contained
//! `report/index.html` (inline SVG, no scripts, no network access) and `report/summary.md`,
//! with the studies' CSV/JSON/SVG files under `report/data/NAME/`. Both open with the
//! summary — one line per section: its verdict, the number that matters, a link — which is
//! also what the command prints at the end.
//!
//! The report is [`SECTIONS`]: each study implements [`ReportSection`] in its own crate;
//! adding a section is one line here.

use bplab_core::Result;
use bplab_harness::progress::Progress;
use bplab_output::report::{self, Context, ReportSection};
use std::path::Path;
use std::time::Instant;

/// Every section, in order.
pub const SECTIONS: &[&dyn ReportSection] = &[
    &bplab_lesson::LessonSection,
    &bplab_harness::check::CheckSection,
    &bplab_bench::BenchSection,
    &bplab_experiment::init::SECTION,
    &bplab_experiment::residual::SECTION,
    &bplab_experiment::norm::SECTION,
    &bplab_experiment::clip::SECTION,
    &bplab_experiment::train::SECTION,
    &bplab_lab::modes::SECTION,
    &bplab_lab::checkpoint::SECTION,
    &bplab_lab::precision::SECTION,
    &bplab_lab::overhead::SECTION,
    &bplab_lab::semantics::SECTION,
];

/// Builds every section, writes `index.html` and `summary.md` under `dir`; returns the text
/// the terminal shows at the end (the summary) and whether every section passed.
pub fn run(dir: &Path, engine: &str) -> Result<(String, bool)> {
    let start = Instant::now();
    let ctx = Context {
        dir: dir.to_path_buf(),
        engine: engine.to_string(),
    };
    let mut bar = Progress::new("report", SECTIONS.len());
    let mut sections = Vec::new();
    for s in SECTIONS {
        sections.push(report::Placed::new(s.name(), s.build(&ctx)?));
        bar.tick(s.name());
    }
    bar.finish();
    report::write(dir, &sections, start.elapsed().as_secs_f64())
}
