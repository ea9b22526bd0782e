// The one rule for device ids, shared by kited (hello, admin API), the device SDK and the `kite`
// CLI. Backends put device ids in file paths, log lines, URLs and cloud registries, so an id is
// held to a character set every one of them takes as it is:
//   1-128 bytes of A-Z a-z 0-9 and . _ : -, starting with a letter or a digit, and no ".."
// (so no "." or ".." path segment, no leading "-" that a command line takes for an option, and
// DNS names, as tls.device_id_from = "san-dns" yields, still fit). Services are "service:NAME".
#pragma once

#include <string_view>

namespace kite::protocol {

// The rule in words, for error messages on every port.
inline constexpr std::string_view kDeviceIdRule =
    "a device id is 1-128 bytes of A-Z a-z 0-9 . _ : -, starts with a letter or a digit, and has "
    "no \"..\"";

bool valid_device_id(std::string_view id);

}  // namespace kite::protocol
