//! `eval_rst` blocks from Sphinx-based books: `.. raw:: html` (inline or `:file:`) and
//! `.. only:: html` are honoured; other directives are skipped with a warning.

use crate::diag::Diagnostic;
use crate::doc::{Block, Span};
use crate::fence::Fence;
use std::path::Path;

/// The blocks of an `eval_rst` body, and (unlocated) diagnostics: warnings for what was
/// skipped, errors for files that cannot be included.
pub fn blocks(body: &str, dir: &Path, fence: &Fence, span: &Span) -> (Vec<Block>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let lines: Vec<&str> = body.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end();
        if line.trim().is_empty() {
            i += 1;
            continue;
        }
        // The directive's options and content: the indented lines after it.
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && (lines[end].trim().is_empty() || lines[end].starts_with(' ')) {
            end += 1;
        }
        let directive = line.trim();
        let inner = dedent(&lines[start..end]);
        if let Some(format) = directive.strip_prefix(".. raw::") {
            if format.trim() == "html" {
                let (options, content) = split_options(&inner);
                let file = options.iter().find_map(|(k, v)| (k == "file").then_some(v));
                match file {
                    Some(path) => match fence.read_to_string(&dir.join(path)) {
                        Ok(html) => out.push(Block::RawHtml {
                            html,
                            span: span.clone(),
                        }),
                        Err(e) => warnings.push(Diagnostic::error(format!(
                            "cannot read raw html file '{path}': {e}"
                        ))),
                    },
                    None => out.push(Block::RawHtml {
                        html: content,
                        span: span.clone(),
                    }),
                }
            }
        } else if let Some(format) = directive.strip_prefix(".. only::") {
            if format.trim() == "html" {
                let (inner_blocks, inner_warnings) = blocks(&inner, dir, fence, span);
                out.extend(inner_blocks);
                warnings.extend(inner_warnings);
            }
        } else if directive.starts_with("..") {
            warnings.push(Diagnostic::warning(format!(
                "reStructuredText directive '{directive}' is not supported; skipped"
            )));
        } else {
            warnings.push(Diagnostic::warning(format!(
                "reStructuredText text '{directive}' is not supported; skipped"
            )));
        }
        i = end;
    }
    (out, warnings)
}

fn dedent(lines: &[&str]) -> String {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let body: Vec<&str> = lines
        .iter()
        // Indents of other white space (a tab, U+3000) may end inside a character.
        .map(|l| l.get(indent..).unwrap_or_else(|| l.trim_start()))
        .collect();
    body.join("\n").trim_matches('\n').to_string()
}

/// `:key: value` lines at the top of a directive body, then the content.
fn split_options(body: &str) -> (Vec<(String, String)>, String) {
    let mut options = Vec::new();
    let mut rest = Vec::new();
    let mut in_options = true;
    for line in body.lines() {
        if in_options {
            if let Some((k, v)) = line.strip_prefix(':').and_then(|l| l.split_once(':')) {
                options.push((k.trim().to_string(), v.trim().to_string()));
                continue;
            }
            in_options = false;
        }
        rest.push(line);
    }
    (options, rest.join("\n").trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_and_only() {
        let body = ".. raw:: html\n\n   <p>a</p>\n\n.. only:: html\n\n   .. raw:: html\n\n      <b>b</b>\n\n.. only:: latex\n\n   x\n\n.. autofunction:: f\n";
        let span = Span {
            file: "t.md".into(),
            line: 1,
            col: 1,
            len: 1,
        };
        let (blocks, warnings) = blocks(body, Path::new("."), &Fence::closed(), &span);
        let html: Vec<_> = blocks
            .iter()
            .map(|b| match b {
                Block::RawHtml { html, .. } => html.as_str(),
                _ => "",
            })
            .collect();
        assert_eq!(html, vec!["<p>a</p>", "<b>b</b>"]);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].message.contains("autofunction"));
    }
}
