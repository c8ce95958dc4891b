//! Accuracy as a stated, tested property: H, CE and KL of probability vectors, against the 320-bit
//! reference in `tests/common/reference.rs`, with each bound either a target
//! the crate states or derived from the computation.
//!
//! Notation: u = 2⁻⁵³ is the unit roundoff; an error in ULP is measured
//! against the spacing of f64 at the reference value. A libm `ln`, `exp` or
//! `ln_1p` is taken to be within 1 ULP, that is 2u relative.
//!
//! Every test prints its worst cases as rows of one table; to see it whole:
//! `cargo test --test accuracy_discrete -- --nocapture --test-threads=1`.
//!
//! Cost: a 320-bit logarithm takes about 50 µs, so the reference work is
//! kept near 5·10⁴ `ln`/`exp` evaluations in all (each test prints its count).

mod common;

use common::accuracy::{
    Worst, dirichlet, exp_weights, near_equal_kl_bound, print_evaluations, print_rows,
};
use common::reference::Reference;
use logloss_proofs::measures::{cross_entropy, entropy, kl_divergence, normalize};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SEED_ORDINARY: u64 = 0x5EED_0001;
const SEED_NEAR_EQUAL: u64 = 0x5EED_0002;
const SEED_NAIVE: u64 = 0x5EED_0003;
const SEED_TINY: u64 = 0x5EED_0004;
const SEED_MANY: u64 = 0x5EED_0005;
const SEED_CONCENTRATED: u64 = 0x5EED_0006;
const SEED_EQUAL: u64 = 0x5EED_000C;

/// The crate's stated accuracy for H, CE and KL on ordinary inputs: 1 ULP
/// (`kl_divergence` docs: "about 1 ULP"; `entropy` and `cross_entropy`:
/// "about 2u" relative, the same order).
const ULP_TARGET: f64 = 1.0;

/// 2⁵³: probabilities kᵢ/2⁵³ with integer kᵢ ≤ 2⁵³ are exact f64 values.
const GRID: f64 = 9_007_199_254_740_992.0;

fn index_of_max(k: &[i64]) -> usize {
    (0..k.len()).max_by_key(|&i| k[i]).expect("non-empty")
}

/// Integer counts kᵢ ≥ 1 with Σkᵢ = 2⁵³ exactly, from a Dirichlet draw.
fn grid_counts(rng: &mut ChaCha8Rng, n: usize) -> Vec<i64> {
    let w = exp_weights(rng, n);
    let total: f64 = w.iter().sum();
    let mut k: Vec<i64> = w
        .iter()
        .map(|x| ((x / total) * GRID).floor().max(1.0) as i64)
        .collect();
    let rest = (1i64 << 53) - k.iter().sum::<i64>();
    let big = index_of_max(&k);
    k[big] += rest;
    k
}

/// kᵢ·(1 + ε·rᵢ), rᵢ uniform in [−1, 1], rounded to integers, with the
/// largest count absorbing the rounding so that the sum stays 2⁵³ exactly.
fn grid_perturb(rng: &mut ChaCha8Rng, k: &[i64], eps: f64) -> Vec<i64> {
    let mut j: Vec<i64> = k
        .iter()
        .map(|&ki| (ki as f64 * eps * (2.0 * rng.random::<f64>() - 1.0)).round() as i64)
        .collect();
    let big = index_of_max(k);
    j[big] -= j.iter().sum::<i64>();
    let out: Vec<i64> = k.iter().zip(&j).map(|(a, b)| a + b).collect();
    assert!(
        out.iter().all(|&x| x > 0),
        "perturbation kept every count positive"
    );
    out
}

fn from_grid(k: &[i64]) -> Vec<f64> {
    k.iter().map(|&x| x as f64 / GRID).collect()
}

/// A pair (p, q) on the 2⁻⁵³ grid with q = p·(1 + ε·r) and Σp = Σq = 1
/// exactly. With `normalize`, Σq − 1 would be up to n·u, which at ε = 1e−8
/// (KL ≈ 1e−17) would dominate Σ pᵢ ln(pᵢ/qᵢ); on the grid the reference is a
/// true KL divergence.
fn near_equal_pair(rng: &mut ChaCha8Rng, n: usize, eps: f64) -> (Vec<f64>, Vec<f64>) {
    let k = grid_counts(rng, n);
    let j = grid_perturb(rng, &k, eps);
    (from_grid(&k), from_grid(&j))
}

// ---------------------------------------------------------------------------
// Discrete measures

