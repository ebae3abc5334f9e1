//! Rebuilds in a living session (what `serve` runs): after each kind of edit the site on
//! disk is byte for byte what a cold `build html` of the same sources makes, and the
//! rebuild says which files changed, so that only those pages reload.

mod common;
use common::{tree, TempBook};
use d2lbook::build::Options;
use d2lbook::session::Session;
use std::collections::BTreeMap;

/// Asserts the session's site equals a cold build of a copy of the same sources.
fn assert_same_as_cold(book: &TempBook, step: &str) {
    let cold = TempBook::empty("cold");
    for entry in walkdir::WalkDir::new(&book.root).into_iter().flatten() {
        let rel = entry.path().strip_prefix(&book.root).unwrap();
        if rel.starts_with("_build") {
            continue;
        }
        let to = cold.root.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    let run = cold.run(&["build", "html", "--no-eval"]);
    assert!(run.ok, "{step}: {}", run.stderr);
    let ours = tree(&book.root.join("_build/html"));
    let theirs = tree(&cold.root.join("_build/html"));
    let only = |a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>| -> Vec<String> {
        a.keys().filter(|k| !b.contains_key(*k)).cloned().collect()
    };
    assert!(
        only(&ours, &theirs).is_empty(),
        "{step}: only in the session's site: {:?}",
        only(&ours, &theirs)
    );
    assert!(
        only(&theirs, &ours).is_empty(),
        "{step}: only in the cold site: {:?}",
        only(&theirs, &ours)
    );
    let differ: Vec<&String> = ours.keys().filter(|k| ours[*k] != theirs[*k]).collect();
    assert!(
        differ.is_empty(),
        "{step}: files differ from a cold build: {differ:?}"
    );
}

fn edit(book: &TempBook, path: &str, from: &str, to: &str) {
    let file = book.root.join(path);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(from), "{path} has no {from:?}");
    std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
}

/// A session on `book` that prints nothing and runs no cell.
fn quiet_session(book: &TempBook) -> Session {
    Session::new(Options {
        root: book.root.clone(),
        strict: false,
        quiet: true,
        no_eval: true,
    })
}

/// The changed files apart from the search index, and whether the index changed.
fn pages_and_search(changed: &[String]) -> (Vec<&str>, bool) {
    let (search, other): (Vec<&String>, Vec<&String>) =
        changed.iter().partition(|f| f.starts_with("pagefind/"));
    (
        other.into_iter().map(String::as_str).collect(),
        !search.is_empty(),
    )
}

