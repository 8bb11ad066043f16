//! `bplab-manual`: the network's forward and backward pass written out by hand — the chain
//! rule layer by layer, with no tensor or autodiff crate — generic over `f32` and `f64`.

pub mod layers;
pub mod model;

pub mod fault;
pub mod kernels;
pub mod real;
pub mod schedules;

pub use kernels::{fastmath, matmul, packed};
pub use layers::{activation, linear, loss};
pub use model::{dense, engine, trainer};
pub use real::half_real;
pub use schedules::{checkpoint, jvp};

pub use dense::{CustomOps, Dense, DenseGrads};
pub use engine::ManualEngine;
pub use fault::Fault;
pub use model::{Backward, Cache, Model};
pub use real::Real;
pub use trainer::ManualTrainer;
