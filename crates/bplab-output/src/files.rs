//! Writing an experiment's results: CSV tables and JSON documents whose non-finite values
//! survive a round trip (`NaN`, `inf`, `-inf` — in CSV as Rust prints and parses them, in
//! JSON as the strings of [`bplab_core::json::number`]), and SVG plots, all under one
//! output directory created on demand.

use crate::Plot;
use bplab_core::{Error, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A CSV cell for a number: the shortest text that parses back to the same `f64`
/// (`NaN`, `inf`, `-inf` for non-finite values; `str::parse::<f64>` reads all three).
pub fn num(v: f64) -> String {
    format!("{v}")
}

/// Reads a CSV cell written by [`num`].
pub fn parse_num(s: &str) -> Option<f64> {
    s.trim().parse().ok()
}

/// A CSV table: a header and rows of cells (cells with `,` or `"` are quoted).
#[derive(Debug, Clone, Default)]
pub struct Csv {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Csv {
    /// An empty table with this header.
    pub fn new(header: &[&str]) -> Self {
        Csv {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The CSV text.
    pub fn render(&self) -> String {
        let cell = |s: &String| {
            if s.contains(',') || s.contains('"') {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.clone()
            }
        };
        let mut out = String::new();
        for r in std::iter::once(&self.header).chain(&self.rows) {
            out.push_str(&r.iter().map(cell).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
        out
    }
}

/// An experiment's output directory.
pub struct OutDir {
    dir: PathBuf,
    written: Vec<PathBuf>,
}

impl OutDir {
    /// `dir` (created on the first write).
    pub fn new(dir: &Path) -> Self {
        OutDir {
            dir: dir.to_path_buf(),
            written: Vec::new(),
        }
    }

    fn write(&mut self, name: &str, text: &str) -> Result<()> {
        let path = self.dir.join(name);
        let err = |e: std::io::Error| Error::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(&self.dir).map_err(err)?;
        std::fs::write(&path, text).map_err(err)?;
        self.written.push(path);
        Ok(())
    }

    /// Writes `NAME.csv`.
    pub fn csv(&mut self, name: &str, csv: &Csv) -> Result<()> {
        self.write(&format!("{name}.csv"), &csv.render())
    }

    /// Writes `NAME.json` (pretty-printed).
    pub fn json(&mut self, name: &str, v: &Value) -> Result<()> {
        let text = serde_json::to_string_pretty(v).map_err(|e| Error::Parse(e.to_string()))?;
        self.write(&format!("{name}.json"), &(text + "\n"))
    }

    /// Writes every plot as `NAME.svg`.
    pub fn plots(&mut self, plots: &[Plot]) -> Result<()> {
        for p in plots {
            self.write(&format!("{}.svg", p.name), &p.svg)?;
        }
        Ok(())
    }

    /// Every file written so far.
    pub fn files(self) -> Vec<PathBuf> {
        self.written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bplab_core::json::{number, parse_number};

    #[test]
    fn non_finite_values_round_trip_through_csv_and_json() {
        for v in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.1,
            -3e-300,
            1.0 / 3.0,
        ] {
            let back = parse_num(&num(v)).unwrap();
            assert!(
                back.to_bits() == v.to_bits() || (v.is_nan() && back.is_nan()),
                "{v}"
            );
            let text = serde_json::to_string(&number(v)).unwrap();
            let json: Value = serde_json::from_str(&text).unwrap();
            let back = parse_number(&json).unwrap();
            assert!(
                back.to_bits() == v.to_bits() || (v.is_nan() && back.is_nan()),
                "{v}"
            );
        }
        let mut csv = Csv::new(&["a", "b"]);
        csv.row(vec![num(f64::NAN), "x,y".into()]);
        assert_eq!(csv.render(), "a,b\nNaN,\"x,y\"\n");
    }
}
