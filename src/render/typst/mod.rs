//! IR → Typst markup for the PDF. The generated file imports the book's design
//! (`templates/book.typ`, as the module `d2l`) and the LaTeX math scope (`templates/math.typ`),
//! and holds the whole book in reading order.
//!
//! No text of the book is ever written as Typst markup: every piece of text goes through a
//! string literal (`#"…"`), so nothing in a chapter can inject Typst code. Math is converted
//! from LaTeX by `mitex` and checked to parse as exactly one equation before it is emitted.
//! Numbers and reference texts are the ones `resolve` made for HTML (citations and
//! bibliography entries as inlines, rendered like any others); every target gets a Typst
//! label named after its HTML page and anchor, and references link to it.
//!
//! `math` converts formulas, `lang` picks languages and fonts, `text` reads outputs that
//! arrive as HTML or base64; the `Writer` here walks the IR.

mod lang;
mod math;
mod text;

use super::RenderContext;
use crate::diag::Diagnostic;
use crate::doc::*;
use crate::resolve::{number_text, Kind};
pub use lang::{cjk_families, font_lists, lang_region};
pub use math::convert_math;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use text::{base64, html_text};

/// The design of the book (title page, outline, headings, code, figures).
pub const BOOK_TEMPLATE: &str = include_str!("../../../templates/book.typ");
/// The Typst scope mitex's output calls (`mitexmathbf`, `aligned`, `pmatrix`, …).
pub const MATH_TEMPLATE: &str = include_str!("../../../templates/math.typ");

/// Virtual paths of the files the generated markup reads.
pub const MAIN_PATH: &str = "/main.typ";
pub const BOOK_PATH: &str = "/_d2lbook/book.typ";
pub const MATH_PATH: &str = "/_d2lbook/math.typ";

/// The generated Typst source of the whole book and what compiling it needs.
#[derive(Clone, Default)]
pub struct Generated {
    pub main: String,
    /// Generated line (0-based) → the source span it came from, where known.
    pub lines: Vec<Option<Span>>,
    pub diags: Vec<Diagnostic>,
    /// Images of the book: (virtual path, file on disk).
    pub images: Vec<(String, PathBuf)>,
    /// Files made in memory (figures that cells output): (virtual path, bytes).
    pub blobs: Vec<(String, Vec<u8>)>,
    /// Every piece of math emitted as Typst math, with its byte range in `main`.
    pub maths: Vec<MathSite>,
    /// The labels `main` attaches, sorted.
    pub labels: Vec<String>,
    /// The arguments of the template's `book` but its introduction (title, fonts,
    /// paper, ...), one `name: value,` per line.
    pub style: String,
    /// The level-1 headings (parts and chapters), in order: each one's label and its
    /// title as markup.
    pub chapters: Vec<(String, String)>,
}

/// One equation or inline formula of the generated source.
#[derive(Debug, Clone)]
pub struct MathSite {
    /// Index in emission order: the key for `Options::fallback`.
    pub id: usize,
    /// Byte range of the Typst equation in `Generated::main`.
    pub range: Range<usize>,
    pub tex: String,
    pub span: Span,
    pub display: bool,
}

/// Knobs of a generation round.
#[derive(Default, Clone)]
pub struct Options {
    /// Math (by `MathSite::id`) to show as LaTeX source, with the reason (a Typst error).
    pub fallback: HashMap<usize, String>,
    /// The font families installed (lower case); when given, font lists keep only these.
    pub families: Option<HashSet<String>>,
}

/// The Typst source of the book.
pub fn markup(ctx: &RenderContext) -> Generated {
    markup_with(ctx, &Options::default())
}

/// The Typst source of the book, with the math of `options.fallback` shown as source.
pub fn markup_with(ctx: &RenderContext, options: &Options) -> Generated {
    // A link to a label that is not in the document is an error in Typst; the labels that
    // exist are only known once everything is rendered, so render twice.
    let first = Writer::new(ctx, options, None).run();
    Writer::new(ctx, options, Some(first.defined))
        .run()
        .generated
}

/// A Typst string literal (with its quotes) showing `text` as it is.
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

struct Rendered {
    generated: Generated,
    defined: HashSet<String>,
}

