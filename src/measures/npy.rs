//! Reading and writing numpy `.npy` files that hold a 1-D `float64` array.
//!
//! The supported subset of the
//! [`.npy` format](https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
//!
//! - format versions 1.0, 2.0 and 3.0;
//! - `descr` `'<f8'` (little-endian) or `'>f8'` (big-endian, byte-swapped on read);
//! - `descr` `'=f8'` or `'|f8'`: the reading machine's native order, as numpy reads them;
//! - `shape` `(n,)`, including `(0,)`;
//! - `fortran_order` `True` or `False`, which is the same layout for 1-D data.
//!
//! Everything else is an [`NpyError`]: other dtypes, 0-d and multi-dimensional
//! arrays, and data that is not exactly `n * 8` bytes long.
//! The header is read by a strict parser for the Python dict literal numpy writes.
//! Parsing never panics and allocates for the data only after its length checks out.
//!
//! ```
//! use logloss_proofs::measures::npy::{parse_f64_npy, to_npy_bytes};
//!
//! let values = [0.25, -1.5, f64::INFINITY];
//! let bytes = to_npy_bytes(&values);
//! assert_eq!(parse_f64_npy(&bytes)?, values);
//! # Ok::<(), logloss_proofs::measures::npy::NpyError>(())
//! ```

use std::path::Path;

/// Errors from reading or writing `.npy` data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NpyError {
    /// The input does not start with the `.npy` magic string.
    #[error("not a .npy file: expected magic \\x93NUMPY, found \"{found}\"")]
    BadMagic {
        /// The first bytes of the input, escaped.
        found: String,
    },
    /// The format version is not 1.0, 2.0 or 3.0.
    #[error("unsupported .npy format version {major}.{minor}: expected 1.0, 2.0 or 3.0")]
    UnsupportedVersion {
        /// Major version byte.
        major: u8,
        /// Minor version byte.
        minor: u8,
    },
    /// The input ends before the header does.
    #[error(".npy header truncated: needs {needed_bytes} bytes, input has {found_bytes}")]
    HeaderTruncated {
        /// Bytes needed to hold the header.
        needed_bytes: u64,
        /// Bytes in the input.
        found_bytes: u64,
    },
    /// The header is not a valid dict literal with exactly the keys numpy writes.
    #[error("invalid .npy header: {reason}")]
    BadHeader {
        /// What is wrong with the header.
        reason: String,
    },
    /// The dtype is not `float64`.
    #[error(
        "unsupported dtype '{}': only float64 ('<f8' or '>f8') is read; convert with arr.astype(np.float64)",
        .descr.escape_debug()
    )]
    UnsupportedDtype {
        /// The `descr` value from the header.
        descr: String,
    },
    /// The array is not 1-D.
    #[error("expected a 1-D array, found shape {shape}; flatten with np.ravel(arr)")]
    NotOneDimensional {
        /// The shape from the header, as Python writes it.
        shape: String,
    },
    /// The data is not exactly `len * 8` bytes long.
    #[error("shape ({len},) needs {expected_bytes} data bytes, found {found_bytes}")]
    DataLength {
        /// Number of elements declared by the header.
        len: u64,
        /// Bytes the declared shape needs.
        expected_bytes: u64,
        /// Bytes present after the header.
        found_bytes: u64,
    },
    /// The file could not be read.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The path that was read.
        path: String,
        /// The operating system's error message.
        message: String,
    },
}

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// numpy aligns the start of the data to this many bytes.
const ARRAY_ALIGN: usize = 64;
/// numpy pads the header so the length can grow to this many digits in place.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;
/// Deepest nesting of tuples and lists the header parser accepts.
const MAX_NESTING: usize = 16;

