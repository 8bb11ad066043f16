//! [`ParamSet`]: named parameter (or gradient) tensors in PyTorch naming — `fc1.weight` of
//! shape `[out, in]`, `fc1.bias` of shape `[out]`, … — in layer order, with safetensors load
//! and save in F32 or F64. A file's header is checked before any tensor is decoded
//! ([`header`]).

pub mod header;

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::spec::{bias_name, weight_name, NetSpec};
use crate::tensor::Tensor;
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use std::path::Path;

/// Most bytes of tensor data a safetensors file may hold (the 1 G-parameter limit of a
/// network in F64 is 8 GiB; files beyond 2 GiB are refused from their header).
pub const MAX_FILE: u64 = 2 << 30;

/// Named tensors in a fixed order (`fc1.weight`, `fc1.bias`, `fc2.weight`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSet {
    entries: Vec<(String, Tensor)>,
}

impl ParamSet {
    /// Builds a set from `(name, tensor)` pairs, in the given order.
    pub fn from_entries(entries: Vec<(String, Tensor)>) -> Self {
        ParamSet { entries }
    }

    /// Checks that the set holds exactly the tensors `spec` names, with its shapes, and that
    /// every value is finite. The error names the tensor and both shapes.
    pub fn validate(&self, spec: &NetSpec) -> Result<()> {
        let expected = spec.param_shapes();
        for (name, shape) in &expected {
            let t = self.get(name).ok_or_else(|| {
                Error::Params(format!(
                    "missing tensor '{name}' (expected shape {shape:?})"
                ))
            })?;
            if &t.shape != shape {
                return Err(Error::Params(format!(
                    "tensor '{name}' has shape {:?}, expected {shape:?}",
                    t.shape
                )));
            }
            if let Some(i) = t.data.iter().position(|v| !v.is_finite()) {
                return Err(Error::Params(format!(
                    "tensor '{name}' holds a non-finite value ({}) at {:?}",
                    t.data[i],
                    t.index_of(i)
                )));
            }
        }
        if let Some((name, _)) = self
            .entries
            .iter()
            .find(|(n, _)| !expected.iter().any(|(e, _)| e == n))
        {
            return Err(Error::Params(format!(
                "unexpected tensor '{name}' for a network of {} Linear layers",
                spec.n_layers()
            )));
        }
        Ok(())
    }

    /// Puts the entries in the order of `spec` (after [`ParamSet::validate`]).
    pub fn ordered_like(mut self, spec: &NetSpec) -> Self {
        let order: Vec<String> = spec.param_shapes().into_iter().map(|(n, _)| n).collect();
        self.entries
            .sort_by_key(|(n, _)| order.iter().position(|o| o == n).unwrap_or(usize::MAX));
        self
    }

    /// The tensor called `name`.
    pub fn get(&self, name: &str) -> Option<&Tensor> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    /// Mutable access to the tensor called `name`.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Tensor> {
        self.entries
            .iter_mut()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t)
    }

    /// `fc{l+1}.weight`, shape `[out, in]`. Panics if absent: call on a validated set.
    pub fn weight(&self, l: usize) -> &Tensor {
        let name = weight_name(l);
        self.get(&name)
            .unwrap_or_else(|| panic!("validated parameter set lacks {name}"))
    }

    /// `fc{l+1}.bias`, shape `[out]`. Panics if absent: call on a validated set.
    pub fn bias(&self, l: usize) -> &Tensor {
        let name = bias_name(l);
        self.get(&name)
            .unwrap_or_else(|| panic!("validated parameter set lacks {name}"))
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor)> {
        self.entries.iter().map(|(n, t)| (n.as_str(), t))
    }

    /// Mutable entries in order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Tensor)> {
        self.entries.iter_mut().map(|(n, t)| (n.as_str(), t))
    }

    /// Names in order.
    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no tensor.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Total number of scalar values.
    pub fn n_values(&self) -> usize {
        self.entries.iter().map(|(_, t)| t.len()).sum()
    }

    /// The same set with every value rounded to `f32` (what an f32 engine computes with).
    pub fn rounded_to_f32(&self) -> Self {
        ParamSet {
            entries: self
                .entries
                .iter()
                .map(|(n, t)| (n.clone(), t.rounded_to_f32()))
                .collect(),
        }
    }

    /// Parses safetensors bytes (F32 or F64 tensors); `origin` names the source in errors.
    pub fn from_safetensors_bytes(bytes: &[u8], origin: &str) -> Result<Self> {
        let file_err = |reason: String| Error::File {
            path: origin.to_string(),
            reason,
        };
        let st = SafeTensors::deserialize(bytes)
            .map_err(|e| file_err(format!("not a valid safetensors file ({e})")))?;
        let mut names: Vec<String> = st.names().into_iter().map(str::to_string).collect();
        names.sort();
        // Every dtype is checked before any tensor is decoded.
        for (name, view) in st.tensors() {
            if !matches!(view.dtype(), Dtype::F32 | Dtype::F64) {
                return Err(file_err(format!(
                    "tensor '{name}' has dtype {:?}; only F32 and F64 are read",
                    view.dtype()
                )));
            }
        }
        let mut entries = Vec::with_capacity(names.len());
        for name in names {
            let view = st
                .tensor(&name)
                .map_err(|e| file_err(format!("tensor '{name}': {e}")))?;
            let data = decode(&view).map_err(|m| file_err(format!("tensor '{name}': {m}")))?;
            entries.push((name, Tensor::new(view.shape().to_vec(), data)?));
        }
        Ok(ParamSet { entries })
    }

    /// Reads a safetensors file (F32 or F64 tensors) after checking its header and size
    /// ([`header::read_checked`]; at most [`MAX_FILE`] bytes of data).
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = header::read_checked(path, None, MAX_FILE)?;
        Self::from_safetensors_bytes(&bytes, &path.display().to_string())
    }

    /// Reads a safetensors file for `spec`: its names and shapes are checked against the
    /// network from the header, before any tensor is read or decoded.
    pub fn load_for(path: &Path, spec: &NetSpec) -> Result<Self> {
        let bytes = header::read_checked(path, Some(spec), MAX_FILE)?;
        Self::from_safetensors_bytes(&bytes, &path.display().to_string())
    }

    /// Serialises to safetensors bytes with every tensor in `dtype`.
    pub fn to_safetensors_bytes(&self, dtype: DType) -> Result<Vec<u8>> {
        let buffers: Vec<(String, Vec<usize>, Vec<u8>)> = self
            .entries
            .iter()
            .map(|(n, t)| {
                let bytes = match dtype {
                    DType::F64 => t.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    DType::F32 => t
                        .data
                        .iter()
                        .flat_map(|&v| (v as f32).to_le_bytes())
                        .collect(),
                };
                (n.clone(), t.shape.clone(), bytes)
            })
            .collect();
        let st_dtype = match dtype {
            DType::F64 => Dtype::F64,
            DType::F32 => Dtype::F32,
        };
        let views = buffers
            .iter()
            .map(|(n, s, b)| Ok((n.clone(), TensorView::new(st_dtype, s.clone(), b)?)))
            .collect::<std::result::Result<Vec<_>, safetensors::SafeTensorError>>()
            .map_err(|e| Error::Params(format!("cannot serialise: {e}")))?;
        safetensors::serialize(views, None)
            .map_err(|e| Error::Params(format!("cannot serialise: {e}")))
    }

    /// Writes a safetensors file with every tensor in `dtype`.
    pub fn save(&self, path: &Path, dtype: DType) -> Result<()> {
        let bytes = self.to_safetensors_bytes(dtype)?;
        std::fs::write(path, bytes).map_err(|e| Error::File {
            path: path.display().to_string(),
            reason: format!("cannot write ({e})"),
        })
    }
}

