//! The PDF: the book's Typst source (from `render::typst`) compiled in-process by `typst`
//! and exported by `typst-pdf`. By job:
//!
//! - `world`: the Typst World, the only door to files and fonts: the generated source,
//!   the two templates, the book's images (read lazily), the fonts and the clock;
//! - `fonts`: embedded, system and `[pdf] font_paths` fonts, found once per process (a
//!   font file is mapped only when a page uses it), and the warnings for missing ones;
//! - `layout`: Typst's layout iterations, each keeping of the one before only what it
//!   needs;
//! - `furniture`: running heads, page numbers and links to labels, put on the pages
//!   after layout, so that the layout settles at once;
//! - `math_check`: math that Typst rejects is found on a document of the formulas alone,
//!   replaced by its LaTeX source, and the book compiled again, so one broken formula
//!   never costs the PDF;
//! - `diagnostics`: Typst's diagnostics mapped back to the chapter file through the
//!   generated line map.

mod diagnostics;
mod fonts;
mod furniture;
mod layout;
mod math_check;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
mod world;

use crate::diag::Diagnostic;
use crate::render::typst::{self as gen, Generated, Options};
use crate::render::RenderContext;
use crate::theme::PdfTheme;
pub use fonts::{fonts_for, Fonts};
use std::path::Path;
use typst::foundations::Smart;

use diagnostics::map_diagnostic;
use fonts::{check_fonts, font_paths};
use math_check::{check_math, failing_math};
use world::BookWorld;

/// How many times a book is compiled at most while broken math is taken out.
const MAX_ROUNDS: usize = 4;

/// Renders the book to PDF bytes. `keep_typ`: also write the generated Typst source there
/// (with the templates beside it, in `_d2lbook/`). No PDF when an error remains.
pub fn render_pdf(
    ctx: &RenderContext,
    theme: &PdfTheme,
    keep_typ: Option<&Path>,
) -> (Option<Vec<u8>>, Vec<Diagnostic>) {
    let (compiled, mut diags) = compile(ctx, theme, keep_typ);
    let Some(compiled) = compiled else {
        return (None, diags);
    };
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(ctx.book.config.book.title.clone()),
        creator: Smart::Custom(Some(format!("d2lbook {}", env!("CARGO_PKG_VERSION")))),
        ..Default::default()
    };
    // The memo was emptied when the furniture went on; the memory it held is given back
    // beside the export, which reuses it.
    let exported = std::thread::scope(|scope| {
        scope.spawn(release_free_memory);
        typst_pdf::pdf(&compiled.document, &options)
    });
    match exported {
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

/// Gives the allocator's free memory back to the system. The memo, emptied between
/// layout iterations and before export, frees many small blocks that glibc keeps, and
/// the next step, allocating in other sizes, grows the process past them.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns unused pages of the heap to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The bytes the allocator has handed out and not had back, where it says (glibc).
fn heap_in_use() -> Option<usize> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    unsafe {
        let info = libc::mallinfo2();
        Some(info.uordblks + info.hblkhd)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    None
}

/// A laid-out book and what it was made from.
pub struct Compiled {
    pub document: typst_layout::PagedDocument,
    pub generated: Generated,
    world: BookWorld,
}

/// Generates and compiles the book; math that Typst rejects is shown as source and the
/// book compiled again (a few rounds at most). `None` when errors remain.
pub fn compile(
    ctx: &RenderContext,
    theme: &PdfTheme,
    keep_typ: Option<&Path>,
) -> (Option<Compiled>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let book = ctx.book;
    let fonts = fonts_for(&font_paths(&book.root, &book.config.pdf.font_paths));
    check_fonts(ctx, &fonts, &mut diags);

    let book_template = theme.book.as_deref().unwrap_or(gen::BOOK_TEMPLATE);
    let math_template = theme.math.as_deref().unwrap_or(gen::MATH_TEMPLATE);

    let mut options = Options {
        families: Some(
            fonts
                .book()
                .families()
                .map(|(name, _)| name.to_lowercase())
                .collect(),
        ),
        ..Options::default()
    };
    // Formulas that Typst rejects are found on a document of the math alone, cheaply,
    // rather than by compiling the whole book once per broken formula.
    let first = gen::markup_with(ctx, &options);
    check_math(&first, math_template, &fonts, &mut options);
    // What Typst memoised for the math alone is not what the book needs: freed, its
    // memory is reused by the book's compile (peak 3.1 GB rather than 3.6 GB for a
    // 2,000-page book).
    typst::comemo::evict(0);

    let mut round = 0;
    loop {
        round += 1;
        let generated = if round == 1 && options.fallback.is_empty() {
            first.clone()
        } else {
            gen::markup_with(ctx, &options)
        };
        let world = BookWorld::new(&generated, book_template, math_template, fonts.clone());
        let result = layout::compile(&world, &generated.labels);
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
            if let Err(e) = keep_sources(path, &generated, book_template, math_template) {
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
            Ok(document) => {
                let furniture = furniture::Furniture {
                    generated: &generated,
                    book_template,
                    math_template,
                    fonts: fonts.clone(),
                };
                let (document, warnings) = furniture::furnish(document, furniture);
                diags.extend(warnings.into_iter().map(Diagnostic::warning));
                (
                    Some(Compiled {
                        document,
                        generated,
                        world,
                    }),
                    diags,
                )
            }
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

fn keep_sources(path: &Path, generated: &Generated, book: &str, math: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir.join("_d2lbook"))?;
    std::fs::write(path, &generated.main)?;
    std::fs::write(dir.join("_d2lbook/book.typ"), book)?;
    std::fs::write(dir.join("_d2lbook/math.typ"), math)
}
