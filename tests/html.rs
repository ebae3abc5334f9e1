//! The HTML of the fixture books: every mark of the dialect, resolved numbers and links
//! for each reference kind, both languages' words, citations, math, code and tabs.

mod common;
use common::{one_section_book, TempBook};
use std::sync::OnceLock;

/// The English fixture, built once for all tests here.
fn en() -> &'static TempBook {
    static BOOK: OnceLock<TempBook> = OnceLock::new();
    BOOK.get_or_init(|| {
        let book = TempBook::fixture("en");
        let run = book.run(&["--strict", "build", "html", "--no-eval"]);
        assert!(run.ok, "{}", run.stderr);
        book
    })
}

fn basics() -> String {
    en().page("chap_one/basics.html")
}

#[test]
fn sections_are_numbered_in_toc_order() {
    let page = basics();
    assert!(
        page.contains("<h1 id=\"sec_basics\"><span class=\"secnum\">1.1</span> Basics"),
        "{page}"
    );
    assert!(page.contains("<h2 id=\"subsec_figures\"><span class=\"secnum\">1.1.1</span> Figures"));
    assert!(page.contains("<span class=\"secnum\">1.1.2</span> Tables and equations"));
    let advanced = en().page("chap_one/advanced.html");
    assert!(
        advanced.contains("<span class=\"secnum\">1.2.1.1</span> Deepest"),
        "{advanced}"
    );
    // Unnumbered parts have no number; excluded files are not pages.
    let preface = en().page("preface.html");
    assert!(
        preface.contains("<h1 id=\"sec_preface\">Preface"),
        "{preface}"
    );
    assert!(!en()
        .root
        .join("_build/html/chap_one/skipped_origin.html")
        .exists());
}

#[test]
fn figures_have_numbers_sizes_and_captions_with_math_and_citations() {
    let page = basics();
    assert!(
        page.contains("<figure class=\"figure\" id=\"fig_arrow\"><img src=\"../img/arrow.svg\""),
        "{page}"
    );
    assert!(page.contains("style=\"width:300px;\""));
    assert!(page.contains(
        "<figcaption><span class=\"caption-number\">Fig. 1.1.1</span> An arrow with <math"
    ));
    assert!(
        page.contains("style=\"width:120px;\""),
        "a bare number is pixels"
    );
    assert!(page.contains("<span class=\"caption-number\">Fig. 1.1.2</span> Second figure"));
    assert!(
        en().root.join("_build/html/img/arrow.svg").is_file(),
        "images are copied"
    );
}

