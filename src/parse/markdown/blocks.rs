//! Blocks with a structure of their own: tables, fenced code (cells, `toc`, `eval_rst`,
//! raw blocks) and the entries of a toc block.

use super::*;

impl MdParser<'_> {
    pub(super) fn table(&mut self, aligns: Vec<pulldown_cmark::Alignment>, span: Span) -> Table {
        use pulldown_cmark::Alignment as A;
        let mut table = Table {
            caption: Vec::new(),
            label: None,
            align: aligns
                .iter()
                .map(|a| match a {
                    A::None => Align::None,
                    A::Left => Align::Left,
                    A::Center => Align::Center,
                    A::Right => Align::Right,
                })
                .collect(),
            head: Vec::new(),
            rows: Vec::new(),
            span,
            number: String::new(),
        };
        let mut in_head = false;
        // Body rows as items: a last row that is only a `:label:` is the table's label.
        let mut rows: Vec<Vec<Vec<Item>>> = Vec::new();
        while let Some((event, _)) = self.next() {
            match event {
                Event::Start(Tag::TableHead) => in_head = true,
                Event::End(TagEnd::TableHead) => in_head = false,
                Event::Start(Tag::TableRow) => rows.push(Vec::new()),
                Event::Start(Tag::TableCell) => {
                    let items = self.items(TagEnd::TableCell);
                    if in_head {
                        let cell = self.inlines_only(items);
                        table.head.push(cell);
                    } else if let Some(row) = rows.last_mut() {
                        row.push(items);
                    }
                }
                Event::End(TagEnd::Table) => break,
                _ => {}
            }
        }
        // `:label:` on the line right after the last row: Markdown reads it as a row.
        if let Some((arg, span)) = rows.last().and_then(|row| label_row(row)) {
            rows.pop();
            table.label = self.label(&arg, &span);
        }
        for row in rows {
            let row = row
                .into_iter()
                .map(|cell| self.inlines_only(cell))
                .collect();
            table.rows.push(row);
        }
        table
    }

    pub(super) fn code_block(
        &mut self,
        info: &str,
        code: String,
        fence: Span,
        first_line: usize,
        out: &mut Vec<Node>,
    ) {
        let (lang, is_input) = cells::parse_info(info);
        let code = code.strip_suffix('\n').unwrap_or(&code).to_string();
        match lang.as_str() {
            "toc" if !is_input => {
                let toc = self.toc(&code, first_line);
                out.push(Node::Block(Block::Toc(toc)));
                return;
            }
            "eval_rst" if !is_input => {
                let rst = rst::read(&code, self.dir, self.fence, &fence, first_line);
                for d in rst.errors {
                    self.diags.push(d.at(&fence));
                }
                // One warning for the block, however many directives it holds.
                if !rst.skipped.is_empty() {
                    let n = rst.skipped.len();
                    let mut names: Vec<String> = Vec::new();
                    for name in rst.skipped {
                        if !names.contains(&name) {
                            names.push(name);
                        }
                    }
                    self.diags.push(
                        Diagnostic::warning(format!(
                            "{n} reStructuredText directive{} skipped: {}",
                            if n == 1 { "" } else { "s" },
                            names.join(", ")
                        ))
                        .at(&fence)
                        .help("Sphinx directives such as autodoc cannot run here; `raw:: html` and `only:: html`/`latex` can"),
                    );
                }
                out.extend(rst.blocks.into_iter().map(Node::Block));
                return;
            }
            _ => {}
        }
        if !is_input {
            let lines = (0..code.lines().count()).map(|i| first_line + i).collect();
            out.push(Node::Block(Block::Code(Code {
                lang,
                code,
                cell: None,
                label: None,
                span: fence,
                lines,
                outputs: Vec::new(),
                number: String::new(),
            })));
            return;
        }
        let src = cells::strip_marks(&code, &lang);
        for (line, mark) in &src.unknown {
            let span = Span {
                line: first_line + line,
                col: 1,
                len: mark.chars().count(),
                ..fence.clone()
            };
            self.warn(format!("unknown cell mark '{mark}'"), &span);
        }
        let cell = Block::Code(Code {
            lang,
            code: src.code,
            cell: Some(src.marks),
            label: None,
            lines: src.kept_lines.iter().map(|l| first_line + l).collect(),
            span: fence.clone(),
            outputs: Vec::new(),
            number: String::new(),
        });
        if src.tabs.is_empty() {
            out.push(Node::Block(cell));
        } else {
            out.push(Node::Block(Block::Tab {
                names: src.tabs,
                blocks: vec![cell],
                span: fence,
            }));
        }
    }

    pub(super) fn toc(&mut self, code: &str, first_line: usize) -> Toc {
        let mut toc = Toc {
            entries: Vec::new(),
            maxdepth: usize::MAX,
            numbered: false,
        };
        for (i, line) in code.lines().enumerate() {
            let entry = line.trim();
            let span = Span {
                file: self.file.clone(),
                line: first_line + i,
                col: line.chars().count() - line.trim_start().chars().count() + 1,
                len: entry.chars().count(),
            };
            if let Some(option) = entry.strip_prefix(':') {
                let (name, value) = option.split_once(':').unwrap_or((option, ""));
                match name {
                    "maxdepth" => match value.trim().parse() {
                        Ok(n) => toc.maxdepth = n,
                        Err(_) => self.error(
                            format!("':maxdepth:' needs a number, not '{}'", value.trim()),
                            &span,
                        ),
                    },
                    "numbered" => toc.numbered = true,
                    "glob" | "hidden" | "titlesonly" | "caption" | "name" => {}
                    _ => self.warn(format!("unknown toc option ':{name}:'"), &span),
                }
            } else if !entry.is_empty() {
                toc.entries.push(TocEntry {
                    target: entry.to_string(),
                    span,
                });
            }
        }
        toc
    }
}

/// The argument and span of a table row that holds nothing but a `:label:` role.
fn label_row(row: &[Vec<Item>]) -> Option<(String, Span)> {
    let mut label = None;
    for item in row.iter().flatten() {
        match item {
            Item::Role { name, arg, span } if name == "label" && label.is_none() => {
                label = Some((arg.clone(), span.clone()));
            }
            Item::Inline(Inline::Text(t)) if t.trim().is_empty() => {}
            _ => return None,
        }
    }
    label
}
