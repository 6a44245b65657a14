//! Behaviour tests for ApplicationSet template rendering. Each test names the documentation it
//! pins: Argo CD's "Templates" and "Go Template" pages and `applicationset/utils/utils.go`,
//! Go's `text/template` package documentation, and Sprig's function reference. The corpus tests
//! at the end render templates taken verbatim from Argo CD's `applicationset/examples` and from
//! gitops-bridge's control-plane template (converted from YAML to JSON by hand).

use serde_json::{Value as J, json};

use super::{
    DEFAULT_TEMPLATE_MEMORY, MAX_TOTAL_STEPS, Params, TemplateError, TemplateOptions,
    render_string, render_template,
};

const GO: TemplateOptions = TemplateOptions {
    go_template: true,
    missing_key_error: false,
    memory: DEFAULT_TEMPLATE_MEMORY,
    steps: MAX_TOTAL_STEPS,
};
const GO_STRICT: TemplateOptions = TemplateOptions {
    go_template: true,
    missing_key_error: true,
    memory: DEFAULT_TEMPLATE_MEMORY,
    steps: MAX_TOTAL_STEPS,
};
const FAST: TemplateOptions = TemplateOptions {
    go_template: false,
    missing_key_error: false,
    memory: DEFAULT_TEMPLATE_MEMORY,
    steps: MAX_TOTAL_STEPS,
};

fn params(v: J) -> Params {
    v.as_object().cloned().unwrap_or_default()
}

/// Parameters shaped like a Git directory generator merged with a cluster generator element.
fn go_params() -> Params {
    params(json!({
        "name": "in-cluster",
        "server": "https://kubernetes.default.svc",
        "n": 3,
        "f": 1.5,
        "big": 1000000,
        "list": ["a", "b"],
        "m": {"b": "2", "a": "1"},
        "nul": null,
        "t": true,
        "empty": "",
        "path": {
            "path": "apps/guestbook",
            "basename": "guestbook",
            "segments": ["apps", "guestbook"]
        },
        "metadata": {"labels": {"env": "prod", "my-label": "x"}}
    }))
}

fn go(text: &str) -> String {
    match render_string(text, &go_params(), &GO) {
        Ok(s) => s,
        Err(e) => format!("ERR: {e}"),
    }
}

fn go_err(text: &str) -> TemplateError {
    match render_string(text, &go_params(), &GO) {
        Ok(s) => TemplateError::Limit {
            what: "test expected an error but got output",
            limit: s.len(),
        },
        Err(e) => e,
    }
}

