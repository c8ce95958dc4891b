//! The two divergences in the natural parameters η of a frame
//! t = (x − c)/d: KL(p‖q_η) and KL(q_η‖p) with their gradients, Hessians
//! and the rounding-error bounds of the gradients, and their form as an
//! [`Objective`] of the Newton solver.

use std::cell::Cell;

use super::Gaussian;
use crate::models::linalg::extreme_eigenvalues;
use crate::models::{GradientEval, HessianEval, Objective};
use crate::numerics::U;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Direction {
    Forward,
    Reverse,
}

/// One fit's problem in its frame t = (x − c)/d.
pub(super) struct Problem<'a> {
    direction: Direction,
    p: &'a [f64],
    ln_p: Vec<f64>,
    t: Vec<f64>,
    t2: Vec<f64>,
    /// E_p[t], E_p[t²] (forward only).
    ep: [f64; 2],
    /// Σ pᵢ ln pᵢ (forward only), to report KL rather than CE.
    neg_entropy: f64,
    pub(super) c: f64,
    pub(super) d: f64,
}

/// The objective, gradient, Hessian (a, b; b, c) and the gradient's noise
/// bound: ν = ‖noise_parts‖, the bounds of the gradient's two components.
#[derive(Debug, Clone, Copy)]
pub(super) struct Eval {
    pub(super) objective: f64,
    g: [f64; 2],
    pub(super) h: [f64; 3],
    pub(super) noise: f64,
    noise_parts: [f64; 2],
}

impl Eval {
    pub(super) fn gradient_norm(&self) -> f64 {
        self.g[0].hypot(self.g[1])
    }
}

/// Eigenvalues (smallest, largest) of the symmetric 2×2 matrix (a, b; b, c).
pub(super) fn eigenvalues(h: [f64; 3]) -> (f64, f64) {
    extreme_eigenvalues(&[h[0], h[1], h[1], h[2]], 2)
}

/// A [`Problem`] as an [`Objective`] in η for the Newton solver. The last
/// evaluation is kept: the solver asks for the value, gradient and Hessian
/// at the same point in turn, and one [`Problem::eval`] gives all three.
pub(super) struct KlObjective<'p, 'a> {
    problem: &'p Problem<'a>,
    last: Cell<Option<([u64; 2], Eval)>>,
}

impl<'p, 'a> KlObjective<'p, 'a> {
    pub(super) fn new(problem: &'p Problem<'a>) -> Self {
        KlObjective {
            problem,
            last: Cell::new(None),
        }
    }

    pub(super) fn at(&self, theta: &[f64]) -> Eval {
        let key = [theta[0].to_bits(), theta[1].to_bits()];
        if let Some((k, ev)) = self.last.get()
            && k == key
        {
            return ev;
        }
        let ev = self.problem.eval([theta[0], theta[1]]);
        self.last.set(Some((key, ev)));
        ev
    }
}

impl Objective for KlObjective<'_, '_> {
    fn dimension(&self) -> usize {
        2
    }

    /// The divergence, or +∞ where η₂ ≥ 0 (no Gaussian).
    fn value(&self, theta: &[f64]) -> f64 {
        if theta[1] < 0.0 {
            self.at(theta).objective
        } else {
            f64::INFINITY
        }
    }

    fn gradient(&self, theta: &[f64]) -> GradientEval {
        let ev = self.at(theta);
        GradientEval {
            gradient: ev.g.to_vec(),
            error: ev.noise_parts.to_vec(),
        }
    }

    /// The computed Hessian; no bound on its rounding is derived (`error`
    /// is +∞), which the line-search certificate does not use.
    fn hessian(&self, theta: &[f64]) -> HessianEval {
        let h = self.at(theta).h;
        HessianEval {
            hessian: vec![h[0], h[1], h[1], h[2]],
            error: f64::INFINITY,
        }
    }

