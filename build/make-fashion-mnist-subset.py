#!/usr/bin/env python3
"""Writes the stratified Fashion-MNIST subset shipped in data/fashion-mnist-subset (the main job's default data).

Source: Debian's dataset-fashion-mnist package (MIT licence). Takes the first PER_CLASS_TRAIN images of each class
from the training set and the first PER_CLASS_TEST of each class from the test set, keeping their original order,
and writes them in the same IDX format, gzip-compressed.
"""
import gzip, struct, sys, pathlib

SOURCE = pathlib.Path("/usr/share/datasets/fashion-mnist")
TARGET = pathlib.Path(__file__).resolve().parent.parent / "data" / "fashion-mnist-subset"
PER_CLASS_TRAIN, PER_CLASS_TEST = 300, 100

def read(prefix):
    images = gzip.open(SOURCE / f"{prefix}-images-idx3-ubyte.gz").read()
    labels = gzip.open(SOURCE / f"{prefix}-labels-idx1-ubyte.gz").read()
    n, rows, cols = struct.unpack(">III", images[4:16])
    size = rows * cols
    return [(images[16 + i * size:16 + (i + 1) * size], labels[8 + i]) for i in range(n)], rows, cols

def write(prefix, items, rows, cols):
    TARGET.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(TARGET / f"{prefix}-images-idx3-ubyte.gz", "wb", mtime=0) as f:
        f.write(struct.pack(">IIII", 0x803, len(items), rows, cols) + b"".join(i for i, _ in items))
    with gzip.GzipFile(TARGET / f"{prefix}-labels-idx1-ubyte.gz", "wb", mtime=0) as f:
        f.write(struct.pack(">II", 0x801, len(items)) + bytes(l for _, l in items))

for prefix, per_class in (("train", PER_CLASS_TRAIN), ("t10k", PER_CLASS_TEST)):
    items, rows, cols = read(prefix)
    taken, counts = [], [0] * 10
    for image, label in items:
        if counts[label] < per_class:
            counts[label] += 1
            taken.append((image, label))
    write(prefix, taken, rows, cols)
    print(f"{prefix}: {len(taken)} images", file=sys.stderr)
