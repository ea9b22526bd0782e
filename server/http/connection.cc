// One HTTP connection; see connection.h.
#include "http/connection.h"

#include <algorithm>
#include <exception>
#include <variant>

#include "common/log.h"
#include "http/http_server.h"
#include "http/problem.h"

namespace kite::server::http {
namespace {

constexpr std::uint64_t kLingerMs = 2'000;  // at most, after our last answer, waiting for EOF
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

struct WriteRequest {
  uv_write_t req;
  std::string bytes;  // alive until the write callback
};

Connection* owner(void* handle) {
  return static_cast<Connection*>(static_cast<uv_handle_t*>(handle)->data);
}

std::string error_bytes(int status, const std::string& detail) {
  return serialize_response(problem_response(status, "", detail), true);
}

}  // namespace

Connection::Connection(HttpServer& server, std::uint64_t id)
    : server_(server),
      id_(id),
      parser_(server.options().limits),
      deadline_(server.options().deadlines),
      last_activity_ms_(uv_now(server.loop())) {
  if (server.options().tls) tls_.emplace(server.options().tls);
  parser_.set_head_check(
      [this](const HttpRequest& head) { return server_.router().check_head(head); });
}

void Connection::start(int refusal) {
  uv_tcp_nodelay(&tcp_, 1);
  if (refusal != 0 && tls_) return close();  // no answer before a handshake: just the close
  if (refusal != 0) {
    answer(queue_.open(true),
           error_bytes(refusal, refusal == 429 ? "too many connections from this address"
                                               : "too many connections"),
           true);
  }
  update_reading();
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  auto callbacks = queue_.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_closed);
  for (auto& callback : callbacks) callback();
}

void Connection::check_timeout(std::uint64_t now_ms) {
  if (closed_) return;
  std::uint64_t quiet = now_ms - last_activity_ms_;
  std::uint64_t idle = server_.options().idle_timeout_ms;
  if (lingering_) {
    if (quiet >= std::min(kLingerMs, idle)) close();
    return;
  }
  if (proxy_header_ && now_ms >= proxy_deadline_ms_)
    return refuse_proxy(Refusal::proxy_header,
                        "no complete PROXY header within admin.head_timeout_ms");
  if (!ending_ && !failed_ && deadline_.overdue(now_ms)) return end_late_request();
  bool awaiting_handler = !queue_.empty() && writes_in_flight_ == 0;
  if (!awaiting_handler && quiet >= idle) close();
}

// --- reading -------------------------------------------------------------------------------

void Connection::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  *buf = uv_buf_init(owner(handle)->server_.read_buffer(), HttpServer::kReadBufferSize);
}

void Connection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  Connection* self = owner(stream);
  if (nread == 0) return;  // EAGAIN: not EOF
  if (nread < 0) {         // UV_EOF (the client is gone or half-closed) or an error
    self->close();
    return;
  }
  self->last_activity_ms_ = uv_now(self->server_.loop());
  if (self->lingering_ || self->ending_) return;  // input after our last answer is dropped
  std::string_view bytes(buf->base, static_cast<std::size_t>(nread));
  if (self->proxy_header_ || self->watching_forged_) {
    const std::optional<std::size_t> header_bytes = self->before_input(bytes);
    if (!header_bytes || *header_bytes == bytes.size()) return;
    bytes.remove_prefix(*header_bytes);  // the client's first bytes, as it sent them
  }
  if (self->tls_)
    self->receive_tls(bytes);
  else
    self->handle_input(bytes);
}

void Connection::handle_input(std::string_view bytes) {
  in_input_ = true;
  bool more = true;
  while (more) {
    FeedResult result = parser_.feed(bytes, room());
    bytes = {};
    for (const HttpRequest& request : result.requests) {
      if (closed_ || ending_) break;
      dispatch(request);
    }
    if (closed_ || ending_) break;
    if (result.error && !failed_) {
      refuse_input(*result.error);
      break;
    }
    if (parser_.take_continue_wanted() && queue_.empty()) write(std::string(kContinue));
    more = parser_.holding() && room() > 0;  // answered at once: dispatch what was held
  }
  in_input_ = false;
  if (closed_) return;
  deadline_.observe(parser_.phase(), parser_.begun(), parser_.body_bytes(), uv_now(server_.loop()));
  update_reading();
}

void Connection::refuse_input(const ParseError& error) {
  failed_ = true;
  std::string bytes = error.response ? serialize_response(*error.response, true)
                                     : error_bytes(error.status, error.detail);
  answer(queue_.open(true), std::move(bytes), true);
}

// A request head or body that came too slowly: answered 408 if nothing else is owed (the
// answers before it keep their order otherwise, so the connection just closes).
void Connection::end_late_request() {
  failed_ = true;
  KITE_LOG(debug, "http.request_too_slow", {{"connection", id_}});
  if (!queue_.empty()) return close();
  answer(queue_.open(true), error_bytes(408, "the request did not arrive in time"), true);
}

std::size_t Connection::room() const {
  const HttpServerOptions& options = server_.options();
  if (queued_bytes_ >= options.write_high_water) return 0;
  return queue_.size() < options.max_pipelined ? options.max_pipelined - queue_.size() : 0;
}

void Connection::dispatch(const HttpRequest& request) {
  std::uint64_t sequence = queue_.open(!request.keep_alive);
  auto routed = server_.router().route(request);
  if (auto* response = std::get_if<HttpResponse>(&routed)) {
    respond(sequence, std::move(*response));
    return;
  }
  auto& match = std::get<Router::Match>(routed);
  try {
    (*match.handler)(request, match.params, Responder(weak_from_this(), sequence));
  } catch (const std::exception& e) {
    KITE_LOG(error, "http.handler_failed", {{"path", request.path}, {"error", e.what()}});
    respond(sequence, problem_response(500, "", "the request handler failed"));
  }
}

