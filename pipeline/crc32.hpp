// CRC-32 (the zlib / PNG / gzip polynomial, bit-reflected 0xEDB88320): zlib's crc32(), faster on x86-64 CPUs
// with carry-less multiplication.
#pragma once
#include <cstdint>
#include <span>

namespace pipeline {

// Continues `crc` over `bytes`: crc32_update(zlib crc32(0, a), b) == zlib crc32(crc32(0, a), b), and
// crc32_update(0, {}) == 0. With PCLMULQDQ (checked at run time) blocks of 64 bytes and more are folded 64 bytes
// per step, as in Gopal et al., "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction"
// (Intel, 2009); the rest, and CPUs without it, go through zlib.
uint32_t crc32_update(uint32_t crc, std::span<const uint8_t> bytes);

}  // namespace pipeline
