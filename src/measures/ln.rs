//! A natural logarithm accurate to double-double precision.
//!
//! `ln_dd(x)` returns (hi, lo) with hi + lo = ln x to better than 2⁻⁶⁸ relative
//! (worst measured against a 320-bit reference: 1.2e−21 ≈ 2⁻⁶⁹·⁵),
//! so that a term such as p·ln q can be formed without the half-ULP error of a
//! rounded `ln`: the measures' only remaining rounding is then the final one.
//!
//! Method (table-driven, as in Tang's and fdlibm's logarithms): write
//! x = 2ᵉ·m with m ∈ [1/√2, √2), pick rᵢ ≈ 1/m with 9 significant bits, so that
//! v = m·rᵢ − 1 is obtained exactly as a double-double and |v| < 2⁻⁶·⁸; then
//!
//! ```text
//! ln x = e·ln 2 − ln rᵢ + ln(1 + v),   ln(1 + v) = v − v²/2 + v³·P(v)
//! ```
//!
//! with −ln rᵢ tabulated in double-double (computed at 320 bits; a unit test
//! recomputes every entry) and ln 2 split as in fdlibm so that e·ln2_hi is exact.

use crate::numerics::dd::{fast_two_sum, two_prod, two_sum};

/// fdlibm's ln 2 split: LN2_HI has 21 trailing zero bits, so e·LN2_HI is exact
/// for |e| < 2²¹; LN2_HI + LN2_LO equals ln 2 to 1.7e−26 (2⁻⁸⁵) relative.
pub(crate) const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
pub(crate) const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// Coefficients of P(v) = Σₖ (−v)ᵏ/(k + 3), k = 0..=8: ln(1+v) = v − v²/2 + v³·P(v).
/// For |v| < 2⁻⁶·⁸ the omitted terms are below |v|·2⁻⁶⁹.
pub(crate) const LN1P_TAIL: [f64; 9] = [
    1.0 / 3.0,
    -1.0 / 4.0,
    1.0 / 5.0,
    -1.0 / 6.0,
    1.0 / 7.0,
    -1.0 / 8.0,
    1.0 / 9.0,
    -1.0 / 10.0,
    1.0 / 11.0,
];

/// First table index: i = round(128·m) runs over 91..=181 for m ∈ [1/√2, √2).
const FIRST: usize = 91;

