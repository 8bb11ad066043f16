//! The error type of every `bplab-*` library crate: one variant per kind of user or input
//! mistake, each rendering as a single line that names the problem.

use std::fmt;

/// Result alias used across the library crates.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the library. Every variant is an input or usage error
/// (a binary maps them to exit status 2) except [`Error::Engine`], a failure inside a framework.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The network description is inconsistent (widths, activations, loss).
    Spec(String),
    /// A parameter tensor is missing, extra, or of the wrong shape or dtype.
    Params(String),
    /// A safetensors file could not be read, parsed or written.
    File { path: String, reason: String },
    /// A batch is malformed (JSON, widths, empty, non-finite values).
    Batch(String),
    /// An unknown name (activation, loss, init, engine, preset) or a bad value.
    Parse(String),
    /// The engine exists in the contract but is not built into this binary.
    EngineUnavailable(String),
    /// A framework reported an error while computing.
    Engine { engine: String, reason: String },
}

impl Error {
    /// True for mistakes in what the user gave (exit status 2 in the binary).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Error::Engine { .. })
    }

    /// Wraps any displayable framework error for `engine`.
    pub fn engine(engine: &str, reason: impl fmt::Display) -> Self {
        Error::Engine {
            engine: engine.to_string(),
            reason: one_line(&reason.to_string()),
        }
    }
}

/// Collapses a multi-line message (framework errors carry backtraces) into its first line.
pub fn one_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Spec(m) => write!(f, "network: {m}"),
            Error::Params(m) => write!(f, "params: {m}"),
            Error::File { path, reason } => write!(f, "{path}: {reason}"),
            Error::Batch(m) => write!(f, "batch: {m}"),
            Error::Parse(m) => write!(f, "{m}"),
            Error::EngineUnavailable(m) => write!(f, "engine: {m}"),
            Error::Engine { engine, reason } => write!(f, "engine {engine} failed: {reason}"),
        }
    }
}

impl std::error::Error for Error {}
