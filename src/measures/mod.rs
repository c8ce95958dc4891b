//! Information measures.
