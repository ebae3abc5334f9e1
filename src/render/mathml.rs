//! Post-processing for KaTeX's MathML output. Browsers implement MathML Core,
//! which ignores every `mathvariant` value except `normal`, so `\mathbf{w}`,
//! `\mathbb{R}` or `\mathcal{L}` would render as plain letters. This module
//! rewrites the text of such token elements into Unicode's Mathematical
//! Alphanumeric Symbols (e.g. `𝐰`, `ℝ`, `ℒ`) and drops the attribute. MathML Core
//! also draws a token element's content as text, so a token that KaTeX filled with
//! elements (`\stackrel` gives `<mo><mover>…</mover></mo>`) becomes an `<mrow>`.
//!
//! A second pass, `typeset_like_tex`, spaces the result as TeX would (browsers take
//! an operator's spacing from MathML's dictionary, whatever its neighbours and the
//! style) and irons out where Chromium and Firefox draw the same markup differently.

use std::ops::Range;

/// Replaces `mathvariant` styling with the matching mathematical characters.
///
/// The variant may sit on a token element (`mi`, `mn`, `mo`, `mtext`, `ms`)
/// or on any ancestor (`mstyle`, `mrow`, ...); the nearest one wins, and
/// `normal` (or an unknown value) stops inheritance and is left in place.
/// Characters without a mathematical counterpart, and entities such as
/// `&amp;`, are kept as they are. Input that is not well-formed markup is
/// returned unchanged.
pub fn map_variants(mathml: &str) -> String {
    rewrite(mathml).unwrap_or_else(|| mathml.to_string())
}

/// A `mathvariant` value this module knows how to express in Unicode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Bold,
    Italic,
    BoldItalic,
    Script,
    BoldScript,
    Fraktur,
    DoubleStruck,
    BoldFraktur,
    SansSerif,
    BoldSansSerif,
    SansSerifItalic,
    SansSerifBoldItalic,
    Monospace,
}

impl Variant {
    fn parse(value: &str) -> Option<Self> {
        Some(match value.trim() {
            "bold" => Self::Bold,
            "italic" => Self::Italic,
            "bold-italic" => Self::BoldItalic,
            "script" => Self::Script,
            "bold-script" => Self::BoldScript,
            "fraktur" => Self::Fraktur,
            "double-struck" => Self::DoubleStruck,
            "bold-fraktur" => Self::BoldFraktur,
            "sans-serif" => Self::SansSerif,
            "bold-sans-serif" | "sans-serif-bold" => Self::BoldSansSerif,
            "sans-serif-italic" => Self::SansSerifItalic,
            "sans-serif-bold-italic" => Self::SansSerifBoldItalic,
            "monospace" => Self::Monospace,
            _ => return None,
        })
    }

    fn is_italic(self) -> bool {
        matches!(
            self,
            Self::Italic | Self::BoldItalic | Self::SansSerifItalic | Self::SansSerifBoldItalic
        )
    }

    /// First code points of this style's Latin capitals, digits and Greek
    /// capitals in the U+1D400 block (digits and Greek exist for few styles).
    fn bases(self) -> (u32, Option<u32>, Option<u32>) {
        match self {
            Self::Bold => (0x1D400, Some(0x1D7CE), Some(0x1D6A8)),
            Self::Italic => (0x1D434, None, Some(0x1D6E2)),
            Self::BoldItalic => (0x1D468, None, Some(0x1D71C)),
            Self::Script => (0x1D49C, None, None),
            Self::BoldScript => (0x1D4D0, None, None),
            Self::Fraktur => (0x1D504, None, None),
            Self::DoubleStruck => (0x1D538, Some(0x1D7D8), None),
            Self::BoldFraktur => (0x1D56C, None, None),
            Self::SansSerif => (0x1D5A0, Some(0x1D7E2), None),
            Self::BoldSansSerif => (0x1D5D4, Some(0x1D7EC), Some(0x1D756)),
            Self::SansSerifItalic => (0x1D608, None, None),
            Self::SansSerifBoldItalic => (0x1D63C, None, Some(0x1D790)),
            Self::Monospace => (0x1D670, Some(0x1D7F6), None),
        }
    }

    /// Letters encoded before the block existed: their slots in the block are
    /// reserved and the character lives in Letterlike Symbols instead.
    fn letterlike(self, c: char) -> Option<char> {
        Some(match (self, c) {
            (Self::Italic, 'h') => 'ℎ',
            (Self::Italic, 'ı') => '𝚤',
            (Self::Italic, 'ȷ') => '𝚥',
            (Self::Script, 'B') => 'ℬ',
            (Self::Script, 'E') => 'ℰ',
            (Self::Script, 'F') => 'ℱ',
            (Self::Script, 'H') => 'ℋ',
            (Self::Script, 'I') => 'ℐ',
            (Self::Script, 'L') => 'ℒ',
            (Self::Script, 'M') => 'ℳ',
            (Self::Script, 'R') => 'ℛ',
            (Self::Script, 'e') => 'ℯ',
            (Self::Script, 'g') => 'ℊ',
            (Self::Script, 'o') => 'ℴ',
            (Self::Fraktur, 'C') => 'ℭ',
            (Self::Fraktur, 'H') => 'ℌ',
            (Self::Fraktur, 'I') => 'ℑ',
            (Self::Fraktur, 'R') => 'ℜ',
            (Self::Fraktur, 'Z') => 'ℨ',
            (Self::DoubleStruck, 'C') => 'ℂ',
            (Self::DoubleStruck, 'H') => 'ℍ',
            (Self::DoubleStruck, 'N') => 'ℕ',
            (Self::DoubleStruck, 'P') => 'ℙ',
            (Self::DoubleStruck, 'Q') => 'ℚ',
            (Self::DoubleStruck, 'R') => 'ℝ',
            (Self::DoubleStruck, 'Z') => 'ℤ',
            _ => return None,
        })
    }

    /// The mathematical character for `c` in this style, if Unicode has one.
    fn map(self, c: char) -> Option<char> {
        if let Some(m) = self.letterlike(c) {
            return Some(m);
        }
        let (latin, digits, greek) = self.bases();
        let code = match c {
            'A'..='Z' => latin + (c as u32 - 'A' as u32),
            'a'..='z' => latin + 26 + (c as u32 - 'a' as u32),
            '0'..='9' => digits? + (c as u32 - '0' as u32),
            _ => greek? + greek_offset(c)?,
        };
        char::from_u32(code)
    }
}

/// Position of `c` in the 58-character Greek run each Greek-capable style has:
/// Α–Ρ, ϴ, Σ–Ω, ∇, α–ω, then ∂ ϵ ϑ ϰ ϕ ϱ ϖ.
fn greek_offset(c: char) -> Option<u32> {
    let code = c as u32;
    Some(match c {
        '\u{391}'..='\u{3A1}' => code - 0x391,
        'ϴ' => 17,
        '\u{3A3}'..='\u{3A9}' => code - 0x3A3 + 18,
        '∇' => 25,
        '\u{3B1}'..='\u{3C9}' => code - 0x3B1 + 26,
        '∂' => 51,
        'ϵ' => 52,
        'ϑ' => 53,
        'ϰ' => 54,
        'ϕ' => 55,
        'ϱ' => 56,
        'ϖ' => 57,
        _ => return None,
    })
}

