// Tests of pack(): the three layouts end to end (CelebA-like JPEGs, an image folder with PNG variants, IDX), the
// pixels against torchvision+PIL (exact: identical; fast: mean abs diff <= 1.5), output bytes independent of the
// thread count, each bad-input class skipped and recorded (or stopping the run with --on-error fail), float and
// deflate stores, the output-directory policy (--resume / --force), resuming from the complete shards of an
// interrupted run with a byte-identical result, one writer per output (the lock file is no part of the cache), and
// an output inside a folder-layout input left out of the scan.
#include "pipeline/cache.hpp"
#include "pipeline/dir_lock.hpp"
#include "pipeline/loader.hpp"
#include "pipeline/pack.hpp"
#include "pack_fixtures.hpp"

#include <gtest/gtest.h>

using namespace pipeline;
using packtest::error_of;
namespace fs = std::filesystem;

namespace {

PackOptions base(const fs::path& in, const fs::path& out) {
  PackOptions o;
  o.input = in;
  o.output = out;
  o.progress = Progress::Mode::quiet;
  o.log = nullptr;
  return o;
}

// Every dataset of a finished cache, read through dataset.h5's virtual datasets (file names: from the shards), as
// bytes per name.
std::map<std::string, std::string> cache_datasets(const fs::path& dir) {
  std::map<std::string, std::string> out;
  h5::File f = h5::File::open(dir / "dataset.h5");
  for (const char* name : {"images", "index", "attributes", "partition", "label"}) {
    if (!f.exists(name)) continue;
    h5::Handle d = h5::open_dataset(f, name);
    h5::Handle t(H5Dget_type(d.id()), H5Tclose);
    const auto dims = h5::dataset_dims(d.id(), name, f.file());
    size_t n = H5Tget_size(t.id());
    for (auto x : dims) n *= x;
    std::string buf(n, '\0');
    if (n) h5::check(H5Dread(d.id(), t.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), name, f.file());
    out[name] = buf;
  }
  std::string names;
  for (const auto& s : pipeline::Cache(dir).filenames()) names += s + "\n";  // (h5::read_strings reads no VDS)
  out["filename"] = names;
  std::string rejected;
  for (const auto& s : h5::read_strings(f, "rejected/filename")) rejected += s + "\n";
  for (const auto& s : h5::read_strings(f, "rejected/reason")) rejected += s + "\n";
  out["rejected"] = rejected;
  return out;
}

std::vector<std::string> shard_files(const fs::path& dir) {
  std::vector<std::string> v;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind("shard-", 0) == 0) v.push_back(e.path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}

// torchvision+PIL on the same files, compared with h5py's reading of dataset.h5; prints "<differing> <mad>".
std::string compare_with_torchvision(const fs::path& cache, const fs::path& root, int channels) {
  const std::string py =
      "import sys, h5py, numpy as np\n"
      "from PIL import Image\n"
      "import torchvision.transforms as T\n"
      "f = h5py.File(sys.argv[1] + '/dataset.h5', 'r')\n"
      "t = T.Compose([T.Resize(64), T.CenterCrop(64), T.PILToTensor()])\n"
      "mode = 'RGB' if int(sys.argv[3]) == 3 else 'L'\n"
      "ref = np.stack([t(Image.open(sys.argv[2] + '/' + n.decode()).convert(mode)).numpy() for n in f['filename'][:]])\n"
      "im = f['images'][:]\n"
      "print(int((im != ref).sum()), float(np.abs(im.astype(np.int32) - ref).mean()))\n";
  packtest::write_file(cache / "compare.py", py);
  const auto r = testsupport::run(packtest::kPython + " " + (cache / "compare.py").string() + " " + cache.string() + " " +
                                  root.string() + " " + std::to_string(channels));
  EXPECT_EQ(r.status, 0) << r.err;
  return r.out;
}

}  // namespace

