//! The `burn-vulkan` engine's device: burn's wgpu runtime pinned to Vulkan
//! (`Device::vulkan(kind)`), whose kernels CubeCL compiles straight to SPIR-V (cubecl-spirv)
//! instead of to WGSL for naga to translate. Same model, trainer and autodiff as every burn
//! engine; only the device differs.
//!
//! **Where it runs.** The adapter is chosen as `burn-wgpu`'s is ([`crate::wgpu::chosen_vulkan`],
//! `BPLAB_WGPU_DEVICE`), among the Vulkan adapters only. It must have
//! `workgroupMemoryExplicitLayout` (`VK_KHR_workgroup_memory_explicit_layout`,
//! [`explicit_workgroup_layout`]): without it cubecl-spirv 0.11.3 lowers shared memory on its
//! implicit-layout path, which declares each `Workgroup` variable with the pointer type where
//! the pointee belongs and the pointee where the pointer belongs
//! (`cubecl-spirv-0.11.3/src/ops/memory.rs:202-212`) — invalid SPIR-V (`spirv-val`:
//! "OpInBoundsAccessChain reached non-composite type"), on which Mesa's lavapipe 22.3 crashes
//! while creating the pipeline of the first matmul (docs/gpu.md reproduces it in C). The engine
//! is refused there, with that reason, instead of crashing. cubecl takes the SPIR-V compiler
//! only for an adapter with the Vulkan features it needs (the Vulkan memory model with device
//! scope, buffer device addresses, SPIR-V 1.3: `cubecl-wgpu-0.11.3/src/backend/vulkan/
//! features.rs:315-327`) and otherwise falls back to WGSL without a word; [`adapter`] asks
//! the runtime which compiler serves the device (cubecl's runtime name, `wgpu<spirv>`,
//! `src/runtime.rs:616-622`) and refuses any other, so this engine is offered only where its
//! SPIR-V path is the one that runs.
//!
//! **Precision: `f32` only.** SPIR-V has 64-bit floats and cubecl registers `f64` for an
//! adapter with `shaderFloat64` (`src/backend/vulkan.rs:570-571`; lavapipe has it), but
//! cubecl-spirv 0.11.3 lowers `exp`, `log`, `tanh` and the other transcendental functions to
//! GLSL.std.450 instructions whatever the width (`cubecl-spirv-0.11.3/src/ops/math.rs:95-114`),
//! and GLSL.std.450 defines them for 16- and 32-bit floats only: an `f64` kernel with one of
//! them is invalid SPIR-V (`spirv-val`: "GLSL.std.450 Tanh: expected Result Type to be a 16 or
//! 32-bit scalar or vector float type"), and lavapipe computes garbage from it without a word
//! (tanh(0.5) = 0.156…, exp(0.5) = 8.7e-315; `tests/vulkan.rs` keeps that measurement). Every
//! network here has one (softmax, the losses, tanh, sigmoid, GELU), so `f64` is an input error
//! ([`check_dtype`]), never a silent wrong answer.

use crate::wgpu::{chosen_vulkan, Adapter};
use bplab_core::{DType, Error, Result};
use burn::tensor::wgpu::wgpu;
use burn::tensor::{Device, DeviceKind};
use std::sync::OnceLock;

/// The engine's name.
pub const ENGINE: &str = "burn-vulkan";

/// cubecl's name for its wgpu runtime when the SPIR-V compiler serves the device.
pub const SPIRV_RUNTIME: &str = "wgpu<spirv>";

/// cubecl's device for burn's `DeviceKind` (the mapping of `burn-tensor-0.22.1/src/device.rs:
/// 1136-1152`), pinned to Vulkan as `Device::vulkan` pins it: the same device id, so the same
/// client burn uses.
fn cubecl_device(kind: DeviceKind) -> Result<cubecl::Device> {
    use cubecl::device::WgpuDeviceKind as K;
    let kind = match kind {
        DeviceKind::DiscreteGpu(i) => K::DiscreteGpu(i),
        DeviceKind::IntegratedGpu(i) => K::IntegratedGpu(i),
        DeviceKind::VirtualGpu(i) => K::VirtualGpu(i),
        DeviceKind::Cpu => K::Cpu,
        DeviceKind::DefaultDevice => K::DefaultDevice,
        DeviceKind::Existing(id) => K::Existing(id),
    };
    cubecl::Device::vulkan(kind).map_err(|e| Error::EngineUnavailable(format!("{ENGINE}: {e}")))
}

