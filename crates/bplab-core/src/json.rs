//! JSON numbers as the command-line contract prints them: full precision (shortest
//! representation that round-trips), and non-finite values as the strings `"NaN"`, `"inf"`,
//! `"-inf"`.

use crate::tensor::Tensor;
use serde_json::{json, Value};

/// A number that round-trips, or the contract's string for a non-finite value.
pub fn number(v: f64) -> Value {
    if v.is_nan() {
        Value::String("NaN".into())
    } else if v == f64::INFINITY {
        Value::String("inf".into())
    } else if v == f64::NEG_INFINITY {
        Value::String("-inf".into())
    } else {
        json!(v)
    }
}

/// `{"shape": [...], "data": [...]}` with row-major data.
pub fn tensor(t: &Tensor) -> Value {
    json!({"shape": t.shape, "data": t.data.iter().map(|&v| number(v)).collect::<Vec<_>>()})
}

/// Reads a number written by [`number`] back (`None` for anything else).
pub fn parse_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

/// Reads a tensor written by [`tensor`] back.
pub fn parse_tensor(v: &Value) -> Option<Tensor> {
    let shape = v
        .get("shape")?
        .as_array()?
        .iter()
        .map(|d| d.as_u64().map(|d| d as usize))
        .collect::<Option<Vec<_>>>()?;
    let data = v
        .get("data")?
        .as_array()?
        .iter()
        .map(parse_number)
        .collect::<Option<Vec<_>>>()?;
    Tensor::new(shape, data).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_value() {
        let t = Tensor::new(
            vec![2, 3],
            vec![
                0.1,
                -1e-300,
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                0.6572293930391795,
            ],
        )
        .unwrap();
        let text = serde_json::to_string(&tensor(&t)).unwrap();
        assert!(text.contains("\"NaN\",\"inf\",\"-inf\""), "{text}");
        let back = parse_tensor(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back.shape, t.shape);
        for (a, b) in back.data.iter().zip(&t.data) {
            assert!(a == b || (a.is_nan() && b.is_nan()));
        }
    }
}