/// Parses `.npy` bytes holding a 1-D `float64` array.
pub fn parse_f64_npy(bytes: &[u8]) -> Result<Vec<f64>, NpyError> {
    let (text, data) = split_header(bytes)?;
    let header = parse_header(&text)?;
    let descr = match header.descr {
        Value::Str(descr) => descr,
        _ => {
            return Err(NpyError::UnsupportedDtype {
                descr: header.descr_text,
            });
        }
    };
    let decode: fn([u8; 8]) -> f64 = match descr.as_str() {
        "<f8" => f64::from_le_bytes,
        ">f8" => f64::from_be_bytes,
        "=f8" | "|f8" => f64::from_ne_bytes,
        _ => return Err(NpyError::UnsupportedDtype { descr }),
    };
    let len = match header.shape[..] {
        [len] => len,
        _ => {
            return Err(NpyError::NotOneDimensional {
                shape: python_tuple(&header.shape),
            });
        }
    };
    let expected_bytes = len.checked_mul(8).ok_or_else(|| NpyError::BadHeader {
        reason: format!("shape ({len},) is too large: {len} * 8 bytes overflows 64 bits"),
    })?;
    let found_bytes = data.len() as u64;
    if expected_bytes != found_bytes {
        return Err(NpyError::DataLength {
            len,
            expected_bytes,
            found_bytes,
        });
    }
    Ok(data
        .chunks_exact(8)
        .map(|chunk| {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            decode(word)
        })
        .collect())
}

/// Reads a `.npy` file holding a 1-D `float64` array.
pub fn read_f64_npy(path: &Path) -> Result<Vec<f64>, NpyError> {
    let bytes = std::fs::read(path).map_err(|e| NpyError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    parse_f64_npy(&bytes)
}

/// Encodes values as a `.npy` file: version 1.0, `'<f8'`, shape `(n,)`.
///
/// The bytes equal those of numpy's `np.save` for the same `'<f8'` array:
/// the header ends with `'\n'` and the data starts at a multiple of 64 bytes.
pub fn to_npy_bytes(values: &[f64]) -> Vec<u8> {
    let len = values.len();
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({len},), }}");
    let digits = len.to_string().len();
    header.extend(std::iter::repeat_n(
        ' ',
        GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits),
    ));
    // numpy pads a full block when the header is already aligned.
    let preamble = MAGIC.len() + 2 + 2;
    let pad = ARRAY_ALIGN - (preamble + header.len() + 1) % ARRAY_ALIGN;
    header.extend(std::iter::repeat_n(' ', pad));
    header.push('\n');
    let header_len =
        u16::try_from(header.len()).expect("a 1-D float64 header is shorter than 200 bytes");

    let mut out = Vec::with_capacity(preamble + header.len() + 8 * len);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for value in values {
        out.extend_from_slice(&value.to_le_bytes());
    }
    out
}

/// Splits the input into the decoded header text and the data bytes.
fn split_header(bytes: &[u8]) -> Result<(String, &[u8]), NpyError> {
    let truncated = |needed: usize| NpyError::HeaderTruncated {
        needed_bytes: needed as u64,
        found_bytes: bytes.len() as u64,
    };
    if !bytes.starts_with(MAGIC) {
        let head = &bytes[..bytes.len().min(MAGIC.len())];
        if MAGIC.starts_with(head) {
            return Err(truncated(MAGIC.len() + 2));
        }
        return Err(NpyError::BadMagic {
            found: head.escape_ascii().to_string(),
        });
    }
    let (major, minor) = match bytes.get(MAGIC.len()..MAGIC.len() + 2) {
        Some(&[major, minor]) => (major, minor),
        _ => return Err(truncated(MAGIC.len() + 2)),
    };
    let (len_size, utf8) = match (major, minor) {
        (1, 0) => (2, false),
        (2, 0) => (4, false),
        (3, 0) => (4, true),
        _ => return Err(NpyError::UnsupportedVersion { major, minor }),
    };
    let text_start = MAGIC.len() + 2 + len_size;
    let text_len = match bytes.get(MAGIC.len() + 2..text_start) {
        Some(&[a, b]) => u32::from(u16::from_le_bytes([a, b])),
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => return Err(truncated(text_start)),
    };
    let rest = &bytes[text_start..];
    let text_len = match usize::try_from(text_len) {
        Ok(n) if n <= rest.len() => n,
        _ => {
            return Err(NpyError::HeaderTruncated {
                needed_bytes: text_start as u64 + u64::from(text_len),
                found_bytes: bytes.len() as u64,
            });
        }
    };
    let (raw, data) = rest.split_at(text_len);
    let text = if utf8 {
        std::str::from_utf8(raw)
            .map_err(|e| NpyError::BadHeader {
                reason: format!("version 3.0 header is not UTF-8: {e}"),
            })?
            .to_owned()
    } else {
        // Versions 1.0 and 2.0 store the header as latin-1.
        raw.iter().copied().map(char::from).collect()
    };
    Ok((text, data))
}

