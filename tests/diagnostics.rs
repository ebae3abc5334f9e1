//! Bad input: each diagnostic's message, location and exit code, and that a failed
//! build leaves the previous site in place.

mod common;
use common::{one_section_book, TempBook};

/// Builds a one-section book and returns its stderr, asserting the build failed.
fn failing(body: &str) -> String {
    let book = one_section_book(body);
    let run = book.build_html();
    assert_eq!(
        run.code,
        Some(1),
        "expected failure, stderr:\n{}",
        run.stderr
    );
    assert!(
        !book.root.join("_build/html").exists(),
        "no half-written site"
    );
    run.stderr
}

#[test]
fn undefined_label_is_a_located_warning_with_a_suggestion_and_a_broken_marker() {
    let book = one_section_book(
        "# S\n\n![x](dot.svg)\n:label:`fig_vector`\n\nSee :numref:`fig_vectr` here.\n",
    )
    .with(&[("src/dot.svg", "<svg/>")]);
    // As in Sphinx and LaTeX, the book still publishes…
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let err = run.stderr;
    assert!(
        err.contains("warning: undefined label 'fig_vectr'"),
        "{err}"
    );
    assert!(err.contains("--> src/sec.md:6:5"), "{err}");
    assert!(err.contains("6 | See :numref:`fig_vectr` here."), "{err}");
    assert!(err.contains("|     ^^^^^^^^^^^^^^^^^^^"), "{err}");
    assert!(err.contains("help: did you mean 'fig_vector'?"), "{err}");
    // …with a visible marker where the reference stands…
    assert!(
        book.page("sec.html").contains(
            "See <span class=\"ref-missing\" title=\"undefined label: fig_vectr\">??</span> here."
        ),
        "{}",
        book.page("sec.html")
    );
    // …and `--strict`, what CI runs, fails on it, leaving the site as it was.
    let strict = book.run(&["--strict", "build", "html"]);
    assert_eq!(strict.code, Some(1), "{}", strict.stderr);
    assert!(strict
        .stderr
        .contains("warning: undefined label 'fig_vectr'"));
    assert!(
        strict.stderr.contains("(--strict: warnings are errors)"),
        "{}",
        strict.stderr
    );
}

#[test]
fn duplicate_label_warns_at_the_second_and_the_first_wins() {
    let book =
        one_section_book("# S\n:label:`sec_a`\n\n## T\n:label:`sec_a`\n\nSee :ref:`sec_a`.\n");
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let err = run.stderr;
    assert!(
        err.contains("warning: label 'sec_a' is defined twice"),
        "{err}"
    );
    assert!(err.contains("--> src/sec.md:5:1"), "{err}");
    assert!(
        err.contains("  |\n ::: src/sec.md:2:1\n  |\n2 | :label:`sec_a`\n  | -------------- first defined here\n"),
        "{err}"
    );
    assert_eq!(err.matches("defined twice").count(), 1, "{err}");
    let page = book.page("sec.html");
    assert!(page.contains("<a class=\"ref\" href=\"#\">S</a>"), "{page}");
    assert_eq!(book.run(&["--strict", "build", "html"]).code, Some(1));
}

#[test]
fn unknown_cite_key() {
    let book = one_section_book("# S\n\nAs :cite:`Nobody.2020` said.\n").with(&[(
        "refs.bib",
        "@book{Somebody.2019, author = {Some, Body}, title = {T}, year = {2019}}\n",
    )]);
    let toml = "[book]\ntitle = \"T\"\nsrc = \"src\"\nbibliography = \"refs.bib\"\n";
    book.write("book.toml", toml);
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: unknown cite key 'Nobody.2020'"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--> src/sec.md:3:4"), "{}", run.stderr);
    assert!(book.page("sec.html").contains("?Nobody.2020"));
    assert_eq!(book.run(&["--strict", "build", "html"]).code, Some(1));
}

#[test]
fn unknown_role_is_a_warning_and_shown_as_written() {
    let book = one_section_book("# S\n\nA :nonsense:`x` role.\n");
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: unknown role ':nonsense:'"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--> src/sec.md:3:3"), "{}", run.stderr);
    assert!(book
        .page("sec.html")
        .contains("A :nonsense:<code>x</code> role."));
}

#[test]
fn katex_error_is_a_warning_and_shows_the_source() {
    let book = one_section_book("# S\n\nBad $\\notacommand{x}$ math.\n");
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: math error: Undefined control sequence: \\notacommand\n"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--> src/sec.md:3:5"), "{}", run.stderr);
    let page = book.page("sec.html");
    assert!(page.contains("<span class=\"math-error\""), "{page}");
    assert!(page.contains("<code>\\notacommand{x}</code>"), "{page}");
    // With --strict the warning fails the build.
    let strict = book.run(&["--strict", "build", "html"]);
    assert_eq!(strict.code, Some(1));
    assert!(strict.stderr.contains("--strict"), "{}", strict.stderr);
}

