//! [`ManualEngine`]: the hand-written [`Model`] behind the [`Engine`] trait, in `f32` or `f64`.
//!
//! This is the engine boundary where a planted [`Fault`] becomes a kernel set: a model over
//! the lesson's [`Exact`] kernels when none is planted, over [`Planted`] otherwise.

use crate::conventions::{Conventions, Emulated};
use crate::fault::{Fault, Planted};
use crate::layers::{BackwardKernels, Exact};
use crate::model::trainer::ManualTrainer;
use crate::model::Model;
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

    /// The model of `net` in `T`, over the exact kernels or the planted ones.
    fn run<T: Real>(
        &self,
        net: &Network,
        batch: &Batch,
        backward: bool,
    ) -> (ForwardTrace, Option<Gradients>) {
        match self.fault {
            Fault::None if self.conventions.needs_kernels() => {
                self.run_with::<T, _>(Emulated(self.conventions), net, batch, backward)
            }
            Fault::None => self.run_with::<T, _>(Exact, net, batch, backward),
            fault => self.run_with::<T, _>(Planted(fault), net, batch, backward),
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

    fn run_with<T: Real, K: BackwardKernels>(
        &self,
        kernels: K,
        net: &Network,
        batch: &Batch,
        backward: bool,
    ) -> (ForwardTrace, Option<Gradients>) {
        let spec = net.spec();
        let conv = |t: &Tensor| t.data.iter().map(|&v| T::from_f64(v)).collect::<Vec<T>>();
        let model =
            Model::<T, K>::with_kernels(spec, net.params(), kernels).with_kink_grads(self.at_zero);
        let cache = model.forward(conv(&batch.x), conv(&batch.y));
        let widen = |v: &[T], shape: Vec<usize>| Tensor {
            shape,
            data: v.iter().map(|x| x.to_f64()).collect(),
        };
        let b = cache.batch;
        let per_layer = |vs: &[Vec<T>]| -> Vec<Tensor> {
            vs.iter()
                .enumerate()
                .map(|(l, v)| widen(v, vec![b, spec.layer_dims(l).1]))
                .collect()
        };
        let trace = ForwardTrace {
            loss: cache.loss.to_f64(),
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