#[test]
fn every_rebuild_equals_a_cold_build_and_names_what_changed() {
    let book = TempBook::fixture("en");
    let mut session = Session::new(Options {
        root: book.root.clone(),
        strict: false,
        quiet: false,
        no_eval: true,
    });
    let first = session.rebuild();
    assert!(!first.failed, "{}", first.report);
    assert!(first.changed.contains(&"chap_one/basics.html".to_string()));
    assert_same_as_cold(&book, "first build");

    // Nothing edited: nothing written.
    let again = session.rebuild();
    assert!(
        !again.failed && again.changed.is_empty(),
        "{:?}",
        again.changed
    );

    // A prose edit: its page and the search index.
    edit(
        &book,
        "src/chap_one/basics.md",
        "Inline math keeps",
        "Inline math still keeps",
    );
    let prose = session.rebuild();
    assert_eq!(
        pages_and_search(&prose.changed),
        (vec!["chap_one/basics.html"], true)
    );
    // …and only that page was rendered again.
    // The sections' pages (404.html is the site's, not a section's).
    let pages = tree(&book.root.join("_build/html"))
        .keys()
        .filter(|p| p.ends_with(".html") && *p != "404.html")
        .count();
    assert!(
        prose.report.contains(&format!(
            "({} pages unchanged, not rendered again)",
            pages - 1
        )),
        "{}",
        prose.report
    );
    assert_same_as_cold(&book, "prose edit");

    // A heading renamed: its page, the pages that show its title, the navigation.
    edit(
        &book,
        "src/chap_two/index.md",
        "# Chapter Two",
        "# Chapter Deux",
    );
    let renamed = session.rebuild();
    assert!(
        renamed.changed.contains(&"nav.js".to_string()),
        "{:?}",
        renamed.changed
    );
    assert!(renamed.changed.contains(&"chap_two/index.html".to_string()));
    assert_same_as_cold(&book, "heading renamed");

    // A label added, referenced from another page, then removed.
    edit(
        &book,
        "src/chap_two/index.md",
        ":label:`fig_two`",
        ":label:`fig_two`\n\nSee :numref:`sec_basics`.",
    );
    let added = session.rebuild();
    assert_eq!(
        pages_and_search(&added.changed),
        (vec!["chap_two/index.html"], true)
    );
    assert_same_as_cold(&book, "reference added");
    edit(&book, "src/chap_one/basics.md", ":label:`sec_basics`", "");
    let removed = session.rebuild();
    assert!(
        !removed.failed,
        "a broken reference only warns: {}",
        removed.report
    );
    assert!(
        removed.report.contains("undefined label 'sec_basics'"),
        "{}",
        removed.report
    );
    assert_same_as_cold(&book, "label removed");

    // A parse warning of an unchanged file is reported on every rebuild, though the file
    // is not parsed again.
    edit(
        &book,
        "src/chap_two/index.md",
        "# Chapter Deux",
        "# Chapter Deux\n\n:end_tab:\n",
    );
    for step in ["stray mark", "nothing edited"] {
        let warned = session.rebuild();
        assert!(
            warned.report.contains(":end_tab:"),
            "{step}: {}",
            warned.report
        );
    }
    edit(&book, "src/chap_two/index.md", "\n\n:end_tab:\n", "");

    // A section added to a toc.
    book.write("src/chap_two/extra.md", "# Extra\n\nA new section.\n");
    edit(
        &book,
        "src/chap_two/index.md",
        "# Chapter Deux",
        "# Chapter Deux\n\n```toc\nextra\n```",
    );
    let grown = session.rebuild();
    assert!(
        grown.changed.contains(&"chap_two/extra.html".to_string()),
        "{:?}",
        grown.changed
    );
    assert_same_as_cold(&book, "section added");

    // A bibliography entry changed.
    edit(
        &book,
        "src/refs.bib",
        "Pattern Recognition",
        "Pattern Recognition, Revised",
    );
    let cited = session.rebuild();
    assert!(
        cited.changed.contains(&"references.html".to_string()),
        "{:?}",
        cited.changed
    );
    assert_same_as_cold(&book, "bib entry changed");

    // A code listing edited.
    edit(
        &book,
        "src/chap_one/basics.md",
        "## Figures",
        "## Figures\n\n```rust\nlet edited = 1;\n```",
    );
    let code = session.rebuild();
    assert!(code.changed.contains(&"chap_one/basics.html".to_string()));
    assert_same_as_cold(&book, "code edited");

    // A broken edit fails the rebuild and leaves the site as it was.
    let before = tree(&book.root.join("_build/html"));
    edit(
        &book,
        "src/chap_one/basics.md",
        "## Figures",
        "## Figures\n\n![gone](nowhere.png)",
    );
    let broken = session.rebuild();
    assert!(broken.failed && broken.changed.is_empty());
    assert!(broken.report.contains("missing image"), "{}", broken.report);
    assert_eq!(tree(&book.root.join("_build/html")), before);
}

