#!/usr/bin/env python3
"""Writes a synthetic d2lbook book for benchmarks: CHAPTERS x SECTIONS sections, each with
EQUATIONS equations (distinct TeX, a third of them display and labelled and referenced),
prose, a figure, a table, a listing and citations.

usage: gen_book.py DIR [sections=200] [equations_per_section=25]
"""
import os
import sys

out = sys.argv[1]
sections = int(sys.argv[2]) if len(sys.argv) > 2 else 200
per_section = int(sys.argv[3]) if len(sys.argv) > 3 else 25
chapters = 10
per_chapter = sections // chapters

os.makedirs(os.path.join(out, "src", "img"), exist_ok=True)
with open(os.path.join(out, "book.toml"), "w") as f:
    f.write('[book]\ntitle = "Benchmark"\nsrc = "src"\nbibliography = "src/refs.bib"\n'
            '[eval]\nenabled = false\n')
with open(os.path.join(out, "src", "refs.bib"), "w") as f:
    for i in range(20):
        f.write(f"@article{{Author{i}.2000,\n  author = {{Author, A{i} and Writer, B}},\n"
                f"  title = {{A study number {i}}},\n  journal = {{Journal}},\n  year = {{{2000 + i}}}\n}}\n\n")
with open(os.path.join(out, "src", "img", "dot.svg"), "w") as f:
    f.write('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><circle cx="20" cy="20" r="10"/></svg>')

chapter_names = [f"ch{c}" for c in range(chapters)]
with open(os.path.join(out, "src", "index.md"), "w") as f:
    f.write("# Benchmark\n\n```toc\n:numbered:\n:maxdepth: 2\n\n")
    f.write("\n".join(f"{c}/index" for c in chapter_names))
    f.write("\n```\n\n```toc\nreferences\n```\n")
with open(os.path.join(out, "src", "references.md"), "w") as f:
    f.write("# References\n\n:bibliography:`refs.bib`\n")

n = 0
for c, name in enumerate(chapter_names):
    os.makedirs(os.path.join(out, "src", name), exist_ok=True)
    with open(os.path.join(out, "src", name, "index.md"), "w") as f:
        f.write(f"# Chapter {c}\n:label:`chap_{c}`\n\n```toc\n:maxdepth: 2\n\n")
        f.write("\n".join(f"s{s}" for s in range(per_chapter)))
        f.write("\n```\n")
    for s in range(per_chapter):
        n += 1
        lines = [f"# Section {c}.{s}\n:label:`sec_{c}_{s}`\n",
                 f"Prose of section {n} cites :cite:`Author{n % 20}.2000` and points to "
                 f":numref:`sec_{(c + 1) % chapters}_{s}`.\n",
                 f"![A figure with $x_{{{n}}}$](../img/dot.svg)\n:label:`fig_{n}`\n",
                 f":Table {n}\n:label:`tab_{n}`\n\n|a|b|\n|-|-|\n|{n}|{n + 1}|\n"]
        for e in range(per_section):
            k = n * 1000 + e
            if e % 3 == 0:
                lines.append(f"## Part {e}\n\n$$\\mathbf{{w}}_{{{k}}} = \\sum_{{i=1}}^{{{k}}} "
                             f"\\frac{{\\partial \\mathcal{{L}}}}{{\\partial x_i}} + {k}$$\n"
                             f":eqlabel:`eq_{k}`\n\nSee :eqref:`eq_{k}` and :numref:`fig_{n}`.\n")
            else:
                lines.append(f"Inline $\\alpha_{{{k}}} \\le \\sqrt{{{k}}}$ in a sentence of text.\n")
        lines.append("```rust\nfn main() {\n    println!(\"hello\");\n}\n```\n")
        with open(os.path.join(out, "src", name, f"s{s}.md"), "w") as f:
            f.write("\n".join(lines))
print(f"wrote {n} sections with {n * per_section} equations into {out}")
