//! The generated Cargo package under `_build/eval/`: one binary per section, built by one
//! `cargo build --keep-going` that shares the project's target folder and starts from its
//! lock file, so the library and its dependencies are compiled once per machine, not per
//! book build. The package and binary names are unique per book, since books share the
//! target folder; cargo runs `--offline` unless the dependencies changed since the last
//! successful build.

use crate::config::EvalConfig;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What the generated package's name starts with; a hash of the book's path follows.
const PACKAGE_PREFIX: &str = "d2lbook-eval-";

/// A rustc diagnostic in one section's program.
pub struct CompilerMessage {
    pub bin: String,
    pub level: String,
    /// The error code (`E0425`), if any.
    pub code: Option<String>,
    pub message: String,
    /// Primary span: (line, column), 1-based, in the generated file.
    pub at: Option<(usize, usize)>,
    pub notes: Vec<String>,
}

pub struct Built {
    /// bin name → executable
    pub executables: HashMap<String, PathBuf>,
    pub messages: Vec<CompilerMessage>,
}

pub struct Package {
    pub dir: PathBuf,
    pub target_dir: PathBuf,
    library: PathBuf,
    /// The book's root: relative `path` dependencies start there.
    root: PathBuf,
    /// `d2lbook-eval-<hash of the book's canonical root>`: books share the target folder,
    /// and cargo must never take one book's artifacts for another's.
    name: String,
}

