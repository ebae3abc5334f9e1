//! The intermediate representation every backend matches over: a section's source parsed
//! into blocks and inlines, with source spans on everything a diagnostic may point at.

use std::sync::Arc;

/// A position in a source file: the path relative to the book root, 1-based line and
/// column (in characters), and the length of the marked text in characters.
#[derive(Debug, Hash, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Span {
    pub file: Arc<str>,
    pub line: usize,
    pub col: usize,
    pub len: usize,
}

/// The line starts of a text, to turn byte offsets into spans: every span of the book is
/// made here, so lines and columns are counted one way (lines end at `\n`, so a `\r`
/// before it is the last character of its line; columns count characters).
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        LineIndex {
            starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        }
    }

    /// The span of the byte range `range` of `text` (the text this index was made of).
    /// Offsets past the end or inside a character are clamped to the character that
    /// holds them, so any range is safe; the length counts the range's first line only.
    pub fn span(&self, text: &str, file: Arc<str>, range: std::ops::Range<usize>) -> Span {
        let start = floor_char_boundary(text, range.start);
        let end = floor_char_boundary(text, range.end).max(start);
        let line = self.starts.partition_point(|&s| s <= start).max(1);
        let line_start = self.starts[line - 1].min(start);
        let col = text[line_start..start].chars().count() + 1;
        let first_line = text[start..end].split('\n').next().unwrap_or("");
        let len = first_line.trim_end_matches('\r').chars().count().max(1);
        Span {
            file,
            line,
            col,
            len,
        }
    }
}

/// The span of a byte range of `text`, for texts that get few diagnostics (a config file,
/// a bibliography); parsers keep a `LineIndex`.
pub fn span_of(text: &str, file: &str, range: std::ops::Range<usize>) -> Span {
    LineIndex::new(text).span(text, file.into(), range)
}

/// The largest character boundary of `text` at or before `at` (clamped to its length).
pub fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// One section's document.
#[derive(Debug, Hash, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Doc {
    pub blocks: Vec<Block>,
}

#[derive(Debug, Hash, Clone, serde::Serialize, serde::Deserialize)]
pub enum Block {
    Heading(Heading),
    Paragraph(Vec<Inline>),
    Figure(Figure),
    Table(Table),
    Equation(Equation),
    Code(Code),
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Quote(Vec<Block>),
    Rule,
    Toc(Toc),
    /// Blocks shown in the tabs `names`; consecutive tab blocks form one tab group.
    Tab {
        names: Vec<String>,
        blocks: Vec<Block>,
        /// The `:begin_tab:` mark, or the cell whose `//@tab` mark made the tab.
        span: Span,
    },
    RawHtml {
        html: String,
        /// The HTML block, or the `eval_rst` block it came from.
        span: Span,
    },
    /// Blocks shown by one backend only (`.. only:: html` or `.. only:: latex` of an
    /// `eval_rst` block).
    Only {
        backend: Backend,
        blocks: Vec<Block>,
    },
    /// The list of every cited entry, placed where `:bibliography:` stands; `path` is the
    /// role's argument, the `.bib` file relative to the section's folder.
    Bibliography {
        path: String,
        span: Span,
    },
}

/// An output that content may be meant for alone.
#[derive(Debug, Hash, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Backend {
    /// The site (`.. only:: html`).
    Html,
    /// The PDF (`.. only:: latex`).
    Pdf,
}

#[derive(Debug, Hash, Clone, serde::Serialize, serde::Deserialize)]
pub struct Heading {
    pub level: u8,
    pub content: Vec<Inline>,
    /// The anchor: the label if there is one, else derived from the title.
    pub id: String,
    pub label: Option<Label>,
    /// Filled by `resolve`: `2.3.1`, or empty when unnumbered.
    pub number: String,
    pub span: Span,
}

#[derive(Debug, Hash, Clone, serde::Serialize, serde::Deserialize)]
pub struct Label {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Hash, Clone, serde::Serialize, serde::Deserialize)]
pub struct Figure {
    pub src: String,
    pub caption: Vec<Inline>,
    pub width: Option<String>,
    pub height: Option<String>,
    pub label: Option<Label>,
    pub span: Span,
    pub number: String,
}

