#!/usr/bin/env python3
"""Joins the tapegrad and PyTorch result files of tools/bench/run.sh into one
table. Each input line: workload, threads, median, spread, unit (tabs).

The ratio column compares tapegrad's best thread setting with PyTorch's best
and is oriented so that above 1 means tapegrad is better: for times and sizes
(ns, s, B, MB) it is torch / tapegrad, for rates it is tapegrad / torch."""
import sys

LOWER_IS_BETTER = {"ns", "s", "B", "MB"}


def load(path):
    rows = {}
    order = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 5:
                continue
            name, threads, median, spread, unit = parts[:5]
            if name not in rows:
                order.append(name)
            rows.setdefault(name, {})[int(threads)] = (float(median), float(spread), unit)
    return rows, order


def best(by_threads, unit):
    values = [m for m, _, _ in by_threads.values() if m == m]  # drop NaN
    if not values:
        return float("nan")
    return min(values) if unit in LOWER_IS_BETTER else max(values)


def cell(by_threads, t):
    if t not in by_threads:
        return "-"
    m, s, _ = by_threads[t]
    return f"{m:.4g} ±{100 * s:.0f}%"


def main():
    ours, order = load(sys.argv[1])
    theirs, _ = load(sys.argv[2])
    head = ["workload", "unit", "tapegrad 1t", "tapegrad 2t", "torch 1t", "torch 2t", "ratio"]
    lines = [head]
    for name in order:
        unit = next(iter(ours[name].values()))[2]
        ratio = "-"
        if name in theirs:
            a, b = best(ours[name], unit), best(theirs[name], unit)
            if a == a and b == b and a > 0 and b > 0:
                ratio = f"{(b / a if unit in LOWER_IS_BETTER else a / b):.2f}x"
        lines.append([name, unit, cell(ours[name], 1), cell(ours[name], 2),
                      cell(theirs.get(name, {}), 1), cell(theirs.get(name, {}), 2), ratio])
    widths = [max(len(r[i]) for r in lines) for i in range(len(head))]
    for i, r in enumerate(lines):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


if __name__ == "__main__":
    main()