/// Checks H(p), CE(p, q) and KL(p‖q) within `ULP_TARGET` of the reference,
/// recording the worst errors.
fn check_ulp(
    reference: &mut Reference,
    p: &[f64],
    q: &[f64],
    worst: &mut [Worst; 3],
    at: &dyn Fn() -> String,
) {
    let exact = reference.measures(p, q);
    let computed = [
        entropy(p).expect("valid p"),
        cross_entropy(p, q).expect("valid p, q"),
        kl_divergence(p, q).expect("valid p, q"),
    ];
    let refs = [&exact.entropy, &exact.cross_entropy, &exact.kl];
    for ((w, &c), r) in worst.iter_mut().zip(&computed).zip(refs) {
        let e = reference.ulp_error(c, r);
        w.record(e, at);
        assert!(
            e <= ULP_TARGET,
            "{} = {c:e} is {e} ULP from the reference {:e} ({})",
            w.measure,
            reference.nearest_f64(r),
            at()
        );
    }
}

/// The crate-level docs (`src/lib.rs`), read at compile time: their
/// accuracy table states the worst errors these tests measure.
const CRATE_DOCS: &str = include_str!("../src/lib.rs");

/// Asserts that the crate docs' accuracy table states `measured` for the row
/// of `measure` whose inputs cell starts with `inputs`, to the digits the
/// table prints ("0.50 ULP": two decimals; "1.0e−16 relative": two
/// significant digits). A measured change of accuracy then fails here until
/// the docs say what is true.
fn assert_stated(measure: &str, inputs: &str, measured: f64) {
    let row = CRATE_DOCS
        .lines()
        .filter_map(|l| l.strip_prefix("//! |"))
        .map(|l| l.split('|').map(str::trim).collect::<Vec<_>>())
        .find(|cells| {
            cells.len() >= 3 && cells[0] == format!("`{measure}`") && cells[1].starts_with(inputs)
        })
        .unwrap_or_else(|| panic!("no row for {measure} on {inputs} in the crate docs"));
    let stated = row[2]
        .split_whitespace()
        .next()
        .expect("a figure")
        .replace('−', "-");
    let shown = if stated.contains('e') {
        format!("{measured:.1e}")
    } else {
        let decimals = stated.split('.').nth(1).map_or(0, str::len);
        format!("{measured:.decimals$}")
    };
    assert_eq!(
        shown, stated,
        "the crate docs state {stated} for {measure} on {inputs}; measured {measured:e}"
    );
}

fn ulp_cells(class: &str) -> [Worst; 3] {
    let bound = "≤ 1 ULP (stated)";
    [
        Worst::new("entropy", class, "ULP", bound),
        Worst::new("cross_entropy", class, "ULP", bound),
        Worst::new("kl_divergence", class, "ULP", bound),
    ]
}

/// Dirichlet draws for p and q, n from 2 to 1000: 368 cases.
#[test]
fn ordinary_inputs_are_within_one_ulp() {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED_ORDINARY);
    let mut reference = Reference::new();
    let mut worst = ulp_cells("ordinary (Dirichlet, n = 2..1000)");
    for (n, cases) in [(2, 80), (3, 80), (5, 80), (10, 80), (100, 40), (1000, 8)] {
        for case in 0..cases {
            let (p, q) = (dirichlet(&mut rng, n), dirichlet(&mut rng, n));
            check_ulp(&mut reference, &p, &q, &mut worst, &|| {
                format!("n = {n}, case {case}")
            });
        }
    }
    print_rows(&worst.each_ref());
    print_evaluations("ordinary", &reference);
    for w in &worst {
        assert_stated(w.measure, "random distributions", w.value);
    }
}