/// True when the Vulkan adapter `a` has `workgroupMemoryExplicitLayout`: read from the
/// driver (`vkGetPhysicalDeviceFeatures2`), as cubecl reads it
/// (`cubecl-wgpu-0.11.3/src/backend/vulkan.rs:454-458`).
pub fn explicit_workgroup_layout(a: &Adapter) -> Result<bool> {
    use ash::vk;
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::VULKAN,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapters = crate::wgpu::block_on(instance.enumerate_adapters(wgpu::Backends::VULKAN));
    let found = adapters
        .iter()
        .find(|x| {
            let i = x.get_info();
            i.name == a.name && format!("{:?}", i.device_type) == a.device_type
        })
        .ok_or_else(|| Error::EngineUnavailable(format!("{ENGINE}: {} is gone", a.name)))?;
    // SAFETY: the raw Vulkan handles are only read, while `found` (and so its instance and
    // physical device) is alive; the features struct outlives the call that fills it.
    unsafe {
        let hal = found.as_hal::<wgpu::hal::api::Vulkan>().ok_or_else(|| {
            Error::EngineUnavailable(format!("{ENGINE}: {} is not a Vulkan adapter", a.name))
        })?;
        if !hal
            .physical_device_capabilities()
            .supports_extension(ash::khr::workgroup_memory_explicit_layout::NAME)
        {
            return Ok(false);
        }
        let mut layout = vk::PhysicalDeviceWorkgroupMemoryExplicitLayoutFeaturesKHR::default();
        let mut features = vk::PhysicalDeviceFeatures2::default().push_next(&mut layout);
        hal.shared_instance()
            .raw_instance()
            .get_physical_device_features2(hal.raw_physical_device(), &mut features);
        Ok(layout.workgroup_memory_explicit_layout == vk::TRUE)
    }
}

/// The Vulkan adapter the `burn-vulkan` engine runs on, once it is known to run there (it has
/// `workgroupMemoryExplicitLayout`) and its device is up and served by the SPIR-V compiler:
/// probed once per process.
pub fn adapter() -> Result<Adapter> {
    static CHOSEN: OnceLock<Result<Adapter>> = OnceLock::new();
    CHOSEN
        .get_or_init(|| {
            let a = chosen_vulkan()?;
            if !explicit_workgroup_layout(&a)? {
                return Err(Error::EngineUnavailable(format!(
                    "{ENGINE}: {} has no workgroupMemoryExplicitLayout (VK_KHR_workgroup_memory_explicit_layout), without which cubecl-spirv 0.11.3 emits invalid SPIR-V for shared memory and the driver crashes (docs/gpu.md); use --engine burn-wgpu in a build with --features wgpu",
                    a.name
                )));
            }
            let runtime = cubecl_device(a.kind.clone())?.client().name();
            if runtime != SPIRV_RUNTIME {
                return Err(Error::EngineUnavailable(format!(
                    "{ENGINE}: cubecl serves {} with {runtime}, not {SPIRV_RUNTIME} (the adapter lacks a Vulkan feature cubecl's SPIR-V compiler needs: the memory model with device scope, buffer device addresses or SPIR-V 1.3); use --engine burn-wgpu",
                    a.name
                )));
            }
            Ok(a)
        })
        .clone()
}

/// The plain (inference) Vulkan device on [`adapter`].
pub fn plain_device() -> Result<Device> {
    Ok(Device::vulkan(adapter()?.kind))
}

/// `Ok` for `f32` when the engine runs here ([`adapter`]); for `f64` the input error that says
/// why it cannot compute in it (see the module header), before any adapter is probed.
pub fn check_dtype(dtype: DType) -> Result<()> {
    match dtype {
        DType::F32 => adapter().map(|_| ()),
        DType::F64 => Err(Error::Parse(format!(
            "--dtype f64: {ENGINE} computes in f32 only (cubecl-spirv 0.11.3 compiles f64 exp, log and tanh to GLSL.std.450 instructions defined for 16- and 32-bit floats only: invalid SPIR-V, on which lavapipe computes wrong values; docs/gpu.md); use --dtype f32"
        ))),
    }
}
