//! The fonts of the PDF: embedded, the system's and `[pdf] font_paths`, found once per
//! process; and the warnings when the book's language or `[pdf] fonts` lack one.

use crate::diag::Diagnostic;
use crate::render::typst::{self as gen};
use crate::render::RenderContext;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use typst::foundations::Bytes;
use typst::text::{Font, FontBook, FontInfo};
use typst::utils::LazyHash;
use typst_kit::fonts::{FontPath, FontSource, FontStore};

/// The fonts a World can use: typst-assets' embedded fonts, the system's (found by
/// typst-kit through fontdb and fontconfig, as the Typst CLI finds them) and the
/// folders of `[pdf] font_paths`; metadata of all, bytes loaded on first use.
pub struct Fonts(FontStore);

impl Fonts {
    pub(super) fn book(&self) -> &LazyHash<FontBook> {
        self.0.book()
    }

    pub(super) fn font(&self, index: usize) -> Option<Font> {
        self.0.font(index)
    }

    /// The family names known (for tests and messages).
    pub fn families(&self) -> Vec<String> {
        self.book()
            .families()
            .map(|(name, _)| name.to_string())
            .collect()
    }
}

/// The folders of `[pdf] font_paths` (relative to the root).
pub(super) fn font_paths(root: &Path, extra: &[String]) -> Vec<PathBuf> {
    extra.iter().map(|p| root.join(p)).collect()
}

/// The embedded and system fonts and those of `extra`, scanned once per process for
/// each set of folders.
pub fn fonts_for(extra: &[PathBuf]) -> Arc<Fonts> {
    static CACHE: Mutex<Vec<(Vec<PathBuf>, Arc<Fonts>)>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, fonts)) = cache.iter().find(|(d, _)| d == extra) {
        return fonts.clone();
    }
    let fonts = Arc::new(collect_fonts(true, extra));
    cache.push((extra.to_vec(), fonts.clone()));
    fonts
}

/// The embedded fonts, the system's if `system`, and those of the folders `extra`.
pub(super) fn collect_fonts(system: bool, extra: &[PathBuf]) -> Fonts {
    let mut store = FontStore::new();
    // Embedded first: the math and code fonts the templates name come from typst-assets.
    store.extend(typst_kit::fonts::embedded());
    let files = Arc::new(FontFiles::default());
    let mapped = |(path, info): (FontPath, FontInfo)| {
        let face = MappedFace {
            path: path.path,
            index: path.index,
            files: files.clone(),
        };
        (face, info)
    };
    if system {
        store.extend(typst_kit::fonts::system().map(mapped));
    }
    for dir in extra {
        store.extend(typst_kit::fonts::scan(dir).map(mapped));
    }
    Fonts(store)
}

/// A font face in a file on disk, loaded on first use.
struct MappedFace {
    path: PathBuf,
    index: u32,
    files: Arc<FontFiles>,
}

impl FontSource for MappedFace {
    fn load(&self) -> Option<Font> {
        Font::new(self.files.open(&self.path)?, self.index)
    }
}

/// The font files opened so far, each once however many of its faces are used (a CJK
/// collection holds a face per region).
#[derive(Default)]
struct FontFiles(Mutex<HashMap<PathBuf, Bytes>>);

impl FontFiles {
    /// The file's bytes, memory-mapped: a CJK font file is 20 MB or more, and mapped pages
    /// belong to the page cache, which the kernel drops and reads again when memory is
    /// short, where read bytes would be the process's own to the end (Typst reads all of
    /// a font once, to hash it). Read into memory when it cannot be mapped.
    fn open(&self, path: &Path) -> Option<Bytes> {
        let mut files = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bytes) = files.get(path) {
            return Some(bytes.clone());
        }
        let file = std::fs::File::open(path).ok()?;
        // SAFETY: font files are installed files, not written while a book is typeset
        // (one truncated in place would end the build, as it would end fontdb's scan,
        // which maps the same files).
        let bytes = match unsafe { memmap2::Mmap::map(&file) } {
            Ok(map) => Bytes::new(map),
            Err(_) => Bytes::new(std::fs::read(path).ok()?),
        };
        files.insert(path.to_path_buf(), bytes.clone());
        Some(bytes)
    }
}

/// A warning when the book's language needs CJK fonts and none is installed.
pub(super) fn check_fonts(ctx: &RenderContext, fonts: &Fonts, diags: &mut Vec<Diagnostic>) {
    let language = &ctx.book.config.book.language;
    if let Some((serif, sans)) = gen::cjk_families(language) {
        let has_cjk = fonts
            .book()
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
    for family in &ctx.book.config.pdf.fonts {
        if !fonts.book().contains_family(&family.to_lowercase()) {
            diags.push(
                Diagnostic::warning(format!("font '{family}' of `[pdf] fonts` is not installed"))
                    .help("add its folder to `[pdf] font_paths` in book.toml"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_font_file_is_opened_once_and_one_gone_since_the_scan_is_no_font() {
        let dir = crate::pdf::testing::book_dir("font-files", &[]);
        std::fs::create_dir_all(&dir).unwrap();
        let data = typst_assets::fonts().next().expect("an embedded font");
        std::fs::write(dir.join("a.otf"), data).unwrap();
        std::fs::write(dir.join("b.otf"), data).unwrap();

        let files = FontFiles::default();
        let first = files.open(&dir.join("a.otf")).expect("mapped");
        let again = files.open(&dir.join("a.otf")).expect("mapped");
        assert_eq!(first.as_slice(), data);
        assert_eq!(first.as_ptr(), again.as_ptr(), "the file was opened twice");
        assert!(files.open(&dir.join("missing.otf")).is_none());

        let embedded = typst_kit::fonts::embedded().count();
        let fonts = collect_fonts(false, std::slice::from_ref(&dir));
        std::fs::remove_file(dir.join("b.otf")).unwrap();
        let loaded: Vec<Font> = (embedded..embedded + 2)
            .filter_map(|i| fonts.font(i))
            .collect();
        assert_eq!(
            loaded.len(),
            1,
            "the removed file gave a font, or a.otf none"
        );
        assert_eq!(loaded[0].data().as_slice(), data);
        let _ = std::fs::remove_dir_all(dir);
    }
}
