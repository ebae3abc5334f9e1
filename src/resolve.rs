//! The whole-book pass: numbers for headings, figures, tables, equations and listings,
//! and the one text each number reads as (`number_text`); labels to targets; links into
//! the book to the sections they name; citations to texts and bibliography entries. Every reference in
//! the IR leaves here with the text both the HTML and the PDF show: a citation leaves
//! assembled (brackets, separators, each key's text as inlines linked to its entry, one
//! fallback for an unknown key), and the entries go to the backends as inlines too.

use crate::assets::Assets;
use crate::book::Book;
use crate::cite::{BibEntry, Bibliography, CitationStyle, Formatted};
use crate::diag::Diagnostic;
use crate::doc::*;
use crate::i18n::{fill, Words};
use std::collections::HashMap;
use std::path::Path;

/// What the backends need beyond the IR.
pub struct Resolution {
    /// The bibliography's entries in the style's order, where `:bibliography:` lists
    /// them; `None` if the book cites nothing or its bibliography did not load.
    pub bibliography: Option<Vec<BibEntry>>,
    /// The images of the book, found and checked.
    pub assets: Assets,
}

/// What a number counts: the word it is shown with depends on it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A numbered section whose number has one part (`3`): a chapter.
    Chapter,
    Section,
    Figure,
    Table,
    Equation,
    Listing,
}

/// How a number reads wherever it is shown (a caption, an equation's margin, a
/// reference): `Fig. 1.2.1`, `図 1.2.1`, `(1.2.1)`. One function, so that the site and the
/// PDF cannot disagree on it.
pub fn number_text(kind: Kind, number: &str, words: &Words) -> String {
    let word = match kind {
        Kind::Chapter => &words.chapter,
        Kind::Section => &words.section,
        Kind::Figure => &words.figure,
        Kind::Table => &words.table,
        Kind::Listing => &words.listing,
        Kind::Equation => return format!("({number})"),
    };
    fill(word, number)
}

struct Target {
    kind: Kind,
    number: String,
    title: String,
    place: Place,
    span: Span,
}

