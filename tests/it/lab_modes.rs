//! `lab modes`: forward-mode gradients equal reverse-mode ones (f64, rtol 1e-12) on several
//! topologies; a JVP along an input direction equals reverse mode's one-backward-per-output
//! answer; the headline cost claims at a small size; the command line's usage errors.

use crate::common::cli::{assert_usage_error, bplab};
use bplab_core::presets::Preset;
use bplab_core::{Activation, Loss, NetSpec};
use bplab_lab::modes::{compare_gradients, model, random_batch, sweep_spec, AGREEMENT};
use bplab_manual::schedules::jvp::{
    forward_mode_gradient, reverse_output_directional, Direction, Jvp,
};
use bplab_manual::{Backward, Cache, Model};
use std::time::Instant;

/// Every activation, both losses, residual and plain, a non-square layer, a width-1 layer.
fn topologies() -> Vec<NetSpec> {
    use Activation::*;
    let spec = |w: Vec<usize>, a: Vec<Activation>, l, r| NetSpec::new(w, a, l, r).unwrap();
    vec![
        Preset::Assignment.spec(),
        spec(
            vec![3, 4, 4, 4, 2],
            vec![Tanh, Gelu, Relu, Softmax],
            Loss::CrossEntropy,
            true,
        ),
        spec(vec![2, 6, 1], vec![Sigmoid, Identity], Loss::Mse, false),
        spec(
            vec![5, 5, 5, 3],
            vec![LeakyRelu, Tanh, Sigmoid],
            Loss::Mse,
            true,
        ),
        spec(
            vec![4, 1, 3],
            vec![Tanh, Softmax],
            Loss::CrossEntropy,
            false,
        ),
    ]
}

