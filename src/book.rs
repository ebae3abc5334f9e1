//! The load stage: the configuration and the book's order. `index.md` under `[book] src`
//! and the toc blocks of the files it lists, recursively, give the sections in reading
//! order with their numbers (`2`, `2.3`) and depths. An mdBook book's `SUMMARY.md` gives
//! the same structure (see `mdbook`).

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::fence::{Fence, Refused};
use crate::mdbook::include::LineMap;
use crate::parse;
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

pub struct Book {
    /// The folder holding `book.toml`.
    pub root: PathBuf,
    pub config: Config,
    pub sections: Vec<Section>,
    /// Where the book's files may come from.
    pub fence: Fence,
    /// Entries of the contents that are no page (from `SUMMARY.md`), in order.
    pub marks: Vec<NavMark>,
}

/// An entry of the book's contents without a page of its own.
pub struct NavMark {
    /// The section it comes before (`sections.len()`: after the last).
    pub before: usize,
    pub kind: MarkKind,
}

pub enum MarkKind {
    /// The title of a part of the book, over the chapters that follow.
    Part(String),
    /// A chapter not written yet, listed at its place with its number.
    Draft {
        title: String,
        number: Vec<u32>,
        depth: usize,
    },
    Separator,
}

pub struct Section {
    /// Path relative to the source folder, with `/` separators: `chapter_x/index.md`.
    pub src: String,
    /// Path relative to the book root, as diagnostics show it: `chapters/chapter_x/index.md`.
    pub file: String,
    /// Output path relative to the site root: `chapter_x/index.html`.
    pub html: String,
    /// `[2, 3]` for section 2.3; empty when unnumbered.
    pub number: Vec<u32>,
    /// 0 for the book's `index.md`, 1 for what its toc lists, and so on.
    pub depth: usize,
    pub children: Vec<usize>,
    pub text: String,
    /// The sections its toc blocks name, by entry as written (`chapter_x/index`): what
    /// the load resolved, so that backends link toc blocks without the disk.
    pub toc_links: HashMap<String, usize>,
    /// The title the book's contents give it (`SUMMARY.md`'s link text), shown instead of
    /// its first heading in the contents, links to it and its page's title.
    pub title: Option<String>,
    /// The whole `<title>` of its page (mdBook's `{{#title …}}`).
    pub page_title: Option<String>,
    /// Where the lines of `text` come from, when files were included into it.
    pub line_map: Option<std::sync::Arc<LineMap>>,
}

impl Section {
    pub fn number_text(&self) -> String {
        let parts: Vec<String> = self.number.iter().map(u32::to_string).collect();
        parts.join(".")
    }
}

impl Book {
    pub fn src_dir(&self) -> PathBuf {
        self.root.join(&self.config.book.src)
    }

    /// Moves spans in sections' texts to the files and lines they came from: a function
    /// for `Diagnostics::set_remap`, `None` when no section included files.
    pub fn span_remap(&self) -> Option<impl Fn(&mut crate::doc::Span) + Send + Sync + 'static> {
        let maps: HashMap<String, std::sync::Arc<LineMap>> = self
            .sections
            .iter()
            .filter_map(|s| Some((s.file.clone(), s.line_map.clone()?)))
            .collect();
        (!maps.is_empty()).then_some(move |span: &mut crate::doc::Span| {
            if let Some(map) = maps.get(&*span.file) {
                map.map(span);
            }
        })
    }

    /// Loads the book at `root`. Problems with entries are diagnostics; a missing config
    /// or root `index.md` is fatal.
    pub fn load(root: &Path) -> Result<(Book, Vec<Diagnostic>), Diagnostic> {
        let mut config = Config::load(root)?;
        let fence = Fence::new(root, &config.build.allow_outside);
        if let Err(why) = fence.resolve(&root.join(&config.book.src)) {
            return Err(Diagnostic::error(format!(
                "the source folder `[book] src = \"{}\"` cannot be used: {why}",
                config.book.src
            )));
        }
        if config.mdbook {
            let mut diags = std::mem::take(&mut config.notes);
            let book = crate::mdbook::load(root, config, fence, &mut diags)?;
            return Ok((book, diags));
        }
        let mut excludes = GlobSetBuilder::new();
        for pattern in &config.build.exclude {
            let glob = Glob::new(pattern).map_err(|e| {
                Diagnostic::error(format!("invalid exclude pattern '{pattern}': {e}"))
            })?;
            excludes.add(glob);
        }
        let mut loader = Loader {
            src_dir: root.join(&config.book.src),
            src_prefix: config
                .book
                .src
                .trim_matches('/')
                .trim_start_matches("./")
                .to_string(),
            excludes: excludes
                .build()
                .map_err(|e| Diagnostic::error(e.to_string()))?,
            sections: Vec::new(),
            seen: HashSet::new(),
            resolved: Vec::new(),
            diags: Vec::new(),
            fence,
        };
        let index = loader.src_dir.join("index.md");
        if !index.is_file() {
            return Err(Diagnostic::error(format!(
                "the book has no {}",
                loader.display_path("index.md")
            ))
            .help("`[book] src` in book.toml names the folder that holds index.md"));
        }
        loader.seen.insert("index.md".into());
        loader.add("index.md".into(), Vec::new(), 0, None, false);
        let Loader {
            mut sections,
            resolved,
            diags,
            fence,
            ..
        } = loader;
        // An entry links to a section wherever that section sits in the book (an entry
        // listed twice links to its first place); excluded or refused files are none.
        let by_src: HashMap<&str, usize> = sections
            .iter()
            .enumerate()
            .map(|(i, s)| (s.src.as_str(), i))
            .collect();
        let links: Vec<(usize, String, usize)> = resolved
            .into_iter()
            .filter_map(|(from, target, src)| Some((from, target, *by_src.get(src.as_str())?)))
            .collect();
        for (from, target, to) in links {
            sections[from].toc_links.insert(target, to);
        }
        Ok((
            Book {
                root: root.to_path_buf(),
                config,
                sections,
                fence,
                marks: Vec::new(),
            },
            diags,
        ))
    }
}

