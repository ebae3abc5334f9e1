//! The driver: the only module that knows every stage. load → parse → resolve → eval →
//! render → write, with diagnostics collected along the way and printed at the end. The
//! site is written into a temporary folder and swapped into place only when the build
//! succeeds.

mod parse_memo;

use crate::book::Book;
use crate::diag::{render_all, Diagnostic, Diagnostics, Level};
use crate::doc::{for_each_block, Block, Doc};
use crate::eval::{self, library};
use crate::i18n::Words;
use crate::output;
use crate::parse;
use crate::render::html::{collect_math, Site};
use crate::render::math::MathCache;
use crate::render::site;
use crate::render::RenderContext;
use crate::resolve;
use crate::theme;
use parse_memo::ParseMemo;
use rayon::prelude::*;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Clone)]
pub struct Options {
    pub root: PathBuf,
    /// Warnings fail the build (also set by `[build] strict`).
    pub strict: bool,
    pub quiet: bool,
    /// Show cells without running them (also set by `[eval] enabled = false`).
    pub no_eval: bool,
}

/// What a build reports (its diagnostics are already printed).
pub struct Outcome {
    pub failed: bool,
}

/// Builds the site into `<output_dir>/html`.
pub fn html(options: &Options) -> Outcome {
    let started = Instant::now();
    let diags = Diagnostics::default();
    let mut memo = Memo {
        persist: true,
        parsed: ParseMemo::persistent(),
        ..Memo::default()
    };
    let Some(site) = make_site(options, &diags, &mut memo) else {
        return finish(options, options.strict, &diags, "");
    };
    let summary = write_site(options, &site, started, &diags);
    finish(options, site.strict, &diags, &summary)
}

/// Writes a site made in memory unless the build failed or the folder holds it already;
/// the closing line, or nothing when it was not written.
fn write_site(
    options: &Options,
    site: &SiteBuild,
    started: Instant,
    diags: &Diagnostics,
) -> String {
    let (false, Some(files)) = (site.failed(diags), &site.files) else {
        return String::new();
    };
    let dir = site.out_dir.join("html");
    if output::holds_exactly(&dir, files) {
        return format!(
            "the site in {} is up to date ({} pages, checked in {:.2} s)",
            display(&options.root, &dir),
            site.pages,
            started.elapsed().as_secs_f64()
        );
    }
    match output::write_atomically(&dir, files) {
        Ok(()) => site.summary(options, started),
        Err(e) => {
            diags.push(Diagnostic::error(format!("cannot write the site: {e}")));
            String::new()
        }
    }
}

/// `build all`: the site, the PDF and the notebooks from one load, parse, eval and
/// resolve; the site offers the PDF and the notebooks for download. Nothing is written
/// unless all three succeed.
pub fn all(options: &Options) -> Outcome {
    let started = Instant::now();
    let diags = Diagnostics::default();
    let mut memo = Memo {
        persist: true,
        parsed: ParseMemo::persistent(),
        ..Memo::default()
    };
    let Some(mut prepared) = resolved(options, &diags, &mut memo.parsed) else {
        return finish(options, options.strict, &diags, "");
    };
    load_memos(&mut memo, &prepared.out_dir);
    eval_and_index(options, &mut prepared, &diags, &mut memo);
    let strict = options.strict || prepared.book.config.build.strict;
    let pdf = typeset(options, &prepared, false, &diags);
    let notebooks = notebook_files(options, &prepared, &diags);
    let (Some(pdf), Some(notebooks)) = (pdf, notebooks) else {
        return finish(options, strict, &diags, "");
    };
    let name = crate::pdf::output_name(&prepared.book);
    let mut downloads = site::Downloads {
        pdf: Some(site::Download {
            path: format!("{name}.pdf"),
            size: pdf.len() as u64,
            content: output::Content::Bytes(pdf.clone()),
        }),
        ..Default::default()
    };
    for (path, content) in &notebooks.files {
        if let output::Content::Bytes(bytes) = content {
            let download = site::Download {
                path: path.clone(),
                size: bytes.len() as u64,
                content: content.clone(),
            };
            if *path == notebooks.zip_name {
                downloads.notebooks_zip = Some(download);
            } else if let Some(i) = prepared
                .book
                .sections
                .iter()
                .position(|s| crate::render::ipynb::notebook_path(&s.html) == *path)
            {
                downloads.notebooks.insert(i, download);
            }
        }
    }
    let (root, out_dir) = (options.root.clone(), prepared.out_dir.clone());
    let site = site_of(options, prepared, &downloads, &diags, &mut memo);
    if site.failed(&diags) || site.files.is_none() {
        return finish(options, strict, &diags, "");
    }
    let mut summary = Vec::new();
    let path = out_dir.join("pdf").join(format!("{name}.pdf"));
    match crate::pdf::write_atomically(&path, &pdf) {
        Ok(()) => summary.push(format!(
            "built {} ({} KB)",
            display(&root, &path),
            pdf.len() / 1024
        )),
        Err(e) => diags.push(Diagnostic::error(format!(
            "cannot write {}: {e}",
            path.display()
        ))),
    }
    summary.push(write_notebooks(options, &out_dir, notebooks, None, &diags));
    summary.push(write_site(options, &site, started, &diags));
    summary.retain(|line| !line.is_empty());
    finish(options, strict, &diags, &summary.join("\n"))
}

