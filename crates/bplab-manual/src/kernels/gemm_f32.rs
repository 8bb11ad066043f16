//! The f32 GEMM on the widest SIMD unit of the CPU ([`Isa::detect`]): the blocked layout of
//! [`super::packed`] with both operands packed — `B` into `(kc, NR)` panels, `A` into `(kc, MR)`
//! panels of `MC` rows at a time — and the intrinsic micro-kernels of [`super::simd`] (a 14 × 32
//! tile on AVX-512, 6 × 16 on AVX2). Without AVX2 it is the portable kernel of
//! [`super::packed::gemm`].
//!
//! Packing a transposed view (`Wᵀ` in every forward pass, and row-major `A` into its column
//! panels) is an 8 × 8 register transpose: eight contiguous rows of the source loaded, shuffled,
//! and stored as eight contiguous panel rows, instead of one element at a time.
//!
//! The depth blocks are those of the portable kernel (equal blocks of at most
//! [`packed::KC`]), and each element's sum is formed in the same order, so every instruction set
//! returns the same bits.

use crate::kernels::isa::Isa;
use crate::kernels::packed::{self, KC, MC};
use crate::kernels::view::{Dst, MatRef};

/// A micro-kernel: `(kc, a_panel, b_panel, c, ldc, overwrite)`.
type TileFn = unsafe fn(usize, *const f32, *const f32, *mut f32, usize, bool);

/// `C = [C +] A·B` in f32 on the widest instruction set this CPU has.
///
/// # Safety
/// As [`packed::gemm`]: `c` must own the `(m, n)` destination for the call.
pub unsafe fn gemm(
    buf: &mut Vec<f32>,
    c: Dst<f32>,
    a: MatRef<'_, f32>,
    b: MatRef<'_, f32>,
    acc: bool,
) {
    unsafe { gemm_on(Isa::detect(), buf, c, a, b, acc) }
}

/// [`gemm`] on a chosen instruction set (one the CPU lacks falls back to the portable kernel).
///
/// # Safety
/// As [`gemm`].
pub unsafe fn gemm_on(
    isa: Isa,
    buf: &mut Vec<f32>,
    c: Dst<f32>,
    a: MatRef<'_, f32>,
    b: MatRef<'_, f32>,
    accumulate: bool,
) {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::kernels::simd;
        let avx2 = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        if isa == Isa::Avx512 && avx2 && std::is_x86_feature_detected!("avx512f") {
            let tile: TileFn = simd::tile_avx512;
            // SAFETY: AVX-512F, AVX2 and FMA present (checked); `c` as the caller promised.
            return unsafe {
                blocked::<{ simd::MR_512 }, { simd::NR_512 }>(buf, c, a, b, accumulate, tile)
            };
        }
        if isa != Isa::Portable && avx2 {
            let tile: TileFn = simd::tile_avx2;
            // SAFETY: AVX2 and FMA present (checked); `c` as the caller promised.
            return unsafe {
                blocked::<{ simd::MR_256 }, { simd::NR_256 }>(buf, c, a, b, accumulate, tile)
            };
        }
    }
    // SAFETY: forwarded.
    unsafe { packed::gemm::<f32, 6, 16>(buf, c, a, b, accumulate) }
}

