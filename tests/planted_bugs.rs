//! The catalogue must catch a wrong implementation and accept a correct one:
//! each planted bug of the crate's one catalogue
//! (`logloss_proofs::measures::planted`) makes at least one claim fail,
//! naming it, and the plain textbook formulas (a correct implementation
//! other than the crate's) make every claim behave as stated.

mod common;
use common::planted::{BASE_2_KL, SWAPPED_KL};
use logloss_proofs::claims::{self, Context, Implementation, Outcome};
use logloss_proofs::measures::planted::{Affine, Bug, Planted};
use logloss_proofs::seed::DEFAULT_SEED;

/// Cases per property for the bug runs: every bug below is caught within
/// the first few cases of the claim that catches it, so 32 leaves a wide
/// margin while the sweep over all bugs stays within seconds.
const BUG_CASES: u32 = 32;

fn failed_claims(m: &dyn Implementation, cases: u32) -> Vec<(String, String)> {
    let ctx = Context::new(DEFAULT_SEED, cases).with_measures(m);
    claims::run(&ctx, None)
        .unwrap()
        .into_iter()
        .filter(|v| v.outcome == Outcome::Failed)
        .map(|v| {
            let problem = v.evidence.problem.map(|p| p.to_string());
            (v.id.to_string(), problem.unwrap_or_default())
        })
        .collect()
}

/// Every planted bug, one at a time: each measure scaled and shifted (by
/// 2⁻³⁰, far above every contract's allowance on the claims' inputs but
/// small enough to look like rounding to a careless reader), and every
/// [`Bug`] planted in the crate's measures.
fn planted_bugs() -> Vec<(String, Box<dyn Implementation>)> {
    let eps = 2f64.powi(-30);
    let mut bugs: Vec<(String, Box<dyn Implementation>)> = Vec::new();
    for (what, scaled, shifted) in [
        (
            "H",
            Affine {
                entropy: (1.0 + eps, 0.0),
                ..Affine::EXACT
            },
            Affine {
                entropy: (1.0, eps),
                ..Affine::EXACT
            },
        ),
        (
            "CE",
            Affine {
                cross_entropy: (1.0 + eps, 0.0),
                ..Affine::EXACT
            },
            Affine {
                cross_entropy: (1.0, eps),
                ..Affine::EXACT
            },
        ),
        (
            "KL",
            Affine::scaled_kl(1.0 + eps),
            Affine {
                kl: (1.0, eps),
                ..Affine::EXACT
            },
        ),
    ] {
        bugs.push((format!("{what} × (1 + 2⁻³⁰)"), Box::new(scaled)));
        bugs.push((format!("{what} + 2⁻³⁰"), Box::new(shifted)));
    }
    for bug in [
        Bug::SwappedKl,
        Bug::Base2Kl,
        Bug::Base2CrossEntropy,
        Bug::Clipped,
        Bug::NoZeroLog,
        Bug::SoftmaxLog,
        Bug::MeanElements,
        Bug::Dropped,
        Bug::GradSign,
        Bug::GradScale,
    ] {
        bugs.push((format!("{bug:?}"), Box::new(Planted::crate_with(bug))));
    }
    bugs
}

#[test]
fn every_planted_bug_fails_at_least_one_claim() {
    let mut missed = Vec::new();
    eprintln!("| planted bug | failing claims |\n|---|---|");
    for (name, m) in planted_bugs() {
        let start = std::time::Instant::now();
        let failed = failed_claims(m.as_ref(), BUG_CASES);
        let ids: Vec<&str> = failed.iter().map(|(id, _)| id.as_str()).collect();
        eprintln!("| {name} | {} | {:?}", ids.join(", "), start.elapsed());
        if failed.is_empty() {
            missed.push(name);
        }
    }
    assert!(missed.is_empty(), "no claim fails for: {missed:?}");
}

#[test]
fn swapped_kl_arguments_fail_the_decomposition_and_argmin_claims() {
    let failed = failed_claims(&SWAPPED_KL, 64);
    for id in ["ce-decomposition", "argmin-equivalence"] {
        assert!(
            failed.iter().any(|(f, _)| f == id),
            "{id} should fail; caught by: {failed:?}"
        );
    }
}

#[test]
fn base_2_kl_fails_the_decomposition_claim() {
    let failed = failed_claims(&BASE_2_KL, 64);
    assert!(
        failed.iter().any(|(id, _)| id == "ce-decomposition"),
        "caught by: {failed:?}"
    );
}

#[test]
fn the_crate_s_own_measures_fail_no_claim() {
    assert_eq!(
        failed_claims(&logloss_proofs::measures::Reference, 64),
        Vec::<(String, String)>::new()
    );
}

/// The plain textbook formulas (left-to-right sums of −pᵢ ln pᵢ, −pᵢ ln qᵢ
/// and pᵢ(ln pᵢ − ln qᵢ), a max-shifted log-sum-exp) are a correct
/// implementation within the accuracy contract: every claim behaves as the
/// catalogue states, at the default number of cases.
#[test]
fn the_textbook_formulas_fail_no_claim() {
    let textbook = Planted::textbook_with(Bug::None);
    assert_eq!(
        failed_claims(&textbook, claims::DEFAULT_CASES),
        Vec::<(String, String)>::new()
    );
}
