//! Drawing from a truth with a named ChaCha stream.

use rand::distr::Distribution;
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{Exp, Laplace, Normal, StudentsT, Uniform};

use super::alias::AliasTable;
use super::spec::Truth;

/// A sampler for a truth, built once per run.
pub(crate) enum Sampler {
    Normal(Normal),
    Laplace(Laplace),
    StudentT(StudentsT),
    Uniform(Uniform),
    Exponential(Exp),
    Categorical(AliasTable),
}

impl Sampler {
    pub(crate) fn new(truth: &Truth) -> Self {
        // Parameters were validated when the truth was parsed or built by the
        // caller; statrs rejects only what `Truth` parsing rejects too.
        match *truth {
            Truth::Normal { mean, std_dev } => {
                Sampler::Normal(Normal::new(mean, std_dev).expect("valid"))
            }
            Truth::Laplace { location, scale } => {
                Sampler::Laplace(Laplace::new(location, scale).expect("valid"))
            }
            Truth::StudentT { dof } => {
                Sampler::StudentT(StudentsT::new(0.0, 1.0, dof).expect("valid"))
            }
            Truth::Uniform { low, high } => {
                Sampler::Uniform(Uniform::new(low, high).expect("valid"))
            }
            Truth::Exponential { rate } => Sampler::Exponential(Exp::new(rate).expect("valid")),
            Truth::Categorical(ref p) => Sampler::Categorical(AliasTable::new(p)),
        }
    }

    pub(crate) fn real(&self, rng: &mut ChaCha8Rng) -> f64 {
        match self {
            Sampler::Normal(d) => d.sample(rng),
            Sampler::Laplace(d) => d.sample(rng),
            Sampler::StudentT(d) => d.sample(rng),
            Sampler::Uniform(d) => d.sample(rng),
            Sampler::Exponential(d) => d.sample(rng),
            Sampler::Categorical(_) => unreachable!("categorical truths are counted"),
        }
    }
}
