#!/usr/bin/env python3
"""The PyTorch side of tapegrad's benchmark suite (tools/bench/run.sh).

Runs the same workloads as tools/bench/bench.c -- same sizes, data and seed
where one applies, float32 on the CPU -- and prints one line per result:

    workload<TAB>threads<TAB>median<TAB>spread<TAB>unit

where spread is (max - min) / median over the repetitions. Usage:
    bench_torch.py --threads N [--reps R] [--quick] [--data DIR] [--only NAME]

--only runs the workloads whose name starts with NAME; run.sh starts one
process per workload on every side (see bench.c).
"""
import argparse
import gzip
import os
import resource
import statistics
import struct
import sys
import time

import torch


def report(name, threads, samples, unit):
    med = statistics.median(samples)
    spread = (max(samples) - min(samples)) / med if med else 0.0
    print(f"{name}\t{threads}\t{med:.6g}\t{spread:.3f}\t{unit}", flush=True)


def timed(fn, reps):
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def neuron_ns_per_node(iters):
    """sigmoid(w1*x1 + w2*x2 + w3*x3 + b) from 0-d tensors: 7 op nodes."""
    xs = [torch.tensor(1.0), torch.tensor(2.0), torch.tensor(3.0)]

    def run():
        for _ in range(iters):
            b = torch.tensor(0.1, requires_grad=True)
            s = b
            for i in range(3):
                w = torch.tensor(0.3 * i, requires_grad=True)
                s = w * xs[i] + s
            torch.sigmoid(s).backward()

    return lambda: run(), 7 * iters


def chain_seconds(n):
    def run():
        x = torch.tensor(1.0, requires_grad=True)
        c = torch.tensor(1.000001)
        y = x
        for _ in range(n):
            y = y * c
        y.backward()
    return run


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    body = torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8)
    return body.reshape(dims)


def fashion_mnist(data_dir):
    x = load_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz")).reshape(-1, 784)
    y = load_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz")).long()
    return x.float() / 255.0, y


def mlp_samples_per_second(sizes, batch, x, y, n_samples):
    torch.manual_seed(0)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(limit):
        for start in range(0, limit - batch + 1, batch):
            opt.zero_grad()
            loss = loss_fn(model(x[start:start + batch]), y[start:start + batch])
            loss.backward()
            opt.step()

    epoch(min(n_samples, 20 * batch))  # warm-up
    t0 = time.perf_counter()
    epoch(n_samples)
    return (n_samples // batch * batch) / (time.perf_counter() - t0)


def elementwise_input(n):
    """bench.c's input: x[i] = (i mod 4001) / 1000 - 2, a leaf made once."""
    return ((torch.arange(n) % 4001).float() / 1000 - 2).requires_grad_()


# bytes per element the work moves, counted as bench.c counts them
ELEMENTWISE = {
    "sigmoid": (torch.sigmoid, 24),
    "tanh": (torch.tanh, 24),
    "relu": (torch.relu, 24),
    "add_bcast": (None, 20),
}


def elementwise_gbs(op, n, reps):
    x = elementwise_input(n)
    bias = torch.full((1000,), 0.5)
    f, nbytes = ELEMENTWISE[op]
    if f is None:
        f = lambda t: (t.view(-1, 1000) + bias).view(-1)
    g = torch.ones(n)
    out = []
    for r in range(reps + 1):  # the first run makes .grad and faults the pages in
        if x.grad is not None:
            x.grad.zero_()  # outside the timed region, like tg_zero_grad
        t0 = time.perf_counter()
        f(x).backward(g)
        if r > 0:
            out.append(nbytes * n / (time.perf_counter() - t0) / 1e9)
    return out


def matmul_layer_gflops(reps):
    x = torch.full((256, 1024), 0.01)
    w = torch.full((1024, 1024), 0.001).requires_grad_()
    g = torch.ones(256, 1024)
    flops = 2 * 256 * 1024 * 1024 * 2  # forward, and dW (x is constant)
    out = []
    for r in range(reps + 1):
        if w.grad is not None:
            w.grad.zero_()
        t0 = time.perf_counter()
        (x @ w.t()).backward(g)
        if r > 0:
            out.append(flops / (time.perf_counter() - t0) / 1e9)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t = a.threads
    quick = a.quick
    wanted = lambda name: name.startswith(a.only)

    x = y = None
    n = 6000 if quick else 60000
    for sizes, batch in (((784, 128, 10), 32), ((784, 128, 10), 128), ((784, 512, 512, 10), 128)):
        name = "mlp_" + "-".join(map(str, sizes)) + f"_b{batch}_samples_per_s"
        if not wanted(name):
            continue
        if x is None:
            x, y = fashion_mnist(a.data)
        reps = 1 if not quick else 2
        report(name, t, [mlp_samples_per_second(sizes, batch, x, y, n) for _ in range(reps)], "samples/s")
        if len(sizes) == 4:  # as bench.c: the large MLP's process, data set included
            report("mlp_peak_rss_MB", t, [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024], "MB")
    del x, y

    if wanted("neuron_ns_per_node"):
        run, nodes = neuron_ns_per_node(2000 if quick else 20000)
        report("neuron_ns_per_node", t, [s / nodes * 1e9 for s in timed(run, a.reps)], "ns")
    chain_n = 100000 if quick else 1000000
    if wanted(f"chain_{chain_n}_s"):
        try:
            report(f"chain_{chain_n}_s", t, timed(chain_seconds(chain_n), 1 if not quick else a.reps), "s")
        except RecursionError as e:  # PyTorch 1.x recurses on long chains in some builds
            print(f"chain_{chain_n}_s\t{t}\tnan\t0\ts\t# {e}", flush=True)

    n = 10**6 if quick else 10**7
    for op in ELEMENTWISE:
        if wanted(f"elementwise_{op}_GBps"):
            report(f"elementwise_{op}_GBps", t, elementwise_gbs(op, n, a.reps), "GB/s")

    if wanted("matmul_1024x1024_b256_GFLOPs"):
        report("matmul_1024x1024_b256_GFLOPs", t, matmul_layer_gflops(a.reps), "GFLOP/s")


if __name__ == "__main__":
    sys.exit(main())
