//! Truths (the data-generating distributions) and model families, as parsed
//! from specifications such as `laplace:0,1` or `categorical:0.5`.

use std::fmt;
use std::str::FromStr;

use statrs::function::gamma::{digamma, ln_gamma};

/// An error in a truth or model specification.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecError {
    /// The family name is not known.
    #[error("unknown {what} family {name:?} (known: {known})")]
    UnknownFamily {
        /// "truth" or "model".
        what: &'static str,
        /// The name given.
        name: String,
        /// The names accepted.
        known: &'static str,
    },
    /// The wrong number of parameters.
    #[error("{family} takes {expected}, got {got} parameter(s) in {spec:?}")]
    ParameterCount {
        /// The family.
        family: &'static str,
        /// What it takes, in words.
        expected: &'static str,
        /// How many were given.
        got: usize,
        /// The whole specification.
        spec: String,
    },
    /// A parameter is not a number.
    #[error("{family}: parameter {index} ({text:?}) is not a number")]
    NotANumber {
        /// The family.
        family: &'static str,
        /// The parameter's index.
        index: usize,
        /// The text given.
        text: String,
    },
    /// A parameter is out of its range.
    #[error("{family}: {parameter} = {value} {requirement}")]
    BadParameter {
        /// The family.
        family: &'static str,
        /// The parameter's name.
        parameter: &'static str,
        /// The value given.
        value: f64,
        /// What it must satisfy, e.g. "must be positive".
        requirement: &'static str,
    },
    /// The probabilities of a categorical truth are not a distribution.
    #[error("categorical truth: {0}")]
    Probabilities(#[from] crate::measures::MeasureError),
    /// The model cannot be fitted to data from this truth.
    #[error("model {model} cannot be fitted to data from {truth}: {reason}")]
    Incompatible {
        /// The model's name.
        model: String,
        /// The truth's specification.
        truth: String,
        /// Why.
        reason: &'static str,
    },
}

/// A data-generating distribution with the moments the theory needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Truth {
    /// Normal(μ, σ).
    Normal {
        /// Mean μ.
        mean: f64,
        /// Standard deviation σ > 0.
        std_dev: f64,
    },
    /// Laplace(μ, b), density exp(−|x − μ|/b)/(2b).
    Laplace {
        /// Location μ.
        location: f64,
        /// Scale b > 0.
        scale: f64,
    },
    /// Student's t with ν degrees of freedom (location 0, scale 1).
    StudentT {
        /// Degrees of freedom ν > 0.
        dof: f64,
    },
    /// Uniform on [a, b].
    Uniform {
        /// Lower end a.
        low: f64,
        /// Upper end b > a.
        high: f64,
    },
    /// Exponential with rate λ, density λ·exp(−λx) on x ≥ 0.
    Exponential {
        /// Rate λ > 0.
        rate: f64,
    },
    /// A categorical distribution on {0, …, C−1}.
    Categorical(Vec<f64>),
}

const TRUTHS: &str = "normal:MU,SIGMA, laplace:MU,B, student-t:NU, uniform:A,B, exponential:RATE, categorical:P1,P2,…";
const MODELS: &str = "normal, exponential, bernoulli, categorical[:ALPHA]";

fn numbers(family: &'static str, params: &str) -> Result<Vec<f64>, SpecError> {
    if params.trim().is_empty() {
        return Ok(Vec::new());
    }
    params
        .split(',')
        .enumerate()
        .map(|(index, t)| {
            t.trim().parse::<f64>().map_err(|_| SpecError::NotANumber {
                family,
                index,
                text: t.to_string(),
            })
        })
        .collect()
}

/// The parameters as an array of exactly `N`, or
/// [`SpecError::ParameterCount`] naming the `expected` count.
fn exactly<const N: usize>(
    family: &'static str,
    expected: &'static str,
    spec: &str,
    v: &[f64],
) -> Result<[f64; N], SpecError> {
    <[f64; N]>::try_from(v).map_err(|_| SpecError::ParameterCount {
        family,
        expected,
        got: v.len(),
        spec: spec.to_string(),
    })
}

