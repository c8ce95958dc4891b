//! Claim 8 (b): in a restricted family, a logistic regression σ(θ·x), the
//! Brier (squared) loss and the log loss have different minimizers.
//!
//! The search needs no Brier fit to refute the statement: a minimizer of
//! the Brier risk in the open parameter space is a stationary point of it,
//! so if the log-loss minimizer θ* were a Brier minimizer, ∇B(θ*) would be
//! 0. The log-loss fit θ̂ is certified within e of θ*, and ∇B moves by at
//! most its Lipschitz constant times e between them; a gradient beyond that
//! (and its rounding) shows the two minimizers differ.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use crate::claims::failure::failed;
use crate::claims::harness::{U, Worst, agree, row};
use crate::claims::{CheckFailure, Counterexample};
use crate::models::linalg::norm2;
use crate::models::{LogisticFit, LogisticNll, NewtonOptions, fit_logistic, sigmoid};
use crate::numerics::format::{short, short_vector as fmt_vec};

/// Data of a logistic regression on one feature with an intercept: level j
/// of the feature is xⱼ = j − 1 (so −1, 0, 1, 2), with `zeros[j]` examples
/// labelled 0 and `ones[j]` labelled 1 there.
#[derive(Debug, Clone)]
pub(super) struct Levels {
    zeros: Vec<u32>,
    ones: Vec<u32>,
}

/// 2 to 4 levels, each with 1 to 4 examples of either label (so the data
/// are never separable and the log-loss minimizer exists). With two levels
/// the family can match both levels' frequencies, and both losses are
/// minimized there: the statement holds; with more levels it usually fails.
/// Counts are drawn for four levels and the case is the first L, so
/// shrinking lowers L and each count independently.
pub(super) fn arb_levels() -> BoxedStrategy<Levels> {
    (
        2usize..=4,
        proptest::collection::vec(1u32..=4, 4),
        proptest::collection::vec(1u32..=4, 4),
    )
        .prop_map(|(l, zeros, ones)| Levels {
            zeros: zeros[..l].to_vec(),
            ones: ones[..l].to_vec(),
        })
        .boxed()
}

impl Levels {
    /// The rows (1, xⱼ) and labels, level by level.
    fn data(&self) -> (Vec<Vec<f64>>, Vec<f64>) {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (j, (&a, &b)) in self.zeros.iter().zip(&self.ones).enumerate() {
            let v = j as f64 - 1.0;
            for label in
                std::iter::repeat_n(0.0, a as usize).chain(std::iter::repeat_n(1.0, b as usize))
            {
                x.push(vec![1.0, v]);
                y.push(label);
            }
        }
        (x, y)
    }

    fn fit(&self) -> Result<(LogisticNll, LogisticFit), CheckFailure> {
        let (x, y) = self.data();
        let objective = LogisticNll::new(&x, &y).map_err(failed("LogisticNll::new"))?;
        let fit =
            fit_logistic(&x, &y, &NewtonOptions::default()).map_err(failed("fit_logistic"))?;
        Ok((objective, fit))
    }
}

/// Per-example derivatives of the Brier loss (σ(s) − y)² in the score s,
/// rᵢ = 2(σᵢ − yᵢ)σᵢσ(−sᵢ), with bounds ρᵢ on their rounding: each sigmoid
/// within εᵢ = 1.01(6u + ζᵢe^ζᵢ) relative (its own 6u, and the score's
/// rounding ζᵢ, which moves ln σ by at most ζᵢ); σ − y within σεᵢ + u|σ − y|;
/// the products 2u more relative: ρᵢ = 1.01(2σσ'(σεᵢ + u|σ − y|) + |rᵢ|(2εᵢ + 2u)).
fn brier_derivatives(f: &LogisticNll, theta: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (s, zeta) = f.scores(theta);
    s.iter()
        .zip(&zeta)
        .zip(f.targets())
        .map(|((&si, &zi), &yi)| {
            let (p, q) = (sigmoid(si), sigmoid(-si));
            let a = p - yi;
            let r = 2.0 * a * p * q;
            let eps = 1.01 * (6.0 * U + zi * zi.exp());
            let rho =
                1.01 * (2.0 * p * q * (p * eps + U * a.abs()) + r.abs() * (2.0 * eps + 2.0 * U));
            (r, rho)
        })
        .unzip()
}

