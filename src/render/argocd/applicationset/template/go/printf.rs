//! Go's `fmt.Sprint`, `fmt.Sprintln` and `fmt.Sprintf` over template values.
//!
//! Templates reach these through `print`, `println`, `printf` and several Sprig functions
//! (`cat`, `quote`, `toString`). The verb set covers what ApplicationSets use (`%v %s %d %q %t
//! %f %e %g %x %X %o %b %c %T %%`, flags, width and precision) and reproduces Go's in-band
//! error markers such as `%!d(string=abc)` and `%!s(MISSING)`, because Go reports misuse in the
//! output rather than as an error.

use std::fmt::Write as _;

use super::Fail;
use super::value::{Buf, Value, borrow, format_float_g, go_quote, write_v};

/// `fmt.Sprint`: operands separated by a space when neither side is a string.
pub(super) fn sprint(args: &[Value], cap: usize) -> Result<String, Fail> {
    let mut out = Buf::new(cap);
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::Str(_));
        if i > 0 && !is_string && !prev_string {
            out.push(' ')?;
        }
        write_v(&mut out, &a.clone().into_arg())?;
        prev_string = is_string;
    }
    Ok(out.s)
}

/// `fmt.Sprintln`: operands always separated by spaces, newline appended.
pub(super) fn sprintln(args: &[Value], cap: usize) -> Result<String, Fail> {
    let mut out = Buf::new(cap);
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ')?;
        }
        write_v(&mut out, &a.clone().into_arg())?;
    }
    out.push('\n')?;
    Ok(out.s)
}

#[derive(Default, Clone, Copy)]
struct Spec {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Bounds width/precision so `%999999999d` cannot allocate without limit.
/// Widths and precisions are capped: Rust's formatter refuses more than 65,535, and float
/// formatting asserts far below that; no template needs more than this.
const MAX_PAD: usize = 1000;

/// `fmt.Sprintf`.
pub(super) fn sprintf(format: &str, args: &[Value], cap: usize) -> Result<String, Fail> {
    let mut out = Buf::new(cap);
    let mut argi = 0usize;
    let mut chars = format.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '%' {
            out.push(c)?;
            continue;
        }
        let mut spec = Spec::default();
        // Flags.
        while let Some(&(_, fc)) = chars.peek() {
            match fc {
                '+' => spec.plus = true,
                '-' => spec.minus = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                _ => break,
            }
            chars.next();
        }
        // Width.
        spec.width = read_num(&mut chars, args, &mut argi);
        // Precision.
        if let Some(&(_, '.')) = chars.peek() {
            chars.next();
            spec.prec = Some(read_num(&mut chars, args, &mut argi).unwrap_or(0));
        }
        let Some((_, verb)) = chars.next() else {
            out.push_str("%!(NOVERB)")?;
            break;
        };
        if verb == '%' {
            out.push('%')?;
            continue;
        }
        let Some(a) = args.get(argi) else {
            out.push_str(&format!("%!{verb}(MISSING)"))?;
            continue;
        };
        argi += 1;
        let a = a.clone().into_arg();
        let s = format_one(&a, verb, &spec, cap)?;
        out.push_str(&s)?;
    }
    if argi < args.len() {
        out.push_str("%!(EXTRA ")?;
        for (i, a) in args.iter().enumerate().skip(argi) {
            if i > argi {
                out.push_str(", ")?;
            }
            let a = a.clone().into_arg();
            out.push_str(a.type_name())?;
            out.push('=')?;
            write_v(&mut out, &a)?;
        }
        out.push(')')?;
    }
    Ok(out.s)
}

fn read_num(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    args: &[Value],
    argi: &mut usize,
) -> Option<usize> {
    if let Some(&(_, '*')) = chars.peek() {
        chars.next();
        let n = match args.get(*argi) {
            Some(Value::Int(i) | Value::Int64(i)) => Some((*i).unsigned_abs() as usize),
            _ => None,
        };
        *argi += 1;
        return n.map(|n| n.min(MAX_PAD));
    }
    let mut n: Option<usize> = None;
    while let Some(&(_, d)) = chars.peek() {
        let Some(dv) = d.to_digit(10) else { break };
        n = Some((n.unwrap_or(0).saturating_mul(10) + dv as usize).min(MAX_PAD));
        chars.next();
    }
    n
}

