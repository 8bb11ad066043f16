//! The engine registry: every engine name of the command-line contract, which of them this
//! binary was built with, and a guard that turns a panic inside a framework into an error.

use bplab_core::train::{Sgd, StepStats, Trainer};
use bplab_core::{
    Batch, DType, Engine, Error, ForwardTrace, GradRequest, Gradients, Network, ParamSet, Result,
};
#[cfg(any(feature = "burn", feature = "candle"))]
use bplab_manual::CustomOps;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Every engine name the contract knows, in the order tables list them.
pub const ENGINE_NAMES: [&str; 6] = [
    "manual",
    "burn-ndarray",
    "burn-flex",
    "candle",
    "burn-custom",
    "candle-custom",
];

/// Engines outside the default build: `burn-wgpu` (cargo feature `wgpu`), burn on its wgpu
/// backend through CubeCL and WGSL, `f32` only; `burn-vulkan` (cargo feature `vulkan`), the
/// same runtime pinned to Vulkan with kernels compiled to SPIR-V. Known to every binary, so a
/// binary without one says it is not built in rather than that the name is unknown.
pub const GPU_ENGINE_NAMES: [&str; 2] = ["burn-wgpu", "burn-vulkan"];

/// True when `name` is an engine of the contract ([`ENGINE_NAMES`] or [`GPU_ENGINE_NAMES`]).
pub fn is_known(name: &str) -> bool {
    ENGINE_NAMES.contains(&name) || GPU_ENGINE_NAMES.contains(&name)
}

/// True when engine `name` can compute in `dtype` here: `burn-wgpu` not in `f64` (WGSL has no
/// 64-bit float); `burn-vulkan` in `f32` where its adapter runs it (asks the driver), never in
/// `f64` (cubecl-spirv's `f64` transcendentals are invalid SPIR-V) nor in a binary without it.
pub fn computes_in(name: &str, dtype: DType) -> bool {
    match name {
        "burn-wgpu" => dtype == DType::F32,
        #[cfg(feature = "vulkan")]
        "burn-vulkan" => bplab_burn::vulkan::check_dtype(dtype).is_ok(),
        #[cfg(not(feature = "vulkan"))]
        "burn-vulkan" => false,
        _ => true,
    }
}

/// `--engine NAME|all` for a command computing in `dtype`: [`select`], except that `all`
/// leaves out the engines that cannot compute in `dtype` here (so `--engine all` in `f64` runs
/// every CPU engine, and burn-vulkan only where its adapter runs it), while naming such an
/// engine explicitly is the engine's own error.
pub fn select_for(spec: &str, dtype: DType) -> Result<Vec<Box<dyn Engine>>> {
    let mut engines = select(spec)?;
    if spec == "all" {
        engines.retain(|e| computes_in(e.name(), dtype));
    }
    Ok(engines)
}

/// The line a command's header gives an engine that runs on a graphics adapter: which adapter
/// ran (`burn-wgpu adapter: llvmpipe (LLVM 15.0.6, 256 bits) · Cpu · Vulkan · Mesa 22.3.6 …`);
/// `None` for the CPU engines.
pub fn device_note(name: &str) -> Option<String> {
    #[cfg(any(feature = "wgpu", feature = "vulkan"))]
    if let Some((adapter, kernels)) = bplab_burn::backend::gpu_adapter(name) {
        return Some(match adapter {
            Ok(a) => format!("{name} adapter: {} · kernels: {kernels}", a.describe()),
            Err(e) => format!("{name} adapter: none ({e})"),
        });
    }
    let _ = name;
    None
}

/// True when engine `name` runs on a CPU adapter through a GPU code path (burn-wgpu on
/// lavapipe): its timings are CPU numbers, labelled so.
pub fn on_cpu_adapter(name: &str) -> bool {
    #[cfg(any(feature = "wgpu", feature = "vulkan"))]
    if let Some((adapter, _)) = bplab_burn::backend::gpu_adapter(name) {
        return adapter.is_ok_and(|a| a.is_cpu());
    }
    let _ = name;
    false
}

