//! IR → HTML for one page's body. Links are relative to the page, so the site works from
//! any sub-path and from `file://`. Math comes pre-rendered (see `math`), code is
//! highlighted by `highlight`, references and citations carry the texts `resolve` made
//! (citations and bibliography entries as inlines, rendered like any other).

use super::escape::escape;
use super::highlight::highlight;
use super::math::{MathKey, Rendered};
use super::RenderContext;

use crate::cite::BibEntry;
use crate::diag::Diagnostic;
use crate::doc::*;

use crate::resolve::{number_text, Kind};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Everything a page's body is rendered from: the resolved book and its math, rendered
/// once for the whole site.
pub struct Site<'a> {
    pub ctx: &'a RenderContext<'a>,
    pub math: &'a HashMap<MathKey, &'a Rendered>,
    /// The book's templates and theme files, found at load.
    pub theme: &'a crate::theme::SiteTheme,
    /// What the pages offer for download (the PDF, the notebooks).
    pub downloads: &'a super::site::Downloads,
}

/// `to` (relative to the site root) as seen from the page `from`.
pub fn relative(from: &str, to: &str) -> String {
    let from_dirs: Vec<&str> = from.split('/').collect();
    let from_dirs = &from_dirs[..from_dirs.len() - 1];
    let to_parts: Vec<&str> = to.split('/').collect();
    let common = from_dirs
        .iter()
        .zip(&to_parts[..to_parts.len() - 1])
        .take_while(|(a, b)| a == b)
        .count();
    format!(
        "{}{}",
        "../".repeat(from_dirs.len() - common),
        to_parts[common..].join("/")
    )
}

