#include "webhooks/webhook_sender.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/log.h"
#include "common/wall_clock.h"
#include "webhooks/backoff.h"
#include "webhooks/signature.h"

namespace kite::server::webhooks {
namespace {

constexpr std::size_t kMaxScan = 10'000;     // events looked at per read
constexpr std::int64_t kIdleSaveMs = 1'000;  // cursor moves past unmatched events: saved this often
constexpr std::size_t kBodyReserve = 64 * 1024;

HttpUrl parsed(const std::string& text) {
  HttpUrl url;
  parse_http_url(text, url);  // validate() checked it
  return url;
}

}  // namespace

WebhookSender::WebhookSender(config::WebhookConfig config, std::string secret, SSL_CTX* tls,
                             events::EventLog& log, const GroupDirectory& groups,
                             MessageStore* store, SendLease* lease)
    : config_(std::move(config)),
      secret_(std::move(secret)),
      devices_(config_.devices),
      log_(log),
      groups_(groups),
      store_(store),
      lease_(lease),
      url_(parsed(config_.url)),
      poster_(url_, tls, &stopping_) {
  for (const auto& name : config_.types) {
    if (auto type = events::parse_type(name))
      types_ |= static_cast<std::uint8_t>(1u << static_cast<unsigned>(*type));
  }
  std::sort(devices_.begin(), devices_.end());
  // A new webhook starts with the events that happen from now on; its cursor is saved at once,
  // so a restart before its first delivery does not skip what happened in between. (In a
  // cluster, the node that takes the lease does that.)
  std::uint64_t cursor = saved_cursor();
  if (cursor == 0) cursor = log_.last_id();
  scanned_ = cursor;
  stats_.cursor = cursor;
  if (!lease_) advance(cursor, true);
}

std::uint64_t WebhookSender::saved_cursor() const {
  std::uint64_t cursor = 0;
  if (store_) {
    const std::string key = cursor_key(config_.name);
    store_->for_each_consumer_group(
        [&](std::string_view group, std::span<const std::uint64_t> ids) {
          if (group == key && ids.size() == 1) cursor = ids[0];
        });
  }
  return cursor;
}

bool WebhookSender::wait_leading(std::uint64_t ms) {
  constexpr std::uint64_t slice = 1'000;  // renewed at least this often while waiting
  for (std::uint64_t waited = 0; waited < ms; waited += slice) {
    if (!sleep_ms(std::min(slice, ms - waited))) return false;
    if (!leading()) return false;
  }
  return true;
}

bool WebhookSender::leading() {
  if (!lease_) return true;
  if (!lease_->hold(config_.name, static_cast<std::int64_t>(config_.timeout_ms) + kLeaseSlackMs))
    return leading_ = false;
  if (leading_) return true;
  leading_ = true;  // taken: go on from where the last holder got to
  std::uint64_t cursor = saved_cursor();
  if (cursor == 0) cursor = log_.last_id();
  scanned_ = cursor;
  stats_.cursor = cursor;
  saved_ = 0;
  advance(cursor, true);
  KITE_LOG(info, "webhook.leading", {{"webhook", config_.name}, {"after", cursor}});
  return true;
}

void WebhookSender::start() {
  thread_ = std::thread([this] { run(); });
}

void WebhookSender::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool WebhookSender::sleep_ms(std::uint64_t ms) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_.load(); });
}

bool WebhookSender::wants(const events::EventView& event) const {
  if (types_ != 0 && (types_ >> static_cast<unsigned>(event.type) & 1) == 0) return false;
  return devices_.empty() || std::binary_search(devices_.begin(), devices_.end(), event.device);
}

events::EventLog::Count WebhookSender::lag(std::size_t cap) const {
  if (lease_ && !leading_) return {};  // another node sends it: its lag is counted there
  return log_.count(
      stats_.cursor.load(), [this](const events::EventView& e) { return wants(e); }, cap);
}

// After the read, outside the log's lock (the group directory has its own).
void WebhookSender::keep_group_members(std::vector<events::Event>& batch) const {
  if (config_.groups.empty()) return;
  std::erase_if(batch, [this](const events::Event& event) {
    return std::none_of(config_.groups.begin(), config_.groups.end(),
                        [&](const std::string& g) { return groups_.is_member(g, event.device); });
  });
}

