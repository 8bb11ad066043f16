//! [`Real`] for the 16-bit floats `half::f16` (IEEE binary16: 5 exponent bits, 10 fraction
//! bits, largest finite 65504, smallest normal 2⁻¹⁴ ≈ 6.1e-5, smallest subnormal
//! 2⁻²⁴ ≈ 6.0e-8) and `half::bf16` (8 exponent bits like `f32`, 7 fraction bits), so that the
//! same hand-written layers run in half precision.
//!
//! **Accumulation.** Every operation rounds to the half type, as half-precision hardware
//! without a wider accumulator would: `a + b`, `a · b`, `a / b` are computed exactly in `f32`
//! and rounded once to the half type (the `half` crate's operators; `f32` has more than
//! `2p + 2` bits for both formats, so that is the correctly rounded result), and so is every
//! partial sum of a matrix product — there is no `f32` accumulator anywhere. The
//! transcendentals (`exp`, `ln`, `tanh`, `erf`) are evaluated in `f64` and rounded once.
//! [`Real::mul_add`] rounds once (the exact product and sum in `f64`, then one rounding).
//!
//! The packed GEMM is an `f32`/`f64` kernel: the half types keep [`Real::packed_gemm`]'s
//! default, the plain triple loop accumulating in the half type, and `tanh_slice` keeps the
//! trait's element-by-element default.

use crate::real::Real;
pub use half::{bf16, f16};

macro_rules! half_real {
    ($t:ident) => {
        impl Real for $t {
            const ZERO: Self = $t::ZERO;
            const ONE: Self = $t::ONE;
            fn from_f64(v: f64) -> Self {
                $t::from_f64(v)
            }
            fn to_f64(self) -> f64 {
                $t::to_f64(self)
            }
            fn exp(self) -> Self {
                $t::from_f64(libm::exp($t::to_f64(self)))
            }
            fn ln(self) -> Self {
                $t::from_f64(libm::log($t::to_f64(self)))
            }
            fn tanh(self) -> Self {
                $t::from_f64(libm::tanh($t::to_f64(self)))
            }
            fn erf(self) -> Self {
                $t::from_f64(libm::erf($t::to_f64(self)))
            }
            fn mul_add(self, a: Self, b: Self) -> Self {
                $t::from_f64(f64::mul_add($t::to_f64(self), $t::to_f64(a), $t::to_f64(b)))
            }
        }
    };
}

half_real!(f16);
half_real!(bf16);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::matmul::matmul;
    use crate::kernels::view::MatRef;

    #[test]
    fn each_operation_rounds_to_the_half_type() {
        // 1 + 2⁻¹¹ is a tie between 1 and 1 + 2⁻¹⁰ in f16: rounds to even (1).
        let one = <f16 as Real>::ONE;
        let tiny = <f16 as Real>::from_f64(2f64.powi(-11));
        assert_eq!((one + tiny).to_f64(), 1.0);
        // The smallest f16 subnormal squared underflows to exactly 0; in bf16 it does not.
        let s = <f16 as Real>::from_f64(2f64.powi(-24));
        assert_eq!((s * s).to_f64(), 0.0);
        let sb = <bf16 as Real>::from_f64(2f64.powi(-24));
        assert_eq!((sb * sb).to_f64(), 2f64.powi(-48));
        // bf16 keeps 8 significant bits: 1 + 2⁻⁸ rounds to 1.
        assert_eq!(<bf16 as Real>::from_f64(1.0 + 2f64.powi(-8)).to_f64(), 1.0);
    }

    #[test]
    fn large_products_take_the_plain_loop_and_accumulate_in_half() {
        // 64 × 64 × 64 goes to the packed path for f32/f64; for f16 it must be the plain loop,
        // which rounds every partial sum: Σ of 64 copies of f16(0.1) differs from 64 · f16(0.1).
        let n = 64;
        let a = vec![<f16 as Real>::ONE; n * n];
        let b = vec![<f16 as Real>::from_f64(0.1); n * n];
        let mut c = vec![<f16 as Real>::ZERO; n * n];
        matmul(
            &mut c,
            MatRef::row_major(&a, n, n),
            MatRef::row_major(&b, n, n),
            false,
        );
        let mut acc = <f16 as Real>::ZERO;
        for _ in 0..n {
            acc += b[0];
        }
        let bad = c.iter().position(|&v| v != acc);
        assert!(
            bad.is_none(),
            "entry {bad:?} = {:?}, want {acc:?}",
            bad.map(|i| c[i])
        );
        assert_ne!(acc.to_f64(), 64.0 * b[0].to_f64());
    }
}
