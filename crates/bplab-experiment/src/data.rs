//! The Iris data (`data/iris.csv`, compiled into the binary; source and licence in
//! `data/README.md`) as the two-class task the experiments train on: *versicolor* vs
//! *virginica*, 4 features → 2 classes, 100 rows split into train and test by a seeded
//! shuffle, features standardised with the training rows' mean and standard deviation.

use bplab_core::rng::Rng;
use bplab_core::{Batch, Error, Result};

/// The shipped CSV: a header, then `sepal_length,sepal_width,petal_length,petal_width,species`.
pub const IRIS_CSV: &str = include_str!("../data/iris.csv");

/// The two classes, in one-hot order.
pub const CLASSES: [&str; 2] = ["versicolor", "virginica"];

/// One flower: 4 measurements (cm) and its species.
#[derive(Debug, Clone, PartialEq)]
pub struct Flower {
    pub features: [f64; 4],
    pub species: String,
}

/// Parses the CSV text (header first); a malformed line is an error naming it.
pub fn parse(text: &str) -> Result<Vec<Flower>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || Error::Batch(format!("iris.csv line {}: '{line}'", i + 1));
        let cells: Vec<&str> = line.split(',').collect();
        let [a, b, c, d, s] = cells.as_slice() else {
            return Err(bad());
        };
        let mut features = [0.0; 4];
        for (f, cell) in features.iter_mut().zip([a, b, c, d]) {
            *f = cell.trim().parse().map_err(|_| bad())?;
        }
        out.push(Flower {
            features,
            species: s.trim().to_string(),
        });
    }
    Ok(out)
}

/// The two-class task: train and test batches (`x` `(n, 4)` standardised, `y` one-hot
/// `(n, 2)`), and how many rows each has.
#[derive(Debug, Clone)]
pub struct Task {
    pub train: Batch,
    pub test: Batch,
}

/// *versicolor* vs *virginica*: the 100 rows shuffled with `seed`, the first
/// `round(100·(1 − test_fraction))` for training; features standardised with the training
/// rows' statistics.
pub fn iris_task(seed: u64, test_fraction: f64) -> Result<Task> {
    let mut rows: Vec<Flower> = parse(IRIS_CSV)?
        .into_iter()
        .filter(|f| CLASSES.contains(&f.species.as_str()))
        .collect();
    let mut rng = Rng::stream(seed, 7_000_001);
    for i in (1..rows.len()).rev() {
        rows.swap(i, rng.below(i + 1));
    }
    let n_train = ((rows.len() as f64) * (1.0 - test_fraction)).round() as usize;
    let n_train = n_train.clamp(1, rows.len() - 1);
    let (train, test) = rows.split_at(n_train);
    let mut mean = [0.0; 4];
    let mut sd = [0.0; 4];
    for j in 0..4 {
        mean[j] = train.iter().map(|f| f.features[j]).sum::<f64>() / train.len() as f64;
        let var = train
            .iter()
            .map(|f| (f.features[j] - mean[j]).powi(2))
            .sum::<f64>()
            / train.len() as f64;
        sd[j] = var.sqrt().max(1e-12);
    }
    let batch = |fs: &[Flower]| {
        let x = fs
            .iter()
            .map(|f| (0..4).map(|j| (f.features[j] - mean[j]) / sd[j]).collect())
            .collect();
        let y = fs
            .iter()
            .map(|f| {
                CLASSES
                    .iter()
                    .map(|c| if *c == f.species { 1.0 } else { 0.0 })
                    .collect()
            })
            .collect();
        Batch::from_rows(x, y)
    };
    Ok(Task {
        train: batch(train)?,
        test: batch(test)?,
    })
}

/// One epoch's minibatches of `b` (rows in an order shuffled by `rng`; the last may be
/// smaller). `size` ≥ the batch length gives the whole batch, unshuffled.
pub fn minibatches(b: &Batch, size: usize, rng: &mut Rng) -> Result<Vec<Batch>> {
    let n = b.len();
    if size >= n {
        return Ok(vec![b.clone()]);
    }
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let (nx, ny) = (b.x.shape[1], b.y.shape[1]);
    order
        .chunks(size)
        .map(|idx| {
            let x = idx
                .iter()
                .map(|&i| b.x.data[i * nx..(i + 1) * nx].to_vec())
                .collect();
            let y = idx
                .iter()
                .map(|&i| b.y.data[i * ny..(i + 1) * ny].to_vec())
                .collect();
            Batch::from_rows(x, y)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ships_fishers_150_flowers_and_a_100_row_two_class_task() {
        let all = parse(IRIS_CSV).unwrap();
        assert_eq!(all.len(), 150);
        assert_eq!(all[0].features, [5.1, 3.5, 1.4, 0.2]);
        let t = iris_task(1, 0.3).unwrap();
        assert_eq!((t.train.len(), t.test.len()), (70, 30));
        // Standardised: training features have mean 0.
        let m: f64 = (0..70).map(|i| t.train.x.data[i * 4]).sum::<f64>() / 70.0;
        assert!(m.abs() < 1e-12);
        let per_class: f64 = t.train.y.data.iter().sum::<f64>() + t.test.y.data.iter().sum::<f64>();
        assert_eq!(per_class, 100.0);
    }

    #[test]
    fn minibatches_cover_every_row_once() {
        let t = iris_task(1, 0.3).unwrap();
        let mut rng = Rng::new(3);
        let mb = minibatches(&t.train, 16, &mut rng).unwrap();
        assert_eq!(
            mb.iter().map(Batch::len).collect::<Vec<_>>(),
            [16, 16, 16, 16, 6]
        );
        let sum = |b: &Batch| b.x.data.iter().sum::<f64>();
        let total: f64 = mb.iter().map(sum).sum();
        assert!((total - sum(&t.train)).abs() < 1e-9);
    }
}
