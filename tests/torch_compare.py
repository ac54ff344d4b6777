#!/usr/bin/env python3
"""torch_compare.py -- `tg grad` against PyTorch float64 on random nested
expressions.

Draws expressions from a small grammar over a scalar s, vectors x, y (3) and
u (2), and a matrix W (2x3): the language's functions (each used only where
it is smooth, e.g. log of a positive argument), with keyword arguments
(softplus(x, beta=2), elu(x, alpha=0.5), ...); reductions of everything, of
one axis or of a list of axes, with keepdim, correction (var, std) and p
(norm), and cumsum and cumprod along an axis; comparisons and logical masks
inside where and masked_fill, and as 0/1 factors; clamp with number and
tensor bounds; matrix products, broadcasting, inline array literals, the
constants pi and e, and functions of one's own (def); and structure: subscripts
(x[i], x[a:b:s] with steps, x[:, j], index arrays), concat, stack, permute,
transpose, reshape, flip, roll, repeat, tril/triu, trace, dot, outer, pad (every mode),
movedim, unflatten, tile, expand and take_along_axis inside the arithmetic
and reductions; and the several results of chunk, split and unbind, picked
(chunk(x, 2)[1]), given to concat or stack whole, or bound by a
destructuring (p, q = split(...); sum(expression of p, q)). Each expression is evaluated by `tg grad --json` and by
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
    "leaky_relu": (F.leaky_relu, "any"),
    # gradient 0 everywhere in both (round halves to even in both); torch.sign
    # makes NaN 0 (pytorch/pytorch#41245), tg keeps it as NumPy does
    # (docs/ops.md), so NaN is passed through on torch's side
    "sign": (lambda a: torch.where(torch.isnan(a), a, torch.sign(a)), "any"),
    "floor": (torch.floor, "any"),
    "ceil": (torch.ceil, "any"),
    "round": (torch.round, "any"),
    "trunc": (torch.trunc, "any"),
    # PyTorch 1.13's hardsigmoid backward multiplies by 1/6 rounded to float
    # even in float64 (0.16666667163...); the same function composed of ops
    # gives the exact 1/6 (the kinks at +-3 are never drawn)
    "hardsigmoid": (lambda a: torch.clamp(a / 6 + 0.5, 0, 1), "any"),
    "identity": (lambda a: a, "any"),
}


def about_first(a, dims):
    """a minus the first element of each of its slices over dims. torch's var
    and std of a constant slice can come out as 1e-18 instead of 0 (its mean
    rounds: (0.1 + 0.1 + 0.1) / 3 is not 0.1), and std's gradient there is
    then of order 1 instead of PyTorch's own 0 at zero variance; tg takes
    the deviations about the first element, exact there. The shift changes
    neither the value nor the gradient otherwise."""
    first = a
    for d in dims:
        first = first.narrow(d, 0, 1)
    return a - first


# reductions of everything to a scalar
REDUCE = {
    "sum": torch.sum,
    "mean": torch.mean,
    # the first extreme element takes the gradient, as with a dim in torch
    "max": lambda a: torch.max(a.reshape(-1), 0).values,
    "min": lambda a: torch.min(a.reshape(-1), 0).values,
    "logsumexp": lambda a: torch.logsumexp(a.reshape(-1), 0),
    "norm": lambda a: torch.linalg.vector_norm(a),
    # (one element as a 0-d tensor: torch 1.13's var backward fails on a
    # one-element vector, "got [] but expected shape compatible with [1]";
    # both give NaN)
    "var": lambda a: torch.var(about_first(a.reshape(-1), [0]) if a.numel() > 1
                               else a.reshape(())),
    "std": lambda a: torch.std(about_first(a.reshape(-1), [0]) if a.numel() > 1
                               else a.reshape(())),
    "prod": torch.prod,
}
# functions with keyword arguments: name -> (torch function of the tensor and
# the keywords, {keyword: values to draw}); tg spells the keyword as the key,
# torch as the second element when it differs
KEYWORD = {
    "softplus": (lambda a, beta=1, threshold=20: F.softplus(a, beta, threshold),
                 {"beta": [0.5, 2, 3], "threshold": [1, 5, 20]}),
    "elu": (lambda a, alpha=1: F.elu(a, alpha), {"alpha": [0.5, 2]}),
    "celu": (lambda a, alpha=1: F.celu(a, alpha), {"alpha": [0.5, 2]}),
    "leaky_relu": (lambda a, slope=0.01: F.leaky_relu(a, slope), {"slope": [0.2, 0.5]}),
    "hardtanh": (lambda a, min_val=-1, max_val=1: F.hardtanh(a, min_val, max_val),
                 {"min_val": [-0.5, -2], "max_val": [0.5, 2]}),
    "gelu": (lambda a, approximate=0: F.gelu(a, approximate="tanh" if approximate else "none"),
             {"approximate": [0, 1]}),
}
# reductions along axes: name -> (torch function of (a, dims, keepdim, option),
# whether a list of axes is allowed, the option's keyword and values)
AXIS_REDUCE = {
    "sum": (lambda a, d, k, o: torch.sum(a, dim=d, keepdim=k), True, None),
    "mean": (lambda a, d, k, o: torch.mean(a, dim=d, keepdim=k), True, None),
    "logsumexp": (lambda a, d, k, o: torch.logsumexp(a, dim=d, keepdim=k), True, None),
    # torch shares the gradient of tied extremes evenly, as tg does
    "amax": (lambda a, d, k, o: torch.amax(a, dim=d, keepdim=k), True, None),
    "amin": (lambda a, d, k, o: torch.amin(a, dim=d, keepdim=k), True, None),
    "var": (lambda a, d, k, o: torch.var(about_first(a, d), dim=d, correction=o, keepdim=k),
            True, ("correction", [0, 1])),
    "std": (lambda a, d, k, o: torch.std(about_first(a, d), dim=d, correction=o, keepdim=k),
            True, ("correction", [0, 1])),
    "norm": (lambda a, d, k, o: torch.linalg.vector_norm(a, ord=o, dim=d, keepdim=k), True,
             ("p", [1, 2, 3, 1.5])),
    "prod": (lambda a, d, k, o: torch.prod(a, dim=d[0], keepdim=k), False, None),
}
# along one axis, shape kept
SCAN = {"cumsum": torch.cumsum, "cumprod": torch.cumprod}
def atan2_at_origin_zero(y, x):
    """atan2 with gradient 0 at (0, 0), as PyTorch since pytorch#166787 and
    tg (docs/ops.md); torch 1.13 gives NaN there."""
    origin = (y == 0) & (x == 0)
    away = torch.atan2(torch.where(origin, torch.ones_like(y), y),
                       torch.where(origin, torch.ones_like(x), x))
    return torch.where(origin, torch.atan2(y, x).detach(), away)


BINARY = {
    "maximum": ("max", torch.maximum),
    "minimum": ("min", torch.minimum),
    "atan2": ("atan2", atan2_at_origin_zero),
    "logaddexp": ("logaddexp", torch.logaddexp),
}
COMPARE = {"<": torch.lt, "<=": torch.le, ">": torch.gt, ">=": torch.ge, "==": torch.eq,
           "!=": torch.ne}
LOGICAL = {"logical_and": torch.logical_and, "logical_or": torch.logical_or}


def _permute(g, a):
    nd = len(a[2])
    if nd < 2:
        return None
    perm = list(range(nd))
    g.rng.shuffle(perm)
    shape = tuple(a[2][p] for p in perm)
    return ("permute(%s, %s)" % (a[0], ", ".join(map(str, perm))),
            lambda env: a[1](env).permute(*perm), shape)


def _transpose(g, a):
    if len(a[2]) < 2:
        return None
    return ("transpose(%s, 0, -1)" % a[0], lambda env: torch.transpose(a[1](env), 0, -1),
            tuple(reversed(a[2])))


def _reshape(g, a):
    n = math.prod(a[2])
    choices = [(n,), (1, n), (n, 1)] + ([(n // 2, 2), (2, -1)] if n % 2 == 0 and n > 2 else [])
    new = g.pick(choices)
    shape = tuple(n // math.prod(d for d in new if d != -1) if d == -1 else d for d in new)
    return ("reshape(%s, %s)" % (a[0], ", ".join(map(str, new))),
            lambda env: a[1](env).reshape(new), shape)


def _flip(g, a):
    if not a[2]:
        return None
    axis = g.rng.randrange(-len(a[2]), len(a[2]))
    return ("flip(%s, %d)" % (a[0], axis), lambda env: torch.flip(a[1](env), [axis]), a[2])


def _roll(g, a):
    if not a[2]:
        return None
    shift = g.rng.randint(-4, 4)
    if g.rng.random() < 0.5:
        return ("roll(%s, %d)" % (a[0], shift), lambda env: torch.roll(a[1](env), shift), a[2])
    axis = g.rng.randrange(-len(a[2]), len(a[2]))
    return ("roll(%s, %d, %d)" % (a[0], shift, axis),
            lambda env: torch.roll(a[1](env), shift, axis), a[2])


def _repeat(g, a):
    nd = max(len(a[2]), 1)
    reps = [g.rng.randint(1, 2) for _ in range(nd)]
    padded = (1,) * (nd - len(a[2])) + a[2]
    return ("repeat(%s, %s)" % (a[0], ", ".join(map(str, reps))),
            lambda env: a[1](env).repeat(*reps), tuple(r * s for r, s in zip(reps, padded)))


def _band(name):
    def make(g, a):
        if len(a[2]) != 2:
            return None
        k = g.rng.randint(-1, 1)
        fn = torch.tril if name == "tril" else torch.triu
        return ("%s(%s, %d)" % (name, a[0], k), lambda env: fn(a[1](env), k), a[2])
    return make


def _trace(g, a):
    if len(a[2]) != 2:
        return None
    # torch 1.13's trace backward fills the flattened matrix every cols + 1
    # elements to its end, wrong for a tall matrix ([6,3]: rows 4, 5 get 1s);
    # the diagonal's sum is the same function with a right backward
    return ("trace(%s)" % a[0], lambda env: torch.diagonal(a[1](env)).sum(), ())


def _vector_pair(name):
    def make(g, a):
        if len(a[2]) != 1:
            return None
        fn = torch.dot if name == "dot" else torch.outer
        shape = () if name == "dot" else (a[2][0], a[2][0])
        return ("%s(%s, sin(%s))" % (name, a[0], a[0]),
                lambda env: fn(a[1](env), torch.sin(a[1](env))), shape)
    return make


PAD_MODES = ["constant", "reflect", "replicate", "circular"]


def _pad(g, a):
    """F.pad of the last axis in any mode (mode=0..3 in tg); reflect wants
    widths below the size, circular at most the size."""
    if not a[2]:
        return None
    n = a[2][-1]
    mode = g.rng.randrange(4)
    top = 2 if mode in (0, 2) else n - 1 if mode == 1 else n
    left, right = g.rng.randint(0, min(2, top)), g.rng.randint(0, min(2, top))
    v = round(g.rng.uniform(-1, 1), 3)
    shape = a[2][:-1] + (n + left + right,)

    def torch_pad(env):
        t = a[1](env).reshape(1, -1, n)  # torch 1.13 pads only 2-d and 3-d inputs in these modes
        return F.pad(t, (left, right), mode=PAD_MODES[mode], value=v if mode == 0 else 0.0) \
            .reshape(shape)
    text = "pad(%s, %d, %d, value=%r)" % (a[0], left, right, v) if mode == 0 else \
        "pad(%s, %d, %d, mode=%d)" % (a[0], left, right, mode)
    return text, torch_pad, shape


def _movedim(g, a):
    nd = len(a[2])
    if nd < 2:
        return None
    src, dst = g.rng.randrange(-nd, nd), g.rng.randrange(-nd, nd)
    shape = list(a[2])
    shape.insert(dst % nd, shape.pop(src % nd))
    return ("movedim(%s, %d, %d)" % (a[0], src, dst),
            lambda env: torch.movedim(a[1](env), src, dst), tuple(shape))


def _unflatten(g, a):
    if not a[2]:
        return None
    axis = g.rng.randrange(len(a[2]))
    n = a[2][axis]
    sizes = g.pick([(1, n), (n, 1)] + ([(2, -1), (-1, 2)] if n % 2 == 0 else []))
    made = tuple(n // 2 if d == -1 else d for d in sizes)
    return ("unflatten(%s, %d, %s)" % (a[0], axis, ", ".join(map(str, sizes))),
            lambda env: torch.unflatten(a[1](env), axis, sizes),
            a[2][:axis] + made + a[2][axis + 1:])


def _tile(g, a):
    reps = tuple(g.rng.randint(1, 2) for _ in range(g.rng.randint(1, len(a[2]) + 1)))
    m = max(len(reps), len(a[2]))
    r = (1,) * (m - len(reps)) + reps
    shape = (1,) * (m - len(a[2])) + a[2]
    return ("tile(%s, %s)" % (a[0], ", ".join(map(str, reps))),
            lambda env: torch.tile(a[1](env), reps), tuple(x * y for x, y in zip(r, shape)))


def _expand(g, a):
    if len(a[2]) > 2:
        return None
    k = g.rng.randint(1, 2)
    sizes = (k,) + (-1,) * len(a[2])
    return ("expand(%s, %s)" % (a[0], ", ".join(map(str, sizes))),
            lambda env: a[1](env).expand(*sizes), (k,) + a[2])


def _take_along_axis(g, a):
    """Indices drawn in -n..n-1 (torch wants them wrapped to 0..n-1), some repeated."""
    if not a[2]:
        return None
    axis = g.rng.randrange(-len(a[2]), len(a[2]))
    n = a[2][axis]
    shape = list(a[2])
    shape[axis] = g.rng.randint(1, 3)
    idx = torch.randint(-n, n, shape, generator=torch.Generator().manual_seed(g.rng.randrange(1 << 30)))
    return ("take_along_axis(%s, %s, %d)" % (a[0], json.dumps(idx.tolist()), axis),
            lambda env: torch.take_along_dim(a[1](env), idx % n, axis), tuple(shape))


def split_pieces(shape, name, axis, arg):
    """The shapes of chunk/split/unbind(shape, arg) along axis, as torch makes them."""
    n = shape[axis]
    if name == "unbind":
        sizes = [None] * n
    elif name == "chunk":
        size = -(-n // arg)
        sizes = [min(size, n - s) for s in range(0, n, size)]
    elif isinstance(arg, list):
        sizes = arg
    else:
        sizes = [min(arg, n - s) for s in range(0, n, arg)]
    return [shape[:axis] + ((d,) if d is not None else ()) + shape[axis + 1:] for d in sizes]


def draw_split(g, a):
    """(tg call, torch thunk of the tuple, piece shapes) splitting a, or None."""
    if not a[2]:
        return None
    nd = len(a[2])
    axis = g.rng.randrange(-nd, nd)
    n = a[2][axis]
    name = g.pick([n for n in ("chunk", "split", "unbind") if n in g.available])
    if name == "chunk":
        arg = g.rng.randint(1, 3)
        text, fn = "chunk(%s, %d, axis=%d)" % (a[0], arg, axis), lambda t: torch.chunk(t, arg, axis)
    elif name == "split" and g.rng.random() < 0.5:
        arg = g.rng.randint(1, 2)
        text, fn = "split(%s, %d, axis=%d)" % (a[0], arg, axis), lambda t: torch.split(t, arg, axis)
    elif name == "split":
        cut = g.rng.randint(1, n - 1) if n > 1 else n
        arg = [cut, n - cut] if cut < n else [n]
        text = "split(%s, %s, axis=%d)" % (a[0], json.dumps(arg), axis)
        fn = lambda t: torch.split(t, arg, axis)
    else:
        text, fn = "unbind(%s, %d)" % (a[0], axis), lambda t: torch.unbind(t, axis)
    g.used.add(name)
    return (text, lambda env: fn(a[1](env)),
            split_pieces(a[2], name, axis % nd, arg if name != "unbind" else None), axis)


def _pick(g, a):
    """One result of chunk/split/unbind, picked as from a tuple; or all of
    them given to concat (to stack, unbind's) along another axis."""
    made = draw_split(g, a)
    if made is None:
        return None
    text, f, shapes, axis = made
    if g.rng.random() < 0.3 and len(set(shapes)) == 1:
        nd = len(shapes[0])
        if text.startswith("unbind"):
            d = g.rng.randrange(-nd - 1, nd + 1)
            out = list(shapes[0])
            out.insert(d % (nd + 1), len(shapes))
            g.used.add("stack(list)")
            return ("stack(%s, axis=%d)" % (text, d),
                    lambda env: torch.stack(f(env), d), tuple(out))
        if nd == 0:
            return None
        d = g.rng.randrange(-nd, nd)
        out = list(shapes[0])
        out[d] *= len(shapes)
        g.used.add("concat(list)")
        return ("concat(%s, axis=%d)" % (text, d), lambda env: torch.cat(f(env), d), tuple(out))
    k = g.rng.randrange(-len(shapes), len(shapes))
    g.used.add("list[k]")
    return ("%s[%d]" % (text, k), lambda env: f(env)[k], shapes[k])


# structural functions: name -> maker(gen, subexpression) or None where the
# shape does not fit; concat, stack and subscripts are the generator's own
STRUCTURE = {
    "permute": _permute, "transpose": _transpose, "reshape": _reshape, "flip": _flip,
    "roll": _roll, "repeat": _repeat, "tril": _band("tril"), "triu": _band("triu"),
    "trace": _trace, "dot": _vector_pair("dot"), "outer": _vector_pair("outer"), "pad": _pad,
    "movedim": _movedim, "unflatten": _unflatten, "tile": _tile, "expand": _expand,
    "take_along_axis": _take_along_axis, "chunk": _pick, "split": _pick, "unbind": _pick,
    "concat": None, "stack": None,
}


def broadcast(a, b):
    """The broadcast shape of a and b, or None (also when either is None)."""
    if a is None or b is None:
        return None
    out = []
    for i in range(max(len(a), len(b))):
        da = a[len(a) - 1 - i] if i < len(a) else 1
        db = b[len(b) - 1 - i] if i < len(b) else 1
        if da != db and da != 1 and db != 1:
            return None
        out.append(max(da, db))
    return tuple(reversed(out))


class Gen:
    """Random expressions as (tg text, torch thunk, shape) triples, over the
    variables in names (name -> shape)."""

    def __init__(self, rng, available, names=None):
        self.rng = rng
        self.available = available
        self.names = names or SHAPES
        self.unary = [n for n in UNARY if n in available]
        self.keyword = [n for n in KEYWORD if n in available]
        self.reduce = [n for n in REDUCE if n in available]
        self.axis_reduce = [n for n in AXIS_REDUCE if n in available]
        self.scans = [n for n in SCAN if n in available]
        self.binary = [n for n in BINARY if BINARY[n][0] in available]
        self.has_compare = "compare" in available
        self.has_where = "where" in available and self.has_compare
        self.has_masked_fill = "masked_fill" in available and self.has_compare
        self.has_logical = "logical_and" in available and "logical_not" in available
        self.has_clamp = "clamp" in available
        self.has_literals = "literals" in available
        self.has_constants = "pi" in available
        self.has_def = "def" in available
        self.has_subscripts = "subscripts" in available
        self.structures = [n for n in STRUCTURE if n in available]
        if self.has_subscripts:
            self.structures.append("subscript")
        self.used = set()

    def pick(self, options):
        return self.rng.choice(options)

    def number(self, lo=-2, hi=2):
        c = round(self.rng.uniform(lo, hi), 3)
        return c, repr(c) if c >= 0 else "(%r)" % c

    def leaf(self):
        r = self.rng.random()
        if r < 0.12:
            c, text = self.number()
            return (text, lambda env: torch.tensor(c), ())
        if r < 0.2 and self.has_literals:
            vals = [round(self.rng.uniform(-2, 2), 3) for _ in range(3)]
            self.used.add("literal")
            return ("[%s]" % ", ".join(repr(v) for v in vals),
                    lambda env: torch.tensor(vals), (3,))
        if r < 0.25 and self.has_constants:
            name = self.pick(["pi", "e"])
            self.used.add(name)
            return (name, lambda env: torch.tensor(math.pi if name == "pi" else math.e), ())
        name = self.pick(list(self.names))
        return (name, lambda env: env[name], self.names[name])

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
        if self.structures and self.rng.random() < 0.18:
            return self.structure(depth)
        r = self.rng.random()
        steps = [(0.25, self.unary and self.apply_unary), (0.31, self.keyword and self.keywords),
                 (0.47, self.arith), (0.54, self.matmul), (0.61, self.binary and self.apply_binary),
                 (0.73, self.reduction), (0.77, self.scans and self.scan),
                 (0.85, self.has_where and self.where),
                 (0.89, self.has_masked_fill and self.masked_fill),
                 (0.93, self.has_clamp and self.clamp), (0.96, self.has_compare and self.mask),
                 (1.0, self.softmax)]
        for bound, make in steps:
            if r < bound and make:
                return make(depth)
        return self.leaf()

    def apply_unary(self, depth):
        name = self.pick(self.unary)
        fn, kind = UNARY[name]
        text, f, shape = self.domain(kind, self.expr(depth - 1))
        self.used.add(name)
        return ("%s(%s)" % (name, text), lambda env: fn(f(env)), shape)

    def keywords(self, depth):
        """A function with one or more of its keyword arguments given."""
        name = self.pick(self.keyword)
        fn, choices = KEYWORD[name]
        keys = [k for k in choices if self.rng.random() < 0.6] or [self.pick(list(choices))]
        kw = {k: self.pick(choices[k]) for k in keys}
        text, f, shape = self.expr(depth - 1)
        self.used.add("%s(%s=)" % (name, ",".join(keys)))
        args = "".join(", %s=%r" % (k, v) for k, v in kw.items())
        return ("%s(%s%s)" % (name, text, args), lambda env: fn(f(env), **kw), shape)

    def apply_binary(self, depth):
        name = self.pick(self.binary)
        spelled, fn = BINARY[name]
        a, b = self.pair(depth)
        if a is None:
            return self.leaf()
        self.used.add(spelled)
        return ("%s(%s, %s)" % (spelled, a[0], b[0]),
                lambda env: fn(a[1](env), b[1](env)), broadcast(a[2], b[2]))

    def pair(self, depth):
        """Two subexpressions whose shapes broadcast."""
        for _ in range(8):
            a, b = self.expr(depth - 1), self.expr(depth - 1)
            if broadcast(a[2], b[2]) is not None:
                return a, b
        return None, None

    def arith(self, depth):
        op = self.pick("+-*/^")
        if op == "^":
            a = self.expr(depth - 1)
            p = self.pick([2, 3])
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
                if broadcast(v[2], (3,)) == (3,) and "x" in self.names \
                else ("[0.5, -1, 2]", lambda env: torch.tensor([0.5, -1.0, 2.0]), (3,))
        if "W" not in self.names:
            return v
        return ("(W @ %s)" % v[0], lambda env: env["W"] @ v[1](env), (2,))

    def reduction(self, depth):
        a = self.expr(depth - 1)
        if a[2] == () or not self.axis_reduce or self.rng.random() < 0.3:
            return self.full_reduction(a)
        return self.along_axes(a)

    def full_reduction(self, a):
        """All elements to one number, sometimes with the option keyword."""
        n = math.prod(a[2])
        # (not of one element: torch's var backward fails there, see REDUCE)
        if self.axis_reduce and n > 1 and self.rng.random() < 0.4:
            name = self.pick(self.axis_reduce)
            fn, _, option = AXIS_REDUCE[name]
            o, text = self.option(option, n)
            if o is not None or option is None:
                self.used.add(name + "(all" + (",%s" % option[0] if option else "") + ")")
                return ("%s(%s%s)" % (name, a[0], text),
                        lambda env: fn(a[1](env).reshape(-1), [0], False, o), ())
        if not self.reduce:
            return a
        # var and std of one element divide 0 by 0, and which zero
        # gradients carry that NaN on is not the comparison's business
        name = self.pick([r for r in self.reduce if n > 1 or r not in ("var", "std")])
        self.used.add(name)
        return ("%s(%s)" % (name, a[0]), lambda env: REDUCE[name](a[1](env)), ())

    def option(self, option, n):
        """A value for the reduction's option keyword and its text; var and
        std take a correction below the number of elements reduced."""
        if option is None:
            return None, ""
        key, values = option
        if key == "correction":  # (not of one element: see REDUCE)
            values = [v for v in values if v < n] if n > 1 else []
        if not values:
            return None, ""
        v = self.pick(values)
        return v, ", %s=%r" % (key, v)

    def along_axes(self, a):
        name = self.pick(self.axis_reduce)
        fn, lists, option = AXIS_REDUCE[name]
        nd = len(a[2])
        if lists and self.rng.random() < 0.4:
            axes = self.rng.sample(range(nd), self.rng.randint(1, nd))
            axes = [d - nd if self.rng.random() < 0.3 else d for d in axes]
            spelled = "axis=[%s]" % ", ".join(map(str, axes))
        else:
            axes = [self.rng.randrange(-nd, nd)]
            spelled = "axis=%d" % axes[0]
        dims = sorted(d % nd for d in axes)
        keep = self.rng.random() < 0.4
        o, text = self.option(option, math.prod(a[2][d] for d in dims))
        if option and o is None:
            return a
        if keep:
            text += ", keepdim=1"
        shape = tuple(1 if i in dims else s for i, s in enumerate(a[2]) if keep or i not in dims)
        self.used.add("%s(%s%s)" % (name, "axes" if spelled.endswith("]") else "axis",
                                    ",keepdim" if keep else ""))
        return ("%s(%s, %s%s)" % (name, a[0], spelled, text),
                lambda env: fn(a[1](env), dims, keep, o), shape)

    def scan(self, depth):
        a = self.expr(depth - 1)
        if a[2] == ():
            return a
        name = self.pick(self.scans)
        axis = self.rng.randrange(-len(a[2]), len(a[2]))
        self.used.add(name)
        return ("%s(%s, %d)" % (name, a[0], axis), lambda env: SCAN[name](a[1](env), axis),
                a[2])

    def condition(self, depth):
        """A 0/1 mask: a comparison, sometimes combined by logical ops."""
        r = self.rng.random()
        if self.has_logical and r < 0.1:
            c = self.condition(depth - 1)
            self.used.add("logical_not")
            return ("logical_not(%s)" % c[0], lambda env: torch.logical_not(c[1](env)), c[2])
        if self.has_logical and r < 0.2:
            c, d = self.condition(depth - 1), self.condition(depth - 1)
            name = self.pick(list(LOGICAL))
            shape = broadcast(c[2], d[2])
            if shape is not None:
                self.used.add(name)
                return ("%s(%s, %s)" % (name, c[0], d[0]),
                        lambda env: LOGICAL[name](c[1](env), d[1](env)), shape)
        a = self.expr(depth - 1)
        b = self.expr(depth - 1) if self.rng.random() < 0.4 else ("0", lambda env: 0, ())
        op = self.pick(list(COMPARE))
        shape = broadcast(a[2], b[2])
        if shape is None:
            a, b, shape = a, ("0", lambda env: 0, ()), a[2]
        self.used.add(op)
        return ("(%s %s %s)" % (a[0], op, b[0]),
                lambda env: COMPARE[op](a[1](env), b[1](env)), shape)

    def where(self, depth):
        a, b = self.pair(depth)
        if a is None:
            return self.leaf()
        c = self.condition(depth - 1)
        shape = broadcast(broadcast(a[2], b[2]), c[2])
        if shape is None:
            return a
        self.used.add("where")
        return ("where(%s, %s, %s)" % (c[0], a[0], b[0]),
                lambda env: torch.where(c[1](env), a[1](env), b[1](env)), shape)

    def masked_fill(self, depth):
        """masked_fill with a mask that broadcasts to x's shape (torch wants that)."""
        x = self.expr(depth - 1)
        for _ in range(4):
            m = self.condition(depth - 1)
            if broadcast(x[2], m[2]) == x[2]:
                break
        else:
            m = ("(%s > 0)" % x[0], lambda env: x[1](env) > 0, x[2])
        v, text = self.number()
        self.used.add("masked_fill")
        return ("masked_fill(%s, %s, %s)" % (x[0], m[0], text),
                lambda env: torch.masked_fill(x[1](env), m[1](env), v), x[2])

    def clamp(self, depth):
        """clamp with number bounds (one may be left out) or tensor bounds."""
        x = self.expr(depth - 1)
        kind = self.pick(["min", "max", "both", "tensor", "tensors"])
        lo, lo_text = self.number(-1.5, 0.5)
        hi, hi_text = self.number(0.6, 2)
        if kind in ("min", "max", "both"):
            args = {"min": ", min=" + lo_text, "max": ", max=" + hi_text,
                    "both": ", %s, %s" % (lo_text, hi_text)}[kind]
            lo = None if kind == "max" else lo
            hi = None if kind == "min" else hi
            self.used.add("clamp(%s)" % kind)
            return ("clamp(%s%s)" % (x[0], args),
                    lambda env: torch.clamp(x[1](env), min=lo, max=hi), x[2])
        a = self.expr(depth - 1)
        b = self.expr(depth - 1) if kind == "tensors" else \
            (hi_text, lambda env: torch.tensor(hi), ())
        shape = broadcast(broadcast(x[2], a[2]), b[2])
        if shape is None:
            return x
        self.used.add("clamp(%s)" % kind)
        # PyTorch 1.13's clamp backward fails on bounds of different shapes
        # ("output with shape [3] doesn't match the broadcast shape [2, 3]"):
        # the operands are broadcast first, which changes no value or gradient
        return ("clamp(%s, %s, %s)" % (x[0], a[0], b[0]),
                lambda env: torch.clamp(*torch.broadcast_tensors(x[1](env), a[1](env),
                                                                 b[1](env))), shape)

    def mask(self, depth):
        """A comparison used as a 0/1 number: it has no gradient."""
        c = self.condition(depth - 1)
        self.used.add("mask")
        return (c[0], lambda env: c[1](env).to(torch.float64), c[2])

    def softmax(self, depth):
        a = self.expr(depth - 1)
        if a[2] == ():
            return a
        name = self.pick(["softmax", "log_softmax"])
        self.used.add(name)
        fn = torch.softmax if name == "softmax" else torch.log_softmax
        return ("%s(%s)" % (name, a[0]), lambda env: fn(a[1](env), dim=-1), a[2])

    def structure(self, depth):
        """Indexing, joining and shape ops applied to a subexpression."""
        name = self.pick(self.structures)
        if name in ("concat", "stack"):
            return self.join(depth, name)
        a = self.expr(depth - 1)
        if name == "subscript":
            return self.subscript(a)
        made = STRUCTURE[name](self, a)
        if made is None:
            return a
        self.used.add(name)
        return made

    def join(self, depth, name):
        """concat or stack of two subexpressions brought to one shape."""
        a, b = self.pair(depth)
        if a is None:
            return self.leaf()
        shape = broadcast(a[2], b[2])
        if name == "concat" and shape == ():
            return a
        # each side broadcast to the common shape, the other's part times 0
        A = ("(%s + 0 * %s)" % (a[0], b[0]), lambda env: a[1](env) + 0 * b[1](env))
        B = ("(%s + 0 * %s)" % (b[0], a[0]), lambda env: b[1](env) + 0 * a[1](env))
        nd = len(shape)
        axis = self.rng.randrange(-nd, nd) if name == "concat" else self.rng.randrange(-nd - 1, nd + 1)
        fn = torch.cat if name == "concat" else torch.stack
        d = axis % nd if name == "concat" else axis % (nd + 1)
        out = list(shape)
        if name == "concat":
            out[d] *= 2
        else:
            out.insert(d, 2)
        self.used.add(name)
        return ("%s(%s, %s, axis=%d)" % (name, A[0], B[0], axis),
                lambda env: fn([A[1](env), B[1](env)], dim=axis), tuple(out))

    def subscript(self, a):
        """a[items]: numbers, slices with steps, at most one index array."""
        shape = a[2]
        if not shape or len(shape) > 2:
            return a
        items, texts, out, arrays = [], [], [], 0
        for n in shape[:self.rng.randint(1, len(shape))]:
            r = self.rng.random()
            if r < 0.35:
                i = self.rng.randrange(-n, n)
                items.append(i)
                texts.append(str(i))
            elif r < 0.5 and not arrays:
                idx = [self.rng.randrange(-n, n) for _ in range(self.rng.randint(1, 4))]
                arrays += 1
                items.append(torch.tensor(idx))
                texts.append("[%s]" % ", ".join(map(str, idx)))
                out.append(len(idx))
            else:
                start = self.pick([None, self.rng.randrange(-n, n)])
                stop = self.pick([None, self.rng.randrange(-n, n + 2)])
                step = self.pick([None, 1, 2, 3])
                sl = slice(start, stop, step)
                items.append(sl)
                texts.append("%s:%s%s" % ("" if start is None else start,
                                         "" if stop is None else stop,
                                         "" if step is None else ":%d" % step))
                out.append(len(range(*sl.indices(n))))
        out += list(shape[len(items):])
        if 0 in out:
            return a
        self.used.add("subscript" + ("[idx]" if arrays else ""))
        key = tuple(items)
        return ("(%s)[%s]" % (a[0], ", ".join(texts)), lambda env: a[1](env)[key], tuple(out))

    def destructuring(self, depth):
        """p, q[, r] = chunk/split/unbind(expr); sum(body over p, q, r, s, x),
        or None when the split does not make two or three pieces."""
        made = draw_split(self, self.expr(depth - 2))
        if made is None or not 2 <= len(made[2]) <= 3:
            return None
        text, f, shapes, _ = made
        names = ["p", "q", "r"][:len(shapes)]
        body_gen = Gen(self.rng, self.available, dict(zip(names, shapes), s=(), x=(3,)))
        for _ in range(8):
            body = body_gen.expr(depth - 1)
            if re.search(r"\b[pqr]\b", body[0]):
                break
        self.used |= body_gen.used | {"a, b = list"}
        return ("%s = %s; sum(%s)" % (", ".join(names), text, body[0]),
                lambda env: torch.sum(body[1](dict(env, **dict(zip(names, f(env)))))))

    def program(self, depth):
        """The whole input: sum(expr), a destructuring of a split and an
        expression of its pieces, or a def'd function called on two
        subexpressions, its body over its parameters and s and x."""
        if "chunk" in self.available and self.rng.random() < 0.1:
            made = self.destructuring(depth)
            if made:
                return made
        if self.has_def and self.rng.random() < 0.15:
            a, b = self.expr(depth - 2), self.expr(depth - 2)
            body_gen = Gen(self.rng, self.available,
                           {"p": a[2], "q": b[2], "s": (), "x": (3,)})
            for _ in range(8):
                body = body_gen.expr(depth - 1)
                if re.search(r"\b[pq]\b", body[0]):
                    break
            self.used |= body_gen.used | {"def"}
            call = "f(%s, %s)" % (a[0], b[0]) if self.rng.random() < 0.7 else \
                "f(%s, q=%s)" % (a[0], b[0])
            return ("def f(p, q) = %s; sum(%s)" % (body[0], call),
                    lambda env: torch.sum(body[1](dict(env, p=a[1](env), q=b[1](env)))))
        text, f, _ = self.expr(depth)
        return "sum(%s)" % text, lambda env: torch.sum(f(env))


def available_functions(tg):
    """What the tool's language offers, read from its help."""
    text = subprocess.run([tg, "help", "expressions"], capture_output=True, text=True).stdout
    names = set(re.findall(r"\b([a-z_][a-z0-9_]*)\(", text))
    names |= set(re.findall(r"\b([a-z_][a-z0-9_]+)\b", text))
    if re.search(r"< <= > >=|comparison", text):
        names.add("compare")
    if re.search(r"array literal|inline array", text):
        names.add("literals")
    if re.search(r"subscripts", text):
        names.add("subscripts")
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
        text, f = gen.program(opts.depth)
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