#[derive(Debug, Hash, Clone, serde::Serialize, serde::Deserialize)]
pub struct Table {
    pub caption: Vec<Inline>,
    pub label: Option<Label>,
    pub align: Vec<Align>,
    pub head: Vec<Vec<Inline>>,
    pub rows: Vec<Vec<Vec<Inline>>>,
    pub number: String,
    pub span: Span,
}

#[derive(Debug, Hash, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Align {
    None,
    Left,
    Center,
    Right,
}

#[derive(Debug, Hash, Clone, serde::Serialize, serde::Deserialize)]
pub struct Equation {
    pub tex: String,
    pub label: Option<Label>,
    pub span: Span,
    pub number: String,
}

#[derive(Debug, Hash, Clone, serde::Serialize, serde::Deserialize)]
pub struct Code {
    /// Language of a cell or listing (`rust`, `python`, …); empty for a bare fence.
    pub lang: String,
    pub code: String,
    /// `Some` for `{.lang .input}` cells, `None` for plain listings.
    pub cell: Option<CellMarks>,
    pub label: Option<Label>,
    /// The fence's position; `lines[i]` is the source line (1-based) of code line `i`.
    pub span: Span,
    pub lines: Vec<usize>,
    /// What running the cell showed, in order (filled by `eval`).
    pub outputs: Vec<Output>,
    /// Filled by `resolve` for a labelled listing or cell: `2.1`; empty otherwise.
    pub number: String,
}

/// One piece of a cell's output.
#[derive(Debug, Hash, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Output {
    Stdout(String),
    Stderr(String),
    /// A rich value by MIME type: `image/svg+xml` figures, `text/plain` (a large tensor),
    /// `text/html` only for what really is HTML (a display of a book's own type).
    Data {
        mime: String,
        data: String,
    },
    /// A small tensor, as data: each backend decides how it looks.
    Tensor(Tensor),
    /// A compile error, panic or `Err` of this cell, with its chapter location.
    Error(String),
    /// A remark of the executor (output cut at the cap, later cells not run, …).
    Note(String),
}

/// A tensor a cell showed. Its entries come formatted by the library (`d2l::eval`), which
/// knows the dtype's rules, so that the site and the PDF show the same digits.
#[derive(Debug, Hash, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tensor {
    pub shape: Vec<usize>,
    /// candle's name of the element type (`f32`, `u32`, …).
    pub dtype: String,
    /// Where it lived, when not on the CPU (`Cuda { gpu_id: 0 }`).
    pub device: Option<String>,
    /// The entries in row-major order, as many as the shape's product (the eval stage
    /// checks it).
    pub cells: Vec<String>,
}

impl Tensor {
    /// The entries row by row: a row per index of all axes but the last; a scalar is one
    /// row of one entry.
    pub fn rows(&self) -> std::slice::Chunks<'_, String> {
        self.cells
            .chunks(self.shape.last().copied().unwrap_or(1).max(1))
    }
}

/// The marks of a code cell (`//@hide` and friends), already removed from its code.
#[derive(Debug, Hash, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CellMarks {
    pub hide_code: bool,
    pub hide_output: bool,
    /// The whole cell goes to the library (`//@save` on a line of its own).
    pub save_cell: bool,
    /// Lines (0-based, in the cell's code as shown) whose item `//@save` marked.
    pub save: Vec<usize>,
    /// An error in this cell does not fail the build.
    pub allow_error: bool,
}

#[derive(Debug, Hash, Clone, serde::Serialize, serde::Deserialize)]
pub struct Toc {
    pub entries: Vec<TocEntry>,
    pub maxdepth: usize,
    pub numbered: bool,
}

#[derive(Debug, Hash, Clone, serde::Serialize, serde::Deserialize)]
pub struct TocEntry {
    /// The path as written in the toc block.
    pub target: String,
    pub span: Span,
}

