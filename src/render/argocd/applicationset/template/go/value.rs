//! The Go-side value model the template engine computes with, and the Go formatting rules for
//! it (`fmt`'s `%v`, `strconv.Quote`, float formatting).
//!
//! Argo CD executes templates against `map[string]interface{}` built by `encoding/json`, so a
//! value here is what such an interface can hold: nil, bool, float64 (every JSON number), string,
//! `[]interface{}` and `map[string]interface{}`, plus the `int`/`int64` values that template
//! literals and Sprig functions produce. `Missing` is Go's invalid `reflect.Value` (a missing map
//! key), which prints as `<no value>`, while `Nil` is an interface holding nil (a JSON `null`),
//! which prints as `<nil>` inside containers. Maps are shared and mutable (`Rc<RefCell<..>>`)
//! because Go maps are references: Sprig's `set` on a map changes it for later fields too.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

use super::Fail;

/// A Go map value. `BTreeMap` because Go prints, ranges and JSON-encodes maps in key order.
pub(super) type MapRef = Rc<RefCell<BTreeMap<String, Value>>>;

/// Nesting beyond which recursive walks (printing, encoding, comparison) give up. It guards the
/// native stack against hostile self-referencing maps built with `set`.
pub(super) const MAX_VALUE_DEPTH: usize = 100;

#[derive(Clone, Debug)]
pub(crate) enum Value {
    /// Go's invalid `reflect.Value`: a missing key, or no value at all.
    Missing,
    /// An `interface{}` holding nil (JSON `null`, or a function that returned nil).
    Nil,
    Bool(bool),
    /// Go `int` (template literals, `len`, Sprig `int`, `atoi`).
    Int(i64),
    /// Go `int64` (Sprig arithmetic). Distinct from `Int` because Go refuses to pass an `int64`
    /// where a function wants an `int`.
    Int64(i64),
    /// Go `float64`; every number that comes from JSON parameters.
    Float(f64),
    Str(Rc<str>),
    List(Rc<Vec<Value>>),
    Map(MapRef),
}

impl Value {
    pub(super) fn str(s: impl Into<Rc<str>>) -> Value {
        Value::Str(s.into())
    }

    pub(super) fn list(v: Vec<Value>) -> Value {
        Value::List(Rc::new(v))
    }

    pub(super) fn map(m: BTreeMap<String, Value>) -> Value {
        Value::Map(Rc::new(RefCell::new(m)))
    }

    /// Converts JSON parameters the way `encoding/json` fills an `interface{}`.
    pub(crate) fn from_json(v: &serde_json::Value) -> Value {
        Self::from_json_depth(v, 0)
    }

    fn from_json_depth(v: &serde_json::Value, depth: usize) -> Value {
        if depth > 4 * MAX_VALUE_DEPTH {
            return Value::Nil;
        }
        match v {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::str(s.as_str()),
            serde_json::Value::Array(a) => Value::list(
                a.iter()
                    .map(|x| Self::from_json_depth(x, depth + 1))
                    .collect(),
            ),
            serde_json::Value::Object(o) => Value::map(
                o.iter()
                    .map(|(k, x)| (k.clone(), Self::from_json_depth(x, depth + 1)))
                    .collect(),
            ),
        }
    }

    /// Pipeline results that are interfaces are unwrapped by Go's executor, which turns an
    /// interface holding nil into an invalid value (printed `<no value>`).
    pub(super) fn dig(self) -> Value {
        match self {
            Value::Nil => Value::Missing,
            v => v,
        }
    }

    /// What an `interface{}` function parameter receives: Go passes nil for an invalid value.
    pub(super) fn into_arg(self) -> Value {
        match self {
            Value::Missing => Value::Nil,
            v => v,
        }
    }

    pub(super) fn is_nilish(&self) -> bool {
        matches!(self, Value::Missing | Value::Nil)
    }

    /// `%T` of the value.
    pub(super) fn type_name(&self) -> &'static str {
        match self {
            Value::Missing | Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(_) => "[]interface {}",
            Value::Map(_) => "map[string]interface {}",
        }
    }

    /// `reflect.Kind` name of the value.
    pub(super) fn kind_name(&self) -> &'static str {
        match self {
            Value::Missing | Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(_) => "slice",
            Value::Map(_) => "map",
        }
    }

    /// text/template's `isTrue`: the truth of `if`, `with`, `and`, `or`, `not`.
    pub(super) fn truth(&self) -> bool {
        match self {
            Value::Missing | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => m.try_borrow().map(|m| !m.is_empty()).unwrap_or(true),
        }
    }

    /// Sprig's `empty`: the zero value of its type (same cases as `truth`, negated).
    pub(super) fn is_empty(&self) -> bool {
        !self.truth()
    }

    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// `reflect.DeepEqual`, bounded so cyclic or exponentially shared values cannot hang it.
