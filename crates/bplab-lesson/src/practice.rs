//! The lesson's four practice tasks, each on the manual engine and checked by central finite
//! differences: (1) another input and target, `x = [−1, 1]`, `y = 0.8`; (2) a hidden layer of
//! 5 from a stated init and seed; (3) the gradient check, every element (the worked example's
//! finite-difference column, [`crate::measure::fd_column`]); (4) ReLU in the hidden layer,
//! where a unit with `z ≤ 0` gets exactly zero gradient.

use crate::config::{PRACTICE_2_SEED, PRACTICE_2_SIGMA};
use crate::measure::{fd_column, pass, seed_network, Column, Pass};
use bplab_core::{Activation, Init, NetSpec, Network, Result};

/// The lesson's input and target.
pub const LESSON_X: [f64; 2] = [1.0, 2.0];
pub const LESSON_Y: f64 = 0.5;
/// Practice task 1's input and target.
pub const TASK1_X: [f64; 2] = [-1.0, 1.0];
pub const TASK1_Y: f64 = 0.8;

/// Every task's result.
#[derive(Debug, Clone)]
pub struct Practice {
    /// Task 1: the pass and its finite-difference check.
    pub task1: Pass,
    pub task1_fd: Column,
    /// Task 2: the network used (its weights are printed), the pass and its check.
    pub task2_net: Network,
    pub task2: Pass,
    pub task2_fd: Column,
    /// Task 4: the ReLU pass and the hidden units with `z₁ ≤ 0`.
    pub task4: Pass,
    pub task4_dead: Vec<usize>,
    /// Whether every dead unit's `fc1.weight` row and `fc1.bias` are exactly 0 and every live
    /// unit's are not.
    pub task4_exact_zero: bool,
}

/// `2 → 5 → 1` sigmoid with mse, weights `normal:0.5` from seed 42.
pub fn task2_network() -> Result<Network> {
    let spec = NetSpec::new(
        vec![2, 5, 1],
        vec![Activation::Sigmoid; 2],
        bplab_core::Loss::Mse,
        false,
    )?;
    let params = Init::Normal(PRACTICE_2_SIGMA).params(&spec, PRACTICE_2_SEED);
    Network::new(spec, params)
}

/// The `bplab grads` command that reproduces task 2's weights and gradients.
pub fn task2_command() -> String {
    format!(
        "bplab grads --layers 2,5,1 --activations sigmoid,sigmoid --loss mse --init normal:{PRACTICE_2_SIGMA} --seed {PRACTICE_2_SEED} --input 1,2 --target 0.5 --engine manual"
    )
}

/// Runs the four tasks.
pub fn run() -> Result<Practice> {
    let net = seed_network(Activation::Sigmoid)?;
    let task1 = pass(&net, &TASK1_X, TASK1_Y)?;
    let task1_fd = fd_column(&net, &task1)?;

    let task2_net = task2_network()?;
    let task2 = pass(&task2_net, &LESSON_X, LESSON_Y)?;
    let task2_fd = fd_column(&task2_net, &task2)?;

    let relu = seed_network(Activation::Relu)?;
    let task4 = pass(&relu, &LESSON_X, LESSON_Y)?;
    let task4_dead: Vec<usize> = (0..task4.z1.len())
        .filter(|&j| task4.z1[j] <= 0.0)
        .collect();
    let task4_exact_zero = (0..task4.z1.len()).all(|j| {
        let row = &task4.dw1[2 * j..2 * j + 2];
        let zero = row.iter().all(|&v| v == 0.0) && task4.db1[j] == 0.0;
        zero == task4_dead.contains(&j)
    });
    Ok(Practice {
        task1,
        task1_fd,
        task2_net,
        task2,
        task2_fd,
        task4,
        task4_dead,
        task4_exact_zero,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task1_sum_of_dw1_is_exactly_zero_but_its_elements_are_not() {
        let p = run().unwrap();
        assert_eq!(p.task1.sum_dw1(), 0.0);
        assert!(p.task1.dw1.iter().all(|&v| v != 0.0), "{:?}", p.task1.dw1);
        assert!(p.task1_fd.passed() && p.task2_fd.passed());
    }

    #[test]
    fn task4_dead_units_are_exactly_those_with_nonpositive_z() {
        let p = run().unwrap();
        assert!(!p.task4_dead.is_empty() && p.task4_dead.len() < 3);
        assert!(p.task4_exact_zero);
    }
}