/// `anchor` as a URL fragment: the ASCII characters a fragment may not hold as they are
/// (controls, space, `"`, `#`, `%`, `<`, `>`, `` ` ``, …) percent-encoded; other
/// characters, CJK among them, stay readable (HTML takes them, the browser encodes them).
pub fn fragment(anchor: &str) -> String {
    let mut out = String::with_capacity(anchor.len());
    for c in anchor.chars() {
        if c.is_ascii() && (c.is_ascii_control() || " \"#%<>[\\]^`{|}".contains(c)) {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The prefix from page `from` to the site root (`""`, `"../"`, …).
pub fn root_prefix(from: &str) -> String {
    relative(from, "")
}

pub struct PageRenderer<'a> {
    site: &'a Site<'a>,
    /// This page's output path (relative to the site root).
    page: &'a str,
    section: usize,
    pub diags: Vec<Diagnostic>,
}

impl<'a> PageRenderer<'a> {
    pub fn new(site: &'a Site<'a>, section: usize) -> Self {
        PageRenderer {
            site,
            page: &site.ctx.book.sections[section].html,
            section,
            diags: Vec::new(),
        }
    }

    pub fn blocks(&mut self, blocks: &[Block], out: &mut String) {
        for group in groups(blocks) {
            match group {
                Group::Block(block) => self.block(block, out),
                Group::Tabs(tabs) => self.tabs(tabs, out),
            }
        }
    }

    fn block(&mut self, block: &Block, out: &mut String) {
        match block {
            Block::Heading(h) => {
                let level = h.level.clamp(1, 6);
                let _ = write!(out, "<h{level} id=\"{}\">", escape(&h.id));
                if !h.number.is_empty() {
                    let _ = write!(out, "<span class=\"secnum\">{}</span> ", h.number);
                }
                self.inlines(&h.content, out);
                let _ = writeln!(
                    out,
                    "<a class=\"anchor\" href=\"#{}\" aria-label=\"anchor\">#</a></h{level}>",
                    escape(&h.id)
                );
            }
            Block::Paragraph(inlines) => {
                out.push_str("<p>");
                self.inlines(inlines, out);
                out.push_str("</p>\n");
            }
            Block::Figure(f) => {
                let id = f
                    .label
                    .as_ref()
                    .map(|l| format!(" id=\"{}\"", escape(&l.name)));
                let _ = write!(out, "<figure class=\"figure\"{}>", id.unwrap_or_default());
                let mut style = String::new();
                if let Some(w) = &f.width {
                    let _ = write!(style, "width:{};", css_length(w));
                }
                if let Some(h) = &f.height {
                    let _ = write!(style, "height:{};", css_length(h));
                }
                let style = if style.is_empty() {
                    String::new()
                } else {
                    format!(" style=\"{}\"", escape(&style))
                };
                let _ = write!(
                    out,
                    "<img src=\"{}\" alt=\"{}\"{style}>",
                    escape(&f.src),
                    escape(&reading_text(&f.caption))
                );
                self.caption("figcaption", Kind::Figure, &f.number, &f.caption, out);
                out.push_str("</figure>\n");
            }
            Block::Table(t) => self.table(t, out),
            Block::Equation(e) => {
                let id = e
                    .label
                    .as_ref()
                    .map(|l| format!(" id=\"{}\"", escape(&l.name)));
                let _ = write!(out, "<div class=\"equation\"{}>", id.unwrap_or_default());
                self.math(&e.tex, true, &e.span, out);
                if !e.number.is_empty() {
                    let _ = write!(
                        out,
                        "<span class=\"eqno\">{}</span>",
                        number_text(Kind::Equation, &e.number, self.site.ctx.words)
                    );
                }
                out.push_str("</div>\n");
            }
            Block::Code(c) => self.code(c, out),
            Block::List { start, items } => {
                match start {
                    Some(1) => out.push_str("<ol>\n"),
                    Some(n) => {
                        let _ = writeln!(out, "<ol start=\"{n}\">");
                    }
                    None => out.push_str("<ul>\n"),
                }
                for item in items {
                    out.push_str("<li>");
                    // A tight item is one paragraph: show it without the <p>.
                    match item.as_slice() {
                        [Block::Paragraph(inlines)] => self.inlines(inlines, out),
                        _ => self.blocks(item, out),
                    }
                    out.push_str("</li>\n");
                }
                out.push_str(if start.is_some() {
                    "</ol>\n"
                } else {
                    "</ul>\n"
                });
            }
            Block::Quote(inner) => {
                out.push_str("<blockquote>\n");
                self.blocks(inner, out);
                out.push_str("</blockquote>\n");
            }
            Block::Rule => out.push_str("<hr>\n"),
            Block::Toc(toc) => self.toc(toc, out),
            Block::Tab { .. } => self.tabs(std::slice::from_ref(block), out),
            Block::RawHtml { html, .. } => {
                out.push_str(html);
                out.push('\n');
            }
            Block::Only { backend, blocks } => {
                if *backend == Backend::Html {
                    self.blocks(blocks, out);
                }
            }
            Block::Bibliography { .. } => self.bibliography(out),
        }
    }

    fn table(&mut self, t: &Table, out: &mut String) {
        let id = t
            .label
            .as_ref()
            .map(|l| format!(" id=\"{}\"", escape(&l.name)));
        let _ = write!(
            out,
            "<div class=\"table\"{}><table>",
            id.unwrap_or_default()
        );
        self.caption("caption", Kind::Table, &t.number, &t.caption, out);
        let align = |i: usize| match t.align.get(i) {
            Some(Align::Left) => " style=\"text-align:left\"",
            Some(Align::Center) => " style=\"text-align:center\"",
            Some(Align::Right) => " style=\"text-align:right\"",
            _ => "",
        };
        out.push_str("<thead><tr>");
        for (i, cell) in t.head.iter().enumerate() {
            let _ = write!(out, "<th{}>", align(i));
            self.inlines(cell, out);
            out.push_str("</th>");
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for row in &t.rows {
            out.push_str("<tr>");
            for (i, cell) in row.iter().enumerate() {
                let _ = write!(out, "<td{}>", align(i));
                self.inlines(cell, out);
                out.push_str("</td>");
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table></div>\n");
    }

    /// `<tag><span class="caption-number">Fig. 1.2.1</span> caption</tag>`, if any.
    fn caption(
        &mut self,
        tag: &str,
        kind: Kind,
        number: &str,
        caption: &[Inline],
        out: &mut String,
    ) {
        if caption.is_empty() && number.is_empty() {
            return;
        }
        let _ = write!(out, "<{tag}>");
        if !number.is_empty() {
            let _ = write!(
                out,
                "<span class=\"caption-number\">{}</span>",
                escape(&number_text(kind, number, self.site.ctx.words))
            );
            if !caption.is_empty() {
                out.push(' ');
            }
        }
        self.inlines(caption, out);
        let _ = write!(out, "</{tag}>");
    }

    fn code(&mut self, c: &Code, out: &mut String) {
        let listing = |out: &mut String| {
            // rustdoc's hidden lines: in the page, behind a button that shows them.
            let (toggle, code) = match hidden_lines(c) {
                Some(runs) => {
                    let toggle = format!(
                        "<button class=\"hidden-toggle\" type=\"button\" aria-pressed=\"false\">{}</button>",
                        escape(&self.site.ctx.words.show_hidden)
                    );
                    let code = runs
                        .iter()
                        .map(|(hidden, text)| match hidden {
                            true => format!(
                                "<span class=\"hidden-line\">{}</span>",
                                highlight(text, &c.lang)
                            ),
                            false => highlight(text, &c.lang),
                        })
                        .collect();
                    (toggle, code)
                }
                None => (String::new(), highlight(&c.code, &c.lang)),
            };
            // The code scrolls sideways: a tab stop lets a keyboard scroll it too.
            let _ = write!(
                out,
                "<div class=\"code-block\">{toggle}<button class=\"copy-button\" type=\"button\">{}</button><pre class=\"code\" tabindex=\"0\"><code class=\"language-{}\">{code}</code></pre></div>",
                escape(&self.site.ctx.words.copy),
                escape(&c.lang),
            );
        };
        let id = c
            .label
            .as_ref()
            .map(|l| format!(" id=\"{}\"", escape(&l.name)))
            .unwrap_or_default();
        // A labelled listing shows the number its references read.
        let caption = |out: &mut String| {
            if !c.number.is_empty() {
                let _ = write!(
                    out,
                    "<div class=\"listing-caption\"><span class=\"caption-number\">{}</span></div>",
                    escape(&number_text(Kind::Listing, &c.number, self.site.ctx.words))
                );
            }
        };
        match &c.cell {
            None => {
                if !id.is_empty() {
                    let _ = write!(out, "<div{id}>");
                }
                caption(out);
                listing(out);
                out.push_str(if id.is_empty() { "\n" } else { "</div>\n" });
            }
            Some(marks) => {
                let show_outputs = !marks.hide_output && !c.outputs.is_empty();
                if marks.hide_code && !show_outputs {
                    return;
                }
                let _ = write!(out, "<div class=\"cell\"{id}>");
                caption(out);
                if !marks.hide_code {
                    out.push_str("<div class=\"cell-input\">");
                    listing(out);
                    out.push_str("</div>");
                }
                if show_outputs {
                    out.push_str("<div class=\"cell-outputs\">");
                    for output in &c.outputs {
                        cell_output(output, out);
                    }
                    out.push_str("</div>");
                }
                out.push_str("</div>\n");
            }
        }
    }

    /// Consecutive tab blocks as one tab group: a panel per name, in order of appearance.
    fn tabs(&mut self, blocks: &[Block], out: &mut String) {
        let names = tab_names(blocks, &self.site.ctx.book.config.build.tabs);
        out.push_str("<div class=\"tabs\"><div class=\"tab-bar\" role=\"tablist\">");
        for name in &names {
            let _ = write!(
                out,
                "<button class=\"tab-button\" data-tab=\"{0}\" type=\"button\" role=\"tab\">{0}</button>",
                escape(name)
            );
        }
        out.push_str("</div>\n");
        for name in &names {
            let _ = writeln!(
                out,
                "<div class=\"tab-panel\" data-tab=\"{}\" role=\"tabpanel\">",
                escape(name)
            );
            for b in blocks {
                if let Block::Tab {
                    names: n,
                    blocks: inner,
                    ..
                } = b
                {
                    if in_tab(n, name) {
                        self.blocks(inner, out);
                    }
                }
            }
            out.push_str("</div>\n");
        }
        out.push_str("</div>\n");
    }

    fn toc(&mut self, toc: &Toc, out: &mut String) {
        // The load stage resolved every entry; one that names no section shows nothing
        // (load reported it).
        let links = &self.site.ctx.book.sections[self.section].toc_links;
        let entries: Vec<usize> = toc
            .entries
            .iter()
            .filter_map(|e| links.get(&e.target).copied())
            .collect();
        out.push_str("<nav class=\"toc\">");
        self.toc_list(&entries, toc.maxdepth, out);
        out.push_str("</nav>\n");
    }

    fn toc_list(&mut self, sections: &[usize], depth: usize, out: &mut String) {
        if sections.is_empty() || depth == 0 {
            return;
        }
        out.push_str("<ul>");
        for &i in sections {
            let s = &self.site.ctx.book.sections[i];
            let _ = write!(
                out,
                "<li><a href=\"{}\">",
                escape(&relative(self.page, &s.html))
            );
            let number = s.number_text();
            if !number.is_empty() {
                let _ = write!(out, "<span class=\"secnum\">{number}</span> ");
            }
            self.title(i, out);
            out.push_str("</a>");
            let children = s.children.clone();
            self.toc_list(&children, depth - 1, out);
            out.push_str("</li>");
        }
        out.push_str("</ul>");
    }

    /// The title of section `i` as inline HTML (the one the contents give it, else its
    /// first heading, else its file name).
    pub fn title(&mut self, i: usize, out: &mut String) {
        if let Some(title) = &self.site.ctx.book.sections[i].title {
            out.push_str(&escape(title));
            return;
        }
        match self.site.ctx.docs[i].title() {
            Some(h) => {
                let content = h.content.clone();
                // Titles shown elsewhere must not repeat this page's math diagnostics.
                let saved = self.diags.len();
                self.inlines(&content, out);
                self.diags.truncate(saved);
            }
            None => out.push_str(&escape(&self.site.ctx.book.sections[i].src)),
        }
    }

    fn bibliography(&mut self, out: &mut String) {
        let Some(entries) = &self.site.ctx.resolution.bibliography else {
            return;
        };
        out.push_str("<div class=\"bibliography\">\n");
        for entry in entries {
            let _ = write!(
                out,
                "<p class=\"bib-entry\" id=\"bib-{}\">",
                escape(&entry.key)
            );
            self.inlines(&entry.text, out);
            out.push_str("</p>\n");
        }
        out.push_str("</div>\n");
    }

    pub fn inlines(&mut self, inlines: &[Inline], out: &mut String) {
        for inline in inlines {
            self.inline(inline, out);
        }
    }

    fn inline(&mut self, inline: &Inline, out: &mut String) {
        match inline {
            Inline::Text(t) => out.push_str(&escape(t)),
            Inline::Code(c) => {
                let _ = write!(out, "<code>{}</code>", escape(c));
            }
            Inline::Emph(c) => self.wrap("em", c, out),
            Inline::Strong(c) => self.wrap("strong", c, out),
            Inline::Strike(c) => self.wrap("del", c, out),
            Inline::Link {
                url,
                content,
                target,
                ..
            } => {
                let href = match target {
                    Some(place) => self.href(place),
                    None => url.clone(),
                };
                let _ = write!(out, "<a href=\"{}\">", escape(&href));
                self.inlines(content, out);
                out.push_str("</a>");
            }
            Inline::Image { src, alt, .. } => {
                let _ = write!(out, "<img src=\"{}\" alt=\"{}\">", escape(src), escape(alt));
            }
            Inline::Math { tex, span } => self.math(tex, false, span, out),
            Inline::Html(h) => out.push_str(h),
            Inline::SoftBreak => out.push('\n'),
            Inline::HardBreak => out.push_str("<br>\n"),
            Inline::Ref(r) => match &r.target {
                Some(t) => {
                    let href = self.href(&t.place);
                    let class = if r.kind == RefKind::Eqref {
                        "ref eqref"
                    } else {
                        "ref"
                    };
                    let _ = write!(
                        out,
                        "<a class=\"{class}\" href=\"{}\">{}</a>",
                        escape(&href),
                        escape(&t.text)
                    );
                }
                // `??`, as LaTeX shows it, with the label a reader can report.
                None => {
                    let _ = write!(
                        out,
                        "<span class=\"ref-missing\" title=\"undefined label: {}\">??</span>",
                        escape(&r.label)
                    );
                }
            },
            Inline::Cite(c) => self.cite(c, out),
        }
    }

    fn wrap(&mut self, tag: &str, content: &[Inline], out: &mut String) {
        let _ = write!(out, "<{tag}>");
        self.inlines(content, out);
        let _ = write!(out, "</{tag}>");
    }

    /// The link to a place: relative to this page, its anchor percent-encoded (a label
    /// may hold any character but whitespace; the browser decodes it to the `id`).
    fn href(&self, place: &Place) -> String {
        let base = if place.page.0 == self.section {
            String::new()
        } else {
            relative(self.page, &self.site.ctx.book.sections[place.page.0].html)
        };
        match (base.is_empty(), place.anchor.is_empty()) {
            (true, true) => "#".into(),
            (_, true) => base,
            _ => format!("{base}#{}", fragment(&place.anchor)),
        }
    }

    fn cite(&mut self, c: &Cite, out: &mut String) {
        let Some(parts) = &c.shown else {
            let _ = write!(
                out,
                "<span class=\"cite-missing\">[{}]</span>",
                escape(&c.keys.join(", "))
            );
            return;
        };
        for part in parts {
            match part {
                CitePart::Text(t) => out.push_str(&escape(t)),
                // Each key links to its entry on the page with `:bibliography:`.
                CitePart::Key {
                    key,
                    text,
                    page: Some(page),
                } => {
                    let href = self.href(&Place {
                        page: *page,
                        anchor: format!("bib-{key}"),
                    });
                    let _ = write!(out, "<a class=\"cite\" href=\"{}\">", escape(&href));
                    self.inlines(text, out);
                    out.push_str("</a>");
                }
                CitePart::Key {
                    text, page: None, ..
                } => {
                    out.push_str("<span class=\"cite\">");
                    self.inlines(text, out);
                    out.push_str("</span>");
                }
            }
        }
    }

    fn math(&mut self, tex: &str, display: bool, span: &Span, out: &mut String) {
        let key = MathKey {
            tex: tex.to_string(),
            display,
        };
        match self.site.math.get(&key) {
            Some(Ok(html)) => out.push_str(html),
            Some(Err(message)) => {
                self.diags
                    .push(Diagnostic::warning(format!("math error: {message}")).at(span));
                let _ = write!(
                    out,
                    "<span class=\"math-error\" title=\"{}\"><code>{}</code></span>",
                    escape(message),
                    escape(tex)
                );
            }
            None => out.push_str(&escape(tex)),
        }
    }
}

fn cell_output(output: &Output, out: &mut String) {
    // A long line scrolls sideways: a tab stop lets a keyboard scroll it too.
    let pre = |class: &str, text: &str, out: &mut String| {
        let _ = write!(
            out,
            "<div class=\"output {class}\"><pre tabindex=\"0\">{}</pre></div>",
            escape(text.trim_end_matches('\n'))
        );
    };
    match output {
        Output::Stdout(t) => pre("output-text", t, out),
        Output::Stderr(t) => pre("output-stderr", t, out),
        Output::Error(t) => pre("output-error", t, out),
        Output::Note(t) => {
            let _ = write!(out, "<div class=\"output output-note\">{}</div>", escape(t));
        }
        Output::Data { mime, data } => match mime.as_str() {
            "image/svg+xml" => {
                // Inline, without the XML prologue that is invalid inside HTML.
                let svg = data.find("<svg").map_or(data.as_str(), |i| &data[i..]);
                let _ = write!(out, "<div class=\"output output-svg\">{svg}</div>");
            }
            "text/html" => {
                let _ = write!(out, "<div class=\"output output-html\">{data}</div>");
            }
            _ => pre("output-text", data, out),
        },
        // The caption above the table, not in it: a table's caption sets its least width,
        // and a scalar or a column would stretch under it with its numbers pushed right.
        // A wide tensor scrolls sideways: a tab stop lets a keyboard scroll it.
        Output::Tensor(t) => {
            let _ = write!(
                out,
                "<figure class=\"output output-tensor\" tabindex=\"0\"><figcaption>{}</figcaption><table class=\"tensor\"><tbody>",
                escape(&super::tensor_caption(t))
            );
            for row in t.rows() {
                out.push_str("<tr>");
                for cell in row {
                    let _ = write!(out, "<td>{}</td>", escape(cell));
                }
                out.push_str("</tr>");
            }
            out.push_str("</tbody></table></figure>");
        }
    }
}

/// `400` (a bare number, as d2l sometimes writes) means pixels.
fn css_length(value: &str) -> String {
    if value.chars().all(|c| c.is_ascii_digit() || c == '.') {
        format!("{value}px")
    } else {
        value.to_string()
    }
}

/// Every math expression of the docs and of the bibliography's entries (math in a
/// `.bib` title), for rendering each once.
pub fn collect_math(docs: &[Doc], entries: &[BibEntry]) -> Vec<MathKey> {
    let mut keys = std::collections::BTreeSet::new();
    for doc in docs {
        for_each_block(&doc.blocks, &mut |block| {
            if let Block::Equation(e) = block {
                keys.insert(MathKey {
                    tex: e.tex.clone(),
                    display: true,
                });
            }
        });
    }
    let entries: Vec<Block> = entries
        .iter()
        .map(|e| Block::Paragraph(e.text.clone()))
        .collect();
    let mut inline = |inline: &Inline| {
        if let Inline::Math { tex, .. } = inline {
            keys.insert(MathKey {
                tex: tex.clone(),
                display: false,
            });
        }
    };
    for doc in docs {
        for_each_inline(&doc.blocks, &mut inline);
    }
    for_each_inline(&entries, &mut inline);
    keys.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_links() {
        assert_eq!(relative("a/b.html", "c/d.html"), "../c/d.html");
        assert_eq!(relative("index.html", "c/d.html"), "c/d.html");
        assert_eq!(relative("c/a.html", "c/d.html"), "d.html");
        assert_eq!(relative("c/e/a.html", "c/d.html"), "../d.html");
        assert_eq!(root_prefix("c/e/a.html"), "../../");
    }

    #[test]
    fn fragments_encode_only_what_a_fragment_cannot_hold() {
        assert_eq!(fragment("eq_sgd-xt+1-xstar"), "eq_sgd-xt+1-xstar");
        assert_eq!(fragment("a b%\"#<x>`"), "a%20b%25%22%23%3Cx%3E%60");
        assert_eq!(fragment("自動微分"), "自動微分");
    }

    #[test]
    fn tensors_are_tables() {
        let tensor = |shape: Vec<usize>, device: Option<&str>, cells: &[&str]| {
            let mut out = String::new();
            cell_output(
                &Output::Tensor(crate::doc::Tensor {
                    shape,
                    dtype: "f32".into(),
                    device: device.map(String::from),
                    cells: cells.iter().map(|c| c.to_string()).collect(),
                }),
                &mut out,
            );
            out
        };
        // The caption is the figure's, outside the table, so that the table is only as
        // wide as its numbers.
        assert_eq!(
            tensor(vec![2, 2], None, &["0", "1", "2", "3"]),
            "<figure class=\"output output-tensor\" tabindex=\"0\"><figcaption>Tensor[2, 2] f32</figcaption>\
             <table class=\"tensor\"><tbody>\
             <tr><td>0</td><td>1</td></tr><tr><td>2</td><td>3</td></tr></tbody></table></figure>"
        );
        assert!(tensor(vec![], None, &["66"]).contains(
            "<figcaption>Tensor[] f32</figcaption><table class=\"tensor\"><tbody><tr><td>66</td></tr></tbody>"
        ));
        assert!(tensor(vec![3, 0], None, &[]).contains("<tbody></tbody>"));
        // The device is named; whatever the entries hold is text.
        let odd = tensor(vec![2], Some("Cuda { gpu_id: 0 }"), &["<b>", "&"]);
        assert!(
            odd.contains("<figcaption>Tensor[2] f32 Cuda { gpu_id: 0 }</figcaption>"),
            "{odd}"
        );
        assert!(
            odd.contains("<tr><td>&lt;b&gt;</td><td>&amp;</td></tr>"),
            "{odd}"
        );
    }
}