impl Package {
    /// The package for a book at `root`, its library at `[eval] library`.
    pub fn new(root: &Path, output_dir: &Path, config: &EvalConfig) -> Result<Package, String> {
        let library = root.join(&config.library);
        let library = library.canonicalize().map_err(|e| {
            format!(
                "the library `{}` of [eval] library cannot be found: {e}",
                config.library
            )
        })?;
        let workspace = library.ancestors().find(|d| d.join("Cargo.lock").is_file());
        let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => workspace.unwrap_or(&library).join("target"),
        };
        let book = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let id = super::cache::hash(&[book.to_string_lossy().as_bytes()]);
        Ok(Package {
            dir: output_dir.join("eval/package"),
            target_dir,
            library,
            root: book.clone(),
            name: format!("{PACKAGE_PREFIX}{}", &id[..12]),
        })
    }

    /// The library's folder.
    pub fn library(&self) -> &Path {
        &self.library
    }

    /// The lock file of the library's workspace: the starting point of the package's own.
    pub fn lock_file(&self) -> Option<PathBuf> {
        self.library
            .ancestors()
            .map(|d| d.join("Cargo.lock"))
            .find(|p| p.is_file())
    }

    /// Hash of what the dependencies' resolution starts from: the library's lock file and
    /// the `[eval] dependencies` and features.
    fn seed(&self, config: &EvalConfig) -> String {
        let lock = self
            .lock_file()
            .and_then(|p| std::fs::read(p).ok())
            .unwrap_or_default();
        super::cache::hash(&[&lock, deps_of(config).as_bytes()])
    }

    /// Makes sure the package has the lock file its build will use and returns it: the
    /// library's is copied in when the package has none or when the library's lock or the
    /// dependencies changed (`eval/lock.seed` says from what it was seeded); otherwise the
    /// package keeps its own, with what cargo resolved for the extra dependencies.
    pub fn prepare_lock(&self, config: &EvalConfig) -> Result<Vec<u8>, String> {
        let io = |e: std::io::Error| format!("cannot write {}: {e}", self.dir.display());
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let lock_path = self.dir.join("Cargo.lock");
        let seed_path = self.stamp("lock.seed");
        let seed = self.seed(config);
        let seeded = std::fs::read_to_string(&seed_path).is_ok_and(|s| s == seed);
        if !seeded || !lock_path.is_file() {
            match self.lock_file() {
                Some(lock) => {
                    std::fs::copy(lock, &lock_path).map_err(io)?;
                }
                None => {
                    let _ = std::fs::remove_file(&lock_path);
                }
            }
            std::fs::write(&seed_path, &seed).map_err(io)?;
        }
        Ok(std::fs::read(&lock_path).unwrap_or_default())
    }

    /// Whether cargo can build offline: the dependencies are those of the last successful
    /// build (`eval/deps.stamp`). After a change, cargo may have to fetch them.
    pub fn offline(&self, config: &EvalConfig) -> bool {
        let stamp = super::cache::hash(&[deps_of(config).as_bytes()]);
        std::fs::read_to_string(self.stamp("deps.stamp")).is_ok_and(|s| s == stamp)
    }

    fn stamp(&self, name: &str) -> PathBuf {
        self.dir.parent().unwrap_or(&self.dir).join(name)
    }

    /// Writes the package with `programs` (bin name, source) and builds them. `inputs`
    /// hashes what the dependencies are built from besides `config` and the lock file
    /// (the library's sources, the toolchain): when they are those of the last cargo
    /// build of these programs, rustc builds them without cargo (`direct`).
    pub fn build(
        &self,
        config: &EvalConfig,
        inputs: &[u8],
        programs: &[(String, String)],
    ) -> Result<Built, String> {
        let io = |e: std::io::Error| format!("cannot write {}: {e}", self.dir.display());
        std::fs::create_dir_all(self.dir.join("src/bin")).map_err(io)?;
        for (name, source) in programs {
            write_if_changed(
                &self.dir.join(format!("src/bin/{name}.rs")),
                source.as_bytes(),
            )
            .map_err(io)?;
        }
        let seed = |lock: &[u8]| {
            super::cache::hash(&[
                inputs,
                lock,
                deps_of(config).as_bytes(),
                self.target_dir.as_os_str().as_encoded_bytes(),
            ])
        };
        let lock_path = self.dir.join("Cargo.lock");
        let lock = std::fs::read(&lock_path).unwrap_or_default();
        let records = self.stamp("rustc");
        let bins: Vec<String> = programs.iter().map(|(name, _)| name.clone()).collect();
        if let Some(built) = super::direct::build(&records, &seed(&lock), &bins) {
            return Ok(built);
        }
        let mut manifest = format!(
            "# Generated by d2lbook: the book's Rust cells, one binary per section.\n\
             [package]\nname = \"{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\nautobins = false\n\n",
            self.name
        );
        for (name, _) in programs {
            manifest.push_str(&format!(
                "[[bin]]\nname = \"{name}\"\npath = \"src/bin/{name}.rs\"\n\n"
            ));
        }
        let mut d2l = toml::Table::new();
        d2l.insert(
            "path".into(),
            self.library.to_string_lossy().into_owned().into(),
        );
        if !config.features.is_empty() {
            d2l.insert("features".into(), config.features.clone().into());
        }
        let mut deps = config.dependencies.clone();
        // A path crate is written from the book root, not from the generated package.
        for (_, dep) in deps.iter_mut() {
            if let Some(table) = dep.as_table_mut() {
                if let Some(path) = table.get("path").and_then(|p| p.as_str()) {
                    let path = self.root.join(path).to_string_lossy().into_owned();
                    table.insert("path".into(), path.into());
                }
            }
        }
        deps.insert("d2l".into(), d2l.into());
        let mut table = toml::Table::new();
        table.insert("dependencies".into(), deps.into());
        manifest.push_str(&toml::to_string(&table).map_err(|e| e.to_string())?);
        // The project's settings for dependencies, so that what it built is reused as it
        // is. The sections' own binaries need no debug info (panics carry their location
        // without it), which makes their links faster.
        manifest.push_str(
            "\n[workspace]\n\n[profile.dev]\ndebug = false\n\n[profile.dev.package.\"*\"]\nopt-level = 3\ndebug = false\n",
        );
        write_if_changed(&self.dir.join("Cargo.toml"), manifest.as_bytes()).map_err(io)?;
        // The lock file was prepared by `prepare_lock`; cargo adds what it resolves.
        let offline = self.offline(config);
        super::direct::rebuild_if_incomplete(&records, &bins, &self.dir.join("src/bin"));

        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.current_dir(&self.dir)
            .args(["build", "--keep-going", "--message-format=json"])
            .env("CARGO_TARGET_DIR", &self.target_dir)
            .envs(super::direct::wrapper_env(&records, &seed(&lock)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if offline {
            cmd.arg("--offline");
        }
        for (name, _) in programs {
            cmd.args(["--bin", name]);
        }
        let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
        let mut built = Built {
            executables: HashMap::new(),
            messages: Vec::new(),
        };
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Ok(msg) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let bin = msg["target"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            match msg["reason"].as_str() {
                Some("compiler-artifact") => {
                    if let Some(exe) = msg["executable"].as_str() {
                        built.executables.insert(bin, PathBuf::from(exe));
                    }
                }
                Some("compiler-message") if programs.iter().any(|(n, _)| *n == bin) => {
                    built.messages.push(compiler_message(bin, &msg["message"]));
                }
                _ => {}
            }
        }
        if !out.status.success() && built.messages.is_empty() {
            // Not a cell's fault: the library or the package itself did not build.
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(30).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!(
                "cargo build of the cells failed:\n{}",
                tail.join("\n")
            ));
        }
        // Cargo writes the package itself into a new lock file: the commands it ran are
        // those of the lock it leaves.
        let built_lock = std::fs::read(&lock_path).unwrap_or_default();
        if built_lock != lock {
            super::direct::reseed(&records, &bins, &seed(&built_lock));
        }
        // The dependencies resolved: later builds can stay offline.
        let stamp = super::cache::hash(&[deps_of(config).as_bytes()]);
        let _ = std::fs::write(self.stamp("deps.stamp"), stamp);
        Ok(built)
    }
}

