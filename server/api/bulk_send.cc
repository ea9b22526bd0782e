#include "api/bulk_send.h"

#include <array>
#include <optional>
#include <span>

#include "api/bulk_request.h"
#include "common/log.h"
#include "core/fan_out.h"
#include "http/problem.h"
#include "store/ttl.h"

namespace kite::server {
namespace {

using api::BulkRequest;
using api::SendRequest;
using http::problem_response;
using nlohmann::json;

constexpr std::size_t kStoreBatch = 1'000;  // messages per store write
// Carrying copies each message once per online device: above this many payload bytes in all, the
// devices are only woken and read the messages from the store (large payloads to large groups).
constexpr std::size_t kMaxCarriedBytes = 64u << 20;

// What happened to one message: a result per device (unless only a summary was asked for) and
// a count per status.
class MessageReport {
 public:
  enum Status : std::uint8_t { Sent, Dropped, Queued, Rejected, Failed, kStatuses };

  explicit MessageReport(bool detailed) : detailed_(detailed) {}

  void record(const std::string& device, Status status, json extra = {}) {
    ++counts_[status];
    if (!detailed_) return;
    json result{{"device", device}, {"status", kNames[status]}};
    if (extra.is_object()) result.update(extra);
    results_.push_back(std::move(result));
  }
  json summary() const {
    json summary = json::object();
    for (std::size_t s = 0; s < kStatuses; ++s)
      if (counts_[s] != 0) summary[kNames[s]] = counts_[s];
    return summary;
  }
  // {"results": [...], "summary": {...}}, without "results" for a summary-only answer.
  json answer() const {
    json body{{"summary", summary()}};
    if (detailed_) body["results"] = results_;
    return body;
  }
  void add_counts_to(std::array<std::size_t, kStatuses>& totals) const {
    for (std::size_t s = 0; s < kStatuses; ++s) totals[s] += counts_[s];
  }
  static const char* name(std::size_t status) { return kNames[status]; }

 private:
  static constexpr const char* kNames[kStatuses] = {"sent", "dropped", "queued", "rejected",
                                                    "failed"};
  bool detailed_;
  json results_ = json::array();
  std::array<std::size_t, kStatuses> counts_{};
};

// Every device online now, in id order (devices are not enumerable otherwise).
std::vector<std::string> everyone_online(Server& server) {
  constexpr std::size_t kPage = 10'000;
  std::vector<std::string> targets;
  std::string after;
  for (;;) {
    auto page = server.context().registry->list(after, kPage);
    for (auto& entry : page) targets.push_back(entry.first);
    if (page.size() < kPage) return targets;
    after = page.back().first;
  }
}

std::vector<std::string> resolve_targets(Server& server, BulkRequest& request) {
  switch (request.targets) {
    case BulkRequest::Targets::All:
      return everyone_online(server);
    case BulkRequest::Targets::Group:
      return server.groups().members(request.group);
    case BulkRequest::Targets::Devices:
      break;
  }
  return std::move(request.devices);
}

std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// A run of QoS 0 messages: encoded once each, one task per worker for the whole run.
void send_transient_run(Server& server, std::span<const SendRequest> run,
                        const std::vector<std::string>& targets, std::span<MessageReport> reports) {
  std::vector<protocol::OutgoingMessage> messages(run.size());
  for (std::size_t m = 0; m < run.size(); ++m) {
    messages[m].payload = as_bytes(run[m].payload);
    messages[m].qos = protocol::Qos::AtMostOnce;
    messages[m].topic = run[m].topic;
    messages[m].content_type = run[m].content_type;
  }
  std::vector<bool> online;
  const bool encoded = server.fan_out().send_transient(messages, targets, online);
  for (std::size_t m = 0; m < run.size(); ++m)
    for (std::size_t t = 0; t < targets.size(); ++t) {
      if (!encoded)
        reports[m].record(targets[t], MessageReport::Failed,
                          {{"reason", "the message does not fit a frame"}});
      else
        reports[m].record(targets[t], online[t] ? MessageReport::Sent : MessageReport::Dropped);
    }
}

// A run of QoS 1 messages: stored (each device gets them in order), then carried to the online
// devices' workers so that they are sent without being read back.
void send_stored_run(Server& server, std::span<const SendRequest> run,
                     const std::vector<std::string>& targets, std::span<MessageReport> reports) {
  const std::size_t count = run.size() * targets.size();
  std::vector<EnqueueResult> results(count);
  std::vector<std::pair<std::string_view, NewMessage>> batch;
  std::vector<EnqueueResult> answers;
  const auto now = static_cast<std::uint64_t>(wall_clock_ms());
  const std::int64_t accepted_at_us = wall_clock_us();
  const auto message_of = [&](std::size_t m) {
    const SendRequest& send = run[m];
    return NewMessage{send.payload, send.topic, send.content_type, send.key, {}, send.ttl_ms};
  };
  // Message-major order: every device's messages are enqueued in the order given.
  for (std::size_t first = 0; first < count; first += kStoreBatch) {
    const std::size_t last = std::min(count, first + kStoreBatch);
    batch.clear();
    for (std::size_t k = first; k < last; ++k)
      batch.emplace_back(targets[k % targets.size()], message_of(k / targets.size()));
    server.store().enqueue_batch(batch, now, answers);  // one write per chunk
    for (std::size_t k = first; k < last; ++k) results[k] = std::move(answers[k - first]);
  }

  // Looked up after storing: a device that connects meanwhile reads its queue when it opens.
  std::vector<std::optional<Route>> routes(targets.size());
  std::vector<bool> wake_only(targets.size(), false);  // woken, not carried
  for (std::size_t t = 0; t < targets.size(); ++t)
    routes[t] = server.context().registry->find(targets[t]);
  for (std::size_t k = 0; k < count; ++k) {
    const EnqueueResult& r = results[k];
    // A message that replaced or dropped others may have removed one carried from this call:
    // such a device is only woken, and reads its queue back from the store.
    if (r.status == EnqueueResult::Status::Queued && (r.replaced || r.dropped_oldest > 0))
      wake_only[k % targets.size()] = true;
  }
  std::size_t run_payload_bytes = 0, online = 0;
  for (const SendRequest& send : run) run_payload_bytes += send.payload.size();
  for (const auto& route : routes) online += route.has_value();
  if (run_payload_bytes * online > kMaxCarriedBytes) wake_only.assign(targets.size(), true);
  std::vector<DeliveryBatch> carried(server.context().workers.size());
  for (std::size_t t = 0; t < targets.size(); ++t)
    if (routes[t] && wake_only[t])
      carried[routes[t]->worker].add({routes[t]->connection, 0, 0, 0, {}, {}, {}, {}, {}});
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t t = k % targets.size();
    const EnqueueResult& r = results[k];
    if (r.status != EnqueueResult::Status::Queued || !routes[t] || wake_only[t]) continue;
    const SendRequest& send = run[k / targets.size()];
    carried[routes[t]->worker].add({routes[t]->connection, r.seq, expires_at_ms(now, send.ttl_ms),
                                    accepted_at_us, r.message_id, send.topic, send.content_type,
                                    send.key, send.payload});
  }
  server.fan_out().carry(carried);

  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t t = k % targets.size();
    const EnqueueResult& r = results[k];
    const std::string& device = targets[t];
    MessageReport& report = reports[k / targets.size()];
    switch (r.status) {
      case EnqueueResult::Status::Queued:
        report.record(device, MessageReport::Queued,
                      {{"seq", r.seq}, {"id", r.message_id}, {"online", routes[t].has_value()}});
        break;
      case EnqueueResult::Status::Full:
        report.record(device, MessageReport::Rejected, {{"reason", "queue full"}});
        break;
      case EnqueueResult::Status::Invalid:
      case EnqueueResult::Status::Busy:
        report.record(device, MessageReport::Rejected, {{"reason", r.error}});
        break;
      default:
        KITE_LOG(error, "api.store_failed", {{"device", device}, {"error", r.error}});
        report.record(device, MessageReport::Failed, {{"reason", r.error}});
        break;
    }
  }
}

