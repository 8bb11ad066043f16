//! The `bplab` command line (clap): subcommands, their flags, and the exit-status contract —
//! 0 success, 1 a check that ran and failed, 2 a usage or input error reported on one line.

use bplab_core::{Error, Tolerance};
use bplab_harness::budget::{self, fraction_of_memory};
use bplab_harness::check::plant::PlantEffect;
use bplab_harness::check::{self, CheckConfig};
use bplab_harness::engines;
use bplab_harness::flags::{self, EngineArgs, EngineFlag};
use bplab_harness::grads;
use bplab_harness::netargs::NetArgs;
use bplab_harness::reference::Reference;
use bplab_manual::Fault;
use bplab_output::table::Format;
use bplab_viz::term::ColorChoice;
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

/// Backprop lab: one neural network by hand, in burn and in candle; every gradient proven.
#[derive(Parser, Debug)]
#[command(name = "bplab", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The lesson's worked example step by step, every number cross-checked, and its practice tasks.
    Lesson(bplab_lesson::LessonArgs),
    /// The loss and the gradient of every parameter, from each selected engine.
    Grads(GradsArgs),
    /// Every engine's gradients against finite differences and against the manual engine.
    Check(CheckArgs),
    /// Times forward, grads and train_step (f32) for every engine × configuration.
    Bench(bplab_bench::BenchArgs),
    /// Every forward value and gradient of one pass, layer by layer, with the gradient flow.
    Viz(VizArgs),
    /// The interactive visualizer in the browser, with a JSON API (blocks until stopped).
    Serve(ServeArgs),
    /// Measure a claim of the lesson on every engine: init, residual, clip, train.
    Experiment(bplab_experiment::args::ExperimentArgs),
    /// Check, every experiment (quick) → report/index.html and report/summary.md.
    Report(ReportArgs),
    /// The autograd internals lab: forward vs reverse mode, checkpointing, precision, overhead.
    Lab(bplab_lab::LabArgs),
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub engine: EngineFlag,
    /// Output directory.
    #[arg(long, default_value = "report", value_name = "DIR")]
    pub out: std::path::PathBuf,
    /// PyTorch timings to draw beside the benchmark's engines (bench's JSON shape, written by
    /// tools/bench/torch_bench.py), or `none`; default: the checked-in
    /// docs/bench/pytorch-epyc.json when it exists under the current directory.
    #[arg(long, value_name = "FILE|none", value_parser = crate::report::BaselineChoice::parse)]
    pub baseline: Option<crate::report::BaselineChoice>,
}

#[derive(Args, Debug)]
pub struct GradsArgs {
    #[command(flatten)]
    pub net: NetArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub net: NetArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Also check ∂L/∂x by finite differences on the inputs.
    #[arg(long)]
    pub inputs: bool,
    /// Absolute tolerance against finite differences (default 1e-8 in f64, 1e-5 in f32).
    #[arg(long, value_name = "X", allow_negative_numbers = true, value_parser = flags::non_negative)]
    pub atol: Option<f64>,
    /// Relative tolerance against finite differences (default 1e-6 in f64, 1e-4 in f32).
    #[arg(long, value_name = "X", allow_negative_numbers = true, value_parser = flags::non_negative)]
    pub rtol: Option<f64>,
    /// Plant a bug in the hand-written backward of manual, burn-custom and candle-custom to see
    /// the check catch it: missing-activation-derivative, missing-transpose, bias-summed,
    /// wrong-softmax-jacobian (the reference stays the correct manual engine).
    #[arg(long, value_name = "FAULT", value_parser = flags::parsed::<Fault>)]
    pub plant: Option<Fault>,
    /// Also compare every engine with a reference directory (case.json, params.safetensors,
    /// batch.json; tools/reference/README.md), whose network, weights and batch are used.
    #[arg(long, value_name = "DIR", conflicts_with_all = NET_FLAGS)]
    pub reference: Option<std::path::PathBuf>,
    /// Most finite-difference work: elements × 2 forward passes × engines × layers.
    #[arg(long, value_name = "N", default_value_t = 20_000_000)]
    pub max_fd_evals: u64,
}

/// The network flags `--reference` replaces.
const NET_FLAGS: [&str; 11] = [
    "preset",
    "layers",
    "activations",
    "loss",
    "residual",
    "params",
    "init",
    "seed",
    "batch",
    "input",
    "target",
];

