//! [`Real`]: the few scalar operations the hand-written layers need, implemented for `f32`
//! and `f64` in the private `float` module, for the 16-bit floats in [`half_real`] and for a
//! value carrying its f32 rounding bound in [`running_error`]. Transcendentals the standard
//! library lacks (`erf`) come from `libm`.

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
    /// By default (a type without a packed kernel: the 16-bit floats, [`running_error`]) the
    /// plain triple loop, each partial sum in `Self`, packing nothing.
    ///
    /// # Safety
    /// As [`crate::kernels::packed::gemm`]: `c` addresses the `(m, n)` destination, owned by
    /// this call.
    unsafe fn packed_gemm(
        _buf: &mut Vec<Self>,
        c: Dst<Self>,
        a: MatRef<'_, Self>,
        b: MatRef<'_, Self>,
        accumulate: bool,
    ) {
        // SAFETY: forwarded from the caller's contract.
        unsafe { plain_gemm(c, a, b, accumulate) }
    }
    /// Runs `f` on the calling thread's packing buffers for this type: one per part of a
    /// product split over the pool, owned by the thread that calls the product (so they are
    /// sized by the products it computes, whichever thread runs a part). Not re-entrant. By
    /// default fresh empty buffers (the default [`Real::packed_gemm`] packs nothing).
    fn with_packing<R>(f: impl FnOnce(&mut Vec<Vec<Self>>) -> R) -> R {
        f(&mut Vec::new())
    }
}

/// `C = [C +] A·B` by the definition, each partial sum rounded to `T`.
/// Shapes: `a` `(m, k)`, `b` `(k, n)`, `c` `(m, n)` with row stride `c.ldc`.
///
/// # Safety
/// `c` addresses the whole `(m, n)` destination and no one else writes it during the call.
unsafe fn plain_gemm<T: Real>(c: Dst<T>, a: MatRef<'_, T>, b: MatRef<'_, T>, accumulate: bool) {
    for i in 0..a.rows {
        for j in 0..b.cols {
            let mut acc = T::ZERO;
            for p in 0..a.cols {
                acc += a.data[i * a.rs + p * a.cs] * b.data[p * b.rs + j * b.cs];
            }
            // SAFETY: (i, j) lies inside the (m, n) destination the caller owns.
            let dst = unsafe { &mut *c.ptr.add(i * c.ldc + j) };
            *dst = if accumulate { *dst + acc } else { acc };
        }
    }
}
