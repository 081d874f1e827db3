// RAII handles and checked calls for the HDF5 C API: every failure throws with the file name and a hint.
//
// Used by the cache writer/reader (pipeline), checkpoints and state_dict interchange (trainer) and tests.
// HDF5's own error-stack printing is turned off (see quiet_errors): our exceptions say what failed instead.
#pragma once
#include "pipeline/atomic_file.hpp"

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace h5 {

// A failed HDF5 call. what() names the operation, the object and the file, and a hint when one is known.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Turns off HDF5's automatic error-stack printing for the whole process (idempotent, thread-compatible), and
// HDF5's own at-exit cleanup, which crashes in HDF5 1.10 after a failed flush (a full disk) instead of exiting.
void quiet_errors();

// Owns one hid_t and closes it with the matching H5*close. Move-only.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), closer_(o.closer_) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      closer_ = o.closer_;
    }
    return *this;
  }
  ~Handle() { reset(); }
  hid_t id() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }
  void reset() { (void)close(); }
  // Closes now and returns the closer's status (negative on failure, e.g. a final write hitting a full disk).
  herr_t close() {
    herr_t s = 0;
    if (id_ >= 0 && closer_) s = closer_(id_);
    id_ = H5I_INVALID_HID;
    return s;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// Throws h5::Error("<what> in <file>: <hint>") when status < 0; returns status otherwise.
inline int64_t check(int64_t status, const std::string& what, const std::string& file, const std::string& hint = {}) {
  if (status < 0)
    throw Error("HDF5: " + what + " failed in '" + file + "'" + (hint.empty() ? std::string() : ": " + hint));
  return status;
}

// The HDF5 native type for a C++ arithmetic type.
template <class T>
hid_t native_type() {
  if constexpr (std::is_same_v<T, float>) return H5T_NATIVE_FLOAT;
  else if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
  else if constexpr (std::is_same_v<T, int8_t>) return H5T_NATIVE_INT8;
  else if constexpr (std::is_same_v<T, uint8_t>) return H5T_NATIVE_UINT8;
  else if constexpr (std::is_same_v<T, int16_t>) return H5T_NATIVE_INT16;
  else if constexpr (std::is_same_v<T, uint16_t>) return H5T_NATIVE_UINT16;
  else if constexpr (std::is_same_v<T, int32_t>) return H5T_NATIVE_INT32;
  else if constexpr (std::is_same_v<T, uint32_t>) return H5T_NATIVE_UINT32;
  else if constexpr (std::is_same_v<T, int64_t>) return H5T_NATIVE_INT64;
  else if constexpr (std::is_same_v<T, uint64_t>) return H5T_NATIVE_UINT64;
  else static_assert(sizeof(T) == 0, "no HDF5 native type for this C++ type");
}

// An open file (or any location: file or group) remembers the file path for messages.
class Location {
 public:
  Location() = default;
  Location(Handle h, std::string file) : h_(std::move(h)), file_(std::move(file)) {}
  hid_t id() const { return h_.id(); }
  const std::string& file() const { return file_; }
  explicit operator bool() const { return static_cast<bool>(h_); }

  // True when a link `path` (relative to this location, "a/b" allowed) exists.
  bool exists(const std::string& path) const;
  // Opens an existing group; throws naming the group and file when absent.
  Location group(const std::string& path) const;
  // Creates a group, with intermediate groups.
  Location create_group(const std::string& path) const;
  // Names of the links (datasets, groups) directly in this group, in name order.
  std::vector<std::string> links() const;

 protected:
  Handle h_;
  std::string file_;
};

class File : public Location {
 public:
  File() = default;
  // Creates (truncating) a file. Throws naming the path, with a hint about the directory and disk.
  static File create(const std::filesystem::path& path);
  // Opens an existing file; read-only unless writable. Throws naming the path when it is missing or not HDF5.
  static File open(const std::filesystem::path& path, bool writable = false);
  // Flushes HDF5's buffers for the file to the OS.
  void flush() const;
  // Closes now (also done by the destructor), reporting errors such as a full disk that a destructor would hide.
  void close();

 private:
  using Location::Location;
};

// Writes an HDF5 file crash-safely: body(File&) fills a temporary beside `path`; the file is then closed (which
// surfaces a full disk), fsync'd and renamed over `path` (pipeline/atomic_file.hpp). On any failure the temporary
// is removed, `path` is left as it was, and the exception propagates.
template <class Body>
void write_file_atomic(const std::filesystem::path& path, Body&& body) {
  const std::filesystem::path tmp = pipeline::temp_path_for(path);
  try {
    File f = File::create(tmp);
    body(f);
    f.close();
    pipeline::commit_file(tmp, path);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
}

// Options for creating a dataset.
struct DatasetOptions {
  std::vector<hsize_t> chunk;   // empty: contiguous
  int deflate_level = -1;       // 0..9 with chunk set; -1: no filter
};

// ---- datasets -------------------------------------------------------------------------------------------

// Creates `name` with shape `dims` and element type `type` (a native or file type) and returns it open.
// Without modification times (H5Pset_obj_track_times false): a file's bytes then depend only on what is
// written, so two packs of the same input give byte-identical shards.
Handle create_dataset(const Location& loc, const std::string& name, hid_t type, const std::vector<hsize_t>& dims,
                      const DatasetOptions& opt = {});
Handle open_dataset(const Location& loc, const std::string& name);
// Shape of an open dataset.
std::vector<hsize_t> dataset_dims(hid_t dset, const std::string& what, const std::string& file);

// Writes a whole dataset in one call.
template <class T>
void write(const Location& loc, const std::string& name, const std::vector<hsize_t>& dims, const T* data,
           const DatasetOptions& opt = {}) {
  Handle d = create_dataset(loc, name, native_type<T>(), dims, opt);
  check(H5Dwrite(d.id(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "writing dataset '" + name + "'",
        loc.file(), "is the disk full?");
}

// The element count of dataset `d` of `shape`, checked before anything is allocated from it: the product must not
// overflow, and a contiguous dataset's data (elem_size bytes each, as stored) must lie within the file, so a damaged
// file of a few KB cannot make a reader allocate what its header declares (a fuzz finding: 1 GB for an 81 KB file).
size_t checked_elements(hid_t d, const std::vector<hsize_t>& shape, const std::string& what, const std::string& file);

// Reads a whole dataset, converting to T. dims receives its shape when not null.
template <class T>
std::vector<T> read(const Location& loc, const std::string& name, std::vector<hsize_t>* dims = nullptr) {
  Handle d = open_dataset(loc, name);
  const auto shape = dataset_dims(d.id(), "dataset '" + name + "'", loc.file());
  const size_t n = checked_elements(d.id(), shape, "dataset '" + name + "'", loc.file());
  std::vector<T> out(n);
  if (n) check(H5Dread(d.id(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()),
               "reading dataset '" + name + "'", loc.file());
  if (dims) *dims = shape;
  return out;
}

// Reads a whole dataset into dst after checking its shape equals `expected` (throws naming both shapes).
template <class T>
void read_into(const Location& loc, const std::string& name, const std::vector<hsize_t>& expected, T* dst) {
  Handle d = open_dataset(loc, name);
  const auto shape = dataset_dims(d.id(), "dataset '" + name + "'", loc.file());
  if (shape != expected) {
    auto str = [](const std::vector<hsize_t>& v) {
      std::string s = "[";
      for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
      return s + "]";
    };
    throw Error("dataset '" + name + "' in '" + loc.file() + "' has shape " + str(shape) + ", expected " +
                str(expected));
  }
  check(H5Dread(d.id(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, dst), "reading dataset '" + name + "'",
        loc.file());
}

// Reads rows [start, start+count) along the first dimension of an open dataset into dst (contiguous).
void read_rows(hid_t dset, hid_t mem_type, hsize_t start, hsize_t count, void* dst, const std::string& what,
               const std::string& file);
// Writes rows [start, start+count) along the first dimension of an open dataset from src (contiguous).
void write_rows(hid_t dset, hid_t mem_type, hsize_t start, hsize_t count, const void* src, const std::string& what,
                const std::string& file);

// The variable-length UTF-8 string type (h5py reads it as str).
Handle vlen_utf8_type(const std::string& file);

// Variable-length UTF-8 string datasets (what h5py reads as str with .asstr(), bytes otherwise).
void write_strings(const Location& loc, const std::string& name, const std::vector<std::string>& values);
std::vector<std::string> read_strings(const Location& loc, const std::string& name);

// ---- attributes (on a file, group or dataset given by its hid_t) -----------------------------------------

void set_attr(hid_t obj, const std::string& name, const std::string& value, const std::string& file);
void set_attr(hid_t obj, const std::string& name, int64_t value, const std::string& file);
void set_attr(hid_t obj, const std::string& name, double value, const std::string& file);
void set_attr(hid_t obj, const std::string& name, const std::vector<std::string>& values, const std::string& file);
bool has_attr(hid_t obj, const std::string& name);
// Getters throw naming the attribute and file when it is absent or of another kind.
std::string get_attr_string(hid_t obj, const std::string& name, const std::string& file);
int64_t get_attr_int(hid_t obj, const std::string& name, const std::string& file);
double get_attr_double(hid_t obj, const std::string& name, const std::string& file);
std::vector<std::string> get_attr_strings(hid_t obj, const std::string& name, const std::string& file);

}  // namespace h5
