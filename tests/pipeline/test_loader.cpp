// Tests of the Loader: batches are the Cache's normalized images in a per-epoch permutation that depends only on
// (seed, epoch); seek() resumes exactly; the partition filter, drop-last and keep-last; option errors; a read
// error on the background thread reaching next(); and a cache with corrupted pixels refused when opened.
#include "pipeline/loader.hpp"
#include "pack_fixtures.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace pipeline;
using packtest::error_of;
namespace fs = std::filesystem;

namespace {

// A cache of 50 synthetic images (no rejects: cache position == source position == image id), shards of 16.
const fs::path& cache50() {
  static const fs::path dir = [] {
    const fs::path d = testsupport::fresh_dir("loader_cache50");
    packtest::SynthOptions so;
    so.inputs = 50;
    so.shard_size = 16;
    packtest::make_synthetic_cache(d, so);
    return d;
  }();
  return dir;
}

// A fresh cache of 30 synthetic images in shards of 10, for the tests that damage one.
fs::path cache30(const std::string& name) {
  const fs::path dir = testsupport::fresh_dir(name);
  packtest::SynthOptions so;
  so.inputs = 30;
  so.shard_size = 10;
  packtest::make_synthetic_cache(dir, so);
  return dir;
}

// The image ids of the next batch, and its size.
std::vector<int64_t> next_ids(Loader& l, std::vector<float>& buf) {
  const int n = l.next(buf.data());
  const size_t e = size_t(l.channels()) * l.image_size() * l.image_size();
  std::vector<int64_t> ids;
  for (int i = 0; i < n; ++i) ids.push_back(packtest::synth_id(buf.data() + size_t(i) * e));
  return ids;
}

std::vector<float> batch_buffer(const Loader& l) {
  return std::vector<float>(size_t(l.options().batch) * l.channels() * l.image_size() * l.image_size());
}

}  // namespace

TEST(Loader, BatchesAreTheCacheImagesInTheEpochOrder) {
  LoaderOptions o;
  o.batch = 8;
  o.seed = 42;
  Loader l(cache50(), o);
  EXPECT_EQ(l.size(), 50);
  EXPECT_EQ(l.batches_per_epoch(), 6);  // drop_last
  EXPECT_EQ(l.channels(), 3);
  EXPECT_EQ(l.image_size(), 4);
  auto buf = batch_buffer(l);
  const auto order = l.epoch_order(0);
  std::vector<float> want(buf.size());
  for (int b = 0; b < 6; ++b) {
    ASSERT_EQ(l.position().epoch, 0);
    ASSERT_EQ(l.position().batch, b);
    ASSERT_EQ(l.next(buf.data()), 8);
    l.cache().read(std::span<const int64_t>(order.data() + b * 8, 8), want.data());
    EXPECT_EQ(buf, want) << "batch " << b;
  }
  EXPECT_EQ(l.position().epoch, 1);
  EXPECT_EQ(l.position().batch, 0);
}

TEST(Loader, EveryEpochIsAPermutationThatDependsOnSeedAndEpoch) {
  LoaderOptions o;
  o.batch = 10;
  o.seed = 7;
  Loader a(cache50(), o), b(cache50(), o);
  auto buf = batch_buffer(a);
  std::vector<std::vector<int64_t>> epochs(3);
  for (int e = 0; e < 3; ++e)
    for (int k = 0; k < 5; ++k) {
      const auto ids = next_ids(a, buf);
      EXPECT_EQ(ids, next_ids(b, buf)) << "same seed, epoch " << e << " batch " << k;
      epochs[size_t(e)].insert(epochs[size_t(e)].end(), ids.begin(), ids.end());
    }
  for (const auto& ep : epochs) {
    std::set<int64_t> s(ep.begin(), ep.end());
    EXPECT_EQ(s.size(), 50u);
    EXPECT_EQ(*s.begin(), 0);
    EXPECT_EQ(*s.rbegin(), 49);
  }
  EXPECT_NE(epochs[0], epochs[1]);
  EXPECT_NE(epochs[1], epochs[2]);
  o.seed = 8;
  Loader c(cache50(), o);
  EXPECT_NE(c.epoch_order(0), a.epoch_order(0));
  EXPECT_EQ(a.epoch_order(2), b.epoch_order(2));
}