#[derive(Args, Debug)]
pub struct VizArgs {
    #[command(flatten)]
    pub net: NetArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Colour of the gradient-flow strip: auto (a terminal without NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Also write the trace as one self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<std::path::PathBuf>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Port to listen on (0 picks a free one; the URL is printed on stdout).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on (anything but loopback lets the network use it: a warning).
    #[arg(long, default_value = "127.0.0.1", value_name = "IP")]
    pub host: std::net::IpAddr,
    /// Memory budget of all requests together, e.g. 2G (default: a quarter of physical
    /// memory); one request may plan half of it.
    #[arg(long = "max-memory", value_name = "SIZE", value_parser = budget::parse_size)]
    pub max_memory: Option<u64>,
}

/// Most parameter (and input) elements `check` differentiates numerically: each costs two
/// forward passes per engine.
pub const MAX_FD_ELEMENTS: usize = 100_000;

/// What a subcommand produced: text for stdout and the exit status.
struct Outcome {
    stdout: String,
    code: u8,
}

/// Parses `args` and runs; prints results and errors; returns the exit status.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind::*;
            if matches!(
                e.kind(),
                DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            eprintln!("{}", flags::one_line(&e));
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(out.stdout.as_bytes());
            let _ = stdout.flush();
            ExitCode::from(out.code)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(if e.is_input_error() { 2 } else { 1 })
        }
    }
}

fn run(cli: Cli) -> Result<Outcome, Error> {
    match cli.command {
        // The main job: the gradient check and every experiment, as one report.
        None => run_report(ReportArgs {
            engine: EngineFlag::default(),
            out: "report".into(),
            baseline: None,
        }),
        Some(Command::Lesson(a)) => {
            bplab_lesson::run(a).map(|(stdout, code)| Outcome { stdout, code })
        }
        Some(Command::Grads(a)) => run_grads(a),
        Some(Command::Check(a)) => run_check(a),
        Some(Command::Bench(a)) => {
            bplab_bench::run(a).map(|(stdout, code)| Outcome { stdout, code })
        }
        Some(Command::Viz(a)) => run_viz(a),
        Some(Command::Serve(a)) => {
            let memory = a.max_memory.unwrap_or_else(|| fraction_of_memory(1, 4));
            let limits = bplab_viz::server::admit::Limits::with_memory(memory);
            bplab_viz::server::run(std::net::SocketAddr::new(a.host, a.port), limits)?;
            Ok(Outcome {
                stdout: String::new(),
                code: 0,
            })
        }
        Some(Command::Report(a)) => run_report(a),
        Some(Command::Experiment(a)) => {
            let outcome = bplab_experiment::args::run(a)?;
            Ok(Outcome {
                stdout: outcome.render(),
                code: if outcome.engines_agree { 0 } else { 1 },
            })
        }
        Some(Command::Lab(a)) => {
            bplab_lab::run_cli(a).map(|(stdout, code)| Outcome { stdout, code })
        }
    }
}

fn run_report(a: ReportArgs) -> Result<Outcome, Error> {
    let baseline = a.baseline.unwrap_or_default().resolve()?;
    let (text, passed) = crate::report::run(&a.out, a.engine.as_str(), baseline)?;
    Ok(Outcome {
        stdout: text,
        code: if passed { 0 } else { 1 },
    })
}

fn run_grads(a: GradsArgs) -> Result<Outcome, Error> {
    let (dtype, format) = (*a.engine.dtype, a.engine.format);
    let engines = engines::select_for(a.engine.engine.as_str(), dtype)?;
    let limit = a.engine.memory.limit();
    budget::precheck("grads", a.net.layers.as_deref(), engines.len(), limit)?;
    let resolved = a.net.resolve()?;
    let (w, rows) = (resolved.network.spec().widths(), resolved.batch.len());
    let hint = "use fewer examples, narrower layers or fewer engines";
    budget::check("grads", budget::grads(w, rows, engines.len()), limit, hint)?;
    let results = grads::run(&engines, &resolved, dtype)?;
    let stdout = match format {
        Format::Json => format!("{}\n", grads::to_json(&results)),
        Format::Table => grads::to_table(&resolved, &results),
    };
    Ok(Outcome { stdout, code: 0 })
}

