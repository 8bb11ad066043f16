//! The error type of every `bplab-*` library crate: one variant per kind of user or input
//! mistake, each rendering as a single line that names the problem.

use std::fmt;

/// Result alias used across the library crates.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the library. Every variant is an input or usage error
/// (a binary maps them to exit status 2) except [`Error::Engine`], a failure inside a framework.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The network description is inconsistent (widths, activations, loss).
    #[error("network: {0}")]
    Spec(String),
    /// A parameter tensor is missing, extra, or of the wrong shape or dtype.
    #[error("params: {0}")]
    Params(String),
    /// A file or directory could not be read, parsed or written.
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    /// An I/O operation other than a file's failed (the server's socket): `what` names the
    /// operation's owner (`serve`), `reason` says what went wrong, with the system's message.
    #[error("{what}: {reason}")]
    Io { what: String, reason: String },
    /// A batch is malformed (JSON, widths, empty, non-finite values).
    #[error("batch: {0}")]
    Batch(String),
    /// An unknown name (activation, loss, init, engine, preset) or a bad value.
    #[error("{0}")]
    Parse(String),
    /// The engine exists in the contract but is not built into this binary.
    #[error("engine: {0}")]
    EngineUnavailable(String),
    /// A framework reported an error while computing.
    #[error("engine {engine} failed: {reason}")]
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

    /// A failed read or write of `path`: `doing` says what was attempted (`cannot write the
    /// HTML page`), the system's message follows in parentheses.
    pub fn file(path: impl AsRef<std::path::Path>, doing: &str, e: &std::io::Error) -> Self {
        Error::File {
            path: path.as_ref().display().to_string(),
            reason: format!("{doing} ({e})"),
        }
    }
}

/// Collapses a multi-line message (framework errors carry backtraces) into its first line.
pub fn one_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_renders_as_before() {
        let cases = [
            (Error::Spec("x".into()), "network: x"),
            (Error::Params("x".into()), "params: x"),
            (
                Error::File {
                    path: "a.json".into(),
                    reason: "cannot read".into(),
                },
                "a.json: cannot read",
            ),
            (
                Error::Io {
                    what: "serve".into(),
                    reason: "cannot listen".into(),
                },
                "serve: cannot listen",
            ),
            (Error::Batch("x".into()), "batch: x"),
            (Error::Parse("x".into()), "x"),
            (Error::EngineUnavailable("x".into()), "engine: x"),
            (
                Error::engine("candle", "bad\nbacktrace"),
                "engine candle failed: bad",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(e.to_string(), want);
            assert_eq!(e.is_input_error(), !matches!(e, Error::Engine { .. }));
        }
    }
}
