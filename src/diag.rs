//! Diagnostics in rustc's style: a level and message, the `--> file:line:col` location,
//! the source line with a caret under the culprit, a second place it relates to (`::: `,
//! underlined with `-` and labelled: "first defined here"), and an optional help line.

use crate::doc::Span;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Information that never fails a build, not even with `--strict`.
    Note,
    Warning,
    Error,
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub level: Level,
    pub message: String,
    pub span: Option<Span>,
    /// Another place the problem involves, and what it is.
    /// Boxed: most diagnostics have none, and this keeps `Result<_, Diagnostic>` small.
    pub related: Option<Box<(Span, String)>>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Error,
            message: message.into(),
            span: None,
            related: None,
            help: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn note(message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Note,
            ..Diagnostic::error(message)
        }
    }

    pub fn at(mut self, span: &Span) -> Self {
        self.span = Some(span.clone());
        self
    }

    /// Points at a second place too (`first defined here`).
    pub fn related(mut self, span: &Span, label: impl Into<String>) -> Self {
        self.related = Some(Box::new((span.clone(), label.into())));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Formats the diagnostic; `source` gives the text of a file a span points into,
    /// when known.
    pub fn render(&self, source: &dyn Fn(&str) -> Option<String>) -> String {
        let level = match self.level {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        };
        let mut out = format!("{level}: {}\n", self.message);
        let Some(span) = &self.span else {
            if let Some(help) = &self.help {
                let _ = writeln!(out, "  = help: {help}");
            }
            return out;
        };
        // One gutter wide enough for every line number shown.
        let widest = span.line.max(self.related.as_ref().map_or(0, |r| r.0.line));
        let gutter = " ".repeat(widest.to_string().len());
        let _ = writeln!(out, "{gutter}--> {}:{}:{}", span.file, span.line, span.col);
        excerpt(
            &mut out,
            &gutter,
            span,
            source(&span.file).as_deref(),
            '^',
            "",
        );
        if let Some((related, label)) = self.related.as_deref() {
            let _ = writeln!(out, "{gutter} |");
            let _ = writeln!(
                out,
                "{gutter}::: {}:{}:{}",
                related.file, related.line, related.col
            );
            let text = source(&related.file);
            if !excerpt(&mut out, &gutter, related, text.as_deref(), '-', label) {
                let _ = writeln!(out, "{gutter} = note: {label}");
            }
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{gutter} = help: {help}");
        }
        out
    }
}

/// The source line of `span` with `mark` under the marked text and `label` after it;
/// false when the line is not known.
fn excerpt(
    out: &mut String,
    gutter: &str,
    span: &Span,
    source: Option<&str>,
    mark: char,
    label: &str,
) -> bool {
    // The parsers skip a byte order mark, so columns count from after it.
    let source = source.map(|s| s.strip_prefix('\u{feff}').unwrap_or(s));
    let Some(text) = source.and_then(|s| s.lines().nth(span.line.saturating_sub(1))) else {
        return false;
    };
    let text = text.trim_end();
    let _ = writeln!(out, "{gutter} |");
    let _ = writeln!(out, "{:>width$} | {text}", span.line, width = gutter.len());
    // Columns count characters, but a terminal gives CJK characters two cells and a tab
    // up to eight: the marker line repeats the tabs of the source line and pads by
    // display width, so the caret lands under the culprit.
    let pad: String = text
        .chars()
        .take(span.col.saturating_sub(1))
        .map(|c| match c {
            '\t' => "\t".to_string(),
            c => " ".repeat(display_width(c)),
        })
        .collect();
    let marked: usize = text
        .chars()
        .skip(span.col.saturating_sub(1))
        .take(span.len.max(1))
        .map(|c| display_width(c).max(1))
        .sum();
    let marks = mark.to_string().repeat(marked.max(1));
    let line = format!("{gutter} | {pad}{marks} {label}");
    let _ = writeln!(out, "{}", line.trim_end());
    true
}

