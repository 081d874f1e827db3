// Variable-length strings from the global heap, read and bounds-checked by us (see h5_vlen.hpp for why).
#include "pipeline/h5_vlen.hpp"

#include "pipeline/h5.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>

namespace h5 {
namespace {

// The opaque type's tag, by which our conversion recognises the types it serves.
constexpr const char* kDescriptorTag = "dcgan-onednn: variable-length descriptor, read raw";

// A collection is read whole into memory. libhdf5 makes one no larger than the objects it holds need, and an object
// index has 16 bits, so a collection of strings is at most a few MB; 64 MB bounds what a damaged header can ask for.
constexpr uint64_t kMaxCollectionBytes = uint64_t{64} << 20;

// The conversion libhdf5 calls from a variable-length string (on disk: the descriptor) to our opaque type of the
// same size. It accepts no other pair, and converts nothing: the element bytes already are the descriptors.
herr_t keep_descriptor(hid_t src, hid_t dst, H5T_cdata_t* cdata, size_t, size_t, size_t, void*, void*, hid_t) {
  if (cdata->command != H5T_CONV_INIT) return 0;  // H5T_CONV_CONV and H5T_CONV_FREE: nothing to do
  if (H5Tget_class(src) != H5T_STRING || H5Tis_variable_str(src) <= 0 || H5Tget_class(dst) != H5T_OPAQUE) return -1;
  char* tag = H5Tget_tag(dst);
  const bool ours = tag && std::strcmp(tag, kDescriptorTag) == 0;
  H5free_memory(tag);
  if (!ours || H5Tget_size(src) != H5Tget_size(dst)) return -1;
  cdata->need_bkg = H5T_BKG_NO;
  return 0;
}

void register_conversion() {
  static std::once_flag once;
  std::call_once(once, [] {
    Handle src = vlen_utf8_type("(the HDF5 library)");
    Handle dst(H5Tcreate(H5T_OPAQUE, 1), H5Tclose);
    check(dst.id(), "creating an opaque type", "(the HDF5 library)");
    // A soft conversion applies to every (variable-length, opaque) pair; keep_descriptor refuses all but ours.
    check(H5Tregister(H5T_PERS_SOFT, "dcgan-onednn raw vlen descriptor", src.id(), dst.id(), keep_descriptor),
          "registering the descriptor conversion", "(the HDF5 library)");
  });
}

uint64_t decode_le(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

// What the reader needs to know about the file `obj` lives in.
struct FileLayout {
  std::string path;       // as libhdf5 opened it
  size_t offset_size = 0;  // superblock "size of offsets": addresses
  size_t length_size = 0;  // superblock "size of lengths": collection and object sizes
  uint64_t base = 0;      // addresses are relative to the superblock, which follows any user block
};

FileLayout file_layout(hid_t obj, const std::string& file) {
  FileLayout l;
  Handle f(H5Iget_file_id(obj), H5Fclose);
  check(f.id(), "finding the file of an object", file);
  const ssize_t n = H5Fget_name(f.id(), nullptr, 0);
  check(n, "reading the file name", file);
  l.path.assign(static_cast<size_t>(n) + 1, '\0');
  check(H5Fget_name(f.id(), l.path.data(), l.path.size()), "reading the file name", file);
  l.path.resize(static_cast<size_t>(n));
  Handle fcpl(H5Fget_create_plist(f.id()), H5Pclose);
  check(fcpl.id(), "reading the file creation properties", file);
  check(H5Pget_sizes(fcpl.id(), &l.offset_size, &l.length_size), "reading the address sizes", file);
  hsize_t user_block = 0;
  check(H5Pget_userblock(fcpl.id(), &user_block), "reading the user block size", file);
  l.base = user_block;
  if (l.offset_size < 2 || l.offset_size > 8 || l.length_size < 2 || l.length_size > 8)
    throw Error("HDF5: '" + file + "' declares " + std::to_string(l.offset_size) + "-byte addresses and " +
                std::to_string(l.length_size) + "-byte lengths (2 to 8 are supported)");
  // Objects of a file open for writing may still be in libhdf5's cache, not yet on disk.
  unsigned intent = 0;
  check(H5Fget_intent(f.id(), &intent), "reading the file's access mode", file);
  if (intent & H5F_ACC_RDWR) check(H5Fflush(f.id(), H5F_SCOPE_LOCAL), "flushing before reading strings", file);
  return l;
}

// One global heap collection, read from the file and walked once: object index -> its bytes.
class Collection {
 public:
  Collection(std::ifstream& in, uint64_t file_size, const FileLayout& l, uint64_t addr, const std::string& file) {
    const uint64_t header = 8 + l.length_size;  // "GCOL", version, 3 reserved, collection size
    const std::string where = "the global heap collection at address " + std::to_string(addr) + " of '" + file + "'";
    const uint64_t at = l.base + addr;
    if (addr >= file_size || at < addr || at >= file_size || file_size - at < header)
      throw Error("HDF5: " + where + " lies outside the file (" + std::to_string(file_size) + " bytes): damaged file");
    uint8_t h[16];
    read_at(in, at, h, header, where);
    if (std::memcmp(h, "GCOL", 4) != 0 || h[4] != 1)
      throw Error("HDF5: " + where + " has no collection signature 'GCOL' version 1: damaged file");
    const uint64_t size = decode_le(h + 8, l.length_size);
    if (size < header || size > file_size - at || size > kMaxCollectionBytes)
      throw Error("HDF5: " + where + " declares " + std::to_string(size) + " bytes (the file has " +
                  std::to_string(file_size - at) + " from there; at most " + std::to_string(kMaxCollectionBytes) +
                  " are read): damaged file");
    bytes_.resize(size);
    read_at(in, at, bytes_.data(), size, where);
    walk(header, l.length_size, where);
  }

  // The object's bytes; throws unless it exists and holds exactly `length` bytes.
  std::string object(uint32_t index, uint64_t length, const std::string& where) const {
    const auto it = objects_.find(index);
    if (index == 0 || it == objects_.end())
      throw Error("HDF5: " + where + " names object " + std::to_string(index) + ", which the collection lacks");
    if (it->second.second != length)
      throw Error("HDF5: " + where + " is " + std::to_string(length) + " bytes long, its heap object " +
                  std::to_string(it->second.second) + ": damaged file");
    return std::string(reinterpret_cast<const char*>(bytes_.data() + it->second.first), static_cast<size_t>(length));
  }

 private:
  static void read_at(std::ifstream& in, uint64_t at, uint8_t* dst, uint64_t n, const std::string& where) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(at));
    in.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(n));
    if (!in || static_cast<uint64_t>(in.gcount()) != n) throw Error("HDF5: reading " + where + " failed");
  }

