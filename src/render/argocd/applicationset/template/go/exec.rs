//! Executes a parsed template tree with Go `text/template` semantics.
//!
//! This owns evaluation order and Go's value rules: field chains on maps (missing keys give
//! `<no value>`, or an error under `missingkey=error`), variables and their scopes, `if` /
//! `with` / `range` (lists, maps in key order, integers, `break`/`continue`), `template`
//! calls, argument type checking against each function's Go signature, the "dig down one
//! interface level" step after every pipeline command, and printing. Every node visit and loop
//! iteration is charged to a step budget, and recursion depth is capped, so hostile templates
//! end in an error rather than a hang or a stack overflow.

use std::rc::Rc;

use super::super::TemplateError;
use super::funcs::{self, P, Sig};
use super::parse::{Node, Number, Operand, Pipe, TemplateSet};
use super::value::{Buf, Value, borrow, go_quote, sprint_v, write_v};
use super::{Fail, line_col};

/// Evaluation steps one template string may take (node visits, loop iterations, elements
/// processed by functions).
pub(crate) const MAX_STEPS: u64 = 2_000_000;
/// Largest string one template may produce, and largest string any function may build.
pub(super) const MAX_OUTPUT: usize = 1 << 20;
/// Nesting of pipelines, control structures and template calls during execution. Chosen so
/// the deepest chain of executor frames fits in a 1 MiB thread stack even in debug builds.
const MAX_EXEC_DEPTH: usize = 100;
/// Nesting of Argo CD's `tpl` (each level stacks a whole executor); no real template nests it.
const MAX_TPL_DEPTH: usize = 8;

/// Resources shared by every template string rendered for one ApplicationSet element, so the
/// whole rendering (not just one field) is bounded.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    pub steps: u64,
    pub output: usize,
    pub memory: Memory,
}

impl Budget {
    pub(crate) fn new(steps: u64, output: usize, memory: usize) -> Budget {
        Budget {
            steps,
            output,
            memory: Memory::new(memory),
        }
    }
}

/// The bytes of values an evaluation has created (limit `template-memory`).
///
/// Steps and the output cap do not bound memory: `set` can store a fresh 1 MiB string in a map
/// 100,000 times in 300,000 steps, and the output stays empty (issue 11: a 529-byte
/// ApplicationSet aborted the process with "memory allocation failed"). So every value a
/// function returns, and every entry `set` or `merge` adds to a map, is charged by the bytes it
/// newly holds. A value already charged is recognised by its allocation and charged once; what is
/// charged is kept alive until the evaluation ends, so no later allocation can reuse its address
/// and pass for it. Nothing is credited back when a value is dropped: the charge is an upper
/// bound of the live values, and the bytes held by the evaluation's own values never exceed it.
/// Parameters are not charged up front; a part of them a function returns is charged once.
#[derive(Debug, Clone)]
pub(crate) struct Memory {
    pub left: usize,
    pub limit: usize,
    seen: std::collections::HashSet<usize>,
    pinned: Vec<Value>,
}

/// What a string, list or map costs besides its content: the shared allocation's counters.
const RC_HEADER: usize = 2 * std::mem::size_of::<usize>();
/// One map entry: its key and value slots plus the B-tree's share of a node.
const MAP_ENTRY: usize = std::mem::size_of::<(String, Value)>() + 16;

impl Memory {
    pub(crate) fn new(limit: usize) -> Memory {
        Memory {
            left: limit,
            limit,
            seen: std::collections::HashSet::new(),
            pinned: Vec::new(),
        }
    }

