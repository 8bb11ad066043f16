//! The manual engine's fused layer [`Dense`] (`h = σ(x Wᵀ + b)`) as a custom autodiff operation
//! in burn 0.22: a backend extension trait [`DenseBackend`] (`#[backend_extension]`, which
//! generates the run-time routing for burn's `Dispatch` backend), implemented
//! - for the execution backends `NdArray` and `Flex`: the forward pass, on the operands'
//!   own host buffers ([`crate::host`]: borrowed, not read back) through `bplab-manual`'s
//!   kernels;
//! - for `Autodiff<B, C>`: the same forward plus a graph node whose [`Backward`] step is
//!   `bplab-manual`'s hand-written backward, written the way burn's own ops in
//!   `burn-autodiff-0.22.1/src/ops/tensor.rs` are (`prepare` → `compute_bound` → `stateful` →
//!   `finish(state, output)`).
//!
//! burn's contract (`burn-autodiff-0.22.1/src/ops/backward.rs:10-47`, `ops/base.rs`):
//! `Backward::backward(self, ops, grads, checkpointer)` gets `ops.parents` (one
//! `Option<NodeRef>` per input, `None` where the input needs no gradient), `ops.node` (the
//! output's node), `ops.state` (whatever forward chose to keep: here `x`, `W`, `z`, `h`), and
//! the gradient container: it takes `∂L/∂out` with `grads.consume::<B>(&ops.node)` and must
//! `grads.register::<B>(parent.id, g)` one gradient per parent that is `Some`.
//!
//! Layout: burn's `Linear` stores `W` as `[n_in, n_out]`; [`Dense`] (like PyTorch) reads
//! `(n_out, n_in)`. The layer reads burn's layout in place (`custom/layout.rs`: `z = x · W_burn`,
//! `∂L/∂W_burn = xᵀ δ`, `∂L/∂x = δ · W_burnᵀ`, strided views of one product routine) wherever
//! that gives the same bits as the transposed copy (see `in_place`); tiny layers and planted
//! faults transpose `W` and `∂L/∂W` (data movement, not arithmetic).

// burn-ndarray (deprecated upstream) is one of the two backends compared, on purpose; the
// routing `#[backend_extension]` generates names it too.
#![allow(deprecated)]

mod layout;

use crate::host::{HostFloat, HostTensors};
use bplab_manual::kernels::matmul::takes_packed;
use bplab_manual::{Dense, Fault};
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{
    backend_extension, Autodiff, Backend, Dispatch, Flex, NdArray, TensorMetadata,
};
use burn::tensor::{DType as BurnDType, Tensor, TensorData};

/// A backend that can run [`Dense`] as one operation.
#[backend_extension(NdArray, Flex, Autodiff)]
pub trait DenseBackend: Backend {
    /// `(z, h)` with `z = x Wᵀ + b` and `h = σ(z)`, both `(B, n_out)`; `x` `(B, n_in)`, `w`
    /// `[n_in, n_out]` (burn's `Linear` layout), `b` `[n_out]`. On an autodiff backend `h`
    /// carries the layer's backward; `z` is a constant (a read-out, off the gradient path).
    fn dense(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        b: FloatTensor<Self>,
        layer: Dense,
    ) -> (FloatTensor<Self>, FloatTensor<Self>);
}

/// [`DenseBackend::dense`] on burn's run-time-dispatched tensors: `(z, h)`, `(B, n_out)` each.
pub fn dense(x: Tensor<2>, w: Tensor<2>, b: Tensor<1>, layer: Dense) -> (Tensor<2>, Tensor<2>) {
    let (z, h) = <Dispatch as DenseBackend>::dense(
        x.into_dispatch(),
        w.into_dispatch(),
        b.into_dispatch(),
        layer,
    );
    (Tensor::from_dispatch(z), Tensor::from_dispatch(h))
}

