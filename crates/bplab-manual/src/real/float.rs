//! [`Real`] for `f32` and `f64`: the standard library's operations, `libm`'s `erf`, the SIMD
//! `tanh` of [`crate::kernels::fastmath`] for `f32` buffers, and the packed GEMM with each
//! type's register tile on the calling thread's reusable packing buffers.

use super::Real;
use crate::kernels::view::{Dst, MatRef};
use crate::kernels::{gemm_f32, packed};
use std::cell::RefCell;

thread_local! {
    static PACK_F32: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
    static PACK_F64: RefCell<Vec<Vec<f64>>> = const { RefCell::new(Vec::new()) };
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
        buf: &mut Vec<Self>,
        c: Dst<Self>,
        a: MatRef<'_, Self>,
        b: MatRef<'_, Self>,
        accumulate: bool,
    ) {
        // 6 × 8 doubles: twelve 4-wide accumulators.
        // SAFETY: forwarded from the caller's contract.
        unsafe { packed::gemm::<f64, 6, 8>(buf, c, a, b, accumulate) }
    }
    fn with_packing<R>(f: impl FnOnce(&mut Vec<Vec<Self>>) -> R) -> R {
        PACK_F64.with_borrow_mut(f)
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
        buf: &mut Vec<Self>,
        c: Dst<Self>,
        a: MatRef<'_, Self>,
        b: MatRef<'_, Self>,
        accumulate: bool,
    ) {
        // The widest SIMD unit of the CPU (14 × 32 on AVX-512, 6 × 16 on AVX2).
        // SAFETY: forwarded from the caller's contract.
        unsafe { gemm_f32::gemm(buf, c, a, b, accumulate) }
    }
    fn with_packing<R>(f: impl FnOnce(&mut Vec<Vec<Self>>) -> R) -> R {
        PACK_F32.with_borrow_mut(f)
    }
}
