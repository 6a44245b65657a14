//! The function table: which names exist (Go builtins, Sprig, Argo CD additions), the Go
//! parameter types of each (which drive argument conversion and type errors), and the Go
//! builtins themselves (`and`/`or` live in `exec` because they short-circuit).
//!
//! Argo CD starts from `sprig.GenericFuncMap()`, deletes `env`, `expandenv` and
//! `getHostByName`, and adds `normalize`, `slugify`, `toYaml`, `fromYaml`, `fromYamlArray`
//! and `tpl`. Sprig's `slice` shadows Go's builtin `slice`, as in Go's lookup order. Names Argo
//! CD defines but this renderer does not implement still parse (so a template is not rejected
//! for a reason Argo CD would not reject it) and fail at execution with `Unsupported`.

use super::exec::Ctx;
use super::printf::{sprint, sprintf, sprintln};
use super::value::{Value, borrow, sprint_v};
use super::{Fail, sprig};

/// A Go parameter type, as far as argument handling distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum P {
    /// `interface{}`: anything; an invalid value arrives as nil.
    Any,
    /// `reflect.Value` (builtins): anything, invalid values included.
    Val,
    Str,
    /// Go `int`.
    Int,
    Float,
    Bool,
    /// `map[string]interface{}`.
    Map,
}

impl P {
    pub(super) fn can_be_nil(self) -> bool {
        matches!(self, P::Any | P::Val | P::Map)
    }

    pub(super) fn go_name(self) -> &'static str {
        match self {
            P::Any => "interface {}",
            P::Val => "reflect.Value",
            P::Str => "string",
            P::Int => "int",
            P::Float => "float64",
            P::Bool => "bool",
            P::Map => "map[string]interface {}",
        }
    }
}

/// A Go function signature: fixed parameters, then an optional variadic element type.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sig {
    pub fixed: &'static [P],
    pub variadic: Option<P>,
}

impl Sig {
    /// Type of the `i`th argument.
    pub(super) fn param(&self, i: usize) -> P {
        match self.fixed.get(i) {
            Some(p) => *p,
            None => self
                .variadic
                .or_else(|| self.fixed.last().copied())
                .unwrap_or(P::Any),
        }
    }
}

const fn f(fixed: &'static [P]) -> Option<Sig> {
    Some(Sig {
        fixed,
        variadic: None,
    })
}

const fn v(fixed: &'static [P], rest: P) -> Option<Sig> {
    Some(Sig {
        fixed,
        variadic: Some(rest),
    })
}

use P::{Any, Bool, Float, Int, Map, Str, Val};

/// Functions Argo CD provides that this renderer does not evaluate (time, randomness,
/// cryptography, semver, URL parsing, YAML parsing, text wrapping).
pub(super) const UNSUPPORTED: &[&str] = &[
    "ago",
    "date",
    "date_in_zone",
    "date_modify",
    "dateInZone",
    "dateModify",
    "duration",
    "durationRound",
    "htmlDate",
    "htmlDateInZone",
    "must_date_modify",
    "mustDateModify",
    "mustToDate",
    "now",
    "toDate",
    "unixEpoch",
    "randAlphaNum",
    "randAlpha",
    "randAscii",
    "randNumeric",
    "randSeededNumeric",
    "randInt",
    "randBytes",
    "shuffle",
    "uuidv4",
    "bcrypt",
    "htpasswd",
    "genPrivateKey",
    "derivePassword",
    "buildCustomCert",
    "genCA",
    "genCAWithKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "encryptAES",
    "decryptAES",
    "semver",
    "semverCompare",
    "urlParse",
    "urlJoin",
    "fromYaml",
    "fromYamlArray",
    "wrap",
    "wrapWith",
    "abbrevboth",
];

/// Whether `name` is a function Argo CD's template engine knows (checked at parse time).
pub(super) fn exists(name: &str) -> bool {
    signature(name).is_some()
}

