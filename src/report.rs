//! `bplab report` (also what `bplab` does with no arguments): the lesson's worked example step
//! by step, the assignment network checked on every engine, `bench --quick`, then every
//! experiment and lab in its quick setting, gathered into one self-contained
//! `report/index.html` (inline SVG, no scripts, no network access) and `report/summary.md`,
//! with the studies' CSV/JSON/SVG files under `report/data/NAME/`. Both open with the
//! summary — one line per section: its verdict, the number that matters, a link — which is
//! also what the command prints at the end.
//!
//! The benchmark section draws PyTorch beside the engines from a baseline file
//! ([`BaselineChoice`]): `--baseline FILE`, or by default the checked-in
//! [`DEFAULT_BASELINE`] when the command runs from the repository (as `cargo run --release`
//! does); `--baseline none` leaves PyTorch out.
//!
//! The report is [`SECTIONS`]: each study implements [`ReportSection`] in its own crate;
//! adding a section is one line here.

use bplab_core::Result;
use bplab_harness::progress::Progress;
use bplab_output::report::{self, Context, ReportSection};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The PyTorch baseline measured on the project's machine by `tools/bench/torch_bench.py`.
pub const DEFAULT_BASELINE: &str = "docs/bench/pytorch-epyc.json";

/// `--baseline`: which PyTorch timings the benchmark section shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum BaselineChoice {
    /// [`DEFAULT_BASELINE`] if it exists under the current directory, else none.
    #[default]
    Default,
    /// `none`: no PyTorch bars.
    None,
    /// This file; it must exist.
    File(PathBuf),
}

impl BaselineChoice {
    /// `none` or a path (clap's value parser).
    pub fn parse(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "" => Err("expected a file or `none`".into()),
            "none" => Ok(BaselineChoice::None),
            p => Ok(BaselineChoice::File(PathBuf::from(p))),
        }
    }

    /// The file to read, if any, checked before anything runs: a named file that is missing,
    /// or any baseline that does not parse, is an error.
    pub fn resolve(self) -> Result<Option<PathBuf>> {
        let path = self.path()?;
        if let Some(p) = &path {
            bplab_bench::baseline::Baseline::load(p)?;
        }
        Ok(path)
    }

    fn path(self) -> Result<Option<PathBuf>> {
        match self {
            BaselineChoice::Default => {
                let p = PathBuf::from(DEFAULT_BASELINE);
                Ok(p.is_file().then_some(p))
            }
            BaselineChoice::None => Ok(None),
            BaselineChoice::File(p) if p.is_file() => Ok(Some(p)),
            BaselineChoice::File(p) => Err(bplab_core::Error::File {
                path: p.display().to_string(),
                reason: "--baseline: no such file".into(),
            }),
        }
    }
}

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
pub fn run(dir: &Path, engine: &str, baseline: Option<PathBuf>) -> Result<(String, bool)> {
    let start = Instant::now();
    let ctx = Context {
        dir: dir.to_path_buf(),
        engine: engine.to_string(),
        baseline,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baseline_is_a_file_none_or_the_checked_in_default() {
        assert_eq!(BaselineChoice::parse("none"), Ok(BaselineChoice::None));
        assert!(BaselineChoice::parse(" ").is_err());
        assert_eq!(BaselineChoice::None.resolve().unwrap(), None);
        // Tests run in the repository root, where the checked-in baseline is.
        assert_eq!(
            BaselineChoice::Default.resolve().unwrap(),
            Some(PathBuf::from(DEFAULT_BASELINE))
        );
        let missing = BaselineChoice::parse("no/such/baseline.json").unwrap();
        let err = missing.resolve().unwrap_err();
        assert!(err.is_input_error());
        assert!(err.to_string().contains("no/such/baseline.json"), "{err}");
        let broken =
            std::env::temp_dir().join(format!("bplab-baseline-{}.json", std::process::id()));
        std::fs::write(&broken, r#"{"results": [{"engine": "pytorch"}]}"#).unwrap();
        let err = BaselineChoice::File(broken.clone()).resolve().unwrap_err();
        std::fs::remove_file(&broken).unwrap();
        assert!(err.is_input_error(), "{err}");
        assert!(err.to_string().contains("median_ns"), "{err}");
    }
}
