//! The memory budget: before a command or a served request allocates from the user's sizes,
//! it estimates the bytes it will hold at its peak (and, for a served trace, the bytes of
//! its response) from the network's widths, the batch's rows and the number of engines,
//! and refuses with one line naming the estimate and the limit when it does not fit
//! (`--max-memory`, default half of the physical memory for the command line). Files are
//! size-checked from their metadata before they are read ([`file_size`]).
//!
//! The estimate counts f64 values: a pass holds the parameters and their gradients (`2P`),
//! the batch (`B·(n_in + n_out)`) and per layer `z`, `h`, `δ` and the engine's own work
//! (`4·B·Σ n_l`); a framework's tape and temporaries are covered by [`ENGINE_OVERHEAD`]. A
//! served trace also holds its JSON tree ([`JSON_VALUE_BYTES`] per number) and its text
//! ([`JSON_TEXT_BYTES`] per number). The constants are measured upper bounds: `bplab viz
//! --engine all --format json` of a 1000-998-1 network on 256 examples peaks at 2.52 GB
//! resident (estimate 2.7 GB), 300-300-300-1 on 256 at 730 MB (estimate 790 MB); the
//! `the_estimate_bounds_a_served_traces_memory` test compares a served trace's growth in
//! peak resident memory with its estimate.
//!
//! ```
//! use bplab_harness::budget;
//! let e = budget::trace(&[2, 3, 1], 1, 1);
//! assert!(e.peak > e.response && e.response > 0);
//! assert_eq!(budget::parse_size("2G"), Ok(2 << 30));
//! ```

use bplab_core::{Error, Result};
use clap::Args;
use std::path::Path;

/// Bytes one engine holds per f64 value of a pass, framework tape and temporaries included.
pub const ENGINE_OVERHEAD: u64 = 8 * 4;
/// Bytes every computation holds whatever its sizes (the engines' thread pools and
/// allocator arenas, warmed on first use).
pub const FIXED: u64 = 32 << 20;
/// Bytes of the JSON tree (`serde_json::Value` in its array) per number.
pub const JSON_VALUE_BYTES: u64 = 112;
/// Bytes of JSON text per number (`-0.12345678901234567,`).
pub const JSON_TEXT_BYTES: u64 = 26;

/// A peak and a response size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// The most bytes held at once.
    pub peak: u64,
    /// The bytes of the answer (the JSON text); 0 when nothing is returned.
    pub response: u64,
}

fn sat(x: u128) -> u64 {
    u64::try_from(x).unwrap_or(u64::MAX)
}

/// `(P, Σ n_l over the Linear layers)` of `widths` (saturating).
fn sizes(widths: &[usize]) -> (u128, u128) {
    let p = widths.windows(2).fold(0u128, |acc, w| {
        let layer = (w[0] as u128).saturating_mul(w[1] as u128);
        acc.saturating_add(layer.saturating_add(w[1] as u128))
    });
    let units = widths
        .iter()
        .skip(1)
        .fold(0u128, |acc, &w| acc.saturating_add(w as u128));
    (p, units)
}

/// `n_in + n_out`.
fn ends(widths: &[usize]) -> u128 {
    let first = widths.first().copied().unwrap_or(0) as u128;
    first + widths.last().copied().unwrap_or(0) as u128
}

/// f64 values one engine's forward and backward pass holds: `2P + B·(n_in + n_out) + 4·B·Σ n_l`.
pub fn pass_values(widths: &[usize], rows: usize) -> u128 {
    let (p, units) = sizes(widths);
    let b = rows as u128;
    p.saturating_mul(2)
        .saturating_add(b.saturating_mul(ends(widths)))
        .saturating_add(b.saturating_mul(units).saturating_mul(4))
}

/// Peak bytes of one pass on each of `engines` engines, run one after another and kept
/// (`bplab grads`, `check`'s analytic side, training).
pub fn grads(widths: &[usize], rows: usize, engines: usize) -> u64 {
    let v = pass_values(widths, rows);
    let kept = v.saturating_mul(8 * engines.max(1) as u128);
    let working = v.saturating_mul(ENGINE_OVERHEAD as u128);
    sat(working.saturating_add(kept).saturating_add(FIXED as u128))
}

/// Numbers in a trace's JSON document (`bplab viz --format json`, `POST /api/trace`).
pub fn trace_numbers(widths: &[usize], rows: usize, engines: usize) -> u128 {
    let (p, units) = sizes(widths);
    let b = rows as u128;
    let n_out = widths.last().copied().unwrap_or(0) as u128;
    // params and the batch once; per engine grads twice (by name and per layer), the output
    // and z, h, δ per layer; ∂L/∂h once.
    let bu = b.saturating_mul(units);
    let per_engine = p
        .saturating_mul(2)
        .saturating_add(b.saturating_mul(n_out))
        .saturating_add(bu.saturating_mul(3));
    p.saturating_add(b.saturating_mul(ends(widths)))
        .saturating_add(per_engine.saturating_mul(engines.max(1) as u128))
        .saturating_add(bu)
}

