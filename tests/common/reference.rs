//! High-precision reference values, computed inside the tests with astro-float
//! at 320 bits (about 96 decimal digits): far beyond f64, so the reference's own
//! error is negligible (< 1e−90 relative) against the bounds checked.

use astro_float::{BigFloat, Consts, Radix, RoundingMode};
use std::collections::HashMap;

/// Working precision in bits.
pub const PREC: usize = 320;
const RM: RoundingMode = RoundingMode::ToEven;

/// A reference calculator.
///
/// A 320-bit logarithm costs about 50 µs, so logarithms of f64 inputs are
/// cached by bit pattern and counted: [`Reference::evaluations`] reports how
/// many `ln`/`exp` evaluations a test spent, to keep the suite fast.
pub struct Reference {
    cc: Consts,
    ln_cache: HashMap<u64, BigFloat>,
    evaluations: usize,
}

/// H, CE and KL of one pair (p, q), at 320 bits.
pub struct Measures {
    pub entropy: BigFloat,
    pub cross_entropy: BigFloat,
    pub kl: BigFloat,
}

/// The two terms of a Bernoulli KL divergence at 320 bits:
/// T₁ = y ln(y/x) and T₂ = (1 − y) ln((1 − y)/(1 − x)), KL = T₁ + T₂.
pub struct BernoulliKlTerms {
    pub t1: BigFloat,
    pub t2: BigFloat,
}

#[allow(dead_code)]
impl Reference {
    pub fn new() -> Self {
        Reference {
            cc: Consts::new().expect("astro-float constants"),
            ln_cache: HashMap::new(),
            evaluations: 0,
        }
    }

    /// How many 320-bit `ln`/`exp` evaluations this calculator has made
    /// (cache hits excluded).
    pub fn evaluations(&self) -> usize {
        self.evaluations
    }

    /// The f64 as an exact BigFloat. astro-float 0.9's `from_f64` halves
    /// subnormal inputs, so those are scaled into the normal range first and
    /// scaled back exactly (a division by a power of two).
    pub fn big(&self, x: f64) -> BigFloat {
        if x != 0.0 && x.abs() < f64::MIN_POSITIVE {
            let scale = BigFloat::from_f64(2f64.powi(64), PREC);
            BigFloat::from_f64(x * 2f64.powi(64), PREC).div(&scale, PREC, RM)
        } else {
            BigFloat::from_f64(x, PREC)
        }
    }

    pub fn ln(&mut self, x: &BigFloat) -> BigFloat {
        self.evaluations += 1;
        x.ln(PREC, RM, &mut self.cc)
    }

    pub fn exp(&mut self, x: &BigFloat) -> BigFloat {
        self.evaluations += 1;
        x.exp(PREC, RM, &mut self.cc)
    }

    /// ln x for a finite f64 x > 0 taken as exact, cached by bit pattern.
    pub fn ln_f64(&mut self, x: f64) -> BigFloat {
        assert!(x > 0.0 && x.is_finite(), "ln_f64({x:e})");
        if let Some(v) = self.ln_cache.get(&x.to_bits()) {
            return v.clone();
        }
        let v = self.ln(&self.big(x));
        self.ln_cache.insert(x.to_bits(), v.clone());
        v
    }

    pub fn add(&self, a: &BigFloat, b: &BigFloat) -> BigFloat {
        a.add(b, PREC, RM)
    }

    pub fn sub(&self, a: &BigFloat, b: &BigFloat) -> BigFloat {
        a.sub(b, PREC, RM)
    }

    pub fn mul(&self, a: &BigFloat, b: &BigFloat) -> BigFloat {
        a.mul(b, PREC, RM)
    }

    /// Σ xᵢ of f64 values taken as exact.
    pub fn sum(&self, xs: &[f64]) -> BigFloat {
        xs.iter()
            .fold(self.big(0.0), |acc, &x| acc.add(&self.big(x), PREC, RM))
    }

    /// Rounds a reference value to the nearest f64 (via its decimal expansion,
    /// which has ~96 digits: the double rounding cannot matter at the
    /// resolution of these tests).
    pub fn nearest_f64(&mut self, x: &BigFloat) -> f64 {
        if x.is_zero() {
            return 0.0;
        }
        let s = x.format(Radix::Dec, RM, &mut self.cc).expect("format");
        s.parse::<f64>().expect("parse reference")
    }

    /// |computed − reference| in units in the last place of the reference
    /// rounded to f64. Exact zero references need an exact zero.
    pub fn ulp_error(&mut self, computed: f64, reference: &BigFloat) -> f64 {
        let r = self.nearest_f64(reference);
        if r == 0.0 {
            return if computed == 0.0 { 0.0 } else { f64::INFINITY };
        }
        let diff = self.big(computed).sub(reference, PREC, RM).abs();
        // The spacing above |r| (next_up, without needing Rust 1.86).
        let ulp = f64::from_bits(r.abs().to_bits() + 1) - r.abs();
        self.nearest_f64(&diff) / ulp
    }

