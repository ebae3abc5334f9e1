//! Text as a reader sees it: one space where the source wrapped a line (none between CJK
//! characters), curly quotes and dashes, and code in the PDF wrapped between tokens and
//! kept on one page when short.

mod common;
use common::{one_section_book, pdftotext, TempBook};
use std::process::Command;

/// A paragraph wrapped at about 60 columns, as authors wrap them.
const WRAPPED: &str = "Machine learning is the study of computer programs that
improve with experience. Rather than writing down the rules
specifying how a program should behave, we let it learn them
from data, and we measure how well it does on examples that
it has never seen before, which is what generalization means
for the practitioner who has to ship the model in the end.
";

fn build_pdf(book: &TempBook) -> std::path::PathBuf {
    let run = book.run(&["build", "pdf"]);
    assert!(run.ok, "{}", run.stderr);
    let dir = book.root.join("_build/pdf");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .expect("a PDF")
}

/// A word of the PDF with its left and right edges.
type Word = (f64, f64, String);

/// The words of each text line of the PDF (poppler's `pdftotext -bbox`), in reading
/// order.
fn lines_of_words(pdf: &std::path::Path) -> Vec<Vec<Word>> {
    let out = Command::new("pdftotext")
        .arg("-bbox")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    let xml = String::from_utf8_lossy(&out.stdout).into_owned();
    let attr = |tag: &str, name: &str| -> f64 {
        let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        tag[start..].split('"').next().unwrap().parse().unwrap()
    };
    let mut lines: Vec<Vec<Word>> = Vec::new();
    let mut last_y = f64::NAN;
    for part in xml.split('<').skip(1) {
        if part.starts_with("page ") {
            last_y = f64::NAN;
        } else if let Some(tag) = part.strip_prefix("word ") {
            let (tag, word) = tag.split_once('>').unwrap();
            let y = attr(tag, "yMin");
            let word = (attr(tag, "xMin"), attr(tag, "xMax"), word.to_string());
            if (y - last_y).abs() < 2.0 {
                lines.last_mut().unwrap().push(word);
            } else {
                lines.push(vec![word]);
            }
            last_y = y;
        }
    }
    lines
}

#[test]
fn a_wrapped_paragraph_has_even_word_spaces_in_the_pdf() {
    let book = one_section_book(&format!("# Wrapped\n\n{WRAPPED}"));
    let pdf = build_pdf(&book);
    let lines = lines_of_words(&pdf);
    let mut checked = 0;
    for words in &lines {
        if !words.iter().any(|w| {
            ["experience.", "specifying", "learn", "generalization"].contains(&w.2.as_str())
        }) {
            continue;
        }
        // Justified text stretches every space of a line alike: a source line break
        // that became two spaces shows as a gap twice as wide as the others.
        let gaps: Vec<f64> = words.windows(2).map(|w| w[1].0 - w[0].1).collect();
        let (min, max) = gaps
            .iter()
            .fold((f64::MAX, 0f64), |(a, b), &g| (a.min(g), b.max(g)));
        let text: Vec<&str> = words.iter().map(|w| w.2.as_str()).collect();
        assert!(
            max < min * 1.3,
            "uneven spaces ({min:.2} to {max:.2} pt) in: {}",
            text.join(" ")
        );
        checked += 1;
    }
    assert!(
        checked >= 2,
        "the paragraph's lines were not found: {lines:?}"
    );
}

#[test]
fn no_space_where_a_line_break_joins_cjk_characters() {
    let body = "# 日本語\n:label:`sec_ja`\n\n深層学習は機械学習の\n一分野であり、\n多層のネットワークを使う。\n\
                節は\n:ref:`sec_ja`\nです。English\nwords keep their space.\n";
    let book = TempBook::empty("cjk").with(&[
        (
            "book.toml",
            "[book]\ntitle = \"T\"\nlanguage = \"ja\"\nsrc = \"src\"\n",
        ),
        ("src/index.md", "# T\n\n```toc\nsec\n```\n"),
        ("src/sec.md", body),
    ]);
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("sec.html");
    assert!(
        page.contains("深層学習は機械学習の一分野であり、多層のネットワークを使う。"),
        "{page}"
    );
    // The reference's text is what the break's neighbour is.
    assert!(page.contains("節は<a "), "{page}");
    assert!(page.contains("</a>です。English\nwords"), "{page}");

    let text = pdftotext(&build_pdf(&book));
    assert!(
        text.contains("深層学習は機械学習の一分野であり、多層のネットワークを使う。"),
        "{text}"
    );
    assert!(text.contains("節は日本語です。"), "{text}");
    assert!(text.contains("English words keep"), "{text}");
}

