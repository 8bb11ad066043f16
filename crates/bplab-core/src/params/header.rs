//! The safetensors header, read and checked before any tensor is decoded: the 8-byte
//! length (at most [`MAX_HEADER`]), the JSON map of `name → {dtype, shape, data_offsets}`,
//! every dtype F32 or F64, every shape's element count matching its byte range, and — when
//! the network is known — exactly the network's names with its shapes. A file is read only
//! after its size (from its metadata) equals the header's promise, so `/dev/zero` or a file
//! with a large unexpected tensor is refused before its data is read.

use crate::error::{Error, Result};
use crate::spec::NetSpec;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// Largest header accepted (a network of 64 layers needs under 16 KiB).
pub const MAX_HEADER: u64 = 1 << 20;

/// One tensor's entry in the header.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub dtype: String,
    pub shape: Vec<usize>,
    pub data_offsets: [u64; 2],
}

/// The checked header: tensors by name, and the data's length in bytes.
#[derive(Debug, Clone)]
pub struct Header {
    pub tensors: BTreeMap<String, Entry>,
    pub data_len: u64,
}

/// Parses and checks a header's JSON text (dtypes, shapes against byte ranges).
pub fn parse(json: &[u8]) -> std::result::Result<Header, String> {
    let raw: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(json).map_err(|e| format!("header is not a JSON map ({e})"))?;
    let mut tensors = BTreeMap::new();
    let mut data_len = 0u64;
    for (name, v) in raw {
        if name == "__metadata__" {
            continue;
        }
        let e: Entry = serde_json::from_value(v)
            .map_err(|e| format!("tensor '{name}': malformed header entry ({e})"))?;
        let width = match e.dtype.as_str() {
            "F32" => 4u64,
            "F64" => 8,
            other => {
                return Err(format!(
                    "tensor '{name}' has dtype {other}; only F32 and F64 are read"
                ))
            }
        };
        let elements = e
            .shape
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
            .ok_or_else(|| format!("tensor '{name}': shape {:?} is too large", e.shape))?;
        let [start, end] = e.data_offsets;
        if end < start || Some(end - start) != elements.checked_mul(width) {
            return Err(format!(
                "tensor '{name}': shape {:?} in {} needs {} bytes, its data range is {start}..{end}",
                e.shape,
                e.dtype,
                elements.saturating_mul(width)
            ));
        }
        data_len = data_len.max(end);
        tensors.insert(name, e);
    }
    Ok(Header { tensors, data_len })
}

/// Checks the header's names and shapes against the network `spec`.
pub fn check_against(h: &Header, spec: &NetSpec) -> std::result::Result<(), String> {
    let expected = spec.param_shapes();
    for (name, shape) in &expected {
        match h.tensors.get(name) {
            None => {
                return Err(format!(
                    "missing tensor '{name}' (expected shape {shape:?})"
                ))
            }
            Some(e) if &e.shape != shape => {
                return Err(format!(
                    "tensor '{name}' has shape {:?}, expected {shape:?}",
                    e.shape
                ))
            }
            Some(_) => {}
        }
    }
    if let Some((name, e)) = h
        .tensors
        .iter()
        .find(|(n, _)| !expected.iter().any(|(x, _)| x == *n))
    {
        return Err(format!(
            "unexpected tensor '{name}' (shape {:?}) for a network of {} Linear layers",
            e.shape,
            spec.n_layers()
        ));
    }
    Ok(())
}

/// Reads `path` after checking, from metadata and the header alone, that it is a regular
/// file, that its header is valid (and fits `spec` when given) and that its size is exactly
/// what the header promises (at most `max_data` bytes of tensors).
pub fn read_checked(path: &Path, spec: Option<&NetSpec>, max_data: u64) -> Result<Vec<u8>> {
    let err = |reason: String| Error::File {
        path: path.display().to_string(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read ({e})")))?;
    if !meta.is_file() {
        return Err(err(
            "not a regular file (a safetensors file is expected)".into()
        ));
    }
    let mut f = std::fs::File::open(path).map_err(|e| err(format!("cannot read ({e})")))?;
    let mut n = [0u8; 8];
    f.read_exact(&mut n).map_err(|_| {
        err("not a valid safetensors file (shorter than its 8-byte header length)".into())
    })?;
    let n = u64::from_le_bytes(n);
    if n > MAX_HEADER || n > meta.len().saturating_sub(8) {
        return Err(err(format!(
            "not a valid safetensors file (header length {n} in a file of {} bytes; at most {MAX_HEADER})",
            meta.len()
        )));
    }
    let mut json = vec![0u8; n as usize];
    f.read_exact(&mut json)
        .map_err(|e| err(format!("cannot read the header ({e})")))?;
    let header = parse(&json).map_err(|m| err(format!("not a valid safetensors file ({m})")))?;
    if let Some(spec) = spec {
        check_against(&header, spec).map_err(Error::Params)?;
    }
    if header.data_len > max_data {
        return Err(err(format!(
            "its header describes {} bytes of tensors, more than the limit of {max_data}",
            header.data_len
        )));
    }
    let want = 8 + n + header.data_len;
    if meta.len() != want {
        return Err(err(format!(
            "not a valid safetensors file (it is {} bytes, its header describes {want})",
            meta.len()
        )));
    }
    let mut bytes = Vec::with_capacity(want as usize);
    bytes.extend_from_slice(&(n.to_le_bytes()));
    bytes.extend_from_slice(&json);
    f.take(header.data_len)
        .read_to_end(&mut bytes)
        .map_err(|e| err(format!("cannot read ({e})")))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtypes_and_byte_ranges_are_checked_before_any_data() {
        let ok = br#"{"fc1.weight": {"dtype": "F64", "shape": [3, 2], "data_offsets": [0, 48]},
                      "__metadata__": {"format": "pt"}}"#;
        let h = parse(ok).unwrap();
        assert_eq!((h.tensors.len(), h.data_len), (1, 48));
        let short = br#"{"w": {"dtype": "F32", "shape": [3, 2], "data_offsets": [0, 20]}}"#;
        assert!(parse(short).unwrap_err().contains("needs 24 bytes"));
        let int = br#"{"w": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}"#;
        assert!(parse(int).unwrap_err().contains("dtype I64"));
        let huge = br#"{"w": {"dtype": "F64", "shape": [4294967296, 4294967296, 16], "data_offsets": [0, 8]}}"#;
        assert!(parse(huge).unwrap_err().contains("too large"));
        assert!(parse(b"[1, 2]").unwrap_err().contains("not a JSON map"));
    }
}