/// The site made in memory, not yet written.
pub(crate) struct SiteBuild {
    /// The files of the site (`None` when the template failed).
    pub files: Option<Vec<(String, output::Content)>>,
    /// The output folder, checked and claimed; the site goes to its `html/`.
    pub out_dir: PathBuf,
    pub strict: bool,
    pages: usize,
    /// Pages taken from the session's memo rather than rendered.
    reused: usize,
    /// Each page's path and search document.
    pub search: Vec<(String, String)>,
    /// The files hold the last search index, not one of these pages (`Memo::defer_search`).
    pub search_stale: bool,
    math_total: usize,
    math_rendered: usize,
    other_cells: usize,
}

impl SiteBuild {
    /// Whether the diagnostics so far fail the build.
    pub fn failed(&self, diags: &Diagnostics) -> bool {
        diags.count(Level::Error) > 0 || (self.strict && diags.count(Level::Warning) > 0)
    }

    /// The line a successful build ends with.
    pub fn summary(&self, options: &Options, started: Instant) -> String {
        let mut summary = format!(
            "built {} pages into {} in {:.2} s (math: {} rendered, {} from cache)",
            self.pages,
            display(&options.root, &self.out_dir.join("html")),
            started.elapsed().as_secs_f64(),
            self.math_rendered,
            self.math_total - self.math_rendered
        );
        if self.reused > 0 {
            summary.push_str(&format!(
                " ({} pages unchanged, not rendered again)",
                self.reused
            ));
        }
        if self.other_cells > 0 {
            summary.push_str(&format!(
                "\nnote: {} code cells in languages other than Rust are shown, not run",
                self.other_cells
            ));
        }
        summary
    }
}

/// load → parse → resolve → eval → render, into memory; `None` when the book cannot be
/// loaded at all.
pub(crate) fn make_site(
    options: &Options,
    diags: &Diagnostics,
    memo: &mut Memo,
) -> Option<SiteBuild> {
    let mut prepared = resolved(options, diags, &mut memo.parsed)?;
    load_memos(memo, &prepared.out_dir);
    eval_and_index(options, &mut prepared, diags, memo);
    let downloads = downloads_on_disk(&prepared.book, &prepared.out_dir);
    Some(site_of(options, prepared, &downloads, diags, memo))
}

/// The downloads that earlier `build pdf` and `build ipynb` runs left in the output
/// folder: a site built alone still offers them.
fn downloads_on_disk(book: &Book, out_dir: &Path) -> site::Downloads {
    let name = crate::pdf::output_name(book);
    let found = |file: PathBuf, path: String| {
        let size = std::fs::metadata(&file).ok().filter(|m| m.is_file())?.len();
        Some(site::Download {
            path,
            size,
            content: output::Content::Copy(file),
        })
    };
    let pdf = format!("{name}.pdf");
    let zip = format!("{name}-ipynb.zip");
    site::Downloads {
        pdf: found(out_dir.join("pdf").join(&pdf), pdf),
        notebooks_zip: found(out_dir.join("ipynb").join(&zip), zip),
        notebooks: book
            .sections
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let path = crate::render::ipynb::notebook_path(&s.html);
                Some((i, found(out_dir.join("ipynb").join(&path), path)?))
            })
            .collect(),
    }
}

/// Reads the page and eval caches of the output folder into `memo` when it keeps them.
fn load_memos(memo: &mut Memo, out_dir: &Path) {
    if memo.persist {
        let bytes = std::fs::read(out_dir.join("cache/pages.json")).unwrap_or_default();
        let html = out_dir.join("html");
        let read = |rel: &str, len: u64| output::read_back(&html, rel, len);
        memo.pages = site::RenderMemo::from_json(&bytes, &renderer(), &read);
        memo.eval = stored_eval_memo(out_dir);
    }
}

/// The eval stage's memo kept in the output folder between one-shot builds.
fn stored_eval_memo(out_dir: &Path) -> eval::Memo {
    eval::Memo::stored(out_dir.join("cache/eval.json"), &renderer())
}

/// Runs the cells of a resolved book. A one-shot build makes the site's search index
/// meanwhile, on another thread, when the pages' documents changed: they hold no cell
/// output, and rustc and pagefind then share the machine rather than wait for each other
/// (`build html` after a cell edit on the sample book: 0.8 s rather than 1.15 s). `serve`
/// shows the pages first and indexes after (`Memo::defer_search`).
fn eval_and_index(
    options: &Options,
    prepared: &mut Prepared,
    diags: &Diagnostics,
    memo: &mut Memo,
) {
    let documents = (!memo.defer_search).then(|| site::search_documents(&prepared.ctx()));
    if let Some(documents) = &documents {
        memo.pages.know_search_documents(documents);
    }
    let documents = documents.filter(|documents| !memo.pages.has_search_of(documents));
    let index = std::thread::scope(|scope| {
        let indexing = documents
            .as_deref()
            .map(|documents| scope.spawn(|| site::search_index(documents, &memo.pages)));
        run_eval(
            options,
            &prepared.book,
            &mut prepared.docs,
            diags,
            &mut memo.eval,
        );
        indexing.and_then(|thread| thread.join().ok().flatten())
    });
    if let Some(index) = index {
        memo.pages.keep_search(index);
    }
}

