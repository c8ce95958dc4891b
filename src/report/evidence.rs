//! Everything the reports show, computed in one place: the claim verdicts, the
//! gap estimates over a grid of n, the KL-estimator comparison, and the
//! training runs. Plain data;
//! the report renders it without computing anything.

use crate::claims::{self, Context, Verdict};
use crate::estimators::{
    Estimate, Expected, GapConfig, GapError, KlEstimates, KlEstimatorError, Model, Truth,
    estimate_gap, estimate_kl,
};

/// How much work a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// A smoke run: few cases and replicates (CI checks the reports' structure with it).
    Quick,
    /// The committed reports: under 30 s on two cores.
    Default,
    /// Ten times the default's replicates and eight times its cases.
    Full,
}

impl Budget {
    /// Parses `quick`, `default` or `full`.
    pub fn parse(s: &str) -> Option<Budget> {
        match s {
            "quick" => Some(Budget::Quick),
            "default" => Some(Budget::Default),
            "full" => Some(Budget::Full),
            _ => None,
        }
    }

    /// The budget's name.
    pub fn name(self) -> &'static str {
        match self {
            Budget::Quick => "quick",
            Budget::Default => "default",
            Budget::Full => "full",
        }
    }

    /// Random cases per claim property.
    pub fn cases(self) -> u32 {
        match self {
            Budget::Quick => 32,
            Budget::Default => claims::DEFAULT_CASES,
            Budget::Full => 8 * claims::DEFAULT_CASES,
        }
    }

    /// Replicates per gap estimate.
    pub fn replicates(self) -> u64 {
        match self {
            Budget::Quick => 1_000,
            Budget::Default => 20_000,
            Budget::Full => 200_000,
        }
    }

    /// Seeds per check in the calibration study.
    pub fn calibration_seeds(self) -> u64 {
        match self {
            Budget::Quick => 20,
            Budget::Default => 400,
            Budget::Full => 4_000,
        }
    }

    /// Seeds per effect size in the power study.
    pub fn power_seeds(self) -> u64 {
        match self {
            Budget::Quick => 4,
            Budget::Default => 20,
            Budget::Full => 200,
        }
    }

    /// Samples per KL-estimator comparison.
    pub fn samples(self) -> u64 {
        match self {
            Budget::Quick => 20_000,
            Budget::Default => 1_000_000,
            Budget::Full => 10_000_000,
        }
    }
}

/// The training-set sizes of the gap study.
pub const GAP_SIZES: [usize; 6] = [25, 50, 100, 200, 400, 1000];

/// The (model, truth, whether well specified, the pair in words) of the gap study.
pub const GAP_STUDY: [(&str, &str, bool, &str); 7] = [
    ("normal", "normal:0,1", true, "Normal fitted to Normal data"),
    (
        "exponential",
        "exponential:1",
        true,
        "Exponential fitted to Exponential data",
    ),
    (
        "categorical",
        "categorical:0.5,0.3,0.15,0.05",
        true,
        "Categorical, maximum likelihood (counts / n)",
    ),
    (
        "categorical:0.5",
        "categorical:0.5,0.3,0.15,0.05",
        true,
        "Categorical, add-α smoothing with α = 0.5 ((counts + α) / (n + Cα))",
    ),
    (
        "normal",
        "laplace:0,1",
        false,
        "Normal fitted to Laplace data",
    ),
    (
        "normal",
        "uniform:0,1",
        false,
        "Normal fitted to Uniform data",
    ),
    (
        "normal",
        "student-t:10",
        false,
        "Normal fitted to Student-t (10 degrees of freedom) data",
    ),
];

/// The (from, to) pairs of the KL-estimator study.
pub const KL_STUDY: [(&str, &str); 3] = [
    ("normal:0,1", "normal:0.1,1"),
    ("normal:0,1", "normal:1,1"),
    ("laplace:0,1", "laplace:0.3,1.2"),
];

