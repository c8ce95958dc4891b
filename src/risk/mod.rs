//! Losses, empirical risk and likelihood.
