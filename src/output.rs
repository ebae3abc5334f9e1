//! The output folder (`[build] output_dir`): where it may be, the mark that says d2lbook
//! made it, folders written atomically, leftovers of interrupted builds, and `clean`.
//!
//! The folder must lie strictly inside the book root and hold none of the book's own
//! files (sources, `book.toml`, the library, templates, theme, bibliography): `clean`
//! and the swap of a new site into place delete what is there. d2lbook writes the file
//! [`MARK`] into a folder it made; a folder without it is adopted only when it holds
//! nothing but what d2lbook writes, and otherwise refused.

use crate::config::Config;
use crate::diag::Diagnostic;
use rayon::prelude::*;
use std::path::{Component, Path, PathBuf};

/// The file that marks an output folder as d2lbook's.
pub const MARK: &str = ".d2lbook-output";

/// What d2lbook writes at the top of its output folder.
const OWN_ENTRIES: &[&str] = &["html", "pdf", "eval", "cache", "ipynb", MARK];

/// The output folder of a book at `root`, checked against the rules above (lexically,
/// and through symlinks where it exists). Errors point at `output_dir` in `book.toml`.
pub fn locate(root: &Path, config: &Config) -> Result<PathBuf, Diagnostic> {
    let configured = &config.build.output_dir;
    let refuse = |why: String| {
        let mut d = Diagnostic::error(format!("`[build] output_dir = \"{configured}\"` {why}"))
            .help("d2lbook deletes and replaces what is in the output folder: use a folder of its own inside the book, such as \"_build\"");
        if let Some(span) = &config.build.output_dir_span {
            d = d.at(span);
        }
        d
    };
    let Some(rel) = inside(configured) else {
        return Err(refuse(
            "is not a folder strictly inside the book root".into(),
        ));
    };
    let book_paths = [
        Some(config.book.src.as_str()),
        Some(config.eval.library.as_str()),
        config.book.bibliography.as_deref(),
        Some("book.toml"),
        Some("config.ini"),
        Some("templates"),
        Some("theme"),
    ];
    for path in book_paths.into_iter().flatten() {
        // The root itself (`src = "."`) or a path outside it cannot be under the output
        // folder, which `inside` already keeps strictly below the root.
        let Some(own) = inside(path) else {
            continue;
        };
        if own.starts_with(&rel) {
            return Err(refuse(format!("would hold the book's own `{path}`")));
        }
    }
    let path = root.join(rel.iter().collect::<PathBuf>());
    if path.exists() || path.symlink_metadata().is_ok() {
        let real_root = root.canonicalize().map_err(|e| {
            Diagnostic::error(format!(
                "cannot resolve the book root {}: {e}",
                root.display()
            ))
        })?;
        match path.canonicalize() {
            Ok(real) if real.starts_with(&real_root) && real != real_root => {}
            Ok(real) => {
                return Err(refuse(format!(
                    "resolves to {}, outside the book",
                    real.display()
                )))
            }
            Err(e) => return Err(refuse(format!("cannot be resolved: {e}"))),
        }
    }
    Ok(path)
}

/// The normal components of a relative path, if it names a folder strictly below its
/// base (`a/./b` → [a, b]; `""`, `.`, `/x`, `a/../..` → none).
fn inside(path: &str) -> Option<Vec<String>> {
    let mut parts: Vec<String> = Vec::new();
    for c in Path::new(path).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!parts.is_empty()).then_some(parts)
}

/// Whether `dir` is d2lbook's: it holds the mark, or only what d2lbook writes.
fn is_ours(dir: &Path) -> bool {
    if dir.join(MARK).is_file() {
        return true;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().all(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        OWN_ENTRIES.contains(&name.as_str()) || leftover_pid(&name).is_some()
    })
}

/// Makes `dir` (a folder from [`locate`]) ready for a build: creates and marks it, or
/// checks that an existing one is d2lbook's; removes what interrupted builds left.
pub fn claim(dir: &Path) -> Result<(), Diagnostic> {
    if dir.is_dir() && !is_ours(dir) {
        return Err(Diagnostic::error(format!(
            "the output folder {} holds files d2lbook did not write",
            dir.display()
        ))
        .help("choose another `[build] output_dir`, or empty that folder"));
    }
    let io = |e: std::io::Error| {
        Diagnostic::error(format!(
            "cannot prepare the output folder {}: {e}",
            dir.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    if !dir.join(MARK).is_file() {
        std::fs::write(
            dir.join(MARK),
            "This folder is d2lbook's output: `d2lbook clean` may delete it.\n",
        )
        .map_err(io)?;
    }
    remove_leftovers(dir);
    remove_leftovers(&dir.join("pdf"));
    Ok(())
}

/// `d2lbook clean`: removes the output folder if d2lbook made it; refuses otherwise.
/// Returns what was removed, if anything.
pub fn clean(root: &Path, config: &Config) -> Result<Option<PathBuf>, Diagnostic> {
    let dir = locate(root, config)?;
    if dir.symlink_metadata().is_err() {
        return Ok(None);
    }
    if !dir.is_dir() || !is_ours(&dir) {
        let mut d = Diagnostic::error(format!(
            "refusing to remove {}: d2lbook did not make it (no {MARK} in it)",
            dir.display()
        ))
        .help("remove it yourself if it is really a build output");
        if let Some(span) = &config.build.output_dir_span {
            d = d.at(span);
        }
        return Err(d);
    }
    std::fs::remove_dir_all(&dir)
        .map_err(|e| Diagnostic::error(format!("cannot remove {}: {e}", dir.display())))?;
    Ok(Some(dir))
}

/// The process id in the name of a temporary `.NAME.tmp-PID` or `.NAME.old-PID`.
fn leftover_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (_, pid) = rest
        .rsplit_once(".tmp-")
        .or_else(|| rest.rsplit_once(".old-"))?;
    pid.parse().ok()
}

/// Removes the temporaries of builds whose process is gone (killed mid-swap).
fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = leftover_pid(&name) else {
            continue;
        };
        if pid != std::process::id() && !process_alive(pid) {
            let path = entry.path();
            let _ = match entry.file_type() {
                Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
                _ => std::fs::remove_file(&path),
            };
        }
    }
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Without `/proc`, a leftover is kept: removing a live build's folder would be worse.
#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> bool {
    true
}

