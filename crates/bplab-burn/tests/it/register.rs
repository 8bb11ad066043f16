//! What a burn custom op's `Backward` gets wrong when it does not register exactly one share per
//! parent (`docs/custom-ops.md`): the op `y = 2·m` on `Autodiff<Flex>`, whose backward
//! registers `2·∂L/∂y` for its parent `n` times.
//! - `n = 1`: `∂L/∂x = 2` (the right answer);
//! - `n = 2`: `∂L/∂x = 4`, silently (`register` adds to what is there, `grads.rs:131-146`);
//! - `n = 0` with a leaf parent: no gradient at all, silently;
//! - `n = 0` with a single-use intermediate parent (`m = x·1`): the parent's own step panics
//!   "Can't consume the gradients before they are registered at least once"
//!   (`grads.rs:103-107`), caught here with `catch_unwind`.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Flex, Scalar, TensorData};
use burn::tensor::try_read_sync;
use std::panic::{catch_unwind, AssertUnwindSafe};

type B = Autodiff<Flex>;

/// `y = 2·m`, whose backward registers its parent's share `registrations` times.
#[derive(Debug)]
struct Double {
    registrations: usize,
}

impl<I: Backend> Backward<I, 1> for Double {
    type State = ();

    fn backward(self, ops: Ops<(), 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let g = grads.consume::<I>(&ops.node); // ∂L/∂y
        let [parent] = ops.parents;
        if let Some(parent) = parent {
            let share = I::float_mul_scalar(g, Scalar::Float(2.0));
            for _ in 0..self.registrations {
                grads.register::<I>(parent.id, share.clone());
            }
        }
    }
}

fn double(m: FloatTensor<B>, registrations: usize) -> FloatTensor<B> {
    let (m, gm) = m.into_parts();
    let y = <Flex as FloatTensorOps<Flex>>::float_mul_scalar(m, Scalar::Float(2.0));
    match (Double { registrations })
        .prepare::<NoCheckpointing>([gm])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish((), y),
        OpsKind::UnTracked(prep) => prep.finish(y),
    }
}

/// `∂/∂x Σ double(m)` with `m = x` (a leaf) or `m = x·1` (an intermediate); `None` when `x`
/// got no gradient.
fn grad_x(registrations: usize, intermediate: bool) -> Option<Vec<f64>> {
    let device = Default::default();
    let x = <B as FloatTensorOps<B>>::float_from_data(
        TensorData::new(vec![1.0f64, -2.0, 3.0], [3]),
        &device,
    );
    let x = <B as FloatTensorOps<B>>::float_set_require_grad(x, true);
    let m = if intermediate {
        <B as FloatTensorOps<B>>::float_mul_scalar(x.clone(), Scalar::Float(1.0))
    } else {
        x.clone()
    };
    let loss = <B as FloatTensorOps<B>>::float_sum(double(m, registrations));
    let grads = <B as AutodiffBackend>::backward(loss);
    <B as AutodiffBackend>::grad(&x, &grads).map(|g| {
        try_read_sync(<Flex as FloatTensorOps<Flex>>::float_into_data(g))
            .unwrap()
            .unwrap()
            .as_slice::<f64>()
            .unwrap()
            .to_vec()
    })
}

#[test]
fn one_registration_is_right() {
    assert_eq!(grad_x(1, true), Some(vec![2.0; 3]));
    assert_eq!(grad_x(1, false), Some(vec![2.0; 3]));
}

#[test]
fn registering_twice_double_counts_silently() {
    assert_eq!(grad_x(2, true), Some(vec![4.0; 3]));
    assert_eq!(grad_x(2, false), Some(vec![4.0; 3]));
}

#[test]
fn a_forgotten_register_drops_a_leaf_gradient_silently() {
    assert_eq!(grad_x(0, false), None);
}

#[test]
fn a_forgotten_register_panics_for_a_single_use_intermediate() {
    let err = catch_unwind(AssertUnwindSafe(|| grad_x(0, true))).expect_err("a panic");
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(
        msg.contains("Can't consume the gradients before they are registered at least once"),
        "{msg}"
    );
}
