//! Helpers of the integration tests: copy a fixture book (or write one) into a fresh
//! folder, run the real `d2lbook` binary on it, read what it wrote.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Run {
    pub ok: bool,
    pub code: Option<i32>,
    pub stderr: String,
}

/// A fresh temporary folder, removed when dropped.
pub struct TempBook {
    pub root: PathBuf,
}

impl Drop for TempBook {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl TempBook {
    /// A copy of `tests/books/<name>`.
    pub fn fixture(name: &str) -> TempBook {
        let book = TempBook::empty(name);
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/books")
            .join(name);
        copy_dir(&src, &book.root);
        book
    }

    /// A copy of the repository's sample book (`book.toml` and `chapters/`), so a test
    /// never touches the checkout's `_build`.
    pub fn sample() -> TempBook {
        let book = TempBook::empty("sample");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(root.join("book.toml"), book.root.join("book.toml")).unwrap();
        copy_dir(&root.join("chapters"), &book.root.join("chapters"));
        book
    }

    /// The sample book with its cells run against the repository's library (a copy's
    /// `d2l-lib` path would not exist).
    pub fn sample_with_library() -> TempBook {
        let book = TempBook::sample();
        let toml = std::fs::read_to_string(book.root.join("book.toml")).unwrap();
        let library = concat!(env!("CARGO_MANIFEST_DIR"), "/d2l-lib");
        book.write(
            "book.toml",
            &format!("{toml}\n[eval]\nlibrary = \"{library}\"\n"),
        );
        book
    }

    pub fn empty(name: &str) -> TempBook {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "d2lbook-test-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        TempBook { root }
    }

    /// Writes `files` (path, content) into the book.
    pub fn with(self, files: &[(&str, &str)]) -> TempBook {
        for (path, content) in files {
            self.write(path, content);
        }
        self
    }

    pub fn write(&self, path: &str, content: &str) {
        let path = self.root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(args, &[])
    }

    /// Runs d2lbook, which must succeed, and returns what it printed on stdout.
    pub fn run_stdout(&self, args: &[&str]) -> String {
        let out = self.command(args).output().expect("run d2lbook");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs d2lbook with these variables added to its environment.
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        finished(self.command(args).envs(env.iter().copied()))
    }

    /// The command that `run` runs, to start it in the background.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_d2lbook"));
        cmd.arg("--root").arg(&self.root).args(args);
        cmd
    }

    /// Runs d2lbook in the book's folder without `--root`, as an author types it.
    pub fn run_in_place(&self, args: &[&str]) -> Run {
        finished(
            Command::new(env!("CARGO_BIN_EXE_d2lbook"))
                .current_dir(&self.root)
                .args(args),
        )
    }

    pub fn build_html(&self) -> Run {
        self.run(&["build", "html"])
    }

    /// A file of the built site.
    pub fn page(&self, path: &str) -> String {
        let file = self.root.join("_build/html").join(path);
        std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
    }
}

/// Runs `cmd` to its end.
fn finished(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("run d2lbook");
    Run {
        ok: out.status.success(),
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir`, by path from it.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).unwrap();
            files.insert(
                rel.to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            );
        }
    }
    files
}

/// A minimal English book whose one section is `body`.
pub fn one_section_book(body: &str) -> TempBook {
    TempBook::empty("one").with(&[
        ("book.toml", "[book]\ntitle = \"T\"\nsrc = \"src\"\n"),
        ("src/index.md", "# T\n\n```toc\n:numbered:\n\nsec\n```\n"),
        ("src/sec.md", body),
    ])
}

/// The text of a PDF, laid out (poppler's `pdftotext -layout`, which `.ci/run` installs).
pub fn pdftotext(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of HTML without its tags, its quotes and ampersands decoded.
pub fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