    fn take(&mut self, n: usize) -> Result<(), Fail> {
        match self.left.checked_sub(n) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => {
                self.left = 0;
                Err(Fail::limit(MEMORY_LIMIT, self.limit))
            }
        }
    }

    /// Charges the bytes of `v` not charged before: each string, list and map allocation once.
    pub(super) fn charge_value(&mut self, v: &Value) -> Result<(), Fail> {
        let mut stack: Vec<Value> = vec![v.clone()];
        while let Some(v) = stack.pop() {
            // The identity first: a map met again (each `set` returns its map) costs nothing,
            // where summing its keys first made a loop of `set`s quadratic (fuzz, go_template).
            let key = match &v {
                Value::Str(s) => s.as_ptr() as usize,
                Value::List(l) => Rc::as_ptr(l) as *const u8 as usize,
                Value::Map(m) => Rc::as_ptr(m) as *const u8 as usize,
                _ => continue,
            };
            if self.seen.contains(&key) {
                continue;
            }
            let own = match &v {
                Value::Str(s) => RC_HEADER + s.len(),
                Value::List(l) => RC_HEADER + l.len() * std::mem::size_of::<Value>(),
                Value::Map(m) => {
                    let Ok(entries) = m.try_borrow() else {
                        continue;
                    };
                    let keys: usize = entries.keys().map(String::len).sum();
                    RC_HEADER + entries.len() * MAP_ENTRY + keys
                }
                _ => continue,
            };
            self.seen.insert(key);
            self.take(own)?;
            match &v {
                Value::List(l) => stack.extend(l.iter().filter(|x| is_shared(x)).cloned()),
                Value::Map(m) => {
                    if let Ok(entries) = m.try_borrow() {
                        stack.extend(entries.values().filter(|x| is_shared(x)).cloned());
                    }
                }
                _ => {}
            }
            self.pinned.push(v);
        }
        Ok(())
    }

    /// Charges a key a map did not hold before (its value is charged by `charge_value`).
    pub(super) fn charge_new_key(&mut self, key: &str) -> Result<(), Fail> {
        self.take(MAP_ENTRY + key.len())
    }
}

/// A value held through a shared allocation (the ones `Memory` charges).
fn is_shared(v: &Value) -> bool {
    matches!(v, Value::Str(_) | Value::List(_) | Value::Map(_))
}

/// How the memory limit is named in its error: the configuration key that sets it.
pub(crate) const MEMORY_LIMIT: &str = "`template-memory` (bytes of values created)";

/// Per-execution context that functions can charge work to.
pub(super) struct Ctx<'b> {
    pub budget: &'b mut Budget,
    pub missing_key_error: bool,
}

impl Ctx<'_> {
    pub(super) fn charge(&mut self, n: u64) -> Result<(), Fail> {
        if self.budget.steps < n {
            self.budget.steps = 0;
            return Err(Fail::limit("execution steps", MAX_STEPS as usize));
        }
        self.budget.steps -= n;
        Ok(())
    }

    /// Charges the bytes of `v` not charged before against the memory budget.
    pub(super) fn charge_value(&mut self, v: &Value) -> Result<(), Fail> {
        self.budget.memory.charge_value(v)
    }
}

/// An execution failure at a byte offset, with the node text Go shows as `<...>`.
#[derive(Debug, Clone)]
pub(super) struct ExecErr {
    pub pos: usize,
    pub context: String,
    pub fail: Fail,
}

impl ExecErr {
    pub(super) fn into_template_error(self, text: &str) -> TemplateError {
        let (line, column) = line_col(text, self.pos);
        match self.fail {
            Fail::Msg(message) => TemplateError::Exec {
                offset: self.pos,
                line,
                column,
                context: self.context,
                message,
            },
            Fail::Unsupported(name) => TemplateError::Unsupported {
                offset: self.pos,
                line,
                column,
                name,
            },
            Fail::Limit(what, limit) => TemplateError::Limit { what, limit },
        }
    }
}

type EResult<T> = Result<T, ExecErr>;

enum Flow {
    Normal,
    Break,
    Continue,
}

struct State<'s, 'b> {
    set: &'s TemplateSet,
    vars: Vec<(String, Value)>,
    depth: usize,
    tpl_depth: usize,
    ctx: Ctx<'b>,
}

