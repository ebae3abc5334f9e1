//! Fuzzing the front end in-process: parse → resolve → render the HTML pages (math
//! through KaTeX in some cases) and the Typst markup (math through mitex), over arbitrary
//! bytes and over mutations of real chapters (the sample book and the fixture books);
//! with each case, the same text as a notebook, a book.toml and a .bib, and every
//! diagnostic rendered against its source.
//! A case passes when nothing panics, the Typst markup parses, and it ends within
//! `CASE_LIMIT`.
//!
//! `cargo test --test fuzz` runs a short smoke run over a fixed sequence of cases; a long
//! run, over random ones, is
//! `D2LBOOK_FUZZ_SECONDS=1800 cargo test --test fuzz -- --nocapture`, which prints runs
//! per second and the counts at the end. A failing case is shrunk and printed; it then
//! becomes one of the named regression tests at the end of this file. A case that kills
//! the process (a stack overflow aborts, it cannot be caught) is left in
//! `$TMPDIR/d2lbook-fuzz-case.txt`, written before each case runs.

use arbtest::arbitrary::{Result, Unstructured};
use d2lbook::build::{front_end, STACK_SIZE};
use d2lbook::cite::{Bibliography, CitationStyle};
use d2lbook::config::Config;
use d2lbook::parse::parse_notebook;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A case that runs longer than this is a hang.
const CASE_LIMIT: Duration = Duration::from_secs(10);
/// Seconds of the smoke run in `cargo test`, when `D2LBOOK_FUZZ_SECONDS` is not set.
const SMOKE_SECONDS: u64 = 15;
/// One case in this many renders its math with KaTeX (about 2 ms an equation).
const KATEX_EVERY: usize = 8;

/// Marks of the dialect and characters that have broken parsers before.
const TOKENS: &[&str] = &[
    ":label:`x`",
    ":label:`sec_a`",
    ":numref:`x`",
    ":ref:`sec_a`",
    ":eqref:`eq`",
    ":eqlabel:`eq`",
    ":cite:`a,b`",
    ":citet:`a`",
    ":bibliography:`d.bib`",
    ":width:`400px`",
    ":begin_tab:`a`",
    ":begin_tab:`a, b`",
    ":end_tab:",
    ":",
    "::",
    "$",
    "$$",
    "$x$",
    "$$\\begin{aligned}a&=b\\\\c\\end{aligned}$$",
    "\\newcommand{\\a}{\\a\\a}\\a",
    "\\href{x}{y}",
    "{",
    "}",
    "\\",
    ">",
    "> ",
    "*",
    "**",
    "_",
    "~~",
    "`",
    "```",
    "```toc\n:maxdepth: 2\n\nx\n```",
    "```{.rust .input}\n//@tab a\nlet x = 1;\n```",
    "```eval_rst\n.. only:: html\n\n   x\n```",
    "- ",
    "1. ",
    "# ",
    "|a|b|\n|-|-|\n|1|2|",
    "![c](i.png)",
    "[**x**]",
    "(~~x~~)",
    "<div>",
    "é",
    "あいう",
    "表",
    "\u{301}",
    "\u{feff}",
    "\t",
    "\r",
    "\r\n",
    "\0",
    "\n",
    "\n\n",
];

static RUNS: AtomicUsize = AtomicUsize::new(0);

/// The seed chapters.
fn corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    for dir in ["chapters", "tests/books/en/src", "tests/books/d2l-style"] {
        collect_md(&root.join(dir), &mut texts);
    }
    texts.sort();
    texts
}

fn collect_md(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_md(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.extend(std::fs::read_to_string(&path).ok());
        }
    }
}

/// Chapter texts (the first is the book's `index.md`) and what else a case feeds the
/// other readers: a notebook, a `book.toml`, a `.bib`.
#[derive(Debug, Clone)]
struct Case {
    texts: Vec<String>,
    notebook: String,
    toml: String,
    bib: String,
}

