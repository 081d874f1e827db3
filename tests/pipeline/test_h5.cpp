// Tests of the HDF5 RAII wrappers: round trips of datasets, strings, attributes, row I/O, and error messages.
#include "pipeline/h5.hpp"
#include "support/run.hpp"

#include <gtest/gtest.h>

namespace fs = std::filesystem;

TEST(H5, RoundTripsDatasetsAttributesAndStrings) {
  const fs::path dir = testsupport::fresh_dir("h5_roundtrip");
  const fs::path p = dir / "a.h5";
  {
    h5::File f = h5::File::create(p);
    const std::vector<float> x = {1, 2, 3, 4, 5, 6};
    h5::write(f, "grp/x", {2, 3}, x.data());
    h5::write_strings(f, "names", {"000001.jpg", "", "ünï"});
    h5::set_attr(f.id(), "format", std::string("dcgan-cache"), f.file());
    h5::set_attr(f.id(), "version", int64_t{1}, f.file());
    h5::set_attr(f.id(), "mean", 0.5, f.file());
    h5::set_attr(f.id(), "names", std::vector<std::string>{"a", "bb"}, f.file());
    h5::Handle d = h5::create_dataset(f, "rows", H5T_NATIVE_UINT8, {4, 2}, {{1, 2}, 4});
    const uint8_t r[4] = {9, 8, 7, 6};
    h5::write_rows(d.id(), H5T_NATIVE_UINT8, 1, 2, r, "rows", f.file());
    f.close();
  }
  h5::File f = h5::File::open(p);
  std::vector<hsize_t> dims;
  const auto x = h5::read<double>(f, "grp/x", &dims);
  EXPECT_EQ(dims, (std::vector<hsize_t>{2, 3}));
  EXPECT_EQ(x[5], 6.0);
  EXPECT_EQ(h5::read_strings(f, "names"), (std::vector<std::string>{"000001.jpg", "", "ünï"}));
  EXPECT_EQ(h5::get_attr_string(f.id(), "format", f.file()), "dcgan-cache");
  EXPECT_EQ(h5::get_attr_int(f.id(), "version", f.file()), 1);
  EXPECT_EQ(h5::get_attr_double(f.id(), "mean", f.file()), 0.5);
  EXPECT_EQ(h5::get_attr_strings(f.id(), "names", f.file()), (std::vector<std::string>{"a", "bb"}));
  EXPECT_TRUE(f.exists("grp/x"));
  EXPECT_FALSE(f.exists("grp/y/z"));
  h5::Handle d = h5::open_dataset(f, "rows");
  uint8_t back[4] = {};
  h5::read_rows(d.id(), H5T_NATIVE_UINT8, 1, 2, back, "rows", f.file());
  EXPECT_EQ(back[0], 9);
  EXPECT_EQ(back[3], 6);
  std::vector<float> wrong(6);
  EXPECT_THROW(h5::read_into(f, "grp/x", {3, 2}, wrong.data()), h5::Error);
}

TEST(H5, ErrorsNameTheFile) {
  const fs::path dir = testsupport::fresh_dir("h5_errors");
  try {
    h5::File::open(dir / "missing.h5");
    FAIL();
  } catch (const h5::Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.h5"), std::string::npos);
  }
  { std::ofstream(dir / "text.h5") << "<html>not hdf5</html>"; }
  try {
    h5::File::open(dir / "text.h5");
    FAIL();
  } catch (const h5::Error& e) {
    EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos) << e.what();
  }
  h5::File f = h5::File::create(dir / "b.h5");
  try {
    h5::get_attr_int(f.id(), "version", f.file());
    FAIL();
  } catch (const h5::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'version'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("b.h5"), std::string::npos);
  }
}

// Fuzz finding (checkpoint target, 2026-12-01): an 81 KB file declared a 265M-element tensor, and h5::read allocated
// 1 GB for it before HDF5 found nothing to read. A contiguous dataset's data must lie within the file before its
// size is allocated. Here: 64M floats declared, never written (the file is a few KB); before, read returned 256 MB
// of fill values.
TEST(H5, DeclaredDataTheFileDoesNotHoldIsRefusedBeforeAllocating) {
  const fs::path p = testsupport::fresh_dir("h5_declared") / "a.h5";
  {
    h5::File f = h5::File::create(p);
    const hsize_t dims[1] = {hsize_t{1} << 26};
    h5::Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
    h5::Handle d(H5Dcreate2(f.id(), "w", H5T_IEEE_F32LE, space.id(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    ASSERT_GE(d.id(), 0);
    f.close();
  }
  ASSERT_LT(fs::file_size(p), 65536u);
  h5::File f = h5::File::open(p);
  try {
    const auto v = h5::read<float>(f, "w");
    FAIL() << "read " << v.size() << " values the file does not hold";
  } catch (const h5::Error& e) {
    EXPECT_NE(std::string(e.what()).find("declares 67108864 elements of 4 bytes, which the file"), std::string::npos)
        << e.what();
  }
}
