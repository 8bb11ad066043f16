//! Axes: a [`Scale`] maps data values to a unit interval, with tick positions and labels —
//! "nice" steps (1, 2, 5 × 10ᵏ) on linear axes, whole decades on log axes.

/// How an axis maps values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// Linear.
    #[default]
    Linear,
    /// Base-10 logarithmic: only values > 0 can be placed.
    Log10,
}

/// A fitted axis: the data range (in the scale's own space, `log10` for log axes).
#[derive(Debug, Clone, Copy)]
pub struct Axis {
    pub scale: Scale,
    lo: f64,
    hi: f64,
}

/// A short label for a tick value: `1e-6`, `0.25`, `1000`.
pub fn tick_label(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.0e}");
        return s.replace("e0", "").replace("e-0", "e-");
    }
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn nice_step(span: f64, target: usize) -> f64 {
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

impl Axis {
    /// An axis covering every value that `scale` can place (finite; `> 0` on log axes).
    pub fn fit(scale: Scale, values: impl Iterator<Item = f64>) -> Self {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for v in values.filter_map(|v| Self::to_space(scale, v)) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        match scale {
            Scale::Log10 => {
                (lo, hi) = (lo.floor(), hi.ceil());
                if hi <= lo {
                    hi = lo + 1.0;
                }
            }
            Scale::Linear => {
                if hi <= lo {
                    let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
                    (lo, hi) = (lo - pad, hi + pad);
                }
                let step = nice_step(hi - lo, 5);
                (lo, hi) = ((lo / step).floor() * step, (hi / step).ceil() * step);
            }
        }
        Axis { scale, lo, hi }
    }

    /// `v` in the scale's space, if it can be placed.
    fn to_space(scale: Scale, v: f64) -> Option<f64> {
        match scale {
            Scale::Linear if v.is_finite() => Some(v),
            Scale::Log10 if v.is_finite() && v > 0.0 => Some(v.log10()),
            _ => None,
        }
    }

    /// `v`'s position in `[0, 1]` along the axis, if it can be placed.
    pub fn unit(&self, v: f64) -> Option<f64> {
        Self::to_space(self.scale, v).map(|s| (s - self.lo) / (self.hi - self.lo))
    }

    /// Tick positions in `[0, 1]` with their labels.
    pub fn ticks(&self) -> Vec<(f64, String)> {
        let span = self.hi - self.lo;
        match self.scale {
            Scale::Log10 => {
                let every = (span / 8.0).ceil().max(1.0) as i64;
                let (lo, hi) = (self.lo as i64, self.hi as i64);
                (lo..=hi)
                    .filter(|k| (k - lo) % every == 0)
                    .map(|k| ((k as f64 - self.lo) / span, format!("1e{k}")))
                    .collect()
            }
            Scale::Linear => {
                let step = nice_step(span, 5);
                let n = (span / step).round() as i64;
                (0..=n)
                    .map(|i| {
                        let v = self.lo + i as f64 * step;
                        let v = if v.abs() < step * 1e-9 { 0.0 } else { v };
                        (i as f64 / n.max(1) as f64, tick_label(v))
                    })
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axis_spans_whole_decades_and_skips_non_positive_values() {
        let a = Axis::fit(Scale::Log10, [3e-7, 0.0, f64::NAN, 20.0, -1.0].into_iter());
        assert_eq!(a.unit(1e-7), Some(0.0));
        assert_eq!(a.unit(100.0), Some(1.0));
        assert_eq!(a.unit(0.0), None);
        assert_eq!(a.ticks().first().unwrap().1, "1e-7");
    }

    #[test]
    fn linear_axis_has_nice_ticks() {
        let a = Axis::fit(Scale::Linear, [0.13, 0.92].into_iter());
        let labels: Vec<String> = a.ticks().into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        assert_eq!(a.unit(f64::INFINITY), None);
    }
}
