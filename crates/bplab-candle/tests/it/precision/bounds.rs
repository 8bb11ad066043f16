//! The pinned bounds of `precision/mod.rs`: for every `(op, dtype, pass)` one named constant,
//! about 1.5–2.5× the figure measured with candle 0.11.1 on x86-64 (given in its comment), so
//! a candle upgrade that changes an op's accuracy fails, naming the pair.

/// A pinned bound: max `|got − truth|` and max relative error where `|truth| ≥ atol`.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    pub abs: f64,
    pub rel: f64,
}

/// `relu f64 fwd`: measured exact.
pub const RELU_F64_FWD: Bound = Bound { abs: 0.0, rel: 0.0 };
/// `relu f64 bwd`: measured exact (x = 0 excluded).
pub const RELU_F64_BWD: Bound = Bound { abs: 0.0, rel: 0.0 };
/// `leaky-relu f64 fwd`: measured exact.
pub const LEAKY_RELU_F64_FWD: Bound = Bound { abs: 0.0, rel: 0.0 };
/// `leaky-relu f64 bwd`: measured exact (x = 0 excluded).
pub const LEAKY_RELU_F64_BWD: Bound = Bound { abs: 0.0, rel: 0.0 };
/// `sigmoid f64 fwd`: measured abs 1.11e-16 (x = −0.27), rel 4.26e-16.
pub const SIGMOID_F64_FWD: Bound = Bound {
    abs: 2.5e-16,
    rel: 1e-15,
};
/// `sigmoid f64 bwd`: measured abs 1.60e-16, rel 4.85e-8 at x = 19.99 (σ(1 − σ) cancels).
pub const SIGMOID_F64_BWD: Bound = Bound {
    abs: 4e-16,
    rel: 1e-7,
};
/// `tanh f64 fwd`: measured abs 2.22e-16, rel 3.84e-16.
pub const TANH_F64_FWD: Bound = Bound {
    abs: 5e-16,
    rel: 1e-15,
};
/// `tanh f64 bwd`: measured abs 3.33e-16, rel 9.38e-5 at x = −14.44 (1 − tanh² cancels).
pub const TANH_F64_BWD: Bound = Bound {
    abs: 1e-15,
    rel: 2e-4,
};
/// `gelu f64 fwd`: measured abs 1.78e-15, rel 1.15e-4 at x = −7.26 (1 + erf(x/√2) cancels).
pub const GELU_F64_FWD: Bound = Bound {
    abs: 4e-15,
    rel: 2.5e-4,
};
/// `gelu f64 bwd`: measured abs 1.70e-7 at x = 1, rel 2.05e-4 at x = −0.75: the 0.398942 constant; MISSES the f64 tolerance.
pub const GELU_F64_BWD: Bound = Bound {
    abs: 2e-7,
    rel: 3e-4,
};
/// `erf f64 fwd`: measured exact (candle calls libm::erf, as the truth does).
pub const ERF_F64_FWD: Bound = Bound { abs: 0.0, rel: 0.0 };
/// `erf f64 bwd`: measured exact (the same formula as the truth).
pub const ERF_F64_BWD: Bound = Bound { abs: 0.0, rel: 0.0 };
/// `softmax f64 fwd`: measured exact (the same algorithm as the f64 truth).
pub const SOFTMAX_F64_FWD: Bound = Bound { abs: 0.0, rel: 0.0 };
/// `softmax f64 bwd`: measured abs 2.91e-16, rel 5.18e-5 at z = 15.02.
pub const SOFTMAX_F64_BWD: Bound = Bound {
    abs: 1e-15,
    rel: 1e-4,
};
/// `softmax_last_dim f64 fwd`: measured exact (the same algorithm as the f64 truth).
pub const SOFTMAX_LAST_DIM_F64_FWD: Bound = Bound { abs: 0.0, rel: 0.0 };
/// `log_softmax f64 fwd`: measured exact (the same algorithm as the f64 truth).
pub const LOG_SOFTMAX_F64_FWD: Bound = Bound { abs: 0.0, rel: 0.0 };
/// `log_softmax f64 bwd`: measured abs 1.11e-15, rel 9.62e-14.
pub const LOG_SOFTMAX_F64_BWD: Bound = Bound {
    abs: 2.5e-15,
    rel: 2e-13,
};
/// `relu f32 fwd`: measured exact.
pub const RELU_F32_FWD: Bound = Bound { abs: 0.0, rel: 0.0 };
/// `relu f32 bwd`: measured exact (x = 0 excluded).
pub const RELU_F32_BWD: Bound = Bound { abs: 0.0, rel: 0.0 };
/// `leaky-relu f32 fwd`: measured abs 1.19e-8 at x = −20, rel 7.97e-8: 0.01 rounded to f32.
pub const LEAKY_RELU_F32_FWD: Bound = Bound {
    abs: 2.5e-8,
    rel: 1.5e-7,
};
/// `leaky-relu f32 bwd`: measured abs 2.24e-10, rel 2.24e-8: 0.01 rounded to f32.
pub const LEAKY_RELU_F32_BWD: Bound = Bound {
    abs: 5e-10,
    rel: 5e-8,
};
/// `sigmoid f32 fwd`: measured abs 8.46e-8, rel 1.03e-7.
pub const SIGMOID_F32_FWD: Bound = Bound {
    abs: 1.5e-7,
    rel: 2e-7,
};
/// `sigmoid f32 bwd`: measured abs 8.46e-8, rel 5.03e-3 at x = 11.46 (σ(1 − σ) cancels).
pub const SIGMOID_F32_BWD: Bound = Bound {
    abs: 1.5e-7,
    rel: 1e-2,
};
/// `tanh f32 fwd`: measured abs 8.18e-8, rel 1.27e-7.
pub const TANH_F32_FWD: Bound = Bound {
    abs: 1.5e-7,
    rel: 2.5e-7,
};
/// `tanh f32 bwd`: measured abs 1.46e-7, rel 5.69e-3 at x = −6.44 (1 − tanh² cancels).
pub const TANH_F32_BWD: Bound = Bound {
    abs: 3e-7,
    rel: 1e-2,
};
/// `gelu f32 fwd`: measured abs 4.22e-7 at x = 5.07, rel 4.90e-3 at x = −4.59 (1 + erf cancels).
pub const GELU_F32_FWD: Bound = Bound {
    abs: 8e-7,
    rel: 1e-2,
};
/// `gelu f32 bwd`: measured abs 2.46e-7 at x = 0.9, rel 1.88e-3 at x = −4.91.
pub const GELU_F32_BWD: Bound = Bound {
    abs: 5e-7,
    rel: 4e-3,
};
/// `erf f32 fwd`: measured abs 3.72e-8, rel 4.85e-8.
pub const ERF_F32_FWD: Bound = Bound {
    abs: 7.5e-8,
    rel: 1e-7,
};
/// `erf f32 bwd`: measured abs 1.36e-7, rel 5.66e-7.
pub const ERF_F32_BWD: Bound = Bound {
    abs: 2.5e-7,
    rel: 1e-6,
};
/// `softmax f32 fwd`: measured abs 1.57e-7, rel 6.01e-7.
pub const SOFTMAX_F32_FWD: Bound = Bound {
    abs: 3e-7,
    rel: 1.2e-6,
};
/// `softmax f32 bwd`: measured abs 4.46e-8, rel 1.21e-4.
pub const SOFTMAX_F32_BWD: Bound = Bound {
    abs: 1e-7,
    rel: 2.5e-4,
};
/// `softmax_last_dim f32 fwd`: measured abs 1.57e-7, rel 6.01e-7 (bit-identical to softmax here).
pub const SOFTMAX_LAST_DIM_F32_FWD: Bound = Bound {
    abs: 3e-7,
    rel: 1.2e-6,
};
/// `log_softmax f32 fwd`: measured abs 3.85e-6 at z = −18.09, rel 9.93e-3 where the result is near 0.
pub const LOG_SOFTMAX_F32_FWD: Bound = Bound {
    abs: 8e-6,
    rel: 2e-2,
};
/// `log_softmax f32 bwd`: measured abs 1.67e-7, rel 1.52e-5.
pub const LOG_SOFTMAX_F32_BWD: Bound = Bound {
    abs: 3.5e-7,
    rel: 3e-5,
};

