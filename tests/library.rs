//! The library `d2l` (d2l-lib/, a workspace of its own): its tests pass, and a book's
//! generated eval package reuses everything they compiled, so candle is compiled once per
//! machine, not once for the project and again for the first eval.

mod common;
use common::TempBook;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

const LIBRARY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/d2l-lib");

/// Runs cargo in `dir` with the target folder d2lbook gives the eval package.
fn cargo(dir: &Path, args: &[&str]) -> std::process::Output {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .unwrap_or_else(|| Path::new(LIBRARY).join("target").into_os_string());
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .args(args)
        .output()
        .expect("run cargo")
}

/// What a cargo build with `--message-format=json` compiled or found fresh: the files of
/// each unit, by package, leaving out the path packages (the library and the book's own).
fn registry_artifacts(out: &std::process::Output) -> BTreeMap<String, BTreeSet<String>> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let id = msg["package_id"].as_str().unwrap_or_default();
        if msg["reason"] != "compiler-artifact" || id.starts_with("path+") {
            continue;
        }
        let names = msg["filenames"].as_array().into_iter().flatten();
        files
            .entry(id.to_string())
            .or_default()
            .extend(names.filter_map(Value::as_str).map(str::to_string));
    }
    files
}

#[test]
fn the_library_tests_pass() {
    let out = cargo(Path::new(LIBRARY), &["test"]);
    assert!(
        out.status.success(),
        "cargo test of d2l-lib failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_first_eval_reuses_the_compiled_library_dependencies() {
    let library = registry_artifacts(&cargo(
        Path::new(LIBRARY),
        &["test", "--no-run", "--message-format=json"],
    ));
    assert!(library.keys().any(|id| id.contains("#candle-core@")));

    let book = TempBook::empty("reuse").with(&[
        (
            "book.toml",
            &format!("[book]\ntitle = \"R\"\n[eval]\nlibrary = \"{LIBRARY}\"\n"),
        ),
        ("index.md", "# R\n\n```toc\nsec\n```\n"),
        (
            "sec.md",
            "# S\n\n```{.rust .input}\nTensor::ones(2, DType::F32, &Device::Cpu)?\n```\n",
        ),
    ]);
    let run = book.run(&["build", "eval"]);
    assert!(run.ok, "{}", run.stderr);
    // The package as d2lbook wrote and built it, asked again what it is made of.
    let package = book.root.join("_build/eval/package");
    let eval = registry_artifacts(&cargo(
        &package,
        &["build", "--offline", "--message-format=json"],
    ));
    assert!(eval.keys().any(|id| id.contains("#candle-core@")));
    let compiled_again: Vec<&String> = eval
        .iter()
        .filter(|(id, files)| !library.get(*id).is_some_and(|l| files.is_subset(l)))
        .map(|(id, _)| id)
        .collect();
    assert!(
        compiled_again.is_empty(),
        "the eval package compiles these differently from the library's workspace: {compiled_again:#?}"
    );

    // The project's own build (the main job, the tests) does not compile candle at all.
    let tree = cargo(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &[
            "tree",
            "--offline",
            "--edges=all",
            "--prefix=none",
            "--format={p}",
        ],
    );
    assert!(
        tree.status.success(),
        "{}",
        String::from_utf8_lossy(&tree.stderr)
    );
    let tree = String::from_utf8_lossy(&tree.stdout);
    assert!(tree.lines().any(|l| l.starts_with("typst ")));
    assert!(
        !tree.lines().any(|l| l.starts_with("candle-core ")),
        "d2lbook's workspace resolves candle: the library's features would be unified with d2lbook's"
    );
}
