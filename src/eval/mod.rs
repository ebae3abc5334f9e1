//! The eval stage: runs every section's Rust cells and puts their outputs on the cells.
//! Sections whose inputs are unchanged come from the cache; the rest are built by one
//! cargo invocation and run in parallel, each with a timeout.

mod cache;
mod cargo;
pub mod library;
mod program;
mod protocol;
mod run;

use crate::book::Book;
use crate::diag::Diagnostic;
use crate::doc::{for_each_block, visit_blocks_mut, Block, Code, Doc, Output, Span};
use cache::{Cache, Failure, Record};
use program::Program;
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// What the stage did: sections with cells, how many ran, how many came from the cache.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub sections: usize,
    pub ran: usize,
    pub cached: usize,
    pub compile_seconds: f64,
    pub run_seconds: f64,
}

struct Job {
    section: usize,
    bin: String,
    program: Program,
    key: String,
    cells: Vec<CellInfo>,
}

struct CellInfo {
    span: Span,
    allow_error: bool,
}

pub fn evaluate(book: &Book, docs: &mut [Doc], progress: bool) -> (Stats, Vec<Diagnostic>) {
    let mut stats = Stats::default();
    let mut diags = Vec::new();
    let config = &book.config.eval;
    let out_dir = book.root.join(&book.config.build.output_dir);
    let package = match cargo::Package::new(&book.root, &out_dir, config) {
        Ok(p) => p,
        Err(e) => {
            if has_rust_cells(docs) {
                diags.push(Diagnostic::error(e).help("set `[eval] library` to the path of the d2l crate, or `[eval] enabled = false`"));
            }
            return (stats, diags);
        }
    };
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let lock = package
        .lock_file()
        .and_then(|p| std::fs::read(p).ok())
        .unwrap_or_default();
    let settings = format!(
        "{:?}|{:?}|{}",
        config.features, config.dependencies, config.timeout
    );
    let cache = Cache::new(
        out_dir.join("eval/cache"),
        &[
            &cache::library_fingerprint(&book.root.join(&config.library)),
            &lock,
            &rustc,
            settings.as_bytes(),
        ],
    );

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
        let program = program::generate(&section.file, &cells);
        jobs.push(Job {
            section: i,
            bin: bin_name(&section.src),
            // Outputs quote chapter lines: where the code sits is part of the key.
            key: cache.key(&format!("{}{:?}", program.source, program.origin)),
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
        let built = package.build(config, &sources);
        stats.compile_seconds = started.elapsed().as_secs_f64();
        match built {
            Err(e) => diags.push(Diagnostic::error(e)),
            Ok(built) => {
                let started = Instant::now();
                let timeout = Duration::from_secs(config.timeout);
                let fresh: Vec<(usize, &Job, Record)> = todo
                    .par_iter()
                    .map(|job| {
                        bar.message(format!("running {}", book.sections[job.section].file));
                        let record = execute(
                            job,
                            &built,
                            &package,
                            timeout,
                            &book.sections[job.section].file,
                        );
                        bar.tick();
                        (job.section, *job, record)
                    })
                    .collect();
                stats.run_seconds = started.elapsed().as_secs_f64();
                for (section, job, record) in fresh {
                    if let Err(e) = cache.put(&job.key, &record) {
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

/// Builds a section's record from compile errors, or from running its program.
fn execute(
    job: &Job,
    built: &cargo::Built,
    package: &cargo::Package,
    timeout: Duration,
    file: &str,
) -> Record {
    let n = job.cells.len();
    let mut record = Record {
        outputs: vec![Vec::new(); n],
        failures: Vec::new(),
    };
    let errors: Vec<&cargo::CompilerMessage> = built
        .messages
        .iter()
        .filter(|m| m.bin == job.bin && m.level == "error")
        .collect();
    if !errors.is_empty() || !built.executables.contains_key(&job.bin) {
        for m in errors {
            let (cell, line, col) = locate(&job.program, m.at, n);
            // rustc's own look under the cell, the code in brackets in the build's list.
            let (under_cell, listed) = match &m.code {
                Some(code) => (
                    format!("error[{code}]: {}", m.message),
                    format!("[{code}] {}", m.message),
                ),
                None => (format!("error: {}", m.message), m.message.clone()),
            };
            let mut text = format!("{under_cell}\n  --> {file}:{line}:{col}");
            for note in &m.notes {
                text.push_str(&format!("\n  = {note}"));
            }
            record.outputs[cell].push(Output::Error(text));
            record.failures.push(Failure {
                cell,
                message: format!("cell does not compile: {listed}"),
                line,
                col,
            });
        }
        if record.failures.is_empty() {
            record.failures.push(Failure {
                cell: 0,
                message: "the section's program was not built".into(),
                line: job.cells[0].span.line,
                col: 1,
            });
        }
        return record;
    }
    let exe = &built.executables[&job.bin];
    let finished = match run::run(exe, &package.dir, timeout) {
        Ok(f) => f,
        Err(e) => {
            record.failures.push(Failure {
                cell: 0,
                message: format!("cannot run the section's program: {e}"),
                line: job.cells[0].span.line,
                col: 1,
            });
            return record;
        }
    };
    let parsed = protocol::parse(&finished.stdout, &finished.stderr, n);
    record.outputs = parsed.cells;
    let last = parsed.last_cell.unwrap_or(0).min(n - 1);
    let cell_line = job.cells[last].span.line;
    if finished.timed_out {
        let message = format!(
            "timed out after {} s in cell {} of {file} (`[eval] timeout`)",
            timeout.as_secs(),
            last + 1
        );
        record.outputs[last].push(Output::Error(message.clone()));
        record.failures.push(Failure {
            cell: last,
            message,
            line: cell_line,
            col: 1,
        });
    } else if let Some(error) = parsed.error {
        record.outputs[last].push(Output::Error(format!("Error: {error}")));
        record.failures.push(Failure {
            cell: last,
            message: format!("cell returned an error: {error}"),
            line: cell_line,
            col: 1,
        });
    } else if !finished.success {
        // A panic: rustc's location in the generated file becomes the chapter's.
        let outputs = &mut record.outputs[last];
        let mut found = None;
        for output in outputs.iter_mut() {
            if let Output::Stderr(text) = output {
                if let Some(panic) = panic_message(text, &job.bin) {
                    let (cell, line, col) = locate(&job.program, panic.at, n);
                    let message = panic.message.clone();
                    *output = Output::Error(format!("panicked at {file}:{line}:{col}:\n{message}"));
                    found = Some(Failure {
                        cell,
                        message: format!("cell panicked: {message}"),
                        line,
                        col,
                    });
                }
            }
        }
        let failure = found.unwrap_or_else(|| Failure {
            cell: last,
            message: if finished.flooded {
                "the program wrote too much output and was stopped".into()
            } else {
                "the program crashed".into()
            },
            line: cell_line,
            col: 1,
        });
        if failure.message.starts_with("the program") {
            outputs.push(Output::Error(failure.message.clone()));
        }
        record.failures.push(failure);
    }
    if !record.failures.is_empty() {
        for outputs in record.outputs.iter_mut().skip(last + 1) {
            outputs.push(Output::Note("not run: an earlier cell failed".into()));
        }
    }
    record
}

/// The cell, chapter line and column of a generated location.
fn locate(program: &Program, at: Option<(usize, usize)>, cells: usize) -> (usize, usize, usize) {
    let (line, col) = at.unwrap_or((0, 1));
    match program.locate(line) {
        Some((cell, chapter_line)) => (cell, chapter_line, col),
        None => {
            // A line of the scaffolding: attribute it to the nearest cell line above.
            let before = (1..line).rev().find_map(|l| program.locate(l));
            let (cell, chapter_line) = before.unwrap_or((cells - 1, 1));
            (cell, chapter_line, 1)
        }
    }
}

struct Panic {
    at: Option<(usize, usize)>,
    message: String,
}

/// `thread 'main' panicked at src/bin/NAME.rs:12:5:\nmessage\nnote: …`
fn panic_message(stderr: &str, bin: &str) -> Option<Panic> {
    let start = stderr.find("panicked at ")?;
    let rest = &stderr[start + "panicked at ".len()..];
    let (location, body) = rest.split_once(":\n").unwrap_or((rest, ""));
    let message: Vec<&str> = body
        .lines()
        .take_while(|l| !l.starts_with("note: run with"))
        .collect();
    let prefix = format!("src/bin/{bin}.rs:");
    let at = location.strip_prefix(&prefix).and_then(|lc| {
        let (l, c) = lc.split_once(':')?;
        Some((l.parse().ok()?, c.parse().ok()?))
    });
    Some(Panic {
        at,
        message: if at.is_some() {
            message.join("\n")
        } else {
            format!("{}\n(at {location})", message.join("\n"))
        },
    })
}

/// A valid, stable binary name for a section: `chapter_x/linear-regression.md` →
/// `s_chapter_x_linear_regression`.
fn bin_name(src: &str) -> String {
    let stem = src.rsplit_once('.').map_or(src, |(s, _)| s);
    let name: String = stem
        .chars()
        .map(|c| match c {
            '/' => '_',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => '_',
        })
        .collect();
    format!("s_{name}")
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A progress bar on a terminal; nothing otherwise.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(enabled: bool, total: usize) -> Progress {
        use std::io::IsTerminal;
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{spinner} eval [{pos}/{len}] {wide_msg}")
        {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress(Some(bar))
    }

    fn message(&self, text: String) {
        if let Some(b) = &self.0 {
            b.set_message(text);
        }
    }

    fn tick(&self) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_locations_are_read() {
        let p = panic_message("thread 'main' panicked at src/bin/s_a.rs:12:5:\nboom\nnote: run with `RUST_BACKTRACE=1`\n", "s_a").unwrap();
        assert_eq!(p.at, Some((12, 5)));
        assert_eq!(p.message, "boom");
    }

    #[test]
    fn bin_names_are_valid() {
        assert_eq!(
            bin_name("chapter_x/linear-regression.md"),
            "s_chapter_x_linear_regression"
        );
    }
}
