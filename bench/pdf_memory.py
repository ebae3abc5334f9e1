#!/usr/bin/env python3
"""The memory of `build pdf`: wall time, peak resident memory, and its two parts: memory
of the process's own (anonymous: layout, caches) and pages of mapped files (the binary,
font files), which the kernel can drop and read again when memory runs short. With
`--limit`, also the smallest memory limit (a cgroup v1 memory group, so root on a
cgroup-v1 machine) under which the build succeeds within three times its usual time.

usage: python3 bench/pdf_memory.py [--limit] [--runs N] BOOK BIN [BIN...]

Each binary builds the book's PDF N times (default 3), the binaries interleaved; prints
medians. Build the book's cells first (`build eval`) so that only typesetting is timed.
"""
import os
import statistics
import subprocess
import sys
import time


def status(pid):
    """(VmHWM, RssAnon, RssFile) of a running process, in KiB."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
    except OSError:
        return None
    return tuple(int(fields.get(k, "0 kB").split()[0]) for k in ("VmHWM", "RssAnon", "RssFile"))


def start(binary, book, group=None):
    """Starts `build pdf` of `book`, inside the memory group `group` when given."""
    def enter():
        if group:
            with open(os.path.join(group, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
    return subprocess.Popen([binary, "--root", book, "build", "pdf", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=enter)


def run(binary, book):
    """Wall time, exit code and peak (VmHWM, RssAnon, RssFile) of one build, sampled
    every 10 ms."""
    began = time.perf_counter()
    p = start(binary, book)
    peak = (0, 0, 0)
    while p.poll() is None:
        now = status(p.pid)
        if now:
            peak = tuple(max(a, b) for a, b in zip(peak, now))
        time.sleep(0.01)
    return time.perf_counter() - began, p.returncode, peak


def limited(binary, book, mb, timeout):
    """Whether the build succeeds within `timeout` seconds under a limit of `mb` MiB."""
    group = f"/sys/fs/cgroup/memory/d2lbook-bench-{os.getpid()}"
    os.mkdir(group)
    try:
        for name in ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes"):
            try:
                with open(os.path.join(group, name), "w") as f:
                    f.write(str(mb * 1024 * 1024))
            except OSError:
                pass  # no swap accounting: no swap to limit
        p = start(binary, book, group)
        try:
            return p.wait(timeout) == 0
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return False
    finally:
        os.rmdir(group)


def smallest_limit(binary, book, peak_mb, wall):
    """Bisects, in steps of 10 MiB, the smallest limit the build succeeds under."""
    low, high = 10, peak_mb + 20  # fails, succeeds
    while high - low > 10:
        mid = (low + high) // 2
        if limited(binary, book, mid, max(3 * wall, 10)):
            high = mid
        else:
            low = mid
    return high


def main():
    args = sys.argv[1:]
    limit = "--limit" in args
    args = [a for a in args if a != "--limit"]
    runs = 3
    if "--runs" in args:
        i = args.index("--runs")
        runs = int(args[i + 1])
        del args[i:i + 2]
    if len(args) < 2:
        sys.exit(__doc__)
    book, binaries = args[0], args[1:]
    samples = {b: [] for b in binaries}
    for _ in range(runs):
        for b in binaries:
            wall, code, peak = run(b, book)
            if code != 0:
                sys.exit(f"{b} build pdf failed (exit {code})")
            samples[b].append((wall, *peak))
    for b in binaries:
        wall, hwm, anon, file = (statistics.median(col) for col in zip(*samples[b]))
        line = (f"{b}: {wall:5.2f} s, peak resident {hwm / 1024:4.0f} MiB "
                f"(own memory {anon / 1024:4.0f} MiB, mapped files {file / 1024:4.0f} MiB)")
        if limit:
            line += f", builds under a limit of {smallest_limit(b, book, int(hwm / 1024), wall)} MiB"
        print(line + f"  [medians of {runs}]")


if __name__ == "__main__":
    main()
