//! mdBook's text directives, expanded in a chapter's text before it is parsed:
//! `{{#include file}}` (with a line range `file:10:20`, `file:10:`, `file::20`, `file:10`,
//! or an anchor `file:name` between `ANCHOR: name` and `ANCHOR_END: name` lines),
//! `{{#rustdoc_include …}}` (the lines outside the range or anchor kept as `# `-hidden
//! lines), `{{#playground file}}` (the file as a Rust block) and `{{#title …}}` (the
//! page's title). `\{{#…}}` is left as written, without the backslash. Paths are relative
//! to the file that holds the directive, and every file is read through the fence.
//!
//! The expanded text comes with a `LineMap`: for each of its lines, the file and line it
//! came from, so that diagnostics point into the chapter or the included file.

use crate::book::normalize;
use crate::diag::Diagnostic;
use crate::doc::Span;
use crate::fence::{Fence, Refused};
use std::path::Path;
use std::sync::Arc;

/// How deep includes may nest (as in mdBook): deeper ones are an error, not a loop.
const MAX_DEPTH: usize = 10;

/// For each line of an expanded text (0-based), the file it came from (as diagnostics
/// show it) and its 0-based line there.
#[derive(Debug, Default)]
pub struct LineMap {
    files: Vec<Arc<str>>,
    lines: Vec<(u32, u32)>,
}

impl LineMap {
    /// Moves a span in the expanded text to where its line came from.
    pub fn map(&self, span: &mut Span) {
        if let Some(&(file, line)) = span.line.checked_sub(1).and_then(|l| self.lines.get(l)) {
            span.file = self.files[file as usize].clone();
            span.line = line as usize + 1;
        }
    }
}

/// A chapter's text with its directives expanded.
pub struct Expanded {
    pub text: String,
    /// `None` when nothing was included (the text is the file's).
    pub map: Option<LineMap>,
    /// The `{{#title …}}` of the chapter.
    pub title: Option<String>,
    pub diags: Vec<Diagnostic>,
}

/// Expands the directives of `text`, the file at `file` (its path from the book `root`).
pub fn expand(text: &str, file: &str, root: &Path, fence: &Fence) -> Expanded {
    let mut x = Expander {
        chapter: file.into(),
        root,
        fence,
        out: String::with_capacity(text.len()),
        map: LineMap::default(),
        at_line_start: true,
        included: false,
        title: None,
        diags: Vec::new(),
    };
    let lines: Vec<(usize, &str, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i, "", line))
        .collect();
    x.lines(file, &lines, text.ends_with('\n'), 0);
    Expanded {
        map: x.included.then_some(x.map),
        text: x.out,
        title: x.title,
        diags: x.diags,
    }
}

struct Expander<'a> {
    /// The chapter's file: diagnostics point into its expanded text, like the parser's.
    chapter: Arc<str>,
    root: &'a Path,
    fence: &'a Fence,
    out: String,
    map: LineMap,
    at_line_start: bool,
    /// Whether any file was included (else no map is needed).
    included: bool,
    title: Option<String>,
    diags: Vec<Diagnostic>,
}

/// A directive found in a line.
struct Directive<'t> {
    /// Byte range in the line, braces included.
    range: std::ops::Range<usize>,
    kind: &'t str,
    args: &'t str,
}

/// The next `{{#kind args}}` in `line` from byte `from`, or an escaped `\{{#…}}` (kind
/// empty, to be written without its backslash).
fn find_directive(line: &str, from: usize) -> Option<Directive<'_>> {
    let mut search = from;
    while let Some(found) = line[search..].find("{{") {
        let start = search + found;
        let rest = &line[start + 2..];
        let close = rest.find("}}")?;
        let inner = &rest[..close];
        let end = start + 2 + close + 2;
        if start > 0 && line.as_bytes()[start - 1] == b'\\' && inner.starts_with('#') {
            return Some(Directive {
                range: start - 1..end,
                kind: "",
                args: "",
            });
        }
        if let Some(body) = inner.trim_start().strip_prefix('#') {
            let kind_len = body
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(body.len());
            let (kind, args) = body.split_at(kind_len);
            if !kind.is_empty() && !inner.contains('{') {
                return Some(Directive {
                    range: start..end,
                    kind,
                    args: args.trim(),
                });
            }
        }
        search = start + 2;
    }
    None
}

