//! Planted bugs: implementations of the measures that are wrong in a known
//! way, each bug defined once.
//!
//! A check that no implementation can fail checks nothing. These
//! [`Implementation`]s let a harness show that it catches realistic bugs: the
//! claim catalogue ([`crate::claims`]) must fail on them, naming the claim,
//! and the conformance kit ([`crate::conformance`]) must fail the check named
//! for each. They are offered publicly so that a user's own harness can be
//! tested the same way.
//!
//! - [`Affine`]: the crate's measures, each replaced by scale·value + shift
//!   (a KL off by 1 + ε, an entropy shifted by a constant, …).
//! - [`Planted`]: one [`Bug`] (arguments swapped, a base-2 logarithm, a
//!   clipped q, 0·ln 0 evaluated as NaN, an unshifted softmax, a `mean` over
//!   elements, a dropped category, a wrong gradient) planted in the crate's
//!   measures or in a [`Base::Textbook`] implementation.

use std::f64::consts::LN_2;

use super::implementation::{plain_rows, rejected, rows_from_values};
use super::{Answer, Implementation, Measure, Reduced, Reduction, Reference, Rows};

/// The crate's measures, each replaced by an affine function of itself:
///
/// ```text
/// H ↦ a_H·H + b_H,   CE ↦ a_CE·CE + b_CE,   KL ↦ a_KL·KL + b_KL
/// ```
///
/// with (a, b) = (scale, shift) per measure. Batches are the per-row values
/// summed plainly; cross-entropy from logits is the crate's own.
///
/// # Example
/// ```
/// use logloss_proofs::measures::Implementation;
/// use logloss_proofs::measures::planted::Affine;
/// let off = Affine { kl: (1.0 + 1e-9, 0.0), ..Affine::EXACT };
/// let (p, q) = ([0.5, 0.5], [0.25, 0.75]);
/// let kl = logloss_proofs::measures::kl_divergence(&p, &q).unwrap();
/// assert_eq!(off.kl_divergence(&p, &q).unwrap(), kl * (1.0 + 1e-9));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    /// (scale, shift) of H(p).
    pub entropy: (f64, f64),
    /// (scale, shift) of CE(p, q).
    pub cross_entropy: (f64, f64),
    /// (scale, shift) of KL(p‖q).
    pub kl: (f64, f64),
}

impl Affine {
    /// Every measure with scale 1 and shift 0: the crate's values, the base
    /// of the others by struct update (`Affine { kl: (2.0, 0.0), ..Affine::EXACT }`).
    pub const EXACT: Affine = Affine {
        entropy: (1.0, 0.0),
        cross_entropy: (1.0, 0.0),
        kl: (1.0, 0.0),
    };

    /// KL(p‖q) multiplied by `scale`, the other measures unchanged.
    ///
    /// ```
    /// use logloss_proofs::measures::planted::Affine;
    /// assert_eq!(Affine::scaled_kl(2.0).kl, (2.0, 0.0));
    /// ```
    pub const fn scaled_kl(scale: f64) -> Affine {
        Affine {
            kl: (scale, 0.0),
            ..Affine::EXACT
        }
    }
}

fn affine((scale, shift): (f64, f64), value: f64) -> f64 {
    value * scale + shift
}

impl Implementation for Affine {
    fn name(&self) -> String {
        format!(
            "affine (H {:?}, CE {:?}, KL {:?})",
            self.entropy, self.cross_entropy, self.kl
        )
    }
    fn rows(
        &self,
        measure: Measure,
        p: &Rows,
        second: &Rows,
        reduction: Reduction,
    ) -> Answer<Reduced> {
        rows_from_values(self, measure, p, second, reduction)
    }
    fn value(&self, measure: Measure, p: &[f64], second: &[f64]) -> Answer<f64> {
        let scale_shift = match measure {
            Measure::Entropy => self.entropy,
            Measure::CrossEntropy => self.cross_entropy,
            Measure::KlDivergence => self.kl,
            Measure::CrossEntropyLogits => return Reference.value(measure, p, second),
        };
        Ok(affine(scale_shift, Reference.value(measure, p, second)?))
    }
}

/// What a [`Bug`] is planted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// The crate's own measures ([`Reference`]); a bug inside a sum
    /// ([`Bug::inside_the_sums`]) needs terms to be planted in, and is
    /// planted in the textbook's.
    Crate,
    /// A textbook implementation: plain left-to-right sums of −pᵢ ln pᵢ,
    /// −pᵢ ln qᵢ and pᵢ·(ln pᵢ − ln qᵢ) over pᵢ > 0, cross-entropy from logits
    /// as Σᵢ pᵢ·(lse(z) − zᵢ) with lse(z) = max z + ln Σⱼ exp(zⱼ − max z), and
    /// the gradient softmax(z) − p with the max subtracted.
    Textbook,
}

