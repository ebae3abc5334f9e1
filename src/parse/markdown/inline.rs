//! Inline events → items and inlines: emphasis, links, images, code, math and the
//! reference roles (`:numref:`, `:cite:`, …) split out of the text; slide marks.

use super::*;

impl MdParser<'_> {
    /// Inline items until `until`.
    pub(super) fn items(&mut self, until: TagEnd) -> Vec<Item> {
        let mut items = Vec::new();
        while let Some((event, _)) = self.events.get(self.pos) {
            if matches!(event, Event::End(e) if *e == until) {
                self.pos += 1;
                break;
            }
            self.inline_event(&mut items);
        }
        items
    }

    /// Consumes one inline event (and its children) into `items`.
    pub(super) fn inline_event(&mut self, items: &mut Vec<Item>) {
        let Some((event, range)) = self.next() else {
            return;
        };
        match event {
            Event::Start(tag) if is_inline_container(&tag) && self.inline_depth >= MAX_NESTING => {
                let text = self.too_deep(range);
                push_text(items, &text);
            }
            Event::Text(t) => push_text(items, &t),
            Event::Code(code) => {
                // `:name:` right before a code span makes it a role.
                if let Some(Item::Inline(Inline::Text(prev))) = items.last_mut() {
                    if let Some((at, name)) = roles::trailing_role_name(prev) {
                        let name = name.to_string();
                        let role_len = name.len() + 2;
                        prev.truncate(at);
                        if prev.is_empty() {
                            items.pop();
                        }
                        let span = self.span(range.start.saturating_sub(role_len)..range.end);
                        if roles::KNOWN.contains(&name.as_str()) {
                            items.push(Item::Role {
                                name,
                                arg: code.to_string(),
                                span,
                            });
                        } else {
                            self.warn(format!("unknown role ':{name}:'"), &span);
                            push_text(items, &format!(":{name}:"));
                            items.push(Item::Inline(Inline::Code(code.to_string())));
                        }
                        return;
                    }
                }
                items.push(Item::Inline(Inline::Code(code.to_string())));
            }
            Event::InlineMath(tex) => {
                let span = self.span(range);
                items.push(Item::Inline(Inline::Math {
                    tex: tex.to_string(),
                    span,
                }));
            }
            Event::DisplayMath(tex) => {
                let span = self.span(range);
                items.push(Item::DisplayMath(tex.trim().to_string(), span));
            }
            Event::InlineHtml(h) | Event::Html(h) => {
                items.push(Item::Inline(Inline::Html(h.to_string())))
            }
            Event::SoftBreak => items.push(Item::Inline(Inline::SoftBreak)),
            Event::HardBreak => items.push(Item::Inline(Inline::HardBreak)),
            Event::Start(Tag::Emphasis) => {
                let inner = self.nested(TagEnd::Emphasis);
                items.push(Item::Inline(Inline::Emph(inner)));
            }
            Event::Start(Tag::Strong) => {
                self.inline_depth += 1;
                let inner = self.items(TagEnd::Strong);
                self.inline_depth -= 1;
                if let Err(inner) = self.slide_marked_math(items, inner) {
                    let inner = self.inlines_only(inner);
                    items.push(Item::Inline(Inline::Strong(inner)));
                }
            }
            Event::Start(Tag::Strikethrough) => {
                let inner = self.nested(TagEnd::Strikethrough);
                items.push(Item::Inline(Inline::Strike(inner)));
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                let span = Some(self.span(range));
                let content = self.nested(TagEnd::Link);
                items.push(Item::Inline(Inline::Link {
                    url: dest_url.to_string(),
                    content,
                    span,
                    target: None,
                }));
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                self.inline_depth += 1;
                let inner = self.items(TagEnd::Image);
                self.inline_depth -= 1;
                let caption = self.inlines_only(inner);
                items.push(Item::Image {
                    src: dest_url.to_string(),
                    caption,
                    span: self.span(range),
                });
            }
            Event::FootnoteReference(name) => push_text(items, &format!("[^{name}]")),
            _ => {}
        }
    }

    /// Slide marks around display math, `(**$$…$$**)` or `[**$$…$$**]`: they only choose
    /// what goes on slides, so the equations stay display equations (which a following
    /// `:eqlabel:` names). `items` ends with the text before the `**`, `inner` is what the
    /// `**` hold, and the next event is the text after them. Gives `inner` back if not.
    fn slide_marked_math(
        &mut self,
        items: &mut Vec<Item>,
        inner: Vec<Item>,
    ) -> Result<(), Vec<Item>> {
        let only_math = inner.iter().any(|i| matches!(i, Item::DisplayMath(..)))
            && inner.iter().all(|i| match i {
                Item::DisplayMath(..) | Item::Inline(Inline::SoftBreak) => true,
                Item::Inline(Inline::Text(t)) => t.trim().is_empty(),
                _ => false,
            });
        if !only_math {
            return Err(inner);
        }
        let Some(Item::Inline(Inline::Text(before))) = items.last_mut() else {
            return Err(inner);
        };
        let close = match before.chars().last() {
            Some('(') => ')',
            Some('[') => ']',
            _ => return Err(inner),
        };
        let Some((Event::Text(after), range)) = self.events.get_mut(self.pos) else {
            return Err(inner);
        };
        let Some(rest) = after.strip_prefix(close) else {
            return Err(inner);
        };
        *after = rest.to_string().into();
        range.start += 1;
        before.pop();
        if before.is_empty() {
            items.pop();
        }
        items.extend(
            inner
                .into_iter()
                .filter(|i| matches!(i, Item::DisplayMath(..))),
        );
        Ok(())
    }

    pub(super) fn nested(&mut self, until: TagEnd) -> Vec<Inline> {
        self.inline_depth += 1;
        let items = self.items(until);
        self.inline_depth -= 1;
        self.inlines_only(items)
    }

    /// Items → inlines; structural roles inside inline markup are out of place.
    pub(super) fn inlines_only(&mut self, items: Vec<Item>) -> Vec<Inline> {
        let mut out = Vec::new();
        for item in items {
            match item {
                Item::Inline(i) => out.push(i),
                Item::Role { name, arg, span } => match self.reference(&name, &arg, &span) {
                    Some(inline) => out.push(inline),
                    None => self.warn(format!("':{name}:' has nothing to attach to here"), &span),
                },
                Item::Image { src, caption, span } => out.push(Inline::Image {
                    alt: plain_text(&caption),
                    src,
                    span,
                }),
                Item::DisplayMath(tex, span) => out.push(Inline::Math { tex, span }),
            }
        }
        slide_marks(&mut out);
        out
    }

    /// The reference roles, as inlines.
    pub(super) fn reference(&mut self, name: &str, arg: &str, span: &Span) -> Option<Inline> {
        let kind = match name {
            "numref" => RefKind::Numref,
            "ref" => RefKind::Ref,
            "eqref" => RefKind::Eqref,
            "cite" | "citep" | "citet" => {
                let keys = roles::cite_keys(arg);
                if keys.is_empty() {
                    self.error(format!("':{name}:' without a cite key"), span);
                }
                return Some(Inline::Cite(Cite {
                    kind: if name == "citet" {
                        CiteKind::Text
                    } else {
                        CiteKind::Paren
                    },
                    shown: None,
                    keys,
                    span: span.clone(),
                }));
            }
            _ => return None,
        };
        let (text, label) = roles::split_explicit_title(arg);
        Some(Inline::Ref(Ref {
            kind,
            label,
            text,
            span: span.clone(),
            target: None,
        }))
    }
}

