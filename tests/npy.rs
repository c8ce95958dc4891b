//! Tests for reading and writing `.npy` files.
//!
//! Fixtures in `tests/data/` were written by numpy; `tests/data/README.md`
//! gives the commands.

use logloss_proofs::measures::npy::{NpyError, parse_f64_npy, read_f64_npy, to_npy_bytes};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use std::path::{Path, PathBuf};

/// The values `tests/data/generate.py` writes to every float64 fixture, in order.
const GENERATED: [f64; 11] = [
    0.0,
    -0.0,
    1.0,
    -2.5,
    0.1,
    1e-300,
    5e-324,
    f64::MAX,
    f64::INFINITY,
    f64::NEG_INFINITY,
    // numpy's np.nan.
    f64::from_bits(0x7ff8_0000_0000_0000),
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn read_fixture(name: &str) -> Result<Vec<f64>, NpyError> {
    read_f64_npy(&fixture(name))
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// A version 1.0 file with the given header text and data bytes.
fn npy_v1(header: &str, data: &[u8]) -> Vec<u8> {
    let len = u16::try_from(header.len()).expect("test headers are short");
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

fn le_data(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn bad_header_reason(header: &str) -> String {
    match parse_f64_npy(&npy_v1(header, &[])) {
        Err(NpyError::BadHeader { reason }) => reason,
        other => panic!("{header:?}: expected BadHeader, got {other:?}"),
    }
}

#[test]
fn reads_little_endian_fixture_exactly() {
    assert_eq!(
        bits(&read_fixture("float64_le.npy").unwrap()),
        bits(&GENERATED)
    );
}

#[test]
fn reads_big_endian_fixture_exactly() {
    assert_eq!(
        bits(&read_fixture("float64_be.npy").unwrap()),
        bits(&GENERATED)
    );
}

#[test]
fn reads_version_2_fixture_exactly() {
    assert_eq!(
        bits(&read_fixture("float64_v2.npy").unwrap()),
        bits(&GENERATED)
    );
}

#[test]
fn reads_version_3_fixture_exactly() {
    assert_eq!(
        bits(&read_fixture("float64_v3.npy").unwrap()),
        bits(&GENERATED)
    );
}

#[test]
fn reads_empty_fixture_as_empty_vec() {
    assert_eq!(read_fixture("empty.npy").unwrap(), Vec::<f64>::new());
}

#[test]
fn to_npy_bytes_matches_numpy_save() {
    let numpy = std::fs::read(fixture("float64_le.npy")).unwrap();
    assert_eq!(to_npy_bytes(&GENERATED), numpy);
    let numpy_empty = std::fs::read(fixture("empty.npy")).unwrap();
    assert_eq!(to_npy_bytes(&[]), numpy_empty);
}

#[test]
fn rejects_float32_fixture_naming_dtype_and_fix() {
    let err = read_fixture("float32.npy").unwrap_err();
    assert_eq!(
        err,
        NpyError::UnsupportedDtype {
            descr: "<f4".into()
        }
    );
    let message = err.to_string();
    assert!(message.contains("'<f4'"), "{message}");
    assert!(message.contains("arr.astype(np.float64)"), "{message}");
}

#[test]
fn rejects_int64_fixture_naming_dtype() {
    assert_eq!(
        read_fixture("int64.npy").unwrap_err(),
        NpyError::UnsupportedDtype {
            descr: "<i8".into()
        }
    );
}

#[test]
fn rejects_two_d_fixture_naming_shape() {
    let err = read_fixture("two_d.npy").unwrap_err();
    assert_eq!(
        err,
        NpyError::NotOneDimensional {
            shape: "(2, 3)".into()
        }
    );
    assert!(err.to_string().contains("(2, 3)"));
}

#[test]
fn rejects_zero_d_fixture() {
    assert_eq!(
        read_fixture("scalar.npy").unwrap_err(),
        NpyError::NotOneDimensional { shape: "()".into() }
    );
}

#[test]
fn missing_file_error_names_path() {
    let path = fixture("no_such_file.npy");
    let err = read_f64_npy(&path).unwrap_err();
    let NpyError::Io { path: named, .. } = &err else {
        panic!("expected Io, got {err:?}");
    };
    assert_eq!(named, &path.display().to_string());
    assert!(err.to_string().contains(named.as_str()));
}

#[test]
fn accepts_any_key_order_double_quotes_and_whitespace() {
    let data = le_data(&[1.5, -3.0]);
    for header in [
        "{'shape': (2,), 'fortran_order': False, 'descr': '<f8'}",
        "{\"descr\": \"<f8\", \"shape\": (2,), \"fortran_order\": False}\n",
        "  {\n 'fortran_order' :False ,\t'descr':'<f8','shape':( 2 , ) , }   \n",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2L,), }",
    ] {
        assert_eq!(
            parse_f64_npy(&npy_v1(header, &data)),
            Ok(vec![1.5, -3.0]),
            "{header:?}"
        );
    }
}

#[test]
fn accepts_fortran_order_true_for_one_d() {
    let header = "{'descr': '<f8', 'fortran_order': True, 'shape': (1,), }";
    assert_eq!(
        parse_f64_npy(&npy_v1(header, &le_data(&[7.0]))),
        Ok(vec![7.0])
    );
}

#[test]
fn reads_native_order_descrs_in_native_order() {
    let data: Vec<u8> = [0.5f64, -8.0]
        .iter()
        .flat_map(|v| v.to_ne_bytes())
        .collect();
    for descr in ["=f8", "|f8"] {
        let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}");
        assert_eq!(parse_f64_npy(&npy_v1(&header, &data)), Ok(vec![0.5, -8.0]));
    }
}

#[test]
fn rejects_other_dtypes_naming_them() {
    for descr in ["<f4", "<i8", "|O", "<c16", "f8", "<d", "float64", "<f8 "] {
        let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (0,), }}");
        assert_eq!(
            parse_f64_npy(&npy_v1(&header, &[])),
            Err(NpyError::UnsupportedDtype {
                descr: descr.into()
            })
        );
    }
}

