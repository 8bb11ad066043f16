//! Gradient checkpointing: memory traded for compute. The `L` layers are cut into segments of
//! `k` layers; forward keeps only each segment's input `h_{s·k−1}` (the checkpoint; the first
//! segment's is `x` itself) and the last segment's activations. Backward walks the segments
//! from the last to the first, recomputes each segment's `z`, `a`, `h` from its checkpoint with
//! the same forward kernels, and runs the model's backward step over it.
//!
//! Activations held at the peak: `⌈L/k⌉ − 1` checkpoints plus the `3k` buffers of one segment,
//! i.e. `O(L/k + k)` — minimised by `k ≈ √L` at `O(√L)`, against the plain pass's `O(L)` (`k = 1`
//! keeps every layer's input, `k = L` keeps only `x` but materialises the whole network as one
//! segment). Every segment but the last is computed twice, so a step costs one extra forward
//! pass less the last segment.
//!
//! The kernels and their order are the model's own ([`linear_forward`], [`activation_forward`],
//! [`activation_backward`], [`linear_backward`], the loss's backward), so the gradients are
//! bit-identical to [`crate::Model::backward_into`]'s. The kinks' derivative at exactly 0
//! follows [`KinkGrads::PYTORCH`], the model's default.

use crate::layers::activation::{activation_backward, activation_forward};
use crate::layers::linear::{linear_backward, linear_forward};
use crate::layers::loss::{
    cross_entropy_backward, cross_entropy_forward, mse_backward, mse_forward,
};
use crate::model::Model;
use crate::real::Real;
use bplab_core::spec::KinkGrads;
use bplab_core::{Loss, NetSpec};

/// `k = ⌈√L⌉`, the segment length that minimises the activations held.
pub fn sqrt_segment(n_layers: usize) -> usize {
    let mut k = (n_layers as f64).sqrt().ceil() as usize;
    while k > 1 && (k - 1) * (k - 1) >= n_layers {
        k -= 1;
    }
    k.max(1)
}

/// The buffers of a checkpointed step and the gradients it leaves.
#[derive(Debug, Clone)]
pub struct Checkpointed<T> {
    /// Segment length `k`.
    k: usize,
    batch: usize,
    /// `checkpoints[s]`: the input `h_{s·k−1}` of segment `s ≥ 1` `(B, n_in of layer s·k)`;
    /// `checkpoints[0]` is empty (segment 0 reads `x`).
    checkpoints: Vec<Vec<T>>,
    /// One segment's `z`, `a`, `h`: slot `j` holds layer `s·k + j`, `(B, max width)` each.
    seg_z: Vec<Vec<T>>,
    seg_a: Vec<Vec<T>>,
    seg_h: Vec<Vec<T>>,
    /// `δ_l` of the layer being processed, `(B, max width)`.
    delta: Vec<T>,
    /// `∂L/∂h_l` and `∂L/∂h_{l−1}`, `(B, max width)` each.
    dh: [Vec<T>; 2],
    /// `∂L/∂W_l` `(n_out, n_in)`.
    pub dw: Vec<Vec<T>>,
    /// `∂L/∂b_l` `(n_out)`.
    pub db: Vec<Vec<T>>,
    /// The batch-mean loss.
    pub loss: T,
}

impl<T: Real> Checkpointed<T> {
    /// Buffers for segments of `k` layers (clamped to `1..=L`) over a batch of `batch`.
    pub fn new(spec: &NetSpec, batch: usize, k: usize) -> Self {
        let n = spec.n_layers();
        let k = k.clamp(1, n);
        let widest = (0..n)
            .map(|l| spec.layer_dims(l).0.max(spec.layer_dims(l).1))
            .max()
            .unwrap_or(0);
        let n_seg = n.div_ceil(k);
        let buf = || vec![T::ZERO; batch * widest];
        let dims = |l: usize| spec.layer_dims(l);
        Checkpointed {
            k,
            batch,
            checkpoints: (0..n_seg)
                .map(|s| match s {
                    0 => Vec::new(),
                    _ => vec![T::ZERO; batch * dims(s * k).0],
                })
                .collect(),
            seg_z: (0..k).map(|_| buf()).collect(),
            seg_a: (0..k).map(|_| buf()).collect(),
            seg_h: (0..k).map(|_| buf()).collect(),
            delta: buf(),
            dh: [buf(), buf()],
            dw: (0..n)
                .map(|l| vec![T::ZERO; dims(l).0 * dims(l).1])
                .collect(),
            db: (0..n).map(|l| vec![T::ZERO; dims(l).1]).collect(),
            loss: T::ZERO,
        }
    }

    /// The segment length `k`.
    pub fn segment(&self) -> usize {
        self.k
    }

    /// Activation values (not bytes) these buffers hold: checkpoints, one segment's `z`, `a`,
    /// `h`, and the backward scratch `δ`, `∂L/∂h` (the input `x` is the caller's).
    pub fn activation_values(&self) -> usize {
        let seg: usize = [&self.seg_z, &self.seg_a, &self.seg_h]
            .iter()
            .flat_map(|v| v.iter())
            .map(Vec::len)
            .sum();
        let ck: usize = self.checkpoints.iter().map(Vec::len).sum();
        ck + seg + self.delta.len() + self.dh[0].len() + self.dh[1].len()
    }