impl Expander<'_> {
    /// Appends text of one line of `file` (0-based `line`); no line ends inside.
    fn write(&mut self, text: &str, file: &str, line: usize) {
        if text.is_empty() {
            return;
        }
        self.origin(file, line);
        self.out.push_str(text);
    }

    fn newline(&mut self, file: &str, line: usize) {
        self.origin(file, line);
        self.out.push('\n');
        self.at_line_start = true;
    }

    /// Records where the output line now starting comes from.
    fn origin(&mut self, file: &str, line: usize) {
        if !self.at_line_start {
            return;
        }
        self.at_line_start = false;
        let index = match self.map.files.iter().position(|f| &**f == file) {
            Some(i) => i,
            None => {
                self.map.files.push(file.into());
                self.map.files.len() - 1
            }
        };
        self.map.lines.push((index as u32, line as u32));
    }

    /// `span` (in a line of `file` being expanded) as a span of the expanded text, which
    /// the line map takes back to `file` (as it does the parser's spans).
    fn at_output(&mut self, span: &Span, file: &str) -> Span {
        self.origin(file, span.line - 1);
        Span {
            file: self.chapter.clone(),
            line: self.map.lines.len(),
            ..span.clone()
        }
    }

    /// Writes `lines` of `file` (each: its 0-based line there, a prefix, the text),
    /// separated by line ends (and one after the last if `trailing`), expanding the
    /// directives in them.
    fn lines(&mut self, file: &str, lines: &[(usize, &str, &str)], trailing: bool, depth: usize) {
        for (k, &(n, prefix, line)) in lines.iter().enumerate() {
            self.write(prefix, file, n);
            let mut from = 0;
            while let Some(d) = find_directive(line, from) {
                self.write(&line[from..d.range.start], file, n);
                let span = Span {
                    file: file.into(),
                    line: n + 1,
                    col: line[..d.range.start].chars().count() + 1,
                    len: line[d.range.clone()].chars().count(),
                };
                self.directive(&d, &line[d.range.clone()], file, n, &span, depth);
                from = d.range.end;
            }
            self.write(&line[from..], file, n);
            if trailing || k + 1 < lines.len() {
                self.newline(file, n);
            }
        }
    }

    fn directive(
        &mut self,
        d: &Directive,
        written: &str,
        file: &str,
        line: usize,
        span: &Span,
        depth: usize,
    ) {
        match d.kind {
            "" => self.write(&written[1..], file, line),
            "title" => self.title = Some(d.args.to_string()),
            "include" | "rustdoc_include" | "playground" => {
                if let Err((message, help)) = self.include(d, file, span, depth) {
                    let at = self.at_output(span, file);
                    self.diags
                        .push(Diagnostic::error(message).at(&at).help(help));
                }
            }
            // Not a directive of mdBook's: left as written.
            _ => self.write(written, file, line),
        }
    }

    /// Writes what a directive includes; else the error's message and help.
    fn include(
        &mut self,
        d: &Directive,
        file: &str,
        span: &Span,
        depth: usize,
    ) -> Result<(), (String, &'static str)> {
        if depth >= MAX_DEPTH {
            return Err((
                format!("includes nest deeper than {MAX_DEPTH} levels; not included"),
                "an included file includes itself, directly or through others?",
            ));
        }
        let mut words = d.args.split_whitespace();
        let target = words.next().unwrap_or("");
        let (path, selector) = match target.split_once(':') {
            Some((path, selector)) => (path, Some(selector)),
            None => (target, None),
        };
        if path.is_empty() || Path::new(path).is_absolute() {
            return Err((
                format!("`{{{{#{}}}}}` needs a path relative to this file", d.kind),
                "write `{{#include listings/main.rs}}`, optionally with `:10:20` or `:anchor`",
            ));
        }
        let dir = Path::new(file).parent().unwrap_or(Path::new(""));
        let shown = normalize(&dir.join(path));
        let text = match self.fence.read_to_string(&self.root.join(&shown)) {
            Ok(text) => text,
            Err(Refused::Missing(_)) => {
                return Err((
                    format!("cannot include {shown}: no such file"),
                    "the path is relative to the file that holds the directive",
                ))
            }
            Err(why) => {
                return Err((
                    format!("cannot include {shown}: {why}"),
                    "a book includes only files inside it",
                ))
            }
        };
        let all: Vec<&str> = text.lines().collect();
        let hide_rest = d.kind == "rustdoc_include";
        let selected = select(&all, selector, hide_rest).map_err(|anchor| {
            (
                format!("{shown} has no anchor '{anchor}'"),
                "an anchor is the lines between `ANCHOR: name` and `ANCHOR_END: name`",
            )
        })?;
        self.included = true;
        let file_line = span.line - 1;
        if d.kind == "playground" {
            let attrs: Vec<&str> = words.collect();
            let info = std::iter::once("rust").chain(attrs).collect::<Vec<_>>();
            self.write(&format!("```{}", info.join(",")), file, file_line);
            self.newline(file, file_line);
            self.lines(&shown, &selected, true, depth + 1);
            self.write("```", file, file_line);
            self.newline(file, file_line);
        } else {
            self.lines(&shown, &selected, false, depth + 1);
        }
        Ok(())
    }
}

