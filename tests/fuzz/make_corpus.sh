#!/usr/bin/env bash
# Remakes the committed seed corpus of tests/fuzz/corpus/ with the project's own tools (celeba-pack, dcgan-onednn)
# and small hand-written files. Usage: tests/fuzz/make_corpus.sh [BUILD_DIR] (default build/debug: any preset's
# build with both tools). The seeds are small on purpose (a few KB each): scripts/fuzz copies them to
# build/fuzz/corpus/ and the fuzzers grow that copy. Needs python3 (+ PIL for the tiny JPEG/PNG seeds).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$root/build/debug}"
pack="$build/tools/celeba-pack"
dcgan="$build/tools/dcgan-onednn"
[ -x "$pack" ] && [ -x "$dcgan" ] || { echo "make_corpus: build the tools first (no $pack / $dcgan)" >&2; exit 2; }
out="$root/tests/fuzz/corpus"
work="$(mktemp -d /tmp/dcgan-corpus.XXXXXX)"
trap 'rm -rf "$work"' EXIT
sep=$'\n==FUZZ-NEXT-FILE==\n'   # fuzz_support.hpp kPartSeparator
golden="$root/tests/golden/transform/inputs"
mkdir -p "$out"/{jpeg,png,idx,celeba_meta,cache,checkpoint,config,metrics_csv,npy}

# Files joined by the separator: the seed of a target that reads several files.
join_files() {
  local dst="$1"; shift
  : >"$dst"
  local first=1
  for f in "$@"; do
    [ $first -eq 1 ] || printf '%s' "$sep" >>"$dst"
    cat "$f" >>"$dst"
    first=0
  done
}

