//! The same layer kernels run in other orders than the model's forward-then-backward:
//! [`jvp`] carries a tangent forward (forward-mode differentiation, one directional derivative
//! per pass), [`checkpoint`] keeps only every `k`-th layer's input and recomputes the rest
//! during backward (memory `O(L/k + k)` instead of `O(L)`, bit-identical gradients).

pub mod checkpoint;
pub mod jvp;