fn run_check(a: CheckArgs) -> Result<Outcome, Error> {
    let (dtype, format) = (*a.engine.dtype, a.engine.format);
    let fault = a.plant.unwrap_or(Fault::None);
    let mut engines = engines::select_with_fault(a.engine.engine.as_str(), fault)?;
    if a.engine.engine.as_str() == "all" {
        engines.retain(|e| engines::computes_in(e.name(), dtype)); // burn-wgpu: f32 only
    }
    let limit = a.engine.memory.limit();
    budget::precheck("check", a.net.layers.as_deref(), engines.len(), limit)?;
    let reference = a.reference.as_deref().map(Reference::load).transpose()?;
    let resolved = match &reference {
        Some(rf) => rf.resolved(),
        None => a.net.resolve()?,
    };
    let mut cfg = CheckConfig::new(dtype);
    cfg.fd.inputs = a.inputs;
    cfg.fd_tol = Tolerance::new(
        a.atol.unwrap_or(cfg.fd_tol.atol),
        a.rtol.unwrap_or(cfg.fd_tol.rtol),
    );
    let probes =
        resolved.network.params().n_values() + if a.inputs { resolved.batch.x.len() } else { 0 };
    let (w, rows) = (resolved.network.spec().widths(), resolved.batch.len());
    let hint = "use fewer examples, narrower layers or fewer engines";
    budget::check("check", budget::grads(w, rows, engines.len()), limit, hint)?;
    // Finite differences: two forward passes per element per engine, each through every layer.
    let passes = 2 * probes as u64 * engines.len() as u64;
    let work = passes.saturating_mul(resolved.network.spec().n_layers() as u64);
    if work > a.max_fd_evals {
        return Err(Error::Parse(format!(
            "check: {probes} elements × 2 forward passes × {} engines × {} layers = {work} layer evaluations of finite differences, more than --max-fd-evals {}; use a smaller network or fewer engines",
            engines.len(),
            resolved.network.spec().n_layers(),
            a.max_fd_evals
        )));
    }
    if probes > MAX_FD_ELEMENTS {
        return Err(Error::Parse(format!(
            "check: {probes} elements to differentiate (two forward passes each) is more than the limit of {MAX_FD_ELEMENTS}; use a smaller network"
        )));
    }
    if work > 1_000_000 {
        eprintln!(
            "check: finite differences: {probes} elements × 2 forward passes × {} engines ({passes} passes, {work} layer evaluations)…",
            engines.len()
        );
    }
    let report = check::run_against(&engines, &resolved, &cfg, reference.as_ref())?;
    let planted = PlantEffect::new(fault, &resolved, dtype, a.inputs)?;
    let stdout = match (format, planted) {
        (Format::Json, None) => format!("{}\n", check::to_json(&report)),
        (Format::Json, Some(p)) => format!("{}\n", p.annotate(check::to_json(&report))),
        (Format::Table, None) => check::to_table(&resolved, &report),
        (Format::Table, Some(p)) => {
            let names: Vec<&str> = report.engines.iter().map(|e| e.engine.as_str()).collect();
            p.header(&names) + &check::to_table(&resolved, &report)
        }
    };
    Ok(Outcome {
        stdout,
        code: if report.passed() { 0 } else { 1 },
    })
}

fn run_viz(a: VizArgs) -> Result<Outcome, Error> {
    let (dtype, format) = (*a.engine.dtype, a.engine.format);
    let engines = engines::select_for(a.engine.engine.as_str(), dtype)?;
    let limit = a.engine.memory.limit();
    budget::precheck("viz", a.net.layers.as_deref(), engines.len(), limit)?;
    let resolved = a.net.resolve()?;
    let (w, rows) = (resolved.network.spec().widths(), resolved.batch.len());
    let hint = "use fewer examples, narrower layers or fewer engines";
    let peak = budget::trace(w, rows, engines.len()).peak;
    budget::check("viz", peak, limit, hint)?;
    let trace = bplab_viz::Trace::run(&engines, &resolved, dtype)?;
    let mut stdout = match format {
        Format::Json => format!("{}\n", bplab_viz::json::to_json(&trace)),
        Format::Table => bplab_viz::term::render(&trace, a.color.enabled()),
    };
    if let Some(path) = &a.html {
        let page = bplab_viz::html::page(&bplab_viz::json::to_json(&trace));
        std::fs::write(path, page)
            .map_err(|e| Error::file(path, "cannot write the HTML page", &e))?;
        if format == Format::Table {
            stdout.push_str(&format!("\nwrote {}\n", path.display()));
        }
    }
    Ok(Outcome { stdout, code: 0 })
}
