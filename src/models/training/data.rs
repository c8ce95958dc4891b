//! The Palmer penguins, embedded in the crate: parsing with typed errors, a
//! seeded train/held-out split, and standardization by the training split.

use rand::RngExt;

use crate::models::training::TrainingError;

/// The embedded CSV (`data/penguins.csv`, CC0 1.0; Gorman, Williams &
/// Fraser 2014, PLoS ONE 9(3):e90081, distributed by the palmerpenguins
/// package). Its SHA-256 is [`PENGUINS_SHA256`].
pub const PENGUINS_CSV: &str = include_str!("../../../data/penguins.csv");

/// The SHA-256 of [`PENGUINS_CSV`], as published in `data/README.md`.
pub const PENGUINS_SHA256: &str =
    "f204db2c753b0937caac3cb35258562c14f073e4bbc76be24b4c51ce22767a93";

/// The header the parser requires.
pub const HEADER: &str =
    "species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year";

/// The three species, in class-index order.
pub const SPECIES: [&str; 3] = ["Adelie", "Chinstrap", "Gentoo"];

/// The four numeric features, in column order.
pub const FEATURES: [&str; 4] = [
    "bill_length_mm",
    "bill_depth_mm",
    "flipper_length_mm",
    "body_mass_g",
];

/// Columns of the model's input: a constant 1 (the bias) and the four
/// standardized features.
pub const INPUTS: usize = 5;

/// The number of classes of the species task.
pub const CLASSES: usize = 3;

/// One complete row of the CSV.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Penguin {
    /// Index into [`SPECIES`].
    pub species: usize,
    /// The four measurements, in [`FEATURES`] order (mm, mm, mm, g).
    pub features: [f64; 4],
    /// Whether the row's `sex` is `male` (the binary task's label).
    pub male: bool,
}

/// The parsed file: complete rows and how many rows had an `NA`.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The rows without a missing value, in file order.
    pub rows: Vec<Penguin>,
    /// Data rows with an `NA` in a feature or in `sex` (dropped).
    pub dropped: usize,
}

fn bad(line: usize, column: &'static str, value: &str) -> TrainingError {
    TrainingError::Csv {
        line,
        column,
        value: value.to_string(),
    }
}

/// Parses the penguins CSV: the header must be [`HEADER`]; a row with `NA`
/// in a feature or in `sex` is dropped and counted.
///
/// # Errors
/// [`TrainingError::Csv`] naming the 1-based line, the column and the value
/// for a wrong header, a wrong number of fields, an unknown species or sex,
/// or a feature that is not a finite number.
///
/// # Example
/// ```
/// use logloss_proofs::models::training::data::{parse, HEADER};
/// let csv = format!("{HEADER}\nGentoo,Biscoe,46.1,13.2,211,4500,female,2007\nAdelie,Dream,NA,NA,NA,NA,NA,2007\n");
/// let parsed = parse(&csv).unwrap();
/// assert_eq!((parsed.rows.len(), parsed.dropped), (1, 1));
/// assert_eq!(parsed.rows[0].species, 2);
/// assert!(parse("species\nx").is_err());
/// ```
pub fn parse(csv: &str) -> Result<Parsed, TrainingError> {
    let mut lines = csv.lines();
    let header = lines.next().unwrap_or("");
    if header != HEADER {
        return Err(bad(1, "header", header));
    }
    let mut rows = Vec::new();
    let mut dropped = 0;
    for (i, line) in lines.enumerate() {
        let number = i + 2;
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != 8 {
            return Err(bad(number, "row (8 fields)", line));
        }
        let species = SPECIES
            .iter()
            .position(|s| *s == fields[0])
            .ok_or_else(|| bad(number, "species", fields[0]))?;
        if fields[2..=6].contains(&"NA") {
            dropped += 1;
            continue;
        }
        let mut features = [0.0; 4];
        for (k, f) in features.iter_mut().enumerate() {
            let text = fields[2 + k];
            *f = text
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(number, FEATURES[k], text))?;
        }
        let male = match fields[6] {
            "male" => true,
            "female" => false,
            other => return Err(bad(number, "sex", other)),
        };
        rows.push(Penguin {
            species,
            features,
            male,
        });
    }
    Ok(Parsed { rows, dropped })
}

