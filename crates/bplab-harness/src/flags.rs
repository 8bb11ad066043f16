//! Typed command-line values and the flag groups that several commands share, so that a
//! flag is declared once and checked by clap before anything runs: counts with their
//! ranges ([`count`], [`whole`]), finite numbers ([`positive`], [`non_negative`]), the
//! engine selection ([`EngineSelection`]) and the engine/precision/format group
//! ([`EngineArgs`]). Every rejection is one line naming the flag, the value and the rule;
//! the binary prints clap's message whole on one line and exits 2.
//!
//! Names parsed from text that the library already knows (`DType`, `Init`, `Activation`,
//! `Loss`, `Clip`, `Preset`, `Fault`) use their `FromStr` directly as the value parser
//! (`#[arg(value_parser = Init::from_str)]`), so the accepted spellings exist once.

use crate::engines::ENGINE_NAMES;
use bplab_core::{DType, Error};
use bplab_output::table::Format;
use clap::builder::RangedU64ValueParser;
use clap::Args;
use std::str::FromStr;

/// A whole number from 1 to `max`: `#[arg(value_parser = flags::count(4096))]`.
pub fn count(max: u64) -> RangedU64ValueParser<usize> {
    whole(1, max)
}

/// A whole number from `lo` to `hi`.
pub fn whole(lo: u64, hi: u64) -> RangedU64ValueParser<usize> {
    RangedU64ValueParser::new().range(lo..=hi)
}

/// A finite number > 0 (a learning rate, a clipping threshold).
pub fn positive(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not a finite number > 0")),
    }
}

/// A finite number ≥ 0 (a tolerance).
pub fn non_negative(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not a finite number ≥ 0")),
    }
}

/// `--engine`: `all`, or a comma-separated list of engine names of the contract. Whether an
/// engine is built into this binary is decided when it is selected
/// ([`crate::engines::select`]), where an engine left out by a cargo feature says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineSelection(String);

impl EngineSelection {
    /// Every engine built in.
    pub fn all() -> Self {
        EngineSelection("all".into())
    }

    /// The selection as the engine registry takes it (`all`, `manual,candle`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for EngineSelection {
    fn default() -> Self {
        Self::all()
    }
}

impl FromStr for EngineSelection {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        if s.trim() == "all" {
            return Ok(Self::all());
        }
        for n in s.split(',').map(str::trim) {
            if !ENGINE_NAMES.contains(&n) {
                return Err(Error::Parse(format!(
                    "unknown engine '{n}' (expected one of: {}, all)",
                    ENGINE_NAMES.join(", ")
                )));
            }
        }
        Ok(EngineSelection(s.to_string()))
    }
}

impl std::fmt::Display for EngineSelection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Engine, precision and output format: `grads`, `check` and `viz`.
#[derive(Args, Debug, Clone)]
pub struct EngineArgs {
    /// manual, burn-ndarray, burn-flex, candle, burn-custom, candle-custom, a comma-separated list, or all.
    #[arg(long, default_value = "all", value_name = "NAME", value_parser = EngineSelection::from_str)]
    pub engine: EngineSelection,
    /// f64 (default) or f32.
    #[arg(long, default_value = "f64", value_name = "DTYPE", value_parser = DType::from_str)]
    pub dtype: DType,
    /// table (default) or json.
    #[arg(long, value_enum, default_value_t = Format::Table, value_name = "FORMAT")]
    pub format: Format,
}
