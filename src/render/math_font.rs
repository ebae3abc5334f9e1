//! The site's math font: New Computer Modern Math (from typst-assets), cut down to the
//! glyphs the book's math can draw and packed as WOFF2. The whole font is a 1.3 MB OTF;
//! a book's cut is a few dozen KB.
//!
//! A browser draws MathML with more glyphs than its text names: a one-letter `<mi>` in
//! its math italic form, the radical sign of `<msqrt>`, and the bigger variants and the
//! pieces of a stretched delimiter or a display-size operator, which the font's MATH
//! table lists. The cut keeps those, and the MATH table rewritten for the new glyph
//! numbers: without it browsers neither stretch delimiters nor place scripts and
//! fractions by the font's constants. Glyph substitutions (GSUB) and positioning (GPOS)
//! are left out: MathML in browsers draws without them.

use std::collections::{BTreeMap, BTreeSet};
use write_fonts::read::{FontRef, TableProvider};
use write_fonts::types::{GlyphId, Tag};

/// Where the site serves the font (`theme/d2lbook.css` loads it from there).
pub const PATH: &str = "theme/fonts/NewCMMath-Regular.woff2";

/// The characters that the MathML of `equations` may draw with the math font: the text
/// of its elements, the math italic form of each letter (a one-letter `<mi>` is drawn
/// in it) and the radical sign when there is a root. Characters the font lacks are
/// dropped later.
pub fn characters<'a>(equations: impl IntoIterator<Item = &'a str>) -> BTreeSet<char> {
    let mut chars = BTreeSet::new();
    for mathml in equations {
        if mathml.contains("<msqrt") || mathml.contains("<mroot") {
            chars.insert('\u{221A}');
        }
        text_of(mathml, &mut chars);
    }
    let italics: Vec<char> = chars.iter().filter_map(|&c| math_italic(c)).collect();
    chars.extend(italics);
    chars
}

/// The characters of the text between the tags of `markup`, entities decoded.
fn text_of(markup: &str, chars: &mut BTreeSet<char>) {
    let mut pieces = markup.split('<');
    let first = pieces.next().unwrap_or_default();
    // Each piece after the first starts inside a tag.
    let texts = pieces.map(|piece| piece.split_once('>').map_or("", |(_, text)| text));
    for text in std::iter::once(first).chain(texts) {
        chars.extend(super::escape::unescape(text).chars());
    }
}

/// The math italic form that MathML Core's `text-transform: math-auto` gives `c`.
fn math_italic(c: char) -> Option<char> {
    let code = match c {
        'h' => 0x210E,
        'A'..='Z' => 0x1D434 + (c as u32 - 'A' as u32),
        'a'..='z' => 0x1D44E + (c as u32 - 'a' as u32),
        'ı' => 0x1D6A4,
        'ȷ' => 0x1D6A5,
        'Α'..='Ω' => 0x1D6E2 + (c as u32 - 'Α' as u32),
        '∇' => 0x1D6FB,
        'α'..='ω' => 0x1D6FC + (c as u32 - 'α' as u32),
        '∂' => 0x1D715,
        'ϵ' => 0x1D716,
        'ϑ' => 0x1D717,
        'ϰ' => 0x1D718,
        'ϕ' => 0x1D719,
        'ϱ' => 0x1D71A,
        'ϖ' => 0x1D71B,
        _ => return None,
    };
    char::from_u32(code)
}

/// The WOFF2 of New Computer Modern Math cut to `chars`.
pub fn woff2(chars: &BTreeSet<char>) -> Result<Vec<u8>, String> {
    let font = new_cm_math().ok_or("New Computer Modern Math is not among typst's fonts")?;
    let cut = subset(font, chars)?;
    ttf2woff2::encode(&cut, ttf2woff2::BrotliQuality::default())
        .map_err(|e| format!("cannot pack the math font as WOFF2: {e}"))
}

/// New Computer Modern Math, regular weight, as typst-assets ships it.
fn new_cm_math() -> Option<&'static [u8]> {
    typst_assets::fonts().find(|data| {
        typst::text::FontInfo::iter(data).any(|info| {
            info.family == "New Computer Modern Math" && info.variant.weight.to_number() == 400
        })
    })
}