/// An element that is open while scanning.
struct Frame<'a> {
    name: &'a str,
    /// Variant applying to this element's text and its descendants.
    variant: Option<Variant>,
    /// Whether the element is a token element whose text gets mapped.
    token: bool,
    /// Offset in the output of the `>` closing this element's start tag.
    tag_end: usize,
    /// Non-whitespace characters (an entity counts as one) in the text.
    chars: usize,
    /// How many of those were mapped.
    mapped: usize,
    /// Offset in the output of the `<` of this element's start tag.
    start: usize,
    /// A token element with element children (KaTeX's `\\stackrel` writes
    /// `<mo><mover>…</mover></mo>`), which MathML Core would draw as flat text.
    has_child: bool,
}

impl Frame<'_> {
    /// MathML Core renders a single-character `<mi>` without `mathvariant`
    /// through `text-transform: math-auto`, i.e. it swaps the character for
    /// its italic mathematical counterpart. Characters already in the
    /// Mathematical Alphanumeric Symbols block (or letterlike ones such as
    /// `ℝ`) have no entry in that table and are drawn unchanged, so a mapped
    /// `<mi>` needs no attribute. Only when the character had no mapping for
    /// an upright style (say a double-struck `α`) would the browser now
    /// italicise it; `mathvariant="normal"` keeps it upright in that case.
    fn needs_normal(&self) -> bool {
        let upright = self.variant.is_some_and(|v| !v.is_italic());
        local_name(self.name) == "mi" && upright && self.chars == 1 && self.mapped == 0
    }
}

fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn is_token(name: &str) -> bool {
    matches!(local_name(name), "mi" | "mn" | "mo" | "mtext" | "ms")
}

/// The whole rewrite; `None` means the markup is not well formed.
fn rewrite(src: &str) -> Option<String> {
    let mut out = String::with_capacity(src.len() + src.len() / 2);
    let mut stack: Vec<Frame> = Vec::new();
    let mut rest = src;
    loop {
        let text_len = rest.find('<').unwrap_or(rest.len());
        let (text, tail) = rest.split_at(text_len);
        match stack.last_mut() {
            Some(frame) if frame.token => map_text(text, frame, &mut out),
            _ => out.push_str(text),
        }
        if tail.is_empty() {
            break;
        }
        let tag = parse_tag(tail)?;
        rest = &tail[tag.raw.len()..];
        match tag.kind {
            Kind::Other => out.push_str(tag.raw),
            Kind::Close => {
                let frame = stack.pop()?;
                if frame.name != tag.name {
                    return None;
                }
                if frame.token && frame.has_child {
                    // Lay the children out as a row instead.
                    out.replace_range(frame.start + 1..frame.start + 1 + frame.name.len(), "mrow");
                    out.push_str("</mrow>");
                    continue;
                }
                if frame.needs_normal() {
                    out.insert_str(frame.tag_end, " mathvariant=\"normal\"");
                }
                out.push_str(tag.raw);
            }
            Kind::Open | Kind::SelfClosing => {
                if let Some(parent) = stack.last_mut() {
                    parent.has_child = true;
                }
                let start = out.len();
                // An own attribute wins; `normal` or an unknown value stays put.
                let variant = match &tag.variant {
                    Some((value, _)) => Variant::parse(value),
                    None => stack.last().and_then(|frame| frame.variant),
                };
                match (&tag.variant, variant) {
                    (Some((_, span)), Some(_)) => {
                        out.push_str(&tag.raw[..span.start]);
                        out.push_str(&tag.raw[span.end..]);
                    }
                    _ => out.push_str(tag.raw),
                }
                if tag.kind == Kind::Open {
                    stack.push(Frame {
                        name: tag.name,
                        variant,
                        token: is_token(tag.name),
                        tag_end: out.len() - 1,
                        chars: 0,
                        mapped: 0,
                        start,
                        has_child: false,
                    });
                }
            }
        }
    }
    stack.is_empty().then_some(out)
}

/// Writes `text` in the frame's variant, copying entities verbatim.
fn map_text(text: &str, frame: &mut Frame, out: &mut String) {
    let Some(variant) = frame.variant else {
        out.push_str(text);
        return;
    };
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let entity_len = (c == '&').then(|| entity_len(rest)).flatten();
        let len = entity_len.unwrap_or(c.len_utf8());
        let mapped = entity_len.is_none().then(|| variant.map(c)).flatten();
        match mapped {
            Some(m) => out.push(m),
            None => out.push_str(&rest[..len]),
        }
        if !c.is_whitespace() {
            frame.chars += 1;
            frame.mapped += usize::from(mapped.is_some());
        }
        rest = &rest[len..];
    }
}

/// Length of the entity (`&name;`, `&#n;`, `&#xh;`) at the start of `s`.
fn entity_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix('&')?;
    let end = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))?;
    (end > 0 && body[end..].starts_with(';')).then_some(end + 2)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Open,
    Close,
    SelfClosing,
    /// Comment, CDATA section, declaration or processing instruction.
    Other,
}

struct Tag<'a> {
    raw: &'a str,
    name: &'a str,
    kind: Kind,
    /// The `mathvariant` value and the span of `raw` that holds the attribute
    /// together with the whitespace before it.
    variant: Option<(&'a str, Range<usize>)>,
}

/// Parses the tag at the start of `s` (which begins with `<`).
fn parse_tag(s: &str) -> Option<Tag<'_>> {
    let specials = [
        ("<!--", "-->"),
        ("<![CDATA[", "]]>"),
        ("<?", "?>"),
        ("<!", ">"),
    ];
    for (open, close) in specials {
        if let Some(body) = s.strip_prefix(open) {
            let end = open.len() + body.find(close)? + close.len();
            let raw = &s[..end];
            return Some(Tag {
                raw,
                name: "",
                kind: Kind::Other,
                variant: None,
            });
        }
    }
    let b = s.as_bytes();
    let is_delim = |c: u8| c.is_ascii_whitespace() || b"<>/=\"'".contains(&c);
    let skip_space = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    let scan_name = |mut i: usize| {
        while b.get(i).is_some_and(|&c| !is_delim(c)) {
            i += 1;
        }
        i
    };
    let closing = s.starts_with("</");
    let name_start = if closing { 2 } else { 1 };
    let mut i = scan_name(name_start);
    let name = &s[name_start..i];
    if name.is_empty() {
        return None;
    }
    let mut variant = None;
    loop {
        let space = i;
        i = skip_space(i);
        let (kind, end) = match (b.get(i)?, b.get(i + 1)) {
            (b'>', _) if closing => (Kind::Close, i + 1),
            (b'>', _) => (Kind::Open, i + 1),
            (b'/', Some(b'>')) if !closing => (Kind::SelfClosing, i + 2),
            _ if closing || i == space => return None,
            _ => {
                let attr_start = i;
                i = scan_name(i);
                let attr = &s[attr_start..i];
                i = skip_space(i);
                if attr.is_empty() || b.get(i) != Some(&b'=') {
                    return None;
                }
                i = skip_space(i + 1);
                let quote = *b.get(i).filter(|&&q| q == b'"' || q == b'\'')?;
                let value_start = i + 1;
                i = value_start + s[value_start..].find(char::from(quote))? + 1;
                if attr == "mathvariant" {
                    variant = Some((&s[value_start..i - 1], space..i));
                }
                continue;
            }
        };
        return Some(Tag {
            raw: &s[..end],
            name,
            kind,
            variant,
        });
    }
}

