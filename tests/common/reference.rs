//! High-precision reference values, computed inside the tests with astro-float
//! at 320 bits (about 96 decimal digits): far beyond f64, so the reference's own
//! error is negligible (< 1e−90 relative) against the bounds checked.

use astro_float::{BigFloat, Consts, Radix, RoundingMode};

/// Working precision in bits.
pub const PREC: usize = 320;
const RM: RoundingMode = RoundingMode::ToEven;

/// A reference calculator.
pub struct Reference {
    cc: Consts,
}

#[allow(dead_code)]
impl Reference {
    pub fn new() -> Self {
        Reference {
            cc: Consts::new().expect("astro-float constants"),
        }
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
        x.ln(PREC, RM, &mut self.cc)
    }

    pub fn exp(&mut self, x: &BigFloat) -> BigFloat {
        x.exp(PREC, RM, &mut self.cc)
    }

    /// Rounds a reference value to the nearest f64 (via its decimal expansion,
    /// which has ~96 digits: the double rounding cannot matter at the
    /// resolution of these tests).
    pub fn to_f64(&mut self, x: &BigFloat) -> f64 {
        if x.is_zero() {
            return 0.0;
        }
        let s = x.format(Radix::Dec, RM, &mut self.cc).expect("format");
        s.parse::<f64>().expect("parse reference")
    }

    /// |computed − reference| in units in the last place of the reference
    /// rounded to f64. Exact zero references need an exact zero.
    pub fn ulp_error(&mut self, computed: f64, reference: &BigFloat) -> f64 {
        let r = self.to_f64(reference);
        if r == 0.0 {
            return if computed == 0.0 { 0.0 } else { f64::INFINITY };
        }
        let diff = self.big(computed).sub(reference, PREC, RM).abs();
        let ulp = r.abs().next_up() - r.abs();
        self.to_f64(&diff) / ulp
    }

    /// |computed − reference| / |reference|.
    pub fn relative_error(&mut self, computed: f64, reference: &BigFloat) -> f64 {
        let diff = self.big(computed).sub(reference, PREC, RM);
        let rel = diff.div(reference, PREC, RM).abs();
        self.to_f64(&rel)
    }

    /// H(p) = −Σ pᵢ ln pᵢ with the f64 entries taken as exact.
    pub fn entropy(&mut self, p: &[f64]) -> BigFloat {
        let mut acc = self.big(0.0);
        for &pi in p {
            if pi > 0.0 {
                let b = self.big(pi);
                let t = b.mul(&self.ln(&b), PREC, RM);
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
                let lq = self.ln(&self.big(qi));
                acc = acc.sub(&self.big(pi).mul(&lq, PREC, RM), PREC, RM);
            }
        }
        acc
    }

    /// KL(p‖q) = Σ pᵢ ln(pᵢ/qᵢ) (finite supports only).
    pub fn kl(&mut self, p: &[f64], q: &[f64]) -> BigFloat {
        let mut acc = self.big(0.0);
        for (&pi, &qi) in p.iter().zip(q) {
            if pi > 0.0 {
                let bp = self.big(pi);
                let ratio = bp.div(&self.big(qi), PREC, RM);
                let t = bp.mul(&self.ln(&ratio), PREC, RM);
                acc = acc.add(&t, PREC, RM);
            }
        }
        acc
    }
}