void WebhookSender::fill(std::vector<events::Event>& batch) {
  const auto result = log_.read(
      stats_.cursor.load(), [this](const events::EventView& e) { return wants(e); },
      config_.batch_max_events, kMaxBatchBytes, kMaxScan, batch);
  if (result.gap) {
    // Retention dropped events before this webhook sent them (or, without a durable log, a
    // restart lost them): counted when the log can say how many, and logged either way.
    const bool countable = log_.durable() && result.missed_first != 0;
    if (countable) stats_.missed_events += result.missed_last - result.missed_first + 1;
    KITE_LOG(warn, "webhook.missed_events",
             {{"webhook", config_.name},
              {"after", stats_.cursor.load()},
              {"first", result.missed_first},
              {"last", result.missed_last},
              {"durable_log", log_.durable()}});
  }
  scanned_ = result.next_after;
  keep_group_members(batch);
}

void WebhookSender::advance(std::uint64_t through, bool save) {
  stats_.cursor = through;
  if (!save || store_ == nullptr || through == saved_) return;
  const std::uint64_t ids[] = {through};
  store_->save_consumer_group(cursor_key(config_.name), ids);
  saved_ = through;
}

PostResult WebhookSender::attempt(const std::string& body) {
  const std::string timestamp = std::to_string(wall_clock_ms() / 1000);
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json"},
      {"User-Agent", "kited-webhooks"},
      {"Kite-Webhook", config_.name},
      {"Kite-Timestamp", timestamp},
      {"Kite-Signature", sign(secret_, timestamp, body)}};
  return poster_.post(headers, body, Clock::now() + std::chrono::milliseconds(config_.timeout_ms));
}

void WebhookSender::log_failure(const PostResult& result, std::uint32_t attempt_no,
                                const std::vector<events::Event>& batch, bool dead) {
  std::uint64_t suppressed = 0;
  if (!dead) {
    const auto admitted = failure_lines_.admit();
    if (!admitted) return;
    suppressed = *admitted;
  }
  KITE_LOG(warn, dead ? "webhook.dead_lettered" : "webhook.attempt_failed",
           {{"webhook", config_.name},
            {"status", result.status},
            {"error", result.error},
            {"attempt", attempt_no},
            {"events", batch.size()},
            {"first_id", batch.front().id},
            {"last_id", batch.back().id},
            {"suppressed", suppressed}});
}

WebhookSender::Outcome WebhookSender::deliver(const std::vector<events::Event>& batch) {
  std::string body;
  body.reserve(kBodyReserve);
  body += R"({"webhook":")" + config_.name + R"(","events":[)";  // names need no escaping
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (i > 0) body += ',';
    events::append_json(body, batch[i].view());
  }
  body += "]}";
  for (std::uint32_t attempt_no = 1; !stopping_; ++attempt_no) {
    if (!leading()) return Outcome::lease_lost;  // the new holder sends the batch again
    const auto started = Clock::now();
    const PostResult result = attempt(body);
    if (result.ok()) {
      stats_.delivered_events += batch.size();
      ++stats_.delivered_batches;
      stats_.latency.observe(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count()));
      return Outcome::done;
    }
    if (stopping_) return Outcome::stopped;
    ++stats_.failed_attempts;
    const bool dead = attempt_no >= config_.max_attempts;
    log_failure(result, attempt_no, batch, dead);
    if (dead) {
      stats_.dead_events += batch.size();
      return Outcome::done;
    }
    if (!wait_leading(backoff_ms(attempt_no, config_.retry_base_ms, config_.retry_max_ms, random_)))
      return stopping_ ? Outcome::stopped : Outcome::lease_lost;
  }
  return Outcome::stopped;
}

void WebhookSender::run() {
  std::vector<events::Event> batch;
  std::int64_t last_save_ms = wall_clock_ms();
  while (!stopping_) {
    if (!leading()) {  // another node sends: stand by
      if (!sleep_ms(kStandByMs)) break;
      continue;
    }
    batch.clear();
    fill(batch);
    if (batch.empty()) {
      // Nothing to send, but the scan may have passed events this webhook does not want.
      const std::int64_t now = wall_clock_ms();
      const bool save = now - last_save_ms >= kIdleSaveMs;
      if (save) last_save_ms = now;
      const bool moved = scanned_ != stats_.cursor.load();
      advance(scanned_, save);
      if (!moved && !sleep_ms(kIdleMs)) break;  // a scan that moved may have more behind it
      continue;
    }
    const Outcome outcome = deliver(batch);
    if (outcome == Outcome::stopped) break;
    // Delivered, but the lease lapsed meanwhile: the new holder sends the batch again and owns
    // the cursor, which this node must not set back.
    if (outcome == Outcome::lease_lost || !leading()) continue;
    advance(scanned_, true);
    last_save_ms = wall_clock_ms();
  }
  if (!lease_ || leading_) advance(stats_.cursor.load(), true);
}

}  // namespace kite::server::webhooks