/// The engine called `name`, or why it cannot be had.
pub fn engine(name: &str) -> Result<Box<dyn Engine>> {
    let inner: Box<dyn Engine> = match name {
        "manual" => Box::new(bplab_manual::ManualEngine::new()),
        #[cfg(feature = "burn")]
        "burn-ndarray" => Box::new(bplab_burn::BurnEngine::ndarray()),
        #[cfg(feature = "burn")]
        "burn-flex" => Box::new(bplab_burn::BurnEngine::flex()),
        #[cfg(feature = "candle")]
        "candle" => Box::new(bplab_candle::CandleEngine::new()),
        #[cfg(feature = "burn")]
        "burn-custom" => Box::new(bplab_burn::BurnEngine::custom(CustomOps::CORRECT)),
        #[cfg(feature = "candle")]
        "candle-custom" => Box::new(bplab_candle::CandleEngine::custom(CustomOps::CORRECT)),
        #[cfg(feature = "wgpu")]
        "burn-wgpu" => Box::new(bplab_burn::BurnEngine::wgpu()),
        #[cfg(feature = "vulkan")]
        "burn-vulkan" => Box::new(bplab_burn::BurnEngine::vulkan()),
        n if is_known(n) => {
            return Err(Error::EngineUnavailable(format!(
                "'{n}' is not built into this binary (built in: {})",
                built_in().join(", ")
            )))
        }
        n => {
            return Err(Error::Parse(format!(
                "--engine: unknown engine '{n}' (expected one of: {}, all)",
                ENGINE_NAMES.join(", ")
            )))
        }
    };
    Ok(Box::new(Guarded(inner)))
}

/// The engine called `name` with `fault` planted in its hand-written backward (`bplab check
/// --plant`): only `manual`, `burn-custom` and `candle-custom` have one to plant it in.
pub fn engine_with_fault(name: &str, fault: bplab_manual::Fault) -> Result<Box<dyn Engine>> {
    if fault == bplab_manual::Fault::None {
        return engine(name);
    }
    let inner: Box<dyn Engine> = match name {
        "manual" => Box::new(bplab_manual::ManualEngine::with_fault(fault)),
        #[cfg(feature = "burn")]
        "burn-custom" => Box::new(bplab_burn::BurnEngine::custom(CustomOps { fault })),
        #[cfg(feature = "candle")]
        "candle-custom" => Box::new(bplab_candle::CandleEngine::custom(CustomOps { fault })),
        n => {
            engine(n)?; // an unknown or unavailable name says so first
            return Err(Error::Parse(format!(
                "--plant: '{n}' differentiates with its framework's own backward; a fault can be planted only in manual, burn-custom or candle-custom"
            )));
        }
    };
    Ok(Box::new(Guarded(inner)))
}

/// `--engine NAME|all` with `fault` planted: `all` means every engine that can take it.
pub fn select_with_fault(spec: &str, fault: bplab_manual::Fault) -> Result<Vec<Box<dyn Engine>>> {
    if fault == bplab_manual::Fault::None {
        return select(spec);
    }
    let names: Vec<String> = if spec == "all" {
        built_in()
            .into_iter()
            .filter(|n| matches!(*n, "manual" | "burn-custom" | "candle-custom"))
            .map(String::from)
            .collect()
    } else {
        select(spec)?.iter().map(|e| e.name().to_string()).collect()
    };
    names.iter().map(|n| engine_with_fault(n, fault)).collect()
}

