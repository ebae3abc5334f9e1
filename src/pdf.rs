//! The PDF: the book's Typst source (from `render::typst`) compiled in-process by `typst`
//! and exported by `typst-pdf`. The World here is the only door to files and fonts: it
//! serves the generated source, the two templates, the book's images and `.bib` (read
//! lazily from disk), the embedded fonts of `typst-assets` and the system's fonts (scanned
//! once per process; a font's bytes are read only when a page uses it).
//!
//! Typst's diagnostics are mapped back to the chapter file through the generated line map.
//! Math that fails to compile is replaced by its LaTeX source and the book is compiled
//! again, so one broken formula never costs the PDF.

use crate::diag::Diagnostic;
use crate::doc::Span as SourceSpan;
use crate::fence::Fence;
use crate::render::html::Site;
use crate::render::typst::{self as gen, Generated, Options};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook, FontInfo};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};

/// How many times a book is compiled at most while broken math is taken out.
const MAX_ROUNDS: usize = 4;

/// Renders the book to PDF bytes. `keep_typ`: also write the generated Typst source there
/// (with the templates beside it, in `_d2lbook/`). No PDF when an error remains.
pub fn render_pdf(site: &Site, keep_typ: Option<&Path>) -> (Option<Vec<u8>>, Vec<Diagnostic>) {
    let (compiled, mut diags) = compile(site, keep_typ);
    let Some(compiled) = compiled else {
        return (None, diags);
    };
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(site.book.config.book.title.clone()),
        creator: Smart::Custom(Some(format!("d2lbook {}", env!("CARGO_PKG_VERSION")))),
        ..Default::default()
    };
    match typst_pdf::pdf(&compiled.document, &options) {
        Ok(bytes) => {
            let failed = diags.iter().any(|d| d.level == crate::diag::Level::Error);
            (if failed { None } else { Some(bytes) }, diags)
        }
        Err(errors) => {
            for error in errors.iter() {
                diags.push(map_diagnostic(&compiled.world, &compiled.generated, error));
            }
            (None, diags)
        }
    }
}

/// A laid-out book and what it was made from.
pub struct Compiled {
    pub document: typst_layout::PagedDocument,
    pub generated: Generated,
    world: BookWorld,
}

/// Generates and compiles the book; math that Typst rejects is shown as source and the
/// book compiled again (a few rounds at most). `None` when errors remain.
pub fn compile(site: &Site, keep_typ: Option<&Path>) -> (Option<Compiled>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let book = site.book;
    let fonts = fonts_for(&font_dirs(&book.root, &book.config.pdf.font_paths));
    check_fonts(site, &fonts, &mut diags);

    let templates = [
        ("templates/book.typ", gen::BOOK_TEMPLATE),
        ("templates/math.typ", gen::MATH_TEMPLATE),
    ]
    .map(|(path, embedded)| read_override(&book.fence, &book.root.join(path), embedded));
    let [book_template, math_template] = match templates {
        [Ok(b), Ok(m)] => [b, m],
        [b, m] => {
            diags.extend(b.err());
            diags.extend(m.err());
            return (None, diags);
        }
    };

    let mut options = Options {
        families: Some(
            fonts
                .book
                .families()
                .map(|(name, _)| name.to_lowercase())
                .collect(),
        ),
        ..Options::default()
    };
    // Formulas that Typst rejects are found on a document of the math alone, cheaply,
    // rather than by compiling the whole book once per broken formula.
    let first = gen::markup_with(site, &options);
    check_math(&first, &math_template, &fonts, &mut options);

    let mut round = 0;
    loop {
        round += 1;
        let generated = if round == 1 && options.fallback.is_empty() {
            first.clone()
        } else {
            gen::markup_with(site, &options)
        };
        let world = BookWorld::new(&generated, &book_template, &math_template, fonts.clone());
        let result = typst::compile::<typst_layout::PagedDocument>(&world);
        // Errors inside (or called from) a formula: show that formula as source, again.
        let mut new_fallbacks = 0;
        if let (Err(errors), true) = (&result.output, round < MAX_ROUNDS) {
            for error in errors.iter() {
                for id in failing_math(&world, &generated, error) {
                    if let std::collections::hash_map::Entry::Vacant(e) = options.fallback.entry(id)
                    {
                        e.insert(format!(
                            "Typst cannot typeset the converted formula: {}",
                            error.message
                        ));
                        new_fallbacks += 1;
                    }
                }
            }
        }
        if new_fallbacks > 0 {
            continue;
        }

        if let Some(path) = keep_typ {
            if let Err(e) = keep_sources(path, &generated, &book_template, &math_template) {
                diags.push(Diagnostic::warning(format!(
                    "cannot write {}: {e}",
                    path.display()
                )));
            }
        }
        diags.extend(generated.diags.iter().cloned());
        for warning in result.warnings.iter() {
            diags.push(map_diagnostic(&world, &generated, warning));
        }
        // Drop memoised results older than a few compiles (matters in long runs: serve).
        typst::comemo::evict(10);
        return match result.output {
            Ok(document) => (
                Some(Compiled {
                    document,
                    generated,
                    world,
                }),
                diags,
            ),
            Err(errors) => {
                for error in errors.iter() {
                    diags.push(map_diagnostic(&world, &generated, error));
                }
                (None, diags)
            }
        };
    }
}

