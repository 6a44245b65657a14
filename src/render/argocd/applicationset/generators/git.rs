//! The Git generator over a local checkout: the directory subtype (every directory matching a
//! `directories` pattern and no `exclude: true` one, matched like Go's `path.Match`) and the
//! files subtype (every file matching a `files` pattern and no excluded one, matched like the
//! repo-server's default `git ls-files` pathspec, each JSON/YAML file's content becoming one
//! parameter set, or one per item when it holds a list), with the `path` parameters, the
//! `pathParamPrefix`, and the templated `values`. A repository with no local checkout is
//! [`Outcome::Unavailable`](super::Outcome::Unavailable).
//!
//! Both glob dialects are implemented here rather than with `globset`, because neither is
//! globset's: `path.Match` stops `*` at `/` but lets a `[class]` match it and rejects malformed
//! patterns, and git's default pathspec lets `*`, `**` and `?` cross `/` while `a/**/b` still
//! needs a directory between `a` and `b`.

use std::collections::BTreeSet;
use std::rc::Rc;

use serde_json::Value;

use super::{
    Checkout, Context, Eval, Generated, GeneratorError, Item, Params, ParsedFile, Repo,
    append_values, check_depth, check_len, display_at, go_format, go_path_base, go_path_dir, join,
    malformed, opaque_under, opt_str, sanitize_name, spec_object, string_map,
};

/// One `directories` or `files` entry.
struct PathRule {
    path: String,
    exclude: bool,
}

pub(super) fn generate(
    eval: &Eval<'_>,
    spec: &Value,
    at: &str,
) -> Result<Generated, GeneratorError> {
    let ctx = eval.ctx;
    let obj = spec_object(spec, at)?;
    let repo_url = opt_str(obj, "repoURL", at)?.unwrap_or_default();
    if repo_url.is_empty() {
        return Err(malformed(
            &join(at, "repoURL"),
            "a git generator needs repoURL",
        ));
    }
    let revision = opt_str(obj, "revision", at)?.unwrap_or_default();
    let prefix = opt_str(obj, "pathParamPrefix", at)?.unwrap_or_default();
    let values = string_map(obj, "values", at)?;
    let directories = rules(obj, "directories", at)?;
    let files = rules(obj, "files", at)?;
    // Argo CD takes directories when there are any, else files, else fails.
    if directories.is_empty() && files.is_empty() {
        return Err(malformed(
            at,
            "a git generator needs `directories` or `files`",
        ));
    }

    let Some(repo) = ctx.repo(repo_url) else {
        let revision = if revision.is_empty() {
            "HEAD"
        } else {
            revision
        };
        return Ok(Generated::Unavailable(format!(
            "git generator needs a checkout of {repo_url} at {revision}, which is not available locally; not evaluated offline"
        )));
    };
    let checkout = eval.checkout(repo_url);
    // A checkout that is only assumed to be the repository, where no pattern matches, is more
    // likely another repository than an empty one: say so rather than generate nothing.
    let not_here = |what: &str| {
        Generated::Unavailable(format!(
            "git generator needs a checkout of {repo_url}: no `repositories:` mapping or origin remote names this tree as it, and none of its {what} patterns match here; not evaluated offline"
        ))
    };

    let items = if !directories.is_empty() {
        let dirs = checkout.directories.get_or_init(|| repo.directories());
        eval.scan(dirs.len().saturating_mul(directories.len()), at)?;
        let selected = select_directories(&directories, dirs);
        if selected.is_empty() && repo.assumed() {
            return Ok(not_here("directories"));
        }
        check_len(selected.len(), eval.ctx, at)?;
        let mut items = Vec::with_capacity(selected.len());
        for dir in selected {
            let mut item = directory_params(dir, prefix, ctx.go_template());
            append_values(&values, &mut item, ctx, at)?;
            items.push(item);
        }
        items
    } else {
        let all = checkout.files.get_or_init(|| repo.files());
        eval.scan(all.len().saturating_mul(files.len()), at)?;
        let selected = select_files(&files, all);
        if selected.is_empty() && repo.assumed() {
            return Ok(not_here("files"));
        }
        check_len(selected.len(), eval.ctx, at)?;
        let mut items = Vec::new();
        for path in selected {
            let parsed = parse_file(&checkout, repo, path, ctx);
            let parsed = match parsed.as_ref() {
                Ok(value) => value,
                Err(reason) => {
                    return Err(GeneratorError::File {
                        at: display_at(at),
                        path: path.to_string(),
                        reason: reason.clone(),
                    });
                }
            };
            for mut item in file_params(path, parsed, prefix, ctx.go_template(), at)? {
                append_values(&values, &mut item, ctx, at)?;
                items.push(item);
            }
            check_len(items.len(), eval.ctx, at)?;
        }
        items
    };
    Ok(Generated::Items(items))
}

