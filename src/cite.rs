//! Citations and the bibliography, formatted by hayagriva (CSL styles) from the book's
//! BibTeX file: the text of each cited key and the entries of the references page.

use crate::diag::Diagnostic;
use crate::doc::span_of;
use crate::render::escape::escape;
use hayagriva::archive::{locales, ArchivedStyle};
use hayagriva::citationberg::{FontStyle, FontWeight, IndependentStyle, Style, VerticalAlign};
use hayagriva::{
    BibliographyDriver, BibliographyRequest, BufWriteFormat, CitationItem, CitationRequest,
    CitePurpose, ElemChild, ElemChildren, Entry, Formatting, Library,
};
use std::collections::HashMap;

pub struct Bibliography {
    library: Library,
    style: IndependentStyle,
}

/// How each cited key reads, and the formatted entries.
pub struct Formatted {
    /// key → text inside a parenthetical citation (`Bishop, 2006`).
    pub paren: HashMap<String, String>,
    /// key → text of a textual citation (`Bishop (2006)`).
    pub prose: HashMap<String, String>,
    /// (key, HTML of the entry) in the style's order.
    pub entries: Vec<(String, String)>,
    /// What wraps a parenthetical citation and separates its items: `(`, `)`, `; `.
    pub open: String,
    pub close: String,
    pub delimiter: String,
}

impl Bibliography {
    /// Parses a BibTeX/BibLaTeX file; `file` is its path for diagnostics.
    pub fn parse(
        text: &str,
        file: &str,
        style_name: &str,
    ) -> Result<Bibliography, Vec<Diagnostic>> {
        let library = hayagriva::io::from_biblatex_str(text).map_err(|errors| {
            errors
                .into_iter()
                .map(|e| {
                    // The errors' own Display ends in a byte range ("…: 35-35"); the
                    // span says where, as a line and column.
                    let (span, what) = match &e {
                        hayagriva::io::BibLaTeXError::Parse(p) => {
                            (p.span.clone(), p.kind.to_string())
                        }
                        hayagriva::io::BibLaTeXError::Type(t) => {
                            (t.span.clone(), t.kind.to_string())
                        }
                    };
                    Diagnostic::error(format!("invalid bibliography: {what}"))
                        .at(&span_of(text, file, span))
                })
                .collect::<Vec<_>>()
        })?;
        let style = match ArchivedStyle::by_name(style_name).map(ArchivedStyle::get) {
            Some(Style::Independent(style)) => style,
            _ => {
                return Err(vec![Diagnostic::error(format!(
                    "unknown citation style '{style_name}'"
                ))
                .help("use a CSL style name such as apa, ieee, chicago-author-date")])
            }
        };
        Ok(Bibliography { library, style })
    }

    pub fn contains(&self, key: &str) -> bool {
        self.library.get(key).is_some()
    }

    /// Formats the keys (in order of first citation); unknown keys are skipped.
    pub fn format(&self, keys: &[String]) -> Formatted {
        let locale_files = locales();
        let mut driver = BibliographyDriver::<Entry>::new();
        let entries: Vec<&Entry> = keys.iter().filter_map(|k| self.library.get(k)).collect();
        for &entry in &entries {
            for purpose in [None, Some(CitePurpose::Prose)] {
                let item = CitationItem::new(entry, None, None, false, purpose);
                driver.citation(CitationRequest::from_items(
                    vec![item],
                    &self.style,
                    &locale_files,
                ));
            }
        }
        let rendered = driver.finish(BibliographyRequest::new(&self.style, None, &locale_files));
        let layout = &self.style.citation.layout;
        let open = layout.prefix.clone().unwrap_or_default();
        let close = layout.suffix.clone().unwrap_or_default();
        let mut paren = HashMap::new();
        let mut prose = HashMap::new();
        for (i, citation) in rendered.citations.iter().enumerate() {
            let key = entries[i / 2].key().to_string();
            let mut text = String::new();
            let _ = citation
                .citation
                .write_buf(&mut text, BufWriteFormat::Plain);
            if i % 2 == 0 {
                // The group's brackets are ours to place, around all keys of a citation.
                let inner = text.strip_prefix(open.as_str()).unwrap_or(&text);
                let inner = inner.strip_suffix(close.as_str()).unwrap_or(inner);
                paren.insert(key, inner.to_string());
            } else {
                prose.insert(key, text);
            }
        }
        let entries = rendered
            .bibliography
            .map(|b| {
                b.items
                    .into_iter()
                    .map(|item| {
                        let mut html = String::new();
                        write_html(&item.content, &mut html);
                        (item.key, tidy(&html))
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
fn tidy(text: &str) -> String {
    text.replace(",)", ")")
}

/// The entry as HTML, its text escaped (hayagriva's own HTML writer does not escape).
fn write_html(children: &ElemChildren, out: &mut String) {
    for child in &children.0 {
        match child {
            ElemChild::Text(t) => write_formatted(&t.text, &t.formatting, out),
            ElemChild::Elem(e) => write_html(&e.children, out),
            ElemChild::Markup(m) => out.push_str(&escape(m)),
            ElemChild::Link { text, url } => {
                out.push_str(&format!("<a href=\"{}\">", escape(url)));
                write_formatted(&text.text, &text.formatting, out);
                out.push_str("</a>");
            }
            ElemChild::Transparent { .. } => {}
        }
    }
}

fn write_formatted(text: &str, f: &Formatting, out: &mut String) {
    let tags: Vec<&str> = [
        (f.font_style == FontStyle::Italic, "i"),
        (f.font_weight == FontWeight::Bold, "b"),
        (f.vertical_align == VerticalAlign::Sup, "sup"),
        (f.vertical_align == VerticalAlign::Sub, "sub"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, tag)| *tag)
    .collect();
    for tag in &tags {
        out.push_str(&format!("<{tag}>"));
    }
    out.push_str(&escape(text));
    for tag in tags.iter().rev() {
        out.push_str(&format!("</{tag}>"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let bib = Bibliography::parse(BIB, "refs.bib", "apa").unwrap();
        let keys: Vec<String> = [
            "Bishop.2006",
            "He.Zhang.Ren.ea.2016",
            "He.Zhang.Ren.ea.2016*1",
            "Hochreiter.Schmidhuber.1997",
        ]
        .map(String::from)
        .to_vec();
        let f = bib.format(&keys);
        assert_eq!(f.paren["Bishop.2006"], "Bishop, 2006");
        assert_eq!(f.prose["Bishop.2006"], "Bishop (2006)");
        assert_eq!(f.paren["He.Zhang.Ren.ea.2016"], "He et al., 2016a");
        assert_eq!(f.paren["He.Zhang.Ren.ea.2016*1"], "He et al., 2016b");
        assert_eq!((f.open.as_str(), f.close.as_str()), ("(", ")"));
        assert_eq!(f.entries.len(), 4);
        let lstm = &f
            .entries
            .iter()
            .find(|(k, _)| k == "Hochreiter.Schmidhuber.1997")
            .unwrap()
            .1;
        assert!(
            lstm.contains("Hochreiter, S., &amp; Schmidhuber, J. (1997)."),
            "{lstm}"
        );
        assert!(lstm.contains("<i>Neural Computation</i>"), "{lstm}");
    }

    #[test]
    fn parse_errors_are_located() {
        let errors = Bibliography::parse("@book{a,\n  title = {x\n", "refs.bib", "apa")
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
