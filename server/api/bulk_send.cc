#include "api/bulk_send.h"

#include <optional>
#include <span>

#include "api/bulk_report.h"
#include "api/bulk_request.h"
#include "api/bulk_targets.h"
#include "common/log.h"
#include "http/problem.h"

namespace kite::server {

using api::BulkRequest;
using api::BulkTargets;
using api::MessageReport;
using api::SendRequest;
using http::problem_response;
using nlohmann::json;

namespace {

std::vector<EveryoneMessage> to_everyone(std::span<const SendRequest> sends) {
  std::vector<EveryoneMessage> messages;
  messages.reserve(sends.size());
  for (const SendRequest& s : sends)
    messages.push_back({s.payload, s.topic, s.content_type, s.key, s.idempotency_key, s.ttl_ms,
                        s.fallback_after_ms, s.fallback_cancel, static_cast<std::uint8_t>(s.qos)});
  return messages;
}

// What another node asked of every device, as this node's own call to its devices: answered to
// nobody, counted in the summary only.
BulkRequest from_everyone(std::vector<EveryoneMessage> messages) {
  BulkRequest request;
  request.targets = BulkRequest::Targets::All;
  request.batch = messages.size() > 1;
  request.summary_only = true;
  for (EveryoneMessage& m : messages)
    request.messages.push_back({std::move(m.payload), std::move(m.topic), std::move(m.content_type),
                                std::move(m.key), std::move(m.idempotency_key), m.qos, m.ttl_ms,
                                m.fallback_after_ms, m.fallback_cancel});
  return request;
}

}  // namespace

// One call under way: its messages, where its devices come from, and the answer so far.
class BulkSendJob {
 public:
  // `nodes_reached`: for a send to every device, the other nodes that send it to theirs.
  BulkSendJob(Server& server, BulkRequest request, BulkTargets targets, http::Responder responder,
              std::optional<std::size_t> nodes_reached = std::nullopt)
      : server_(server),
        request_(std::move(request)),
        targets_(std::move(targets)),
        responder_(std::move(responder)),
        reports_(request_.messages.size(), MessageReport(results_kept())),
        nodes_reached_(nodes_reached) {}

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
      send_run(run, slice, run_reports);
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
    if (nodes_reached_) body["nodes_reached"] = *nodes_reached_;
    responder_.respond(api::json_response(200, body));
  }

  void send_run(std::span<const SendRequest> run, const std::vector<std::string>& slice,
                std::span<MessageReport> reports);
  void record(MessageReport& report, std::string_view device, bool stored, const Outcome& outcome);

  Server& server_;
  BulkRequest request_;
  BulkTargets targets_;
  http::Responder responder_;
  std::vector<MessageReport> reports_;
  std::optional<std::size_t> nodes_reached_;
  // Every slice of the call carries from one allowance (dispatcher.h).
  CarryAllowance carry_allowance_{Dispatcher::kMaxCarriedBytes};
};

// A run of messages of one QoS to one slice of devices, through the dispatcher: each device gets
// them in the order given (message-major parcels), QoS 1 stored in batches and carried, QoS 0
// encoded once each.
void BulkSendJob::send_run(std::span<const SendRequest> run, const std::vector<std::string>& slice,
                           std::span<MessageReport> reports) {
  std::vector<NewMessage> messages;
  messages.reserve(run.size());
  for (const SendRequest& send : run)
    messages.push_back({send.payload,
                        send.topic,
                        send.content_type,
                        send.key,
                        {},
                        send.ttl_ms,
                        send.fallback_after_ms,
                        send.fallback_cancel});
  const std::vector<std::string_view> devices(slice.begin(), slice.end());
  std::vector<Parcel> parcels;
  parcels.reserve(run.size() * slice.size());
  for (std::uint32_t m = 0; m < run.size(); ++m)
    for (std::uint32_t t = 0; t < slice.size(); ++t) parcels.push_back({t, m});
  const bool stored = run[0].qos != 0;
  std::vector<Outcome> outcomes;
  server_.delivery().send(messages, devices, parcels,
                          stored ? protocol::Qos::AtLeastOnce : protocol::Qos::AtMostOnce, outcomes,
                          carry_allowance_);
  for (std::size_t k = 0; k < parcels.size(); ++k)
    record(reports[parcels[k].message], devices[parcels[k].device], stored, outcomes[k]);
}