/// A file of a folder being written: its path relative to the folder, and its content.
#[derive(Clone)]
pub enum Content {
    Bytes(Vec<u8>),
    /// A file copied from the book (checked by the fence).
    Copy(PathBuf),
}

/// A zip archive of `files`, in their order, compressed with deflate. Every entry has the
/// same date (zip's earliest, 1980-01-01) and permissions, so that the same files make
/// the same bytes from build to build.
pub fn zip(files: &[(String, Content)]) -> std::io::Result<Vec<u8>> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (rel, content) in files {
        zip.start_file(rel.as_str(), options)
            .map_err(std::io::Error::other)?;
        match content {
            Content::Bytes(bytes) => zip.write_all(bytes)?,
            Content::Copy(path) => zip.write_all(&std::fs::read(path)?)?,
        }
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}

/// Whether `dir` already holds exactly `files`: the same paths (no more) with the same
/// bytes. A build that would write the same site then writes nothing.
pub fn holds_exactly(dir: &Path, files: &[(String, Content)]) -> bool {
    let on_disk = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| !e.file_type().is_dir())
        .count();
    on_disk == files.len()
        && files.iter().all(|(rel, content)| {
            let path = dir.join(rel);
            let Ok(meta) = path.symlink_metadata() else {
                return false;
            };
            match content {
                Content::Bytes(bytes) => {
                    meta.len() == bytes.len() as u64
                        && std::fs::read(&path).is_ok_and(|b| b == *bytes)
                }
                Content::Copy(source) => {
                    meta.is_file()
                        && std::fs::read(source)
                            .is_ok_and(|b| std::fs::read(&path).is_ok_and(|d| d == b))
                }
            }
        })
}

