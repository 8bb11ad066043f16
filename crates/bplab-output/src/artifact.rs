//! What a study (an experiment, a lab, the benchmark) hands back: its text for the terminal,
//! its Markdown for the report, its plots and the files it wrote, and whether every
//! cross-engine comparison it made agreed.

use std::path::PathBuf;

/// One plot a study drew.
#[derive(Debug, Clone)]
pub struct Plot {
    /// File stem under the output directory (`heatmap-sigmoid-normal-1`).
    pub name: String,
    /// What it shows, one line.
    pub caption: String,
    pub svg: String,
}

/// What a study produced: for the terminal, the report and the docs.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `init`, `residual`, `clip`, `train`, `modes`, …
    pub name: &'static str,
    /// One line: what was run.
    pub title: String,
    /// The headline table(s) and findings as plain text (printed by the command).
    pub text: String,
    /// The same as Markdown (for `report/summary.md`).
    pub markdown: String,
    /// The plots, most important first.
    pub plots: Vec<Plot>,
    /// Every file written.
    pub files: Vec<PathBuf>,
    /// Whether every cross-engine comparison the study makes agreed within tolerance
    /// (or differed for a documented, pinned reason).
    pub engines_agree: bool,
}

impl Outcome {
    /// What a study command prints: the outcome's text and where the files are.
    pub fn render(&self) -> String {
        let dir = self
            .files
            .first()
            .and_then(|f| f.parent())
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        format!(
            "{}\nwrote {} files to {dir}/ ({} plots)\n",
            self.text,
            self.files.len(),
            self.plots.len()
        )
    }
}