/// The site of a prepared book, into memory.
fn site_of(
    options: &Options,
    prepared: Prepared,
    downloads: &site::Downloads,
    diags: &Diagnostics,
    memo: &mut Memo,
) -> SiteBuild {
    let Prepared {
        book,
        docs,
        words,
        resolution,
        out_dir,
    } = prepared;
    // A session keeps the math cache open between rebuilds (it is read once, not at
    // every save); the cache file is where the output folder says.
    let math_file = out_dir.join("cache/math.json");
    let cache = match &mut memo.math {
        Some(cache) if cache.path() == math_file => cache,
        slot => slot.insert(MathCache::open(&math_file)),
    };
    let keys = collect_math(
        &docs,
        resolution.bibliography.as_deref().unwrap_or_default(),
    );
    let math_total = keys.len();
    let math_rendered = cache.render_missing(&keys, book.config.html.math);
    if let Err(e) = cache.save() {
        diags.push(Diagnostic::warning(format!(
            "cannot save the math cache: {e}"
        )));
    }
    let math = cache.rendered(keys, book.config.html.math);

    let (theme, theme_diags) = theme::site(&book);
    diags.extend(theme_diags);
    let pages_file = out_dir.join("cache/pages.json");
    let ctx = RenderContext {
        book: &book,
        docs: &docs,
        resolution: &resolution,
        words: &words,
    };
    let (files, render_diags) = site::render(
        &Site {
            ctx: &ctx,
            math: &math,
            theme: &theme,
            downloads,
        },
        &mut memo.pages,
    );
    diags.extend(render_diags);
    // Saved when a page was rendered: a no-op build writes nothing, not even its cache.
    let rendered_any = files
        .as_ref()
        .is_some_and(|f| f.reused < book.sections.len());
    let mut search_stale = false;
    let files = files.map(|mut f| {
        // Never cancelled: `None` cannot come back.
        match site::search_files(&f.search, &mut memo.pages, memo.defer_search, &|| false) {
            Ok(None) => {}
            Ok(Some((bundle, stale))) => {
                f.files.extend(bundle);
                search_stale = stale;
            }
            Err(e) => diags.push(Diagnostic::error(format!("search index: {e}"))),
        }
        f
    });
    if memo.persist && rendered_any {
        let saved = std::fs::create_dir_all(out_dir.join("cache")).and_then(|()| {
            let tmp = pages_file.with_extension("tmp");
            std::fs::write(&tmp, memo.pages.to_json(&renderer()))?;
            std::fs::rename(tmp, &pages_file)
        });
        if let Err(e) = saved {
            diags.push(Diagnostic::warning(format!(
                "cannot save the page cache: {e}"
            )));
        }
    }
    let (reused, files, search) = match files {
        Some(f) => (f.reused, Some(f.files), f.search),
        None => (0, None, Vec::new()),
    };
    SiteBuild {
        reused,
        files,
        search,
        search_stale,
        out_dir,
        strict: options.strict || book.config.build.strict,
        pages: book.sections.len(),
        math_total,
        math_rendered,
        other_cells: count_blocks(
            &docs,
            |b| matches!(b, Block::Code(c) if c.cell.is_some() && c.lang != "rust"),
        ),
    }
}

/// Builds the PDF into `<output_dir>/pdf/<name>.pdf` (runs the cells first, as `html`
/// does); `keep_typ` also writes the generated Typst source beside it as `<name>.typ`.
pub fn pdf(options: &Options, keep_typ: bool) -> Outcome {
    let started = Instant::now();
    let diags = Diagnostics::default();
    let Some(prepared) = prepare_once(options, &diags) else {
        return finish(options, options.strict, &diags, "");
    };
    let book = &prepared.book;
    let out_dir = prepared.out_dir.join("pdf");
    let name = crate::pdf::output_name(book);
    let typ = out_dir.join(format!("{name}.typ"));
    let bytes = typeset(options, &prepared, keep_typ, &diags);
    let strict = options.strict || book.config.build.strict;
    let failed = diags.count(Level::Error) > 0 || (strict && diags.count(Level::Warning) > 0);
    let mut summary = String::new();
    if let (false, Some(bytes)) = (failed, bytes) {
        let path = out_dir.join(format!("{name}.pdf"));
        match crate::pdf::write_atomically(&path, &bytes) {
            Ok(()) => {
                summary = format!(
                    "built {} ({} KB) in {:.2} s",
                    display(&options.root, &path),
                    bytes.len() / 1024,
                    started.elapsed().as_secs_f64()
                );
                let raw = count_blocks(&prepared.docs, |b| matches!(b, Block::RawHtml { .. }));
                if raw > 0 {
                    summary.push_str(&format!(
                        "\nnote: {raw} raw HTML block{} left out of the PDF",
                        if raw == 1 { " is" } else { "s are" }
                    ));
                }
                if keep_typ {
                    summary.push_str(&format!(
                        "\nnote: the Typst source is {}",
                        display(&options.root, &typ)
                    ));
                }
            }
            Err(e) => diags.push(Diagnostic::error(format!(
                "cannot write {}: {e}",
                path.display()
            ))),
        }
    }
    finish(options, strict, &diags, &summary)
}

/// The PDF of a prepared book, typeset in memory (with its Typst source written beside
/// it when `keep_typ`); `None` when a template is refused or Typst fails.
fn typeset(
    options: &Options,
    prepared: &Prepared,
    keep_typ: bool,
    diags: &Diagnostics,
) -> Option<Vec<u8>> {
    let ctx = prepared.ctx();
    let book = ctx.book;
    let typ = prepared
        .out_dir
        .join("pdf")
        .join(format!("{}.typ", crate::pdf::output_name(book)));
    let (theme, theme_diags) = theme::pdf(book);
    // A refused template fails the build: typesetting without it would be wasted.
    if !theme_diags.is_empty() {
        diags.extend(theme_diags);
        return None;
    }
    let progress = !options.quiet && std::io::stderr().is_terminal();
    if progress {
        eprint!("typesetting {} sections with Typst…", book.sections.len());
    }
    let (bytes, pdf_diags) =
        crate::pdf::render_pdf(&ctx, &theme, keep_typ.then_some(typ.as_path()));
    if progress {
        eprint!("\r\x1b[2K");
    }
    diags.extend(pdf_diags);
    bytes
}

