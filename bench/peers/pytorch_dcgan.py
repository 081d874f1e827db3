#!/usr/bin/python3
"""The PyTorch peer of nn::Dcgan: the reference DCGAN's tutorial training step, timed side by side, with the ratio.

PyTorch: the tutorial's Generator and Discriminator (tests/golden/make_dcgan_golden.py holds the reference
definitions, extended to 32..256 px by the same rule as nn/architecture.hpp), nz=100, ngf=ndf=64, nc=3, BCELoss, Adam(2e-4, (0.5, 0.999)), one iteration = the tutorial's D step
(real, then fake.detach()) and G step, on random data, float32 on the CPU with --threads threads.
Ours (with --bench): bench_nn's step/f32 and step/bf16 at the same batch and size (DCGAN_BENCH_BATCH,
DCGAN_BENCH_SIZE), run after PyTorch, never at the same time; with the FLOP of a step and the GFLOP/s reached.

usage: bench/peers/pytorch_dcgan.py [--batch 64 128] [--size 32 64 128] [--threads 2] [--iters 5]
                                    [--bench build/release/bench/bench_nn]
Install libopenblas0-openmp first: without it Debian's PyTorch uses the reference BLAS, not the peer a user would
pick (the script prints which BLAS library PyTorch loaded). Run it on an idle machine.
"""
import argparse
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]


def reference_models():
    spec = importlib.util.spec_from_file_location("golden", ROOT / "tests/golden/make_dcgan_golden.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def blas_in_use():
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            name = line.split()[-1] if len(line.split()) >= 6 else ""
            if "blas" in name or "lapack" in name:
                libs.add(os.path.basename(name))
    return ", ".join(sorted(libs)) or "none mapped"


def time_pytorch(batch, size, threads, iters):
    import torch
    import torch.nn as nn
    import torch.optim as optim
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    ref = reference_models()
    nz, ngf, ndf, nc = 100, 64, 64, 3
    netG, netD = ref.Generator(nz, ngf, nc, size), ref.Discriminator(nc, ndf, size)
    netG.apply(ref.weights_init)
    netD.apply(ref.weights_init)
    criterion = nn.BCELoss()
    optD = optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(batch, nc, size, size) * 2 - 1

    def step():
        netD.zero_grad()
        label = torch.full((batch,), 1.0)
        errD_real = criterion(netD(real).view(-1), label)
        errD_real.backward()
        fake = netG(torch.randn(batch, nz, 1, 1))
        label.fill_(0.0)
        errD_fake = criterion(netD(fake.detach()).view(-1), label)
        errD_fake.backward()
        optD.step()
        netG.zero_grad()
        label.fill_(1.0)
        errG = criterion(netD(fake).view(-1), label)
        errG.backward()
        optG.step()

    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(iters):
        step()
    return batch * iters / (time.perf_counter() - t0)


def time_ours(bench, batch, size, threads):
    env = dict(os.environ, DCGAN_BENCH_BATCH=str(batch), DCGAN_BENCH_SIZE=str(size), OMP_NUM_THREADS=str(threads))
    r = subprocess.run([bench, "--benchmark_filter=^step/(f32|bf16)/", "--benchmark_format=json"],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"{bench} failed:\n{r.stderr}")
    out = {}
    for b in json.loads(r.stdout)["benchmarks"]:
        precision = b["name"].split("/")[1]
        out[precision] = (b["items_per_second"], b.get("overhead"), b.get("flop_per_step"), b.get("GFLOPS"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--size", type=int, nargs="+", default=[64], help="image sides (32, 64, 128, 256)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--bench", help="path of bench_nn, to time ours after PyTorch and print the ratios")
    a = ap.parse_args()
    for size in a.size:
        for batch in a.batch:
            torch_ips = time_pytorch(batch, size, a.threads, a.iters)
            print(f"{size:3d} px batch {batch:4d}  PyTorch {torch_ips:7.1f} images/s  ({a.threads} threads, "
                  f"BLAS: {blas_in_use()})")
            if a.bench:
                for precision, (ips, overhead, flop, gflops) in time_ours(a.bench, batch, size, a.threads).items():
                    print(f"{size:3d} px batch {batch:4d}  ours {precision:5s} {ips:7.1f} images/s  ratio "
                          f"{ips / torch_ips:5.2f}x  step / conv passes alone {overhead:.2f}  "
                          f"{flop / 1e9:.1f} GFLOP per step, {gflops:.0f} GFLOP/s")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
