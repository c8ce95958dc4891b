//! The refuted claims 6, 7 and 9, where CE and KL part ways: one test per
//! claim at the default seed and size, and checks that the claims catch
//! wrong measures.

mod common;
use common::claims::assert_as_expected;
use common::planted::{BASE_2_CROSS_ENTROPY, SWAPPED_KL};
use logloss_proofs::claims::{self, Context, Implementation, Outcome, Problem, Verdict};
use logloss_proofs::measures::{self};
use logloss_proofs::seed::DEFAULT_SEED;

/// The value of the counterexample row named `name`.
fn row<'a>(v: &'a Verdict, name: &str) -> &'a str {
    let c = v
        .evidence
        .counterexample
        .as_ref()
        .expect("a counterexample");
    c.rows
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no row {name:?} in {:?}", c.rows))
}

/// Each search of a refuted claim tried every draw, and its false statement
/// held on some of them and failed on others: the search could have come
/// back empty. `searches` names them, in order.
fn assert_open_searches(v: &Verdict, searches: &[&str]) {
    let stats: Vec<_> = v.evidence.searches().collect();
    let names: Vec<&str> = stats.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, searches, "claim {}", v.id);
    for (name, s) in stats {
        assert_eq!(
            s.draws,
            u64::from(claims::DEFAULT_CASES),
            "{name}: every draw is tried"
        );
        assert!(
            s.found > 0 && s.found < s.draws,
            "{name}: {s} — the statement must fail somewhere and hold somewhere"
        );
        let rate = s.hit_rate();
        assert!(rate > 0.0 && rate < 1.0, "{name}: {rate}");
    }
}

#[test]
fn claim_6_reverse_kl_has_another_minimizer() {
    let v = assert_as_expected("reverse-kl-differs");
    assert_open_searches(&v, &["the forward fit minimizes the reverse KL"]);
    // The shrunk case is the simplest of the round grid: m = 1.5, s = 0.5,
    // w = 0.55, K = 100, and it shows both fits and all four divergences.
    assert_eq!(row(&v, "m, s, w, K"), "1.5, 0.5, 0.55, 100");
    for name in [
        "forward fit argmin KL(p‖q): μ, σ",
        "reverse fit argmin KL(q‖p): μ, σ",
        "KL(p‖q_fwd)",
        "KL(p‖q_rev)",
        "KL(q_fwd‖p)",
        "KL(q_rev‖p)",
    ] {
        row(&v, name);
    }
}

#[test]
fn claim_7_moving_target_gradients_differ() {
    let v = assert_as_expected("moving-target");
    assert_open_searches(&v, &["measured gradients equal"]);
    // The shrunk case has the fewest classes and parameters.
    assert_eq!(row(&v, "C classes, d parameters"), "2, 1");
    // The shown numbers carry the refutation by themselves: ∇CE and ∇KL,
    // each "value ± bound", differ by more than their bounds in some
    // coordinate, and by ∇H(p_θ) (CE = H + KL) within the three bounds plus
    // the display's rounding (six significant digits: 5e−6 relative, 1e−5 of
    // each shown magnitude here for margin).
    let bounded = |name: &str| -> Vec<(f64, f64)> {
        let text = row(&v, name);
        let inner = text.trim_start_matches('[').trim_end_matches(']');
        inner
            .split(", ")
            .map(|entry| {
                let (value, bound) = entry
                    .split_once(" ± ")
                    .unwrap_or_else(|| panic!("{name}: {entry:?} is not 'value ± bound'"));
                (value.parse().unwrap(), bound.parse().unwrap())
            })
            .collect()
    };
    let (ce, kl, h) = (bounded("∇CE"), bounded("∇KL"), bounded("∇H(p_θ)"));
    assert!(ce.len() == kl.len() && kl.len() == h.len() && !ce.is_empty());
    let mut apart = false;
    for ((c, k), e) in ce.iter().zip(&kl).zip(&h) {
        let shown = 1e-5 * (c.0.abs() + k.0.abs() + e.0.abs());
        assert!(
            ((c.0 - k.0) - e.0).abs() <= c.1 + k.1 + e.1 + shown,
            "∇CE − ∇KL ≠ ∇H: {c:?} {k:?} {e:?}"
        );
        apart |= (c.0 - k.0).abs() > c.1 + k.1 + 1e-5 * (c.0.abs() + k.0.abs());
    }
    assert!(apart, "∇CE and ∇KL within their bounds: {ce:?} {kl:?}");
}

#[test]
fn claim_9_kl_loss_pitfalls() {
    let v = assert_as_expected("kl-loss-pitfalls");
    assert_open_searches(
        &v,
        &[
            "(1) mean reduction has the measured CE gradient",
            "(2) sigmoid KL is the Bernoulli KL",
            "(3) PyTorch-style evaluation is the KL",
        ],
    );
    // All three pitfalls were found and shrunk.
    assert_eq!(row(&v, "(1) R rows, C classes"), "1, 2");
    assert_eq!(row(&v, "(1) ∇z mean KL, row 0"), "[-0.25, 0.25]");
    assert_eq!(row(&v, "(1) ∇z batch-mean CE, row 0"), "[-0.5, 0.5]");
    assert_eq!(row(&v, "(2) target y"), "0.05");
    assert_eq!(row(&v, "(2) prediction x"), "0.1");
    assert_eq!(row(&v, "(3) PyTorch-style Σ xlogy(p, p) − p·ln q"), "NaN");
    assert_eq!(row(&v, "(3) KL(p‖q), 0·ln 0 = 0"), "0");
}

