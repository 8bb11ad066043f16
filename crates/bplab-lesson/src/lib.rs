//! `bplab lesson`, laid out like every study: [`config`] (the command's flags), [`measure`]
//! (the lesson's worked 2-3-1 sigmoid example on the manual engine, step by step, with every
//! other engine and central finite differences beside it), [`practice`] (the lesson's four
//! practice tasks), [`walkthrough`] (all of it as one value), [`text`] (the walkthrough as the
//! terminal shows it) and [`report`] (JSON, the command's [`run`] and the report's
//! [`LessonSection`]).

pub mod config;
pub mod measure;
pub mod practice;
pub mod report;
pub mod text;
pub mod walkthrough;

pub use config::LessonArgs;
pub use report::{run, LessonSection};
