#include "api/bulk_send.h"

#include <optional>
#include <span>

#include "api/bulk_report.h"
#include "api/bulk_request.h"
#include "api/bulk_targets.h"
#include "common/log.h"
#include "core/fan_out.h"
#include "http/problem.h"
#include "store/ttl.h"

namespace kite::server {

using api::BulkRequest;
using api::BulkTargets;
using api::MessageReport;
using api::SendRequest;
using http::problem_response;
using nlohmann::json;

namespace {

constexpr std::size_t kStoreBatch = 1'000;  // messages per store write
// Carrying copies each message once per online device: once a call has carried this many
// payload bytes, its other devices are only woken and read the messages from the store.
constexpr std::size_t kMaxCarriedBytes = 64u << 20;

std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

// One call under way: its messages, where its devices come from, and the answer so far.
class BulkSendJob {
 public:
  BulkSendJob(Server& server, BulkRequest request, BulkTargets targets, http::Responder responder)
      : server_(server),
        request_(std::move(request)),
        targets_(std::move(targets)),
        responder_(std::move(responder)),
        reports_(request_.messages.size(), MessageReport(results_kept())) {}

  // Sends to the next slice of devices; true once every device was sent to and the call
  // answered.
  bool send_slice() {
    const std::size_t per_slice =
        std::max<std::size_t>(1, BulkSends::kSliceDeliveries / request_.messages.size());
    const std::vector<std::string> slice = targets_.next(per_slice);
    if (slice.empty()) return answer(), true;
    const std::span<const SendRequest> messages = request_.messages;
    for (std::size_t first = 0; first < messages.size();) {
      std::size_t last = first + 1;  // a run of messages with the same QoS
      while (last < messages.size() && messages[last].qos == messages[first].qos) ++last;
      const auto run = messages.subspan(first, last - first);
      const auto run_reports = std::span(reports_).subspan(first, last - first);
      if (messages[first].qos == 0)
        send_transient_run(run, slice, run_reports);
      else
        send_stored_run(run, slice, run_reports);
      first = last;
    }
    if (slice.size() < per_slice) return answer(), true;  // only the last slice is short
    return false;
  }

 private:
  // Per-device results kept per message: batches are held to kMaxBatchResults in all; one
  // message to more than kMaxDetailedTargets devices is answered with the counts only.
  std::size_t results_kept() const {
    if (request_.summary_only) return 0;
    if (request_.batch) return api::kMaxBatchResults / request_.messages.size();
    return targets_.expected() > api::kMaxDetailedTargets ? 0 : api::kMaxDetailedTargets;
  }

  void answer() {
    json body = request_.batch ? api::batch_answer(reports_) : reports_[0].answer();
    bool omitted = !request_.summary_only && results_kept() == 0;
    for (const MessageReport& report : reports_) omitted = omitted || report.omitted();
    if (omitted) body["results_omitted"] = true;
    responder_.respond(api::json_response(200, body));
  }

  void send_transient_run(std::span<const SendRequest> run, const std::vector<std::string>& slice,
                          std::span<MessageReport> reports);
  void send_stored_run(std::span<const SendRequest> run, const std::vector<std::string>& slice,
                       std::span<MessageReport> reports);
  void report_stored(std::span<const SendRequest> run, const std::vector<std::string>& slice,
                     const std::vector<EnqueueResult>& results,
                     const std::vector<std::optional<Route>>& routes,
                     std::span<MessageReport> reports);

  Server& server_;
  BulkRequest request_;
  BulkTargets targets_;
  http::Responder responder_;
  std::vector<MessageReport> reports_;
  std::size_t carried_bytes_ = 0;  // payload bytes carried to workers so far
};

// A run of QoS 0 messages: encoded once each, one task per worker for the whole run.
void BulkSendJob::send_transient_run(std::span<const SendRequest> run,
                                     const std::vector<std::string>& slice,
                                     std::span<MessageReport> reports) {
  std::vector<protocol::OutgoingMessage> messages(run.size());
  for (std::size_t m = 0; m < run.size(); ++m) {
    messages[m].payload = as_bytes(run[m].payload);
    messages[m].qos = protocol::Qos::AtMostOnce;
    messages[m].topic = run[m].topic;
    messages[m].content_type = run[m].content_type;
  }
  std::vector<bool> online;
  const bool encoded = server_.fan_out().send_transient(messages, slice, online);
  for (std::size_t m = 0; m < run.size(); ++m)
    for (std::size_t t = 0; t < slice.size(); ++t) {
      if (!encoded)
        reports[m].record(slice[t], MessageReport::Failed,
                          {{"reason", "the message does not fit a frame"}});
      else
        reports[m].record(slice[t], online[t] ? MessageReport::Sent : MessageReport::Dropped);
    }
}

// A run of QoS 1 messages: stored (each device gets them in order), then carried to the online
// devices' workers so that they are sent without being read back.
void BulkSendJob::send_stored_run(std::span<const SendRequest> run,
                                  const std::vector<std::string>& slice,
                                  std::span<MessageReport> reports) {
  const std::size_t count = run.size() * slice.size();
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
      batch.emplace_back(slice[k % slice.size()], message_of(k / slice.size()));
    server_.store().enqueue_batch(batch, now, answers);  // one write per chunk
    for (std::size_t k = first; k < last; ++k) results[k] = std::move(answers[k - first]);
  }