/// (rᵢ, hi, lo) for i = 91..=181: rᵢ = round(256·128/i)/256, and
/// hi + lo = −ln rᵢ in double-double, computed at 320 bits.
#[allow(clippy::excessive_precision)]
pub(crate) const TABLE: [(f64, f64, f64); 91] = [
    (1.40625, -3.409265869705932e-1, -1.7467136443544747e-17), // i = 91
    (1.390625, -3.29753286372468e-1, -2.122020616196946e-18),  // i = 92
    (1.375, -3.184537311185346e-1, -2.7114779367326236e-17),   // i = 93
    (1.36328125, -3.098944777228647e-1, 2.619160572200562e-17), // i = 94
    (1.34765625, -2.983669725517973e-1, 1.1440869858035824e-18), // i = 95
    (1.33203125, -2.867050328039543e-1, 3.679022556770764e-18), // i = 96
    (1.3203125, -2.778684510034563e-1, 9.16018294909263e-19),  // i = 97
    (1.3046875, -2.6596354849713794e-1, -5.3393802761314314e-18), // i = 98
    (1.29296875, -2.569409308975004e-1, -6.30788074376329e-18), // i = 99
    (1.28125, -2.4783616390458127e-1, 1.2432209578702523e-17), // i = 100
    (1.265625, -2.355660713127669e-1, 2.3943371495187355e-18), // i = 101
    (1.25390625, -2.2626367865045338e-1, -7.90387942889578e-18), // i = 102
    (1.2421875, -2.1687393830061436e-1, -4.551026193234283e-18), // i = 103
    (1.23046875, -2.073951943460706e-1, 6.623981508424082e-18), // i = 104
    (1.21875, -1.9782574332991987e-1, -1.2821194372980142e-17), // i = 105
    (1.20703125, -1.88163832418183e-1, 4.497983271338944e-18), // i = 106
    (1.1953125, -1.784076574728183e-1, 1.2432553788701131e-17), // i = 107
    (1.18359375, -1.6855536102980667e-1, 4.849378323802459e-18), // i = 108
    (1.17578125, -1.6193282026931324e-1, -9.773924675229098e-18), // i = 109
    (1.1640625, -1.5191604202584197e-1, -6.4838631244022194e-18), // i = 110
    (1.15234375, -1.4179791186025734e-1, -1.3587228662372945e-17), // i = 111
    (1.14453125, -1.3499516453750482e-1, -1.1344320488590788e-17), // i = 112
    (1.1328125, -1.2470347850095724e-1, 4.6522609636496624e-18), // i = 113
    (1.12109375, -1.1430477128005863e-1, -5.1100358927720175e-18), // i = 114
    (1.11328125, -1.0731173578908805e-1, -4.480328406815626e-19), // i = 115
    (1.1015625, -9.672962645855111e-2, 5.597397486289965e-19), // i = 116
    (1.09375, -8.961215868968714e-2, 5.4268129336647135e-18),  // i = 117
    (1.0859375, -8.244366921107459e-2, -5.700437773813987e-18), // i = 118
    (1.07421875, -7.159365318700882e-2, 3.804421579719008e-19), // i = 119
    (1.06640625, -6.429435070539725e-2, -2.607864228825769e-18), // i = 120
    (1.05859375, -5.6941376400138424e-2, -4.849020418096643e-19), // i = 121
    (1.05078125, -4.953393512227663e-2, -3.3991672076404202e-18), // i = 122
    (1.0390625, -3.83188643021366e-2, 2.357996157351286e-18),  // i = 123
    (1.03125, -3.0771658666753687e-2, -1.0431732029005968e-18), // i = 124
    (1.0234375, -2.316705928153438e-2, 1.1769544932063305e-18), // i = 125
    (1.015625, -1.5504186535965254e-2, 3.278321022892429e-19), // i = 126
    (1.0078125, -7.782140442054949e-3, 1.2819179123343845e-20), // i = 127
    (1.0, 0e0, 0e0),                                           // i = 128
    (0.9921875, 7.843177461025893e-3, 2.764708154124904e-19),  // i = 129
    (0.984375, 1.5748356968139168e-2, 1.0021578630528974e-18), // i = 130
    (0.9765625, 2.3716526617316044e-2, -1.5774243488668215e-18), // i = 131
    (0.96875, 3.17486983145803e-2, 3.0382263084680858e-18),    // i = 132
    (0.9609375, 3.9845908547199674e-2, -3.129547680315208e-18), // i = 133
    (0.95703125, 4.391923393483549e-2, 1.762355270004629e-18), // i = 134
    (0.94921875, 5.211600113901402e-2, 7.1036769831546065e-19), // i = 135
    (0.94140625, 6.038051098890748e-2, -2.1569637373409678e-18), // i = 136
    (0.93359375, 6.871389254805181e-2, -2.5298812881248404e-18), // i = 137
    (0.92578125, 7.711730334443129e-2, 2.5654358635266204e-18), // i = 138
    (0.921875, 8.13456394539524e-2, 5.07707635593117e-18),     // i = 139
    (0.9140625, 8.985632912186105e-2, -6.273760163689594e-19), // i = 140
    (0.90625, 9.844007281325252e-2, -4.439009633675136e-18),   // i = 141
    (0.90234375, 1.0275973395776894e-1, -4.707630866560681e-18), // i = 142
    (0.89453125, 1.1145544092532282e-1, 5.685957919022839e-18), // i = 143
    (0.890625, 1.158318155251217e-1, 4.338484369808096e-18),   // i = 144
    (0.8828125, 1.246424452072766e-1, -5.808912678940971e-18), // i = 145
    (0.875, 1.3353139262452263e-1, -3.664457663660085e-18),    // i = 146
    (0.87109375, 1.3800567301944372e-1, -3.082753002960249e-18), // i = 147
    (0.86328125, 1.4701474296180966e-1, -4.46694718500102e-18), // i = 148
    (0.859375, 1.5154989812720093e-1, 5.1669593684615594e-18), // i = 149
    (0.8515625, 1.6068238169047347e-1, -3.650183553047837e-18), // i = 150
    (0.84765625, 1.6528009093910292e-1, -6.262313551919987e-19), // i = 151
    (0.84375, 1.6989903679539747e-1, -4.868008764439071e-19),  // i = 152
    (0.8359375, 1.79201429457711e-1, -1.0785017454858423e-17), // i = 153
    (0.83203125, 1.8388527877013736e-1, 6.716094199344591e-18), // i = 154
    (0.82421875, 1.9331931100349597e-1, 4.630440315107144e-18), // i = 155
    (0.8203125, 1.980699137620938e-1, 3.742843482461439e-18),  // i = 156
    (0.81640625, 2.0284319251475147e-1, 2.0981425921481313e-18), // i = 157
    (0.80859375, 2.124586512141934e-1, -9.63115306272449e-18), // i = 158
    (0.8046875, 2.173012756899814e-1, 1.6168452453763015e-18), // i = 159
    (0.80078125, 2.221674653411543e-1, -1.0797202916767509e-17), // i = 160
    (0.796875, 2.2705745063534608e-1, 9.551415762738488e-18),  // i = 161
    (0.7890625, 2.369097470783577e-1, 1.9682402978398164e-18), // i = 162
    (0.78515625, 2.4187253642048673e-1, -3.5869293176775316e-18), // i = 163
    (0.78125, 2.4686007793152578e-1, 1.361743371748368e-17),   // i = 164
    (0.77734375, 2.518726197550701e-1, -1.8984402852371785e-18), // i = 165
    (0.76953125, 2.6197371574157396e-1, 3.769957084925505e-18), // i = 166
    (0.765625, 2.6706278524904525e-1, -7.32891532732017e-18),  // i = 167
    (0.76171875, 2.7217788591581565e-1, 1.9460544362807653e-17), // i = 168
    (0.7578125, 2.7731928541623435e-1, -7.44528405583513e-18), // i = 169
    (0.75390625, 2.824872555746769e-1, 1.3652325538490778e-17), // i = 170
    (0.75, 2.876820724517809e-1, 2.607160616442564e-17),       // i = 171
    (0.74609375, 2.929040164329326e-1, -2.097144388760612e-17), // i = 172
    (0.73828125, 3.034304294199201e-1, -4.151258540103992e-18), // i = 173
    (0.734375, 3.087354816496133e-1, -1.6199186085148102e-17), // i = 174
    (0.73046875, 3.1406882762497584e-1, 7.311073985078525e-18), // i = 175
    (0.7265625, 3.194307707663612e-1, 1.354256857264811e-18),  // i = 176
    (0.72265625, 3.2482161940123766e-1, -3.7162556628635935e-18), // i = 177
    (0.71875, 3.3024168687057687e-1, -1.0828321637483858e-17), // i = 178
    (0.71484375, 3.3569129163814154e-1, -7.183773020381283e-18), // i = 179
    (0.7109375, 3.4117075740276714e-1, -1.9366790062602867e-17), // i = 180
    (0.70703125, 3.466804132137367e-1, 1.2904632283500345e-17), // i = 181
];

