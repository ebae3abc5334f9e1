//! `d2lbook build pdf`: the PDF's text (via poppler's `pdftotext`, which `.ci/run`
//! installs) carries the same numbers, references and citations as the site.

mod common;
use common::{one_section_book, pdftotext, TempBook};
use std::process::Command;

#[test]
fn english_book_references_citations_outputs_and_math() {
    let library = concat!(env!("CARGO_MANIFEST_DIR"), "/d2l-lib");
    let book = TempBook::fixture("en");
    let toml = std::fs::read_to_string(book.root.join("book.toml")).unwrap();
    book.write(
        "book.toml",
        &format!("{toml}\n[eval]\nlibrary = \"{library}\"\n"),
    );
    book.write(
        "src/chap_two/index.md",
        "# Chapter Two\n:label:`chap_two`\n\nA chapter with a figure :numref:`fig_two`.\n\n![Two](../img/dot.svg)\n:label:`fig_two`\n\n```{.rust .input}\nprintln!(\"executed {}\", 6 * 7);\n```\n",
    );
    let run = book.run(&["build", "pdf"]);
    assert!(run.ok, "{}", run.stderr);
    let pdf = book.root.join("_build/pdf/fixture-book.pdf");
    let text = pdftotext(&pdf);
    for expected in [
        "Fixture Book",
        "1.1 Basics",
        "Fig. 1.1.1",
        "Figure 1.1.2",
        "Table 1.1.1",
        "(1.1.1)",
        "Section 1.2",
        "Listing 1.1.1",
        "(Bishop, 2006",
        "He et al. (2016b)",
        "Pattern Recognition and Machine Learning",
        "executed 42",
        "Fig. 2.1",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // The converted equation: bold w and the hat of ŷ as math letters.
    assert!(text.contains('𝐰'), "{text}");
    // HTML-only raw blocks are not in the PDF; slide-only text neither.
    assert!(!text.contains("raw html here") && !text.contains("slide only"));
    let info = Command::new("pdfinfo").arg(&pdf).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("Title:           Fixture Book"), "{info}");
    assert!(info.contains("Author:          Ada, Grace"), "{info}");
}

#[test]
fn japanese_sample_book() {
    let book = TempBook::sample();
    let run = book.run(&["--strict", "build", "pdf", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    let pdf = book.root.join("_build/pdf/book.pdf");
    let text = pdftotext(&pdf);
    for expected in [
        "線形代数",
        "図 1.3.1",
        "表 1.3.1",
        "1.3 節",
        "(1.3.1)",
        // A chapter is referred to as a chapter.
        "3 章",
        "Strang (1993)",
        "参考文献",
    ] {
        assert!(text.contains(expected), "missing {expected:?}");
    }
    let info = Command::new("pdfinfo").arg(&pdf).output().unwrap();
    assert!(String::from_utf8_lossy(&info.stdout).contains("実践 Rust で学ぶディープラーニング"));
    // The outline (bookmarks) holds the chapters.
    let outline = Command::new("pdftotext")
        .args(["-f", "1", "-l", "3"])
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&outline.stdout).contains("目次"));
}

#[test]
fn a_broken_equation_still_yields_a_pdf_and_a_located_warning() {
    let book = one_section_book("# S\n\nGood $x^2$.\n\n$$\\notacommand{x}$$\n\nAfter.\n");
    let run = book.run(&["build", "pdf"]);
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stderr.contains("warning:"), "{}", run.stderr);
    assert!(run.stderr.contains("--> src/sec.md:5:"), "{}", run.stderr);
    let text = pdftotext(&book.root.join("_build/pdf/t.pdf"));
    assert!(
        text.contains("\\notacommand{x}"),
        "the source is shown: {text}"
    );
    assert!(text.contains("After."));
    // With --strict the warning fails the build and no PDF is written.
    std::fs::remove_dir_all(book.root.join("_build")).unwrap();
    let strict = book.run(&["--strict", "build", "pdf"]);
    assert_eq!(strict.code, Some(1));
    assert!(!book.root.join("_build/pdf/t.pdf").exists());
}

#[test]
fn recursive_macros_end_with_a_warning_not_a_hang() {
    let book = one_section_book(
        "# S\n\n$$\\newcommand{\\a}{\\a}\\a$$\n\nInline $\\newcommand{\\a}{\\a\\a}\\a$ too.\n\nAfter.\n",
    );
    let started = std::time::Instant::now();
    let run = book.run(&["build", "pdf"]);
    assert!(run.ok, "{}", run.stderr);
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
    for at in ["src/sec.md:3:1", "src/sec.md:5:8"] {
        assert!(
            run.stderr.contains(&format!(
                "warning: math error: equation too complex to convert: its macros expand beyond 100000 tokens (a macro that calls itself?)\n --> {at}\n"
            )),
            "{at}: {}",
            run.stderr
        );
    }
    let text = pdftotext(&book.root.join("_build/pdf/t.pdf"));
    assert!(text.contains("After."), "{text}");
}

