//! The training page's statements, each asserted on the runs that produce
//! the page (seed 2026, the default): iterates within their derived bounds,
//! the `mean` factor, the sigmoid KL's zero gradient on negatives, the float32
//! failure, the teacher's gradients, the minibatch paths.

use std::sync::OnceLock;

use logloss_proofs::models::training::data::{PENGUINS_CSV, PENGUINS_SHA256, parse, penguins};
use logloss_proofs::models::training::float32::{LogProbabilities, log_probabilities};
use logloss_proofs::models::training::softmax::{Objective, Reduction, Target, evaluate};
use logloss_proofs::models::training::study::CO_TRAINED_MIX;
use logloss_proofs::models::training::{TrainingError, TrainingStudy, study};
use logloss_proofs::seed::DEFAULT_SEED;

fn page() -> &'static TrainingStudy {
    static STUDY: OnceLock<TrainingStudy> = OnceLock::new();
    STUDY.get_or_init(|| study(DEFAULT_SEED).expect("the page's runs are valid"))
}

/// SHA-256 (FIPS 180-4), enough to check the embedded file against the
/// digest published in data/README.md.
fn sha256(bytes: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = bytes.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((bytes.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                block[4 * i],
                block[4 * i + 1],
                block[4 * i + 2],
                block[4 * i + 3],
            ]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for (a, b) in h.iter_mut().zip(v) {
            *a = a.wrapping_add(b);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

#[test]
fn the_embedded_data_is_the_published_file() {
    // Reference: the FIPS 180-4 test vector for "abc".
    assert_eq!(
        sha256(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(sha256(PENGUINS_CSV.as_bytes()), PENGUINS_SHA256);
    // The palmerpenguins table: 344 rows, 11 with an NA in a measurement or the sex.
    let parsed = parse(PENGUINS_CSV).unwrap();
    assert_eq!((parsed.rows.len(), parsed.dropped), (333, 11));
}

#[test]
fn a_malformed_row_is_an_error_naming_line_column_and_value() {
    let csv = format!(
        "{}\nAdelie,Dream,39.1,x,181,3750,male,2007\n",
        logloss_proofs::models::training::data::HEADER
    );
    assert_eq!(
        parse(&csv),
        Err(TrainingError::Csv {
            line: 2,
            column: "bill_depth_mm",
            value: "x".into()
        })
    );
    let csv = format!(
        "{}\nEmperor,Dream,39.1,18,181,3750,male,2007\n",
        logloss_proofs::models::training::data::HEADER
    );
    assert!(matches!(
        parse(&csv),
        Err(TrainingError::Csv {
            line: 2,
            column: "species",
            ..
        })
    ));
}

#[test]
fn the_split_is_a_fixed_function_of_the_seed() {
    let (a, b) = (
        penguins(DEFAULT_SEED).unwrap(),
        penguins(DEFAULT_SEED).unwrap(),
    );
    assert_eq!(a, b);
    assert_ne!(a.train.x, penguins(DEFAULT_SEED + 1).unwrap().train.x);
    // 222 training and 111 held-out rows: ⌊2·333/3⌋ and the rest.
    assert_eq!((a.train.len(), a.held_out.len()), (222, 111));
}

#[test]
fn cross_entropy_and_kl_batchmean_follow_the_same_path_within_the_derived_bound() {
    let t = page();
    for e in t.equivalences.iter().chain([&t.minibatch]) {
        // Bound: Σₖ(εₖᵃ + εₖᵇ), the non-expansive-step argument of
        // `softmax::path_bound` (each εₖ from u and the step's magnitudes).
        assert!(e.paths.worst_ratio <= 1.0, "{}: {:?}", e.targets, e.paths);
        assert!(e.paths.max_difference <= e.paths.bound, "{}", e.targets);
        // The loss values differ by the mean target entropy, within the
        // rounding bound of `study::offset_check`.
        assert!(e.offset_ratio <= 1.0, "{}", e.targets);
        assert!(e.final_held_out.1 > 0.95, "{}", e.targets);
    }
    // One-hot: H = 0, so CE and KL are equal in value too.
    assert_eq!(t.equivalences[0].entropy, (0.0, 0.0));
    assert_eq!(t.equivalences[0].offset_error, 0.0);
    // Soft targets: a constant, strictly positive offset.
    for e in &t.equivalences[1..] {
        assert!(
            e.entropy.0 > 0.2 && e.entropy.0 == e.entropy.1,
            "{}",
            e.targets
        );
        assert!(e.final_losses.0 - e.final_losses.1 > 0.2);
    }
}

#[test]
fn mean_reduction_divides_by_exactly_c_and_rate_times_c_restores_the_path() {
    let t = page();
    // divisor(mean)/divisor(batchmean) = (n·C)/n, exact in floating point.
    assert_eq!(t.mean.factor, 3.0);
    assert_eq!(
        Reduction::Mean.divisor(222, 3),
        3.0 * Reduction::BatchMean.divisor(222, 3)
    );
    // The gradients' ratio: C within each gradient's first-order bound.
    assert!(t.mean.gradient_ratio_worst <= 1.0, "{:?}", t.mean);
    assert!(t.mean.gradient_ratio_error > 0.0 || t.mean.gradient_ratio_worst == 0.0);
    // Rate × C: the reference path, within the same derived bound.
    assert!(t.mean.scaled.worst_ratio <= 1.0, "{:?}", t.mean.scaled);
    // Rate unchanged: slower (higher held-out NLL than the reference at the end).
    let [reference, slow, scaled] = t.mean.final_held_out;
    assert!(slow.0 > 1.5 * reference.0, "{slow:?} vs {reference:?}");
    assert!(scaled.1 == reference.1);
}

#[test]
fn probabilities_as_input_give_a_negative_loss_bounded_by_minus_one_over_c() {
    let p = &page().probabilities;
    // At W = 0 every q = fl(1/3), so the loss is −(n/3)/(n·C) = −1/9: a sum
    // of n·C terms (n of them fl(1/3), each one rounding) and one division,
    // within γ_{nC+3}·(1/9) (n = 222, C = 3).
    let bound = logloss_proofs::numerics::gamma(222 * 3 + 3) / 9.0;
    assert!((p.losses.0 + 1.0 / 9.0).abs() <= bound);
    assert!(p.losses.1 < p.losses.0 && p.losses.1 > p.infimum);
    assert_eq!(p.infimum, -1.0 / 3.0);
    // The objective raises the true-class probability: it ends above 0.9.
    assert!(p.final_true_class_probability.1 > 0.9);
}

#[test]
fn the_sigmoid_kl_gives_negatives_exactly_zero_gradient_and_drifts_to_one() {
    let s = &page().sigmoid;
    assert_eq!(s.max_negative_gradient, 0.0);
    let d = penguins(DEFAULT_SEED).unwrap();
    let male_share = d.held_out.male.iter().sum::<f64>() / d.held_out.len() as f64;
    let [bce, kl] = s.final_held_out;
    // The KL run predicts 1 for every held-out penguin: accuracy = share of males.
    assert_eq!(kl.2, 1.0);
    assert_eq!(kl.1, male_share);
    assert!(bce.1 > 0.85 && bce.0 < kl.0);
}

#[test]
fn float32_log_of_softmax_is_non_finite_at_the_stated_logits_and_log_softmax_is_not() {
    let f = &page().float32;
    let failure = f.failure.expect("the page states a failure");
    let (log_q, q) = log_probabilities(&failure.logits, LogProbabilities::LogOfSoftmax);
    assert!(q.contains(&0.0), "{q:?}");
    assert!(log_q.contains(&f32::NEG_INFINITY), "{log_q:?}");
    assert!(failure.loss.is_nan());
    let (ls, _) = log_probabilities(&failure.logits, LogProbabilities::LogSoftmax);
    assert!(ls.iter().all(|v| v.is_finite()), "{ls:?}");
    // exp underflows to 0 in f32 below ln(2⁻¹⁵⁰) = −150·ln 2 ≈ −103.97: the
    // stated row spreads by more than that.
    let hi = failure.logits.iter().copied().fold(f32::MIN, f32::max);
    let lo = failure.logits.iter().copied().fold(f32::MAX, f32::min);
    assert!(f64::from(hi - lo) > 150.0 * std::f64::consts::LN_2);
    assert!(f.log_softmax_finite);
    assert!(f.final_held_out[1].1 > 0.95);
    assert!(f.final_held_out[0].0.is_nan());
}

#[test]
fn a_detached_teacher_gives_the_cross_entropy_gradient_and_an_attached_one_does_not() {
    let c = &page().co_trained;
    // Detached: equal within the two gradients' first-order bounds.
    assert!(c.detached.1 <= 1.0, "{:?}", c.detached);
    // Attached: at the final parameters of the attached KL run, the
    // difference dwarfs the detached comparison's rounding bound.
    let d = penguins(DEFAULT_SEED).unwrap();
    let rows: Vec<usize> = (0..d.train.len()).collect();
    let w = vec![0.1; 15];
    let moving = |detach| Target::CoTrained {
        labels: d.train.species.clone(),
        mix: CO_TRAINED_MIX,
        temperature: 2.0,
        detach,
    };
    let kl = Objective::KlDiv(Reduction::BatchMean);
    let a = evaluate(&d.train, &rows, &w, &moving(true), kl).unwrap();
    let b = evaluate(&d.train, &rows, &w, &moving(true), Objective::CrossEntropy).unwrap();
    let (ea, eb) = (a.error_bound.unwrap(), b.error_bound.unwrap());
    for i in 0..15 {
        assert!((a.gradient[i] - b.gradient[i]).abs() <= ea[i] + eb[i]);
    }
    let a2 = evaluate(&d.train, &rows, &w, &moving(false), kl).unwrap();
    let b2 = evaluate(&d.train, &rows, &w, &moving(false), Objective::CrossEntropy).unwrap();
    assert!(a2.error_bound.is_none() && b2.error_bound.is_none());
    let worst = (0..15)
        .map(|i| (a2.gradient[i] - b2.gradient[i]).abs() / (ea[i] + eb[i]))
        .fold(0.0, f64::max);
    assert!(worst > 1e6, "{worst}");
    assert!(c.attached.0 > 1e6 * c.detached.0.max(f64::MIN_POSITIVE));
    // The CE run lowers its own target's entropy; the KL and detached runs do not as much.
    assert!(c.final_entropy[0] < 0.5 * c.final_entropy[1]);
}

#[test]
fn minibatch_losses_move_with_the_batch_entropy_while_the_paths_coincide() {
    let m = &page().minibatch;
    assert!(m.entropy.1 - m.entropy.0 > 0.05, "{:?}", m.entropy);
    assert!(m.paths.worst_ratio <= 1.0);
    assert!(m.offset_ratio <= 1.0);
}

#[test]
fn every_figure_has_its_curves_and_a_record_per_step() {
    let t = page();
    assert_eq!(t.figures.len(), 7);
    for f in &t.figures {
        for c in &f.curves {
            assert_eq!(c.records.len(), 301, "{} {}", f.stem, c.id);
            if let Some(i) = c.follows {
                assert!(i < f.curves.len());
            }
        }
    }
}
