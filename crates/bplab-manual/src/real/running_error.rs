//! [`RunningError`]: a [`Real`] that carries, beside each value (computed in f64), the size
//! of the rounding error **an f32 computation of the same formulas, in any summation order**
//! makes in it — a running error analysis written as a number type, so that the hand-written
//! layers, run on it unchanged, propagate it through the forward and the backward.
//!
//! It exists for the cases where two correct f32 computations differ by more than the exact
//! f32 tolerance `1e-5 + 1e-4·|b|`: a normalized layer whose `σ²` is far below `ε` multiplies
//! the backward by `rstd ≈ 316`, and a gradient that cancels to (nearly) 0 — `∂L/∂b` before a
//! BatchNorm is exactly 0 — is then f32 noise of the size of its terms, whatever the order.
//!
//! **The model** (Higham & Mary's probabilistic rounding error analysis, SIAM J. Sci. Comput.
//! 41(5), 2019): each f32 operation's rounding error is an independent random variable of
//! mean 0 and size at most `u = 2⁻²⁴` relative to its result, so errors add in quadrature. A
//! worst-case (all errors aligned) bound was tried first: sound, but through a few normalized
//! layers it grows by the dot products' `Σ|terms|/|sum|` per layer and exceeds the gradients
//! themselves by orders of magnitude, which would let any bug pass. Per value `x`:
//! - a sum of `n` terms with `m = Σ|terms|` is charged `(n − 1)·(u·m)²` of variance: each of
//!   its `n − 1` additions, **in any order**, rounds a partial sum of size at most `m`;
//! - the terms' propagated variance `e`: `a·b` → `b²·V(a) + a²·V(b) + (u·ab)²`, `a/b` →
//!   `V(a)/b² + a²·V(b)/b⁴ + (u·a/b)²`, `f(x)` → `f′(x)²·V(x) + (c·u·f(x))²` for `exp`,
//!   `ln`, `tanh`, `erf` with `c` = 2·[`ELEMENTARY_ULPS`] (each engine's f32 functions are
//!   within 4 ulps: libm's within 1, the manual engine's SIMD `tanh` within 2, tested in
//!   `kernels::fastmath`), `1/√(x + ε)` → `(½·rstd/(x + ε))²·V(x) + (3.5·u·rstd)²`;
//! - every input and constant is rounded once to f32 (variance `(u·v)²`);
//! - `V(x) = e + (n − 1)·(u·m)²`, and the bound is [`LAMBDA`] standard deviations,
//!   [`RunningError::bound`] `= λ·√V(x)`.
//!
//! First order: products of two errors are dropped. Independence is the model's assumption:
//! errors of one value used twice (`z − mean(z)` over a single feature, exactly 0 in any
//! arithmetic) are added as if independent, so there the bound is loose, never tight. Two f32
//! computations of one quantity are within `E_a + E_b` of each other. Comparisons (`>`, `==`,
//! a ReLU's kink) look at the value only: a value within `E` of a kink may fall on the other
//! side in f32, which the callers handle as a kink, not as rounding.
//!
//! ```
//! use bplab_manual::real::running_error::{RunningError, LAMBDA};
//! use bplab_manual::Real;
//! // 1 + 1e-3 − 1: three inputs rounded to f32 ((u·1)² + (u·1e-3)² + (u·1)²) and two
//! // additions of partial sums up to Σ|terms| = 2.001 (2·(u·2.001)²): the bound scales with
//! // the terms, not with the result.
//! let (one, small) = (RunningError::from_f64(1.0), RunningError::from_f64(1e-3));
//! let d = one + small - one;
//! assert!((d.to_f64() - 1e-3).abs() < 1e-15); // the value is f64's
//! let u = RunningError::UNIT_ROUNDOFF;
//! let var = u * u * (2.0 + 1e-6) + 2.0 * (u * 2.001f64).powi(2);
//! assert!((d.bound() - LAMBDA * var.sqrt()).abs() < 1e-20);
//! ```

