//! The layering the design names, checked from the code's own paths: every `use crate::…`
//! and every `crate::…` path in `src/` is an arrow from its file to the file it names. The
//! test fails, naming file and line, when
//! - two top-level modules reach each other (a circle, directly or through others);
//! - files inside `accounts/` form a circle;
//! - a core module (`domain`, `accounts`, `tokens`, `pools`, `federation`, `iam`, `crypto`,
//!   `mail`, `store`) imports a door (`hosted`, `oauth`, `admin`, `cognito`) or `startup`;
//! - `store` imports a core area, or `domain` imports anything above `crypto`;
//! - a core module names `actix_web` or `HttpResponse`.
//!
//! `DEBTS` lists what the layout still owes (issue 21 pays it off step by step): a broken
//! rule not listed fails, and so does a listed one that no longer occurs, so the list only
//! shrinks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CORE: &[&str] = &[
    "domain",
    "accounts",
    "tokens",
    "pools",
    "federation",
    "iam",
    "crypto",
    "mail",
    "store",
];
const DOORS: &[&str] = &["hosted", "oauth", "admin", "cognito", "startup"];
const CORE_AREAS: &[&str] = &["accounts", "tokens", "pools", "federation", "iam"];
/// What `domain` may import besides itself.
const BELOW_DOMAIN: &[&str] = &["crypto", "clock"];

/// Broken rules the layout still carries, each as the test words it
/// (`COGNATE_ARCHITECTURE_DEBTS=1 cargo test architecture -- --nocapture` prints the list as
/// it stands). Issue 21 pays them off; nothing is added here.
const DEBTS: &[&str] = &[
    "circle: accounts -> context",
    "circle: accounts -> pools",
    "circle: cache -> pools",
    "circle: context -> cache",
    "circle: context -> iam",
    "circle: context -> tokens",
    "circle: iam -> cache",
    "circle: iam -> context",
    "circle: iam -> ops",
    "circle: iam -> pools",
    "circle: ops -> context",
    "circle: pools -> context",
    "circle: tokens -> accounts",
    "circle: tokens -> cache",
    "circle: tokens -> context",
    "circle: tokens -> pools",
];

