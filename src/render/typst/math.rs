//! LaTeX math → Typst math through mitex, refused when its macros would not end
//! (`tex_macros`) or when mitex panics, and checked to parse as one equation.

/// LaTeX → Typst math (the inside of `$…$`), checked to parse as exactly one equation so
/// that nothing of it can leak out into the markup around it.
pub fn convert_math(tex: &str, display: bool) -> Result<String, String> {
    // braket's `\set{…}` comes out as `set(…)`, and `set` is a Typst keyword: use `\Set`.
    let tex = &tex.replace("\\set{", "\\Set{");
    // mitex expands macros without a limit: refuse those that would not end.
    crate::render::tex_macros::check(tex)?;
    // Some malformed input panics inside mitex instead of returning an error.
    let converted = quietly(|| mitex::convert_math(tex, None))
        .map_err(|_| "mitex failed on this formula".to_string())?;
    let converted = converted.map_err(|e| e.trim_start_matches("error: ").to_string())?;
    let converted = tighten_bars(&converted);
    // `$ x $` (spaces inside both ends) is a display equation in Typst.
    let body = if display {
        format!(" {} ", converted.trim())
    } else {
        let trimmed = converted.trim_start();
        if trimmed.trim().is_empty() {
            return Err("the formula is empty".into());
        }
        trimmed.to_string()
    };
    let equation = format!("${body}$");
    let root = ::typst::syntax::parse(&equation);
    if root.diagnosis().errors {
        let (errors, _) = root.errors_and_warnings();
        let message = errors
            .first()
            .map(|e| e.message.to_string())
            .unwrap_or_default();
        return Err(format!("the converted formula does not parse: {message}"));
    }
    let nodes: Vec<_> = root.children().collect();
    if nodes.len() != 1 || nodes[0].kind() != ::typst::syntax::SyntaxKind::Equation {
        return Err("the converted formula is not one equation".into());
    }
    Ok(equation)
}

/// Runs `f`, catching a panic without the default hook's message and backtrace: a
/// formula mitex panics on becomes a math warning, and the backtrace of a dependency
/// would only bury it. Panics elsewhere, on any thread, still print as usual.
fn quietly<T>(f: impl FnOnce() -> T + std::panic::UnwindSafe) -> std::thread::Result<T> {
    thread_local!(static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(std::cell::Cell::get) {
                default(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = std::panic::catch_unwind(f);
    QUIET.with(|q| q.set(false));
    result
}

/// Drops whitespace around runs of `|` in mitex's output: Typst keeps a source space next
/// to a fence, so `| x | ` would show as "| x |". A line break `\ ` keeps its space.
fn tighten_bars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '|' {
            out.push(c);
            continue;
        }
        let before = out.len();
        while out.ends_with(char::is_whitespace) {
            out.pop();
        }
        if out.len() != before && out.ends_with('\\') {
            out.push(' ');
        }
        out.push('|');
        while chars.peek() == Some(&'|') {
            out.push('|');
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
    }
    out
}