/// `font` (OpenType with CFF outlines) with the glyphs of `chars` and those its MATH
/// table draws them with, renumbered in their old order; its cmap, OS/2 and MATH tables
/// follow.
fn subset(font: &[u8], chars: &BTreeSet<char>) -> Result<Vec<u8>, String> {
    let bad = |e: &dyn std::fmt::Display| format!("cannot read the math font: {e}");
    let face = FontRef::new(font).map_err(|e| bad(&e))?;
    let cmap = face.cmap().map_err(|e| bad(&e))?;
    let mapped: Vec<(char, u16)> = chars
        .iter()
        .filter_map(|&c| {
            let gid = u16::try_from(cmap.map_codepoint(c)?.to_u32()).ok()?;
            (gid != 0).then_some((c, gid))
        })
        .collect();
    let mut glyphs: BTreeSet<u16> = mapped.iter().map(|&(_, g)| g).collect();
    glyphs.insert(0);
    let math = match face.table_data(Tag::new(b"MATH")) {
        Some(data) => Some(Math::read(data.as_bytes()).map_err(|e| bad(&e))?),
        None => None,
    };
    if let Some(math) = &math {
        math.close_over(&mut glyphs);
    }
    let order: Vec<u16> = glyphs.into_iter().collect();
    let remapper = subsetter::GlyphRemapper::new_from_glyphs_sorted(&order);
    let new_id = |old: u16| remapper.get(old);
    let cut = subsetter::subset(font, 0, &remapper)
        .map_err(|e| format!("cannot cut the math font: {e:?}"))?;

    let cut_face = FontRef::new(&cut).map_err(|e| bad(&e))?;
    let mut builder = write_fonts::FontBuilder::new();
    for record in cut_face.table_directory.table_records() {
        if let Some(data) = cut_face.table_data(record.tag()) {
            builder.add_raw(record.tag(), data.as_bytes().to_vec());
        }
    }
    let new_cmap = write_fonts::tables::cmap::Cmap::from_mappings(
        mapped
            .iter()
            .filter_map(|&(c, old)| Some((c, GlyphId::new(new_id(old)?.into())))),
    )
    .map_err(|e| format!("cannot map the math font's characters: {e}"))?;
    let new_cmap = write_fonts::dump_table(&new_cmap).map_err(|e| bad(&e))?;
    builder.add_raw(Tag::new(b"cmap"), new_cmap);
    // Browsers refuse a font without OS/2; its values hold for the cut too.
    if let Some(os2) = face.table_data(Tag::new(b"OS/2")) {
        builder.add_raw(Tag::new(b"OS/2"), os2.as_bytes().to_vec());
    }
    if let Some(math) = &math {
        builder.add_raw(Tag::new(b"MATH"), math.write(&new_id)?);
    }
    Ok(builder.build())
}

/// The parts of a MATH table that name glyphs, read into lists by glyph (each list in
/// its coverage order), and its constants as they are. A value record keeps its value;
/// device tables (adjustments at given pixel sizes) are dropped.
#[derive(Debug, PartialEq)]
struct Math {
    constants: Vec<u8>,
    italics: Vec<(u16, u16)>,
    top_accents: Vec<(u16, u16)>,
    extended_shapes: Vec<u16>,
    kerns: Vec<(u16, Corners)>,
    min_connector_overlap: u16,
    vertical: Vec<(u16, Construction)>,
    horizontal: Vec<(u16, Construction)>,
}

/// A glyph's kern tables (top right, top left, bottom right, bottom left), as they are.
type Corners = [Option<Vec<u8>>; 4];

#[derive(Debug, PartialEq)]
struct Construction {
    /// The italics correction and the parts (glyph, then four more fields as they are).
    assembly: Option<(u16, Vec<[u16; 5]>)>,
    /// Each variant glyph and its advance.
    variants: Vec<(u16, u16)>,
}

/// MathConstants: four 16-bit fields, 51 value records, one 16-bit field.
const CONSTANTS_LEN: usize = 4 * 2 + 51 * 4 + 2;

