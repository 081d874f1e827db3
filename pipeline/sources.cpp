// Layout names and detection, dispatch to the three sources, and reading files for file-based sources.
#include "pipeline/sources.hpp"

#include "pipeline/option_table.hpp"
#include "pipeline/transform.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace pipeline {

namespace fs = std::filesystem;

Layout parse_layout(std::string_view s) {
  try {
    return opt::parse_choice<Layout>(kLayoutNames, s);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--layout: ") + e.what());
  }
}

const char* layout_name(Layout l) { return opt::choice_name<Layout>(kLayoutNames, l).data(); }

namespace {
void require_directory(const fs::path& input) {
  std::error_code ec;
  if (!fs::exists(input, ec))
    throw std::runtime_error("input '" + input.string() + "' does not exist (check --input)");
  if (!fs::is_directory(input, ec))
    throw std::runtime_error("input '" + input.string() +
                             "' is not a directory: --input takes the directory that holds the dataset");
}

bool is_idx_images_name(const std::string& n) {
  return n.find("-images-idx3-ubyte") != std::string::npos || n.find("-images.idx3-ubyte") != std::string::npos;
}
}  // namespace

Layout detect_layout(const fs::path& input) {
  require_directory(input);
  std::error_code ec;
  bool celeba = fs::is_directory(input / "img_align_celeba", ec) || fs::is_directory(input / "Img" / "img_align_celeba", ec);
  for (const auto& e : fs::directory_iterator(input, ec)) {
    const std::string n = e.path().filename().string();
    if (is_idx_images_name(n)) return Layout::idx;
    if (n.rfind("list_attr_celeba", 0) == 0 || n.rfind("list_eval_partition", 0) == 0) celeba = true;
  }
  if (ec) throw std::runtime_error("cannot list input '" + input.string() + "': " + ec.message());
  return celeba ? Layout::celeba : Layout::folder;
}

std::unique_ptr<Source> open_source(const fs::path& input, std::optional<Layout> layout, const fs::path& output) {
  require_directory(input);
  const Layout l = layout ? *layout : detect_layout(input);
  switch (l) {
    case Layout::celeba: return open_celeba_source(input);
    case Layout::folder: return open_folder_source(input, output);
    case Layout::idx: return open_idx_source(input);
  }
  throw std::logic_error("unknown layout");
}

void Source::truncate(int64_t n) {
  if (n < 0 || n >= count()) return;
  const size_t k = static_cast<size_t>(n);
  names_.resize(k);
  if (has_attributes()) attributes_.resize(k * attribute_names_.size());
  if (has_partition()) partition_.resize(k);
  if (has_labels()) labels_.resize(k);
}

namespace {
// The reject reason of a path whose mode (symlinks followed) is not a regular file's.
std::string not_regular(mode_t m) {
  const char* what = S_ISDIR(m)    ? "a directory"
                     : S_ISFIFO(m) ? "a FIFO (named pipe)"
                     : S_ISSOCK(m) ? "a socket"
                     : S_ISCHR(m)  ? "a character device"
                     : S_ISBLK(m)  ? "a block device"
                                   : "of an unknown kind";
  return std::string("not a regular file: ") + what;
}
}  // namespace

std::string why_not_regular(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::string("cannot open the file: ") + std::strerror(errno);
  return S_ISREG(st.st_mode) ? std::string() : not_regular(st.st_mode);
}

void FileSource::read(int64_t i, SourceItem& item) const {
  item.pixels = false;
  item.bytes.clear();
  const fs::path p = root_ / name(i);
  // stat before open: opening a FIFO for reading blocks until a writer comes, a device may never end. O_NONBLOCK
  // keeps a file swapped for a FIFO in between from blocking the open; fstat then refuses it.
  if (const std::string why = why_not_regular(p); !why.empty()) throw RejectedInput(why);
  struct stat st {};
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw RejectedInput(std::string("cannot open the file: ") + std::strerror(errno));
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw RejectedInput(std::string("cannot read the file: ") + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw RejectedInput(not_regular(st.st_mode));
  }
  item.bytes.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < item.bytes.size()) {
    const ssize_t n = ::read(fd, item.bytes.data() + done, item.bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw RejectedInput(std::string("cannot read the file: ") + std::strerror(err));
    }
    if (n == 0) break;  // shrank while reading
    done += static_cast<size_t>(n);
  }
  item.bytes.resize(done);
  ::close(fd);
}

}  // namespace pipeline