#[test]
fn rejects_structured_dtype_naming_its_descr() {
    let header =
        "{'descr': [('x', '<f8'), ('y', '<f8', (2,))], 'fortran_order': False, 'shape': (1,), }";
    assert_eq!(
        parse_f64_npy(&npy_v1(header, &[0; 24])),
        Err(NpyError::UnsupportedDtype {
            descr: "[('x', '<f8'), ('y', '<f8', (2,))]".into()
        })
    );
}

#[test]
fn rejects_bad_magic_naming_bytes_found() {
    let err = parse_f64_npy(b"PK\x03\x04\x14\x00\x00\x00").unwrap_err();
    assert_eq!(
        err,
        NpyError::BadMagic {
            found: "PK\\x03\\x04\\x14\\x00".into()
        }
    );
    assert!(err.to_string().contains("PK\\x03"));
}

#[test]
fn short_input_is_a_truncated_header() {
    let cases: [(&[u8], u64); 5] = [
        (b"", 8),
        (b"\x93NUM", 8),
        (b"\x93NUMPY\x01", 8),
        (b"\x93NUMPY\x01\x00\x10", 10),
        (b"\x93NUMPY\x02\x00\x10\x00\x00", 12),
    ];
    for (bytes, needed) in cases {
        assert_eq!(
            parse_f64_npy(bytes),
            Err(NpyError::HeaderTruncated {
                needed_bytes: needed,
                found_bytes: bytes.len() as u64
            }),
            "{bytes:?}"
        );
    }
}

#[test]
fn header_longer_than_input_is_truncated() {
    let mut v1 = to_npy_bytes(&[]);
    v1.truncate(100);
    assert_eq!(
        parse_f64_npy(&v1),
        Err(NpyError::HeaderTruncated {
            needed_bytes: 128,
            found_bytes: 100
        })
    );
    let v2 = b"\x93NUMPY\x02\x00\xff\xff\xff\xff{}";
    assert_eq!(
        parse_f64_npy(v2),
        Err(NpyError::HeaderTruncated {
            needed_bytes: 12 + u64::from(u32::MAX),
            found_bytes: 14
        })
    );
}

