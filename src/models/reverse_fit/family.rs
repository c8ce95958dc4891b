//! The grid, the bimodal target on it, and the discretized Gaussian family
//! q_θ with its moments; the validation of grids, targets and parameters.

use super::{FitError, Gaussian};
use crate::measures::{normalize, validate_distribution};

/// K points evenly spaced on [−half_width, half_width], symmetric about 0.
///
/// ```text
/// xᵢ = half_width · (2i − (K − 1)) / (K − 1),   i = 0 … K − 1
/// ```
///
/// # Errors
/// [`FitError::BadParameter`] if `half_width` is not finite and positive or
/// `points` < 3.
///
/// # Example
/// ```
/// use logloss_proofs::models::reverse_fit::symmetric_grid;
/// assert_eq!(symmetric_grid(1.0, 3).unwrap(), vec![-1.0, 0.0, 1.0]);
/// ```
pub fn symmetric_grid(half_width: f64, points: usize) -> Result<Vec<f64>, FitError> {
    if !(half_width.is_finite() && half_width > 0.0) {
        return Err(FitError::BadParameter {
            name: "half_width",
            value: half_width,
            reason: "must be finite and positive",
        });
    }
    if points < 3 {
        return Err(FitError::BadParameter {
            name: "points",
            value: points as f64,
            reason: "at least 3 grid points",
        });
    }
    let k = (points - 1) as f64;
    Ok((0..points)
        .map(|i| half_width * ((2 * i) as f64 - k) / k)
        .collect())
}

/// A two-Gaussian mixture discretized on a grid: the bimodal target.
///
/// ```text
/// p(xᵢ) ∝ w·exp(−(xᵢ + m)²/(2s²)) + (1 − w)·exp(−(xᵢ − m)²/(2s²))
/// grid: K points on [−L, L],  L = 2(m + 2s)
/// ```
///
/// Why L = 2(m + 2s): the grid reaches 4s beyond each mode, and its uniform
/// variance, at least L²/3 = (4/3)(m + 2s)² > m² + s² ≥ Var(p), exceeds p's,
/// so the moment-matching Gaussian has σ² > 0 (the forward optimum is interior).
#[derive(Debug, Clone, PartialEq)]
pub struct BimodalTarget {
    /// Half the distance between the modes.
    pub m: f64,
    /// The components' standard deviation.
    pub s: f64,
    /// The weight of the component at −m.
    pub w: f64,
    /// The grid.
    pub points: Vec<f64>,
    /// The probabilities on the grid (normalized, compensated sum).
    pub p: Vec<f64>,
}

impl BimodalTarget {
    /// The discretized mixture with half-separation `m`, component standard
    /// deviation `s`, weight `w` at −m, on `k` grid points.
    ///
    /// # Errors
    /// [`FitError::BadParameter`] for m < 0, s ≤ 0, w ∉ [0, 1], a non-finite
    /// value, or k < 3.
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::models::reverse_fit::BimodalTarget;
    /// let t = BimodalTarget::new(2.0, 0.5, 0.5, 101).unwrap();
    /// assert_eq!(t.points[0], -6.0); // L = 2(m + 2s)
    /// assert_eq!(t.p[25], t.p[75]); // symmetric at w = 1/2
    /// ```
    pub fn new(m: f64, s: f64, w: f64, k: usize) -> Result<Self, FitError> {
        if !(m.is_finite() && m >= 0.0) {
            return Err(FitError::BadParameter {
                name: "m",
                value: m,
                reason: "must be finite and non-negative",
            });
        }
        if !(s.is_finite() && s > 0.0) {
            return Err(FitError::BadParameter {
                name: "s",
                value: s,
                reason: "must be finite and positive",
            });
        }
        if !(0.0..=1.0).contains(&w) {
            return Err(FitError::BadParameter {
                name: "w",
                value: w,
                reason: "must be a probability in [0, 1]",
            });
        }
        let points = symmetric_grid(2.0 * (m + 2.0 * s), k)?;
        let (lw1, lw2) = (w.ln(), (-w).ln_1p());
        let log_weight: Vec<f64> = points
            .iter()
            .map(|&x| {
                let a = lw1 - (x + m) * (x + m) / (2.0 * s * s);
                let b = lw2 - (x - m) * (x - m) / (2.0 * s * s);
                let hi = a.max(b);
                hi + (a.min(b) - hi).exp().ln_1p()
            })
            .collect();
        let top = log_weight.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = log_weight.iter().map(|l| (l - top).exp()).collect();
        let p = normalize(&weights)?;
        Ok(BimodalTarget { m, s, w, points, p })
    }
}

