//! The site's search. Each page gets a search document made from its IR (headings with
//! their numbers and anchors, prose with inline math as its TeX source, captions, code),
//! which pagefind indexes in-process; the site then serves pagefind's index, script and
//! WebAssembly from `pagefind/`, and `theme/d2lbook.js` queries them. The documents are
//! made from the IR rather than from the rendered pages: MathML's text would index `x2`
//! for `$x^2$`, and the page's chrome (sidebar, buttons) is not the book's text.

use super::escape::escape;
use crate::doc::*;

/// The folder of the index and pagefind's script under the site root.
pub const BUNDLE: &str = "pagefind";

/// The files of the index: (path inside `pagefind/`, bytes).
pub type Bundle = Vec<(String, Vec<u8>)>;

/// One page's search document: what pagefind reads, never shown to a reader.
pub fn document(doc: &Doc, title: &str, lang: &str) -> String {
    let mut out = format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"></head><body>",
        escape(lang)
    );
    // The page's title with its number, as results show it (pagefind takes the first h1).
    out.push_str(&format!("<h1>{}</h1>", escape(title)));
    let mut first = true;
    blocks(&doc.blocks, &mut first, &mut out);
    out.push_str("</body></html>");
    out
}

fn blocks(blocks: &[Block], first_heading: &mut bool, out: &mut String) {
    for block in blocks {
        match block {
            Block::Heading(h) => {
                // The page's own title is the h1 above; its anchor is the page itself.
                if std::mem::take(first_heading) && h.level == 1 {
                    continue;
                }
                let level = h.level.clamp(2, 6);
                let number = if h.number.is_empty() {
                    String::new()
                } else {
                    format!("{} ", h.number)
                };
                out.push_str(&format!(
                    "<h{level} id=\"{}\">{}{}</h{level}>",
                    escape(&h.id),
                    escape(&number),
                    escape(&text(&h.content))
                ));
            }
            Block::Paragraph(inlines) => paragraph(&text(inlines), out),
            Block::Figure(f) => paragraph(&text(&f.caption), out),
            Block::Table(t) => {
                paragraph(&text(&t.caption), out);
                for row in std::iter::once(&t.head).chain(&t.rows) {
                    let cells: Vec<String> = row.iter().map(|c| text(c)).collect();
                    paragraph(&cells.join(" "), out);
                }
            }
            Block::Equation(e) => paragraph(&format!("$${}$$", e.tex.trim()), out),
            Block::Code(c) if !c.cell.as_ref().is_some_and(|m| m.hide_code) => {
                out.push_str(&format!("<pre>{}</pre>", escape(&c.code)));
            }
            Block::List { items, .. } => {
                for item in items {
                    self::blocks(item, first_heading, out);
                }
            }
            Block::Quote(inner) | Block::Tab { blocks: inner, .. } => {
                self::blocks(inner, first_heading, out)
            }
            Block::Only {
                backend: Backend::Html,
                blocks: inner,
            } => self::blocks(inner, first_heading, out),
            _ => {}
        }
    }
}

fn paragraph(text: &str, out: &mut String) {
    if !text.trim().is_empty() {
        out.push_str(&format!("<p>{}</p>", escape(text)));
    }
}

/// Inlines as searchable text: math as its source between `$`, so that a snippet reads
/// `$\mathbf{x}$ の長さ` rather than losing the symbol; references and citations as shown.
fn text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for inline in inlines {
        match inline {
            Inline::Math { tex, .. } => {
                out.push('$');
                out.push_str(tex.trim());
                out.push('$');
            }
            Inline::Emph(c) | Inline::Strong(c) | Inline::Strike(c) => out.push_str(&text(c)),
            Inline::Link { content, .. } => out.push_str(&text(content)),
            other => out.push_str(&reading_text(std::slice::from_ref(other))),
        }
    }
    out
}

/// The digest of the documents an index is made from.
pub fn key(pages: &[(String, String)]) -> String {
    let parts: Vec<&[u8]> = pages
        .iter()
        .flat_map(|(url, html)| [url.as_bytes(), html.as_bytes()])
        .collect();
    crate::digest::hash(&parts)
}

/// The index of `pages` (URL path from the site root, search document), as the files of
/// `pagefind/` (paths inside it): pagefind's script, its WebAssembly and the index
/// chunks. pagefind's own UI bundles are left out: the theme has its own search box.
/// `None` when `cancelled` said so between two pages (`serve`: another save came).
pub fn index(
    pages: &[(String, String)],
    cancelled: &dyn Fn() -> bool,
) -> Result<Option<Bundle>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the search indexer: {e}"))?;
    runtime.block_on(async {
        let config = pagefind::options::PagefindServiceConfig::builder()
            .keep_index_url(true)
            .build();
        let mut index =
            pagefind::api::PagefindIndex::new(Some(config)).map_err(|e| e.to_string())?;
        for (url, html) in pages {
            if cancelled() {
                return Ok(None);
            }
            index
                .add_html_file(None, Some(format!("/{url}")), html.clone())
                .await
                .map_err(|e| format!("cannot index {url}: {e}"))?;
        }
        let files = index.get_files().await.map_err(|e| e.to_string())?;
        let mut out: Bundle = files
            .into_iter()
            .map(|file| {
                (
                    file.filename.to_string_lossy().replace('\\', "/"),
                    file.contents,
                )
            })
            .filter(|(name, _)| !name.contains("-ui.") && !name.contains("highlight"))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Some(out))
    })
}