/// Builds the notebooks into `<output_dir>/ipynb` (runs the cells first, as `html` does):
/// a notebook per section at its page's path, the images they show, a copy of the
/// library, and `<name>-ipynb.zip` holding all of these.
pub fn ipynb(options: &Options) -> Outcome {
    let started = Instant::now();
    let diags = Diagnostics::default();
    let Some(prepared) = prepare_once(options, &diags) else {
        return finish(options, options.strict, &diags, "");
    };
    let strict = options.strict || prepared.book.config.build.strict;
    let notebooks = notebook_files(options, &prepared, &diags);
    let failed = diags.count(Level::Error) > 0 || (strict && diags.count(Level::Warning) > 0);
    let mut summary = String::new();
    if let (false, Some(notebooks)) = (failed, notebooks) {
        summary = write_notebooks(options, &prepared.out_dir, notebooks, Some(started), &diags);
    }
    finish(options, strict, &diags, &summary)
}

/// A book's notebooks in memory: each section's, the images, the library's copy and the
/// zip of them all.
struct Notebooks {
    files: Vec<(String, output::Content)>,
    count: usize,
    zip_name: String,
    evaluated: bool,
}

/// The notebooks of a prepared book; `None` when the library cannot be copied or the
/// zip cannot be made.
fn notebook_files(
    options: &Options,
    prepared: &Prepared,
    diags: &Diagnostics,
) -> Option<Notebooks> {
    use crate::render::ipynb;
    let ctx = prepared.ctx();
    let book = ctx.book;
    let evaluated = !options.no_eval && book.config.eval.enabled;
    let (mut files, notes) = ipynb::notebooks(&ctx, &ipynb::Options { evaluated });
    diags.extend(notes);
    let count = files.iter().filter(|(p, _)| p.ends_with(".ipynb")).count();
    match library_files(book) {
        Ok(library) => files.extend(library),
        // The set-up cell names another source of the library: no copy is needed.
        Err(_) if book.config.ipynb.d2l_dependency.is_some() => {}
        Err(e) => {
            diags.push(
                Diagnostic::error(format!(
                    "cannot read the library `{}` of [eval] library: {e}",
                    book.config.eval.library
                ))
                .help("the notebooks' set-up cell loads the library: set `[eval] library` to the path of the d2l crate"),
            );
            return None;
        }
    }
    let zip_name = format!("{}-ipynb.zip", crate::pdf::output_name(book));
    match output::zip(&files) {
        Ok(zip) => files.push((zip_name.clone(), output::Content::Bytes(zip))),
        Err(e) => {
            diags.push(Diagnostic::error(format!("cannot zip the notebooks: {e}")));
            return None;
        }
    }
    Some(Notebooks {
        files,
        count,
        zip_name,
        evaluated,
    })
}

/// Writes the notebooks into `<output_dir>/ipynb`; the closing line (with the time since
/// `started`), or nothing when they could not be written.
fn write_notebooks(
    options: &Options,
    out_dir: &Path,
    notebooks: Notebooks,
    started: Option<Instant>,
    diags: &Diagnostics,
) -> String {
    let dir = out_dir.join("ipynb");
    match output::write_atomically(&dir, &notebooks.files) {
        Ok(()) => {
            let mut summary = format!(
                "built {} notebooks into {} and {}",
                notebooks.count,
                display(&options.root, &dir),
                display(&options.root, &dir.join(&notebooks.zip_name)),
            );
            if let Some(started) = started {
                summary.push_str(&format!(" in {:.2} s", started.elapsed().as_secs_f64()));
            }
            if !notebooks.evaluated {
                summary.push_str("\nnote: the cells were not run: the notebooks have no outputs");
            }
            summary
        }
        Err(e) => {
            diags.push(Diagnostic::error(format!(
                "cannot write the notebooks: {e}"
            )));
            String::new()
        }
    }
}

/// The library's sources as files of `d2l-lib/` in the notebook folder, in name order
/// (a copy travels with the notebooks even when `[ipynb] d2l_dependency` names another);
/// build outputs (`target/`) and hidden files (`.git`) are left out.
fn library_files(book: &Book) -> std::io::Result<Vec<(String, output::Content)>> {
    let dir = book.root.join(&book.config.eval.library);
    let mut files = Vec::new();
    let walk = walkdir::WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0 || {
                let name = e.file_name().to_string_lossy();
                !(name.starts_with('.') || e.depth() == 1 && name == "target")
            }
        });
    for entry in walk {
        let entry = entry.map_err(std::io::Error::other)?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        files.push((
            format!("{}/{}", crate::render::ipynb::LIBRARY_DIR, rel.join("/")),
            output::Content::Copy(entry.into_path()),
        ));
    }
    if files.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} holds no files", dir.display()),
        ));
    }
    Ok(files)
}

/// A book loaded, parsed, evaluated and resolved: what every backend renders from.
struct Prepared {
    book: Book,
    docs: Vec<Doc>,
    words: Words,
    resolution: resolve::Resolution,
    /// The output folder, checked and claimed.
    out_dir: PathBuf,
}

impl Prepared {
    /// What a backend reads.
    fn ctx(&self) -> RenderContext<'_> {
        RenderContext {
            book: &self.book,
            docs: &self.docs,
            resolution: &self.resolution,
            words: &self.words,
        }
    }
}

