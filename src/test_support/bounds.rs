//! Validity and tightness of an error bound, against 320-bit references.
//!
//! A [`BoundCheck`] is fed, input by input, a computed value's error against
//! its exact value (at 320 bits, so the reference's own error, below 2⁻³⁰⁰
//! relative, is far under anything compared) and the bound the code states
//! for it. It asserts validity (error ≤ bound on every input) and, when
//! finished, tightness: the worst error/bound ratio over the sample is at
//! least a stated floor, so that a bound loosened by more than 1/floor fails.
//! Each check prints one line
//!
//! ```text
//! bound-ratio <TAB> name <TAB> inputs <TAB> worst ratio <TAB> floor
//! ```
//!
//! (seen with `--nocapture`), the rows of `reports/bounds.md`.

use astro_float::{BigFloat, Consts};

use super::{PREC, RM, big, to_f64};

/// The running validity and tightness check of one bound.
pub(crate) struct BoundCheck {
    name: &'static str,
    floor: f64,
    inputs: usize,
    worst: f64,
    worst_at: String,
}

impl BoundCheck {
    /// A check of the bound `name` whose worst ratio must reach `floor`.
    pub(crate) fn new(name: &'static str, floor: f64) -> Self {
        BoundCheck {
            name,
            floor,
            inputs: 0,
            worst: 0.0,
            worst_at: String::new(),
        }
    }

    /// Records one input: asserts `error ≤ bound` (both non-negative, the
    /// bound finite) and keeps the worst ratio. `at` describes the input for
    /// the failure message and the worst case.
    #[track_caller]
    pub(crate) fn record(&mut self, error: f64, bound: f64, at: impl Fn() -> String) {
        assert!(
            bound.is_finite() && bound >= 0.0 && error >= 0.0,
            "{}: error {error:e}, bound {bound:e} at {}",
            self.name,
            at()
        );
        assert!(
            error <= bound,
            "{}: error {error:e} > bound {bound:e} (ratio {}) at {}",
            self.name,
            error / bound,
            at()
        );
        self.inputs += 1;
        let ratio = if bound > 0.0 { error / bound } else { 0.0 };
        if ratio > self.worst {
            self.worst = ratio;
            self.worst_at = at();
        }
    }

    /// Records a computed f64 against its exact 320-bit value:
    /// error = |computed − exact|, rounded to f64 (within u relative of the
    /// exact error, far inside the floors' factors).
    #[track_caller]
    pub(crate) fn value(
        &mut self,
        computed: f64,
        exact: &BigFloat,
        bound: f64,
        cc: &mut Consts,
        at: impl Fn() -> String,
    ) {
        self.record(error_of(computed, exact, cc), bound, at);
    }

    /// Asserts the worst ratio reaches the floor, and prints the row.
    #[track_caller]
    pub(crate) fn finish(self) {
        println!(
            "bound-ratio\t{}\t{}\t{:.6e}\t{:.3e}",
            self.name, self.inputs, self.worst, self.floor
        );
        assert!(
            self.inputs > 0 && self.worst >= self.floor,
            "{}: worst error/bound {:e} < floor {:e} over {} inputs (worst at {})",
            self.name,
            self.worst,
            self.floor,
            self.inputs,
            self.worst_at
        );
    }
}

/// |computed − exact| as an f64, from the exact 320-bit difference.
pub(crate) fn error_of(computed: f64, exact: &BigFloat, cc: &mut Consts) -> f64 {
    to_f64(&big(computed).sub(exact, PREC, RM).abs(), cc)
}

/// The named stream of a bound check: (the default seed, "bounds/" + name,
/// chunk 0), so the sample is the same at every run.
pub(crate) fn bound_stream(name: &str) -> rand_chacha::ChaCha8Rng {
    crate::seed::stream(crate::seed::DEFAULT_SEED, &format!("bounds/{name}"), 0)
}

/// Runs bound checks over `cases` random inputs, the prologue every bound
/// test shares: one 320-bit constants cache, the inputs drawn from the named
/// stream [`bound_stream`]`(stream)`, and one [`BoundCheck`] per
/// `(name, floor)` of `checks`. `case(k, rng, cc, checks)` records input
/// k = 0, 1, …, cases − 1 into the checks (in the order given); once every
/// case has run, each check is finished in that order, asserting its worst
/// ratio reaches its floor and printing its row.
///
/// The draws are those of a loop `for k in 0..cases` over the stream, so a
/// test moved onto this runner keeps its sample.
#[track_caller]
pub(crate) fn bound_checks<const N: usize>(
    stream: &str,
    checks: [(&'static str, f64); N],
    cases: usize,
    mut case: impl FnMut(usize, &mut rand_chacha::ChaCha8Rng, &mut Consts, &mut [BoundCheck; N]),
) {
    let mut cc = Consts::new().expect("astro-float constants");
    let mut rng = bound_stream(stream);
    let mut checks = checks.map(|(name, floor)| BoundCheck::new(name, floor));
    for k in 0..cases {
        case(k, &mut rng, &mut cc, &mut checks);
    }
    for check in checks {
        check.finish();
    }
}

/// ln softmax(z) at 320 bits, the f64 z exact: (zᵢ − max z) − ln Σⱼe^(zⱼ − max z).
pub(crate) fn exact_log_softmax(z: &[f64], cc: &mut Consts) -> Vec<BigFloat> {
    let top = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let shifted: Vec<_> = z.iter().map(|&x| big(x).sub(&big(top), PREC, RM)).collect();
    let sum = shifted
        .iter()
        .fold(big(0.0), |a, x| a.add(&x.exp(PREC, RM, cc), PREC, RM));
    let ln_sum = sum.ln(PREC, RM, cc);
    shifted.iter().map(|x| x.sub(&ln_sum, PREC, RM)).collect()
}

/// A uniform draw from [lo, hi).
pub(crate) fn uniform(rng: &mut impl rand::Rng, lo: f64, hi: f64) -> f64 {
    use rand::RngExt;
    lo + (hi - lo) * rng.random::<f64>()
}

/// A random probability vector of n entries: weights e^(s·(2v − 1)) for
/// uniform v, normalized in f64 (so Σ = 1 only within rounding, as stored
/// vectors are). `spread` s sets how unequal the entries are (e^(±s)).
pub(crate) fn simplex(rng: &mut impl rand::Rng, n: usize, spread: f64) -> Vec<f64> {
    let w: Vec<f64> = (0..n)
        .map(|_| (spread * uniform(rng, -1.0, 1.0)).exp())
        .collect();
    let s: f64 = w.iter().sum();
    w.iter().map(|x| x / s).collect()
}

/// ln x at 320 bits for an f64 x > 0 taken as exact.
pub(crate) fn ln_big(x: f64, cc: &mut Consts) -> BigFloat {
    big(x).ln(PREC, RM, cc)
}

/// The inputs of the logarithm's accuracy sweeps: `start`, then 3000 steps
/// of a fixed, seedless xorshift giving two inputs each: one of a random
/// mantissa and exponent (every binade), and one 1 + d with |d| ≤ 2⁻¹⁻ᵏ for
/// a k from 0 to 39 (near 1, where ln x → 0 and relative accuracy is
/// hardest). Fixed, so the sweep is the same at every run.
pub(crate) fn ln_sweep(start: &[f64]) -> Vec<f64> {
    let mut xs = start.to_vec();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..3000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let exp = (state % 2046) + 1;
        xs.push(f64::from_bits((exp << 52) | (state >> 12)));
        xs.push(
            1.0 + ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5)
                * 2f64.powi(-((state % 40) as i32)),
        );
    }
    xs
}
