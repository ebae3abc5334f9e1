#!/usr/bin/env python3
"""Writes a synthetic mdBook book, shaped like a Rust programming book, for benchmarks:
PARTS parts of top-level chapters, each with sub-chapters (110 chapter files by default,
about 180,000 words), and Rust listings in a `listings/` folder included from the
chapters (about 600) with `{{#include}}` (whole file, line ranges, anchors) and
`{{#rustdoc_include}}`, plus inline Rust blocks with `# `-hidden lines. The same folder
builds with `mdbook build` and `d2lbook build html`.

usage: gen_mdbook.py DIR [files=110] [words=180000] [listings=600]
"""
import os
import random
import sys

out = sys.argv[1]
files = int(sys.argv[2]) if len(sys.argv) > 2 else 110
words = int(sys.argv[3]) if len(sys.argv) > 3 else 180_000
listings = int(sys.argv[4]) if len(sys.argv) > 4 else 600

rng = random.Random(7)
VOCABULARY = (
    "the a of to in is that it for as with on be by this are value type owner borrow "
    "reference lifetime trait generic function closure iterator vector string slice "
    "module crate compiler error result option match pattern struct enum method field "
    "thread channel lock memory heap stack pointer box macro test cargo build program "
    "variable mutable immutable scope move copy clone drop panic unwrap return call "
    "example listing chapter code line runs prints shows because when where which each"
).split()

SUBS = 4  # sub-chapters per chapter
chapters = max(1, files // (SUBS + 1))
per_file_words = words // files
per_file_listings = listings / files


def sentence():
    n = rng.randint(8, 18)
    text = " ".join(rng.choice(VOCABULARY) for _ in range(n))
    return text[0].upper() + text[1:] + "."


def paragraph(target):
    out, count = [], 0
    while count < target:
        s = sentence()
        out.append(s)
        count += len(s.split())
    return " ".join(out), count


def listing(path, k):
    """A small program with anchors; returns its line count."""
    lines = [
        "use std::collections::HashMap;",
        "",
        "// ANCHOR: types",
        f"#[derive(Debug, Clone)]",
        f"struct Item{k} {{",
        "    name: String,",
        f"    count: u{rng.choice([8, 16, 32, 64])},",
        "}",
        "// ANCHOR_END: types",
        "",
        "// ANCHOR: logic",
        f"fn tally{k}(items: &[Item{k}]) -> HashMap<String, u64> {{",
        "    let mut totals = HashMap::new();",
        "    for item in items {",
        "        *totals.entry(item.name.clone()).or_insert(0) += item.count as u64;",
        "    }",
        "    totals",
        "}",
        "// ANCHOR_END: logic",
        "",
        "fn main() {",
        f"    let items = vec![Item{k} {{ name: \"a\".into(), count: {k % 200} }}];",
        f"    println!(\"{{:?}}\", tally{k}(&items));",
        "}",
    ]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


src = os.path.join(out, "src")
os.makedirs(src, exist_ok=True)
with open(os.path.join(out, "book.toml"), "w") as f:
    f.write('[book]\ntitle = "The Generated Rust Book"\nauthors = ["Bench"]\n'
            'language = "en"\nsrc = "src"\n\n[rust]\nedition = "2021"\n\n'
            '[output.html]\ngit-repository-url = "https://example.com/book"\n')

summary = ["# Summary", "", "[Foreword](foreword.md)", ""]
written_words = 0
written_listings = 0
listing_budget = 0.0
parts = ["Basics", "Ownership", "Types", "Concurrency", "Projects"]


def chapter_file(rel, title, number):
    global written_words, written_listings, listing_budget
    body = [f"# {title}", ""]
    listing_budget += per_file_listings
    n_listings = int(listing_budget) - written_listings
    target = per_file_words
    sections = max(1, n_listings)
    for s in range(sections):
        body.append(f"## {title}: part {s + 1}")
        body.append("")
        text, count = paragraph(target // sections // 2)
        written_words += count
        body += [text, ""]
        if s < n_listings:
            k = written_listings
            written_listings += 1
            name = f"listings/ch{number:02d}/listing-{k:04d}/src/main.rs"
            listing(os.path.join(src, name), k)
            depth = rel.count("/")
            path = "../" * depth + name
            kind = k % 4
            if kind == 0:
                directive = f"{{{{#include {path}}}}}"
            elif kind == 1:
                directive = f"{{{{#include {path}:logic}}}}"
            elif kind == 2:
                directive = f"{{{{#include {path}:5:8}}}}"
            else:
                directive = f"{{{{#rustdoc_include {path}:logic}}}}"
            body += [f"Listing {k} shows it:", "", "```rust", directive, "```", ""]
        text, count = paragraph(target // sections // 2)
        written_words += count
        body += [text, ""]
    body += ["```rust", "# fn main() {", "let x = 5;", "# println!(\"{x}\");", "# }", "```", ""]
    path = os.path.join(src, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(body))


with open(os.path.join(src, "foreword.md"), "w") as f:
    f.write("# Foreword\n\n" + paragraph(200)[0] + "\n")
per_part = -(-chapters // len(parts))
for c in range(chapters):
    if c % per_part == 0:
        summary += [f"# {parts[c // per_part % len(parts)]}", ""]
    number = c + 1
    rel = f"ch{number:02d}-00-chapter.md"
    title = f"Chapter {number}"
    summary.append(f"- [{title}]({rel})")
    chapter_file(rel, title, number)
    for s in range(SUBS):
        sub = f"ch{number:02d}/section-{s + 1:02d}.md"
        sub_title = f"Topic {number}.{s + 1}"
        summary.append(f"    - [{sub_title}]({sub})")
        chapter_file(sub, sub_title, number)
summary += ["", "[Appendix](appendix.md)", ""]
with open(os.path.join(src, "appendix.md"), "w") as f:
    f.write("# Appendix\n\n" + paragraph(200)[0] + "\n")
with open(os.path.join(src, "SUMMARY.md"), "w") as f:
    f.write("\n".join(summary))
print(f"{out}: {chapters * (SUBS + 1) + 2} chapter files, ~{written_words} words, "
      f"{written_listings} included listings")
