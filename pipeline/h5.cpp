// Implementation of the checked HDF5 wrappers (see h5.hpp).
#include "pipeline/h5.hpp"

#include "pipeline/h5_vlen.hpp"

#include <cstring>
#include <limits>
#include <mutex>

namespace h5 {

void quiet_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5dont_atexit(); });
  // The automatic error printing is a per-thread setting in a thread-safe HDF5 (Debian's): turn it off on every
  // thread that calls HDF5 (TBB workers of the pack graph, the loader's prefetch thread).
  thread_local bool quiet = false;
  if (!quiet) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    quiet = true;
  }
}

bool Location::exists(const std::string& path) const {
  // H5Lexists needs every intermediate link to exist: walk the path one component at a time.
  size_t pos = 0;
  while (true) {
    const size_t next = path.find('/', pos);
    const std::string prefix = path.substr(0, next);
    if (!prefix.empty() && H5Lexists(id(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (next == std::string::npos) return true;
    pos = next + 1;
  }
}

Location Location::group(const std::string& path) const {
  quiet_errors();
  if (!exists(path)) throw Error("HDF5: group '" + path + "' not found in '" + file() + "'");
  hid_t g = H5Gopen2(id(), path.c_str(), H5P_DEFAULT);
  check(g, "opening group '" + path + "'", file());
  return Location(Handle(g, H5Gclose), file());
}

Location Location::create_group(const std::string& path) const {
  quiet_errors();
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  check(lcpl.id(), "creating a link property list", file());
  check(H5Pset_create_intermediate_group(lcpl.id(), 1), "setting intermediate group creation", file());
  hid_t g = H5Gcreate2(id(), path.c_str(), lcpl.id(), H5P_DEFAULT, H5P_DEFAULT);
  check(g, "creating group '" + path + "'", file(), "does it already exist?");
  return Location(Handle(g, H5Gclose), file());
}

std::vector<std::string> Location::links() const {
  H5G_info_t info{};
  check(H5Gget_info(id(), &info), "listing a group", file());
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len = H5Lget_name_by_idx(id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    check(len, "reading a link name", file());
    std::string name(static_cast<size_t>(len), '\0');
    check(H5Lget_name_by_idx(id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size() + 1, H5P_DEFAULT),
          "reading a link name", file());
    names.push_back(std::move(name));
  }
  return names;
}

File File::create(const std::filesystem::path& path) {
  quiet_errors();
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  check(f, "creating the file", path.string(), "does the directory exist and is it writable, with free space?");
  return File(Handle(f, H5Fclose), path.string());
}

File File::open(const std::filesystem::path& path, bool writable) {
  quiet_errors();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error("HDF5: file '" + path.string() + "' does not exist");
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw Error("HDF5: '" + path.string() + "' is not an HDF5 file (truncated, or something else by that name)");
  hid_t f = H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT);
  check(f, "opening the file", path.string(), "it may be damaged or still open for writing elsewhere");
  return File(Handle(f, H5Fclose), path.string());
}

void File::flush() const { check(H5Fflush(id(), H5F_SCOPE_LOCAL), "flushing", file(), "is the disk full?"); }

void File::close() {
  if (!*this) return;
  // Flush first so that a write error (ENOSPC) surfaces here with a message, not silently in a destructor.
  flush();
  check(h_.close(), "closing the file", file_, "is the disk full?");
}

Handle create_dataset(const Location& loc, const std::string& name, hid_t type, const std::vector<hsize_t>& dims,
                      const DatasetOptions& opt) {
  quiet_errors();
  // An empty shape is a scalar (what h5py and PyTorch call shape ()).
  Handle space(dims.empty() ? H5Screate(H5S_SCALAR)
                            : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               H5Sclose);
  check(space.id(), "creating the dataspace of '" + name + "'", loc.file());
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  check(dcpl.id(), "creating a dataset property list", loc.file());
  check(H5Pset_obj_track_times(dcpl.id(), 0), "turning off time tracking for '" + name + "'", loc.file());
  if (!opt.chunk.empty()) {
    check(H5Pset_chunk(dcpl.id(), static_cast<int>(opt.chunk.size()), opt.chunk.data()),
          "setting the chunk shape of '" + name + "'", loc.file());
    if (opt.deflate_level >= 0)
      check(H5Pset_deflate(dcpl.id(), static_cast<unsigned>(opt.deflate_level)), "enabling deflate on '" + name + "'",
            loc.file(), "is HDF5 built with zlib?");
  }
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  check(H5Pset_create_intermediate_group(lcpl.id(), 1), "setting intermediate group creation", loc.file());
  hid_t d = H5Dcreate2(loc.id(), name.c_str(), type, space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT);
  check(d, "creating dataset '" + name + "'", loc.file(), "does it already exist, or is the disk full?");
  return Handle(d, H5Dclose);
}

Handle open_dataset(const Location& loc, const std::string& name) {
  quiet_errors();
  if (!loc.exists(name)) throw Error("HDF5: dataset '" + name + "' not found in '" + loc.file() + "'");
  hid_t d = H5Dopen2(loc.id(), name.c_str(), H5P_DEFAULT);
  check(d, "opening dataset '" + name + "'", loc.file());
  return Handle(d, H5Dclose);
}

std::vector<hsize_t> dataset_dims(hid_t dset, const std::string& what, const std::string& file) {
  Handle space(H5Dget_space(dset), H5Sclose);
  check(space.id(), "getting the dataspace of " + what, file);
  const int rank = H5Sget_simple_extent_ndims(space.id());
  check(rank, "getting the rank of " + what, file);
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  if (rank > 0) check(H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr), "getting the shape of " + what, file);
  return dims;
}

namespace {

// Selects rows [start, start+count) of the first dimension; returns the file and memory dataspaces.
std::pair<Handle, Handle> row_spaces(hid_t dset, hsize_t start, hsize_t count, const std::string& what,
                                     const std::string& file) {
  const auto dims = dataset_dims(dset, what, file);
  if (dims.empty() || start + count > dims[0])
    throw Error("HDF5: rows [" + std::to_string(start) + ", " + std::to_string(start + count) + ") out of range for " +
                what + " in '" + file + "' with " + (dims.empty() ? "no" : std::to_string(dims[0])) + " rows");
  Handle fspace(H5Dget_space(dset), H5Sclose);
  check(fspace.id(), "getting the dataspace of " + what, file);
  std::vector<hsize_t> off(dims.size(), 0), cnt = dims;
  off[0] = start;
  cnt[0] = count;
  check(H5Sselect_hyperslab(fspace.id(), H5S_SELECT_SET, off.data(), nullptr, cnt.data(), nullptr),
        "selecting rows of " + what, file);
  Handle mspace(H5Screate_simple(static_cast<int>(cnt.size()), cnt.data(), nullptr), H5Sclose);
  check(mspace.id(), "creating a memory dataspace for " + what, file);
  return {std::move(fspace), std::move(mspace)};
}

}  // namespace

void read_rows(hid_t dset, hid_t mem_type, hsize_t start, hsize_t count, void* dst, const std::string& what,
               const std::string& file) {
  if (count == 0) return;
  auto [fspace, mspace] = row_spaces(dset, start, count, what, file);
  check(H5Dread(dset, mem_type, mspace.id(), fspace.id(), H5P_DEFAULT, dst), "reading rows of " + what, file);
}

void write_rows(hid_t dset, hid_t mem_type, hsize_t start, hsize_t count, const void* src, const std::string& what,
                const std::string& file) {
  if (count == 0) return;
  auto [fspace, mspace] = row_spaces(dset, start, count, what, file);
  check(H5Dwrite(dset, mem_type, mspace.id(), fspace.id(), H5P_DEFAULT, src), "writing rows of " + what, file,
        "is the disk full?");
}

Handle vlen_utf8_type(const std::string& file) {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  check(t.id(), "copying the string type", file);
  check(H5Tset_size(t.id(), H5T_VARIABLE), "making a variable-length string type", file);
  check(H5Tset_cset(t.id(), H5T_CSET_UTF8), "setting UTF-8 on the string type", file);
  return t;
}

namespace {

std::vector<const char*> c_strings(const std::vector<std::string>& values) {
  std::vector<const char*> p(values.size());
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i].c_str();
  return p;
}

}  // namespace

