#!/usr/bin/env python3
"""Make the golden fixture of pipeline::Transform: inputs, and the pixels torchvision + PIL produce from them.

usage: /usr/bin/python3 tests/golden/make_transform_golden.py [--out tests/golden/transform] [--celeba-like DIR]

Needs Debian's python3-torchvision (0.14), python3-pil (9.4), python3-numpy, and for the CelebA-like images
../shared/tools/make_celeba_like.py (mate-backgrounds, python3-skimage). Writes into OUT:
  inputs/                 the encoded inputs (24 CelebA-like JPEGs + special cases made here with PIL) and raw
                          8-bit arrays for Transform::pixels (IDX-like input)
  manifest.txt            one line per input, in blob order:  <file|raw> <name> <w> <h> <channels> <sets>
                          (w h channels only matter for raw; <sets> lists the SxC sets holding its pixels)
  expected_S<S>_C<C>.u8.gz  gzip of, for each set,: uint8 [n, C, S, S], the inputs of that set in manifest order, equal to
                          np.asarray(CenterCrop(S)(Resize(S)(Image.open(f).convert('RGB' or 'L')))) in CHW
  expected_float_S32_C3.f32.gz  gzip of float32 [2, 3, 32, 32]: ToTensor + Normalize((.5,)*3, (.5,)*3) of the first
                          two CelebA-like images (the fused normalise path, compared bit for bit)
  normalize_lut.txt       per line: mean std, then the 256 float32 (as hex bit patterns) torchvision's
                          ToTensor + Normalize([mean], [std]) gives for u = 0..255
The C++ test (tests/pipeline/test_transform_golden.cpp) reads these and must match exactly in exact mode.
"""
import argparse, gzip, io, os, shutil, struct, subprocess, sys, tempfile, zlib
from pathlib import Path

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms as T

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ALL_SETS = ["64x3", "64x1", "32x3", "32x1"]


def torchvision_u8(img, S, C):
    """uint8 [C,S,S]: convert as ImageFolder would (or 'L'), then Resize(S) + CenterCrop(S)."""
    img = img.convert("RGB" if C == 3 else "L")
    out = T.CenterCrop(S)(T.Resize(S)(img))
    a = np.asarray(out, dtype=np.uint8)
    if a.ndim == 2:
        a = a[None]
    else:
        a = a.transpose(2, 0, 1)
    assert a.shape == (C, S, S), a.shape
    return np.ascontiguousarray(a)


def png_chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def write_png16_rgb(path, arr16):
    """A 16-bit RGB PNG (colour type 2, depth 16): PIL cannot write these, so we do (filter 0 rows)."""
    h, w, _ = arr16.shape
    raw = b"".join(b"\x00" + arr16[y].astype(">u2").tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b"")
    Path(path).write_bytes(data)


