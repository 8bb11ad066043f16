//! The sweep's plots: grads time against batch size and against width, log–log, one line per
//! engine (drawn by [`bplab_output::plot::LineChart`]).

use super::{Axis, Sweep};
use bplab_output::plot::{LineChart, Scale, Series};

/// The two plots as SVG documents: `(vs batch size, vs width)`.
pub fn svgs(s: &Sweep) -> (String, String) {
    let mut engines: Vec<&str> = Vec::new();
    for p in &s.points {
        if !engines.contains(&p.engine.as_str()) {
            engines.push(&p.engine);
        }
    }
    let chart = |axis: Axis, title: &str, x_label: &str| {
        let mut c = LineChart::new(title)
            .x(x_label, Scale::Log10)
            .y("grads time (µs)", Scale::Log10);
        for e in &engines {
            let points = s
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
                .collect();
            c = c.series(Series::new(*e, points));
        }
        c.to_svg()
    };
    (
        chart(
            Axis::Batch,
            "784-128-64-10, f32: grads time vs batch size",
            "batch size",
        ),
        chart(
            Axis::Width,
            "w-w-w-10 at batch 64, f32: grads time vs width",
            "width w",
        ),
    )
}