struct Writer<'a> {
    ctx: &'a RenderContext<'a>,
    options: &'a Options,
    /// Labels known to exist (second round); `None` in the first round.
    known: Option<HashSet<String>>,
    out: String,
    /// (byte offset, span): from here on, the generated text comes from `span`.
    marks: Vec<(usize, Span)>,
    diags: Vec<Diagnostic>,
    images: Vec<(String, PathBuf)>,
    image_seen: HashSet<String>,
    blobs: Vec<(String, Vec<u8>)>,
    bibliography_done: bool,
    maths: Vec<MathSite>,
    math_count: usize,
    defined: HashSet<String>,
    style: String,
    chapters: Vec<(String, String)>,
    /// The current section (index into the book).
    section: usize,
    /// Folder of the current section relative to the source folder.
    dir: PathBuf,
    /// Quotes and lists, and inline markup, the output is inside (see `MAX_NESTING`).
    block_depth: usize,
    inline_depth: usize,
}

/// How deep the markup nests quotes and lists, and separately emphasis and links. Typst
/// stops at 256 levels of syntax and 72 of layout, and each level here takes several;
/// the IR may nest deeper (up to `parse::MAX_NESTING`), and its deeper levels are laid
/// out at this depth. No printed page needs more.
const MAX_NESTING: usize = 16;

impl<'a> Writer<'a> {
    fn new(
        ctx: &'a RenderContext<'a>,
        options: &'a Options,
        known: Option<HashSet<String>>,
    ) -> Self {
        Writer {
            ctx,
            options,
            known,
            out: String::new(),
            marks: Vec::new(),
            diags: Vec::new(),
            images: Vec::new(),
            image_seen: HashSet::new(),
            blobs: Vec::new(),
            bibliography_done: false,
            maths: Vec::new(),
            math_count: 0,
            defined: HashSet::new(),
            style: String::new(),
            chapters: Vec::new(),
            section: 0,
            dir: PathBuf::new(),
            block_depth: 0,
            inline_depth: 0,
        }
    }

