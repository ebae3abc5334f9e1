//! The site: every page through the Tera template, the theme's assets (embedded in the
//! binary, overridable by the book's `templates/` and `theme/`), the images the pages
//! use, the math font, the syntax colours, and what all pages share, written once: the
//! navigation tree and the search index (`search`). Produces files in memory; `build`
//! writes them.

use super::escape::escape;
use super::highlight;
use super::html::{fragment, relative, root_prefix, PageRenderer, Site};
use super::math::MathKey;
use super::math_font;
use super::RenderContext;
use crate::config::MathOutput;
use crate::diag::Diagnostic;
use crate::doc::*;
pub use crate::output::Content;
use serde::Serialize;

const PAGE_TEMPLATE: &str = include_str!("../../templates/page.html");
const THEME: &[(&str, &[u8])] = &[
    ("d2lbook.css", include_bytes!("../../theme/d2lbook.css")),
    ("d2lbook.js", include_bytes!("../../theme/d2lbook.js")),
    // The icon of a book that sets no `[html] favicon`.
    ("favicon.svg", include_bytes!("../../theme/favicon.svg")),
];

/// A file the site offers for download, copied into it.
pub struct Download {
    /// Where it goes, from the site root.
    pub path: String,
    pub size: u64,
    pub content: Content,
}

/// What the pages offer for download: the book's PDF and the notebooks, when they were
/// built (`build all`, or an earlier `build pdf` / `build ipynb`).
#[derive(Default)]
pub struct Downloads {
    pub pdf: Option<Download>,
    /// The zip of every notebook and the library.
    pub notebooks_zip: Option<Download>,
    /// Each section's notebook, by section index.
    pub notebooks: std::collections::BTreeMap<usize, Download>,
}

impl Downloads {
    /// What the pages show of the downloads, for the pages' keys.
    fn key(&self) -> String {
        let sizes = |d: &Option<Download>| d.as_ref().map(|d| (d.path.clone(), d.size));
        let notebooks: Vec<_> = self
            .notebooks
            .iter()
            .map(|(i, d)| (i, &d.path, d.size))
            .collect();
        format!(
            "{:?}{:?}{notebooks:?}",
            sizes(&self.pdf),
            sizes(&self.notebooks_zip)
        )
    }

    /// The menu of page `i` (from the site root path `page`).
    fn links(&self, i: usize, page: &str, words: &crate::i18n::Words) -> Vec<DownloadLink> {
        let link = |d: &Download, word: &str| DownloadLink {
            href: escape(&relative(page, &d.path)),
            label: word.replace("{}", &file_size(d.size)),
        };
        let mut links = Vec::new();
        if let Some(pdf) = &self.pdf {
            links.push(link(pdf, &words.download_pdf));
        }
        if let Some(notebook) = self.notebooks.get(&i) {
            links.push(link(notebook, &words.download_notebook));
        }
        if let Some(zip) = &self.notebooks_zip {
            links.push(link(zip, &words.download_notebooks));
        }
        links
    }
}

#[derive(Serialize)]
struct DownloadLink {
    href: String,
    label: String,
}

/// `532 KB`, `1.3 MB`: sizes as a reader weighs a download.
fn file_size(bytes: u64) -> String {
    match bytes {
        b if b < 1000 => format!("{b} B"),
        b if b < 1_000_000 => format!("{} KB", b.div_ceil(1000)),
        b => format!("{:.1} MB", b as f64 / 1e6),
    }
}

pub struct SiteFiles {
    /// (path relative to the site root, content); the search index is not among them
    /// (`search_files`).
    pub files: Vec<(String, Content)>,
    /// Each page's path and search document, to index.
    pub search: Vec<(String, String)>,
    /// How many pages came from the memo rather than being rendered.
    pub reused: usize,
}