pub(super) fn deep_equal(a: &Value, b: &Value, budget: &mut u64) -> Result<bool, Fail> {
    deep_equal_depth(a, b, budget, 0)
}

fn deep_equal_depth(a: &Value, b: &Value, budget: &mut u64, depth: usize) -> Result<bool, Fail> {
    if depth > MAX_VALUE_DEPTH {
        return Err(Fail::limit("value nesting depth", MAX_VALUE_DEPTH));
    }
    if *budget == 0 {
        return Err(Fail::limit(
            "execution steps",
            super::exec::MAX_STEPS as usize,
        ));
    }
    *budget -= 1;
    Ok(match (a, b) {
        (Value::Missing | Value::Nil, Value::Missing | Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            if Rc::ptr_eq(x, y) {
                return Ok(true);
            }
            if x.len() != y.len() {
                return Ok(false);
            }
            for (p, q) in x.iter().zip(y.iter()) {
                if !deep_equal_depth(p, q, budget, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        }
        (Value::Map(x), Value::Map(y)) => {
            if Rc::ptr_eq(x, y) {
                return Ok(true);
            }
            let (x, y) = (borrow(x)?, borrow(y)?);
            if x.len() != y.len() {
                return Ok(false);
            }
            for ((k1, v1), (k2, v2)) in x.iter().zip(y.iter()) {
                if k1 != k2 || !deep_equal_depth(v1, v2, budget, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        }
        _ => false,
    })
}

/// Borrows a map, turning the (only theoretically possible) re-entrant borrow into an error
/// instead of a panic.
pub(super) fn borrow(m: &MapRef) -> Result<std::cell::Ref<'_, BTreeMap<String, Value>>, Fail> {
    m.try_borrow()
        .map_err(|_| Fail::msg("concurrent map access"))
}

pub(super) fn borrow_mut(
    m: &MapRef,
) -> Result<std::cell::RefMut<'_, BTreeMap<String, Value>>, Fail> {
    m.try_borrow_mut()
        .map_err(|_| Fail::msg("concurrent map writes"))
}

/// An output buffer with a hard size cap, so no template can build an unbounded string.
pub(super) struct Buf {
    pub s: String,
    cap: usize,
}

impl Buf {
    pub(super) fn new(cap: usize) -> Buf {
        Buf {
            s: String::new(),
            cap,
        }
    }

    pub(super) fn push_str(&mut self, x: &str) -> Result<(), Fail> {
        if self.s.len() + x.len() > self.cap {
            return Err(Fail::limit("output size in bytes", self.cap));
        }
        self.s.push_str(x);
        Ok(())
    }

    pub(super) fn push(&mut self, c: char) -> Result<(), Fail> {
        let mut tmp = [0u8; 4];
        self.push_str(c.encode_utf8(&mut tmp))
    }
}

/// Go's `fmt` `%v` of a value, written into a capped buffer.
pub(super) fn write_v(out: &mut Buf, v: &Value) -> Result<(), Fail> {
    write_v_depth(out, v, 0)
}

fn write_v_depth(out: &mut Buf, v: &Value, depth: usize) -> Result<(), Fail> {
    if depth > MAX_VALUE_DEPTH {
        return Err(Fail::limit("value nesting depth", MAX_VALUE_DEPTH));
    }
    match v {
        Value::Missing => out.push_str("<invalid reflect.Value>"),
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&format_float_g(*f)),
        Value::Str(s) => out.push_str(s),
        Value::List(l) => {
            out.push('[')?;
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ')?;
                }
                write_v_depth(out, x, depth + 1)?;
            }
            out.push(']')
        }
        Value::Map(m) => {
            out.push_str("map[")?;
            let m = borrow(m)?;
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ')?;
                }
                out.push_str(k)?;
                out.push(':')?;
                write_v_depth(out, x, depth + 1)?;
            }
            out.push(']')
        }
    }
}

/// `%v` of a value as a string, capped at `cap` bytes.
pub(super) fn sprint_v(v: &Value, cap: usize) -> Result<String, Fail> {
    let mut b = Buf::new(cap);
    write_v(&mut b, v)?;
    Ok(b.s)
}