    fn run(mut self) -> Rendered {
        let book = self.ctx.book;
        let config = &book.config;
        let (lang, region) = lang_region(&config.book.language);
        let (fonts, code_fonts) = font_lists(self.ctx, self.options.families.as_ref());
        let words = self.ctx.words;
        self.out.push_str(
            "// Generated by d2lbook from the book's sources: edit those, not this file.\n",
        );
        let _ = writeln!(self.out, "#import {} as d2l", string(BOOK_PATH));
        let _ = writeln!(self.out, "#import {}: *", string(MATH_PATH));
        // A book's own template written before `cell` existed still builds: a cell is
        // then its code and outputs one after the other.
        self.out
            .push_str("#let d2l-cell = dictionary(d2l).at(\"cell\", default: body => body)\n");
        self.out.push_str(
            "#let d2l-short-cell = dictionary(d2l).at(\"short-cell\", default: d2l-cell)\n",
        );
        self.out
            .push_str("#let d2l-to = dictionary(d2l).at(\"to\", default: label => label)\n");
        // The book's settings, which the page furniture (`pdf::furniture`) is laid out with too.
        let mut style = String::new();
        let _ = writeln!(style, "  title: {},", string(&config.book.title));
        let _ = writeln!(style, "  authors: {},", array(&config.book.authors));
        let _ = writeln!(style, "  release: {},", string(&config.book.release));
        let _ = writeln!(style, "  lang: {},", string(&lang));
        match &region {
            Some(r) => {
                let _ = writeln!(style, "  region: {},", string(r));
            }
            None => style.push_str("  region: none,\n"),
        }
        let _ = writeln!(style, "  paper: {},", string(&config.pdf.paper));
        let _ = writeln!(style, "  fonts: {},", array(&fonts));
        let _ = writeln!(style, "  code-fonts: {},", array(&code_fonts));
        let _ = writeln!(style, "  contents: {},", string(&words.contents));
        self.out.push_str("#show: d2l.book.with(\n");
        self.out.push_str(&style);
        self.style = style;
        // The root index.md: its title is the title page; its prose opens the book.
        let intro: Vec<Block> = match (self.ctx.docs.first(), book.sections.is_empty()) {
            (Some(doc), false) => doc
                .blocks
                .iter()
                .filter(|b| {
                    !matches!(b, Block::Heading(h) if h.level == 1)
                        && !matches!(b, Block::Toc(_) | Block::RawHtml { .. })
                })
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        if intro.is_empty() {
            self.out.push_str("  intro: none,\n)\n");
        } else {
            self.out.push_str("  intro: [\n");
            self.enter_section(0);
            self.blocks(&intro);
            self.out.push_str("\n  ],\n)\n");
        }
        let mut marks = book.marks.iter().peekable();
        let mut parts = 0;
        for i in 1..book.sections.len().min(self.ctx.docs.len()) {
            // Part titles head the chapters that follow them, as chapters do; labelled,
            // so that the contents can find their pages.
            while let Some(mark) = marks.next_if(|m| m.before <= i) {
                if let crate::book::MarkKind::Part(title) = &mark.kind {
                    parts += 1;
                    let _ = write!(
                        self.out,
                        "\n#heading(level: 1, numbering: none)[#{}]",
                        string(title)
                    );
                    let label = format!("d2lbook-part-{parts}");
                    self.label(&label);
                    self.chapters.push((label, format!("#{}", string(title))));
                    self.out.push_str("\n\n");
                }
            }
            self.enter_section(i);
            let doc = &self.ctx.docs[i];
            self.out.push('\n');
            self.blocks(&doc.blocks);
        }
        if !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        let lines = self.line_spans();
        let mut labels: Vec<String> = self.defined.iter().cloned().collect();
        labels.sort();
        Rendered {
            defined: self.defined,
            generated: Generated {
                labels,
                style: self.style,
                chapters: self.chapters,
                main: self.out,
                lines,
                diags: self.diags,
                images: self.images,
                blobs: self.blobs,
                maths: self.maths,
            },
        }
    }

    fn enter_section(&mut self, i: usize) {
        let section = &self.ctx.book.sections[i];
        self.section = i;
        self.dir = Path::new(&section.src)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        self.mark(&Span {
            file: section.file.as_str().into(),
            line: 1,
            col: 1,
            len: 0,
        });
    }

    fn mark(&mut self, span: &Span) {
        self.marks.push((self.out.len(), span.clone()));
    }

    /// For each generated line: the first mark on it, else the last mark before it.
    fn line_spans(&self) -> Vec<Option<Span>> {
        let mut lines = Vec::new();
        let mut current: Option<&Span> = None;
        let mut next_mark = 0;
        let mut start = 0;
        let text = &self.out;
        while start < text.len() {
            let end = text[start..]
                .find('\n')
                .map_or(text.len(), |n| start + n + 1);
            let mut first_on_line = None;
            while next_mark < self.marks.len() && self.marks[next_mark].0 < end {
                if first_on_line.is_none() && self.marks[next_mark].0 >= start {
                    first_on_line = Some(&self.marks[next_mark].1);
                }
                current = Some(&self.marks[next_mark].1);
                next_mark += 1;
            }
            lines.push(first_on_line.or(current).cloned());
            start = end;
        }
        lines
    }

    // ----- blocks -------------------------------------------------------------------------

    fn blocks(&mut self, blocks: &[Block]) {
        for group in groups(blocks) {
            match group {
                Group::Block(block) => self.block(block),
                Group::Tabs(tabs) => self.tabs(tabs),
            }
        }
    }

    /// A tab group shows its first tab: a page has no buttons to switch tabs.
    /// The PDF is the edition of one framework: the book's default tab (the first of
    /// `[build] tabs`), so a group without it shows only what is for every tab; a book
    /// that names no tabs shows each group's first.
    fn tabs(&mut self, blocks: &[Block]) {
        let order = &self.ctx.book.config.build.tabs;
        let first = match order.first() {
            Some(default) => default.as_str(),
            None => tab_names(blocks, order)[0],
        };
        for b in blocks {
            if let Block::Tab {
                names,
                blocks: inner,
                ..
            } = b
            {
                if in_tab(names, first) {
                    self.blocks(inner);
                }
            }
        }
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Heading(h) => self.heading(h),
            Block::Paragraph(inlines) => {
                if inlines.is_empty() {
                    return;
                }
                self.inlines(inlines);
                self.out.push_str("\n\n");
            }
            Block::Figure(f) => self.figure(f),
            Block::Table(t) => self.table(t),
            Block::Equation(e) => self.equation(e),
            Block::Code(c) => self.code(c),
            Block::List { items, .. } if self.block_depth >= MAX_NESTING => {
                for item in items {
                    self.blocks(item);
                }
            }
            Block::List { start, items } => {
                self.block_depth += 1;
                match start {
                    Some(n) => {
                        let _ = write!(self.out, "#enum(start: {n}");
                    }
                    None => self.out.push_str("#list("),
                }
                let loose = items.iter().any(|item| item.len() > 1);
                if start.is_some() {
                    self.out.push_str(", ");
                }
                let _ = write!(self.out, "tight: {},", !loose);
                for item in items {
                    self.out.push_str("\n[");
                    match item.as_slice() {
                        [Block::Paragraph(inlines)] => self.inlines(inlines),
                        _ => self.blocks(item),
                    }
                    trim_end_newlines(&mut self.out);
                    self.out.push_str("],");
                }
                self.out.push_str(")\n\n");
                self.block_depth -= 1;
            }
            Block::Quote(inner) if self.block_depth >= MAX_NESTING => self.blocks(inner),
            Block::Quote(inner) => {
                self.block_depth += 1;
                self.out.push_str("#d2l.quote[\n");
                self.blocks(inner);
                trim_end_newlines(&mut self.out);
                self.out.push_str("]\n\n");
                self.block_depth -= 1;
            }
            Block::Rule => self.out.push_str("#d2l.rule()\n\n"),
            // The PDF has its own outline; raw HTML has no meaning on paper.
            Block::Toc(_) | Block::RawHtml { .. } => {}
            Block::Tab { .. } => self.tabs(std::slice::from_ref(block)),
            Block::Only { backend, blocks } => {
                if *backend == Backend::Pdf {
                    self.blocks(blocks);
                }
            }
            Block::Bibliography { span, .. } => {
                self.mark(span);
                // The entries as resolve formatted them, so that the PDF and the site agree.
                if let (Some(entries), false) =
                    (&self.ctx.resolution.bibliography, self.bibliography_done)
                {
                    self.bibliography_done = true;
                    self.out.push_str("#d2l.references[\n");
                    for entry in entries {
                        self.out.push_str("#d2l.entry[");
                        self.inlines(&entry.text);
                        self.out.push(']');
                        self.label(&format!("bib-{}", entry.key));
                        self.out.push('\n');
                    }
                    self.out.push_str("]\n\n");
                }
            }
        }
    }

