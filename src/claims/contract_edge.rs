//! The catalogue must accept every implementation that meets the accuracy
//! contract it states, not only the crate's own (which sits far inside it):
//! measures whose errors use the contract to its edge pass every claim.
//!
//! The contract (claims 1–9, `CONTRACT` in each): a measure's error is at most
//! 4u·S, S = Σ|tᵢ| over the exact terms tᵢ (−pᵢ ln pᵢ, −pᵢ ln qᵢ or
//! pᵢ ln(pᵢ/qᵢ)). A tolerance in a claim that forgot part of that allowance
//! fails here, where the crate's own measures would never show it.

use super::{Context, DEFAULT_CASES, Outcome, catalogue};
use crate::seed::DEFAULT_SEED;
use crate::test_support::AtTheEdge;

#[test]
fn every_claim_accepts_measures_at_the_edge_of_the_contract() {
    // Each claim's tolerances must leave room for the whole contract: none
    // may fail, and each stays within its bounds.
    let ctx = Context::new(DEFAULT_SEED, DEFAULT_CASES).with_measures(&AtTheEdge::CLAIMS);
    for claim in catalogue() {
        let v = claim.check(&ctx);
        assert_eq!(
            v.outcome,
            Outcome::AsExpected,
            "claim {} ({}) rejects measures within its contract: {:?}",
            v.number,
            v.id,
            v.evidence.problem
        );
        assert!(v.evidence.worst_error_ratio <= 1.0, "{v:?}");
        eprintln!("claim {}: {:.3}", v.number, v.evidence.worst_error_ratio);
    }
}
