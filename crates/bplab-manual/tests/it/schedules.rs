//! The other schedules: checkpointing must give the plain backward's numbers exactly (it runs
//! the same steps in another order), and forward mode must give the gradient of the forward
//! pass, checked against central differences (not against the reverse mode's kernels).

use crate::{assert_close_fd, central, data, model, net};
use bplab_core::{Activation, Loss};
use bplab_manual::schedules::checkpoint::Checkpointed;
use bplab_manual::schedules::jvp::{forward_mode_gradient, Direction, Jvp};

fn networks() -> Vec<bplab_core::Network> {
    use Activation::*;
    vec![
        net(
            &[3, 4, 4, 4, 4, 2],
            &[Tanh, Gelu, Sigmoid, Relu, Softmax],
            Loss::CrossEntropy,
            true,
            1,
        ),
        net(
            &[2, 5, 3, 3, 1],
            &[LeakyRelu, Sigmoid, Tanh, Identity],
            Loss::Mse,
            true,
            2,
        ),
        net(&[4, 3, 2], &[Gelu, Softmax], Loss::Mse, false, 3),
    ]
}

#[test]
fn checkpointing_gives_the_plain_backward_for_every_segment_length() {
    for (i, n) in networks().iter().enumerate() {
        let m = model(n);
        let (x, y) = data(n.spec(), 4, 7 + i as u64);
        let c = m.forward(x.clone(), y.clone());
        let plain = m.backward(&c);
        for k in 1..=n.spec().n_layers() {
            let mut ck = Checkpointed::new(n.spec(), 4, k);
            ck.step(&m, &x, &y);
            let what = format!("{} k = {k}", n.spec().summary());
            assert_eq!(ck.loss, c.loss, "{what}: loss");
            assert_eq!(ck.dw, plain.dw, "{what}: dW");
            assert_eq!(ck.db, plain.db, "{what}: db");
        }
    }
}

#[test]
fn forward_mode_gradient_matches_central_differences() {
    for (i, n) in networks().iter().enumerate() {
        let mut m = model(n);
        let (x, y) = data(n.spec(), 3, 20 + i as u64);
        let (dw, db) = forward_mode_gradient(&m, &x, &y);
        for l in 0..n.spec().n_layers() {
            for (is_w, got) in [(true, &dw[l]), (false, &db[l])] {
                let fd: Vec<f64> = (0..got.len())
                    .map(|j| {
                        let theta = if is_w {
                            m.params().0[l][j]
                        } else {
                            m.params().1[l][j]
                        };
                        central(theta, &mut |t| {
                            let set = |m: &mut bplab_manual::Model<f64>, v: f64| {
                                let (w, b) = m.params_mut();
                                if is_w {
                                    w[l][j] = v
                                } else {
                                    b[l][j] = v
                                }
                            };
                            set(&mut m, t);
                            let v = m.forward(x.clone(), y.clone()).loss;
                            set(&mut m, theta);
                            v
                        })
                    })
                    .collect();
                let what = format!(
                    "{} {}{}",
                    n.spec().summary(),
                    if is_w { "dW" } else { "db" },
                    l + 1
                );
                assert_close_fd(&what, got, &fd);
            }
        }
    }
}

#[test]
fn input_tangent_matches_central_differences_of_the_output() {
    for (i, n) in networks().iter().enumerate() {
        let m = model(n);
        let (x, y) = data(n.spec(), 2, 30 + i as u64);
        let dx: Vec<f64> = (0..x.len())
            .map(|k| ((k * 7 % 5) as f64 - 2.0) / 3.0)
            .collect();
        let mut jvp = Jvp::new(n.spec(), 2);
        let (loss, dloss) = jvp.run(&m, &x, &y, &Direction::input(dx.clone()));
        assert_eq!(loss, m.forward(x.clone(), y.clone()).loss);
        let along = |t: f64| -> Vec<f64> {
            let xx: Vec<f64> = x.iter().zip(&dx).map(|(a, d)| a + t * d).collect();
            let c = m.forward(xx, y.clone());
            let mut v = c.h.last().unwrap().clone();
            v.push(c.loss);
            v
        };
        let (p, q) = (along(1e-6), along(-1e-6));
        let fd: Vec<f64> = p.iter().zip(&q).map(|(a, b)| (a - b) / 2e-6).collect();
        let mut got = jvp.output_tangent().to_vec();
        got.push(dloss);
        assert_close_fd(&n.spec().summary(), &got, &fd);
    }
}