    /// `, number: "図 1.2.1", caption: [...]` of a figure or table, where present.
    fn caption_args(&mut self, kind: Kind, number: &str, caption: &[Inline]) {
        if !number.is_empty() {
            let text = number_text(kind, number, self.ctx.words);
            let _ = write!(self.out, ", number: {}", string(&text));
        }
        if !caption.is_empty() {
            self.out.push_str(", caption: [");
            self.inlines(caption);
            self.out.push(']');
        }
    }

    fn heading(&mut self, h: &Heading) {
        let section = &self.ctx.book.sections[self.section];
        if let Some(label) = &h.label {
            self.mark(&label.span);
        }
        // Chapters (depth 1) open with level 1; deeper sections nest below their chapter.
        let level = (h.level as usize + section.depth.max(1) - 1).clamp(1, 6);
        let _ = write!(self.out, "#heading(level: {level}, numbering: none)[");
        let title = self.out.len();
        if !h.number.is_empty() {
            let _ = write!(self.out, "#d2l.number({})", string(&h.number));
        }
        self.inlines(&h.content);
        let title = self.out[title..].to_string();
        self.out.push(']');
        let anchor = if h.level == 1 { "" } else { h.id.as_str() };
        let label = self.label_name(&Place {
            page: PageId(self.section),
            anchor: anchor.to_string(),
        });
        self.label(&label);
        if level == 1 {
            self.chapters.push((label, title));
        }
        self.out.push_str("\n\n");
    }

    /// Attaches a label to what was just emitted (once per name: Typst needs it unique).
    fn label(&mut self, name: &str) {
        if self.defined.insert(name.to_string()) {
            let _ = write!(self.out, "#label({})", string(name));
        }
    }

    fn target_label(&mut self, label: &Option<Label>) {
        if let Some(l) = label {
            self.label(&self.label_name(&Place {
                page: PageId(self.section),
                anchor: l.name.clone(),
            }));
        }
    }