/// One entry of `nav.js`, the book's navigation tree written once per site (every page
/// embedding it would make the site grow as the square of the book). Serialised as an
/// array, `[depth, number, title HTML, page path from the site root]`, to keep the file
/// small; `theme/d2lbook.js` builds each page's sidebar from it. An entry without a page
/// (see `book::MarkKind`) has an empty path and a fifth item, its kind.
#[derive(Serialize)]
#[serde(untagged)]
enum NavItem {
    Page(usize, String, String, String),
    Mark(usize, String, String, String, &'static str),
}

#[derive(Serialize)]
struct PageTocItem {
    level: u8,
    id: String,
    /// The id as a URL fragment (percent-encoded).
    fragment: String,
    title: String,
    number: String,
}

#[derive(Serialize)]
struct Link {
    href: String,
    title: String,
    number: String,
}

#[derive(Serialize)]
struct PageInfo {
    title: String,
    title_text: String,
    content: String,
    is_index: bool,
}

#[derive(Serialize)]
struct BookInfo<'a> {
    title: &'a str,
    authors: &'a [String],
    release: &'a str,
}

impl<'a> BookInfo<'a> {
    fn of(book: &'a crate::book::Book) -> Self {
        BookInfo {
            title: &book.config.book.title,
            authors: &book.config.book.authors,
            release: &book.config.book.release,
        }
    }
}

/// What the template sees. URLs (`root`, `href`, `katex_css`) are HTML-escaped here and
/// output with `| safe`, since Tera's escaping would also rewrite every `/`.
#[derive(Serialize)]
struct PageContext<'a> {
    lang: &'a str,
    book: BookInfo<'a>,
    page: PageInfo,
    root: String,
    /// This page's path from the site root, which the sidebar script marks as current.
    path: String,
    page_toc: Vec<PageTocItem>,
    prev: Option<Link>,
    next: Option<Link>,
    words: &'a crate::i18n::Words,
    katex_css: String,
    header_links: &'a [crate::config::HeaderLink],
    logo: String,
    favicon: String,
    /// The page's absolute URL, when `[html] site_url` is absolute.
    canonical: String,
    /// What the page is about, for search engines and link previews: the start of its
    /// first paragraph, as text.
    description: String,
    /// The logo's absolute URL for link previews, when `[html] site_url` is absolute.
    og_image: String,
    /// The download menu's entries (none: no menu).
    downloads: Vec<DownloadLink>,
}

/// The page a static host shows for a missing address, at any depth: its links start
/// from the path of `[html] site_url` (`/`, `/my-book/`) rather than from where it is.
fn not_found_page(
    site: &Site,
    tera: &tera::Tera,
    logo: Option<&str>,
    favicon: Option<&str>,
) -> Result<String, String> {
    let book = site.ctx.book;
    let words = site.ctx.words;
    let root = book.config.html.site_path();
    let ctx = PageContext {
        lang: &book.config.book.language,
        book: BookInfo::of(book),
        page: PageInfo {
            title: escape(&words.not_found),
            title_text: format!("{} — {}", words.not_found, book.config.book.title),
            content: format!(
                "<h1>{}</h1>\n<p>{} <a href=\"{}index.html\">{}</a></p>\n",
                escape(&words.not_found),
                escape(&words.not_found_text),
                escape(&root),
                escape(&book.config.book.title)
            ),
            is_index: false,
        },
        root: escape(&root),
        path: "404.html".into(),
        page_toc: Vec::new(),
        prev: None,
        next: None,
        words,
        katex_css: if book.config.html.math == MathOutput::KatexHtml {
            escape(&format!("{root}theme/katex/katex.min.css"))
        } else {
            String::new()
        },
        header_links: &book.config.html.header_links,
        logo: logo.map_or_else(String::new, |l| escape(&format!("{root}{l}"))),
        favicon: favicon.map_or_else(String::new, |f| escape(&format!("{root}{f}"))),
        canonical: String::new(),
        description: words.not_found_text.clone(),
        og_image: String::new(),
        downloads: Vec::new(),
    };
    tera::Context::from_serialize(&ctx)
        .and_then(|c| tera.render("page.html", &c))
        .map_err(|e| error_chain(&e))
}

