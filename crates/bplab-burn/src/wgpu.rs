//! The device of burn's wgpu runtime, shared by the `burn-wgpu` engine (CubeCL kernels
//! compiled to WGSL, handed by wgpu to Vulkan, Metal or DX12) and the `burn-vulkan` engine
//! ([`crate::vulkan`]: the same runtime pinned to Vulkan, kernels compiled straight to SPIR-V):
//! which adapter they run on, and why `burn-wgpu` computes in `f32` only.
//!
//! **Which adapter.** [`adapter`] probes the machine once per process, the way burn's
//! `WgpuBackend::Auto` does (`cubecl-wgpu-0.11.3/src/runtime.rs:245-258`: the first graphics
//! API of the platform's chain that has an adapter, Vulkan first on Linux), and picks the first
//! discrete GPU, else the first integrated GPU, else the CPU adapter (Mesa's lavapipe, a
//! conformant Vulkan driver that runs on the CPU). `BPLAB_WGPU_DEVICE` chooses instead:
//! `auto` (that order), `discrete`, `integrated` or `cpu`, optionally with an index
//! (`discrete:1`). The choice becomes burn's `DeviceKind::{DiscreteGpu(i), IntegratedGpu(i),
//! Cpu}`, which cubecl resolves by the same per-type counting (`runtime.rs:976-1012`), so the
//! adapter named in every command's header is the one that ran. `burn-vulkan` chooses the same
//! way among the Vulkan adapters only ([`chosen_vulkan`]).
//!
//! **Precision.** WGSL has no 64-bit float type, so the wgpu backend cannot compute in `f64`;
//! handed `f64` data it computes in `f32` without a word. This engine refuses `f64` instead
//! ([`f32_only`]): an input error, never a silent `f32` run.
//!
//! **Not beside `burn-vulkan` on a Vulkan adapter.** burn's `vulkan` feature turns on
//! cubecl-wgpu's `spirv`, and then cubecl compiles every Vulkan adapter's kernels to SPIR-V,
//! `Device::wgpu` ones included (`cubecl-wgpu-0.11.3/src/backend/vulkan.rs:410`,
//! `src/compiler/base.rs:198-210`). In a build with both features, [`adapter`] therefore
//! refuses a Vulkan adapter rather than run `burn-wgpu` on a path that is not its own.

#[cfg(feature = "wgpu")]
use bplab_core::DType;
use bplab_core::{Error, Result};
use burn::tensor::wgpu::wgpu;
#[cfg(feature = "wgpu")]
use burn::tensor::Device;
use burn::tensor::DeviceKind;
#[cfg(feature = "wgpu")]
use std::sync::OnceLock;

/// The environment variable that chooses the adapter: `auto`, `discrete[:N]`,
/// `integrated[:N]` or `cpu`.
pub const DEVICE_ENV: &str = "BPLAB_WGPU_DEVICE";

/// The adapter the `burn-wgpu` engine runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adapter {
    /// burn's selector for it.
    pub kind: DeviceKind,
    /// The adapter's name as the driver reports it (`llvmpipe (LLVM 15.0.6, 256 bits)`).
    pub name: String,
    /// Discrete GPU, integrated GPU, CPU, … as wgpu classifies it.
    pub device_type: String,
    /// The graphics API (`Vulkan`, `Metal`, `Dx12`, `Gl`).
    pub api: String,
    /// The driver and its version (`Mesa 22.3.6 (LLVM 15.0.6)`).
    pub driver: String,
}

impl Adapter {
    /// True when the adapter is a software (CPU) implementation such as lavapipe: the GPU code
    /// path, timed on the CPU.
    pub fn is_cpu(&self) -> bool {
        self.kind == DeviceKind::Cpu
    }

    /// One line for a command's header: `llvmpipe (LLVM 15.0.6, 256 bits) · Cpu · Vulkan ·
    /// Mesa 22.3.6 (LLVM 15.0.6)`, with the CPU caveat where it applies.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} · {} · {} · {}",
            self.name, self.device_type, self.api, self.driver
        );
        if self.is_cpu() {
            s.push_str(" (a CPU adapter: the GPU code path, computed on the CPU)");
        }
        s
    }
}

