//! `d2lbook build linkcheck`: reads the built site and checks that every link, anchor
//! (`#id`), image, script and stylesheet of its pages points at something the site has.
//! A broken one is reported at the line of the section's source that holds it, when it
//! is found there (a link of the template or the theme is reported on its page).
//!
//! It reads the site as written, not the book's IR: what a reader follows is the HTML,
//! whatever made it (Markdown, raw HTML, the template, `[html] header_links`). Links to
//! other sites are checked only when asked (`external`): CI machines may be offline.

use crate::book::Book;
use crate::diag::Diagnostic;
use crate::doc::span_of;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

pub mod external;

/// What a check counted.
pub struct Checked {
    /// References to the site's own files and anchors.
    pub links: usize,
    /// With `external`: the distinct http(s) links, and how many were asked rather than
    /// taken from the cache.
    pub external: Option<(usize, usize)>,
}

/// What a page of the site holds: the ids its anchors can point at, and its references
/// (the values of its `href` and `src` attributes).
struct Page {
    ids: HashSet<String>,
    refs: Vec<String>,
}

/// Checks the site in `site_dir` (a built `<output_dir>/html`) of `book`: one error per
/// broken reference. With `external` (the cache file), http(s) links are asked for too.
pub fn check(book: &Book, site_dir: &Path, external: Option<&Path>) -> (Vec<Diagnostic>, Checked) {
    let mut files: HashSet<String> = HashSet::new();
    let mut pages: HashMap<String, Page> = HashMap::new();
    for entry in walkdir::WalkDir::new(site_dir).into_iter().flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(site_dir) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if rel.ends_with(".html") {
            if let Ok(html) = std::fs::read_to_string(entry.path()) {
                pages.insert(rel.clone(), read_page(&html));
            }
        }
        files.insert(rel);
    }
    // Root-relative links (the 404 page's) start with the path of `[html] site_url`.
    let site_path = book.config.html.site_path();

    let mut diags = Vec::new();
    let mut checked = 0;
    // Each http(s) URL (without its fragment), and where it is linked from.
    let mut outside: BTreeMap<String, Vec<(&str, &str)>> = BTreeMap::new();
    let mut names: Vec<&String> = pages.keys().collect();
    names.sort();
    for name in names {
        let mut reported: HashSet<&str> = HashSet::new();
        for reference in &pages[name].refs {
            if let Some(url) = web_url(reference) {
                outside.entry(url).or_default().push((name, reference));
                continue;
            }
            let Some((target, fragment)) = target_of(name, reference, &site_path) else {
                continue;
            };
            checked += 1;
            let problem = if !files.contains(&target) {
                Some(format!("'{target}' is not in the site"))
            } else {
                match (fragment, pages.get(&target)) {
                    (Some(id), Some(page)) if !page.ids.contains(&id) => {
                        Some(format!("'{target}' has no anchor '{id}'"))
                    }
                    _ => None,
                }
            };
            if let Some(problem) = problem {
                if reported.insert(reference) {
                    diags.push(located(book, name, reference, problem));
                }
            }
        }
    }
    let mut counted = Checked {
        links: checked,
        external: None,
    };
    if let Some(cache) = external {
        let urls: Vec<String> = outside.keys().cloned().collect();
        let found = external::check(&urls, cache, &external::Limits::default());
        for (url, problem) in &found.problems {
            let Some(problem) = problem else { continue };
            for (page, reference) in &outside[url] {
                diags.push(located(book, page, reference, problem.clone()));
            }
        }
        counted.external = Some((urls.len(), found.asked));
    }
    (diags, counted)
}

/// An http(s) link without its fragment (a server never sees it), or `None`.
fn web_url(reference: &str) -> Option<String> {
    let reference = reference.trim();
    let (scheme, _) = reference.split_once("://")?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return None;
    }
    Some(reference.split('#').next().unwrap_or(reference).to_string())
}

