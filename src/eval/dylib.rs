//! Linking the section programs against the library as one shared object: a program
//! linked statically makes the linker go through the library and every crate under it
//! (candle, gemm, ...) on each build, about 0.15 s of the 0.5 s that rebuilding an edited
//! section costs. The wrapper (`direct`) gives a program's rustc command the library as a
//! `dylib` instead: a one-line crate named `d2l` that re-exports the library and holds
//! it, with everything under it, built once per build of the library and kept in the
//! target folder (`d2lbook-dylib/`). The program finds it, and Rust's standard library,
//! through its run path, since it runs with an empty environment.
//!
//! Only on Linux, and only for the programs whose one crate is the library: a book that
//! gives its cells more crates (`[eval] dependencies`) may share them with the library,
//! which cannot then be linked both ways; those programs stay static.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The folder, under the profile's folder of the target folder, that holds the shared
/// libraries.
const DIR: &str = "d2lbook-dylib";

/// `args` (a program's rustc command) with the library linked as a shared object, built
/// first if needed; `None` when the program is not one to link so, or the shared object
/// cannot be built (the program is then linked statically, as cargo asked).
pub(super) fn rewrite(rustc: &Path, args: &[OsString]) -> Option<Vec<OsString>> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let externs: Vec<usize> = (0..args.len()).filter(|&i| args[i] == "--extern").collect();
    let [at] = externs[..] else {
        return None;
    };
    let rlib = PathBuf::from(args.get(at + 1)?.to_str()?.strip_prefix("d2l=")?);
    let out_dir = PathBuf::from(args.get(flag_at(args, "--out-dir")? + 1)?);
    let shared = shared_library(rustc, &rlib, &out_dir, &dependency_dirs(args))?;
    let folder = shared.parent()?;
    let libdir = target_libdir(rustc)?;
    let mut rewritten = args.to_vec();
    rewritten[at + 1] = format!("d2l={}", shared.to_str()?).into();
    for arg in [
        "-C".into(),
        "prefer-dynamic".into(),
        "-L".into(),
        format!("native={}", folder.display()).into(),
        "-C".into(),
        format!("link-arg=-Wl,-rpath,{}", folder.display()).into(),
        "-C".into(),
        format!("link-arg=-Wl,-rpath,{}", libdir.display()).into(),
    ] {
        rewritten.push(arg);
    }
    Some(rewritten)
}

fn flag_at(args: &[OsString], name: &str) -> Option<usize> {
    args.iter().position(|a| a == name)
}

/// The `-L dependency=...` folders, where rustc finds the crates under the library.
fn dependency_dirs(args: &[OsString]) -> Vec<OsString> {
    args.windows(2)
        .filter(|pair| pair[0] == "-L")
        .map(|pair| pair[1].clone())
        .collect()
}

/// Where this toolchain keeps the standard library's shared object.
fn target_libdir(rustc: &Path) -> Option<PathBuf> {
    let out = Command::new(rustc)
        .args(["--print", "target-libdir"])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let dir = String::from_utf8(out.stdout).ok()?;
    out.status.success().then(|| PathBuf::from(dir.trim_end()))
}

/// The shared object for the library `rlib`, built if it is not there. It is named after
/// the library's path and file stamp: a library built again gets a new one, and the older
/// ones of that path are removed (a program still linked to one is built again anyway,
/// since its library changed). Several builds may ask at once: one builds, under a lock.
fn shared_library(
    rustc: &Path,
    rlib: &Path,
    out_dir: &Path,
    dependency_dirs: &[OsString],
) -> Option<PathBuf> {
    let meta = std::fs::metadata(rlib).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    let family = crate::digest::hash(&[
        rlib.as_os_str().as_encoded_bytes(),
        rustc.as_os_str().as_encoded_bytes(),
    ]);
    let family = &family[..16];
    let stamp = crate::digest::hash(&[
        &meta.len().to_le_bytes(),
        &modified.as_nanos().to_le_bytes(),
    ]);
    let root = out_dir.parent()?.join(DIR);
    let folder = root.join(format!("{family}-{}", &stamp[..16]));
    let shared = folder.join("libd2l.so");
    if shared.is_file() {
        return Some(shared);
    }
    std::fs::create_dir_all(&root).ok()?;
    let lock = std::fs::File::create(root.join(format!("{family}.lock"))).ok()?;
    lock.lock().ok()?;
    if !shared.is_file() {
        build(rustc, rlib, &folder, dependency_dirs)?;
        remove_older(&root, family, &folder);
    }
    Some(shared)
}

