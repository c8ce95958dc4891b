//! Evidence for the closed-form measures of `measures::continuous`: parameter validation (bad
//! parameters are named errors, never panics or NaN).
//!
//! Every floating-point comparison uses a bound derived from the computation
//! it checks: `U = 2⁻⁵³` (the unit roundoff of `f64`) times a condition
//! quantity for that case, with the derivation written next to it. Reference
//! values say where they come from. Monte Carlo assertions state their
//! false-failure probability; all random streams have fixed, named seeds.
//! The library's error bounds these tests rely on are listed in
//! `tests/common/continuous.rs`.

mod common;

use common::continuous::{exponential, laplace, normal};

use logloss_proofs::measures::continuous::{
    Continuous, ContinuousError, cross_entropy, kl_divergence,
};

// ---------------------------------------------------------------------------
// Parameter validation
// ---------------------------------------------------------------------------

fn assert_bad(
    result: Result<Continuous, ContinuousError>,
    family: &str,
    parameter: &str,
    value: f64,
) {
    match result {
        Err(ContinuousError::BadParameter {
            family: f,
            parameter: n,
            value: v,
        }) => {
            assert_eq!((f, n), (family, parameter));
            assert!(
                v.to_bits() == value.to_bits(),
                "reported value {v} is not the rejected {value}"
            );
        }
        other => panic!("{family}.{parameter} = {value}: expected BadParameter, got {other:?}"),
    }
}

const BAD_LOCATIONS: [f64; 3] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
const BAD_SCALES: [f64; 7] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    -1.0,
    -5.0e-324,
];

#[test]
fn bad_parameters_are_rejected_naming_family_parameter_and_value() {
    for v in BAD_LOCATIONS {
        assert_bad(Continuous::normal(v, 1.0), "normal", "mean", v);
        assert_bad(Continuous::laplace(v, 1.0), "laplace", "location", v);
    }
    for v in BAD_SCALES {
        assert_bad(Continuous::normal(0.0, v), "normal", "std_dev", v);
        assert_bad(Continuous::exponential(v), "exponential", "rate", v);
        assert_bad(Continuous::laplace(0.0, v), "laplace", "scale", v);
    }
    // The location is checked before the scale.
    assert_bad(
        Continuous::normal(f64::NAN, -1.0),
        "normal",
        "mean",
        f64::NAN,
    );
    // Extreme but valid parameters are accepted.
    assert!(Continuous::normal(f64::MAX, 5.0e-324).is_ok());
    assert!(Continuous::exponential(f64::MAX).is_ok());
    assert!(Continuous::laplace(-f64::MAX, f64::MIN_POSITIVE).is_ok());
}

#[test]
fn struct_literals_with_bad_parameters_are_rejected_by_kl_and_cross_entropy() {
    let good = normal(0.0, 1.0);
    let bad = Continuous::Normal {
        mean: 0.0,
        std_dev: -2.0,
    };
    let expected = ContinuousError::BadParameter {
        family: "normal",
        parameter: "std_dev",
        value: -2.0,
    };
    assert_eq!(kl_divergence(&bad, &good), Err(expected.clone()));
    assert_eq!(kl_divergence(&good, &bad), Err(expected.clone()));
    assert_eq!(cross_entropy(&good, &bad), Err(expected));
    // A bad parameter is reported before a family mismatch.
    let bad_rate = Continuous::Exponential { rate: f64::NAN };
    assert!(matches!(
        kl_divergence(&good, &bad_rate),
        Err(ContinuousError::BadParameter {
            parameter: "rate",
            ..
        })
    ));
}

#[test]
fn mismatched_families_are_an_error_not_a_panic() {
    let all = [normal(0.0, 1.0), exponential(1.0), laplace(0.0, 1.0)];
    for p in &all {
        for q in &all {
            let expected = if p.family() == q.family() {
                None
            } else {
                Some(ContinuousError::FamilyMismatch {
                    p: p.family(),
                    q: q.family(),
                })
            };
            assert_eq!(kl_divergence(p, q).err(), expected);
            assert_eq!(cross_entropy(p, q).err(), expected);
        }
    }
    let message = kl_divergence(&all[0], &all[2]).unwrap_err().to_string();
    assert!(
        message.contains("normal") && message.contains("laplace"),
        "{message}"
    );
}
