#!/usr/bin/env python3
"""Scaling model of data-parallel DCGAN training (trainer/README.md, "Data-parallel training").

Step time on N nodes at global batch B, each node computing B/N images:
    T(N) = t_image * B / N  +  ring allreduce of the gradients  +  latency of the small collectives
ring allreduce of S bytes: 2 (N-1)/N * S / bandwidth + 2 (N-1) * alpha (Patarasuk & Yuan 2009; what NCCL and
Open MPI's ring algorithm do); the synchronized BatchNorm and the step's bookkeeping add `small` latency-bound
collectives of log2(N) * alpha each (recursive doubling). Nothing is assumed hidden behind backward: on CPUs the
reduction is CPU work done inside MPI calls (measured: bench/mpi_train.sh). Efficiency = T(1) / (N T(N)) * B/B.
Inputs are measured on this machine (bench/mpi_train.sh, the train summary) or stated.
"""
import argparse
import math


def step_time(n, batch, t_image, grad_bytes, gbit, alpha, small):
    compute = t_image * batch / n
    if n == 1:
        return compute
    bandwidth = gbit * 1e9 / 8
    ring = 2 * (n - 1) / n * grad_bytes / bandwidth + 2 * (n - 1) * alpha
    return compute + ring + small * math.log2(n) * alpha


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--t-image-ms", type=float, nargs="+", default=[10.8, 0.68],
                   help="training-step time per image on one node, ms (default: this 2-vCPU machine at 64 px, "
                        "measured 92.6 images/s; a 32-core node of the same cores, 16x)")
    p.add_argument("--node", nargs="+", default=["2-vCPU node (this machine)", "32-core node"])
    p.add_argument("--grad-mb", type=float, default=25.35, help="gradient bytes per step (64 px, nc 3: 25.35 MB)")
    p.add_argument("--batch", type=int, nargs="+", default=[128, 1024])
    p.add_argument("--gbit", type=float, nargs="+", default=[10, 25, 100])
    p.add_argument("--alpha-us", type=float, default=20.0, help="per-message latency, us (TCP over Ethernet)")
    p.add_argument("--small", type=int, default=28,
                   help="latency-bound collectives per step: 13 BatchNorm statistics gathers, 13 BatchNorm "
                        "gradient sums, the step values, the stop flag")
    a = p.parse_args()
    nodes = [2, 4, 8, 16, 32, 64]
    for node, t_ms in zip(a.node, a.t_image_ms):
        for batch in a.batch:
            print(f"\n{node}, t_image {t_ms} ms, global batch {batch}: efficiency (images/s vs one node x N)")
            print("| Gbit/s | " + " | ".join(f"N={n}" for n in nodes) + " |")
            print("| --- |" + " --- |" * len(nodes))
            for gbit in a.gbit:
                t1 = step_time(1, batch, t_ms / 1e3, a.grad_mb * 1e6, gbit, a.alpha_us / 1e6, a.small)
                cells = []
                for n in nodes:
                    if batch % n or batch // n < 2:
                        cells.append("-")
                        continue
                    tn = step_time(n, batch, t_ms / 1e3, a.grad_mb * 1e6, gbit, a.alpha_us / 1e6, a.small)
                    cells.append(f"{t1 / (n * tn):.0%}")
                print(f"| {gbit:g} | " + " | ".join(cells) + " |")
        # Where a rank's batch stops scaling: compute equals communication (50% efficiency) at 10/25/100 Gbit/s.
        for gbit in a.gbit:
            comm = 2 * a.grad_mb * 1e6 / (gbit * 1e9 / 8)
            print(f"{node} at {gbit:g} Gbit/s: a rank's batch below ~{comm / (t_ms / 1e3):.1f} images spends more "
                  f"time in the gradient allreduce ({comm * 1e3:.0f} ms) than computing")


if __name__ == "__main__":
    main()