    /// The Typst label of a place: its section's source path and the anchor (Typst takes
    /// any string as a label, so a label needs no encoding here).
    fn label_name(&self, place: &Place) -> String {
        format!(
            "{}#{}",
            self.ctx.book.sections[place.page.0].src, place.anchor
        )
    }

    fn figure(&mut self, f: &Figure) {
        self.mark(&f.span);
        let path = self.image_path(&f.src, &f.span);
        self.out.push_str("#d2l.figure(");
        match path {
            Some(p) => {
                let _ = write!(self.out, "image({})", string(&p));
            }
            None => {
                let _ = write!(self.out, "d2l.missing({})", string(&f.src));
            }
        }
        if let Some(w) = f.width.as_deref().and_then(length) {
            let _ = write!(self.out, ", width: {w}");
        }
        if let Some(h) = f.height.as_deref().and_then(length) {
            let _ = write!(self.out, ", height: {h}");
        }
        self.caption_args(Kind::Figure, &f.number, &f.caption);
        self.out.push(')');
        self.target_label(&f.label);
        self.out.push_str("\n\n");
    }

    /// The virtual path of an image of the current section, registering the file.
    fn image_path(&mut self, src: &str, span: &Span) -> Option<String> {
        let located = |d: Diagnostic| d.at(span);
        if crate::assets::is_remote(src) {
            self.diags.push(located(Diagnostic::warning(format!(
                "remote image '{src}' is not in the PDF"
            ))));
            return None;
        }
        // A refused image was reported by resolve.
        let asset = self.ctx.resolution.assets.get(self.section, src)?;
        let (rel, path) = (asset.rel.clone(), asset.file.clone());
        let ext = rel.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
        if !matches!(
            ext.as_str(),
            "svg" | "png" | "jpg" | "jpeg" | "gif" | "webp" | "pdf"
        ) {
            self.diags.push(located(Diagnostic::warning(format!(
                "image '{src}' is not in a format the PDF can show (svg, png, jpg, gif, webp, pdf)"
            ))));
            return None;
        }
        let virtual_path = format!("/{rel}");
        if self.image_seen.insert(virtual_path.clone()) {
            self.images.push((virtual_path.clone(), path));
        }
        Some(virtual_path)
    }

    fn table(&mut self, t: &Table) {
        if let Some(l) = &t.label {
            self.mark(&l.span);
        }
        let columns = t
            .head
            .len()
            .max(t.rows.iter().map(Vec::len).max().unwrap_or(0))
            .max(1);
        let align: Vec<&str> = (0..columns)
            .map(|i| match t.align.get(i) {
                Some(Align::Center) => "center",
                Some(Align::Right) => "right",
                _ => "left",
            })
            .collect();
        let _ = write!(
            self.out,
            "#d2l.table(columns: {columns}, align: ({},)",
            align.join(", ")
        );
        self.caption_args(Kind::Table, &t.number, &t.caption);
        self.out.push_str(", header: (");
        for i in 0..columns {
            self.out.push('[');
            if let Some(cell) = t.head.get(i) {
                self.inlines(cell);
            }
            self.out.push_str("], ");
        }
        self.out.push_str("), rows: (");
        for row in &t.rows {
            self.out.push_str("\n  ");
            for i in 0..columns {
                self.out.push('[');
                if let Some(cell) = row.get(i) {
                    self.inlines(cell);
                }
                self.out.push_str("], ");
            }
        }
        self.out.push_str("))");
        self.target_label(&t.label);
        self.out.push_str("\n\n");
    }

    fn equation(&mut self, e: &Equation) {
        self.mark(&e.span);
        let number =
            (!e.number.is_empty()).then(|| number_text(Kind::Equation, &e.number, self.ctx.words));
        self.math(&e.tex, &e.span, true, number.as_deref());
        self.target_label(&e.label);
        self.out.push_str("\n\n");
    }