/// Builds the shared object into a folder beside `folder`, then renames it into place.
fn build(rustc: &Path, rlib: &Path, folder: &Path, dependency_dirs: &[OsString]) -> Option<()> {
    let tmp = folder.with_extension(format!("tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).ok()?;
    let source = tmp.join("lib.rs");
    std::fs::write(&source, "pub use d2l_real::*;\n").ok()?;
    let libdir = target_libdir(rustc)?;
    let mut cmd = Command::new(rustc);
    cmd.args([
        "--crate-name",
        "d2l",
        "--crate-type",
        "dylib",
        "--edition",
        "2021",
    ])
    .arg(&source)
    .args(["-C", "prefer-dynamic", "-C", "strip=debuginfo"])
    .arg("-C")
    .arg(format!("link-arg=-Wl,-rpath,{}", libdir.display()))
    .arg("-C")
    .arg(format!(
        "metadata=d2lbook-dylib-{}",
        folder.file_name()?.to_string_lossy()
    ))
    .arg("--extern")
    .arg(format!("d2l_real={}", rlib.display()))
    .arg("--out-dir")
    .arg(&tmp)
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    for dir in dependency_dirs {
        cmd.arg("-L").arg(dir);
    }
    let built = cmd.status().ok()?.success() && tmp.join("libd2l.so").is_file();
    if !built || std::fs::rename(&tmp, folder).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
        return None;
    }
    Some(())
}

/// Removes the shared objects of earlier builds of the same library.
fn remove_older(root: &Path, family: &str, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path != keep && path.is_dir() && name.starts_with(&format!("{family}-")) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn rustc() -> PathBuf {
        std::env::var_os("RUSTC").map_or("rustc".into(), PathBuf::from)
    }

    /// Builds the library `d2l` (a function and a macro) into `deps`.
    fn library(deps: &Path, answer: u32) -> PathBuf {
        let source = deps.parent().unwrap().join("lib.rs");
        std::fs::write(
            &source,
            format!(
                "pub fn answer() -> u32 {{ {answer} }}\n\
                 #[macro_export]\nmacro_rules! shout {{ ($e:expr) => {{ println!(\"{{}}!\", $e) }} }}\n"
            ),
        )
        .unwrap();
        let status = Command::new(rustc())
            .args([
                "--crate-name",
                "d2l",
                "--crate-type",
                "rlib",
                "--edition",
                "2021",
            ])
            .arg(&source)
            .args(["-C", "metadata=test"])
            .arg("--out-dir")
            .arg(deps)
            .status()
            .unwrap();
        assert!(status.success());
        deps.join("libd2l.rlib")
    }

    /// Builds the program with `args` and returns what it prints, run as eval runs it:
    /// with an empty environment.
    fn build_and_run(args: &[OsString], exe: &Path) -> String {
        assert!(Command::new(rustc()).args(args).status().unwrap().success());
        let out = Command::new(exe).env_clear().output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn shared_of(args: &[OsString]) -> PathBuf {
        args.iter()
            .find_map(|a| a.to_str()?.strip_prefix("d2l=").map(PathBuf::from))
            .unwrap()
    }

    #[test]
    fn a_program_links_the_library_built_once_as_a_shared_object_and_again_when_it_changes() {
        let dir = std::env::temp_dir().join(format!("d2lbook-dylib-{}", std::process::id()));
        let deps = dir.join("debug/deps");
        std::fs::create_dir_all(&deps).unwrap();
        let main = dir.join("main.rs");
        std::fs::write(&main, "fn main() { d2l::shout!(d2l::answer() + 1); }\n").unwrap();
        let rlib = library(&deps, 41);
        let args: Vec<OsString> = vec![
            "--crate-name".into(),
            "s".into(),
            "--edition=2021".into(),
            main.clone().into(),
            "--crate-type".into(),
            "bin".into(),
            "--out-dir".into(),
            deps.clone().into(),
            "-L".into(),
            format!("dependency={}", deps.display()).into(),
            "--extern".into(),
            format!("d2l={}", rlib.display()).into(),
        ];
        let exe = deps.join("s");

        let dynamic = rewrite(&rustc(), &args).expect("linked as a shared object");
        let first = shared_of(&dynamic);
        assert!(first.starts_with(dir.join("debug").join(DIR)), "{first:?}");
        assert_eq!(build_and_run(&dynamic, &exe), "42!\n");
        // The program needs the shared object: the library is not in it.
        let bytes = std::fs::read(&exe).unwrap();
        assert!(bytes.windows(10).any(|w| w == b"libd2l.so\0"));
        // Asked again, the same shared object, not built again.
        let modified = std::fs::metadata(&first).unwrap().modified().unwrap();
        assert_eq!(shared_of(&rewrite(&rustc(), &args).unwrap()), first);
        assert_eq!(
            std::fs::metadata(&first).unwrap().modified().unwrap(),
            modified
        );

        // The library built again: a new shared object, the old one removed.
        std::thread::sleep(std::time::Duration::from_millis(20));
        library(&deps, 1);
        let dynamic = rewrite(&rustc(), &args).unwrap();
        let second = shared_of(&dynamic);
        assert_ne!(second, first);
        assert!(!first.parent().unwrap().exists());
        assert_eq!(build_and_run(&dynamic, &exe), "2!\n");

        // A program given more crates than the library is left as cargo asked.
        let mut more = args.clone();
        more.extend([
            "--extern".into(),
            format!("other={}", rlib.display()).into(),
        ]);
        assert!(rewrite(&rustc(), &more).is_none());
        let _ = std::fs::remove_dir_all(dir);
    }
}
