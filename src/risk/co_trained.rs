//! Gradients when the target moves with the parameters: a co-trained teacher.
//!
//! The teacher p_θ = softmax(Aθ) and the student q_θ = softmax(Bθ) share the
//! parameters θ ∈ ℝᵈ (A, B are C × d). With ℓᵖ = ln p, ℓ^q = ln q:
//!
//! ```text
//! ∇_θ CE(p_θ, q_θ) = Bᵀ(q − p) − Aᵀ[p ⊙ (ℓ^q + CE)]
//! ∇_θ H(p_θ)       = −Aᵀ[p ⊙ (ℓᵖ + H)]
//! ∇_θ KL(p_θ‖q_θ)  = Bᵀ(q − p) + Aᵀ[p ⊙ (ℓᵖ − ℓ^q − KL)]
//! ```
//!
//! Derivation: ∂ℓ^q_i/∂θ = Bᵀ(eᵢ − q), so −Σᵢ pᵢ ∂ℓ^q_i/∂θ = Bᵀ(q − p);
//! ∂pᵢ/∂θ = pᵢ Aᵀ(eᵢ − p), so −Σᵢ ℓ^q_i ∂pᵢ/∂θ = −Aᵀ[p ⊙ (ℓ^q − ⟨p, ℓ^q⟩)]
//! and ⟨p, ℓ^q⟩ = −CE. For H = −Σ pᵢ ℓᵖᵢ the term Σ pᵢ ∂ℓᵖᵢ/∂θ = Σ ∂pᵢ/∂θ = 0.
//!
//! Hence ∇CE − ∇KL = ∇H: when the target depends on θ, cross-entropy and KL
//! have different gradients. Descending CE = H + KL also lowers the teacher's
//! entropy (it pushes p_θ to be confident); descending KL does not. With
//! A = 0 (a fixed target) the A-terms vanish and both are Bᵀ(q − p).
//!
//! Each gradient comes with a first-order bound on its rounding error, by
//! running error analysis from the logits' rounding
//! ([`log_softmax_error_bounds`]).

use crate::measures::log_softmax_error_bounds;
use crate::measures::{self, MeasureError, validate_distribution};
use crate::numerics::U;
use crate::numerics::tracked::{Bounded, Tracked, mat_vec};

/// Why a model or parameter vector is not acceptable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// A dimension is zero.
    #[error("{name} must be at least 1, got 0")]
    ZeroDimension {
        /// `"classes"` or `"dim"`.
        name: &'static str,
    },
    /// A matrix or vector has the wrong number of entries.
    #[error("{name} has {got} entries, expected {expected}")]
    Shape {
        /// The argument's name.
        name: &'static str,
        /// Its number of entries.
        got: usize,
        /// The number required.
        expected: usize,
    },
    /// An entry is NaN or infinite.
    #[error("{name}[{index}] = {value} is not finite")]
    NotFinite {
        /// The argument's name.
        name: &'static str,
        /// The entry's index.
        index: usize,
        /// The entry.
        value: f64,
    },
    /// A fixed target is not a probability vector.
    #[error(transparent)]
    Target(#[from] MeasureError),
}

/// The three gradients with respect to θ, each with its error bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients {
    /// ∇_θ CE(p_θ, q_θ).
    pub cross_entropy: Bounded,
    /// ∇_θ KL(p_θ‖q_θ).
    pub kl_divergence: Bounded,
    /// ∇_θ H(p_θ).
    pub entropy: Bounded,
}

/// A teacher p_θ = softmax(Aθ) and a student q_θ = softmax(Bθ) sharing θ.
#[derive(Debug, Clone, PartialEq)]
pub struct CoTrained {
    classes: usize,
    dim: usize,
    teacher: Vec<f64>,
    student: Vec<f64>,
}

fn check_finite(name: &'static str, v: &[f64]) -> Result<(), ModelError> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(ModelError::NotFinite {
            name,
            index,
            value: v[index],
        }),
        None => Ok(()),
    }
}

fn check_len(name: &'static str, v: &[f64], expected: usize) -> Result<(), ModelError> {
    if v.len() == expected {
        Ok(())
    } else {
        Err(ModelError::Shape {
            name,
            got: v.len(),
            expected,
        })
    }
}