// A CelebA-layout copy of the sample with one file of every bad kind in place of a good one.
static fs::path celeba_with_bad_inputs(const fs::path& src, const std::string& name) {
  const fs::path in = testsupport::fresh_dir(name);
  fs::copy(src, in, fs::copy_options::recursive);
  const fs::path img = in / "img_align_celeba";
  const std::string good = packtest::read_file(img / "000001.jpg");
  packtest::write_file(img / "000003.jpg", "");                                        // zero bytes
  packtest::write_file(img / "000005.jpg", good.substr(0, good.size() / 3));           // truncated
  packtest::write_file(img / "000008.jpg", "GIF89a this is not a JPEG at all");         // not an image
  packtest::write_file(img / "000013.jpg", "<!DOCTYPE html><html><body>Quota exceeded</body></html>");
  std::string broken = good;                                                            // corrupt headers
  for (size_t i = 2; i < 600 && i < broken.size(); ++i) broken[i] = static_cast<char>(i * 7);
  packtest::write_file(img / "000021.jpg", broken);
  std::string bomb = good;  // SOF declares 60000 x 60000 (3.6 gigapixels)
  for (size_t i = 2; i + 8 < bomb.size(); ++i)
    if (uint8_t(bomb[i]) == 0xFF && (uint8_t(bomb[i + 1]) == 0xC0 || uint8_t(bomb[i + 1]) == 0xC2)) {
      bomb[i + 5] = bomb[i + 7] = char(0xEA);
      bomb[i + 6] = bomb[i + 8] = char(0x60);
      break;
    }
  packtest::write_file(img / "000034.jpg", bomb);
  fs::remove(img / "000040.jpg");  // listed in list_attr_celeba.txt, missing on disk
  return in;
}

TEST(Pack, OptionErrorsNameTheOption) {
  const fs::path dir = testsupport::fresh_dir("pack_opts");
  PackOptions o = base(dir, dir / "out");
  o.shard_size = 0;
  EXPECT_NE(error_of([&] { pack(o); }).find("--shard-size"), std::string::npos);
  o = base(dir, dir / "out");
  o.resume = o.force = true;
  EXPECT_THROW(pack(o), std::invalid_argument);
  o = base(dir, dir / "out");
  o.transform.channels = 2;
  EXPECT_THROW(pack(o), std::invalid_argument);
  EXPECT_EQ(parse_compression("deflate:9"), 9);
  EXPECT_EQ(parse_compression("none"), -1);
  EXPECT_NE(error_of([] { parse_compression("gzip"); }).find("--compression"), std::string::npos);
  EXPECT_NE(error_of([] { parse_on_error("ignore"); }).find("--on-error"), std::string::npos);
}

TEST(Pack, CelebaLayoutMatchesTorchvision) {
  REQUIRE_CELEBA_LIKE(in, 40);
  const fs::path dir = testsupport::fresh_dir("pack_celeba");
  PackOptions o = base(in, dir / "exact");
  o.transform.mode = ResizeMode::exact;
  o.shard_size = 16;
  const PackSummary s = pack(o);
  EXPECT_EQ(s.packed, 40);
  EXPECT_EQ(s.rejected, 0);
  EXPECT_EQ(s.shards, 3);
  EXPECT_GT(s.bytes_written, 40 * 3 * 64 * 64);
  Cache c(dir / "exact");
  EXPECT_EQ(c.count(), 40);
  EXPECT_TRUE(c.has_attributes());
  EXPECT_EQ(c.indices(Partition::train).size(), 32u);
  EXPECT_EQ(c.indices(Partition::test).size(), 4u);
  EXPECT_EQ(c.filenames()[39], "000040.jpg");
  // The trainer's path: a Loader over the packed cache yields the Cache's normalized pixels in epoch order.
  LoaderOptions lo;
  lo.batch = 8;
  lo.partition = Partition::train;
  Loader l(dir / "exact", lo);
  EXPECT_EQ(l.size(), 32);
  std::vector<float> batch(8 * c.image_elems()), want(batch.size());
  ASSERT_EQ(l.next(batch.data()), 8);
  const auto order = l.epoch_order(0);
  c.read(std::span<const int64_t>(order.data(), 8), want.data());
  EXPECT_EQ(batch, want);
  EXPECT_LT(*std::max_element(order.begin(), order.end()), 32);  // train is the first 80% here
  EXPECT_GE(*std::min_element(batch.begin(), batch.end()), -1.0f);
  EXPECT_LE(*std::max_element(batch.begin(), batch.end()), 1.0f);

  o.output = dir / "fast";
  o.transform.mode = ResizeMode::fast;
  pack(o);
  if (!packtest::python_has("h5py, torchvision")) GTEST_SKIP() << "python3-h5py / python3-torchvision not installed";
  std::istringstream exact(compare_with_torchvision(dir / "exact", in / "img_align_celeba", 3));
  int64_t differing = -1;
  double mad = -1;
  exact >> differing >> mad;
  EXPECT_EQ(differing, 0) << "--exact must equal torchvision+PIL";
  std::istringstream fast(compare_with_torchvision(dir / "fast", in / "img_align_celeba", 3));
  fast >> differing >> mad;
  EXPECT_GE(mad, 0.0);
  EXPECT_LE(mad, 1.5) << "fast mode's mean absolute difference from torchvision";
}

