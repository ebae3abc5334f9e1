//! The stage boundaries, kept by a lint over the sources: the backends under `src/render/`
//! render the resolved book they are handed and never reach back to the load stage or the
//! book's folder (which would make incremental rebuilds and a second backend unsound).

use std::path::Path;

/// What a backend must not use, and why it would be wrong there.
const FORBIDDEN: &[(&str, &str)] = &[
    (
        "crate::fence",
        "files are checked at load (theme.rs, assets.rs)",
    ),
    ("crate::parse", "the IR comes parsed"),
    ("crate::eval", "cells come run"),
    ("crate::mdbook", "the book comes loaded"),
    ("crate::resolve::resolve", "the book comes resolved"),
    ("Book::load", "the book comes loaded"),
    ("Config::", "the configuration comes loaded"),
    ("theme::site(", "the theme comes loaded"),
    ("theme::pdf(", "the theme comes loaded"),
    ("walkdir", "files are found at load"),
    (".root", "no path of the book is opened here"),
    (".fence", "files are checked at load"),
    (
        "std::fs",
        "backends produce files in memory; build writes them",
    ),
];

/// The one exception: the math cache, under the output folder (not the book's), is opened
/// and saved by the module that renders math, which owns its format.
const EXCEPTIONS: &[(&str, &str)] = &[("math.rs", "std::fs")];

/// Whether `line` holds `pattern` as written, not as the end of a longer name
/// (`PagefindServiceConfig::` is not our `Config::`).
fn names(line: &str, pattern: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(pattern).any(|(at, _)| {
        !pattern.starts_with(ident) || !line[..at].chars().next_back().is_some_and(ident)
    })
}

#[test]
fn backends_do_not_reach_back_to_load_or_the_disk() {
    let render = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/render");
    let mut found = Vec::new();
    let mut files = 0;
    let sources = walkdir::WalkDir::new(&render)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"));
    for entry in sources {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        if name == "tests.rs" {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&entry).unwrap();
        // Unit tests may build books from disk.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (no, line) in code.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for (pattern, why) in FORBIDDEN {
                let excepted = EXCEPTIONS.contains(&(name.as_str(), pattern));
                if names(line, pattern) && !excepted {
                    found.push(format!(
                        "{}:{}: `{pattern}`: {why}\n    {}",
                        entry.strip_prefix(&render).unwrap().display(),
                        no + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(files >= 10, "only {files} files read under {render:?}");
    assert!(
        found.is_empty(),
        "render/ reaches around the pipeline:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_lint_sees_a_violation() {
    // The patterns match what a violation looks like, so the lint above cannot pass
    // vacuously.
    let line = "let text = std::fs::read_to_string(book.root.join(path));";
    let hits: Vec<_> = FORBIDDEN.iter().filter(|(p, _)| names(line, p)).collect();
    assert_eq!(hits.len(), 2, "{hits:?}");
    // Our configuration is named; another crate's type that ends the same way is not.
    assert!(names("let c = Config::load(root);", "Config::"));
    assert!(names("crate::config::Config::default()", "Config::"));
    assert!(!names("PagefindServiceConfig::builder()", "Config::"));
}
