//! Tolerances and tensor comparison reports. Every comparison in the project is
//! `|a − b| ≤ atol + rtol·|b|` with `a` the value under test and `b` the reference, and every
//! report names the tensor, the worst element, both values and the tolerance.

use crate::tensor::Tensor;
use std::fmt;

/// `|a − b| ≤ atol + rtol·|b|`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    pub atol: f64,
    pub rtol: f64,
}

impl Tolerance {
    /// Analytic vs central finite differences, both in f64.
    pub const FD_F64: Tolerance = Tolerance {
        atol: 1e-8,
        rtol: 1e-6,
    };
    /// An f32 engine against f64 finite differences.
    pub const FD_F32: Tolerance = Tolerance {
        atol: 1e-5,
        rtol: 1e-4,
    };
    /// Two f64 computations of the same quantity (engine vs engine, engine vs PyTorch).
    pub const EXACT_F64: Tolerance = Tolerance {
        atol: 1e-12,
        rtol: 1e-9,
    };
    /// Two f32 computations of the same quantity.
    pub const EXACT_F32: Tolerance = Tolerance {
        atol: 1e-5,
        rtol: 1e-4,
    };

    /// Builds a tolerance.
    pub const fn new(atol: f64, rtol: f64) -> Self {
        Tolerance { atol, rtol }
    }

    /// The bound `atol + rtol·|b|`.
    pub fn bound(&self, b: f64) -> f64 {
        self.atol + self.rtol * b.abs()
    }

    /// Whether `a` is within tolerance of the reference `b`. Equal values (infinities of one
    /// sign included) pass; a NaN on either side fails.
    pub fn allows(&self, a: f64, b: f64) -> bool {
        a == b || (a - b).abs() <= self.bound(b)
    }

    /// How far over its bound `a` is: `|a − b| / (atol + rtol·|b|)` (≤ 1 passes; ∞ for NaN).
    pub fn excess(&self, a: f64, b: f64) -> f64 {
        if a == b {
            return 0.0;
        }
        let d = (a - b).abs();
        if d.is_nan() {
            return f64::INFINITY;
        }
        let bound = self.bound(b);
        if bound == 0.0 {
            f64::INFINITY
        } else {
            d / bound
        }
    }
}

impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "|a−b| ≤ {:e} + {:e}·|b|", self.atol, self.rtol)
    }
}

/// The element that is furthest over its bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Worst {
    /// Multi-index in the tensor's shape.
    pub index: Vec<usize>,
    /// The value under test.
    pub got: f64,
    /// The reference value.
    pub want: f64,
    /// Its bound: `atol + rtol·|b|`, or the element's allowance where that is larger.
    pub bound: f64,
}

/// The outcome of comparing one tensor with its reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The tensor's name (`fc1.weight`, `loss`, …).
    pub name: String,
    pub tolerance: Tolerance,
    /// Largest `|a − b|` over checked elements.
    pub max_abs: f64,
    /// Largest `|a − b| / |b|` over checked elements (∞ where `b = 0 ≠ a`).
    pub max_rel: f64,
    /// The element with the largest excess over its bound (None for an empty comparison).
    pub worst: Option<Worst>,
    /// Elements compared.
    pub checked: usize,
    /// Elements skipped (e.g. finite differences across a ReLU kink).
    pub skipped: usize,
    /// Elements over their bound.
    pub failed: usize,
    /// Shapes differed: nothing was compared element-wise.
    pub shape_mismatch: Option<(Vec<usize>, Vec<usize>)>,
    /// What the per-element allowance is, when the comparison has one
    /// ([`Comparison::with_allowance`]).
    pub allowance: Option<&'static str>,
}

impl Comparison {
    /// Compares `got` with the reference `want`, skipping elements where `skip[i]` is true.
    pub fn new(
        name: &str,
        got: &Tensor,
        want: &Tensor,
        tol: Tolerance,
        skip: Option<&[bool]>,
    ) -> Self {
        Self::compare(name, got, want, tol, skip, None)
    }