#[test]
fn rejects_unsupported_versions() {
    for (major, minor) in [(0, 0), (1, 1), (2, 1), (4, 0), (255, 255)] {
        let mut bytes = to_npy_bytes(&[1.0]);
        bytes[6] = major;
        bytes[7] = minor;
        let err = parse_f64_npy(&bytes).unwrap_err();
        assert_eq!(err, NpyError::UnsupportedVersion { major, minor });
        assert!(err.to_string().contains(&format!("{major}.{minor}")));
    }
}

#[test]
fn rejects_truncated_and_overlong_data_naming_byte_counts() {
    let mut short = to_npy_bytes(&[1.0, 2.0, 3.0]);
    short.pop();
    let err = parse_f64_npy(&short).unwrap_err();
    assert_eq!(
        err,
        NpyError::DataLength {
            len: 3,
            expected_bytes: 24,
            found_bytes: 23
        }
    );
    assert!(err.to_string().contains("24") && err.to_string().contains("23"));

    let mut long = to_npy_bytes(&[1.0, 2.0, 3.0]);
    long.extend_from_slice(&[0; 8]);
    assert_eq!(
        parse_f64_npy(&long),
        Err(NpyError::DataLength {
            len: 3,
            expected_bytes: 24,
            found_bytes: 32
        })
    );
}

#[test]
fn huge_declared_length_is_rejected_without_allocating() {
    let header = |n: &str| format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({n},), }}");
    // Fits in u64 bytes: the data length check rejects it.
    let n = u64::MAX / 8;
    assert_eq!(
        parse_f64_npy(&npy_v1(&header(&n.to_string()), &[0; 16])),
        Err(NpyError::DataLength {
            len: n,
            expected_bytes: n * 8,
            found_bytes: 16
        })
    );
    // n * 8 overflows u64.
    let reason = bad_header_reason(&header(&(u64::MAX / 8 + 1).to_string()));
    assert!(reason.contains("too large"), "{reason}");
    // n overflows u64.
    let reason = bad_header_reason(&header("18446744073709551616"));
    assert!(reason.contains("18446744073709551616"), "{reason}");
}

#[test]
fn rejects_malformed_headers_saying_why() {
    let cases = [
        (
            "{'descr': '<f8', 'fortran_order': False}",
            "missing key \"shape\"",
        ),
        (
            "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (0,)}",
            "duplicate key \"descr\"",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (0,), 'extra': 1}",
            "unexpected key \"extra\"",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3)}",
            "shape must be a tuple of integers, found \"(3)\"",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': [3]}",
            "shape must be a tuple",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': ('3',)}",
            "shape must be a tuple",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (-3,)}",
            "'-'",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (03,)}",
            "leading zero",
        ),
        (
            "{'descr': '<f8', 'fortran_order': 0, 'shape': (3,)}",
            "fortran_order must be True or False",
        ),
        (
            "{'descr': '<f8', 'fortran_order': Truth, 'shape': (3,)}",
            "found 'T'",
        ),
        (
            "{'descr': '<f8, 'fortran_order': False, 'shape': (3,)}",
            "expected ',' or '}'",
        ),
        (
            "{'descr': '<f8\n', 'fortran_order': False, 'shape': (3,)}",
            "unterminated string",
        ),
        (
            "{'descr': '<f\\x38', 'fortran_order': False, 'shape': (3,)}",
            "unsupported escape",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)",
            "found end of header",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)} x",
            "expected end of header",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3,,)}",
            "found ','",
        ),
        ("{descr: '<f8'}", "a string key"),
        ("", "found end of header"),
    ];
    for (header, expected) in cases {
        let reason = bad_header_reason(header);
        assert!(
            reason.contains(expected),
            "{header:?}: {reason:?} lacks {expected:?}"
        );
        assert!(!reason.contains('\n'), "{reason:?}");
    }
}

