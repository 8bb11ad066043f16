//! Plots as self-contained SVG text, written by hand: no font files, no rasteriser, no
//! network access — the SVG names only the generic `sans-serif` family, which every viewer
//! resolves itself. Charts are data first: non-finite values (NaN, ±inf from exploding runs)
//! and values a log axis cannot show are drawn as distinct markers, never dropped silently and
//! never a crash.
//!
//! - [`LineChart`]: several [`Series`], linear or log axes ([`Scale`]), a legend;
//! - [`Heatmap`]: a grid of values with row and column labels and a colour legend;
//! - [`BarChart`]: grouped bars (categories × series) with exact values in hover titles;
//! - [`ToleranceGrid`]: comparisons coloured by their worst error relative to tolerance.
//!
//! ```
//! use bplab_output::plot::{LineChart, Scale, Series};
//! let svg = LineChart::new("time vs size")
//!     .x("size", Scale::Log10)
//!     .y("seconds", Scale::Log10)
//!     .series(Series::new("manual", vec![(10.0, 1e-4), (100.0, 1e-3)]))
//!     .to_svg();
//! assert!(svg.starts_with("<svg"));
//! ```

mod axis;
mod bar;
mod grid;
mod heatmap;
mod line;
mod svg;

pub use axis::Scale;
pub use bar::{Bar, BarChart};
pub use grid::{GridCell, ToleranceGrid};
pub use heatmap::Heatmap;
pub use line::{LineChart, Series};

/// Writes `svg` to `path`, creating the parent directory.
pub fn save(path: &std::path::Path, svg: &str) -> bplab_core::Result<()> {
    let err = |e: std::io::Error| bplab_core::Error::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    std::fs::write(path, svg).map_err(err)
}
