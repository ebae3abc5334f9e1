//! The images a book shows, found and checked once, in the resolve stage: each figure's
//! and inline image's file is located relative to its chapter, must stay inside the source
//! folder, and passes the fence (`fence.rs`). Problems are errors at the image's span.
//! The backends then only look images up: the site copies them, the PDF embeds them.

use crate::book::Book;
use crate::diag::Diagnostic;
use crate::doc::{for_each_block, for_each_inline, Block, Doc, Inline, Span};
use crate::fence::Refused;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// An image file of the book.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Its path relative to the source folder, with `/`: where the site puts it.
    pub rel: String,
    /// The file, resolved through symlinks (what to copy or read).
    pub file: PathBuf,
}

/// The book's images by section and source as written (ordered, so that its `Debug`
/// text, part of the site's render keys, is the same from build to build).
#[derive(Debug, Default)]
pub struct Assets {
    by_src: BTreeMap<(usize, String), Asset>,
}

impl Assets {
    /// The image `src` of section `section`; `None` for a remote image (`://`, `data:`)
    /// or one that was refused (its error is already reported).
    pub fn get(&self, section: usize, src: &str) -> Option<&Asset> {
        self.by_src.get(&(section, src.to_string()))
    }

    /// Every image once, in book order.
    pub fn files(&self) -> Vec<&Asset> {
        let mut seen = std::collections::HashSet::new();
        self.by_src
            .values()
            .filter(|asset| seen.insert(asset.rel.clone()))
            .collect()
    }
}

/// Whether `src` names an image on the web rather than a file of the book.
pub fn is_remote(src: &str) -> bool {
    src.contains("://") || src.starts_with("data:")
}

/// Finds and checks every image of the book.
pub fn find(book: &Book, docs: &[Doc]) -> (Assets, Vec<Diagnostic>) {
    let mut assets = Assets::default();
    let mut diags = Vec::new();
    let src_dir = book.src_dir();
    for (i, (section, doc)) in book.sections.iter().zip(docs).enumerate() {
        let dir = Path::new(&section.src)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut wanted: Vec<(String, Span)> = Vec::new();
        for_each_block(&doc.blocks, &mut |b| {
            if let Block::Figure(f) = b {
                wanted.push((f.src.clone(), f.span.clone()));
            }
        });
        for_each_inline(&doc.blocks, &mut |inline| {
            if let Inline::Image { src, span, .. } = inline {
                wanted.push((src.clone(), span.clone()));
            }
        });
        for (src, span) in wanted {
            if is_remote(&src) || assets.get(i, &src).is_some() {
                continue;
            }
            let rel = crate::book::normalize(&dir.join(src.split(['?', '#']).next().unwrap_or("")));
            if rel.starts_with("..") {
                diags.push(
                    Diagnostic::error(format!("image '{src}' is outside the book's source folder"))
                        .at(&span),
                );
                continue;
            }
            let path = src_dir.join(&rel);
            match book.fence.file(&path) {
                Ok(file) => {
                    assets.by_src.insert((i, src), Asset { rel, file });
                }
                Err(Refused::Missing(_)) => diags.push(
                    Diagnostic::error(format!("missing image '{src}'"))
                        .at(&span)
                        .help(format!("no file at {}", path.display())),
                ),
                Err(why) => diags.push(
                    Diagnostic::error(format!("image '{src}' cannot be used: {why}")).at(&span),
                ),
            }
        }
    }
    (assets, diags)
}