#[test]
fn deep_nesting_is_rejected_without_recursing_further() {
    let deep = format!(
        "{{'descr': {}0{}, 'fortran_order': False, 'shape': (0,)}}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let bytes = {
        let mut out = b"\x93NUMPY\x02\x00".to_vec();
        out.extend_from_slice(&u32::try_from(deep.len()).unwrap().to_le_bytes());
        out.extend_from_slice(deep.as_bytes());
        out
    };
    let err = parse_f64_npy(&bytes).unwrap_err();
    assert!(
        matches!(&err, NpyError::BadHeader { reason } if reason.contains("nested deeper")),
        "{err:?}"
    );
}

#[test]
fn version_3_header_must_be_utf8() {
    let header = "{'descr': '\u{e9}', 'fortran_order': False, 'shape': (0,), }";
    let mut v3 = b"\x93NUMPY\x03\x00".to_vec();
    v3.extend_from_slice(&(header.len() as u32).to_le_bytes());
    v3.extend_from_slice(header.as_bytes());
    assert_eq!(
        parse_f64_npy(&v3),
        Err(NpyError::UnsupportedDtype {
            descr: "\u{e9}".into()
        })
    );
    // Replace the first byte of the two-byte UTF-8 encoding of 'é'.
    let at = v3.iter().position(|&b| b == 0xc3).unwrap();
    v3[at] = 0xff;
    let err = parse_f64_npy(&v3).unwrap_err();
    assert!(
        matches!(&err, NpyError::BadHeader { reason } if reason.contains("UTF-8")),
        "{err:?}"
    );
}

#[test]
fn round_trip_preserves_special_values_bit_for_bit() {
    let values: Vec<f64> = [
        0x0000_0000_0000_0000, // +0.0
        0x8000_0000_0000_0000, // -0.0
        0x7ff0_0000_0000_0000, // +inf
        0xfff0_0000_0000_0000, // -inf
        0x7ff8_0000_0000_0000, // quiet NaN
        0xfff8_0000_0000_0000, // negative quiet NaN
        0x7ff0_0000_0000_0001, // signalling NaN payload
        0x7fff_ffff_ffff_ffff, // NaN with all payload bits set
        0x0000_0000_0000_0001, // smallest subnormal
        0x000f_ffff_ffff_ffff, // largest subnormal
        0x8000_0000_0000_0001, // negative subnormal
        0x0010_0000_0000_0000, // f64::MIN_POSITIVE
        0x7fef_ffff_ffff_ffff, // f64::MAX
    ]
    .into_iter()
    .map(f64::from_bits)
    .collect();
    let back = parse_f64_npy(&to_npy_bytes(&values)).unwrap();
    assert_eq!(bits(&back), bits(&values));
}

#[test]
fn to_npy_bytes_writes_an_aligned_version_1_header() {
    for len in [0, 1, 9, 10, 99, 1000, 12_345] {
        let bytes = to_npy_bytes(&vec![0.0; len]);
        assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
        let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        let data_start = 10 + header_len;
        assert_eq!(data_start % 64, 0, "len {len}");
        assert_eq!(bytes[data_start - 1], b'\n', "len {len}");
        assert_eq!(bytes.len(), data_start + 8 * len);
    }
}

