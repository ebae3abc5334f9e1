//! HTML escaping: the one function every piece of text passes through on its way into a
//! page (element content and attribute values alike), kept apart so that nothing outside
//! the HTML backend needs to know about HTML.

/// `text` with the five characters that are special in HTML content and in quoted
/// attribute values replaced by entities.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