fn finite(family: &'static str, parameter: &'static str, value: f64) -> Result<f64, SpecError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(SpecError::BadParameter {
            family,
            parameter,
            value,
            requirement: "must be finite",
        })
    }
}

fn positive(family: &'static str, parameter: &'static str, value: f64) -> Result<f64, SpecError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(SpecError::BadParameter {
            family,
            parameter,
            value,
            requirement: "must be positive and finite",
        })
    }
}

impl FromStr for Truth {
    type Err = SpecError;

    /// Parses `normal:MU,SIGMA`, `laplace:MU,B`, `student-t:NU`, `uniform:A,B`,
    /// `exponential:RATE` or `categorical:P1,P2,…`.
    fn from_str(spec: &str) -> Result<Self, SpecError> {
        let (name, params) = spec.split_once(':').unwrap_or((spec, ""));
        let family: &'static str = match name.trim() {
            "normal" => "normal",
            "laplace" => "laplace",
            "student-t" => "student-t",
            "uniform" => "uniform",
            "exponential" => "exponential",
            "categorical" => "categorical",
            other => {
                return Err(SpecError::UnknownFamily {
                    what: "truth",
                    name: other.to_string(),
                    known: TRUTHS,
                });
            }
        };
        let v = numbers(family, params)?;
        let truth = match family {
            "normal" => {
                let [mean, std_dev] = exactly(family, "2 (MU,SIGMA)", spec, &v)?;
                Truth::Normal { mean, std_dev }
            }
            "laplace" => {
                let [location, scale] = exactly(family, "2 (MU,B)", spec, &v)?;
                Truth::Laplace { location, scale }
            }
            "student-t" => {
                let [dof] = exactly(family, "1 (NU)", spec, &v)?;
                Truth::StudentT { dof }
            }
            "uniform" => {
                let [low, high] = exactly(family, "2 (A,B)", spec, &v)?;
                Truth::Uniform { low, high }
            }
            "exponential" => {
                let [rate] = exactly(family, "1 (RATE)", spec, &v)?;
                Truth::Exponential { rate }
            }
            _ => Truth::Categorical(v),
        };
        truth.validate()?;
        Ok(truth)
    }
}

impl fmt::Display for Truth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Truth::Normal { mean, std_dev } => write!(f, "normal:{mean},{std_dev}"),
            Truth::Laplace { location, scale } => write!(f, "laplace:{location},{scale}"),
            Truth::StudentT { dof } => write!(f, "student-t:{dof}"),
            Truth::Uniform { low, high } => write!(f, "uniform:{low},{high}"),
            Truth::Exponential { rate } => write!(f, "exponential:{rate}"),
            Truth::Categorical(p) => {
                let parts: Vec<String> = p.iter().map(|x| x.to_string()).collect();
                write!(f, "categorical:{}", parts.join(","))
            }
        }
    }
}

/// Moments of a real-valued truth: mean, variance, and the standardized
/// third, fourth and sixth central moments (skewness, kurtosis and
/// E(X − EX)⁶/Var³; 0, 3 and 15 for a normal). `None` where infinite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// E X.
    pub mean: f64,
    /// Var X, or +∞.
    pub variance: f64,
    /// E(X − EX)³ / Var^(3/2), or NaN where E|X|³ is infinite (it is then undefined).
    pub skewness: f64,
    /// E(X − EX)⁴ / Var², or +∞.
    pub kurtosis: f64,
    /// E(X − EX)⁶ / Var³, or +∞.
    pub sixth: f64,
}