void write_strings(const Location& loc, const std::string& name, const std::vector<std::string>& values) {
  Handle t = vlen_utf8_type(loc.file());
  Handle d = create_dataset(loc, name, t.id(), {static_cast<hsize_t>(values.size())});
  auto p = c_strings(values);
  if (!values.empty())
    check(H5Dwrite(d.id(), t.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data()), "writing strings '" + name + "'",
          loc.file(), "is the disk full?");
}

std::vector<std::string> read_strings(const Location& loc, const std::string& name) {
  Handle d = open_dataset(loc, name);
  const auto dims = dataset_dims(d.id(), "dataset '" + name + "'", loc.file());
  if (dims.size() != 1) throw Error("HDF5: dataset '" + name + "' in '" + loc.file() + "' is not 1-D strings");
  {  // A virtual dataset's strings live in its source files' heaps, which read_vlen_strings does not follow.
    Handle dcpl(H5Dget_create_plist(d.id()), H5Pclose);
    check(dcpl.id(), "reading the layout of dataset '" + name + "'", loc.file());
    if (H5Pget_layout(dcpl.id()) == H5D_VIRTUAL)
      throw Error("HDF5: dataset '" + name + "' in '" + loc.file() + "' is virtual: read its source datasets");
  }
  return read_vlen_strings(
      d.id(), dims[0], [&](hid_t t, void* p) { return H5Dread(d.id(), t, H5S_ALL, H5S_ALL, H5P_DEFAULT, p); },
      "dataset '" + name + "'", loc.file());
}

