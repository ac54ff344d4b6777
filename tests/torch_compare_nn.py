#!/usr/bin/env python3
"""torch_compare_nn.py -- the network ops of `tg grad` (convolution,
normalization, pooling) against torch.nn.functional in float64.

Each case draws an op's arguments at random -- batch and channel counts,
spatial sizes, kernel sizes, strides, paddings, dilations, groups, with and
without a bias, for the norms the normalized axes, group counts and eps --
and random inputs, then evaluates sum(op(...) * r) by `tg grad --json`, r a
random weighting of the op's output passed as a variable too: its gradient
is the op's output, so one run compares the values (d/dr) and the gradient of
every input with torch's autograd. Values and gradients must agree to 1e-10,
relative (with an absolute floor of 1e-10).

An op the tool does not offer (absent from `tg help expressions`) is left
out, and the run lists what it covered. Exits 1 on the first disagreement,
printing the case, both numbers and a command to reproduce it.

    /usr/bin/python3 tests/torch_compare_nn.py --tg build/tools/tg [--count N] [--seed S]

To add an op: a maker(rng) returning a Case, and a row in CASES.
"""
import argparse
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_compare as tc  # noqa: E402  (PyTorch in float64, close, flat, the help reader)

torch = tc.torch
F = torch.nn.functional
TOLERANCE = 1e-10


class Case:
    """One call: its tg text (over the variables in inputs), the same call in
    torch (a function of the inputs by name), the inputs and what was drawn
    (named in the coverage summary)."""

    def __init__(self, text, torch_fn, inputs, covered):
        self.text, self.torch_fn, self.inputs, self.covered = text, torch_fn, inputs, covered