/// Spaces KaTeX's MathML as TeX spaces math, in Chromium and Firefox alike, and
/// draws its accents and upright symbols as TeX does. MathML Core takes an operator's
/// spacing from its dictionary whatever the context, where TeX decides it from the
/// classes of neighbouring atoms and the style (see The TeXbook, chapter 18):
///
/// - in scripts (and fractions in text style) binary operators, relations and
///   punctuation get no space: `x_{t-1}`, `\sum_{i=1}`, `\mathbb{R}^{m \times n}`;
/// - a `+` or `−` with nothing before it, or after an operator, relation, opening
///   fence or punctuation, is a sign (`-x`, `[2, -3.4]`, `e^{-x}`): prefix, unspaced;
/// - an operator name (`\log`, `\operatorname*{argmin}_w`) is set off by a thin space
///   from an ordinary atom or another operator next to it, not from an opening
///   parenthesis (`\log x` but `\log(x)`);
/// - `\left`/`\right` fences are unspaced, and bars among them stretch;
/// - every table cell holds TeX's strut, and the gaps between cells are left to the
///   stylesheet (Firefox would add KaTeX's `rowspacing` and `columnspacing` to the
///   cells' padding, Chromium ignores them);
/// - `\hat`, `\tilde` and the other narrow accents keep their size;
/// - upright symbols are not taken for operator names by Firefox.
///
/// Input that is not well-formed markup is returned unchanged.
pub fn typeset_like_tex(mathml: &str) -> String {
    let Some(mut nodes) = parse_tree(mathml) else {
        return mathml.to_string();
    };
    for node in &mut nodes {
        if let Node::Element(e) = node {
            let display = attr(&e.open, "display") == Some("block");
            space_element(
                e,
                Style {
                    display,
                    script: false,
                },
            );
        }
    }
    let mut out = String::with_capacity(mathml.len() + mathml.len() / 8);
    write_nodes(&nodes, &mut out);
    out
}

/// A thin space: 3mu, TeX's space between an operator name and its argument.
const THIN_SPACE: &str = "<mspace width=\"0.1667em\"/>";

/// TeX's array strut (`\arraystretch` 1, a 1.2em baseline skip): each table row is
/// at least this high and deep, so rows of short symbols do not crowd together.
const STRUT: &str = "<mspace height=\"0.84em\" depth=\"0.36em\"/>";

enum Node<'a> {
    Element(Element<'a>),
    /// Text, a comment, or an `mspace` this pass inserted.
    Raw(&'a str),
}

struct Element<'a> {
    name: &'a str,
    /// The start tag, which this pass may add attributes to.
    open: String,
    children: Vec<Node<'a>>,
    /// The end tag; empty for a self-closing element.
    close: &'a str,
}

impl Element<'_> {
    fn local(&self) -> &str {
        local_name(self.name)
    }

    fn elements(&self) -> impl Iterator<Item = &Element<'_>> {
        self.children.iter().filter_map(|node| match node {
            Node::Element(e) => Some(e),
            Node::Raw(_) => None,
        })
    }

    /// The text of a token element, trimmed.
    fn text(&self) -> String {
        let mut text = String::new();
        for node in &self.children {
            if let Node::Raw(raw) = node {
                text.push_str(raw);
            }
        }
        text.trim_matches(|c: char| c.is_whitespace()).to_string()
    }

    fn is_apply(&self) -> bool {
        self.local() == "mo" && self.text() == "\u{2061}"
    }
}

fn parse_tree(src: &str) -> Option<Vec<Node<'_>>> {
    let mut stack = vec![Element {
        name: "",
        open: String::new(),
        children: Vec::new(),
        close: "",
    }];
    let mut rest = src;
    while !rest.is_empty() {
        let text_len = rest.find('<').unwrap_or(rest.len());
        if text_len > 0 {
            stack
                .last_mut()?
                .children
                .push(Node::Raw(&rest[..text_len]));
            rest = &rest[text_len..];
            continue;
        }
        let tag = parse_tag(rest)?;
        rest = &rest[tag.raw.len()..];
        match tag.kind {
            Kind::Other => stack.last_mut()?.children.push(Node::Raw(tag.raw)),
            Kind::SelfClosing => stack.last_mut()?.children.push(Node::Element(Element {
                name: tag.name,
                open: tag.raw.to_string(),
                children: Vec::new(),
                close: "",
            })),
            Kind::Open => stack.push(Element {
                name: tag.name,
                open: tag.raw.to_string(),
                children: Vec::new(),
                close: "",
            }),
            Kind::Close => {
                let mut element = stack.pop()?;
                if element.name != tag.name || stack.is_empty() {
                    return None;
                }
                element.close = tag.raw;
                stack.last_mut()?.children.push(Node::Element(element));
            }
        }
    }
    let root = stack.pop()?;
    stack.is_empty().then_some(root.children)
}

fn write_nodes(nodes: &[Node], out: &mut String) {
    for node in nodes {
        match node {
            Node::Raw(raw) => out.push_str(raw),
            Node::Element(e) => {
                out.push_str(&e.open);
                write_nodes(&e.children, out);
                out.push_str(e.close);
            }
        }
    }
}

/// The value of attribute `name` in a start tag written with double quotes, as
/// KaTeX writes them.
fn attr<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    Some(&tag[start..start + tag[start..].find('"')?])
}

/// Sets attribute `name` of a start tag (`<x …>` or `<x …/>`), replacing its value.
fn set_attr(tag: &mut String, name: &str, value: &str) {
    let key = format!(" {name}=\"");
    if let Some(start) = tag.find(&key).map(|i| i + key.len()) {
        if let Some(len) = tag[start..].find('"') {
            tag.replace_range(start..start + len, value);
            return;
        }
    }
    let end = tag.len() - if tag.ends_with("/>") { 2 } else { 1 };
    tag.insert_str(end, &format!("{key}{value}\""));
}

/// Removes attribute `name` (and the space before it) from a start tag.
fn remove_attr(tag: &mut String, name: &str) {
    let key = format!(" {name}=\"");
    if let Some(start) = tag.find(&key) {
        let value = start + key.len();
        if let Some(len) = tag[value..].find('"') {
            tag.replace_range(start..value + len + 1, "");
        }
    }
}

/// TeX's style, as far as spacing goes.
#[derive(Clone, Copy)]
struct Style {
    display: bool,
    /// Script or scriptscript style.
    script: bool,
}

/// TeX's atom classes (`Op` is an operator name, `LargeOp` a big operator such as
/// `∑`, which MathML's dictionary already spaces).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    Ord,
    Op,
    LargeOp,
    Bin,
    Rel,
    Open,
    Close,
    Punct,
    Inner,
    Space,
}

fn class_of(e: &Element, first_in_row: bool) -> Class {
    match e.local() {
        "mo" => mo_class(e, first_in_row),
        "mspace" => Class::Space,
        "mtext" if e.text().trim_matches('\u{a0}').is_empty() => Class::Space,
        "mfrac" => Class::Inner,
        "mrow" => {
            let mut kids = e.elements();
            match (kids.next(), e.elements().last()) {
                (_, Some(last)) if last.is_apply() => Class::Op,
                (Some(first), _)
                    if first.local() == "mo" && attr(&first.open, "fence") == Some("true") =>
                {
                    Class::Inner
                }
                _ => Class::Ord,
            }
        }
        "msub" | "msup" | "msubsup" | "munder" | "mover" | "munderover" | "mmultiscripts" => e
            .elements()
            .next()
            .map_or(Class::Ord, |base| class_of(base, true)),
        _ => Class::Ord,
    }
}