#[test]
fn alt_texts_read_math_as_text_not_tex() {
    // A screen reader reads the alt text as it is: TeX would be spelled out, backslashes
    // and braces included.
    let page = basics();
    assert!(
        page.contains("<img src=\"../img/arrow.svg\" alt=\"An arrow with x and (Bishop, 2006)\""),
        "{page}"
    );
    let book = one_section_book(
        "# S\n\n![Loss $\\frac{1}{2}(\\hat{y} - y)^2$ for $\\alpha \\in \\mathbb{R}^{d}$](a.svg)\n:label:`fig_loss`\n",
    )
    .with(&[("src/a.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>")]);
    let run = book.run(&["build", "html", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("sec.html");
    assert!(
        page.contains("alt=\"Loss 1/2(y - y)^2 for α ∈ ℝ^d\""),
        "{page}"
    );
    for alt in page.split(" alt=\"").skip(1) {
        let alt = &alt[..alt.find('"').unwrap()];
        assert!(!alt.contains('\\') && !alt.contains('{'), "{alt}");
    }
}

#[test]
fn every_reference_kind_resolves_to_text_and_link() {
    let page = basics();
    for expected in [
        "<a class=\"ref\" href=\"#fig_arrow\">Fig. 1.1.1</a>",
        "<a class=\"ref\" href=\"#fig_dot\">Figure 1.1.2</a>",
        // A caption's math and citations read as text, as the caption shows them.
        "<a class=\"ref\" href=\"#fig_arrow\">An arrow with x and (Bishop, 2006)</a>",
        "<a class=\"ref\" href=\"../preface.html#fig_preface\">An unnumbered figure</a>",
        "<a class=\"ref\" href=\"#tab_ops\">Table 1.1.1</a>",
        "<a class=\"ref\" href=\"#tab_after\">Table 1.1.2</a>",
        "<a class=\"ref eqref\" href=\"#eq_first\">(1.1.1)</a>",
        "<a class=\"ref eqref\" href=\"#eq_second\">(1.1.2)</a>",
        "<a class=\"ref\" href=\"advanced.html\">Section 1.2</a>",
        "<a class=\"ref\" href=\"../chap_two/index.html\">Section 2</a>",
        "<a class=\"ref\" href=\"advanced.html\">Advanced</a>",
        "<a class=\"ref\" href=\"../preface.html\">Preface</a>",
        "<a class=\"ref\" href=\"#lst_echo\">Listing 1.1.1</a>",
    ] {
        assert!(page.contains(expected), "missing {expected}");
    }
    // Roles glued to other text on both sides.
    assert!(
        page.contains("図は<a class=\"ref\" href=\"#fig_arrow\">Fig. 1.1.1</a>で"),
        "{page}"
    );
    let advanced = en().page("chap_one/advanced.html");
    assert!(
        advanced.contains("<a class=\"ref\" href=\"basics.html#subsec_figures\">Section 1.1.1</a>"),
        "{advanced}"
    );
    assert!(advanced.contains("<a class=\"ref eqref\" href=\"basics.html#eq_first\">(1.1.1)</a>"));
    assert!(en()
        .page("chap_two/index.html")
        .contains("<a class=\"ref\" href=\"#fig_two\">Fig. 2.1</a>"));
}

#[test]
fn tables_have_captions_numbers_and_alignment() {
    let page = basics();
    assert!(page.contains("<div class=\"table\" id=\"tab_ops\"><table><caption><span class=\"caption-number\">Table 1.1.1</span> A captioned table</caption>"), "{page}");
    assert!(page.contains(
        "<th style=\"text-align:left\">op</th><th style=\"text-align:right\">meaning</th>"
    ));
    assert!(page.contains("<div class=\"table\" id=\"tab_after\"><table><caption><span class=\"caption-number\">Table 1.1.2</span></caption>"));
}

#[test]
fn math_is_mathml_with_unicode_variants() {
    let page = basics();
    assert!(
        !page.contains("$a_1"),
        "inline math is rendered, not left as TeX"
    );
    assert!(
        page.contains("<div class=\"equation\" id=\"eq_first\"><math"),
        "{page}"
    );
    assert!(page.contains("<span class=\"eqno\">(1.1.1)</span>"));
    assert!(page.contains("<span class=\"eqno\">(1.1.2)</span>"));
    // \mathbf{w}, \mathcal{L}, \boldsymbol{\theta}, \mathbb{R} as mathematical letters.
    for c in ['𝐰', '𝐱', 'ℒ', '𝜽', 'ℝ'] {
        assert!(page.contains(c), "missing {c}");
    }
    assert!(!page.contains("mathvariant=\"bold\""));
    // `_` and `*` inside math did not become emphasis.
    assert!(!page.contains("<em>1 * b"));
    assert!(page.contains("<mtable"), "aligned environment");
    // The math font, cut to the glyphs of the book's math and packed as WOFF2 (the whole
    // font is a 1.3 MB OTF).
    let fonts = en().root.join("_build/html/theme/fonts");
    let font = std::fs::read(fonts.join("NewCMMath-Regular.woff2")).unwrap();
    assert_eq!(&font[..4], b"wOF2");
    assert!(font.len() < 60_000, "{} bytes", font.len());
    assert!(!fonts.join("NewCMMath-Regular.otf").exists());
    let css = std::fs::read_to_string(en().root.join("_build/html/theme/d2lbook.css")).unwrap();
    assert!(css.contains("url(\"fonts/NewCMMath-Regular.woff2\") format(\"woff2\")"));
}

#[test]
fn citations_link_to_bibliography_entries() {
    let page = basics();
    assert!(page.contains("(<a class=\"cite\" href=\"../references.html#bib-Bishop.2006\">Bishop, 2006</a>; <a class=\"cite\" href=\"../references.html#bib-He.Zhang.Ren.ea.2016*1\">He et al., 2016a</a>)"), "{page}");
    assert!(page.contains(
        "(<a class=\"cite\" href=\"../references.html#bib-10.5555/doi/like\">Gödel, 1931</a>)"
    ));
    assert!(page.contains("<a class=\"cite\" href=\"../references.html#bib-He.Zhang.Ren.ea.2016\">He et al. (2016b)</a>"));
    assert!(en()
        .page("preface.html")
        .contains("<a class=\"cite\" href=\"references.html#bib-Bishop.2006\">Bishop (2006)</a>"));
    let refs = en().page("references.html");
    assert!(refs.contains("<p class=\"bib-entry\" id=\"bib-Bishop.2006\">Bishop, C. M. (2006). <em>Pattern Recognition and Machine Learning</em>. Springer.</p>"), "{refs}");
    assert!(
        refs.contains("Gödel, K. (1931)"),
        "LaTeX accents are decoded"
    );
    assert_eq!(refs.matches("class=\"bib-entry\"").count(), 4);
}

#[test]
fn code_is_highlighted_and_marks_are_honoured() {
    let page = basics();
    assert!(page.contains("<div class=\"cell\"><div class=\"cell-input\"><div class=\"code-block\"><button class=\"copy-button\" type=\"button\">Copy</button><pre class=\"code\" tabindex=\"0\"><code class=\"language-rust\">"), "{page}");
    assert!(page.contains("hl-keyword"), "syntect classes");
    assert!(
        !page.contains("hidden_entirely"),
        "//@hide removes the cell"
    );
    assert!(
        !page.contains("#@save") && page.contains("helper"),
        "marks are removed from the code"
    );
    assert!(page.contains("<code class=\"language-bash\">"));
    let css = en().page("theme/syntax.css");
    assert!(css.contains(".hl-keyword") && css.contains(":root[data-theme=\"dark\"] .hl-"));
}

#[test]
fn tabs_group_prose_and_cells() {
    let page = basics();
    // Prose tabs and the tabbed cells right after them form one group.
    assert_eq!(page.matches("<div class=\"tabs\">").count(), 1, "{page}");
    assert!(page.contains("<button class=\"tab-button\" data-tab=\"rust\" type=\"button\" role=\"tab\">rust</button><button class=\"tab-button\" data-tab=\"python\""));
    let panel = page
        .split("<div class=\"tab-panel\" data-tab=\"python\"")
        .nth(1)
        .unwrap();
    assert!(
        panel.starts_with(" role=\"tabpanel\">\n<p>Python prose tab.</p>"),
        "{panel}"
    );
    assert!(page.contains("tabbed = &quot;python cell&quot;") || page.contains("python cell"));
}

#[test]
fn raw_html_slides_lists_quotes_and_links() {
    let page = basics();
    assert!(page.contains("<p class=\"raw-marker\">raw html here</p>"));
    assert!(
        page.contains("<p>Slide emphasis stays as text, so does this, and  goes.</p>"),
        "{page}"
    );
    assert!(!page.contains("slide only"));
    assert!(page.contains("<li>a list item with <math"));
    assert!(page.contains("<ol>\n<li>one</li>"));
    assert!(page.contains("<blockquote>\n<p>A quote.</p>"));
    assert!(page.contains("<a href=\"advanced.html#subsec_deeper\">the next section</a>"));
}

#[test]
fn pages_have_navigation_and_relative_assets() {
    let page = basics();
    assert!(page.contains("<html lang=\"en\" data-root=\"../\""));
    assert!(page.contains("href=\"../theme/d2lbook.css\""));
    // The sidebar comes from the site's one nav.js; the page says which entry it is.
    assert!(page.contains("<script src=\"../nav.js\" defer></script>"));
    assert!(
        page.contains("data-page=\"chap_one/basics.html\""),
        "{page}"
    );
    assert!(page.contains("<ul class=\"nav-list\" id=\"nav-list\"></ul>"));
    // Without JavaScript: the contents (the index) and the neighbours, in the page.
    assert!(page.contains("<noscript><ul class=\"nav-list\"><li class=\"nav-item depth-0\"><a href=\"../index.html\"><span class=\"nav-title\">Fixture Book</span></a></li></ul></noscript>"), "{page}");
    assert!(page.contains("<a class=\"pager-link pager-prev\" href=\"index.html\" rel=\"prev\">"));
    assert!(
        page.contains("<a class=\"pager-link pager-next\" href=\"advanced.html\" rel=\"next\">")
    );
    // The page's own headings stay in the page.
    assert!(page.contains("<li class=\"toc-level-2\"><a href=\"#subsec_figures\"><span class=\"secnum\">1.1.1</span> Figures</a></li>"), "{page}");
    assert!(page.contains("<title>Basics — Fixture Book</title>"));
    assert!(!page.contains("href=\"/"), "no absolute links");
    let index = en().page("index.html");
    assert!(index.contains("<nav class=\"toc\"><ul><li><a href=\"chap_one/index.html\"><span class=\"secnum\">1</span> Chapter One</a><ul><li><a href=\"chap_one/basics.html\"><span class=\"secnum\">1.1</span> Basics</a>"), "{index}");
    // The search index is pagefind's, with its script, at the site's root.
    assert!(en().page("pagefind/pagefind-entry.json").contains("\"en\""));
    assert!(en().page("pagefind/pagefind.js").contains("search"));
}

#[test]
fn the_navigation_tree_is_written_once_per_site() {
    // Every section but the index, in book order: [depth, number, title, path from the root].
    assert_eq!(
        en().page("nav.js"),
        "window.d2lNav = [[0,\"\",\"Preface\",\"preface.html\"],\
[0,\"1\",\"Chapter One\",\"chap_one/index.html\"],\
[1,\"1.1\",\"Basics\",\"chap_one/basics.html\"],\
[1,\"1.2\",\"Advanced\",\"chap_one/advanced.html\"],\
[0,\"2\",\"Chapter Two\",\"chap_two/index.html\"],\
[0,\"\",\"References\",\"references.html\"]];\n"
    );
    let site = en().root.join("_build/html");
    let mut navs = 0;
    for entry in walkdir::WalkDir::new(&site).into_iter().flatten() {
        let name = entry.file_name().to_string_lossy();
        navs += usize::from(name == "nav.js");
        if name.ends_with(".html") {
            let page = std::fs::read_to_string(entry.path()).unwrap();
            assert!(
                !page.contains("nav-number"),
                "{} embeds the navigation tree",
                entry.path().display()
            );
        }
    }
    assert_eq!(navs, 1);
}

/// A book of `n` sections with the same text, in one chapter.
fn book_of(n: usize) -> TempBook {
    let list: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
    let mut files = vec![
        (
            "book.toml".to_string(),
            "[book]\ntitle = \"T\"\n".to_string(),
        ),
        (
            "index.md".into(),
            "# T\n\n```toc\n:numbered:\n\nch/index\n```\n".into(),
        ),
        (
            "ch/index.md".into(),
            format!("# Chapter\n\n```toc\n{}\n```\n", list.join("\n")),
        ),
    ];
    for i in 0..n {
        files.push((
            format!("ch/s{i}.md"),
            format!("# Section {i}\n\nSome prose.\n\n## Part\n\nMore.\n"),
        ));
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    let book = TempBook::empty("size").with(&files);
    let run = book.run(&["--strict", "build", "html"]);
    assert!(run.ok, "{}", run.stderr);
    book
}

#[test]
fn a_page_does_not_grow_with_the_book() {
    let small = book_of(3);
    let large = book_of(60);
    let (a, b) = (small.page("ch/s1.html"), large.page("ch/s1.html"));
    assert!(
        a.len().abs_diff(b.len()) < 64,
        "page of a 3-section book: {} bytes, of a 60-section book: {} bytes",
        a.len(),
        b.len()
    );
    // What grows is the one shared file.
    let nav = large.page("nav.js");
    assert!(
        nav.contains("[1,\"1.60\",\"Section 59\",\"ch/s59.html\"]"),
        "{nav}"
    );
    assert_eq!(nav.matches("\"ch/s").count(), 60);
}

#[test]
fn japanese_words_and_cjk_search_text() {
    let book = TempBook::empty("ja").with(&[
        ("book.toml", "[book]\ntitle = \"本\"\nlanguage = \"ja\"\n"),
        ("index.md", "# 本\n\n```toc\n:numbered:\n\nch/index\n```\n"),
        ("ch/index.md", "# 章\n:label:`chap`\n\n```toc\nsec\n```\n"),
        ("ch/sec.md", "# 線形代数\n:label:`sec_la`\n\n![図の説明](dot.svg)\n:label:`fig_a`\n\n:表の説明\n:label:`tab_a`\n\n|a|\n|-|\n|1|\n\n$$x$$\n:eqlabel:`eq_a`\n\nこれは:numref:`fig_a`と:numref:`tab_a`と:numref:`sec_la`と:eqref:`eq_a`です。\n\n```rust\nlet x = 1;\n```\n"),
        ("ch/dot.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
    ]);
    let run = book.run(&["--strict", "build", "html"]);
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("ch/sec.html");
    assert!(page.contains("<html lang=\"ja\""));
    assert!(page.contains("これは<a class=\"ref\" href=\"#fig_a\">図 1.1.1</a>と<a class=\"ref\" href=\"#tab_a\">表 1.1.1</a>と<a class=\"ref\" href=\"#\">1.1 節</a>と<a class=\"ref eqref\" href=\"#eq_a\">(1.1.1)</a>です。"), "{page}");
    assert!(page.contains("<span class=\"caption-number\">図 1.1.1</span> 図の説明"));
    assert!(page.contains(">コピー</button>"));
    assert!(book.page("pagefind/pagefind-entry.json").contains("\"ja\""));
}

#[test]
fn labels_override_words() {
    let book = one_section_book("# S\n\n![x](d.svg)\n:label:`f`\n\n:numref:`f`\n")
        .with(&[("src/d.svg", "<svg/>")]);
    book.write(
        "book.toml",
        "[book]\ntitle = \"T\"\nsrc = \"src\"\n[labels]\nfigure = \"Figure {}\"\n",
    );
    assert!(book.build_html().ok);
    assert!(book.page("sec.html").contains(">Figure 1.1</a>"));
}

#[test]
fn book_theme_and_template_override_the_embedded_ones() {
    let book = one_section_book("# S\n").with(&[
        ("theme/d2lbook.css", "/* mine */"),
        ("theme/extra.js", "// extra"),
        (
            "templates/page.html",
            "<html>{{ page.content | safe }}</html>",
        ),
    ]);
    assert!(book.build_html().ok);
    assert_eq!(book.page("theme/d2lbook.css"), "/* mine */");
    assert_eq!(book.page("theme/extra.js"), "// extra");
    assert!(book.page("sec.html").starts_with("<html><h1 id=\"s\">"));
}

#[test]
fn math_cache_makes_rebuilds_render_nothing() {
    let book = one_section_book("# S\n\n$a+b$ and $$c$$\n");
    let first = book.build_html();
    assert!(
        first.stderr.contains("math: 2 rendered, 0 from cache"),
        "{}",
        first.stderr
    );
    // (Without the site, so that the build writes it and says what it did.)
    std::fs::remove_dir_all(book.root.join("_build/html")).unwrap();
    let second = book.build_html();
    assert!(
        second.stderr.contains("math: 0 rendered, 2 from cache"),
        "{}",
        second.stderr
    );
}

#[test]
fn the_sample_book_builds_without_warnings() {
    let book = TempBook::sample_with_library();
    let run = book.run(&["--strict", "build", "html"]);
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("chapter_linear_networks/linear-regression.html");
    assert!(page.contains("<html lang=\"ja\""));
    assert!(page.contains(">図 2.1.1</a>"), "{page}");
    assert!(page.contains("<span class=\"caption-number\">図 2.1.1</span>"));
    // References across chapters: a figure of the preliminaries, a chapter as a chapter.
    assert!(page.contains(">図 1.3.1</a>"), "{page}");
    let linear = book.page("chapter_linear_networks/index.html");
    assert!(linear.contains(">3 章</a>"), "{linear}");
    // The chapter that trains a model shows the gradient, the losses and the plots.
    let scratch = book.page("chapter_linear_networks/linear-regression-scratch.html");
    assert!(
        scratch.contains(
            "<figcaption>Tensor[4] f32</figcaption><table class=\"tensor\"><tbody><tr><td>0</td><td>4</td><td>8</td><td>12</td>"
        ),
        "{scratch}"
    );
    assert!(scratch.contains("エポック 3: 損失 0.0000"), "{scratch}");
    assert_eq!(
        scratch
            .matches("<div class=\"output output-svg\"><svg role=\"img\" aria-label=\"Plot: ")
            .count(),
        2,
        "plots are images named by their axes"
    );
    assert!(scratch.contains("aria-label=\"Plot: label against feature 2\""));
    assert!(scratch.contains("aria-label=\"Plot: loss against step\""));
    assert!(scratch.contains("minibatch loss"));
}

#[test]
fn logo_favicon_and_canonical_links() {
    let book =
        one_section_book("# S\n").with(&[("art/logo.svg", "<svg/>"), ("art/icon.png", "png")]);
    book.write(
        "book.toml",
        "[book]\ntitle = \"T\"\nsrc = \"src\"\n[html]\nlogo = \"art/logo.svg\"\nfavicon = \"art/icon.png\"\nsite_url = \"https://example.org/book/\"\n",
    );
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("sec.html");
    assert!(
        page.contains("<img class=\"logo\" src=\"theme/logo.svg\" alt=\"\">"),
        "{page}"
    );
    assert!(page.contains("<link rel=\"icon\" href=\"theme/icon.png\">"));
    assert!(page.contains("<link rel=\"canonical\" href=\"https://example.org/book/sec.html\">"));
    assert_eq!(book.page("theme/logo.svg"), "<svg/>");
    book.write(
        "book.toml",
        "[book]\ntitle = \"T\"\nsrc = \"src\"\n[html]\nlogo = \"nope.svg\"\n",
    );
    let run = book.build_html();
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains("error: `[html] logo` names a missing file: nope.svg"),
        "{}",
        run.stderr
    );
}

#[test]
fn katex_html_output_with_installed_assets() {
    let book = one_section_book("# S\n\n$\\mathbf{x}$\n").with(&[
        ("katex/katex.min.css", ".katex{}"),
        ("katex/fonts/KaTeX_Main-Regular.woff2", "font"),
    ]);
    book.write(
        "book.toml",
        "[book]\ntitle = \"T\"\nsrc = \"src\"\n[html]\nmath = \"katex-html\"\nkatex_assets = \"katex\"\n",
    );
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("sec.html");
    assert!(
        page.contains("<link rel=\"stylesheet\" href=\"theme/katex/katex.min.css\">"),
        "{page}"
    );
    assert!(
        page.contains("<span class=\"katex\">"),
        "KaTeX's HTML output"
    );
    assert_eq!(
        book.page("theme/katex/fonts/KaTeX_Main-Regular.woff2"),
        "font"
    );
    // Without the assets, a clear error.
    book.write(
        "book.toml",
        "[book]\ntitle = \"T\"\nsrc = \"src\"\n[html]\nmath = \"katex-html\"\n",
    );
    let run = book.build_html();
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("needs `[html] katex_assets`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_python_d2lbook_config_ini_is_read() {
    let book = TempBook::empty("ini").with(&[
        (
            "config.ini",
            "[project]\nname = demo\ntitle = Old Style Book\nauthor = A. Author, B. Author\nlang = en\n\n[build]\nexclusions = README.md drafts/*\n",
        ),
        ("index.md", "# Old Style Book\n\n```toc\n:numbered:\n\nchapter/index\ndrafts/wip\n```\n"),
        ("chapter/index.md", "# Chapter\n\nAs :citet:`Knuth.1984` wrote.\n"),
        ("drafts/wip.md", "# Work in progress\n"),
        ("d2l.bib", "@article{Knuth.1984, author = {Knuth, Donald E.}, title = {Literate Programming}, journal = {The Computer Journal}, year = {1984}}\n"),
    ]);
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("chapter/index.html");
    assert!(
        page.contains("<title>Chapter — Old Style Book</title>"),
        "{page}"
    );
    // No page holds `:bibliography:`, so the citation is text without a link.
    assert!(
        page.contains("<span class=\"cite\">Knuth (1984)</span>"),
        "{page}"
    );
    assert!(
        !book.root.join("_build/html/drafts/wip.html").exists(),
        "exclusions apply"
    );
}

#[test]
fn a_byte_order_mark_does_not_hide_the_first_heading() {
    let book = one_section_book("\u{feff}# Title\n\nText.\n");
    // Nor the toc block that starts an index.md.
    book.write("src/index.md", "\u{feff}```toc\n:numbered:\n\nsec\n```\n");
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stderr.contains("built 2 pages"), "{}", run.stderr);
    let page = book.page("sec.html");
    assert!(page.contains("<h1 id=\"title\">"), "{page}");
    assert!(!page.contains('\u{feff}'), "{page}");
}

#[test]
fn nul_characters_become_replacement_characters_everywhere() {
    let book =
        one_section_book("# S\u{0}T\n:label:`sec_s`\n\n[a\u{0}](x\u{0}y.html) `c\u{0}` $x\u{0}$\n");
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("sec.html");
    assert!(!page.contains('\u{0}'), "{page}");
    assert!(page.contains("href=\"x\u{fffd}y.html\""), "{page}");
    assert!(page.contains("S\u{fffd}T"), "{page}");
    assert!(!run.stderr.contains('\u{0}'), "{}", run.stderr);
}

#[test]
fn a_leading_colon_before_a_role_or_tab_mark_keeps_every_character() {
    // `::bibliography:` once panicked (a caption's `:` cut from `é`); `xyz` became `yz`.
    let book = one_section_book("# S\n\n::bibliography:`refs.bib`é\n\n:end_tab:\nxyz\n").with(&[(
        "refs.bib",
        "@book{a, author = {A, B}, title = {T}, year = {2000}}\n",
    )]);
    book.write(
        "book.toml",
        "[book]\ntitle = \"T\"\nsrc = \"src\"\nbibliography = \"refs.bib\"\n",
    );
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("sec.html");
    assert!(page.contains("<p>:</p>"), "{page}");
    assert!(page.contains("<p>é</p>"), "{page}");
    assert!(page.contains("<p>xyz</p>"), "{page}");
}

#[test]
fn toc_blocks_link_the_sections_the_load_found() {
    let book = TempBook::empty("toc").with(&[
        (
            "book.toml",
            "[book]\ntitle = \"T\"\n[build]\nexclude = [\"**/*_origin.md\"]\n",
        ),
        (
            "index.md",
            "# T\n\n```toc\n:numbered:\n\nch/index\nother/index\n```\n",
        ),
        (
            "ch/index.md",
            "# Chapter\n\n```toc\n./a.md\nb\nx_origin\n```\n",
        ),
        ("ch/a.md", "# A\n"),
        ("ch/b.ipynb", r##"{"cells":[{"cell_type":"markdown","metadata":{},"source":["# B"]}],"metadata":{},"nbformat":4,"nbformat_minor":5}"##),
        ("ch/x_origin.md", "# Excluded\n"),
        // Listed again from another folder: a warning, and a link to its first place.
        ("other/index.md", "# Other\n\n```toc\n../ch/a\n```\n"),
    ]);
    let run = book.run(&["build", "html"]);
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stderr.contains("'../ch/a' is already in the book"),
        "{}",
        run.stderr
    );
    let chapter = book.page("ch/index.html");
    assert!(chapter.contains("<nav class=\"toc\"><ul><li><a href=\"a.html\"><span class=\"secnum\">1.1</span> A</a></li><li><a href=\"b.html\"><span class=\"secnum\">1.2</span> B</a></li></ul></nav>"), "{chapter}");
    let other = book.page("other/index.html");
    assert!(other.contains("<nav class=\"toc\"><ul><li><a href=\"../ch/a.html\"><span class=\"secnum\">1.1</span> A</a></li></ul></nav>"), "{other}");
}

#[test]
fn a_notebook_section_can_hold_the_bibliography() {
    // The `.bib` path is the role's argument, relative to the notebook's folder; it used
    // to be read back from the source text, which fails for a notebook's JSON.
    let notebook = r##"{"cells": [
  {"cell_type": "markdown", "source": ["# References\n", "\n", ":bibliography:`../refs/d2l.bib`\n"]}
], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"##;
    let book = TempBook::empty("nbbib").with(&[
        ("book.toml", "[book]\ntitle = \"T\"\nsrc = \"src\"\n"),
        ("src/index.md", "# T\n\n```toc\n:numbered:\n\nsec\nback/refs\n```\n"),
        ("src/sec.md", "# S\n\nAs :citet:`Knuth.1984` wrote.\n"),
        ("src/back/refs.ipynb", notebook),
        ("src/refs/d2l.bib", "@article{Knuth.1984, author = {Knuth, Donald E.}, title = {Literate Programming}, journal = {The Computer Journal}, year = {1984}}\n"),
    ]);
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("sec.html");
    assert!(
        page.contains("<a class=\"cite\" href=\"back/refs.html#bib-Knuth.1984\">Knuth (1984)</a>"),
        "{page}"
    );
    let refs = book.page("back/refs.html");
    assert!(refs.contains("id=\"bib-Knuth.1984\""), "{refs}");
    assert!(refs.contains("Literate Programming"), "{refs}");
}

#[test]
fn labels_hold_any_character_but_whitespace_and_are_encoded_into_anchors() {
    // Real books use `+` and `-`; Sphinx accepts any label without whitespace.
    let book = one_section_book(
        "# S\n\n## Update 100%\n:label:`sec_100%`\n\n$$x_{t+1} = x_t - \\eta g_t$$\n:eqlabel:`eq_sgd-xt+1-xstar`\n\n\
         ![x](d.svg)\n:label:`fig_50%\"&x`\n\n\
         By :eqref:`eq_sgd-xt+1-xstar` and :numref:`fig_50%\"&x`.\n",
    )
    .with(&[("src/d.svg", "<svg/>")]);
    let run = book.run(&["--strict", "build", "html"]);
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("sec.html");
    assert!(page.contains("id=\"eq_sgd-xt+1-xstar\""), "{page}");
    assert!(
        page.contains("href=\"#eq_sgd-xt+1-xstar\">(1.1)</a>"),
        "{page}"
    );
    // The id is the label (HTML-escaped); the link's fragment is percent-encoded, which
    // a browser decodes back to that id.
    assert!(page.contains("id=\"fig_50%&quot;&amp;x\""), "{page}");
    assert!(
        page.contains("href=\"#fig_50%25%22&amp;x\">Fig. 1.1</a>"),
        "{page}"
    );
    // The page's own contents link to the heading the same way.
    assert!(page.contains("<h2 id=\"sec_100%\">"), "{page}");
    assert!(page.contains("href=\"#sec_100%25\">"), "{page}");
    let run = book.run(&["--strict", "build", "pdf"]);
    assert!(run.ok, "{}", run.stderr);
}

#[test]
fn every_tab_group_opens_on_the_books_default_framework() {
    let body = "# S\n\n```{.python .input}\n%load_ext d2lbook.tab\ntab.interact_select(['mxnet', 'pytorch'])\n```\n\n\
                :begin_tab:`mxnet`\nMXNet prose.\n:end_tab:\n\n:begin_tab:`pytorch`\nPyTorch prose.\n:end_tab:\n\n\
                Between.\n\n```{.python .input}\n#@tab pytorch\nimport torch\n```\n\n```{.python .input}\n#@tab mxnet\nfrom mxnet import np\n```\n";
    let book = one_section_book(body);
    book.write(
        "book.toml",
        "[book]\ntitle = \"T\"\nsrc = \"src\"\n[build]\ntabs = [\"pytorch\", \"mxnet\"]\n",
    );
    let run = book.run(&["--strict", "build", "html"]);
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("sec.html");
    // Both groups list the book's default first, whatever order the source has, so
    // the page opens on one framework everywhere.
    let bars: Vec<&str> = page
        .split("<div class=\"tab-bar\" role=\"tablist\">")
        .skip(1)
        .map(|rest| rest.split("</div>").next().unwrap())
        .collect();
    assert_eq!(bars.len(), 2, "{page}");
    for bar in bars {
        let pytorch = bar.find("data-tab=\"pytorch\"").expect("pytorch tab");
        let mxnet = bar.find("data-tab=\"mxnet\"").expect("mxnet tab");
        assert!(pytorch < mxnet, "{bar}");
    }
    // The Python d2lbook's tab set-up cell is not shown.
    assert!(!page.contains("load_ext"), "{page}");
    assert!(!page.contains("interact_select"), "{page}");
    // The PDF shows the default framework.
    let run = book.run(&["--strict", "build", "pdf", "--keep-typ"]);
    assert!(run.ok, "{}", run.stderr);
    let typ = std::fs::read_to_string(book.root.join("_build/pdf/t.typ")).unwrap();
    assert!(
        typ.contains("PyTorch prose.") && typ.contains("import torch"),
        "{typ}"
    );
    assert!(
        !typ.contains("MXNet prose.") && !typ.contains("from mxnet"),
        "{typ}"
    );
}

#[test]
fn static_hosts_get_a_404_page_a_sitemap_and_no_jekyll() {
    let book = one_section_book("# Sec\n\nText.\n").with(&[
        (
            "book.toml",
            "[book]\ntitle = \"T\"\nsrc = \"src\"\n[html]\nsite_url = \"https://example.org/my-book/\"\n",
        ),
        ("src/index.md", "# T\n\n```toc\nsec\n日本語\n```\n"),
        ("src/日本語.md", "# 日本語\n\n本文。\n"),
    ]);
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    // The 404 page is served at any depth: its links start from the site's path.
    let missing = book.page("404.html");
    assert!(missing.contains("<h1>Page not found</h1>"), "{missing}");
    assert!(
        missing.contains("href=\"/my-book/theme/d2lbook.css\""),
        "{missing}"
    );
    assert!(missing.contains("src=\"/my-book/nav.js\""), "{missing}");
    assert!(missing.contains("data-root=\"/my-book/\""), "{missing}");
    assert!(!missing.contains("href=\"theme/"), "{missing}");
    let sitemap = book.page("sitemap.xml");
    assert!(
        sitemap.contains("<loc>https://example.org/my-book/sec.html</loc>"),
        "{sitemap}"
    );
    assert!(
        sitemap.contains("<loc>https://example.org/my-book/%E6%97%A5%E6%9C%AC%E8%AA%9E.html</loc>"),
        "{sitemap}"
    );
    assert_eq!(book.page(".nojekyll"), "");

    // A site without an absolute address has no sitemap; its 404 page starts from `/`.
    let book = one_section_book("# Sec\n\nText.\n");
    assert!(book.build_html().ok);
    assert!(!book.root.join("_build/html/sitemap.xml").exists());
    assert!(book
        .page("404.html")
        .contains("href=\"/theme/d2lbook.css\""));
}

#[test]
fn pages_describe_themselves_for_search_engines_and_link_previews() {
    let long = "Gradient descent walks downhill on the loss, one small step at a time, \
                and with a learning rate chosen well it reaches a minimum of a convex \
                loss from anywhere; the rest of this section says how to choose it.";
    let book = one_section_book(&format!("# Descent\n\n{long} $\\mathbf{{w}}$.\n")).with(&[(
        "book.toml",
        "[book]\ntitle = \"T & Co\"\nsrc = \"src\"\n[html]\nsite_url = \"https://example.org/b\"\n",
    )]);
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("sec.html");
    // The first paragraph's start, cut at a space, as text.
    assert!(
        page.contains("<meta name=\"description\" content=\"Gradient descent walks downhill on the loss, one small step at a time, and with a learning rate chosen well it reaches a minimum of a convex loss from…\">"),
        "{page}"
    );
    assert!(page.contains("<meta property=\"og:title\" content=\"Descent — T &amp; Co\">"));
    assert!(page.contains("<meta property=\"og:site_name\" content=\"T &amp; Co\">"));
    assert!(page.contains("<meta property=\"og:url\" content=\"https://example.org/b/sec.html\">"));
    // A book without a favicon of its own gets d2lbook's.
    assert!(
        page.contains("<link rel=\"icon\" href=\"theme/favicon.svg\">"),
        "{page}"
    );
    assert!(book.page("theme/favicon.svg").starts_with("<svg"));
}
