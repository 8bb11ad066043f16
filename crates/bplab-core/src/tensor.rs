//! [`Tensor`]: the plain row-major `f64` buffer with a shape that carries values across the
//! engine boundary (parameters, gradients, activations). Engines convert to their own types.

use crate::error::{Error, Result};

/// A dense row-major tensor of `f64` values. Shape `[]` is a scalar.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

impl Tensor {
    /// Builds a tensor, checking that `data.len()` is the product of `shape`.
    pub fn new(shape: Vec<usize>, data: Vec<f64>) -> Result<Self> {
        let n: usize = shape.iter().product();
        if n != data.len() {
            return Err(Error::Params(format!(
                "tensor of shape {shape:?} needs {n} values, got {}",
                data.len()
            )));
        }
        Ok(Tensor { shape, data })
    }

    /// A tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Tensor {
            shape: shape.to_vec(),
            data: vec![0.0; shape.iter().product()],
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when the tensor holds no element.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Row-major multi-index of the flat position `i` (for reports: `[2, 0]`).
    pub fn index_of(&self, mut i: usize) -> Vec<usize> {
        let mut idx = vec![0; self.shape.len()];
        for d in (0..self.shape.len()).rev() {
            let n = self.shape[d].max(1);
            idx[d] = i % n;
            i /= n;
        }
        idx
    }

    /// Sum of all elements.
    pub fn sum(&self) -> f64 {
        self.data.iter().sum()
    }

    /// Euclidean (Frobenius) norm.
    pub fn norm(&self) -> f64 {
        self.data.iter().map(|v| v * v).sum::<f64>().sqrt()
    }

    /// The same values rounded to `f32` and widened back (what an f32 engine sees).
    pub fn rounded_to_f32(&self) -> Self {
        Tensor {
            shape: self.shape.clone(),
            data: self.data.iter().map(|&v| v as f32 as f64).collect(),
        }
    }
}
