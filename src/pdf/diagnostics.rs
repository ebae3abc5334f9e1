//! Typst's diagnostics as ours, located in the chapter file through the generated line
//! map.

use super::world::{BookWorld, VirtualFile};
use crate::diag::Diagnostic;
use crate::doc::Span as SourceSpan;
use crate::render::typst::{self as gen, Generated};
use typst::diag::{Severity, SourceDiagnostic};
use typst::WorldExt;

/// A Typst diagnostic as ours: located in the chapter file when the generated line came
/// from one, else in the generated source (or the template).
pub(super) fn map_diagnostic(
    world: &BookWorld,
    generated: &Generated,
    d: &SourceDiagnostic,
) -> Diagnostic {
    let mut message = format!("PDF: {}", d.message);
    // The innermost place in the generated source: the span itself, else the call trace.
    let mut spans = vec![d.span];
    spans.extend(
        d.trace
            .iter()
            .map(|t| typst::syntax::DiagSpan::from(t.span)),
    );
    let mut location: Option<SourceSpan> = None;
    let mut elsewhere: Option<String> = None;
    for span in spans {
        let Some(id) = span.id() else { continue };
        let Some(range) = world.range(span) else {
            continue;
        };
        if id == world.main {
            let line = world
                .source_of(world.main)
                .and_then(|source| source.lines().byte_to_line(range.start))
                .unwrap_or(0);
            location = generated.lines.get(line).cloned().flatten();
            if location.is_none() {
                elsewhere = Some(format!("line {} of the generated Typst source", line + 1));
            }
            break;
        }
        if elsewhere.is_none() {
            if let Some(source) = world.source_of(id) {
                let line = source.lines().byte_to_line(range.start).unwrap_or(0);
                elsewhere = Some(format!("{}:{}", id.vpath().get_without_slash(), line + 1));
            } else if let Some(VirtualFile::Disk(path)) = world.files.get(&id) {
                // A file the book uses (an image that does not decode): name it, and
                // point at the first place that uses it.
                message.push_str(&format!(" (in {})", path.display()));
                let call = format!("({})", gen::string(id.vpath().get_with_slash()));
                if let Some(pos) = generated.main.find(&call) {
                    let line = generated.main[..pos].matches('\n').count();
                    location = generated.lines.get(line).cloned().flatten();
                }
                if location.is_some() {
                    break;
                }
            }
        }
    }
    if location.is_none() {
        if let Some(place) = &elsewhere {
            message.push_str(&format!(" (at {place})"));
        }
    }
    let mut out = match d.severity {
        Severity::Error => Diagnostic::error(message),
        Severity::Warning => Diagnostic::warning(message),
    };
    if let Some(span) = location {
        out = out.at(&span);
    }
    let hints: Vec<String> = d.hints.iter().map(|h| h.v.to_string()).collect();
    if !hints.is_empty() {
        out = out.help(hints.join("; "));
    }
    out
}