/// Which kind of adapter `BPLAB_WGPU_DEVICE` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Auto,
    Discrete(usize),
    Integrated(usize),
    Cpu,
}

/// Parses `BPLAB_WGPU_DEVICE`'s value.
fn parse_want(s: &str) -> Result<Want> {
    let s = s.trim();
    let (kind, index) = match s.split_once(':') {
        Some((k, i)) => (
            k.trim(),
            Some(i.trim().parse::<usize>().map_err(|_| bad_value(s))?),
        ),
        None => (s, None),
    };
    match (kind, index) {
        ("auto" | "", None) => Ok(Want::Auto),
        ("discrete", i) => Ok(Want::Discrete(i.unwrap_or(0))),
        ("integrated", i) => Ok(Want::Integrated(i.unwrap_or(0))),
        ("cpu", None) => Ok(Want::Cpu),
        _ => Err(bad_value(s)),
    }
}

/// The one-line error for a bad `BPLAB_WGPU_DEVICE`.
fn bad_value(s: &str) -> Error {
    Error::Parse(format!(
        "{DEVICE_ENV}: '{s}' is not an adapter choice (expected auto, discrete[:N], integrated[:N] or cpu)"
    ))
}

/// The graphics APIs burn's `Auto` tries, in its order (`cubecl-wgpu-0.11.3/src/graphics.rs:
/// 120-130`): Metal on Apple platforms, else Vulkan, DX12, OpenGL.
#[cfg(feature = "wgpu")]
fn api_chain() -> &'static [wgpu::Backend] {
    if cfg!(any(target_os = "macos", target_os = "ios")) {
        &[wgpu::Backend::Metal]
    } else {
        &[
            wgpu::Backend::Vulkan,
            wgpu::Backend::Dx12,
            wgpu::Backend::Gl,
        ]
    }
}

/// The adapters of the first API in `chain` that has any.
fn probe(chain: &[wgpu::Backend]) -> (wgpu::Backend, Vec<wgpu::AdapterInfo>) {
    for &api in chain {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: api.into(),
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let infos: Vec<wgpu::AdapterInfo> = block_on(instance.enumerate_adapters(api.into()))
            .iter()
            .map(wgpu::Adapter::get_info)
            .collect();
        if !infos.is_empty() {
            return (api, infos);
        }
    }
    (chain[0], Vec::new())
}

/// Runs a future that completes without waiting (wgpu's native adapter enumeration).
pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

/// The `index`-th adapter of `ty` in `infos`, as an [`Adapter`] selected by `kind`.
fn pick(
    api: wgpu::Backend,
    infos: &[wgpu::AdapterInfo],
    ty: wgpu::DeviceType,
    index: usize,
    kind: DeviceKind,
) -> Option<Adapter> {
    infos
        .iter()
        .filter(|i| i.device_type == ty)
        .nth(index)
        .map(|i| Adapter {
            kind,
            name: i.name.clone(),
            device_type: format!("{:?}", i.device_type),
            api: format!("{api:?}"),
            driver: format!("{} {}", i.driver, i.driver_info).trim().to_string(),
        })
}

/// Chooses the adapter for `want` among the probed ones, for `engine`.
fn choose(
    engine: &str,
    want: Want,
    api: wgpu::Backend,
    infos: &[wgpu::AdapterInfo],
) -> Result<Adapter> {
    use wgpu::DeviceType as T;
    let found = match want {
        Want::Auto => pick(api, infos, T::DiscreteGpu, 0, DeviceKind::DiscreteGpu(0))
            .or_else(|| {
                pick(
                    api,
                    infos,
                    T::IntegratedGpu,
                    0,
                    DeviceKind::IntegratedGpu(0),
                )
            })
            .or_else(|| pick(api, infos, T::Cpu, 0, DeviceKind::Cpu)),
        Want::Discrete(i) => pick(api, infos, T::DiscreteGpu, i, DeviceKind::DiscreteGpu(i)),
        Want::Integrated(i) => pick(
            api,
            infos,
            T::IntegratedGpu,
            i,
            DeviceKind::IntegratedGpu(i),
        ),
        Want::Cpu => pick(api, infos, T::Cpu, 0, DeviceKind::Cpu),
    };
    found.ok_or_else(|| {
        let seen: Vec<String> = infos
            .iter()
            .map(|i| format!("{} ({:?})", i.name, i.device_type))
            .collect();
        Error::EngineUnavailable(format!(
            "{engine}: no {want:?} adapter on {api:?} (found: {}); install a Vulkan driver (Debian: mesa-vulkan-drivers libvulkan1) or set {DEVICE_ENV}",
            if seen.is_empty() { "none".to_string() } else { seen.join(", ") }
        ))
    })
}