/// q = p·(1 + ε·r) with ε = 1e−6 and 1e−8, Σp = Σq = 1 exactly: KL ≈ ε²/6,
/// where KL's relative error must stay within its derived bound (about u,
/// see `near_equal_kl_bound`); H and CE stay within 1 ULP.
#[test]
fn near_equal_inputs_keep_kl_relative_accuracy() {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED_NEAR_EQUAL);
    let mut reference = Reference::new();
    let mut worst_relative: f64 = 0.0;
    for eps in [1e-6, 1e-8] {
        let class = format!("q = p(1 ± {eps:e}), n = 2..1000");
        let mut ulp = ulp_cells(&class);
        let mut rel = Worst::new("kl_divergence", &class, "relative", "≤ derived (≈ u)");
        let mut tightness: f64 = 0.0;
        for (n, cases) in [(2, 20), (3, 20), (10, 20), (100, 8), (1000, 2)] {
            for case in 0..cases {
                let (p, q) = near_equal_pair(&mut rng, n, eps);
                let at = || format!("n = {n}, case {case}");
                check_ulp(&mut reference, &p, &q, &mut ulp, &at);
                let kl = kl_divergence(&p, &q).expect("valid p, q");
                let exact = reference.kl(&p, &q);
                let e = reference.relative_error(kl, &exact);
                rel.record(e, at);
                let pairs: Vec<(f64, f64)> = p.iter().copied().zip(q.iter().copied()).collect();
                let bound = near_equal_kl_bound(&pairs, reference.nearest_f64(&exact), 0.0);
                tightness = tightness.max(e / bound);
                assert!(
                    e <= bound,
                    "KL = {kl:e}, relative error {e:e} > bound {bound:e} ({})",
                    at()
                );
            }
        }
        print_rows(&[&ulp[0], &ulp[1], &ulp[2], &rel]);
        // Tightness: the bound is about u, and a correctly rounded result is
        // within u/2·(1 + tiny); the worst case over these draws must use at
        // least a quarter of the bound, or the bound (or this test) has gone
        // slack by more than a factor 4.
        println!("| worst error / bound, ε = {eps:e}: {tightness:.3}");
        assert!(
            tightness >= 0.25,
            "the bound is loose: worst ratio {tightness}"
        );
        worst_relative = worst_relative.max(rel.value);
    }
    assert_stated("kl_divergence", "q = p up to", worst_relative);
    print_evaluations("near-equal", &reference);
}

/// Documents why the algorithm matters: on q = p(1 ± 1e−6), the one-liner
/// Σ p·ln(p/q) and CE − H (even from this crate's correctly rounded CE and
/// H) lose most of their digits. Measured, not derived: the assertion checks
/// that both are worse than the crate by more than a factor 10³.
#[test]
fn naive_kl_loses_digits_that_the_crate_keeps() {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED_NAIVE);
    let mut reference = Reference::new();
    let class = "q = p(1 ± 1e-6), n = 10";
    let mut crate_kl = Worst::new("kl_divergence", class, "relative", "measured, worst");
    let mut naive = Worst::new("Σ p·ln(p/q)", class, "relative", "measured, worst");
    let mut difference = Worst::new("CE − H", class, "relative", "measured, worst");
    let mut errors: [Vec<f64>; 3] = Default::default();
    for case in 0..20 {
        let (p, q) = near_equal_pair(&mut rng, 10, 1e-6);
        let exact = reference.kl(&p, &q);
        let mut one_liner = 0.0;
        for (&a, &b) in p.iter().zip(&q) {
            one_liner += a * (a / b).ln();
        }
        let ce_minus_h = cross_entropy(&p, &q).unwrap() - entropy(&p).unwrap();
        let kl = kl_divergence(&p, &q).unwrap();
        let at = || format!("case {case}");
        let e = [kl, one_liner, ce_minus_h].map(|v| reference.relative_error(v, &exact));
        crate_kl.record(e[0], at);
        naive.record(e[1], at);
        difference.record(e[2], at);
        for (list, e) in errors.iter_mut().zip(e) {
            list.push(e);
        }
    }
    // The medians, as rows of the same table.
    let medians: Vec<Worst> = [&crate_kl, &naive, &difference]
        .iter()
        .zip(errors.iter_mut())
        .map(|(w, list)| {
            list.sort_by(f64::total_cmp);
            let mut m = Worst::new(w.measure, class, "relative", "measured, median");
            m.record(list[list.len() / 2], || "20 cases".into());
            m
        })
        .collect();
    print_rows(&[
        &crate_kl,
        &medians[0],
        &naive,
        &medians[1],
        &difference,
        &medians[2],
    ]);
    assert!(
        naive.value > 1e3 * crate_kl.value,
        "naive {naive_v:e} vs crate {crate_v:e}",
        naive_v = naive.value,
        crate_v = crate_kl.value
    );
    assert!(
        difference.value > 1e3 * crate_kl.value,
        "CE − H {:e} vs crate {:e}",
        difference.value,
        crate_kl.value
    );
    print_evaluations("naive comparison", &reference);
}