/// The header entries that decide how the data is read.
struct Header {
    descr: Value,
    /// The `descr` value as written, for error messages.
    descr_text: String,
    shape: Vec<u64>,
}

fn parse_header(text: &str) -> Result<Header, NpyError> {
    let bad = |reason: String| NpyError::BadHeader { reason };
    let entries = Parser { text, pos: 0 }.dict().map_err(bad)?;
    let mut descr = None;
    let mut fortran_order = None;
    let mut shape = None;
    for (key, value, source) in entries {
        let slot = match key.as_str() {
            "descr" => &mut descr,
            "fortran_order" => &mut fortran_order,
            "shape" => &mut shape,
            _ => return Err(bad(format!("unexpected key {key:?}"))),
        };
        if slot.replace((value, source)).is_some() {
            return Err(bad(format!("duplicate key {key:?}")));
        }
    }
    let missing = |key: &str| bad(format!("missing key {key:?}"));
    let (descr, descr_text) = descr.ok_or_else(|| missing("descr"))?;
    match fortran_order.ok_or_else(|| missing("fortran_order"))? {
        (Value::Bool, _) => {}
        (_, source) => {
            return Err(bad(format!(
                "fortran_order must be True or False, found {source:?}"
            )));
        }
    }
    let (shape, shape_text) = shape.ok_or_else(|| missing("shape"))?;
    let shape = match shape {
        Value::Tuple(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Int(n) => Some(n),
                _ => None,
            })
            .collect::<Option<Vec<u64>>>(),
        _ => None,
    }
    .ok_or_else(|| {
        bad(format!(
            "shape must be a tuple of integers, found {shape_text:?}"
        ))
    })?;
    Ok(Header {
        descr,
        descr_text,
        shape,
    })
}

/// Formats a shape as Python writes a tuple: `()`, `(3,)`, `(2, 3)`.
fn python_tuple(dims: &[u64]) -> String {
    match dims {
        [only] => format!("({only},)"),
        _ => {
            let items: Vec<String> = dims.iter().map(u64::to_string).collect();
            format!("({})", items.join(", "))
        }
    }
}

/// A Python literal as it may appear in a `.npy` header.
///
/// Booleans and lists keep no contents: no supported header needs them.
enum Value {
    Str(String),
    Bool,
    Int(u64),
    Tuple(Vec<Value>),
    List,
}

/// A strict parser for the Python literals numpy writes in a header.
///
/// `pos` always sits on a char boundary: it only advances over ASCII bytes
/// or over whole string literals.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

