//! Parser for Go `text/template`: turns tokens into the template tree that `exec` walks.
//!
//! The structure and error messages follow Go's `text/template/parse` so a template that Go
//! rejects at parse time (unknown function, undefined variable, unbalanced `{{end}}`, bad
//! literal...) is rejected here too, before anything runs; Argo CD reports those as
//! "failed to parse template". Nesting is capped so hostile input cannot exhaust the stack.

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use super::lexer::{Item, Tok, lex};
use super::value::go_quote;

/// Deepest nesting of control structures and parenthesised pipelines accepted. Far beyond any
/// real ApplicationSet, small enough that the recursive parser and executor stay well inside
/// the native stack.
const MAX_NESTING: usize = 64;

#[derive(Debug, Clone)]
pub(super) enum Node {
    Text(String),
    /// `{{pipeline}}`: prints the value unless the pipeline declares variables.
    Action(Pipe),
    If(Control),
    Range(Control),
    With(Control),
    Template {
        pos: usize,
        name: String,
        pipe: Option<Pipe>,
    },
    Break,
    Continue,
}

#[derive(Debug, Clone)]
pub(super) struct Control {
    pub pos: usize,
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Option<Vec<Node>>,
}

#[derive(Debug, Clone)]
pub(super) struct Pipe {
    pub pos: usize,
    /// `=` rather than `:=`.
    pub is_assign: bool,
    pub decl: Vec<String>,
    pub cmds: Vec<Command>,
}

#[derive(Debug, Clone)]
pub(super) struct Command {
    pub pos: usize,
    pub args: Vec<Operand>,
}

/// A numeric literal with every interpretation Go's `NumberNode` records.
#[derive(Debug, Clone)]
pub(super) struct Number {
    pub text: String,
    pub is_int: bool,
    pub int: i64,
    pub is_float: bool,
    pub float: f64,
    /// Character constants (`'a'`) are integers even when they look nothing like one.
    pub is_char: bool,
}

#[derive(Debug, Clone)]
pub(super) enum Operand {
    Dot(usize),
    Nil(usize),
    Bool(usize, bool),
    Number(usize, Number),
    /// Unquoted value and original quoted text.
    Str(usize, String, String),
    /// `.a.b` as `["a", "b"]`.
    Field(usize, Vec<String>),
    /// `$x.a` as `["$x", "a"]`.
    Variable(usize, Vec<String>),
    /// A function name.
    Ident(usize, String),
    /// A parenthesised pipeline.
    Pipe(Box<Pipe>),
    /// `(pipeline).a.b`.
    Chain(usize, Box<Operand>, Vec<String>),
}

impl Operand {
    pub(super) fn pos(&self) -> usize {
        match self {
            Operand::Dot(p)
            | Operand::Nil(p)
            | Operand::Bool(p, _)
            | Operand::Number(p, _)
            | Operand::Str(p, _, _)
            | Operand::Field(p, _)
            | Operand::Variable(p, _)
            | Operand::Ident(p, _)
            | Operand::Chain(p, _, _) => *p,
            Operand::Pipe(p) => p.pos,
        }
    }
}