    /// Like [`Comparison::new`] with a bound of its own for each element, derived from the
    /// computation (e.g. a propagated rounding bound), never tuned: element `i` passes when
    /// `|a − b| ≤ max(atol + rtol·|b|, allowance[i])`. `what` says what the allowance is, for
    /// the report. An allowance of another shape than `want` allows nothing beyond `tol`.
    pub fn with_allowance(
        name: &str,
        got: &Tensor,
        want: &Tensor,
        tol: Tolerance,
        skip: Option<&[bool]>,
        (allowance, what): (&Tensor, &'static str),
    ) -> Self {
        let per_element = (allowance.shape == want.shape).then_some((&allowance.data[..], what));
        Self::compare(name, got, want, tol, skip, per_element)
    }

    fn compare(
        name: &str,
        got: &Tensor,
        want: &Tensor,
        tol: Tolerance,
        skip: Option<&[bool]>,
        allowance: Option<(&[f64], &'static str)>,
    ) -> Self {
        let mut c = Comparison {
            name: name.to_string(),
            tolerance: tol,
            max_abs: 0.0,
            max_rel: 0.0,
            worst: None,
            checked: 0,
            skipped: 0,
            failed: 0,
            shape_mismatch: None,
            allowance: allowance.map(|(_, what)| what),
        };
        if got.shape != want.shape {
            c.shape_mismatch = Some((got.shape.clone(), want.shape.clone()));
            c.failed = want.len().max(1);
            return c;
        }
        let mut worst_excess = -1.0;
        for (i, (&a, &b)) in got.data.iter().zip(&want.data).enumerate() {
            if skip.is_some_and(|s| s[i]) {
                c.skipped += 1;
                continue;
            }
            c.checked += 1;
            let d = if a == b { 0.0 } else { (a - b).abs() };
            let d = if d.is_nan() { f64::INFINITY } else { d };
            let rel = if d == 0.0 {
                0.0
            } else if b == 0.0 {
                f64::INFINITY
            } else {
                d / b.abs()
            };
            c.max_abs = c.max_abs.max(d);
            c.max_rel = c.max_rel.max(rel);
            let allowed = allowance.map_or(0.0, |(v, _)| v[i]);
            let bound = tol.bound(b).max(allowed);
            let e = if allowed > tol.bound(b) && d.is_finite() {
                d / bound
            } else {
                tol.excess(a, b)
            };
            if e > 1.0 {
                c.failed += 1;
            }
            if e > worst_excess {
                worst_excess = e;
                c.worst = Some(Worst {
                    index: got.index_of(i),
                    got: a,
                    want: b,
                    bound,
                });
            }
        }
        c
    }

    /// Compares two scalars.
    pub fn scalar(name: &str, got: f64, want: f64, tol: Tolerance) -> Self {
        Self::new(
            name,
            &Tensor {
                shape: vec![],
                data: vec![got],
            },
            &Tensor {
                shape: vec![],
                data: vec![want],
            },
            tol,
            None,
        )
    }

    /// True when every checked element is within tolerance.
    pub fn passed(&self) -> bool {
        self.failed == 0
    }
}

impl fmt::Display for Comparison {
    /// One line: `fc1.weight: FAIL 3/20 over |a−b| ≤ … ; worst [2, 0]: got …, want …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((g, w)) = &self.shape_mismatch {
            return write!(f, "{}: FAIL shape {g:?}, expected {w:?}", self.name);
        }
        let verdict = if self.passed() { "ok" } else { "FAIL" };
        let over = match self.allowance {
            None => self.tolerance.to_string(),
            Some(what) => format!("max({}, {what})", self.tolerance),
        };
        write!(
            f,
            "{}: {verdict} {}/{} over {over} (max abs {:.3e}, max rel {:.3e}",
            self.name, self.failed, self.checked, self.max_abs, self.max_rel
        )?;
        if self.skipped > 0 {
            write!(f, ", {} skipped", self.skipped)?;
        }
        write!(f, ")")?;
        if let Some(w) = &self.worst {
            write!(
                f,
                "; worst {:?}: got {:e}, want {:e}, |a−b| = {:e}",
                w.index,
                w.got,
                w.want,
                (w.got - w.want).abs()
            )?;
            if self.allowance.is_some() {
                write!(f, ", bound {:e}", w.bound)?;
            }
        }
        Ok(())
    }
}

