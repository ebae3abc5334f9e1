//! Books written for the Python d2lbook build unchanged: `tests/books/d2l-style` (a
//! `config.ini` book in the layout of *Dive into Deep Learning*) uses the shapes real books
//! use — labels glued under tables, `:end_tab:` right after a list or a paragraph line,
//! slide marks around labelled equations, `eval_rst` blocks — and these tests check what a
//! reader of the site and of the PDF sees.

mod common;
use common::{pdftotext, TempBook};

/// The fixture book, built to HTML without running cells; its build's stderr.
fn built_site() -> (TempBook, String) {
    let book = TempBook::fixture("d2l-style");
    let run = book.run(&["build", "html", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    (book, run.stderr)
}

/// The content of the page (its `<article>`), so that the sidebar and the scripts around it
/// do not count.
fn article(book: &TempBook, page: &str) -> String {
    let html = book.page(page);
    let start = html.find("<article").expect("an article");
    let end = html.find("</article>").expect("the article's end");
    html[start..end].to_string()
}

/// The HTML of tab `tab` in the `n`th tab group (from 0) of a page of prose tabs.
fn tab_panel(article: &str, n: usize, tab: &str) -> String {
    let group = article
        .split("<div class=\"tabs\">")
        .nth(n + 1)
        .expect("the tab group");
    let open = format!("<div class=\"tab-panel\" data-tab=\"{tab}\" role=\"tabpanel\">\n");
    let panel = group.split(&open).nth(1).expect("the panel");
    // Prose panels hold no other `div`: the first `</div>` closes the panel.
    panel[..panel.find("</div>").expect("the panel's end")].to_string()
}

#[test]
fn every_reference_shows_its_number_and_links_to_its_target() {
    let (book, _) = built_site();
    let linear = article(&book, "chapter_regression/linear.html");
    for expected in [
        // Labels on the line right after the last row, with a caption before the table
        // (and a blank line or none), without one, and after a blank line.
        "<div class=\"table\" id=\"tab_data\"><table><caption><span class=\"caption-number\">Table 1.1.1</span> A toy data set of flat sizes and rents.</caption>",
        "<div class=\"table\" id=\"tab_symbols\"><table><caption><span class=\"caption-number\">Table 1.1.2</span></caption>",
        "<div class=\"table\" id=\"tab_splits-v2\"><table><caption><span class=\"caption-number\">Table 1.1.3</span> How the examples are split.</caption>",
        "<div class=\"table\" id=\"tab_before\"><table><caption><span class=\"caption-number\">Table 1.1.4</span> A caption with its label before the table.</caption>",
        "<a class=\"ref\" href=\"#tab_data\">Table 1.1.1</a> lists a toy",
        "To sum up: <a class=\"ref\" href=\"#tab_data\">Table 1.1.1</a>, <a class=\"ref\" href=\"#tab_symbols\">Table 1.1.2</a>, <a class=\"ref\" href=\"#tab_splits-v2\">Table 1.1.3</a>,\n<a class=\"ref\" href=\"#tab_before\">Table 1.1.4</a>, <a class=\"ref eqref\" href=\"#eq_linear-model\">(1.1.1)</a> and <a class=\"ref\" href=\"steps.html\">Step Sizes</a>.",
        // Equations in slide marks, one of them over two lines, keep their labels.
        "<div class=\"equation\" id=\"eq_linear-model\">",
        "<div class=\"equation\" id=\"eq_squared-loss\">",
        "<span class=\"eqno\">(1.1.2)</span>",
        "In words: <a class=\"ref eqref\" href=\"#eq_linear-model\">(1.1.1)</a> makes predictions and <a class=\"ref eqref\" href=\"#eq_squared-loss\">(1.1.2)</a>",
        "(<a class=\"cite\" href=\"../chapter_references/zreferences.html#bib-Legendre.1805\">Legendre, 1805</a>)",
    ] {
        assert!(linear.contains(expected), "missing {expected:?} in:\n{linear}");
    }
    // No label became a table row, no slide mark is left around an equation.
    assert!(!linear.contains(":label:") && !linear.contains("<td></td>"));
    assert!(!linear.contains("(**") && !linear.contains("[**"));

    let steps = article(&book, "chapter_regression/steps.html");
    for expected in [
        "<div class=\"table\" id=\"tab_rates\"><table><caption><span class=\"caption-number\">Table 1.2.1</span> Step sizes we tried.</caption>",
        "<div class=\"equation\" id=\"eq_gd-wt+1-step\">",
        "as in <a class=\"ref eqref\" href=\"#eq_gd-wt+1-step\">(1.2.1)</a>.",
        "Back to <a class=\"ref\" href=\"linear.html\">Section 1.1</a>, <a class=\"ref\" href=\"linear.html#tab_data\">Table 1.1.1</a>, <a class=\"ref eqref\" href=\"linear.html#eq_squared-loss\">(1.1.2)</a>,\n<a class=\"ref\" href=\"#tab_rates\">Table 1.2.1</a> and <a class=\"ref\" href=\"index.html\">Section 1</a>.",
        "(<a class=\"cite\" href=\"../chapter_references/zreferences.html#bib-Kingma.Ba.2014\">Kingma &amp; Ba, 2014</a>)",
    ] {
        assert!(steps.contains(expected), "missing {expected:?} in:\n{steps}");
    }
    assert!(!steps.contains(":label:") && !steps.contains("<td></td>"));
}

#[test]
fn tabs_open_and_close_where_the_source_says() {
    let (book, _) = built_site();
    let linear = article(&book, "chapter_regression/linear.html");
    // A tab ending in a list item, then one ending in a paragraph line.
    assert_eq!(
        tab_panel(&linear, 0, "mxnet"),
        "<p>MXNet keeps its arrays in <code>np</code>:</p>\n<ul>\n<li>arrays live on a context</li>\n<li>gradients need <code>attach_grad</code></li>\n</ul>\n"
    );
    assert_eq!(
        tab_panel(&linear, 0, "pytorch"),
        "<p>PyTorch keeps tensors in <code>torch</code>, and gradients follow from\n<code>requires_grad</code>.</p>\n"
    );
    // The text after `:end_tab:` follows the closed group, in no tab.
    assert!(linear.contains(
        "</div>\n</div>\n<p>After the tabs, this sentence is shared by every framework.</p>\n<div class=\"tabs\">"
    ));
    // The cells marked `#@tab` form the next group; `#@tab all` is in both tabs and its
    // `#@save` mark is not shown.
    let cells = linear.split("<div class=\"tabs\">").nth(2).unwrap();
    let panels = cells.split_once("role=\"tabpanel\"").unwrap().1;
    let (mxnet, pytorch) = panels
        .split_once("data-tab=\"pytorch\" role=\"tabpanel\"")
        .unwrap();
    assert!(mxnet.contains("npx") && !mxnet.contains("torch"));
    assert!(pytorch.contains(">torch<") && !pytorch.contains("npx"));
    assert_eq!(cells.matches("Half the squared error.").count(), 2);
    assert!(!cells.contains("@save") && !cells.contains("@tab"));

    // `:end_tab:` right after a numbered list, then `:begin_tab:` on the next line.
    let steps = article(&book, "chapter_regression/steps.html");
    assert_eq!(
        tab_panel(&steps, 0, "mxnet"),
        "<ol>\n<li>Record the forward pass.</li>\n<li>Call <code>backward</code>.</li>\n</ol>\n"
    );
    assert_eq!(
        tab_panel(&steps, 0, "pytorch"),
        "<p>Call <code>loss.backward()</code> and then\nstep the optimizer.</p>\n"
    );
    assert!(steps.contains("</div>\n</div>\n<p>Both frameworks then update"));
    // `tabs = mxnet, pytorch` in config.ini: every tab bar lists the default first.
    for page in [&linear, &steps] {
        for bar in page
            .split("<div class=\"tab-bar\" role=\"tablist\">")
            .skip(1)
        {
            let bar = bar.split("</div>").next().unwrap();
            if let (Some(m), Some(p)) = (bar.find("\"mxnet\""), bar.find("\"pytorch\"")) {
                assert!(m < p, "{bar}");
            }
        }
    }
    assert!(!steps.contains("%%tab") && !steps.contains("@save"));
}

#[test]
fn eval_rst_blocks_show_on_the_site_what_is_meant_for_it() {
    let (book, _) = built_site();
    let steps = article(&book, "chapter_regression/steps.html");
    // `.. only:: html` with a paragraph and a file next to the section, then a file
    // found at the book root.
    let only = steps
        .find("<p>This sentence appears only on the website.</p>")
        .unwrap();
    let local = steps
        .find("<p class=\"local-note\">A note that lives next to its section.</p>")
        .unwrap();
    let root = steps
        .find("<p class=\"root-banner\">Shared banner from the book root.</p>")
        .unwrap();
    assert!(only < local && local < root, "{steps}");
    assert!(!steps.contains("printed only in the PDF"));
    assert!(!steps.contains("automodule") && !steps.contains("currentmodule"));
    // The front page's raw HTML, from the book root.
    let index = article(&book, "index.html");
    assert!(
        index.contains("<div class=\"frontpage-banner\">A short book about straight lines.</div>")
    );
}

#[test]
fn the_references_page_has_its_title() {
    let (book, _) = built_site();
    let page = book.page("chapter_references/zreferences.html");
    assert!(page.contains("<title>References — Fitting Lines, Gently</title>"));
    let body = article(&book, "chapter_references/zreferences.html");
    assert!(
        body.contains("<h1 id=\"references\">References<a class=\"anchor\""),
        "{body}"
    );
    assert!(body.contains(
        "<p class=\"bib-entry\" id=\"bib-Legendre.1805\">Legendre, A. M. (1805). Nouvelles méthodes"
    ));
    // The sidebar names it, unnumbered, after the numbered chapter.
    let nav = book.page("nav.js");
    assert!(
        nav.contains("[0,\"\",\"References\",\"chapter_references/zreferences.html\"]"),
        "{nav}"
    );
}

#[test]
fn skipped_directives_warn_once_per_block_at_the_block() {
    let (_, stderr) = built_site();
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(
        warnings,
        [
            "warning: 3 reStructuredText directives skipped: automodule, autoclass, autofunction",
            "warning: 1 reStructuredText directive skipped: currentmodule",
            "warning: 2 warnings",
        ],
        "{stderr}"
    );
    for place in [
        "--> chapter_regression/steps.md:53:1",
        "--> chapter_regression/steps.md:60:1",
    ] {
        assert_eq!(stderr.matches(place).count(), 1, "{place} in {stderr}");
    }
}

#[test]
fn strict_fails_on_the_warnings() {
    let book = TempBook::fixture("d2l-style");
    let run = book.run(&["--strict", "build", "html", "--no-eval"]);
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("build failed with 2 warnings (--strict: warnings are errors)"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_pdf_has_the_references_title_and_its_own_content() {
    let book = TempBook::fixture("d2l-style");
    let run = book.run(&["build", "pdf", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    let text = pdftotext(&book.root.join("_build/pdf/fitting-lines-gently.pdf"));
    // The contents list the references page by its title from `.. only:: html`.
    assert!(
        text.lines().any(|l| l.starts_with("References ")
            && l.trim_end().ends_with(|c: char| c.is_ascii_digit())),
        "{text}"
    );
    for expected in [
        "This sentence is printed only in the PDF edition.",
        "Table 1.1.1 A toy data set of flat sizes and rents.",
        "Table 1.1.3 How the examples are split.",
        "Table 1.2.1 Step sizes we tried.",
        "(1.1.2)",
        "(1.2.1)",
        "To sum up: Table 1.1.1, Table 1.1.2, Table 1.1.3, Table 1.1.4, (1.1.1) and Step Sizes.",
        "Legendre, A. M. (1805).",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    for absent in [
        "only on the website",
        "next to its section",
        "Shared banner",
        ":label:",
        "(**",
        // The PDF is the edition of the default framework (`tabs = mxnet, pytorch`):
        // the PyTorch-only prose and cell are not in it, the MXNet prose is.
        "loss.backward()",
        "p.data -= lr",
    ] {
        assert!(!text.contains(absent), "{absent:?} in:\n{text}");
    }
    assert!(text.contains("Record the forward pass."), "{text}");
}
