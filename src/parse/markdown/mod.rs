//! Markdown (pulldown-cmark events with byte offsets) → the IR, with the d2lbook marks:
//! roles split out of the event stream, labels attached to what they follow, figures,
//! captioned tables, numbered equations, cells, tabs, toc blocks and raw blocks.
//!
//! This module walks the block events and assembles the result (tab groups, captions
//! joined to tables, heading anchors); `inline` reads inline events and roles,
//! `paragraph` turns a paragraph's items into blocks, `blocks` reads tables, fenced code
//! and toc entries. All four extend one `MdParser`. `tabs` finds the tab mark lines that
//! split the text before Markdown reads it.

mod blocks;
mod inline;
mod paragraph;
mod tabs;

use super::{cells, roles, rst};
use crate::diag::Diagnostic;
use crate::doc::*;
use crate::fence::Fence;
use inline::trim_inlines;
use paragraph::caption_paragraph;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// How deep blocks (quotes, lists) and, separately, inline markup (emphasis, links) may
/// nest. Deeper structure is an error and shows as plain text: every later stage walks
/// the IR recursively, and this bound is what keeps their stacks finite (see
/// `STACK_SIZE` in `build.rs` for the stack it needs).
pub const MAX_NESTING: usize = 64;

/// Parses one section's Markdown. `file` is the path shown in diagnostics (relative to the
/// book root); `dir` is the folder of the file on disk, for `eval_rst` `:file:` includes.
pub fn parse(text: &str, file: &str, dir: &Path, fence: &Fence) -> (Doc, Vec<Diagnostic>) {
    let text = super::clean_text(text);
    let mut p = MdParser::new(&text, file, dir, fence);
    // Tab marks on lines of their own are line structure: Markdown reads the text
    // between them piece by piece.
    let mut nodes = Vec::new();
    let mut from = 0;
    for tab in tabs::tab_lines(&text) {
        p.load(from..tab.line.start);
        nodes.extend(p.blocks(None));
        let span = p.span(tab.mark);
        nodes.push(match tab.names {
            Some(names) => Node::TabBegin(names, span),
            None => Node::TabEnd(span),
        });
        from = tab.line.end;
    }
    p.load(from..text.len());
    nodes.extend(p.blocks(None));
    let mut blocks = p.assemble(nodes);
    for span in std::mem::take(&mut p.stray_tab_ends) {
        p.warn(
            "':end_tab:' without a ':begin_tab:' before it; ignored".into(),
            &span,
        );
    }
    assign_heading_ids(&mut blocks);
    (Doc { blocks }, p.diags)
}

/// The `toc` blocks of a file, without parsing the rest (for loading the book's order).
pub fn toc_blocks(text: &str, file: &str) -> (Vec<Toc>, Vec<Diagnostic>) {
    // Most sections have no toc block: a file with no line that could open one (after
    // indentation and quote marks, a fence of ``` or ~~~ whose info starts with `toc`)
    // is not parsed at load; the parse stage reads it in full anyway.
    let may_open = |line: &str| {
        let line =
            line.trim_start_matches(|c: char| c.is_whitespace() || c == '>' || c == '\u{feff}');
        ["```", "~~~"].iter().any(|fence| {
            line.strip_prefix(fence).is_some_and(|rest| {
                rest.trim_start_matches(['`', '~'])
                    .trim_start()
                    .starts_with("toc")
            })
        })
    };
    if !text.lines().any(may_open) {
        return (Vec::new(), Vec::new());
    }
    let text = super::clean_text(text);
    let closed = Fence::closed();
    let mut p = MdParser::new(&text, file, Path::new("."), &closed);
    p.load(0..text.len());
    let mut tocs = Vec::new();
    while let Some((event, range)) = p.next() {
        if let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) = event {
            if info.trim() != "toc" {
                continue;
            }
            let mut code = String::new();
            let mut start = range.start;
            while let Some((event, r)) = p.next() {
                match event {
                    Event::Text(t) => {
                        start = r.start;
                        code.push_str(&t);
                    }
                    Event::End(TagEnd::CodeBlock) => break,
                    _ => {}
                }
            }
            let first_line = p.span(start..start).line;
            tocs.push(p.toc(&code, first_line));
        }
    }
    (tocs, p.diags)
}

