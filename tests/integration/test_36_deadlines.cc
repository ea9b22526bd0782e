// Delivery deadlines and the expiry sweep: a message with fallback_after_ms that its device has
// not acknowledged in time raises one `undelivered` event (offline or online) and is kept or
// cancelled as the sender asked; expired messages of devices that never come back leave the
// store in the background, each with an `expired` event, and give their disk space back while
// the loops keep answering.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "harness.h"

namespace kite::it {
namespace {

// The events of `type` recorded so far (at most 1,000).
nlohmann::json events_of(const Harness& h, const std::string& type) {
  auto body = h.http.request("GET", "/v1/events?wait=0s&limit=1000&after=0&type=" + type).json();
  return body["events"];
}

// Waits until `count` events of `type` are recorded, driving `devices` meanwhile.
nlohmann::json wait_events(const Harness& h, const std::string& type, std::size_t count,
                           std::vector<TestDevice*> devices = {}) {
  const Millis deadline = now_ms() + kWait;
  nlohmann::json events = events_of(h, type);
  while (events.size() < count && now_ms() < deadline) {
    pump_devices(devices, 20, [] { return false; });
    events = events_of(h, type);
  }
  return events;
}

std::uint64_t disk_bytes(const std::filesystem::path& dir) {
  std::uint64_t total = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) total += entry.file_size();
  return total;
}

// The messages the store.reclaimed log lines say were removed before a reclaim.
std::uint64_t reclaimed(const KitedProcess& kited) {
  const std::string log = kited.log(), key = "store.reclaimed removed=";
  std::uint64_t total = 0;
  for (auto at = log.find(key); at != std::string::npos; at = log.find(key, at + 1))
    total += std::stoull(log.substr(at + key.size()));
  return total;
}

const std::vector<std::string> kFastSweep = {"--set", "store.sweep_interval_ms=100"};

}  // namespace