/// A trace of every engine: the passes, then the JSON tree and its text.
pub fn trace(widths: &[usize], rows: usize, engines: usize) -> Estimate {
    let numbers = trace_numbers(widths, rows, engines);
    let passes = grads(widths, rows, engines) as u128;
    Estimate {
        peak: sat(passes
            .saturating_add(numbers.saturating_mul((JSON_VALUE_BYTES + JSON_TEXT_BYTES) as u128))),
        response: sat(numbers.saturating_mul(JSON_TEXT_BYTES as u128)),
    }
}

/// Refuses `estimate` bytes above `limit` with one line: `what needs an estimated 2.1 GiB,
/// more than the memory limit of 1.0 GiB (--max-memory); use …`.
pub fn check(what: &str, estimate: u64, limit: u64, hint: &str) -> Result<()> {
    if estimate <= limit {
        return Ok(());
    }
    Err(Error::Parse(format!(
        "{what} needs an estimated {}, more than the memory limit of {} (--max-memory); {hint}",
        human(estimate),
        human(limit)
    )))
}

/// `1.5 GiB`, `640.0 KiB`, `12 B`.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// `4096`, `512K`, `300M`, `2G`, `1.5GiB`, `1T` (binary units) → bytes.
pub fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("'{s}' is not a size (e.g. 512M, 2G)")),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size (e.g. 512M, 2G)"))?;
    let bytes = v * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes >= u64::MAX as f64 {
        return Err(format!("'{s}' must be at least 1 byte"));
    }
    Ok(bytes as u64)
}

/// The machine's physical memory (`MemTotal` of `/proc/meminfo`), if it can be read.
pub fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// `numerator/denominator` of the physical memory (4 GiB assumed when unknown).
pub fn fraction_of_memory(numerator: u64, denominator: u64) -> u64 {
    physical_memory().unwrap_or(4 << 30) / denominator.max(1) * numerator
}

/// `--max-memory SIZE`: the most bytes a command may plan to hold.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct MemoryFlag {
    /// Most memory a command may plan to use, e.g. 512M, 4G (default: half of physical
    /// memory); a larger estimate is refused before anything is allocated.
    #[arg(long = "max-memory", value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
}

impl MemoryFlag {
    /// The limit in bytes.
    pub fn limit(&self) -> u64 {
        self.max_memory.unwrap_or_else(|| fraction_of_memory(1, 2))
    }
}

/// Refuses, before anything is resolved, a network whose parameters alone (one example,
/// `engines` engines) exceed `limit`; `widths` are the `--layers` given, if any.
pub fn precheck(what: &str, widths: Option<&[usize]>, engines: usize, limit: u64) -> Result<()> {
    match widths {
        Some(w) => check(what, grads(w, 1, engines), limit, "use narrower layers"),
        None => Ok(()),
    }
}

/// The size of the file at `path` from its metadata, refused above `max` bytes (or when it
/// is not a regular file, like `/dev/zero`) before a byte is read.
pub fn file_size(path: &Path, max: u64, what: &str) -> Result<u64> {
    let meta = std::fs::metadata(path).map_err(|e| Error::file(path, "cannot read", &e))?;
    if !meta.is_file() {
        return Err(Error::File {
            path: path.display().to_string(),
            reason: format!(
                "not a regular file; {what} must be a file of at most {}",
                human(max)
            ),
        });
    }
    if meta.len() > max {
        return Err(Error::File {
            path: path.display().to_string(),
            reason: format!(
                "{} is more than the limit of {} for {what}",
                human(meta.len()),
                human(max)
            ),
        });
    }
    Ok(meta.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert!(parse_size("lots").unwrap_err().contains("not a size"));
        assert!(parse_size("0").is_err());
        assert_eq!(human(3 << 29), "1.5 GiB");
    }

    #[test]
    fn the_estimate_grows_with_every_size_and_never_overflows() {
        let small = trace(&[4, 5, 2], 8, 1);
        assert!(trace(&[4, 50, 2], 8, 1).peak > small.peak);
        assert!(trace(&[4, 5, 2], 80, 1).peak > small.peak);
        assert!(trace(&[4, 5, 2], 8, 5).response > small.response);
        assert_eq!(
            trace(&[usize::MAX, usize::MAX], usize::MAX, 9).peak,
            u64::MAX
        );
        let e = check("grads", 3 << 30, 1 << 30, "use fewer examples").unwrap_err();
        assert_eq!(
            e.to_string(),
            "grads needs an estimated 3.0 GiB, more than the memory limit of 1.0 GiB (--max-memory); use fewer examples"
        );
    }
}
