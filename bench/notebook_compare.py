#!/usr/bin/env python3
"""Compares the outputs of a notebook that `d2lbook build ipynb` wrote with the same
notebook executed by Jupyter with the evcxr kernel, cell by cell: printed text (evcxr
sends a stream output per line: they are joined), HTML (tensor tables), SVG (plots),
plain values and errors. Prints the cells that differ and a count.

    cargo install --locked evcxr_jupyter && evcxr_jupyter --install
    pip install jupyter nbconvert
    jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=1200 \
        _build/ipynb/chapter_x/sec.ipynb --output /tmp/executed.ipynb
    python3 bench/notebook_compare.py _build/ipynb/chapter_x/sec.ipynb /tmp/executed.ipynb
"""
import json
import sys


def outputs(cell):
    """A code cell's outputs as (kind, content), consecutive printed text joined."""
    out = []
    for o in cell.get("outputs", []):
        kind = o["output_type"]
        if kind == "stream":
            text = "".join(o["text"])
            if out and out[-1][0] == "stream":
                out[-1] = ("stream", out[-1][1] + text)
            else:
                out.append(("stream", text))
        elif kind in ("execute_result", "display_data"):
            data = o["data"]
            if "text/html" in data:
                out.append(("html", "".join(data["text/html"])))
            elif "image/svg+xml" in data:
                out.append(("svg", ""))
            else:
                out.append(("text", "".join(data.get("text/plain", ""))))
        elif kind == "error":
            out.append(("error", o.get("ename", "")))
    return [(k, v.strip()) for k, v in out]


def code_cells(path):
    return [c for c in json.load(open(path, encoding="utf-8"))["cells"] if c["cell_type"] == "code"]


ours, theirs = code_cells(sys.argv[1]), code_cells(sys.argv[2])
alike = 0
for i, (a, b) in enumerate(zip(ours, theirs)):
    if outputs(a) == outputs(b):
        alike += 1
    else:
        print(f"cell {i}\n  ours:  {str(outputs(a))[:300]}\n  evcxr: {str(outputs(b))[:300]}")
print(f"{alike} cells alike, {len(ours) - alike} differ, of {len(ours)}")
