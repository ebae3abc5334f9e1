//! What a `serve` session keeps between rebuilds, so that an edit does not pay the eval
//! stage's fixed costs again (on the sample book with its cells, 75 ms of a prose
//! edit's 143):
//! - the toolchain's version, asked again only when something it comes from changed:
//!   `rustc -V` through rustup costs 30–45 ms (rustup resolves the toolchain, rustc
//!   starts);
//! - each cell's code with its last expression shown: syn parses every cell of the book
//!   (about 20 ms for the sample book's 130 cells).
//!
//! A one-shot build asks and parses once, and keeps nothing.

use super::program::display_last_expression;
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
}

/// A version of the compiler and what it was read from.
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
        let shown = self
            .shown
            .remove(code)
            .unwrap_or_else(|| display_last_expression(code));
        self.shown_now.insert(code.to_string(), shown.clone());
        shown
    }

    /// Ends a run: the cells it did not see (edited away) are forgotten.
    pub(super) fn end_run(&mut self) {
        self.shown = std::mem::take(&mut self.shown_now);
    }
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
