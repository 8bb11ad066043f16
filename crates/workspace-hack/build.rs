//! Empty: cargo builds a crate's `[build-dependencies]` only for its build script, and building
//! them is what gives the host the unified features (see Cargo.toml).

fn main() {}
