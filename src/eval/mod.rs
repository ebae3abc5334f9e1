//! The eval stage: runs every section's Rust cells and puts their outputs on the cells.
//! Sections whose inputs are unchanged come from the cache; the rest are built by one
//! cargo invocation (or, when only their programs changed, by rustc with the commands
//! cargo ran: `direct`), linked against the library as one shared object (`dylib`), and
//! run in parallel, each with a timeout.

pub mod archive;
mod cache;
mod cargo;
pub mod direct;
mod dylib;
mod execute;
pub mod library;
mod memo;
mod program;
mod progress;
mod protocol;
mod run;
pub mod shard;

use crate::book::Book;
use crate::diag::Diagnostic;
use crate::doc::{for_each_block, visit_blocks_mut, Block, Code, Doc, Output, Span};
use cache::{Cache, Failure, Record};
use execute::execute;
pub use memo::Memo;
use program::Program;
use progress::Progress;
use rayon::prelude::*;
pub use shard::{Device, Selection};
use std::time::{Duration, Instant};

/// What the stage did: sections with cells, how many ran, how many came from the cache.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub sections: usize,
    /// Sections with cells that another shard or device runs (`Selection`).
    pub elsewhere: usize,
    pub ran: usize,
    pub cached: usize,
    pub compile_seconds: f64,
    pub run_seconds: f64,
}

struct Job {
    section: usize,
    bin: String,
    program: Program,
    /// What the section's key hashes besides the inputs all sections share.
    material: Vec<u8>,
    key: String,
    cells: Vec<CellInfo>,
}

/// What every section's run shares.
struct RunContext {
    timeout: Duration,
    /// The programs' whole environment (see `program_env`).
    env: Vec<(String, String)>,
    /// `<output_dir>/eval/work`: a scratch folder per section, and the data files.
    work_root: std::path::PathBuf,
}

struct CellInfo {
    span: Span,
    allow_error: bool,
}

/// Where each section's cells must run, by `[eval] gpu` (globs of section paths).
fn devices(book: &Book) -> Result<Vec<Device>, Diagnostic> {
    let mut globs = globset::GlobSetBuilder::new();
    for pattern in &book.config.eval.gpu {
        let glob = globset::Glob::new(pattern).map_err(|e| {
            Diagnostic::error(format!("invalid glob `{pattern}` in [eval] gpu: {e}"))
        })?;
        globs.add(glob);
    }
    let globs = globs
        .build()
        .map_err(|e| Diagnostic::error(format!("[eval] gpu: {e}")))?;
    Ok(book
        .sections
        .iter()
        .map(|s| {
            if globs.is_match(&s.src) {
                Device::Gpu
            } else {
                Device::Cpu
            }
        })
        .collect())
}

/// The sections with Rust cells that `device` (all when `None`) runs, each with the shard
/// of `n` it is planned on.
pub fn shard_plan(
    book: &Book,
    docs: &[Doc],
    n: usize,
    device: Option<Device>,
) -> Result<Vec<shard::Planned>, Diagnostic> {
    let devices = devices(book)?;
    let out_dir = book.root.join(&book.config.build.output_dir);
    let timings = shard::read_timings(&out_dir.join(TIMINGS));
    let sections: Vec<usize> = (0..book.sections.len())
        .filter(|&i| has_rust_cells(&docs[i..i + 1]))
        .filter(|&i| device.is_none_or(|d| devices[i] == d))
        .collect();
    let weights: Vec<(&str, Option<f64>)> = sections
        .iter()
        .map(|&i| {
            let src = book.sections[i].src.as_str();
            (src, timings.get(src).copied())
        })
        .collect();
    let plan = shard::plan(&weights, n);
    Ok(sections
        .iter()
        .zip(weights)
        .zip(plan)
        .map(|((&section, (src, seconds)), shard)| shard::Planned {
            section,
            src: src.to_string(),
            seconds,
            shard,
        })
        .collect())
}

/// The sections' last run times, under the output folder (see `shard`).
const TIMINGS: &str = "eval/timings.json";

