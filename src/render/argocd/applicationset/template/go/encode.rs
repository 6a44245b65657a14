//! Encoders behind Sprig/Argo CD functions: Go `encoding/json` (for `toJson`,
//! `toPrettyJson`, `toRawJson`), `sigs.k8s.io/yaml` output (for `toYaml`), base64/base32, and
//! the SHA-1/SHA-256/Adler-32 digests. They are written here rather than pulled in as crates to
//! keep the module self-contained, and they follow Go's output byte for byte where templates can
//! observe it (HTML-escaping in JSON, map key order, float formatting, YAML quoting).

use std::fmt::Write as _;

use super::Fail;
use super::value::{Buf, MAX_VALUE_DEPTH, Value, borrow, format_float_g, format_float_json};

// ---------------------------------------------------------------------------------------------
// JSON

/// `json.Marshal` (`html = true`) or an `Encoder` with `SetEscapeHTML(false)`; `indent`
/// selects `MarshalIndent(v, "", "  ")`.
pub(super) fn to_json(v: &Value, html: bool, indent: bool, cap: usize) -> Result<String, Fail> {
    let mut out = Buf::new(cap);
    json_value(&mut out, v, html, indent, 0)?;
    Ok(out.s)
}

fn json_newline(out: &mut Buf, indent: bool, level: usize) -> Result<(), Fail> {
    if indent {
        out.push('\n')?;
        for _ in 0..level {
            out.push_str("  ")?;
        }
    }
    Ok(())
}

fn json_value(
    out: &mut Buf,
    v: &Value,
    html: bool,
    indent: bool,
    depth: usize,
) -> Result<(), Fail> {
    if depth > MAX_VALUE_DEPTH {
        return Err(Fail::limit("value nesting depth", MAX_VALUE_DEPTH));
    }
    match v {
        Value::Missing | Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => match format_float_json(*f) {
            Some(s) => out.push_str(&s),
            None => Err(Fail::msg(format!(
                "json: unsupported value: {}",
                format_float_g(*f)
            ))),
        },
        Value::Str(s) => json_string(out, s, html),
        Value::List(l) => {
            out.push('[')?;
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',')?;
                }
                json_newline(out, indent, depth + 1)?;
                json_value(out, x, html, indent, depth + 1)?;
            }
            if !l.is_empty() {
                json_newline(out, indent, depth)?;
            }
            out.push(']')
        }
        Value::Map(m) => {
            let m = borrow(m)?;
            out.push('{')?;
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',')?;
                }
                json_newline(out, indent, depth + 1)?;
                json_string(out, k, html)?;
                out.push(':')?;
                if indent {
                    out.push(' ')?;
                }
                json_value(out, x, html, indent, depth + 1)?;
            }
            if !m.is_empty() {
                json_newline(out, indent, depth)?;
            }
            out.push('}')
        }
    }
}

/// Go's JSON string escaping: control characters, `"` and `\`, U+2028/U+2029 always, and
/// `<`, `>`, `&` when HTML escaping is on.
fn json_string(out: &mut Buf, s: &str, html: bool) -> Result<(), Fail> {
    out.push('"')?;
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\"")?,
            '\\' => out.push_str("\\\\")?,
            '\n' => out.push_str("\\n")?,
            '\r' => out.push_str("\\r")?,
            '\t' => out.push_str("\\t")?,
            '\u{8}' => out.push_str("\\b")?,
            '\u{c}' => out.push_str("\\f")?,
            '<' | '>' | '&' if html => out.push_str(&format!("\\u{:04x}", c as u32))?,
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32))?,
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32))?,
            c => out.push(c)?,
        }
    }
    out.push('"')
}

/// `json.Unmarshal` into `interface{}`: numbers become float64, objects maps.
pub(super) fn from_json(s: &str) -> Result<Value, Fail> {
    let parsed: serde_json::Value =
        serde_json::from_str(s).map_err(|e| Fail::msg(e.to_string()))?;
    Ok(Value::from_json(&parsed))
}

// ---------------------------------------------------------------------------------------------
// YAML

