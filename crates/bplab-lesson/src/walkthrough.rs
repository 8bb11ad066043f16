//! The whole walkthrough as one value: the worked example ([`crate::measure`]), its SGD step,
//! its cross-checks and the practice tasks ([`crate::practice`]), and whether every check
//! passed.

use crate::measure::{cross_check, pass, seed_network, update, Column, Pass, Update};
use crate::practice::{self, Practice};
use bplab_core::{Activation, Result};

/// Everything `bplab lesson` shows: the worked example, its SGD step, its cross-checks and the
/// practice tasks.
#[derive(Debug, Clone)]
pub struct Lesson {
    pub worked: Pass,
    pub update: Update,
    /// Every other selected engine, then finite differences.
    pub columns: Vec<Column>,
    pub practice: Practice,
}

impl Lesson {
    /// Runs the worked example and the practice tasks; `engine` selects the cross-checks.
    pub fn run(engine: &str) -> Result<Lesson> {
        let net = seed_network(Activation::Sigmoid)?;
        let worked = pass(&net, &[1.0, 2.0], 0.5)?;
        Ok(Lesson {
            update: update(&net, &worked)?,
            columns: cross_check(&net, &worked, engine)?,
            practice: practice::run()?,
            worked,
        })
    }

    /// Every comparison within its tolerance and task 4's zeros exactly where `z₁ ≤ 0`.
    pub fn passed(&self) -> bool {
        let p = &self.practice;
        self.columns.iter().all(Column::passed)
            && p.task1_fd.passed()
            && p.task2_fd.passed()
            && p.task4_exact_zero
    }
}
