#!/usr/bin/python3
"""The torchvision peer of celeba-pack, timed side by side on the same files, with the ratio.

torchvision: ImageFolder(DATA) + Resize(64), CenterCrop(64), ToTensor(), Normalize(0.5, 0.5) +
DataLoader(batch_size=128, num_workers=2), one pass over every image, worker start-up included (what the PyTorch
DCGAN tutorial does each epoch). celeba-pack: the same files into a fresh cache (--force), wall clock.

usage: bench/peers/torchvision_pipeline.py DATA --celeba-pack build/release/tools/celeba-pack [--exact]
DATA holds img_align_celeba/ (for example $BENCH_WORK/celeba_like_20000 made by bench_pipeline, or any
make_celeba_like.py output). Run it on an idle machine: another process distorts both numbers.
"""
import argparse, os, shutil, subprocess, sys, tempfile, time


def time_torchvision(data, workers, batch):
    import torch
    import torchvision.datasets as datasets
    import torchvision.transforms as T
    tf = T.Compose([T.Resize(64), T.CenterCrop(64), T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    t0 = time.perf_counter()
    ds = datasets.ImageFolder(data, transform=tf)
    loader = torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=False, num_workers=workers)
    n = 0
    for x, _ in loader:
        n += x.shape[0]
    return n, time.perf_counter() - t0


def time_celeba_pack(exe, data, exact, out):
    cmd = [exe, "--input", data, "--output", out, "--force", "--quiet"] + (["--exact"] if exact else [])
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit("celeba-pack failed: " + r.stderr)
    packed = int(r.stdout.split("packed ")[1].split()[0])
    return packed, seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("--celeba-pack", required=True, help="path of the celeba-pack executable")
    ap.add_argument("--exact", action="store_true", help="time celeba-pack --exact")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    a = ap.parse_args()
    if not os.path.isdir(os.path.join(a.data, "img_align_celeba")):
        sys.exit(a.data + " has no img_align_celeba/ (make one with ../shared/tools/make_celeba_like.py)")
    out = tempfile.mkdtemp(prefix="celeba-pack-peer-")
    try:
        n_pack, s_pack = time_celeba_pack(a.celeba_pack, a.data, a.exact, os.path.join(out, "cache"))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    n_tv, s_tv = time_torchvision(a.data, a.workers, a.batch)
    r_pack, r_tv = n_pack / s_pack, n_tv / s_tv
    mode = "--exact" if a.exact else "default"
    print("celeba-pack (%s): %d images in %.2f s = %.0f images/s" % (mode, n_pack, s_pack, r_pack))
    print("torchvision ImageFolder+DataLoader(batch %d, %d workers): %d images in %.2f s = %.0f images/s"
          % (a.batch, a.workers, n_tv, s_tv, r_tv))
    print("ratio celeba-pack / torchvision: %.2fx (target >= 5x)" % (r_pack / r_tv))


if __name__ == "__main__":
    main()
