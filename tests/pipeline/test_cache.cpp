// Tests of the cache format: shards and dataset.h5 written by ShardWriter/write_manifest and read back by Cache
// (uint8, float16, float32, deflate; any order, repeats; partitions, labels), h5py reading dataset.h5 through its
// virtual datasets, and the refusals: unknown format or version, a missing, truncated or foreign shard (named),
// corrupted pixels (the CRC-32 checked on open), a shard of another element type, an unfinished cache; rejected.txt's
// escapes, and the most attribute names a cache holds.
#include "pipeline/cache.hpp"
#include "pack_fixtures.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace pipeline;
using packtest::error_of;
namespace fs = std::filesystem;

namespace {

float lut(uint8_t u) { return (static_cast<float>(u) / 255.0f - 0.5f) / 0.5f; }

// Expected normalized pixels of synthetic image k.
std::vector<float> expected(int64_t k, size_t elems) {
  std::vector<float> v(elems);
  for (size_t j = 0; j < elems; ++j) v[j] = lut(packtest::synth_pixel(k, j));
  return v;
}

// Source positions of the packed images, in cache order.
std::vector<int64_t> packed_sources(const packtest::SynthOptions& so) {
  std::vector<int64_t> v;
  for (int64_t k = 0; k < so.inputs; ++k)
    if (std::find(so.rejects.begin(), so.rejects.end(), k) == so.rejects.end()) v.push_back(k);
  return v;
}

}  // namespace

TEST(Cache, PartitionNames) {
  EXPECT_EQ(parse_partition("valid"), Partition::valid);
  EXPECT_EQ(parse_partition("all"), Partition::all);
  const std::string e = error_of([] { parse_partition("training"); });
  EXPECT_NE(e.find("--partition"), std::string::npos) << e;
  EXPECT_THROW(parse_partition(""), std::invalid_argument);
  EXPECT_EQ(parse_store("float16"), Store::float16);
  EXPECT_THROW(parse_store("bf16"), std::invalid_argument);
}

TEST(Cache, ShardsManifestAndReadsInAnyOrder) {
  const fs::path dir = testsupport::fresh_dir("cache_u8");
  packtest::SynthOptions so;  // 20 inputs, shards of 7, two rejects: one between shards, one in the last shard
  so.rejects = {7, 18};
  const auto m = packtest::make_synthetic_cache(dir, so);
  const auto src = packed_sources(so);
  ASSERT_EQ(m.shards.size(), 3u);
  EXPECT_EQ(m.shards[0].count, 7);
  EXPECT_EQ(m.shards[1].count, 7);
  EXPECT_EQ(m.shards[2].count, 4);  // the final shard was compacted to its real size
  EXPECT_EQ(m.shards[0].source_end, 8);  // the reject at 7 belongs to the first shard's range
  EXPECT_EQ(m.shards[2].source_end, 20);

  Cache c(dir);
  ASSERT_EQ(c.count(), 18);
  EXPECT_EQ(c.channels(), 3);
  EXPECT_EQ(c.size(), 4);
  EXPECT_EQ(c.mean(), 0.5f);
  EXPECT_EQ(c.stdev(), 0.5f);
  const size_t e = c.image_elems();
  const std::vector<int64_t> idx = {17, 0, 5, 6, 7, 7, 13, 14, 3};
  std::vector<float> got(idx.size() * e);
  c.read(idx, got.data());
  for (size_t i = 0; i < idx.size(); ++i) {
    const auto want = expected(src[size_t(idx[i])], e);
    EXPECT_TRUE(std::equal(want.begin(), want.end(), got.begin() + long(i * e))) << "row " << idx[i];
  }
  std::vector<uint8_t> u8(idx.size() * e);
  c.read_u8(idx, u8.data());
  EXPECT_EQ(u8[0], packtest::synth_pixel(src[17], 0));
  EXPECT_EQ(u8[e + 5], packtest::synth_pixel(0, 5));
  EXPECT_THROW(c.read(std::vector<int64_t>{18}, got.data()), std::out_of_range);

  // Partition of source k is k % 3; indices() are cache positions.
  const auto valid = c.indices(Partition::valid);
  for (int64_t p : valid) EXPECT_EQ(src[size_t(p)] % 3, 1);
  EXPECT_EQ(valid.size() + c.indices(Partition::train).size() + c.indices(Partition::test).size(), 18u);
  EXPECT_EQ(c.indices(Partition::all).size(), 18u);
  const auto labels = c.labels();
  ASSERT_EQ(labels.size(), 18u);
  EXPECT_EQ(labels[10], src[10] % 10);
  const auto names = c.filenames();
  EXPECT_EQ(names[7], "img8.png");
  c.verify_checksums();

  // The manifest reads back as written, and rejected.txt lists the rejects.
  const auto back = read_manifest(dir);
  EXPECT_EQ(back.count(), 18);
  ASSERT_EQ(back.rejected.size(), 2u);
  EXPECT_EQ(back.rejected[1].filename, "img18.png");
  EXPECT_EQ(back.rejected[1].source, 18);
  const std::string txt = packtest::read_file(dir / "rejected.txt");
  EXPECT_NE(txt.find("img7.png\tsynthetic reject 7\n"), std::string::npos) << txt;
}