#[test]
fn nesting_at_the_limit_builds_both_outputs() {
    let stars = "*".repeat(128);
    let book = one_section_book(&format!(
        "# S\n\n{}{stars}deep{stars}\n\nAfter.\n",
        "> ".repeat(64)
    ));
    let html = book.build_html();
    assert!(html.ok, "{}", html.stderr);
    assert!(!html.stderr.contains("nesting"), "{}", html.stderr);
    let pdf = book.run(&["build", "pdf"]);
    assert!(pdf.ok, "{}", pdf.stderr);
    let text = pdftotext(&book.root.join("_build/pdf/t.pdf"));
    assert!(text.contains("deep") && text.contains("After."), "{text}");
}

#[test]
fn tensors_are_tables_of_their_values() {
    let library = concat!(env!("CARGO_MANIFEST_DIR"), "/d2l-lib");
    let book = one_section_book(
        "# S\n\n```{.rust .input}\nTensor::new(&[[1f32, 2.5], [3., 4.]], &Device::Cpu)?\n```\n\n```{.rust .input}\nTensor::new(&[7u32, 8, 9], &Device::Cpu)?.sum_all()?\n```\n",
    );
    book.write(
        "book.toml",
        &format!("[book]\ntitle = \"T\"\nsrc = \"src\"\n[eval]\nlibrary = \"{library}\"\n"),
    );
    let run = book.run(&["build", "pdf"]);
    assert!(run.ok, "{}", run.stderr);
    let text = pdftotext(&book.root.join("_build/pdf/t.pdf"));
    let words: Vec<&str> = text.split_whitespace().collect();
    // Caption, then the entries row by row.
    let at = words
        .windows(3)
        .position(|w| w == ["Tensor[2,", "2]", "f32"])
        .unwrap_or_else(|| panic!("no caption in:\n{text}"));
    assert_eq!(
        words[at + 3..at + 7],
        ["1.0000", "2.5000", "3.0000", "4.0000"],
        "{text}"
    );
    assert!(text.contains("Tensor[] u32"), "{text}");
    assert!(words.contains(&"24"), "{text}");
}

#[test]
fn site_and_pdf_show_the_same_numbers_and_resolve_the_same_links() {
    let book = TempBook::empty("agree").with(&[
        ("book.toml", "[book]\ntitle = \"T\"\nsrc = \"src\"\n"),
        ("src/index.md", "# T\n\n```toc\n:numbered:\n\nsec\nother\n```\n"),
        (
            "src/sec.md",
            "# S\n\n$$e = mc^2$$\n:eqlabel:`eq_energy`\n\n:Ones\n:label:`tab_one`\n\n| a |\n|---|\n| 1 |\n",
        ),
        (
            "src/other.md",
            "# O\n\nBy :eqref:`eq_energy` and :numref:`tab_one`, see [the energy](sec.md#eq_energy) or [nothing](gone.md).\n",
        ),
    ]);
    let html = book.build_html();
    assert!(html.ok, "{}", html.stderr);
    let pdf = book.run(&["build", "pdf"]);
    assert!(pdf.ok, "{}", pdf.stderr);
    // The unknown chapter is one located warning in each build.
    for run in [&html, &pdf] {
        assert_eq!(
            run.stderr
                .matches("warning: link to 'gone.md', which is not a section of the book\n --> src/other.md:3:")
                .count(),
            1,
            "{}",
            run.stderr
        );
    }
    let sec = book.page("sec.html");
    let other = book.page("other.html");
    let text = pdftotext(&book.root.join("_build/pdf/t.pdf"));
    // Equation and caption numbers, and the references to them, read the same.
    assert!(sec.contains("<span class=\"eqno\">(1.1)</span>"), "{sec}");
    assert!(
        sec.contains("<span class=\"caption-number\">Table 1.1</span>"),
        "{sec}"
    );
    assert!(
        other.contains(">(1.1)</a> and <a class=\"ref\" href=\"sec.html#tab_one\">Table 1.1</a>"),
        "{other}"
    );
    assert_eq!(text.matches("(1.1)").count(), 2, "{text}");
    assert_eq!(text.matches("Table 1.1").count(), 2, "{text}");
    // The link into the book points at the equation on the site and is kept (as a link
    // to its label) in the PDF; the unknown one keeps its text in both.
    assert!(
        other.contains("<a href=\"sec.html#eq_energy\">the energy</a>"),
        "{other}"
    );
    assert!(other.contains("<a href=\"gone.md\">nothing</a>"), "{other}");
    assert!(text.contains("see the energy or nothing."), "{text}");
}

