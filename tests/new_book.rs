//! `d2lbook new`: the book it makes builds at once with `--strict`, site and PDF, cells
//! run against the book's own copy of the library; a folder in use is refused.

mod common;
use common::{pdftotext, TempBook};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The target folder of this test run, for the cells' build to share: the copy of the
/// library then compiles in seconds, its dependencies already built.
fn target_dir() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_d2lbook"));
    bin.parent().unwrap().parent().unwrap().to_path_buf()
}

fn d2lbook(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_d2lbook"))
        .args(args)
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Makes a book with `new_args` in `<tmp>/ws/book` (inside a Cargo workspace, as a book
/// made in this repository is) and builds its site and PDF with `--strict`.
fn new_and_build(tmp: &TempBook, new_args: &[&str]) -> (PathBuf, String, String) {
    tmp.write("ws/Cargo.toml", "[workspace]\nmembers = []\n");
    let dir = tmp.root.join("ws/book");
    let dir_arg = dir.to_str().unwrap();
    let (ok, err) = d2lbook(&[&["new", dir_arg], new_args].concat());
    assert!(ok, "{err}");
    for target in ["html", "pdf"] {
        let (ok, err) = d2lbook(&["--root", dir_arg, "--strict", "build", target]);
        assert!(ok, "build {target}: {err}");
    }
    let page = std::fs::read_to_string(dir.join("_build/html/chapter_intro/index.html")).unwrap();
    let pdf = std::fs::read_dir(dir.join("_build/pdf"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .unwrap();
    (dir, page, pdftotext(&pdf))
}

#[test]
fn a_new_english_book_builds_strictly_with_its_cells_run() {
    let tmp = TempBook::empty("new-en");
    let (dir, page, pdf) = new_and_build(&tmp, &["--title", "Learning \"by\" Doing"]);
    // The equation, figure and chapter are numbered; the citation is formatted.
    assert!(page.contains("Fig. 1.1"), "{page}");
    assert!(page.contains(">(1.1)</a>"), "{page}");
    assert!(page.contains("Legendre, 1805"), "{page}");
    // Both cells ran: a tensor and a plot.
    assert!(page.contains("Tensor[2, 3] f32"), "{page}");
    assert!(
        page.contains("<svg") && page.contains("Plot: y against x"),
        "{page}"
    );
    let index = std::fs::read_to_string(dir.join("_build/html/index.html")).unwrap();
    assert!(index.contains("Learning “by” Doing"), "{index}");
    for text in [
        "Learning \"by\" Doing",
        "1 Introduction",
        "Fig. 1.1",
        "Legendre, A.",
    ] {
        assert!(pdf.contains(text), "{text} not in the PDF:\n{pdf}");
    }
    // The library is the book's own, and `build lib` finds nothing to change.
    assert!(dir.join("d2l-lib/src/plot.rs").is_file());
    let (ok, err) = d2lbook(&["--root", dir.to_str().unwrap(), "build", "lib", "--check"]);
    assert!(ok, "{err}");
    let gitignore = std::fs::read_to_string(dir.join(".gitignore")).unwrap();
    assert!(gitignore.lines().any(|l| l == "_build/"), "{gitignore}");
}

#[test]
fn a_new_japanese_book_builds_strictly() {
    let tmp = TempBook::empty("new-ja");
    let (_, page, pdf) = new_and_build(&tmp, &["--lang", "ja"]);
    assert!(page.contains("図 1.1"), "{page}");
    assert!(page.contains("Tensor[2, 3] f32"), "{page}");
    assert!(pdf.contains("はじめての本"), "{pdf}");
    assert!(pdf.contains("1 はじめに"), "{pdf}");
}

#[test]
fn new_refuses_a_folder_in_use_and_writes_nothing() {
    let tmp = TempBook::empty("new-used").with(&[("notes.txt", "mine")]);
    let (ok, err) = d2lbook(&["new", tmp.root.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("error: '") && err.contains("' is not empty"),
        "{err}"
    );
    let entries: Vec<_> = std::fs::read_dir(&tmp.root).unwrap().collect();
    assert_eq!(entries.len(), 1, "nothing but notes.txt");

    let file = tmp.root.join("notes.txt");
    let (ok, err) = d2lbook(&["new", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("is not empty") || err.contains("is a file"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");

    // An empty folder is fine, and so is one that does not exist yet.
    let empty = tmp.root.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (ok, err) = d2lbook(&["new", empty.to_str().unwrap(), "--title", "E"]);
    assert!(ok, "{err}");
    assert!(empty.join("book.toml").is_file());
    let nested = tmp.root.join("a/b");
    let (ok, err) = d2lbook(&["new", nested.to_str().unwrap()]);
    assert!(ok, "{err}");
    // No staging folder is left behind.
    let left: Vec<String> = std::fs::read_dir(tmp.root.join("a"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["b"]);
}
