#!/usr/bin/env python3
"""Joins the result files of tools/bench/run.sh into one table:

    table.py TAPEGRAD.tsv TORCH.tsv LIBTORCH.tsv BOUND.tsv

Each side's line: workload, threads, median, spread, unit (tabs); a bound's
line: workload, bound, unit, how it was made (bench_bound.c). A side with no
line for a workload shows n/a (libtorch without libtorch-dev, or a workload
it does not run).

tg/best sets tapegrad's best thread setting against the best peer (PyTorch
or libtorch at its best thread setting), tg/bound against the machine's
bound; both are oriented so that above 1 means tapegrad is better: for
times and sizes (ns, s, B, MB) other / tapegrad, for rates tapegrad /
other."""
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


def load_bounds(path):
    bounds = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3:
                bounds[parts[0]] = float(parts[1])
    return bounds


def best(by_threads, unit):
    values = [m for m, _, _ in by_threads.values() if m == m]  # drop NaN
    if not values:
        return float("nan")
    return min(values) if unit in LOWER_IS_BETTER else max(values)


def cell(by_threads, t):
    if not by_threads:
        return "n/a"
    if t not in by_threads:
        return "-"
    m, s, _ = by_threads[t]
    return f"{m:.4g} ±{100 * s:.0f}%"


def ratio(ours, other, unit):
    if not (ours == ours and other == other and ours > 0 and other > 0):
        return "-"
    return f"{(other / ours if unit in LOWER_IS_BETTER else ours / other):.2f}"


def main():
    ours, order = load(sys.argv[1])
    peers = [load(sys.argv[2])[0], load(sys.argv[3])[0]]
    bounds = load_bounds(sys.argv[4])
    head = ["workload", "unit", "tapegrad 1t", "tapegrad 2t", "PyTorch 1t", "PyTorch 2t",
            "libtorch 1t", "libtorch 2t", "bound", "tg/best", "tg/bound"]
    lines = [head]
    for name in order:
        unit = next(iter(ours[name].values()))[2]
        mine = best(ours[name], unit)
        peer_bests = [best(p[name], unit) for p in peers if name in p]
        peer_bests = [b for b in peer_bests if b == b]
        top = (min if unit in LOWER_IS_BETTER else max)(peer_bests) if peer_bests else float("nan")
        bound = bounds.get(name, float("nan"))
        row = [name, unit, cell(ours[name], 1), cell(ours[name], 2)]
        for p in peers:
            row += [cell(p.get(name, {}), 1), cell(p.get(name, {}), 2)]
        row += [f"{bound:.4g}" if bound == bound else "-", ratio(mine, top, unit),
                ratio(mine, bound, unit)]
        lines.append(row)
    widths = [max(len(r[i]) for r in lines) for i in range(len(head))]
    for i, r in enumerate(lines):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


if __name__ == "__main__":
    main()
