//! Text from the repository made safe to show: the characters that would move a terminal's
//! cursor, reorder text or start a line of their own in a CI log are escaped. A leaf module:
//! loading (YAML error messages), diffs and every report use it, and it imports nothing of the
//! crate.

use std::borrow::Cow;

/// Whether a character must not reach a terminal, a CI log or a rendered page as itself: the C0
/// controls (line breaks, ESC), DEL, the C1 controls (one-byte CSI), the Unicode line and
/// paragraph separators, and the bidirectional marks and overrides that reorder what is shown.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// The visible escape shown instead of an unsafe character: `\n`, `\r`, `\t`, else `\u{1b}`.
fn escape_char(c: char, out: &mut String) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        _ => {
            use std::fmt::Write as _;
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// Untrusted text made safe to show on one line: every [unsafe character](is_unsafe_char),
/// line breaks and tabs included, becomes a visible escape. Borrowed when nothing changes.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe_char(c) {
            escape_char(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether [`printable_lines`] keeps this character at `rest` (the text from it on): line feeds,
/// tabs, and the carriage return of a CRLF line ending.
fn kept_in_lines(c: char, rest: &str) -> bool {
    match c {
        '\n' | '\t' => true,
        '\r' => rest.as_bytes().get(1) == Some(&b'\n'),
        _ => false,
    }
}

/// Whether [`printable_lines`] escapes the character `c` found at byte `i` of `s`.
fn unsafe_in_lines(s: &str, i: usize, c: char) -> bool {
    is_unsafe_char(c) && !kept_in_lines(c, &s[i..])
}

/// Untrusted text that spans lines (a source snippet, a unified diff): line breaks and tabs stay,
/// every other [unsafe character](is_unsafe_char) — a lone carriage return too — becomes a
/// visible escape. Borrowed when nothing changes.
pub fn printable_lines(s: &str) -> Cow<'_, str> {
    match PrintableText::new(s) {
        Some(p) => Cow::Owned(p.text),
        None => Cow::Borrowed(s),
    }
}

/// [`printable_lines`] that also says where each escape went, so that byte spans into the
/// original text can be moved onto the printable one (miette's labels on a source snippet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintableText {
    pub text: String,
    /// `(offset in the original just after an escaped character, bytes added so far)`, ascending.
    shifts: Vec<(usize, usize)>,
}

impl PrintableText {
    /// `None` when the text is printable as it is.
    pub fn new(s: &str) -> Option<Self> {
        if !s.char_indices().any(|(i, c)| unsafe_in_lines(s, i, c)) {
            return None;
        }
        let mut text = String::with_capacity(s.len() + 8);
        let mut shifts = Vec::new();
        for (i, c) in s.char_indices() {
            if unsafe_in_lines(s, i, c) {
                escape_char(c, &mut text);
                let end = i + c.len_utf8();
                shifts.push((end, text.len() - end));
            } else {
                text.push(c);
            }
        }
        Some(PrintableText { text, shifts })
    }

    /// A byte offset into the original text as an offset into [`Self::text`]: an offset at or
    /// before an escaped character stays before its escape, one after it moves past the escape.
    pub fn offset(&self, original: usize) -> usize {
        let i = self.shifts.partition_point(|&(end, _)| end <= original);
        original + i.checked_sub(1).map_or(0, |i| self.shifts[i].1)
    }
}

/// Pretty JSON in which the characters a terminal or a log would act on are `\u` escapes even
/// where JSON allows them raw (DEL, C1, the line separators, the bidi controls). The values read
/// back exactly as they were: such characters only ever appear inside strings.
pub fn json_text(value: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s = escape_json_unsafe(&s);
    s.push('\n');
    s
}

/// Replaces the unsafe characters left raw in serialized JSON (or a YAML double-quoted scalar,
/// which reads the same escapes) by `\uXXXX`.
pub fn escape_json_unsafe(json: &str) -> String {
    // Raw line breaks and tabs in serialized JSON are layout: serde escapes them in strings.
    let escaped = |c: char| is_unsafe_char(c) && !matches!(c, '\n' | '\t' | '\r');
    if !json.chars().any(escaped) {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if escaped(c) {
            use std::fmt::Write as _;
            // Every such character is in the Basic Multilingual Plane: four digits suffice.
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}
