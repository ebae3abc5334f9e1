//! The eval cache: a section's outputs (failures included) stored under a key that hashes
//! everything its result depends on (assembled in `mod.rs`): its cells' code and the files
//! they `include_*!`, the library's sources and features, the lock file the build uses
//! (less the package's own entry), path crates' sources, `[eval] inputs`, the toolchain,
//! the device, the settings, and the d2lbook and protocol versions. Transient failures are
//! never stored.

use crate::doc::Output;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// What a section's run produced.
#[derive(Serialize, Deserialize, Clone, Default)]
pub struct Record {
    pub outputs: Vec<Vec<Output>>,
    pub failures: Vec<Failure>,
    /// The failure may not happen again (timeout, crash by signal, spawn error): the
    /// record is shown but never stored.
    #[serde(skip)]
    pub transient: bool,
}

/// A failed cell: the message and the chapter line and column it points at.
#[derive(Serialize, Deserialize, Clone)]
pub struct Failure {
    pub cell: usize,
    pub message: String,
    pub line: usize,
    pub col: usize,
}

pub struct Cache {
    dir: PathBuf,
    /// Hash of the inputs all sections share.
    common: String,
}

impl Cache {
    pub fn new(dir: PathBuf, common_inputs: &[&[u8]]) -> Cache {
        Cache {
            dir,
            common: hash(common_inputs),
        }
    }

    pub fn key(&self, section: &[u8]) -> String {
        hash(&[self.common.as_bytes(), section])
    }

    pub fn get(&self, key: &str) -> Option<Record> {
        let bytes = std::fs::read(self.dir.join(format!("{key}.json"))).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn put(&self, key: &str, record: &Record) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join(format!("{key}.tmp"));
        std::fs::write(&tmp, serde_json::to_vec(record)?)?;
        std::fs::rename(tmp, self.dir.join(format!("{key}.json")))
    }
}

pub use crate::digest::hash;

/// A hash of a crate's sources (every file but build outputs), each file's path and
/// content length-prefixed so that no two trees hash alike.
pub fn library_fingerprint(library: &Path) -> Vec<u8> {
    let files: Vec<PathBuf> = walkdir::WalkDir::new(library)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != "target")
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    tree_fingerprint(library, &files)
}

fn tree_fingerprint(root: &Path, files: &[PathBuf]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    for file in files {
        let name = file.strip_prefix(root).unwrap_or(file);
        let name = name.to_string_lossy();
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        let content = std::fs::read(file).unwrap_or_default();
        hasher.update((content.len() as u64).to_le_bytes());
        hasher.update(&content);
    }
    hasher.finalize().to_vec()
}

/// A hash of one file's path and content (a missing file hashes as such).
pub fn file_fingerprint(file: &Path) -> Vec<u8> {
    let path = file.to_string_lossy();
    match std::fs::read(file) {
        Ok(content) => hash(&[b"file", path.as_bytes(), &content]),
        Err(_) => hash(&[b"missing", path.as_bytes()]),
    }
    .into_bytes()
}

/// A hash of the files under `root` that match the globs of `[eval] inputs` (the output
/// folder, `target` and hidden folders are not searched).
pub fn inputs_fingerprint(root: &Path, globs: &[String], output: &Path) -> Result<Vec<u8>, String> {
    if globs.is_empty() {
        return Ok(Vec::new());
    }
    let mut set = globset::GlobSetBuilder::new();
    for glob in globs {
        let glob = globset::Glob::new(glob)
            .map_err(|e| format!("invalid glob `{glob}` in [eval] inputs: {e}"))?;
        set.add(glob);
    }
    let set = set
        .build()
        .map_err(|e| format!("invalid [eval] inputs: {e}"))?;
    let files: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            e.depth() == 0 || !(e.path() == output || name == "target" || name.starts_with('.'))
        })
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| set.is_match(p.strip_prefix(root).unwrap_or(p)))
        .collect();
    Ok(tree_fingerprint(root, &files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_keep_path_and_content_apart() {
        let dir = std::env::temp_dir().join(format!("d2lbook-fp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ab"), "c").unwrap();
        let one = library_fingerprint(&dir);
        std::fs::remove_file(dir.join("ab")).unwrap();
        std::fs::write(dir.join("a"), "bc").unwrap();
        assert_ne!(
            one,
            library_fingerprint(&dir),
            "path `ab` + `c` vs `a` + `bc`"
        );
        let globs = vec!["*.csv".to_string()];
        let before = inputs_fingerprint(&dir, &globs, &dir.join("_build")).unwrap();
        std::fs::write(dir.join("x.csv"), "1,2").unwrap();
        let after = inputs_fingerprint(&dir, &globs, &dir.join("_build")).unwrap();
        assert_ne!(before, after);
        assert!(inputs_fingerprint(&dir, &["[".into()], &dir).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
