//! Parametric model families and their fits.
