//! [`ManualEngine`]: the hand-written [`Model`] behind the [`Engine`] trait, in `f32` or `f64`.
//!
//! This is the engine boundary where a planted [`Fault`] becomes a kernel set: a model over
//! the lesson's [`Exact`] kernels when none is planted, over [`Planted`] otherwise.

use crate::conventions::{Conventions, Emulated};
use crate::fault::{Fault, Planted};
use crate::layers::{BackwardKernels, Exact};
use crate::model::trainer::ManualTrainer;
use crate::model::Model;
use crate::real::running_error::RunningError;
use crate::real::Real;
use bplab_core::norm::{beta_name, gamma_name};
use bplab_core::spec::{bias_name, weight_name, KinkGrads};
use bplab_core::train::Trainer;
use bplab_core::{
    Batch, DType, Engine, ForwardTrace, GradRequest, Gradients, Network, ParamSet, Result, Tensor,
};

/// The hand-written engine (`manual` on the command line).
#[derive(Debug, Clone, Copy, Default)]
pub struct ManualEngine {
    fault: Fault,
    at_zero: KinkGrads,
    /// Another framework's arithmetic where it deviates ([`ManualEngine::with_conventions`]).
    conventions: Conventions,
}

impl ManualEngine {
    /// The correct engine.
    pub fn new() -> Self {
        ManualEngine {
            fault: Fault::None,
            at_zero: KinkGrads::PYTORCH,
            conventions: Conventions::EXACT,
        }
    }

    /// The same engine with another convention for ReLU's and leaky-ReLU's derivative at
    /// exactly 0 (the harness uses it to show that a framework's difference is only that).
    pub fn with_kink_grads(mut self, at_zero: KinkGrads) -> Self {
        self.at_zero = at_zero;
        self
    }

    /// An engine whose backward pass has `fault` planted: for the checker's negative controls.
    pub fn with_fault(fault: Fault) -> Self {
        ManualEngine {
            fault,
            at_zero: KinkGrads::PYTORCH,
            conventions: Conventions::EXACT,
        }
    }

    /// The same engine computing with a framework's documented deviations from the exact
    /// formulas ([`crate::conventions`]): the harness re-runs it to explain a framework's
    /// difference by agreement. A planted fault takes precedence.
    pub fn with_conventions(mut self, conventions: Conventions) -> Self {
        self.at_zero = conventions.kinks;
        self.conventions = conventions;
        self
    }

    /// How far any f32 computation of `net`'s gradients on `batch` (loss, every parameter,
    /// `∂L/∂x`) can be from the exact ones, element by element, to first order: the exact
    /// formulas run on [`RunningError`], each sum charged for any summation order. Two correct
    /// f32 engines differ by at most the sum of their bounds. This engine's derivative at a
    /// kink's exact 0 applies (a slope of 1 or 0.01 there scales every error upstream of it);
    /// its other conventions change what is computed to first order only, not how it rounds,
    /// and are not applied here.
    pub fn f32_rounding_bounds(&self, net: &Network, batch: &Batch) -> Result<Gradients> {
        batch.validate(net.spec())?;
        let read = |x: RunningError| x.bound();
        let (_, grads) = self.run_with::<RunningError, _>(Exact, net, batch, true, read);
        Ok(grads.expect("backward was asked for"))
    }

    /// The model of `net` in `T`, over the exact kernels or the planted ones.
    fn run<T: Real>(
        &self,
        net: &Network,
        batch: &Batch,
        backward: bool,
    ) -> (ForwardTrace, Option<Gradients>) {
        match self.fault {
            Fault::None if self.conventions.needs_kernels() => {
                let k = Emulated(self.conventions);
                self.run_with::<T, _>(k, net, batch, backward, T::to_f64)
            }
            Fault::None => self.run_with::<T, _>(Exact, net, batch, backward, T::to_f64),
            fault => self.run_with::<T, _>(Planted(fault), net, batch, backward, T::to_f64),
        }
    }

    /// A trainer for `net`'s model in `T`, over `kernels`.
    fn trainer_with<T: Real, K: BackwardKernels>(
        &self,
        kernels: K,
        net: &Network,
        batch: &Batch,
    ) -> Result<ManualTrainer<T, K>> {
        let model = Model::<T, K>::with_kernels(net.spec(), net.params(), kernels);
        ManualTrainer::new(model.with_kink_grads(self.at_zero), batch)
    }