/// Terminal cells of a character (Unicode's East Asian Width); control characters and
/// combining marks take none.
fn display_width(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// Moves a span to where its text came from (see `set_remap`).
type Remap = Box<dyn Fn(&mut Span) + Send + Sync>;

/// Collects diagnostics from every stage (thread-safe, since stages run in parallel).
#[derive(Default)]
pub struct Diagnostics {
    items: Mutex<Vec<Diagnostic>>,
    remap: std::sync::OnceLock<Remap>,
}

impl Diagnostics {
    pub fn push(&self, diagnostic: Diagnostic) {
        self.items.lock().unwrap().push(diagnostic);
    }

    pub fn extend(&self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        self.items.lock().unwrap().extend(diagnostics);
    }

    pub fn count(&self, level: Level) -> usize {
        self.items
            .lock()
            .unwrap()
            .iter()
            .filter(|d| d.level == level)
            .count()
    }

    /// Spans of every diagnostic, when taken, go through `remap` first: sections whose
    /// text includes other files map their lines back to those files.
    pub fn set_remap(&self, remap: impl Fn(&mut Span) + Send + Sync + 'static) {
        let _ = self.remap.set(Box::new(remap));
    }

    /// All diagnostics in file and line order, each once (a stage may meet a problem twice).
    pub fn take_sorted(&self) -> Vec<Diagnostic> {
        let mut items = std::mem::take(&mut *self.items.lock().unwrap());
        if let Some(remap) = self.remap.get() {
            for span in items.iter_mut().filter_map(|d| d.span.as_mut()) {
                remap(span);
            }
        }
        items.sort_by(|a, b| {
            let key = |d: &Diagnostic| d.span.as_ref().map(|s| (s.file.to_string(), s.line, s.col));
            key(a).cmp(&key(b)).then_with(|| a.message.cmp(&b.message))
        });
        items.dedup_by(|a, b| a.message == b.message && a.span == b.span);
        items
    }
}

/// Renders diagnostics, reading each file they point into once (relative to `root`).
pub fn render_all(diagnostics: &[Diagnostic], root: &Path) -> String {
    let mut sources: HashMap<String, Option<String>> = HashMap::new();
    let mut out = String::new();
    for d in diagnostics {
        for span in d.span.iter().chain(d.related.as_deref().map(|(s, _)| s)) {
            sources
                .entry(span.file.to_string())
                .or_insert_with(|| std::fs::read_to_string(root.join(&*span.file)).ok());
        }
        out.push_str(&d.render(&|file| sources.get(file).cloned().flatten()));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc_with_wide_characters() {
        let span = Span {
            file: "chapters/a.md".into(),
            line: 2,
            col: 4,
            len: 5,
        };
        let d = Diagnostic::error("undefined label 'x'")
            .at(&span)
            .help("define it");
        let text = d.render(&|_| Some("first\n図は:ref:`x`\n".into()));
        assert_eq!(
            text,
            "error: undefined label 'x'\n --> chapters/a.md:2:4\n  |\n2 | 図は:ref:`x`\n  |      ^^^^^\n  = help: define it\n"
        );
    }

    #[test]
    fn carets_sit_under_the_column_after_tabs_wide_characters_and_a_bom() {
        let span = |line, col, len| Span {
            file: "a.md".into(),
            line,
            col,
            len,
        };
        let marker = |source: &str, span: Span| {
            let text = Diagnostic::warning("w")
                .at(&span)
                .render(&|_| Some(source.to_string()));
            text.lines().nth(4).unwrap().to_string()
        };
        // A tab is repeated, so the terminal expands both lines alike.
        assert_eq!(marker("x\n\tab:`y`", span(2, 2, 2)), "  | \t^^");
        // `表` and the full-width `：` take two cells each; `é` (with a combining accent) one.
        assert_eq!(marker("x\n表：e\u{301}z", span(2, 5, 1)), "  |      ^");
        assert_eq!(marker("\u{feff}ab", span(1, 2, 1)), "  |  ^");
    }

    #[test]
    fn a_related_place_is_shown_with_its_line_and_label() {
        let span = |file: &str, line, col, len| Span {
            file: file.into(),
            line,
            col,
            len,
        };
        let d = Diagnostic::warning("label 'a' is defined twice")
            .at(&span("b.md", 12, 1, 10))
            .related(&span("a.md", 2, 3, 10), "first defined here");
        let files = |f: &str| match f {
            "a.md" => Some("x\n# :label:`a`\n".to_string()),
            "b.md" => Some(format!("{}:label:`a`\n", "\n".repeat(11))),
            _ => None,
        };
        assert_eq!(
            d.render(&files),
            "warning: label 'a' is defined twice\n  --> b.md:12:1\n   |\n12 | :label:`a`\n   | ^^^^^^^^^^\n   |\n  ::: a.md:2:3\n   |\n 2 | # :label:`a`\n   |   ---------- first defined here\n"
        );
        // Without the source, the label still says what the place is.
        let text = d.render(&|_| None);
        assert!(
            text.ends_with("  ::: a.md:2:3\n   = note: first defined here\n"),
            "{text}"
        );
    }
}
