//! The book laid out by Typst, iteration by iteration, keeping only what the next
//! iteration needs.
//!
//! `typst::compile` lays a document out again until its introspections (page numbers in
//! the contents, counters) settle, and keeps every earlier iteration's pages and memoised
//! layouts until it returns. For a book that is two or three full layouts held at once.
//! This loop is the same (Typst's own `compile_impl`, paged target only), except that:
//! - the memo is emptied once the markup is evaluated: a book calls its template's
//!   functions tens of thousands of times, each call memoised, and layout reuses none;
//!   and the main file's syntax tree is let go (parsed again if a diagnostic needs it);
//! - an earlier iteration keeps only its introspector, and only the last one's: the
//!   others are needed only to explain a layout that never settles, and such a layout
//!   is laid out again, keeping them all;
//! - what the last iteration did not reuse is evicted from the memo before the next one
//!   starts, and the memory it held given back to the system;
//! - the first iteration finds the book's labels (`FirstLayout`): a link to a label
//!   keeps its text, so no page moves once the link is resolved in the second;
//! - the memo is emptied of what went unused for a while during the first iteration,
//!   which lays every page out for the first time: a paragraph's lines, copied into its
//!   page, are not kept twice for the whole book. A book whose layout then settles is
//!   laid out once: the default template's does, its running heads, page numbers and
//!   links to labels being put on the pages afterwards (`furniture`).

use super::world::BookWorld;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;
use typst::comemo::{self, Track};
use typst::diag::StrResult;
use typst::diag::{SourceDiagnostic, SourceResult, Warned};
use typst::ecow::EcoString;
use typst::ecow::EcoVec;
use typst::engine::{Engine, Route, Sink, Traced};
use typst::foundations::{Content, Label, Selector};
use typst::foundations::{Output, StyleChain, Target, TargetElem};
use typst::introspection::{
    DocumentPosition, EmptyIntrospector, Introspector, Location, MAX_ITERS,
};
use typst::model::Numbering;
use typst::syntax::VirtualPath;
use typst::utils::PicoStr;
use typst::utils::Protected;
use typst::World;
use typst_layout::{PagedDocument, PagedIntrospector};

/// When the first iteration evicts memoised results, and after how many evictions
/// unused: each time the allocator has handed out `EVICT_STEP` more bytes than after the
/// last eviction (a measure of the work done, the same on a fast machine as on a slow
/// one), or every `EVICT_EVERY` where the allocator cannot say. A paragraph's lines are
/// reused within its page, not pages later. 780 pages: 560 MB rather than 720 MB at the
/// end of the first layout, at the same speed. (Evicting every 250 ms held as much on
/// this 2-core machine, but 110 MB more at 875 pages when it was every second, as it
/// would be on a machine four times as fast.)
const EVICT_STEP: usize = 32 << 20;
const EVICT_EVERY: Duration = Duration::from_millis(250);
const EVICT_AGE: usize = 2;

/// Lays out the world's main file as pages; the same result and diagnostics as
/// `typst::compile::<PagedDocument>`.
/// `labels`: those the main file attaches.
pub(super) fn compile(world: &BookWorld, labels: &[String]) -> Warned<SourceResult<PagedDocument>> {
    let first = FirstLayout::new(labels);
    let mut sink = Sink::new();
    let output = match compile_in(world, &first, &mut sink, History::Last) {
        Some(output) => output,
        None => {
            sink = Sink::new();
            compile_in(world, &first, &mut sink, History::All).expect("all introspectors are kept")
        }
    };
    Warned {
        output: output.map_err(deduplicate),
        warnings: sink.warnings(),
    }
}

/// Which earlier iterations' introspectors the loop keeps.
#[derive(Clone, Copy, PartialEq)]
enum History {
    /// The last one's, which the next iteration reads.
    Last,
    /// All, which Typst's analysis of a layout that never settles compares.
    All,
}

