//! What the eval stage keeps from one run to the next, so that a rebuild does not pay
//! its fixed costs again (on the sample book with its cells, 75 ms of a prose edit's 143
//! in `serve`; about 50 ms of a no-op `build html`'s 150):
//! - the toolchain's version, asked again only when something it comes from changed:
//!   `rustc -V` through rustup costs 30–45 ms (rustup resolves the toolchain, rustc
//!   starts);
//! - each cell's code with its last expression shown: syn parses every cell of the book
//!   (about 20 ms for the sample book's 130 cells).
//!
//! A `serve` session keeps it in memory; one-shot builds keep it in the output folder
//! (`cache/eval.json`). The default memo asks and parses every time and keeps nothing.

use super::program::display_last_expression;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Default)]
pub struct Memo {
    /// A session's memo; the default one keeps nothing.
    keep: bool,
    toolchain: Option<Toolchain>,
    /// Cell code → the code with its last expression shown.
    shown: HashMap<String, String>,
    /// The cells of the run under way: the next run keeps only these.
    shown_now: HashMap<String, String>,
    /// Where the memo is kept between processes, and the binary that keeps it.
    file: Option<(PathBuf, String)>,
    /// The toolchain was asked, or a cell parsed, since the memo was read or written.
    changed: bool,
}

/// A version of the compiler and what it was read from.
#[derive(Serialize, Deserialize)]
struct Toolchain {
    sysroot: PathBuf,
    stamp: String,
    version: Vec<u8>,
}

impl Memo {
    /// A memo kept from one rebuild of a `serve` session to the next.
    pub fn session() -> Memo {
        Memo {
            keep: true,
            ..Memo::default()
        }
    }

    /// A memo kept in `file` between one-shot builds, read now and written at the end of
    /// a run that changed it. It is not read when another binary (`renderer`) wrote it,
    /// which may show cells otherwise, nor when it fails its checksum (edited by hand, cut
    /// short): the file is its checksum, a line break, then the memo as JSON.
    pub fn stored(file: PathBuf, renderer: &str) -> Memo {
        let stored = std::fs::read(&file)
            .ok()
            .and_then(|bytes| {
                let (sum, json) = bytes.split_at(bytes.iter().position(|&b| b == b'\n')?);
                let json = &json[1..];
                (sum == crate::digest::hash(&[json]).as_bytes()).then_some(())?;
                serde_json::from_slice::<Stored>(json).ok()
            })
            .filter(|stored| stored.renderer == renderer);
        let (toolchain, shown) = stored.map_or((None, HashMap::new()), |s| (s.toolchain, s.shown));
        Memo {
            keep: true,
            toolchain,
            shown,
            file: Some((file, renderer.to_string())),
            ..Memo::default()
        }
    }

    /// What `rustc -V` prints, run in `dir` (where `rust-toolchain.toml` files apply).
    /// `files`: the fingerprint of those files.
    pub(super) fn rustc_version(&mut self, rustc: &OsStr, dir: &Path, files: &[u8]) -> Vec<u8> {
        if !self.keep {
            return ask(rustc, dir, &["-V"]);
        }
        if let Some(known) = &self.toolchain {
            if stamp(rustc, &known.sysroot, files) == known.stamp {
                return known.version.clone();
            }
        }
        self.changed = true;
        let version = ask(rustc, dir, &["-V"]);
        let sysroot = ask(rustc, dir, &["--print", "sysroot"]);
        let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot).trim());
        // A compiler that did not answer is asked again next time.
        self.toolchain =
            (!version.is_empty() && !sysroot.as_os_str().is_empty()).then(|| Toolchain {
                stamp: stamp(rustc, &sysroot, files),
                sysroot,
                version: version.clone(),
            });
        version
    }

    /// `code` with its last expression shown, as `program::display_last_expression`.
    pub(super) fn shown(&mut self, code: &str) -> String {
        if !self.keep {
            return display_last_expression(code);
        }
        if let Some(shown) = self.shown_now.get(code) {
            return shown.clone();
        }
        let shown = self.shown.remove(code).unwrap_or_else(|| {
            self.changed = true;
            display_last_expression(code)
        });
        self.shown_now.insert(code.to_string(), shown.clone());
        shown
    }

    /// Ends a run: the cells it did not see (edited away) are forgotten, and a stored
    /// memo that changed is written.
    pub(super) fn end_run(&mut self) {
        // What is left of the last run's cells was edited away.
        let changed = std::mem::take(&mut self.changed) || !self.shown.is_empty();
        self.shown = std::mem::take(&mut self.shown_now);
        if let (true, Some((file, renderer))) = (changed, &self.file) {
            let stored = StoredRef {
                renderer,
                toolchain: &self.toolchain,
                shown: &self.shown,
            };
            // A memo that cannot be written costs the next build its time, nothing else.
            if let (Ok(json), Some(dir)) = (serde_json::to_vec(&stored), file.parent()) {
                let mut bytes = crate::digest::hash(&[&json]).into_bytes();
                bytes.push(b'\n');
                bytes.extend(json);
                if std::fs::create_dir_all(dir).is_ok() {
                    super::direct::write_replacing(file, &bytes);
                }
            }
        }
    }
}

