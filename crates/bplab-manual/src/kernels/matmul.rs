//! The one matrix product every Linear layer's forward and backward goes through:
//! `C ← A·B` (or `C ← C + A·B`), with `A` and `B` strided views so that `Wᵀ` and `δᵀ` are read
//! in place, never copied.
//!
//! Two kernels compute the same sum. Small products (the lesson's 4-5-3-2 network, a batch of
//! one) run through plain loops whose inner loop is contiguous in memory and free of calls, so
//! a tiny network costs nanoseconds, not a kernel dispatch. Products of at least
//! [`PACKED_MIN`] multiply–adds go to the packed kernel ([`super::packed`]: panels copied into
//! reused buffers, one per part of the product, owned by the calling thread, a register-tiled FMA micro-kernel on the CPU's widest SIMD unit),
//! split over every core ([`pool`]) from [`PARALLEL_MIN`] on. The order of the
//! additions differs between the kernels, so results differ in the last bits, never more.

use crate::kernels::pool;
use crate::kernels::view::{Dst, MatRef};
use crate::real::Real;

/// Products with at least this many multiply–adds (`m·n·k`), and at least [`PACKED_MIN_ROWS`]
/// rows, go to the packed kernel.
pub const PACKED_MIN: usize = 16 * 16 * 16;
/// Fewer rows than this waste most of the packed kernel's tile: plain loops instead.
pub const PACKED_MIN_ROWS: usize = 6;
/// Products with at least this many multiply–adds are split over the pool's threads.
pub const PARALLEL_MIN: usize = 1 << 18;

/// `C = A·B` (`accumulate = false`) or `C = C + A·B` (`accumulate = true`).
///
/// Shapes: `a` `(m, k)`, `b` `(k, n)`, `c` `(m, n)` row-major.
pub fn matmul<T: Real>(c: &mut [T], a: MatRef<'_, T>, b: MatRef<'_, T>, accumulate: bool) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    debug_assert_eq!(b.rows, k);
    debug_assert_eq!(c.len(), m * n);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            c.fill(T::ZERO);
        }
        return;
    }
    if takes_packed(m, n, k) {
        return packed(c, a, b, accumulate);
    }
    if !accumulate {
        c.fill(T::ZERO);
    }
    if b.cs == 1 {
        // Rows of B contiguous: C[i, ·] += A[i, p] · B[p, ·] (an axpy per (i, p)).
        for (i, c_row) in c.chunks_exact_mut(n).enumerate() {
            for p in 0..k {
                let a_ip = a.at(i, p);
                let b_row = &b.data[p * b.rs..p * b.rs + n];
                for (cv, &bv) in c_row.iter_mut().zip(b_row) {
                    *cv += a_ip * bv;
                }
            }
        }
    } else if a.cs == 1 && b.rs == 1 {
        // Rows of A and columns of B contiguous: C[i, j] += A[i, ·] · B[·, j] (a dot product).
        for (i, c_row) in c.chunks_exact_mut(n).enumerate() {
            let a_row = &a.data[i * a.rs..i * a.rs + k];
            for (j, cv) in c_row.iter_mut().enumerate() {
                *cv += dot(a_row, &b.data[j * b.cs..j * b.cs + k]);
            }
        }
    } else {
        for (i, c_row) in c.chunks_exact_mut(n).enumerate() {
            for (j, cv) in c_row.iter_mut().enumerate() {
                let mut acc = T::ZERO;
                for p in 0..k {
                    acc += a.at(i, p) * b.at(p, j);
                }
                *cv += acc;
            }
        }
    }
}

/// Whether [`matmul`] computes an `(m, k)·(k, n)` product with the packed kernel. Its sums are
/// then formed in the same order whatever the operands' strides (both are packed first), so a
/// caller may read an operand in another layout and get the same bits; the plain loops below
/// [`PACKED_MIN`] pick their loop order by stride and do not promise that.
///
/// ```
/// use bplab_manual::kernels::matmul::takes_packed;
/// assert!(takes_packed(256, 1024, 1024));
/// assert!(!takes_packed(1, 2, 3));
/// ```
pub fn takes_packed(m: usize, n: usize, k: usize) -> bool {
    m * n * k >= PACKED_MIN && m >= PACKED_MIN_ROWS
}

