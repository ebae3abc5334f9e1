//! mdBook books (`tests/books/mdbook-style`): `book.toml` as mdBook writes it, the order
//! and numbers of `SUMMARY.md`, `{{#include}}` with ranges and anchors, hidden lines,
//! mdBook's heading anchors, and what a reader sees of them on the site and in the PDF.

mod common;
use common::{text_of, TempBook};
use std::sync::OnceLock;

/// The fixture, built once (`--strict`: the notes about book.toml fail nothing).
fn built() -> &'static (TempBook, String) {
    static BOOK: OnceLock<(TempBook, String)> = OnceLock::new();
    BOOK.get_or_init(|| {
        let book = TempBook::fixture("mdbook-style");
        let run = book.run(&["--strict", "build", "html"]);
        assert!(run.ok, "{}", run.stderr);
        (book, run.stderr)
    })
}

/// `nav.js` as (depth, number, title, page, kind) entries.
fn nav(book: &TempBook) -> Vec<(u64, String, String, String, String)> {
    let script = book.page("nav.js");
    let json = script
        .trim()
        .strip_prefix("window.d2lNav = ")
        .and_then(|s| s.strip_suffix(';'))
        .unwrap();
    let items: Vec<serde_json::Value> = serde_json::from_str(json).unwrap();
    items
        .iter()
        .map(|item| {
            let s = |i: usize| {
                item.get(i)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            (item[0].as_u64().unwrap(), s(1), s(2), s(3), s(4))
        })
        .collect()
}

#[test]
fn the_sidebar_follows_summary_md() {
    let (book, _) = built();
    let entries: Vec<(u64, String, String, String, String)> = nav(book);
    let want: &[(u64, &str, &str, &str, &str)] = &[
        (0, "", "Foreword", "foreword.html", ""),
        (0, "", "Getting Started", "", "part"),
        (0, "1", "Installing Rust", "ch01-00-installing.html", ""),
        (1, "1.1", "Hello, Cargo", "ch01-01-hello-cargo.html", ""),
        (1, "1.2", "Choosing an Editor", "ch01-02-editors.html", ""),
        (0, "2", "Values and Types", "ch02-00-values.html", ""),
        (1, "2.1", "Ownership, Drafted", "", "draft"),
        (0, "", "", "", "separator"),
        (0, "", "Going Further", "", "part"),
        (0, "3", "Handling Errors", "ch03-00-errors.html", ""),
        (1, "3.1", "Recoverable Errors", "ch03/recoverable.html", ""),
        (0, "", "Glossary", "appendix/glossary.html", ""),
    ];
    let want: Vec<(u64, String, String, String, String)> = want
        .iter()
        .map(|(d, n, t, p, k)| {
            (
                *d,
                n.to_string(),
                t.to_string(),
                p.to_string(),
                k.to_string(),
            )
        })
        .collect();
    assert_eq!(entries, want);
    // Pages sit where mdBook puts them; a draft has none.
    assert!(book.root.join("_build/html/index.html").is_file());
    assert!(!book.root.join("_build/html/SUMMARY.html").exists());
}

#[test]
fn pages_have_summary_titles_numbers_and_mdbook_anchors() {
    let (book, _) = built();
    let hello = book.page("ch01-01-hello-cargo.html");
    assert!(hello.contains("<title>Hello, Cargo — Rust in Small Steps</title>"));
    assert!(
        hello.contains("<span class=\"secnum\">1.1</span> Hello, Cargo"),
        "{hello}"
    );
    // `{{#title}}` replaces the whole title.
    let editors = book.page("ch01-02-editors.html");
    assert!(editors.contains("<title>Editors for Rust, Compared</title>"));
    assert!(!editors.contains("{{#title"));
    // mdBook's anchors: repeated titles get -1; punctuation is dropped, spaces kept as -.
    let install = book.page("ch01-00-installing.html");
    assert!(
        install.contains("<h2 id=\"checking-the-version\""),
        "{install}"
    );
    assert!(install.contains("<h2 id=\"checking-the-version-1\""));
    // Headings inside a page are not numbered: only SUMMARY.md numbers.
    assert!(!install.contains("<span class=\"secnum\">1.1</span> Checking"));
    let values = book.page("ch02-00-values.html");
    assert!(values.contains("<h2 id=\"integers--floats\""), "{values}");
    // A d2l label on a chapter heading: its id, and :numref: reads its number.
    assert!(values.contains("<h1 id=\"sec_values\""));
    assert!(hello.contains("<a class=\"ref\" href=\"ch02-00-values.html\">Section 2</a>"));
    // The index page lists the chapters.
    let index = book.page("index.html");
    assert!(index.contains("<a href=\"ch03/recoverable.html\"><span class=\"secnum\">3.1</span> Recoverable Errors</a>"), "{index}");
}

#[test]
fn included_code_and_hidden_lines() {
    let (book, _) = built();
    let hello = book.page("ch01-01-hello-cargo.html");
    let text = text_of(&hello);
    // The whole file, without its anchor lines.
    assert!(text.contains("fn greet(name: &str) {"), "{text}");
    assert!(text.contains("greet(\"Cargo\");"));
    assert!(!text.contains("ANCHOR"), "{text}");
    // Lines 4 and 5 only.
    assert!(text.contains("The loop:") || text.contains("are the loop:"));
    let loop_block = hello
        .split("are the loop:")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap();
    let loop_text = text_of(loop_block);
    assert!(loop_text.contains("for _ in 0..2 {") && loop_text.contains("println!"));
    assert!(!loop_text.contains("fn greet"), "{loop_text}");
    // rustdoc_include: the rest of the file is there, hidden, behind a toggle.
    let rustdoc = hello.split("compiles as a whole:").nth(1).unwrap();
    let rustdoc = rustdoc.split("</pre>").next().unwrap();
    assert!(rustdoc.contains("class=\"hidden-toggle\""), "{rustdoc}");
    let hidden = rustdoc
        .split("<span class=\"hidden-line\">")
        .nth(1)
        .unwrap();
    assert!(text_of(hidden).contains("greet(\"Cargo\");"), "{hidden}");
    // `# ` lines written in the chapter: hidden, without their mark; the rest shown.
    let values = book.page("ch02-00-values.html");
    let code = values
        .split("<pre class=\"code\" tabindex=\"0\">")
        .nth(1)
        .unwrap();
    let visible_and_hidden: Vec<&str> = code.split("<span class=\"hidden-line\">").collect();
    assert_eq!(visible_and_hidden.len(), 3, "{code}");
    assert!(text_of(visible_and_hidden[1]).starts_with("fn main() {"));
    assert!(text_of(visible_and_hidden[1]).contains("let answer: u32 = 42;"));
    assert!(!text_of(code).contains("# fn main"));
    // The toggle's behaviour ships with the theme.
    assert!(book.page("theme/d2lbook.js").contains("show-hidden"));
    assert!(book
        .page("theme/d2lbook.css")
        .contains(".code-block .hidden-line { display: none; }"));
}

#[test]
fn unknown_tables_get_one_located_note_each() {
    let (_, stderr) = built();
    for (table, at) in [
        ("[preprocessor.foo]", "book.toml:20:1"),
        ("[output.linkcheck]", "book.toml:17:1"),
    ] {
        assert_eq!(stderr.matches(table).count(), 2, "{stderr}"); // message + source line
        let note = stderr.find(table).unwrap();
        assert!(stderr[..note].trim_end().ends_with("note:") || stderr[..note].contains("note: "));
        assert!(stderr[note..].contains(at), "{stderr}");
    }
    // mdBook's built-in tables and keys are no news.
    assert!(!stderr.contains("[output.html]"), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn a_missing_include_or_anchor_is_a_located_error() {
    let book = TempBook::fixture("mdbook-style");
    book.write(
        "src/ch03/recoverable.md",
        "# Recoverable Errors\n\n```rust\n{{#include ../listings/errors.rs}}\n```\n\n```rust\n{{#include ../listings/errors.rs:nowhere}}\n```\n\n  {{#include ../listings/missing.rs}}\n",
    );
    let run = book.build_html();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: src/listings/errors.rs has no anchor 'nowhere'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--> src/ch03/recoverable.md:8:1"),
        "{}",
        run.stderr
    );
    assert!(run
        .stderr
        .contains("error: cannot include src/listings/missing.rs: no such file"));
    assert!(
        run.stderr.contains("--> src/ch03/recoverable.md:11:3"),
        "{}",
        run.stderr
    );
}

#[test]
fn lines_after_an_include_keep_their_numbers() {
    let book = TempBook::fixture("mdbook-style");
    book.write(
        "src/ch03-00-errors.md",
        "# Handling Errors\n\n```rust\n{{#include listings/errors.rs}}\n```\n\nSee :numref:`sec_nowhere`.\n",
    );
    let run = book.build_html();
    assert!(
        run.stderr.contains("undefined label 'sec_nowhere'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--> src/ch03-00-errors.md:7:5"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("7 | See :numref:`sec_nowhere`."),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_chapter_is_located_in_summary_md() {
    let book = TempBook::fixture("mdbook-style");
    std::fs::remove_file(book.root.join("src/ch01-02-editors.md")).unwrap();
    let run = book.build_html();
    assert_eq!(run.code, Some(1));
    assert!(run
        .stderr
        .contains("error: chapter 'ch01-02-editors.md' cannot be used: there is no such file"));
    assert!(
        run.stderr.contains("--> src/SUMMARY.md:9:7"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_d2lbook_book_toml_stays_strict() {
    let book = common::one_section_book("# S\n").with(&[(
        "book.toml",
        "[book]\ntitle = \"T\"\nsrc = \"src\"\ndescription = 3\n",
    )]);
    // `description` is an mdBook key: the book is read as mdBook's, whose SUMMARY.md
    // it lacks, and the build says so.
    let run = book.build_html();
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("cannot read src/SUMMARY.md"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("book.toml is mdBook's"),
        "{}",
        run.stderr
    );
    let book = common::one_section_book("# S\n").with(&[(
        "book.toml",
        "[book]\ntitle = \"T\"\nsrc = \"src\"\ntitel = 3\n",
    )]);
    let run = book.build_html();
    assert!(
        run.stderr.contains("unknown field `titel`"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_pdf_has_the_chapters_in_order_without_hidden_lines() {
    let (book, _) = built();
    let run = book.run(&["build", "pdf"]);
    assert!(run.ok, "{}", run.stderr);
    let out = std::process::Command::new("pdftotext")
        .arg(book.root.join("_build/pdf/rust-in-small-steps.pdf"))
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    let text = String::from_utf8_lossy(&out.stdout);
    // After the contents: each chapter's first words, in SUMMARY.md's order.
    let body = &text[text.find("This little book").expect("the foreword")..];
    let mut at = 0;
    for heading in [
        "Getting Started",
        "1 Installing Rust",
        "1.1 Hello, Cargo",
        "1.2 Choosing an Editor",
        "2 Values and Types",
        "Going Further",
        "3 Handling Errors",
        "3.1 Recoverable Errors",
        "Glossary",
    ] {
        let found = body[at..]
            .find(heading)
            .unwrap_or_else(|| panic!("{heading:?} not after byte {at} in:\n{body}"));
        at += found + heading.len();
    }
    // The contents list the parts with the pages they open (they are headings of their
    // own, before their chapters).
    let laid = common::pdftotext(&book.root.join("_build/pdf/rust-in-small-steps.pdf"))
        .replace('\u{2060}', "");
    let contents = &laid[laid.find("Contents").expect("the contents")..];
    for part in ["Getting Started", "Going Further"] {
        let line = contents.lines().find(|l| l.contains(part)).unwrap();
        let page = line.split_whitespace().last().unwrap();
        assert!(page.parse::<u32>().is_ok(), "{line:?} has no page");
    }
    assert!(body.contains("let answer: u32 = 42;"));
    assert!(!body.contains("fn main() {\nlet answer"), "{body}");
    assert!(!body.contains("println!(\"{answer} {ratio}\")"), "{body}");
}

#[test]
fn a_readme_opens_the_book_and_included_text_is_located_in_its_file() {
    let book = TempBook::empty("mdbook-readme").with(&[
        ("book.toml", "[book]\ntitle = \"Tiny\"\n"),
        (
            "src/SUMMARY.md",
            "[Introduction](README.md)\n\n- [First](first.md)\n    - [Inner](inner/README.md)\n",
        ),
        ("src/README.md", "# Introduction\n\nWelcome.\n"),
        (
            "src/first.md",
            "# First\n\n{{#include parts/shared.md}}\n\nAfter.\n",
        ),
        (
            "src/parts/shared.md",
            "Shared text.\n\nSee :numref:`nowhere`.\n",
        ),
        ("src/inner/README.md", "# Inner\n"),
    ]);
    let run = book.build_html();
    assert!(
        run.stderr.contains("--> src/parts/shared.md:3:5"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("3 | See :numref:`nowhere`."),
        "{}",
        run.stderr
    );
    book.write("src/parts/shared.md", "Shared text.\n");
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    // README.md is the index page, as mdBook makes it, in any folder.
    assert!(book.page("index.html").contains("Welcome."));
    assert!(book.page("inner/index.html").contains("Inner"));
    assert!(book.page("first.html").contains("Shared text."));
    let entries = nav(&book);
    let pages: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.1.as_str(), e.3.as_str()))
        .collect();
    assert_eq!(
        pages,
        [
            ("", "index.html"),
            ("1", "first.html"),
            ("1.1", "inner/index.html")
        ]
    );
    assert_eq!(entries[0].2, "Introduction");
}

#[test]
fn only_the_first_chapter_may_be_the_index_page() {
    let book = TempBook::empty("mdbook-index").with(&[
        ("book.toml", "[book]\ntitle = \"Tiny\"\n"),
        (
            "src/SUMMARY.md",
            "- [First](first.md)\n- [Readme](README.md)\n",
        ),
        ("src/README.md", "# Readme\n"),
        ("src/first.md", "# First\n"),
    ]);
    let run = book.build_html();
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains(
            "chapter 'README.md' cannot be used: its page would be the book's index page"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--> src/SUMMARY.md:2:3"),
        "{}",
        run.stderr
    );
}