/// One arrow: `from` (a file under `src/`) names `to` (a file) at `line`.
#[derive(Debug, Clone)]
struct Arrow {
    from: String,
    line: usize,
    to: String,
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("src/ is readable")
        .map(|e| e.expect("an entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `accounts/mfa.rs` → `["accounts", "mfa"]`; `accounts/mod.rs` → `["accounts"]`.
fn module_of(relative: &str) -> Vec<String> {
    let trimmed = relative.trim_end_matches(".rs");
    let mut parts: Vec<String> = trimmed.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The file a module path names: the longest prefix of it that is a file.
fn file_of(path: &[String], known: &BTreeSet<String>) -> Option<String> {
    (1..=path.len()).rev().find_map(|n| {
        let base = path[..n].join("/");
        [format!("{base}.rs"), format!("{base}/mod.rs")]
            .into_iter()
            .find(|f| known.contains(f))
    })
}

/// The code of a line, without its `//` comment (a `//` inside a string cuts it short,
/// which loses nothing: paths are not in strings).
fn code(line: &str) -> &str {
    line.find("//").map_or(line, |i| &line[..i])
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        return vec![path.to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| {
            if p == "self" {
                prefix.trim_end_matches("::").to_string()
            } else {
                format!("{prefix}{p}")
            }
        })
        .collect()
}

fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Every arrow of `src/`, and each file's text.
fn arrows() -> (Vec<Arrow>, BTreeMap<String, String>) {
    let root = src();
    let mut paths = Vec::new();
    files(&root, &mut paths);
    let texts: BTreeMap<String, String> = paths
        .iter()
        .map(|p| {
            let relative = p
                .strip_prefix(&root)
                .expect("under src/")
                .to_string_lossy()
                .replace('\\', "/");
            (relative, std::fs::read_to_string(p).expect("readable"))
        })
        .collect();
    let known: BTreeSet<String> = texts.keys().cloned().collect();
    let mut out = Vec::new();
    for (file, text) in &texts {
        if file == "lib.rs" || file == "main.rs" {
            continue;
        }
        let here = module_of(file);
        let lines: Vec<&str> = text.lines().map(code).collect();
        let mut push = |line: usize, path: Vec<String>| {
            if let Some(to) = file_of(&path, &known).filter(|to| to != file) {
                out.push(Arrow {
                    from: file.clone(),
                    line,
                    to,
                });
            }
        };
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i].trim_start();
            let stripped = line.strip_prefix("pub ").unwrap_or(line);
            let stripped = stripped
                .strip_prefix("pub(crate) ")
                .or_else(|| stripped.strip_prefix("pub(super) "))
                .unwrap_or(stripped);
            if let Some(rest) = stripped.strip_prefix("use ") {
                // The whole statement, which may run over several lines.
                let mut statement = rest.to_string();
                let start = i;
                while !statement.contains(';') && i + 1 < lines.len() {
                    i += 1;
                    statement.push_str(lines[i]);
                }
                let statement = statement.split(';').next().unwrap_or_default();
                for path in expand(statement) {
                    let mut parts = segments(&path);
                    match parts.first().map(String::as_str) {
                        Some("crate") => {
                            parts.remove(0);
                            push(start + 1, parts);
                        }
                        Some("super") => {
                            // `here` is the file's own module (`mod.rs` is its folder's),
                            // so each `super` is one step up from it.
                            let mut base = here.clone();
                            while parts.first().is_some_and(|p| p == "super") {
                                parts.remove(0);
                                base.pop();
                            }
                            base.extend(parts);
                            push(start + 1, base);
                        }
                        _ => {}
                    }
                }
            } else {
                // Paths written out in the code: `crate::a::b::c`.
                let mut rest = lines[i];
                while let Some(at) = rest.find("crate::") {
                    let before = rest[..at].chars().last();
                    let tail = &rest[at + "crate::".len()..];
                    let end = tail
                        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                        .unwrap_or(tail.len());
                    if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                        push(i + 1, segments(&tail[..end]));
                    }
                    rest = &tail[end..];
                }
            }
            i += 1;
        }
    }
    (out, texts)
}

fn top(file: &str) -> &str {
    let first = file.split('/').next().unwrap_or(file);
    first.trim_end_matches(".rs")
}

/// Strongly connected groups of more than one node (Tarjan).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on_stack: BTreeSet<String>,
        next: usize,
        out: Vec<BTreeSet<String>>,
    }
    fn visit(s: &mut State<'_>, v: &str) {
        s.index.insert(v.to_string(), s.next);
        s.low.insert(v.to_string(), s.next);
        s.next += 1;
        s.stack.push(v.to_string());
        s.on_stack.insert(v.to_string());
        let targets: Vec<String> = s
            .edges
            .get(v)
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default();
        for w in targets {
            if !s.index.contains_key(&w) {
                visit(s, &w);
                let low = s.low[v].min(s.low[&w]);
                s.low.insert(v.to_string(), low);
            } else if s.on_stack.contains(&w) {
                let low = s.low[v].min(s.index[&w]);
                s.low.insert(v.to_string(), low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = BTreeSet::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                let done = w == v;
                group.insert(w);
                if done {
                    break;
                }
            }
            if group.len() > 1 {
                s.out.push(group);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    let nodes: Vec<String> = edges.keys().cloned().collect();
    for v in nodes {
        if !s.index.contains_key(&v) {
            visit(&mut s, &v);
        }
    }
    s.out
}

/// Each broken rule: its words (what `DEBTS` lists) and where it shows.
fn broken_rules() -> BTreeMap<String, Vec<String>> {
    let (arrows, texts) = arrows();
    let mut broken: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut note = |rule: String, at: String| broken.entry(rule).or_default().push(at);

    // Circles between top-level modules.
    let mut tops: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in &arrows {
        let (from, to) = (top(&a.from), top(&a.to));
        if from != to {
            tops.entry(from.into()).or_default().insert(to.into());
        }
    }
    // Each arrow of a circle is its own debt, so that a new arrow between two modules
    // already in one is still caught.
    for group in circles(&tops) {
        for a in arrows.iter().filter(|a| {
            top(&a.from) != top(&a.to) && group.contains(top(&a.from)) && group.contains(top(&a.to))
        }) {
            note(
                format!("circle: {} -> {}", top(&a.from), top(&a.to)),
                format!("src/{}:{} -> src/{}", a.from, a.line, a.to),
            );
        }
    }
    // Circles between files inside `accounts/`.
    let mut inside: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in arrows
        .iter()
        .filter(|a| top(&a.from) == "accounts" && top(&a.to) == "accounts")
    {
        inside
            .entry(a.from.clone())
            .or_default()
            .insert(a.to.clone());
    }
    for group in circles(&inside) {
        for a in arrows
            .iter()
            .filter(|a| group.contains(&a.from) && group.contains(&a.to))
        {
            note(
                format!("circle: {} -> {}", a.from, a.to),
                format!("src/{}:{} -> src/{}", a.from, a.line, a.to),
            );
        }
    }
    // Arrows that run the wrong way.
    for a in &arrows {
        let (from, to) = (top(&a.from), top(&a.to));
        let at = format!("src/{}:{} -> src/{}", a.from, a.line, a.to);
        if CORE.contains(&from) && DOORS.contains(&to) {
            note(format!("core module {from} imports {to}"), at.clone());
        }
        if from == "store" && CORE_AREAS.contains(&to) {
            note(format!("store imports core area {to}"), at.clone());
        }
        if from == "domain" && to != "domain" && !BELOW_DOMAIN.contains(&to) {
            note(format!("domain imports {to}"), at);
        }
    }
    // The core knows no HTTP.
    for (file, text) in &texts {
        let area = top(file);
        if !CORE.contains(&area) {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let line = code(line);
            if line.contains("actix_web") || line.contains("HttpResponse") {
                note(
                    format!("core module {area} names actix_web"),
                    format!("src/{file}:{}", n + 1),
                );
            }
        }
    }
    broken
}

#[test]
fn the_layers_hold() {
    let broken = broken_rules();
    let mut report = Vec::new();
    for (rule, places) in &broken {
        if !DEBTS.contains(&rule.as_str()) {
            report.push(format!("{rule}\n    {}", places.join("\n    ")));
        }
    }
    if std::env::var_os("COGNATE_ARCHITECTURE_DEBTS").is_some() {
        // Prints the list as it stands, for DEBTS.
        for rule in broken.keys() {
            println!("    {rule:?},");
        }
    }
    for debt in DEBTS {
        if !broken.contains_key(*debt) {
            report.push(format!(
                "paid off, so take it out of DEBTS in tests/api/architecture.rs: {debt}"
            ));
        }
    }
    assert!(report.is_empty(), "\n{}\n", report.join("\n"));
}

#[test]
fn the_reader_sees_every_kind_of_path() {
    assert_eq!(
        expand("crate::{a::b, c::{d, e as f}, g}"),
        ["crate::a::b", "crate::c::d", "crate::c::e", "crate::g"]
    );
    assert_eq!(expand("crate::a::{self, B}"), ["crate::a", "crate::a::B"]);
    let known: BTreeSet<String> = ["accounts/mod.rs", "accounts/mfa.rs", "cache.rs"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let path = |p: &str| segments(p);
    assert_eq!(
        file_of(&path("accounts::mfa::factors"), &known).as_deref(),
        Some("accounts/mfa.rs")
    );
    assert_eq!(
        file_of(&path("accounts::Thing"), &known).as_deref(),
        Some("accounts/mod.rs")
    );
    assert_eq!(
        file_of(&path("cache::Ttl"), &known).as_deref(),
        Some("cache.rs")
    );
    let mut edges = BTreeMap::new();
    edges.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    edges.insert("b".to_string(), BTreeSet::from(["c".to_string()]));
    edges.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    edges.insert("d".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(circles(&edges).len(), 1);
    assert_eq!(circles(&edges)[0].len(), 3);
    // And the real tree yields arrows at all.
    assert!(arrows().0.len() > 500);
}
