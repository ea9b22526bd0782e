// What the end-to-end tests of server/http/ share: a real HttpServer on 127.0.0.1:0 running its
// own uv loop in a thread, and a blocking POSIX-socket client that reads responses with
// http-parser (so pipelined and chunked responses are split exactly).
//
// Rules: the loop thread owns the server; the test thread reaches it only through on_loop(),
// which runs a function there and waits. Every socket read has a 5 s timeout, so a broken
// server fails a test instead of hanging it.
#pragma once

#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <doctest/doctest.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/http_server.h"

namespace kite::server::http::test {

class TestServer {
 public:
  explicit TestServer(Router router, HttpServerOptions options = {}) {
    uv_loop_init(&loop_);
    server_ = std::make_unique<HttpServer>(&loop_, std::move(router), options);
    std::string error = server_->listen("127.0.0.1", 0);
    REQUIRE(error.empty());
    port_ = server_->port();
    uv_async_init(&loop_, &tasks_async_, on_tasks);
    tasks_async_.data = this;
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }
  ~TestServer() { stop(); }

  int port() const { return port_; }

  // Runs `task` on the loop thread and waits for it to finish.
  void on_loop(std::function<void()> task) {
    std::unique_lock lock(mutex_);
    bool done = false;
    tasks_.push_back([&] {
      task();
      std::lock_guard inner(mutex_);
      done = true;
      cv_.notify_all();
    });
    uv_async_send(&tasks_async_);
    cv_.wait(lock, [&] { return done; });
  }

  std::size_t connection_count() {
    std::size_t count = 0;
    on_loop([&] { count = server_->connection_count(); });
    return count;
  }

  // Closes the server on its loop, waits for the loop to end, and checks no handle is left.
  void stop() {
    if (!thread_.joinable()) return;
    on_loop([this] {
      server_->close([this] {
        closed_ = true;
        uv_close(reinterpret_cast<uv_handle_t*>(&tasks_async_), nullptr);
      });
    });
    thread_.join();
    CHECK(closed_);
    server_.reset();
    CHECK(uv_loop_close(&loop_) == 0);
  }

 private:
  static void on_tasks(uv_async_t* async) {
    auto* self = static_cast<TestServer*>(async->data);
    std::vector<std::function<void()>> tasks;
    {
      std::lock_guard lock(self->mutex_);
      tasks.swap(self->tasks_);
    }
    for (auto& task : tasks) task();
  }

  uv_loop_t loop_{};
  uv_async_t tasks_async_{};
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  bool closed_ = false;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> tasks_;
};

struct ClientResponse {
  int status = 0;
  Headers headers;  // lower-case names
  std::string body;
  const std::string* header(std::string_view name) const {
    for (const auto& [key, value] : headers)
      if (key == name) return &value;
    return nullptr;
  }
};

class TestClient {
 public:
  explicit TestClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~TestClient() { close(); }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      REQUIRE(n > 0);
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // The next complete response, or nothing on EOF, error or timeout.
  std::optional<ClientResponse> read_response() {
    Reader reader;
    std::size_t used = 0;
    for (;;) {
      if (used < buffer_.size()) {
        used += http_parser_execute(&reader.parser, &Reader::settings(), buffer_.data() + used,
                                    buffer_.size() - used);
        if (reader.complete) {
          buffer_.erase(0, used);
          return std::move(reader.response);
        }
        if (HTTP_PARSER_ERRNO(&reader.parser) != HPE_OK) return std::nullopt;
      }
      if (!receive()) return std::nullopt;
    }
  }

  // Raw bytes up to and including `needle`, or "" on EOF/timeout.
  std::string read_until(std::string_view needle) {
    for (;;) {
      if (std::size_t at = buffer_.find(needle); at != std::string::npos) {
        std::string out = buffer_.substr(0, at + needle.size());
        buffer_.erase(0, out.size());
        return out;
      }
      if (!receive()) return "";
    }
  }

  // True if the server closes the connection (EOF or reset) before the 5 s timeout.
  bool wait_closed() {
    for (;;) {
      char tmp[4096];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  struct Reader {
    http_parser parser{};
    ClientResponse response;
    std::string field;
    bool complete = false;
    Reader() {
      http_parser_init(&parser, HTTP_RESPONSE);
      parser.data = this;
    }
    static Reader* of(http_parser* p) { return static_cast<Reader*>(p->data); }
    static const http_parser_settings& settings() {
      static const http_parser_settings settings = [] {
        http_parser_settings s{};
        s.on_header_field = [](http_parser* p, const char* at, std::size_t n) {
          of(p)->field.assign(at, n);
          for (char& c : of(p)->field)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          return 0;
        };
        s.on_header_value = [](http_parser* p, const char* at, std::size_t n) {
          of(p)->response.headers.emplace_back(of(p)->field, std::string(at, n));
          return 0;
        };
        s.on_body = [](http_parser* p, const char* at, std::size_t n) {
          of(p)->response.body.append(at, n);
          return 0;
        };
        s.on_message_complete = [](http_parser* p) {
          of(p)->response.status = static_cast<int>(p->status_code);
          of(p)->complete = true;
          http_parser_pause(p, 1);
          return 0;
        };
        return s;
      }();
      return settings;
    }
  };

  bool receive() {
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buffer_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
};

// Polls `condition` every 5 ms for up to 5 s.
inline bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 1000; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

}  // namespace kite::server::http::test
