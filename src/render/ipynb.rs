//! IR → Jupyter notebooks (nbformat 4.5) for the evcxr Rust kernel: `build ipynb`.
//! Each section becomes a notebook at its page's path (`chapter_x/sec.ipynb`); prose goes
//! back to Markdown with every role resolved (a reader's Jupyter knows no `:numref:`),
//! Rust cells become code cells with the outputs the eval stage recorded.

use super::html::{fragment, relative};
use super::RenderContext;
use crate::diag::Diagnostic;
use crate::doc::*;
use crate::output::Content;
use crate::resolve::{number_text, Kind};
use serde_json::{json, Value};
use std::fmt::Write as _;

/// The folder of the library inside `<output_dir>/ipynb` and its zip.
pub const LIBRARY_DIR: &str = "d2l-lib";

/// The tag of the notebook's first cell, which loads the library; the notebook parser
/// skips it, so that a notebook builds back into the section it came from.
pub const SETUP_TAG: &str = "d2l-setup";

/// How the notebooks are made besides the resolved book.
pub struct Options {
    /// Whether the cells ran (their outputs are in the IR): code cells then carry
    /// execution counts.
    pub evaluated: bool,
}

/// Every section's notebook and the images they show, as files relative to the notebook
/// folder; and notes on cells that evcxr cannot run as written (`closure_lets`).
pub fn notebooks(
    ctx: &RenderContext,
    options: &Options,
) -> (Vec<(String, Content)>, Vec<Diagnostic>) {
    use rayon::prelude::*;
    let made: Vec<((String, Content), Vec<Diagnostic>)> = (0..ctx.book.sections.len())
        .into_par_iter()
        .map(|i| {
            let path = notebook_path(&ctx.book.sections[i].html);
            let (text, notes) = Writer::new(ctx, i).notebook(options);
            ((path, Content::Bytes(text.into_bytes())), notes)
        })
        .collect();
    let (mut files, notes): (Vec<_>, Vec<_>) = made.into_iter().unzip();
    for asset in ctx.resolution.assets.files() {
        files.push((asset.rel.clone(), Content::Copy(asset.file.clone())));
    }
    (files, notes.into_iter().flatten().collect())
}

/// The top-level `let`s of a cell's `code` that hold a closure: name, line (0-based, in
/// `code`) and column (0-based). evcxr keeps a cell's variables for the cells after it
/// and cannot keep a closure, so it fails such a cell, which the book (a section is one
/// program) runs.
fn closure_lets(code: &str) -> Vec<(String, usize, usize)> {
    let Ok(block) = syn::parse_str::<syn::Block>(&format!("{{\n{code}\n}}")) else {
        return Vec::new();
    };
    block
        .stmts
        .iter()
        .filter_map(|stmt| {
            let syn::Stmt::Local(local) = stmt else {
                return None;
            };
            if !matches!(local.init.as_ref()?.expr.as_ref(), syn::Expr::Closure(_)) {
                return None;
            }
            // With a type written (`fn(f64) -> f64`), the variable holds no closure type.
            let syn::Pat::Ident(name) = &local.pat else {
                return None;
            };
            let start = name.ident.span().start();
            // Line 1 is the opening brace.
            Some((
                name.ident.to_string(),
                start.line.checked_sub(2)?,
                start.column,
            ))
        })
        .collect()
}

/// `chapter_x/sec.html` → `chapter_x/sec.ipynb`.
pub fn notebook_path(page: &str) -> String {
    let stem = page.strip_suffix(".html").unwrap_or(page);
    format!("{stem}.ipynb")
}

struct Writer<'a> {
    ctx: &'a RenderContext<'a>,
    section: usize,
    /// This notebook's path, relative to the notebook folder.
    path: String,
    /// The published site's URL without its trailing `/`, when it is absolute.
    site_url: Option<&'a str>,
}

impl<'a> Writer<'a> {
    fn new(ctx: &'a RenderContext<'a>, section: usize) -> Self {
        let site_url = ctx.book.config.html.site_url.trim_end_matches('/');
        Writer {
            ctx,
            section,
            path: notebook_path(&ctx.book.sections[section].html),
            site_url: (site_url.starts_with("http://") || site_url.starts_with("https://"))
                .then_some(site_url),
        }
    }