/// load → parse → resolve → eval for a one-shot build: the parsed sections and the eval
/// memo kept in the output folder; `None` when the book cannot be loaded at all.
fn prepare_once(options: &Options, diags: &Diagnostics) -> Option<Prepared> {
    let mut prepared = resolved(options, diags, &mut ParseMemo::persistent())?;
    run_eval(
        options,
        &prepared.book,
        &mut prepared.docs,
        diags,
        &mut stored_eval_memo(&prepared.out_dir),
    );
    Some(prepared)
}

/// load → parse → resolve, the cells not run yet (resolving reads no cell output, and
/// running cells changes nothing it reads); `None` when the book cannot be loaded at all.
fn resolved(options: &Options, diags: &Diagnostics, memo: &mut ParseMemo) -> Option<Prepared> {
    let (book, mut docs) = match load_and_parse(&options.root, diags, memo) {
        Ok(loaded) => loaded,
        Err(fatal) => {
            diags.push(fatal);
            return None;
        }
    };
    let out_dir = match claim_output(&book) {
        Ok(dir) => dir,
        Err(refused) => {
            diags.push(refused);
            return None;
        }
    };
    if let Err(e) = memo.save(&out_dir, &renderer()) {
        diags.push(Diagnostic::warning(format!(
            "cannot save the parsed sections: {e}"
        )));
    }
    let words = words(&book, diags);
    let formatted = out_dir.join("cache/bibliography.json");
    crate::cite::recall(&formatted, &renderer());
    let (resolution, resolve_diags) = resolve::resolve(&book, &mut docs, &words);
    diags.extend(resolve_diags);
    if let Err(e) = crate::cite::remember(&formatted, &renderer()) {
        diags.push(Diagnostic::warning(format!(
            "cannot save the formatted bibliography: {e}"
        )));
    }
    Some(Prepared {
        book,
        docs,
        words,
        resolution,
        out_dir,
    })
}

/// The book's words, with a warning for each unknown `[labels]` key.
fn words(book: &Book, diags: &Diagnostics) -> Words {
    let (words, unknown) = Words::new(&book.config.book.language, &book.config.labels);
    for key in unknown {
        diags.push(Diagnostic::warning(format!(
            "unknown key '{key}' in [labels] of book.toml"
        )));
    }
    words
}

/// Runs the cells only: `d2lbook build eval`.
/// `selection`: the shard and device of `build eval --shard i/n --device d`. With
/// `list`, prints the plan of that many shards instead of running anything.
pub fn eval(options: &Options, selection: eval::Selection, list: Option<usize>) -> Outcome {
    let diags = Diagnostics::default();
    let mut summary = String::new();
    match load_and_parse(&options.root, &diags, &mut ParseMemo::default()) {
        Ok((book, docs)) if list.is_some() => {
            let n = list.unwrap_or(1);
            match eval::shard_plan(&book, &docs, n, selection.device) {
                Ok(plan) => summary = shard_listing(&plan, n),
                Err(e) => diags.push(e),
            }
        }
        Ok((book, mut docs)) => {
            let out_dir = match claim_output(&book) {
                Ok(dir) => dir,
                Err(refused) => {
                    diags.push(refused);
                    return finish(options, options.strict, &diags, "");
                }
            };
            let options = Options {
                no_eval: false,
                ..options.clone()
            };
            run_some(
                &options,
                &book,
                &mut docs,
                selection,
                &diags,
                &mut stored_eval_memo(&out_dir),
            );
        }
        Err(fatal) => diags.push(fatal),
    }
    if !summary.is_empty() {
        print!("{summary}");
    }
    finish(options, options.strict, &diags, "")
}

/// `cache export FILE`: the eval cache's entries into one archive.
pub fn cache_export(options: &Options, file: &Path) -> Outcome {
    let diags = Diagnostics::default();
    let mut summary = String::new();
    match Book::load(&options.root).and_then(|(book, _)| output::locate(&book.root, &book.config)) {
        Ok(out_dir) => match eval::archive::export(&out_dir.join("eval"), file) {
            Ok(n) => summary = format!("exported {n} eval cache entries to {}", file.display()),
            Err(e) => diags.push(Diagnostic::error(e)),
        },
        Err(e) => diags.push(e),
    }
    finish(options, options.strict, &diags, &summary)
}

/// `cache import FILE...`: merges archives of other machines' eval caches into this one.
pub fn cache_import(options: &Options, files: &[PathBuf]) -> Outcome {
    let diags = Diagnostics::default();
    let mut lines = Vec::new();
    let out_dir = Book::load(&options.root).and_then(|(book, _)| claim_output(&book));
    match out_dir {
        Ok(out_dir) => {
            for file in files {
                match eval::archive::import(&out_dir.join("eval"), file) {
                    Ok(done) => {
                        if done.other_lock {
                            diags.push(Diagnostic::warning(format!(
                                "{}: built with another lock file than this folder's: its entries are used only where cargo resolves the same versions",
                                file.display()
                            )));
                        }
                        lines.push(format!(
                            "imported {}: {} entries added, {} already present",
                            file.display(),
                            done.added,
                            done.present
                        ));
                        for key in done.conflicts {
                            diags.push(
                                Diagnostic::error(format!(
                                    "{}: entry {key} differs from the one in the cache, which is kept",
                                    file.display()
                                ))
                                .help("the same key with other outputs means a nondeterministic cell or an edited cache: remove <output_dir>/eval/cache/<key>.json to take the imported one"),
                            );
                        }
                    }
                    Err(e) => diags.push(Diagnostic::error(e)),
                }
            }
        }
        Err(e) => diags.push(e),
    }
    finish(options, options.strict, &diags, &lines.join("\n"))
}

