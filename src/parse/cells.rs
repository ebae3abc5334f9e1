//! Code fences: the `{.lang .input}` info string of cells, and the `//@mark` lines in them.

use crate::doc::CellMarks;

/// The language of a fence and whether it is an input cell: `{.rust .input n=3}` →
/// `("rust", true)`, `python` → `("python", false)`.
pub fn parse_info(info: &str) -> (String, bool) {
    let info = info.trim();
    if let Some(body) = info.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        let classes: Vec<&str> = body
            .split_whitespace()
            .filter_map(|w| w.strip_prefix('.'))
            .collect();
        let is_input = classes.contains(&"input");
        let lang = classes
            .iter()
            .find(|c| **c != "input")
            .copied()
            .unwrap_or("");
        return (lang.to_string(), is_input);
    }
    // mdBook writes attributes after a comma: `rust,ignore`, `rust,edition2021`.
    let lang = info
        .split(|c: char| c.is_whitespace() || c == ',')
        .next()
        .unwrap_or("");
    (lang.to_string(), false)
}

/// A cell's code with its marks removed, the marks, the tabs it belongs to, and for each
/// kept line its 0-based line in the original code.
pub struct CellSource {
    pub code: String,
    pub marks: CellMarks,
    pub tabs: Vec<String>,
    pub kept_lines: Vec<usize>,
    /// Marks that are not part of the dialect: (0-based line, text).
    pub unknown: Vec<(usize, String)>,
}

pub fn strip_marks(code: &str, lang: &str) -> CellSource {
    let comment = if lang == "python" || lang == "r" || lang == "bash" {
        "#@"
    } else {
        "//@"
    };
    let mut out = CellSource {
        code: String::new(),
        marks: CellMarks::default(),
        tabs: Vec::new(),
        kept_lines: Vec::new(),
        unknown: Vec::new(),
    };
    let mut kept: Vec<&str> = Vec::new();
    for (i, line) in code.lines().enumerate() {
        let trimmed = line.trim();
        let mark = trimmed
            .strip_prefix(comment)
            .or_else(|| trimmed.strip_prefix("%%").filter(|m| m.starts_with("tab")));
        if let Some(mark) = mark {
            let (name, arg) = mark.split_once(char::is_whitespace).unwrap_or((mark, ""));
            match name {
                "hide" => {
                    out.marks.hide_code = true;
                    out.marks.hide_output = true;
                }
                "hide_code" => out.marks.hide_code = true,
                "hide_output" => out.marks.hide_output = true,
                "save" => out.marks.save_cell = true,
                "allow_error" => out.marks.allow_error = true,
                "tab" => out.tabs.extend(
                    arg.split(',')
                        .map(|t| t.trim().to_string())
                        .filter(|t| !t.is_empty()),
                ),
                _ => out.unknown.push((i, trimmed.to_string())),
            }
            continue;
        }
        // `fn helper() { //@save`: the item that starts on this line goes to the library.
        let suffix = format!("{comment}save");
        if let Some(body) = line.trim_end().strip_suffix(&suffix) {
            out.marks.save.push(kept.len());
            kept.push(body.trim_end());
            out.kept_lines.push(i);
            continue;
        }
        kept.push(line);
        out.kept_lines.push(i);
    }
    // Lines kept verbatim, without the marks; a trailing newline is not part of the cell.
    out.code = kept.join("\n");
    if lang == "python" && is_tab_setup(&out.code) {
        out.marks.hide_code = true;
        out.marks.hide_output = true;
    }
    out
}

/// Whether a Python cell only sets up the Python d2lbook's tabs (`%load_ext d2lbook.tab`,
/// `tab.interact_select(…)`): the site's tabs need no setup, so readers never see it.
fn is_tab_setup(code: &str) -> bool {
    let mut lines = code
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .peekable();
    lines.peek().is_some()
        && lines.all(|l| l == "%load_ext d2lbook.tab" || l.starts_with("tab.interact_select("))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_strings() {
        assert_eq!(parse_info("{.rust .input}"), ("rust".into(), true));
        assert_eq!(parse_info("{.python .input  n=3}"), ("python".into(), true));
        assert_eq!(parse_info("rust"), ("rust".into(), false));
        assert_eq!(parse_info(""), ("".into(), false));
    }

    #[test]
    fn marks_are_removed_and_recorded() {
        let src = "//@hide_output\n//@tab rust, all\nfn f() { //@save\n}\nf()";
        let cell = strip_marks(src, "rust");
        assert_eq!(cell.code, "fn f() {\n}\nf()");
        assert!(cell.marks.hide_output && !cell.marks.hide_code);
        assert_eq!(cell.marks.save, vec![0]);
        assert_eq!(cell.tabs, vec!["rust", "all"]);
        assert_eq!(cell.kept_lines, vec![2, 3, 4]);
    }

    #[test]
    fn the_python_tab_setup_cell_is_hidden() {
        let setup = "%load_ext d2lbook.tab\ntab.interact_select(['mxnet', 'pytorch'])\n";
        let cell = strip_marks(setup, "python");
        assert!(cell.marks.hide_code && cell.marks.hide_output);
        // A cell that also does something else is shown.
        let cell = strip_marks("%load_ext d2lbook.tab\nimport torch", "python");
        assert!(!cell.marks.hide_code);
        assert!(!strip_marks("", "python").marks.hide_code);
    }

    #[test]
    fn python_marks_and_tab_magic() {
        let cell = strip_marks("%%tab pytorch\n#@hide\nx = 1", "python");
        assert_eq!(cell.code, "x = 1");
        assert!(cell.marks.hide_code && cell.marks.hide_output);
        assert_eq!(cell.tabs, vec!["pytorch"]);
    }
}