    fn notebook(&self, options: &Options) -> (String, Vec<Diagnostic>) {
        let mut cells = Vec::new();
        let mut markdown = String::new();
        self.collect(
            &self.ctx.docs[self.section].blocks,
            &mut cells,
            &mut markdown,
        );
        let notes = cells
            .iter()
            .filter_map(|c| match c {
                Cell::Code(code) => Some(code),
                Cell::Markdown(_) => None,
            })
            .flat_map(|code| self.evcxr_notes(code))
            .collect();
        flush_markdown(&mut cells, &mut markdown);
        let has_code = cells.iter().any(|c| matches!(c, Cell::Code(_)));
        let mut out = Vec::new();
        if has_code {
            out.push(json!({
                "cell_type": "code",
                "execution_count": null,
                "metadata": {"tags": [SETUP_TAG], "jupyter": {"source_hidden": true}},
                "outputs": [],
                "source": lines(&self.setup_source()),
            }));
        }
        let mut count = 0;
        for cell in cells {
            match cell {
                Cell::Markdown(text) => out.push(json!({
                    "cell_type": "markdown",
                    "metadata": {},
                    "source": lines(&text),
                })),
                Cell::Code(code) => {
                    count += 1;
                    let n = options.evaluated.then_some(count);
                    out.push(code_cell(code, n));
                }
            }
        }
        // Ids are the cell's position: stable from build to build, unique in the notebook.
        for (i, cell) in out.iter_mut().enumerate() {
            cell["id"] = json!(format!("cell-{}", i + 1));
        }
        let notebook = json!({
            "cells": out,
            "metadata": {
                "kernelspec": {"display_name": "Rust", "language": "rust", "name": "rust"},
                "language_info": {
                    "codemirror_mode": "rust",
                    "file_extension": ".rs",
                    "mimetype": "text/rust",
                    "name": "Rust",
                    "pygment_lexer": "rust",
                    "version": "",
                },
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        });
        // One space of indent, as Jupyter writes notebooks (small diffs when edited there).
        let mut bytes = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
        let mut ser = serde_json::Serializer::with_formatter(&mut bytes, formatter);
        serde::Serialize::serialize(&notebook, &mut ser).expect("a JSON value serialises");
        let mut text = String::from_utf8(bytes).expect("serde_json writes UTF-8");
        text.push('\n');
        (text, notes)
    }

    /// A note at each closure kept in a variable of `cell` (see `closure_lets`).
    fn evcxr_notes(&self, cell: &CodeCell) -> Vec<Diagnostic> {
        closure_lets(&cell.code)
            .into_iter()
            .map(|(name, line, column)| {
                let mut note = Diagnostic::note(format!(
                    "in the notebook, this cell fails: evcxr (Jupyter's Rust kernel) cannot keep the closure `{name}` for the cells after it"
                ))
                .help("the book runs it as written (a section is one program); for Jupyter, make it a `fn`, or put the cell in braces if no later cell uses its variables");
                if let Some(&source_line) = cell.lines.get(line) {
                    note = note.at(&Span {
                        file: cell.span.file.clone(),
                        line: source_line,
                        col: column + 1,
                        len: name.chars().count(),
                    });
                }
                note
            })
            .collect()
    }

    /// The hidden first cell: evcxr's `:dep` on the library and the prelude every
    /// program of the eval stage starts with.
    fn setup_source(&self) -> String {
        let dependency = match &self.ctx.book.config.ipynb.d2l_dependency {
            Some(value) => value.to_string(),
            None => {
                let up = "../".repeat(self.path.matches('/').count());
                format!("{{ path = \"{up}{LIBRARY_DIR}\" }}")
            }
        };
        format!(":dep d2l = {dependency}\nuse d2l::prelude::*;")
    }

    /// The blocks as Markdown, cut into cells at each Rust cell.
    fn collect(&self, blocks: &[Block], cells: &mut Vec<Cell>, md: &mut String) {
        for group in groups(blocks) {
            match group {
                Group::Block(Block::Code(c)) if c.cell.is_some() && c.lang == "rust" => {
                    // A labelled cell's number, as the site shows it over the code.
                    if !c.number.is_empty() {
                        push_block(md, &self.listing_number(c));
                    }
                    flush_markdown(cells, md);
                    cells.push(Cell::Code(self.code_of(c)));
                }
                Group::Block(Block::Only {
                    backend: Backend::Html,
                    blocks,
                }) => self.collect(blocks, cells, md),
                Group::Block(block) => {
                    let mut text = String::new();
                    self.block(block, &mut text);
                    push_block(md, &text);
                }
                Group::Tabs(tabs) => {
                    for inner in self.default_tab(tabs) {
                        self.collect(inner, cells, md);
                    }
                }
            }
        }
    }

    /// `**リスト 2.1**`: a labelled listing's number, which references to it read.
    fn listing_number(&self, c: &Code) -> String {
        let number = number_text(Kind::Listing, &c.number, self.ctx.words);
        format!("**{}**", escape_text(&number))
    }

    fn code_of(&self, c: &Code) -> CodeCell {
        CodeCell {
            span: c.span.clone(),
            lines: c.lines.clone(),
            code: c.code.clone(),
            marks: c.cell.clone().unwrap_or_default(),
            outputs: c.outputs.clone(),
        }
    }

    /// The blocks of a tab group in the book's default tab, as the PDF picks them: the
    /// first of `[build] tabs`, else the group's first tab.
    fn default_tab<'b>(&self, tabs: &'b [Block]) -> Vec<&'b [Block]> {
        let order = &self.ctx.book.config.build.tabs;
        let first = match order.first() {
            Some(default) => default.as_str(),
            None => tab_names(tabs, order)[0],
        };
        tabs.iter()
            .filter_map(|b| match b {
                Block::Tab { names, blocks, .. } if in_tab(names, first) => Some(blocks.as_slice()),
                _ => None,
            })
            .collect()
    }

    /// One block as Markdown, without a trailing blank line.
    fn block(&self, block: &Block, out: &mut String) {
        match block {
            Block::Heading(h) => {
                out.push_str(&"#".repeat(usize::from(h.level.clamp(1, 6))));
                out.push(' ');
                self.inlines(&h.content, out);
            }
            Block::Paragraph(inlines) => self.inlines(inlines, out),
            Block::Figure(f) => {
                out.push_str("![");
                self.caption(Kind::Figure, &f.number, &f.caption, out);
                let _ = write!(out, "]({})", link_destination(&f.src));
            }
            Block::Table(t) => self.table(t, out),
            // A numbered equation carries its number as `\tag` (Jupyter's MathJax and
            // KaTeX both set it at the right margin), since references show it; on a line
            // of its own, out of reach of a `%` comment ending the TeX.
            Block::Equation(e) if !e.number.is_empty() && !e.tex.contains("\\tag") => {
                let _ = write!(out, "$${}\n\\tag{{{}}}$$", e.tex.trim(), e.number);
            }
            Block::Equation(e) => {
                let _ = write!(out, "$${}$$", e.tex.trim());
            }
            Block::Code(c) => {
                if !c.number.is_empty() {
                    out.push_str(&self.listing_number(c));
                    out.push_str("\n\n");
                }
                let ticks = "`".repeat(longest_run(&c.code, '`').max(2) + 1);
                let _ = write!(out, "{ticks}{}\n{}\n{ticks}", c.lang, c.code);
            }
            Block::List { start, items } => {
                for (i, item) in items.iter().enumerate() {
                    let marker = match start {
                        Some(n) => format!("{}. ", n + i as u64),
                        None => "- ".into(),
                    };
                    let mut text = String::new();
                    self.blocks(item, &mut text);
                    let indent = " ".repeat(marker.len());
                    out.push_str(&marker);
                    push_indented(out, &text, &indent);
                    out.push('\n');
                }
                trim_newlines(out);
            }
            Block::Quote(inner) => {
                let mut text = String::new();
                self.blocks(inner, &mut text);
                for line in text.lines() {
                    out.push_str(if line.is_empty() { ">\n" } else { "> " });
                    if !line.is_empty() {
                        out.push_str(line);
                        out.push('\n');
                    }
                }
                trim_newlines(out);
            }
            Block::Rule => out.push_str("---"),
            Block::Toc(toc) => {
                let links = &self.ctx.book.sections[self.section].toc_links;
                let entries: Vec<usize> = toc
                    .entries
                    .iter()
                    .filter_map(|e| links.get(&e.target).copied())
                    .collect();
                self.toc_list(&entries, toc.maxdepth, "", out);
                trim_newlines(out);
            }
            Block::Tab { .. } => {
                for inner in self.default_tab(std::slice::from_ref(block)) {
                    self.blocks(inner, out);
                }
            }
            Block::RawHtml { html, .. } => out.push_str(html.trim_end()),
            Block::Only { backend, blocks } => {
                if *backend == Backend::Html {
                    self.blocks(blocks, out);
                }
            }
            Block::Bibliography { .. } => {
                for entry in self.ctx.resolution.bibliography.iter().flatten() {
                    self.inlines(&entry.text, out);
                    out.push_str("\n\n");
                }
                trim_newlines(out);
            }
        }
    }

    /// Blocks separated by blank lines (inside lists, quotes, tabs).
    fn blocks(&self, blocks: &[Block], out: &mut String) {
        for group in groups(blocks) {
            let mut text = String::new();
            match group {
                Group::Block(Block::Code(c)) if c.cell.is_some() => {
                    // A cell nested in a list or quote cannot be a notebook cell: shown as
                    // a listing.
                    let listing = Code {
                        cell: None,
                        ..c.clone()
                    };
                    self.block(&Block::Code(listing), &mut text);
                }
                Group::Block(block) => self.block(block, &mut text),
                Group::Tabs(tabs) => {
                    for inner in self.default_tab(tabs) {
                        self.blocks(inner, &mut text);
                    }
                }
            }
            push_block(out, &text);
        }
        trim_newlines(out);
    }

    fn toc_list(&self, sections: &[usize], depth: usize, indent: &str, out: &mut String) {
        if depth == 0 {
            return;
        }
        for &i in sections {
            let s = &self.ctx.book.sections[i];
            let title = match &s.title {
                Some(title) => escape_text(title),
                None => {
                    let mut text = String::new();
                    if let Some(h) = self.ctx.docs[i].title() {
                        self.inlines(&h.content, &mut text);
                    }
                    text
                }
            };
            let number = s.number_text();
            let number = if number.is_empty() {
                String::new()
            } else {
                format!("{number} ")
            };
            let target = relative(&self.path, &notebook_path(&s.html));
            let _ = writeln!(
                out,
                "{indent}- [{number}{title}]({})",
                link_destination(&target)
            );
            self.toc_list(&s.children, depth - 1, &format!("{indent}  "), out);
        }
    }

    /// A table: its number and caption as a paragraph above it (Markdown tables have no
    /// caption), then a pipe table.
    fn table(&self, t: &Table, out: &mut String) {
        if !t.caption.is_empty() || !t.number.is_empty() {
            self.caption(Kind::Table, &t.number, &t.caption, out);
            out.push_str("\n\n");
        }
        let cell = |inlines: &[Inline]| {
            let mut text = String::new();
            self.inlines(inlines, &mut text);
            text.replace('\n', " ").replace('|', "\\|")
        };
        let row = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
        out.push_str(&row(t.head.iter().map(|c| cell(c)).collect()));
        out.push_str(&row((0..t.head.len())
            .map(|i| {
                match t.align.get(i) {
                    Some(Align::Left) => ":---",
                    Some(Align::Center) => ":---:",
                    Some(Align::Right) => "---:",
                    _ => "---",
                }
                .to_string()
            })
            .collect()));
        for r in &t.rows {
            out.push_str(&row(r.iter().map(|c| cell(c)).collect()));
        }
        trim_newlines(out);
    }

    /// `図 1.2.1 caption`: the number the site shows with the caption.
    fn caption(&self, kind: Kind, number: &str, caption: &[Inline], out: &mut String) {
        if !number.is_empty() {
            out.push_str(&escape_text(&number_text(kind, number, self.ctx.words)));
            if !caption.is_empty() {
                out.push(' ');
            }
        }
        self.inlines(caption, out);
    }

    fn inlines(&self, inlines: &[Inline], out: &mut String) {
        for inline in inlines {
            self.inline(inline, out);
        }
    }

    fn inline(&self, inline: &Inline, out: &mut String) {
        match inline {
            Inline::Text(t) => out.push_str(&escape_text(t)),
            Inline::Code(c) => {
                let ticks = "`".repeat(longest_run(c, '`') + 1);
                // A space inside the ticks when the code starts or ends with a tick.
                let pad = if c.starts_with('`') || c.ends_with('`') {
                    " "
                } else {
                    ""
                };
                let _ = write!(out, "{ticks}{pad}{c}{pad}{ticks}");
            }
            Inline::Emph(c) => self.wrap("*", c, out),
            Inline::Strong(c) => self.wrap("**", c, out),
            Inline::Strike(c) => self.wrap("~~", c, out),
            Inline::Link {
                url,
                content,
                target,
                ..
            } => {
                let href = match target {
                    Some(place) => self.notebook_href(place),
                    None => url.clone(),
                };
                out.push('[');
                self.inlines(content, out);
                let _ = write!(out, "]({})", link_destination(&href));
            }
            Inline::Image { src, alt, .. } => {
                let _ = write!(out, "![{}]({})", escape_text(alt), link_destination(src));
            }
            Inline::Math { tex, .. } => {
                let _ = write!(out, "${}$", tex.trim());
            }
            Inline::Html(h) => out.push_str(h),
            Inline::SoftBreak => out.push('\n'),
            Inline::HardBreak => out.push_str("\\\n"),
            Inline::Ref(r) => match &r.target {
                Some(t) => self.maybe_linked(&t.text, &t.place, out),
                // What the site shows for an undefined label (the build reported it).
                None => out.push_str("??"),
            },
            Inline::Cite(c) => match &c.shown {
                Some(parts) => {
                    for part in parts {
                        match part {
                            CitePart::Text(t) => out.push_str(&escape_text(t)),
                            CitePart::Key { text, .. } => self.inlines(text, out),
                        }
                    }
                }
                None => {
                    let _ = write!(out, "\\[{}\\]", escape_text(&c.keys.join(", ")));
                }
            },
        }
    }

    /// A reference's text: a link to the published page when the site's URL is known
    /// (a notebook read on its own has no anchors to point at), else the text alone.
    fn maybe_linked(&self, text: &str, place: &Place, out: &mut String) {
        match self.site_url {
            Some(site) => {
                let page = &self.ctx.book.sections[place.page.0].html;
                let mut url = format!("{site}/{page}");
                if !place.anchor.is_empty() {
                    url.push('#');
                    url.push_str(&fragment(&place.anchor));
                }
                let _ = write!(out, "[{}]({})", escape_text(text), link_destination(&url));
            }
            None => out.push_str(&escape_text(text)),
        }
    }

    /// A link into the book: to the section's notebook, beside this one.
    fn notebook_href(&self, place: &Place) -> String {
        let base = if place.page.0 == self.section {
            String::new()
        } else {
            relative(
                &self.path,
                &notebook_path(&self.ctx.book.sections[place.page.0].html),
            )
        };
        match (base.is_empty(), place.anchor.is_empty()) {
            (true, true) => "#".into(),
            (_, true) => base,
            _ => format!("{base}#{}", fragment(&place.anchor)),
        }
    }

    fn wrap(&self, mark: &str, content: &[Inline], out: &mut String) {
        out.push_str(mark);
        self.inlines(content, out);
        out.push_str(mark);
    }
}