/// `build eval --list-shards n`: each shard's sections and their last known run times.
fn shard_listing(plan: &[eval::shard::Planned], n: usize) -> String {
    let mut out = String::new();
    for shard in 1..=n {
        let mine: Vec<_> = plan.iter().filter(|p| p.shard == shard).collect();
        let known: f64 = mine.iter().filter_map(|p| p.seconds).sum();
        let unknown = mine.iter().filter(|p| p.seconds.is_none()).count();
        out.push_str(&format!(
            "shard {shard}/{n}: {} sections, {known:.1} s known{}\n",
            mine.len(),
            if unknown > 0 {
                format!(", {unknown} never timed")
            } else {
                String::new()
            }
        ));
        for p in mine {
            match p.seconds {
                Some(s) => out.push_str(&format!("  {} ({s:.1} s)\n", p.src)),
                None => out.push_str(&format!("  {}\n", p.src)),
            }
        }
    }
    out
}

/// Writes (or with `check`, compares) the library module of `//@save` items: `build lib`.
pub fn lib(options: &Options, check: bool) -> Outcome {
    let diags = Diagnostics::default();
    let mut summary = String::new();
    match load_and_parse(&options.root, &diags, &mut ParseMemo::default()) {
        Ok((book, docs)) => {
            let path = book
                .root
                .join(&book.config.eval.library)
                .join(library::MODULE);
            let text = library::generate(&book, &docs);
            let current = std::fs::read_to_string(&path).unwrap_or_default();
            let shown = display(&options.root, &path);
            if current == text {
                summary = format!("{shown} is up to date");
            } else if check {
                diags.push(
                    Diagnostic::error(format!("{shown} is stale"))
                        .help("run `d2lbook build lib` and commit the result"),
                );
            } else {
                match std::fs::write(&path, &text) {
                    Ok(()) => summary = format!("wrote {shown}"),
                    Err(e) => diags.push(Diagnostic::error(format!("cannot write {shown}: {e}"))),
                }
            }
        }
        Err(fatal) => diags.push(fatal),
    }
    finish(options, options.strict, &diags, &summary)
}

/// Removes the output folder, if d2lbook made it: `d2lbook clean`.
pub fn clean(options: &Options) -> Outcome {
    let diags = Diagnostics::default();
    let mut summary = String::new();
    let cleaned = crate::config::Config::load(&options.root)
        .and_then(|config| output::clean(&options.root, &config));
    match cleaned {
        Ok(Some(dir)) => summary = format!("removed {}", display(&options.root, &dir)),
        Ok(None) => summary = "nothing to remove".into(),
        Err(refused) => diags.push(refused),
    }
    finish(options, options.strict, &diags, &summary)
}

/// Checks the links of the site that `build html` wrote.
/// `external`: also ask for the site's http(s) links (answers cached under
/// `<output_dir>/cache/links.json`).
pub fn linkcheck(options: &Options, external: bool) -> Outcome {
    let started = Instant::now();
    let (errors, summary) = match Book::load(&options.root) {
        Err(e) => (vec![e], String::new()),
        Ok((book, _)) => match output::locate(&book.root, &book.config) {
            Err(e) => (vec![e], String::new()),
            Ok(dir) if !dir.join("html").is_dir() => (
                vec![Diagnostic::error(format!(
                    "no site in {} to check",
                    display(&options.root, &dir.join("html"))
                ))
                .help("build it first: `d2lbook build html`")],
                String::new(),
            ),
            Ok(dir) => {
                let cache = dir.join("cache/links.json");
                let (broken, checked) = crate::linkcheck::check(
                    &book,
                    &dir.join("html"),
                    external.then_some(cache.as_path()),
                );
                let outside = match checked.external {
                    Some((links, asked)) => format!(
                        " and {links} links to other sites ({asked} asked, {} from the cache)",
                        links - asked
                    ),
                    None => String::new(),
                };
                let summary = format!(
                    "checked {} links of {}{outside} in {:.2} s: {}",
                    checked.links,
                    display(&options.root, &dir.join("html")),
                    started.elapsed().as_secs_f64(),
                    match broken.len() {
                        0 => "none is broken".to_string(),
                        1 => "1 is broken".to_string(),
                        n => format!("{n} are broken"),
                    }
                );
                (broken, summary)
            }
        },
    };
    eprint!("{}", render_all(&errors, &options.root));
    if !summary.is_empty() && (!options.quiet || !errors.is_empty()) {
        eprintln!("{summary}");
    }
    Outcome {
        failed: !errors.is_empty(),
    }
}

/// The eval stage, unless turned off; prints its summary line.
fn run_eval(
    options: &Options,
    book: &Book,
    docs: &mut [Doc],
    diags: &Diagnostics,
    memo: &mut eval::Memo,
) {
    run_some(options, book, docs, eval::Selection::default(), diags, memo);
}

