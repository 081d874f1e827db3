// Tests of the pieces of a pack across MPI ranks (pipeline/pack_ranks.hpp), without MPI: the ranks' slices; the
// shard plan against the shards a real ShardWriter cuts from the same accepted/rejected inputs (random patterns,
// shard sizes and rank counts, rejects at slice edges, ranks without images, every input rejected); and the spool
// round trip, which refuses an index of another job and a damaged one. `mpirun -np N celeba-pack` end to end is
// tests/tools/test_celeba_pack_mpi.cpp.
#include "pipeline/crc32.hpp"
#include "pipeline/pack_ranks.hpp"
#include "pipeline/shard_writer.hpp"
#include "pack_fixtures.hpp"
#include "support/run.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <cstring>
#include <random>

using namespace pipeline;
using packtest::error_of;
namespace fs = std::filesystem;

namespace {

std::vector<Slice> slices_of(int64_t begin, int64_t end, int ranks) {
  std::vector<Slice> s;
  for (int r = 0; r < ranks; ++r) s.push_back(rank_slice(begin, end, r, ranks));
  return s;
}

ShardSpec tiny_spec(int64_t shard_size) {
  ShardSpec spec;
  spec.size = 2;
  spec.channels = 1;
  spec.shard_size = shard_size;
  spec.layout = "folder";
  spec.pack_key = "test";
  return spec;
}

// The shards a ShardWriter (the one-process pack's) cuts from inputs [begin, begin + accepted.size()) numbered from
// first_shard, as (number, source_begin, source_end), read back from the files it wrote.
std::vector<std::array<int64_t, 3>> written_shards(const fs::path& dir, const std::vector<uint8_t>& accepted,
                                                   int64_t begin, int64_t shard_size, int64_t first_shard) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  const int64_t end = begin + static_cast<int64_t>(accepted.size());
  std::vector<std::array<int64_t, 3>> out;
  {
    ShardWriter w(dir, tiny_spec(shard_size), first_shard, begin, end);
    const uint8_t image[4] = {1, 2, 3, 4};
    for (int64_t i = begin; i < end; ++i) {
      if (accepted[size_t(i - begin)]) w.append(i, "f" + std::to_string(i), image, nullptr, 0, 0);
      else w.reject(i, "f" + std::to_string(i), "bad");
    }
    for (const ShardInfo& s : w.finish()) {
      const int64_t number = std::stoll(s.name.substr(6, 5));
      out.push_back({number, s.source_begin, s.source_end});
    }
  }
  return out;
}

}  // namespace

TEST(PackRanks, SlicesAreContiguousInRankOrderAndDifferByAtMostOne) {
  for (int ranks : {1, 2, 3, 4, 7})
    for (int64_t n : {0, 1, 5, 40, 202599}) {
      const auto s = slices_of(10, 10 + n, ranks);
      EXPECT_EQ(s.front().begin, 10);
      EXPECT_EQ(s.back().end, 10 + n);
      for (int r = 0; r < ranks; ++r) {
        if (r) {
          EXPECT_EQ(s[size_t(r)].begin, s[size_t(r) - 1].end);
        }
        const int64_t len = s[size_t(r)].end - s[size_t(r)].begin;
        EXPECT_TRUE(len == n / ranks || len == n / ranks + 1) << n << " over " << ranks;
      }
    }
}

// The plan is what the ShardWriter cuts, for every pattern; each shard's writer holds its first image.
TEST(PackRanks, PlanMatchesTheShardsOneProcessCuts) {
  const fs::path dir = testsupport::fresh_dir("pack_ranks_plan");
  std::mt19937 rng(7);
  for (int round = 0; round < 60; ++round) {
    const int64_t n = 1 + rng() % 30, begin = rng() % 3 ? 0 : 5, shard_size = 1 + rng() % 7;
    const int ranks = 1 + int(rng() % 5);
    const int64_t first_shard = begin ? 2 : 0;  // a resumed run continues the numbering
    std::vector<uint8_t> accepted(static_cast<size_t>(n));
    const unsigned reject_pct = std::array<unsigned, 4>{0, 20, 60, 100}[rng() % 4];
    for (auto& a : accepted) a = (rng() % 100) >= reject_pct;
    const auto slices = slices_of(begin, begin + n, ranks);
    const auto plan = plan_shards(accepted, slices, shard_size, first_shard);
    const auto want = written_shards(dir, accepted, begin, shard_size, first_shard);
    const std::string tag = "round " + std::to_string(round);
    ASSERT_EQ(plan.size(), want.size()) << tag;
    for (size_t k = 0; k < plan.size(); ++k) {
      EXPECT_EQ(plan[k].shard, want[k][0]) << tag;
      EXPECT_EQ(plan[k].source_begin, want[k][1]) << tag;
      EXPECT_EQ(plan[k].source_end, want[k][2]) << tag;
      int64_t first_image = -1;
      for (int64_t i = plan[k].source_begin; i < plan[k].source_end && first_image < 0; ++i)
        if (accepted[size_t(i - begin)]) first_image = i;
      if (first_image < 0) {
        EXPECT_EQ(plan[k].rank, 0) << tag << ": an image-less shard is rank 0's";
      } else {
        EXPECT_TRUE(slices[size_t(plan[k].rank)].contains(first_image)) << tag;
      }
    }
  }
}