fn mo_class(mo: &Element, first_in_row: bool) -> Class {
    if attr(&mo.open, "fence") == Some("true") {
        return if first_in_row {
            Class::Open
        } else {
            Class::Close
        };
    }
    if attr(&mo.open, "separator") == Some("true") {
        return Class::Punct;
    }
    match mo.text().as_str() {
        "(" | "[" | "{" | "⟨" | "⌈" | "⌊" | "⟦" => Class::Open,
        ")" | "]" | "}" | "⟩" | "⌉" | "⌋" | "⟧" | "!" => Class::Close,
        "," | ";" => Class::Punct,
        "∑" | "∏" | "∐" | "∫" | "∬" | "∭" | "∮" | "⋃" | "⋂" | "⋁" | "⋀" | "⨁" | "⨂" | "⨀" | "⨄" => {
            Class::LargeOp
        }
        "+" | "−" | "-" | "±" | "∓" | "×" | "⋅" | "·" | "∗" | "∘" | "∙" | "⊙" | "⊗" | "⊕" | "⊖"
        | "⊘" | "∪" | "∩" | "∧" | "∨" | "÷" | "∖" | "⋆" | "⊎" | "⊓" | "⊔" | "†" | "‡" | "≀" => {
            Class::Bin
        }
        "…" | "⋯" | "⋮" | "⋱" | "′" | "″" | "‴" => Class::Ord,
        _ => Class::Rel,
    }
}

/// An atom of a row: one child, or an operator name and the `⁡` after it.
struct Atom {
    first: usize,
    last: usize,
    class: Class,
}

fn is_row(name: &str) -> bool {
    matches!(
        name,
        "math"
            | "mrow"
            | "mstyle"
            | "mtd"
            | "msqrt"
            | "mpadded"
            | "mphantom"
            | "menclose"
            | "merror"
    )
}

fn space_element(e: &mut Element, mut style: Style) {
    let name = e.local().to_string();
    match name.as_str() {
        "mtable" => {
            set_attr(&mut e.open, "rowspacing", "0");
            set_attr(&mut e.open, "columnspacing", "0");
        }
        "mtd" => e.children.insert(0, Node::Raw(STRUT)),
        // KaTeX marks upright symbols `mathvariant="normal"`, which Firefox takes for
        // an operator name and spaces (`| x_i |`, `∂ x`, `d x`). A symbol without an
        // italic form (`∣`, `∞`, `⊤`) is drawn upright without it; one with (`d` of
        // `\mathrm{d}`, `∂`, `∇`, `Δ`) stays upright as text, which no browser spaces.
        "mi" if attr(&e.open, "mathvariant") == Some("normal") => {
            let text = e.text();
            let mut chars = text.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                remove_attr(&mut e.open, "mathvariant");
                if has_italic_form(c) {
                    e.name = "mtext";
                    e.open.replace_range(..3, "<mtext");
                    e.close = "</mtext>";
                }
            }
        }
        // \hat and \tilde are fixed-size accents (\widehat and \widetilde say
        // `stretchy="true"`), drawn with the spacing modifier letters: the ASCII `^`
        // and `~` are drawn as wide ones in both browsers, stretchy or not.
        "mover" if attr(&e.open, "accent") == Some("true") => {
            if let Some(Node::Element(mo)) = e
                .children
                .iter_mut()
                .filter(|n| matches!(n, Node::Element(_)))
                .nth(1)
            {
                if mo.local() == "mo" && attr(&mo.open, "stretchy").is_none() {
                    set_attr(&mut mo.open, "stretchy", "false");
                    for node in &mut mo.children {
                        if let Node::Raw(text) = node {
                            match text.trim() {
                                "^" => *node = Node::Raw("ˆ"),
                                "~" => *node = Node::Raw("˜"),
                                _ => {}
                            }
                        }
                    }
                }
            }
        }
        // `\left( … \right)`: the content between the fences as a row of its own,
        // as MathML writes a fenced expression. Firefox sizes the fences by the
        // siblings that cannot stretch, so a bare `∑` with limits among them
        // (`\left(\sum_{i=1}^n x_i\right)`) left them at their smallest.
        "mrow" => {
            let fence = |n: &Node| matches!(n, Node::Element(mo) if mo.local() == "mo" && attr(&mo.open, "fence") == Some("true"));
            let (first, last) = (e.children.first(), e.children.last());
            if e.children.len() > 3 && first.is_some_and(fence) && last.is_some_and(fence) {
                let end = e.children.len() - 1;
                let children = e.children.drain(1..end).collect();
                let content = Element {
                    name: "mrow",
                    open: "<mrow>".to_string(),
                    children,
                    close: "</mrow>",
                };
                e.children.insert(1, Node::Element(content));
            }
        }
        // KaTeX sets the style in table cells and for \displaystyle and the like.
        "mstyle" => {
            if let Some(d) = attr(&e.open, "displaystyle") {
                style.display = d == "true";
            }
            if let Some(level) = attr(&e.open, "scriptlevel") {
                style.script = !matches!(level, "0" | "-1" | "-2");
            }
        }
        _ => {}
    }
    if is_row(&name) {
        space_row(e, style);
    }
    let accent = |key: &str| attr(&e.open, key) == Some("true");
    let (over_accent, under_accent) = (accent("accent"), accent("accentunder"));
    let script = Style {
        display: false,
        script: true,
    };
    match name.as_str() {
        "msub" | "msup" | "msubsup" | "mmultiscripts" | "mroot" => {
            space_children(e, style, |i, s| if i == 0 { s } else { script })
        }
        "munder" | "mover" | "munderover" => space_children(e, style, |i, s| {
            let is_accent = match (name.as_str(), i) {
                (_, 0) => true,
                ("mover", 1) | ("munderover", 2) => over_accent,
                (_, 1) => under_accent,
                _ => false,
            };
            if is_accent {
                Style {
                    display: false,
                    ..s
                }
            } else {
                script
            }
        }),
        // In display style a fraction's parts are in text style, otherwise a level down.
        "mfrac" => space_children(e, style, |_, s| Style {
            display: false,
            script: s.script || !s.display,
        }),
        _ => space_children(e, style, |_, s| s),
    }
}

/// Recurses into the element children, the i-th of which is in style `child(i, style)`.
fn space_children(e: &mut Element, style: Style, child: impl Fn(usize, Style) -> Style) {
    let in_row = is_row(e.local());
    let mut i = 0;
    for node in &mut e.children {
        if let Node::Element(c) = node {
            let own = child(i, style);
            if c.local() == "mo" && !in_row {
                // An operator alone in a slot, such as the `*` of `w^*`.
                let class = mo_class(c, true);
                space_operator(c, own, class);
            }
            space_element(c, own);
            i += 1;
        }
    }
}

/// The spacing of an `mo` of TeX class `class` that the row pass did not settle.
fn space_operator(mo: &mut Element, style: Style, class: Class) {
    if attr(&mo.open, "fence") == Some("true") {
        set_attr(&mut mo.open, "lspace", "0");
        set_attr(&mut mo.open, "rspace", "0");
        // Bars are relations in MathML's dictionary: neither fences nor stretchy.
        if matches!(mo.text().as_str(), "|" | "∣" | "‖" | "∥") {
            set_attr(&mut mo.open, "stretchy", "true");
        }
        return;
    }
    let bin = class == Class::Bin;
    if style.script && (bin || class == Class::Rel || class == Class::Punct) {
        set_attr(&mut mo.open, "lspace", "0");
        set_attr(&mut mo.open, "rspace", "0");
    } else if bin && !matches!(mo.text().as_str(), "+" | "−") {
        // TeX's medium space around every binary operator: Chromium's dictionary
        // gives `∗`, `∘`, `⊙`… less, and Firefox draws `⊙`, `⊗`, `⊕` as big
        // operators in display style. `+` and `−`, the most frequent, are right
        // in both as they are.
        set_attr(&mut mo.open, "lspace", "0.2222em");
        set_attr(&mut mo.open, "rspace", "0.2222em");
        set_attr(&mut mo.open, "largeop", "false");
    }
}

