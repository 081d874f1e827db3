// Tests of the three dataset sources: layout detection, order, attributes, partitions and labels for CelebA
// (official and Kaggle layouts, from make_celeba_like.py), ImageFolder trees (checked against torchvision's own
// ImageFolder when it is installed; symlink loops walked once) and IDX files (a set present raw and gzipped is read
// once); and the clear errors for missing, empty and bad inputs (CelebA lists naming a file outside the image
// folder or an image twice, or more attribute names than a cache holds).
#include "pipeline/sources.hpp"
#include "pipeline/transform.hpp"
#include "pack_fixtures.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <sstream>

using namespace pipeline;
using packtest::error_of;
namespace fs = std::filesystem;
using packtest::write_file;


TEST(Sources, LayoutNames) {
  EXPECT_EQ(parse_layout("celeba"), Layout::celeba);
  EXPECT_EQ(parse_layout("idx"), Layout::idx);
  EXPECT_STREQ(layout_name(Layout::folder), "folder");
  const std::string e = error_of([] { parse_layout("mnist"); });
  EXPECT_NE(e.find("--layout"), std::string::npos) << e;
  EXPECT_THROW(parse_layout("x"), std::invalid_argument);
}

TEST(Sources, CelebaOfficialLayout) {
  std::string why;
  const fs::path in = packtest::celeba_like(40, &why);
  if (in.empty()) GTEST_SKIP() << why;
  EXPECT_EQ(detect_layout(in), Layout::celeba);
  auto s = open_source(in, std::nullopt);
  ASSERT_EQ(s->count(), 40);
  EXPECT_EQ(s->layout(), Layout::celeba);
  EXPECT_EQ(s->name(0), "000001.jpg");
  EXPECT_EQ(s->name(39), "000040.jpg");
  ASSERT_TRUE(s->has_attributes());
  ASSERT_EQ(s->attribute_names().size(), 40u);
  EXPECT_EQ(s->attribute_names()[0], "5_o_Clock_Shadow");
  EXPECT_EQ(s->attribute_names()[39], "Young");
  // Row 3 of the attribute file, parsed independently here.
  std::istringstream lines(packtest::read_file(in / "list_attr_celeba.txt"));
  std::string line;
  for (int i = 0; i < 5; ++i) std::getline(lines, line);  // count, names, rows 1..3
  std::istringstream row(line);
  std::string name;
  row >> name;
  EXPECT_EQ(name, "000003.jpg");
  for (int k = 0; k < 40; ++k) {
    int v = 0;
    row >> v;
    EXPECT_EQ(s->attributes(2)[k], v) << "attribute " << k;
  }
  ASSERT_TRUE(s->has_partition());
  EXPECT_EQ(s->partition(0), 0);   // make_celeba_like: first 80% train, then 10% valid, 10% test
  EXPECT_EQ(s->partition(32), 1);
  EXPECT_EQ(s->partition(39), 2);
  EXPECT_FALSE(s->has_labels());
  // The sample MD5s cannot be the official ones: warnings, not errors.
  EXPECT_FALSE(s->warnings().empty());
  SourceItem item;
  s->read(0, item);
  EXPECT_FALSE(item.pixels);
  EXPECT_EQ(item.bytes.size(), fs::file_size(in / "img_align_celeba" / "000001.jpg"));
  EXPECT_EQ(item.bytes[0], 0xFF);
  EXPECT_EQ(item.bytes[1], 0xD8);
}

