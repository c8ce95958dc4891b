//! Claim 8 (a) on categorical data: the Brier risk is minimized by the
//! MLE p̂ₙ with the Gini impurity as value, below the entropy H(p̂ₙ) (the
//! measures under test); the 0–1 risk sees the model only through its argmax.

use super::{Stated, check_stated};
use crate::claims::CheckFailure;
use crate::claims::failure::{failed, failed_in};
use crate::claims::harness::{U, Worst, contract};
use crate::claims::{Counterexample, Implementation};
use crate::measures::Measure;
use crate::numerics::compensated_sum;
use crate::numerics::format::first_eight as shown;
use crate::numerics::gamma;
use crate::risk::Loss;
use crate::risk::empirical::{empirical_distribution, empirical_risk, label_counts};
use crate::risk::loss::argmax;

/// Bound on a computed Brier risk relative to its value r: per example,
/// 1 − q_y (u) squared (3u in all), a compensated sum over K non-negative
/// terms (u + γ²_K: Sum2's u·|s| + γ²·Σ|tᵢ|, see [`gini_sum_error`]); over
/// the sample a compensated sum (u + γ²ₙ) and /n (u); 1.01 for the
/// second-order rest and the bound's own rounding.
fn brier_error(categories: usize, n: usize, value: f64) -> f64 {
    1.01 * (6.0 * U + gamma(categories).powi(2) + gamma(n).powi(2)) * value
}

/// The computed quantities of [`brier_case`] for a sample and a model q.
struct BrierParts {
    /// p̂ₙ, the stored counts/n.
    p: Vec<f64>,
    /// R_sq(q) and R_sq(p̂ₙ).
    r_q: f64,
    r_p: f64,
    /// Σ(q − p̂)², compensated, and Σ|qₖ − p̂ₖ|·p̂ₖ.
    distance: f64,
    cross: f64,
    /// Σp̂², compensated, and the Gini impurity 1 − Σp̂².
    sum_sq: f64,
    gini: f64,
    /// Σp̂(1 − p̂) and ½Σp̂(1 − p̂)², compensated.
    gini_direct: f64,
    lower: f64,
    /// R₀₁(q) and p̂ₙ(argmax q).
    r01: f64,
    top: f64,
}

fn brier_parts(sample: &[usize], q: &[f64]) -> Result<BrierParts, CheckFailure> {
    let k = q.len();
    let p = empirical_distribution(sample, k).map_err(failed("empirical_distribution"))?;
    let risk =
        |model: &[f64], loss| empirical_risk(sample, model, loss).map_err(failed("empirical_risk"));
    let (r_q, r_p) = (risk(q, Loss::Squared)?, risk(&p, Loss::Squared)?);
    let diffs: Vec<f64> = q.iter().zip(&p).map(|(a, b)| (a - b) * (a - b)).collect();
    let squares: Vec<f64> = p.iter().map(|x| x * x).collect();
    let sum_sq = compensated_sum(&squares);
    let (gini_direct, lower) = gini_sums(&p);
    Ok(BrierParts {
        r_q,
        r_p,
        distance: compensated_sum(&diffs),
        cross: q.iter().zip(&p).map(|(a, b)| (a - b).abs() * b).sum(),
        sum_sq,
        gini: 1.0 - sum_sq,
        gini_direct,
        lower,
        r01: risk(q, Loss::ZeroOne)?,
        top: p[argmax(q)],
        p,
    })
}

/// Σp(1 − p) and ½Σp(1 − p)², each by a compensated sum of its terms
/// p·(1 − p) and ½p·((1 − p)(1 − p)); their errors are [`gini_sum_error`]
/// and [`lower_sum_error`].
fn gini_sums(p: &[f64]) -> (f64, f64) {
    let gini_terms: Vec<f64> = p.iter().map(|x| x * (1.0 - x)).collect();
    let lower_terms: Vec<f64> = p
        .iter()
        .map(|x| 0.5 * x * ((1.0 - x) * (1.0 - x)))
        .collect();
    (compensated_sum(&gini_terms), compensated_sum(&lower_terms))
}

/// What holds for the squared and 0–1 losses on categorical data.
pub(super) fn brier_case(
    m: &dyn Implementation,
    sample: &[usize],
    q: &[f64],
    w: &mut Worst,
) -> Result<(), CheckFailure> {
    check_stated(&brier_comparisons(m, sample, q)?, w)
}