/// Entries from 1e−30 down to 1e−300 and subnormal (1e−310, 5e−324) mixed
/// with ordinary ones, in p, in q, or in both; also a subnormal q where p is
/// ordinary (CE ≈ 186).
#[test]
fn tiny_and_subnormal_entries_are_within_one_ulp() {
    const TINY: [f64; 7] = [
        1e-30,
        1e-100,
        1e-200,
        1e-300,
        f64::MIN_POSITIVE,
        1e-310,
        5e-324,
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(SEED_TINY);
    let mut reference = Reference::new();
    let mut worst = ulp_cells("tiny and subnormal entries (n = 10)");
    // A Dirichlet draw with three entries replaced by tiny values, their mass
    // moved to the largest entry: the tiny values stay exact (normalize would
    // divide them, and 5e−324/Σ may round to 0).
    let with_tiny = |rng: &mut ChaCha8Rng| {
        let mut p = dirichlet(rng, 10);
        let big = (0..10).fold(0, |b, i| if p[i] > p[b] { i } else { b });
        for _ in 0..3 {
            let i = (big + rng.random_range(1..10)) % 10;
            let tiny = TINY[rng.random_range(0..TINY.len())];
            p[big] += p[i] - tiny;
            p[i] = tiny;
        }
        p
    };
    for case in 0..40 {
        let (p, q) = (with_tiny(&mut rng), with_tiny(&mut rng));
        check_ulp(&mut reference, &p, &q, &mut worst, &|| {
            format!("case {case}")
        });
    }
    // Hand-made: the sums are 1 + 5e−324 and the like, which pass the check.
    let cases: [(&[f64], &[f64]); 3] = [
        (&[0.25, 0.75], &[5e-324, 1.0]),
        (
            &[0.5, 0.25, 0.25, 1e-300, 1e-310, 5e-324],
            &[0.25, 0.5, 0.25, 1e-200, 5e-324, 1e-310],
        ),
        (&[1e-310, 0.5, 0.5], &[0.5, 0.5, 1e-300]),
    ];
    for (k, (p, q)) in cases.iter().enumerate() {
        check_ulp(&mut reference, p, q, &mut worst, &|| {
            format!("hand-made case {k}")
        });
    }
    print_rows(&worst.each_ref());
    print_evaluations("tiny", &reference);
}

/// 10⁵ categories, once. The probabilities take 10³ distinct values each
/// (weights drawn for 10³ categories and repeated), so the cached reference
/// needs only about 2·10³ logarithms while the crate sums 10⁵ terms.
#[test]
fn one_hundred_thousand_categories_are_within_one_ulp() {
    const N: usize = 100_000;
    const DISTINCT: usize = 1_000;
    let mut rng = ChaCha8Rng::seed_from_u64(SEED_MANY);
    let mut reference = Reference::new();
    let (wp, wq) = (
        exp_weights(&mut rng, DISTINCT),
        exp_weights(&mut rng, DISTINCT),
    );
    // q's values are laid out with a different stride, so the pairs (pᵢ, qᵢ) vary.
    let p = normalize(&(0..N).map(|i| wp[i % DISTINCT]).collect::<Vec<_>>()).unwrap();
    let q = normalize(
        &(0..N)
            .map(|i| wq[(i * 7 + i / DISTINCT) % DISTINCT])
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let mut worst = ulp_cells("n = 10⁵ (Dirichlet weights, repeated)");
    check_ulp(&mut reference, &p, &q, &mut worst, &|| "n = 10⁵".into());
    assert_eq!(kl_divergence(&p, &p).unwrap(), 0.0, "KL(p‖p) = 0 exactly");
    print_rows(&worst.each_ref());
    print_evaluations("10⁵ categories", &reference);
}

/// All but 1e−12 of the mass on one category, in p and in q: H ≈ 3e−11 and
/// KL of order 1e−12 are small, but every term keeps its relative accuracy.
#[test]
fn concentrated_mass_is_within_one_ulp() {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED_CONCENTRATED);
    let mut reference = Reference::new();
    let mut worst = ulp_cells("all but 1e-12 of the mass on one entry");
    let concentrated = |rng: &mut ChaCha8Rng, n: usize| {
        let mut w: Vec<f64> = exp_weights(rng, n).iter().map(|x| x * 1e-12).collect();
        w[0] = 1.0;
        normalize(&w).expect("positive weights")
    };
    for n in [2, 10, 100] {
        for case in 0..10 {
            let (p, q) = (concentrated(&mut rng, n), concentrated(&mut rng, n));
            check_ulp(&mut reference, &p, &q, &mut worst, &|| {
                format!("n = {n}, case {case}")
            });
        }
    }
    print_rows(&worst.each_ref());
    print_evaluations("concentrated", &reference);
}

/// p = q gives exactly 0, whatever the entries.
#[test]
fn equal_inputs_give_exactly_zero() {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED_EQUAL);
    let mut cases: Vec<Vec<f64>> = vec![
        vec![1.0],
        vec![0.5, 0.5],
        vec![1.0, 0.0],
        vec![0.25, 0.75, 5e-324, 1e-310],
        vec![1.0 - 1e-12, 1e-12],
        vec![1e-5; 100_000],
    ];
    for n in [3, 10, 1000] {
        cases.push(dirichlet(&mut rng, n));
    }
    for p in &cases {
        assert_eq!(kl_divergence(p, p).unwrap(), 0.0, "n = {}", p.len());
    }
}
