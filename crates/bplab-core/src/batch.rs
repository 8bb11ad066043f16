//! [`Batch`]: inputs `x` `(B, n_in)` and targets `y` `(B, n_out)`, from a JSON file
//! (`{"x": [[…]], "y": [[…]]}`) or the inline `--input "1,2;3,4" --target "0,1;1,0"` form,
//! checked against the network (widths, non-empty, finite values).

use crate::error::{Error, Result};
use crate::spec::{Loss, NetSpec};
use crate::tensor::Tensor;
use serde::Deserialize;
use std::path::Path;

/// Largest accepted number of examples in one batch.
pub const MAX_BATCH: usize = 1 << 20;

/// A batch of examples, one row each.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Inputs, shape `(B, n_in)`.
    pub x: Tensor,
    /// Targets, shape `(B, n_out)`: probabilities for cross-entropy, values for mse.
    pub y: Tensor,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchFile {
    x: Vec<Vec<f64>>,
    y: Vec<Vec<f64>>,
}

/// Largest batch file read (`--batch`): 256 MiB of JSON.
pub const MAX_FILE: u64 = 256 << 20;

impl Batch {
    /// Builds a batch from rows, checking that they are rectangular and non-empty.
    pub fn from_rows(x: Vec<Vec<f64>>, y: Vec<Vec<f64>>) -> Result<Self> {
        if x.is_empty() {
            return Err(Error::Batch("the batch is empty (no input rows)".into()));
        }
        if x.len() != y.len() {
            return Err(Error::Batch(format!(
                "{} input rows but {} target rows",
                x.len(),
                y.len()
            )));
        }
        if x.len() > MAX_BATCH {
            return Err(Error::Batch(format!(
                "{} examples is more than the limit of {MAX_BATCH}",
                x.len()
            )));
        }
        Ok(Batch {
            x: rows_to_tensor("input", x)?,
            y: rows_to_tensor("target", y)?,
        })
    }

    /// Parses the JSON form `{"x": [[…], …], "y": [[…], …]}`.
    pub fn from_json(text: &str, origin: &str) -> Result<Self> {
        let f: BatchFile = serde_json::from_str(text)
            .map_err(|e| Error::Batch(format!("{origin}: malformed batch JSON ({e})")))?;
        Self::from_rows(f.x, f.y)
    }

