//! The numerical machinery under the layers, apart from the lesson: [`matmul`], the one matrix
//! product every Linear layer's forward and backward goes through (a direct loop for small
//! products, the blocked and packed GEMM of [`packed`] for large ones — in f32 on the CPU's widest
//! SIMD unit ([`isa`], [`gemm_f32`], [`simd`]) — split over every core by [`pool`]), and
//! [`fastmath`], `tanh` over an f32 buffer in SIMD lanes.
//! Apart from the packed kernel's entry point on [`crate::Real`] (and its 16-bit versions),
//! every `unsafe` of the crate lives here.

pub mod fastmath;
pub mod gemm_f32;
pub mod isa;
pub mod matmul;
pub mod packed;
pub mod pool;
pub mod simd;
pub mod view;
