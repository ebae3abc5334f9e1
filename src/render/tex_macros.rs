//! A bound on the macros a formula defines, checked before `mitex` sees it. mitex expands
//! `\newcommand` (and its relatives) in its lexer with no limit, so a recursive macro
//! (`\newcommand{\a}{\a}\a`) never ends and a doubling one (`\newcommand{\a}{\a\a}\a`)
//! eats all memory; KaTeX, on the HTML side, stops at its own limit. This module replays
//! the expansion the way mitex's `MacroEngine` does it, counting tokens, and refuses a
//! formula whose expansion goes past `BUDGET`.

use std::collections::HashMap;

/// Tokens the replayed expansion may read, and hold pending at once. A real formula with
/// macros reads a few thousand.
const BUDGET: usize = 100_000;

/// The commands mitex's lexer treats as macro definitions.
const DEFINERS: &[&str] = &[
    "newcommand",
    "renewcommand",
    "providecommand",
    "DeclareRobustCommand",
    "newenvironment",
    "renewenvironment",
];

#[derive(Clone, PartialEq, Eq)]
enum Tok {
    Cmd(String),
    Param(u8),
    Open,
    Close,
    Char(char),
}

struct Def {
    args: usize,
    /// The default of an optional first argument, if it has one.
    optional: Option<Vec<Tok>>,
    body: Vec<Tok>,
    /// What `\end{…}` of an environment expands to.
    end: Vec<Tok>,
}

/// `Err` with the reason when the formula's macros would expand past the budget, or define
/// macros in a way this replay does not follow (mitex would then be unbounded too).
pub fn check(tex: &str) -> Result<(), String> {
    if !DEFINERS.iter().any(|d| tex.contains(d)) {
        return Ok(());
    }
    let too_complex = |why: &str| Err(format!("equation too complex to convert: {why}"));
    let mut stack: Vec<Tok> = tokens(tex);
    stack.reverse();
    let mut commands: HashMap<String, Def> = HashMap::new();
    let mut environments: HashMap<String, Def> = HashMap::new();
    let mut steps = 0;
    while let Some(tok) = stack.pop() {
        steps += 1;
        if steps > BUDGET || stack.len() > BUDGET {
            return too_complex(&format!(
                "its macros expand beyond {BUDGET} tokens (a macro that calls itself?)"
            ));
        }
        let Tok::Cmd(name) = tok else { continue };
        let name = name.trim_end_matches('*');
        if DEFINERS.contains(&name) {
            let is_env = name.ends_with("environment");
            let Some((defined, def)) = definition(&mut stack, is_env) else {
                return too_complex("a macro definition this converter cannot follow");
            };
            if is_env {
                environments.insert(defined, def);
            } else {
                commands.insert(defined, def);
            }
        } else if let Some(def) = commands.get(name) {
            let args = arguments(&mut stack, def);
            let expanded = substitute(&def.body, &args);
            stack.extend(expanded.into_iter().rev());
        } else if name == "begin" || name == "end" {
            let Some(env) = group(&mut stack) else {
                continue;
            };
            // A name with commands in it is no environment name, and mitex expands what
            // is inside: put it back to be read like everything else.
            if env.iter().any(|t| matches!(t, Tok::Cmd(_))) {
                stack.push(Tok::Close);
                stack.extend(env.into_iter().rev());
                stack.push(Tok::Open);
                continue;
            }
            let env = text(&env);
            if let Some(def) = environments.get(&env) {
                let expanded = if name == "begin" {
                    let args = arguments(&mut stack, def);
                    substitute(&def.body, &args)
                } else {
                    def.end.clone()
                };
                stack.extend(expanded.into_iter().rev());
            }
        }
    }
    Ok(())
}

/// `{\name}[n][default]{body}` (commands) or `{name}[n][default]{begin}{end}`
/// (environments), as mitex reads them; the definer was just read.
fn definition(stack: &mut Vec<Tok>, is_env: bool) -> Option<(String, Def)> {
    if stack.last() == Some(&Tok::Char('*')) {
        stack.pop();
    }
    let name = group(stack)?;
    let name = match (is_env, name.as_slice()) {
        (true, _) => text(&name),
        (false, [Tok::Cmd(n)]) => n.clone(),
        _ => return None,
    };
    let mut args = 0;
    let mut optional = None;
    if stack.last() == Some(&Tok::Char('[')) {
        let n = text(&bracketed(stack)?);
        args = n.trim().parse::<usize>().ok().filter(|n| *n <= 9)?;
        if stack.last() == Some(&Tok::Char('[')) {
            optional = Some(bracketed(stack)?);
        }
    }
    let body = argument(stack)?;
    let end = if is_env { argument(stack)? } else { Vec::new() };
    Some((
        name,
        Def {
            args,
            optional,
            body,
            end,
        },
    ))
}