// rejected.txt is one line per reject, "filename<TAB>reason": a backslash, tab, newline or carriage return in either
// field is written as \\ \t \n \r, so a name holding them keeps its line and its two fields, and unescapes back.
TEST(Cache, RejectedTextEscapesTabsNewlinesAndBackslashes) {
  const std::vector<RejectRecord> rejected = {{0, "tab\there.jpg", "cannot decode:\tbad\nmarker"},
                                              {3, "two\nlines.jpg", "why"},
                                              {4, "back\\slash\\n.jpg", "cr\r"},
                                              {7, "plain.jpg", "a plain reason"}};
  const std::string txt = rejected_text(rejected, 9);
  std::vector<std::string> lines;
  for (size_t at = 0; at < txt.size();) {
    const size_t end = txt.find('\n', at);
    ASSERT_NE(end, std::string::npos) << "the last line has no newline:\n" << txt;
    lines.push_back(txt.substr(at, end - at));
    at = end + 1;
  }
  ASSERT_EQ(lines.size(), rejected.size() + 1) << txt;
  EXPECT_EQ(lines[0].rfind("# ", 0), 0u) << lines[0];
  EXPECT_EQ(lines[4], "plain.jpg\ta plain reason");
  EXPECT_EQ(lines[1], "tab\\there.jpg\tcannot decode:\\tbad\\nmarker");
  EXPECT_EQ(lines[3], "back\\\\slash\\\\n.jpg\tcr\\r");
  for (size_t i = 0; i < rejected.size(); ++i) {
    const std::string& line = lines[i + 1];
    ASSERT_EQ(std::count(line.begin(), line.end(), '\t'), 1) << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
    const size_t tab = line.find('\t');
    EXPECT_EQ(packtest::unescape_rejected_field(line.substr(0, tab)), rejected[i].filename) << line;
    EXPECT_EQ(packtest::unescape_rejected_field(line.substr(tab + 1)), rejected[i].reason) << line;
  }
}

// The most attribute names a cache holds (cache_format.hpp; sources refuse more) fit in HDF5's 64 KiB attribute:
// shards and dataset.h5 are written with that many, long ones, and read back whole.
TEST(Cache, TheMostAttributeNamesACacheHoldsAreWrittenAndReadBack) {
  const fs::path dir = testsupport::fresh_dir("cache_max_attrs");
  ShardSpec spec;
  spec.size = 2;
  spec.channels = 1;
  spec.shard_size = 2;
  spec.layout = "celeba";
  spec.pack_key = "max attributes";
  for (int64_t k = 0; k < cache_format::kMaxAttributeNames; ++k)
    spec.attribute_names.push_back("A_rather_long_attribute_name_to_show_that_length_does_not_count_" + std::to_string(k));
  ShardWriter w(dir, spec, 0, 0, 3);
  const std::vector<uint8_t> img(spec.image_bytes(), 7);
  std::vector<int8_t> attrs(spec.attribute_names.size(), -1);
  for (int64_t i = 0; i < 3; ++i) {
    attrs[static_cast<size_t>(i)] = 1;
    w.append(i, "img" + std::to_string(i) + ".jpg", img.data(), attrs.data(), 0, 0);
  }
  ManifestData m;
  m.spec = spec;
  m.shards = w.finish();
  m.source_count = 3;
  write_manifest(dir, m);
  EXPECT_EQ(read_manifest(dir).spec.attribute_names, spec.attribute_names);
  Cache c(dir);
  EXPECT_TRUE(c.has_attributes());
  EXPECT_EQ(c.count(), 3);
}