fn failed(m: &dyn Implementation, id: &str) -> Option<Problem> {
    let ctx = Context::new(DEFAULT_SEED, 64).with_measures(m);
    let v = claims::run(&ctx, Some(id)).expect("known claim").remove(0);
    (v.outcome == Outcome::Failed).then(|| {
        v.evidence
            .problem
            .expect("a failed claim states its problem")
    })
}

#[test]
fn swapped_kl_arguments_fail_claims_6_7_and_9() {
    for id in ["reverse-kl-differs", "moving-target", "kl-loss-pitfalls"] {
        let problem = failed(&SWAPPED_KL, id);
        assert!(problem.is_some(), "{id} missed the swap");
    }
}

#[test]
fn cross_entropy_in_bits_fails_claims_7_and_9() {
    for id in ["moving-target", "kl-loss-pitfalls"] {
        let problem = failed(&BASE_2_CROSS_ENTROPY, id);
        assert!(problem.is_some(), "{id} missed the unit");
    }
}

#[test]
fn the_crate_s_own_measures_pass_claims_6_7_and_9_at_other_seeds() {
    for seed in [1, 2, 3] {
        let ctx = Context::new(seed, 64);
        for id in ["reverse-kl-differs", "moving-target", "kl-loss-pitfalls"] {
            let v = claims::run(&ctx, Some(id)).expect("known claim").remove(0);
            assert_eq!(
                v.outcome,
                Outcome::AsExpected,
                "{id} at seed {seed}: {:?}",
                v.evidence.problem
            );
        }
    }
}

// ------------------------------------------------------------------------
// The rounding-error bounds of the pitfalls module, against a 320-bit reference.

use astro_float::{BigFloat, RoundingMode};
use common::reference::{PREC, Reference};
use logloss_proofs::measures::log_softmax_error_bounds;
use logloss_proofs::risk::co_trained::CoTrained;
use logloss_proofs::risk::torch_losses::{TorchReduction, kl_div_logits_gradient};
use logloss_proofs::seed::stream;
use rand::RngExt;

const RM: RoundingMode = RoundingMode::ToEven;

/// ln softmax(z) at 320 bits, from the f64 logits taken as exact.
fn reference_log_softmax(r: &mut Reference, z: &[BigFloat]) -> Vec<BigFloat> {
    let max = z.iter().fold(z[0].clone(), |m, x| {
        if x.cmp(&m) == Some(1) { x.clone() } else { m }
    });
    let mut sum = r.big(0.0);
    for x in z {
        sum = sum.add(&r.exp(&x.sub(&max, PREC, RM)), PREC, RM);
    }
    let ln_sum = r.ln(&sum);
    z.iter()
        .map(|x| x.sub(&max, PREC, RM).sub(&ln_sum, PREC, RM))
        .collect()
}

/// |computed − reference| as an f64 (the reference's error is below 1e−90).
fn abs_error(r: &mut Reference, computed: f64, reference: &BigFloat) -> f64 {
    let d = r.big(computed).sub(reference, PREC, RM).abs();
    r.nearest_f64(&d)
}

#[test]
fn log_softmax_error_bounds_cover_the_crate_s_error() {
    let mut r = Reference::new();
    let mut rng = stream(DEFAULT_SEED, "claims-differ/log-softmax-bounds", 0);
    for case in 0..200 {
        let n = rng.random_range(1..=12);
        let scale = [1.0, 30.0, 700.0][case % 3];
        let z: Vec<f64> = (0..n)
            .map(|_| scale * rng.random_range(-1.0..1.0))
            .collect();
        let got = measures::log_softmax(&z).unwrap();
        let bounds = log_softmax_error_bounds(&z, 0.0);
        let zb: Vec<BigFloat> = z.iter().map(|&x| r.big(x)).collect();
        let want = reference_log_softmax(&mut r, &zb);
        for i in 0..n {
            let err = abs_error(&mut r, got[i], &want[i]);
            assert!(
                err <= bounds[i],
                "case {case}, entry {i}: {err:e} > {:e}",
                bounds[i]
            );
        }
    }
}