/// A bound on the Brier risk's Hessian in norm: per example
/// ℓ″(s) = 2σ(1 − σ)[σ(1 − σ) + (σ − y)(1 − 2σ)], at most 2·¼·(¼ + 1) =
/// 0.625 in size for y ∈ [0, 1], so ‖∇²B‖₂ ≤ 0.625·maxᵢ‖xᵢ‖₂².
const BRIER_CURVATURE: f64 = 0.625;

/// The false statement (b), for one data set: the log-loss minimizer θ* of
/// the logistic family is a minimizer of the Brier risk B(θ) =
/// (1/n)Σ(σ(θ·xᵢ) − yᵢ)², so ∇B(θ*) = 0. At the certified fit θ̂
/// (‖θ̂ − θ*‖₂ ≤ e): ‖∇̃B(θ̂)‖₂ ≤ ‖ρ‖₂ + 0.625·R²·e, with ρ the computed
/// gradient's entrywise rounding bound (`pull_back`) and R = maxᵢ‖xᵢ‖₂;
/// 1.01 for the bound's own rounding, and the norm's γ_{d+3} in [`agree`].
/// A data set whose log-loss fit fails compares nothing.
pub(super) fn log_loss_fit_is_brier_stationary(
    case: &Levels,
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    let Ok((f, fit)) = case.fit() else {
        return Ok(());
    };
    let (r, rho) = brier_derivatives(&f, &fit.weights);
    let g = f.pull_back(&r, &rho);
    let reach = (0..f.rows()).map(|i| norm2(f.row(i))).fold(0.0, f64::max);
    let bound = 1.01
        * (norm2(&g.error) + BRIER_CURVATURE * reach * reach * fit.certificate.parameter_error);
    agree(
        w,
        "‖∇ Brier risk‖ at the log-loss fit, against 0",
        &g.gradient,
        &vec![0.0; g.gradient.len()],
        bound,
    )
}

/// A Brier fit for the counterexample's display: Newton's method on B from
/// the log-loss fit, with the exact Hessian (1/n)Σℓ″(sᵢ)xᵢxᵢᵀ, at most 100
/// steps, stopped when the step is below 1e−12. Shown, not certified: the
/// refutation rests on [`log_loss_fit_is_brier_stationary`] alone.
fn brier_fit(f: &LogisticNll, start: &[f64]) -> Option<Vec<f64>> {
    let mut theta = start.to_vec();
    let n = f.rows() as f64;
    for _ in 0..100 {
        let (s, _) = f.scores(&theta);
        let (mut g, mut h) = ([0.0; 2], [0.0; 4]);
        for (i, (&si, &yi)) in s.iter().zip(f.targets()).enumerate() {
            let (p, q) = (sigmoid(si), sigmoid(-si));
            let d1 = 2.0 * (p - yi) * p * q;
            let d2 = 2.0 * p * q * (p * q + (p - yi) * (1.0 - 2.0 * p));
            let x = f.row(i);
            for j in 0..2 {
                g[j] += d1 * x[j] / n;
                for l in 0..2 {
                    h[2 * j + l] += d2 * x[j] * x[l] / n;
                }
            }
        }
        let det = h[0] * h[3] - h[1] * h[2];
        if !(det > 0.0 && h[0] > 0.0) {
            return None;
        }
        let step = [
            (h[3] * g[0] - h[1] * g[1]) / det,
            (h[0] * g[1] - h[2] * g[0]) / det,
        ];
        theta[0] -= step[0];
        theta[1] -= step[1];
        if step[0].hypot(step[1]) < 1e-12 {
            return theta.iter().all(|t| t.is_finite()).then_some(theta);
        }
    }
    None
}