json batch_answer(const std::vector<MessageReport>& reports) {
  json messages = json::array();
  std::array<std::size_t, MessageReport::kStatuses> totals{};
  for (const auto& report : reports) {
    messages.push_back(report.answer());
    report.add_counts_to(totals);
  }
  json summary = json::object();
  for (std::size_t s = 0; s < totals.size(); ++s)
    if (totals[s] != 0) summary[MessageReport::name(s)] = totals[s];
  return {{"messages", std::move(messages)}, {"summary", std::move(summary)}};
}

}  // namespace

void send_bulk(Server& server, const AdminApiOptions& options, const http::HttpRequest& request,
               const http::Responder& responder) {
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded())
    return responder.respond(
        problem_response(400, "Invalid message", "the body is not valid JSON"));
  BulkRequest bulk;
  if (auto problem = api::parse_bulk_request(body, options, bulk); !problem.empty())
    return responder.respond(problem_response(400, "Invalid message", problem));
  const std::vector<std::string> targets = resolve_targets(server, bulk);
  if (bulk.targets == BulkRequest::Targets::Group && targets.empty())
    return responder.respond(
        problem_response(404, "Unknown group", "no device is a member of \"" + bulk.group + "\""));
  const std::size_t deliveries = bulk.messages.size() * targets.size();
  if (bulk.batch && deliveries > api::kMaxBatchDeliveries)
    return responder.respond(problem_response(
        400, "Invalid message",
        "a batch addresses at most 2,560,000 deliveries (messages x devices, e.g. 256 messages "
        "to 10,000 devices): send smaller batches"));
  if (bulk.batch && !bulk.summary_only && deliveries > api::kMaxBatchResults)
    return responder.respond(problem_response(
        400, "Invalid message",
        "a batch answered per device holds at most 1,000,000 results (messages x devices): "
        "ask for \"report\": \"summary\", or send smaller batches"));

  // Batches are held to kMaxBatchResults above; one message to a huge group is summarized.
  const bool omitted =
      !bulk.batch && !bulk.summary_only && targets.size() > api::kMaxDetailedTargets;
  std::vector<MessageReport> reports(bulk.messages.size(),
                                     MessageReport(!bulk.summary_only && !omitted));
  const std::span<const SendRequest> messages = bulk.messages;
  for (std::size_t first = 0; first < messages.size();) {
    std::size_t last = first + 1;  // a run of messages with the same QoS
    while (last < messages.size() && messages[last].qos == messages[first].qos) ++last;
    const auto run = messages.subspan(first, last - first);
    const auto run_reports = std::span(reports).subspan(first, last - first);
    if (messages[first].qos == 0)
      send_transient_run(server, run, targets, run_reports);
    else
      send_stored_run(server, run, targets, run_reports);
    first = last;
  }
  json answer = bulk.batch ? batch_answer(reports) : reports[0].answer();
  if (omitted) answer["results_omitted"] = true;
  responder.respond(api::json_response(200, answer));
}

}  // namespace kite::server
