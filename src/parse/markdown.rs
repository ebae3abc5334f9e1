//! Markdown (pulldown-cmark events with byte offsets) → the IR, with the d2lbook marks:
//! roles split out of the event stream, labels attached to what they follow, figures,
//! captioned tables, numbered equations, cells, tabs, toc blocks and raw blocks.

use super::{cells, roles, rst};
use crate::diag::Diagnostic;
use crate::doc::*;
use crate::fence::Fence;
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
    let nodes = p.blocks(None);
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
    let text = super::clean_text(text);
    let closed = Fence::closed();
    let mut p = MdParser::new(&text, file, Path::new("."), &closed);
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
    events: Vec<(Event<'a>, Range<usize>)>,
    pos: usize,
    diags: Vec<Diagnostic>,
    /// `:end_tab:` marks that closed no tab in the container they were read in: they
    /// close the tab of the enclosing container (the mark is line structure, and a line
    /// after a list item belongs to the item in Markdown), else they are warned about.
    stray_tab_ends: Vec<Span>,
    /// Current nesting of block containers and of inline markup (see `MAX_NESTING`).
    block_depth: usize,
    inline_depth: usize,
}

impl<'a> MdParser<'a> {
    fn new(text: &'a str, file: &str, dir: &'a Path, fence: &'a Fence) -> Self {
        let mut options = Options::empty();
        options.insert(Options::ENABLE_TABLES);
        options.insert(Options::ENABLE_MATH);
        options.insert(Options::ENABLE_STRIKETHROUGH);
        MdParser {
            text,
            file: file.into(),
            dir,
            fence,
            lines: LineIndex::new(text),
            events: Parser::new_ext(text, options).into_offset_iter().collect(),
            pos: 0,
            diags: Vec::new(),
            stray_tab_ends: Vec::new(),
            block_depth: 0,
            inline_depth: 0,
        }
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
                        out.push(Node::Block(Block::RawHtml(html)));
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
                Event::Start(
                    Tag::Emphasis
                    | Tag::Strong
                    | Tag::Strikethrough
                    | Tag::Link { .. }
                    | Tag::Image { .. },
                ) => depth += 1,
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

    /// Inline items until `until`.
    fn items(&mut self, until: TagEnd) -> Vec<Item> {
        let mut items = Vec::new();
        while let Some((event, _)) = self.events.get(self.pos) {
            if matches!(event, Event::End(e) if *e == until) {
                self.pos += 1;
                break;
            }
            self.inline_event(&mut items);
        }
        items
    }

    /// Consumes one inline event (and its children) into `items`.
    fn inline_event(&mut self, items: &mut Vec<Item>) {
        let Some((event, range)) = self.next() else {
            return;
        };
        match event {
            Event::Start(
                Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Link { .. }
                | Tag::Image { .. },
            ) if self.inline_depth >= MAX_NESTING => {
                let text = self.too_deep(range);
                push_text(items, &text);
            }
            Event::Text(t) => push_text(items, &t),
            Event::Code(code) => {
                // `:name:` right before a code span makes it a role.
                if let Some(Item::Inline(Inline::Text(prev))) = items.last_mut() {
                    if let Some((at, name)) = roles::trailing_role_name(prev) {
                        let name = name.to_string();
                        let role_len = name.len() + 2;
                        prev.truncate(at);
                        if prev.is_empty() {
                            items.pop();
                        }
                        let span = self.span(range.start.saturating_sub(role_len)..range.end);
                        if roles::KNOWN.contains(&name.as_str()) {
                            items.push(Item::Role {
                                name,
                                arg: code.to_string(),
                                span,
                            });
                        } else {
                            self.error(format!("unknown role ':{name}:'"), &span);
                            push_text(items, &format!(":{name}:"));
                            items.push(Item::Inline(Inline::Code(code.to_string())));
                        }
                        return;
                    }
                }
                items.push(Item::Inline(Inline::Code(code.to_string())));
            }
            Event::InlineMath(tex) => {
                let span = self.span(range);
                items.push(Item::Inline(Inline::Math {
                    tex: tex.to_string(),
                    span,
                }));
            }
            Event::DisplayMath(tex) => {
                let span = self.span(range);
                items.push(Item::DisplayMath(tex.trim().to_string(), span));
            }
            Event::InlineHtml(h) | Event::Html(h) => {
                items.push(Item::Inline(Inline::Html(h.to_string())))
            }
            Event::SoftBreak => items.push(Item::Inline(Inline::SoftBreak)),
            Event::HardBreak => items.push(Item::Inline(Inline::HardBreak)),
            Event::Start(Tag::Emphasis) => {
                let inner = self.nested(TagEnd::Emphasis);
                items.push(Item::Inline(Inline::Emph(inner)));
            }
            Event::Start(Tag::Strong) => {
                let inner = self.nested(TagEnd::Strong);
                items.push(Item::Inline(Inline::Strong(inner)));
            }
            Event::Start(Tag::Strikethrough) => {
                let inner = self.nested(TagEnd::Strikethrough);
                items.push(Item::Inline(Inline::Strike(inner)));
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                let span = Some(self.span(range));
                let content = self.nested(TagEnd::Link);
                items.push(Item::Inline(Inline::Link {
                    url: dest_url.to_string(),
                    content,
                    span,
                    target: None,
                }));
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                self.inline_depth += 1;
                let inner = self.items(TagEnd::Image);
                self.inline_depth -= 1;
                let caption = self.inlines_only(inner);
                items.push(Item::Image {
                    src: dest_url.to_string(),
                    caption,
                    span: self.span(range),
                });
            }
            Event::FootnoteReference(name) => push_text(items, &format!("[^{name}]")),
            _ => {}
        }
    }

    fn nested(&mut self, until: TagEnd) -> Vec<Inline> {
        self.inline_depth += 1;
        let items = self.items(until);
        self.inline_depth -= 1;
        self.inlines_only(items)
    }

    /// Items → inlines; structural roles inside inline markup are out of place.
    fn inlines_only(&mut self, items: Vec<Item>) -> Vec<Inline> {
        let mut out = Vec::new();
        for item in items {
            match item {
                Item::Inline(i) => out.push(i),
                Item::Role { name, arg, span } => match self.reference(&name, &arg, &span) {
                    Some(inline) => out.push(inline),
                    None => self.warn(format!("':{name}:' has nothing to attach to here"), &span),
                },
                Item::Image { src, caption, span } => out.push(Inline::Image {
                    alt: plain_text(&caption),
                    src,
                    span,
                }),
                Item::DisplayMath(tex, span) => out.push(Inline::Math { tex, span }),
            }
        }
        slide_marks(&mut out);
        out
    }

    /// The reference roles, as inlines.
    fn reference(&mut self, name: &str, arg: &str, span: &Span) -> Option<Inline> {
        let kind = match name {
            "numref" => RefKind::Numref,
            "ref" => RefKind::Ref,
            "eqref" => RefKind::Eqref,
            "cite" | "citep" | "citet" => {
                let keys = roles::cite_keys(arg);
                if keys.is_empty() {
                    self.error(format!("':{name}:' without a cite key"), span);
                }
                return Some(Inline::Cite(Cite {
                    kind: if name == "citet" {
                        CiteKind::Text
                    } else {
                        CiteKind::Paren
                    },
                    shown: None,
                    keys,
                    span: span.clone(),
                }));
            }
            _ => return None,
        };
        let (text, label) = roles::split_explicit_title(arg);
        Some(Inline::Ref(Ref {
            kind,
            label,
            text,
            span: span.clone(),
            target: None,
        }))
    }

    /// Turns a paragraph's items into blocks: equations split it, labels attach to what
    /// precedes them, an image alone is a figure, a leading `:` makes a table caption.
    /// `range` is the paragraph's source, where its `:end_tab:` marks are looked up.
    fn paragraph(&mut self, items: Vec<Item>, range: Range<usize>, out: &mut Vec<Node>) {
        let mut run: Vec<Item> = Vec::new();
        // Only the run before the first split (an equation, a tab mark, the bibliography)
        // can be a `:Caption`: that is the run holding the paragraph's leading `:`.
        let mut is_caption =
            matches!(items.first(), Some(Item::Inline(Inline::Text(t))) if t.starts_with(':'));
        let mut caption_label: Option<Label> = None;
        let source = self.text.get(range.clone()).unwrap_or("");
        let mut end_tabs = source
            .match_indices(":end_tab:")
            .map(|(at, _)| range.start + at);
        for item in items {
            if let Item::Inline(Inline::Text(t)) = &item {
                self.unopened_math(t, source, range.start);
            }
            match item {
                Item::DisplayMath(tex, span) => {
                    self.split(&mut run, out, &mut is_caption, &mut caption_label);
                    out.push(Node::Block(Block::Equation(Equation {
                        tex,
                        label: None,
                        span,
                        number: String::new(),
                    })));
                }
                Item::Role { name, arg, span } => match name.as_str() {
                    "begin_tab" => {
                        self.split(&mut run, out, &mut is_caption, &mut caption_label);
                        let names = roles::cite_keys(&arg);
                        out.push(Node::TabBegin(names, span));
                    }
                    "bibliography" => {
                        self.split(&mut run, out, &mut is_caption, &mut caption_label);
                        out.push(Node::Block(Block::Bibliography { path: arg, span }));
                    }
                    "label" | "eqlabel" => {
                        let label = self.label(&arg, &span);
                        if is_caption && caption_label.is_none() && !run.is_empty() {
                            caption_label = label;
                        } else if is_figure_run(&run) {
                            run.push(Item::Role { name, arg, span });
                        } else if only_space(&run) {
                            run.clear();
                            if let Some(label) = label {
                                self.attach(label, &name, out);
                            }
                        } else {
                            self.warn(format!("':{name}:' must follow a heading, figure, table, equation or code block"), &span);
                        }
                    }
                    "width" | "height" if is_figure_run(&run) => {
                        run.push(Item::Role { name, arg, span });
                    }
                    "width" | "height" => run.push(Item::Role { name, arg, span }),
                    _ => match self.reference(&name, &arg, &span) {
                        Some(inline) => run.push(Item::Inline(inline)),
                        None => self.warn(format!("':{name}:' is out of place here"), &span),
                    },
                },
                Item::Inline(Inline::Text(t)) if t.contains(":end_tab:") => {
                    for (i, part) in t.split(":end_tab:").enumerate() {
                        if i > 0 {
                            self.split(&mut run, out, &mut is_caption, &mut caption_label);
                            let at = end_tabs.next().unwrap_or(range.start);
                            out.push(Node::TabEnd(self.span(at..at + ":end_tab:".len())));
                        }
                        if !part.trim().is_empty() {
                            run.push(Item::Inline(Inline::Text(part.to_string())));
                        }
                    }
                }
                other => run.push(other),
            }
        }
        self.flush(run, out, is_caption, caption_label);
    }

    /// Warns about each `$` of a paragraph's text that reads as the start of a formula
    /// (`$\`, `${`, `$}`) but that Markdown left as text because the formula's braces do
    /// not balance (`$\text{$`): the reader would see the TeX. `source`, at `offset`, is
    /// the paragraph's source.
    fn unopened_math(&mut self, text: &str, source: &str, offset: usize) {
        let mut from = 0;
        for (i, _) in text.match_indices('$') {
            let rest = &text[i..];
            if !rest[1..].starts_with(['\\', '{', '}']) {
                continue;
            }
            let fragment = rest.split_whitespace().next().unwrap_or(rest);
            let Some(at) = source[from..].find(fragment).map(|at| from + at) else {
                continue;
            };
            from = at + fragment.len();
            let span = self.span(offset + at..offset + from);
            self.diags.push(
                Diagnostic::warning(format!(
                    "'{fragment}' is shown as text, not math: its braces do not balance"
                ))
                .at(&span)
                .help("balance the braces, or write `\\$` for a dollar sign"),
            );
        }
    }

    fn label(&mut self, arg: &str, span: &Span) -> Option<Label> {
        let name = arg.trim();
        if !roles::is_valid_label(name) {
            self.error(
                format!("invalid label '{name}': labels use only letters, digits and _.:-"),
                span,
            );
            return None;
        }
        Some(Label {
            name: name.to_string(),
            span: span.clone(),
        })
    }

    /// Attaches a label to the last block (heading, figure, table, equation, code).
    fn attach(&mut self, label: Label, role: &str, out: &mut [Node]) {
        let slot = match out.last_mut() {
            Some(Node::Block(Block::Heading(h))) if role == "label" => Some(&mut h.label),
            Some(Node::Block(Block::Figure(f))) if role == "label" => Some(&mut f.label),
            Some(Node::Block(Block::Table(t))) if role == "label" => Some(&mut t.label),
            Some(Node::Caption(_, l)) if role == "label" => Some(l),
            Some(Node::Block(Block::Code(c))) if role == "label" => Some(&mut c.label),
            Some(Node::Block(Block::Equation(e))) => Some(&mut e.label),
            _ => None,
        };
        match slot {
            Some(slot) if slot.is_none() => *slot = Some(label),
            Some(_) => self.warn(
                format!("second label '{}' for the same element", label.name),
                &label.span,
            ),
            None => {
                let what = if role == "eqlabel" {
                    "a display equation ($$…$$)"
                } else {
                    "a heading, figure, table, equation or code block"
                };
                self.warn(
                    format!("':{role}:`{}`' does not follow {what}", label.name),
                    &label.span,
                );
            }
        }
    }

    /// Ends the current run where a paragraph splits; what follows is no caption.
    fn split(
        &mut self,
        run: &mut Vec<Item>,
        out: &mut Vec<Node>,
        caption: &mut bool,
        label: &mut Option<Label>,
    ) {
        self.flush(
            std::mem::take(run),
            out,
            std::mem::take(caption),
            label.take(),
        );
    }

    /// Ends an inline run: a figure, a table caption, a paragraph, or nothing.
    fn flush(&mut self, run: Vec<Item>, out: &mut Vec<Node>, caption: bool, label: Option<Label>) {
        if only_space(&run) {
            return;
        }
        if is_figure_run(&run) {
            let figure = self.figure(run);
            out.push(Node::Block(Block::Figure(figure)));
            return;
        }
        let mut inlines = self.inlines_only(run);
        trim_inlines(&mut inlines);
        // The leading `:` of a caption is the run's first character (`paragraph` passes
        // `caption` only for the run that starts the paragraph).
        let caption_text = match inlines.first() {
            Some(Inline::Text(t)) if caption => t.strip_prefix(':').map(str::trim_start),
            _ => None,
        };
        if let Some(rest) = caption_text {
            inlines[0] = Inline::Text(rest.to_string());
            inlines.retain(|i| !matches!(i, Inline::Text(t) if t.is_empty()));
            out.push(Node::Caption(inlines, label));
        } else if !inlines.is_empty() {
            out.push(Node::Block(Block::Paragraph(inlines)));
        }
    }

    fn figure(&mut self, run: Vec<Item>) -> Figure {
        let mut figure = Figure {
            src: String::new(),
            caption: Vec::new(),
            width: None,
            height: None,
            label: None,
            span: Span {
                file: self.file.clone(),
                line: 0,
                col: 0,
                len: 0,
            },
            number: String::new(),
        };
        for item in run {
            match item {
                Item::Image { src, caption, span } => {
                    figure.src = src;
                    figure.caption = caption;
                    figure.span = span;
                }
                Item::Role { name, arg, span } => match name.as_str() {
                    "width" => figure.width = Some(arg.trim().to_string()),
                    "height" => figure.height = Some(arg.trim().to_string()),
                    _ => {
                        if let Some(label) = self.label(&arg, &span) {
                            if figure.label.is_some() {
                                self.warn(
                                    format!("second label '{}' for the same figure", label.name),
                                    &span,
                                );
                            }
                            figure.label = Some(label);
                        }
                    }
                },
                _ => {}
            }
        }
        figure
    }

    fn table(&mut self, aligns: Vec<pulldown_cmark::Alignment>, span: Span) -> Table {
        use pulldown_cmark::Alignment as A;
        let mut table = Table {
            caption: Vec::new(),
            label: None,
            align: aligns
                .iter()
                .map(|a| match a {
                    A::None => Align::None,
                    A::Left => Align::Left,
                    A::Center => Align::Center,
                    A::Right => Align::Right,
                })
                .collect(),
            head: Vec::new(),
            rows: Vec::new(),
            span,
            number: String::new(),
        };
        let mut in_head = false;
        while let Some((event, _)) = self.next() {
            match event {
                Event::Start(Tag::TableHead) => in_head = true,
                Event::End(TagEnd::TableHead) => in_head = false,
                Event::Start(Tag::TableRow) => table.rows.push(Vec::new()),
                Event::Start(Tag::TableCell) => {
                    let items = self.items(TagEnd::TableCell);
                    let cell = self.inlines_only(items);
                    if in_head {
                        table.head.push(cell);
                    } else if let Some(row) = table.rows.last_mut() {
                        row.push(cell);
                    }
                }
                Event::End(TagEnd::Table) => break,
                _ => {}
            }
        }
        table
    }

    fn code_block(
        &mut self,
        info: &str,
        code: String,
        fence: Span,
        first_line: usize,
        out: &mut Vec<Node>,
    ) {
        let (lang, is_input) = cells::parse_info(info);
        let code = code.strip_suffix('\n').unwrap_or(&code).to_string();
        match lang.as_str() {
            "toc" if !is_input => {
                let toc = self.toc(&code, first_line);
                out.push(Node::Block(Block::Toc(toc)));
                return;
            }
            "eval_rst" if !is_input => {
                let (blocks, warnings) = rst::blocks(&code, self.dir, self.fence);
                for d in warnings {
                    self.diags.push(d.at(&fence));
                }
                out.extend(blocks.into_iter().map(Node::Block));
                return;
            }
            _ => {}
        }
        if !is_input {
            let lines = (0..code.lines().count()).map(|i| first_line + i).collect();
            out.push(Node::Block(Block::Code(Code {
                lang,
                code,
                cell: None,
                label: None,
                span: fence,
                lines,
                outputs: Vec::new(),
            })));
            return;
        }
        let src = cells::strip_marks(&code, &lang);
        for (line, mark) in &src.unknown {
            let span = Span {
                line: first_line + line,
                col: 1,
                len: mark.chars().count(),
                ..fence.clone()
            };
            self.warn(format!("unknown cell mark '{mark}'"), &span);
        }
        let cell = Block::Code(Code {
            lang,
            code: src.code,
            cell: Some(src.marks),
            label: None,
            lines: src.kept_lines.iter().map(|l| first_line + l).collect(),
            span: fence,
            outputs: Vec::new(),
        });
        if src.tabs.is_empty() {
            out.push(Node::Block(cell));
        } else {
            out.push(Node::Block(Block::Tab {
                names: src.tabs,
                blocks: vec![cell],
            }));
        }
    }

    fn toc(&mut self, code: &str, first_line: usize) -> Toc {
        let mut toc = Toc {
            entries: Vec::new(),
            maxdepth: usize::MAX,
            numbered: false,
        };
        for (i, line) in code.lines().enumerate() {
            let entry = line.trim();
            let span = Span {
                file: self.file.clone(),
                line: first_line + i,
                col: line.chars().count() - line.trim_start().chars().count() + 1,
                len: entry.chars().count(),
            };
            if let Some(option) = entry.strip_prefix(':') {
                let (name, value) = option.split_once(':').unwrap_or((option, ""));
                match name {
                    "maxdepth" => match value.trim().parse() {
                        Ok(n) => toc.maxdepth = n,
                        Err(_) => self.error(
                            format!("':maxdepth:' needs a number, not '{}'", value.trim()),
                            &span,
                        ),
                    },
                    "numbered" => toc.numbered = true,
                    "glob" | "hidden" | "titlesonly" | "caption" | "name" => {}
                    _ => self.warn(format!("unknown toc option ':{name}:'"), &span),
                }
            } else if !entry.is_empty() {
                toc.entries.push(TocEntry {
                    target: entry.to_string(),
                    span,
                });
            }
        }
        toc
    }

    /// Nodes → blocks: tab groups closed, captions joined to their tables.
    fn assemble(&mut self, nodes: Vec<Node>) -> Vec<Block> {
        let mut out: Vec<Block> = Vec::new();
        let mut tab: Option<(Vec<String>, Span, Vec<Block>)> = None;
        let mut caption: Option<(Vec<Inline>, Option<Label>)> = None;
        for node in nodes {
            let block = match node {
                Node::TabBegin(names, span) => {
                    if let Some((names, span, blocks)) = tab.take() {
                        self.close_tab(&mut out, names, blocks, Some(&span));
                    }
                    tab = Some((names, span, Vec::new()));
                    continue;
                }
                Node::TabEnd(span) => {
                    match tab.take() {
                        Some((names, _, blocks)) => self.close_tab(&mut out, names, blocks, None),
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
                        table.label = label;
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
            self.close_tab(&mut out, names, blocks, None);
        }
        out
    }

    fn close_tab(
        &mut self,
        out: &mut Vec<Block>,
        names: Vec<String>,
        blocks: Vec<Block>,
        next: Option<&Span>,
    ) {
        if let Some(span) = next {
            self.warn(
                "':begin_tab:' before the previous tab's ':end_tab:'; closing it here".into(),
                span,
            );
        }
        out.push(Block::Tab { names, blocks });
    }
}

fn caption_paragraph(mut text: Vec<Inline>) -> Block {
    // Not followed by a table after all: it was a paragraph that starts with ':'.
    text.insert(0, Inline::Text(":".into()));
    Block::Paragraph(text)
}

fn push_text(items: &mut Vec<Item>, text: &str) {
    if let Some(Item::Inline(Inline::Text(prev))) = items.last_mut() {
        prev.push_str(text);
    } else {
        items.push(Item::Inline(Inline::Text(text.to_string())));
    }
}

fn only_space(run: &[Item]) -> bool {
    run.iter().all(|i| match i {
        Item::Inline(Inline::Text(t)) => t.trim().is_empty(),
        Item::Inline(Inline::SoftBreak | Inline::HardBreak) => true,
        _ => false,
    })
}

/// An image and nothing else but size and label roles and spaces.
fn is_figure_run(run: &[Item]) -> bool {
    let mut images = 0;
    for item in run {
        match item {
            Item::Image { .. } => images += 1,
            Item::Role { name, .. } if matches!(name.as_str(), "width" | "height" | "label") => {}
            Item::Inline(Inline::Text(t)) if t.trim().is_empty() => {}
            Item::Inline(Inline::SoftBreak | Inline::HardBreak) => {}
            _ => return false,
        }
    }
    images == 1
}

fn trim_inlines(inlines: &mut Vec<Inline>) {
    while matches!(inlines.last(), Some(Inline::SoftBreak | Inline::HardBreak)) {
        inlines.pop();
    }
    while matches!(inlines.first(), Some(Inline::SoftBreak | Inline::HardBreak)) {
        inlines.remove(0);
    }
    if let Some(Inline::Text(t)) = inlines.last_mut() {
        let trimmed = t.trim_end().len();
        t.truncate(trimmed);
    }
    if let Some(Inline::Text(t)) = inlines.first_mut() {
        *t = t.trim_start().to_string();
    }
    inlines.retain(|i| !matches!(i, Inline::Text(t) if t.is_empty()));
}

/// Slide marks: `[**x**]` and `(**x**)` show as plain `x`; `[~~x~~]` and `(~~x~~)` vanish.
fn slide_marks(inlines: &mut Vec<Inline>) {
    let mut i = 0;
    while i + 2 < inlines.len() {
        let opens = matches!(&inlines[i], Inline::Text(t) if t.ends_with('[') || t.ends_with('('));
        let closes =
            matches!(&inlines[i + 2], Inline::Text(t) if t.starts_with(']') || t.starts_with(')'));
        let pair = match (&inlines[i], &inlines[i + 2]) {
            (Inline::Text(a), Inline::Text(b)) => {
                (a.ends_with('[') && b.starts_with(']')) || (a.ends_with('(') && b.starts_with(')'))
            }
            _ => false,
        };
        let inner = match &inlines[i + 1] {
            Inline::Strong(c) => Some(c.clone()),
            Inline::Strike(_) => Some(Vec::new()),
            _ => None,
        };
        match inner {
            Some(content) if opens && closes && pair => {
                if let Inline::Text(a) = &mut inlines[i] {
                    a.pop();
                }
                if let Inline::Text(b) = &mut inlines[i + 2] {
                    b.remove(0);
                }
                inlines.splice(i + 1..i + 2, content);
            }
            _ => {}
        }
        i += 1;
    }
    // Rejoin texts the marks split, so later passes see whole words.
    let mut merged: Vec<Inline> = Vec::with_capacity(inlines.len());
    for inline in inlines.drain(..) {
        match (merged.last_mut(), inline) {
            (Some(Inline::Text(prev)), Inline::Text(next)) => prev.push_str(&next),
            (_, inline) => merged.push(inline),
        }
    }
    merged.retain(|i| !matches!(i, Inline::Text(t) if t.is_empty()));
    *inlines = merged;
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
