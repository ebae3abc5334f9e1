//! The math test page (`tests/books/math`): its formulas come out of the site spaced as
//! TeX spaces them, and every one of them typesets in the PDF too.

mod common;
use common::TempBook;
use std::sync::OnceLock;

/// The math fixture, built once (HTML) for all tests here.
fn book() -> &'static TempBook {
    static BOOK: OnceLock<TempBook> = OnceLock::new();
    BOOK.get_or_init(|| {
        let book = TempBook::fixture("math");
        let run = book.run(&["--strict", "build", "html", "--no-eval"]);
        assert!(run.ok, "{}", run.stderr);
        book
    })
}

/// The MathML of the formula whose TeX is `tex`, without its annotation.
fn formula(page: &str, tex: &str) -> String {
    let page = book().page(page);
    let annotation = format!("<annotation encoding=\"application/x-tex\">{tex}</annotation>");
    let end = page
        .find(&annotation)
        .unwrap_or_else(|| panic!("no formula {tex}"));
    let start = page[..end].rfind("<math").unwrap();
    page[start..end].to_string()
}

const ZERO: &str = r#"lspace="0" rspace="0""#;
const SIGN: &str = r#"<mo form="prefix" lspace="0" rspace="0">−</mo>"#;
const THIN: &str = r#"<mspace width="0.1667em"/>"#;