// Without partition data, "all" is every image and asking for a partition is a usage error, not a silent "all".
TEST(Cache, NoPartitionRefusesAPartitionFilter) {
  const fs::path dir = testsupport::fresh_dir("cache_nopart");
  packtest::SynthOptions so;
  so.partitions = false;
  so.labels = false;
  packtest::make_synthetic_cache(dir, so);
  Cache c(dir);
  EXPECT_FALSE(c.has_partition());
  EXPECT_EQ(c.indices(Partition::all).size(), 20u);
  try {
    c.indices(Partition::test);
    FAIL() << "a partition filter on a cache without partitions must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--partition test"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(c.labels().empty());
}

TEST(Cache, FloatStoresAndDeflate) {
  struct Case {
    Store store;
    int deflate;
    float tol;
  };
  for (const Case& k : {Case{Store::float32, -1, 0.0f}, Case{Store::float16, -1, 1e-3f}, Case{Store::uint8, 6, 0.0f},
                        Case{Store::float16, 1, 1e-3f}}) {
    const fs::path dir = testsupport::fresh_dir(std::string("cache_") + store_name(k.store) + std::to_string(k.deflate));
    packtest::SynthOptions so;
    so.store = k.store;
    so.deflate_level = k.deflate;
    so.rejects = {19};
    packtest::make_synthetic_cache(dir, so);
    Cache c(dir);
    EXPECT_EQ(c.store(), k.store);
    const std::vector<int64_t> idx = {18, 2, 9, 10, 11};
    std::vector<float> got(idx.size() * c.image_elems());
    c.read(idx, got.data());
    float worst = 0;
    for (size_t i = 0; i < idx.size(); ++i) {
      const auto want = expected(idx[i], c.image_elems());
      for (size_t j = 0; j < want.size(); ++j) worst = std::max(worst, std::abs(want[j] - got[i * c.image_elems() + j]));
    }
    EXPECT_LE(worst, k.tol) << store_name(k.store) << " deflate " << k.deflate;
    c.verify_checksums();
    if (k.store != Store::uint8) {
      EXPECT_THROW(c.read_u8(idx, nullptr), std::logic_error);
    }
  }
}

TEST(Cache, HalfConversionRoundTripsAndRounds) {
  using cacheh5::float_to_half;
  using cacheh5::half_to_float;
  for (uint32_t h = 0; h < 65536; ++h) {
    const bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
    if (!nan) {
      EXPECT_EQ(float_to_half(half_to_float(uint16_t(h))), h) << h;
    }
  }
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);
  EXPECT_EQ(float_to_half(1e6f), 0x7c00);
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048), 0x3c00);             // a tie rounds to even
  EXPECT_EQ(float_to_half(1.0f + 3.0f / 2048), 0x3c02);             // the other tie rounds up to even
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -24)), 0x0001);          // smallest subnormal
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000);          // half of it: tie to even (zero)
  EXPECT_EQ(float_to_half(std::ldexp(1.5f, -25)), 0x0001);
}

TEST(Cache, H5pyReadsTheVirtualDatasets) {
  if (!packtest::python_has("h5py, numpy")) GTEST_SKIP() << "python3-h5py is not installed";
  const fs::path dir = testsupport::fresh_dir("cache_h5py");
  packtest::SynthOptions so;
  so.rejects = {3};
  packtest::make_synthetic_cache(dir, so);
  // From another working directory: the virtual datasets find their shards beside dataset.h5.
  const std::string py =
      "import h5py, sys\n"
      "f = h5py.File(sys.argv[1] + '/dataset.h5', 'r')\n"
      "im = f['images']\n"
      "print(f.attrs['format'], f.attrs['version'], im.shape, im.dtype, int(im[10][0,0,0]), int(im[10][0,0,1]),\n"
      "      f['filename'][10].decode(), int(f['index'][10]), int(f['label'][10]), int(f['partition'][10]),\n"
      "      list(f['attributes'].attrs['names']), int(f['shards/count'][2]), f['rejected/filename'][0].decode())\n";
  packtest::write_file(dir / "read.py", py);
  const auto r = testsupport::run("cd / && " + packtest::kPython + " " + (dir / "read.py").string() + " " + dir.string());
  ASSERT_EQ(r.status, 0) << r.err;
  // Cache row 10 is source 11 (source 3 was rejected): bytes 0, 1 spell 11.
  EXPECT_EQ(r.out, "dcgan-cache 1 (19, 3, 4, 4) uint8 11 0 img11.png 11 1 2 ['A', 'B'] 5 img3.png\n");
}