// The Kaggle repackaging: nested img_align_celeba/img_align_celeba/ and CSV lists; CRLF line ends.
TEST(Sources, CelebaKaggleLayout) {
  std::string why;
  const fs::path src = packtest::celeba_like(40, &why);
  if (src.empty()) GTEST_SKIP() << why;
  const fs::path in = testsupport::fresh_dir("kaggle_layout");
  fs::create_directories(in / "img_align_celeba");
  fs::copy(src / "img_align_celeba", in / "img_align_celeba" / "img_align_celeba");
  // Reverse the order in the CSVs to check that order comes from the list, not the directory.
  std::string attr = "image_id,Smiling,Young\r\n", part = "image_id,partition\r\n";
  for (int i = 40; i >= 1; --i) {
    char n[16];
    std::snprintf(n, sizeof n, "%06d.jpg", i);
    attr += std::string(n) + "," + (i % 2 ? "1" : "-1") + ",-1\r\n";
    part += std::string(n) + "," + std::to_string(i % 3) + "\r\n";
  }
  write_file(in / "list_attr_celeba.csv", attr);
  write_file(in / "list_eval_partition.csv", part);
  EXPECT_EQ(detect_layout(in), Layout::celeba);
  auto s = open_source(in, Layout::celeba);
  ASSERT_EQ(s->count(), 40);
  EXPECT_EQ(s->name(0), "000040.jpg");
  EXPECT_EQ(s->attribute_names(), (std::vector<std::string>{"Smiling", "Young"}));
  EXPECT_EQ(s->attributes(1)[0], 1);   // 000039
  EXPECT_EQ(s->attributes(0)[0], -1);  // 000040
  EXPECT_EQ(s->partition(0), 40 % 3);
  EXPECT_TRUE(s->warnings().empty()) << s->warnings()[0];  // no official MD5 is known for the CSVs
  SourceItem item;
  s->read(39, item);
  EXPECT_EQ(item.bytes.size(), fs::file_size(src / "img_align_celeba" / "000001.jpg"));
}

TEST(Sources, CelebaWithoutListsUsesSortedNames) {
  const fs::path in = testsupport::fresh_dir("celeba_nolists");
  for (const char* n : {"000003.jpg", "000001.jpg", "000002.JPG", "notes.txt"}) write_file(in / "img_align_celeba" / n, "x");
  auto s = open_source(in, std::nullopt);
  ASSERT_EQ(s->count(), 3);
  EXPECT_EQ(s->name(0), "000001.jpg");
  EXPECT_EQ(s->name(1), "000002.JPG");
  EXPECT_FALSE(s->has_attributes());
  EXPECT_FALSE(s->has_partition());
}

TEST(Sources, CelebaErrors) {
  const fs::path in = testsupport::fresh_dir("celeba_errors");
  write_file(in / "img_align_celeba.zip", "PK");
  write_file(in / "list_attr_celeba.txt", "1\nA\n000001.jpg 1\n");
  std::string e = error_of([&] { open_source(in, std::nullopt); });
  EXPECT_NE(e.find("unzip"), std::string::npos) << e;
  write_file(in / "img_align_celeba" / "000001.jpg", "x");
  write_file(in / "list_attr_celeba.txt", "<!DOCTYPE html>\n<html><title>Google Drive - Quota exceeded</title>");
  e = error_of([&] { open_source(in, Layout::celeba); });
  EXPECT_NE(e.find("HTML page"), std::string::npos) << e;
  write_file(in / "list_attr_celeba.txt", "1\nA B\n000001.jpg 1 x\n");
  e = error_of([&] { open_source(in, Layout::celeba); });
  EXPECT_NE(e.find("line 3"), std::string::npos) << e;
  write_file(in / "list_attr_celeba.txt", "1\nA\n000001.jpg 1\n");
  write_file(in / "list_eval_partition.txt", "000002.jpg 0\n");
  e = error_of([&] { open_source(in, Layout::celeba); });
  EXPECT_NE(e.find("no entry for '000001.jpg'"), std::string::npos) << e;
  // A listed file missing on disk is a per-image reject at read time, not an error.
  fs::remove(in / "list_eval_partition.txt");
  fs::remove(in / "img_align_celeba" / "000001.jpg");
  auto s = open_source(in, Layout::celeba);
  SourceItem item;
  e = error_of([&] { s->read(0, item); });
  EXPECT_NE(e.find("cannot open"), std::string::npos) << e;
  EXPECT_THROW(s->read(0, item), RejectedInput);
}

// A list naming a file outside img_align_celeba (absolute, or climbing out with "..") is refused when the source
// opens, naming the list and the line; the file outside is never read.
TEST(Sources, CelebaListNamingAFileOutsideTheImageFolderIsRefused) {
  const fs::path in = testsupport::fresh_dir("celeba_outside");
  write_file(in / "img_align_celeba" / "000001.jpg", "x");
  write_file(in / "secret.jpg", "secret");
  for (const std::string& bad : std::vector<std::string>{"../secret.jpg", (in / "secret.jpg").string()}) {
    write_file(in / "list_attr_celeba.txt", "2\nA\n000001.jpg 1\n" + bad + " -1\n");
    const std::string e = error_of([&] { open_source(in, Layout::celeba); });
    EXPECT_NE(e.find("list_attr_celeba.txt' line 4"), std::string::npos) << e;
    EXPECT_NE(e.find("'" + bad + "'"), std::string::npos) << e;
    EXPECT_NE(e.find("outside the image folder"), std::string::npos) << e;
  }
  fs::remove(in / "list_attr_celeba.txt");
  write_file(in / "list_eval_partition.txt", "000001.jpg 0\n../secret.jpg 2\n");
  const std::string e = error_of([&] { open_source(in, Layout::celeba); });
  EXPECT_NE(e.find("list_eval_partition.txt' line 2"), std::string::npos) << e;
}

