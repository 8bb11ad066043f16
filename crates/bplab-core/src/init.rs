//! Weight initialisation schemes ([`Init`]) drawn from the portable [`Rng`]: same seed →
//! bit-identical weights on every machine and for every engine. Biases start at zero; a
//! norm's `γ` at one and `β` at zero (no draw, so the weights do not depend on the norm).
//!
//! For a layer `W: [n_out, n_in]`:
//! - `normal:σ`: `N(0, σ²)` (`normal:1` is the naive scheme)
//! - `lecun-normal`: `N(0, 1/n_in)` (the source lesson calls this "Xavier")
//! - `xavier-normal`: `N(0, 2/(n_in + n_out))`; `xavier-uniform`: `U(±√(6/(n_in + n_out)))`
//! - `he-normal`: `N(0, 2/n_in)`; `he-uniform`: `U(±√(6/n_in))`
//! - `orthogonal`: the `Q` of a Gaussian matrix's QR decomposition, signs fixed so `diag R > 0`
//! - `zeros`: every weight 0 (symmetry is never broken)

use crate::error::{Error, Result};
use crate::norm::{beta_name, gamma_name};
use crate::params::ParamSet;
use crate::rng::Rng;
use crate::spec::{bias_name, weight_name, NetSpec};
use crate::tensor::Tensor;
use std::fmt;
use std::str::FromStr;

/// A weight initialisation scheme.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    Zeros,
    Normal(f64),
    LecunNormal,
    XavierNormal,
    XavierUniform,
    HeNormal,
    HeUniform,
    Orthogonal,
}

impl Init {
    /// Every named scheme (with `normal:1` and `normal:0.01` as the two normal examples).
    pub const ALL: [Init; 9] = [
        Init::Normal(1.0),
        Init::Normal(0.01),
        Init::LecunNormal,
        Init::XavierNormal,
        Init::XavierUniform,
        Init::HeNormal,
        Init::HeUniform,
        Init::Orthogonal,
        Init::Zeros,
    ];

    /// Draws every parameter of `spec`: weights by the scheme, biases zero. Tensor `i` (in
    /// `fc1.weight, fc1.bias, …` order) draws from stream `i` of `seed`.
    pub fn params(self, spec: &NetSpec, seed: u64) -> ParamSet {
        let mut entries = Vec::with_capacity(2 * spec.n_layers());
        for l in 0..spec.n_layers() {
            let (n_in, n_out) = spec.layer_dims(l);
            let mut rng = Rng::stream(seed, 2 * l as u64);
            let w = self.weight(n_out, n_in, &mut rng);
            entries.push((
                weight_name(l),
                Tensor {
                    shape: vec![n_out, n_in],
                    data: w,
                },
            ));
            entries.push((bias_name(l), Tensor::zeros(&[n_out])));
            if spec.is_normalized(l) {
                // γ = 1, β = 0, as PyTorch's LayerNorm and BatchNorm start (no draw).
                let ones = Tensor {
                    shape: vec![n_out],
                    data: vec![1.0; n_out],
                };
                entries.push((gamma_name(l), ones));
                entries.push((beta_name(l), Tensor::zeros(&[n_out])));
            }
        }
        ParamSet::from_entries(entries)
    }

    /// One `[n_out, n_in]` weight matrix, row-major.
    pub fn weight(self, n_out: usize, n_in: usize, rng: &mut Rng) -> Vec<f64> {
        let n = n_out * n_in;
        let (fi, fo) = (n_in as f64, n_out as f64);
        let normal = |rng: &mut Rng, sd: f64| (0..n).map(|_| sd * rng.normal()).collect();
        let uniform = |rng: &mut Rng, a: f64| (0..n).map(|_| rng.uniform_in(-a, a)).collect();
        match self {
            Init::Zeros => vec![0.0; n],
            Init::Normal(sd) => normal(rng, sd),
            Init::LecunNormal => normal(rng, (1.0 / fi).sqrt()),
            Init::XavierNormal => normal(rng, (2.0 / (fi + fo)).sqrt()),
            Init::XavierUniform => uniform(rng, (6.0 / (fi + fo)).sqrt()),
            Init::HeNormal => normal(rng, (2.0 / fi).sqrt()),
            Init::HeUniform => uniform(rng, (6.0 / fi).sqrt()),
            Init::Orthogonal => orthogonal(n_out, n_in, rng),
        }
    }
}

