//! `d2lbook cache export FILE` / `cache import FILE...`: the eval cache's entries packed
//! into one zip with a manifest, to carry them between the jobs of a CI matrix. Entries
//! are content-addressed (their name is the key of everything they depend on), so
//! merging is a union; importing checks every entry against the manifest's digest and
//! never replaces an entry that holds something else.
//!
//! The archive also carries the eval package's lock file: the keys hold the lock the
//! programs were built with, which cargo writes at the first build of a folder. A fresh
//! folder that imports the lock (with the stamp of what it was seeded from) looks the
//! entries up under the same keys instead of missing them all once.

use crate::output::Content;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

const FORMAT: &str = "d2lbook-eval-cache";
const VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
/// The eval package's lock and the stamp of its seed, under `<output_dir>/eval`.
const LOCK: &str = "package/Cargo.lock";
const SEED: &str = "lock.seed";
/// The largest entry read from an archive (outputs are capped far below this).
const MAX_ENTRY: u64 = 256 << 20;

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    /// The d2lbook that wrote it (informative: keys already hold the version).
    d2lbook: String,
    /// Each entry's key and the SHA-256 of its bytes.
    entries: BTreeMap<String, String>,
    /// The SHA-256 of the lock file and of its seed stamp, when the folder had them.
    #[serde(default)]
    lock: Option<(String, String)>,
}

/// A cache key: 64 lower-case hex digits (never a path).
fn is_key(name: &str) -> bool {
    name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Packs every entry of the eval cache of `eval_dir` (`<output_dir>/eval`), and its
/// package's lock, into `file`; returns how many entries.
pub fn export(eval_dir: &Path, file: &Path) -> Result<usize, String> {
    let cache_dir = eval_dir.join("cache");
    let mut entries = BTreeMap::new();
    let mut files = Vec::new();
    if let Ok(dir) = std::fs::read_dir(&cache_dir) {
        let mut names: Vec<String> = dir
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.strip_suffix(".json").is_some_and(is_key))
            .collect();
        names.sort();
        for name in names {
            let bytes = std::fs::read(cache_dir.join(&name))
                .map_err(|e| format!("cannot read the cache entry {name}: {e}"))?;
            let key = name.trim_end_matches(".json").to_string();
            entries.insert(key.clone(), crate::digest::hash(&[&bytes]));
            files.push((format!("entries/{name}"), Content::Bytes(bytes)));
        }
    }
    let lock = match (
        std::fs::read(eval_dir.join(LOCK)),
        std::fs::read(eval_dir.join(SEED)),
    ) {
        (Ok(lock), Ok(seed)) => {
            let digests = (crate::digest::hash(&[&lock]), crate::digest::hash(&[&seed]));
            files.push((LOCK.into(), Content::Bytes(lock)));
            files.push((SEED.into(), Content::Bytes(seed)));
            Some(digests)
        }
        _ => None,
    };
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        d2lbook: env!("CARGO_PKG_VERSION").into(),
        entries,
        lock,
    };
    let count = manifest.entries.len();
    let manifest = serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?;
    files.insert(0, (MANIFEST.into(), Content::Bytes(manifest)));
    let zip = crate::output::zip(&files).map_err(|e| e.to_string())?;
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, zip)
        .and_then(|()| std::fs::rename(&tmp, file))
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    Ok(count)
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Imported {
    pub added: usize,
    /// Entries the cache held already, with the same bytes.
    pub present: usize,
    /// Entries the cache holds with other bytes: kept, and reported.
    pub conflicts: Vec<String>,
    /// The folder has its own lock file, other than the archive's: the archive's entries
    /// hit only where cargo resolves the same versions.
    pub other_lock: bool,
}

/// Merges the entries of the archive `file` into the eval cache of `eval_dir`, and takes
/// its lock when the folder has none. An archive that is not one, or whose entry does not
/// match its manifest, is refused whole: nothing is written.
pub fn import(eval_dir: &Path, file: &Path) -> Result<Imported, String> {
    let cache_dir = eval_dir.join("cache");
    let shown = file.display();
    let opened = std::fs::File::open(file).map_err(|e| format!("cannot open {shown}: {e}"))?;
    let mut zip = zip::ZipArchive::new(opened)
        .map_err(|e| format!("{shown} is not an eval cache archive: {e}"))?;
    let manifest: Manifest = read_entry(&mut zip, MANIFEST)
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
        .map_err(|e| format!("{shown} has no readable manifest: {e}"))?;
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(format!(
            "{shown} is a `{}` archive of version {}, not `{FORMAT}` version {VERSION}",
            manifest.format, manifest.version
        ));
    }
    // Everything is read and checked before anything is written.
    let mut checked = Vec::new();
    for (key, digest) in &manifest.entries {
        if !is_key(key) {
            return Err(format!("{shown}: `{key}` is not a cache key"));
        }
        let bytes = read_entry(&mut zip, &format!("entries/{key}.json"))
            .map_err(|e| format!("{shown}: entry {key}: {e}"))?;
        if crate::digest::hash(&[&bytes]) != *digest {
            return Err(format!(
                "{shown}: entry {key} does not match its manifest (damaged or edited)"
            ));
        }
        if serde_json::from_slice::<super::cache::Record>(&bytes).is_err() {
            return Err(format!("{shown}: entry {key} is not an eval record"));
        }
        checked.push((key, bytes));
    }
    let lock = match &manifest.lock {
        Some((lock_digest, seed_digest)) => {
            let lock = read_entry(&mut zip, LOCK).map_err(|e| format!("{shown}: {LOCK}: {e}"))?;
            let seed = read_entry(&mut zip, SEED).map_err(|e| format!("{shown}: {SEED}: {e}"))?;
            if crate::digest::hash(&[&lock]) != *lock_digest
                || crate::digest::hash(&[&seed]) != *seed_digest
            {
                return Err(format!(
                    "{shown}: the lock file does not match its manifest"
                ));
            }
            Some((lock, seed))
        }
        None => None,
    };
    let mut done = Imported::default();
    if let Some((lock, seed)) = lock {
        match std::fs::read(eval_dir.join(LOCK)) {
            Ok(present) => done.other_lock = present != lock,
            Err(_) => {
                for (rel, bytes) in [(LOCK, &lock), (SEED, &seed)] {
                    let path = eval_dir.join(rel);
                    let written = path
                        .parent()
                        .map_or(Ok(()), std::fs::create_dir_all)
                        .and_then(|()| std::fs::write(&path, bytes));
                    written.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                }
            }
        }
    }
    std::fs::create_dir_all(&cache_dir)
        .map_err(|e| format!("cannot create {}: {e}", cache_dir.display()))?;
    for (key, bytes) in checked {
        let path = cache_dir.join(format!("{key}.json"));
        match std::fs::read(&path) {
            Ok(present) if present == bytes => done.present += 1,
            Ok(_) => done.conflicts.push(key.clone()),
            Err(_) => {
                let tmp = cache_dir.join(format!("{key}.import-{}", std::process::id()));
                std::fs::write(&tmp, &bytes)
                    .and_then(|()| std::fs::rename(&tmp, &path))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                done.added += 1;
            }
        }
    }
    Ok(done)
}

fn read_entry(zip: &mut zip::ZipArchive<std::fs::File>, name: &str) -> Result<Vec<u8>, String> {
    let entry = zip.by_name(name).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    entry
        .take(MAX_ENTRY + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_ENTRY {
        return Err(format!("larger than {} MiB", MAX_ENTRY >> 20));
    }
    Ok(bytes)
}
