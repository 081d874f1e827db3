#!/usr/bin/python3
"""The PyTorch peer of `dcgan-onednn train`: the tutorial's training loop on one of our caches, to compare dynamics.

Trains the reference Generator and Discriminator (tests/golden/make_dcgan_golden.py: the tutorial's at 64 px, extended
to 32..256 px by nn/architecture.hpp's rule) with the tutorial's recipe (weights_init, BCELoss, Adam(2e-4, (0.5,
0.999)), the D step on real then fake.detach(), then the G step) on the images of a cache written by celeba-pack,
read with h5py through dataset.h5 (uint8 -> (u/255 - 0.5)/0.5, as our loader and ToTensor + Normalize(0.5, 0.5)).
Prints one line per iteration with the tutorial's columns (Loss_D, Loss_G, D(x), D(G(z)) before and after D's
update), so a run of ours on the same cache can be set beside it: where both behave alike, a behaviour is the
recipe's, not our implementation's.

usage: bench/peers/pytorch_train_cache.py CACHE_DIR [--iters 50] [--batch 64] [--seed 0] [--threads 2]
                                          [--ngf 64 --ndf 64 --nz 100] [--csv OUT.csv]
"""
import argparse
import csv
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from pytorch_dcgan import reference_models  # noqa: E402  (the peer benchmark's loader of the reference models)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cache", help="a cache directory written by celeba-pack (its dataset.h5 is read)")
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--nz", type=int, default=100)
    ap.add_argument("--ngf", type=int, default=64)
    ap.add_argument("--ndf", type=int, default=64)
    ap.add_argument("--csv", help="also write the rows to this CSV file")
    a = ap.parse_args()

    import h5py
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.optim as optim

    manifest = pathlib.Path(a.cache) / "dataset.h5"
    if not manifest.is_file():
        sys.exit(f"pytorch_train_cache: '{manifest}' not found: is '{a.cache}' a cache written by celeba-pack?")
    with h5py.File(manifest, "r") as f:
        images = f["images"]
        if images.dtype != np.uint8:
            sys.exit(f"pytorch_train_cache: '{manifest}' stores {images.dtype} images; pack with --store uint8")
        data = images[...]  # [N, C, S, S] uint8
    n, nc, size = data.shape[0], data.shape[1], data.shape[2]
    if n < a.batch:
        sys.exit(f"pytorch_train_cache: the cache holds {n} images, fewer than --batch {a.batch}")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    ref = reference_models()
    netG, netD = ref.Generator(a.nz, a.ngf, nc, size), ref.Discriminator(nc, a.ndf, size)
    netG.apply(ref.weights_init)
    netD.apply(ref.weights_init)
    criterion = nn.BCELoss()
    optD = optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    rng = np.random.default_rng(a.seed)
    order = rng.permutation(n)
    at = 0

    columns = ["iter", "loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"]
    out = csv.writer(open(a.csv, "w", newline="")) if a.csv else None
    if out:
        out.writerow(columns)
    print(f"# {n} images {nc}x{size}x{size}, batch {a.batch}, torch {torch.__version__}")
    print(" ".join(columns))
    for it in range(1, a.iters + 1):  # the tutorial's iteration, drop_last epochs
        if at + a.batch > n:
            order, at = rng.permutation(n), 0
        batch = torch.from_numpy(data[np.sort(order[at:at + a.batch])].astype(np.float32) / 255.0 * 2.0 - 1.0)
        at += a.batch
        netD.zero_grad()
        label = torch.full((a.batch,), 1.0)
        output = netD(batch).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        d_x = output.mean().item()
        fake = netG(torch.randn(a.batch, a.nz, 1, 1))
        label.fill_(0.0)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        d_g_z1 = output.mean().item()
        optD.step()
        netG.zero_grad()
        label.fill_(1.0)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        optG.step()
        row = [it, (errD_real + errD_fake).item(), errG.item(), d_x, d_g_z1, output.mean().item()]
        print(" ".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in row), flush=True)
        if out:
            out.writerow(row)


if __name__ == "__main__":
    main()
