//! Checks of how candle's autodiff behaves that the engine relies on or works around:
//! - after `backward()` the `GradStore` holds no gradient for the tracked intermediate nodes:
//!   the `z` and `h` tensors of the forward graph have none (`backprop.rs:173-175` removes
//!   each node's gradient as it is propagated), which is why the engine reads `δ_l` from zero
//!   probes; variables keep theirs, and so do untracked leaves fed directly to a tracked op;
//! - the probes change nothing: parameter gradients and losses are bit-identical with and
//!   without them, in f32 and f64;
//! - ops without a backward: `softmax_last_dim` silently cuts the graph (no error, no
//!   gradient), `detach()` does the same, and so do `ceil`/`floor`/`round`/`sign`;
//! - engine errors are values, not panics.

use bplab_candle::CandleEngine;
use bplab_core::{
    Activation, Batch, DType, Engine, Error, GradRequest, Init, Loss, NetSpec, Network,
};
use candle_core::{Device, Tensor, Var, D};

fn setup() -> (Network, Batch) {
    let spec = NetSpec::new(
        vec![3, 4, 4, 2],
        vec![Activation::Tanh, Activation::Relu, Activation::Softmax],
        Loss::CrossEntropy,
        true,
    )
    .unwrap();
    let net = Network::new(spec.clone(), Init::XavierNormal.params(&spec, 3)).unwrap();
    let batch = Batch::from_inline("1,2,-1;0.5,-0.3,2;0,1,1", "0,1;0.3,0.7;1,0").unwrap();
    (net, batch)
}

#[test]
fn grad_store_drops_intermediate_gradients() {
    let (net, batch) = setup();
    let run = CandleEngine::new()
        .backward(&net, &batch, DType::F64, true, false)
        .unwrap();
    let n = net.spec().n_layers();
    for l in 0..n {
        assert!(
            run.grads.get(&run.forward.z[l]).is_none(),
            "z{l} has no gradient"
        );
        assert!(
            run.grads.get(&run.forward.h[l]).is_none(),
            "h{l} has no gradient"
        );
        assert!(run
            .grads
            .get(run.model.layers()[l].weight.as_tensor())
            .is_some());
        assert!(run
            .grads
            .get(run.model.layers()[l].bias.as_tensor())
            .is_some());
    }
    assert!(run.grads.get(&run.x).is_some(), "x was made a Var");
    assert!(
        run.grads.get(&run.forward.loss).is_none(),
        "not even the root's"
    );
    // But an untracked leaf that is a direct argument of a tracked op keeps the gradient its
    // parent's backward wrote (`or_insert` does not ask whether the argument tracks): here the
    // targets `y` of `y · log_softmax(z)`. It is never popped, not being in `sorted_nodes`.
    assert!(
        run.grads.get(&run.y).is_some(),
        "the targets of the cross-entropy product"
    );
    // Exactly: 2 variables per layer, x, and y.
    assert_eq!(run.grads.get_ids().count(), 2 * n + 2);
}

#[test]
fn probes_leave_every_other_gradient_bit_identical() {
    let (net, batch) = setup();
    let e = CandleEngine::new();
    for dtype in [DType::F64, DType::F32] {
        let with = e.backward(&net, &batch, dtype, true, true).unwrap();
        let without = e.backward(&net, &batch, dtype, true, false).unwrap();
        let probes = with.probes.as_ref().unwrap();
        assert_eq!(probes.len(), net.spec().n_layers());
        assert_eq!(
            with.grads.get_ids().count(),
            2 * probes.len() + 2 + probes.len()
        );
        let vals = |t: &Tensor| {
            t.flatten_all()
                .unwrap()
                .to_dtype(candle_core::DType::F64)
                .unwrap()
                .to_vec1::<f64>()
                .unwrap()
        };
        for (a, b) in with.model.layers().iter().zip(without.model.layers()) {
            for (va, vb) in [(&a.weight, &b.weight), (&a.bias, &b.bias)] {
                let ga = vals(with.grads.get(va.as_tensor()).unwrap());
                let gb = vals(without.grads.get(vb.as_tensor()).unwrap());
                assert_eq!(ga, gb, "{dtype}");
            }
        }
        assert_eq!(
            vals(with.grads.get(&with.x).unwrap()),
            vals(without.grads.get(&without.x).unwrap())
        );
        assert_eq!(vals(&with.forward.loss), vals(&without.forward.loss));
        for l in 0..probes.len() {
            assert_eq!(
                vals(&with.forward.z[l]),
                vals(&without.forward.z[l]),
                "z{l} {dtype}"
            );
        }
    }
}