/// A block-level item before assembly: blocks plus the marks that structure them.
enum Node {
    Block(Block),
    TabBegin(Vec<String>, Span),
    TabEnd(Span),
    /// A `:Caption` paragraph waiting for its table.
    Caption(Vec<Inline>, Option<Label>),
}

/// A paragraph-level item: an inline, or a structural mark found among the inlines.
enum Item {
    Inline(Inline),
    Role {
        name: String,
        arg: String,
        span: Span,
    },
    DisplayMath(String, Span),
    /// An image with its alt text parsed as a caption (a figure if alone in its paragraph).
    Image {
        src: String,
        caption: Vec<Inline>,
        span: Span,
    },
}

struct MdParser<'a> {
    text: &'a str,
    file: Arc<str>,
    dir: &'a Path,
    fence: &'a Fence,
    lines: LineIndex,
    /// The events of the part of the text being read (see `load`).
    events: Vec<(Event<'a>, Range<usize>)>,
    pos: usize,
    diags: Vec<Diagnostic>,
    /// `:end_tab:` marks that closed no tab in the container they were read in: they
    /// close the tab of the enclosing container, else they are warned about. (Marks alone
    /// on their lines never get here: `tabs` takes them out first; these are marks in
    /// text, as in `> :end_tab:`.)
    stray_tab_ends: Vec<Span>,
    /// Current nesting of block containers and of inline markup (see `MAX_NESTING`).
    block_depth: usize,
    inline_depth: usize,
}

impl<'a> MdParser<'a> {
    fn new(text: &'a str, file: &str, dir: &'a Path, fence: &'a Fence) -> Self {
        MdParser {
            text,
            file: file.into(),
            dir,
            fence,
            lines: LineIndex::new(text),
            events: Vec::new(),
            pos: 0,
            diags: Vec::new(),
            stray_tab_ends: Vec::new(),
            block_depth: 0,
            inline_depth: 0,
        }
    }

    /// Reads the part `range` of the text as Markdown: its events, at their offsets in
    /// the whole text, are what `next` gives from now on.
    fn load(&mut self, range: Range<usize>) {
        let mut options = Options::empty();
        options.insert(Options::ENABLE_TABLES);
        options.insert(Options::ENABLE_MATH);
        options.insert(Options::ENABLE_STRIKETHROUGH);
        // Curly quotes and dashes, as Sphinx's smartquotes gave d2l books (never in code
        // or math, which are not text events).
        options.insert(Options::ENABLE_SMART_PUNCTUATION);
        let part = &self.text[range.clone()];
        self.events = Parser::new_ext(part, options)
            .into_offset_iter()
            .map(|(event, r)| (event, r.start + range.start..r.end + range.start))
            .collect();
        self.pos = 0;
    }

    fn span(&self, range: Range<usize>) -> Span {
        self.lines.span(self.text, self.file.clone(), range)
    }

    fn next(&mut self) -> Option<(Event<'a>, Range<usize>)> {
        let item = self.events.get(self.pos).cloned();
        self.pos += 1;
        item
    }

    fn warn(&mut self, message: String, span: &Span) {
        self.diags.push(Diagnostic::warning(message).at(span));
    }

    fn error(&mut self, message: String, span: &Span) {
        self.diags.push(Diagnostic::error(message).at(span));
    }

