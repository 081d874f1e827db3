// One writer per output directory: an advisory lock (flock(2)) on a lock file inside it, held for the life of a
// DirLock and released by the kernel on any exit, kill -9 included.
//
// celeba-pack holds it on its output, `dcgan-onednn train` on its run directory: a second writer refuses at once,
// naming the directory and the process that holds it, instead of interleaving shards or metrics rows.
#pragma once
#include <filesystem>
#include <string>

namespace pipeline {

// The lock file's name in a locked directory (readers of a cache or run directory ignore it).
inline constexpr const char* kLockFile = ".lock";

class DirLock {
 public:
  // Creates `dir` if needed, then takes the lock without waiting. Throws std::runtime_error naming `dir`, `what`
  // (e.g. "celeba-pack output") and the holder's process id when another process holds it.
  DirLock(const std::filesystem::path& dir, const std::string& what);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace pipeline