enum Cell {
    Markdown(String),
    Code(CodeCell),
}

/// A Rust cell as the notebook shows it.
struct CodeCell {
    /// Where the cell is in the book's source, and the source line of each code line.
    span: Span,
    lines: Vec<usize>,
    code: String,
    marks: CellMarks,
    outputs: Vec<Output>,
}

/// A code cell: its marks written back as `//@` lines (comments to evcxr, and what makes
/// the notebook build back into the same cell), Jupyter's own flags for hidden parts.
fn code_cell(cell: CodeCell, count: Option<usize>) -> Value {
    let m = &cell.marks;
    let mut source = String::new();
    match (m.hide_code, m.hide_output) {
        (true, true) => source.push_str("//@hide\n"),
        (true, false) => source.push_str("//@hide_code\n"),
        (false, true) => source.push_str("//@hide_output\n"),
        (false, false) => {}
    }
    if m.save_cell {
        source.push_str("//@save\n");
    }
    if m.allow_error {
        source.push_str("//@allow_error\n");
    }
    for (i, line) in cell.code.split('\n').enumerate() {
        if i > 0 {
            source.push('\n');
        }
        source.push_str(line);
        if m.save.contains(&i) {
            source.push_str(" //@save");
        }
    }
    let mut jupyter = serde_json::Map::new();
    if m.hide_code {
        jupyter.insert("source_hidden".into(), json!(true));
    }
    if m.hide_output {
        jupyter.insert("outputs_hidden".into(), json!(true));
    }
    let mut metadata = serde_json::Map::new();
    if !jupyter.is_empty() {
        metadata.insert("jupyter".into(), Value::Object(jupyter));
    }
    // Jupyter's tag for a cell whose error is expected (run-all goes on past it).
    if m.allow_error {
        metadata.insert("tags".into(), json!(["raises-exception"]));
    }
    let outputs: Vec<Value> = cell.outputs.iter().map(|o| output(o, count)).collect();
    json!({
        "cell_type": "code",
        "execution_count": count,
        "metadata": metadata,
        "outputs": outputs,
        "source": lines(&source),
    })
}

