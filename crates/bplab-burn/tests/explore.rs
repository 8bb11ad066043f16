mod common;
use bplab_burn::BurnEngine;
use bplab_core::{Activation, DType, Engine, GradRequest, Loss, Tolerance};
use common::*;

#[test]
fn explore() {
    use Activation::*;
    for hidden in [Sigmoid, Gelu] {
        for (out, loss) in [(hidden, Loss::Mse), (Softmax, Loss::CrossEntropy)] {
            for residual in [false, true] {
                for b in [1usize, 5] {
                    let s = spec(&[3, 4, 4, 2], hidden, out, loss, residual);
                    let net = network(&s, 7);
                    let bt = batch(&s, b, 11);
                    let f = fd(&BurnEngine::flex(), &net, &bt);
                    let e = BurnEngine::ndarray();
                    for (dt, tol) in [
                        (DType::F64, Tolerance::FD_F64),
                        (DType::F32, Tolerance::FD_F32),
                    ] {
                        let g = e
                            .grads(&net, &bt, dt, GradRequest { input_grad: true })
                            .unwrap();
                        let c = f.compare(&g, tol);
                        let w = c
                            .iter()
                            .max_by(|a, b| {
                                a.tolerance
                                    .excess(
                                        a.worst.as_ref().unwrap().got,
                                        a.worst.as_ref().unwrap().want,
                                    )
                                    .partial_cmp(&b.tolerance.excess(
                                        b.worst.as_ref().unwrap().got,
                                        b.worst.as_ref().unwrap().want,
                                    ))
                                    .unwrap()
                            })
                            .unwrap();
                        println!(
                            "{:10} {:13} res={} B={} {dt}: excess {:.3e} maxabs {:.3e} | {}",
                            hidden.name(),
                            loss.name(),
                            residual as u8,
                            b,
                            worst_excess(&c),
                            c.iter().map(|c| c.max_abs).fold(0.0, f64::max),
                            w
                        );
                    }
                }
            }
        }
    }
}
