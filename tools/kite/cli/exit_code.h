// The exit codes every `kite` command keeps, so scripts can tell "the server said no" from "kite
// was called wrongly" from "the server could not be asked".
#pragma once

namespace kite::cli {

enum ExitCode : int {
  kExitOk = 0,
  // The work did not fully succeed: a target rejected, failed or dropped a message, the server
  // refused a request (400, 404, 429, 503...), a device is unknown, or a bench run failed.
  kExitFailed = 1,
  kExitUsage = 2,        // bad command line, or an input file that cannot be read
  kExitUnreachable = 3,  // the admin API cannot be reached, or it refused the token (401)
};

inline constexpr const char* kExitCodesHelp =
    "Exit codes: 0 ok; 1 some targets failed, were rejected or dropped, or the server refused "
    "a request (or a bench run failed); 2 usage error; 3 cannot reach the admin API, or the "
    "token was refused.";

}  // namespace kite::cli