/// One split of the data, ready for the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Inputs: 1 (bias) and the standardized features.
    pub x: Vec<[f64; INPUTS]>,
    /// Species class indices.
    pub species: Vec<usize>,
    /// The binary labels: 1 for male, 0 for female.
    pub male: Vec<f64>,
}

impl Split {
    /// The number of examples.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether the split has no example.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }
}

/// The data set of the training page.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Data rows in the file.
    pub rows_in_file: usize,
    /// Rows dropped for a missing value.
    pub dropped: usize,
    /// The training split.
    pub train: Split,
    /// The held-out split.
    pub held_out: Split,
    /// Means of the four features over the training split (mm, mm, mm, g).
    pub mean: [f64; 4],
    /// Standard deviations (divisor n) over the training split.
    pub std: [f64; 4],
}

/// The share of complete rows that go to training: 2/3.
pub const TRAIN_NUMERATOR: usize = 2;
/// The denominator of the training share.
pub const TRAIN_DENOMINATOR: usize = 3;

/// The stream name of the split: `crate::seed::stream(seed, SPLIT_STREAM, 0)`.
pub const SPLIT_STREAM: &str = "training/split";

/// Parses the embedded CSV, shuffles the complete rows with the stream
/// (`seed`, [`SPLIT_STREAM`], 0) (Fisher–Yates), keeps the first
/// ⌊2n/3⌋ for training and standardizes all rows with the training split's
/// mean and standard deviation (divisor n):
///
/// ```text
/// x̃ⱼ = (xⱼ − meanⱼ) / stdⱼ,   input = (1, x̃₁, x̃₂, x̃₃, x̃₄)
/// ```
///
/// # Errors
/// [`TrainingError::Csv`] if the embedded file does not parse (a bug), and
/// [`TrainingError::Degenerate`] if a feature is constant on the training split.
///
/// # Example
/// ```
/// use logloss_proofs::models::training::data::penguins;
/// let d = penguins(2026).unwrap();
/// assert_eq!((d.rows_in_file, d.dropped), (344, 11));
/// assert_eq!((d.train.len(), d.held_out.len()), (222, 111));
/// ```
pub fn penguins(seed: u64) -> Result<Dataset, TrainingError> {
    let parsed = parse(PENGUINS_CSV)?;
    let rows_in_file = parsed.rows.len() + parsed.dropped;
    let mut rows = parsed.rows;
    let mut rng = crate::seed::stream(seed, SPLIT_STREAM, 0);
    for i in (1..rows.len()).rev() {
        let j = rng.random_range(0..=i);
        rows.swap(i, j);
    }
    let n_train = rows.len() * TRAIN_NUMERATOR / TRAIN_DENOMINATOR;
    let (train, held_out) = rows.split_at(n_train);
    let n = train.len() as f64;
    let mut mean = [0.0; 4];
    let mut std = [0.0; 4];
    for k in 0..4 {
        mean[k] = train.iter().map(|r| r.features[k]).sum::<f64>() / n;
        let var = train
            .iter()
            .map(|r| (r.features[k] - mean[k]).powi(2))
            .sum::<f64>()
            / n;
        std[k] = var.sqrt();
        if std[k].is_nan() || std[k] <= 0.0 {
            return Err(TrainingError::Degenerate {
                feature: FEATURES[k],
            });
        }
    }
    let split = |rows: &[Penguin]| Split {
        x: rows
            .iter()
            .map(|r| {
                let mut x = [1.0; INPUTS];
                for k in 0..4 {
                    x[k + 1] = (r.features[k] - mean[k]) / std[k];
                }
                x
            })
            .collect(),
        species: rows.iter().map(|r| r.species).collect(),
        male: rows
            .iter()
            .map(|r| if r.male { 1.0 } else { 0.0 })
            .collect(),
    };
    Ok(Dataset {
        rows_in_file,
        dropped: parsed.dropped,
        train: split(train),
        held_out: split(held_out),
        mean,
        std,
    })
}