/// `None` when the layout did not settle and, keeping only the last introspector, cannot
/// say why.
fn compile_in(
    book_world: &BookWorld,
    first: &FirstLayout,
    sink: &mut Sink,
    history: History,
) -> Option<SourceResult<PagedDocument>> {
    let traced = Traced::default();
    let world = (book_world as &dyn World).track();
    let traced = traced.track();
    let library = world.library();
    let target = TargetElem::target.set(Target::Paged).wrap();
    let styles = StyleChain::new(&library.styles);
    let styles = styles.chain(&target);

    let main = match world.source(world.main()) {
        Ok(main) => main,
        Err(e) => {
            let span = typst::syntax::Span::detached();
            return Some(Err(EcoVec::from([SourceDiagnostic::error(span, e)])));
        }
    };
    let evaluated = typst_eval::eval(
        world,
        library,
        traced,
        sink.track_mut(),
        Route::default().track(),
        &main,
    );
    // The template's functions, called once per heading, reference and formula, were
    // memoised call by call (about 30 MB in an 800-page book); layout reuses none.
    comemo::evict(0);
    drop(main);
    book_world.release_main();
    let content = match evaluated {
        Ok(module) => module.content(),
        Err(errors) => return Some(Err(errors)),
    };

    let mut earlier: Vec<Arc<PagedIntrospector>> = Vec::new();
    let mut iterations = 0;
    let document = loop {
        iterations += 1;
        let introspector = match earlier.last() {
            Some(last) => Known {
                first: None,
                inner: last.as_ref(),
            },
            None => Known {
                first: Some(first),
                inner: &EmptyIntrospector,
            },
        };
        let constraint = comemo::Constraint::new();
        let mut subsink = Sink::new();
        let mut engine = Engine {
            library,
            world,
            introspector: Protected::new(
                (&introspector as &dyn Introspector).track_with(&constraint),
            ),
            traced,
            sink: subsink.track_mut(),
            route: Route::default(),
        };
        let created = if iterations == 1 {
            evicting(|| PagedDocument::create(&mut engine, &content, styles))
        } else {
            PagedDocument::create(&mut engine, &content, styles)
        };
        let document = match created {
            Ok(document) => document,
            Err(errors) => return Some(Err(errors)),
        };

        let laid_out = Known {
            first: None,
            inner: document.introspector().as_ref(),
        };
        if constraint.validate(&laid_out as &dyn Introspector) {
            sink.extend_from_sink(subsink);
            break document;
        }
        if iterations == MAX_ITERS {
            if history == History::Last {
                return None;
            }
            let first = Known {
                first: Some(first),
                inner: &EmptyIntrospector,
            };
            let earlier: Vec<Known> = earlier
                .iter()
                .map(|e| Known {
                    first: None,
                    inner: e.as_ref(),
                })
                .collect();
            let mut all = [&first as &dyn Introspector; MAX_ITERS + 1];
            for (slot, earlier) in all[1..].iter_mut().zip(&earlier) {
                *slot = earlier;
            }
            all[MAX_ITERS] = &laid_out;
            let warnings = typst::introspection::analyze(world, all, subsink.introspections());
            sink.extend_from_sink(subsink);
            for warning in warnings {
                sink.warn(warning);
            }
            break document;
        }
        if history == History::Last {
            // An 800-page book's introspector is about 30 MB.
            earlier.clear();
        }
        earlier.push(document.introspector().clone());
        drop(document);
        // What this iteration did not use was laid out for an earlier iteration's
        // introspections, which the next one will not see again either (it would only
        // be laid out anew if they came back).
        comemo::evict(1);
        // Most of it is many small blocks the allocator keeps; the next iteration
        // allocates in other sizes and grew the process past them (780 pages, when laid
        // out three times: 1,230 MB after the last iteration rather than 1,195).
        super::release_free_memory();
    };

    let delayed = sink.delayed();
    if !delayed.is_empty() {
        return Some(Err(delayed));
    }
    Some(Ok(document))
}