/// Logits, log-probabilities and probabilities of softmax(mθ), with bounds
/// on each log-probability's error (which is also each probability's
/// relative error, plus u for its exp).
struct Softmax {
    ln: Vec<Tracked>,
    prob: Vec<Tracked>,
}

fn softmax_tracked(m: &[f64], dim: usize, theta: &[f64]) -> Result<Softmax, MeasureError> {
    let (z, z_err) = mat_vec(m, dim, theta);
    let logit_error = z_err.iter().copied().fold(0.0, f64::max);
    let ln = measures::log_softmax(&z)?;
    let ln_err = log_softmax_error_bounds(&z, logit_error);
    let prob = measures::softmax(&z)?;
    Ok(Softmax {
        ln: ln
            .iter()
            .zip(&ln_err)
            .map(|(&v, &e)| Tracked::new(v, e))
            .collect(),
        prob: prob
            .iter()
            .zip(&ln_err)
            .map(|(&v, &e)| Tracked::new(v, v * (e + U)))
            .collect(),
    })
}

/// Bᵀ(q·Σp − p)ⱼ for column j: the student part of every gradient here.
fn student_part(b: &[f64], dim: usize, j: usize, q: &[Tracked], p: &[Tracked]) -> Tracked {
    let mass = Tracked::sum(p.iter().copied());
    Tracked::sum(
        q.iter()
            .zip(p)
            .enumerate()
            .map(|(i, (&qi, &pi))| Tracked::exact(b[i * dim + j]).mul(qi.mul(mass).sub(pi))),
    )
}

impl CoTrained {
    /// A teacher with C × d matrix `teacher` (A) and a student with `student`
    /// (B), both row-major.
    ///
    /// # Errors
    /// [`ModelError::ZeroDimension`], [`ModelError::Shape`] if a matrix does
    /// not have classes × dim entries, [`ModelError::NotFinite`].
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::risk::co_trained::CoTrained;
    /// let m = CoTrained::new(2, 1, vec![1.0, 0.0], vec![0.0, 1.0]).unwrap();
    /// assert_eq!(m.teacher(&[0.0]).unwrap(), vec![0.5, 0.5]);
    /// ```
    pub fn new(
        classes: usize,
        dim: usize,
        teacher: Vec<f64>,
        student: Vec<f64>,
    ) -> Result<Self, ModelError> {
        if classes == 0 {
            return Err(ModelError::ZeroDimension { name: "classes" });
        }
        if dim == 0 {
            return Err(ModelError::ZeroDimension { name: "dim" });
        }
        check_len("teacher", &teacher, classes * dim)?;
        check_len("student", &student, classes * dim)?;
        check_finite("teacher", &teacher)?;
        check_finite("student", &student)?;
        Ok(CoTrained {
            classes,
            dim,
            teacher,
            student,
        })
    }

    /// The number of classes C.
    ///
    /// ```
    /// use logloss_proofs::risk::co_trained::CoTrained;
    /// let m = CoTrained::new(3, 2, vec![0.0; 6], vec![1.0; 6]).unwrap();
    /// assert_eq!((m.classes(), m.dim()), (3, 2));
    /// assert_eq!((m.teacher_matrix()[0], m.student_matrix()[0]), (0.0, 1.0));
    /// ```
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The number of parameters d.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The teacher matrix A (row-major, C × d).
    pub fn teacher_matrix(&self) -> &[f64] {
        &self.teacher
    }

    /// The student matrix B (row-major, C × d).
    pub fn student_matrix(&self) -> &[f64] {
        &self.student
    }

    fn check_theta(&self, theta: &[f64]) -> Result<(), ModelError> {
        check_len("theta", theta, self.dim)?;
        check_finite("theta", theta)
    }