// Display renders nodes the way Go's `Node.String()` does; it appears in error contexts such as
// `executing at <.foo>`.
impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Dot(_) => f.write_str("."),
            Operand::Nil(_) => f.write_str("nil"),
            Operand::Bool(_, b) => write!(f, "{b}"),
            Operand::Number(_, n) => f.write_str(&n.text),
            Operand::Str(_, _, quoted) => f.write_str(quoted),
            Operand::Field(_, idents) => {
                for i in idents {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Operand::Variable(_, idents) => f.write_str(&idents.join(".")),
            Operand::Ident(_, name) => f.write_str(name),
            Operand::Pipe(p) => write!(f, "({p})"),
            Operand::Chain(_, node, fields) => {
                if matches!(**node, Operand::Pipe(_)) {
                    write!(f, "{node}")?;
                } else {
                    write!(f, "({node})")?;
                }
                for i in fields {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            f.write_str(&self.decl.join(", "))?;
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// A parsed template string: its main body plus the templates it `define`s.
#[derive(Debug, Clone, Default)]
pub(super) struct TemplateSet {
    pub main: Rc<Vec<Node>>,
    pub defs: HashMap<String, Rc<Vec<Node>>>,
}

/// A parse failure at a byte offset.
#[derive(Debug, Clone)]
pub(super) struct ParseError {
    pub pos: usize,
    pub msg: String,
}

type PResult<T> = Result<T, ParseError>;

/// What `textOrAction` produced: a node, or one of the delimiters that end a list.
enum Parsed {
    Node(Node),
    End(usize),
    Else(usize),
}

struct Parser<'f> {
    items: Vec<Item>,
    idx: usize,
    vars: Vec<String>,
    range_depth: usize,
    nesting: usize,
    func_exists: &'f dyn Fn(&str) -> bool,
    defs: HashMap<String, Rc<Vec<Node>>>,
}

/// Parses `text`. `func_exists` answers whether a function name is defined: Go checks every
/// function reference at parse time, even in branches that never run.
pub(super) fn parse(text: &str, func_exists: &dyn Fn(&str) -> bool) -> PResult<TemplateSet> {
    let mut p = Parser {
        items: lex(text),
        idx: 0,
        vars: vec!["$".to_owned()],
        range_depth: 0,
        nesting: 0,
        func_exists,
        defs: HashMap::new(),
    };
    let main = p.parse_top()?;
    Ok(TemplateSet {
        main: Rc::new(main),
        defs: p.defs,
    })
}

/// Go's rendering of a token inside "unexpected ..." messages.
fn item_desc(i: &Item) -> String {
    match i.kind {
        Tok::Eof => "EOF".to_owned(),
        Tok::Error => i.val.clone(),
        Tok::Block
        | Tok::Break
        | Tok::Continue
        | Tok::Dot
        | Tok::Define
        | Tok::Else
        | Tok::End
        | Tok::If
        | Tok::Nil
        | Tok::Range
        | Tok::Template
        | Tok::With => format!("<{}>", i.val),
        _ => {
            if i.val.chars().count() > 10 {
                let short: String = i.val.chars().take(10).collect();
                let q = go_quote(&short);
                format!("{q}...")
            } else {
                go_quote(&i.val)
            }
        }
    }
}

impl Parser<'_> {
    fn err<T>(&self, pos: usize, msg: impl Into<String>) -> PResult<T> {
        Err(ParseError {
            pos,
            msg: msg.into(),
        })
    }

    fn cur(&self) -> Item {
        self.items.get(self.idx).cloned().unwrap_or(Item {
            kind: Tok::Eof,
            pos: self.items.last().map(|i| i.pos).unwrap_or(0),
            val: String::new(),
        })
    }

    fn next(&mut self) -> Item {
        let it = self.cur();
        // Never advance past the final EOF/error token.
        if self.idx < self.items.len().saturating_sub(1) {
            self.idx += 1;
        } else {
            self.idx = self.items.len();
        }
        it
    }

    fn peek(&self) -> Item {
        self.cur()
    }

    fn backup(&mut self) {
        self.idx = self.idx.saturating_sub(1);
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let it = self.next();
            if it.kind != Tok::Space {
                return it;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let it = self.next_non_space();
        self.backup();
        it
    }

    fn unexpected<T>(&self, it: &Item, context: &str) -> PResult<T> {
        if it.kind == Tok::Error {
            return self.err(it.pos, it.val.clone());
        }
        self.err(
            it.pos,
            format!("unexpected {} in {}", item_desc(it), context),
        )
    }

    fn expect(&mut self, kind: Tok, context: &str) -> PResult<Item> {
        let it = self.next_non_space();
        if it.kind != kind {
            return self.unexpected(&it, context);
        }
        Ok(it)
    }

    fn enter(&mut self, pos: usize) -> PResult<()> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return self.err(
                pos,
                format!("template nesting exceeds {MAX_NESTING} levels"),
            );
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.nesting = self.nesting.saturating_sub(1);
    }

    fn parse_top(&mut self) -> PResult<Vec<Node>> {
        let mut root = Vec::new();
        loop {
            let tok = self.peek();
            if tok.kind == Tok::Eof || self.idx >= self.items.len() {
                break;
            }
            if tok.kind == Tok::LeftDelim {
                let save = self.idx;
                self.next();
                if self.next_non_space().kind == Tok::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.idx = save;
            }
            match self.text_or_action()? {
                Parsed::Node(n) => root.push(n),
                Parsed::End(pos) => return self.err(pos, "unexpected {{end}}"),
                Parsed::Else(pos) => return self.err(pos, "unexpected {{else}}"),
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let name_tok = self.next_non_space();
        if !matches!(name_tok.kind, Tok::String | Tok::RawString) {
            return self.unexpected(&name_tok, CONTEXT);
        }
        let name = unquote(&name_tok.val).map_err(|m| ParseError {
            pos: name_tok.pos,
            msg: m,
        })?;
        self.expect(Tok::RightDelim, CONTEXT)?;
        // Each definition is its own template with its own variable scope.
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".to_owned()]);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        if let Parsed::Else(pos) = end {
            return self.err(pos, format!("unexpected {{{{else}}}} in {CONTEXT}"));
        }
        self.add_def(name, list, name_tok.pos)
    }

    /// Go's `Tree.add`: an empty definition never replaces an existing one, and two non-empty
    /// definitions of one name in the same text are an error.
    fn add_def(&mut self, name: String, list: Vec<Node>, pos: usize) -> PResult<()> {
        let is_empty = |l: &[Node]| {
            l.iter()
                .all(|n| matches!(n, Node::Text(t) if t.trim().is_empty()))
        };
        match self.defs.get(&name) {
            Some(old) if !is_empty(old) => {
                if !is_empty(&list) {
                    return self.err(
                        pos,
                        format!(
                            "template: multiple definition of template {}",
                            go_quote(&name)
                        ),
                    );
                }
            }
            _ => {
                self.defs.insert(name, Rc::new(list));
            }
        }
        Ok(())
    }

    fn item_list(&mut self) -> PResult<(Vec<Node>, Parsed)> {
        let mut list = Vec::new();
        loop {
            let tok = self.peek_non_space();
            if tok.kind == Tok::Eof || self.idx >= self.items.len() {
                return self.err(tok.pos, "unexpected EOF");
            }
            match self.text_or_action()? {
                Parsed::Node(n) => list.push(n),
                other => return Ok((list, other)),
            }
        }
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let tok = self.next_non_space();
        match tok.kind {
            Tok::Text => Ok(Parsed::Node(Node::Text(tok.val))),
            Tok::LeftDelim => self.action(),
            _ => self.unexpected(&tok, "input"),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let tok = self.next_non_space();
        match tok.kind {
            Tok::Block => return self.block_control(tok.pos).map(Parsed::Node),
            Tok::Break | Tok::Continue => {
                let word = if tok.kind == Tok::Break {
                    "break"
                } else {
                    "continue"
                };
                let next = self.next_non_space();
                if next.kind != Tok::RightDelim {
                    return self.unexpected(&next, &format!("{{{{{word}}}}}"));
                }
                if self.range_depth == 0 {
                    return self.err(tok.pos, format!("{{{{{word}}}}} outside {{{{range}}}}"));
                }
                return Ok(Parsed::Node(if tok.kind == Tok::Break {
                    Node::Break
                } else {
                    Node::Continue
                }));
            }
            Tok::Else => {
                // "else if" / "else with" leave the keyword pending for the enclosing control.
                let peek = self.peek_non_space();
                if matches!(peek.kind, Tok::If | Tok::With) {
                    return Ok(Parsed::Else(tok.pos));
                }
                self.expect(Tok::RightDelim, "else")?;
                return Ok(Parsed::Else(tok.pos));
            }
            Tok::End => {
                self.expect(Tok::RightDelim, "end")?;
                return Ok(Parsed::End(tok.pos));
            }
            Tok::If => {
                return self
                    .control("if", tok.pos)
                    .map(|c| Parsed::Node(Node::If(c)));
            }
            Tok::Range => {
                return self
                    .control("range", tok.pos)
                    .map(|c| Parsed::Node(Node::Range(c)));
            }
            Tok::With => {
                return self
                    .control("with", tok.pos)
                    .map(|c| Parsed::Node(Node::With(c)));
            }
            Tok::Template => return self.template_control(tok.pos).map(Parsed::Node),
            _ => {}
        }
        self.backup();
        // Variables declared here persist until the enclosing "end".
        let pipe = self.pipeline("command", Tok::RightDelim)?;
        Ok(Parsed::Node(Node::Action(pipe)))
    }

    fn control(&mut self, context: &str, pos: usize) -> PResult<Control> {
        self.enter(pos)?;
        let vars_mark = self.vars.len();
        let result = self.control_inner(context);
        self.vars.truncate(vars_mark);
        self.leave();
        result
    }

    fn control_inner(&mut self, context: &str) -> PResult<Control> {
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let listed = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, next) = listed?;
        let mut else_list = None;
        match next {
            Parsed::End(_) => {}
            Parsed::Else(pos) => {
                let peek = self.peek();
                if context == "if" && peek.kind == Tok::If {
                    self.next();
                    else_list = Some(vec![Node::If(self.control("if", pos)?)]);
                } else if context == "with" && peek.kind == Tok::With {
                    self.next();
                    else_list = Some(vec![Node::With(self.control("with", pos)?)]);
                } else {
                    let (l, end) = self.item_list()?;
                    match end {
                        Parsed::End(_) => {}
                        Parsed::Else(p) => return self.err(p, "expected end; found {{else}}"),
                        Parsed::Node(_) => {}
                    }
                    else_list = Some(l);
                }
            }
            Parsed::Node(_) => {}
        }
        Ok(Control {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })
    }

    fn template_name(&self, tok: &Item, context: &str) -> PResult<String> {
        match tok.kind {
            Tok::String | Tok::RawString => unquote(&tok.val).map_err(|m| ParseError {
                pos: tok.pos,
                msg: m,
            }),
            _ => self.unexpected(tok, context),
        }
    }

    fn template_control(&mut self, pos: usize) -> PResult<Node> {
        const CONTEXT: &str = "template clause";
        let tok = self.next_non_space();
        let name = self.template_name(&tok, CONTEXT)?;
        let pipe = if self.next_non_space().kind != Tok::RightDelim {
            self.backup();
            Some(self.pipeline(CONTEXT, Tok::RightDelim)?)
        } else {
            None
        };
        Ok(Node::Template { pos, name, pipe })
    }

    fn block_control(&mut self, pos: usize) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        self.enter(pos)?;
        let tok = self.next_non_space();
        let name = self.template_name(&tok, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, Tok::RightDelim)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".to_owned()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let listed = self.item_list();
        self.vars = saved_vars;
        self.range_depth = saved_range;
        let (list, end) = listed?;
        if let Parsed::Else(p) = end {
            return self.err(p, format!("unexpected {{{{else}}}} in {CONTEXT}"));
        }
        self.add_def(name.clone(), list, pos)?;
        self.leave();
        Ok(Node::Template {
            pos,
            name,
            pipe: Some(pipe),
        })
    }

    fn pipeline(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        let start = self.peek_non_space();
        let mut pipe = Pipe {
            pos: start.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        // Declarations: "$x :=", "$x =", and for range "$i, $v :=".
        loop {
            let v = self.peek_non_space();
            if v.kind != Tok::Variable {
                break;
            }
            let save = self.idx;
            self.next_non_space();
            let token_after = self.peek();
            let next = self.peek_non_space();
            match next.kind {
                Tok::Assign | Tok::Declare => {
                    pipe.is_assign = next.kind == Tok::Assign;
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                    break;
                }
                Tok::Char if next.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                    if context == "range" && pipe.decl.len() < 2 {
                        let after = self.peek_non_space();
                        match after.kind {
                            Tok::Variable | Tok::RightDelim | Tok::RightParen => continue,
                            _ => return self.err(after.pos, "range can only initialize variables"),
                        }
                    }
                    return self.err(next.pos, format!("too many declarations in {context}"));
                }
                _ => {
                    let _ = token_after;
                    self.idx = save;
                    break;
                }
            }
        }
        loop {
            let tok = self.next_non_space();
            if tok.kind == end {
                self.check_pipeline(&pipe, context, tok.pos)?;
                return Ok(pipe);
            }
            match tok.kind {
                Tok::Bool
                | Tok::CharConstant
                | Tok::Dot
                | Tok::Field
                | Tok::Identifier
                | Tok::Number
                | Tok::Nil
                | Tok::RawString
                | Tok::String
                | Tok::Variable
                | Tok::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return self.unexpected(&tok, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str, pos: usize) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.err(pos, format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(
                    Operand::Bool(..)
                        | Operand::Dot(_)
                        | Operand::Nil(_)
                        | Operand::Number(..)
                        | Operand::Str(..)
                )
            ) {
                return self.err(
                    c.pos,
                    format!("non executable command in pipeline stage {}", i + 1),
                );
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let start = self.peek_non_space();
        let mut cmd = Command {
            pos: start.pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let tok = self.next();
            match tok.kind {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                _ => return self.unexpected(&tok, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.err(cmd.pos, "empty command");
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Operand>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Tok::Field {
            return Ok(Some(node));
        }
        let chain_pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().kind == Tok::Field {
            let f = self.next();
            fields.push(f.val.trim_start_matches('.').to_owned());
        }
        Ok(Some(match node {
            Operand::Field(pos, mut idents) => {
                idents.extend(fields);
                Operand::Field(pos, idents)
            }
            Operand::Variable(pos, mut idents) => {
                idents.extend(fields);
                Operand::Variable(pos, idents)
            }
            Operand::Bool(..)
            | Operand::Str(..)
            | Operand::Number(..)
            | Operand::Nil(_)
            | Operand::Dot(_) => {
                return self.err(
                    chain_pos,
                    format!("unexpected . after term {}", go_quote(&node.to_string())),
                );
            }
            other => Operand::Chain(chain_pos, Box::new(other), fields),
        }))
    }

    fn term(&mut self) -> PResult<Option<Operand>> {
        let tok = self.next_non_space();
        Ok(Some(match tok.kind {
            Tok::Identifier => {
                if !(self.func_exists)(&tok.val) {
                    return self.err(
                        tok.pos,
                        format!("function {} not defined", go_quote(&tok.val)),
                    );
                }
                Operand::Ident(tok.pos, tok.val)
            }
            Tok::Dot => Operand::Dot(tok.pos),
            Tok::Nil => Operand::Nil(tok.pos),
            Tok::Variable => {
                if !self.vars.contains(&tok.val) {
                    return self.err(
                        tok.pos,
                        format!("undefined variable {}", go_quote(&tok.val)),
                    );
                }
                Operand::Variable(tok.pos, vec![tok.val])
            }
            Tok::Field => Operand::Field(tok.pos, vec![tok.val.trim_start_matches('.').to_owned()]),
            Tok::Bool => Operand::Bool(tok.pos, tok.val == "true"),
            Tok::Number | Tok::CharConstant => {
                let n = parse_number(&tok.val, tok.kind == Tok::CharConstant).map_err(|m| {
                    ParseError {
                        pos: tok.pos,
                        msg: m,
                    }
                })?;
                Operand::Number(tok.pos, n)
            }
            Tok::LeftParen => {
                self.enter(tok.pos)?;
                let pipe = self.pipeline("parenthesized pipeline", Tok::RightParen);
                self.leave();
                Operand::Pipe(Box::new(pipe?))
            }
            Tok::String | Tok::RawString => {
                let s = unquote(&tok.val).map_err(|m| ParseError {
                    pos: tok.pos,
                    msg: m,
                })?;
                Operand::Str(tok.pos, s, tok.val)
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

/// Go's `strconv.Unquote` for the three quote styles a template can contain.
pub(super) fn unquote(s: &str) -> Result<String, String> {
    const BAD: &str = "invalid syntax";
    if let Some(inner) = s.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
        if inner.contains('`') {
            return Err(BAD.to_owned());
        }
        // Go drops carriage returns from raw strings.
        return Ok(inner.replace('\r', ""));
    }
    let (quote, inner) = if let Some(i) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        ('"', i)
    } else if let Some(i) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        ('\'', i)
    } else {
        return Err(BAD.to_owned());
    };
    let mut out = String::new();
    let mut rest = inner;
    while !rest.is_empty() {
        let (c, tail) = unquote_char(rest, quote).ok_or_else(|| BAD.to_owned())?;
        out.push(c);
        rest = tail;
    }
    if quote == '\'' && out.chars().count() != 1 {
        return Err(BAD.to_owned());
    }
    Ok(out)
}

/// Go's `strconv.UnquoteChar`: decodes one (possibly escaped) character. Byte escapes that do
/// not form valid UTF-8 decode to U+FFFD, since Rust strings cannot hold them.
fn unquote_char(s: &str, quote: char) -> Option<(char, &str)> {
    let mut chars = s.chars();
    let c = chars.next()?;
    if c == quote && (quote == '\'' || quote == '"') {
        return None;
    }
    if c != '\\' {
        if c == '\n' {
            return None;
        }
        return Some((c, chars.as_str()));
    }
    let e = chars.next()?;
    let rest = chars.as_str();
    let simple = match e {
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{b}'),
        '\\' => Some('\\'),
        '\'' | '"' => {
            if e != quote {
                return None;
            }
            Some(e)
        }
        _ => None,
    };
    if let Some(c) = simple {
        return Some((c, rest));
    }
    let (n, radix) = match e {
        'x' => (2, 16),
        'u' => (4, 16),
        'U' => (8, 16),
        '0'..='7' => (2, 8),
        _ => return None,
    };
    if e.is_ascii_digit() {
        let digits = format!("{e}{}", rest.get(..n)?);
        let v = u32::from_str_radix(&digits, 8).ok()?;
        if v > 255 {
            return None;
        }
        return Some((byte_char(v), rest.get(n..)?));
    }
    let digits = rest.get(..n)?;
    if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let v = u32::from_str_radix(digits, radix).ok()?;
    let c = if e == 'x' {
        byte_char(v)
    } else {
        char::from_u32(v)?
    };
    Some((c, rest.get(n..)?))
}

fn byte_char(v: u32) -> char {
    if v < 0x80 {
        char::from_u32(v).unwrap_or('\u{fffd}')
    } else {
        '\u{fffd}'
    }
}

/// Go's `strconv.ParseInt(text, 0, 64)`: sign, `0x`/`0o`/`0b`/leading-0 octal, underscores.
pub(super) fn parse_go_int(text: &str) -> Option<i64> {
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..)?),
        Some(b'+') => (false, text.get(1..)?),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_owned(), true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_owned(), true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_owned(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower.get(1..)?.to_owned(), true)
    } else {
        (10, lower.clone(), false)
    };
    if digits.contains('_') {
        // Underscores must sit between digits (or right after a base prefix).
        let ok = !digits.ends_with('_')
            && !digits.contains("__")
            && (prefixed || !digits.starts_with('_'));
        if !ok {
            return None;
        }
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if clean.is_empty() {
        return None;
    }
    let mag = u64::from_str_radix(&clean, radix).ok()?;
    if neg {
        if mag <= i64::MAX as u64 + 1 {
            Some((mag as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else {
        i64::try_from(mag).ok()
    }
}

fn parse_number(text: &str, is_char: bool) -> Result<Number, String> {
    let mut n = Number {
        text: text.to_owned(),
        is_int: false,
        int: 0,
        is_float: false,
        float: 0.0,
        is_char,
    };
    if is_char {
        let s = unquote(text).map_err(|_| format!("malformed character constant: {text}"))?;
        let c = s.chars().next().unwrap_or('\0');
        n.is_int = true;
        n.int = i64::from(u32::from(c));
        n.is_float = true;
        n.float = n.int as f64;
        return Ok(n);
    }
    if text.ends_with('i') {
        return Err(format!("complex constants are not supported: {text}"));
    }
    if let Some(i) = parse_go_int(text) {
        n.is_int = true;
        n.int = i;
        n.is_float = true;
        n.float = i as f64;
        return Ok(n);
    }
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    let is_hex = lower.trim_start_matches(['+', '-']).starts_with("0x");
    if !is_hex && let_parse_float_ok(&clean) {
        let f: f64 = clean.parse().unwrap_or(0.0);
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", go_quote(text)));
        }
        n.is_float = true;
        n.float = f;
        if f.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
            n.is_int = true;
            n.int = f as i64;
        }
        return Ok(n);
    }
    Err(format!("illegal number syntax: {}", go_quote(text)))
}

/// Whether Rust's float parser accepts exactly what Go's decimal float syntax accepts here.
fn let_parse_float_ok(s: &str) -> bool {
    let body = s.trim_start_matches(['+', '-']);
    if body.is_empty()
        || !body
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
    {
        return false;
    }
    s.parse::<f64>().is_ok_and(f64::is_finite)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(name: &str) -> bool {
        matches!(name, "printf" | "upper" | "default")
    }

    fn perr(s: &str) -> String {
        match parse(s, &known) {
            Ok(_) => String::new(),
            Err(e) => e.msg,
        }
    }

    #[test]
    fn unknown_function_is_a_parse_error() {
        // text/template checks functions at parse time: `function "foo" not defined`.
        assert_eq!(perr("{{ foo 1 }}"), "function \"foo\" not defined");
        assert_eq!(
            perr("{{ if false }}{{ foo }}{{ end }}"),
            "function \"foo\" not defined"
        );
    }

    #[test]
    fn structural_errors() {
        assert_eq!(perr("{{ end }}"), "unexpected {{end}}");
        assert_eq!(perr("{{ if .a }}x"), "unexpected EOF");
        assert_eq!(perr("{{ $x }}"), "undefined variable \"$x\"");
        assert_eq!(perr("{{ .a"), "unclosed action");
        assert_eq!(perr("{{}}"), "missing value for command");
        assert_eq!(perr("{{ break }}"), "{{break}} outside {{range}}");
        assert_eq!(
            perr("{{ .a | \"x\" }}"),
            "non executable command in pipeline stage 2"
        );
    }

    #[test]
    fn numbers() {
        let n = parse_number("0x1F", false).ok();
        assert_eq!(n.map(|n| n.int), Some(31));
        let n = parse_number("017", false).ok();
        assert_eq!(n.map(|n| n.int), Some(15));
        let n = parse_number("3.0", false).ok();
        assert!(n.is_some_and(|n| n.is_int && n.is_float));
        let n = parse_number("'a'", true).ok();
        assert_eq!(n.map(|n| n.int), Some(97));
        assert!(parse_number("99999999999999999999", false).is_err());
    }

    #[test]
    fn unquote_go_escapes() {
        assert_eq!(unquote("\"a\\tb\\u00e9\"").ok().as_deref(), Some("a\tbé"));
        assert_eq!(unquote("`a\\n`").ok().as_deref(), Some("a\\n"));
        assert!(unquote("\"\\q\"").is_err());
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!("{{{{{}1{}}}}}", "(".repeat(500), ")".repeat(500));
        assert!(perr(&deep).contains("nesting"));
    }
}