#[test]
fn missing_image() {
    let err = failing("# S\n\n![gone](img/nothere.png)\n");
    assert!(
        err.contains("error: missing image 'img/nothere.png'"),
        "{err}"
    );
    assert!(err.contains("--> src/sec.md:3:1"), "{err}");
    // An image inside a sentence is located too, in the site and in the PDF.
    let body = "# S\n\nSee ![gone](img/inline.png) here,\nand ![out](../../x.png).\n";
    let err = failing(body);
    assert!(
        err.contains("error: missing image 'img/inline.png'"),
        "{err}"
    );
    assert!(err.contains("--> src/sec.md:3:5"), "{err}");
    assert!(
        err.contains("error: image '../../x.png' is outside the book's source folder"),
        "{err}"
    );
    assert!(err.contains("--> src/sec.md:4:5"), "{err}");
    let book = one_section_book(body);
    let pdf = book.run(&["build", "pdf", "--no-eval"]);
    assert_eq!(pdf.code, Some(1));
    assert!(pdf.stderr.contains("--> src/sec.md:3:5"), "{}", pdf.stderr);
    assert!(pdf.stderr.contains("--> src/sec.md:4:5"), "{}", pdf.stderr);
}

#[test]
fn toc_entry_without_file() {
    let book = TempBook::empty("toc").with(&[
        ("book.toml", "[book]\ntitle = \"T\"\nsrc = \"src\"\n"),
        (
            "src/index.md",
            "# T\n\n```toc\n:numbered:\n\nthere\nnot_there\n```\n",
        ),
        ("src/there.md", "# There\n"),
    ]);
    let run = book.build_html();
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains("error: toc entry 'not_there' names no file"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--> src/index.md:7:1"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_config_key_and_type() {
    let book = TempBook::empty("cfg").with(&[
        (
            "book.toml",
            "[book]\ntitle = \"T\"\n\n[html]\nmath = \"mathml\"\nsite_ur = \"/\"\n",
        ),
        ("index.md", "# T\n"),
    ]);
    let run = book.build_html();
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains("error: invalid book.toml: unknown field `site_ur`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--> book.toml:6:1"), "{}", run.stderr);

    book.write(
        "book.toml",
        "[book]\ntitle = \"T\"\n[eval]\ntimeout = \"ten\"\n",
    );
    let run = book.build_html();
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("--> book.toml:4:11"), "{}", run.stderr);
}

#[test]
fn failed_build_keeps_the_previous_site() {
    let book = one_section_book("# S\n\nFine.\n");
    assert!(book.build_html().ok);
    let before = book.page("sec.html");
    book.write("src/sec.md", "# S\n\nBroken ![x](nowhere.png).\n");
    let run = book.build_html();
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("previous output is left as it was"),
        "{}",
        run.stderr
    );
    assert_eq!(book.page("sec.html"), before);
    // No temporary folders are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(book.root.join("_build"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".html"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn all_problems_are_listed_in_one_build() {
    let book = one_section_book("# S\n\n:numref:`a` :numref:`b` :oops:`c`\n");
    let run = book.run(&["--strict", "build", "html"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let err = run.stderr;
    assert!(
        err.contains("undefined label 'a'") && err.contains("undefined label 'b'"),
        "{err}"
    );
    assert!(err.contains("warning: unknown role ':oops:'"), "{err}");
    assert!(
        err.contains("build failed with 3 warnings (--strict: warnings are errors)"),
        "{err}"
    );
}

#[test]
fn labels_that_attach_to_nothing_warn() {
    let book =
        one_section_book("Text first.\n:label:`floating`\n\n:begin_tab:`a`\nNever closed.\n");
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: ':label:' must follow a heading"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("warning: ':begin_tab:' is not closed"),
        "{}",
        run.stderr
    );
}

