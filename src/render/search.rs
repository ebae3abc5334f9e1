//! The site's search. Each page gets a search document made from its IR (headings with
//! their numbers and anchors, prose with inline math as its TeX source, captions, code),
//! which pagefind indexes in-process, in shards (`shards`); the site then serves
//! pagefind's index, script and WebAssembly from `pagefind/`, and `theme/d2lbook.js`
//! merges the shards and queries them. The documents are
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

/// The index of a book: each shard's key (`Shard::key`) and its files (paths inside
/// `pagefind/`, under the shard's folder).
pub type Shards = Vec<(String, Bundle)>;

/// The file that lists the folders of the shards besides the first, for the theme's
/// script to merge (`mergeIndex`); pagefind names no file so.
pub const SHARDS_FILE: &str = "shards.json";

/// Pages of one shard of the index: pagefind's API indexes a whole book again for any
/// change, about 10 ms a page, so the book is indexed in shards and an edit indexes its
/// page's shard alone. The first shard is the primary index, in `pagefind/` itself, with
/// pagefind's script and WebAssembly; the others hold their index alone, in
/// `pagefind/shard-N/`, and the script merges them at the first query (their searches
/// use the primary's WebAssembly).
pub struct Shard<'a> {
    /// Its folder inside `pagefind/`: empty for the primary, else `shard-N/`.
    pub folder: String,
    pub pages: Vec<&'a (String, String)>,
}

impl Shard<'_> {
    /// The digest of what the shard's files are made from: its folder and its pages'
    /// paths and documents.
    pub fn key(&self) -> String {
        let mut parts: Vec<&[u8]> = vec![self.folder.as_bytes()];
        for (url, html) in &self.pages {
            parts.push(url.as_bytes());
            parts.push(html.as_bytes());
        }
        crate::digest::hash(&parts)
    }
}

/// `pages` (URL path from the site root, search document) in shards. A page's shard is
/// a digest of its path modulo the number of shards, half the square root of the number
/// of pages rounded down (one shard up to 15 pages, 15 at 1,000): a page keeps its shard
/// while pages come and go, an edit indexes about 2√n pages and a query reads √n/2
/// shards' chunks. The digest, not the page's chapter, picks the shard so that each shard
/// samples the whole book: pagefind ranks by a word's rarity within each index, which
/// then reads alike in every shard, so that scores from different shards compare. Not
/// smaller: in six shards of four pages, the sample book's query ブロードキャスト ranked
/// another page above the section about broadcasting.
pub fn shards(pages: &[(String, String)]) -> Vec<Shard<'_>> {
    let count = ((pages.len() as f64).sqrt() / 2.0).floor().max(1.0) as u64;
    let mut buckets: Vec<Vec<&(String, String)>> = vec![Vec::new(); count as usize];
    for page in pages {
        let digest = crate::digest::hash(&[page.0.as_bytes()]);
        let n = u64::from_str_radix(&digest[..16], 16).unwrap_or(0) % count;
        buckets[n as usize].push(page);
    }
    let mut first = true;
    buckets
        .into_iter()
        .enumerate()
        .filter(|(_, pages)| !pages.is_empty())
        .map(|(n, pages)| {
            let folder = if std::mem::take(&mut first) {
                String::new()
            } else {
                format!("shard-{n}/")
            };
            Shard { folder, pages }
        })
        .collect()
}

/// Whether `known` is the index of `pages`, shard for shard.
pub fn is_index_of(pages: &[(String, String)], known: &Shards) -> bool {
    let shards = shards(pages);
    shards.len() == known.len()
        && shards
            .iter()
            .zip(known)
            .all(|(shard, (key, _))| shard.key() == *key)
}

/// The index of `pages`: the shards `known` holds as they are, the others indexed now,
/// in parallel on threads of their own (not rayon's: in `build html` the cells' programs
/// run on those meanwhile). `None` when `cancelled` said so before a page (`serve`:
/// another save came); it is asked on this thread, for the shards' threads, which wait
/// for its answer.
pub fn index(
    pages: &[(String, String)],
    known: &Shards,
    cancelled: &dyn Fn() -> bool,
) -> Result<Option<Shards>, String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;
    type Made = Result<Option<(String, Bundle)>, String>;
    /// What the shards' threads tell this one.
    enum Told {
        /// Whether to stop, to be answered.
        Ask(mpsc::SyncSender<bool>),
        Made(usize, Made),
    }
    let plan = shards(pages);
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut made: Vec<Option<Made>> = plan.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let (tell, told) = mpsc::channel();
        for _ in 0..threads.min(plan.len()) {
            let tell = tell.clone();
            let (plan, next) = (&plan, &next);
            scope.spawn(move || {
                let stopped = || {
                    let (answer, answered) = mpsc::sync_channel(1);
                    tell.send(Told::Ask(answer)).is_err() || answered.recv().unwrap_or(true)
                };
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(shard) = plan.get(i) else { break };
                    let _ = tell.send(Told::Made(i, index_or_reuse(shard, known, &stopped)));
                }
            });
        }
        drop(tell);
        // Once stopped, the other shards stop at their next page without asking.
        let mut stop = false;
        // Until every thread is done and has dropped its sender.
        while let Ok(told) = told.recv() {
            match told {
                Told::Ask(answer) => {
                    stop = stop || cancelled();
                    let _ = answer.send(stop);
                }
                Told::Made(i, shard) => made[i] = Some(shard),
            }
        }
    });
    made.into_iter()
        .map(|shard| shard.unwrap_or_else(|| Err("the search indexer stopped".to_string())))
        .collect()
}

