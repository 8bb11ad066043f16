//! The layout's invariants, checked from the source text: the crates' dependencies point one
//! way (each crate lists only crates below it), no file of a crate imports another in a
//! cycle (a module and its own children excepted), the binary's `src/` stays thin, and
//! every source file opens with a `//!` paragraph. ARCHITECTURE.md states these rules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crates, lowest first: a crate may depend only on crates listed before it.
const LAYERS: &[&str] = &[
    "bplab-core",
    "bplab-manual",
    "bplab-burn",
    "bplab-candle",
    "bplab-output",
    "bplab-harness",
    "bplab-bench",
    "bplab-experiment",
    "bplab-lab",
    "bplab-viz",
    "bplab-lesson",
];

/// The studies: none of them depends on another.
const STUDIES: &[&str] = &[
    "bplab-bench",
    "bplab-experiment",
    "bplab-lab",
    "bplab-viz",
    "bplab-lesson",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `bplab-x` dependencies named in a crate's `[dependencies]` table.
fn bplab_dependencies(manifest: &str) -> Vec<String> {
    let mut in_deps = false;
    let mut out = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && line.starts_with("bplab-") {
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            out.push(name);
        }
    }
    out
}

#[test]
fn crate_dependencies_point_one_way() {
    for (i, krate) in LAYERS.iter().enumerate() {
        let manifest = root().join("crates").join(krate).join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        for dep in bplab_dependencies(&text) {
            let j = LAYERS
                .iter()
                .position(|l| *l == dep)
                .unwrap_or_else(|| panic!("{krate} depends on unknown crate {dep}"));
            assert!(j < i, "{krate} depends on {dep}, which is not below it");
            assert!(
                !(STUDIES.contains(krate) && STUDIES.contains(&dep.as_str())),
                "study {krate} depends on study {dep}"
            );
        }
    }
}

/// The module path of a source file: `lib.rs`/`main.rs` → `[]`, `a/mod.rs` → `[a]`,
/// `a/b.rs` → `[a, b]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "lib" | "main" | "mod") {
        parts.push(stem.to_string());
    }
    parts
}

/// The code of a file outside its `#[cfg(test)]` module and comments (whose `super::` is
/// the file itself, and whose paths are prose).
fn code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn ident(s: &str) -> (&str, &str) {
    let n = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    (&s[..n], &s[n..])
}

/// Expands the use-tree at the start of `s` (`a::b`, `a::{b, c::d}`) into paths.
fn use_tree(s: &str, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix.to_vec();
    let mut i = 0;
    loop {
        let rest = &s[i..];
        if let Some(r) = rest.strip_prefix('{') {
            let mut consumed = 1;
            let mut r = r;
            loop {
                let trimmed = r.trim_start();
                consumed += r.len() - trimmed.len();
                r = trimmed;
                if let Some(rr) = r.strip_prefix('}') {
                    consumed += 1;
                    let _ = rr;
                    return i + consumed;
                }
                if let Some(rr) = r.strip_prefix(',') {
                    consumed += 1;
                    r = rr;
                    continue;
                }
                let n = use_tree(r, &path, out);
                if n == 0 {
                    return i + consumed;
                }
                consumed += n;
                r = &r[n..];
            }
        }
        let (id, after) = ident(rest);
        if id.is_empty() {
            break;
        }
        i += id.len();
        if id != "self" {
            path.push(id.to_string());
        }
        if after.starts_with("::") {
            i += 2;
        } else {
            break;
        }
    }
    out.push(path);
    i
}