// Hand-made cases: a shard whose images span three ranks' slices, ranks without images, every input rejected.
TEST(PackRanks, PlanEdgeCases) {
  // 12 inputs over 4 ranks (3 each); ranks 1 and 2 rejected everything; shard size 2.
  std::vector<uint8_t> a = {1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1};
  auto p = plan_shards(a, slices_of(0, 12, 4), 2, 0);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].source_begin, 0);
  EXPECT_EQ(p[0].source_end, 9);  // the rejects of ranks 1 and 2 belong to shard 0, before shard 1's first image
  EXPECT_EQ(p[0].rank, 0);
  EXPECT_EQ(p[1].source_begin, 9);
  EXPECT_EQ(p[1].rank, 3);
  EXPECT_EQ(p[2].source_begin, 11);
  EXPECT_EQ(p[2].source_end, 12);
  // Leading rejects belong to the first shard, whose writer holds its first image (rank 1 here).
  a = {0, 0, 0, 1, 1, 1};
  p = plan_shards(a, slices_of(0, 6, 2), 10, 4);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].shard, 4);
  EXPECT_EQ(p[0].source_begin, 0);
  EXPECT_EQ(p[0].rank, 1);
  // Only rejects: one image-less shard, rank 0's. Nothing to pack: no shard.
  p = plan_shards({0, 0, 0}, slices_of(7, 10, 2), 5, 3);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].source_begin, 7);
  EXPECT_EQ(p[0].source_end, 10);
  EXPECT_EQ(p[0].rank, 0);
  EXPECT_TRUE(plan_shards({}, slices_of(10, 10, 3), 5, 0).empty());
  EXPECT_THROW(plan_shards({1, 1}, slices_of(0, 3, 2), 5, 0), std::invalid_argument);
}

TEST(PackRanks, SpoolRoundTripAndRefusals) {
  const fs::path dir = testsupport::fresh_dir("pack_ranks_spool");
  const Slice slice{10, 15};
  const size_t bytes = 3;
  const uint8_t a[3] = {1, 2, 3}, b[3] = {7, 8, 9};
  const uint32_t crc_a = crc32_update(0, {a, 3}), crc_b = crc32_update(0, {b, 3});
  {
    SpoolWriter w(dir, 2, 42, bytes, slice);
    w.image(10, a, crc_a);
    w.reject(11, "empty file");
    w.reject(12, "an HTML page\twith a tab");
    w.image(13, b, crc_b);
    EXPECT_THROW(w.image(13, b, 0), std::logic_error);  // out of order
    w.reject(14, "");
    w.finish();
  }
  const SpoolIndex x = read_spool_index(dir, 2, 42);
  EXPECT_EQ(x.slice.begin, 10);
  EXPECT_EQ(x.slice.end, 15);
  EXPECT_EQ(x.item, (std::vector<int64_t>{0, -1, -2, 1, -3}));
  EXPECT_EQ(x.crc, (std::vector<uint32_t>{crc_a, crc_b}));
  EXPECT_EQ(x.reasons, (std::vector<std::string>{"empty file", "an HTML page\twith a tab", ""}));
  SpoolReader r(dir, 2, bytes);
  uint8_t got[3];
  r.read(1, crc_b, got);
  EXPECT_EQ(got[0], 7);
  EXPECT_EQ(got[2], 9);
  r.read(0, crc_a, got);
  EXPECT_EQ(got[1], 2);
  EXPECT_NE(error_of([&] { r.read(2, crc_a, got); }).find("truncated"), std::string::npos);
  // Spooled bytes damaged after they were written are refused, not passed on to a shard.
  EXPECT_NE(error_of([&] { r.read(1, crc_a, got); }).find("does not match its CRC-32"), std::string::npos);
  EXPECT_NE(error_of([&] { read_spool_index(dir, 2, 43); }).find("another run"), std::string::npos);
  EXPECT_NE(error_of([&] { read_spool_index(dir, 3, 42); }).find("rank 3's spool index"), std::string::npos);
  // A truncated index is refused, naming the file.
  const fs::path index = dir / "spool-00002.index.tmp";
  const std::string whole = packtest::read_file(index);
  packtest::write_file(index, whole.substr(0, whole.size() - 5));
  EXPECT_NE(error_of([&] { read_spool_index(dir, 2, 42); }).find("spool-00002.index.tmp' is truncated"),
            std::string::npos);
  packtest::write_file(index, whole + "x");
  EXPECT_NE(error_of([&] { read_spool_index(dir, 2, 42); }).find("trailing bytes"), std::string::npos);
  // An impossible slice (its end far beyond what the file could list) is refused before anything is allocated.
  const size_t at_end = sizeof("dcgan-onednn spool 1\n") - 1 + 2 * sizeof(int64_t);
  for (const int64_t end : {int64_t{9}, int64_t{1} << 62, INT64_MAX}) {
    std::string bad = whole;
    std::memcpy(bad.data() + at_end, &end, sizeof end);
    packtest::write_file(index, bad);
    EXPECT_NE(error_of([&] { read_spool_index(dir, 2, 42); }).find("impossible slice"), std::string::npos) << end;
  }
  // Items out of sequence (an image number where the next is due) are refused.
  std::string bad = whole;
  const int64_t wrong = 5;
  std::memcpy(bad.data() + at_end + sizeof(int64_t), &wrong, sizeof wrong);
  packtest::write_file(index, bad);
  EXPECT_NE(error_of([&] { read_spool_index(dir, 2, 42); }).find("is damaged"), std::string::npos);
  packtest::write_file(index, whole);
  remove_spool(dir, 2);
  EXPECT_FALSE(fs::exists(index));
  EXPECT_FALSE(fs::exists(dir / "spool-00002.images.tmp"));
  // An unfinished spool (a failed decode) leaves no images file behind.
  { SpoolWriter w(dir, 0, 1, bytes, slice); }
  EXPECT_FALSE(fs::exists(dir / "spool-00000.images.tmp"));
}