fn push_text(items: &mut Vec<Item>, text: &str) {
    if let Some(Item::Inline(Inline::Text(prev))) = items.last_mut() {
        prev.push_str(text);
    } else {
        items.push(Item::Inline(Inline::Text(text.to_string())));
    }
}

pub(super) fn trim_inlines(inlines: &mut Vec<Inline>) {
    while matches!(inlines.last(), Some(Inline::SoftBreak | Inline::HardBreak)) {
        inlines.pop();
    }
    while matches!(inlines.first(), Some(Inline::SoftBreak | Inline::HardBreak)) {
        inlines.remove(0);
    }
    if let Some(Inline::Text(t)) = inlines.last_mut() {
        let trimmed = t.trim_end().len();
        t.truncate(trimmed);
    }
    if let Some(Inline::Text(t)) = inlines.first_mut() {
        *t = t.trim_start().to_string();
    }
    inlines.retain(|i| !matches!(i, Inline::Text(t) if t.is_empty()));
}

/// Slide marks: `[**x**]` and `(**x**)` show as plain `x`; `[~~x~~]` and `(~~x~~)` vanish.
fn slide_marks(inlines: &mut Vec<Inline>) {
    let mut i = 0;
    while i + 2 < inlines.len() {
        let opens = matches!(&inlines[i], Inline::Text(t) if t.ends_with('[') || t.ends_with('('));
        let closes =
            matches!(&inlines[i + 2], Inline::Text(t) if t.starts_with(']') || t.starts_with(')'));
        let pair = match (&inlines[i], &inlines[i + 2]) {
            (Inline::Text(a), Inline::Text(b)) => {
                (a.ends_with('[') && b.starts_with(']')) || (a.ends_with('(') && b.starts_with(')'))
            }
            _ => false,
        };
        let inner = match &inlines[i + 1] {
            Inline::Strong(c) => Some(c.clone()),
            Inline::Strike(_) => Some(Vec::new()),
            _ => None,
        };
        match inner {
            Some(content) if opens && closes && pair => {
                if let Inline::Text(a) = &mut inlines[i] {
                    a.pop();
                }
                if let Inline::Text(b) = &mut inlines[i + 2] {
                    b.remove(0);
                }
                inlines.splice(i + 1..i + 2, content);
            }
            _ => {}
        }
        i += 1;
    }
    // Rejoin texts the marks split, so later passes see whole words.
    let mut merged: Vec<Inline> = Vec::with_capacity(inlines.len());
    for inline in inlines.drain(..) {
        match (merged.last_mut(), inline) {
            (Some(Inline::Text(prev)), Inline::Text(next)) => prev.push_str(&next),
            (_, inline) => merged.push(inline),
        }
    }
    merged.retain(|i| !matches!(i, Inline::Text(t) if t.is_empty()));
    *inlines = merged;
}