/// One point of a gap series, scaled by n for display: n·E\[gap\] and its interval.
#[derive(Debug, Clone, PartialEq)]
pub struct GapPoint {
    /// The training-set size.
    pub n: usize,
    /// n·E\[gap\] (control variate) and its interval.
    pub scaled_gap: (f64, f64, f64),
    /// n·E\[gap\] from the raw estimator, and its standard error.
    pub scaled_raw: (f64, f64),
    /// E[KL(p‖q_θ̂)] and its interval.
    pub excess_risk: (f64, f64, f64),
    /// Var(raw)/Var(control variate).
    pub variance_reduction: f64,
    /// n × the exact E\[gap\], where known.
    pub scaled_exact: Option<f64>,
    /// The fraction of replicates with an infinite gap.
    pub infinite_fraction: f64,
    /// The fraction of replicates whose fitted model has an infinite true
    /// risk R(θ̂) (a category that occurs was given probability 0).
    pub infinite_risk_fraction: f64,
    /// Takeuchi's prediction of E[KL(p‖q_θ̂)]: the approximation error
    /// KL(p‖q_θ₀) plus the estimation part tr(J⁻¹K)/(2n), where the trace is finite.
    pub predicted_excess_risk: Option<f64>,
    /// The full estimate.
    pub estimate: crate::estimators::GapEstimate,
}

/// A gap series: one model and truth over [`GAP_SIZES`].
#[derive(Debug, Clone, PartialEq)]
pub struct GapSeries {
    /// The model's specification.
    pub model: String,
    /// The truth's specification.
    pub truth: String,
    /// The model and truth in words, e.g. "Normal fitted to Laplace data".
    pub label: String,
    /// Whether the truth is in the model family.
    pub well_specified: bool,
    /// Akaike's d.
    pub parameters: usize,
    /// Takeuchi's tr(J⁻¹K), if finite.
    pub takeuchi_trace: Option<f64>,
    /// KL(p‖q_θ₀).
    pub approximation_error: f64,
    /// One point per n.
    pub points: Vec<GapPoint>,
}

/// The forward and reverse KL fits of one Gaussian to a bimodal target, for the picture.
#[derive(Debug, Clone, PartialEq)]
pub struct ReverseKlPicture {
    /// The target's parameters: modes at ±m, component width s, weight w of
    /// the mode at −m, and K grid points (the fits are made on that grid).
    pub target: (f64, f64, f64, usize),
    /// Where the densities are drawn: a fine grid over the fitting grid's span.
    pub x: Vec<f64>,
    /// The target's density w·N(−m, s²) + (1 − w)·N(m, s²) on `x`.
    pub p: Vec<f64>,
    /// argmin KL(p‖q_θ) on the fitting grid (mass-covering): its density on `x`, and (μ, σ).
    pub forward: (Vec<f64>, f64, f64),
    /// argmin KL(q_θ‖p) on the fitting grid (mode-seeking): its density on `x`, and (μ, σ).
    pub reverse: (Vec<f64>, f64, f64),
    /// Whether the parameters are those of claim 6's counterexample (else the default target).
    pub from_claim: bool,
}

/// The default target of the picture, used when claim 6 shows no counterexample:
/// modes at ±2, width 0.5, weight 0.6 at −2, 201 points.
pub const REVERSE_KL_TARGET: (f64, f64, f64, usize) = (2.0, 0.5, 0.6, 201);

/// Points of the fine grid the picture's densities are drawn on.
pub const REVERSE_KL_DRAWN: usize = 601;

/// The (m, s, w, K) of claim 6's counterexample, from its row `m, s, w, K`.
fn claim_target(verdicts: &[Verdict]) -> Option<(f64, f64, f64, usize)> {
    let v = verdicts.iter().find(|v| v.id == "reverse-kl-differs")?;
    let row = v
        .evidence
        .counterexample
        .as_ref()?
        .rows
        .iter()
        .find(|(k, _)| k == "m, s, w, K")?;
    let parts: Vec<&str> = row.1.split(", ").collect();
    match parts.as_slice() {
        [m, s, w, k] => Some((
            m.parse().ok()?,
            s.parse().ok()?,
            w.parse().ok()?,
            k.parse().ok()?,
        )),
        _ => None,
    }
}