/// The start of a page's first paragraph as text, cut after at most 160 characters at a
/// space or a CJK comma or full stop (CJK text has no spaces).
fn description(doc: &crate::doc::Doc) -> Option<String> {
    let mut first = None;
    crate::doc::for_each_block(&doc.blocks, &mut |b| {
        if let (None, Block::Paragraph(p)) = (&first, b) {
            first = Some(reading_text(p));
        }
    });
    let text = first?.split_whitespace().collect::<Vec<_>>().join(" ");
    const MAX: usize = 160;
    if text.chars().count() <= MAX {
        return (!text.is_empty()).then_some(text);
    }
    let cut: String = text.chars().take(MAX).collect();
    // A sentence's end first, then a word's or a clause's.
    let end = [&['。'][..], &[' ', '、'][..]]
        .iter()
        .find_map(|ends| cut.rfind(*ends).filter(|&at| at > cut.len() / 2));
    let cut = end.map_or(&cut[..], |at| &cut[..at]);
    Some(format!(
        "{}…",
        cut.trim_end_matches([',', ';', ':', '.', '、', '。'])
    ))
}

/// `sitemap.xml`: every page's absolute URL, for search engines.
fn sitemap(site_url: &str, book: &crate::book::Book) -> Content {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    // A URL's path is ASCII: everything but unreserved characters and `/` is encoded.
    const PATH: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    for section in &book.sections {
        let path = percent_encoding::utf8_percent_encode(&section.html, PATH);
        let url = format!("{site_url}/{path}");
        xml.push_str(&format!("  <url><loc>{}</loc></url>\n", escape(&url)));
    }
    xml.push_str("</urlset>\n");
    Content::Bytes(xml.into_bytes())
}

/// Section `i`'s title as plain text.
fn title_text(ctx: &RenderContext, i: usize) -> String {
    match &ctx.book.sections[i].title {
        Some(title) => title.clone(),
        None => ctx.docs[i]
            .title()
            .map(|h| reading_text(&h.content))
            .unwrap_or_default(),
    }
}

/// Section `i`'s search document, titled `title` (its plain text) after its number.
fn search_document(ctx: &RenderContext, i: usize, title: &str) -> String {
    super::search::document(
        &ctx.docs[i],
        format!("{} {title}", ctx.book.sections[i].number_text()).trim(),
        &ctx.book.config.book.language,
    )
}

/// Each page's path and search document, as `render` makes them (`SiteFiles::search`).
/// A search document holds no cell output, so these are known before the cells run.
pub fn search_documents(ctx: &RenderContext) -> Vec<(String, String)> {
    (0..ctx.book.sections.len())
        .map(|i| {
            let document = search_document(ctx, i, &title_text(ctx, i));
            (ctx.book.sections[i].html.clone(), document)
        })
        .collect()
}

/// One page out of the parallel render: the template's result and what it found.
struct RenderedPage {
    path: String,
    html: Result<String, String>,
    diags: Vec<Diagnostic>,
    /// The page's search document (`search::document`).
    search: String,
    /// The digest of what the page was made from (`page_key`).
    key: String,
    /// Taken from the memo.
    reused: bool,
}

/// Pages an earlier build rendered, by path, with the digest of what each was made from:
/// a page whose inputs digest the same is reused, not rendered again. `serve` keeps it in
/// memory between rebuilds; `build html` keeps it in a file (`load`, `save`).
#[derive(Default)]
pub struct RenderMemo {
    pages: std::collections::HashMap<String, MemoPage>,
    /// The last search index, shard by shard with the digest of what each indexed:
    /// indexing is the dearest step of a rebuild, and an edit changes only the shards of
    /// the pages whose search documents it changes (one, for an edit inside a section).
    search: super::search::Shards,
    /// The last math font and a digest of the equations it was cut for.
    font: Option<(String, Vec<u8>)>,
}

struct MemoPage {
    key: String,
    html: Result<String, String>,
    diags: Vec<Diagnostic>,
    /// Its search document (what the key covers decides it too); not in the file.
    search: Option<String>,
}

