//! Everything the project shows a person, and nothing it measures: aligned text tables and
//! the `--format` choice ([`table`]), CSV/JSON/SVG files under one output directory whose
//! non-finite values round-trip ([`files`]), self-contained SVG charts drawn by hand
//! ([`plot`]), what a study produced ([`artifact`]: [`Outcome`] and its [`Plot`]s), and the
//! report's [`report::ReportSection`] trait with the page that gathers the sections.
//!
//! It depends on `bplab-core` only: it knows nothing of engines, so every study can use it.

pub mod artifact;
pub mod files;
pub mod plot;
pub mod report;
pub mod table;

pub use artifact::{Outcome, Plot};