    /// Sampled, not bounded: the smallest Hessian eigenvalue at the ball's
    /// four axis points θ ± radius·eₖ, stopping at the first below λ/2
    /// (−∞ if one is outside the domain η₂ < 0). The fit's certificate is
    /// only as good as this sample (see the module docs).
    fn curvature_on_ball(&self, theta: &[f64], lambda: f64, radius: f64) -> f64 {
        let mut smallest = f64::INFINITY;
        for (k, sign) in [(0, 1.0), (0, -1.0), (1, 1.0), (1, -1.0)] {
            let mut corner = [theta[0], theta[1]];
            corner[k] += sign * radius;
            if corner[1].is_nan() || corner[1] >= 0.0 {
                return f64::NEG_INFINITY;
            }
            let low = eigenvalues(self.at(&corner).h).0;
            if low.is_nan() || lambda.is_nan() || low < 0.5 * lambda {
                return low;
            }
            smallest = smallest.min(low);
        }
        smallest
    }
}

impl<'a> Problem<'a> {
    pub(super) fn new(points: &[f64], p: &'a [f64], frame: Gaussian, direction: Direction) -> Self {
        let (c, d) = (frame.mu, frame.sigma);
        let t: Vec<f64> = points.iter().map(|x| (x - c) / d).collect();
        let t2: Vec<f64> = t.iter().map(|v| v * v).collect();
        let ep = [
            p.iter().zip(&t).map(|(a, b)| a * b).sum(),
            p.iter().zip(&t2).map(|(a, b)| a * b).sum(),
        ];
        let ln_p: Vec<f64> = p.iter().map(|v| v.ln()).collect();
        let neg_entropy = p
            .iter()
            .zip(&ln_p)
            .filter(|(a, _)| **a > 0.0)
            .map(|(a, l)| a * l)
            .sum();
        Problem {
            direction,
            p,
            ln_p,
            t,
            t2,
            ep,
            neg_entropy,
            c,
            d,
        }
    }

    /// ln q and the bound on each entry's rounding error (see the derivation below).
    pub(super) fn log_q(&self, eta: [f64; 2]) -> (Vec<f64>, Vec<f64>) {
        let k = self.t.len() as f64;
        // sᵢ = η₁tᵢ + η₂tᵢ²: tᵢ carries 2u relative (a subtraction and a
        // division), tᵢ² 5u, each product one more, the sum one more: at most
        // 7u·(|η₁tᵢ| + |η₂|tᵢ²).
        let s: Vec<f64> = self
            .t
            .iter()
            .zip(&self.t2)
            .map(|(t, t2)| eta[0] * t + eta[1] * t2)
            .collect();
        let es: Vec<f64> = self
            .t
            .iter()
            .zip(&self.t2)
            .map(|(t, t2)| 7.0 * U * ((eta[0] * t).abs() + eta[1].abs() * t2))
            .collect();
        let top = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let es_max = es.iter().copied().fold(0.0, f64::max);
        let spread = s.iter().map(|v| top - v).fold(0.0, f64::max);
        let sum: f64 = s.iter().map(|v| (v - top).exp()).sum();
        let a = top + sum.ln();
        // A = max s + ln Σ exp(sᵢ − max s): max s is off by ≤ es_max; each
        // exp argument by ≤ 2·es_max + u·spread, so each term by that
        // relatively plus u for exp; the K-term sum adds (K − 1)u relative;
        // ln adds u·|ln Σ|, the final addition u·|A|.
        let err_a = 3.0 * es_max + U * (spread + k + 2.0 + sum.ln().abs() + a.abs());
        let ln_q: Vec<f64> = s.iter().map(|v| v - a).collect();
        let e: Vec<f64> = es
            .iter()
            .zip(&ln_q)
            .map(|(es, l)| es + err_a + U * l.abs())
            .collect();
        (ln_q, e)
    }

