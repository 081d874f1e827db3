// Test helper: runs a command through /bin/sh and captures its exit status, stdout and stderr.
#pragma once
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace testsupport {

struct RunResult {
  int status = -1;      // exit code, or 128+signal when killed
  std::string out;      // stdout
  std::string err;      // stderr
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// A fresh empty directory under the test build tree, unique to this process and name.
inline std::filesystem::path fresh_dir(const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path d = fs::path(DCGAN_TEST_TMP) / (name + "." + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

inline RunResult run(const std::string& cmd) {
  namespace fs = std::filesystem;
  static int counter = 0;
  const fs::path dir = fs::path(DCGAN_TEST_TMP) / "run";
  fs::create_directories(dir);
  const std::string base = (dir / (std::to_string(::getpid()) + "." + std::to_string(counter++))).string();
  const std::string full = "(" + cmd + ") >" + base + ".out 2>" + base + ".err";
  const int rc = std::system(full.c_str());
  RunResult r;
  if (rc == -1) throw std::runtime_error("system() failed for: " + cmd);
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  fs::remove(base + ".out");
  fs::remove(base + ".err");
  return r;
}

}  // namespace testsupport