/// A file's parsed content, read and parsed once per evaluation.
fn parse_file(checkout: &Checkout, repo: &dyn Repo, path: &str, ctx: &dyn Context) -> ParsedFile {
    if let Some(done) = checkout.parsed.borrow().get(path) {
        return done.clone();
    }
    let parsed = Rc::new(repo.read(path).and_then(|text| ctx.parse_yaml(&text)));
    checkout
        .parsed
        .borrow_mut()
        .insert(path.to_string(), parsed.clone());
    parsed
}

fn rules(obj: Option<&Params>, key: &str, at: &str) -> Result<Vec<PathRule>, GeneratorError> {
    let kat = join(at, key);
    let list = match obj.and_then(|o| o.get(key)) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(malformed(&kat, "must be a list")),
    };
    list.iter()
        .enumerate()
        .map(|(i, rule)| {
            let rat = format!("{kat}[{i}]");
            let Value::Object(rule) = rule else {
                return Err(malformed(&rat, "must be a mapping with `path`"));
            };
            let path = match rule.get("path") {
                Some(Value::String(p)) => p.clone(),
                _ => return Err(malformed(&join(&rat, "path"), "must be a string")),
            };
            let exclude = match rule.get("exclude") {
                None | Some(Value::Null) => false,
                // `exclude: yes` is a bool to Argo CD's YAML decoder, as `true` is.
                Some(v) => match crate::load::yaml::go_bool(v) {
                    Some(b) => b,
                    None => {
                        return Err(malformed(&join(&rat, "exclude"), "must be true or false"));
                    }
                },
            };
            Ok(PathRule { path, exclude })
        })
        .collect()
}

/// Directories a `directories` list selects, in checkout order. A directory is taken when it
/// matches an include pattern and no exclude pattern ("exclude rules take precedence over include
/// rules", whatever their order). Directories whose path has a component starting with `.` are
/// never listed ("automatically exclude directories that begin with `.`"), nor their children.
/// A malformed pattern matches nothing (Argo CD logs the error and skips it).
fn select_directories<'d>(rules: &[PathRule], dirs: &'d [String]) -> Vec<&'d str> {
    let compiled: Vec<(Option<Glob>, bool)> = rules
        .iter()
        .map(|r| (Glob::go_path(&r.path), r.exclude))
        .collect();
    // The patterns first: most directories fail a pattern's literal prefix at once, and only
    // the few that match are split to look for a hidden component (every ApplicationSet with a
    // git generator walks every directory of the checkout).
    dirs.iter()
        .map(String::as_str)
        .filter(|d| !d.is_empty() && *d != ".")
        .filter(|d| {
            let mut include = false;
            for (glob, exclude) in &compiled {
                if glob.as_ref().is_some_and(|g| g.matches(d)) {
                    if *exclude {
                        return false;
                    }
                    include = true;
                }
            }
            include
        })
        .filter(|d| !d.split('/').any(|c| c.starts_with('.')))
        .collect()
}

/// Files a `files` list selects, sorted and without duplicates: those matching an include
/// pattern, less those matching an exclude pattern.
fn select_files<'f>(rules: &[PathRule], files: &'f [String]) -> BTreeSet<&'f str> {
    let includes: Vec<Pathspec> = rules
        .iter()
        .filter(|r| !r.exclude)
        .map(|r| Pathspec::new(&r.path))
        .collect();
    let excludes: Vec<Pathspec> = rules
        .iter()
        .filter(|r| r.exclude)
        .map(|r| Pathspec::new(&r.path))
        .collect();
    files
        .iter()
        .map(String::as_str)
        .filter(|f| includes.iter().any(|p| p.matches(f)) && !excludes.iter().any(|p| p.matches(f)))
        .collect()
}

