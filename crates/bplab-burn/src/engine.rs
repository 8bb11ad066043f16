//! [`BurnEngine`]: the [`bplab_core::Engine`] implementation over burn 0.22 — one type for both
//! backends (burn-ndarray and burn-flex), since the backend is a property of the device.
//!
//! `grads` builds the layers on the autodiff device as tracked leaves (`Param::from_tensor`
//! sets `require_grad`), optionally makes the input `x` a tracked leaf too, runs the forward
//! pass, calls `loss.backward()` and reads every leaf's gradient with `tensor.grad(&grads)`.
//!
//! `forward` runs the same model code on the backend's plain device (no autodiff), the
//! equivalent of PyTorch's `no_grad`. Not on the autodiff device: there burn-autodiff still
//! registers every untracked operation in its graph (`burn-autodiff-0.22.1/src/ops/base.rs:
//! 236-243`) and only a later `backward()` sweeps orphaned graphs (`runtime/graph.rs:133-171`),
//! so the thousands of forward-only passes of a finite-difference check would grow memory
//! without bound (measured: about 32 KB per pass of a 3-4-4-2 network). On the plain device
//! burn dispatches straight to the backend, whose fused kernels (e.g. burn-flex's softmax)
//! could round differently from the composition burn-autodiff differentiates; measured, every
//! activation gives bit-identical values on both paths (`tests/it/op_precision.rs`).
//!
//! **Deltas.** `δ_l = ∂L/∂z_l` is asked of burn too (`z_l.grad(&grads)`), but burn-autodiff
//! keeps gradients of leaves only: an intermediate node's gradient (`Requirement::
//! GradInBackward`) is removed from the container when its backward step consumes it
//! (`burn-autodiff-0.22.1/src/grads.rs:96-110`), so `grad` answers `None` and
//! [`Gradients::deltas`] is `None`. A test pins this.

use crate::backend::BurnBackend;
use crate::convert::{linears_from_params, matrix, param_grads, read, read_scalar};
use crate::model::Model;
use crate::norm::Norms;
use crate::train::BurnTrainer;
use bplab_core::train::Trainer;
use bplab_core::{
    Batch, DType, Engine, Error, ForwardTrace, GradRequest, Gradients, Network, Result, Tensor,
};
use bplab_manual::CustomOps;
use burn::tensor::Tensor as BurnTensor;

/// The network computed by burn on one CPU backend, under burn-autodiff (optionally with the
/// manual engine's fused layer as a custom autodiff operation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurnEngine {
    backend: BurnBackend,
    /// The layers that run as [`crate::custom::dense`]; `None`: plain burn.
    custom: Option<CustomOps>,
}

impl BurnEngine {
    /// An engine on `backend`.
    pub fn new(backend: BurnBackend) -> Self {
        BurnEngine {
            backend,
            custom: None,
        }
    }

    /// `burn-custom`: burn-autodiff over burn-flex, every layer [`CustomOps`] covers being the
    /// manual engine's fused layer as a custom autodiff operation (see [`crate::custom`]);
    /// `custom.fault` plants a bug in its backward (negative controls).
    pub fn custom(custom: CustomOps) -> Self {
        BurnEngine {
            backend: BurnBackend::Flex,
            custom: Some(custom),
        }
    }

    /// Like [`BurnEngine::custom`] on another backend.
    pub fn custom_on(backend: BurnBackend, custom: CustomOps) -> Self {
        BurnEngine {
            backend,
            custom: Some(custom),
        }
    }

    /// `burn-ndarray`: burn-autodiff over the (deprecated) burn-ndarray backend.
    pub fn ndarray() -> Self {
        Self::new(BurnBackend::NdArray)
    }

    /// `burn-flex`: burn-autodiff over burn-flex, burn's recommended pure-Rust CPU backend.
    pub fn flex() -> Self {
        Self::new(BurnBackend::Flex)
    }

    /// `burn-wgpu`: burn-autodiff over burn's wgpu backend (CubeCL kernels compiled to WGSL),
    /// on the adapter [`crate::wgpu::adapter`] chooses; `f32` only.
    #[cfg(feature = "wgpu")]
    pub fn wgpu() -> Self {
        Self::new(BurnBackend::Wgpu)
    }

    /// `burn-vulkan`: burn-autodiff over burn's Vulkan device (CubeCL kernels compiled to
    /// SPIR-V), on the adapter [`crate::vulkan::adapter`] chooses.
    #[cfg(feature = "vulkan")]
    pub fn vulkan() -> Self {
        Self::new(BurnBackend::Vulkan)
    }

