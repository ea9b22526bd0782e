// The exit codes every `kite` command keeps, so scripts can tell "the server said no" from "kite
// was called wrongly" from "the server could not be asked".
#pragma once

namespace kite::cli {

enum ExitCode : int {
  kExitOk = 0,
  // The work did not fully succeed: a target rejected, failed or dropped a message, the server
  // refused a request (400, 404, 429, 503...), a device is unknown, or a bench run failed; or
  // `kite listen` or `kite events` gave up (-W ran out), `kite listen` was replaced by another
  // connection or a --join was refused, or `kite publish` had messages not acknowledged.
  kExitFailed = 1,
  kExitUsage = 2,  // bad command line, or an input file that cannot be read
  // kited cannot be reached or refused the credentials: the admin API (or its token, 401), or
  // for `kite listen` and `kite publish` the device listener (not reached before -W ran out, or
  // no TLS session before the first connection) or the device's key, token or certificate
  // (refused, expired or revoked).
  kExitUnreachable = 3,
};

inline constexpr const char* kExitCodesHelp =
    "Exit codes: 0 ok; 1 some targets failed, were rejected or dropped, or the server refused "
    "a request (or a bench run failed, kite listen or kite events gave up at -W, kite listen was "
    "replaced, or kite publish had messages not acknowledged); 2 usage error; 3 cannot reach "
    "kited, or it refused the admin token or the device's credentials.";

}  // namespace kite::cli