  // The objects in order, as libhdf5's decoder walks them (H5HGcache.c), but refusing what it assumes: an object
  // whose declared size runs past the collection, a free-space entry of size 0 (the endless loop), a repeated index.
  void walk(uint64_t pos, size_t length_size, const std::string& where) {
    const uint64_t object_header = 8 + length_size;  // index (2), reference count (2), reserved (4), size
    const uint64_t size = bytes_.size();
    while (pos < size) {
      if (size - pos < object_header) break;  // too small for an object: free space, as libhdf5 reads it
      const uint8_t* p = bytes_.data() + pos;
      const auto index = static_cast<uint32_t>(decode_le(p, 2));
      const uint64_t declared = decode_le(p + 8, length_size);
      const uint64_t room = size - pos;
      uint64_t need = 0;
      if (index == 0) {  // free space: its size counts its own header
        if (declared == 0 || declared > room)
          throw Error("HDF5: " + where + " has a free-space entry of " + std::to_string(declared) + " bytes at byte " +
                      std::to_string(pos) + " (" + std::to_string(room) + " remain): damaged file");
        need = declared;
      } else {
        if (declared > room - object_header)
          throw Error("HDF5: " + where + " has object " + std::to_string(index) + " of " + std::to_string(declared) +
                      " bytes at byte " + std::to_string(pos) + " (" + std::to_string(room - object_header) +
                      " remain): damaged file");
        need = object_header + ((declared + 7) & ~uint64_t{7});  // data padded to a multiple of 8
        if (need > room) need = room;
        if (!objects_.emplace(index, std::make_pair(pos + object_header, declared)).second)
          throw Error("HDF5: " + where + " holds object " + std::to_string(index) + " twice: damaged file");
      }
      pos += need;
    }
  }

  std::vector<uint8_t> bytes_;
  std::map<uint32_t, std::pair<uint64_t, uint64_t>> objects_;  // index -> (offset in bytes_, size)
};

}  // namespace

std::vector<std::string> read_vlen_strings(hid_t obj, size_t n, const std::function<herr_t(hid_t, void*)>& read,
                                           const std::string& what, const std::string& file) {
  quiet_errors();
  register_conversion();
  if (n == 0) return {};
  const FileLayout l = file_layout(obj, file);
  const size_t descriptor = 4 + l.offset_size + 4;  // sequence length, collection address, object index
  std::ifstream in(l.path, std::ios::binary);
  if (!in) throw Error("HDF5: cannot open '" + l.path + "' to read the strings of " + what);
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<uint64_t>(in.tellg());
  // Every descriptor is stored in the file (we never compress strings), so a declared count the file cannot hold is
  // refused before it is allocated (a fuzz finding: a damaged dataspace declared billions of strings).
  if (n > file_size / descriptor)
    throw Error("HDF5: " + what + " in '" + file + "' declares " + std::to_string(n) + " strings, more than the file (" +
                std::to_string(file_size) + " bytes) holds: damaged file");
  Handle type(H5Tcreate(H5T_OPAQUE, descriptor), H5Tclose);
  check(type.id(), "creating the descriptor type", file);
  check(H5Tset_tag(type.id(), kDescriptorTag), "tagging the descriptor type", file);
  std::vector<uint8_t> raw(n * descriptor);
  check(read(type.id(), raw.data()), "reading strings of " + what, file);
  std::vector<std::string> out(n);
  std::map<uint64_t, Collection> collections;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* d = raw.data() + i * descriptor;
    const uint64_t length = decode_le(d, 4);
    const uint64_t addr = decode_le(d + 4, l.offset_size);
    const auto index = static_cast<uint32_t>(decode_le(d + 4 + l.offset_size, 4));
    if (length == 0 || addr == 0) continue;  // empty, or a null string: ""
    auto it = collections.find(addr);
    if (it == collections.end()) it = collections.try_emplace(addr, in, file_size, l, addr, file).first;
    std::string s =
        it->second.object(index, length, "string " + std::to_string(i) + " of " + what + " in '" + file + "'");
    s.resize(std::strlen(s.c_str()));  // up to the first NUL, as the C API gives it
    out[i] = std::move(s);
  }
  return out;
}

}  // namespace h5
