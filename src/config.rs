//! `book.toml`: the book's configuration, every key optional except the title. Unknown keys
//! and wrong types are errors located in the file. A Python d2lbook `config.ini` is read
//! when there is no `book.toml`, so existing books build unchanged; an mdBook
//! `book.toml` is read by `mdbook::config`.

use crate::diag::Diagnostic;
use crate::doc::{span_of, Span};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub book: BookConfig,
    #[serde(default)]
    pub build: BuildConfig,
    #[serde(default)]
    pub eval: EvalConfig,
    #[serde(default)]
    pub html: HtmlConfig,
    #[serde(default)]
    pub pdf: PdfConfig,
    #[serde(default)]
    pub ipynb: IpynbConfig,
    /// Overrides of the localised words (`figure = "Figure"`, …).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// An mdBook book: `SUMMARY.md` gives the order (see `mdbook`).
    #[serde(skip)]
    pub mdbook: bool,
    /// Notes about the file (tables of mdBook that d2lbook ignores), for the build to print.
    #[serde(skip)]
    pub notes: Vec<Diagnostic>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookConfig {
    pub title: String,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default = "default_language")]
    pub language: String,
    #[serde(default)]
    pub release: String,
    #[serde(default = "default_src")]
    pub src: String,
    /// The `.bib` file, relative to the book root.
    #[serde(default)]
    pub bibliography: Option<String>,
    /// A CSL style file, relative to the book root; `[pdf] citation_style` otherwise.
    #[serde(default)]
    pub csl: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildConfig {
    #[serde(default = "default_output_dir")]
    pub output_dir: String,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub strict: bool,
    /// Folders outside the book root that its files may come from (see `fence.rs`).
    #[serde(default)]
    pub allow_outside: Vec<String>,
    /// The frameworks of the book's tabs, the default first: tab bars list them in this
    /// order, the site opens on the first, the PDF shows it.
    #[serde(default)]
    pub tabs: Vec<String>,
    /// Where `output_dir` is written in `book.toml`, for diagnostics.
    #[serde(skip)]
    pub output_dir_span: Option<Span>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalConfig {
    #[serde(default = "default_true")]
    pub enabled: bool,
    #[serde(default = "default_library")]
    pub library: String,
    #[serde(default = "default_timeout")]
    pub timeout: u64,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub dependencies: toml::Table,
    /// Variables added to the cells' minimal environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Globs (from the book root) of files the cells read: their contents are part of
    /// every section's cache key.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// Globs of section paths (relative to `src`) whose cells need a GPU: `build eval
    /// --device gpu` runs only those, `--device cpu` the others.
    #[serde(default)]
    pub gpu: Vec<String>,
    /// Features of the library that only the sections of `gpu` build with (`["cuda"]`):
    /// they are part of those sections' cache keys alone, so a CPU machine can reuse what
    /// a GPU machine ran without building them.
    #[serde(default)]
    pub gpu_features: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MathOutput {
    /// MathML rendered by KaTeX, styled by our CSS: no stylesheet or fonts of KaTeX needed.
    Mathml,
    /// KaTeX's HTML output; needs `katex_assets` (KaTeX's CSS and fonts of the same version).
    KatexHtml,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HtmlConfig {
    #[serde(default = "default_site_url")]
    pub site_url: String,
    #[serde(default)]
    pub logo: String,
    #[serde(default)]
    pub favicon: String,
    #[serde(default)]
    pub header_links: Vec<HeaderLink>,
    #[serde(default = "default_math")]
    pub math: MathOutput,
    /// A folder holding `katex.min.css` and `fonts/` (e.g. `/usr/share/javascript/katex`).
    #[serde(default)]
    pub katex_assets: Option<String>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderLink {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PdfConfig {
    #[serde(default = "default_paper")]
    pub paper: String,
    #[serde(default)]
    pub fonts: Vec<String>,
    #[serde(default)]
    pub font_paths: Vec<String>,
    #[serde(default = "default_citation_style")]
    pub citation_style: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpynbConfig {
    /// How the notebooks' set-up cell depends on the library, as a Cargo dependency
    /// (`{ git = "https://…" }`, `"0.1"`); by default the copy of the library beside them.
    #[serde(default)]
    pub d2l_dependency: Option<toml::Value>,
}

fn default_language() -> String {
    "en".into()
}
fn default_src() -> String {
    ".".into()
}
fn default_output_dir() -> String {
    "_build".into()
}
fn default_true() -> bool {
    true
}
fn default_library() -> String {
    "d2l-lib".into()
}
fn default_timeout() -> u64 {
    600
}
fn default_site_url() -> String {
    "/".into()
}
fn default_math() -> MathOutput {
    MathOutput::Mathml
}
fn default_paper() -> String {
    "a4".into()
}
fn default_citation_style() -> String {
    "apa".into()
}

impl Default for BuildConfig {
    fn default() -> Self {
        toml::from_str("").expect("defaults")
    }
}
impl Default for EvalConfig {
    fn default() -> Self {
        toml::from_str("").expect("defaults")
    }
}
impl HtmlConfig {
    /// The path part of `site_url`, from `/` and ending in `/`: where the site's root is
    /// on its host (`https://example.org/book` → `/book/`).
    pub fn site_path(&self) -> String {
        let url = &self.site_url;
        let path = match url.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
            None => url,
        };
        format!("/{}/", path.trim_matches('/')).replace("//", "/")
    }
}

impl Default for HtmlConfig {
    fn default() -> Self {
        toml::from_str("").expect("defaults")
    }
}
impl Default for PdfConfig {
    fn default() -> Self {
        toml::from_str("").expect("defaults")
    }
}

impl Config {
    /// Reads `book.toml`, or else `config.ini`, at the book root.
    pub fn load(root: &Path) -> Result<Config, Diagnostic> {
        let toml_path = root.join("book.toml");
        if let Ok(bytes) = std::fs::read(&toml_path) {
            return match std::str::from_utf8(&bytes) {
                Ok(text) => Self::from_toml_at(text, "book.toml", root),
                Err(e) => {
                    // Located in the valid part before the first bad byte.
                    let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("");
                    let at = valid.len();
                    Err(
                        Diagnostic::error("book.toml is not valid UTF-8".to_string())
                            .at(&span_of(valid, "book.toml", at..at))
                            .help(format!(
                                "byte {} is not UTF-8; save the file as UTF-8",
                                e.valid_up_to()
                            )),
                    )
                }
            };
        }
        if let Ok(text) = std::fs::read_to_string(root.join("config.ini")) {
            return Ok(Self::from_ini(&text, root));
        }
        Err(
            Diagnostic::error(format!("no book.toml in {}", root.display()))
                .help("run `d2lbook new` to start a book, or pass `--root DIR`"),
        )
    }

    /// Reads the `book.toml` of the book at `root`: mdBook's schema if it is an mdBook
    /// book (see `mdbook::config::is_mdbook`), else d2lbook's.
    fn from_toml_at(text: &str, file: &str, root: &Path) -> Result<Config, Diagnostic> {
        match toml::from_str::<toml::Table>(text) {
            Ok(table) if crate::mdbook::config::is_mdbook(&table, root) => {
                crate::mdbook::config::from_toml(text, file)
            }
            _ => Self::from_toml(text, file),
        }
    }

    pub fn from_toml(text: &str, file: &str) -> Result<Config, Diagnostic> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let mut d = Diagnostic::error(format!("invalid {file}: {}", e.message().trim()));
            if let Some(range) = e.span() {
                d = d.at(&span_of(text, file, range));
            }
            d
        })?;
        check_links(&config, text, file)?;
        config.build.output_dir_span = key_span(text, file, "build", "output_dir");
        Ok(config)
    }

    /// The `[project]` and `[build]` keys of Python d2lbook that matter here.
    fn from_ini(text: &str, root: &Path) -> Config {
        let mut section = String::new();
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.trim().to_string();
            } else if let Some((k, v)) = line.split_once('=') {
                values.insert(format!("{section}.{}", k.trim()), v.trim().to_string());
            }
        }
        let get = |k: &str| values.get(k).cloned().unwrap_or_default();
        let mut config = Config::from_toml("[book]\ntitle = \"\"", "book.toml").expect("defaults");
        config.book.title = get("project.title");
        config.book.authors = get("project.author")
            .split(',')
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect();
        if !get("project.lang").is_empty() {
            config.book.language = get("project.lang");
        }
        config.book.release = get("project.release");
        config.build.tabs = get("build.tabs")
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        config.build.exclude = get("build.exclusions")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if root.join("d2l.bib").exists() {
            config.book.bibliography = Some("d2l.bib".into());
        }
        config
    }
}