/// The Go signature of a function, or `None` when Argo CD does not define it. `env`,
/// `expandenv` and `getHostByName` are deliberately absent: Argo CD deletes them.
pub(super) fn signature(name: &str) -> Option<Sig> {
    if UNSUPPORTED.contains(&name) {
        return v(&[], Any);
    }
    match name {
        // Go builtins.
        "and" | "or" => v(&[Val], Val),
        "not" | "len" => f(&[Val]),
        "index" => v(&[Val], Val),
        "print" | "println" | "html" | "js" | "urlquery" => v(&[], Any),
        "printf" => v(&[Str], Any),
        "eq" => v(&[Val], Val),
        "ne" | "lt" | "le" | "gt" | "ge" => f(&[Val, Val]),
        "call" => v(&[Val], Val),
        // Argo CD additions.
        "normalize" => f(&[Str]),
        "slugify" => v(&[], Any),
        "toYaml" => f(&[Any]),
        "tpl" => f(&[Str, Any]),
        // Sprig: strings.
        "hello" => f(&[]),
        "trunc" | "repeat" | "indent" | "nindent" | "abbrev" => f(&[Int, Str]),
        "trim" | "upper" | "lower" | "title" | "untitle" | "nospace" | "initials" | "swapcase"
        | "snakecase" | "camelcase" | "kebabcase" | "sha1sum" | "sha256sum" | "adler32sum"
        | "atoi" | "fromJson" | "mustFromJson" | "base" | "dir" | "clean" | "ext" | "isAbs"
        | "osBase" | "osClean" | "osDir" | "osExt" | "osIsAbs" | "b64enc" | "b64dec" | "b32enc"
        | "b32dec" | "fail" | "regexQuoteMeta" => f(&[Str]),
        "substr" => f(&[Int, Int, Str]),
        "trimall" | "trimAll" | "trimSuffix" | "trimPrefix" | "contains" | "hasPrefix"
        | "hasSuffix" | "split" | "splitList" | "regexMatch" | "mustRegexMatch" | "regexFind"
        | "mustRegexFind" | "typeIs" | "typeIsLike" | "kindIs" => match name {
            "typeIs" | "typeIsLike" | "kindIs" => f(&[Str, Any]),
            _ => f(&[Str, Str]),
        },
        "replace"
        | "regexReplaceAll"
        | "mustRegexReplaceAll"
        | "regexReplaceAllLiteral"
        | "mustRegexReplaceAllLiteral" => f(&[Str, Str, Str]),
        "regexFindAll" | "mustRegexFindAll" | "regexSplit" | "mustRegexSplit" => {
            f(&[Str, Str, Int])
        }
        "plural" => f(&[Str, Str, Int]),
        "splitn" => f(&[Str, Int, Str]),
        "quote" | "squote" | "cat" | "list" | "tuple" | "dict" | "coalesce" | "all" | "any"
        | "concat" | "dig" | "add" | "addf" => v(&[], Any),
        "toString" | "int64" | "int" | "float64" | "toDecimal" | "toStrings" | "add1" | "add1f"
        | "ceil" | "floor" | "sortAlpha" | "empty" | "compact" | "mustCompact" | "toJson"
        | "toPrettyJson" | "toRawJson" | "mustToJson" | "mustToPrettyJson" | "mustToRawJson"
        | "deepCopy" | "mustDeepCopy" | "typeOf" | "kindOf" | "first" | "mustFirst" | "rest"
        | "mustRest" | "last" | "mustLast" | "initial" | "mustInitial" | "reverse"
        | "mustReverse" | "uniq" | "mustUniq" => f(&[Any]),
        "seq" => v(&[], Int),
        "until" => f(&[Int]),
        "untilStep" => f(&[Int, Int, Int]),
        "sub" | "div" | "mod" | "deepEqual" | "append" | "push" | "mustAppend" | "mustPush"
        | "prepend" | "mustPrepend" | "has" | "mustHas" => f(&[Any, Any]),
        "mul" | "subf" | "divf" | "mulf" | "biggest" | "max" | "min" | "maxf" | "minf"
        | "without" | "mustWithout" | "slice" | "mustSlice" => v(&[Any], Any),
        "round" => v(&[Any, Int], Float),
        "join" => f(&[Str, Any]),
        "default" => v(&[Any], Any),
        "ternary" => f(&[Any, Any, Bool]),
        "get" | "unset" | "hasKey" => f(&[Map, Str]),
        "set" => f(&[Map, Str, Any]),
        "pluck" => v(&[Str], Map),
        "keys" => v(&[], Map),
        "pick" | "omit" => v(&[Map], Str),
        "merge" | "mergeOverwrite" | "mustMerge" | "mustMergeOverwrite" => v(&[Map], Map),
        "values" => f(&[Map]),
        "chunk" | "mustChunk" => f(&[Int, Any]),
        _ => None,
    }
}