    /// The teacher's distribution p_θ = softmax(Aθ).
    ///
    /// # Errors
    /// [`ModelError::Shape`] or [`ModelError::NotFinite`] for `theta`.
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::risk::co_trained::CoTrained;
    /// let m = CoTrained::new(2, 1, vec![1.0, -1.0], vec![0.0, 0.0]).unwrap();
    /// let p = m.teacher(&[0.5]).unwrap(); // softmax(0.5, −0.5)
    /// assert!(p[0] > p[1]);
    /// assert!(m.teacher(&[0.5, 1.0]).is_err()); // θ has d = 1 entry
    /// ```
    pub fn teacher(&self, theta: &[f64]) -> Result<Vec<f64>, ModelError> {
        self.check_theta(theta)?;
        Ok(measures::softmax(
            &mat_vec(&self.teacher, self.dim, theta).0,
        )?)
    }

    /// The student's distribution q_θ = softmax(Bθ).
    ///
    /// # Errors
    /// [`ModelError::Shape`] or [`ModelError::NotFinite`] for `theta`.
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::risk::co_trained::CoTrained;
    /// let m = CoTrained::new(2, 1, vec![1.0, 0.0], vec![0.0, 0.0]).unwrap();
    /// assert_eq!(m.student(&[3.0]).unwrap(), vec![0.5, 0.5]);
    /// ```
    pub fn student(&self, theta: &[f64]) -> Result<Vec<f64>, ModelError> {
        self.check_theta(theta)?;
        Ok(measures::softmax(
            &mat_vec(&self.student, self.dim, theta).0,
        )?)
    }

    /// ∇_θ of CE(p_θ, q_θ), KL(p_θ‖q_θ) and H(p_θ), by the formulas of the
    /// module docs, each with its rounding-error bound.
    ///
    /// CE, KL and H inside the formulas are ⟨p, −ℓ^q⟩, ⟨p, ℓᵖ − ℓ^q⟩ and
    /// ⟨p, −ℓᵖ⟩ from the same log-probabilities, summed left to right.
    ///
    /// # Errors
    /// [`ModelError::Shape`] or [`ModelError::NotFinite`] for `theta`.
    ///
    /// # Example
    /// ```
    /// use logloss_proofs::risk::co_trained::CoTrained;
    /// // One parameter moves the teacher only; the student is fixed uniform.
    /// let m = CoTrained::new(2, 1, vec![1.0, 0.0], vec![0.0, 0.0]).unwrap();
    /// let g = m.gradients(&[1.0]).unwrap();
    /// // CE's gradient is zero (q uniform: −ln q + … = ln 2 − ln 2), KL's is not:
    /// // the difference is ∇H, the teacher's entropy moving.
    /// assert!(g.cross_entropy.value[0].abs() <= g.cross_entropy.error[0]);
    /// assert!(g.kl_divergence.value[0] > g.kl_divergence.error[0]);
    /// ```
    pub fn gradients(&self, theta: &[f64]) -> Result<Gradients, ModelError> {
        self.check_theta(theta)?;
        let sp = softmax_tracked(&self.teacher, self.dim, theta)?;
        let sq = softmax_tracked(&self.student, self.dim, theta)?;
        let (p, lp, q, lq) = (&sp.prob, &sp.ln, &sq.prob, &sq.ln);
        let inner = |x: &[Tracked]| Tracked::sum(p.iter().zip(x).map(|(&a, &b)| a.mul(b)));
        let ce = inner(lq).neg();
        let h = inner(lp).neg();
        let diff: Vec<Tracked> = lp.iter().zip(lq).map(|(&a, &b)| a.sub(b)).collect();
        let kl = inner(&diff);
        let (a, d) = (&self.teacher, self.dim);
        let teacher_part = |j: usize, weight: &dyn Fn(usize) -> Tracked| -> Tracked {
            Tracked::sum(
                (0..self.classes).map(|i| Tracked::exact(a[i * d + j]).mul(p[i].mul(weight(i)))),
            )
        };
        let mut g_ce = Vec::with_capacity(d);
        let mut g_kl = Vec::with_capacity(d);
        let mut g_h = Vec::with_capacity(d);
        for j in 0..d {
            let s = student_part(&self.student, d, j, q, p);
            g_ce.push(s.sub(teacher_part(j, &|i| lq[i].add(ce))));
            g_h.push(teacher_part(j, &|i| lp[i].add(h)).neg());
            g_kl.push(s.add(teacher_part(j, &|i| diff[i].sub(kl))));
        }
        Ok(Gradients {
            cross_entropy: Bounded::from_tracked(g_ce),
            kl_divergence: Bounded::from_tracked(g_kl),
            entropy: Bounded::from_tracked(g_h),
        })
    }
}

