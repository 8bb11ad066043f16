//! `bplab lesson` end to end: the worked example's numbers as the lesson prints them (the
//! values `lesson.rs` derives by hand), practice task 1's exactly-zero `sum dL/dW1`, the JSON
//! document's shape, and a bad flag as a one-line usage error.

use crate::common::cli::{assert_usage_error, bplab};

#[test]
fn the_walkthrough_prints_the_lessons_numbers_and_every_check_passes() {
    let (code, out, err) = bplab(&["lesson", "--engine", "manual,candle"]);
    assert_eq!(code, 0, "{err}\n{out}");
    for needle in [
        // As the lesson prints them (tests/it/lesson.rs: 0.6572 0.0124 0.0639 0.0197).
        "y_hat = 0.6572, loss = 0.0124",
        "dL/dW2 sum = 0.0639",
        "dL/dW1 sum = 0.0197",
        // Each backward step, local gradient × upstream gradient.
        "∂L/∂ŷ  = ŷ − y",
        "δ₂     = ∂ŷ/∂z₂ × ∂L/∂ŷ",
        "∂L/∂W₁ = δ₁ xᵀ",
        "L      = ½(ŷ − y)²",
        "SGD step, lr = 0.1",
        "candle vs manual: max |a−b|",
        "finite differences vs manual (analytic)",
        // Practice 1: the sum is exactly zero, the elements are compared instead.
        "sum dL/dW1 = 0\n",
        "exactly zero gradient: unit 2",
        "all checks passed",
    ] {
        assert!(out.contains(needle), "'{needle}' missing:\n{out}");
    }
    assert!(!out.contains("FAILED"), "{out}");
}

#[test]
fn json_has_every_step_and_the_practice_tasks() {
    let (code, out, err) = bplab(&["lesson", "--engine", "manual", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let w = &v["worked_example"];
    let loss = w["forward"]["loss"].as_f64().unwrap();
    assert!((loss - 0.012361055759216734).abs() < 1e-15, "{loss}");
    assert_eq!(format!("{:.4}", w["sum_dW1"].as_f64().unwrap()), "0.0197");
    for key in [
        "dL_dyhat",
        "dyhat_dz2",
        "delta2",
        "dL_dW2",
        "dL_dh",
        "dh_dz1",
        "delta1",
        "dL_dW1",
    ] {
        assert!(w["backward"].get(key).is_some(), "backward.{key} missing");
    }
    assert!(v["update"]["new_loss"].as_f64().unwrap() < loss);
    let p = &v["practice"];
    assert_eq!(p["task1"]["pass"]["sum_dW1"].as_f64(), Some(0.0));
    assert_eq!(p["task2"]["fc1.weight"].as_array().unwrap().len(), 10);
    assert_eq!(p["task3"]["passed"], true);
    assert_eq!(p["task4"]["zero_gradient_units"], serde_json::json!([2]));
    assert_eq!(v["passed"], true);
}

#[test]
fn a_bad_flag_is_a_usage_error() {
    assert_usage_error(&["lesson", "--format", "yaml"], &["yaml"]);
    assert_usage_error(&["lesson", "--engine", "nope"], &["nope"]);
}