/// The Gaussian with the mean and standard deviation of p on the grid: the
/// continuous-family forward-KL optimum, and the frame of [`fit_forward`](super::fit_forward).
///
/// ```text
/// μ = Σ pᵢ xᵢ,   σ² = Σ pᵢ (xᵢ − μ)²
/// ```
///
/// # Errors
/// As [`fit_forward`](super::fit_forward)'s validation of `points` and `p`.
///
/// # Example
/// ```
/// use logloss_proofs::models::reverse_fit::moment_match;
/// let g = moment_match(&[-1.0, 0.0, 1.0], &[0.25, 0.5, 0.25]).unwrap();
/// assert_eq!((g.mu, g.sigma), (0.0, 0.5f64.sqrt()));
/// ```
pub fn moment_match(points: &[f64], p: &[f64]) -> Result<Gaussian, FitError> {
    validate(points, p)?;
    Ok(moments(points, p))
}

pub(super) fn moments(points: &[f64], p: &[f64]) -> Gaussian {
    let mu: f64 = points.iter().zip(p).map(|(x, w)| w * x).sum();
    let var: f64 = points
        .iter()
        .zip(p)
        .map(|(x, w)| w * (x - mu) * (x - mu))
        .sum();
    Gaussian {
        mu,
        sigma: var.sqrt(),
    }
}

/// The discretized Gaussian q_θ on the grid (see the module docs), normalized.
///
/// # Errors
/// [`FitError::BadParameter`] for a non-finite μ or a σ that is not finite
/// and positive; [`FitError::NotFinite`] for a non-finite grid point.
///
/// # Example
/// ```
/// use logloss_proofs::models::reverse_fit::{discretized_gaussian, Gaussian};
/// let q = discretized_gaussian(&[-1.0, 0.0, 1.0], Gaussian { mu: 0.0, sigma: 1.0 }).unwrap();
/// assert_eq!(q[0], q[2]);
/// assert!(q[1] > q[0]);
/// ```
pub fn discretized_gaussian(points: &[f64], g: Gaussian) -> Result<Vec<f64>, FitError> {
    check_gaussian(g)?;
    check_points(points)?;
    let e: Vec<f64> = points
        .iter()
        .map(|&x| -(x - g.mu) * (x - g.mu) / (2.0 * g.sigma * g.sigma))
        .collect();
    let top = e.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = e.iter().map(|v| (v - top).exp()).collect();
    Ok(normalize(&w)?)
}

pub(super) fn check_gaussian(g: Gaussian) -> Result<(), FitError> {
    if !g.mu.is_finite() {
        return Err(FitError::BadParameter {
            name: "mu",
            value: g.mu,
            reason: "must be finite",
        });
    }
    if !(g.sigma.is_finite() && g.sigma > 0.0) {
        return Err(FitError::BadParameter {
            name: "sigma",
            value: g.sigma,
            reason: "must be finite and positive",
        });
    }
    Ok(())
}

pub(super) fn check_points(points: &[f64]) -> Result<(), FitError> {
    if let Some(index) = points.iter().position(|x| !x.is_finite()) {
        return Err(FitError::NotFinite {
            index,
            value: points[index],
        });
    }
    let mut sorted = points.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    if sorted.len() < 3 {
        return Err(FitError::TooFewPoints {
            distinct: sorted.len(),
        });
    }
    Ok(())
}

pub(super) fn validate(points: &[f64], p: &[f64]) -> Result<(), FitError> {
    check_points(points)?;
    if points.len() != p.len() {
        return Err(FitError::LengthMismatch {
            points: points.len(),
            p: p.len(),
        });
    }
    validate_distribution("p", p)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Moment matching: p = (¼, ½, ¼) on (−1, 0, 1) has mean 0 and variance
    /// ¼ + ¼ = ½ (exact sums), so σ = √½ (one correctly rounded root).
    #[test]
    fn moment_matching_takes_the_mean_and_variance() {
        let g = moment_match(&[-1.0, 0.0, 1.0], &[0.25, 0.5, 0.25]).unwrap();
        assert_eq!((g.mu, g.sigma), (0.0, 0.5f64.sqrt()));
        // Shifted and lopsided: p = (½, ½) on (1, 3): mean 2, variance 1.
        let g = moment_match(&[1.0, 3.0, 5.0], &[0.5, 0.5, 0.0]).unwrap();
        assert_eq!((g.mu, g.sigma), (2.0, 1.0));
    }

    /// The grid runs from −w to w in equal steps 2w/(n − 1): at w = 6 and
    /// n = 61 the points are 6(2i − 60)/60, so −6, 0 and 6 exactly at
    /// i = 0, 30, 60, and every point is the negative of its mirror image.
    #[test]
    fn the_grid_is_symmetric_with_equal_steps() {
        let x = symmetric_grid(6.0, 61).unwrap();
        assert_eq!(x.len(), 61);
        assert_eq!((x[0], x[30], x[60]), (-6.0, 0.0, 6.0));
        for i in 0..61 {
            assert_eq!(x[i], -x[60 - i], "point {i}");
        }
    }
}
