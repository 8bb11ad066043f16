//! Running the `bplab` binary from a test: its exit status, stdout and stderr, and the
//! usage-error contract (exit 2, nothing on stdout, one line on stderr naming the problem).

use std::process::Command;

/// Runs `bplab args` with the progress bar off: `(exit status, stdout, stderr)`.
pub fn bplab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bplab"))
        .args(args)
        .env("BPLAB_QUIET", "1")
        .output()
        .unwrap();
    (
        out.status.code().expect("exited, not killed"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts exit 2, empty stdout, exactly one stderr line containing every `needle`.
#[track_caller]
pub fn assert_usage_error(args: &[&str], needles: &[&str]) {
    let (code, stdout, stderr) = bplab(args);
    assert_eq!(code, 2, "{args:?}: stderr {stderr}");
    assert!(stdout.is_empty(), "{args:?}: stdout {stdout}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{args:?}: '{n}' not in {stderr}");
    }
}
