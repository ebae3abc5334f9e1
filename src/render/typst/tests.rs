//! Tests of the Typst markup: labels and links, math, fonts, outputs.

use super::*;
use crate::pdf::testing::{load, tiny_book};

#[test]
fn strings_escape_quotes_and_backslashes() {
    assert_eq!(string(r#"a "b" \c"#), r#""a \"b\" \\c""#);
    assert_eq!(string("x\ny\u{7}"), "\"x\\ny\\u{7}\"");
}

#[test]
fn markup_of_text_is_literal() {
    let chapter =
        "# One\n\nA #let x = 1 and $ and * and _x_ lines\n= not a heading\n- not a list\n";
    let dir = tiny_book("escape", chapter);
    let loaded = load(&dir);
    let generated = markup(&loaded.ctx());
    let main = &generated.main;
    // The whole text sits in string literals; none of it is markup.
    assert!(
        main.contains("#\"A #let x = 1 and $ and * and \""),
        "{main}"
    );
    assert!(main.contains("#\"= not a heading\""), "{main}");
    assert!(!main.contains("\n= not"), "{main}");
    assert!(!main.lines().any(|l| l.starts_with("#let x")), "{main}");
    // It parses without errors, and the only code is ours.
    let root = ::typst::syntax::parse(main);
    assert!(
        !root.diagnosis().errors,
        "{:?}",
        root.errors_and_warnings().0
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn figures_equations_and_references_link_to_labels() {
    let chapter = "# One\n:label:`sec_one`\n\nSee :numref:`fig_x` and :eqref:`eq_x` in :ref:`sec_one`, [there](ch1.md#eq_x), [refs](refs.ipynb).\n\n![Cap](img/fig.svg)\n:width:`400px`\n:label:`fig_x`\n\n$$a = b$$\n:eqlabel:`eq_x`\n";
    let dir = tiny_book("refs", chapter);
    let loaded = load(&dir);
    let generated = markup(&loaded.ctx());
    let main = &generated.main;
    for expected in [
        "#d2l.xref(label(\"ch1.md#fig_x\"), \"Fig. 1.1\")",
        "#d2l.xref(label(\"ch1.md#eq_x\"), \"(1.1)\")",
        "#d2l.xref(label(\"ch1.md#\"), \"One\")",
        // Links into the book go to the labels of the places resolve found.
        "#link(d2l-to(label(\"ch1.md#eq_x\")))[#\"there\"]",
        "#link(d2l-to(label(\"refs.md#\")))[#\"refs\"]",
        "#d2l.figure(image(\"/img/fig.svg\"), width: 300pt, number: \"Fig. 1.1\", caption: [#\"Cap\"])#label(\"ch1.md#fig_x\")",
        "#d2l.equation(number: \"(1.1)\", $ a  =  b $)#label(\"ch1.md#eq_x\")",
        "#heading(level: 1, numbering: none)[#d2l.number(\"1\")#\"One\"]#label(\"ch1.md#\")",
    ] {
        assert!(main.contains(expected), "missing {expected} in\n{main}");
    }
    assert_eq!(generated.images.len(), 1);
    // The equation's generated line points back at the chapter.
    let line = main
        .lines()
        .position(|l| l.contains("#d2l.equation("))
        .unwrap();
    let span = generated.lines[line].as_ref().unwrap();
    assert_eq!((&*span.file, span.line), ("ch1.md", 10));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn missing_labels_are_text_not_links() {
    let chapter =
        "# One\n\nSee :numref:`nowhere`.\n\n```{.rust .input}\n//@hide\nlet x = 1;\n```\n";
    let dir = tiny_book("missing", chapter);
    let loaded = load(&dir);
    let main = markup(&loaded.ctx()).main;
    assert!(main.contains("#\"See \"#d2l.broken-ref()#\".\""), "{main}");
    assert!(!main.contains("let x = 1"), "{main}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn citations_and_entries_are_rendered_as_inlines() {
    let chapter = "# One\n\nAs in :cite:`Bishop.2006,Nobody.2000`.\n";
    let dir = tiny_book("cite-inlines", chapter);
    let loaded = load(&dir);
    let main = markup(&loaded.ctx()).main;
    for expected in [
        // A known key links to its entry; the unknown one is its `?key` fallback.
        "#\"(\"#d2l.xref(label(\"bib-Bishop.2006\"), [#\"Bishop, 2006\"])#\"; \"#\"?Nobody.2000\"#\")\"",
        // An entry's italics are an emphasis like any other.
        "#d2l.entry[#\"Bishop, C. M. (2006). \"#emph[#\"Pattern Recognition and Machine Learning\"]#\". Springer.\"]#label(\"bib-Bishop.2006\")",
    ] {
        assert!(main.contains(expected), "missing {expected} in\n{main}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn cjk_line_breaks_join_without_a_space() {
    let chapter = "# 一\n\n日本語の\n文章と English\ntext.\n";
    let dir = tiny_book("cjk", chapter);
    let loaded = load(&dir);
    let main = markup(&loaded.ctx()).main;
    assert!(
        // One space between Latin words (a newline of the markup), none between CJK.
        main.contains("#\"日本語の\"#\"文章と English\"\n#\"text.\""),
        "{main}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn inline_math_stays_inline_and_bars_are_tight() {
    let eq = convert_math(r"\label{x} y = |x|", false).unwrap();
    assert!(eq.starts_with("$y"), "{eq}");
    assert!(eq.contains("|x|"), "{eq}");
    assert!(convert_math(r"x", true).unwrap().starts_with("$ "));
    assert!(convert_math(r"\nosuchcommand", false).is_err());
}

#[test]
fn formulas_mitex_panics_on_are_errors() {
    assert_eq!(
        convert_math(r"\label", false),
        Err("mitex failed on this formula".into())
    );
}

#[test]
fn tensors_are_template_tables() {
    let t = Tensor {
        shape: vec![2, 2],
        dtype: "f32".into(),
        device: None,
        cells: ["0", "1", "2", "<3"].map(String::from).to_vec(),
    };
    assert_eq!(
        tensor(&t),
        "#d2l.tensor(caption: \"Tensor[2, 2] f32\", rows: ((\"0\", \"1\", ), (\"2\", \"<3\", ), ))\n\n"
    );
    // A scalar is a row of one (the trailing comma keeps it an array); no entries, no row.
    let scalar = Tensor {
        shape: vec![],
        cells: vec!["66".into()],
        ..t.clone()
    };
    assert!(tensor(&scalar).contains("rows: ((\"66\", ), ))"));
    let empty = Tensor {
        shape: vec![3, 0],
        cells: vec![],
        ..t
    };
    assert!(tensor(&empty).contains("rows: ())"));
}

#[test]
fn lengths() {
    assert_eq!(length("400px").as_deref(), Some("300pt"));
    assert_eq!(length("400").as_deref(), Some("300pt"));
    assert_eq!(length("150%").as_deref(), Some("100%"));
    assert_eq!(length("3cm").as_deref(), Some("3cm"));
    assert_eq!(length("wide"), None);
}

#[test]
fn cells_that_surely_fit_on_a_page_are_kept_whole_without_measuring() {
    let cell = |code: &str, outputs: Vec<Output>| Code {
        lang: "rust".into(),
        code: code.into(),
        cell: Some(CellMarks::default()),
        label: None,
        span: crate::doc::span_of("", "a.md", 0..0),
        lines: Vec::new(),
        outputs,
        number: String::new(),
    };
    let plot = |height: &str| Output::Data {
        mime: "image/svg+xml".into(),
        data: format!(
            "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"420\" \
             height={height} viewBox=\"0 0 420 300\"><rect height=\"9999\"/></svg>"
        ),
    };
    let printed = |lines: usize| Output::Stdout("x\n".repeat(lines));
    // Ten lines of code (11 pt each) and a plot 300 pt high, each block 18 pt more.
    let code = "let x = 1;\n".repeat(10);
    assert_eq!(
        cell_height(&cell(&code, vec![plot("\"300\"")])),
        Some(18 + 110 + 18 + 300)
    );
    assert_eq!(cell_height(&cell(&code, vec![plot("'300px'")])), Some(446));
    // A figure of unknown height, or a raster one: not estimated.
    assert_eq!(cell_height(&cell(&code, vec![plot("\"3in\"")])), None);
    // An unquoted or oddly quoted height (a cell's own SVG can hold anything).
    assert_eq!(cell_height(&cell(&code, vec![plot("300")])), None);
    assert_eq!(cell_height(&cell(&code, vec![plot("é300é")])), None);
    let png = Output::Data {
        mime: "image/png".into(),
        data: String::new(),
    };
    assert_eq!(cell_height(&cell(&code, vec![png])), None);
    // Long lines take as many lines as they wrap into; a wide character is two columns.
    let long = format!("{}\n{}", "a".repeat(56), "あ".repeat(28));
    assert_eq!(
        cell_height(&cell(&long, vec![printed(1)])),
        Some(18 + 44 + 18 + 11)
    );
    // A tensor: its caption and rows.
    let tensor = Output::Tensor(crate::doc::Tensor {
        shape: vec![6, 2],
        dtype: "f32".into(),
        device: None,
        cells: vec!["0".into(); 12],
    });
    assert_eq!(
        cell_height(&cell("t", vec![tensor])),
        Some(18 + 11 + 18 + 7 * 13)
    );

    // In the markup: a short cell is kept whole as it is, a taller one is measured.
    let short = cell("println!(\"a\");", vec![printed(5)]);
    let tall = cell("println!(\"a\");", vec![printed(40)]);
    assert!(cell_height(&short).unwrap() <= SHORT_CELL_PT);
    assert!(cell_height(&tall).unwrap() > SHORT_CELL_PT);
    let dir = tiny_book("cells", "# One\n\nText.\n");
    let mut loaded = load(&dir);
    loaded.docs[0].blocks.push(Block::Code(short));
    loaded.docs[0].blocks.push(Block::Code(tall));
    let main = markup(&loaded.ctx()).main;
    let short_at = main.find("#d2l-short-cell[\n#d2l.code(").expect(&main);
    let tall_at = main.find("#d2l-cell[\n#d2l.code(").expect(&main);
    assert!(short_at < tall_at);
    assert_eq!(main.matches("#d2l.code(").count(), 2, "{main}");
    let _ = std::fs::remove_dir_all(dir);
}