/// The path parameters of one directory. fasttemplate: `path`, `path.basename`,
/// `path.basenameNormalized`, `path[n]` (non-empty segments only); goTemplate: a `path` object
/// with `path`, `basename`, `basenameNormalized`, `segments`. A `pathParamPrefix` goes in front:
/// `<prefix>.path...` flat, `{<prefix>: {path: {...}}}` nested.
fn directory_params(dir: &str, prefix: &str, go_template: bool) -> Item {
    let basename = go_path_base(dir);
    let mut item = Item::new(Params::new(), format!("git directories[{dir}]"));
    if go_template {
        let mut path = Params::new();
        path.insert("path".into(), dir.into());
        path.insert("basename".into(), basename.clone().into());
        path.insert("basenameNormalized".into(), sanitize_name(&basename).into());
        path.insert("segments".into(), segments(dir));
        insert_nested_path(&mut item, prefix, path);
    } else {
        let name = flat_path_name(prefix);
        let params = &mut item.element.params;
        params.insert(name.clone(), dir.into());
        params.insert(format!("{name}.basename"), basename.clone().into());
        params.insert(
            format!("{name}.basenameNormalized"),
            sanitize_name(&basename).into(),
        );
        insert_flat_segments(params, &name, dir);
    }
    item
}

/// The parameter sets of one file: its content (flattened with dots and Go's `%v` in
/// fasttemplate mode, as written in goTemplate mode), then the path parameters of the directory
/// holding it plus `filename` and `filenameNormalized`. Like Argo CD, the content is first read
/// as one mapping (an empty file is an empty one), then as a list of mappings.
fn file_params(
    file: &str,
    parsed: &Value,
    prefix: &str,
    go_template: bool,
    at: &str,
) -> Result<Vec<Item>, GeneratorError> {
    let file_error = |reason: String| GeneratorError::File {
        at: display_at(at),
        path: file.to_string(),
        reason,
    };
    check_depth(parsed, at).map_err(|e| file_error(e.to_string()))?;
    let objects: Vec<(Params, String)> = match parsed {
        Value::Null => vec![(Params::new(), format!("git files[{file}]"))],
        Value::Object(map) => vec![(map.clone(), format!("git files[{file}]"))],
        Value::Array(list) => list
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Null => Ok((Params::new(), format!("git files[{file} {i}]"))),
                Value::Object(map) => Ok((map.clone(), format!("git files[{file} {i}]"))),
                _ => Err(file_error(format!(
                    "item {i} is not a mapping; a file holds a mapping or a list of mappings"
                ))),
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(file_error(
                "the file holds neither a mapping nor a list of mappings".to_string(),
            ));
        }
    };

    let dir = go_path_dir(file);
    let basename = go_path_base(&dir);
    let filename = go_path_base(file);
    let mut items = Vec::with_capacity(objects.len());
    for (object, origin) in objects {
        let mut item = Item::new(Params::new(), origin);
        if go_template {
            item.element.params = object;
            let mut path = Params::new();
            path.insert("path".into(), dir.clone().into());
            path.insert("basename".into(), basename.clone().into());
            path.insert("filename".into(), filename.clone().into());
            path.insert("basenameNormalized".into(), sanitize_name(&basename).into());
            path.insert("filenameNormalized".into(), sanitize_name(&filename).into());
            path.insert("segments".into(), segments(&dir));
            insert_nested_path(&mut item, prefix, path);
        } else {
            let params = &mut item.element.params;
            let mut flat = Vec::new();
            for (key, value) in &object {
                flatten(key.clone(), value, &mut flat);
            }
            for (key, value) in flat {
                params.insert(key, value.into());
            }
            let name = flat_path_name(prefix);
            params.insert(name.clone(), dir.clone().into());
            params.insert(format!("{name}.basename"), basename.clone().into());
            params.insert(format!("{name}.filename"), filename.clone().into());
            params.insert(
                format!("{name}.basenameNormalized"),
                sanitize_name(&basename).into(),
            );
            params.insert(
                format!("{name}.filenameNormalized"),
                sanitize_name(&filename).into(),
            );
            insert_flat_segments(params, &name, &dir);
        }
        items.push(item);
    }
    Ok(items)
}

/// `jeremywohl/flatten` in dot style, leaves stringified with `%v`: maps give `a.b`, lists
/// `a.0`, and empty maps or lists give nothing. Depth is bounded by `check_depth`.
fn flatten(key: String, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(format!("{key}.{k}"), v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(format!("{key}.{i}"), v, out);
            }
        }
        _ => out.push((key, go_format(value))),
    }
}

fn segments(path: &str) -> Value {
    Value::Array(
        path.split('/')
            .map(|s| Value::String(s.to_string()))
            .collect(),
    )
}