/// `shard` as `known` holds it, else indexed now.
fn index_or_reuse(
    shard: &Shard,
    known: &Shards,
    cancelled: &dyn Fn() -> bool,
) -> Result<Option<(String, Bundle)>, String> {
    let key = shard.key();
    if let Some(found) = known.iter().find(|(k, _)| *k == key) {
        return Ok(Some(found.clone()));
    }
    let files = index_shard(&shard.pages, cancelled)?;
    Ok(files.map(|files| {
        let files = files
            .into_iter()
            // The primary's script and WebAssembly serve every shard.
            .filter(|(name, _)| shard.folder.is_empty() || !is_engine(name))
            .map(|(name, bytes)| (format!("{}{name}", shard.folder), bytes))
            .collect();
        (key, files)
    }))
}

/// Pagefind's script, its worker and its WebAssembly, as opposed to an index's files.
fn is_engine(name: &str) -> bool {
    name.starts_with("pagefind") && name.ends_with(".js") || name.starts_with("wasm.")
}

/// The files of `shards` inside `pagefind/`, with the list of the folders to merge: those
/// with an index (a shard whose pages have no word to index has none, and pagefind's
/// script cannot merge it).
pub fn files(shards: &Shards) -> Bundle {
    let merged: Vec<&str> = shards
        .iter()
        .filter(|(_, files)| files.iter().any(|(path, _)| path.ends_with(".pf_meta")))
        .filter_map(|(_, files)| {
            files
                .iter()
                .find_map(|(path, _)| path.strip_suffix("pagefind-entry.json"))
        })
        .filter(|folder| !folder.is_empty())
        .collect();
    let list = serde_json::to_vec(&merged).unwrap_or_default();
    let mut out: Bundle = shards.iter().flat_map(|(_, f)| f.iter().cloned()).collect();
    out.push((SHARDS_FILE.to_string(), list));
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The index of one shard's `pages`, as the files of its folder: pagefind's script, its
/// WebAssembly and the index chunks. pagefind's own UI bundles are left out: the theme
/// has its own search box.
fn index_shard(
    pages: &[&(String, String)],
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
        for &(url, html) in pages {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(n: usize) -> Vec<(String, String)> {
        (0..n)
            .map(|i| (format!("chapter/page-{i}.html"), format!("<p>page {i}</p>")))
            .collect()
    }

    /// Where each page is: its path → its shard's folder.
    fn plan(pages: &[(String, String)]) -> std::collections::HashMap<String, String> {
        shards(pages)
            .iter()
            .flat_map(|s| s.pages.iter().map(|p| (p.0.clone(), s.folder.clone())))
            .collect()
    }

    #[test]
    fn a_book_has_about_half_the_square_root_of_its_pages_as_shards() {
        for (n, count) in [
            (0, 0),
            (1, 1),
            (15, 1),
            (16, 2),
            (26, 2),
            (200, 7),
            (1000, 15),
        ] {
            let pages = pages(n);
            let shards = shards(&pages);
            assert_eq!(shards.len(), count, "{n} pages");
            // Every page in one shard; the first shard is the primary.
            assert_eq!(shards.iter().map(|s| s.pages.len()).sum::<usize>(), n);
            assert!(shards
                .iter()
                .skip(1)
                .all(|s| s.folder.starts_with("shard-")));
            if let Some(first) = shards.first() {
                assert_eq!(first.folder, "");
            }
        }
    }

    #[test]
    fn a_page_keeps_its_shard_when_others_come_and_an_edit_changes_one_key() {
        let mut book = pages(40);
        let before = plan(&book);
        // A page added, one removed: the others stay where they were (3 shards still).
        book.push(("chapter/new.html".into(), "<p>new</p>".into()));
        book.remove(7);
        let after = plan(&book);
        for (page, folder) in &after {
            if let Some(was) = before.get(page) {
                assert_eq!(was, folder, "{page} moved");
            }
        }
        // An edited page changes its shard's key alone.
        let keys = |book: &[(String, String)]| -> Vec<String> {
            shards(book).iter().map(Shard::key).collect()
        };
        let old = keys(&book);
        book[3].1.push_str("<p>edited</p>");
        let new = keys(&book);
        assert_eq!(old.iter().zip(&new).filter(|(a, b)| a != b).count(), 1);
    }

    #[test]
    fn a_shard_with_no_word_to_index_is_not_merged() {
        let mut book = pages(16);
        let wordless: Vec<String> = shards(&book)[1].pages.iter().map(|p| p.0.clone()).collect();
        for (url, html) in &mut book {
            *html = if wordless.contains(url) {
                "<html lang=\"en\"><body><h1>—</h1></body></html>".into()
            } else {
                format!("<html lang=\"en\"><body><h1>{url}</h1><p>words</p></body></html>")
            };
        }
        let index = index(&book, &Vec::new(), &|| false).unwrap().unwrap();
        assert_eq!(index.len(), 2);
        let files = files(&index);
        let list = &files.iter().find(|(p, _)| p == SHARDS_FILE).unwrap().1;
        assert_eq!(list, b"[]");
        // The primary holds the script and an index; the other shard neither.
        assert!(files.iter().any(|(p, _)| p == "pagefind.js"));
        assert!(files
            .iter()
            .any(|(p, _)| !p.contains('/') && p.ends_with(".pf_meta")));
        assert!(!files
            .iter()
            .any(|(p, _)| p.starts_with("shard-") && p.ends_with(".js")));
    }
}
