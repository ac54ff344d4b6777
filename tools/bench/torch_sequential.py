"""torch_sequential.py -- the torch.nn.Sequential of a `tg train --model`
description in the canonical form a checkpoint's metadata holds
("conv2d(32,3,pad=1) batchnorm relu maxpool(2) ..."): one module per
layer, so the parameter and buffer names are those tapegrad gives
(0.weight, 1.running_mean, ...). Used by tests/torch_checkpoint.py (a
checkpoint loads into it strictly) and tools/bench/bench_train.py (PyTorch
trains the same model).

    model = build("conv2d(8,3) relu flatten dense(10)", [1, 28, 28])

and read_idx, the arrays of Fashion-MNIST's idx files, for the data both
feed PyTorch.
"""
import gzip
import re
import struct
import sys

import numpy as np
import torch


def parse_layer(word):
    """'conv2d(16,3,pad=1,bias=0)' -> ('conv2d', [16, 3], {'pad': '1', 'bias': '0'})"""
    m = re.fullmatch(r"([a-z_0-9]+?)(?:\((.*)\))?", word)
    name, inside = m.group(1), m.group(2)
    numbers, keys = [], {}
    for arg in (inside.split(",") if inside else []):
        if "=" in arg:
            key, value = arg.split("=")
            keys[key] = value
        else:
            numbers.append(float(arg))
    return name, numbers, keys


ACTIVATIONS = {"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh,
               "gelu": torch.nn.GELU, "silu": torch.nn.SiLU}


def conv(numbers, keys, shape):
    out, k = int(numbers[0]), [int(v) for v in numbers[1:]]
    two = len(shape) == 3
    pad = keys.get("pad", "0")
    module = (torch.nn.Conv2d if two else torch.nn.Conv1d)(
        shape[0], out, tuple(k * 2 if two and len(k) == 1 else k),
        stride=int(keys.get("stride", 1)), padding=pad if pad == "same" else int(pad),
        dilation=int(keys.get("dilation", 1)), groups=int(keys.get("groups", 1)),
        bias=keys.get("bias", "1") != "0")
    with torch.no_grad():
        probe = module(torch.zeros(1, *shape))
    return module, list(probe.shape[1:])


def pool(name, numbers, keys, shape):
    k = [int(v) for v in numbers]
    two = name.endswith("2d") or (not name.endswith("1d") and len(shape) == 3)
    cls = {("max", True): torch.nn.MaxPool2d, ("max", False): torch.nn.MaxPool1d,
           ("avg", True): torch.nn.AvgPool2d, ("avg", False): torch.nn.AvgPool1d}[
        (name[:3], two)]
    kernel = tuple(k * 2 if two and len(k) == 1 else k)
    stride = int(keys["stride"]) if "stride" in keys else None
    module = cls(kernel, stride=stride, padding=int(keys.get("pad", 0)))
    with torch.no_grad():
        probe = module(torch.zeros(1, *shape))
    return module, list(probe.shape[1:])


def build(description, shape):
    """torch.nn.Sequential of the canonical description, one module per layer,
    for samples of shape (a list, without the batch axis)."""
    modules = []
    for word in description.split():
        name, numbers, keys = parse_layer(word)
        if name in ("dense", "linear"):
            module = torch.nn.Linear(shape[-1], int(numbers[0]), bias=keys.get("bias", "1") != "0")
            shape = shape[:-1] + [int(numbers[0])]
        elif name.startswith("conv"):
            module, shape = conv(numbers, keys, shape)
        elif name.startswith(("maxpool", "avgpool")):
            module, shape = pool(name, numbers, keys, shape)
        elif name.startswith("batchnorm"):
            module = (torch.nn.BatchNorm2d if len(shape) == 3 else torch.nn.BatchNorm1d)(shape[0])
        elif name == "layernorm":
            axes = int(numbers[0]) if numbers else len(shape)
            module = torch.nn.LayerNorm(shape[len(shape) - axes:])
        elif name == "flatten":
            module, shape = torch.nn.Flatten(), [int(np.prod(shape))]
        elif name == "dropout":
            module = torch.nn.Dropout(numbers[0] if numbers else 0.5)
        elif name == "leaky_relu":
            module = torch.nn.LeakyReLU(numbers[0] if numbers else 0.01)
        elif name in ACTIVATIONS:
            module = ACTIVATIONS[name]()
        else:
            sys.exit(f"torch_sequential: no PyTorch module for layer '{word}'")
        modules.append(module)
    return torch.nn.Sequential(*modules)


def read_idx(path):
    """The uint8 array of a gzipped idx file (Fashion-MNIST's images and labels)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
