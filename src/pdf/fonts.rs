//! The fonts of the PDF: embedded, the system's and `[pdf] font_paths`, found once per
//! process; and the warnings when the book's language or `[pdf] fonts` lack one.

use crate::diag::Diagnostic;
use crate::render::typst::{self as gen};
use crate::render::RenderContext;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst_kit::fonts::FontStore;

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
    if system {
        store.extend(typst_kit::fonts::system());
    }
    for dir in extra {
        store.extend(typst_kit::fonts::scan(dir));
    }
    Fonts(store)
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