struct Loader {
    src_dir: PathBuf,
    src_prefix: String,
    excludes: GlobSet,
    sections: Vec<Section>,
    seen: HashSet<String>,
    /// Every toc entry that names a file: (section, entry as written, source path).
    resolved: Vec<(usize, String, String)>,
    diags: Vec<Diagnostic>,
    fence: Fence,
}

impl Loader {
    fn display_path(&self, src: &str) -> String {
        if self.src_prefix.is_empty() || self.src_prefix == "." {
            src.to_string()
        } else {
            format!("{}/{src}", self.src_prefix)
        }
    }

    /// Adds the section at `src` and, through its toc blocks, its children.
    fn add(
        &mut self,
        src: String,
        number: Vec<u32>,
        depth: usize,
        parent: Option<usize>,
        numbered_parent: bool,
    ) {
        let file = self.display_path(&src);
        let text = match self.fence.read_to_string(&self.src_dir.join(&src)) {
            Ok(t) => t,
            Err(e) => {
                self.diags
                    .push(Diagnostic::error(format!("cannot read {file}: {e}")));
                return;
            }
        };
        let (tocs, diags) = parse::toc_blocks(&text, &file);
        self.diags.extend(diags);
        let index = self.sections.len();
        let html = match src.rsplit_once('.') {
            Some((stem, _)) => format!("{stem}.html"),
            None => format!("{src}.html"),
        };
        self.sections.push(Section {
            src: src.clone(),
            file,
            html,
            number: number.clone(),
            depth,
            children: Vec::new(),
            text,
            toc_links: HashMap::new(),
            title: None,
            page_title: None,
            line_map: None,
        });
        if let Some(p) = parent {
            self.sections[p].children.push(index);
        }
        let dir = Path::new(&src)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut counter = 0;
        for toc in tocs {
            for entry in toc.entries {
                let Some(child) = resolve_entry(&self.src_dir, &dir, &entry.target) else {
                    self.diags.push(
                        Diagnostic::error(format!("toc entry '{}' names no file", entry.target))
                            .at(&entry.span)
                            .help("entries are paths relative to this file, with or without `.md`"),
                    );
                    continue;
                };
                self.resolved
                    .push((index, entry.target.clone(), child.clone()));
                // Outputs go where sources sit, relative to the source folder: an entry
                // outside it would write outside the site.
                let escape = if child.starts_with("../") {
                    let folder = match self.src_prefix.as_str() {
                        "" | "." => "the book's folder".to_string(),
                        prefix => format!("the source folder {prefix}/"),
                    };
                    Some(format!("it is outside {folder}"))
                } else {
                    match self.fence.file(&self.src_dir.join(&child)) {
                        Err(why @ Refused::Outside(_)) => Some(why.to_string()),
                        _ => None,
                    }
                };
                if let Some(why) = escape {
                    self.diags.push(
                        Diagnostic::error(format!(
                            "toc entry '{}' cannot be used: {why}",
                            entry.target
                        ))
                        .at(&entry.span)
                        .help("a book's sections are files inside its source folder"),
                    );
                    continue;
                }
                if self.is_excluded(&child) {
                    continue;
                }
                if !self.seen.insert(child.clone()) {
                    self.diags.push(
                        Diagnostic::warning(format!(
                            "'{}' is already in the book; listed again here",
                            entry.target
                        ))
                        .at(&entry.span),
                    );
                    continue;
                }
                // The root's `:numbered:` blocks number chapters; below, numbering follows the parent.
                let numbered = if depth == 0 {
                    toc.numbered
                } else {
                    numbered_parent
                };
                let child_number = if numbered {
                    counter += 1;
                    let mut n = number.clone();
                    n.push(counter);
                    n
                } else {
                    Vec::new()
                };
                self.add(child, child_number, depth + 1, Some(index), numbered);
            }
        }
    }

    fn is_excluded(&self, src: &str) -> bool {
        self.excludes.is_match(src) || self.excludes.is_match(self.display_path(src))
    }
}

/// `a/b/../c.md` → `a/c.md`, with `/` separators; a path that leaves its base keeps
/// its leading `..`.
pub fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                if parts.last().is_none_or(|p| p == "..") {
                    parts.push("..".into());
                } else {
                    parts.pop();
                }
            }
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

/// The source path (relative to the source folder `src_dir`) that a toc entry written in
/// a file of folder `dir` names, if that file exists.
fn resolve_entry(src_dir: &Path, dir: &Path, target: &str) -> Option<String> {
    let target = target.trim_start_matches("./");
    let candidates = [
        target.to_string(),
        format!("{target}.md"),
        format!("{target}.ipynb"),
    ];
    candidates.iter().find_map(|c| {
        let rel = normalize(&dir.join(c));
        let is_source = rel.ends_with(".md") || rel.ends_with(".ipynb");
        (is_source && src_dir.join(&rel).is_file()).then_some(rel)
    })
}
