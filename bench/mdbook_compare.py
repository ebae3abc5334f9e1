#!/usr/bin/env python3
"""`d2lbook build html` against `mdbook build` on the same mdBook book: a generated one
(bench/gen_mdbook.py: 110 chapter files, ~180,000 words, ~600 included listings) unless
a book folder is given. Prints the median wall time of each; without `mdbook` on PATH,
only d2lbook's. Each tool writes outside the book (d2lbook into its `_build`, mdbook
into a temporary folder), so neither reads the other's output.

usage: python3 bench/mdbook_compare.py [BOOK_DIR] [runs=5]   (after `cargo build`;
       D2LBOOK=path picks the binary, default $CARGO_TARGET_DIR/debug/d2lbook)
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
D2LBOOK = os.environ.get("D2LBOOK", os.path.join(TARGET, "debug", "d2lbook"))

args = sys.argv[1:]
book = args.pop(0) if args and not args[0].isdigit() else None
runs = int(args[0]) if args else 5


def timed(cmd):
    start = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr}")
    return wall


def report(label, walls):
    print(f"{label:<22} median {statistics.median(walls):6.2f} s  "
          f"(min {min(walls):.2f}, max {max(walls):.2f}, n={len(walls)})")


with tempfile.TemporaryDirectory() as tmp:
    if book is None:
        book = os.path.join(tmp, "book")
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_mdbook.py"), book],
                       check=True)
    d2l = [timed([D2LBOOK, "--quiet", "--root", book, "build", "html"]) for _ in range(runs)]
    report("d2lbook build html", d2l)
    mdbook = shutil.which("mdbook")
    if mdbook is None:
        print("mdbook is not on PATH: no comparison")
    else:
        out = os.path.join(tmp, "mdbook-out")
        md = [timed([mdbook, "build", book, "--dest-dir", out]) for _ in range(runs)]
        report("mdbook build", md)
        print(f"d2lbook / mdbook       {statistics.median(d2l) / statistics.median(md):6.2f}x")
