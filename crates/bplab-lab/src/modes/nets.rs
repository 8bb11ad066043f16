//! The networks `lab modes` differentiates (and `lab checkpoint` reuses): the sweep's
//! `depth`-layer tanh networks of one width, the sensitivity networks `n_in → 64 → 64 → M`,
//! their random batches and weights, and the check of forward-mode gradients against
//! reverse-mode ones within [`AGREEMENT`].

use bplab_core::rng::Rng;
use bplab_core::{Activation, Comparison, Init, Loss, NetSpec, Result, Tensor, Tolerance};
use bplab_manual::Model;

/// The tolerance of forward-mode against reverse-mode gradients (both f64).
pub const AGREEMENT: Tolerance = Tolerance::new(1e-15, 1e-12);

/// A `depth`-layer network of width `w`: tanh hidden layers, identity output, mse.
pub fn sweep_spec(width: usize, depth: usize) -> Result<NetSpec> {
    let mut acts = vec![Activation::Tanh; depth];
    acts[depth - 1] = Activation::Identity;
    NetSpec::new(vec![width; depth + 1], acts, Loss::Mse, false)
}

/// A batch of `batch` rows with standard normal inputs and targets.
pub fn random_batch(spec: &NetSpec, batch: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = Rng::new(seed);
    let x = (0..batch * spec.n_in()).map(|_| rng.normal()).collect();
    let y = (0..batch * spec.n_out()).map(|_| rng.normal()).collect();
    (x, y)
}

/// A model of `spec` with Xavier-uniform weights and small random biases (so bias
/// tangents meet non-zero values too).
pub fn model(spec: &NetSpec, seed: u64) -> Model<f64> {
    let mut params = Init::XavierUniform.params(spec, seed);
    let mut rng = Rng::stream(seed, 1 << 20);
    for l in 0..spec.n_layers() {
        if let Some(b) = params.get_mut(&bplab_core::spec::bias_name(l)) {
            b.data.iter_mut().for_each(|v| *v = 0.1 * rng.normal());
        }
    }
    Model::new(spec, &params)
}

/// Forward-mode and reverse-mode gradients of `model` on `(x, y)`, compared per tensor.
pub fn compare_gradients(model: &Model<f64>, x: &[f64], y: &[f64]) -> Result<Vec<Comparison>> {
    let spec = model.spec();
    let (fw, fb) = bplab_manual::schedules::jvp::forward_mode_gradient(model, x, y);
    let g = model.backward(&model.forward(x.to_vec(), y.to_vec()));
    let mut out = Vec::new();
    for l in 0..spec.n_layers() {
        let (n_in, n_out) = spec.layer_dims(l);
        let t = |v: &[f64], shape: Vec<usize>| Tensor::new(shape, v.to_vec());
        out.push(Comparison::new(
            &bplab_core::spec::weight_name(l),
            &t(&fw[l], vec![n_out, n_in])?,
            &t(&g.dw[l], vec![n_out, n_in])?,
            AGREEMENT,
            None,
        ));
        out.push(Comparison::new(
            &bplab_core::spec::bias_name(l),
            &t(&fb[l], vec![n_out])?,
            &t(&g.db[l], vec![n_out])?,
            AGREEMENT,
            None,
        ));
    }
    Ok(out)
}

/// The sensitivity network with `m` outputs: `n_in → 64 → 64 → m`, tanh, identity, mse.
pub fn sensitivity_spec(n_in: usize, m: usize) -> Result<NetSpec> {
    use Activation::{Identity, Tanh};
    NetSpec::new(
        vec![n_in, 64, 64, m],
        vec![Tanh, Tanh, Identity],
        Loss::Mse,
        false,
    )
}
