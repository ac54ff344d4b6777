#!/usr/bin/env python3
"""doc_examples.py -- every example of the tg language's docs runs.

Two sources:
  - the code blocks of docs/tg/tg.md: each line that starts with `tg ` or
    `$ tg ` is a command; run from a scratch directory, it must exit 0 (a
    `tg lint` that finds a hazard exits 1, as its page says; a `$ tg` line
    followed by a `tg: error` line must fail with status 2 and print that
    error, up to any `...` the doc abbreviates);
  - the quoted examples of `tg help expressions`, each evaluated by `tg grad`
    with the variables below bound.

    python3 tests/doc_examples.py --tg build/tools/tg --doc docs/tg/tg.md
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile

# Values for the names the help's examples use.
HELP_VARIABLES = ["x=[1,2]", "t=[0,1]", "W1=[[0.1,0.2],[0.3,-0.4]]", "b1=[0,0.5]",
                  "W2=[1,-1]", "b2=0.5"]


def doc_commands(path):
    """(command line, expected error line or None) for each example."""
    lines, out, in_block = open(path).read().split("\n"), [], False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            in_block = not in_block
            continue
        if not in_block:
            continue
        text = line[2:] if line.startswith("$ tg ") else line
        if not text.startswith("tg ") or "..." in text.split("#")[0] and "=..." in text:
            continue  # a synopsis or an abbreviated command
        if re.match(r"tg \[|tg help \[", text):
            continue
        following = lines[i + 1] if i + 1 < len(lines) else ""
        expect = following if line.startswith("$ ") and following.startswith("tg: error") else None
        out.append((text, expect))
    return out


def run(tg, argv, cwd):
    return subprocess.run([tg] + argv, capture_output=True, text=True, cwd=cwd)


def check_doc(tg, path, cwd):
    failures = 0
    for text, expect in doc_commands(path):
        argv = shlex.split(text)[1:]
        r = run(tg, argv, cwd)
        if expect is not None:
            shown = expect.split("...")[0]
            ok = r.returncode == 2 and shown in r.stderr
        else:
            ok = r.returncode == 0 or (argv[0] == "lint" and r.returncode == 1)
        if not ok:
            failures += 1
            print("doc_examples: %s: `%s` exited %d\n%s%s" % (path, text, r.returncode,
                                                             r.stdout, r.stderr))
    return failures


def check_help(tg, cwd):
    text = run(tg, ["help", "expressions"], cwd).stdout
    failures = 0
    for expr in [e for e in re.findall(r"'([^']+)'", text) if "(" in e]:
        r = run(tg, ["grad", expr] + HELP_VARIABLES, cwd)
        if r.returncode != 0:
            failures += 1
            print("doc_examples: tg help expressions: '%s' failed\n%s" % (expr, r.stderr))
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tg", required=True)
    ap.add_argument("--doc", required=True)
    opts = ap.parse_args()
    tg = os.path.abspath(opts.tg)
    with tempfile.TemporaryDirectory() as cwd:  # tg dot --png writes a file
        n = len(doc_commands(opts.doc))
        failures = check_doc(tg, opts.doc, cwd) + check_help(tg, cwd)
    if failures:
        return 1
    print("doc_examples: %d commands of %s and the help's examples run" % (n, opts.doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
