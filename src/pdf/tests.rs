//! Tests of the PDF: whole books compiled, math fallbacks, fonts, the formula table.

use super::fonts::collect_fonts;
use super::math_check::compile_formulas;
use super::testing::*;
use super::*;

#[test]
fn tiny_book_to_pdf() {
    let dir = tiny_book("e2e", CHAPTER);
    let loaded = load(&dir);
    assert!(loaded.diags.is_empty(), "{:?}", loaded.diags);
    let ctx = loaded.ctx();
    let (compiled, diags) = compile(&ctx, &PdfTheme::default(), None);
    let errors: Vec<_> = diags
        .iter()
        .filter(|d| d.level == crate::diag::Level::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let compiled = compiled.expect("a document");
    let text = document_text(&compiled.document);
    for expected in [
        "#let x = 1",
        "$5",
        "a < b > c",
        "@key",
        "[x]",
        "// no comment",
        "Fig.",
        "1.1",
        "(1.1)",
        "Table",
        "Bishop",
        "2006",
        "Chapter One",
        "Pattern Recognition",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    let (pdf, diags) = render_pdf(&ctx, &PdfTheme::default(), None);
    let pdf = pdf.unwrap_or_else(|| panic!("no PDF: {diags:#?}"));
    assert!(pdf.starts_with(b"%PDF"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn broken_math_becomes_source_with_a_located_warning() {
    // `\set` converts (mitex knows it) but cannot compile: `set` is a Typst keyword.
    let chapter = "# One\n\nFine $x$ and broken $\\binom{n}$ and $\\frac{a}{b}$.\n\n$$\\unknowncommand{x}$$\n";
    let dir = tiny_book("broken-math", chapter);
    let loaded = load(&dir);
    let ctx = loaded.ctx();
    let (pdf, diags) = render_pdf(&ctx, &PdfTheme::default(), None);
    assert!(pdf.is_some(), "{diags:#?}");
    let math: Vec<_> = diags
        .iter()
        .filter(|d| d.message.contains("math error"))
        .collect();
    assert_eq!(math.len(), 2, "{diags:#?}");
    // One is refused by mitex, the other converts but fails in Typst and is taken out.
    assert!(
        math.iter()
            .any(|d| d.message.contains("Typst cannot typeset")),
        "{math:#?}"
    );
    assert!(
        math.iter().any(|d| d.message.contains("unknown command")),
        "{math:#?}"
    );
    for d in &math {
        let span = d.span.as_ref().expect("located");
        assert_eq!(&*span.file, "ch1.md");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn typst_errors_point_at_the_chapter() {
    // A missing image is found by resolve, before any backend runs.
    let dir = tiny_book("errors", "# One\n\n![missing](img/nothere.svg)\n");
    let loaded = load(&dir);
    let d = loaded
        .diags
        .iter()
        .find(|d| d.message.contains("missing image"))
        .expect("an error");
    assert_eq!(d.span.as_ref().map(|s| s.line), Some(3));
    let _ = std::fs::remove_dir_all(&dir);

    // An error Typst finds (an image it cannot decode), at the figure's line.
    let dir = tiny_book("typst-error", "# One\n\nText.\n\n![broken](img/bad.svg)\n");
    std::fs::write(dir.join("img/bad.svg"), "this is not an svg").unwrap();
    let loaded = load(&dir);
    let (pdf, diags) = render_pdf(&loaded.ctx(), &PdfTheme::default(), None);
    assert!(pdf.is_none());
    let d = diags
        .iter()
        .find(|d| d.message.starts_with("PDF:"))
        .unwrap_or_else(|| panic!("{diags:#?}"));
    let span = d.span.as_ref().unwrap_or_else(|| panic!("{d:#?}"));
    assert_eq!((&*span.file, span.line), ("ch1.md", 5), "{d:#?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_cjk_book_without_cjk_fonts_is_warned_about() {
    let dir = tiny_book("cjk-fonts", "# 一\n\n日本語。\n");
    let toml = std::fs::read_to_string(dir.join("book.toml")).unwrap();
    std::fs::write(
        dir.join("book.toml"),
        toml.replace("[book]\n", "[book]\nlanguage = \"ja\"\n"),
    )
    .unwrap();
    let loaded = load(&dir);
    let mut diags = Vec::new();
    check_fonts(&loaded.ctx(), &collect_fonts(false, &[]), &mut diags);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert!(diags[0]
        .help
        .as_deref()
        .unwrap_or("")
        .contains("fonts-noto-cjk"));
    let _ = std::fs::remove_dir_all(dir);
}

/// One formula per LaTeX command that docs/math-notes.md lists as supported
/// (its §3 table and the commands behind every definition of §4), plus SYNTAX.md's.
const FORMULAS: &[&str] = &[
    // docs/math-notes.md §3
    r"\mathbf{w}",
    r"\mathbf x",
    r"\mathbb{R}^{n}",
    r"\mathcal{L}",
    r"\boldsymbol{\theta}",
    r"\|\mathbf{x}\|_2",
    r"\sum_{i=1}^n x_i",
    r"\prod_i x_i",
    r"\int_0^1 f(x)\,dx",
    r"\frac{a}{b}",
    r"\sqrt{x}",
    r"\sqrt[3]{x}",
    r"\begin{bmatrix}a & b\\ c & d\end{bmatrix}",
    r"\begin{pmatrix}a & b\\ c & d\end{pmatrix}",
    r"\begin{cases} 1 & x>0\\ 0 & \text{otherwise}\end{cases}",
    r"\begin{aligned} a &= b \\ &= c \end{aligned}",
    r"\operatorname*{argmin}_{\mathbf{w}} f",
    r"\operatorname{softmax}(x)",
    r"\stackrel{\mathrm{def}}{=}",
    r"{n \choose k}",
    r"\textrm{abc}",
    r"\text{if } x",
    r"\partial f",
    r"\nabla f",
    r"\mathbf{x}^\top",
    r"\hat{y}",
    r"\bar{x}",
    r"\tilde{x}",
    r"\left(\frac{1}{2}\right)",
    r"\exp(x)",
    r"\log x",
    r"\max_i x_i",
    r"\mathrm{d}x",
    r"a \cdot b",
    r"a \times b",
    r"a \leq b",
    r"a \approx b",
    r"x \in A",
    r"a \mid b",
    r"x_1, \ldots, x_n",
    r"x_1 + \cdots + x_n",
    r"\infty",
    r"a \quad b",
    r"a\,b",
    r"\$5",
    // SYNTAX.md
    r"\text{for $x$}",
    r"\operatorname*{arg\,max}_x f",
    r"|x|",
    r"\left| x \right|",
    r"x \mapsto y",
    // §4 symbols renamed or removed in typst 0.15
    r"\mho",
    r"A \Join B",
    r"A \cap B",
    r"A \Cap B",
    r"\bigcap_i A_i",
    r"A \sqcap B",
    r"a \odot b",
    r"\bigodot_i a_i",
    r"a \oplus b",
    r"\bigoplus_i a_i",
    r"a \otimes b",
    r"\bigotimes_i a_i",
    r"a \ominus b",
    r"a \circledast b",
    r"a \circledcirc b",
    r"a \circleddash b",
    r"\hbar",
    r"\hslash",
    r"\langle x, y \rangle",
    r"\llbracket x \rrbracket",
    r"a \dashleftarrow b",
    r"a \dashrightarrow b",
    r"A \vartriangleleft B",
    r"A \unlhd B",
    r"A \vartriangleright B",
    r"A \unrhd B",
    r"A \vDash B",
    r"A \nvDash B",
    // §4 fonts and text
    r"\mathsf{A}",
    r"{\bf x} y",
    r"{\rm d} x",
    r"{\it x}",
    r"{\cal L}",
    r"\mathfrak{g}",
    r"{\sf x}",
    r"{\tt x}",
    r"\mathtt{x}",
    r"\mathit{x}",
    r"\displaystyle \sum_i x_i",
    r"\textstyle \sum_i x_i",
    r"\scriptstyle x",
    r"\scriptscriptstyle x",
    r"{\color{red} x} y",
    r"\textcolor{blue}{x}",
    r"\colorbox{yellow}{x}",
    r"\textup{a}",
    r"\textnormal{a}",
    r"\textmd{a}",
    r"\textbf{a}",
    r"\textit{a}",
    r"\textsf{a}",
    r"\texttt{a}",
    r"\ref{x}",
    r"\cite{x}",
    r"x \tag{1}",
    r"\TeX",
    r"\LaTeX",
    r"\KaTeX",
    r"\varGamma",
    r"\varDelta",
    r"\varTheta",
    r"\varLambda",
    r"\varXi",
    r"\varPi",
    r"\varSigma",
    r"\varUpsilon",
    r"\varPhi",
    r"\varPsi",
    r"\varOmega",
    // §4 operators and classes
    r"\argmin_x f",
    r"\argmax_x f",
    r"\injlim",
    r"\projlim",
    r"\plim",
    r"\arcctg x",
    r"\arctg x",
    r"\cosec x",
    r"\cotg x",
    r"\cth x",
    r"\ch x",
    r"\sh x",
    r"\th x",
    r"a \pmod{n}",
    r"a \pod{n}",
    r"\smallint f",
    r"a \thickapprox b",
    r"a \thicksim b",
    r"\mathord{+}",
    r"\mathop{T}",
    r"a \mathbin{:} b",
    r"a \mathrel{:} b",
    r"\mathopen{[} x \mathclose{]}",
    r"a \mathpunct{;} b",
    r"\mathinner{x}",
    // §4 structures
    r"\dfrac{a}{b}",
    r"\tfrac{a}{b}",
    r"\cfrac{a}{b}",
    r"\dbinom{n}{k}",
    r"\tbinom{n}{k}",
    r"{a \atop b}",
    r"{n \brack k}",
    r"{n \brace k}",
    r"\overset{!}{=}",
    r"\underset{x}{\max}",
    r"\overbrace{a+b}^{n}",
    r"\underbrace{a+b}_{n}",
    r"\overbracket{a+b}",
    r"\underbracket{a+b}",
    r"\overgroup{ab}",
    r"\undergroup{ab}",
    r"\overlinesegment{AB}",
    r"\underbar{x}",
    r"\mathring{A}",
    r"\overleftharpoon{x}",
    r"\overrightharpoon{x}",
    r"\overleftrightarrow{AB}",
    r"A \xrightarrow{f} B",
    r"A \xleftarrow{f} B",
    r"A \xleftrightarrow{f} B",
    r"A \xRightarrow{f} B",
    r"A \xLeftarrow{f} B",
    r"A \xLeftrightarrow{f} B",
    r"A \xhookleftarrow{f} B",
    r"A \xhookrightarrow{f} B",
    r"A \xtwoheadleftarrow{f} B",
    r"A \xtwoheadrightarrow{f} B",
    r"A \xmapsto{f} B",
    r"A \xlongequal{f} B",
    r"A \xleftharpoonup{f} B",
    r"A \xleftharpoondown{f} B",
    r"A \xrightharpoonup{f} B",
    r"A \xrightharpoondown{f} B",
    r"A \xleftrightharpoons{f} B",
    r"A \xrightleftharpoons{f} B",
    r"A \xtofrom{f} B",
    r"\sum_{\substack{i < n \\ j < m}} a_{ij}",
    // §4 delimiters
    r"\big( x \big)",
    r"\Big( x \Big)",
    r"\bigg( x \bigg)",
    r"\Bigg( x \Bigg)",
    r"\bigl[ x \bigr]",
    r"\left( x \middle| y \right)",
    r"\bra{x}",
    r"\ket{x}",
    r"\braket{x}",
    r"\Bra{x}",
    r"\Ket{x}",
    r"\Braket{x}",
    r"\Set{x}",
    r"\left\{ x \right.",
    // §4 spacing, boxes, cancel
    r"a \! b",
    r"a \negmedspace b",
    r"a \negthickspace b",
    r"a \enspace b",
    r"a \hspace{1em} b",
    r"a \vspace{1em} b",
    r"\phantom{x} y",
    r"\hphantom{x} y",
    r"\vphantom{x} y",
    r"\mathclap{x}",
    r"\boxed{x = 1}",
    r"\fbox{x}",
    r"\hbox{x}",
    r"\raisebox{2pt}{x}",
    r"\cancel{x}",
    r"\bcancel{x}",
    r"\xcancel{x}",
    r"\sout{x}",
    // §4 environments
    r"\begin{alignedat}{2} a &= b & c &= d \\ e &= f & g &= h \end{alignedat}",
    r"\begin{align} a &= b \\ c &= d \end{align}",
    r"\begin{align*} a &= b \\ c &= d \end{align*}",
    r"\begin{equation} a = b \end{equation}",
    r"\begin{gather} a = b \\ c = d \end{gather}",
    r"\begin{gathered} a = b \\ c = d \end{gathered}",
    r"\begin{split} a &= b \\ &= c \end{split}",
    r"\begin{matrix} a & b \\ c & d \end{matrix}",
    r"\begin{Bmatrix} a & b \\ c & d \end{Bmatrix}",
    r"\begin{vmatrix} a & b \\ c & d \end{vmatrix}",
    r"\begin{Vmatrix} a & b \\ c & d \end{Vmatrix}",
    r"\begin{smallmatrix} a & b \\ c & d \end{smallmatrix}",
    r"\begin{array}{c|cl} a & b & c \\ d & e & f \end{array}",
    r"\sum_{\begin{subarray}{l} i < n \\ j < m \end{subarray}} a_{ij}",
    r"\begin{rcases} a & x > 0 \\ b & x \le 0 \end{rcases}",
    r"f(x) = \begin{aligned} a &= b \\ &= c \end{aligned}",
    // d2l-style formulas
    r"\mathbb{E}_{x \sim P}[f(x)]",
    r"\frac{\mathrm{d}}{\mathrm{d}x} f(x)",
    r"\lim_{h \rightarrow 0} \frac{f(x+h) - f(x)}{h}",
    r"\left\| \mathbf{x} \right\|_2",
    r"\Vert \mathbf{x} \Vert",
    r"\vert x \vert",
    r"\widehat{\mathbf{y}}",
    r"\mathcal{N}(\mu, \sigma^2)",
    r"\exp\left(-\frac{1}{2\sigma^2}(x-\mu)^2\right)",
    r"\mathbf{X} \in \mathbb{R}^{n \times d}",
    r"\mathbf{W}^{(1)}",
    r"\boldsymbol{\epsilon}",
    r"\mathrm{tr}(\mathbf{A})",
    r"\det \mathbf{A}",
    r"\begin{bmatrix} a_{11} & \cdots & a_{1n} \\ \vdots & \ddots & \vdots \\ a_{m1} & \cdots & a_{mn} \end{bmatrix}",
    r"\mathbf{x} \leftarrow \mathbf{x} - \eta \nabla f",
    r"p \propto q",
    r"\stackrel{\textrm{def}}{=}",
    r"\mathrm{softmax}(\mathbf{o})_j = \frac{\exp(o_j)}{\sum_k \exp(o_k)}",
    r"\mathbf{X}_{:,1}",
    r"\max_{\|\mathbf{x}\| = 1} \mathbf{x}^\top \mathbf{A} \mathbf{x}",
    r"x;\; y",
    r"\{1, 2\}",
    r"\_",
    // braket's \set (rewritten to \Set: `set` is a Typst keyword)
    r"\set{x \mid x > 0}",
    r"A \setminus B",
];

#[test]
fn every_listed_latex_command_typesets() {
    let mut failed = Vec::new();
    let mut formulas = Vec::new();
    for tex in FORMULAS {
        for display in [true, false] {
            match gen::convert_math(tex, display) {
                Ok(eq) => formulas.push((*tex, eq)),
                Err(e) => failed.push(format!("{tex} (display: {display}): {e}")),
            }
        }
    }
    let fonts = fonts_for(&[]);
    // Evaluation stops at the first error: take the failing formula out and go again.
    for _ in 0..50 {
        let culprits = compile_formulas(
            formulas.iter().map(|f| f.1.as_str()),
            gen::MATH_TEMPLATE,
            &fonts,
        );
        if culprits.is_empty() {
            break;
        }
        let mut lines = Vec::new();
        for (line, message) in culprits {
            failed.push(format!("{}: {message}", formulas[line].0));
            lines.push(line);
        }
        lines.sort_unstable();
        lines.dedup();
        for l in lines.into_iter().rev() {
            formulas.remove(l);
        }
    }
    assert!(
        failed.is_empty(),
        "{} formulas fail:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

/// The formulas above with their LaTeX, written to /tmp/formulas.pdf to look at.
#[test]
#[ignore]
fn formula_sheet() {
    let mut main = format!(
        "#import {}: *\n#set page(columns: 2, margin: 1cm)\n#set text(size: 9pt)\n",
        gen::string(gen::MATH_PATH)
    );
    for tex in FORMULAS {
        if let Ok(eq) = gen::convert_math(tex, true) {
            main.push_str(&format!(
                "#block(breakable: false)[#text(size: 6pt, raw({}))\n{eq}]\n",
                gen::string(tex)
            ));
        }
    }
    let generated = Generated {
        main,
        ..Generated::default()
    };
    let world = BookWorld::new(
        &generated,
        gen::BOOK_TEMPLATE,
        gen::MATH_TEMPLATE,
        fonts_for(&[]),
    );
    let document = typst::compile::<typst_layout::PagedDocument>(&world)
        .output
        .expect("compiles");
    let pdf = typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()).expect("exports");
    std::fs::write("/tmp/formulas.pdf", pdf).unwrap();
}

/// The sample book at the repository root, written to /tmp/sample.pdf (and .typ).
#[test]
#[ignore]
fn sample_book() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut loaded = load(root);
    if std::env::var_os("D2L_EVAL").is_some() {
        let (_, d) = crate::eval::evaluate(
            &loaded.book,
            &mut loaded.docs,
            true,
            crate::eval::Selection::default(),
            &mut crate::eval::Memo::default(),
        );
        loaded.diags.extend(d);
        let (resolution, _) =
            crate::resolve::resolve(&loaded.book, &mut loaded.docs, &loaded.words);
        loaded.resolution = resolution;
    }
    if std::env::var_os("D2L_FAKE_OUTPUTS").is_some() {
        // Outputs of every kind, to look at without running the cells.
        let svg = std::fs::read_to_string(root.join("chapters/img/linreg.svg")).unwrap();
        for doc in &mut loaded.docs {
            crate::doc::visit_blocks_mut(&mut doc.blocks, &mut |b| {
                if let crate::doc::Block::Code(c) = b {
                    if c.cell.is_some() && c.lang == "rust" && c.outputs.is_empty() {
                        c.outputs = vec![
                            crate::doc::Output::Stdout(format!(
                                "x + y = [4.0, 6.0]\n{}\n",
                                "a_very_long_output_line_without_spaces_".repeat(5)
                            )),
                            crate::doc::Output::Stderr("warning: 損失が大きい\n".into()),
                            crate::doc::Output::Tensor(crate::doc::Tensor {
                                shape: vec![2, 2],
                                dtype: "f32".into(),
                                device: None,
                                cells: ["1.0000", "2.0000", "3.0000", "4.0000"]
                                    .map(String::from)
                                    .to_vec(),
                            }),
                            crate::doc::Output::Data {
                                mime: "image/svg+xml".into(),
                                data: svg.clone(),
                            },
                            crate::doc::Output::Error(
                                "error: panicked at chapters/x.md:12:5".into(),
                            ),
                            crate::doc::Output::Note("output cut at 1 MB".into()),
                        ];
                        c.code.push_str("\nlet a_very_long_line = Tensor::new(&[[1f32, 0.5], [0.0, 1.0], [2.0, -1.0], [1.5, 2.0], [7.0, 8.0]], &dev)?.matmul(&true_w)?.affine(1.0, true_b)?;");
                    }
                }
            });
        }
    }
    let started = std::time::Instant::now();
    let (pdf, diags) = render_pdf(
        &loaded.ctx(),
        &PdfTheme::default(),
        Some(Path::new("/tmp/sample.typ")),
    );
    eprintln!("rendered in {:.2} s", started.elapsed().as_secs_f64());
    for d in loaded.diags.iter().chain(&diags) {
        eprint!("{}", d.render(&|_| None));
    }
    let pdf = pdf.expect("a PDF");
    std::fs::write("/tmp/sample.pdf", pdf).unwrap();
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn the_contents_and_cross_references_link_to_their_targets_with_the_pages_they_are_on() {
    use typst::foundations::NativeElement;
    use typst::introspection::{Introspector, Location};
    use typst::layout::{Frame, FrameItem, Transform};
    use typst::model::{Destination, HeadingElem};

    // Three chapters of twenty sections: the contents take more than a page, and each
    // section refers to one in the next chapter (or the first).
    let mut files = vec![(
        "book.toml".to_string(),
        "[book]\ntitle = \"C\"\n".to_string(),
    )];
    let mut toc = String::from("# C\n\n```toc\n:numbered:\n\n");
    for c in 1..=3 {
        toc.push_str(&format!("ch{c}\n"));
        let next = c % 3 + 1;
        let mut chapter = format!("# Chapter {c}\n\nOpening.\n\n");
        for s in 1..=20 {
            chapter.push_str(&format!(
                "## Topic {c}-{s}\n:label:`sec_{c}_{s}`\n\nAs :numref:`sec_{next}_{s}` says,\n{}\n\n",
                "the text goes on for a while. ".repeat(40)
            ));
        }
        files.push((format!("ch{c}.md"), chapter));
    }
    toc.push_str("```\n");
    files.push(("index.md".to_string(), toc));
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let dir = book_dir("contents-links", &files);
    let loaded = load(&dir);
    assert!(loaded.diags.is_empty(), "{:?}", loaded.diags);
    let (compiled, diags) = compile(&loaded.ctx(), &PdfTheme::default(), None);
    let document = compiled.unwrap_or_else(|| panic!("{diags:#?}")).document;
    let introspector = document.introspector();

    // Each page's text, line by line (the words of a baseline, left to right, joined by
    // single spaces: the contents' page numbers are laid over the page after layout),
    // and the targets of its links.
    type Words = Vec<(i64, i64, String)>;
    fn walk(frame: &Frame, ts: Transform, words: &mut Words, links: &mut Vec<Location>) {
        for (pos, item) in frame.items() {
            match item {
                FrameItem::Group(g) => {
                    let ts = ts
                        .pre_concat(Transform::translate(pos.x, pos.y))
                        .pre_concat(g.transform);
                    walk(&g.frame, ts, words, links)
                }
                FrameItem::Text(t) => {
                    let at = pos.transform(ts);
                    let (y, x) = ((at.y.to_pt() * 2.0).round(), (at.x.to_pt() * 100.0).round());
                    words.push((y as i64, x as i64, t.text.to_string()));
                }
                FrameItem::Link(Destination::Location(at), _) => links.push(*at),
                _ => {}
            }
        }
    }
    let pages: Vec<(String, Vec<Location>)> = document
        .pages()
        .iter()
        .map(|page| {
            let (mut words, mut links) = (Vec::new(), Vec::new());
            walk(&page.frame, Transform::identity(), &mut words, &mut links);
            words.sort();
            let mut text = String::new();
            let mut line = None;
            for (y, _, word) in words {
                text.push_str(match line {
                    None => "",
                    Some(at) if at == y => " ",
                    Some(_) => "\n",
                });
                line = Some(y);
                text.push_str(&word);
            }
            let words: Vec<String> = text
                .lines()
                .map(|l| {
                    let w: Vec<&str> = l.split_whitespace().filter(|w| *w != "\u{2060}").collect();
                    w.join(" ").replace('\u{2060}', "")
                })
                .collect();
            (words.join("\n") + "\n", links)
        })
        .collect();
    // The contents are the pages that list topics without their text.
    let contents: Vec<usize> = (0..pages.len())
        .filter(|&i| pages[i].0.contains("Topic") && !pages[i].0.contains("says"))
        .collect();
    assert!(contents.len() >= 2, "{contents:?}");

    let headings = introspector.query(&HeadingElem::ELEM.select());
    for c in 1..=3 {
        for s in 1..=20 {
            let title = format!("Topic {c}-{s}");
            let heading = headings
                .iter()
                .find(|h| h.plain_text().ends_with(&title))
                .and_then(|h| h.location())
                .unwrap_or_else(|| panic!("no heading {title}"));
            let page = introspector.page(heading).unwrap().get();
            // The contents line: number, title and the page the heading is on, as its
            // footer or header numbers it.
            let line = format!("{c}.{s} {title} {}", document.pages()[page - 1].number);
            let listed: Vec<usize> = contents
                .iter()
                .copied()
                .filter(|&i| pages[i].0.contains(&format!("{line}\n")))
                .collect();
            assert_eq!(listed.len(), 1, "{line:?} in the contents");
            // The line links to the heading, and so does the reference to it.
            assert!(pages[listed[0]].1.contains(&heading), "{line}: no link");
            assert!(
                (0..pages.len()).any(|i| !contents.contains(&i) && pages[i].1.contains(&heading)),
                "no reference links to {title}"
            );
        }
    }
    // Running heads, put on after layout: a chapter's later pages carry its title and
    // their number on the outer edge (the number first on even pages); its first page
    // has none, only its number at the foot.
    let opening: Vec<usize> = headings
        .iter()
        .filter(|h| h.plain_text().contains("Chapter"))
        .map(|h| introspector.page(h.location().unwrap()).unwrap().get() - 1)
        .collect();
    assert_eq!(opening.len(), 3, "{opening:?}");
    for (c, &first) in opening.iter().enumerate() {
        let end = opening.get(c + 1).copied().unwrap_or(pages.len());
        assert!(end - first > 3, "chapter {c} is {} pages", end - first);
        let number = |i: usize| document.pages()[i].number;
        let head = pages[first]
            .0
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(
            head.contains("Chapter"),
            "a head on the opening page: {head:?}"
        );
        let foot = pages[first]
            .0
            .lines()
            .last()
            .unwrap_or_default()
            .to_string();
        assert_eq!(foot, number(first).to_string());
        for (i, (text, _)) in pages.iter().enumerate().take(end).skip(first + 1) {
            let head = text.lines().next().unwrap_or_default();
            let title = format!("{} Chapter {}", c + 1, c + 1);
            let expected = if number(i) % 2 == 0 {
                format!("{} {title}", number(i))
            } else {
                format!("{title} {}", number(i))
            };
            assert_eq!(head, expected, "page {}", i + 1);
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A chapter long enough for several pages, under `title`.
fn long_chapter(title: &str) -> String {
    let mut chapter = format!("# {title}\n\n");
    for s in 1..=6 {
        chapter.push_str(&format!(
            "## Part {s}\n\n{}\n\n",
            "The words of the chapter go on. ".repeat(120)
        ));
    }
    chapter
}

/// Each page's text, from the first page of the chapter on (the first page whose text
/// has `opening`).
fn chapter_pages(document: &typst_layout::PagedDocument, opening: &str) -> Vec<String> {
    let pages: Vec<String> = document_text(document)
        .split('\u{c}')
        .map(str::to_string)
        .collect();
    let first = pages
        .iter()
        .position(|p| p.contains(opening) && !p.contains("Contents"))
        .expect("the chapter");
    pages[first..]
        .iter()
        .filter(|p| !p.is_empty())
        .cloned()
        .collect()
}

#[test]
fn a_running_head_shows_the_chapter_s_title_with_its_math_and_images() {
    let icon = r#"<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="red"/></svg>"#;
    let dir = book_dir(
        "heads",
        &[
            ("book.toml", "[book]\ntitle = \"H\"\n"),
            ("index.md", "# H\n\n```toc\n:numbered:\n\nch1\n```\n"),
            (
                "ch1.md",
                &long_chapter("Gradients of $f(x)$ ![icon](img/icon.svg) here"),
            ),
            ("img/icon.svg", icon),
        ],
    );
    let loaded = load(&dir);
    let (compiled, diags) = compile(&loaded.ctx(), &PdfTheme::default(), None);
    assert!(diags.is_empty(), "{diags:#?}");
    let document = compiled.expect("a document").document;
    let pages = chapter_pages(&document, "Gradients of");
    assert!(pages.len() >= 3, "{pages:?}");
    // The opening page has the title once (its heading), and its number at the foot.
    assert_eq!(pages[0].matches("Gradients of").count(), 1, "{}", pages[0]);
    assert!(pages[0].trim_end().ends_with(" 1"), "{}", pages[0]);
    for (i, page) in pages.iter().enumerate().skip(1) {
        assert!(page.contains("Gradients of"), "page {}: {page}", i + 1);
        assert!(page.contains('𝑓'), "page {}: {page}", i + 1);
        assert!(
            page.contains(&format!(" {} ", i + 1)),
            "page {}: {page}",
            i + 1
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_template_without_furniture_keeps_its_own_running_heads() {
    // A book's own template written before `furniture`: it sets its own running head,
    // which asks for the page number; Typst lays it out until that settles.
    let template = gen::BOOK_TEMPLATE
        .replace("#let furniture(", "#let not-furniture(")
        .replace(
            "  set page(numbering: \"1\")\n  body\n}",
            "  set page(numbering: \"1\", header: context [Own head #counter(page).display()])\n  body\n}",
        );
    assert!(template.contains("Own head") && !template.contains("#let furniture("));
    let dir = book_dir(
        "own-heads",
        &[
            ("book.toml", "[book]\ntitle = \"O\"\n"),
            ("index.md", "# O\n\n```toc\n:numbered:\n\nch1\n```\n"),
            ("ch1.md", &long_chapter("Own Chapter")),
        ],
    );
    let loaded = load(&dir);
    let theme = PdfTheme {
        book: Some(template),
        math: None,
    };
    let (compiled, diags) = compile(&loaded.ctx(), &theme, None);
    assert!(diags.is_empty(), "{diags:#?}");
    let document = compiled.expect("a document").document;
    let pages = chapter_pages(&document, "Own Chapter");
    assert!(pages.len() >= 3, "{pages:?}");
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains(&format!("Own head {}", i + 1)),
            "page {}: {page}",
            i + 1
        );
        // None of the built-in furniture: no running head with the chapter's title.
        assert_eq!(
            page.matches("Own Chapter").count(),
            usize::from(i == 0),
            "{page}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
