//! Languages and fonts: Typst's `lang` and `region` from the book's language, the CJK
//! families a language needs, and the font lists of the body and of code.

use super::*;

/// A typst `lang` and `region` from a book language like `ja`, `zh-CN`, `pt_BR`.
pub fn lang_region(language: &str) -> (String, Option<String>) {
    let mut parts = language.split(['-', '_']);
    let lang = parts.next().unwrap_or("en").to_ascii_lowercase();
    let lang = if (2..=3).contains(&lang.len()) && lang.chars().all(|c| c.is_ascii_alphabetic()) {
        lang
    } else {
        "en".to_string()
    };
    let region = parts
        .next()
        .filter(|r| r.len() == 2 && r.chars().all(|c| c.is_ascii_alphabetic()))
        .map(|r| r.to_ascii_uppercase());
    (lang, region)
}

/// The CJK font families (serif, sans) that suit a language, if it needs them.
pub fn cjk_families(language: &str) -> Option<(&'static str, &'static str)> {
    let (lang, region) = lang_region(language);
    match lang.as_str() {
        "ja" => Some(("Noto Serif CJK JP", "Noto Sans CJK JP")),
        "ko" => Some(("Noto Serif CJK KR", "Noto Sans CJK KR")),
        "zh" => match region.as_deref() {
            Some("TW" | "HK" | "MO") => Some(("Noto Serif CJK TC", "Noto Sans CJK TC")),
            _ => Some(("Noto Serif CJK SC", "Noto Sans CJK SC")),
        },
        _ => None,
    }
}

/// The body and code font lists: `[pdf] fonts`, else defaults for the language; only the
/// installed families when `families` is given (Typst warns about the others).
pub fn font_lists(
    ctx: &RenderContext,
    families: Option<&HashSet<String>>,
) -> (Vec<String>, Vec<String>) {
    let language = &ctx.book.config.book.language;
    let cjk = cjk_families(language);
    let body = if ctx.book.config.pdf.fonts.is_empty() {
        let mut v = vec!["Libertinus Serif".to_string()];
        v.push(cjk.map_or("Noto Serif CJK JP", |c| c.0).to_string());
        v
    } else {
        ctx.book.config.pdf.fonts.clone()
    };
    let mut code = vec!["DejaVu Sans Mono".to_string()];
    code.push(cjk.map_or("Noto Sans CJK JP", |c| c.1).to_string());
    let keep = |list: Vec<String>| -> Vec<String> {
        match families {
            Some(f) => list
                .into_iter()
                .filter(|name| f.contains(&name.to_lowercase()))
                .collect(),
            None => list,
        }
    };
    (keep(body), keep(code))
}
