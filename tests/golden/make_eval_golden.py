#!/usr/bin/python3
"""Golden fixture for the evaluation code in trainer/: make_grid, SWD and MS-SSIM.

Writes tests/golden/eval/eval_golden.h5 (about 0.2 MB), read by tests/trainer/test_grid.cpp, test_swd.cpp and
test_msssim.cpp.

- grid/*: torchvision.utils.make_grid(nrow, padding=2, normalize, pad_value=0) followed by save_image's conversion
  (mul(255).add_(0.5).clamp_(0, 255).to(uint8)), on small random batches: the reference for trainer::make_grid.
- swd/*: a small NumPy re-implementation of Karras et al. 2018 (ProGAN) metrics/sliced_wasserstein.py, run on two
  sets of synthetic 64x64 RGB images with the random choices (patch corners, projection directions) drawn here
  and stored, so that trainer::swd_detail::sliced_wasserstein_with computes the same thing from the same draws.
- msssim/*: a NumPy MS-SSIM (Wang, Simoncelli, Bovik 2003) written like the NumPy implementation that Odena et al.
  2017 used for MS-SSIM diversity (tensorflow/models research/compression msssim.py): 5 scales with weights
  (0.0448, 0.2856, 0.3001, 0.2363, 0.1333), Gaussian window of size min(11, H, W) and sigma size*1.5/11, 'valid'
  filtering, 2x2 average downsampling; negative cs/ssim terms clipped at 0 as TF2's ssim_multiscale does.

Needs Debian python3-numpy, python3-h5py, python3-torch and python3-torchvision. Run from anywhere:
    /usr/bin/python3 tests/golden/make_eval_golden.py
"""
import os

import h5py
import numpy as np
import torch
import torchvision

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eval", "eval_golden.h5")
RNG = np.random.default_rng(20240607)

# ---------------------------------------------------------------------------------------------------------------
# Synthetic images: smooth blobs, gradients and a little noise, quantized to uint8 (image statistics closer to
# photos than white noise, so that every pyramid level carries signal).


def synthetic_images(n, c=3, size=64):
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    out = np.empty((n, c, size, size), np.float64)
    for i in range(n):
        for ch in range(c):
            img = RNG.uniform(60, 190) + RNG.uniform(-1, 1) * xx + RNG.uniform(-1, 1) * yy
            for _ in range(6):
                cy, cx = RNG.uniform(0, size, 2)
                r = RNG.uniform(3, 16)
                img += RNG.uniform(-90, 90) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
            img += RNG.normal(0, 6, img.shape)
            out[i, ch] = img
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def to_unit(u8):
    """uint8 -> float32 in [-1, 1], as the C++ test converts them: x / 127.5 - 1."""
    return (u8.astype(np.float32) / np.float32(127.5) - np.float32(1.0)).astype(np.float32)


# ---------------------------------------------------------------------------------------------------------------
# SWD reference (own NumPy code following the ProGAN algorithm).

BINOMIAL = np.array([1, 4, 6, 4, 1], np.float64) / 16.0
FILTER_5x5 = np.outer(BINOMIAL, BINOMIAL)  # ProGAN's gaussian_filter: [[1,4,6,4,1],...]/256


def conv5_mirror(x, kernel):
    """2-D convolution of [..., H, W] with a symmetric 5x5 kernel, mirror borders (scipy 'mirror'), float64."""
    pad = [(0, 0)] * (x.ndim - 2) + [(2, 2), (2, 2)]
    xp = np.pad(x.astype(np.float64), pad, mode="reflect")  # numpy 'reflect' == scipy 'mirror' (no edge repeat)
    h, w = x.shape[-2:]
    out = np.zeros(x.shape, np.float64)
    for dy in range(5):
        for dx in range(5):
            out += kernel[dy, dx] * xp[..., dy:dy + h, dx:dx + w]
    return out


def pyr_down(x):
    return conv5_mirror(x, FILTER_5x5)[..., ::2, ::2].astype(np.float32)


def pyr_up(x):
    s = x.shape
    z = np.zeros(s[:-2] + (s[-2] * 2, s[-1] * 2), np.float32)
    z[..., ::2, ::2] = x
    return conv5_mirror(z, FILTER_5x5 * 4.0).astype(np.float32)


def laplacian_pyramid(x, levels):
    pyr = [x.astype(np.float32)]
    for _ in range(1, levels):
        pyr.append(pyr_down(pyr[-1]))
        pyr[-2] = pyr[-2] - pyr_up(pyr[-1])
    return pyr