#[test]
fn quotes_and_dashes_are_typographic_outside_code_and_math() {
    let body = "# Quotes\n\nWe write \"rules\" -- or rather---programs; it's\n\
                `\"code\" -- 'kept'` and $a--b$.\n";
    let book = one_section_book(body);
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("sec.html");
    assert!(
        page.contains("We write “rules” – or rather—programs; it’s"),
        "{page}"
    );
    assert!(
        page.contains("<code>&quot;code&quot; -- &#39;kept&#39;</code>"),
        "{page}"
    );
    assert!(page.contains("<annotation encoding=\"application/x-tex\">a--b</annotation>"));
    let text = pdftotext(&build_pdf(&book));
    assert!(
        text.contains("“rules” – or rather—programs; it’s"),
        "{text}"
    );
    assert!(text.contains("\"code\" -- 'kept'"), "{text}");
}

#[test]
fn long_code_lines_wrap_between_tokens_with_a_mark() {
    // Lines of `->` at every offset: whatever the column count, one of them reaches the
    // end of a line right inside an arrow.
    let mut code = String::new();
    for i in 0..12 {
        code.push_str(&"x".repeat(i));
        for c in 'a'..='t' {
            code.push_str(&format!("f({c})->"));
        }
        code.push_str("end\n");
    }
    let book = one_section_book(&format!("# Code\n\n```rust\n{code}```\n"));
    let text = pdftotext(&build_pdf(&book));
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.contains("->") || l.starts_with('↪'))
        .collect();
    assert!(lines.iter().any(|l| l.starts_with('↪')), "{text}");
    for l in &lines {
        assert!(!l.ends_with('-'), "a line ends inside `->`: {l}");
        assert!(!l.starts_with("↪ >"), "a line starts inside `->`: {l}");
    }
    // Nothing is lost: the marks and breaks removed, the code reads as written.
    let joined: String = lines
        .iter()
        .map(|l| l.trim_start_matches("↪ "))
        .collect::<Vec<_>>()
        .concat();
    assert_eq!(joined, code.replace('\n', ""));
}

#[test]
fn code_wraps_at_the_width_of_the_books_paper() {
    // 64 columns: a line of code on A4 holds about 90, on A5 about 55.
    let line = "let total = first_value + second_value + third_value + fourth_v;";
    let book = one_section_book(&format!("# Code\n\n```rust\n{line}\nlet short = 1;\n```\n"));
    let marked = |text: &str| text.lines().any(|l| l.trim_start().starts_with("↪ "));
    let text = pdftotext(&build_pdf(&book));
    assert!(text.contains(line) && !marked(&text), "{text}");
    book.write(
        "book.toml",
        "[book]\ntitle = \"T\"\nsrc = \"src\"\n[pdf]\npaper = \"a5\"\n",
    );
    let text = pdftotext(&build_pdf(&book));
    assert!(marked(&text), "{text}");
    let code: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("let total") || l.starts_with("↪ "))
        .collect();
    assert_eq!(code.len(), 2, "{text}");
    assert_eq!(
        format!("{} {}", code[0], code[1].trim_start_matches("↪ ")),
        line
    );
}

#[test]
fn short_code_blocks_are_never_split_across_pages() {
    let mut body = String::from("# Blocks\n\n");
    for k in 0..40 {
        // Paragraphs of different lengths move the blocks to every height of a page.
        body.push_str(&"Filler words to move the next block down the page. ".repeat(k % 7 + 1));
        body.push_str("\n\n```rust\n");
        for j in 0..8 {
            body.push_str(&format!("let block{k}_line{j} = {j};\n"));
        }
        body.push_str("```\n\n");
    }
    let book = one_section_book(&body);
    let text = pdftotext(&build_pdf(&book));
    let pages: Vec<&str> = text.split('\u{c}').collect();
    assert!(pages.len() > 4, "{}", pages.len());
    for k in 0..40 {
        let first = pages
            .iter()
            .position(|p| p.contains(&format!("let block{k}_line0 ")))
            .unwrap();
        let last = pages
            .iter()
            .position(|p| p.contains(&format!("let block{k}_line7 ")))
            .unwrap();
        assert_eq!(first, last, "block {k} is split across pages");
    }
}