/// ln x as a double-double (hi, lo), for finite x > 0 (subnormals included).
#[inline]
pub(crate) fn ln_dd(x: f64) -> (f64, f64) {
    debug_assert!(x > 0.0 && x.is_finite());
    let (x, mut e) = if x < f64::MIN_POSITIVE {
        (x * 2f64.powi(54), -54i64)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    e += ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m >= std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // m·128 + 0.5 > 0, so truncation is rounding (and cheaper than `round`,
    // a library call on baseline x86-64).
    let (r, t_hi, t_lo) = TABLE[(m * 128.0 + 0.5) as usize - FIRST];

    // v = m·r − 1 exactly: m_hi·r has at most 26 + 9 bits, m_lo·r at most 27 + 9,
    // and m_hi·r ∈ [0.99, 1.01], so subtracting 1 is exact (Sterbenz).
    let m_hi = f64::from_bits(m.to_bits() & !((1u64 << 27) - 1));
    let m_lo = m - m_hi;
    let (s, s_err) = two_sum(m_hi * r - 1.0, m_lo * r);

    // ln(1 + s + s_err) = s − s²/2 + s³·P(s) + s_err/(1 + s) + O(s_err²)
    let (sq_hi, sq_lo) = two_prod(s, s);
    let mut poly = LN1P_TAIL[8];
    for &c in LN1P_TAIL[..8].iter().rev() {
        poly = poly * s + c;
    }
    let tail = s * sq_hi * poly - 0.5 * sq_lo + s_err * (1.0 - s);

    let ef = e as f64;
    let (h1, l1) = two_sum(ef * LN2_HI, t_hi);
    let (h2, l2) = two_sum(h1, s);
    let (h3, l3) = two_sum(h2, -0.5 * sq_hi);
    let lo = ((l1 + l2) + l3) + (t_lo + ef * LN2_LO) + tail;
    fast_two_sum(h3, lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use astro_float::{BigFloat, Consts, Radix, RoundingMode};

    const P: usize = 320;
    const RM: RoundingMode = RoundingMode::ToEven;

    /// astro-float 0.9's `from_f64` halves subnormal inputs, so those are
    /// scaled into the normal range first and scaled back exactly.
    fn big(x: f64) -> BigFloat {
        if x != 0.0 && x.abs() < f64::MIN_POSITIVE {
            let scale = BigFloat::from_f64(2f64.powi(64), P);
            BigFloat::from_f64(x * 2f64.powi(64), P).div(&scale, P, RM)
        } else {
            BigFloat::from_f64(x, P)
        }
    }

    fn to_f64(v: &BigFloat, cc: &mut Consts) -> f64 {
        if v.is_zero() {
            0.0
        } else {
            v.format(Radix::Dec, RM, cc).unwrap().parse().unwrap()
        }
    }

    #[test]
    fn ln2_split_is_exact_enough_and_multiplies_exactly() {
        let mut cc = Consts::new().unwrap();
        // 21 trailing zero bits: e·LN2_HI is exact for every exponent |e| ≤ 1128.
        assert!(LN2_HI.to_bits().trailing_zeros() >= 21);
        let ln2 = BigFloat::from_f64(2.0, P).ln(P, RM, &mut cc);
        let split = BigFloat::from_f64(LN2_HI, P).add(&BigFloat::from_f64(LN2_LO, P), P, RM);
        let rel = to_f64(&split.sub(&ln2, P, RM).div(&ln2, P, RM).abs(), &mut cc);
        // LN2_LO is ln 2 − LN2_HI rounded to 53 bits: at most |LN2_LO|·u off.
        let bound = LN2_LO * 2f64.powi(-53) / std::f64::consts::LN_2;
        assert!(rel <= bound, "ln2 split relative error {rel:e} > {bound:e}");
    }

    #[test]
    fn table_entries_match_a_320_bit_recomputation() {
        let mut cc = Consts::new().unwrap();
        for (k, &(r, hi, lo)) in TABLE.iter().enumerate() {
            let i = (k + FIRST) as f64;
            assert_eq!(r, (128.0 / i * 256.0).round() / 256.0, "r at i = {i}");
            let v = BigFloat::from_f64(r, P).ln(P, RM, &mut cc).neg();
            assert_eq!(hi, to_f64(&v, &mut cc), "hi at i = {i}");
            let rest = v.sub(&BigFloat::from_f64(hi, P), P, RM);
            assert_eq!(lo, to_f64(&rest, &mut cc), "lo at i = {i}");
        }
    }

    /// |hi + lo − ln x| / |ln x| against a 320-bit reference, over every binade
    /// and densely around 1, where ln x → 0 and relative accuracy is hardest.
    #[test]
    fn ln_dd_is_accurate_to_far_beyond_double_precision() {
        let mut cc = Consts::new().unwrap();
        let xs = crate::test_support::bounds::ln_sweep(&[
            f64::MIN_POSITIVE,
            5e-324,
            1e-310,
            f64::MAX,
            0.5,
            2.0,
        ]);
        let mut worst = 0f64;
        for &x in &xs {
            let (hi, lo) = ln_dd(x);
            let exact = big(x).ln(P, RM, &mut cc);
            if exact.is_zero() {
                assert_eq!((hi, lo), (0.0, 0.0));
                continue;
            }
            let got = BigFloat::from_f64(hi, P).add(&BigFloat::from_f64(lo, P), P, RM);
            let rel = to_f64(&got.sub(&exact, P, RM).div(&exact, P, RM).abs(), &mut cc);
            worst = worst.max(rel);
            // Derived bound: table and ln 2 error ≤ 2⁻¹⁰⁰, series truncation
            // ≤ |v|·2⁻⁶⁹ with |v| ≤ |ln x|·1.01 near 1, and the rounding of
            // the low-order sum ≤ 4u·|lo| ≤ 2⁻¹⁰³ relative: 2⁻⁶⁸ covers them.
            assert!(rel <= 2f64.powi(-68), "x = {x:e}: relative error {rel:e}");
        }
        println!("ln_dd worst relative error {worst:e}");
    }
}