/// `sigs.k8s.io/yaml.Marshal`: the value is first turned into JSON, then re-emitted by
/// go-yaml v2 (keys in its "natural" order, 2-space indentation, sequences flush with their
/// parent key, literal blocks for multi-line strings, lines folded at 80 columns). Argo CD's
/// `toYaml` trims the final newline.
pub(super) fn to_yaml(v: &Value, cap: usize) -> Result<String, Fail> {
    // Surface JSON encoding errors (NaN, infinities) exactly as the JSON step would.
    to_json(v, false, false, cap)?;
    let mut y = Yaml {
        out: Buf::new(cap),
        column: 0,
    };
    y.node(v, 0, Ctx::Top, 0)?;
    let mut s = y.out.s;
    if s.ends_with('\n') {
        s.pop();
    }
    Ok(s)
}

#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    Top,
    MapValue,
    SeqItem,
}

struct Yaml {
    out: Buf,
    column: usize,
}

const BEST_WIDTH: usize = 80;

impl Yaml {
    fn write(&mut self, s: &str) -> Result<(), Fail> {
        self.out.push_str(s)?;
        match s.rfind('\n') {
            Some(i) => self.column = s.get(i + 1..).map(|t| t.chars().count()).unwrap_or(0),
            None => self.column += s.chars().count(),
        }
        Ok(())
    }

    fn newline_indent(&mut self, indent: usize) -> Result<(), Fail> {
        self.write("\n")?;
        self.write(&" ".repeat(indent))
    }

    /// Emits `v`. `indent` is the indentation of the current block; `ctx` says what precedes
    /// the value on the current line.
    fn node(&mut self, v: &Value, indent: usize, ctx: Ctx, depth: usize) -> Result<(), Fail> {
        if depth > MAX_VALUE_DEPTH {
            return Err(Fail::limit("value nesting depth", MAX_VALUE_DEPTH));
        }
        match v {
            Value::Map(m) => {
                let m = borrow(m)?;
                if m.is_empty() {
                    if ctx == Ctx::MapValue {
                        self.write(" ")?;
                    }
                    return self.write("{}\n");
                }
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort_by(|a, b| natural_cmp(a, b));
                let child_indent = match ctx {
                    Ctx::Top => indent,
                    Ctx::MapValue => indent + 2,
                    Ctx::SeqItem => indent + 2,
                };
                for (i, k) in keys.iter().enumerate() {
                    match ctx {
                        Ctx::MapValue if i == 0 => self.newline_indent(child_indent)?,
                        Ctx::SeqItem if i == 0 => {}
                        _ if i == 0 => {}
                        _ => self.write(&" ".repeat(child_indent))?,
                    }
                    self.scalar_str(k, child_indent, true)?;
                    self.write(":")?;
                    let x = m.get(*k).cloned().unwrap_or(Value::Nil);
                    self.node(&x, child_indent, Ctx::MapValue, depth + 1)?;
                }
                Ok(())
            }
            Value::List(l) => {
                if l.is_empty() {
                    if ctx == Ctx::MapValue {
                        self.write(" ")?;
                    }
                    return self.write("[]\n");
                }
                // go-yaml v2 does not indent a sequence under a mapping key.
                let item_indent = match ctx {
                    Ctx::Top | Ctx::MapValue => indent,
                    Ctx::SeqItem => indent + 2,
                };
                for (i, x) in l.iter().enumerate() {
                    match ctx {
                        Ctx::MapValue if i == 0 => self.newline_indent(item_indent)?,
                        Ctx::SeqItem if i == 0 => {}
                        _ if i == 0 => {}
                        _ => self.write(&" ".repeat(item_indent))?,
                    }
                    self.write("-")?;
                    match x {
                        Value::Map(_) | Value::List(_) if x.truth() => {
                            self.write(" ")?;
                            self.node(x, item_indent, Ctx::SeqItem, depth + 1)?;
                        }
                        _ => self.node(x, item_indent, Ctx::MapValue, depth + 1)?,
                    }
                }
                Ok(())
            }
            scalar => {
                if ctx != Ctx::Top {
                    self.write(" ")?;
                }
                // A scalar continues (folded lines, literal block body) at the block's
                // indentation + 2; at document level that is column 2.
                let cont = indent + 2;
                self.scalar(scalar, cont)?;
                self.write("\n")
            }
        }
    }

