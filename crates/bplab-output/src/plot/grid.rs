//! [`ToleranceGrid`]: a `rows × cols` grid of comparisons (engines × tensors), each cell
//! coloured by its worst error relative to its tolerance, `r = max |a−b| / (atol +
//! rtol·|b|)`: green far inside the bound (`r ≤ 1e-8`), yellow as it nears it (`r → 1`),
//! red past it (`r > 1`). The value is written in the cell and its details are in the hover
//! title; a cell that differs for a documented reason is marked `✱`, and an empty cell (no
//! such comparison) stays blank.

use super::svg::{escape, Anchor, Svg};

/// One comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct GridCell {
    /// Worst error relative to the tolerance (`≤ 1` passes).
    pub ratio: f64,
    /// Hover text: the numbers behind the cell.
    pub title: String,
    /// Differs, for a documented reason.
    pub explained: bool,
}

/// The grid (fill the fields, then [`ToleranceGrid::to_svg`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ToleranceGrid {
    pub title: String,
    /// The `data-grid` attribute of the cells' group: names the grid for scripts and tests.
    pub id: String,
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    /// `cells[r][c]`.
    pub cells: Vec<Vec<Option<GridCell>>>,
}

/// The colour of a ratio: green → yellow on `log10 r ∈ [−8, 0]`, red past 1, grey if NaN.
pub fn ratio_color(r: f64) -> String {
    if r.is_nan() {
        return "#9e9e9e".into();
    }
    if r > 1.0 {
        return "#d73027".into();
    }
    let t = if r <= 0.0 {
        0.0
    } else {
        ((r.log10() + 8.0) / 8.0).clamp(0.0, 1.0)
    };
    // #1a9850 (t = 0) → #a6d96a (t = 0.5) → #fee08b (t = 1)
    let stops = [
        (26.0, 152.0, 80.0),
        (166.0, 217.0, 106.0),
        (254.0, 224.0, 139.0),
    ];
    let s = t * 2.0;
    let i = (s.floor() as usize).min(1);
    let f = s - i as f64;
    let (a, b) = (stops[i], stops[i + 1]);
    let mix = |p: f64, q: f64| (p + (q - p) * f).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

/// A ratio as cell text: `0`, `3e-9`, `0.41`, `12`.
pub fn ratio_label(r: f64) -> String {
    if r == 0.0 {
        "0".into()
    } else if !r.is_finite() {
        format!("{r}")
    } else if r < 0.01 {
        let s = format!("{r:.0e}");
        s.replace("e-0", "e-")
    } else if r < 10.0 {
        format!("{r:.2}")
    } else {
        format!("{r:.0}")
    }
}

const CELL_W: f64 = 74.0;
const CELL_H: f64 = 26.0;
const LEFT: f64 = 130.0;
const TOP: f64 = 70.0;

impl ToleranceGrid {
    /// The grid as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let n_cols = self.cols.len().max(1) as f64;
        let n_rows = self.rows.len().max(1) as f64;
        let w = (LEFT + CELL_W * n_cols + 20.0).max(560.0);
        let h = TOP + CELL_H * n_rows + 70.0;
        let mut svg = Svg::new(w, h);
        svg.text((w / 2.0, 22.0), &self.title, Anchor::Middle, 15.0, false);
        for (c, name) in self.cols.iter().enumerate() {
            let x = LEFT + CELL_W * (c as f64 + 0.5);
            svg.text((x, TOP - 8.0), name, Anchor::Middle, 11.0, false);
        }
        svg.raw(&format!(r#"<g data-grid="{}">"#, escape(&self.id)));
        for (r, name) in self.rows.iter().enumerate() {
            let y = TOP + CELL_H * r as f64;
            svg.text(
                (LEFT - 8.0, y + CELL_H / 2.0 + 4.0),
                name,
                Anchor::End,
                12.0,
                false,
            );
            for (c, cell) in self.cells.get(r).into_iter().flatten().enumerate() {
                let Some(cell) = cell else { continue };
                let x = LEFT + CELL_W * c as f64;
                let attrs = format!(
                    r#" class="cell" data-row="{}" data-col="{}" data-ratio="{}" data-explained="{}""#,
                    escape(name),
                    escape(self.cols.get(c).map_or("", String::as_str)),
                    cell.ratio,
                    cell.explained
                );
                svg.rect_titled(
                    (x + 1.0, y + 1.0),
                    (CELL_W - 2.0, CELL_H - 2.0),
                    &ratio_color(cell.ratio),
                    "none",
                    &attrs,
                    &cell.title,
                );
                let mark = if cell.explained { " ✱" } else { "" };
                svg.raw(&format!(
                    r##"<text class="ct" x="{:.2}" y="{:.2}" text-anchor="middle" font-size="11" fill="#222">{}{mark}</text>"##,
                    x + CELL_W / 2.0,
                    y + CELL_H / 2.0 + 4.0,
                    escape(&ratio_label(cell.ratio))
                ));
            }
        }
        svg.raw("</g>");
        // Legend: the colour scale, the failure colour and the mark.
        let ly = TOP + CELL_H * n_rows + 24.0;
        let steps = [-8, -6, -4, -2, 0];
        for (i, k) in steps.iter().enumerate() {
            let x = LEFT + 56.0 * i as f64;
            let r = 10f64.powi(*k);
            svg.rect(x, ly, 54.0, 12.0, &ratio_color(r), "none");
            svg.text(
                (x + 27.0, ly + 26.0),
                &format!("1e{k}"),
                Anchor::Middle,
                10.0,
                false,
            );
        }
        let x = LEFT + 56.0 * steps.len() as f64 + 8.0;
        svg.rect(x, ly, 30.0, 12.0, &ratio_color(2.0), "none");
        svg.text((x + 15.0, ly + 26.0), "> 1", Anchor::Middle, 10.0, false);
        svg.text(
            (LEFT - 8.0, ly + 10.0),
            "|a−b| / bound",
            Anchor::End,
            11.0,
            false,
        );
        svg.text(
            (x + 44.0, ly + 10.0),
            "✱ differs, explained",
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
    fn colours_go_from_green_to_red_and_cells_carry_their_values() {
        assert_eq!(ratio_color(0.0), "#1a9850");
        assert_eq!(ratio_color(1.0), "#fee08b");
        assert_eq!(ratio_color(1.5), "#d73027");
        let cell = |ratio, explained| {
            Some(GridCell {
                ratio,
                title: "burn · fc1.weight".into(),
                explained,
            })
        };
        let svg = ToleranceGrid {
            title: "check".into(),
            id: "fd".into(),
            rows: vec!["burn".into()],
            cols: vec!["fc1.weight".into(), "loss".into(), "x".into()],
            cells: vec![vec![cell(3e-9, false), cell(2.5, true), None]],
        }
        .to_svg();
        assert_eq!(svg.matches(r#"class="cell""#).count(), 2);
        assert!(svg.contains(r#"data-col="loss" data-ratio="2.5" data-explained="true""#));
        assert!(svg.contains(">3e-9</text>") && svg.contains(">2.50 ✱</text>"));
        assert!(svg.contains("<title>burn · fc1.weight</title>"));
    }
}
