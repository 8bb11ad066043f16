//! The sweep's SVG: two log–log panels (grads time against batch size, against width), one
//! polyline per engine, decade grid lines, a legend. Plain SVG text with a generic font
//! family, so it renders the same with no particular font installed.

use crate::bench::sweep::{Axis, Sweep};
use std::fmt::Write as _;

const PANEL_W: f64 = 460.0;
const PANEL_H: f64 = 340.0;
const MARGIN: (f64, f64, f64, f64) = (70.0, 20.0, 40.0, 50.0); // left, right, top, bottom
const COLOURS: [&str; 6] = [
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
];

/// The plot, as one SVG document.
pub fn svg(s: &Sweep) -> String {
    let mut engines: Vec<&str> = Vec::new();
    for p in &s.points {
        if !engines.contains(&p.engine.as_str()) {
            engines.push(&p.engine);
        }
    }
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
"#,
        w = 2.0 * PANEL_W,
        h = PANEL_H + 30.0
    );
    let panels = [
        (
            Axis::Batch,
            "784-128-64-10 f32: grads time vs batch size",
            "batch size",
        ),
        (
            Axis::Width,
            "w-w-w-10, batch 64, f32: grads time vs width",
            "width w",
        ),
    ];
    for (i, (axis, title, x_label)) in panels.into_iter().enumerate() {
        let series: Vec<(usize, Vec<(f64, f64)>)> = engines
            .iter()
            .enumerate()
            .map(|(k, e)| {
                let pts = s
                    .points
                    .iter()
                    .filter(|p| p.axis == axis && p.engine == *e)
                    .map(|p| {
                        let x = if axis == Axis::Batch {
                            p.batch
                        } else {
                            p.width
                        };
                        (x as f64, p.median_ns / 1e3)
                    })
                    .filter(|&(x, y)| x > 0.0 && y > 0.0 && y.is_finite())
                    .collect();
                (k, pts)
            })
            .collect();
        panel(&mut out, i as f64 * PANEL_W, title, x_label, &series);
    }
    // Legend under the panels.
    for (k, e) in engines.iter().enumerate() {
        let x = MARGIN.0 + k as f64 * 150.0;
        let _ = writeln!(
            out,
            r#"<line x1="{x}" y1="{y}" x2="{x2}" y2="{y}" stroke="{c}" stroke-width="2"/><text x="{tx}" y="{ty}">{e}</text>"#,
            y = PANEL_H + 15.0,
            x2 = x + 20.0,
            c = COLOURS[k % COLOURS.len()],
            tx = x + 25.0,
            ty = PANEL_H + 19.0
        );
    }
    out.push_str("</svg>\n");
    out
}

fn panel(
    out: &mut String,
    x0: f64,
    title: &str,
    x_label: &str,
    series: &[(usize, Vec<(f64, f64)>)],
) {
    let all: Vec<(f64, f64)> = series.iter().flat_map(|(_, p)| p.iter().copied()).collect();
    if all.is_empty() {
        return;
    }
    let decades = |f: fn(&(f64, f64)) -> f64| {
        let lo = all
            .iter()
            .map(f)
            .fold(f64::INFINITY, f64::min)
            .log10()
            .floor();
        let hi = all
            .iter()
            .map(f)
            .fold(f64::NEG_INFINITY, f64::max)
            .log10()
            .ceil();
        (lo, if hi > lo { hi } else { lo + 1.0 })
    };
    let ((xl, xh), (yl, yh)) = (decades(|p| p.0), decades(|p| p.1));
    let (l, r, t, b) = MARGIN;
    let (w, h) = (PANEL_W - l - r, PANEL_H - t - b);
    let px = |x: f64| x0 + l + (x.log10() - xl) / (xh - xl) * w;
    let py = |y: f64| t + h - (y.log10() - yl) / (yh - yl) * h;
    let _ = writeln!(
        out,
        r##"<text x="{}" y="20" text-anchor="middle" font-weight="bold">{title}</text>
<rect x="{}" y="{t}" width="{w}" height="{h}" fill="none" stroke="#444"/>"##,
        x0 + PANEL_W / 2.0,
        x0 + l
    );
    for d in xl as i32..=xh as i32 {
        let x = px(10f64.powi(d));
        let _ = writeln!(
            out,
            r##"<line x1="{x}" y1="{t}" x2="{x}" y2="{}" stroke="#ddd"/><text x="{x}" y="{}" text-anchor="middle">1e{d}</text>"##,
            t + h,
            t + h + 16.0
        );
    }
    for d in yl as i32..=yh as i32 {
        let y = py(10f64.powi(d));
        let _ = writeln!(
            out,
            r##"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#ddd"/><text x="{}" y="{}" text-anchor="end">1e{d}</text>"##,
            x0 + l,
            x0 + l + w,
            x0 + l - 6.0,
            y + 4.0
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle">{x_label}</text><text transform="translate({},{}) rotate(-90)" text-anchor="middle">grads time (µs)</text>"#,
        x0 + l + w / 2.0,
        PANEL_H - 12.0,
        x0 + 16.0,
        t + h / 2.0
    );
    for (k, pts) in series {
        let c = COLOURS[k % COLOURS.len()];
        let path: Vec<String> = pts
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let _ = writeln!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{c}" stroke-width="2"/>"#,
            path.join(" ")
        );
        for &(x, y) in pts {
            let _ = writeln!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{c}"/>"#,
                px(x),
                py(y)
            );
        }
    }
}
