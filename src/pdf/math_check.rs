//! Math that Typst rejects: every distinct formula compiled in a document of its own,
//! and the formulas an error of the whole book points into.

use super::fonts::Fonts;
use super::world::BookWorld;
use crate::render::typst::{self as gen, Generated, Options};
use std::collections::HashMap;
use std::sync::Arc;
use typst::diag::SourceDiagnostic;
use typst::WorldExt;

/// Compiles every distinct formula of `generated` in a document of its own; the ones
/// Typst rejects go into `options.fallback` (shown as source in the book).
pub(super) fn check_math(
    generated: &Generated,
    math_template: &str,
    fonts: &Arc<Fonts>,
    options: &mut Options,
) {
    let mut formulas: Vec<(String, Vec<usize>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for site in &generated.maths {
        let text = &generated.main[site.range.clone()];
        match index.get(text) {
            Some(&i) => formulas[i].1.push(site.id),
            None => {
                index.insert(text, formulas.len());
                formulas.push((text.to_string(), vec![site.id]));
            }
        }
    }
    // Evaluation stops at the first error: take that formula out and go again.
    for _ in 0..200 {
        if formulas.is_empty() {
            return;
        }
        let culprits =
            compile_formulas(formulas.iter().map(|f| f.0.as_str()), math_template, fonts);
        if culprits.is_empty() {
            return;
        }
        let mut lines: Vec<usize> = culprits.iter().map(|c| c.0).collect();
        lines.sort_unstable();
        lines.dedup();
        for (line, message) in &culprits {
            for id in &formulas[*line].1 {
                options.fallback.entry(*id).or_insert_with(|| {
                    format!("Typst cannot typeset the converted formula: {message}")
                });
            }
        }
        for line in lines.into_iter().rev() {
            formulas.remove(line);
        }
    }
}

/// Compiles the equations (`$…$` each) in one document with the math scope; returns the
/// errors and warnings as (index of the equation, message). What cannot be placed on one
/// equation is left out (the book's own compile reports it).
pub(super) fn compile_formulas<'a>(
    equations: impl Iterator<Item = &'a str>,
    math_template: &str,
    fonts: &Arc<Fonts>,
) -> Vec<(usize, String)> {
    let mut main = format!("#import {}: *\n", gen::string(gen::MATH_PATH));
    let mut count = 0;
    for eq in equations {
        main.push_str("#block(");
        main.push_str(eq);
        main.push_str(")\n");
        count += 1;
    }
    let generated = Generated {
        main,
        ..Generated::default()
    };
    let world = BookWorld::new(&generated, gen::BOOK_TEMPLATE, math_template, fonts.clone());
    let result = typst::compile::<typst_layout::PagedDocument>(&world);
    let errors = result
        .output
        .as_ref()
        .err()
        .map(|e| e.to_vec())
        .unwrap_or_default();
    let mut culprits = Vec::new();
    for d in errors.iter().chain(result.warnings.iter()) {
        // The innermost place in this document: the equation's line.
        let mut spans = vec![d.span];
        spans.extend(
            d.trace
                .iter()
                .map(|t| typst::syntax::DiagSpan::from(t.span)),
        );
        let line = spans
            .into_iter()
            .find(|s| s.id() == Some(world.main))
            .and_then(|s| world.range(s))
            .and_then(|r| world.source_of(world.main)?.lines().byte_to_line(r.start))
            .and_then(|l| l.checked_sub(1))
            .filter(|l| *l < count);
        if let Some(line) = line {
            culprits.push((line, d.message.to_string()));
        }
    }
    culprits
}

/// The ids of the math sites an error points into (itself or through its call trace).
pub(super) fn failing_math(
    world: &BookWorld,
    generated: &Generated,
    error: &SourceDiagnostic,
) -> Vec<usize> {
    let mut positions = Vec::new();
    if error.span.id() == Some(world.main) {
        if let Some(range) = world.range(error.span) {
            positions.push(range.start);
        }
    }
    for point in error.trace.iter() {
        if point.span.id() == Some(world.main) {
            if let Some(range) = world.range(point.span) {
                positions.push(range.start);
            }
        }
    }
    let mut ids: Vec<usize> = positions
        .into_iter()
        .filter_map(|pos| {
            generated
                .maths
                .iter()
                .find(|m| m.range.contains(&pos))
                .map(|m| m.id)
        })
        .collect();
    ids.dedup();
    ids
}