pub(super) fn show_levels(case: &Levels) -> Counterexample {
    let levels: Vec<String> = (0..case.zeros.len())
        .map(|j| {
            format!(
                "x = {}: {} × 0, {} × 1",
                j as f64 - 1.0,
                case.zeros[j],
                case.ones[j]
            )
        })
        .collect();
    let mut rows = vec![row("(b) data (intercept and x)", levels.join("; "))];
    if let Ok((f, fit)) = case.fit() {
        rows.push(row(
            "(b) log-loss fit θ̂ (intercept, slope)",
            format!(
                "{} ± {:.1e}",
                fmt_vec(&fit.weights),
                fit.certificate.parameter_error
            ),
        ));
        let (r, rho) = brier_derivatives(&f, &fit.weights);
        rows.push(row(
            "(b) ∇ Brier risk at θ̂",
            fmt_vec(&f.pull_back(&r, &rho).gradient),
        ));
        let model: Vec<String> = (0..case.zeros.len())
            .map(|j| {
                let freq = f64::from(case.ones[j]) / f64::from(case.zeros[j] + case.ones[j]);
                let at = sigmoid(fit.weights[0] + (j as f64 - 1.0) * fit.weights[1]);
                format!("{} vs {}", short(freq), short(at))
            })
            .collect();
        rows.push(row(
            "(b) frequency of 1 vs σ(θ̂·x), per level",
            model.join("; "),
        ));
        rows.push(row(
            "(b) Brier fit (Newton from θ̂; shown, not certified)",
            brier_fit(&f, &fit.weights).map_or_else(|| "did not converge".into(), |t| fmt_vec(&t)),
        ));
    }
    Counterexample {
        summary: String::new(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Comparison;
    use crate::claims::failure::assert_fails;

    /// Both sides of the false statement (b). With two levels the family
    /// σ(a + bx) matches both frequencies (¼ and ⅔ here), every residual
    /// σ − y averages to 0 per level, and the Brier gradient vanishes with
    /// the log-loss one: the statement holds, and the check compares. With
    /// three levels at frequencies (¾, ½, ½), which no σ(a + bx) matches,
    /// the log-loss fit weighs the levels' residuals by 1 and the Brier
    /// gradient by σ(1 − σ), unequal across levels: its gradient at the
    /// log-loss fit is far from 0. (Symmetric frequencies such as (⅕, ⅘, ⅕)
    /// would not do: the fit has slope 0 there, every σ(1 − σ) is the same,
    /// and both gradients vanish together.)
    #[test]
    fn the_fits_agree_on_a_saturated_family_only() {
        let two = Levels {
            zeros: vec![3, 1],
            ones: vec![1, 2],
        };
        let mut w = Worst::new();
        assert_eq!(log_loss_fit_is_brier_stationary(&two, &mut w), Ok(()));
        assert_eq!(w.comparisons(), 1);
        let three = Levels {
            zeros: vec![1, 1, 1],
            ones: vec![3, 1, 1],
        };
        let mut w = Worst::new();
        assert_fails(
            log_loss_fit_is_brier_stationary(&three, &mut w),
            Comparison::Close,
            "‖∇ Brier risk‖ at the log-loss fit, against 0",
        );
        // The display's Brier fit has moved away from the log-loss fit.
        let (f, fit) = three.fit().unwrap();
        let b = brier_fit(&f, &fit.weights).expect("Newton converges here");
        assert!(
            (b[0] - fit.weights[0]).abs() > 1e-3,
            "{b:?} vs {:?}",
            fit.weights
        );
    }

    /// The Brier derivative's curvature constant: ℓ″ over a fine grid of
    /// scores and both labels stays below 0.625 (the bound is not attained:
    /// the largest |ℓ″| is about 0.154, within a factor of 5 of it).
    #[test]
    fn the_brier_curvature_bound_covers_its_second_derivative() {
        let mut worst: f64 = 0.0;
        for k in -4000..=4000 {
            let s = f64::from(k) / 200.0;
            let (p, q) = (sigmoid(s), sigmoid(-s));
            for y in [0.0, 1.0] {
                let d2 = 2.0 * p * q * (p * q + (p - y) * (1.0 - 2.0 * p));
                worst = worst.max(d2.abs());
            }
        }
        assert!(
            (BRIER_CURVATURE / 5.0..=BRIER_CURVATURE).contains(&worst),
            "{worst}"
        );
    }
}
