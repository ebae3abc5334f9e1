//! Citations and the bibliography, formatted by hayagriva (CSL styles) from the book's
//! BibTeX file (read by the `biblatex` crate, then tidied by `latex`): the text of each
//! cited key and the entries of the references page, as IR inlines (hayagriva's rendered
//! tree mapped to text, emphasis, strong, links and math), so that every backend shows
//! them the way it shows any text. `resolve` assembles citations from these texts.

mod latex;

use crate::diag::Diagnostic;
use crate::doc::{span_of, Inline, LineIndex, Span};
use hayagriva::archive::{locales, ArchivedStyle};
use hayagriva::citationberg::{FontStyle, FontWeight, IndependentStyle, Style};
use hayagriva::{
    BibliographyDriver, BibliographyRequest, CitationItem, CitationRequest, CitePurpose, ElemChild,
    ElemChildren, Entry, Formatting, Library,
};
use std::collections::HashMap;
use std::path::Path;

/// The last bibliography formatted, by a digest of what it was formatted from.
static LAST: std::sync::Mutex<Option<(String, Formatted)>> = std::sync::Mutex::new(None);

/// The file form of `LAST`: formatting takes hayagriva about 0.2 s, which a `build html`
/// with unchanged citations need not spend again. `formatted` is `Formatted` as JSON;
/// `checksum` covers it, the key and the renderer, so that a file edited by hand or cut
/// short is not trusted.
#[derive(serde::Serialize, serde::Deserialize)]
struct LastFile {
    renderer: String,
    key: String,
    formatted: String,
    checksum: String,
}

fn checksum(renderer: &str, key: &str, formatted: &str) -> String {
    crate::digest::hash(&[renderer.as_bytes(), key.as_bytes(), formatted.as_bytes()])
}

fn read_last(path: &Path, renderer: &str) -> Option<LastFile> {
    let file: LastFile = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    (file.renderer == renderer && file.checksum == checksum(renderer, &file.key, &file.formatted))
        .then_some(file)
}

/// Takes the bibliography that `renderer` (this binary) formatted and saved in `path`
/// as the last one formatted, unless the process has formatted one already.
pub fn recall(path: &Path, renderer: &str) {
    let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if last.is_some() {
        return;
    }
    if let Some(file) = read_last(path, renderer) {
        if let Ok(formatted) = serde_json::from_str(&file.formatted) {
            *last = Some((file.key, formatted));
        }
    }
}

/// Saves the last bibliography formatted into `path`, unless it holds it already.
pub fn remember(path: &Path, renderer: &str) -> std::io::Result<()> {
    let last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let Some((key, formatted)) = last.as_ref() else {
        return Ok(());
    };
    if read_last(path, renderer).is_some_and(|file| file.key == *key) {
        return Ok(());
    }
    let formatted = serde_json::to_string(formatted)?;
    let file = LastFile {
        renderer: renderer.to_string(),
        key: key.clone(),
        checksum: checksum(renderer, key, &formatted),
        formatted,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec(&file)?)?;
    std::fs::rename(tmp, path)
}

pub struct Bibliography {
    library: Library,
    style: IndependentStyle,
    /// The TeX of the math in the `.bib` (`$\ell_1$`), and where it first is: hayagriva
    /// hands it back as markup, which is shown as math.
    math: HashMap<String, Span>,
    /// A digest of the `.bib` (its text and path) and the style (its name, or its file's
    /// text): what `format`'s result depends on besides the keys.
    source: String,
}

/// How each cited key reads, and the formatted entries, all as IR inlines.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Formatted {
    /// key → text inside a parenthetical citation (`Bishop, 2006`).
    pub paren: HashMap<String, Vec<Inline>>,
    /// key → text of a textual citation (`Bishop (2006)`).
    pub prose: HashMap<String, Vec<Inline>>,
    /// The entries in the style's order.
    pub entries: Vec<BibEntry>,
    /// What wraps a parenthetical citation and separates its items: `(`, `)`, `; `.
    pub open: String,
    pub close: String,
    pub delimiter: String,
}

/// One entry of the bibliography: its key and its text as the style formats it.
#[derive(Debug, Clone, Hash, serde::Serialize, serde::Deserialize)]
pub struct BibEntry {
    pub key: String,
    pub text: Vec<Inline>,
}

