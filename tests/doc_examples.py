#!/usr/bin/env python3
"""doc_examples.py -- every example of the tg tool's documentation runs.

Runs, with the tg binary of the build:
  - each command of the example blocks of docs/tg/{tg,grad,explain,dot,lint,
    gradcheck,descend,fit}.md: a line `$ tg ...` anywhere in a fenced block, and each
    `tg ...` line of a block under an EXAMPLES heading (a trailing backslash
    continues the line; a pipe or a redirection ends the command, so
    `tg dot ... | dot -Tsvg` runs tg's part). When the doc shows output under
    a `$ tg` line it must be what tg prints (on standard error, exit status
    2, when the output is an error), a `...` standing for any text; a
    command whose arguments the doc abbreviates (`u=... z=...`) runs with
    the ones EXPANSIONS gives;
  - each `tg ...` command written inline in backquotes in docs/tg/tg.md;
  - each `example:` line of `tg help COMMAND`, and each quoted program of
    `tg help expressions`, with the variables that BINDINGS gives it;
  - the language section's inline examples listed in INLINE, each of which
    must still appear in docs/tg/tg.md as written.
train and eval need a data set and minutes: their pages are left to
suite_cli_train. Each command runs in a scratch directory (dot --png
writes a file) that holds the data files of FILES, which the pages show.
Exits 1 listing every example that failed.

    /usr/bin/python3 tests/doc_examples.py --tg build/tools/tg --doc docs/tg/tg.md
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile

PAGES = ["tg.md", "grad.md", "explain.md", "dot.md", "lint.md", "gradcheck.md", "descend.md",
         "fit.md"]
PAGES += ["quiz.md", "check.md"]  # tg quiz and tg check, the same way

# The CSV files the pages' examples read (--data), as the pages show them:
# line.csv, three samples of t = 2x; decay.csv, 2.5 exp(-0.7 t) + 0.3 to
# four decimals.
FILES = {
    "line.csv": "x,t\n1,2\n2,4\n3,6\n",
    "decay.csv": "t,y\n0,2.8000\n0.5,2.0617\n1,1.5415\n1.5,1.1748\n2,0.9165\n3,0.6061\n"
                 "4,0.4520\n5,0.3755\n6,0.3375\n8,0.3092\n",
}
# A student's answers to tg quiz '(x+y)*z' x=-2 y=5 z=-4, for tg check:
# mistake.txt as check.md shows it (d/dz of v1 * z taken to be z), and
# answers.txt all right (the example of tg help check).
FILES["mistake.txt"] = ("# tg check '(x+y)*z' x=-2 y=5 z=-4 FILE\nlocal df/dv1 = -4\n"
                        "local df/dz = -4       # d/dz (v1 * z): I wrote z\nupstream df/dv1 = -4\n"
                        "local dv1/dx = 1\nlocal dv1/dy = 1\ngradient df/dx = -4\n"
                        "gradient df/dy = -4\ngradient df/dz = -4\n")
FILES["answers.txt"] = ("local df/dv1 = -4\nlocal df/dz = 3\nupstream df/dv1 = -4\n"
                        "local dv1/dx = 1\nlocal dv1/dy = 1\ngradient df/dx = -4\n"
                        "gradient df/dy = -4\ngradient df/dz = 3\n")

# docs/tutorial.md, a page of its own (commands shown with their output, as
# on the docs/tg pages): it reads line.csv, the notes' regression points in
# regression.csv, and forty points of y = 2x + 1 in line40.csv, which it
# makes with awk's %.6g numbers, written here the same way.
PAGES += ["../tutorial.md"]
FILES["regression.csv"] = "x,y\n-10,6\n12,30\n-5,19\n6,0\n"
FILES["line40.csv"] = "x,y\n" + "".join("%g,%g\n" % (i / 4 - 5, 2 * (i / 4 - 5) + 1)
                                       for i in range(40))



def shaped(axis, n=20, nd=6):
    """Nested lists of shape [1, ..., n (at axis), ..., 1] of ones."""
    value = 1
    for d in range(nd - 1, -1, -1):
        value = [value] * (n if d == axis else 1)
    return value


# The arguments a doc abbreviates: the six 6-d operands of the memory
# budget's example, each 20 long along its own axis.
EXPANSIONS = {
    "u=... z=...": ["%s=%s" % (name, str(shaped(k)).replace(" ", ""))
                    for k, name in enumerate("uvwxyz")],
}

# Variables for the programs quoted in `tg help expressions`.
BINDINGS = {
    "h = sigmoid(W1 @ x + b1); y = sigmoid(W2 @ h + b2)":
        ["W1=[[1,2],[3,4]]", "x=[1,-1]", "b1=[0,0]", "W2=[[1,-1]]", "b2=[0.5]"],
    "def sq(a) = a * a; sum(sq(x - t))": ["x=[1,2]", "t=[0.5,0.5]"],
    "a, b = chunk(x, 2); sum(a * b)": ["x=[1,2,3,4]"],
}

# The language section's inline examples: (text in tg.md, program run,
# variables, what the run must give: a value prefix, or "error: ..." for a
# substring of the error message).
INLINE = [
    ("mse(yhat, [0.1, 0.9])", "mse(yhat, [0.1, 0.9])", ["yhat=[0.1,0.7]"], "0.02"),
    ("W @ [1, -1]", "sum(W @ [1, -1])", ["W=[[1,2],[3,4]]"], "-2"),
    ("[[1, 2], [3, 4]] @ x", "sum([[1, 2], [3, 4]] @ x)", ["x=[1,-1]"], "-2"),
    ("2^3^2", "x + 2^3^2", ["x=0"], "512"),
    ("-x^2", "-x^2", ["x=3"], "-9"),
    ("2^-1", "x + 2^-1", ["x=0"], "0.5"),
    ("x + 1 > 2", "x + 1 > 2", ["x=1.5"], "1"),
    ("where(x > 0, x, 0.1*x)", "sum(where(x > 0, x, 0.1*x))", ["x=[-2,3]"], "2.8"),
    ("a < b < c", "a < b < c", ["a=1", "b=2", "c=3"], "error: "),
    ("logical_and(a < b, b < c)", "logical_and(a < b, b < c)", ["a=1", "b=2", "c=3"], "1"),
    ("leaky_relu(x, slope=0.2)", "leaky_relu(x, slope=0.2)", ["x=-1"], "-0.2"),
    ("clamp(x, min=lo, max=hi)", "sum(clamp(x, min=lo, max=hi))",
     ["x=[-2,0.5,3]", "lo=[-1,-1,-1]", "hi=[1,1,1]"], "0.5"),
    ("atan2(y, x)", "atan2(y, x)", ["y=1", "x=1"], "0.785398"),
    ("logaddexp(a, b)", "logaddexp(a, b)", ["a=1e4", "b=1e4"], "10000.69"),
    ("[1000, 1000]", "logsumexp(x)", ["x=[1000,1000]"], "1000.69"),
    ("axis=[0, 1]", "sum(mean(x, axis=[0, 1], keepdim=1))", ["x=[[1,2],[3,6]]"], "3"),
    ("mse(x, 0)", "mse(x, 0)", ["x=[1,2]"], "2.5"),
    ("def huber(a, d) = where(abs(a) <= d, 0.5*a^2, d*(abs(a) - 0.5*d)); sum(huber(x - t, 1))",
     "def huber(a, d) = where(abs(a) <= d, 0.5*a^2, d*(abs(a) - 0.5*d)); sum(huber(x - t, 1))",
     ["x=[0.5,3]", "t=[0,0]"], "2.625"),
    ("huber(x - t, d=1)",
     "def huber(a, d) = where(abs(a) <= d, 0.5*a^2, d*(abs(a) - 0.5*d)); sum(huber(x - t, d=1))",
     ["x=[0.5,3]", "t=[0,0]"], "2.625"),
    ("x**2", "x**2", ["x=1"], "error: use ^ for powers"),
    ("unknown function 'sigmod'; did you mean sigmoid?", "sigmod(x)", ["x=1"],
     "error: unknown function 'sigmod'; did you mean sigmoid?"),
    ("a, b = chunk(x, 2); sum(a * b)", "a, b = chunk(x, 2); sum(a * b)", ["x=[1,2,3,4]"],
     "11"),
    ("a, b = split(x, [1, 1, 2])", "a, b = split(x, [1, 1, 2]); a", ["x=[1,2,3,4]"],
     "error: 2 names for the 3 tensors split() returns"),
    ("chunk(x, 2)[1]", "sum(chunk(x, 2)[1])", ["x=[1,2,3,4]"], "7"),
    ("unbind(W)[0][1]", "unbind(W)[0][1]", ["W=[[1,2],[3,4]]"], "2"),
    ("stack(unbind(W), axis=1)", "stack(unbind(W), axis=1)[0, 1]", ["W=[[1,2],[3,4]]"], "3"),
    ("sum(chunk(x, 2))", "sum(chunk(x, 2))", ["x=[1,2,3,4]"], "error: pick one"),
    ("x^2", "x^2 - 10", ["x=3"], "-1"),
    ("2*x", "2*x", ["x=3"], "6"),
]


def command_of(text):
    """The argv of a documented command line, up to a pipe or redirection,
    with abbreviated arguments expanded."""
    for short, full in EXPANSIONS.items():
        text = text.replace(short, " ".join(full))
    words = shlex.split(text)
    for i, w in enumerate(words):
        if w in ("|", ">", "<") or w.startswith(">"):
            return words[:i]
    return words


def doc_examples(path):
    """(command, shown output or None) for each example of a page."""
    lines = open(path, encoding="utf-8").read().split("\n")
    out, in_fence, in_block, examples_heading, i = [], False, False, False, 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            examples_heading = line.strip() == "## EXAMPLES"
        if line.startswith("```"):
            # a fence opens or closes a block; only an untagged one holds
            # examples (```text, ```c ... are shown, not run)
            in_fence = not in_fence
            in_block = in_fence and line.strip() == "```"
            i += 1
            continue
        shown = line.startswith("$ tg ")
        if in_block and (shown or (examples_heading and line.startswith("tg "))):
            text = line[2:] if shown else line
            while text.endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text[:-1] + " " + lines[i].strip()
            output = None
            if shown:
                body = []
                while i + 1 < len(lines) and not lines[i + 1].startswith(("$ ", "```")):
                    i += 1
                    body.append(lines[i])
                output = "\n".join(body).rstrip("\n") + "\n" if "".join(body).strip() else None
            out.append((command_of(text), output))
        i += 1
    return out


def run(tg, argv):
    return subprocess.run([tg] + argv[1:], capture_output=True, text=True, timeout=120)


def shows(output, printed):
    """Whether printed is the output the doc shows, `...` standing for any
    text (trailing blank lines aside)."""
    pattern = ".*?".join(re.escape(part) for part in output.rstrip("\n").split("..."))
    return re.fullmatch(pattern, printed.rstrip("\n"), re.S) is not None


def check_command(tg, argv, output):
    """None when the command behaves as documented, else what went wrong."""
    r = run(tg, argv)
    if output is not None and output.startswith("tg: error"):
        if r.returncode != 2 or not shows(output, r.stderr):
            return "exit %d, stderr %r; the doc shows %r" % (r.returncode, r.stderr, output)
        return None
    # lint exits 1 on a hazard, gradcheck on a mismatch the doc shows
    ok = {0, 1} if "lint" in argv[1:3] or (output and "FAIL" in output) else {0}
    if "check" in argv[1:3] and output and "wrong" in output:
        ok = {0, 1}  # tg check exits 1 on the wrong answers the doc grades
    if r.returncode not in ok:
        if "dot" in argv and "--png" in argv and "Graphviz" in r.stderr:
            return None  # no Graphviz here: dot --png says so, as documented
        return "exit %d: %s" % (r.returncode, r.stderr.strip())
    if output is not None and not shows(output, r.stdout):
        return "prints %r; the doc shows %r" % (r.stdout, output)
    return None


def check_program(tg, program, variables, want):
    r = run(tg, ["tg", "grad", program] + variables)
    if want.startswith("error: "):
        if r.returncode != 2 or want[7:] not in r.stderr:
            return "exit %d, stderr %r; wanted an error with %r" % (r.returncode, r.stderr,
                                                                     want[7:])
        return None
    if r.returncode != 0:
        return "exit %d: %s" % (r.returncode, r.stderr.strip())
    value = r.stdout.split("\n")[0].split(" = ", 1)[-1]
    if want and not value.startswith(want):
        return "value %s, wanted %s" % (value, want)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tg", required=True)
    ap.add_argument("--doc", required=True, help="docs/tg/tg.md; its directory has the pages")
    opts = ap.parse_args()
    opts.docs = os.path.dirname(os.path.abspath(opts.doc))
    tg = os.path.abspath(opts.tg)
    failures, count = [], 0

    def record(what, err):
        nonlocal count
        count += 1
        if err:
            failures.append("%s\n    %s" % (what, err))

    os.chdir(tempfile.mkdtemp(prefix="tg-doc-examples-"))
    for name, text in FILES.items():
        with open(name, "w", encoding="utf-8") as f:
            f.write(text)
    for page in PAGES:
        path = os.path.join(opts.docs, page)
        for argv, output in doc_examples(path):
            record("%s: %s" % (page, shlex.join(argv)), check_command(tg, argv, output))
    tg_md = open(os.path.join(opts.docs, "tg.md"), encoding="utf-8").read()
    for text in re.findall(r"`(tg (?:grad|explain|dot|lint) [^`]+)`", tg_md.replace("\n", " ")):
        record("tg.md inline: " + text, check_command(tg, command_of(text), None))
    for line in run(tg, ["tg", "help"]).stdout.split("\n"):
        name = line.split()[0] if line.startswith("  ") and line.split() else ""
        if name in ("train", "eval", "help", ""):
            continue
        usage = run(tg, ["tg", "help", name]).stdout
        for m in re.finditer(r"^example: ((?:[^\n]*\\\n)*[^\n]*)", usage, re.M):
            text = m.group(1).replace("\\\n", " ")
            record("tg help %s: %s" % (name, text), check_command(tg, command_of(text), None))
    help_text = run(tg, ["tg", "help", "expressions"]).stdout
    for program in re.findall(r"'([^']+)'", help_text.replace("\n    ", " ")):
        if program in ("let",):
            continue
        variables = BINDINGS.get(program)
        if variables is None:
            record("tg help expressions: " + program,
                   "no variables for it in doc_examples.py's BINDINGS")
            continue
        record("tg help expressions: " + program, check_program(tg, program, variables, ""))
    flat_md = re.sub(r"\s+", " ", tg_md)
    for text, program, variables, want in INLINE:
        if text not in flat_md:
            record("tg.md: " + text, "no longer in docs/tg/tg.md; update INLINE")
            continue
        record("tg.md: " + text, check_program(tg, program, variables, want))
    for f in failures:
        print("doc_examples: " + f)
    print("doc_examples: %d of %d examples run as documented" % (count - len(failures), count))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