/// The PDF's file name without extension: the title when it is plain ASCII
/// (`Dive into Deep Learning` → `dive-into-deep-learning`), else `book`.
pub fn output_name(book: &crate::book::Book) -> String {
    let title = &book.config.book.title;
    if title.is_ascii() {
        let slug: Vec<String> = title
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        if !slug.is_empty() {
            return slug.join("-");
        }
    }
    // A title without ASCII words (the Japanese sample) gives a fixed name, not one that
    // depends on where the book was cloned.
    "book".to_string()
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into place: a reader
/// never sees half a PDF, and a failed write leaves the previous one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Compiles every distinct formula of `generated` in a document of its own; the ones
/// Typst rejects go into `options.fallback` (shown as source in the book).
fn check_math(
    generated: &Generated,
    math_template: &str,
    fonts: &Arc<Fonts>,
    options: &mut Options,
) {
    let mut formulas: Vec<(String, Vec<usize>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for site in &generated.maths {
        let text = &generated.main[site.range.clone()];
        match index.get(text) {
            Some(&i) => formulas[i].1.push(site.id),
            None => {
                index.insert(text, formulas.len());
                formulas.push((text.to_string(), vec![site.id]));
            }
        }
    }
    // Evaluation stops at the first error: take that formula out and go again.
    for _ in 0..200 {
        if formulas.is_empty() {
            return;
        }
        let culprits =
            compile_formulas(formulas.iter().map(|f| f.0.as_str()), math_template, fonts);
        if culprits.is_empty() {
            return;
        }
        let mut lines: Vec<usize> = culprits.iter().map(|c| c.0).collect();
        lines.sort_unstable();
        lines.dedup();
        for (line, message) in &culprits {
            for id in &formulas[*line].1 {
                options.fallback.entry(*id).or_insert_with(|| {
                    format!("Typst cannot typeset the converted formula: {message}")
                });
            }
        }
        for line in lines.into_iter().rev() {
            formulas.remove(line);
        }
    }
}

/// Compiles the equations (`$…$` each) in one document with the math scope; returns the
/// errors and warnings as (index of the equation, message). What cannot be placed on one
/// equation is left out (the book's own compile reports it).
fn compile_formulas<'a>(
    equations: impl Iterator<Item = &'a str>,
    math_template: &str,
    fonts: &Arc<Fonts>,
) -> Vec<(usize, String)> {
    let mut main = format!("#import {}: *\n", gen::string(gen::MATH_PATH));
    let mut count = 0;
    for eq in equations {
        main.push_str("#block(");
        main.push_str(eq);
        main.push_str(")\n");
        count += 1;
    }
    let generated = Generated {
        main,
        ..Generated::default()
    };
    let world = BookWorld::new(&generated, gen::BOOK_TEMPLATE, math_template, fonts.clone());
    let result = typst::compile::<typst_layout::PagedDocument>(&world);
    let errors = result
        .output
        .as_ref()
        .err()
        .map(|e| e.to_vec())
        .unwrap_or_default();
    let mut culprits = Vec::new();
    for d in errors.iter().chain(result.warnings.iter()) {
        // The innermost place in this document: the equation's line.
        let mut spans = vec![d.span];
        spans.extend(
            d.trace
                .iter()
                .map(|t| typst::syntax::DiagSpan::from(t.span)),
        );
        let line = spans
            .into_iter()
            .find(|s| s.id() == Some(world.main))
            .and_then(|s| world.range(s))
            .and_then(|r| world.sources[&world.main].lines().byte_to_line(r.start))
            .and_then(|l| l.checked_sub(1))
            .filter(|l| *l < count);
        if let Some(line) = line {
            culprits.push((line, d.message.to_string()));
        }
    }
    culprits
}

/// The ids of the math sites an error points into (itself or through its call trace).
fn failing_math(world: &BookWorld, generated: &Generated, error: &SourceDiagnostic) -> Vec<usize> {
    let mut positions = Vec::new();
    if error.span.id() == Some(world.main) {
        if let Some(range) = world.range(error.span) {
            positions.push(range.start);
        }
    }
    for point in error.trace.iter() {
        if point.span.id() == Some(world.main) {
            if let Some(range) = world.range(point.span) {
                positions.push(range.start);
            }
        }
    }
    let mut ids: Vec<usize> = positions
        .into_iter()
        .filter_map(|pos| {
            generated
                .maths
                .iter()
                .find(|m| m.range.contains(&pos))
                .map(|m| m.id)
        })
        .collect();
    ids.dedup();
    ids
}

/// A Typst diagnostic as ours: located in the chapter file when the generated line came
/// from one, else in the generated source (or the template).
fn map_diagnostic(world: &BookWorld, generated: &Generated, d: &SourceDiagnostic) -> Diagnostic {
    let mut message = format!("PDF: {}", d.message);
    // The innermost place in the generated source: the span itself, else the call trace.
    let mut spans = vec![d.span];
    spans.extend(
        d.trace
            .iter()
            .map(|t| typst::syntax::DiagSpan::from(t.span)),
    );
    let mut location: Option<SourceSpan> = None;
    let mut elsewhere: Option<String> = None;
    for span in spans {
        let Some(id) = span.id() else { continue };
        let Some(range) = world.range(span) else {
            continue;
        };
        if id == world.main {
            let source = &world.sources[&world.main];
            let line = source.lines().byte_to_line(range.start).unwrap_or(0);
            location = generated.lines.get(line).cloned().flatten();
            if location.is_none() {
                elsewhere = Some(format!("line {} of the generated Typst source", line + 1));
            }
            break;
        }
        if elsewhere.is_none() {
            if let Some(source) = world.sources.get(&id) {
                let line = source.lines().byte_to_line(range.start).unwrap_or(0);
                elsewhere = Some(format!("{}:{}", id.vpath().get_without_slash(), line + 1));
            } else if let Some(VirtualFile::Disk(path)) = world.files.get(&id) {
                // A file the book uses (an image that does not decode): name it, and
                // point at the first place that uses it.
                message.push_str(&format!(" (in {})", path.display()));
                let call = format!("({})", gen::string(id.vpath().get_with_slash()));
                if let Some(pos) = generated.main.find(&call) {
                    let line = generated.main[..pos].matches('\n').count();
                    location = generated.lines.get(line).cloned().flatten();
                }
                if location.is_some() {
                    break;
                }
            }
        }
    }
    if location.is_none() {
        if let Some(place) = &elsewhere {
            message.push_str(&format!(" (at {place})"));
        }
    }
    let mut out = match d.severity {
        Severity::Error => Diagnostic::error(message),
        Severity::Warning => Diagnostic::warning(message),
    };
    if let Some(span) = location {
        out = out.at(&span);
    }
    let hints: Vec<String> = d.hints.iter().map(|h| h.v.to_string()).collect();
    if !hints.is_empty() {
        out = out.help(hints.join("; "));
    }
    out
}

/// The book's own template at `path`, else the embedded one; read through the fence.
fn read_override(fence: &Fence, path: &Path, embedded: &str) -> Result<String, Diagnostic> {
    if path.symlink_metadata().is_err() {
        return Ok(embedded.to_string());
    }
    fence
        .read_to_string(path)
        .map_err(|why| Diagnostic::error(format!("cannot use {}: {why}", path.display())))
}

fn keep_sources(path: &Path, generated: &Generated, book: &str, math: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir.join("_d2lbook"))?;
    std::fs::write(path, &generated.main)?;
    std::fs::write(dir.join("_d2lbook/book.typ"), book)?;
    std::fs::write(dir.join("_d2lbook/math.typ"), math)
}