/// Runs `f` while another thread evicts what the memo has not used for a while.
fn evicting<T>(f: impl FnOnce() -> T) -> T {
    let (done, stop) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let poll = match super::heap_in_use() {
                Some(_) => Duration::from_millis(20),
                None => EVICT_EVERY,
            };
            let mut after_last = super::heap_in_use();
            while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(poll) {
                if let (Some(now), Some(last)) = (super::heap_in_use(), after_last) {
                    if now < last + EVICT_STEP {
                        continue;
                    }
                }
                comemo::evict(EVICT_AGE);
                after_last = super::heap_in_use();
            }
        });
        let result = f();
        drop(done);
        result
    })
}

/// What the first layout knows: nothing, as in Typst, but the labels the markup
/// attaches, each at a place of its own that no element has. A link to one of them then
/// keeps its text (Typst leaves out a link whose label it cannot find), and the second
/// layout, which finds the real places, moves no page; otherwise every page after a
/// reference moved, and the book was laid out a third time.
struct FirstLayout {
    labels: HashMap<Label, Content>,
}

impl FirstLayout {
    fn new(labels: &[String]) -> Self {
        let labels = labels
            .iter()
            .filter_map(|name| {
                let label = Label::new(PicoStr::intern(name))?;
                let place = Location::new(typst::utils::hash128(&("d2lbook first layout", name)));
                Some((label, Content::empty().located(place)))
            })
            .collect();
        FirstLayout { labels }
    }
}

/// What an iteration knows: `inner`'s introspections; in the first, also the labels
/// of `first`. But it never gives content laid out only to be measured (`measure`, or
/// `layout` and a cell's height) the places of the previous iteration's elements, as
/// Typst does so that the measured content counts as the real one: the places were
/// found by the first layout, so every measured cell differed in the second, and the
/// book was laid out again. The book's measured content asks nothing of its places.
struct Known<'a> {
    first: Option<&'a FirstLayout>,
    inner: &'a dyn Introspector,
}

impl Introspector for Known<'_> {
    fn query(&self, selector: &Selector) -> EcoVec<Content> {
        self.inner.query(selector)
    }
    fn query_first(&self, selector: &Selector) -> Option<Content> {
        self.inner.query_first(selector)
    }
    fn query_unique(&self, selector: &Selector) -> StrResult<Content> {
        self.inner.query_unique(selector)
    }
    fn query_label(&self, label: Label) -> StrResult<&Content> {
        match self.first.and_then(|first| first.labels.get(&label)) {
            Some(content) => Ok(content),
            None => self.inner.query_label(label),
        }
    }
    fn query_labelled(&self) -> EcoVec<Content> {
        self.inner.query_labelled()
    }
    fn query_count_before(&self, selector: &Selector, end: Location) -> usize {
        self.inner.query_count_before(selector, end)
    }
    fn label_count(&self, label: Label) -> usize {
        match self.first {
            Some(first) if first.labels.contains_key(&label) => 1,
            _ => self.inner.label_count(label),
        }
    }
    fn locator(&self, _: u128, _: Location) -> Option<Location> {
        None
    }
    fn pages(&self, location: Location) -> Option<NonZeroUsize> {
        self.inner.pages(location)
    }
    fn page(&self, location: Location) -> Option<NonZeroUsize> {
        self.inner.page(location)
    }
    fn position(&self, location: Location) -> Option<DocumentPosition> {
        self.inner.position(location)
    }
    fn page_numbering(&self, location: Location) -> Option<&Numbering> {
        self.inner.page_numbering(location)
    }
    fn page_supplement(&self, location: Location) -> Option<&Content> {
        self.inner.page_supplement(location)
    }
    fn anchor(&self, location: Location) -> Option<&EcoString> {
        self.inner.anchor(location)
    }
    fn document(&self, location: Location) -> Option<Location> {
        self.inner.document(location)
    }
    fn path(&self, location: Location) -> Option<&VirtualPath> {
        self.inner.path(location)
    }
}

