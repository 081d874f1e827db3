#!/usr/bin/env python3
"""The PyTorch side of the weights-interchange test (tests/trainer/test_interchange.cpp).

Loads a dcgan-onednn weights file into the reference PyTorch models with a few lines of h5py, checks that
PyTorch's eval-mode generator reproduces dcgan-onednn's samples and that its discriminator gives the same
outputs on them, then changes every tensor and writes the result back in the same layout for the C++ side to
load. Exit status 0 when every check passes; the reason is printed otherwise.

Usage: torch_interchange.py WEIGHTS.h5 IO.h5 BACK.h5
  IO.h5 holds noise [n,nz], ours/sample [n,nc,S,S] (dcgan-onednn's eval-mode G on it), real [B,nc,S,S]
  and ours/d_x (the mean of dcgan-onednn's training-mode D on real, with these weights).
"""
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'golden'))
from make_dcgan_golden import Discriminator, Generator, layer_count  # noqa: E402  (the reference models)


def load(module, group):
    # The few lines a user writes: state_dict names and layouts are PyTorch's own.
    module.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in group.items()})


def main(weights, io_path, back):
    torch.set_num_threads(1)
    with h5py.File(weights, 'r') as f:
        assert f.attrs['format'] in ('dcgan-weights', 'dcgan-checkpoint'), f.attrs['format']
        size = int(f.attrs['image_size'])  # 32..256: the architecture rule builds the same layers on both sides
        last = 3 * (layer_count(size) - 1)
        nz, widest = f['generator/main.0.weight'].shape[:2]
        ngf, nc = f[f'generator/main.{last}.weight'].shape[:2]
        ndf = f['discriminator/main.0.weight'].shape[0]
        net_g, net_d = Generator(nz, ngf, nc, size), Discriminator(nc, ndf, size)
        load(net_g, f['generator'])
        load(net_d, f['discriminator'])
    assert widest == ngf * 2 ** (layer_count(size) - 2)
    with h5py.File(io_path, 'r') as f:
        noise = torch.from_numpy(np.array(f['noise'])).reshape(-1, nz, 1, 1)
        ours = np.array(f['ours/sample'])
        real = torch.from_numpy(np.array(f['real']))
        ours_d_x = float(np.array(f['ours/d_x']))
    net_g.eval()
    net_d.train()  # the tutorial's D always runs in training mode: batch statistics
    with torch.no_grad():
        theirs = net_g(noise).numpy()
        theirs_d_x = float(net_d(real).mean())
    err = np.abs(theirs - ours).max()
    if not np.allclose(theirs, ours, rtol=1e-4, atol=1e-5):
        print(f'generator outputs differ: max abs difference {err}')
        return 1
    if not np.isclose(theirs_d_x, ours_d_x, rtol=1e-4, atol=1e-6):
        print(f'discriminator outputs differ: D(x) {theirs_d_x} vs {ours_d_x}')
        return 1
    # Change every tensor in PyTorch and hand the result back in the same layout. Reload first: the
    # training-mode D pass above moved D's running statistics.
    with h5py.File(weights, 'r') as f:
        load(net_g, f['generator'])
        load(net_d, f['discriminator'])
    with torch.no_grad():
        for net in (net_g, net_d):
            for k, v in net.state_dict().items():
                if v.dtype == torch.int64:
                    v.add_(1000)
                else:
                    v.mul_(0.5).add_(0.25)
    with h5py.File(back, 'w') as f:
        f.attrs['format'] = 'dcgan-weights'
        f.attrs['version'] = 1
        f.attrs['image_size'] = size
        for name, net in (('generator', net_g), ('discriminator', net_d)):
            g = f.create_group(name)
            for k, v in net.state_dict().items():
                g.create_dataset(k, data=v.numpy())
    print(f'ok: max abs difference of G outputs {err:.3g}')
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:4]))