/// A warning when the book's language needs CJK fonts and none is installed.
fn check_fonts(site: &Site, fonts: &Fonts, diags: &mut Vec<Diagnostic>) {
    let language = &site.book.config.book.language;
    if let Some((serif, sans)) = gen::cjk_families(language) {
        let has_cjk = fonts
            .book
            .families()
            .any(|(name, _)| name.contains("CJK") || name == serif || name == sans);
        if !has_cjk {
            diags.push(
                Diagnostic::warning(format!(
                    "no CJK font found for the book's language '{language}': its text will be missing from the PDF"
                ))
                .help(format!(
                    "install Debian's package `fonts-noto-cjk` (for \"{serif}\"), or name a folder holding one in `[pdf] font_paths`"
                )),
            );
        }
    }
    for family in &site.book.config.pdf.fonts {
        if !fonts.book.contains_family(&family.to_lowercase()) {
            diags.push(
                Diagnostic::warning(format!("font '{family}' of `[pdf] fonts` is not installed"))
                    .help("add its folder to `[pdf] font_paths` in book.toml"),
            );
        }
    }
}

// ----- the World ----------------------------------------------------------------------

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

enum VirtualFile {
    Bytes(Bytes),
    Disk(PathBuf),
}

struct BookWorld {
    fonts: Arc<Fonts>,
    main: FileId,
    sources: HashMap<FileId, Source>,
    files: HashMap<FileId, VirtualFile>,
    loaded: Mutex<HashMap<FileId, FileResult<Bytes>>>,
    today: Option<Datetime>,
}

fn file_id(path: &str) -> Option<FileId> {
    Some(RootedPath::new(VirtualRoot::Project, VirtualPath::new(path).ok()?).intern())
}

impl BookWorld {
    fn new(
        generated: &Generated,
        book_template: &str,
        math_template: &str,
        fonts: Arc<Fonts>,
    ) -> Self {
        let main = file_id(gen::MAIN_PATH).expect("a valid path");
        let mut sources = HashMap::new();
        for (path, text) in [
            (gen::MAIN_PATH, generated.main.as_str()),
            (gen::BOOK_PATH, book_template),
            (gen::MATH_PATH, math_template),
        ] {
            let id = file_id(path).expect("a valid path");
            sources.insert(id, Source::new(id, text.to_string()));
        }
        let mut files = HashMap::new();
        for (path, file) in &generated.images {
            if let Some(id) = file_id(path) {
                files.insert(id, VirtualFile::Disk(file.clone()));
            }
        }
        for (path, bytes) in &generated.blobs {
            if let Some(id) = file_id(path) {
                files.insert(id, VirtualFile::Bytes(Bytes::new(bytes.clone())));
            }
        }
        BookWorld {
            fonts,
            main,
            sources,
            files,
            loaded: Mutex::new(HashMap::new()),
            today: today(),
        }
    }
}

impl World for BookWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        match self.sources.get(&id) {
            Some(source) => Ok(source.clone()),
            None if self.files.contains_key(&id) => Err(FileError::NotSource),
            None => Err(FileError::NotFound(PathBuf::from(
                id.vpath().get_with_slash(),
            ))),
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if let Some(source) = self.sources.get(&id) {
            return Ok(Bytes::from_string(source.clone()));
        }
        let Some(file) = self.files.get(&id) else {
            return Err(FileError::NotFound(PathBuf::from(
                id.vpath().get_with_slash(),
            )));
        };
        match file {
            VirtualFile::Bytes(bytes) => Ok(bytes.clone()),
            VirtualFile::Disk(path) => {
                let mut loaded = self.loaded.lock().unwrap();
                loaded
                    .entry(id)
                    .or_insert_with(|| {
                        std::fs::read(path)
                            .map(Bytes::new)
                            .map_err(|e| FileError::from_io(e, path))
                    })
                    .clone()
            }
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.font(index)
    }

    fn today(&self, offset: Option<Duration>) -> Option<Datetime> {
        let _ = offset;
        self.today
    }
}

/// Today's date (UTC) from the system clock.
fn today() -> Option<Datetime> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let days = (secs / 86_400) as i64;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    Datetime::from_ymd(year, month, day)
}

// ----- fonts --------------------------------------------------------------------------

/// The fonts a World can use: metadata of all, bytes loaded on first use.
pub struct Fonts {
    book: LazyHash<FontBook>,
    slots: Vec<FontSlot>,
    files: Vec<FontFile>,
}

struct FontSlot {
    /// Index into `Fonts::files`, or `None` for an embedded font (already loaded).
    file: Option<usize>,
    index: u32,
    font: OnceLock<Option<Font>>,
}

