// Implementation of crash-safe file replacement (see atomic_file.hpp).
#include "pipeline/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace pipeline {

namespace fs = std::filesystem;

fs::path temp_path_for(const fs::path& target) {
  return fs::path(target.string() + ".tmp" + std::to_string(::getpid()));
}

void fsync_path(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open '" + p.string() + "' to sync it: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw std::runtime_error("fsync of '" + p.string() + "' failed: " + std::strerror(err) +
                                        (err == ENOSPC ? " (the disk is full)" : ""));
}

void commit_file(const fs::path& tmp, const fs::path& target) {
  fsync_path(tmp);
  if (::rename(tmp.c_str(), target.c_str()) != 0)
    throw std::runtime_error("cannot rename '" + tmp.string() + "' to '" + target.string() + "': " +
                             std::strerror(errno));
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  fsync_path(dir);
}

void write_file_atomic(const fs::path& target, const std::string& bytes) {
  const fs::path tmp = temp_path_for(target);
  try {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot create '" + tmp.string() + "': " + std::strerror(errno));
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        throw std::runtime_error("cannot write '" + tmp.string() + "': " + std::strerror(err) +
                                 (err == ENOSPC ? " (the disk is full)" : ""));
      }
      done += static_cast<size_t>(n);
    }
    if (::close(fd) != 0) throw std::runtime_error("cannot close '" + tmp.string() + "': " + std::strerror(errno));
    commit_file(tmp, target);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

}  // namespace pipeline
