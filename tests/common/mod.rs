//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod accuracy;
pub mod claims;
pub mod continuous;
pub mod planted;
pub mod reference;
pub mod strategies;
pub mod validation;