size_t checked_elements(hid_t d, const std::vector<hsize_t>& shape, const std::string& what, const std::string& file) {
  uint64_t n = 1;
  for (const hsize_t s : shape) {
    if (s != 0 && n > std::numeric_limits<uint64_t>::max() / s)
      throw Error("HDF5: " + what + " in '" + file + "' declares more elements than a 64-bit count holds: damaged file");
    n *= s;
  }
  if (n == 0) return 0;
  Handle dcpl(H5Dget_create_plist(d), H5Pclose);
  check(dcpl.id(), "reading the layout of " + what, file);
  // Chunked data may be compressed and virtual data lies elsewhere: only contiguous data in this file is checked.
  if (H5Pget_layout(dcpl.id()) != H5D_CONTIGUOUS || H5Pget_external_count(dcpl.id()) > 0) return n;
  Handle type(H5Dget_type(d), H5Tclose);
  check(type.id(), "reading the type of " + what, file);
  const uint64_t elem = H5Tget_size(type.id());
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(file, ec);
  if (ec || elem == 0) return n;
  const haddr_t offset = H5Dget_offset(d);
  const bool stored = offset != HADDR_UNDEF;
  if (!stored || n > file_size / elem || offset > file_size - n * elem)
    throw Error("HDF5: " + what + " in '" + file + "' declares " + std::to_string(n) + " elements of " +
                std::to_string(elem) + " bytes" + (stored ? " at byte " + std::to_string(offset) : std::string()) +
                ", which the file (" + std::to_string(file_size) + " bytes) does not hold: truncated or damaged file");
  return n;
}

// ---- attributes -------------------------------------------------------------------------------------------

namespace {
void replace_attr(hid_t obj, const std::string& name) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
}

void write_attr(hid_t obj, const std::string& name, hid_t type, hid_t space, const void* data,
                const std::string& file) {
  replace_attr(obj, name);
  Handle a(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  check(a.id(), "creating attribute '" + name + "'", file);
  check(H5Awrite(a.id(), type, data), "writing attribute '" + name + "'", file, "is the disk full?");
}

Handle open_attr(hid_t obj, const std::string& name, const std::string& file) {
  quiet_errors();
  if (H5Aexists(obj, name.c_str()) <= 0) throw Error("HDF5: attribute '" + name + "' not found in '" + file + "'");
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  check(a.id(), "opening attribute '" + name + "'", file);
  return a;
}

H5T_class_t attr_class(hid_t attr) {
  Handle t(H5Aget_type(attr), H5Tclose);
  return H5Tget_class(t.id());
}

template <class T>
T scalar_attr(hid_t obj, const std::string& name, const std::string& file, H5T_class_t want, const char* kind) {
  Handle a = open_attr(obj, name, file);
  if (attr_class(a.id()) != want)
    throw Error("HDF5: attribute '" + name + "' in '" + file + "' is not " + kind);
  T v{};
  check(H5Aread(a.id(), native_type<T>(), &v), "reading attribute '" + name + "'", file);
  return v;
}
}  // namespace

void set_attr(hid_t obj, const std::string& name, const std::string& value, const std::string& file) {
  // Variable-length UTF-8: h5py returns it as str (a fixed-length string would come back as bytes).
  Handle t = vlen_utf8_type(file);
  Handle s(H5Screate(H5S_SCALAR), H5Sclose);
  const char* p = value.c_str();
  write_attr(obj, name, t.id(), s.id(), &p, file);
}