#[derive(Debug, Hash, Clone, serde::Serialize, serde::Deserialize)]
pub enum Inline {
    Text(String),
    Code(String),
    Emph(Vec<Inline>),
    Strong(Vec<Inline>),
    Strike(Vec<Inline>),
    Link {
        url: String,
        content: Vec<Inline>,
        /// Where the link is written; `None` for links the build makes (bibliography
        /// entries formatted from the `.bib`).
        span: Option<Span>,
        /// Filled by `resolve` for a link into the book (a section's source or page, or
        /// `#anchor` on this page); `None` for any other link, which keeps its `url`.
        target: Option<Place>,
    },
    Image {
        src: String,
        alt: String,
        span: Span,
    },
    Math {
        tex: String,
        span: Span,
    },
    Html(String),
    SoftBreak,
    HardBreak,
    Ref(Ref),
    Cite(Cite),
}

#[derive(Debug, Hash, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RefKind {
    Numref,
    Ref,
    Eqref,
}

#[derive(Debug, Hash, Clone, serde::Serialize, serde::Deserialize)]
pub struct Ref {
    pub kind: RefKind,
    pub label: String,
    /// Explicit text of `:numref:`text %s <label>`` (`%s` is the number).
    pub text: Option<String>,
    pub span: Span,
    /// Filled by `resolve`; `None` when the label is undefined.
    pub target: Option<Resolved>,
}

/// A section of the book, by its index in reading order (`Book::sections`). Each backend
/// decides what a section becomes: a page path on the site, a label prefix in Typst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PageId(pub usize);

/// A place in the book: a section and an anchor in it (empty for the section's top).
#[derive(Debug, Hash, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Place {
    pub page: PageId,
    pub anchor: String,
}

/// What a reference shows and where it points.
#[derive(Debug, Hash, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Resolved {
    pub text: String,
    pub place: Place,
}

#[derive(Debug, Hash, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CiteKind {
    /// `:cite:` and `:citep:`: `(Bishop, 2006; He et al., 2016)`.
    Paren,
    /// `:citet:`: `Bishop (2006)`.
    Text,
}

#[derive(Debug, Hash, Clone, serde::Serialize, serde::Deserialize)]
pub struct Cite {
    pub kind: CiteKind,
    pub keys: Vec<String>,
    pub span: Span,
    /// Filled by `resolve`: the citation as shown; `None` when the book has no
    /// bibliography to cite from.
    pub shown: Option<Vec<CitePart>>,
}

/// A piece of a citation as `resolve` assembled it.
#[derive(Debug, Hash, Clone, serde::Serialize, serde::Deserialize)]
pub enum CitePart {
    /// What the style puts around and between the keys' texts: `(`, `; `, `)`.
    Text(String),
    /// One key's text (`Bishop, 2006`). `page` is the section listing its entry (with the
    /// anchor `bib-{key}`); `None` when no section lists it or the key is unknown.
    Key {
        key: String,
        text: Vec<Inline>,
        page: Option<PageId>,
    },
}

impl Doc {
    /// The text of the first level-1 heading.
    pub fn title(&self) -> Option<&Heading> {
        self.blocks.iter().find_map(|b| match b {
            Block::Heading(h) if h.level == 1 => Some(h),
            _ => None,
        })
    }
}

/// A Rust listing's text in runs of visible and hidden lines (`true`: hidden), as
/// rustdoc and mdBook read it: a line whose first non-blank characters are `# `, or that
/// is only `#`, is hidden, shown without the mark; `##` stands for a literal `#`. Each
/// run but the last ends with its line end. `None` when nothing is hidden or escaped
/// (and for cells, which run as written, and other languages).
pub fn hidden_lines(code: &Code) -> Option<Vec<(bool, String)>> {
    if code.lang != "rust" || code.cell.is_some() {
        return None;
    }
    let mut runs: Vec<(bool, String)> = Vec::new();
    let mut marked = false;
    for (i, line) in code.code.split('\n').enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let (hidden, text) = if trimmed == "#" {
            (true, indent.to_string())
        } else if let Some(rest) = trimmed.strip_prefix("# ") {
            (true, format!("{indent}{rest}"))
        } else if let Some(rest) = trimmed.strip_prefix("##") {
            (false, format!("{indent}#{rest}"))
        } else {
            (false, line.to_string())
        };
        marked |= text != line;
        if i > 0 {
            if let Some(last) = runs.last_mut() {
                last.1.push('\n');
            }
        }
        match runs.last_mut() {
            Some(last) if last.0 == hidden => last.1.push_str(&text),
            _ => runs.push((hidden, text)),
        }
    }
    marked.then_some(runs)
}