/// `Σ_i x_i y_i` with eight independent partial sums (so the compiler can use SIMD lanes).
#[inline]
pub fn dot<T: Real>(x: &[T], y: &[T]) -> T {
    let mut acc = [T::ZERO; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (xs, ys) in xc.zip(yc) {
        for l in 0..8 {
            acc[l] += xs[l] * ys[l];
        }
    }
    let mut tail = T::ZERO;
    for (&xv, &yv) in xr.iter().zip(yr) {
        tail += xv * yv;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// The packed kernel, on every core of [`pool::threads`] when the product is large: `C` cut
/// along its longer side (rows of `C` with rows of `A`, or columns of `C` with columns of `B`)
/// into one part per thread, so that each thread packs only its share of the larger operand.
///
/// Part `i` packs into the calling thread's buffer `i` ([`Real::with_packing`]), whichever
/// thread runs it: the buffers are sized by the products this thread computes, so once a step
/// has run, the next allocates nothing on any thread (a per-worker buffer would grow the first
/// time the scheduler happens to hand that worker a part, at any later step).
fn packed<T: Real>(c: &mut [T], a: MatRef<'_, T>, b: MatRef<'_, T>, accumulate: bool) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(c.len() >= m * n);
    let dst = Dst {
        ptr: c.as_mut_ptr(),
        ldc: n,
    };
    let threads = pool::threads();
    T::with_packing(|bufs| {
        if threads < 2 || m * n * k < PARALLEL_MIN || m.max(n) < 64 {
            if bufs.is_empty() {
                bufs.push(Vec::new());
            }
            // SAFETY: `c` holds the whole (m, n) destination and is borrowed mutably.
            return unsafe { T::packed_gemm(&mut bufs[0], dst, a, b, accumulate) };
        }
        let by_rows = m >= n;
        let (len, align) = if by_rows { (m, 16) } else { (n, 32) };
        let chunk = len.div_ceil(threads).next_multiple_of(align);
        let parts = len.div_ceil(chunk);
        if bufs.len() < parts {
            bufs.resize_with(parts, Vec::new);
        }
        let bufs = PartBuffers(bufs.as_mut_ptr());
        pool::run(parts, &|i| {
            let (dst, bufs) = (&dst, &bufs); // the whole wrappers (Sync), not their raw pointers
            let (start, end) = (i * chunk, ((i + 1) * chunk).min(len));
            let (d, a_part, b_part) = if by_rows {
                let a_part = MatRef {
                    data: &a.data[start * a.rs..],
                    rows: end - start,
                    ..a
                };
                // SAFETY (offset): row `start < m` lies inside `c`.
                (
                    Dst {
                        ptr: unsafe { dst.ptr.add(start * n) },
                        ..*dst
                    },
                    a_part,
                    b,
                )
            } else {
                let b_part = MatRef {
                    data: &b.data[start * b.cs..],
                    cols: end - start,
                    ..b
                };
                // SAFETY (offset): column `start < n` of row 0 lies inside `c`.
                (
                    Dst {
                        ptr: unsafe { dst.ptr.add(start) },
                        ..*dst
                    },
                    a,
                    b_part,
                )
            };
            // SAFETY: `i < parts ≤ bufs.len()`, and part `i` alone uses buffer `i` (each part
            // runs exactly once) while the caller's borrow of the buffers lasts for this whole
            // `run`.
            let buf = unsafe { &mut *bufs.0.add(i) };
            // SAFETY: the parts cover disjoint elements of `c` (rows or columns [start, end)),
            // `c` is borrowed mutably for this whole call, and part `i` is written only by the
            // thread running `f(i)`.
            unsafe { T::packed_gemm(buf, d, a_part, b_part, accumulate) };
        });
    })
}

/// The calling thread's packing buffers, handed to the parts of one product (part `i` uses
/// buffer `i` alone).
struct PartBuffers<T>(*mut Vec<T>);

// SAFETY: each part dereferences only its own element (see `packed`), and `T: Send` buffers may
// be used from the worker that runs that part.
unsafe impl<T: Send> Sync for PartBuffers<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &MatRef<'_, f64>, b: &MatRef<'_, f64>) -> Vec<f64> {
        let mut c = vec![0.0; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                for p in 0..a.cols {
                    c[i * b.cols + j] += a.at(i, p) * b.at(p, j);
                }
            }
        }
        c
    }

    #[test]
    fn every_layout_and_both_kernels_agree_with_the_definition() {
        for &(m, k, n) in &[
            (1, 4, 5),
            (3, 7, 2),
            (70, 65, 66),
            (128, 64, 33),
            (300, 130, 70),
            (5, 300, 40),
        ] {
            let av: Vec<f64> = (0..m * k)
                .map(|i| ((i * 37 % 11) as f64 - 5.0) / 7.0)
                .collect();
            let bv: Vec<f64> = (0..k * n)
                .map(|i| ((i * 13 % 17) as f64 - 8.0) / 9.0)
                .collect();
            for a in [
                MatRef::row_major(&av, m, k),
                MatRef::row_major(&av, k, m).t(),
            ] {
                for b in [
                    MatRef::row_major(&bv, k, n),
                    MatRef::row_major(&bv, n, k).t(),
                ] {
                    let want = naive(&a, &b);
                    let mut c = vec![1.0; m * n];
                    matmul(&mut c, a, b, true);
                    for (x, w) in c.iter().zip(&want) {
                        assert!(
                            (x - (w + 1.0)).abs() <= 1e-12 * (1.0 + w.abs()),
                            "{m}x{k}x{n}"
                        );
                    }
                    matmul(&mut c, a, b, false);
                    for (x, w) in c.iter().zip(&want) {
                        assert!((x - w).abs() <= 1e-12 * (1.0 + w.abs()), "{m}x{k}x{n}");
                    }
                }
            }
        }
    }
}
