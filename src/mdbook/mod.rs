//! mdBook books: a `book.toml` as mdBook writes it (`config`), `SUMMARY.md` as the book's
//! order (`summary`), the `{{#include}}` family of directives (`include`), and mdBook's
//! heading anchors, so that old deep links still work (rustdoc's `# `-hidden lines are
//! read for every book: `doc::hidden_lines`). The load stage here produces the same
//! `Book` as toc blocks do (sections in order, numbers, depths), so the later stages need
//! no case of their own.

pub mod config;
pub mod include;
pub mod summary;

use crate::book::{normalize, Book, MarkKind, NavMark, Section};
use crate::config::Config;
use crate::diag::Diagnostic;
use crate::doc::{plain_text, visit_blocks_mut, Block, Doc};
use crate::fence::{Fence, Refused};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use summary::Item;

/// Loads an mdBook book: `SUMMARY.md` in the source folder gives the sections. A root
/// page (`index.html`, the book's title and contents) comes first, unless the first
/// chapter is a top-level `README.md` or `index.md`, which mdBook makes the index page.
pub fn load(
    root: &Path,
    config: Config,
    fence: Fence,
    diags: &mut Vec<Diagnostic>,
) -> Result<Book, Diagnostic> {
    let src_prefix = config.book.src.trim_matches('/').trim_start_matches("./");
    let shown = |src: &str| match src_prefix {
        "" | "." => src.to_string(),
        prefix => format!("{prefix}/{src}"),
    };
    let src_dir = root.join(&config.book.src);
    let summary_file = shown("SUMMARY.md");
    let text = fence
        .read_to_string(&src_dir.join("SUMMARY.md"))
        .map_err(|why| {
            Diagnostic::error(format!("cannot read {summary_file}: {why}")).help(
                "book.toml is mdBook's (it has keys only mdBook knows, such as [rust], \
                 [output.*] or [book] description), and an mdBook book lists its chapters \
                 in SUMMARY.md in `[book] src` (default `src`)",
            )
        })?;
    let (items, summary_diags) = summary::parse(&text, &summary_file);
    diags.extend(summary_diags);

    let mut sections: Vec<Section> = Vec::new();
    let mut marks: Vec<NavMark> = Vec::new();
    let mut seen = HashSet::new();
    // Open chapters by depth: the section of each, `None` for a draft or a skipped file.
    let mut open: Vec<(usize, Option<usize>)> = Vec::new();
    for item in items {
        let (title, path, number, depth, span) = match item {
            Item::Part(title) => {
                open.clear();
                marks.push(NavMark {
                    before: sections.len(),
                    kind: MarkKind::Part(title),
                });
                continue;
            }
            Item::Separator => {
                marks.push(NavMark {
                    before: sections.len(),
                    kind: MarkKind::Separator,
                });
                continue;
            }
            Item::Chapter {
                title,
                path,
                number,
                depth,
                span,
            } => (title, path, number, depth, span),
        };
        while open.last().is_some_and(|(d, _)| *d >= depth) {
            open.pop();
        }
        let parent = open.iter().rev().find_map(|(_, s)| *s);
        let Some(path) = path else {
            marks.push(NavMark {
                before: sections.len(),
                kind: MarkKind::Draft {
                    title,
                    number,
                    depth,
                },
            });
            open.push((depth, None));
            continue;
        };
        let src = normalize(Path::new(path.trim_start_matches("./")));
        let problem = if src.starts_with("../") || Path::new(&path).is_absolute() {
            Some(format!("it is outside the source folder {src_prefix}/"))
        } else if html_path(&src) == "index.html" && !(sections.is_empty() && marks.is_empty()) {
            Some(
                "its page would be the book's index page, which only the first entry can be".into(),
            )
        } else if !seen.insert(src.clone()) {
            diags.push(
                Diagnostic::warning(format!(
                    "'{path}' is already in the book; listed again here"
                ))
                .at(&span),
            );
            open.push((depth, None));
            continue;
        } else {
            match fence.file(&src_dir.join(&src)) {
                Ok(_) => None,
                Err(Refused::Missing(_)) => Some("there is no such file".to_string()),
                Err(why) => Some(why.to_string()),
            }
        };
        if let Some(why) = problem {
            diags.push(
                Diagnostic::error(format!("chapter '{path}' cannot be used: {why}"))
                    .at(&span)
                    .help("SUMMARY.md links to chapter files relative to it"),
            );
            open.push((depth, None));
            continue;
        }
        let file = shown(&src);
        let raw = match fence.read_to_string(&src_dir.join(&src)) {
            Ok(text) => text,
            Err(why) => {
                diags.push(Diagnostic::error(format!("cannot read {file}: {why}")).at(&span));
                open.push((depth, None));
                continue;
            }
        };
        let expanded = include::expand(&raw, &file, root, &fence);
        diags.extend(expanded.diags);
        let index = sections.len();
        if let Some(p) = parent {
            sections[p].children.push(index);
        }
        sections.push(Section {
            html: html_path(&src),
            src,
            file,
            number,
            depth,
            children: Vec::new(),
            text: expanded.text,
            toc_links: HashMap::new(),
            title: Some(title),
            page_title: expanded.title,
            line_map: expanded.map.map(std::sync::Arc::new),
        });
        open.push((depth, Some(index)));
    }

    // The index page: a top-level README.md (or index.md) that opens the book, else one
    // made of the title and the contents.
    let opens_with_index = sections.first().is_some_and(|s| s.html == "index.html");
    if opens_with_index {
        sections[0].depth = 0;
        sections[0].number.clear();
        // The other top-level chapters join its own as its children.
        let top: Vec<usize> = (1..sections.len())
            .filter(|&i| sections[i].depth == 1)
            .collect();
        sections[0].children.extend(top);
    } else {
        for s in &mut sections {
            for c in &mut s.children {
                *c += 1;
            }
        }
        for m in &mut marks {
            m.before += 1;
        }
        let top: Vec<(usize, String)> = (0..sections.len())
            .filter(|&i| sections[i].depth == 1)
            .map(|i| (i + 1, sections[i].src.clone()))
            .collect();
        sections.insert(0, root_section(&config, summary_file, top));
    }
    Ok(Book {
        root: root.to_path_buf(),
        config,
        sections,
        fence,
        marks,
    })
}

