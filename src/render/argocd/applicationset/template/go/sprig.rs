//! Sprig v3 functions and Argo CD's additions (`normalize`, `slugify`, `toYaml`), with Go
//! semantics: argument orders that suit pipelines (`"x" | trimPrefix "a"`), `spf13/cast`
//! conversions for arithmetic, Go string indexing by bytes, Sprig's quirks (`get` returns ""
//! for a missing key, `b64dec` returns the error text, `regexMatch` is false for a bad pattern,
//! `merge` keeps destination values). Where Sprig would panic, this returns an error, which is
//! also what Go's template engine turns such panics into.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::Fail;
use super::encode;
use super::exec::{Ctx, MAX_OUTPUT};
use super::funcs::arg;
use super::parse::parse_go_int;
use super::value::{
    MAX_VALUE_DEPTH, MapRef, Value, borrow, borrow_mut, deep_equal, go_quote, sprint_v,
};

/// Largest list a function may build.
const MAX_LIST: usize = 100_000;

fn limit_str(s: String) -> Result<Value, Fail> {
    if s.len() > MAX_OUTPUT {
        return Err(Fail::limit("output size in bytes", MAX_OUTPUT));
    }
    Ok(Value::str(s))
}

fn limit_list(v: Vec<Value>) -> Result<Value, Fail> {
    if v.len() > MAX_LIST {
        return Err(Fail::limit("list length", MAX_LIST));
    }
    Ok(Value::list(v))
}

/// A `string` parameter (already type-checked by the executor).
fn s_arg(args: &[Value], i: usize) -> Rc<str> {
    match args.get(i) {
        Some(Value::Str(s)) => Rc::clone(s),
        _ => Rc::from(""),
    }
}

/// An `int` parameter.
fn i_arg(args: &[Value], i: usize) -> i64 {
    match args.get(i) {
        Some(Value::Int(n) | Value::Int64(n)) => *n,
        _ => 0,
    }
}

/// A `map[string]interface{}` parameter; `None` is a nil map.
fn m_arg(args: &[Value], i: usize) -> Option<MapRef> {
    match args.get(i) {
        Some(Value::Map(m)) => Some(Rc::clone(m)),
        _ => None,
    }
}

/// Sprig's `strval`: strings as-is, everything else through `%v`.
pub(super) fn strval(v: &Value) -> Result<String, Fail> {
    match v {
        Value::Str(s) => Ok(s.to_string()),
        Value::Missing | Value::Nil => Ok("<nil>".to_owned()),
        other => sprint_v(other, MAX_OUTPUT),
    }
}

/// `spf13/cast`'s `trimZeroDecimal`: "3.00" parses as an integer, "3.5" does not.
fn trim_zero_decimal(s: &str) -> &str {
    let b = s.as_bytes();
    let mut found_zero = false;
    let mut i = b.len();
    while i > 0 {
        match b[i - 1] {
            b'.' => {
                if found_zero {
                    return s.get(..i - 1).unwrap_or(s);
                }
            }
            b'0' => found_zero = true,
            _ => return s,
        }
        i -= 1;
    }
    s
}

/// `cast.ToInt64` (errors become 0, as Sprig ignores them).
pub(super) fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Float(f) => {
            if f.is_nan() {
                i64::MIN
            } else {
                *f as i64
            }
        }
        Value::Str(s) => parse_go_int(trim_zero_decimal(s)).unwrap_or(0),
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

/// `cast.ToFloat64`.
fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Str(s) => s
            .parse::<f64>()
            .ok()
            .filter(|_| go_float_syntax(s))
            .unwrap_or(0.0),
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => 0.0,
    }
}

fn go_float_syntax(s: &str) -> bool {
    let b = s.trim_start_matches(['+', '-']);
    !b.is_empty()
        && (b
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
            || matches!(b.to_ascii_lowercase().as_str(), "inf" | "infinity" | "nan"))
}

/// Sprig list functions accept any slice; on anything else they fail like Go's reflection.
fn as_list<'a>(v: &'a Value, what: &str) -> Result<&'a Rc<Vec<Value>>, Fail> {
    match v {
        Value::List(l) => Ok(l),
        Value::Missing | Value::Nil => Err(Fail::msg(
            "runtime error: invalid memory address or nil pointer dereference",
        )),
        other => Err(Fail::msg(format!(
            "Cannot {what} on type {}",
            other.kind_name()
        ))),
    }
}

/// Sprig's `strslice`: a list of strings from any slice (nil elements dropped) or one value.
fn strslice(v: &Value) -> Result<Vec<String>, Fail> {
    match v {
        Value::List(l) => l.iter().filter(|x| !x.is_nilish()).map(strval).collect(),
        Value::Missing | Value::Nil => Ok(Vec::new()),
        other => Ok(vec![strval(other)?]),
    }
}

fn map_value(m: BTreeMap<String, Value>) -> Value {
    Value::Map(Rc::new(RefCell::new(m)))
}

