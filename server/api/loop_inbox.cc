#include "api/loop_inbox.h"

namespace kite::server {

LoopInbox::LoopInbox(uv_loop_t* loop) {
  uv_async_init(loop, &async_, on_async);
  async_.data = this;
}

void LoopInbox::post(std::function<void()> task) {
  std::lock_guard lock(mutex_);  // held across the send: close() cannot slip in between
  if (closed_) return;
  tasks_.push_back(std::move(task));
  uv_async_send(&async_);
}

void LoopInbox::close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    tasks_.clear();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
}

void LoopInbox::on_async(uv_async_t* handle) {
  auto* self = static_cast<LoopInbox*>(handle->data);
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(self->mutex_);
    tasks.swap(self->tasks_);
  }
  for (auto& task : tasks) task();
}

}  // namespace kite::server
