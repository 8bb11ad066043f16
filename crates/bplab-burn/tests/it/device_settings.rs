//! Why the engine names a dtype on every tensor instead of configuring the device: burn's
//! default dtype is set once per device and process (`Device::configure`), locked by the first
//! tensor created on the device, and shared by the plain and the autodiff device. The engine
//! gives correct f32 and f64 results whatever the defaults are. (One sequential test in a
//! fresh process of its own, so that nothing else touches the devices first, and its
//! configuration reaches no other test.)

use crate::common::*;
use bplab_burn::BurnBackend;
use bplab_burn::BurnEngine;
use bplab_core::{Activation, DType, Engine, GradRequest, Loss, Tolerance};
use burn::tensor::{DeviceError, FloatDType};

#[test]
fn defaults_are_once_per_device_and_the_engine_does_not_depend_on_them() {
    in_own_process(
        "device_settings::defaults_are_once_per_device_and_the_engine_does_not_depend_on_them",
        fresh_process,
    );
}

/// The test's body, run in a process where no tensor has been created yet.
fn fresh_process() {
    // flex: the first configuration wins, and the autodiff device shares it.
    let mut flex = BurnBackend::Flex.plain_device();
    flex.configure(FloatDType::F64).unwrap();
    assert_eq!(
        BurnBackend::Flex.device().settings().float_dtype,
        FloatDType::F64
    );
    let again = flex.configure(FloatDType::F32).unwrap_err();
    assert!(
        matches!(again, DeviceError::AlreadyInitialized { .. }),
        "{again}"
    );

    // ndarray: a computation locks the backend default (f32) before anyone configures it.
    let s = spec(
        &[3, 4, 2],
        Activation::Gelu,
        Activation::Identity,
        Loss::Mse,
        false,
    );
    let (net, b) = (network(&s, 1), batch(&s, 3, 2));
    BurnEngine::ndarray().forward(&net, &b, DType::F64).unwrap();
    let mut ndarray = BurnBackend::NdArray.plain_device();
    let late = ndarray.configure(FloatDType::F64).unwrap_err();
    assert!(
        matches!(late, DeviceError::AlreadyInitialized { .. }),
        "{late}"
    );
    assert_eq!(
        BurnBackend::NdArray.device().settings().float_dtype,
        FloatDType::F32
    );

    // Defaults f64 (flex) and f32 (ndarray): both engines still compute each dtype as asked.
    let s = spec(
        &[3, 4, 2],
        Activation::Tanh,
        Activation::Identity,
        Loss::Mse,
        false,
    );
    let (net, batch) = (network(&s, 3), batch(&s, 4, 4));
    let req = GradRequest { input_grad: true };
    for engine in engines() {
        let fd = fd(&engine, &net, &batch);
        let g32 = engine.grads(&net, &batch, DType::F32, req).unwrap();
        assert!(g32
            .params
            .iter()
            .all(|(_, t)| t.data.iter().all(|&v| v as f32 as f64 == v)));
        assert_passed(
            &format!("{} f32", engine.name()),
            &fd.compare(&g32, Tolerance::FD_F32),
        );
        let g64 = engine.grads(&net, &batch, DType::F64, req).unwrap();
        assert_passed(
            &format!("{} f64", engine.name()),
            &fd.compare(&g64, Tolerance::FD_F64),
        );
    }
}