pub(super) fn call(name: &str, args: Vec<Value>, ctx: &mut Ctx<'_>) -> Result<Value, Fail> {
    let a0 = arg(&args, 0);
    match name {
        "hello" => Ok(Value::str("Hello!")),

        // ----- Argo CD additions
        "normalize" => Ok(Value::str(sanitize_name(&s_arg(&args, 0)))),
        "slugify" => slugify(&args),
        "toYaml" => Ok(Value::str(encode::to_yaml(&a0, MAX_OUTPUT)?)),

        // ----- strings
        "trunc" => {
            let (c, s) = (i_arg(&args, 0), s_arg(&args, 1));
            let len = s.len() as i64;
            let out = if c < 0 && len + c > 0 {
                byte_slice(&s, (len + c) as usize, s.len())
            } else if c >= 0 && len > c {
                byte_slice(&s, 0, c as usize)
            } else {
                s.to_string()
            };
            Ok(Value::str(out))
        }
        "trim" => Ok(Value::str(s_arg(&args, 0).trim())),
        "upper" => Ok(Value::str(map_chars(&s_arg(&args, 0), upper_char))),
        "lower" => Ok(Value::str(map_chars(&s_arg(&args, 0), lower_char))),
        "title" => Ok(Value::str(title(&s_arg(&args, 0)))),
        "untitle" => Ok(Value::str(untitle(&s_arg(&args, 0)))),
        "substr" => substr(i_arg(&args, 0), i_arg(&args, 1), &s_arg(&args, 2)),
        "repeat" => {
            let (n, s) = (i_arg(&args, 0), s_arg(&args, 1));
            if n < 0 {
                return Err(Fail::msg("strings: negative Repeat count"));
            }
            let total = (s.len() as u64).saturating_mul(n as u64);
            if total > MAX_OUTPUT as u64 {
                return Err(Fail::limit("output size in bytes", MAX_OUTPUT));
            }
            ctx.charge(total / 64)?;
            Ok(Value::str(s.repeat(n as usize)))
        }
        "trimall" | "trimAll" => {
            let cut = s_arg(&args, 0);
            Ok(Value::str(
                s_arg(&args, 1).trim_matches(|c| cut.contains(c)),
            ))
        }
        "trimSuffix" => {
            let (suf, s) = (s_arg(&args, 0), s_arg(&args, 1));
            Ok(Value::str(s.strip_suffix(&*suf).unwrap_or(&s)))
        }
        "trimPrefix" => {
            let (pre, s) = (s_arg(&args, 0), s_arg(&args, 1));
            Ok(Value::str(s.strip_prefix(&*pre).unwrap_or(&s)))
        }
        "nospace" => Ok(Value::str(
            s_arg(&args, 0)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>(),
        )),
        "initials" => Ok(Value::str(
            s_arg(&args, 0)
                .split_whitespace()
                .filter_map(|w| w.chars().next())
                .collect::<String>(),
        )),
        "swapcase" => Ok(Value::str(
            s_arg(&args, 0)
                .chars()
                .map(|c| {
                    if c.is_uppercase() {
                        lower_char(c)
                    } else if c.is_lowercase() {
                        upper_char(c)
                    } else {
                        c
                    }
                })
                .collect::<String>(),
        )),
        "snakecase" => Ok(Value::str(words_joined(&s_arg(&args, 0), '_'))),
        "kebabcase" => Ok(Value::str(words_joined(&s_arg(&args, 0), '-'))),
        "camelcase" => Ok(Value::str(camelcase(&s_arg(&args, 0)))),
        "abbrev" => {
            let (w, s) = (i_arg(&args, 0), s_arg(&args, 1));
            if w < 4 || s.chars().count() as i64 <= w {
                return Ok(Value::Str(s));
            }
            let keep: String = s.chars().take((w - 3) as usize).collect();
            Ok(Value::str(keep + "..."))
        }
        "contains" => Ok(Value::Bool(s_arg(&args, 1).contains(&*s_arg(&args, 0)))),
        "hasPrefix" => Ok(Value::Bool(s_arg(&args, 1).starts_with(&*s_arg(&args, 0)))),
        "hasSuffix" => Ok(Value::Bool(s_arg(&args, 1).ends_with(&*s_arg(&args, 0)))),
        "quote" => {
            let parts: Result<Vec<String>, Fail> = args
                .iter()
                .filter(|v| !v.is_nilish())
                .map(|v| strval(v).map(|s| go_quote(&s)))
                .collect();
            limit_str(parts?.join(" "))
        }
        "squote" => {
            let parts: Result<Vec<String>, Fail> = args
                .iter()
                .filter(|v| !v.is_nilish())
                .map(|v| sprint_v(v, MAX_OUTPUT).map(|s| format!("'{s}'")))
                .collect();
            limit_str(parts?.join(" "))
        }
        "cat" => {
            let parts: Result<Vec<String>, Fail> = args
                .iter()
                .filter(|v| !v.is_nilish())
                .map(|v| sprint_v(v, MAX_OUTPUT))
                .collect();
            limit_str(parts?.join(" "))
        }
        "indent" | "nindent" => {
            let (n, s) = (i_arg(&args, 0), s_arg(&args, 1));
            if n < 0 {
                return Err(Fail::msg("strings: negative Repeat count"));
            }
            let pad = " ".repeat(n.min(MAX_OUTPUT as i64) as usize);
            let lines = s.matches('\n').count() as u64 + 1;
            if (pad.len() as u64).saturating_mul(lines) + s.len() as u64 > MAX_OUTPUT as u64 {
                return Err(Fail::limit("output size in bytes", MAX_OUTPUT));
            }
            let body = format!("{pad}{}", s.replace('\n', &format!("\n{pad}")));
            limit_str(if name == "nindent" {
                format!("\n{body}")
            } else {
                body
            })
        }
        "replace" => {
            let (old, new, src) = (s_arg(&args, 0), s_arg(&args, 1), s_arg(&args, 2));
            go_replace(&src, &old, &new)
        }
        "plural" => Ok(if i_arg(&args, 2) == 1 {
            Value::Str(s_arg(&args, 0))
        } else {
            Value::Str(s_arg(&args, 1))
        }),
        "sha1sum" => Ok(Value::str(encode::sha1_hex(s_arg(&args, 0).as_bytes()))),
        "sha256sum" => Ok(Value::str(encode::sha256_hex(s_arg(&args, 0).as_bytes()))),
        "adler32sum" => Ok(Value::str(
            encode::adler32(s_arg(&args, 0).as_bytes()).to_string(),
        )),
        "toString" => Ok(Value::str(strval(&a0)?)),
        "atoi" => Ok(Value::Int(atoi(&s_arg(&args, 0)))),
        "int64" => Ok(Value::Int64(to_int64(&a0))),
        "int" => Ok(Value::Int(to_int64(&a0))),
        "float64" => Ok(Value::Float(to_float64(&a0))),
        "toDecimal" => {
            let s = strval(&a0)?;
            Ok(Value::Int64(i64::from_str_radix(&s, 8).unwrap_or(0)))
        }
        "split" | "splitn" => {
            let (sep, orig, n) = if name == "split" {
                (s_arg(&args, 0), s_arg(&args, 1), -1)
            } else {
                (s_arg(&args, 0), s_arg(&args, 2), i_arg(&args, 1))
            };
            let parts = go_split(&orig, &sep, n)?;
            let m: BTreeMap<String, Value> = parts
                .into_iter()
                .enumerate()
                .map(|(i, p)| (format!("_{i}"), Value::str(p)))
                .collect();
            Ok(map_value(m))
        }
        "splitList" => {
            let parts = go_split(&s_arg(&args, 1), &s_arg(&args, 0), -1)?;
            limit_list(parts.into_iter().map(Value::str).collect())
        }
        "toStrings" => limit_list(strslice(&a0)?.into_iter().map(Value::str).collect()),
        "seq" => seq(&args),
        "until" => {
            let n = i_arg(&args, 0);
            until_step(0, n, if n < 0 { -1 } else { 1 })
        }
        "untilStep" => until_step(i_arg(&args, 0), i_arg(&args, 1), i_arg(&args, 2)),

        // ----- arithmetic (spf13/cast conversions, int64 results)
        "add1" => Ok(Value::Int64(to_int64(&a0).wrapping_add(1))),
        "add" => Ok(Value::Int64(
            args.iter()
                .fold(0i64, |acc, v| acc.wrapping_add(to_int64(v))),
        )),
        "sub" => Ok(Value::Int64(
            to_int64(&a0).wrapping_sub(to_int64(&arg(&args, 1))),
        )),
        "mul" => Ok(Value::Int64(
            args.iter()
                .skip(1)
                .fold(to_int64(&a0), |acc, v| acc.wrapping_mul(to_int64(v))),
        )),
        "div" | "mod" => {
            let (x, y) = (to_int64(&a0), to_int64(&arg(&args, 1)));
            if y == 0 {
                return Err(Fail::msg("runtime error: integer divide by zero"));
            }
            Ok(Value::Int64(if name == "div" {
                x.wrapping_div(y)
            } else {
                x.wrapping_rem(y)
            }))
        }
        "biggest" | "max" => Ok(Value::Int64(
            args.iter().map(to_int64).fold(to_int64(&a0), i64::max),
        )),
        "min" => Ok(Value::Int64(
            args.iter().map(to_int64).fold(to_int64(&a0), i64::min),
        )),
        "maxf" => Ok(Value::Float(
            args.iter()
                .skip(1)
                .map(to_float64)
                .fold(to_float64(&a0), go_max),
        )),
        "minf" => Ok(Value::Float(
            args.iter()
                .skip(1)
                .map(to_float64)
                .fold(to_float64(&a0), go_min),
        )),
        "add1f" => Ok(Value::Float(decimal_op(&[a0, Value::Int(1)], '+'))),
        "addf" => {
            let mut all = vec![Value::Float(0.0)];
            all.extend(args.iter().cloned());
            Ok(Value::Float(decimal_op(&all, '+')))
        }
        "subf" => Ok(Value::Float(decimal_op(&args, '-'))),
        "mulf" => Ok(Value::Float(decimal_op(&args, '*'))),
        "divf" => {
            if args.iter().skip(1).any(|v| to_float64(v) == 0.0) {
                return Err(Fail::msg("decimal division by 0"));
            }
            Ok(Value::Float(decimal_op(&args, '/')))
        }
        "ceil" => Ok(Value::Float(to_float64(&a0).ceil())),
        "floor" => Ok(Value::Float(to_float64(&a0).floor())),
        "round" => {
            let val = to_float64(&a0);
            let places = i_arg(&args, 1) as f64;
            let round_on = match args.get(2) {
                Some(Value::Float(f)) => *f,
                _ => 0.5,
            };
            let pow = 10f64.powf(places);
            let digit = pow * val;
            let div = digit.fract();
            let r = if div >= round_on {
                digit.ceil()
            } else {
                digit.floor()
            };
            Ok(Value::Float(r / pow))
        }

        // ----- string slices
        "join" => {
            let parts = strslice(&arg(&args, 1))?;
            limit_str(parts.join(&*s_arg(&args, 0)))
        }
        "sortAlpha" => {
            let mut v = match &a0 {
                Value::List(_) => strslice(&a0)?,
                other => vec![strval(other)?],
            };
            v.sort();
            limit_list(v.into_iter().map(Value::str).collect())
        }

        // ----- defaults / flow
        "default" => {
            let given = args.get(1);
            match given {
                Some(g) if !g.is_empty() => Ok(g.clone()),
                _ => Ok(a0),
            }
        }
        "empty" => Ok(Value::Bool(a0.is_empty())),
        "coalesce" => Ok(args
            .iter()
            .find(|v| !v.is_empty())
            .cloned()
            .unwrap_or(Value::Nil)),
        "all" => Ok(Value::Bool(args.iter().all(|v| !v.is_empty()))),
        "any" => Ok(Value::Bool(args.iter().any(|v| !v.is_empty()))),
        "ternary" => Ok(if matches!(args.get(2), Some(Value::Bool(true))) {
            a0
        } else {
            arg(&args, 1)
        }),
        "fail" => Err(Fail::msg(s_arg(&args, 0).to_string())),

        // ----- JSON
        "fromJson" => Ok(encode::from_json(&s_arg(&args, 0)).unwrap_or(Value::Nil)),
        "mustFromJson" => encode::from_json(&s_arg(&args, 0)),
        "toJson" => Ok(Value::str(
            encode::to_json(&a0, true, false, MAX_OUTPUT).or_else(ignore_json_error)?,
        )),
        "toPrettyJson" => Ok(Value::str(
            encode::to_json(&a0, true, true, MAX_OUTPUT).or_else(ignore_json_error)?,
        )),
        "toRawJson" => Ok(Value::str(
            encode::to_json(&a0, false, false, MAX_OUTPUT).or_else(ignore_json_error)?,
        )),
        "mustToJson" => Ok(Value::str(encode::to_json(&a0, true, false, MAX_OUTPUT)?)),
        "mustToPrettyJson" => Ok(Value::str(encode::to_json(&a0, true, true, MAX_OUTPUT)?)),
        "mustToRawJson" => Ok(Value::str(encode::to_json(&a0, false, false, MAX_OUTPUT)?)),
        "deepCopy" | "mustDeepCopy" => deep_copy(&a0, ctx, 0),

        // ----- reflection
        "typeOf" => Ok(Value::str(a0.type_name())),
        "kindOf" => Ok(Value::str(a0.kind_name())),
        "typeIs" => Ok(Value::Bool(*s_arg(&args, 0) == *arg(&args, 1).type_name())),
        "typeIsLike" => {
            let (t, ty) = (s_arg(&args, 0), arg(&args, 1).type_name());
            Ok(Value::Bool(*t == *ty || format!("*{t}") == ty))
        }
        "kindIs" => Ok(Value::Bool(*s_arg(&args, 0) == *arg(&args, 1).kind_name())),
        "deepEqual" => {
            let mut budget = ctx.budget.steps;
            let r = deep_equal(&a0, &arg(&args, 1), &mut budget);
            ctx.budget.steps = budget;
            Ok(Value::Bool(r?))
        }

        // ----- paths (path and path/filepath behave alike on Linux)
        "base" | "osBase" => Ok(Value::str(path_base(&s_arg(&args, 0)))),
        "dir" | "osDir" => Ok(Value::str(path_dir(&s_arg(&args, 0)))),
        "clean" | "osClean" => Ok(Value::str(path_clean(&s_arg(&args, 0)))),
        "ext" | "osExt" => Ok(Value::str(path_ext(&s_arg(&args, 0)))),
        "isAbs" | "osIsAbs" => Ok(Value::Bool(s_arg(&args, 0).starts_with('/'))),

        // ----- encodings
        "b64enc" => limit_str(encode::b64_encode(s_arg(&args, 0).as_bytes())),
        "b64dec" => Ok(Value::str(match encode::b64_decode(&s_arg(&args, 0)) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => e,
        })),
        "b32enc" => limit_str(encode::b32_encode(s_arg(&args, 0).as_bytes())),
        "b32dec" => Ok(Value::str(match encode::b32_decode(&s_arg(&args, 0)) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => e,
        })),

        // ----- lists
        "list" | "tuple" => limit_list(args),
        "append" | "push" | "mustAppend" | "mustPush" => {
            let mut l = as_list(&a0, "push")?.to_vec();
            l.push(arg(&args, 1));
            ctx.charge(l.len() as u64)?;
            limit_list(l)
        }
        "prepend" | "mustPrepend" => {
            let l = as_list(&a0, "prepend")?;
            let mut out = Vec::with_capacity(l.len() + 1);
            out.push(arg(&args, 1));
            out.extend(l.iter().cloned());
            ctx.charge(out.len() as u64)?;
            limit_list(out)
        }
        "first" | "mustFirst" => Ok(as_list(&a0, "find first")?
            .first()
            .cloned()
            .unwrap_or(Value::Nil)),
        "last" | "mustLast" => Ok(as_list(&a0, "find last")?
            .last()
            .cloned()
            .unwrap_or(Value::Nil)),
        "rest" | "mustRest" => {
            let l = as_list(&a0, "find rest")?;
            Ok(Value::list(l.iter().skip(1).cloned().collect()))
        }
        "initial" | "mustInitial" => {
            let l = as_list(&a0, "find initial")?;
            let n = l.len().saturating_sub(1);
            Ok(Value::list(l.iter().take(n).cloned().collect()))
        }
        "reverse" | "mustReverse" => {
            let l = as_list(&a0, "find reverse")?;
            Ok(Value::list(l.iter().rev().cloned().collect()))
        }
        "compact" | "mustCompact" => {
            let l = as_list(&a0, "compact")?;
            Ok(Value::list(
                l.iter().filter(|v| !v.is_empty()).cloned().collect(),
            ))
        }
        "uniq" | "mustUniq" => {
            let l = as_list(&a0, "find uniq")?;
            let mut out: Vec<Value> = Vec::new();
            for item in l.iter() {
                if !in_list(&out, item, ctx)? {
                    out.push(item.clone());
                }
            }
            Ok(Value::list(out))
        }
        "without" | "mustWithout" => {
            let l = as_list(&a0, "find without")?;
            let omit = args.get(1..).unwrap_or(&[]);
            let mut out = Vec::new();
            for item in l.iter() {
                if !in_list(omit, item, ctx)? {
                    out.push(item.clone());
                }
            }
            Ok(Value::list(out))
        }
        "has" | "mustHas" => {
            let hay = arg(&args, 1);
            if hay.is_nilish() {
                return Ok(Value::Bool(false));
            }
            let l = as_list(&hay, "find has")?;
            Ok(Value::Bool(in_list(l, &a0, ctx)?))
        }
        "slice" | "mustSlice" => {
            let l = match &a0 {
                Value::List(l) => l,
                other => {
                    return Err(Fail::msg(format!(
                        "list should be type of slice or array but {}",
                        other.kind_name()
                    )));
                }
            };
            if l.is_empty() {
                return Ok(Value::Nil);
            }
            let start = args.get(1).map_or(0, to_int64);
            let end = args.get(2).map_or(l.len() as i64, to_int64);
            if start < 0 || end < start || end as u64 > l.len() as u64 {
                return Err(Fail::msg(format!(
                    "reflect: slice index out of range: [{start}:{end}] with capacity {}",
                    l.len()
                )));
            }
            Ok(Value::list(
                l.get(start as usize..end as usize).unwrap_or(&[]).to_vec(),
            ))
        }
        "concat" => {
            let mut out = Vec::new();
            for v in &args {
                match v {
                    Value::List(l) => {
                        ctx.charge(l.len() as u64)?;
                        out.extend(l.iter().cloned());
                        if out.len() > MAX_LIST {
                            return Err(Fail::limit("list length", MAX_LIST));
                        }
                    }
                    other => {
                        return Err(Fail::msg(format!(
                            "Cannot concat type {} as list",
                            other.kind_name()
                        )));
                    }
                }
            }
            Ok(Value::list(out))
        }
        "chunk" | "mustChunk" => {
            let size = i_arg(&args, 0);
            let l = as_list(&arg(&args, 1), "chunk")?.clone();
            if size <= 0 {
                return Err(Fail::msg("runtime error: integer divide by zero"));
            }
            Ok(Value::list(
                l.chunks(size as usize)
                    .map(|c| Value::list(c.to_vec()))
                    .collect(),
            ))
        }

        // ----- dictionaries
        "dict" => {
            let mut m = BTreeMap::new();
            let mut it = args.iter();
            while let Some(k) = it.next() {
                let key = strval(k)?;
                let val = it.next().cloned().unwrap_or_else(|| Value::str(""));
                m.insert(key, val);
            }
            Ok(map_value(m))
        }
        "get" => {
            let key = s_arg(&args, 1);
            Ok(match m_arg(&args, 0) {
                Some(m) => borrow(&m)?.get(&*key).cloned().unwrap_or(Value::str("")),
                None => Value::str(""),
            })
        }
        "set" => {
            let Some(m) = m_arg(&args, 0) else {
                return Err(Fail::msg("assignment to entry in nil map"));
            };
            let key = s_arg(&args, 1).to_string();
            let value = arg(&args, 2);
            if !borrow(&m)?.contains_key(&key) {
                ctx.budget.memory.charge_new_key(&key)?;
            }
            ctx.charge_value(&value)?;
            borrow_mut(&m)?.insert(key, value);
            Ok(Value::Map(m))
        }
        "unset" => match m_arg(&args, 0) {
            Some(m) => {
                borrow_mut(&m)?.remove(&*s_arg(&args, 1));
                Ok(Value::Map(m))
            }
            None => Ok(map_value(BTreeMap::new())),
        },
        "hasKey" => Ok(Value::Bool(match m_arg(&args, 0) {
            Some(m) => borrow(&m)?.contains_key(&*s_arg(&args, 1)),
            None => false,
        })),
        "pluck" => {
            let key = s_arg(&args, 0);
            let mut out = Vec::new();
            for d in args.iter().skip(1) {
                if let Value::Map(m) = d
                    && let Some(v) = borrow(m)?.get(&*key)
                {
                    out.push(v.clone());
                }
            }
            Ok(Value::list(out))
        }
        "keys" => {
            // Go's map order is random; sorted keys are one of the orders Argo CD can produce.
            let mut out = Vec::new();
            for d in &args {
                if let Value::Map(m) = d {
                    out.extend(borrow(m)?.keys().map(|k| Value::str(k.as_str())));
                }
            }
            limit_list(out)
        }
        "values" => {
            let out: Vec<Value> = match m_arg(&args, 0) {
                Some(m) => borrow(&m)?.values().cloned().collect(),
                None => Vec::new(),
            };
            Ok(Value::list(out))
        }
        "pick" | "omit" => {
            let names: Vec<String> = args
                .iter()
                .skip(1)
                .map(|v| v.as_str().unwrap_or("").to_owned())
                .collect();
            let src = match m_arg(&args, 0) {
                Some(m) => borrow(&m)?.clone(),
                None => BTreeMap::new(),
            };
            let keep = name == "pick";
            let out: BTreeMap<String, Value> = src
                .into_iter()
                .filter(|(k, _)| names.contains(k) == keep)
                .collect();
            Ok(map_value(out))
        }
        "merge" | "mustMerge" | "mergeOverwrite" | "mustMergeOverwrite" => {
            let overwrite = name.ends_with("Overwrite");
            let Some(dst) = m_arg(&args, 0) else {
                return Err(Fail::msg("src and dst must be of same type"));
            };
            for src in args.iter().skip(1) {
                if let Value::Map(src) = src {
                    merge_into(&dst, src, overwrite, ctx, 0)?;
                }
            }
            Ok(Value::Map(dst))
        }
        "dig" => dig(&args),

        // ----- regular expressions
        "regexMatch" | "mustRegexMatch" => {
            match go_regex(&s_arg(&args, 0)) {
                Ok(re) => Ok(Value::Bool(re.is_match(&s_arg(&args, 1)))),
                // Sprig's regexMatch swallows compile errors.
                Err(_) if name == "regexMatch" => Ok(Value::Bool(false)),
                Err(e) => Err(e),
            }
        }
        "regexFind" | "mustRegexFind" => {
            let re = go_regex(&s_arg(&args, 0))?;
            let s = s_arg(&args, 1);
            Ok(Value::str(re.find(&s).map(|m| m.as_str()).unwrap_or("")))
        }
        "regexFindAll" | "mustRegexFindAll" => {
            let re = go_regex(&s_arg(&args, 0))?;
            let (s, n) = (s_arg(&args, 1), i_arg(&args, 2));
            let found: Vec<Value> = re
                .find_iter(&s)
                .take(if n < 0 { usize::MAX } else { n as usize })
                .map(|m| Value::str(m.as_str()))
                .collect();
            limit_list(found)
        }
        "regexReplaceAll" | "mustRegexReplaceAll" => {
            let re = go_regex(&s_arg(&args, 0))?;
            let (s, repl) = (s_arg(&args, 1), s_arg(&args, 2));
            limit_str(re.replace_all(&s, &*repl).into_owned())
        }
        "regexReplaceAllLiteral" | "mustRegexReplaceAllLiteral" => {
            let re = go_regex(&s_arg(&args, 0))?;
            let (s, repl) = (s_arg(&args, 1), s_arg(&args, 2));
            limit_str(re.replace_all(&s, regex::NoExpand(&repl)).into_owned())
        }
        "regexSplit" | "mustRegexSplit" => {
            let re = go_regex(&s_arg(&args, 0))?;
            let (s, n) = (s_arg(&args, 1), i_arg(&args, 2));
            limit_list(
                regex_split(&re, &s_arg(&args, 0), &s, n)
                    .into_iter()
                    .map(Value::str)
                    .collect(),
            )
        }
        "regexQuoteMeta" => Ok(Value::str(quote_meta(&s_arg(&args, 0)))),

        other => Err(Fail::Unsupported(other.to_owned())),
    }
}