#[test]
fn co_trained_gradient_bounds_cover_their_error() {
    let mut r = Reference::new();
    let mut rng = stream(DEFAULT_SEED, "claims-differ/gradient-bounds", 0);
    for case in 0..100 {
        let (c, d) = (rng.random_range(2..=6), rng.random_range(1..=4));
        let mut draw = |k: usize, s: f64| -> Vec<f64> {
            (0..k).map(|_| s * rng.random_range(-1.0..1.0)).collect()
        };
        let (a, b, theta) = (draw(c * d, 3.0), draw(c * d, 3.0), draw(d, 2.0));
        let g = CoTrained::new(c, d, a.clone(), b.clone())
            .unwrap()
            .gradients(&theta)
            .unwrap();
        // The reference: exact logits, log-probabilities and the formulas of
        // the moving_target module at 320 bits.
        let logits = |r: &mut Reference, m: &[f64]| -> Vec<BigFloat> {
            (0..c)
                .map(|i| {
                    (0..d).fold(r.big(0.0), |acc, j| {
                        acc.add(
                            &r.big(m[i * d + j]).mul(&r.big(theta[j]), PREC, RM),
                            PREC,
                            RM,
                        )
                    })
                })
                .collect()
        };
        let (za, zb) = (logits(&mut r, &a), logits(&mut r, &b));
        let lp = reference_log_softmax(&mut r, &za);
        let lq = reference_log_softmax(&mut r, &zb);
        let p: Vec<BigFloat> = lp.iter().map(|x| r.exp(x)).collect();
        let q: Vec<BigFloat> = lq.iter().map(|x| r.exp(x)).collect();
        let dot = |r: &mut Reference, x: &[BigFloat], y: &[BigFloat]| {
            x.iter().zip(y).fold(r.big(0.0), |acc, (u, v)| {
                acc.add(&u.mul(v, PREC, RM), PREC, RM)
            })
        };
        let ce = dot(&mut r, &p, &lq).neg();
        let h = dot(&mut r, &p, &lp).neg();
        let diff: Vec<BigFloat> = lp
            .iter()
            .zip(&lq)
            .map(|(x, y)| x.sub(y, PREC, RM))
            .collect();
        let kl = dot(&mut r, &p, &diff);
        for j in 0..d {
            let (mut g_ce, mut g_h, mut g_kl) = (r.big(0.0), r.big(0.0), r.big(0.0));
            for i in 0..c {
                let (aij, bij) = (r.big(a[i * d + j]), r.big(b[i * d + j]));
                let student = bij.mul(&q[i].sub(&p[i], PREC, RM), PREC, RM);
                let t_ce = aij.mul(&p[i].mul(&lq[i].add(&ce, PREC, RM), PREC, RM), PREC, RM);
                let t_h = aij.mul(&p[i].mul(&lp[i].add(&h, PREC, RM), PREC, RM), PREC, RM);
                let t_kl = aij.mul(&p[i].mul(&diff[i].sub(&kl, PREC, RM), PREC, RM), PREC, RM);
                g_ce = g_ce.add(&student.sub(&t_ce, PREC, RM), PREC, RM);
                g_h = g_h.sub(&t_h, PREC, RM);
                g_kl = g_kl.add(&student.add(&t_kl, PREC, RM), PREC, RM);
            }
            for (name, got, want) in [
                ("CE", &g.cross_entropy, &g_ce),
                ("H", &g.entropy, &g_h),
                ("KL", &g.kl_divergence, &g_kl),
            ] {
                let err = abs_error(&mut r, got.value[j], want);
                assert!(
                    err <= got.error[j],
                    "case {case}, ∂{name}/∂θ{j}: {err:e} > {:e}",
                    got.error[j]
                );
            }
        }
    }
}

#[test]
fn kl_div_gradient_bounds_cover_their_error() {
    let mut r = Reference::new();
    let mut rng = stream(DEFAULT_SEED, "claims-differ/kl-div-gradient-bounds", 0);
    for case in 0..100 {
        let (rows, c) = (rng.random_range(1..=4), rng.random_range(1..=6));
        let target: Vec<Vec<f64>> = (0..rows)
            .map(|_| {
                let w: Vec<f64> = (0..c).map(|_| rng.random_range(0.0..1.0)).collect();
                measures::normalize(&w).unwrap()
            })
            .collect();
        let logits: Vec<Vec<f64>> = (0..rows)
            .map(|_| (0..c).map(|_| rng.random_range(-20.0..20.0)).collect())
            .collect();
        let g = kl_div_logits_gradient(&target, &logits, TorchReduction::Mean).unwrap();
        // (q·Σt − t)/(R·C) at 320 bits.
        let scale = r.big(1.0).div(&r.big((rows * c) as f64), PREC, RM);
        for row in 0..rows {
            let zb: Vec<BigFloat> = logits[row].iter().map(|&x| r.big(x)).collect();
            let lq = reference_log_softmax(&mut r, &zb);
            let mass = target[row]
                .iter()
                .fold(r.big(0.0), |acc, &t| acc.add(&r.big(t), PREC, RM));
            for k in 0..c {
                let q = r.exp(&lq[k]);
                let want = q
                    .mul(&mass, PREC, RM)
                    .sub(&r.big(target[row][k]), PREC, RM)
                    .mul(&scale, PREC, RM);
                let err = abs_error(&mut r, g[row].value[k], &want);
                assert!(
                    err <= g[row].error[k],
                    "case {case}, row {row}, entry {k}: {err:e} > {:e}",
                    g[row].error[k]
                );
            }
        }
    }
}
