//! [`DType`]: the precision an engine computes in (`f32` or `f64`), named as the command
//! line and the files spell it.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// The precision an engine computes in. Values cross the boundary as `f64` either way; in
/// `F32` the engine rounds parameters and batch to `f32` first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    F32,
    F64,
}

impl DType {
    /// `f32` or `f64`.
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "f32" => Ok(DType::F32),
            "f64" => Ok(DType::F64),
            _ => Err(Error::Parse(format!(
                "--dtype: unknown dtype '{s}' (expected f32 or f64)"
            ))),
        }
    }
}