/// The engines this binary was built with.
pub fn built_in() -> Vec<&'static str> {
    let mut v = vec!["manual"];
    if cfg!(feature = "burn") {
        v.extend(["burn-ndarray", "burn-flex"]);
    }
    if cfg!(feature = "candle") {
        v.push("candle");
    }
    if cfg!(feature = "burn") {
        v.push("burn-custom");
    }
    if cfg!(feature = "candle") {
        v.push("candle-custom");
    }
    if cfg!(feature = "wgpu") {
        v.push("burn-wgpu");
    }
    if cfg!(feature = "vulkan") {
        v.push("burn-vulkan");
    }
    v
}

/// `--engine NAME|all`: the selected engines, `manual` first.
pub fn select(spec: &str) -> Result<Vec<Box<dyn Engine>>> {
    if spec == "all" {
        return built_in().into_iter().map(engine).collect();
    }
    let mut names: Vec<&str> = spec.split(',').map(str::trim).collect();
    names.sort_by_key(|n| {
        ENGINE_NAMES
            .iter()
            .chain(GPU_ENGINE_NAMES.iter())
            .position(|e| e == n)
            .unwrap_or(usize::MAX)
    });
    names.dedup();
    names.into_iter().map(engine).collect()
}

/// Runs an engine so that a panic inside a framework becomes [`Error::Engine`].
struct Guarded(Box<dyn Engine>);

/// Runs `f` so that a panic inside a framework becomes [`Error::Engine`] for engine `name`.
pub fn guard<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panicked".into());
            Err(Error::engine(name, msg))
        }
    }
}

impl Engine for Guarded {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn forward(&self, net: &Network, batch: &Batch, dtype: DType) -> Result<ForwardTrace> {
        guard(self.0.name(), || self.0.forward(net, batch, dtype))
    }
    fn grads(
        &self,
        net: &Network,
        batch: &Batch,
        dtype: DType,
        req: GradRequest,
    ) -> Result<Gradients> {
        guard(self.0.name(), || self.0.grads(net, batch, dtype, req))
    }
    fn trainer(&self, net: &Network, batch: &Batch, dtype: DType) -> Result<Box<dyn Trainer>> {
        let name = self.0.name().to_string();
        let inner = guard(&name, || self.0.trainer(net, batch, dtype))?;
        Ok(Box::new(GuardedTrainer { name, inner }))
    }
}

/// A trainer whose every call turns a framework panic into [`Error::Engine`].
struct GuardedTrainer {
    name: String,
    inner: Box<dyn Trainer>,
}

impl Trainer for GuardedTrainer {
    fn set_batch(&mut self, batch: &Batch) -> Result<()> {
        guard(&self.name, || self.inner.set_batch(batch))
    }
    fn forward(&mut self) -> Result<f64> {
        guard(&self.name, || self.inner.forward())
    }
    fn grads(&mut self) -> Result<f64> {
        guard(&self.name, || self.inner.grads())
    }
    fn step(&mut self, sgd: &Sgd) -> Result<StepStats> {
        guard(&self.name, || self.inner.step(sgd))
    }
    fn params(&self) -> Result<ParamSet> {
        guard(&self.name, || self.inner.params())
    }

    fn running_stats(&self) -> Result<ParamSet> {
        guard(&self.name, || self.inner.running_stats())
    }
}

/// The selected engines with the manual engine first: it is every comparison's reference,
/// so it runs even when not selected (and is then left out of the tables' engine columns).
pub fn with_reference(spec: &str) -> Result<Vec<Box<dyn Engine>>> {
    let mut engines = select(spec)?;
    if engines.first().map(|e| e.name()) != Some("manual") {
        engines.insert(0, engine("manual")?);
    }
    Ok(engines)
}

/// [`with_reference`] for a study computing in `dtype`: `all` leaves out the engines that
/// cannot compute in it (burn-wgpu in `f64`), as [`select_for`] does.
pub fn with_reference_for(spec: &str, dtype: DType) -> Result<Vec<Box<dyn Engine>>> {
    let mut engines = with_reference(spec)?;
    if spec == "all" {
        engines.retain(|e| computes_in(e.name(), dtype));
    }
    Ok(engines)
}
