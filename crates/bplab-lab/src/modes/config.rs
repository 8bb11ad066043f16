//! `lab modes`' knobs: the [`ModesConfig`] (full default and `quick()`) and the
//! command-line flags that build it ([`ModesArgs`]), every value checked by clap.

use crate::common::LabCommon;
use bplab_harness::flags;
use bplab_harness::flags::positive_up_to;
use bplab_harness::timing::Budget;
use clap::Args;
use std::time::Duration;

/// What `lab modes` measures.
#[derive(Debug, Clone, PartialEq)]
pub struct ModesConfig {
    /// Widths of the width sweep.
    pub widths: Vec<usize>,
    /// Linear layers in the width sweep.
    pub width_depth: usize,
    /// Linear layers of the depth sweep.
    pub depths: Vec<usize>,
    /// Width of the depth sweep.
    pub depth_width: usize,
    /// Batch size `B`.
    pub batch: usize,
    /// Outputs `M` of the sensitivity networks.
    pub outputs: Vec<usize>,
    /// Inputs of the sensitivity networks.
    pub sensitivity_inputs: usize,
    /// Timing of the forward pass, reverse mode and one JVP (median of samples).
    pub budget: Budget,
    /// Wall time the full forward-mode gradient may take per point before it is scaled.
    pub forward_mode_budget: Duration,
    pub seed: u64,
}

impl Default for ModesConfig {
    fn default() -> Self {
        ModesConfig {
            widths: vec![2, 4, 8, 16, 32, 64, 128, 256, 512],
            width_depth: 3,
            depths: vec![1, 2, 4, 8, 16, 32, 64],
            depth_width: 32,
            batch: 16,
            outputs: vec![1, 4, 16, 64, 256],
            sensitivity_inputs: 4,
            budget: Budget {
                time: Duration::from_millis(400),
                samples: 9,
            },
            forward_mode_budget: Duration::from_secs(2),
            seed: 7,
        }
    }
}

impl ModesConfig {
    /// Seconds: small networks, short budgets.
    pub fn quick() -> Self {
        ModesConfig {
            widths: vec![2, 8, 32],
            depths: vec![1, 4, 16],
            depth_width: 16,
            outputs: vec![1, 8, 64],
            budget: Budget {
                time: Duration::from_millis(40),
                samples: 5,
            },
            forward_mode_budget: Duration::from_millis(100),
            ..Self::default()
        }
    }
}

/// `bplab lab modes` flags (a flag left out keeps the default, or the quick setting).
#[derive(Args, Debug)]
pub struct ModesArgs {
    #[command(flatten)]
    pub common: LabCommon,
    /// Widths of the width sweep, comma-separated.
    #[arg(long, value_name = "W,W,...", value_delimiter = ',', value_parser = flags::trimmed(flags::count(1024)))]
    pub widths: Option<Vec<usize>>,
    /// Linear layers of the depth sweep, comma-separated.
    #[arg(long, value_name = "D,D,...", value_delimiter = ',', value_parser = flags::trimmed(flags::count(256)))]
    pub depths: Option<Vec<usize>>,
    /// Batch size.
    #[arg(long, value_name = "N", value_parser = flags::count(4096))]
    pub batch: Option<usize>,
    /// Seconds the full forward-mode gradient may run per point before it is scaled.
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true, value_parser = positive_up_to(3600.0))]
    pub fm_budget: Option<f64>,
}

impl ModesArgs {
    /// The configuration these flags describe.
    pub fn config(&self) -> ModesConfig {
        let mut cfg = if self.common.quick {
            ModesConfig::quick()
        } else {
            ModesConfig::default()
        };
        if let Some(w) = &self.widths {
            cfg.widths.clone_from(w);
        }
        if let Some(d) = &self.depths {
            cfg.depths.clone_from(d);
        }
        if let Some(n) = self.batch {
            cfg.batch = n;
        }
        if let Some(s) = self.fm_budget {
            cfg.forward_mode_budget = Duration::from_secs_f64(s);
        }
        cfg
    }
}