/// The blocked loop nest around an `MR × NR` micro-kernel.
///
/// # Safety
/// `tile` may run on this CPU and AVX2 is present (packing); `c` as in [`gemm`].
unsafe fn blocked<const MR: usize, const NR: usize>(
    buf: &mut Vec<f32>,
    c: Dst<f32>,
    a: MatRef<'_, f32>,
    b: MatRef<'_, f32>,
    accumulate: bool,
    tile: TileFn,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let mc_max = MC.div_ceil(MR) * MR;
    let n_panels = n.div_ceil(NR);
    let (a_len, b_len) = (mc_max * KC, n_panels * NR * KC);
    if buf.len() < a_len + b_len {
        buf.resize(a_len + b_len, 0.0); // grows once; reused afterwards
    }
    let (ap, bp) = buf.split_at_mut(a_len);
    let kc_even = k.div_ceil(k.div_ceil(KC));
    for pc in (0..k).step_by(kc_even) {
        let kc = kc_even.min(k - pc);
        // SAFETY: AVX2 present (the caller's contract).
        unsafe { pack::<NR>(bp, b, pc, kc) };
        let overwrite = pc == 0 && !accumulate;
        for ic in (0..m).step_by(mc_max) {
            let mc = mc_max.min(m - ic);
            let a_t = a.t(); // (k, m): columns ic.. are rows ic.. of A
            let block = MatRef {
                data: &a_t.data[ic * a_t.cs..],
                cols: mc,
                ..a_t
            };
            // SAFETY: as above.
            unsafe { pack::<MR>(ap, block, pc, kc) };
            for jp in 0..n_panels {
                let b_panel = bp[jp * NR * kc..(jp + 1) * NR * kc].as_ptr();
                let cols = NR.min(n - jp * NR);
                for ip in 0..mc.div_ceil(MR) {
                    let a_panel = ap[ip * MR * kc..(ip + 1) * MR * kc].as_ptr();
                    let (row0, rows) = (ic + ip * MR, MR.min(mc - ip * MR));
                    // SAFETY: rows row0..row0+rows < m, columns jp·NR..+cols ≤ n: ours by the
                    // contract; panels hold kc·MR and kc·NR floats.
                    unsafe {
                        let c0 = c.ptr.add(row0 * c.ldc + jp * NR);
                        if rows == MR && cols == NR {
                            tile(kc, a_panel, b_panel, c0, c.ldc, overwrite);
                        } else {
                            let mut t = [[0.0f32; NR]; MR];
                            tile(kc, a_panel, b_panel, t.as_mut_ptr().cast(), NR, true);
                            for (i, t_row) in t.iter().enumerate().take(rows) {
                                let c_row = std::slice::from_raw_parts_mut(c0.add(i * c.ldc), cols);
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
    }
}

/// Copies `B[pc..pc+kc, ·]` into `NR`-wide panels, each `(kc, NR)` row-major, zero-padded.
/// A transposed view (`B.rs == 1`: columns contiguous) goes through 8 × 8 register transposes.
///
/// # Safety
/// The CPU supports AVX2 (on x86-64).
unsafe fn pack<const NR: usize>(bp: &mut [f32], b: MatRef<'_, f32>, pc: usize, kc: usize) {
    #[cfg(target_arch = "x86_64")]
    if b.rs == 1 && b.cs != 1 && NR.is_multiple_of(8) {
        let n = b.cols;
        for (jp, panel) in bp
            .chunks_exact_mut(NR * kc)
            .take(n.div_ceil(NR))
            .enumerate()
        {
            let (j0, cols) = (jp * NR, NR.min(n - jp * NR));
            let (full_p, full_j) = (kc / 8 * 8, cols / 8 * 8);
            for jj in (0..full_j).step_by(8) {
                let src0 = (j0 + jj) * b.cs + pc;
                assert!(full_p == 0 || src0 + 7 * b.cs + full_p <= b.data.len());
                for p in (0..full_p).step_by(8) {
                    // SAFETY: rows j0+jj..+8 of Bᵀ, elements pc+p..+8 lie in `b.data`
                    // (asserted); the panel rows p..p+8, columns jj..jj+8 lie in `panel`.
                    unsafe {
                        transpose8(
                            b.data.as_ptr().add(src0 + p),
                            b.cs,
                            panel.as_mut_ptr().add(p * NR + jj),
                            NR,
                        )
                    };
                }
            }
            for p in 0..kc {
                let row = &mut panel[p * NR..(p + 1) * NR];
                let from = if p < full_p { full_j } else { 0 };
                for (jj, v) in row.iter_mut().enumerate().skip(from) {
                    *v = if jj < cols {
                        b.data[(j0 + jj) * b.cs + pc + p]
                    } else {
                        0.0
                    };
                }
            }
        }
        return;
    }
    packed::pack_panels::<f32, NR>(bp, b, pc, kc)
}

/// `dst[q·ldd + r] = src[r·lds + q]` for `r, q < 8`.
///
/// # Safety
/// AVX2 present; eight rows of eight floats readable at `src`, writable at `dst`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn transpose8(src: *const f32, lds: usize, dst: *mut f32, ldd: usize) {
    use std::arch::x86_64::*;
    let r: [__m256; 8] = std::array::from_fn(|i| unsafe { _mm256_loadu_ps(src.add(i * lds)) });
    let t0 = _mm256_unpacklo_ps(r[0], r[1]);
    let t1 = _mm256_unpackhi_ps(r[0], r[1]);
    let t2 = _mm256_unpacklo_ps(r[2], r[3]);
    let t3 = _mm256_unpackhi_ps(r[2], r[3]);
    let t4 = _mm256_unpacklo_ps(r[4], r[5]);
    let t5 = _mm256_unpackhi_ps(r[4], r[5]);
    let t6 = _mm256_unpacklo_ps(r[6], r[7]);
    let t7 = _mm256_unpackhi_ps(r[6], r[7]);
    let s0 = _mm256_shuffle_ps::<0x44>(t0, t2);
    let s1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
    let s2 = _mm256_shuffle_ps::<0x44>(t1, t3);
    let s3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
    let s4 = _mm256_shuffle_ps::<0x44>(t4, t6);
    let s5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
    let s6 = _mm256_shuffle_ps::<0x44>(t5, t7);
    let s7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
    let out = [
        _mm256_permute2f128_ps::<0x20>(s0, s4),
        _mm256_permute2f128_ps::<0x20>(s1, s5),
        _mm256_permute2f128_ps::<0x20>(s2, s6),
        _mm256_permute2f128_ps::<0x20>(s3, s7),
        _mm256_permute2f128_ps::<0x31>(s0, s4),
        _mm256_permute2f128_ps::<0x31>(s1, s5),
        _mm256_permute2f128_ps::<0x31>(s2, s6),
        _mm256_permute2f128_ps::<0x31>(s3, s7),
    ];
    for (q, v) in out.into_iter().enumerate() {
        unsafe { _mm256_storeu_ps(dst.add(q * ldd), v) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every instruction set, every layout, partial tiles on both sides, two depth blocks:
    /// the same bits as the portable kernel (same summation order), and the definition to
    /// rounding.
    #[test]
    fn every_instruction_set_gives_the_portable_kernels_bits() {
        for &(m, k, n) in &[(37, 300, 45), (112, 64, 96), (15, 9, 33)] {
            let av: Vec<f32> = (0..m * k)
                .map(|i| ((i * 37 % 11) as f32 - 5.0) / 7.0)
                .collect();
            let bv: Vec<f32> = (0..k * n)
                .map(|i| ((i * 13 % 17) as f32 - 8.0) / 9.0)
                .collect();
            for a in [
                MatRef::row_major(&av, m, k),
                MatRef::row_major(&av, k, m).t(),
            ] {
                for b in [
                    MatRef::row_major(&bv, k, n),
                    MatRef::row_major(&bv, n, k).t(),
                ] {
                    for accumulate in [false, true] {
                        let run = |isa| {
                            let mut c = vec![0.5f32; m * n];
                            let dst = Dst {
                                ptr: c.as_mut_ptr(),
                                ldc: n,
                            };
                            // SAFETY: `c` is the whole (m, n) destination, borrowed here.
                            unsafe { gemm_on(isa, &mut Vec::new(), dst, a, b, accumulate) };
                            c
                        };
                        let want = run(Isa::Portable);
                        for (i, w) in want.iter().enumerate() {
                            let (r, q) = (i / n, i % n);
                            let exact: f64 = (0..k)
                                .map(|p| a.at(r, p) as f64 * b.at(p, q) as f64)
                                .sum::<f64>()
                                + if accumulate { 0.5 } else { 0.0 };
                            assert!((*w as f64 - exact).abs() <= 1e-4 * (1.0 + exact.abs()));
                        }
                        for isa in Isa::supported() {
                            assert_eq!(run(isa), want, "{isa:?} {m}x{k}x{n}");
                        }
                    }
                }
            }
        }
    }
}
