#!/usr/bin/env python3
"""torch_compare.py -- `tg grad` against PyTorch float64 on random nested
expressions.

Draws expressions from a small grammar over a scalar s, vectors x, y (3) and
u (2), and a matrix W (2x3): the language's functions (each used only where
it is smooth, e.g. log of a positive argument), reductions with and without
an axis, comparisons inside where, matrix products, broadcasting and inline
array literals. Each expression is evaluated by `tg grad --json` and by
torch in float64 with autograd; values must agree to 1e-8 and gradients to
1e-7, relative (with an absolute floor of 1e-10).

A function the tool does not offer (absent from `tg help expressions`) is
left out, and the run lists what it covered. Exits 1 on the first
disagreement, printing the expression, both results and a command to
reproduce it.

    /usr/bin/python3 tests/torch_compare.py --tg build/tools/tg [--count N] [--seed S]
"""
import argparse
import json
import math
import random
import re
import subprocess
import sys

try:
    import torch
except ImportError:
    sys.exit("torch_compare: PyTorch is missing; tools/bootstrap.sh installs python3-torch")

torch.set_default_dtype(torch.float64)
F = torch.nn.functional

SHAPES = {"s": (), "x": (3,), "y": (3,), "u": (2,), "W": (2, 3)}

# name -> (torch function, argument kinds); kinds: "any" (any value), "pos"
# (the generator makes the argument positive), "unit" (inside (-1, 1)).
# Keyword arguments are written the same way in both languages.
UNARY = {
    "exp": (lambda a: torch.exp(a), "small"),
    "log": (torch.log, "pos"),
    "sqrt": (torch.sqrt, "pos"),
    "abs": (torch.abs, "any"),
    "sigmoid": (torch.sigmoid, "any"),
    "tanh": (torch.tanh, "any"),
    "relu": (torch.relu, "any"),
    "sin": (torch.sin, "any"),
    "cos": (torch.cos, "any"),
    "tan": (torch.tan, "unit"),
    "asin": (torch.asin, "unit"),
    "acos": (torch.acos, "unit"),
    "atan": (torch.atan, "any"),
    "sinh": (torch.sinh, "small"),
    "cosh": (torch.cosh, "small"),
    "asinh": (torch.asinh, "any"),
    "acosh": (lambda a: torch.acosh(a), "gt1"),
    "atanh": (torch.atanh, "unit"),
    "log1p": (torch.log1p, "pos"),
    "expm1": (torch.expm1, "small"),
    "log2": (torch.log2, "pos"),
    "log10": (torch.log10, "pos"),
    "exp2": (torch.exp2, "small"),
    "erf": (torch.erf, "any"),
    "erfc": (torch.erfc, "any"),
    "square": (torch.square, "any"),
    "rsqrt": (torch.rsqrt, "pos"),
    "reciprocal": (torch.reciprocal, "pos"),
    "gelu": (F.gelu, "any"),
    "silu": (F.silu, "any"),
    "softplus": (F.softplus, "any"),
    "elu": (F.elu, "any"),
    "selu": (F.selu, "any"),
    "celu": (F.celu, "any"),
    "log_sigmoid": (F.logsigmoid, "any"),
    "softsign": (F.softsign, "any"),
    "mish": (F.mish, "any"),
    "hardtanh": (F.hardtanh, "any"),
    # PyTorch 1.13's hardsigmoid backward multiplies by 1/6 rounded to float
    # even in float64 (0.16666667163...); the same function composed of ops
    # gives the exact 1/6 (the kinks at +-3 are never drawn)
    "hardsigmoid": (lambda a: torch.clamp(a / 6 + 0.5, 0, 1), "any"),
    "identity": (lambda a: a, "any"),
}
# reductions of everything to a scalar
REDUCE = {
    "sum": torch.sum,
    "mean": torch.mean,
    # the first extreme element takes the gradient, as with a dim in torch
    "max": lambda a: torch.max(a.reshape(-1), 0).values,
    "min": lambda a: torch.min(a.reshape(-1), 0).values,
    "logsumexp": lambda a: torch.logsumexp(a.reshape(-1), 0),
    "norm": lambda a: torch.linalg.vector_norm(a),
    "var": lambda a: torch.var(a),
    "std": lambda a: torch.std(a),
    "prod": torch.prod,
}
BINARY = {
    "maximum": ("max", torch.maximum),
    "minimum": ("min", torch.minimum),
    "atan2": ("atan2", torch.atan2),
    "logaddexp": ("logaddexp", torch.logaddexp),
}
COMPARE = {"<": torch.lt, "<=": torch.le, ">": torch.gt, ">=": torch.ge}


