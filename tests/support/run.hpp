// Test helper: runs a command through /bin/sh and captures its exit status, stdout and stderr.
#pragma once
#include <signal.h>
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

// A command started in the background, its output in files; the test owns the process and reaps it.
struct Spawned {
  pid_t pid = -1;
  std::string out_path, err_path;
};

// Starts `cmd` through /bin/sh with exec, so that pid is the command itself (signals reach it directly).
inline Spawned spawn(const std::string& cmd, const std::filesystem::path& log_base) {
  Spawned s{-1, log_base.string() + ".out", log_base.string() + ".err"};
  const std::string full = "exec " + cmd + " >" + s.out_path + " 2>" + s.err_path;
  s.pid = ::fork();
  if (s.pid == 0) {
    ::setpgid(0, 0);  // a process group of its own, which wait_exit's timeout kills whole (mpirun and its ranks)
    ::execl("/bin/sh", "sh", "-c", full.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  if (s.pid < 0) throw std::runtime_error("fork failed for: " + cmd);
  return s;
}

// Waits up to `seconds` for the process to exit and returns its exit code (128+signal when killed). On timeout
// its process group is killed with SIGKILL and -1 is returned, so a hung command fails the test instead of hanging
// it, and leaves no child behind.
inline int wait_exit(const Spawned& s, double seconds) {
  for (int waited_ms = 0;; waited_ms += 5) {
    int st = 0;
    const pid_t r = ::waitpid(s.pid, &st, WNOHANG);
    if (r == s.pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (r < 0) return -1;
    if (waited_ms >= seconds * 1000) {
      ::kill(-s.pid, SIGKILL);
      ::waitpid(s.pid, &st, 0);
      return -1;
    }
    ::usleep(5000);
  }
}

}  // namespace testsupport