/// Every pinned pair, by the name `measure_all` gives it.
pub const PINNED: [(&str, Bound); 34] = [
    ("relu f64 fwd", RELU_F64_FWD),
    ("relu f64 bwd", RELU_F64_BWD),
    ("leaky-relu f64 fwd", LEAKY_RELU_F64_FWD),
    ("leaky-relu f64 bwd", LEAKY_RELU_F64_BWD),
    ("sigmoid f64 fwd", SIGMOID_F64_FWD),
    ("sigmoid f64 bwd", SIGMOID_F64_BWD),
    ("tanh f64 fwd", TANH_F64_FWD),
    ("tanh f64 bwd", TANH_F64_BWD),
    ("gelu f64 fwd", GELU_F64_FWD),
    ("gelu f64 bwd", GELU_F64_BWD),
    ("erf f64 fwd", ERF_F64_FWD),
    ("erf f64 bwd", ERF_F64_BWD),
    ("softmax f64 fwd", SOFTMAX_F64_FWD),
    ("softmax f64 bwd", SOFTMAX_F64_BWD),
    ("softmax_last_dim f64 fwd", SOFTMAX_LAST_DIM_F64_FWD),
    ("log_softmax f64 fwd", LOG_SOFTMAX_F64_FWD),
    ("log_softmax f64 bwd", LOG_SOFTMAX_F64_BWD),
    ("relu f32 fwd", RELU_F32_FWD),
    ("relu f32 bwd", RELU_F32_BWD),
    ("leaky-relu f32 fwd", LEAKY_RELU_F32_FWD),
    ("leaky-relu f32 bwd", LEAKY_RELU_F32_BWD),
    ("sigmoid f32 fwd", SIGMOID_F32_FWD),
    ("sigmoid f32 bwd", SIGMOID_F32_BWD),
    ("tanh f32 fwd", TANH_F32_FWD),
    ("tanh f32 bwd", TANH_F32_BWD),
    ("gelu f32 fwd", GELU_F32_FWD),
    ("gelu f32 bwd", GELU_F32_BWD),
    ("erf f32 fwd", ERF_F32_FWD),
    ("erf f32 bwd", ERF_F32_BWD),
    ("softmax f32 fwd", SOFTMAX_F32_FWD),
    ("softmax f32 bwd", SOFTMAX_F32_BWD),
    ("softmax_last_dim f32 fwd", SOFTMAX_LAST_DIM_F32_FWD),
    ("log_softmax f32 fwd", LOG_SOFTMAX_F32_FWD),
    ("log_softmax f32 bwd", LOG_SOFTMAX_F32_BWD),
];
