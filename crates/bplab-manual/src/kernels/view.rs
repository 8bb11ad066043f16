//! The two strided views the matrix kernels work on: [`MatRef`], a read-only matrix whose
//! rows and columns may be any stride (so `Wᵀ` and `δᵀ` are read in place, never copied), and
//! [`Dst`], where a product is written.

/// A read-only matrix view: element `(r, c)` is `data[r·rs + c·cs]`.
#[derive(Debug, Clone, Copy)]
pub struct MatRef<'a, T> {
    pub data: &'a [T],
    pub rows: usize,
    pub cols: usize,
    /// Row stride.
    pub rs: usize,
    /// Column stride.
    pub cs: usize,
}

impl<'a, T: Copy> MatRef<'a, T> {
    /// A row-major `(rows, cols)` matrix.
    pub fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        debug_assert!(data.len() >= rows * cols);
        MatRef {
            data,
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose, as a view of the same memory.
    pub fn t(self) -> Self {
        MatRef {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }

    /// Element `(r, c)`.
    #[inline(always)]
    pub(crate) fn at(&self, r: usize, c: usize) -> T {
        self.data[r * self.rs + c * self.cs]
    }
}

/// Where a product is written: element `(i, j)` of `C` at `ptr[i·ldc + j]`.
#[derive(Debug, Clone, Copy)]
pub struct Dst<T> {
    pub ptr: *mut T,
    pub ldc: usize,
}
// SAFETY: a `Dst` is only a location; whoever writes through it must own those elements
// (see `gemm`'s contract). Two threads get two `Dst`s covering disjoint elements.
unsafe impl<T: Send> Send for Dst<T> {}
unsafe impl<T: Send> Sync for Dst<T> {}
