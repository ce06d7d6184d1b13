//! The import rules that keep the library's layers apart, checked on the checkout's sources:
//! which layer (a folder of `src/`) may use which, and no import circle between files. A file's
//! imports are the `crate::…`, `super::…` and `self::…` paths it names outside comments, and the
//! paths through the modules it declares (`mod x;` … `x::`), each resolved to the file of the
//! longest module path it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::harness::checkout;

/// Each layer and the layers it may use, bottom up. `attribute_keys` is the vocabulary's macro,
/// exported at the crate root. The CLI (`src/cli`, `src/main.rs`) is a separate crate over the
/// library's public modules.
const LAYERS: &[(&str, &[&str])] = &[
    ("resource", &[]),
    ("model", &[]),
    ("manifest", &["model"]),
    ("desired", &["model", "resource", "attribute_keys"]),
    ("live", &["model", "resource"]),
    (
        "plan",
        &["desired", "live", "manifest", "model", "resource"],
    ),
    ("package", &["desired", "model", "resource"]),
    ("bootstrap", &["desired", "model", "package", "resource"]),
    ("cost", &["desired", "manifest", "model"]),
    ("aws", &["desired", "live", "model", "plan", "resource"]),
    (
        "engine",
        &[
            "aws",
            "bootstrap",
            "desired",
            "live",
            "manifest",
            "model",
            "plan",
            "resource",
        ],
    ),
    (
        "adopt",
        &[
            "aws",
            "bootstrap",
            "desired",
            "engine",
            "live",
            "model",
            "plan",
            "resource",
        ],
    ),
];

/// A module path (`["aws", "ec2", "read"]`) for every file of the library.
fn modules(src: &Path) -> BTreeMap<Vec<String>, String> {
    fn walk(dir: &Path, src: &Path, out: &mut BTreeMap<Vec<String>, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, src, out);
                continue;
            }
            // The binary's root belongs to the CLI.
            if path.extension().is_none_or(|e| e != "rs") || path == src.join("main.rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut module: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            out.insert(module, std::fs::read_to_string(&path).unwrap());
        }
    }
    let mut out = BTreeMap::new();
    walk(src, src, &mut out);
    out
}

fn code(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The paths written at `text` (after a `crate::`): `a::b::{c, d::e}` gives `a::b::c`, `a::b::d::e`.
fn paths(text: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let trimmed = text.trim_start();
    let skipped = text.len() - trimmed.len();
    if let Some(group) = trimmed.strip_prefix('{') {
        let mut at = 0;
        loop {
            let rest = &group[at..];
            let t = rest.trim_start_matches([' ', '\n', ',', '\t', '\r']);
            at += rest.len() - t.len();
            if t.starts_with('}') || t.is_empty() {
                return skipped + 1 + at + 1;
            }
            let used = paths(&group[at..], prefix.clone(), out);
            if used == 0 {
                return skipped + 1 + at;
            }
            at += used;
        }
    }
    let name = ident(trimmed);
    if name.is_empty() {
        return 0;
    }
    let mut path = prefix;
    path.push(name.to_string());
    let after = &trimmed[name.len()..];
    match after.strip_prefix("::") {
        Some(rest) => skipped + name.len() + 2 + paths(rest, path, out),
        None => {
            out.push(path);
            skipped + name.len()
        }
    }
}

/// Every module path `text` (the file of `module`) names.
fn named(module: &[String], text: &str) -> Vec<Vec<String>> {
    let text = code(text);
    let mut out = Vec::new();
    // `super` is the parent module, whether the file is `x.rs` or `x/mod.rs`.
    let parent = module[..module.len().saturating_sub(1)].to_vec();
    for (i, _) in text.match_indices("::") {
        let before = &text[..i];
        let word_start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |p| p + 1);
        let word = &before[word_start..];
        // Only the start of a path: not the middle of `a::b::c`.
        if before[..word_start].ends_with("::") {
            continue;
        }
        let base = match word {
            "crate" => Vec::new(),
            "super" => parent.clone(),
            "self" => module.to_vec(),
            _ => continue,
        };
        let mut found = Vec::new();
        paths(&text[i + 2..], Vec::new(), &mut found);
        for p in found {
            let mut full = base.clone();
            for seg in p {
                if seg == "super" {
                    full.pop();
                } else {
                    full.push(seg);
                }
            }
            out.push(full);
        }
    }
    // The modules it declares, used by name.
    for line in text.lines() {
        let line = line.trim();
        let declared = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("mod "))
            .and_then(|r| r.strip_suffix(';'));
        if let Some(child) = declared {
            let needle = format!("{child}::");
            if text.match_indices(&needle).any(|(i, _)| {
                !text[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            }) {
                let mut full = module.to_vec();
                full.push(child.to_string());
                out.push(full);
            }
        }
    }
    out
}