    /// Block-level events until the end tag `until` (or the end of input).
    fn blocks(&mut self, until: Option<TagEnd>) -> Vec<Node> {
        let mut out: Vec<Node> = Vec::new();
        while let Some((event, range)) = self.next() {
            match event {
                Event::End(end) if Some(end) == until => break,
                Event::Start(Tag::Paragraph) => {
                    let items = self.items(TagEnd::Paragraph);
                    self.paragraph(items, range, &mut out);
                }
                Event::Start(Tag::Heading { level, .. }) => {
                    let end = TagEnd::Heading(level);
                    let items = self.items(end);
                    let content = self.inlines_only(items);
                    out.push(Node::Block(Block::Heading(Heading {
                        level: level as u8,
                        content,
                        id: String::new(),
                        label: None,
                        number: String::new(),
                        span: self.span(range),
                    })));
                }
                Event::Start(Tag::BlockQuote(_) | Tag::List(_))
                    if self.block_depth >= MAX_NESTING =>
                {
                    let text = self.too_deep(range);
                    out.push(Node::Block(Block::Paragraph(vec![Inline::Text(text)])));
                }
                Event::Start(Tag::BlockQuote(_)) => {
                    self.block_depth += 1;
                    let inner = self.blocks(Some(TagEnd::BlockQuote(None)));
                    self.block_depth -= 1;
                    let inner = self.assemble(inner);
                    out.push(Node::Block(Block::Quote(inner)));
                    self.bubble_tab_ends(&mut out);
                }
                Event::Start(Tag::List(start)) => {
                    self.block_depth += 1;
                    let mut items = Vec::new();
                    while let Some((event, _)) = self.next() {
                        match event {
                            Event::Start(Tag::Item) => {
                                let nodes = self.blocks(Some(TagEnd::Item));
                                items.push(self.assemble(nodes));
                            }
                            Event::End(TagEnd::List(_)) => break,
                            _ => {}
                        }
                    }
                    self.block_depth -= 1;
                    out.push(Node::Block(Block::List { start, items }));
                    self.bubble_tab_ends(&mut out);
                }
                Event::Start(Tag::CodeBlock(kind)) => {
                    let mut code = String::new();
                    let mut code_start = None;
                    while let Some((event, r)) = self.next() {
                        match event {
                            Event::Text(t) => {
                                code_start.get_or_insert(r.start);
                                code.push_str(&t);
                            }
                            Event::End(TagEnd::CodeBlock) => break,
                            _ => {}
                        }
                    }
                    let info = match kind {
                        CodeBlockKind::Fenced(info) => info.to_string(),
                        CodeBlockKind::Indented => String::new(),
                    };
                    let fence = self.span(range.clone());
                    let first_line = code_start.map_or(fence.line + 1, |s| self.span(s..s).line);
                    self.code_block(&info, code, fence, first_line, &mut out);
                }
                Event::Start(Tag::HtmlBlock) => {
                    let mut html = String::new();
                    while let Some((event, _)) = self.next() {
                        match event {
                            Event::Html(h) | Event::Text(h) => html.push_str(&h),
                            Event::End(TagEnd::HtmlBlock) => break,
                            _ => {}
                        }
                    }
                    // An HTML comment is the author's note to self, not content.
                    if !html.trim_start().starts_with("<!--") {
                        let span = self.span(range.clone());
                        out.push(Node::Block(Block::RawHtml { html, span }));
                    }
                }
                Event::Start(Tag::Table(aligns)) => {
                    let table = self.table(aligns, self.span(range.clone()));
                    out.push(Node::Block(Block::Table(table)));
                }
                Event::Rule => out.push(Node::Block(Block::Rule)),
                Event::Start(Tag::FootnoteDefinition(_))
                | Event::Start(Tag::MetadataBlock(_))
                | Event::Start(Tag::DefinitionList) => {
                    let span = self.span(range);
                    self.warn(
                        "this Markdown extension is not supported; skipped".into(),
                        &span,
                    );
                }
                // Stray inline content at block level (e.g. in a tight list item).
                Event::Text(_)
                | Event::Code(_)
                | Event::InlineMath(_)
                | Event::DisplayMath(_)
                | Event::InlineHtml(_)
                | Event::Start(Tag::Emphasis)
                | Event::Start(Tag::Strong)
                | Event::Start(Tag::Strikethrough)
                | Event::Start(Tag::Link { .. })
                | Event::Start(Tag::Image { .. }) => {
                    self.pos -= 1;
                    let start = self.pos;
                    let items = self.tight_items(until);
                    let end = self.events[self.pos.saturating_sub(1)].1.end;
                    self.paragraph(items, self.events[start].1.start..end, &mut out);
                }
                _ => {}
            }
        }
        out
    }

