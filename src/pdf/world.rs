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
    pub(super) sources: HashMap<FileId, Source>,
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
            time: Time::system(),
        }
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
        self.time.today(offset)
    }
}
