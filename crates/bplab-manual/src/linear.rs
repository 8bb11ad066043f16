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

use crate::real::Real;

/// `z = h_prev Wᵀ + b`.
///
/// Shapes: `z` `(B, n_out)`, `inp` `(B, n_in)`, `w` `(n_out, n_in)`, `bias` `(n_out)`.
pub fn linear_forward<T: Real>(
    z: &mut [T],
    inp: &[T],
    w: &[T],
    bias: &[T],
    n_in: usize,
    n_out: usize,
) {
    for (z_row, x_row) in z.chunks_exact_mut(n_out).zip(inp.chunks_exact(n_in)) {
        for (o, z_o) in z_row.iter_mut().enumerate() {
            let w_row = &w[o * n_in..(o + 1) * n_in];
            let mut acc = bias[o];
            for (&x, &wv) in x_row.iter().zip(w_row) {
                acc += x * wv;
            }
            *z_o = acc;
        }
    }
}

/// Backward of [`linear_forward`]: writes `dinp = δ W`, `dw = δᵀ inp`, `db = Σ_b δ`
/// (overwriting, not accumulating).
///
/// Shapes: `dinp` `(B, n_in)`, `dw` `(n_out, n_in)`, `db` `(n_out)`, `delta` `(B, n_out)`,
/// `inp` `(B, n_in)` (the forward input, cached), `w` `(n_out, n_in)`.
#[allow(clippy::too_many_arguments)]
pub fn linear_backward<T: Real>(
    dinp: &mut [T],
    dw: &mut [T],
    db: &mut [T],
    delta: &[T],
    inp: &[T],
    w: &[T],
    n_in: usize,
    n_out: usize,
) {
    dinp.fill(T::ZERO);
    dw.fill(T::ZERO);
    db.fill(T::ZERO);
    for ((d_row, x_row), dx_row) in delta
        .chunks_exact(n_out)
        .zip(inp.chunks_exact(n_in))
        .zip(dinp.chunks_exact_mut(n_in))
    {
        for (o, &d) in d_row.iter().enumerate() {
            let w_row = &w[o * n_in..(o + 1) * n_in];
            let dw_row = &mut dw[o * n_in..(o + 1) * n_in];
            for i in 0..n_in {
                dx_row[i] += d * w_row[i]; // ∂L/∂h_prev = δ W
                dw_row[i] += d * x_row[i]; // ∂L/∂W = δᵀ h_prev
            }
            db[o] += d; // ∂L/∂b = Σ_b δ
        }
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
        linear_backward(&mut dx, &mut dw, &mut db, &delta, &x, &w, 3, 2);
        assert_eq!(dx, [-1.0, 3.0, 3.0, 1.5, 0.5, 1.5]);
        assert_eq!(dw, [0.5, 0.5, 2.5, 3.0, -1.0, 3.0]);
        assert_eq!(db, [1.5, 1.0]);
    }
}
