#!/usr/bin/env python3
"""torch_compare_jacobian.py -- `tg jacobian` and `tg grad --hessian` against
PyTorch's torch.autograd.functional.jacobian and hessian in float64.

Draws random expressions from torch_compare.py's grammar (the language's
functions, reductions, structure ops, masks, matrix products, broadcasting)
over a scalar s, vectors x, y (3) and u (2) and a matrix W (2x3). For each:
  - an expression of any shape: `tg jacobian --json` by forward mode and by
    reverse mode against torch's jacobian (shape: the result's axes, then the
    variable's);
  - sum(expression): `tg grad --hessian --json` (forward-over-reverse)
    against torch's hessian, every pair of variables.
Values agree to 1e-8, derivatives to 1e-7 relative (1e-10 absolute), except
at a point where torch's derivatives are not finite (a draw of -0.0 under
|u|^1.5), which is not compared. Exits
1 on the first disagreement with the expression, both results and a
command to reproduce it. An expression through an op that has no tangent
rule yet is skipped and the op named in the summary (suite_forward's
catalogue-wide test is the one that requires every rule); --strict fails
on it instead.

    /usr/bin/python3 tests/torch_compare_jacobian.py --tg build/tools/tg [--count N] [--seed S]
"""
import argparse
import json
import math
import os
import random
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_compare as tc  # noqa: E402  (the grammar and the comparisons)

torch = tc.torch
NAMES = list(tc.SHAPES)
SINGULAR = "singular"  # a check that found torch's derivatives not finite


def as_function(f):
    """f(env) as a function of the variables in NAMES order, for torch."""
    return lambda *vs: f(dict(zip(NAMES, vs)))


def run_tg(tg, argv):
    out = subprocess.run([tg] + argv, capture_output=True, text=True)
    if out.returncode != 0:
        return None, "tg failed: " + out.stderr.strip()
    return json.loads(out.stdout), None


def compare_lists(have, want, what):
    have, want = tc.flat(have), [float(w) for w in want]
    if len(have) != len(want):
        return "%s: tg has %d numbers, torch %d" % (what, len(have), len(want))
    for i, (h, w) in enumerate(zip(have, want)):
        if not tc.close(h, w, 1e-7):
            return "%s[%d]: tg %r, torch %r" % (what, i, h, w)
    return None


def check_jacobian(tg, text, f, env, args, mode):
    got, err = run_tg(tg, ["jacobian", text] + args + ["--json", "--mode", mode])
    if err:
        return err
    inputs = tuple(env[n].detach() for n in NAMES)
    y = as_function(f)(*inputs)
    err = compare_lists(got["value"], y.reshape(-1).tolist(), "value")
    if err:
        return err
    jac = torch.autograd.functional.jacobian(as_function(f), inputs)
    if not all(bool(torch.isfinite(j).all()) for j in jac):
        return SINGULAR  # no finite derivative to match
    for name, j in zip(NAMES, jac):
        err = compare_lists(got["jacobian"][name], j.reshape(-1).tolist(),
                            "%s dy/d%s" % (mode, name))
        if err:
            return err
    return None


def check_hessian(tg, text, f, env, args):
    got, err = run_tg(tg, ["grad", text] + args + ["--json", "--hessian"])
    if err:
        return err
    inputs = tuple(env[n].detach() for n in NAMES)
    hess = torch.autograd.functional.hessian(as_function(f), inputs)
    if not all(bool(torch.isfinite(h).all()) for row in hess for h in row):
        return SINGULAR  # |u|^1.5 at 0: no finite second derivative to match
    for i, a in enumerate(NAMES):
        for j, b in enumerate(NAMES):
            err = compare_lists(got["hessian"][a][b], hess[i][j].reshape(-1).tolist(),
                                "d2y/d%s d%s" % (a, b))
            if err:
                return err
    return None


def finite(f, env):
    with torch.no_grad():
        probe = f({k: v.detach() for k, v in env.items()})
    return bool(torch.isfinite(probe).all())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tg", required=True)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--strict", action="store_true", help="an op without a tangent rule fails")
    opts = ap.parse_args()
    rng = random.Random(opts.seed)
    trng = torch.Generator().manual_seed(opts.seed)
    gen = tc.Gen(rng, tc.available_functions(opts.tg))
    jacobians = hessians = singular = 0
    missing = set()

    def failed(i, err, command):
        rule = re.search(r"tg_jvp: (\S+) has no tangent rule", err)
        if rule and not opts.strict:
            missing.add(rule.group(1))
            return False
        print("torch_compare_jacobian: expression %d disagrees: %s" % (i, err))
        print("  " + command)
        return True

    for i in range(opts.count):
        text, f, _ = gen.expr(opts.depth)
        env, args = tc.values(trng)
        if not re.search(r"\b[sxyuW]\b", text) or not finite(f, env):
            continue  # no variable, or torch itself overflowed
        quoted = " ".join("'%s'" % a for a in args)
        errs = [(check_jacobian(opts.tg, text, f, env, args, mode),
                 "%s jacobian '%s' %s --json --mode %s" % (opts.tg, text, quoted, mode))
                for mode in ("forward", "reverse")]
        total = "sum(%s)" % text
        errs.append((check_hessian(opts.tg, total, lambda env, f=f: torch.sum(f(env)), env, args),
                     "%s grad '%s' %s --json --hessian" % (opts.tg, total, quoted)))
        singular += any(e == SINGULAR for e, _ in errs)
        bad = [(e, c) for e, c in errs if e and e != SINGULAR]
        if any(failed(i, e, c) for e, c in bad):
            return 1
        jacobians += not bad and all(e != SINGULAR for e, _ in errs[:2])
        hessians += not bad and errs[2][0] != SINGULAR
    print("torch_compare_jacobian: %d Jacobians (forward and reverse) and %d Hessians agree "
          "with PyTorch %s (float64); %d at singular points not compared%s"
          % (jacobians, hessians, torch.__version__, singular,
             "; skipped, no tangent rule yet: " + " ".join(sorted(missing)) if missing else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
