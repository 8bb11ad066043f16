//! Negative controls: a gradient checker that cannot fail proves nothing. Each planted bug in
//! the manual engine's backward ([`Fault`]) must be reported as a mismatch by the checker,
//! on a network and batch where the bug changes the answer (batch > 1, non-square layers).

use crate::common::{batch, fd_comparisons, network};
use bplab_core::{Activation, DType, Init, Loss, Tolerance};
use bplab_manual::{Fault, ManualEngine};

/// Runs the checker on `engine` and returns the names of the tensors it flags.
fn flagged(engine: &ManualEngine, loss: Loss, out: Activation) -> Vec<String> {
    let net = network(
        &[4, 5, 3, 2],
        &[Activation::Tanh, Activation::Sigmoid, out],
        loss,
        false,
        Init::XavierNormal,
        7,
    );
    let b = batch(net.spec(), 4, 7);
    fd_comparisons(engine, &net, &b, DType::F64, Tolerance::FD_F64)
        .into_iter()
        .filter(|c| !c.passed())
        .map(|c| c.name)
        .collect()
}

#[test]
fn the_correct_backward_passes() {
    for (loss, out) in [
        (Loss::CrossEntropy, Activation::Softmax),
        (Loss::Mse, Activation::Softmax),
        (Loss::Mse, Activation::Tanh),
    ] {
        assert_eq!(
            flagged(&ManualEngine::new(), loss, out),
            Vec::<String>::new()
        );
    }
}

#[test]
fn missing_activation_derivative_is_caught() {
    let f = flagged(
        &ManualEngine::with_fault(Fault::MissingActivationDerivative),
        Loss::Mse,
        Activation::Tanh,
    );
    // Every layer's δ is wrong, so every tensor is.
    assert_eq!(
        f,
        [
            "fc1.weight",
            "fc1.bias",
            "fc2.weight",
            "fc2.bias",
            "fc3.weight",
            "fc3.bias",
            "input"
        ]
    );
}

#[test]
fn missing_transpose_is_caught() {
    let f = flagged(
        &ManualEngine::with_fault(Fault::MissingTranspose),
        Loss::CrossEntropy,
        Activation::Softmax,
    );
    // The output layer's own gradients are right; everything upstream of its ∂L/∂h_prev is not.
    assert_eq!(
        f,
        ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "input"]
    );
}

#[test]
fn bias_summed_instead_of_averaged_is_caught() {
    let f = flagged(
        &ManualEngine::with_fault(Fault::BiasSummedNotAveraged),
        Loss::CrossEntropy,
        Activation::Softmax,
    );
    assert_eq!(f, ["fc1.bias", "fc2.bias", "fc3.bias"]);
}

#[test]
fn wrong_softmax_jacobian_is_caught_with_either_loss() {
    for loss in [Loss::CrossEntropy, Loss::Mse] {
        let f = flagged(
            &ManualEngine::with_fault(Fault::WrongSoftmaxJacobian),
            loss,
            Activation::Softmax,
        );
        assert_eq!(
            f,
            [
                "fc1.weight",
                "fc1.bias",
                "fc2.weight",
                "fc2.bias",
                "fc3.weight",
                "fc3.bias",
                "input"
            ],
            "{loss}"
        );
    }
}

#[test]
fn every_planted_fault_is_reported_by_the_binary_too() {
    // The command line never plants a fault; here the library's report is rendered the same
    // way `bplab check` renders it, and must say FAIL with the worst element.
    for fault in Fault::PLANTED {
        let e = ManualEngine::with_fault(fault);
        let net = network(
            &[3, 4, 2],
            &[Activation::Sigmoid, Activation::Softmax],
            Loss::CrossEntropy,
            false,
            Init::XavierNormal,
            3,
        );
        let b = batch(net.spec(), 3, 3);
        let report: Vec<String> = fd_comparisons(&e, &net, &b, DType::F64, Tolerance::FD_F64)
            .iter()
            .map(|c| c.to_string())
            .collect();
        let fails: Vec<&String> = report.iter().filter(|l| l.contains("FAIL")).collect();
        assert!(
            !fails.is_empty(),
            "{fault:?} not caught:\n{}",
            report.join("\n")
        );
        assert!(
            fails
                .iter()
                .all(|l| l.contains("worst [") && l.contains("got ") && l.contains("want ")),
            "{fails:?}"
        );
    }
}