#[test]
fn relations_and_operators_in_scripts_have_no_space() {
    let sub = formula("scripts.html", "x_{t-1}");
    assert!(
        sub.contains(&format!("<mi>t</mi><mo {ZERO}>−</mo><mn>1</mn>")),
        "{sub}"
    );
    let sum = formula("scripts.html", r"\sum_{i=1}^{n} (y_i - \hat{y}_i)^2");
    assert!(
        sum.contains(&format!("<mi>i</mi><mo {ZERO}>=</mo><mn>1</mn>")),
        "{sum}"
    );
    // No space between the sum and its parenthesis, as in TeX.
    assert!(
        sum.contains(r#"<munderover><mo lspace="0" rspace="0">∑</mo>"#),
        "{sum}"
    );
    // The subtraction on the baseline stays a spaced binary operator.
    assert!(sum.contains("<mi>i</mi></msub><mo>−</mo><msub>"), "{sum}");
    let space = formula("scripts.html", r"\mathbf{X} \in \mathbb{R}^{m \times n}");
    assert!(
        space.contains(&format!("<mi>m</mi><mo {ZERO}>×</mo><mi>n</mi>")),
        "{space}"
    );
}

#[test]
fn a_leading_minus_is_a_prefix_sign() {
    let vector = formula("scripts.html", "[2, -3.4]");
    assert!(
        vector.contains(&format!("<mo separator=\"true\">,</mo>{SIGN}<mn>3.4</mn>")),
        "{vector}"
    );
    let power = formula("scripts.html", "(-1)^n");
    assert!(
        power.contains(&format!("(</mo>{SIGN}<mn>1</mn>")),
        "{power}"
    );
    let exponent = formula("scripts.html", "e^{-x}");
    assert!(
        exponent.contains(&format!("<mrow>{SIGN}<mi>x</mi>")),
        "{exponent}"
    );
    // |x_i| without the upright variant that Firefox would space.
    let norm = formula(
        "scripts.html",
        r"\max_{1 \leq i \leq n} |x_i| \leq \|\mathbf{x}\|_2",
    );
    assert!(norm.contains("<mi>∣</mi><msub><mi>x</mi>"), "{norm}");
    let both = formula(
        "scripts.html",
        r"x - y, \quad x = -y, \quad x + (-y), \quad \{-1, +1\}",
    );
    assert!(both.contains("<mi>x</mi><mo>−</mo><mi>y</mi>"), "{both}");
    assert!(
        both.contains(&format!("<mo>=</mo>{SIGN}<mi>y</mi>")),
        "{both}"
    );
}

#[test]
fn operator_names_are_set_off_from_their_argument() {
    let argmin = formula(
        "scripts.html",
        r"\hat{\mathbf{w}} = \operatorname*{argmin}_{\mathbf{w}} \mathcal{L}(\mathbf{w})",
    );
    assert!(
        argmin.contains(&format!("</munder>{THIN}<mi>ℒ</mi>")),
        "{argmin}"
    );
    // The name and its `⁡` in a row of their own, which Firefox does not space.
    let name = "<mrow><mi>log</mi><mo>\u{2061}</mo></mrow>";
    let log = formula("scripts.html", r"\log x");
    assert!(log.contains(&format!("{name}{THIN}<mi>x</mi>")), "{log}");
    // No space before an opening parenthesis.
    let call = formula("scripts.html", r"\log(x)");
    assert!(
        call.contains(&format!("{name}<mo stretchy=\"false\">(</mo>")),
        "{call}"
    );
    // Upright ∂ and narrow hats, as in the PDF.
    let partial = formula(
        "structures.html",
        r"\frac{1}{\sqrt{d}}, \quad \sqrt[3]{x}, \quad \frac{\partial^2 f}{\partial x_i \partial x_j}, \quad \frac{e^{x_i}}{\sum_j e^{x_j}}",
    );
    assert!(
        partial.contains("<msup><mtext>∂</mtext><mn>2</mn></msup>"),
        "{partial}"
    );
    let hat = formula("scripts.html", r"\hat{y} = \arg\max_{j} \hat{y}_j");
    assert!(
        hat.contains("<mi>y</mi><mo stretchy=\"false\">ˆ</mo>"),
        "{hat}"
    );
    let softmax = formula("scripts.html", r"\operatorname{softmax}(\mathbf{o})");
    assert!(!softmax.contains("<mspace"), "{softmax}");
}

#[test]
fn fences_are_tight_and_matrix_rows_have_a_strut() {
    let fences = formula(
        "structures.html",
        r"\left(\frac{1}{2}\right), \quad \left[\frac{a}{b}\right], \quad \left\{x\right\}, \quad \left|\frac{x}{y}\right|",
    );
    assert!(
        fences.contains(&format!("<mo fence=\"true\" {ZERO}>(</mo><mfrac>")),
        "{fences}"
    );
    assert!(
        fences.contains(&format!(
            "<mo fence=\"true\" {ZERO} stretchy=\"true\">∣</mo><mfrac>"
        )),
        "{fences}"
    );
    // The fenced content is one row, which Firefox measures whole.
    let sum = formula(
        "structures.html",
        r"\left(\sum_{i=1}^n x_i\right)^2 \leq n \sum_{i=1}^n x_i^2",
    );
    assert!(
        sum.contains(&format!(
            "<mo fence=\"true\" {ZERO}>(</mo><mrow><munderover>"
        )),
        "{sum}"
    );
    let matrix = formula(
        "structures.html",
        r"\mathbf{A}^\top = \begin{bmatrix} 1 &amp; 3 \\ 2 &amp; 4 \end{bmatrix}, \quad \mathbf{I} = \begin{bmatrix} 1 &amp; 0 &amp; 0 \\ 0 &amp; 1 &amp; 0 \\ 0 &amp; 0 &amp; 1 \end{bmatrix}",
    );
    assert!(
        matrix.contains(r#"<mtable rowspacing="0" columnalign="center center" columnspacing="0"><mtr><mtd><mspace height="0.84em" depth="0.36em"/>"#),
        "{matrix}"
    );
    // The stylesheet is then all the space between cells, in every browser.
    let css = book().page("theme/d2lbook.css");
    assert!(
        css.contains(
            r#"math mtable[columnalign^="center"] > mtr > mtd { padding: 0.05em 0.5em; }"#
        ),
        "matrix cells"
    );
    assert!(
        css.contains("padding: 0.15em 0 0.15em 1em;"),
        "aligned rows"
    );
}

#[test]
fn every_formula_of_the_page_typesets_in_the_pdf() {
    let book = TempBook::fixture("math");
    let run = book.run(&["--strict", "build", "pdf", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    assert!(book.root.join("_build/pdf/math-test-page.pdf").is_file());
}
