// The device SDK's footprint at rest (docs/benchmarks.md, "Device SDK footprint"): the heap a
// connected, idle kite::Client holds, and how often it wakes its loop while idle.
//
// The client runs on this program's libuv loop, on the main thread (Client(options, loop)): it
// has no thread of its own, so no thread stack is counted. Heap in use is glibc's
// mallinfo2().uordblks + hblkhd (every arena, and the chunks mapped on their own), taken right
// before the Client is constructed, once it is connected, once it has been idle for
// --settle-ms, and at the end of the idle window. Nothing is printed before the end, so stdio's
// buffers are not counted either.
//
// The first client of a process also initialises the protocol core's cryptography (libsodium's
// sodium_init(), on the first HMAC or random bytes): process-wide state, held once whatever the
// number of clients. By default that is counted (the figure of a device whose only user of it is
// the SDK); --warm-crypto makes one HMAC and one random_bytes() call before the first heap
// figure, so that the difference is what the client itself holds. (With OpenSSL 3, before
// libsodium, that first use cost 288 KiB of heap; with libsodium it is nothing.)
//
// Wake-ups: over the idle window (--idle-seconds), a prepare handle counts the loop's turns: each
// turn is one return from epoll_wait (a timer due, or something to read). The window's own timer
// ends the last turn, which is not counted. Cross-check: strace -f -c -e trace=epoll_wait.
//
// Idle after traffic: --publish-bytes N publishes one compressible message of N bytes once
// connected, --wait-messages N waits for N messages from the server (sent with the admin API),
// both before the settling starts: what a client keeps after it has compressed and inflated
// (the zstd contexts and buffers it holds from then on).
//
//   kite_sdk_footprint --port 7000 --id footprint-1 --key HEX [--host 127.0.0.1]
//                      [--keepalive-ms 30000] [--settle-ms 2000] [--idle-seconds 90]
//                      [--warm-crypto 1] [--publish-bytes N] [--wait-messages N]
// The key is the device's, as `kite keys derive` prints it (deriving it here would initialise
// the cryptography before the first figure).
#include <kite/client.h>
#include <malloc.h>
#include <uv.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/hmac.h"

namespace {

// Bytes in malloc'd chunks: from the arenas, and those above the mmap threshold (128 KiB) that
// glibc maps on their own (zstd's compression workspace is one).
std::size_t heap_in_use() {
  const auto info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

struct Run {
  uv_loop_t loop{};
  uv_timer_t timer{};
  uv_prepare_t prepare{};
  std::uint64_t settle_ms = 2000, idle_ms = 90'000;
  bool warm_crypto = false;
  kite::Client* client = nullptr;
  std::size_t publish_bytes = 0;
  int wait_messages = 0, messages = 0;
  bool published = false, settling = false;
  bool connected = false;
  int disconnects = 0;
  std::size_t heap_before = 0, heap_connected = 0, heap_idle = 0, heap_end = 0;
  std::uint64_t turns = 0;
  std::uint64_t window_start = 0, window_end = 0;
};

void on_prepare(uv_prepare_t* prepare) {
  auto& run = *static_cast<Run*>(prepare->data);
  ++run.turns;
}

void on_window_end(uv_timer_t* timer) {
  auto& run = *static_cast<Run*>(timer->data);
  run.window_end = uv_hrtime();
  run.heap_end = heap_in_use();
  uv_prepare_stop(&run.prepare);
  run.client->stop();  // goodbye; once its handles are closed and ours too, uv_run returns
}

void on_settled(uv_timer_t* timer) {
  auto& run = *static_cast<Run*>(timer->data);
  run.heap_idle = heap_in_use();
  run.window_start = uv_hrtime();
  uv_prepare_start(&run.prepare, on_prepare);
  uv_timer_start(&run.timer, on_window_end, run.idle_ms, 0);
}

// Settling starts once connected, with the traffic asked for done.
void maybe_settle(Run& run) {
  if (run.settling || !run.connected || (run.publish_bytes > 0 && !run.published) ||
      run.messages < run.wait_messages)
    return;
  run.settling = true;
  uv_timer_start(&run.timer, on_settled, run.settle_ms, 0);
}

// Telemetry-like JSON of about `bytes` bytes: compresses well, as real readings do.
std::string compressible(std::size_t bytes) {
  std::string text = "[";
  for (int i = 0; text.size() + 40 < bytes; ++i)
    text += "{\"celsius\":" + std::to_string(200 + i % 17) + ",\"at\":" + std::to_string(i) + "},";
  text.back() = ']';
  return text;
}

// False, after saying why, on an option it does not know or a missing --id or --key.
bool parse_args(int argc, char** argv, Run& run, kite::ClientOptions& options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--host")
      options.host = value;
    else if (flag == "--port")
      options.port = static_cast<std::uint16_t>(std::atoi(value));
    else if (flag == "--id")
      options.device_id = value;
    else if (flag == "--key")
      options.key = value;
    else if (flag == "--publish-bytes")
      run.publish_bytes = std::strtoull(value, nullptr, 10);
    else if (flag == "--wait-messages")
      run.wait_messages = std::atoi(value);
    else if (flag == "--warm-crypto")
      run.warm_crypto = std::string_view(value) == "1";
    else if (flag == "--keepalive-ms")
      options.keepalive_ms = std::strtoul(value, nullptr, 10);
    else if (flag == "--settle-ms")
      run.settle_ms = std::strtoull(value, nullptr, 10);
    else if (flag == "--idle-seconds")
      run.idle_ms = std::strtoull(value, nullptr, 10) * 1000;
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return false;
    }
  }
  if (argc % 2 != 1 || options.device_id.empty() || options.key.empty()) {
    std::fprintf(stderr,
                 "usage: kite_sdk_footprint --port P --id ID --key HEX [--host H] "
                 "[--keepalive-ms 30000] [--settle-ms 2000] [--idle-seconds 90] "
                 "[--warm-crypto 1]\n");
    return false;
  }
  return true;
}