fn ignore_json_error(f: Fail) -> Result<String, Fail> {
    match f {
        Fail::Msg(_) => Ok(String::new()),
        other => Err(other),
    }
}

/// Go's `s[a:b]` on bytes; a cut inside a UTF-8 sequence yields U+FFFD like printing Go's
/// invalid bytes would.
fn byte_slice(s: &str, a: usize, b: usize) -> String {
    let bytes = s.as_bytes();
    String::from_utf8_lossy(bytes.get(a..b).unwrap_or(&[])).into_owned()
}

fn substr(start: i64, end: i64, s: &str) -> Result<Value, Fail> {
    let len = s.len() as i64;
    let range = |a: i64, b: i64| -> Result<Value, Fail> {
        if a < 0 || b < a || b > len {
            return Err(Fail::msg(format!(
                "runtime error: slice bounds out of range [{a}:{b}] with length {len}"
            )));
        }
        Ok(Value::str(byte_slice(s, a as usize, b as usize)))
    };
    if start < 0 {
        return range(0, end);
    }
    if end < 0 || end > len {
        return range(start, len);
    }
    range(start, end)
}

fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// Sprig's float arithmetic goes through `shopspring/decimal`, so 0.1 + 0.2 is 0.3. Operands
/// are taken at their shortest decimal form and combined exactly where an `i128` mantissa
/// allows; division keeps 16 decimal places as `decimal.DivisionPrecision` does.
fn decimal_op(args: &[Value], op: char) -> f64 {
    let mut acc = Dec::from_f64(to_float64(&arg(args, 0)));
    for v in args.iter().skip(1) {
        let d = Dec::from_f64(to_float64(v));
        acc = match (acc, d) {
            (Some(a), Some(b)) => a.apply(b, op),
            _ => None,
        };
    }
    match acc {
        Some(d) => d.to_f64(),
        None => {
            // Out of the exact range: fall back to binary floating point.
            let mut x = to_float64(&arg(args, 0));
            for v in args.iter().skip(1) {
                let y = to_float64(v);
                x = match op {
                    '+' => x + y,
                    '-' => x - y,
                    '*' => x * y,
                    _ => x / y,
                };
            }
            x
        }
    }
}

