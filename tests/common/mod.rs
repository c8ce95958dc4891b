//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod claims;
pub mod planted;
pub mod reference;
pub mod strategies;
