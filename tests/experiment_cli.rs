//! `bplab experiment` and `bplab report` end to end: bad flags are one-line errors with exit
//! status 2, a run writes its files where `--out` says.

use std::process::Command;

fn bplab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bplab"))
        .args(args)
        .env("BPLAB_QUIET", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

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
            &["experiment", "residual", "--activations", "softmax"][..],
            "softmax",
        ),
        (
            &["experiment", "train", "--engine", "bogus"][..],
            "--engine",
        ),
    ] {
        let (code, stdout, stderr) = bplab(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
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