pub fn evaluate(
    book: &Book,
    docs: &mut [Doc],
    progress: bool,
    selection: Selection,
    memo: &mut Memo,
) -> (Stats, Vec<Diagnostic>) {
    let mut stats = Stats::default();
    let mut diags = Vec::new();
    let config = &book.config.eval;
    // Absolute: the programs run in scratch folders of their own, and are handed paths
    // (the data file) under the output folder.
    let out_dir = book.root.join(&book.config.build.output_dir);
    let out_dir = std::path::absolute(&out_dir).unwrap_or(out_dir);
    // A book without Rust cells needs no package, no toolchain and no cache.
    if !has_rust_cells(docs) {
        return (stats, diags);
    }
    let package = match cargo::Package::new(&book.root, &out_dir, config) {
        Ok(p) => p,
        Err(e) => {
            diags.push(Diagnostic::error(e).help(
                "set `[eval] library` to the path of the d2l crate, or `[eval] enabled = false`",
            ));
            return (stats, diags);
        }
    };
    // The lock file the build will use, seeded from the library's when the package has
    // none or the dependencies changed.
    let lock = match package.prepare_lock(config) {
        Ok(lock) => lock,
        Err(e) => {
            diags.push(Diagnostic::error(e));
            return (stats, diags);
        }
    };
    let common = common_inputs(book, &package, memo, &mut diags);
    let cache_dir = out_dir.join("eval/cache");
    let cache = Cache::new(cache_dir.clone(), &[&common, &*cargo::resolved(&lock)]);
    // Names of binaries and of the package are unique per book and section: books share
    // the target folder, and two file names can slug alike (`a-b.md`, `a_b.md`).
    let book_id = book
        .root
        .canonicalize()
        .unwrap_or_else(|_| book.root.clone());
    let book_id = book_id.to_string_lossy();
    let devices = match devices(book) {
        Ok(devices) => devices,
        Err(e) => {
            diags.push(e);
            return (stats, diags);
        }
    };
    // The sections this run leaves to other shards or devices.
    let mut elsewhere = std::collections::HashSet::new();
    if selection.shard.is_some() || selection.device.is_some() {
        let (i, n) = selection.shard.unwrap_or((1, 1));
        match shard_plan(book, docs, n, selection.device) {
            Ok(plan) => {
                let mine: std::collections::HashSet<usize> = plan
                    .iter()
                    .filter(|p| p.shard == i)
                    .map(|p| p.section)
                    .collect();
                elsewhere.extend((0..book.sections.len()).filter(|s| !mine.contains(s)));
            }
            Err(e) => {
                diags.push(e);
                return (stats, diags);
            }
        }
    }
    let mut jobs = Vec::new();
    for (i, (section, doc)) in book.sections.iter().zip(docs.iter()).enumerate() {
        let mut cells: Vec<&Code> = Vec::new();
        for_each_block(&doc.blocks, &mut |b| {
            if let Block::Code(c) = b {
                if c.cell.is_some() && c.lang == "rust" {
                    cells.push(c);
                }
            }
        });
        if cells.is_empty() {
            continue;
        }
        if elsewhere.contains(&i) {
            stats.elsewhere += 1;
            continue;
        }
        let chapter = book.src_dir().join(&section.src);
        let chapter_dir = chapter.parent().unwrap_or(&book.root);
        let chapter_dir = chapter_dir
            .canonicalize()
            .unwrap_or_else(|_| chapter_dir.to_path_buf());
        let program = program::generate(&section.file, &chapter_dir, &cells, memo);
        // Outputs quote chapter lines: where the code sits is part of the key, and so are
        // the files its cells `include_*!`.
        // The device the section declares is part of its key, and so are the features
        // that only GPU sections build with.
        let gpu_features = match devices[i] {
            Device::Gpu => format!("{:?}", config.gpu_features),
            Device::Cpu => String::new(),
        };
        let mut material = format!(
            "{}{:?}{}{gpu_features}",
            program.source,
            program.origin,
            devices[i].name()
        )
        .into_bytes();
        for input in &program.inputs {
            material.extend(cache::file_fingerprint(input));
        }
        jobs.push(Job {
            section: i,
            bin: bin_name(&book_id, &section.src),
            key: cache.key(&material),
            material,
            cells: cells
                .iter()
                .map(|c| CellInfo {
                    span: c.span.clone(),
                    allow_error: c.cell.as_ref().is_some_and(|m| m.allow_error),
                })
                .collect(),
            program,
        });
    }
    memo.end_run();
    stats.sections = jobs.len();

    let mut records: Vec<(usize, Record)> = Vec::new();
    let mut todo: Vec<&Job> = Vec::new();
    for job in &jobs {
        match cache.get(&job.key) {
            Some(record) => records.push((job.section, record)),
            None => todo.push(job),
        }
    }
    stats.cached = records.len();

    if !todo.is_empty() {
        let bar = Progress::new(progress, todo.len());
        bar.message(format!(
            "compiling {} section{}",
            todo.len(),
            plural(todo.len())
        ));
        let started = Instant::now();
        let sources: Vec<(String, String)> = todo
            .iter()
            .map(|j| (j.bin.clone(), j.program.source.clone()))
            .collect();
        if progress && !config.dependencies.is_empty() && !package.offline(config) {
            eprintln!(
                "note: eval: `[eval] dependencies` changed since the last build: cargo may go online to fetch them"
            );
        }
        // A GPU section to build brings the GPU features into this build.
        let config = if todo.iter().any(|j| devices[j.section] == Device::Gpu) {
            let mut with_gpu = config.clone();
            with_gpu
                .features
                .extend(config.gpu_features.iter().cloned());
            std::borrow::Cow::Owned(with_gpu)
        } else {
            std::borrow::Cow::Borrowed(config)
        };
        let config = config.as_ref();
        let built = package.build(config, &common, &sources);
        stats.compile_seconds = started.elapsed().as_secs_f64();
        match built {
            Err(e) => diags.push(Diagnostic::error(e)),
            Ok(built) => {
                // Cargo may have resolved new versions: the outputs belong to the lock
                // the programs were built with.
                let cache = match std::fs::read(package.dir.join("Cargo.lock")) {
                    Ok(built_lock) if built_lock != lock => Cache::new(
                        cache_dir.clone(),
                        &[&common, &*cargo::resolved(&built_lock)],
                    ),
                    _ => cache,
                };
                let started = Instant::now();
                let ctx = RunContext {
                    timeout: Duration::from_secs(config.timeout),
                    env: program_env(config, &book.root),
                    work_root: out_dir.join("eval/work"),
                };
                let fresh: Vec<(usize, &Job, Record, f64)> = todo
                    .par_iter()
                    .map(|job| {
                        bar.message(format!("running {}", book.sections[job.section].file));
                        let started = Instant::now();
                        let record = execute(job, &built, &ctx, &book.sections[job.section].file);
                        bar.tick();
                        (job.section, *job, record, started.elapsed().as_secs_f64())
                    })
                    .collect();
                stats.run_seconds = started.elapsed().as_secs_f64();
                // Run times plan later shards (`shard::plan`).
                let timings: Vec<(String, f64)> = fresh
                    .iter()
                    .map(|(section, _, _, seconds)| (book.sections[*section].src.clone(), *seconds))
                    .collect();
                if let Err(e) = shard::write_timings(&out_dir.join(TIMINGS), &timings) {
                    diags.push(Diagnostic::warning(format!(
                        "cannot write the eval timings: {e}"
                    )));
                }
                for (section, job, record, _) in fresh {
                    // Transient failures (timeout, crash by signal, no process) may not
                    // happen again: never cached.
                    let put = if record.transient {
                        Ok(())
                    } else {
                        cache.put(&cache.key(&job.material), &record)
                    };
                    if let Err(e) = put {
                        diags.push(Diagnostic::warning(format!(
                            "cannot write the eval cache: {e}"
                        )));
                    }
                    records.push((section, record));
                    stats.ran += 1;
                }
            }
        }
        bar.finish();
    }

    for (section, record) in records {
        let job = jobs
            .iter()
            .find(|j| j.section == section)
            .expect("a job per record");
        for failure in &record.failures {
            let cell = &job.cells[failure.cell.min(job.cells.len() - 1)];
            if cell.allow_error {
                continue;
            }
            let span = Span {
                line: failure.line,
                col: failure.col,
                len: 1,
                ..cell.span.clone()
            };
            diags.push(Diagnostic::error(failure.message.clone()).at(&span));
        }
        fill_outputs(&mut docs[section], record.outputs);
    }
    (stats, diags)
}

