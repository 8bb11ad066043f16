//! [`Real`]: the few scalar operations the hand-written layers need, implemented for `f32`
//! and `f64` in the private `float` module and for the 16-bit floats in [`half_real`]. Transcendentals the standard library lacks
//! (`erf`) come from `libm`.

mod float;
pub mod half_real;
pub mod running_error;

use crate::kernels::view::{Dst, MatRef};
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
    /// `1/√(self + ε)` (a normalization's `rstd`), computed in f64 and rounded once.
    fn rsqrt_plus(self, eps: f64) -> Self {
        Self::from_f64(1.0 / (self.to_f64() + eps).sqrt())
    }
    /// `C = [C +] A·B` through the packed kernel with this type's tile, packing into `buf`
    /// (grown on first need, reused afterwards). Shapes as in [`crate::kernels::packed::gemm`].
    ///
    /// # Safety
    /// As [`crate::kernels::packed::gemm`]: `c` addresses the `(m, n)` destination, owned by
    /// this call.
    unsafe fn packed_gemm(
        buf: &mut Vec<Self>,
        c: Dst<Self>,
        a: MatRef<'_, Self>,
        b: MatRef<'_, Self>,
        accumulate: bool,
    );
    /// Runs `f` on the calling thread's packing buffers for this type: one per part of a
    /// product split over the pool, owned by the thread that calls the product (so they are
    /// sized by the products it computes, whichever thread runs a part). Not re-entrant.
    fn with_packing<R>(f: impl FnOnce(&mut Vec<Vec<Self>>) -> R) -> R;
}
