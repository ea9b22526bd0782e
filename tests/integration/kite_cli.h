// Runs the `kite` binary (KITE_PATH) as a child process for the CLI tests: arguments, stdin text
// and environment given, exit code, stdout and stderr back. The child's environment is this
// process's without KITE_* variables (a developer's KITE_ADMIN_TOKEN must not leak into a test),
// plus `env`. A child still running after 30 s is killed and reported as exit code -1.
#pragma once

#include <string>
#include <vector>

namespace kite::it {

struct KiteRun {
  int exit_code = -1;  // -1: killed (timed out or ended by a signal)
  std::string out, err;
};

KiteRun run_kite(const std::vector<std::string>& args, const std::string& stdin_text = {},
                 const std::vector<std::string>& env = {});

}  // namespace kite::it