void Connection::update_reading() {
  if (closed_) return;
  // Room again after answers left: the requests held by the parser come first.
  if (!in_input_ && !ending_ && !failed_ && parser_.holding() && room() > 0)
    return handle_input({});
  bool want = lingering_ || (!ending_ && room() > 0);
  if (want == reading_) return;
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  if (want && uv_read_start(stream, on_alloc, on_read) != 0) return close();
  if (!want) uv_read_stop(stream);
  reading_ = want;
}

// --- answering -----------------------------------------------------------------------------

ResponseQueue::Slot* Connection::owed(std::uint64_t sequence, ResponseQueue::State state) {
  ResponseQueue::Slot* slot = closed_ ? nullptr : queue_.find(sequence);
  return slot != nullptr && slot->state == state ? slot : nullptr;
}

void Connection::respond(std::uint64_t sequence, HttpResponse response) {
  ResponseQueue::Slot* slot = owed(sequence, ResponseQueue::State::Waiting);
  if (slot == nullptr) return;
  bool close_after = slot->close_after || asks_to_close(response.headers);
  answer(sequence, serialize_response(response, close_after), close_after);
}

void Connection::answer(std::uint64_t sequence, std::string bytes, bool close_after) {
  ResponseQueue::Slot* slot = queue_.find(sequence);
  slot->bytes = std::move(bytes);
  slot->close_after = close_after;
  slot->state = ResponseQueue::State::Done;
  flush();
}

bool Connection::start_stream(std::uint64_t sequence, int status, const Headers& headers) {
  ResponseQueue::Slot* slot = owed(sequence, ResponseQueue::State::Waiting);
  if (slot == nullptr) return false;
  slot->close_after = slot->close_after || asks_to_close(headers);
  slot->bytes = serialize_stream_head(status, headers, slot->close_after);
  slot->state = ResponseQueue::State::Streaming;
  flush();
  return !closed_;
}

bool Connection::send_chunk(std::uint64_t sequence, std::string_view bytes) {
  ResponseQueue::Slot* slot = owed(sequence, ResponseQueue::State::Streaming);
  if (slot == nullptr) return false;
  slot->bytes += serialize_chunk(bytes);
  flush();
  return !closed_;
}

void Connection::end_stream(std::uint64_t sequence) {
  ResponseQueue::Slot* slot = owed(sequence, ResponseQueue::State::Streaming);
  if (slot == nullptr) return;
  slot->bytes += kLastChunk;
  slot->state = ResponseQueue::State::Done;
  flush();
}

void Connection::on_close(std::uint64_t sequence, std::function<void()> callback) {
  if (ResponseQueue::Slot* slot = closed_ ? nullptr : queue_.find(sequence))
    slot->on_close = std::move(callback);
}

bool Connection::pending(std::uint64_t sequence) {
  ResponseQueue::Slot* slot = closed_ ? nullptr : queue_.find(sequence);
  return slot != nullptr && slot->state != ResponseQueue::State::Done;
}

// --- writing -------------------------------------------------------------------------------

void Connection::flush() {
  if (closed_ || ending_) return;
  ResponseQueue::Ready ready = queue_.take();
  if (!ready.bytes.empty()) write(std::move(ready.bytes));
  if (ready.close && !closed_) {
    if (tls_) {
      tls_->close();  // close_notify: the client knows the answer was not cut short
      send_tls_output();
    }
    if (!closed_) end_after_writes();
  }
  update_reading();
}

void Connection::end_after_writes() {
  ending_ = true;
  auto* req = new uv_shutdown_t;  // libuv sends FIN once the writes before it are done
  if (uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&tcp_), on_shutdown) != 0) {
    delete req;
    close();
  }
}

void Connection::write(std::string bytes) {
  if (tls_) bytes = encrypt(bytes);
  if (closed_ || bytes.empty()) return;
  write_raw(std::move(bytes));
}

void Connection::write_raw(std::string bytes) {
  auto* request = new WriteRequest{{}, std::move(bytes)};
  request->req.data = request;
  uv_buf_t buf = uv_buf_init(request->bytes.data(), static_cast<unsigned>(request->bytes.size()));
  if (uv_write(&request->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, on_write) != 0) {
    delete request;  // its callback will never run
    return close();
  }
  ++writes_in_flight_;
  queued_bytes_ += request->bytes.size();
}

void Connection::on_write(uv_write_t* req, int status) {
  std::unique_ptr<WriteRequest> request(static_cast<WriteRequest*>(req->data));
  Connection* self = owner(req->handle);
  --self->writes_in_flight_;
  self->queued_bytes_ -= request->bytes.size();
  if (status < 0) return self->close();  // also UV_ECANCELED while closing: a no-op then
  self->last_activity_ms_ = uv_now(self->server_.loop());
  self->update_reading();
}

void Connection::on_shutdown(uv_shutdown_t* req, int status) {
  Connection* self = owner(req->handle);
  delete req;
  if (status < 0) return self->close();
  self->lingering_ = true;
  self->last_activity_ms_ = uv_now(self->server_.loop());
  self->update_reading();
}

void Connection::on_closed(uv_handle_t* handle) {
  Connection* self = owner(handle);
  self->server_.forget(self->id_);  // may destroy *self: nothing after this line
}

}  // namespace kite::server::http