use super::Real;
use std::cmp::Ordering;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// The accuracy assumed of every f32 elementary function (`exp`, `ln`, `tanh`, `erf`), in ulps.
pub const ELEMENTARY_ULPS: f64 = 4.0;

/// Standard deviations in a bound: a normal variable exceeds 6σ with probability 2·10⁻⁹, and
/// a sum of bounded independent errors exceeds it with probability at most `2·exp(−λ²/2)`
/// ≈ 3·10⁻⁸ (Hoeffding) — per element, so a test of 10⁵ elements sees none.
pub const LAMBDA: f64 = 6.0;

/// A value with the first-order bound of any f32 computation of it (module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct RunningError {
    /// The value, in f64.
    v: f64,
    /// `Σ|terms|` of the sum this value is (its own magnitude when it is not a sum).
    m: f64,
    /// How many terms that sum has (0 for the additive identity).
    n: f64,
    /// The variance of the terms' propagated error.
    e: f64,
}

impl RunningError {
    /// f32's unit roundoff, `2⁻²⁴`.
    pub const UNIT_ROUNDOFF: f64 = 1.0 / 16_777_216.0;
    const U: f64 = Self::UNIT_ROUNDOFF;
    const C: f64 = 2.0 * ELEMENTARY_ULPS;

    /// `λ·√V(x)`: [`LAMBDA`] standard deviations of the error any f32 computation of this
    /// value makes (the terms' propagated variance and the sum's, for any order).
    pub fn bound(&self) -> f64 {
        LAMBDA * self.sd()
    }

    /// `√V(x)`.
    fn sd(&self) -> f64 {
        (self.e + (self.n - 1.0).max(0.0) * (Self::U * self.m).powi(2)).sqrt()
    }

    /// A value that is not a sum: `v` with error variance `e`.
    fn term(v: f64, e: f64) -> Self {
        RunningError {
            v,
            m: v.abs(),
            n: 1.0,
            e,
        }
    }

    /// `f(x)` with `f′(x) = slope`: the propagated error and `c` ulps-worth of rounding.
    fn elementary(self, v: f64, slope: f64) -> Self {
        Self::term(
            v,
            (slope * self.sd()).powi(2) + (Self::C * Self::U * v).powi(2),
        )
    }
}

impl Add for RunningError {
    type Output = Self;
    fn add(self, b: Self) -> Self {
        RunningError {
            v: self.v + b.v,
            m: self.m + b.m,
            n: self.n + b.n,
            e: self.e + b.e,
        }
    }
}

impl Neg for RunningError {
    type Output = Self;
    fn neg(self) -> Self {
        RunningError { v: -self.v, ..self }
    }
}

impl Sub for RunningError {
    type Output = Self;
    fn sub(self, b: Self) -> Self {
        self + (-b)
    }
}

impl Mul for RunningError {
    type Output = Self;
    fn mul(self, b: Self) -> Self {
        let v = self.v * b.v;
        let e = (b.v * self.sd()).powi(2) + (self.v * b.sd()).powi(2) + (Self::U * v).powi(2);
        Self::term(v, e)
    }
}

impl Div for RunningError {
    type Output = Self;
    fn div(self, b: Self) -> Self {
        let v = self.v / b.v;
        let e = (self.sd() / b.v).powi(2)
            + (self.v * b.sd() / (b.v * b.v)).powi(2)
            + (Self::U * v).powi(2);
        Self::term(v, e)
    }
}

impl AddAssign for RunningError {
    fn add_assign(&mut self, b: Self) {
        *self = *self + b;
    }
}

impl SubAssign for RunningError {
    fn sub_assign(&mut self, b: Self) {
        *self = *self - b;
    }
}

impl MulAssign for RunningError {
    fn mul_assign(&mut self, b: Self) {
        *self = *self * b;
    }
}

/// Equality and order of the values (the error does not take part).
impl PartialEq for RunningError {
    fn eq(&self, b: &Self) -> bool {
        self.v == b.v
    }
}

impl PartialOrd for RunningError {
    fn partial_cmp(&self, b: &Self) -> Option<Ordering> {
        self.v.partial_cmp(&b.v)
    }
}

