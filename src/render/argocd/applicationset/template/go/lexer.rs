//! Tokenizer for Go `text/template` source, as used by Argo CD's goTemplate mode.
//!
//! It follows the token rules of Go's `text/template/parse` lexer (delimiters `{{ }}`, trim
//! markers `{{- ` / ` -}}`, comments, quoted/raw strings, numbers, fields, variables and
//! keywords) so that templates Go accepts lex the same way and templates Go rejects fail with the
//! same message. The whole input is tokenized up front; a lexing error becomes the last token, so
//! the parser reports it at the same point Go's lazy lexer would.

/// Kind of a token. Names mirror Go's `itemType` so the parser reads like the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tok {
    Error,
    Bool,
    Char,
    CharConstant,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords.
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

/// One token: its kind, byte offset in the source, and text (the error message for `Tok::Error`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Item {
    pub kind: Tok,
    pub pos: usize,
    pub val: String,
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";

/// Go's `isSpace`: only these four bytes separate words inside actions and are trimmed by markers.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Go's `isAlphaNumeric`: underscore, letters and digits.
pub(super) fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

fn has_left_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(char::from(b[1]))
}

fn has_right_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(char::from(b[0])) && b[1] == b'-'
}

/// Go's `%#U` rendering of a rune, used in "bad character" messages.
fn rune_desc(c: char) -> String {
    format!("U+{:04X} '{}'", u32::from(c), c)
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    items: Vec<Item>,
    paren_depth: i64,
}

/// Tokenizes `input`. The returned list always ends with `Tok::Eof` or `Tok::Error`.
pub(super) fn lex(input: &str) -> Vec<Item> {
    let mut l = Lexer {
        input,
        pos: 0,
        start: 0,
        items: Vec::new(),
        paren_depth: 0,
    };
    l.run();
    l.items
}

enum State {
    Text,
    InsideAction,
    Done,
}

impl<'a> Lexer<'a> {
    fn run(&mut self) {
        let mut state = State::Text;
        loop {
            state = match state {
                State::Text => self.lex_text(),
                State::InsideAction => self.lex_inside_action(),
                State::Done => return,
            };
        }
    }

    fn rest(&self) -> &'a str {
        self.input.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn next_char(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn emit(&mut self, kind: Tok) {
        let val = self
            .input
            .get(self.start..self.pos)
            .unwrap_or("")
            .to_owned();
        self.items.push(Item {
            kind,
            pos: self.start,
            val,
        });
        self.start = self.pos;
    }

    fn error(&mut self, msg: String) -> State {
        self.items.push(Item {
            kind: Tok::Error,
            pos: self.start,
            val: msg,
        });
        State::Done
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    /// Whether the right delimiter (optionally preceded by a trim marker) starts here.
    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim_marker(rest) && rest.get(2..).is_some_and(|r| r.starts_with(RIGHT)) {
            return (true, true);
        }
        (rest.starts_with(RIGHT), false)
    }

    fn lex_text(&mut self) -> State {
        let rest = self.rest();
        if let Some(x) = rest.find(LEFT) {
            let delim_pos = self.pos + x;
            let after = self.input.get(delim_pos + LEFT.len()..).unwrap_or("");
            let mut text_end = delim_pos;
            if has_left_trim_marker(after) {
                let text = self.input.get(self.start..delim_pos).unwrap_or("");
                text_end = self.start + text.trim_end_matches(is_space).len();
            }
            if text_end > self.start {
                self.pos = text_end;
                self.emit(Tok::Text);
            }
            self.pos = delim_pos;
            self.start = delim_pos;
            return self.lex_left_delim();
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.emit(Tok::Text);
        }
        self.emit(Tok::Eof);
        State::Done
    }

    fn lex_left_delim(&mut self) -> State {
        self.pos += LEFT.len();
        let trim = has_left_trim_marker(self.rest());
        let after_marker = if trim { 2 } else { 0 };
        if self
            .input
            .get(self.pos + after_marker..)
            .is_some_and(|r| r.starts_with(LEFT_COMMENT))
        {
            self.pos += after_marker;
            self.start = self.pos;
            return self.lex_comment();
        }
        self.emit(Tok::LeftDelim);
        self.pos += after_marker;
        self.start = self.pos;
        self.paren_depth = 0;
        State::InsideAction
    }

    fn lex_comment(&mut self) -> State {
        self.pos += LEFT_COMMENT.len();
        let Some(x) = self.rest().find(RIGHT_COMMENT) else {
            return self.error("unclosed comment".to_owned());
        };
        self.pos += x + RIGHT_COMMENT.len();
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.error("comment ends before closing delimiter".to_owned());
        }
        if trim {
            self.pos += 2;
        }
        self.pos += RIGHT.len();
        if trim {
            self.skip_leading_space();
        }
        // Comments produce no output and no token; Go drops them unless asked to keep them.
        self.start = self.pos;
        State::Text
    }