TEST(Loader, SeekResumesExactly) {
  LoaderOptions o;
  o.batch = 6;
  o.seed = 3;
  o.prefetch = 3;
  Loader a(cache50(), o);
  auto buf = batch_buffer(a);
  std::vector<std::vector<int64_t>> run;
  Loader::Position saved;
  for (int k = 0; k < 20; ++k) {  // 8 batches per epoch: crosses two epoch boundaries
    if (k == 11) saved = a.position();
    run.push_back(next_ids(a, buf));
  }
  EXPECT_EQ(saved.epoch, 1);
  EXPECT_EQ(saved.batch, 3);
  Loader b(cache50(), o);
  b.seek(saved);
  for (int k = 11; k < 20; ++k) EXPECT_EQ(next_ids(b, buf), run[size_t(k)]) << k;
  // Seeking back on a running loader discards what it prefetched.
  b.seek({0, 2});
  EXPECT_EQ(next_ids(b, buf), run[2]);
  EXPECT_THROW(b.seek({0, 8}), std::invalid_argument);
  EXPECT_THROW(b.seek({-1, 0}), std::invalid_argument);
}

TEST(Loader, PartitionFilterAndKeepLast) {
  LoaderOptions o;
  o.batch = 4;
  o.partition = Partition::valid;  // partition of image k is k % 3: 1, 4, ..., 49
  o.drop_last = false;
  Loader l(cache50(), o);
  EXPECT_EQ(l.size(), 17);
  o.partition = Partition::test;  // 16 images too (2, 5, ..., 47)
  o.batch = 5;
  Loader t(cache50(), o);
  EXPECT_EQ(t.size(), 16);
  EXPECT_EQ(t.batches_per_epoch(), 4);
  auto buf = batch_buffer(t);
  std::set<int64_t> seen;
  std::vector<int> sizes;
  for (int k = 0; k < 4; ++k) {
    const auto ids = next_ids(t, buf);
    sizes.push_back(static_cast<int>(ids.size()));
    for (auto id : ids) {
      EXPECT_EQ(id % 3, 2) << id;
      seen.insert(id);
    }
  }
  EXPECT_EQ(sizes, (std::vector<int>{5, 5, 5, 1}));
  EXPECT_EQ(seen.size(), 16u);
  EXPECT_EQ(t.position().epoch, 1);
  o.drop_last = true;
  Loader d(cache50(), o);
  EXPECT_EQ(d.batches_per_epoch(), 3);
}

TEST(Loader, OptionErrorsNameTheOption) {
  LoaderOptions o;
  o.batch = 51;
  std::string e = error_of([&] { Loader l(cache50(), o); });
  EXPECT_NE(e.find("--batch"), std::string::npos) << e;
  EXPECT_THROW(Loader(cache50(), o), std::invalid_argument);
  o.batch = 0;
  EXPECT_THROW(Loader(cache50(), o), std::invalid_argument);
  o.batch = 50;
  Loader whole(cache50(), o);
  EXPECT_EQ(whole.batches_per_epoch(), 1);
}

TEST(Loader, EmptyPartitionIsRefused) {
  const fs::path dir = testsupport::fresh_dir("loader_small");
  packtest::SynthOptions so;
  so.inputs = 2;  // partitions 0 and 1: no test images
  packtest::make_synthetic_cache(dir, so);
  LoaderOptions o;
  o.batch = 1;
  o.partition = Partition::test;
  const std::string e = error_of([&] { Loader l(dir, o); });
  EXPECT_NE(e.find("--partition test"), std::string::npos) << e;
}

TEST(Loader, ReadErrorsReachNext) {
  const fs::path dir = cache30("loader_broken");
  LoaderOptions o;
  o.batch = 30;
  Loader l(dir, o);
  fs::resize_file(dir / "shard-00001.h5", 100);  // damaged after the cache was opened
  std::vector<float> buf(size_t(30) * 48);
  const std::string e = error_of([&] { l.next(buf.data()); });
  EXPECT_NE(e.find("shard-00001.h5"), std::string::npos) << e;
}

// A pixel byte flipped in place before training starts: the Loader (through the Cache it opens) refuses the cache
// by the shard's name instead of training on the damaged images.
TEST(Loader, RefusesACacheWithCorruptedPixels) {
  const fs::path dir = cache30("loader_crc");
  const fs::path shard = dir / "shard-00001.h5";
  packtest::flip_byte(shard, packtest::images_data_offset(shard) + 100);
  LoaderOptions o;
  o.batch = 10;
  const std::string e = error_of([&] { Loader l(dir, o); });
  EXPECT_NE(e.find("'shard-00001.h5'"), std::string::npos) << e;
  EXPECT_NE(e.find("CRC-32"), std::string::npos) << e;
}