/// A dict entry: key, value, and the value's source text.
type Entry = (String, Value, String);

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')) {
            self.pos += 1;
        }
    }

    fn unexpected(&self, expected: &str) -> String {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            Some(c) => format!("expected {expected} at byte {}, found {c:?}", self.pos),
            None => format!("expected {expected}, found end of header"),
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(&format!("{:?}", char::from(byte))))
        }
    }

    /// `{key: value, ...}` with an optional trailing comma and nothing after it.
    fn dict(mut self) -> Result<Vec<Entry>, String> {
        self.skip_whitespace();
        self.expect(b'{')?;
        let mut entries = Vec::new();
        loop {
            self.skip_whitespace();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                break;
            }
            if !matches!(self.peek(), Some(b'\'' | b'"')) {
                return Err(self.unexpected("a string key or '}'"));
            }
            let key = self.string()?;
            self.skip_whitespace();
            self.expect(b':')?;
            self.skip_whitespace();
            let start = self.pos;
            let value = self.value(0)?;
            let source = self
                .text
                .get(start..self.pos)
                .unwrap_or_default()
                .to_owned();
            entries.push((key, value, source));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.unexpected("',' or '}'")),
            }
        }
        self.skip_whitespace();
        if self.pos < self.text.len() {
            return Err(self.unexpected("end of header"));
        }
        Ok(entries)
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_NESTING {
            return Err(format!("literal nested deeper than {MAX_NESTING} levels"));
        }
        match self.peek() {
            Some(b'\'' | b'"') => self.string().map(Value::Str),
            Some(b'(') => self.sequence(b')', depth),
            Some(b'[') => self.sequence(b']', depth),
            Some(b'0'..=b'9') => self.int().map(Value::Int),
            _ => self.keyword(),
        }
    }

    /// A quoted string; only the escapes `\\`, `\'` and `\"` are accepted.
    fn string(&mut self) -> Result<String, String> {
        let start = self.pos;
        let rest = self.text.get(start..).unwrap_or_default();
        let mut chars = rest.char_indices();
        let quote = match chars.next() {
            Some((_, q @ ('\'' | '"'))) => q,
            _ => return Err(self.unexpected("a string")),
        };
        let mut out = String::new();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e @ ('\\' | '\'' | '"'))) => out.push(e),
                    Some((_, e)) => {
                        return Err(format!(
                            "unsupported escape {:?} in string at byte {}",
                            format!("\\{e}"),
                            start + i
                        ));
                    }
                    None => break,
                },
                '\n' | '\r' => break,
                c if c == quote => {
                    self.pos = start + i + 1;
                    return Ok(out);
                }
                c => out.push(c),
            }
        }
        Err(format!("unterminated string starting at byte {start}"))
    }

    /// A non-negative decimal integer, with an optional Python 2 `L` suffix.
    fn int(&mut self) -> Result<u64, String> {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        let digits = &self.text[start..self.pos];
        if digits.len() > 1 && digits.starts_with('0') {
            return Err(format!("integer {digits} has a leading zero"));
        }
        let n = digits
            .parse()
            .map_err(|_| format!("integer {digits} does not fit in 64 bits"))?;
        if matches!(self.peek(), Some(b'L' | b'l')) {
            self.pos += 1;
        }
        Ok(n)
    }

    /// A tuple or list; a parenthesised single value without a comma is that value.
    fn sequence(&mut self, close: u8, depth: usize) -> Result<Value, String> {
        self.pos += 1;
        let mut items = Vec::new();
        let mut trailing_comma = false;
        loop {
            self.skip_whitespace();
            if self.peek() == Some(close) {
                self.pos += 1;
                break;
            }
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    trailing_comma = true;
                }
                Some(c) if c == close => {
                    self.pos += 1;
                    trailing_comma = false;
                    break;
                }
                _ => {
                    return Err(self.unexpected(&format!("',' or {:?}", char::from(close))));
                }
            }
        }
        if close == b']' {
            return Ok(Value::List);
        }
        if items.len() == 1
            && !trailing_comma
            && let Some(only) = items.pop()
        {
            return Ok(only);
        }
        Ok(Value::Tuple(items))
    }

    fn keyword(&mut self) -> Result<Value, String> {
        let rest = self.text.get(self.pos..).unwrap_or_default();
        let word_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        let value = match &rest[..word_len] {
            "True" | "False" => Value::Bool,
            _ => return Err(self.unexpected("a string, integer, tuple, list, True or False")),
        };
        self.pos += word_len;
        Ok(value)
    }
}
