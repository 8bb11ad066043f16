pub mod fastmath;
pub mod matmul;
pub mod packed;
mod pool;
