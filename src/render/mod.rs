//! Backends: the resolved book (`RenderContext`) to HTML pages (`html`, `site`), to
//! Typst markup (`typst`, compiled by `pdf`) and to Jupyter notebooks (`ipynb`). They read the IR and the resolution and
//! decide only how things look; neither backend imports the other.

use crate::book::Book;
use crate::doc::Doc;
use crate::i18n::Words;
use crate::resolve::Resolution;

pub mod escape;
pub mod highlight;
pub mod html;
pub mod ipynb;
pub mod math;
mod math_font;
mod mathml;
pub mod search;
pub mod site;
mod tex_macros;
pub mod typst;

/// The resolved book, read-only: what every backend renders from. Each backend decides
/// only how things look (the site adds its pre-rendered math, see `html::Site`).
pub struct RenderContext<'a> {
    pub book: &'a Book,
    pub docs: &'a [Doc],
    pub resolution: &'a Resolution,
    pub words: &'a Words,
}

/// The line over a tensor that both the site and the PDF show: `Tensor[3, 4] f32`, and the
/// device when it is not the CPU.
fn tensor_caption(t: &crate::doc::Tensor) -> String {
    let dims: Vec<String> = t.shape.iter().map(|d| d.to_string()).collect();
    let mut caption = format!("Tensor[{}] {}", dims.join(", "), t.dtype);
    if let Some(device) = &t.device {
        caption.push(' ');
        caption.push_str(device);
    }
    caption
}
