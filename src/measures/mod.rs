//! Information measures.
pub mod continuous;
