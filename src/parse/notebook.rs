//! Jupyter notebooks as sections: markdown cells follow the dialect, code cells are cells
//! of the notebook's kernel language. Diagnostics point at `file.ipynb#cellN:line:col`.

use crate::diag::Diagnostic;
use crate::doc::Doc;
use crate::fence::Fence;
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct Notebook {
    #[serde(default)]
    cells: Vec<Cell>,
    #[serde(default)]
    metadata: serde_json::Value,
}

#[derive(Deserialize)]
struct Cell {
    cell_type: String,
    #[serde(default)]
    source: Source,
    #[serde(default)]
    metadata: serde_json::Value,
}

impl Cell {
    /// The set-up cell `build ipynb` writes first (it loads the library for the kernel,
    /// which a build's cells already have): not part of the section.
    fn is_setup(&self) -> bool {
        self.metadata
            .pointer("/tags")
            .and_then(|t| t.as_array())
            .is_some_and(|tags| {
                tags.iter()
                    .any(|t| t.as_str() == Some(crate::render::ipynb::SETUP_TAG))
            })
    }
}

/// nbformat allows the source as one string or as a list of lines.
#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Source {
    #[default]
    Empty,
    One(String),
    Lines(Vec<String>),
}

impl Source {
    fn text(&self) -> String {
        match self {
            Source::Empty => String::new(),
            Source::One(s) => s.clone(),
            Source::Lines(lines) => lines.concat(),
        }
    }
}

pub fn parse(json: &str, file: &str, dir: &Path, fence: &Fence) -> (Doc, Vec<Diagnostic>) {
    let json = json.strip_prefix('\u{feff}').unwrap_or(json);
    let notebook: Notebook = match serde_json::from_str(json) {
        Ok(n) => n,
        Err(e) => {
            let at = offset_of(json, e.line(), e.column());
            let span = crate::doc::span_of(json, file, at..at);
            // serde_json's text ends in "at line 3 column 11", a byte column: the span
            // gives the character column instead.
            let message = e.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map_or(&*message, |(m, _)| m);
            return (
                Doc::default(),
                vec![Diagnostic::error(format!("invalid notebook: {message}")).at(&span)],
            );
        }
    };
    let lang = ["/kernelspec/language", "/language_info/name"]
        .iter()
        .find_map(|p| notebook.metadata.pointer(p).and_then(|v| v.as_str()))
        .unwrap_or("python")
        .to_lowercase();
    // The cells as one Markdown text; `starts[i]` is the text's line where cell i begins.
    let mut text = String::new();
    let mut starts = Vec::new();
    for cell in &notebook.cells {
        let source = cell.source.text();
        let source = source.trim_end();
        match cell.cell_type.as_str() {
            "markdown" => {
                starts.push(text.lines().count() + 1);
                text.push_str(source);
            }
            "code" if cell.is_setup() => starts.push(text.lines().count() + 1),
            "code" => {
                starts.push(text.lines().count() + 2);
                text.push_str(&format!("```{{.{lang} .input}}\n{source}\n```"));
            }
            _ => starts.push(text.lines().count() + 1),
        }
        text.push_str("\n\n");
    }
    let (doc, mut diags) = super::markdown::parse(&text, file, dir, fence);
    for d in &mut diags {
        if let Some(span) = &mut d.span {
            let cell = starts.partition_point(|&s| s <= span.line).max(1);
            if let Some(start) = starts.get(cell - 1) {
                span.line = (span.line + 1).saturating_sub(*start).max(1);
                span.file = format!("{file}#cell{cell}").into();
            }
        }
    }
    (doc, diags)
}

/// The byte offset of serde_json's error position: its line counts `\n`s and its column
/// counts bytes (1-based; 0 when the error is at a line's start), not characters.
/// `span_of` turns it into a character column and clamps it into a character.
fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let line_start = text
        .match_indices('\n')
        .nth(line.saturating_sub(2))
        .filter(|_| line > 1)
        .map_or(0, |(i, _)| i + 1);
    line_start + col.saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Block;

    #[test]
    fn cells_become_blocks_and_diagnostics_name_the_cell() {
        let nb = r##"{"metadata": {"kernelspec": {"language": "rust"}}, "nbformat": 4, "cells": [
            {"cell_type": "markdown", "source": ["# Title\n", "text"]},
            {"cell_type": "code", "source": "let x = 1;", "outputs": []},
            {"cell_type": "markdown", "source": "see :numref:`x` and :bogus:`y`"}]}"##;
        let (doc, diags) = parse(
            nb,
            "nb.ipynb",
            Path::new("."),
            &Fence::new(Path::new("."), &[]),
        );
        assert!(matches!(&doc.blocks[2], Block::Code(c) if c.lang == "rust" && c.cell.is_some()));
        let span = diags[0].span.as_ref().unwrap();
        assert_eq!((span.file.as_ref(), span.line), ("nb.ipynb#cell3", 1));
    }

    #[test]
    fn the_set_up_cell_of_build_ipynb_is_not_part_of_the_section() {
        let nb = r##"{"metadata": {"kernelspec": {"language": "rust"}}, "nbformat": 4, "cells": [
            {"cell_type": "code", "metadata": {"tags": ["d2l-setup"]}, "source": [":dep d2l = { path = \"d2l-lib\" }\n", "use d2l::prelude::*;"], "outputs": []},
            {"cell_type": "markdown", "metadata": {}, "source": "text :bogus:`y`"}]}"##;
        let (doc, diags) = parse(nb, "nb.ipynb", Path::new("."), &Fence::closed());
        assert!(matches!(&doc.blocks[..], [Block::Paragraph(_)]), "{doc:?}");
        let span = diags[0].span.as_ref().unwrap();
        assert_eq!((span.file.as_ref(), span.line), ("nb.ipynb#cell2", 1));
    }

    #[test]
    fn json_errors_point_at_the_character_whatever_the_line_ends() {
        // Before, the offset of `x` came out two bytes early (one per `\r`), inside `あ`.
        let (_, diags) = parse(
            "{\r\n\r\n\"a\": \"あ\"x}",
            "nb.ipynb",
            Path::new("."),
            &Fence::closed(),
        );
        let span = diags[0].span.as_ref().unwrap();
        assert_eq!((span.line, span.col), (3, 9), "{}", diags[0].message);
        let (_, diags) = parse(
            "{\"cells\": [], \"あいう\" x}",
            "nb.ipynb",
            Path::new("."),
            &Fence::closed(),
        );
        let span = diags[0].span.as_ref().unwrap();
        assert_eq!((span.line, span.col), (1, 21), "{}", diags[0].message);
        assert_eq!(diags[0].message, "invalid notebook: expected `:`");
    }
}
