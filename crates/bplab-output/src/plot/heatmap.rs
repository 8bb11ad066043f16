//! [`Heatmap`]: a `rows × cols` grid of values coloured on a sequential scale (viridis
//! stops, linearly interpolated), with row and column labels and a colour legend. The
//! values are drawn as given (take `log10` first for a log colour scale); non-finite cells
//! are grey with their value written in (`NaN`, `inf`, `-inf`).

use super::axis::tick_label;
use super::svg::{Anchor, Svg};

/// A heatmap (fill the fields, then [`Heatmap::to_svg`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// What the colour shows (legend title), e.g. `log10 ‖∂L/∂W‖`.
    pub value_label: String,
    /// One label per column, left to right.
    pub cols: Vec<String>,
    /// One label per row, top to bottom.
    pub rows: Vec<String>,
    /// `values[r][c]`.
    pub values: Vec<Vec<f64>>,
    /// The colour range; `None`: the finite values' min and max.
    pub range: Option<(f64, f64)>,
}

/// Viridis at 0, 0.25, 0.5, 0.75, 1.
const STOPS: [(f64, f64, f64); 5] = [
    (68.0, 1.0, 84.0),
    (59.0, 82.0, 139.0),
    (33.0, 145.0, 140.0),
    (94.0, 201.0, 98.0),
    (253.0, 231.0, 37.0),
];

/// The colour of `t ∈ [0, 1]` (clamped).
pub fn viridis(t: f64) -> String {
    let t = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |p: f64, q: f64| (p + (q - p) * f).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

impl Heatmap {
    /// The colour range actually used.
    fn bounds(&self) -> (f64, f64) {
        if let Some(r) = self.range {
            return r;
        }
        let finite = self
            .values
            .iter()
            .flatten()
            .copied()
            .filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        if !lo.is_finite() {
            (0.0, 1.0)
        } else if hi <= lo {
            (lo - 0.5, hi + 0.5)
        } else {
            (lo, hi)
        }
    }

    /// The heatmap as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let n_rows = self.rows.len().max(self.values.len()).max(1);
        let n_cols = self
            .cols
            .len()
            .max(self.values.iter().map(Vec::len).max().unwrap_or(0))
            .max(1);
        let cell_w = (480.0 / n_cols as f64).clamp(14.0, 60.0);
        let cell_h = (300.0 / n_rows as f64).clamp(5.0, 40.0);
        let (left, top) = (80.0, 50.0);
        let (grid_w, grid_h) = (cell_w * n_cols as f64, cell_h * n_rows as f64);
        let width = left + grid_w + 130.0;
        let height = top + grid_h + 60.0;
        let mut svg = Svg::new(width, height);
        svg.text(
            (width / 2.0, 22.0),
            &self.title,
            Anchor::Middle,
            15.0,
            false,
        );
        let (lo, hi) = self.bounds();
        for (r, row) in self.values.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                let (x, y) = (left + c as f64 * cell_w, top + r as f64 * cell_h);
                if v.is_finite() {
                    svg.rect(x, y, cell_w, cell_h, &viridis((v - lo) / (hi - lo)), "none");
                } else {
                    svg.rect(x, y, cell_w, cell_h, "#bbbbbb", "white");
                    let label = bplab_core::json::number(v).to_string().replace('"', "");
                    let size = (cell_h * 0.7).min(10.0);
                    let at = (x + cell_w / 2.0, y + cell_h / 2.0 + size / 3.0);
                    svg.text(at, &label, Anchor::Middle, size, false);
                }
            }
        }
        // Labels: every row/column when they fit, else every k-th.
        let every = |n: usize, space: f64| ((14.0 / space).ceil() as usize).max(1).min(n);
        let kr = every(n_rows, cell_h);
        for (r, label) in self.rows.iter().enumerate().filter(|(r, _)| r % kr == 0) {
            let y = top + (r as f64 + 0.5) * cell_h + 4.0;
            svg.text((left - 6.0, y), label, Anchor::End, 11.0, false);
        }
        let kc = every(n_cols, cell_w / 2.5);
        for (c, label) in self.cols.iter().enumerate().filter(|(c, _)| c % kc == 0) {
            let x = left + (c as f64 + 0.5) * cell_w;
            svg.text((x, top + grid_h + 16.0), label, Anchor::Middle, 11.0, false);
        }
        svg.axis_label((left + grid_w / 2.0, height - 12.0), &self.x_label, false);
        svg.axis_label((16.0, top + grid_h / 2.0), &self.y_label, true);

        // Colour legend: a vertical bar, top = max.
        let (bx, bw, steps) = (left + grid_w + 30.0, 16.0, 40);
        let bar_h = grid_h.clamp(120.0, 300.0);
        for i in 0..steps {
            let t = 1.0 - (i as f64 + 0.5) / steps as f64;
            let y = top + i as f64 * bar_h / steps as f64;
            svg.rect(bx, y, bw, bar_h / steps as f64 + 0.5, &viridis(t), "none");
        }
        svg.rect(bx, top, bw, bar_h, "none", "#666");
        for k in 0..=4 {
            let t = k as f64 / 4.0;
            let y = top + (1.0 - t) * bar_h;
            svg.line((bx + bw, y), (bx + bw + 4.0, y), "#666", 1.0);
            svg.text(
                (bx + bw + 7.0, y + 4.0),
                &tick_label(lo + t * (hi - lo)),
                Anchor::Start,
                10.0,
                false,
            );
        }
        svg.text(
            (bx - 4.0, top - 10.0),
            &self.value_label,
            Anchor::Start,
            11.0,
            false,
        );
        svg.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_span_viridis_and_non_finite_cells_are_labelled() {
        assert_eq!(viridis(0.0), "#440154");
        assert_eq!(viridis(1.0), "#fde725");
        assert_eq!(viridis(7.0), "#fde725");
        let h = Heatmap {
            title: "g".into(),
            x_label: "depth".into(),
            y_label: "layer".into(),
            value_label: "log10 norm".into(),
            cols: vec!["2".into(), "5".into()],
            rows: vec!["1".into(), "2".into()],
            values: vec![vec![-1.0, f64::NAN], vec![3.0, f64::NEG_INFINITY]],
            range: None,
        };
        let svg = h.to_svg();
        assert!(svg.contains("#440154") && svg.contains("#fde725"));
        assert!(svg.contains(">NaN</text>") && svg.contains(">-inf</text>"));
    }
}