/// The file form of the memo: pages that rendered without diagnostics, and the binary
/// that rendered them (a different d2lbook may render differently: its memo is ignored).
/// Each page is `(key, length, checksum)` of its HTML, which is read back from the site
/// the build wrote (copying every page into the memo file made saving it grow with the
/// book: 120-140 ms at 1,000 sections): a page edited by hand or gone, or an entry
/// edited, fails its checksum and is rendered again, never trusted.
#[derive(Serialize, serde::Deserialize)]
struct MemoFile {
    renderer: String,
    pages: std::collections::HashMap<String, (String, u64, String)>,
    /// The search index's shards.
    #[serde(default)]
    search: Vec<FilesEntry>,
    /// The math font, as a bundle of one file.
    #[serde(default)]
    font: Option<FilesEntry>,
}

/// Files in the memo file (the search index, the math font): `(key, files as (path in
/// the site, length), checksum of the key and the files' paths and bytes)`; the bytes are
/// read back from the site, and checked like a page.
type FilesEntry = (String, Vec<(String, u64)>, String);

/// The files of `entry` as a bundle, their paths taken out of the site's folder `under`;
/// `None` unless all are there and pass the checksum.
fn decode_entry(
    (key, files, sum): FilesEntry,
    read: ReadBack,
    under: &str,
) -> Option<(String, super::search::Bundle)> {
    let files = files
        .into_iter()
        .map(|(path, len)| {
            let bytes = read(&path, len)?;
            Some((path.strip_prefix(under)?.to_string(), bytes))
        })
        .collect::<Option<Vec<_>>>()?;
    (files_checksum(&key, &files) == sum).then_some((key, files))
}

/// The entry of `files`, which the site holds in its folder `under`.
fn encode_entry(key: &str, files: &super::search::Bundle, under: &str) -> FilesEntry {
    let listed = files
        .iter()
        .map(|(path, bytes)| (format!("{under}{path}"), bytes.len() as u64))
        .collect();
    (key.to_string(), listed, files_checksum(key, files))
}

fn files_checksum(key: &str, files: &super::search::Bundle) -> String {
    let mut parts: Vec<&[u8]> = vec![key.as_bytes()];
    for (path, bytes) in files {
        parts.push(path.as_bytes());
        parts.push(bytes);
    }
    crate::digest::hash(&parts)
}

/// Reads back a file of the site the memo was saved with: `(path in the site, length)`
/// to its bytes, `None` when it is not there as such (`output::read_back`).
pub type ReadBack<'a> = &'a (dyn Fn(&str, u64) -> Option<Vec<u8>> + Sync);

fn memo_checksum(page: &str, key: &str, html: &str) -> String {
    crate::digest::hash(&[page.as_bytes(), key.as_bytes(), html.as_bytes()])
}

impl RenderMemo {
    /// The memo saved as `bytes` by `renderer` (the binary that rendered it), its pages
    /// read back from the site built with it by `read`; empty when unreadable or from
    /// another renderer.
    pub fn from_json(bytes: &[u8], renderer: &str, read: ReadBack) -> RenderMemo {
        use rayon::prelude::*;
        let file = match serde_json::from_slice::<MemoFile>(bytes) {
            Ok(file) if file.renderer == renderer => file,
            _ => return RenderMemo::default(),
        };
        let search_folder = format!("{}/", super::search::BUNDLE);
        // A shard that does not read back is indexed again, the others are kept.
        let search = file
            .search
            .into_iter()
            .filter_map(|entry| decode_entry(entry, read, &search_folder))
            .collect();
        let font = file
            .font
            .and_then(|entry| decode_entry(entry, read, ""))
            .and_then(|(key, mut files)| Some((key, files.pop()?.1)));
        let pages = file
            .pages
            .into_par_iter()
            .filter_map(|(page, (key, len, sum))| {
                let html = String::from_utf8(read(&page, len)?).ok()?;
                (sum == memo_checksum(&page, &key, &html)).then(|| {
                    let memo = MemoPage {
                        key,
                        html: Ok(html),
                        diags: Vec::new(),
                        search: None,
                    };
                    (page, memo)
                })
            })
            .collect();
        RenderMemo {
            pages,
            search,
            font,
        }
    }

