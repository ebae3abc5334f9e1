//! Rebuilding an edited section without cargo: cargo spends about 0.3 s around a 0.5 s
//! rustc call to find that only the section's program changed. When cargo builds the
//! programs, the d2lbook binary stands between cargo and rustc (cargo's
//! `RUSTC_WORKSPACE_WRAPPER`, which wraps the package's own binaries only, never the
//! dependencies) and writes down each program's rustc command. A later build whose
//! dependencies are exactly those of that command (`seed`: the library's sources, the
//! lock file, the toolchain, the settings, the target folder) and whose crates are the
//! files cargo had built runs the command itself; anything else goes through cargo, which
//! writes the commands again.

use super::cargo::{compiler_message, Built};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::OnceLock;

/// Where the wrapper writes the commands, and the seed it writes into them.
const RECORDS_VAR: &str = "D2LBOOK_RUSTC_RECORDS";
const SEED_VAR: &str = "D2LBOOK_RUSTC_SEED";

/// The executable cargo runs as the wrapper: set by the d2lbook binary (a program that
/// uses the library, such as a test harness, is not a wrapper and always goes through
/// cargo).
static WRAPPER: OnceLock<PathBuf> = OnceLock::new();

/// Makes this executable the wrapper of later cargo builds.
pub fn enable(exe: PathBuf) {
    let _ = WRAPPER.set(exe);
}

/// One program's rustc command, as cargo ran it.
#[derive(Serialize, Deserialize)]
struct Record {
    seed: String,
    rustc: PathBuf,
    args: Vec<OsString>,
    /// The `CARGO_*` variables cargo set for rustc (`env!` reads them), but its
    /// jobserver's, whose descriptors belong to that cargo.
    env: Vec<(OsString, OsString)>,
    dir: PathBuf,
    /// The crates the program is given (`--extern`) as they were when cargo had built
    /// them: a dependency built again since, by any book sharing the target folder, makes
    /// cargo build the program.
    externs: Vec<(PathBuf, Option<Stamp>)>,
}

/// A file's length and modification time.
#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Stamp(u64, std::time::SystemTime);

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp(meta.len(), meta.modified().ok()?))
}

/// Whether `record` was written for `seed`, its dependencies are as they were then, and
/// the crates it is given are there (the library's shared object, made from those
/// dependencies, may have been removed alone).
fn usable(record: &Record, seed: &str) -> bool {
    record.seed == seed
        && record
            .externs
            .iter()
            .all(|(path, then)| then.is_some() && stamp(path) == *then)
        && externs(&record.args).iter().all(|path| path.is_file())
}

/// The files of the `--extern name=path` arguments.
fn externs(args: &[OsString]) -> Vec<PathBuf> {
    args.windows(2)
        .filter(|pair| pair[0] == "--extern")
        .filter_map(|pair| Some(PathBuf::from(pair[1].to_str()?.split_once('=')?.1)))
        .collect()
}

/// When cargo runs this executable as rustc's wrapper (`d2lbook RUSTC ARGS...`): writes
/// down a binary's command, runs rustc and returns its exit status; `None` otherwise.
pub fn wrap_if_asked() -> Option<ExitCode> {
    let records = std::env::var_os(RECORDS_VAR)?;
    let mut args = std::env::args_os().skip(1);
    let rustc = PathBuf::from(args.next()?);
    let args: Vec<OsString> = args.collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.to_str())
    };
    let mut command = args.clone();
    if let (Some(name), Some("bin")) = (flag("--crate-name"), flag("--crate-type")) {
        if let Some(dynamic) = super::dylib::rewrite(&rustc, &args) {
            command = dynamic;
        }
        let record = Record {
            seed: std::env::var(SEED_VAR).unwrap_or_default(),
            rustc: rustc.clone(),
            args: command.clone(),
            env: std::env::vars_os()
                .filter(|(k, _)| {
                    let k = k.to_string_lossy();
                    k.starts_with("CARGO") && k != "CARGO_MAKEFLAGS"
                })
                .collect(),
            dir: std::env::current_dir().unwrap_or_default(),
            // The library's own files: the shared object is made from them.
            externs: externs(&args)
                .into_iter()
                .map(|p| (p.clone(), stamp(&p)))
                .collect(),
        };
        // Without its record, the program is built by cargo next time: nothing to report.
        if let Ok(json) = serde_json::to_vec(&record) {
            write_replacing(&Path::new(&records).join(format!("{name}.json")), &json);
        }
    }
    let status = Command::new(&rustc).args(&command).status();
    Some(match status.map(|s| s.code()) {
        Ok(Some(0)) => ExitCode::SUCCESS,
        Ok(Some(code)) => ExitCode::from(code.clamp(1, 255) as u8),
        _ => ExitCode::FAILURE,
    })
}

