//! The benchmark matrix: the named configurations (network + batch size), the operations
//! timed on each, and the floating-point work each operation does, so that a time becomes
//! GFLOP/s. `bplab bench` and the criterion suite (`benches/`) use the same definitions.

use bplab_core::rng::Rng;
use bplab_core::{Activation, Batch, Error, Init, Loss, NetSpec, Network, Norm, Result, Tensor};

/// One row of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchConfig {
    /// `seed-b1`, `mnist-b64`, …
    pub name: &'static str,
    /// Widths, input first (`deep20` is expanded by [`BenchConfig::spec`]).
    kind: Kind,
    /// Batch size.
    pub batch: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// 4-5-3-2 relu,tanh,softmax, cross-entropy (the lesson's assignment network).
    Seed,
    /// 784-128-64-10 relu,relu,softmax.
    Mnist,
    /// 784-128-64-10 relu,relu,softmax with LayerNorm on both hidden layers.
    MnistLn,
    /// 1024-1024-1024-10 relu,relu,softmax.
    Wide,
    /// 64 in, 20 hidden layers of 64 (tanh, residual), 10 out, softmax.
    Deep20,
}

/// The six configurations, in table order.
pub const CONFIGS: [BenchConfig; 6] = [
    BenchConfig {
        name: "seed-b1",
        kind: Kind::Seed,
        batch: 1,
    },
    BenchConfig {
        name: "seed-b64",
        kind: Kind::Seed,
        batch: 64,
    },
    BenchConfig {
        name: "mnist-b64",
        kind: Kind::Mnist,
        batch: 64,
    },
    BenchConfig {
        name: "mnist-ln-b64",
        kind: Kind::MnistLn,
        batch: 64,
    },
    BenchConfig {
        name: "wide-b256",
        kind: Kind::Wide,
        batch: 256,
    },
    BenchConfig {
        name: "deep20-b32",
        kind: Kind::Deep20,
        batch: 32,
    },
];

/// What is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// The loss.
    Forward,
    /// Forward and backward: the loss and every parameter gradient.
    Grads,
    /// Grads plus the SGD update.
    TrainStep,
}

impl Op {
    /// Every operation, in table order.
    pub const ALL: [Op; 3] = [Op::Forward, Op::Grads, Op::TrainStep];

    /// `forward`, `grads`, `train_step`.
    pub fn name(self) -> &'static str {
        match self {
            Op::Forward => "forward",
            Op::Grads => "grads",
            Op::TrainStep => "train_step",
        }
    }
}

impl BenchConfig {
    /// The configuration called `name`.
    pub fn by_name(name: &str) -> Result<Self> {
        CONFIGS
            .iter()
            .copied()
            .find(|c| c.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = CONFIGS.iter().map(|c| c.name).collect();
                Error::Parse(format!(
                    "--config: unknown configuration '{name}' (expected one of: {})",
                    names.join(", ")
                ))
            })
    }

    /// The network description.
    pub fn spec(&self) -> NetSpec {
        use Activation::*;
        let (widths, acts, residual) = match self.kind {
            Kind::Seed => (vec![4, 5, 3, 2], vec![Relu, Tanh, Softmax], false),
            Kind::Mnist | Kind::MnistLn => {
                (vec![784, 128, 64, 10], vec![Relu, Relu, Softmax], false)
            }
            Kind::Wide => (vec![1024, 1024, 1024, 10], vec![Relu, Relu, Softmax], false),
            Kind::Deep20 => {
                let mut w = vec![64; 22];
                w.push(10);
                let mut a = vec![Tanh; 21];
                a.push(Softmax);
                (w, a, true)
            }
        };
        let spec = NetSpec::new(widths, acts, Loss::CrossEntropy, residual)
            .expect("valid by construction");
        match self.kind {
            Kind::MnistLn => spec.with_norm(Norm::Layer).expect("valid by construction"),
            _ => spec,
        }
    }

    /// Whether time is dominated by large matrix products (where a 5% difference is a tie).
    pub fn gemm_bound(&self) -> bool {
        matches!(self.kind, Kind::Mnist | Kind::MnistLn | Kind::Wide)
    }

    /// The network (He-normal weights, seed 1) and a batch of standard-normal inputs with
    /// one-hot targets, made once, outside any timed loop.
    pub fn workload(&self) -> (Network, Batch) {
        let spec = self.spec();
        workload(&spec, self.batch)
    }
}

/// He-normal weights (seed 1) for `spec` and `batch` examples of N(0, 1) inputs with one-hot
/// targets (seed 2).
pub fn workload(spec: &NetSpec, batch: usize) -> (Network, Batch) {
    let params = Init::HeNormal.params(spec, 1);
    let net = Network::new(spec.clone(), params).expect("drawn for this spec");
    let mut rng = Rng::new(2);
    let (n_in, n_out) = (spec.n_in(), spec.n_out());
    let x: Vec<f64> = (0..batch * n_in).map(|_| rng.normal()).collect();
    let mut y = vec![0.0; batch * n_out];
    for b in 0..batch {
        y[b * n_out + rng.below(n_out)] = 1.0;
    }
    let batch = Batch {
        x: Tensor::new(vec![batch, n_in], x).expect("shape"),
        y: Tensor::new(vec![batch, n_out], y).expect("shape"),
    };
    (net, batch)
}

/// Floating-point operations of `op` on `spec` with `batch` examples, counting the matrix
/// products (2 per multiply–add) and the update: forward `2·B·Σ n_in·n_out`; backward adds
/// `∂L/∂W` for every layer and `∂L/∂h` for every layer but the first (`∂L/∂x` is not needed);
/// the SGD step adds `2·P`.
pub fn flops(spec: &NetSpec, batch: usize, op: Op) -> f64 {
    let per_layer: Vec<f64> = (0..spec.n_layers())
        .map(|l| {
            let (i, o) = spec.layer_dims(l);
            2.0 * batch as f64 * i as f64 * o as f64
        })
        .collect();
    let fwd: f64 = per_layer.iter().sum();
    let bwd = fwd + per_layer[1..].iter().sum::<f64>();
    match op {
        Op::Forward => fwd,
        Op::Grads => fwd + bwd,
        Op::TrainStep => fwd + bwd + 2.0 * spec.n_params() as f64,
    }
}

/// The SGD step timed by `train_step` (small, so the weights stay sane over many calls).
pub const BENCH_SGD: bplab_core::train::Sgd = bplab_core::train::Sgd {
    lr: 1e-4,
    clip: bplab_core::Clip::None,
};
