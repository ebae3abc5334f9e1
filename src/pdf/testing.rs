//! Helpers for tests here and in `render::typst`: a book loaded, parsed and resolved the
//! way `build` does it, and the text of a laid-out document.
use crate::book::Book;
use crate::diag::Diagnostic;
use crate::doc::Doc;
use crate::i18n::Words;
use crate::render::RenderContext;
use crate::resolve::Resolution;
use std::path::{Path, PathBuf};
use typst::layout::{Frame, FrameItem};

pub struct Loaded {
    pub book: Book,
    pub docs: Vec<Doc>,
    pub resolution: Resolution,
    pub words: Words,
    pub diags: Vec<Diagnostic>,
}

impl Loaded {
    pub fn ctx(&self) -> RenderContext<'_> {
        RenderContext {
            book: &self.book,
            docs: &self.docs,
            resolution: &self.resolution,
            words: &self.words,
        }
    }
}

pub fn load(root: &Path) -> Loaded {
    let (book, mut diags) = Book::load(root)
        .map_err(|d| d.message)
        .expect("the book loads");
    let src_dir = book.src_dir();
    let mut docs = Vec::new();
    for section in &book.sections {
        let dir = src_dir.join(&section.src);
        let dir = dir.parent().unwrap_or(&src_dir).to_path_buf();
        let (doc, d) = if section.src.ends_with(".ipynb") {
            crate::parse::parse_notebook(&section.text, &section.file, &dir, &book.fence)
        } else {
            crate::parse::parse_markdown(&section.text, &section.file, &dir, &book.fence)
        };
        diags.extend(d);
        docs.push(doc);
    }
    let (words, _) = Words::new(&book.config.book.language, &book.config.labels);
    let (resolution, d) = crate::resolve::resolve(&book, &mut docs, &words);
    diags.extend(d);
    Loaded {
        book,
        docs,
        resolution,
        words,
        diags,
    }
}

/// A fresh folder holding `files` (path, content).
pub fn book_dir(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("d2lbook-pdf-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, content) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

/// The text of every page, pages separated by a form feed.
pub fn document_text(doc: &typst_layout::PagedDocument) -> String {
    fn walk(frame: &Frame, out: &mut String) {
        for (_, item) in frame.items() {
            match item {
                FrameItem::Group(g) => walk(&g.frame, out),
                FrameItem::Text(t) => {
                    out.push_str(&t.text);
                    out.push(' ');
                }
                _ => {}
            }
        }
    }
    let mut out = String::new();
    for page in doc.pages() {
        walk(&page.frame, &mut out);
        out.push('\u{c}');
    }
    out
}

pub const BIB: &str = r#"
@Book{Bishop.2006,
  Author = {Bishop, Christopher M.},
  title = {Pattern Recognition and Machine Learning},
  publisher = {Springer}, year = {2006}}
@inproceedings{He.Zhang.Ren.ea.2016*1,
  author = {He, Kaiming and Zhang, Xiangyu and Ren, Shaoqing and Sun, Jian},
  title = {Identity mappings in deep residual networks},
  booktitle = {ECCV}, year = {2016}}
"#;

pub const SVG: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="600" height="200" viewBox="0 0 600 200"><rect x="10" y="10" width="580" height="180" fill="steelblue"/></svg>"#;

/// A small English book: a chapter with a figure, an equation, references, a code
/// cell, a table, and a references page.
pub fn tiny_book(name: &str, chapter: &str) -> PathBuf {
    book_dir(
            name,
            &[
                ("book.toml", "[book]\ntitle = \"Tiny #Book\"\nauthors = [\"A. Author\"]\nrelease = \"0.1\"\nbibliography = \"refs.bib\"\n"),
                ("index.md", "# Tiny\n\nThe intro.\n\n```toc\n:numbered:\n\nch1\n```\n\n```toc\n:maxdepth: 1\n\nrefs\n```\n"),
                ("ch1.md", chapter),
                ("refs.md", "# References\n\n:bibliography:`refs.bib`\n"),
                ("refs.bib", BIB),
                ("img/fig.svg", SVG),
            ],
        )
}

pub const CHAPTER: &str = r#"# Chapter One
:label:`sec_one`

Literal #let x = 1 and \$5 and * and a < b > c and `raw` and @key and [x] and "quotes" and \\ and // no comment.

See :numref:`fig_one`, :eqref:`eq_one`, :numref:`tab_one`, :numref:`sec_two` and :ref:`sec_one`, as in :cite:`Bishop.2006,He.Zhang.Ren.ea.2016*1` and :citet:`Bishop.2006`.

![A *figure* with $x^2$](img/fig.svg)
:width:`400px`
:label:`fig_one`

$$\hat{y} = \mathbf{w}^\top \mathbf{x} + b.$$
:eqlabel:`eq_one`

## Two
:label:`sec_two`

:Ops
:label:`tab_one`

| a | b |
|:-|-:|
| $x$ | 2 |

```{.rust .input}
let x = 1;
x
```

- item with $\alpha$
- item two
"#;
