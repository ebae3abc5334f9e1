//! `eval_rst` blocks from Sphinx-based books: `.. raw:: html` (inline or `:file:`),
//! `.. only:: html` / `.. only:: latex`, section titles and plain paragraphs are
//! honoured; other directives (autodoc and the like cannot run here) are skipped, and the
//! caller warns once per block.

use crate::diag::Diagnostic;
use crate::doc::{Backend, Block, Heading, Inline, Span};
use crate::fence::{Fence, Refused};
use std::path::Path;

/// What an `eval_rst` body gave.
pub struct Rst {
    pub blocks: Vec<Block>,
    /// The names of the directives skipped (`automodule`, `raw:: latex`, …).
    pub skipped: Vec<String>,
    /// Errors of files that cannot be included, at the block.
    pub errors: Vec<Diagnostic>,
}

/// Reads an `eval_rst` body. `dir` is the section's folder, where `:file:` paths are
/// looked up first (then at the book root); `fence` is the ```` ```eval_rst ```` line and
/// `first_line` the source line of the body's first line.
pub fn read(body: &str, dir: &Path, files: &Fence, fence: &Span, first_line: usize) -> Rst {
    let mut rst = Rst {
        blocks: Vec::new(),
        skipped: Vec::new(),
        errors: Vec::new(),
    };
    let reader = Reader { dir, files, fence };
    let lines: Vec<&str> = body.lines().collect();
    rst.blocks = reader.blocks(&lines, (first_line, 1), &mut rst);
    rst
}

struct Reader<'a> {
    dir: &'a Path,
    files: &'a Fence,
    fence: &'a Span,
}

impl Reader<'_> {
    /// The blocks of `lines`, whose first line is at `at` (source line, column of the
    /// lines' first character).
    fn blocks(&self, lines: &[&str], at: (usize, usize), rst: &mut Rst) -> Vec<Block> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i].trim_end();
            if line.is_empty() {
                i += 1;
                continue;
            }
            // `.. ` opens a directive or a comment (`...` is text).
            let explicit = line
                .strip_prefix("..")
                .filter(|rest| rest.is_empty() || rest.starts_with([' ', '\t']));
            if let Some(directive) = explicit {
                // The directive's options and content: the indented lines after it.
                let mut end = i + 1;
                while end < lines.len()
                    && (lines[end].trim().is_empty() || lines[end].starts_with([' ', '\t']))
                {
                    end += 1;
                }
                let (inner, indent) = dedent(&lines[i + 1..end]);
                let inner_at = (at.0 + i + 1, at.1 + indent);
                self.directive(directive.trim(), &inner, inner_at, rst, &mut out);
                i = end;
            } else if let Some(level) = lines.get(i + 1).and_then(|u| underline(line, u)) {
                let span = Span {
                    line: at.0 + i,
                    col: at.1,
                    len: line.chars().count(),
                    ..self.fence.clone()
                };
                out.push(Block::Heading(Heading {
                    level,
                    content: vec![Inline::Text(line.trim().to_string())],
                    id: String::new(),
                    label: None,
                    number: String::new(),
                    span,
                }));
                i += 2;
            } else {
                // A paragraph, shown as its text: rst inline markup is not read.
                let mut end = i;
                while end < lines.len() && !lines[end].trim().is_empty() {
                    end += 1;
                }
                let text: Vec<&str> = lines[i..end].iter().map(|l| l.trim()).collect();
                out.push(Block::Paragraph(vec![Inline::Text(text.join(" "))]));
                i = end;
            }
        }
        out
    }

    /// One directive (`name:: argument`, after the `..`) with its indented body.
    fn directive(
        &self,
        directive: &str,
        body: &[&str],
        at: (usize, usize),
        rst: &mut Rst,
        out: &mut Vec<Block>,
    ) {
        let Some((name, argument)) = directive.split_once("::") else {
            // `.. text` without `::` is a comment (or a link target): nothing to show.
            return;
        };
        let (name, argument) = (name.trim(), argument.trim());
        match (name, argument) {
            ("raw", "html") => {
                let (options, content) = split_options(body);
                match options.iter().find(|(k, _)| k == "file") {
                    Some((_, path)) => match self.include(path) {
                        Ok(html) => out.push(self.raw_html(html)),
                        Err(e) => rst.errors.push(Diagnostic::error(format!(
                            "cannot read raw html file '{path}': {e}"
                        ))),
                    },
                    None => out.push(self.raw_html(content)),
                }
            }
            ("only", "html" | "latex") => {
                let backend = if argument == "html" {
                    Backend::Html
                } else {
                    Backend::Pdf
                };
                // Section titles are not the directive's to hide (as in Sphinx): they
                // name the section in every output, so they split the content.
                let mut run = Vec::new();
                for block in self.blocks(body, at, rst) {
                    if let Block::Heading(_) = block {
                        if !run.is_empty() {
                            out.push(Block::Only {
                                backend,
                                blocks: std::mem::take(&mut run),
                            });
                        }
                        out.push(block);
                    } else {
                        run.push(block);
                    }
                }
                if !run.is_empty() {
                    out.push(Block::Only {
                        backend,
                        blocks: run,
                    });
                }
            }
            ("raw" | "only", _) => rst.skipped.push(format!("{name}:: {argument}")),
            _ => rst.skipped.push(name.to_string()),
        }
    }

    fn raw_html(&self, html: String) -> Block {
        Block::RawHtml {
            html,
            span: self.fence.clone(),
        }
    }

    /// A `:file:` include: relative to the section's folder, else to the book root.
    fn include(&self, path: &str) -> Result<String, Refused> {
        match self.files.read_to_string(&self.dir.join(path)) {
            Err(Refused::Missing(e)) => match self.files.root().map(|root| root.join(path)) {
                Some(file) if file.exists() => self.files.read_to_string(&file),
                _ => Err(Refused::Missing(e)),
            },
            read => read,
        }
    }
}

