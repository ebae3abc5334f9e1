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