#[test]
fn ops_without_backward_cut_the_graph_silently() {
    let dev = Device::Cpu;
    let w = Var::from_vec(vec![0.3f64, -1.2, 0.7, 2.0], (2, 2), &dev).unwrap();
    let x = Tensor::from_vec(vec![1.0f64, 2.0], (1, 2), &dev).unwrap();
    let c = Tensor::from_vec(vec![1.0f64, -3.0], (1, 2), &dev).unwrap();
    let z = x.matmul(w.as_tensor()).unwrap();
    let grad_w = |y: &Tensor| {
        let g = y.mul(&c).unwrap().sum_all().unwrap().backward().unwrap();
        g.get(w.as_tensor())
            .map(|t| t.flatten_all().unwrap().to_vec1::<f64>().unwrap())
    };
    // Differentiable softmax: a gradient.
    let s = candle_nn::ops::softmax(&z, D::Minus1).unwrap();
    assert!(grad_w(&s).is_some());
    // softmax_last_dim: same values, but `apply_op1_no_bwd` records no op.
    let s_last = candle_nn::ops::softmax_last_dim(&z).unwrap();
    assert!(!s_last.track_op(), "no op recorded");
    assert_eq!(grad_w(&s_last), None, "no error and no gradient");
    assert_eq!(grad_w(&z.detach()), None);
    for rounded in [z.ceil(), z.floor(), z.round(), z.sign()] {
        assert_eq!(
            grad_w(&rounded.unwrap()),
            None,
            "ceil's BackwardNotSupported is unreachable"
        );
    }
    // With a differentiable path next to the cut one, only that path counts.
    let both = (&s + &s_last).unwrap();
    assert_eq!(grad_w(&both), grad_w(&s));
}

#[test]
fn errors_are_values() {
    let (net, _) = setup();
    let e = CandleEngine::new();
    let bad = Batch::from_inline("1,2", "0,1").unwrap();
    let err = e
        .grads(&net, &bad, DType::F64, GradRequest::default())
        .unwrap_err();
    assert!(matches!(err, Error::Batch(_)), "{err}");
    assert!(e.forward(&net, &bad, DType::F32).is_err());
    let wrapped =
        bplab_candle::convert::engine_err(candle_core::Error::Msg("boom\nbacktrace".into()));
    assert_eq!(wrapped.to_string(), "engine candle failed: boom");
    assert_eq!(e.name(), "candle");
    assert_eq!(CandleEngine::default().name(), "candle");
}

/// The forward trace: shapes `(B, n_out_l)`, the residual layer's `h = h_prev + act(z)`, and
/// for the softmax output `ŷ` the probabilities, with `L = −(1/B) Σ y·ln ŷ`.
#[test]
fn trace_holds_z_h_and_softmax_probabilities() {
    let (net, batch) = setup();
    let spec = net.spec();
    let t = CandleEngine::new()
        .forward(&net, &batch, DType::F64)
        .unwrap();
    for l in 0..spec.n_layers() {
        assert_eq!(t.z[l].shape, [3, spec.layer_dims(l).1]);
        assert_eq!(t.h[l].shape, t.z[l].shape);
    }
    // Layer 1 (4→4, relu) is residual: h1 = h0 + relu(z1).
    assert!(spec.is_residual(1) && !spec.is_residual(0));
    for i in 0..t.h[1].len() {
        let want = t.h[0].data[i] + t.z[1].data[i].max(0.0);
        assert!((t.h[1].data[i] - want).abs() <= 1e-15, "{i}");
    }
    let y_hat = &t.h[2];
    let mut loss = 0.0;
    for b in 0..3 {
        let row = &y_hat.data[2 * b..2 * b + 2];
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        let z = &t.z[2].data[2 * b..2 * b + 2];
        assert!((row[0] / row[1] - (z[0] - z[1]).exp()).abs() < 1e-12);
        loss -= (0..2)
            .map(|k| batch.y.data[2 * b + k] * row[k].ln())
            .sum::<f64>();
    }
    assert!(
        (t.loss - loss / 3.0).abs() < 1e-14,
        "{} vs {}",
        t.loss,
        loss / 3.0
    );
}