void BulkSendJob::record(MessageReport& report, std::string_view device, bool stored,
                         const Outcome& outcome) {
  const EnqueueResult& r = outcome.stored;
  if (!stored) {
    if (r.status == EnqueueResult::Status::Invalid)
      return report.record(device, MessageReport::Failed,
                           {{"reason", "the message does not fit a frame"}});
    return report.record(device, outcome.sent ? MessageReport::Sent : MessageReport::Dropped);
  }
  switch (r.status) {
    case EnqueueResult::Status::Queued:
      return report.record(device, MessageReport::Queued,
                           {{"seq", r.seq}, {"id", r.message_id}, {"online", outcome.online}});
    case EnqueueResult::Status::Full:
      return report.record(device, MessageReport::Rejected, {{"reason", "queue full"}});
    case EnqueueResult::Status::Invalid:
    case EnqueueResult::Status::Busy:
      return report.record(device, MessageReport::Rejected, {{"reason", r.error}});
    default:
      KITE_LOG(error, "api.store_failed", {{"device", device}, {"error", r.error}});
      return report.record(device, MessageReport::Failed, {{"reason", r.error}});
  }
}

BulkSends::BulkSends(Server& server, LoopInbox& inbox, AdminApiOptions options)
    : server_(server), inbox_(inbox), options_(std::move(options)) {
  server_.set_everyone_sink([this](std::vector<EveryoneMessage> messages) {
    inbox_.post([this, messages = std::move(messages)]() mutable {
      start(from_everyone(std::move(messages)), BulkTargets::of_online(server_.router()), {},
            std::nullopt);
    });
  });
}

BulkSends::~BulkSends() {
  server_.set_everyone_sink({});
}

// A send another node took for every device comes here too (the sink set above), its targets
// this node's connected devices: never refused for load (that node answered already), never
// passed on again.
void BulkSends::start(BulkRequest bulk, BulkTargets targets, const http::Responder& responder,
                      std::optional<std::size_t> nodes_reached) {
  auto job = std::make_unique<BulkSendJob>(server_, std::move(bulk), std::move(targets), responder,
                                           nodes_reached);
  if (job->send_slice()) return;  // small calls are answered in the turn they arrive in
  waiting_.push_back(std::move(job));
  if (waiting_.size() == 1) inbox_.post([this] { send_next_slice(); });
}

void BulkSends::handle(const http::HttpRequest& request, const http::Responder& responder) {
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded())
    return responder.respond(
        problem_response(400, "Invalid message", "the body is not valid JSON"));
  BulkRequest bulk;
  if (auto problem = api::parse_bulk_request(body, options_, bulk); !problem.empty())
    return responder.respond(problem_response(400, "Invalid message", problem));
  BulkTargets targets = bulk.targets == BulkRequest::Targets::All
                            ? BulkTargets::of_online(server_.router())
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
  std::optional<std::size_t> nodes_reached;
  if (bulk.targets == BulkRequest::Targets::All)  // the other nodes first: they work meanwhile
    nodes_reached = server_.router().everyone_elsewhere(to_everyone(bulk.messages));
  start(std::move(bulk), std::move(targets), responder, nodes_reached);
}

void BulkSends::send_next_slice() {
  std::unique_ptr<BulkSendJob> job = std::move(waiting_.front());
  waiting_.pop_front();
  if (!job->send_slice()) waiting_.push_back(std::move(job));  // its next turn comes round
  if (!waiting_.empty()) inbox_.post([this] { send_next_slice(); });
}

}  // namespace kite::server