/// The same diagnostic reported from two iterations is reported once.
fn deduplicate(mut diags: EcoVec<SourceDiagnostic>) -> EcoVec<SourceDiagnostic> {
    let mut seen = std::collections::HashSet::new();
    diags.retain(|d| seen.insert(typst::utils::hash128(&(&d.span, &d.message))));
    diags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::fonts::collect_fonts;
    use crate::pdf::testing::document_text;
    use crate::render::typst::Generated;

    fn world_of(main: &str) -> BookWorld {
        let generated = Generated {
            main: main.to_string(),
            ..Generated::default()
        };
        BookWorld::new(&generated, "", "", Arc::new(collect_fonts(false, &[])))
    }

    fn messages(diags: &[SourceDiagnostic]) -> Vec<String> {
        diags.iter().map(|d| d.message.to_string()).collect()
    }

    #[test]
    fn pages_are_those_of_typst_compile() {
        // The contents learn their page numbers in the second layout and are confirmed
        // in the third; the figure number in the text comes from a counter.
        let mut main = String::from("#set heading(numbering: \"1.1\")\n#outline()\n");
        for i in 1..=12 {
            main.push_str(&format!(
                "#pagebreak()\n= Chapter {i} <c{i}>\nSee @c12 and @f1.\n#lorem(1000)\n"
            ));
            if i == 3 {
                main.push_str("#figure([x], caption: [A figure]) <f1>\n");
            }
        }
        let world = world_of(&main);
        let ours = compile(&world, &[]);
        let typst = typst::compile::<PagedDocument>(&world);
        let (ours, typst) = (ours.output.unwrap(), typst.output.unwrap());
        assert_eq!(
            typst::utils::hash128(&ours),
            typst::utils::hash128(&typst),
            "different pages"
        );
        let text = document_text(&ours);
        assert!(ours.pages().len() > 20, "{} pages", ours.pages().len());
        // Twelve references and the caption resolved (a reference without a target
        // would have been an error).
        assert_eq!(text.matches("Section").count(), 12, "{text}");
        assert_eq!(text.matches("Figure").count(), 13, "{text}");
    }

    #[test]
    fn a_first_layout_that_knows_the_labels_ends_with_typst_s_pages() {
        // Links to labels further on: Typst's first layout leaves their text out, ours
        // keeps it at places no element has; both must end with the same pages, whose
        // links go where the labels are.
        let mut main = String::new();
        for i in 1..=30 {
            main.push_str(&format!(
                "== Part {i} <p{i}>\n{} #link(<p{}>)[the part after next, on its own line of words]\n\n",
                "Words of the part. ".repeat(30),
                (i + 1) % 30 + 1
            ));
        }
        let world = world_of(&main);
        let labels: Vec<String> = (1..=30).map(|i| format!("p{i}")).collect();
        let ours = compile(&world, &labels).output.unwrap();
        let typst = typst::compile::<PagedDocument>(&world).output.unwrap();
        assert_eq!(
            typst::utils::hash128(&ours),
            typst::utils::hash128(&typst),
            "different pages"
        );
        assert!(ours.pages().len() > 5, "{} pages", ours.pages().len());
        assert_eq!(
            document_text(&ours).matches("the part after next").count(),
            30
        );
    }

    #[test]
    fn errors_and_a_layout_that_never_settles_are_reported_as_typst_reports_them() {
        let never = "#context { let n = counter(\"x\").final().first(); counter(\"x\").update(n + 1); [#n] }\n";
        let world = world_of(never);
        let (ours, typst) = (
            compile(&world, &[]),
            typst::compile::<PagedDocument>(&world),
        );
        assert!(ours.output.is_ok());
        assert_eq!(messages(&ours.warnings), messages(&typst.warnings));
        assert!(
            messages(&ours.warnings)
                .iter()
                .any(|m| m.contains("did not converge")),
            "{:?}",
            messages(&ours.warnings)
        );

        for broken in ["See @nowhere.\n", "#let x = (\n", "#panic(\"stop\")\n"] {
            let world = world_of(broken);
            let (ours, typst) = (
                compile(&world, &[]),
                typst::compile::<PagedDocument>(&world),
            );
            let (Err(ours), Err(typst)) = (ours.output, typst.output) else {
                panic!("{broken:?} compiled");
            };
            assert_eq!(messages(&ours), messages(&typst), "{broken:?}");
        }
    }
}
