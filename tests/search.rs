//! The site's search as a reader uses it: the built site served over HTTP, a query typed
//! into the search box of a page in headless Chromium (`tests/a11y/search.js`), and the
//! results the box lists. Japanese (no spaces between words) and English queries each
//! find the section that is about them first, open its subsection's anchor, and show a
//! snippet with the match marked; on a phone the results stay on the screen.
//!
//! Needs Node and Chromium (`.ci/run` installs both); where no Chromium exists the test
//! says so and passes without a browser.

mod common;

use common::TempBook;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Whether `program --version` runs.
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// The results of `queries` typed into the search box of `page` of the site `book`
/// built, in a window `width` pixels wide; `None` (with the reason printed) where there
/// is no browser to run.
fn search(book: &TempBook, page: &str, width: u32, queries: &[&str]) -> Option<Vec<Value>> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    if !runs(&chromium) || !runs("node") {
        println!("skipped: no `{chromium}` or `node` here (`.ci/run` installs both)");
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y/search.js");
    let out = Command::new("node")
        .arg(script)
        .arg(book.root.join("_build/html"))
        .arg(page)
        .arg(width.to_string())
        .arg("--")
        .args(queries)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{stdout}");
    Some(
        stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect(),
    )
}

fn first(found: &Value) -> &Value {
    &found["results"][0]
}

#[test]
fn a_japanese_query_finds_its_subsection_first_with_the_match_marked() {
    let book = TempBook::sample();
    let run = book.run(&["build", "html", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    let Some(found) = search(
        &book,
        "index.html",
        1280,
        &["ブロードキャスト", "ドロップアウト"],
    ) else {
        return;
    };
    // The subsection about broadcasting, at its anchor, titled with its number.
    let broadcast = first(&found[0]);
    assert_eq!(
        broadcast["href"], "chapter_preliminaries/ndarray.html#subsec_ndarray_broadcast",
        "{found:?}"
    );
    // The page's title as the sidebar shows it: its number, then its title.
    let title = broadcast["title"].as_str().unwrap();
    assert!(title.starts_with("1.1 "), "{broadcast}");
    assert!(broadcast["part"]
        .as_str()
        .unwrap()
        .contains("ブロードキャスト"));
    assert!(broadcast["marked"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m == "ブロードキャスト"));
    // A word of a later chapter: its section comes first.
    let dropout = first(&found[1]);
    assert!(
        dropout["href"]
            .as_str()
            .unwrap()
            .starts_with("chapter_multilayer-perceptrons/dropout.html"),
        "{found:?}"
    );
}

/// The shard of an index file: the folder under `pagefind/` it is in ("" for the
/// primary, which also holds pagefind's script).
fn shard_of(path: &str) -> &str {
    let inside = path.strip_prefix("pagefind/").unwrap_or(path);
    match inside.split_once('/') {
        Some((folder, _)) if folder.starts_with("shard-") => folder,
        _ => "",
    }
}

#[test]
fn an_edit_indexes_its_page_s_shard_alone_and_the_site_equals_a_cold_build() {
    let book = TempBook::sample();
    let run = book.run(&["build", "html", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    let site = book.root.join("_build/html");
    let before = common::tree(&site);
    // The sample book's 26 pages make two shards: the primary and one merged at the
    // first query (the Japanese query above finds a page in each).
    assert_eq!(before["pagefind/shards.json"], b"[\"shard-1/\"]");
    assert!(before.contains_key("pagefind/pagefind.js"));
    assert!(!before
        .keys()
        .any(
            |p| p.starts_with("pagefind/shard-1/pagefind") && p.ends_with(".js")
                || p.starts_with("pagefind/shard-1/wasm.")
        ));

    // Reworded prose, wrapped as authors wrap it, with a word no other page has.
    let page = "chapters/chapter_multilayer-perceptrons/dropout.md";
    let text = std::fs::read_to_string(book.root.join(page)).unwrap();
    book.write(
        page,
        &format!("{text}\nドロップアウトの割合は検証データで\n選びます（zanzibarquux）。\n"),
    );
    let run = book.run(&["build", "html", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    let after = common::tree(&site);
    let index = |tree: &std::collections::BTreeMap<String, Vec<u8>>| {
        tree.iter()
            .filter(|(p, _)| p.starts_with("pagefind/"))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let (old, new) = (index(&before), index(&after));
    let changed: std::collections::BTreeSet<&str> = old
        .keys()
        .chain(new.keys())
        .filter(|p| old.get(*p) != new.get(*p))
        .map(|p| shard_of(p))
        .collect();
    assert_eq!(
        changed.len(),
        1,
        "files of several shards changed: {changed:?}"
    );

    // The same sources built cold in another folder: the same site, byte for byte.
    let cold = TempBook::empty("cold");
    std::fs::copy(book.root.join("book.toml"), cold.root.join("book.toml")).unwrap();
    common::copy_dir(&book.root.join("chapters"), &cold.root.join("chapters"));
    let run = cold.run(&["build", "html", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    let fresh = common::tree(&cold.root.join("_build/html"));
    assert_eq!(
        fresh.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &fresh {
        assert!(after[path] == *bytes, "{path} differs from a cold build");
    }
}

#[test]
fn an_english_query_finds_its_section_and_math_reads_as_its_source() {
    let book = TempBook::fixture("en");
    let run = book.run(&["build", "html", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    let Some(found) = search(
        &book,
        "chap_two/index.html",
        1280,
        &["figures", "underscores", "nothingmatchesthis"],
    ) else {
        return;
    };
    // Links are relative to the page the search runs on.
    assert_eq!(
        first(&found[0])["href"],
        "../chap_one/basics.html#subsec_figures",
        "{found:?}"
    );
    assert_eq!(first(&found[0])["title"], "1.1 Basics");
    // Inline math is indexed as its TeX, so the snippet keeps the symbols.
    let snippet = first(&found[1])["snippet"].as_str().unwrap();
    assert!(snippet.contains("$a_1 * b_1$"), "{snippet}");
    assert_eq!(found[2]["results"].as_array().unwrap().len(), 0);
    assert_eq!(found[2]["empty"], "No results");
}

#[test]
fn on_a_phone_the_results_fit_the_screen() {
    let book = TempBook::fixture("en");
    let run = book.run(&["build", "html", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    let Some(found) = search(&book, "chap_one/basics.html", 390, &["figure"]) else {
        return;
    };
    let bounds = &found[0]["box"];
    let (left, right) = (
        bounds["left"].as_f64().unwrap(),
        bounds["right"].as_f64().unwrap(),
    );
    assert!(
        left >= 0.0 && right <= bounds["viewport"].as_f64().unwrap(),
        "{bounds}"
    );
    assert!(!found[0]["results"].as_array().unwrap().is_empty());
}

#[test]
fn a_page_in_the_search_index_folder_is_an_error() {
    let book = common::one_section_book("# Sec\n").with(&[
        ("src/index.md", "# T\n\n```toc\nsec\npagefind/notes\n```\n"),
        ("src/pagefind/notes.md", "# Notes\n"),
    ]);
    let run = book.build_html();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("would be pagefind/notes.html, in the folder of the search index"),
        "{}",
        run.stderr
    );
    assert!(!book.root.join("_build/html").exists());
}
