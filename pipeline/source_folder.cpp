// Folder source: any tree of .jpg/.jpeg/.png images, ordered and labelled like torchvision's ImageFolder
// (torchvision/datasets/folder.py: classes are the sorted first-level sub-folder names, indexed 0..K-1; within a
// class, files in sorted(os.walk(...)) order, names sorted; extensions matched case-insensitively).
// A tree without sub-folders is one unlabelled set of images. Every non-directory with an image's name is an
// input, as in ImageFolder (os.walk lists FIFOs, sockets, devices and broken symlinks as files): one that is not a
// regular file is rejected when read, with the reason (FileSource::read), instead of being skipped unrecorded.
//
// Two departures from ImageFolder, each with a warning: a directory reached again within a class (a symlink loop,
// or a second link to the same directory; os.walk(followlinks=True) repeats it, a loop until the kernel's 40-link
// limit) is walked once; and the pack's output directory, when it lies inside the input, is no class and no part of
// any class (a later pack would otherwise read the earlier cache as a class folder).
#include "pipeline/sources.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <stdexcept>

namespace pipeline {

namespace fs = std::filesystem;

namespace {

bool has_image_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// A directory's identity (symlinks followed): its device and inode.
using DirId = std::pair<dev_t, ino_t>;

std::optional<DirId> dir_id(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
  return DirId{st.st_dev, st.st_ino};
}

// The entries of one directory, sorted by name: sub-directories (symlinks followed, as ImageFolder does) and
// image files (any other entry with an image's extension).
struct Listing {
  std::vector<std::string> dirs, images;
};

Listing list_dir(const fs::path& dir) {
  Listing l;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code fe;
    if (it->is_directory(fe)) l.dirs.push_back(it->path().filename().string());
    else if (has_image_extension(it->path())) l.images.push_back(it->path().filename().string());
  }
  if (ec) throw std::runtime_error("cannot list '" + dir.string() + "': " + ec.message());
  std::sort(l.dirs.begin(), l.dirs.end());
  std::sort(l.images.begin(), l.images.end());
  return l;
}

class FolderSource final : public FileSource {
 public:
  FolderSource(const fs::path& in, const fs::path& output) {
    layout_ = Layout::folder;
    root_ = in;
    if (!output.empty()) output_ = dir_id(output);
    const auto root = dir_id(in);
    if (root) root_id_ = *root;
    const Listing top = list_dir(in);
    for (const auto& d : top.dirs)
      if (!is_output(in / d)) class_names_.push_back(d);

    if (class_names_.empty()) {
      names_ = top.images;  // a flat folder: no classes
    } else {
      for (size_t c = 0; c < class_names_.size(); ++c) {
        auto files = images_under(class_names_[c]);
        if (files.empty())
          warnings_.push_back("class folder '" + class_names_[c] + "' holds no .jpg/.jpeg/.png files (label " +
                              std::to_string(c) + " stays reserved for it, as in ImageFolder)");
        for (auto& f : files) {
          names_.push_back(std::move(f));
          labels_.push_back(static_cast<int64_t>(c));
        }
      }
      if (!top.images.empty())
        warnings_.push_back(std::to_string(top.images.size()) + " images directly in '" + in.string() +
                            "' are not in a class folder and are not packed (ImageFolder ignores them too)");
    }
    if (!output.empty() && (met_output_ || lies_inside(output, in)))
      warnings_.push_back("output '" + output.string() + "' lies inside the input '" + in.string() +
                          "': it is left out of the scan (torchvision's ImageFolder on this input would read it as "
                          "a class folder, or as part of one)");
    if (names_.empty())
      throw std::runtime_error("no images: '" + in.string() + "' holds no .jpg, .jpeg or .png files");
    description_ = "image folder '" + in.string() + "': " + std::to_string(names_.size()) + " images" +
                   (class_names_.empty() ? std::string(", no classes")
                                         : ", " + std::to_string(class_names_.size()) + " classes (sub-folders)");
  }

 private:
  // True (and remembered) when dir is the output directory.
  bool is_output(const fs::path& dir) {
    if (!output_ || dir_id(dir) != output_) return false;
    met_output_ = true;
    return true;
  }

  static bool lies_inside(const fs::path& output, const fs::path& in) {
    std::error_code e1, e2;
    const fs::path o = fs::weakly_canonical(output, e1), i = fs::weakly_canonical(in, e2);
    if (e1 || e2) return false;
    const fs::path rel = o.lexically_relative(i);
    return !rel.empty() && rel != "." && *rel.begin() != "..";
  }

  // The image files of class `cls` (recursively, following symlinks), as paths relative to the input, in os.walk
  // order after sorted(): by parent directory string, then by file name. Directories are walked depth first in name
  // order; one reached again (same device and inode) is skipped with a warning, as is the output directory.
  std::vector<std::string> images_under(const std::string& cls) {
    std::vector<std::pair<std::string, std::string>> found;  // (parent relative to the input, file name)
    std::map<DirId, std::string> walked;                     // -> the relative path it was first walked as
    if (root_id_) walked.emplace(*root_id_, std::string());
    std::vector<std::string> todo = {cls};  // relative paths; the back is walked next
    while (!todo.empty()) {
      const std::string rel = std::move(todo.back());
      todo.pop_back();
      const fs::path dir = root_ / rel;
      if (is_output(dir)) continue;
      if (const auto id = dir_id(dir)) {
        const auto [at, added] = walked.emplace(*id, rel);
        if (!added) {
          warn_repeat(rel, at->second);
          continue;
        }
      }
      const Listing l = list_dir(dir);
      for (const auto& f : l.images) found.emplace_back(rel, f);
      for (auto d = l.dirs.rbegin(); d != l.dirs.rend(); ++d) todo.push_back((fs::path(rel) / *d).string());
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> out;
    out.reserve(found.size());
    for (const auto& [parent, file] : found) out.push_back((fs::path(parent) / file).string());
    return out;
  }

  void warn_repeat(const std::string& rel, const std::string& first) {
    const bool loop = first.empty() || rel.rfind(first + "/", 0) == 0;  // the first is an ancestor of the repeat
    warnings_.push_back(
        "'" + rel + "' is " + (first.empty() ? "the input directory" : "the directory already walked as '" + first + "'") +
        (loop ? " (a symlink loop)" : " (another link to it)") +
        ": not walked again, so its images are packed once for this class (torchvision's ImageFolder, following "
        "links, reads them again" + (loop ? ", round the loop until the kernel's limit of 40 links in a path)" : ")"));
  }

  std::optional<DirId> output_, root_id_;
  bool met_output_ = false;
};

}  // namespace

std::unique_ptr<Source> open_folder_source(const fs::path& input, const fs::path& output) {
  return std::make_unique<FolderSource>(input, output);
}

}  // namespace pipeline