/// The lines an include takes (0-based line, prefix, text): by range or anchor; lines of
/// anchor marks are left out. With `hide_rest`, the other lines are kept with a `# `
/// prefix (hidden in Rust blocks). `Err` names an anchor that is not there.
fn select<'t>(
    lines: &[&'t str],
    selector: Option<&'t str>,
    hide_rest: bool,
) -> Result<Vec<(usize, &'static str, &'t str)>, &'t str> {
    let wanted: Box<dyn Fn(usize) -> bool> = match parse_selector(selector) {
        Selector::Range(start, end) => Box::new(move |i| i >= start && end.is_none_or(|e| i < e)),
        Selector::Anchor(name) => {
            let mut inside = vec![false; lines.len()];
            let mut open = false;
            let mut found = false;
            for (i, line) in lines.iter().enumerate() {
                if anchor_mark(line, "ANCHOR_END:") == Some(name) {
                    open = false;
                } else if anchor_mark(line, "ANCHOR:") == Some(name) {
                    open = true;
                    found = true;
                } else {
                    inside[i] = open;
                }
            }
            if !found {
                return Err(name);
            }
            Box::new(move |i| inside[i])
        }
    };
    Ok(lines
        .iter()
        .enumerate()
        .filter(|(_, line)| {
            anchor_mark(line, "ANCHOR:").is_none() && anchor_mark(line, "ANCHOR_END:").is_none()
        })
        .filter_map(|(i, line)| match (wanted(i), hide_rest) {
            (true, _) => Some((i, "", *line)),
            (false, true) => Some((i, "# ", *line)),
            (false, false) => None,
        })
        .collect())
}

enum Selector<'t> {
    /// 0-based first line and end (exclusive).
    Range(usize, Option<usize>),
    Anchor(&'t str),
}

/// mdBook's reading of what follows the path: `10:20` (lines 10 to 20), `10:` (10 to the
/// end), `:20` (to 20), `10` (line 10 only), a name (an anchor); nothing: every line.
fn parse_selector(selector: Option<&str>) -> Selector<'_> {
    let Some(selector) = selector else {
        return Selector::Range(0, None);
    };
    let mut parts = selector.splitn(2, ':');
    let first = parts.next().unwrap_or("");
    let start = match first.parse::<usize>() {
        Ok(n) => Some(n.saturating_sub(1)),
        Err(_) if first.is_empty() => None,
        Err(_) => return Selector::Anchor(first),
    };
    let end = parts.next().map(str::parse::<usize>);
    match (start, end) {
        (Some(s), Some(Ok(e))) => Selector::Range(s, Some(e)),
        (Some(s), Some(Err(_))) => Selector::Range(s, None),
        (Some(s), None) => Selector::Range(s, Some(s + 1)),
        (None, Some(Ok(e))) => Selector::Range(0, Some(e)),
        (None, _) => Selector::Range(0, None),
    }
}

