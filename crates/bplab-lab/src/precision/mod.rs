//! `bplab lab precision`: gradients in `f16` and `bf16` (candle and the manual engine) against
//! the `f64` truth, with static and dynamic loss scaling. `config` holds the engines, formats,
//! scalings, networks and flags, `half_grads` the half-precision gradients, `truth` the `f64`
//! truth (compensated arithmetic sharing no kernel with the engines), `compare` their distance, [`scaler`] the dynamic loss scaler, `measure` every cell and
//! scaler run, `report` the tables, findings and report section, `files` the CSV/JSON/SVG.

mod compare;
mod config;
mod files;
mod half_grads;
mod measure;
mod report;
pub mod scaler;
mod truth;

pub use compare::{compare, rel_error, underflow, TensorError, Underflow};
pub use config::{DeepNet, HalfEngine, HalfType, Net, PrecisionArgs, PrecisionConfig, Scaling};
pub use half_grads::half_grads;
pub use measure::{
    best_static, cell, measure, network, Cell, PrecisionResults, Trajectory, F16_ASSIGNMENT_TOL,
};
pub use report::{findings, headline, run, SECTION};
pub use scaler::{GradScaler, ScalerAction, ScalerConfig, ScalerStep};
pub use truth::{truth, truth_with_loss};