/// The eval stage on the `selection` of sections; prints its summary line.
fn run_some(
    options: &Options,
    book: &Book,
    docs: &mut [Doc],
    selection: eval::Selection,
    diags: &Diagnostics,
    memo: &mut eval::Memo,
) {
    if options.no_eval || !book.config.eval.enabled {
        return;
    }
    let (stats, eval_diags) = eval::evaluate(book, docs, !options.quiet, selection, memo);
    diags.extend(eval_diags);
    if stats.sections + stats.elsewhere == 0 || options.quiet {
        return;
    }
    let elsewhere = if stats.elsewhere > 0 {
        format!(" ({} left to other shards or devices)", stats.elsewhere)
    } else {
        String::new()
    };
    // Printed now, so that a failed build still says what ran.
    eprintln!(
        "eval: {} sections with Rust cells, {} run, {} from cache (compile {:.2} s, run {:.2} s){elsewhere}",
        stats.sections, stats.ran, stats.cached, stats.compile_seconds, stats.run_seconds
    );
}

/// The output folder, checked and marked before anything is written into it.
fn claim_output(book: &Book) -> Result<PathBuf, Diagnostic> {
    let dir = output::locate(&book.root, &book.config)?;
    output::claim(&dir)?;
    Ok(dir)
}

fn load_and_parse(
    root: &Path,
    diags: &Diagnostics,
    memo: &mut ParseMemo,
) -> Result<(Book, Vec<Doc>), Diagnostic> {
    init_threads();
    let (book, load_diags) = Book::load(root)?;
    diags.extend(load_diags);
    if let Some(remap) = book.span_remap() {
        diags.set_remap(remap);
    }
    // Read only: the folder is claimed (checked) before anything is written into it.
    if let Ok(out_dir) = output::locate(&book.root, &book.config) {
        memo.recall(&out_dir, &renderer());
    }
    let docs = parse_sections(&book, diags, memo);
    Ok((book, docs))
}

/// Every section's text → its Doc, in parallel.
fn parse_sections(book: &Book, diags: &Diagnostics, memo: &mut ParseMemo) -> Vec<Doc> {
    let src_dir = book.src_dir();
    let parsed: Vec<(String, Doc, Vec<Diagnostic>, bool)> = book
        .sections
        .par_iter()
        .map(|section| {
            let key = ParseMemo::key(book, section);
            if let Some((doc, parse_diags)) = memo.get(&key) {
                return (key, doc.clone(), parse_diags.clone(), false);
            }
            let dir = src_dir.join(&section.src);
            let dir = dir.parent().unwrap_or(&src_dir);
            let (mut doc, parse_diags) = if section.src.ends_with(".ipynb") {
                parse::parse_notebook(&section.text, &section.file, dir, &book.fence)
            } else {
                parse::parse_markdown(&section.text, &section.file, dir, &book.fence)
            };
            if book.config.mdbook {
                crate::mdbook::heading_ids(&mut doc);
            }
            (key, doc, parse_diags, true)
        })
        .collect();
    // The memo keeps the sections of this book: a remembered one stays as it is, a new
    // one is copied in (the stages after the parse change their own copy).
    let mut kept = std::collections::HashMap::with_capacity(parsed.len());
    let mut docs = Vec::with_capacity(parsed.len());
    let mut parsed_clean = false;
    for ((key, doc, parse_diags, new), section) in parsed.into_iter().zip(&book.sections) {
        diags.extend(parse_diags.iter().cloned());
        if !new {
            if let Some(entry) = memo.take(&key) {
                kept.insert(key, entry);
            }
        } else if !section.text.contains(":file:") {
            // A section that includes a file (`eval_rst` `:file:`) is parsed again each
            // time: its text alone does not say whether that file changed.
            // Only a clean parse is kept between runs (see `parse_memo`).
            parsed_clean |= parse_diags.is_empty();
            kept.insert(key, (doc.clone(), parse_diags));
        }
        docs.push(doc);
    }
    memo.replace(kept, parsed_clean);
    docs
}

/// What a build keeps of earlier ones: a session (`session.rs`) in memory between its
/// rebuilds; `build html` the digests of its rendered pages in
/// `<output_dir>/cache/pages.json`, their HTML being the site's.
#[derive(Default)]
pub struct Memo {
    parsed: ParseMemo,
    eval: eval::Memo,
    pages: site::RenderMemo,
    math: Option<MathCache>,
    /// Read and write the page cache of the output folder.
    persist: bool,
    /// A changed search index is left to the caller (`Session::rebuild_then`): `serve`
    /// writes the pages first.
    defer_search: bool,
}

impl Memo {
    /// A memo for a session, which writes pages before their search index.
    pub(crate) fn deferring_search() -> Memo {
        Memo {
            eval: eval::Memo::session(),
            defer_search: true,
            ..Memo::default()
        }
    }

    /// The search index of `documents` (each page's path and search document), made now
    /// unless the memo holds it: the files of `pagefind/` in the site; `None` when
    /// `cancelled` stopped it.
    pub(crate) fn search_files(
        &mut self,
        documents: &[(String, String)],
        cancelled: &dyn Fn() -> bool,
    ) -> Result<Option<Vec<(String, output::Content)>>, String> {
        site::search_files(documents, &mut self.pages, false, cancelled)
            .map(|made| made.map(|(files, _)| files))
    }
}

/// This binary, as its version, size and modification time: pages rendered by another
/// d2lbook (which may render them differently) are not reused.
fn renderer() -> String {
    let exe = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| format!("{}:{:?}", m.len(), m.modified().ok()))
        .unwrap_or_default();
    format!("{}:{exe}", env!("CARGO_PKG_VERSION"))
}

/// The stack of the threads that parse, resolve and render: the stages walk the IR
/// recursively, and `parse::MAX_NESTING` bounds how deep it goes. A section at that
/// bound, blocks and inlines both, needs a few MiB in a debug build; this leaves a
/// wide margin (the memory is only reserved, not used).
pub const STACK_SIZE: usize = 64 << 20;