/// The arguments of a macro call: an optional `[…]` first, then braced groups or single
/// tokens; missing ones are empty.
fn arguments(stack: &mut Vec<Tok>, def: &Def) -> Vec<Vec<Tok>> {
    let mut args = Vec::with_capacity(def.args);
    for i in 0..def.args {
        let arg = match &def.optional {
            Some(default) if i == 0 => {
                if stack.last() == Some(&Tok::Char('[')) {
                    bracketed(stack)
                } else {
                    Some(default.clone())
                }
            }
            _ => argument(stack),
        };
        args.push(arg.unwrap_or_default());
    }
    args
}

/// A braced group's content, or one token.
fn argument(stack: &mut Vec<Tok>) -> Option<Vec<Tok>> {
    match stack.last()? {
        Tok::Open => group(stack),
        _ => stack.pop().map(|t| vec![t]),
    }
}

/// The content of the braced group at the top of the stack (balanced), consumed.
fn group(stack: &mut Vec<Tok>) -> Option<Vec<Tok>> {
    if stack.last() != Some(&Tok::Open) {
        return None;
    }
    stack.pop();
    let mut depth = 0usize;
    let mut out = Vec::new();
    while let Some(tok) = stack.pop() {
        match tok {
            Tok::Open => depth += 1,
            Tok::Close if depth == 0 => return Some(out),
            Tok::Close => depth -= 1,
            _ => {}
        }
        out.push(tok);
    }
    Some(out)
}

/// The content of the `[…]` at the top of the stack, consumed.
fn bracketed(stack: &mut Vec<Tok>) -> Option<Vec<Tok>> {
    stack.pop();
    let mut depth = 0usize;
    let mut out = Vec::new();
    while let Some(tok) = stack.pop() {
        match tok {
            Tok::Char('[') => depth += 1,
            Tok::Char(']') if depth == 0 => return Some(out),
            Tok::Char(']') => depth -= 1,
            _ => {}
        }
        out.push(tok);
    }
    Some(out)
}

fn substitute(body: &[Tok], args: &[Vec<Tok>]) -> Vec<Tok> {
    let mut out = Vec::with_capacity(body.len());
    for tok in body {
        match tok {
            Tok::Param(n) => {
                if let Some(arg) = args.get(usize::from(*n).wrapping_sub(1)) {
                    out.extend(arg.iter().cloned());
                }
            }
            t => out.push(t.clone()),
        }
    }
    out
}

fn text(toks: &[Tok]) -> String {
    toks.iter()
        .map(|t| match t {
            Tok::Char(c) => c.to_string(),
            Tok::Cmd(n) => format!("\\{n}"),
            Tok::Param(n) => format!("#{n}"),
            Tok::Open => "{".into(),
            Tok::Close => "}".into(),
        })
        .collect()
}

/// TeX tokens, without white space (it does not change how far macros expand).
fn tokens(tex: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = tex.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let mut name = String::new();
                while let Some(&l) = chars.peek().filter(|l| l.is_ascii_alphabetic()) {
                    name.push(l);
                    chars.next();
                }
                if name.is_empty() {
                    if let Some(other) = chars.next() {
                        name.push(other);
                    }
                } else if chars.peek() == Some(&'*') {
                    chars.next();
                    name.push('*');
                }
                out.push(Tok::Cmd(name));
            }
            '#' => match chars.peek().and_then(|d| d.to_digit(10)) {
                Some(d) => {
                    chars.next();
                    out.push(Tok::Param(d as u8));
                }
                None => out.push(Tok::Char('#')),
            },
            '{' => out.push(Tok::Open),
            '}' => out.push(Tok::Close),
            c if c.is_whitespace() => {}
            c => out.push(Tok::Char(c)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn recursive_and_exploding_macros_are_refused() {
        assert!(check(r"\newcommand{\a}{\a}\a").is_err());
        assert!(check(r"\newcommand{\a}{\a\a}\a").is_err());
        assert!(check(r"\newcommand{\a}[1]{#1#1}\a{\a{\a{\a{\a{\a{\a{\a{\a{\a{\a{\a{\a{\a{\a{\a{\a{x}}}}}}}}}}}}}}}}}").is_err());
        assert!(check(r"\newenvironment{e}{\begin{e}}{}\begin{e}x\end{e}").is_err());
        // Definitions hidden in an environment's name, as the fuzzer found them.
        assert!(check(r"\begin{aligned}x\end{aligned\newcommand{\a}{\a\a}\a}").is_err());
        assert!(check(r"\begin{\newcommand{\a}{\a}\a}").is_err());
    }

    #[test]
    fn ordinary_macros_pass() {
        assert!(check(r"\newcommand{\abs}[1]{\left|#1\right|} \abs{x} + \abs{\abs{y}}").is_ok());
        assert!(check(r"\renewcommand*{\v}[2][1]{#1_#2} \v{x} \v[2]{y}").is_ok());
        assert!(check(r"x^2 + \frac{1}{2}").is_ok());
    }
}
