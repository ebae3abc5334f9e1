//! HTML escaping: the one function every piece of text passes through on its way into a
//! page (element content and attribute values alike), kept apart so that nothing outside
//! the HTML backend needs to know about HTML; and its inverse, for the HTML that comes
//! back as data (KaTeX's MathML, a cell's HTML output, the built pages linkcheck reads).

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

/// `text` with character references decoded: the ones `escape` writes, `&apos;`,
/// `&nbsp;` and numeric ones (`&#955;`, `&#x3bb;`). Anything else stays as written.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.get(1..).and_then(|after| {
            let (name, _) = after.split_once(';')?;
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => '\u{a0}',
                _ => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, name.len() + 2))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::{escape, unescape};

    #[test]
    fn unescape_inverts_escape_and_reads_numeric_references() {
        let text = "a < b & \"c\" > 'd' — 日本";
        assert_eq!(unescape(&escape(text)), text);
        assert_eq!(unescape("&#955;&#x3BB;&#X3bb;&nbsp;&apos;"), "λλλ\u{a0}'");
    }

    #[test]
    fn what_is_no_reference_stays_as_written() {
        for text in [
            "AT&T; x",
            "& ;",
            "&;",
            "&#;",
            "&#x;",
            "&#xD800;",
            "&#99999999999;",
            "&unknown;",
            "tail &",
            "&amp",
        ] {
            assert_eq!(unescape(text), text, "{text}");
        }
    }
}