// With bad inputs among the good ones: a decoder that carried state from one file to the next would make the
// result depend on which thread met which file.
TEST(Pack, OutputDoesNotDependOnThreads) {
  REQUIRE_CELEBA_LIKE(src, 40);
  const fs::path in = celeba_with_bad_inputs(src, "pack_threads_in");
  const fs::path dir = testsupport::fresh_dir("pack_threads");
  PackOptions a = base(in, dir / "t1");
  a.threads = 1;
  a.tokens = 1;
  a.shard_size = 16;
  pack(a);
  PackOptions b = a;
  b.output = dir / "t2";
  b.threads = 2;
  b.tokens = 64;
  pack(b);
  const auto sa = shard_files(dir / "t1");
  ASSERT_EQ(sa, shard_files(dir / "t2"));
  ASSERT_EQ(sa.size(), 3u);
  EXPECT_EQ(read_manifest(dir / "t1").rejected.size(), 7u);
  for (const auto& n : sa)
    EXPECT_TRUE(packtest::read_file(dir / "t1" / n) == packtest::read_file(dir / "t2" / n)) << n << " differs";
  EXPECT_EQ(cache_datasets(dir / "t1"), cache_datasets(dir / "t2"));
}

TEST(Pack, FolderLayoutWithPngVariants) {
  REQUIRE_CELEBA_LIKE(src, 40);
  if (!packtest::python_has("PIL, numpy")) GTEST_SKIP() << "python3-pil is not installed";
  const fs::path in = testsupport::fresh_dir("pack_folder_in");
  fs::create_directories(in / "faces");
  for (int i = 1; i <= 4; ++i) {
    char n[16];
    std::snprintf(n, sizeof n, "%06d.jpg", i);
    fs::copy_file(src / "img_align_celeba" / n, in / "faces" / n);
  }
  // PNGs with alpha and 16-bit depth, grayscale, progressive, EXIF-tagged and CMYK JPEGs, a small PNG (upscaled),
  // made with PIL from a sample image.
  const std::string py =
      "import sys\n"
      "from PIL import Image\n"
      "im = Image.open(sys.argv[1]).convert('RGB')\n"
      "d = sys.argv[2]\n"
      "im.convert('RGBA').save(d + '/other/rgba.png')\n"
      "im.convert('L').save(d + '/other/gray.jpg', quality=90)\n"
      "im.save(d + '/other/progressive.jpg', progressive=True, quality=85)\n"
      "im.convert('I').point(lambda v: v * 200).save(d + '/other/depth16.png')\n"
      "im.resize((40, 30)).save(d + '/other/small.png')\n"
      "ex = Image.Exif()\n"
      "ex[0x0112] = 6\n"  // orientation 'rotate 90': PIL (and so torchvision) does not apply it
      "im.save(d + '/other/exif.jpg', exif=ex, quality=90)\n"
      "im.convert('CMYK').save(d + '/other/cmyk.jpg', quality=90)\n";
  fs::create_directories(in / "other");
  packtest::write_file(in / "make.py", py);
  const auto r = testsupport::run(packtest::kPython + " " + (in / "make.py").string() + " " +
                                  (src / "img_align_celeba" / "000005.jpg").string() + " " + in.string());
  ASSERT_EQ(r.status, 0) << r.err;
  const fs::path dir = testsupport::fresh_dir("pack_folder");
  PackOptions o = base(in, dir / "cache");
  o.transform.mode = ResizeMode::exact;
  const PackSummary s = pack(o);
  EXPECT_EQ(s.packed, 11);
  EXPECT_EQ(s.rejected, 0);
  Cache c(dir / "cache");
  EXPECT_EQ(c.layout(), "folder");
  EXPECT_EQ(c.labels(), (std::vector<int64_t>{0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(c.filenames()[4], "other/cmyk.jpg");
  if (!packtest::python_has("h5py, torchvision")) GTEST_SKIP() << "python3-h5py / python3-torchvision not installed";
  std::istringstream cmp(compare_with_torchvision(dir / "cache", in, 3));
  int64_t differing = -1;
  cmp >> differing;
  EXPECT_EQ(differing, 0) << "exact mode differs from torchvision+PIL on the folder images";
}

TEST(Pack, IdxLayoutKeepsPixels) {
  const fs::path in = testsupport::fresh_dir("pack_idx_in");
  packtest::write_idx(in, "train", 6, 5, 4, true);
  packtest::write_idx(in, "t10k", 3, 5, 4, false, 3);
  const fs::path dir = testsupport::fresh_dir("pack_idx");
  PackOptions o = base(in, dir / "cache");
  o.transform.size = 4;  // Resize(4) keeps 5x4; CenterCrop(4) takes columns int(round(0.5)) = 0 .. 3
  o.transform.channels = 1;
  const PackSummary s = pack(o);
  EXPECT_EQ(s.packed, 9);
  Cache c(dir / "cache");
  EXPECT_EQ(c.layout(), "idx");
  EXPECT_EQ(c.indices(Partition::train).size(), 6u);
  EXPECT_EQ(c.indices(Partition::test).size(), 3u);
  EXPECT_EQ(c.labels()[7], 4);
  std::vector<int64_t> all = c.indices(Partition::all);
  std::vector<uint8_t> px(all.size() * 16);
  c.read_u8(all, px.data());
  for (int k = 0; k < 9; ++k) {
    const std::string src = packtest::idx_pixels(k < 6 ? k : k - 6, 5, 4);
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 4; ++x)
        EXPECT_EQ(px[size_t(k) * 16 + size_t(y) * 4 + size_t(x)], static_cast<uint8_t>(src[size_t(y) * 5 + size_t(x)]))
            << "image " << k << " (" << x << "," << y << ")";
  }
}

TEST(Pack, BadInputsAreSkippedAndRecorded) {
  REQUIRE_CELEBA_LIKE(src, 40);
  const fs::path in = celeba_with_bad_inputs(src, "pack_bad_in");
  const fs::path dir = testsupport::fresh_dir("pack_bad");
  PackOptions o = base(in, dir / "cache");
  o.transform.mode = ResizeMode::exact;
  o.shard_size = 16;
  const PackSummary s = pack(o);
  EXPECT_EQ(s.rejected, 7);
  EXPECT_EQ(s.packed, 33);
  const ManifestData m = read_manifest(dir / "cache");
  std::map<std::string, std::string> reasons;
  for (const auto& r : m.rejected) reasons[r.filename] = r.reason;
  for (const char* n : {"000003.jpg", "000005.jpg", "000008.jpg", "000013.jpg", "000021.jpg", "000034.jpg", "000040.jpg"}) {
    ASSERT_TRUE(reasons.count(n)) << n << " was not rejected";
    EXPECT_FALSE(reasons[n].empty()) << n;
  }
  EXPECT_NE(reasons["000013.jpg"].find("HTML page"), std::string::npos) << reasons["000013.jpg"];
  EXPECT_NE(reasons["000040.jpg"].find("cannot open"), std::string::npos) << reasons["000040.jpg"];
  const std::string txt = packtest::read_file(dir / "cache" / "rejected.txt");
  for (const auto& [n, why] : reasons) EXPECT_NE(txt.find(n + "\t" + why + "\n"), std::string::npos) << txt;

  // The good images are the same pixels as in a clean pack, in the same order.
  o.input = src;
  o.output = dir / "clean";
  pack(o);
  Cache bad(dir / "cache"), clean(dir / "clean");
  const auto bad_names = bad.filenames(), clean_names = clean.filenames();
  std::vector<int64_t> rows;
  for (size_t i = 0, j = 0; i < clean_names.size(); ++i)
    if (j < bad_names.size() && clean_names[i] == bad_names[j]) {
      rows.push_back(static_cast<int64_t>(i));
      ++j;
    }
  ASSERT_EQ(rows.size(), 33u);
  std::vector<uint8_t> a(33 * bad.image_elems()), b(33 * bad.image_elems());
  bad.read_u8(bad.indices(Partition::all), a.data());
  clean.read_u8(rows, b.data());
  EXPECT_TRUE(a == b);
  // Attributes and partitions followed their images.
  EXPECT_EQ(bad.indices(Partition::test).size(), 3u);  // 000037..000039 (000040 is missing)
}

TEST(Pack, OnErrorFailStopsAtTheFirstBadInput) {
  REQUIRE_CELEBA_LIKE(src, 40);
  const fs::path in = celeba_with_bad_inputs(src, "pack_fail_in");
  const fs::path dir = testsupport::fresh_dir("pack_fail");
  PackOptions o = base(in, dir / "cache");
  o.fail_on_error = true;
  const std::string e = error_of([&] { pack(o); });
  EXPECT_NE(e.find("000003.jpg"), std::string::npos) << e;
  EXPECT_NE(e.find("--on-error"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(dir / "cache" / "dataset.h5"));
  for (const auto& f : fs::directory_iterator(dir / "cache"))
    EXPECT_EQ(f.path().filename().string().find(".tmp"), std::string::npos) << "temporary left behind: " << f.path();
}

TEST(Pack, AllRejectedIsAFailure) {
  const fs::path in = testsupport::fresh_dir("pack_allbad_in");
  packtest::write_file(in / "a" / "x.jpg", "");
  packtest::write_file(in / "a" / "y.png", "nope");
  const fs::path dir = testsupport::fresh_dir("pack_allbad");
  const std::string e = error_of([&] { pack(base(in, dir / "cache")); });
  EXPECT_NE(e.find("all 2 inputs were rejected"), std::string::npos) << e;
  EXPECT_TRUE(fs::exists(dir / "cache" / "rejected.txt"));
}

TEST(Pack, FloatAndDeflateStoresReadTheSame) {
  REQUIRE_CELEBA_LIKE(in, 40);
  const fs::path dir = testsupport::fresh_dir("pack_stores");
  PackOptions o = base(in, dir / "u8");
  o.limit = 12;
  pack(o);
  Cache ref(dir / "u8");
  ASSERT_EQ(ref.count(), 12);
  std::vector<float> want(12 * ref.image_elems()), got(want.size());
  ref.read(ref.indices(Partition::all), want.data());
  struct Case {
    const char* name;
    Store store;
    int deflate;
    float tol;
  };
  for (const Case& k : {Case{"f32", Store::float32, -1, 1e-6f}, Case{"f16", Store::float16, -1, 1e-3f},
                        Case{"deflate", Store::uint8, 4, 0.0f}}) {
    o.output = dir / k.name;
    o.store = k.store;
    o.deflate_level = k.deflate;
    pack(o);
    Cache c(dir / k.name);
    c.read(c.indices(Partition::all), got.data());
    float worst = 0;
    for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - want[i]));
    EXPECT_LE(worst, k.tol) << k.name;
  }
  if (!packtest::python_has("h5py")) return;
  const auto r = testsupport::run(packtest::kPython + " -c \"import h5py; f = h5py.File('" +
                                  (dir / "f16" / "dataset.h5").string() + "'); print(f['images'].dtype, f['images'][3].shape)\"");
  EXPECT_EQ(r.out, "float16 (3, 64, 64)\n") << r.err;
}

TEST(Pack, OutputPolicyResumeAndForce) {
  REQUIRE_CELEBA_LIKE(in, 40);
  const fs::path dir = testsupport::fresh_dir("pack_policy");
  PackOptions o = base(in, dir / "cache");
  o.limit = 10;
  EXPECT_EQ(pack(o).packed, 10);
  std::string e = error_of([&] { pack(o); });
  EXPECT_NE(e.find("--resume"), std::string::npos) << e;
  EXPECT_NE(e.find("--force"), std::string::npos) << e;
  o.resume = true;
  EXPECT_TRUE(pack(o).already_complete);
  fs::rename(dir / "cache" / "shard-00000.h5", dir / "shard.h5");
  e = error_of([&] { pack(o); });
  EXPECT_NE(e.find("'shard-00000.h5'"), std::string::npos) << e;
  fs::rename(dir / "shard.h5", dir / "cache" / "shard-00000.h5");
  o.transform.size = 32;
  e = error_of([&] { pack(o); });
  EXPECT_NE(e.find("other options"), std::string::npos) << e;
  o.resume = false;
  o.force = true;
  EXPECT_EQ(pack(o).packed, 10);
  EXPECT_EQ(Cache(dir / "cache").size(), 32);
  // --resume on an output that does not exist yet just packs.
  o.force = false;
  o.resume = true;
  o.output = dir / "new";
  EXPECT_EQ(pack(o).packed, 10);
  // Empty or missing inputs.
  e = error_of([&] { pack(base(dir / "missing", dir / "x")); });
  EXPECT_NE(e.find("does not exist"), std::string::npos) << e;
  fs::create_directories(dir / "empty");
  e = error_of([&] { pack(base(dir / "empty", dir / "y")); });
  EXPECT_NE(e.find("no images"), std::string::npos) << e;
}

TEST(Pack, ResumeFromCompleteShardsIsByteIdentical) {
  REQUIRE_CELEBA_LIKE(src, 40);
  const fs::path in = celeba_with_bad_inputs(src, "pack_resume_in");  // rejects in several shards
  const fs::path dir = testsupport::fresh_dir("pack_resume");
  PackOptions o = base(in, dir / "full");
  o.shard_size = 8;
  pack(o);
  const auto shards = shard_files(dir / "full");
  ASSERT_EQ(shards.size(), 5u);
  // An interrupted run: two complete shards, a stale temporary, no dataset.h5.
  fs::create_directories(dir / "cut");
  for (const char* n : {"shard-00000.h5", "shard-00001.h5"}) fs::copy_file(dir / "full" / n, dir / "cut" / n);
  packtest::write_file(dir / "cut" / "shard-00002.h5.tmp12345", "partial");
  o.output = dir / "cut";
  o.resume = true;
  const PackSummary s = pack(o);
  EXPECT_EQ(s.resumed_shards, 2);
  EXPECT_EQ(s.rejected, 7);
  EXPECT_LT(s.processed, 40);
  EXPECT_EQ(shard_files(dir / "cut"), shards);
  for (const auto& n : shards)
    EXPECT_TRUE(packtest::read_file(dir / "full" / n) == packtest::read_file(dir / "cut" / n)) << n << " differs";
  EXPECT_EQ(cache_datasets(dir / "full"), cache_datasets(dir / "cut"));
  EXPECT_EQ(packtest::read_file(dir / "full" / "rejected.txt"), packtest::read_file(dir / "cut" / "rejected.txt"));
}

// One writer per output (pipeline/dir_lock.hpp): pack() refuses an output whose lock another holder has (here the
// test, through its own DirLock), naming the directory and the holder, and writes nothing there. The lock file it
// leaves behind is ignored by the emptiness check, --resume and --force, the cache reader, and the manifest.
TEST(Pack, OneWriterPerOutputAndTheLockFileIsNoPartOfTheCache) {
  const fs::path in = testsupport::fresh_dir("pack_lock_in");
  packtest::write_idx(in, "train", 30, 5, 4, false);
  const fs::path out = testsupport::fresh_dir("pack_lock") / "cache";
  PackOptions o = base(in, out);
  o.transform.size = 4;
  o.transform.channels = 1;
  o.shard_size = 8;
  {
    DirLock held(out, "test output");
    const std::string e = error_of([&] { pack(o); });
    EXPECT_NE(e.find("'" + out.string() + "'"), std::string::npos) << e;
    EXPECT_NE(e.find("in use by process " + std::to_string(::getpid())), std::string::npos) << e;
    EXPECT_TRUE(shard_files(out).empty());
    EXPECT_FALSE(fs::exists(out / "dataset.h5"));
  }
  // Released: the directory holds only the lock file, which does not make it "not empty".
  ASSERT_TRUE(fs::exists(out / kLockFile));
  EXPECT_EQ(pack(o).packed, 30);
  EXPECT_TRUE(fs::exists(out / kLockFile));
  {
    Cache c(out);  // a finished cache with the lock file beside it opens and verifies
    EXPECT_EQ(c.count(), 30);
    c.verify_checksums();
    for (const auto& n : c.filenames()) EXPECT_EQ(n.find(".lock"), std::string::npos) << n;
  }
  const ManifestData m = read_manifest(out);
  EXPECT_EQ(m.spec.pack_key.find(".lock"), std::string::npos) << m.spec.pack_key;
  EXPECT_TRUE(m.rejected.empty());
  for (const auto& sh : m.shards) EXPECT_EQ(sh.name.rfind("shard-", 0), 0u) << sh.name;
  for (const auto& [k, v] : m.options) EXPECT_EQ(v.find(".lock"), std::string::npos) << k << "=" << v;
  EXPECT_EQ(packtest::read_file(out / "rejected.txt").find(".lock"), std::string::npos);

  // --resume: of the finished cache, then of an interrupted one (no dataset.h5, the last shard lost).
  o.resume = true;
  EXPECT_TRUE(pack(o).already_complete);
  fs::remove(out / "dataset.h5");
  fs::remove(out / "shard-00003.h5");
  const PackSummary r = pack(o);
  EXPECT_EQ(r.resumed_shards, 3);
  EXPECT_EQ(r.packed, 30);
  // --force replaces the cache; the lock file stays and is still ignored.
  o.resume = false;
  o.force = true;
  o.transform.size = 3;
  EXPECT_EQ(pack(o).packed, 30);
  EXPECT_EQ(Cache(out).size(), 3);
  // Each pack released the lock when it returned, a failed one too.
  o.force = false;
  EXPECT_NE(error_of([&] { pack(o); }).find("not empty"), std::string::npos);
  DirLock free_again(out, "test output");
}

// An output inside a folder-layout input (--input faces --output faces/cache) is left out of the scan, so every
// pack of that input, the first and the later --force or --resume ones, reads the same images with the same labels.
// The scan used to take the earlier cache for a class folder: a flat folder then held "no .jpg files" (its images
// not being in a class), and a class sorting after "cache" changed label, mixed into one cache by --resume.
TEST(Pack, OutputInsideTheInputIsLeftOutOfTheFolderScan) {
  const fs::path dir = testsupport::fresh_dir("pack_out_inside");
  const fs::path flat = dir / "flat";
  fs::create_directories(flat);
  for (int k = 1; k <= 3; ++k) fs::copy_file(packtest::golden_jpeg(k), flat / ("img" + std::to_string(k) + ".jpg"));
  PackOptions o = base(flat, flat / "cache");
  o.transform.size = 16;
  EXPECT_EQ(pack(o).packed, 3);
  o.force = true;
  EXPECT_EQ(pack(o).packed, 3);
  o.force = false;
  o.resume = true;
  EXPECT_TRUE(pack(o).already_complete);

  // Classes "aa" and "zz", the output "cache" sorting between them; an interrupted pack resumed.
  const fs::path classes = dir / "classes";
  fs::create_directories(classes / "aa");
  fs::create_directories(classes / "zz");
  fs::copy_file(packtest::golden_jpeg(4), classes / "aa" / "1.jpg");
  fs::copy_file(packtest::golden_jpeg(5), classes / "aa" / "2.jpg");
  fs::copy_file(packtest::golden_jpeg(6), classes / "zz" / "3.jpg");
  o = base(classes, classes / "cache");
  o.transform.size = 16;
  o.shard_size = 1;
  EXPECT_EQ(pack(o).packed, 3);
  const std::vector<int64_t> labels = {0, 0, 1};
  EXPECT_EQ(Cache(o.output).labels(), labels);
  o.force = true;
  EXPECT_EQ(pack(o).packed, 3);
  EXPECT_EQ(Cache(o.output).labels(), labels);
  fs::remove(o.output / "dataset.h5");
  fs::remove(o.output / "shard-00002.h5");
  o.force = false;
  o.resume = true;
  const PackSummary r = pack(o);
  EXPECT_EQ(r.resumed_shards, 2);
  EXPECT_EQ(r.packed, 3);
  Cache c(o.output);
  EXPECT_EQ(c.labels(), labels);
  EXPECT_EQ(c.filenames(), (std::vector<std::string>{"aa/1.jpg", "aa/2.jpg", "zz/3.jpg"}));
}