TEST_CASE("36.1 fallback: an offline device's message is reported undelivered, kept or cancelled") {
  Harness h(kFastSweep);
  auto kept = h.send_ok("phone-1", "ring", {{"fallback_after_ms", 300}});
  auto cancelled =
      h.send_ok("phone-1", "ring again", {{"fallback_after_ms", 300}, {"fallback", "cancel"}});
  auto late = h.send_ok("phone-1", "later", {{"fallback_after_ms", 60'000}});

  auto events = wait_events(h, "undelivered", 2);
  INFO(events.dump());
  REQUIRE(events.size() == 2);
  CHECK(events[0]["device"] == "phone-1");
  CHECK(events[0]["message_id"] == kept["id"]);
  CHECK(events[0]["seq"] == kept["seq"]);
  CHECK(events[0]["online"] == false);
  CHECK(events[0]["action"] == "kept");
  CHECK(events[0]["age_ms"].get<std::int64_t>() >= 300);
  CHECK(events[1]["message_id"] == cancelled["id"]);
  CHECK(events[1]["action"] == "cancelled");
  CHECK(h.http.device("phone-1")["queued"] == 2);
  CHECK(metric(h, "kite_undelivered_total") == 2);

  // The device comes back: the kept message and the later one arrive, the cancelled one never.
  TestDevice phone(h.device_options("phone-1"));
  phone.connect_and_open();
  auto received = phone.take_messages(2, kWait);
  REQUIRE(received.size() == 2);
  CHECK(received[0].payload == "ring");
  CHECK(received[1].payload == "later");
  CHECK(late["seq"] == 3);
  CHECK_FALSE(phone.next_message(300));
}

TEST_CASE("36.2 fallback: an online device that does not acknowledge in time") {
  Harness h(kFastSweep);
  DeviceOptions options = h.device_options("phone-2");
  options.auto_ack = false;
  TestDevice phone(options);
  phone.connect_and_open();

  auto slow = h.send_ok("phone-2", "held", {{"fallback_after_ms", 300}});
  auto first = phone.next_message(kWait);
  REQUIRE(first);
  auto fast = h.send_ok("phone-2", "acked at once", {{"fallback_after_ms", 300}});
  auto second = phone.next_message(kWait);
  REQUIRE(second);
  phone.acknowledge(second->seq);  // cumulative: acknowledges the first one too...
  // ...so the first deadline must find only what was still unacknowledged when it fell due:
  // acknowledge nothing before it, then see it raised while the device is online.
  auto held = h.send_ok("phone-2", "held again", {{"fallback_after_ms", 300}});
  REQUIRE(phone.next_message(kWait));

  auto events = wait_events(h, "undelivered", 1, {&phone});
  INFO(events.dump());
  REQUIRE(events.size() == 1);
  CHECK(events[0]["message_id"] == held["id"]);
  CHECK(events[0]["online"] == true);
  CHECK(events[0]["action"] == "kept");
  // The acknowledged ones never raise one, even after their deadlines.
  TestDevice* const pumped[] = {&phone};
  pump_devices(pumped, 600, [] { return false; });
  events = events_of(h, "undelivered");
  CHECK(events.size() == 1);
  CHECK(slow["id"] != held["id"]);
  CHECK(fast["id"] != held["id"]);

  // Bad input gets a problem body, and nothing is stored.
  auto qos0 = h.http.send("phone-2", "x", 0, {{"fallback_after_ms", 100}});
  CHECK(qos0.status == 400);
  CHECK(qos0.body.find("needs qos 1") != std::string::npos);
  auto unknown = h.http.send("phone-2", "x", 1, {{"fallback_after_ms", 100}, {"fallback", "drop"}});
  CHECK(unknown.status == 400);
  CHECK(unknown.json()["detail"] == "\"fallback\" must be \"keep\" or \"cancel\"");
  CHECK(h.http.send("phone-2", "x", 1, {{"fallback_after_ms", 0}}).status == 400);
}

// Uplink round trips (device -> kited's worker and store -> ack) and /healthz round trips.
struct RoundTrips {
  std::vector<double> uplink_ms, http_ms;
  static double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  }
  static double max(const std::vector<double>& v) {
    return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
  }
};

void measure_round_trip(Harness& h, TestDevice& probe, std::uint64_t seq, RoundTrips& trips) {
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(probe.publish("ping") == protocol::SendStatus::Sent);
  probe.pump_until(now_ms() + kWait, [&] { return probe.uplink_acked_through() >= seq; });
  const auto acked = std::chrono::steady_clock::now();
  REQUIRE(h.http.request("GET", "/healthz", {}, false).status == 200);
  const auto answered = std::chrono::steady_clock::now();
  trips.uplink_ms.push_back(std::chrono::duration<double, std::milli>(acked - started).count());
  trips.http_ms.push_back(std::chrono::duration<double, std::milli>(answered - acked).count());
}

TEST_CASE("36.3 sweep: 100,000 expired messages of 10,000 devices that never return") {
  constexpr int kDevices = 10'000, kPerDevice = 10;
  Harness h({"--set", "store.sweep_interval_ms=200", "--set", "events.retention_events=300000",
             "--set", "events.types=expired"});
  nlohmann::json devices = nlohmann::json::array();
  for (int i = 0; i < kDevices; ++i) devices.push_back(numbered("gone", i));
  // Payloads the store's compression cannot shrink, so its disk use is the messages' size.
  std::uint64_t random = 0x9e3779b97f4a7c15;
  std::vector<std::string> payloads(kPerDevice, std::string(400, ' '));
  for (std::string& payload : payloads)
    for (char& c : payload) {
      random = random * 6364136223846793005 + 1442695040888963407;
      c = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[random >> 58];
    }
  // The loops' pace with nothing queued: a device's uplink round trip and /healthz.
  TestDevice probe(h.device_options("probe"));
  probe.connect_and_open();
  RoundTrips baseline, trips;  // before anything was queued, then until the sweep is done
  std::uint64_t seq = 0;
  for (int i = 0; i < 20; ++i) measure_round_trip(h, probe, ++seq, baseline);

  // One bulk send per message (10,000 deliveries each), so that no answer takes long even under
  // the sanitizers.
  for (const std::string& payload : payloads) {
    const nlohmann::json body{
        {"devices", devices}, {"payload", payload}, {"ttl_ms", 6'000}, {"report", "summary"}};
    const auto sent = h.http.request("POST", "/v1/messages", body.dump());
    INFO(sent.body);
    REQUIRE(sent.status == 200);
    REQUIRE(sent.json()["summary"]["queued"] == kDevices);
  }
  const std::uint64_t before = disk_bytes(h.kited.dir() / "data");

  // While they expire and go (under the sanitizers some already have: the send takes longer
  // than their TTL), the device keeps sending uplinks and the API keeps answering.
  const Millis deadline = now_ms() + 120'000;
  while (metric(h, "kite_dropped_total{reason=\"expired\"}") < kDevices * kPerDevice &&
         now_ms() < deadline)
    measure_round_trip(h, probe, ++seq, trips);
  CHECK(metric(h, "kite_dropped_total{reason=\"expired\"}") == kDevices * kPerDevice);
  CHECK(metric(h, "kite_queued_messages") == 0);
  CHECK(h.http.device("gone-4242")["queued"] == 0);
  const Millis reclaim_deadline = now_ms() + 30'000;
  while (reclaimed(h.kited) < kDevices * kPerDevice && now_ms() < reclaim_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling pace
  CHECK(reclaimed(h.kited) == kDevices * kPerDevice);
  const std::uint64_t after = disk_bytes(h.kited.dir() / "data");
  const auto expired = h.http.request("GET", "/v1/events?wait=0s&limit=1&after=0").json();
  MESSAGE("disk " << before << " -> " << after
                  << " bytes; uplink round trips with nothing queued: median "
                  << RoundTrips::median(baseline.uplink_ms) << " ms; " << trips.uplink_ms.size()
                  << " until the sweep was done: median " << RoundTrips::median(trips.uplink_ms)
                  << " ms, max " << RoundTrips::max(trips.uplink_ms) << " ms; /healthz median "
                  << RoundTrips::median(trips.http_ms) << " ms, max "
                  << RoundTrips::max(trips.http_ms) << " ms");
  CHECK(after < before / 2);
  CHECK(metric(h, "kite_events_recorded_total") == kDevices * kPerDevice);
  REQUIRE(expired["events"].size() == 1);
  CHECK(expired["events"][0]["type"] == "expired");
  // Responsive: no round trip waited on the sweep for long (a slice holds its devices' locks
  // for one store write; the loops never run it).
  CHECK(trips.uplink_ms.size() > 10);
  CHECK(RoundTrips::max(trips.uplink_ms) < 1000);
  CHECK(RoundTrips::max(trips.http_ms) < 1000);
}

}  // namespace kite::it
