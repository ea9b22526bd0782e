// The webhook signature against a vector computed independently (Python's hmac module):
//   hmac.new(b"whsec-0123456789abcdef",
//            b'1767225600.{"webhook":"billing","events":[]}', hashlib.sha256).hexdigest()
// docs/webhooks.md shows the same example, so a receiver can check its own code with it.
#include <doctest/doctest.h>

#include "webhooks/signature.h"

using kite::server::webhooks::sign;

TEST_CASE("the signature is v1= and the hex HMAC-SHA256 of timestamp.body") {
  CHECK(sign("whsec-0123456789abcdef", "1767225600", R"({"webhook":"billing","events":[]})") ==
        "v1=9840b8218b29ce71a1b9e9328172c1e43aac28da982b6d8661f2c90a31c92dac");
}

TEST_CASE("the timestamp, the body and the secret all change the signature") {
  const auto base = sign("secret-secret-secret", "100", "{}");
  CHECK(base.size() == 3 + 64);
  CHECK(sign("secret-secret-secret", "101", "{}") != base);
  CHECK(sign("secret-secret-secret", "100", "{ }") != base);
  CHECK(sign("secret-secret-secreT", "100", "{}") != base);
  // The dot separates: moving bytes between timestamp and body is not the same message.
  CHECK(sign("secret-secret-secret", "10", "0.{}") != sign("secret-secret-secret", "100", ".{}"));
}