fn case(u: &mut Unstructured, corpus: &[String]) -> Result<Case> {
    let texts = sections(u, corpus)?;
    // The first chapter as a notebook's markdown and code cells, maybe cut short.
    let cell = |kind: &str, text: &str| {
        format!(
            "{{\"cell_type\": \"{kind}\", \"source\": {}}}",
            serde_json::to_string(text).unwrap_or_default()
        )
    };
    let mut notebook = format!(
        "{{\"metadata\": {{\"kernelspec\": {{\"language\": \"rust\"}}}}, \"cells\": [{}, {}]}}",
        cell("markdown", &texts[0]),
        cell("code", texts.last().map_or("", String::as_str)),
    );
    if u.ratio(1, 3)? {
        let cut = u.int_in_range(0..=notebook.len())?;
        let cut = (0..=cut)
            .rev()
            .find(|&i| notebook.is_char_boundary(i))
            .unwrap_or(0);
        notebook.truncate(cut);
    }
    if u.ratio(1, 8)? {
        notebook = notebook.replace('\n', "\r\n");
    }
    let toml = format!(
        "[book]\ntitle = {:?}\n[html]\nheader_links = [{{ label = \"x\", url = {:?} }}]\n{}",
        u.arbitrary::<&str>()?,
        u.arbitrary::<&str>()?,
        u.arbitrary::<&str>()?
    );
    let bib = format!(
        "@book{{{}, author = {{{}}}, title = {{{}}}, year = {{{}}}}}\n{}",
        u.arbitrary::<&str>()?,
        u.arbitrary::<&str>()?,
        u.arbitrary::<&str>()?,
        u.arbitrary::<&str>()?,
        u.arbitrary::<&str>()?
    );
    Ok(Case {
        texts,
        notebook,
        toml,
        bib,
    })
}

/// One or two section texts made from `u`.
fn sections(u: &mut Unstructured, corpus: &[String]) -> Result<Vec<String>> {
    let sections = if u.ratio(1, 4)? { 2 } else { 1 };
    let mut texts = Vec::new();
    for _ in 0..sections {
        let text = match u.int_in_range(0..=9)? {
            0 => String::from_utf8_lossy(u.arbitrary::<&[u8]>()?).into_owned(),
            1 => tokens(u)?,
            2 => math(u)?,
            3 => nesting(u)?,
            _ => mutated(u, corpus)?,
        };
        texts.push(text);
    }
    Ok(texts)
}

/// Dialect tokens and bits of text in any order.
fn tokens(u: &mut Unstructured) -> Result<String> {
    let mut text = String::new();
    for _ in 0..u.int_in_range(1..=40)? {
        if u.ratio(1, 4)? {
            text.push_str(u.arbitrary::<&str>()?);
        } else {
            text.push_str(u.choose(TOKENS)?);
        }
    }
    Ok(text)
}

/// A paragraph of display or inline math made of TeX pieces.
fn math(u: &mut Unstructured) -> Result<String> {
    const TEX: &[&str] = &[
        "x",
        "^",
        "_",
        "{",
        "}",
        "\\frac",
        "\\mathbf",
        "\\left(",
        "\\right)",
        "\\\\",
        "&",
        "\\begin{aligned}",
        "\\end{aligned}",
        "\\begin{bmatrix}",
        "\\end{bmatrix}",
        "\\text{",
        "\\newcommand{\\a}",
        "[1]",
        "#1",
        "\\a",
        "\\def\\b",
        "\\b",
        "\\label{x}",
        "\\tag{1}",
        "\\sqrt",
        "[",
        "]",
        "|",
        "\\|",
        "\\operatorname*{a}",
        "\\color{red}",
        "\\href{a}{b}",
        "$",
        "é",
        "あ",
        " ",
        "\\set{",
        "\\mathbb{R}",
        "\\sum_{i=1}^n",
        "\\choose",
        "~",
    ];
    let mut tex = String::new();
    for _ in 0..u.int_in_range(1..=30)? {
        tex.push_str(u.choose(TEX)?);
    }
    Ok(if u.arbitrary()? {
        format!("# M\n\n$$\n{tex}\n$$\n:eqlabel:`eq`\n\nSee :eqref:`eq`.\n")
    } else {
        format!("# M\n\nInline ${tex}$ math.\n")
    })
}

/// Deep quotes, lists and emphasis around the limit of `parse::MAX_NESTING`.
fn nesting(u: &mut Unstructured) -> Result<String> {
    let depth = u.int_in_range(1..=200)?;
    let inner = u.choose(&["x", "$x$", ":numref:`x`", "**y**", "![a](b.png)"])?;
    Ok(match u.int_in_range(0..=3)? {
        0 => format!("{}{inner}\n", "> ".repeat(depth)),
        1 => (0..depth)
            .map(|i| format!("{}- {inner}\n", "  ".repeat(i)))
            .collect(),
        2 => format!("{}{inner}{}\n", "*".repeat(depth), "*".repeat(depth)),
        _ => format!("{}{inner}{}\n", "[".repeat(depth), "](u)".repeat(depth)),
    })
}