fn space_row(row: &mut Element, style: Style) {
    let mut atoms: Vec<Atom> = Vec::new();
    for (i, node) in row.children.iter().enumerate() {
        let Node::Element(e) = node else { continue };
        if e.is_apply() {
            match atoms.last_mut() {
                Some(prev) => {
                    prev.last = i;
                    prev.class = Class::Op;
                }
                None => atoms.push(Atom {
                    first: i,
                    last: i,
                    class: Class::Op,
                }),
            }
            continue;
        }
        atoms.push(Atom {
            first: i,
            last: i,
            class: class_of(e, atoms.is_empty()),
        });
    }
    // A binary operator where no operand precedes it is a sign.
    let mut prev = None;
    for atom in &mut atoms {
        if atom.class == Class::Bin
            && prev.is_none_or(|p| {
                matches!(
                    p,
                    Class::Bin
                        | Class::Op
                        | Class::LargeOp
                        | Class::Rel
                        | Class::Open
                        | Class::Punct
                )
            })
        {
            if let Node::Element(mo) = &mut row.children[atom.first] {
                set_attr(&mut mo.open, "form", "prefix");
                set_attr(&mut mo.open, "lspace", "0");
                set_attr(&mut mo.open, "rspace", "0");
            }
            atom.class = Class::Ord;
        }
        if atom.class != Class::Space {
            prev = Some(atom.class);
        }
    }
    for atom in &atoms {
        if let Node::Element(mo) = &mut row.children[atom.first] {
            if mo.local() == "mo" {
                space_operator(mo, style, atom.class);
            }
        }
    }
    // A big operator takes its thin spaces from the dictionary on both sides; TeX
    // puts none between it and an opening parenthesis (`\sum_i (y_i - \hat{y}_i)^2`)
    // nor next to a relation, binary operator or punctuation, which space themselves.
    for k in 0..atoms.len() {
        if atoms[k].class != Class::LargeOp {
            continue;
        }
        let before = k.checked_sub(1).map(|j| atoms[j].class);
        let after = atoms.get(k + 1).map(|a| a.class);
        let inner = !style.script;
        let thin_before = matches!(
            before,
            Some(Class::Ord | Class::Op | Class::LargeOp | Class::Close | Class::Inner)
        );
        let thin_after = matches!(after, Some(Class::Ord | Class::Op | Class::LargeOp))
            || (inner && after == Some(Class::Inner));
        if let Node::Element(e) = &mut row.children[atoms[k].first] {
            if let Some(mo) = core_operator(e) {
                if !thin_before {
                    set_attr(&mut mo.open, "lspace", "0");
                }
                if !thin_after {
                    set_attr(&mut mo.open, "rspace", "0");
                }
            }
        }
    }
    // Thin spaces around operator names, inserted from the right. Firefox spaces a
    // multi-letter `mi` on its own (its guess at the same rule), Chromium does not:
    // an operator name and its `⁡` go into an `mrow`, which Firefox leaves alone,
    // so that the `mspace` is the only space in both.
    for k in (0..atoms.len()).rev() {
        let atom = &atoms[k];
        let thin = atoms
            .get(k + 1)
            .is_some_and(|next| match (atom.class, next.class) {
                (Class::Op, Class::Ord | Class::Op) | (Class::Ord | Class::Close, Class::Op) => {
                    true
                }
                (Class::Op, Class::Inner) | (Class::Inner, Class::Op) => !style.script,
                _ => false,
            });
        if thin {
            row.children.insert(atom.last + 1, Node::Raw(THIN_SPACE));
        }
        if atom.class == Class::Op && atom.first < atom.last && atoms.len() > 1 {
            let children = row.children.drain(atom.first..=atom.last).collect();
            let name = Element {
                name: "mrow",
                open: "<mrow>".to_string(),
                children,
                close: "</mrow>",
            };
            row.children.insert(atom.first, Node::Element(name));
        }
    }
}

/// The `mo` at the core of an embellished operator (`∑` of `\sum_{i=1}^n`), whose
/// spacing MathML puts around the whole.
fn core_operator<'e, 'a>(e: &'e mut Element<'a>) -> Option<&'e mut Element<'a>> {
    match e.local() {
        "mo" => Some(e),
        "msub" | "msup" | "msubsup" | "munder" | "mover" | "munderover" => e
            .children
            .iter_mut()
            .find_map(|node| match node {
                Node::Element(base) => Some(base),
                Node::Raw(_) => None,
            })
            .and_then(core_operator),
        _ => None,
    }
}

/// Whether MathML's `math-auto` text transform has an italic form of `c` (the
/// letters `map` knows, in the italic style).
fn has_italic_form(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, 'ı' | 'ȷ') || greek_offset(c).is_some()
}

#[cfg(test)]
mod nested_token_tests {
    use super::map_variants;

