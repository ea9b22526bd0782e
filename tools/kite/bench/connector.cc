#include "bench/connector.h"

#include "bench/common.h"

namespace kite::bench {

void Connector::more() {
  if (starting_) return;  // the loop below goes on with the room that made
  starting_ = true;
  while (started_ < options_.devices && started_ - opened_ - failed_ < options_.concurrency) {
    BenchClient& client = loop_.add(device_identity(options_, started_), target_,
                                    source_address(options_, started_), &events_);
    ++started_;
    client.connect();  // may fail at once, calling failed() from inside
  }
  starting_ = false;
}

}  // namespace kite::bench