/// The execution backends: [`forward`] on the backend's own tensors.
macro_rules! dense_on_execution_backend {
    ($($backend:ty),*) => {$(
        impl DenseBackend for $backend {
            fn dense(
                x: FloatTensor<Self>,
                w: FloatTensor<Self>,
                b: FloatTensor<Self>,
                layer: Dense,
            ) -> (FloatTensor<Self>, FloatTensor<Self>) {
                forward::<Self>(x, w, b, layer)
            }
        }
    )*};
}

dense_on_execution_backend!(NdArray, Flex);

/// What the backward step keeps from forward (PyTorch's `ctx.save_for_backward`): the input,
/// the weight (burn layout) and both outputs, as the inner backend's tensors.
#[derive(Debug, Clone)]
pub struct Saved<B: Backend> {
    x: FloatTensor<B>,
    w: FloatTensor<B>,
    z: FloatTensor<B>,
    h: FloatTensor<B>,
    layer: Dense,
}

/// The graph node's backward: `bplab-manual`'s [`Dense::backward`].
#[derive(Debug)]
struct DenseBackward;

impl<B: HostTensors> Backward<B, 3> for DenseBackward {
    type State = Saved<B>;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let g = grads.consume::<B>(&ops.node); // ∂L/∂h, (B, n_out)
        let s = ops.state;
        let (dx, dw, db) = backward::<B>(g, s, node_x.is_some());
        if let (Some(node), Some(dx)) = (node_x, dx) {
            grads.register::<B>(node.id, dx);
        }
        if let Some(node) = node_w {
            grads.register::<B>(node.id, dw);
        }
        if let Some(node) = node_b {
            grads.register::<B>(node.id, db);
        }
    }
}

impl<B: DenseBackend + HostTensors, C: CheckpointStrategy> DenseBackend for Autodiff<B, C> {
    fn dense(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        b: FloatTensor<Self>,
        layer: Dense,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let (x, gx) = x.into_parts();
        let (w, gw) = w.into_parts();
        let (b, gb) = b.into_parts();
        let (z, h) = B::dense(x.clone(), w.clone(), b, layer);
        let h = match DenseBackward
            .prepare::<C>([gx, gw, gb])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let saved = Saved {
                    x,
                    w,
                    z: z.clone(),
                    h: h.clone(),
                    layer,
                };
                prep.finish(saved, h)
            }
            OpsKind::UnTracked(prep) => prep.finish(h),
        };
        (<FloatTensor<Self>>::new(z), h)
    }
}

/// The forward on an execution backend: borrow `x`, `W`, `b` ([`HostTensors::host`]), run
/// the layer, adopt `z` and `h` as tensors of the operands' dtype on their device.
fn forward<B: HostTensors>(
    x: FloatTensor<B>,
    w: FloatTensor<B>,
    b: FloatTensor<B>,
    layer: Dense,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let device = x.device();
    let (z, h) = match x.dtype() {
        BurnDType::F64 => forward_as::<B, f64>(&x, &w, &b, layer),
        BurnDType::F32 => forward_as::<B, f32>(&x, &w, &b, layer),
        d => panic!("bplab-dense: dtype {d:?} is not supported (f32, f64)"),
    };
    (
        B::float_from_data(z, &device),
        B::float_from_data(h, &device),
    )
}

fn forward_as<B: HostTensors, T: HostFloat>(
    x: &FloatTensor<B>,
    w: &FloatTensor<B>,
    b: &FloatTensor<B>,
    layer: Dense,
) -> (TensorData, TensorData) {
    let (x, w, b) = (B::host::<T>(x), B::host::<T>(w), B::host::<T>(b));
    let (n_in, n_out) = (layer.n_in, layer.n_out);
    let batch = layer
        .batch_of(x.len(), w.len(), b.len())
        .unwrap_or_else(|e| panic!("bplab-dense: {e}"));
    let (z, h) = if in_place(&layer, batch) {
        layout::forward(&layer, &x, &w, &b, batch)
    } else {
        let w_t = transpose(&w, n_in, n_out); // [n_in, n_out] → (n_out, n_in)
        layer
            .forward(&x, &w_t, &b)
            .unwrap_or_else(|e| panic!("bplab-dense: {e}"))
    };
    (
        TensorData::new(z, [batch, n_out]),
        TensorData::new(h, [batch, n_out]),
    )
}

