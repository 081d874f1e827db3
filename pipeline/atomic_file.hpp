// Crash-safe file replacement: write to a temporary beside the target, fsync it, rename, fsync the directory.
//
// After a crash (kill -9, power loss) the target is either the old complete file or the new complete file,
// never a partial one (POSIX rename(2) is atomic within a file system). Used for shards, checkpoints, PNGs.
#pragma once
#include <filesystem>
#include <string>

namespace pipeline {

// The temporary name used for `target`: same directory, ".tmp" suffix plus the process id, so that a stale
// temporary left by a killed process is never mistaken for a complete file (readers ignore *.tmp*).
std::filesystem::path temp_path_for(const std::filesystem::path& target);

// fsync(2) on a file or a directory; throws std::runtime_error naming the path.
void fsync_path(const std::filesystem::path& p);

// fsyncs `tmp`, renames it to `target` and fsyncs the directory. Throws naming both paths on failure.
void commit_file(const std::filesystem::path& tmp, const std::filesystem::path& target);

// Writes `bytes` to `target` through a temporary and commit_file. Removes the temporary on failure.
void write_file_atomic(const std::filesystem::path& target, const std::string& bytes);

}  // namespace pipeline
