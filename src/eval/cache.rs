//! The eval cache: a section's outputs (failures included) stored under a key that hashes
//! everything its result depends on: its cells' code, the library's source and features,
//! the lock file, the extra dependencies, the timeout and `rustc -V`.

use crate::doc::Output;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// What a section's run produced.
#[derive(Serialize, Deserialize, Clone, Default)]
pub struct Record {
    pub outputs: Vec<Vec<Output>>,
    pub failures: Vec<Failure>,
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

    pub fn key(&self, program: &str) -> String {
        hash(&[self.common.as_bytes(), program.as_bytes()])
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

pub fn hash(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A hash of the library's sources (every file but build outputs).
pub fn library_fingerprint(library: &Path) -> Vec<u8> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(library)
        .into_iter()
        .filter_entry(|e| e.file_name() != "target")
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files.sort();
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(
            file.strip_prefix(library)
                .unwrap_or(&file)
                .to_string_lossy()
                .as_bytes(),
        );
        hasher.update(std::fs::read(&file).unwrap_or_default());
    }
    hasher.finalize().to_vec()
}
