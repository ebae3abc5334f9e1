//! d2lbook: a book compiler for hands-on technical books. Markdown (and notebooks) with
//! math, figures, citations and Rust cells become a cross-referenced static site.
//!
//! The pipeline runs one way: `book` (load) → `parse` → `eval` → `resolve` → `render` → write, driven
//! by `build`; the IR every stage shares lives in `doc`.

pub mod assets;
pub mod book;
pub mod build;
pub mod cite;
pub mod config;
pub mod diag;
pub mod digest;
pub mod doc;
pub mod eval;
pub mod fence;
pub mod i18n;
pub mod linkcheck;
pub mod math_text;
pub mod mdbook;
pub mod output;
pub mod parse;
pub mod pdf;
pub mod render;
pub mod resolve;
pub mod scaffold;
pub mod serve;
pub mod session;
pub mod theme;