    /// Math as Typst math, or as its LaTeX source (with a warning) when it cannot be.
    fn math(&mut self, tex: &str, span: &Span, display: bool, number: Option<&str>) {
        let id = self.math_count;
        self.math_count += 1;
        let converted = match self.options.fallback.get(&id) {
            Some(reason) => Err(reason.clone()),
            None => convert_math(tex, display),
        };
        match converted {
            Ok(equation) => {
                if display {
                    self.out.push_str("#d2l.equation(");
                    if let Some(n) = number {
                        let _ = write!(self.out, "number: {}, ", string(n));
                    }
                }
                let start = self.out.len();
                self.out.push_str(&equation);
                let range = start..self.out.len();
                if display {
                    self.out.push(')');
                }
                self.maths.push(MathSite {
                    id,
                    range,
                    tex: tex.to_string(),
                    span: span.clone(),
                    display,
                });
            }
            Err(reason) => {
                self.diags.push(
                    Diagnostic::warning(format!("math error: {reason}"))
                        .at(span)
                        .help("the PDF shows this formula as its LaTeX source"),
                );
                let _ = write!(
                    self.out,
                    "#d2l.math-source({}, block: {display}",
                    string(tex)
                );
                if let Some(n) = number {
                    let _ = write!(self.out, ", number: {}", string(n));
                }
                self.out.push(')');
            }
        }
    }

    fn code(&mut self, c: &Code) {
        self.mark(&c.span);
        let marks = c.cell.clone();
        let show_code = !marks.as_ref().is_some_and(|m| m.hide_code);
        let show_output = !marks.as_ref().is_some_and(|m| m.hide_output);
        // A cell's code and outputs form one block, which the template keeps on one page
        // when it fits there: without measuring it when it surely fits.
        let cell = show_code && show_output && !c.outputs.is_empty();
        if cell {
            if cell_height(c).is_some_and(|pt| pt <= SHORT_CELL_PT) {
                self.out.push_str("#d2l-short-cell[\n");
            } else {
                self.out.push_str("#d2l-cell[\n");
            }
        }
        if show_code {
            // rustdoc's hidden lines stay hidden on paper.
            let code = match hidden_lines(c) {
                Some(runs) => runs
                    .into_iter()
                    .filter(|(hidden, _)| !hidden)
                    .map(|(_, text)| text)
                    .collect::<String>()
                    .trim_end_matches('\n')
                    .to_string(),
                None => c.code.clone(),
            };
            let _ = write!(
                self.out,
                "#d2l.code({}, lang: {}, cell: {}",
                string(&code),
                string(&c.lang),
                marks.is_some()
            );
            if !c.number.is_empty() {
                let number = number_text(Kind::Listing, &c.number, self.ctx.words);
                let _ = write!(self.out, ", number: {}", string(&number));
            }
            self.out.push(')');
            self.target_label(&c.label);
            self.out.push_str("\n\n");
        }
        let outputs = if show_output { &c.outputs[..] } else { &[] };
        for output in outputs {
            match output {
                Output::Stdout(text) => self.output_text(text, "stdout"),
                Output::Stderr(text) => self.output_text(text, "stderr"),
                Output::Error(text) => self.output_text(text, "error"),
                Output::Note(text) => self.output_text(text, "note"),
                Output::Data { mime, data } => match mime.as_str() {
                    "image/svg+xml" | "image/png" | "image/jpeg" | "image/gif" => {
                        let ext = match mime.as_str() {
                            "image/svg+xml" => "svg",
                            "image/png" => "png",
                            "image/jpeg" => "jpg",
                            _ => "gif",
                        };
                        let path = format!("/_d2lbook/outputs/{}.{ext}", self.blobs.len());
                        let bytes = if ext == "svg" {
                            Some(data.clone().into_bytes())
                        } else {
                            base64(data)
                        };
                        let Some(bytes) = bytes else { continue };
                        self.blobs.push((path.clone(), bytes));
                        let _ = write!(self.out, "#d2l.output-image(image({}))\n\n", string(&path));
                    }
                    "text/html" => self.output_text(&html_text(data), "stdout"),
                    m if m.starts_with("text/") => self.output_text(data, "stdout"),
                    _ => {}
                },
                Output::Tensor(t) => self.out.push_str(&tensor(t)),
            }
        }
        if cell {
            self.out.push_str("]\n\n");
        }
    }

    fn output_text(&mut self, text: &str, kind: &str) {
        let text = text.trim_end_matches('\n');
        if text.is_empty() {
            return;
        }
        let _ = write!(
            self.out,
            "#d2l.output({}, kind: {})\n\n",
            string(text),
            string(kind)
        );
    }

