//! `bplab bench`'s flags: the engines, configurations and operations selected (`all` or
//! comma lists, checked by clap), the output format, `--quick`, the `--sweep` mode, the
//! kernel's `--threads` and a `--baseline` file to compare with.

use bplab_harness::flags::{self, EngineFlag, Pick};
use bplab_harness::workload::{BenchConfig, Op, CONFIGS};
use clap::{Args, ValueEnum};

/// `bplab bench` flags.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Shorter measurements: the whole matrix in well under a minute.
    #[arg(long)]
    pub quick: bool,
    #[command(flatten)]
    pub engine: EngineFlag,
    /// Configurations (seed-b1, seed-b64, mnist-b64, mnist-ln-b64, wide-b256, deep20-b32), comma-separated, or all.
    #[arg(long, default_value = "all", value_name = "LIST", value_delimiter = ',', value_parser = flags::trimmed(config))]
    pub config: Vec<Pick<BenchConfig>>,
    /// Operations (forward, grads, train_step), comma-separated, or all.
    #[arg(long, default_value = "all", value_name = "LIST", value_delimiter = ',', value_parser = flags::trimmed(op))]
    pub op: Vec<Pick<Op>>,
    /// table (default), json or markdown.
    #[arg(long, value_enum, default_value_t = BenchFormat::Table, value_name = "FORMAT")]
    pub format: BenchFormat,
    /// Time grads against batch size and width instead, writing CSV and an SVG plot.
    #[arg(long)]
    pub sweep: bool,
    /// Where --sweep writes its files.
    #[arg(long, default_value = "results/bench-sweep", value_name = "DIR")]
    pub out: std::path::PathBuf,
    /// Threads of the manual engine's matrix kernel (default: every core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Another framework's timings of the same matrix (tools/bench/torch_bench.py's JSON),
    /// shown beside these: a ×pytorch column and its GEMM rates.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<std::path::PathBuf>,
    /// With --baseline: also time the kernel at the baseline's square GEMM sizes and write
    /// GFLOP/s against size beside the baseline's libraries as an SVG.
    #[arg(long, value_name = "FILE", requires = "baseline")]
    pub gemm_plot: Option<std::path::PathBuf>,
}

/// `--format table|json|markdown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    Table,
    Json,
    Markdown,
}

/// One item of `--config`: a configuration's name or `all`.
fn config(s: &str) -> std::result::Result<Pick<BenchConfig>, String> {
    Pick::parse(s, |name| {
        BenchConfig::by_name(name).map_err(|_| {
            let names: Vec<&str> = CONFIGS.iter().map(|c| c.name).collect();
            format!(
                "unknown configuration '{name}' (expected one of: {}, all)",
                names.join(", ")
            )
        })
    })
}

/// One item of `--op`: an operation's name or `all`.
fn op(s: &str) -> std::result::Result<Pick<Op>, String> {
    Pick::parse(s, |name| {
        Op::ALL
            .into_iter()
            .find(|o| o.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Op::ALL.iter().map(|o| o.name()).collect();
                format!(
                    "unknown operation '{name}' (expected one of: {}, all)",
                    names.join(", ")
                )
            })
    })
}
