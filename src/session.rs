//! A build that lives on between rebuilds, for `serve`: each rebuild makes the whole site
//! in memory exactly as `build html` does (so the result is byte-identical to a cold
//! build by construction), then writes only the files whose bytes changed and removes
//! the ones that are gone, and says which pages changed so that only those reload.

use crate::build::{self, Memo, Options};
use crate::diag::Diagnostics;
use crate::output::Content;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub struct Session {
    options: Options,
    /// The parsed sections and rendered pages of the last rebuild, reused where their
    /// inputs did not change.
    memo: Memo,
    /// What the last successful rebuild wrote: the site folder and each file's digest.
    written: Option<(PathBuf, HashMap<String, String>)>,
    /// A site written with its last search index, and the documents of its new one.
    pending_search: Option<PendingSearch>,
}

type PendingSearch = (PathBuf, Vec<(String, Content)>, Vec<(String, String)>);

/// What a rebuild did.
pub struct Rebuilt {
    /// The diagnostics and the closing line, as `build html` prints them.
    pub report: String,
    /// Errors (or warnings with `--strict`): nothing was written.
    pub failed: bool,
    /// The site's files (paths from the site root) that were written or removed.
    pub changed: Vec<String>,
    /// The site folder.
    pub site: Option<PathBuf>,
}

impl Session {
    pub fn new(options: Options) -> Session {
        Session {
            options,
            memo: Memo::deferring_search(),
            written: None,
            pending_search: None,
        }
    }

    /// Rebuilds the site; the result equals a cold `build html`.
    pub fn rebuild(&mut self) -> Rebuilt {
        self.rebuild_then(|_| {}, || false)
    }

    /// Rebuilds the site, calling `pages_written` as soon as the pages are written with
    /// the search index as it was (a reader sees the edit without waiting for it), then
    /// indexes the new pages, unless `wanted_elsewhere` says, before or between two
    /// pages, that the time is needed for something else (another save): the index is
    /// then left to the next rebuild. Once indexed, the result and what is on disk equal
    /// a cold `build html`; `changed` names the files of both steps.
    pub fn rebuild_then(
        &mut self,
        pages_written: impl FnOnce(&Rebuilt),
        wanted_elsewhere: impl Fn() -> bool,
    ) -> Rebuilt {
        let mut rebuilt = self.rebuild_pages();
        pages_written(&rebuilt);
        if self.pending_search.is_none() || wanted_elsewhere() {
            return rebuilt;
        }
        if let Some((dir, files, documents)) = self.pending_search.take() {
            let bundle = match self.memo.search_files(&documents, &wanted_elsewhere) {
                Ok(Some(bundle)) => Ok(bundle),
                // Stopped: still due (the next rebuild finds the index stale again).
                Ok(None) => {
                    self.pending_search = Some((dir, files, documents));
                    return rebuilt;
                }
                Err(e) => Err(e),
            };
            let indexed = bundle.and_then(|bundle| {
                // The old index's files: under `pagefind/` (a page may be `pagefind.html`).
                let old = format!("{}/", crate::render::search::BUNDLE);
                let mut files: Vec<(String, Content)> = files
                    .into_iter()
                    .filter(|(rel, _)| !rel.starts_with(&old))
                    .collect();
                files.extend(bundle);
                self.write(&dir, &files).map_err(|e| e.to_string())
            });
            match indexed {
                Ok(paths) => {
                    rebuilt.changed.extend(paths);
                    rebuilt.changed.sort();
                    rebuilt.changed.dedup();
                }
                Err(e) => {
                    rebuilt.failed = true;
                    rebuilt
                        .report
                        .push_str(&format!("error: search index: {e}\n"));
                }
            }
        }
        rebuilt
    }

    fn rebuild_pages(&mut self) -> Rebuilt {
        let started = Instant::now();
        let diags = Diagnostics::default();
        let mut changed = Vec::new();
        let mut summary = String::new();
        let mut site_dir = None;
        let made = build::make_site(&self.options, &diags, &mut self.memo);
        let strict = made.as_ref().map_or(self.options.strict, |s| s.strict);
        if let Some(made) = &made {
            let dir = made.out_dir.join("html");
            if let (false, Some(files)) = (made.failed(&diags), &made.files) {
                match self.write(&dir, files) {
                    Ok(paths) => {
                        changed = paths;
                        summary = made.summary(&self.options, started);
                        // What an index skipped earlier would have written is gone:
                        // these pages replace it.
                        self.pending_search = made
                            .search_stale
                            .then(|| (dir.clone(), files.clone(), made.search.clone()));
                        site_dir = Some(dir);
                    }
                    Err(e) => diags.push(crate::diag::Diagnostic::error(format!(
                        "cannot write the site: {e}"
                    ))),
                }
            }
        }
        let (report, outcome) = build::report(&self.options, strict, &diags, &summary);
        Rebuilt {
            report,
            failed: outcome.failed,
            changed,
            site: site_dir,
        }
    }

    /// Writes `files` into `dir`: all of them the first time (into a temporary folder,
    /// swapped into place), then only those whose digest changed, each through a
    /// temporary file and a rename so that a reader never sees half a page.
    fn write(&mut self, dir: &Path, files: &[(String, Content)]) -> std::io::Result<Vec<String>> {
        let mut digests = HashMap::new();
        for (rel, content) in files {
            digests.insert(rel.clone(), digest(content)?);
        }
        let previous = match self.written.take() {
            Some((written_dir, previous)) if written_dir == dir && dir.is_dir() => previous,
            _ => {
                crate::output::write_atomically(dir, files)?;
                let all = files.iter().map(|(rel, _)| rel.clone()).collect();
                self.written = Some((dir.to_path_buf(), digests));
                return Ok(all);
            }
        };
        let mut changed = Vec::new();
        for (rel, content) in files {
            if previous.get(rel) == digests.get(rel) {
                continue;
            }
            if !crate::output::is_plain_relative(rel) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("refused to write outside the site: {rel}"),
                ));
            }
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let tmp = path.with_file_name(format!(
                ".{}.tmp-{}",
                path.file_name().unwrap_or_default().to_string_lossy(),
                std::process::id()
            ));
            match content {
                Content::Bytes(bytes) => std::fs::write(&tmp, bytes)?,
                Content::Copy(source) => {
                    std::fs::copy(source, &tmp)?;
                }
            }
            std::fs::rename(&tmp, &path)?;
            changed.push(rel.clone());
        }
        for rel in previous.keys() {
            if !digests.contains_key(rel) {
                let path = dir.join(rel);
                let _ = std::fs::remove_file(&path);
                // Folders it leaves empty go too (a search shard gone, a chapter's last
                // page): a cold build would not make them.
                for folder in path.ancestors().skip(1) {
                    if folder == dir || std::fs::remove_dir(folder).is_err() {
                        break;
                    }
                }
                changed.push(rel.clone());
            }
        }
        changed.sort();
        self.written = Some((dir.to_path_buf(), digests));
        Ok(changed)
    }
}

fn digest(content: &Content) -> std::io::Result<String> {
    Ok(match content {
        Content::Bytes(bytes) => crate::digest::hash(&[bytes]),
        Content::Copy(source) => crate::digest::hash(&[&std::fs::read(source)?]),
    })
}