/// A CSL style: one bundled with hayagriva, by name, or a book's own `.csl` file.
pub struct CitationStyle {
    csl: IndependentStyle,
    /// What the formatted texts depend on besides the `.bib`: the name, or the file's text.
    id: String,
}

impl CitationStyle {
    /// A style of hayagriva's archive (`apa`, `ieee`, …).
    pub fn named(name: &str) -> Result<CitationStyle, Diagnostic> {
        match ArchivedStyle::by_name(name).map(ArchivedStyle::get) {
            Some(Style::Independent(csl)) => Ok(CitationStyle {
                csl,
                id: name.to_string(),
            }),
            _ => Err(
                Diagnostic::error(format!("unknown citation style '{name}'"))
                    .help("use a CSL style name such as apa, ieee, chicago-author-date"),
            ),
        }
    }

    /// A `.csl` file's text; `path` names it in diagnostics.
    pub fn from_csl(text: &str, path: &str) -> Result<CitationStyle, Diagnostic> {
        match Style::from_xml(text) {
            Ok(Style::Independent(csl)) => Ok(CitationStyle {
                csl,
                id: text.to_string(),
            }),
            Ok(Style::Dependent(d)) => Err(Diagnostic::error(format!(
                "the citation style {path} is a dependent style"
            ))
            .help(format!(
                "it only names its parent style ({}); use the parent's .csl file",
                d.parent_link.href
            ))),
            Err(e) => Err(Diagnostic::error(format!(
                "invalid citation style {path}: {e}"
            ))),
        }
    }
}

impl Bibliography {
    /// Parses a BibTeX/BibLaTeX file; `file` is its path for diagnostics.
    pub fn parse(
        text: &str,
        file: &str,
        style: CitationStyle,
    ) -> Result<Bibliography, Vec<Diagnostic>> {
        // The errors' own Display ends in a byte range ("…: 35-35"); the span says where,
        // as a line and column.
        let located = |span: std::ops::Range<usize>, what: String| {
            Diagnostic::error(format!("invalid bibliography: {what}"))
                .at(&span_of(text, file, span))
        };
        let mut bib = biblatex::Bibliography::parse(text)
            .map_err(|e| vec![located(e.span, e.kind.to_string())])?;
        let mut math = Vec::new();
        for entry in bib.iter_mut() {
            for (field, chunks) in entry.fields.iter_mut() {
                latex::tidy_field(field, chunks, &mut math);
            }
        }
        let lines = LineIndex::new(text);
        let file: std::sync::Arc<str> = file.into();
        let mut math_spans = HashMap::new();
        for (tex, range) in math {
            math_spans
                .entry(tex)
                .or_insert_with(|| lines.span(text, file.clone(), range));
        }
        let parsed = hayagriva::io::from_biblatex(&bib).map_err(|errors| {
            errors
                .into_iter()
                .map(|e| located(e.span, e.kind.to_string()))
                .collect::<Vec<_>>()
        })?;
        let mut library = Library::new();
        for entry in parsed.iter() {
            library.push(&latex::tidy_names(entry.clone()));
        }
        // The path too: the spans of the math in the entries name the file.
        let source = crate::digest::hash(&[text.as_bytes(), file.as_bytes(), style.id.as_bytes()]);
        let mut style = style.csl;
        // hayagriva marks works apart by given names (`J. Smith` / `K. Smith`) without
        // showing them, leaving two identical `(Smith, 2020)` where the list has `2020a`
        // and `2020b`. Without it such works get year suffixes, in the text and the
        // list alike.
        style.citation.disambiguate_add_givenname = false;
        Ok(Bibliography {
            library,
            style,
            math: math_spans,
            source,
        })
    }

    pub fn contains(&self, key: &str) -> bool {
        self.library.get(key).is_some()
    }

    /// Formats the keys (in order of first citation); unknown keys are skipped. The last
    /// result is kept for the process (`serve` rebuilds at every save, and a book's
    /// citations rarely change between two saves), and by `recall` and `remember`
    /// between processes.
    pub fn format(&self, keys: &[String]) -> Formatted {
        let key = crate::digest::hash(&[self.source.as_bytes(), keys.join("\n").as_bytes()]);
        let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((k, formatted)) = last.as_ref() {
            if *k == key {
                return formatted.clone();
            }
        }
        let formatted = self.format_now(keys);
        *last = Some((key, formatted.clone()));
        formatted
    }