/// The anchor name of an `ANCHOR: name` (or `ANCHOR_END: name`) line, wherever the mark
/// sits in the line (usually in a comment).
fn anchor_mark<'t>(line: &'t str, mark: &str) -> Option<&'t str> {
    let at = line.find(mark)?;
    // `ANCHOR:` must not match inside `ANCHOR_END:`.
    if mark == "ANCHOR:" && line[..at].ends_with('_') {
        return None;
    }
    let rest = line[at + mark.len()..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(files: &[(&str, &str)]) -> std::path::PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "d2lbook-include-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        root
    }

    const LISTING: &str = "// ANCHOR: all\nuse std::io;\n// ANCHOR: main\nfn main() {\n    println!(\"hi\");\n}\n// ANCHOR_END: main\n// ANCHOR_END: all\n";

    fn run(chapter: &str) -> (Expanded, std::path::PathBuf) {
        let root = book(&[("src/ch.md", chapter), ("src/l/main.rs", LISTING)]);
        let fence = Fence::new(&root, &[]);
        (expand(chapter, "src/ch.md", &root, &fence), root)
    }

    #[test]
    fn ranges_and_anchors() {
        let cases = [
            ("l/main.rs:main", "fn main() {\n    println!(\"hi\");\n}"),
            ("l/main.rs:4:5", "fn main() {\n    println!(\"hi\");"),
            ("l/main.rs:4", "fn main() {"),
            ("l/main.rs:5:", "    println!(\"hi\");\n}"),
            ("l/main.rs::2", "use std::io;"),
            (
                "l/main.rs",
                "use std::io;\nfn main() {\n    println!(\"hi\");\n}",
            ),
        ];
        for (arg, want) in cases {
            let (x, root) = run(&format!("```rust\n{{{{#include {arg}}}}}\n```\n"));
            assert!(x.diags.is_empty(), "{arg}: {:?}", x.diags);
            assert_eq!(x.text, format!("```rust\n{want}\n```\n"), "{arg}");
            let _ = std::fs::remove_dir_all(root);
        }
    }

    #[test]
    fn rustdoc_include_hides_the_rest_and_title_and_escapes() {
        let (x, root) =
            run("{{#title Custom}}\n\\{{#include x}}\n{{#rustdoc_include l/main.rs:main}}\n");
        assert_eq!(x.title.as_deref(), Some("Custom"));
        assert_eq!(
            x.text,
            "\n{{#include x}}\n# use std::io;\nfn main() {\n    println!(\"hi\");\n}\n"
        );
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn lines_map_back_to_their_files() {
        let (x, root) =
            run("# T\n\n```rust\n{{#include l/main.rs:main}}\n```\n\nafter :numref:`x`\n");
        let map = x.map.unwrap();
        let at = |line| {
            let mut span = Span {
                file: "src/ch.md".into(),
                line,
                col: 1,
                len: 1,
            };
            map.map(&mut span);
            (span.file.to_string(), span.line)
        };
        assert_eq!(at(3), ("src/ch.md".into(), 3));
        assert_eq!(at(4), ("src/l/main.rs".into(), 4));
        assert_eq!(at(6), ("src/l/main.rs".into(), 6));
        assert_eq!(at(7), ("src/ch.md".into(), 5));
        assert_eq!(at(9), ("src/ch.md".into(), 7));
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn missing_files_anchors_and_escapes_are_located_errors() {
        let (x, root) = run("a\n{{#include l/main.rs}}\n  {{#include nope.rs}}\n{{#include l/main.rs:nope}}\n{{#include ../../../../etc/hostname}}\n");
        let map = x.map.unwrap();
        let found: Vec<(String, String, usize, usize)> = x
            .diags
            .iter()
            .map(|d| {
                let mut s = d.span.clone().unwrap();
                map.map(&mut s);
                (d.message.clone(), s.file.to_string(), s.line, s.col)
            })
            .collect();
        assert!(
            found[0].0.contains("src/nope.rs: no such file"),
            "{found:?}"
        );
        assert_eq!(&found[0].1[..], "src/ch.md");
        assert_eq!((found[0].2, found[0].3), (3, 3));
        assert!(found[1].0.contains("no anchor 'nope'"), "{found:?}");
        assert_eq!(found[1].2, 4);
        assert!(found[2].0.contains("cannot include"), "{found:?}");
        assert_eq!(found[2].2, 5);
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn errors_in_included_files_point_there() {
        let root = book(&[
            ("src/a.md", "{{#include b.md}}\n"),
            ("src/b.md", "one\ntwo {{#include c.md}}\n"),
        ]);
        let fence = Fence::new(&root, &[]);
        let x = expand("{{#include b.md}}\n", "src/a.md", &root, &fence);
        let mut span = x.diags[0].span.clone().unwrap();
        x.map.unwrap().map(&mut span);
        assert_eq!((&span.file[..], span.line, span.col), ("src/b.md", 2, 5));
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn odd_directives_never_panic() {
        let (x, root) = run("");
        let fence = Fence::new(&root, &[]);
        for text in [
            "{{",
            "{{#",
            "{{#}}",
            "\\{{#x}}",
            "\\{{",
            "{{#include :}}",
            "{{#include l/main.rs:b:c:d}}",
            "{{#include l/main.rs:20:10}}",
            "{{#include l/main.rs:99999999999999999999999}}",
            "é{{#include é}}é",
            "{{#title}}",
            "{{ #include l/main.rs }}{{#x y}}",
            "{{#include /etc/hostname}}",
            "{{#playground l/main.rs editable}}",
            "a\r\n{{#include l/main.rs::1}}\r\n",
            "}}{{#{{#include}}",
        ] {
            let _ = expand(text, "src/ch.md", &root, &fence);
        }
        assert!(x.diags.is_empty());
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn self_inclusion_stops() {
        let root = book(&[("src/a.md", "x {{#include a.md}}\n")]);
        let fence = Fence::new(&root, &[]);
        let x = expand("x {{#include a.md}}\n", "src/a.md", &root, &fence);
        assert_eq!(x.diags.len(), 1);
        assert!(x.diags[0].message.contains("nest deeper"));
        let _ = std::fs::remove_dir_all(root);
    }
}