/// Calls a function with arguments already converted to its parameter types.
pub(super) fn call(name: &str, args: Vec<Value>, ctx: &mut Ctx<'_>) -> Result<Value, Fail> {
    if UNSUPPORTED.contains(&name) {
        return Err(Fail::Unsupported(name.to_owned()));
    }
    ctx.charge(1 + args.len() as u64)?;
    match name {
        "not" => Ok(Value::Bool(!arg(&args, 0).truth())),
        "len" => length(&arg(&args, 0)),
        "index" => index(&args),
        "print" => Ok(Value::str(sprint(&args, cap())?)),
        "println" => Ok(Value::str(sprintln(&args, cap())?)),
        "printf" => {
            let fmt = arg(&args, 0);
            Ok(Value::str(sprintf(
                fmt.as_str().unwrap_or(""),
                args.get(1..).unwrap_or(&[]),
                cap(),
            )?))
        }
        "eq" => eq(&args).map(Value::Bool),
        "ne" => eq(&args).map(|b| Value::Bool(!b)),
        "lt" => lt(&arg(&args, 0), &arg(&args, 1)).map(Value::Bool),
        "le" => le(&arg(&args, 0), &arg(&args, 1)).map(Value::Bool),
        "gt" => le(&arg(&args, 0), &arg(&args, 1)).map(|b| Value::Bool(!b)),
        "ge" => lt(&arg(&args, 0), &arg(&args, 1)).map(|b| Value::Bool(!b)),
        "html" => Ok(Value::str(html_escape(&eval_args(&args)?))),
        "js" => Ok(Value::str(js_escape(&eval_args(&args)?))),
        "urlquery" => Ok(Value::str(query_escape(&eval_args(&args)?))),
        "call" => {
            let f = arg(&args, 0);
            if f.is_nilish() {
                return Err(Fail::msg("call of nil"));
            }
            Err(Fail::msg(format!(
                "non-function {} of type {}",
                sprint_v(&f, 256)?,
                f.type_name()
            )))
        }
        _ => sprig::call(name, args, ctx),
    }
}

fn cap() -> usize {
    super::exec::MAX_OUTPUT
}

/// The `i`th argument, or a missing value.
pub(super) fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or(Value::Missing)
}

fn length(v: &Value) -> Result<Value, Fail> {
    let n = match v {
        Value::Str(s) => s.len(),
        Value::List(l) => l.len(),
        Value::Map(m) => borrow(m)?.len(),
        Value::Nil | Value::Missing => return Err(Fail::msg("len of nil pointer")),
        other => return Err(Fail::msg(format!("len of type {}", other.type_name()))),
    };
    Ok(Value::Int(n as i64))
}

