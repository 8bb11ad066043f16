//! `bplab-core` owns everything the engines share and nothing any one engine computes: the
//! network description ([`NetSpec`]), named parameters in PyTorch naming with safetensors I/O
//! ([`ParamSet`]), the init schemes and the portable seeded RNG, batches, the [`Engine`] trait,
//! tolerances with tensor comparison reports, and the finite-difference gradient checker.
//!
//! It depends on no tensor or autodiff crate: values cross the [`Engine`] boundary as plain
//! row-major `f64` buffers ([`Tensor`]), whatever precision an engine computes in.

pub mod batch;
pub mod dtype;
pub mod engine;
pub mod error;
pub mod gradcheck;
pub mod init;
pub mod json;
pub mod norm;
pub mod params;
pub mod presets;
pub mod rng;
pub mod spec;
pub mod tensor;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tolerance;
pub mod train;

pub use batch::Batch;
pub use dtype::DType;
pub use engine::{Engine, ForwardTrace, GradRequest, Gradients, Network};
pub use error::{Error, Result};
pub use init::Init;
pub use norm::Norm;
pub use params::ParamSet;
pub use spec::{Activation, Loss, NetSpec};
pub use tensor::Tensor;
pub use tolerance::{Comparison, Tolerance};
pub use train::{Clip, Sgd, StepStats, Trainer};