impl Real for RunningError {
    const ZERO: Self = RunningError {
        v: 0.0,
        m: 0.0,
        n: 0.0,
        e: 0.0,
    };
    const ONE: Self = RunningError {
        v: 1.0,
        m: 1.0,
        n: 1.0,
        e: 0.0,
    };
    /// An input or a constant, rounded once to f32.
    fn from_f64(v: f64) -> Self {
        Self::term(v, (Self::U * v).powi(2))
    }
    fn to_f64(self) -> f64 {
        self.v
    }
    fn exp(self) -> Self {
        let v = self.v.exp();
        self.elementary(v, v)
    }
    fn ln(self) -> Self {
        self.elementary(self.v.ln(), 1.0 / self.v)
    }
    fn tanh(self) -> Self {
        let v = self.v.tanh();
        self.elementary(v, 1.0 - v * v)
    }
    fn erf(self) -> Self {
        let slope = std::f64::consts::FRAC_2_SQRT_PI * (-self.v * self.v).exp();
        self.elementary(libm::erf(self.v), slope)
    }
    /// `self·a + b`, charged as a rounded product and a sum (an engine may not fuse them).
    fn mul_add(self, a: Self, b: Self) -> Self {
        self * a + b
    }
    fn rsqrt_plus(self, eps: f64) -> Self {
        let s = self.v + eps;
        let v = 1.0 / s.sqrt();
        Self::term(
            v,
            (0.5 * v * self.sd() / s).powi(2) + (3.5 * Self::U * v).powi(2),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bplab_core::rng::Rng;

    /// `Σ terms` in f32 in the order `order`.
    fn sum_f32(terms: &[f64], order: &[usize]) -> f64 {
        order.iter().fold(0.0f32, |s, &i| s + terms[i] as f32) as f64
    }

    #[test]
    fn a_cancelling_sum_in_any_order_is_within_the_bound() {
        let mut r = Rng::new(19);
        for trial in 0..200 {
            let n = 2 + r.below(30);
            // Terms of mixed size and sign whose sum nearly cancels.
            let mut terms: Vec<f64> = (0..n)
                .map(|_| r.normal() * 10f64.powi(r.below(4) as i32))
                .collect();
            let s: f64 = terms.iter().sum();
            terms[0] -= s;
            let exact: f64 = terms.iter().map(|&t| t as f32 as f64).sum();
            let b = terms.iter().fold(RunningError::ZERO, |acc, &t| {
                acc + RunningError::from_f64(t)
            });
            for _ in 0..10 {
                let mut order: Vec<usize> = (0..n).collect();
                for i in (1..n).rev() {
                    order.swap(i, r.below(i + 1));
                }
                let got = sum_f32(&terms, &order);
                assert!(
                    (got - exact).abs() <= b.bound(),
                    "trial {trial}: |{got} − {exact}| > {}",
                    b.bound()
                );
            }
            // And the bound is of the size of the terms' rounding, not of the result: at most
            // λ·√n·u·Σ|terms| (n roundings of the inputs and n − 1 additions).
            let m: f64 = terms.iter().map(|t| t.abs()).sum();
            assert!(b.bound() <= LAMBDA * (2.0 * n as f64).sqrt() * RunningError::U * m);
        }
    }

    #[test]
    fn products_and_functions_propagate_first_order() {
        let (u, close) = (RunningError::U, |a: f64, b: f64| (a - b).abs() <= 1e-12 * b);
        let x = RunningError::from_f64(0.5);
        // x²: the input's error twice (2·x²·(u·x)²), one rounding of the product ((u·x²)²).
        let y = x * x;
        assert!(close(y.bound(), LAMBDA * (0.1875f64).sqrt() * u));
        // tanh: the input's error through tanh′ and 4 ulps of the function.
        let t = x.tanh();
        let th = 0.5f64.tanh();
        let var = ((1.0 - th * th) * u * 0.5).powi(2) + (8.0 * u * th).powi(2);
        assert!(close(t.bound(), LAMBDA * var.sqrt()));
        // 3/4: the numerator's and the denominator's relative errors and one rounding.
        let q = RunningError::from_f64(3.0) / RunningError::from_f64(4.0);
        assert!(close(q.bound() / 0.75, LAMBDA * 3f64.sqrt() * u));
    }

    #[test]
    fn rstd_near_a_tiny_variance_amplifies_its_error() {
        // σ² = 1e-9 ≪ ε = 1e-5, known to ±1e-6 (variance 1e-12): rstd ≈ 316, and the
        // error in σ² reaches rstd by ½·rstd/(σ² + ε).
        let var = RunningError::term(1e-9, 1e-12);
        let r = var.rsqrt_plus(1e-5);
        let s: f64 = 1e-9 + 1e-5;
        assert!((r.to_f64() - 1.0 / s.sqrt()).abs() < 1e-12);
        let rv = r.to_f64();
        let want =
            LAMBDA * ((0.5 * rv * 1e-6 / s).powi(2) + (3.5 * RunningError::U * rv).powi(2)).sqrt();
        assert!((r.bound() - want).abs() <= 1e-12 * want);
    }

    #[test]
    fn every_elementary_function_propagates_its_slope_and_four_ulps() {
        let (u, c) = (RunningError::U, 2.0 * ELEMENTARY_ULPS);
        let x = RunningError::from_f64(0.7); // sd u·0.7
        let sd = u * 0.7;
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b;
        for (got, v, slope) in [
            (x.exp(), 0.7f64.exp(), 0.7f64.exp()),
            (x.ln(), 0.7f64.ln(), 1.0 / 0.7),
            (x.tanh(), 0.7f64.tanh(), 1.0 - 0.7f64.tanh().powi(2)),
            (
                x.erf(),
                libm::erf(0.7),
                std::f64::consts::FRAC_2_SQRT_PI * (-0.49f64).exp(),
            ),
        ] {
            assert_eq!(got.to_f64(), v);
            let var: f64 = (slope * sd).powi(2) + (c * u * v).powi(2);
            assert!(close(got.bound(), LAMBDA * var.sqrt()), "{got:?}");
        }
    }

    #[test]
    fn a_difference_adds_magnitudes_and_the_identities_are_exact() {
        let (a, b) = (RunningError::from_f64(3.0), RunningError::from_f64(2.0));
        let d = a - b;
        assert_eq!(d.to_f64(), 1.0);
        let u = RunningError::U;
        // Inputs (u·3)² + (u·2)², one addition over Σ|terms| = 5.
        let want = LAMBDA * ((u * 3.0).powi(2) + (u * 2.0).powi(2) + (u * 5.0).powi(2)).sqrt();
        assert!((d.bound() - want).abs() <= 1e-12 * want);
        assert_eq!((-d).bound(), d.bound());
        assert_eq!((-d).to_f64(), -1.0);
        // 0 and 1 add no error and no term: a sum started at ZERO is the sum of its terms.
        assert_eq!((RunningError::ZERO + a).bound(), a.bound());
        assert_eq!(
            (RunningError::ONE * a).bound(),
            (a * RunningError::ONE).bound()
        );
        assert_eq!(RunningError::ONE.bound(), 0.0);
        assert_eq!(RunningError::default(), RunningError::ZERO);
        // The assignment forms are the operators.
        let (mut s, mut m, mut t) = (a, a, a);
        s += b;
        m *= b;
        t -= b;
        assert_eq!((s.to_f64(), s.bound()), ((a + b).to_f64(), (a + b).bound()));
        assert_eq!((m.to_f64(), m.bound()), ((a * b).to_f64(), (a * b).bound()));
        assert_eq!((t.to_f64(), t.bound()), (d.to_f64(), d.bound()));
        // mul_add is a rounded product and a sum (an engine may not fuse them).
        let f = a.mul_add(b, RunningError::ONE);
        let g = a * b + RunningError::ONE;
        assert_eq!((f.to_f64(), f.bound()), (g.to_f64(), g.bound()));
    }

    #[test]
    fn order_and_equality_are_the_values() {
        let (a, b) = (RunningError::from_f64(1.0), RunningError::from_f64(2.0));
        assert_eq!(a.partial_cmp(&b), Some(Ordering::Less));
        assert_eq!(b.partial_cmp(&a), Some(Ordering::Greater));
        assert!(a != b);
        // Equal values with different errors are equal: comparisons decide branches (a
        // kink, softmax's maximum) exactly as in f64.
        let c = RunningError::from_f64(0.5) + RunningError::from_f64(0.5);
        assert!(c == a && c.bound() != a.bound());
        assert!(RunningError::from_f64(f64::NAN) != RunningError::from_f64(f64::NAN));
    }

    #[test]
    fn a_product_through_the_matrix_kernel_is_bounded_like_its_plain_sum() {
        // 64 × 64 · 64 × 64: large enough for the packed path and the pool's parts.
        let n = 64;
        let mut r = Rng::new(3);
        let a: Vec<f64> = (0..n * n).map(|_| r.normal()).collect();
        let b: Vec<f64> = (0..n * n).map(|_| r.normal()).collect();
        let wrap = |v: &[f64]| {
            v.iter()
                .map(|&x| RunningError::from_f64(x))
                .collect::<Vec<_>>()
        };
        let (ar, br) = (wrap(&a), wrap(&b));
        let mut c = vec![RunningError::ZERO; n * n];
        let view = |d| crate::kernels::view::MatRef::row_major(d, n, n);
        crate::kernels::matmul::matmul(&mut c, view(&ar), view(&br), false);
        for (i, j) in [(0, 0), (5, 17), (63, 63)] {
            let plain = (0..n).fold(RunningError::ZERO, |s, k| s + ar[i * n + k] * br[k * n + j]);
            let got = c[i * n + j];
            assert!((got.to_f64() - plain.to_f64()).abs() < 1e-12);
            assert!((got.bound() - plain.bound()).abs() <= 1e-12 * plain.bound());
        }
    }

    #[test]
    fn the_unit_roundoff_is_f32s() {
        assert_eq!(RunningError::UNIT_ROUNDOFF, f64::from(f32::EPSILON) / 2.0);
        assert_eq!(RunningError::U, RunningError::UNIT_ROUNDOFF);
    }

    /// LayerNorm on [`RunningError`]: over one feature `z − μ` is the exact 0 every arithmetic
    /// gives, so the output carries only `β`'s error; over three features an element equal to
    /// the row's mean still carries the error of `z − μ`.
    #[test]
    fn a_layernorm_centres_one_feature_exactly_and_more_with_their_error() {
        use crate::layers::norm::layernorm_forward;
        let r = |v: f64| RunningError::from_f64(v);
        let (u, beta) = (RunningError::U, 0.25);
        let (mut out, mut mean, mut rstd) = (
            [RunningError::ZERO],
            [RunningError::ZERO],
            [RunningError::ZERO],
        );
        layernorm_forward(
            &mut out,
            &mut mean,
            &mut rstd,
            &[r(3.0)],
            &[r(1.0)],
            &[r(beta)],
            1,
        );
        assert_eq!(out[0].to_f64(), beta);
        // 0·rstd·γ is exact; + β: β's rounding and one addition over |β|.
        let want = LAMBDA * 2f64.sqrt() * u * beta;
        assert!(
            (out[0].bound() - want).abs() <= 1e-12 * want,
            "{:e} vs {want:e}",
            out[0].bound()
        );
        let mut out3 = [RunningError::ZERO; 3];
        let (g, b) = ([r(1.0); 3], [r(beta); 3]);
        let z = [r(1.0), r(2.0), r(3.0)];
        layernorm_forward(&mut out3, &mut mean, &mut rstd, &z, &g, &b, 3);
        assert_eq!(out3[1].to_f64(), beta); // z = μ exactly
        assert!(out3[1].bound() > 10.0 * want, "{:e}", out3[1].bound());
    }
}