#[test]
fn the_pdf_shows_the_first_tab_of_the_tabs_the_site_shows() {
    let book = one_section_book(
        "# S\n\n:begin_tab:`pytorch`\nTorch text.\n:end_tab:\n\n:begin_tab:`mxnet`\nMXNet text.\n:end_tab:\n\n:begin_tab:` `\nNameless text.\n:end_tab:\n\nAfter.\n",
    );
    let html = book.build_html();
    assert!(html.ok, "{}", html.stderr);
    let pdf = book.run(&["build", "pdf"]);
    assert!(pdf.ok, "{}", pdf.stderr);
    let page = book.page("sec.html");
    for tab in ["pytorch", "mxnet"] {
        assert!(
            page.contains(&format!("data-tab=\"{tab}\" role=\"tabpanel\"")),
            "{page}"
        );
    }
    // A tab block with no name shows in every panel, as one named `all` does.
    assert_eq!(page.matches("Nameless text.").count(), 2, "{page}");
    let text = pdftotext(&book.root.join("_build/pdf/t.pdf"));
    assert!(
        text.contains("Torch text.") && text.contains("Nameless text."),
        "{text}"
    );
    assert!(!text.contains("MXNet text."), "{text}");
}

#[test]
fn labelled_listings_show_the_number_their_references_read() {
    // A listing and a cell with labels, in Japanese and in English: the number a
    // reference reads stands over the code, on the site and in the PDF.
    for (language, word) in [("en", "Listing"), ("ja", "リスト")] {
        let book = TempBook::empty("listing").with(&[
            (
                "book.toml",
                &format!("[book]\ntitle = \"L\"\nsrc = \"src\"\nlanguage = \"{language}\"\n"),
            ),
            ("src/index.md", "# L\n\n```toc\n:numbered:\n\nsec\n```\n"),
            (
                "src/sec.md",
                "# S\n\nSee :numref:`lst_sum` and :numref:`lst_cell`.\n\n```rust\nfn sum(a: i32, b: i32) -> i32 { a + b }\n```\n:label:`lst_sum`\n\n```{.python .input}\nprint(1)\n```\n:label:`lst_cell`\n\n```rust\nunlabelled();\n```\n",
            ),
        ]);
        let html = book.run(&["build", "html", "--no-eval"]);
        assert!(html.ok, "{}", html.stderr);
        let page = book.page("sec.html");
        for n in ["1.1", "1.2"] {
            let caption = format!("<div class=\"listing-caption\"><span class=\"caption-number\">{word} {n}</span></div>");
            assert_eq!(page.matches(&caption).count(), 1, "{page}");
        }
        assert_eq!(page.matches("listing-caption").count(), 2, "{page}");
        let pdf = book.run(&["build", "pdf", "--no-eval"]);
        assert!(pdf.ok, "{}", pdf.stderr);
        let text = pdftotext(&book.root.join("_build/pdf/l.pdf"));
        for n in ["1.1", "1.2"] {
            let shown = format!("{word} {n}");
            assert_eq!(text.matches(&shown).count(), 2, "{shown} in: {text}");
        }
    }
}

#[test]
fn the_contents_lines_read_as_title_and_page_with_drawn_leaders() {
    let book = TempBook::empty("contents").with(&[
        ("book.toml", "[book]\ntitle = \"T\"\nsrc = \"src\"\n"),
        ("src/index.md", "# T\n\n```toc\n:numbered:\n\nsec\n```\n"),
        (
            "src/sec.md",
            "# Tensors\n\nText.\n\n## Broadcasting\n\nMore text.\n",
        ),
    ]);
    let pdf = book.run(&["build", "pdf"]);
    assert!(pdf.ok, "{}", pdf.stderr);
    // Typst puts a word joiner before the page number.
    let text = pdftotext(&book.root.join("_build/pdf/t.pdf")).replace('\u{2060}', "");
    // The leaders are one dotted line per entry, not a run of periods: the text of an
    // entry is its number, title and page (and a layout of the whole book holds one
    // drawing per entry rather than a text item per dot).
    let line = |title: &str| {
        text.lines()
            .find(|l| l.contains(title))
            .unwrap_or_else(|| panic!("no contents line for {title}:\n{text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("Tensors"), "1 Tensors 1", "{text}");
    assert_eq!(line("Broadcasting"), "1.1 Broadcasting 1", "{text}");
    assert!(!text.contains("..") && !text.contains(". ."), "{text}");
}