/// One output in nbformat's terms.
fn output(output: &Output, count: Option<usize>) -> Value {
    let stream = |name: &str, text: &str| json!({"output_type": "stream", "name": name, "text": lines(text)});
    match output {
        Output::Stdout(t) => stream("stdout", t),
        Output::Stderr(t) => stream("stderr", t),
        // The executor's remarks (output cut, later cells not run) read as a stderr line.
        Output::Note(t) => stream("stderr", &format!("{t}\n")),
        Output::Data { mime, data } if mime == "text/plain" => json!({
            "output_type": "execute_result",
            "execution_count": count,
            "data": {"text/plain": lines(data)},
            "metadata": {},
        }),
        Output::Data { mime, data } => json!({
            "output_type": "display_data",
            "data": {mime.as_str(): lines(data), "text/plain": [format!("<{mime}>")]},
            "metadata": {},
        }),
        Output::Tensor(t) => json!({
            "output_type": "execute_result",
            "execution_count": count,
            "data": {"text/plain": lines(&tensor_text(t)), "text/html": lines(&tensor_html(t))},
            "metadata": {},
        }),
        Output::Error(t) => {
            let evalue = t.lines().next().unwrap_or_default();
            json!({
                "output_type": "error",
                "ename": "Error",
                "evalue": evalue,
                "traceback": t.lines().collect::<Vec<_>>(),
            })
        }
    }
}

