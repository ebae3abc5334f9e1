//! The sample book's site, cells run, read in headless Chromium by `tests/a11y/check.js`:
//! axe-core finds no serious or critical accessibility violation on any page, in the
//! light and the dark palette at 1280 px and on a phone (390 px, touch), and the details
//! a reader notices hold at both widths
//! (code buttons off the code, tensors under their caption, plot text of 10 px or more,
//! plots named, Japanese justified). Needs Node, Chromium and `npm ci` in tests/a11y,
//! which `.ci/run` installs; without them the test fails and says so.

mod common;

use common::TempBook;
use std::path::Path;
use std::process::Command;

fn require(program: &str, install: &str) {
    let found = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    assert!(
        found,
        "`{program} --version` failed: this test needs {install} (`.ci/run` installs it)"
    );
}

/// Runs check.js on the site `book` built; asserts it found nothing serious on `pages`
/// pages and prints what it found.
fn check(book: &TempBook, pages: usize) {
    let checks = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    require("node", "Node.js (Debian: nodejs)");
    require(&chromium, "Chromium (Debian: chromium; or set CHROMIUM)");
    assert!(
        checks.join("node_modules/axe-core/axe.min.js").is_file(),
        "axe-core is not installed: run `npm ci` in tests/a11y (`.ci/run` does)"
    );
    let out = Command::new("node")
        .arg(checks.join("check.js"))
        .arg(book.root.join("_build/html"))
        .env("CHROMIUM", &chromium)
        .output()
        .expect("run node");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The findings, minor and moderate ones included, for whoever reads the test's output.
    println!("{report}");
    assert!(
        report.contains(&format!(
            "on {pages} pages, light and dark at 1280 px, light at 390 px: 0 critical, 0 serious"
        )),
        "{report}"
    );
    assert!(
        report.contains("reading checks at 1280 and 390 px: 0 problems"),
        "{report}"
    );
    assert!(out.status.success(), "{report}");
}

#[test]
fn the_sample_site_passes_axe_and_reads_well_on_a_phone_and_a_desktop() {
    let book = TempBook::sample_with_library();
    let run = book.run(&["--strict", "build", "html"]);
    assert!(run.ok, "{}", run.stderr);
    check(&book, 26);
}

/// An mdBook book brings what the sample lacks: parts and separators in the sidebar,
/// code with rustdoc's hidden lines behind a second button.
#[test]
fn an_mdbook_site_passes_axe_too() {
    let book = TempBook::fixture("mdbook-style");
    let run = book.run(&["build", "html", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    check(&book, 9);
}