    // ----- inlines ------------------------------------------------------------------------

    fn inlines(&mut self, inlines: &[Inline]) {
        for inline in inlines {
            self.inline(inline);
        }
    }

    fn inline(&mut self, inline: &Inline) {
        match inline {
            Inline::Text(t) => self.text(t),
            Inline::Code(c) => {
                let _ = write!(self.out, "#raw({})", string(c));
            }
            Inline::Emph(c) => self.wrap("emph", c),
            Inline::Strong(c) => self.wrap("strong", c),
            Inline::Strike(c) => self.wrap("strike", c),
            Inline::Link { content, .. } if self.inline_depth >= MAX_NESTING => {
                self.inlines(content)
            }
            Inline::Link {
                url,
                content,
                target,
                ..
            } => {
                self.inline_depth += 1;
                match target {
                    // A link into the book: to the place's label, where the PDF has one.
                    Some(place) => {
                        let name = self.label_name(place);
                        if self.is_known(&name) {
                            let _ = write!(self.out, "#link(d2l-to(label({})))[", string(&name));
                            self.inlines(content);
                            self.out.push(']');
                        } else {
                            self.inlines(content);
                        }
                    }
                    None if url.contains("://") || url.starts_with("mailto:") => {
                        let _ = write!(self.out, "#link({})[", string(url));
                        self.inlines(content);
                        self.out.push(']');
                    }
                    // A relative link to something not in the book has no place in a PDF.
                    None => self.inlines(content),
                }
                self.inline_depth -= 1;
            }
            Inline::Image { src, alt, span } => match self.image_path(src, span) {
                Some(p) => {
                    let _ = write!(
                        self.out,
                        "#box(image({}, height: 1em, alt: {}))",
                        string(&p),
                        string(alt)
                    );
                }
                None => self.text(alt),
            },
            Inline::Math { tex, span } => self.math(tex, span, false, None),
            Inline::Html(_) => {}
            // A newline is a space in Typst markup (`resolve` has dropped those between
            // CJK characters).
            Inline::SoftBreak => self.out.push('\n'),
            Inline::HardBreak => self.out.push_str("#linebreak()\n"),
            Inline::Ref(r) => self.reference(r),
            Inline::Cite(c) => self.cite(c),
        }
    }

    fn text(&mut self, text: &str) {
        if !text.is_empty() {
            self.out.push('#');
            self.out.push_str(&string(text));
        }
    }

    fn wrap(&mut self, function: &str, content: &[Inline]) {
        if self.inline_depth >= MAX_NESTING {
            return self.inlines(content);
        }
        self.inline_depth += 1;
        let _ = write!(self.out, "#{function}[");
        self.inlines(content);
        self.out.push(']');
        self.inline_depth -= 1;
    }

    fn is_known(&self, name: &str) -> bool {
        self.known.as_ref().is_none_or(|k| k.contains(name))
    }

    fn reference(&mut self, r: &Ref) {
        self.mark(&r.span);
        match &r.target {
            Some(t) => {
                let name = self.label_name(&t.place);
                if self.is_known(&name) {
                    let _ = write!(
                        self.out,
                        "#d2l.xref(label({}), {})",
                        string(&name),
                        string(&t.text)
                    );
                } else {
                    self.text(&t.text);
                }
            }
            // resolve reported it; `??` as the site shows it.
            None => self.out.push_str("#d2l.broken-ref()"),
        }
    }

    fn cite(&mut self, c: &Cite) {
        self.mark(&c.span);
        let Some(parts) = &c.shown else {
            let _ = write!(self.out, "#d2l.missing-ref({})", string(&c.keys.join(", ")));
            return;
        };
        for part in parts {
            match part {
                CitePart::Text(t) => self.text(t),
                // Each key links to its entry on the references page, where there is one.
                CitePart::Key {
                    key,
                    text,
                    page: Some(_),
                } if self.is_known(&format!("bib-{key}")) => {
                    let _ = write!(
                        self.out,
                        "#d2l.xref(label({}), [",
                        string(&format!("bib-{key}"))
                    );
                    self.inlines(text);
                    self.out.push_str("])");
                }
                CitePart::Key { text, .. } => self.inlines(text),
            }
        }
    }
}