/// The level of a section title `title` whose next line is `line`, if that line is its
/// underline: one punctuation character repeated at least as long as the title. The
/// levels follow the adornments pandoc writes (`=`, `-`, `~`, `^`, …).
fn underline(title: &str, line: &str) -> Option<u8> {
    let line = line.trim_end();
    let c = line.chars().next()?;
    let adornment = c.is_ascii_punctuation()
        && line.chars().all(|x| x == c)
        && line.chars().count() >= title.trim().chars().count().max(2)
        && !title.starts_with([' ', '\t']);
    adornment.then_some(match c {
        '=' => 1,
        '-' => 2,
        '~' => 3,
        '^' => 4,
        _ => 5,
    })
}

/// The lines without their common indentation, and that indentation in characters.
fn dedent<'a>(lines: &[&'a str]) -> (Vec<&'a str>, usize) {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let body = lines
        .iter()
        // Indents of other white space (a tab, U+3000) may end inside a character.
        .map(|l| l.get(indent..).unwrap_or_else(|| l.trim_start()))
        .collect();
    (body, indent)
}

/// `:key: value` lines at the top of a directive body, then the content.
fn split_options(body: &[&str]) -> (Vec<(String, String)>, String) {
    let mut options = Vec::new();
    let mut rest = Vec::new();
    let mut in_options = true;
    for line in body {
        if in_options {
            if line.trim().is_empty() && options.is_empty() {
                continue;
            }
            if let Some((k, v)) = line.strip_prefix(':').and_then(|l| l.split_once(':')) {
                options.push((k.trim().to_string(), v.trim().to_string()));
                continue;
            }
            in_options = false;
        }
        rest.push(*line);
    }
    (options, rest.join("\n").trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_only_titles_and_skipped_directives() {
        let body = ".. raw:: html\n\n   <p>a</p>\n\n...and more.\n\n.. only:: html\n\n   References\n   ==========\n\n   .. raw:: html\n\n      <b>b</b>\n\n.. only:: latex\n\n   Printed\n   only.\n\n.. autofunction:: f\n.. currentmodule:: d2l\n\n.. a comment\n";
        let fence = Span {
            file: "t.md".into(),
            line: 10,
            col: 1,
            len: 10,
        };
        let rst = read(body, Path::new("."), &Fence::closed(), &fence, 11);
        let shapes: Vec<String> = rst
            .blocks
            .iter()
            .map(|b| match b {
                Block::RawHtml { html, .. } => format!("raw {html}"),
                Block::Heading(h) => format!(
                    "h{} {} at {}:{}",
                    h.level,
                    crate::doc::plain_text(&h.content),
                    h.span.line,
                    h.span.col
                ),
                Block::Only { backend, blocks } => format!("{backend:?} {}", blocks.len()),
                Block::Paragraph(p) => crate::doc::plain_text(p),
                _ => "?".into(),
            })
            .collect();
        assert_eq!(
            shapes,
            [
                "raw <p>a</p>",
                "...and more.",
                "h1 References at 19:4",
                "Html 1",
                "Pdf 1"
            ]
        );
        let Block::Only { blocks, .. } = &rst.blocks[4] else {
            panic!()
        };
        assert!(
            matches!(&blocks[0], Block::Paragraph(p) if crate::doc::plain_text(p) == "Printed only.")
        );
        assert_eq!(rst.skipped, ["autofunction", "currentmodule"]);
        assert!(rst.errors.is_empty());
    }
}