/// The Brier case's comparisons on one sample and model q, each with its
/// bound or slack.
fn brier_comparisons(
    m: &dyn Implementation,
    sample: &[usize],
    q: &[f64],
) -> Result<[Stated; 5], CheckFailure> {
    let (n, k) = (sample.len(), q.len());
    let b = brier_parts(sample, q)?;
    let (r_q, r_p) = (b.r_q, b.r_p);

    // R_sq(q) = Σₖ(qₖ − p*ₖ)² + 1 − Σₖp*ₖ² for the exact p* = counts/n (expand
    // the square and average), for any vector q. With the stored p̂ = p*(1 + δ),
    // |δ| ≤ u: R_sq(q) − R_sq(p̂) = Σ(q − p̂)² + 2Σ(q − p̂)(p̂ − p*), the last
    // term at most 2u(1 + u)·Σ|qₖ − p̂ₖ|·p̂ₖ. So p̂ₙ, the MLE, minimizes it.
    let gap_bound = brier_gap_bound((k, n), (r_q, r_p), b.distance, b.cross);

    // …which is not the NLL at the minimizer, H(p̂ₙ): termwise
    // −ln x ≥ (1 − x) + (1 − x)²/2 on (0, 1] (the series of −ln(1 − y) has
    // non-negative terms), so H(p̂) − Σp̂(1 − p̂) ≥ ½Σp̂(1 − p̂)² > 0 unless p̂ is
    // a point mass.
    let h = m
        .entropy(&b.p)
        .map_err(failed_in("H(p̂ₙ) rejected a valid p̂ₙ"))?;
    let allowance = contract(Measure::Entropy, &b.p, &[]);
    let above_gini = h - b.gini_direct;
    let slack = entropy_gini_slack(k, allowance, (b.gini_direct, b.lower), above_gini);

    Ok([
        Stated::at_least("R_sq(q) − R_sq(p̂ₙ)", r_q - r_p, 0.0, gap_bound),
        Stated::close(
            "R_sq(q) − R_sq(p̂ₙ) − Σ(q − p̂ₙ)²",
            r_q - r_p,
            b.distance,
            gap_bound,
        ),
        // Its value at the minimizer is the Gini impurity 1 − Σp̂².
        Stated::close(
            "R_sq(p̂ₙ) − (1 − Σp̂ₙ²)",
            r_p,
            b.gini,
            gini_bound((k, n), r_p, b.sum_sq, b.gini),
        ),
        Stated::at_least(
            "H(p̂ₙ) − Σp̂(1 − p̂) against ½Σp̂(1 − p̂)²",
            above_gini,
            b.lower,
            slack,
        ),
        // The 0–1 risk sees q only through argmax q: R₀₁(q) = 1 − p̂ₙ(argmax q).
        Stated::close(
            "R₀₁(q) − (1 − p̂ₙ(argmax q))",
            b.r01,
            1.0 - b.top,
            zero_one_bound(b.r01, b.top),
        ),
    ])
}

/// The bound on |R_sq(q) − R_sq(p̂) − Σ(q − p̂)²| for K categories and n
/// examples: both risks' (`brier_error`), their difference u·|R_q − R_p|,
/// Σ(q − p̂)² (a difference and a square, 3u, and the compensated sum,
/// 2u + γ_K²) and the stored p̂'s 2.01u·Σ|qₖ − p̂ₖ|p̂ₖ (`cross`).
fn brier_gap_bound(
    (k, n): (usize, usize),
    (r_q, r_p): (f64, f64),
    distance: f64,
    cross: f64,
) -> f64 {
    brier_error(k, n, r_q)
        + brier_error(k, n, r_p)
        + U * (r_q - r_p).abs()
        + 1.01 * (5.0 * U + gamma(k).powi(2)) * distance
        + 2.01 * U * cross
}

/// The bound on |R_sq(p̂) − (1 − Σp̂²)|: the risk's (`brier_error`), Σp̂²'s
/// (products u, the compensated sum of non-negative terms u + γ_K², with
/// 1.01 for the second-order rest), the subtraction's u·gini, and the
/// stored p̂'s Σ|p̂² − p*²| ≤ 2.01u·Σp̂².
fn gini_bound((k, n): (usize, usize), r_p: f64, sum_sq: f64, gini: f64) -> f64 {
    brier_error(k, n, r_p)
        + 1.01 * (2.0 * U + gamma(k).powi(2)) * sum_sq
        + U * gini
        + 2.01 * U * sum_sq
}

/// The slack of H(p̂) − Σp̂(1 − p̂) ≥ ½Σp̂(1 − p̂)²: H within its allowance
/// under the accuracy contract (`entropy_allowance`, [`contract`] of p̂),
/// Σp̂(1 − p̂) within [`gini_sum_error`], ½Σp̂(1 − p̂)² within
/// [`lower_sum_error`], the difference u.
fn entropy_gini_slack(
    k: usize,
    entropy_allowance: f64,
    (gini, lower): (f64, f64),
    difference: f64,
) -> f64 {
    entropy_allowance + gini_sum_error(k, gini) + lower_sum_error(k, lower) + U * difference.abs()
}

