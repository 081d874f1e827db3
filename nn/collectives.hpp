// What the processes of one job need from each other: rank, size and a few collectives. Data-parallel training
// (nn's Context::comm) and the pack across ranks (pipeline's PackOptions::group) run on it.
//
// nn and pipeline stay free of MPI: the tools hand them an implementation (trainer/mpi_world.hpp, on Open MPI), and
// without one (nullptr) they are a single process, computing exactly as before. A header of its own (the
// `collectives` target), with no dependency. Every call is collective: each rank of the group makes the same calls
// in the same order with the same sizes.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nn {

class Collectives {
 public:
  virtual ~Collectives() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // data [n]: the elementwise sum over ranks, in place; every rank receives the same bits.
  virtual void allreduce_sum(float* data, size_t n) = 0;
  virtual void allreduce_sum(double* data, size_t n) = 0;
  // Non-blocking allreduce_sum: starts the sum of data [n] and returns; data is neither read nor written by the
  // caller until wait_all() returns. progress() lets started sums advance: MPI advances them only inside MPI calls
  // (Open MPI has no progress thread), so a caller with compute between two calls makes them.
  virtual void start_allreduce_sum(float* data, size_t n) = 0;
  virtual void progress() = 0;
  virtual void wait_all() = 0;
  // data [n]: the elementwise maximum over ranks, in place.
  virtual void allreduce_max(int64_t* data, size_t n) = 0;
  // send [bytes] from each rank -> recv [size() * bytes], rank r's bytes at r * bytes.
  virtual void allgather(const void* send, size_t bytes, void* recv) = 0;
  // bytes of `root`'s data into every rank's data.
  virtual void broadcast(void* data, size_t bytes, int root) = 0;
};

// True for a group of more than one process.
inline bool distributed(const Collectives* c) { return c && c->size() > 1; }

// The 64-bit FNV-1a hash of bytes [n]: what ranks exchange to compare data (weights, options) without sending it.
inline uint64_t fnv1a(const void* bytes, size_t n) {
  const auto* p = static_cast<const unsigned char*>(bytes);
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

}  // namespace nn