void set_attr(hid_t obj, const std::string& name, int64_t value, const std::string& file) {
  Handle s(H5Screate(H5S_SCALAR), H5Sclose);
  write_attr(obj, name, H5T_NATIVE_INT64, s.id(), &value, file);
}

void set_attr(hid_t obj, const std::string& name, double value, const std::string& file) {
  Handle s(H5Screate(H5S_SCALAR), H5Sclose);
  write_attr(obj, name, H5T_NATIVE_DOUBLE, s.id(), &value, file);
}

void set_attr(hid_t obj, const std::string& name, const std::vector<std::string>& values, const std::string& file) {
  Handle t = vlen_utf8_type(file);
  const hsize_t n = values.size();
  Handle s(H5Screate_simple(1, &n, nullptr), H5Sclose);
  auto p = c_strings(values);
  write_attr(obj, name, t.id(), s.id(), p.data(), file);
}

bool has_attr(hid_t obj, const std::string& name) {
  quiet_errors();
  return H5Aexists(obj, name.c_str()) > 0;
}

std::string get_attr_string(hid_t obj, const std::string& name, const std::string& file) {
  Handle a = open_attr(obj, name, file);
  Handle t(H5Aget_type(a.id()), H5Tclose);
  if (H5Tget_class(t.id()) != H5T_STRING)
    throw Error("HDF5: attribute '" + name + "' in '" + file + "' is not a string");
  Handle space(H5Aget_space(a.id()), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.id());
  check(n, "sizing attribute '" + name + "'", file);
  if (n != 1)  // the reads below fill one element
    throw Error("HDF5: attribute '" + name + "' in '" + file + "' holds " + std::to_string(n) + " strings, not one");
  if (H5Tis_variable_str(t.id()) > 0)
    return read_vlen_strings(a.id(), 1, [&](hid_t mt, void* p) { return H5Aread(a.id(), mt, p); },
                             "attribute '" + name + "'", file)[0];
  const size_t size = H5Tget_size(t.id());
  std::string v(size, '\0');
  check(H5Aread(a.id(), t.id(), v.data()), "reading attribute '" + name + "'", file);
  v.resize(std::strlen(v.c_str()));  // drop null padding
  return v;
}

int64_t get_attr_int(hid_t obj, const std::string& name, const std::string& file) {
  return scalar_attr<int64_t>(obj, name, file, H5T_INTEGER, "an integer");
}

double get_attr_double(hid_t obj, const std::string& name, const std::string& file) {
  Handle a = open_attr(obj, name, file);
  const H5T_class_t c = attr_class(a.id());
  if (c != H5T_FLOAT && c != H5T_INTEGER) throw Error("HDF5: attribute '" + name + "' in '" + file + "' is not a number");
  double v = 0;
  check(H5Aread(a.id(), H5T_NATIVE_DOUBLE, &v), "reading attribute '" + name + "'", file);
  return v;
}

std::vector<std::string> get_attr_strings(hid_t obj, const std::string& name, const std::string& file) {
  Handle a = open_attr(obj, name, file);
  Handle space(H5Aget_space(a.id()), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.id());
  check(n, "sizing attribute '" + name + "'", file);
  Handle t(H5Aget_type(a.id()), H5Tclose);
  if (H5Tget_class(t.id()) != H5T_STRING)
    throw Error("HDF5: attribute '" + name + "' in '" + file + "' is not a string array");
  if (H5Tis_variable_str(t.id()) > 0)
    return read_vlen_strings(a.id(), static_cast<size_t>(n), [&](hid_t mt, void* p) { return H5Aread(a.id(), mt, p); },
                             "attribute '" + name + "'", file);
  // Fixed-length strings (what numpy 'S' arrays become through h5py).
  const size_t size = H5Tget_size(t.id());
  std::vector<char> buf(size * static_cast<size_t>(n));
  check(H5Aread(a.id(), t.id(), buf.data()), "reading attribute '" + name + "'", file);
  std::vector<std::string> out(static_cast<size_t>(n));
  for (size_t i = 0; i < out.size(); ++i) out[i] = std::string(buf.data() + i * size, strnlen(buf.data() + i * size, size));
  return out;
}

}  // namespace h5