def descriptors(level, corners, ppi, p):
    """[n*ppi, C*p*p] patches at the given top-left corners, normalized per channel over the set (ddof=0)."""
    n, c = level.shape[:2]
    d = np.empty((n * ppi, c, p, p), np.float64)
    for k in range(n * ppi):
        y, x = corners[k]
        d[k] = level[k // ppi, :, y:y + p, x:x + p]
    d -= d.mean(axis=(0, 2, 3), keepdims=True)
    d /= d.std(axis=(0, 2, 3), keepdims=True)
    return d.reshape(n * ppi, -1)


def w1_sorted(a, b):
    """Exact 1-D Wasserstein-1 between empirical distributions of sorted arrays (equal sizes: mean |a - b|)."""
    if len(a) == len(b):
        return np.mean(np.abs(a - b))
    m, n = len(a), len(b)
    breaks = np.union1d(np.arange(1, m + 1) * n, np.arange(1, n + 1) * m)  # in units of 1/(m n)
    starts = np.concatenate([[0], breaks[:-1]])
    ia, ib = starts // n, starts // m
    return np.sum((breaks - starts) * np.abs(a[ia] - b[ib])) / (m * n)


def swd_reference(a, b, corners_a, corners_b, directions, ppi, p, levels):
    pa, pb = laplacian_pyramid(a, levels), laplacian_pyramid(b, levels)
    out = []
    for l in range(levels):
        da = descriptors(pa[l], corners_a[l], ppi, p)
        db = descriptors(pb[l], corners_b[l], ppi, p)
        proj_a = np.sort(da @ directions[l].astype(np.float64).T, axis=0)  # [N, P]
        proj_b = np.sort(db @ directions[l].astype(np.float64).T, axis=0)
        out.append(np.mean([w1_sorted(proj_a[:, j], proj_b[:, j]) for j in range(proj_a.shape[1])]) * 1e3)
    return np.array(out)


# ---------------------------------------------------------------------------------------------------------------
# MS-SSIM reference.

MS_WEIGHTS = np.array([0.0448, 0.2856, 0.3001, 0.2363, 0.1333])


def gauss_window(size, sigma):
    radius = size // 2
    offset = 0.5 if size % 2 == 0 else 0.0
    start, stop = -radius, radius + 1 - (1 if size % 2 == 0 else 0)
    y, x = np.mgrid[offset + start:stop, offset + start:stop]
    g = np.exp(-((x ** 2 + y ** 2) / (2.0 * sigma ** 2)))
    return g / g.sum()


def filter_valid(x, win):
    s = win.shape[0]
    h, w = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + (h - s + 1, w - s + 1))
    for dy in range(s):
        for dx in range(s):
            out += win[dy, dx] * x[..., dy:dy + h - s + 1, dx:dx + w - s + 1]
    return out


def ssim_terms(x, y, data_range):
    h, w = x.shape[-2:]
    size = min(11, h, w)
    win = gauss_window(size, size * 1.5 / 11)
    mu1, mu2 = filter_valid(x, win), filter_valid(y, win)
    s11 = filter_valid(x * x, win) - mu1 * mu1
    s22 = filter_valid(y * y, win) - mu2 * mu2
    s12 = filter_valid(x * y, win) - mu1 * mu2
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    v1, v2 = 2.0 * s12 + c2, s11 + s22 + c2
    ssim = np.mean(((2.0 * mu1 * mu2 + c1) * v1) / ((mu1 * mu1 + mu2 * mu2 + c1) * v2))
    return ssim, np.mean(v1 / v2)


def downsample2(x):
    h, w = x.shape[-2:]
    assert h % 2 == 0 and w % 2 == 0
    return 0.25 * (x[..., 0::2, 0::2] + x[..., 1::2, 0::2] + x[..., 0::2, 1::2] + x[..., 1::2, 1::2])


def ms_ssim_reference(x, y, data_range=2.0, scales=5):
    """Fewer scales than 5 (32-px images: 4) use the first weights renormalized to sum to 1 (trainer/msssim.hpp);
    5 scales use the paper's weights as they are (they sum to 1.0001)."""
    weights = MS_WEIGHTS if scales == len(MS_WEIGHTS) else MS_WEIGHTS[:scales] / np.sum(MS_WEIGHTS[:scales])
    x, y = x.astype(np.float64), y.astype(np.float64)
    mssim, mcs = [], []
    for _ in range(scales):
        s, cs = ssim_terms(x, y, data_range)
        mssim.append(s)
        mcs.append(cs)
        x, y = downsample2(x), downsample2(y)
    mcs = np.maximum(np.array(mcs), 0.0)
    mssim = np.maximum(np.array(mssim), 0.0)
    return np.prod(mcs[:-1] ** weights[:-1]) * mssim[-1] ** weights[-1]


# ---------------------------------------------------------------------------------------------------------------


def grid_case(f, name, images, nrow, normalize):
    grid = torchvision.utils.make_grid(torch.from_numpy(images), nrow=nrow, padding=2, normalize=normalize)
    u8 = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", torch.uint8).numpy()
    g = f.create_group("grid/" + name)
    g.create_dataset("input", data=images)
    g.create_dataset("output", data=u8)  # [H, W, 3]
    g.attrs["nrow"] = nrow
    g.attrs["normalize"] = int(normalize)