/// A seed chapter with line edits and tokens inserted.
fn mutated(u: &mut Unstructured, corpus: &[String]) -> Result<String> {
    let mut lines: Vec<String> = u.choose(corpus)?.lines().map(String::from).collect();
    for _ in 0..u.int_in_range(1..=8)? {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let at = u.choose_index(lines.len())?;
        match u.int_in_range(0..=6)? {
            // Splice lines of another chapter in.
            0 => {
                let other: Vec<&str> = u.choose(corpus)?.lines().collect();
                if !other.is_empty() {
                    let from = u.choose_index(other.len())?;
                    let n = u.int_in_range(1..=20)?.min(other.len() - from);
                    let spliced = other[from..from + n].iter().map(|l| l.to_string());
                    lines.splice(at..at, spliced);
                }
            }
            // Duplicate a run of lines.
            1 => {
                let n = u.int_in_range(1..=10)?.min(lines.len() - at);
                let copy = lines[at..at + n].to_vec();
                lines.splice(at..at, copy);
            }
            // Delete a run of lines.
            2 => {
                let n = u.int_in_range(1..=10)?.min(lines.len() - at);
                lines.drain(at..at + n);
            }
            // A token inside a line, at a character boundary.
            3 | 4 => {
                let line = &mut lines[at];
                let bounds: Vec<usize> = line
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([line.len()])
                    .collect();
                let i = *u.choose(&bounds)?;
                line.insert_str(i, u.choose(TOKENS)?);
            }
            // Prefix a line with container marks.
            5 => {
                let prefix = u.choose(&["> ", "- ", "  ", "1. ", ":", "    "])?;
                let n = u.int_in_range(1..=4)?;
                lines[at] = format!("{}{}", prefix.repeat(n), lines[at]);
            }
            // Drop a character from a line.
            _ => {
                let line = &mut lines[at];
                if let Some((i, _)) = line.char_indices().nth(u.int_in_range(0..=7)?) {
                    line.remove(i);
                }
            }
        }
    }
    let ending = if u.ratio(1, 8)? { "\r\n" } else { "\n" };
    Ok(lines.join(ending))
}

/// The generated Typst must parse: every text of the book goes through a string literal
/// and every formula is checked, so nothing a chapter holds can break the markup.
fn typst_parses(typst: &str) -> std::result::Result<(), String> {
    let root = typst::syntax::parse(typst);
    let (errors, _) = root.errors_and_warnings();
    match errors.first() {
        Some(e) => Err(format!("the Typst markup does not parse: {}", e.message)),
        None => Ok(()),
    }
}

/// How a case ended, if badly.
#[derive(Debug, PartialEq)]
enum Failure {
    Panic(String),
    Hang,
}

/// Every reader and renderer on one case.
fn exercise(case: &Case, katex: bool) {
    let refs: Vec<&str> = case.texts.iter().map(String::as_str).collect();
    let out = front_end(&refs, katex);
    if let Err(e) = typst_parses(&out.typst) {
        panic!("{e}");
    }
    for d in &out.diagnostics {
        d.render(&|file| {
            let i = match file.strip_prefix('s') {
                Some(n) => n.trim_end_matches(".md").parse().ok()?,
                None => 0,
            };
            case.texts.get(i).cloned()
        });
    }
    let (_, diags) = parse_notebook(
        &case.notebook,
        "nb.ipynb",
        Path::new("."),
        &d2lbook::fence::Fence::closed(),
    );
    for d in diags {
        d.render(&|_| Some(case.notebook.clone()));
    }
    if let Err(d) = Config::from_toml(&case.toml, "book.toml") {
        d.render(&|_| Some(case.toml.clone()));
    }
    if let Err(diags) =
        Bibliography::parse(&case.bib, "refs.bib", CitationStyle::named("apa").unwrap())
    {
        for d in diags {
            d.render(&|_| Some(case.bib.clone()));
        }
    }
}

/// Runs a case on its own thread, as the build runs a section.
fn run(case: &Case, katex: bool) -> std::result::Result<(), Failure> {
    RUNS.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = mpsc::channel();
    let case = case.clone();
    std::thread::Builder::new()
        .stack_size(STACK_SIZE)
        .spawn(move || {
            let result = std::panic::catch_unwind(|| exercise(&case, katex));
            let _ = tx.send(result.map_err(|e| {
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            }));
        })
        .expect("spawn a case thread");
    match rx.recv_timeout(CASE_LIMIT) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(message)) => Err(Failure::Panic(message)),
        // The thread may still run: a hang ends the fuzzing run, it is not shrunk.
        Err(_) => Err(Failure::Hang),
    }
}

