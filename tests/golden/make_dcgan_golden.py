#!/usr/bin/env python3
"""Golden fixture for nn: one training iteration of the reference PyTorch DCGAN at a small configuration.

The models are the DCGAN tutorial's / pytorch/examples dcgan's Generator and Discriminator (nn.Sequential
`main`), initialized by the tutorial's weights_init (BatchNorm weight N(1, 0.02)), trained for one iteration in
the tutorial's order on a fixed real batch (uint8 images normalized as ToTensor + Normalize(0.5, 0.5)) and fixed
noise, with BCELoss and Adam(lr 2e-4, betas (0.5, 0.999)). CPU, float32, one thread, deterministic algorithms.

Stored (HDF5, h5py; state_dict names and PyTorch layouts):
  attrs: format="dcgan-golden", version=1, nz, ngf, ndf, nc, batch, lr, beta1, beta2, eps, torch_version,
         image_size (S; absent means 64)
  input/real_u8 [B,nc,S,S] uint8   real = (u8 / 255 - 0.5) / 0.5 in float32
  input/noise [B,nz,1,1]   input/sample_noise [S,nz,1,1]
  init/{G,D}/<state_dict name>          weights, BN buffers, num_batches_tracked before the step
  out/d_real, out/d_fake1, out/d_fake2 [B]   D(x), D(G(z)) before D's update, D(G(z)) after it
  out/fake [B,nc,S,S]                   G(z) (training-mode BN)
  out/loss_d_real, loss_d_fake, loss_g    scalars
  grad/D/<param>   D's gradients of the D step (errD_real + errD_fake; before PyTorch's G step adds to them)
  grad/G/<param>   G's gradients of the G step
  after/{G,D}/<state_dict name>           everything after the step (weights, running stats, counters)
  adam/{G,D}/<param>/exp_avg, exp_avg_sq; attrs step
  out/sample [n,nc,S,S]                 G in eval mode (running stats) on sample_noise, after the step
  adam_steps/{param0, grad, param, exp_avg, exp_avg_sq}   torch.optim.Adam alone, 5 steps on fixed gradients
  bce/{logits, loss_T, mean_prob_T, grad_T}               sigmoid + BCELoss for targets T = 0, 1, saturated logits

The models follow nn/architecture.hpp's rule for S = 32..256; at S = 64 they are the tutorial's exactly.

Usage: /usr/bin/python3 make_dcgan_golden.py OUT.h5 [--nz 8 --ngf 3 --ndf 3 --nc 3 --batch 4 --samples 1 --seed 1
                                                   --size 64]
Committed: dcgan/dcgan_small.h5 (defaults), dcgan/dcgan_s32.h5 (--size 32), dcgan/dcgan_s128.h5 (--size 128
--nc 1 --ngf 2 --ndf 2 --batch 2: gray images too, and a small file).
"""
import argparse

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


def layer_count(size):
    """Convolutions per network for a size-S image (nn/architecture.hpp): log2(S) - 1, 5 at 64."""
    count = size.bit_length() - 2
    if size not in (32, 64, 128, 256):
        raise ValueError(f'image size {size}: the rule builds 32, 64, 128 and 256')
    return count