/// `%!verb(type=value)`: Go's marker for a verb that does not fit the operand.
fn bad_verb(v: &Value, verb: char, cap: usize) -> Result<String, Fail> {
    if v.is_nilish() {
        return Ok(format!("%!{verb}(<nil>)"));
    }
    let mut b = Buf::new(cap);
    write_v(&mut b, v)?;
    Ok(format!("%!{verb}({}={})", v.type_name(), b.s))
}

fn pad(s: String, spec: &Spec, numeric: bool) -> String {
    let Some(w) = spec.width else { return s };
    let len = s.chars().count();
    if len >= w {
        return s;
    }
    let fill = w - len;
    if spec.minus {
        return s + &" ".repeat(fill);
    }
    if spec.zero && numeric {
        // Zero padding goes after the sign.
        let (sign, digits) = match s.strip_prefix(['-', '+', ' ']) {
            Some(rest) => (s.get(..1).unwrap_or(""), rest),
            None => ("", s.as_str()),
        };
        return format!("{sign}{}{digits}", "0".repeat(fill));
    }
    " ".repeat(fill) + &s
}

fn format_one(v: &Value, verb: char, spec: &Spec, cap: usize) -> Result<String, Fail> {
    match v {
        Value::List(l) if verb != 'v' && verb != 'T' => {
            // Verbs apply element-wise to slices.
            let mut s = String::from("[");
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    s.push(' ');
                }
                s.push_str(&format_elem(x, verb, spec, cap)?);
                if s.len() > cap {
                    return Err(Fail::limit("output size in bytes", cap));
                }
            }
            s.push(']');
            return Ok(s);
        }
        Value::Map(m) if verb != 'v' && verb != 'T' => {
            let m = borrow(m)?;
            let mut s = String::from("map[");
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    s.push(' ');
                }
                s.push_str(&format_one(&Value::str(k.as_str()), verb, spec, cap)?);
                s.push(':');
                s.push_str(&format_elem(x, verb, spec, cap)?);
                if s.len() > cap {
                    return Err(Fail::limit("output size in bytes", cap));
                }
            }
            s.push(']');
            return Ok(s);
        }
        _ => {}
    }
    if verb == 'v' && spec.sharp {
        return Ok(pad(go_syntax(v, cap, 0)?, spec, false));
    }
    let body = match verb {
        'v' => {
            let mut b = Buf::new(cap);
            write_v(&mut b, v)?;
            match v {
                Value::Float(_) | Value::Int(_) | Value::Int64(_) => {
                    return Ok(pad(sign_flags(b.s, spec), spec, true));
                }
                _ => b.s,
            }
        }
        'T' => v.type_name().to_owned(),
        's' => match v {
            Value::Str(s) => truncate_prec(s, spec),
            _ => return bad_verb(v, verb, cap),
        },
        'q' => match v {
            Value::Str(s) => go_quote(&truncate_prec(s, spec)),
            Value::Int(i) | Value::Int64(i) => {
                match u32::try_from(*i).ok().and_then(char::from_u32) {
                    Some(c) => format!("'{}'", quote_rune(c)),
                    None => "'\u{fffd}'".to_owned(),
                }
            }
            _ => return bad_verb(v, verb, cap),
        },
        't' => match v {
            Value::Bool(b) => b.to_string(),
            _ => return bad_verb(v, verb, cap),
        },
        'd' | 'b' | 'o' | 'O' | 'c' | 'U' => match v {
            Value::Int(i) | Value::Int64(i) => {
                let s = format_int(*i, verb, spec);
                return Ok(pad(s, spec, verb != 'c'));
            }
            _ => return bad_verb(v, verb, cap),
        },
        'x' | 'X' => match v {
            Value::Int(i) | Value::Int64(i) => {
                let s = format_int(*i, verb, spec);
                return Ok(pad(s, spec, true));
            }
            Value::Str(s) => {
                let mut h = String::new();
                for (i, b) in s.bytes().enumerate() {
                    if spec.space && i > 0 {
                        h.push(' ');
                    }
                    if spec.sharp && (spec.space || i == 0) {
                        h.push_str(if verb == 'x' { "0x" } else { "0X" });
                    }
                    if verb == 'x' {
                        let _ = write!(h, "{b:02x}");
                    } else {
                        let _ = write!(h, "{b:02X}");
                    }
                }
                h
            }
            _ => return bad_verb(v, verb, cap),
        },
        'f' | 'F' | 'e' | 'E' | 'g' | 'G' => match v {
            Value::Float(x) => {
                let s = format_float(*x, verb, spec.prec);
                return Ok(pad(sign_flags(s, spec), spec, true));
            }
            _ => return bad_verb(v, verb, cap),
        },
        _ => return bad_verb(v, verb, cap),
    };
    Ok(pad(body, spec, false))
}

