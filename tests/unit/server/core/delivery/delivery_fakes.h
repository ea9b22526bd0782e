// What the dispatcher's seams see in a unit test: a router that is a map, and lanes that keep
// what would be posted to each worker instead of posting it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/delivery/lanes.h"
#include "core/registry.h"

namespace kite::server::test {

class MapRouter final : public Router {
 public:
  void put(const std::string& device, std::uint32_t worker, std::uint64_t connection) {
    Route route;
    route.worker = worker;
    route.connection = connection;
    routes_[device] = route;
  }
  Claim claim(std::string_view, const Route&) override { return {}; }
  void release(std::string_view, const Route&) override {}
  std::optional<Route> find(std::string_view device) const override {
    auto it = routes_.find(std::string(device));
    if (it == routes_.end()) return std::nullopt;
    ++lookups;
    return it->second;
  }
  std::size_t online() const override { return routes_.size(); }
  std::vector<std::pair<std::string, Route>> list(std::string_view, std::size_t) const override {
    return {};
  }
  std::size_t parts() const override { return 1; }
  void append_part(std::size_t, std::vector<std::string>&) const override {}

  mutable std::size_t lookups = 0;  // of online devices

 private:
  std::map<std::string, Route> routes_;
};

// One carried delivery, copied out of its batch (whose views die with it).
struct Carried {
  std::uint64_t connection, seq, expires_at_ms;
  std::int64_t accepted_at_us;
  std::string message_id, payload, topic;
};

class RecordingLanes final : public Lanes {
 public:
  explicit RecordingLanes(std::uint32_t workers) : carried(workers), shared(workers) {}
  std::uint32_t count() const override { return static_cast<std::uint32_t>(carried.size()); }
  void carry(std::uint32_t worker, DeliveryBatch& batch) override {
    ++carry_tasks;
    std::vector<Carried> task;
    batch.for_each([&](const Delivery& d) {
      task.push_back({d.connection, d.seq, d.expires_at_ms, d.accepted_at_us,
                      std::string(d.message_id), std::string(d.payload), std::string(d.topic)});
    });
    carried[worker].push_back(std::move(task));
    batch.clear();
  }
  bool share(std::uint32_t worker, SharedSends sends) override {
    if (refuse_shares) return false;
    shared[worker].push_back(std::move(sends));
    return true;
  }

  bool refuse_shares = false;  // as a worker whose inbox budget is spent
  std::size_t carry_tasks = 0;
  std::vector<std::vector<std::vector<Carried>>> carried;  // by worker, by task
  std::vector<std::vector<SharedSends>> shared;            // by worker, by task
};

}  // namespace kite::server::test
