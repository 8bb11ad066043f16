//! The named networks of the command-line contract: `assignment` (the lesson's 4→5→3→2
//! ReLU/tanh/softmax network with cross-entropy) and `seed-example` (the lesson's worked
//! 2→3→1 sigmoid example with its exact NumPy weights).

use crate::batch::Batch;
use crate::error::{Error, Result};
use crate::init::Init;
use crate::params::ParamSet;
use crate::spec::{Activation, Loss, NetSpec};
use crate::tensor::Tensor;
use std::fmt;
use std::str::FromStr;

/// A named network with its default weights and example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// `--layers 4,5,3,2 --activations relu,tanh,softmax --loss cross-entropy`,
    /// `--init xavier-normal --seed 42`, input `0.5,-1.2,0.8,2.0`, target `0,1`.
    Assignment,
    /// The lesson's worked example: `2,3,1` sigmoid/sigmoid with mse, input `1,2`, target `0.5`,
    /// biases zero and NumPy's `np.random.seed(42); randn(3,2)*0.5; randn(1,3)*0.5` weights.
    SeedExample,
}

/// The lesson's `W1 = np.random.randn(3, 2) * 0.5` after `np.random.seed(42)`.
pub const SEED_EXAMPLE_W1: [f64; 6] = [
    0.24835707650561634,
    -0.06913215058559233,
    0.32384426905034625,
    0.7615149282040127,
    -0.11707668736166799,
    -0.11706847847459027,
];
/// The lesson's `W2 = np.random.randn(1, 3) * 0.5` (drawn right after `W1`).
pub const SEED_EXAMPLE_W2: [f64; 3] =
    [0.7896064077536957, 0.3837173645764544, -0.23473719296747605];

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 2] = [Preset::Assignment, Preset::SeedExample];

    /// The contract's name.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Assignment => "assignment",
            Preset::SeedExample => "seed-example",
        }
    }

    /// Widths, activations, loss (no residual).
    pub fn parts(self) -> (Vec<usize>, Vec<Activation>, Loss) {
        use Activation::*;
        match self {
            Preset::Assignment => (
                vec![4, 5, 3, 2],
                vec![Relu, Tanh, Softmax],
                Loss::CrossEntropy,
            ),
            Preset::SeedExample => (vec![2, 3, 1], vec![Sigmoid, Sigmoid], Loss::Mse),
        }
    }

    /// The description.
    pub fn spec(self) -> NetSpec {
        let (w, a, l) = self.parts();
        NetSpec::new(w, a, l, false).expect("presets are valid")
    }

    /// The init scheme and seed used when the preset's own weights do not apply.
    pub fn default_init(self) -> (Init, u64) {
        match self {
            Preset::Assignment => (Init::XavierNormal, 42),
            // The lesson draws randn(...) * 0.5.
            Preset::SeedExample => (Init::Normal(0.5), 42),
        }
    }

    /// The preset's fixed weights, if it has any.
    pub fn fixed_params(self) -> Option<ParamSet> {
        match self {
            Preset::Assignment => None,
            Preset::SeedExample => Some(ParamSet::from_entries(vec![
                (
                    "fc1.weight".into(),
                    Tensor {
                        shape: vec![3, 2],
                        data: SEED_EXAMPLE_W1.to_vec(),
                    },
                ),
                ("fc1.bias".into(), Tensor::zeros(&[3])),
                (
                    "fc2.weight".into(),
                    Tensor {
                        shape: vec![1, 3],
                        data: SEED_EXAMPLE_W2.to_vec(),
                    },
                ),
                ("fc2.bias".into(), Tensor::zeros(&[1])),
            ])),
        }
    }

    /// The built-in example: `(input, target)` in the inline form.
    pub fn example(self) -> (&'static str, &'static str) {
        match self {
            Preset::Assignment => ("0.5,-1.2,0.8,2.0", "0,1"),
            Preset::SeedExample => ("1,2", "0.5"),
        }
    }

    /// The built-in example as a batch.
    pub fn batch(self) -> Batch {
        let (x, y) = self.example();
        Batch::from_inline(x, y).expect("preset examples are valid")
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                Error::Parse(format!(
                    "--preset: unknown preset '{s}' (expected assignment or seed-example)"
                ))
            })
    }
}
