//! Source files → the IR. Markdown sections go through `markdown`, notebooks through
//! `notebook`; roles, cell marks and `eval_rst` blocks have modules of their own.

mod cells;
mod markdown;
mod notebook;
mod roles;
mod rst;

pub use markdown::{parse as parse_markdown, toc_blocks, MAX_NESTING};
pub use notebook::parse as parse_notebook;

/// A source text as the parsers read it: without a UTF-8 byte order mark (editors on
/// Windows write one; it would hide a first `# Heading`), and with NUL characters
/// replaced by U+FFFD as CommonMark says (a NUL must not reach the HTML or Typst output).
/// Both keep every other character where it was, so spans still match the file, apart
/// from a first line that started with a BOM, whose columns then count from after it.
fn clean_text(text: &str) -> std::borrow::Cow<'_, str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\0') {
        text.replace('\0', "\u{fffd}").into()
    } else {
        text.into()
    }
}