def main():
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with h5py.File(OUT, "w") as f:
        f.attrs["format"] = "dcgan-eval-golden"
        f.attrs["version"] = 1
        f.attrs["made_by"] = "tests/golden/make_eval_golden.py"
        f.attrs["torch"] = str(torch.__version__)
        f.attrs["torchvision"] = str(torchvision.__version__)
        f.attrs["numpy"] = np.__version__

        # make_grid: an RGB batch (two rows), a grayscale batch, one image (no padding), a non-normalized batch
        # whose values leave [0, 1] (save_image clamps), and a tanh-like batch as the generator gives.
        grid_case(f, "rgb10", RNG.normal(0, 1, (10, 3, 8, 8)).astype(np.float32), 8, True)
        grid_case(f, "gray5", RNG.uniform(-1, 1, (5, 1, 6, 7)).astype(np.float32), 3, True)
        grid_case(f, "single", RNG.uniform(-1, 1, (1, 3, 5, 5)).astype(np.float32), 8, True)
        grid_case(f, "raw", RNG.uniform(-0.3, 1.3, (4, 3, 5, 6)).astype(np.float32), 8, False)
        grid_case(f, "tanh64", np.tanh(RNG.normal(0, 1.5, (64, 3, 4, 4))).astype(np.float32), 8, True)
        # Values at save_image's rounding boundaries: (k - 0.5) / 255 and their float32 neighbours.
        k = np.arange(1, 256, dtype=np.float64)
        mid = ((k - 0.5) / 255).astype(np.float32)
        edge = np.concatenate([mid, np.nextafter(mid, np.float32(0)), np.nextafter(mid, np.float32(1))])
        edge = np.resize(edge, 2 * 3 * 8 * 8).astype(np.float32).reshape(2, 3, 8, 8)
        grid_case(f, "rounding", edge, 8, False)

        # SWD: b[0:3] is a[0:3] plus noise, b[3:5] blends of a[3:5] with other images, b[5] another image.
        n, p, ppi, levels, projections = 6, 7, 128, 3, 32
        a8 = synthetic_images(n)
        b8 = synthetic_images(n)
        b8[:3] = np.clip(a8[:3].astype(np.int16) + RNG.integers(-20, 21, a8[:3].shape), 0, 255).astype(np.uint8)
        b8[3:5] = np.rint(0.6 * a8[3:5] + 0.4 * b8[3:5]).astype(np.uint8)  # related: blends; b8[5] unrelated
        a, b = to_unit(a8), to_unit(b8)
        sw = f.create_group("swd")
        sw.create_dataset("a", data=a8, compression="gzip")
        sw.create_dataset("b", data=b8, compression="gzip")
        for k, v in dict(patch_size=p, patches_per_image=ppi, levels=levels, projections=projections).items():
            sw.attrs[k] = v
        corners_a, corners_b, directions = [], [], []
        for l in range(levels):
            s = 64 >> l
            corners_a.append(RNG.integers(0, s - p + 1, (n * ppi, 2)).astype(np.int32))
            corners_b.append(RNG.integers(0, s - p + 1, (n * ppi, 2)).astype(np.int32))
            d = RNG.normal(size=(projections, 3 * p * p))
            directions.append((d / np.sqrt(np.sum(d * d, axis=1, keepdims=True))).astype(np.float32))
            sw.create_dataset(f"corners_a_{l}", data=corners_a[l].astype(np.uint8))  # < 64: bytes suffice
            sw.create_dataset(f"corners_b_{l}", data=corners_b[l].astype(np.uint8))
            sw.create_dataset(f"directions_{l}", data=directions[l])
        sw.create_dataset("expected", data=swd_reference(a, b, corners_a, corners_b, directions, ppi, p, levels))
        # Unequal sizes: all of a against the first 4 images of b (their first 4*ppi corners), same directions.
        nb = 4
        sw.create_dataset("expected_a_vs_b4", data=swd_reference(
            a, b[:nb], corners_a, [cb[:nb * ppi] for cb in corners_b], directions, ppi, p, levels))
        # The pyramid of the first image of a, to check the pyramid alone.
        for l, lev in enumerate(laplacian_pyramid(a[:1], levels)):
            sw.create_dataset(f"pyramid_a0_{l}", data=lev[0], compression="gzip")

        # MS-SSIM on the same images: pairs (a[i], b[i]) (noisy copies, blends, an unrelated image) and a grayscale pair.
        ms = f.create_group("msssim")
        ms.create_dataset("pairs_ab", data=np.array([ms_ssim_reference(a[i], b[i]) for i in range(n)]))
        gray_x, gray_y = a[0, :1], to_unit(b8[3, :1])
        ms.create_dataset("gray_expected", data=ms_ssim_reference(gray_x, gray_y))
        # 32-px images (the pairs averaged 2x2): 4 scales, weights renormalized.
        a32, b32 = downsample2(a).astype(np.float32), downsample2(b).astype(np.float32)
        ms.create_dataset("a32", data=a32)
        ms.create_dataset("b32", data=b32)
        ms.create_dataset("pairs_ab_32", data=np.array([ms_ssim_reference(a32[i], b32[i], scales=4) for i in range(n)]))
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