/// The error of Σp(1 − p) over K entries as [`gini_sums`] computes it,
/// given its value g: 1.01·(3u + γ_K²)·g. Each term p·fl(1 − p) rounds
/// twice (1 − p, exact for p ≥ ½, and the product), within 2u + u² of its
/// value; the terms are non-negative, so this is 2u + u² relative to the
/// sum. [`compensated_sum`] is Neumaier's summation, which is Ogita, Rump
/// and Oishi's Sum2 (a TwoSum per term, the exact errors added in plain
/// floating point, one final addition), within u·|s| + γ²_{K−1}·Σ|tᵢ| of
/// the sum s of its terms tᵢ (Accurate sum and dot product, SIAM J. Sci.
/// Comput. 26 (2005), Proposition 4.5), here (u + γ_K²)·s. So 3u + γ_K²
/// relative to the exact sum, and 1.01 covers second-order terms and the
/// bound taken at the computed g rather than the exact one.
fn gini_sum_error(k: usize, gini: f64) -> f64 {
    1.01 * (3.0 * U + gamma(k).powi(2)) * gini
}

/// The error of ½Σp(1 − p)² over K entries as [`gini_sums`] computes it,
/// given its value l: 1.01·(5u + γ_K²)·l. Each term (½p)·(fl(1 − p))²: the
/// halving is exact, 1 − p rounds once and enters squared (2u), the square
/// and the product round once each (2u), so within 4u + O(u²) of its value;
/// the compensated sum (Sum2, as in [`gini_sum_error`]) adds u + γ_K²
/// relative for non-negative terms; 1.01 as there.
fn lower_sum_error(k: usize, lower: f64) -> f64 {
    1.01 * (5.0 * U + gamma(k).powi(2)) * lower
}

/// The bound on |R₀₁(q) − (1 − p̂ₖ)| for k = argmax q: R₀₁ is an exact
/// count divided once (u·R₀₁), p̂ₖ within u·p̂ₖ of the exact ratio, the
/// subtraction u·|1 − p̂ₖ|; 1.01 for the second-order rest and the bound's
/// own rounding (without it, a replay with every rounding at its worst
/// passes the bound by one ULP of it).
fn zero_one_bound(r01: f64, top: f64) -> f64 {
    1.01 * U * (r01 + top + (1.0 - top))
}

