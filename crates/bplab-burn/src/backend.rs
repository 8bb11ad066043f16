//! Which burn backend an engine runs on, and how a bplab [`DType`] becomes a burn dtype.
//!
//! burn 0.22 dispatches at run time: a `Tensor<D>` has no backend type parameter, the
//! [`Device`] it lives on names the backend (`Device::ndarray()`, `Device::flex()`) and
//! `.autodiff()` wraps that device in burn-autodiff (`DispatchDevice::Autodiff`, which picks
//! `Autodiff<NdArray>` or `Autodiff<Flex>` inside burn-dispatch). All model code is therefore
//! written once against `Tensor<D>`; the two backends differ only in [`BurnBackend::device`].
//!
//! **Precision.** burn's per-device default dtype (`Device::configure(FloatDType::F64)`) is
//! set at most once per device and process: it lives in a global registry of `OnceLock`s keyed
//! by device id (`burn-backend-0.22.1/src/backend/device.rs:33-40`, `init` at 103-121), the
//! first tensor created on the device locks it to the backend default (f32), the plain and the
//! autodiff device share one entry, and both CPU backends have exactly one device
//! (`NdArrayDevice::Cpu`, the unit struct `FlexDevice`). A process that must compute an f32
//! gradient and then f64 forward passes can therefore not switch the default. Instead every
//! tensor this crate creates names its dtype explicitly (`Tensor::from_data(data, (&device,
//! dtype))`, `burn-tensor-0.22.1/src/tensor/api/options.rs:58-74, 93-98`); operations keep
//! the dtype of their operands, so f32 and f64 graphs coexist on one device in any order and
//! the device default is never consulted for floats. Every read-back checks the dtype it gets.
//!
//! **wgpu** (cargo feature `wgpu`). [`BurnBackend::Wgpu`] is burn's wgpu backend through
//! CubeCL, on the adapter [`crate::wgpu::adapter`] chooses; it computes in `f32` only (WGSL
//! has no `f64`), which [`BurnBackend::check_dtype`] enforces. It is not in
//! [`BurnBackend::ALL`], the CPU backends every test compares in both dtypes.
//!
//! **vulkan** (cargo feature `vulkan`). [`BurnBackend::Vulkan`] is the same runtime pinned to
//! Vulkan, kernels compiled straight to SPIR-V ([`crate::vulkan`]); `f32` only as well.

use bplab_core::DType;
use burn::tensor::{DType as BurnDType, Device};

/// The CPU backends this crate compares, both under burn-autodiff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BurnBackend {
    /// burn-ndarray: deprecated in burn 0.22 in favour of flex, kept because it is the
    /// backend this suite compares.
    NdArray,
    /// burn-flex: burn's recommended pure-Rust CPU backend.
    Flex,
    /// burn's wgpu backend (CubeCL kernels compiled to WGSL), `f32` only.
    #[cfg(feature = "wgpu")]
    Wgpu,
    /// burn's Vulkan device (CubeCL kernels compiled to SPIR-V), `f32` only.
    #[cfg(feature = "vulkan")]
    Vulkan,
}

impl BurnBackend {
    /// Both backends, ndarray first.
    pub const ALL: [BurnBackend; 2] = [BurnBackend::NdArray, BurnBackend::Flex];

    /// The engine name on the command line: `burn-ndarray` or `burn-flex`.
    pub fn engine_name(self) -> &'static str {
        match self {
            BurnBackend::NdArray => "burn-ndarray",
            BurnBackend::Flex => "burn-flex",
            #[cfg(feature = "wgpu")]
            BurnBackend::Wgpu => "burn-wgpu",
            #[cfg(feature = "vulkan")]
            BurnBackend::Vulkan => crate::vulkan::ENGINE,
        }
    }

    /// `Ok` when the backend can compute in `dtype`; for `f64` on wgpu the input error that
    /// says why not.
    pub fn check_dtype(self, dtype: DType) -> bplab_core::Result<()> {
        match self {
            #[cfg(feature = "wgpu")]
            BurnBackend::Wgpu => crate::wgpu::f32_only(self.engine_name(), dtype),
            #[cfg(feature = "vulkan")]
            BurnBackend::Vulkan => crate::vulkan::check_dtype(dtype),
            _ => {
                let _ = dtype;
                Ok(())
            }
        }
    }

    /// The plain (inference) device of the backend. For wgpu and vulkan, the adapter
    /// [`crate::wgpu::adapter`] or [`crate::vulkan::adapter`] chooses (panics where there is
    /// none: engines call [`BurnBackend::check_dtype`] and the adapter first, which say so as
    /// errors).
    pub fn plain_device(self) -> Device {
        match self {
            // `Device::ndarray` is deprecated since burn 0.22.0 ("use `Device::flex()`"), but
            // burn-ndarray is one of the two backends this suite compares on purpose, so the
            // warning is allowed here, at the one place that names it.
            #[allow(deprecated)]
            BurnBackend::NdArray => Device::ndarray(),
            BurnBackend::Flex => Device::flex(),
            #[cfg(feature = "wgpu")]
            BurnBackend::Wgpu => crate::wgpu::plain_device().unwrap_or_else(|e| panic!("{e}")),
            #[cfg(feature = "vulkan")]
            BurnBackend::Vulkan => crate::vulkan::plain_device().unwrap_or_else(|e| panic!("{e}")),
        }
    }

    /// The backend's device wrapped in burn-autodiff with the default strategy
    /// (`GradientCheckpointingStrategy::Disabled`, i.e. `Autodiff<B, NoCheckpointing>`).
    pub fn device(self) -> Device {
        self.plain_device().autodiff()
    }
}

/// The graphics adapter engine `name` runs on and the language its kernels are compiled to
/// (`burn-wgpu`: WGSL; `burn-vulkan`: SPIR-V, served by cubecl's `wgpu<spirv>` runtime), for
/// the GPU engines this build has; `None` for any other name.
#[cfg(any(feature = "wgpu", feature = "vulkan"))]
pub fn gpu_adapter(name: &str) -> Option<(bplab_core::Result<crate::wgpu::Adapter>, String)> {
    match name {
        #[cfg(feature = "wgpu")]
        "burn-wgpu" => Some((crate::wgpu::adapter(), "WGSL".to_string())),
        #[cfg(feature = "vulkan")]
        crate::vulkan::ENGINE => Some((
            crate::vulkan::adapter(),
            format!("SPIR-V ({})", crate::vulkan::SPIRV_RUNTIME),
        )),
        _ => None,
    }
}

/// The burn float dtype that computes in `dtype`.
pub fn burn_dtype(dtype: DType) -> BurnDType {
    match dtype {
        DType::F32 => BurnDType::F32,
        DType::F64 => BurnDType::F64,
    }
}