fn flat_path_name(prefix: &str) -> String {
    if prefix.is_empty() {
        "path".to_string()
    } else {
        format!("{prefix}.path")
    }
}

/// `path[n]` for each non-empty segment, `n` counting every segment.
fn insert_flat_segments(params: &mut Params, name: &str, path: &str) {
    for (i, segment) in path.split('/').enumerate() {
        if !segment.is_empty() {
            params.insert(format!("{name}[{i}]"), segment.into());
        }
    }
}

fn insert_nested_path(item: &mut Item, prefix: &str, path: Params) {
    let params = &mut item.element.params;
    if prefix.is_empty() {
        params.insert("path".into(), Value::Object(path));
    } else {
        let mut outer = Params::new();
        outer.insert("path".into(), Value::Object(path));
        params.insert(prefix.to_string(), Value::Object(outer));
    }
    // Argo CD builds `segments` as a Go []string.
    let path_key = opaque_under(prefix, "path");
    item.opaque.push(opaque_under(&path_key, "segments"));
}

/// One element of a compiled glob.
#[derive(Debug, Clone)]
enum Token {
    Literal(char),
    /// `?`: one character; `/` too when `slash`.
    One {
        slash: bool,
    },
    /// `*` (or a run of them): any sequence; across `/` too when `slash`.
    Many {
        slash: bool,
    },
    /// `[...]`: one character (including `/`) in, or with `negated` not in, the items.
    Class {
        negated: bool,
        items: Vec<ClassItem>,
    },
}

#[derive(Debug, Clone)]
enum ClassItem {
    Range(char, char),
    Posix(fn(char) -> bool),
}

impl Token {
    fn matches_one(&self, c: char) -> bool {
        match self {
            Token::Literal(l) => *l == c,
            Token::One { slash } => *slash || c != '/',
            Token::Class { negated, items } => {
                let hit = items.iter().any(|item| match item {
                    ClassItem::Range(lo, hi) => *lo <= c && c <= *hi,
                    ClassItem::Posix(f) => f(c),
                });
                hit != *negated
            }
            Token::Many { .. } => false,
        }
    }
}

/// A compiled glob, matched against a whole path in O(pattern × path) time.
#[derive(Debug, Clone)]
struct Glob {
    tokens: Vec<Token>,
    /// The literal text before the first wildcard: a cheap first test, since most patterns start
    /// with a fixed directory.
    prefix: String,
}