    /// The pages that rendered cleanly, to save.
    pub fn to_json(&self, renderer: &str) -> Vec<u8> {
        let pages = self
            .pages
            .iter()
            .filter_map(|(page, m)| match (&m.html, m.diags.is_empty()) {
                (Ok(html), true) => {
                    let sum = memo_checksum(page, &m.key, html);
                    Some((page.clone(), (m.key.clone(), html.len() as u64, sum)))
                }
                _ => None,
            })
            .collect();
        let search_folder = format!("{}/", super::search::BUNDLE);
        let search = self
            .search
            .iter()
            .map(|(key, files)| encode_entry(key, files, &search_folder))
            .collect();
        let font = self.font.as_ref().map(|(key, font)| {
            encode_entry(key, &vec![(math_font::PATH.to_string(), font.clone())], "")
        });
        let file = MemoFile {
            renderer: renderer.to_string(),
            pages,
            search,
            font,
        };
        serde_json::to_vec(&file).unwrap_or_default()
    }
}

pub fn render(site: &Site, memo: &mut RenderMemo) -> (Option<SiteFiles>, Vec<Diagnostic>) {
    use rayon::prelude::*;
    let book = site.ctx.book;
    let mut diags = Vec::new();
    let template = site.theme.page_template.as_deref().unwrap_or(PAGE_TEMPLATE);
    let mut tera = tera::Tera::default();
    if let Err(e) = tera.add_raw_template("page.html", template) {
        diags.push(Diagnostic::error(format!(
            "invalid template page.html: {}",
            error_chain(&e)
        )));
        return (None, diags);
    }

    // The search index owns its folder: a page there would be overwritten by it.
    let reserved = format!("{}/", super::search::BUNDLE);
    for section in book
        .sections
        .iter()
        .filter(|s| s.html.starts_with(&reserved))
    {
        diags.push(
            Diagnostic::error(format!(
                "the page of {} would be {}, in the folder of the search index",
                section.file, section.html
            ))
            .help(format!(
                "rename the folder `{}` of the sources",
                super::search::BUNDLE
            )),
        );
    }
    let mut files = Vec::new();
    let html = &book.config.html;
    // `[html] logo` and `favicon` go into `theme/`, under their own names.
    let mut named = |file: &Option<(String, std::path::PathBuf)>| {
        file.as_ref().map(|(name, source)| {
            let target = format!("theme/{name}");
            files.push((target.clone(), Content::Copy(source.clone())));
            target
        })
    };
    let logo = named(&site.theme.logo);
    let favicon = named(&site.theme.favicon).or_else(|| Some("theme/favicon.svg".into()));
    let site_url = html.site_url.trim_end_matches('/');
    let katex_dir = "theme/katex";
    let katex = book.config.html.math == MathOutput::KatexHtml;
    let titles: Vec<(String, String)> = (0..book.sections.len())
        .map(|i| {
            let mut r = PageRenderer::new(site, i);
            let mut html = String::new();
            r.title(i, &mut html);
            (html, title_text(site.ctx, i))
        })
        .collect();

    let global = global_key(site, &titles);
    let pages: Vec<RenderedPage> = (0..book.sections.len())
        .into_par_iter()
        .map(|i| {
            let section = &book.sections[i];
            let page = &section.html;
            let key = page_key(site, i, &global, &titles);
            let hit = memo.pages.get(page).filter(|m| m.key == key);
            let search = match hit.and_then(|m| m.search.clone()) {
                Some(document) => document,
                None => search_document(site.ctx, i, &titles[i].1),
            };
            if let Some(hit) = hit {
                return RenderedPage {
                    path: page.clone(),
                    html: hit.html.clone(),
                    diags: hit.diags.clone(),
                    search,
                    key,
                    reused: true,
                };
            }
            let mut r = PageRenderer::new(site, i);
            let mut body = String::new();
            r.blocks(&site.ctx.docs[i].blocks, &mut body);
            let link = |j: usize| Link {
                href: relative(page, &book.sections[j].html),
                title: titles[j].0.clone(),
                number: book.sections[j].number_text(),
            };
            let ctx = PageContext {
                lang: &book.config.book.language,
                book: BookInfo::of(book),
                page: PageInfo {
                    title: titles[i].0.clone(),
                    title_text: if let Some(title) = &section.page_title {
                        title.clone()
                    } else if i == 0 {
                        book.config.book.title.clone()
                    } else {
                        format!("{} — {}", titles[i].1, book.config.book.title)
                    },
                    content: body,
                    is_index: i == 0,
                },
                root: escape(&root_prefix(page)),
                path: escape(page),
                page_toc: page_toc(&site.ctx.docs[i], &mut r),
                prev: i.checked_sub(1).map(link),
                next: (i + 1 < book.sections.len()).then(|| link(i + 1)),
                words: site.ctx.words,
                katex_css: if katex {
                    escape(&relative(page, &format!("{katex_dir}/katex.min.css")))
                } else {
                    String::new()
                },
                header_links: &book.config.html.header_links,
                logo: logo
                    .as_ref()
                    .map_or_else(String::new, |l| escape(&relative(page, l))),
                favicon: favicon
                    .as_ref()
                    .map_or_else(String::new, |f| escape(&relative(page, f))),
                canonical: if site_url.starts_with("http") {
                    escape(&format!("{site_url}/{page}"))
                } else {
                    String::new()
                },
                description: description(&site.ctx.docs[i])
                    .unwrap_or_else(|| book.config.book.title.clone()),
                og_image: match &logo {
                    Some(l) if site_url.starts_with("http") => escape(&format!("{site_url}/{l}")),
                    _ => String::new(),
                },
                downloads: site.downloads.links(i, page, site.ctx.words),
            };
            let html = tera::Context::from_serialize(&ctx)
                .and_then(|c| tera.render("page.html", &c))
                .map_err(|e| error_chain(&e));
            RenderedPage {
                path: page.clone(),
                html,
                diags: r.diags,
                search,
                key,
                reused: false,
            }
        })
        .collect();
    let reused = pages.iter().filter(|p| p.reused).count();

    let mut search = Vec::new();
    memo.pages.clear();
    for RenderedPage {
        path: page,
        html,
        diags: page_diags,
        search: document,
        key,
        ..
    } in pages
    {
        diags.extend(page_diags.iter().cloned());
        memo.pages.insert(
            page.clone(),
            MemoPage {
                key,
                html: html.clone(),
                diags: page_diags,
                search: Some(document.clone()),
            },
        );
        search.push((page.clone(), document));
        match html {
            Ok(html) => files.push((page, Content::Bytes(html.into_bytes()))),
            Err(e) => diags.push(Diagnostic::error(format!("template error on {page}: {e}"))),
        }
    }
    match not_found_page(site, &tera, logo.as_deref(), favicon.as_deref()) {
        Ok(html) => files.push(("404.html".into(), Content::Bytes(html.into_bytes()))),
        Err(e) => diags.push(Diagnostic::error(format!(
            "template error on 404.html: {e}"
        ))),
    }
    if site_url.starts_with("http") {
        files.push(("sitemap.xml".into(), sitemap(site_url, book)));
    }
    // GitHub Pages would otherwise run Jekyll, which hides folders starting with `_`.
    files.push((".nojekyll".into(), Content::Bytes(Vec::new())));
    let mut nav: Vec<NavItem> = Vec::new();
    let mut marks = book.marks.iter().peekable();
    for (j, s) in book.sections.iter().enumerate() {
        while let Some(mark) = marks.next_if(|m| m.before <= j) {
            nav.push(nav_mark(mark));
        }
        // The index page is an entry when the contents name it (an mdBook README.md).
        if j > 0 || s.title.is_some() {
            nav.push(NavItem::Page(
                s.depth.saturating_sub(1),
                s.number_text(),
                titles[j].0.clone(),
                s.html.clone(),
            ));
        }
    }
    nav.extend(marks.map(nav_mark));
    files.push(("nav.js".into(), script("d2lNav", &nav)));
    files.push((
        "theme/syntax.css".into(),
        Content::Bytes(highlight::stylesheet().as_bytes().to_vec()),
    ));
    // The font is cut to the characters of the book's math, which the equations decide:
    // they are the memo's key (reading every equation's MathML takes longer).
    let mut equations: Vec<&MathKey> = site.math.keys().collect();
    equations.sort_unstable();
    let key = crate::digest::hash(
        &equations
            .iter()
            .flat_map(|e| [e.tex.as_bytes(), if e.display { b"D" } else { b"I" }])
            .collect::<Vec<_>>(),
    );
    let font = match &memo.font {
        Some((cut_for, font)) if *cut_for == key => Ok(font.clone()),
        _ => math_font::woff2(&math_font::characters(
            site.math.values().filter_map(|r| r.as_deref().ok()),
        )),
    };
    match font {
        Ok(font) => {
            memo.font = Some((key, font.clone()));
            files.push((math_font::PATH.into(), Content::Bytes(font)));
        }
        Err(e) => diags.push(Diagnostic::warning(format!(
            "{e}; the site's math is drawn with the reader's fonts"
        ))),
    }
    theme_files(site, &mut files);
    for (rel, source) in &site.theme.katex {
        files.push((format!("{katex_dir}/{rel}"), Content::Copy(source.clone())));
    }
    images(site, &mut files);
    let downloads = &site.downloads;
    for d in downloads
        .pdf
        .iter()
        .chain(&downloads.notebooks_zip)
        .chain(downloads.notebooks.values())
    {
        files.push((d.path.clone(), d.content.clone()));
    }
    (
        Some(SiteFiles {
            files,
            search,
            reused,
        }),
        diags,
    )
}

