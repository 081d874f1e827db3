// Dataset sources for celeba-pack: an ordered list of inputs (file bytes or decoded IDX pixels) plus their
// per-sample metadata (attributes, partition, label), for the three layouts celeba, folder and idx.
//
// Order is the dataset order of the cache: CelebA's list files when present, else sorted names; ImageFolder's
// order for folders; train before t10k for IDX. See data/README.md for how each layout maps to partitions.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pipeline {

enum class Layout { celeba, folder, idx };
inline constexpr std::pair<Layout, std::string_view> kLayoutNames[] = {
    {Layout::celeba, "celeba"}, {Layout::folder, "folder"}, {Layout::idx, "idx"}};
Layout parse_layout(std::string_view);  // a name of kLayoutNames, else std::invalid_argument naming --layout
const char* layout_name(Layout);
// Looks at the directory: IDX files -> idx; img_align_celeba/ or CelebA list files -> celeba; else folder.
// Throws std::runtime_error when the input is missing or not a directory.
Layout detect_layout(const std::filesystem::path& input);

// One input as read from disk: encoded file bytes, or decoded pixels [height, width, channels] (IDX).
struct SourceItem {
  std::vector<uint8_t> bytes;
  bool pixels = false;
  int width = 0, height = 0, channels = 0;  // when pixels
};

class Source {
 public:
  virtual ~Source() = default;
  Layout layout() const { return layout_; }
  int64_t count() const { return static_cast<int64_t>(names_.size()); }
  // The name recorded in the cache: the path relative to the input ("000001.jpg", "cat/a.png",
  // "train-images-idx3-ubyte.gz[17]").
  const std::string& name(int64_t i) const { return names_[static_cast<size_t>(i)]; }
  // Reads input i into item (its buffers are reused). Throws RejectedInput when the file cannot be read
  // (missing, unreadable, not a regular file): the pack records it like a bad image.
  virtual void read(int64_t i, SourceItem& item) const = 0;
  // Keeps only the first n inputs (--limit).
  void truncate(int64_t n);

  // Per-sample metadata; each vector is empty when the source has no such data.
  const std::vector<std::string>& attribute_names() const { return attribute_names_; }
  const int8_t* attributes(int64_t i) const { return attributes_.data() + static_cast<size_t>(i) * attribute_names_.size(); }
  bool has_attributes() const { return !attribute_names_.empty(); }
  bool has_partition() const { return !partition_.empty(); }
  uint8_t partition(int64_t i) const { return partition_[static_cast<size_t>(i)]; }
  bool has_labels() const { return !labels_.empty(); }
  int64_t label(int64_t i) const { return labels_[static_cast<size_t>(i)]; }
  const std::vector<std::string>& class_names() const { return class_names_; }  // folder: label -> sub-folder
  // Things the user should know that do not stop the pack (MD5 mismatch, unlisted files, ...).
  const std::vector<std::string>& warnings() const { return warnings_; }
  // What was chosen among equivalent inputs (an IDX set present raw and gzipped), for the log without --quiet.
  const std::vector<std::string>& notes() const { return notes_; }
  // A short description for logs: "CelebA (official layout) in DIR: 202599 images, 40 attributes, partitions".
  const std::string& description() const { return description_; }

 protected:
  Layout layout_ = Layout::folder;
  std::vector<std::string> names_;
  std::vector<std::string> attribute_names_;
  std::vector<int8_t> attributes_;  // [n, attribute_names_.size()]
  std::vector<uint8_t> partition_;  // [n]
  std::vector<int64_t> labels_;     // [n]
  std::vector<std::string> class_names_;
  std::vector<std::string> warnings_;
  std::vector<std::string> notes_;
  std::string description_;
};

// Opens the input with the given layout (detected when empty). Throws std::runtime_error naming the directory
// and what was expected when it is missing, empty, or has nothing of that layout. `output`, when given, is the
// pack's output directory: when it lies inside a folder-layout input, the scan leaves it out (it is no class, and no
// part of one) and a warning says so, so that a pack run again into it (--force, --resume) reads what the first read.
std::unique_ptr<Source> open_source(const std::filesystem::path& input, std::optional<Layout> layout,
                                    const std::filesystem::path& output = {});

std::unique_ptr<Source> open_celeba_source(const std::filesystem::path& input);
// Directories reached again within a class (device and inode: a symlink loop, a second link) are walked once, with
// a warning naming each repeat; `output` as for open_source.
std::unique_ptr<Source> open_folder_source(const std::filesystem::path& input, const std::filesystem::path& output = {});
std::unique_ptr<Source> open_idx_source(const std::filesystem::path& input);

// "" when p (symlinks followed) is a regular file; else why it cannot be read as one, from stat(2) without opening
// it: "not a regular file: a FIFO (named pipe)" (a directory, a socket, a device), "cannot open the file: ...".
std::string why_not_regular(const std::filesystem::path& p);

// A source whose inputs are files under a root directory (celeba, folder): reads root/name(i). Only a regular
// file (a symlink is followed) is opened: a FIFO, socket, device or directory with an image's name is rejected
// from its stat(2) without being opened (opening a FIFO for reading blocks until a writer comes).
class FileSource : public Source {
 public:
  void read(int64_t i, SourceItem& item) const override;
  const std::filesystem::path& root() const { return root_; }

 protected:
  std::filesystem::path root_;
};

}  // namespace pipeline