    #[test]
    fn tokens_holding_elements_become_rows() {
        let stackrel = "<mo><mover><mo><mo>=</mo></mo><mrow><mi mathvariant=\"normal\">d</mi></mrow></mover></mo>";
        assert_eq!(
            map_variants(stackrel),
            "<mrow><mover><mrow><mo>=</mo></mrow><mrow><mi mathvariant=\"normal\">d</mi></mrow></mover></mrow>"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mi(variant: &str, text: &str) -> String {
        map_variants(&format!(r#"<mi mathvariant="{variant}">{text}</mi>"#))
    }

    #[test]
    fn bold_w() {
        assert_eq!(mi("bold", "w"), "<mi>𝐰</mi>");
    }

    #[test]
    fn script_l() {
        assert_eq!(mi("script", "L"), "<mi>ℒ</mi>");
        assert_eq!(mi("script", "A"), "<mi>𝒜</mi>");
    }

    #[test]
    fn double_struck_r_is_letterlike() {
        assert_eq!(mi("double-struck", "R"), "<mi>\u{211D}</mi>");
        assert_eq!(mi("double-struck", "NA1"), "<mi>ℕ𝔸𝟙</mi>");
    }

    #[test]
    fn bold_italic_theta() {
        assert_eq!(mi("bold-italic", "θ"), "<mi>𝜽</mi>");
        assert_eq!(mi("bold-italic", "Ωϕ∇"), "<mi>𝜴𝝓𝜵</mi>");
    }

    #[test]
    fn bold_greek_and_sans_serif_bold_italic_greek() {
        assert_eq!(mi("bold", "ΓΘα"), "<mi>𝚪𝚯𝛂</mi>");
        assert_eq!(mi("sans-serif-bold-italic", "α"), "<mi>𝞪</mi>");
        assert_eq!(mi("bold-sans-serif", "Ω"), "<mi>𝝮</mi>");
    }

    #[test]
    fn bold_digit() {
        let out = map_variants(r#"<mn mathvariant="bold">20</mn>"#);
        assert_eq!(out, "<mn>𝟐𝟎</mn>");
        assert_eq!(
            map_variants(r#"<mn mathvariant="monospace">7</mn>"#),
            "<mn>𝟽</mn>"
        );
    }

    #[test]
    fn fraktur_letterlike() {
        assert_eq!(mi("fraktur", "CHIRZ"), "<mi>ℭℌℑℜℨ</mi>");
        assert_eq!(mi("fraktur", "Ag"), "<mi>𝔄𝔤</mi>");
        assert_eq!(mi("bold-fraktur", "C"), "<mi>𝕮</mi>");
    }

    #[test]
    fn italic_h() {
        assert_eq!(mi("italic", "h"), "<mi>\u{210E}</mi>");
        assert_eq!(mi("italic", "xy"), "<mi>𝑥𝑦</mi>");
    }

    #[test]
    fn mtext_bold() {
        let out = map_variants(r#"<mtext mathvariant="bold">Loss 2!</mtext>"#);
        assert_eq!(out, "<mtext>𝐋𝐨𝐬𝐬 𝟐!</mtext>");
    }

    #[test]
    fn nested_mstyle() {
        let src = concat!(
            r#"<mstyle mathvariant="bold"><mrow><mi>x</mi><mo>+</mo>"#,
            r#"<mi mathvariant="normal">d</mi><mi mathvariant="script">L</mi>"#,
            r#"<mrow mathvariant="italic"><mi>v</mi></mrow></mrow></mstyle>"#,
        );
        let want = concat!(
            "<mstyle><mrow><mi>𝐱</mi><mo>+</mo>",
            r#"<mi mathvariant="normal">d</mi><mi>ℒ</mi>"#,
            "<mrow><mi>𝑣</mi></mrow></mrow></mstyle>",
        );
        assert_eq!(map_variants(src), want);
    }

    #[test]
    fn katex_document() {
        let src = concat!(
            r#"<span class="katex"><math xmlns="http://www.w3.org/1998/Math/MathML">"#,
            r#"<semantics><mrow><mi mathvariant="bold">w</mi><mo>∈</mo>"#,
            r#"<msup><mi mathvariant="double-struck">R</mi><mi>d</mi></msup></mrow>"#,
            r#"<annotation encoding="application/x-tex">\mathbf{w} \in \mathbb{R}^d"#,
            "</annotation></semantics></math></span>",
        );
        let out = map_variants(src);
        assert!(out.contains("<mi>𝐰</mi><mo>∈</mo><msup><mi>ℝ</mi><mi>d</mi></msup>"));
        assert!(out.contains(r"\mathbf{w} \in \mathbb{R}^d</annotation>"));
        assert!(!out.contains("mathvariant"));
    }

    #[test]
    fn entities_left_alone() {
        let out = map_variants(r#"<mtext mathvariant="bold">a&amp;b&#x41;&lt;c & d</mtext>"#);
        assert_eq!(out, "<mtext>𝐚&amp;𝐛&#x41;&lt;𝐜 & 𝐝</mtext>");
    }

    #[test]
    fn normal_and_unknown_untouched() {
        for src in [
            r#"<mi mathvariant="normal">d</mi>"#,
            r#"<mi mathvariant="looped">x</mi>"#,
            "<mi>x</mi>",
            r#"<mstyle mathvariant="normal"><mi>x</mi></mstyle>"#,
        ] {
            assert_eq!(map_variants(src), src);
        }
    }

    #[test]
    fn other_attributes_kept() {
        let out = map_variants(r#"<mi class="a" mathvariant='bold' id="b">x</mi><mspace/>"#);
        assert_eq!(out, r#"<mi class="a" id="b">𝐱</mi><mspace/>"#);
    }

    #[test]
    fn unmapped_single_mi_stays_upright() {
        assert_eq!(
            mi("double-struck", "α"),
            r#"<mi mathvariant="normal">α</mi>"#
        );
        assert_eq!(
            mi("script", "&#x3B1;"),
            r#"<mi mathvariant="normal">&#x3B1;</mi>"#
        );
        assert_eq!(mi("italic", "∞"), "<mi>∞</mi>");
        assert_eq!(mi("script", "αβ"), "<mi>αβ</mi>");
        let out = map_variants(r#"<mstyle mathvariant="fraktur"><mi>γ</mi><mo>+</mo></mstyle>"#);
        assert_eq!(
            out,
            r#"<mstyle><mi mathvariant="normal">γ</mi><mo>+</mo></mstyle>"#
        );
    }

    #[test]
    fn multi_letter_text() {
        assert_eq!(mi("bold", "xy"), "<mi>𝐱𝐲</mi>");
        assert_eq!(mi("sans-serif", "Ab9"), "<mi>𝖠𝖻𝟫</mi>");
        assert_eq!(mi("monospace", "int x"), "<mi>𝚒𝚗𝚝 𝚡</mi>");
        assert_eq!(mi("bold-script", "Ab"), "<mi>𝓐𝓫</mi>");
        assert_eq!(mi("sans-serif-italic", "z"), "<mi>𝘻</mi>");
    }

    #[test]
    fn malformed_input_unchanged() {
        for src in [
            "",
            "a < b",
            "<",
            "<mi",
            r#"<mi mathvariant="bold">w"#,
            r#"<mi mathvariant="bold>w</mi>"#,
            r#"<mi mathvariant="bold">w</mo>"#,
            r"<mi mathvariant=bold>w</mi>",
            r#"<mi mathvariant="bold"class="x">w</mi>"#,
            r#"<mi mathvariant="bold">w</mi></mrow>"#,
            r#"<mi mathvariant="bold" / >w</mi>"#,
            "<!-- unterminated <mi mathvariant=\"bold\">w</mi>",
            "</ mi>",
        ] {
            assert_eq!(map_variants(src), src, "{src}");
        }
    }

    #[test]
    fn comments_pass_through() {
        let src = r#"<!-- <mi> --><mi mathvariant="bold">w</mi><?pi x?>"#;
        assert_eq!(map_variants(src), "<!-- <mi> --><mi>𝐰</mi><?pi x?>");
    }

    #[test]
    fn never_panics_on_truncations() {
        let src = r#"<mrow mathvariant="bold"><mi>αx</mi><mtext>a&amp;ℝ</mtext><mn>1</mn></mrow>"#;
        for (i, _) in src.char_indices() {
            map_variants(&src[..i]);
            map_variants(&src[i..]);
        }
    }

    #[test]
    fn table_avoids_reserved_slots_and_is_injective() {
        let reserved = [
            0x1D455, 0x1D49D, 0x1D4A0, 0x1D4A1, 0x1D4A3, 0x1D4A4, 0x1D4A7, 0x1D4A8, 0x1D4AD,
            0x1D4BA, 0x1D4BC, 0x1D4C4, 0x1D506, 0x1D50B, 0x1D50C, 0x1D515, 0x1D51D, 0x1D53A,
            0x1D53F, 0x1D545, 0x1D547, 0x1D548, 0x1D549, 0x1D551, 0x1D6A6, 0x1D6A7, 0x1D7CC,
            0x1D7CD,
        ];
        let names = [
            "bold",
            "italic",
            "bold-italic",
            "script",
            "bold-script",
            "fraktur",
            "double-struck",
            "bold-fraktur",
            "sans-serif",
            "bold-sans-serif",
            "sans-serif-italic",
            "sans-serif-bold-italic",
            "monospace",
        ];
        let greek = "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡϴΣΤΥΦΧΨΩ∇αβγδεζηθικλμνξοπρςστυφχψω∂ϵϑϰϕϱϖ";
        let mut seen = std::collections::HashSet::new();
        for name in names {
            let v = Variant::parse(name).unwrap();
            let all = ('A'..='Z')
                .chain('a'..='z')
                .chain('0'..='9')
                .chain(greek.chars());
            for m in all.filter_map(|c| v.map(c)) {
                let code = m as u32;
                assert!(!reserved.contains(&code), "{name}: U+{code:X}");
                assert!(seen.insert(m), "{name}: duplicate U+{code:X}");
                assert!((0x1D400..=0x1D7FF).contains(&code) || (0x2100..=0x214F).contains(&code));
            }
        }
        // 13 Latin alphabets, 5 digit sets, 5 Greek runs.
        assert_eq!(seen.len(), 13 * 52 + 5 * 10 + 5 * 58);
    }
}

#[cfg(test)]
mod spacing_tests {
    use super::typeset_like_tex;

    const ZERO: &str = r#"lspace="0" rspace="0""#;
    const SIGN: &str = r#"<mo form="prefix" lspace="0" rspace="0">"#;
    const THIN: &str = r#"<mspace width="0.1667em"/>"#;

    fn inline(body: &str) -> String {
        typeset_like_tex(&format!("<math><mrow>{body}</mrow></math>"))
    }

    fn block(body: &str) -> String {
        typeset_like_tex(&format!(
            r#"<math display="block"><mrow>{body}</mrow></math>"#
        ))
    }

    #[test]
    fn operators_in_scripts_are_unspaced() {
        // x_{t-1} = \sum_{i=1}^n x_i^*
        let out = block(concat!(
            "<msub><mi>x</mi><mrow><mi>t</mi><mo>−</mo><mn>1</mn></mrow></msub><mo>=</mo>",
            "<munderover><mo>∑</mo><mrow><mi>i</mi><mo>=</mo><mn>1</mn></mrow><mi>n</mi></munderover>",
            "<msubsup><mi>x</mi><mi>i</mi><mo>∗</mo></msubsup>",
        ));
        assert!(
            out.contains(&format!("<mi>t</mi><mo {ZERO}>−</mo><mn>1</mn>")),
            "{out}"
        );
        assert!(
            out.contains(&format!("<mi>i</mi><mo {ZERO}>=</mo><mn>1</mn>")),
            "{out}"
        );
        assert!(
            out.contains(&format!("<mi>i</mi><mo {ZERO}>∗</mo></msubsup>")),
            "{out}"
        );
        // The relation on the baseline keeps its spacing, and the sum adds none to it.
        assert!(
            out.contains(r#"</msub><mo>=</mo><munderover><mo lspace="0">∑</mo>"#),
            "{out}"
        );
        // \mathbb{R}^{m \times n}, w_{i,j}
        let out = inline(concat!(
            "<msup><mi>ℝ</mi><mrow><mi>m</mi><mo>×</mo><mi>n</mi></mrow></msup>",
            r#"<msub><mi>w</mi><mrow><mi>i</mi><mo separator="true">,</mo><mi>j</mi></mrow></msub>"#,
        ));
        assert!(out.contains(&format!("<mo {ZERO}>×</mo>")), "{out}");
        assert!(
            out.contains(&format!(r#"<mo separator="true" {ZERO}>,</mo>"#)),
            "{out}"
        );
    }

    #[test]
    fn fractions_are_scripts_in_text_style_only() {
        let frac = "<mfrac><mn>1</mn><mrow><mn>1</mn><mo>+</mo><mi>x</mi></mrow></mfrac>";
        assert!(inline(frac).contains(&format!("<mo {ZERO}>+</mo>")));
        assert!(block(frac).contains("<mn>1</mn><mo>+</mo><mi>x</mi>"));
        // A table cell starts again in text style, even inside a script.
        let cell = concat!(
            "<msup><mi>x</mi><mtable><mtr><mtd>",
            r#"<mstyle scriptlevel="0" displaystyle="false"><mrow><mi>a</mi><mo>=</mo><mi>b</mi></mrow></mstyle>"#,
            "</mtd></mtr></mtable></msup>",
        );
        assert!(inline(cell).contains("<mi>a</mi><mo>=</mo><mi>b</mi>"));
    }

    #[test]
    fn a_leading_minus_is_a_sign() {
        // [2, -3.4], -x, (-1)^n, x = -y, \{-1, +1\}, e^{-x}
        let out = inline(concat!(
            r#"<mo stretchy="false">[</mo><mn>2</mn><mo separator="true">,</mo><mo>−</mo><mn>3.4</mn>"#,
            r#"<mo stretchy="false">]</mo>"#,
        ));
        assert!(out.contains(&format!("{SIGN}−</mo><mn>3.4</mn>")), "{out}");
        assert!(inline("<mo>−</mo><mi>x</mi>").starts_with(&format!("<math><mrow>{SIGN}−</mo>")));
        let out = inline(r#"<mo stretchy="false">(</mo><mo>−</mo><mn>1</mn>"#);
        assert!(out.contains(&format!("(</mo>{SIGN}−</mo>")), "{out}");
        let out = inline("<mi>x</mi><mo>=</mo><mo>−</mo><mi>y</mi>");
        assert!(out.contains(&format!("<mo>=</mo>{SIGN}−</mo>")), "{out}");
        let out = inline(
            r#"<mo stretchy="false">{</mo><mo>−</mo><mn>1</mn><mo separator="true">,</mo><mo>+</mo><mn>1</mn>"#,
        );
        assert!(out.contains(&format!("{{</mo>{SIGN}−</mo>")), "{out}");
        assert!(out.contains(&format!(",</mo>{SIGN}+</mo>")), "{out}");
        let out = inline("<msup><mi>e</mi><mrow><mo>−</mo><mi>x</mi></mrow></msup>");
        assert!(
            out.contains(&format!("<mrow>{SIGN}−</mo><mi>x</mi>")),
            "{out}"
        );
    }

    #[test]
    fn a_minus_after_an_operand_stays_binary() {
        for body in [
            "<mi>x</mi><mo>−</mo><mi>y</mi>",
            r#"<mo stretchy="false">(</mo><mi>a</mi><msup><mo stretchy="false">)</mo><mn>2</mn></msup><mo>−</mo><mi>b</mi>"#,
            "<mrow></mrow><mo>−</mo><mi>b</mi>",
        ] {
            assert_eq!(inline(body), format!("<math><mrow>{body}</mrow></math>"));
        }
    }

    #[test]
    fn operator_names_are_set_off_by_a_thin_space() {
        // \log x, but \log(x); the name and its `⁡` in a row of their own.
        let out = inline("<mi>log</mi><mo>\u{2061}</mo><mi>x</mi>");
        let log = "<mrow><mi>log</mi><mo>\u{2061}</mo></mrow>";
        assert_eq!(
            out,
            format!("<math><mrow>{log}{THIN}<mi>x</mi></mrow></math>")
        );
        let out = inline(r#"<mi>log</mi><mo>⁡</mo><mo stretchy="false">(</mo><mi>x</mi>"#);
        assert!(
            out.contains(&format!(r#"{log}<mo stretchy="false">(</mo>"#)),
            "{out}"
        );
        assert!(!out.contains("<mspace"), "{out}");
        // \operatorname*{argmin}_{\mathbf{w}} \mathcal{L}(\mathbf{w}): after the limits.
        let out = block(concat!(
            r#"<munder><mrow><mi mathvariant="normal">argmin</mi><mo>⁡</mo></mrow><mi>𝐰</mi></munder>"#,
            r#"<mi>ℒ</mi><mo stretchy="false">(</mo>"#,
        ));
        assert!(out.contains(&format!("</munder>{THIN}<mi>ℒ</mi>")), "{out}");
        // y_j \log \hat{y}: on both sides; \arg\max_j: between the names too.
        let out = inline(concat!(
            "<msub><mi>y</mi><mi>j</mi></msub><mi>log</mi><mo>⁡</mo>",
            r#"<mover accent="true"><mi>y</mi><mo>^</mo></mover>"#,
        ));
        assert!(
            out.contains(&format!("</msub>{THIN}{log}{THIN}<mover")),
            "{out}"
        );
        let out = inline(concat!(
            "<mi>arg</mi><mo>⁡</mo><munder><mrow><mi>max</mi><mo>⁡</mo></mrow><mi>j</mi></munder>",
            "<mi>y</mi>",
        ));
        assert!(
            out.contains(&format!("<mrow><mi>arg</mi><mo>⁡</mo></mrow>{THIN}<munder><mrow><mi>max</mi><mo>⁡</mo></mrow>")),
            "{out}"
        );
        assert!(out.contains(&format!("</munder>{THIN}<mi>y</mi>")), "{out}");
        // -\log P: the sign is an ordinary symbol, so the name is set off from it.
        let out = inline("<mo>−</mo><mi>log</mi><mo>⁡</mo><mi>P</mi>");
        assert!(
            out.contains(&format!("{SIGN}−</mo>{THIN}{log}{THIN}<mi>P</mi>")),
            "{out}"
        );
    }

    #[test]
    fn upright_symbols_are_not_spaced_as_names() {
        // |x_i|: Firefox would space a `mathvariant="normal"` bar like a name.
        let bar = r#"<mi mathvariant="normal">∣</mi>"#;
        let out = inline(&format!("{bar}<msub><mi>x</mi><mi>i</mi></msub>{bar}"));
        assert!(
            out.contains("<mi>∣</mi><msub><mi>x</mi><mi>i</mi></msub><mi>∣</mi>"),
            "{out}"
        );
        // A letter or \nabla would turn italic without it: it becomes text.
        for c in ["d", "∂", "∇", "Δ"] {
            let out = inline(&format!(r#"<mi mathvariant="normal">{c}</mi><mi>x</mi>"#));
            assert!(
                out.contains(&format!("<mtext>{c}</mtext><mi>x</mi>")),
                "{out}"
            );
        }
        // A name is left to the operator-name rule.
        let name = r#"<mi mathvariant="normal">ReLU</mi>"#;
        assert!(inline(name).contains(name));
    }

    #[test]
    fn narrow_accents_keep_their_size() {
        // \hat{y}, \tilde{x}, \bar{x}, \widehat{xy}
        let out = inline(concat!(
            r#"<mover accent="true"><mi>y</mi><mo>^</mo></mover>"#,
            r#"<mover accent="true"><mi>x</mi><mo>~</mo></mover>"#,
            r#"<mover accent="true"><mi>x</mi><mo>ˉ</mo></mover>"#,
            r#"<mover accent="true"><mrow><mi>x</mi><mi>y</mi></mrow><mo stretchy="true">^</mo></mover>"#,
        ));
        assert!(
            out.contains(r#"<mi>y</mi><mo stretchy="false">ˆ</mo>"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<mi>x</mi><mo stretchy="false">˜</mo>"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<mi>x</mi><mo stretchy="false">ˉ</mo>"#),
            "{out}"
        );
        assert!(
            out.contains(r#"</mrow><mo stretchy="true">^</mo>"#),
            "{out}"
        );
    }

    #[test]
    fn binary_operators_get_a_medium_space() {
        // \gamma \odot \frac{a}{b} + \beta, and x_{a \odot b}
        let out = block(concat!(
            "<mi>γ</mi><mo>⊙</mo><mfrac><mi>a</mi><mi>b</mi></mfrac><mo>+</mo><mi>β</mi>",
            "<msub><mi>x</mi><mrow><mi>a</mi><mo>⊙</mo><mi>b</mi></mrow></msub>",
        ));
        let medium = r#"lspace="0.2222em" rspace="0.2222em" largeop="false""#;
        assert!(
            out.contains(&format!("<mi>γ</mi><mo {medium}>⊙</mo><mfrac>")),
            "{out}"
        );
        assert!(out.contains("</mfrac><mo>+</mo><mi>β</mi>"), "{out}");
        assert!(
            out.contains(&format!("<mi>a</mi><mo {ZERO}>⊙</mo><mi>b</mi>")),
            "{out}"
        );
    }

    #[test]
    fn big_operators_touch_parentheses_and_relations() {
        // \sum_{i=1}^n (y_i)^2 = \sum_i x_i
        let sum = |script: &str| {
            format!("<munderover><mo{script}>∑</mo><mi>i</mi><mi>n</mi></munderover>")
        };
        let out = block(&format!(
            r#"{}<mo stretchy="false">(</mo><mi>y</mi><mo stretchy="false">)</mo><mo>=</mo>{}<mi>x</mi>"#,
            sum(""),
            sum(""),
        ));
        assert!(
            out.starts_with(&format!(
                r#"<math display="block"><mrow>{}<mo stretchy="false">("#,
                sum(r#" lspace="0" rspace="0""#)
            )),
            "{out}"
        );
        assert!(
            out.contains(&format!("<mo>=</mo>{}<mi>x</mi>", sum(r#" lspace="0""#))),
            "{out}"
        );
    }

    #[test]
    fn left_right_fences_are_unspaced_and_bars_stretch() {
        let out = block(concat!(
            r#"<mrow><mo fence="true">(</mo><mfrac><mn>1</mn><mn>2</mn></mfrac><mo fence="true">)</mo></mrow>"#,
            r#"<mrow><mo fence="true">∥</mo><mi>x</mi><mo fence="true">∥</mo></mrow>"#,
        ));
        assert!(
            out.contains(&format!(r#"<mo fence="true" {ZERO}>(</mo>"#)),
            "{out}"
        );
        assert!(
            out.contains(&format!(r#"<mo fence="true" {ZERO}>)</mo>"#)),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                r#"<mo fence="true" {ZERO} stretchy="true">∥</mo><mi>x</mi>"#
            )),
            "{out}"
        );
    }

    #[test]
    fn fenced_content_is_a_row_of_its_own() {
        // \left(\sum_{i=1}^n x_i\right)
        let sum = "<munderover><mo>∑</mo><mi>i</mi><mi>n</mi></munderover><msub><mi>x</mi><mi>i</mi></msub>";
        let out = block(&format!(
            r#"<mrow><mo fence="true">(</mo>{sum}<mo fence="true">)</mo></mrow>"#
        ));
        let open = format!(r#"<mo fence="true" {ZERO}>(</mo>"#);
        let close = format!(r#"<mo fence="true" {ZERO}>)</mo>"#);
        // The sum starts its row: no space before it.
        let sum = sum.replace("<mo>∑", r#"<mo lspace="0">∑"#);
        assert!(
            out.contains(&format!("{open}<mrow>{sum}</mrow>{close}")),
            "{out}"
        );
        // One thing between the fences is a row already.
        let out = block(r#"<mrow><mo fence="true">(</mo><mi>x</mi><mo fence="true">)</mo></mrow>"#);
        assert!(out.contains(&format!("{open}<mi>x</mi>{close}")), "{out}");
    }

    #[test]
    fn table_cells_hold_a_strut_and_the_stylesheet_spaces_them() {
        let out = block(concat!(
            r#"<mtable rowspacing="0.16em" columnalign="center center" columnspacing="1em">"#,
            r#"<mtr><mtd><mstyle scriptlevel="0" displaystyle="false"><mn>1</mn></mstyle></mtd></mtr>"#,
            "</mtable>",
        ));
        assert!(
            out.contains(concat!(
                r#"<mtable rowspacing="0" columnalign="center center" columnspacing="0"><mtr><mtd>"#,
                r#"<mspace height="0.84em" depth="0.36em"/><mstyle"#,
            )),
            "{out}"
        );
    }

    #[test]
    fn malformed_input_unchanged() {
        for src in [
            "",
            "<mo>−",
            "<mrow><mo>−</mi></mrow>",
            "</mrow>",
            "<math><mo>−</mo></math></math>",
        ] {
            assert_eq!(typeset_like_tex(src), src);
        }
    }
}
