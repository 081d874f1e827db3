// Tests of h5_vlen: variable-length strings read from the global heap by our parser, which refuses a damaged
// collection or descriptor that libhdf5 1.10.8 would have trusted (an overflowing copy, or an endless loop).
#include "pipeline/h5.hpp"
#include "support/run.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

// A file whose root has one variable-length string attribute "format" = kValue, and a 3-string dataset "names".
constexpr const char* kValue = "dcgan-onednn-checkpoint";
fs::path make_file(const std::string& name) {
  const fs::path p = testsupport::fresh_dir(name) / "a.h5";
  h5::File f = h5::File::create(p);
  h5::set_attr(f.id(), "format", std::string(kValue), f.file());
  h5::write_strings(f, "names", {"one", "", "drei"});
  f.close();
  return p;
}

// Byte offset, in the file, of the size field of the global heap object holding `content` (8-byte lengths, our
// files' default: object header = index 2, references 2, reserved 4, size 8, then the data).
size_t object_size_field(const std::string& bytes, const std::string& content) {
  const size_t gcol = bytes.find("GCOL");
  EXPECT_NE(gcol, std::string::npos);
  const size_t data = bytes.find(content, gcol);
  EXPECT_NE(data, std::string::npos);
  return data - 8;
}

void put_le64(std::string& bytes, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) bytes[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

std::string format_error(const fs::path& p) {
  h5::File f = h5::File::open(p);
  try {
    const std::string v = h5::get_attr_string(f.id(), "format", f.file());
    return "no error; read '" + v + "'";
  } catch (const h5::Error& e) {
    return e.what();
  }
}

}  // namespace

TEST(H5Vlen, ReadsWhatLibhdf5Wrote) {
  const fs::path p = make_file("h5vlen_ok");
  h5::File f = h5::File::open(p);
  EXPECT_EQ(h5::get_attr_string(f.id(), "format", f.file()), kValue);
  EXPECT_EQ(h5::read_strings(f, "names"), (std::vector<std::string>{"one", "", "drei"}));
}

TEST(H5Vlen, ReadsStringsOfAFileOpenForWriting) {  // the heap may still be in libhdf5's cache only
  const fs::path p = testsupport::fresh_dir("h5vlen_rw") / "a.h5";
  h5::File f = h5::File::create(p);
  h5::set_attr(f.id(), "format", std::string(kValue), f.file());
  EXPECT_EQ(h5::get_attr_string(f.id(), "format", f.file()), kValue);
}

// The fuzz finding tests/fuzz/regressions/checkpoint/heap_object_size_past_the_collection: libhdf5 copied the
// object's declared size into a buffer of the string's length (ASan memcpy-param-overlap in H5HG_read).
TEST(H5Vlen, HeapObjectLargerThanItsCollectionIsRefused) {
  const fs::path p = make_file("h5vlen_huge");
  std::string bytes = slurp(p);
  put_le64(bytes, object_size_field(bytes, kValue), 0xb600000000000000ull);
  spit(p, bytes);
  const std::string e = format_error(p);
  EXPECT_NE(e.find("damaged file"), std::string::npos) << e;
  EXPECT_NE(e.find("a.h5"), std::string::npos) << e;
}

TEST(H5Vlen, HeapObjectLongerThanTheStringIsRefused) {  // libhdf5 would copy 64 bytes into a 23-byte buffer
  const fs::path p = make_file("h5vlen_long");
  std::string bytes = slurp(p);
  put_le64(bytes, object_size_field(bytes, kValue), 64);
  spit(p, bytes);
  const std::string e = format_error(p);
  EXPECT_NE(e.find("is 23 bytes long, its heap object 64"), std::string::npos) << e;
}

// The fuzz finding tests/fuzz/regressions/cache/free_space_of_size_zero: libhdf5's collection decoder steps by the
// free-space entry's declared size, so a zero made it loop forever on opening the cache.
TEST(H5Vlen, FreeSpaceOfSizeZeroIsRefused) {
  const fs::path p = make_file("h5vlen_free0");
  std::string bytes = slurp(p);
  // The free-space entry (index 0) follows the last object, "one" (libhdf5 stores the dataset's strings last to
  // first), padded to 8 bytes.
  const size_t one = bytes.find("one", bytes.find("drei", bytes.find("GCOL")));
  ASSERT_NE(one, std::string::npos);
  const size_t free_entry = one + 8;
  ASSERT_EQ(bytes[free_entry], 0);
  ASSERT_EQ(bytes[free_entry + 1], 0);
  put_le64(bytes, free_entry + 8, 0);
  spit(p, bytes);
  const std::string e = format_error(p);
  EXPECT_NE(e.find("free-space entry of 0 bytes"), std::string::npos) << e;
}

TEST(H5Vlen, DescriptorNamingAMissingObjectIsRefused) {
  const fs::path p = make_file("h5vlen_index");
  std::string bytes = slurp(p);
  // Object 1 (the attribute's) becomes object 7, which no descriptor of a sound file names.
  const size_t index_field = object_size_field(bytes, kValue) - 8;
  ASSERT_EQ(bytes[index_field], 1);
  bytes[index_field] = 7;
  spit(p, bytes);
  const std::string e = format_error(p);
  EXPECT_NE(e.find("names object 1, which the collection lacks"), std::string::npos) << e;
}

TEST(H5Vlen, CollectionSignatureIsChecked) {
  const fs::path p = make_file("h5vlen_sig");
  std::string bytes = slurp(p);
  bytes[bytes.find("GCOL")] = 'X';
  spit(p, bytes);
  const std::string e = format_error(p);
  EXPECT_NE(e.find("no collection signature"), std::string::npos) << e;
}

// Fuzz finding (tests/fuzz/regressions/cache/strings_dataset_declares_16M_in_20_KB): a string dataset declaring 16M
// elements in a 20 KB file made the reader allocate 16M strings and their descriptors (over 600 MB) first. Here: 16M
// strings declared, never written; before, the read returned 16M empty strings.
TEST(H5Vlen, DeclaredStringsTheFileDoesNotHoldAreRefusedBeforeAllocating) {
  const fs::path p = testsupport::fresh_dir("h5vlen_count") / "a.h5";
  {
    h5::File f = h5::File::create(p);
    h5::Handle t = h5::vlen_utf8_type(f.file());
    const hsize_t dims[1] = {hsize_t{1} << 24};
    h5::Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
    h5::Handle d(H5Dcreate2(f.id(), "names", t.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
    ASSERT_GE(d.id(), 0);
    f.close();
  }
  h5::File f = h5::File::open(p);
  try {
    const auto v = h5::read_strings(f, "names");
    FAIL() << "read " << v.size() << " strings the file does not hold";
  } catch (const h5::Error& e) {
    EXPECT_NE(std::string(e.what()).find("declares 16777216 strings, more than the file"), std::string::npos) << e.what();
  }
}
