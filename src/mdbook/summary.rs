//! `SUMMARY.md`, mdBook's table of contents: an optional `# Summary` title, prefix
//! chapters (links before the first list), numbered chapters in nested lists, `# Part`
//! titles and `---` separators among them, suffix chapters (links after the lists), and
//! drafts (`[Title]()`, a chapter without a file yet). Read with pulldown-cmark, as
//! mdBook does, into a flat list in reading order.

use crate::diag::Diagnostic;
use crate::doc::{LineIndex, Span};
use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use std::ops::Range;
use std::sync::Arc;

#[derive(Debug, PartialEq)]
pub enum Item {
    /// A chapter; `path` is `None` for a draft. `depth` is 1 for a top-level entry;
    /// `number` is empty for prefix and suffix chapters.
    Chapter {
        title: String,
        path: Option<String>,
        number: Vec<u32>,
        depth: usize,
        span: Span,
    },
    Part(String),
    Separator,
}

struct SummaryParser<'a> {
    events: Vec<(Event<'a>, Range<usize>)>,
    pos: usize,
    text: &'a str,
    file: Arc<str>,
    lines: LineIndex,
    items: Vec<Item>,
    diags: Vec<Diagnostic>,
    /// The last number given to a top-level chapter: numbering runs on across parts.
    top_number: u32,
}

/// The entries of a `SUMMARY.md` (`file` is its path as diagnostics show it).
pub fn parse(text: &str, file: &str) -> (Vec<Item>, Vec<Diagnostic>) {
    let mut p = SummaryParser {
        events: Parser::new(text).into_offset_iter().collect(),
        pos: 0,
        text,
        file: file.into(),
        lines: LineIndex::new(text),
        items: Vec::new(),
        diags: Vec::new(),
        top_number: 0,
    };
    p.top_level();
    (p.items, p.diags)
}

impl<'a> SummaryParser<'a> {
    fn next(&mut self) -> Option<(Event<'a>, Range<usize>)> {
        let item = self.events.get(self.pos).cloned();
        self.pos += 1;
        item
    }

    fn span(&self, range: Range<usize>) -> Span {
        self.lines.span(self.text, self.file.clone(), range)
    }

    fn top_level(&mut self) {
        let mut first = true;
        while let Some((event, range)) = self.next() {
            let was_first = std::mem::replace(&mut first, false);
            match event {
                Event::Start(Tag::Heading { level, .. }) => {
                    let title = self.text_until(TagEnd::Heading(level));
                    // The first `# …` is the summary's own title, as in mdBook.
                    if level == HeadingLevel::H1 && !was_first {
                        self.items.push(Item::Part(title));
                    }
                }
                Event::Rule => self.items.push(Item::Separator),
                Event::Start(Tag::List(_)) => self.list(Vec::new(), 1),
                // Prefix chapters (before the lists) and suffix chapters (after).
                Event::Start(Tag::Paragraph) => {
                    let mut found = false;
                    while let Some((event, range)) = self.next() {
                        match event {
                            Event::Start(Tag::Link { dest_url, .. }) => {
                                found = true;
                                self.link(dest_url.to_string(), range, Vec::new(), 1);
                            }
                            Event::End(TagEnd::Paragraph) => break,
                            _ => {}
                        }
                    }
                    if !found {
                        self.ignored(range);
                    }
                }
                Event::Start(Tag::HtmlBlock) => self.skip_to(TagEnd::HtmlBlock),
                Event::Start(_) => {
                    self.ignored(range);
                    self.skip_current();
                }
                _ => {}
            }
        }
    }

    /// A (nested) list of numbered chapters, whose numbers start with `prefix`.
    fn list(&mut self, prefix: Vec<u32>, depth: usize) {
        let mut counter = 0;
        while let Some((event, range)) = self.next() {
            match event {
                Event::Start(Tag::Item) => {
                    let number = if depth == 1 {
                        self.top_number += 1;
                        vec![self.top_number]
                    } else {
                        counter += 1;
                        let mut n = prefix.clone();
                        n.push(counter);
                        n
                    };
                    self.item(number, depth, range);
                }
                Event::End(TagEnd::List(_)) => return,
                _ => {}
            }
        }
    }

    /// One list item: its link, then its own list of sub-chapters.
    fn item(&mut self, number: Vec<u32>, depth: usize, range: Range<usize>) {
        let mut linked = false;
        while let Some((event, r)) = self.next() {
            match event {
                Event::Start(Tag::Link { dest_url, .. }) if !linked => {
                    linked = true;
                    self.link(dest_url.to_string(), r, number.clone(), depth);
                }
                // Nesting is bounded as in chapters: the lists are read recursively.
                Event::Start(Tag::List(_)) if depth >= crate::parse::MAX_NESTING => {
                    let span = self.span(r);
                    self.diags.push(
                        Diagnostic::warning(format!(
                            "chapters nested deeper than {} levels; the deeper ones are left out",
                            crate::parse::MAX_NESTING
                        ))
                        .at(&span),
                    );
                    self.skip_current();
                }
                Event::Start(Tag::List(_)) => {
                    if !linked {
                        self.ignored(range.clone());
                    }
                    linked = true;
                    self.list(number.clone(), depth + 1);
                }
                Event::End(TagEnd::Item) => break,
                _ => {}
            }
        }
        if !linked {
            self.ignored(range);
        }
    }