// An image listed twice would be packed twice (two samples, one file): refused when the source opens.
TEST(Sources, CelebaListNamingAnImageTwiceIsRefused) {
  const fs::path in = testsupport::fresh_dir("celeba_twice");
  write_file(in / "img_align_celeba" / "000001.jpg", "x");
  write_file(in / "img_align_celeba" / "000002.jpg", "x");
  write_file(in / "list_attr_celeba.txt", "3\nA\n000001.jpg 1\n000002.jpg -1\n000001.jpg -1\n");
  std::string e = error_of([&] { open_source(in, Layout::celeba); });
  EXPECT_NE(e.find("line 5"), std::string::npos) << e;
  EXPECT_NE(e.find("'000001.jpg'"), std::string::npos) << e;
  fs::remove(in / "list_attr_celeba.txt");
  write_file(in / "list_eval_partition.txt", "000001.jpg 0\n000002.jpg 0\n000002.jpg 1\n");
  e = error_of([&] { open_source(in, Layout::celeba); });
  EXPECT_NE(e.find("list_eval_partition.txt' line 3"), std::string::npos) << e;
}

// The cache stores the attribute names as one HDF5 attribute, which HDF5 limits to 64 KiB: a list with more names
// than fit is refused when the source opens (before anything is packed), naming the file, the count and the limit.
TEST(Sources, CelebaAttributeNamesBeyondTheCacheLimitAreRefused) {
  const fs::path in = testsupport::fresh_dir("celeba_wide");
  write_file(in / "img_align_celeba" / "000001.jpg", "x");
  std::string names, values;
  for (int k = 0; k < 5000; ++k) {
    names += " Attribute_" + std::to_string(k);
    values += " 1";
  }
  write_file(in / "list_attr_celeba.txt", "1\n" + names + "\n000001.jpg" + values + "\n");
  const std::string e = error_of([&] { open_source(in, Layout::celeba); });
  EXPECT_NE(e.find("list_attr_celeba.txt'"), std::string::npos) << e;
  EXPECT_NE(e.find("5000 attributes"), std::string::npos) << e;
  EXPECT_NE(e.find("at most 4000"), std::string::npos) << e;
  EXPECT_NE(e.find("64 KiB"), std::string::npos) << e;
}

TEST(Sources, MissingEmptyAndFileInputs) {
  const fs::path dir = testsupport::fresh_dir("source_missing");
  std::string e = error_of([&] { open_source(dir / "nope", std::nullopt); });
  EXPECT_NE(e.find("does not exist"), std::string::npos) << e;
  write_file(dir / "file", "x");
  e = error_of([&] { open_source(dir / "file", std::nullopt); });
  EXPECT_NE(e.find("not a directory"), std::string::npos) << e;
  fs::create_directories(dir / "empty");
  e = error_of([&] { open_source(dir / "empty", std::nullopt); });
  EXPECT_NE(e.find("no images"), std::string::npos) << e;
  e = error_of([&] { open_source(dir / "empty", Layout::idx); });
  EXPECT_NE(e.find("no IDX image files"), std::string::npos) << e;
}

// A tree with classes, nested folders, mixed-case extensions and files to ignore.
static fs::path make_folder_tree(const std::string& name) {
  const fs::path in = testsupport::fresh_dir(name);
  for (const char* f : {"dog/b.png", "dog/a.JPG", "dog/sub/c.jpeg", "dog/sub-x/d.jpg", "dog/sub/deeper/e.png", "dog/readme.txt", "cat/z.jpg",
                        "cat/y.png", "ant/x/y/deep.jpg", "stray.jpg"})
    write_file(in / f, f);
  fs::create_directories(in / "empty_class");
  return in;
}

