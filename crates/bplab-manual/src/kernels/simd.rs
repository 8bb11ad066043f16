//! The f32 micro-kernels written with `core::arch` intrinsics, one per instruction set of
//! [`super::isa::Isa`]: an `MR × NR` tile of `C` held in vector registers while `kc` rank-1
//! updates stream through it, `acc += a[p, i] · b[p, ·]` as one fused multiply–add per
//! register (a broadcast element of the packed `A` panel times a row of the packed `B` panel).
//!
//! Each element's sum is formed in the same order as the portable kernel's (`p` ascending,
//! one FMA per step, the tile added to `C` at the end), so every instruction set gives the same
//! bits. Panels: `a` is `(kc, MR)` row-major, `b` is `(kc, NR)` row-major (see
//! [`super::packed`]).

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// AVX-512 tile rows.
pub const MR_512: usize = 14;
/// AVX-512 tile columns (two zmm registers).
pub const NR_512: usize = 32;
/// AVX2 tile rows.
pub const MR_256: usize = 6;
/// AVX2 tile columns (two ymm registers).
pub const NR_256: usize = 16;

/// `C[0..14, 0..32] (=|+=) A_panel · B_panel`.
///
/// # Safety
/// The CPU supports AVX-512F; `a` holds `kc·14` and `b` `kc·32` readable floats; `c[i·ldc + j]`
/// is writable for `i < 14`, `j < 32` and no other thread touches it during the call.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub unsafe fn tile_avx512(
    kc: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
    overwrite: bool,
) {
    let mut acc = [[_mm512_setzero_ps(); 2]; MR_512];
    for p in 0..kc {
        let bp = b.add(p * NR_512);
        let (b0, b1) = (_mm512_loadu_ps(bp), _mm512_loadu_ps(bp.add(16)));
        let ap = a.add(p * MR_512);
        for (i, acc_i) in acc.iter_mut().enumerate() {
            let ai = _mm512_set1_ps(*ap.add(i));
            acc_i[0] = _mm512_fmadd_ps(ai, b0, acc_i[0]);
            acc_i[1] = _mm512_fmadd_ps(ai, b1, acc_i[1]);
        }
    }
    for (i, acc_i) in acc.iter().enumerate() {
        let ci = c.add(i * ldc);
        if overwrite {
            _mm512_storeu_ps(ci, acc_i[0]);
            _mm512_storeu_ps(ci.add(16), acc_i[1]);
        } else {
            _mm512_storeu_ps(ci, _mm512_add_ps(_mm512_loadu_ps(ci), acc_i[0]));
            _mm512_storeu_ps(
                ci.add(16),
                _mm512_add_ps(_mm512_loadu_ps(ci.add(16)), acc_i[1]),
            );
        }
    }
}

/// `C[0..6, 0..16] (=|+=) A_panel · B_panel`.
///
/// # Safety
/// The CPU supports AVX2 and FMA; `a` holds `kc·6` and `b` `kc·16` readable floats;
/// `c[i·ldc + j]` is writable for `i < 6`, `j < 16` and no other thread touches it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub unsafe fn tile_avx2(
    kc: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
    overwrite: bool,
) {
    let mut acc = [[_mm256_setzero_ps(); 2]; MR_256];
    for p in 0..kc {
        let bp = b.add(p * NR_256);
        let (b0, b1) = (_mm256_loadu_ps(bp), _mm256_loadu_ps(bp.add(8)));
        let ap = a.add(p * MR_256);
        for (i, acc_i) in acc.iter_mut().enumerate() {
            let ai = _mm256_set1_ps(*ap.add(i));
            acc_i[0] = _mm256_fmadd_ps(ai, b0, acc_i[0]);
            acc_i[1] = _mm256_fmadd_ps(ai, b1, acc_i[1]);
        }
    }
    for (i, acc_i) in acc.iter().enumerate() {
        let ci = c.add(i * ldc);
        if overwrite {
            _mm256_storeu_ps(ci, acc_i[0]);
            _mm256_storeu_ps(ci.add(8), acc_i[1]);
        } else {
            _mm256_storeu_ps(ci, _mm256_add_ps(_mm256_loadu_ps(ci), acc_i[0]));
            _mm256_storeu_ps(
                ci.add(8),
                _mm256_add_ps(_mm256_loadu_ps(ci.add(8)), acc_i[1]),
            );
        }
    }
}