/// An error for the first header link that could run code.
pub(crate) fn check_links(config: &Config, text: &str, file: &str) -> Result<(), Diagnostic> {
    for link in &config.html.header_links {
        if !is_safe_link(&link.url) {
            let mut d = Diagnostic::error(format!(
                "invalid {file}: header link '{}' is not an http(s), mailto, relative or '#' link",
                link.url
            ))
            .help("a header link may not run code (javascript:, data:, …)");
            if let Some(at) = text.find(&link.url) {
                d = d.at(&span_of(text, file, at..at + link.url.len()));
            }
            return Err(d);
        }
    }
    Ok(())
}

/// The span of `key = …` in table `[table]` of a TOML text (the usual layout; `None` for
/// dotted keys or inline tables).
pub(crate) fn key_span(text: &str, file: &str, table: &str, key: &str) -> Option<Span> {
    let mut current = String::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix('[').and_then(|l| l.split(']').next()) {
            current = name.trim().to_string();
        } else if current == table {
            if let Some(rest) = trimmed.strip_prefix(key) {
                if rest.trim_start().starts_with('=') {
                    let start = offset + (line.len() - line.trim_start().len());
                    let end = offset + line.trim_end().len();
                    return Some(span_of(text, file, start..end));
                }
            }
        }
        offset += line.len();
    }
    None
}