    /// Skips a structure nested deeper than `MAX_NESTING` (its start event, at `range`,
    /// just read) with an error, and returns its text, which is shown plainly instead.
    fn too_deep(&mut self, range: Range<usize>) -> String {
        let span = self.span(range);
        self.error(
            format!("nesting deeper than {MAX_NESTING} levels; the rest is shown as plain text"),
            &span,
        );
        let mut depth = 1;
        let mut text = String::new();
        while let Some((event, _)) = self.next() {
            match event {
                Event::Start(_) => depth += 1,
                Event::End(_) => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Event::Text(t)
                | Event::Code(t)
                | Event::InlineMath(t)
                | Event::DisplayMath(t)
                | Event::Html(t)
                | Event::InlineHtml(t) => text.push_str(&t),
                Event::SoftBreak | Event::HardBreak => text.push(' '),
                _ => {}
            }
        }
        text
    }

    /// Stray `:end_tab:` marks of a container just read, as marks after it.
    fn bubble_tab_ends(&mut self, out: &mut Vec<Node>) {
        out.extend(self.stray_tab_ends.drain(..).map(Node::TabEnd));
    }

    /// Inline items of a tight list item: until a block start or the container's end.
    fn tight_items(&mut self, until: Option<TagEnd>) -> Vec<Item> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut end = start;
        while let Some((event, _)) = self.events.get(end) {
            match event {
                Event::Start(tag) if is_inline_container(tag) => depth += 1,
                Event::End(
                    TagEnd::Emphasis
                    | TagEnd::Strong
                    | TagEnd::Strikethrough
                    | TagEnd::Link
                    | TagEnd::Image,
                ) => depth = depth.saturating_sub(1),
                Event::Start(_) if depth == 0 => break,
                Event::End(e) if depth == 0 && Some(*e) == until => break,
                Event::End(_) if depth == 0 => break,
                _ => {}
            }
            end += 1;
        }
        let mut items = Vec::new();
        while self.pos < end {
            self.inline_event(&mut items);
        }
        items
    }

    /// Nodes → blocks: tab groups closed, captions joined to their tables.
    fn assemble(&mut self, nodes: Vec<Node>) -> Vec<Block> {
        let mut out: Vec<Block> = Vec::new();
        let mut tab: Option<(Vec<String>, Span, Vec<Block>)> = None;
        let mut caption: Option<(Vec<Inline>, Option<Label>)> = None;
        for node in nodes {
            let block = match node {
                Node::TabBegin(names, span) => {
                    if let Some((names, begin, blocks)) = tab.take() {
                        self.close_tab(&mut out, names, begin, blocks, Some(&span));
                    }
                    tab = Some((names, span, Vec::new()));
                    continue;
                }
                Node::TabEnd(span) => {
                    match tab.take() {
                        Some((names, begin, blocks)) => {
                            self.close_tab(&mut out, names, begin, blocks, None)
                        }
                        None => self.stray_tab_ends.push(span),
                    }
                    continue;
                }
                Node::Caption(inlines, label) => {
                    if let Some((text, _)) = caption.take() {
                        out.push(caption_paragraph(text));
                    }
                    caption = Some((inlines, label));
                    continue;
                }
                Node::Block(Block::Table(mut table)) => {
                    if let Some((text, label)) = caption.take() {
                        table.caption = text;
                        // A label before the table and one after it: the first wins.
                        if let Some(label) = label {
                            if let Some(second) = table.label.replace(label) {
                                self.warn(
                                    format!("second label '{}' for the same table", second.name),
                                    &second.span,
                                );
                            }
                        }
                    }
                    Block::Table(table)
                }
                Node::Block(b) => {
                    if let Some((text, _)) = caption.take() {
                        out.push(caption_paragraph(text));
                    }
                    b
                }
            };
            match &mut tab {
                Some((_, _, blocks)) => blocks.push(block),
                None => out.push(block),
            }
        }
        if let Some((text, _)) = caption.take() {
            out.push(caption_paragraph(text));
        }
        if let Some((names, span, blocks)) = tab.take() {
            self.warn(
                "':begin_tab:' is not closed by ':end_tab:'; it ends at the end of the block"
                    .into(),
                &span,
            );
            self.close_tab(&mut out, names, span, blocks, None);
        }
        out
    }

    fn close_tab(
        &mut self,
        out: &mut Vec<Block>,
        names: Vec<String>,
        begin: Span,
        blocks: Vec<Block>,
        next: Option<&Span>,
    ) {
        if let Some(span) = next {
            self.warn(
                "':begin_tab:' before the previous tab's ':end_tab:'; closing it here".into(),
                span,
            );
        }
        out.push(Block::Tab {
            names,
            blocks,
            span: begin,
        });
    }
}