/// Shrinks a panicking case: drops chunks of characters of each of its texts while it
/// still panics.
fn shrink(mut case: Case, katex: bool) -> Case {
    let mut tries = 0;
    for field in 0..case.texts.len() + 3 {
        let get = |c: &Case| -> String {
            match field.checked_sub(c.texts.len()) {
                None => c.texts[field].clone(),
                Some(0) => c.notebook.clone(),
                Some(1) => c.toml.clone(),
                Some(_) => c.bib.clone(),
            }
        };
        let set = |c: &mut Case, value: String| match field.checked_sub(c.texts.len()) {
            None => c.texts[field] = value,
            Some(0) => c.notebook = value,
            Some(1) => c.toml = value,
            Some(_) => c.bib = value,
        };
        let mut chunk = get(&case).chars().count().max(1);
        while chunk > 0 && tries < 400 {
            let chars: Vec<char> = get(&case).chars().collect();
            let mut start = 0;
            let mut shrunk = false;
            while start < chars.len() && tries < 400 {
                tries += 1;
                let mut candidate = case.clone();
                let smaller = chars[..start]
                    .iter()
                    .chain(&chars[(start + chunk).min(chars.len())..])
                    .collect();
                set(&mut candidate, smaller);
                if matches!(run(&candidate, katex), Err(Failure::Panic(_))) {
                    case = candidate;
                    shrunk = true;
                    break;
                }
                start += chunk;
            }
            if !shrunk {
                chunk /= 2;
            }
        }
    }
    case
}

#[test]
fn fuzz_the_front_end() {
    let long = std::env::var("D2LBOOK_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok());
    let long_run = long.is_some();
    let seconds = long.unwrap_or(SMOKE_SECONDS);
    let corpus = corpus();
    assert!(!corpus.is_empty(), "the seed chapters are found");
    let started = Instant::now();
    let last_case = std::env::temp_dir().join("d2lbook-fuzz-case.txt");
    let mut failures: Vec<(Case, String)> = Vec::new();
    let mut hang = false;
    let mut property = |u: &mut Unstructured| {
        if hang || failures.len() >= 5 {
            return Ok(());
        }
        let case = case(u, &corpus)?;
        let _ = std::fs::write(&last_case, format!("{case:#?}\n"));
        let katex = RUNS.load(Ordering::Relaxed).is_multiple_of(KATEX_EVERY);
        match run(&case, katex) {
            Ok(()) => {}
            Err(Failure::Hang) => {
                hang = true;
                failures.push((case, format!("no result in {CASE_LIMIT:?}")));
            }
            Err(Failure::Panic(message)) => {
                let small = shrink(case, katex);
                failures.push((small, format!("panic: {message}")));
            }
        }
        Ok(())
    };
    if long_run {
        arbtest::arbtest(&mut property)
            .size_max(64 * 1024)
            .budget(Duration::from_secs(seconds))
            .run();
    } else {
        // The smoke run in `cargo test` reads the same cases in the same order every time
        // (a slower machine reads fewer), so CI never turns red by chance; new ground is
        // for the long run.
        let mut size: u64 = 32;
        let mut k: u64 = 0;
        while started.elapsed().as_secs() < seconds {
            k += 1;
            let entropy = d2lbook::digest::hash(&[&k.to_le_bytes()]);
            let entropy = u64::from_str_radix(&entropy[..8], 16).unwrap_or(k);
            arbtest::arbtest(&mut property)
                .seed(size | (entropy << 32))
                .run();
            if k.is_multiple_of(3) {
                size = (size * 5 / 4).min(64 * 1024);
            }
        }
    }
    let runs = RUNS.load(Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!(
        "fuzz: {runs} runs in {elapsed:.0} s ({:.1} runs/s), {} seed chapters, {} failures",
        runs as f64 / elapsed,
        corpus.len(),
        failures.len()
    );
    for (case, why) in &failures {
        eprintln!("{why}\n  input: {case:?}");
    }
    assert!(failures.is_empty(), "{} failing cases", failures.len());
}

/// Runs chapter texts as one case, failing the test as the fuzzer would.
fn check(texts: &[&str]) {
    let case = Case {
        texts: texts.iter().map(|t| t.to_string()).collect(),
        notebook: String::new(),
        toml: String::new(),
        bib: String::new(),
    };
    assert_eq!(run(&case, true), Ok(()));
}

#[test]
fn regression_caption_colon_before_multibyte_text() {
    check(&["::bibliography:`d.bib`é"]);
    check(&[":end_tab:\nあいう"]);
    // What the fuzzer shrank the same panic to, with the fix reverted.
    check(&["", ":end_tab:は"]);
    check(&[":#:begin_tab:` b` 方"]);
}

#[test]
fn regression_deep_nesting() {
    check(&[&"> ".repeat(1000)]);
    check(&[&(0..500)
        .map(|i| format!("{}- x\n", "  ".repeat(i)))
        .collect::<String>()]);
    check(&[&format!("{}x{}", "*".repeat(2000), "*".repeat(2000))]);
}

#[test]
fn regression_recursive_macros() {
    check(&["$$\\newcommand{\\a}{\\a}\\a$$"]);
    check(&["$\\newcommand{\\a}{\\a\\a}\\a$"]);
    // Found by a 30-minute run: a definition inside the name of `\end{…}`.
    check(&["$$\n\\begin{aligned}\na &= b\n\\end{aligned\\newcommand{\\a}{\\a\\a}\\a}\n$$\n"]);
}