/// Panics with the comparison's report unless `got` is within `tol` of `want`: for tests.
#[track_caller]
pub fn assert_close(name: &str, got: &Tensor, want: &Tensor, tol: Tolerance) {
    let c = Comparison::new(name, got, want, tol, None);
    assert!(c.passed(), "{c}");
}

/// [`assert_close`] for scalars.
#[track_caller]
pub fn assert_close_scalar(name: &str, got: f64, want: f64, tol: Tolerance) {
    let c = Comparison::scalar(name, got, want, tol);
    assert!(c.passed(), "{c}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_worst_element() {
        let want = Tensor::new(vec![2, 2], vec![1.0, 2.0, 3.0, 0.0]).unwrap();
        let got = Tensor::new(vec![2, 2], vec![1.0, 2.0 + 1e-5, 3.5, 0.0]).unwrap();
        let c = Comparison::new("w", &got, &want, Tolerance::new(1e-8, 1e-6), None);
        assert!(!c.passed());
        assert_eq!(c.failed, 2);
        assert_eq!(c.worst.as_ref().unwrap().index, vec![1, 0]);
        let s = c.to_string();
        assert!(s.starts_with("w: FAIL 2/4"), "{s}");
        assert!(s.contains("got 3.5e0, want 3e0"), "{s}");
    }

    #[test]
    fn skips_nan_and_shapes() {
        let t = Tolerance::FD_F64;
        assert!(!t.allows(f64::NAN, f64::NAN));
        assert!(t.allows(f64::INFINITY, f64::INFINITY));
        let a = Tensor::new(vec![2], vec![f64::NAN, 1.0]).unwrap();
        let b = Tensor::new(vec![2], vec![0.0, 1.0]).unwrap();
        assert!(!Comparison::new("a", &a, &b, t, None).passed());
        assert!(Comparison::new("a", &a, &b, t, Some(&[true, false])).passed());
        let c = Comparison::new("a", &a, &Tensor::zeros(&[1, 2]), t, None);
        assert_eq!(c.to_string(), "a: FAIL shape [2], expected [1, 2]");
    }

    #[test]
    fn an_allowance_widens_only_its_own_element() {
        let tol = Tolerance::new(1e-8, 1e-6);
        let want = Tensor::new(vec![3], vec![0.0, 1.0, 2.0]).unwrap();
        let got = Tensor::new(vec![3], vec![4e-5, 1.0 + 4e-5, 2.0]).unwrap();
        // Element 0 is allowed 5e-5, element 1 nothing beyond `tol`.
        let allow = Tensor::new(vec![3], vec![5e-5, 0.0, 0.0]).unwrap();
        let c = Comparison::with_allowance("b", &got, &want, tol, None, (&allow, "2·E"));
        assert_eq!(c.failed, 1);
        let w = c.worst.as_ref().unwrap();
        assert_eq!((w.index.clone(), w.bound), (vec![1], tol.bound(1.0)));
        let s = c.to_string();
        assert!(s.contains("over max(|a−b| ≤ 1e-8 + 1e-6·|b|, 2·E)"), "{s}");
        assert!(s.contains(", bound 1.0099999999999999e-6"), "{s}");
        // Over its allowance, element 0 fails too.
        let got = Tensor::new(vec![3], vec![6e-5, 1.0, 2.0]).unwrap();
        let c = Comparison::with_allowance("b", &got, &want, tol, None, (&allow, "2·E"));
        assert_eq!((c.failed, c.worst.unwrap().bound), (1, 5e-5));
        // An allowance of another shape allows nothing.
        let got = Tensor::new(vec![3], vec![4e-5, 1.0, 2.0]).unwrap();
        let c =
            Comparison::with_allowance("b", &got, &want, tol, None, (&Tensor::zeros(&[2]), "2·E"));
        assert_eq!(c.failed, 1);
        // A NaN fails whatever the allowance.
        let got = Tensor::new(vec![3], vec![f64::NAN, 1.0, 2.0]).unwrap();
        let c = Comparison::with_allowance("b", &got, &want, tol, None, (&allow, "2·E"));
        assert_eq!(c.failed, 1);
    }
}