/// The variables that make cargo's build write the commands down (none when this
/// executable is not the wrapper).
pub(super) fn wrapper_env(records: &Path, seed: &str) -> Vec<(&'static str, OsString)> {
    let Some(exe) = WRAPPER.get() else {
        return Vec::new();
    };
    if std::fs::create_dir_all(records).is_err() {
        return Vec::new();
    }
    vec![
        ("RUSTC_WORKSPACE_WRAPPER", exe.into()),
        (RECORDS_VAR, records.into()),
        (SEED_VAR, seed.into()),
    ]
}

/// The written-down command of `bin`, if there is a readable one.
fn read_record(records: &Path, bin: &str) -> Option<Record> {
    let json = std::fs::read(records.join(format!("{bin}.json"))).ok()?;
    serde_json::from_slice(&json).ok()
}

/// Gives the commands of `bins` a new seed (cargo changed the lock file while it built
/// them; the commands are those of the new one).
pub(super) fn reseed(records: &Path, bins: &[String], seed: &str) {
    for bin in bins {
        let Some(mut record) = read_record(records, bin) else {
            continue;
        };
        record.seed = seed.to_string();
        if let Ok(json) = serde_json::to_vec(&record) {
            write_replacing(&records.join(format!("{bin}.json")), &json);
        }
    }
}

/// Makes cargo build again the programs of `bins` whose written-down command gives them a
/// crate that is gone (the library's shared object, removed by hand): cargo, which knows
/// only its own files, would take them as built and leave programs that cannot start.
/// Their sources (in `sources`) are marked as modified now.
pub(super) fn rebuild_if_incomplete(records: &Path, bins: &[String], sources: &Path) {
    for bin in bins {
        let Some(record) = read_record(records, bin) else {
            continue;
        };
        if externs(&record.args).iter().all(|path| path.is_file()) {
            continue;
        }
        let source = sources.join(format!("{bin}.rs"));
        if let Ok(file) = std::fs::File::options().write(true).open(source) {
            let _ = file.set_modified(std::time::SystemTime::now());
        }
    }
}

