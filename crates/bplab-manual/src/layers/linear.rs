//! The Linear layer, forward and backward side by side (batch rows, PyTorch layout).
//!
//! Forward: `z = h_prev Wᵀ + b`, i.e. `z[b, o] = b[o] + Σ_i h_prev[b, i] · W[o, i]`.
//! Backward, given `δ = ∂L/∂z`:
//! - `∂L/∂h_prev = δ W`          — per example, the lesson's `Wᵀ δ`;
//! - `∂L/∂W = δᵀ h_prev`          — per example `δ h_prevᵀ`, summed over the batch;
//! - `∂L/∂b = Σ_b δ[b, ·]`        — per example `δ`, summed over the batch.
//!
//! The sums over the batch are sums, not means: the `1/B` of the batch-mean loss is already
//! inside `δ` (it enters once, in the loss's seed gradient).

use crate::kernels::matmul::matmul;
use crate::kernels::view::MatRef;
use crate::real::Real;

/// `z = h_prev Wᵀ + b`, i.e. `z[b, o] = bias[o] + Σ_i inp[b, i] · w[o, i]`: the bias broadcast
/// into `z`, then the product added (one pass of the GEMM kernel over `W` read transposed in
/// place).
///
/// Shapes: `z` `(B, n_out)`, `inp` `(B, n_in)`, `w` `(n_out, n_in)`, `bias` `(n_out)`.
///
/// One example of width 2 through a 2 → 2 layer:
/// `z = [1, 2] · [[1, 2], [3, 4]]ᵀ + [0.5, −1] = [1 + 4 + 0.5, 3 + 8 − 1] = [5.5, 10]`.
///
/// ```
/// use bplab_manual::layers::linear::linear_forward;
///
/// let x = [1.0, 2.0]; // (B = 1, n_in = 2)
/// let w = [1.0, 2.0, 3.0, 4.0]; // (n_out = 2, n_in = 2): rows [1, 2] and [3, 4]
/// let b = [0.5, -1.0]; // (n_out)
/// let mut z = [0.0; 2]; // (B, n_out)
/// linear_forward(&mut z, &x, &w, &b, 2, 2);
/// assert_eq!(z, [5.5, 10.0]);
/// ```
pub fn linear_forward<T: Real>(
    z: &mut [T],
    inp: &[T],
    w: &[T],
    bias: &[T],
    n_in: usize,
    n_out: usize,
) {
    let batch = z.len() / n_out;
    for z_row in z.chunks_exact_mut(n_out) {
        z_row.copy_from_slice(bias); // (n_out)
    }
    let inp = MatRef::row_major(inp, batch, n_in); // (B, n_in)
    let w_t = MatRef::row_major(w, n_out, n_in).t(); // (n_in, n_out)
    matmul(z, inp, w_t, true);
}

/// Backward of [`linear_forward`]: writes `dw = δᵀ inp`, `db = Σ_b δ` and, when asked for,
/// `dinp = δ W` (overwriting, not accumulating). The first layer's `dinp` is `∂L/∂x`, which
/// training does not need: passing `None` skips that product.
///
/// Shapes: `dinp` `(B, n_in)`, `dw` `(n_out, n_in)`, `db` `(n_out)`, `delta` `(B, n_out)`,
/// `inp` `(B, n_in)` (the forward input, cached), `w` `(n_out, n_in)`.
///
/// Two examples through the layer `W = [[1, 2], [3, 4]]`, inputs `x = [[1, 2], [0, 1]]`,
/// errors `δ = [[1, −1], [2, 0]]`:
/// - `∂L/∂x = δ W = [[1·1 − 1·3, 1·2 − 1·4], [2·1, 2·2]] = [[−2, −2], [2, 4]]`;
/// - `∂L/∂W = δᵀ x = [[1·1 + 2·0, 1·2 + 2·1], [−1·1 + 0·0, −1·2 + 0·1]] = [[1, 4], [−1, −2]]`;
/// - `∂L/∂b = Σ_b δ = [1 + 2, −1 + 0] = [3, −1]`.
///
/// ```
/// use bplab_manual::layers::linear::linear_backward;
///
/// let x = [1.0, 2.0, 0.0, 1.0]; // (B = 2, n_in = 2)
/// let w = [1.0, 2.0, 3.0, 4.0]; // (n_out = 2, n_in = 2)
/// let delta = [1.0, -1.0, 2.0, 0.0]; // (B, n_out)
/// let (mut dx, mut dw, mut db) = ([0.0; 4], [0.0; 4], [0.0; 2]);
/// linear_backward(Some(&mut dx), &mut dw, &mut db, &delta, &x, &w, 2, 2);
/// assert_eq!(dx, [-2.0, -2.0, 2.0, 4.0]); // (B, n_in)
/// assert_eq!(dw, [1.0, 4.0, -1.0, -2.0]); // (n_out, n_in)
/// assert_eq!(db, [3.0, -1.0]); // (n_out)
/// ```
#[allow(clippy::too_many_arguments)]
pub fn linear_backward<T: Real>(
    dinp: Option<&mut [T]>,
    dw: &mut [T],
    db: &mut [T],
    delta: &[T],
    inp: &[T],
    w: &[T],
    n_in: usize,
    n_out: usize,
) {
    let batch = delta.len() / n_out;
    let delta_m = MatRef::row_major(delta, batch, n_out); // (B, n_out)

    // ∂L/∂W = δᵀ h_prev: (n_out, B)·(B, n_in).
    matmul(dw, delta_m.t(), MatRef::row_major(inp, batch, n_in), false);
    // ∂L/∂b = Σ_b δ.
    db.fill(T::ZERO);
    for d_row in delta.chunks_exact(n_out) {
        for (g, &d) in db.iter_mut().zip(d_row) {
            *g += d;
        }
    }
    // ∂L/∂h_prev = δ W: (B, n_out)·(n_out, n_in).
    if let Some(dinp) = dinp {
        matmul(dinp, delta_m, MatRef::row_major(w, n_out, n_in), false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_square_layer_by_hand() {
        // W: (2, 3), two examples.
        let w = [1.0, 2.0, 3.0, -1.0, 0.5, 0.0];
        let b = [0.5, -0.25];
        let x = [1.0, 0.0, 2.0, -1.0, 1.0, 1.0];
        let mut z = [0.0; 4];
        linear_forward(&mut z, &x, &w, &b, 3, 2);
        assert_eq!(z, [7.5, -1.25, 4.5, 1.25]);
        let delta = [1.0, 2.0, 0.5, -1.0];
        let (mut dx, mut dw, mut db) = ([0.0; 6], [0.0; 6], [0.0; 2]);
        linear_backward(Some(&mut dx), &mut dw, &mut db, &delta, &x, &w, 3, 2);
        assert_eq!(dx, [-1.0, 3.0, 3.0, 1.5, 0.5, 1.5]);
        assert_eq!(dw, [0.5, 0.5, 2.5, 3.0, -1.0, 3.0]);
        assert_eq!(db, [1.5, 1.0]);
    }
}