    fn skip_leading_space(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start_matches(is_space).len();
    }

    fn lex_right_delim(&mut self) -> State {
        let (_, trim) = self.at_right_delim();
        if trim {
            self.pos += 2;
            self.start = self.pos;
        }
        self.pos += RIGHT.len();
        self.emit(Tok::RightDelim);
        if trim {
            self.skip_leading_space();
            self.start = self.pos;
        }
        State::Text
    }

    fn lex_inside_action(&mut self) -> State {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return self.lex_right_delim();
            }
            return self.error("unclosed left paren".to_owned());
        }
        let Some(c) = self.next_char() else {
            return self.error("unclosed action".to_owned());
        };
        match c {
            c if is_space(c) => {
                self.pos -= c.len_utf8();
                return self.lex_space();
            }
            '=' => self.emit(Tok::Assign),
            ':' => {
                if self.next_char() != Some('=') {
                    return self.error("expected :=".to_owned());
                }
                self.emit(Tok::Declare);
            }
            '|' => self.emit(Tok::Pipe),
            '"' => return self.lex_quote(),
            '`' => return self.lex_raw_quote(),
            '$' => return self.lex_variable(),
            '\'' => return self.lex_char(),
            '.' => {
                // ".field" unless a digit follows, in which case it is a number like ".5".
                match self.peek() {
                    Some(d) if d.is_ascii_digit() => {
                        self.pos -= 1;
                        return self.lex_number();
                    }
                    _ => return self.lex_field_or_variable(Tok::Field),
                }
            }
            '+' | '-' | '0'..='9' => {
                self.pos -= 1;
                return self.lex_number();
            }
            c if is_alnum(c) => {
                self.pos -= c.len_utf8();
                return self.lex_identifier();
            }
            '(' => {
                self.emit(Tok::LeftParen);
                self.paren_depth += 1;
            }
            ')' => {
                // Go emits the token before complaining, so the parser reports it in context
                // ("unexpected \")\" in command").
                self.emit(Tok::RightParen);
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return self.error("unexpected right paren".to_owned());
                }
            }
            c if c.is_ascii() && !c.is_ascii_control() => self.emit(Tok::Char),
            c => {
                return self.error(format!(
                    "unrecognized character in action: {}",
                    rune_desc(c)
                ));
            }
        }
        State::InsideAction
    }

    fn lex_space(&mut self) -> State {
        let mut num = 0usize;
        while let Some(c) = self.peek() {
            if !is_space(c) {
                break;
            }
            self.pos += 1;
            num += 1;
        }
        // A single space directly before "-}}" belongs to the trim marker, not to the action.
        let before = self.input.get(self.pos - 1..).unwrap_or("");
        if has_right_trim_marker(before) && before.get(2..).is_some_and(|r| r.starts_with(RIGHT)) {
            self.pos -= 1;
            if num == 1 {
                return State::InsideAction;
            }
        }
        self.emit(Tok::Space);
        State::InsideAction
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.rest().starts_with(RIGHT),
        }
    }

    fn lex_identifier(&mut self) -> State {
        while let Some(c) = self.peek() {
            if !is_alnum(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or(' ');
            return self.error(format!("bad character {}", rune_desc(c)));
        }
        let word = self.input.get(self.start..self.pos).unwrap_or("");
        let kind = match word {
            "block" => Tok::Block,
            "break" => Tok::Break,
            "continue" => Tok::Continue,
            "define" => Tok::Define,
            "else" => Tok::Else,
            "end" => Tok::End,
            "if" => Tok::If,
            "range" => Tok::Range,
            "nil" => Tok::Nil,
            "template" => Tok::Template,
            "with" => Tok::With,
            "true" | "false" => Tok::Bool,
            _ => Tok::Identifier,
        };
        self.emit(kind);
        State::InsideAction
    }

    fn lex_variable(&mut self) -> State {
        if self.at_terminator() {
            self.emit(Tok::Variable);
            return State::InsideAction;
        }
        self.lex_field_or_variable(Tok::Variable)
    }

    fn lex_field_or_variable(&mut self, kind: Tok) -> State {
        if self.at_terminator() {
            self.emit(if kind == Tok::Variable {
                Tok::Variable
            } else {
                Tok::Dot
            });
            return State::InsideAction;
        }
        while let Some(c) = self.peek() {
            if !is_alnum(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or(' ');
            return self.error(format!("bad character {}", rune_desc(c)));
        }
        self.emit(kind);
        State::InsideAction
    }

    fn lex_quote(&mut self) -> State {
        loop {
            match self.next_char() {
                Some('\\') => match self.next_char() {
                    Some('\n') | None => {
                        return self.error("unterminated quoted string".to_owned());
                    }
                    Some(_) => {}
                },
                Some('\n') | None => return self.error("unterminated quoted string".to_owned()),
                Some('"') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::String);
        State::InsideAction
    }

    fn lex_raw_quote(&mut self) -> State {
        loop {
            match self.next_char() {
                None => return self.error("unterminated raw quoted string".to_owned()),
                Some('`') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::RawString);
        State::InsideAction
    }

    fn lex_char(&mut self) -> State {
        loop {
            match self.next_char() {
                Some('\\') => match self.next_char() {
                    Some('\n') | None => {
                        return self.error("unterminated character constant".to_owned());
                    }
                    Some(_) => {}
                },
                Some('\n') | None => {
                    return self.error("unterminated character constant".to_owned());
                }
                Some('\'') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::CharConstant);
        State::InsideAction
    }

    fn lex_number(&mut self) -> State {
        if !self.scan_number() {
            let text = self.input.get(self.start..self.pos).unwrap_or("");
            let msg = format!("bad number syntax: {}", super::value::go_quote(text));
            return self.error(msg);
        }
        if matches!(self.peek(), Some('+' | '-')) {
            // Go would lex a complex literal such as 1+2i here; this renderer has no complex
            // numbers, so report it as Go reports any malformed number.
            let _ = self.scan_number();
            let text = self.input.get(self.start..self.pos).unwrap_or("");
            let msg = format!("bad number syntax: {}", super::value::go_quote(text));
            return self.error(msg);
        }
        self.emit(Tok::Number);
        State::InsideAction
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alnum) {
            let _ = self.next_char();
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        lex(s).into_iter().map(|i| i.kind).collect()
    }

    #[test]
    fn text_and_action() {
        assert_eq!(
            kinds("a{{.b}}c"),
            vec![
                Tok::Text,
                Tok::LeftDelim,
                Tok::Field,
                Tok::RightDelim,
                Tok::Text,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn trim_markers_drop_surrounding_space() {
        let items = lex("a  {{- .b -}}  c");
        assert_eq!(items[0].val, "a");
        assert_eq!(items.last().map(|i| i.kind), Some(Tok::Eof));
        let text: Vec<_> = items
            .iter()
            .filter(|i| i.kind == Tok::Text)
            .map(|i| i.val.as_str())
            .collect();
        assert_eq!(text, vec!["a", "c"]);
    }

    #[test]
    fn bad_character_in_field_is_reported_like_go() {
        // text/template: a hyphen cannot appear in a field name ("{{.my-label}}").
        let items = lex("{{.my-label}}");
        let last = items.last().map(|i| i.val.clone()).unwrap_or_default();
        assert_eq!(last, "bad character U+002D '-'");
    }

    #[test]
    fn comments_vanish() {
        assert_eq!(kinds("{{/* hi */}}x"), vec![Tok::Text, Tok::Eof]);
        assert_eq!(kinds("{{/* hi */ x}}").last(), Some(&Tok::Error));
    }
}