/// What every section's cache key shares: everything besides its own cells (and the lock
/// file, added by the caller) that can change what a program prints.
fn common_inputs(
    book: &Book,
    package: &cargo::Package,
    memo: &mut Memo,
    diags: &mut Vec<Diagnostic>,
) -> Vec<u8> {
    let config = &book.config.eval;
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    // `rustc -V` in the package's folder, so that `rust-toolchain.toml` files apply; the
    // files themselves too (components, targets).
    let mut toolchain = Vec::new();
    let root = std::path::absolute(&book.root).unwrap_or_else(|_| book.root.clone());
    for dir in root.ancestors().chain(package.library().ancestors()) {
        for name in ["rust-toolchain.toml", "rust-toolchain"] {
            let file = dir.join(name);
            if file.is_file() {
                toolchain.extend(cache::file_fingerprint(&file));
            }
        }
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let rustc = memo.rustc_version(&rustc, &package.dir, &toolchain);
    // Path crates of `[eval] dependencies` are hashed like the library.
    let mut path_crates = Vec::new();
    for (name, dep) in &config.dependencies {
        if let Some(path) = dep.get("path").and_then(|p| p.as_str()) {
            path_crates.extend(cache::hash(&[name.as_bytes()]).into_bytes());
            path_crates.extend(cache::library_fingerprint(&book.root.join(path)));
        }
    }
    let inputs = match cache::inputs_fingerprint(
        &book.root,
        &config.inputs,
        &book.root.join(&book.config.build.output_dir),
    ) {
        Ok(f) => f,
        Err(e) => {
            diags.push(Diagnostic::error(e).help("`[eval] inputs` is a list of globs relative to the book root, such as `\"data/*.csv\"`"));
            Vec::new()
        }
    };
    let settings = format!(
        "{:?}|{:?}|{}|{:?}",
        config.features, config.dependencies, config.timeout, config.env
    );
    let protocol = protocol::VERSION.to_string();
    // The device the programs see; a book that declares its GPU sections (`[eval] gpu`)
    // keys them by that declaration instead, so that the outputs of a GPU machine serve
    // a machine without one.
    let devices = if config.gpu.is_empty() {
        var("CUDA_VISIBLE_DEVICES")
    } else {
        String::new()
    };
    let rustc_var = var("RUSTC");
    let parts: [&[u8]; 10] = [
        env!("CARGO_PKG_VERSION").as_bytes(),
        protocol.as_bytes(),
        &cache::library_fingerprint(package.library()),
        &rustc,
        rustc_var.as_bytes(),
        &toolchain,
        settings.as_bytes(),
        // The device the programs see.
        devices.as_bytes(),
        &path_crates,
        &inputs,
    ];
    cache::hash(&parts).into_bytes()
}

/// The environment of the programs, and nothing else of d2lbook's: `PATH` and `HOME`
/// (tools and caches need them), `LANG=C.UTF-8`, `D2L_BOOK_ROOT` (the book's absolute
/// root, to read its files from the scratch working directory), the `D2L_*` variables of
/// the protocol, `RUST_BACKTRACE=0` (panic messages are read), `CUDA_VISIBLE_DEVICES` when
/// set (the device is part of the cache key), then `[eval] env`, which overrides them.
fn program_env(
    config: &crate::config::EvalConfig,
    root: &std::path::Path,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = ["PATH", "HOME", "CUDA_VISIBLE_DEVICES"]
        .iter()
        .filter_map(|k| Some((k.to_string(), std::env::var(k).ok()?)))
        .collect();
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    env.push(("D2L_BOOK_ROOT".into(), root.to_string_lossy().into_owned()));
    for (k, v) in [
        ("LANG", "C.UTF-8"),
        ("D2L_EVAL", "1"),
        ("D2L_SEED", "0"),
        ("RUST_BACKTRACE", "0"),
    ] {
        env.push((k.into(), v.into()));
    }
    for (k, v) in &config.env {
        env.retain(|(key, _)| key != k);
        env.push((k.clone(), v.clone()));
    }
    env
}

fn has_rust_cells(docs: &[Doc]) -> bool {
    let mut found = false;
    for doc in docs {
        for_each_block(&doc.blocks, &mut |b| {
            found |= matches!(b, Block::Code(c) if c.cell.is_some() && c.lang == "rust");
        });
    }
    found
}

fn fill_outputs(doc: &mut Doc, outputs: Vec<Vec<Output>>) {
    let mut outputs = outputs.into_iter();
    visit_blocks_mut(&mut doc.blocks, &mut |b| {
        if let Block::Code(c) = b {
            if c.cell.is_some() && c.lang == "rust" {
                c.outputs = outputs.next().unwrap_or_default();
            }
        }
    });
}

/// A valid binary name for a section, unique per book and section and stable across
/// builds: a readable slug of the source path and a hash of the book's canonical root and
/// the path, e.g. `chapter_x/linear-regression.md` → `s_chapter_x_linear_regression_1f2e3d4c5b6a`.
/// The hash keeps apart what the slug merges (`a-b.md` and `a_b.md`, `線形.md` and
/// `代数.md`) and the same file name in two books that share a target folder.
fn bin_name(book_id: &str, src: &str) -> String {
    let stem = src.rsplit_once('.').map_or(src, |(s, _)| s);
    let slug: String = stem
        .chars()
        .filter_map(|c| match c {
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            '/' | '-' | '_' | '.' | ' ' => Some('_'),
            _ => None,
        })
        .take(40)
        .collect();
    let id = cache::hash(&[book_id.as_bytes(), src.as_bytes()]);
    format!("s_{slug}_{}", &id[..12])
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_names_are_valid_and_unique() {
        let name = bin_name("/book", "chapter_x/linear-regression.md");
        assert!(name.starts_with("s_chapter_x_linear_regression_"), "{name}");
        assert_eq!(name.len(), "s_chapter_x_linear_regression_".len() + 12);
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        assert_eq!(name, bin_name("/book", "chapter_x/linear-regression.md"));
        assert_ne!(bin_name("/book", "a-b.md"), bin_name("/book", "a_b.md"));
        assert_ne!(bin_name("/book", "線形.md"), bin_name("/book", "代数.md"));
        assert_ne!(bin_name("/a", "same.md"), bin_name("/b", "same.md"));
    }
}
