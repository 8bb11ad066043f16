//! The command line of `bplab experiment NAME`: one subcommand per experiment, each built
//! from its own `Args` (in its `config.rs`, from the shared groups of [`crate::flags`]).
//! A flag left out keeps the documented default, `--quick` starts from the small setting
//! instead; the files go under `--out DIR` (default `results/NAME/`).

use super::{clip, init, norm, residual, train};
use bplab_core::Result;
use bplab_output::Outcome;
use clap::{Args, Subcommand};

#[derive(Subcommand, Debug)]
pub enum ExperimentCommand {
    /// Gradient flow at initialisation: schemes × activations × depths.
    Init(init::InitArgs),
    /// Plain vs residual networks: gradients at init and training loss.
    Residual(residual::ResidualArgs),
    /// Normalization (LayerNorm, BatchNorm) vs plain and residual: gradients, activation
    /// scale at init, training loss and test accuracy.
    Norm(norm::NormArgs),
    /// Exploding gradients trained with each clipping rule.
    Clip(clip::ClipArgs),
    /// The assignment network trained on Iris; loss trajectories compared across engines.
    Train(train::TrainArgs),
}

#[derive(Args, Debug)]
pub struct ExperimentArgs {
    #[command(subcommand)]
    pub command: ExperimentCommand,
}

/// Runs the experiment named by `a`; returns its outcome.
pub fn run(a: ExperimentArgs) -> Result<Outcome> {
    match a.command {
        ExperimentCommand::Init(x) => {
            let c = &x.common;
            init::run(&x.config(), c.engine.as_str(), &c.out_dir("init"))
        }
        ExperimentCommand::Residual(x) => {
            let c = &x.common;
            residual::run(&x.config(), c.engine.as_str(), &c.out_dir("residual"))
        }
        ExperimentCommand::Norm(x) => {
            let c = &x.common;
            norm::run(&x.config(), c.engine.as_str(), &c.out_dir("norm"))
        }
        ExperimentCommand::Clip(x) => {
            let c = &x.common;
            clip::run(&x.config(), c.engine.as_str(), &c.out_dir("clip"))
        }
        ExperimentCommand::Train(x) => {
            let c = &x.common;
            train::run(&x.config(), c.engine.as_str(), &c.out_dir("train"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bplab_core::{Activation, Clip, DType, Init, Tolerance};
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        a: ExperimentArgs,
    }

    fn parse(args: &[&str]) -> std::result::Result<ExperimentCommand, String> {
        let argv = ["experiment"].iter().chain(args);
        Cli::try_parse_from(argv)
            .map(|c| c.a.command)
            .map_err(|e| e.to_string().lines().next().unwrap_or_default().to_string())
    }

    #[test]
    fn no_flags_is_the_documented_run_and_quick_the_small_one() {
        let ExperimentCommand::Init(a) = parse(&["init"]).unwrap() else {
            panic!()
        };
        assert_eq!(a.config(), init::InitConfig::default());
        assert_eq!(a.common.out_dir("init"), crate::default_out("init"));
        let ExperimentCommand::Residual(a) = parse(&["residual", "--quick"]).unwrap() else {
            panic!()
        };
        assert_eq!(a.config(), residual::ResidualConfig::quick());
        let ExperimentCommand::Clip(a) = parse(&["clip"]).unwrap() else {
            panic!()
        };
        assert_eq!(a.config(), clip::ClipConfig::default());
        let ExperimentCommand::Train(a) = parse(&["train", "--quick"]).unwrap() else {
            panic!()
        };
        assert_eq!(a.config(), train::TrainConfig::quick());
        assert_eq!(a.common.engine.as_str(), "all");
    }

    #[test]
    fn every_flag_lands_in_its_field() {
        let ExperimentCommand::Init(a) = parse(&[
            "init",
            "--schemes",
            "normal:1, zeros",
            "--activations",
            "relu,tanh",
            "--depths",
            "2, 5",
            "--width",
            "8",
            "--symmetry-steps",
            "3",
            "--seed",
            "7",
            "--dtype",
            "f32",
        ])
        .unwrap() else {
            panic!()
        };
        let want = init::InitConfig {
            schemes: vec![Init::Normal(1.0), Init::Zeros],
            activations: vec![Activation::Relu, Activation::Tanh],
            depths: vec![2, 5],
            width: 8,
            symmetry_steps: 3,
            seed: 7,
            dtype: DType::F32,
            ..init::InitConfig::default()
        };
        assert_eq!(a.config(), want);
        let ExperimentCommand::Clip(a) = parse(&[
            "clip",
            "--quick",
            "--rules",
            "none, value:0.5",
            "--depth",
            "3",
            "--activation",
            "tanh",
            "--init",
            "he-normal",
            "--steps",
            "5",
            "--lr",
            "0.05",
            "--width",
            "4",
        ])
        .unwrap() else {
            panic!()
        };
        let want = clip::ClipConfig {
            rules: vec![Clip::None, Clip::Value(0.5)],
            depth: 3,
            width: 4,
            activation: Activation::Tanh,
            init: Init::HeNormal,
            steps: 5,
            lr: 0.05,
            ..clip::ClipConfig::quick()
        };
        assert_eq!(a.config(), want);
        let ExperimentCommand::Train(a) = parse(&[
            "train",
            "--epochs",
            "3",
            "--batch-size",
            "5",
            "--dtype",
            "f32",
            "--engine",
            "manual,candle",
            "--out",
            "x",
        ])
        .unwrap() else {
            panic!()
        };
        let want = train::TrainConfig {
            epochs: 3,
            batch_size: 5,
            dtype: DType::F32,
            tolerance: Tolerance::new(1e-5, 1e-3),
            ..train::TrainConfig::default()
        };
        assert_eq!(a.config(), want);
        assert_eq!(a.common.engine.as_str(), "manual,candle");
        assert_eq!(a.common.out_dir("train"), std::path::PathBuf::from("x"));
    }

    #[test]
    fn bad_values_name_the_flag_and_the_rule() {
        for (args, needles) in [
            (&["init", "--depths", "2,0"][..], &["--depths", "'0'"][..]),
            (&["residual", "--width", "1025"], &["--width", "1025"]),
            (&["clip", "--depth", "201"], &["--depth", "201"]),
            (&["residual", "--steps", "100001"], &["--steps"]),
            (&["train", "--lr", "0"], &["--lr", "> 0"]),
            (
                &["clip", "--activation", "softmax"],
                &["--activation", "softmax"],
            ),
            (
                &["init", "--activations", "relu,sofmax"],
                &["--activations", "sofmax"],
            ),
            (&["clip", "--rules", "value:-1"], &["--rules", "--clip"]),
            (&["init", "--schemes", "kaiming"], &["--schemes", "--init"]),
            (&["train", "--dtype", "f16"], &["--dtype", "f16"]),
            (&["train", "--engine", "bogus"], &["--engine", "bogus"]),
        ] {
            let e = parse(args)
                .err()
                .unwrap_or_else(|| panic!("{args:?} accepted"));
            for n in needles {
                assert!(e.contains(n), "{args:?}: '{n}' not in {e}");
            }
        }
    }
}