/// The file-level import graph: each file's module and the modules of the files it uses.
/// A module and its own submodules are one unit: the edges between them are left out.
fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let src = checkout().join("src");
    let files = modules(&src);
    let mut edges = BTreeMap::new();
    for (module, text) in &files {
        if module.first().is_some_and(|m| m == "cli") {
            continue;
        }
        let mut to = BTreeSet::new();
        for path in named(module, text) {
            let target = (1..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| files.contains_key(p));
            if let Some(t) = target {
                let related = t.starts_with(module) || module.starts_with(&t);
                if !related {
                    to.insert(t);
                }
            }
        }
        edges.insert(module.clone(), to);
    }
    edges
}

/// The import circles: the strongly connected parts of more than one file (Tarjan).
fn circles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on: BTreeSet<&'a Vec<String>>,
        out: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a Vec<String>) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if self.on.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut part = Vec::new();
                loop {
                    let w = self.stack.pop().unwrap();
                    self.on.remove(w);
                    part.push(w.join("/"));
                    if w == v {
                        break;
                    }
                }
                if part.len() > 1 {
                    part.sort();
                    self.out.push(part);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.out
}

#[test]
fn every_layer_uses_only_the_layers_below_it() {
    let edges = graph();
    let mut wrong = Vec::new();
    for (module, to) in &edges {
        let layer = module.first().map(String::as_str).unwrap_or("");
        let Some((_, allowed)) = LAYERS.iter().find(|(l, _)| *l == layer) else {
            if !module.is_empty() {
                wrong.push(format!("{} is in no layer", module.join("/")));
            }
            continue;
        };
        for t in to {
            let other = t.first().map(String::as_str).unwrap_or("");
            if other != layer && !allowed.contains(&other) {
                wrong.push(format!("{} uses {}", module.join("/"), t.join("/")));
            }
        }
    }
    // The crate-root macro is named through `crate::attribute_keys!`, which no file holds.
    for (module, text) in modules(&checkout().join("src")) {
        let layer = module.first().cloned().unwrap_or_default();
        if code(&text).contains("crate::attribute_keys") && layer != "desired" {
            wrong.push(format!("{} uses attribute_keys", module.join("/")));
        }
    }
    assert!(
        wrong.is_empty(),
        "layer rules broken:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_file_imports_one_that_imports_it_back() {
    let found = circles(&graph());
    assert!(found.is_empty(), "import circles: {found:?}");
}

#[test]
fn the_check_sees_a_circle_and_a_layer_broken() {
    // The two rules above are only as good as the graph: a made-up circle and a made-up
    // upward import must be found.
    let m = |s: &str| s.split('/').map(str::to_string).collect::<Vec<_>>();
    let mut edges = graph();
    edges.entry(m("aws/ssm")).or_default().insert(m("aws/logs"));
    edges.entry(m("aws/logs")).or_default().insert(m("aws/ssm"));
    assert!(circles(&edges)
        .iter()
        .any(|c| c.contains(&"aws/ssm".to_string()) && c.contains(&"aws/logs".to_string())));
    // A real file's `crate::engine::…` in the desired layer is seen as that import.
    let named = named(
        &m("desired/tables"),
        "use crate::engine::{run::{self, Work}, Session};\n// crate::adopt in a comment\n",
    );
    assert!(named.contains(&m("engine/run/Work")) && named.contains(&m("engine/Session")));
    assert!(!named
        .iter()
        .any(|p| p.first().is_some_and(|l| l == "adopt")));
}
