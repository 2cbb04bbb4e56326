//! Keeps the server's layers as ARCHITECTURE.md draws them, by reading the
//! sources: what each file names under `crate::`, where SQL is written,
//! and how long files grow.
//!
//! ```text
//! cli  ->  http (API routers, dashboard)      entry points
//!   \       /
//!    ops                                      use cases
//!     |    \
//!   sync   reports                            the hub; the figures
//!     |    /
//!   store                                     the only SQL
//! ```
//!
//! `error` and `calendar` are used by every layer and use none.

use std::path::{Path, PathBuf};

/// A layer, by where its files are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    /// Used by every layer: `error`, `calendar`, `allocator`.
    Shared,
    Store,
    Sync,
    Reports,
    Ops,
    Http,
    Cli,
}

impl Layer {
    /// The layer a file under `src/` belongs to; `None` for the crate's
    /// root and test helpers, which are not layered.
    fn of(file: &str) -> Option<Self> {
        let top = file.split('/').next().unwrap_or(file);
        Some(match top.trim_end_matches(".rs") {
            "store" => Self::Store,
            "sync" => Self::Sync,
            "reports" => Self::Reports,
            "ops" => Self::Ops,
            "http" => Self::Http,
            "cli" => Self::Cli,
            "error" | "calendar" | "allocator" => Self::Shared,
            _ => return None,
        })
    }

    /// The layer a path under `crate::` leads to.
    fn named(path: &str) -> Option<Self> {
        Self::of(path.split("::").next().unwrap_or(path))
    }

    /// Whether code in this layer may name `path` (under `crate::`) in
    /// `layer`. Entry points reach the store only to hold its handle.
    fn may_use(self, layer: Self, path: &str) -> bool {
        use Layer::*;
        match (self, layer) {
            (_, Shared) => true,
            (me, other) if me == other => true,
            (Sync | Reports, Store) => true,
            (Ops, Store | Sync | Reports) => true,
            (Http, Ops | Reports) => true,
            (Cli, Ops | Reports | Http) => true,
            (Http | Cli, Store) => matches!(path, "store::Db" | "store::redact"),
            _ => false,
        }
    }
}

/// Source without comments, so that a doc link is not a dependency.
fn code_of(source: &str) -> String {
    source
        .lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string (a URL) is kept: strings hold no paths.
            Some(at) if line[..at].matches('"').count() % 2 == 0 => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::a::b` path named in `code`, as `a::b` (a group is
/// expanded one level: `crate::store::{Db, documents}` gives `store::Db`
/// and `store::documents`).
fn crate_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let path = rest[..end].trim_end_matches(':');
        if rest[end..].starts_with('{') {
            let close = rest[end..].find('}').map_or(rest.len(), |c| end + c);
            for item in rest[end + 1..close].split(',') {
                let item = item.trim().split("::{").next().unwrap_or("");
                match (path, item) {
                    (_, "") => {}
                    ("", item) => paths.push(item.to_owned()),
                    (path, item) => paths.push(format!("{path}::{item}")),
                }
            }
        } else {
            paths.push(path.to_owned());
        }
    }
    paths
}

/// What breaks the layering in these files (`(path under src/, source)`).
fn violations(files: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (file, source) in files {
        let code = code_of(source);
        let Some(layer) = Layer::of(file) else {
            continue;
        };
        for path in crate_paths(&code) {
            if let Some(used) = Layer::named(&path)
                && !layer.may_use(used, &path)
            {
                found.push(format!("{file}: a {layer:?} file uses crate::{path}"));
            }
        }
        let sql_allowed = layer == Layer::Store || file == "error.rs";
        if !sql_allowed {
            if code.contains("sqlx::") {
                found.push(format!("{file}: sqlx outside the store"));
            }
            for keyword in ["\"SELECT ", "\"INSERT INTO", "\"UPDATE ", "\"DELETE FROM"] {
                if code.contains(keyword) {
                    found.push(format!("{file}: SQL ({keyword}) outside the store"));
                }
            }
        }
    }
    found
}

/// Every `.rs` file under `dir`, as (path relative to `root`, source).
fn sources(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let entries = std::fs::read_dir(dir).expect("the sources");
    let mut paths: Vec<PathBuf> = entries.map(|e| e.expect("an entry").path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            sources(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).expect("under src");
            let source = std::fs::read_to_string(&path).expect("a source file");
            out.push((relative.to_string_lossy().replace('\\', "/"), source));
        }
    }
}

fn server_sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    files
}

#[test]
fn the_layers_depend_downwards_only_and_sql_stays_in_the_store() {
    let files = server_sources();
    assert!(files.len() > 40, "the sources were not found");
    let found = violations(&files);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn a_lower_layer_naming_a_higher_one_is_found() {
    let file = |path: &str, source: &str| (path.to_owned(), source.to_owned());
    let bad = [
        file("store/documents.rs", "use crate::http::AppState;"),
        file("store/feed.rs", "fn f() { crate::sync::handle(); }"),
        file("sync/batch.rs", "use crate::{error::Result, ops::people};"),
        file("reports/funnel.rs", "use crate::sync::Merge;"),
        file("http/admin.rs", "use crate::store::documents;"),
        file("http/sync.rs", "use crate::sync::handle;"),
        file("ops/people.rs", "use crate::http::AppState;"),
        file(
            "ops/doors.rs",
            r#"fn f() { let q = "SELECT id FROM addresses"; }"#,
        ),
        file("sync/mod.rs", "fn f() { sqlx::query(q); }"),
    ];
    let found = violations(&bad);
    assert_eq!(found.len(), bad.len(), "{found:#?}");
    let good = [
        file(
            "store/documents.rs",
            "use crate::error::Result; // crate::http",
        ),
        file(
            "http/admin.rs",
            "use crate::store::Db;\nuse crate::ops::{self, Actor};",
        ),
        file(
            "ops/people.rs",
            "use crate::store::{Db, documents};\nuse crate::sync::merge_in;",
        ),
        file("cli.rs", "use crate::http::{self, AppState};"),
        file("store/feed.rs", r#"fn f() { sqlx::query("SELECT 1"); }"#),
    ];
    assert_eq!(violations(&good), Vec::<String>::new());
}

#[test]
fn no_source_file_is_over_800_lines() {
    let long: Vec<String> = server_sources()
        .into_iter()
        .filter(|(_, source)| source.lines().count() > 800)
        .map(|(file, source)| format!("{file}: {} lines", source.lines().count()))
        .collect();
    assert!(long.is_empty(), "{}", long.join("\n"));
}