/// A search index, shard by shard (`search::Shards`).
pub struct SearchIndex(super::search::Shards);

/// The search index of `documents`, made now but for the shards `memo` holds; `None`
/// when pagefind fails (`search_files` then indexes again and reports why).
pub fn search_index(documents: &[(String, String)], memo: &RenderMemo) -> Option<SearchIndex> {
    let shards = super::search::index(documents, &memo.search, &|| false).ok()??;
    Some(SearchIndex(shards))
}

impl RenderMemo {
    /// Gives the pages the memo holds their search documents, made before the cells ran
    /// (`search_documents`), so that `render` does not make them again; a page rendered
    /// anew makes its own.
    pub fn know_search_documents(&mut self, documents: &[(String, String)]) {
        for (page, document) in documents {
            if let Some(memo) = self.pages.get_mut(page) {
                memo.search = Some(document.clone());
            }
        }
    }

    /// Whether the memo's search index is the one of `documents`.
    pub fn has_search_of(&self, documents: &[(String, String)]) -> bool {
        super::search::is_index_of(documents, &self.search)
    }

    /// Keeps `index` for `search_files`, which hands it out when the pages' documents
    /// are the ones it was made from.
    pub fn keep_search(&mut self, index: SearchIndex) {
        self.search = index.0;
    }
}