fn array(items: &[String]) -> String {
    let mut out = String::from("(");
    for item in items {
        out.push_str(&string(item));
        out.push_str(", ");
    }
    out.push(')');
    out
}

fn trim_end_newlines(out: &mut String) {
    while out.ends_with('\n') {
        out.pop();
    }
}

/// `400px`, `400`, `80%`, `10cm` → a Typst length (px are 0.75 pt); `None` if unknown.
fn length(value: &str) -> Option<String> {
    let v = value.trim();
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: f64 = num.parse().ok()?;
    if !n.is_finite() || n <= 0.0 {
        return None;
    }
    let out = match unit.trim() {
        "" | "px" => format!("{}pt", round(n * 0.75)),
        "pt" => format!("{}pt", round(n)),
        "%" => format!("{}%", round(n.min(100.0))),
        "em" => format!("{}em", round(n)),
        "cm" | "mm" | "in" => format!("{}{}", round(n), unit.trim()),
        _ => return None,
    };
    Some(out)
}

fn round(n: f64) -> f64 {
    (n * 100.0).round() / 100.0
}

/// The height, in points, of a cell that surely fits on a page: the body of an A5 page
/// of the default template is about 465 pt high. Such a cell is kept on one page
/// without Typst measuring it, which lays it out a second time (a quarter of the PDF's
/// memory on a book of cells); a taller one is measured.
const SHORT_CELL_PT: usize = 360;

/// A line of code or output in the default template (11 pt apart), and what each block
/// adds (insets and the gap to the next).
const LINE_PT: usize = 11;
const BLOCK_PT: usize = 18;

/// Columns of code a line of an A5 page holds (about 90 on A4): the estimate wraps lines
/// at this width.
const CELL_COLUMNS: usize = 55;

/// How high a cell is on paper, in points, estimated from its text (each line wrapped at
/// `CELL_COLUMNS`, a wide character taking two), tensor rows and figure heights; `None`
/// for a figure of unknown height.
fn cell_height(c: &Code) -> Option<usize> {
    use unicode_width::UnicodeWidthStr;
    let text = |text: &str| -> usize {
        let lines: usize = text
            .trim_end_matches('\n')
            .split('\n')
            .map(|line| line.width().div_ceil(CELL_COLUMNS).max(1))
            .sum();
        lines * LINE_PT
    };
    let mut height = BLOCK_PT + text(&c.code);
    for output in &c.outputs {
        height += BLOCK_PT
            + match output {
                Output::Stdout(t) | Output::Stderr(t) | Output::Error(t) | Output::Note(t) => {
                    text(t)
                }
                // Its caption and rows, each a little taller than a line.
                Output::Tensor(t) => {
                    let rows = t.cells.len() / t.shape.last().copied().unwrap_or(1).max(1);
                    (1 + rows) * (LINE_PT + 2)
                }
                Output::Data { mime, data } => match mime.as_str() {
                    "image/svg+xml" => svg_height(data)?,
                    m if m.starts_with("image/") => return None,
                    _ => text(data),
                },
            };
    }
    Some(height)
}

/// The `height` of an SVG's root element, in points (a unitless or px height is
/// taken as points, as Typst sizes the image, which is never more).
fn svg_height(svg: &str) -> Option<usize> {
    let element = &svg[svg.find("<svg")?..];
    let element = &element[..element.find('>')?];
    let at = element.find(" height=")? + " height=".len();
    let quote = element[at..]
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '\''))?;
    let value = element[at + 1..].split(quote).next()?;
    let number = value.trim_end_matches("px").trim_end_matches("pt");
    number
        .parse::<f64>()
        .ok()
        .filter(|h| h.is_finite() && *h >= 0.0)
        .map(|h| h.ceil() as usize)
}

/// A tensor as the template's table: its caption and its rows of entries, every text
/// through a string literal.
fn tensor(t: &Tensor) -> String {
    let mut out = format!(
        "#d2l.tensor(caption: {}, rows: (",
        string(&super::tensor_caption(t))
    );
    for row in t.rows() {
        out.push('(');
        for cell in row {
            let _ = write!(out, "{}, ", string(cell));
        }
        out.push_str("), ");
    }
    out.push_str("))\n\n");
    out
}

#[cfg(test)]
mod tests;
