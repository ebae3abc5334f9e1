#!/usr/bin/env python3
"""How the site grows with the book: generates books of N sections (gen_book.py, with few
equations so that math does not dominate), builds each with `--no-eval` and prints the
total site bytes, the bytes of the HTML pages, the median page, the largest shared file
(nav.js) with the search index (pagefind/, all its files) and the build time (cold, then warm: math cached). The site
must grow linearly: bytes per section stay flat as N grows.

usage: python3 bench/site_size.py BIN [sections=200,1000] [equations_per_section=3]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = sys.argv[1]
SIZES = [int(n) for n in (sys.argv[2] if len(sys.argv) > 2 else "200,1000").split(",")]
EQUATIONS = sys.argv[3] if len(sys.argv) > 3 else "3"


def build(root):
    start = time.perf_counter()
    p = subprocess.run([BIN, "--root", root, "--quiet", "build", "html", "--no-eval"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit(f"build failed:\n{p.stderr}")
    return time.perf_counter() - start


def measure(sections):
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([sys.executable, os.path.join(HERE, "gen_book.py"), work,
                        str(sections), EQUATIONS], check=True, stdout=subprocess.DEVNULL)
        cold = build(work)
        warm = build(work)
        site = os.path.join(work, "_build", "html")
        total, pages, shared = 0, [], {}
        for folder, _, files in os.walk(site):
            for name in files:
                path = os.path.join(folder, name)
                size = os.path.getsize(path)
                total += size
                if name.endswith(".html"):
                    pages.append(size)
                if name == "nav.js":
                    shared[name] = size
                if os.sep + "pagefind" in folder:
                    shared["pagefind"] = shared.get("pagefind", 0) + size
        return {
            "sections": sections,
            "pages": len(pages),
            "total": total,
            "html": sum(pages),
            "median": statistics.median(pages),
            "max": max(pages),
            "shared": shared,
            "cold": cold,
            "warm": warm,
        }


print(f"{BIN}")
print(f"{'sections':>8} {'pages':>6} {'site bytes':>12} {'per section':>11} {'html bytes':>12} "
      f"{'median page':>11} {'max page':>9} {'nav.js':>9} {'search':>9} {'cold s':>7} {'warm s':>7}")
for n in SIZES:
    m = measure(n)
    print(f"{m['sections']:>8} {m['pages']:>6} {m['total']:>12,} {m['total'] // m['pages']:>11,} "
          f"{m['html']:>12,} {int(m['median']):>11,} {m['max']:>9,} "
          f"{m['shared'].get('nav.js', 0):>9,} {m['shared'].get('pagefind', 0):>9,} "
          f"{m['cold']:>7.2f} {m['warm']:>7.2f}")
