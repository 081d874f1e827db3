// NumPy .npy float32 files (trainer/npy.hpp): what write_npy writes reads back, numpy's own header variants are
// read, and every malformed file is refused with its name before anything is allocated for it.
#include "support/run.hpp"
#include "trainer/npy.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace fs = std::filesystem;
using trainer::NpyArray;
using trainer::read_npy;
using trainer::write_npy;

namespace {

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary);
  f << bytes;
}

// A .npy file with this header dict (format 1.0, padded to 64 as numpy pads) and `data_bytes` bytes after it.
std::string npy(const std::string& dict, size_t data_bytes, int major = 1) {
  std::string h = dict;
  const size_t prefix = major == 1 ? 10 : 12;
  h.append((64 - (prefix + h.size() + 1) % 64) % 64, ' ');
  h += '\n';
  std::string b = "\x93NUMPY";
  b += static_cast<char>(major);
  b += '\0';
  b += static_cast<char>(h.size() & 0xff);
  b += static_cast<char>(h.size() >> 8);
  if (major != 1) b += std::string(2, '\0');
  return b + h + std::string(data_bytes, '\0');
}

void expect_refused(const std::string& bytes, const std::string& why) {
  const fs::path p = testsupport::fresh_dir("npy_bad") / "bad.npy";
  write_bytes(p, bytes);
  try {
    read_npy(p);
    ADD_FAILURE() << "accepted: " << why;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.npy"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Npy, RoundTripsShapesAndValues) {
  const fs::path dir = testsupport::fresh_dir("npy");
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{3}, {2, 3}, {2, 3, 1, 1}, {}, {0, 4}}) {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * -0.375f + 1e-7f;
    write_npy(dir / "a.npy", shape, v.data());
    EXPECT_EQ(fs::file_size(dir / "a.npy") % 64, (v.size() * 4) % 64) << "numpy pads the header to 64 bytes";
    const NpyArray a = read_npy(dir / "a.npy");
    EXPECT_EQ(a.shape, shape);
    EXPECT_EQ(a.data, v);
  }
}

TEST(Npy, ReadsNumpysHeaderVariants) {
  const fs::path p = testsupport::fresh_dir("npy_variants") / "a.npy";
  // Key order, quotes and spacing vary; versions 2.0 and 3.0 have a 4-byte header length.
  for (const auto& [dict, major] : std::vector<std::pair<std::string, int>>{
           {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 1},
           {"{'shape':(2,2),'fortran_order':False,'descr':'<f4'}", 1},
           {"{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (4,)}", 2},
           {"{'descr': '<f4', 'fortran_order': False, 'shape': (4, ), }", 3}}) {
    write_bytes(p, npy(dict, 16, major));
    const NpyArray a = read_npy(p);
    EXPECT_EQ(a.data.size(), 4u) << dict;
  }
}

TEST(Npy, RefusesWhatItDoesNotRead) {
  expect_refused("PK\x03\x04 not npy at all", "not a .npy file");
  expect_refused(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16), "'<f8'");
  expect_refused(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8), "'>f4'");
  expect_refused(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16), "Fortran");
  expect_refused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 15), "the header declares");
  expect_refused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 17), "the header declares");
  expect_refused(npy("{'descr': '<f4', 'fortran_order': False}", 4), "lacks");
  expect_refused(npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", 4), "repeated");
  expect_refused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -2), }", 0), "expected a dimension");
  expect_refused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 5", 80), "expected ','");
  // Declared sizes beyond the bound are refused before allocation (the file is tiny).
  expect_refused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }", 0), "more than");
  expect_refused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 0),
                 "exceeds");
  expect_refused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }", 4),
                 "dimensions");
  std::string torn = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 4);
  expect_refused(torn.substr(0, 40), "torn");
  std::string v9 = torn;
  v9[6] = 9;
  expect_refused(v9, "version 9");
}
