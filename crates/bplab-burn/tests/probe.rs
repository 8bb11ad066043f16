#![allow(deprecated)]
use burn::tensor::{activation, DType, Device, Tensor, TensorData};

fn t(dev: &Device, v: Vec<f64>, dt: DType) -> Tensor<1> {
    let n = v.len();
    Tensor::<1>::from_data(TensorData::new(v, [n]), (dev, dt))
}

#[test]
fn probe() {
    for (name, dev) in [
        ("ndarray", Device::ndarray().autodiff()),
        ("flex", Device::flex().autodiff()),
    ] {
        for dt in [DType::F32, DType::F64] {
            let x = t(&dev, vec![-20.0, -1.0, 0.0, 0.3, 1.0, 20.0], dt).require_grad();
            let y = activation::sigmoid(x.clone());
            println!(
                "{name} {dt:?} sigmoid dtype {:?} {:?}",
                y.dtype(),
                y.to_data().iter::<f64>().collect::<Vec<_>>()
            );
            let g = y.sum().backward();
            println!(
                "  grad {:?}",
                x.grad(&g)
                    .unwrap()
                    .to_data()
                    .iter::<f64>()
                    .collect::<Vec<_>>()
            );
            let x = t(&dev, vec![-1.0, 0.0, 1.0], dt).require_grad();
            let y = activation::leaky_relu(x.clone(), 0.01);
            let g = y.sum().backward();
            println!(
                "  leaky grad {:?}",
                x.grad(&g)
                    .unwrap()
                    .to_data()
                    .iter::<f64>()
                    .collect::<Vec<_>>()
            );
            let x = t(&dev, vec![-1.0, 0.0, 1.0], dt).require_grad();
            let z = x.clone() * 2.0;
            let y = activation::relu(z.clone());
            let g = y.sum().backward();
            println!(
                "  relu grad {:?} nonleaf {:?}",
                x.grad(&g)
                    .unwrap()
                    .to_data()
                    .iter::<f64>()
                    .collect::<Vec<_>>(),
                z.grad(&g).is_some()
            );
            let x = t(&dev, vec![-2.0, 0.5, 1.5], dt).require_grad();
            let y = activation::gelu(x.clone());
            let g = y.sum().backward();
            println!(
                "  gelu grad {:?}",
                x.grad(&g)
                    .unwrap()
                    .to_data()
                    .iter::<f64>()
                    .collect::<Vec<_>>()
            );
        }
    }
}