/// mantissa × 10^-scale.
#[derive(Clone, Copy)]
struct Dec {
    mant: i128,
    scale: u32,
}

impl Dec {
    fn from_f64(f: f64) -> Option<Dec> {
        if !f.is_finite() {
            return None;
        }
        let s = format!("{f:e}");
        let (m, e) = s.split_once('e')?;
        let e: i32 = e.parse().ok()?;
        let neg = m.starts_with('-');
        let m = m.trim_start_matches('-');
        let (ip, fp) = m.split_once('.').unwrap_or((m, ""));
        let digits = format!("{ip}{fp}");
        let mut mant: i128 = digits.parse().ok()?;
        if neg {
            mant = -mant;
        }
        let scale = fp.len() as i32 - e;
        if scale < 0 {
            let mul = 10i128.checked_pow((-scale) as u32)?;
            Some(Dec {
                mant: mant.checked_mul(mul)?,
                scale: 0,
            })
        } else {
            Some(Dec {
                mant,
                scale: scale as u32,
            })
        }
    }

    fn rescale(self, scale: u32) -> Option<Dec> {
        let mul = 10i128.checked_pow(scale.checked_sub(self.scale)?)?;
        Some(Dec {
            mant: self.mant.checked_mul(mul)?,
            scale,
        })
    }

