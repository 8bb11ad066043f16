//! `lab overhead`'s knobs: the engines, benchmark configurations and batch-size sweep
//! ([`OverheadConfig`], full default and `quick()`) and the command-line flags that build it
//! ([`OverheadArgs`], every value checked by clap).

use crate::common::LabCommon;
use bplab_harness::flags;
use bplab_harness::flags::EngineFlag;
use bplab_harness::timing::Budget;
use bplab_harness::workload::BenchConfig;
use clap::Args;
use std::time::Duration;

/// Everything `lab overhead` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct OverheadConfig {
    /// `--engine` (`all`, or a list).
    pub engines: String,
    /// Benchmark configurations (`seed-b1`, `mnist-b64`).
    pub configs: Vec<&'static str>,
    /// Batch sizes of the sweep the line is fitted over (each config's network).
    pub sweep: Vec<usize>,
    /// Timing of each cell.
    pub budget: Budget,
}

impl Default for OverheadConfig {
    fn default() -> Self {
        OverheadConfig {
            engines: "all".into(),
            configs: vec!["seed-b1", "mnist-b64"],
            sweep: vec![1, 4, 16, 64, 256],
            budget: Budget::FULL,
        }
    }
}

impl OverheadConfig {
    /// A few seconds.
    pub fn quick() -> Self {
        OverheadConfig {
            sweep: vec![1, 8, 64],
            budget: Budget {
                time: Duration::from_millis(40),
                samples: 3,
            },
            ..Self::default()
        }
    }
}

/// A benchmark configuration's name (`seed-b1`, `mnist-b64`, …) as a clap value.
fn bench_config(s: &str) -> Result<&'static str, String> {
    BenchConfig::by_name(s.trim())
        .map(|b| b.name)
        .map_err(|e| flags::without_flag(&e.to_string()).to_string())
}

/// `bplab lab overhead` flags.
#[derive(Args, Debug)]
pub struct OverheadArgs {
    #[command(flatten)]
    pub common: LabCommon,
    #[command(flatten)]
    pub engine: EngineFlag,
    /// Configurations, comma-separated (default seed-b1,mnist-b64).
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = flags::trimmed(bench_config))]
    pub config: Option<Vec<&'static str>>,
}

impl OverheadArgs {
    /// The configuration these flags describe.
    pub fn config(&self) -> OverheadConfig {
        let mut cfg = if self.common.quick {
            OverheadConfig::quick()
        } else {
            OverheadConfig::default()
        };
        cfg.engines = self.engine.as_str().to_string();
        if let Some(c) = &self.config {
            cfg.configs.clone_from(c);
        }
        cfg
    }
}