/// Go's `index`: successive indexing into lists, strings (yielding a byte) and maps (a missing
/// key yields nil, whatever `missingkey` says).
fn index(args: &[Value]) -> Result<Value, Fail> {
    let mut item = arg(args, 0);
    if item.is_nilish() {
        return Err(Fail::msg("index of untyped nil"));
    }
    for idx in args.get(1..).unwrap_or(&[]) {
        item = match &item {
            Value::Nil | Value::Missing => return Err(Fail::msg("index of nil pointer")),
            Value::List(l) => {
                let i = index_arg(idx, l.len())?;
                l.get(i).cloned().ok_or_else(|| out_of_range(i))?
            }
            Value::Str(s) => {
                let i = index_arg(idx, s.len())?;
                let b = s
                    .as_bytes()
                    .get(i)
                    .copied()
                    .ok_or_else(|| out_of_range(i))?;
                Value::Int(i64::from(b))
            }
            Value::Map(m) => {
                let key = match idx {
                    Value::Str(k) => k.clone(),
                    Value::Missing | Value::Nil => {
                        return Err(Fail::msg("value is nil; should be of type string"));
                    }
                    other => {
                        return Err(Fail::msg(format!(
                            "value has type {}; should be string",
                            other.type_name()
                        )));
                    }
                };
                borrow(m)?.get(&*key).cloned().unwrap_or(Value::Nil)
            }
            other => {
                return Err(Fail::msg(format!(
                    "can't index item of type {}",
                    other.type_name()
                )));
            }
        };
    }
    Ok(item)
}

fn out_of_range(i: usize) -> Fail {
    Fail::msg(format!("reflect: slice index out of range: {i}"))
}

fn index_arg(idx: &Value, len: usize) -> Result<usize, Fail> {
    let x = match idx {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Missing | Value::Nil => {
            return Err(Fail::msg("cannot index slice/array with nil"));
        }
        other => {
            return Err(Fail::msg(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            )));
        }
    };
    if x < 0 || x as u64 > len as u64 {
        return Err(Fail::msg(format!("index out of range: {x}")));
    }
    Ok(x as usize)
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    Str,
}

fn basic_kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Int64(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::Str(_) => Kind::Str,
        _ => Kind::Invalid,
    }
}

const ERR_BAD_COMPARISON: &str = "incompatible types for comparison";
const ERR_BAD_COMPARISON_TYPE: &str = "invalid type for comparison";

/// Go's `eq arg1 arg2...`: true if arg1 equals any later argument. Basic kinds must match;
/// comparing with nil is allowed and false; lists and maps are not comparable.
fn eq(args: &[Value]) -> Result<bool, Fail> {
    let a = arg(args, 0);
    let rest = args.get(1..).unwrap_or(&[]);
    if rest.is_empty() {
        return Err(Fail::msg("missing argument for comparison"));
    }
    let k1 = basic_kind(&a);
    for b in rest {
        let k2 = basic_kind(b);
        let truth = if k1 != k2 {
            if !a.is_nilish() && !b.is_nilish() {
                return Err(Fail::msg(ERR_BAD_COMPARISON));
            }
            false
        } else {
            match (&a, b) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::Str(x), Value::Str(y)) => x == y,
                _ => {
                    if a.is_nilish() || b.is_nilish() {
                        a.is_nilish() == b.is_nilish()
                    } else {
                        return Err(Fail::msg(format!(
                            "non-comparable type {}: {}",
                            sprint_v(b, 256)?,
                            b.type_name()
                        )));
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt(a: &Value, b: &Value) -> Result<bool, Fail> {
    let (k1, k2) = (basic_kind(a), basic_kind(b));
    if k1 == Kind::Invalid || k2 == Kind::Invalid {
        return Err(Fail::msg(ERR_BAD_COMPARISON_TYPE));
    }
    if k1 != k2 {
        return Err(Fail::msg(ERR_BAD_COMPARISON));
    }
    Ok(match (a, b) {
        (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::Str(x), Value::Str(y)) => x < y,
        _ => return Err(Fail::msg(ERR_BAD_COMPARISON_TYPE)),
    })
}

fn le(a: &Value, b: &Value) -> Result<bool, Fail> {
    if lt(a, b)? {
        return Ok(true);
    }
    eq(&[a.clone(), b.clone()])
}

/// The single string argument, or the `fmt.Sprint` of all of them (Go's `evalArgs`).
fn eval_args(args: &[Value]) -> Result<String, Fail> {
    if let [Value::Str(s)] = args {
        return Ok(s.to_string());
    }
    sprint(args, cap())
}

/// Go's `template.HTMLEscapeString`.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{fffd}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if c.is_ascii() && (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c if !c.is_ascii() && (c.is_control() || c.is_whitespace()) => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub(super) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