    fn scalar(&mut self, v: &Value, indent: usize) -> Result<(), Fail> {
        match v {
            Value::Missing | Value::Nil => self.write("null"),
            Value::Bool(b) => self.write(if *b { "true" } else { "false" }),
            Value::Int(i) | Value::Int64(i) => self.write(&i.to_string()),
            Value::Float(f) => {
                // JSON writes integral floats without a fraction; go-yaml reads them back as
                // integers when they fit 64 bits, otherwise as floats.
                if f.fract() == 0.0
                    && *f >= -9.223_372_036_854_776e18
                    && *f < 1.844_674_407_370_955_2e19
                {
                    self.write(&format_float_json(*f).unwrap_or_default())
                } else {
                    self.write(&format_float_g(*f))
                }
            }
            Value::Str(s) => self.scalar_str(s, indent, false),
            Value::List(_) | Value::Map(_) => Ok(()),
        }
    }

    /// go-yaml v2's style choice: literal block for multi-line strings (outside keys), double
    /// quotes for strings that would otherwise read back as another type, else plain, single
    /// quoted, or double quoted as the characters allow.
    fn scalar_str(&mut self, s: &str, indent: usize, is_key: bool) -> Result<(), Fail> {
        let a = analyze(s);
        if s.contains('\n') {
            if !is_key && a.block_allowed {
                return self.literal(s, indent);
            }
            return self.double_quoted(s, indent, !is_key);
        }
        if resolves_to_non_string(s) {
            return self.double_quoted(s, indent, !is_key);
        }
        if a.block_plain_allowed {
            return self.plain(s, indent, !is_key);
        }
        if a.single_quoted_allowed {
            return self.single_quoted(s, indent, !is_key);
        }
        self.double_quoted(s, indent, !is_key)
    }

    fn plain(&mut self, s: &str, indent: usize, allow_breaks: bool) -> Result<(), Fail> {
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !next_space {
                    self.newline_indent(indent)?;
                } else {
                    self.write(" ")?;
                }
                spaces = true;
            } else {
                self.write(c.encode_utf8(&mut [0u8; 4]))?;
                spaces = false;
            }
        }
        Ok(())
    }

    fn single_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) -> Result<(), Fail> {
        self.write("'")?;
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        let n = chars.len();
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i + 1 != n
                    && !next_space
                {
                    self.newline_indent(indent)?;
                } else {
                    self.write(" ")?;
                }
                spaces = true;
            } else {
                if c == '\'' {
                    self.write("'")?;
                }
                self.write(c.encode_utf8(&mut [0u8; 4]))?;
                spaces = false;
            }
        }
        self.write("'")
    }

    fn double_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) -> Result<(), Fail> {
        self.write("\"")?;
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        let n = chars.len();
        for (i, &c) in chars.iter().enumerate() {
            let esc = match c {
                '\0' => Some("\\0".to_owned()),
                '\u{7}' => Some("\\a".to_owned()),
                '\u{8}' => Some("\\b".to_owned()),
                '\t' => Some("\\t".to_owned()),
                '\n' => Some("\\n".to_owned()),
                '\u{b}' => Some("\\v".to_owned()),
                '\u{c}' => Some("\\f".to_owned()),
                '\r' => Some("\\r".to_owned()),
                '\u{1b}' => Some("\\e".to_owned()),
                '"' => Some("\\\"".to_owned()),
                '\\' => Some("\\\\".to_owned()),
                '\u{85}' => Some("\\N".to_owned()),
                '\u{a0}' => Some("\\_".to_owned()),
                '\u{2028}' => Some("\\L".to_owned()),
                '\u{2029}' => Some("\\P".to_owned()),
                '\u{feff}' => Some("\\uFEFF".to_owned()),
                c if !yaml_printable(c) => {
                    let u = c as u32;
                    Some(if u <= 0xff {
                        format!("\\x{u:02X}")
                    } else if u <= 0xffff {
                        format!("\\u{u:04X}")
                    } else {
                        format!("\\U{u:08X}")
                    })
                }
                _ => None,
            };
            if let Some(e) = esc {
                self.write(&e)?;
                spaces = false;
                continue;
            }
            if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i != 0 && i + 1 != n {
                    self.newline_indent(indent)?;
                    if chars.get(i + 1) == Some(&' ') {
                        self.write("\\")?;
                    }
                } else {
                    self.write(" ")?;
                }
                spaces = true;
            } else {
                self.write(c.encode_utf8(&mut [0u8; 4]))?;
                spaces = false;
            }
        }
        self.write("\"")
    }

    fn literal(&mut self, s: &str, indent: usize) -> Result<(), Fail> {
        let chomp = if !s.ends_with('\n') {
            "-"
        } else if s.ends_with("\n\n") || s == "\n" {
            "+"
        } else {
            ""
        };
        let lead = if s.starts_with([' ', '\n']) { "2" } else { "" };
        self.write(&format!("|{lead}{chomp}"))?;
        let body = s.strip_suffix('\n').unwrap_or(s);
        let body = if chomp == "+" {
            s.strip_suffix('\n').unwrap_or(s)
        } else {
            body
        };
        for line in body.split('\n') {
            self.write("\n")?;
            if !line.is_empty() {
                self.write(&" ".repeat(indent))?;
                self.write(line)?;
            }
        }
        Ok(())
    }
}