/// mdBook's page path of a chapter: `ch01-02.md` → `ch01-02.html`, `README.md` →
/// `index.html` (in any folder).
fn html_path(src: &str) -> String {
    let (dir, name) = match src.rsplit_once('/') {
        Some((dir, name)) => (format!("{dir}/"), name),
        None => (String::new(), src),
    };
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let stem = if stem == "README" { "index" } else { stem };
    format!("{dir}{stem}.html")
}

/// The index page made for a book whose SUMMARY.md does not start with one: the title
/// and a toc block of the top-level chapters `top` (section, source path).
fn root_section(config: &Config, summary_file: String, top: Vec<(usize, String)>) -> Section {
    let mut text = String::new();
    if !config.book.title.trim().is_empty() {
        text.push_str("# ");
        for c in config.book.title.trim().chars() {
            if c.is_ascii_punctuation() {
                text.push('\\');
            }
            text.push(c);
        }
        text.push_str("\n\n");
    }
    text.push_str("```toc\n:maxdepth: 2\n\n");
    for (_, src) in &top {
        text.push_str(src);
        text.push('\n');
    }
    text.push_str("```\n");
    Section {
        src: "index.md".into(),
        file: summary_file,
        html: "index.html".into(),
        number: Vec::new(),
        depth: 0,
        children: top.iter().map(|(i, _)| *i).collect(),
        text,
        toc_links: top.into_iter().map(|(i, src)| (src, i)).collect(),
        title: None,
        page_title: None,
        line_map: None,
    }
}

/// mdBook's heading anchors, for the headings without a label: the title's text,
/// lowercased (ASCII letters only, as mdBook does), spaces turned into `-`, and every
/// character but letters, digits, `-` and `_` dropped; a repeated anchor gets `-1`,
/// `-2`, … in order.
pub fn heading_ids(doc: &mut Doc) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    visit_blocks_mut(&mut doc.blocks, &mut |b| {
        if let Block::Heading(h) = b {
            if h.label.is_some() {
                return;
            }
            let text = plain_text(&h.content);
            let mut base = normalize_id(text.trim().trim_start_matches('#').trim());
            if base.is_empty() {
                base = "section".into();
            }
            let n = counts.entry(base.clone()).or_insert(0);
            h.id = if *n == 0 { base } else { format!("{base}-{n}") };
            *n += 1;
        }
    });
}

fn normalize_id(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_as_mdbook_makes_them() {
        let (mut doc, _) = crate::parse::parse_markdown(
            "# Hello, World!\n\n## The `Option<T>` type\n\n## Hello, World!\n\n## A - b_c\n\n## Ünïcode & more\n\n## Hello World\n:label:`sec_x`\n\n## Hello, World!\n",
            "a.md",
            Path::new("."),
            &Fence::closed(),
        );
        heading_ids(&mut doc);
        let ids: Vec<String> = doc
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading(h) => Some(h.id.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            ids,
            [
                "hello-world",
                "the-optiont-type",
                "hello-world-1",
                "a---b_c",
                "Ünïcode--more",
                "sec_x",
                "hello-world-2"
            ]
        );
    }
}