/// ∇_θ CE(p, softmax(Bθ)) = ∇_θ KL(p‖softmax(Bθ)) for a target p that does
/// not depend on θ, with its rounding-error bound.
///
/// ```text
/// ∇_θ = Bᵀ(q·Σᵢpᵢ − p)      (= Bᵀ(q − p) for Σp = 1)
/// ```
///
/// The Σp factor keeps the formula exact for stored vectors that sum to one
/// only within rounding. H(p) is constant, so both gradients are this one.
///
/// # Errors
/// [`ModelError::Target`] if `p` is not a probability vector;
/// [`ModelError::Shape`] or [`ModelError::NotFinite`] for `student` or `theta`.
///
/// # Example
/// ```
/// use logloss_proofs::risk::co_trained::fixed_target_gradient;
/// // q = softmax(0, 0) = (1/2, 1/2), p = (1, 0): Bᵀ(q − p) = 1·(−1/2) + 0.
/// let g = fixed_target_gradient(&[1.0, 0.0], &[1.0, 0.0], 1, &[0.0]).unwrap();
/// assert_eq!(g.value, vec![-0.5]);
/// ```
pub fn fixed_target_gradient(
    p: &[f64],
    student: &[f64],
    dim: usize,
    theta: &[f64],
) -> Result<Bounded, ModelError> {
    validate_distribution("p", p)?;
    if dim == 0 {
        return Err(ModelError::ZeroDimension { name: "dim" });
    }
    check_len("student", student, p.len() * dim)?;
    check_len("theta", theta, dim)?;
    check_finite("student", student)?;
    check_finite("theta", theta)?;
    let sq = softmax_tracked(student, dim, theta)?;
    let pt: Vec<Tracked> = p.iter().map(|&v| Tracked::exact(v)).collect();
    Ok(Bounded::from_tracked(
        (0..dim)
            .map(|j| student_part(student, dim, j, &sq.prob, &pt))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_checked() {
        assert!(matches!(
            CoTrained::new(2, 2, vec![0.0; 3], vec![0.0; 4]),
            Err(ModelError::Shape {
                name: "teacher",
                got: 3,
                expected: 4
            })
        ));
        let m = CoTrained::new(2, 1, vec![0.0; 2], vec![0.0; 2]).unwrap();
        assert!(matches!(
            m.gradients(&[f64::NAN]),
            Err(ModelError::NotFinite { name: "theta", .. })
        ));
    }

    #[test]
    fn two_class_entropy_gradient_matches_its_closed_form() {
        // C = 2, d = 1, A = (a, 0): p = (σ(aθ), 1 − σ(aθ)) with σ the logistic
        // function, H = −π ln π − (1 − π) ln(1 − π), dH/dθ = a·π(1 − π)·ln((1 − π)/π).
        let (a, theta) = (1.5, 0.75);
        let m = CoTrained::new(2, 1, vec![a, 0.0], vec![0.0, 0.0]).unwrap();
        let g = m.gradients(&[theta]).unwrap();
        let pi = 1.0 / (1.0 + (-a * theta).exp());
        let want = a * pi * (1.0 - pi) * ((1.0 - pi) / pi).ln();
        // The closed form's own rounding, at π = σ(1.125) ≈ 0.755 (π/(1 − π) < 3.1):
        // π carries 3u relative (exp, add, divide); 1 − π then carries
        // 3u·π/(1 − π) + u relative; their ratio r the sum plus u; ln r an
        // absolute error of r's relative error plus u·|ln r|; three products
        // add 3u relative. Collected: |want|·(8u + 3u·π/(1 − π)) +
        // a·π(1 − π)·(5u + 3u·π/(1 − π) + u·|ln r|) with |ln r| < 1.2,
        // which is below 20u·(|want| + a·π(1 − π)).
        let bound = g.entropy.error[0] + 20.0 * U * (want.abs() + a * pi * (1.0 - pi));
        assert!((g.entropy.value[0] - want).abs() <= bound);
    }
}
