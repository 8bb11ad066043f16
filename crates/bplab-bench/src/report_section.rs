//! The benchmarks' part of `bplab report`: `bench --quick` over the whole matrix, as tables
//! (every cell, backward/forward ratios, the manual engine's targets) and `bench.json` under
//! `report/data/bench/`. Timings inform; they never fail the report.

use crate::output;
use crate::run::{self, BenchConfigSet};
use bplab_core::{Error, Result};
use bplab_harness::timing::Budget;
use bplab_harness::workload::{Op, CONFIGS};
use bplab_output::report::{escape, Section};

/// `bench --quick` as a report section.
pub struct BenchSection;

impl bplab_output::report::ReportSection for BenchSection {
    fn name(&self) -> &'static str {
        "bench"
    }

    fn build(&self, ctx: &bplab_output::report::Context) -> Result<bplab_output::report::Section> {
        let engines = bplab_harness::engines::select(&ctx.engine)?;
        let report = run::run(&BenchConfigSet {
            engines: &engines,
            configs: CONFIGS.to_vec(),
            ops: Op::ALL.to_vec(),
            budget: Budget::QUICK,
        })?;
        let dir = ctx.dir.join("data").join("bench");
        let path = dir.join("bench.json");
        std::fs::create_dir_all(&dir)
            .and_then(|_| std::fs::write(&path, format!("{}\n", output::to_json(&report))))
            .map_err(|e| Error::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        let lead = "Median time per call (f32, `bench --quick`, this machine, one run), GFLOP/s, \
                heap allocations per call, and the backward pass's cost in forward passes.";
        Ok(Section {
            title: "Benchmarks: every engine × configuration × operation".into(),
            markdown: format!("{lead}\n\n{}", output::to_text(&report, true)),
            html: format!(
                "<p>{}</p>\n<pre>{}</pre>\n",
                escape(lead),
                escape(&output::to_text(&report, false))
            ),
            passed: true,
        })
    }
}