/// A big-endian reader of a table's bytes, every read checked.
#[derive(Clone, Copy)]
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn u16(self, at: usize) -> Result<u16, String> {
        match self.0.get(at..at + 2) {
            Some(b) => Ok(u16::from_be_bytes([b[0], b[1]])),
            None => Err(format!("MATH table cut short at byte {at}")),
        }
    }

    /// The subtable at the 16-bit offset stored at `at`; `None` for a null offset.
    fn sub(self, at: usize) -> Result<Option<Bytes<'a>>, String> {
        match usize::from(self.u16(at)?) {
            0 => Ok(None),
            offset => match self.0.get(offset..) {
                Some(rest) => Ok(Some(Bytes(rest))),
                None => Err(format!("MATH table offset {offset} out of range")),
            },
        }
    }

    fn slice(self, len: usize) -> Result<Vec<u8>, String> {
        self.0
            .get(..len)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| "MATH table cut short".to_string())
    }

    /// A coverage table: its glyphs in coverage-index order.
    fn coverage(self) -> Result<Vec<u16>, String> {
        let count = usize::from(self.u16(2)?);
        match self.u16(0)? {
            1 => (0..count).map(|i| self.u16(4 + 2 * i)).collect(),
            2 => {
                let mut indexed = BTreeMap::new();
                for r in 0..count {
                    let at = 4 + 6 * r;
                    let (start, end, first) = (self.u16(at)?, self.u16(at + 2)?, self.u16(at + 4)?);
                    for (k, glyph) in (start..=end).enumerate() {
                        indexed.insert(usize::from(first) + k, glyph);
                    }
                }
                Ok(indexed.into_values().collect())
            }
            other => Err(format!("unknown coverage format {other}")),
        }
    }

    /// A table of a coverage (offset at 0), a count (at 2) and 4-byte records after:
    /// each covered glyph with the first two bytes of its record.
    fn values_by_glyph(self) -> Result<Vec<(u16, u16)>, String> {
        let glyphs = match self.sub(0)? {
            Some(coverage) => coverage.coverage()?,
            None => Vec::new(),
        };
        let count = usize::from(self.u16(2)?).min(glyphs.len());
        (0..count)
            .map(|i| Ok((glyphs[i], self.u16(4 + 4 * i)?)))
            .collect()
    }
}

impl Math {
    fn read(data: &[u8]) -> Result<Math, String> {
        let math = Bytes(data);
        let constants = match math.sub(4)? {
            Some(c) => {
                let mut bytes = c.slice(CONSTANTS_LEN)?;
                for k in 0..51 {
                    let device = 8 + 4 * k + 2;
                    bytes[device..device + 2].fill(0);
                }
                bytes
            }
            None => vec![0; CONSTANTS_LEN],
        };
        let mut parsed = Math {
            constants,
            italics: Vec::new(),
            top_accents: Vec::new(),
            extended_shapes: Vec::new(),
            kerns: Vec::new(),
            min_connector_overlap: 0,
            vertical: Vec::new(),
            horizontal: Vec::new(),
        };
        if let Some(info) = math.sub(6)? {
            if let Some(t) = info.sub(0)? {
                parsed.italics = t.values_by_glyph()?;
            }
            if let Some(t) = info.sub(2)? {
                parsed.top_accents = t.values_by_glyph()?;
            }
            if let Some(c) = info.sub(4)? {
                parsed.extended_shapes = c.coverage()?;
            }
            if let Some(kern_info) = info.sub(6)? {
                parsed.kerns = read_kerns(kern_info)?;
            }
        }
        if let Some(variants) = math.sub(8)? {
            parsed.min_connector_overlap = variants.u16(0)?;
            let vertical = cover(variants.sub(2)?)?;
            let horizontal = cover(variants.sub(4)?)?;
            let (v_count, h_count) = (variants.u16(6)?, variants.u16(8)?);
            let read_all = |glyphs: Vec<u16>, count: u16, first: usize| {
                glyphs
                    .into_iter()
                    .take(usize::from(count))
                    .enumerate()
                    .filter_map(|(i, glyph)| match variants.sub(first + 2 * i) {
                        Ok(Some(c)) => Some(read_construction(c).map(|c| (glyph, c))),
                        Ok(None) => None,
                        Err(e) => Some(Err(e)),
                    })
                    .collect::<Result<Vec<_>, String>>()
            };
            parsed.vertical = read_all(vertical, v_count, 10)?;
            parsed.horizontal = read_all(horizontal, h_count, 10 + 2 * usize::from(v_count))?;
        }
        Ok(parsed)
    }

