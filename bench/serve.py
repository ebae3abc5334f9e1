#!/usr/bin/env python3
"""`d2lbook serve`: time from saving a section to the reload event that names its page,
and to that page served with the new text, for a prose edit and a heading rename; then
the serving process's resident memory. The book is a copy (of the sample book, without
running cells, or of one that bench/gen_book.py writes), so nothing of the checkout
changes.

With `cells` (the sample book, its cells run against the repository's `d2l-lib`), cell
edits are timed too, in the section of 20 cells and in one of 5: the section's program
is built and run again, the others come from the eval cache.

The pages are written before the search index (which follows them): with saves closer
together than the index takes (about 0.3 s on the 200-section book), a save waits for
the previous one's index. BENCH_PAUSE sets the seconds between saves (default 0.4).

usage: python3 bench/serve.py [sample|cells|SECTIONS] [runs=7]   (after `cargo build`;
       D2LBOOK=path picks the binary, default $CARGO_TARGET_DIR/debug/d2lbook)
"""
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
D2LBOOK = os.environ.get("D2LBOOK", os.path.join(TARGET, "debug", "d2lbook"))

which = sys.argv[1] if len(sys.argv) > 1 else "sample"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7

work = tempfile.mkdtemp(prefix="d2lbook-serve-bench-")
book = os.path.join(work, "book")
cells = which == "cells"
if which in ("sample", "cells"):
    os.makedirs(book)
    with open(os.path.join(ROOT, "book.toml")) as f:
        toml = f.read()
    with open(os.path.join(book, "book.toml"), "w") as f:
        f.write(f'{toml}\n[eval]\nlibrary = "{os.path.join(ROOT, "d2l-lib")}"\n')
    shutil.copytree(os.path.join(ROOT, "chapters"), os.path.join(book, "chapters"))
    source, page = "chapters/chapter_preliminaries/ndarray.md", "chapter_preliminaries/ndarray.html"
else:
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_book.py"), book, which], check=True)
    source, page = "src/ch0/s1.md", "ch0/s1.html"

server = subprocess.Popen([D2LBOOK, "--root", book, "serve", "--port", "0"]
                          + ([] if cells else ["--no-eval"]),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
try:
    started = time.perf_counter()
    for line in server.stderr:
        found = re.search(r"http://([\d.]+):(\d+)/", line)
        if found:
            host, port = found.group(1), int(found.group(2))
            break
    else:
        sys.exit("serve printed no URL")
    print(f"first build and start: {time.perf_counter() - started:.2f} s")
    # Keep reading stderr so that the server never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()

    def get(path):
        with socket.create_connection((host, port)) as s:
            s.sendall(f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            return data.decode("utf-8", "replace")

    events = socket.create_connection((host, port))
    events.sendall(f"GET /__d2lbook/events HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    events.settimeout(30)
    head = b""
    while b"text/event-stream" not in head:
        head += events.recv(4096)

    path = os.path.join(book, source)
    original = open(path, encoding="utf-8").read()
    title = re.search(r"^# (.+)$", original, re.M).group(1)

    def measure(edit, path=path, page=page):
        to_event, to_page = [], []
        for i in range(runs):
            time.sleep(float(os.environ.get("BENCH_PAUSE", "0.4")))
            text, marker = edit(i)
            saved = time.perf_counter()
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            got = b""
            while f'"{page}"'.encode() not in got:
                got += events.recv(65536)
            to_event.append((time.perf_counter() - saved) * 1000)
            assert marker in get(page)
            to_page.append((time.perf_counter() - saved) * 1000)
        return statistics.median(to_event), statistics.median(to_page)

    prose = measure(lambda i: (original + f"\nA prose edit, number {i}.\n", f"number {i}."))
    heading = measure(lambda i: (original.replace(f"# {title}", f"# {title} v{i}", 1), f"{title} v{i}"))
    timed = [("prose edit", prose), ("heading rename", heading)]
    if cells:
        # A new value printed by the section's first Rust cell: in the longest section (20
        # cells), then in one of five cells, as most sections of the book are.
        for name, (source, page) in [
            ("cell edit", (path, page)),
            ("cell edit, 5 cells", (os.path.join(book, "chapters/chapter_preliminaries/calculus.md"),
                                    "chapter_preliminaries/calculus.html")),
        ]:
            text = open(source, encoding="utf-8").read()
            cell = re.search(r"```\{\.rust \.input\}\n", text)
            timed.append((name, measure(lambda i: (
                text[:cell.end()] + f'println!("edited {i}");\n' + text[cell.end():],
                f"edited {i}"), source, page)))
    for name, (event, served) in timed:
        print(f"{name}: save -> reload event {event:.0f} ms, -> page served {served:.0f} ms "
              f"(medians of {runs})")
    status = open(f"/proc/{server.pid}/status").read()
    rss = {k: int(v.split()[0]) // 1024 for k, v in re.findall(r"(VmRSS|VmHWM):\s+(.+)", status)}
    print(f"serving process: {rss.get('VmRSS')} MB resident, peak {rss.get('VmHWM')} MB")
finally:
    server.kill()
    server.wait()
    shutil.rmtree(work, ignore_errors=True)