    pub(super) fn eval(&self, eta: [f64; 2]) -> Eval {
        let k = self.t.len() as f64;
        let (ln_q, e) = self.log_q(eta);
        let q: Vec<f64> = ln_q.iter().map(|l| l.exp()).collect();
        let m1: f64 = q.iter().zip(&self.t).map(|(a, b)| a * b).sum();
        let m2: f64 = q.iter().zip(&self.t2).map(|(a, b)| a * b).sum();
        let (mut h11, mut h12, mut h22) = (0.0, 0.0, 0.0);
        match self.direction {
            Direction::Forward => {
                for ((qi, t), t2) in q.iter().zip(&self.t).zip(&self.t2) {
                    let (a, b) = (t - m1, t2 - m2);
                    h11 += qi * a * a;
                    h12 += qi * a * b;
                    h22 += qi * b * b;
                }
                let g = [m1 - self.ep[0], m2 - self.ep[1]];
                // E_q[T] with qᵢ off by (eᵢ + u) relative, Tₖ by 5u, a K-term
                // sum by (K − 1)u: Σ qᵢ|Tᵢₖ|(eᵢ + (K + 7)u); E_p[T] likewise
                // with exact pᵢ: Σ pᵢ|Tᵢₖ|(K + 6)u; the subtraction u|gₖ|.
                let noise_k = |tk: &[f64], gk: f64| -> f64 {
                    let mut acc = U * gk.abs();
                    for i in 0..q.len() {
                        acc += q[i] * tk[i].abs() * (e[i] + (k + 7.0) * U)
                            + self.p[i] * tk[i].abs() * (k + 6.0) * U;
                    }
                    acc
                };
                let noise_parts = [noise_k(&self.t, g[0]), noise_k(&self.t2, g[1])];
                let noise = noise_parts[0].hypot(noise_parts[1]);
                // CE(p, q_η) = A − η·E_p[T]; KL = CE + Σ p ln p.
                let a = ln_q_offset(&ln_q, &self.t, &self.t2, eta);
                let objective = a - eta[0] * self.ep[0] - eta[1] * self.ep[1] + self.neg_entropy;
                Eval {
                    objective,
                    g,
                    h: [h11, h12, h22],
                    noise,
                    noise_parts,
                }
            }
            Direction::Reverse => {
                let f: Vec<f64> = ln_q.iter().zip(&self.ln_p).map(|(a, b)| a - b).collect();
                let ef: f64 = q.iter().zip(&f).map(|(a, b)| a * b).sum();
                let (mut g1, mut g2) = (0.0, 0.0);
                for i in 0..q.len() {
                    let (a, b, r) = (self.t[i] - m1, self.t2[i] - m2, f[i] - ef);
                    g1 += q[i] * a * r;
                    g2 += q[i] * b * r;
                    h11 += q[i] * a * a * (1.0 + r);
                    h12 += q[i] * a * b * (1.0 + r);
                    h22 += q[i] * b * b * (1.0 + r);
                }
                // Errors, each to first order in u:
                // fᵢ = ln qᵢ − ln pᵢ: eᵢ + u|ln pᵢ| + u|fᵢ|;
                // E_q[Tₖ]: Σ qᵢ|Tᵢₖ|(eᵢ + (K + 7)u); E_q[f]: Σ qᵢ(|fᵢ|(eᵢ + (K + 2)u) + err fᵢ);
                // centred T̃, f̃: their inputs' errors plus u|T̃|, u|f̃|;
                // gₖ = Σ qᵢ T̃ᵢₖ f̃ᵢ: Σ qᵢ(|T̃ᵢₖ f̃ᵢ|(eᵢ + (K + 3)u) + |f̃ᵢ| err T̃ᵢₖ + |T̃ᵢₖ| err f̃ᵢ).
                let err_f: Vec<f64> = (0..q.len())
                    .map(|i| e[i] + U * (self.ln_p[i].abs() + f[i].abs()))
                    .collect();
                let err_m = |tk: &[f64]| -> f64 {
                    (0..q.len())
                        .map(|i| q[i] * tk[i].abs() * (e[i] + (k + 7.0) * U))
                        .sum()
                };
                let (err_m1, err_m2) = (err_m(&self.t), err_m(&self.t2));
                let err_ef: f64 = (0..q.len())
                    .map(|i| q[i] * (f[i].abs() * (e[i] + (k + 2.0) * U) + err_f[i]))
                    .sum();
                let noise_k = |tk: &[f64], mk: f64, err_mk: f64, gk: f64| -> f64 {
                    let mut acc = U * gk.abs();
                    for i in 0..q.len() {
                        let tt = tk[i] - mk;
                        let r = f[i] - ef;
                        let err_tt = 5.0 * U * tk[i].abs() + err_mk + U * tt.abs();
                        let err_r = err_f[i] + err_ef + U * r.abs();
                        acc += q[i]
                            * ((tt * r).abs() * (e[i] + (k + 3.0) * U)
                                + r.abs() * err_tt
                                + tt.abs() * err_r);
                    }
                    acc
                };
                let noise_parts = [
                    noise_k(&self.t, m1, err_m1, g1),
                    noise_k(&self.t2, m2, err_m2, g2),
                ];
                let noise = noise_parts[0].hypot(noise_parts[1]);
                Eval {
                    objective: ef,
                    g: [g1, g2],
                    h: [h11, h12, h22],
                    noise,
                    noise_parts,
                }
            }
        }
    }