/// The site file and the anchor a reference on page `page` points at; `None` for what
/// is not the site's to check (other sites, `mailto:`, scripts' URLs).
fn target_of(page: &str, reference: &str, site_path: &str) -> Option<(String, Option<String>)> {
    let reference = reference.trim();
    if reference.is_empty()
        || reference.starts_with("//")
        || reference
            .split_once(':')
            .is_some_and(|(scheme, _)| !scheme.contains(['/', '?', '#']))
    {
        return None;
    }
    let (path, fragment) = match reference.split_once('#') {
        Some((p, f)) => (p, Some(decode(f))),
        None => (reference, None),
    };
    let path = path.split('?').next().unwrap_or_default();
    let mut parts: Vec<String> = if path.is_empty() {
        // `#id`: this page.
        return Some((page.to_string(), fragment));
    } else if let Some(absolute) = path.strip_prefix('/') {
        match ("/".to_string() + absolute).strip_prefix(site_path) {
            Some(rest) => rest.split('/').map(decode).collect(),
            // Outside the site's own path: another site on the same host.
            None => return None,
        }
    } else {
        let mut parts: Vec<String> = page.split('/').map(str::to_string).collect();
        parts.pop();
        parts.extend(path.split('/').map(decode));
        parts
    };
    let mut normal: Vec<String> = Vec::new();
    for part in parts.drain(..) {
        match part.as_str() {
            "." | "" => {}
            ".." => {
                // Above the site's root: nothing the site has.
                if normal.pop().is_none() {
                    return Some((path.to_string(), None));
                }
            }
            _ => normal.push(part),
        }
    }
    if path.ends_with('/') || normal.is_empty() {
        normal.push("index.html".into());
    }
    Some((normal.join("/"), fragment))
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// An error about `reference` on `page`, at the line of the section's source that holds
/// it (the reference as written, or its `.md` form for a link to a page).
fn located(book: &Book, page: &str, reference: &str, problem: String) -> Diagnostic {
    let error = Diagnostic::error(format!("broken link '{reference}' on {page}: {problem}"));
    let Some(section) = book.sections.iter().find(|s| s.html == page) else {
        return error;
    };
    let written = |r: &str| {
        let (path, fragment) = r.split_once('#').unwrap_or((r, ""));
        let path = path.strip_suffix(".html").map(|stem| format!("{stem}.md"));
        path.map(|p| {
            if fragment.is_empty() {
                p
            } else {
                format!("{p}#{fragment}")
            }
        })
    };
    let candidates = [Some(reference.to_string()), written(reference)];
    for candidate in candidates.into_iter().flatten() {
        if let Some(at) = section.text.find(&candidate) {
            let span = span_of(&section.text, &section.file, at..at + candidate.len());
            return error.at(&span);
        }
    }
    error.help(format!(
        "the link is not in {}: it comes from the template, the theme or the book's settings",
        section.file
    ))
}

/// The ids and the references (`href`, `src`) of a page, read from its tags; comments,
/// scripts and styles are skipped.
fn read_page(html: &str) -> Page {
    let mut page = Page {
        ids: HashSet::new(),
        refs: Vec::new(),
    };
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        if let Some(after) = rest.strip_prefix("!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        let Some(tag_end) = tag_end(rest) else { break };
        let attributes = &rest[name_end..tag_end];
        for (key, value) in attributes_of(attributes) {
            match key.as_str() {
                "id" => {
                    page.ids.insert(value);
                }
                "name" if name == "a" => {
                    page.ids.insert(value);
                }
                "href" if name != "base" => page.refs.push(value),
                "src" => page.refs.push(value),
                _ => {}
            }
        }
        rest = &rest[tag_end..];
        // A script's or a style's text is not markup.
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            rest = rest
                .to_ascii_lowercase()
                .find(&close)
                .map_or("", |at| &rest[at..]);
        }
    }
    page
}

/// Where a tag that starts at `text` ends (its `>`), outside quoted attribute values.
fn tag_end(text: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The attributes of a tag as (lowercase name, value with the entities we write decoded).
fn attributes_of(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && (chars[i].is_whitespace() || chars[i] == '/') {
            i += 1;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '=' {
            i += 1;
        }
        let key: String = chars[start..i]
            .iter()
            .collect::<String>()
            .to_ascii_lowercase();
        if key.is_empty() {
            break;
        }
        if i < chars.len() && chars[i] == '=' {
            i += 1;
            let value: String = match chars.get(i) {
                Some(&q @ ('"' | '\'')) => {
                    let from = i + 1;
                    i = from;
                    while i < chars.len() && chars[i] != q {
                        i += 1;
                    }
                    let v = chars[from..i.min(chars.len())].iter().collect();
                    i += 1;
                    v
                }
                _ => {
                    let from = i;
                    while i < chars.len() && !chars[i].is_whitespace() {
                        i += 1;
                    }
                    chars[from..i].iter().collect()
                }
            };
            out.push((key, crate::render::escape::unescape(&value)));
        } else {
            out.push((key, String::new()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve_against_the_page_and_the_site_path() {
        let t = |page, r| target_of(page, r, "/book/");
        assert_eq!(
            t("a/b.html", "../c.html#x"),
            Some(("c.html".into(), Some("x".into())))
        );
        assert_eq!(
            t("a/b.html", "#y"),
            Some(("a/b.html".into(), Some("y".into())))
        );
        assert_eq!(t("a/b.html", "./"), Some(("a/index.html".into(), None)));
        assert_eq!(
            t("404.html", "/book/theme/x.css"),
            Some(("theme/x.css".into(), None))
        );
        assert_eq!(t("a.html", "%E5%9B%B3.svg"), Some(("図.svg".into(), None)));
        assert_eq!(
            t("a.html", "../../out.html"),
            Some(("../../out.html".into(), None))
        );
        for other in [
            "https://x.org/",
            "mailto:a@b",
            "//cdn/x.js",
            "/elsewhere/x.html",
            "data:x",
        ] {
            assert_eq!(t("a.html", other), None, "{other}");
        }
    }

    #[test]
    fn pages_are_read_through_quotes_comments_and_scripts() {
        let page = read_page(
            "<p id=\"top\"><a href='x.html#a' title=\"1 > 0\">x</a><!-- <a href=\"gone.html\"> -->\
             <script>if (a<b) { x = \"<img src='no.png'>\"; }</script><img alt=x src=i.svg>\
             <a name=old></a><base href=\"/\">",
        );
        assert_eq!(page.refs, ["x.html#a", "i.svg"]);
        assert!(page.ids.contains("top") && page.ids.contains("old"));
    }
}