/// A tensor as text: its caption, then a line per row, entries aligned right.
fn tensor_text(t: &Tensor) -> String {
    let width = t.cells.iter().map(|c| c.chars().count()).max().unwrap_or(0);
    let mut text = super::tensor_caption(t);
    for row in t.rows() {
        text.push('\n');
        let cells: Vec<String> = row.iter().map(|c| format!("{c:>width$}")).collect();
        text.push_str(&cells.join(" "));
    }
    text
}

/// A tensor as an HTML table under its caption.
fn tensor_html(t: &Tensor) -> String {
    use super::escape::escape;
    let mut html = format!(
        "<table>\n<caption>{}</caption>\n<tbody>\n",
        escape(&super::tensor_caption(t))
    );
    for row in t.rows() {
        html.push_str("<tr>");
        for cell in row {
            let _ = write!(html, "<td style=\"text-align:right\">{}</td>", escape(cell));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>");
    html
}

/// nbformat's multi-line string: a list of lines, each but the last ending in `\n`.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

fn flush_markdown(cells: &mut Vec<Cell>, md: &mut String) {
    let text = md.trim_end();
    if !text.is_empty() {
        cells.push(Cell::Markdown(text.to_string()));
    }
    md.clear();
}

/// Appends a block's text, a blank line after the previous one.
fn push_block(out: &mut String, text: &str) {
    if text.is_empty() {
        return;
    }
    if !out.is_empty() {
        trim_newlines(out);
        out.push_str("\n\n");
    }
    out.push_str(text);
}

/// `text` with every line but the first indented (an item's continuation lines).
fn push_indented(out: &mut String, text: &str, indent: &str) {
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(indent);
            }
        }
        out.push_str(line);
    }
}