impl Glob {
    /// Go's `path.Match` syntax: `*` and `?` stop at `/`, `[^...]` negates, `\` escapes; a
    /// malformed pattern (an unterminated or empty class, a dangling `\`, a range missing an end)
    /// is `None`.
    fn go_path(pattern: &str) -> Option<Glob> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' => {
                    while i < chars.len() && chars[i] == '*' {
                        i += 1;
                    }
                    tokens.push(Token::Many { slash: false });
                    continue;
                }
                '?' => tokens.push(Token::One { slash: false }),
                '\\' => {
                    i += 1;
                    tokens.push(Token::Literal(*chars.get(i)?));
                }
                '[' => {
                    i += 1;
                    let negated = chars.get(i) == Some(&'^');
                    if negated {
                        i += 1;
                    }
                    let mut items = Vec::new();
                    loop {
                        let c = *chars.get(i)?;
                        if c == ']' && !items.is_empty() {
                            break;
                        }
                        let (lo, next) = go_class_char(&chars, i)?;
                        i = next;
                        let hi = if chars.get(i) == Some(&'-') {
                            let (hi, next) = go_class_char(&chars, i + 1)?;
                            i = next;
                            hi
                        } else {
                            lo
                        };
                        items.push(ClassItem::Range(lo, hi));
                    }
                    tokens.push(Token::Class { negated, items });
                }
                c => tokens.push(Token::Literal(c)),
            }
            i += 1;
        }
        Some(Glob::new(tokens))
    }

    /// Git's wildmatch without `WM_PATHNAME`, which `git ls-files -- <pattern>` applies: `*`,
    /// `**` and `?` match `/` too; `[!...]` and `[^...]` negate; `[:alpha:]` and the other POSIX
    /// classes work inside a class; `]` first in a class is literal. A pattern wildmatch aborts
    /// on (unterminated class, unknown class name, trailing `\`) matches nothing: `None`.
    fn git(pattern: &str) -> Option<Glob> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' => {
                    while i < chars.len() && chars[i] == '*' {
                        i += 1;
                    }
                    tokens.push(Token::Many { slash: true });
                    continue;
                }
                '?' => tokens.push(Token::One { slash: true }),
                '\\' => {
                    i += 1;
                    tokens.push(Token::Literal(*chars.get(i)?));
                }
                '[' => {
                    i += 1;
                    let negated = matches!(chars.get(i), Some('!') | Some('^'));
                    if negated {
                        i += 1;
                    }
                    let mut items = Vec::new();
                    let mut first = true;
                    loop {
                        let mut c = *chars.get(i)?;
                        if c == ']' && !first {
                            break;
                        }
                        first = false;
                        if c == '[' && chars.get(i + 1) == Some(&':') {
                            let rest: String = chars[i + 2..].iter().collect();
                            let end = rest.find(":]")?;
                            items.push(ClassItem::Posix(posix_class(&rest[..end])?));
                            i += 2 + rest[..end].chars().count() + 2;
                            continue;
                        }
                        if c == '\\' {
                            i += 1;
                            c = *chars.get(i)?;
                        }
                        i += 1;
                        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|n| *n != ']')
                        {
                            let mut hi = chars[i + 1];
                            i += 2;
                            if hi == '\\' {
                                hi = *chars.get(i)?;
                                i += 1;
                            }
                            items.push(ClassItem::Range(c, hi));
                        } else {
                            items.push(ClassItem::Range(c, c));
                        }
                    }
                    tokens.push(Token::Class { negated, items });
                }
                c => tokens.push(Token::Literal(c)),
            }
            i += 1;
        }
        Some(Glob::new(tokens))
    }

    fn new(tokens: Vec<Token>) -> Glob {
        let prefix = tokens
            .iter()
            .map_while(|t| match t {
                Token::Literal(c) => Some(*c),
                _ => None,
            })
            .collect();
        Glob { tokens, prefix }
    }

    fn matches(&self, path: &str) -> bool {
        if !path.starts_with(&self.prefix) {
            return false;
        }
        let chars: Vec<char> = path.chars().collect();
        let n = chars.len();
        // reach[i]: the tokens so far can match exactly the first i characters.
        let mut reach = vec![false; n + 1];
        reach[0] = true;
        for token in &self.tokens {
            let mut next = vec![false; n + 1];
            match token {
                Token::Many { slash } => {
                    let mut open = false;
                    for i in 0..=n {
                        open |= reach[i];
                        next[i] = open;
                        if i < n && !slash && chars[i] == '/' {
                            open = false;
                        }
                    }
                }
                _ => {
                    for i in 0..n {
                        if reach[i] && token.matches_one(chars[i]) {
                            next[i + 1] = true;
                        }
                    }
                }
            }
            if !next.contains(&true) {
                return false;
            }
            reach = next;
        }
        reach[n]
    }
}

/// One character of a `path.Match` class: `-` and `]` must be escaped, and the class must go on.
fn go_class_char(chars: &[char], mut i: usize) -> Option<(char, usize)> {
    let mut c = *chars.get(i)?;
    if c == '-' || c == ']' {
        return None;
    }
    if c == '\\' {
        i += 1;
        c = *chars.get(i)?;
    }
    // The class must not end here.
    chars.get(i + 1)?;
    Some((c, i + 1))
}

fn posix_class(name: &str) -> Option<fn(char) -> bool> {
    Some(match name {
        "alnum" => |c: char| c.is_ascii_alphanumeric(),
        "alpha" => |c: char| c.is_ascii_alphabetic(),
        "blank" => |c: char| c == ' ' || c == '\t',
        "cntrl" => |c: char| c.is_ascii_control(),
        "digit" => |c: char| c.is_ascii_digit(),
        "graph" => |c: char| c.is_ascii_graphic(),
        "lower" => |c: char| c.is_ascii_lowercase(),
        "print" => |c: char| c.is_ascii_graphic() || c == ' ',
        "punct" => |c: char| c.is_ascii_punctuation(),
        "space" => |c: char| c.is_ascii_whitespace() || c == '\x0b',
        "upper" => |c: char| c.is_ascii_uppercase(),
        "xdigit" => |c: char| c.is_ascii_hexdigit(),
        _ => return None,
    })
}

/// A `git ls-files -- <pathspec>` pattern, as the repo-server runs it by default (without the
/// opt-in "new git file globbing"). A pattern with no wildcard (`*`, `?`, `[`, `\`) names a file,
/// or a directory whose files it all selects; one with a wildcard is matched with wildmatch
/// against the whole path.
struct Pathspec {
    literal: String,
    glob: Option<Glob>,
}

