//! `bplab bench` argument handling: selection of engines, configurations and operations,
//! output format, and the `--sweep` mode.

use crate::bench::configs::{BenchConfig, Op, CONFIGS};
use crate::bench::measure::Budget;
use crate::bench::output;
use crate::bench::run::{self, BenchConfigSet};
use crate::bench::sweep;
use crate::cli::BenchArgs;
use crate::engines;
use bplab_core::{Error, Result};

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
