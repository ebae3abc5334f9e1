//! The one rule for every file a build reads because the book says so (a toc entry, an
//! image, an `eval_rst` `:file:`, `[html] logo`, the bibliography): the path, resolved
//! through symlinks, must lie inside the book root or a folder of `[build] allow_outside`,
//! name a regular file (not a device, a FIFO or a folder), and be no larger than a limit.
//! A hostile or careless book can then neither pull a file from elsewhere into its output
//! nor hang the build on `/dev/zero`.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest file a build reads or copies on a book's say: 256 MiB.
pub const FILE_LIMIT: u64 = 256 * 1024 * 1024;

/// Where files may come from: canonical folders.
#[derive(Debug, Clone)]
pub struct Fence {
    allowed: Vec<PathBuf>,
}

/// Why a path was refused.
#[derive(Debug)]
pub enum Refused {
    /// It does not exist (or cannot be resolved).
    Missing(std::io::Error),
    /// It resolves to this path, outside the allowed folders.
    Outside(PathBuf),
    /// It is not a regular file.
    NotAFile,
    /// It is larger than the limit (its size).
    TooLarge(u64),
    /// Reading it failed.
    Unreadable(std::io::Error),
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Missing(e) => write!(f, "{e}"),
            Refused::Outside(p) => write!(
                f,
                "it resolves to {}, outside the book (see `[build] allow_outside`)",
                p.display()
            ),
            Refused::NotAFile => write!(f, "it is not a regular file"),
            Refused::TooLarge(n) => write!(
                f,
                "it is {} MiB, more than the {} MiB a build reads",
                n / (1024 * 1024),
                FILE_LIMIT / (1024 * 1024)
            ),
            Refused::Unreadable(e) => write!(f, "{e}"),
        }
    }
}

impl Fence {
    /// The fence of a book at `root`; `allow_outside` are folders, relative to the root
    /// or absolute, that may be read too. Folders that do not exist are left out.
    pub fn new(root: &Path, allow_outside: &[String]) -> Fence {
        let mut allowed = Vec::new();
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        for extra in allow_outside {
            if let Ok(dir) = root.join(extra).canonicalize() {
                allowed.push(dir);
            }
        }
        allowed.insert(0, root);
        Fence { allowed }
    }

    /// A fence that lets nothing through, for reading text that includes no files.
    pub fn closed() -> Fence {
        Fence {
            allowed: Vec::new(),
        }
    }

    /// The book root (`None` for a closed fence).
    pub fn root(&self) -> Option<&Path> {
        self.allowed.first().map(PathBuf::as_path)
    }

    /// Whether `path` (which must exist) resolves inside the fence; returns where.
    pub fn resolve(&self, path: &Path) -> Result<PathBuf, Refused> {
        let real = path.canonicalize().map_err(Refused::Missing)?;
        if self.allowed.iter().any(|dir| real.starts_with(dir)) {
            Ok(real)
        } else {
            Err(Refused::Outside(real))
        }
    }

    /// Checks that `path` is a regular file inside the fence within the size limit, and
    /// returns its resolved path (what to copy).
    pub fn file(&self, path: &Path) -> Result<PathBuf, Refused> {
        let real = self.resolve(path)?;
        let meta = std::fs::metadata(&real).map_err(Refused::Missing)?;
        if !meta.is_file() {
            return Err(Refused::NotAFile);
        }
        if meta.len() > FILE_LIMIT {
            return Err(Refused::TooLarge(meta.len()));
        }
        Ok(real)
    }

    /// Reads a file that passes [`Fence::file`]; never more than the limit, even if the
    /// file grows meanwhile.
    pub fn read(&self, path: &Path) -> Result<Vec<u8>, Refused> {
        let real = self.file(path)?;
        let file = std::fs::File::open(&real).map_err(Refused::Unreadable)?;
        let mut bytes = Vec::new();
        file.take(FILE_LIMIT + 1)
            .read_to_end(&mut bytes)
            .map_err(Refused::Unreadable)?;
        if bytes.len() as u64 > FILE_LIMIT {
            return Err(Refused::TooLarge(bytes.len() as u64));
        }
        Ok(bytes)
    }

    /// [`Fence::read`] as UTF-8 text.
    pub fn read_to_string(&self, path: &Path) -> Result<String, Refused> {
        let bytes = self.read(path)?;
        String::from_utf8(bytes).map_err(|e| {
            Refused::Unreadable(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("d2lbook-fence-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn inside_outside_links_devices() {
        let base = temp("rules");
        let book = base.join("book");
        let elsewhere = base.join("elsewhere");
        std::fs::create_dir_all(book.join("src")).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(book.join("src/a.txt"), "a").unwrap();
        std::fs::write(elsewhere.join("secret.txt"), "s").unwrap();
        std::os::unix::fs::symlink(&elsewhere, book.join("src/link")).unwrap();
        let fence = Fence::new(&book, &[]);
        assert_eq!(fence.read(&book.join("src/a.txt")).unwrap(), b"a");
        assert!(matches!(
            fence.read(&book.join("src/link/secret.txt")),
            Err(Refused::Outside(_))
        ));
        assert!(matches!(
            fence.read(&book.join("src/../../elsewhere/secret.txt")),
            Err(Refused::Outside(_))
        ));
        assert!(matches!(
            fence.read(Path::new("/etc/hostname")),
            Err(Refused::Outside(_))
        ));
        assert!(matches!(
            fence.read(&book.join("src")),
            Err(Refused::NotAFile)
        ));
        assert!(matches!(
            fence.read(&book.join("nope")),
            Err(Refused::Missing(_))
        ));
        // A device inside an allowed folder is still refused, and reading it cannot hang.
        let dev = Fence::new(&book, &["/dev".into()]);
        assert!(matches!(
            dev.read(Path::new("/dev/zero")),
            Err(Refused::NotAFile)
        ));
        // `allow_outside` opens a folder, relative to the root or absolute.
        let open = Fence::new(&book, &["../elsewhere".into()]);
        assert_eq!(open.read(&book.join("src/link/secret.txt")).unwrap(), b"s");
        let _ = std::fs::remove_dir_all(&base);
    }
}
