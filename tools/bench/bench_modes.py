#!/usr/bin/env python3
"""bench_modes.py -- tools/bench/bench_modes.c beside the same functions in
functorch (PyTorch 1.13's torch.func), in one run, one thread each, float64.

    /usr/bin/python3 tools/bench/bench_modes.py --bench build/tools/bench/bench_modes [--reps R]

Prints a Markdown table: the median seconds of each workload for tapegrad and
for functorch (jacfwd, jacrev, jvp of grad, vjp of grad) and their ratio.
"""
import argparse
import os
import statistics
import subprocess
import time

import torch

try:
    import torch.func as ft  # PyTorch 2
except ImportError:
    import functorch as ft  # PyTorch 1.13: the same API

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
N_IN, HIDDEN, N_OUT, ROWS = 100, 32, 3, 10
A, B = torch.rand(N_OUT, HIDDEN) * 2 - 1, torch.rand(HIDDEN, N_IN) * 2 - 1
X, Y = torch.rand(N_IN) * 2 - 1, torch.rand(ROWS) * 2 - 1
x, W, v = torch.rand(N_IN) * 2 - 1, torch.rand(ROWS, N_IN) * 2 - 1, torch.rand(ROWS, N_IN) * 2 - 1


def jacobian_f(x):
    return A @ torch.tanh(B @ x)


def layer_loss(W):
    d = Y - torch.sigmoid(W @ X)
    return 0.5 * torch.sum(d * d)


WORKLOADS = {
    "jacobian_100x3_forward": lambda: ft.jacfwd(jacobian_f)(x),
    "jacobian_100x3_reverse": lambda: ft.jacrev(jacobian_f)(x),
    "hvp_1000_forward_over_reverse": lambda: ft.jvp(ft.grad(layer_loss), (W,), (v,))[1],
    "hvp_1000_reverse_over_reverse": lambda: ft.vjp(ft.grad(layer_loss), W)[1](v)[0],
}


def median_time(fn, reps):
    fn()  # warm up
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", required=True)
    ap.add_argument("--reps", type=int, default=200)
    opts = ap.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([opts.bench, str(opts.reps)], capture_output=True, text=True, env=env,
                         check=True).stdout
    ours = {name: float(t) for name, t in (line.split("\t") for line in out.splitlines())}
    print("| workload | tapegrad | functorch %s | ratio |" % torch.__version__)
    print("|---|---|---|---|")
    for name, fn in WORKLOADS.items():
        theirs = median_time(fn, opts.reps)
        print("| %s | %.3g µs | %.3g µs | %.1fx |" % (name, ours[name] * 1e6, theirs * 1e6,
                                                   theirs / ours[name]))


if __name__ == "__main__":
    main()