/// The backward on the inner backend: `(∂L/∂x when asked, ∂L/∂W [n_in, n_out], ∂L/∂b)`.
fn backward<B: HostTensors>(
    g: FloatTensor<B>,
    s: Saved<B>,
    input_grad: bool,
) -> (Option<FloatTensor<B>>, FloatTensor<B>, FloatTensor<B>) {
    let device = g.device();
    let ops = [&g, &s.x, &s.w, &s.z, &s.h];
    let (dx, dw, db) = match g.dtype() {
        BurnDType::F64 => backward_as::<B, f64>(ops, s.layer, input_grad),
        BurnDType::F32 => backward_as::<B, f32>(ops, s.layer, input_grad),
        d => panic!("bplab-dense: dtype {d:?} is not supported (f32, f64)"),
    };
    (
        dx.map(|dx| B::float_from_data(dx, &device)),
        B::float_from_data(dw, &device),
        B::float_from_data(db, &device),
    )
}

fn backward_as<B: HostTensors, T: HostFloat>(
    ops: [&FloatTensor<B>; 5],
    layer: Dense,
    input_grad: bool,
) -> (Option<TensorData>, TensorData, TensorData) {
    let [g, x, w, z, h] = ops.map(B::host::<T>);
    let (n_in, n_out) = (layer.n_in, layer.n_out);
    let batch = x.len() / n_in;
    let (dx, dw, db) = if in_place(&layer, batch) {
        let d = layout::backward(&layer, [&g, &x, &z, &h, &w], input_grad)
            .unwrap_or_else(|e| panic!("bplab-dense: {e}"));
        (d.dx, d.dw, d.db) // ∂L/∂W already in burn's layout
    } else {
        let w_t = transpose(&w, n_in, n_out); // (n_out, n_in)
        let d = layer
            .backward(&g, &x, &z, &h, &w_t, input_grad)
            .unwrap_or_else(|e| panic!("bplab-dense: {e}"));
        (d.dx, transpose(&d.dw, n_out, n_in), d.db) // back to burn's layout
    };
    (
        dx.map(|dx| TensorData::new(dx, [batch, n_in])),
        TensorData::new(dw, [n_in, n_out]),
        TensorData::new(db, [n_out]),
    )
}

/// Whether the layer reads `W` in burn's layout in place ([`layout`]) rather than through a
/// transposed copy: when its backward is the exact one and every product it computes takes
/// the packed kernel, whose sums do not depend on the operands' strides
/// ([`takes_packed`]) — so both ways give the same bits, and only the copies differ. Tiny
/// layers (the plain loops pick their order by stride) and planted faults keep the copy.
fn in_place(layer: &Dense, batch: usize) -> bool {
    let (i, o, b) = (layer.n_in, layer.n_out, batch);
    layer.fault == Fault::None
        && takes_packed(b, o, i) // z = x Wᵀ: (B, n_in)·(n_in, n_out)
        && takes_packed(o, i, b) // ∂L/∂W = δᵀ x (Dense's layout): (n_out, B)·(B, n_in)
        && takes_packed(i, o, b) // ∂L/∂Wᵀ = xᵀ δ (burn's layout): (n_in, B)·(B, n_out)
        && takes_packed(b, i, o) // ∂L/∂x = δ W: (B, n_out)·(n_out, n_in)
}

/// `(rows, cols)` row-major → `(cols, rows)` row-major, in 32 × 32 blocks (both the rows
/// read and the rows written stay in L1; element by element over a 1024-wide matrix, every
/// write missed the cache).
fn transpose<T: Copy>(m: &[T], rows: usize, cols: usize) -> Vec<T> {
    const B: usize = 32;
    let mut out = m.to_vec(); // every element overwritten below
    for r0 in (0..rows).step_by(B) {
        for c0 in (0..cols).step_by(B) {
            for r in r0..(r0 + B).min(rows) {
                let src = &m[r * cols..(r + 1) * cols];
                for c in c0..(c0 + B).min(cols) {
                    out[c * rows + r] = src[c];
                }
            }
        }
    }
    out
}