# ---- jpeg, png: tiny files of kinds the golden inputs (tests/golden/transform/inputs, also seeds) lack ----
/usr/bin/python3 - "$out" <<'EOF'
import io, sys
from PIL import Image
out = sys.argv[1]
def pattern(mode, w, h):
    im = Image.new(mode, (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            v = (x * 37 + y * 11) % 256
            px[x, y] = v if mode in ('L', 'P', '1') else tuple((v + 80 * c) % 256 for c in range(len(mode)))
    return im
pattern('L', 8, 8).save(f'{out}/jpeg/gray_8x8.jpg', quality=75)
pattern('RGB', 16, 16).save(f'{out}/jpeg/rgb_16x16_420.jpg', quality=50, subsampling=2)
pattern('RGB', 24, 16).save(f'{out}/jpeg/progressive_24x16.jpg', quality=60, progressive=True)
pattern('CMYK', 8, 8).save(f'{out}/jpeg/cmyk_8x8.jpg', quality=70)
pattern('1', 9, 7).save(f'{out}/png/bilevel_9x7.png')
pattern('P', 8, 8).save(f'{out}/png/palette_8x8.png', transparency=3)
pattern('LA', 5, 5).save(f'{out}/png/gray_alpha_5x5.png')
pattern('RGBA', 6, 4).save(f'{out}/png/rgba_6x4.png')
Image.frombytes('I;16', (4, 4), bytes(range(32))).save(f'{out}/png/gray16_4x4.png')
EOF

# ---- idx: tiny image + label files, plain and gzipped (the layout of tests/pipeline/pack_fixtures.hpp) ----
/usr/bin/python3 - "$work/idx" <<'EOF'
import gzip, os, struct, sys
d = sys.argv[1]; os.makedirs(d)
def files(n, w, h):
    img = struct.pack('>IIII', 0x803, n, h, w) + bytes((k * 37 + i * 5) % 256 for k in range(n) for i in range(w * h))
    lab = struct.pack('>II', 0x801, n) + bytes(k % 10 for k in range(n))
    return img, lab
img, lab = files(3, 6, 5)
open(f'{d}/images', 'wb').write(img); open(f'{d}/labels', 'wb').write(lab)
open(f'{d}/images.gz', 'wb').write(gzip.compress(img, mtime=0)); open(f'{d}/labels.gz', 'wb').write(gzip.compress(lab, mtime=0))
img2, _ = files(2, 4, 4)
open(f'{d}/images2', 'wb').write(img2)
EOF
join_files "$out/idx/plain_3x6x5" "$work/idx/images" "$work/idx/labels"
join_files "$out/idx/gzip_3x6x5" "$work/idx/images.gz" "$work/idx/labels.gz"
join_files "$out/idx/two_sets" "$work/idx/images" "$work/idx/labels.gz" "$work/idx/images2"
cp "$work/idx/images" "$out/idx/images_only"

# ---- celeba_meta: the official .txt layout and Kaggle's .csv, attributes and partitions ----
printf '3\n5_o_Clock_Shadow Arched_Eyebrows Smiling\n000001.jpg -1  1  1\n000002.jpg -1 -1 -1\r\n000003.jpg  1  1 -1\n' \
  >"$out/celeba_meta/list_attr_celeba.txt"
printf 'image_id,5_o_Clock_Shadow,Arched_Eyebrows,Smiling\n000001.jpg,-1,1,1\n000002.jpg,-1,-1,-1\n' \
  >"$out/celeba_meta/list_attr_celeba.csv"
printf '000001.jpg 0\n000002.jpg 1\n000003.jpg 2\n' >"$out/celeba_meta/list_eval_partition.txt"
printf 'image_id,partition\n000001.jpg,0\n000002.jpg,2\n' >"$out/celeba_meta/list_eval_partition.csv"

# ---- cache: dataset.h5 + shard-00000.h5 of three one-shard packs (IDX, CelebA with lists, PNG folder) ----
mkdir -p "$work/in_idx" && cp "$work/idx/images.gz" "$work/in_idx/train-images-idx3-ubyte.gz" &&
  cp "$work/idx/labels.gz" "$work/in_idx/train-labels-idx1-ubyte.gz"
mkdir -p "$work/in_celeba/img_align_celeba"
cp "$golden/small_40x50.jpg" "$work/in_celeba/img_align_celeba/000001.jpg"
cp "$golden/square_64.jpg" "$work/in_celeba/img_align_celeba/000002.jpg"
head -c 0 /dev/null >"$work/in_celeba/img_align_celeba/000003.jpg"   # rejected: recorded in dataset.h5
cp "$out/celeba_meta/list_attr_celeba.txt" "$out/celeba_meta/list_eval_partition.txt" "$work/in_celeba/"
mkdir -p "$work/in_folder/a" "$work/in_folder/b"
cp "$out/png/rgba_6x4.png" "$work/in_folder/a/" && cp "$out/png/palette_8x8.png" "$work/in_folder/b/"
pack_seed() {  # name input [options...]
  local name="$1" in="$2"; shift 2
  "$pack" --input "$in" --output "$work/cache_$name" --quiet "$@" >/dev/null
  join_files "$out/cache/$name" "$work/cache_$name/dataset.h5" "$work/cache_$name/shard-00000.h5"
}
pack_seed idx_s8_uint8 "$work/in_idx" --size 8 --channels 1
pack_seed celeba_s8_float16 "$work/in_celeba" --size 8 --store float16
pack_seed folder_s4_deflate "$work/in_folder" --size 4 --compression deflate:1

# ---- checkpoint, config, metrics_csv: one iteration of a tiny DCGAN (32 px, nz = ngf = ndf = 4) ----
"$pack" --input "$work/in_idx" --output "$work/cache32" --size 32 --channels 1 --quiet >/dev/null
"$dcgan" train --data "$work/cache32" --out "$work/run" --iters 2 --batch 2 --nz 4 --ngf 4 --ndf 4 \
  --sample-every 0 --log-every 1 --threads 1 --no-progress >/dev/null
ckpt="$(ls "$work/run/checkpoints/"ckpt_*.h5 | tail -n 1)"
cp "$ckpt" "$out/checkpoint/ckpt_32px_nz4.h5"
# The same networks as a weights file (save_weights' layout: format dcgan-weights, version 1, image_size): the model
# fuzz_checkpoint checks files against (DCGAN_FUZZ_MODEL_FILE).
/usr/bin/python3 - "$ckpt" "$out/checkpoint/weights_32px_nz4.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], 'r') as src, h5py.File(sys.argv[2], 'w', track_order=False) as dst:
    dst.attrs['format'] = 'dcgan-weights'
    dst.attrs.create('version', 1, dtype='int64')
    dst.attrs.create('image_size', int(src.attrs['image_size']), dtype='int64')
    for g in ('generator', 'discriminator'):
        src.copy(src[g], dst, name=g)
PY
cp "$work/run/options.cfg" "$out/config/options.cfg"
printf '# hand-written: quoting, escapes, comments\nout = "runs/a #1"  # a comment\ndata = "tab\\there\\n"\nlr = 2e-4\nresume = true\n' \
  >"$out/config/quoted.cfg"
cp "$work/run/metrics.csv" "$out/metrics_csv/metrics.csv"
printf 'iter,kind,message\n3,d_wins,"D(x) 0.99, D(G(z)) 0.01: ""quoted""\nsecond line"\n7,non_finite,loss_D is nan\n9,torn' \
  >"$out/metrics_csv/warnings.csv"
# ---- npy: what `sample --z` reads, as numpy writes it (versions 1.0 and 2.0, 0-d, empty, 2-d and 4-d) ----
/usr/bin/python3 - "$out/npy" <<'EOF'
import sys
import numpy as np
d = sys.argv[1] + '/'
np.save(d + 'z_4x8.npy', np.arange(32, dtype='<f4').reshape(4, 8) / 10)
np.save(d + 'z_2x3x1x1.npy', np.ones((2, 3, 1, 1), dtype='<f4'))
np.save(d + 'scalar.npy', np.array(1.5, dtype='<f4'))
np.save(d + 'empty_0x5.npy', np.zeros((0, 5), dtype='<f4'))
with open(d + 'v2_3x2.npy', 'wb') as f:
    np.lib.format.write_array(f, np.full((3, 2), -0.25, dtype='<f4'), version=(2, 0))
EOF

echo "make_corpus: wrote $(find "$out" -type f | wc -l) files, $(du -sh "$out" | cut -f1) in $out"
