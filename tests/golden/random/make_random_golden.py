#!/usr/bin/env python3
"""Golden numbers for nn/random/portable_random.hpp, from an independent Python implementation.

MT19937-64 as published by Matsumoto and Nishimura (mt19937-64.c, 2004; the parameters std::mt19937_64 fixes),
then the project's draws written out again here: uniform = top 53 bits * 2^-53, below(n) by rejection of the top
partial range, normal by Box-Muller (cosine branch) on u1 = 1 - uniform, u2 = uniform, shuffle by Fisher-Yates
from the end. Prints the C++ initializers that tests/nn/test_portable_random.cpp holds.

Usage: python3 tests/golden/random/make_random_golden.py
"""
import math

MASK = (1 << 64) - 1


class MT19937_64:
    NN, MM = 312, 156
    MATRIX_A = 0xB5026F5AA96619E9
    UM, LM = 0xFFFFFFFF80000000, 0x7FFFFFFF

    def __init__(self, seed):
        self.mt = [0] * self.NN
        self.mt[0] = seed & MASK
        for i in range(1, self.NN):
            prev = self.mt[i - 1]
            self.mt[i] = (6364136223846793005 * (prev ^ (prev >> 62)) + i) & MASK
        self.mti = self.NN

    def __call__(self):
        if self.mti >= self.NN:
            mt = self.mt
            for i in range(self.NN):
                x = (mt[i] & self.UM) | (mt[(i + 1) % self.NN] & self.LM)
                xa = x >> 1
                if x & 1:
                    xa ^= self.MATRIX_A
                mt[i] = mt[(i + self.MM) % self.NN] ^ xa
            self.mti = 0
        x = self.mt[self.mti]
        self.mti += 1
        x ^= (x >> 29) & 0x5555555555555555
        x ^= (x << 17) & 0x71D67FFFEDA60000
        x ^= (x << 37) & 0xFFF7EEE000000000
        x ^= x >> 43
        return x & MASK


def uniform(g):
    return (g() >> 11) * 2.0 ** -53


def below(g, n):
    limit = MASK - MASK % n
    while True:
        v = g()
        if v < limit:
            return v % n


def normal(g):
    u1 = 1.0 - uniform(g)
    u2 = uniform(g)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(6.283185307179586 * u2)


def shuffle(v, g):
    for i in range(len(v), 1, -1):
        j = below(g, i)
        v[i - 1], v[j] = v[j], v[i - 1]
    return v


def main():
    g = MT19937_64(5489)
    for _ in range(9999):
        g()
    print("// std::mt19937_64 default seed, 10000th output:", g())
    g = MT19937_64(999)
    print("raw:", ", ".join(f"{g()}ull" for _ in range(4)))
    g = MT19937_64(999)
    print("uniform:", ", ".join(repr(uniform(g)) for _ in range(4)))
    g = MT19937_64(999)
    print("below(10):", ", ".join(str(below(g, 10)) for _ in range(8)))
    g = MT19937_64(999)
    print("normal:", ", ".join(repr(normal(g)) for _ in range(6)))
    g = MT19937_64(999)
    print("shuffle(0..9):", shuffle(list(range(10)), g))


if __name__ == "__main__":
    main()