/// Writes the files into a fresh sibling folder, then swaps it with `target`. Every path
/// must be relative and stay inside: a path with `..`, a root or a prefix is refused
/// before anything is written. A file that `target` already holds with the same bytes is
/// linked into the new folder rather than written again: after an edit most of a site is
/// unchanged, and writing it all again was the dearest step of such a build in a large
/// book (`unchanged_files_are_linked_not_written`).
pub fn write_atomically(target: &Path, files: &[(String, Content)]) -> std::io::Result<()> {
    if let Some((rel, _)) = files.iter().find(|(rel, _)| !is_plain_relative(rel)) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("refusing to write '{rel}': it is not a path inside the output folder"),
        ));
    }
    let parent = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let written = files.par_iter().try_for_each(|(rel, content)| {
        let path = tmp.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        match content {
            Content::Bytes(bytes) => {
                let previous = target.join(rel);
                if holds_only(&previous, bytes) && std::fs::hard_link(&previous, &path).is_ok() {
                    return Ok(());
                }
                std::fs::write(&path, bytes)
            }
            Content::Copy(from) => std::fs::copy(from, &path).map(|_| ()),
        }
    });
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if target.exists() {
        std::fs::rename(target, &old)?;
    }
    if let Err(e) = std::fs::rename(&tmp, target) {
        // Put the previous site back rather than leave none.
        let _ = std::fs::rename(&old, target);
        return Err(e);
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Whether `path` is a plain file with exactly `bytes` that no other name links to, and so
/// can become the new folder's file: a symbolic link is not followed, and a file linked
/// from elsewhere (a copy of the site made with links) could be changed from there.
fn holds_only(path: &Path, bytes: &[u8]) -> bool {
    plain_file(path, bytes.len() as u64).is_some_and(|meta| sole_name(&meta))
        && std::fs::read(path).is_ok_and(|old| old == bytes)
}

/// The metadata of `path` if it is a plain file (a symbolic link is not followed) of
/// `len` bytes.
fn plain_file(path: &Path, len: u64) -> Option<std::fs::Metadata> {
    let meta = path.symlink_metadata().ok()?;
    (meta.is_file() && meta.len() == len).then_some(meta)
}

#[cfg(unix)]
fn sole_name(meta: &std::fs::Metadata) -> bool {
    std::os::unix::fs::MetadataExt::nlink(meta) == 1
}

/// Elsewhere the link count is not known: every file is written.
#[cfg(not(unix))]
fn sole_name(_meta: &std::fs::Metadata) -> bool {
    false
}

/// The bytes of `rel` in the folder `dir`, if it is a plain file inside it of `len` bytes:
/// a cache names the files it reads back, and a path out of the folder, a link or a
/// special file is not read.
pub fn read_back(dir: &Path, rel: &str, len: u64) -> Option<Vec<u8>> {
    if !is_plain_relative(rel) {
        return None;
    }
    let path = dir.join(rel);
    plain_file(&path, len)?;
    std::fs::read(path).ok()
}

/// `a/b.html` yes; `../x`, `/x`, `a/../../x`, `` no.
pub fn is_plain_relative(rel: &str) -> bool {
    !rel.is_empty()
        && Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_folders_strictly_inside() {
        assert_eq!(inside("_build"), Some(vec!["_build".to_string()]));
        assert_eq!(inside("./out/x/"), Some(vec!["out".into(), "x".into()]));
        assert_eq!(inside("a/../b"), Some(vec!["b".into()]));
        for bad in [
            "",
            ".",
            "./",
            "..",
            "../x",
            "a/../..",
            "/tmp/out",
            "a/../../b",
        ] {
            assert_eq!(inside(bad), None, "{bad}");
        }
    }

    #[test]
    fn leftovers_are_named_by_pid() {
        assert_eq!(leftover_pid(".html.tmp-123"), Some(123));
        assert_eq!(leftover_pid(".html.old-9"), Some(9));
        assert_eq!(leftover_pid(".book.pdf.tmp-77"), Some(77));
        assert_eq!(leftover_pid("html"), None);
        assert_eq!(leftover_pid(".html.tmp-x"), None);
    }

    #[cfg(unix)]
    #[test]
    fn unchanged_files_are_linked_not_written() {
        use std::os::unix::fs::MetadataExt;
        let dir = std::env::temp_dir().join(format!("d2lbook-link-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let target = dir.join("html");
        let site = |files: &[(&str, &str)]| -> Vec<(String, Content)> {
            files
                .iter()
                .map(|(rel, text)| (rel.to_string(), Content::Bytes(text.as_bytes().to_vec())))
                .collect()
        };
        let inode = |rel: &str| target.join(rel).symlink_metadata().unwrap().ino();
        let read = |rel: &str| std::fs::read_to_string(target.join(rel)).unwrap();
        write_atomically(
            &target,
            &site(&[("a.html", "same"), ("b/c.html", "old"), ("d.html", "kept")]),
        )
        .unwrap();
        let (a, c) = (inode("a.html"), inode("b/c.html"));
        // A copy of the site made with links shares `d.html`; `e.html` is a symbolic link
        // to a file outside with the very bytes the next build writes there.
        let copy = dir.join("copy-of-d.html");
        std::fs::hard_link(target.join("d.html"), &copy).unwrap();
        let outside = dir.join("outside.html");
        std::fs::write(&outside, "e").unwrap();
        std::os::unix::fs::symlink(&outside, target.join("e.html")).unwrap();

        write_atomically(
            &target,
            &site(&[
                ("a.html", "same"),
                ("b/c.html", "new"),
                ("d.html", "kept"),
                ("e.html", "e"),
            ]),
        )
        .unwrap();
        assert_eq!(inode("a.html"), a, "an unchanged file is written again");
        assert_eq!(target.join("a.html").metadata().unwrap().nlink(), 1);
        assert_ne!(inode("b/c.html"), c);
        assert_eq!(read("b/c.html"), "new");
        // The linked copy is changed from outside: the site is not.
        assert_ne!(inode("d.html"), copy.metadata().unwrap().ino());
        std::fs::write(&copy, "changed").unwrap();
        assert_eq!(read("d.html"), "kept");
        // A plain file now, and the file outside is left alone.
        assert!(target.join("e.html").symlink_metadata().unwrap().is_file());
        assert_eq!(read("e.html"), "e");
        std::fs::write(target.join("e.html"), "x").unwrap();
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "e");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn written_paths_stay_inside() {
        assert!(is_plain_relative("a/b.html"));
        for bad in ["../x.html", "/etc/x", "a/../../x", ""] {
            assert!(!is_plain_relative(bad), "{bad}");
        }
        let dir = std::env::temp_dir().join(format!("d2lbook-out-{}", std::process::id()));
        let target = dir.join("html");
        let err = write_atomically(
            &target,
            &[
                ("ok.html".into(), Content::Bytes(b"x".to_vec())),
                ("../escape.html".into(), Content::Bytes(b"x".to_vec())),
            ],
        )
        .unwrap_err();
        assert!(err.to_string().contains("../escape.html"), "{err}");
        assert!(!target.exists() && !dir.join("escape.html").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
