//! The reference list and citations as readers see them, on the site and in the PDF,
//! from a book citing real entries of d2l.ai's `d2l.bib` (`tests/books/references`):
//! full author lists, LaTeX turned into Unicode, the style's order and case, full-width
//! parentheses in Japanese text, and a book's own CSL file.

mod common;
use common::{pdftotext, TempBook};

/// The text of HTML without tags, entities decoded, whitespace runs as one space.
fn text_of(html: &str) -> String {
    squeeze(&common::text_of(html))
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The references page's entries: (key, text), in the page's order.
fn entries(page: &str) -> Vec<(String, String)> {
    page.split("<p class=\"bib-entry\" id=\"bib-")
        .skip(1)
        .map(|rest| {
            let (key, rest) = rest.split_once('"').unwrap();
            let (entry, _) = rest.split_once("</p>").unwrap();
            (key.to_string(), text_of(&format!("<{entry}")))
        })
        .collect()
}

/// Where each of `texts` is in `haystack`, asserting that they are there in this order.
fn assert_in_order(haystack: &str, texts: &[&str]) {
    let mut from = 0;
    for text in texts {
        match haystack[from..].find(text) {
            Some(at) => from += at + text.len(),
            None => panic!("{text:?} missing or out of order in:\n{haystack}"),
        }
    }
}

const LI_PARK: &str = "Li, M., Andersen, D. G., Park, J. W., Smola, A. J., Ahmed, A., Josifovski, V., Long, J., Shekita, E. J., & Su, B.-Y. (2014).";

#[test]
fn apa_reference_list_on_the_site() {
    let book = TempBook::fixture("references");
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let list = entries(&book.page("references.html"));
    let keys: Vec<&str> = list.iter().map(|(k, _)| k.as_str()).collect();
    // APA: by author list, then year. One author (Li 2017) before the same author with
    // others (Li et al. 2014); Schmidhuber's 1992 before his 2015; the two works of the
    // same four authors and year as 2016a, 2016b.
    assert_eq!(
        keys,
        [
            "He.Zhang.Ren.ea.2016",
            "He.Zhang.Ren.ea.2016*1",
            "Kingma.Ba.2014",
            "Li.2017",
            "Li.Andersen.Park.ea.2014",
            "Li.Andersen.Smola.ea.2014",
            "Novikoff.1962",
            "Ramon-y-Cajal.Azoulay.1894",
            "Schmidhuber.1992",
            "Schmidhuber.2015",
            "Scholkopf.Smola.2002",
            "Zhang.Lipton.Li.ea.2023",
        ]
    );
    let text = |key: &str| &list.iter().find(|(k, _)| k == key).unwrap().1;
    // The full author list, not the citation's `Li, Andersen, Park, et al.`.
    assert_eq!(
        text("Li.Andersen.Park.ea.2014"),
        &format!("{LI_PARK} Scaling distributed machine learning with the parameter server. 11th USENIX Symposium on Operating Systems Design and Implementation (OSDI 14), 583–598.")
    );
    assert!(text("Li.Andersen.Smola.ea.2014")
        .starts_with("Li, M., Andersen, D. G., Smola, A. J., & Yu, K. (2014)."));
    assert!(text("Novikoff.1962").starts_with("Novikoff, A. B. J. (1962)."));
    assert!(text("Ramon-y-Cajal.Azoulay.1894").starts_with(
        "Ramón y Cajal, S., & Azoulay, L. (1894). Les nouvelles idées sur la structure du système nerveux"
    ));
    assert!(text("Scholkopf.Smola.2002").starts_with("Schölkopf, B., & Smola, A. J. (2002)."));
    // Title case capitalises lowercase words only: `arXiv` keeps its case.
    assert!(text("Kingma.Ba.2014").ends_with("arXiv Preprint arXiv:1412.6980."));
    assert!(text("He.Zhang.Ren.ea.2016").contains("(2016a)."));
    assert!(text("He.Zhang.Ren.ea.2016*1").contains("(2016b)."));
    for (key, entry) in &list {
        assert!(
            !entry.contains(['{', '}', '\\', '~', '$']),
            "LaTeX left in {key}: {entry}"
        );
    }

    let index = text_of(&book.page("index.html"));
    for expected in [
        // In-text citations keep APA's disambiguation.
        "learn (Li, Andersen, Park, et al., 2014; Zhang et al., 2023).",
        "neurons Ramón y Cajal & Azoulay (1894).",
        "(He et al., 2016a; He et al., 2016b)",
        // Japanese text: full-width parentheses, no space before them.
        "多層のニューラルネットワークを使う（Kingma & Ba, 2014）。",
        // An English word before the citation in an English book: ASCII, as written.
        "Adam (Kingma & Ba, 2014) は広く使われる。",
    ] {
        assert!(
            index.contains(expected),
            "missing {expected:?} in:\n{index}"
        );
    }
}

#[test]
fn apa_reference_list_in_the_pdf() {
    let book = TempBook::fixture("references");
    let run = book.run(&["build", "pdf"]);
    assert!(run.ok, "{}", run.stderr);
    let text = squeeze(&pdftotext(&book.root.join("_build/pdf/ref-book.pdf")));
    let list = &text[text.rfind("References").unwrap()..];
    assert_in_order(
        list,
        &[
            "He, K., Zhang, X., Ren, S., & Sun, J. (2016a).",
            "He, K., Zhang, X., Ren, S., & Sun, J. (2016b).",
            "Kingma, D. P., & Ba, J. (2014). Adam: A method for stochastic optimization. arXiv Preprint arXiv:1412.6980.",
            "Li, M. (2017).",
            LI_PARK,
            "11th USENIX Symposium on Operating Systems Design and Implementation (OSDI 14), 583–598.",
            "Li, M., Andersen, D. G., Smola, A. J., & Yu, K. (2014).",
            "Novikoff, A. B. J. (1962).",
            "Ramón y Cajal, S., & Azoulay, L. (1894). Les nouvelles idées",
            "Schmidhuber, J. (1992).",
            "Schmidhuber, J. (2015).",
            "Schölkopf, B., & Smola, A. J. (2002).",
            "Zhang, A., Lipton, Z. C., Li, M., & Smola, A. J. (2023).",
        ],
    );
    assert!(!list.contains(['{', '}', '\\', '~', '$']), "{list}");
    for expected in [
        "(Li, Andersen, Park, et al., 2014; Zhang et al., 2023)",
        "多層のニューラルネットワークを使う（Kingma & Ba, 2014）。",
        "Adam (Kingma & Ba, 2014) は",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

/// In a Japanese book, a citation in a Japanese paragraph is in full-width parentheses
/// even after a Latin word, without the spaces around it; an English paragraph keeps
/// ASCII ones.
#[test]
fn japanese_book_full_width_parentheses() {
    let book = TempBook::fixture("references");
    let toml = std::fs::read_to_string(book.root.join("book.toml")).unwrap();
    book.write(
        "book.toml",
        &toml.replace("language = \"en\"", "language = \"ja\""),
    );
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let index = text_of(&book.page("index.html"));
    for expected in [
        "Adam（Kingma & Ba, 2014）は広く使われる。",
        "多層のニューラルネットワークを使う（Kingma & Ba, 2014）。",
        "Adam (Kingma & Ba, 2014). Also",
    ] {
        assert!(
            index.contains(expected),
            "missing {expected:?} in:\n{index}"
        );
    }
}

/// `[book] csl` names a style file of the book's own: here a small numeric style
/// (`styles/numeric.csl`), which numbers entries in order of first citation.
#[test]
fn a_books_own_csl_file() {
    let book = TempBook::fixture("references");
    let toml = std::fs::read_to_string(book.root.join("book.toml")).unwrap();
    book.write(
        "book.toml",
        &toml.replace("[book]\n", "[book]\ncsl = \"styles/numeric.csl\"\n"),
    );
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let index = text_of(&book.page("index.html"));
    for expected in [
        "programs that learn [1, 2].",
        "Perceptrons converge [3];",
        "Adam [5]. Also [6, 7].",
        // No space before a citation in Japanese text; square brackets stay.
        "使う[5]。",
    ] {
        assert!(
            index.contains(expected),
            "missing {expected:?} in:\n{index}"
        );
    }
    let list = entries(&book.page("references.html"));
    assert_eq!(list.len(), 12);
    assert_eq!(
        list[0].1,
        "[1] M. Li, D. G. Andersen, J. W. Park, A. J. Smola, A. Ahmed, V. Josifovski, J. Long, E. J. Shekita, and B.-Y. Su. Scaling distributed machine learning with the parameter server, 2014."
    );
    assert_eq!(
        list[2].1,
        "[3] A. B. J. Novikoff. On convergence proofs on perceptrons, 1962."
    );

    let run = book.run(&["build", "pdf"]);
    assert!(run.ok, "{}", run.stderr);
    let text = squeeze(&pdftotext(&book.root.join("_build/pdf/ref-book.pdf")));
    assert!(text.contains("Perceptrons converge [3];"), "{text}");
    assert_in_order(
        &text,
        &[
            "References",
            "[1] M. Li, D. G. Andersen,",
            "[3] A. B. J. Novikoff. On convergence proofs on perceptrons, 1962.",
            "[4] S. Ramón y Cajal and L. Azoulay.",
            "[12] B. Schölkopf and A. J. Smola.",
        ],
    );
}

#[test]
fn csl_file_errors_name_the_file() {
    let book = TempBook::fixture("references");
    let toml = std::fs::read_to_string(book.root.join("book.toml")).unwrap();
    let with_csl = |path: &str| {
        book.write(
            "book.toml",
            &toml.replace("[book]\n", &format!("[book]\ncsl = \"{path}\"\n")),
        );
        let run = book.build_html();
        assert!(!run.ok, "built with {path}");
        run.stderr
    };
    let missing = with_csl("styles/none.csl");
    assert!(
        missing.contains("error: cannot read the citation style styles/none.csl:"),
        "{missing}"
    );
    book.write("styles/bad.csl", "<style><citation>");
    let bad = with_csl("styles/bad.csl");
    assert!(
        bad.contains("error: invalid citation style styles/bad.csl:"),
        "{bad}"
    );
    book.write(
        "styles/dependent.csl",
        r#"<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
  <info>
    <title>A journal</title>
    <id>d2lbook-test-dependent</id>
    <link href="http://www.zotero.org/styles/apa" rel="independent-parent"/>
    <updated>2026-12-01T00:00:00+00:00</updated>
  </info>
</style>
"#,
    );
    let dependent = with_csl("styles/dependent.csl");
    assert!(
        dependent.contains("error: the citation style styles/dependent.csl is a dependent style"),
        "{dependent}"
    );
    assert!(
        dependent.contains("use the parent's .csl file"),
        "{dependent}"
    );
}

/// Math in a `.bib` title is shown as math on both outputs; math that KaTeX rejects is a
/// warning at its place in the `.bib`.
#[test]
fn math_in_titles() {
    let book = TempBook::fixture("references");
    let bib = std::fs::read_to_string(book.root.join("src/d2l.bib")).unwrap();
    book.write(
        "src/d2l.bib",
        &format!("{bib}@article{{Doe.2021,\n  title={{Sparse $\\ell_1$ regression and $\\frac{{1}}$}},\n  author={{Doe, Jane}}, journal={{J}}, year={{2021}}}}\n"),
    );
    let index = std::fs::read_to_string(book.root.join("src/index.md")).unwrap();
    book.write(
        "src/index.md",
        &index.replace(
            "Adam :cite:`Kingma.Ba.2014`.",
            "Adam :cite:`Kingma.Ba.2014,Doe.2021`.",
        ),
    );
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: math error:")
            && run
                .stderr
                .contains(&format!("--> src/d2l.bib:{}:", bib.lines().count() + 2)),
        "{}",
        run.stderr
    );
    let page = book.page("references.html");
    let (_, doe) = page.split_once("id=\"bib-Doe.2021\"").unwrap();
    let (doe, _) = doe.split_once("</p>").unwrap();
    assert!(
        doe.contains("Sparse <math") && doe.contains("<msub><mi>ℓ</mi><mn>1</mn></msub>"),
        "{doe}"
    );
    assert!(doe.contains("<span class=\"math-error\""), "{doe}");

    let run = book.run(&["build", "pdf"]);
    assert!(run.ok, "{}", run.stderr);
    let text = squeeze(&pdftotext(&book.root.join("_build/pdf/ref-book.pdf")));
    assert!(
        text.contains("Doe, J. (2021). Sparse ℓ1 regression"),
        "{text}"
    );
}
