//! The Typst World of a book: the only door to files and fonts. It serves the generated
//! source, the two templates, the book's images (read lazily from disk), the fonts and
//! the clock.

use super::fonts::Fonts;
use crate::render::typst::{self as gen, Generated};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_kit::datetime::Time;

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

pub(super) enum VirtualFile {
    Bytes(Bytes),
    Disk(PathBuf),
}

pub(super) struct BookWorld {
    pub(super) fonts: Arc<Fonts>,
    pub(super) main: FileId,
    /// The generated source's text, and its parse once asked for: the syntax tree of an
    /// 800-page book is about 60 MB, needed to evaluate it and to place diagnostics, not
    /// to lay it out (`release_main`).
    main_text: String,
    main_source: Mutex<Option<Source>>,
    /// The templates.
    sources: HashMap<FileId, Source>,
    pub(super) files: HashMap<FileId, VirtualFile>,
    pub(super) loaded: Mutex<HashMap<FileId, FileResult<Bytes>>>,
    /// The clock, read once per World.
    pub(super) time: Time,
}

pub(super) fn file_id(path: &str) -> Option<FileId> {
    Some(RootedPath::new(VirtualRoot::Project, VirtualPath::new(path).ok()?).intern())
}

impl BookWorld {
    pub(super) fn new(
        generated: &Generated,
        book_template: &str,
        math_template: &str,
        fonts: Arc<Fonts>,
    ) -> Self {
        let main = file_id(gen::MAIN_PATH).expect("a valid path");
        let mut sources = HashMap::new();
        for (path, text) in [
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
            main_text: generated.main.clone(),
            main_source: Mutex::new(None),
            sources,
            files,
            loaded: Mutex::new(HashMap::new()),
            time: Time::system(),
        }
    }

    /// The parsed source of a file, if it is one: the main file parsed anew after
    /// `release_main` (the same text gives the same tree and spans).
    pub(super) fn source_of(&self, id: FileId) -> Option<Source> {
        if id == self.main {
            let mut main = self.main_source.lock().unwrap();
            let main = main.get_or_insert_with(|| Source::new(id, self.main_text.clone()));
            return Some(main.clone());
        }
        self.sources.get(&id).cloned()
    }

    /// Drops the main file's syntax tree, which layout does not read.
    pub(super) fn release_main(&self) {
        *self.main_source.lock().unwrap() = None;
    }
}

impl World for BookWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.fonts.book()
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        match self.source_of(id) {
            Some(source) => Ok(source),
            None if self.files.contains_key(&id) => Err(FileError::NotSource),
            None => Err(FileError::NotFound(PathBuf::from(
                id.vpath().get_with_slash(),
            ))),
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main {
            return Ok(Bytes::from_string(self.main_text.clone()));
        }
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
        self.time.today(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::fonts::collect_fonts;
    use typst::syntax::{Span, SyntaxNode};
    use typst::WorldExt;

    #[test]
    fn the_main_file_parsed_again_after_its_release_has_the_same_spans() {
        let generated = Generated {
            main: "= Title\n\nSome *strong* text and #emph[more].\n".to_string(),
            ..Generated::default()
        };
        let world = BookWorld::new(&generated, "", "", Arc::new(collect_fonts(false, &[])));
        let first = world.source(world.main).unwrap();
        fn leaf(node: &SyntaxNode, text: &str) -> Option<Span> {
            if node.leaf_text() == text {
                return Some(node.span());
            }
            node.children().find_map(|child| leaf(child, text))
        }
        let span = leaf(first.root(), "strong").unwrap();
        world.release_main();
        let again = world.source(world.main).unwrap();
        assert_eq!(typst::utils::hash128(&first), typst::utils::hash128(&again));
        let range = world.range(span).unwrap();
        assert_eq!(&generated.main[range], "strong");
    }
}