TEST(Sources, FolderOrderAndLabelsLikeImageFolder) {
  const fs::path in = make_folder_tree("folder_tree");
  EXPECT_EQ(detect_layout(in), Layout::folder);
  auto s = open_source(in, std::nullopt);
  // os.walk roots sorted as strings: "dog/sub" < "dog/sub-x" < "dog/sub/deeper" ('-' sorts before '/').
  const std::vector<std::string> names = {"ant/x/y/deep.jpg", "cat/y.png",       "cat/z.jpg",
                                          "dog/a.JPG",        "dog/b.png",       "dog/sub/c.jpeg",
                                          "dog/sub-x/d.jpg",  "dog/sub/deeper/e.png"};
  ASSERT_EQ(s->count(), static_cast<int64_t>(names.size()));
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(s->name(static_cast<int64_t>(i)), names[i]) << i;
  EXPECT_EQ(s->class_names(), (std::vector<std::string>{"ant", "cat", "dog", "empty_class"}));
  ASSERT_TRUE(s->has_labels());
  EXPECT_EQ(s->label(0), 0);
  EXPECT_EQ(s->label(2), 1);
  EXPECT_EQ(s->label(7), 2);
  EXPECT_EQ(s->warnings().size(), 2u);  // the empty class and the stray top-level image
  SourceItem item;
  s->read(1, item);
  EXPECT_EQ(std::string(item.bytes.begin(), item.bytes.end()), "cat/y.png");
}

// The same tree through torchvision's ImageFolder (without the empty class, which ImageFolder refuses).
TEST(Sources, FolderMatchesTorchvisionImageFolder) {
  if (!packtest::python_has("torchvision")) GTEST_SKIP() << "python3-torchvision is not installed";
  const fs::path in = make_folder_tree("folder_tree_tv");
  fs::remove(in / "empty_class");
  const auto r = testsupport::run(packtest::kPython +
                                  " -c \"import sys, os, torchvision.datasets as d; ds = d.ImageFolder(sys.argv[1], "
                                  "loader=lambda p: None)\n"
                                  "for p, c in ds.samples: print(os.path.relpath(p, sys.argv[1]), c)\" " +
                                  in.string());
  ASSERT_EQ(r.status, 0) << r.err;
  auto s = open_source(in, Layout::folder);
  std::string ours;
  for (int64_t i = 0; i < s->count(); ++i) ours += s->name(i) + " " + std::to_string(s->label(i)) + "\n";
  EXPECT_EQ(ours, r.out);
}

// Symlinks to directories are followed, as ImageFolder does (os.walk(followlinks=True)), but a directory already
// walked for the same class (device and inode) is not walked again: a loop ("loop" -> ".", "sub/up" -> "..") would
// otherwise repeat the class's images until the kernel's 40-link limit (41 copies; torchvision takes them all), and
// two links to one directory would pack its images twice. Each skipped repeat is a warning naming it. Another class
// may link to the same directory (its images then carry both labels, as in ImageFolder).
TEST(Sources, FolderSymlinkLoopsAreWalkedOnce) {
  const fs::path dir = testsupport::fresh_dir("folder_loops");
  const fs::path in = dir / "in", outside = dir / "outside";
  write_file(in / "cat" / "a.jpg", "a");
  write_file(in / "cat" / "sub" / "b.jpg", "b");
  write_file(in / "dog" / "c.jpg", "c");
  write_file(outside / "o.jpg", "o");
  fs::create_directory_symlink(".", in / "cat" / "loop");
  fs::create_directory_symlink("..", in / "cat" / "sub" / "up");
  fs::create_directory_symlink(outside, in / "cat" / "x");
  fs::create_directory_symlink(outside, in / "cat" / "y");
  fs::create_directory_symlink("../cat", in / "dog" / "cats");
  auto s = open_source(in, Layout::folder);
  std::vector<std::string> names;
  for (int64_t i = 0; i < s->count(); ++i) names.push_back(s->name(i) + " " + std::to_string(s->label(i)));
  EXPECT_EQ(names, (std::vector<std::string>{"cat/a.jpg 0", "cat/sub/b.jpg 0", "cat/x/o.jpg 0", "dog/c.jpg 1",
                                             "dog/cats/a.jpg 1", "dog/cats/sub/b.jpg 1", "dog/cats/x/o.jpg 1"}));
  std::string all;
  for (const auto& w : s->warnings()) all += w + "\n";
  for (const char* repeat : {"'cat/loop'", "'cat/sub/up'", "'cat/y'", "'dog/cats/loop'", "'dog/cats/sub/up'", "'dog/cats/y'"})
    EXPECT_NE(all.find(repeat), std::string::npos) << repeat << "\n" << all;
  EXPECT_EQ(s->warnings().size(), 6u) << all;
  EXPECT_NE(all.find("'cat/y' is the directory already walked as 'cat/x'"), std::string::npos) << all;
  EXPECT_NE(all.find("'cat/sub/up' is the directory already walked as 'cat'"), std::string::npos) << all;
}

