#!/usr/bin/env python3
"""Runs an exported generator with OpenCV's DNN module (Debian python3-opencv, cv2.dnn.readNetFromONNX) on the
latent vectors of Z.npy and compares its images with REF.npy, `dcgan-onednn sample --z Z.npy --raw REF.npy` of the
same checkpoint. It runs the whole batch, then the last vector alone (the batch dimension is dynamic), and prints
one line with the largest absolute difference. Exit 0 within --tolerance, 1 beyond it or on a wrong shape.

Usage: /usr/bin/python3 tests/tools/onnx_check_opencv.py G.onnx Z.npy REF.npy [--tolerance 1e-4]
"""
import argparse
import sys

import cv2
import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model")
    p.add_argument("z")
    p.add_argument("ref")
    p.add_argument("--tolerance", type=float, default=1e-4)
    a = p.parse_args()

    z = np.load(a.z).astype(np.float32)
    z = z.reshape(z.shape[0], -1, 1, 1)
    ref = np.load(a.ref)
    # One net per batch size: OpenCV 4.6 folds each BatchNormalization into the ConvTranspose before it (layer
    # fusion, on by default) and, when the same net is run again at another batch size, folds it once more (seen
    # here: the first run within 2e-6 of `sample`, a second run at batch 1 off by 1.4; with fusion off, or with a
    # fresh net, within 2e-6). Reading the file again per size keeps OpenCV's default path, fusion included.
    def run(batch):
        net = cv2.dnn.readNetFromONNX(a.model)
        net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
        net.setInput(np.ascontiguousarray(batch), "z")
        return net.forward(net.getUnconnectedOutLayersNames())[0]

    worst = 0.0
    for batch, want in ((z, ref), (z[-1:], ref[-1:])):
        got = run(batch)
        if got.shape != want.shape:
            print(f"opencv: output {got.shape} for input {batch.shape}, expected {want.shape}")
            return 1
        d = float(np.max(np.abs(got.astype(np.float64) - want)))
        worst = max(worst, d) if np.isfinite(d) else float("inf")  # NaN is a failure, not 0
    print(f"opencv {cv2.__version__}: max |difference| {worst:.3g} against sample over {ref.shape[0]} images "
          f"{list(ref.shape)} (batch {z.shape[0]} and batch 1), tolerance {a.tolerance:g}")
    return 0 if worst <= a.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
