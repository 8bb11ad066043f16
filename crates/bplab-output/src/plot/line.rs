//! [`LineChart`]: one or more [`Series`] of `(x, y)` points on linear or log axes, with a
//! legend. A point whose `y` the axis cannot place — NaN, ±inf, or ≤ 0 on a log axis — is
//! drawn as a marker in a band above (NaN, +inf) or below (−inf, ≤ 0) the plot area at its
//! `x`, and the line breaks there; the legend explains each marker that occurs. Each series
//! has its colour, its line style and its marker shape, and the legend's swatch shows all
//! three, so series stay apart in print.

use super::axis::{Axis, Scale};
use super::svg::{color, Anchor, Special, Svg};

/// One named line.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// `(x, y)` in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Dashed instead of solid (e.g. to tell a reference line apart).
    pub dashed: bool,
}

impl Series {
    /// A solid series.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            dashed: false,
        }
    }

    /// `y` against `0, 1, 2, …`.
    pub fn from_values(name: impl Into<String>, ys: &[f64]) -> Self {
        Self::new(
            name,
            ys.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect(),
        )
    }
}

/// A line chart (build with the chained setters, then [`LineChart::to_svg`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_scale: Scale,
    pub y_scale: Scale,
    pub series: Vec<Series>,
    /// Pixels.
    pub width: f64,
    pub height: f64,
}

const LEFT: f64 = 70.0;
const RIGHT: f64 = 190.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 55.0;
/// Series with at most this many points get a marker on every point.
const MAX_MARKED: usize = 40;
/// Height of the bands above and below the plot area holding off-axis markers.
const BAND: f64 = 14.0;

impl LineChart {
    /// An empty 640 × 400 chart with linear axes.
    pub fn new(title: impl Into<String>) -> Self {
        LineChart {
            title: title.into(),
            x_label: String::new(),
            y_label: String::new(),
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            series: Vec::new(),
            width: 640.0,
            height: 400.0,
        }
    }

    /// The x axis's label and scale.
    pub fn x(mut self, label: impl Into<String>, scale: Scale) -> Self {
        self.x_label = label.into();
        self.x_scale = scale;
        self
    }

    /// The y axis's label and scale.
    pub fn y(mut self, label: impl Into<String>, scale: Scale) -> Self {
        self.y_label = label.into();
        self.y_scale = scale;
        self
    }

    /// Adds a series.
    pub fn series(mut self, s: Series) -> Self {
        self.series.push(s);
        self
    }

    /// The chart as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let (w, h) = (self.width, self.height);
        let mut svg = Svg::new(w, h);
        let all = || self.series.iter().flat_map(|s| s.points.iter());
        let xa = Axis::fit(self.x_scale, all().map(|p| p.0));
        let ya = Axis::fit(self.y_scale, all().map(|p| p.1));
        let (x0, x1) = (LEFT, w - RIGHT);
        let (y0, y1) = (h - BOTTOM, TOP + BAND); // bottom, top of the plot area
        let px = |u: f64| x0 + u * (x1 - x0);
        let py = |u: f64| y0 - u * (y0 - y1);

        svg.text((w / 2.0, 22.0), &self.title, Anchor::Middle, 15.0, false);
        svg.rect(x0, y1, x1 - x0, y0 - y1, "none", "#999");
        for (u, label) in xa.ticks() {
            svg.grid_line((px(u), y0), (px(u), y1));
            svg.text(
                (px(u), y0 + BAND + 14.0),
                &label,
                Anchor::Middle,
                11.0,
                false,
            );
        }
        for (u, label) in ya.ticks() {
            svg.grid_line((x0, py(u)), (x1, py(u)));
            svg.text((x0 - 6.0, py(u) + 4.0), &label, Anchor::End, 11.0, false);
        }
        svg.axis_label((px(0.5), h - 10.0), &self.x_label, false);
        svg.axis_label((16.0, py(0.5)), &self.y_label, true);