/// Runs the main template of `set` with `data` as dot and `$`.
pub(super) fn execute(
    set: &TemplateSet,
    data: &Value,
    missing_key_error: bool,
    budget: &mut Budget,
) -> EResult<String> {
    let cap = MAX_OUTPUT.min(budget.output);
    let mut out = Buf::new(cap);
    let main = Rc::clone(&set.main);
    let mut st = State {
        set,
        vars: vec![("$".to_owned(), data.clone())],
        depth: 0,
        tpl_depth: 0,
        ctx: Ctx {
            budget,
            missing_key_error,
        },
    };
    st.walk(data, &main, &mut out)?;
    st.ctx.budget.output = st.ctx.budget.output.saturating_sub(out.s.len());
    Ok(out.s)
}

fn at(pos: usize, context: impl Into<String>, fail: Fail) -> ExecErr {
    ExecErr {
        pos,
        context: context.into(),
        fail,
    }
}

fn err_at<T>(pos: usize, context: impl Into<String>, msg: impl Into<String>) -> EResult<T> {
    Err(at(pos, context, Fail::msg(msg)))
}

impl State<'_, '_> {
    fn step(&mut self, pos: usize, context: &dyn Fn() -> String) -> EResult<()> {
        self.ctx.charge(1).map_err(|f| at(pos, context(), f))
    }