TEST(Cache, RefusesUnknownFormatAndVersion) {
  const fs::path dir = testsupport::fresh_dir("cache_version");
  packtest::make_synthetic_cache(dir, {});
  {
    h5::File f = h5::File::open(dir / "dataset.h5", true);
    h5::set_attr(f.id(), "version", int64_t{7}, f.file());
  }
  std::string e = error_of([&] { Cache c(dir); });
  EXPECT_NE(e.find("version 7"), std::string::npos) << e;
  EXPECT_NE(e.find("dataset.h5"), std::string::npos) << e;
  {
    h5::File f = h5::File::open(dir / "dataset.h5", true);
    h5::set_attr(f.id(), "format", std::string("tfrecord-cache"), f.file());
  }
  e = error_of([&] { Cache c(dir); });
  EXPECT_NE(e.find("'tfrecord-cache'"), std::string::npos) << e;
  EXPECT_NE(e.find("not a training cache"), std::string::npos) << e;
}

TEST(Cache, RefusesDamagedShardsByName) {
  const fs::path dir = testsupport::fresh_dir("cache_damage");
  packtest::make_synthetic_cache(dir, {});
  Cache ok(dir);  // sanity
  fs::copy_file(dir / "shard-00001.h5", dir / "keep.h5");

  fs::remove(dir / "shard-00001.h5");
  std::string e = error_of([&] { Cache c(dir); });
  EXPECT_NE(e.find("'shard-00001.h5'"), std::string::npos) << e;
  EXPECT_NE(e.find("missing"), std::string::npos) << e;

  // Truncated.
  const std::string bytes = packtest::read_file(dir / "keep.h5");
  packtest::write_file(dir / "shard-00001.h5", bytes.substr(0, bytes.size() / 2));
  e = error_of([&] { Cache c(dir); });
  EXPECT_NE(e.find("'shard-00001.h5'"), std::string::npos) << e;

  // Another shard of the same size put in its place.
  fs::copy_file(dir / "shard-00000.h5", dir / "shard-00001.h5", fs::copy_options::overwrite_existing);
  e = error_of([&] { Cache c(dir); });
  EXPECT_NE(e.find("'shard-00001.h5'"), std::string::npos) << e;

  // Same file, one pixel byte flipped: only the checksum can tell.
  std::string flipped = bytes;
  {
    h5::File f = h5::File::open(dir / "keep.h5");
    h5::Handle d = h5::open_dataset(f, "images");
    const haddr_t off = H5Dget_offset(d.id());
    ASSERT_NE(off, HADDR_UNDEF);
    flipped[off + 5] = static_cast<char>(flipped[off + 5] ^ 0x40);
  }
  packtest::write_file(dir / "shard-00001.h5", flipped);
  e = error_of([&] { Cache c(dir); });
  EXPECT_NE(e.find("'shard-00001.h5'"), std::string::npos) << e;
  EXPECT_NE(e.find("CRC-32"), std::string::npos) << e;
}

// One pixel byte flipped in place, in every store and layout: opening the cache checks each shard's CRC-32 and
// refuses it by name (before, such pixels were read, trained on and evaluated without a word).
TEST(Cache, OpenChecksTheCrcOfEveryShard) {
  struct Case {
    Store store;
    int deflate;
  };
  for (const Case& k : {Case{Store::uint8, -1}, Case{Store::float32, -1}, Case{Store::float16, -1}, Case{Store::uint8, 4}}) {
    const std::string what = std::string(store_name(k.store)) + " deflate " + std::to_string(k.deflate);
    const fs::path dir =
        testsupport::fresh_dir(std::string("cache_crc_") + store_name(k.store) + std::to_string(k.deflate));
    packtest::SynthOptions so;
    so.store = k.store;
    so.deflate_level = k.deflate;
    packtest::make_synthetic_cache(dir, so);
    { Cache ok(dir); }
    const fs::path shard = dir / "shard-00002.h5";
    const auto size = fs::file_size(shard);
    packtest::flip_byte(shard, packtest::images_data_offset(shard) + 3);
    ASSERT_EQ(fs::file_size(shard), size);
    const std::string e = error_of([&] { Cache c(dir); });
    EXPECT_NE(e.find("'shard-00002.h5'"), std::string::npos) << what << ": " << e;
    if (k.deflate < 0) {
      EXPECT_NE(e.find("CRC-32"), std::string::npos) << what << ": " << e;
    }
  }
}

