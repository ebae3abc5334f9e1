//! Roles (`` :name:`argument` ``): which names exist, and how their arguments read.

/// The roles of the dialect.
pub const KNOWN: &[&str] = &[
    "label",
    "eqlabel",
    "numref",
    "ref",
    "eqref",
    "cite",
    "citet",
    "citep",
    "bibliography",
    "width",
    "height",
    "begin_tab",
];

/// If `text` ends with `:name:`, the byte index where that role name starts and the name.
pub fn trailing_role_name(text: &str) -> Option<(usize, &str)> {
    let body = text.strip_suffix(':')?;
    let start = body.rfind(':')?;
    let name = &body[start + 1..];
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit());
    valid.then_some((start, name))
}

/// Whether `label` can be a label: any text without whitespace, as Sphinx accepts
/// (`eq_sgd-xt+1-xstar`); the backends encode it into their anchors.
pub fn is_valid_label(label: &str) -> bool {
    !label.is_empty() && !label.chars().any(char::is_whitespace)
}

/// Cite keys: comma-separated; keys may hold `*` and `/` too.
pub fn cite_keys(arg: &str) -> Vec<String> {
    arg.split(',')
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .collect()
}

/// `:numref:`Fig. %s <fig_x>`` → (Some("Fig. %s"), "fig_x"); `fig_x` → (None, "fig_x").
pub fn split_explicit_title(arg: &str) -> (Option<String>, String) {
    let arg = arg.trim();
    if let Some(body) = arg.strip_suffix('>') {
        if let Some(open) = body.rfind('<') {
            let title = body[..open].trim();
            if !title.is_empty() {
                return (Some(title.to_string()), body[open + 1..].trim().to_string());
            }
        }
    }
    (None, arg.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_role_names_after_cjk_text() {
        assert_eq!(trailing_role_name("これは:numref:"), Some((9, "numref")));
        assert_eq!(trailing_role_name("plain text:"), None);
        assert_eq!(trailing_role_name("::"), None);
    }

    #[test]
    fn explicit_titles() {
        assert_eq!(
            split_explicit_title("Fig. %s <fig_x>"),
            (Some("Fig. %s".into()), "fig_x".into())
        );
        assert_eq!(split_explicit_title("fig_x"), (None, "fig_x".into()));
    }

    #[test]
    fn labels_and_keys() {
        assert!(is_valid_label("sec_a.b:c-1"));
        assert!(is_valid_label("eq_sgd-xt+1-xstar"));
        assert!(is_valid_label("图_1%\"<x>"));
        assert!(!is_valid_label("a b"));
        assert!(!is_valid_label("a\tb"));
        assert_eq!(cite_keys("a*1,10.1/x"), vec!["a*1", "10.1/x"]);
    }
}
