//! `bplab bench` argument handling: selection of engines, configurations and operations,
//! output format, and the `--sweep` mode.

use crate::output;
use crate::run::{self, BenchConfigSet};
use crate::sweep;
use bplab_core::{Error, Result};
use bplab_harness::engines;
use bplab_harness::timing::Budget;
use bplab_harness::workload::{BenchConfig, Op, CONFIGS};
use clap::Args;

/// `bplab bench` flags.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Shorter measurements: the whole matrix in well under a minute.
    #[arg(long)]
    pub quick: bool,
    /// manual, burn-ndarray, burn-flex, candle, burn-custom, candle-custom, a comma-separated list, or all.
    #[arg(long, default_value = "all", value_name = "NAME")]
    pub engine: String,
    /// Configurations (seed-b1, seed-b64, mnist-b64, wide-b256, deep20-b32), comma-separated, or all.
    #[arg(long, default_value = "all", value_name = "LIST")]
    pub config: String,
    /// Operations (forward, grads, train_step), comma-separated, or all.
    #[arg(long, default_value = "all", value_name = "LIST")]
    pub op: String,
    /// table (default), json or markdown.
    #[arg(long, default_value = "table", value_name = "FORMAT")]
    pub format: String,
    /// Time grads against batch size and width instead, writing CSV and an SVG plot.
    #[arg(long)]
    pub sweep: bool,
    /// Where --sweep writes its files.
    #[arg(long, default_value = "results/bench-sweep", value_name = "DIR")]
    pub out: std::path::PathBuf,
}

/// `table`, `json` or `markdown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BenchFormat {
    Table,
    Json,
    Markdown,
}

fn parse_format(s: &str) -> Result<BenchFormat> {
    match s {
        "table" => Ok(BenchFormat::Table),
        "json" => Ok(BenchFormat::Json),
        "markdown" => Ok(BenchFormat::Markdown),
        _ => Err(Error::Parse(format!(
            "--format: unknown format '{s}' (expected table, json or markdown)"
        ))),
    }
}

fn parse_list<T: Copy>(
    flag: &str,
    s: &str,
    all: &[T],
    name: impl Fn(&T) -> &'static str,
) -> Result<Vec<T>> {
    if s == "all" {
        return Ok(all.to_vec());
    }
    s.split(',')
        .map(|part| {
            let part = part.trim();
            all.iter()
                .copied()
                .find(|x| name(x) == part)
                .ok_or_else(|| {
                    let names: Vec<&str> = all.iter().map(&name).collect();
                    Error::Parse(format!(
                        "{flag}: unknown value '{part}' (expected one of: {}, all)",
                        names.join(", ")
                    ))
                })
        })
        .collect()
}

/// Runs `bplab bench`; returns stdout and the exit status.
pub fn run(a: BenchArgs) -> Result<(String, u8)> {
    let format = parse_format(&a.format)?;
    let engines = engines::select(&a.engine)?;
    let configs: Vec<BenchConfig> = parse_list("--config", &a.config, &CONFIGS, |c| c.name)?;
    let ops = parse_list("--op", &a.op, &Op::ALL, |o| o.name())?;
    let budget = if a.quick { Budget::QUICK } else { Budget::FULL };
    if a.sweep {
        let s = sweep::run(&engines, budget, &a.out)?;
        let text = match format {
            BenchFormat::Json => format!("{}\n", sweep::to_json(&s)),
            _ => sweep::to_text(&s, &a.out),
        };
        return Ok((text, 0));
    }
    let report = run::run(&BenchConfigSet {
        engines: &engines,
        configs,
        ops,
        budget,
    })?;
    let text = match format {
        BenchFormat::Json => format!("{}\n", output::to_json(&report)),
        BenchFormat::Table => output::to_text(&report, false),
        BenchFormat::Markdown => output::to_text(&report, true),
    };
    Ok((text, 0))
}
