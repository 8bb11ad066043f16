//! Zero-copy host views of burn's CPU tensors, for the custom operation ([`crate::custom`]).
//!
//! burn's portable way to read a tensor, `B::float_into_data`, consumes it and returns a
//! `TensorData`: on burn-flex and burn-ndarray that is free only when the tensor's buffer has no
//! other owner. The custom op's operands always have one (the weight belongs to the `Linear`,
//! `x`, `z` and `h` are also kept in the backward step's state), so each read copied the whole
//! buffer — at `wide-b256` 4 MB per weight, three times per step. Both CPU backends keep a
//! contiguous tensor's values in one host buffer (burn-flex: `FlexTensor`, an `Arc<Bytes>`
//! with a layout; burn-ndarray: `NdArrayTensor`, an `ArcArray` per dtype), so
//! [`HostTensors::host`] borrows that buffer as a slice instead, and copies only a tensor whose
//! layout is not contiguous row-major (a transposed or sliced view), through the read-back.
//!
//! Results need no counterpart: `B::float_from_data` on both backends adopts the `Vec`'s
//! allocation (`TensorData::new` then `FlexTensor::from_data` / `NdArrayTensor::from_data`).

#![allow(deprecated)] // burn-ndarray is one of the compared backends, on purpose

use bplab_manual::Real;
use burn::backend::flex::FlexTensor;
use burn::backend::ndarray::NdArrayTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, NdArray};
use burn::tensor::{try_read_sync, Element, TensorData};
use std::borrow::Cow;

/// A float type the custom op computes in (`f32`, `f64`), with its zero-copy view of each
/// backend's primitive tensor: `None` when the dtype differs or the layout is not contiguous.
pub trait HostFloat: Real + Element {
    /// The values of a burn-flex tensor, borrowed.
    fn flex(t: &FlexTensor) -> Option<&[Self]>;
    /// The values of a burn-ndarray tensor, borrowed.
    fn ndarray(t: &NdArrayTensor) -> Option<&[Self]>;
}

macro_rules! host_float {
    ($t:ty, $variant:ident) => {
        impl HostFloat for $t {
            fn flex(t: &FlexTensor) -> Option<&[Self]> {
                t.as_slice::<$t>()
            }
            fn ndarray(t: &NdArrayTensor) -> Option<&[Self]> {
                match t {
                    NdArrayTensor::$variant(s) => s.view().to_slice(),
                    _ => None,
                }
            }
        }
    };
}

host_float!(f32, F32);
host_float!(f64, F64);

/// An execution backend whose float tensors live in host memory.
pub trait HostTensors: Backend {
    /// The values of `t`, row-major: borrowed from the tensor's buffer when it is contiguous,
    /// otherwise read back (a copy).
    ///
    /// ```
    /// use bplab_burn::host::HostTensors;
    /// use burn::backend::{flex::FlexTensor, Flex};
    /// use burn::tensor::TensorData;
    ///
    /// let t = FlexTensor::from_data(TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0], [2, 2]));
    /// assert_eq!(&*Flex::host::<f32>(&t), &[1.0, 2.0, 3.0, 4.0]);
    /// ```
    fn host<T: HostFloat>(t: &FloatTensor<Self>) -> Cow<'_, [T]>;
}

impl HostTensors for Flex {
    fn host<T: HostFloat>(t: &FloatTensor<Self>) -> Cow<'_, [T]> {
        T::flex(t).map_or_else(|| Cow::Owned(read_back::<Self, T>(t)), Cow::Borrowed)
    }
}

impl HostTensors for NdArray {
    fn host<T: HostFloat>(t: &FloatTensor<Self>) -> Cow<'_, [T]> {
        T::ndarray(t).map_or_else(|| Cow::Owned(read_back::<Self, T>(t)), Cow::Borrowed)
    }
}

/// A copy of `t`'s values through burn's read-back (synchronous: both CPU backends complete
/// at once).
fn read_back<B: Backend, T: HostFloat>(t: &FloatTensor<B>) -> Vec<T> {
    let data: TensorData = try_read_sync(B::float_into_data(t.clone()))
        .expect("bplab-dense: a CPU backend reads back synchronously")
        .unwrap_or_else(|e| panic!("bplab-dense: reading a tensor failed: {e:?}"));
    data.to_vec::<T>()
        .unwrap_or_else(|e| panic!("bplab-dense: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A contiguous tensor is borrowed (the slice points into its buffer); a transposed view
    /// is read back in row-major order; another dtype is not borrowed.
    #[test]
    fn contiguous_tensors_are_borrowed_views_are_copied() {
        let data = || TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]);
        let t = FlexTensor::from_data(data());
        let v = Flex::host::<f32>(&t);
        assert!(matches!(v, Cow::Borrowed(_)));
        assert_eq!(v.as_ptr() as *const u8, t.bytes().as_ptr());
        let tt = t.transpose(0, 1);
        let v = Flex::host::<f32>(&tt);
        assert!(matches!(v, Cow::Owned(_)));
        assert_eq!(&*v, &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert_eq!(f64::flex(&t), None);

        let n = NdArrayTensor::from_data(data());
        let v = NdArray::host::<f32>(&n);
        assert!(matches!(v, Cow::Borrowed(_)));
        assert_eq!(&*v, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(f64::ndarray(&n), None);
    }
}
