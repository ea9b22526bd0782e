// The Responder handle; see responder.h. Every call goes through a weak reference, so a
// connection that closed (and was freed) turns each call into a no-op.
#include "http/responder.h"

#include "http/connection.h"

namespace kite::server::http {

void Responder::respond(HttpResponse response) const {
  if (auto connection = connection_.lock()) connection->respond(sequence_, std::move(response));
}

bool Responder::start_stream(int status, Headers headers) const {
  auto connection = connection_.lock();
  return connection && connection->start_stream(sequence_, status, headers);
}

bool Responder::send_chunk(std::string_view bytes) const {
  auto connection = connection_.lock();
  return connection && connection->send_chunk(sequence_, bytes);
}

void Responder::end() const {
  if (auto connection = connection_.lock()) connection->end_stream(sequence_);
}

void Responder::on_close(std::function<void()> callback) const {
  if (auto connection = connection_.lock()) connection->on_close(sequence_, std::move(callback));
}

bool Responder::pending() const {
  auto connection = connection_.lock();
  return connection && connection->pending(sequence_);
}

std::size_t Responder::queued_bytes() const {
  auto connection = connection_.lock();
  return connection ? connection->queued_bytes() : 0;
}

}  // namespace kite::server::http
