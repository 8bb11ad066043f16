//! The straight line `time = a + b · FLOPs` through measured points (ordinary least squares):
//! the intercept `a` is what a step costs however little arithmetic it does — the fixed
//! overhead — and `b` the time per floating-point operation. The two are equal in a step of
//! `a / b` FLOPs: below that size overhead dominates, above it arithmetic does.

/// A fitted line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineFit {
    /// `a`, in the unit of the times (ns).
    pub intercept: f64,
    /// `b`, time per FLOP.
    pub slope: f64,
}

impl LineFit {
    /// Least squares over `(x, y)` points; `None` with fewer than two distinct `x`.
    pub fn fit(points: &[(f64, f64)]) -> Option<LineFit> {
        let n = points.len() as f64;
        if points.len() < 2 {
            return None;
        }
        let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
        let my = points.iter().map(|p| p.1).sum::<f64>() / n;
        let sxx: f64 = points.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
        let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        if sxx == 0.0 {
            return None;
        }
        let slope = sxy / sxx;
        Some(LineFit {
            intercept: my - slope * mx,
            slope,
        })
    }

    /// The size (FLOPs) at which fixed overhead equals compute time, `a / b` (NaN unless
    /// both are positive).
    pub fn breakeven(&self) -> f64 {
        if self.intercept > 0.0 && self.slope > 0.0 {
            self.intercept / self.slope
        } else {
            f64::NAN
        }
    }
}
