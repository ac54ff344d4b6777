#!/usr/bin/env python3
"""torch_checkpoint.py -- a checkpoint of `tg train` loads into PyTorch.

Trains a small CNN with batch norm (2-d after a convolution, 1-d after a
dense layer), dropout and layer norm on the first --limit Fashion-MNIST
images with `tg train --save`, scores it with `tg eval`, then rebuilds the
model in PyTorch from the description the checkpoint's metadata holds:

  - torch.nn.Sequential of the same modules, one per layer, so that the
    names are the same (0.weight, 1.running_mean, 1.num_batches_tracked, ...);
  - model.load_state_dict(tensors, strict=True): every name, no more, no
    fewer, each of the module's shape;
  - the test images normalized with the metadata's mean and std, as tg eval
    does, and model.eval() (running statistics, no dropout).

PyTorch must then classify exactly as many test images correctly as tg eval
did. The
safetensors file is read here (8-byte header length, JSON, raw bytes), so
the test needs python3-torch and numpy only.

    /usr/bin/python3 tests/torch_checkpoint.py --tg build/tools/tg [--limit N] [--keep DIR]
"""
import argparse
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "bench"))
from torch_sequential import build, read_idx  # noqa: E402  (the Sequential of a description)

DATA = "/usr/share/datasets/fashion-mnist"
MODEL = ("conv2d(8,3,pad=1) batchnorm relu maxpool(2) conv2d(16,3,pad=1,bias=0) batchnorm2d "
         "relu avgpool(2) flatten dense(32) batchnorm relu dropout(0.25) layernorm dense(10)")
DTYPES = {"F32": np.float32, "F64": np.float64}


def read_safetensors(path):
    """The tensors (name -> numpy array) and the metadata of a file."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        values = np.frombuffer(raw[8 + n + begin:8 + n + end], dtype=DTYPES[info["dtype"]])
        tensors[name] = values.reshape(info["shape"]).copy()
    return tensors, metadata


def test_images(limit, metadata):
    """The first limit test images and labels, scaled and normalized as tg eval does,
    in float32 (the data's type there)."""
    images = read_idx(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"))[:limit]
    labels = read_idx(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"))[:limit]
    scale = np.arange(256, dtype=np.float32) / np.float32(255)
    x = scale[images.reshape(len(images), -1)]
    mean = np.array([float(v) for v in metadata["mean"].split(",")], dtype=np.float32)
    std = np.array([float(v) for v in metadata["std"].split(",")], dtype=np.float32)
    x = (x - mean) / std
    shape = [int(v) for v in metadata["input"].split(",")]
    return torch.from_numpy(x.reshape(len(x), *shape)), torch.from_numpy(labels.astype(np.int64))


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"torch_checkpoint: {' '.join(cmd)} failed ({done.returncode}):\n"
                 f"{done.stdout}{done.stderr}")
    return done.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tg", required=True)
    ap.add_argument("--limit", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--keep", help="write the checkpoint into this folder and keep it")
    args = ap.parse_args()
    torch.manual_seed(0)
    folder = args.keep or tempfile.mkdtemp(prefix="tg_torch_checkpoint_")
    path = os.path.join(folder, "cnn_bn.safetensors")
    run([args.tg, "train", "--data", "fashion-mnist", "--limit", str(args.limit), "--epochs",
         str(args.epochs), "--seed", "3", "--model", MODEL, "--save", path])
    evaluated = run([args.tg, "eval", "--model", path, "--data", "fashion-mnist", "--limit",
                     str(args.limit)])
    m = re.search(r"accuracy ([0-9.]+)% \((\d+)/(\d+)\)", evaluated)
    tg_correct, total = int(m.group(2)), int(m.group(3))

    tensors, metadata = read_safetensors(path)
    model = build(metadata["model"], [int(v) for v in metadata["input"].split(",")])
    state = {name: torch.from_numpy(v) for name, v in tensors.items()}
    names = set(model.state_dict())
    if names != set(state):
        sys.exit(f"torch_checkpoint: names differ: only PyTorch's {sorted(names - set(state))}, "
                 f"only the file's {sorted(set(state) - names)}")
    model.load_state_dict(state, strict=True)
    model.eval()
    x, labels = test_images(args.limit, metadata)
    with torch.no_grad():
        logits = model(x)
    torch_correct = int((logits.argmax(1) == labels).sum())
    print(f"tg eval: {tg_correct}/{total} correct; PyTorch {torch.__version__} "
          f"(Sequential of {len(model)} modules, strict load of {len(state)} tensors, "
          f"{int(tensors['1.num_batches_tracked'])} batches tracked by layer 1): "
          f"{torch_correct}/{len(labels)}")
    if total != len(labels) or torch_correct != tg_correct:
        sys.exit("torch_checkpoint: the accuracies differ")
    if not args.keep:
        os.remove(path)
        os.rmdir(folder)


if __name__ == "__main__":
    main()