/// The normal density at x.
fn normal_density(x: f64, mu: f64, sigma: f64) -> f64 {
    let z = (x - mu) / sigma;
    (-0.5 * z * z).exp() / (sigma * (2.0 * std::f64::consts::PI).sqrt())
}

fn reverse_kl_picture(
    verdicts: &[Verdict],
) -> Result<ReverseKlPicture, crate::models::reverse_fit::FitError> {
    use crate::models::reverse_fit::{BimodalTarget, Gaussian, fit_forward, fit_reverse};
    let claimed = claim_target(verdicts);
    let (m, s, w, k) = claimed.unwrap_or(REVERSE_KL_TARGET);
    let t = BimodalTarget::new(m, s, w, k)?;
    let forward = fit_forward(&t.points, &t.p)?;
    let starts = [
        Gaussian { mu: -m, sigma: s },
        Gaussian { mu: m, sigma: s },
        forward.gaussian,
    ];
    let reverse = fit_reverse(&t.points, &t.p, &starts)?;
    let (lo, hi) = (t.points[0], t.points[t.points.len() - 1]);
    let x: Vec<f64> = (0..REVERSE_KL_DRAWN)
        .map(|i| lo + (hi - lo) * i as f64 / (REVERSE_KL_DRAWN - 1) as f64)
        .collect();
    let density = |g: Gaussian| -> Vec<f64> {
        x.iter()
            .map(|&x| normal_density(x, g.mu, g.sigma))
            .collect()
    };
    Ok(ReverseKlPicture {
        target: (m, s, w, k),
        p: x.iter()
            .map(|&x| w * normal_density(x, -m, s) + (1.0 - w) * normal_density(x, m, s))
            .collect(),
        forward: (
            density(forward.gaussian),
            forward.gaussian.mu,
            forward.gaussian.sigma,
        ),
        reverse: (
            density(reverse.gaussian),
            reverse.gaussian.mu,
            reverse.gaussian.sigma,
        ),
        x,
        from_claim: claimed.is_some(),
    })
}

/// Everything the reports show.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// The crate version that produced it.
    pub version: &'static str,
    /// The recorded seed.
    pub seed: u64,
    /// The budget.
    pub budget: Budget,
    /// Claim verdicts, in catalogue order.
    pub verdicts: Vec<Verdict>,
    /// The gap study.
    pub gap: Vec<GapSeries>,
    /// The KL-estimator study: (from, to, estimates).
    pub kl: Vec<(String, String, KlEstimates)>,
    /// The confidence level of the gap intervals.
    pub level: f64,
    /// The calibration study at level 0.05.
    pub calibration: crate::claims::calibration::Calibration,
    /// The power study.
    pub power: Vec<crate::claims::calibration::Power>,
    /// Forward and reverse KL fits on a bimodal target.
    pub reverse_kl: ReverseKlPicture,
    /// Softmax regression on the penguins under CE and KL formulations.
    pub training: crate::models::training::TrainingStudy,
    /// The worked examples of identities.md.
    pub worked: Vec<WorkedExample>,
    /// CE and KL against one logit, for argmin.md.
    pub sweep: LogitSweep,
    /// The KL estimators differentiated as losses.
    pub estimator_gradients: EstimatorGradients,
    /// The power studies, each on a scale where larger effects are easier to catch.
    pub power_studies: Vec<PowerStudy>,
    /// The error budget's assertions, grouped.
    pub budget_groups: Vec<(String, Vec<String>, f64)>,
    /// Per KL-estimator pair, for k1, k2, k3: the interval of bias/KL at
    /// `level`, (mean ± t·standard error − KL)/KL.
    pub kl_bias_intervals: Vec<[(f64, f64); 3]>,
}

