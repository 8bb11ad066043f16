pub mod checkpoint;
pub mod jvp;
