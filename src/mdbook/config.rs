//! `book.toml` as mdBook writes it: mdBook's keys are read into d2lbook's `Config`, and
//! the tables of preprocessors and renderers that d2lbook does not run get one note each.
//! d2lbook's own tables (`[eval]`, `[html]`, `[pdf]`, `[ipynb]`, `[labels]`) may sit beside them.

use crate::config::{
    BuildConfig, Config, EvalConfig, HeaderLink, HtmlConfig, IpynbConfig, PdfConfig,
};
use crate::diag::Diagnostic;
use crate::doc::{span_of, Span};
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Keys only mdBook writes: one of them makes the book an mdBook book.
const MDBOOK_TABLES: &[&str] = &["output", "preprocessor", "rust"];
const MDBOOK_BOOK_KEYS: &[&str] = &["description", "multilingual", "text-direction"];
const MDBOOK_BUILD_KEYS: &[&str] = &[
    "build-dir",
    "create-missing",
    "use-default-preprocessors",
    "extra-watch-dirs",
];
/// mdBook's built-in preprocessors, which d2lbook does itself.
const BUILT_IN_PREPROCESSORS: &[&str] = &["links", "index"];

/// Whether `book.toml` (parsed as `table`) belongs to an mdBook book: it has a key only
/// mdBook knows, or its source folder (mdBook's default `src`) holds a `SUMMARY.md`
/// and no `index.md`.
pub fn is_mdbook(table: &toml::Table, root: &Path) -> bool {
    let keys = |name: &str| table.get(name).and_then(toml::Value::as_table);
    let has = |name: &str, wanted: &[&str]| {
        keys(name).is_some_and(|t| wanted.iter().any(|k| t.contains_key(*k)))
    };
    if MDBOOK_TABLES.iter().any(|t| table.contains_key(*t))
        || has("book", MDBOOK_BOOK_KEYS)
        || has("build", MDBOOK_BUILD_KEYS)
    {
        return true;
    }
    let src = keys("book")
        .and_then(|b| b.get("src"))
        .and_then(toml::Value::as_str);
    let folder = root.join(src.unwrap_or("src"));
    folder.join("SUMMARY.md").is_file() && !root.join(src.unwrap_or(".")).join("index.md").is_file()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MdBookToml {
    #[serde(default)]
    book: MdBookBook,
    #[serde(default)]
    build: MdBookBuild,
    /// `edition`, for the playground: Rust blocks are shown, not run.
    #[serde(default, rename = "rust")]
    _rust: MdBookRust,
    #[serde(default)]
    output: MdBookOutput,
    #[serde(default)]
    preprocessor: BTreeMap<String, IgnoredAny>,
    #[serde(default)]
    eval: EvalConfig,
    #[serde(default)]
    html: Option<HtmlConfig>,
    #[serde(default)]
    pdf: PdfConfig,
    #[serde(default)]
    ipynb: IpynbConfig,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct MdBookBook {
    title: Option<String>,
    #[serde(default)]
    authors: Vec<String>,
    // Accepted, with no effect here (names with `_`: read by serde only).
    #[serde(rename = "description")]
    _description: Option<IgnoredAny>,
    src: Option<String>,
    language: Option<String>,
    #[serde(rename = "multilingual")]
    _multilingual: Option<IgnoredAny>,
    #[serde(rename = "text-direction")]
    _text_direction: Option<IgnoredAny>,
    // d2lbook's own keys.
    #[serde(default)]
    release: String,
    bibliography: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MdBookBuild {
    #[serde(rename = "build-dir")]
    build_dir: Option<String>,
    // Accepted, with no effect: d2lbook never writes into the sources.
    #[serde(rename = "create-missing")]
    _create_missing: Option<IgnoredAny>,
    #[serde(rename = "use-default-preprocessors")]
    _use_default_preprocessors: Option<IgnoredAny>,
    #[serde(rename = "extra-watch-dirs")]
    _extra_watch_dirs: Option<IgnoredAny>,
    // d2lbook's own keys.
    output_dir: Option<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    strict: bool,
    #[serde(default)]
    allow_outside: Vec<String>,
    #[serde(default)]
    tabs: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MdBookRust {
    #[serde(rename = "edition")]
    _edition: Option<IgnoredAny>,
}

#[derive(Deserialize, Default)]
struct MdBookOutput {
    #[serde(default)]
    html: MdBookHtml,
    /// Other renderers (`[output.linkcheck]`, …): noted, not run.
    #[serde(flatten)]
    others: BTreeMap<String, IgnoredAny>,
}

/// `[output.html]`: the keys d2lbook uses; mdBook's many others (themes, playground,
/// `additional-css`, …) are accepted and have no effect.
#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct MdBookHtml {
    site_url: Option<String>,
    git_repository_url: Option<String>,
}

/// Reads an mdBook `book.toml` (`file` is its path as diagnostics show it).
pub fn from_toml(text: &str, file: &str) -> Result<Config, Diagnostic> {
    let toml: MdBookToml = toml::from_str(text).map_err(|e| {
        let mut d = Diagnostic::error(format!("invalid {file}: {}", e.message().trim()));
        if let Some(range) = e.span() {
            d = d.at(&span_of(text, file, range));
        }
        d
    })?;
    let mut config = Config::from_toml("[book]\ntitle = \"\"", file).expect("defaults");
    let book = toml.book;
    config.book.title = book.title.unwrap_or_default();
    config.book.authors = book.authors;
    if let Some(language) = book.language {
        config.book.language = language;
    }
    config.book.src = book.src.unwrap_or_else(|| "src".into());
    config.book.release = book.release;
    config.book.bibliography = book.bibliography;
    let build = toml.build;
    config.build = BuildConfig {
        output_dir: build
            .output_dir
            .or(build.build_dir)
            .unwrap_or(config.build.output_dir),
        exclude: build.exclude,
        strict: build.strict,
        allow_outside: build.allow_outside,
        tabs: build.tabs,
        output_dir_span: crate::config::key_span(text, file, "build", "output_dir")
            .or_else(|| crate::config::key_span(text, file, "build", "build-dir")),
    };
    config.eval = toml.eval;
    config.pdf = toml.pdf;
    config.ipynb = toml.ipynb;
    config.labels = toml.labels;
    if let Some(html) = toml.html {
        config.html = html;
    }
    if let Some(url) = toml.output.html.site_url {
        config.html.site_url = url;
    }
    if let Some(url) = toml.output.html.git_repository_url {
        config.html.header_links.push(HeaderLink {
            label: "Git repository".into(),
            url,
        });
    }
    crate::config::check_links(&config, text, file)?;
    config.mdbook = true;
    for name in toml.preprocessor.keys() {
        if !BUILT_IN_PREPROCESSORS.contains(&name.as_str()) {
            config.notes.push(note(
                text,
                file,
                "preprocessor",
                name,
                format!(
                    "preprocessor '{name}' is not run by d2lbook; [preprocessor.{name}] is ignored"
                ),
            ));
        }
    }
    for name in toml.output.others.keys() {
        config.notes.push(note(
            text,
            file,
            "output",
            name,
            format!("d2lbook builds its own HTML and PDF; [output.{name}] is ignored"),
        ));
    }
    Ok(config)
}

fn note(text: &str, file: &str, table: &str, name: &str, message: String) -> Diagnostic {
    let d = Diagnostic::note(message);
    match header_span(text, file, table, name) {
        Some(span) => d.at(&span),
        None => d,
    }
}

/// The first header `[table.name]` or `[table.name.…]` (the name bare or quoted) in a
/// TOML text.
fn header_span(text: &str, file: &str, table: &str, name: &str) -> Option<Span> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let start = offset + (line.len() - trimmed.len());
        offset += line.len();
        let Some(inner) = trimmed.strip_prefix('[') else {
            continue;
        };
        let Some(inner) = inner.split(']').next() else {
            continue;
        };
        let parts: Vec<&str> = inner
            .split('.')
            .map(|p| p.trim().trim_matches('"'))
            .collect();
        if parts.len() >= 2 && parts[0] == table && parts[1] == name {
            let end = start + inner.len() + 2;
            return Some(span_of(text, file, start..end));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOK: &str = r#"[book]
title = "Rust in Small Steps"
authors = ["Ann", "Bo"]
language = "en"
multilingual = false
src = "src"
description = "A book"

[rust]
edition = "2021"

[build]
build-dir = "site"
create-missing = false

[output.html]
git-repository-url = "https://example.com/repo"
additional-css = ["custom.css"]
mathjax-support = true

[output.html.playground]
editable = true

[output.linkcheck]
follow-web-links = false

[preprocessor.links]

[preprocessor.foo]
command = "foo"

[preprocessor."bar"]
"#;

    #[test]
    fn mdbook_keys_are_read_and_foreign_tables_noted() {
        let c = from_toml(BOOK, "book.toml").unwrap();
        assert!(c.mdbook);
        assert_eq!(c.book.title, "Rust in Small Steps");
        assert_eq!(c.book.authors, ["Ann", "Bo"]);
        assert_eq!(c.book.src, "src");
        assert_eq!(c.build.output_dir, "site");
        assert_eq!(c.build.output_dir_span.as_ref().unwrap().line, 13);
        assert_eq!(c.html.header_links[0].url, "https://example.com/repo");
        let notes: Vec<(String, usize, usize)> = c
            .notes
            .iter()
            .map(|n| {
                let s = n.span.as_ref().unwrap();
                (n.message.clone(), s.line, s.col)
            })
            .collect();
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].0.contains("[preprocessor.bar]") && notes[0].1 == 32);
        assert!(notes[1].0.contains("[preprocessor.foo]") && notes[1].1 == 29);
        assert!(notes[2].0.contains("[output.linkcheck]") && notes[2].1 == 24);
    }

    #[test]
    fn wrong_keys_are_still_errors() {
        let err = from_toml("[book]\ntitle = \"x\"\ntitel = 1\n", "book.toml").unwrap_err();
        assert_eq!(err.span.unwrap().line, 3);
        let err = from_toml("[rust]\nedition = \"2021\"\nfoo = 1\n", "book.toml").unwrap_err();
        assert!(err.message.contains("foo"), "{}", err.message);
        let err = from_toml(
            "[output.html]\ngit-repository-url = \"javascript:x\"\n",
            "book.toml",
        )
        .unwrap_err();
        assert!(err.message.contains("header link"), "{}", err.message);
    }

    #[test]
    fn detection() {
        let table = |t: &str| toml::from_str::<toml::Table>(t).unwrap();
        let nowhere = Path::new("/nonexistent-d2lbook-root");
        assert!(is_mdbook(&table("[rust]\nedition = \"2021\""), nowhere));
        assert!(is_mdbook(&table("[build]\nbuild-dir = \"b\""), nowhere));
        assert!(!is_mdbook(
            &table("[book]\ntitle = \"x\"\nsrc = \"src\""),
            nowhere
        ));
    }
}
