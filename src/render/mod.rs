//! Backends: the IR to HTML pages (and later Typst and notebooks). They only read the IR
//! and the resolution; they never go back to the sources.

pub mod escape;
pub mod highlight;
pub mod html;
pub mod math;
mod mathml;
pub mod site;
mod tex_macros;
pub mod typst;
