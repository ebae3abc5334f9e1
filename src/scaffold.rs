//! `d2lbook new DIR`: a book that builds at once, with `--strict`: `book.toml`, a front
//! page with toc blocks, a preface, one numbered chapter (a labelled equation, a figure,
//! a citation, a cell that makes a tensor and one that plots), references and a `.bib`,
//! and its own copy of the bundled `d2l` library for the cells.
//!
//! The library is copied, not pointed at: `d2l` is not published on crates.io, and the
//! book's `build lib` writes its `//@save` items into the library, which must be the
//! book's own. The library is a Cargo workspace of its own (here too), so the copy builds
//! also when the book sits inside another workspace, and its lock file makes the book's
//! first eval resolve the versions this repository is tested with.

use crate::diag::Diagnostic;
use std::path::{Path, PathBuf};

/// The languages the scaffold is written in.
pub const LANGUAGES: [&str; 2] = ["en", "ja"];

/// The sources of the bundled library, as this binary was built with them.
pub const LIBRARY: [(&str, &str); 11] = [
    ("Cargo.toml", include_str!("../d2l-lib/Cargo.toml")),
    ("Cargo.lock", include_str!("../d2l-lib/Cargo.lock")),
    ("src/lib.rs", include_str!("../d2l-lib/src/lib.rs")),
    (
        "src/animator.rs",
        include_str!("../d2l-lib/src/animator.rs"),
    ),
    ("src/device.rs", include_str!("../d2l-lib/src/device.rs")),
    ("src/error.rs", include_str!("../d2l-lib/src/error.rs")),
    ("src/eval.rs", include_str!("../d2l-lib/src/eval.rs")),
    (
        "src/generated.rs",
        include_str!("../d2l-lib/src/generated.rs"),
    ),
    ("src/plot.rs", include_str!("../d2l-lib/src/plot.rs")),
    ("src/rng.rs", include_str!("../d2l-lib/src/rng.rs")),
    ("src/utils.rs", include_str!("../d2l-lib/src/utils.rs")),
];

/// The chapters in each language: (path in the book, text).
fn chapters(lang: &str) -> [(&'static str, &'static str); 4] {
    if lang == "ja" {
        [
            ("src/index.md", include_str!("scaffold/ja/index.md")),
            ("src/preface.md", include_str!("scaffold/ja/preface.md")),
            (
                "src/chapter_intro/index.md",
                include_str!("scaffold/ja/intro.md"),
            ),
            (
                "src/references.md",
                include_str!("scaffold/ja/references.md"),
            ),
        ]
    } else {
        [
            ("src/index.md", include_str!("scaffold/en/index.md")),
            ("src/preface.md", include_str!("scaffold/en/preface.md")),
            (
                "src/chapter_intro/index.md",
                include_str!("scaffold/en/intro.md"),
            ),
            (
                "src/references.md",
                include_str!("scaffold/en/references.md"),
            ),
        ]
    }
}

/// Every file of a new book in `lang` titled `title`: (path in the book, contents).
pub fn files(lang: &str, title: &str) -> Vec<(String, String)> {
    // One line: the title is also the front page's heading.
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let title = title.as_str();
    let toml_title = toml::Value::String(title.to_string()).to_string();
    let book_toml = format!(
        "[book]\ntitle = {toml_title}\nlanguage = \"{lang}\"\nsrc = \"src\"\n\
         bibliography = \"src/refs.bib\"\n\n\
         # The crate that the Rust cells use as `d2l`: this book's own copy of the library\n\
         # bundled with d2lbook. `d2lbook build lib` writes the cells' //@save items into it.\n\
         [eval]\nlibrary = \"d2l-lib\"\n"
    );
    let mut files = vec![
        ("book.toml".to_string(), book_toml),
        (
            ".gitignore".to_string(),
            include_str!("scaffold/gitignore").to_string(),
        ),
        (
            "src/refs.bib".to_string(),
            include_str!("scaffold/refs.bib").to_string(),
        ),
        (
            "src/img/pipeline.svg".to_string(),
            include_str!("scaffold/pipeline.svg").to_string(),
        ),
    ];
    for (path, text) in chapters(lang) {
        files.push((path.to_string(), text.replace("{{title}}", title)));
    }
    for (path, text) in LIBRARY {
        let text = match path {
            // The sample book's saved items are not this book's.
            "src/generated.rs" => crate::eval::library::HEADER.to_string(),
            _ => text.to_string(),
        };
        files.push((format!("d2l-lib/{path}"), text));
    }
    files
}

/// Writes a new book into `dir`, which must not exist or be empty. The files are written
/// into a sibling folder first and moved into place at the end, so that a failure leaves
/// nothing half-made.
pub fn create(dir: &Path, lang: &str, title: &str) -> Result<(), Diagnostic> {
    let shown = dir.display();
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Diagnostic::error(format!("'{shown}' is not empty"))
                    .help("`d2lbook new` makes a book in a new or empty folder"));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) if dir.is_file() => {
            return Err(Diagnostic::error(format!("'{shown}' is a file")).help(e.to_string()))
        }
        Err(e) => return Err(Diagnostic::error(format!("cannot read '{shown}': {e}"))),
    }
    let staging = staging_dir(dir)?;
    let written = write_all(&staging, lang, title).and_then(|()| {
        // An empty folder is replaced by the finished one.
        if dir.exists() {
            std::fs::remove_dir(dir)?;
        }
        std::fs::rename(&staging, dir)
    });
    written.map_err(|e| {
        let _ = std::fs::remove_dir_all(&staging);
        Diagnostic::error(format!("cannot write the book into '{shown}': {e}"))
    })
}

/// A new folder beside `dir` (same file system, so the final move is a rename).
fn staging_dir(dir: &Path) -> Result<PathBuf, Diagnostic> {
    let name = dir
        .file_name()
        .ok_or_else(|| Diagnostic::error(format!("'{}' names no folder", dir.display())))?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .map_err(|e| Diagnostic::error(format!("cannot create '{}': {e}", parent.display())))?;
    let staging = parent.join(format!(
        ".{}.d2lbook-new-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir(&staging)
        .map_err(|e| Diagnostic::error(format!("cannot create '{}': {e}", staging.display())))?;
    Ok(staging)
}

fn write_all(root: &Path, lang: &str, title: &str) -> std::io::Result<()> {
    for (path, text) in files(lang, title) {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_of_the_library_holds_every_file_of_the_library() {
        let library = Path::new(env!("CARGO_MANIFEST_DIR")).join("d2l-lib");
        let mut on_disk: Vec<String> = walkdir::WalkDir::new(&library)
            .into_iter()
            .filter_entry(|e| e.file_name() != "target")
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(&library).unwrap();
                rel.to_string_lossy().replace('\\', "/")
            })
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = LIBRARY.iter().map(|(p, _)| p.to_string()).collect();
        listed.sort();
        assert_eq!(
            listed, on_disk,
            "scaffold::LIBRARY must list d2l-lib's files"
        );
    }

    #[test]
    fn a_title_is_toml_and_markdown_safe() {
        let files = files("en", "Say \"hi\"\\ to [Rust]");
        let toml = &files.iter().find(|(p, _)| p == "book.toml").unwrap().1;
        let parsed: toml::Value = toml::from_str(toml).unwrap();
        assert_eq!(
            parsed["book"]["title"].as_str(),
            Some("Say \"hi\"\\ to [Rust]")
        );
        let index = &files.iter().find(|(p, _)| p == "src/index.md").unwrap().1;
        assert!(index.starts_with("# Say \"hi\"\\ to [Rust]\n"));
    }
}