impl Truth {
    /// Checks the parameters, as parsing does, for a truth built directly.
    ///
    /// # Errors
    /// [`SpecError::BadParameter`] for a non-finite location or a scale, rate
    /// or degrees of freedom that is not positive and finite, or bounds out of
    /// order; [`SpecError::Probabilities`] for categorical probabilities that
    /// are not a distribution.
    ///
    /// ```
    /// use logloss_proofs::estimators::Truth;
    /// assert!(Truth::Normal { mean: 0.0, std_dev: -1.0 }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), SpecError> {
        match *self {
            Truth::Normal { mean, std_dev } => {
                finite("normal", "MU", mean)?;
                positive("normal", "SIGMA", std_dev).map(drop)
            }
            Truth::Laplace { location, scale } => {
                finite("laplace", "MU", location)?;
                positive("laplace", "B", scale).map(drop)
            }
            Truth::StudentT { dof } => positive("student-t", "NU", dof).map(drop),
            Truth::Uniform { low, high } => {
                finite("uniform", "A", low)?;
                finite("uniform", "B", high)?;
                if high <= low {
                    return Err(SpecError::BadParameter {
                        family: "uniform",
                        parameter: "B",
                        value: high,
                        requirement: "must exceed A",
                    });
                }
                Ok(())
            }
            Truth::Exponential { rate } => positive("exponential", "RATE", rate).map(drop),
            Truth::Categorical(ref p) => Ok(crate::measures::validate_distribution("p", p)?),
        }
    }

    /// Mean, variance, skewness, kurtosis and standardized sixth central
    /// moment in closed form (real-valued truths only; `None` for a
    /// categorical truth and for Student's t with ν ≤ 1, which has no mean).
    ///
    /// ```text
    ///              mean      variance        skewness   kurtosis         sixth
    /// normal       μ         σ²              0          3                15
    /// laplace      μ         2b²             0          6                90 = 6!b⁶/(2b²)³
    /// uniform      (a+b)/2   (b−a)²/12       0          9/5              27/7
    /// exponential  1/λ       1/λ²            2          9                265
    /// student-t    0         ν/(ν−2), ν > 2  0, ν > 3   3 + 6/(ν−4), ν > 4   15(ν−2)²/((ν−4)(ν−6)), ν > 6
    /// ```
    ///
    /// The exponential's central moments in units of 1/λ are the
    /// subfactorials (1, 2, 9, 44, 265 for orders 2 to 6); the uniform's
    /// are h^k/(k+1) for even k with h = (b−a)/2. A moment whose order
    /// reaches [`Truth::moment_index`] is +∞ (skewness: NaN, undefined).
    ///
    /// ```
    /// use logloss_proofs::estimators::Truth;
    /// let m = "laplace:0,1".parse::<Truth>()?.moments().unwrap();
    /// assert_eq!((m.variance, m.kurtosis, m.sixth), (2.0, 6.0, 90.0));
    /// # Ok::<(), logloss_proofs::estimators::SpecError>(())
    /// ```
    pub fn moments(&self) -> Option<Moments> {
        Some(match *self {
            Truth::Normal { mean, std_dev } => Moments {
                mean,
                variance: std_dev * std_dev,
                skewness: 0.0,
                kurtosis: 3.0,
                sixth: 15.0,
            },
            Truth::Laplace { location, scale } => Moments {
                mean: location,
                variance: 2.0 * scale * scale,
                skewness: 0.0,
                kurtosis: 6.0,
                sixth: 90.0,
            },
            Truth::Uniform { low, high } => Moments {
                mean: 0.5 * (low + high),
                variance: (high - low).powi(2) / 12.0,
                skewness: 0.0,
                kurtosis: 1.8,
                sixth: 27.0 / 7.0,
            },
            Truth::Exponential { rate } => Moments {
                mean: 1.0 / rate,
                variance: 1.0 / (rate * rate),
                skewness: 2.0,
                kurtosis: 9.0,
                sixth: 265.0,
            },
            Truth::StudentT { dof } => {
                if dof <= 1.0 {
                    return None; // no mean
                }
                Moments {
                    mean: 0.0,
                    variance: if dof > 2.0 {
                        dof / (dof - 2.0)
                    } else {
                        f64::INFINITY
                    },
                    skewness: if dof > 3.0 { 0.0 } else { f64::NAN },
                    kurtosis: if dof > 4.0 {
                        3.0 + 6.0 / (dof - 4.0)
                    } else {
                        f64::INFINITY
                    },
                    sixth: if dof > 6.0 {
                        15.0 * (dof - 2.0) * (dof - 2.0) / ((dof - 4.0) * (dof - 6.0))
                    } else {
                        f64::INFINITY
                    },
                }
            }
            Truth::Categorical(_) => return None,
        })
    }

    /// The moment index: E|X|ᵏ is finite exactly for k below it. ν for
    /// Student's t (its density decays as |x|^−(ν+1)); +∞ for the other
    /// truths, whose tails are exponential or bounded.
    ///
    /// ```
    /// use logloss_proofs::estimators::Truth;
    /// assert_eq!(Truth::StudentT { dof: 5.0 }.moment_index(), 5.0);
    /// assert_eq!("laplace:0,1".parse::<Truth>()?.moment_index(), f64::INFINITY);
    /// # Ok::<(), logloss_proofs::estimators::SpecError>(())
    /// ```
    pub fn moment_index(&self) -> f64 {
        match *self {
            Truth::StudentT { dof } => dof,
            _ => f64::INFINITY,
        }
    }

    /// The differential entropy h(p) (real-valued truths) or the Shannon
    /// entropy H(p) (categorical), in nats.
    ///
    /// ```text
    /// normal: ½ ln(2πeσ²)   laplace: 1 + ln 2b   uniform: ln(b − a)   exponential: 1 − ln λ
    /// student-t: (ν+1)/2·[ψ((ν+1)/2) − ψ(ν/2)] + ln(√ν·B(ν/2, ½))
    /// ```
    pub fn entropy(&self) -> f64 {
        match self {
            Truth::Normal { std_dev, .. } => {
                0.5 * (2.0 * std::f64::consts::PI * std::f64::consts::E).ln() + std_dev.ln()
            }
            Truth::Laplace { scale, .. } => 1.0 + (2.0 * scale).ln(),
            Truth::Uniform { low, high } => (high - low).ln(),
            Truth::Exponential { rate } => 1.0 - rate.ln(),
            Truth::StudentT { dof } => {
                let v = *dof;
                let ln_beta = ln_gamma(v / 2.0) + ln_gamma(0.5) - ln_gamma((v + 1.0) / 2.0);
                (v + 1.0) / 2.0 * (digamma((v + 1.0) / 2.0) - digamma(v / 2.0))
                    + 0.5 * v.ln()
                    + ln_beta
            }
            Truth::Categorical(p) => crate::measures::entropy(p).unwrap_or(f64::NAN),
        }
    }

    /// Whether the truth puts all its mass on x ≥ 0.
    pub fn nonnegative(&self) -> bool {
        match *self {
            Truth::Exponential { .. } => true,
            Truth::Uniform { low, .. } => low >= 0.0,
            _ => false,
        }
    }
}

