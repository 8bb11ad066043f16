//! Typed command-line values and the flag groups that several commands share, so that a
//! flag is declared once and checked by clap before anything runs: counts with their
//! ranges ([`count`], [`whole`]), finite numbers ([`positive`], [`non_negative`]), the
//! engine selection ([`EngineSelection`]) and the engine/precision/format group
//! ([`EngineArgs`]). Every rejection is one line naming the flag, the value and the rule;
//! the binary prints clap's message whole on one line and exits 2.
//!
//! Names parsed from text that the library already knows (`DType`, `Init`, `Activation`,
//! `Loss`, `Clip`, `Preset`, `Fault`) use their `FromStr` through [`parsed`]
//! (`#[arg(value_parser = flags::parsed::<Init>)]`), so the accepted spellings exist once and
//! clap's "invalid value 'x' for '--init <NAME>': …" does not name the flag twice. A list of
//! names with `all` is a [`Pick`] per item, expanded by [`picks`].
//!
//! [`one_line`] renders any clap error as the one line the binary prints.

use crate::engines::ENGINE_NAMES;
use bplab_core::{Activation, DType, Error};
use bplab_output::table::Format;
use clap::builder::{RangedU64ValueParser, TypedValueParser};
use clap::Args;
use std::ffi::OsStr;
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

/// `T`'s own `FromStr` as a clap value parser. Library messages that begin with a flag name
/// (`--init: unknown scheme 'x' …`) lose it, since clap names the flag already.
pub fn parsed<T: FromStr<Err = Error>>(s: &str) -> Result<T, String> {
    s.parse::<T>()
        .map_err(|e| without_flag(&e.to_string()).to_string())
}

/// `"--dtype: unknown dtype 'f16'"` → `"unknown dtype 'f16'"`; other messages unchanged.
pub fn without_flag(message: &str) -> &str {
    match message.split_once(": ") {
        Some((flag, rest))
            if flag.starts_with("--")
                && flag.len() > 2
                && flag[2..]
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-') =>
        {
            rest
        }
        _ => message,
    }
}

/// One item of a comma-separated list that may also say `all` (`--config seed-b1,wide-b256`,
/// `--op all`): `#[arg(value_delimiter = ',', value_parser = …)] config: Vec<Pick<T>>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick<T> {
    All,
    One(T),
}

impl<T> Pick<T> {
    /// `all`, or whatever `one` makes of the item.
    pub fn parse(s: &str, one: impl FnOnce(&str) -> Result<T, String>) -> Result<Self, String> {
        match s.trim() {
            "all" => Ok(Pick::All),
            item => one(item).map(Pick::One),
        }
    }
}

/// The picked items in the order given, or every one of `all` if any item is `all`.
pub fn picks<T: Copy>(picked: &[Pick<T>], all: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(picked.len());
    for p in picked {
        match p {
            Pick::All => return all.to_vec(),
            Pick::One(t) => out.push(*t),
        }
    }
    out
}

/// A clap error as one line: every line of its message before the `Usage:` block and the
/// `For more information` hint, trimmed and joined by spaces (`error: the argument '--batch
/// <FILE.json>' cannot be used with: --input <ROWS>`).
pub fn one_line(e: &clap::Error) -> String {
    let text = e.to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        "error: invalid arguments".to_string()
    } else {
        lines.join(" ")
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
            if !crate::engines::is_known(n) {
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

/// `--engine`: the engines a command runs — every command that runs engines flattens this one
/// group, so the flag reads and checks the same everywhere. Derefs to the [`EngineSelection`].
#[derive(Args, Debug, Clone, Default)]
pub struct EngineFlag {
    /// manual, burn-ndarray, burn-flex, candle, burn-custom, candle-custom, a comma-separated list, or all.
    #[arg(long, default_value = "all", value_name = "NAME", value_parser = parsed::<EngineSelection>)]
    pub engine: EngineSelection,
}

impl std::ops::Deref for EngineFlag {
    type Target = EngineSelection;
    fn deref(&self) -> &EngineSelection {
        &self.engine
    }
}

/// `--dtype f64|f32` (default f64): the precision the engines compute in. Derefs to the
/// [`DType`].
#[derive(Args, Debug, Clone)]
pub struct DTypeFlag {
    /// f64 (default) or f32.
    #[arg(long, default_value = "f64", value_name = "DTYPE", value_parser = parsed::<DType>)]
    pub dtype: DType,
}

impl std::ops::Deref for DTypeFlag {
    type Target = DType;
    fn deref(&self) -> &DType {
        &self.dtype
    }
}

/// Engine, precision and output format: `grads`, `check` and `viz`.
#[derive(Args, Debug, Clone)]
pub struct EngineArgs {
    #[command(flatten)]
    pub engine: EngineFlag,
    #[command(flatten)]
    pub dtype: DTypeFlag,
    /// table (default) or json.
    #[arg(long, value_enum, default_value_t = Format::Table, value_name = "FORMAT")]
    pub format: Format,
    #[command(flatten)]
    pub memory: crate::budget::MemoryFlag,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_flag_name_is_dropped_once() {
        assert_eq!(
            without_flag("--dtype: unknown dtype 'f16'"),
            "unknown dtype 'f16'"
        );
        assert_eq!(
            without_flag("--input needs --target"),
            "--input needs --target"
        );
        assert_eq!(without_flag("unknown loss 'x': y"), "unknown loss 'x': y");
        let e = parsed::<DType>("f16").unwrap_err();
        assert!(e.starts_with("unknown dtype 'f16'"), "{e}");
    }

    #[test]
    fn all_anywhere_picks_everything() {
        let one = |s: &str| s.parse::<u8>().map_err(|e| e.to_string());
        let p: Vec<Pick<u8>> = ["2", "1"]
            .iter()
            .map(|s| Pick::parse(s, one).unwrap())
            .collect();
        assert_eq!(picks(&p, &[1, 2, 3]), vec![2, 1]);
        let p = vec![Pick::One(2), Pick::parse(" all", one).unwrap()];
        assert_eq!(picks(&p, &[1, 2, 3]), vec![1, 2, 3]);
        assert!(Pick::parse("x", one).is_err());
    }
}

/// A finite number in `(0, max]` as a clap value parser (a time budget, a standard
/// deviation): `#[arg(value_parser = positive_up_to(3600.0))]`.
pub fn positive_up_to(max: f64) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync {
    move |s: &str| match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= max => Ok(v),
        _ => Err(format!("'{s}' is not a number in (0, {max}]")),
    }
}

/// A hidden layer's activation: any [`Activation`] but softmax, which is for output layers.
pub fn hidden_activation(s: &str) -> Result<Activation, String> {
    match Activation::from_str(s).map_err(|e| e.to_string())? {
        Activation::Softmax => Err("softmax is an output activation, not a hidden one".into()),
        a => Ok(a),
    }
}

/// `p` applied to a list item with its surrounding spaces removed (`--depths "2, 5"`).
pub fn trimmed<P: TypedValueParser>(p: P) -> Trimmed<P> {
    Trimmed(p)
}

/// The value parser of [`trimmed`].
#[derive(Debug, Clone)]
pub struct Trimmed<P>(P);

impl<P: TypedValueParser> TypedValueParser for Trimmed<P> {
    type Value = P::Value;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<P::Value, clap::Error> {
        match value.to_str() {
            Some(s) => self.0.parse_ref(cmd, arg, OsStr::new(s.trim())),
            None => self.0.parse_ref(cmd, arg, value),
        }
    }
}