    /// Reads the JSON form from a file.
    pub fn load(path: &Path) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(|e| Error::file(path, "cannot read", &e))?;
        if !meta.is_file() || meta.len() > MAX_FILE {
            return Err(Error::File {
                path: path.display().to_string(),
                reason: format!(
                    "a batch must be a regular JSON file of at most {MAX_FILE} bytes ({})",
                    if meta.is_file() {
                        format!("this one has {}", meta.len())
                    } else {
                        "this is not a regular file".into()
                    }
                ),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::File {
            path: path.display().to_string(),
            reason: format!("cannot read ({e})"),
        })?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// Parses the inline form: rows separated by `;`, values by `,`.
    pub fn from_inline(input: &str, target: &str) -> Result<Self> {
        Self::from_rows(
            parse_rows("--input", input)?,
            parse_rows("--target", target)?,
        )
    }

    /// Number of examples `B`.
    pub fn len(&self) -> usize {
        self.x.shape[0]
    }

    /// True when the batch has no example (never, for a constructed batch).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks widths and values against the network: `x` rows of width `n_in`, `y` rows of
    /// width `n_out`, every value finite, cross-entropy targets non-negative rows summing to 1
    /// (within 1e-9).
    pub fn validate(&self, spec: &NetSpec) -> Result<()> {
        if self.x.shape[1] != spec.n_in() {
            return Err(Error::Batch(format!(
                "input rows have {} values, the network takes {}",
                self.x.shape[1],
                spec.n_in()
            )));
        }
        if self.y.shape[1] != spec.n_out() {
            return Err(Error::Batch(format!(
                "target rows have {} values, the network outputs {}",
                self.y.shape[1],
                spec.n_out()
            )));
        }
        for (what, t) in [("input", &self.x), ("target", &self.y)] {
            if let Some(i) = t.data.iter().position(|v| !v.is_finite()) {
                let idx = t.index_of(i);
                return Err(Error::Batch(format!(
                    "{what} row {} column {} is {} (values must be finite)",
                    idx[0], idx[1], t.data[i]
                )));
            }
        }
        if spec.loss() == Loss::CrossEntropy {
            if let Some(i) = self.y.data.iter().position(|&v| v < 0.0) {
                let idx = self.y.index_of(i);
                return Err(Error::Batch(format!(
                    "target row {} column {} is {}: cross-entropy targets are probabilities (≥ 0)",
                    idx[0], idx[1], self.y.data[i]
                )));
            }
            // Each row a distribution: its sum is 1 within 1e-9.
            for (r, row) in self.y.data.chunks(self.y.shape[1].max(1)).enumerate() {
                let sum: f64 = row.iter().sum();
                if (sum - 1.0).abs() > 1e-9 {
                    return Err(Error::Batch(format!(
                        "target row {r} sums to {sum}: cross-entropy targets are probability distributions (each row sums to 1 within 1e-9)"
                    )));
                }
            }
        }
        if spec.norm() == crate::norm::Norm::Batch
            && self.len() < 2
            && (0..spec.n_layers()).any(|l| spec.is_normalized(l))
        {
            return Err(Error::Batch(format!(
                "--norm batch needs at least 2 examples per batch, got {} (batch statistics of one example are undefined, as in PyTorch's batch_norm)",
                self.len()
            )));
        }
        Ok(())
    }

    /// The same batch rounded to `f32` values.
    pub fn rounded_to_f32(&self) -> Self {
        Batch {
            x: self.x.rounded_to_f32(),
            y: self.y.rounded_to_f32(),
        }
    }
}

fn rows_to_tensor(what: &str, rows: Vec<Vec<f64>>) -> Result<Tensor> {
    let width = rows[0].len();
    if width == 0 {
        return Err(Error::Batch(format!("{what} row 0 is empty")));
    }
    if let Some(r) = rows.iter().position(|r| r.len() != width) {
        return Err(Error::Batch(format!(
            "{what} row {r} has {} values, row 0 has {width}",
            rows[r].len()
        )));
    }
    let b = rows.len();
    Tensor::new(vec![b, width], rows.into_iter().flatten().collect())
}

fn parse_rows(flag: &str, s: &str) -> Result<Vec<Vec<f64>>> {
    if s.trim().is_empty() {
        return Err(Error::Batch(format!("{flag} is empty")));
    }
    s.split(';')
        .map(|row| {
            row.split(',')
                .map(|v| {
                    v.trim().parse::<f64>().map_err(|_| {
                        Error::Parse(format!("{flag}: '{}' is not a number", v.trim()))
                    })
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Activation;

    fn spec() -> NetSpec {
        NetSpec::new(
            vec![2, 3, 1],
            vec![Activation::Sigmoid; 2],
            Loss::Mse,
            false,
        )
        .unwrap()
    }

    #[test]
    fn inline_and_json_agree() {
        let a = Batch::from_inline("1,2;-1,1", "0.5;0.8").unwrap();
        let b = Batch::from_json(r#"{"x": [[1, 2], [-1, 1]], "y": [[0.5], [0.8]]}"#, "t").unwrap();
        assert_eq!(a, b);
        a.validate(&spec()).unwrap();
        assert_eq!(a.len(), 2);
    }

    #[test]
    fn bad_batches_are_named() {
        let s = spec();
        let e = Batch::from_inline("1,2,3", "0.5")
            .unwrap()
            .validate(&s)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "batch: input rows have 3 values, the network takes 2"
        );
        let e = Batch::from_inline("1,2;3", "0.5;0.5").unwrap_err();
        assert_eq!(
            e.to_string(),
            "batch: input row 1 has 1 values, row 0 has 2"
        );
        let e = Batch::from_inline("1,NaN", "0.5")
            .unwrap()
            .validate(&s)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "batch: input row 0 column 1 is NaN (values must be finite)"
        );
        let e = Batch::from_json(r#"{"x": [], "y": []}"#, "t").unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
        let e = Batch::from_json(r#"{"x": [[1, 2]], "y": [[0.5]"#, "f.json").unwrap_err();
        assert!(
            e.to_string().contains("f.json: malformed batch JSON"),
            "{e}"
        );
        let e = Batch::from_inline("1,x", "0.5").unwrap_err();
        assert_eq!(e.to_string(), "--input: 'x' is not a number");
    }
}