pub(super) fn show_brier(sample: &[usize], q: &[f64]) -> Counterexample {
    let mut rows = vec![("n".to_string(), sample.len().to_string())];
    if let Ok(counts) = label_counts(sample, q.len()) {
        rows.push(("label counts".to_string(), shown(&counts)));
    }
    rows.push(("q".to_string(), shown(q)));
    Counterexample {
        summary: "the closed forms of the Brier and 0–1 risks fail on this sample".to_string(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Comparison;
    use crate::claims::failure::assert_fails;
    use crate::test_support::rounding_model::{Model, worst_rounding};
    use crate::test_support::{PREC as P, RM, big};
    use astro_float::BigFloat;

    /// The Brier check's comparison with the entropy fails for an entropy
    /// scaled by 0.8: on the sample (0, 1, 1), p̂ = (⅓, ⅔), H ≈ 0.637,
    /// Σp̂(1 − p̂) = 4/9 and ½Σp̂(1 − p̂)² = 1/9, so H − 4/9 ≈ 0.192 clears
    /// 1/9 while 0.8·H − 4/9 ≈ 0.065 does not.
    #[test]
    fn the_brier_check_fails_for_a_scaled_entropy() {
        use crate::measures::Reference;
        use crate::measures::planted::Affine;
        let (sample, q) = ([0, 1, 1], [0.25, 0.75]);
        assert_eq!(
            brier_case(&Reference, &sample, &q, &mut Worst::new()),
            Ok(())
        );
        let scaled = Affine {
            entropy: (0.8, 0.0),
            ..Affine::EXACT
        };
        assert_fails(
            brier_case(&scaled, &sample, &q, &mut Worst::new()),
            Comparison::AtLeast,
            "H(p̂ₙ) − Σp̂(1 − p̂) against ½Σp̂(1 − p̂)²",
        );
    }

    /// Random samples (n = 1 … 40, and 200 one time in ten) on K = 2 … 8
    /// categories, some categories unseen, and models q mild to steep.
    fn random_brier_case(rng: &mut rand_chacha::ChaCha8Rng, case: usize) -> (Vec<usize>, Vec<f64>) {
        use crate::test_support::bounds::{simplex, uniform};
        use rand::RngExt;
        let k = rng.random_range(2..=8usize);
        let n = if case.is_multiple_of(10) {
            200
        } else {
            rng.random_range(1..=40usize)
        };
        let seen = if case.is_multiple_of(3) { k - 1 } else { k };
        let sample = (0..n).map(|_| rng.random_range(0..seen)).collect();
        let spread = uniform(rng, 0.1, 4.0);
        (sample, simplex(rng, k, spread))
    }

    /// The bounds of the Brier case's comparisons, on random samples and
    /// models ([`random_brier_case`]), each against what it must cover:
    ///
    /// - `brier_gap_bound` and `gini_bound`: the distance between the two
    ///   computed sides of R_sq(q) − R_sq(p̂) = Σ(q − p̂)² and of
    ///   R_sq(p̂) = 1 − Σp̂², whose exact values differ only through the
    ///   stored p̂ ≠ p* (a part of each bound); the distance is the exact
    ///   difference of the f64 values.
    /// - `entropy_gini_slack`: the computed (H − Σp̂(1 − p̂)) − ½Σp̂(1 − p̂)²
    ///   against its exact value for the stored p̂ at 320 bits, with H from
    ///   measures at the contract's edge and from the crate's own.
    /// - `zero_one_bound`: R₀₁(q) against fl(1 − p̂ₖ), both from the exact
    ///   1 − countₖ/n.
    ///
    /// Floors, each a power of two under the worst ratio seen: 2⁻³ for the
    /// gap (0.22 seen: the bound adds both risks' worst cases, 1.01·(6u +
    /// γ²) relative each, of which each risk uses a few u, and the two
    /// errors partly cancel in the difference); 2⁻³ for the Gini value
    /// (0.33 seen: the same for one risk, next to Σp̂²'s rounding); 2⁻¹ for
    /// the entropy slack (1.00 seen: the edge entropy uses nearly all of its
    /// allowance, the slack's main term); 2⁻¹ for the 0–1 risk (0.66 seen:
    /// countₖ/n, 1 − p̂ₖ and the 0–1 risk's division each round by up to u
    /// times their values, the bound's u·(R₀₁ + p̂ₖ + (1 − p̂ₖ))); 2⁻² for the
    /// slack's Gini parts, with H correctly rounded in place of a measure at
    /// the edge so that they carry the slack (0.36 seen: both sums use about
    /// half of their 3u and 5u, as in [`gini_sums_are_within_their_bounds`],
    /// next to H's u·|H|, which a correctly rounded H uses in part). A bound
    /// loosened by the inverse of its floor fails.
    #[test]
    fn brier_case_bounds_cover_their_errors() {
        use crate::measures::Reference;
        use crate::test_support::bounds::bound_checks;
        use crate::test_support::{AtTheEdge, PREC as P, RM, big, error_of};
        bound_checks(
            "brier-case",
            [
                ("claim 8: Brier gap to Σ(q − p̂)²", 0.125),
                ("claim 8: Brier risk at p̂ against 1 − Σp̂²", 0.125),
                ("claim 8: H − Σp̂(1 − p̂) − ½Σp̂(1 − p̂)²", 0.5),
                ("claim 8: 0–1 risk against 1 − p̂ₖ", 0.5),
                ("claim 8: the slack's Gini parts, H correctly rounded", 0.25),
            ],
            300,
            |case, rng, cc, [gap, gini, slack, zero_one, gini_parts]| {
                let (sample, q) = random_brier_case(rng, case);
                let (n, k) = (sample.len(), q.len());
                let b = brier_parts(&sample, &q).unwrap();
                let at = || format!("sample {sample:?}, q {q:?}");
                let diff = big(b.r_q - b.r_p).sub(&big(b.distance), P, RM);
                gap.record(
                    error_of(0.0, &diff, cc),
                    brier_gap_bound((k, n), (b.r_q, b.r_p), b.distance, b.cross),
                    at,
                );
                gini.value(
                    b.r_p,
                    &big(b.gini),
                    gini_bound((k, n), b.r_p, b.sum_sq, b.gini),
                    cc,
                    at,
                );
                // H(p̂) − Σp̂(1 − p̂) − ½Σp̂(1 − p̂)² at 320 bits, the stored p̂ exact.
                let mut exact = big(0.0);
                for &x in b.p.iter().filter(|&&x| x > 0.0) {
                    let (xb, one_minus) = (big(x), big(1.0).sub(&big(x), P, RM));
                    let h = xb.mul(&xb.ln(P, RM, cc), P, RM).neg();
                    let g = xb.mul(&one_minus, P, RM);
                    let l = g.mul(&one_minus, P, RM).div(&big(2.0), P, RM);
                    exact = exact.add(&h.sub(&g, P, RM).sub(&l, P, RM), P, RM);
                }
                let allowance = contract(Measure::Entropy, &b.p, &[]);
                for m in [&AtTheEdge::KIT as &dyn Implementation, &Reference] {
                    let h = m.entropy(&b.p).unwrap();
                    let computed = big(h - b.gini_direct).sub(&big(b.lower), P, RM);
                    let err = error_of(0.0, &computed.sub(&exact, P, RM), cc);
                    let bound = entropy_gini_slack(
                        k,
                        allowance,
                        (b.gini_direct, b.lower),
                        h - b.gini_direct,
                    );
                    slack.record(err, bound, at);
                }
                // The same with H correctly rounded (within u·|H|, given as
                // its allowance), so that the Gini sums' own terms of the
                // slack, which the edge's allowance dwarfs above, carry it.
                let h_exact = b.p.iter().filter(|&&x| x > 0.0).fold(big(0.0), |a, &x| {
                    a.sub(&big(x).mul(&big(x).ln(P, RM, cc), P, RM), P, RM)
                });
                let h = crate::test_support::to_f64(&h_exact, cc);
                let computed = big(h - b.gini_direct).sub(&big(b.lower), P, RM);
                let err = error_of(0.0, &computed.sub(&exact, P, RM), cc);
                let bound =
                    entropy_gini_slack(k, U * h.abs(), (b.gini_direct, b.lower), h - b.gini_direct);
                gini_parts.record(err, bound, at);
                let top = sample.iter().filter(|&&y| y == argmax(&q)).count();
                let exact = big(1.0).sub(&big(top as f64).div(&big(n as f64), P, RM), P, RM);
                let err = error_of(b.r01, &exact, cc) + error_of(1.0 - b.top, &exact, cc);
                zero_one.record(err, zero_one_bound(b.r01, b.top), at);
            },
        );
    }

    /// The Gini sums of [`gini_sums`] against Σp(1 − p) and ½Σp(1 − p)² at
    /// 320 bits, the stored p exact, each against its own bound
    /// ([`gini_sum_error`], [`lower_sum_error`]): apart from the entropy
    /// slack whose other terms dwarf them. Inputs: the p̂ = counts/n of
    /// random samples ([`random_brier_case`]), random vectors on the simplex
    /// (K = 2 … 8, entries spread over e^±4), and vectors whose entries lie
    /// just below ½ (where 1 − p rounds by up to u relative) or just above
    /// it.
    ///
    /// Floors, 2⁻² each: the bounds add the worst case of every rounding
    /// (2u and 4u per term, u for the sum), reached only where they all
    /// align; the roundings of different terms fall independently, and about
    /// half of the bound is seen (0.51 for Σp̂(1 − p̂), 0.44 for the squares'
    /// sum), so a bound loosened by a factor of 4 fails, and so does one that
    /// drops its first-order terms (the second-order γ_K² alone is below the
    /// errors).
    #[test]
    fn gini_sums_are_within_their_bounds() {
        use crate::test_support::bounds::{bound_checks, simplex, uniform};
        use crate::test_support::{PREC as P, RM, big};
        use rand::RngExt;
        bound_checks(
            "gini-sums",
            [
                ("claim 8: Σp̂(1 − p̂), compensated", 0.25),
                ("claim 8: ½Σp̂(1 − p̂)², compensated", 0.25),
            ],
            600,
            |case, rng, cc, [gini, lower]| {
                let p = match case % 3 {
                    0 => empirical_distribution(&random_brier_case(rng, case).0, 8)
                        .unwrap()
                        .into_iter()
                        .filter(|&x| x > 0.0)
                        .collect(),
                    1 => {
                        let k = rng.random_range(2..=8usize);
                        let spread = uniform(rng, 0.1, 4.0);
                        simplex(rng, k, spread)
                    }
                    _ => {
                        // ½ ∓ j·2⁻⁵⁴ for odd j: 1 − p needs one bit more
                        // than [½, 1) holds below ½.
                        let j = 2 * rng.random_range(0..1u64 << 20) + 1;
                        let d = j as f64 * 2f64.powi(-54);
                        vec![0.5 - d, 0.5 + d]
                    }
                };
                let k = p.len();
                let (g, l) = gini_sums(&p);
                let (mut g_exact, mut l_exact) = (big(0.0), big(0.0));
                for &x in &p {
                    let (xb, one_minus) = (big(x), big(1.0).sub(&big(x), P, RM));
                    let t = xb.mul(&one_minus, P, RM);
                    g_exact = g_exact.add(&t, P, RM);
                    let half = t.mul(&one_minus, P, RM).div(&big(2.0), P, RM);
                    l_exact = l_exact.add(&half, P, RM);
                }
                let at = || format!("p {p:?}");
                gini.value(g, &g_exact, gini_sum_error(k, g), cc, at);
                lower.value(l, &l_exact, lower_sum_error(k, l), cc, at);
            },
        );
    }

    /// The Brier risk's bound against the exact risk of the stored model
    /// and sample, (1/n)·Σₛ Σₖ (qₖ − [k = yₛ])² at 320 bits, on random
    /// models (K = 2 … 12, entries spread over e^±6) and samples (n = 1 …
    /// 200): validity everywhere. Tightness: the computed risk carries a few
    /// roundings of u relative, against a bound of 1.01·(6u + γ²_K + γ²ₙ);
    /// 0.36 of it is reached (printed), and the floor is 2⁻³, so a bound
    /// loosened by a factor of 8 fails. A zero risk (a point-mass model on
    /// a constant sample) has a zero bound, and is exact. The second-order
    /// γ²_K + γ²ₙ cannot be seen: at n ≤ 200 they are below 10⁻¹² of the
    /// bound, inside its factor 1.01, so a bound without them would hold on
    /// every input, and on the worst rounding too
    /// ([`brier_bounds_cover_the_worst_rounding`]); they stay because
    /// Sum2's accuracy u·|s| + γ²·Σ|tᵢ| (see [`gini_sum_error`]) has them.
    #[test]
    fn the_brier_bound_covers_the_exact_risk() {
        use crate::risk::empirical::empirical_risk;
        use crate::test_support::bounds::{bound_checks, simplex};
        use crate::test_support::{PREC as P, RM, big};
        use rand::RngExt;
        bound_checks(
            "brier-risk",
            [("claim 8: Brier risk", 0.125)],
            200,
            |case, rng, cc, [check]| {
                let k = rng.random_range(2..=12usize);
                let n = if case % 10 == 0 {
                    200
                } else {
                    rng.random_range(1..=30usize)
                };
                let q = simplex(rng, k, 6.0);
                let sample: Vec<usize> = (0..n).map(|_| rng.random_range(0..k)).collect();
                let computed = empirical_risk(&sample, &q, Loss::Squared).unwrap();
                let mut exact = big(0.0);
                for &y in &sample {
                    for (j, &qj) in q.iter().enumerate() {
                        let d = big(qj).sub(&big(if j == y { 1.0 } else { 0.0 }), P, RM);
                        exact = exact.add(&d.mul(&d, P, RM), P, RM);
                    }
                }
                let exact = exact.div(&big(n as f64), P, RM);
                check.value(computed, &exact, brier_error(k, n, computed), cc, || {
                    format!("K = {k}, n = {n}, case {case}")
                });
            },
        );
        let point_mass = [0.0, 1.0, 0.0];
        let risk = empirical_risk(&[1, 1, 1], &point_mass, Loss::Squared).unwrap();
        assert_eq!((risk, brier_error(3, 3, risk)), (0.0, 0.0));
    }

    /// The replay of the stored p̂ₖ = countₖ/n.
    fn replay_p(m: &mut Model, sample: &[usize], k: usize) -> Vec<BigFloat> {
        let counts = label_counts(sample, k).unwrap();
        let n = big(sample.len() as f64);
        counts.iter().map(|&c| m.div(&big(c as f64), &n)).collect()
    }

    /// The replay of the Brier risk (1/n)·Σₛ Σₖ (qₖ − [k = yₛ])² as
    /// `empirical_risk` computes it: per example 1 − q_y and the squares,
    /// a compensated sum over k; a compensated sum over the sample; /n.
    fn replay_risk(m: &mut Model, sample: &[usize], q: &[BigFloat]) -> BigFloat {
        let per_example: Vec<BigFloat> = sample
            .iter()
            .map(|&y| {
                let squares: Vec<BigFloat> = q
                    .iter()
                    .enumerate()
                    .map(|(k, qk)| {
                        let d = if k == y {
                            m.sub(&big(1.0), qk)
                        } else {
                            qk.clone()
                        };
                        m.mul(&d, &d)
                    })
                    .collect();
                m.compensated_sum(&squares)
            })
            .collect();
        let total = m.compensated_sum(&per_example);
        m.div(&total, &big(sample.len() as f64))
    }

    /// The replay of [`gini_sums`] at the stored p (exact inputs): the
    /// terms p·(1 − p) and (½p)·((1 − p)(1 − p)), each sum compensated.
    fn replay_gini_sums(m: &mut Model, p: &[f64]) -> (BigFloat, BigFloat) {
        let gini: Vec<BigFloat> = p
            .iter()
            .map(|&x| {
                let c = m.sub(&big(1.0), &big(x));
                m.mul(&big(x), &c)
            })
            .collect();
        let lower: Vec<BigFloat> = p
            .iter()
            .map(|&x| {
                let c = m.sub(&big(1.0), &big(x));
                let sq = m.mul(&c, &c);
                m.mul(&big(0.5 * x), &sq)
            })
            .collect();
        (m.compensated_sum(&gini), m.compensated_sum(&lower))
    }

    /// H(p) − Σp(1 − p) − ½Σp(1 − p)² at 320 bits for the stored p: the
    /// exact value of the entropy comparison's two sides' difference.
    fn exact_above_lower(p: &[f64], cc: &mut astro_float::Consts) -> BigFloat {
        p.iter().filter(|&&x| x > 0.0).fold(big(0.0), |a, &x| {
            let (xb, c) = (big(x), big(1.0).sub(&big(x), P, RM));
            let h = xb.mul(&xb.ln(P, RM, cc), P, RM).neg();
            let g = xb.mul(&c, P, RM);
            let l = g.mul(&c, P, RM).div(&big(2.0), P, RM);
            a.add(&h.sub(&g, P, RM).sub(&l, P, RM), P, RM)
        })
    }

    /// Each comparison of the Brier case ([`brier_comparisons`], with the
    /// bounds and slacks as the case assembles them) against the worst
    /// rounding its derivation allows ([`worst_rounding`]): the computation
    /// replayed at 320 bits, each rounding chosen to move the compared
    /// quantity furthest from its exact value. The entropy enters at its
    /// contract's edge (H moved by its whole allowance), and again correctly
    /// rounded (one rounding, with u·|H| as the allowance), where the Gini
    /// sums' own terms and the difference's u carry the slack. Inputs:
    /// random samples (n = 1 … 8, K = 2 … 5, some categories unseen) with
    /// models spread over e^±3; models within 10⁻³ of p̂ (where Σ(q − p̂)²
    /// is small beside both risks); and samples of one label (a point mass:
    /// every Gini term 0).
    ///
    /// Floors, derived from the bounds' shape: each bound is the sum of its
    /// terms' first-order worst cases, each reached by the replay, with
    /// 1.01 (or 2.01 for 2u) on most, so the worst ratio is about 1/1.01,
    /// and the floor is 0.9. The first comparison (R_sq(q) − R_sq(p̂) ≥ 0)
    /// shares the gap's bound but not Σ(q − p̂)²'s rounding, whose share of
    /// it is at most about a half where q is far from p̂: floor 0.5, reached
    /// near p̂. The Gini comparison is checked on point masses (Σp̂² = 1,
    /// where the other terms vanish) and apart from them, where its floor is
    /// 0.875: the risk's squares of the categories other than the label
    /// round by u, not 3u, so its 6u is reached only where the labels'
    /// terms dominate the risk (0.93 seen); a Σp̂² term scaled by 1/Σp̂²
    /// (twice its size at Σp̂² = ½) fails there. A bound that drops a term,
    /// or shrinks it, falls below the replay where that term dominates.
    #[test]
    fn brier_bounds_cover_the_worst_rounding() {
        use crate::measures::Reference;
        use crate::test_support::bounds::{bound_checks, simplex, uniform};
        use rand::RngExt;
        bound_checks(
            "brier-worst-rounding",
            [
                ("claim 8: R_sq(q) − R_sq(p̂) ≥ 0, worst rounding", 0.5),
                ("claim 8: Brier gap to Σ(q − p̂)², worst rounding", 0.9),
                (
                    "claim 8: Brier risk at p̂ against 1 − Σp̂², worst rounding",
                    0.9,
                ),
                (
                    "claim 8: Brier risk at p̂ against 1 − Σp̂², two labels or more, worst rounding",
                    0.875,
                ),
                (
                    "claim 8: H − Σp̂(1 − p̂) − ½Σp̂(1 − p̂)², H at its edge, worst rounding",
                    0.9,
                ),
                ("claim 8: 0–1 risk against 1 − p̂ₖ, worst rounding", 0.9),
                (
                    "claim 8: H − Σp̂(1 − p̂) − ½Σp̂(1 − p̂)², H rounded once, worst rounding",
                    0.9,
                ),
            ],
            40,
            |case,
             rng,
             cc,
             [
                gap_ge,
                gap,
                gini,
                gini_spread,
                slack,
                zero_one,
                slack_rounded,
            ]| {
                let k = rng.random_range(2..=5usize);
                let n = rng.random_range(1..=8usize);
                let seen = if case % 3 == 0 { k - 1 } else { k };
                let sample: Vec<usize> = if case % 5 == 4 {
                    vec![rng.random_range(0..k); n]
                } else {
                    (0..n).map(|_| rng.random_range(0..seen)).collect()
                };
                let q: Vec<f64> = if case % 5 == 2 {
                    let p = empirical_distribution(&sample, k).unwrap();
                    let near: Vec<f64> = p
                        .iter()
                        .map(|x| x + 1e-3 * uniform(rng, 0.0, 1.0))
                        .collect();
                    let total: f64 = near.iter().sum();
                    near.iter().map(|x| x / total).collect()
                } else {
                    simplex(rng, k, 3.0)
                };
                let stated = brier_comparisons(&Reference, &sample, &q).unwrap();
                let at = || format!("sample {sample:?}, q {q:?}");
                let nb = big(n as f64);
                let q_big: Vec<BigFloat> = q.iter().map(|&x| big(x)).collect();
                let counts = label_counts(&sample, k).unwrap();
                // Σ(q − p*)² at 320 bits, p* = counts/n exact.
                let exact_gap = q.iter().zip(&counts).fold(big(0.0), |a, (&qk, &c)| {
                    let d = big(qk).sub(&big(c as f64).div(&nb, P, RM), P, RM);
                    a.add(&d.mul(&d, P, RM), P, RM)
                });
                let gap_sides = |m: &mut Model| {
                    let p = replay_p(m, &sample, k);
                    let r_q = replay_risk(m, &sample, &q_big);
                    let r_p = replay_risk(m, &sample, &p);
                    (m.sub(&r_q, &r_p), p)
                };
                let worst = worst_rounding(cc, |m| gap_sides(m).0.sub(&exact_gap, P, RM));
                gap_ge.record(worst, stated[0].bound, at);
                let worst = worst_rounding(cc, |m| {
                    let (got, p) = gap_sides(m);
                    let squares: Vec<BigFloat> = q_big
                        .iter()
                        .zip(&p)
                        .map(|(a, b)| {
                            let d = m.sub(a, b);
                            m.mul(&d, &d)
                        })
                        .collect();
                    got.sub(&m.compensated_sum(&squares), P, RM)
                });
                gap.record(worst, stated[1].bound, at);
                let worst = worst_rounding(cc, |m| {
                    let p = replay_p(m, &sample, k);
                    let r_p = replay_risk(m, &sample, &p);
                    let squares: Vec<BigFloat> = p.iter().map(|x| m.mul(x, x)).collect();
                    let sum_sq = m.compensated_sum(&squares);
                    r_p.sub(&m.sub(&big(1.0), &sum_sq), P, RM)
                });
                // Apart from point masses, where Σp̂² = 1 and every other
                // term of the bound vanishes.
                if label_counts(&sample, k)
                    .unwrap()
                    .iter()
                    .filter(|&&c| c > 0)
                    .count()
                    > 1
                {
                    gini_spread.record(worst, stated[2].bound, at);
                } else {
                    gini.record(worst, stated[2].bound, at);
                }
                let p = empirical_distribution(&sample, k).unwrap();
                let exact = exact_above_lower(&p, cc);
                let h_exact = p.iter().filter(|&&x| x > 0.0).fold(big(0.0), |a, &x| {
                    a.sub(&big(x).mul(&big(x).ln(P, RM, cc), P, RM), P, RM)
                });
                let allowance = contract(Measure::Entropy, &p, &[]);
                let above = |m: &mut Model, h: BigFloat| {
                    let (g, l) = replay_gini_sums(m, &p);
                    m.sub(&h, &g).sub(&l, P, RM).sub(&exact, P, RM)
                };
                let worst = worst_rounding(cc, |m| {
                    let h = m.within(h_exact.clone(), &big(allowance));
                    above(m, h)
                });
                slack.record(worst, stated[3].bound, at);
                let h = crate::test_support::to_f64(&h_exact, cc);
                let (g, l) = gini_sums(&p);
                let bound = entropy_gini_slack(k, U * h.abs(), (g, l), h - g);
                let worst = worst_rounding(cc, |m| {
                    let h = m.round(h_exact.clone());
                    above(m, h)
                });
                slack_rounded.record(worst, bound, at);
                let top = counts[argmax(&q)] as f64;
                let worst = worst_rounding(cc, |m| {
                    let r01 = m.div(&big(n as f64 - top), &nb);
                    let p_top = m.div(&big(top), &nb);
                    r01.sub(&m.sub(&big(1.0), &p_top), P, RM)
                });
                zero_one.record(worst, stated[4].bound, at);
            },
        );
    }
}