/// A realistic bug, planted one at a time by [`Planted`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bug {
    /// No bug.
    None,
    /// KL(q‖p) returned for KL(p‖q).
    SwappedKl,
    /// KL in bits (KL/ln 2) while entropy and cross-entropy are in nats.
    Base2Kl,
    /// Cross-entropy in bits (CE/ln 2) while entropy and KL are in nats.
    Base2CrossEntropy,
    /// q clipped to [1e−7, 1] in CE and KL (the usual epsilon guard).
    Clipped,
    /// Every term evaluated, so 0·ln 0 = 0·(−∞) = NaN.
    NoZeroLog,
    /// Cross-entropy from logits as ln(softmax(z)), and the gradient from
    /// that softmax, with the max not subtracted: exp overflows (or every exp
    /// underflows) at |z| ~ 1e4.
    SoftmaxLog,
    /// `batchmean` divided by rows × categories (PyTorch's `mean`).
    MeanElements,
    /// An off-by-one loop bound: the last category is never counted.
    Dropped,
    /// The gradient p − softmax(z).
    GradSign,
    /// The `batchmean` gradient not divided by the rows.
    GradScale,
}

impl Bug {
    /// Whether the bug sits inside a measure's sum (a term, a loop bound, the
    /// softmax) rather than in its arguments, its unit or its reduction.
    ///
    /// ```
    /// use logloss_proofs::measures::planted::Bug;
    /// assert!(Bug::Clipped.inside_the_sums());
    /// assert!(!Bug::SwappedKl.inside_the_sums());
    /// ```
    pub const fn inside_the_sums(self) -> bool {
        matches!(
            self,
            Bug::Clipped | Bug::NoZeroLog | Bug::SoftmaxLog | Bug::Dropped
        )
    }
}

/// An implementation with one [`Bug`] planted in a [`Base`].
///
/// Batches are the per-row values summed plainly (divided by the rows under
/// `batchmean`, or by rows × categories for [`Bug::MeanElements`]); the
/// single-vector forms are the per-row values.
///
/// # Example
/// ```
/// use logloss_proofs::measures::Implementation;
/// use logloss_proofs::measures::planted::{Bug, Planted};
/// let (p, q) = ([0.5, 0.5], [0.25, 0.75]);
/// let swapped = Planted::crate_with(Bug::SwappedKl);
/// let kl_qp = logloss_proofs::measures::kl_divergence(&q, &p).unwrap();
/// assert_eq!(swapped.kl_divergence(&p, &q).unwrap(), kl_qp);
/// let nan = Planted::textbook_with(Bug::NoZeroLog);
/// assert!(nan.entropy(&[1.0, 0.0]).unwrap().is_nan());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planted {
    /// What the bug is planted in.
    pub base: Base,
    /// The bug.
    pub bug: Bug,
}

impl Planted {
    /// `bug` planted in the crate's measures.
    pub const fn crate_with(bug: Bug) -> Planted {
        Planted {
            base: Base::Crate,
            bug,
        }
    }

    /// `bug` planted in the textbook implementation.
    pub const fn textbook_with(bug: Bug) -> Planted {
        Planted {
            base: Base::Textbook,
            bug,
        }
    }

    /// Whether the values come from the textbook's sums.
    fn textbook(&self) -> bool {
        self.base == Base::Textbook || self.bug.inside_the_sums()
    }

    fn categories(&self, n: usize) -> usize {
        if self.bug == Bug::Dropped {
            n.saturating_sub(1)
        } else {
            n
        }
    }

    fn keep(&self, a: f64) -> bool {
        self.bug == Bug::NoZeroLog || a > 0.0
    }

    fn clip(&self, b: f64) -> f64 {
        if self.bug == Bug::Clipped {
            b.clamp(1e-7, 1.0)
        } else {
            b
        }
    }

    fn entropy_row(&self, p: &[f64]) -> Answer<f64> {
        if !self.textbook() {
            return super::entropy(p).map_err(rejected);
        }
        let k = self.categories(p.len());
        Ok(-p[..k]
            .iter()
            .filter(|&&a| self.keep(a))
            .map(|&a| a * a.ln())
            .sum::<f64>())
    }