pub fn resolve(book: &Book, docs: &mut [Doc], words: &Words) -> (Resolution, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    // Citations first: the texts of references to captions hold them as shown.
    let mut cited: Vec<String> = Vec::new();
    let mut bibliography_page = None;
    // The first `:bibliography:` role: its `.bib` path, relative to the book root, and span.
    let mut bibliography_role: Option<(String, Span)> = None;
    for (i, (section, doc)) in book.sections.iter().zip(docs.iter_mut()).enumerate() {
        visit_blocks_mut(&mut doc.blocks, &mut |block| {
            if let Block::Bibliography { path, span } = block {
                bibliography_page.get_or_insert(PageId(i));
                bibliography_role.get_or_insert_with(|| {
                    let dir = Path::new(&section.file).parent().unwrap_or(Path::new(""));
                    (dir.join(path).to_string_lossy().into_owned(), span.clone())
                });
            }
            visit_inlines_mut(block, &mut |inlines| {
                for inline in inlines.iter() {
                    if let Inline::Cite(c) = inline {
                        for key in &c.keys {
                            if !cited.contains(key) {
                                cited.push(key.clone());
                            }
                        }
                    }
                }
            });
        });
    }

    let bibliography = if cited.is_empty() {
        None
    } else {
        load_bibliography(book, bibliography_role.as_ref(), &mut diags).map(|bib| {
            let formatted = bib.format(&cited);
            let cjk_book = ["ja", "zh"]
                .iter()
                .any(|l| book.config.book.language.starts_with(l));
            for doc in docs.iter_mut() {
                visit_blocks_mut(&mut doc.blocks, &mut |block| {
                    visit_inlines_mut(block, &mut |inlines| {
                        let cjk_paragraph = cjk_book && plain_text(inlines).chars().any(is_cjk);
                        let mut i = 0;
                        while i < inlines.len() {
                            if let Inline::Cite(c) = &inlines[i] {
                                let full_width = c.kind == CiteKind::Paren
                                    && (cjk_paragraph || cjk_before(&inlines[..i]));
                                if full_width {
                                    i -= drop_space_before(inlines, i);
                                    drop_space_after(inlines, i);
                                }
                                if let Inline::Cite(c) = &mut inlines[i] {
                                    c.shown = Some(assemble(
                                        c,
                                        &formatted,
                                        &bib,
                                        bibliography_page,
                                        full_width,
                                        &mut diags,
                                    ));
                                }
                            }
                            i += 1;
                        }
                    });
                });
            }
            formatted.entries
        })
    };
    let mut targets: HashMap<String, Target> = HashMap::new();
    // Heading levels that get numbers: mdBook numbers its pages (from SUMMARY.md), never
    // the headings inside them, whose numbers would clash with the sub-chapters'.
    let levels = if book.config.mdbook { 1 } else { 3 };
    for (i, (section, doc)) in book.sections.iter().zip(docs.iter_mut()).enumerate() {
        number_doc(
            levels,
            &section.number_text(),
            PageId(i),
            doc,
            &mut targets,
            &mut diags,
        );
    }

    for (i, doc) in docs.iter_mut().enumerate() {
        visit_blocks_mut(&mut doc.blocks, &mut |block| {
            visit_inlines_mut(block, &mut |inlines| {
                for inline in inlines.iter_mut() {
                    match inline {
                        Inline::Ref(r) => resolve_ref(r, &targets, words, &mut diags),
                        Inline::Link {
                            url, span, target, ..
                        } => {
                            *target = resolve_link(url, span.as_ref(), PageId(i), book, &mut diags)
                        }
                        _ => {}
                    }
                }
            });
        });
    }
    // Last: the line breaks' neighbours include the texts of references and citations.
    for doc in docs.iter_mut() {
        visit_blocks_mut(&mut doc.blocks, &mut |block| {
            visit_inlines_mut(block, &mut join_cjk_lines)
        });
    }
    let (assets, asset_diags) = crate::assets::find(book, docs);
    diags.extend(asset_diags);
    (
        Resolution {
            bibliography,
            assets,
        },
        diags,
    )
}

/// Whether the last character before the end of `inlines`, spaces and line breaks
/// skipped, is CJK.
fn cjk_before(inlines: &[Inline]) -> bool {
    for inline in inlines.iter().rev() {
        match inline {
            Inline::Text(t) => match t.trim_end().chars().last() {
                Some(c) => return is_cjk(c),
                None => continue,
            },
            Inline::SoftBreak | Inline::HardBreak => continue,
            Inline::Emph(c) | Inline::Strong(c) | Inline::Strike(c) => return cjk_before(c),
            Inline::Link { content, .. } => return cjk_before(content),
            _ => return false,
        }
    }
    false
}

/// Removes the spaces and line break before `inlines[i]`: CJK text puts no space before
/// a full-width parenthesis. Returns how many inlines went.
fn drop_space_before(inlines: &mut Vec<Inline>, i: usize) -> usize {
    let mut removed = 0;
    while i > removed {
        let before = i - removed - 1;
        match &mut inlines[before] {
            Inline::SoftBreak => {}
            Inline::Text(t) => {
                let kept = t.trim_end().len();
                t.truncate(kept);
                if kept > 0 {
                    break;
                }
            }
            _ => break,
        }
        inlines.remove(before);
        removed += 1;
    }
    removed
}

/// Removes the spaces and line break after `inlines[i]` when CJK text follows them:
/// `（Bishop, 2006） を` reads `（Bishop, 2006）を`. Before a Latin word they stay.
fn drop_space_after(inlines: &mut Vec<Inline>, i: usize) {
    let next = inlines[i + 1..]
        .iter()
        .find(|inline| !matches!(inline, Inline::SoftBreak))
        .and_then(|inline| match inline {
            Inline::Text(t) => t.trim_start().chars().next(),
            _ => None,
        });
    if !next.is_some_and(is_cjk) {
        return;
    }
    while let Some(inline) = inlines.get_mut(i + 1) {
        match inline {
            Inline::SoftBreak => {
                inlines.remove(i + 1);
            }
            Inline::Text(t) => {
                *t = t.trim_start().to_string();
                break;
            }
            _ => break,
        }
    }
}