    /// Adds to `glyphs` the variants and assembly parts of the glyphs in it.
    fn close_over(&self, glyphs: &mut BTreeSet<u16>) {
        let constructions: BTreeMap<u16, Vec<&Construction>> = self
            .vertical
            .iter()
            .chain(&self.horizontal)
            .fold(BTreeMap::new(), |mut by_glyph, (glyph, construction)| {
                by_glyph.entry(*glyph).or_default().push(construction);
                by_glyph
            });
        let mut todo: Vec<u16> = glyphs.iter().copied().collect();
        while let Some(glyph) = todo.pop() {
            for construction in constructions.get(&glyph).into_iter().flatten() {
                let variants = construction.variants.iter().map(|&(g, _)| g);
                let parts = construction
                    .assembly
                    .iter()
                    .flat_map(|(_, parts)| parts.iter().map(|p| p[0]));
                for more in variants.chain(parts) {
                    if glyphs.insert(more) {
                        todo.push(more);
                    }
                }
            }
        }
    }

    /// The table for the glyphs that `new_id` numbers anew (the others are dropped).
    fn write(&self, new_id: &dyn Fn(u16) -> Option<u16>) -> Result<Vec<u8>, String> {
        let keep_values = |list: &[(u16, u16)]| -> Vec<(u16, u16)> {
            list.iter()
                .filter_map(|&(g, v)| Some((new_id(g)?, v)))
                .collect()
        };
        let values_table = |list: Vec<(u16, u16)>| -> Result<Vec<u8>, String> {
            let glyphs: Vec<u16> = list.iter().map(|&(g, _)| g).collect();
            let mut head = vec![0u8; 4];
            put(&mut head, 2, len16(list.len())?);
            for (_, value) in &list {
                head.extend(value.to_be_bytes());
                head.extend([0, 0]);
            }
            assemble(head, vec![(0, Some(coverage(&glyphs)?))])
        };
        let mut kerns: Vec<(u16, &Corners)> = self
            .kerns
            .iter()
            .filter_map(|(g, k)| Some((new_id(*g)?, k)))
            .collect();
        kerns.sort_by_key(|&(g, _)| g);
        let kern_glyphs: Vec<u16> = kerns.iter().map(|&(g, _)| g).collect();
        let mut kern_head = vec![0u8; 4 + 8 * kerns.len()];
        put(&mut kern_head, 2, len16(kerns.len())?);
        let mut kern_children = vec![(0, Some(coverage(&kern_glyphs)?))];
        for (i, (_, tables)) in kerns.iter().enumerate() {
            for (corner, table) in tables.iter().enumerate() {
                kern_children.push((4 + 8 * i + 2 * corner, table.clone()));
            }
        }
        let mut extended: Vec<u16> = self
            .extended_shapes
            .iter()
            .filter_map(|&g| new_id(g))
            .collect();
        extended.sort_unstable();
        let mut italics = keep_values(&self.italics);
        italics.sort_unstable();
        let mut accents = keep_values(&self.top_accents);
        accents.sort_unstable();
        let glyph_info = assemble(
            vec![0u8; 8],
            vec![
                (0, Some(values_table(italics)?)),
                (2, Some(values_table(accents)?)),
                (4, Some(coverage(&extended)?)),
                (6, Some(assemble(kern_head, kern_children)?)),
            ],
        )?;
        let variants = self.write_variants(new_id)?;
        assemble(
            vec![0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
            vec![
                (4, Some(self.constants.clone())),
                (6, Some(glyph_info)),
                (8, Some(variants)),
            ],
        )
    }

    fn write_variants(&self, new_id: &dyn Fn(u16) -> Option<u16>) -> Result<Vec<u8>, String> {
        let kept = |list: &[(u16, Construction)]| -> Result<Vec<(u16, Vec<u8>)>, String> {
            let mut kept = Vec::new();
            for (glyph, construction) in list {
                if let Some(glyph) = new_id(*glyph) {
                    kept.push((glyph, write_construction(construction, new_id)?));
                }
            }
            kept.sort_by_key(|(g, _)| *g);
            Ok(kept)
        };
        let (vertical, horizontal) = (kept(&self.vertical)?, kept(&self.horizontal)?);
        let mut head = vec![0u8; 10 + 2 * (vertical.len() + horizontal.len())];
        put(&mut head, 0, self.min_connector_overlap);
        put(&mut head, 6, len16(vertical.len())?);
        put(&mut head, 8, len16(horizontal.len())?);
        let glyphs = |list: &[(u16, Vec<u8>)]| list.iter().map(|(g, _)| *g).collect::<Vec<_>>();
        let mut children = vec![
            (2, Some(coverage(&glyphs(&vertical))?)),
            (4, Some(coverage(&glyphs(&horizontal))?)),
        ];
        for (i, (_, table)) in vertical.into_iter().chain(horizontal).enumerate() {
            children.push((10 + 2 * i, Some(table)));
        }
        assemble(head, children)
    }
}

fn cover(table: Option<Bytes>) -> Result<Vec<u16>, String> {
    table.map_or(Ok(Vec::new()), Bytes::coverage)
}

fn read_kerns(info: Bytes) -> Result<Vec<(u16, Corners)>, String> {
    let glyphs = cover(info.sub(0)?)?;
    let count = usize::from(info.u16(2)?).min(glyphs.len());
    let mut kerns = Vec::with_capacity(count);
    for (i, &glyph) in glyphs.iter().enumerate().take(count) {
        let mut tables: Corners = Default::default();
        for (corner, table) in tables.iter_mut().enumerate() {
            if let Some(kern) = info.sub(4 + 8 * i + 2 * corner)? {
                // A height count, then that many heights and one more kern values.
                let heights = usize::from(kern.u16(0)?);
                let mut bytes = kern.slice(2 + 4 * (2 * heights + 1))?;
                for k in 0..2 * heights + 1 {
                    let device = 2 + 4 * k + 2;
                    bytes[device..device + 2].fill(0);
                }
                *table = Some(bytes);
            }
        }
        kerns.push((glyph, tables));
    }
    Ok(kerns)
}

fn read_construction(table: Bytes) -> Result<Construction, String> {
    let assembly = match table.sub(0)? {
        Some(a) => {
            let parts = (0..usize::from(a.u16(4)?))
                .map(|p| {
                    let at = 6 + 10 * p;
                    Ok([
                        a.u16(at)?,
                        a.u16(at + 2)?,
                        a.u16(at + 4)?,
                        a.u16(at + 6)?,
                        a.u16(at + 8)?,
                    ])
                })
                .collect::<Result<Vec<_>, String>>()?;
            Some((a.u16(0)?, parts))
        }
        None => None,
    };
    let variants = (0..usize::from(table.u16(2)?))
        .map(|v| Ok((table.u16(4 + 4 * v)?, table.u16(6 + 4 * v)?)))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Construction { assembly, variants })
}

