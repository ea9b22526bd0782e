#include "send/send_report.h"

#include <fmt/format.h>

#include <cstdio>
#include <vector>

namespace kite::cli {
namespace {

std::string text_of(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// "seq=4 id=pt46... online", "reason=queue full", ...: what the answer says beyond the status.
std::string details_of(const nlohmann::json& result, const std::string& status) {
  std::string details;
  auto add = [&details](const std::string& part) {
    if (!details.empty()) details += ' ';
    details += part;
  };
  if (result.contains("seq")) add("seq=" + text_of(result, "seq"));
  if (result.contains("id")) add("id=" + text_of(result, "id"));
  if (result.contains("online") && result["online"].is_boolean())
    add(result["online"].get<bool>() ? "online" : "offline");
  if (result.value("replaced", false)) add("replaced");
  if (result.contains("dropped_oldest")) add("dropped_oldest=" + text_of(result, "dropped_oldest"));
  if (result.contains("reason")) add("reason=" + text_of(result, "reason"));
  // QoS 0 answers of POST /v1/messages carry no reason: say what "dropped" means there.
  if (status == "dropped" && !result.contains("reason") && !result.contains("online"))
    add("reason=not online or no room (QoS 0)");
  return details;
}

}  // namespace

void SendReport::print_json(const nlohmann::json& body) const {
  std::puts(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  std::fflush(stdout);  // a reader of the line stream sees each answer as it comes
}

void SendReport::target_line(std::uint64_t number, const std::string& device,
                             const nlohmann::json& result) {
  const std::string status = text_of(result, "status");
  if (status == "rejected" || status == "failed" || status == "dropped") ++undelivered_;
  if (json_) return;
  std::string line = numbered_ ? fmt::format("{:>4}  ", number) : std::string();
  line += fmt::format("{:<20} {:<9} {}", device, status, details_of(result, status));
  while (!line.empty() && line.back() == ' ') line.pop_back();
  std::puts(line.c_str());
  std::fflush(stdout);
}

void SendReport::device_answer(std::uint64_t number, const std::string& device,
                               nlohmann::json body) {
  if (!body.is_object()) body = nlohmann::json::object();
  target_line(number, device, body);
  if (!json_) return;
  body["device"] = device;  // the per-device answer does not name it; a JSON line should
  print_json(body);
}

void SendReport::fanout_answer(std::uint64_t first, const nlohmann::json& body) {
  if (json_) print_json(body);
  // One message: {"results":[...]}; a batch: {"messages":[{"results":[...]}, ...]}.
  std::vector<const nlohmann::json*> messages;
  if (body.contains("messages") && body["messages"].is_array()) {
    for (const auto& message : body["messages"]) messages.push_back(&message);
  } else {
    messages.push_back(&body);
  }
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const nlohmann::json& message = *messages[i];
    const auto results = message.find("results");
    if (results == message.end() || !results->is_array()) continue;
    if (results->empty() && !json_)
      std::fprintf(stderr, "message %llu reached no device (nobody online)\n",
                   static_cast<unsigned long long>(first + i));
    for (const auto& result : *results)
      if (result.is_object()) target_line(first + i, text_of(result, "device"), result);
  }
}

void SendReport::problem(const nlohmann::json& body) {
  if (json_ && body.is_object()) print_json(body);
}

}  // namespace kite::cli