def make_specials(src_imgs, out):
    """Special cases, each written to out/inputs; returns [(kind, name, w, h, c, sets)]."""
    a, b, c, d = src_imgs[:4]
    rows = []

    def add(name, sets=ALL_SETS):
        rows.append(("file", name, 0, 0, 0, sets))

    a.convert("L").save(out / "gray.jpg", quality=90); add("gray.jpg")
    # PIL writes CMYK with Adobe's inverted convention; libjpeg stores it as YCCK.
    b.resize((131, 160), Image.BICUBIC).convert("CMYK").save(out / "cmyk.jpg", quality=75); add("cmyk.jpg")
    c.save(out / "progressive.jpg", quality=75, progressive=True); add("progressive.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display. PIL/torchvision ignore it, so must we.
    exif[0x010F] = "dcgan-onednn test"
    d.save(out / "exif.jpg", quality=75, exif=exif.tobytes()); add("exif.jpg")
    a.resize((251, 163), Image.BICUBIC).save(out / "landscape_251x163.jpg", quality=88); add("landscape_251x163.jpg")
    b.resize((97, 211), Image.BICUBIC).save(out / "portrait_97x211_444.jpg", quality=92, subsampling=0)
    add("portrait_97x211_444.jpg")
    c.resize((203, 150), Image.BICUBIC).save(out / "landscape_203x150_422.jpg", quality=85, subsampling=1)
    add("landscape_203x150_422.jpg")
    d.resize((40, 50), Image.BICUBIC).save(out / "small_40x50.jpg", quality=90); add("small_40x50.jpg")
    a.resize((64, 64), Image.BICUBIC).save(out / "square_64.jpg", quality=90); add("square_64.jpg")
    b.resize((64, 100), Image.BICUBIC).save(out / "narrow_64x100.jpg", quality=90); add("narrow_64x100.jpg")
    # a large-ish image: downscale far beyond 2x (wide filter windows, DCT scaling 1/4 in fast mode)
    c.resize((301, 437), Image.BICUBIC).save(out / "large_301x437.jpg", quality=50); add("large_301x437.jpg", ["64x3", "32x3"])

    rgba = np.asarray(d.resize((81, 61), Image.BICUBIC)).copy()
    alpha = (np.add.outer(np.arange(61), np.arange(81)) * 255 // 140).astype(np.uint8)
    Image.fromarray(np.dstack([rgba, alpha]), "RGBA").save(out / "rgba.png"); add("rgba.png")
    rgb = np.asarray(a.resize((47, 69), Image.BICUBIC)).astype(np.uint16)
    rgb16 = rgb * 257 + (np.arange(47)[None, :, None] * 5).astype(np.uint16)  # low bytes that must be dropped
    write_png16_rgb(out / "rgb16.png", np.minimum(rgb16, 65535).astype(np.uint16)); add("rgb16.png")
    g = np.asarray(b.convert("L").resize((80, 60), Image.BICUBIC)).astype(np.int32)
    g16 = (g * 2).astype(np.uint16)  # 0..510: PIL's mode "I" clips the upper half to 255 on convert
    Image.fromarray(g16, "I;16").save(out / "gray16.png"); add("gray16.png")
    c.resize((100, 80), Image.BICUBIC).convert("P", palette=Image.ADAPTIVE, colors=64).save(out / "palette.png")
    add("palette.png")
    d.convert("LA").resize((66, 90), Image.BICUBIC).save(out / "gray_alpha.png"); add("gray_alpha.png")
    a.convert("1").resize((72, 70)).save(out / "bilevel.png"); add("bilevel.png")
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(HERE / "transform"))
    ap.add_argument("--celeba-like", help="an existing make_celeba_like.py output (default: make one, --n 24 --seed 1)")
    args = ap.parse_args()
    out = Path(args.out)
    inputs = out / "inputs"
    if out.exists():
        shutil.rmtree(out)
    inputs.mkdir(parents=True)
    print("torchvision", torchvision.__version__, "torch", torch.__version__, "PIL", Image.__version__)

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(args.celeba_like) if args.celeba_like else Path(tmp)
        if not args.celeba_like:
            subprocess.run([sys.executable, str(ROOT.parent / "shared" / "tools" / "make_celeba_like.py"), tmp,
                            "--n", "24", "--seed", "1"], check=True)
        celeba = sorted((src / "img_align_celeba").glob("*.jpg"))[:24]
        rows = []
        for i, f in enumerate(celeba):
            name = "celeba_" + f.name
            shutil.copyfile(f, inputs / name)
            rows.append(("file", name, 0, 0, 0, ALL_SETS if i < 4 else ["64x3"]))
        photos = [Image.open(inputs / r[1]).convert("RGB") for r in rows[:4]]
    rows += make_specials(photos, inputs)

    # Raw arrays for Transform::pixels: the first Fashion-MNIST test image, and a small RGBA array.
    with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", "rb") as f:
        f.read(16)
        fm = np.frombuffer(f.read(28 * 28), dtype=np.uint8).reshape(28, 28)
    (inputs / "fashion_28x28x1.u8").write_bytes(fm.tobytes())
    rows.append(("raw", "fashion_28x28x1.u8", 28, 28, 1, ALL_SETS))
    rgba = np.asarray(photos[1].resize((33, 20), Image.BICUBIC).convert("RGBA")).copy()
    rgba[..., 3] = 77
    (inputs / "array_33x20x4.u8").write_bytes(rgba.tobytes())
    rows.append(("raw", "array_33x20x4.u8", 33, 20, 4, ALL_SETS))

    def pil_of(row):
        kind, name, w, h, c, _ = row
        if kind == "file":
            return Image.open(inputs / name)
        a = np.frombuffer((inputs / name).read_bytes(), dtype=np.uint8).reshape(h, w, c)
        return Image.fromarray(a[..., 0] if c == 1 else a, {1: "L", 3: "RGB", 4: "RGBA"}[c])

    with open(out / "manifest.txt", "w") as m:
        for kind, name, w, h, c, sets in rows:
            m.write(f"{kind} {name} {w} {h} {c} {','.join(sets)}\n")
    for s in ALL_SETS:
        S, C = map(int, s.split("x"))
        blob = b"".join(torchvision_u8(pil_of(r), S, C).tobytes() for r in rows if s in r[5])
        (out / f"expected_S{S}_C{C}.u8.gz").write_bytes(gzip.compress(blob, 9, mtime=0))

    norm = T.Compose([T.Resize(32), T.CenterCrop(32), T.ToTensor(), T.Normalize((0.5,) * 3, (0.5,) * 3)])
    fl = [norm(pil_of(r).convert("RGB")).numpy().astype(np.float32) for r in rows[:2]]
    (out / "expected_float_S32_C3.f32.gz").write_bytes(gzip.compress(np.stack(fl).astype("<f4").tobytes(), 9, mtime=0))

    ramp = Image.fromarray(np.arange(256, dtype=np.uint8).reshape(1, 256), "L")
    with open(out / "normalize_lut.txt", "w") as f:
        for mean, std in [(0.5, 0.5), (0.485, 0.229), (0.0, 1.0), (0.25, 3.0)]:
            t = T.Normalize([mean], [std])(T.ToTensor()(ramp)).numpy().astype("<f4").reshape(-1)
            f.write(f"{mean!r} {std!r} " + " ".join("%08x" % v for v in t.view("<u4")) + "\n")

    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {len(rows)} inputs, {total} bytes under {out}")


if __name__ == "__main__":
    main()