    /// |computed − reference| / |reference|.
    pub fn relative_error(&mut self, computed: f64, reference: &BigFloat) -> f64 {
        let diff = self.big(computed).sub(reference, PREC, RM);
        let rel = diff.div(reference, PREC, RM).abs();
        self.nearest_f64(&rel)
    }

    /// H(p) = −Σ pᵢ ln pᵢ with the f64 entries taken as exact.
    pub fn entropy(&mut self, p: &[f64]) -> BigFloat {
        let mut acc = self.big(0.0);
        for &pi in p {
            if pi > 0.0 {
                let t = self.big(pi).mul(&self.ln_f64(pi), PREC, RM);
                acc = acc.sub(&t, PREC, RM);
            }
        }
        acc
    }

    /// CE(p, q) = −Σ pᵢ ln qᵢ (finite supports only).
    pub fn cross_entropy(&mut self, p: &[f64], q: &[f64]) -> BigFloat {
        let mut acc = self.big(0.0);
        for (&pi, &qi) in p.iter().zip(q) {
            if pi > 0.0 {
                let lq = self.ln_f64(qi);
                acc = acc.sub(&self.big(pi).mul(&lq, PREC, RM), PREC, RM);
            }
        }
        acc
    }

    /// KL(p‖q) = Σ pᵢ (ln pᵢ − ln qᵢ) (finite supports only). The difference
    /// of two 320-bit logarithms has an absolute error near 2⁻³¹⁰, negligible
    /// even against a KL of 1e−20.
    pub fn kl(&mut self, p: &[f64], q: &[f64]) -> BigFloat {
        let mut acc = self.big(0.0);
        for (&pi, &qi) in p.iter().zip(q) {
            if pi > 0.0 {
                let d = self.ln_f64(pi).sub(&self.ln_f64(qi), PREC, RM);
                acc = acc.add(&self.big(pi).mul(&d, PREC, RM), PREC, RM);
            }
        }
        acc
    }

    /// H(p), CE(p, q) and KL(p‖q) together, sharing the logarithms
    /// (finite supports only).
    pub fn measures(&mut self, p: &[f64], q: &[f64]) -> Measures {
        Measures {
            entropy: self.entropy(p),
            cross_entropy: self.cross_entropy(p, q),
            kl: self.kl(p, q),
        }
    }

    /// ln(1 + x) for |x| < 1/2, to full relative precision also when |x| is
    /// far below 2⁻³²⁰ (where 1 + x itself would round to 1): below 2⁻⁶⁴ by
    /// the series x − x²/2 + … + x⁵/5 (remainder below |x|·2⁻³²⁰).
    pub fn ln_1p(&mut self, x: &BigFloat) -> BigFloat {
        let small = BigFloat::from_f64(2f64.powi(-64), PREC);
        if x.abs().cmp(&small).is_some_and(|c| c < 0) {
            let mut acc = self.big(0.0);
            let mut power = x.clone();
            for k in 1..=5 {
                let t = power.div(&BigFloat::from_f64(k as f64, PREC), PREC, RM);
                acc = if k % 2 == 1 {
                    acc.add(&t, PREC, RM)
                } else {
                    acc.sub(&t, PREC, RM)
                };
                power = power.mul(x, PREC, RM);
            }
            acc
        } else {
            let one_plus = self.big(1.0).add(x, PREC, RM);
            self.ln(&one_plus)
        }
    }

    /// ln(1 − x) for an f64 x ∈ [0, 1), accurate also for tiny or subnormal x.
    pub fn ln_one_minus(&mut self, x: f64) -> BigFloat {
        if x < 0.5 {
            self.ln_1p(&self.big(-x))
        } else {
            // 1 − x is exact (Sterbenz).
            self.ln_f64(1.0 - x)
        }
    }

    /// ln softmax(z)ᵢ = zᵢ − ln Σⱼ exp zⱼ, for finite logits taken as exact.
    ///
    /// Evaluated as (zᵢ − m) − ln(1 + Σ_{j≠k} exp(zⱼ − m)) with m = z_k the
    /// maximum: the same value, but zᵢ − LSE would lose ln(1 + rest) for
    /// rest < 2⁻³²⁰·|m| (e.g. logits ±1e4), even at 320 bits. zⱼ − m is exact.
    pub fn log_softmax(&mut self, z: &[f64]) -> Vec<BigFloat> {
        let k = (0..z.len()).fold(0, |best, i| if z[i] > z[best] { i } else { best });
        let m = self.big(z[k]);
        let mut rest = self.big(0.0);
        for (j, &zj) in z.iter().enumerate() {
            if j != k {
                let e = self.exp(&self.big(zj).sub(&m, PREC, RM));
                rest = rest.add(&e, PREC, RM);
            }
        }
        let ln_rest = self.ln_1p(&rest);
        z.iter()
            .map(|&zi| self.big(zi).sub(&m, PREC, RM).sub(&ln_rest, PREC, RM))
            .collect()
    }

