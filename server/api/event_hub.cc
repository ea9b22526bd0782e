#include "api/event_hub.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "api/api_helpers.h"
#include "core/server_context.h"
#include "http/problem.h"

namespace kite::server::api {
namespace {

using http::problem_response;

constexpr std::size_t kChunkEvents = 256, kScanPerRead = 4096;
constexpr int kReadsPerPump = 16;  // then the loop moves on; the next tick or append continues
constexpr std::string_view kRetryMs = "retry: 2000\n\n";
constexpr std::string_view kKeepAlive = ": keep-alive\n\n";

std::string gap_json(const events::ReadResult& read) {
  return fmt::format(
      R"({{"type":"gap","missed_first":"{}","missed_last":"{}","detail":"{}"}})", read.missed_first,
      read.missed_last,
      read.missed_first == 0
          ? "the event id to resume after is not one this server gave: everything it still "
            "holds follows"
          : "these events are no longer retained (events.retention_*): they are lost to this "
            "reader");
}

}  // namespace

EventHub::EventHub(uv_loop_t* loop, events::EventLog& log, const GroupDirectory& groups,
                   MessageStore* store, events::ConsumerGroupTimeouts timeouts,
                   events::SharedConsumerGroups* shared)
    : loop_(loop),
      log_(log),
      groups_(groups),
      store_(shared ? nullptr : store),  // shared groups keep their cursors with them
      timeouts_(timeouts),
      shared_groups_(shared) {
  if (store_) {
    store_->for_each_consumer_group(
        [&](std::string_view name, std::span<const std::uint64_t> acked) {
          if (name.starts_with("webhook:")) return;  // a webhook's cursor (webhooks/), not a group
          if (acked.size() != events::ConsumerGroup::kPartitions) return;  // not a layout we know
          events::ConsumerGroup::Cursors cursors{};
          std::copy(acked.begin(), acked.end(), cursors.begin());
          consumer_groups_.try_emplace(std::string(name), std::string(name), cursors, timeouts_);
        });
  }
  uv_async_init(loop_, &async_, on_async);
  async_.data = this;
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  uv_timer_start(&timer_, on_timer, kTickMs, kTickMs);
  log_.set_listener([this] {
    if (reader_count_.load(std::memory_order_relaxed) != 0) uv_async_send(&async_);
  });
}

void EventHub::close() {
  if (closed_) return;
  closed_ = true;
  log_.set_listener(nullptr);  // no worker signals async_ after this
  for (auto& reader : readers_) {
    if (reader->query.wait_ms)
      reader->responder.respond(problem_response(503, "", "the server is shutting down"));
    else
      reader->responder.end();
  }
  readers_.clear();
  reader_count_ = 0;
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

std::size_t EventHub::readers_of(const std::string& token) const {
  return static_cast<std::size_t>(
      std::count_if(readers_.begin(), readers_.end(),
                    [&](const auto& reader) { return !reader->done && reader->token == token; }));
}

void EventHub::serve(EventQuery query, const http::Responder& responder, std::string token) {
  if (closed_) return responder.respond(problem_response(503, "", "the server is shutting down"));
  if (readers_.size() >= kMaxReaders)
    return responder.respond(problem_response(
        503, "Too many event readers",
        fmt::format("at most {} event streams and polls at once; close one, or filter several "
                    "readers' events through one stream",
                    kMaxReaders)));
  if (readers_of(token) >= kMaxReadersPerToken)
    return responder.respond(problem_response(
        429, "Too many event readers for this token",
        fmt::format("one token holds at most {} of the {} event streams and polls; close one, "
                    "or filter several readers' events through one stream",
                    kMaxReadersPerToken, kMaxReaders)));
  events::ConsumerGroup* group = nullptr;
  if (!query.consumer_group.empty()) {
    std::string problem;
    int status = 429;
    group = join_group(query, static_cast<std::uint64_t>(group_now()), problem, status);
    if (group == nullptr)
      return responder.respond(problem_response(
          status, status == 429 ? "Consumer groups full" : "Consumer group unavailable", problem));
  }
  auto reader = std::make_shared<Reader>();
  reader->group = group;
  reader->token = std::move(token);
  const std::uint64_t now = uv_now(loop_);
  reader->query = std::move(query);
  reader->responder = responder;
  reader->after = reader->query.after.value_or(log_.last_id());
  reader->last_write_ms = now;
  if (reader->query.wait_ms) {
    reader->deadline_ms = now + *reader->query.wait_ms;
  } else if (!responder.start_stream(200, {{"Content-Type", "text/event-stream"},
                                           {"Cache-Control", "no-store"},
                                           {"X-Accel-Buffering", "no"}}) ||
             !responder.send_chunk(kRetryMs)) {
    if (group && !shared_groups_) group->detach(reader->query.member, group_now());
    return;
  }
  responder.on_close([weak = std::weak_ptr<Reader>(reader)] {
    if (auto gone = weak.lock()) gone->done = true;
  });
  readers_.push_back(reader);
  reader_count_ = readers_.size();
  reader->query.wait_ms ? pump_poll(*reader, now) : pump_stream(*reader, now);
  remove_done();
}

// Runs inside EventLog::read, with the log's mutex held: it takes no other lock. A group filter
// is applied afterwards by keep_group_members(), so that a reader never holds the log's mutex
// (which every worker needs to append) while it waits for the group directory's.
bool EventHub::matches(const EventQuery& query, const events::EventView& event) {
  if (!query.wants(event.type)) return false;
  return query.devices.empty() ||
         std::binary_search(query.devices.begin(), query.devices.end(), event.device);
}

// Drops scratch_[from..] events whose device is in none of the query's groups (at most one
// directory look-up per device and group in a read).
void EventHub::keep_group_members(const EventQuery& query, std::size_t from) {
  if (query.groups.empty()) return;
  std::unordered_map<std::string, bool> member;  // copies: remove_if moves the events
  auto kept = std::remove_if(
      scratch_.begin() + static_cast<std::ptrdiff_t>(from), scratch_.end(),
      [&](const events::Event& event) {
        auto [it, fresh] = member.try_emplace(event.device, false);
        if (fresh)
          it->second = std::any_of(
              query.groups.begin(), query.groups.end(),
              [&](const std::string& group) { return groups_.is_member(group, event.device); });
        return !it->second;
      });
  scratch_.erase(kept, scratch_.end());
}

void EventHub::pump_stream(Reader& reader, std::uint64_t now_ms) {
  std::string text;
  for (int round = 0; round < kReadsPerPump && !reader.done; ++round) {
    if (reader.responder.queued_bytes() >= kHighWaterBytes) return;  // the next tick tries again
    if (caught_up(reader)) break;  // (an id from elsewhere is read: a gap)
    scratch_.clear();
    // With a group filter, the read returns candidates that keep_group_members() then thins: let
    // it take as many as it scans (still within kChunkBytes), or such a reader would fall behind.
    const std::size_t take = reader.query.groups.empty() ? kChunkEvents : kScanPerRead;
    auto read = read_next(reader, take, now_ms);
    text.clear();
    if (read.gap) text += "event: gap\ndata: " + gap_json(read) + "\n\n";
    for (const auto& event : scratch_) events::append_sse(text, event.view());
    if (text.empty()) continue;  // scanned events that did not match: read on
    if (!reader.responder.send_chunk(text)) reader.done = true;
    reader.last_write_ms = now_ms;
  }
  if (!reader.done && now_ms - reader.last_write_ms >= kKeepAliveMs) {
    if (!reader.responder.send_chunk(kKeepAlive)) reader.done = true;
    reader.last_write_ms = now_ms;
  }
}

void EventHub::pump_poll(Reader& reader, std::uint64_t now_ms) {
  if (reader.done) return;
  scratch_.clear();
  events::ReadResult read;
  read.next_after = reader.after;
  for (int round = 0; round < kReadsPerPump && scratch_.size() < reader.query.limit; ++round) {
    if (caught_up(reader)) break;
    auto chunk = read_next(reader, reader.query.limit - scratch_.size(), now_ms);
    if (chunk.gap && !read.gap) {
      read.gap = true;
      read.missed_first = chunk.missed_first;
      read.missed_last = chunk.missed_last;
    }
    read.next_after = chunk.next_after;
    if (caught_up(reader)) break;
  }
  if (scratch_.empty() && !read.gap && now_ms < reader.deadline_ms) return;  // wait on
  std::string body = "{\"events\":[";
  for (std::size_t i = 0; i < scratch_.size(); ++i) {
    if (i != 0) body.push_back(',');
    events::append_json(body, scratch_[i].view());
  }
  body += fmt::format(R"(],"last_id":"{}")", reader.after);
  if (read.gap) body += ",\"gap\":" + gap_json(read);
  body += "}";
  reader.responder.respond({200, {{"Content-Type", "application/json"}}, std::move(body)});
  reader.done = true;
}

void EventHub::pump_all() {
  const std::uint64_t now = uv_now(loop_);
  for (auto& reader : readers_)
    reader->query.wait_ms ? pump_poll(*reader, now) : pump_stream(*reader, now);
  remove_done();
}

void EventHub::remove_done() {
  // A shared group's member is alive while its node touches it (tick_shared): nothing to undo.
  const std::int64_t now = group_now();
  for (const auto& reader : readers_)
    if (reader->done && reader->group && !shared_groups_)
      reader->group->detach(reader->query.member, now);
  std::erase_if(readers_, [](const auto& reader) { return reader->done; });
  reader_count_ = readers_.size();
}

void EventHub::on_async(uv_async_t* handle) {
  static_cast<EventHub*>(handle->data)->pump_all();
}

void EventHub::on_timer(uv_timer_t* handle) {
  auto* self = static_cast<EventHub*>(handle->data);
  self->log_.expire(wall_clock_ms());
  if (self->shared_groups_) {
    self->tick_shared();
  } else {
    const std::int64_t now = self->group_now();
    for (auto& [name, group] : self->consumer_groups_) group.tick(now);
    self->save_groups();
  }
  self->pump_all();
}

}  // namespace kite::server::api
