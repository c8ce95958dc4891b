//! The catalogue must accept every implementation that meets the accuracy
//! contract it states, not only the crate's own (which sits far inside it):
//! measures whose errors use the contract to its edge pass every claim.
//!
//! Every claim holds measures to the one accuracy contract (documented with
//! [`crate::measures::Implementation`], the conformance kit's too), so every
//! claim runs against measures at its edge. A tolerance in a claim that
//! forgot part of that allowance fails here, where the crate's own measures
//! would never show it.

use super::{Context, DEFAULT_CASES, Outcome, catalogue};
use crate::seed::DEFAULT_SEED;
use crate::test_support::AtTheEdge;

#[test]
fn every_claim_accepts_measures_at_the_edge_of_the_contract() {
    // Each claim's tolerances must leave room for the whole contract: none
    // may fail, and each stays within its bounds.
    for claim in catalogue() {
        let ctx = Context::new(DEFAULT_SEED, DEFAULT_CASES).with_measures(&AtTheEdge::KIT);
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