namespace {

// Rewrites the `images` of a shard with another element type and the same shape, then records the shard's new
// size in dataset.h5: only the element type tells it apart (and for int8, not even the bytes or their CRC).
void retype_images(const fs::path& dir, const std::string& shard, hid_t file_type, const std::vector<uint8_t>& bytes) {
  {
    h5::File f = h5::File::open(dir / shard, true);
    std::vector<hsize_t> dims;
    {
      h5::Handle d = h5::open_dataset(f, "images");
      dims = h5::dataset_dims(d.id(), "images", f.file());
    }
    h5::check(H5Ldelete(f.id(), "images", H5P_DEFAULT), "deleting images", f.file());
    h5::Handle d = h5::create_dataset(f, "images", file_type, dims);
    h5::check(H5Dwrite(d.id(), file_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()), "writing images", f.file());
    d.reset();
    f.close();
  }
  ManifestData m = read_manifest(dir);
  for (auto& s : m.shards)
    if (s.name == shard) s.bytes = static_cast<int64_t>(fs::file_size(dir / shard));
  write_manifest(dir, m);
}

}  // namespace

TEST(Cache, OpenRefusesAShardOfAnotherElementType) {
  const fs::path dir = testsupport::fresh_dir("cache_dtype");
  packtest::SynthOptions so;  // uint8, shards of 7
  packtest::make_synthetic_cache(dir, so);
  const size_t elems = 7 * 3 * 4 * 4;
  std::vector<uint8_t> u8(elems);
  {
    h5::File f = h5::File::open(dir / "shard-00001.h5");
    h5::Handle d = h5::open_dataset(f, "images");
    h5::check(H5Dread(d.id(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, u8.data()), "reading", f.file());
  }
  // int8, the same bytes: the CRC-32 matches, the type does not.
  retype_images(dir, "shard-00001.h5", H5T_STD_I8LE, u8);
  std::string e = error_of([&] { Cache c(dir); });
  EXPECT_NE(e.find("'shard-00001.h5'"), std::string::npos) << e;
  EXPECT_NE(e.find("int8"), std::string::npos) << e;
  EXPECT_NE(e.find("uint8"), std::string::npos) << e;
  // float16 (what a --store float16 pack writes) in a uint8 cache.
  std::vector<uint8_t> f16(2 * elems);
  for (size_t j = 0; j < elems; ++j) {
    const uint16_t h = cacheh5::float_to_half((static_cast<float>(u8[j]) / 255.0f - 0.5f) / 0.5f);
    std::memcpy(f16.data() + 2 * j, &h, 2);
  }
  h5::Handle half = cacheh5::float16_type("test");
  retype_images(dir, "shard-00001.h5", half.id(), f16);
  e = error_of([&] { Cache c(dir); });
  EXPECT_NE(e.find("'shard-00001.h5'"), std::string::npos) << e;
  EXPECT_NE(e.find("float16"), std::string::npos) << e;
  EXPECT_NE(e.find("uint8"), std::string::npos) << e;
}

TEST(Cache, UnfinishedOrMissingCache) {
  const fs::path dir = testsupport::fresh_dir("cache_unfinished");
  std::string e = error_of([&] { Cache c(dir / "nope"); });
  EXPECT_NE(e.find("does not exist"), std::string::npos) << e;
  packtest::make_synthetic_cache(dir, {});
  fs::remove(dir / "dataset.h5");
  e = error_of([&] { Cache c(dir); });
  EXPECT_NE(e.find("--resume"), std::string::npos) << e;
}

TEST(Cache, ShardFilesAreByteIdenticalAcrossWrites) {
  const fs::path a = testsupport::fresh_dir("cache_det_a"), b = testsupport::fresh_dir("cache_det_b");
  packtest::SynthOptions so;
  so.rejects = {2, 19};
  packtest::make_synthetic_cache(a, so);
  packtest::make_synthetic_cache(b, so);
  for (const char* n : {"shard-00000.h5", "shard-00001.h5", "shard-00002.h5", "dataset.h5", "rejected.txt"})
    EXPECT_TRUE(packtest::read_file(a / n) == packtest::read_file(b / n)) << n;
}
