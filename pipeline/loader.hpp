// Loader: streams a cache into normalized NCHW float32 training batches, reshuffled every epoch from a seed,
// prefetched on one background thread.
//
// Determinism: epoch e visits the selected positions in a permutation that depends only on (seed, e)
// (prng::shuffle, portable_random.hpp: specified there rather than left to std::shuffle's implementation), so a
// run that seek()s to a saved Position continues exactly as an uninterrupted run would.
// One thread only: the trainer's oneDNN kernels use OpenMP on every core, and a second reader would
// oversubscribe them.
#pragma once
#include "pipeline/cache.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

namespace pipeline {

struct LoaderOptions {
  int batch = 128;
  uint64_t seed = 0;
  Partition partition = Partition::all;
  bool drop_last = true;  // false: the last batch of an epoch may be short (keep-last)
  int prefetch = 2;       // batches prepared ahead (>= 1)
  // Data-parallel: the loader of rank `slice` of `slices` returns images [slice * b, (slice + 1) * b) of each batch
  // (b = batch / slices), so the ranks together see exactly the batches one loader with `batch` would. Needs
  // drop_last and a batch that `slices` divides.
  int slice = 0, slices = 1;
};

class Loader {  // deterministic given (cache, options); prefetches in the background
 public:
  // Throws: the Cache errors; std::invalid_argument naming --batch if batch < 1 or batch > size(),
  // naming --partition if the partition is empty.
  Loader(const std::filesystem::path& cache_dir, const LoaderOptions&);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  int64_t size() const;  // images after the partition filter
  int64_t batches_per_epoch() const;
  int channels() const;
  int image_size() const;
  const LoaderOptions& options() const;

  struct Position {  // of the next batch next() returns
    int64_t epoch = 0;
    int64_t batch = 0;
  };
  // Fills dst [B,C,S,S] float32 normalized (B = options.batch / options.slices); returns the images in this batch
  // (< B only for keep-last). Crosses epoch boundaries by itself. Rethrows a read error from the background thread.
  int next(float* dst);
  Position position() const;
  // Resume exactly: the following next() calls return what an uninterrupted run would. Throws
  // std::invalid_argument for a batch outside [0, batches_per_epoch()) or a negative epoch.
  void seek(Position);
  const Cache& cache() const;

  // The dataset positions of epoch e in visiting order (the selected positions, permuted by (seed, e)).
  std::vector<int64_t> epoch_order(int64_t epoch) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pipeline
