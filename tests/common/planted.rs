//! The planted bugs the claim tests run, from the crate's one catalogue
//! (`logloss_proofs::measures::planted`): the claim catalogue must fail on
//! each, naming the claim.

use logloss_proofs::measures::planted::{Bug, Planted};

/// KL with its arguments swapped: KL(q‖p) returned for KL(p‖q).
pub const SWAPPED_KL: Planted = Planted::crate_with(Bug::SwappedKl);

/// KL in bits while entropy and cross-entropy are in nats.
pub const BASE_2_KL: Planted = Planted::crate_with(Bug::Base2Kl);

/// Cross-entropy in bits while entropy and KL are in nats.
pub const BASE_2_CROSS_ENTROPY: Planted = Planted::crate_with(Bug::Base2CrossEntropy);