TEST(Sources, IdxTrainThenTestWithLabelsAndPartitions) {
  const fs::path in = testsupport::fresh_dir("idx_source");
  packtest::write_idx(in, "t10k", 3, 5, 4, /*gz=*/false, 7);
  packtest::write_idx(in, "train", 4, 5, 4, /*gz=*/true);
  EXPECT_EQ(detect_layout(in), Layout::idx);
  auto s = open_source(in, std::nullopt);
  ASSERT_EQ(s->count(), 7);
  EXPECT_EQ(s->name(0), "train-images-idx3-ubyte.gz[0]");
  EXPECT_EQ(s->name(4), "t10k-images-idx3-ubyte[0]");
  ASSERT_TRUE(s->has_labels());
  ASSERT_TRUE(s->has_partition());
  EXPECT_EQ(s->label(3), 3);
  EXPECT_EQ(s->label(5), 8);
  EXPECT_EQ(s->partition(3), 0);
  EXPECT_EQ(s->partition(4), 2);
  SourceItem item;
  s->read(5, item);
  EXPECT_TRUE(item.pixels);
  EXPECT_EQ(item.width, 5);
  EXPECT_EQ(item.height, 4);
  EXPECT_EQ(item.channels, 1);
  EXPECT_EQ(std::string(item.bytes.begin(), item.bytes.end()), packtest::idx_pixels(1, 5, 4));
  s->truncate(2);
  EXPECT_EQ(s->count(), 2);
}

// torchvision's FashionMNIST/raw holds every set both raw and gzipped: each set is read once, from the raw file,
// with a note naming both; a label file is found in either form.
TEST(Sources, IdxRawAndGzOfTheSameSetAreReadOnce) {
  const fs::path in = testsupport::fresh_dir("idx_raw_gz");
  for (bool gz : {true, false}) {
    packtest::write_idx(in, "train", 4, 5, 4, gz);
    packtest::write_idx(in, "t10k", 3, 5, 4, gz, 7);
  }
  auto s = open_source(in, std::nullopt);
  ASSERT_EQ(s->count(), 7);
  EXPECT_EQ(s->name(0), "train-images-idx3-ubyte[0]");
  EXPECT_EQ(s->name(4), "t10k-images-idx3-ubyte[0]");
  EXPECT_EQ(s->label(5), 8);
  EXPECT_EQ(s->partition(4), 2);
  EXPECT_TRUE(s->warnings().empty());
  ASSERT_EQ(s->notes().size(), 2u);
  EXPECT_NE(s->notes()[0].find("packing 'train-images-idx3-ubyte' only"), std::string::npos) << s->notes()[0];
  EXPECT_NE(s->notes()[0].find("'train-images-idx3-ubyte.gz'"), std::string::npos) << s->notes()[0];
  EXPECT_NE(s->notes()[1].find("'t10k-images-idx3-ubyte.gz'"), std::string::npos) << s->notes()[1];
  // The raw images with only the gzipped labels beside them: still labelled.
  fs::remove(in / "train-labels-idx1-ubyte");
  s = open_source(in, Layout::idx);
  ASSERT_TRUE(s->has_labels());
  EXPECT_EQ(s->label(3), 3);
  EXPECT_TRUE(s->warnings().empty());
}

TEST(Sources, IdxErrors) {
  const fs::path in = testsupport::fresh_dir("idx_errors");
  packtest::write_idx(in, "train", 4, 5, 4, false);
  std::string img = packtest::read_file(in / "train-images-idx3-ubyte");
  write_file(in / "train-images-idx3-ubyte", img.substr(0, img.size() - 3));
  std::string e = error_of([&] { open_source(in, Layout::idx); });
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
  write_file(in / "train-images-idx3-ubyte", "<html>");
  e = error_of([&] { open_source(in, Layout::idx); });
  EXPECT_NE(e.find("not an IDX image file"), std::string::npos) << e;
  write_file(in / "train-images-idx3-ubyte", img);
  fs::remove(in / "train-labels-idx1-ubyte");
  auto s = open_source(in, Layout::idx);
  EXPECT_FALSE(s->has_labels());
  EXPECT_EQ(s->warnings().size(), 1u);
}