#[test]
fn error_messages_are_single_lines() {
    let errors = [
        parse_f64_npy(b"\n\n\n\n\n\n").unwrap_err(),
        parse_f64_npy(&npy_v1(
            "{'descr': [('a\\'\n', '<f8')], 'fortran_order': False, 'shape': (0,)}",
            &[],
        ))
        .unwrap_err(),
        parse_f64_npy(&npy_v1(
            "{'descr':\n[\n('a', '<f8')\n], 'fortran_order': False, 'shape': (0,)}",
            &[],
        ))
        .unwrap_err(),
        parse_f64_npy(&npy_v1(
            "{'descr': '<f8', 'fortran_order': False,\n'shape': \n(\n1\n)\n}",
            &[],
        ))
        .unwrap_err(),
    ];
    for err in errors {
        let message = err.to_string();
        assert!(!message.contains('\n'), "{message:?}");
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2000,
        rng_seed: RngSeed::Fixed(20261128),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A valid header, split where edits are interesting.
const VALID_HEADER_TOKENS: &[&str] = &[
    "{",
    "'descr'",
    ":",
    " ",
    "'<f8'",
    ",",
    " ",
    "'fortran_order'",
    ":",
    " ",
    "False",
    ",",
    " ",
    "'shape'",
    ":",
    " ",
    "(",
    "3",
    ",",
    ")",
    ",",
    " ",
    "}",
    "\n",
];

/// Fragments that edits put into a header.
const HEADER_TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "'",
    "\"",
    ",",
    ":",
    " ",
    "\n",
    "\\",
    "descr",
    "'descr'",
    "'shape'",
    "'fortran_order'",
    "'<f8'",
    "'>f8'",
    "'<f4'",
    "True",
    "False",
    "0",
    "3",
    "L",
    "18446744073709551616",
    "2305843009213693952",
    "\u{e9}",
    "\u{1F600}",
];

/// Checks what any parse result must satisfy.
fn check_outcome(bytes: &[u8]) -> Result<(), TestCaseError> {
    match parse_f64_npy(bytes) {
        Ok(values) => prop_assert!(values.len() * 8 < bytes.len()),
        Err(err) => prop_assert!(!err.to_string().contains('\n'), "{err}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_outcome(&bytes)?;
    }

    #[test]
    fn parse_never_panics_on_edited_header_tokens(
        version in prop::sample::select(vec![(1u8, 0u8), (2, 0), (3, 0)]),
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), 0u8..3, prop::sample::select(HEADER_TOKENS)),
            1..8,
        ),
        cut in prop::option::of(any::<prop::sample::Index>()),
        data in prop::collection::vec(any::<u8>(), 0..48),
    ) {
        let mut tokens = VALID_HEADER_TOKENS.to_vec();
        for (at, op, token) in edits {
            let i = at.index(tokens.len() + 1);
            match op {
                0 if i < tokens.len() => tokens[i] = token,
                1 if i < tokens.len() => {
                    tokens.remove(i);
                }
                _ => tokens.insert(i, token),
            }
        }
        if let Some(cut) = cut {
            tokens.truncate(cut.index(tokens.len() + 1));
        }
        let header = tokens.concat();
        let mut bytes = vec![0x93, b'N', b'U', b'M', b'P', b'Y', version.0, version.1];
        if version.0 == 1 {
            bytes.extend_from_slice(&u16::try_from(header.len()).unwrap().to_le_bytes());
        } else {
            bytes.extend_from_slice(&u32::try_from(header.len()).unwrap().to_le_bytes());
        }
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&data);
        check_outcome(&bytes)?;
    }

    #[test]
    fn parse_never_panics_on_mutated_valid_files(
        values in prop::collection::vec(any::<u64>().prop_map(f64::from_bits), 0..16),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let mut bytes = to_npy_bytes(&values);
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        check_outcome(&bytes)?;
    }

    #[test]
    fn round_trip_is_bit_exact(
        values in prop::collection::vec(any::<u64>().prop_map(f64::from_bits), 0..64),
    ) {
        let back = parse_f64_npy(&to_npy_bytes(&values)).unwrap();
        prop_assert_eq!(bits(&back), bits(&values));
    }

    #[test]
    fn data_is_accepted_iff_its_length_is_eight_times_the_shape(
        len in 0u64..64,
        data in prop::collection::vec(any::<u8>(), 0..520),
    ) {
        let header = format!("{{'descr': '>f8', 'fortran_order': False, 'shape': ({len},), }}");
        let result = parse_f64_npy(&npy_v1(&header, &data));
        if data.len() as u64 == len * 8 {
            let expected: Vec<f64> = data
                .chunks_exact(8)
                .map(|c| f64::from_be_bytes(c.try_into().unwrap()))
                .collect();
            prop_assert_eq!(bits(&result.unwrap()), bits(&expected));
        } else {
            prop_assert_eq!(
                result,
                Err(NpyError::DataLength {
                    len,
                    expected_bytes: len * 8,
                    found_bytes: data.len() as u64,
                })
            );
        }
    }
}