    fn format_now(&self, keys: &[String]) -> Formatted {
        // Decoding hayagriva's locales takes tens of milliseconds: once per process, not
        // once per build (`serve` rebuilds at every save).
        static LOCALES: std::sync::OnceLock<Vec<hayagriva::citationberg::Locale>> =
            std::sync::OnceLock::new();
        let locale_files = LOCALES.get_or_init(locales);
        let entries: Vec<&Entry> = keys.iter().filter_map(|k| self.library.get(k)).collect();
        let cite_all = |style: &IndependentStyle, purposes: &[Option<CitePurpose>]| {
            let mut driver = BibliographyDriver::<Entry>::new();
            for &entry in &entries {
                for &purpose in purposes {
                    let item = CitationItem::new(entry, None, None, false, purpose);
                    driver.citation(CitationRequest::from_items(vec![item], style, locale_files));
                }
            }
            driver.finish(BibliographyRequest::new(style, None, locale_files))
        };
        let rendered = cite_all(&self.style, &[None, Some(CitePurpose::Prose)]);
        // hayagriva carries a citation's added names (`Li, Andersen, Park, et al.`) into
        // its bibliography entry, cutting the entry's author list to them. CSL adds names
        // to citations only: the entries come from citations that show every name and
        // add none. Two such citations read alike exactly when adding names could not
        // tell the works apart above, so the entries get the same year suffixes (`2016a`)
        // as the citations.
        let mut listed = self.style.clone();
        let citation = &mut listed.citation;
        if citation.disambiguate_add_names {
            citation.disambiguate_add_names = false;
            citation.name_options.et_al_min = None;
            citation.name_options.et_al_use_first = None;
        }
        let list = cite_all(&listed, &[None]).bibliography;
        let layout = &self.style.citation.layout;
        let open = layout.prefix.clone().unwrap_or_default();
        let close = layout.suffix.clone().unwrap_or_default();
        let mut paren = HashMap::new();
        let mut prose = HashMap::new();
        for (i, citation) in rendered.citations.iter().enumerate() {
            let key = entries[i / 2].key().to_string();
            let mut text = inlines(&citation.citation, &self.math);
            if i % 2 == 0 {
                // The group's brackets are ours to place, around all keys of a citation.
                strip_prefix(&mut text, &open);
                strip_suffix(&mut text, &close);
                paren.insert(key, text);
            } else {
                prose.insert(key, text);
            }
        }
        let entries = list
            .map(|b| {
                b.items
                    .into_iter()
                    .map(|item| {
                        let mut text = inlines(&item.content, &self.math);
                        tidy(&mut text);
                        BibEntry {
                            key: item.key,
                            text,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        Formatted {
            paren,
            prose,
            entries,
            open,
            close,
            delimiter: layout.delimiter.clone().unwrap_or_else(|| "; ".into()),
        }
    }
}

/// hayagriva's APA leaves a comma before a missing month: `(2016b,)`.
fn tidy(inlines: &mut [Inline]) {
    for inline in inlines {
        match inline {
            Inline::Text(t) if t.contains(",)") => *t = t.replace(",)", ")"),
            Inline::Emph(c) | Inline::Strong(c) | Inline::Link { content: c, .. } => tidy(c),
            _ => {}
        }
    }
}

/// hayagriva's rendered tree as inlines: its elements only group (their block display
/// has no place inside a paragraph), its texts carry their formatting, its links stay
/// links. Neighbouring plain texts are merged into one text.
fn inlines(children: &ElemChildren, math: &HashMap<String, Span>) -> Vec<Inline> {
    fn walk(children: &ElemChildren, math: &HashMap<String, Span>, out: &mut Vec<Inline>) {
        for child in &children.0 {
            match child {
                ElemChild::Text(t) => push(out, formatted(&t.text, &t.formatting)),
                ElemChild::Elem(e) => walk(&e.children, math, out),
                // The TeX of a math chunk.
                ElemChild::Markup(m) => match math.get(m) {
                    Some(span) => out.push(Inline::Math {
                        tex: m.clone(),
                        span: span.clone(),
                    }),
                    None => push(out, Inline::Text(m.clone())),
                },
                ElemChild::Link { text, url } => out.push(Inline::Link {
                    url: url.clone(),
                    content: vec![formatted(&text.text, &text.formatting)],
                    span: None,
                    target: None,
                }),
                // Only produced for CSL styles that ask the caller to fill in citation
                // numbers of their own; nothing to show.
                ElemChild::Transparent { .. } => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(children, math, &mut out);
    out
}

/// Appends `inline`, merging it into the last one when both are plain text.
fn push(out: &mut Vec<Inline>, inline: Inline) {
    match (out.last_mut(), inline) {
        (Some(Inline::Text(last)), Inline::Text(t)) => last.push_str(&t),
        (_, Inline::Text(t)) if t.is_empty() => {}
        (_, inline) => out.push(inline),
    }
}

/// A text with its formatting. Italic and bold map to emphasis and strong; the IR has no
/// small capitals, underline, superscript or subscript, so those show as plain text.
fn formatted(text: &str, f: &Formatting) -> Inline {
    let mut inline = Inline::Text(text.to_string());
    if f.font_weight == FontWeight::Bold {
        inline = Inline::Strong(vec![inline]);
    }
    if f.font_style == FontStyle::Italic {
        inline = Inline::Emph(vec![inline]);
    }
    inline
}

/// Removes `prefix` from the start of the first text of `inlines`, wherever it is nested.
fn strip_prefix(inlines: &mut Vec<Inline>, prefix: &str) {
    match inlines.first_mut() {
        Some(Inline::Text(t)) => {
            if let Some(rest) = t.strip_prefix(prefix) {
                *t = rest.to_string();
            }
            if t.is_empty() {
                inlines.remove(0);
            }
        }
        Some(Inline::Emph(c) | Inline::Strong(c) | Inline::Link { content: c, .. }) => {
            strip_prefix(c, prefix)
        }
        _ => {}
    }
}

/// Removes `suffix` from the end of the last text of `inlines`, wherever it is nested.
fn strip_suffix(inlines: &mut Vec<Inline>, suffix: &str) {
    match inlines.last_mut() {
        Some(Inline::Text(t)) => {
            if let Some(rest) = t.strip_suffix(suffix) {
                *t = rest.to_string();
            }
            if t.is_empty() {
                inlines.pop();
            }
        }
        Some(Inline::Emph(c) | Inline::Strong(c) | Inline::Link { content: c, .. }) => {
            strip_suffix(c, suffix)
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::plain_text;

    const BIB: &str = r#"
@Book{Bishop.2006,
  Author = {Bishop, Christopher M.},
  title = {Pattern Recognition and Machine Learning},
  publisher = {Springer}, year = {2006}}
@inproceedings{He.Zhang.Ren.ea.2016,
  author = {He, Kaiming and Zhang, Xiangyu and Ren, Shaoqing and Sun, Jian},
  title = {Deep residual learning for image recognition},
  booktitle = {CVPR}, year = {2016}}
@inproceedings{He.Zhang.Ren.ea.2016*1,
  author = {He, Kaiming and Zhang, Xiangyu and Ren, Shaoqing and Sun, Jian},
  title = {Identity mappings in deep residual networks},
  booktitle = {ECCV}, year = {2016}}
@article{Hochreiter.Schmidhuber.1997,
  author = {Hochreiter, Sepp and Schmidhuber, J{\"u}rgen},
  title = {Long short-term memory}, journal = {Neural Computation}, year = {1997}}
"#;

    #[test]
    fn apa_texts_disambiguation_and_accents() {
        let bib =
            Bibliography::parse(BIB, "refs.bib", CitationStyle::named("apa").unwrap()).unwrap();
        let keys: Vec<String> = [
            "Bishop.2006",
            "He.Zhang.Ren.ea.2016",
            "He.Zhang.Ren.ea.2016*1",
            "Hochreiter.Schmidhuber.1997",
        ]
        .map(String::from)
        .to_vec();
        let f = bib.format(&keys);
        let paren = |k: &str| plain_text(&f.paren[k]);
        assert_eq!(paren("Bishop.2006"), "Bishop, 2006");
        assert_eq!(plain_text(&f.prose["Bishop.2006"]), "Bishop (2006)");
        assert_eq!(paren("He.Zhang.Ren.ea.2016"), "He et al., 2016a");
        assert_eq!(paren("He.Zhang.Ren.ea.2016*1"), "He et al., 2016b");
        assert_eq!((f.open.as_str(), f.close.as_str()), ("(", ")"));
        assert_eq!(f.entries.len(), 4);
        let lstm = &f
            .entries
            .iter()
            .find(|e| e.key == "Hochreiter.Schmidhuber.1997")
            .unwrap()
            .text;
        let text = plain_text(lstm);
        assert!(
            text.contains("Hochreiter, S., & Schmidhuber, J. (1997)."),
            "{text}"
        );
        // The journal is in italics: an emphasis holding exactly its name.
        assert!(
            lstm.iter().any(|i| matches!(i, Inline::Emph(c)
                if matches!(c.as_slice(), [Inline::Text(t)] if t == "Neural Computation"))),
            "{lstm:?}"
        );
        // APA's stray comma before a missing month is gone.
        let he = &f
            .entries
            .iter()
            .find(|e| e.key == "He.Zhang.Ren.ea.2016")
            .unwrap();
        assert!(plain_text(&he.text).contains("(2016a)."), "{:?}", he.text);
    }

    /// Works that only their authors' given names tell apart, and works that more names
    /// tell apart: the citations and the list agree on which get year suffixes.
    #[test]
    fn year_suffixes_agree_between_citations_and_list() {
        let bib = r#"
@article{J, title={One}, author={Smith, John}, journal={J}, year={2020}}
@article{K, title={Two}, author={Smith, Kate}, journal={J}, year={2020}}
@article{D, title={Three}, author={Smith, John and Doe, Jane and Poe, Al}, journal={J}, year={2020}}
@article{R, title={Four}, author={Smith, John and Roe, Jim and Poe, Al}, journal={J}, year={2020}}"#;
        let bib =
            Bibliography::parse(bib, "refs.bib", CitationStyle::named("apa").unwrap()).unwrap();
        let keys = ["J", "K", "D", "R"].map(String::from).to_vec();
        let f = bib.format(&keys);
        let paren: Vec<String> = keys.iter().map(|k| plain_text(&f.paren[k])).collect();
        assert_eq!(
            paren,
            [
                "Smith, 2020a",
                "Smith, 2020b",
                "Smith, Doe, et al., 2020",
                "Smith, Roe, et al., 2020"
            ]
        );
        let list: Vec<String> = f.entries.iter().map(|e| plain_text(&e.text)).collect();
        assert_eq!(
            list,
            [
                "Smith, J. (2020a). One. J.",
                "Smith, J., Doe, J., & Poe, A. (2020). Three. J.",
                "Smith, J., Roe, J., & Poe, A. (2020). Four. J.",
                "Smith, K. (2020b). Two. J.",
            ]
        );
    }

    #[test]
    fn lowercase_particles_stay_particles() {
        let bib = r#"@book{F.1668, author = {de la Fontaine, Jean and Ram{\'o}n y Cajal, Santiago},
            title = {Fables~choisies}, publisher = {Barbin}, year = {1668}}"#;
        let bib =
            Bibliography::parse(bib, "refs.bib", CitationStyle::named("apa").unwrap()).unwrap();
        let f = bib.format(&["F.1668".to_string()]);
        // hayagriva places a particle after the given names, as CSL's dropping particles.
        assert_eq!(
            plain_text(&f.entries[0].text),
            "Fontaine, J. de la, & Ramón y Cajal, S. (1668). Fables\u{a0}choisies. Barbin."
        );
    }

    #[test]
    fn parse_errors_are_located() {
        let errors = Bibliography::parse(
            "@book{a,\n  title = {x\n",
            "refs.bib",
            CitationStyle::named("apa").unwrap(),
        )
        .err()
        .unwrap();
        let span = errors[0].span.as_ref().unwrap();
        assert_eq!((span.file.as_ref(), span.line), ("refs.bib", 3));
        assert_eq!(
            errors[0].message,
            "invalid bibliography: unexpected end of file"
        );
    }
}