fn write_construction(
    construction: &Construction,
    new_id: &dyn Fn(u16) -> Option<u16>,
) -> Result<Vec<u8>, String> {
    let missing = |g: u16| format!("the math font's glyph {g} was left out of its cut");
    let renumber = |g: u16| new_id(g).ok_or_else(|| missing(g));
    let mut head = vec![0u8; 4];
    put(&mut head, 2, len16(construction.variants.len())?);
    for &(glyph, advance) in &construction.variants {
        head.extend(renumber(glyph)?.to_be_bytes());
        head.extend(advance.to_be_bytes());
    }
    let assembly = match &construction.assembly {
        Some((italics, parts)) => {
            let mut bytes = Vec::with_capacity(6 + 10 * parts.len());
            bytes.extend(italics.to_be_bytes());
            bytes.extend([0, 0]);
            bytes.extend(len16(parts.len())?.to_be_bytes());
            for part in parts {
                bytes.extend(renumber(part[0])?.to_be_bytes());
                for field in &part[1..] {
                    bytes.extend(field.to_be_bytes());
                }
            }
            Some(bytes)
        }
        None => None,
    };
    assemble(head, vec![(0, assembly)])
}

/// A coverage table (format 1) of `glyphs`, which are in ascending order.
fn coverage(glyphs: &[u16]) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(4 + 2 * glyphs.len());
    bytes.extend(1u16.to_be_bytes());
    bytes.extend(len16(glyphs.len())?.to_be_bytes());
    for glyph in glyphs {
        bytes.extend(glyph.to_be_bytes());
    }
    Ok(bytes)
}

