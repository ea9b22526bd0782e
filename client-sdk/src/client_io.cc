// Client::Impl, the connection's bytes: what the socket reads goes to the core, what the core
// has to say goes to the socket.
#include <cstdlib>

#include "client_impl.h"
#include "client_link.h"

namespace kite {
namespace {

constexpr std::size_t kReadBuffer = 64u << 10;

}  // namespace

void Client::Impl::on_alloc(uv_handle_t*, std::size_t, uv_buf_t* buf) {
  // Allocated per read and freed after it: an idle client holds no read buffer.
  buf->base = static_cast<char*>(std::malloc(kReadBuffer));
  buf->len = buf->base ? kReadBuffer : 0;
}

void Client::Impl::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* link = static_cast<Link*>(stream->data);
  std::unique_ptr<char, decltype(&std::free)> owned(buf->base, &std::free);
  if (nread == 0 || link->closing) return;
  Impl& self = *link->impl;
  Scope scope(self);
  if (link != self.link_) return;
  if (nread > 0) {
    self.core_.received(
        {reinterpret_cast<std::uint8_t*>(buf->base), static_cast<std::size_t>(nread)}, now());
  } else if (nread == UV_EOF) {
    self.core_.peer_closed(now());
  } else {
    self.core_.transport_failed(uv_strerror(static_cast<int>(nread)), now());
  }
}

void Client::Impl::write(std::vector<std::uint8_t> bytes) {
  auto* write = new WriteRequest;
  write->data = std::move(bytes);
  write->link = link_;
  write->request.data = this;
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(write->data.data()),
                             static_cast<unsigned>(write->data.size()));
  int status =
      uv_write(&write->request, reinterpret_cast<uv_stream_t*>(&link_->tcp), &buf, 1, on_written);
  if (status < 0) {
    delete write;
    core_.transport_failed(uv_strerror(status), now());
    told_core_ = true;
  }
}

void Client::Impl::on_written(uv_write_t* request, int status) {
  auto* write = reinterpret_cast<WriteRequest*>(request);
  auto* self = static_cast<Impl*>(request->data);
  Link* link = write->link;
  delete write;
  if (status == UV_ECANCELED) return;
  Scope scope(*self);
  if (status < 0 && link == self->link_ && !link->closing)
    self->core_.transport_failed(uv_strerror(status), now());
  // Room in the socket again: the core pumps its queue as this settles.
}

}  // namespace kite