    /// Forward of layers `start..end` from `h_in` (`x` or a checkpoint) into the segment
    /// slots: the model's own forward step.
    fn run_segment(
        &mut self,
        model: &Model<T>,
        h_in: Option<&[T]>,
        x: &[T],
        start: usize,
        end: usize,
    ) {
        let spec = model.spec();
        let (w, b) = model.params();
        let batch = self.batch;
        for l in start..end {
            let (n_in, n_out) = spec.layer_dims(l);
            let j = l - start;
            let (below, this) = self.seg_h.split_at_mut(j);
            let h_prev: &[T] = match j {
                0 => h_in.unwrap_or(x),
                _ => &below[j - 1][..batch * n_in],
            }; // (B, n_in)
            let z = &mut self.seg_z[j][..batch * n_out]; // (B, n_out)
            let a = &mut self.seg_a[j][..batch * n_out];
            let h = &mut this[0][..batch * n_out];
            linear_forward(z, h_prev, &w[l], &b[l], n_in, n_out);
            activation_forward(spec.activations()[l], z, a, n_out);
            if spec.is_residual(l) {
                for ((h, &p), &v) in h.iter_mut().zip(h_prev).zip(a.iter()) {
                    *h = p + v;
                }
            } else {
                h.copy_from_slice(a);
            }
        }
    }

    /// One step: forward keeping checkpoints, the loss, then backward segment by segment.
    /// `x` `(B, n_in)`, `y` `(B, n_out)`; the gradients land in `dw`, `db` (no `∂L/∂x`).
    pub fn step(&mut self, model: &Model<T>, x: &[T], y: &[T]) {
        let spec = model.spec();
        let n = spec.n_layers();
        let (k, batch) = (self.k, self.batch);
        let n_seg = n.div_ceil(k);
        let bounds = |s: usize| (s * k, ((s + 1) * k).min(n));

        // Forward: each segment from its checkpoint; the next checkpoint is its last h.
        for s in 0..n_seg {
            let (start, end) = bounds(s);
            let ck = std::mem::take(&mut self.checkpoints[s]);
            self.run_segment(model, (s > 0).then_some(&ck[..]), x, start, end);
            self.checkpoints[s] = ck;
            if s + 1 < n_seg {
                let n_next = spec.layer_dims(end).0;
                let (last, next) = (&self.seg_h[end - start - 1], &mut self.checkpoints[s + 1]);
                next.copy_from_slice(&last[..batch * n_next]);
            }
        }
        let n_out = spec.n_out();
        let j_last = (n - 1) % k;
        self.loss = match spec.loss() {
            Loss::CrossEntropy => {
                cross_entropy_forward(&self.seg_z[j_last][..batch * n_out], y, n_out)
            }
            Loss::Mse => mse_forward(&self.seg_h[j_last][..batch * n_out], y, n_out),
        };

        // Backward: the last segment is still in the slots; every other one is recomputed.
        for s in (0..n_seg).rev() {
            let (start, end) = bounds(s);
            let ck = std::mem::take(&mut self.checkpoints[s]);
            if s + 1 < n_seg {
                self.run_segment(model, (s > 0).then_some(&ck[..]), x, start, end);
            }
            self.backward_segment(model, (s > 0).then_some(&ck[..]), x, y, start, end);
            self.checkpoints[s] = ck;
        }
    }

    /// The model's backward step over layers `end−1 … start` (see `Model::backward_into`).
    #[allow(clippy::too_many_arguments)]
    fn backward_segment(
        &mut self,
        model: &Model<T>,
        h_in: Option<&[T]>,
        x: &[T],
        y: &[T],
        start: usize,
        end: usize,
    ) {
        let spec = model.spec();
        let (w, _) = model.params();
        let (batch, last, n_out_net) = (self.batch, spec.n_layers() - 1, spec.n_out());
        let [dh, dh_below] = &mut self.dh;
        if end - 1 == last {
            let y_hat = &self.seg_h[last - start][..batch * n_out_net];
            match spec.loss() {
                Loss::CrossEntropy => cross_entropy_backward(
                    &mut self.delta[..batch * n_out_net],
                    y_hat,
                    y,
                    n_out_net,
                ),
                Loss::Mse => mse_backward(&mut dh[..batch * n_out_net], y_hat, y, n_out_net),
            }
        }
        for l in (start..end).rev() {
            let (n_in, n_out) = spec.layer_dims(l);
            let j = l - start;
            let dh_l = &dh[..batch * n_out]; // (B, n_out): ∂L/∂h_l
            let delta = &mut self.delta[..batch * n_out]; // (B, n_out)
            if !(l == last && spec.loss() == Loss::CrossEntropy) {
                activation_backward(
                    spec.activations()[l],
                    delta,
                    dh_l,
                    &self.seg_z[j][..batch * n_out],
                    &self.seg_a[j][..batch * n_out],
                    n_out,
                    KinkGrads::PYTORCH,
                );
            }
            let h_prev: &[T] = match j {
                0 => h_in.unwrap_or(x),
                _ => &self.seg_h[j - 1][..batch * n_in],
            };
            let mut dh_prev = (l > 0).then(|| &mut dh_below[..batch * n_in]); // (B, n_in)
            linear_backward(
                dh_prev.as_deref_mut(),
                &mut self.dw[l],
                &mut self.db[l],
                delta,
                h_prev,
                &w[l],
                n_in,
                n_out,
            );
            if let (true, Some(p)) = (spec.is_residual(l), dh_prev) {
                for (p, &v) in p.iter_mut().zip(dh_l) {
                    *p += v;
                }
            }
            std::mem::swap(dh, dh_below);
        }
    }
}
