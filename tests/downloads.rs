//! Downloads: `build all` makes the site, the PDF and the notebooks in one run, and every
//! page offers the book's PDF, its own notebook and the zip of all, with their sizes; a
//! site built alone offers what earlier `build pdf` / `build ipynb` runs left.

mod common;

use common::TempBook;

/// The one file with `extension` in `dir`.
fn only(dir: &std::path::Path, extension: &str) -> String {
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(extension))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    names[0].clone()
}

#[test]
fn build_all_makes_the_three_outputs_and_every_page_offers_them() {
    let book = TempBook::fixture("en");
    // The notebooks' zip carries a copy of the library.
    let toml = std::fs::read_to_string(book.root.join("book.toml")).unwrap();
    let library = concat!(env!("CARGO_MANIFEST_DIR"), "/d2l-lib");
    book.write(
        "book.toml",
        &format!("{toml}\n[eval]\nlibrary = \"{library}\"\n"),
    );
    let run = book.run(&["--strict", "build", "all", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    for line in [
        "built _build/pdf/",
        "notebooks into _build/ipynb",
        "pages into _build/html",
    ] {
        assert!(run.stderr.contains(line), "{line}: {}", run.stderr);
    }
    let out = book.root.join("_build");
    let pdf = only(&out.join("pdf"), ".pdf");
    let zip = only(&out.join("ipynb"), ".zip");
    // The site holds the very files the other two outputs wrote.
    let read = |p: std::path::PathBuf| std::fs::read(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
    assert_eq!(
        read(out.join("html").join(&pdf)),
        read(out.join("pdf").join(&pdf))
    );
    assert_eq!(
        read(out.join("html").join(&zip)),
        read(out.join("ipynb").join(&zip))
    );
    assert_eq!(
        read(out.join("html/chap_one/basics.ipynb")),
        read(out.join("ipynb/chap_one/basics.ipynb"))
    );
    let size = |bytes: usize| format!("{} KB", bytes.div_ceil(1000));
    let page = book.page("chap_one/basics.html");
    let pdf_size = size(read(out.join("pdf").join(&pdf)).len());
    let nb_size = size(read(out.join("ipynb/chap_one/basics.ipynb")).len());
    for link in [
        format!("<a href=\"../{pdf}\" download>The whole book as PDF ({pdf_size})</a>"),
        format!(
            "<a href=\"basics.ipynb\" download>This section&#x27;s notebook (.ipynb, {nb_size})</a>"
        ),
        format!("<a href=\"../{zip}\" download>All notebooks and the library (.zip, "),
    ] {
        assert!(page.contains(&link), "missing {link} in the page's menu");
    }
    let index = book.page("index.html");
    assert!(
        index.contains(&format!("<a href=\"{pdf}\" download>")),
        "{index}"
    );
    // The menu's links are the site's own files: the link check finds them.
    let check = book.run(&["build", "linkcheck"]);
    assert!(check.ok, "{}", check.stderr);
}

#[test]
fn a_site_built_alone_offers_only_what_earlier_builds_left() {
    let book = TempBook::fixture("en");
    let run = book.run(&["build", "html", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    assert!(!book
        .page("chap_one/basics.html")
        .contains("class=\"downloads\""));

    let run = book.run(&["build", "pdf", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    let run = book.run(&["build", "html", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("chap_one/basics.html");
    assert!(page.contains("The whole book as PDF ("), "{page}");
    assert!(!page.contains("notebook"), "no notebooks were built");
}
