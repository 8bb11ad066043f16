//! `lab semantics`' knobs: the [`SemanticsConfig`] (full default and `quick()`) and the
//! command-line flags that build it ([`SemanticsArgs`]), every value checked by clap.

use crate::common::LabCommon;
use bplab_core::{Error, Result};
use bplab_harness::flags;
use clap::Args;

/// What `lab semantics` measures beyond the fixed scenarios: the micro-batch row's sizes.
#[derive(Debug, Clone, PartialEq)]
pub struct SemanticsConfig {
    /// Rows of the full batch in the micro-batch scenario.
    pub batch: usize,
    /// Micro-batches it is split into (must divide `batch`).
    pub micro_batches: usize,
}

impl Default for SemanticsConfig {
    fn default() -> Self {
        SemanticsConfig {
            batch: 64,
            micro_batches: 8,
        }
    }
}

impl SemanticsConfig {
    /// The report's and the tests' setting.
    pub fn quick() -> Self {
        SemanticsConfig {
            batch: 4,
            micro_batches: 2,
        }
    }

    /// Rows per micro-batch; an error when `micro_batches` does not divide `batch`.
    pub fn rows_per_micro_batch(&self) -> Result<usize> {
        if self.micro_batches == 0 || !self.batch.is_multiple_of(self.micro_batches) {
            return Err(Error::Parse(format!(
                "--micro-batches {} does not divide --batch {}",
                self.micro_batches, self.batch
            )));
        }
        Ok(self.batch / self.micro_batches)
    }
}

/// `bplab lab semantics` flags.
#[derive(Args, Debug)]
pub struct SemanticsArgs {
    #[command(flatten)]
    pub common: LabCommon,
    /// Rows of the full batch in the micro-batch scenario.
    #[arg(long, value_name = "N", value_parser = flags::count(4096))]
    pub batch: Option<usize>,
    /// Micro-batches the full batch is split into (must divide --batch).
    #[arg(long, value_name = "K", value_parser = flags::count(4096))]
    pub micro_batches: Option<usize>,
}

impl SemanticsArgs {
    /// The configuration these flags describe.
    pub fn config(&self) -> Result<SemanticsConfig> {
        let mut cfg = if self.common.quick {
            SemanticsConfig::quick()
        } else {
            SemanticsConfig::default()
        };
        if let Some(b) = self.batch {
            cfg.batch = b;
        }
        if let Some(k) = self.micro_batches {
            cfg.micro_batches = k;
        }
        cfg.rows_per_micro_batch()?;
        Ok(cfg)
    }
}