impl Pathspec {
    fn new(pattern: &str) -> Self {
        let mut literal = pattern;
        while let Some(rest) = literal.strip_prefix("./") {
            literal = rest;
        }
        let has_wildcard = literal.contains(['*', '?', '[', '\\']);
        Pathspec {
            literal: literal.to_string(),
            glob: if has_wildcard {
                Glob::git(literal)
            } else {
                None
            },
        }
    }

    fn matches(&self, file: &str) -> bool {
        let lit = self.literal.as_str();
        // "." (or "") is the whole tree.
        if lit.is_empty() || lit == "." {
            return true;
        }
        if file == lit
            || file
                .strip_prefix(lit)
                .is_some_and(|rest| lit.ends_with('/') || rest.starts_with('/'))
        {
            return true;
        }
        self.glob.as_ref().is_some_and(|g| g.matches(file))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testkit::{MemRepo, TestContext};
    use super::super::{Outcome, generate};
    use super::{Glob, Pathspec};

    fn run(spec: Value, ctx: &TestContext) -> Vec<(String, Value)> {
        match generate(&spec, ctx).expect("generates") {
            Outcome::Elements(e) => e
                .into_iter()
                .map(|e| (e.origin, Value::Object(e.params)))
                .collect(),
            Outcome::Unavailable(r) => panic!("unavailable: {r}"),
        }
    }

    fn addons_repo() -> MemRepo {
        MemRepo::new(&[
            ("addons/argo-workflows/kustomization.yaml", "resources: []"),
            ("addons/prometheus_operator/Chart.yaml", "name: p"),
            ("addons/prometheus_operator/templates/a.yaml", "a: b"),
            ("addons/exclude-me/values.yaml", "x: y"),
            ("addons/.hidden/values.yaml", "x: y"),
            (".github/workflows/ci.yaml", "on: push"),
        ])
    }

    // Docs: "Go" path.Match, as "Git Generator: Directories" and "Exclude directories" use it.
    #[test]
    fn go_path_match_semantics() {
        let m = |p: &str, s: &str| Glob::go_path(p).expect("valid pattern").matches(s);
        assert!(m("addons/*", "addons/a"));
        assert!(!m("addons/*", "addons/a/b"), "* stops at /");
        assert!(m("*", "top"));
        assert!(!m("*", "a/b"));
        assert!(m("d/[f|g]", "d/f"), "the docs' `/d/[f|g]` example form");
        assert!(m("d/[^e]", "d/f"));
        assert!(!m("d/[^e]", "d/e"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "a/c"));
        assert!(m("a\\*", "a*"));
        assert!(Glob::go_path("a[").is_none(), "unterminated class");
        assert!(Glob::go_path("a[]").is_none(), "empty class");
        assert!(Glob::go_path("a\\").is_none(), "dangling escape");
        assert!(Glob::go_path("[-a]").is_none(), "range missing its start");
    }

    // Docs: "Git File Generator Globbing": "The original and default implementation of the Git
    // file generator does very greedy globbing": `some-path/*.yaml` also matches files in any
    // directory below `some-path`.
    #[test]
    fn default_file_globbing_is_greedy() {
        let m = |p: &str, s: &str| Pathspec::new(p).matches(s);
        assert!(m(
            "cluster-charts/*/*/values.yaml",
            "cluster-charts/c1/chart/charts/sub/values.yaml"
        ));
        assert!(m("some-path/*.yaml", "some-path/a/b/c.yaml"));
        assert!(m(
            "cluster-config/**/config.json",
            "cluster-config/engineering/dev/config.json"
        ));
        assert!(!m(
            "cluster-config/**/config.json",
            "cluster-config/config.json"
        ));
        assert!(
            m("apps", "apps/guestbook/config.json"),
            "a literal directory selects its files"
        );
        assert!(m("apps/a.json", "apps/a.json"));
        assert!(!m("apps/a.json", "apps/a.jsonx"));
        assert!(m("[[:alpha:]]*.json", "x/y.json"));
        assert!(m("[!a]*.json", "b.json"));
        assert!(!m("[!a]*.json", "a.json"));
    }

    // Docs: "Git Generator: Directories": parameters `path.path`, `path.segments[n]`,
    // `path.basename`, `path.basenameNormalized`; "Exclude directories" (exclude wins, hidden
    // directories are skipped).
    #[test]
    fn directories_with_excludes_go_template() {
        let ctx = TestContext::go().with_repo("https://example.com/r.git", addons_repo());
        let got = run(
            json!({"git": {"repoURL": "https://example.com/r.git", "revision": "HEAD",
            "directories": [
                {"path": "addons/exclude-me", "exclude": true},
                {"path": "addons/*"}
            ]}}),
            &ctx,
        );
        assert_eq!(
            got,
            vec![
                (
                    "git directories[addons/argo-workflows]".to_string(),
                    json!({"path": {"path": "addons/argo-workflows", "basename": "argo-workflows",
                        "basenameNormalized": "argo-workflows", "segments": ["addons", "argo-workflows"]}})
                ),
                (
                    "git directories[addons/prometheus_operator]".to_string(),
                    json!({"path": {"path": "addons/prometheus_operator", "basename": "prometheus_operator",
                        "basenameNormalized": "prometheus-operator",
                        "segments": ["addons", "prometheus_operator"]}})
                ),
            ]
        );
    }

    // Docs: "Go Template" → "Git Generators" (the fasttemplate names `path`, `path.basename`,
    // `path[n]`); docs "Matrix Generator" → "Two Git Generators Using `pathParamPrefix`".
    #[test]
    fn directories_fasttemplate_with_prefix_and_root_star() {
        let ctx = TestContext::fast().with_repo("r", addons_repo());
        let got = run(
            json!({"git": {"repoURL": "r", "directories": [{"path": "addons/argo-workflows"}],
                "pathParamPrefix": "app"}}),
            &ctx,
        );
        assert_eq!(
            got[0].1,
            json!({"app.path": "addons/argo-workflows", "app.path.basename": "argo-workflows",
                "app.path.basenameNormalized": "argo-workflows",
                "app.path[0]": "addons", "app.path[1]": "argo-workflows"})
        );
        // "Root Of Git Repo": `'*'` takes the top-level directories; hidden ones never appear.
        let top: Vec<String> = run(
            json!({"git": {"repoURL": "r", "directories": [{"path": "*"}]}}),
            &ctx,
        )
        .into_iter()
        .map(|(o, _)| o)
        .collect();
        assert_eq!(top, vec!["git directories[addons]"]);
    }

    // Docs: "Git Generator: Files": JSON fields "flattened into key/value pairs", plus `path`,
    // `path[n]`, `path.basename`, `path.basenameNormalized`, `path.filename`,
    // `path.filenameNormalized`.
    #[test]
    fn files_fasttemplate_flattens_content() {
        let repo = MemRepo::new(&[
            (
                "cluster-config/engineering/dev/config.json",
                r#"{"aws_account": "123456", "replicas": 1234567, "ratio": 0.5, "on": true,
                    "none": null, "cluster": {"name": "engineering-dev", "zones": ["a", "b"]}}"#,
            ),
            (
                "cluster-config/engineering/prod/config.json",
                r#"{"cluster": {"name": "engineering-prod"}}"#,
            ),
        ]);
        let ctx = TestContext::fast().with_repo("r", repo);
        let got = run(
            json!({"git": {"repoURL": "r", "files": [{"path": "cluster-config/**/config.json"}]}}),
            &ctx,
        );
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0].1,
            json!({
                "aws_account": "123456",
                // Argo CD decodes numbers as float64 and prints them with %v.
                "replicas": "1.234567e+06",
                "ratio": "0.5",
                "on": "true",
                "none": "<nil>",
                "cluster.name": "engineering-dev",
                "cluster.zones.0": "a",
                "cluster.zones.1": "b",
                "path": "cluster-config/engineering/dev",
                "path.basename": "dev",
                "path.filename": "config.json",
                "path.basenameNormalized": "dev",
                "path.filenameNormalized": "config.json",
                "path[0]": "cluster-config",
                "path[1]": "engineering",
                "path[2]": "dev"
            })
        );
    }

    // Docs: "Go Template" → "Git Generators": `{{ .path.path }}`, `{{ .path.filename }}`,
    // `{{ index .path.segments n }}`; a file holding a list gives one set per item; the
    // generator's `values` ("`{{ values }}` if being used in the file generator").
    #[test]
    fn files_go_template_lists_and_values() {
        let repo = MemRepo::new(&[
            ("apps/list.yaml", "- name: a\n- name: b\n"),
            ("apps/empty.yaml", ""),
            ("config.yaml", "name: root"),
        ]);
        let ctx = TestContext::go().with_repo("r", repo);
        let got = run(
            json!({"git": {"repoURL": "r", "files": [{"path": "**.yaml"}, {"path": "*.yaml"}],
                "values": {"app": "{{.name}}-x"}}}),
            &ctx,
        );
        let origins: Vec<&str> = got.iter().map(|(o, _)| o.as_str()).collect();
        // Sorted, de-duplicated paths; the empty file is one (empty) mapping.
        assert_eq!(
            origins,
            vec![
                "git files[apps/empty.yaml]",
                "git files[apps/list.yaml 0]",
                "git files[apps/list.yaml 1]",
                "git files[config.yaml]"
            ]
        );
        assert_eq!(got[1].1["name"], "a");
        assert_eq!(got[1].1["values"], json!({"app": "a-x"}));
        assert_eq!(
            got[3].1["path"],
            json!({"path": ".", "basename": ".", "filename": "config.yaml",
                "basenameNormalized": "", "filenameNormalized": "config.yaml", "segments": ["."]})
        );
    }

    #[test]
    fn repositories_not_checked_out_are_unavailable() {
        let ctx = TestContext::fast();
        let outcome = generate(
            &json!({"git": {"repoURL": "https://github.com/x/y.git", "revision": "main",
                "directories": [{"path": "*"}]}}),
            &ctx,
        )
        .expect("not an error");
        let Outcome::Unavailable(reason) = outcome else {
            panic!("unavailable expected")
        };
        assert!(
            reason.contains("https://github.com/x/y.git at main"),
            "{reason}"
        );
        assert!(reason.ends_with("not evaluated offline"), "{reason}");
    }

    /// A checkout only assumed to be the repository (nothing in the config or the origin remote
    /// names it).
    struct Assumed(MemRepo);

    impl super::super::Repo for Assumed {
        fn directories(&self) -> std::sync::Arc<[String]> {
            self.0.directories()
        }
        fn files(&self) -> std::sync::Arc<[String]> {
            self.0.files()
        }
        fn read(&self, path: &str) -> Result<String, String> {
            self.0.read(path)
        }
        fn assumed(&self) -> bool {
            true
        }
    }

    // Docs: "Git Generator": the generator reads the repository at `repoURL`. When this tree is
    // only assumed to be that repository and none of the patterns match, the repository is more
    // likely another one (the design-doc examples point at infra-team/cluster-deployments):
    // a note, not a silent empty result. Matching patterns still generate.
    #[test]
    fn an_assumed_checkout_where_nothing_matches_is_unavailable() {
        let ctx = TestContext::go().with_repo("r", Assumed(addons_repo()));
        for spec in [
            json!({"git": {"repoURL": "r", "directories": [{"path": "add-ons/*"}]}}),
            json!({"git": {"repoURL": "r", "files": [{"path": "config/clusters.json"}]}}),
        ] {
            let Outcome::Unavailable(reason) = generate(&spec, &ctx).expect("no error") else {
                panic!("unavailable expected for {spec}")
            };
            assert!(
                reason.starts_with("git generator needs a checkout of r"),
                "{reason}"
            );
        }
        let found = run(
            json!({"git": {"repoURL": "r", "directories": [{"path": "addons/*"}]}}),
            &ctx,
        );
        assert_eq!(found.len(), 3);
        // A declared checkout where nothing matches generates nothing, as Argo CD does.
        let declared = TestContext::go().with_repo("r", addons_repo());
        assert!(
            run(
                json!({"git": {"repoURL": "r", "directories": [{"path": "add-ons/*"}]}}),
                &declared
            )
            .is_empty()
        );
    }

    #[test]
    fn malformed_git_specs_are_errors() {
        let ctx = TestContext::fast().with_repo("r", addons_repo());
        generate(&json!({"git": {"directories": [{"path": "*"}]}}), &ctx).expect_err("repoURL");
        generate(&json!({"git": {"repoURL": "r"}}), &ctx).expect_err("directories or files");
        generate(
            &json!({"git": {"repoURL": "r", "directories": [{"path": 1}]}}),
            &ctx,
        )
        .expect_err("path is a string");
        let bad = MemRepo::new(&[("a.yaml", "just a string")]);
        let ctx = TestContext::fast().with_repo("b", bad);
        let err = generate(
            &json!({"git": {"repoURL": "b", "files": [{"path": "a.yaml"}]}}),
            &ctx,
        )
        .expect_err("scalar file");
        assert!(err.to_string().contains("a.yaml"), "{err}");
    }
}