/// The files of a search index, and whether it is stale (see `search_files`).
pub type SearchFiles = (Vec<(String, Content)>, bool);

/// The files of the search index of `documents` (each page's path and search document):
/// the memo's when the documents are the ones it indexed; else indexed now. With
/// `defer`, a changed book gets the memo's last index instead, and `true` says it is
/// stale: `serve` shows the new pages first and indexes after (the dearest step).
/// `None` when `cancelled` stopped the indexing (see `search::index`).
pub fn search_files(
    documents: &[(String, String)],
    memo: &mut RenderMemo,
    defer: bool,
    cancelled: &dyn Fn() -> bool,
) -> Result<Option<SearchFiles>, String> {
    let stale = if memo.has_search_of(documents) {
        false
    } else if defer && !memo.search.is_empty() {
        true
    } else {
        match super::search::index(documents, &memo.search, cancelled)? {
            Some(shards) => {
                memo.search = shards;
                false
            }
            None => return Ok(None),
        }
    };
    let files = super::search::files(&memo.search)
        .into_iter()
        .map(|(path, bytes)| {
            let path = format!("{}/{path}", super::search::BUNDLE);
            (path, Content::Bytes(bytes))
        })
        .collect();
    Ok(Some((files, stale)))
}

fn nav_mark(mark: &crate::book::NavMark) -> NavItem {
    use crate::book::MarkKind;
    match &mark.kind {
        MarkKind::Part(title) => {
            NavItem::Mark(0, String::new(), escape(title), String::new(), "part")
        }
        MarkKind::Draft {
            title,
            number,
            depth,
        } => {
            let number: Vec<String> = number.iter().map(u32::to_string).collect();
            NavItem::Mark(
                depth - 1,
                number.join("."),
                escape(title),
                String::new(),
                "draft",
            )
        }
        MarkKind::Separator => {
            NavItem::Mark(0, String::new(), String::new(), String::new(), "separator")
        }
    }
}