  // Looked up after storing: a device that connects meanwhile reads its queue when it opens.
  std::vector<std::optional<Route>> routes(slice.size());
  std::vector<bool> wake_only(slice.size(), false);  // woken, not carried
  for (std::size_t t = 0; t < slice.size(); ++t)
    routes[t] = server_.context().registry->find(slice[t]);
  for (std::size_t k = 0; k < count; ++k) {
    const EnqueueResult& r = results[k];
    // A message that replaced or dropped others may have removed one carried from this call:
    // such a device is only woken, and reads its queue back from the store.
    if (r.status == EnqueueResult::Status::Queued && (r.replaced || r.dropped_oldest > 0))
      wake_only[k % slice.size()] = true;
  }
  std::size_t run_payload_bytes = 0, online = 0;
  for (const SendRequest& send : run) run_payload_bytes += send.payload.size();
  for (const auto& route : routes) online += route.has_value();
  if (carried_bytes_ + run_payload_bytes * online > kMaxCarriedBytes)
    wake_only.assign(slice.size(), true);
  else
    carried_bytes_ += run_payload_bytes * online;
  std::vector<DeliveryBatch> carried(server_.context().workers.size());
  for (std::size_t t = 0; t < slice.size(); ++t)
    if (routes[t] && wake_only[t])
      carried[routes[t]->worker].add({routes[t]->connection, 0, 0, 0, {}, {}, {}, {}, {}});
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t t = k % slice.size();
    const EnqueueResult& r = results[k];
    if (r.status != EnqueueResult::Status::Queued || !routes[t] || wake_only[t]) continue;
    const SendRequest& send = run[k / slice.size()];
    carried[routes[t]->worker].add({routes[t]->connection, r.seq, expires_at_ms(now, send.ttl_ms),
                                    accepted_at_us, r.message_id, send.topic, send.content_type,
                                    send.key, send.payload});
  }
  server_.fan_out().carry(carried);
  report_stored(run, slice, results, routes, reports);
}

void BulkSendJob::report_stored(std::span<const SendRequest> run,
                                const std::vector<std::string>& slice,
                                const std::vector<EnqueueResult>& results,
                                const std::vector<std::optional<Route>>& routes,
                                std::span<MessageReport> reports) {
  for (std::size_t k = 0; k < run.size() * slice.size(); ++k) {
    const std::size_t t = k % slice.size();
    const EnqueueResult& r = results[k];
    const std::string& device = slice[t];
    MessageReport& report = reports[k / slice.size()];
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

BulkSends::BulkSends(Server& server, LoopInbox& inbox, AdminApiOptions options)
    : server_(server), inbox_(inbox), options_(std::move(options)) {}

BulkSends::~BulkSends() = default;

void BulkSends::handle(const http::HttpRequest& request, const http::Responder& responder) {
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded())
    return responder.respond(
        problem_response(400, "Invalid message", "the body is not valid JSON"));
  BulkRequest bulk;
  if (auto problem = api::parse_bulk_request(body, options_, bulk); !problem.empty())
    return responder.respond(problem_response(400, "Invalid message", problem));
  BulkTargets targets = bulk.targets == BulkRequest::Targets::All
                            ? BulkTargets::of_online(*server_.context().registry)
                        : bulk.targets == BulkRequest::Targets::Group
                            ? BulkTargets::of_group(server_.groups(), bulk.group)
                            : BulkTargets::of_list(std::move(bulk.devices));
  if (bulk.targets == BulkRequest::Targets::Group && targets.expected() == 0)
    return responder.respond(
        problem_response(404, "Unknown group", "no device is a member of \"" + bulk.group + "\""));
  const std::size_t deliveries = bulk.messages.size() * targets.expected();
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

  if (deliveries > kSliceDeliveries && waiting_.size() >= kMaxCallsInProgress) {
    auto busy =
        problem_response(429, "Too many bulk sends",
                         "4 sends of more than one slice are under way: retry when one ends");
    busy.headers.emplace_back("Retry-After", "1");
    return responder.respond(std::move(busy));
  }
  auto job = std::make_unique<BulkSendJob>(server_, std::move(bulk), std::move(targets), responder);
  if (job->send_slice()) return;  // small calls are answered in the turn they arrive in
  waiting_.push_back(std::move(job));
  if (waiting_.size() == 1) inbox_.post([this] { send_next_slice(); });
}

void BulkSends::send_next_slice() {
  std::unique_ptr<BulkSendJob> job = std::move(waiting_.front());
  waiting_.pop_front();
  if (!job->send_slice()) waiting_.push_back(std::move(job));  // its next turn comes round
  if (!waiting_.empty()) inbox_.post([this] { send_next_slice(); });
}

}  // namespace kite::server