// Issue 13, finding 12: an IDX header is checked against its bound before anything is allocated from it, and a
// file is read only as far as its header declares (a 2 MB .gz expanding to 2 GB once cost 4.75 GB).
TEST(Sources, IdxDeclaringTooMuchOrHoldingMoreIsRefusedWithoutReadingIt) {
  const fs::path in = testsupport::fresh_dir("idx_bounds");
  packtest::write_idx(in, "train", 4, 5, 4, false);
  const std::string img = packtest::read_file(in / "train-images-idx3-ubyte");
  // 65535 images of 65535 x 65535: 281 TB declared, 16 bytes held.
  write_file(in / "train-images-idx3-ubyte", img.substr(0, 4) + std::string("\x00\x00\xff\xff\x00\x00\xff\xff\x00\x00\xff\xff", 12));
  std::string e = error_of([&] { open_source(in, Layout::idx); });
  EXPECT_NE(e.find("GiB an IDX set may hold in memory"), std::string::npos) << e;
  // The 4 images, then 256 MB of zeros in a .gz of ~250 KB: refused after the declared 80 bytes.
  fs::remove(in / "train-images-idx3-ubyte");
  gzFile f = gzopen((in / "train-images-idx3-ubyte.gz").c_str(), "wb1");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, img.data(), static_cast<unsigned>(img.size())), static_cast<int>(img.size()));
  const std::string zeros(1 << 20, '\0');
  for (int k = 0; k < 256; ++k) ASSERT_EQ(gzwrite(f, zeros.data(), 1u << 20), 1 << 20);
  gzclose(f);
  e = error_of([&] { open_source(in, Layout::idx); });
  EXPECT_NE(e.find("holds more than its header declares (4 4x5 images)"), std::string::npos) << e;
}

// Fuzz finding (tests/fuzz/regressions/idx/): a header within the bound (here 1.5 GB) was allocated, and zeroed, in
// full before the bytes arrived; a 16-byte file cost 1.5 GB. The buffer now grows with what the file holds.
TEST(Sources, IdxHeaderWithinTheBoundAllocatesOnlyWhatArrives) {
  const fs::path in = testsupport::fresh_dir("idx_grow");
  packtest::write_idx(in, "train", 4, 5, 4, false);
  const std::string img = packtest::read_file(in / "train-images-idx3-ubyte");
  // 1500 images of 1000 x 1000, then 16 bytes.
  write_file(in / "train-images-idx3-ubyte",
             img.substr(0, 4) + std::string("\x00\x00\x05\xdc\x00\x00\x03\xe8\x00\x00\x03\xe8", 12) + std::string(16, 'x'));
  rusage before{}, after{};
  ASSERT_EQ(getrusage(RUSAGE_SELF, &before), 0);
  const std::string e = error_of([&] { open_source(in, Layout::idx); });
  ASSERT_EQ(getrusage(RUSAGE_SELF, &after), 0);
  EXPECT_NE(e.find("is truncated: its header declares 1500 1000x1000 images"), std::string::npos) << e;
  EXPECT_NE(e.find("it holds 16"), std::string::npos) << e;
  const long grew_mb = (after.ru_maxrss - before.ru_maxrss) / 1024;  // ru_maxrss is in KB on Linux
  EXPECT_LT(grew_mb, 64) << "peak memory grew by " << grew_mb << " MB reading a 32-byte file";
}

TEST(Sources, FashionMnistFromDebian) {
  const fs::path in = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(in)) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  auto s = open_source(in, std::nullopt);
  EXPECT_EQ(s->layout(), Layout::idx);
  EXPECT_EQ(s->count(), 70000);
  EXPECT_EQ(s->partition(59999), 0);
  EXPECT_EQ(s->partition(60000), 2);
  SourceItem item;
  s->read(0, item);
  EXPECT_EQ(item.width, 28);
  EXPECT_EQ(item.bytes.size(), 784u);
}