/// `%#v`: a Go-syntax representation of the value.
fn go_syntax(v: &Value, cap: usize, depth: usize) -> Result<String, Fail> {
    if depth > super::value::MAX_VALUE_DEPTH {
        return Err(Fail::limit(
            "value nesting depth",
            super::value::MAX_VALUE_DEPTH,
        ));
    }
    Ok(match v {
        Value::Missing | Value::Nil if depth == 0 => "<nil>".to_owned(),
        Value::Missing | Value::Nil => "interface {}(nil)".to_owned(),
        Value::Str(s) => go_quote(s),
        Value::List(l) => {
            let mut parts = Vec::with_capacity(l.len());
            for x in l.iter() {
                parts.push(go_syntax(x, cap, depth + 1)?);
            }
            format!("[]interface {{}}{{{}}}", parts.join(", "))
        }
        Value::Map(m) => {
            let m = borrow(m)?;
            let mut parts = Vec::with_capacity(m.len());
            for (k, x) in m.iter() {
                parts.push(format!("{}:{}", go_quote(k), go_syntax(x, cap, depth + 1)?));
            }
            format!("map[string]interface {{}}{{{}}}", parts.join(", "))
        }
        other => {
            let mut b = Buf::new(cap);
            write_v(&mut b, other)?;
            b.s
        }
    })
}

/// An element inside a slice or map: Go prints a nil element as `<nil>` whatever the verb.
fn format_elem(v: &Value, verb: char, spec: &Spec, cap: usize) -> Result<String, Fail> {
    if v.is_nilish() {
        return Ok("<nil>".to_owned());
    }
    format_one(v, verb, spec, cap)
}

fn truncate_prec(s: &str, spec: &Spec) -> String {
    match spec.prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_owned(),
    }
}

fn quote_rune(c: char) -> String {
    match c {
        '\'' => "\\'".to_owned(),
        '"' => "\"".to_owned(),
        c => {
            let q = go_quote(&c.to_string());
            q.get(1..q.len().saturating_sub(1)).unwrap_or("").to_owned()
        }
    }
}

fn sign_flags(s: String, spec: &Spec) -> String {
    if s.starts_with('-') {
        return s;
    }
    if spec.plus {
        return format!("+{s}");
    }
    if spec.space {
        return format!(" {s}");
    }
    s
}

