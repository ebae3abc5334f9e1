//! What depends on where the pages fall, put on the pages once the book is laid out, so
//! that the layout itself settles at once (Typst lays a book out again for as long as
//! something on its pages changes with the page numbers, and memoises a run of pages
//! together with its running heads):
//! - links to labels, which the template makes links to `d2lbook-label:LABEL` (Typst
//!   works out where a link to a label goes, and its page number for its alternative
//!   text, in every layout), are pointed at the labels' places;
//! - the running heads, the page numbers, and the page numbers of the contents (where
//!   the template's contents put `page-of` marks) are laid out by the template's
//!   `furniture`, one page of furniture per page of the book, and laid over the book's
//!   pages.
//!
//! A book's own template without `furniture` (written for an earlier d2lbook) keeps the
//! running heads it sets itself, which Typst lays out in its layout iterations.

use super::world::BookWorld;
use super::Fonts;
use crate::render::typst::{string, Generated};
use std::fmt::Write;
use std::num::NonZeroUsize;
use std::sync::Arc;
use typst::ecow::EcoString;
use typst::foundations::Label;
use typst::introspection::{Introspector, Location, Tag};
use typst::layout::{Abs, Frame, FrameItem, Point, Transform};
use typst::model::{Destination, LinkMarker, Numbering};
use typst::utils::PicoStr;
use typst_layout::{Page, PagedDocument};

/// The start of the URL of a `page-of` mark: `d2lbook-page:STYLE:LABEL`.
const MARK: &str = "d2lbook-page:";
/// The start of the URL of a link to a label: `d2lbook-label:LABEL`.
const TO_LABEL: &str = "d2lbook-label:";

/// What the furniture is laid out with: the book's templates and fonts.
pub(super) struct Furniture<'a> {
    pub(super) generated: &'a Generated,
    pub(super) book_template: &'a str,
    pub(super) math_template: &'a str,
    pub(super) fonts: Arc<Fonts>,
}

/// A place where the contents want the page number of `label`: its left end and
/// baseline on page `page` (0-based), and its width.
struct Mark {
    page: usize,
    at: Point,
    width: Abs,
    style: String,
    label: Label,
}

/// `document` with its links pointed at their labels and its running heads and page
/// numbers; the warnings when the furniture could not be laid out.
pub(super) fn furnish(
    document: PagedDocument,
    furniture: Furniture,
) -> (PagedDocument, Vec<String>) {
    let mut warnings = Vec::new();
    let introspector = document.introspector().clone();
    let place_of = |label: Label| introspector.query_label(label).ok()?.location();
    let page_of = |label: Label| introspector.page(place_of(label)?);

    let mut marks = Vec::new();
    for (i, page) in document.pages().iter().enumerate() {
        find_marks(&page.frame, Transform::identity(), i, &mut marks);
    }
    let source = furniture_source(furniture.generated, document.pages(), &marks, &page_of);
    // A title may show one of the book's images.
    let generated = Generated {
        main: source,
        images: furniture.generated.images.clone(),
        ..Generated::default()
    };
    let world = BookWorld::new(
        &generated,
        furniture.book_template,
        furniture.math_template,
        furniture.fonts,
    );
    let pages = document.pages().len();
    let overlay = match typst::compile::<PagedDocument>(&world).output {
        Ok(laid) if laid.pages().len() == pages => Some(laid),
        // A template without `furniture`: one blank page.
        Ok(laid) if laid.pages().len() == 1 => None,
        Ok(laid) => {
            warnings.push(format!(
                "the running heads and page numbers are left out of the PDF: the template's \
                 `furniture` made {} pages for the book's {pages}",
                laid.pages().len()
            ));
            None
        }
        Err(errors) => {
            let why = errors.first().map(|e| e.message.to_string());
            warnings.push(format!(
                "the running heads and page numbers are left out of the PDF: {}",
                why.unwrap_or_default()
            ));
            None
        }
    };

    // The pages are changed in place: the memo, which shares their frames, is not read
    // again (a process typesets one PDF).
    typst::comemo::evict(0);
    let info = typst::model::Document::info(&document).clone();
    let mut pages: Vec<Page> = document.pages().to_vec();
    drop(document);
    let real = |url: &str| {
        let name = url.strip_prefix(TO_LABEL)?;
        Some(Label::new(PicoStr::intern(name)).and_then(place_of))
    };
    for (i, page) in pages.iter_mut().enumerate() {
        repoint(&mut page.frame, &real);
        if let Some(overlay) = &overlay {
            page.frame
                .push_frame(Point::zero(), overlay.pages()[i].frame.clone());
        }
    }
    drop(overlay);
    drop(introspector);
    (
        PagedDocument::new(pages.into_iter().collect(), info),
        warnings,
    )
}

/// Collects the `page-of` marks of `frame`, placed by `ts` on page `page`.
fn find_marks(frame: &Frame, ts: Transform, page: usize, marks: &mut Vec<Mark>) {
    for (pos, item) in frame.items() {
        match item {
            FrameItem::Group(group) => {
                let ts = ts
                    .pre_concat(Transform::translate(pos.x, pos.y))
                    .pre_concat(group.transform);
                find_marks(&group.frame, ts, page, marks);
            }
            FrameItem::Link(Destination::Url(url), size) => {
                let Some((style, name)) = url.strip_prefix(MARK).and_then(|m| m.split_once(':'))
                else {
                    continue;
                };
                let Some(label) = Label::new(PicoStr::intern(name)) else {
                    continue;
                };
                // The mark is an empty box on the line's baseline.
                let at = Point::new(pos.x, pos.y + size.y).transform(ts);
                marks.push(Mark {
                    page,
                    at,
                    width: size.x,
                    style: style.to_string(),
                    label,
                });
            }
            _ => {}
        }
    }
}

