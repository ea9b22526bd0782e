#include "telemetry_corpus.h"

#include <cstdio>
#include <random>

namespace kite::bench {
namespace {

constexpr const char* kFirmware[] = {"2.4.1", "2.4.2", "2.5.0-rc1", "3.0.0", "1.9.7"};
constexpr const char* kModels[] = {"th-sensor-v2", "th-sensor-v3", "air-q", "cold-chain-7"};
constexpr const char* kStatus[] = {"ok", "ok", "ok", "ok", "low_battery", "door_open", "degraded"};

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  double uniform(double lo, double hi) { return std::uniform_real_distribution<>(lo, hi)(rng_); }
  int integer(int lo, int hi) { return std::uniform_int_distribution<>(lo, hi)(rng_); }
  template <std::size_t N>
  const char* pick(const char* const (&items)[N]) {
    return items[static_cast<std::size_t>(integer(0, N - 1))];
  }
  bool chance(double p) { return uniform(0, 1) < p; }

  std::string reading() {
    char buf[512];
    int n =
        std::snprintf(buf, sizeof buf,
                      R"({"device":"dev-%06d","ts":%lld,"temp":%.2f,"hum":%.1f,"bat":%d,"fw":"%s")",
                      integer(0, 199'999), 1'718'000'000'000LL + integer(0, 86'400'000),
                      uniform(-25, 45), uniform(10, 95), integer(3, 100), pick(kFirmware));
    std::string out(buf, static_cast<std::size_t>(n));
    if (chance(0.5)) append(out, R"(,"rssi":%d)", integer(-110, -40));
    if (chance(0.4)) append(out, R"(,"pressure":%.1f)", uniform(960, 1050));
    if (chance(0.3)) append(out, R"(,"co2":%d)", integer(380, 2400));
    if (chance(0.3)) append(out, R"(,"model":"%s")", pick(kModels));
    if (chance(0.25))
      append(out, R"(,"loc":{"lat":%.5f,"lon":%.5f})", uniform(35, 60), uniform(-10, 30));
    append(out, R"(,"status":"%s"})", pick(kStatus));
    return out;
  }

  std::string batch(std::size_t target_size) {
    std::string out;
    append(out, R"({"device":"dev-%06d","model":"%s","fw":"%s","boot":%d,"readings":[)",
           integer(0, 199'999), pick(kModels), pick(kFirmware), integer(1, 5000));
    long long ts = 1'718'000'000'000LL + integer(0, 86'400'000);
    double temp = uniform(-5, 30), hum = uniform(30, 80);
    int battery = integer(20, 100);
    for (bool first = true; out.size() + 80 < target_size; first = false) {
      ts += 10'000 + integer(-50, 50);
      temp += uniform(-0.2, 0.2);
      hum += uniform(-0.5, 0.5);
      append(out, R"(%s{"ts":%lld,"temp":%.2f,"hum":%.1f,"bat":%d})", first ? "" : ",", ts, temp,
             hum, battery);
    }
    out += "]}";
    return out;
  }

 private:
  template <typename... Args>
  static void append(std::string& out, const char* format, Args... args) {
    char buf[256];
    int n = std::snprintf(buf, sizeof buf, format, args...);
    out.append(buf, static_cast<std::size_t>(n));
  }

  std::mt19937_64 rng_;
};

}  // namespace

std::vector<std::string> telemetry_readings(std::size_t count, std::uint64_t seed) {
  Generator generator(seed);
  std::vector<std::string> readings;
  readings.reserve(count);
  for (std::size_t i = 0; i < count; ++i) readings.push_back(generator.reading());
  return readings;
}

std::string telemetry_batch(std::size_t target_size, std::uint64_t seed) {
  return Generator(seed).batch(target_size);
}

}  // namespace kite::bench
