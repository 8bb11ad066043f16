//! The large-product kernel behind [`super::matmul::matmul`]: a blocked GEMM in the classic
//! layout (Goto & van de Geijn) — `B` copied into `KC × NR` column panels, and a
//! register-blocked micro-kernel that accumulates an `MR × NR` tile of `C` from `MR` rows of `A`
//! (read in place through their strides; only a last partial panel is copied) and one panel.
//!
//! The packing buffer is the caller's growable vector (one per part of a split product, owned
//! by the thread that calls the product), reused by every later call: once a training loop has
//! run a step, its products allocate nothing, on any thread. The micro-kernel is plain Rust
//! over fixed-size arrays; compiled with AVX2 and FMA enabled (chosen at run time), the
//! compiler keeps the tile in vector registers and issues fused multiply–adds.

use crate::kernels::view::{Dst, MatRef};
use crate::real::Real;

/// Depth of one packed block (rows of a `B` panel, columns of an `A` panel).
pub const KC: usize = 256;
/// Rows of `A` packed at a time (a multiple of every `MR`).
pub const MC: usize = 96;

/// `C = [C +] A·B` with `C` `(m, n)` at `c`, tile `MR × NR`, packing into `buf`.
///
/// Shapes: `a` `(m, k)`, `b` `(k, n)`.
///
/// # Safety
/// `c.ptr[i·c.ldc + j]` must be valid for reads and writes for every `i < m`, `j < n`, and no
/// other thread may access those elements during the call.
pub unsafe fn gemm<T: Real, const MR: usize, const NR: usize>(
    buf: &mut Vec<T>,
    c: Dst<T>,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    accumulate: bool,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let n_panels = n.div_ceil(NR);
    let (a_len, b_len) = (MC.div_ceil(MR) * MR * KC, n_panels * NR * KC);
    if buf.len() < a_len + b_len {
        buf.resize(a_len + b_len, T::ZERO); // grows once; reused afterwards
    }
    let (ap, bp) = buf.split_at_mut(a_len);
    // Depth blocks of equal size (784 = 4 × 196, not 3 × 256 + 16): no short last block.
    let kc_even = k.div_ceil(k.div_ceil(KC));
    for pc in (0..k).step_by(kc_even) {
        let kc = kc_even.min(k - pc);
        pack_panels::<T, NR>(bp, b, pc, kc);
        let overwrite = pc == 0 && !accumulate;
        for ic in (0..m).step_by(MC) {
            let mc = MC.min(m - ic);
            // Full MR-row panels of A are read in place; only a last, partial panel is copied
            // (zero-padded) so that the micro-kernel never reads past A.
            let full = mc / MR;
            if mc % MR != 0 {
                pack_a::<T, MR>(ap, a, ic + full * MR, mc % MR, pc, kc);
            }
            for jp in 0..n_panels {
                let b_panel = &bp[jp * NR * kc..(jp + 1) * NR * kc]; // (kc, NR)
                let cols = NR.min(n - jp * NR);
                for ip in 0..mc.div_ceil(MR) {
                    let tile = if ip < full {
                        let at = StridedA {
                            data: a.data,
                            offset: (ic + ip * MR) * a.rs + pc * a.cs,
                            rs: a.rs,
                            cs: a.cs,
                            kc,
                        };
                        micro_kernel_strided::<T, MR, NR>(at, b_panel)
                    } else {
                        micro_kernel::<T, MR, NR>(&ap[..MR * kc], b_panel) // (kc, MR)
                    };
                    let (row0, rows) = (ic + ip * MR, MR.min(mc - ip * MR));
                    for (i, t_row) in tile.iter().enumerate().take(rows) {
                        // SAFETY: row `row0 + i < m`, columns `jp·NR .. jp·NR + cols ≤ n`: ours
                        // by the contract.
                        let c_row = unsafe {
                            std::slice::from_raw_parts_mut(
                                c.ptr.add((row0 + i) * c.ldc + jp * NR),
                                cols,
                            )
                        };
                        if overwrite {
                            c_row.copy_from_slice(&t_row[..cols]);
                        } else {
                            for (cv, &tv) in c_row.iter_mut().zip(t_row) {
                                *cv += tv;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Copies `B[pc..pc+kc, ·]` into `NR`-wide panels, each `(kc, NR)` row-major, zero-padded.
pub(crate) fn pack_panels<T: Real, const NR: usize>(
    bp: &mut [T],
    b: MatRef<'_, T>,
    pc: usize,
    kc: usize,
) {
    let n = b.cols;
    for (jp, panel) in bp
        .chunks_exact_mut(NR * kc)
        .take(n.div_ceil(NR))
        .enumerate()
    {
        let j0 = jp * NR;
        let cols = NR.min(n - j0);
        if b.cs == 1 {
            // Rows of B contiguous: one copy per row of the panel.
            for (p, dst) in panel.chunks_exact_mut(NR).enumerate() {
                let row = (pc + p) * b.rs + j0;
                dst[..cols].copy_from_slice(&b.data[row..row + cols]);
                dst[cols..].fill(T::ZERO);
            }
        } else {
            // Columns of B contiguous (B is a transposed view, e.g. Wᵀ): read each column in
            // order, scatter into the panel (which stays in L1).
            for jj in 0..NR {
                if jj < cols {
                    let col = &b.data[(j0 + jj) * b.cs + pc * b.rs..];
                    for p in 0..kc {
                        panel[p * NR + jj] = col[p * b.rs];
                    }
                } else {
                    for p in 0..kc {
                        panel[p * NR + jj] = T::ZERO;
                    }
                }
            }
        }
    }
}

/// Copies `A[ic..ic+mc, pc..pc+kc]` into `MR`-tall panels, each `(kc, MR)` row-major
/// (column `p` of the panel's rows stored together), zero-padded: the panels of
/// [`pack_panels`] taken from `Aᵀ`.
fn pack_a<T: Real, const MR: usize>(
    ap: &mut [T],
    a: MatRef<'_, T>,
    ic: usize,
    mc: usize,
    pc: usize,
    kc: usize,
) {
    let a_t = a.t(); // (k, m); columns ic..ic+mc are rows ic..ic+mc of A
    let block = MatRef {
        data: &a_t.data[ic * a_t.cs..],
        cols: mc,
        ..a_t
    };
    pack_panels::<T, MR>(ap, block, pc, kc);
}

/// `MR` rows of `A` read in place: element `(i, p)` at `data[offset + i·rs + p·cs]`.
#[derive(Clone, Copy)]
struct StridedA<'a, T> {
    data: &'a [T],
    offset: usize,
    rs: usize,
    cs: usize,
    kc: usize,
}

/// One `MR × NR` tile from `MR` rows of `A` in place and a packed `B` panel.
#[inline]
fn micro_kernel_strided<T: Real, const MR: usize, const NR: usize>(
    a: StridedA<'_, T>,
    b: &[T],
) -> [[T; NR]; MR] {
    assert!(a.kc >= 1 && a.offset + (MR - 1) * a.rs + (a.kc - 1) * a.cs < a.data.len());
    assert!(b.len() >= a.kc * NR);
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above); indices are in
            // bounds (asserted above).
            return unsafe { strided_avx2::<T, MR, NR>(a, b) };
        }
    }
    // SAFETY: indices are in bounds (asserted above).
    unsafe { strided_body::<T, MR, NR, false>(a, b) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn strided_avx2<T: Real, const MR: usize, const NR: usize>(
    a: StridedA<'_, T>,
    b: &[T],
) -> [[T; NR]; MR] {
    strided_body::<T, MR, NR, true>(a, b)
}

/// # Safety
/// `a.offset + (MR−1)·a.rs + (a.kc−1)·a.cs < a.data.len()` and `b.len() ≥ a.kc·NR`.
#[inline(always)]
unsafe fn strided_body<T: Real, const MR: usize, const NR: usize, const FMA: bool>(
    a: StridedA<'_, T>,
    b: &[T],
) -> [[T; NR]; MR] {
    let mut acc = [[T::ZERO; NR]; MR];
    let base = a.data.as_ptr().add(a.offset);
    for (p, bp) in b.chunks_exact(NR).take(a.kc).enumerate() {
        let bp: &[T; NR] = bp.try_into().expect("NR-wide chunk");
        let col = base.add(p * a.cs);
        for (i, acc_i) in acc.iter_mut().enumerate() {
            let ai = *col.add(i * a.rs);
            for j in 0..NR {
                acc_i[j] = if FMA {
                    ai.mul_add(bp[j], acc_i[j])
                } else {
                    acc_i[j] + ai * bp[j]
                };
            }
        }
    }
    acc
}

/// One `MR × NR` tile: `Σ_p a_panel[p, ·]ᵀ b_panel[p, ·]`, using FMA where the CPU has it.
#[inline]
fn micro_kernel<T: Real, const MR: usize, const NR: usize>(a: &[T], b: &[T]) -> [[T; NR]; MR] {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            return unsafe { micro_kernel_avx2::<T, MR, NR>(a, b) };
        }
    }
    micro_kernel_body::<T, MR, NR, false>(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn micro_kernel_avx2<T: Real, const MR: usize, const NR: usize>(
    a: &[T],
    b: &[T],
) -> [[T; NR]; MR] {
    micro_kernel_body::<T, MR, NR, true>(a, b)
}

#[inline(always)]
fn micro_kernel_body<T: Real, const MR: usize, const NR: usize, const FMA: bool>(
    a: &[T],
    b: &[T],
) -> [[T; NR]; MR] {
    let mut acc = [[T::ZERO; NR]; MR];
    for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        let ap: &[T; MR] = ap.try_into().expect("MR-wide chunk");
        let bp: &[T; NR] = bp.try_into().expect("NR-wide chunk");
        for i in 0..MR {
            let ai = ap[i];
            for j in 0..NR {
                acc[i][j] = if FMA {
                    ai.mul_add(bp[j], acc[i][j])
                } else {
                    acc[i][j] + ai * bp[j]
                };
            }
        }
    }
    acc
}