    /// CE(p, softmax z) = −Σ pᵢ ln softmax(z)ᵢ, given the reference log-softmax.
    pub fn cross_entropy_from_log_q(&mut self, p: &[f64], log_q: &[BigFloat]) -> BigFloat {
        let mut acc = self.big(0.0);
        for (&pi, lq) in p.iter().zip(log_q) {
            if pi > 0.0 {
                acc = acc.sub(&self.big(pi).mul(lq, PREC, RM), PREC, RM);
            }
        }
        acc
    }

    /// KL(p‖softmax z) = Σ pᵢ (ln pᵢ − ln softmax(z)ᵢ), given the reference log-softmax.
    pub fn kl_from_log_q(&mut self, p: &[f64], log_q: &[BigFloat]) -> BigFloat {
        let mut acc = self.big(0.0);
        for (&pi, lq) in p.iter().zip(log_q) {
            if pi > 0.0 {
                let d = self.ln_f64(pi).sub(lq, PREC, RM);
                acc = acc.add(&self.big(pi).mul(&d, PREC, RM), PREC, RM);
            }
        }
        acc
    }

    /// 1 − x for an f64 x ∈ [0, 1]: exact unless x has bits below 2⁻³²⁰
    /// (tiny x), where the 320-bit rounding, 2⁻³²⁰ relative, is negligible
    /// as a weight. (Its logarithm is not taken: see [`Self::ln_one_minus`].)
    pub fn one_minus(&self, x: f64) -> BigFloat {
        self.big(1.0).sub(&self.big(x), PREC, RM)
    }

    /// ln y and ln(1 − y) for y ∈ [0, 1], `None` where the argument is 0.
    fn ln_pair(&mut self, y: f64) -> (Option<BigFloat>, Option<BigFloat>) {
        let ln_y = (y > 0.0).then(|| self.ln_f64(y));
        let ln_c = (y < 1.0).then(|| self.ln_one_minus(y));
        (ln_y, ln_c)
    }

    /// a·ln b with a·ln 0 = 0 when a = 0 (finite cases only).
    fn weighted(&self, a: &BigFloat, ln_b: Option<BigFloat>) -> BigFloat {
        if a.is_zero() {
            return self.big(0.0);
        }
        a.mul(&ln_b.expect("a > 0 needs b > 0"), PREC, RM)
    }

    /// Bernoulli entropy −y ln y − (1 − y) ln(1 − y), the complement exact.
    pub fn bernoulli_entropy(&mut self, y: f64) -> BigFloat {
        let (ln_y, ln_c) = self.ln_pair(y);
        let t1 = self.weighted(&self.big(y), ln_y);
        let t2 = self.weighted(&self.one_minus(y), ln_c);
        t1.add(&t2, PREC, RM).neg()
    }

    /// Bernoulli cross-entropy −y ln x − (1 − y) ln(1 − x), the complements
    /// exact (finite cases only: y > 0 needs x > 0, y < 1 needs x < 1).
    pub fn bernoulli_cross_entropy(&mut self, y: f64, x: f64) -> BigFloat {
        let (ln_x, ln_cx) = self.ln_pair(x);
        let t1 = self.weighted(&self.big(y), ln_x);
        let t2 = self.weighted(&self.one_minus(y), ln_cx);
        t1.add(&t2, PREC, RM).neg()
    }

    /// The two terms of the Bernoulli KL divergence, the complements exact
    /// (finite cases only).
    pub fn bernoulli_kl_terms(&mut self, y: f64, x: f64) -> BernoulliKlTerms {
        let (ln_y, ln_cy) = self.ln_pair(y);
        let (ln_x, ln_cx) = self.ln_pair(x);
        let diff = |a: Option<BigFloat>, b: Option<BigFloat>| match (a, b) {
            (Some(a), Some(b)) => Some(a.sub(&b, PREC, RM)),
            _ => None,
        };
        let t1 = self.weighted(&self.big(y), diff(ln_y, ln_x));
        let t2 = self.weighted(&self.one_minus(y), diff(ln_cy, ln_cx));
        BernoulliKlTerms { t1, t2 }
    }
}