    fn apply(self, other: Dec, op: char) -> Option<Dec> {
        match op {
            '+' | '-' => {
                let s = self.scale.max(other.scale);
                let (a, b) = (self.rescale(s)?, other.rescale(s)?);
                let mant = if op == '+' {
                    a.mant.checked_add(b.mant)?
                } else {
                    a.mant.checked_sub(b.mant)?
                };
                Some(Dec { mant, scale: s })
            }
            '*' => Some(Dec {
                mant: self.mant.checked_mul(other.mant)?,
                scale: self.scale.checked_add(other.scale)?,
            }),
            _ => {
                if other.mant == 0 {
                    return None;
                }
                // Result with 16 decimal places, rounded half away from zero.
                let target = 16u32;
                let shift = target.checked_add(other.scale)?.checked_sub(self.scale);
                let (num, den) = match shift {
                    Some(sh) => (self.mant.checked_mul(10i128.checked_pow(sh)?)?, other.mant),
                    None => {
                        let sh = self.scale.checked_sub(target + other.scale)?;
                        (self.mant, other.mant.checked_mul(10i128.checked_pow(sh)?)?)
                    }
                };
                let q = num / den;
                let r = num % den;
                let q = if r.checked_mul(2)?.abs() >= den.abs() {
                    q + if (num < 0) ^ (den < 0) { -1 } else { 1 }
                } else {
                    q
                };
                Some(Dec {
                    mant: q,
                    scale: target,
                })
            }
        }
    }

    fn to_f64(self) -> f64 {
        let neg = self.mant < 0;
        let digits = self.mant.unsigned_abs().to_string();
        let s = if self.scale == 0 {
            digits
        } else {
            let scale = self.scale as usize;
            let padded = if digits.len() <= scale {
                format!("{}{digits}", "0".repeat(scale - digits.len() + 1))
            } else {
                digits
            };
            let (a, b) = padded.split_at(padded.len() - scale);
            format!("{a}.{b}")
        };
        let v: f64 = s.parse().unwrap_or(0.0);
        if neg { -v } else { v }
    }
}

/// `strconv.Atoi`: optional sign and decimal digits only; anything else is 0 for Sprig.
fn atoi(s: &str) -> i64 {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    s.parse::<i64>().unwrap_or(0)
}

/// Go's `strings.SplitN` (n < 0: all). An empty separator splits into UTF-8 characters.
fn go_split(s: &str, sep: &str, n: i64) -> Result<Vec<String>, Fail> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let mut parts: Vec<String> = if sep.is_empty() {
        s.chars().map(String::from).collect()
    } else {
        s.split(sep).map(str::to_owned).collect()
    };
    if n > 0 && parts.len() > n as usize {
        let n = n as usize;
        let head: Vec<String> = parts.drain(..n - 1).collect();
        let consumed: usize = head.iter().map(|p| p.len() + sep.len()).sum();
        let mut out = head;
        out.push(s.get(consumed..).unwrap_or("").to_owned());
        parts = out;
    }
    if parts.len() > MAX_LIST {
        return Err(Fail::limit("list length", MAX_LIST));
    }
    Ok(parts)
}

/// Go's `strings.Replace(s, old, new, -1)`; an empty `old` inserts `new` around every rune.
fn go_replace(s: &str, old: &str, new: &str) -> Result<Value, Fail> {
    let count = if old.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(old).count()
    };
    let grow = (new.len() as u64).saturating_mul(count as u64);
    if s.len() as u64 + grow > MAX_OUTPUT as u64 {
        return Err(Fail::limit("output size in bytes", MAX_OUTPUT));
    }
    if old.is_empty() {
        let mut out = String::from(new);
        for c in s.chars() {
            out.push(c);
            out.push_str(new);
        }
        return Ok(Value::str(out));
    }
    Ok(Value::str(s.replace(old, new)))
}

