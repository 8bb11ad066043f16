//! The backprop visualizer: one forward and backward pass of a network, traced layer by layer
//! (`z`, `h`, `δ = ∂L/∂z`, `∂L/∂W`, `∂L/∂b`) by each selected engine, with the engines'
//! agreement per tensor and a gradient-flow summary (per-layer gradient magnitude on a log10
//! colour scale, vanishing and exploding layers marked). It renders the trace for a terminal
//! (`bplab viz`), as JSON, as one self-contained HTML file (`bplab viz --html`), and serves an
//! interactive page with a JSON API (`bplab serve`).

pub mod agree;
pub mod engine_trace;
pub mod flow;
pub mod html;
pub mod http;
pub mod json;
pub mod presets;
pub mod request;
pub mod serve;
pub mod sgd;
pub mod term;
pub mod trace;

pub use trace::Trace;
