//! Which SIMD instruction set the f32 GEMM runs on, chosen once at run time: AVX-512 where the
//! CPU has it (sixteen f32 lanes, 32 vector registers), AVX2 with FMA otherwise (eight lanes,
//! 16 registers), and the portable kernel last. [`Isa::detect`] asks the CPU
//! (`is_x86_feature_detected!`, which caches its answer), so a binary built for any x86-64
//! uses the widest unit of the machine it runs on.

/// An instruction set the f32 micro-kernel is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// `avx512f`: a 14 × 32 register tile (28 of the 32 zmm registers accumulate).
    Avx512,
    /// `avx2` + `fma`: a 6 × 16 register tile (12 of the 16 ymm registers accumulate).
    Avx2Fma,
    /// Plain Rust over fixed-size arrays (the compiler's own vectorization).
    Portable,
}

impl Isa {
    /// The widest instruction set this CPU supports.
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") {
                return Isa::Avx512;
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return Isa::Avx2Fma;
            }
        }
        Isa::Portable
    }

    /// Every instruction set this CPU can run, widest first (for tests that compare them).
    pub fn supported() -> Vec<Isa> {
        let all = [Isa::Avx512, Isa::Avx2Fma, Isa::Portable];
        let best = Isa::detect();
        all.into_iter().skip_while(|&i| i != best).collect()
    }

    /// The CPU features the kernel was compiled for, as the CPU reports them.
    pub fn features(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512f+fma",
            Isa::Avx2Fma => "avx2+fma",
            Isa::Portable => "portable",
        }
    }

    /// f32 lanes of one vector register.
    pub fn f32_lanes(self) -> usize {
        match self {
            Isa::Avx512 => 16,
            Isa::Avx2Fma => 8,
            Isa::Portable => 4,
        }
    }

    /// The register tile `(MR, NR)`: rows of `A` × columns of `B` per micro-kernel call.
    pub fn tile(self) -> (usize, usize) {
        match self {
            Isa::Avx512 => (14, 32),
            Isa::Avx2Fma => (6, 16),
            Isa::Portable => (6, 16),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_detected_set_is_the_widest_supported_and_portable_is_always_there() {
        let s = Isa::supported();
        assert_eq!(s[0], Isa::detect());
        assert_eq!(*s.last().unwrap(), Isa::Portable);
        assert!(s.iter().all(|i| i.tile().1.is_multiple_of(i.f32_lanes())));
    }
}
