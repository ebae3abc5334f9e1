#!/usr/bin/env python3
"""Compares what two d2lbook binaries make of the same books: the sample book (HTML with
its cells run, and the PDF's text through pdftotext) and the fixture book
`tests/books/en` (HTML and PDF without eval). For a refactoring that must keep outputs
byte-identical, every difference it lists has to be explained.

usage: python3 bench/compare.py OLD_BIN NEW_BIN [--keep DIR] [--old-library DIR]

The sample book's cells run against the repository's library `d2l-lib`, on both sides;
when a change spans the binary and the library (the display protocol), `--old-library`
names the old side's copy of the library (e.g. `git archive` of the base commit).

Prints, per book and output, the files only one side has and the files that differ,
with the first differing lines of each (at most 12 files a side).
"""
import difflib
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBRARY = os.path.join(ROOT, "d2l-lib")


def book_copies(work):
    """(name, folder, eval?) of the books to build, copied into `work`."""
    sample = os.path.join(work, "sample")
    os.makedirs(sample)
    shutil.copy(os.path.join(ROOT, "book.toml"), sample)
    shutil.copytree(os.path.join(ROOT, "chapters"), os.path.join(sample, "chapters"))
    en = os.path.join(work, "en")
    shutil.copytree(os.path.join(ROOT, "tests", "books", "en"), en)
    return [("sample", sample, True), ("en", en, False)]


def use_library(root, library):
    """Makes the book at `root` run its cells against `library` (its own book.toml plus
    an `[eval]` table)."""
    with open(os.path.join(ROOT, "book.toml")) as f:
        toml = f.read()
    with open(os.path.join(root, "book.toml"), "w") as f:
        f.write(f'{toml}\n[eval]\nlibrary = "{library}"\n')


def build(binary, root, evaluate, out):
    """Builds html and pdf of the book at `root` with `binary`; copies them to `out`."""
    shutil.rmtree(os.path.join(root, "_build"), ignore_errors=True)
    flags = [] if evaluate else ["--no-eval"]
    for target in ("html", "pdf"):
        p = subprocess.run([binary, "--root", root, "build", target, *flags],
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"{binary} build {target} of {root} failed:\n{p.stderr}")
    shutil.copytree(os.path.join(root, "_build", "html"), os.path.join(out, "html"))
    os.makedirs(os.path.join(out, "pdf"))
    for name in os.listdir(os.path.join(root, "_build", "pdf")):
        if name.endswith(".pdf"):
            text = subprocess.run(["pdftotext", "-layout", os.path.join(root, "_build", "pdf", name), "-"],
                                  capture_output=True, text=True, check=True).stdout
            with open(os.path.join(out, "pdf", name + ".txt"), "w") as f:
                f.write(text)


def files(folder):
    found = {}
    for base, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(base, name)
            found[os.path.relpath(path, folder)] = path
    return found


def compare(old, new, label):
    a, b = files(old), files(new)
    only_old = sorted(set(a) - set(b))
    only_new = sorted(set(b) - set(a))
    differ = [k for k in sorted(set(a) & set(b)) if open(a[k], "rb").read() != open(b[k], "rb").read()]
    print(f"== {label}: {len(a)} files before, {len(b)} after; "
          f"{len(only_old)} gone, {len(only_new)} new, {len(differ)} differ")
    for k in only_old[:12]:
        print(f"   gone: {k}")
    for k in only_new[:12]:
        print(f"   new:  {k}")
    for k in differ[:12]:
        print(f"   differs: {k}")
        try:
            x = open(a[k], encoding="utf-8").read().splitlines()
            y = open(b[k], encoding="utf-8").read().splitlines()
        except UnicodeDecodeError:
            print("      (binary)")
            continue
        lines = [l for l in difflib.unified_diff(x, y, lineterm="", n=0) if not l.startswith(("---", "+++"))]
        for line in lines[:8]:
            print("      " + line[:160])
    return not (only_old or only_new or differ)


def main():
    args = sys.argv[1:]
    keep = None
    if "--keep" in args:
        i = args.index("--keep")
        keep = args[i + 1]
        del args[i:i + 2]
    old_library = LIBRARY
    if "--old-library" in args:
        i = args.index("--old-library")
        old_library = os.path.abspath(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    old_bin, new_bin = (os.path.abspath(b) for b in args)
    work = keep or tempfile.mkdtemp(prefix="d2lbook-compare-")
    same = True
    for name, root, evaluate in book_copies(os.path.join(work, "books")):
        outs = []
        for side, binary, library in (("old", old_bin, old_library), ("new", new_bin, LIBRARY)):
            if evaluate:
                use_library(root, library)
            out = os.path.join(work, side, name)
            build(binary, root, evaluate, out)
            outs.append(out)
        for kind in ("html", "pdf"):
            same &= compare(os.path.join(outs[0], kind), os.path.join(outs[1], kind), f"{name} {kind}")
    if not keep:
        shutil.rmtree(work)
    print("identical" if same else "outputs differ: explain every difference above")


if __name__ == "__main__":
    main()