fn trim_newlines(out: &mut String) {
    let len = out.trim_end_matches('\n').len();
    out.truncate(len);
}

/// Text with what Markdown would read as markup escaped (any ASCII punctuation may be).
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_[]<>$&~|#".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A link's destination, in `<…>` when it holds spaces or parentheses.
fn link_destination(url: &str) -> String {
    if url.contains([' ', '(', ')', '<', '>']) {
        format!("<{}>", url.replace('<', "%3C").replace('>', "%3E"))
    } else {
        url.to_string()
    }
}

/// The longest run of `c` in `text` (for fences and code spans that must outnumber it).
fn longest_run(text: &str, c: char) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::closure_lets;

    #[test]
    fn closures_kept_in_variables_are_found_where_they_are_named() {
        let code = "let xs = vec![1.0];\nlet df = |x: f64| 3.0 * x;\nlet mut step = move || {\n    xs.len()\n};\nlet boxed: Box<dyn Fn(f64) -> f64> = Box::new(|x| x);\nlet n = { let local = |x: f64| x; local(1.0) };\nlet typed: fn(f64) -> f64 = |x| x;\ndf(n)";
        assert_eq!(
            closure_lets(code),
            vec![("df".to_string(), 1, 4), ("step".to_string(), 2, 8),]
        );
    }

    #[test]
    fn code_that_does_not_parse_has_no_notes() {
        assert!(closure_lets("let f = |x| ;;; {").is_empty());
        assert!(closure_lets("").is_empty());
    }
}