class Generator(nn.Module):
    """pytorch/examples dcgan's Generator at 64 px, extended by nn/architecture.hpp's rule to 32..256 px."""

    def __init__(self, nz, ngf, nc, size=64):
        super().__init__()
        width = ngf * 2 ** (layer_count(size) - 2)
        layers = [nn.ConvTranspose2d(nz, width, 4, 1, 0, bias=False), nn.BatchNorm2d(width), nn.ReLU(True)]
        for _ in range(layer_count(size) - 2):
            layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width // 2),
                       nn.ReLU(True)]
            width //= 2
        layers += [nn.ConvTranspose2d(width, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, x):
        return self.main(x)


class Discriminator(nn.Module):
    """pytorch/examples dcgan's Discriminator at 64 px, extended by the same rule."""

    def __init__(self, nc, ndf, size=64):
        super().__init__()
        width = ndf
        layers = [nn.Conv2d(nc, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
        for _ in range(layer_count(size) - 2):
            layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width * 2),
                       nn.LeakyReLU(0.2, inplace=True)]
            width *= 2
        layers += [nn.Conv2d(width, 1, 4, 1, 0, bias=False), nn.Sigmoid()]
        self.main = nn.Sequential(*layers)

    def forward(self, x):
        return self.main(x)


def weights_init(m):  # the tutorial's, with the BatchNorm weight centred on 1
    name = m.__class__.__name__
    if name.find('Conv') != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif name.find('BatchNorm') != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


def put(group, name, t):
    a = t.detach().cpu().numpy() if torch.is_tensor(t) else np.asarray(t)
    # gzip saves ~10% on float32 noise but each chunked dataset costs ~2 KB of index: only the images use it
    opts = dict(compression='gzip', compression_opts=9, shuffle=True) if a.size > 16384 else {}
    group.create_dataset(name, data=a, **opts)


def put_state(group, module):
    for k, v in module.state_dict().items():
        put(group, k, v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('out')
    ap.add_argument('--nz', type=int, default=8)
    ap.add_argument('--ngf', type=int, default=3)
    ap.add_argument('--ndf', type=int, default=3)
    ap.add_argument('--nc', type=int, default=3)
    ap.add_argument('--batch', type=int, default=4)
    ap.add_argument('--samples', type=int, default=1)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--size', type=int, default=64, help='image side S (32, 64, 128, 256)')
    a = ap.parse_args()

    torch.manual_seed(a.seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    lr, beta1, beta2, eps = 2e-4, 0.5, 0.999, 1e-8

    netG = Generator(a.nz, a.ngf, a.nc, a.size)
    netD = Discriminator(a.nc, a.ndf, a.size)
    netG.apply(weights_init)
    netD.apply(weights_init)
    real_u8 = torch.randint(0, 256, (a.batch, a.nc, a.size, a.size), dtype=torch.uint8)
    real = (real_u8.float().div(255) - 0.5) / 0.5  # ToTensor, Normalize(0.5, 0.5)
    noise = torch.randn(a.batch, a.nz, 1, 1)
    sample_noise = torch.randn(a.samples, a.nz, 1, 1)

    with h5py.File(a.out, 'w', libver='latest') as f:  # compact object headers: ~half the overhead
        attrs = dict(format='dcgan-golden', version=1, nz=a.nz, ngf=a.ngf, ndf=a.ndf, nc=a.nc, batch=a.batch,
                     lr=lr, beta1=beta1, beta2=beta2, eps=eps, torch_version=str(torch.__version__))
        if a.size != 64:
            attrs['image_size'] = a.size  # absent: 64 (the fixture made before other sizes existed)
        for k, v in attrs.items():
            f.attrs[k] = v
        put(f, 'input/real_u8', real_u8)
        put(f, 'input/noise', noise)
        put(f, 'input/sample_noise', sample_noise)
        put_state(f.create_group('init/G'), netG)
        put_state(f.create_group('init/D'), netD)

        criterion = nn.BCELoss()
        optimizerD = optim.Adam(netD.parameters(), lr=lr, betas=(beta1, beta2), eps=eps)
        optimizerG = optim.Adam(netG.parameters(), lr=lr, betas=(beta1, beta2), eps=eps)
        netG.train()
        netD.train()

        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        label = torch.full((a.batch,), 1.0, dtype=torch.float)
        output = netD(real).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        put(f, 'out/d_real', output)
        fake = netG(noise)
        label.fill_(0.0)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        put(f, 'out/d_fake1', output)
        for n, p in netD.named_parameters():
            put(f, 'grad/D/' + n, p.grad)
        optimizerD.step()

        # (2) Update G network: maximize log(D(G(z)))
        netG.zero_grad()
        label.fill_(1.0)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        optimizerG.step()
        put(f, 'out/d_fake2', output)
        put(f, 'out/fake', fake)
        for k, v in dict(loss_d_real=errD_real, loss_d_fake=errD_fake, loss_g=errG).items():
            put(f, 'out/' + k, v.reshape(1))
        for n, p in netG.named_parameters():
            put(f, 'grad/G/' + n, p.grad)
        put_state(f.create_group('after/G'), netG)
        put_state(f.create_group('after/D'), netD)
        for tag, net, opt in (('G', netG, optimizerG), ('D', netD, optimizerD)):
            g = f.create_group('adam/' + tag)
            for n, p in net.named_parameters():
                st = opt.state[p]
                put(g, n + '/exp_avg', st['exp_avg'])
                put(g, n + '/exp_avg_sq', st['exp_avg_sq'])
                g.attrs['step'] = int(st['step'].item())

        netG.eval()
        with torch.no_grad():
            put(f, 'out/sample', netG(sample_noise))

        put_adam_steps(f.create_group('adam_steps'), lr, beta1, beta2, eps)
        put_bce(f.create_group('bce'))


def put_adam_steps(g, lr, beta1, beta2, eps, steps=5, n=64):
    """torch.optim.Adam alone for several steps (bias corrections beyond step 1) on fixed gradients."""
    gen = torch.Generator().manual_seed(7)
    p = torch.nn.Parameter(torch.randn(n, generator=gen) * 0.05)
    put(g, 'param0', p.detach().clone())
    opt = optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    grads, params, m, v = [], [], [], []
    for k in range(steps):
        grad = torch.randn(n, generator=gen) * 10.0 ** -(k % 3)  # scales 1, 0.1, 0.01
        grad[0] = 0.0  # a zero gradient: the update comes from the moments alone
        p.grad = grad.clone()
        opt.step()
        grads.append(grad)
        params.append(p.detach().clone())
        m.append(opt.state[p]['exp_avg'].clone())
        v.append(opt.state[p]['exp_avg_sq'].clone())
    for name, t in (('grad', grads), ('param', params), ('exp_avg', m), ('exp_avg_sq', v)):
        put(g, name, torch.stack(t))


def put_bce(g):
    """Sigmoid + BCELoss (mean) and its gradient w.r.t. the logits, including saturated logits."""
    logits = torch.tensor([-200.0, -40.0, -17.0, -5.0, -0.5, 0.0, 0.3, 4.0, 16.0, 20.0, 45.0, 300.0])
    put(g, 'logits', logits)
    for target in (0.0, 1.0):
        x = logits.clone().requires_grad_(True)
        p = torch.sigmoid(x)
        loss = nn.BCELoss()(p, torch.full_like(p, target))
        loss.backward()
        put(g, f'loss_{int(target)}', loss.detach().reshape(1))
        put(g, f'mean_prob_{int(target)}', p.detach().mean().reshape(1))
        put(g, f'grad_{int(target)}', x.grad)


if __name__ == '__main__':
    main()
