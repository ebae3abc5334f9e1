#!/usr/bin/env python3
"""Times `d2lbook build html` after one edit, for one or more binaries: the wall time and
the CPU time (user + system, the process and its children: rustc, the cells' programs).

usage: python3 bench/edits.py [--runs N] [--blocks B] BOOK EDIT BIN...

BOOK is a book folder already built once by each binary (with its cells run, for `cell`);
EDIT is
  cell        a new constant in a cell of the sample book's ndarray section, so that
              no cache entry matches (`ones.sum_all()?` → `(ones.sum_all()? + C)?`);
  prose:PATH  a new sentence at the end of PATH (relative to BOOK).
The binaries run in turns, B blocks of N edits each. A binary's caches are its own (the
page cache and the compiler's recorded commands name the binary), so each block starts
with a build that is not counted. The file edited is restored at the end.
"""
import argparse
import os
import random
import resource
import statistics
import subprocess
import time

CELL_FILE = "chapters/chapter_preliminaries/ndarray.md"
CELL_CODE = "ones.sum_all()?"


def build(binary, book):
    """(wall s, CPU s, stderr) of one `build html`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    p = subprocess.run([binary, "--root", book, "build", "html"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"{binary} build html failed:\n{p.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--blocks", type=int, default=2)
    ap.add_argument("book")
    ap.add_argument("edit")
    ap.add_argument("binaries", nargs="+")
    args = ap.parse_args()

    if args.edit == "cell":
        path = os.path.join(args.book, CELL_FILE)
    elif args.edit.startswith("prose:"):
        path = os.path.join(args.book, args.edit[len("prose:"):])
    else:
        raise SystemExit(f"unknown edit {args.edit!r}: cell or prose:PATH")
    with open(path, encoding="utf-8") as f:
        original = f.read()
    if args.edit == "cell" and CELL_CODE not in original:
        raise SystemExit(f"{path} has no `{CELL_CODE}`")

    def edit():
        constant = f"{random.randrange(10**9)}.5"
        if args.edit == "cell":
            text = original.replace(CELL_CODE, f"({CELL_CODE} + {constant})?", 1)
        else:
            text = original + f"\nAn edited sentence, number {constant}.\n"
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    walls = {b: [] for b in args.binaries}
    cpus = {b: [] for b in args.binaries}
    last = {}
    try:
        for _ in range(args.blocks):
            for binary in args.binaries:
                edit()
                build(binary, args.book)
                for _ in range(args.runs):
                    edit()
                    wall, cpu, last[binary] = build(binary, args.book)
                    walls[binary].append(wall)
                    cpus[binary].append(cpu)
    finally:
        with open(path, "w", encoding="utf-8") as f:
            f.write(original)
    for binary in args.binaries:
        w, c = sorted(walls[binary]), cpus[binary]
        summary = last[binary].strip().splitlines()[-1] if last[binary].strip() else ""
        print(f"{binary}: median {statistics.median(w):.3f} s (min {w[0]:.3f}, max {w[-1]:.3f}, "
              f"n={len(w)}), CPU median {statistics.median(c):.3f} s\n    {summary}")


if __name__ == "__main__":
    main()