/// A table: `head`, then each child, its 16-bit offset from the table's start written at
/// the child's position in `head` (a missing child keeps a null offset).
fn assemble(mut head: Vec<u8>, children: Vec<(usize, Option<Vec<u8>>)>) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    for (at, child) in children {
        if let Some(child) = child {
            let offset = u16::try_from(head.len() + body.len())
                .map_err(|_| "the cut MATH table outgrows its 16-bit offsets".to_string())?;
            put(&mut head, at, offset);
            body.extend(child);
        }
    }
    head.extend(body);
    Ok(head)
}

fn put(bytes: &mut [u8], at: usize, value: u16) {
    bytes[at..at + 2].copy_from_slice(&value.to_be_bytes());
}

fn len16(len: usize) -> Result<u16, String> {
    u16::try_from(len).map_err(|_| "a MATH table list outgrows 65535 entries".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_chars() -> BTreeSet<char> {
        characters([
            r#"<math><mrow><mo fence="true">(</mo><mi>x</mi><mo>+</mo><mn>1</mn><mo fence="true">)</mo></mrow></math>"#,
            "<math><msqrt><mi>α</mi></msqrt><mo>&lt;</mo><mo>∑</mo><mi>日</mi></math>",
        ])
    }

    #[test]
    fn characters_are_the_text_with_italics_and_the_radical() {
        let chars = sample_chars();
        for c in ['(', 'x', '𝑥', '+', '1', ')', '√', 'α', '𝛼', '<', '∑', '日'] {
            assert!(chars.contains(&c), "{c} missing from {chars:?}");
        }
        // Tag and attribute names are not text.
        for c in ['m', 'f', '=', '"'] {
            assert!(!chars.contains(&c), "{c} in {chars:?}");
        }
        assert_eq!(math_italic('h'), Some('ℎ'));
    }

    #[test]
    fn the_cut_keeps_the_math_table_for_its_glyphs() {
        let font = new_cm_math().unwrap();
        let full = Math::read(
            FontRef::new(font)
                .unwrap()
                .table_data(Tag::new(b"MATH"))
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
        let cut = subset(font, &sample_chars()).unwrap();
        assert!(
            cut.len() * 10 < font.len(),
            "{} of {}",
            cut.len(),
            font.len()
        );
        let face = FontRef::new(&cut).unwrap();
        let glyphs = face.maxp().unwrap().num_glyphs();
        let cmap = face.cmap().unwrap();
        let paren = cmap.map_codepoint('(').unwrap().to_u32() as u16;
        assert!(cmap.map_codepoint('𝑥').is_some());
        assert!(cmap.map_codepoint('z').is_none(), "z was not asked for");
        let math = Math::read(face.table_data(Tag::new(b"MATH")).unwrap().as_bytes()).unwrap();
        assert_eq!(math.constants, full.constants);
        // `(` stretches: its variants and assembly parts came along, renumbered.
        let (_, construction) = math.vertical.iter().find(|(g, _)| *g == paren).unwrap();
        assert!(construction.variants.len() > 3);
        assert!(construction.assembly.is_some());
        let named = math.vertical.iter().flat_map(|(_, c)| {
            c.variants
                .iter()
                .map(|v| v.0)
                .chain(c.assembly.iter().flat_map(|(_, p)| p.iter().map(|p| p[0])))
        });
        for glyph in named {
            assert!(glyph < glyphs, "glyph {glyph} of {glyphs}");
        }
        assert!(!math.italics.is_empty());
        // Written again, the cut table reads back the same.
        let again = Math::read(&math.write(&Some).unwrap()).unwrap();
        assert_eq!(again, math);
    }

    #[test]
    fn a_cut_table_refuses_offsets_it_cannot_hold() {
        let big = vec![0u8; 70_000];
        let err = assemble(vec![0; 4], vec![(0, Some(big)), (2, Some(vec![1]))]).unwrap_err();
        assert!(err.contains("16-bit"), "{err}");
    }

    #[test]
    fn a_truncated_math_table_is_an_error_not_a_panic() {
        let font = new_cm_math().unwrap();
        let data = FontRef::new(font)
            .unwrap()
            .table_data(Tag::new(b"MATH"))
            .unwrap();
        for len in [0, 3, 9, 300, data.len() / 2] {
            assert!(Math::read(&data.as_bytes()[..len]).is_err(), "{len}");
        }
    }
}