/// The file form of a stored memo.
#[derive(Deserialize)]
struct Stored {
    renderer: String,
    toolchain: Option<Toolchain>,
    shown: HashMap<String, String>,
}

#[derive(Serialize)]
struct StoredRef<'a> {
    renderer: &'a str,
    toolchain: &'a Option<Toolchain>,
    shown: &'a HashMap<String, String>,
}

fn ask(rustc: &OsStr, dir: &Path, args: &[&str]) -> Vec<u8> {
    Command::new(rustc)
        .args(args)
        .current_dir(dir)
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default()
}

/// What the version depends on, read without running anything: the environment that
/// picks the compiler, the `rustc` that `PATH` finds (rustup's proxy, or a compiler),
/// rustup's settings (`rustup default`, directory overrides), the toolchain files, and
/// the compiler in the sysroot (replaced by `rustup update` or a package upgrade).
fn stamp(rustc: &OsStr, sysroot: &Path, files: &[u8]) -> String {
    let var = |k: &str| std::env::var_os(k).unwrap_or_default();
    let rustup_home = std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".rustup")));
    let paths = [
        on_path(rustc, &var("PATH")),
        rustup_home.map(|home| home.join("settings.toml")),
        Some(sysroot.join("bin").join(rustc_file())),
    ];
    let mut parts: Vec<Vec<u8>> = ["RUSTC", "RUSTUP_TOOLCHAIN", "RUSTUP_HOME", "PATH"]
        .iter()
        .map(|k| var(k).into_encoded_bytes())
        .collect();
    parts.push(rustc.as_encoded_bytes().to_vec());
    parts.push(files.to_vec());
    for path in paths.iter().flatten() {
        parts.push(path.as_os_str().as_encoded_bytes().to_vec());
        parts.push(match std::fs::metadata(path) {
            Ok(meta) => format!("{:?} {}", meta.modified().ok(), meta.len()).into_bytes(),
            Err(_) => b"missing".to_vec(),
        });
    }
    let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    crate::digest::hash(&parts)
}

fn rustc_file() -> &'static str {
    if cfg!(windows) {
        "rustc.exe"
    } else {
        "rustc"
    }
}