/// A block, or consecutive tab blocks, which show as one tab group.
pub enum Group<'a> {
    Block(&'a Block),
    Tabs(&'a [Block]),
}

/// The tabs of a tab group: every name but `all` (which marks blocks for every tab), in
/// the order of the book's `tabs` and then of first appearance; or just `all` when the
/// group names no other. The site shows a panel per tab and opens on the first, the PDF
/// the first tab: both read this, so the book's default framework comes first in both.
pub fn tab_names<'a>(group: &'a [Block], order: &[String]) -> Vec<&'a str> {
    let mut tabs: Vec<&str> = Vec::new();
    for block in group {
        if let Block::Tab { names, .. } = block {
            for name in names {
                if name != "all" && !tabs.contains(&name.as_str()) {
                    tabs.push(name);
                }
            }
        }
    }
    // A stable sort: names the book does not list keep their order, after the others.
    tabs.sort_by_key(|t| order.iter().position(|o| o == t).unwrap_or(order.len()));
    if tabs.is_empty() {
        tabs.push("all");
    }
    tabs
}

/// Whether a tab block naming `names` shows in the tab `tab`: in its own tabs, and in
/// every tab when it names `all` or no tab at all (content an author wrote is never
/// dropped for want of a name).
pub fn in_tab(names: &[String], tab: &str) -> bool {
    names.is_empty() || names.iter().any(|n| n == tab || n == "all")
}

/// The blocks with consecutive `Tab` blocks gathered into groups.
pub fn groups(blocks: &[Block]) -> Vec<Group<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < blocks.len() {
        if let Block::Tab { .. } = blocks[i] {
            let end = blocks[i..]
                .iter()
                .position(|b| !matches!(b, Block::Tab { .. }))
                .map_or(blocks.len(), |n| i + n);
            out.push(Group::Tabs(&blocks[i..end]));
            i = end;
        } else {
            out.push(Group::Block(&blocks[i]));
            i += 1;
        }
    }
    out
}

/// Calls `f` on every block, depth first, including blocks nested in lists, quotes and tabs.
pub fn visit_blocks_mut(blocks: &mut [Block], f: &mut impl FnMut(&mut Block)) {
    for block in blocks {
        f(block);
        match block {
            Block::List { items, .. } => {
                for item in items {
                    visit_blocks_mut(item, f);
                }
            }
            Block::Quote(inner)
            | Block::Tab { blocks: inner, .. }
            | Block::Only { blocks: inner, .. } => visit_blocks_mut(inner, f),
            _ => {}
        }
    }
}

/// Calls `f` on every inline sequence of a block (paragraphs, captions, headings, cells).
pub fn visit_inlines_mut(block: &mut Block, f: &mut impl FnMut(&mut Vec<Inline>)) {
    fn walk(inlines: &mut Vec<Inline>, f: &mut impl FnMut(&mut Vec<Inline>)) {
        f(inlines);
        for inline in inlines.iter_mut() {
            match inline {
                Inline::Emph(c) | Inline::Strong(c) | Inline::Strike(c) => walk(c, f),
                Inline::Link { content, .. } => walk(content, f),
                _ => {}
            }
        }
    }
    match block {
        Block::Heading(h) => walk(&mut h.content, f),
        Block::Paragraph(p) => walk(p, f),
        Block::Figure(fig) => walk(&mut fig.caption, f),
        Block::Table(t) => {
            walk(&mut t.caption, f);
            for cell in t.head.iter_mut().chain(t.rows.iter_mut().flatten()) {
                walk(cell, f);
            }
        }
        _ => {}
    }
}

/// Calls `f` on every inline of the blocks, nested ones included, in document order.
pub fn for_each_inline<'a>(blocks: &'a [Block], f: &mut impl FnMut(&'a Inline)) {
    fn walk<'a>(inlines: &'a [Inline], f: &mut impl FnMut(&'a Inline)) {
        for inline in inlines {
            f(inline);
            match inline {
                Inline::Emph(c) | Inline::Strong(c) | Inline::Strike(c) => walk(c, f),
                Inline::Link { content, .. } => walk(content, f),
                _ => {}
            }
        }
    }
    for block in blocks {
        match block {
            Block::Heading(h) => walk(&h.content, f),
            Block::Paragraph(p) => walk(p, f),
            Block::Figure(fig) => walk(&fig.caption, f),
            Block::Table(t) => {
                walk(&t.caption, f);
                for cell in t.head.iter().chain(t.rows.iter().flatten()) {
                    walk(cell, f);
                }
            }
            Block::List { items, .. } => {
                for item in items {
                    for_each_inline(item, f);
                }
            }
            Block::Quote(inner)
            | Block::Tab { blocks: inner, .. }
            | Block::Only { blocks: inner, .. } => for_each_inline(inner, f),
            _ => {}
        }
    }
}