/// Whether a link is http(s), mailto, a relative path or an anchor. Browsers drop tabs
/// and line breaks inside URLs and ignore the case of schemes, so this does too.
fn is_safe_link(url: &str) -> bool {
    let url: String = url
        .trim()
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    let scheme_end = url.find([':', '/', '?', '#']);
    match scheme_end {
        Some(i) if url[i..].starts_with(':') => {
            matches!(&url[..i], "http" | "https" | "mailto")
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_site_path_is_the_path_of_site_url() {
        let path = |url: &str| {
            HtmlConfig {
                site_url: url.into(),
                ..HtmlConfig::default()
            }
            .site_path()
        };
        assert_eq!(path("/"), "/");
        assert_eq!(path(""), "/");
        assert_eq!(path("/d2l-rust"), "/d2l-rust/");
        assert_eq!(path("https://example.org"), "/");
        assert_eq!(path("https://example.org/a/b/"), "/a/b/");
    }

    use super::*;

    #[test]
    fn unknown_key_is_located() {
        let err = Config::from_toml("[book]\ntitle = \"x\"\ntitel = 3\n", "book.toml").unwrap_err();
        assert!(
            err.message.contains("unknown field `titel`"),
            "{}",
            err.message
        );
        let span = err.span.unwrap();
        assert_eq!((span.line, span.col), (3, 1));
    }

    #[test]
    fn wrong_type_is_located() {
        let err = Config::from_toml(
            "[book]\ntitle = \"x\"\n[eval]\ntimeout = \"long\"\n",
            "book.toml",
        )
        .unwrap_err();
        assert_eq!(err.span.unwrap().line, 4);
    }

    #[test]
    fn output_dir_is_located() {
        let text = "[book]\ntitle = \"x\"\n\n[build]\n  output_dir = \".\"  # here\n";
        let c = Config::from_toml(text, "book.toml").unwrap();
        let span = c.build.output_dir_span.unwrap();
        assert_eq!((span.line, span.col), (5, 3));
        // Not in [build]: no span.
        let c = Config::from_toml("[book]\ntitle = \"output_dir = 1\"\n", "book.toml").unwrap();
        assert!(c.build.output_dir_span.is_none());
    }

    #[test]
    fn header_links_may_not_run_code() {
        let toml = |url: &str| {
            format!("[book]\ntitle = \"x\"\n[html]\nheader_links = [{{ label = \"L\", url = \"{url}\" }}]\n")
        };
        for good in [
            "https://github.com/x",
            "http://a",
            "mailto:a@b",
            "#top",
            "docs/a.html",
            "/abs",
            "x/a:b",
        ] {
            assert!(
                Config::from_toml(&toml(good), "book.toml").is_ok(),
                "{good}"
            );
        }
        for bad in [
            "javascript:alert(1)",
            " JavaScript:x",
            "java\\tscript:x",
            "data:text/html,x",
            "vbscript:x",
        ] {
            let err = Config::from_toml(&toml(bad), "book.toml").unwrap_err();
            assert!(
                err.message.contains("header link"),
                "{bad}: {}",
                err.message
            );
        }
        let err = Config::from_toml(&toml("javascript:alert(1)"), "book.toml").unwrap_err();
        let span = err.span.unwrap();
        assert_eq!((span.line, span.col), (4, 39));
    }

    #[test]
    fn defaults_fill_the_rest() {
        let c = Config::from_toml("[book]\ntitle = \"x\"\n", "book.toml").unwrap();
        assert_eq!(c.build.output_dir, "_build");
        assert_eq!(c.book.language, "en");
        assert!(c.eval.enabled);
        assert_eq!(c.html.math, MathOutput::Mathml);
    }
}
