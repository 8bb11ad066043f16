//! What every lab shares: the flag group of every `bplab lab` command ([`LabCommon`]: `--out`,
//! `--format`, `--quick`) and its default output directory, the printed text and Markdown of
//! a lab ([`body`]), and two small statistics of measured series ([`median`],
//! [`loglog_slope`]).

use bplab_output::table::{Format, Table};
use clap::Args;
use std::path::PathBuf;

/// Flags every lab takes.
#[derive(Args, Debug, Clone)]
pub struct LabCommon {
    /// Output directory (default results/lab/NAME/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// table (default) or json (the document written to NAME.json).
    #[arg(long, value_enum, default_value_t = Format::Table, value_name = "FORMAT")]
    pub format: Format,
    /// The small setting the report and the tests use (seconds instead of minutes).
    #[arg(long)]
    pub quick: bool,
}

impl LabCommon {
    /// `--out`, or `results/lab/NAME/`.
    pub fn out_dir(&self, name: &str) -> PathBuf {
        self.out.clone().unwrap_or_else(|| default_out(name))
    }
}

/// The default output directory of lab `name`: `results/lab/NAME/`.
pub fn default_out(name: &str) -> PathBuf {
    PathBuf::from("results").join("lab").join(name)
}

/// Median of `values` (sorted in place); NaN for none.
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Least-squares slope of `log y` against `log x`.
pub fn loglog_slope(points: &[(f64, f64)]) -> f64 {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    let n = pts.len() as f64;
    let (mx, my) = pts
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (sxy, sxx) = pts.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    sxy / sxx
}

/// A lab's printed text and its Markdown: the `title` (text only), every table, then the
/// findings as bullets.
pub fn body(title: &str, tables: &[&Table], findings: &[String]) -> (String, String) {
    let bullets: String = findings.iter().map(|f| format!("- {f}\n")).collect();
    let join = |f: fn(&Table) -> String| tables.iter().map(|t| f(t)).collect::<Vec<_>>().join("\n");
    let text = format!("{title}\n\n{}\n{bullets}", join(Table::render));
    let markdown = format!("{}\n{bullets}", join(Table::markdown));
    (text, markdown)
}