def broadcast(a, b):
    """The broadcast shape of a and b, or None."""
    out = []
    for i in range(max(len(a), len(b))):
        da = a[len(a) - 1 - i] if i < len(a) else 1
        db = b[len(b) - 1 - i] if i < len(b) else 1
        if da != db and da != 1 and db != 1:
            return None
        out.append(max(da, db))
    return tuple(reversed(out))


class Gen:
    """Random expressions as (tg text, torch thunk, shape) triples."""

    def __init__(self, rng, available):
        self.rng = rng
        self.unary = [n for n in UNARY if n in available]
        self.reduce = [n for n in REDUCE if n in available]
        self.binary = [n for n in BINARY if BINARY[n][0] in available]
        self.has_where = "where" in available and "compare" in available
        self.has_literals = "literals" in available
        self.used = set()

    def leaf(self):
        r = self.rng.random()
        if r < 0.12:
            c = round(self.rng.uniform(-2, 2), 3)
            return (repr(c) if c >= 0 else "(%r)" % c, lambda env: torch.tensor(c), ())
        if r < 0.2 and self.has_literals:
            vals = [round(self.rng.uniform(-2, 2), 3) for _ in range(3)]
            self.used.add("literal")
            return ("[%s]" % ", ".join(repr(v) for v in vals),
                    lambda env: torch.tensor(vals), (3,))
        name = self.rng.choice(list(SHAPES))
        return (name, lambda env: env[name], SHAPES[name])

    def domain(self, kind, e):
        """Wraps e so that it lies in the function's domain."""
        text, f, shape = e
        if kind == "pos":
            return ("(abs(%s) + 0.5)" % text, lambda env: torch.abs(f(env)) + 0.5, shape)
        if kind == "gt1":
            return ("(abs(%s) + 1.5)" % text, lambda env: torch.abs(f(env)) + 1.5, shape)
        if kind == "unit":
            return ("(0.9 * tanh(%s))" % text, lambda env: 0.9 * torch.tanh(f(env)), shape)
        if kind == "small":
            return ("(2 * tanh(%s))" % text, lambda env: 2 * torch.tanh(f(env)), shape)
        return e

    def expr(self, depth):
        if depth <= 0 or self.rng.random() < 0.2:
            return self.leaf()
        r = self.rng.random()
        if r < 0.35 and self.unary:
            name = self.rng.choice(self.unary)
            fn, kind = UNARY[name]
            text, f, shape = self.domain(kind, self.expr(depth - 1))
            self.used.add(name)
            return ("%s(%s)" % (name, text), lambda env: fn(f(env)), shape)
        if r < 0.55:
            return self.arith(depth)
        if r < 0.65:
            return self.matmul(depth)
        if r < 0.75 and self.binary:
            name = self.rng.choice(self.binary)
            spelled, fn = BINARY[name]
            a, b = self.pair(depth)
            if a is None:
                return self.leaf()
            self.used.add(spelled)
            return ("%s(%s, %s)" % (spelled, a[0], b[0]),
                    lambda env: fn(a[1](env), b[1](env)), broadcast(a[2], b[2]))
        if r < 0.85:
            return self.axis_reduce(depth)
        if r < 0.95 and self.has_where:
            return self.where(depth)
        return self.softmax(depth)

    def pair(self, depth):
        """Two subexpressions whose shapes broadcast."""
        for _ in range(8):
            a, b = self.expr(depth - 1), self.expr(depth - 1)
            if broadcast(a[2], b[2]) is not None:
                return a, b
        return None, None

    def arith(self, depth):
        op = self.rng.choice("+-*/^")
        if op == "^":
            a = self.expr(depth - 1)
            p = self.rng.choice([2, 3])
            return ("(%s)^%d" % (a[0], p), lambda env: a[1](env) ** p, a[2])
        a, b = self.pair(depth)
        if a is None:
            return self.leaf()
        if op == "/":
            b = self.domain("pos", b)
        fn = {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div}[op]
        return ("(%s %s %s)" % (a[0], op, b[0]), lambda env: fn(a[1](env), b[1](env)),
                broadcast(a[2], b[2]))

    def matmul(self, depth):
        v = self.expr(depth - 1)
        if v[2] != (3,):
            v = ("(x * %s)" % v[0], lambda env, f=v[1]: env["x"] * f(env), (3,)) \
                if broadcast(v[2], (3,)) == (3,) else ("x", lambda env: env["x"], (3,))
        return ("(W @ %s)" % v[0], lambda env: env["W"] @ v[1](env), (2,))

    def axis_reduce(self, depth):
        a = self.expr(depth - 1)
        if a[2] == (2, 3) and self.rng.random() < 0.6:
            axis = self.rng.choice([0, 1, -1])
            name = self.rng.choice(["sum", "mean"])
            fn = getattr(torch, name)
            self.used.add(name + "(axis)")
            return ("%s(%s, axis=%d)" % (name, a[0], axis),
                    lambda env: fn(a[1](env), dim=axis), tuple(
                        d for i, d in enumerate(a[2]) if i != axis % 2))
        if not self.reduce:
            return a
        name = self.rng.choice(self.reduce)
        self.used.add(name)
        return ("%s(%s)" % (name, a[0]), lambda env: REDUCE[name](a[1](env)), ())

    def where(self, depth):
        a, b = self.pair(depth)
        if a is None:
            return self.leaf()
        c = self.expr(depth - 1)
        op = self.rng.choice(list(COMPARE))
        shape = broadcast(broadcast(a[2], b[2]), c[2])
        if shape is None:
            return a
        self.used.add("where")
        return ("where(%s %s 0, %s, %s)" % (c[0], op, a[0], b[0]),
                lambda env: torch.where(COMPARE[op](c[1](env), 0), a[1](env), b[1](env)),
                shape)

    def softmax(self, depth):
        a = self.expr(depth - 1)
        if a[2] == ():
            return a
        name = self.rng.choice(["softmax", "log_softmax"])
        self.used.add(name)
        fn = torch.softmax if name == "softmax" else torch.log_softmax
        return ("%s(%s)" % (name, a[0]), lambda env: fn(a[1](env), dim=-1), a[2])