#[test]
fn forward_mode_gradients_equal_reverse_mode_ones() {
    for (i, spec) in topologies().iter().enumerate() {
        let m = model(spec, 3 + i as u64);
        let (x, y) = random_batch(spec, 3, 9 + i as u64);
        // Cross-entropy targets: one-hot rows.
        let y: Vec<f64> = if spec.loss() == Loss::CrossEntropy {
            (0..y.len())
                .map(|j| {
                    if j % spec.n_out() == i % spec.n_out() {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect()
        } else {
            y
        };
        let cmps = compare_gradients(&m, &x, &y).unwrap();
        assert_eq!(cmps.len(), 2 * spec.n_layers());
        for c in &cmps {
            assert!(c.checked > 0);
            assert!(c.passed(), "{}: {c}", spec.summary());
        }
    }
    assert_eq!(AGREEMENT.rtol, 1e-12);
}

#[test]
fn the_assignment_networks_fixed_weights_agree_too() {
    let spec = Preset::Assignment.spec();
    let params = Preset::Assignment.fixed_params().unwrap_or_else(|| {
        let (init, seed) = Preset::Assignment.default_init();
        init.params(&spec, seed)
    });
    let m = Model::<f64>::new(&spec, &params);
    let batch = Preset::Assignment.batch();
    let cmps = compare_gradients(&m, &batch.x.data, &batch.y.data).unwrap();
    assert!(cmps.iter().all(|c| c.passed()), "{cmps:?}");
}

#[test]
fn one_jvp_gives_every_outputs_tangent_as_reverse_mode_does_with_one_pass_per_output() {
    let spec = bplab_lab::modes::sensitivity_spec(4, 7).unwrap();
    let m = model(&spec, 5);
    let (x, y) = random_batch(&spec, 6, 5);
    let (dx, _) = random_batch(&spec, 6, 6);
    let mut jvp = Jvp::new(&spec, 6);
    let (loss, _) = jvp.run(&m, &x, &y, &Direction::input(dx.clone()));
    let mut c = m.forward(x.clone(), y.clone());
    assert_eq!(
        loss.to_bits(),
        c.loss.to_bits(),
        "the JVP's primal is the forward pass"
    );
    assert_eq!(jvp.output(), &c.h[2][..]);
    let mut g = Backward::new(&spec, 6);
    let mut rev = vec![0.0; 6 * 7];
    reverse_output_directional(&m, &mut c, &mut g, &dx, &mut rev).unwrap();
    for (i, (&a, &b)) in jvp.output_tangent().iter().zip(&rev).enumerate() {
        assert!(AGREEMENT.allows(a, b), "output tangent {i}: {a} vs {b}");
    }
    // Reverse-mode sensitivities need the mse seed: a cross-entropy model is an error.
    let ce = Preset::Assignment.spec();
    let mce = model(&ce, 1);
    let (x, y) = random_batch(&ce, 2, 1);
    let mut c = Cache::new(&ce, 2);
    c.set_batch(&x, &y);
    mce.forward_into(&mut c);
    let mut g = Backward::new(&ce, 2);
    let mut out = vec![0.0; 4];
    assert!(reverse_output_directional(&mce, &mut c, &mut g, &[0.0; 8], &mut out).is_err());
}

fn seconds(mut f: impl FnMut(), reps: usize) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

#[test]
fn forward_mode_costs_one_jvp_per_parameter_and_wins_for_one_input_direction() {
    // 3 layers of width 24: 1800 parameters. The full gradient by forward mode is 1800 JVPs;
    // reverse mode is one forward and one backward pass. Margins are wide (expected ~500×).
    let spec = sweep_spec(24, 3).unwrap();
    let m = model(&spec, 1);
    let (x, y) = random_batch(&spec, 4, 1);
    let reverse = seconds(|| drop(m.backward(&m.forward(x.clone(), y.clone()))), 5);
    let forward_mode = seconds(|| drop(forward_mode_gradient(&m, &x, &y)), 1);
    assert!(
        forward_mode > 20.0 * reverse,
        "forward mode {forward_mode} s vs reverse {reverse} s"
    );

    // One input direction, 128 outputs: one JVP against 128 backward passes.
    let spec = bplab_lab::modes::sensitivity_spec(4, 128).unwrap();
    let m = model(&spec, 2);
    let (x, y) = random_batch(&spec, 4, 2);
    let (dx, _) = random_batch(&spec, 4, 3);
    let mut jvp = Jvp::new(&spec, 4);
    let v = Direction::input(dx.clone());
    let one_jvp = seconds(
        || {
            std::hint::black_box(jvp.run(&m, &x, &y, &v));
        },
        5,
    );
    let mut c = m.forward(x.clone(), y.clone());
    let mut g = Backward::new(&spec, 4);
    let mut out = vec![0.0; 4 * 128];
    let reverse = seconds(
        || reverse_output_directional(&m, &mut c, &mut g, &dx, &mut out).unwrap(),
        3,
    );
    assert!(
        reverse > 5.0 * one_jvp,
        "reverse {reverse} s vs one JVP {one_jvp} s"
    );
}

#[test]
fn bad_lab_modes_flags_are_one_line_errors() {
    for (args, want) in [
        (&["lab", "modes", "--widths", "0"][..], "--widths"),
        (&["lab", "modes", "--depths", "2,x"][..], "--depths"),
        (&["lab", "modes", "--format", "xml"][..], "--format"),
        (&["lab", "modes", "--fm-budget", "-1"][..], "--fm-budget"),
        (&["lab", "nosuchlab"][..], "nosuchlab"),
    ] {
        assert_usage_error(args, &[want]);
    }
}

#[test]
fn lab_modes_writes_csv_json_and_svg_and_prints_json() {
    let out = std::env::temp_dir().join(format!("bplab-lab-modes-{}", std::process::id()));
    let dir = out.to_str().unwrap();
    let base = [
        "lab", "modes", "--quick", "--widths", "2,6", "--depths", "1,3", "--out", dir,
    ];
    let (code, stdout, stderr) = bplab(&base);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("rev/fwd"), "{stdout}");
    for f in [
        "modes.csv",
        "modes-sensitivity.csv",
        "modes.json",
        "modes-width.svg",
        "modes-depth.svg",
        "modes-sensitivity.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let csv = std::fs::read_to_string(out.join("modes.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 4, "{csv}");
    let mut args = base.to_vec();
    args.extend(["--format", "json"]);
    let (code, stdout, stderr) = bplab(&args);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["lab"], "modes");
    assert_eq!(v["sweep"].as_array().unwrap().len(), 4);
    assert!(v["agreement"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["passed"] == true));
    let _ = std::fs::remove_dir_all(&out);
}
