//! Running one claim of the catalogue at the default seed and size, for the
//! per-claim tests.

use logloss_proofs::claims::{
    self, Context, DEFAULT_CASES, Expectation, Outcome, REQUIRED_RESOLUTION, Verdict,
};
use logloss_proofs::seed::DEFAULT_SEED;

/// The verdict of the claim `id` at the default seed and number of cases.
pub fn verdict(id: &str) -> Verdict {
    let claim = claims::find(id).unwrap_or_else(|| panic!("claim {id} is in the catalogue"));
    claim.check(&Context::new(DEFAULT_SEED, DEFAULT_CASES))
}

/// Asserts that the claim `id` behaves as the catalogue states, within its bounds.
pub fn assert_as_expected(id: &str) -> Verdict {
    let v = verdict(id);
    assert_eq!(
        v.outcome,
        Outcome::AsExpected,
        "claim {} ({}) failed: {:?}; counterexample {:?}",
        v.number,
        v.id,
        v.evidence.problem,
        v.evidence.counterexample
    );
    assert!(v.evidence.cases > 0, "claim {id} ran no case");
    // Every comparison stayed within its derived bound.
    assert!(v.evidence.worst_error_ratio <= 1.0, "claim {id}: {v:?}");
    // The check compared something, and none of its rounding allowances is
    // loose enough to let an error of 2⁻²⁰ (relative to a value ≥ 1,
    // absolute below 1) through; approximation allowances count in the
    // full figures, which are at least the rounding ones.
    let r = v.evidence.resolution;
    assert!(
        r.is_set()
            && r.rounding_relative <= REQUIRED_RESOLUTION
            && r.rounding_absolute <= REQUIRED_RESOLUTION,
        "claim {id}: resolution {r:?} (rounding required ≤ 2⁻²⁰)"
    );
    assert!(
        r.relative >= r.rounding_relative && r.absolute >= r.rounding_absolute,
        "claim {id}: {r:?}"
    );
    // No property passes vacuously: each statement that must hold ran
    // cases, and every case it passed made at least one comparison (a case
    // that returns early, or a check that compares nothing, shows here).
    assert!(
        !v.evidence.parts.is_empty(),
        "claim {id} lists its properties"
    );
    for part in v.evidence.parts.iter().filter(|p| !p.search) {
        assert!(
            part.cases > 0 && part.comparisons >= part.cases,
            "claim {id}, {}: {} comparisons in {} cases",
            part.name,
            part.comparisons,
            part.cases
        );
    }
    match v.expectation {
        Expectation::Holds => assert!(v.evidence.counterexample.is_none()),
        Expectation::Refuted => assert!(v.evidence.counterexample.is_some()),
    }
    v
}