/// A model family fitted by maximum likelihood (with optional smoothing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    /// Normal(μ, σ²), fitted by the sample mean and the 1/n variance.
    Normal,
    /// Exponential(λ), fitted by λ̂ = 1/x̄.
    Exponential,
    /// Bernoulli (a categorical truth with two categories), fitted by the frequency.
    Bernoulli,
    /// Categorical with additive smoothing α ≥ 0: q̂ₖ = (Nₖ + α)/(n + Cα); α = 0 is the MLE.
    Categorical {
        /// The smoothing α ≥ 0.
        alpha: f64,
    },
}

impl FromStr for Model {
    type Err = SpecError;

    /// Parses `normal`, `exponential`, `bernoulli`, `categorical` or `categorical:ALPHA`.
    fn from_str(spec: &str) -> Result<Self, SpecError> {
        let (name, params) = spec.split_once(':').unwrap_or((spec, ""));
        let v = numbers("categorical", params)?;
        let none = |family: &'static str| exactly::<0>(family, "no parameters", spec, &v);
        match name.trim() {
            "normal" => none("normal").map(|[]| Model::Normal),
            "exponential" => none("exponential").map(|[]| Model::Exponential),
            "bernoulli" => none("bernoulli").map(|[]| Model::Bernoulli),
            "categorical" => {
                let alpha = match v.len() {
                    0 => 0.0,
                    1 => v[0],
                    _ => exactly::<1>("categorical", "0 or 1 (ALPHA)", spec, &v).map(|[a]| a)?,
                };
                check_alpha(alpha)?;
                Ok(Model::Categorical { alpha })
            }
            other => Err(SpecError::UnknownFamily {
                what: "model",
                name: other.to_string(),
                known: MODELS,
            }),
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Model::Normal => write!(f, "normal"),
            Model::Exponential => write!(f, "exponential"),
            Model::Bernoulli => write!(f, "bernoulli"),
            Model::Categorical { alpha } => write!(f, "categorical:{alpha}"),
        }
    }
}