/// The adapter `engine` runs on among the first API of `chain` that has any, chosen by
/// `BPLAB_WGPU_DEVICE` (default `auto`: discrete GPU, else integrated, else CPU). Probes the
/// machine each call: the engines keep the answer ([`adapter`], [`crate::vulkan::adapter`]).
pub(crate) fn chosen(engine: &str, chain: &[wgpu::Backend]) -> Result<Adapter> {
    let want = match std::env::var(DEVICE_ENV) {
        Ok(v) => parse_want(&v)?,
        Err(_) => Want::Auto,
    };
    let (api, infos) = probe(chain);
    choose(engine, want, api, &infos)
}

/// The Vulkan adapter `BPLAB_WGPU_DEVICE` chooses (the `burn-vulkan` engine's candidate,
/// before [`crate::vulkan::adapter`] decides whether the engine runs on it).
pub fn chosen_vulkan() -> Result<Adapter> {
    chosen("burn-vulkan", &[wgpu::Backend::Vulkan])
}

/// The adapter the `burn-wgpu` engine runs on: probed once per process, chosen by
/// `BPLAB_WGPU_DEVICE` (default `auto`: discrete GPU, else integrated, else CPU). In a build
/// with the `vulkan` feature, a Vulkan adapter is refused (see the module header).
#[cfg(feature = "wgpu")]
pub fn adapter() -> Result<Adapter> {
    static CHOSEN: OnceLock<Result<Adapter>> = OnceLock::new();
    CHOSEN
        .get_or_init(|| {
            let a = chosen("burn-wgpu", api_chain())?;
            #[cfg(feature = "vulkan")]
            if a.api == "Vulkan" {
                return Err(Error::EngineUnavailable(format!(
                    "burn-wgpu: this binary is built with the vulkan feature, under which cubecl compiles every Vulkan adapter's kernels to SPIR-V (cubecl-wgpu 0.11.3, src/compiler/base.rs:198-210), so burn-wgpu on {} would not be the WGSL path; use --engine burn-vulkan, or build with --features wgpu alone",
                    a.name
                )));
            }
            Ok(a)
        })
        .clone()
}

/// The plain (inference) wgpu device on [`adapter`].
#[cfg(feature = "wgpu")]
pub fn plain_device() -> Result<Device> {
    Ok(Device::wgpu(adapter()?.kind))
}

/// `Ok` for `f32`; for `f64` the input error that says why the engine cannot compute in it.
#[cfg(feature = "wgpu")]
pub fn f32_only(engine: &str, dtype: DType) -> Result<()> {
    match dtype {
        DType::F32 => Ok(()),
        DType::F64 => Err(Error::Parse(format!(
            "--dtype f64: {engine} computes in f32 only (WGSL, the shader language burn's wgpu backend compiles to, has no f64); use --dtype f32"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_choices_parse_and_bad_ones_say_why() {
        assert_eq!(parse_want("auto").unwrap(), Want::Auto);
        assert_eq!(parse_want("cpu").unwrap(), Want::Cpu);
        assert_eq!(parse_want("discrete").unwrap(), Want::Discrete(0));
        assert_eq!(parse_want("integrated:2").unwrap(), Want::Integrated(2));
        for bad in ["gpu", "cpu:1", "discrete:x"] {
            let e = parse_want(bad).unwrap_err().to_string();
            assert!(e.contains(DEVICE_ENV) && e.contains(bad), "{e}");
        }
    }

    #[cfg(feature = "wgpu")]
    #[test]
    fn f64_is_an_input_error() {
        assert!(f32_only("burn-wgpu", DType::F32).is_ok());
        let e = f32_only("burn-wgpu", DType::F64).unwrap_err();
        assert!(e.is_input_error() && e.to_string().contains("WGSL"), "{e}");
    }
}
