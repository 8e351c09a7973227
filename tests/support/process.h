#pragma once
// Child processes for tests that drive the CLI (and mpirun): spawn, wait with a deadline, kill.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace metaevo::testing {

/// Starts argv[0] (a path) with `env` entries ("NAME=value") added, in its own process group so
/// that it and everything it starts can be killed together. stderr goes to `stderr_path`, stdout
/// to `stdout_path` (discarded unless given).
inline pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                   const std::string& stderr_path = "/dev/null", const std::string& stdout_path = "/dev/null") {
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (!freopen(stdout_path.c_str(), "w", stdout)) _exit(126);
    // One file for both: one open file, so neither stream writes over the other.
    if (stderr_path == stdout_path ? dup2(fileno(stdout), fileno(stderr)) < 0
                                   : !freopen(stderr_path.c_str(), "w", stderr))
      _exit(126);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

/// Polls until the child exits or `until` returns true (then returns -1), or the deadline passes
/// (then kills the whole group and returns -2). Otherwise returns the exit status, or 128 + signal.
inline int wait_for(pid_t pid, double timeout_s, const std::function<bool()>& until = {}) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (until && until()) return -1;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// Waits until the child is stopped (SIGSTOP) and returns true; false when it exits first or the
/// deadline passes (then the whole group is killed).
inline bool wait_stopped(pid_t pid, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG | WUNTRACED);
    if (r == pid) return WIFSTOPPED(status);
    if (r < 0) return false;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

/// Runs the metaevo CLI to completion (at most `timeout_s`); returns as wait_for does.
inline int run_cli(const std::vector<std::string>& args, double timeout_s = 600) {
  std::vector<std::string> argv{METAEVO_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return wait_for(spawn(argv), timeout_s);
}

}  // namespace metaevo::testing