/// How a citation reads: the keys' texts for its kind, in the style's brackets and
/// separators (a textual citation's keys are separated by commas), each linked to its
/// entry on `page`. In CJK text (`full_width`) round brackets are full-width ones. An unknown key is reported and shows as `?key`, the usual mark of a
/// missing reference, so that a reader sees that something is missing rather than a key
/// that looks like a real citation.
fn assemble(
    c: &Cite,
    formatted: &Formatted,
    bib: &Bibliography,
    page: Option<PageId>,
    full_width: bool,
    diags: &mut Vec<Diagnostic>,
) -> Vec<CitePart> {
    let (texts, mut open, delimiter, mut close) = match c.kind {
        CiteKind::Paren => (
            &formatted.paren,
            formatted.open.as_str(),
            formatted.delimiter.as_str(),
            formatted.close.as_str(),
        ),
        CiteKind::Text => (&formatted.prose, "", ", ", ""),
    };
    if full_width {
        open = if open == "(" { "（" } else { open };
        close = if close == ")" { "）" } else { close };
    }
    let mut parts = Vec::new();
    if !open.is_empty() {
        parts.push(CitePart::Text(open.to_string()));
    }
    for (i, key) in c.keys.iter().enumerate() {
        if i > 0 {
            parts.push(CitePart::Text(delimiter.to_string()));
        }
        let (text, page) = match texts.get(key) {
            Some(text) => (text.clone(), page),
            None => {
                let d = Diagnostic::warning(format!("unknown cite key '{key}'")).at(&c.span);
                diags.push(if bib.contains(key) {
                    d
                } else {
                    d.help("the key is not in the bibliography file")
                });
                (vec![Inline::Text(format!("?{key}"))], None)
            }
        };
        parts.push(CitePart::Key {
            key: key.clone(),
            text,
            page,
        });
    }
    if !close.is_empty() {
        parts.push(CitePart::Text(close.to_string()));
    }
    parts
}