/// Every module path a file names through `crate::…`, `super::…` or `self::…`.
fn references(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let rest = &code[i..];
        if boundary {
            let mut base: Option<(Vec<String>, usize)> = None;
            if let Some(r) = rest.strip_prefix("crate::") {
                base = Some((Vec::new(), rest.len() - r.len()));
            } else if rest.starts_with("super::") {
                let mut m = module.to_vec();
                let mut r = rest;
                while let Some(rr) = r.strip_prefix("super::") {
                    m.pop();
                    r = rr;
                }
                base = Some((m, rest.len() - r.len()));
            } else if let Some(r) = rest.strip_prefix("self::") {
                base = Some((module.to_vec(), rest.len() - r.len()));
            }
            if let Some((prefix, skip)) = base {
                let n = use_tree(&code[i + skip..], &prefix, &mut out);
                i += skip + n.max(1);
                continue;
            }
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// File-level import cycles in the crate whose sources are under `src`, ignoring edges
/// between a module and its descendants.
fn cycles(src: &Path) -> Vec<Vec<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|f| (module_of(src, f), f.clone()))
        .collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (m, f) in &modules {
        let text = std::fs::read_to_string(f).unwrap();
        for path in references(m, &code(&text)) {
            // The deepest file module that the path names.
            let target = (0..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| modules.contains_key(p))
                .unwrap_or_default();
            let related = target.starts_with(m) || m.starts_with(&target);
            if !related {
                edges.entry(m.clone()).or_default().insert(target);
            }
        }
    }
    // Tarjan's strongly connected components.
    struct State<'a> {
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<Vec<String>, usize>,
        low: BTreeMap<Vec<String>, usize>,
        stack: Vec<Vec<String>>,
        on_stack: BTreeSet<Vec<String>>,
        out: Vec<Vec<String>>,
    }
    fn visit(s: &mut State<'_>, v: &Vec<String>) {
        let n = s.index.len();
        s.index.insert(v.clone(), n);
        s.low.insert(v.clone(), n);
        s.stack.push(v.clone());
        s.on_stack.insert(v.clone());
        let next: Vec<Vec<String>> = s
            .edges
            .get(v)
            .map(|e| e.iter().cloned().collect())
            .unwrap_or_default();
        for w in next {
            if !s.index.contains_key(&w) {
                visit(s, &w);
                let lw = s.low[&w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(&w) {
                let iw = s.index[&w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack.remove(&w);
                let done = &w == v;
                component.push(if w.is_empty() {
                    "<root>".to_string()
                } else {
                    w.join("::")
                });
                if done {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut state = State {
        edges: &edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for m in modules.keys() {
        if !state.index.contains_key(m) {
            visit(&mut state, m);
        }
    }
    state.out
}

#[test]
fn no_file_imports_another_in_a_cycle() {
    let mut found = Vec::new();
    let mut sources = vec![("backprop-lab".to_string(), root().join("src"))];
    for krate in LAYERS {
        sources.push((
            krate.to_string(),
            root().join("crates").join(krate).join("src"),
        ));
    }
    for (name, src) in sources {
        for c in cycles(&src) {
            found.push(format!("{name}: {}", c.join(" ↔ ")));
        }
    }
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn the_cycle_finder_sees_a_cycle() {
    let dir = std::env::temp_dir().join(format!("bplab-cycle-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::write(dir.join("lib.rs"), "//! x\nmod a;\nmod b;\n").unwrap();
    std::fs::write(dir.join("a/mod.rs"), "//! a\nmod c;\nuse crate::b::B;\n").unwrap();
    std::fs::write(dir.join("a/c.rs"), "//! c\nuse super::super::b;\n").unwrap();
    std::fs::write(
        dir.join("b.rs"),
        "//! b\nuse crate::{a::{self, c::C}, x};\n",
    )
    .unwrap();
    let found = cycles(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found, vec![vec!["a", "a::c", "b"]]);
}

#[test]
fn the_binary_is_thin_and_every_file_says_what_it_owns() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let lines: usize = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap().lines().count())
        .sum();
    assert!(lines < 1500, "src/ has {lines} lines");
    for krate in LAYERS {
        rust_files(&root().join("crates").join(krate).join("src"), &mut files);
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.trim_start().starts_with("//!"),
            "{} does not open with a //! paragraph",
            f.display()
        );
    }
}