/// Tags of inline markup that holds other inlines (and counts toward `MAX_NESTING`).
fn is_inline_container(tag: &Tag) -> bool {
    matches!(
        tag,
        Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. } | Tag::Image { .. }
    )
}

/// Anchors for headings: the label, else a slug of the title, unique within the page.
fn assign_heading_ids(blocks: &mut [Block]) {
    let mut seen = std::collections::HashSet::new();
    visit_blocks_mut(blocks, &mut |b| {
        if let Block::Heading(h) = b {
            let base = match &h.label {
                Some(l) => l.name.clone(),
                None => slug(&plain_text(&h.content)),
            };
            let mut id = base.clone();
            let mut n = 1;
            while !seen.insert(id.clone()) {
                id = format!("{base}-{n}");
                n += 1;
            }
            h.id = id;
        }
    });
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if (c.is_whitespace() || c == '-' || c == '_') && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "section".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> (Doc, Vec<Diagnostic>) {
        parse(
            text,
            "t.md",
            Path::new("."),
            &Fence::new(Path::new("."), &[]),
        )
    }

    #[test]
    fn toc_blocks_are_found_in_every_fence_shape_and_skipped_without_one() {
        let entries = |text: &str| -> Vec<String> {
            toc_blocks(text, "a.md")
                .0
                .iter()
                .flat_map(|t| t.entries.iter().map(|e| e.target.clone()))
                .collect()
        };
        for text in [
            "```toc\na\n```\n",
            "\u{feff}```toc\na\n```\n",
            "~~~ toc\na\n~~~\n",
            "- item\n\n  ````toc\n  a\n  ````\n",
            "> ```toc\n> a\n> ```\n",
        ] {
            assert_eq!(entries(text), ["a"], "{text:?}");
        }
        assert!(entries("# Protocols\n\nA toc is not a fence.\n```rust\ntoc();\n```\n").is_empty());
    }

    #[test]
    fn odd_input_never_panics() {
        let inputs = [
            "",
            ":label:`x`",
            ":",
            "::`x`",
            "$",
            "$$",
            "$$\n",
            "```",
            "```toc\n:maxdepth: x\n",
            "```{.rust .input}\n//@tab\n",
            "```eval_rst\n.. raw:: html\n   :file: nowhere.html\n```",
            ":begin_tab:`a`\n:begin_tab:`b`\n:end_tab:\n:end_tab:",
            "![](x.png):label:`a`:label:`b`:width:`1`",
            "| a |\n|---|\n| :numref:`x` |\n\n:label:`t`",
            "- $$x$$\n  :eqlabel:`e`\n- :cite:``",
            "# 見出し:label:`見出し`",
            "[**]",
            "(~~~~)",
            "<div>\n\n:label:`x`\n\n</div>",
            "> :begin_tab:`q`\n> text",
        ];
        for input in inputs {
            let _ = doc(input);
        }
    }

    #[test]
    fn labels_attach_to_what_they_follow() {
        let (d, diags) = doc("# T\n:label:`sec_t`\n\n![c](i.png)\n:width:`10px`\n:label:`fig_c`\n\n$$x$$ :eqlabel:`eq_x`\n\n:Cap\n:label:`tab_t`\n\n|a|\n|-|\n|1|\n");
        assert!(diags.is_empty(), "{diags:?}");
        let labels: Vec<String> = d
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading(h) => h.label.as_ref().map(|l| l.name.clone()),
                Block::Figure(f) => f.label.as_ref().map(|l| l.name.clone()),
                Block::Equation(e) => e.label.as_ref().map(|l| l.name.clone()),
                Block::Table(t) => t.label.as_ref().map(|l| l.name.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(labels, ["sec_t", "fig_c", "eq_x", "tab_t"]);
    }

    /// The label and caption text of every table of a doc.
    fn tables(d: &Doc) -> Vec<(String, String, usize)> {
        let mut out = Vec::new();
        for_each_block(&d.blocks, &mut |b| {
            if let Block::Table(t) = b {
                let label = t.label.as_ref().map_or(String::new(), |l| l.name.clone());
                out.push((label, plain_text(&t.caption), t.rows.len()));
            }
        });
        out
    }

    #[test]
    fn a_label_right_after_the_last_row_names_the_table() {
        let want = |label: &str, caption: &str| (label.to_string(), caption.to_string(), 1);
        let shapes = [
            ("|a|b|\n|-|-|\n|1|2|\n:label:`tab_a`\n", want("tab_a", "")),
            ("|a|\n|-|\n|1|\n:label:`tab_x-1`\n", want("tab_x-1", "")),
            (
                ":Cap\n|a|b|\n|-|-|\n|1|2|\n:label:`tab_b`\n",
                want("tab_b", "Cap"),
            ),
            (
                ":Cap\n\n|a|b|\n|-|-|\n|1|2|\n:label:`tab_c`\n",
                want("tab_c", "Cap"),
            ),
            (
                ":Cap\n\n|a|b|\n|-|-|\n|1|2|\n\n:label:`tab_d`\n",
                want("tab_d", "Cap"),
            ),
            (
                ":Cap\n:label:`tab_e`\n|a|\n|-|\n|1|\n",
                want("tab_e", "Cap"),
            ),
            (
                ":Cap\n:label:`tab_f`\n\n|a|\n|-|\n|1|\n",
                want("tab_f", "Cap"),
            ),
            ("- |a|\n  |-|\n  |1|\n  :label:`tab_g`\n", want("tab_g", "")),
        ];
        for (source, table) in shapes {
            let (d, diags) = doc(source);
            assert_eq!(tables(&d), [table], "{source}");
            assert!(diags.is_empty(), "{source}: {diags:?}");
        }
        // The label's span is the role's, on its own line.
        let (d, _) = doc("|a|\n|-|\n|1|\n:label:`tab_a`\n");
        let Block::Table(t) = &d.blocks[0] else {
            panic!()
        };
        let span = &t.label.as_ref().unwrap().span;
        assert_eq!((span.line, span.col, span.len), (4, 1, 14));
        // A row with a label among other text stays a row; two labels: the first wins.
        let (d, _) = doc("|a|b|\n|-|-|\n|x|:label:`l`|\n");
        assert_eq!(tables(&d), [(String::new(), String::new(), 1)]);
        let (d, diags) = doc(":Cap\n:label:`one`\n\n|a|\n|-|\n|1|\n:label:`two`\n");
        assert_eq!(tables(&d), [want("one", "Cap")]);
        assert!(diags[0].message.contains("second label 'two'"), "{diags:?}");
    }

    #[test]
    fn tab_marks_are_lines_that_close_lists_and_paragraphs() {
        let source = "# T\n\n:begin_tab:`mxnet`\n- one\n  - nested\n:end_tab:\n:begin_tab:`pytorch`\nA paragraph.\n:end_tab:\n:begin_tab:`tensorflow`\n1. x\n\n   more\n:end_tab:\n\nAfter.\n\n:begin_tab:`jax`\n> quoted\n:end_tab:\n```\n:end_tab:\n```\n";
        let (d, diags) = doc(source);
        assert!(diags.is_empty(), "{diags:?}");
        let tabs: Vec<(String, usize, usize)> = d
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Tab {
                    names,
                    blocks,
                    span,
                } => Some((names.join(","), blocks.len(), span.line)),
                _ => None,
            })
            .collect();
        assert_eq!(
            tabs,
            [
                ("mxnet".into(), 1, 3),
                ("pytorch".into(), 1, 7),
                ("tensorflow".into(), 1, 10),
                ("jax".into(), 1, 18)
            ]
        );
        // The text after a tab's end is outside it; the fenced mark is code.
        assert!(matches!(&d.blocks[4], Block::Paragraph(p) if plain_text(p) == "After."));
        assert!(matches!(&d.blocks[6], Block::Code(c) if c.code == ":end_tab:"));
        // An unclosed tab is warned about at its mark, a stray end at its own.
        let (_, diags) = doc("x\n  :begin_tab:`a`\ny\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(
            (
                diags[0].span.as_ref().unwrap().line,
                diags[0].span.as_ref().unwrap().col
            ),
            (2, 3)
        );
        // Text between marks keeps its place in the file.
        let (_, diags) = doc(":begin_tab:`a`\n- x :nope:`y`\n:end_tab:\n");
        let span = diags[0].span.as_ref().unwrap();
        assert_eq!((span.line, span.col, span.len), (2, 5, 9), "{diags:?}");
        let (_, diags) = doc("- x\n:end_tab:\n");
        assert!(diags[0].message.contains("without a ':begin_tab:'"));
        assert_eq!(diags[0].span.as_ref().unwrap().line, 2);
    }

    #[test]
    fn slide_marks_around_display_math_keep_the_equation_and_its_label() {
        let (d, diags) = doc("(**$$y = 2x\n\\quad 1$$**)\n:eqlabel:`eq_y`\n\nText [**$$z$$**] :eqlabel:`eq_z` and (**bold**).\n");
        assert!(diags.is_empty(), "{diags:?}");
        let eqs: Vec<(String, String)> = d
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Equation(e) => Some((e.tex.clone(), e.label.as_ref()?.name.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            eqs,
            [
                ("y = 2x\n\\quad 1".to_string(), "eq_y".to_string()),
                ("z".to_string(), "eq_z".to_string())
            ]
        );
        let texts: Vec<String> = d
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Paragraph(p) => Some(plain_text(p)),
                _ => None,
            })
            .collect();
        assert_eq!(texts, ["Text", "and bold."]);
    }

    #[test]
    fn role_spans_point_at_the_role() {
        let (d, _) = doc("# T\n\n図は:numref:`fig_a`で\n");
        let Block::Paragraph(p) = &d.blocks[1] else {
            panic!()
        };
        let Inline::Ref(r) = &p[1] else {
            panic!("{p:?}")
        };
        assert_eq!((r.span.line, r.span.col, r.span.len), (3, 3, 15));
    }
}
