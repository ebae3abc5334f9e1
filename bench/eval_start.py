#!/usr/bin/env python3
"""What starting the sections' programs costs as the book grows: a generated book
(bench/gen_book.py, SECTIONS sections of prose and math) in which CELLS sections get one
trivial Rust cell. After a first `build html`, each round changes `[eval] env` (part of
every cache key, not of the programs), so that every cell section runs again and nothing
is compiled anew; the eval line's `run` figure is the time of those runs, most of it
starting the programs. Prints the median per binary, and d2lbook's peak resident memory
in a last build that runs nothing (no compiler's memory in it).

usage: python3 bench/eval_start.py SECTIONS CELLS ROUNDS BIN...   (after `cargo build`)
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sections, cells, rounds = (int(a) for a in sys.argv[1:4])
binaries = sys.argv[4:]

work = tempfile.mkdtemp(prefix="d2lbook-eval-start-")
book = os.path.join(work, "book")
subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_book.py"), book, str(sections)],
               check=True, stdout=subprocess.DEVNULL)
toml_path = os.path.join(book, "book.toml")
with open(toml_path) as f:
    base = f.read().replace("[eval]\nenabled = false\n", "")
sources = sorted(
    os.path.join(d, f)
    for d, _, files in os.walk(os.path.join(book, "src"))
    for f in files
    if re.fullmatch(r"s\d+\.md", f)
)
for path in sources[:cells]:
    with open(path, "a") as f:
        f.write("\n```{.rust .input}\n1 + 1\n```\n")


def build(binary, env_value):
    with open(toml_path, "w") as f:
        f.write(f'{base}\n[eval]\nlibrary = "{os.path.join(ROOT, "d2l-lib")}"\n'
                f'env = {{ ROUND = "{env_value}" }}\n')
    process = subprocess.Popen([binary, "--root", book, "build", "html"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        sys.exit(stderr)
    found = re.search(r"(\d+) run, \d+ from cache \(compile ([\d.]+) s, run ([\d.]+) s\)", stderr)
    ran = int(found.group(1)) if found else 0
    return ran, float(found.group(3)) if found else 0.0, usage.ru_maxrss // 1024


try:
    build(binaries[0], "warm")
    runs = {b: [] for b in binaries}
    for r in range(rounds):
        for b in binaries:
            ran, seconds, _ = build(b, f"{b}-{r}")
            if ran != cells:
                sys.exit(f"{b}: {ran} sections run, not {cells}")
            runs[b].append(seconds)
    _, _, resident = build(binaries[-1], f"{binaries[-1]}-{rounds - 1}")  # all cached
    print(f"{sections} sections, {cells} with a cell; d2lbook alone peaks at {resident} MB")
    for b in binaries:
        print(f"{b}: the {cells} programs run in {statistics.median(runs[b]):.3f} s "
              f"(median of {rounds}: {[round(x, 3) for x in runs[b]]})")
finally:
    shutil.rmtree(work, ignore_errors=True)