    /// A link just opened at `range`: a chapter, or a draft when it has no target.
    fn link(&mut self, dest: String, range: Range<usize>, number: Vec<u32>, depth: usize) {
        let title = self.text_until(TagEnd::Link);
        let path = (!dest.trim().is_empty()).then(|| dest.trim().to_string());
        self.items.push(Item::Chapter {
            title,
            path,
            number,
            depth,
            span: self.span(range),
        });
    }

    /// The plain text of the events up to `end` (code spans included, markup dropped).
    fn text_until(&mut self, end: TagEnd) -> String {
        let mut text = String::new();
        while let Some((event, _)) = self.next() {
            match event {
                Event::End(e) if e == end => break,
                Event::Text(t) | Event::Code(t) => text.push_str(&t),
                Event::SoftBreak | Event::HardBreak => text.push(' '),
                _ => {}
            }
        }
        text.trim().to_string()
    }

    fn skip_to(&mut self, end: TagEnd) {
        while let Some((event, _)) = self.next() {
            if event == Event::End(end) {
                break;
            }
        }
    }

    /// Skips the rest of the element whose start was just read.
    fn skip_current(&mut self) {
        let mut depth = 1;
        while let Some((event, _)) = self.next() {
            match event {
                Event::Start(_) => depth += 1,
                Event::End(_) => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
        }
    }

    fn ignored(&mut self, range: Range<usize>) {
        let span = self.span(range);
        self.diags.push(
            Diagnostic::warning("SUMMARY.md holds no chapter link here; ignored")
                .at(&span)
                .help("entries are links `[Title](path.md)`, drafts `[Title]()`, `# Part` titles or `---`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapters(items: &[Item]) -> Vec<(String, Option<String>, Vec<u32>, usize)> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::Chapter {
                    title,
                    path,
                    number,
                    depth,
                    ..
                } => Some((title.clone(), path.clone(), number.clone(), *depth)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_parts_of_a_summary() {
        let text = "# Summary\n\n[Preface](preface.md)\n\n# Basics\n\n- [One](one.md)\n    - [One A](one/a.md)\n    - [One B](one/b.md)\n- [Two `x`](two.md)\n\n---\n\n# More\n\n- [Three]()\n  - [Three A](three/a.md)\n\n[Appendix](appendix.md)\n";
        let (items, diags) = parse(text, "src/SUMMARY.md");
        assert!(diags.is_empty(), "{diags:?}");
        let c = chapters(&items);
        let s = |t: &str| t.to_string();
        assert_eq!(c[0], (s("Preface"), Some(s("preface.md")), vec![], 1));
        assert_eq!(c[1], (s("One"), Some(s("one.md")), vec![1], 1));
        assert_eq!(c[2], (s("One A"), Some(s("one/a.md")), vec![1, 1], 2));
        assert_eq!(c[3], (s("One B"), Some(s("one/b.md")), vec![1, 2], 2));
        assert_eq!(c[4], (s("Two x"), Some(s("two.md")), vec![2], 1));
        assert_eq!(c[5], (s("Three"), None, vec![3], 1));
        assert_eq!(c[6], (s("Three A"), Some(s("three/a.md")), vec![3, 1], 2));
        assert_eq!(c[7], (s("Appendix"), Some(s("appendix.md")), vec![], 1));
        assert_eq!(items[1], Item::Part(s("Basics")));
        assert_eq!(items[6], Item::Separator);
        assert_eq!(items[7], Item::Part(s("More")));
        let Item::Chapter { span, .. } = &items[2] else {
            panic!()
        };
        assert_eq!((span.line, span.col), (7, 3));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let text: String = (0..200)
            .map(|i| format!("{}- [C{i}](c{i}.md)\n", "  ".repeat(i)))
            .collect();
        let (items, diags) = parse(&text, "SUMMARY.md");
        assert_eq!(chapters(&items).len(), crate::parse::MAX_NESTING);
        assert_eq!(diags.len(), 1);
    }

    #[test]
    fn stray_text_is_a_located_warning() {
        let (items, diags) = parse("- [A](a.md)\n- just text\n\nprose\n", "SUMMARY.md");
        assert_eq!(chapters(&items).len(), 1);
        let lines: Vec<usize> = diags
            .iter()
            .map(|d| d.span.as_ref().unwrap().line)
            .collect();
        assert_eq!(lines, [2, 4]);
    }
}