    fn cross_entropy_row(&self, p: &[f64], q: &[f64]) -> Answer<f64> {
        let value = if self.textbook() {
            let k = self.categories(p.len());
            -p[..k]
                .iter()
                .zip(q)
                .filter(|&(&a, _)| self.keep(a))
                .map(|(&a, &b)| a * self.clip(b).ln())
                .sum::<f64>()
        } else {
            super::cross_entropy(p, q).map_err(rejected)?
        };
        Ok(if self.bug == Bug::Base2CrossEntropy {
            value / LN_2
        } else {
            value
        })
    }

    fn kl_row(&self, p: &[f64], q: &[f64]) -> Answer<f64> {
        let (p, q) = if self.bug == Bug::SwappedKl {
            (q, p)
        } else {
            (p, q)
        };
        let value = if self.textbook() {
            let k = self.categories(p.len());
            p[..k]
                .iter()
                .zip(q)
                .filter(|&(&a, _)| self.keep(a))
                .map(|(&a, &b)| a * (a.ln() - self.clip(b).ln()))
                .sum()
        } else {
            super::kl_divergence(p, q).map_err(rejected)?
        };
        Ok(if self.bug == Bug::Base2Kl {
            value / LN_2
        } else {
            value
        })
    }

    fn softmax(&self, z: &[f64]) -> Answer<Vec<f64>> {
        if !self.textbook() {
            return super::softmax(z).map_err(rejected);
        }
        let e: Vec<f64> = if self.bug == Bug::SoftmaxLog {
            z.iter().map(|x| x.exp()).collect()
        } else {
            let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            z.iter().map(|x| (x - m).exp()).collect()
        };
        let s: f64 = e.iter().sum();
        Ok(e.iter().map(|x| x / s).collect())
    }

    fn cross_entropy_logits_row(&self, p: &[f64], z: &[f64]) -> Answer<f64> {
        if !self.textbook() {
            return super::cross_entropy_logits(p, z).map_err(rejected);
        }
        let k = self.categories(p.len());
        if self.bug == Bug::SoftmaxLog {
            let q = self.softmax(z)?;
            return Ok(-p[..k]
                .iter()
                .zip(&q)
                .filter(|&(&a, _)| self.keep(a))
                .map(|(&a, &b)| a * b.ln())
                .sum::<f64>());
        }
        let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = m + z.iter().map(|x| (x - m).exp()).sum::<f64>().ln();
        Ok(p[..k]
            .iter()
            .zip(z)
            .filter(|&(&a, _)| self.keep(a))
            .map(|(&a, &x)| a * (lse - x))
            .sum())
    }

    /// The per-row values of `f` on the rows of `p` and `second`, reduced.
    fn reduce(
        &self,
        p: &Rows,
        second: &Rows,
        reduction: Reduction,
        f: impl Fn(&Self, &[f64], &[f64]) -> Answer<f64>,
    ) -> Answer<Reduced> {
        if self.bug != Bug::MeanElements || reduction != Reduction::BatchMean {
            return plain_rows(p, second, reduction, |a, b| f(self, a, b));
        }
        let values = p
            .iter()
            .zip(second)
            .map(|(a, b)| f(self, a, b))
            .collect::<Answer<Vec<f64>>>()?;
        let elements = values.len() * p.first().map_or(0, Vec::len);
        Ok(Reduced::Total(values.iter().sum::<f64>() / elements as f64))
    }
}