/// An error while collecting evidence (a specification in the studies is wrong: a bug).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvidenceError {
    /// A gap estimate failed.
    #[error("gap study: {0}")]
    Gap(#[from] GapError),
    /// A KL-estimator run failed.
    #[error("KL-estimator study: {0}")]
    Kl(#[from] KlEstimatorError),
    /// The forward/reverse fits of the picture failed.
    #[error("reverse-KL picture: {0}")]
    Fit(#[from] crate::models::reverse_fit::FitError),
    /// A training run was rejected.
    #[error("training runs: {0}")]
    Training(#[from] crate::models::training::TrainingError),
    /// A worked example was rejected.
    #[error("worked examples: {0}")]
    Worked(#[from] crate::measures::MeasureError),
    /// The logit sweep failed.
    #[error("logit sweep: {0}")]
    Sweep(#[from] SweepError),
    /// A continuous distribution was rejected.
    #[error("estimator gradients: {0}")]
    Continuous(#[from] crate::measures::continuous::ContinuousError),
}

/// The stages of a run, for progress reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Checking the claims.
    Claims,
    /// Estimating gaps: (series done, series total).
    Gap(usize, usize),
    /// Running the KL estimators.
    KlEstimators,
    /// Calibrating the statistical checks.
    Calibration,
    /// Training the penguin models.
    Training,
}

fn scaled(n: usize, e: &Estimate) -> (f64, f64, f64) {
    let k = n as f64;
    (k * e.mean, k * e.interval.low, k * e.interval.high)
}

/// The point of a gap series for one estimate (at its n): the scaled gap
/// and its interval, the excess risk, and Takeuchi's prediction of it.
pub fn gap_point(e: crate::estimators::GapEstimate) -> GapPoint {
    let n = e.config.n;
    let k = n as f64;
    GapPoint {
        n,
        scaled_gap: scaled(n, &e.gap),
        scaled_raw: (k * e.gap_raw.mean, k * e.gap_raw.std_error),
        excess_risk: (
            e.excess_risk.mean,
            e.excess_risk.interval.low,
            e.excess_risk.interval.high,
        ),
        variance_reduction: e.variance_reduction,
        scaled_exact: e.theory.exact_gap.map(|x| match x {
            Expected::Finite(v) => k * v,
            Expected::Infinite => f64::INFINITY,
        }),
        infinite_fraction: e.gap_raw.infinite_fraction,
        infinite_risk_fraction: e.excess_risk.infinite_fraction,
        // Takeuchi: E[KL(p‖q_θ̂)] = KL(p‖q_θ₀) + E[R(θ̂) − R(θ₀)], and the
        // second term is tr(J⁻¹K)/(2n) + o(1/n).
        predicted_excess_risk: match e.theory.exact_excess_risk {
            Some(Expected::Infinite) => None,
            _ => e
                .theory
                .takeuchi_trace
                .map(|tr| e.theory.approximation_error + tr / (2.0 * k)),
        },
        estimate: e,
    }
}

/// A gap series from its points (at least one, in increasing n): the
/// model's theory (d, tr(J⁻¹K), KL(p‖q_θ₀)) is the first point's.
///
/// # Panics
/// If `points` is empty.
pub fn gap_series(
    model: &str,
    truth: &str,
    label: &str,
    well_specified: bool,
    points: Vec<GapPoint>,
) -> GapSeries {
    let theory = &points[0].estimate.theory;
    GapSeries {
        model: model.to_string(),
        truth: truth.to_string(),
        label: label.to_string(),
        well_specified,
        parameters: theory.parameters,
        takeuchi_trace: theory.takeuchi_trace,
        approximation_error: theory.approximation_error,
        points,
    }
}

/// Runs everything at `seed` and `budget`.
///
/// # Errors
/// [`EvidenceError`] if a study's specification is rejected (a bug in this crate).
pub fn collect(
    seed: u64,
    budget: Budget,
    progress: &dyn Fn(Stage),
) -> Result<Evidence, EvidenceError> {
    progress(Stage::Claims);
    let ctx = Context::new(seed, budget.cases());
    let verdicts: Vec<Verdict> = claims::catalogue().iter().map(|c| c.check(&ctx)).collect();
    let level = 0.95;
    let mut gap = Vec::new();
    for (i, (model, truth, well_specified, label)) in GAP_STUDY.iter().enumerate() {
        progress(Stage::Gap(i, GAP_STUDY.len()));
        let m: Model = model.parse().map_err(GapError::from)?;
        let t: Truth = truth.parse().map_err(GapError::from)?;
        let mut points = Vec::new();
        for &n in &GAP_SIZES {
            let config = GapConfig {
                model: m,
                truth: t.clone(),
                n,
                reps: budget.replicates(),
                seed,
                level,
            };
            points.push(gap_point(estimate_gap(&config, &|_| {})?));
        }
        gap.push(gap_series(model, truth, label, *well_specified, points));
    }
    progress(Stage::KlEstimators);
    let mut kl = Vec::new();
    for (from, to) in KL_STUDY {
        let (f, t): (Truth, Truth) = (
            from.parse().map_err(GapError::from)?,
            to.parse().map_err(GapError::from)?,
        );
        kl.push((
            from.to_string(),
            to.to_string(),
            estimate_kl(&f, &t, budget.samples(), seed)?,
        ));
    }
    progress(Stage::Calibration);
    let calibration = crate::claims::calibration::calibrate(budget.calibration_seeds(), 0.05)
        .expect("valid level and seeds");
    let power = crate::claims::calibration::power(budget.power_seeds());
    let reverse_kl = reverse_kl_picture(&verdicts)?;
    progress(Stage::Training);
    let training = crate::models::training::study(seed)?;
    let kl_bias_intervals = kl
        .iter()
        .map(|(_, _, k)| {
            let t = crate::estimators::t_quantile(level, k.samples.saturating_sub(1).max(1));
            [k.k1, k.k2, k.k3].map(|est| {
                (
                    (est.mean - t * est.std_error - k.true_kl) / k.true_kl,
                    (est.mean + t * est.std_error - k.true_kl) / k.true_kl,
                )
            })
        })
        .collect();
    Ok(Evidence {
        kl_bias_intervals,
        estimator_gradients: estimator_gradients()?,
        power_studies: power_studies(&power),
        budget_groups: budget_groups(),
        worked: worked_examples()?,
        sweep: logit_sweep()?,
        training,
        reverse_kl,
        calibration,
        power,
        version: env!("CARGO_PKG_VERSION"),
        seed,
        budget,
        verdicts,
        gap,
        kl,
        level,
    })
}

/// One worked example of CE(p, q) = H(p) + KL(p‖q), each term computed by the
/// crate's measures.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkedExample {
    /// What the target is, in words.
    pub name: &'static str,
    /// The target p.
    pub p: Vec<f64>,
    /// The model's prediction q.
    pub q: Vec<f64>,
    /// H(p), nats.
    pub entropy: f64,
    /// CE(p, q), nats.
    pub cross_entropy: f64,
    /// KL(p‖q), nats.
    pub kl: f64,
    /// H(p) + KL(p‖q), nats: equal to CE(p, q) up to rounding.
    pub entropy_plus_kl: f64,
}

/// The model's prediction in every worked example.
pub const WORKED_PREDICTION: [f64; 3] = [0.7, 0.2, 0.1];

/// The label-smoothing ε of the soft-label worked example.
pub const WORKED_SMOOTHING: f64 = 0.1;

/// The targets of the worked examples: a general distribution, a one-hot
/// label, and the same label smoothed, (1 − ε)·one_hot + ε/3.
pub const WORKED_TARGETS: [(&str, [f64; 3]); 3] = [
    ("three categories", [0.5, 0.3, 0.2]),
    ("one-hot label (class 1)", [1.0, 0.0, 0.0]),
    (
        "soft label (class 1 smoothed with ε = 0.1)",
        [
            1.0 - WORKED_SMOOTHING + WORKED_SMOOTHING / 3.0,
            WORKED_SMOOTHING / 3.0,
            WORKED_SMOOTHING / 3.0,
        ],
    ),
];

/// H, CE and KL of each worked target against [`WORKED_PREDICTION`].
///
/// # Errors
/// A [`crate::measures::MeasureError`] if a constant above is not a
/// distribution (a bug in this crate).
pub fn worked_examples() -> Result<Vec<WorkedExample>, crate::measures::MeasureError> {
    use crate::measures::{cross_entropy, entropy, kl_divergence};
    WORKED_TARGETS
        .iter()
        .map(|&(name, p)| {
            let (h, kl) = (entropy(&p)?, kl_divergence(&p, &WORKED_PREDICTION)?);
            Ok(WorkedExample {
                name,
                entropy: h,
                cross_entropy: cross_entropy(&p, &WORKED_PREDICTION)?,
                kl,
                entropy_plus_kl: h + kl,
                p: p.to_vec(),
                q: WORKED_PREDICTION.to_vec(),
            })
        })
        .collect()
}

/// CE and KL of one fixed target against the logits (t, 0, 0), as t sweeps
/// a grid, with their slopes in t: the data of the picture on argmin.md.
#[derive(Debug, Clone, PartialEq)]
pub struct LogitSweep {
    /// The target p.
    pub p: Vec<f64>,
    /// H(p), nats: the constant offset between the two curves.
    pub entropy: f64,
    /// The grid of the first logit t.
    pub t: Vec<f64>,
    /// CE(p, softmax(t, 0, 0)), nats.
    pub ce: Vec<f64>,
    /// KL(p‖softmax(t, 0, 0)), nats.
    pub kl: Vec<f64>,
    /// ∂CE/∂t = softmax(t, 0, 0)₁ − p₁, by the cross-entropy gradient.
    pub ce_slope: Vec<f64>,
    /// ∂KL/∂t, by the KL (`batchmean`) gradient.
    pub kl_slope: Vec<f64>,
    /// The exact minimizer t* = ln(p₁/p₂), where softmax(t*, 0, 0) = p
    /// (p₂ = p₃, so the two zero logits match them).
    pub minimizer: f64,
    /// The grid points where CE and where KL are smallest.
    pub grid_argmin: (f64, f64),
    /// max over the grid of |CE − KL − H(p)|.
    pub max_offset_error: f64,
    /// max over the grid of |∂CE/∂t − ∂KL/∂t|.
    pub max_slope_difference: f64,
}

/// The target of the logit sweep: p₂ = p₃, so the family softmax(t, 0, 0)
/// contains it.
pub const SWEEP_TARGET: [f64; 3] = [0.6, 0.2, 0.2];

/// The sweep's grid: t from −3 to 5 in steps of 1/40.
pub const SWEEP_GRID: (f64, f64, usize) = (-3.0, 5.0, 321);

/// An error while computing the logit sweep (a bug in this crate).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SweepError {
    /// A measure rejected its input.
    #[error(transparent)]
    Measure(#[from] crate::measures::MeasureError),
    /// A gradient rejected its input.
    #[error(transparent)]
    Loss(#[from] crate::risk::torch_losses::LossError),
}

/// Computes [`LogitSweep`] on [`SWEEP_TARGET`] over [`SWEEP_GRID`].
///
/// # Errors
/// [`SweepError`] if a measure or a gradient rejects the grid (a bug).
pub fn logit_sweep() -> Result<LogitSweep, SweepError> {
    use crate::measures::{cross_entropy_logits, entropy, kl_divergence_logits};
    use crate::risk::torch_losses::{
        TorchReduction, cross_entropy_logits_gradient, kl_div_logits_gradient,
    };
    let p = SWEEP_TARGET;
    let (lo, hi, k) = SWEEP_GRID;
    let h = entropy(&p)?;
    let mut s = LogitSweep {
        p: p.to_vec(),
        entropy: h,
        t: Vec::with_capacity(k),
        ce: Vec::with_capacity(k),
        kl: Vec::with_capacity(k),
        ce_slope: Vec::with_capacity(k),
        kl_slope: Vec::with_capacity(k),
        minimizer: (p[0] / p[1]).ln(),
        grid_argmin: (f64::NAN, f64::NAN),
        max_offset_error: 0.0,
        max_slope_difference: 0.0,
    };
    for i in 0..k {
        let t = lo + (hi - lo) * i as f64 / (k - 1) as f64;
        let z = [t, 0.0, 0.0];
        let ce = cross_entropy_logits(&p, &z)?;
        let kl = kl_divergence_logits(&p, &z)?;
        let gc = cross_entropy_logits_gradient(&[p], &[z])?[0].value[0];
        let gk = kl_div_logits_gradient(&[p], &[z], TorchReduction::BatchMean)?[0].value[0];
        s.max_offset_error = s.max_offset_error.max((ce - kl - h).abs());
        s.max_slope_difference = s.max_slope_difference.max((gc - gk).abs());
        s.t.push(t);
        s.ce.push(ce);
        s.kl.push(kl);
        s.ce_slope.push(gc);
        s.kl_slope.push(gk);
    }
    let argmin = |v: &[f64]| {
        v.iter()
            .enumerate()
            .fold(
                (0, f64::INFINITY),
                |(j, m), (i, &x)| if x < m { (i, x) } else { (j, m) },
            )
            .0
    };
    s.grid_argmin = (s.t[argmin(&s.ce)], s.t[argmin(&s.kl)]);
    Ok(s)
}

/// What each one-sample KL estimator gives when it is differentiated as a
/// loss, with the samples held fixed, as in a KL penalty: the sampling
/// distribution p_σ = N(0, σ²) is the one being trained, q = N(0, 1) the
/// reference, and the penalty estimates KL(p_σ‖q).
#[derive(Debug, Clone, PartialEq)]
pub struct EstimatorGradients {
    /// σ of the sampling distribution.
    pub sigma: f64,
    /// d/dσ KL(p_σ‖q), the gradient a penalty should have.
    pub kl_gradient: f64,
    /// d/dσ KL(q‖p_σ), the other direction.
    pub reverse_gradient: f64,
    /// E_{x∼p_σ}[∂kⱼ(x; σ)/∂σ] for k1, k2, k3, x held fixed.
    pub expected: [f64; 3],
}

/// σ of [`EstimatorGradients`].
pub const GRADIENT_SIGMA: f64 = 1.5;

/// Computes [`EstimatorGradients`] at [`GRADIENT_SIGMA`]: the expectations by
/// Simpson's rule over x = σs, s ∈ [−12, 12] (the mass outside is below
/// 10⁻³², and the integrands grow only polynomially in s there), the KL
/// gradients by central differences of the closed-form KL.
///
/// # Errors
/// A [`crate::measures::continuous::ContinuousError`] if a parameter is
/// rejected (a bug in this crate).
pub fn estimator_gradients()
-> Result<EstimatorGradients, crate::measures::continuous::ContinuousError> {
    use crate::measures::continuous::{Continuous, kl_divergence};
    let sigma = GRADIENT_SIGMA;
    let normal = |std_dev| Continuous::Normal { mean: 0.0, std_dev };
    let reference = normal(1.0);
    // Central differences with step h: truncation h²/6·|f‴| ≈ 10⁻¹⁰,
    // rounding u·KL/h ≈ 10⁻¹¹.
    let h = 1e-5;
    let kl_gradient = (kl_divergence(&normal(sigma + h), &reference)?
        - kl_divergence(&normal(sigma - h), &reference)?)
        / (2.0 * h);
    let reverse_gradient = (kl_divergence(&reference, &normal(sigma + h))?
        - kl_divergence(&reference, &normal(sigma - h))?)
        / (2.0 * h);
    // Per sample x: ln r = ln q(x) − ln p_σ(x) = −x²/2 + ln σ + x²/(2σ²), and
    // the score ∂ ln p_σ(x)/∂σ = −1/σ + x²/σ³. With x fixed, by the chain rule:
    // ∂k1 = ∂(−ln r) = score; ∂k2 = ∂((ln r)²/2) = −ln r·score;
    // ∂k3 = ∂(r − 1 − ln r) = (1 − r)·score.
    let gradients = |x: f64| {
        let ln_r = -0.5 * x * x + sigma.ln() + x * x / (2.0 * sigma * sigma);
        let score = -1.0 / sigma + x * x / (sigma * sigma * sigma);
        [score, -ln_r * score, (1.0 - ln_r.exp()) * score]
    };
    let (half_width, intervals) = (12.0, 4800usize);
    let step = 2.0 * half_width / intervals as f64;
    let mut sums = [crate::numerics::NeumaierSum::default(); 3];
    for i in 0..=intervals {
        let s = -half_width + step * i as f64;
        let weight = if i == 0 || i == intervals {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        // The standard normal density of s: x = σs has density φ(s)/σ, and dx = σ ds.
        let density = (-0.5 * s * s).exp() / (2.0 * std::f64::consts::PI).sqrt();
        for (sum, g) in sums.iter_mut().zip(gradients(sigma * s)) {
            sum.add(weight * step / 3.0 * density * g);
        }
    }
    Ok(EstimatorGradients {
        sigma,
        kl_gradient,
        reverse_gradient,
        expected: sums.map(|s| s.value()),
    })
}

/// One effect tried in a power study, on a scale where larger is easier to catch.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerPoint {
    /// What was tried, when the effect is derived from it (e.g. `n = 10`).
    pub tried: String,
    /// The size of the planted violation.
    pub effect: f64,
    /// The fraction of seeds in which the check caught it.
    pub caught: f64,
}

/// A power study with its effects on one scale, smallest first.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerStudy {
    /// The check.
    pub id: &'static str,
    /// What was planted, in words.
    pub planted: &'static str,
    /// What the effect measures.
    pub effect: &'static str,
    /// The effects tried, smallest first.
    pub points: Vec<PowerPoint>,
    /// The smallest effect caught in at least 90% of seeds.
    pub smallest_caught: Option<f64>,
    /// Seeds per effect.
    pub seeds: u64,
}

/// Puts each power study's effects on a scale where larger is easier to
/// catch. The off-by-one study tries n = 10, 40, 200: the planted value
/// 2/(n − 2) is off from the exact 2/(n − 3) by the relative amount
/// (n − 3)/(n − 2) − 1 = −1/(n − 2), so its effect is 1/(n − 2), which
/// shrinks as n grows (the calibration module records n itself).
pub fn power_studies(power: &[crate::claims::calibration::Power]) -> Vec<PowerStudy> {
    power
        .iter()
        .map(|p| {
            let off_by_one = p.id == "gap/normal-normal/control-variate";
            let mut points: Vec<PowerPoint> = p
                .detection
                .iter()
                .map(|&(effect, caught)| {
                    if off_by_one {
                        PowerPoint {
                            tried: format!("n = {effect}"),
                            effect: 1.0 / (effect - 2.0),
                            caught,
                        }
                    } else {
                        PowerPoint {
                            tried: String::new(),
                            effect,
                            caught,
                        }
                    }
                })
                .collect();
            points.sort_by(|a, b| a.effect.total_cmp(&b.effect));
            let smallest_caught = points
                .iter()
                .filter(|q| q.caught >= 0.9)
                .map(|q| q.effect)
                .reduce(f64::min);
            PowerStudy {
                id: p.id,
                // The recorded description ends with "; effect = …" on the
                // recorded scale; the effect is described below instead.
                planted: p.planted.split("; effect").next().unwrap_or(p.planted),
                effect: if off_by_one {
                    "the planted value's relative error 1/(n − 2)"
                } else if p.id == "ce-decomposition" {
                    "ε, the relative error planted in KL"
                } else {
                    "b, the relative bias planted"
                },
                points,
                smallest_caught,
                seeds: p.seeds,
            }
        })
        .collect()
}

/// The assertions of the error budget, grouped: consecutive assertions with
/// the same first two name segments and the same allotted probability form
/// one row (group, the rest of each name, allotted probability each).
pub fn budget_groups() -> Vec<(String, Vec<String>, f64)> {
    use crate::estimators::budget::{ASSERTIONS, allotted};
    let mut groups: Vec<(String, Vec<String>, f64)> = Vec::new();
    for name in ASSERTIONS {
        let level = allotted(name).unwrap_or(f64::NAN);
        let mut parts = name.splitn(3, '/');
        let head = [parts.next(), parts.next()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("/");
        let rest = parts.next().unwrap_or("").to_string();
        match groups.last_mut() {
            Some((g, members, l))
                if *g == head && (*l == level || l.is_nan() && level.is_nan()) =>
            {
                members.push(rest)
            }
            _ => groups.push((head, vec![rest], level)),
        }
    }
    groups
}