        let mut specials_seen: Vec<Special> = Vec::new();
        for (i, s) in self.series.iter().enumerate() {
            let c = color(i);
            let mut run: Vec<(f64, f64)> = Vec::new();
            // Markers on every point while they stay apart; always on a lone point.
            let marked = s.points.len() <= MAX_MARKED;
            let flush = |run: &mut Vec<(f64, f64)>, svg: &mut Svg| {
                svg.polyline(run, c, 1.8, s.dashed);
                if marked || run.len() == 1 {
                    for &p in run.iter() {
                        svg.marker(p, i, c);
                    }
                }
                run.clear();
            };
            for &(x, y) in &s.points {
                let Some(ux) = xa.unit(x) else { continue };
                match ya.unit(y) {
                    Some(uy) => run.push((px(ux), py(uy))),
                    None => {
                        flush(&mut run, &mut svg);
                        let kind = if y.is_nan() {
                            Special::Nan
                        } else if y == f64::INFINITY {
                            Special::PosInf
                        } else {
                            Special::NegInf
                        };
                        let yy = match kind {
                            Special::NegInf => y0 + BAND / 2.0,
                            _ => y1 - BAND / 2.0,
                        };
                        svg.special((px(ux), yy), kind, c);
                        if !specials_seen.contains(&kind) {
                            specials_seen.push(kind);
                        }
                    }
                }
            }
            flush(&mut run, &mut svg);
        }

        // Legend: one line per series, then the markers that occur.
        let lx = x1 + 14.0;
        let mut ly = y1 + 6.0;
        for (i, s) in self.series.iter().enumerate() {
            svg.polyline(&[(lx, ly), (lx + 22.0, ly)], color(i), 2.0, s.dashed);
            svg.marker((lx + 11.0, ly), i, color(i));
            svg.text((lx + 28.0, ly + 4.0), &s.name, Anchor::Start, 11.0, false);
            ly += 18.0;
        }
        for kind in specials_seen {
            ly += 4.0;
            svg.special((lx + 11.0, ly), kind, "#444");
            svg.text(
                (lx + 28.0, ly + 4.0),
                kind.label(),
                Anchor::Start,
                11.0,
                false,
            );
            ly += 18.0;
        }
        svg.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_points_become_markers_and_are_explained() {
        let svg = LineChart::new("loss")
            .y("loss", Scale::Log10)
            .series(Series::from_values(
                "run",
                &[1.0, 0.5, f64::NAN, f64::INFINITY, 0.0],
            ))
            .to_svg();
        assert!(svg.contains("<polyline")); // the finite run 1.0, 0.5
        assert!(svg.contains(">NaN</text>"));
        assert!(svg.contains(">+inf</text>"));
        assert!(svg.contains("≤ 0 on log axis"));
        assert!(svg.ends_with("</svg>\n"));
    }

    #[test]
    fn both_axes_carry_their_labels() {
        let svg = LineChart::new("t")
            .x("SGD step", Scale::Linear)
            .y("loss (nats, log scale)", Scale::Log10)
            .series(Series::from_values("a", &[1.0, 0.5]))
            .to_svg();
        assert!(svg.contains(r#"class="al" x="#));
        assert!(svg.contains(">SGD step</text>"));
        assert!(svg.contains(r#"rotate(-90"#) && svg.contains(">loss (nats, log scale)</text>"));
        assert_eq!(svg.matches(r#"class="al""#).count(), 2);
    }

    #[test]
    fn the_legend_swatch_has_the_series_dash_and_marker() {
        let mut dashed = Series::from_values("plain", &[1.0, 2.0]);
        dashed.dashed = true;
        let svg = LineChart::new("t")
            .series(Series::from_values("solid", &[1.0, 3.0]))
            .series(dashed)
            .to_svg();
        // Two dashed polylines: the series and its swatch; the solid one has none.
        assert_eq!(svg.matches("stroke-dasharray").count(), 2);
        // The second series' marker is a square: two points and one swatch.
        assert_eq!(svg.matches("<rect x=").count(), 3 + 1); // + the plot frame
    }

    #[test]
    fn an_all_nan_series_and_an_empty_chart_still_render() {
        let svg = LineChart::new("t")
            .series(Series::from_values("a", &[f64::NAN, f64::NAN]))
            .to_svg();
        assert!(svg.contains(">NaN</text>"));
        assert!(LineChart::new("empty").to_svg().contains("</svg>"));
    }

    #[test]
    fn titles_and_names_are_escaped() {
        let svg = LineChart::new("a < b & c")
            .series(Series::from_values("<x>", &[1.0, 2.0]))
            .to_svg();
        assert!(svg.contains("a &lt; b &amp; c"));
        assert!(svg.contains("&lt;x&gt;"));
    }
}
