//! `bplab experiment` and `bplab report` end to end: bad flags are one-line errors with exit
//! status 2, a run writes its files where `--out` says.

use crate::common::cli::{assert_usage_error, bplab};
#[test]
fn bad_experiment_flags_are_one_line_errors() {
    for (args, want) in [
        (&["experiment", "clip", "--rules", "value:-1"][..], "--clip"),
        (&["experiment", "clip", "--rules", "norm:1"][..], "--clip"),
        (&["experiment", "init", "--depths", "0"][..], "--depths"),
        (
            &["experiment", "init", "--schemes", "kaiming"][..],
            "--init",
        ),
        (&["experiment", "train", "--lr", "nan"][..], "--lr"),
        (
            &["experiment", "clip", "--lr", "-1"][..],
            "'-1' is not a finite number > 0",
        ),
        (
            &["experiment", "residual", "--activations", "softmax"][..],
            "softmax",
        ),
        (
            &["experiment", "train", "--engine", "bogus"][..],
            "--engine",
        ),
    ] {
        assert_usage_error(args, &[want]);
    }
}

#[test]
fn an_experiment_writes_csv_json_and_svg_under_out() {
    let out = std::env::temp_dir().join(format!("bplab-exp-cli-{}", std::process::id()));
    let dir = out.to_str().unwrap();
    let (code, stdout, stderr) = bplab(&[
        "experiment",
        "train",
        "--quick",
        "--epochs",
        "3",
        "--engine",
        "candle",
        "--out",
        dir,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("candle") && stdout.contains("manual"),
        "{stdout}"
    );
    for f in ["train.csv", "train.json", "loss.svg", "rel-diff.svg"] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    std::fs::remove_dir_all(&out).unwrap();
}
