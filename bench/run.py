#!/usr/bin/env python3
"""Benchmarks of d2lbook: HTML build of the sample book (cold: no math cache, warm) and of
a generated 200-section book with 5,000 equations; the PDF of both; eval of the sample
book (cold cache with the library already compiled, one edited cell, no-op). Prints
medians and peak RSS.

usage: python3 bench/run.py [runs=3]      (from the repository root, after `cargo build`)
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "debug", "d2lbook")


def run(args, root):
    """Wall time and peak RSS (KiB) of one d2lbook run (its own process, from wait4)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen([BIN, "--root", root, *args], stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"d2lbook {' '.join(args)} failed:\n{stderr}")
    return wall, usage.ru_maxrss, stderr


def median(label, samples):
    walls = [w for w, _, _ in samples]
    rss = max(r for _, r, _ in samples)
    print(f"{label:<48} median {statistics.median(walls):7.2f} s  "
          f"(min {min(walls):.2f}, n={len(walls)})  peak RSS {rss / 1024:6.0f} MiB")
    return samples[-1][2]


def html(label, root, extra=()):
    cache = os.path.join(root, "_build", "cache")
    cold = []
    for _ in range(RUNS):
        shutil.rmtree(cache, ignore_errors=True)
        cold.append(run(["build", "html", *extra], root))
    median(f"{label}: html, cold (no math cache)", cold)
    median(f"{label}: html, warm (math cached)", [run(["build", "html", *extra], root) for _ in range(RUNS)])


def copy_sample(dest):
    for part in ["book.toml", "chapters"]:
        src = os.path.join(ROOT, part)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(dest, part))
    with open(os.path.join(dest, "book.toml"), "a") as f:
        f.write(f'\n[eval]\nlibrary = "{os.path.join(ROOT, "d2l-lib")}"\n')


def main():
    subprocess.run(["cargo", "build", "-q"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="d2lbook-bench-")
    sample = os.path.join(work, "sample")
    os.makedirs(sample)
    copy_sample(sample)
    html("sample book", sample, ["--no-eval"])
    median("sample book: pdf", [run(["build", "pdf", "--no-eval"], sample) for _ in range(RUNS)])

    generated = os.path.join(work, "generated")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_book.py"), generated, "200", "25"], check=True)
    html("generated book (200 sections, 5,000 equations)", generated)
    median("generated book: pdf", [run(["build", "pdf"], generated) for _ in range(RUNS)])

    # Eval: the library is compiled once per machine; a cold eval has neither cached
    # outputs nor the generated package, so every section is compiled and run.
    run(["build", "eval"], sample)
    cold = []
    for _ in range(RUNS):
        shutil.rmtree(os.path.join(sample, "_build", "eval"), ignore_errors=True)
        cold.append(run(["build", "eval"], sample))
    print(median("sample book: eval, cold cache", cold).strip())
    page = os.path.join(sample, "chapters", "chapter_preliminaries", "ndarray.md")
    text = open(page, encoding="utf-8").read()
    edits = []
    for i in range(RUNS):
        with open(page, "w", encoding="utf-8") as f:
            f.write(text.replace("ones.sum_all()?", f"(ones.sum_all()? + {i + 1}.0)?", 1))
        edits.append(run(["build", "html"], sample))
    print(median("sample book: html after editing one cell", edits).strip())
    print(median("sample book: no-op html rebuild", [run(["build", "html"], sample) for _ in range(RUNS)]).strip())
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