/// Where a link goes: `None` when it is not a link to a label, `Some(None)` when that
/// label is nowhere.
type Real<'a> = dyn Fn(&str) -> Option<Option<Location>> + 'a;

/// Whether `frame` holds a link to a label or a mark.
fn needs_repointing(frame: &Frame) -> bool {
    frame.items().any(|(_, item)| match item {
        FrameItem::Group(group) => needs_repointing(&group.frame),
        FrameItem::Link(Destination::Url(url), _) => ours(url),
        FrameItem::Tag(Tag::Start(content, _)) => content
            .to_packed::<LinkMarker>()
            .is_some_and(|marker| marker.alt.as_deref().is_some_and(ours)),
        _ => false,
    })
}

fn ours(url: &str) -> bool {
    url.starts_with(TO_LABEL) || url.starts_with(MARK)
}

/// Points `frame`'s links to labels at the labels' places (a link whose label is
/// nowhere goes), and takes the marks out. Their alternative text, which Typst made from
/// the URL, goes too. Frames without either are left alone, not copied.
fn repoint(frame: &mut Frame, real: &Real) {
    if !needs_repointing(frame) {
        return;
    }
    frame.retain(|item| match item {
        FrameItem::Group(group) => {
            repoint(&mut group.frame, real);
            true
        }
        FrameItem::Link(dest @ Destination::Url(_), _) => {
            let Destination::Url(url) = &dest else {
                return true;
            };
            if url.starts_with(MARK) {
                return false;
            }
            match real(url) {
                Some(Some(to)) => {
                    *dest = Destination::Location(to);
                    true
                }
                Some(None) => false,
                None => true,
            }
        }
        FrameItem::Tag(Tag::Start(content, _)) => {
            if let Some(marker) = content.to_packed_mut::<LinkMarker>() {
                if marker.alt.as_deref().is_some_and(ours) {
                    marker.alt = None;
                }
            }
            true
        }
        _ => true,
    });
}

/// A page's number as it shows it, if it has one.
fn shown(page: &Page) -> Option<EcoString> {
    match page.numbering.as_ref()? {
        Numbering::Pattern(pattern) => pattern.apply(None, &[page.number]).ok(),
        Numbering::Func(_) => Some(page.number.to_string().into()),
    }
}

/// The Typst source of the furniture: the template's `furniture` called with the book's
/// settings, its chapters' titles and, page by page, what the furniture needs to know.
fn furniture_source(
    generated: &Generated,
    pages: &[Page],
    marks: &[Mark],
    page_of: &impl Fn(Label) -> Option<NonZeroUsize>,
) -> String {
    let mut out = String::new();
    out.push_str("// The page furniture of the generated book (made by d2lbook).\n");
    let _ = writeln!(
        out,
        "#import {} as d2l",
        string(crate::render::typst::BOOK_PATH)
    );
    let _ = writeln!(
        out,
        "#import {}: *",
        string(crate::render::typst::MATH_PATH)
    );
    // A title's links go nowhere here: the furniture is not linked.
    out.push_str("#show link: it => it.body\n");
    out.push_str("#if \"furniture\" in dictionary(d2l) { d2l.furniture(\n");
    out.push_str(&generated.style);
    // Each chapter's first page (1-based), in book order.
    let mut opening: Vec<(usize, usize)> = Vec::new();
    out.push_str("  chapters: (");
    for (i, (label, title)) in generated.chapters.iter().enumerate() {
        let _ = write!(out, "[{title}],");
        if let Some(page) = Label::new(PicoStr::intern(label)).and_then(page_of) {
            opening.push((page.get(), i));
        }
    }
    out.push_str("),\n  pages: (\n");
    let mut marks = marks.iter().peekable();
    for (i, page) in pages.iter().enumerate() {
        let number = i + 1;
        let chapter = opening.iter().rev().find(|(p, _)| *p <= number);
        let _ = write!(
            out,
            "    (number: {}, even: {}, chapter: {}, opening: {}, numbers: (",
            shown(page).map_or("none".to_string(), |n| string(&n)),
            page.number % 2 == 0,
            chapter.map_or("none".to_string(), |(_, c)| c.to_string()),
            opening.iter().any(|(p, _)| *p == number),
        );
        while let Some(mark) = marks.next_if(|m| m.page == i) {
            let Some(at) = page_of(mark.label).and_then(|p| pages.get(p.get() - 1)) else {
                continue;
            };
            let _ = write!(
                out,
                "(x: {}pt, y: {}pt, width: {}pt, style: {}, text: {}),",
                mark.at.x.to_pt(),
                mark.at.y.to_pt(),
                mark.width.to_pt(),
                string(&mark.style),
                string(&shown(at).unwrap_or_default()),
            );
        }
        out.push_str(")),\n");
    }
    out.push_str("  ),\n) }\n");
    out
}
