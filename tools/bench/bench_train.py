#!/usr/bin/env python3
"""bench_train.py -- `tg train` beside PyTorch training the same model, the
same way: the torch.nn.Sequential of the same --model description
(torch_sequential.py), float32, the same optimizer (Adam or SGD with
momentum 0.9) and learning rate, batch, shuffled batches, cross-entropy, train
mode (dropout and batch norm on). Interleaved: each round runs one epoch of
`tg train` over the first --limit training images (a fresh process; its
epoch line gives the training seconds, evaluation excluded), then the same
epoch in PyTorch, with the same thread count on both sides
(OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, torch.set_num_threads). The table
gives the median over rounds, scaled to the 60000 images of a full epoch,
and the ratio PyTorch / tapegrad (above 1: tapegrad is faster).

    /usr/bin/python3 tools/bench/bench_train.py --tg build/tools/tg \\
        [--model DESCRIPTION] [--opt adam|momentum] [--lr 0.002] [--batch 32] \\
        [--threads 1 2] [--rounds 3] [--limit 6400]

The defaults are the documented CNN run of docs/tg/train.md.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_sequential import build, read_idx  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"
DOCUMENTED = ("conv2d(32,3,pad=1) batchnorm relu maxpool(2) conv2d(64,3,pad=1) batchnorm relu "
              "maxpool(2) flatten dense(128) relu dropout(0.3) dense(10)")


def training_images(limit):
    x = read_idx(os.path.join(DATA, "train-images-idx3-ubyte.gz"))[:limit].astype(np.float32) / 255
    y = read_idx(os.path.join(DATA, "train-labels-idx1-ubyte.gz"))[:limit].astype(np.int64)
    x = (x - x.mean()) / x.std()
    return torch.from_numpy(x.reshape(-1, 1, 28, 28).copy()), torch.from_numpy(y)


def tg_seconds(args, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    out = subprocess.run([args.tg, "train", "--data", "fashion-mnist", "--limit", str(args.limit),
                          "--epochs", "1", "--batch", str(args.batch), "--opt", args.opt,
                          "--lr", str(args.lr),
                          "--model", args.model], env=env, capture_output=True, text=True,
                         check=True).stdout
    return float(re.search(r"epoch 1/1 .* ([0-9.]+) s", out).group(1))


def torch_seconds(args, x, y, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build(args.model, [1, 28, 28])
    if args.opt == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    order = torch.randperm(len(x))
    start = time.perf_counter()
    for b in range(0, len(x), args.batch):
        idx = order[b:b + args.batch]
        opt.zero_grad()
        loss_fn(model(x[idx]), y[idx]).backward()
        opt.step()
    return time.perf_counter() - start


def machine():
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
        name = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("Model name"))
    except (OSError, StopIteration):
        name = "unknown CPU"
    blas = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")}
    return f"{name}, {os.cpu_count()} CPUs, {blas or 'no OPENBLAS_* settings'}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tg", required=True)
    ap.add_argument("--model", default=DOCUMENTED)
    ap.add_argument("--opt", choices=["adam", "momentum"], default="adam")
    ap.add_argument("--lr", type=float, default=0.002)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=6400)
    args = ap.parse_args()
    x, y = training_images(args.limit)
    scale = 60000 / args.limit
    print(f"machine: {machine()}; torch {torch.__version__}")
    print(f"model: {args.model}; {args.opt}, lr {args.lr}, batch {args.batch}; {args.limit} "
          f"images per round, "
          f"{args.rounds} rounds, interleaved")
    print("threads  tapegrad s/epoch  PyTorch s/epoch  PyTorch/tapegrad")
    for threads in args.threads:
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(tg_seconds(args, threads) * scale)
            theirs.append(torch_seconds(args, x, y, threads) * scale)
        a, b = statistics.median(ours), statistics.median(theirs)
        print(f"{threads:7d}  {a:16.1f}  {b:15.1f}  {b / a:16.2f}")


if __name__ == "__main__":
    main()
