//! `tanh` over a whole f32 buffer in SIMD lanes. The C library's `tanhf` is a call per element
//! that the compiler cannot vectorize; on a deep tanh network it was most of the forward pass.
//!
//! The algorithm is Cephes' `tanhf`, written branch-free so that every lane runs the same
//! instructions:
//! - `|x| ≤ 0.5493` (`tanh x ≤ 1/2`): the odd polynomial
//!   `x + x³·P(x²)` with Cephes' minimax coefficients;
//! - otherwise `sign(x)·(1 − 2/(e^{2|x|} + 1))`, with `e^y` from Cephes' `expf`: `y = n·ln 2 + r`,
//!   `|r| ≤ ½ ln 2`, a degree-7 polynomial for `e^r`, and `2^n` built in the exponent bits.
//!
//! `|x| ≥ 10` gives exactly `±1` (as `tanhf` does: `1 − tanh 10 < 2⁻²⁵`). The test below holds the
//! result to within 2 units in the last place of the correctly rounded `tanh` everywhere it
//! samples. Only the f32 path uses this; f64 keeps the standard library's `tanh`.

/// `a[i] = tanh(z[i])` for every element.
pub fn tanh_f32(z: &[f32], a: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            return unsafe { tanh_f32_avx2(z, a) };
        }
    }
    tanh_f32_body(z, a)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn tanh_f32_avx2(z: &[f32], a: &mut [f32]) {
    tanh_f32_body(z, a)
}

#[inline(always)]
fn tanh_f32_body(z: &[f32], a: &mut [f32]) {
    for (a, &x) in a.iter_mut().zip(z) {
        *a = tanh1(x);
    }
}

/// One element, branch-free (both formulas computed, one selected). The coefficients are
/// Cephes' as published (more digits than an f32 holds; the compiler rounds them).
#[inline(always)]
#[allow(clippy::excessive_precision)]
pub fn tanh1(x: f32) -> f32 {
    let ax = x.abs().min(10.0);
    // Small |x|: x + x³ P(x²).
    let x2 = x * x;
    let p = ((((-5.704_988_7e-3 * x2 + 2.063_908_9e-2) * x2 - 5.373_971_6e-2) * x2
        + 1.333_144_2e-1)
        * x2
        - 3.333_328_2e-1)
        * x2;
    let small = x + x * p;
    // Large |x|: 1 − 2/(e^{2|x|} + 1), with the sign of x.
    let e = exp_f32(2.0 * ax);
    let large = (1.0 - 2.0 / (e + 1.0)).copysign(x);
    if x.is_nan() {
        x
    } else if ax <= 0.549_306_1 {
        small
    } else {
        large
    }
}

/// `e^y` for `0 ≤ y ≤ 20` (Cephes `expf`: Cody–Waite reduction by ln 2, polynomial for `e^r`).
#[inline(always)]
#[allow(clippy::excessive_precision)]
fn exp_f32(y: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const C1: f32 = 0.693_359_4; // ln 2, high part (exact in few bits)
    const C2: f32 = -2.121_944_4e-4; // ln 2 − C1
    let n = (y * LOG2E + 0.5).floor();
    let r = y - n * C1 - n * C2;
    let r2 = r * r;
    let p = (((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2)
        * r
        + 1.666_666_5e-1)
        * r
        + 5.000_000_1e-1)
        * r2
        + r
        + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23); // 2^n
    p * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between `got` and the correctly rounded `want`.
    fn ulps(got: f32, want: f64) -> f64 {
        let w = want as f32;
        let ulp = f32::from_bits(w.abs().to_bits() + 1) - w.abs();
        ((got as f64 - want) / ulp as f64).abs()
    }

    #[test]
    fn within_two_ulps_of_tanh_everywhere_sampled() {
        let mut worst = (0.0f64, 0.0f32);
        let mut x = -12.0f32;
        let mut xs = Vec::new();
        while x <= 12.0 {
            xs.push(x);
            x += 1.0 / 1024.0;
        }
        xs.extend([
            0.0,
            -0.0,
            1e-30,
            -1e-30,
            1e-8,
            0.549_306_1,
            0.549_306_2,
            9.0,
            100.0,
            -1e30,
        ]);
        let mut out = vec![0.0; xs.len()];
        tanh_f32(&xs, &mut out);
        for (&x, &got) in xs.iter().zip(&out) {
            let e = ulps(got, (x as f64).tanh());
            if e > worst.0 {
                worst = (e, x);
            }
        }
        assert!(worst.0 <= 2.0, "{} ulps at x = {}", worst.0, worst.1);
        let mut one = [0.0f32; 2];
        tanh_f32(&[20.0, -20.0], &mut one);
        assert_eq!(one, [1.0, -1.0]);
        tanh_f32(&[f32::NAN, 1.0], &mut one);
        assert!(one[0].is_nan());
    }
}
