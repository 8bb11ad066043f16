//! The few SVG elements the charts need, as text: a document, rectangles, lines, polylines,
//! text (escaped) and markers. Coordinates are pixels, origin top-left.

use std::fmt::Write;

/// A growing SVG document of a fixed size.
pub struct Svg {
    out: String,
}

/// Escapes `&`, `<`, `>` and `"` for SVG text and attributes.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Horizontal text anchor.
#[derive(Clone, Copy)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn name(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// The marker drawn for a value a chart cannot place on its axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    /// NaN: a cross.
    Nan,
    /// `+inf` (or above the axis): an upward triangle.
    PosInf,
    /// `−inf` (or ≤ 0 on a log axis): a downward triangle.
    NegInf,
}

impl Special {
    /// The marker's legend text.
    pub fn label(self) -> &'static str {
        match self {
            Special::Nan => "NaN",
            Special::PosInf => "+inf",
            Special::NegInf => "−inf or ≤ 0 on log axis",
        }
    }
}

impl Svg {
    /// A `width × height` document on a white background.
    pub fn new(width: f64, height: f64) -> Self {
        let mut out = String::new();
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
        );
        let _ = write!(
            out,
            r#"<rect class="bg" x="0" y="0" width="{width}" height="{height}" fill="white"/>"#
        );
        Svg { out }
    }

    /// A rectangle; `stroke` may be `"none"`.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, stroke: &str) {
        let _ = write!(
            self.out,
            r#"<rect x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{h:.2}" fill="{fill}" stroke="{stroke}"/>"#
        );
    }

    /// A rectangle with extra attributes (`data-…`, already escaped) and a hover title.
    #[allow(clippy::too_many_arguments)]
    pub fn rect_titled(
        &mut self,
        (x, y): (f64, f64),
        (w, h): (f64, f64),
        fill: &str,
        stroke: &str,
        attrs: &str,
        title: &str,
    ) {
        let _ = write!(
            self.out,
            r#"<rect x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{h:.2}" fill="{fill}" stroke="{stroke}"{attrs}><title>{}</title></rect>"#,
            escape(title)
        );
    }

    /// A grid line (styled by the page's colour scheme through its `gl` class).
    pub fn grid_line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64)) {
        let _ = write!(
            self.out,
            r##"<line class="gl" x1="{x1:.2}" y1="{y1:.2}" x2="{x2:.2}" y2="{y2:.2}" stroke="#e4e4e4" stroke-width="1"/>"##
        );
    }

    /// Raw SVG markup (already escaped).
    pub fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// A straight line.
    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str, width: f64) {
        let _ = write!(
            self.out,
            r#"<line x1="{x1:.2}" y1="{y1:.2}" x2="{x2:.2}" y2="{y2:.2}" stroke="{stroke}" stroke-width="{width}"/>"#
        );
    }

    /// A polyline through `points` (nothing for fewer than two), solid or dashed.
    pub fn polyline(&mut self, points: &[(f64, f64)], stroke: &str, width: f64, dashed: bool) {
        if points.len() < 2 {
            return;
        }
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.2},{y:.2}"))
            .collect();
        let _ = write!(
            self.out,
            r#"<polyline points="{}" fill="none" stroke="{stroke}" stroke-width="{width}"{}/>"#,
            pts.join(" "),
            if dashed {
                r#" stroke-dasharray="6 4""#
            } else {
                ""
            }
        );
    }

    /// Series marker `shape` (circle, square, triangle, diamond, cycled), filled, centred at
    /// `(x, y)`: tells series apart where colours do not (print, colour-blindness).
    pub fn marker(&mut self, (x, y): (f64, f64), shape: usize, fill: &str) {
        let r = 3.2;
        let _ = match shape % 4 {
            0 => write!(
                self.out,
                r#"<circle cx="{x:.2}" cy="{y:.2}" r="{r}" fill="{fill}"/>"#
            ),
            1 => write!(
                self.out,
                r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{fill}"/>"#,
                x - r,
                y - r,
                2.0 * r,
                2.0 * r
            ),
            2 => write!(
                self.out,
                r#"<polygon points="{:.2},{:.2} {:.2},{:.2} {:.2},{:.2}" fill="{fill}"/>"#,
                x,
                y - 1.2 * r,
                x - 1.1 * r,
                y + 0.8 * r,
                x + 1.1 * r,
                y + 0.8 * r
            ),
            _ => write!(
                self.out,
                r#"<polygon points="{:.2},{:.2} {:.2},{:.2} {:.2},{:.2} {:.2},{:.2}" fill="{fill}"/>"#,
                x,
                y - 1.3 * r,
                x + 1.3 * r,
                y,
                x,
                y + 1.3 * r,
                x - 1.3 * r,
                y
            ),
        };
    }

    /// The marker for a value off the axis, centred at `(x, y)`.
    pub fn special(&mut self, (x, y): (f64, f64), kind: Special, color: &str) {
        let s = 5.0;
        match kind {
            Special::Nan => {
                self.line((x - s, y - s), (x + s, y + s), color, 2.0);
                self.line((x - s, y + s), (x + s, y - s), color, 2.0);
            }
            Special::PosInf | Special::NegInf => {
                let d = if kind == Special::PosInf { -s } else { s };
                let _ = write!(
                    self.out,
                    r#"<polygon points="{:.2},{:.2} {:.2},{:.2} {:.2},{:.2}" fill="none" stroke="{color}" stroke-width="1.5"/>"#,
                    x,
                    y + d,
                    x - s,
                    y - d,
                    x + s,
                    y - d
                );
            }
        }
    }

    /// Text at `(x, y)` (baseline), optionally rotated by −90° about that point.
    pub fn text(&mut self, (x, y): (f64, f64), s: &str, anchor: Anchor, size: f64, vertical: bool) {
        let rot = if vertical {
            format!(r#" transform="rotate(-90 {x:.2} {y:.2})""#)
        } else {
            String::new()
        };
        let _ = write!(
            self.out,
            r#"<text x="{x:.2}" y="{y:.2}" text-anchor="{}" font-size="{size}"{rot}>{}</text>"#,
            anchor.name(),
            escape(s)
        );
    }

    /// An axis label (class `al`, so a reader or a test can find it): what the axis measures
    /// and its unit, centred at `(x, y)`, rotated by −90° for a y axis.
    pub fn axis_label(&mut self, (x, y): (f64, f64), s: &str, vertical: bool) {
        let rot = if vertical {
            format!(r#" transform="rotate(-90 {x:.2} {y:.2})""#)
        } else {
            String::new()
        };
        let _ = write!(
            self.out,
            r#"<text class="al" x="{x:.2}" y="{y:.2}" text-anchor="middle" font-size="12"{rot}>{}</text>"#,
            escape(s)
        );
    }

    /// The finished document.
    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

/// A categorical palette (colour-blind-safe, Okabe–Ito), cycled.
pub fn color(i: usize) -> &'static str {
    const P: [&str; 8] = [
        "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
    ];
    P[i % P.len()]
}