impl Implementation for Planted {
    fn name(&self) -> String {
        let base = match self.base {
            Base::Crate => "the crate's measures",
            Base::Textbook => "textbook",
        };
        format!("{base}, bug {:?}", self.bug)
    }
    fn rows(
        &self,
        measure: Measure,
        p: &Rows,
        second: &Rows,
        reduction: Reduction,
    ) -> Answer<Reduced> {
        // The entropy's rows are paired with themselves, so that a `mean`
        // over elements sees one row per row.
        let second = if measure == Measure::Entropy {
            p
        } else {
            second
        };
        self.reduce(p, second, reduction, |m, a, b| m.value(measure, a, b))
    }
    fn cross_entropy_logits_grad_rows(
        &self,
        p: &Rows,
        logits: &Rows,
        reduction: Reduction,
    ) -> Answer<Vec<Vec<f64>>> {
        let rows = p.len() as f64;
        let scale = match (reduction, self.bug) {
            (Reduction::BatchMean, Bug::GradScale) => 1.0,
            (Reduction::BatchMean, _) => 1.0 / rows,
            _ => 1.0,
        };
        let sign = if self.bug == Bug::GradSign { -1.0 } else { 1.0 };
        p.iter()
            .zip(logits)
            .map(|(pr, zr)| {
                Ok(self
                    .softmax(zr)?
                    .iter()
                    .zip(pr)
                    .map(|(q, a)| sign * (q - a) * scale)
                    .collect())
            })
            .collect()
    }
    fn value(&self, measure: Measure, p: &[f64], second: &[f64]) -> Answer<f64> {
        match measure {
            Measure::Entropy => self.entropy_row(p),
            Measure::CrossEntropy => self.cross_entropy_row(p, second),
            Measure::KlDivergence => self.kl_row(p, second),
            Measure::CrossEntropyLogits => self.cross_entropy_logits_row(p, second),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: [f64; 3] = [0.5, 0.25, 0.25];
    const Q: [f64; 3] = [0.25, 0.25, 0.5];

    #[test]
    fn the_crate_base_without_a_bug_is_the_crate_s_measures() {
        let m = Planted::crate_with(Bug::None);
        assert_eq!(m.entropy(&P), Reference.entropy(&P));
        assert_eq!(m.cross_entropy(&P, &Q), Reference.cross_entropy(&P, &Q));
        assert_eq!(m.kl_divergence(&P, &Q), Reference.kl_divergence(&P, &Q));
        assert_eq!(
            Affine::EXACT.kl_divergence(&P, &Q),
            Reference.kl_divergence(&P, &Q)
        );
    }

    #[test]
    fn each_bug_changes_what_it_names() {
        let kl = Reference.kl_divergence(&P, &Q).unwrap();
        let ce = Reference.cross_entropy(&P, &Q).unwrap();
        let on = Planted::crate_with;
        assert_eq!(
            on(Bug::SwappedKl).kl_divergence(&P, &Q),
            Reference.kl_divergence(&Q, &P)
        );
        assert_eq!(on(Bug::Base2Kl).kl_divergence(&P, &Q), Ok(kl / LN_2));
        assert_eq!(
            on(Bug::Base2CrossEntropy).cross_entropy(&P, &Q),
            Ok(ce / LN_2)
        );
        assert_eq!(on(Bug::Base2CrossEntropy).kl_divergence(&P, &Q), Ok(kl));
        // A bug inside the sums is planted in the textbook's terms.
        let dropped = on(Bug::Dropped).entropy(&P).unwrap();
        assert_eq!(dropped, -(0.5 * 0.5f64.ln() + 0.25 * 0.25f64.ln()));
        let clipped = Planted::textbook_with(Bug::Clipped);
        assert_eq!(
            clipped.cross_entropy(&[0.5, 0.5], &[1.0, 0.0]),
            Ok(-(0.5 * 1e-7f64.ln()))
        );
        let p = vec![P.to_vec(), Q.to_vec()];
        let Ok(Reduced::Total(mean)) =
            Planted::textbook_with(Bug::MeanElements).entropy_rows(&p, Reduction::BatchMean)
        else {
            panic!("a total")
        };
        let Ok(Reduced::Total(sum)) =
            Planted::textbook_with(Bug::None).entropy_rows(&p, Reduction::Sum)
        else {
            panic!("a total")
        };
        assert_eq!(mean, sum / 6.0);
        let z = vec![vec![0.0, 0.0, 0.0]; 2];
        let g = |bug| {
            Planted::textbook_with(bug)
                .cross_entropy_logits_grad_rows(&p, &z, Reduction::BatchMean)
                .unwrap()
        };
        let third = 1.0 / 3.0;
        assert_eq!(g(Bug::None)[0][0], (third - 0.5) / 2.0);
        assert_eq!(g(Bug::GradSign)[0][0], -((third - 0.5) / 2.0));
        assert_eq!(g(Bug::GradScale)[0][0], third - 0.5);
        let big = [1e4, -1e4, 0.0];
        assert!(
            !Planted::textbook_with(Bug::SoftmaxLog)
                .cross_entropy_logits_row(&P, &big)
                .unwrap()
                .is_finite()
        );
    }

    #[test]
    fn affine_measures_scale_then_shift() {
        let m = Affine {
            entropy: (2.0, 0.5),
            ..Affine::EXACT
        };
        let h = Reference.entropy(&P).unwrap();
        assert_eq!(m.entropy(&P), Ok(h * 2.0 + 0.5));
        assert_eq!(
            m.entropy_rows(&[P.to_vec()], Reduction::None),
            Ok(Reduced::PerRow(vec![h * 2.0 + 0.5]))
        );
    }
}
