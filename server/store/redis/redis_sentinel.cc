#include "store/redis/redis_sentinel.h"

#include <fmt/format.h>

#include <charconv>

#include "store/redis/redis_connection.h"

namespace kite::server::store::redis {
namespace {

// One sentinel's answer; "" or why it gave none.
std::string ask_one(const common::RedisAddress& sentinel, const std::string& name, int timeout_ms,
                    common::RedisAddress& master) {
  std::string error;
  auto connection = RedisConnection::connect(sentinel, timeout_ms, error);
  if (!connection) return error;
  Reply reply = connection->command({"SENTINEL", "get-master-addr-by-name", name}, error);
  if (!reply) return error;
  if (auto message = error_of(reply.get()); !message.empty()) return std::string(message);
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2)
    return fmt::format("it does not know a master named \"{}\"", name);
  const std::string_view host = text_of(reply->element[0]), port = text_of(reply->element[1]);
  int number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (host.empty() || ec != std::errc() || end != port.data() + port.size())
    return "it answered no host:port";
  master = {std::string(host), number, false};
  return {};
}

}  // namespace

bool ask_sentinels_for_master(std::span<const common::RedisAddress> sentinels,
                              const std::string& name, int timeout_ms, common::RedisAddress& master,
                              std::string& error) {
  error.clear();
  for (const common::RedisAddress& sentinel : sentinels) {
    const std::string why = ask_one(sentinel, name, timeout_ms, master);
    if (why.empty()) return true;
    error += fmt::format("{}sentinel {}: {}", error.empty() ? "" : "; ", sentinel.to_string(), why);
  }
  if (sentinels.empty()) error = "no sentinel is configured";
  return false;
}

}  // namespace kite::server::store::redis