/// What of a lock file the programs' outputs depend on, for the cache key: every
/// entry but the package's own, which cargo writes in on its first build and whose
/// name follows the book's path (a lock copied with the book holds the old name).
/// Without this, a book moved or cloned elsewhere ran every section again after its
/// first cargo build.
pub fn resolved(lock: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let own = format!("[[package]]\nname = \"{PACKAGE_PREFIX}");
    let Ok(text) = std::str::from_utf8(lock) else {
        return lock.into();
    };
    if !text.contains(&own) {
        return lock.into();
    }
    // Cargo writes each entry as a block after a blank line.
    let blocks: Vec<&str> = text
        .trim_end_matches('\n')
        .split("\n\n")
        .filter(|block| !block.starts_with(&own))
        .collect();
    let mut kept = blocks.join("\n\n");
    kept.push('\n');
    kept.into_bytes().into()
}

/// The dependencies as the manifest states them.
fn deps_of(config: &EvalConfig) -> String {
    format!("{:?}|{}", config.features, config.dependencies)
}

/// Leaves a file that already holds `bytes` untouched, so cargo sees nothing new.
fn write_if_changed(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    std::fs::write(path, bytes)
}

pub(super) fn compiler_message(bin: String, m: &Value) -> CompilerMessage {
    let primary = m["spans"].as_array().and_then(|spans| {
        spans
            .iter()
            .find(|s| s["is_primary"].as_bool() == Some(true))
    });
    let at = primary.and_then(|s| {
        Some((
            s["line_start"].as_u64()? as usize,
            s["column_start"].as_u64()? as usize,
        ))
    });
    let mut message = m["message"].as_str().unwrap_or_default().to_string();
    if let Some(label) = primary.and_then(|s| s["label"].as_str()) {
        message = format!("{message}: {label}");
    }
    let notes = m["children"]
        .as_array()
        .map(|children| {
            children
                .iter()
                .filter_map(|c| {
                    let level = c["level"].as_str()?;
                    let text = c["message"].as_str()?;
                    Some(format!("{level}: {text}"))
                })
                .collect()
        })
        .unwrap_or_default();
    CompilerMessage {
        bin,
        code: m["code"]["code"].as_str().map(str::to_string),
        level: m["level"].as_str().unwrap_or("error").to_string(),
        message,
        at,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_sees_a_lock_without_the_packages_own_entry() {
        let root = std::env::temp_dir().join(format!("d2lbook-own-{}", std::process::id()));
        std::fs::create_dir_all(root.join("lib")).unwrap();
        let config: EvalConfig = toml::from_str("library = \"lib\"").unwrap();
        let package = Package::new(&root, &root.join("_build"), &config).unwrap();
        // A lock as cargo writes it: a header, then entries sorted by name.
        let lock = |names: &[&str]| {
            let mut blocks =
                vec!["# This file is automatically @generated by Cargo.\nversion = 4".to_string()];
            for name in names {
                let deps = if name.starts_with(PACKAGE_PREFIX) {
                    "\ndependencies = [\n \"d2l\",\n]"
                } else {
                    ""
                };
                blocks.push(format!(
                    "[[package]]\nname = \"{name}\"\nversion = \"0.1.0\"{deps}"
                ));
            }
            format!("{}\n", blocks.join("\n\n"))
        };
        let library = lock(&["candle", "d2l"]);
        // The book's own package, or that of the folder the book was copied from.
        for own in [package.name.as_str(), "d2lbook-eval-000000000000"] {
            for with_own in [lock(&["candle", own, "d2l"]), lock(&["candle", "d2l", own])] {
                assert_eq!(
                    String::from_utf8_lossy(&resolved(with_own.as_bytes())),
                    library
                );
            }
        }
        // Any other change still changes the key.
        let other = lock(&["candle", "d2l", "d2l-extra"]);
        assert_eq!(&*resolved(other.as_bytes()), other.as_bytes());
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn the_package_keeps_its_resolved_lock_until_its_seed_changes() {
        let root = std::env::temp_dir().join(format!("d2lbook-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("lib")).unwrap();
        std::fs::write(root.join("lib/Cargo.lock"), "library v1").unwrap();
        let mut config: EvalConfig = toml::from_str("library = \"lib\"").unwrap();
        let package = Package::new(&root, &root.join("_build"), &config).unwrap();
        assert_eq!(package.prepare_lock(&config).unwrap(), b"library v1");
        assert!(!package.offline(&config), "no successful build yet");
        // Cargo resolved more into the package's lock: kept, and it is what the key sees.
        std::fs::write(package.dir.join("Cargo.lock"), "library v1 + resolved").unwrap();
        assert_eq!(
            package.prepare_lock(&config).unwrap(),
            b"library v1 + resolved"
        );
        // The library's lock or the dependencies change: seeded again.
        std::fs::write(root.join("lib/Cargo.lock"), "library v2").unwrap();
        assert_eq!(package.prepare_lock(&config).unwrap(), b"library v2");
        std::fs::write(package.dir.join("Cargo.lock"), "resolved again").unwrap();
        config.dependencies.insert("rand".into(), "0.9".into());
        assert_eq!(package.prepare_lock(&config).unwrap(), b"library v2");
        let _ = std::fs::remove_dir_all(root);
    }
}