#[test]
fn a_build_html_that_would_write_the_same_site_writes_nothing() {
    let book = TempBook::fixture("en");
    let first = book.run(&["build", "html", "--no-eval"]);
    assert!(first.ok, "{}", first.stderr);
    let page = book.root.join("_build/html/chap_one/basics.html");
    let written = std::fs::metadata(&page).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let again = book.run(&["build", "html", "--no-eval"]);
    assert!(again.ok, "{}", again.stderr);
    assert!(
        again
            .stderr
            .contains("the site in _build/html is up to date (7 pages"),
        "{}",
        again.stderr
    );
    assert_eq!(
        std::fs::metadata(&page).unwrap().modified().unwrap(),
        written
    );
    let cache = book.root.join("_build/cache/pages.json");
    let cached = std::fs::metadata(&cache).unwrap().modified().unwrap();
    // The parsed sections are kept too (they are not parsed again by the next run).
    let parsed = book.root.join("_build/cache/parsed.bin");
    let parsed_at = std::fs::metadata(&parsed).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert!(book.run(&["build", "html", "--no-eval"]).ok);
    assert_eq!(
        std::fs::metadata(&cache).unwrap().modified().unwrap(),
        cached,
        "a no-op build rewrote its page cache"
    );
    assert_eq!(
        std::fs::metadata(&parsed).unwrap().modified().unwrap(),
        parsed_at,
        "a no-op build rewrote its parsed sections"
    );
    // An edit renders its page again (and reuses the others from the page cache), and
    // the result is what a cold build makes.
    edit(
        &book,
        "src/chap_one/basics.md",
        "Inline math keeps",
        "Inline math still keeps",
    );
    let edited = book.run(&["build", "html", "--no-eval"]);
    assert!(
        edited
            .stderr
            .contains("(6 pages unchanged, not rendered again)"),
        "{}",
        edited.stderr
    );
    assert!(std::fs::read_to_string(&page)
        .unwrap()
        .contains("still keeps"));
    assert_same_as_cold(&book, "after an edit, with the page cache");
    // The cache holds the pages' digests, not their HTML, which is read back from the
    // site; a page of the site edited by hand, even keeping its length, is not trusted:
    // it is rendered again.
    let text = std::fs::read_to_string(&cache).unwrap();
    assert!(
        !text.contains("still keeps"),
        "the page cache copies the pages"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    std::fs::write(&page, html.replace("still keeps", "FORGED keep")).unwrap();
    // The page is rendered again, the other six are read back.
    let renders_only_it = |step: &str| {
        let rebuilt = book.run(&["build", "html", "--no-eval"]);
        assert!(
            rebuilt.ok
                && rebuilt
                    .stderr
                    .contains("(6 pages unchanged, not rendered again)"),
            "{step}: {}",
            rebuilt.stderr
        );
    };
    renders_only_it("a page edited by hand");
    assert!(!std::fs::read_to_string(&page).unwrap().contains("FORGED"));
    assert_same_as_cold(&book, "after a page of the site edited by hand");
    // A page made a link to a file outside, with the page's very bytes, is not read.
    let outside = book.root.join("outside.html");
    std::fs::copy(&page, &outside).unwrap();
    std::fs::remove_file(&page).unwrap();
    std::os::unix::fs::symlink(&outside, &page).unwrap();
    renders_only_it("a page made a link");
    assert!(std::fs::symlink_metadata(&page).unwrap().is_file());
    assert_same_as_cold(&book, "after a page of the site made a link");
    // An entry of the cache edited by hand is not trusted either.
    let mut memo: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entry = &mut memo["pages"]["chap_one/basics.html"];
    assert!(entry[2].is_string(), "{entry}");
    entry[1] = 7.into();
    std::fs::write(&cache, memo.to_string()).unwrap();
    std::fs::write(&page, "FORGED\n").unwrap();
    let rebuilt = book.run(&["build", "html", "--no-eval"]);
    assert!(rebuilt.ok, "{}", rebuilt.stderr);
    assert_same_as_cold(&book, "after a forged cache");

    // The math font follows the math: a new symbol cuts it again.
    let font = book
        .root
        .join("_build/html/theme/fonts/NewCMMath-Regular.woff2");
    let before = std::fs::read(&font).unwrap();
    edit(
        &book,
        "src/chap_one/basics.md",
        "Inline math still keeps",
        "Inline math ($\\zeta$) still keeps",
    );
    assert!(book.run(&["build", "html", "--no-eval"]).ok);
    assert_ne!(std::fs::read(&font).unwrap(), before);
    assert_same_as_cold(&book, "after a new math symbol");
    // The page cache lists the font, read back from the site: one that fails its
    // checksum there (the same length, other bytes) is cut again, not served.
    let memo: serde_json::Value = serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
    let listed = &memo["font"][1][0];
    let cut = std::fs::read(&font).unwrap();
    assert_eq!(listed[1], cut.len(), "{listed}");
    std::fs::write(&font, vec![0u8; cut.len()]).unwrap();
    assert!(book.run(&["build", "html", "--no-eval"]).ok);
    assert_eq!(std::fs::read(&font).unwrap(), cut);
    assert_same_as_cold(&book, "after a forged font in the site");
    // So are the search index's files: one forged there makes the book indexed again.
    let entry = book.root.join("_build/html/pagefind/pagefind-entry.json");
    let indexed = std::fs::read(&entry).unwrap();
    std::fs::write(&entry, vec![b' '; indexed.len()]).unwrap();
    assert!(book.run(&["build", "html", "--no-eval"]).ok);
    assert_eq!(std::fs::read(&entry).unwrap(), indexed);
    assert_same_as_cold(&book, "after a forged search index in the site");

    // The formatted bibliography is kept between runs, and not trusted when edited.
    let formatted = book.root.join("_build/cache/bibliography.json");
    let text = std::fs::read_to_string(&formatted).unwrap();
    assert!(text.contains("Bishop"), "{text}");
    std::fs::write(&formatted, text.replace("Bishop", "FORGED")).unwrap();
    std::fs::remove_dir_all(book.root.join("_build/html")).unwrap();
    let rebuilt = book.run(&["build", "html", "--no-eval"]);
    assert!(rebuilt.ok, "{}", rebuilt.stderr);
    let refs = std::fs::read_to_string(book.root.join("_build/html/references.html")).unwrap();
    assert!(refs.contains("Bishop, C. M.") && !refs.contains("FORGED"));
    assert_same_as_cold(&book, "after a forged bibliography in the cache");
}

/// `serve` writes pages first and indexes after, and skips the index when another save
/// is waiting: whatever the order, the site it ends with equals a cold build.
#[test]
fn an_index_left_for_later_never_brings_old_pages_back() {
    let book = TempBook::fixture("en");
    let mut session = quiet_session(&book);
    assert!(!session.rebuild().failed);
    let basics = "src/chap_one/basics.md";
    let page =
        || std::fs::read_to_string(book.root.join("_build/html/chap_one/basics.html")).unwrap();

    // A prose edit whose index is left for later: the page is new at once.
    edit(&book, basics, "Inline math keeps", "Inline math now keeps");
    let mut told = false;
    let skipped = session.rebuild_then(|r| told = !r.failed, || true);
    assert!(told && !skipped.failed);
    assert!(page().contains("Inline math now keeps"));
    assert!(!skipped.changed.iter().any(|f| f.starts_with("pagefind/")));

    // The edit undone: the text is the indexed one again, so no index is due; the
    // page must be this text, not the skipped rebuild's.
    edit(&book, basics, "Inline math now keeps", "Inline math keeps");
    assert!(!session.rebuild().failed);
    assert!(!page().contains("Inline math now keeps"));
    assert_same_as_cold(&book, "edit undone after a skipped index");

    // Skipped again, then indexed by the next rebuild.
    edit(
        &book,
        basics,
        "Inline math keeps",
        "Inline math still keeps",
    );
    session.rebuild_then(|_| {}, || true);
    edit(
        &book,
        "src/chap_two/index.md",
        "# Chapter Two",
        "# Chapter Deux",
    );
    let indexed = session.rebuild();
    assert!(indexed.changed.iter().any(|f| f.starts_with("pagefind/")));
    assert_same_as_cold(&book, "index after a skipped one");

    // A save that comes while the pages are being indexed stops the index between two
    // pages: nothing of it is written, and the next rebuild makes it.
    edit(
        &book,
        basics,
        "Inline math still keeps",
        "Inline math still keeps on",
    );
    let asked = std::cell::Cell::new(0);
    let stopped = session.rebuild_then(
        |_| {},
        || {
            asked.set(asked.get() + 1);
            asked.get() > 3
        },
    );
    assert!(asked.get() > 3, "asked {} times", asked.get());
    assert!(!stopped.failed);
    assert!(page().contains("Inline math still keeps on"));
    assert!(!stopped.changed.iter().any(|f| f.starts_with("pagefind/")));
    let indexed = session.rebuild();
    assert!(indexed.changed.iter().any(|f| f.starts_with("pagefind/")));
    assert_same_as_cold(&book, "index after one stopped midway");
}

#[test]
fn a_search_shard_comes_and_goes_with_the_pages_and_leaves_no_folder() {
    let book = TempBook::fixture("en");
    let mut session = quiet_session(&book);
    assert!(!session.rebuild().failed);
    let shards = || std::fs::read_to_string(book.root.join("_build/html/pagefind/shards.json"));
    assert_eq!(shards().unwrap(), "[]");

    // Twelve sections more make 16 or more pages: the index has a second shard.
    let chapter = "src/chap_two/index.md";
    let original = std::fs::read_to_string(book.root.join(chapter)).unwrap();
    let mut toc = String::from("\n```toc\n:maxdepth: 1\n\n");
    for i in 0..12 {
        book.write(
            &format!("src/chap_two/extra{i}.md"),
            &format!("# Extra {i}\n\nA section about topic{i}, added\nto split the index.\n"),
        );
        toc.push_str(&format!("extra{i}\n"));
    }
    toc.push_str("```\n");
    book.write(chapter, &format!("{original}{toc}"));
    let grown = session.rebuild();
    assert!(!grown.failed, "{}", grown.report);
    let listed: Vec<String> = serde_json::from_str(&shards().unwrap()).unwrap();
    let [folder] = &listed[..] else {
        panic!("{listed:?}")
    };
    assert!(folder.starts_with("shard-"), "{folder}");
    let folder = book.root.join("_build/html/pagefind").join(folder);
    assert!(folder.is_dir());
    assert_same_as_cold(&book, "pages added");

    // Gone again: one shard, and its folder is not left behind empty.
    book.write(chapter, &original);
    for i in 0..12 {
        std::fs::remove_file(book.root.join(format!("src/chap_two/extra{i}.md"))).unwrap();
    }
    let shrunk = session.rebuild();
    assert!(!shrunk.failed, "{}", shrunk.report);
    assert_eq!(shards().unwrap(), "[]");
    assert!(!folder.exists());
    assert_same_as_cold(&book, "pages removed");
}
