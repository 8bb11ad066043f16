//! `bplab lab overhead` at its quick size: the table's invariants — positive times, the
//! manual engine allocates nothing per step, the frameworks record ops and the same number
//! at every batch size — and the intercept fit reproduces a synthetic line exactly.

use crate::common::cli::assert_usage_error;
use bplab_core::testing::in_own_process;
use bplab_lab::overhead::{measure_all, LineFit, OverheadConfig};

#[test]
fn the_table_invariants_hold() {
    // The allocation counter is process-wide: measure with no other test running.
    in_own_process("lab_overhead::the_table_invariants_hold", || {
        let rows = measure_all(&OverheadConfig::quick()).unwrap();
        let engines = bplab_harness::engines::select("all").unwrap();
        assert_eq!(rows.len(), 2 * engines.len());
        for r in &rows {
            let who = format!("{} {}", r.engine, r.config);
            for t in [r.forward_ns, r.grads_ns, r.step_ns] {
                assert!(t.is_finite() && t > 0.0, "{who}: {t}");
            }
            let allocs = r
                .allocs_per_step
                .expect("the counting allocator is installed");
            if r.engine == "manual" {
                assert_eq!(allocs, 0.0, "{who}: the manual engine allocates per step");
                assert_eq!(r.ops.ops(), None);
            }
            if r.engine == "candle" || r.engine.starts_with("burn") {
                let ops = r.ops.ops().unwrap_or(0);
                assert!(ops > 0, "{who}: no ops counted");
                assert!(allocs > 0.0, "{who}");
                for &(b, o) in &r.ops_by_batch {
                    assert_eq!(o, Some(ops), "{who}: ops at batch {b}");
                }
            }
            assert_eq!(r.sweep.len(), OverheadConfig::quick().sweep.len());
            assert!(r.fit.is_some());
        }
    });
}

#[test]
fn the_intercept_fit_reproduces_a_synthetic_line_exactly() {
    let pts: Vec<(f64, f64)> = [1e3, 4e3, 1.6e4, 6.4e4]
        .iter()
        .map(|&x| (x, 2500.0 + 0.25 * x))
        .collect();
    let f = LineFit::fit(&pts).unwrap();
    assert_eq!(f.intercept, 2500.0);
    assert_eq!(f.slope, 0.25);
    assert_eq!(f.breakeven(), 10_000.0);
    assert!(LineFit::fit(&pts[..1]).is_none());
    assert!(LineFit::fit(&[(1.0, 1.0), (1.0, 2.0)]).is_none());
}

#[test]
fn bad_flags_are_one_line_usage_errors() {
    for (args, want) in [
        (&["lab", "overhead", "--config", "bogus"][..], "--config"),
        (&["lab", "overhead", "--engine", "bogus"][..], "--engine"),
    ] {
        assert_usage_error(args, &[want]);
    }
}
