#!/usr/bin/python3
"""The NumPy peer of trainer::sliced_wasserstein: ProGAN's SWD algorithm as its metrics/sliced_wasserstein.py runs
it (float32 Laplacian pyramid, 128 random 7x7 patches per image per level, per-set channel normalization, 4 x 128
random directions as float32 matrix products, np.sort, mean |difference|), timed on n real vs n fake 64x64 RGB
images, side by side with ours (bench_eval's swd/<n>), with the ratio.

The pyramid filter is NumPy (ProGAN calls scipy.ndimage.convolve; SciPy is not a project dependency); its cost is a
small part of the total either way. Ours is run after NumPy, never at the same time.

usage: bench/peers/swd_numpy.py [--n 256 1024 2048] [--threads 2] [--bench build/release/bench/bench_eval]
Install libopenblas0-openmp first (NumPy's products then use OpenBLAS; the script prints the BLAS it loaded).
Run it on an idle machine.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def blas_in_use():
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            name = parts[-1] if len(parts) >= 6 else ""
            if "blas" in name or "lapack" in name:
                libs.add(os.path.basename(name))
    return ", ".join(sorted(libs)) or "none mapped"


def swd_numpy(np, a, b, rng):
    f1 = np.array([1, 4, 6, 4, 1], np.float32) / 16

    def conv5(x, k):  # separable 5-tap filter, mirror borders, float32
        p = np.pad(x, [(0, 0), (0, 0), (2, 2), (0, 0)], mode="reflect")
        x = sum(k[i] * p[:, :, i:i + x.shape[2], :] for i in range(5))
        p = np.pad(x, [(0, 0), (0, 0), (0, 0), (2, 2)], mode="reflect")
        return sum(k[i] * p[:, :, :, i:i + x.shape[3]] for i in range(5)).astype(np.float32)

    def pyramid(x, levels=3):
        pyr = [x]
        for _ in range(1, levels):
            down = conv5(pyr[-1], f1)[:, :, ::2, ::2]
            up = np.zeros_like(pyr[-1])
            up[:, :, ::2, ::2] = down
            pyr[-1] = pyr[-1] - conv5(up, f1 * 2)
            pyr.append(down)
        return pyr

    def descriptors(level, ppi=128, p=7):
        n, c, s, _ = level.shape
        N = n * ppi
        nh, ch, y, x = np.ogrid[0:N, 0:c, 0:p, 0:p]
        y = y + rng.integers(0, s - p + 1, (N, 1, 1, 1))
        x = x + rng.integers(0, s - p + 1, (N, 1, 1, 1))
        d = level[nh // ppi, ch, y, x]
        d -= d.mean(axis=(0, 2, 3), keepdims=True)
        d /= d.std(axis=(0, 2, 3), keepdims=True)
        return d.reshape(N, -1)

    out = []
    for la, lb in zip(pyramid(a), pyramid(b)):
        da, db = descriptors(la), descriptors(lb)
        res = []
        for _ in range(4):
            dirs = rng.standard_normal((da.shape[1], 128))
            dirs = (dirs / np.sqrt((dirs * dirs).sum(axis=0, keepdims=True))).astype(np.float32)
            pa, pb = np.sort(da @ dirs, axis=0), np.sort(db @ dirs, axis=0)
            res.append(np.mean(np.abs(pa - pb)))
        out.append(np.mean(res) * 1e3)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[256, 1024, 2048])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--bench", help="path to bench_eval, to time ours after NumPy and print the ratios")
    args = ap.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np

    rng = np.random.default_rng(0)
    peer = {}
    for n in args.n:
        a = np.tanh(rng.standard_normal((n, 3, 64, 64))).astype(np.float32)
        b = np.tanh(rng.standard_normal((n, 3, 64, 64))).astype(np.float32)
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            swd_numpy(np, a, b, rng)
            best = min(best, time.perf_counter() - t0)
        peer[n] = best
        print(f"numpy  swd/{n}: {best:.3f} s  (BLAS: {blas_in_use()}, {args.threads} threads)", flush=True)
    if not args.bench:
        return
    filt = "^swd/(" + "|".join(str(n) for n in args.n) + ")/"
    out = subprocess.run([args.bench, "--benchmark_filter=" + filt, "--benchmark_format=json"], check=True,
                         capture_output=True, text=True).stdout
    for bm in json.loads(out)["benchmarks"]:
        n = int(bm["name"].split("/")[1])
        ours = bm["real_time"] / 1e3 if bm["time_unit"] == "ms" else bm["real_time"]
        print(f"ours   swd/{n}: {ours:.3f} s   speed-up over NumPy: {peer[n] / ours:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
