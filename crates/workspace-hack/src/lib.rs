//! Feature unification for the workspace, and nothing else: no code. `bplab-core` depends on
//! this crate, so every build — the default one and the one with the `wgpu` feature — asks for
//! the same features of the shared dependencies listed in its Cargo.toml, and cargo compiles
//! those dependencies, and everything above them, once for both.