fn err_message(e: &TemplateError) -> String {
    match e {
        TemplateError::Parse { message, .. } | TemplateError::Exec { message, .. } => {
            message.clone()
        }
        TemplateError::InField { source, .. } => err_message(source),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// fasttemplate mode (Argo CD docs "Templates"; utils.go `Render.Replace` with useGoTemplate=false)

#[test]
fn fast_substitutes_flat_params_per_field() {
    let t = json!({
        "metadata": {"name": "{{cluster}}-guestbook", "labels": {"env": "{{ values.env }}"}},
        "spec": {"source": {"path": "apps/{{path.basename}}"}}
    });
    let p = params(json!({"cluster": "dev", "values.env": "qa", "path.basename": "gb"}));
    let out = render_template(&t, &p, &FAST).ok();
    assert_eq!(
        out,
        Some(json!({
            "metadata": {"name": "dev-guestbook", "labels": {"env": "qa"}},
            "spec": {"source": {"path": "apps/gb"}}
        }))
    );
}

#[test]
fn fast_leaves_unknown_tags_as_written() {
    // utils.go: a tag that is empty or not a string parameter is written back as "{{tag}}".
    let p = params(json!({"a": "1"}));
    let r = render_string("{{a}}-{{ nope }}-{{}}-{{ a }}", &p, &FAST).ok();
    assert_eq!(r.as_deref(), Some("1-{{ nope }}-{{}}-1"));
}

#[test]
fn fast_values_with_quotes_and_newlines_stay_intact() {
    // Argo CD substitutes into the decoded field, so no JSON escaping is involved.
    let t = json!({"spec": {"source": {"helm": {"values": "a: {{v}}\n"}}}});
    let p = params(json!({"v": "\"quoted\"\nline2"}));
    let out = render_template(&t, &p, &FAST).ok();
    assert_eq!(
        out,
        Some(json!({"spec": {"source": {"helm": {"values": "a: \"quoted\"\nline2\n"}}}}))
    );
}

#[test]
fn fast_templates_map_keys_too() {
    // utils.go deeplyReplace: "Keys can be templated as well as values".
    let t = json!({"metadata": {"annotations": {"team/{{team}}": "yes"}}});
    let p = params(json!({"team": "core"}));
    let out = render_template(&t, &p, &FAST).ok();
    assert_eq!(
        out,
        Some(json!({"metadata": {"annotations": {"team/core": "yes"}}}))
    );
}

#[test]
fn fast_go_syntax_is_not_evaluated() {
    let p = params(json!({"a": "1"}));
    let r = render_string("{{ .a }} {{ default \"x\" a }}", &p, &FAST).ok();
    assert_eq!(r.as_deref(), Some("{{ .a }} {{ default \"x\" a }}"));
}

#[test]
fn no_params_means_no_rendering() {
    // utils.go RenderTemplateParams: `if len(params) == 0 { return tmpl, nil }`.
    let t = json!({"metadata": {"name": "{{ \"x\" | upper }}"}});
    let out = render_template(&t, &Params::new(), &GO).ok();
    assert_eq!(out, Some(t));
}

#[test]
fn non_string_leaves_are_kept_and_null_members_dropped() {
    // Go templates apply only to string fields (Go Template docs, "Limitations"); nil map
    // values are skipped by deeplyReplace.
    let t = json!({
        "spec": {
            "syncPolicy": {"automated": {"prune": true}, "retry": {"limit": 5}},
            "source": {"helm": {"valuesObject": {"a": null, "b": "{{.name}}"}}},
            "list": [null, 1, "{{.name}}"]
        }
    });
    let out = render_template(&t, &go_params(), &GO).ok();
    assert_eq!(
        out,
        Some(json!({
            "spec": {
                "syncPolicy": {"automated": {"prune": true}, "retry": {"limit": 5}},
                "source": {"helm": {"valuesObject": {"b": "in-cluster"}}},
                "list": [null, 1, "in-cluster"]
            }
        }))
    );
}

// ---------------------------------------------------------------------------------------------
// goTemplate mode: fields, keys, missing keys (Go Template docs; text/template "Arguments")

#[test]
fn go_field_access() {
    assert_eq!(go("{{.name}}"), "in-cluster");
    assert_eq!(go("{{ .path.basename }}"), "guestbook");
    // Go Template docs, migration guide: `{{path[n]}}` becomes `{{index .path.segments n}}`.
    assert_eq!(go("{{index .path.segments 1}}"), "guestbook");
    // ... and labels with dashes need `index`.
    assert_eq!(go("{{index .metadata.labels \"my-label\"}}"), "x");
}

#[test]
fn go_templates_keys_and_values_per_field() {
    let t = json!({"metadata": {"name": "{{.name}}", "labels": {"{{.path.basename}}": "{{.metadata.labels.env}}"}}});
    let out = render_template(&t, &go_params(), &GO).ok();
    assert_eq!(
        out,
        Some(json!({"metadata": {"name": "in-cluster", "labels": {"guestbook": "prod"}}}))
    );
}

#[test]
fn go_control_cannot_span_fields() {
    // Go Template docs, "Limitations": each field is an independent template.
    let t = json!({"spec": {"source": {"helm": {"parameters": [
        {"name": "{{range .list}}"}, {"name": "{{.}}"}, {"name": "{{end}}"}
    ]}}}});
    let e = render_template(&t, &go_params(), &GO).err();
    assert!(matches!(
        &e,
        Some(TemplateError::InField { path, source })
            if path == "spec.source.helm.parameters[0].name"
                && err_message(source) == "unexpected EOF"
    ));
}

#[test]
fn go_missing_keys_default_and_error_modes() {
    // text/template Option "missingkey=default": prints "<no value>".
    assert_eq!(go("{{.missing}}"), "<no value>");
    assert_eq!(go("{{.missing.deeper}}"), "<no value>");
    assert_eq!(go("{{.nul}}"), "<no value>");
    // Inside fmt (print), nil shows as <nil>.
    assert_eq!(go("{{print .missing}}|{{print .nul}}"), "<nil>|<nil>");
    // "missingkey=error": execution stops with an error.
    let p = go_params();
    let e = render_string("{{.missing}}", &p, &GO_STRICT).err();
    assert_eq!(
        e.as_ref().map(err_message).as_deref(),
        Some("map has no entry for key \"missing\"")
    );
    assert_eq!(
        e.map(|e| e.to_string()).as_deref(),
        Some("template: 1:3: executing at <.missing>: map has no entry for key \"missing\"")
    );
    // index is not subject to missingkey.
    let r = render_string("{{index .metadata.labels \"nope\"}}", &p, &GO_STRICT).ok();
    assert_eq!(r.as_deref(), Some("<no value>"));
    // Go Template docs "Fallbacks for unset parameters": dig works under missingkey=error.
    let r = render_string("{{.name}}{{dig \"nameSuffix\" \"\" .}}", &p, &GO_STRICT).ok();
    assert_eq!(r.as_deref(), Some("in-cluster"));
}

#[test]
fn go_field_errors() {
    assert_eq!(
        err_message(&go_err("{{.nul.x}}")),
        "nil pointer evaluating interface {}.x"
    );
    assert_eq!(
        err_message(&go_err("{{.name.x}}")),
        "can't evaluate field x in type string"
    );
    assert_eq!(
        err_message(&go_err("{{.m.a \"arg\"}}")),
        "a is not a method but has arguments"
    );
}

#[test]
fn go_value_printing_follows_fmt() {
    // JSON numbers are float64 in Argo CD's params; %v prints 3, 1.5 and 1e+06.
    assert_eq!(go("{{.n}} {{.f}} {{.big}}"), "3 1.5 1e+06");
    assert_eq!(go("{{.list}} {{.m}} {{.t}}"), "[a b] map[a:1 b:2] true");
    assert_eq!(go("{{list 1 .nul \"x\" 2.5}}"), "[1 <nil> x 2.5]");
    assert_eq!(
        go("{{.path}}"),
        "map[basename:guestbook path:apps/guestbook segments:[apps guestbook]]"
    );
}

// ---------------------------------------------------------------------------------------------
// text/template syntax ("Text and spaces", "Actions", "Arguments", "Pipelines", "Variables")

#[test]
fn text_and_spaces_trim_markers_and_comments() {
    assert_eq!(go("a  {{- .name -}}  b"), "ain-clusterb");
    assert_eq!(go("a {{- /* comment */ -}} b"), "ab");
    assert_eq!(go("a{{/* comment */}}b"), "ab");
    assert_eq!(go("{{23 -}} < {{- 45}}"), "23<45");
    // "{{-3}}" is the number -3, not a trim marker.
    assert_eq!(go("{{-3}}"), "-3");
}

#[test]
fn if_else_chains() {
    let t = "{{if eq .name \"x\"}}A{{else if eq .name \"in-cluster\"}}B{{else}}C{{end}}";
    assert_eq!(go(t), "B");
    assert_eq!(go("{{if .empty}}y{{else}}n{{end}}"), "n");
    assert_eq!(go("{{if .list}}y{{end}}{{if .missing}}z{{end}}"), "y");
}

#[test]
fn range_forms() {
    assert_eq!(
        go("{{range $i, $v := .list}}{{$i}}={{$v}};{{end}}"),
        "0=a;1=b;"
    );
    // Maps range in sorted key order.
    assert_eq!(go("{{range $k, $v := .m}}{{$k}}{{$v}}{{end}}"), "a1b2");
    assert_eq!(go("{{range .missing}}x{{else}}none{{end}}"), "none");
    assert_eq!(go("{{range .list}}{{.}}{{end}}"), "ab");
    // Go 1.22: range over an integer.
    assert_eq!(go("{{range 3}}{{.}}{{end}}"), "012");
    assert_eq!(
        go("{{range .list}}{{if eq . \"b\"}}{{break}}{{end}}[{{.}}]{{end}}"),
        "[a]"
    );
    assert_eq!(
        go("{{range .list}}{{if eq . \"a\"}}{{continue}}{{end}}[{{.}}]{{end}}"),
        "[b]"
    );
    assert_eq!(
        go("{{range .list}}{{$.name}} {{end}}"),
        "in-cluster in-cluster "
    );
    assert!(err_message(&go_err("{{range .name}}{{end}}")).contains("range can't iterate over"));
}

#[test]
fn with_and_variables() {
    assert_eq!(go("{{with .path}}{{.basename}}{{end}}"), "guestbook");
    assert_eq!(go("{{with .missing}}x{{else}}y{{end}}"), "y");
    assert_eq!(
        go("{{with .missing}}x{{else with .name}}{{.}}{{end}}"),
        "in-cluster"
    );
    assert_eq!(go("{{$x := \"a\"}}{{$x = \"b\"}}{{$x}}"), "b");
    assert_eq!(
        go("{{$x := 1}}{{if true}}{{$x = 2}}{{$y := 3}}{{end}}{{$x}}"),
        "2"
    );
    assert_eq!(
        err_message(&go_err("{{if true}}{{$y := 3}}{{end}}{{$y}}")),
        "undefined variable \"$y\""
    );
}

#[test]
fn define_template_and_block() {
    assert_eq!(
        go("{{define \"t\"}}[{{.}}]{{end}}{{template \"t\" .name}}"),
        "[in-cluster]"
    );
    assert_eq!(go("{{block \"b\" .name}}<{{.}}>{{end}}"), "<in-cluster>");
    assert_eq!(
        err_message(&go_err("{{template \"nope\"}}")),
        "template \"nope\" not defined"
    );
}

#[test]
fn literals_and_parentheses() {
    assert_eq!(go("{{\"a\\tb\"}}"), "a\tb");
    assert_eq!(go("{{`a\\n`}}"), "a\\n");
    assert_eq!(
        go("{{'a'}} {{1.5}} {{0x10}} {{1e3}} {{true}}"),
        "97 1.5 16 1000 true"
    );
    assert_eq!(go("{{(len .list)}} {{(index .path.segments 0)}}"), "2 apps");
    assert_eq!(go("{{(dict \"a\" \"b\").a}}"), "b");
    assert_eq!(err_message(&go_err("{{nil}}")), "nil is not a command");
}

#[test]
fn pipelines_pass_the_final_argument() {
    assert_eq!(go("{{.name | upper}}"), "IN-CLUSTER");
    assert_eq!(go("{{.name | printf \"%s!\"}}"), "in-cluster!");
    assert_eq!(go("{{\"x\" | printf \"%s%s\" \"a\"}}"), "ax");
    assert_eq!(
        err_message(&go_err("{{.name | \"x\"}}")),
        "non executable command in pipeline stage 2"
    );
}

// ---------------------------------------------------------------------------------------------
// text/template "Functions" (predefined global functions)

#[test]
fn and_or_not_short_circuit() {
    assert_eq!(go("{{and .name .missing}}"), "<no value>");
    assert_eq!(go("{{or .missing \"d\"}}"), "d");
    assert_eq!(go("{{and 1 0}} {{or 0 \"\"}}|"), "0 |");
    // Since Go 1.18 and/or stop evaluating at the first deciding argument.
    assert_eq!(go("{{or .name (fail \"boom\")}}"), "in-cluster");
    assert_eq!(go("{{not .empty}} {{not .name}}"), "true false");
}

#[test]
fn len_index_comparisons() {
    assert_eq!(go("{{len .name}} {{len .m}} {{len .list}}"), "10 2 2");
    assert_eq!(go("{{index .list 1}} {{index \"abc\" 0}}"), "b 97");
    assert_eq!(
        err_message(&go_err("{{index .list 5}}")),
        "error calling index: index out of range: 5"
    );
    // JSON numbers are float64: comparing with an int literal is an error in Go.
    assert_eq!(go("{{eq .n 3.0}}"), "true");
    assert_eq!(
        err_message(&go_err("{{eq .n 3}}")),
        "error calling eq: incompatible types for comparison"
    );
    assert_eq!(
        go("{{eq .missing \"x\"}} {{eq .name \"a\" \"in-cluster\"}}"),
        "false true"
    );
    assert_eq!(
        go("{{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge .f 2.0}} {{ne 1 2}}"),
        "true true true false true"
    );
    assert_eq!(
        err_message(&go_err("{{lt .list 1}}")),
        "error calling lt: invalid type for comparison"
    );
}

#[test]
fn print_family_and_escapers() {
    assert_eq!(go("{{print 1 2 \"a\" 3}}"), "1 2a3");
    assert_eq!(go("{{println \"a\" 1}}"), "a 1\n");
    assert_eq!(go("{{printf \"%s-%d\" .name 5}}"), "in-cluster-5");
    assert_eq!(go("{{printf \"%d\" .n}}"), "%!d(float64=3)");
    assert_eq!(
        go("{{printf \"%v|%03d|%.1f|%q\" .list 7 .f .name}}"),
        "[a b]|007|1.5|\"in-cluster\""
    );
    assert_eq!(
        go("{{html \"<a href='x'>\"}}"),
        "&lt;a href=&#39;x&#39;&gt;"
    );
    assert_eq!(go("{{js \"a'b<\"}}"), "a\\'b\\u003C");
    assert_eq!(go("{{urlquery \"a b&c\"}}"), "a+b%26c");
}

#[test]
fn argument_types_are_checked_like_go() {
    // Sprig arithmetic returns int64; trunc wants an int.
    assert_eq!(
        err_message(&go_err("{{trunc (add 1 2) .name}}")),
        "wrong type for value; expected int; got int64"
    );
    assert_eq!(
        err_message(&go_err("{{.missing | lower}}")),
        "invalid value; expected string"
    );
    assert_eq!(
        err_message(&go_err("{{upper .n}}")),
        "wrong type for value; expected string; got float64"
    );
    assert_eq!(
        err_message(&go_err("{{trunc \"3\" .name}}")),
        "expected integer; found \"3\""
    );
    assert_eq!(
        err_message(&go_err("{{upper}}")),
        "wrong number of args for upper: want 1 got 0"
    );
}

// ---------------------------------------------------------------------------------------------
// Parse errors (text/template/parse) and the functions Argo CD removes or adds

#[test]
fn parse_errors_report_position() {
    let e = go_err("{{ foo }}");
    assert_eq!(e.to_string(), "template: 1:4: function \"foo\" not defined");
    assert!(matches!(
        e,
        TemplateError::Parse {
            offset: 3,
            line: 1,
            column: 4,
            ..
        }
    ));
    assert_eq!(err_message(&go_err("a\n{{ .x")), "unclosed action");
    assert_eq!(
        err_message(&go_err("{{.my-label}}")),
        "bad character U+002D '-'"
    );
    assert_eq!(err_message(&go_err("{{else}}")), "unexpected {{else}}");
}

#[test]
fn argo_removes_environment_functions() {
    // Go Template docs: Sprig "except for env, expandenv and getHostByName".
    for f in ["env \"HOME\"", "expandenv \"$HOME\"", "getHostByName \"x\""] {
        let name = f.split(' ').next().unwrap_or_default();
        assert_eq!(
            err_message(&go_err(&format!("{{{{ {f} }}}}"))),
            format!("function \"{name}\" not defined")
        );
    }
}

#[test]
fn unsupported_functions_parse_but_do_not_run() {
    assert!(
        matches!(go_err("{{ now }}"), TemplateError::Unsupported { ref name, .. } if name == "now")
    );
    // Not executed: no error.
    assert_eq!(go("{{if false}}{{now}}{{end}}ok"), "ok");
}

#[test]
fn argo_normalize_and_slugify() {
    // Go Template docs: normalize replaces invalid DNS characters with hyphens.
    assert_eq!(go("{{normalize \"My_App.Name\"}}"), "my-app.name");
    // Go Template docs "slugify" usage example.
    let p = params(json!({"name": "x", "branch": "feature/Add-Very-Long-Branch-Name-For-Testing"}));
    let t = json!({"metadata": {
        "name": "hellos3-{{.name}}-{{ cat .branch | slugify 23 }}",
        "annotations": {
            "label-1": "{{ cat .branch | slugify }}",
            "label-2": "{{ cat .branch | slugify 23 }}",
            "label-3": "{{ cat .branch | slugify 50 false }}"
        }
    }});
    let out = render_template(&t, &p, &GO).ok();
    assert_eq!(
        out,
        Some(json!({"metadata": {
            "name": "hellos3-x-feature-add-very-long",
            "annotations": {
                "label-1": "feature-add-very-long-branch-name-for-testing",
                "label-2": "feature-add-very-long",
                "label-3": "feature-add-very-long-branch-name-for-testing"
            }
        }}))
    );
}

#[test]
fn argo_tpl_and_to_yaml() {
    assert_eq!(go("{{tpl \"{{.name}}-x\" .}}"), "in-cluster-x");
    assert_eq!(go("{{tpl \"{{.nope}}\" .}}|"), "|");
    assert_eq!(go("{{toYaml .m}}"), "a: \"1\"\nb: \"2\"");
    assert_eq!(go("{{toYaml .list}}"), "- a\n- b");
    assert_eq!(
        go("{{toYaml .path | nindent 2}}"),
        "\n  basename: guestbook\n  path: apps/guestbook\n  segments:\n  - apps\n  - guestbook"
    );
    assert_eq!(
        go("{{toYaml .n}}|{{toYaml .f}}|{{toYaml .t}}|{{toYaml .empty}}"),
        "3|1.5|true|\"\""
    );
}

// ---------------------------------------------------------------------------------------------
// Sprig functions (masterminds.github.io/sprig)

#[test]
fn sprig_defaults() {
    assert_eq!(go("{{.missing | default \"d\"}}"), "d");
    assert_eq!(
        go("{{default \"d\" .name}} {{default \"d\" .empty}}"),
        "in-cluster d"
    );
    assert_eq!(
        go("{{empty .list}} {{empty .missing}} {{empty 0}}"),
        "false true true"
    );
    assert_eq!(go("{{coalesce .missing .empty \"c\"}}"), "c");
    assert_eq!(go("{{ternary \"y\" \"n\" .t}}"), "y");
}

#[test]
fn sprig_strings() {
    assert_eq!(
        go("{{title \"hello world\"}} {{lower \"ABC\"}} {{upper \"abc\"}}"),
        "Hello World abc ABC"
    );
    assert_eq!(
        go("[{{trim \"  x \"}}] {{trimAll \"-\" \"--x--\"}}"),
        "[x] x"
    );
    assert_eq!(
        go("{{trimPrefix \"in-\" .name}} {{trimSuffix \"-cluster\" .name}}"),
        "cluster in"
    );
    assert_eq!(go("{{replace \"-\" \"_\" .name}}"), "in_cluster");
    assert_eq!(
        go("{{contains \"clu\" .name}} {{hasPrefix \"in\" .name}} {{hasSuffix \"x\" .name}}"),
        "true true false"
    );
    assert_eq!(
        go("{{quote .name 1}} {{squote .name}}"),
        "\"in-cluster\" \"1\" 'in-cluster'"
    );
    assert_eq!(go("{{cat \"a\" .missing \"b\" 1}}"), "a b 1");
    assert_eq!(
        go("{{indent 2 \"a\\nb\"}}|{{nindent 2 \"a\"}}"),
        "  a\n  b|\n  a"
    );
    assert_eq!(
        go("{{trunc 3 .name}} {{trunc -3 .name}} {{substr 0 2 .name}}"),
        "in- ter in"
    );
    assert_eq!(go("{{repeat 3 \"ab\"}}"), "ababab");
    assert_eq!(
        go("{{kebabcase \"MyAppName\"}} {{snakecase \"MyAppName\"}} {{camelcase \"my_app\"}}"),
        "my-app-name my_app_name MyApp"
    );
    assert_eq!(
        go("{{b64enc \"hello\"}} {{b64dec \"aGVsbG8=\"}} {{b64dec \"!\"}}"),
        "aGVsbG8= hello illegal base64 data at input byte 0"
    );
    assert_eq!(
        go("{{sha256sum \"abc\"}}"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        go("{{base .path.path}} {{dir .path.path}} {{ext \"a/b.yaml\"}}"),
        "guestbook apps .yaml"
    );
}

#[test]
fn sprig_lists_and_dicts() {
    assert_eq!(
        go("{{join \",\" .list}} {{splitList \"/\" .path.path}}"),
        "a,b [apps guestbook]"
    );
    assert_eq!(go("{{(split \"/\" .path.path)._1}}"), "guestbook");
    assert_eq!(go("{{dict \"b\" 1 \"a\" 2}}"), "map[a:2 b:1]");
    assert_eq!(go("{{get .m \"a\"}}|{{get .m \"z\"}}|"), "1||");
    assert_eq!(
        go("{{$d := dict}}{{$_ := set $d \"k\" \"v\"}}{{$d.k}}"),
        "v"
    );
    assert_eq!(
        go("{{hasKey .m \"a\"}} {{keys .m | sortAlpha}}"),
        "true [a b]"
    );
    assert_eq!(
        go("{{first .list}} {{last .list}} {{rest .list}} {{initial .list}}"),
        "a b [b] [a]"
    );
    assert_eq!(
        go("{{uniq (list 1 1 2)}} {{has \"a\" .list}} {{without .list \"a\"}}"),
        "[1 2] true [b]"
    );
    assert_eq!(
        go("{{compact (list \"\" \"a\" 0 nil)}} {{append .list \"c\"}} {{prepend .list \"z\"}}"),
        "[a] [a b c] [z a b]"
    );
    assert_eq!(
        go("{{concat .list (list 1)}} {{reverse .list}} {{slice .list 1}}"),
        "[a b 1] [b a] [b]"
    );
    assert_eq!(
        go("{{until 3}} {{seq 3}} {{untilStep 0 6 2}}"),
        "[0 1 2] 1 2 3 [0 2 4]"
    );
    assert_eq!(
        go("{{pluck \"a\" .m (dict \"a\" \"z\")}} {{pick .m \"a\"}} {{omit .m \"a\"}}"),
        "[1 z] map[a:1] map[b:2]"
    );
    assert_eq!(
        go("{{dig \"path\" \"basename\" \"d\" .}} {{dig \"path\" \"nope\" \"d\" .}}"),
        "guestbook d"
    );
}

#[test]
fn sprig_merge_keeps_or_overwrites() {
    let t =
        "{{$a := dict \"x\" \"1\" \"e\" \"\"}}{{$b := dict \"x\" \"2\" \"y\" \"3\" \"e\" \"4\"}}";
    assert_eq!(
        go(&format!("{t}{{{{toJson (merge $a $b)}}}}")),
        "{\"e\":\"4\",\"x\":\"1\",\"y\":\"3\"}"
    );
    assert_eq!(
        go(&format!("{t}{{{{toJson (mergeOverwrite $a $b)}}}}")),
        "{\"e\":\"4\",\"x\":\"2\",\"y\":\"3\"}"
    );
}

#[test]
fn sprig_json() {
    assert_eq!(
        go("{{toJson .m}} {{toJson .n}} {{toJson .list}}"),
        "{\"a\":\"1\",\"b\":\"2\"} 3 [\"a\",\"b\"]"
    );
    assert_eq!(
        go("{{toPrettyJson .m}}"),
        "{\n  \"a\": \"1\",\n  \"b\": \"2\"\n}"
    );
    assert_eq!(
        go("{{toJson \"<&>\"}} {{toRawJson \"<&>\"}}"),
        "\"\\u003c\\u0026\\u003e\" \"<&>\""
    );
    assert_eq!(go("{{(fromJson \"{\\\"a\\\":[1,2]}\").a}}"), "[1 2]");
    assert_eq!(go("{{fromJson \"bad\"}}"), "<no value>");
    assert!(matches!(
        go_err("{{mustFromJson \"bad\"}}"),
        TemplateError::Exec { .. }
    ));
}

#[test]
fn sprig_regex() {
    assert_eq!(
        go("{{regexMatch \"^in-\" .name}} {{regexMatch \"(\" \"x\"}}"),
        "true false"
    );
    assert_eq!(
        go("{{regexReplaceAll \"-(.*)\" .name \"_${1}\"}}"),
        "in_cluster"
    );
    assert_eq!(
        go("{{regexFind \"[a-z]+$\" .name}} {{regexFindAll \"[ab]\" \"abcab\" -1}}"),
        "cluster [a b a b]"
    );
    assert_eq!(
        go("{{regexSplit \"-\" .name -1}} {{regexQuoteMeta \"a.b\"}}"),
        "[in cluster] a\\.b"
    );
    assert!(
        err_message(&go_err("{{regexFind \"(\" \"x\"}}")).starts_with("error calling regexFind:")
    );
}

#[test]
fn sprig_numbers() {
    assert_eq!(
        go("{{int \"42\"}} {{int .n}} {{toString .n}} {{atoi \"12\"}} {{int \"08\"}}"),
        "42 3 3 12 0"
    );
    assert_eq!(
        go("{{add 1 2 .n}} {{sub 5 2}} {{mul 2 3}} {{div 7 2}} {{mod 7 2}}"),
        "6 3 6 3 1"
    );
    assert_eq!(
        go("{{max 1 5 3}} {{min 4 2}} {{add1 .f}} {{float64 \"2.5\"}}"),
        "5 2 2 2.5"
    );
    assert_eq!(
        go("{{addf 0.1 0.2}} {{mulf 1.5 2}} {{round 2.567 2}}"),
        "0.3 3 2.57"
    );
    assert_eq!(
        err_message(&go_err("{{div 1 0}}")),
        "error calling div: runtime error: integer divide by zero"
    );
    assert_eq!(
        go("{{typeOf .n}} {{typeOf (add 1 1)}} {{kindOf .list}}"),
        "float64 int64 slice"
    );
}

#[test]
fn sprig_fail_reports_the_message() {
    assert_eq!(
        err_message(&go_err("{{fail \"no\"}}")),
        "error calling fail: no"
    );
}

#[test]
fn set_on_params_is_visible_to_later_fields() {
    // Argo CD passes the same parameter map to every field's template.
    let t = json!({"a": "{{$_ := set . \"extra\" \"v\"}}", "b": "{{.extra}}"});
    let out = render_template(&t, &go_params(), &GO).ok();
    assert_eq!(out, Some(json!({"a": "", "b": "v"})));
}

// ---------------------------------------------------------------------------------------------
// Safety limits: hostile templates end in errors, not hangs, crashes or huge allocations.

fn is_limit(e: &TemplateError) -> bool {
    match e {
        TemplateError::Limit { .. } => true,
        TemplateError::Parse { message, .. } => message.contains("nesting"),
        TemplateError::InField { source, .. } => is_limit(source),
        _ => false,
    }
}

#[test]
fn limits_stop_runaway_templates() {
    for t in [
        "{{range 100000000}}x{{end}}",
        "{{range $i := until 10000}}{{range until 10000}}{{end}}{{end}}",
        "{{repeat 2000000 \"x\"}}",
        "{{range until 3000}}{{repeat 1000 \"x\"}}{{end}}",
        "{{define \"r\"}}{{template \"r\" .}}{{end}}{{template \"r\" .}}",
        "{{$l := list 1}}{{range until 40}}{{$l = concat $l $l}}{{end}}",
        "{{$d := dict}}{{$_ := set $d \"self\" $d}}{{$d}}",
        "{{$d := dict}}{{$_ := set $d \"self\" $d}}{{toJson $d}}",
        "{{$l := list 1}}{{range until 30}}{{$l = list $l $l}}{{end}}{{$l}}",
        "{{indent 100000000 \"a\"}}",
        "{{tpl \"{{tpl .t .}}\" (dict \"t\" \"{{tpl .t .}}\")}}",
    ] {
        let e = go_err(t);
        assert!(is_limit(&e), "{t}: {e:?}");
    }
    let deep = format!("{{{{{}1{}}}}}", "(".repeat(1000), ")".repeat(1000));
    assert!(is_limit(&go_err(&deep)));
    let nested_ifs = format!("{}x{}", "{{if true}}".repeat(500), "{{end}}".repeat(500));
    assert!(is_limit(&go_err(&nested_ifs)));
}

#[test]
fn total_output_of_a_template_is_bounded() {
    let field = "{{repeat 1000000 \"x\"}}";
    let t = J::Array((0..40).map(|_| J::String(field.to_owned())).collect());
    let e = render_template(&t, &go_params(), &GO).err();
    assert!(e.as_ref().is_some_and(is_limit), "{e:?}");
}

// ---------------------------------------------------------------------------------------------
// Templates copied by hand from real ApplicationSets (their files named in each test), inline so
// that no test here reads the corpus; rendered as Argo CD would.

#[test]
fn corpus_list_generator_go() {
    // argoproj/argo-cd applicationset/examples/list-generator/list-example.yaml
    let t = json!({
        "metadata": {"name": "{{.cluster}}-guestbook"},
        "spec": {
            "project": "default",
            "source": {
                "repoURL": "https://github.com/argoproj/argo-cd.git",
                "targetRevision": "HEAD",
                "path": "applicationset/examples/list-generator/guestbook/{{.cluster}}"
            },
            "destination": {"server": "{{.url}}", "namespace": "guestbook"}
        }
    });
    let p = params(json!({"cluster": "engineering-dev", "url": "https://1.2.3.4"}));
    let out = render_template(&t, &p, &GO_STRICT).ok();
    assert_eq!(
        out,
        Some(json!({
            "metadata": {"name": "engineering-dev-guestbook"},
            "spec": {
                "project": "default",
                "source": {
                    "repoURL": "https://github.com/argoproj/argo-cd.git",
                    "targetRevision": "HEAD",
                    "path": "applicationset/examples/list-generator/guestbook/engineering-dev"
                },
                "destination": {"server": "https://1.2.3.4", "namespace": "guestbook"}
            }
        }))
    );
}

#[test]
fn corpus_cluster_generator_fasttemplate() {
    // argoproj/argo-cd applicationset/examples/cluster/cluster-example-fasttemplate.yaml
    let t = json!({
        "metadata": {"name": "{{name}}-guestbook"},
        "spec": {"project": "default", "destination": {"server": "{{server}}", "namespace": "guestbook"}}
    });
    let p = params(
        json!({"name": "prod", "server": "https://prod.example:6443", "nameNormalized": "prod"}),
    );
    let out = render_template(&t, &p, &FAST).ok();
    assert_eq!(
        out,
        Some(json!({
            "metadata": {"name": "prod-guestbook"},
            "spec": {"project": "default", "destination": {"server": "https://prod.example:6443", "namespace": "guestbook"}}
        }))
    );
}

#[test]
fn corpus_matrix_cluster_and_git_go() {
    // argoproj/argo-cd applicationset/examples/matrix/cluster-and-git.yaml
    let t = json!({
        "metadata": {"name": "{{.path.basename}}-{{.name}}"},
        "spec": {
            "project": "{{.metadata.labels.environment}}",
            "source": {"path": "{{.path.path}}"},
            "destination": {"server": "{{.server}}", "namespace": "{{.path.basename}}"}
        }
    });
    let p = params(json!({
        "name": "staging",
        "server": "https://10.0.0.1",
        "metadata": {"labels": {"environment": "staging"}, "annotations": {}},
        "path": {
            "path": "applicationset/examples/matrix/cluster-addons/argo-workflows",
            "basename": "argo-workflows",
            "basenameNormalized": "argo-workflows",
            "segments": ["applicationset", "examples", "matrix", "cluster-addons", "argo-workflows"]
        }
    }));
    let out = render_template(&t, &p, &GO_STRICT).ok();
    assert_eq!(
        out,
        Some(json!({
            "metadata": {"name": "argo-workflows-staging"},
            "spec": {
                "project": "staging",
                "source": {"path": "applicationset/examples/matrix/cluster-addons/argo-workflows"},
                "destination": {"server": "https://10.0.0.1", "namespace": "argo-workflows"}
            }
        }))
    );
}

#[test]
fn corpus_matrix_list_and_git_fasttemplate() {
    // argoproj/argo-cd applicationset/examples/matrix/list-and-git-fasttemplate.yaml
    let t = json!({
        "metadata": {"name": "{{path.basename}}-{{cluster}}"},
        "spec": {
            "project": "{{values.project}}",
            "source": {"path": "{{path}}"},
            "destination": {"server": "{{url}}", "namespace": "{{path.basename}}"}
        }
    });
    let p = params(json!({
        "path": "applicationset/examples/matrix/cluster-addons/prometheus-operator",
        "path.basename": "prometheus-operator",
        "cluster": "engineering-prod",
        "url": "https://2.4.6.8",
        "values.project": "prod"
    }));
    let out = render_template(&t, &p, &FAST).ok();
    assert_eq!(
        out,
        Some(json!({
            "metadata": {"name": "prometheus-operator-engineering-prod"},
            "spec": {
                "project": "prod",
                "source": {"path": "applicationset/examples/matrix/cluster-addons/prometheus-operator"},
                "destination": {"server": "https://2.4.6.8", "namespace": "prometheus-operator"}
            }
        }))
    );
}

#[test]
fn corpus_git_files_fasttemplate_keeps_unknown_tags() {
    // argoproj/argo-cd applicationset/examples/git-generator-files-discovery/
    // git-generator-files-fasttemplate.yaml; a param the element lacks stays as written.
    let t = json!({"metadata": {"name": "{{cluster.name}}-guestbook"}, "spec": {"destination": {"namespace": "{{cluster.namespace}}"}}});
    let p =
        params(json!({"cluster.name": "engineering-dev", "cluster.address": "https://1.2.3.4"}));
    let out = render_template(&t, &p, &FAST).ok();
    assert_eq!(
        out,
        Some(
            json!({"metadata": {"name": "engineering-dev-guestbook"}, "spec": {"destination": {"namespace": "{{cluster.namespace}}"}}})
        )
    );
}

#[test]
fn corpus_pull_request_generator_go() {
    // argoproj/argo-cd applicationset/examples/pull-request-generator/pull-request-example.yaml
    let t = json!({
        "metadata": {"name": "myapp-{{ .branch }}-{{ .number }}", "labels": {"key1": "{{ index .labels 0 }}"}},
        "spec": {
            "source": {
                "repoURL": "https://github.com/myorg/myrepo.git",
                "targetRevision": "{{ .head_sha }}",
                "path": "helm-guestbook",
                "helm": {"parameters": [{"name": "image.tag", "value": "pull-{{ .head_sha }}"}]}
            },
            "project": "default",
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "{{ .branch }}-{{ .number }}"},
            "syncPolicy": {"syncOptions": ["CreateNamespace=true"]}
        }
    });
    let p = params(json!({
        "number": "42", "branch": "feat-x", "branch_slug": "feat-x",
        "head_sha": "0123abcd", "head_short_sha": "0123abcd", "labels": ["preview"]
    }));
    let out = render_template(&t, &p, &GO).ok();
    assert_eq!(
        out,
        Some(json!({
            "metadata": {"name": "myapp-feat-x-42", "labels": {"key1": "preview"}},
            "spec": {
                "source": {
                    "repoURL": "https://github.com/myorg/myrepo.git",
                    "targetRevision": "0123abcd",
                    "path": "helm-guestbook",
                    "helm": {"parameters": [{"name": "image.tag", "value": "pull-0123abcd"}]}
                },
                "project": "default",
                "destination": {"server": "https://kubernetes.default.svc", "namespace": "feat-x-42"},
                "syncPolicy": {"syncOptions": ["CreateNamespace=true"]}
            }
        }))
    );
}

#[test]
fn corpus_scm_provider_and_ducktype_go() {
    // argoproj/argo-cd applicationset/examples/scm-provider-generator/scm-provider-example.yaml
    let t = json!({"metadata": {"name": "{{ .repository }}-guestbook"}, "spec": {"source": {"repoURL": "{{ .url }}", "targetRevision": "{{ .branch }}"}}});
    let p = params(
        json!({"organization": "org", "repository": "svc", "url": "git@github.com:org/svc.git", "branch": "main"}),
    );
    assert_eq!(
        render_template(&t, &p, &GO).ok(),
        Some(
            json!({"metadata": {"name": "svc-guestbook"}, "spec": {"source": {"repoURL": "git@github.com:org/svc.git", "targetRevision": "main"}}})
        )
    );
    // argoproj/argo-cd applicationset/examples/clusterDecisionResource/ducktype-example.yaml
    let t = json!({
        "metadata": {"name": "{{.clusterName}}-book-import"},
        "spec": {
            "destination": {"name": "{{.clusterName}}", "namespace": "bookimport"},
            "syncPolicy": {"automated": {"prune": true}, "syncOptions": ["CreateNamespace=true"]}
        }
    });
    let p = params(json!({"clusterName": "cluster1"}));
    assert_eq!(
        render_template(&t, &p, &GO).ok(),
        Some(json!({
            "metadata": {"name": "cluster1-book-import"},
            "spec": {
                "destination": {"name": "cluster1", "namespace": "bookimport"},
                "syncPolicy": {"automated": {"prune": true}, "syncOptions": ["CreateNamespace=true"]}
            }
        }))
    );
}

#[test]
fn corpus_template_override_generator_template_go() {
    // argoproj/argo-cd applicationset/examples/template-override/template-overrides-example.yaml
    let t = json!({"spec": {"source": {"path": "applicationset/examples/template-override/{{.cluster}}-override"}, "destination": {}}, "metadata": {}});
    let p = params(json!({"cluster": "engineering-dev", "url": "https://kubernetes.default.svc"}));
    assert_eq!(
        render_template(&t, &p, &GO).ok(),
        Some(
            json!({"spec": {"source": {"path": "applicationset/examples/template-override/engineering-dev-override"}, "destination": {}}, "metadata": {}})
        )
    );
}

fn bridge_params() -> Params {
    params(json!({
        "name": "hub",
        "nameNormalized": "hub",
        "server": "https://kubernetes.default.svc",
        "metadata": {
            "labels": {"environment": "prod", "enable_external_dns": "true"},
            "annotations": {
                "addons_repo_url": "https://github.com/gitops-bridge-dev/addons",
                "addons_repo_revision": "main",
                "addons_repo_basepath": "",
                "external_dns_service_account": "external-dns-sa",
                "external_dns_iam_role_arn": "arn:aws:iam::123:role/dns",
                "external_dns_domain_filters": "[example.com]",
                "aws_cluster_name": "hub-cluster",
                "external_dns_namespace": "external-dns",
                "argocd_domain": "argocd.example.com"
            }
        },
        "values": {
            "addonChart": "external-dns",
            "addonChartVersion": "1.14.3",
            "addonChartRepository": "https://kubernetes-sigs.github.io/external-dns"
        }
    }))
}

#[test]
fn corpus_gitops_bridge_external_dns_go() {
    // gitops-bridge bootstrap/control-plane/addons/aws/addons-aws-oss-external-dns-appset.yaml
    let t = json!({
        "metadata": {"name": "addon-{{.name}}-{{.values.addonChart}}"},
        "spec": {
            "sources": [
                {"repoURL": "{{.metadata.annotations.addons_repo_url}}", "targetRevision": "{{.metadata.annotations.addons_repo_revision}}", "ref": "values"},
                {
                    "chart": "{{.values.addonChart}}",
                    "repoURL": "{{.values.addonChartRepository}}",
                    "targetRevision": "{{.values.addonChartVersion}}",
                    "helm": {
                        "releaseName": "{{.values.addonChart}}",
                        "ignoreMissingValueFiles": true,
                        "valueFiles": [
                            "$values/{{.metadata.annotations.addons_repo_basepath}}/clusters/{{.name}}/addons/{{.values.addonChart}}/values.yaml"
                        ],
                        "values": "provider: aws\nserviceAccount:\n  name: {{.metadata.annotations.external_dns_service_account}}\n  annotations:\n    eks.amazonaws.com/role-arn: '{{.metadata.annotations.external_dns_iam_role_arn}}'\ndomainFilters: {{.metadata.annotations.external_dns_domain_filters}}\ntxtOwnerId: {{.metadata.annotations.aws_cluster_name}}\npolicy: {{default \"upsert-only\" .metadata.annotations.external_dns_policy}}\n"
                    }
                }
            ],
            "destination": {"namespace": "{{.metadata.annotations.external_dns_namespace}}", "name": "{{.name}}"}
        }
    });
    let out = render_template(&t, &bridge_params(), &GO).ok();
    let values = out
        .as_ref()
        .and_then(|o| o.pointer("/spec/sources/1/helm/values"))
        .and_then(J::as_str)
        .map(str::to_owned);
    assert_eq!(
        values.as_deref(),
        Some(
            "provider: aws\nserviceAccount:\n  name: external-dns-sa\n  annotations:\n    eks.amazonaws.com/role-arn: 'arn:aws:iam::123:role/dns'\ndomainFilters: [example.com]\ntxtOwnerId: hub-cluster\npolicy: upsert-only\n"
        )
    );
    assert_eq!(
        out.as_ref()
            .and_then(|o| o.pointer("/metadata/name"))
            .and_then(J::as_str),
        Some("addon-hub-external-dns")
    );
    assert_eq!(
        out.as_ref()
            .and_then(|o| o.pointer("/spec/sources/1/helm/valueFiles/0"))
            .and_then(J::as_str),
        Some("$values//clusters/hub/addons/external-dns/values.yaml")
    );
    assert_eq!(
        out.as_ref()
            .and_then(|o| o.pointer("/spec/sources/1/helm/ignoreMissingValueFiles")),
        Some(&J::Bool(true))
    );
}

#[test]
fn corpus_gitops_bridge_argocd_ingress_go() {
    // gitops-bridge bootstrap/control-plane/addons/aws/addons-aws-oss-argocd-ingress-appset.yaml
    let values = "global:\n  domain: {{.metadata.annotations.argocd_domain}}\nserver:\n  ingress:\n    annotations:\n      alb.ingress.kubernetes.io/listen-ports: \"[{\\\"HTTP\\\":80},{\\\"HTTPS\\\":443}]\"\n";
    let t = json!({
        "metadata": {"name": "addon-{{.name}}-aws-{{.values.addonChart}}"},
        "spec": {
            "sources": [{"helm": {"values": values}}],
            "destination": {"namespace": "{{default \"argocd\" .metadata.annotations.argocd_namespace}}", "name": "{{.name}}"}
        }
    });
    let out = render_template(&t, &bridge_params(), &GO).ok();
    assert_eq!(
        out,
        Some(json!({
            "metadata": {"name": "addon-hub-aws-external-dns"},
            "spec": {
                "sources": [{"helm": {"values": "global:\n  domain: argocd.example.com\nserver:\n  ingress:\n    annotations:\n      alb.ingress.kubernetes.io/listen-ports: \"[{\\\"HTTP\\\":80},{\\\"HTTPS\\\":443}]\"\n"}}],
                "destination": {"namespace": "argocd", "name": "hub"}
            }
        }))
    );
    // With missingkey=error the absent annotation is an error even inside `default`'s argument.
    let e = render_template(&t, &bridge_params(), &GO_STRICT).err();
    assert_eq!(
        e.as_ref().map(err_message).as_deref(),
        Some("map has no entry for key \"argocd_namespace\"")
    );
}

#[test]
fn corpus_gitops_bridge_kube_prometheus_fasttemplate() {
    // gitops-bridge bootstrap/control-plane/addons/oss/addons-kube-prometheus-stack-appset.yaml
    let t = json!({
        "metadata": {"name": "addon-{{name}}-{{values.addonChart}}"},
        "spec": {
            "sources": [
                {"repoURL": "{{metadata.annotations.addons_repo_url}}", "targetRevision": "{{metadata.annotations.addons_repo_revision}}", "ref": "values"},
                {"chart": "{{values.addonChart}}", "helm": {"valueFiles": [
                    "$values/{{metadata.annotations.addons_repo_basepath}}environments/{{metadata.labels.environment}}/addons/{{values.addonChart}}/values.yaml"
                ]}}
            ],
            "destination": {"namespace": "{{values.addonChart}}", "name": "{{name}}"},
            "syncPolicy": {"automated": {}, "syncOptions": ["CreateNamespace=true", "ServerSideApply=true", "ApplyOutOfSyncOnly=true"]}
        }
    });
    let p = params(json!({
        "name": "spoke-1",
        "values.addonChart": "kube-prometheus-stack",
        "metadata.annotations.addons_repo_url": "https://github.com/org/addons",
        "metadata.annotations.addons_repo_revision": "v1",
        "metadata.annotations.addons_repo_basepath": "gitops/",
        "metadata.labels.environment": "dev"
    }));
    let out = render_template(&t, &p, &FAST).ok();
    assert_eq!(
        out,
        Some(json!({
            "metadata": {"name": "addon-spoke-1-kube-prometheus-stack"},
            "spec": {
                "sources": [
                    {"repoURL": "https://github.com/org/addons", "targetRevision": "v1", "ref": "values"},
                    {"chart": "kube-prometheus-stack", "helm": {"valueFiles": [
                        "$values/gitops/environments/dev/addons/kube-prometheus-stack/values.yaml"
                    ]}}
                ],
                "destination": {"namespace": "kube-prometheus-stack", "name": "spoke-1"},
                "syncPolicy": {"automated": {}, "syncOptions": ["CreateNamespace=true", "ServerSideApply=true", "ApplyOutOfSyncOnly=true"]}
            }
        }))
    );
}

#[test]
fn corpus_argocd_cm_commit_message_template() {
    // argoproj/argo-cd docs/operator-manual/argocd-cm.yaml (hydrator commit message template).
    let p = params(json!({"metadata": {"drySha": "0123456789abcdef", "subject": "fix things"}}));
    let r = render_string(
        "{{.metadata.drySha | trunc 7}}: {{ .metadata.subject }}",
        &p,
        &GO,
    )
    .ok();
    assert_eq!(r.as_deref(), Some("0123456: fix things"));
    let r = render_string(
        "{{ \"deadbeef1234 x\" | mustRegexFind \"[0-9a-f]+\" | trunc 7 }}",
        &p,
        &GO,
    )
    .ok();
    assert_eq!(r.as_deref(), Some("deadbee"));
}

#[test]
fn errors_carry_the_field_path() {
    let t = json!({"spec": {"sources": [{"path": "{{ .x | nope }}"}]}});
    let e = render_template(&t, &go_params(), &GO).err();
    assert_eq!(
        e.map(|e| e.to_string()).as_deref(),
        Some("spec.sources[0].path: template: 1:9: function \"nope\" not defined")
    );
}

#[test]
fn extreme_integers_do_not_overflow() {
    // Arithmetic on hostile literals wraps or errors as in Go; it never aborts.
    let max = i64::MAX;
    let min = i64::MIN;
    for t in [
        format!("{{{{seq {max}}}}}"),
        format!("{{{{untilStep -1 {min} {min}}}}}"),
        format!("{{{{untilStep {min} {max} {max}}}}}"),
        format!(
            "{{{{add {max} 1}}}} {{{{mul {max} 2}}}} {{{{sub {min} 1}}}} {{{{div {min} -1}}}} {{{{mod {min} -1}}}}"
        ),
        format!(
            "{{{{trunc {min} \"x\"}}}} {{{{substr {min} {max} \"x\"}}}} {{{{printf \"%{max}d\" 1}}}}"
        ),
        format!("{{{{index .list {max}}}}} {{{{slice .list {max}}}}} {{{{repeat {max} \"x\"}}}}"),
        format!("{{{{range {max}}}}}{{{{end}}}}"),
        format!(
            "{{{{int \"{max}9\"}}}} {{{{int 1e300}}}} {{{{round 1e308 300}}}} {{{{addf 1e308 1e308}}}} {{{{divf 1 1e-300}}}}"
        ),
        "{{slugify -5 false \"abc\"}} {{chunk 0 .list}} {{indent -1 \"x\"}}".to_owned(),
    ] {
        let _ = render_string(&t, &go_params(), &GO);
    }
}

#[test]
fn total_work_of_a_template_is_bounded() {
    // Each field alone is within its own limits; together they exceed the template's budget.
    let field = "{{range 1500000}}{{end}}";
    let t = J::Array((0..40).map(|_| J::String(field.to_owned())).collect());
    let e = render_template(&t, &go_params(), &GO).err();
    assert!(e.as_ref().is_some_and(is_limit), "{e:?}");
}

/// `GO` with a `template-memory` of `bytes`.
fn go_with_memory(bytes: usize) -> TemplateOptions {
    TemplateOptions {
        memory: bytes,
        ..GO
    }
}

// issue 11: a 529-byte ApplicationSet `set` a fresh 1 MB string 100,000 times (300,000 steps,
// no output) and the process aborted with "memory allocation failed". Every value a function
// builds is charged to `template-memory`; here 1 MiB of them, so the bomb ends at its second
// copy, long before memory runs short.
#[test]
fn values_a_template_builds_are_charged_to_its_memory_budget() {
    let bomb = r#"{{ $s := repeat 500000 "x" }}{{ $d := dict }}{{ range $i := until 100000 }}{{ $_ := set $d (toString $i) (print $s) }}{{ end }}bomb"#;
    let e = render_string(bomb, &go_params(), &go_with_memory(1 << 20)).err();
    assert!(
        matches!(&e, Some(TemplateError::Limit { what, limit }) if what.contains("template-memory") && *limit == 1 << 20),
        "{e:?}"
    );
    assert!(e.is_some_and(|e| e.is_limit()));
    // `tpl` builds strings too, outside the function table.
    let via_tpl = r#"{{ $s := repeat 500000 "x" }}{{ $d := dict }}{{ range $i := until 100 }}{{ $_ := set $d (toString $i) (tpl $s $) }}{{ end }}"#;
    let e = render_string(via_tpl, &go_params(), &go_with_memory(1 << 20)).err();
    assert!(e.is_some_and(|e| e.is_limit()));
    // A literal stored again and again is a new string each time, as `set` keeps it.
    let literal = format!(
        r#"{{{{ $d := dict }}}}{{{{ range $i := until 1000 }}}}{{{{ $_ := set $d (toString $i) "{}" }}}}{{{{ end }}}}"#,
        "y".repeat(2000)
    );
    let e = render_string(&literal, &go_params(), &go_with_memory(1 << 20)).err();
    assert!(e.is_some_and(|e| e.is_limit()));
}

// Fuzzing (go_template, CI) found a 110-byte template that took 35 s: each `set` returns its map,
// and charging that map summed all its keys before seeing it was charged already, so a loop of
// 100,000 `set`s was 5·10⁹ key reads. The map is now recognised first; this runs in well under a
// second where the old code took minutes (a debug build), so a regression shows as a hang here.
#[test]
fn a_loop_of_sets_on_one_map_does_linear_work() {
    let t = r#"{{ $d := dict }}{{ range $i := until 100000 }}{{ $_ := set $d (toString $i) (repeat 0 "x") }}{{ end }}{{ len $d }}"#;
    assert_eq!(render_string(t, &go_params(), &GO).as_deref(), Ok("100000"));
}

// The budget counts allocations, not references: one string stored under 1,000 keys, or a map
// that `set` returns again, is charged once, so ordinary templates stay far inside it.
#[test]
fn a_value_shared_many_times_is_charged_once() {
    let shared = r#"{{ $s := repeat 100000 "x" }}{{ $d := dict }}{{ range $i := until 1000 }}{{ $_ := set $d (toString $i) $s }}{{ end }}{{ len $d }}"#;
    assert_eq!(
        render_string(shared, &go_params(), &go_with_memory(1 << 20)).as_deref(),
        Ok("1000")
    );
    // The same template with a copy per key is 100 MB of strings.
    let copied = shared.replace("(toString $i) $s", "(toString $i) (print $s)");
    assert!(
        render_string(&copied, &go_params(), &go_with_memory(1 << 20))
            .err()
            .is_some_and(|e| e.is_limit())
    );
}