def tensor(rng, shape):
    """Normal draws rounded to 4 digits, so the command line stays short;
    the rounded number is the value both sides use."""
    return torch.tensor([round(rng.gauss(0, 1), 4) for _ in range(_numel(shape))]).reshape(shape)


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def conv_output(size, kernel, stride, padding, dilation):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv(spatial):
    """conv1d or conv2d: groups, channels, kernel sides, stride, padding
    and dilation drawn so that every output side is at least 1."""
    name = "conv%dd" % spatial

    def make(rng):
        groups = rng.choice([1, 1, 2, 3])
        cin, cout = groups * rng.randint(1, 2), groups * rng.randint(1, 2)
        stride, padding, dilation = rng.randint(1, 3), rng.randint(0, 2), rng.randint(1, 3)
        kernel = [rng.randint(1, 3) for _ in range(spatial)]
        # an input side for which the output has 1 to 3 places
        side = [max(1, dilation * (k - 1) + 1 - 2 * padding + stride * rng.randint(0, 2)
                    + rng.randint(0, stride - 1)) for k in kernel]
        if any(conv_output(s, k, stride, padding, dilation) < 1 for s, k in zip(side, kernel)):
            return None
        n = rng.randint(1, 2)
        inputs = {"x": tensor(rng, [n, cin] + side),
                  "w": tensor(rng, [cout, cin // groups] + kernel)}
        bias = rng.random() < 0.6
        if bias:
            inputs["b"] = tensor(rng, [cout])
        keywords = {"stride": stride, "padding": padding, "dilation": dilation,
                    "groups": groups}
        kept = {k: v for k, v in keywords.items() if v != (0 if k == "padding" else 1)
                or rng.random() < 0.3}
        text = "%s(x, w%s%s)" % (name, ", b" if bias else "",
                                 "".join(", %s=%d" % kv for kv in kept.items()))
        fn = F.conv1d if spatial == 1 else F.conv2d
        covered = [name] + ["%s(%s)" % (name, k) for k, v in keywords.items()
                            if v != (0 if k == "padding" else 1)] + (["%s(bias)" % name] if bias else [])
        return Case(text, lambda env: fn(env["x"], env["w"], env.get("b"), **keywords),
                    inputs, covered)
    return make


def literal(t):
    return json.dumps(t.tolist())


def affine(rng, name, shape, inputs, covered, kinds=("weight", "bias"), keywords=False):
    """Draws which of weight and bias are given (each of shape), adding them
    to inputs; returns their tg arguments, keyword-spelled once one is left
    out (or all, with keywords)."""
    text, skipped = "", keywords
    for kind in kinds:
        if rng.random() < 0.7:
            inputs[kind[0]] = tensor(rng, shape)
            text += ", %s%s" % (kind + "=" if skipped else "", kind[0])
            covered.append("%s(%s)" % (name, kind))
        else:
            skipped = True
    return text


def eps_arg(rng, name, covered, default):
    """eps: left at its default or drawn (also large, where it matters)."""
    if rng.random() < 0.5:
        return default, ""
    eps = rng.choice([1e-3, 0.1, 0.5])
    covered.append("%s(eps)" % name)
    return eps, ", eps=%r" % eps


def random_shape(rng, lo, hi):
    return [rng.randint(1, 4) for _ in range(rng.randint(lo, hi))]


def slice_norm(name):
    """layer_norm or rms_norm over the last k axes of a tensor of 1 to 4."""
    def make(rng):
        shape = random_shape(rng, 1, 4)
        k = rng.randint(1, len(shape))
        normalized = shape[-k:]
        inputs, covered = {"x": tensor(rng, shape)}, [name, "%s(%d axes)" % (name, k)]
        kinds = ("weight", "bias") if name == "layer_norm" else ("weight",)
        text = affine(rng, name, normalized, inputs, covered, kinds)
        dims = list(range(-k, 0))
        if name == "layer_norm":
            eps, eps_text = eps_arg(rng, name, covered, 1e-5)
            fn = lambda env: F.layer_norm(env["x"], normalized, env.get("w"), env.get("b"), eps)
        else:
            # torch 1.13 has no F.rms_norm (2.4): its definition, eps None
            # being the dtype's machine epsilon
            eps, eps_text = eps_arg(rng, name, covered, torch.finfo(torch.float64).eps)
            fn = lambda env: (env["x"] * torch.rsqrt(torch.mean(env["x"] ** 2, dims, keepdim=True)
                                                     + eps) * env.get("w", 1.0))
        shape_text = str(normalized[0]) if k == 1 and rng.random() < 0.5 else str(normalized)
        return Case("%s(x, %s%s%s)" % (name, shape_text, text, eps_text), fn, inputs, covered)
    return make


def group_norm(rng):
    groups = rng.randint(1, 3)
    shape = [rng.randint(1, 3), groups * rng.randint(1, 3)] + random_shape(rng, 0, 2)
    if shape[0] * shape[1] // groups * _numel(shape[2:]) == 1:
        return None  # torch refuses it ("more than 1 value per channel"); tg gives the bias
    inputs, covered = {"x": tensor(rng, shape)}, ["group_norm", "group_norm(%dd)" % len(shape)]
    text = affine(rng, "group_norm", [shape[1]], inputs, covered)
    eps, eps_text = eps_arg(rng, "group_norm", covered, 1e-5)
    # torch 1.13's group_norm backward fails on a bias without a weight
    # ("tensor does not have a device"): a weight of ones is the same function
    ones = torch.ones(shape[1])
    return Case("group_norm(x, %d%s%s)" % (groups, text, eps_text),
                lambda env: F.group_norm(env["x"], groups, env.get("w", ones), env.get("b"), eps),
                inputs, covered)


def batch_norm(rng):
    """NC, NCL or NCHW; in training the batch's statistics (the running ones,
    constants, updated in place, are not what this compares), in eval the
    running statistics as array literals."""
    shape = [rng.randint(1, 3), rng.randint(1, 3)] + random_shape(rng, 0, 2)
    training = rng.random() < 0.6
    if training and _numel(shape) // shape[1] < 2:
        return None  # one value per channel: an error in both
    mode = "training" if training else "eval"
    inputs, covered = {"x": tensor(rng, shape)}, ["batch_norm(%s, %dd)" % (mode, len(shape))]
    mean, var = tensor(rng, [shape[1]]), torch.abs(tensor(rng, [shape[1]])) + 0.1
    stats = ", %s, %s" % (literal(mean), literal(var)) if not training or rng.random() < 0.5 else ""
    text = affine(rng, "batch_norm", [shape[1]], inputs, covered, keywords=not stats)
    momentum = rng.choice([0.1, 0.5])
    eps, eps_text = eps_arg(rng, "batch_norm", covered, 1e-5)
    fn = lambda env: F.batch_norm(env["x"], mean.clone(), var.clone(), env.get("w"),
                                  env.get("b"), training, momentum, eps)
    return Case("batch_norm(x%s%s, training=%d, momentum=%r%s)"
                % (stats, text, training, momentum, eps_text), fn, inputs, covered)


# language function -> maker(rng) returning a Case, or None for a draw to skip
CASES = {
    "conv1d": conv(1),
    "conv2d": conv(2),
    "layer_norm": slice_norm("layer_norm"),
    "rms_norm": slice_norm("rms_norm"),
    "group_norm": group_norm,
    "batch_norm": batch_norm,
}


def run_case(tg, case, rng):
    """None when tg and torch agree, else what differs and the command."""
    env = {k: v.clone().requires_grad_(True) for k, v in case.inputs.items()}
    y = case.torch_fn(env)
    env["r"] = tensor(rng, list(y.shape)).requires_grad_(True)
    torch.sum(y * env["r"]).backward()
    text = "sum(%s * r)" % case.text
    args = ["%s=%s" % (k, json.dumps(v.detach().tolist())) for k, v in env.items()]
    command = "%s grad '%s' %s --json" % (tg, text, " ".join("'%s'" % a for a in args))
    out = subprocess.run([tg, "grad", text] + args + ["--json"], capture_output=True, text=True)
    if out.returncode != 0:
        return "tg failed: " + out.stderr.strip(), command
    got = json.loads(out.stdout)["grad"]
    # d/dr is the op's output: the values; then every input's gradient
    want = {"r": y.detach()}
    want.update({k: v.grad for k, v in env.items() if k != "r"})
    for name, w in want.items():
        have, w = tc.flat(got[name]), w.reshape(-1).tolist()
        what = "value" if name == "r" else "d/d%s" % name
        if len(have) != len(w):
            return "%s: tg has %d numbers, torch %d" % (what, len(have), len(w)), command
        for i, (h, v) in enumerate(zip(have, w)):
            if not tc.close(h, v, TOLERANCE):
                return "%s[%d]: tg %r, torch %r" % (what, i, h, v), command
    return None, command


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tg", required=True)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    opts = ap.parse_args()
    rng = random.Random(opts.seed)
    available = tc.available_functions(opts.tg)
    names = [n for n in CASES if n in available]
    if not names:
        sys.exit("torch_compare_nn: the tool offers none of " + " ".join(CASES))
    covered, checked = set(), 0
    for i in range(opts.count):
        name = rng.choice(names)
        case = CASES[name](rng)
        if case is None:
            continue
        err, command = run_case(opts.tg, case, rng)
        if err:
            print("torch_compare_nn: case %d (%s) disagrees: %s" % (i, case.text, err))
            print("  " + command)
            return 1
        covered.update(case.covered)
        checked += 1
    print("torch_compare_nn: %d cases agree with torch.nn.functional %s (float64); covered: %s"
          % (checked, torch.__version__, " ".join(sorted(covered))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