fn seq(args: &[Value]) -> Result<Value, Fail> {
    let p: Vec<i64> = args.iter().map(to_int64).collect();
    let nums = match p.as_slice() {
        [] => return Ok(Value::str("")),
        [end] => {
            let inc = if *end < 1 { -1 } else { 1 };
            until_vec(1, end.saturating_add(inc), inc)?
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_vec(*start, end.saturating_add(step), step)?
        }
        [start, step, end] => {
            let mut inc = 1;
            if end < start {
                inc = -1;
                if *step > 0 {
                    return Ok(Value::str(""));
                }
            }
            until_vec(*start, end.saturating_add(inc), *step)?
        }
        _ => return Ok(Value::str("")),
    };
    let s: Vec<String> = nums.iter().map(i64::to_string).collect();
    limit_str(s.join(" "))
}

fn until_vec(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, Fail> {
    let mut v = Vec::new();
    if stop < start {
        if step >= 0 {
            return Ok(v);
        }
        let mut i = start;
        while i > stop {
            v.push(i);
            if v.len() > MAX_LIST {
                return Err(Fail::limit("list length", MAX_LIST));
            }
            i = match i.checked_add(step) {
                Some(n) => n,
                None => break,
            };
        }
        return Ok(v);
    }
    if step <= 0 {
        return Ok(v);
    }
    let mut i = start;
    while i < stop {
        v.push(i);
        if v.len() > MAX_LIST {
            return Err(Fail::limit("list length", MAX_LIST));
        }
        i = match i.checked_add(step) {
            Some(n) => n,
            None => break,
        };
    }
    Ok(v)
}

fn until_step(start: i64, stop: i64, step: i64) -> Result<Value, Fail> {
    Ok(Value::list(
        until_vec(start, stop, step)?
            .into_iter()
            .map(Value::Int)
            .collect(),
    ))
}

fn in_list(hay: &[Value], needle: &Value, ctx: &mut Ctx<'_>) -> Result<bool, Fail> {
    for h in hay {
        let mut budget = ctx.budget.steps;
        let eq = deep_equal(needle, h, &mut budget);
        ctx.budget.steps = budget;
        if eq? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn deep_copy(v: &Value, ctx: &mut Ctx<'_>, depth: usize) -> Result<Value, Fail> {
    if depth > MAX_VALUE_DEPTH {
        return Err(Fail::limit("value nesting depth", MAX_VALUE_DEPTH));
    }
    ctx.charge(1)?;
    Ok(match v {
        Value::List(l) => Value::list(
            l.iter()
                .map(|x| deep_copy(x, ctx, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(m) => {
            let entries: Vec<(String, Value)> = borrow(m)?
                .iter()
                .map(|(k, x)| (k.clone(), x.clone()))
                .collect();
            let mut out = BTreeMap::new();
            for (k, x) in entries {
                out.insert(k, deep_copy(&x, ctx, depth + 1)?);
            }
            map_value(out)
        }
        other => other.clone(),
    })
}

/// `mergo.Merge` / `mergo.Merge(..., WithOverride)` on maps as Sprig's `merge` and
/// `mergeOverwrite` use it: nested maps merge recursively; otherwise a destination value is
/// kept unless it is empty (or overwrite is on, in which case source values win).
fn merge_into(
    dst: &MapRef,
    src: &MapRef,
    overwrite: bool,
    ctx: &mut Ctx<'_>,
    depth: usize,
) -> Result<(), Fail> {
    if depth > MAX_VALUE_DEPTH {
        return Err(Fail::limit("value nesting depth", MAX_VALUE_DEPTH));
    }
    if Rc::ptr_eq(dst, src) {
        return Ok(());
    }
    // Snapshot the source first: it may share nested maps with the destination.
    let entries: Vec<(String, Value)> = borrow(src)?
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    ctx.charge(entries.len() as u64)?;
    for (k, sv) in entries {
        let dv = borrow(dst)?.get(&k).cloned();
        if sv.is_nilish() {
            if overwrite {
                if dv.is_none() {
                    ctx.budget.memory.charge_new_key(&k)?;
                }
                borrow_mut(dst)?.insert(k, Value::Nil);
            }
            continue;
        }
        if let (Value::Map(sm), Some(Value::Map(dm))) = (&sv, &dv) {
            merge_into(dm, sm, overwrite, ctx, depth + 1)?;
            continue;
        }
        let take = match &dv {
            None => true,
            Some(d) => overwrite || d.is_empty(),
        };
        if take {
            if dv.is_none() {
                ctx.budget.memory.charge_new_key(&k)?;
            }
            ctx.charge_value(&sv)?;
            borrow_mut(dst)?.insert(k, sv);
        }
    }
    Ok(())
}

/// Sprig's `dig "a" "b" default dict`.
fn dig(args: &[Value]) -> Result<Value, Fail> {
    if args.len() < 3 {
        return Err(Fail::msg("dig needs at least three arguments"));
    }
    let n = args.len();
    let mut dict = match &args[n - 1] {
        Value::Map(m) => Rc::clone(m),
        other => {
            return Err(Fail::msg(format!(
                "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                other.type_name()
            )));
        }
    };
    let default = args[n - 2].clone();
    let keys = &args[..n - 2];
    for (i, k) in keys.iter().enumerate() {
        let Value::Str(k) = k else {
            return Err(Fail::msg(format!(
                "interface conversion: interface {{}} is {}, not string",
                k.type_name()
            )));
        };
        let step = borrow(&dict)?.get(&**k).cloned();
        let Some(step) = step else {
            return Ok(default);
        };
        if i + 1 == keys.len() {
            return Ok(step);
        }
        dict = match step {
            Value::Map(m) => m,
            other => {
                return Err(Fail::msg(format!(
                    "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                    other.type_name()
                )));
            }
        };
    }
    Ok(default)
}

/// Compiles an RE2 pattern with Go's meaning of the Perl classes: `\d`, `\w`, `\s`, `\b` are
/// ASCII-only in Go but Unicode-aware by default in Rust's engine.
fn go_regex(pattern: &str) -> Result<regex::Regex, Fail> {
    let translated = translate_perl_classes(pattern);
    regex::RegexBuilder::new(&translated)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build()
        .map_err(|e| {
            Fail::msg(format!(
                "error parsing regexp: {}: `{pattern}`",
                e.to_string()
                    .lines()
                    .last()
                    .unwrap_or("invalid pattern")
                    .trim()
            ))
        })
}

fn translate_perl_classes(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 8);
    let mut chars = p.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        if c == '\\' {
            let Some(n) = chars.next() else {
                out.push(c);
                break;
            };
            match (n, in_class) {
                ('d' | 'w' | 's', true) => out.push_str(match n {
                    'd' => "0-9",
                    'w' => "0-9A-Za-z_",
                    _ => "\\t\\n\\x0C\\r ",
                }),
                ('d' | 'D' | 'w' | 'W' | 's' | 'S' | 'b' | 'B', false) => {
                    out.push_str("(?-u:\\");
                    out.push(n);
                    out.push(')');
                }
                _ => {
                    out.push('\\');
                    out.push(n);
                }
            }
            continue;
        }
        match c {
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A leading ']' (or '^]') is literal inside a class.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // POSIX class like [:alpha:]; copy through its closing ']'.
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == ']' {
                        break;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Go's `Regexp.Split`.
fn regex_split(re: &regex::Regex, expr: &str, s: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if !expr.is_empty() && s.is_empty() {
        return vec![String::new()];
    }
    let mut out = Vec::new();
    let (mut beg, mut end) = (0usize, 0usize);
    for m in re.find_iter(s) {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = m.start();
        if m.end() != 0 {
            out.push(s.get(beg..end).unwrap_or("").to_owned());
        }
        beg = m.end();
    }
    if end != s.len() {
        out.push(s.get(beg..).unwrap_or("").to_owned());
    }
    out
}

/// Go's `regexp.QuoteMeta`.
fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn map_chars(s: &str, f: fn(char) -> char) -> String {
    s.chars().map(f).collect()
}

/// `unicode.ToUpper`: Go maps one rune to one rune; where Rust's full mapping expands
/// (`ß` → `SS`) Go has no simple mapping and keeps the rune.
fn upper_char(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// `unicode.ToLower`: the only multi-rune full lowercase mapping (`İ`) has `i` as its simple
/// mapping, which is the first rune of the expansion.
fn lower_char(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// `unicode.ToTitle`: upper case, except the four Latin digraphs that have a distinct
/// title-case form.
fn title_char(c: char) -> char {
    match c {
        '\u{1C4}'..='\u{1C6}' => '\u{1C5}',
        '\u{1C7}'..='\u{1C9}' => '\u{1C8}',
        '\u{1CA}'..='\u{1CC}' => '\u{1CB}',
        '\u{1F1}'..='\u{1F3}' => '\u{1F2}',
        c => upper_char(c),
    }
}

/// `strings.Title`: upper-cases the first letter of each word; words are split at anything
/// that is not a letter, digit or underscore.
fn title(s: &str) -> String {
    let is_sep = |r: char| {
        if r.is_ascii() {
            return !(r.is_ascii_alphanumeric() || r == '_');
        }
        if r.is_alphabetic() || r.is_numeric() {
            return false;
        }
        r.is_whitespace()
    };
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if is_sep(prev) { title_char(c) } else { c };
            prev = c;
            out
        })
        .collect()
}

/// goutils `Uncapitalize`: lower-cases the first letter of each whitespace-separated word.
fn untitle(s: &str) -> String {
    let mut next = true;
    s.chars()
        .map(|c| {
            if c.is_whitespace() {
                next = true;
                c
            } else if next {
                next = false;
                lower_char(c)
            } else {
                c
            }
        })
        .collect()
}

/// xstrings' word classes, used by `snakecase` and `kebabcase`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Word {
    /// No more words.
    End,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || c.is_whitespace()
}

/// Go's `unicode.IsPunct` for the characters that matter here (ASCII punctuation that Go
/// classes as P*, i.e. not the symbols `$+<=>^`|~`).
fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation() && !"$+<=>^`|~".contains(c)
}

/// xstrings' `isAlphabet`: a letter that is not a CJK ideograph.
fn is_alphabet(c: char) -> bool {
    c.is_alphabetic()
        && !matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Splits `s` into classified words following xstrings (v1.3) `nextWord`: runs of
/// connectors, punctuation, digits, lower-case letters, or an upper-case run where an acronym
/// gives its last capital to the next word ("HTTPServer" is "HTTP" + "Server").
fn split_words(s: &str) -> Vec<(Word, String)> {
    let cs: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        let start = i;
        i += 1;
        let kind = if is_connector(c) {
            while i < cs.len() && is_connector(cs[i]) {
                i += 1;
            }
            Word::Connector
        } else if is_punct(c) {
            while i < cs.len() && is_punct(cs[i]) {
                i += 1;
            }
            Word::Punct
        } else if c.is_uppercase() {
            if i < cs.len() && cs[i].is_uppercase() {
                while i < cs.len() && cs[i].is_uppercase() {
                    i += 1;
                }
                if i < cs.len() && is_alphabet(cs[i]) {
                    i -= 1;
                }
            } else if i < cs.len() && is_alphabet(cs[i]) {
                while i < cs.len() && is_alphabet(cs[i]) && !cs[i].is_uppercase() {
                    i += 1;
                }
            }
            Word::Upper
        } else if is_alphabet(c) {
            while i < cs.len() && is_alphabet(cs[i]) && !cs[i].is_uppercase() {
                i += 1;
            }
            Word::Alphabet
        } else if c.is_numeric() {
            while i < cs.len() && cs[i].is_numeric() {
                i += 1;
            }
            Word::Number
        } else {
            while i < cs.len()
                && !(is_connector(cs[i])
                    || is_alphabet(cs[i])
                    || cs[i].is_numeric()
                    || is_punct(cs[i]))
            {
                i += 1;
            }
            Word::Other
        };
        out.push((kind, cs[start..i].iter().collect()));
    }
    out
}

/// xstrings' `toLower` for one word: upper-case and connector words are rewritten.
fn push_lower(buf: &mut String, kind: Word, word: &str, connector: char) {
    if kind != Word::Upper && kind != Word::Connector {
        buf.push_str(word);
        return;
    }
    for c in word.chars() {
        if is_connector(c) {
            buf.push(connector);
        } else if c.is_uppercase() {
            buf.push(lower_char(c));
        } else {
            buf.push(c);
        }
    }
}

/// xstrings `ToSnakeCase` / `ToKebabCase` (`camelCaseToLowerCase`): words are lower-cased and
/// joined with `connector`; a number sticks to a preceding word unless letters follow it
/// ("Bld4Floor" → "bld4_floor", "abc123def" → "abc_123def"); punctuation is kept as is.
fn words_joined(s: &str, connector: char) -> String {
    let words = split_words(s);
    let total = words.len();
    let mut idx = 0usize;
    let mut next = || {
        let w = words
            .get(idx)
            .cloned()
            .unwrap_or((Word::End, String::new()));
        idx += 1;
        w
    };
    let mut buf = String::with_capacity(s.len() + 8);
    let (mut kind, mut word) = next();
    let mut consumed = 1usize;
    let mut advance = |kind: &mut Word, word: &mut String, consumed: &mut usize| {
        let (k, w) = next();
        *kind = k;
        *word = w;
        *consumed += 1;
    };
    while consumed < total {
        if kind != Word::Connector {
            push_lower(&mut buf, kind, &word, connector);
        }
        let (prev, last) = (kind, word.clone());
        advance(&mut kind, &mut word, &mut consumed);
        match prev {
            Word::Number => {
                while matches!(kind, Word::Alphabet | Word::Number) {
                    push_lower(&mut buf, kind, &word, connector);
                    advance(&mut kind, &mut word, &mut consumed);
                }
                if !matches!(kind, Word::End | Word::Punct | Word::Connector) {
                    buf.push(connector);
                }
            }
            Word::Connector => push_lower(&mut buf, prev, &last, connector),
            Word::Punct => {}
            _ => {
                if kind != Word::Number {
                    if !matches!(kind, Word::Connector | Word::Punct) {
                        buf.push(connector);
                    }
                    continue;
                }
                if consumed >= total {
                    continue;
                }
                let number = word.clone();
                advance(&mut kind, &mut word, &mut consumed);
                if kind != Word::Alphabet {
                    push_lower(&mut buf, Word::Number, &number, connector);
                    if !matches!(kind, Word::Connector | Word::Punct) {
                        buf.push(connector);
                    }
                    continue;
                }
                buf.push(connector);
                push_lower(&mut buf, Word::Number, &number, connector);
                while matches!(kind, Word::Alphabet | Word::Number) {
                    push_lower(&mut buf, kind, &word, connector);
                    advance(&mut kind, &mut word, &mut consumed);
                }
                if !matches!(kind, Word::End | Word::Connector | Word::Punct) {
                    buf.push(connector);
                }
            }
        }
    }
    push_lower(&mut buf, kind, &word, connector);
    buf
}

/// xstrings (v1.3) `ToCamelCase`: leading connectors are kept, the first letter and every
/// letter after a connector are upper-cased, other letters lower-cased, and single connectors
/// dropped ("_complex__case_" → "_Complex_Case_", "fooBar" → "Foobar").
fn camelcase(s: &str) -> String {
    let mut cs = s.chars();
    let mut buf = String::with_capacity(s.len());
    let mut r0 = None;
    for c in cs.by_ref() {
        if !is_connector(c) {
            r0 = Some(upper_char(c));
            break;
        }
        buf.push(c);
    }
    let Some(mut r0) = r0 else {
        return buf;
    };
    for c in cs {
        let r1 = r0;
        r0 = c;
        if is_connector(r0) && is_connector(r1) {
            buf.push(r1);
            continue;
        }
        if is_connector(r1) {
            r0 = upper_char(r0);
        } else {
            r0 = lower_char(r0);
            buf.push(r1);
        }
    }
    buf.push(r0);
    buf
}

/// Argo CD's `SanitizeName` (the `normalize` function): lower-case, replace every rune outside
/// `[-a-z0-9.]` with `-`, cut to 253 bytes, trim `-` and `.` from both ends.
pub(super) fn sanitize_name(name: &str) -> String {
    let lowered: String = name.chars().map(lower_char).collect();
    let replaced: String = lowered
        .chars()
        .map(|c| {
            if c == '-' || c == '.' || c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    // Only ASCII remains, so byte truncation is character truncation.
    let cut = replaced.get(..replaced.len().min(253)).unwrap_or(&replaced);
    cut.trim_matches(['-', '.']).to_owned()
}

/// Argo CD's `slugify [maxSize] [smartTruncate] name`: `normalize`, then gosimple/slug's
/// `Make` with `MaxLength` (default 50) and smart truncation at a word boundary (default on).
fn slugify(args: &[Value]) -> Result<Value, Fail> {
    let mut max: i64 = 50;
    let mut smart = true;
    let mut name = String::new();
    let n = args.len();
    for (idx, a) in args.iter().enumerate() {
        if idx + 1 == n {
            match a {
                Value::Str(s) => name = s.to_string(),
                other => return Err(type_assert(other, "string")),
            }
        } else if idx == 0 {
            match a {
                Value::Int(i) => max = *i,
                other => return Err(type_assert(other, "int")),
            }
        } else if idx == 1 {
            match a {
                Value::Bool(b) => smart = *b,
                other => return Err(type_assert(other, "bool")),
            }
        }
    }
    let mut slug = sanitize_name(&name).trim().to_owned();
    if !smart && slug.len() as i64 >= max {
        if max < 0 {
            return Err(Fail::msg(format!(
                "runtime error: slice bounds out of range [:{max}]"
            )));
        }
        slug.truncate(max as usize);
    }
    let mut cleaned = String::with_capacity(slug.len());
    for c in slug.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            c
        } else {
            '-'
        };
        if c == '-' && cleaned.ends_with('-') {
            continue;
        }
        cleaned.push(c);
    }
    let mut slug = cleaned.trim_matches(['-', '_']).to_owned();
    if max > 0 && smart && slug.len() as i64 > max {
        let m = max as usize;
        let cut = slug
            .as_bytes()
            .get(..=m)
            .and_then(|b| b.iter().rposition(|c| *c == b'-'))
            .unwrap_or(m);
        slug.truncate(cut);
    }
    Ok(Value::str(slug))
}

fn type_assert(v: &Value, want: &str) -> Fail {
    Fail::msg(format!(
        "interface conversion: interface {{}} is {}, not {want}",
        v.type_name()
    ))
}

/// Go's `path.Clean`.
fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_owned();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// Go's `path.Base`.
fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".to_owned();
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_owned();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_owned()
}

/// Go's `path.Dir`.
fn path_dir(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => p.get(..=i).unwrap_or(""),
        None => "",
    };
    path_clean(dir)
}

/// Go's `path.Ext`.
fn path_ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return p.get(i..).unwrap_or("").to_owned();
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_name_matches_argo() {
        // Argo CD SanitizeName: lower-case, [^-a-z0-9.] -> '-', trim '-' and '.'.
        assert_eq!(sanitize_name("My_App.Name/x"), "my-app.name-x");
        assert_eq!(sanitize_name("--A--"), "a");
        assert_eq!(sanitize_name(&"a".repeat(300)).len(), 253);
    }

    #[test]
    fn slugify_like_gosimple_slug() {
        let s = |args: Vec<Value>| {
            slugify(&args)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
        };
        assert_eq!(
            s(vec![Value::str("Feature/My.Branch__x")]).as_deref(),
            Some("feature-my-branch-x")
        );
        assert_eq!(
            s(vec![Value::Int(10), Value::str("hello-world-foo")]).as_deref(),
            Some("hello")
        );
        assert_eq!(
            s(vec![
                Value::Int(10),
                Value::Bool(false),
                Value::str("hello-world-foo")
            ])
            .as_deref(),
            Some("hello-worl")
        );
    }

    #[test]
    fn paths_like_go() {
        assert_eq!(path_base("a/b/c/"), "c");
        assert_eq!(path_dir("a/b/c"), "a/b");
        assert_eq!(path_clean("a//b/../c/."), "a/c");
        assert_eq!(path_ext("x/y.tar.gz"), ".gz");
        assert_eq!(path_base(""), ".");
    }

    #[test]
    fn decimal_float_ops() {
        assert_eq!(
            decimal_op(&[Value::Float(0.1), Value::Float(0.2)], '+'),
            0.3
        );
        assert_eq!(
            decimal_op(&[Value::Float(1.0), Value::Float(3.0)], '/'),
            0.3333333333333333
        );
    }

    #[test]
    fn case_conversions() {
        assert_eq!(words_joined("FirstName", '_'), "first_name");
        assert_eq!(words_joined("HTTPServer", '_'), "http_server");
        assert_eq!(words_joined("my app-name", '-'), "my-app-name");
        assert_eq!(words_joined("Bld4Floor3rd", '_'), "bld4_floor_3rd");
        assert_eq!(words_joined("HTTP20xOK", '-'), "http-20x-ok");
        assert_eq!(words_joined("my.app", '-'), "my.app");
        assert_eq!(camelcase("http_server"), "HttpServer");
        assert_eq!(camelcase("_complex__case_"), "_Complex_Case_");
        assert_eq!(title("hello world-foo"), "Hello World-Foo");
    }

    #[test]
    fn go_regex_classes_are_ascii() {
        let re = go_regex(r"^\d+$").ok();
        assert!(re.as_ref().is_some_and(|r| r.is_match("123")));
        assert!(re.as_ref().is_some_and(|r| !r.is_match("١٢٣")));
        assert!(go_regex("[a-").is_err());
    }
}
