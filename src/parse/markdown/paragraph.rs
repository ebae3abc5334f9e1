//! A paragraph's items → blocks: display equations split it, labels attach to what they
//! follow, an image alone is a figure, a leading `:` makes a table caption.

use super::*;

impl MdParser<'_> {
    /// Turns a paragraph's items into blocks: equations split it, labels attach to what
    /// precedes them, an image alone is a figure, a leading `:` makes a table caption.
    /// `range` is the paragraph's source, where its `:end_tab:` marks are looked up.
    pub(super) fn paragraph(&mut self, items: Vec<Item>, range: Range<usize>, out: &mut Vec<Node>) {
        let mut run: Vec<Item> = Vec::new();
        // Only the run before the first split (an equation, a tab mark, the bibliography)
        // can be a `:Caption`: that is the run holding the paragraph's leading `:`.
        let mut is_caption =
            matches!(items.first(), Some(Item::Inline(Inline::Text(t))) if t.starts_with(':'));
        let mut caption_label: Option<Label> = None;
        let source = self.text.get(range.clone()).unwrap_or("");
        let mut end_tabs = source
            .match_indices(":end_tab:")
            .map(|(at, _)| range.start + at);
        for item in items {
            if let Item::Inline(Inline::Text(t)) = &item {
                self.unopened_math(t, source, range.start);
            }
            match item {
                Item::DisplayMath(tex, span) => {
                    self.split(&mut run, out, &mut is_caption, &mut caption_label);
                    out.push(Node::Block(Block::Equation(Equation {
                        tex,
                        label: None,
                        span,
                        number: String::new(),
                    })));
                }
                Item::Role { name, arg, span } => match name.as_str() {
                    "begin_tab" => {
                        self.split(&mut run, out, &mut is_caption, &mut caption_label);
                        let names = roles::cite_keys(&arg);
                        out.push(Node::TabBegin(names, span));
                    }
                    "bibliography" => {
                        self.split(&mut run, out, &mut is_caption, &mut caption_label);
                        out.push(Node::Block(Block::Bibliography { path: arg, span }));
                    }
                    "label" | "eqlabel" => {
                        let label = self.label(&arg, &span);
                        if is_caption && caption_label.is_none() && !run.is_empty() {
                            caption_label = label;
                        } else if is_figure_run(&run) {
                            run.push(Item::Role { name, arg, span });
                        } else if only_space(&run) {
                            run.clear();
                            if let Some(label) = label {
                                self.attach(label, &name, out);
                            }
                        } else {
                            self.warn(format!("':{name}:' must follow a heading, figure, table, equation or code block"), &span);
                        }
                    }
                    "width" | "height" if is_figure_run(&run) => {
                        run.push(Item::Role { name, arg, span });
                    }
                    "width" | "height" => run.push(Item::Role { name, arg, span }),
                    _ => match self.reference(&name, &arg, &span) {
                        Some(inline) => run.push(Item::Inline(inline)),
                        None => self.warn(format!("':{name}:' is out of place here"), &span),
                    },
                },
                Item::Inline(Inline::Text(t)) if t.contains(":end_tab:") => {
                    for (i, part) in t.split(":end_tab:").enumerate() {
                        if i > 0 {
                            self.split(&mut run, out, &mut is_caption, &mut caption_label);
                            let at = end_tabs.next().unwrap_or(range.start);
                            out.push(Node::TabEnd(self.span(at..at + ":end_tab:".len())));
                        }
                        if !part.trim().is_empty() {
                            run.push(Item::Inline(Inline::Text(part.to_string())));
                        }
                    }
                }
                other => run.push(other),
            }
        }
        self.flush(run, out, is_caption, caption_label);
    }

    /// Warns about each `$` of a paragraph's text that reads as the start of a formula
    /// (`$\`, `${`, `$}`) but that Markdown left as text because the formula's braces do
    /// not balance (`$\text{$`): the reader would see the TeX. `source`, at `offset`, is
    /// the paragraph's source.
    fn unopened_math(&mut self, text: &str, source: &str, offset: usize) {
        let mut from = 0;
        for (i, _) in text.match_indices('$') {
            let rest = &text[i..];
            if !rest[1..].starts_with(['\\', '{', '}']) {
                continue;
            }
            let fragment = rest.split_whitespace().next().unwrap_or(rest);
            let Some(at) = source[from..].find(fragment).map(|at| from + at) else {
                continue;
            };
            from = at + fragment.len();
            let span = self.span(offset + at..offset + from);
            self.diags.push(
                Diagnostic::warning(format!(
                    "'{fragment}' is shown as text, not math: its braces do not balance"
                ))
                .at(&span)
                .help("balance the braces, or write `\\$` for a dollar sign"),
            );
        }
    }

    pub(super) fn label(&mut self, arg: &str, span: &Span) -> Option<Label> {
        let name = arg.trim();
        if !roles::is_valid_label(name) {
            self.error(
                format!("invalid label '{name}': a label is text without spaces"),
                span,
            );
            return None;
        }
        Some(Label {
            name: name.to_string(),
            span: span.clone(),
        })
    }

    /// Attaches a label to the last block (heading, figure, table, equation, code).
    pub(super) fn attach(&mut self, label: Label, role: &str, out: &mut [Node]) {
        let slot = match out.last_mut() {
            Some(Node::Block(Block::Heading(h))) if role == "label" => Some(&mut h.label),
            Some(Node::Block(Block::Figure(f))) if role == "label" => Some(&mut f.label),
            Some(Node::Block(Block::Table(t))) if role == "label" => Some(&mut t.label),
            Some(Node::Caption(_, l)) if role == "label" => Some(l),
            Some(Node::Block(Block::Code(c))) if role == "label" => Some(&mut c.label),
            Some(Node::Block(Block::Equation(e))) => Some(&mut e.label),
            _ => None,
        };
        match slot {
            Some(slot) if slot.is_none() => *slot = Some(label),
            Some(_) => self.warn(
                format!("second label '{}' for the same element", label.name),
                &label.span,
            ),
            None => {
                let what = if role == "eqlabel" {
                    "a display equation ($$…$$)"
                } else {
                    "a heading, figure, table, equation or code block"
                };
                self.warn(
                    format!("':{role}:`{}`' does not follow {what}", label.name),
                    &label.span,
                );
            }
        }
    }

    /// Ends the current run where a paragraph splits; what follows is no caption.
    pub(super) fn split(
        &mut self,
        run: &mut Vec<Item>,
        out: &mut Vec<Node>,
        caption: &mut bool,
        label: &mut Option<Label>,
    ) {
        self.flush(
            std::mem::take(run),
            out,
            std::mem::take(caption),
            label.take(),
        );
    }

    /// Ends an inline run: a figure, a table caption, a paragraph, or nothing.
    fn flush(&mut self, run: Vec<Item>, out: &mut Vec<Node>, caption: bool, label: Option<Label>) {
        if only_space(&run) {
            return;
        }
        if is_figure_run(&run) {
            let figure = self.figure(run);
            out.push(Node::Block(Block::Figure(figure)));
            return;
        }
        let mut inlines = self.inlines_only(run);
        trim_inlines(&mut inlines);
        // The leading `:` of a caption is the run's first character (`paragraph` passes
        // `caption` only for the run that starts the paragraph).
        let caption_text = match inlines.first() {
            Some(Inline::Text(t)) if caption => t.strip_prefix(':').map(str::trim_start),
            _ => None,
        };
        if let Some(rest) = caption_text {
            inlines[0] = Inline::Text(rest.to_string());
            inlines.retain(|i| !matches!(i, Inline::Text(t) if t.is_empty()));
            out.push(Node::Caption(inlines, label));
        } else if !inlines.is_empty() {
            out.push(Node::Block(Block::Paragraph(inlines)));
        }
    }

    pub(super) fn figure(&mut self, run: Vec<Item>) -> Figure {
        let mut figure = Figure {
            src: String::new(),
            caption: Vec::new(),
            width: None,
            height: None,
            label: None,
            span: Span {
                file: self.file.clone(),
                line: 0,
                col: 0,
                len: 0,
            },
            number: String::new(),
        };
        for item in run {
            match item {
                Item::Image { src, caption, span } => {
                    figure.src = src;
                    figure.caption = caption;
                    figure.span = span;
                }
                Item::Role { name, arg, span } => match name.as_str() {
                    "width" => figure.width = Some(arg.trim().to_string()),
                    "height" => figure.height = Some(arg.trim().to_string()),
                    _ => {
                        if let Some(label) = self.label(&arg, &span) {
                            if figure.label.is_some() {
                                self.warn(
                                    format!("second label '{}' for the same figure", label.name),
                                    &span,
                                );
                            }
                            figure.label = Some(label);
                        }
                    }
                },
                _ => {}
            }
        }
        figure
    }
}

pub(super) fn caption_paragraph(mut text: Vec<Inline>) -> Block {
    // Not followed by a table after all: it was a paragraph that starts with ':'.
    text.insert(0, Inline::Text(":".into()));
    Block::Paragraph(text)
}

fn only_space(run: &[Item]) -> bool {
    run.iter().all(|i| match i {
        Item::Inline(Inline::Text(t)) => t.trim().is_empty(),
        Item::Inline(Inline::SoftBreak | Inline::HardBreak) => true,
        _ => false,
    })
}

/// An image and nothing else but size and label roles and spaces.
fn is_figure_run(run: &[Item]) -> bool {
    let mut images = 0;
    for item in run {
        match item {
            Item::Image { .. } => images += 1,
            Item::Role { name, .. } if matches!(name.as_str(), "width" | "height" | "label") => {}
            Item::Inline(Inline::Text(t)) if t.trim().is_empty() => {}
            Item::Inline(Inline::SoftBreak | Inline::HardBreak) => {}
            _ => return false,
        }
    }
    images == 1
}