/// The digest of what every page is made from: the book's settings, the template, the
/// words, every section's page path and number, the images found. Titles are not in it:
/// a page shows only a few of them (`page_key`).
fn global_key(site: &Site, titles: &[(String, String)]) -> String {
    let book = site.ctx.book;
    let sections: Vec<(String, String)> = book
        .sections
        .iter()
        .map(|s| (s.html.clone(), s.number_text()))
        .collect();
    let settings = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}",
        book.config,
        site.theme.page_template,
        (&site.theme.logo, &site.theme.favicon),
        site.ctx.words,
        sections,
        site.ctx.resolution.assets,
        titles.len(),
        site.downloads.key()
    );
    crate::digest::hash(&[settings.as_bytes()])
}

/// The digest of what page `i` is made from, beyond `global`: its resolved IR (references
/// and citations carry their texts in it, cells their outputs), the titles it shows (its
/// own and its neighbours'; all of them on a page with a toc block) and, on the page
/// listing the bibliography, the entries. Two builds whose keys agree make the same page.
fn page_key(site: &Site, i: usize, global: &str, titles: &[(String, String)]) -> String {
    use std::hash::Hash;
    let doc = &site.ctx.docs[i];
    let mut has_toc = false;
    let mut has_bibliography = false;
    for_each_block(&doc.blocks, &mut |b| match b {
        Block::Toc(_) => has_toc = true,
        Block::Bibliography { .. } => has_bibliography = true,
        _ => {}
    });
    let shown = if has_toc {
        titles
    } else {
        &titles[i.saturating_sub(1)..(i + 2).min(titles.len())]
    };
    let mut key = crate::digest::Fingerprint::default();
    (global, i, &doc.blocks, shown).hash(&mut key);
    if has_bibliography {
        site.ctx.resolution.bibliography.hash(&mut key);
    }
    key.hex()
}

/// `window.NAME = JSON;`: data every page shares, as a script rather than a JSON file
/// that pages would `fetch`, which browsers refuse on `file://`.
fn script(name: &str, data: &impl Serialize) -> Content {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "[]".into());
    // `<\/` keeps the data valid inside an HTML `<script>` element too (a theme that
    // inlines the file): a `</script>` in a title would end it.
    Content::Bytes(format!("window.{name} = {};\n", json.replace("</", "<\\/")).into_bytes())
}

fn page_toc(doc: &Doc, r: &mut PageRenderer) -> Vec<PageTocItem> {
    let mut items = Vec::new();
    for_each_block(&doc.blocks, &mut |b| {
        if let Block::Heading(h) = b {
            if h.level == 2 || h.level == 3 {
                let mut title = String::new();
                let saved = r.diags.len();
                r.inlines(&h.content, &mut title);
                r.diags.truncate(saved);
                items.push(PageTocItem {
                    level: h.level,
                    id: h.id.clone(),
                    fragment: fragment(&h.id),
                    title,
                    number: h.number.clone(),
                });
            }
        }
    });
    items
}

/// The embedded theme, each file replaced by the book's `theme/` file of the same name;
/// the book's other theme files are added.
fn theme_files(site: &Site, files: &mut Vec<(String, Content)>) {
    let own = &site.theme.files;
    for (name, bytes) in THEME {
        if !own.iter().any(|(rel, _)| rel == name) {
            files.push((format!("theme/{name}"), Content::Bytes(bytes.to_vec())));
        }
    }
    for (rel, file) in own {
        files.push((format!("theme/{rel}"), Content::Copy(file.clone())));
    }
}

/// The images the pages show, copied to the same place relative to their pages.
fn images(site: &Site, files: &mut Vec<(String, Content)>) {
    for asset in site.ctx.resolution.assets.files() {
        files.push((asset.rel.clone(), Content::Copy(asset.file.clone())));
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}