fn format_int(i: i64, verb: char, spec: &Spec) -> String {
    let neg = i < 0;
    let mag = i.unsigned_abs();
    let mut digits = match verb {
        'b' => format!("{mag:b}"),
        'o' | 'O' => format!("{mag:o}"),
        'x' => format!("{mag:x}"),
        'X' => format!("{mag:X}"),
        'c' => {
            return u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{fffd}')
                .to_string();
        }
        'U' => {
            return format!("U+{mag:04X}");
        }
        _ => mag.to_string(),
    };
    if let Some(p) = spec.prec
        && digits.len() < p
    {
        digits = "0".repeat(p - digits.len()) + &digits;
    }
    let prefix = match verb {
        'x' if spec.sharp => "0x",
        'X' if spec.sharp => "0X",
        'o' if spec.sharp => "0",
        'O' => "0o",
        'b' if spec.sharp => "0b",
        _ => "",
    };
    let sign = if neg {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    format!("{sign}{prefix}{digits}")
}

/// Go's `%e`/`%f`/`%g` for a float with optional precision.
fn format_float(x: f64, verb: char, prec: Option<usize>) -> String {
    let prec = prec.map(|p| p.min(MAX_PAD));
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    match verb {
        'f' | 'F' => format!("{:.*}", prec.unwrap_or(6), x),
        'e' | 'E' => {
            let s = go_exp(&format!("{:.*e}", prec.unwrap_or(6), x));
            if verb == 'E' { s.to_uppercase() } else { s }
        }
        _ => {
            let s = match prec {
                None => format_float_g(x),
                Some(p) => {
                    let p = p.max(1);
                    let e = format!("{:.*e}", p - 1, x);
                    let exp: i32 = e
                        .split_once('e')
                        .and_then(|(_, e)| e.parse().ok())
                        .unwrap_or(0);
                    if exp < -4 || exp >= p as i32 {
                        go_exp(&trim_frac_zeros_exp(&e))
                    } else {
                        let decimals = (p as i32 - 1 - exp).max(0) as usize;
                        trim_frac_zeros(&format!("{x:.decimals$}"))
                    }
                }
            };
            if verb == 'G' { s.to_uppercase() } else { s }
        }
    }
}

/// Rust writes `1.5e3`; Go writes `1.5e+03`.
fn go_exp(s: &str) -> String {
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            let n: u32 = digits.parse().unwrap_or(0);
            format!("{m}e{sign}{n:02}")
        }
        None => s.to_owned(),
    }
}

fn trim_frac_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s.to_owned()
    }
}

fn trim_frac_zeros_exp(s: &str) -> String {
    match s.split_once('e') {
        Some((m, e)) => format!("{}e{e}", trim_frac_zeros(m)),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod huge_precision_tests {
    use super::*;

    #[test]
    fn huge_precision_does_not_panic() {
        for verb in ['f', 'e', 'g'] {
            let s = format_float(1.0, verb, Some(70_000));
            assert!(s.len() <= MAX_PAD + 16, "{verb}: {}", s.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    #[test]
    fn sprintf_common_verbs() {
        // fmt docs: verbs and the %!verb(type=value) error convention.
        let f = |fmt: &str, args: &[Value]| sprintf(fmt, args, 1 << 20).unwrap_or_default();
        assert_eq!(f("%s-%s", &[s("a"), s("b")]), "a-b");
        assert_eq!(f("%d", &[Value::Int(42)]), "42");
        assert_eq!(f("%05d", &[Value::Int(-42)]), "-0042");
        assert_eq!(f("%d", &[s("x")]), "%!d(string=x)");
        assert_eq!(f("%d", &[Value::Float(3.0)]), "%!d(float64=3)");
        assert_eq!(f("%s", &[]), "%!s(MISSING)");
        assert_eq!(f("%q", &[s("a\"b")]), "\"a\\\"b\"");
        assert_eq!(f("%v", &[Value::Nil]), "<nil>");
        assert_eq!(f("%.2f", &[Value::Float(1.23456)]), "1.23");
        assert_eq!(f("%e", &[Value::Float(1500.0)]), "1.500000e+03");
        assert_eq!(f("%5s|%-5s|", &[s("ab"), s("cd")]), "   ab|cd   |");
        assert_eq!(f("%x", &[Value::Int(255)]), "ff");
        assert_eq!(f("a", &[s("x")]), "a%!(EXTRA string=x)");
        assert_eq!(f("100%%", &[]), "100%");
        assert_eq!(f("%s", &[Value::list(vec![s("a"), s("b")])]), "[a b]");
    }

    #[test]
    fn sprint_spacing() {
        // fmt.Sprint adds spaces between operands when neither is a string.
        let r = sprint(
            &[Value::Int(1), Value::Int(2), s("x"), Value::Int(3)],
            1 << 20,
        );
        assert_eq!(r.ok().as_deref(), Some("1 2x3"));
    }
}