    fn enter(&mut self, pos: usize) -> EResult<()> {
        self.depth += 1;
        if self.depth > MAX_EXEC_DEPTH {
            return Err(at(
                pos,
                "",
                Fail::limit("template execution depth", MAX_EXEC_DEPTH),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn walk(&mut self, dot: &Value, nodes: &[Node], out: &mut Buf) -> EResult<Flow> {
        for n in nodes {
            match self.walk_node(dot, n, out)? {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_node(&mut self, dot: &Value, node: &Node, out: &mut Buf) -> EResult<Flow> {
        match node {
            Node::Text(t) => {
                self.step(0, &String::new)?;
                out.push_str(t).map_err(|f| at(0, "", f))?;
                Ok(Flow::Normal)
            }
            Node::Action(pipe) => {
                self.step(pipe.pos, &|| pipe.to_string())?;
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    print_value(out, &v).map_err(|f| at(pipe.pos, format!("{pipe}"), f))?;
                }
                Ok(Flow::Normal)
            }
            Node::If(c) | Node::With(c) => {
                let is_with = matches!(node, Node::With(_));
                self.step(c.pos, &|| c.pipe.to_string())?;
                self.enter(c.pos)?;
                let mark = self.vars.len();
                let val = self.eval_pipeline(dot, &c.pipe)?;
                let flow = if val.truth() {
                    let new_dot = if is_with { &val } else { dot };
                    self.walk(new_dot, &c.list, out)?
                } else if let Some(e) = &c.else_list {
                    self.walk(dot, e, out)?
                } else {
                    Flow::Normal
                };
                self.vars.truncate(mark);
                self.leave();
                Ok(flow)
            }
            Node::Range(c) => {
                self.step(c.pos, &|| c.pipe.to_string())?;
                self.enter(c.pos)?;
                let mark = self.vars.len();
                self.walk_range(dot, c, out)?;
                self.vars.truncate(mark);
                self.leave();
                Ok(Flow::Normal)
            }
            Node::Template { pos, name, pipe } => {
                self.step(*pos, &|| format!("template {}", go_quote(name)))?;
                let Some(body) = self.set.defs.get(name).cloned() else {
                    return err_at(
                        *pos,
                        format!("template {}", go_quote(name)),
                        format!("template {} not defined", go_quote(name)),
                    );
                };
                let new_dot = match pipe {
                    Some(p) => self.eval_pipeline(dot, p)?,
                    None => Value::Missing,
                };
                self.enter(*pos)?;
                // Template invocations inherit no variables but `$`.
                let saved =
                    std::mem::replace(&mut self.vars, vec![("$".to_owned(), new_dot.clone())]);
                let r = self.walk(&new_dot, &body, out);
                self.vars = saved;
                self.leave();
                r?;
                Ok(Flow::Normal)
            }
            Node::Break => Ok(Flow::Break),
            Node::Continue => Ok(Flow::Continue),
        }
    }

    fn walk_range(&mut self, dot: &Value, c: &super::parse::Control, out: &mut Buf) -> EResult<()> {
        let val = self.eval_pipeline(dot, &c.pipe)?;
        let ctx = || c.pipe.to_string();
        let ran = match &val {
            Value::List(l) => {
                let items = l
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (Value::Int(i as i64), e.clone()));
                self.range_items(c, items, out)?
            }
            Value::Map(m) => {
                // Go sorts the keys and reads the values before iterating, so changes the
                // body makes to the map do not affect this loop.
                let entries: Vec<(Value, Value)> = borrow(m)
                    .map_err(|f| at(c.pos, ctx(), f))?
                    .iter()
                    .map(|(k, v)| (Value::str(k.as_str()), v.clone()))
                    .collect();
                self.range_items(c, entries.into_iter(), out)?
            }
            Value::Int(n) | Value::Int64(n) => {
                if c.pipe.decl.len() > 1 {
                    return err_at(
                        c.pos,
                        ctx(),
                        format!("can't use {n} to iterate over more than one variable"),
                    );
                }
                let wide = matches!(val, Value::Int64(_));
                let items = (0..(*n).max(0)).map(|i| {
                    let v = if wide { Value::Int64(i) } else { Value::Int(i) };
                    (Value::Missing, v)
                });
                self.range_items(c, items, out)?
            }
            Value::Missing | Value::Nil => false,
            other => {
                let shown = sprint_v(other, 256).unwrap_or_default();
                return err_at(c.pos, ctx(), format!("range can't iterate over {shown}"));
            }
        };
        if !ran && let Some(e) = &c.else_list {
            self.walk(dot, e, out)?;
        }
        Ok(())
    }

    /// Runs the range body once per (index, element); returns whether it ran at all.
    fn range_items(
        &mut self,
        c: &super::parse::Control,
        items: impl Iterator<Item = (Value, Value)>,
        out: &mut Buf,
    ) -> EResult<bool> {
        let body_mark = self.vars.len();
        let mut ran = false;
        for (index, elem) in items {
            ran = true;
            self.step(c.pos, &|| c.pipe.to_string())?;
            self.set_range_vars(c, index, elem.clone())?;
            let flow = self.walk(&elem, &c.list, out)?;
            self.vars.truncate(body_mark);
            if let Flow::Break = flow {
                break;
            }
        }
        Ok(ran)
    }

    fn set_range_vars(
        &mut self,
        c: &super::parse::Control,
        index: Value,
        elem: Value,
    ) -> EResult<()> {
        let decl = &c.pipe.decl;
        if decl.is_empty() {
            return Ok(());
        }
        if c.pipe.is_assign {
            if decl.len() > 1 {
                self.set_var(&decl[0], index, c.pos)?;
                self.set_var(&decl[1], elem, c.pos)?;
            } else {
                self.set_var(&decl[0], elem, c.pos)?;
            }
            return Ok(());
        }
        let n = self.vars.len();
        if let Some(top) = self.vars.get_mut(n.wrapping_sub(1)) {
            top.1 = elem;
        }
        if decl.len() > 1
            && let Some(second) = self.vars.get_mut(n.wrapping_sub(2))
        {
            second.1 = index;
        }
        Ok(())
    }

    fn set_var(&mut self, name: &str, value: Value, pos: usize) -> EResult<()> {
        for v in self.vars.iter_mut().rev() {
            if v.0 == name {
                v.1 = value;
                return Ok(());
            }
        }
        err_at(pos, name, format!("undefined variable: {name}"))
    }

    fn var_value(&self, name: &str, pos: usize) -> EResult<Value> {
        for v in self.vars.iter().rev() {
            if v.0 == name {
                return Ok(v.1.clone());
            }
        }
        err_at(pos, name, format!("undefined variable: {name}"))
    }

    fn eval_pipeline(&mut self, dot: &Value, pipe: &Pipe) -> EResult<Value> {
        self.enter(pipe.pos)?;
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            // Go digs one interface level down after each command: nil interfaces become
            // invalid values.
            value = Some(v.dig());
        }
        let v = value.unwrap_or(Value::Missing);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, v.clone(), pipe.pos)?;
            } else {
                self.vars.push((name.clone(), v.clone()));
            }
        }
        self.leave();
        Ok(v)
    }

    fn not_a_function(&self, args: &[Operand], fin: &Option<Value>) -> EResult<()> {
        if args.len() > 1 || fin.is_some() {
            let first = args.first().map(|a| a.to_string()).unwrap_or_default();
            let pos = args.first().map(Operand::pos).unwrap_or(0);
            return err_at(
                pos,
                first.clone(),
                format!("can't give argument to non-function {first}"),
            );
        }
        Ok(())
    }

    fn eval_command(
        &mut self,
        dot: &Value,
        cmd: &super::parse::Command,
        fin: Option<Value>,
    ) -> EResult<Value> {
        let Some(first) = cmd.args.first() else {
            return err_at(cmd.pos, "", "empty command");
        };
        self.step(first.pos(), &|| first.to_string())?;
        match first {
            Operand::Field(_, idents) => {
                self.eval_field_chain(dot.clone(), first, idents, &cmd.args, fin)
            }
            Operand::Chain(_, node, fields) => {
                let recv = self.eval_arg(dot, P::Val, node)?;
                self.eval_field_chain(recv, first, fields, &cmd.args, fin)
            }
            Operand::Ident(pos, name) => self.eval_function(
                dot,
                name,
                *pos,
                first,
                cmd.args.get(1..).unwrap_or(&[]),
                fin,
            ),
            Operand::Pipe(p) => {
                self.not_a_function(&cmd.args, &fin)?;
                self.eval_pipeline(dot, p)
            }
            Operand::Variable(pos, idents) => {
                let v = self.var_value(idents.first().map_or("$", String::as_str), *pos)?;
                if idents.len() == 1 {
                    self.not_a_function(&cmd.args, &fin)?;
                    return Ok(v);
                }
                self.eval_field_chain(v, first, idents.get(1..).unwrap_or(&[]), &cmd.args, fin)
            }
            Operand::Bool(_, b) => {
                self.not_a_function(&cmd.args, &fin)?;
                Ok(Value::Bool(*b))
            }
            Operand::Dot(_) => {
                self.not_a_function(&cmd.args, &fin)?;
                Ok(dot.clone())
            }
            Operand::Nil(pos) => err_at(*pos, "nil", "nil is not a command"),
            Operand::Number(pos, n) => {
                self.not_a_function(&cmd.args, &fin)?;
                ideal_constant(n).map_err(|m| at(*pos, n.text.clone(), Fail::Msg(m)))
            }
            Operand::Str(_, s, _) => {
                self.not_a_function(&cmd.args, &fin)?;
                Ok(Value::str(s.as_str()))
            }
        }
    }

    /// Follows `.a.b.c` from `receiver`. `args` are the command's words (the field itself
    /// first); any besides it, or a piped-in final value, are an error for map keys.
    fn eval_field_chain(
        &mut self,
        receiver: Value,
        node: &Operand,
        idents: &[String],
        args: &[Operand],
        fin: Option<Value>,
    ) -> EResult<Value> {
        let Some((last, init)) = idents.split_last() else {
            return Ok(receiver);
        };
        let mut recv = receiver;
        for id in init {
            recv = self.eval_field(id, node, false, recv)?;
        }
        let has_args = args.len() > 1 || fin.is_some();
        self.eval_field(last, node, has_args, recv)
    }

    fn eval_field(
        &mut self,
        name: &str,
        node: &Operand,
        has_args: bool,
        recv: Value,
    ) -> EResult<Value> {
        let pos = node.pos();
        match recv {
            Value::Missing => {
                if self.ctx.missing_key_error {
                    return err_at(
                        pos,
                        node.to_string(),
                        format!("nil data; no entry for key {}", go_quote(name)),
                    );
                }
                Ok(Value::Missing)
            }
            Value::Nil => err_at(
                pos,
                node.to_string(),
                format!("nil pointer evaluating interface {{}}.{name}"),
            ),
            Value::Map(m) => {
                if has_args {
                    return err_at(
                        pos,
                        node.to_string(),
                        format!("{name} is not a method but has arguments"),
                    );
                }
                let found = borrow(&m)
                    .map_err(|f| at(pos, node.to_string(), f))?
                    .get(name)
                    .cloned();
                match found {
                    Some(v) => Ok(v),
                    None if self.ctx.missing_key_error => err_at(
                        pos,
                        node.to_string(),
                        format!("map has no entry for key {}", go_quote(name)),
                    ),
                    None => Ok(Value::Missing),
                }
            }
            other => err_at(
                pos,
                node.to_string(),
                format!("can't evaluate field {name} in type {}", other.type_name()),
            ),
        }
    }

    fn eval_function(
        &mut self,
        dot: &Value,
        name: &str,
        pos: usize,
        node: &Operand,
        args: &[Operand],
        fin: Option<Value>,
    ) -> EResult<Value> {
        let Some(sig) = funcs::signature(name) else {
            return err_at(
                pos,
                name,
                format!("{} is not a defined function", go_quote(name)),
            );
        };
        let ctx_str = || node.to_string();
        self.check_arity(name, &sig, args.len(), fin.is_some(), pos, &ctx_str)?;

        // `and` and `or` short-circuit: later arguments are not evaluated.
        if name == "and" || name == "or" {
            let want = name == "or";
            let mut v = Value::Missing;
            for a in args {
                v = self.eval_arg(dot, P::Val, a)?;
                if v.truth() == want {
                    return Ok(v);
                }
            }
            if let Some(f) = fin {
                v = f;
            }
            return Ok(v);
        }

        let mut argv = Vec::with_capacity(args.len() + 1);
        for (i, a) in args.iter().enumerate() {
            let ty = sig.param(i);
            argv.push(self.eval_arg(dot, ty, a)?);
        }
        if let Some(f) = fin {
            let ty = sig.param(args.len());
            argv.push(validate(f, ty).map_err(|m| at(pos, ctx_str(), Fail::Msg(m)))?);
        }

        let result = if name == "tpl" {
            self.call_tpl(argv, pos, &ctx_str)?
        } else {
            funcs::call(name, argv, &mut self.ctx).map_err(|f| {
                let f = match f {
                    Fail::Msg(m) => Fail::Msg(format!("error calling {name}: {m}")),
                    other => other,
                };
                at(pos, ctx_str(), f)
            })?
        };
        // Whatever a function built is memory the template holds while it keeps the value.
        self.ctx
            .charge_value(&result)
            .map_err(|f| at(pos, ctx_str(), f))?;
        Ok(result)
    }

    fn check_arity(
        &self,
        name: &str,
        sig: &Sig,
        nargs: usize,
        has_final: bool,
        pos: usize,
        ctx: &dyn Fn() -> String,
    ) -> EResult<()> {
        let num_in = nargs + usize::from(has_final);
        let fixed = sig.fixed.len();
        if sig.variadic.is_some() {
            if num_in < fixed {
                return err_at(
                    pos,
                    ctx(),
                    format!("wrong number of args for {name}: want at least {fixed} got {nargs}"),
                );
            }
        } else if num_in != fixed {
            return err_at(
                pos,
                ctx(),
                format!("wrong number of args for {name}: want {fixed} got {num_in}"),
            );
        }
        Ok(())
    }

    /// Evaluates one argument for a parameter of Go type `ty` (Go's `evalArg`): literals are
    /// converted by the parameter type, everything else is evaluated then type-checked.
    fn eval_arg(&mut self, dot: &Value, ty: P, n: &Operand) -> EResult<Value> {
        let pos = n.pos();
        let v = match n {
            Operand::Dot(_) => dot.clone(),
            Operand::Nil(_) => {
                if ty.can_be_nil() {
                    return Ok(Value::Nil);
                }
                return err_at(pos, "nil", format!("cannot assign nil to {}", ty.go_name()));
            }
            Operand::Field(_, idents) => {
                self.eval_field_chain(dot.clone(), n, idents, std::slice::from_ref(n), None)?
            }
            Operand::Variable(_, idents) => {
                let v = self.var_value(idents.first().map_or("$", String::as_str), pos)?;
                if idents.len() == 1 {
                    v
                } else {
                    self.eval_field_chain(
                        v,
                        n,
                        idents.get(1..).unwrap_or(&[]),
                        std::slice::from_ref(n),
                        None,
                    )?
                }
            }
            Operand::Pipe(p) => self.eval_pipeline(dot, p)?,
            Operand::Ident(p, name) => self.eval_function(dot, name, *p, n, &[], None)?,
            Operand::Chain(_, node, fields) => {
                let recv = self.eval_arg(dot, P::Val, node)?;
                self.eval_field_chain(recv, n, fields, std::slice::from_ref(n), None)?
            }
            Operand::Bool(_, b) => {
                return match ty {
                    P::Bool | P::Any | P::Val => Ok(Value::Bool(*b)),
                    _ => literal_mismatch(ty, n),
                };
            }
            Operand::Number(_, num) => {
                return match ty {
                    P::Int if num.is_int => Ok(Value::Int(num.int)),
                    P::Int => err_at(pos, n.to_string(), format!("expected integer; found {n}")),
                    P::Float if num.is_float => Ok(Value::Float(num.float)),
                    P::Float => err_at(pos, n.to_string(), format!("expected float; found {n}")),
                    P::Any | P::Val => {
                        ideal_constant(num).map_err(|m| at(pos, n.to_string(), Fail::Msg(m)))
                    }
                    _ => literal_mismatch(ty, n),
                };
            }
            Operand::Str(_, s, _) => {
                return match ty {
                    P::Str | P::Any | P::Val => Ok(Value::str(s.as_str())),
                    _ => literal_mismatch(ty, n),
                };
            }
        };
        validate(v, ty).map_err(|m| at(pos, n.to_string(), Fail::Msg(m)))
    }

    /// Argo CD's `tpl`: renders a string as a template with the same functions, defined
    /// templates and options, and drops `<no value>` from the result.
    fn call_tpl(
        &mut self,
        argv: Vec<Value>,
        pos: usize,
        ctx: &dyn Fn() -> String,
    ) -> EResult<Value> {
        let mut it = argv.into_iter();
        let text = match it.next() {
            Some(Value::Str(s)) => s,
            _ => return err_at(pos, ctx(), "wrong type for value; expected string"),
        };
        let vals = it.next().unwrap_or(Value::Nil);
        let fail = |m: String| at(pos, ctx(), Fail::Msg(format!("error calling tpl: {m}")));
        let parsed = super::parse::parse(&text, &funcs::exists).map_err(|e| {
            let (line, _) = line_col(&text, e.pos);
            fail(format!(
                "cannot parse template {}: template: :{line}: {}",
                go_quote(&text),
                e.msg
            ))
        })?;
        let mut defs = self.set.defs.clone();
        defs.extend(parsed.defs);
        let set = TemplateSet {
            main: parsed.main,
            defs,
        };
        if self.tpl_depth >= MAX_TPL_DEPTH {
            return Err(at(
                pos,
                ctx(),
                Fail::limit("tpl nesting depth", MAX_TPL_DEPTH),
            ));
        }
        self.enter(pos)?;
        let mut out = Buf::new(MAX_OUTPUT);
        let mut sub = State {
            set: &set,
            vars: vec![("$".to_owned(), vals.clone())],
            depth: self.depth,
            tpl_depth: self.tpl_depth + 1,
            ctx: Ctx {
                budget: &mut *self.ctx.budget,
                missing_key_error: self.ctx.missing_key_error,
            },
        };
        let main = Rc::clone(&set.main);
        let r = sub.walk(&vals, &main, &mut out);
        self.leave();
        match r {
            Ok(_) => Ok(Value::str(out.s.replace("<no value>", ""))),
            Err(e) => match e.fail {
                Fail::Msg(m) => {
                    let (line, col) = line_col(&text, e.pos);
                    Err(fail(format!(
                        "error during tpl function execution for {}: template: :{line}:{col}: executing at <{}>: {m}",
                        go_quote(&text),
                        e.context
                    )))
                }
                other => Err(at(pos, ctx(), other)),
            },
        }
    }
}

fn literal_mismatch<T>(ty: P, n: &Operand) -> EResult<T> {
    let what = match ty {
        P::Bool => "bool",
        P::Int => "integer",
        P::Float => "float",
        P::Str => "string",
        _ => {
            return err_at(
                n.pos(),
                n.to_string(),
                format!("can't handle {n} for arg of type {}", ty.go_name()),
            );
        }
    };
    err_at(
        n.pos(),
        n.to_string(),
        format!("expected {what}; found {n}"),
    )
}

/// Go's `validateType`: whether an evaluated value may be passed as a parameter of type `ty`.
pub(super) fn validate(v: Value, ty: P) -> Result<Value, String> {
    match ty {
        P::Any => Ok(v.into_arg()),
        P::Val => Ok(v),
        P::Map => match v {
            Value::Map(_) => Ok(v),
            // A missing value becomes a nil map, which Go accepts.
            Value::Missing => Ok(Value::Nil),
            other => Err(wrong_type(ty, &other)),
        },
        _ => {
            let ok = matches!(
                (ty, &v),
                (P::Str, Value::Str(_))
                    | (P::Int, Value::Int(_))
                    | (P::Float, Value::Float(_))
                    | (P::Bool, Value::Bool(_))
            );
            if ok {
                Ok(v)
            } else if let Value::Missing = v {
                Err(format!("invalid value; expected {}", ty.go_name()))
            } else {
                Err(wrong_type(ty, &v))
            }
        }
    }
}

fn wrong_type(ty: P, v: &Value) -> String {
    let got = match v {
        // An interface holding nil is reported by its static type.
        Value::Nil => "interface {}",
        other => other.type_name(),
    };
    format!("wrong type for value; expected {}; got {got}", ty.go_name())
}

/// Go's `idealConstant`: an untyped numeric literal becomes a float64 when written like one,
/// otherwise an int.
fn ideal_constant(n: &Number) -> Result<Value, String> {
    let t = n.text.as_str();
    let is_hex_int = t.len() > 2
        && t.starts_with('0')
        && matches!(t.as_bytes().get(1), Some(b'x' | b'X'))
        && !t.contains(['p', 'P']);
    if n.is_float && !n.is_char && !is_hex_int && t.contains(['.', 'e', 'E', 'p', 'P']) {
        return Ok(Value::Float(n.float));
    }
    if n.is_int {
        return Ok(Value::Int(n.int));
    }
    Err(format!("{t} overflows int"))
}

/// Prints a pipeline result the way an action does: missing values show as `<no value>`.
fn print_value(out: &mut Buf, v: &Value) -> Result<(), Fail> {
    match v {
        Value::Missing => out.push_str("<no value>"),
        other => write_v(out, other),
    }
}