struct FontFile {
    path: PathBuf,
    bytes: OnceLock<Option<Bytes>>,
}

impl Fonts {
    fn font(&self, index: usize) -> Option<Font> {
        let slot = self.slots.get(index)?;
        slot.font
            .get_or_init(|| {
                let file = &self.files[slot.file?];
                let bytes = file
                    .bytes
                    .get_or_init(|| std::fs::read(&file.path).ok().map(Bytes::new))
                    .clone()?;
                Font::new(bytes, slot.index)
            })
            .clone()
    }

    /// The family names known (for tests and messages).
    pub fn families(&self) -> Vec<String> {
        self.book
            .families()
            .map(|(name, _)| name.to_string())
            .collect()
    }
}

/// The folders scanned for fonts: the system's, then `[pdf] font_paths` (relative to the root).
fn font_dirs(root: &Path, extra: &[String]) -> Vec<PathBuf> {
    let mut dirs = vec![
        PathBuf::from("/usr/share/fonts"),
        PathBuf::from("/usr/local/share/fonts"),
    ];
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".local/share/fonts"));
        dirs.push(Path::new(&home).join(".fonts"));
    }
    dirs.extend(extra.iter().map(|p| root.join(p)));
    dirs
}

/// The fonts of these folders and typst-assets, scanned once per process for each set.
pub fn fonts_for(dirs: &[PathBuf]) -> Arc<Fonts> {
    static CACHE: Mutex<Vec<(Vec<PathBuf>, Arc<Fonts>)>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap();
    if let Some((_, fonts)) = cache.iter().find(|(d, _)| d == dirs) {
        return fonts.clone();
    }
    let fonts = Arc::new(scan_fonts(dirs));
    cache.push((dirs.to_vec(), fonts.clone()));
    fonts
}

fn scan_fonts(dirs: &[PathBuf]) -> Fonts {
    let mut infos = Vec::new();
    let mut slots = Vec::new();
    let mut files = Vec::new();
    for data in typst_assets::fonts() {
        for font in Font::iter(Bytes::new(data)) {
            infos.push(font.info().clone());
            slots.push(FontSlot {
                file: None,
                index: font.index(),
                font: OnceLock::from(Some(font)),
            });
        }
    }
    let mut paths = Vec::new();
    for dir in dirs {
        for entry in walkdir::WalkDir::new(dir)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            let path = entry.path();
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            if entry.file_type().is_file() && matches!(ext.as_str(), "ttf" | "otf" | "ttc" | "otc")
            {
                paths.push(path.to_path_buf());
            }
        }
    }
    // Reading metadata needs each file once; do it in parallel, then drop the bytes.
    use rayon::prelude::*;
    let scanned: Vec<(PathBuf, Vec<(u32, FontInfo)>)> = paths
        .into_par_iter()
        .map(|path| {
            let faces = match std::fs::read(&path) {
                Ok(data) => {
                    let count = if data.starts_with(b"ttcf") && data.len() >= 12 {
                        u32::from_be_bytes([data[8], data[9], data[10], data[11]]).min(256)
                    } else {
                        1
                    };
                    (0..count)
                        .filter_map(|i| FontInfo::new(&data, i).map(|info| (i, info)))
                        .collect()
                }
                Err(_) => Vec::new(),
            };
            (path, faces)
        })
        .collect();
    for (path, faces) in scanned {
        if faces.is_empty() {
            continue;
        }
        let file = files.len();
        files.push(FontFile {
            path,
            bytes: OnceLock::new(),
        });
        for (index, info) in faces {
            infos.push(info);
            slots.push(FontSlot {
                file: Some(file),
                index,
                font: OnceLock::new(),
            });
        }
    }
    Fonts {
        book: LazyHash::new(FontBook::from_infos(infos)),
        slots,
        files,
    }
}

/// Helpers for tests here and in `render::typst`: a book loaded, parsed and resolved the
/// way `build` does it, and the text of a laid-out document.
#[cfg(test)]
pub(crate) mod testing {
    use crate::book::Book;
    use crate::diag::Diagnostic;
    use crate::doc::Doc;
    use crate::i18n::Words;
    use crate::render::html::Site;
    use crate::render::math::{MathKey, Rendered};
    use crate::resolve::Resolution;
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use typst::layout::{Frame, FrameItem};

    pub struct Loaded {
        pub book: Book,
        pub docs: Vec<Doc>,
        pub resolution: Resolution,
        pub words: Words,
        pub math: HashMap<MathKey, Rendered>,
        pub diags: Vec<Diagnostic>,
    }