fn load_bibliography(
    book: &Book,
    role: Option<&(String, Span)>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Bibliography> {
    // `[book] bibliography` (relative to the root), else the `:bibliography:` role's file.
    let path = match (&book.config.book.bibliography, role) {
        (Some(p), _) => p.clone(),
        (None, Some((path, _))) => path.clone(),
        (None, None) => {
            diags.push(
                Diagnostic::warning("the book cites entries but has no bibliography")
                    .help("set `[book] bibliography` in book.toml to the .bib file"),
            );
            return None;
        }
    };
    let text = match book.fence.read_to_string(&book.root.join(&path)) {
        Ok(t) => t,
        Err(e) => {
            let mut d = Diagnostic::error(format!("cannot read the bibliography {path}: {e}"));
            if let Some((_, span)) = role {
                d = d.at(span);
            }
            diags.push(d);
            return None;
        }
    };
    let style = match &book.config.book.csl {
        Some(csl) => match book.fence.read_to_string(&book.root.join(csl)) {
            Ok(text) => CitationStyle::from_csl(&text, csl),
            Err(e) => Err(Diagnostic::error(format!(
                "cannot read the citation style {csl}: {e}"
            ))),
        },
        None => CitationStyle::named(&book.config.pdf.citation_style),
    };
    let style = match style {
        Ok(style) => style,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    match Bibliography::parse(&text, &path, style) {
        Ok(b) => Some(b),
        Err(errors) => {
            diags.extend(errors);
            None
        }
    }
}

/// Numbers one section's headings (to level `levels`) and labelled elements, and records
/// its labels.
fn number_doc(
    levels: usize,
    secnum: &str,
    page: PageId,
    doc: &mut Doc,
    targets: &mut HashMap<String, Target>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut heading_counters = [0u32; 6];
    let mut counts = HashMap::new();
    let mut next = |kind: Kind| -> String {
        if secnum.is_empty() {
            return String::new();
        }
        let n = counts.entry(kind as u8).or_insert(0u32);
        *n += 1;
        format!("{secnum}.{n}")
    };
    let mut define =
        |label: &Option<Label>, kind, number: String, title: String, anchor: String| {
            let Some(label) = label else { return };
            if let Some(first) = targets.get(&label.name) {
                // As in Sphinx: the first definition wins, the book still builds.
                diags.push(
                    Diagnostic::warning(format!("label '{}' is defined twice", label.name))
                        .at(&label.span)
                        .related(&first.span, "first defined here")
                        .help("references use the first; rename one of them"),
                );
                return;
            }
            targets.insert(
                label.name.clone(),
                Target {
                    kind,
                    number,
                    title,
                    place: Place { page, anchor },
                    span: label.span.clone(),
                },
            );
        };
    visit_blocks_mut(&mut doc.blocks, &mut |block| match block {
        Block::Heading(h) => {
            let level = (h.level as usize).clamp(1, 6);
            if !secnum.is_empty() && level <= levels {
                if level > 1 {
                    heading_counters[level - 1] += 1;
                    for c in &mut heading_counters[level..] {
                        *c = 0;
                    }
                }
                let mut number = secnum.to_string();
                for c in &heading_counters[1..level] {
                    number.push_str(&format!(".{c}"));
                }
                h.number = number;
            }
            let anchor = if level == 1 {
                String::new()
            } else {
                h.id.clone()
            };
            let kind = if !h.number.is_empty() && !h.number.contains('.') {
                Kind::Chapter
            } else {
                Kind::Section
            };
            define(
                &h.label,
                kind,
                h.number.clone(),
                reading_text(&h.content),
                anchor,
            );
        }
        Block::Figure(f) if f.label.is_some() => {
            f.number = next(Kind::Figure);
            let anchor = f.label.as_ref().unwrap().name.clone();
            define(
                &f.label,
                Kind::Figure,
                f.number.clone(),
                reading_text(&f.caption),
                anchor,
            );
        }
        Block::Table(t) if t.label.is_some() => {
            t.number = next(Kind::Table);
            let anchor = t.label.as_ref().unwrap().name.clone();
            define(
                &t.label,
                Kind::Table,
                t.number.clone(),
                reading_text(&t.caption),
                anchor,
            );
        }
        Block::Equation(e) if e.label.is_some() => {
            e.number = next(Kind::Equation);
            let anchor = e.label.as_ref().unwrap().name.clone();
            define(
                &e.label,
                Kind::Equation,
                e.number.clone(),
                e.tex.clone(),
                anchor,
            );
        }
        Block::Code(c) if c.label.is_some() => {
            c.number = next(Kind::Listing);
            let anchor = c.label.as_ref().unwrap().name.clone();
            define(
                &c.label,
                Kind::Listing,
                c.number.clone(),
                String::new(),
                anchor,
            );
        }
        _ => {}
    });
}

fn resolve_ref(
    r: &mut Ref,
    targets: &HashMap<String, Target>,
    words: &Words,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(target) = targets.get(&r.label) else {
        let role = match r.kind {
            RefKind::Numref => "numref",
            RefKind::Ref => "ref",
            RefKind::Eqref => "eqref",
        };
        // A warning, as in Sphinx and LaTeX: the page shows a broken marker and the book
        // still publishes (`--strict` fails on it).
        let mut d = Diagnostic::warning(format!("undefined label '{}'", r.label)).at(&r.span);
        if let Some(near) = closest(&r.label, targets.keys()) {
            d = d.help(format!("did you mean '{near}'?"));
        } else {
            d = d.help(format!(
                "':{role}:' needs a ':label:' or ':eqlabel:' defined somewhere in the book"
            ));
        }
        diags.push(d);
        return;
    };
    let text = match (r.kind, &r.text) {
        (RefKind::Eqref, _) if !target.number.is_empty() => {
            number_text(Kind::Equation, &target.number, words)
        }
        (RefKind::Numref, Some(custom)) => custom.replace("%s", &target.number),
        (RefKind::Numref, None) if !target.number.is_empty() => {
            number_text(target.kind, &target.number, words)
        }
        (RefKind::Ref, Some(custom)) => custom.clone(),
        _ => target.title.clone(),
    };
    r.target = Some(Resolved {
        text,
        place: target.place.clone(),
    });
}

/// The place a link written in `from` points at, if it points into the book: `#anchor`
/// (this page), or a section's source (`../other.md#anchor`, `.ipynb` or no extension
/// alike) or page (`other.html`), relative to `from`'s folder. A `.md`/`.ipynb` link that
/// names no section of the book is reported: neither the site nor the PDF has its page.
fn resolve_link(
    url: &str,
    span: Option<&Span>,
    from: PageId,
    book: &Book,
    diags: &mut Vec<Diagnostic>,
) -> Option<Place> {
    // Links out of the book, and links the site serves from its root, stay as written.
    if url.contains("://") || url.starts_with("mailto:") || url.starts_with('/') {
        return None;
    }
    let (path, anchor) = url.split_once('#').unwrap_or((url, ""));
    let place = |page| Place {
        page,
        anchor: anchor.to_string(),
    };
    if path.is_empty() {
        return Some(place(from));
    }
    let dir = Path::new(&book.sections[from.0].src)
        .parent()
        .unwrap_or(Path::new(""));
    let rel = crate::book::normalize(&dir.join(path));
    let stem = |p: &str| -> String {
        match p.rsplit_once('.') {
            Some((stem, "md" | "ipynb")) => stem.to_string(),
            _ => p.to_string(),
        }
    };
    let wanted = stem(&rel);
    if let Some(i) = book
        .sections
        .iter()
        .position(|s| s.html == rel || stem(&s.src) == wanted)
    {
        return Some(place(PageId(i)));
    }
    if wanted != rel {
        let mut d = Diagnostic::warning(format!(
            "link to '{path}', which is not a section of the book"
        ))
        .help("list the file in a toc block, or link to it with its full path");
        if let Some(span) = span {
            d = d.at(span);
        }
        diags.push(d);
    }
    None
}

/// The defined label nearest to `name`, if one is close (a typo).
fn closest<'a>(name: &str, labels: impl Iterator<Item = &'a String>) -> Option<&'a String> {
    labels
        .map(|l| (strsim::levenshtein(name, l), l))
        .filter(|(d, _)| *d <= 2.max(name.len() / 5))
        .min()
        .map(|(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::testing::{load, tiny_book};

    #[test]
    fn numbers_read_the_same_in_captions_equations_and_references() {
        let none = std::collections::BTreeMap::new();
        let (en, _) = Words::new("en", &none);
        let (ja, _) = Words::new("ja", &none);
        assert_eq!(number_text(Kind::Figure, "1.1.1", &en), "Fig. 1.1.1");
        assert_eq!(number_text(Kind::Figure, "1.1.1", &ja), "図 1.1.1");
        assert_eq!(number_text(Kind::Table, "2.1", &ja), "表 2.1");
        assert_eq!(number_text(Kind::Section, "3.1", &ja), "3.1 節");
        assert_eq!(number_text(Kind::Chapter, "3", &ja), "3 章");
        // English keeps d2l's wording: a chapter is a section too.
        assert_eq!(number_text(Kind::Chapter, "3", &en), "Section 3");
        assert_eq!(number_text(Kind::Equation, "1.2.3", &ja), "(1.2.3)");

        // A reference reads as the caption or equation number it points at.
        let chapter = "# One\n\n![A cat](img/fig.svg)\n:label:`fig_cat`\n\n$$x$$\n:eqlabel:`eq_x`\n\nSee :numref:`fig_cat` and :eqref:`eq_x`.\n";
        let dir = tiny_book("number-texts", chapter);
        let loaded = load(&dir);
        let mut texts = Vec::new();
        for doc in &loaded.docs {
            for_each_inline(&doc.blocks, &mut |inline| {
                if let Inline::Ref(r) = inline {
                    texts.push(r.target.as_ref().expect("resolved").text.clone());
                }
            });
        }
        assert_eq!(texts, ["Fig. 1.1", "(1.1)"]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn links_into_the_book_are_resolved_once_against_its_sections() {
        let chapter = "# One\n\n[a](refs.md) [b](refs.ipynb#bib) [c](refs) [d](#top) [e](https://x.org/refs.md) [f](data.csv)\n\n[g](gone.md#x)\n";
        let dir = tiny_book("links", chapter);
        let loaded = load(&dir);
        let mut targets = Vec::new();
        for doc in &loaded.docs {
            for_each_inline(&doc.blocks, &mut |inline| {
                if let Inline::Link { target, .. } = inline {
                    targets.push(target.as_ref().map(|p| {
                        let page = &loaded.book.sections[p.page.0].html;
                        format!("{page}#{}", p.anchor)
                    }));
                }
            });
        }
        let place = |s: &str| Some(s.to_string());
        assert_eq!(
            targets,
            [
                place("refs.html#"),
                place("refs.html#bib"),
                place("refs.html#"),
                place("ch1.html#top"),
                None,
                None,
                None
            ]
        );
        let unknown: Vec<_> = loaded
            .diags
            .iter()
            .filter(|d| d.message.starts_with("link to"))
            .collect();
        assert_eq!(unknown.len(), 1, "{:?}", loaded.diags);
        assert_eq!(
            unknown[0].message,
            "link to 'gone.md', which is not a section of the book"
        );
        assert_eq!(unknown[0].span.as_ref().map(|s| s.line), Some(5));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn citations_are_assembled_once_with_one_fallback_for_unknown_keys() {
        let chapter = "# One\n\nAs in :cite:`Bishop.2006,Nobody.2000` and :citet:`Bishop.2006,He.Zhang.Ren.ea.2016*1`.\n";
        let dir = tiny_book("cite-parts", chapter);
        let loaded = load(&dir);
        let mut cites = Vec::new();
        for doc in &loaded.docs {
            for_each_inline(&doc.blocks, &mut |inline| {
                if let Inline::Cite(c) = inline {
                    cites.push(c.shown.clone().expect("resolved"));
                }
            });
        }
        let shown = |parts: &[CitePart]| -> String {
            parts
                .iter()
                .map(|p| match p {
                    CitePart::Text(t) => t.clone(),
                    CitePart::Key { key, text, page } => {
                        format!(
                            "[{key}@{}:{}]",
                            page.map_or("-", |p| loaded.book.sections[p.0].html.as_str()),
                            plain_text(text)
                        )
                    }
                })
                .collect()
        };
        assert_eq!(
            shown(&cites[0]),
            "([Bishop.2006@refs.html:Bishop, 2006]; [Nobody.2000@-:?Nobody.2000])"
        );
        assert_eq!(
            shown(&cites[1]),
            "[Bishop.2006@refs.html:Bishop (2006)], [He.Zhang.Ren.ea.2016*1@refs.html:He et al. (2016)]"
        );
        let unknown: Vec<_> = loaded
            .diags
            .iter()
            .filter(|d| d.message == "unknown cite key 'Nobody.2000'")
            .collect();
        assert_eq!(unknown.len(), 1, "{:?}", loaded.diags);
        assert_eq!(unknown[0].span.as_ref().map(|s| s.line), Some(3));
        let entries = loaded.resolution.bibliography.as_ref().expect("entries");
        let keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["Bishop.2006", "He.Zhang.Ren.ea.2016*1"]);
        let _ = std::fs::remove_dir_all(dir);
    }
}
