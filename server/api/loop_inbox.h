// How other threads hand work to the admin loop: a queue and a uv_async_t, the same pattern as a
// worker's post(). Workers use it to answer HTTP requests that waited on a device (commands).
//
// Rules: post() is thread-safe and never blocks on I/O; tasks run on the loop thread in the order
// they were posted; after close() (loop thread), posted tasks are dropped: the HTTP server is
// going away and their Responders would answer nothing anyway.
#pragma once

#include <uv.h>

#include <functional>
#include <mutex>
#include <vector>

namespace kite::server {

class LoopInbox {
 public:
  explicit LoopInbox(uv_loop_t* loop);
  LoopInbox(const LoopInbox&) = delete;
  LoopInbox& operator=(const LoopInbox&) = delete;

  void post(std::function<void()> task);
  void close();

 private:
  static void on_async(uv_async_t* handle);

  uv_async_t async_{};
  std::mutex mutex_;
  std::vector<std::function<void()>> tasks_;
  bool closed_ = false;
};

}  // namespace kite::server