    /// The Gaussian (μ, σ) of natural parameters η in this frame, and
    /// bounds on its distance to the Gaussian of any η′ within `radius` r of η.
    /// μₜ = −η₁/(2η₂) = η₁σₜ², σₜ = (−2η₂)^(−1/2):
    /// ∂μₜ/∂η = (σₜ², η₁/(2η₂²)), ∂σₜ/∂η₂ = σₜ³. By the mean value theorem
    /// μ moves by d·r times the largest ‖∂μₜ/∂η‖ on the ball, and σ by d·r
    /// times the largest σₜ³; on the ball |η₂′| ≥ m = |η₂| − r and
    /// |η₁′| ≤ |η₁| + r, so those are at most
    /// ‖(1/(2m), (|η₁| + r)/(2m²))‖ and (2m)^(−3/2) (+∞ when r ≥ |η₂|), each
    /// rounded up by 8u. Each conversion adds a few roundings: 4u relative
    /// on μ's two parts (|c| and |d·μₜ|), 4u on σ.
    pub(super) fn gaussian_within(&self, eta: [f64; 2], radius: f64) -> (f64, f64, f64, f64) {
        let var_t = -0.5 / eta[1];
        let mu_t = eta[0] * var_t;
        let sigma_t = var_t.sqrt();
        let mu = self.c + self.d * mu_t;
        let sigma = self.d * sigma_t;
        let room = eta[1].abs() - radius;
        let (dmu, dsigma) = if room > 0.0 {
            let var_ball = 0.5 / room;
            (
                var_ball.hypot((eta[0].abs() + radius) / (2.0 * room * room)) * (1.0 + 8.0 * U),
                var_ball * var_ball.sqrt() * (1.0 + 8.0 * U),
            )
        } else {
            (f64::INFINITY, f64::INFINITY)
        };
        let mu_error = self.d * dmu * radius + 4.0 * U * (self.c.abs() + (self.d * mu_t).abs());
        let sigma_error = self.d * dsigma * radius + 4.0 * U * sigma;
        (mu, sigma, mu_error, sigma_error)
    }
}

