//! [`Real`]: the few scalar operations the hand-written layers need, for `f32` and `f64`
//! here and for the 16-bit floats in [`half_real`]. Transcendentals the standard library lacks
//! (`erf`) come from `libm`.

pub mod half_real;

use crate::kernels::matmul::MatRef;
use crate::kernels::packed::{self, Dst};
use std::cell::RefCell;
use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// A floating-point scalar the manual engine computes in.
pub trait Real:
    Copy
    + Debug
    + Default
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
{
    const ZERO: Self;
    const ONE: Self;
    /// Converts (rounding for `f32`).
    fn from_f64(v: f64) -> Self;
    /// Widens to `f64` exactly.
    fn to_f64(self) -> f64;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn tanh(self) -> Self;
    fn erf(self) -> Self;
    /// `a[i] = tanh(z[i])` over a buffer (f32: in SIMD lanes, see [`crate::kernels::fastmath`]).
    fn tanh_slice(z: &[Self], a: &mut [Self]) {
        for (a, &z) in a.iter_mut().zip(z) {
            *a = z.tanh();
        }
    }
    /// `self · a + b` with one rounding (a fused multiply–add).
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// `C = [C +] A·B` through the packed kernel with this type's tile, on this thread's
    /// reusable packing buffer. Shapes as in [`crate::kernels::packed::gemm`].
    ///
    /// # Safety
    /// As [`crate::kernels::packed::gemm`]: `c` addresses the `(m, n)` destination, owned by
    /// this call.
    unsafe fn packed_gemm(c: Dst<Self>, a: MatRef<'_, Self>, b: MatRef<'_, Self>, accumulate: bool);
}

thread_local! {
    static PACK_F32: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static PACK_F64: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn from_f64(v: f64) -> Self {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn ln(self) -> Self {
        f64::ln(self)
    }
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
    fn erf(self) -> Self {
        libm::erf(self)
    }
    fn mul_add(self, a: Self, b: Self) -> Self {
        f64::mul_add(self, a, b)
    }
    unsafe fn packed_gemm(
        c: Dst<Self>,
        a: MatRef<'_, Self>,
        b: MatRef<'_, Self>,
        accumulate: bool,
    ) {
        // 6 × 8 doubles: twelve 4-wide accumulators.
        PACK_F64.with_borrow_mut(|buf| packed::gemm::<f64, 6, 8>(buf, c, a, b, accumulate))
    }
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn exp(self) -> Self {
        f32::exp(self)
    }
    fn ln(self) -> Self {
        f32::ln(self)
    }
    fn tanh(self) -> Self {
        f32::tanh(self)
    }
    fn erf(self) -> Self {
        libm::erff(self)
    }
    fn mul_add(self, a: Self, b: Self) -> Self {
        f32::mul_add(self, a, b)
    }
    fn tanh_slice(z: &[Self], a: &mut [Self]) {
        crate::kernels::fastmath::tanh_f32(z, a)
    }
    unsafe fn packed_gemm(
        c: Dst<Self>,
        a: MatRef<'_, Self>,
        b: MatRef<'_, Self>,
        accumulate: bool,
    ) {
        // 6 × 16 floats: twelve 8-wide accumulators.
        PACK_F32.with_borrow_mut(|buf| packed::gemm::<f32, 6, 16>(buf, c, a, b, accumulate))
    }
}