    /// The model of `net` in `T` over `kernels`, every value read out by `read`.
    fn run_with<T: Real, K: BackwardKernels>(
        &self,
        kernels: K,
        net: &Network,
        batch: &Batch,
        backward: bool,
        read: fn(T) -> f64,
    ) -> (ForwardTrace, Option<Gradients>) {
        let spec = net.spec();
        let conv = |t: &Tensor| t.data.iter().map(|&v| T::from_f64(v)).collect::<Vec<T>>();
        let model =
            Model::<T, K>::with_kernels(spec, net.params(), kernels).with_kink_grads(self.at_zero);
        let cache = model.forward(conv(&batch.x), conv(&batch.y));
        let widen = |v: &[T], shape: Vec<usize>| Tensor {
            shape,
            data: v.iter().map(|&x| read(x)).collect(),
        };
        let b = cache.batch;
        let per_layer = |vs: &[Vec<T>]| -> Vec<Tensor> {
            vs.iter()
                .enumerate()
                .map(|(l, v)| widen(v, vec![b, spec.layer_dims(l).1]))
                .collect()
        };
        let trace = ForwardTrace {
            loss: read(cache.loss),
            z: per_layer(&cache.z),
            h: per_layer(&cache.h),
            n: (0..spec.n_layers())
                .map(|l| {
                    let shape = vec![b, spec.layer_dims(l).1];
                    spec.is_normalized(l).then(|| widen(&cache.n[l], shape))
                })
                .collect(),
        };
        if !backward {
            return (trace, None);
        }
        let back = model.backward(&cache);
        let mut entries = Vec::with_capacity(2 * spec.n_layers());
        for l in 0..spec.n_layers() {
            let (n_in, n_out) = spec.layer_dims(l);
            entries.push((weight_name(l), widen(&back.dw[l], vec![n_out, n_in])));
            entries.push((bias_name(l), widen(&back.db[l], vec![n_out])));
            if spec.is_normalized(l) {
                entries.push((gamma_name(l), widen(&back.dgamma[l], vec![n_out])));
                entries.push((beta_name(l), widen(&back.dbeta[l], vec![n_out])));
            }
        }
        let grads = Gradients {
            loss: trace.loss,
            params: ParamSet::from_entries(entries),
            input: Some(widen(&back.dx, vec![b, spec.n_in()])),
            deltas: Some(per_layer(&back.delta)),
        };
        (trace, Some(grads))
    }
}

impl Engine for ManualEngine {
    fn name(&self) -> &str {
        "manual"
    }

    fn forward(&self, net: &Network, batch: &Batch, dtype: DType) -> Result<ForwardTrace> {
        batch.validate(net.spec())?;
        Ok(match dtype {
            DType::F64 => self.run::<f64>(net, batch, false).0,
            DType::F32 => self.run::<f32>(net, batch, false).0,
        })
    }

    fn grads(
        &self,
        net: &Network,
        batch: &Batch,
        dtype: DType,
        req: GradRequest,
    ) -> Result<Gradients> {
        batch.validate(net.spec())?;
        let (_, grads) = match dtype {
            DType::F64 => self.run::<f64>(net, batch, true),
            DType::F32 => self.run::<f32>(net, batch, true),
        };
        let mut grads = grads.expect("backward was asked for");
        if !req.input_grad {
            grads.input = None;
        }
        Ok(grads)
    }

    fn trainer(&self, net: &Network, batch: &Batch, dtype: DType) -> Result<Box<dyn Trainer>> {
        let emulated = Emulated(self.conventions);
        Ok(match (dtype, self.fault) {
            (DType::F64, Fault::None) if self.conventions.needs_kernels() => {
                Box::new(self.trainer_with::<f64, _>(emulated, net, batch)?)
            }
            (DType::F32, Fault::None) if self.conventions.needs_kernels() => {
                Box::new(self.trainer_with::<f32, _>(emulated, net, batch)?)
            }
            (DType::F64, Fault::None) => Box::new(self.trainer_with::<f64, _>(Exact, net, batch)?),
            (DType::F32, Fault::None) => Box::new(self.trainer_with::<f32, _>(Exact, net, batch)?),
            (DType::F64, fault) => {
                Box::new(self.trainer_with::<f64, _>(Planted(fault), net, batch)?)
            }
            (DType::F32, fault) => {
                Box::new(self.trainer_with::<f32, _>(Planted(fault), net, batch)?)
            }
        })
    }
}
