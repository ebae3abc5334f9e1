//! Cell outputs that arrive as text of other formats: HTML reduced to its text, and
//! base64 (binary images travel as base64 in text).

/// The text of an HTML fragment: tags dropped, the common entities decoded.
pub(super) fn html_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    let mut tag = String::new();
    for c in html.chars() {
        if in_tag {
            if c == '>' {
                in_tag = false;
                let name = tag
                    .trim_start_matches('/')
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if matches!(name.as_str(), "tr" | "br" | "p" | "div")
                    && !out.ends_with('\n')
                    && !out.is_empty()
                {
                    out.push('\n');
                } else if matches!(name.as_str(), "td" | "th") && tag.starts_with('/') {
                    out.push(' ');
                }
                tag.clear();
            } else {
                tag.push(c);
            }
        } else if c == '<' {
            in_tag = true;
        } else {
            out.push(c);
        }
    }
    super::super::escape::unescape(&out).trim().to_string()
}

/// Standard base64 (as binary outputs travel in text, wrapped at any width); `None` if
/// it is not base64.
pub(super) fn base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let packed: String = text.split_ascii_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(packed)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_wrapped_or_not() {
        assert_eq!(base64("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64("aGVs\nbG8=\n").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64("not base64!"), None);
    }
}
