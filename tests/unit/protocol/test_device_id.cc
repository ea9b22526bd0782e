// The device-id character set shared by kited, the SDK and the CLI (kite/protocol/device_id.h):
// what backends can put in paths, URLs and logs unchanged, and nothing else.
#include "kite/protocol/device_id.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using kite::protocol::valid_device_id;

TEST_CASE("device ids: letters, digits and . _ : - pass, 1 to 128 bytes") {
  for (const std::string& id :
       std::vector<std::string>{"a", "sensor-42", "Cam_7", "device-42.example.com", "urn:acme:3",
                                "service:billing", "0", std::string(128, 'x')}) {
    CAPTURE(id);
    CHECK(valid_device_id(id));
  }
}

TEST_CASE("device ids: paths, spaces, controls, non-ASCII and option-like ids are refused") {
  for (const std::string& id : std::vector<std::string>{"",
                                                        std::string(129, 'x'),
                                                        "../../etc",
                                                        "..",
                                                        ".",
                                                        "a/b",
                                                        "a\\b",
                                                        "a b",
                                                        "a..b",
                                                        "-rf",
                                                        ".hidden",
                                                        "_x",
                                                        ":x",
                                                        "a\nb",
                                                        std::string("a\0b", 3),
                                                        "caf\xc3\xa9",
                                                        "a%2Fb",
                                                        "a?b",
                                                        "a#b",
                                                        "a@b",
                                                        "a*b"}) {
    CAPTURE(id);
    CHECK_FALSE(valid_device_id(id));
  }
}
