//! Source files → the IR. Markdown sections go through `markdown`, notebooks through
//! `notebook`; roles, cell marks and `eval_rst` blocks have modules of their own.

mod cells;
mod markdown;
mod notebook;
mod roles;
mod rst;

pub use markdown::{parse as parse_markdown, toc_blocks};
pub use notebook::parse as parse_notebook;