/// Writes beside and renames: a build reading the file never sees half of it.
pub(super) fn write_replacing(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Builds `bins` with their written-down commands, or `None` when one has no command for
/// this `seed`, is given a crate that was built again or removed since, or rustc did not
/// finish with a program or a diagnostic: then cargo builds them.
pub(super) fn build(records: &Path, seed: &str, bins: &[String]) -> Option<Built> {
    use rayon::prelude::*;
    let mut commands = Vec::new();
    for bin in bins {
        let record = read_record(records, bin)?;
        if !usable(&record, seed) {
            return None;
        }
        commands.push((bin, record));
    }
    let results: Vec<Option<(Option<PathBuf>, Vec<Value>)>> = commands
        .par_iter()
        .map(|(_, record)| {
            let out = Command::new(&record.rustc)
                .args(&record.args)
                .envs(record.env.iter().map(|(k, v)| (k, v)))
                .current_dir(&record.dir)
                .stdin(Stdio::null())
                .output()
                .ok()?;
            let mut exe = None;
            let mut diagnostics = Vec::new();
            for line in String::from_utf8_lossy(&out.stderr).lines() {
                let Ok(msg) = serde_json::from_str::<Value>(line) else {
                    continue;
                };
                if msg["$message_type"] == "artifact" && msg["emit"] == "link" {
                    exe = msg["artifact"].as_str().map(PathBuf::from);
                } else if msg["$message_type"] == "diagnostic" {
                    diagnostics.push(msg);
                }
            }
            let failed = !out.status.success();
            let errors = diagnostics.iter().any(|d| d["level"] == "error");
            // A failure that is not the program's fault (a crashed rustc, a broken
            // dependency) is cargo's to report.
            (exe.is_some() && !failed || failed && errors).then_some((exe, diagnostics))
        })
        .collect();
    let mut built = Built {
        executables: HashMap::new(),
        messages: Vec::new(),
    };
    for ((bin, _), result) in commands.into_iter().zip(results) {
        let (exe, diagnostics) = result?;
        if let Some(exe) = exe {
            built.executables.insert(bin.clone(), exe);
        }
        built
            .messages
            .extend(diagnostics.iter().map(|d| compiler_message(bin.clone(), d)));
    }
    Some(built)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dependency_built_again_or_gone_makes_cargo_build() {
        let records = std::env::temp_dir().join(format!("d2lbook-rebuilt-{}", std::process::id()));
        std::fs::create_dir_all(&records).unwrap();
        let rlib = records.join("libd2l-1.rlib");
        std::fs::write(&rlib, b"rlib").unwrap();
        let args: Vec<OsString> = vec![
            "--crate-name".into(),
            "s".into(),
            "--extern".into(),
            format!("d2l={}", rlib.display()).into(),
        ];
        assert_eq!(externs(&args), vec![rlib.clone()]);
        let record = Record {
            seed: "seed".into(),
            rustc: "rustc".into(),
            args,
            env: Vec::new(),
            dir: records.clone(),
            externs: vec![(rlib.clone(), stamp(&rlib))],
        };
        assert!(usable(&record, "seed"));
        assert!(!usable(&record, "other seed"));
        std::fs::write(&rlib, b"rebuilt, longer").unwrap();
        assert!(!usable(&record, "seed"));
        std::fs::remove_file(&rlib).unwrap();
        assert!(!usable(&record, "seed"));

        // The command gives the library's shared object: usable while it is there.
        std::fs::write(&rlib, b"rlib").unwrap();
        let shared = records.join("libd2l.so");
        std::fs::write(&shared, b"so").unwrap();
        let record = Record {
            args: vec![
                "--extern".into(),
                format!("d2l={}", shared.display()).into(),
            ],
            externs: vec![(rlib.clone(), stamp(&rlib))],
            ..record
        };
        assert!(usable(&record, "seed"));
        std::fs::remove_file(&shared).unwrap();
        assert!(!usable(&record, "seed"));
        // Gone, it makes cargo build the program again: its source is newer than before.
        let source = records.join("s.rs");
        std::fs::write(&source, b"fn main() {}").unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1);
        let make_old = || {
            let file = std::fs::File::options().write(true).open(&source);
            file.unwrap().set_modified(old).unwrap();
        };
        make_old();
        std::fs::write(records.join("s.json"), serde_json::to_vec(&record).unwrap()).unwrap();
        rebuild_if_incomplete(&records, &["s".into()], &records);
        let modified = std::fs::metadata(&source).unwrap().modified().unwrap();
        assert!(modified > old);
        // There, nothing is touched.
        std::fs::write(&shared, b"so").unwrap();
        make_old();
        rebuild_if_incomplete(&records, &["s".into()], &records);
        assert_eq!(std::fs::metadata(&source).unwrap().modified().unwrap(), old);
        let _ = std::fs::remove_dir_all(records);
    }

    #[test]
    fn without_a_command_for_the_seed_cargo_builds() {
        let records = std::env::temp_dir().join(format!("d2lbook-records-{}", std::process::id()));
        std::fs::create_dir_all(&records).unwrap();
        let record = Record {
            seed: "old".into(),
            rustc: "rustc".into(),
            args: Vec::new(),
            env: Vec::new(),
            dir: records.clone(),
            externs: Vec::new(),
        };
        std::fs::write(records.join("s.json"), serde_json::to_vec(&record).unwrap()).unwrap();
        assert!(build(&records, "new", &["s".into()]).is_none());
        assert!(build(&records, "old", &["t".into()]).is_none());
        let _ = std::fs::remove_dir_all(records);
    }
}
