//! The manual engine's fused layer [`Dense`] (`h = σ(x Wᵀ + b)`) registered as a candle custom
//! op, [`DenseOp`]: a [`CustomOp3`] over `(x, W, b)` applied with [`Tensor::apply_op3_arc`], the
//! variant that records the op in the graph, so `loss.backward()` calls [`CustomOp3::bwd`] —
//! our hand-written backward from `bplab-manual` — for this layer and candle's own backward
//! for everything else.
//!
//! candle's contract (`candle-core-0.11.1/src/custom_op.rs:96-153`, called from
//! `backprop.rs:681-695`):
//! - `cpu_fwd` gets each operand's [`CpuStorage`] and [`Layout`] (any strides and offset) and
//!   returns one new storage and its shape: the op has exactly one output;
//! - `bwd(arg1, arg2, arg3, res, grad_res)` gets the three inputs, the output `res` and
//!   `∂L/∂res`, and returns one optional gradient per input, which candle adds into the
//!   inputs' accumulated gradients;
//! - nothing else is kept for backward: state the backward needs beyond the inputs and the
//!   output (here the pre-activation `z`, which GELU's and the kinks' `σ'` read) lives in the
//!   op value itself, which the graph holds in an `Arc` until backward ran.

use bplab_manual::{Dense, Real};
use candle_core::{CpuStorage, CustomOp3, DType, Device, Layout, Result, Shape, Tensor, WithDType};
use std::sync::{Arc, Mutex};

/// [`Dense`] as a candle op. Apply it with [`DenseOp::apply`]; after the forward pass
/// [`DenseOp::saved_z`] gives the `z` it saved for backward.
#[derive(Debug)]
pub struct DenseOp {
    dense: Dense,
    /// `z = x Wᵀ + b`, `(B, n_out)`, written by `cpu_fwd` and read by `bwd` (candle's
    /// equivalent of PyTorch's `ctx.save_for_backward`).
    saved_z: Mutex<Option<Tensor>>,
    /// `δ = ∂L/∂z`, `(B, n_out)`, as the last backward computed it (candle keeps no
    /// intermediate gradients; the op can, because the backward is ours).
    delta: Mutex<Option<Tensor>>,
}

impl DenseOp {
    /// The op for one layer.
    pub fn new(dense: Dense) -> Arc<Self> {
        Arc::new(DenseOp {
            dense,
            saved_z: Mutex::new(None),
            delta: Mutex::new(None),
        })
    }

    /// `h = σ(x Wᵀ + b)` `(B, n_out)` recorded in `x`'s graph with this op's backward;
    /// `x` `(B, n_in)`, `w` `[n_out, n_in]`, `b` `[n_out]`.
    pub fn apply(self: &Arc<Self>, x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
        let op: Arc<Box<dyn CustomOp3 + Send + Sync>> = Arc::new(Box::new(Shared(self.clone())));
        x.apply_op3_arc(w, b, op)
    }

    /// The same forward through `apply_op3_no_bwd`: the value without a graph node, so no
    /// gradient reaches `x`, `W` or `b` (what the "no backward" variant costs a user).
    pub fn apply_no_bwd(self: &Arc<Self>, x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
        x.apply_op3_no_bwd(w, b, &Shared(self.clone()))
    }

    /// The `z` the last forward pass saved, `(B, n_out)` (a constant: no graph behind it).
    pub fn saved_z(&self) -> Option<Tensor> {
        self.saved_z.lock().ok().and_then(|z| z.clone())
    }

    /// The `δ = ∂L/∂z` `(B, n_out)` the last backward pass computed.
    pub fn delta(&self) -> Option<Tensor> {
        self.delta.lock().ok().and_then(|d| d.clone())
    }

    fn forward<T: Real + WithDType>(
        &self,
        (s1, l1): (&CpuStorage, &Layout),
        (s2, l2): (&CpuStorage, &Layout),
        (s3, l3): (&CpuStorage, &Layout),
    ) -> Result<(CpuStorage, Shape)> {
        let (x, w, b) = (
            operand::<T>(s1, l1, "x")?,
            operand::<T>(s2, l2, "W")?,
            operand::<T>(s3, l3, "b")?,
        );
        let (z, h) = self.dense.forward(x, w, b).map_err(msg)?; // (B, n_out) each
        let shape = Shape::from((z.len() / self.dense.n_out, self.dense.n_out));
        let z = Tensor::from_vec(z, shape.clone(), &Device::Cpu)?;
        *self.saved_z.lock().map_err(msg)? = Some(z);
        Ok((T::to_cpu_storage_owned(h), shape))
    }

    fn backward<T: Real + WithDType>(
        &self,
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        h: &Tensor,
        g: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let z = match self.saved_z() {
            Some(z) => z,
            None => candle_core::bail!("bplab-dense: backward ran before forward saved z"),
        };
        let v = |t: &Tensor| t.flatten_all()?.to_vec1::<T>();
        // ∂L/∂x only where x is on the graph (a hidden layer's input or a tracked input).
        let input_grad = x.track_op();
        let d = self
            .dense
            .backward(&v(g)?, &v(x)?, &v(&z)?, &v(h)?, &v(w)?, input_grad)
            .map_err(msg)?;
        *self.delta.lock().map_err(msg)? = Some(Tensor::from_vec(d.delta, h.shape(), h.device())?);
        let dx = match d.dx {
            Some(dx) => Some(Tensor::from_vec(dx, x.shape(), x.device())?),
            None => None,
        };
        Ok((
            dx,
            Some(Tensor::from_vec(d.dw, w.shape(), w.device())?),
            Some(Tensor::from_vec(d.db, b.shape(), b.device())?),
        ))
    }
}

/// The `Arc` the graph holds: candle takes ownership of a boxed op, while the model keeps
/// its own handle to read the saved `z`.
struct Shared(Arc<DenseOp>);

impl CustomOp3 for Shared {
    fn name(&self) -> &'static str {
        "bplab-dense"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let args = ((s1, l1), (s2, l2), (s3, l3));
        match s1 {
            CpuStorage::F32(_) => self.0.forward::<f32>(args.0, args.1, args.2),
            CpuStorage::F64(_) => self.0.forward::<f64>(args.0, args.1, args.2),
            _ => candle_core::bail!("{}: only f32 and f64 are supported", self.name()),
        }
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        res: &Tensor,
        grad_res: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        match x.dtype() {
            DType::F32 => self.0.backward::<f32>(x, w, b, res, grad_res),
            DType::F64 => self.0.backward::<f64>(x, w, b, res, grad_res),
            d => candle_core::bail!("{}: dtype {d:?} is not supported", self.name()),
        }
    }
}

/// The contiguous elements of one operand (candle hands `cpu_fwd` raw storage plus a layout).
fn operand<'a, T: WithDType>(s: &'a CpuStorage, l: &Layout, what: &str) -> Result<&'a [T]> {
    match l.contiguous_offsets() {
        Some((start, end)) => Ok(&s.as_slice::<T>()?[start..end]),
        None => candle_core::bail!("bplab-dense: operand {what} must be contiguous"),
    }
}

fn msg(e: impl std::fmt::Display) -> candle_core::Error {
    candle_core::Error::Msg(e.to_string())
}
