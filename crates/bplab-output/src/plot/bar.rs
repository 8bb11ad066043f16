//! [`BarChart`]: grouped bars — one group per category along x (a benchmark configuration),
//! one bar per series within it (an engine), on a linear or log y axis, with a legend. Each
//! bar carries its exact value in a hover title and in `data-group`, `data-series` and
//! `data-value` attributes, so a reader (or a test) can check the chart against the data.
//! A value the axis cannot place (≤ 0 on a log axis, non-finite) is a zero-height bar with
//! its value written at the baseline: never dropped silently.

use super::axis::{tick_label, Axis, Scale};
use super::svg::{color, escape, Anchor, Svg};

/// One bar: `value` of series `series` in group `group` (indices into the chart's lists).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub group: usize,
    pub series: usize,
    pub value: f64,
    /// Hover text (the exact numbers behind the bar).
    pub title: String,
}

/// A grouped bar chart (fill the fields or use the setters, then [`BarChart::to_svg`]).
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    pub title: String,
    /// What the groups along x are (`configuration (network-batch)`), under their labels.
    pub x_label: String,
    pub y_label: String,
    pub y_scale: Scale,
    /// Category labels along x, left to right.
    pub groups: Vec<String>,
    /// Series names (the legend); series `i` has colour `i` of the palette.
    pub series: Vec<String>,
    pub bars: Vec<Bar>,
    /// The `data-chart` attribute of the bars' group: names the chart for scripts and tests.
    pub id: String,
    /// A dashed horizontal reference line at this value (e.g. `1×`), if any.
    pub reference: Option<f64>,
    pub width: f64,
    pub height: f64,
}

const LEFT: f64 = 70.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

