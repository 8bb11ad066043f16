//! The backprop visualizer: one forward and backward pass of a network, traced layer by layer
//! (`z`, `h`, `δ = ∂L/∂z`, `∂L/∂W`, `∂L/∂b`, and a normalized layer's `μ`, `σ²`, `n̂`, `∂L/∂γ`,
//! `∂L/∂β`) by each selected engine, with the engines' agreement per tensor and a gradient-flow
//! summary (per-layer and per-parameter gradient magnitude on a log10 colour scale, vanishing
//! and exploding layers marked). It renders the trace for a terminal
//! (`bplab viz`), as JSON, as one self-contained HTML file (`bplab viz --html`), and serves an
//! interactive page with a JSON API (`bplab serve`).
//!
//! - [`trace`]: the computation — [`Trace`] (every engine's pass), each engine's values
//!   ([`trace::engine`]), their agreement ([`trace::agree`]) and the gradient flow
//!   ([`trace::flow`], the one colour rule every view shares);
//! - the views: [`term`] (the terminal), [`json`] (the one trace document the CLI, the export
//!   and the API share), [`html`] (one self-contained page);
//! - [`server`]: `bplab serve` — routes, the HTTP layer, API requests checked against their
//!   limits, the SGD step buttons and the page's presets; [`assets`]: the page's files
//!   (`web/`), embedded.

pub mod assets;
pub mod html;
pub mod json;
pub mod server;
pub mod term;
pub mod trace;

pub use trace::Trace;
