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


# language function -> maker(rng) returning a Case, or None for a draw to skip
CASES = {
    "conv1d": conv(1),
    "conv2d": conv(2),
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