fn decode(view: &TensorView<'_>) -> std::result::Result<Vec<f64>, String> {
    let raw = view.data();
    match view.dtype() {
        Dtype::F64 => Ok(raw
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("chunk of 8")))
            .collect()),
        Dtype::F32 => Ok(raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("chunk of 4")) as f64)
            .collect()),
        other => Err(format!("dtype {other:?} is not supported (use F32 or F64)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Activation, Loss};

    fn spec() -> NetSpec {
        NetSpec::new(
            vec![3, 2, 1],
            vec![Activation::Tanh, Activation::Identity],
            Loss::Mse,
            false,
        )
        .unwrap()
    }

    fn params() -> ParamSet {
        ParamSet::from_entries(vec![
            (
                "fc1.weight".into(),
                Tensor::new(vec![2, 3], vec![0.1, -0.2, 0.3, 1e-300, 5.0, -6.5]).unwrap(),
            ),
            (
                "fc1.bias".into(),
                Tensor::new(vec![2], vec![0.5, -0.25]).unwrap(),
            ),
            (
                "fc2.weight".into(),
                Tensor::new(vec![1, 2], vec![std::f64::consts::PI, 2.0]).unwrap(),
            ),
            ("fc2.bias".into(), Tensor::new(vec![1], vec![0.0]).unwrap()),
        ])
    }

    #[test]
    fn f64_round_trip_is_exact_and_f32_rounds() {
        let p = params();
        let back =
            ParamSet::from_safetensors_bytes(&p.to_safetensors_bytes(DType::F64).unwrap(), "mem")
                .unwrap()
                .ordered_like(&spec());
        assert_eq!(back, p);
        let back32 =
            ParamSet::from_safetensors_bytes(&p.to_safetensors_bytes(DType::F32).unwrap(), "mem")
                .unwrap()
                .ordered_like(&spec());
        assert_eq!(back32, p.rounded_to_f32());
    }

    #[test]
    fn validation_names_the_tensor_and_shapes() {
        let s = spec();
        params().validate(&s).unwrap();
        let mut p = params();
        p.entries.retain(|(n, _)| n != "fc2.bias");
        assert_eq!(
            p.validate(&s).unwrap_err().to_string(),
            "params: missing tensor 'fc2.bias' (expected shape [1])"
        );
        let mut p = params();
        p.get_mut("fc1.weight").unwrap().shape = vec![3, 2];
        assert_eq!(
            p.validate(&s).unwrap_err().to_string(),
            "params: tensor 'fc1.weight' has shape [3, 2], expected [2, 3]"
        );
        let mut p = params();
        p.get_mut("fc1.bias").unwrap().data[1] = f64::NAN;
        assert!(p
            .validate(&s)
            .unwrap_err()
            .to_string()
            .contains("non-finite"));
    }

    #[test]
    fn malformed_bytes_are_an_error() {
        let bytes = params().to_safetensors_bytes(DType::F64).unwrap();
        for cut in [0, 7, 8, 20, bytes.len() - 1] {
            let e = ParamSet::from_safetensors_bytes(&bytes[..cut], "x.safetensors").unwrap_err();
            assert!(e.to_string().starts_with("x.safetensors: "), "{e}");
        }
    }
}
