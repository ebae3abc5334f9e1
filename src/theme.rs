//! The book's own look, found at load: `templates/` that replace the embedded page and
//! Typst templates, the files of its `theme/` folder, `[html] logo` and `favicon`, and
//! KaTeX's assets. Every file is checked through the fence here, once; the backends take
//! what this found and never read the book's folder themselves.

use crate::book::Book;
use crate::config::MathOutput;
use crate::diag::Diagnostic;
use std::path::{Path, PathBuf};

/// What the site is made with besides the IR.
#[derive(Default)]
pub struct SiteTheme {
    /// `templates/page.html`, when the book has its own.
    pub page_template: Option<String>,
    /// The files of the book's `theme/` folder: (path under `theme/`, the checked file).
    pub files: Vec<(String, PathBuf)>,
    /// `[html] logo` and `favicon`: (file name, the checked file).
    pub logo: Option<(String, PathBuf)>,
    pub favicon: Option<(String, PathBuf)>,
    /// With `[html] math = "katex-html"`: KaTeX's stylesheet and fonts, (path under the
    /// KaTeX folder, file).
    pub katex: Vec<(String, PathBuf)>,
}

/// The Typst templates of the PDF: the book's own, else `None` for the embedded ones.
#[derive(Default)]
pub struct PdfTheme {
    pub book: Option<String>,
    pub math: Option<String>,
}

pub fn site(book: &Book) -> (SiteTheme, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let page_template = read_override(book, "templates/page.html", &mut diags)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let html = &book.config.html;
    let theme = SiteTheme {
        page_template,
        files: theme_files(book, &mut diags),
        logo: named_file(book, &html.logo, "logo", &mut diags),
        favicon: named_file(book, &html.favicon, "favicon", &mut diags),
        katex: if html.math == MathOutput::KatexHtml {
            katex_assets(book, &mut diags)
        } else {
            Vec::new()
        },
    };
    (theme, diags)
}

pub fn pdf(book: &Book) -> (PdfTheme, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut read = |path| {
        read_override(book, path, &mut diags).map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    let theme = PdfTheme {
        book: read("templates/book.typ"),
        math: read("templates/math.typ"),
    };
    (theme, diags)
}

/// A file of the book (`rel` from its root) that replaces an embedded one: `None` when
/// there is none; an error when it is there but refused by the fence.
fn read_override(book: &Book, rel: &str, diags: &mut Vec<Diagnostic>) -> Option<Vec<u8>> {
    let path = book.root.join(rel);
    path.symlink_metadata().ok()?;
    book.fence
        .read(&path)
        .map_err(|why| diags.push(cannot_use(&path, why)))
        .ok()
}

fn cannot_use(path: &Path, why: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(format!("cannot use {}: {why}", path.display()))
}

/// `[html] logo` or `favicon` (relative to the book root), checked.
fn named_file(
    book: &Book,
    path: &str,
    key: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<(String, PathBuf)> {
    if path.is_empty() {
        return None;
    }
    let source = book.root.join(path);
    let name = source.file_name()?.to_string_lossy().into_owned();
    match book.fence.file(&source) {
        Ok(real) => Some((name, real)),
        Err(crate::fence::Refused::Missing(_)) => {
            diags.push(Diagnostic::error(format!(
                "`[html] {key}` names a missing file: {path}"
            )));
            None
        }
        Err(why) => {
            diags.push(Diagnostic::error(format!(
                "`[html] {key} = \"{path}\"` cannot be used: {why}"
            )));
            None
        }
    }
}

/// Every file of the book's `theme/` folder (links included, if the fence allows).
fn theme_files(book: &Book, diags: &mut Vec<Diagnostic>) -> Vec<(String, PathBuf)> {
    let dir = book.root.join("theme");
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(&dir)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        let Ok(rel) = entry.path().strip_prefix(&dir) else {
            continue;
        };
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = rel.to_string_lossy().replace('\\', "/");
        match book.fence.file(entry.path()) {
            Ok(real) => files.push((rel, real)),
            Err(why) => diags.push(cannot_use(entry.path(), why)),
        }
    }
    files
}

/// KaTeX's stylesheet and fonts from `[html] katex_assets` (e.g. Debian's libjs-katex).
fn katex_assets(book: &Book, diags: &mut Vec<Diagnostic>) -> Vec<(String, PathBuf)> {
    let Some(src) = &book.config.html.katex_assets else {
        diags.push(
            Diagnostic::error("`[html] math = \"katex-html\"` needs `[html] katex_assets`")
                .help("point it at a folder with katex.min.css and fonts/, e.g. /usr/share/javascript/katex (Debian's libjs-katex)"),
        );
        return Vec::new();
    };
    let src = book.root.join(src);
    if !src.join("katex.min.css").is_file() {
        diags.push(Diagnostic::error(format!(
            "no katex.min.css in {}",
            src.display()
        )));
        return Vec::new();
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(&src)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        let Ok(rel) = entry.path().strip_prefix(&src) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let wanted = rel == "katex.min.css" || rel.starts_with("fonts/");
        if entry.file_type().is_file() && wanted {
            files.push((rel, entry.path().to_path_buf()));
        }
    }
    files
}