    impl Loaded {
        pub fn site(&self) -> Site<'_> {
            Site {
                book: &self.book,
                docs: &self.docs,
                resolution: &self.resolution,
                math: &self.math,
                words: &self.words,
            }
        }
    }

    pub fn load(root: &Path) -> Loaded {
        let (book, mut diags) = Book::load(root)
            .map_err(|d| d.message)
            .expect("the book loads");
        let src_dir = book.src_dir();
        let mut docs = Vec::new();
        for section in &book.sections {
            let dir = src_dir.join(&section.src);
            let dir = dir.parent().unwrap_or(&src_dir).to_path_buf();
            let (doc, d) = if section.src.ends_with(".ipynb") {
                crate::parse::parse_notebook(&section.text, &section.file, &dir, &book.fence)
            } else {
                crate::parse::parse_markdown(&section.text, &section.file, &dir, &book.fence)
            };
            diags.extend(d);
            docs.push(doc);
        }
        let (words, _) = Words::new(&book.config.book.language, &book.config.labels);
        let (resolution, d) = crate::resolve::resolve(&book, &mut docs, &words);
        diags.extend(d);
        Loaded {
            book,
            docs,
            resolution,
            words,
            math: HashMap::new(),
            diags,
        }
    }

    /// A fresh folder holding `files` (path, content).
    pub fn book_dir(name: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("d2lbook-pdf-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, content) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        dir
    }

    /// The text of every page, pages separated by a form feed.
    pub fn document_text(doc: &typst_layout::PagedDocument) -> String {
        fn walk(frame: &Frame, out: &mut String) {
            for (_, item) in frame.items() {
                match item {
                    FrameItem::Group(g) => walk(&g.frame, out),
                    FrameItem::Text(t) => {
                        out.push_str(&t.text);
                        out.push(' ');
                    }
                    _ => {}
                }
            }
        }
        let mut out = String::new();
        for page in doc.pages() {
            walk(&page.frame, &mut out);
            out.push('\u{c}');
        }
        out
    }

    pub const BIB: &str = r#"
@Book{Bishop.2006,
  Author = {Bishop, Christopher M.},
  title = {Pattern Recognition and Machine Learning},
  publisher = {Springer}, year = {2006}}
@inproceedings{He.Zhang.Ren.ea.2016*1,
  author = {He, Kaiming and Zhang, Xiangyu and Ren, Shaoqing and Sun, Jian},
  title = {Identity mappings in deep residual networks},
  booktitle = {ECCV}, year = {2016}}
"#;

    pub const SVG: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="600" height="200" viewBox="0 0 600 200"><rect x="10" y="10" width="580" height="180" fill="steelblue"/></svg>"#;

    /// A small English book: a chapter with a figure, an equation, references, a code
    /// cell, a table, and a references page.
    pub fn tiny_book(name: &str, chapter: &str) -> PathBuf {
        book_dir(
            name,
            &[
                ("book.toml", "[book]\ntitle = \"Tiny #Book\"\nauthors = [\"A. Author\"]\nrelease = \"0.1\"\nbibliography = \"refs.bib\"\n"),
                ("index.md", "# Tiny\n\nThe intro.\n\n```toc\n:numbered:\n\nch1\n```\n\n```toc\n:maxdepth: 1\n\nrefs\n```\n"),
                ("ch1.md", chapter),
                ("refs.md", "# References\n\n:bibliography:`refs.bib`\n"),
                ("refs.bib", BIB),
                ("img/fig.svg", SVG),
            ],
        )
    }

    pub const CHAPTER: &str = r#"# Chapter One
:label:`sec_one`

Literal #let x = 1 and \$5 and * and a < b > c and `raw` and @key and [x] and "quotes" and \\ and // no comment.

See :numref:`fig_one`, :eqref:`eq_one`, :numref:`tab_one`, :numref:`sec_two` and :ref:`sec_one`, as in :cite:`Bishop.2006,He.Zhang.Ren.ea.2016*1` and :citet:`Bishop.2006`.

![A *figure* with $x^2$](img/fig.svg)
:width:`400px`
:label:`fig_one`

$$\hat{y} = \mathbf{w}^\top \mathbf{x} + b.$$
:eqlabel:`eq_one`

## Two
:label:`sec_two`

:Ops
:label:`tab_one`

| a | b |
|:-|-:|
| $x$ | 2 |

```{.rust .input}
let x = 1;
x
```

- item with $\alpha$
- item two
"#;
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn tiny_book_to_pdf() {
        let dir = tiny_book("e2e", CHAPTER);
        let loaded = load(&dir);
        assert!(loaded.diags.is_empty(), "{:?}", loaded.diags);
        let site = loaded.site();
        let (compiled, diags) = compile(&site, None);
        let errors: Vec<_> = diags
            .iter()
            .filter(|d| d.level == crate::diag::Level::Error)
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        let compiled = compiled.expect("a document");
        let text = document_text(&compiled.document);
        for expected in [
            "#let x = 1",
            "$5",
            "a < b > c",
            "@key",
            "[x]",
            "// no comment",
            "Fig.",
            "1.1",
            "(1.1)",
            "Table",
            "Bishop",
            "2006",
            "Chapter One",
            "Pattern Recognition",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        let (pdf, diags) = render_pdf(&site, None);
        let pdf = pdf.unwrap_or_else(|| panic!("no PDF: {diags:#?}"));
        assert!(pdf.starts_with(b"%PDF"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn broken_math_becomes_source_with_a_located_warning() {
        // `\set` converts (mitex knows it) but cannot compile: `set` is a Typst keyword.
        let chapter = "# One\n\nFine $x$ and broken $\\binom{n}$ and $\\frac{a}{b}$.\n\n$$\\unknowncommand{x}$$\n";
        let dir = tiny_book("broken-math", chapter);
        let loaded = load(&dir);
        let site = loaded.site();
        let (pdf, diags) = render_pdf(&site, None);
        assert!(pdf.is_some(), "{diags:#?}");
        let math: Vec<_> = diags
            .iter()
            .filter(|d| d.message.contains("math error"))
            .collect();
        assert_eq!(math.len(), 2, "{diags:#?}");
        // One is refused by mitex, the other converts but fails in Typst and is taken out.
        assert!(
            math.iter()
                .any(|d| d.message.contains("Typst cannot typeset")),
            "{math:#?}"
        );
        assert!(
            math.iter().any(|d| d.message.contains("unknown command")),
            "{math:#?}"
        );
        for d in &math {
            let span = d.span.as_ref().expect("located");
            assert_eq!(&*span.file, "ch1.md");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn typst_errors_point_at_the_chapter() {
        let dir = tiny_book("errors", "# One\n\n![missing](img/nothere.svg)\n");
        let loaded = load(&dir);
        let (pdf, diags) = render_pdf(&loaded.site(), None);
        assert!(pdf.is_none());
        let d = diags
            .iter()
            .find(|d| d.message.contains("missing image"))
            .expect("an error");
        assert_eq!(d.span.as_ref().map(|s| s.line), Some(3));
        let _ = std::fs::remove_dir_all(&dir);

        // An error Typst finds (an image it cannot decode), at the figure's line.
        let dir = tiny_book("typst-error", "# One\n\nText.\n\n![broken](img/bad.svg)\n");
        std::fs::write(dir.join("img/bad.svg"), "this is not an svg").unwrap();
        let loaded = load(&dir);
        let (pdf, diags) = render_pdf(&loaded.site(), None);
        assert!(pdf.is_none());
        let d = diags
            .iter()
            .find(|d| d.message.starts_with("PDF:"))
            .unwrap_or_else(|| panic!("{diags:#?}"));
        let span = d.span.as_ref().unwrap_or_else(|| panic!("{d:#?}"));
        assert_eq!((&*span.file, span.line), ("ch1.md", 5), "{d:#?}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_cjk_book_without_cjk_fonts_is_warned_about() {
        let dir = tiny_book("cjk-fonts", "# 一\n\n日本語。\n");
        let toml = std::fs::read_to_string(dir.join("book.toml")).unwrap();
        std::fs::write(
            dir.join("book.toml"),
            toml.replace("[book]\n", "[book]\nlanguage = \"ja\"\n"),
        )
        .unwrap();
        let loaded = load(&dir);
        let mut diags = Vec::new();
        check_fonts(&loaded.site(), &scan_fonts(&[]), &mut diags);
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert!(diags[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("fonts-noto-cjk"));
        let _ = std::fs::remove_dir_all(dir);
    }

    /// One formula per LaTeX command that docs/math-notes.md lists as supported
    /// (its §3 table and the commands behind every definition of §4), plus SYNTAX.md's.
    const FORMULAS: &[&str] = &[
        // docs/math-notes.md §3
        r"\mathbf{w}",
        r"\mathbf x",
        r"\mathbb{R}^{n}",
        r"\mathcal{L}",
        r"\boldsymbol{\theta}",
        r"\|\mathbf{x}\|_2",
        r"\sum_{i=1}^n x_i",
        r"\prod_i x_i",
        r"\int_0^1 f(x)\,dx",
        r"\frac{a}{b}",
        r"\sqrt{x}",
        r"\sqrt[3]{x}",
        r"\begin{bmatrix}a & b\\ c & d\end{bmatrix}",
        r"\begin{pmatrix}a & b\\ c & d\end{pmatrix}",
        r"\begin{cases} 1 & x>0\\ 0 & \text{otherwise}\end{cases}",
        r"\begin{aligned} a &= b \\ &= c \end{aligned}",
        r"\operatorname*{argmin}_{\mathbf{w}} f",
        r"\operatorname{softmax}(x)",
        r"\stackrel{\mathrm{def}}{=}",
        r"{n \choose k}",
        r"\textrm{abc}",
        r"\text{if } x",
        r"\partial f",
        r"\nabla f",
        r"\mathbf{x}^\top",
        r"\hat{y}",
        r"\bar{x}",
        r"\tilde{x}",
        r"\left(\frac{1}{2}\right)",
        r"\exp(x)",
        r"\log x",
        r"\max_i x_i",
        r"\mathrm{d}x",
        r"a \cdot b",
        r"a \times b",
        r"a \leq b",
        r"a \approx b",
        r"x \in A",
        r"a \mid b",
        r"x_1, \ldots, x_n",
        r"x_1 + \cdots + x_n",
        r"\infty",
        r"a \quad b",
        r"a\,b",
        r"\$5",
        // SYNTAX.md
        r"\text{for $x$}",
        r"\operatorname*{arg\,max}_x f",
        r"|x|",
        r"\left| x \right|",
        r"x \mapsto y",
        // §4 symbols renamed or removed in typst 0.15
        r"\mho",
        r"A \Join B",
        r"A \cap B",
        r"A \Cap B",
        r"\bigcap_i A_i",
        r"A \sqcap B",
        r"a \odot b",
        r"\bigodot_i a_i",
        r"a \oplus b",
        r"\bigoplus_i a_i",
        r"a \otimes b",
        r"\bigotimes_i a_i",
        r"a \ominus b",
        r"a \circledast b",
        r"a \circledcirc b",
        r"a \circleddash b",
        r"\hbar",
        r"\hslash",
        r"\langle x, y \rangle",
        r"\llbracket x \rrbracket",
        r"a \dashleftarrow b",
        r"a \dashrightarrow b",
        r"A \vartriangleleft B",
        r"A \unlhd B",
        r"A \vartriangleright B",
        r"A \unrhd B",
        r"A \vDash B",
        r"A \nvDash B",
        // §4 fonts and text
        r"\mathsf{A}",
        r"{\bf x} y",
        r"{\rm d} x",
        r"{\it x}",
        r"{\cal L}",
        r"\mathfrak{g}",
        r"{\sf x}",
        r"{\tt x}",
        r"\mathtt{x}",
        r"\mathit{x}",
        r"\displaystyle \sum_i x_i",
        r"\textstyle \sum_i x_i",
        r"\scriptstyle x",
        r"\scriptscriptstyle x",
        r"{\color{red} x} y",
        r"\textcolor{blue}{x}",
        r"\colorbox{yellow}{x}",
        r"\textup{a}",
        r"\textnormal{a}",
        r"\textmd{a}",
        r"\textbf{a}",
        r"\textit{a}",
        r"\textsf{a}",
        r"\texttt{a}",
        r"\ref{x}",
        r"\cite{x}",
        r"x \tag{1}",
        r"\TeX",
        r"\LaTeX",
        r"\KaTeX",
        r"\varGamma",
        r"\varDelta",
        r"\varTheta",
        r"\varLambda",
        r"\varXi",
        r"\varPi",
        r"\varSigma",
        r"\varUpsilon",
        r"\varPhi",
        r"\varPsi",
        r"\varOmega",
        // §4 operators and classes
        r"\argmin_x f",
        r"\argmax_x f",
        r"\injlim",
        r"\projlim",
        r"\plim",
        r"\arcctg x",
        r"\arctg x",
        r"\cosec x",
        r"\cotg x",
        r"\cth x",
        r"\ch x",
        r"\sh x",
        r"\th x",
        r"a \pmod{n}",
        r"a \pod{n}",
        r"\smallint f",
        r"a \thickapprox b",
        r"a \thicksim b",
        r"\mathord{+}",
        r"\mathop{T}",
        r"a \mathbin{:} b",
        r"a \mathrel{:} b",
        r"\mathopen{[} x \mathclose{]}",
        r"a \mathpunct{;} b",
        r"\mathinner{x}",
        // §4 structures
        r"\dfrac{a}{b}",
        r"\tfrac{a}{b}",
        r"\cfrac{a}{b}",
        r"\dbinom{n}{k}",
        r"\tbinom{n}{k}",
        r"{a \atop b}",
        r"{n \brack k}",
        r"{n \brace k}",
        r"\overset{!}{=}",
        r"\underset{x}{\max}",
        r"\overbrace{a+b}^{n}",
        r"\underbrace{a+b}_{n}",
        r"\overbracket{a+b}",
        r"\underbracket{a+b}",
        r"\overgroup{ab}",
        r"\undergroup{ab}",
        r"\overlinesegment{AB}",
        r"\underbar{x}",
        r"\mathring{A}",
        r"\overleftharpoon{x}",
        r"\overrightharpoon{x}",
        r"\overleftrightarrow{AB}",
        r"A \xrightarrow{f} B",
        r"A \xleftarrow{f} B",
        r"A \xleftrightarrow{f} B",
        r"A \xRightarrow{f} B",
        r"A \xLeftarrow{f} B",
        r"A \xLeftrightarrow{f} B",
        r"A \xhookleftarrow{f} B",
        r"A \xhookrightarrow{f} B",
        r"A \xtwoheadleftarrow{f} B",
        r"A \xtwoheadrightarrow{f} B",
        r"A \xmapsto{f} B",
        r"A \xlongequal{f} B",
        r"A \xleftharpoonup{f} B",
        r"A \xleftharpoondown{f} B",
        r"A \xrightharpoonup{f} B",
        r"A \xrightharpoondown{f} B",
        r"A \xleftrightharpoons{f} B",
        r"A \xrightleftharpoons{f} B",
        r"A \xtofrom{f} B",
        r"\sum_{\substack{i < n \\ j < m}} a_{ij}",
        // §4 delimiters
        r"\big( x \big)",
        r"\Big( x \Big)",
        r"\bigg( x \bigg)",
        r"\Bigg( x \Bigg)",
        r"\bigl[ x \bigr]",
        r"\left( x \middle| y \right)",
        r"\bra{x}",
        r"\ket{x}",
        r"\braket{x}",
        r"\Bra{x}",
        r"\Ket{x}",
        r"\Braket{x}",
        r"\Set{x}",
        r"\left\{ x \right.",
        // §4 spacing, boxes, cancel
        r"a \! b",
        r"a \negmedspace b",
        r"a \negthickspace b",
        r"a \enspace b",
        r"a \hspace{1em} b",
        r"a \vspace{1em} b",
        r"\phantom{x} y",
        r"\hphantom{x} y",
        r"\vphantom{x} y",
        r"\mathclap{x}",
        r"\boxed{x = 1}",
        r"\fbox{x}",
        r"\hbox{x}",
        r"\raisebox{2pt}{x}",
        r"\cancel{x}",
        r"\bcancel{x}",
        r"\xcancel{x}",
        r"\sout{x}",
        // §4 environments
        r"\begin{alignedat}{2} a &= b & c &= d \\ e &= f & g &= h \end{alignedat}",
        r"\begin{align} a &= b \\ c &= d \end{align}",
        r"\begin{align*} a &= b \\ c &= d \end{align*}",
        r"\begin{equation} a = b \end{equation}",
        r"\begin{gather} a = b \\ c = d \end{gather}",
        r"\begin{gathered} a = b \\ c = d \end{gathered}",
        r"\begin{split} a &= b \\ &= c \end{split}",
        r"\begin{matrix} a & b \\ c & d \end{matrix}",
        r"\begin{Bmatrix} a & b \\ c & d \end{Bmatrix}",
        r"\begin{vmatrix} a & b \\ c & d \end{vmatrix}",
        r"\begin{Vmatrix} a & b \\ c & d \end{Vmatrix}",
        r"\begin{smallmatrix} a & b \\ c & d \end{smallmatrix}",
        r"\begin{array}{c|cl} a & b & c \\ d & e & f \end{array}",
        r"\sum_{\begin{subarray}{l} i < n \\ j < m \end{subarray}} a_{ij}",
        r"\begin{rcases} a & x > 0 \\ b & x \le 0 \end{rcases}",
        r"f(x) = \begin{aligned} a &= b \\ &= c \end{aligned}",
        // d2l-style formulas
        r"\mathbb{E}_{x \sim P}[f(x)]",
        r"\frac{\mathrm{d}}{\mathrm{d}x} f(x)",
        r"\lim_{h \rightarrow 0} \frac{f(x+h) - f(x)}{h}",
        r"\left\| \mathbf{x} \right\|_2",
        r"\Vert \mathbf{x} \Vert",
        r"\vert x \vert",
        r"\widehat{\mathbf{y}}",
        r"\mathcal{N}(\mu, \sigma^2)",
        r"\exp\left(-\frac{1}{2\sigma^2}(x-\mu)^2\right)",
        r"\mathbf{X} \in \mathbb{R}^{n \times d}",
        r"\mathbf{W}^{(1)}",
        r"\boldsymbol{\epsilon}",
        r"\mathrm{tr}(\mathbf{A})",
        r"\det \mathbf{A}",
        r"\begin{bmatrix} a_{11} & \cdots & a_{1n} \\ \vdots & \ddots & \vdots \\ a_{m1} & \cdots & a_{mn} \end{bmatrix}",
        r"\mathbf{x} \leftarrow \mathbf{x} - \eta \nabla f",
        r"p \propto q",
        r"\stackrel{\textrm{def}}{=}",
        r"\mathrm{softmax}(\mathbf{o})_j = \frac{\exp(o_j)}{\sum_k \exp(o_k)}",
        r"\mathbf{X}_{:,1}",
        r"\max_{\|\mathbf{x}\| = 1} \mathbf{x}^\top \mathbf{A} \mathbf{x}",
        r"x;\; y",
        r"\{1, 2\}",
        r"\_",
        // braket's \set (rewritten to \Set: `set` is a Typst keyword)
        r"\set{x \mid x > 0}",
        r"A \setminus B",
    ];

    #[test]
    fn every_listed_latex_command_typesets() {
        let mut failed = Vec::new();
        let mut formulas = Vec::new();
        for tex in FORMULAS {
            for display in [true, false] {
                match gen::convert_math(tex, display) {
                    Ok(eq) => formulas.push((*tex, eq)),
                    Err(e) => failed.push(format!("{tex} (display: {display}): {e}")),
                }
            }
        }
        let fonts = fonts_for(&[]);
        // Evaluation stops at the first error: take the failing formula out and go again.
        for _ in 0..50 {
            let culprits = compile_formulas(
                formulas.iter().map(|f| f.1.as_str()),
                gen::MATH_TEMPLATE,
                &fonts,
            );
            if culprits.is_empty() {
                break;
            }
            let mut lines = Vec::new();
            for (line, message) in culprits {
                failed.push(format!("{}: {message}", formulas[line].0));
                lines.push(line);
            }
            lines.sort_unstable();
            lines.dedup();
            for l in lines.into_iter().rev() {
                formulas.remove(l);
            }
        }
        assert!(
            failed.is_empty(),
            "{} formulas fail:\n{}",
            failed.len(),
            failed.join("\n")
        );
    }

    /// The formulas above with their LaTeX, written to /tmp/formulas.pdf to look at.
    #[test]
    #[ignore]
    fn formula_sheet() {
        let mut main = format!(
            "#import {}: *\n#set page(columns: 2, margin: 1cm)\n#set text(size: 9pt)\n",
            gen::string(gen::MATH_PATH)
        );
        for tex in FORMULAS {
            if let Ok(eq) = gen::convert_math(tex, true) {
                main.push_str(&format!(
                    "#block(breakable: false)[#text(size: 6pt, raw({}))\n{eq}]\n",
                    gen::string(tex)
                ));
            }
        }
        let generated = Generated {
            main,
            ..Generated::default()
        };
        let world = BookWorld::new(
            &generated,
            gen::BOOK_TEMPLATE,
            gen::MATH_TEMPLATE,
            fonts_for(&[]),
        );
        let document = typst::compile::<typst_layout::PagedDocument>(&world)
            .output
            .expect("compiles");
        let pdf = typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()).expect("exports");
        std::fs::write("/tmp/formulas.pdf", pdf).unwrap();
    }

    /// The sample book at the repository root, written to /tmp/sample.pdf (and .typ).
    #[test]
    #[ignore]
    fn sample_book() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut loaded = load(root);
        if std::env::var_os("D2L_EVAL").is_some() {
            let (_, d) = crate::eval::evaluate(&loaded.book, &mut loaded.docs, true);
            loaded.diags.extend(d);
            let (resolution, _) =
                crate::resolve::resolve(&loaded.book, &mut loaded.docs, &loaded.words);
            loaded.resolution = resolution;
        }
        if std::env::var_os("D2L_FAKE_OUTPUTS").is_some() {
            // Outputs of every kind, to look at without running the cells.
            let svg = std::fs::read_to_string(root.join("chapters/img/linreg.svg")).unwrap();
            for doc in &mut loaded.docs {
                crate::doc::visit_blocks_mut(&mut doc.blocks, &mut |b| {
                    if let crate::doc::Block::Code(c) = b {
                        if c.cell.is_some() && c.lang == "rust" && c.outputs.is_empty() {
                            c.outputs = vec![
                                crate::doc::Output::Stdout(format!(
                                    "x + y = [4.0, 6.0]\n{}\n",
                                    "a_very_long_output_line_without_spaces_".repeat(5)
                                )),
                                crate::doc::Output::Stderr("warning: 損失が大きい\n".into()),
                                crate::doc::Output::Tensor(crate::doc::Tensor {
                                    shape: vec![2, 2],
                                    dtype: "f32".into(),
                                    device: None,
                                    cells: ["1.0000", "2.0000", "3.0000", "4.0000"]
                                        .map(String::from)
                                        .to_vec(),
                                }),
                                crate::doc::Output::Data {
                                    mime: "image/svg+xml".into(),
                                    data: svg.clone(),
                                },
                                crate::doc::Output::Error(
                                    "error: panicked at chapters/x.md:12:5".into(),
                                ),
                                crate::doc::Output::Note("output cut at 1 MB".into()),
                            ];
                            c.code.push_str("\nlet a_very_long_line = Tensor::new(&[[1f32, 0.5], [0.0, 1.0], [2.0, -1.0], [1.5, 2.0], [7.0, 8.0]], &dev)?.matmul(&true_w)?.affine(1.0, true_b)?;");
                        }
                    }
                });
            }
        }
        let started = std::time::Instant::now();
        let (pdf, diags) = render_pdf(&loaded.site(), Some(Path::new("/tmp/sample.typ")));
        eprintln!("rendered in {:.2} s", started.elapsed().as_secs_f64());
        for d in loaded.diags.iter().chain(&diags) {
            eprint!("{}", d.render(None));
        }
        let pdf = pdf.expect("a PDF");
        std::fs::write("/tmp/sample.pdf", pdf).unwrap();
        assert!(diags.is_empty(), "{diags:#?}");
    }
}
