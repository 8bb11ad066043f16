//! The flags of `bplab lesson`: which engines cross-check the manual engine (`--engine`,
//! default all), the output format (`--format table|json`), the prose's language (`--lang
//! en|bn`) and where to write practice task 2's weights (`--params-out FILE`). The network,
//! the example and the learning rate are the lesson's own and are not flags.

use bplab_harness::flags::EngineFlag;
use bplab_output::table::Format;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// The language of the walkthrough's prose; formulas and numbers are the same in both.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Bengali, the lesson's own language (in its own mix of Bengali and English terms).
    Bn,
}

impl Lang {
    /// `en` or `bn`, whichever this language is.
    pub fn pick(self, en: &'static str, bn: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Bn => bn,
        }
    }
}

/// `bplab lesson [--engine NAME] [--format table|json]`.
#[derive(Args, Debug, Clone)]
pub struct LessonArgs {
    #[command(flatten)]
    pub engine: EngineFlag,
    /// table (default) or json.
    #[arg(long, value_enum, default_value_t = Format::Table, value_name = "FORMAT")]
    pub format: Format,
    /// Language of the prose: en (default) or bn (the lesson's Bengali).
    #[arg(long, value_enum, default_value_t = Lang::En, value_name = "LANG")]
    pub lang: Lang,
    /// Write practice task 2's network (fc1/fc2 weight and bias, f64, PyTorch naming) as a
    /// safetensors file, to reproduce the task in NumPy.
    #[arg(long, value_name = "FILE")]
    pub params_out: Option<PathBuf>,
}

/// The lesson's learning rate (`lr = 0.1`).
pub const LR: f64 = 0.1;

/// Practice task 2's init scheme and seed: the lesson's `randn(...) * 0.5`, seed 42.
pub const PRACTICE_2_SEED: u64 = 42;
/// Practice task 2's standard deviation.
pub const PRACTICE_2_SIGMA: f64 = 0.5;

#[cfg(test)]
mod tests {
    use super::*;
    use bplab_core::ParamSet;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        lesson: LessonArgs,
    }

    /// `--params-out` writes practice task 2's network, which loads back as the same
    /// `[5, 2]` and `[1, 5]` weights the walkthrough prints.
    #[test]
    fn params_out_writes_task2s_weights() {
        let path =
            std::env::temp_dir().join(format!("bplab-task2-{}.safetensors", std::process::id()));
        let cli = Cli::try_parse_from([
            "lesson",
            "--engine",
            "manual",
            "--lang",
            "bn",
            "--params-out",
            path.to_str().unwrap(),
        ])
        .unwrap();
        assert_eq!(cli.lesson.lang, Lang::Bn);
        let (out, code) = crate::run(cli.lesson).unwrap();
        assert_eq!(code, 0, "{out}");
        let got = ParamSet::load(&path).unwrap();
        let want = crate::practice::task2_network().unwrap();
        assert_eq!(got.weight(0).shape, vec![5, 2]);
        assert_eq!(got.weight(1).shape, vec![1, 5]);
        assert_eq!(got.weight(0).data, want.params().weight(0).data);
        assert_eq!(got.weight(1).data, want.params().weight(1).data);
        std::fs::remove_file(&path).unwrap();
        assert!(Cli::try_parse_from(["lesson", "--lang", "fr"]).is_err());
    }
}