/// `[rows, cols]` with orthonormal rows (rows ≤ cols) or columns (rows ≥ cols): modified
/// Gram–Schmidt on the columns of a tall Gaussian matrix, which yields the QR factor `Q` with
/// a positive diagonal of `R` (PyTorch's `orthogonal_` with gain 1).
fn orthogonal(rows: usize, cols: usize, rng: &mut Rng) -> Vec<f64> {
    let (tall, short) = (rows.max(cols), rows.min(cols));
    // q[j] is column j of the tall (tall × short) matrix.
    let mut q: Vec<Vec<f64>> = vec![vec![0.0; tall]; short];
    for i in 0..tall {
        for col in q.iter_mut() {
            col[i] = rng.normal();
        }
    }
    for j in 0..short {
        for k in 0..j {
            let (done, rest) = q.split_at_mut(j);
            let dot: f64 = done[k].iter().zip(&rest[0]).map(|(a, b)| a * b).sum();
            for (v, u) in rest[0].iter_mut().zip(&done[k]) {
                *v -= dot * u;
            }
        }
        let norm = q[j].iter().map(|v| v * v).sum::<f64>().sqrt();
        for v in q[j].iter_mut() {
            *v /= norm;
        }
    }
    let mut out = vec![0.0; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            // Tall case: W[r][c] = Q[r][c]; wide case: W = Qᵀ.
            out[r * cols + c] = if rows >= cols { q[c][r] } else { q[r][c] };
        }
    }
    out
}

impl fmt::Display for Init {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Init::Zeros => f.write_str("zeros"),
            Init::Normal(s) => write!(f, "normal:{s}"),
            Init::LecunNormal => f.write_str("lecun-normal"),
            Init::XavierNormal => f.write_str("xavier-normal"),
            Init::XavierUniform => f.write_str("xavier-uniform"),
            Init::HeNormal => f.write_str("he-normal"),
            Init::HeUniform => f.write_str("he-uniform"),
            Init::Orthogonal => f.write_str("orthogonal"),
        }
    }
}

impl FromStr for Init {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        if let Some(sd) = s.strip_prefix("normal:") {
            return match sd.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(Init::Normal(v)),
                _ => Err(Error::Parse(format!(
                    "--init: '{s}' needs a finite standard deviation ≥ 0 after 'normal:'"
                ))),
            };
        }
        Ok(match s {
            "zeros" => Init::Zeros,
            "lecun-normal" => Init::LecunNormal,
            "xavier-normal" => Init::XavierNormal,
            "xavier-uniform" => Init::XavierUniform,
            "he-normal" => Init::HeNormal,
            "he-uniform" => Init::HeUniform,
            "orthogonal" => Init::Orthogonal,
            _ => {
                return Err(Error::Parse(format!(
                    "--init: unknown scheme '{s}' (expected zeros, normal:SIGMA, lecun-normal, xavier-normal, xavier-uniform, he-normal, he-uniform, orthogonal)"
                )))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Activation, Loss};

    fn spec(widths: Vec<usize>) -> NetSpec {
        let n = widths.len() - 1;
        NetSpec::new(widths, vec![Activation::Tanh; n], Loss::Mse, false).unwrap()
    }

    #[test]
    fn names_round_trip() {
        for init in Init::ALL {
            assert_eq!(init.to_string().parse::<Init>().unwrap(), init);
        }
        assert!("normal:-1".parse::<Init>().is_err());
        assert!("glorot".parse::<Init>().is_err());
    }

    #[test]
    fn same_seed_same_bits_and_layers_are_independent() {
        let a = Init::HeNormal.params(&spec(vec![4, 5, 3]), 42);
        let b = Init::HeNormal.params(&spec(vec![4, 5, 3, 7]), 42);
        assert_eq!(a.weight(0), b.weight(0));
        assert_eq!(a.weight(1), b.weight(1));
        assert_ne!(a, Init::HeNormal.params(&spec(vec![4, 5, 3]), 43));
    }

    #[test]
    fn variances_match_the_schemes() {
        let (n_in, n_out) = (400, 300);
        let s = spec(vec![n_in, n_out]);
        let var = |init: Init| {
            let p = init.params(&s, 1);
            let w = &p.weight(0).data;
            w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64
        };
        let close =
            |got: f64, want: f64| assert!((got / want - 1.0).abs() < 0.03, "{got} vs {want}");
        close(var(Init::LecunNormal), 1.0 / 400.0);
        close(var(Init::HeNormal), 2.0 / 400.0);
        close(var(Init::HeUniform), 2.0 / 400.0);
        close(var(Init::XavierNormal), 2.0 / 700.0);
        close(var(Init::XavierUniform), 2.0 / 700.0);
        close(var(Init::Normal(0.5)), 0.25);
        assert_eq!(var(Init::Zeros), 0.0);
    }

    #[test]
    fn orthogonal_is_orthonormal_both_ways() {
        for (rows, cols) in [(6, 3), (3, 6), (5, 5)] {
            let w = orthogonal(rows, cols, &mut Rng::new(3));
            let (n, m, row_major) = if rows >= cols {
                (cols, rows, false)
            } else {
                (rows, cols, true)
            };
            for a in 0..n {
                for b in 0..n {
                    let dot: f64 = (0..m)
                        .map(|k| {
                            let (x, y) = if row_major {
                                (w[a * cols + k], w[b * cols + k])
                            } else {
                                (w[k * cols + a], w[k * cols + b])
                            };
                            x * y
                        })
                        .sum();
                    let want = if a == b { 1.0 } else { 0.0 };
                    assert!((dot - want).abs() < 1e-12, "{rows}x{cols}: {dot}");
                }
            }
        }
    }
}