/// Shortest decimal digits and exponent of a finite, non-zero `f`: value = 0.d1d2... × 10^exp
/// expressed as (digits, decimal-point position) like Go's `decimalSlice`.
fn shortest_digits(f: f64) -> (String, i32) {
    // Rust's `{:e}` prints the shortest round-trip digits, the same digits Go's `-1`
    // precision selects.
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    (digits, exp + 1)
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`, which is also `fmt`'s `%v` for float64: the shortest
/// digits, in exponent form when the decimal exponent is below -4 or at least 6 (Go fixes the
/// switch-over precision at 6 for shortest formatting, so 1000000.0 prints as `1e+06`).
pub(super) fn format_float_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let (digits, dp) = shortest_digits(f);
    let exp = dp - 1;
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        out.push_str(&exp_form(&digits, exp, false));
    } else {
        out.push_str(&fixed_from_digits(&digits, dp));
    }
    out
}

/// `d.ddde±XX` from shortest digits. Go prints at least two exponent digits; `encoding/json`
/// then shortens negative ones (`e-07` to `e-7`), which `json_style` selects.
fn exp_form(digits: &str, exp: i32, json_style: bool) -> String {
    let mut out = String::new();
    let mut chars = digits.chars();
    if let Some(first) = chars.next() {
        out.push(first);
    }
    let rest: String = chars.collect();
    if !rest.is_empty() {
        out.push('.');
        out.push_str(&rest);
    }
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    if json_style && exp < 0 {
        let _ = write!(out, "{}", exp.abs());
    } else {
        let _ = write!(out, "{:02}", exp.abs());
    }
    out
}

/// Places the decimal point `dp` digits into `digits` (no exponent), Go's `%f` with shortest
/// precision.
fn fixed_from_digits(digits: &str, dp: i32) -> String {
    let mut out = String::new();
    let n = digits.len() as i32;
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(digits);
    } else if dp >= n {
        out.push_str(digits);
        for _ in 0..(dp - n) {
            out.push('0');
        }
    } else {
        let (a, b) = digits.split_at(dp as usize);
        out.push_str(a);
        out.push('.');
        out.push_str(b);
    }
    out
}

/// `encoding/json`'s float64 encoding: shortest digits in plain form, switching to exponent
/// form below 1e-6 or from 1e21. NaN and infinities are unsupported (`None`), as in Go.
pub(super) fn format_float_json(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    if f == 0.0 {
        return Some(if f.is_sign_negative() { "-0" } else { "0" }.to_owned());
    }
    let (digits, dp) = shortest_digits(f);
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    if (1e-6..1e21).contains(&f.abs()) {
        out.push_str(&fixed_from_digits(&digits, dp));
    } else {
        out.push_str(&exp_form(&digits, dp - 1, true));
    }
    Some(out)
}

/// Go's `strconv.Quote`: a double-quoted Go string literal with Go escapes.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Approximates Go's `strconv.IsPrint` (letters, marks, numbers, punctuation, symbols and the
/// ASCII space) for non-ASCII runes.
fn is_go_printable(c: char) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_control();
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c as u32, 0xAD | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB)
        || (0xE000..=0xF8FF).contains(&(c as u32))
        || (0xF0000..).contains(&(c as u32)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go_fmt_v() {
        // fmt: %v for float64 is %g with the shortest representation (exponent from 1e6).
        assert_eq!(format_float_g(3.0), "3");
        assert_eq!(format_float_g(1.5), "1.5");
        assert_eq!(format_float_g(123456.0), "123456");
        assert_eq!(format_float_g(1_000_000.0), "1e+06");
        assert_eq!(format_float_g(1_234_567.0), "1.234567e+06");
        assert_eq!(format_float_g(0.0001), "0.0001");
        assert_eq!(format_float_g(0.00001), "1e-05");
        assert_eq!(format_float_g(-2.25), "-2.25");
    }

    #[test]
    fn floats_encode_like_go_json() {
        assert_eq!(format_float_json(1_000_000.0).as_deref(), Some("1000000"));
        assert_eq!(format_float_json(1.5).as_deref(), Some("1.5"));
        assert_eq!(format_float_json(1e21).as_deref(), Some("1e+21"));
        assert_eq!(format_float_json(1e-7).as_deref(), Some("1e-7"));
        assert_eq!(format_float_json(f64::NAN), None);
    }

    #[test]
    fn quote_like_strconv() {
        assert_eq!(go_quote("a\"b\n"), "\"a\\\"b\\n\"");
        assert_eq!(go_quote("é"), "\"é\"");
        assert_eq!(go_quote("\u{1}"), "\"\\x01\"");
    }
}