def available_functions(tg):
    """What the tool's language offers, read from its help."""
    text = subprocess.run([tg, "help", "expressions"], capture_output=True, text=True).stdout
    names = set(re.findall(r"\b([a-z_][a-z0-9_]*)\(", text))
    names |= set(re.findall(r"\b([a-z_][a-z0-9_]+)\b", text))
    if re.search(r"< <= > >=|comparison", text):
        names.add("compare")
    if re.search(r"array literal|inline array", text):
        names.add("literals")
    return names


def values(rng):
    env, args = {}, []
    for name, shape in SHAPES.items():
        t = torch.randn(shape, generator=rng) if shape else torch.randn((), generator=rng)
        t = torch.round(t * 1000) / 1000
        env[name] = t.clone().requires_grad_(True)
        args.append("%s=%s" % (name, json.dumps(t.tolist())))
    return env, args


def close(a, b, rel):
    """Within rel (and 1e-10 absolute); JSON's null is tg's NaN, and a NaN
    agrees only with a NaN."""
    a = math.nan if a is None else a
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-10


def flat(v):
    return [v] if not isinstance(v, list) else [e for item in v for e in flat(item)]


def check(tg, text, f, env, args):
    out = subprocess.run([tg, "grad", text] + args + ["--json"], capture_output=True, text=True)
    if out.returncode != 0:
        return "tg failed: " + out.stderr.strip()
    got = json.loads(out.stdout)
    y = f(env)
    if y.requires_grad:
        y.backward()
    if not close(got["value"], y.item(), 1e-8):
        return "value %r, torch %r" % (got["value"], y.item())
    for name, t in env.items():
        want = t.grad.reshape(-1).tolist() if t.grad is not None else [0.0] * t.numel()
        have = flat(got["grad"].get(name, [0.0] * t.numel()))
        for i, (h, w) in enumerate(zip(have, want)):
            if not close(h, w, 1e-7):
                return "d/d%s[%d]: tg %r, torch %r" % (name, i, h, w)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tg", required=True)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--depth", type=int, default=4)
    opts = ap.parse_args()
    rng = random.Random(opts.seed)
    trng = torch.Generator().manual_seed(opts.seed)
    gen = Gen(rng, available_functions(opts.tg))
    checked = 0
    for i in range(opts.count):
        text, f, shape = gen.expr(opts.depth)
        text, f = "sum(%s)" % text, (lambda g: (lambda env: torch.sum(g(env))))(f)
        env, args = values(trng)
        with torch.no_grad():
            probe = f({k: v.detach() for k, v in env.items()})
        if not math.isfinite(probe.item()) or not re.search(r"\b[sxyuW]\b", text):
            continue  # torch itself overflowed, or no variable: nothing to compare
        err = check(opts.tg, text, f, env, args)
        if err:
            print("torch_compare: expression %d disagrees: %s" % (i, err))
            print("  %s grad '%s' %s --json" % (opts.tg, text, " ".join("'%s'" % a for a in args)))
            return 1
        checked += 1
    print("torch_compare: %d expressions agree with PyTorch %s (float64); covered: %s"
          % (checked, torch.__version__, " ".join(sorted(gen.used))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
