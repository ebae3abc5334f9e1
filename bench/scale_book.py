#!/usr/bin/env python3
"""Writes a longer copy of a book with cells, for measuring what a real book costs: the
numbered chapters (those of a `:numbered:` toc block in the root index) appear COPIES
times, each copy's labels renamed (`sec_x` -> `sec_x_r2`, ...) wherever they are defined
or referred to inside the copied chapters. The copies' cells are the same code, but a
cache key includes where the code sits, so the first build runs them all (about 2.5
minutes for the sample book copied 8 times); later builds take them from the cache.

usage: python3 bench/scale_book.py SRC_BOOK DST COPIES
e.g.   python3 bench/scale_book.py . /tmp/sample8 8   (the sample book, about 8 x 100 pages)
"""
import os
import re
import shutil
import sys

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

ROLE = re.compile(r":(label|eqlabel|numref|eqref|ref):`([^`]+)`")


def source_folder(book):
    if tomllib is None:
        return "chapters"
    with open(os.path.join(book, "book.toml"), "rb") as f:
        return tomllib.load(f).get("book", {}).get("src", "src")


def numbered_chapters(index_text):
    """The entries of the `:numbered:` toc blocks, in order."""
    entries = []
    for block in re.findall(r"```toc\n(.*?)```", index_text, re.S):
        if ":numbered:" not in block:
            continue
        entries += [l.strip() for l in block.splitlines() if l.strip() and not l.strip().startswith(":")]
    return entries


def markdown_files(folder):
    for root, _, files in os.walk(folder):
        for name in files:
            if name.endswith(".md"):
                yield os.path.join(root, name)


def defined_labels(folder):
    labels = set()
    for path in markdown_files(folder):
        with open(path, encoding="utf-8") as f:
            for role, target in ROLE.findall(f.read()):
                if role in ("label", "eqlabel"):
                    labels.add(target.strip())
    return labels


def rename(text, labels, suffix):
    def one(m):
        role, target = m.group(1), m.group(2)
        # `:ref:` may carry its own text: ``text <label>``.
        inner = re.match(r"(.*<)([^<>]+)(>)$", target)
        if inner and inner.group(2) in labels:
            return f":{role}:`{inner.group(1)}{inner.group(2)}{suffix}{inner.group(3)}`"
        if target.strip() in labels:
            return f":{role}:`{target.strip()}{suffix}`"
        return m.group(0)

    return ROLE.sub(one, text)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, dst, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if os.path.exists(dst):
        sys.exit(f"{dst} exists")
    chapters = source_folder(src)
    shutil.copytree(os.path.join(src, chapters), os.path.join(dst, chapters))
    shutil.copy(os.path.join(src, "book.toml"), dst)

    index = os.path.join(dst, chapters, "index.md")
    with open(index, encoding="utf-8") as f:
        index_text = f.read()
    entries = numbered_chapters(index_text)
    folders = [e.split("/")[0] for e in entries]
    labels = set()
    for folder in folders:
        labels |= defined_labels(os.path.join(dst, chapters, folder))

    added = []
    for k in range(2, copies + 1):
        for entry, folder in zip(entries, folders):
            copy = f"{folder}_r{k}"
            target = os.path.join(dst, chapters, copy)
            shutil.copytree(os.path.join(dst, chapters, folder), target)
            for path in markdown_files(target):
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                with open(path, "w", encoding="utf-8") as f:
                    f.write(rename(text, labels, f"_r{k}"))
            added.append(copy + entry[len(folder):])
    last = entries[-1]
    index_text = index_text.replace(last + "\n", last + "\n" + "".join(a + "\n" for a in added), 1)
    with open(index, "w", encoding="utf-8") as f:
        f.write(index_text)
    print(f"wrote {dst}: {len(entries)} numbered chapters x {copies}, {len(labels)} labels renamed per copy")


main()
