#!/usr/bin/env python3
"""bench_cnn.py -- tools/bench/bench_cnn.c beside the same training steps in
PyTorch (torch.nn.Sequential of the same layers, float32, SGD lr 0.01
momentum 0.9, batch 64, the training images in file order), interleaved:
each round runs tapegrad's steps (a fresh process), then PyTorch's, with
the same thread count on both sides (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS,
torch.set_num_threads); the table gives the median over rounds and the
epoch time it implies (60000 // 64 steps).

    /usr/bin/python3 tools/bench/bench_cnn.py --bench build/tools/bench/bench_cnn \
        [--threads 1 2] [--rounds R] [--steps S]
"""
import argparse
import gzip
import os
import resource
import statistics
import struct
import subprocess
import time

import torch

STEPS_PER_EPOCH = 60000 // 64


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = struct.unpack(">I", data[:4])[0] & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    body = torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8)
    return body.reshape(dims)


def fashion_mnist(data_dir):
    x = load_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz")).reshape(-1, 1, 28, 28)
    y = load_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz")).long()
    return x.float() / 255.0, y


def model():
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def torch_seconds_per_step(x, y, warmup, steps):
    torch.manual_seed(0)
    m = model()
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    batches = x.shape[0] // 64

    def step(i):
        b = i % batches * 64
        opt.zero_grad()
        loss = loss_fn(m(x[b:b + 64]), y[b:b + 64])
        loss.backward()
        opt.step()
        return loss.item()

    for i in range(warmup):
        step(i)
    start = time.perf_counter()
    for i in range(warmup, warmup + steps):
        loss = step(i)
    return (time.perf_counter() - start) / steps, loss


def tapegrad_run(bench, threads, warmup, steps, data):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    out = subprocess.run([bench, "--threads", str(threads), "--warmup", str(warmup),
                          "--steps", str(steps), "--data", data],
                         check=True, capture_output=True, text=True, env=env)
    return {k: float(v) for k, v in (line.split("\t") for line in out.stdout.splitlines())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", required=True)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    a = ap.parse_args()
    x, y = fashion_mnist(a.data)
    print(f"torch {torch.__version__}; OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', 'unset')}; {a.rounds} rounds of {a.steps} "
          f"steps after {a.warmup} warm-up steps")
    print("| threads | tapegrad s/step | PyTorch s/step | tapegrad s/epoch | PyTorch s/epoch "
          "| PyTorch / tapegrad | tapegrad mallocs/step | tapegrad peak RSS MB "
          "| loss tapegrad / PyTorch |")
    print("|---|---|---|---|---|---|---|---|---|")
    for threads in a.threads:
        torch.set_num_threads(threads)
        tg, pt, last = [], [], None
        for _ in range(a.rounds):
            last = tapegrad_run(a.bench, threads, a.warmup, a.steps, a.data)
            tg.append(last["seconds_per_step"])
            secs, loss = torch_seconds_per_step(x, y, a.warmup, a.steps)
            pt.append(secs)
        t, p = statistics.median(tg), statistics.median(pt)
        print(f"| {threads} | {t:.4f} | {p:.4f} | {t * STEPS_PER_EPOCH:.1f} | "
              f"{p * STEPS_PER_EPOCH:.1f} | {p / t:.2f} | {last['mallocs_per_step']:g} | "
              f"{last['peak_rss_MB']:.0f} | {last['loss']:.3f} / {loss:.3f} |")
    print(f"PyTorch process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