/// libyaml's printable set (with unicode output enabled).
fn yaml_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || u == 0x85
        || (0xA0..=0xD7FF).contains(&u)
        || (0xE000..=0xFFFD).contains(&u) && u != 0xFEFF
        || (0x10000..=0x10FFFF).contains(&u)
}

#[derive(Debug, Default)]
struct Analysis {
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// A condensed `yaml_emitter_analyze_scalar`: which styles can represent `s` faithfully.
fn analyze(s: &str) -> Analysis {
    let mut a = Analysis {
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if s.is_empty() {
        a.block_plain_allowed = false;
        a.block_allowed = false;
        return a;
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = false;
    if s.starts_with("---") || s.starts_with("...") {
        block_indicators = true;
    }
    let mut leading_space = false;
    let mut trailing_space = false;
    let mut special = false;
    let mut space_break = false;
    let mut break_space = false;
    let mut line_breaks = false;
    let mut prev_space = false;
    let mut prev_break = false;
    let n = chars.len();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let followed_by_blank = matches!(next, None | Some(' ' | '\t' | '\n'));
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_blank => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_blank => block_indicators = true,
                '#' if matches!(chars.get(i - 1), Some(' ' | '\t')) => block_indicators = true,
                _ => {}
            }
        }
        if !yaml_printable(c) || c == '\u{feff}' {
            special = true;
        }
        if matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}') {
            line_breaks = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == n {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if c == '\n' {
            if i == 0 {
                a.block_plain_allowed = false;
            }
            if i + 1 == n {
                a.block_plain_allowed = false;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
    }
    if leading_space || trailing_space {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks {
        a.block_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// Whether go-yaml v2 would read `s`, unquoted, as something other than a string (null, bool,
/// number, timestamp, base-60 float); such strings must be quoted.
fn resolves_to_non_string(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
        ".NaN", ".NAN", "<<",
    ];
    if WORDS.contains(&s) {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    if !(first.is_ascii_digit() || matches!(first, '-' | '+' | '.')) {
        return false;
    }
    let plain: String = s.chars().filter(|c| *c != '_').collect();
    if super::parse::parse_go_int(&plain).is_some() {
        return true;
    }
    if let Some(b) = plain.strip_prefix("0b")
        && !b.is_empty()
        && b.chars().all(|c| c == '0' || c == '1')
    {
        return true;
    }
    if is_yaml_float(&plain) {
        return true;
    }
    if is_base60(s) {
        return true;
    }
    is_timestamp(s)
}

/// go-yaml v2's float pattern `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mant, exp) = match b.find(['e', 'E']) {
        Some(i) => (b.get(..i).unwrap_or(""), Some(b.get(i + 1..).unwrap_or(""))),
        None => (b, None),
    };
    let mant_ok = if let Some(frac) = mant.strip_prefix('.') {
        !frac.is_empty() && frac.chars().all(|c| c.is_ascii_digit())
    } else {
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        !int.is_empty()
            && int.chars().all(|c| c.is_ascii_digit())
            && frac.chars().all(|c| c.is_ascii_digit())
    };
    let exp_ok = match exp {
        None => true,
        Some(e) => {
            let d = e.strip_prefix(['-', '+']).unwrap_or(e);
            !d.is_empty() && d.chars().all(|c| c.is_ascii_digit())
        }
    };
    mant_ok && exp_ok
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60(s: &str) -> bool {
    let b = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (main, frac) = b.split_once('.').unwrap_or((b, ""));
    if !frac.chars().all(|c| c.is_ascii_digit() || c == '_') {
        return false;
    }
    let mut parts = main.split(':');
    let Some(head) = parts.next() else {
        return false;
    };
    if !head.starts_with(|c: char| c.is_ascii_digit())
        || !head.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return false;
    }
    let mut any = false;
    for p in parts {
        any = true;
        let ok = match p.len() {
            1 => p.chars().all(|c| c.is_ascii_digit()),
            2 => {
                let bs = p.as_bytes();
                (b'0'..=b'5').contains(&bs[0]) && bs[1].is_ascii_digit()
            }
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    any
}

/// Dates such as `2001-12-14` (with optional time) resolve to timestamps in go-yaml v2.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 8 {
        return false;
    }
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    digits(0..4) && b.get(4) == Some(&b'-') && {
        let rest = s.get(5..).unwrap_or("");
        let mut it = rest.splitn(2, '-');
        let m = it.next().unwrap_or("");
        let d_and_more = it.next().unwrap_or("");
        let d: String = d_and_more
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (1..=2).contains(&m.len())
            && m.chars().all(|c| c.is_ascii_digit())
            && (1..=2).contains(&d.len())
    }
}

/// go-yaml v2's key order: runs of digits compare numerically, letters after non-letters.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            return if bl {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let mut an: i128 = 0;
        let mut bn: i128 = 0;
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 {
                j -= 1;
                if !ar[j].is_ascii_digit() {
                    break;
                }
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an
                .saturating_mul(10)
                .saturating_add(i128::from(ar[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn
                .saturating_mul(10)
                .saturating_add(i128::from(br[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar[i].cmp(&br[i]);
    }
    ar.len().cmp(&br.len())
}

// ---------------------------------------------------------------------------------------------
// base64 / base32

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(super) fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `base64.StdEncoding.DecodeString`: strict padding, `\r`/`\n` skipped. The error is the
/// byte offset Go's `CorruptInputError` reports.
pub(super) fn b64_decode(s: &str) -> Result<Vec<u8>, String> {
    let src = s.as_bytes();
    let illegal = |i: usize| format!("illegal base64 data at input byte {i}");
    let skip_newlines = |mut si: usize| {
        while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
            si += 1;
        }
        si
    };
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0usize;
    loop {
        let mut quad = [0u32; 4];
        let mut j = 0usize;
        let mut dlen = 4usize;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(illegal(si - j));
            }
            let c = src[si];
            si += 1;
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c == b'=' {
                match j {
                    0 | 1 => return Err(illegal(si - 1)),
                    2 => {
                        si = skip_newlines(si);
                        if si == src.len() {
                            return Err(illegal(src.len()));
                        }
                        if src[si] != b'=' {
                            return Err(illegal(si - 1));
                        }
                        si += 1;
                    }
                    _ => {}
                }
                si = skip_newlines(si);
                if si < src.len() {
                    return Err(illegal(si));
                }
                dlen = j;
                break;
            }
            let Some(v) = B64.iter().position(|b| *b == c) else {
                return Err(illegal(si - 1));
            };
            quad[j] = v as u32;
            j += 1;
        }
        let word = (quad[0] << 18) | (quad[1] << 12) | (quad[2] << 6) | quad[3];
        let bytes = [(word >> 16) as u8, (word >> 8) as u8, word as u8];
        match dlen {
            4 => out.extend_from_slice(&bytes),
            3 => out.extend_from_slice(&bytes[..2]),
            2 => out.push(bytes[0]),
            _ => {}
        }
        if dlen < 4 {
            return Ok(out);
        }
    }
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub(super) fn b32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = buf.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(char::from(B32[((n >> (35 - 5 * i)) & 31) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub(super) fn b32_decode(s: &str) -> Result<Vec<u8>, String> {
    let clean: Vec<u8> = s.bytes().filter(|b| *b != b'\r' && *b != b'\n').collect();
    if !clean.len().is_multiple_of(8) {
        return Err(format!(
            "illegal base32 data at input byte {}",
            clean.len() / 8 * 8
        ));
    }
    let mut out = Vec::new();
    for (ci, chunk) in clean.chunks(8).enumerate() {
        let data_len = chunk.iter().position(|b| *b == b'=').unwrap_or(8);
        let mut n: u64 = 0;
        for (k, b) in chunk.iter().enumerate() {
            let v = if k < data_len {
                match B32.iter().position(|c| c == b) {
                    Some(v) => v as u64,
                    None => {
                        return Err(format!("illegal base32 data at input byte {}", ci * 8 + k));
                    }
                }
            } else if *b == b'=' {
                0
            } else {
                return Err(format!("illegal base32 data at input byte {}", ci * 8 + k));
            };
            n = (n << 5) | v;
        }
        let bytes = match data_len {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            2 => 1,
            _ => {
                return Err(format!(
                    "illegal base32 data at input byte {}",
                    ci * 8 + data_len
                ));
            }
        };
        for i in 0..bytes {
            out.push((n >> (32 - 8 * i)) as u8);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Digests

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

pub(super) fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(data))
}

pub(super) fn sha1_hex(data: &[u8]) -> String {
    use sha1::Digest;
    hex(&sha1::Sha1::digest(data))
}

pub(super) fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn digests_match_known_vectors() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(adler32(b"Wikipedia"), 0x11E60398);
    }

    #[test]
    fn base64_round_trip_and_errors() {
        assert_eq!(b64_encode(b"hello"), "aGVsbG8=");
        assert_eq!(b64_decode("aGVsbG8=").ok(), Some(b"hello".to_vec()));
        assert!(b64_decode("aGVsbG8").is_err());
        assert_eq!(b32_encode(b"hi"), "NBUQ====");
        assert_eq!(b32_decode("NBUQ====").ok(), Some(b"hi".to_vec()));
    }

    #[test]
    fn json_escapes_html_like_go() {
        let v = Value::str("a<b>&\"");
        assert_eq!(
            to_json(&v, true, false, 1000).ok().as_deref(),
            Some("\"a\\u003cb\\u003e\\u0026\\\"\"")
        );
        assert_eq!(
            to_json(&v, false, false, 1000).ok().as_deref(),
            Some("\"a<b>&\\\"\"")
        );
    }

    #[test]
    fn yaml_layout_like_go_yaml_v2() {
        let mut inner = BTreeMap::new();
        inner.insert("b".to_owned(), Value::str("true"));
        inner.insert(
            "a".to_owned(),
            Value::list(vec![Value::Float(1.0), Value::str("x y")]),
        );
        let mut m = BTreeMap::new();
        m.insert("k".to_owned(), Value::map(inner));
        m.insert("e".to_owned(), Value::map(BTreeMap::new()));
        m.insert("s".to_owned(), Value::str("line1\nline2"));
        let y = to_yaml(&Value::map(m), 1 << 20).unwrap_or_default();
        assert_eq!(
            y,
            "e: {}\nk:\n  a:\n  - 1\n  - x y\n  b: \"true\"\ns: |-\n  line1\n  line2"
        );
    }

    #[test]
    fn natural_key_order() {
        let mut keys = vec!["a10", "a2", "b", "A"];
        keys.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(keys, vec!["A", "a2", "a10", "b"]);
    }
}
