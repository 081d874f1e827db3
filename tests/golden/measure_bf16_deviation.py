#!/usr/bin/env python3
"""How far PyTorch's own gradients move when the layers our bf16 plan runs in bf16 are rounded to bf16.

The bf16 bounds of tests/nn/test_dcgan_golden.cpp compare our bf16 step with PyTorch's f32 step. This script
measures the part of that difference that is bf16 arithmetic itself: the reference models of make_dcgan_golden.py,
one tutorial iteration from the same fixture inputs, once in f32 and once with every layer but G's last
(nn/precision_plan.hpp) rounding its input, weights and output (and the gradients flowing back through them) to
bf16. It prints, per size, the worst err (max |diff| / max |f32|) and cosine over the gradients and over each
network's weight update, the statistics the C++ test checks.

Usage: /usr/bin/python3 measure_bf16_deviation.py FIXTURE.h5 [FIXTURE.h5 ...]
"""
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

from make_dcgan_golden import Discriminator, Generator


class RoundBf16(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.to(torch.bfloat16).to(torch.float32)

    @staticmethod
    def backward(ctx, g):
        return g.to(torch.bfloat16).to(torch.float32)


def r(x):
    return RoundBf16.apply(x)


class Bf16Conv(nn.Module):
    """A convolution whose input, weights and output are bf16 values (arithmetic in f32, as oneDNN accumulates)."""

    def __init__(self, conv):
        super().__init__()
        self.conv = conv

    def forward(self, x):
        c = self.conv
        if isinstance(c, nn.ConvTranspose2d):
            y = F.conv_transpose2d(r(x), r(c.weight), None, c.stride, c.padding)
        else:
            y = F.conv2d(r(x), r(c.weight), None, c.stride, c.padding)
        return r(y)


def emulate(net, skip_last):
    convs = [i for i, m in enumerate(net.main) if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    for i in convs[:-1] if skip_last else convs:
        net.main[i] = Bf16Conv(net.main[i])


def step(fx, bf16):
    a = fx.attrs
    size = int(a.get('image_size', 64))
    g = Generator(int(a['nz']), int(a['ngf']), int(a['nc']), size)
    d = Discriminator(int(a['nc']), int(a['ndf']), size)
    g.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in fx['init/G'].items()})
    d.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in fx['init/D'].items()})
    if bf16:
        emulate(g, skip_last=True)
        emulate(d, skip_last=False)
    real = (torch.from_numpy(np.array(fx['input/real_u8'])).float().div(255) - 0.5) / 0.5
    noise = torch.from_numpy(np.array(fx['input/noise']))
    crit = nn.BCELoss()
    opt_d = optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    b = real.shape[0]
    d.zero_grad()
    crit(d(real).view(-1), torch.ones(b)).backward()
    fake = g(noise)
    crit(d(fake.detach()).view(-1), torch.zeros(b)).backward()
    def named(net):  # state_dict names, with the wrapper's '.conv' level removed
        return [(n.replace('.conv.', '.'), p) for n, p in net.named_parameters()]

    grads = {'D/' + n: p.grad.clone() for n, p in named(d)}
    before = {(tag, n): p.detach().clone() for tag, net in (('G', g), ('D', d)) for n, p in named(net)}
    opt_d.step()
    g.zero_grad()
    crit(d(fake).view(-1), torch.ones(b)).backward()
    opt_g.step()
    grads.update({'G/' + n: p.grad.clone() for n, p in named(g)})
    upd = {}
    for tag, net in (('G', g), ('D', d)):
        upd[tag] = torch.cat([(p.detach() - before[(tag, n)]).flatten() for n, p in named(net)])
    return size, grads, upd


def stats(a, b):
    a, b = a.flatten().double(), b.flatten().double()
    err = float((a - b).abs().max() / b.abs().max())
    cos = float(torch.dot(a, b) / (a.norm() * b.norm()))
    return err, cos


def main(paths):
    torch.set_num_threads(1)
    for path in paths:
        with h5py.File(path, 'r') as fx:
            size, g32, u32 = step(fx, False)
            _, g16, u16 = step(fx, True)
        worst = [stats(g16[k].clone(), g32[k]) for k in g32]
        print(f'{path}: {size} px: gradients err max {max(e for e, _ in worst):.3f}, cos min '
              f'{min(c for _, c in worst):.4f}; weight update cos G {stats(u16["G"], u32["G"])[1]:.3f}, '
              f'D {stats(u16["D"], u32["D"])[1]:.3f}')


if __name__ == '__main__':
    main(sys.argv[1:])
