#!/usr/bin/env python3
"""What the site's search costs: the size of the search index (`pagefind/`: the index
chunks, and pagefind's script and WebAssembly, which are the same for every book) and the
time it adds to a build, on the sample book and on generated books (gen_book.py).

Each build is a full render (the page cache removed; math cached), `--no-eval`; the
figure is the median of 5. The time search adds is measured against BASE, a d2lbook
without the search step (or with the old hand-written index), when given.

usage: python3 bench/search.py BIN [BASE] [sections=200]
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BIN = sys.argv[1]
BASE = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
SIZES = [int(n) for n in (sys.argv[3] if len(sys.argv) > 3 else "200").split(",")]
RUNS = 5


def build(binary, root):
    cache = os.path.join(root, "_build", "cache", "pages.json")
    if os.path.exists(cache):
        os.remove(cache)
    start = time.perf_counter()
    p = subprocess.run([binary, "--root", root, "--quiet", "build", "html", "--no-eval"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit(f"build failed:\n{p.stderr}")
    return time.perf_counter() - start


def median_build(binary, root):
    build(binary, root)  # math cache warm
    return statistics.median(build(binary, root) for _ in range(RUNS))


def index_size(root):
    bundle = os.path.join(root, "_build", "html", "pagefind")
    chunks, fixed, files = 0, 0, 0
    for folder, _, names in os.walk(bundle):
        for name in names:
            size = os.path.getsize(os.path.join(folder, name))
            files += 1
            if name.endswith((".js", ".pagefind")):
                fixed += size
            else:
                chunks += size
    return chunks, fixed, files


def report(label, root):
    new = median_build(BIN, root)
    chunks, fixed, files = index_size(root)
    pages = sum(1 for _, _, names in os.walk(os.path.join(root, "_build", "html"))
                for n in names if n.endswith(".html"))
    line = (f"{label:<24} {pages:>6} {chunks:>12,} {fixed:>12,} {files:>6} {new:>8.3f}")
    if BASE:
        shutil.rmtree(os.path.join(root, "_build"))
        old = median_build(BASE, root)
        line += f" {old:>8.3f} {new - old:>+8.3f}"
    print(line)


print(f"{BIN}" + (f" against {BASE}" if BASE else ""))
print(f"{'book':<24} {'pages':>6} {'index bytes':>12} {'script+wasm':>12} {'files':>6} "
      f"{'build s':>8}" + (f" {'base s':>8} {'added s':>8}" if BASE else ""))
with tempfile.TemporaryDirectory() as work:
    sample = os.path.join(work, "sample")
    os.makedirs(sample)
    shutil.copy(os.path.join(REPO, "book.toml"), sample)
    shutil.copytree(os.path.join(REPO, "chapters"), os.path.join(sample, "chapters"))
    report("sample book", sample)
    for n in SIZES:
        root = os.path.join(work, f"gen{n}")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_book.py"), root, str(n), "3"],
                       check=True, stdout=subprocess.DEVNULL)
        report(f"generated, {n} sections", root)
