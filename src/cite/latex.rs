//! What the `biblatex` crate leaves of LaTeX in a `.bib` file, and what hayagriva would
//! misread, put right before the entries are formatted: ties, exporters' escaped braces,
//! case that title case must not touch, and family names that BibTeX's von rule splits.

use biblatex::{Chunk, Chunks, Spanned};
use hayagriva::types::Person;
use hayagriva::Entry;

/// Fields holding names, as BibTeX splits them into persons.
const NAME_FIELDS: &[&str] = &[
    "author",
    "editor",
    "editora",
    "editorb",
    "editorc",
    "translator",
    "annotator",
    "commentator",
    "introduction",
    "foreword",
    "afterword",
    "bookauthor",
    "holder",
];

/// Fields whose text is an identifier or an address, never prose: left as written.
const RAW_FIELDS: &[&str] = &["url", "doi", "eprint", "file", "isbn", "issn", "urldate"];

/// Puts right one field's chunks, in place; `math` receives each math chunk's TeX and
/// where it is.
pub fn tidy_field(
    field: &str,
    chunks: &mut Chunks,
    math: &mut Vec<(String, std::ops::Range<usize>)>,
) {
    let field = field.to_ascii_lowercase();
    if RAW_FIELDS.contains(&field.as_str()) {
        return;
    }
    let names = NAME_FIELDS.contains(&field.as_str());
    let mut out: Chunks = Vec::with_capacity(chunks.len());
    for chunk in chunks.drain(..) {
        let span = chunk.span.clone();
        match chunk.v {
            // `$\{$USENIX$\}$`: exporters (Google Scholar) escaping the braces that
            // protect a word's case. No reader is meant to see a brace.
            Chunk::Math(m) if matches!(m.trim(), "\\{" | "\\}") => {}
            Chunk::Math(m) => {
                math.push((m.clone(), span.clone()));
                out.push(Spanned::new(Chunk::Math(m), span));
            }
            Chunk::Normal(text) => {
                // `\{…\}` is the same escape outside math: the crate has made it a brace.
                let text: String = text.chars().filter(|c| !matches!(c, '{' | '}')).collect();
                // A tie is a non-breaking space; in a name it only separates initials
                // (`A.~B.~J.`), which must stay apart to be abbreviated.
                let text = text.replace('~', if names { " " } else { "\u{a0}" });
                if names {
                    out.push(Spanned::new(Chunk::Normal(text), span));
                } else {
                    protect_mixed_case(&text, span, &mut out);
                }
            }
            other => out.push(Spanned::new(other, span)),
        }
    }
    // hayagriva switches to the style's text case at the first normal chunk and drops
    // the spaces that chunk starts with (`{arXiv} preprint` reads `arXivPreprint`): an
    // empty normal chunk first makes the switch before any text.
    if matches!(out.first(), Some(c) if matches!(c.v, Chunk::Verbatim(_))) {
        let span = out[0].span.start..out[0].span.start;
        out.insert(0, Spanned::new(Chunk::Normal(String::new()), span));
    }
    *chunks = out;
}

/// Pushes `text` as chunks in which every word with a capital after its first letter
/// (`arXiv`, `ImageNet`, `arXiv:1412.6980`) is verbatim: CSL's title case leaves such
/// words alone, and hayagriva's would lowercase them.
fn protect_mixed_case(text: &str, span: std::ops::Range<usize>, out: &mut Chunks) {
    let mut normal = String::new();
    for word in text.split_inclusive(char::is_whitespace) {
        let (core, space) = word.split_at(word.trim_end().len());
        if core.chars().skip(1).any(char::is_uppercase) && core.chars().any(char::is_lowercase) {
            if !normal.is_empty() {
                out.push(Spanned::new(
                    Chunk::Normal(std::mem::take(&mut normal)),
                    span.clone(),
                ));
            }
            out.push(Spanned::new(
                Chunk::Verbatim(core.to_string()),
                span.clone(),
            ));
            normal.push_str(space);
        } else {
            normal.push_str(word);
        }
    }
    if !normal.is_empty() {
        out.push(Spanned::new(Chunk::Normal(normal), span));
    }
}

/// The entry with its authors' and editors' family names whole (and its parents', where
/// the book title and its editors live).
pub fn tidy_names(mut entry: Entry) -> Entry {
    if let Some(people) = entry.authors() {
        let people = whole_family_names(people);
        entry.set_authors(people);
    }
    if let Some(people) = entry.editors() {
        let people = whole_family_names(people);
        entry.set_editors(people);
    }
    let parents = entry.parents().iter().cloned().map(tidy_names).collect();
    entry.set_parents(parents);
    entry
}

/// In BibTeX's `Last, First` form everything before the comma is the family name unless
/// it starts with lowercase words (`de la Fontaine, Jean`): `Ramón y Cajal, Santiago`
/// is Ramón y Cajal, whose lowercase `y` the crate takes for a von particle.
fn whole_family_names(people: &[Person]) -> Vec<Person> {
    people
        .iter()
        .cloned()
        .map(|mut p| {
            if let Some(prefix) = p.prefix.take() {
                if prefix.chars().next().is_some_and(char::is_lowercase) {
                    p.prefix = Some(prefix);
                } else {
                    p.name = format!("{prefix} {}", p.name);
                }
            }
            p
        })
        .collect()
}