/// Gives rayon's threads `STACK_SIZE` stacks, once per process (before its first use).
fn init_threads() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        // Fails only when the pool already exists; its threads then keep their stacks.
        let _ = rayon::ThreadPoolBuilder::new()
            .stack_size(STACK_SIZE)
            .build_global();
    });
}

/// What the front end makes of an in-memory book: see `front_end`.
pub struct FrontEnd {
    /// Each section's HTML page, in book order.
    pub pages: Vec<String>,
    /// The book's generated Typst markup.
    pub typst: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// The front end in memory, for fuzzing and tests: load (from `texts`: the root
/// `index.md`, then sections it numbers 1, 2, …) → parse → resolve → render the HTML
/// pages (math through KaTeX when `katex`) and the Typst markup (math through mitex).
/// No eval, no PDF, nothing written. Call it on a thread with a `STACK_SIZE` stack.
pub fn front_end(texts: &[&str], katex: bool) -> FrontEnd {
    init_threads();
    let diags = Diagnostics::default();
    let config = crate::config::Config::from_toml("[book]\ntitle = \"Fuzz\"\n", "book.toml")
        .expect("a valid configuration");
    let sections = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let src = if i == 0 {
                "index.md".into()
            } else {
                format!("s{i}.md")
            };
            crate::book::Section {
                file: src.clone(),
                html: src.replace(".md", ".html"),
                src,
                number: if i == 0 { Vec::new() } else { vec![i as u32] },
                depth: usize::from(i > 0),
                children: if i == 0 {
                    (1..texts.len()).collect()
                } else {
                    Vec::new()
                },
                text: text.to_string(),
                toc_links: Default::default(),
                title: None,
                page_title: None,
                line_map: None,
            }
        })
        .collect();
    // A root that does not exist and a closed fence: no file of a book is read.
    let root = std::env::temp_dir()
        .join("d2lbook-front-end")
        .join("no-such-book");
    let book = Book {
        root,
        config,
        sections,
        fence: crate::fence::Fence::closed(),
        marks: Vec::new(),
    };
    let mut docs = parse_sections(&book, &diags, &mut ParseMemo::default());
    let words = words(&book, &diags);
    let (resolution, resolve_diags) = resolve::resolve(&book, &mut docs, &words);
    diags.extend(resolve_diags);
    let mut cache = MathCache::open(&book.root.join("math.json"));
    let math = if katex {
        let keys = collect_math(
            &docs,
            resolution.bibliography.as_deref().unwrap_or_default(),
        );
        cache.render_missing(&keys, book.config.html.math);
        cache.rendered(keys, book.config.html.math)
    } else {
        std::collections::HashMap::new()
    };
    let ctx = RenderContext {
        book: &book,
        docs: &docs,
        resolution: &resolution,
        words: &words,
    };
    let (files, render_diags) = site::render(
        &Site {
            ctx: &ctx,
            math: &math,
            theme: &theme::SiteTheme::default(),
            downloads: &site::Downloads::default(),
        },
        &mut site::RenderMemo::default(),
    );
    diags.extend(render_diags);
    let pages = files
        .map(|f| f.files)
        .unwrap_or_default()
        .into_iter()
        .filter(|(path, _)| path.ends_with(".html"))
        .filter_map(|(_, content)| match content {
            output::Content::Bytes(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            output::Content::Copy(_) => None,
        })
        .collect();
    let typst = crate::render::typst::markup(&ctx);
    diags.extend(typst.diags);
    FrontEnd {
        pages,
        typst: typst.main,
        diagnostics: diags.take_sorted(),
    }
}

/// How many blocks of the book `is_counted` picks.
fn count_blocks(docs: &[Doc], is_counted: impl Fn(&Block) -> bool) -> usize {
    let mut n = 0;
    for doc in docs {
        for_each_block(&doc.blocks, &mut |b| n += usize::from(is_counted(b)));
    }
    n
}

/// Prints the diagnostics and the summary; decides failure.
fn finish(options: &Options, strict: bool, diags: &Diagnostics, summary: &str) -> Outcome {
    let (text, outcome) = report(options, strict, diags, summary);
    eprint!("{text}");
    outcome
}

/// The diagnostics and the closing line, as `finish` prints them; and whether they fail.
pub(crate) fn report(
    options: &Options,
    strict: bool,
    diags: &Diagnostics,
    summary: &str,
) -> (String, Outcome) {
    use std::fmt::Write as _;
    let diagnostics = diags.take_sorted();
    let count = |level| diagnostics.iter().filter(|d| d.level == level).count();
    let (errors, warnings) = (count(Level::Error), count(Level::Warning));
    let failed = errors > 0 || (strict && warnings > 0);
    let mut text = render_all(&diagnostics, &options.root);
    if failed {
        let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let mut counts = Vec::new();
        if errors > 0 {
            counts.push(count(errors, "error"));
        }
        if warnings > 0 {
            counts.push(count(warnings, "warning"));
        }
        let mut line = format!("error: build failed with {}", counts.join(" and "));
        if strict && warnings > 0 {
            line.push_str(" (--strict: warnings are errors)");
        }
        let _ = writeln!(text, "{line}; the previous output is left as it was");
    } else if !options.quiet && !summary.is_empty() {
        if warnings > 0 {
            let _ = writeln!(
                text,
                "warning: {warnings} warning{}",
                if warnings == 1 { "" } else { "s" }
            );
        }
        let _ = writeln!(text, "{summary}");
    }
    (text, Outcome { failed })
}

fn display(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
