#!/usr/bin/env python3
"""bench_conv.py -- tools/bench/bench_conv.c beside the same conv2d and pooling
forward + backward in PyTorch (float32, the threads each library takes by default on
this machine), interleaved: each round runs tapegrad's REPS steps, then
PyTorch's, and the table gives the median over rounds of each median.

    /usr/bin/python3 tools/bench/bench_conv.py --bench build/tools/bench/bench_conv [--rounds R]
"""
import argparse
import os
import statistics
import subprocess
import time

import torch
import torch.nn.functional as F

SHAPES = {
    "conv1_64x1x28x28_32x1x3x3": ((64, 1, 28, 28), (32, 1, 3, 3), False),
    "conv2_64x32x14x14_64x32x3x3": ((64, 32, 14, 14), (64, 32, 3, 3), True),
    "maxpool_64x32x28x28_2x2": ((64, 32, 28, 28), None, True),
    "maxpool_128x64x14x14_2x2": ((128, 64, 14, 14), None, True),
    "avgpool_64x32x28x28_2x2": ((64, 32, 28, 28), None, True),
}


def torch_step_median(name, xs, ws, x_grad, reps):
    x = (torch.rand(xs) * 2 - 1).requires_grad_(x_grad)
    if ws is None:  # 2x2 pooling, stride 2, named by the shape's key
        pool = F.max_pool2d if name.startswith("max") else F.avg_pool2d
        step = lambda: pool(x, 2)
    else:
        w = (torch.rand(ws) * 2 - 1).requires_grad_(True)
        b = (torch.rand(ws[0]) * 2 - 1).requires_grad_(True)
        step = lambda: F.conv2d(x, w, b, padding=1)
    times = []
    for r in range(-1, reps):
        start = time.perf_counter()
        step().sum().backward()
        if r >= 0:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    tg, pt = {k: [] for k in SHAPES}, {k: [] for k in SHAPES}
    for _ in range(a.rounds):
        out = subprocess.run([a.bench, str(a.reps)], check=True, capture_output=True, text=True)
        for line in out.stdout.splitlines():
            name, secs = line.split("\t")
            tg[name].append(float(secs))
        for name, (xs, ws, xg) in SHAPES.items():
            pt[name].append(torch_step_median(name, xs, ws, xg, a.reps))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', 'unset')}")
    print("| shape (forward + backward, f32) | tapegrad ms | PyTorch ms | tapegrad / PyTorch |")
    print("|---|---|---|---|")
    for name in SHAPES:
        t, p = statistics.median(tg[name]), statistics.median(pt[name])
        print(f"| {name} | {t * 1e3:.2f} | {p * 1e3:.2f} | {t / p:.2f} |")


if __name__ == "__main__":
    main()