/// The categorical model's smoothing α: finite and non-negative (α = 0 is
/// the plain maximum-likelihood estimate).
pub(crate) fn check_alpha(alpha: f64) -> Result<(), SpecError> {
    if alpha.is_finite() && alpha >= 0.0 {
        Ok(())
    } else {
        Err(SpecError::BadParameter {
            family: "categorical",
            parameter: "ALPHA",
            value: alpha,
            requirement: "must be finite and non-negative",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The other families' closed forms at parameters other than 1 (where a
    /// product and a quotient can agree): Normal(1, 2) (1, 4, 0, 3, 15),
    /// Laplace(½, 3/2) (½, 2·9/4, 0, 6, 90), Uniform(1, 4) (5/2, 9/12, 0,
    /// 9/5, 27/7), Exponential(2) (½, ¼, 2, 9, 265). Every value is exact in
    /// binary but 9/5 and 27/7, which are the same literals.
    #[test]
    fn moments_follow_the_closed_forms() {
        let m = |s: &str| {
            let m = s.parse::<Truth>().unwrap().moments().unwrap();
            (m.mean, m.variance, m.skewness, m.kurtosis, m.sixth)
        };
        assert_eq!(m("normal:1,2"), (1.0, 4.0, 0.0, 3.0, 15.0));
        assert_eq!(m("laplace:0.5,1.5"), (0.5, 4.5, 0.0, 6.0, 90.0));
        assert_eq!(m("uniform:1,4"), (2.5, 0.75, 0.0, 1.8, 27.0 / 7.0));
        assert_eq!(m("exponential:2"), (0.5, 0.25, 2.0, 9.0, 265.0));
    }

    /// Student's t with ν degrees of freedom: mean 0 for ν > 1, variance
    /// ν/(ν − 2) for ν > 2 (else ∞), skewness 0 for ν > 3 (else undefined),
    /// kurtosis 3 + 6/(ν − 4) for ν > 4 (else ∞), sixth moment
    /// 15(ν − 2)²/((ν − 4)(ν − 6)) for ν > 6 (else ∞); no mean at ν ≤ 1. At
    /// ν = 8: 8/6, 4.5 and 540/8 = 67.5, each one correctly rounded
    /// quotient of exact integers (8/6 and 4/3 round to the same double).
    #[test]
    fn student_t_moments_follow_the_closed_forms() {
        let m = Truth::StudentT { dof: 8.0 }.moments().unwrap();
        assert_eq!(m.mean, 0.0);
        assert_eq!(m.variance, 4.0 / 3.0);
        assert_eq!((m.skewness, m.kurtosis, m.sixth), (0.0, 4.5, 67.5));
        // At ν = 8, 3 + 6/4 = 3·6/4: ν = 10 tells the sum from a product.
        let m = Truth::StudentT { dof: 10.0 }.moments().unwrap();
        assert_eq!((m.variance, m.kurtosis, m.sixth), (1.25, 4.0, 40.0));
        let m = Truth::StudentT { dof: 6.0 }.moments().unwrap();
        assert_eq!((m.kurtosis, m.sixth), (6.0, f64::INFINITY));
        let m = Truth::StudentT { dof: 3.0 }.moments().unwrap();
        assert_eq!((m.variance, m.kurtosis), (3.0, f64::INFINITY));
        assert!(m.skewness.is_nan());
        let m = Truth::StudentT { dof: 2.0 }.moments().unwrap();
        assert_eq!(m.variance, f64::INFINITY);
        assert!(Truth::StudentT { dof: 1.0 }.moments().is_none());
    }

    /// The standardized moments again, from the raw moments by another
    /// route. Exponential(1): E Xʲ = j!, so μₖ = Σⱼ C(k, j)·j!·(−1)^(k−j)
    /// (mean 1) in integers: exact. Uniform(0, 1): E Uʲ = 1/(j + 1), mean ½,
    /// μₖ = Σⱼ C(k, j)/(j + 1)·(−½)^(k−j): each term is one rounded quotient
    /// times exact powers of two (2u relative), and a sum of at most 7 terms
    /// adds 6u of their absolute sum S, so |error| ≤ 8u·S; the standardized
    /// ratio adds a few more roundings, bounded by 32u·S/μ₂^(k/2). Student's
    /// t(13): E T^(2k) = ν^k Γ(k + ½)Γ(ν/2 − k)/(Γ(½)Γ(ν/2)). The sixth
    /// standardized moment E T⁶/(E T²)³ takes 4 + 3·4 = 16 ln Γ values, each
    /// good to 1e−14 absolute (statrs' own tests): exp(1.6e−13) − 1 relative,
    /// plus a few roundings of the exponentials and powers: 2e−13 relative.
    #[test]
    fn higher_moments_follow_from_the_raw_moments() {
        let u = crate::numerics::U;
        // Exponential(1), in integers.
        let fact = |j: i64| (1..=j).product::<i64>();
        let choose = |k: i64, j: i64| fact(k) / (fact(j) * fact(k - j));
        let central = |k: i64| -> i64 {
            (0..=k)
                .map(|j| choose(k, j) * fact(j) * if (k - j) % 2 == 0 { 1 } else { -1 })
                .sum()
        };
        let e = Truth::Exponential { rate: 1.0 }.moments().unwrap();
        assert_eq!(central(2), 1);
        assert_eq!(
            (e.skewness, e.kurtosis, e.sixth),
            (central(3) as f64, central(4) as f64, central(6) as f64)
        );
        // Uniform(0, 1), in floating point with the bound above.
        let central = |k: i32| -> (f64, f64) {
            let terms: Vec<f64> = (0..=k)
                .map(|j| choose(k as i64, j as i64) as f64 / (j + 1) as f64 * (-0.5f64).powi(k - j))
                .collect();
            (terms.iter().sum(), terms.iter().map(|t| t.abs()).sum())
        };
        let m = Truth::Uniform {
            low: 0.0,
            high: 1.0,
        }
        .moments()
        .unwrap();
        let (var, _) = central(2);
        for (k, got) in [(3, m.skewness), (4, m.kurtosis), (6, m.sixth)] {
            let (mu, sum) = central(k);
            let want = mu / var.powf(k as f64 / 2.0);
            let tol = 32.0 * u * sum / var.powf(k as f64 / 2.0);
            assert!(
                (got - want).abs() <= tol,
                "uniform, order {k}: {got} vs {want}"
            );
        }
        // Student's t(13), from the Gamma functions.
        let nu: f64 = 13.0;
        let even = |k: f64| {
            (k * nu.ln() + ln_gamma(k + 0.5) + ln_gamma(nu / 2.0 - k)
                - ln_gamma(0.5)
                - ln_gamma(nu / 2.0))
            .exp()
        };
        let m = Truth::StudentT { dof: nu }.moments().unwrap();
        let var = even(1.0);
        for (k, got) in [(2.0, m.kurtosis), (3.0, m.sixth)] {
            let want = even(k) / var.powf(k);
            assert!(
                (got - want).abs() <= 2e-13 * want,
                "student-t(13), order {}: {got} vs {want}",
                2.0 * k
            );
        }
    }

    /// Student's t has moments below ν only; the other truths have all.
    #[test]
    fn the_moment_index_is_the_degrees_of_freedom_or_infinite() {
        assert_eq!(Truth::StudentT { dof: 2.5 }.moment_index(), 2.5);
        for s in ["normal:0,1", "laplace:0,1", "uniform:0,1", "exponential:1"] {
            assert_eq!(
                s.parse::<Truth>().unwrap().moment_index(),
                f64::INFINITY,
                "{s}"
            );
        }
    }

    /// Only truths with no mass below 0 suit the Exponential model.
    #[test]
    fn nonnegative_truths_are_the_exponential_and_uniforms_from_zero() {
        let truth = |s: &str| s.parse::<Truth>().unwrap();
        assert!(truth("exponential:2").nonnegative());
        assert!(truth("uniform:0,1").nonnegative());
        assert!(truth("uniform:0.5,1").nonnegative());
        assert!(!truth("uniform:-0.5,1").nonnegative());
        assert!(!truth("normal:5,1").nonnegative());
        assert!(!truth("categorical:0.5,0.5").nonnegative());
    }

    /// Closed forms written another way: Normal ½(1 + ln 2π) + ln σ, Laplace
    /// 1 + ln 2 + ln b, uniform ln(b − a), exponential 1 − ln λ. Each side
    /// takes at most two logarithms (2u relative each) and three roundings of
    /// results below 4, so 16ε absolute covers both.
    #[test]
    fn entropies_match_their_closed_forms() {
        use std::f64::consts::{LN_2, PI};
        let cases = [
            (
                Truth::Normal {
                    mean: 1.0,
                    std_dev: 3.0,
                },
                0.5 * (1.0 + (2.0 * PI).ln()) + 3f64.ln(),
            ),
            (
                Truth::Laplace {
                    location: -1.0,
                    scale: 0.25,
                },
                1.0 + LN_2 + 0.25f64.ln(),
            ),
            (
                Truth::Uniform {
                    low: -1.0,
                    high: 2.0,
                },
                3f64.ln(),
            ),
            (Truth::Exponential { rate: 4.0 }, 1.0 - 2.0 * LN_2),
        ];
        for (truth, want) in cases {
            let h = truth.entropy();
            assert!(
                (h - want).abs() <= 16.0 * f64::EPSILON,
                "{truth:?}: {h} vs {want}"
            );
        }
    }

    /// Student-t with one degree of freedom is the Cauchy distribution, whose
    /// entropy is ln(4π): (ψ(1) − ψ(½)) + ln B(½, ½) = 2 ln 2 + ln π. The
    /// formula takes two values of ψ and three of ln Γ from statrs, whose own
    /// tests hold them to 1e−14 absolute: 5e−14, plus 8ε for the rounding of
    /// the few operations on results below 4.
    #[test]
    fn student_t_entropy_at_one_degree_of_freedom_is_the_cauchy_entropy() {
        let h = Truth::StudentT { dof: 1.0 }.entropy();
        let want = (4.0 * std::f64::consts::PI).ln();
        assert!(
            (h - want).abs() <= 5e-14 + 8.0 * f64::EPSILON,
            "{h} vs {want}"
        );
    }
}