// One HMAC and one random_bytes() call: libsodium's process-wide initialisation, done before the
// first heap figure when --warm-crypto asks for it.
void warm_up_crypto() {
  std::uint8_t nonce[16];
  (void)kite::protocol::random_bytes(nonce);
  const std::uint8_t key[32] = {};
  (void)kite::protocol::hmac_sha256(key, nonce);
}

// Runs the client on run.loop until it has been idle for the window and stopped, taking the heap
// figures on the way. False if the client refused the options.
bool run_client(Run& run, const kite::ClientOptions& options) {
  run.heap_before = heap_in_use();
  kite::Client client(options, &run.loop);
  run.client = &client;
  const std::string payload = compressible(run.publish_bytes);
  client.on_message([&run](const kite::Message&) {
    ++run.messages;
    maybe_settle(run);
  });
  client.on_state([&run, &client, &payload](const kite::StateChange& s) {
    if (s.state == kite::State::Connected && !run.connected) {
      run.connected = true;
      run.heap_connected = heap_in_use();
      if (run.publish_bytes > 0)
        client.publish({.payload = payload, .topic = "footprint"}, [&run](kite::Error, auto) {
          run.published = true;
          maybe_settle(run);
        });
      maybe_settle(run);
    } else if (s.state == kite::State::Disconnected) {
      ++run.disconnects;  // an idle client should stay connected: reported below
    } else if (s.state == kite::State::Replaced || s.state == kite::State::Revoked ||
               s.state == kite::State::Stopped) {
      uv_close(reinterpret_cast<uv_handle_t*>(&run.timer), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&run.prepare), nullptr);
    }
  });
  if (client.start() != kite::Error::Ok) {
    std::fprintf(stderr, "bad options\n");
    return false;
  }
  uv_run(&run.loop, UV_RUN_DEFAULT);
  return true;
}

void print_report(const Run& run, const kite::ClientOptions& options) {
  const double seconds = static_cast<double>(run.window_end - run.window_start) / 1e9;
  const std::uint64_t wakeups = run.turns > 0 ? run.turns - 1 : 0;  // the last: our timer
  std::printf(
      "{\"heap_before\":%zu,\"heap_connected\":%zu,\"heap_idle\":%zu,\"heap_end\":%zu,"
      "\"client_heap_idle\":%zd,\"client_heap_end\":%zd,\"idle_seconds\":%.1f,"
      "\"wakeups\":%" PRIu64
      ",\"wakeups_per_minute\":%.2f,\"keepalive_ms\":%u,\"disconnects\":%d,"
      "\"warm_crypto\":%s,\"published_bytes\":%zu,\"messages\":%d}\n",
      run.heap_before, run.heap_connected, run.heap_idle, run.heap_end,
      static_cast<ssize_t>(run.heap_idle - run.heap_before),
      static_cast<ssize_t>(run.heap_end - run.heap_before), seconds, wakeups,
      static_cast<double>(wakeups) * 60.0 / seconds, options.keepalive_ms, run.disconnects,
      run.warm_crypto ? "true" : "false", run.publish_bytes, run.messages);
}

}  // namespace

int main(int argc, char** argv) {
  Run run;
  kite::ClientOptions options;
  if (!parse_args(argc, argv, run, options)) return 2;

  uv_loop_init(&run.loop);
  uv_timer_init(&run.loop, &run.timer);
  uv_prepare_init(&run.loop, &run.prepare);
  run.timer.data = run.prepare.data = &run;

  if (run.warm_crypto) warm_up_crypto();
  if (!run_client(run, options)) return 2;
  uv_run(&run.loop, UV_RUN_DEFAULT);  // the destroyed Client's handles finish closing here
  uv_loop_close(&run.loop);
  if (!run.connected) {
    std::fprintf(stderr, "never connected\n");
    return 1;
  }
  print_report(run, options);
  return run.disconnects == 0 ? 0 : 1;
}