/// A(η) recovered from any entry: ln qᵢ = η·Tᵢ − A, taken at the entry with
/// the largest ln q (the one least affected by rounding).
fn ln_q_offset(ln_q: &[f64], t: &[f64], t2: &[f64], eta: [f64; 2]) -> f64 {
    let (i, _) =
        ln_q.iter().enumerate().fold(
            (0, f64::NEG_INFINITY),
            |b, (i, &v)| if v > b.1 { (i, v) } else { b },
        );
    eta[0] * t[i] + eta[1] * t2[i] - ln_q[i]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::reverse_fit::{discretized_gaussian, symmetric_grid};

    /// Both Hessians against 320-bit references, at a point away from the
    /// minimum. With a = T − E_qT, f = ln q − ln p and r = f − E_q f, the
    /// reverse gradient is g = E_q[a·f] (f's own derivative a has mean 0),
    /// and differentiating once more (q brings a, a brings −Cov_q T, f
    /// brings a) gives H = E_q[aaᵀ(1 + r)]; the forward Hessian is
    /// E_q[aaᵀ] = Cov_q T. The references take the stored t, t² as exact and
    /// use the exact ln pᵢ.
    ///
    /// Tolerance per entry, with M ≥ |aᵢ|, |bᵢ| (the largest |t|, t², or
    /// range), e the largest ln q̃ error the problem reports, ρ = max|r̃ᵢ|:
    /// qᵢ within e + u; the centring means within (e + (K + 7)u)M, so aᵢ,
    /// bᵢ within (e + (K + 8)u)M; three products and the K-term sum
    /// (K + 3)u; r̃ᵢ within 2(e + 2u·max|ln p| + u·max|f|) +
    /// max|f|(e + (K + 2)u) + uρ. In all
    /// 1.01·M²((1 + ρ)(3e + (3K + 24)u) + Δr).
    #[test]
    fn hessians_match_a_320_bit_reference_away_from_the_minimum() {
        use crate::test_support::{PREC as P, RM, big, to_f64};
        let mut cc = astro_float::Consts::new().expect("astro-float constants");
        let x = symmetric_grid(4.0, 41).unwrap();
        let p = discretized_gaussian(
            &x,
            Gaussian {
                mu: 1.0,
                sigma: 0.7,
            },
        )
        .unwrap();
        let frame = Gaussian {
            mu: 0.0,
            sigma: 1.0,
        };
        let eta = [0.3, -0.6];
        for direction in [Direction::Forward, Direction::Reverse] {
            let reverse = matches!(direction, Direction::Reverse);
            let prob = Problem::new(&x, &p, frame, direction);
            let got = prob.eval(eta).h;
            let (ln_q_f64, e) = prob.log_q(eta);
            // The reference expectations at 320 bits.
            let s: Vec<_> = prob
                .t
                .iter()
                .zip(&prob.t2)
                .map(|(t, t2)| {
                    big(eta[0])
                        .mul(&big(*t), P, RM)
                        .add(&big(eta[1]).mul(&big(*t2), P, RM), P, RM)
                })
                .collect();
            let w: Vec<_> = s.iter().map(|v| v.exp(P, RM, &mut cc)).collect();
            let z = w.iter().fold(big(0.0), |acc, v| acc.add(v, P, RM));
            let q: Vec<_> = w.iter().map(|v| v.div(&z, P, RM)).collect();
            let ln_z = z.ln(P, RM, &mut cc);
            let f: Vec<_> = s
                .iter()
                .zip(&p)
                .map(|(v, pi)| v.sub(&ln_z, P, RM).sub(&big(*pi).ln(P, RM, &mut cc), P, RM))
                .collect();
            let mean = |v: &[astro_float::BigFloat]| {
                q.iter()
                    .zip(v)
                    .fold(big(0.0), |acc, (qi, vi)| acc.add(&qi.mul(vi, P, RM), P, RM))
            };
            let t: Vec<_> = prob.t.iter().map(|v| big(*v)).collect();
            let t2: Vec<_> = prob.t2.iter().map(|v| big(*v)).collect();
            let (m1, m2, ef) = (mean(&t), mean(&t2), mean(&f));
            let mut want = [big(0.0), big(0.0), big(0.0)];
            for i in 0..q.len() {
                let a = t[i].sub(&m1, P, RM);
                let b = t2[i].sub(&m2, P, RM);
                let weight = if reverse {
                    q[i].mul(&big(1.0).add(&f[i].sub(&ef, P, RM), P, RM), P, RM)
                } else {
                    q[i].clone()
                };
                for (slot, (u, v)) in [(&a, &a), (&a, &b), (&b, &b)].into_iter().enumerate() {
                    want[slot] = want[slot].add(&weight.mul(&u.mul(v, P, RM), P, RM), P, RM);
                }
            }
            // The tolerance's ingredients, from the f64 quantities.
            let k = x.len() as f64;
            let big_m = prob
                .t
                .iter()
                .chain(&prob.t2)
                .fold(0.0f64, |m, v| m.max(v.abs()))
                * 2.0;
            let e_max = e.iter().copied().fold(0.0, f64::max);
            let f64_f: Vec<f64> = ln_q_f64
                .iter()
                .zip(&prob.ln_p)
                .map(|(a, b)| a - b)
                .collect();
            let f_max = f64_f.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let ln_p_max = prob.ln_p.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let (rho, dr) = if reverse {
                let ef64: f64 = ln_q_f64
                    .iter()
                    .zip(&f64_f)
                    .map(|(l, fi)| l.exp() * fi)
                    .sum();
                let rho = f64_f.iter().fold(0.0f64, |m, v| m.max((v - ef64).abs()));
                let dr = 2.0 * (e_max + 2.0 * U * ln_p_max + U * f_max)
                    + f_max * (e_max + (k + 2.0) * U)
                    + U * rho;
                (rho, dr)
            } else {
                (0.0, 0.0)
            };
            let tol =
                1.01 * big_m * big_m * ((1.0 + rho) * (3.0 * e_max + (3.0 * k + 24.0) * U) + dr);
            for slot in 0..3 {
                let want = to_f64(&want[slot], &mut cc);
                assert!(
                    (got[slot] - want).abs() <= tol,
                    "{} entry {slot}: {:e} vs {want:e} (tolerance {tol:e})",
                    if reverse { "reverse" } else { "forward" },
                    got[slot]
                );
            }
            if reverse {
                // The test can tell E_q f's sign: flipping it moves the
                // (1, 1) entry by 2·E_q f·Var_q t, far beyond the tolerance.
                let ef = to_f64(&ef, &mut cc);
                let var = to_f64(&want_cov(&q, &t, &m1), &mut cc);
                assert!(2.0 * ef * var > 1e6 * tol, "{ef:e}·{var:e} against {tol:e}");
            }
        }
    }

    /// Var_q t at 320 bits.
    fn want_cov(
        q: &[astro_float::BigFloat],
        t: &[astro_float::BigFloat],
        m: &astro_float::BigFloat,
    ) -> astro_float::BigFloat {
        use crate::test_support::{PREC as P, RM, big};
        q.iter().zip(t).fold(big(0.0), |acc, (qi, ti)| {
            let a = ti.sub(m, P, RM);
            acc.add(&qi.mul(&a.mul(&a, P, RM), P, RM), P, RM)
        })
    }

    /// A(η) = η·Tᵢ − ln qᵢ, read at the entry with the largest ln q (the
    /// second here: 0.5·1 − 0.25·1 + 0.5 = 0.75); the other entries would
    /// give other values (2.1875 and 1). All exact in binary.
    #[test]
    fn the_log_partition_is_read_at_the_largest_entry() {
        let (ln_q, t, t2) = ([-2.0, -0.5, -1.0], [0.5, 1.0, 2.0], [0.25, 1.0, 4.0]);
        assert_eq!(ln_q_offset(&ln_q, &t, &t2, [0.5, -0.25]), 0.75);
        // The largest first: 0.5·0.5 − 0.25·0.25 + 0.5.
        assert_eq!(
            ln_q_offset(&[-0.5, -2.0, -1.0], &t, &t2, [0.5, -0.25]),
            0.6875
        );
    }

    /// The reverse-fit problem's bounds against 320 bits, on random grids
    /// (3 to 20 points over up to ±4), targets (mild to steep), frames and
    /// natural parameters, in both directions, with tᵢ = (xᵢ − c)/d exact:
    /// - `log_q`'s eᵢ covers ln qᵢ = η·Tᵢ − ln Σⱼ e^(η·Tⱼ);
    /// - the gradient's noise parts cover E_q T − E_p T (forward) and
    ///   Cov_q(T, ln q − ln p) (reverse), entry by entry;
    /// - `gaussian_within`'s bounds cover |μ̃ − μ(η′)| and |σ̃ − σ(η′)| for η′
    ///   on the circle of radius r around η (8 directions, r from 10⁻¹⁴ to
    ///   10⁻³), μ(η′) = c + d·(−η′₁/(2η′₂)), σ(η′) = d·(−2η′₂)^(−½).
    ///
    /// Floors: 2⁻⁴ for ln q (0.13 seen: 7u per exponent and the K-term sum's
    /// worst case, which random grids reach in part); 2⁻⁵ for the gradient
    /// noise (0.06 seen: each moment's error adds every entry's ln q bound
    /// eᵢ at its worst); 2⁻¹ for the Gaussian (1.00 seen: the move
    /// d·‖∂μ/∂η‖·r is met along the gradient's direction at small r). At
    /// r = 10⁻³ this test found the earlier first-order bound exceeded by
    /// its second-order term; the bound now takes the derivatives' largest
    /// values over the ball.
    #[test]
    fn problem_bounds_cover_their_errors() {
        use crate::test_support::bounds::{bound_checks, simplex, uniform};
        use crate::test_support::{PREC as P, RM, big};
        use astro_float::BigFloat;
        use rand::RngExt;
        bound_checks(
            "reverse-fit-problem",
            [
                ("reverse fit: ln q", 2f64.powi(-4)),
                ("reverse fit: gradient noise", 2f64.powi(-5)),
                ("reverse fit: Gaussian of a ball of η", 0.5),
            ],
            40,
            |k, rng, cc, [lnq, grad, gauss]| {
                let n = rng.random_range(3..21usize);
                let width = uniform(rng, 0.5, 4.0);
                let points: Vec<f64> = (0..n).map(|_| width * uniform(rng, -1.0, 1.0)).collect();
                let p = {
                    let s = uniform(rng, 0.1, 2.0);
                    simplex(rng, n, s)
                };
                let frame = Gaussian {
                    mu: uniform(rng, -1.0, 1.0),
                    sigma: uniform(rng, 0.5, 2.0),
                };
                let direction = if k % 2 == 0 {
                    Direction::Forward
                } else {
                    Direction::Reverse
                };
                let prob = Problem::new(&points, &p, frame, direction);
                let eta = [uniform(rng, -2.0, 2.0), -uniform(rng, 0.1, 2.0)];
                let t: Vec<BigFloat> = points
                    .iter()
                    .map(|&x| {
                        big(x)
                            .sub(&big(frame.mu), P, RM)
                            .div(&big(frame.sigma), P, RM)
                    })
                    .collect();
                let t2: Vec<BigFloat> = t.iter().map(|v| v.mul(v, P, RM)).collect();
                let sv: Vec<BigFloat> = t
                    .iter()
                    .zip(&t2)
                    .map(|(a, b)| {
                        big(eta[0])
                            .mul(a, P, RM)
                            .add(&big(eta[1]).mul(b, P, RM), P, RM)
                    })
                    .collect();
                let sum = sv
                    .iter()
                    .fold(big(0.0), |acc, v| acc.add(&v.exp(P, RM, cc), P, RM));
                let a = sum.ln(P, RM, cc);
                let ln_q: Vec<BigFloat> = sv.iter().map(|v| v.sub(&a, P, RM)).collect();
                let q: Vec<BigFloat> = ln_q.iter().map(|v| v.exp(P, RM, cc)).collect();
                let at = || format!("x {points:?}, p {p:?}, {frame:?}, η {eta:?}");
                let (got, e) = prob.log_q(eta);
                for i in 0..n {
                    lnq.value(got[i], &ln_q[i], e[i], cc, at);
                }
                let mean = |w: &[BigFloat], v: &[BigFloat]| {
                    w.iter()
                        .zip(v)
                        .fold(big(0.0), |acc, (a, b)| acc.add(&a.mul(b, P, RM), P, RM))
                };
                let pb: Vec<BigFloat> = p.iter().map(|&v| big(v)).collect();
                let exact_g: Vec<BigFloat> = match direction {
                    Direction::Forward => [&t, &t2]
                        .iter()
                        .map(|tk| mean(&q, tk).sub(&mean(&pb, tk), P, RM))
                        .collect(),
                    Direction::Reverse => {
                        let f: Vec<BigFloat> = ln_q
                            .iter()
                            .zip(&p)
                            .map(|(l, &pi)| l.sub(&big(pi).ln(P, RM, cc), P, RM))
                            .collect();
                        let ef = mean(&q, &f);
                        [&t, &t2]
                            .iter()
                            .map(|tk| {
                                let mk = mean(&q, tk);
                                (0..n).fold(big(0.0), |acc, i| {
                                    let c = tk[i].sub(&mk, P, RM).mul(&f[i].sub(&ef, P, RM), P, RM);
                                    acc.add(&q[i].mul(&c, P, RM), P, RM)
                                })
                            })
                            .collect()
                    }
                };
                let ev = prob.eval(eta);
                for (j, want) in exact_g.iter().enumerate() {
                    grad.value(ev.g[j], want, ev.noise_parts[j], cc, at);
                }
                let radius = 10f64.powf(-uniform(rng, 3.0, 14.0));
                let (mu, sigma, mu_error, sigma_error) = prob.gaussian_within(eta, radius);
                for step in 0..8 {
                    let angle = f64::from(step) * std::f64::consts::FRAC_PI_4;
                    let moved = [
                        big(eta[0]).add(&big(radius * angle.cos()), P, RM),
                        big(eta[1]).add(&big(radius * angle.sin()), P, RM),
                    ];
                    let var_t = big(-0.5).div(&moved[1], P, RM);
                    let mu_x = big(frame.mu).add(
                        &big(frame.sigma).mul(&moved[0].mul(&var_t, P, RM), P, RM),
                        P,
                        RM,
                    );
                    let sigma_x = big(frame.sigma).mul(&var_t.sqrt(P, RM), P, RM);
                    gauss.value(mu, &mu_x, mu_error, cc, at);
                    gauss.value(sigma, &sigma_x, sigma_error, cc, at);
                }
            },
        );
    }
}
