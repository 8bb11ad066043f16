//! Inputs within the per-value limits that could not be allocated, or that would be
//! silently wrong, are refused up front with exit 2 and one line: sizes whose memory
//! estimate exceeds `--max-memory`, a parameter file that is not a regular file or whose
//! header names a tensor the network does not have (refused before its data is read), a
//! finite-difference check beyond `--max-fd-evals`, `--residual` without an eligible
//! layer, and cross-entropy targets that are not distributions.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `bplab args`; asserts exit 2 and a one-line stderr containing every needle, fast.
#[track_caller]
fn refused(args: &[&str], needles: &[&str]) -> String {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_bplab"))
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let shown: Vec<&str> = args.iter().map(|a| &a[..a.len().min(40)]).collect();
    assert_eq!(out.status.code(), Some(2), "{shown:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{shown:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "'{n}' not in: {err}");
    }
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "{shown:?} took {:?}",
        t.elapsed()
    );
    eprintln!("{}", err.trim_end());
    err
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bplab-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A batch file of `rows` rows: `n_in` zeros, and targets `[1, 0, …]` (a distribution).
fn batch_file(name: &str, rows: usize, n_in: usize, n_out: usize) -> String {
    let path = temp(name);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let row = |n: usize, first: &str| {
        let mut v = vec!["0"; n];
        v[0] = first;
        format!("[{}]", v.join(","))
    };
    let (x, y) = (row(n_in, "0"), row(n_out, "1"));
    write!(f, "{{\"x\":[").unwrap();
    for r in 0..rows {
        write!(f, "{}{x}", if r == 0 { "" } else { "," }).unwrap();
    }
    write!(f, "],\"y\":[").unwrap();
    for r in 0..rows {
        write!(f, "{}{y}", if r == 0 { "" } else { "," }).unwrap();
    }
    write!(f, "]}}").unwrap();
    f.flush().unwrap();
    path.display().to_string()
}

#[test]
fn sizes_over_the_memory_budget_are_refused_before_allocating() {
    // 2^20 examples through a 65536-wide layer: hundreds of GB.
    let b = batch_file("wide.json", 1 << 20, 1, 1);
    refused(
        &[
            "grads",
            "--layers",
            "1,65536,1",
            "--activations",
            "relu,identity",
            "--batch",
            &b,
        ],
        &["grads needs an estimated", "--max-memory"],
    );
    // A 65536-4095-2 network (under the parameter limit): refused before its weights exist.
    refused(
        &[
            "grads",
            "--layers",
            "65536,4095,2",
            "--activations",
            "relu,identity",
            "--max-memory",
            "8G",
        ],
        &["grads needs an estimated", "8.0 GiB"],
    );
    // The checkpointing lab's deepest network without checkpoints.
    refused(
        &[
            "lab",
            "checkpoint",
            "--depths",
            "1024",
            "--width",
            "256",
            "--batch",
            "4096",
            "--max-memory",
            "8G",
        ],
        &["lab checkpoint needs an estimated", "8.0 GiB"],
    );
    // The visualizer's trace of a million examples.
    let m = batch_file("million.json", 1_000_000, 4, 2);
    refused(
        &["viz", "--batch", &m, "--max-memory", "4G"],
        &["viz needs an estimated", "4.0 GiB"],
    );
}

#[test]
fn parameter_files_are_checked_from_metadata_and_header() {
    refused(
        &["grads", "--preset", "seed-example", "--params", "/dev/zero"],
        &["/dev/zero", "not a regular file"],
    );
    // The seed example's four tensors plus a 512 MB one it does not have: the file is
    // sparse, and refused from its header before a byte of data is read.
    let header = serde_json::json!({
        "fc1.weight": {"dtype": "F64", "shape": [3, 2], "data_offsets": [0, 48]},
        "fc1.bias": {"dtype": "F64", "shape": [3], "data_offsets": [48, 72]},
        "fc2.weight": {"dtype": "F64", "shape": [1, 3], "data_offsets": [72, 96]},
        "fc2.bias": {"dtype": "F64", "shape": [1], "data_offsets": [96, 104]},
        "extra": {"dtype": "F64", "shape": [8192, 8192], "data_offsets": [104, 104 + (512u64 << 20)]},
    })
    .to_string();
    let path = temp("extra.safetensors");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&(header.len() as u64).to_le_bytes()).unwrap();
    f.write_all(header.as_bytes()).unwrap();
    f.set_len(8 + header.len() as u64 + 104 + (512 << 20))
        .unwrap();
    let t = Instant::now();
    refused(
        &[
            "grads",
            "--preset",
            "seed-example",
            "--params",
            &path.display().to_string(),
        ],
        &["unexpected tensor 'extra'", "[8192, 8192]"],
    );
    assert!(t.elapsed() < Duration::from_secs(5));
    // A tensor in a dtype that is not read.
    let bad = serde_json::json!({"fc1.weight": {"dtype": "I64", "shape": [3, 2], "data_offsets": [0, 48]}})
        .to_string();
    let path = temp("i64.safetensors");
    let mut bytes = (bad.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(bad.as_bytes());
    bytes.extend_from_slice(&[0; 48]);
    std::fs::write(&path, bytes).unwrap();
    refused(
        &[
            "grads",
            "--preset",
            "seed-example",
            "--params",
            &path.display().to_string(),
        ],
        &["dtype I64"],
    );
    std::fs::remove_file(temp("extra.safetensors")).unwrap();
}

#[test]
fn a_finite_difference_check_beyond_its_limit_is_refused() {
    let widths = vec!["1"; 1025].join(",");
    let acts = vec!["tanh"; 1024].join(",");
    refused(
        &[
            "check",
            "--layers",
            &widths,
            "--activations",
            &acts,
            "--input",
            "0.5",
            "--target",
            "0.1",
        ],
        &["layer evaluations", "--max-fd-evals"],
    );
}

#[test]
fn silent_no_ops_and_non_distributions_are_refused() {
    refused(
        &[
            "grads",
            "--layers",
            "4,5,3,2",
            "--activations",
            "relu,tanh,softmax",
            "--residual",
        ],
        &["--residual", "widths 4,5,3,2"],
    );
    refused(
        &[
            "grads",
            "--layers",
            "2,2",
            "--activations",
            "softmax",
            "--input",
            "1,2",
            "--target",
            "7,9",
        ],
        &["target row 0 sums to 16"],
    );
    refused(
        &[
            "grads",
            "--layers",
            "2,2",
            "--activations",
            "softmax",
            "--input",
            "1,2;3,4",
            "--target",
            "0.5,0.5;0.2,0.7",
        ],
        &["target row 1 sums to 0.8"],
    );
}