#[test]
fn missing_book_is_a_clear_error() {
    let book = TempBook::empty("none");
    let run = book.build_html();
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("error: no book.toml in"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_toc_listing_its_own_page_or_a_page_twice_warns() {
    let book = TempBook::empty("cycle").with(&[
        ("book.toml", "[book]\ntitle = \"T\"\n"),
        ("index.md", "# T\n\n```toc\na\nindex\na\n```\n"),
        ("a.md", "# A\n\n```toc\nindex\n```\n"),
    ]);
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(
        run.stderr
            .matches("is already in the book; listed again here")
            .count(),
        3,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--> index.md:5:1"), "{}", run.stderr);
    assert!(run.stderr.contains("built 2 pages"), "{}", run.stderr);
}

#[test]
fn stray_end_tab_warns_where_it_is() {
    let book =
        one_section_book("# S\n\n:end_tab:\nあいう\n\n:begin_tab:`a`\nA\n- item\n:end_tab:\n");
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "warning: ':end_tab:' without a ':begin_tab:' before it; ignored\n --> src/sec.md:3:1\n"
        ),
        "{}",
        run.stderr
    );
    // After a list item the mark belongs to the item in Markdown; it closes the tab.
    assert_eq!(
        run.stderr.matches("warning: '").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(book.page("sec.html").contains("<p>あいう</p>"));
}

#[test]
fn nesting_deeper_than_64_levels_is_a_located_error() {
    let list: String = (0..400)
        .map(|i| format!("{}- x\n", "  ".repeat(i)))
        .collect();
    let stars = "*".repeat(670);
    for (body, at) in [
        (
            format!("# S\n\n{}x\n", "> ".repeat(400)),
            "--> src/sec.md:3:129",
        ),
        (format!("# S\n\n{list}"), "--> src/sec.md:67:129"),
        (format!("# S\n\n{stars}x{stars}\n"), "--> src/sec.md:3:"),
    ] {
        let err = failing(&body);
        assert!(
            err.contains("error: nesting deeper than 64 levels; the rest is shown as plain text"),
            "{err}"
        );
        assert!(err.contains(at), "{at}: {err}");
    }
}

#[test]
fn malformed_bibliography_says_what_and_where() {
    let book = one_section_book("# S\n\n:cite:`a`\n").with(&[(
        "refs.bib",
        "@book{a, author = {A}, title = {T}, year = {2000}}\n@book{b,\n  title = {x\n",
    )]);
    book.write(
        "book.toml",
        "[book]\ntitle = \"T\"\nsrc = \"src\"\nbibliography = \"refs.bib\"\n",
    );
    let run = book.build_html();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: invalid bibliography: unexpected end of file\n --> refs.bib:"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("-35"), "{}", run.stderr);
}

#[test]
fn header_links_that_run_code_are_refused() {
    let book = one_section_book("# S\n");
    book.write(
        "book.toml",
        "[book]\ntitle = \"T\"\nsrc = \"src\"\n[html]\nheader_links = [{ label = \"x\", url = \"javascript:alert(1)\" }]\n",
    );
    let run = book.build_html();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("error: invalid book.toml: header link 'javascript:alert(1)' is not an http(s), mailto, relative or '#' link\n --> book.toml:5:39"),
        "{}",
        run.stderr
    );
}

#[test]
fn book_toml_that_is_not_utf8_says_so() {
    let book = one_section_book("# S\n");
    std::fs::write(
        book.root.join("book.toml"),
        b"[book]\ntitle = \"T\xe9\"\nsrc = \"src\"\n",
    )
    .unwrap();
    let run = book.build_html();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: book.toml is not valid UTF-8\n --> book.toml:2:11"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("no book.toml"), "{}", run.stderr);
}

#[test]
fn math_that_katex_shows_in_red_or_that_does_not_close_warns() {
    let book = one_section_book(
        "# S\n\nA $\\href{http://x}{y}$ B $\\url{http://x}$\n\nC $\\htmlClass{c}{x}$ D $\\includegraphics{a.png}$\n\nE $}{$\n\nF $\\text{$\n\nG $\\color{red$\n",
    );
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    for (what, at) in [
        ("'\\href' is not supported in math here", "src/sec.md:3:3"),
        ("'\\url' is not supported in math here", "src/sec.md:3:26"),
        (
            "'\\htmlClass' is not supported in math here",
            "src/sec.md:5:3",
        ),
        (
            "'\\includegraphics' is not supported in math here",
            "src/sec.md:5:24",
        ),
    ] {
        assert!(
            run.stderr
                .contains(&format!("warning: math error: {what}\n --> {at}\n")),
            "{what}: {}",
            run.stderr
        );
    }
    for (what, at) in [
        ("$}{$", "src/sec.md:7:3"),
        ("$\\text{$", "src/sec.md:9:3"),
        ("$\\color{red$", "src/sec.md:11:3"),
    ] {
        assert!(
            run.stderr.contains(&format!(
                "warning: '{what}' is shown as text, not math: its braces do not balance\n"
            )) && run.stderr.contains(&format!("--> {at}\n")),
            "{what}: {}",
            run.stderr
        );
    }
}

#[test]
fn the_caret_is_under_the_culprit_after_tabs_and_wide_characters() {
    let err = one_section_book("# S\n\nA\t表:nonsense:`x`\n")
        .build_html()
        .stderr;
    assert!(err.contains("--> src/sec.md:3:4"), "{err}");
    assert!(
        err.contains("3 | A\t表:nonsense:`x`\n  |  \t  ^^^^^^^^^^^^^"),
        "{err}"
    );
}

#[test]
fn citations_without_a_bibliography_warn_and_show_their_keys() {
    let book = one_section_book("# S\n\nAs :cite:`Nobody.2020` said.\n");
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: the book cites entries but has no bibliography"),
        "{}",
        run.stderr
    );
    assert!(book
        .page("sec.html")
        .contains("<span class=\"cite-missing\">[Nobody.2020]</span>"));
    assert_eq!(book.run(&["--strict", "build", "html"]).code, Some(1));
}