/// Characters of scripts written without spaces between words.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x303F | 0x3040..=0x30FF | 0x3100..=0x312F | 0x31F0..=0x31FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF | 0x20000..=0x3FFFD)
}

impl Inline {
    /// The first character a reader sees of this inline (math and a citation without its
    /// text count as Latin), or `None` for what shows nothing.
    pub fn first_char(&self) -> Option<char> {
        match self {
            Inline::Text(t) | Inline::Code(t) => t.chars().next(),
            Inline::Emph(c) | Inline::Strong(c) | Inline::Strike(c) => {
                c.iter().find_map(Inline::first_char)
            }
            Inline::Link { content, .. } => content.iter().find_map(Inline::first_char),
            Inline::Ref(r) => r.target.as_ref().and_then(|t| t.text.chars().next()),
            Inline::Cite(c) => match c.shown.as_ref().and_then(|parts| parts.first()) {
                Some(CitePart::Text(t)) => t.chars().next(),
                Some(CitePart::Key { text, .. }) => text.iter().find_map(Inline::first_char),
                None => Some('x'),
            },
            Inline::Math { .. } => Some('x'),
            _ => None,
        }
    }

    /// The last character a reader sees of this inline; see `first_char`.
    pub fn last_char(&self) -> Option<char> {
        match self {
            Inline::Text(t) | Inline::Code(t) => t.chars().last(),
            Inline::Emph(c) | Inline::Strong(c) | Inline::Strike(c) => {
                c.iter().rev().find_map(Inline::last_char)
            }
            Inline::Link { content, .. } => content.iter().rev().find_map(Inline::last_char),
            Inline::Ref(r) => r.target.as_ref().and_then(|t| t.text.chars().last()),
            Inline::Cite(c) => match c.shown.as_ref().and_then(|parts| parts.last()) {
                Some(CitePart::Text(t)) => t.chars().last(),
                Some(CitePart::Key { text, .. }) => text.iter().rev().find_map(Inline::last_char),
                None => Some('x'),
            },
            Inline::Math { .. } => Some('x'),
            _ => None,
        }
    }
}

/// Drops the source line breaks that join two CJK characters: Japanese and Chinese put
/// no space between words, so a paragraph wrapped in the source must not show one where
/// it was wrapped (browsers render a newline as a space, and CSS cannot undo that
/// everywhere). Neighbours are read through formatting, and references and citations by
/// their resolved texts.
pub fn join_cjk_lines(inlines: &mut Vec<Inline>) {
    let mut i = 0;
    while i < inlines.len() {
        if matches!(inlines[i], Inline::SoftBreak) {
            let before = inlines[..i].iter().rev().find_map(Inline::last_char);
            let after = inlines[i + 1..].iter().find_map(Inline::first_char);
            if before.is_some_and(is_cjk) && after.is_some_and(is_cjk) {
                inlines.remove(i);
                continue;
            }
        }
        i += 1;
    }
}

/// The plain text of inlines (for titles in `<title>`, search and `:ref:` texts).
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    push_plain(inlines, false, &mut out);
    out
}

/// The text of inlines as a reader reads them, for where markup cannot go (reference
/// texts, page titles, alt text): math as plain text (`\mathbf{x}` → x, which a screen
/// reader would otherwise spell out as TeX), citations as they are shown.
pub fn reading_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    push_plain(inlines, true, &mut out);
    out
}