/// A bar value as a short label: `1`, `2.4`, `13`, `1.2k`.
pub fn short(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if a >= 1e4 {
        tick_label(v)
    } else if a >= 10.0 || v == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

impl BarChart {
    /// An empty 860 × 340 chart on a linear axis.
    pub fn new(title: impl Into<String>, id: impl Into<String>) -> Self {
        BarChart {
            title: title.into(),
            x_label: String::new(),
            y_label: String::new(),
            y_scale: Scale::Linear,
            groups: Vec::new(),
            series: Vec::new(),
            bars: Vec::new(),
            id: id.into(),
            reference: None,
            width: 860.0,
            height: 340.0,
        }
    }

    /// The y axis's label and scale.
    pub fn y(mut self, label: impl Into<String>, scale: Scale) -> Self {
        self.y_label = label.into();
        self.y_scale = scale;
        self
    }

    /// What the groups along x are.
    pub fn x(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// The axis: every placeable value, and on a log axis room below the smallest so that
    /// the smallest bar still has a height.
    fn axis(&self) -> Axis {
        let vals = self.bars.iter().map(|b| b.value);
        match self.y_scale {
            Scale::Log10 => {
                let min = vals
                    .clone()
                    .filter(|v| v.is_finite() && *v > 0.0)
                    .fold(f64::INFINITY, f64::min);
                let extra = if min.is_finite() { min * 0.3 } else { 1.0 };
                Axis::fit(self.y_scale, vals.chain([extra]).chain(self.reference))
            }
            Scale::Linear => Axis::fit(self.y_scale, vals.chain([0.0]).chain(self.reference)),
        }
    }

    /// The chart as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let (w, h) = (self.width, self.height);
        let mut svg = Svg::new(w, h);
        let ya = self.axis();
        let (x0, x1) = (LEFT, w - RIGHT);
        let (y0, y1) = (h - BOTTOM, TOP);
        let py = |u: f64| y0 - u * (y0 - y1);
        svg.text((w / 2.0, 22.0), &self.title, Anchor::Middle, 15.0, false);
        for (u, label) in ya.ticks() {
            svg.grid_line((x0, py(u)), (x1, py(u)));
            svg.text((x0 - 6.0, py(u) + 4.0), &label, Anchor::End, 11.0, false);
        }
        svg.axis_label((16.0, py(0.5)), &self.y_label, true);
        let n_groups = self.groups.len().max(1) as f64;
        let band = (x1 - x0) / n_groups;
        let n_series = self.series.len().max(1) as f64;
        let bw = band * 0.84 / n_series;
        for (g, name) in self.groups.iter().enumerate() {
            let cx = x0 + band * (g as f64 + 0.5);
            svg.text((cx, y0 + 18.0), name, Anchor::Middle, 12.0, false);
        }
        svg.axis_label(((x0 + x1) / 2.0, h - 10.0), &self.x_label, false);
        svg.raw(&format!(r#"<g data-chart="{}">"#, escape(&self.id)));
        for b in &self.bars {
            let left = x0 + band * b.group as f64 + band * 0.08 + bw * b.series as f64;
            let top = ya.unit(b.value).map(|u| py(u.clamp(0.0, 1.0)));
            let attrs = format!(
                r#" class="bar" data-group="{}" data-series="{}" data-value="{}""#,
                escape(self.groups.get(b.group).map_or("", String::as_str)),
                escape(self.series.get(b.series).map_or("", String::as_str)),
                b.value
            );
            let y = top.unwrap_or(y0);
            svg.rect_titled(
                (left + 1.0, y),
                ((bw - 2.0).max(1.0), y0 - y),
                color(b.series),
                "none",
                &attrs,
                &b.title,
            );
            if bw >= 13.0 || top.is_none() {
                let (lx, ly) = (left + bw / 2.0 + 3.5, y - 3.0);
                svg.raw(&format!(
                    r#"<text class="bl" x="{lx:.2}" y="{ly:.2}" font-size="10" transform="rotate(-90 {lx:.2} {ly:.2})">{}</text>"#,
                    escape(&short(b.value))
                ));
            }
        }
        svg.raw("</g>");
        if let Some(u) = self.reference.and_then(|r| ya.unit(r)) {
            svg.polyline(&[(x0, py(u)), (x1, py(u))], "#777", 1.0, true);
        }
        svg.line((x0, y0), (x1, y0), "#888", 1.0);
        let lx = x1 + 16.0;
        for (i, name) in self.series.iter().enumerate() {
            let ly = y1 + 8.0 + 18.0 * i as f64;
            svg.rect(lx, ly - 6.0, 14.0, 10.0, color(i), "none");
            svg.text((lx + 20.0, ly + 3.0), name, Anchor::Start, 11.0, false);
        }
        svg.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(scale: Scale, values: &[f64]) -> BarChart {
        let mut c = BarChart::new("t", "c").x("configuration").y("×", scale);
        c.groups = vec!["a".into(), "b".into()];
        c.series = vec!["x".into(), "y".into()];
        for (i, &v) in values.iter().enumerate() {
            c.bars.push(Bar {
                group: i / 2,
                series: i % 2,
                value: v,
                title: format!("v{i}"),
            });
        }
        c
    }

    fn heights(svg: &str) -> Vec<f64> {
        svg.match_indices(r#"class="bar""#)
            .map(|(at, _)| {
                let h = svg[..at].rsplit("height=\"").next().unwrap();
                h[..h.find('"').unwrap()].parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn bars_are_ordered_like_their_values_on_a_log_axis() {
        let svg = chart(Scale::Log10, &[1.0, 10.0, 3.0, 100.0]).to_svg();
        let h = heights(&svg);
        assert_eq!(h.len(), 4);
        assert!(h[0] > 0.0, "the smallest bar still has a height");
        assert!(h[0] < h[2] && h[2] < h[1] && h[1] < h[3], "{h:?}");
        // Equal steps in log10 are equal steps in height: 1 → 10 → 100.
        assert!(((h[1] - h[0]) - (h[3] - h[1])).abs() < 0.05, "{h:?}");
        assert!(svg.contains(r#"data-group="b" data-series="y" data-value="100""#));
        assert!(svg.contains("<title>v3</title>"));
        assert!(svg.contains(">configuration</text>"));
    }

    #[test]
    fn a_value_the_axis_cannot_place_is_a_labelled_zero_bar() {
        let svg = chart(Scale::Log10, &[0.0, 5.0, f64::NAN, 2.0]).to_svg();
        let h = heights(&svg);
        assert_eq!((h[0], h[2]), (0.0, 0.0));
        assert!(h[1] > h[3]);
        assert!(svg.contains(">NaN</text>") && svg.contains(">0</text>"));
    }

    #[test]
    fn linear_bars_start_at_zero() {
        let h = heights(&chart(Scale::Linear, &[1.0, 2.0, 3.0, 4.0]).to_svg());
        assert!((h[1] - 2.0 * h[0]).abs() < 0.05 && (h[3] - 4.0 * h[0]).abs() < 0.05);
    }
}
