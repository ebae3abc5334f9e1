//! `:begin_tab:` and `:end_tab:` lines, found before Markdown reads the text (as the
//! Python d2lbook splits tabs on lines): a mark on a line of its own ends whatever list
//! item or paragraph comes before it, where Markdown would read it as a continuation line.

use std::ops::Range;

/// A tab mark on a line of its own.
pub(super) struct TabLine {
    /// The whole line, with its line break: the text between marks is parsed apart.
    pub line: Range<usize>,
    /// The mark itself, for its span.
    pub mark: Range<usize>,
    /// The tab names of `:begin_tab:`; `None` for `:end_tab:`.
    pub names: Option<Vec<String>>,
}

/// The tab marks of `text` that stand alone on their lines, outside fenced code.
pub(super) fn tab_lines(text: &str) -> Vec<TabLine> {
    let mut out = Vec::new();
    // The open code fence: its character and length.
    let mut fence: Option<(char, usize)> = None;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let range = start..start + line.len();
        start = range.end;
        let trimmed = line.trim();
        let indent = line.len() - line.trim_start().len();
        let run = |c: char| trimmed.chars().take_while(|&x| x == c).count();
        if let Some((c, n)) = fence {
            if run(c) >= n && trimmed.trim_start_matches(c).is_empty() {
                fence = None;
            }
            continue;
        }
        // A backtick fence's info string holds no backtick (```x``` is a code span).
        let opens =
            |c: char| run(c) >= 3 && (c == '~' || !trimmed.trim_start_matches(c).contains(c));
        if let Some(c) = ['`', '~'].into_iter().find(|&c| opens(c)) {
            fence = Some((c, run(c)));
            continue;
        }
        let mark = range.start + indent..range.start + indent + trimmed.len();
        if trimmed == ":end_tab:" {
            out.push(TabLine {
                line: range,
                mark,
                names: None,
            });
        } else if let Some(arg) = trimmed
            .strip_prefix(":begin_tab:`")
            .and_then(|rest| rest.strip_suffix('`'))
            .filter(|arg| !arg.contains('`'))
        {
            out.push(TabLine {
                line: range,
                mark,
                names: Some(super::roles::cite_keys(arg)),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_on_their_own_lines_outside_code() {
        let text =
            "```a```\n:begin_tab:`x, y`\n- b\n  :end_tab:\r\n```\n:end_tab:\n```\ntext :end_tab:\n";
        let marks: Vec<_> = tab_lines(text)
            .into_iter()
            .map(|m| (&text[m.line], &text[m.mark], m.names))
            .collect();
        assert_eq!(
            marks,
            [
                (
                    ":begin_tab:`x, y`\n",
                    ":begin_tab:`x, y`",
                    Some(vec!["x".to_string(), "y".to_string()])
                ),
                ("  :end_tab:\r\n", ":end_tab:", None),
            ]
        );
    }
}