fn push_plain(inlines: &[Inline], reading: bool, out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Math { tex, .. } if reading => out.push_str(&crate::math_text::math_text(tex)),
            Inline::Math { tex, .. } => out.push_str(tex),
            Inline::Emph(c) | Inline::Strong(c) | Inline::Strike(c) => push_plain(c, reading, out),
            Inline::Link { content, .. } => push_plain(content, reading, out),
            Inline::Image { alt, .. } => out.push_str(alt),
            Inline::SoftBreak | Inline::HardBreak => out.push(' '),
            Inline::Ref(r) => match &r.target {
                Some(t) => out.push_str(&t.text),
                None => out.push_str(&r.label),
            },
            Inline::Cite(Cite {
                shown: Some(parts), ..
            }) if reading => {
                for part in parts {
                    match part {
                        CitePart::Text(t) => out.push_str(t),
                        CitePart::Key { text, .. } => push_plain(text, reading, out),
                    }
                }
            }
            Inline::Cite(c) => out.push_str(&c.keys.join(", ")),
            Inline::Html(_) => {}
        }
    }
}

/// Calls `f` on every block, nested ones included, in document order.
pub fn for_each_block<'a>(blocks: &'a [Block], f: &mut impl FnMut(&'a Block)) {
    for block in blocks {
        f(block);
        match block {
            Block::List { items, .. } => {
                for item in items {
                    for_each_block(item, f);
                }
            }
            Block::Quote(inner)
            | Block::Tab { blocks: inner, .. }
            | Block::Only { blocks: inner, .. } => for_each_block(inner, f),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_groups_name_their_tabs_once_for_both_backends() {
        let tab = |names: &[&str]| Block::Tab {
            names: names.iter().map(|n| n.to_string()).collect(),
            blocks: Vec::new(),
            span: Span {
                file: "t.md".into(),
                line: 1,
                col: 1,
                len: 1,
            },
        };
        let group = [tab(&["all"]), tab(&["pytorch", "mxnet"]), tab(&["mxnet"])];
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(tab_names(&group, &[]), ["pytorch", "mxnet"]);
        // The book's order first; names it does not list keep their order after.
        let group = [tab(&["jax"]), tab(&["pytorch"]), tab(&["mxnet"])];
        let order = names(&["mxnet", "pytorch"]);
        assert_eq!(tab_names(&group, &order), ["mxnet", "pytorch", "jax"]);
        assert_eq!(tab_names(&[tab(&["all"]), tab(&[])], &order), ["all"]);
        assert!(in_tab(&names(&["all"]), "mxnet"));
        assert!(in_tab(&names(&["pytorch", "mxnet"]), "mxnet"));
        assert!(!in_tab(&names(&["pytorch"]), "mxnet"));
        assert!(in_tab(&names(&[]), "pytorch"));
        assert!(in_tab(&names(&[]), "all"));
    }

    #[test]
    fn spans_count_characters_and_survive_any_offset() {
        let text = "ab\r\nあいう\r\n\tx";
        let at = |range| {
            let s = span_of(text, "f", range);
            (s.line, s.col, s.len)
        };
        assert_eq!(at(0..2), (1, 1, 2));
        // Inside `い` (bytes 7..10): the character that holds the offset.
        assert_eq!(at(8..8), (2, 2, 1));
        assert_eq!(at(7..13), (2, 2, 2));
        assert_eq!(at(16..17), (3, 2, 1));
        assert_eq!(at(100..200), (3, 3, 1));
    }

    #[test]
    fn hidden_lines_of_rust_listings() {
        let code = |lang: &str, text: &str| Code {
            lang: lang.into(),
            code: text.into(),
            cell: None,
            label: None,
            span: span_of("", "a.md", 0..0),
            lines: Vec::new(),
            outputs: Vec::new(),
            number: String::new(),
        };
        let runs = hidden_lines(&code(
            "rust",
            "# use std::io;\n#\nfn main() {\n    # let x = 1;\n    ##[derive(Debug)]\n}",
        ))
        .unwrap();
        assert_eq!(
            runs,
            [
                (true, "use std::io;\n\n".to_string()),
                (false, "fn main() {\n".to_string()),
                (true, "    let x = 1;\n".to_string()),
                (false, "    #[derive(Debug)]\n}".to_string()),
            ]
        );
        assert!(hidden_lines(&code("rust", "#[derive(Debug)]\nstruct A;")).is_none());
        assert!(hidden_lines(&code("python", "# a comment")).is_none());
    }
}
