#!/usr/bin/env python3
"""table.py -- the table of tools/bench/scalar.sh from the drivers' lines.

Reads the result lines of every round (workloads.h: workload, tool, seconds
per iteration, peak RSS in MB, value, gradients), checks that every line's
value and gradients agree with tapegrad's to 1e-12 (|x - ref| <= 1e-12
max(1, |ref|)), and prints one Markdown table: per workload and tool the
minimum over the rounds, and its ratio to tapegrad's (the tool's time over
tapegrad's: below 1 where the tool is faster). A tool with no lines shows
n/a. Exits 1, printing every disagreement and no table, when a driver
computed something else, or when tapegrad's lines are missing.

    table.py RESULTS --tools tapegrad,stan,... [--label stan="Stan Math 3.0.0"]
             [--chain-steps N]
"""
import argparse
import sys

TOLERANCE = 1e-12
REFERENCE = "tapegrad"


def read(path):
    """{(workload, tool): [(seconds, rss_mb, [value, gradients...]), ...]}"""
    results = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 6:
                sys.exit("table.py: %s:%d: not a driver's line: %r" % (path, number, line))
            workload, tool, seconds, rss, value, grads = fields
            numbers = [float(value)] + [float(g) for g in grads.split()]
            results.setdefault((workload, tool), []).append((float(seconds), float(rss), numbers))
    return results


def disagreements(results):
    """Every line whose value or gradients differ from tapegrad's first."""
    found = []
    for (workload, tool), runs in sorted(results.items()):
        reference = results.get((workload, REFERENCE))
        if not reference:
            found.append("%s: no tapegrad result to compare %s with" % (workload, tool))
            continue
        expected = reference[0][2]
        for round_number, (_, _, got) in enumerate(runs, 1):
            if len(got) != len(expected):
                found.append("%s, %s, round %d: %d numbers, tapegrad has %d"
                             % (workload, tool, round_number, len(got), len(expected)))
                continue
            for k, (x, ref) in enumerate(zip(got, expected)):
                if not abs(x - ref) <= TOLERANCE * max(1.0, abs(ref)):
                    what = "value" if k == 0 else "gradient %d" % (k - 1)
                    found.append("%s, %s, round %d: %s is %.17g, tapegrad's %.17g"
                                 % (workload, tool, round_number, what, x, ref))
    return found


def rows(chain_steps):
    """(label, workload, which field, scale) of every row, in order."""
    chain = "%s-step chain y = y·a + c" % format(chain_steps, ",") if chain_steps else "chain"
    return [
        ("the notes' neuron, fresh leaves, fwd + bwd + reset (ns/iter)", "neuron", 0, 1e9),
        ("scalar MLP 2-16-16-1 tanh, micrograd style (ns/iter)", "mlp", 0, 1e9),
        ("%s, the process's first (s)" % chain, "chain", 0, 1),
        ("%s, a second one after it (s)" % chain, "chain-again", 0, 1),
        ("peak RSS after the first chain (MB)", "chain", 1, 1),
        ("peak RSS after both chains (MB)", "chain-again", 1, 1),
    ]


def number(x):
    return "%.3g" % x if x < 1 else format(round(x, 1 if x < 100 else None), ",")


def table(results, tools, labels, chain_steps):
    lines = ["| workload | " + " | ".join(labels.get(t, t) for t in tools) + " |",
             "|---" * (len(tools) + 1) + "|"]
    for label, workload, field, scale in rows(chain_steps):
        best = {t: min(run[field] for run in results[(workload, t)]) * scale
                for t in tools if (workload, t) in results}
        if not best:
            continue
        cells = []
        for tool in tools:
            if tool not in best:
                cells.append("n/a")
            elif tool == REFERENCE or not best.get(REFERENCE):
                cells.append(number(best[tool]))
            else:
                cells.append("%s (%.2f×)" % (number(best[tool]), best[tool] / best[REFERENCE]))
        lines.append("| %s | %s |" % (label, " | ".join(cells)))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results")
    parser.add_argument("--tools", required=True, help="the columns, comma-separated")
    parser.add_argument("--label", action="append", default=[], metavar="TOOL=TEXT")
    parser.add_argument("--chain-steps", type=int, default=0)
    args = parser.parse_args()
    results = read(args.results)
    found = disagreements(results)
    if not any(tool == REFERENCE for _, tool in results):
        found.append("no tapegrad results in %s" % args.results)
    if found:
        print("table.py: the drivers disagree -- a driver computes something else:",
              file=sys.stderr)
        for line in found:
            print("  " + line, file=sys.stderr)
        sys.exit(1)
    labels = dict(item.split("=", 1) for item in args.label)
    print(table(results, args.tools.split(","), labels, args.chain_steps))


if __name__ == "__main__":
    main()
