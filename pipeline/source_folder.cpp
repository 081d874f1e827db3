// Folder source: any tree of .jpg/.jpeg/.png images, ordered and labelled like torchvision's ImageFolder
// (torchvision/datasets/folder.py: classes are the sorted first-level sub-folder names, indexed 0..K-1; within a
// class, files in sorted(os.walk(...)) order, names sorted; extensions matched case-insensitively).
// A tree without sub-folders is one unlabelled set of images. Every non-directory with an image's name is an
// input, as in ImageFolder (os.walk lists FIFOs, sockets, devices and broken symlinks as files): one that is not a
// regular file is rejected when read, with the reason (FileSource::read), instead of being skipped unrecorded.
#include "pipeline/sources.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace pipeline {

namespace fs = std::filesystem;

namespace {

bool has_image_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// Image files under dir (recursively, following symlinks as ImageFolder does), as paths relative to `base`,
// in os.walk order after sorted(): by parent directory string, then by file name.
std::vector<std::string> images_under(const fs::path& dir, const fs::path& base) {
  std::vector<std::pair<std::string, std::string>> found;  // (parent relative dir, file name)
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec), end;
  if (ec) throw std::runtime_error("cannot list '" + dir.string() + "': " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) throw std::runtime_error("cannot list '" + dir.string() + "': " + ec.message());
    std::error_code fe;
    if (it->is_directory(fe) || !has_image_extension(it->path())) continue;
    found.emplace_back(it->path().parent_path().string(), it->path().filename().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  out.reserve(found.size());
  for (const auto& [parent, file] : found) out.push_back((fs::path(parent) / file).lexically_relative(base).string());
  return out;
}

class FolderSource final : public FileSource {
 public:
  explicit FolderSource(const fs::path& in) {
    layout_ = Layout::folder;
    root_ = in;
    std::vector<std::string> top_images;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(in, ec)) {
      std::error_code fe;
      if (e.is_directory(fe)) class_names_.push_back(e.path().filename().string());
      else if (has_image_extension(e.path())) top_images.push_back(e.path().filename().string());
    }
    if (ec) throw std::runtime_error("cannot list '" + in.string() + "': " + ec.message());
    std::sort(class_names_.begin(), class_names_.end());
    std::sort(top_images.begin(), top_images.end());

    if (class_names_.empty()) {
      names_ = std::move(top_images);  // a flat folder: no classes
    } else {
      for (size_t c = 0; c < class_names_.size(); ++c) {
        auto files = images_under(in / class_names_[c], in);
        if (files.empty())
          warnings_.push_back("class folder '" + class_names_[c] + "' holds no .jpg/.jpeg/.png files (label " +
                              std::to_string(c) + " stays reserved for it, as in ImageFolder)");
        for (auto& f : files) {
          names_.push_back(std::move(f));
          labels_.push_back(static_cast<int64_t>(c));
        }
      }
      if (!top_images.empty())
        warnings_.push_back(std::to_string(top_images.size()) + " images directly in '" + in.string() +
                            "' are not in a class folder and are not packed (ImageFolder ignores them too)");
    }
    if (names_.empty())
      throw std::runtime_error("no images: '" + in.string() + "' holds no .jpg, .jpeg or .png files");
    description_ = "image folder '" + in.string() + "': " + std::to_string(names_.size()) + " images" +
                   (class_names_.empty() ? std::string(", no classes")
                                         : ", " + std::to_string(class_names_.size()) + " classes (sub-folders)");
  }
};

}  // namespace

std::unique_ptr<Source> open_folder_source(const fs::path& input) { return std::make_unique<FolderSource>(input); }

}  // namespace pipeline
