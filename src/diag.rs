//! Diagnostics in rustc's style: a level and message, the `--> file:line:col` location,
//! the source line with a caret under the culprit, and an optional help line.

use crate::doc::Span;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Warning,
    Error,
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub level: Level,
    pub message: String,
    pub span: Option<Span>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Error,
            message: message.into(),
            span: None,
            help: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn at(mut self, span: &Span) -> Self {
        self.span = Some(span.clone());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Formats the diagnostic; `source` is the text of the span's file, when known.
    pub fn render(&self, source: Option<&str>) -> String {
        let level = match self.level {
            Level::Warning => "warning",
            Level::Error => "error",
        };
        let mut out = format!("{level}: {}\n", self.message);
        if let Some(span) = &self.span {
            let line_text = source.and_then(|s| s.lines().nth(span.line.saturating_sub(1)));
            let gutter = " ".repeat(span.line.to_string().len());
            let _ = writeln!(out, "{gutter}--> {}:{}:{}", span.file, span.line, span.col);
            if let Some(text) = line_text {
                let text = text.trim_end();
                let _ = writeln!(out, "{gutter} |");
                let _ = writeln!(out, "{} | {text}", span.line);
                // Columns count characters, but CJK characters take two cells in a terminal.
                let pad: usize = text
                    .chars()
                    .take(span.col.saturating_sub(1))
                    .map(display_width)
                    .sum();
                let marked: usize = text
                    .chars()
                    .skip(span.col.saturating_sub(1))
                    .take(span.len.max(1))
                    .map(display_width)
                    .sum();
                let _ = writeln!(
                    out,
                    "{gutter} | {}{}",
                    " ".repeat(pad),
                    "^".repeat(marked.max(1))
                );
            }
            if let Some(help) = &self.help {
                let _ = writeln!(out, "{gutter} = help: {help}");
            }
        } else if let Some(help) = &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }
}

fn display_width(c: char) -> usize {
    let wide = matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
    if wide {
        2
    } else {
        1
    }
}

/// Collects diagnostics from every stage (thread-safe, since stages run in parallel).
#[derive(Default)]
pub struct Diagnostics {
    items: Mutex<Vec<Diagnostic>>,
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

    /// All diagnostics in file and line order, each once (a stage may meet a problem twice).
    pub fn take_sorted(&self) -> Vec<Diagnostic> {
        let mut items = std::mem::take(&mut *self.items.lock().unwrap());
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
        let source = d.span.as_ref().and_then(|s| {
            sources
                .entry(s.file.to_string())
                .or_insert_with(|| std::fs::read_to_string(root.join(&*s.file)).ok())
                .as_deref()
        });
        out.push_str(&d.render(source));
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
        let text = d.render(Some("first\n図は:ref:`x`\n"));
        assert_eq!(
            text,
            "error: undefined label 'x'\n --> chapters/a.md:2:4\n  |\n2 | 図は:ref:`x`\n  |      ^^^^^\n  = help: define it\n"
        );
    }
}
