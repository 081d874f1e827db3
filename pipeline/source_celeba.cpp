// CelebA source: the official aligned release (img_align_celeba/*.jpg, list_attr_celeba.txt,
// list_eval_partition.txt, also under Img/, Anno/, Eval/ as on Google Drive) and the Kaggle repackaging
// (nested img_align_celeba/img_align_celeba/, list_*.csv with an image_id header).
//
// Order and partitions come from the list files when present (attribute file first), else names are sorted.
#include "pipeline/cache_format.hpp"
#include "pipeline/celeba_meta.hpp"
#include "pipeline/sources.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace pipeline {

namespace fs = std::filesystem;

namespace {

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// The directory holding the JPEGs: Kaggle's nested folder first, then the official places.
std::optional<fs::path> find_image_dir(const fs::path& in) {
  for (const fs::path& p : {in / "img_align_celeba" / "img_align_celeba", in / "img_align_celeba",
                            in / "Img" / "img_align_celeba"})
    if (is_dir(p)) return p;
  return std::nullopt;
}

// A list file "<stem>.txt" or "<stem>.csv" in the input, or in Anno/ or Eval/ (the Google Drive folders).
std::optional<fs::path> find_list(const fs::path& in, const std::string& stem) {
  for (const fs::path& dir : {in, in / "Anno", in / "Eval"})
    for (const char* ext : {".txt", ".csv"})
      if (is_file(dir / (stem + ext))) return dir / (stem + ext);
  return std::nullopt;
}

bool has_jpeg_extension(const std::string& n) {
  if (n.size() < 4) return false;
  std::string ext = n.substr(n.size() - 4);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || (n.size() >= 5 && ext == "jpeg" && n[n.size() - 5] == '.');
}

// The cache stores the attribute names as one HDF5 attribute (cache_format.hpp): refused here, before anything is
// packed, rather than by HDF5 when the first shard is written.
void refuse_too_many_attributes(const fs::path& list, size_t names) {
  if (static_cast<int64_t>(names) <= cache_format::kMaxAttributeNames) return;
  const std::string most = std::to_string(cache_format::kMaxAttributeNames);
  throw std::runtime_error("'" + list.string() + "' names " + std::to_string(names) + " attributes; a cache holds at most " +
                           most + ": their names are stored as one HDF5 attribute, which HDF5 limits to 64 KiB "
                           "(keep at most " + most + " attribute columns in the list)");
}

class CelebaSource final : public FileSource {
 public:
  explicit CelebaSource(const fs::path& in) {
    layout_ = Layout::celeba;
    const auto dir = find_image_dir(in);
    if (!dir) {
      std::string hint = "expected the aligned CelebA layout: img_align_celeba/*.jpg with optional "
                         "list_attr_celeba.txt and list_eval_partition.txt (use --layout folder for any image tree)";
      if (is_file(in / "img_align_celeba.zip"))
        hint = "found img_align_celeba.zip: unzip it first (unzip img_align_celeba.zip -d " + in.string() + ")";
      throw std::runtime_error("no img_align_celeba/ directory in '" + in.string() + "': " + hint);
    }
    root_ = *dir;

    // Every .jpg in the image directory (names only: CelebA is flat).
    std::vector<std::string> on_disk;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root_, ec)) {
      const std::string n = e.path().filename().string();
      if (has_jpeg_extension(n)) on_disk.push_back(n);
    }
    if (ec) throw std::runtime_error("cannot list '" + root_.string() + "': " + ec.message());
    std::sort(on_disk.begin(), on_disk.end());

    const auto attr_path = find_list(in, "list_attr_celeba");
    const auto part_path = find_list(in, "list_eval_partition");
    std::string from;
    if (attr_path) {
      const auto bytes = read_whole_file(*attr_path);
      auto a = parse_celeba_attributes(*attr_path, bytes);
      refuse_too_many_attributes(*attr_path, a.names.size());
      if (auto w = check_official_md5(*attr_path, bytes, static_cast<int64_t>(a.images.size()))) warnings_.push_back(*w);
      names_ = std::move(a.images);
      attribute_names_ = std::move(a.names);
      attributes_ = std::move(a.values);
      from = attr_path->filename().string();
    }
    if (part_path) {
      const auto bytes = read_whole_file(*part_path);
      auto p = parse_celeba_partition(*part_path, bytes);
      if (auto w = check_official_md5(*part_path, bytes, static_cast<int64_t>(p.images.size()))) warnings_.push_back(*w);
      if (names_.empty()) {
        names_ = std::move(p.images);
        partition_ = std::move(p.partition);
        from = part_path->filename().string();
      } else {
        std::unordered_map<std::string, uint8_t> by_name;
        by_name.reserve(p.images.size());
        for (size_t i = 0; i < p.images.size(); ++i) by_name.emplace(p.images[i], p.partition[i]);
        partition_.resize(names_.size());
        for (size_t i = 0; i < names_.size(); ++i) {
          const auto it = by_name.find(names_[i]);
          if (it == by_name.end())
            throw std::runtime_error("'" + part_path->string() + "' has no entry for '" + names_[i] + "', which '" +
                                     attr_path->string() + "' lists (they list " + std::to_string(p.images.size()) +
                                     " and " + std::to_string(names_.size()) + " images): are they from the same release?");
          partition_[i] = it->second;
        }
      }
    }
    if (names_.empty()) {
      names_ = on_disk;
      from = "sorted file names";
    } else {
      // Files on disk that the lists do not mention are not packed: say so.
      std::unordered_set<std::string> listed(names_.begin(), names_.end());
      int64_t unlisted = 0;
      for (const auto& n : on_disk) unlisted += listed.count(n) == 0;
      if (unlisted)
        warnings_.push_back(std::to_string(unlisted) + " .jpg files in '" + root_.string() + "' are not listed in " +
                            from + " and are not packed");
    }
    if (names_.empty())
      throw std::runtime_error("no images: '" + root_.string() + "' holds no .jpg files and no list file names any");
    description_ = "CelebA in '" + root_.string() + "': " + std::to_string(names_.size()) + " images in the order of " +
                   from + (has_attributes() ? ", " + std::to_string(attribute_names_.size()) + " attributes" : "") +
                   (has_partition() ? ", partitions" : "");
  }
};

}  // namespace

std::unique_ptr<Source> open_celeba_source(const fs::path& input) { return std::make_unique<CelebaSource>(input); }

}  // namespace pipeline