/// The file that running `program` starts: a path as it is, a bare name from `PATH`.
fn on_path(program: &OsStr, path: &OsString) -> Option<PathBuf> {
    let program = Path::new(program);
    if program.components().count() > 1 {
        return Some(program.to_path_buf());
    }
    std::env::split_paths(path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake compiler in `dir/bin/rustc` that prints `version` and counts its runs.
    #[cfg(unix)]
    fn fake_rustc(dir: &Path, version: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let rustc = bin.join("rustc");
        let script = format!(
            "#!/bin/sh\necho \"$@\" >> '{calls}'\nif [ \"$1\" = -V ]; then echo '{version}'; else echo '{root}'; fi\n",
            calls = dir.join("calls").display(),
            root = dir.display(),
        );
        std::fs::write(&rustc, script).unwrap();
        std::fs::set_permissions(&rustc, std::fs::Permissions::from_mode(0o755)).unwrap();
        rustc
    }

    #[cfg(unix)]
    fn calls(dir: &Path) -> usize {
        std::fs::read_to_string(dir.join("calls"))
            .unwrap_or_default()
            .lines()
            .count()
    }

    #[test]
    #[cfg(unix)]
    fn a_session_asks_the_compiler_again_only_when_it_or_its_files_changed() {
        let dir = std::env::temp_dir().join(format!("d2lbook-memo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let rustc = fake_rustc(&dir, "rustc 1.0.0 (fake)");
        let mut memo = Memo::session();
        let version = |memo: &mut Memo, files: &[u8]| {
            String::from_utf8(memo.rustc_version(rustc.as_os_str(), &dir, files)).unwrap()
        };
        assert_eq!(version(&mut memo, b"a"), "rustc 1.0.0 (fake)\n");
        // Its version, then its sysroot.
        assert_eq!(calls(&dir), 2);
        assert_eq!(version(&mut memo, b"a"), "rustc 1.0.0 (fake)\n");
        assert_eq!(calls(&dir), 2, "an unchanged toolchain is not asked again");
        // A rust-toolchain file changed: asked again.
        assert_eq!(version(&mut memo, b"b"), "rustc 1.0.0 (fake)\n");
        assert_eq!(calls(&dir), 4);
        // The compiler replaced (`rustup update`): its new version.
        fake_rustc(&dir, "rustc 1.1.0 (a longer fake)");
        assert_eq!(version(&mut memo, b"b"), "rustc 1.1.0 (a longer fake)\n");
        assert_eq!(calls(&dir), 6);

        // A one-shot build asks once, its version only, every time.
        let mut once = Memo::default();
        assert_eq!(version(&mut once, b"b"), "rustc 1.1.0 (a longer fake)\n");
        assert_eq!(version(&mut once, b"b"), "rustc 1.1.0 (a longer fake)\n");
        assert_eq!(calls(&dir), 8);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    #[cfg(unix)]
    fn a_stored_memo_carries_the_version_and_the_cells_to_the_next_build() {
        let dir = std::env::temp_dir().join(format!("d2lbook-stored-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let rustc = fake_rustc(&dir, "rustc 1.0.0 (fake)");
        let file = dir.join("cache/eval.json");
        let build = |renderer: &str, cells: &[&str]| {
            let mut memo = Memo::stored(file.clone(), renderer);
            let version = memo.rustc_version(rustc.as_os_str(), &dir, b"a");
            assert_eq!(version, b"rustc 1.0.0 (fake)\n");
            let shown: Vec<String> = cells.iter().map(|c| memo.shown(c)).collect();
            memo.end_run();
            shown
        };
        // Marks the file as old; whether a build wrote it since.
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1);
        let make_old = || {
            let f = std::fs::File::options().write(true).open(&file).unwrap();
            f.set_modified(old).unwrap();
        };
        let written = || std::fs::metadata(&file).unwrap().modified().unwrap() != old;

        assert_eq!(
            build("d2lbook 1", &["x", "y"]),
            ["d2l::show!(x);", "d2l::show!(y);"]
        );
        assert_eq!(calls(&dir), 2);
        // The next build asks nothing, parses nothing, and writes nothing.
        make_old();
        assert_eq!(
            build("d2lbook 1", &["x", "y"]),
            ["d2l::show!(x);", "d2l::show!(y);"]
        );
        assert_eq!(calls(&dir), 2);
        assert!(!written(), "an unchanged memo is not written again");
        // A cell edited away is forgotten: the memo is written.
        build("d2lbook 1", &["x"]);
        assert!(written());
        assert_eq!(calls(&dir), 2);
        assert_eq!(Memo::stored(file.clone(), "d2lbook 1").shown.len(), 1);
        // Another binary's memo, or a damaged one, is not read: the compiler is asked.
        build("d2lbook 2", &["x"]);
        assert_eq!(calls(&dir), 4);
        std::fs::write(&file, "{\"renderer\": \"d2lbook 2\", \"shown\": 3}").unwrap();
        build("d2lbook 2", &["x"]);
        assert_eq!(calls(&dir), 6);
        // A cell's code edited by hand in the file: the file is not trusted.
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("d2l::show!(x);"), "{text}");
        std::fs::write(&file, text.replace("d2l::show!(x);", "evil();")).unwrap();
        build("d2lbook 2", &["x"]);
        assert_eq!(calls(&dir), 8);
        assert_eq!(
            Memo::stored(file.clone(), "d2lbook 2").shown["x"],
            "d2l::show!(x);"
        );
        // The compiler replaced: asked again, as in a session.
        fake_rustc(&dir, "rustc 1.0.0 (fake)");
        build("d2lbook 2", &["x"]);
        assert_eq!(calls(&dir), 10);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn shown_cells_are_kept_for_the_next_run_only_while_they_are_in_the_book() {
        let mut memo = Memo::session();
        assert_eq!(memo.shown("let x = 1;\nx"), "let x = 1;\nd2l::show!(x);");
        assert_eq!(memo.shown("y.sum()?"), "d2l::show!(y.sum()?);");
        memo.end_run();
        assert_eq!(memo.shown.len(), 2);
        // The next run sees only the first cell: the second is forgotten after it.
        assert_eq!(memo.shown("let x = 1;\nx"), "let x = 1;\nd2l::show!(x);");
        assert_eq!(memo.shown("let x = 1;\nx"), "let x = 1;\nd2l::show!(x);");
        memo.end_run();
        assert_eq!(
            memo.shown.keys().collect::<Vec<_>>(),
            [&"let x = 1;\nx".to_string()]
        );
        // A one-shot memo keeps nothing.
        let mut once = Memo::default();
        assert_eq!(once.shown("x"), "d2l::show!(x);");
        once.end_run();
        assert!(once.shown.is_empty());
    }
}