    /// `Ok` when this engine can compute in `dtype` on a device it has (the GPU backends need
    /// an adapter, burn-wgpu refuses `f64`; the CPU backends take both dtypes).
    fn ready(&self, dtype: DType) -> Result<()> {
        // f64 on burn-wgpu or burn-vulkan is a pure input error, said before any adapter is
        // probed; burn-vulkan's f32 check probes its adapter.
        self.backend.check_dtype(dtype)?;
        #[cfg(feature = "wgpu")]
        if self.backend == BurnBackend::Wgpu {
            crate::wgpu::adapter()?;
        }
        Ok(())
    }

    /// The backend this engine runs on.
    pub fn backend(&self) -> BurnBackend {
        self.backend
    }
}

/// Reads every tensor back (see [`read`]).
fn read_all(name: &str, ts: Vec<BurnTensor<2>>, dtype: DType) -> Result<Vec<Tensor>> {
    ts.into_iter().map(|t| read(name, t, dtype)).collect()
}

impl Engine for BurnEngine {
    fn name(&self) -> &str {
        match self.custom {
            None => self.backend.engine_name(),
            Some(_) => crate::CUSTOM_ENGINE,
        }
    }

    fn forward(&self, net: &Network, batch: &Batch, dtype: DType) -> Result<ForwardTrace> {
        let name = self.name();
        self.ready(dtype)?;
        let (spec, device) = (net.spec(), self.backend.plain_device());
        let layers = linears_from_params(net.params(), spec.n_layers(), &device, dtype, false);
        let norms = Norms::from_params(spec, net.params(), &device, dtype, false);
        let model = Model::new(spec, layers)
            .with_norms(norms)
            .with_custom(self.custom);
        let x = matrix(&batch.x, &device, dtype); // (B, n_in)
        let y = matrix(&batch.y, &device, dtype); // (B, n_out)
        let pass = model.forward(x, y);
        Ok(ForwardTrace {
            loss: read_scalar(name, pass.loss, dtype)?,
            z: read_all(name, pass.z, dtype)?,
            h: read_all(name, pass.h, dtype)?,
            n: pass
                .n
                .into_iter()
                .map(|n| n.map(|t| read(name, t, dtype)).transpose())
                .collect::<Result<_>>()?,
        })
    }

    fn grads(
        &self,
        net: &Network,
        batch: &Batch,
        dtype: DType,
        req: GradRequest,
    ) -> Result<Gradients> {
        let name = self.name();
        self.ready(dtype)?;
        let (spec, device) = (net.spec(), self.backend.device());
        let layers = linears_from_params(net.params(), spec.n_layers(), &device, dtype, true);
        let norms = Norms::from_params(spec, net.params(), &device, dtype, true);
        let model = Model::new(spec, layers)
            .with_norms(norms)
            .with_custom(self.custom);
        let mut x = matrix(&batch.x, &device, dtype); // (B, n_in)
        if req.input_grad {
            x = x.require_grad();
        }
        let y = matrix(&batch.y, &device, dtype); // (B, n_out)
        let pass = model.forward(x.clone(), y);
        let loss = read_scalar(name, pass.loss.clone(), dtype)?;
        let grads = pass.loss.backward();
        let mut params: Vec<(String, bplab_core::Tensor)> =
            param_grads(name, model.layers(), &grads, dtype)?
                .iter()
                .map(|(n, t)| (n.to_string(), t.clone()))
                .collect();
        for l in 0..spec.n_layers() {
            params.extend(model.norms().grads(name, l, &grads, dtype)?);
        }
        let params = bplab_core::ParamSet::from_entries(params).ordered_like(spec);
        let input = if req.input_grad {
            let g = x
                .grad(&grads)
                .ok_or_else(|| Error::engine(name, "burn kept no gradient for the input"))?;
            Some(read(name, g, dtype)?) // (B, n_in)
        } else {
            None
        };
        // `None` unless burn kept a gradient for every (non-leaf) z_l; burn 0.22 keeps none.
        let deltas = pass
            .z
            .iter()
            .map(|z| z.grad(&grads))
            .collect::<Option<Vec<_>>>()
            .map(|ds| read_all(name, ds, dtype))
            .transpose()?;
        Ok(Gradients {
            loss,
            params,
            input,
            deltas,
        })
    }

    /// A [`BurnTrainer`]: the network as a burn `Module`, burn's SGD and gradient clipping.
    fn trainer(&self, net: &Network, batch: &Batch, dtype: DType) -> Result<Box<dyn Trainer>> {
        self.ready(dtype)?;
        Ok(Box::new(
            BurnTrainer::new(self.backend, net.spec(), net.params(), batch, dtype)?
                .with_custom(self.custom),
        ))
    }
}
